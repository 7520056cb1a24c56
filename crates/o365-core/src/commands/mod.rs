//! The commands. Each has a `parse` step (input -> plan, no HTTP, errors name the
//! parameter) and a `run` step (plan -> Graph calls -> result). [`execute`] ties them
//! together, turns errors into failed results and scrubs secrets from what goes out.

pub mod create_mail_folder;
pub mod delete_message;
pub mod delete_users;
pub mod fetch;
pub mod fetch_event;
pub mod fetch_related_events;
pub mod get_email_attachments;
pub mod get_email_emls;
pub mod get_email_messages;
pub mod list_mail_folders;
pub mod list_message_rules;
mod message_actions;
pub mod move_copy;
pub mod params;
pub mod remove_licenses;
pub mod reply;
pub mod report_emails;
pub mod search_email;
pub mod search_move;
pub mod send_mail;
pub mod setup_auto_reply;
pub mod test_connection;

use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::model::{CommandError, CommandResult, Connection};
use crate::retry::{Deadline, RetryPolicy};
use crate::validate;

/// Every command ends by then, whatever the servers do: well inside the host's
/// 600 s wall clock, so a slow or silent server ends with this component's own
/// message and the work done so far. The manifest states it.
pub const COMMAND_DEADLINE: std::time::Duration = std::time::Duration::from_secs(300);

/// The Error tab entry for a whole command: "List Mail Folders failed."
pub fn command_error(label: &str, error: &Error) -> CommandError {
    CommandError {
        failure_indicator: format!("{label} failed."),
        status_code: error.status_code(),
        message: error.user_message(),
    }
}

pub fn failed(label: &str, error: &Error) -> CommandResult {
    let e = command_error(label, error);
    CommandResult::failed(e.failure_indicator, e.status_code, e.message)
}

/// Validates the connection, parses the input, runs the plan; every error becomes a
/// failed result. No secret or token leaves in the result: the errors are scrubbed
/// here, the JSON parts when written ([`CommandResult::into_wire`], the only way a
/// result leaves the core).
pub fn execute<P>(
    env: &dyn Env,
    conn: &Connection,
    label: &str,
    parse: impl FnOnce(&Connection) -> Result<P, Error>,
    run: impl FnOnce(&Graph, P) -> Result<CommandResult, Error>,
) -> CommandResult {
    let plan = match validate::connection(conn).and_then(|()| parse(conn)) {
        Ok(plan) => plan,
        Err(e) => {
            let mut r = failed(label, &e);
            r.redact(&conn.secrets());
            return r;
        }
    };
    let policy =
        RetryPolicy::default().with_deadline(Deadline::starting_now(env, COMMAND_DEADLINE));
    let graph = Graph::new(env, conn, policy);
    let mut result = run(&graph, plan).unwrap_or_else(|e| failed(label, &e));
    let mut secrets = conn.secrets();
    secrets.extend(graph.tokens().seen_tokens());
    result.redact_on_write(secrets);
    result
}
