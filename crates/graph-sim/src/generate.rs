//! Large mailboxes for benchmarks and paging tests: thousands of messages
//! with realistic headers (Received chains, mixed authentication verdicts)
//! and attachments (files, inline images, attached `.eml` files, item
//! attachments), the same for the same seed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::demo_mail::{Inbound, addr};
use crate::ids::SplitMix;
use crate::store::Mailbox;
use crate::time;

/// What to generate.
#[derive(Clone, Debug)]
pub struct MailboxSpec {
    /// Messages in all.
    pub messages: usize,
    /// Folders they are spread over, round robin: well-known names, ids or
    /// display-name paths; missing ones are created at the top level.
    pub folders: Vec<String>,
    /// Received time of the first message (Unix seconds) and the spacing.
    pub start: i64,
    pub spacing_secs: i64,
    /// Every n-th message has a file attachment of about `attachment_bytes`
    /// (0: none); every 10th of those also an inline image, every 20th an
    /// attached `.eml`, every 25th an item attachment.
    pub attachment_every: usize,
    pub attachment_bytes: usize,
    pub seed: u64,
}

impl Default for MailboxSpec {
    fn default() -> Self {
        MailboxSpec {
            messages: 10_000,
            folders: vec!["inbox".into()],
            // 2025-01-01T00:00:00Z
            start: 1_735_689_600,
            spacing_secs: 60,
            attachment_every: 1,
            attachment_bytes: 4_096,
            seed: 42,
        }
    }
}

const SENDERS: &[(&str, &str, &str)] = &[
    (
        "Billing",
        "billing@fabrikam-payments.example",
        "203.0.113.7",
    ),
    (
        "Contoso Partners",
        "newsletter@news.contoso-partners.example",
        "198.51.100.77",
    ),
    ("Megan Bowen", "megan.bowen@contoso.example", "40.107.22.52"),
    (
        "Parcel Service",
        "tracking@secure-login-365.example",
        "203.0.113.66",
    ),
    ("HR Portal", "hr@contoso-benefits.example", "198.51.100.14"),
];

const VERDICTS: &[(&str, &str, &str, &str)] = &[
    ("pass", "pass", "pass", "pass"),
    ("fail", "none", "fail", "fail"),
    ("softfail", "fail", "fail", "fail"),
    ("pass", "fail", "fail", "softpass"),
    ("neutral", "pass", "pass", "pass"),
];

fn file(name: &str, content_type: &str, bytes: &[u8], inline: bool) -> Value {
    let mut v = json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": name, "contentType": content_type,
                       "contentBytes": STANDARD.encode(bytes), "isInline": inline});
    if inline {
        v["contentId"] = json!(format!("{name}@gen"));
    }
    v
}

fn eml(n: usize, from: &str, ip: &str, when: i64) -> Vec<u8> {
    format!(
        "Received: from relay{n}.example ({ip}) by mx.contoso.example with ESMTP; {date}\r\n\
         Received: from [192.0.2.{last}] by relay{n}.example with ESMTPA; {date}\r\n\
         Authentication-Results: mx.contoso.example; spf=fail smtp.mailfrom={from}; dkim=none\r\n\
         From: Original Sender <{from}>\r\nTo: victim{n}@contoso.example\r\n\
         Subject: Original message {n}\r\nDate: {date}\r\nMessage-ID: <orig{n}@relay{n}.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b{n}\"\r\n\r\n\
         --b{n}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Original body {n}</p>\r\n\
         --b{n}\r\nContent-Type: application/octet-stream; name=\"payload{n}.bin\"\r\n\
         Content-Disposition: attachment; filename=\"payload{n}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {payload}\r\n--b{n}--\r\n",
        date = time::rfc5322(when),
        last = n % 250 + 1,
        payload = STANDARD.encode(format!("payload {n}").as_bytes()),
    )
    .into_bytes()
}

fn message(spec: &MailboxSpec, rng: &mut SplitMix, n: usize, upn: &str) -> Value {
    let (name, from, ip) = SENDERS[rng.below(SENDERS.len() as u64) as usize];
    let (spf, dkim, dmarc, compauth) = VERDICTS[rng.below(VERDICTS.len() as u64) as usize];
    let domain = from.split('@').nth(1).unwrap_or("example");
    let received = spec.start + n as i64 * spec.spacing_secs;
    let subject = format!("Generated message {n}: quarterly report");
    let message_id = format!("<gen.{}.{n}@{domain}>", spec.seed);
    let helo = format!("mail.{domain}");
    let inbound = Inbound {
        helo: &helo,
        ip,
        client_ip: "192.0.2.10",
        mail_from_domain: domain,
        spf,
        dkim,
        dmarc,
        compauth,
    };
    let mut attachments = Vec::new();
    if spec.attachment_every > 0 && n.is_multiple_of(spec.attachment_every) {
        let k = n / spec.attachment_every;
        let size = spec.attachment_bytes / 2 + rng.below(spec.attachment_bytes as u64 + 1) as usize;
        let mut bytes = vec![0u8; size];
        for chunk in bytes.chunks_mut(8) {
            let v = rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        attachments.push(file(
            &format!("report-{n}.pdf"),
            "application/pdf",
            &bytes,
            false,
        ));
        if k % 10 == 3 {
            attachments.push(file(
                &format!("logo-{n}.png"),
                "image/png",
                b"\x89PNG\r\n\x1a\n generated",
                true,
            ));
        }
        if k % 20 == 7 {
            attachments.push(file(
                &format!("forwarded-{n}.eml"),
                "message/rfc822",
                &eml(n, from, ip, received - 600),
                false,
            ));
        }
        if k % 25 == 11 {
            attachments.push(json!({"@odata.type": "#microsoft.graph.itemAttachment", "name": format!("FW: original {n}"),
                "item": {"subject": format!("Original {n}"), "receivedDateTime": time::iso(received - 900),
                         "from": addr("Original Sender", from),
                         "toRecipients": [addr("Victim", upn)],
                         "body": {"contentType": "html", "content": format!("<p>Nested body {n}</p>")},
                         "attachments": [file(&format!("nested-{n}.txt"), "text/plain", b"nested file", false)]}}));
        }
    }
    json!({
        "subject": subject,
        "receivedDateTime": time::iso(received),
        "sentDateTime": time::iso(received - 4),
        "importance": if n.is_multiple_of(7) { "high" } else { "normal" },
        "isRead": n.is_multiple_of(3),
        "internetMessageId": message_id,
        "from": addr(name, from),
        "toRecipients": [addr("Recipient", upn)],
        "ccRecipients": if n.is_multiple_of(5) { json!([addr("Service Desk", "servicedesk@contoso.example")]) } else { json!([]) },
        "body": {"contentType": "html", "content": format!("<html><body><p>Message {n} from {name}.</p><p>{}</p></body></html>", "Lorem ipsum dolor sit amet. ".repeat(8))},
        "internetMessageHeaders": inbound.headers(received, &format!("{name} <{from}>"), upn, &subject, &message_id),
        "attachments": attachments,
    })
}

/// Adds `spec.messages` generated messages; returns how many were added.
pub(crate) fn populate(mbx: &mut Mailbox, upn: &str, spec: &MailboxSpec) -> Result<usize, String> {
    let root = mbx
        .root()
        .map(|f| f.id.clone())
        .ok_or("the mailbox has no root folder")?;
    let mut folders = Vec::new();
    for key in &spec.folders {
        let id = match mbx.folder_for(key) {
            Some(id) => id,
            None => mbx
                .create(&root, key, false)
                .map_err(|_| format!("cannot create folder '{key}'"))?,
        };
        folders.push(id);
    }
    if folders.is_empty() {
        return Err("no folder to fill".into());
    }
    let mut rng = SplitMix(spec.seed);
    for n in 0..spec.messages {
        let m = message(spec, &mut rng, n, upn);
        mbx.insert_message(&folders[n % folders.len()], &m)
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(spec.messages)
}
