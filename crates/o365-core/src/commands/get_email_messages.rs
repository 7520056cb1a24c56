//! Get Email Messages (reference §3.9): messages by Graph id or
//! internetMessageId (every copy), each paired with its mailbox, with
//! their internet headers and authentication verdicts; one failing item
//! leaves the others standing.

// Server answers reach this module: nothing here may panic or overflow on them.
// (Indexing is on serde_json values, whose reads never panic, and on this
// module's own vectors by their own indices.)
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use serde_json::{Value, json};

use super::execute;
use super::params::{MAIL_READ, mailbox_rule, mailboxes, message_ids};
use crate::env::Env;
use crate::error::Error;
use crate::graph::{Graph, expect_object};
use crate::http::{self, segment};
use crate::input::Values;
use crate::mail::headers;
use crate::mail::listing::SELECT;
use crate::mail::pairs::{self, MESSAGE_IDS, Pair};
use crate::model::{CommandResult, Connection};
use crate::outcome::ItemStatus;
use crate::spec::CommandSpec;

pub const LABEL: &str = SPEC.label;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_addresses: Vec<String>,
    pub message_ids: Vec<String>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_addresses: values.list("email-addresses")?,
            message_ids: values.list("message-ids")?,
        })
    }
}

fn get(graph: &Graph, pair: &Pair) -> Result<Vec<Value>, Error> {
    let ids = pair.message.resolve(graph, &pair.mailbox, MESSAGE_IDS)?;
    ids.iter()
        .map(|id| {
            let path = format!(
                "{}/messages/{}{}",
                pair.mailbox.path(),
                segment(id),
                http::query(&[("$select", SELECT.to_string())])
            );
            let mut m = expect_object(graph.get_json(&path)?, "a message")?;
            if let Some(obj) = m.as_object_mut() {
                obj.remove("@odata.context");
            }
            m["authentication"] = headers::authentication(&headers::from_graph(&m));
            m["mailbox"] = json!(pair.mailbox.display());
            m["requestedId"] = json!(pair.message.as_str());
            Ok(m)
        })
        .collect()
}

fn run(graph: &Graph, env: &dyn Env, pairs: Vec<Pair>) -> Result<CommandResult, Error> {
    let out = pairs::run(env, LABEL, pairs, |p| get(graph, p));
    let messages: Vec<Value> = out.done.into_iter().flat_map(|(_, m)| m).collect();
    let mut result = out.items.result();
    result.key_fields = json!({
        "message-count": messages.len(),
        "message-ids": messages.iter().map(|m| m["id"].clone()).collect::<Vec<_>>(),
        "internet-message-ids": messages.iter().map(|m| m["internetMessageId"].clone()).collect::<Vec<_>>(),
        "subjects": messages.iter().map(|m| m["subject"].clone()).collect::<Vec<_>>(),
        "failed-count": out.items.count(ItemStatus::Failed),
    });
    result.raw_data["value"] = Value::Array(messages);
    Ok(result)
}

pub fn get_email_messages(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(
        env,
        conn,
        LABEL,
        |c| pairs::parse(c, &input.email_addresses, &input.message_ids),
        |g, p| run(g, env, p),
    )
}

/// What Get Email Messages declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "get-email-messages",
    label: "Get Email Messages",
    description: "Retrieves email messages by message id or internet message id, with their internet headers and authentication verdicts.",
    deprecated: false,
    run: |env, conn, v| Ok(get_email_messages(env, conn, &Input::read(v)?)),
    parameters: &[
        mailboxes(mailbox_rule!(
            "The email addresses or user IDs from which to retrieve emails."
        )),
        message_ids(),
    ],
    permissions: MAIL_READ,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::testing::{FakeEnv, delegated_connection, json_response};

    #[test]
    fn a_message_that_is_not_an_object_fails_its_item_only() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(200, json!({"id": "AAMkADYAAAIBDAAAAA==", "subject": "ok"})),
            json_response(200, json!([1, 2, 3])),
        ]);
        let input = Input {
            email_addresses: vec![],
            message_ids: vec!["AAMkADYAAAIBDAAAAA==".into(), "AAMkADYAAAIBDAAAAB==".into()],
        };
        let r = get_email_messages(&env, &delegated_connection(), &input);
        assert_eq!(r.status, Status::PartiallySuccessful, "{:?}", r.errors);
        assert_eq!(r.key_fields["message-ids"], json!(["AAMkADYAAAIBDAAAAA=="]));
        assert_eq!(r.key_fields["failed-count"], 1);
        let items = &r.raw_data["items"];
        assert_eq!(items[0]["status"], "succeeded");
        assert_eq!(items[1]["item"], "AAMkADYAAAIBDAAAAB== in me");
        assert_eq!(items[1]["status"], "failed");
        assert_eq!(items[1]["error"]["statusCode"], r.errors[0].status_code);
        assert_eq!(
            r.errors[0].failure_indicator,
            "Get Email Messages failed for 'AAMkADYAAAIBDAAAAB== in me'."
        );
        assert!(
            r.errors[0]
                .message
                .contains("an array where a message object was expected"),
            "{}",
            r.errors[0].message
        );
    }
}
