//! The demo mailboxes' content: a few crafted messages a SOC sees every day
//! (credential phishing with a Received chain and failing authentication,
//! a user's report with the phish attached as an item, attached `.eml`
//! files, a newsletter with only an inline image, a cloud link), inbox
//! rules, and plain filler mail up to each folder's seeded count. All of it
//! is deterministic except the three "recent" messages, which are placed
//! 1, 5 and 30 hours before the simulator started so that "the last N
//! hours" finds something.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::ids::SplitMix;
use crate::store::{FolderKind, Mailbox};
use crate::time;

const MAP_EML: &[u8] = include_bytes!("../data/eml/map-of-argentina.eml");
const SHAPELIB_EML: &[u8] = include_bytes!("../data/eml/shapelib-help.eml");
const QUOTA_EML: &[u8] = include_bytes!("../data/eml/mailbox-full.eml");

/// A 1x1 PNG, the inline logo of the newsletter.
const LOGO_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

pub(crate) fn addr(name: &str, address: &str) -> Value {
    json!({"emailAddress": {"name": name, "address": address}})
}

fn header(name: &str, value: impl Into<String>) -> Value {
    json!({"name": name, "value": value.into()})
}

/// The headers of mail that came from outside through Exchange Online
/// Protection: a Received chain from the sending host, then the verdicts.
pub(crate) struct Inbound<'a> {
    pub helo: &'a str,
    pub ip: &'a str,
    pub client_ip: &'a str,
    pub mail_from_domain: &'a str,
    pub spf: &'a str,
    pub dkim: &'a str,
    pub dmarc: &'a str,
    pub compauth: &'a str,
}

impl Inbound<'_> {
    pub(crate) fn headers(
        &self,
        received: i64,
        from: &str,
        to: &str,
        subject: &str,
        message_id: &str,
    ) -> Value {
        let d = self.mail_from_domain;
        let action = if self.dmarc == "pass" {
            "none"
        } else {
            "quarantine"
        };
        let reason = if self.compauth == "pass" {
            "100"
        } else {
            "000"
        };
        let dkim_note = match self.dkim {
            "pass" => "(signature was verified)",
            "none" => "(message not signed)",
            _ => "(body hash did not verify)",
        };
        json!([
            header(
                "Received",
                format!(
                    "from DM6PR11MB4185.namprd11.prod.outlook.com (2603:10b6:5:1d1::23) by PH0PR11MB4998.namprd11.prod.outlook.com with HTTPS; {}",
                    time::rfc5322(received)
                )
            ),
            header(
                "Received",
                format!(
                    "from {helo} ({ip}) by BN8NAM11FT066.mail.protection.outlook.com (10.13.177.138) with Microsoft SMTP Server id 15.20.8466.10 via Frontend Transport; {}",
                    time::rfc5322(received - 2),
                    helo = self.helo,
                    ip = self.ip
                )
            ),
            header(
                "Received",
                format!(
                    "from [{client}] (helo=workstation) by {helo} with esmtpa (Exim 4.96); {}",
                    time::rfc5322(received - 4),
                    client = self.client_ip,
                    helo = self.helo
                )
            ),
            header(
                "Authentication-Results",
                format!(
                    "spf={spf} (sender IP is {ip}) smtp.mailfrom={d}; dkim={dkim} {dkim_note} header.d={d};dmarc={dmarc} action={action} header.from={d};compauth={compauth} reason={reason}",
                    spf = self.spf,
                    ip = self.ip,
                    dkim = self.dkim,
                    dmarc = self.dmarc,
                    compauth = self.compauth
                )
            ),
            header(
                "Received-SPF",
                format!(
                    "{} (protection.outlook.com: domain of {d} designates {} as permitted sender)",
                    capitalize(self.spf),
                    self.ip
                )
            ),
            header(
                "X-MS-Exchange-Organization-SCL",
                if self.spf == "pass" { "1" } else { "5" }
            ),
            header("From", from),
            header("To", to),
            header("Subject", subject),
            header("Date", time::rfc5322(received - 5)),
            header("Message-ID", message_id),
            header("MIME-Version", "1.0"),
            header("Content-Type", "multipart/mixed"),
        ])
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn file(name: &str, content_type: &str, bytes: &[u8]) -> Value {
    json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": name, "contentType": content_type,
           "contentBytes": STANDARD.encode(bytes), "isInline": false})
}

/// A crafted external message.
#[allow(clippy::too_many_arguments)]
fn external(
    received: i64,
    subject: &str,
    (from_name, from_addr): (&str, &str),
    to: &Value,
    body: &str,
    inbound: &Inbound<'_>,
    importance: &str,
    attachments: Vec<Value>,
) -> Value {
    let local = from_addr.split('@').next().unwrap_or("x");
    let message_id = format!("<{local}.{received}@{}>", inbound.helo);
    let to_text = to[0]["emailAddress"]["address"].as_str().unwrap_or("");
    json!({
        "subject": subject,
        "receivedDateTime": time::iso(received),
        "sentDateTime": time::iso(received - 5),
        "importance": importance,
        "internetMessageId": message_id,
        "from": addr(from_name, from_addr),
        "toRecipients": to,
        "body": {"contentType": "html", "content": body},
        "internetMessageHeaders": inbound.headers(received, &format!("{from_name} <{from_addr}>"), to_text, subject, &message_id),
        "attachments": attachments,
    })
}

const PHISH_HOST: Inbound<'static> = Inbound {
    helo: "mail.fabrikam-payments.example",
    ip: "203.0.113.7",
    client_ip: "192.0.2.81",
    mail_from_domain: "fabrikam-payments.example",
    spf: "fail",
    dkim: "none",
    dmarc: "fail",
    compauth: "fail",
};

const NEWSLETTER_HOST: Inbound<'static> = Inbound {
    helo: "mta-07.news.contoso-partners.example",
    ip: "198.51.100.77",
    client_ip: "10.20.30.40",
    mail_from_domain: "news.contoso-partners.example",
    spf: "pass",
    dkim: "pass",
    dmarc: "pass",
    compauth: "pass",
};

const JUNK_HOST: Inbound<'static> = Inbound {
    helo: "smtp.secure-login-365.example",
    ip: "203.0.113.66",
    client_ip: "192.0.2.200",
    mail_from_domain: "secure-login-365.example",
    spf: "softfail",
    dkim: "fail",
    dmarc: "fail",
    compauth: "fail",
};

/// 2025-03-01T00:00:00Z, the day the crafted demo mail starts.
const MARCH_1: i64 = 1_740_787_200;
/// 2025-01-06T08:00:00Z, the first filler message.
const FILLER_START: i64 = 1_736_150_400;

/// The crafted messages of one user: (folder path, message JSON).
fn crafted(upn: &str, name: &str, now: i64) -> Vec<(&'static str, Value)> {
    let me = json!([addr(name, upn)]);
    let hour = 3600;
    let invoice_page = b"<html><body><h1>Invoice INV-20931</h1><form action=\"https://fabrikam-payments.example/pay\"><input name=\"card\"></form></body></html>";
    let mut out = vec![
        (
            "Inbox",
            external(
                MARCH_1 + 10 * hour + 898,
                "Invoice overdue - action required",
                ("Billing", "billing@fabrikam-payments.example"),
                &me,
                "<html><body><p>Please open the attached invoice and pay today to avoid a late fee.</p></body></html>",
                &PHISH_HOST,
                "high",
                vec![file("invoice.pdf.html", "text/html", invoice_page)],
            ),
        ),
        (
            "Inbox",
            external(
                MARCH_1 + 3 * 86_400 + 9 * hour,
                "Contoso partner newsletter - March",
                (
                    "Contoso Partners",
                    "newsletter@news.contoso-partners.example",
                ),
                &me,
                "<html><body><img src=\"cid:logo@contoso\"><p>What's new this month for partners.</p></body></html>",
                &NEWSLETTER_HOST,
                "normal",
                // Only an inline image: Graph reports hasAttachments=false.
                vec![
                    json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": "logo.png", "contentType": "image/png",
                        "contentBytes": LOGO_PNG, "isInline": true, "contentId": "logo@contoso"}),
                ],
            ),
        ),
        (
            "Inbox",
            json!({
                "subject": "Shared with you: Q3 forecast.xlsx",
                "receivedDateTime": time::iso(MARCH_1 + 3 * 86_400 + 14 * hour),
                "from": addr("Megan Bowen", "megan.bowen@contoso.example"),
                "toRecipients": me,
                "body": {"contentType": "html", "content": "<html><body><p>Here is the forecast we talked about.</p></body></html>"},
                "attachments": [{"@odata.type": "#microsoft.graph.referenceAttachment", "name": "Q3 forecast.xlsx",
                                 "sourceUrl": "https://contoso.sharepoint.example/sites/finance/Shared%20Documents/Q3%20forecast.xlsx",
                                 "providerType": "oneDriveBusiness", "permission": "view", "isFolder": false}],
            }),
        ),
        (
            "Inbox",
            json!({
                "subject": "Reported phish: Your mailbox is almost full",
                "receivedDateTime": time::iso(MARCH_1 + 2 * 86_400 + 8 * hour),
                "from": addr("Alex Wilber", "alex.wilber@contoso.example"),
                "toRecipients": me,
                "importance": "high",
                "body": {"contentType": "html", "content": "<html><body><p>This looks fake, the original is attached.</p></body></html>"},
                "attachments": [file("Your mailbox is almost full.eml", "message/rfc822", QUOTA_EML)],
            }),
        ),
        (
            "Inbox",
            json!({
                "subject": "Fwd: Map of Argentina with Description",
                "receivedDateTime": time::iso(MARCH_1 + 2 * 86_400 + 11 * hour),
                "from": addr("Adele Vance", "adele.vance@contoso.example"),
                "toRecipients": me,
                "body": {"contentType": "html", "content": "<html><body><p>Old chain mail, attached as I got it.</p></body></html>"},
                "attachments": [file("map-of-argentina.eml", "message/rfc822", MAP_EML)],
            }),
        ),
        (
            "Inbox/Phishing",
            json!({
                "subject": "FW: Urgent: verify your payroll account",
                "receivedDateTime": time::iso(MARCH_1 + 86_400 + 15 * hour),
                "from": addr("Finance Team", "finance.team@contoso.example"),
                "toRecipients": me,
                "ccRecipients": [addr("Adele Vance", "adele.vance@contoso.example")],
                "body": {"contentType": "html", "content": "<html><body><p>Forwarding as an attachment as the wiki says.</p></body></html>"},
                "attachments": [{
                    "@odata.type": "#microsoft.graph.itemAttachment",
                    "name": "Urgent: verify your payroll account",
                    "item": external(
                        MARCH_1 + 86_400 + 14 * hour,
                        "Urgent: verify your payroll account",
                        ("Payroll Services", "payroll@fabrikam-payments.example"),
                        &json!([addr("Finance Team", "finance.team@contoso.example")]),
                        "<html><body><p>Your salary payment is on hold. Enable macros in the attached form to verify your account.</p></body></html>",
                        &PHISH_HOST,
                        "high",
                        vec![file("Payroll_Form.docm", "application/vnd.ms-word.document.macroEnabled.12", b"PK\x03\x04 macro-enabled document (demo content)")],
                    ),
                }],
            }),
        ),
        (
            "Inbox/Phishing",
            json!({
                "subject": "FW: [Shapelib] need some help",
                "receivedDateTime": time::iso(MARCH_1 + 86_400 + 16 * hour),
                "from": addr("Megan Bowen", "megan.bowen@contoso.example"),
                "toRecipients": me,
                "body": {"contentType": "html", "content": "<html><body><p>Is this list mail safe?</p></body></html>"},
                "attachments": [file("need some help.eml", "message/rfc822", SHAPELIB_EML)],
            }),
        ),
        (
            "Junk Email",
            external(
                MARCH_1 + 4 * 86_400 + 6 * hour,
                "Password expires today",
                ("Microsoft 365", "no-reply@secure-login-365.example"),
                &me,
                "<html><body><p>Your password expires today. <a href=\"https://secure-login-365.example/keep\">Keep my password</a></p></body></html>",
                &JUNK_HOST,
                "normal",
                vec![],
            ),
        ),
    ];
    // Relative to start, so "The Hours Before" finds them.
    let ceo = Inbound {
        helo: "mx.contoso-exec.example",
        ip: "203.0.113.99",
        client_ip: "192.0.2.14",
        mail_from_domain: "contoso-exec.example",
        ..PHISH_HOST
    };
    out.push(("Inbox", external(
        now - hour,
        "URGENT: wire transfer before 5pm",
        ("Chief Executive", "ceo@contoso-exec.example"),
        &me,
        "<html><body><p>I need a wire transfer done today, reply with the confirmation.</p></body></html>",
        &ceo,
        "high",
        vec![],
    )));
    out.push(("Inbox", json!({
        "subject": "Teams meeting recap",
        "receivedDateTime": time::iso(now - 5 * hour),
        "from": addr("Adele Vance", "adele.vance@contoso.example"),
        "toRecipients": me,
        "isRead": true,
        "body": {"contentType": "html", "content": "<html><body><p>Notes from today's stand-up.</p></body></html>"},
    })));
    out.push(("Junk Email", external(
        now - 30 * hour,
        "Your package could not be delivered",
        ("Parcel Service", "tracking@secure-login-365.example"),
        &me,
        "<html><body><p>Open the attached label to reschedule delivery.</p></body></html>",
        &JUNK_HOST,
        "normal",
        vec![file("label.html", "text/html", b"<html><body><script>location='https://secure-login-365.example/l'</script></body></html>")],
    )));
    out
}

const COLLEAGUES: &[(&str, &str)] = &[
    ("Adele Vance", "adele.vance@contoso.example"),
    ("Megan Bowen", "megan.bowen@contoso.example"),
    ("Alex Wilber", "alex.wilber@contoso.example"),
    ("Finance Team", "finance.team@contoso.example"),
    ("IT Service Desk", "servicedesk@contoso.example"),
];

const TOPICS: &[&str] = &[
    "Weekly digest: security news",
    "Status update",
    "Lunch on Friday?",
    "Budget review notes",
    "Project timeline",
    "Expense report approved",
    "Quarterly planning",
    "Training reminder",
];

/// A plain internal message, the bulk of any mailbox.
fn filler(rng: &mut SplitMix, upn: &str, name: &str, received: i64, read: bool) -> Value {
    let (from_name, from_addr) = COLLEAGUES[rng.below(COLLEAGUES.len() as u64) as usize];
    let topic = TOPICS[rng.below(TOPICS.len() as u64) as usize];
    let n = rng.below(900) + 100;
    json!({
        "subject": format!("{topic} #{n}"),
        "receivedDateTime": time::iso(received),
        "from": addr(from_name, from_addr),
        "toRecipients": [addr(name, upn)],
        "isRead": read,
        "body": {"contentType": "html", "content": format!("<html><body><p>{topic}: item {n} for {name}.</p></body></html>")},
    })
}

/// Fills a mailbox with its crafted messages, filler up to each mail
/// folder's seeded counts, and its inbox rules.
pub(crate) fn fill(mbx: &mut Mailbox, upn: &str, name: &str, now: i64) {
    for (path, message) in crafted(upn, name, now) {
        // Folder paths that a user's tree lacks (no Phishing) go to the inbox.
        let folder = mbx
            .folder_for(path)
            .or_else(|| mbx.folder_for("inbox"))
            .expect("seeded mailboxes have an inbox");
        mbx.insert_message(&folder, &message)
            .expect("crafted demo messages are valid");
    }
    let mut rng = SplitMix(
        upn.bytes()
            .fold(7, |h, b| h.wrapping_mul(31) ^ u64::from(b)),
    );
    let targets: Vec<(String, u32, u32)> = mbx
        .all()
        .iter()
        .filter(|f| matches!(f.kind, FolderKind::Mail))
        .map(|f| (f.id.clone(), f.unread, f.total))
        .collect();
    let mut received = FILLER_START;
    for (folder, unread_target, total_target) in targets {
        let (unread, total, _) = mbx.counts(&folder);
        for i in total..total_target {
            received += 3_000 + rng.below(40_000) as i64;
            let read = unread + (i - total) >= unread_target;
            let m = filler(&mut rng, upn, name, received, read);
            mbx.insert_message(&folder, &m).expect("filler is valid");
        }
    }
    for rule in rules(upn, mbx) {
        mbx.add_rule(rule);
    }
}

/// Inbox rules: one user forwards everything outside the company (the
/// classic sign of a compromised mailbox), one deletes security alerts,
/// one forwards invoices as attachments and hides them; the others are
/// harmless.
fn rules(upn: &str, mbx: &Mailbox) -> Vec<Value> {
    let folder = |key: &str| mbx.folder_for(key).unwrap_or_default();
    let local = upn.split('@').next().unwrap_or("");
    match local {
        "alex.wilber" => vec![
            json!({"displayName": "forwarding", "conditions": {},
                   "actions": {"forwardTo": [addr("x", "x@external.example")], "stopProcessingRules": false}}),
            json!({"displayName": "FYI read", "conditions": {"subjectContains": ["FYI"]},
                   "actions": {"markAsRead": true}}),
        ],
        "adele.vance" => vec![json!({
            "displayName": "Clean up alerts",
            "conditions": {"subjectContains": ["security alert", "unusual sign-in"]},
            "actions": {"delete": true, "markAsRead": true, "stopProcessingRules": true}})],
        "finance.team" => vec![json!({
            "displayName": "Invoices",
            "conditions": {"subjectContains": ["invoice", "payment"]},
            "actions": {"forwardAsAttachmentTo": [addr("AP desk", "ap-desk@fabrikam-payments.example")],
                        "moveToFolder": folder("deleteditems"), "markAsRead": true}})],
        "megan.bowen" => vec![json!({
            "displayName": "Assistant gets invitations",
            "conditions": {"messageActionFlag": "any", "subjectContains": ["invitation"]},
            "actions": {"redirectTo": [addr("Adele Vance", "adele.vance@contoso.example")]}})],
        _ => vec![json!({
            "displayName": "Newsletters to Archive",
            "conditions": {"senderContains": ["newsletter@"]},
            "actions": {"moveToFolder": folder("archive"), "stopProcessingRules": true}})],
    }
}
