//! List Mail Folders (reference §3.10): the folders under the root or a parent, for one or
//! more mailboxes, all pages.

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
use crate::env::Env;
use crate::error::Error;
use crate::graph::{Graph, Listed};
use crate::http::{self, segment};
use crate::input::Values;
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection};
use crate::outcome::{ItemOutcome, ItemOutcomes};
use crate::spec::{CommandSpec, ParamType, Permissions, param};
use crate::validate;

pub const LABEL: &str = SPEC.label;
const PARENT_FOLDER_ID: &str = SPEC.label_of("parent-folder-id");
const MAILBOXES: &str = SPEC.label_of("email-addresses");
/// Folders returned per mailbox at most; a mailbox rarely has more than a few hundred.
const MAX_FOLDERS: usize = 5_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_addresses: Vec<String>,
    pub include_hidden_folders: bool,
    pub parent_folder_id: Option<String>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_addresses: values.list("email-addresses")?,
            include_hidden_folders: values.flag("include-hidden-folders")?,
            parent_folder_id: values.optional_text("parent-folder-id")?,
        })
    }
}

struct Plan {
    mailboxes: Vec<Mailbox>,
    parent: Option<String>,
    include_hidden: bool,
}

fn parse(conn: &Connection, input: &Input) -> Result<Plan, Error> {
    let mut mailboxes: Vec<Mailbox> = Vec::new();
    for address in input
        .email_addresses
        .iter()
        .filter(|a| !a.trim().is_empty())
    {
        let mailbox = Mailbox::resolve(conn, Some(address), MAILBOXES)?;
        // The same mailbox twice would list it twice.
        if !mailboxes
            .iter()
            .any(|m| m.display().eq_ignore_ascii_case(mailbox.display()))
        {
            mailboxes.push(mailbox);
        }
    }
    if mailboxes.is_empty() {
        mailboxes.push(Mailbox::resolve(conn, None, MAILBOXES)?);
    }
    let parent = match input.parent_folder_id.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => Some(validate::folder_ref(PARENT_FOLDER_ID, p)?),
        _ => None,
    };
    Ok(Plan {
        mailboxes,
        parent,
        include_hidden: input.include_hidden_folders,
    })
}

fn list_one(graph: &Graph, mailbox: &Mailbox, plan: &Plan) -> Result<Listed, Error> {
    let collection = match &plan.parent {
        None => format!("{}/mailFolders", mailbox.path()),
        Some(p) => format!("{}/mailFolders/{}/childFolders", mailbox.path(), segment(p)),
    };
    let mut query = vec![("$top", "100".to_string())];
    if plan.include_hidden {
        query.push(("includeHiddenFolders", "true".to_string()));
    }
    graph
        .get_all_partial(&format!("{collection}{}", http::query(&query)), MAX_FOLDERS)
        .map_err(|e| match &plan.parent {
            Some(p) => e.for_parameter(PARENT_FOLDER_ID, p),
            None => e,
        })
}

fn run(graph: &Graph, plan: Plan, env: &dyn Env) -> Result<CommandResult, Error> {
    let mut all = Vec::new();
    let mut items = ItemOutcomes::new(LABEL);
    let total = plan.mailboxes.len() as u32;
    for (i, mailbox) in plan.mailboxes.iter().enumerate() {
        let name = mailbox.display();
        match list_one(graph, mailbox, &plan) {
            Ok(listed) => {
                let listed_here =
                    ItemOutcome::succeeded(name, "listed").with("folderCount", listed.items.len());
                // Every item of a listing is an object (Graph::for_each_page checks).
                all.extend(listed.items.into_iter().map(|mut f| {
                    f["mailbox"] = json!(name);
                    f
                }));
                // Paging that stopped early keeps the folders read before it: the
                // mailbox is partly done, not failed.
                let stopped = listed.stopped.map(|e| (name.to_string(), e));
                items.push(listed_here.with_part_errors(stopped.into_iter().collect(), true));
            }
            // One mailbox alone: its error is the command's error.
            Err(e) if plan.mailboxes.len() == 1 => return Err(e),
            Err(e) => items.push(ItemOutcome::failed(name, e)),
        }
        env.progress(
            u32::try_from(i.saturating_add(1)).unwrap_or(u32::MAX),
            total,
            &format!("listed folders of {name}"),
        );
    }
    let mut result = items.result();
    result.key_fields = json!({
        "folder-count": all.len(),
        "folder-ids": all.iter().map(|f| f["id"].clone()).collect::<Vec<_>>(),
        "folder-names": all.iter().map(|f| f["displayName"].clone()).collect::<Vec<_>>(),
    });
    result.context_data = json!({
        "folders": all.iter().map(|f| json!({
            "mailbox": f["mailbox"],
            "id": f["id"],
            "displayName": f["displayName"],
            "parentFolderId": f["parentFolderId"],
            "childFolderCount": f["childFolderCount"],
            "isHidden": f["isHidden"],
        })).collect::<Vec<_>>(),
    });
    result.raw_data["value"] = Value::Array(all);
    Ok(result)
}

pub fn list_mail_folders(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(
        env,
        conn,
        LABEL,
        |c| parse(c, input),
        |g, plan| run(g, plan, env),
    )
}

/// What List Mail Folders declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "list-mail-folders",
    label: "List Mail Folders",
    description: "Retrieves a list of mail folders.",
    deprecated: false,
    run: |env, conn, v| Ok(list_mail_folders(env, conn, &Input::read(v)?)),
    parameters: &[
        param("email-addresses", "Email Addresses or User IDs", ParamType::TextList, false)
            .example("[\"alex.wilber@contoso.example\"]")
            .describe("The email addresses or user IDs for which to list mail folders. May be left blank with the Authorization Code grant type (the signed-in user's mailbox); required with Client Credentials."),
        param("include-hidden-folders", "Include Hidden Folders", ParamType::Boolean, false)
            .default("false")
            .example("False")
            .describe("Whether to include hidden folders in the returned list."),
        param("parent-folder-id", "Parent Folder ID", ParamType::Text, false)
            .example("Inbox")
            .describe("The parent folder of the folders to retrieve: a folder id or a well-known name. By default the top-level folders (root, \"Top of Information Store\")."),
    ],
    permissions: Permissions {
        delegated: &["Mail.ReadBasic"],
        application: &["Mail.ReadBasic.All"],
        note: None,
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::testing::{FakeEnv, delegated_connection, json_response};

    #[test]
    fn folders_that_are_not_objects_fail_with_a_message_not_a_panic() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(200, json!({"value": [42, "inbox", null]})),
        ]);
        let r = list_mail_folders(&env, &delegated_connection(), &Input::default());
        assert_eq!(r.status, Status::Failed);
        assert!(r.errors[0].message.contains("is a number, not an object"));
    }

    #[test]
    fn a_foreign_next_link_keeps_the_folders_read_before_it() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(
                200,
                json!({"value": [{"id": "f1", "displayName": "Inbox"}],
                       "@odata.nextLink": "https://graph.microsoft.com/v1.0/users/other@t.example/mailFolders?%24skip=1"}),
            ),
            json_response(200, json!({"id": "me-id"})),
            json_response(200, json!({"id": "other-id"})),
        ]);
        let r = list_mail_folders(&env, &delegated_connection(), &Input::default());
        assert_eq!(r.status, Status::PartiallySuccessful, "{:?}", r.errors);
        assert_eq!(r.key_fields["folder-ids"], json!(["f1"]));
        let me = &r.raw_data["items"][0];
        assert_eq!(me["item"], "me");
        assert_eq!(me["status"], "partially-succeeded");
        assert_eq!(me["data"]["folderCount"], 1);
        assert_eq!(me["partErrors"][0]["part"], "me");
        assert_eq!(
            r.errors[0].failure_indicator,
            "List Mail Folders failed for 'me'."
        );
        assert!(
            r.errors[0].message.contains("names mailbox"),
            "{}",
            r.errors[0].message
        );
    }
}
