//! Delete Email Message (reference §3.3), and the deprecated Remove Office 365 Email:
//! `DELETE {mbx}/messages/{id}` per message, 20 per `$batch`.

use serde_json::json;

use super::execute;
use super::message_actions::{self, message_path, targets};
use super::move_copy::MessagesInput;
use super::params::{MAIL_WRITE, mailbox_rule, mailboxes, message_ids_param};
use crate::batch::Request;
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::mail::pairs::Pair;
use crate::model::{CommandResult, Connection};
use crate::spec::CommandSpec;

pub const LABEL: &str = SPEC.label;
pub const REMOVE_LABEL: &str = REMOVE_SPEC.label;

fn parse(conn: &Connection, input: &MessagesInput) -> Result<Vec<Pair>, Error> {
    targets(conn, &input.email_addresses, &input.message_ids)
}

fn run(graph: &Graph, targets: Vec<Pair>, label: &str) -> Result<CommandResult, Error> {
    let outcomes = message_actions::act(graph, &targets, "deleted messages", |t, id| {
        Ok(Request::delete(message_path(t, id)))
    });
    let mut result = message_actions::result(label, "deleted", &outcomes);
    let deleted: Vec<_> = outcomes.iter().filter(|o| o.result.is_ok()).collect();
    result.key_fields = json!({
        "succeeded": deleted.len(),
        "failed": outcomes.len() - deleted.len(),
        "deleted-message-ids": deleted.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
    });
    let deleted: Vec<_> = deleted
        .iter()
        .map(|o| json!({"mailbox": o.target.mailbox.display(), "id": o.id}))
        .collect();
    result.context_data = json!({"deleted": deleted});
    Ok(result)
}

fn delete(env: &dyn Env, conn: &Connection, input: &MessagesInput, label: &str) -> CommandResult {
    execute(
        env,
        conn,
        label,
        |c| parse(c, input),
        |g, t| run(g, t, label),
    )
}

pub fn delete_email_message(
    env: &dyn Env,
    conn: &Connection,
    input: &MessagesInput,
) -> CommandResult {
    delete(env, conn, input, LABEL)
}

/// Deprecated: the same as Delete Email Message.
pub fn remove_office365_email(
    env: &dyn Env,
    conn: &Connection,
    input: &MessagesInput,
) -> CommandResult {
    delete(env, conn, input, REMOVE_LABEL)
}

/// What Delete Email Message declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "delete-email-message",
    label: "Delete Email Message",
    description: "Deletes the specified email messages (into Recoverable Items), 20 per JSON batch.",
    deprecated: false,
    run: |env, conn, v| Ok(delete_email_message(env, conn, &MessagesInput::read(v)?)),
    parameters: &[
        mailboxes(mailbox_rule!(
            "The mailbox of each message, paired by index with Message IDs."
        )),
        message_ids_param(
            "The messages to delete: Graph ids or internetMessageIds, each paired with the address at the same index.",
        ),
    ],
    permissions: MAIL_WRITE,
};

/// What Remove Office 365 Email declares: the manifest entry, the input it reads, the runner.
pub const REMOVE_SPEC: CommandSpec = CommandSpec {
    name: "remove-office365-email",
    label: "Remove Office 365 Email",
    description: "Deprecated: use Delete Email Message.",
    deprecated: true,
    run: |env, conn, v| Ok(remove_office365_email(env, conn, &MessagesInput::read(v)?)),
    parameters: &[
        mailboxes(mailbox_rule!(
            "The mailbox of each message, paired by index with Message IDs."
        )),
        message_ids_param("The messages to delete."),
    ],
    permissions: MAIL_WRITE,
};
