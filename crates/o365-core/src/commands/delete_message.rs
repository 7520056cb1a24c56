//! Delete Email Message (reference §3.3), and the deprecated Remove Office 365 Email:
//! `DELETE {mbx}/messages/{id}` per message, 20 per `$batch`.

use serde_json::json;

use super::execute;
use super::message_actions::{self, message_path, targets};
use super::move_copy::MessagesInput;
use crate::batch::Request;
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::mail::pairs::Pair;
use crate::model::{CommandResult, Connection};

pub const LABEL: &str = "Delete Email Message";
pub const REMOVE_LABEL: &str = "Remove Office 365 Email";

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
