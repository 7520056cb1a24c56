//! List Mail Folders (reference §3.10): the folders under the root or a parent, for one or
//! more mailboxes, all pages.

use serde_json::{Value, json};

use super::{execute, item_error};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::{self, segment};
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection, Status, collection};
use crate::validate;

pub const LABEL: &str = "List Mail Folders";
const MAILBOXES: &str = "Email Addresses or User IDs";
/// Folders returned per mailbox at most; a mailbox rarely has more than a few hundred.
const MAX_FOLDERS: usize = 5_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_addresses: Vec<String>,
    pub include_hidden_folders: bool,
    pub parent_folder_id: Option<String>,
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
        Some(p) if !p.is_empty() => Some(validate::folder_ref("Parent Folder ID", p)?),
        _ => None,
    };
    Ok(Plan {
        mailboxes,
        parent,
        include_hidden: input.include_hidden_folders,
    })
}

fn list_one(graph: &Graph, mailbox: &Mailbox, plan: &Plan) -> Result<Vec<Value>, Error> {
    let collection = match &plan.parent {
        None => format!("{}/mailFolders", mailbox.path()),
        Some(p) => format!("{}/mailFolders/{}/childFolders", mailbox.path(), segment(p)),
    };
    let mut query = vec![("$top", "100".to_string())];
    if plan.include_hidden {
        query.push(("includeHiddenFolders", "true".to_string()));
    }
    graph
        .get_all(&format!("{collection}{}", http::query(&query)), MAX_FOLDERS)
        .map_err(|e| match &plan.parent {
            Some(p) => e.for_parameter("Parent Folder ID", p),
            None => e,
        })
}

fn run(graph: &Graph, plan: Plan, env: &dyn Env) -> Result<CommandResult, Error> {
    let mut all = Vec::new();
    let mut errors = Vec::new();
    let mut succeeded = 0;
    let total = plan.mailboxes.len() as u32;
    for (i, mailbox) in plan.mailboxes.iter().enumerate() {
        match list_one(graph, mailbox, &plan) {
            Ok(folders) => {
                succeeded += 1;
                all.extend(folders.into_iter().map(|mut f| {
                    f["mailbox"] = json!(mailbox.display());
                    f
                }));
            }
            // One mailbox alone: its error is the command's error.
            Err(e) if plan.mailboxes.len() == 1 => return Err(e),
            Err(e) => errors.push(item_error(LABEL, mailbox.display(), &e)),
        }
        env.progress(
            i as u32 + 1,
            total,
            &format!("listed folders of {}", mailbox.display()),
        );
    }
    let mut result = CommandResult::new(Status::from_counts(succeeded, errors.len()));
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
    result.raw_data = collection(all);
    result.errors = errors;
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
