//! Events for the fetch commands: one per message, with every field of the
//! vendor document's Fetch Event field-mapping table under its field names,
//! evaluated with the document's own paths, plus a few fields beyond it
//! (authentication verdicts, sending IP, mailbox and folder).

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use super::jsonpath;

/// The event type the document's mapping sets for every event.
pub const EVENT_TYPE: &str = "Email Alerts";

/// The vendor document's table (Main Event JSON Path `$.value`), in its
/// order. The document's "Original Message File Body" path is cut off after
/// `[?(@.content_type=='text/html' |`; it is completed here as html or
/// plain text.
pub const FIELD_MAPPINGS: &[(&str, &str)] = &[
    ("Attachment Name", ".attachments.name"),
    ("CcRecipients", ".ccRecipients"),
    ("Description", ".subject"),
    ("Email subject", ".subject"),
    ("File Content", ".attachments[*].contentBytes"),
    ("Filename", ".attachments[*].name"),
    ("Importance", ".importance"),
    ("Internal message ID", ".internetMessageId"),
    (
        "Message Authentication Results",
        ".internetMessageHeaders[?(@.name==Authentication-Results)].value",
    ),
    ("Message body", ".body.content"),
    ("Message ID", ".id"),
    (
        "Original Email Body",
        ".originalEmail[*].detail.item.body.content",
    ),
    (
        "Original Email CcRecipients",
        ".originalEmail[*].detail.item.ccRecipients",
    ),
    (
        "Original Email Subject",
        ".originalEmail[*].detail.item.subject",
    ),
    (
        "Original EML Item Attachment D3 Files",
        "..originalEmail[*].detail.item.attachments[*]..D3File",
    ),
    (
        "Original File Content",
        ".originalEmail[*].detail.item.attachments[*].contentBytes",
    ),
    (
        "Original File Name",
        ".originalEmail[*].detail.item.attachments[*].name",
    ),
    (
        "Original Message File Attachment D3 File ID",
        "..originalMessageFile[*].attachment[*].fileId",
    ),
    (
        "Original Message File Attachment Hash MD5",
        "..originalMessageFile[*].attachment[*].md5",
    ),
    (
        "Original Message File Attachment Hash Sha1",
        "..originalMessageFile[*].attachment[*].sha1",
    ),
    (
        "Original Message File Attachment Name",
        "..originalMessageFile[*].attachments[*].filename",
    ),
    (
        "Original Message File Attachment Sha256",
        "..originalMessageFile[*].attachment[*].sha256",
    ),
    (
        "Original Message File Body",
        "..originalMessageFile[*].body[?(@.content_type=='text/html' || @.content_type=='text/plain')].content",
    ),
    (
        "Original Message File CcRecipients",
        "..originalMessageFile[*].header.cc",
    ),
    (
        "Original Message File From",
        "..originalMessageFile[*].header.from",
    ),
    (
        "Original Message File Received Domains",
        "..originalMessageFile[*].header.received_domain",
    ),
    (
        "Original Message File Received IPs",
        "..originalMessageFile[*].header.received_ip",
    ),
    (
        "Original Message File Sent DateTime",
        "..originalMessageFile[*].header.date",
    ),
    (
        "Original Message File Subject",
        "..originalMessageFile[*].header.subject",
    ),
    (
        "Original Message File ToRecipients",
        "..originalMessageFile[*].header.to",
    ),
    (
        "Original recipient",
        ".originalEmail[*].detail.item.toRecipients[*].emailAddress.address",
    ),
    (
        "Original sender",
        ".originalEmail[*].detail.item.sender.emailAddress.address",
    ),
    ("Recipient", ".toRecipients[*].emailAddress.address"),
    ("Sender", ".sender.emailAddress.address"),
    ("Unique Event Key", ".id"),
];

/// Fields beyond the document: our enrichments, for rules and dashboards.
const EXTRA_FIELDS: &[(&str, &str)] = &[
    ("Received DateTime", ".receivedDateTime"),
    ("Mailbox", ".mailbox"),
    ("Mail Folder", ".mailFolder"),
    ("SPF Result", ".authentication.spf"),
    ("DKIM Result", ".authentication.dkim"),
    ("DMARC Result", ".authentication.dmarc"),
    ("CompAuth Result", ".authentication.compauth"),
    ("Sender IP", ".authentication.senderIp"),
];

struct Mappings {
    /// Every field with its path, parsed.
    fields: Vec<(&'static str, jsonpath::Path)>,
    /// The names paths descend to from the message (`..name`), to find in one walk.
    descents: Vec<String>,
}

fn mappings() -> &'static Mappings {
    static PARSED: OnceLock<Mappings> = OnceLock::new();
    PARSED.get_or_init(|| {
        let fields: Vec<_> = FIELD_MAPPINGS
            .iter()
            .chain(EXTRA_FIELDS)
            .map(|(field, path)| (*field, jsonpath::Path::parse(path)))
            .collect();
        let mut descents: Vec<String> = Vec::new();
        for (_, path) in &fields {
            if let Some(name) = path.root_descent()
                && !descents.iter().any(|d| d == name)
            {
                descents.push(name.to_string());
            }
        }
        Mappings { fields, descents }
    })
}

/// The event of one (enriched) message.
pub fn event(message: &Value) -> Value {
    let mappings = mappings();
    let mut event = Map::new();
    event.insert("Event Type".into(), json!(EVENT_TYPE));
    let mut memo = jsonpath::Memo::walk(message, &mappings.descents);
    for (field, path) in &mappings.fields {
        event.insert((*field).into(), path.select(message, &mut memo));
    }
    Value::Object(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_field_is_present() {
        let m = json!({
            "id": "AAMk1", "subject": "Invoice", "importance": "high",
            "sender": {"emailAddress": {"address": "s@x"}},
            "toRecipients": [{"emailAddress": {"address": "r@x"}}],
            "internetMessageHeaders": [{"name": "Authentication-Results", "value": "spf=fail"}],
            "authentication": {"spf": "fail", "senderIp": "203.0.113.7"},
        });
        let e = event(&m);
        assert_eq!(e["Event Type"], "Email Alerts");
        assert_eq!(e["Unique Event Key"], "AAMk1");
        assert_eq!(e["Sender"], "s@x");
        assert_eq!(e["Recipient"], json!(["r@x"]));
        assert_eq!(e["Message Authentication Results"], json!(["spf=fail"]));
        assert_eq!(e["Original Email Subject"], json!([]));
        assert_eq!(e["Sender IP"], "203.0.113.7");
        // 35 mapped fields, the placeholder and 8 extras.
        assert_eq!(
            e.as_object().unwrap().len(),
            FIELD_MAPPINGS.len() + 1 + EXTRA_FIELDS.len()
        );
        assert_eq!(FIELD_MAPPINGS.len(), 35);
    }
}
