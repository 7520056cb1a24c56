//! Create Mail Folder (reference §3.2): a folder at the top level or under a parent.

use serde_json::json;

use super::execute;
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::segment;
use crate::input::Values;
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection, Status};
use crate::retry::Idempotency;
use crate::spec::{CommandSpec, ParamType, Permissions, param};
use crate::validate;

pub const LABEL: &str = SPEC.label;
const EMAIL_ADDRESS: &str = SPEC.label_of("email-address");
const NEW_FOLDER_NAME: &str = SPEC.label_of("new-folder-name");
const DESTINATION_MAIL_FOLDER_ID: &str = SPEC.label_of("destination-mail-folder-id");
/// Exchange limits folder names to 255 characters.
const MAX_NAME_CHARS: usize = 255;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_address: Option<String>,
    pub destination_mail_folder_id: Option<String>,
    pub new_folder_name: String,
    pub is_hidden: bool,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_address: values.optional_text("email-address")?,
            destination_mail_folder_id: values.optional_text("destination-mail-folder-id")?,
            new_folder_name: values.text("new-folder-name")?,
            is_hidden: values.flag("is-hidden")?,
        })
    }
}

struct Plan {
    mailbox: Mailbox,
    parent: Option<String>,
    name: String,
    hidden: bool,
}

fn parse(conn: &Connection, input: &Input) -> Result<Plan, Error> {
    let mailbox = Mailbox::resolve(conn, input.email_address.as_deref(), EMAIL_ADDRESS)?;
    let name = input.new_folder_name.trim();
    if name.is_empty() {
        return Err(Error::input(
            NEW_FOLDER_NAME,
            "is required: give the display name of the folder to create.",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::input(
            NEW_FOLDER_NAME,
            format!("is longer than {MAX_NAME_CHARS} characters."),
        ));
    }
    let parent = match input.destination_mail_folder_id.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => Some(validate::folder_ref(DESTINATION_MAIL_FOLDER_ID, p)?),
        _ => None,
    };
    Ok(Plan {
        mailbox,
        parent,
        name: name.to_string(),
        hidden: input.is_hidden,
    })
}

fn run(graph: &Graph, plan: Plan) -> Result<CommandResult, Error> {
    let path = match &plan.parent {
        None => format!("{}/mailFolders", plan.mailbox.path()),
        Some(p) => format!(
            "{}/mailFolders/{}/childFolders",
            plan.mailbox.path(),
            segment(p)
        ),
    };
    let body = json!({"displayName": plan.name, "isHidden": plan.hidden});
    // Not repeated after a lost response: Graph would answer ErrorFolderExists, hiding success.
    let folder = graph
        .post_json(&path, &body, Idempotency::NotIdempotent)
        .map_err(|e| match &plan.parent {
            Some(p) => e.for_parameter(DESTINATION_MAIL_FOLDER_ID, p),
            None => e,
        })?;
    let mut result = CommandResult::new(Status::Successful);
    result.key_fields = json!({
        "folder-id": folder["id"],
        "display-name": folder["displayName"],
        "parent-folder-id": folder["parentFolderId"],
        "is-hidden": folder["isHidden"],
        "mailbox": plan.mailbox.display(),
    });
    result.context_data = result.key_fields.clone();
    result.raw_data = folder;
    Ok(result)
}

pub fn create_mail_folder(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(env, conn, LABEL, |c| parse(c, input), run)
}

/// What Create Mail Folder declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "create-mail-folder",
    label: "Create Mail Folder",
    description: "Creates a new mail folder or sub folder in a user's mailbox.",
    deprecated: false,
    run: |env, conn, v| Ok(create_mail_folder(env, conn, &Input::read(v)?)),
    parameters: &[
        param("email-address", "Email Address", ParamType::Text, false)
            .example("support@example.com")
            .describe("The mailbox in which the new folder will be created. May be left blank with the Authorization Code grant type (the signed-in user's mailbox); required with Client Credentials."),
        param("destination-mail-folder-id", "Destination Mail Folder ID", ParamType::Text, false)
            .example("archive")
            .describe("The name or ID of the parent mail folder. Empty: the folder is created at the top level. Use a well-known name (e.g. archive) or a folder id from List Mail Folders."),
        param("new-folder-name", "New Folder Name", ParamType::Text, true)
            .example("newFolder")
            .describe("The display name of the new folder."),
        param("is-hidden", "Is Hidden", ParamType::Boolean, false)
            .default("false")
            .example("True")
            .describe("Whether the new folder is hidden. Can only be set at creation."),
    ],
    permissions: Permissions {
        delegated: &["Mail.ReadWrite"],
        application: &["Mail.ReadWrite"],
        note: None,
    },
};
