//! RFC 5322 / MIME text of a stored message, for `$value`: the internet
//! headers as received (Received chain, Authentication-Results, ...), the
//! body, and every attachment (files base64, attached items as
//! message/rfc822 parts).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::store::item::{Content, Item};
use crate::time;

/// Headers this module writes itself; stored copies of them are skipped.
const GENERATED: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

fn address_list(v: &Value) -> String {
    let one = |r: &Value| {
        let addr = r["emailAddress"]["address"].as_str().unwrap_or("");
        match r["emailAddress"]["name"].as_str() {
            Some(name) if !name.is_empty() && name != addr => {
                format!("{} <{addr}>", encode_word(name))
            }
            _ => addr.to_string(),
        }
    };
    match v {
        Value::Array(list) => list.iter().map(one).collect::<Vec<_>>().join(", "),
        Value::Object(_) => one(v),
        _ => String::new(),
    }
}

/// An RFC 2047 encoded word when the text is not plain ASCII.
fn encode_word(text: &str) -> String {
    if text.is_ascii() && !text.contains(['"', ',', '<', '>']) {
        text.to_string()
    } else {
        format!("=?utf-8?B?{}?=", STANDARD.encode(text.as_bytes()))
    }
}

/// Base64 in lines of 76 characters.
fn base64_lines(bytes: &[u8], out: &mut Vec<u8>) {
    let encoded = STANDARD.encode(bytes);
    for chunk in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
}

fn header(out: &mut Vec<u8>, name: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.replace(['\r', '\n'], " ").as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// The MIME of an item (a stored message or an attached one).
pub(crate) fn build(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    let props = &item.props;
    let text = |k: &str| props.get(k).and_then(Value::as_str).unwrap_or("");
    if let Some(Value::Array(headers)) = props.get("internetMessageHeaders") {
        for h in headers {
            let name = h["name"].as_str().unwrap_or("");
            if !name.is_empty() && !GENERATED.contains(&name.to_ascii_lowercase().as_str()) {
                header(&mut out, name, h["value"].as_str().unwrap_or(""));
            }
        }
    }
    header(&mut out, "From", &address_list(&props["from"]));
    if props.get("sender") != props.get("from") {
        header(&mut out, "Sender", &address_list(&props["sender"]));
    }
    header(&mut out, "To", &address_list(&props["toRecipients"]));
    header(&mut out, "Cc", &address_list(&props["ccRecipients"]));
    header(&mut out, "Subject", &encode_word(text("subject")));
    let sent = time::parse_iso(text("sentDateTime")).unwrap_or(0);
    header(&mut out, "Date", &time::rfc5322(sent));
    header(&mut out, "Message-ID", text("internetMessageId"));
    header(&mut out, "MIME-Version", "1.0");

    let boundary = {
        let digest = Sha256::digest(text("internetMessageId").as_bytes());
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("_000_{hex}_")
    };
    let body_type = if props["body"]["contentType"].as_str() == Some("text") {
        "text/plain"
    } else {
        "text/html"
    };
    let body = props["body"]["content"].as_str().unwrap_or("");
    let part_header = |out: &mut Vec<u8>| {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    };
    header(
        &mut out,
        "Content-Type",
        &format!("multipart/mixed; boundary=\"{boundary}\""),
    );
    out.extend_from_slice(b"\r\n");
    part_header(&mut out);
    header(
        &mut out,
        "Content-Type",
        &format!("{body_type}; charset=\"utf-8\""),
    );
    header(&mut out, "Content-Transfer-Encoding", "base64");
    out.extend_from_slice(b"\r\n");
    base64_lines(body.as_bytes(), &mut out);

    for a in &item.attachments {
        let disposition = if a.is_inline { "inline" } else { "attachment" };
        match &a.content {
            Content::File {
                bytes, content_id, ..
            } => {
                part_header(&mut out);
                let ct = a
                    .content_type
                    .as_deref()
                    .unwrap_or("application/octet-stream");
                let name = encode_word(&a.name);
                header(&mut out, "Content-Type", &format!("{ct}; name=\"{name}\""));
                header(
                    &mut out,
                    "Content-Disposition",
                    &format!("{disposition}; filename=\"{name}\"; size={}", bytes.len()),
                );
                if let Some(cid) = content_id {
                    header(&mut out, "Content-ID", &format!("<{cid}>"));
                }
                header(&mut out, "Content-Transfer-Encoding", "base64");
                out.extend_from_slice(b"\r\n");
                base64_lines(bytes, &mut out);
            }
            Content::Item(nested) => {
                part_header(&mut out);
                header(&mut out, "Content-Type", "message/rfc822");
                header(
                    &mut out,
                    "Content-Disposition",
                    &format!("{disposition}; filename=\"{}.eml\"", encode_word(&a.name)),
                );
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(&build(nested));
                out.extend_from_slice(b"\r\n");
            }
            // A link is not content: Outlook writes nothing for it in MIME.
            Content::Reference { .. } => {}
        }
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headers_body_and_attachments_are_written() {
        let item = Item::from_json(
            &json!({
                "subject": "Grüße",
                "receivedDateTime": "2025-03-01T10:14:58Z",
                "from": {"emailAddress": {"name": "Billing", "address": "billing@fabrikam.example"}},
                "toRecipients": [{"emailAddress": {"name": "Alex", "address": "alex@contoso.example"}}],
                "internetMessageHeaders": [
                    {"name": "Received", "value": "from mail.fabrikam.example (203.0.113.7) by mx"},
                    {"name": "Subject", "value": "ignored: written from the property"}
                ],
                "body": {"contentType": "html", "content": "<p>hi</p>"},
                "attachments": [
                    {"@odata.type": "#microsoft.graph.fileAttachment", "name": "a.txt", "contentType": "text/plain", "contentBytes": "aGVsbG8="},
                    {"@odata.type": "#microsoft.graph.itemAttachment", "name": "FW: x", "item": {"subject": "inner", "receivedDateTime": "2025-03-01T09:00:00Z"}}
                ]
            }),
            "s",
            "2025-01-01T00:00:00Z",
        )
        .unwrap();
        let text = String::from_utf8(build(&item)).unwrap();
        assert!(text.starts_with("Received: from mail.fabrikam.example (203.0.113.7) by mx\r\n"));
        assert!(text.contains("Subject: =?utf-8?B?"));
        assert!(!text.contains("ignored"));
        assert!(text.contains("To: Alex <alex@contoso.example>"));
        assert!(text.contains("filename=\"a.txt\""));
        assert!(text.contains("aGVsbG8=\r\n"));
        assert!(text.contains("Content-Type: message/rfc822"));
        assert!(text.contains("Subject: inner"));
        assert!(text.ends_with("--\r\n"));
    }
}
