//! The message store over the wire: lists, one message, MIME, attachments,
//! immutable ids, permissions and inbox rules.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use graph_sim::{AppRegistration, SimConfig, SimHandle};
use serde_json::{Value, json};

async fn sim() -> SimHandle {
    graph_sim::start(SimConfig::default()).await.unwrap()
}

fn enc(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn get_with(sim: &SimHandle, token: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let auth = format!("Bearer {token}");
    let mut all = vec![
        ("authorization", auth.as_str()),
        ("x-forwarded-host", GRAPH),
    ];
    all.extend_from_slice(headers);
    send("GET", &format!("{}{path}", sim.url()), &all, None)
        .await
        .unwrap()
}

fn by_subject<'a>(messages: &'a [Value], subject: &str) -> &'a Value {
    messages
        .iter()
        .find(|m| m["subject"] == subject)
        .unwrap_or_else(|| panic!("no message '{subject}'"))
}

#[tokio::test]
async fn inbox_lists_newest_first_and_pages_with_skip() {
    let sim = sim().await;
    let token = delegated_token(&sim).await;
    let first = get(&sim, &token, "/v1.0/me/mailFolders/inbox/messages?$top=5").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let page = first.json();
    let items = page["value"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    let received: Vec<&str> = items
        .iter()
        .map(|m| m["receivedDateTime"].as_str().unwrap())
        .collect();
    let mut sorted = received.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(received, sorted, "newest first");
    // Default property set: no headers, body present.
    assert!(items[0].get("internetMessageHeaders").is_none());
    assert!(items[0]["body"]["content"].is_string());
    assert_eq!(
        page["@odata.nextLink"],
        "https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages?%24top=5&%24skip=5"
    );
    // Walk every page: the count matches the folder's totalItemCount.
    let inbox = get(&sim, &token, "/v1.0/me/mailFolders/inbox").await.json();
    let mut seen = 0;
    let mut link = Some("/v1.0/me/mailFolders/inbox/messages?$top=7".to_string());
    while let Some(path) = link {
        let page = get(&sim, &token, &path).await.json();
        seen += page["value"].as_array().unwrap().len();
        link = page["@odata.nextLink"].as_str().map(|l| {
            l.strip_prefix("https://graph.microsoft.com")
                .unwrap()
                .to_string()
        });
    }
    assert_eq!(seen as u64, inbox["totalItemCount"].as_u64().unwrap());
    assert!(seen >= 48);
}

#[tokio::test]
async fn select_headers_and_expand_attachments() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let resp = get(
        &sim,
        &token,
        "/v1.0/users/alex.wilber@contoso.example/messages?$top=1000&$select=subject,internetMessageHeaders,hasAttachments&$expand=attachments",
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let all = resp.json()["value"].as_array().unwrap().clone();
    let invoice = by_subject(&all, "Invoice overdue - action required");
    assert_eq!(invoice.as_object().unwrap().len(), 6, "{invoice:#}"); // etag, id, 3 selected, attachments
    let auth = invoice["internetMessageHeaders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "Authentication-Results")
        .unwrap();
    assert!(
        auth["value"]
            .as_str()
            .unwrap()
            .starts_with("spf=fail (sender IP is 203.0.113.7)")
    );
    let att = &invoice["attachments"][0];
    assert_eq!(att["@odata.type"], "#microsoft.graph.fileAttachment");
    assert_eq!(att["name"], "invoice.pdf.html");
    let bytes = STANDARD
        .decode(att["contentBytes"].as_str().unwrap())
        .unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("Invoice INV-20931"));

    // Only an inline image: no attachments as far as hasAttachments goes,
    // but $expand still returns it.
    let news = by_subject(&all, "Contoso partner newsletter - March");
    assert_eq!(news["hasAttachments"], false);
    assert_eq!(news["attachments"][0]["isInline"], true);
    assert_eq!(news["attachments"][0]["contentId"], "logo@contoso");

    let link = by_subject(&all, "Shared with you: Q3 forecast.xlsx");
    assert_eq!(
        link["attachments"][0]["@odata.type"],
        "#microsoft.graph.referenceAttachment"
    );
    assert!(link["attachments"][0].get("contentBytes").is_none());
    // sourceUrl, providerType, permission, isFolder: beta only.
    assert!(link["attachments"][0].get("sourceUrl").is_none(), "{link}");
    assert!(link["attachments"][0].get("providerType").is_none());
    let beta = get(
        &sim,
        &token,
        "/beta/users/alex.wilber@contoso.example/messages?$top=1000&$select=subject&$expand=attachments",
    )
    .await
    .json();
    let link = by_subject(
        beta["value"].as_array().unwrap(),
        "Shared with you: Q3 forecast.xlsx",
    );
    assert!(link["attachments"][0]["sourceUrl"].is_string(), "{link}");

    let bad = get(
        &sim,
        &token,
        "/v1.0/users/alex.wilber@contoso.example/messages?$select=nope",
    )
    .await;
    graph_error(&bad, 400, "BadRequest");
    let bad = get(
        &sim,
        &token,
        "/v1.0/users/alex.wilber@contoso.example/messages?$expand=nope",
    )
    .await;
    graph_error(&bad, 400, "BadRequest");
    for top in ["0", "1001"] {
        let bad = get(
            &sim,
            &token,
            &format!("/v1.0/users/alex.wilber@contoso.example/messages?$top={top}"),
        )
        .await;
        graph_error(&bad, 400, "BadRequest");
    }
}

#[tokio::test]
async fn one_message_its_mime_and_its_attachments() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let mbx = "/v1.0/users/adele.vance@contoso.example";
    let stored = sim.messages_of("adele.vance@contoso.example");
    let report = by_subject(&stored, "Reported phish: Your mailbox is almost full");
    let id = enc(report["id"].as_str().unwrap());

    let one = get(&sim, &token, &format!("{mbx}/messages/{id}")).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.json()["subject"], report["subject"]);

    let mime = get(&sim, &token, &format!("{mbx}/messages/{id}/$value")).await;
    assert_eq!(mime.status, 200);
    assert!(
        mime.body
            .contains("Subject: Reported phish: Your mailbox is almost full\r\n")
    );
    assert!(
        mime.body
            .contains("Content-Type: message/rfc822; name=\"Your mailbox is almost full.eml\"")
    );

    let list = get(
        &sim,
        &token,
        &format!("{mbx}/messages/{id}/attachments?$select=id,name,size,contentType,isInline"),
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let att = list.json()["value"][0].clone();
    assert!(
        att.get("contentBytes").is_none(),
        "metadata only with $select"
    );
    assert_eq!(att["contentType"], "message/rfc822");
    let raw = get(
        &sim,
        &token,
        &format!(
            "{mbx}/messages/{id}/attachments/{}/$value",
            enc(att["id"].as_str().unwrap())
        ),
    )
    .await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.header("content-type"), Some("message/rfc822"));
    assert!(
        raw.body
            .contains("Received: from mail-relay.contoso-it-support.example (198.51.100.23)")
    );

    // An item attachment: its item on expand, its MIME on $value.
    let fw = by_subject(&stored, "FW: Urgent: verify your payroll account");
    let fw_id = enc(fw["id"].as_str().unwrap());
    let item_att = fw["attachments"][0]["id"].as_str().unwrap();
    let expanded = get(
        &sim,
        &token,
        &format!(
            "{mbx}/messages/{fw_id}/attachments/{}?$expand=microsoft.graph.itemattachment/item",
            enc(item_att)
        ),
    )
    .await
    .json();
    assert_eq!(expanded["@odata.type"], "#microsoft.graph.itemAttachment");
    assert_eq!(expanded["item"]["id"], "");
    assert_eq!(
        expanded["item"]["subject"],
        "Urgent: verify your payroll account"
    );
    assert_eq!(
        expanded["item"]["attachments"][0]["name"],
        "Payroll_Form.docm"
    );
    let item_mime = get(
        &sim,
        &token,
        &format!(
            "{mbx}/messages/{fw_id}/attachments/{}/$value",
            enc(item_att)
        ),
    )
    .await;
    assert!(
        item_mime
            .body
            .contains("Subject: Urgent: verify your payroll account")
    );
    assert!(item_mime.body.contains("filename=\"Payroll_Form.docm\""));

    // A reference attachment has no $value.
    let shared = by_subject(&stored, "Shared with you: Q3 forecast.xlsx");
    let path = format!(
        "{mbx}/messages/{}/attachments/{}/$value",
        enc(shared["id"].as_str().unwrap()),
        enc(shared["attachments"][0]["id"].as_str().unwrap())
    );
    graph_error(&get(&sim, &token, &path).await, 405, "ErrorInvalidRequest");

    graph_error(
        &get(&sim, &token, &format!("{mbx}/messages/not%20an%20id")).await,
        400,
        "ErrorInvalidIdMalformed",
    );
    graph_error(
        &get(&sim, &token, &format!("{mbx}/messages/AAMkAGVmMDEzAAA=")).await,
        404,
        "ErrorItemNotFound",
    );
}

#[tokio::test]
async fn a_move_changes_the_id_unless_immutable_ids_are_asked_for() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let upn = "megan.bowen@contoso.example";
    let id = sim
        .insert_message(
            upn,
            "inbox",
            json!({"subject": "to move", "receivedDateTime": "2025-03-09T08:00:00Z"}),
        )
        .unwrap();
    let imm = get_with(
        &sim,
        &token,
        &format!("/v1.0/users/{upn}/messages/{}?$select=subject", enc(&id)),
        &[("prefer", "IdType=\"ImmutableId\"")],
    )
    .await;
    assert_eq!(
        imm.header("preference-applied"),
        Some("IdType=\"ImmutableId\"")
    );
    let immutable = imm.json()["id"].as_str().unwrap().to_string();
    assert_ne!(immutable, id);

    let new_id = sim.move_message(upn, &id, "junkemail").unwrap();
    assert_ne!(new_id, id);
    graph_error(
        &get(
            &sim,
            &token,
            &format!("/v1.0/users/{upn}/messages/{}", enc(&id)),
        )
        .await,
        404,
        "ErrorItemNotFound",
    );
    let moved = get_with(
        &sim,
        &token,
        &format!("/v1.0/users/{upn}/messages/{}", enc(&immutable)),
        &[("prefer", "IdType=\"ImmutableId\"")],
    )
    .await
    .json();
    assert_eq!(moved["id"], immutable.as_str());
    let junk = get(
        &sim,
        &token,
        &format!("/v1.0/users/{upn}/mailFolders/junkemail"),
    )
    .await
    .json();
    assert_eq!(moved["parentFolderId"], junk["id"]);
}

#[tokio::test]
async fn mail_read_basic_sees_no_body_and_no_content() {
    let sim = sim().await;
    sim.register_app(AppRegistration {
        client_id: "11111111-2222-4333-8444-555555555555".into(),
        client_secret: "basic-secret".into(),
        secret_expired: false,
        roles: vec!["Mail.ReadBasic.All".into()],
        delegated_scopes: Vec::new(),
        redirect_uris: Vec::new(),
        signed_in_user: None,
    });
    let token =
        client_credentials(&sim, "11111111-2222-4333-8444-555555555555", "basic-secret").await;
    let mbx = "/v1.0/users/alex.wilber@contoso.example";
    let list = get(&sim, &token, &format!("{mbx}/messages?$top=1"))
        .await
        .json();
    assert!(list["value"][0].get("body").is_none());
    assert!(list["value"][0]["subject"].is_string());
    graph_error(
        &get(&sim, &token, &format!("{mbx}/messages?$expand=attachments")).await,
        403,
        "ErrorAccessDenied",
    );
    let id = enc(list["value"][0]["id"].as_str().unwrap());
    graph_error(
        &get(&sim, &token, &format!("{mbx}/messages/{id}/$value")).await,
        403,
        "ErrorAccessDenied",
    );
}

#[tokio::test]
async fn inbox_rules_are_listed_in_sequence() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let resp = get(
        &sim,
        &token,
        "/v1.0/users/alex.wilber@contoso.example/mailFolders/inbox/messageRules",
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let rules = resp.json()["value"].as_array().unwrap().clone();
    assert_eq!(rules[0]["displayName"], "forwarding");
    assert_eq!(
        rules[0]["actions"]["forwardTo"][0]["emailAddress"]["address"],
        "x@external.example"
    );
    assert_eq!(rules[0]["sequence"], 1);
    assert_eq!(rules[1]["isEnabled"], true);
    let junk = get(
        &sim,
        &token,
        "/v1.0/users/alex.wilber@contoso.example/mailFolders/junkemail/messageRules",
    )
    .await;
    graph_error(&junk, 400, "ErrorInvalidRequest");
    // The demo delegated token has MailboxSettings.ReadWrite, which covers reading.
    let me = get(
        &sim,
        &delegated_token(&sim).await,
        "/v1.0/me/mailFolders/inbox/messageRules",
    )
    .await;
    assert_eq!(
        me.json()["value"][0]["displayName"],
        "Newsletters to Archive"
    );
}

/// The path and query of an absolute link on the Graph origin.
fn below_origin(link: &Value) -> String {
    link.as_str()
        .unwrap()
        .strip_prefix("https://graph.microsoft.com")
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn delta_pages_by_maxpagesize_then_reports_changes_and_expires() {
    let sim = sim().await;
    let token = delegated_token(&sim).await;
    let upn = "soc.analyst@contoso.example";
    let page_size = [("prefer", "odata.maxpagesize=2, IdType=\"ImmutableId\"")];
    let first = get_with(
        &sim,
        &token,
        "/v1.0/me/mailFolders/inbox/messages/delta?changeType=created&$select=subject,receivedDateTime",
        &page_size,
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first
            .header("preference-applied")
            .unwrap()
            .contains("odata.maxpagesize=2")
    );
    let mut page = first.json();
    let mut initial = Vec::new();
    let delta_link = loop {
        let items = page["value"].as_array().unwrap().clone();
        assert!(items.len() <= 2);
        for m in &items {
            assert!(m.get("body").is_none(), "$select travels in the tokens");
            initial.push(m["subject"].as_str().unwrap().to_string());
        }
        if let Some(next) = page.get("@odata.nextLink") {
            assert!(
                next.as_str().unwrap().contains("$skiptoken=")
                    || next.as_str().unwrap().contains("%24skiptoken=")
            );
            page = get_with(&sim, &token, &below_origin(next), &page_size)
                .await
                .json();
        } else {
            break page["@odata.deltaLink"].clone();
        }
    };
    let listed = get(&sim, &token, "/v1.0/me/mailFolders/inbox/messages?$top=100")
        .await
        .json();
    assert_eq!(
        initial.len(),
        listed["value"].as_array().unwrap().len(),
        "the initial round lists the folder"
    );

    // An old message moved in and a read flag set: only the created one comes.
    let old = sim
        .insert_message(
            upn,
            "junkemail",
            json!({"subject": "old, moved in", "receivedDateTime": "2020-01-01T00:00:00Z"}),
        )
        .unwrap();
    sim.move_message(upn, &old, "inbox").unwrap();
    let some = listed["value"][0]["id"].as_str().unwrap().to_string();
    sim.update_message(upn, &some, json!({"isRead": true}))
        .unwrap();
    let round = get_with(&sim, &token, &below_origin(&delta_link), &page_size).await;
    assert_eq!(round.status, 200, "{}", round.body);
    let round = round.json();
    let subjects: Vec<&str> = round["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["old, moved in"]);
    assert!(round.get("@odata.deltaLink").is_some());

    // Refused options, and a token Graph no longer knows: 410.
    let top = get(
        &sim,
        &token,
        "/v1.0/me/mailFolders/inbox/messages/delta?$top=5",
    )
    .await;
    assert_eq!(top.status, 400, "{}", top.body);
    let filter = get(
        &sim,
        &token,
        "/v1.0/me/mailFolders/inbox/messages/delta?$filter=isRead%20eq%20false",
    )
    .await;
    assert_eq!(filter.status, 400, "{}", filter.body);
    sim.expire_delta_tokens();
    let gone = get(&sim, &token, &below_origin(&round["@odata.deltaLink"])).await;
    graph_error(&gone, 410, "SyncStateNotFound");
}
