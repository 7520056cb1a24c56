//! Get Email Messages, Get Email EMLs, Get Email Attachments, the deprecated Get EML
//! Attachment, and List Message Rules.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use o365_core::files::hashes;
use o365_tests::{Fixture, error_message, json};
use serde_json::Value;

const ALEX: &str = "alex.wilber@contoso.example";
const ADELE: &str = "adele.vance@contoso.example";

fn stored<'a>(f: &Fixture, user: &str, subject: &str, all: &'a mut Vec<Value>) -> &'a Value {
    *all = f.sim.messages_of(user);
    all.iter()
        .find(|m| m["subject"] == subject)
        .unwrap_or_else(|| panic!("no message '{subject}'"))
}

#[tokio::test]
async fn messages_by_id_and_internet_message_id_with_partial_success() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let mut all = Vec::new();
    let invoice = stored(&f, ALEX, "Invoice overdue - action required", &mut all).clone();
    let news = stored(&f, ADELE, "Contoso partner newsletter - March", &mut all).clone();
    // A copy in another folder: the internetMessageId names both.
    f.sim
        .copy_message(ADELE, news["id"].as_str().unwrap(), "archive")
        .unwrap();
    let out = f
        .run(
            &app,
            "get-email-messages",
            json!({"Email Addresses or User IDs": [ALEX, ADELE, ALEX], "Message IDs": [invoice["id"], news["internetMessageId"], "AAMkAGVmMDEzMTM4LTZmYWUAAA=="]}),
        )
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    let got = out.result["raw-data"]["value"].as_array().unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0]["id"], invoice["id"]);
    assert_eq!(got[0]["authentication"]["spf"], "fail");
    assert!(got[0]["internetMessageHeaders"].as_array().unwrap().len() > 5);
    assert_eq!(got[1]["subject"], "Contoso partner newsletter - March");
    assert_eq!(got[2]["internetMessageId"], news["internetMessageId"]);
    assert_ne!(got[1]["parentFolderId"], got[2]["parentFolderId"]);
    let errors = out.result["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["status-code"], 404);
    assert!(
        errors[0]["failure-indicator"]
            .as_str()
            .unwrap()
            .contains(ALEX)
    );
    let items = out.result["raw-data"]["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| i["status"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["succeeded", "succeeded", "failed"]
    );
    assert_eq!(
        items[2]["item"],
        format!("AAMkAGVmMDEzMTM4LTZmYWUAAA== in {ALEX}")
    );
    assert_eq!(items[2]["error"]["statusCode"], 404);
    assert_eq!(
        errors[0]["failure-indicator"],
        format!("Get Email Messages failed for 'AAMkAGVmMDEzMTM4LTZmYWUAAA== in {ALEX}'.")
    );
    // The internetMessageId went through $filter.
    assert!(
        f.queries_to(&format!("/users/{ADELE}/messages"))
            .iter()
            .any(|q| q.contains("$filter=internetMessageId eq '<"))
    );

    // None found: that item fails, on its own.
    let out = f
        .run(&app, "get-email-messages", json!({"Email Addresses or User IDs": [ALEX], "Message IDs": ["<nobody@nowhere.example>"]}))
        .await;
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out).contains("no message with internetMessageId <nobody@nowhere.example>"),
        "{}",
        error_message(&out)
    );

    // Delegated without mailboxes: every id is in /me.
    let conn = f.demo("demo-delegated");
    let mine = stored(
        &f,
        "soc.analyst@contoso.example",
        "Invoice overdue - action required",
        &mut all,
    )
    .clone();
    let out = f
        .run(
            &conn,
            "get-email-messages",
            json!({"Message IDs": [mine["id"]]}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert!(f.requests_to("/v1.0/me/messages/") >= 1);
}

#[tokio::test]
async fn emls_go_to_the_file_store_with_their_hashes() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let mut all = Vec::new();
    let invoice = stored(&f, ALEX, "Invoice overdue - action required", &mut all).clone();
    let out = f
        .run(&app, "get-email-emls", json!({"email-addresses": [ALEX, ALEX], "message-ids": [invoice["id"], "<missing@x.example>"]}))
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    let files = out.result["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    let file = &files[0];
    assert_eq!(file["name"], "Invoice overdue - action required.eml");
    assert_eq!(file["content-type"], "message/rfc822");
    let (_, eml) = f.stored_file(&app, file["file-id"].as_str().unwrap());
    let (md5, sha1, sha256) = hashes(&eml);
    assert_eq!(
        (
            file["md5"].as_str().unwrap(),
            file["sha1"].as_str().unwrap(),
            file["sha256"].as_str().unwrap()
        ),
        (md5.as_str(), sha1.as_str(), sha256.as_str())
    );
    assert_eq!(file["size"], eml.len());
    let text = String::from_utf8_lossy(&eml);
    assert!(
        text.starts_with("Received: from DM6PR11MB4185"),
        "{}",
        &text[..200]
    );
    assert!(text.contains("Subject: Invoice overdue - action required\r\n"));
    assert!(text.contains("filename=\"invoice.pdf.html\""));
    let entry = &out.result["raw-data"]["value"][0];
    assert_eq!(entry["fileId"], file["file-id"]);
    assert_eq!(entry["messageId"], invoice["id"]);
    assert_eq!(
        out.result["key-fields"]["file-ids"],
        json!([file["file-id"]])
    );
}

#[tokio::test]
async fn attachments_of_every_kind_with_a_size_cap() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let big = vec![b'x'; 2 * 1024 * 1024 + 10];
    let id = f
        .sim
        .insert_message(
            ALEX,
            "inbox",
            json!({"subject": "everything attached", "receivedDateTime": "2025-03-08T08:00:00Z", "attachments": [
                {"@odata.type": "#microsoft.graph.fileAttachment", "name": "report.pdf", "contentType": "application/pdf", "contentBytes": STANDARD.encode(b"%PDF-1.7 demo")},
                {"@odata.type": "#microsoft.graph.fileAttachment", "name": "huge.bin", "contentType": "application/octet-stream", "contentBytes": STANDARD.encode(&big)},
                {"@odata.type": "#microsoft.graph.fileAttachment", "name": "logo.png", "contentType": "image/png", "contentBytes": STANDARD.encode(b"\x89PNG"), "isInline": true, "contentId": "logo"},
                {"@odata.type": "#microsoft.graph.itemAttachment", "name": "Original", "item": {"subject": "the original", "receivedDateTime": "2025-03-07T08:00:00Z"}},
                {"@odata.type": "#microsoft.graph.referenceAttachment", "name": "Plan.docx", "sourceUrl": "https://contoso.sharepoint.example/plan.docx", "providerType": "oneDriveBusiness"}
            ]}),
        )
        .unwrap();
    let plain = f
        .sim
        .insert_message(
            ALEX,
            "inbox",
            json!({"subject": "nothing attached", "receivedDateTime": "2025-03-08T09:00:00Z"}),
        )
        .unwrap();
    let out = f
        .run(
            &app,
            "get-email-attachments",
            json!({"Email Addresses or User IDs": [ALEX, ALEX], "Message IDs": [id, plain], "Max Attachment Size (MB)": 1}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let messages = out.result["raw-data"]["value"].as_array().unwrap();
    assert_eq!(
        messages[1]["attachments"],
        json!([]),
        "no attachments: success with no results"
    );
    let entries = messages[0]["attachments"].as_array().unwrap();
    let entry = |name: &str| entries.iter().find(|e| e["name"] == name).unwrap().clone();
    let pdf = entry("report.pdf");
    let (stored_name, bytes) = f.stored_file(&app, pdf["fileId"].as_str().unwrap());
    assert_eq!(
        (stored_name.as_str(), bytes.as_slice()),
        ("report.pdf", b"%PDF-1.7 demo".as_slice())
    );
    assert_eq!(pdf["sha256"], hashes(b"%PDF-1.7 demo").2);
    let huge = entry("huge.bin");
    assert_eq!(huge["skipped"], true);
    assert!(huge["size"].as_u64().unwrap() > 2 * 1024 * 1024);
    assert!(huge.get("fileId").is_none());
    assert_eq!(entry("logo.png")["isInline"], true);
    let item = entry("Original");
    assert_eq!(item["type"], "item");
    assert_eq!(item["fileName"], "Original.eml");
    let (_, mime) = f.stored_file(&app, item["fileId"].as_str().unwrap());
    assert!(String::from_utf8_lossy(&mime).contains("Subject: the original"));
    // Graph's size kept, the bytes stored beside it.
    assert_eq!(pdf["storedSize"], b"%PDF-1.7 demo".len());
    assert!(pdf["size"].is_u64(), "{pdf}");
    assert_eq!(item["storedSize"], mime.len());
    // On v1.0 a reference attachment has no sourceUrl/providerType (beta only): no GET
    // of the attachment for them.
    let link = entry("Plan.docx");
    assert_eq!(link["type"], "reference");
    assert!(link.get("sourceUrl").is_none(), "{link}");
    assert!(link.get("fileId").is_none());
    let single_gets = |f: &Fixture| {
        f.sim
            .requests()
            .iter()
            .filter(|r| r.path.contains("/attachments/") && !r.path.ends_with("/$value"))
            .count()
    };
    assert_eq!(single_gets(&f), 0);
    assert_eq!(out.result["files"].as_array().unwrap().len(), 3);
    assert_eq!(out.result["key-fields"]["skipped"][0]["name"], "huge.bin");
    // Listed without content, read with $value; the skipped one never read.
    assert!(
        f.queries_to("/attachments")
            .iter()
            .any(|q| q.contains("$select=id,name,contentType,size"))
    );
    assert_eq!(f.requests_to("/$value"), 3);

    // The deprecated alias keeps attached messages only.
    let out = f
        .run(
            &app,
            "get-eml-attachment",
            json!({"Email Addresses or User IDs": [ALEX], "Message IDs": [id]}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let names: Vec<&str> = out.result["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Original.eml"]);

    // On beta the cloud link's properties are there and read.
    let mut beta = app.clone();
    beta["api-version"] = json!("beta");
    let out = f
        .run(
            &beta,
            "get-email-attachments",
            json!({"Email Addresses or User IDs": [ALEX], "Message IDs": [id]}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let link = out.result["raw-data"]["value"][0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Plan.docx")
        .unwrap()
        .clone();
    assert_eq!(
        link["sourceUrl"],
        "https://contoso.sharepoint.example/plan.docx"
    );
    assert_eq!(link["providerType"], "oneDriveBusiness");
    assert_eq!(single_gets(&f), 1);
}

#[tokio::test]
async fn message_rules_flag_a_compromised_mailbox() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let out = f
        .run(
            &app,
            "list-message-rules",
            json!({"User Principal Name": ALEX}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let k = &out.result["key-fields"];
    assert_eq!(k["rule-count"], 2);
    assert_eq!(k["forwards-externally"], true);
    assert_eq!(k["suspicious-rule-count"], 1);
    assert_eq!(k["suspicious-rules"][0]["displayName"], "forwarding");
    assert_eq!(
        k["suspicious-rules"][0]["externalRecipients"],
        json!(["x@external.example"])
    );
    assert_eq!(
        out.result["raw-data"]["value"][0]["actions"]["forwardTo"][0]["emailAddress"]["address"],
        "x@external.example"
    );

    let out = f
        .run(
            &app,
            "list-message-rules",
            json!({"User Principal Name": "finance.team@contoso.example", "Rule Name": "INVOICES"}),
        )
        .await;
    let reasons = out.result["key-fields"]["suspicious-rules"][0]["reasons"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0]
            .as_str()
            .unwrap()
            .starts_with("forwards as attachment mail to ap-desk@fabrikam-payments.example")
    );
    assert!(
        reasons[1]
            .as_str()
            .unwrap()
            .starts_with("moves mail and marks it read")
    );

    let out = f
        .run(
            &app,
            "list-message-rules",
            json!({"User Principal Name": ADELE, "Rule Name": "no such rule"}),
        )
        .await;
    assert_eq!(out.status(), "successful");
    assert_eq!(out.result["raw-data"]["value"], json!([]));

    // Delegated: the signed-in user's rules; the domain comes from the token.
    let out = f
        .run(&f.demo("demo-delegated"), "list-message-rules", json!({}))
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(
        out.result["key-fields"]["mailbox-domain"],
        "contoso.example"
    );
    assert_eq!(out.result["key-fields"]["suspicious-rule-count"], 0);
    assert_eq!(f.requests_to("/v1.0/me/mailFolders/inbox/messageRules"), 1);
}
