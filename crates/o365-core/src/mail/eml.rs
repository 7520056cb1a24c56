//! Attached `.eml` files, parsed for the vendor document's "Original Message
//! File" mappings: `header` (from, to, cc, subject, date, received_ip,
//! received_domain), `body` parts by content type, and `attachment` entries
//! with file name, size, hashes and the id of the file in the host's store.
//! The shapes follow the document's paths (`header.received_ip`,
//! `body[].content_type`, `attachment[].md5`, `attachments[].filename`).

use mail_parser::{Address, MessageParser, MimeHeaders, PartType};
use serde_json::{Value, json};

use super::headers::{self, Hop};
use crate::env::Env;
use crate::error::Error;
use crate::files;
use crate::model::StoredFile;

/// Largest attached message parsed (bigger ones are reported, not parsed).
pub const MAX_EML_BYTES: usize = 25 * 1024 * 1024;

/// Whether a file attachment is an RFC 822 message.
pub fn is_eml(name: &str, content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    ct.starts_with("message/rfc822") || name.to_ascii_lowercase().ends_with(".eml")
}

fn addresses(a: Option<&Address<'_>>) -> Vec<String> {
    a.map(|a| {
        a.iter()
            .filter_map(|addr| addr.address().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

/// A parsed `.eml` and the files its attachments became.
pub struct Parsed {
    pub json: Value,
    pub files: Vec<StoredFile>,
}

/// Parses `data` and stores its attachments in the file store.
pub fn parse(env: &dyn Env, file_name: &str, data: &[u8]) -> Result<Parsed, Error> {
    if data.len() > MAX_EML_BYTES {
        return Ok(Parsed {
            json: json!({"fileName": file_name, "size": data.len(), "error": "too large to parse"}),
            files: Vec::new(),
        });
    }
    let message = MessageParser::new()
        .parse(data)
        .ok_or_else(|| Error::Protocol(format!("'{file_name}' is not an RFC 822 message.")))?;
    let hops: Vec<Hop> = message.received_all().map(headers::hop).collect();
    let (received_ip, received_domain) = headers::chain_summary(&hops);
    let raw_headers: Vec<(String, String)> = message
        .headers_raw()
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();
    let header = json!({
        "from": addresses(message.from()).first().cloned().unwrap_or_default(),
        "to": addresses(message.to()),
        "cc": addresses(message.cc()),
        "subject": message.subject().unwrap_or(""),
        "date": message.date().map(|d| d.to_rfc3339()),
        "message_id": message.message_id(),
        "received_ip": received_ip,
        "received_domain": received_domain,
    });

    let mut body = Vec::new();
    let mut seen = Vec::new();
    for id in message.text_body.iter().chain(&message.html_body) {
        if seen.contains(id) {
            continue;
        }
        seen.push(*id);
        match message.parts.get(*id as usize).map(|p| &p.body) {
            Some(PartType::Text(t)) => {
                body.push(json!({"content_type": "text/plain", "content": t}))
            }
            Some(PartType::Html(t)) => {
                body.push(json!({"content_type": "text/html", "content": t}))
            }
            _ => {}
        }
    }

    let mut entries = Vec::new();
    let mut stored = Vec::new();
    for (i, part) in message.attachments().enumerate() {
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{sub}", ct.ctype()),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        let name = match (part.attachment_name(), part.message()) {
            (Some(n), _) => n.to_string(),
            (None, Some(nested)) => format!("{}.eml", nested.subject().unwrap_or("message")),
            (None, None) => format!("attachment-{}", i + 1),
        };
        let name = files::safe_name(&name, &format!("attachment-{}", i + 1));
        let contents = part.contents();
        let file = files::store(env, &name, &content_type, contents)?;
        entries.push(json!({
            "filename": name,
            "size": contents.len(),
            "contentType": content_type,
            "isInline": part.is_content_type("image", "") && part.content_id().is_some(),
            "fileId": file.file_id,
            "md5": file.md5,
            "sha1": file.sha1,
            "sha256": file.sha256,
        }));
        stored.push(file);
    }
    Ok(Parsed {
        json: json!({
            "fileName": file_name,
            "size": data.len(),
            "header": header,
            "body": body,
            // The document reads hashes and file ids from `attachment` and
            // file names from `attachments`: both carry the same entries.
            "attachment": entries.clone(),
            "attachments": entries,
            "authentication": headers::authentication(&raw_headers),
        }),
        files: stored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeEnv;

    const EML: &[u8] = b"Received: from mail.evil.example (mail.evil.example [203.0.113.9]) by mx.contoso.example with ESMTPS; Thu, 27 Feb 2025 07:41:07 +0000\r\n\
Received: from [192.168.1.5] by mail.evil.example with ESMTPA; Thu, 27 Feb 2025 07:41:05 +0000\r\n\
Authentication-Results: mx.contoso.example; spf=fail smtp.mailfrom=evil.example; dkim=none\r\n\
From: IT <helpdesk@evil.example>\r\nTo: a@contoso.example, b@contoso.example\r\nCc: c@contoso.example\r\n\
Subject: Your mailbox is almost full\r\nDate: Thu, 27 Feb 2025 07:41:02 +0000\r\nMessage-ID: <q@evil.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nplain body\r\n\
--b\r\nContent-Type: text/html; name=\"form.html\"\r\nContent-Disposition: attachment; filename=\"form.html\"\r\n\r\n<form></form>\r\n\
--b--\r\n";

    #[test]
    fn header_body_and_attachments() {
        let env = FakeEnv::new(vec![]).with_files();
        let p = parse(&env, "q.eml", EML).unwrap();
        let h = &p.json["header"];
        assert_eq!(h["from"], "helpdesk@evil.example");
        assert_eq!(h["to"], json!(["a@contoso.example", "b@contoso.example"]));
        assert_eq!(h["cc"], json!(["c@contoso.example"]));
        assert_eq!(h["subject"], "Your mailbox is almost full");
        assert_eq!(h["date"], "2025-02-27T07:41:02Z");
        assert_eq!(h["received_ip"], json!(["203.0.113.9", "192.168.1.5"]));
        assert_eq!(h["received_domain"], json!(["mail.evil.example"]));
        assert_eq!(
            p.json["body"][0],
            json!({"content_type": "text/plain", "content": "plain body"})
        );
        let a = &p.json["attachment"][0];
        assert_eq!(a["filename"], "form.html");
        assert_eq!(a["md5"], files::hashes(b"<form></form>").0);
        assert_eq!(a["fileId"], p.files[0].file_id);
        assert_eq!(p.json["authentication"]["spf"], "fail");
        assert_eq!(p.json["authentication"]["senderIp"], "203.0.113.9");
        assert!(is_eml("x.EML", "application/octet-stream"));
        assert!(is_eml("x", "message/rfc822"));
    }
}
