//! A broken or hostile server (issue 11), through the real host: graph-sim's fault modes
//! answer with what no Graph should send, and every command must end with a result that
//! names what was wrong, keeps what was done, and never panics.

use std::time::Duration;

use graph_sim::{Fault, FaultKind};
use o365_tests::{Fixture, error_message, error_status, json};
use serde_json::Value;

const ANALYST: &str = "soc.analyst@contoso.example";
const ALEX: &str = "alex.wilber@contoso.example";

/// No guest panic: a trap comes back as a failed result with status 500 and a backtrace.
fn assert_no_panic(out: &o365_host::Outcome) {
    let text = out.result.to_string();
    assert!(
        !text.contains("wasm backtrace") && !text.contains("panicked"),
        "{text}"
    );
    assert_ne!(error_status(out), 500, "{:#}", out.result);
}

fn messages(out: &o365_host::Outcome) -> Vec<String> {
    out.result["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn list_folders(f: &Fixture) -> o365_host::Outcome {
    f.run(&f.demo("demo-delegated"), "list-mail-folders", json!({}))
        .await
}

#[tokio::test]
async fn a_retry_after_past_any_duration_fails_clearly_without_waiting() {
    let f = Fixture::new().await;
    f.sim.inject(Fault::new(
        "/mailFolders",
        FaultKind::Status {
            status: 429,
            retry_after: Some("1e20".into()),
        },
    ));
    let out = list_folders(&f).await;
    assert_no_panic(&out);
    assert_eq!(out.status(), "failed");
    assert_eq!(error_status(&out), 429);
    assert!(error_message(&out).contains("retry budget"), "{out:?}");
    assert_eq!(f.requests_to("/mailFolders"), 1);
}

#[tokio::test]
async fn a_batch_item_with_an_endless_retry_after_keeps_the_other_outcomes() {
    let f = Fixture::new().await;
    let ids: Vec<Value> = f
        .sim
        .messages_of(ALEX)
        .into_iter()
        .take(3)
        .map(|m| m["id"].clone())
        .collect();
    f.sim.inject(
        Fault::new(
            "/$batch",
            FaultKind::Rewrite(|v| {
                v["responses"][0]["status"] = json!(429);
                v["responses"][0]["headers"] = json!({"Retry-After": "1e20"});
            }),
        )
        .method("POST"),
    );
    let out = f
        .run(
            &f.demo("demo-app"),
            "move-or-copy-email-messages",
            json!({"email-addresses": [ALEX, ALEX, ALEX], "message-ids": ids, "destination-mail-folder": "archive", "move-or-copy": "Move"}),
        )
        .await;
    assert_no_panic(&out);
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    let new_ids = out.result["key-fields"]["new-message-ids"]
        .as_array()
        .unwrap();
    assert_eq!(new_ids.iter().filter(|id| id.is_string()).count(), 2);
    assert!(messages(&out)[0].contains("retry budget"), "{out:?}");
}

#[tokio::test]
async fn folders_that_are_not_objects_fail_with_a_message() {
    let f = Fixture::new().await;
    f.sim.inject(Fault::new(
        "/mailFolders",
        FaultKind::Rewrite(|v| v["value"] = json!([42, "inbox", null])),
    ));
    let out = list_folders(&f).await;
    assert_no_panic(&out);
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out).contains("Item 1 of page 1 of a Graph collection is a number"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn a_message_that_is_an_array_fails_its_item_only() {
    let f = Fixture::new().await;
    let ids: Vec<Value> = f
        .sim
        .messages_of(ANALYST)
        .into_iter()
        .take(2)
        .map(|m| m["id"].clone())
        .collect();
    f.sim
        .inject(Fault::new("/messages/", FaultKind::json(200, json!([1, 2]))).method("GET"));
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "get-email-messages",
            json!({"message-ids": ids}),
        )
        .await;
    assert_no_panic(&out);
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    assert_eq!(out.result["key-fields"]["message-count"], 1);
    assert!(
        error_message(&out).contains("an array where a message object was expected"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn an_access_token_too_long_for_a_header_is_refused() {
    let f = Fixture::new().await;
    f.sim.inject(Fault::new(
        "/oauth2/v2.0/token",
        FaultKind::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "x".repeat(200 * 1024)}),
        ),
    ));
    let out = f
        .run(
            &f.demo("demo-app"),
            "list-mail-folders",
            json!({"email-addresses": [ALEX]}),
        )
        .await;
    assert_no_panic(&out);
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out).contains("access_token of 204800 bytes"),
        "{}",
        error_message(&out)
    );
    assert_eq!(f.requests_to("/mailFolders"), 0);
}

#[tokio::test]
async fn an_endless_token_lifetime_does_not_wrap() {
    let f = Fixture::new().await;
    f.sim.inject(Fault::new(
        "/oauth2/v2.0/token",
        FaultKind::Rewrite(|v| v["expires_in"] = json!(u64::MAX)),
    ));
    let conn = f.demo("demo-app");
    for _ in 0..3 {
        let out = f
            .run(
                &conn,
                "list-mail-folders",
                json!({"email-addresses": [ALEX]}),
            )
            .await;
        assert_eq!(out.status(), "successful", "{:#}", out.result);
    }
    assert_eq!(f.requests_to("/oauth2/v2.0/token"), 1);
}

#[tokio::test]
async fn fetch_keeps_its_window_and_cursor_whatever_dates_graph_sends() {
    let f = Fixture::new().await;
    f.sim.inject(
        Fault::new(
            "/mailFolders/inbox/messages",
            FaultKind::Rewrite(|v| {
                v["value"][0]["receivedDateTime"] = json!("9999-12-31T23:59:59Z");
                v["value"][1]["receivedDateTime"] = json!("garbage-date");
            }),
        )
        .query_contains("$orderby")
        .method("GET"),
    );
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "fetch-event",
            json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06T00:00:00Z", "Number of Event(s) Fetched": 50}),
        )
        .await;
    assert_no_panic(&out);
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    let folder = &out.result["context-data"]["folders"][0];
    assert_eq!(folder["rejected"].as_array().unwrap().len(), 2, "{folder}");
    // The cursor's backlog starts at the newest message delivered, inside the window.
    let mark = out.result["context-data"]["cursor"]["folders"]["inbox"]["delta"]["backlog"]
        ["receivedDateTime"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(mark.as_str() < "2025-03-06T00:00:01Z", "{mark}");
    assert_eq!(out.result["key-fields"]["newest-received"], json!(mark));
    for e in out.result["events"].as_array().unwrap() {
        let at = e["Received DateTime"].as_str().unwrap();
        assert!(
            ("2025-03-01"..="2025-03-06T00:00:00Z").contains(&at),
            "{at}"
        );
    }
    assert!(
        error_message(&out).contains("2 message(s) were not ingested"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn the_attachment_cap_holds_on_the_bytes_not_the_declared_size() {
    let f = Fixture::new().await;
    f.sim.inject(
        Fault::new(
            "/attachments",
            FaultKind::Rewrite(|v| {
                for a in v["value"].as_array_mut().into_iter().flatten() {
                    a["size"] = json!(-1);
                }
            }),
        )
        .method("GET"),
    );
    f.sim.inject(
        Fault::new(
            "/$value",
            FaultKind::Respond {
                status: 200,
                headers: vec![("content-type".into(), "application/pdf".into())],
                body: vec![b'%'; 5 * 1024 * 1024],
            },
        )
        .times(20),
    );
    let out = f
        .run(
            &f.demo("demo-app"),
            "get-email-attachments",
            json!({"Email Addresses or User IDs": [ALEX], "Message IDs": ["<billing.1740824098@mail.fabrikam-payments.example>"], "Max Attachment Size (MB)": 1}),
        )
        .await;
    assert_no_panic(&out);
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(out.result["key-fields"]["file-ids"], json!([]));
    let skipped = out.result["key-fields"]["skipped"].as_array().unwrap();
    assert!(!skipped.is_empty(), "{:#}", out.result);
    let entry = &out.result["raw-data"]["value"][0]["attachments"][0];
    assert!(
        entry["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("More than the 1 MB cap"),
        "{entry}"
    );
}

async fn list_with_next_link(next: &'static str) -> (Fixture, o365_host::Outcome) {
    let f = Fixture::new().await;
    let rewrite: fn(&mut Value) = match next {
        "other-mailbox" => |v| {
            v["@odata.nextLink"] = json!(
                "https://graph.microsoft.com/v1.0/users/alex.wilber@contoso.example/mailFolders?%24top=100&%24skip=1"
            )
        },
        "fragment" => |v| {
            v["@odata.nextLink"] =
                json!("https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=1#@evil.example")
        },
        "loop" => |v| {
            v["@odata.nextLink"] =
                json!("https://graph.microsoft.com/v1.0/me/mailFolders?%24top=100")
        },
        _ => |v| {
            v["@odata.nextLink"] = json!("http://graph.microsoft.com/v1.0/me/mailFolders?%24skip=1")
        },
    };
    f.sim
        .inject(Fault::new("/mailFolders", FaultKind::Rewrite(rewrite)).method("GET"));
    let out = list_folders(&f).await;
    assert_no_panic(&out);
    (f, out)
}

#[tokio::test]
async fn paging_stays_on_its_request_and_keeps_the_pages_read() {
    for (case, expected) in [
        (
            "other-mailbox",
            "names mailbox 'users/alex.wilber@contoso.example'",
        ),
        ("fragment", "fragment"),
        ("loop", "leads back to a page already read"),
        ("http", "http://graph.microsoft.com"),
    ] {
        let (f, out) = list_with_next_link(case).await;
        assert_eq!(
            out.status(),
            "partially-successful",
            "{case}: {:#}",
            out.result
        );
        assert!(
            out.result["key-fields"]["folder-count"].as_u64().unwrap() > 0,
            "{case}"
        );
        assert!(
            error_message(&out).contains(expected),
            "{case}: {}",
            error_message(&out)
        );
        assert_eq!(f.requests_to("/mailFolders"), 1, "{case}: nothing followed");
    }
}

#[tokio::test]
async fn a_cut_body_is_named_as_such() {
    let f = Fixture::new().await;
    f.sim
        .inject(Fault::new("/mailFolders", FaultKind::CutBody).times(5));
    let out = list_folders(&f).await;
    assert_no_panic(&out);
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out).contains("was cut short after 5 attempts"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn a_body_over_the_cap_is_fetched_once() {
    let f = Fixture::new().await;
    f.sim
        .inject(Fault::new("/mailFolders", FaultKind::HugeBody(50 * 1024 * 1024)).times(5));
    let out = list_folders(&f).await;
    assert_no_panic(&out);
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out).contains("larger than the 48 MiB cap"),
        "{}",
        error_message(&out)
    );
    assert_eq!(f.requests_to("/mailFolders"), 1);
}

async fn move_three_with_batch_answer(kind: FaultKind) -> o365_host::Outcome {
    let f = Fixture::new().await;
    let ids: Vec<Value> = f
        .sim
        .messages_of(ALEX)
        .into_iter()
        .take(3)
        .map(|m| m["id"].clone())
        .collect();
    f.sim.inject(Fault::new("/$batch", kind).method("POST"));
    let out = f
        .run(
            &f.demo("demo-app"),
            "move-or-copy-email-messages",
            json!({"email-addresses": [ALEX, ALEX, ALEX], "message-ids": ids, "destination-mail-folder": "archive", "move-or-copy": "Move"}),
        )
        .await;
    assert_no_panic(&out);
    out
}

#[tokio::test]
async fn batch_answers_that_do_not_match_the_batch_are_reported_per_item() {
    // One answer twice, one missing.
    let out = move_three_with_batch_answer(FaultKind::Rewrite(|v| {
        let responses = v["responses"].as_array_mut().unwrap();
        let first = responses[0].clone();
        responses[1] = first;
    }))
    .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    let errors = messages(&out);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|m| m.contains("may have been carried out")),
        "{errors:?}"
    );

    for body in [
        b"<html>gateway</html>".to_vec(),
        br#"{"responses": {"1": {}}}"#.to_vec(),
    ] {
        let out = move_three_with_batch_answer(FaultKind::Respond {
            status: 200,
            headers: vec![],
            body,
        })
        .await;
        assert_eq!(out.status(), "failed", "{:#}", out.result);
        let errors = messages(&out);
        assert!(
            errors
                .iter()
                .all(|m| m.contains("may have been carried out")),
            "{errors:?}"
        );
    }
}

#[tokio::test]
async fn a_slow_server_shows_progress_while_it_is_awaited() {
    let f = Fixture::new().await;
    f.sim.inject(Fault::new(
        "/mailFolders",
        FaultKind::Delay(Duration::from_secs(12)),
    ));
    let out = list_folders(&f).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert!(
        out.logs
            .iter()
            .any(|l| l.message.contains("waiting for graph.microsoft.com")),
        "{:?}",
        out.logs
    );
}

#[tokio::test]
async fn describe_states_the_command_deadline() {
    let f = Fixture::new().await;
    let manifest = f.runtime.describe().await.unwrap();
    for c in manifest["commands"].as_array().unwrap() {
        assert!(
            c["description"]
                .as_str()
                .unwrap()
                .contains("Ends after 300 s at most"),
            "{}",
            c["name"]
        );
    }
}
