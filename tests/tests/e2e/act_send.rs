//! Send Mail, Reply Mail and Reply All: drafts, attachments (inline, posted, upload
//! sessions on the Outlook upload host), delivery inside the tenant, reply tracking, and
//! a lost answer to `send` that must not produce a second mail.

use graph_sim::{Fault, FaultKind};
use o365_host::RuntimeConfig;
use o365_tests::{Fixture, Options, error_message, error_status, json};
use serde_json::Value;

const ANALYST: &str = "soc.analyst@contoso.example";
const ALEX: &str = "alex.wilber@contoso.example";
const ADELE: &str = "adele.vance@contoso.example";

fn with_response_page(config: &mut RuntimeConfig) {
    config.response_link_base = Some("https://soar.example/respond/".into());
}

fn received(f: &Fixture, user: &str, subject: &str) -> Vec<Value> {
    f.sim
        .messages_of(user)
        .into_iter()
        .filter(|m| m["subject"] == subject)
        .collect()
}

fn folder_id(f: &Fixture, user: &str, name: &str) -> Value {
    f.sim
        .folders_of(user)
        .into_iter()
        .find(|x| x["displayName"] == name)
        .map(|x| x["id"].clone())
        .unwrap()
}

#[tokio::test]
async fn waiting_reply_mode_returns_a_tracking_record_and_the_link_is_filled_in() {
    let f = Fixture::with(Options {
        configure: Some(with_response_page),
        ..Options::default()
    })
    .await;
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "send-mail",
            json!({"Subject": "Confirm the sign-in", "To Recipients": ["Alex Wilber <alex.wilber@contoso.example>"],
                   "Content": "<p><a href=\"<<EmailResponseLink>>\">It was me</a></p>",
                   "Reply Mode": "Require Reply", "Reply Due Time": 30}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let t = &out.result["key-fields"]["reply-tracking"];
    let link = format!(
        "https://soar.example/respond/{}",
        t["tracking-id"].as_str().unwrap()
    );
    assert_eq!(t["response-link"], link);
    assert_eq!(t["reply-due-minutes"], 30);
    let got = received(&f, ALEX, "Confirm the sign-in");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["internetMessageId"], t["internet-message-id"]);
    assert_eq!(got[0]["conversationId"], t["conversation-id"]);
    assert_eq!(
        got[0]["body"]["content"],
        format!("<p><a href=\"{link}\">It was me</a></p>")
    );
    let sent = received(&f, ANALYST, "Confirm the sign-in");
    assert_eq!(sent.len(), 1, "one copy in Sent Items, no draft left");
    assert_eq!(
        sent[0]["parentFolderId"],
        folder_id(&f, ANALYST, "Sent Items")
    );
}

#[tokio::test]
async fn a_10_mb_file_goes_up_in_chunks_without_a_token() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let big: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let big_id = f.put_file(&app, "memory.dmp", "application/octet-stream", &big);
    let small_id = f.put_file(&app, "iocs.txt", "text/plain", b"203.0.113.7\n");
    let out = f
        .run(
            &app,
            "send-mail",
            json!({"mailbox-address": ANALYST, "subject": "Evidence", "to-recipients": [ADELE],
                   "cc-recipients": [ALEX], "file-ids": [big_id, small_id], "file-source": "Playbook File"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let puts: Vec<_> = f
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 3, "4 + 4 + 2 MB");
    for p in &puts {
        assert!(p.path.starts_with("/api/v2.0/"), "{}", p.path);
        assert_eq!(p.header("x-forwarded-host"), Some("outlook.office.com"));
        assert!(
            p.header("authorization").is_none(),
            "no token on the upload URL"
        );
        let range = p.header("content-range").unwrap();
        let (a, b) = range["bytes ".len()..]
            .split('/')
            .next()
            .unwrap()
            .split_once('-')
            .unwrap();
        let len = b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1;
        assert!(len <= 4 * 1024 * 1024, "{range}");
    }
    assert_eq!(
        puts[2].header("content-range"),
        Some(format!("bytes 8388608-{}/{}", big.len() - 1, big.len()).as_str())
    );
    for user in [ADELE, ALEX] {
        let got = received(&f, user, "Evidence");
        assert_eq!(got.len(), 1, "{user}");
        let names: Vec<&str> = got[0]["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["iocs.txt", "memory.dmp"]);
    }
    // The upload URL's credential never reaches the HTTP log.
    let token = puts[0]
        .query
        .split('&')
        .find_map(|p| p.strip_prefix("authtoken="))
        .unwrap()
        .to_string();
    let log = f.http_log_text();
    assert!(log.contains("authtoken=[REDACTED]"));
    assert!(!log.contains(&token));
    assert_eq!(f.sim.open_upload_sessions(), 0);
}

#[tokio::test]
async fn a_lost_answer_to_send_does_not_send_a_second_mail() {
    let f = Fixture::new().await;
    f.sim
        .inject(Fault::new("/send", FaultKind::LoseResponse).method("POST"));
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "send-mail",
            json!({"subject": "Exactly once", "to-recipients": [ALEX], "content": "<p>hi</p>"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(
        out.result["key-fields"]["delivery"],
        "confirmed-after-lost-answer"
    );
    assert_eq!(received(&f, ALEX, "Exactly once").len(), 1);
    assert_eq!(f.requests_to("/send"), 1, "send went out once");
}

#[tokio::test]
async fn send_as_without_the_right_fails_and_leaves_no_draft() {
    let f = Fixture::new().await;
    let out = f
        .run(
            &f.demo("demo-app"),
            "send-mail",
            json!({"mailbox-address": ALEX, "subject": "Spoof", "to-recipients": [ADELE], "send-as": "finance.team@contoso.example"}),
        )
        .await;
    assert_eq!(out.status(), "failed", "{:#}", out.result);
    assert_eq!(error_status(&out), 403);
    assert!(error_message(&out).starts_with("ErrorSendAsDenied"));
    let drafts = folder_id(&f, ALEX, "Drafts");
    assert!(
        !received(&f, ALEX, "Spoof")
            .iter()
            .any(|m| m["parentFolderId"] == drafts),
        "the draft was deleted"
    );
    assert!(received(&f, ADELE, "Spoof").is_empty());

    // With the Send As right the same mail goes out, from the finance address.
    f.sim.grant_send_as(ALEX, "finance.team@contoso.example");
    let out = f
        .run(
            &f.demo("demo-app"),
            "send-mail",
            json!({"mailbox-address": ALEX, "subject": "On behalf", "to-recipients": [ADELE], "send-as": "finance.team@contoso.example"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let got = received(&f, ADELE, "On behalf");
    assert_eq!(
        got[0]["from"]["emailAddress"]["address"],
        "finance.team@contoso.example"
    );
}

#[tokio::test]
async fn large_files_fail_clearly_in_gcc_high_without_http() {
    let f = Fixture::new().await;
    let mut conn = f.demo("demo-app");
    conn["environment"] = json!("gcc-high");
    let id = f.put_file(
        &conn,
        "dump.bin",
        "application/octet-stream",
        &vec![0; 3 * 1024 * 1024],
    );
    let out = f
        .run(
            &conn,
            "send-mail",
            json!({"mailbox-address": ANALYST, "subject": "x", "to-recipients": [ALEX], "file-ids": [id]}),
        )
        .await;
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out)
            .contains("upload sessions, which Microsoft does not offer in the GCC High (L4) cloud"),
        "{}",
        error_message(&out)
    );
    assert!(f.sim.requests().is_empty());
}

#[tokio::test]
async fn plain_reply_and_reply_all_through_a_draft() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    // Adele writes to Alex (cc the analyst); Alex answers.
    let out = f
        .run(
            &app,
            "send-mail",
            json!({"mailbox-address": ADELE, "subject": "Suspicious MFA prompt", "to-recipients": [ALEX], "cc-recipients": [ANALYST]}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let original = received(&f, ALEX, "Suspicious MFA prompt").remove(0);
    let out = f
        .run(
            &app,
            "reply-mail",
            json!({"Sender Email": ALEX, "Message ID": original["id"], "Content": "Not me."}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(out.result["key-fields"]["flow"], "direct");
    let back = received(&f, ADELE, "RE: Suspicious MFA prompt");
    assert_eq!(back.len(), 1);
    assert!(
        back[0]["body"]["content"]
            .as_str()
            .unwrap()
            .contains("Not me.")
    );
    assert!(
        received(&f, ANALYST, "RE: Suspicious MFA prompt").is_empty(),
        "reply, not reply-all"
    );

    let file = f.put_file(&app, "screenshot.png", "image/png", b"\x89PNG....");
    let out = f
        .run(
            &app,
            "reply-all",
            json!({"sender-email": ALEX, "message-id": original["internetMessageId"], "subject": "Escalated: MFA fatigue",
                   "content": "See attached.", "file-ids": [file]}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(out.result["key-fields"]["flow"], "draft");
    for user in [ADELE, ANALYST] {
        let got = received(&f, user, "Escalated: MFA fatigue");
        assert_eq!(got.len(), 1, "{user}");
        assert_eq!(got[0]["attachments"][0]["name"], "screenshot.png");
    }
}
