//! Report Emails (reference §3.16): one threat assessment request per message, 20 per
//! `$batch`. Graph offers it with delegated permissions only, for the signed-in user's
//! own mail, and takes each message once per 15 minutes (three times a day); a repeat
//! comes back as that item's failure.

use serde_json::{Value, json};

use super::execute;
use super::params::message_ids_param;
use crate::batch::{self, Request};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::segment;
use crate::input::Values;
use crate::mail::message_ref::MessageRef;
use crate::mailbox::Mailbox;
use crate::message_lookup;
use crate::model::{CommandResult, Connection};
use crate::outcome::{ItemOutcome, ItemOutcomes, ItemStatus};
use crate::retry::Idempotency;
use crate::spec::{CommandSpec, ParamType, Permissions, param};
use crate::validate;

pub const LABEL: &str = SPEC.label;
const USER: &str = SPEC.label_of("user-id-or-email-address");
const MESSAGES: &str = SPEC.label_of("message-ids");

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Category {
    #[default]
    Phishing,
    Spam,
}

impl crate::input::Choice for Category {
    const CASES: &'static [(&'static str, Self)] =
        &[("phishing", Category::Phishing), ("spam", Category::Spam)];
}

impl Category {
    fn graph(self) -> &'static str {
        match self {
            Category::Phishing => "phishing",
            Category::Spam => "spam",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub user_id_or_email_address: String,
    pub message_ids: Vec<String>,
    pub category: Option<Category>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            user_id_or_email_address: values.text("user-id-or-email-address")?,
            message_ids: values.list("message-ids")?,
            category: values.optional_choice("category")?,
        })
    }
}

struct Plan {
    user: String,
    messages: Vec<MessageRef>,
    category: Category,
}

fn parse(conn: &Connection, input: &Input) -> Result<Plan, Error> {
    if conn.grant.is_app_only() {
        return Err(Error::input(
            "Grant Type",
            "Report Emails needs a connection with the Authorization Code grant: Graph's threat assessment requests accept delegated permissions only (ThreatAssessment.ReadWrite.All), not Client Credentials.",
        ));
    }
    if input.user_id_or_email_address.trim().is_empty() {
        return Err(Error::input(
            USER,
            "is required: give the signed-in account's address or user id.",
        ));
    }
    let user = validate::mailbox_address(USER, &input.user_id_or_email_address)?;
    let mut messages: Vec<MessageRef> = Vec::new();
    for (i, id) in input.message_ids.iter().enumerate() {
        if id.trim().is_empty() {
            continue;
        }
        let m = MessageRef::parse(MESSAGES, i + 1, id)?;
        if messages.contains(&m) {
            return Err(Error::input(
                MESSAGES,
                format!(
                    "'{}' is listed twice; each message can be reported once.",
                    m.as_str()
                ),
            ));
        }
        messages.push(m);
    }
    if messages.is_empty() {
        return Err(Error::input(
            MESSAGES,
            "is required: give the ids of the messages to report.",
        ));
    }
    Ok(Plan {
        user,
        messages,
        category: input.category.unwrap_or_default(),
    })
}

/// The signed-in account (id and SMTP address); the input must name it.
fn signed_in(graph: &Graph, given: &str) -> Result<(String, String), Error> {
    let me = graph.get_json("me?$select=id,mail,userPrincipalName")?;
    let text = |k: &str| me[k].as_str().unwrap_or_default().to_string();
    let (id, mail, upn) = (text("id"), text("mail"), text("userPrincipalName"));
    if ![&id, &mail, &upn]
        .iter()
        .any(|v| !v.is_empty() && v.eq_ignore_ascii_case(given))
    {
        return Err(Error::input(
            USER,
            format!(
                "'{given}' is not the account this connection signed in as ({upn}); Report Emails reports messages of that mailbox only."
            ),
        ));
    }
    let address = if mail.is_empty() { upn } else { mail };
    Ok((id, address))
}

fn run(graph: &Graph, plan: Plan) -> Result<CommandResult, Error> {
    let (user_id, address) = signed_in(graph, &plan.user)?;
    let pairs: Vec<(Mailbox, MessageRef)> = plan
        .messages
        .iter()
        .map(|m| (Mailbox::Me, m.clone()))
        .collect();
    let ids = message_lookup::resolve(graph, &pairs);
    let mut slots = Vec::new();
    let mut requests = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if let Ok(id) = id {
            slots.push(i);
            requests.push(Request::post(
                "informationProtection/threatAssessmentRequests",
                json!({
                    "@odata.type": "#microsoft.graph.mailAssessmentRequest",
                    "recipientEmail": address,
                    "expectedAssessment": "block",
                    "category": plan.category.graph(),
                    "messageUri": graph.url(&format!("users/{}/messages/{}", segment(&user_id), segment(id))),
                }),
            ));
        }
    }
    // Never resent: a second request for the same message counts against its limit.
    let mut sent = batch::run(
        graph,
        &requests,
        Idempotency::NotIdempotent,
        "reported messages",
    )
    .into_iter();
    let mut outcomes: Vec<Result<Value, Error>> =
        ids.into_iter().map(|r| r.map(|_| Value::Null)).collect();
    for slot in slots {
        outcomes[slot] = sent.next().expect("one outcome per request");
    }

    let mut items = ItemOutcomes::new(LABEL);
    let mut reported = Vec::new();
    for (m, outcome) in plan.messages.iter().zip(outcomes) {
        match outcome {
            Ok(req) => {
                reported.push(json!({"messageId": m.as_str(), "requestId": req["id"], "status": req["status"]}));
                items.push(
                    ItemOutcome::succeeded(m.as_str(), "reported")
                        .with("messageId", m.as_str())
                        .with("request", req),
                );
            }
            Err(e) => {
                let e = match e {
                    Error::Throttled {
                        status: 429,
                        message,
                    }
                    | Error::Graph {
                        status: 429,
                        message,
                        ..
                    } => Error::Graph {
                        status: 429,
                        code: "TooManyRequests".into(),
                        message: format!(
                            "{message} Each message can be reported once per 15 minutes and three times a day."
                        ),
                        hint: None,
                    },
                    other => message_lookup::named(other, MESSAGES, m.as_str()),
                };
                items.push(ItemOutcome::failed(m.as_str(), e).with("messageId", m.as_str()));
            }
        }
    }
    let mut result = items.result();
    result.key_fields = json!({
        "category": plan.category.graph(),
        "reported": reported.iter().map(|i| i["messageId"].clone()).collect::<Vec<_>>(),
        "request-ids": reported.iter().map(|i| i["requestId"].clone()).collect::<Vec<_>>(),
        "failed": items.count(ItemStatus::Failed),
    });
    result.context_data = json!({"requests": reported});
    Ok(result)
}

pub fn report_emails(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(env, conn, LABEL, |c| parse(c, input), run)
}

/// What Report Emails declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "report-emails",
    label: "Report Emails",
    description: "Reports emails as phishing or spam through Graph threat assessment requests. Authorization Code connections only.",
    deprecated: false,
    run: |env, conn, v| Ok(report_emails(env, conn, &Input::read(v)?)),
    parameters: &[
        param(
            "user-id-or-email-address",
            "User ID or Email Address",
            ParamType::Text,
            true,
        )
        .example("soc.analyst@contoso.example")
        .describe("The signed-in account of the connection: only its messages can be reported."),
        message_ids_param(
            "The messages to report: Graph ids or internetMessageIds. Each message can be reported once (per 15 minutes, three times a day).",
        ),
        param("category", "Category", ParamType::Choice, false)
            .choices(&["Phishing", "Spam"])
            .default("Phishing")
            .example("Phishing"),
    ],
    permissions: Permissions {
        delegated: &["ThreatAssessment.ReadWrite.All", "Mail.Read", "User.Read"],
        application: &[],
        note: Some(
            "Delegated only: Graph has no application permission for threat assessment requests, so Client Credentials connections cannot run this command.",
        ),
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::testing::{FakeEnv, app_connection, delegated_connection, json_response};

    fn conn(app: bool) -> Connection {
        if app {
            app_connection()
        } else {
            delegated_connection()
        }
    }

    #[test]
    fn app_only_is_refused_before_http() {
        let env = FakeEnv::new(vec![]);
        let r = report_emails(
            &env,
            &conn(true),
            &Input {
                user_id_or_email_address: "a@t.example".into(),
                message_ids: vec!["AAMkAGVmMDEzMTM4AAA=".into()],
                category: None,
            },
        );
        assert!(r.errors[0].message.starts_with(
            "Grant Type: Report Emails needs a connection with the Authorization Code grant"
        ));
        assert!(env.sent().is_empty());
    }

    #[test]
    fn a_repeat_is_that_items_failure() {
        let env = FakeEnv::new(vec![
            json_response(
                200,
                json!({"access_token": "at", "refresh_token": "rt2", "expires_in": 3600}),
            ),
            json_response(
                200,
                json!({"id": "U1", "mail": "soc@t.example", "userPrincipalName": "soc@t.example"}),
            ),
            json_response(
                200,
                json!({"responses": [
                {"id": "1", "status": 201, "body": {"id": "R1", "status": "pending"}},
                {"id": "2", "status": 429, "headers": {"Retry-After": "850"}, "body": {"error": {"code": "TooManyRequests", "message": "Already submitted."}}}]}),
            ),
        ]);
        let r = report_emails(
            &env,
            &conn(false),
            &Input {
                user_id_or_email_address: "SOC@t.example".into(),
                message_ids: vec!["AAMkAGVmMDEzMTM4AAA=".into(), "AAMkAGVmMDEzMTM5AAA=".into()],
                category: Some(Category::Spam),
            },
        );
        assert_eq!(r.status, Status::PartiallySuccessful);
        assert_eq!(r.key_fields["request-ids"], json!(["R1"]));
        assert_eq!(r.key_fields["failed"], 1);
        assert_eq!(
            r.context_data["requests"],
            json!([{"messageId": "AAMkAGVmMDEzMTM4AAA=", "requestId": "R1", "status": "pending"}])
        );
        assert_eq!(r.raw_data["items"][0]["outcome"], "reported");
        assert_eq!(r.raw_data["items"][1]["status"], "failed");
        assert_eq!(r.raw_data["items"][1]["error"]["statusCode"], 429);
        assert_eq!(
            r.errors[0].failure_indicator,
            "Report Emails failed for 'AAMkAGVmMDEzMTM5AAA='."
        );
        assert_eq!(r.errors[0].status_code, 429);
        assert!(
            r.errors[0].message.contains("once per 15 minutes"),
            "{}",
            r.errors[0].message
        );
        let b: Value = serde_json::from_slice(&env.sent()[2].body).unwrap();
        assert_eq!(b["requests"][0]["body"]["category"], "spam");
        assert_eq!(
            b["requests"][0]["body"]["messageUri"],
            "https://graph.microsoft.com/v1.0/users/U1/messages/AAMkAGVmMDEzMTM4AAA%3D"
        );
        assert!(env.slept().is_empty(), "a 15-minute wait is not waited out");
    }
}
