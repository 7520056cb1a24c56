//! Move or Copy, Delete, their deprecated aliases, and Search and Move or Copy: the real
//! component against graph-sim, checked against the simulator's mailboxes.

use graph_sim::{Fault, FaultKind};
use o365_tests::{Fixture, error_message, json};
use serde_json::Value;

const ANALYST: &str = "soc.analyst@contoso.example";
const ALEX: &str = "alex.wilber@contoso.example";
const ADELE: &str = "adele.vance@contoso.example";
const INVOICE: &str = "Invoice overdue - action required";

fn message(f: &Fixture, user: &str, subject: &str) -> Value {
    f.sim
        .messages_of(user)
        .into_iter()
        .find(|m| m["subject"] == subject)
        .unwrap_or_else(|| panic!("no '{subject}' in {user}"))
}

fn folder_id(f: &Fixture, user: &str, name: &str) -> Value {
    f.sim
        .folders_of(user)
        .into_iter()
        .find(|x| x["displayName"] == name)
        .map(|x| x["id"].clone())
        .unwrap()
}

/// Ids of the first `n` messages of the user's inbox.
fn inbox_ids(f: &Fixture, user: &str, n: usize) -> Vec<String> {
    let inbox = folder_id(f, user, "Inbox");
    f.sim
        .messages_of(user)
        .into_iter()
        .filter(|m| m["parentFolderId"] == inbox)
        .take(n)
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

fn batches(f: &Fixture) -> Vec<Value> {
    f.http_log()
        .into_iter()
        .filter(|e| e["url"].as_str().unwrap().ends_with("/$batch"))
        .collect()
}

#[tokio::test]
async fn move_by_id_and_internet_message_id_returns_new_ids_with_partial_success() {
    let f = Fixture::new().await;
    let alex_invoice = message(&f, ALEX, INVOICE);
    let adele_invoice = message(&f, ADELE, INVOICE);
    let out = f
        .run(
            &f.demo("demo-app"),
            "move-or-copy-email-messages",
            json!({
                "Email Addresses or User IDs": [ALEX, ADELE, ALEX],
                "Message IDs": [alex_invoice["id"], adele_invoice["internetMessageId"], "AAMkAGnope00000000000A=="],
                "Destination Mail Folder": "Junk Email",
                "Move or Copy": "Move",
            }),
        )
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    let new_ids = out.result["key-fields"]["new-message-ids"]
        .as_array()
        .unwrap();
    assert_eq!(new_ids.len(), 3);
    assert!(new_ids[2].is_null());
    // Each message is now in its owner's Junk Email folder, under the new id.
    for (user, id) in [(ALEX, &new_ids[0]), (ADELE, &new_ids[1])] {
        let now = message(&f, user, INVOICE);
        assert_eq!(&now["id"], id);
        assert_eq!(now["parentFolderId"], folder_id(&f, user, "Junk Email"));
    }
    assert_ne!(
        new_ids[0], alex_invoice["id"],
        "a moved message gets a new id"
    );
    let errors = out.result["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["status-code"], 404);
    assert_eq!(
        errors[0]["failure-indicator"],
        format!("Move or Copy Email Messages failed for 'AAMkAGnope00000000000A== in {ALEX}'.")
    );
    // The internetMessageId lookup and the moves each went out as one batch.
    assert_eq!(batches(&f).len(), 2);
}

#[tokio::test]
async fn copy_leaves_the_original_and_delegated_uses_me() {
    let f = Fixture::new().await;
    let original = message(&f, ANALYST, INVOICE);
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "move-or-copy-email-messages",
            json!({"message-ids": [original["id"]], "destination-mail-folder": "archive", "move-or-copy": "copy"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let copies: Vec<Value> = f
        .sim
        .messages_of(ANALYST)
        .into_iter()
        .filter(|m| m["subject"] == INVOICE)
        .collect();
    assert_eq!(copies.len(), 2);
    assert!(copies.iter().any(|m| m["id"] == original["id"]));
    assert!(
        copies
            .iter()
            .any(|m| m["parentFolderId"] == folder_id(&f, ANALYST, "Archive"))
    );
    assert_eq!(
        f.requests_to("/v1.0/me/messages/"),
        1,
        "the batched copy went to /me"
    );
}

#[tokio::test]
async fn throttled_batch_items_are_retried_after_their_retry_after() {
    let f = Fixture::new().await;
    let ids = inbox_ids(&f, ALEX, 25);
    f.sim.inject(
        Fault::new(
            "/move",
            FaultKind::Status {
                status: 429,
                retry_after: Some("0.2".into()),
            },
        )
        .times(2),
    );
    let out = f
        .run(
            &f.demo("demo-app"),
            "move-or-copy-email-messages",
            json!({"email-addresses": vec![ALEX; 25], "message-ids": ids, "destination-mail-folder": "archive", "move-or-copy": "Move"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let b = batches(&f);
    let sizes: Vec<usize> = b
        .iter()
        .map(|e| e["request-body"]["requests"].as_array().unwrap().len())
        .collect();
    // 20 + 5, then the two throttled items again, after their Retry-After.
    assert_eq!(sizes, vec![20, 5, 2]);
    assert!(
        out.logs.iter().any(|l| l
            .message
            .contains("2 batched request(s) throttled; retrying in 0.2 s")),
        "{:?}",
        out.logs
    );
    let archive = folder_id(&f, ALEX, "Archive");
    let moved = out.result["key-fields"]["new-message-ids"]
        .as_array()
        .unwrap();
    assert!(moved.iter().all(|id| {
        f.sim
            .messages_of(ALEX)
            .iter()
            .any(|m| &m["id"] == id && m["parentFolderId"] == archive)
    }));
}

#[tokio::test]
async fn delete_and_the_deprecated_aliases() {
    let f = Fixture::new().await;
    let ids = inbox_ids(&f, ALEX, 3);
    let app = f.demo("demo-app");
    let out = f
        .run(
            &app,
            "delete-email-message",
            json!({"email-addresses": [ALEX], "message-ids": [ids[0]]}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert!(
        !f.sim
            .messages_of(ALEX)
            .iter()
            .any(|m| m["id"] == ids[0].as_str())
    );
    let out = f
        .run(
            &app,
            "remove-office365-email",
            json!({"email-addresses": [ALEX, ALEX], "message-ids": [ids[1], ids[0]]}),
        )
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    assert!(error_message(&out).contains("ErrorItemNotFound"));
    assert!(
        out.result["errors"][0]["failure-indicator"]
            .as_str()
            .unwrap()
            .starts_with("Remove Office 365 Email failed for")
    );
    let out = f
        .run(
            &app,
            "move-email-to-junk-box",
            json!({"Email Addresses or User IDs": [ALEX], "Message IDs": [ids[2]]}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let junk = folder_id(&f, ALEX, "Junk Email");
    let new_id = &out.result["key-fields"]["new-message-ids"][0];
    assert!(
        f.sim
            .messages_of(ALEX)
            .iter()
            .any(|m| &m["id"] == new_id && m["parentFolderId"] == junk)
    );
}

#[tokio::test]
async fn tenant_wide_search_and_move_reports_every_mailbox() {
    let f = Fixture::new().await;
    let out = f
        .run(
            &f.demo("demo-app"),
            "search-and-move-or-copy-email-messages",
            json!({"Sender Email Address": "billing@fabrikam-payments.example", "Email Subject": INVOICE,
                   "Destination Mail Folder": "junkemail", "Move or Copy": "Move"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let per: Vec<(String, String, String)> = out.result["raw-data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["item"].as_str().unwrap().to_string(),
                m["status"].as_str().unwrap().to_string(),
                m["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(per.len(), 6, "{per:?}");
    assert_eq!(
        per.iter()
            .filter(|(_, s, o)| s == "succeeded" && o == "moved")
            .count(),
        5
    );
    assert!(
        per.iter()
            .any(|(m, s, _)| m.contains("#EXT#") && s == "skipped")
    );
    for user in [ANALYST, ALEX, ADELE] {
        assert_eq!(
            message(&f, user, INVOICE)["parentFolderId"],
            folder_id(&f, user, "Junk Email")
        );
    }
    // Six searches in one batch, five moves in one batch, plus the user list and the token.
    assert_eq!(batches(&f).len(), 2);
    assert_eq!(f.http_log().len(), 4);
}

#[tokio::test]
async fn dry_run_lists_matches_and_changes_nothing() {
    let f = Fixture::new().await;
    let before = f.sim.messages_of(ANALYST);
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "search-and-move-or-copy-email-messages",
            json!({"email-subject": INVOICE, "destination-mail-folder": "Archive", "move-or-copy": "Move", "dry-run": true}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(out.result["key-fields"]["matched"], 1);
    assert_eq!(out.result["raw-data"]["items"][0]["outcome"], "would-act");
    assert_eq!(out.result["raw-data"]["items"][0]["item"], "me");
    assert_eq!(
        out.result["raw-data"]["items"][0]["data"]["messages"][0]["id"],
        message(&f, ANALYST, INVOICE)["id"]
    );
    assert_eq!(f.sim.messages_of(ANALYST), before, "nothing moved");
    assert_eq!(f.requests_to("/move"), 0);
}

#[tokio::test]
async fn describe_lists_the_act_commands_with_seed_labels() {
    let f = Fixture::new().await;
    let manifest = f.runtime.describe().await.unwrap();
    let commands = manifest["commands"].as_array().unwrap();
    let find = |name: &str| {
        commands
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let labels = |c: &Value| -> Vec<String> {
        c["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["label"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        labels(find("send-mail")),
        vec![
            "Mailbox Address",
            "Subject",
            "Content",
            "To Recipients",
            "CC Recipients",
            "BCC Recipients",
            "File IDs",
            "File Source",
            "Reply Mode",
            "Reply Due Time",
            "Send As",
            "Reply To"
        ]
    );
    assert_eq!(
        labels(find("move-or-copy-email-messages")),
        vec![
            "Email Addresses or User IDs",
            "Message IDs",
            "Destination Mail Folder",
            "Move or Copy"
        ]
    );
    assert_eq!(
        find("report-emails")["permissions"]["application"],
        json!([])
    );
    assert_eq!(
        find("remove-licenses")["parameters"][0]["label"],
        "User ID or Email Address"
    );
    for deprecated in ["move-email-to-junk-box", "remove-office365-email"] {
        assert_eq!(find(deprecated)["deprecated"], true);
    }
    assert_eq!(
        find("send-mail")["parameters"][8]["choices"][5],
        "First to Approve / Reject"
    );
}
