//! Reply Mail and Reply All (reference §3.14/§3.15). Without files and without a subject
//! a single `reply`/`replyAll` with the content as comment; otherwise the draft flow:
//! `createReply(All)` with the comment, `PATCH` of the subject, attachments, `send`.

use serde_json::{Value, json};

use super::execute;
use super::params::{file_ids_param, file_source_param};
use crate::compose::files::{self, FileSource};
use crate::compose::{self, upload};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::HttpRequest;
use crate::input::Values;
use crate::mail::message_ref::MessageRef;
use crate::mailbox::Mailbox;
use crate::message_lookup;
use crate::model::{CommandResult, Connection, Environment, Status};
use crate::retry::Idempotency;
use crate::spec::{CommandSpec, ParamType, Parameter, Permissions, param};

pub const REPLY_LABEL: &str = REPLY_SPEC.label;
pub const REPLY_ALL_LABEL: &str = REPLY_ALL_SPEC.label;
const SENDER: &str = REPLY_SPEC.label_of("sender-email");
const MESSAGE: &str = REPLY_SPEC.label_of("message-id");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Reply,
    ReplyAll,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Reply => REPLY_LABEL,
            Kind::ReplyAll => REPLY_ALL_LABEL,
        }
    }

    /// The Graph action: `reply` or `replyAll`.
    fn action(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::ReplyAll => "replyAll",
        }
    }

    fn create_action(self) -> &'static str {
        match self {
            Kind::Reply => "createReply",
            Kind::ReplyAll => "createReplyAll",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub sender_email: Option<String>,
    pub message_id: String,
    pub subject: Option<String>,
    pub content: Option<String>,
    pub file_ids: Vec<String>,
    pub file_source: Option<FileSource>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            sender_email: values.optional_text("sender-email")?,
            message_id: values.text("message-id")?,
            subject: values.optional_text("subject")?,
            content: values.optional_text("content")?,
            file_ids: values.list("file-ids")?,
            file_source: values.optional_choice("file-source")?,
        })
    }
}

struct Plan {
    kind: Kind,
    mailbox: Mailbox,
    environment: Environment,
    message: MessageRef,
    subject: Option<String>,
    content: String,
    file_ids: Vec<String>,
    file_source: FileSource,
}

fn parse(conn: &Connection, input: &Input, kind: Kind) -> Result<Plan, Error> {
    let mailbox = Mailbox::resolve(conn, input.sender_email.as_deref(), SENDER)?;
    if input.message_id.trim().is_empty() {
        return Err(Error::input(
            MESSAGE,
            "is required: give the id of the message to answer ($.value[*].id of Fetch Event).",
        ));
    }
    Ok(Plan {
        kind,
        mailbox,
        environment: conn.environment,
        message: MessageRef::parse(MESSAGE, 1, &input.message_id)?,
        subject: input
            .subject
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        content: input.content.clone().unwrap_or_default(),
        file_ids: input.file_ids.clone(),
        file_source: input.file_source.unwrap_or_default(),
    })
}

fn run(graph: &Graph, plan: Plan, env: &dyn Env) -> Result<CommandResult, Error> {
    let files = files::load(env, &plan.file_ids, plan.file_source)?;
    upload::check_supported(plan.environment, &files)?;
    let id = message_lookup::resolve(graph, &[(plan.mailbox.clone(), plan.message.clone())])
        .remove(0)
        .map_err(|e| message_lookup::named(e, MESSAGE, plan.message.as_str()))?;
    let original = compose::message_path(&plan.mailbox, &id);
    let comment = json!({"comment": plan.content});

    let mut key = json!({
        "mode": plan.kind.action(),
        "mailbox": plan.mailbox.display(),
        "replied-to": id,
        "subject": plan.subject,
        "sent": true,
    });
    let raw;
    if files.is_empty() && plan.subject.is_none() {
        // One call; its answer lost means "maybe sent", and it is never repeated.
        graph
            .send(
                HttpRequest::new(
                    "POST",
                    graph.url(&format!("{original}/{}", plan.kind.action())),
                )
                .json_body(&comment),
                Idempotency::NotIdempotent,
            )
            .map_err(|e| message_lookup::named(e, MESSAGE, plan.message.as_str()))?;
        key["flow"] = json!("direct");
        key["delivery"] = json!(compose::Delivery::Accepted.as_str());
        key["attachment-count"] = json!(0);
        raw = json!({"action": plan.kind.action(), "status": 202});
    } else {
        let draft = graph
            .post_json(
                &format!("{original}/{}", plan.kind.create_action()),
                &comment,
                Idempotency::NotIdempotent,
            )
            .map_err(|e| message_lookup::named(e, MESSAGE, plan.message.as_str()))?;
        let draft_id = draft["id"]
            .as_str()
            .ok_or_else(|| {
                Error::Protocol("Graph created the reply draft but returned no id.".into())
            })?
            .to_string();
        let (attachments, delivery) = compose::finish(graph, &plan.mailbox, &draft_id, || {
            prepare(graph, &plan, &draft_id, &files)
        })?;
        key["flow"] = json!("draft");
        key["delivery"] = json!(delivery.as_str());
        key["attachment-count"] = json!(attachments.len());
        key["conversation-id"] = draft["conversationId"].clone();
        key["internet-message-id"] = draft["internetMessageId"].clone();
        raw = json!({"draft": summary(&draft), "attachments": attachments, "delivery": delivery.as_str()});
    }
    let mut result = CommandResult::new(Status::Successful);
    result.context_data = key.clone();
    result.key_fields = key;
    result.raw_data = raw;
    Ok(result)
}

/// The draft's new subject and its files.
fn prepare(
    graph: &Graph,
    plan: &Plan,
    draft_id: &str,
    files: &[files::OutgoingFile],
) -> Result<Vec<Value>, Error> {
    if let Some(subject) = &plan.subject {
        graph.send(
            HttpRequest::new(
                "PATCH",
                graph.url(&compose::message_path(&plan.mailbox, draft_id)),
            )
            .json_body(&json!({"subject": subject})),
            Idempotency::Idempotent,
        )?;
    }
    let all: Vec<&files::OutgoingFile> = files.iter().collect();
    compose::attach(graph, plan.environment, &plan.mailbox, draft_id, &all)
}

/// The draft without its body (the quoted thread can be long).
fn summary(draft: &Value) -> Value {
    let mut d = draft.clone();
    if let Some(m) = d.as_object_mut() {
        m.remove("body");
        m.remove("uniqueBody");
    }
    d
}

pub fn reply_mail(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(
        env,
        conn,
        REPLY_LABEL,
        |c| parse(c, input, Kind::Reply),
        |g, p| run(g, p, env),
    )
}

pub fn reply_all(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(
        env,
        conn,
        Kind::ReplyAll.label(),
        |c| parse(c, input, Kind::ReplyAll),
        |g, p| run(g, p, env),
    )
}

/// Reply Mail and Reply All take the same parameters.
const REPLY_PARAMS: &[Parameter] = &[
    param("sender-email", "Sender Email", ParamType::Text, false)
        .example("soc.analyst@contoso.example")
        .describe("The mailbox that answers. May be left blank with the Authorization Code grant type; required with Client Credentials."),
    param("message-id", "Message ID", ParamType::Text, true)
        .example("AAMkAGVmMDEz...AAA=")
        .describe("The message to answer ($.value[*].id of Fetch Event, or its internetMessageId)."),
    param("subject", "Subject", ParamType::Text, false)
        .example("Reply Email Test")
        .describe("Replaces the reply's subject (then the reply goes through a draft)."),
    param("content", "Content", ParamType::Text, false).example("Test Email Message"),
    file_ids_param(),
    file_source_param(),
];

const REPLY_PERMISSIONS: Permissions = Permissions {
    delegated: &["Mail.Send"],
    application: &["Mail.Send"],
    note: Some(
        "With File IDs or a Subject the reply goes through a draft, which also needs Mail.ReadWrite.",
    ),
};

/// What Reply Mail declares: the manifest entry, the input it reads, the runner.
pub const REPLY_SPEC: CommandSpec = CommandSpec {
    name: "reply-mail",
    label: "Reply Mail",
    description: "Replies to the sender of a message.",
    deprecated: false,
    run: |env, conn, v| Ok(reply_mail(env, conn, &Input::read(v)?)),
    parameters: REPLY_PARAMS,
    permissions: REPLY_PERMISSIONS,
};

/// What Reply All declares: the manifest entry, the input it reads, the runner.
pub const REPLY_ALL_SPEC: CommandSpec = CommandSpec {
    name: "reply-all",
    label: "Reply All",
    description: "Replies to all recipients of a message.",
    deprecated: false,
    run: |env, conn, v| Ok(reply_all(env, conn, &Input::read(v)?)),
    parameters: REPLY_PARAMS,
    permissions: REPLY_PERMISSIONS,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpResponse, TransportError};
    use crate::testing::{FakeEnv, app_connection, json_response};

    fn token() -> Result<HttpResponse, TransportError> {
        json_response(200, json!({"access_token": "at", "expires_in": 3600}))
    }

    fn accepted() -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status: 202,
            headers: vec![],
            body: vec![],
        })
    }

    const ID: &str = "AAMkAGVmMDEzMTM4AAA=";

    #[test]
    fn plain_reply_is_one_call_with_the_comment() {
        let env = FakeEnv::new(vec![token(), accepted()]);
        let r = reply_all(
            &env,
            &app_connection(),
            &Input {
                sender_email: Some("soc@t.example".into()),
                message_id: ID.into(),
                content: Some("Thanks".into()),
                ..Input::default()
            },
        );
        assert_eq!(r.status, Status::Successful, "{:?}", r.errors);
        let sent = env.sent();
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent[1].url,
            "https://graph.microsoft.com/v1.0/users/soc@t.example/messages/AAMkAGVmMDEzMTM4AAA%3D/replyAll"
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&sent[1].body).unwrap(),
            json!({"comment": "Thanks"})
        );
    }

    #[test]
    fn subject_and_file_use_the_draft_flow() {
        let env = FakeEnv::new(vec![
            token(),
            json_response(
                201,
                json!({"id": "RD1", "conversationId": "C", "body": {"content": "quoted"}}),
            ),
            json_response(200, json!({"id": "RD1", "subject": "New"})),
            json_response(201, json!({"id": "A1"})),
            accepted(),
        ]);
        env.add_file("f1", "ioc.txt", "text/plain", b"1.2.3.4".to_vec());
        let r = reply_mail(
            &env,
            &app_connection(),
            &Input {
                sender_email: Some("soc@t.example".into()),
                message_id: ID.into(),
                subject: Some("New".into()),
                content: Some("See attached".into()),
                file_ids: vec!["f1".into()],
                file_source: None,
            },
        );
        assert_eq!(r.status, Status::Successful, "{:?}", r.errors);
        let sent = env.sent();
        let urls: Vec<(&str, &str)> = sent
            .iter()
            .skip(1)
            .map(|s| (s.method.as_str(), s.url.rsplit("/v1.0/").next().unwrap()))
            .collect();
        assert_eq!(
            urls,
            vec![
                (
                    "POST",
                    "users/soc@t.example/messages/AAMkAGVmMDEzMTM4AAA%3D/createReply"
                ),
                ("PATCH", "users/soc@t.example/messages/RD1"),
                ("POST", "users/soc@t.example/messages/RD1/attachments"),
                ("POST", "users/soc@t.example/messages/RD1/send"),
            ]
        );
        assert!(r.raw_data["draft"].get("body").is_none());
    }

    #[test]
    fn app_only_without_sender_uses_the_seed_text() {
        let env = FakeEnv::new(vec![]);
        let r = reply_mail(
            &env,
            &app_connection(),
            &Input {
                message_id: ID.into(),
                ..Input::default()
            },
        );
        assert_eq!(
            r.errors[0].message,
            "The parameter 'Sender Email' is required when your connection uses the 'Client Credential' Grant Type."
        );
        assert!(env.sent().is_empty());
    }
}
