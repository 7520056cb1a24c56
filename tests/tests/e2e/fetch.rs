//! Fetch Event, Fetch Related Events and the deprecated Search Office 365 Email against
//! the demo mailboxes and generated ones.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use o365_tests::graph_sim::{Fault, FaultKind, MailboxSpec};
use o365_tests::{Fixture, error_message, json};
use serde_json::Value;

const ALEX: &str = "alex.wilber@contoso.example";

fn events(out: &o365_host::Outcome) -> Vec<Value> {
    out.result["events"].as_array().cloned().unwrap_or_default()
}

fn subjects(out: &o365_host::Outcome) -> Vec<Value> {
    events(out)
        .iter()
        .map(|e| e["Email subject"].clone())
        .collect()
}

fn by_subject<'a>(events: &'a [Value], subject: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["Email subject"] == subject)
        .unwrap_or_else(|| panic!("no event '{subject}'"))
}

fn march() -> Value {
    json!({"Mail Folders": ["inbox", "Inbox/Phishing"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06T00:00:00Z", "Number of Event(s) Fetched": 50})
}

#[tokio::test]
async fn fetch_event_maps_every_seed_field_and_enriches_attachments() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-delegated");
    let out = f.run(&conn, "fetch-event", march()).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
    let events = events(&out);
    let raw = out.result["raw-data"]["value"].as_array().unwrap().clone();
    assert_eq!(events.len(), raw.len());
    assert_eq!(events.len(), 7);
    for (e, m) in events.iter().zip(&raw) {
        assert_eq!(e["Event Type"], "Email Alerts");
        assert_eq!(e["Unique Event Key"], m["id"]);
        assert_eq!(e["Message ID"], m["id"]);
        assert_eq!(e["Description"], m["subject"]);
        assert_eq!(e["Message body"], m["body"]["content"]);
        assert_eq!(
            e.as_object().unwrap().len(),
            44,
            "35 mapped fields, the placeholder, 8 extras"
        );
    }

    // Credential phish: verdicts from Authentication-Results, the file's bytes.
    let invoice = by_subject(&events, "Invoice overdue - action required");
    assert_eq!(invoice["Sender"], "billing@fabrikam-payments.example");
    assert_eq!(invoice["Recipient"], json!(["soc.analyst@contoso.example"]));
    assert_eq!(invoice["Importance"], "high");
    assert!(
        invoice["Message Authentication Results"][0]
            .as_str()
            .unwrap()
            .starts_with("spf=fail (sender IP is 203.0.113.7)")
    );
    assert_eq!(invoice["SPF Result"], "fail");
    assert_eq!(invoice["DMARC Result"], "fail");
    assert_eq!(invoice["CompAuth Result"], "fail");
    assert_eq!(invoice["Sender IP"], "203.0.113.7");
    assert_eq!(invoice["Filename"], json!(["invoice.pdf.html"]));
    assert_eq!(invoice["Attachment Name"], json!(["invoice.pdf.html"]));
    assert!(
        invoice["File Content"][0]
            .as_str()
            .unwrap()
            .starts_with("PGh0bWw+")
    );

    // An item attachment: the nested message and its file, stored.
    let fw = by_subject(&events, "FW: Urgent: verify your payroll account");
    assert_eq!(
        fw["Original Email Subject"],
        json!(["Urgent: verify your payroll account"])
    );
    assert_eq!(
        fw["Original sender"],
        json!(["payroll@fabrikam-payments.example"])
    );
    assert_eq!(
        fw["Original recipient"],
        json!(["finance.team@contoso.example"])
    );
    assert_eq!(fw["Original File Name"], json!(["Payroll_Form.docm"]));
    assert!(
        fw["Original Email Body"][0]
            .as_str()
            .unwrap()
            .contains("Enable macros")
    );
    let d3 = &fw["Original EML Item Attachment D3 Files"][0];
    let (name, bytes) = f.stored_file(&conn, d3["fileId"].as_str().unwrap());
    assert_eq!(name, "Payroll_Form.docm");
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let content = STANDARD
        .decode(fw["Original File Content"][0].as_str().unwrap())
        .unwrap();
    assert_eq!(content, bytes, "the stored file is the nested attachment");

    // An attached .eml: header, Received chain, body and hashed attachments.
    let reported = by_subject(&events, "Reported phish: Your mailbox is almost full");
    assert_eq!(
        reported["Original Message File Subject"],
        json!(["Your mailbox is almost full"])
    );
    assert_eq!(
        reported["Original Message File From"],
        json!(["helpdesk@contoso-it-support.example"])
    );
    assert_eq!(
        reported["Original Message File ToRecipients"],
        json!([["alex.wilber@contoso.example"]])
    );
    assert_eq!(
        reported["Original Message File CcRecipients"],
        json!([["servicedesk@contoso.example"]])
    );
    assert_eq!(
        reported["Original Message File Sent DateTime"],
        json!(["2025-02-27T07:41:02Z"])
    );
    let ips = &reported["Original Message File Received IPs"][0];
    assert!(
        ips.as_array().unwrap().contains(&json!("198.51.100.23")),
        "{ips}"
    );
    assert!(
        reported["Original Message File Received Domains"][0]
            .as_array()
            .unwrap()
            .contains(&json!("mail-relay.contoso-it-support.example"))
    );
    assert_eq!(
        reported["Original Message File Attachment Name"],
        json!(["quota-upgrade.html"])
    );
    let file_id = reported["Original Message File Attachment D3 File ID"][0]
        .as_str()
        .unwrap();
    let (_, form) = f.stored_file(&conn, file_id);
    let (md5, sha1, sha256) = o365_core::files::hashes(&form);
    assert_eq!(
        reported["Original Message File Attachment Hash MD5"],
        json!([md5])
    );
    assert_eq!(
        reported["Original Message File Attachment Hash Sha1"],
        json!([sha1])
    );
    assert_eq!(
        reported["Original Message File Attachment Sha256"],
        json!([sha256])
    );
    assert!(String::from_utf8_lossy(&form).contains("passwd"));
    assert!(
        reported["Original Message File Body"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b.as_str().unwrap().contains("98% of its quota"))
    );

    // A real EML from mail-parser's resources, forwarded as a file.
    let map = by_subject(&events, "Fwd: Map of Argentina with Description");
    assert_eq!(
        map["Original Message File From"],
        json!(["vice-president@whitehouse.gov"])
    );
    assert_eq!(
        map["Original Message File Attachment Name"],
        json!(["Map of Argentina with Description.eml"])
    );

    // Only an inline image: Graph says hasAttachments=false, the image is kept.
    let news = raw
        .iter()
        .find(|m| m["subject"] == "Contoso partner newsletter - March")
        .unwrap();
    assert_eq!(news["hasAttachments"], false);
    assert_eq!(news["attachments"][0]["isInline"], true);
    assert_eq!(
        by_subject(&events, "Contoso partner newsletter - March")["Filename"],
        json!(["logo.png"])
    );

    // Every stored file is in the result.
    let files: Vec<&str> = out.result["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file-id"].as_str().unwrap())
        .collect();
    assert!(files.contains(&file_id) && files.contains(&d3["fileId"].as_str().unwrap()));

    // What went over the wire: the window first, oldest first, headers selected,
    // attachments expanded; the path resolved through the folder tree.
    let queries = f.queries_to("/messages");
    let inbox = queries
        .iter()
        .find(|q| q.contains("$filter") && !q.contains("changeType"))
        .unwrap();
    assert!(inbox.contains("$filter=receivedDateTime ge 2025-03-01T00:00:00Z and receivedDateTime le 2025-03-06T00:00:00Z"), "{inbox}");
    assert!(
        inbox.contains("$orderby=receivedDateTime asc") && inbox.contains("$expand=attachments"),
        "{inbox}"
    );
    assert!(inbox.contains("internetMessageHeaders"), "{inbox}");
    assert_eq!(f.requests_to("/v1.0/me/mailFolders/inbox/childFolders"), 1);
    assert!(
        f.requests_to("/attachments/") >= 1,
        "item attachments fetched with their item"
    );
    let order: Vec<&str> = raw
        .iter()
        .filter(|m| m["mailFolder"] == "inbox")
        .map(|m| m["receivedDateTime"].as_str().unwrap())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "oldest first");
}

#[tokio::test]
async fn app_only_names_the_mailbox_and_tolerance_widens_the_start() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let out = f.run(&app, "fetch-event", march()).await;
    assert_eq!(out.status(), "failed");
    assert!(error_message(&out).contains("The parameter 'Email Address' is required when your connection uses the 'Client Credential' Grant Type."));

    f.sim
        .insert_message(
            ALEX,
            "inbox",
            json!({"subject": "late arrival", "receivedDateTime": "2025-02-28T23:55:00Z"}),
        )
        .unwrap();
    let input = |tolerance: u32| json!({"Email Address": ALEX, "Mail Folders": ["Inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-01 12:00", "Tolerance Scope": tolerance});
    let out = f.run(&app, "fetch-event", input(0)).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
    assert_eq!(subjects(&out), [json!("Invoice overdue - action required")]);
    let out = f.run(&app, "fetch-event", input(10)).await;
    assert_eq!(
        subjects(&out),
        [
            json!("late arrival"),
            json!("Invoice overdue - action required")
        ]
    );
    assert!(
        f.queries_to(&format!("/users/{ALEX}/mailFolders/inbox/messages"))
            .last()
            .unwrap()
            .contains("receivedDateTime ge 2025-02-28T23:50:00Z")
    );
}

#[tokio::test]
async fn search_puts_the_window_into_kql_and_applies_it_exactly() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-delegated");
    let out = f
        .run(
            &conn,
            "fetch-event",
            json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 10:00", "End Time": "2025-03-06 00:00", "Search Condition": "subject:invoice OR subject:newsletter"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
    assert_eq!(
        subjects(&out),
        [
            json!("Invoice overdue - action required"),
            json!("Contoso partner newsletter - March")
        ]
    );
    let q = f.queries_to("/mailFolders/inbox/messages").pop().unwrap();
    assert!(q.contains("$search=\"(subject:invoice OR subject:newsletter) AND received>=2025-03-01 AND received<=2025-03-06\""), "{q}");
    assert!(!q.contains("$filter") && !q.contains("$orderby"), "{q}");
}

#[tokio::test]
async fn pages_are_followed_until_the_cap_and_throttling_midway_is_retried() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let spec = MailboxSpec {
        messages: 1_010,
        folders: vec!["Bulk".into()],
        attachment_bytes: 256,
        ..MailboxSpec::default()
    };
    f.sim.generate_messages(ALEX, &spec).unwrap();
    // The third of ten pages is throttled twice before it is served.
    f.sim.inject(
        Fault::new(
            "/messages",
            FaultKind::Status {
                status: 429,
                retry_after: Some("0".into()),
            },
        )
        .query_contains("skip=200")
        .times(2),
    );
    let out = f
        .run(
            &app,
            "fetch-event",
            json!({"Email Address": ALEX, "Mail Folders": ["Bulk"], "Start Time": "2025-01-01 00:00", "End Time": "2025-12-31 00:00", "Number of Event(s) Fetched": 1000}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
    let events = events(&out);
    assert_eq!(events.len(), 1000);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e["Email subject"],
            format!("Generated message {i}: quarterly report")
        );
    }
    assert_eq!(out.result["key-fields"]["more-available"], true);
    let pages: Vec<_> = f
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/messages"))
        .collect();
    let statuses: Vec<u16> = pages.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [200, 200, 429, 429, 200, 200, 200, 200, 200, 200, 200, 200],
        "ten pages of 100, the third retried"
    );
    assert!(pages[0].query.contains("$top=100"), "{}", pages[0].query);
    // The display name was looked up once at the top level; one first
    // round of delta sets up the cursor.
    assert_eq!(
        f.requests_to(&format!("/users/{ALEX}/mailFolders")),
        1 + 1 + pages.len()
    );
}

#[tokio::test]
async fn the_cursor_continues_without_skips_or_duplicates() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    // 30 messages in the same second, then 12 a minute apart.
    for (n, spacing, start) in [(30, 0, 1_760_000_000), (12, 60, 1_760_000_060)] {
        let spec = MailboxSpec {
            messages: n,
            folders: vec!["Cursor".into()],
            start,
            spacing_secs: spacing,
            attachment_every: 0,
            seed: start as u64,
            ..MailboxSpec::default()
        };
        f.sim.generate_messages(ALEX, &spec).unwrap();
    }
    let mut cursor: Option<Value> = None;
    let mut seen = Vec::new();
    let mut runs = 0;
    loop {
        let mut input = json!({"Email Address": ALEX, "Mail Folders": ["Cursor"], "Start Time": "2025-10-01 00:00", "End Time": "2026-01-01 00:00", "Number of Event(s) Fetched": 7});
        if let Some(c) = &cursor {
            input["Cursor"] = c.clone();
        }
        let out = f.run(&app, "fetch-event", input).await;
        assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
        runs += 1;
        let got: Vec<String> = events(&out)
            .iter()
            .map(|e| e["Unique Event Key"].as_str().unwrap().to_string())
            .collect();
        cursor = Some(out.result["context-data"]["cursor"].clone());
        if got.is_empty() {
            break;
        }
        assert!(got.len() <= 7);
        seen.extend(got);
        assert!(runs < 20, "the cursor must advance");
    }
    let all: Vec<String> = f
        .sim
        .messages_of(ALEX)
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().starts_with("Generated"))
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no duplicates");
    assert_eq!(seen.len(), all.len(), "no skips");
    assert_eq!(runs, 42 / 7 + 1);

    // A new message after the cursor comes alone.
    f.sim
        .insert_message(
            ALEX,
            "Cursor",
            json!({"subject": "newcomer", "receivedDateTime": "2025-10-09T10:00:00Z"}),
        )
        .unwrap();
    let out = f
        .run(
            &app,
            "fetch-event",
            json!({"Email Address": ALEX, "Mail Folders": ["Cursor"], "Start Time": "2025-10-01 00:00", "End Time": "2026-01-01 00:00", "Cursor": cursor.unwrap()}),
        )
        .await;
    assert_eq!(subjects(&out), [json!("newcomer")]);
}

#[tokio::test]
async fn a_message_moved_between_two_fetches() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let input = |immutable: bool, folder: &str, cursor: Option<&Value>| {
        let mut v = json!({"Email Address": ALEX, "Mail Folders": [folder], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-02 00:00", "Use Immutable IDs": immutable});
        if let Some(c) = cursor {
            v["Cursor"] = c.clone();
        }
        v
    };
    let first = f.run(&app, "fetch-event", input(true, "inbox", None)).await;
    let before = events(&first)[0].clone();
    assert_eq!(before["Email subject"], "Invoice overdue - action required");
    let immutable_key = before["Unique Event Key"].as_str().unwrap().to_string();
    let plain = f
        .run(&app, "fetch-event", input(false, "inbox", None))
        .await;
    let rest_id = events(&plain)[0]["Unique Event Key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rest_id, immutable_key);
    // Two listings (and the first round of delta of each, for the cursor).
    assert_eq!(
        f.sim
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/mailFolders/inbox/messages"))
            .count(),
        2
    );
    assert_eq!(
        f.sim
            .requests()
            .iter()
            .filter(|r| r.header("prefer") == Some("IdType=\"ImmutableId\""))
            .count(),
        1,
        "the Prefer header went with the immutable run only"
    );

    f.sim
        .move_message(ALEX, &rest_id, "Inbox/Phishing")
        .unwrap();

    // The next scheduled run of the inbox delivers none of the first run's
    // messages again (only what came after its End Time), nor the moved one.
    let again = f
        .run(
            &app,
            "fetch-event",
            input(true, "inbox", Some(&first.result["context-data"]["cursor"])),
        )
        .await;
    let first_keys: Vec<Value> = events(&first)
        .iter()
        .map(|e| e["Unique Event Key"].clone())
        .collect();
    for e in events(&again) {
        assert!(!first_keys.contains(&e["Unique Event Key"]), "{e:#}");
        assert!(e["Received DateTime"].as_str().unwrap() > "2025-03-02");
    }
    // In its new folder it keeps its immutable id, not its REST id.
    let moved = f
        .run(&app, "fetch-event", input(true, "Inbox/Phishing", None))
        .await;
    assert_eq!(
        events(&moved)[0]["Unique Event Key"],
        immutable_key.as_str()
    );
    let moved_plain = f
        .run(&app, "fetch-event", input(false, "Inbox/Phishing", None))
        .await;
    assert_ne!(
        events(&moved_plain)[0]["Unique Event Key"],
        rest_id.as_str()
    );
    // The old REST id is gone; the immutable one still opens the message.
    let got = f
        .run(&app, "get-email-messages", json!({"Email Addresses or User IDs": [ALEX, ALEX], "Message IDs": [rest_id, immutable_key]}))
        .await;
    assert_eq!(got.status(), "partially-successful");
    assert!(
        error_message(&got).contains("ErrorItemNotFound"),
        "{:#}",
        got.result["errors"]
    );
    assert_eq!(
        got.result["raw-data"]["value"][0]["subject"],
        "Invoice overdue - action required"
    );
}

#[tokio::test]
async fn folders_by_display_name_and_unknown_ones() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-delegated");
    let out = f
        .run(
            &conn,
            "fetch-event",
            json!({"Mail Folders": ["Phishing", "No Such Folder"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00"}),
        )
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    assert_eq!(events(&out).len(), 2);
    let errors = out.result["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["failure-indicator"],
        "Fetch Event failed for 'No Such Folder'."
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Mail Folders: no folder 'No Such Folder'")
    );

    let out = f
        .run(&conn, "fetch-event", json!({"Mail Folders": ["AAMkAGI2TGuLAAA="], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00"}))
        .await;
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out).contains("Mail Folders 'AAMkAGI2TGuLAAA=' was not found"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn fetch_related_events_newest_first_within_the_hours() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-delegated");
    let out = f
        .run(
            &conn,
            "fetch-related-events",
            json!({"Mail Folder": "Inbox", "The Hours Before": 6}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
    assert_eq!(
        subjects(&out),
        [
            json!("URGENT: wire transfer before 5pm"),
            json!("Teams meeting recap")
        ]
    );
    assert_eq!(events(&out)[0]["Sender IP"], "203.0.113.99");
    let q = f.queries_to("/mailFolders/inbox/messages").pop().unwrap();
    assert!(q.contains("$orderby=receivedDateTime desc"), "{q}");
    let out = f
        .run(&conn, "fetch-related-events", json!({"Mail Folder": "junkemail", "The Hours Before": "48", "Top Recent Event Number": 1, "Search": "body:label"}))
        .await;
    assert_eq!(
        subjects(&out),
        [json!("Your package could not be delivered")]
    );
}

#[tokio::test]
async fn deprecated_search_is_a_thin_alias() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let out = f
        .run(
            &app,
            "search-office365-email",
            json!({"Email Address": ALEX, "Filter": "from/emailAddress/address eq 'billing@fabrikam-payments.example'"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
    assert_eq!(
        out.result["raw-data"]["value"][0]["subject"],
        "Invoice overdue - action required"
    );
    assert!(events(&out).is_empty());
    assert_eq!(f.requests_to(&format!("/users/{ALEX}/messages")), 1);
}

#[tokio::test]
async fn describe_lists_the_read_commands_with_seed_labels() {
    let f = Fixture::new().await;
    let manifest = f.runtime.describe().await.unwrap();
    let command = |name: &str| {
        manifest["commands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not listed"))
            .clone()
    };
    let labels = |c: &Value| -> Vec<String> {
        c["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["label"].as_str().unwrap().to_string())
            .collect()
    };
    let fetch = command("fetch-event");
    assert_eq!(
        labels(&fetch)[..8],
        [
            "Email Address",
            "Mail Folders",
            "Start Time",
            "End Time",
            "Number of Event(s) Fetched",
            "Filter",
            "Search Condition",
            "Tolerance Scope"
        ]
    );
    let count = &fetch["parameters"][4];
    assert_eq!(
        (
            count["default-value"].as_str(),
            count["param-type"].as_str(),
            count["required"].as_bool()
        ),
        (Some("10"), Some("integer"), Some(false))
    );
    assert_eq!(fetch["parameters"][2]["example"], "2022-01-09 00:00");
    assert_eq!(fetch["permissions"]["delegated"], json!(["Mail.Read"]));
    let related = command("fetch-related-events");
    assert_eq!(
        labels(&related)[..6],
        [
            "Email Address",
            "Mail Folder",
            "The Hours Before",
            "Top Recent Event Number",
            "Filter",
            "Search"
        ]
    );
    for name in [
        "get-email-messages",
        "get-email-emls",
        "get-email-attachments",
    ] {
        assert_eq!(
            labels(&command(name))[..2],
            ["Email Addresses or User IDs", "Message IDs"],
            "{name}"
        );
    }
    let rules = command("list-message-rules");
    assert_eq!(labels(&rules), ["User Principal Name", "Rule Name"]);
    assert_eq!(
        rules["permissions"]["application"],
        json!(["MailboxSettings.Read"])
    );
    assert_eq!(command("search-office365-email")["deprecated"], true);
    assert_eq!(command("get-eml-attachment")["label"], "Get EML Attachment");
}

/// The native Env of the benchmarks runs the same core to the same result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_natively_gives_the_guests_result() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let input = json!({"Email Address": ALEX, "Mail Folders": ["inbox", "Inbox/Phishing"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00"});
    let wasm = f.run(&app, "fetch-event", input).await;
    assert_eq!(wasm.status(), "successful", "{:#}", wasm.result["errors"]);
    assert!(
        wasm.peak_memory_bytes > 1 << 20,
        "the host reports the guest's memory"
    );

    let conn = o365_tests::native::app_connection(&app);
    let env = o365_tests::native::NativeEnv::new(
        tokio::runtime::Handle::current(),
        &f.sim.url(),
        &f.dir.path().join("native"),
        &conn.tenant_id,
    );
    let input = o365_core::commands::fetch_event::Input {
        email_address: Some(ALEX.into()),
        mail_folders: vec!["inbox".into(), "Inbox/Phishing".into()],
        start_time: "2025-03-01 00:00".into(),
        end_time: "2025-03-06 00:00".into(),
        ..Default::default()
    };
    let native = tokio::task::spawn_blocking(move || {
        o365_core::commands::fetch_event::fetch_event(&env, &conn, &input)
    })
    .await
    .unwrap();
    // File ids differ between two stores; everything else is the same.
    let strip = |mut e: Value| {
        for k in [
            "Original EML Item Attachment D3 Files",
            "Original Message File Attachment D3 File ID",
        ] {
            e[k] = Value::Null;
        }
        e
    };
    let wasm_events: Vec<Value> = events(&wasm).into_iter().map(strip).collect();
    let native_events: Vec<Value> = native.events.into_iter().map(strip).collect();
    assert_eq!(wasm_events.len(), 7);
    assert_eq!(wasm_events, native_events);
    assert_eq!(
        wasm.result["context-data"]["cursor"],
        native.context_data["cursor"]
    );
}
