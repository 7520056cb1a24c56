//! `$filter`, `$search`, `$orderby` and their rules over the wire, search
//! folders, and the generator of large mailboxes.

mod common;

use common::*;
use graph_sim::{MailboxSpec, SimConfig, SimHandle};
use serde_json::Value;

async fn sim() -> SimHandle {
    graph_sim::start(SimConfig::default()).await.unwrap()
}

fn q(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn subjects(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_string())
        .collect()
}

const ALEX: &str = "/v1.0/users/alex.wilber@contoso.example";

#[tokio::test]
async fn filter_with_time_window_subject_sender_and_logic() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let filter = "receivedDateTime ge 2025-03-01T00:00:00Z and receivedDateTime le 2025-03-06T00:00:00Z and (hasAttachments eq true or contains(subject, 'newsletter'))";
    let resp = get(
        &sim,
        &token,
        &format!(
            "{ALEX}/mailFolders/inbox/messages?$filter={}&$orderby=receivedDateTime%20desc&$top=50",
            q(filter)
        ),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let got = subjects(&resp.json());
    // Newest first; the inline-only newsletter matches by subject; the
    // junk mail and the Phishing subfolder's mail are elsewhere; messages
    // outside the window are out.
    assert_eq!(
        got,
        [
            "Shared with you: Q3 forecast.xlsx",
            "Contoso partner newsletter - March",
            "Fwd: Map of Argentina with Description",
            "Reported phish: Your mailbox is almost full",
            "Invoice overdue - action required",
        ]
    );

    let by_sender = get(
        &sim,
        &token,
        &format!(
            "{ALEX}/messages?$filter={}",
            q("from/emailAddress/address eq 'billing@fabrikam-payments.example'")
        ),
    )
    .await
    .json();
    assert_eq!(subjects(&by_sender), ["Invoice overdue - action required"]);

    let stored = sim.messages_of("alex.wilber@contoso.example");
    let imid = stored
        .iter()
        .find(|m| m["subject"] == "Invoice overdue - action required")
        .unwrap()["internetMessageId"]
        .as_str()
        .unwrap()
        .to_string();
    let by_imid = get(
        &sim,
        &token,
        &format!(
            "{ALEX}/messages?$filter={}&$select=id",
            q(&format!("internetMessageId eq '{imid}'"))
        ),
    )
    .await
    .json();
    assert_eq!(by_imid["value"].as_array().unwrap().len(), 1);
    assert_eq!(by_imid["value"][0].as_object().unwrap().len(), 2); // etag + id

    let junk = format!("{ALEX}/mailFolders/junkemail/messages?$top=100");
    let all_junk = subjects(&get(&sim, &token, &junk).await.json());
    let not = get(
        &sim,
        &token,
        &format!(
            "{junk}&$filter={}",
            q("not (subject eq 'Password expires today')")
        ),
    )
    .await
    .json();
    let not = subjects(&not);
    assert_eq!(not.len(), all_junk.len() - 1);
    assert!(all_junk.contains(&"Password expires today".to_string()));
    assert!(!not.contains(&"Password expires today".to_string()));
}

#[tokio::test]
async fn graph_refuses_what_it_refuses() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let inefficient = get(
        &sim,
        &token,
        &format!(
            "{ALEX}/messages?$filter={}&$orderby=receivedDateTime%20desc",
            q("hasAttachments eq true")
        ),
    )
    .await;
    graph_error(&inefficient, 400, "InefficientFilter");
    let both = get(
        &sim,
        &token,
        &format!(
            "{ALEX}/messages?$filter={}&$search={}",
            q("hasAttachments eq true"),
            q("\"invoice\"")
        ),
    )
    .await;
    assert!(
        graph_error(&both, 400, "BadRequest").contains("'$filter' is not supported with '$search'")
    );
    let ordered = get(
        &sim,
        &token,
        &format!(
            "{ALEX}/messages?$search={}&$orderby=receivedDateTime",
            q("\"invoice\"")
        ),
    )
    .await;
    assert!(graph_error(&ordered, 400, "BadRequest").contains("'$orderBy'"));
    let bad = get(
        &sim,
        &token,
        &format!("{ALEX}/messages?$filter={}", q("subject eq 'unterminated")),
    )
    .await;
    graph_error(&bad, 400, "BadRequest");
    let unknown = get(
        &sim,
        &token,
        &format!("{ALEX}/messages?$filter={}", q("colour eq 'red'")),
    )
    .await;
    assert!(graph_error(&unknown, 400, "BadRequest").contains("'colour'"));
}

#[tokio::test]
async fn search_kql_pages_with_a_skiptoken() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let resp = get(
        &sim,
        &token,
        &format!(
            "{ALEX}/messages?$search={}",
            q("\"subject:invoice OR from:secure-login-365.example\"")
        ),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let mut got = subjects(&resp.json());
    got.sort();
    assert_eq!(
        got,
        [
            "Invoice overdue - action required",
            "Password expires today",
            "Your package could not be delivered",
        ]
    );
    let windowed = get(
        &sim,
        &token,
        &format!(
            "{ALEX}/messages?$search={}",
            q("\"body:invoice received>=2025-03-01 received<=2025-03-01\"")
        ),
    )
    .await
    .json();
    assert_eq!(subjects(&windowed), ["Invoice overdue - action required"]);

    // Paging: every message of the generated folder, by sent date, via $skiptoken.
    let spec = MailboxSpec {
        messages: 35,
        folders: vec!["Bench".into()],
        attachment_every: 0,
        ..MailboxSpec::default()
    };
    sim.generate_messages("alex.wilber@contoso.example", &spec)
        .unwrap();
    let mut link = Some(format!(
        "{ALEX}/messages?$search={}&$top=10",
        q("\"subject:generated\"")
    ));
    let mut all = Vec::new();
    while let Some(path) = link {
        let page = get(&sim, &token, &path).await.json();
        all.extend(subjects(&page));
        link = page["@odata.nextLink"].as_str().map(|l| {
            assert!(l.contains("%24skiptoken="), "{l}");
            l.strip_prefix("https://graph.microsoft.com")
                .unwrap()
                .to_string()
        });
    }
    assert_eq!(all.len(), 35);
    assert_eq!(all[0], "Generated message 34: quarterly report");
}

#[tokio::test]
async fn search_folder_lists_what_its_query_matches() {
    let sim = sim().await;
    let token = delegated_token(&sim).await;
    let folders = get(&sim, &token, "/v1.0/me/mailFolders?$top=50")
        .await
        .json();
    let digests = folders["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["displayName"] == "Weekly digests")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = get(
        &sim,
        &token,
        &format!("/v1.0/me/mailFolders/{}/messages?$top=100", q(&digests)),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let got = subjects(&page.json());
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|s| s.to_lowercase().contains("weekly digest")),
        "{got:?}"
    );
}

#[tokio::test]
async fn generated_mailboxes_are_large_and_deterministic() {
    let sim = sim().await;
    let spec = MailboxSpec {
        messages: 10_000,
        folders: vec!["inbox".into(), "Bench A".into(), "Bench B".into()],
        attachment_bytes: 1_024,
        ..MailboxSpec::default()
    };
    let upn = "megan.bowen@contoso.example";
    let before = sim.messages_of(upn).len();
    assert_eq!(sim.generate_messages(upn, &spec).unwrap(), 10_000);
    let all = sim.messages_of(upn);
    assert_eq!(all.len(), before + 10_000);
    let generated: Vec<&Value> = all[before..].iter().collect();
    assert!(generated.iter().all(|m| m["hasAttachments"] == true));
    let kinds = |t: &str| {
        generated
            .iter()
            .filter(|m| {
                m["attachments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["@odata.type"] == t || a["contentType"] == t)
            })
            .count()
    };
    assert_eq!(kinds("#microsoft.graph.itemAttachment"), 400);
    assert_eq!(kinds("message/rfc822"), 500);

    let other = graph_sim::start(SimConfig::default()).await.unwrap();
    other.generate_messages(upn, &spec).unwrap();
    let again = other.messages_of(upn);
    assert_eq!(
        again[before + 123]["attachments"][0]["contentBytes"],
        all[before + 123]["attachments"][0]["contentBytes"]
    );
    assert_eq!(
        again[before + 9_999]["subject"],
        "Generated message 9999: quarterly report"
    );

    let token = app_token(&sim).await;
    let page = get(
        &sim,
        &token,
        "/v1.0/users/megan.bowen@contoso.example/mailFolders/inbox/messages?$top=1000&$expand=attachments",
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.json()["value"].as_array().unwrap().len(), 1000);
}
