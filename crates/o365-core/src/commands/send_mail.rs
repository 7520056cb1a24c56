//! Send Mail (reference §3.18): a draft with the message (small files inline), the other
//! files attached or uploaded, then one `send`. With a reply mode that waits, the result
//! carries a reply-tracking record the platform waits on; `<<EmailResponseLink>>` in the
//! content becomes the platform's response link for that record.

use serde_json::{Value, json};

use super::execute;
use super::params::{file_ids_param, file_source_param};
use crate::compose::files::{self, FileSource};
use crate::compose::{self, upload};
use crate::env::{Env, LogLevel};
use crate::error::Error;
use crate::graph::Graph;
use crate::input::Values;
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection, Environment, Status};
use crate::retry::Idempotency;
use crate::spec::{CommandSpec, ParamType, Permissions, param};
use crate::time;

pub const LABEL: &str = SPEC.label;
const SUBJECT: &str = SPEC.label_of("subject");
const TO_RECIPIENTS: &str = SPEC.label_of("to-recipients");
const CC_RECIPIENTS: &str = SPEC.label_of("cc-recipients");
const BCC_RECIPIENTS: &str = SPEC.label_of("bcc-recipients");
const SEND_AS: &str = SPEC.label_of("send-as");
const REPLY_TO: &str = SPEC.label_of("reply-to");
const CONTENT: &str = SPEC.label_of("content");
pub const RESPONSE_LINK: &str = "<<EmailResponseLink>>";
const MAILBOX: &str = SPEC.label_of("mailbox-address");
const DUE: &str = SPEC.label_of("reply-due-time");
/// Minutes to wait for answers when a waiting reply mode has no Reply Due Time.
pub const DEFAULT_DUE_MINUTES: u32 = 60;
/// A year: a due time beyond that is a typo.
const MAX_DUE_MINUTES: u32 = 525_600;

/// "Reply Mode", as in the platform's Send Email utility: all but No Reply wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReplyMode {
    #[default]
    NoReply,
    RequireReply,
    RequireAllReply,
    RequireApproval,
    RequireAllApproval,
    FirstToApproveReject,
}

impl crate::input::Choice for ReplyMode {
    const CASES: &'static [(&'static str, Self)] = &[
        ("no-reply", ReplyMode::NoReply),
        ("require-reply", ReplyMode::RequireReply),
        ("require-all-reply", ReplyMode::RequireAllReply),
        ("require-approval", ReplyMode::RequireApproval),
        ("require-all-approval", ReplyMode::RequireAllApproval),
        ("first-to-approve-reject", ReplyMode::FirstToApproveReject),
    ];
}

impl ReplyMode {
    pub fn name(self) -> &'static str {
        match self {
            ReplyMode::NoReply => "no-reply",
            ReplyMode::RequireReply => "require-reply",
            ReplyMode::RequireAllReply => "require-all-reply",
            ReplyMode::RequireApproval => "require-approval",
            ReplyMode::RequireAllApproval => "require-all-approval",
            ReplyMode::FirstToApproveReject => "first-to-approve-reject",
        }
    }

    pub fn waits(self) -> bool {
        self != ReplyMode::NoReply
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub mailbox_address: Option<String>,
    pub subject: String,
    pub content: Option<String>,
    pub to_recipients: Vec<String>,
    pub cc_recipients: Vec<String>,
    pub bcc_recipients: Vec<String>,
    pub file_ids: Vec<String>,
    pub file_source: Option<FileSource>,
    pub reply_mode: Option<ReplyMode>,
    pub reply_due_time: Option<u32>,
    pub send_as: Option<String>,
    pub reply_to: Vec<String>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            mailbox_address: values.optional_text("mailbox-address")?,
            subject: values.text("subject")?,
            content: values.optional_text("content")?,
            to_recipients: values.list("to-recipients")?,
            cc_recipients: values.list("cc-recipients")?,
            bcc_recipients: values.list("bcc-recipients")?,
            file_ids: values.list("file-ids")?,
            file_source: values.optional_choice("file-source")?,
            reply_mode: values.optional_choice("reply-mode")?,
            reply_due_time: values.optional_u32("reply-due-time")?,
            send_as: values.optional_text("send-as")?,
            reply_to: values.list("reply-to")?,
        })
    }
}

struct Plan {
    mailbox: Mailbox,
    environment: Environment,
    subject: String,
    content: String,
    to: Vec<Value>,
    cc: Vec<Value>,
    bcc: Vec<Value>,
    reply_to: Vec<Value>,
    from: Option<Value>,
    file_ids: Vec<String>,
    file_source: FileSource,
    mode: ReplyMode,
    due_minutes: u32,
}

fn parse(conn: &Connection, input: &Input) -> Result<Plan, Error> {
    // The seed: with Authorization Code the signed-in user sends; the address is omitted.
    let mailbox = if conn.grant.is_app_only() {
        Mailbox::resolve(conn, input.mailbox_address.as_deref(), MAILBOX)?
    } else {
        Mailbox::Me
    };
    let subject = input.subject.trim();
    if subject.is_empty() {
        return Err(Error::input(SUBJECT, "is required and was empty."));
    }
    let to = compose::recipients(TO_RECIPIENTS, &input.to_recipients)?;
    if to.is_empty() {
        return Err(Error::input(
            TO_RECIPIENTS,
            "is required: give at least one recipient address.",
        ));
    }
    let cc = compose::recipients(CC_RECIPIENTS, &input.cc_recipients)?;
    let bcc = compose::recipients(BCC_RECIPIENTS, &input.bcc_recipients)?;
    let mode = input.reply_mode.unwrap_or_default();
    // The seed's rule: CC and BCC only with No Reply (answers are tracked per To recipient).
    for (label, list) in [(CC_RECIPIENTS, &cc), (BCC_RECIPIENTS, &bcc)] {
        if mode.waits() && !list.is_empty() {
            return Err(Error::input(
                label,
                format!(
                    "can only be used with Reply Mode 'No Reply' (Reply Mode is '{}'): put these recipients in To Recipients, or set Reply Mode to No Reply.",
                    mode.name()
                ),
            ));
        }
    }
    if to.len() + cc.len() + bcc.len() > compose::MAX_RECIPIENTS {
        return Err(Error::input(
            TO_RECIPIENTS,
            format!(
                "with CC and BCC there are {} recipients; Graph allows at most {} per message.",
                to.len() + cc.len() + bcc.len(),
                compose::MAX_RECIPIENTS
            ),
        ));
    }
    let due_minutes = match input.reply_due_time {
        None => DEFAULT_DUE_MINUTES,
        Some(0) => return Err(Error::input(DUE, "must be at least 1 minute.")),
        Some(m) if m > MAX_DUE_MINUTES => {
            return Err(Error::input(
                DUE,
                format!("{m} minutes is more than a year."),
            ));
        }
        Some(m) => m,
    };
    let from = match input.send_as.as_deref().map(str::trim) {
        Some(a) if !a.is_empty() => Some(compose::recipient(SEND_AS, a)?),
        _ => None,
    };
    Ok(Plan {
        mailbox,
        environment: conn.environment,
        subject: subject.to_string(),
        content: input.content.clone().unwrap_or_default(),
        to,
        cc,
        bcc,
        reply_to: compose::recipients(REPLY_TO, &input.reply_to)?,
        from,
        file_ids: input.file_ids.clone(),
        file_source: input.file_source.unwrap_or_default(),
        mode,
        due_minutes,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run(graph: &Graph, plan: Plan, env: &dyn Env) -> Result<CommandResult, Error> {
    // Everything that can fail on input happens before the first HTTP call.
    let tracking_id = hex(&env.random_bytes(16));
    let link = if plan.content.contains(RESPONSE_LINK) {
        Some(env.response_link(&tracking_id).ok_or_else(|| {
            Error::input(
                CONTENT,
                format!("contains {RESPONSE_LINK}, but the platform running this component supplies no response link; remove the placeholder or run it where responses are collected."),
            )
        })?)
    } else {
        None
    };
    let content = match &link {
        Some(l) => plan.content.replace(RESPONSE_LINK, l),
        None => plan.content.clone(),
    };
    let files = files::load(env, &plan.file_ids, plan.file_source)?;
    upload::check_supported(plan.environment, &files)?;

    let (inline, rest) = compose::split_inline(&files);
    let mut message = json!({
        "subject": plan.subject,
        "body": {"contentType": "HTML", "content": content},
        "toRecipients": plan.to,
        "ccRecipients": plan.cc,
        "bccRecipients": plan.bcc,
        "replyTo": plan.reply_to,
    });
    if let Some(from) = &plan.from {
        message["from"] = from.clone();
    }
    let message = compose::with_inline(message, &inline);
    // Draft creation is not repeated after a lost answer: a second draft is not worth
    // the doubt, and a draft is never sent by itself.
    let draft = graph.post_json(
        &format!("{}/messages", plan.mailbox.path()),
        &message,
        Idempotency::NotIdempotent,
    )?;
    let draft_id = draft["id"]
        .as_str()
        .ok_or_else(|| Error::Protocol("Graph created the draft but returned no id.".into()))?
        .to_string();
    let (attachments, delivery) = compose::finish(graph, &plan.mailbox, &draft_id, || {
        let mut all = compose::inline_summaries(&inline);
        all.extend(compose::attach(
            graph,
            plan.environment,
            &plan.mailbox,
            &draft_id,
            &rest,
        )?);
        Ok(all)
    })?;
    let sent_at = env.now_unix_secs() as i64;
    if delivery == compose::Delivery::ConfirmedAfterLostAnswer {
        env.log(
            LogLevel::Info,
            "the draft has left Drafts: the mail was sent once",
        );
    }

    let addresses = |list: &[Value]| -> Vec<Value> {
        list.iter()
            .map(|r| r["emailAddress"]["address"].clone())
            .collect()
    };
    let tracking = plan.mode.waits().then(|| {
        json!({
            "tracking-id": tracking_id,
            "reply-mode": plan.mode.name(),
            "conversation-id": draft["conversationId"],
            "internet-message-id": draft["internetMessageId"],
            "mailbox": plan.mailbox.display(),
            "recipients": addresses(&plan.to),
            "sent-time": time::iso(sent_at),
            "reply-due-minutes": plan.due_minutes,
            "due-time": time::iso(sent_at + i64::from(plan.due_minutes) * 60),
            "response-link": link,
        })
    });
    let mut result = CommandResult::new(Status::Successful);
    result.key_fields = json!({
        "sent": true,
        "delivery": delivery.as_str(),
        "mailbox": plan.mailbox.display(),
        "subject": plan.subject,
        "to": addresses(&plan.to),
        "cc": addresses(&plan.cc),
        "bcc": addresses(&plan.bcc),
        "internet-message-id": draft["internetMessageId"],
        "conversation-id": draft["conversationId"],
        "attachment-count": attachments.len(),
        "reply-mode": plan.mode.name(),
        "reply-tracking": tracking,
    });
    result.context_data = json!({
        "internetMessageId": draft["internetMessageId"],
        "conversationId": draft["conversationId"],
        "sentTime": time::iso(sent_at),
        "replyTracking": result.key_fields["reply-tracking"],
    });
    let mut raw = draft.clone();
    if let Some(a) = raw.get_mut("attachments") {
        // The draft echoes inline files with their bytes; results carry summaries.
        *a = json!(attachments);
    }
    result.raw_data =
        json!({"draft": raw, "attachments": attachments, "delivery": delivery.as_str()});
    Ok(result)
}

pub fn send_mail(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(env, conn, LABEL, |c| parse(c, input), |g, p| run(g, p, env))
}

/// What Send Mail declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "send-mail",
    label: "Send Mail",
    description: "Sends an email with optional attachments: a draft, its attachments (upload sessions from 3 MB), then one send, so a retry never sends it twice.",
    deprecated: false,
    run: |env, conn, v| Ok(send_mail(env, conn, &Input::read(v)?)),
    parameters: &[
        param("mailbox-address", "Mailbox Address", ParamType::Text, false)
            .example("soc@contoso.example")
            .describe("The mailbox that sends. Required with Client Credentials; ignored with Authorization Code (the signed-in user sends)."),
        param("subject", "Subject", ParamType::Text, true).example("Test Email"),
        param("content", "Content", ParamType::Text, false)
            .example("<p>Please confirm: <a href=\"<<EmailResponseLink>>\">respond</a></p>")
            .describe("The HTML body. <<EmailResponseLink>> is replaced by the platform's response link for this mail."),
        param("to-recipients", "To Recipients", ParamType::TextList, true)
            .example("[\"alex.wilber@contoso.example\"]")
            .describe("Addresses, or Name <address>."),
        param("cc-recipients", "CC Recipients", ParamType::TextList, false)
            .describe("Only with Reply Mode No Reply."),
        param("bcc-recipients", "BCC Recipients", ParamType::TextList, false)
            .describe("Only with Reply Mode No Reply."),
        file_ids_param(),
        file_source_param(),
        param("reply-mode", "Reply Mode", ParamType::Choice, false)
            .choices(&["No Reply", "Require Reply", "Require All Reply", "Require Approval", "Require All Approval", "First to Approve / Reject"])
            .default("No Reply")
            .example("Require Reply")
            .describe("Every mode but No Reply waits for answers: the result carries a reply-tracking record (conversation id, internetMessageId, due time)."),
        param("reply-due-time", "Reply Due Time", ParamType::Integer, false)
            .default("60")
            .example("10")
            .describe("Minutes to wait for a reply."),
        param("send-as", "Send As", ParamType::Text, false)
            .example("johndoe@example.com")
            .describe("The From address; the mailbox needs Send As rights for it."),
        param("reply-to", "Reply To", ParamType::TextList, false)
            .describe("Addresses replies go to."),
    ],
    permissions: Permissions {
        delegated: &["Mail.Send", "Mail.ReadWrite"],
        application: &["Mail.Send", "Mail.ReadWrite"],
        note: Some("Mail.ReadWrite creates the draft the mail is sent from."),
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::TransportError;
    use crate::testing::{FakeEnv, app_connection, json_response};

    fn conn(environment: Environment) -> Connection {
        Connection {
            environment,
            ..app_connection()
        }
    }

    fn token() -> Result<crate::http::HttpResponse, TransportError> {
        json_response(200, json!({"access_token": "at", "expires_in": 3600}))
    }

    fn input() -> Input {
        Input {
            mailbox_address: Some("soc@t.example".into()),
            subject: "Suspicious login".into(),
            content: Some(
                "<p>Please confirm: <a href=\"<<EmailResponseLink>>\">here</a></p>".into(),
            ),
            to_recipients: vec!["alex@t.example".into()],
            reply_mode: Some(ReplyMode::RequireReply),
            reply_due_time: Some(10),
            ..Input::default()
        }
    }

    fn draft() -> Result<crate::http::HttpResponse, TransportError> {
        json_response(
            201,
            json!({"id": "DRAFT1", "conversationId": "CONV1", "internetMessageId": "<d1@t.example>"}),
        )
    }

    fn accepted() -> Result<crate::http::HttpResponse, TransportError> {
        Ok(crate::http::HttpResponse {
            status: 202,
            headers: vec![],
            body: vec![],
        })
    }

    #[test]
    fn draft_then_send_with_tracking_and_link() {
        let mut env = FakeEnv::new(vec![token(), draft(), accepted()]);
        env.link_base = Some("https://soar.example/respond/".into());
        let r = send_mail(&env, &conn(Environment::CommercialGcc), &input());
        assert_eq!(r.status, Status::Successful, "{:?}", r.errors);
        let sent = env.sent();
        assert_eq!(
            sent[1].url,
            "https://graph.microsoft.com/v1.0/users/soc@t.example/messages"
        );
        let body: Value = serde_json::from_slice(&sent[1].body).unwrap();
        let t = &r.key_fields["reply-tracking"];
        let link = format!(
            "https://soar.example/respond/{}",
            t["tracking-id"].as_str().unwrap()
        );
        assert_eq!(
            body["body"]["content"],
            format!("<p>Please confirm: <a href=\"{link}\">here</a></p>")
        );
        assert_eq!(
            sent[2].url,
            "https://graph.microsoft.com/v1.0/users/soc@t.example/messages/DRAFT1/send"
        );
        assert_eq!(t["conversation-id"], "CONV1");
        assert_eq!(t["internet-message-id"], "<d1@t.example>");
        assert_eq!(t["due-time"], time::iso(env.now.get() as i64 + 600));
        assert_eq!(sent.len(), 3);
    }

    #[test]
    fn lost_send_answer_is_checked_not_resent() {
        let env = FakeEnv::new(vec![
            token(),
            draft(),
            Err(TransportError::Network("connection reset".into())),
            json_response(
                404,
                json!({"error": {"code": "ErrorItemNotFound", "message": "gone"}}),
            ),
        ]);
        let mut i = input();
        i.content = Some("hi".into());
        let r = send_mail(&env, &conn(Environment::CommercialGcc), &i);
        assert_eq!(r.status, Status::Successful, "{:?}", r.errors);
        assert_eq!(r.key_fields["delivery"], "confirmed-after-lost-answer");
        let sent = env.sent();
        assert_eq!(sent.iter().filter(|s| s.url.ends_with("/send")).count(), 1);
        assert_eq!(sent[3].method, "GET");
    }

    #[test]
    fn lost_send_answer_with_the_draft_still_there_fails_without_resending() {
        let env = FakeEnv::new(vec![
            token(),
            draft(),
            Err(TransportError::Network("timeout".into())),
            json_response(200, json!({"id": "DRAFT1", "isDraft": true})),
        ]);
        let mut i = input();
        i.content = None;
        let r = send_mail(&env, &conn(Environment::CommercialGcc), &i);
        assert_eq!(r.status, Status::Failed);
        assert!(
            r.errors[0].message.contains("still a draft"),
            "{}",
            r.errors[0].message
        );
        assert_eq!(env.sent().len(), 4);
    }

    #[test]
    fn bad_inputs_fail_before_http() {
        let env = FakeEnv::new(vec![]);
        let mut cases: Vec<(Input, Environment, &str)> = Vec::new();
        let mut i = input();
        i.cc_recipients = vec!["x@t.example".into()];
        cases.push((
            i,
            Environment::CommercialGcc,
            "CC Recipients: can only be used with Reply Mode 'No Reply'",
        ));
        let mut i = input();
        i.to_recipients = vec![" ".into()];
        cases.push((i, Environment::CommercialGcc, "To Recipients: is required"));
        let mut i = input();
        i.mailbox_address = None;
        cases.push((
            i,
            Environment::CommercialGcc,
            "The parameter 'Mailbox Address' is required",
        ));
        let mut i = input();
        i.file_ids = vec!["nope".into()];
        i.content = None;
        cases.push((
            i,
            Environment::CommercialGcc,
            "File IDs: 'nope' could not be read",
        ));
        cases.push((
            input(),
            Environment::CommercialGcc,
            "Content: contains <<EmailResponseLink>>",
        ));
        env.add_file(
            "big",
            "dump.bin",
            "application/octet-stream",
            vec![0; upload::THRESHOLD + 1],
        );
        let mut i = input();
        i.file_ids = vec!["big".into()];
        i.content = None;
        cases.push((i, Environment::Dod, "need Graph upload sessions"));
        for (i, environment, expect) in cases {
            let r = send_mail(&env, &conn(environment), &i);
            assert_eq!(r.status, Status::Failed);
            assert_eq!(r.errors[0].status_code, 400);
            assert!(
                r.errors[0].message.contains(expect),
                "{expect}: {}",
                r.errors[0].message
            );
        }
        assert!(env.sent().is_empty());
    }

    #[test]
    fn large_file_goes_through_an_upload_session_without_a_token() {
        let size = upload::MAX_CHUNK * 2 + 100;
        let env = FakeEnv::new(vec![
            token(),
            draft(),
            json_response(201, json!({"uploadUrl": "https://outlook.office.com/api/v2.0/Users('u')/Messages('DRAFT1')/AttachmentSessions('S')?authtoken=abc", "nextExpectedRanges": ["0-"]})),
            json_response(200, json!({"nextExpectedRanges": [format!("{}-", upload::MAX_CHUNK)]})),
            json_response(200, json!({"nextExpectedRanges": [format!("{}-", upload::MAX_CHUNK * 2)]})),
            Ok(crate::http::HttpResponse { status: 201, headers: vec![("Location".into(), "https://outlook.office.com/api/v2.0/Users('u')/Messages('DRAFT1')/Attachments('ATT1')".into())], body: vec![] }),
            accepted(),
        ]);
        env.add_file("f1", "dump.bin", "application/octet-stream", vec![7; size]);
        let mut i = input();
        i.content = None;
        i.reply_mode = None;
        i.file_ids = vec!["f1".into()];
        let r = send_mail(&env, &conn(Environment::CommercialGcc), &i);
        assert_eq!(r.status, Status::Successful, "{:?}", r.errors);
        let sent = env.sent();
        let puts: Vec<_> = sent.iter().filter(|s| s.method == "PUT").collect();
        assert_eq!(puts.len(), 3);
        for p in &puts {
            assert!(
                !p.headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            );
            assert!(p.body.len() <= upload::MAX_CHUNK);
        }
        assert!(puts[2].headers.contains(&(
            "Content-Range".into(),
            format!("bytes {}-{}/{size}", upload::MAX_CHUNK * 2, size - 1)
        )));
        assert_eq!(r.raw_data["attachments"][0]["attachmentId"], "ATT1");
        assert_eq!(r.key_fields["reply-tracking"], Value::Null);
    }
}
