//! Move or Copy Email Messages (reference §3.12), and the deprecated Move Email to junk
//! box: `POST {mbx}/messages/{id}/move|copy` per message, 20 per `$batch`. Graph answers
//! with the message as it now is, under a new id; the new ids are returned.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::execute;
use super::message_actions::{self, Acted, message_path, targets};
use super::params::{MAIL_WRITE, destination_param, mailbox_rule, mailboxes, message_ids_param};
use crate::batch::Request;
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::input::Values;
use crate::mail::folders::FolderRef;
use crate::mail::pairs::Pair;
use crate::model::{CommandResult, Connection};
use crate::spec::{CommandSpec, ParamType, param};

pub const LABEL: &str = SPEC.label;
pub const JUNK_LABEL: &str = JUNK_SPEC.label;
pub(crate) const FOLDER: &str = SPEC.label_of("destination-mail-folder");

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Action {
    #[default]
    Move,
    Copy,
}

impl crate::input::Choice for Action {
    const CASES: &'static [(&'static str, Self)] =
        &[("move", Action::Move), ("copy", Action::Copy)];
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Move => "move",
            Action::Copy => "copy",
        }
    }

    pub fn done(self) -> &'static str {
        match self {
            Action::Move => "moved",
            Action::Copy => "copied",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_addresses: Vec<String>,
    pub message_ids: Vec<String>,
    pub destination_mail_folder: String,
    pub move_or_copy: Action,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_addresses: values.list("email-addresses")?,
            message_ids: values.list("message-ids")?,
            destination_mail_folder: values.text("destination-mail-folder")?,
            move_or_copy: values.choice("move-or-copy")?,
        })
    }
}

/// The deprecated command's input: the messages only; the folder is junkemail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessagesInput {
    pub email_addresses: Vec<String>,
    pub message_ids: Vec<String>,
}

impl MessagesInput {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<MessagesInput, Error> {
        Ok(MessagesInput {
            email_addresses: values.list("email-addresses")?,
            message_ids: values.list("message-ids")?,
        })
    }
}

struct Plan {
    targets: Vec<Pair>,
    folder: FolderRef,
    action: Action,
}

fn parse(conn: &Connection, input: &Input) -> Result<Plan, Error> {
    Ok(Plan {
        targets: targets(conn, &input.email_addresses, &input.message_ids)?,
        folder: FolderRef::parse(FOLDER, &input.destination_mail_folder)?,
        action: input.move_or_copy,
    })
}

fn run(graph: &Graph, plan: Plan, label: &str) -> Result<CommandResult, Error> {
    // A display name is looked up once per mailbox; its failure fails that mailbox's items.
    let mut folders: HashMap<String, Result<String, Error>> = HashMap::new();
    for t in &plan.targets {
        folders
            .entry(t.mailbox.display().to_ascii_lowercase())
            .or_insert_with(|| plan.folder.resolve(graph, &t.mailbox, FOLDER));
    }
    let verb = plan.action.verb();
    let outcomes = message_actions::act(
        graph,
        &plan.targets,
        &format!("{} messages", plan.action.done()),
        |t, id| {
            let folder = folders[&t.mailbox.display().to_ascii_lowercase()].clone()?;
            Ok(Request::post(
                format!("{}/{verb}", message_path(t, id)),
                json!({"destinationId": folder}),
            ))
        },
    );
    Ok(summary(label, plan.action, &outcomes))
}

fn summary(label: &str, action: Action, outcomes: &[Acted]) -> CommandResult {
    let mut result = message_actions::result(label, action.done(), outcomes);
    let new_id = |o: &Acted| -> Value {
        o.result
            .as_ref()
            .ok()
            .map(|m| m["id"].clone())
            .unwrap_or(Value::Null)
    };
    let succeeded = outcomes.iter().filter(|o| o.result.is_ok()).count();
    result.key_fields = json!({
        "action": action.verb(),
        "succeeded": succeeded,
        "failed": outcomes.len() - succeeded,
        // Aligned with the input's Message IDs; null where the item failed.
        "new-message-ids": outcomes.iter().map(new_id).collect::<Vec<_>>(),
    });
    result.context_data = json!({"messages": outcomes.iter().filter(|o| o.result.is_ok()).map(|o| json!({
        "mailbox": o.target.mailbox.display(),
        "originalId": o.id,
        "newId": new_id(o),
        "parentFolderId": o.result.as_ref().ok().map(|m| m["parentFolderId"].clone()),
    })).collect::<Vec<_>>()});
    result
}

pub fn move_or_copy_email_messages(
    env: &dyn Env,
    conn: &Connection,
    input: &Input,
) -> CommandResult {
    move_copy(env, conn, input, LABEL)
}

fn move_copy(env: &dyn Env, conn: &Connection, input: &Input, label: &str) -> CommandResult {
    execute(
        env,
        conn,
        label,
        |c| parse(c, input),
        |g, p| run(g, p, label),
    )
}

/// Deprecated: Move or Copy with the folder `junkemail` and the action `move`.
pub fn move_email_to_junk_box(
    env: &dyn Env,
    conn: &Connection,
    input: &MessagesInput,
) -> CommandResult {
    let input = Input {
        email_addresses: input.email_addresses.clone(),
        message_ids: input.message_ids.clone(),
        destination_mail_folder: "junkemail".into(),
        move_or_copy: Action::Move,
    };
    move_copy(env, conn, &input, JUNK_LABEL)
}

/// What Move or Copy Email Messages declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "move-or-copy-email-messages",
    label: "Move or Copy Email Messages",
    description: "Moves or copies the specified messages to the destination mail folder, 20 per JSON batch; returns each message's new id.",
    deprecated: false,
    run: |env, conn, v| Ok(move_or_copy_email_messages(env, conn, &Input::read(v)?)),
    parameters: &[
        mailboxes(mailbox_rule!("The mailbox of each message, paired by index with Message IDs.")),
        message_ids_param("The messages to move or copy: Graph ids ($.value[*].id of Fetch Event) or internetMessageIds, each paired with the address at the same index."),
        destination_param(),
        param("move-or-copy", "Move or Copy", ParamType::Choice, true)
            .choices(&["Move", "Copy"])
            .example("Move")
            .describe("\"Move\" relocates the messages (they get new ids); \"Copy\" duplicates them into the destination."),
    ],
    permissions: MAIL_WRITE,
};

/// What Move Email to junk box declares: the manifest entry, the input it reads, the runner.
pub const JUNK_SPEC: CommandSpec = CommandSpec {
    name: "move-email-to-junk-box",
    label: "Move Email to junk box",
    description: "Deprecated: use Move or Copy Email Messages with the folder junkemail.",
    deprecated: true,
    run: |env, conn, v| Ok(move_email_to_junk_box(env, conn, &MessagesInput::read(v)?)),
    parameters: &[
        mailboxes(mailbox_rule!(
            "The mailbox of each message, paired by index with Message IDs."
        )),
        message_ids_param("The messages to move to Junk Email."),
    ],
    permissions: MAIL_WRITE,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::testing::{FakeEnv, app_connection, json_response};

    #[test]
    fn partial_success_with_new_ids_and_internet_message_id_lookup() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            // the internetMessageId lookup
            json_response(
                200,
                json!({"responses": [{"id": "1", "status": 200, "body": {"value": [{"id": "AAMkRESOLVED000000=="}]}}]}),
            ),
            json_response(
                200,
                json!({"responses": [
                    {"id": "1", "status": 201, "body": {"id": "NEW1", "parentFolderId": "JUNK"}},
                    {"id": "2", "status": 404, "body": {"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}}},
                ]}),
            ),
        ]);
        let input = Input {
            email_addresses: vec!["a@t.example".into(), "b@t.example".into()],
            message_ids: vec!["<x@mail.example>".into(), "AAMkAGVmMDEzMTM4AAA=".into()],
            destination_mail_folder: "JunkEmail".into(),
            move_or_copy: Action::Move,
        };
        let r = move_or_copy_email_messages(&env, &app_connection(), &input);
        assert_eq!(r.status, Status::PartiallySuccessful);
        assert_eq!(r.key_fields["new-message-ids"], json!(["NEW1", null]));
        assert_eq!(r.errors.len(), 1);
        assert_eq!(
            r.errors[0].failure_indicator,
            "Move or Copy Email Messages failed for 'AAMkAGVmMDEzMTM4AAA= in b@t.example'."
        );
        assert_eq!(r.errors[0].status_code, 404);
        let batch: Value = serde_json::from_slice(&env.sent()[2].body).unwrap();
        assert_eq!(
            batch["requests"][0],
            json!({"id": "1", "method": "POST", "url": "/users/a@t.example/messages/AAMkRESOLVED000000%3D%3D/move",
                   "body": {"destinationId": "junkemail"}, "headers": {"Content-Type": "application/json"}})
        );
        assert_eq!(
            r.context_data["messages"][0]["originalId"],
            "AAMkRESOLVED000000=="
        );
        let items = &r.raw_data["items"];
        assert_eq!(items[0]["item"], "<x@mail.example> in a@t.example");
        assert_eq!(items[0]["status"], "succeeded");
        assert_eq!(items[0]["outcome"], "moved");
        assert_eq!(items[0]["data"]["id"], "AAMkRESOLVED000000==");
        assert_eq!(items[0]["data"]["message"]["id"], "NEW1");
        assert_eq!(items[1]["status"], "failed");
        assert_eq!(items[1]["error"]["code"], "ErrorItemNotFound");
        assert_eq!(items[1]["data"]["messageId"], "AAMkAGVmMDEzMTM4AAA=");
    }
}
