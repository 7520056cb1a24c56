//! The lookups and helpers several route modules need: a mailbox opened for the caller,
//! a message or a folder path in it, a message projected as Graph shows it, a request's
//! JSON body, a user as JSON, and the errors of each. Route modules (one per resource)
//! import this module, the helpers (`auth`, `mailbox`, `odata`, `prefer`, the query
//! modules), `mod.rs` and the store; never one another (`route_modules_import_no_other_route_module`).

use serde_json::{Map, Value, json};

use super::Ctx;
use super::auth::Need;
use super::mailbox::{self, Target};
use super::prefer::Prefer;
use crate::error::GraphError;
use crate::ids;
use crate::sim::lock;
use crate::store::message::{SELECT_ONLY_PROPERTIES, html_to_text};
use crate::store::{Folder, FolderLookup, Mailbox, Message, User};

/// Listing and reading message metadata.
pub(crate) const READ_BASIC: Need = Need {
    delegated: &["Mail.ReadBasic"],
    app: &["Mail.ReadBasic.All"],
    directory: false,
};

/// Bodies, attachments and MIME.
pub(crate) const READ: Need = Need {
    delegated: &["Mail.Read"],
    app: &["Mail.Read"],
    directory: false,
};

/// Where a message path starts: the whole mailbox or one folder (the
/// folder keys along `mailFolders/{a}/childFolders/{b}`).
pub(crate) enum Scope<'a> {
    Mailbox,
    Folder(Vec<&'a str>),
}

/// A message by REST or immutable id, with Exchange's two errors.
pub(crate) fn find<'m>(mbx: &'m Mailbox, id: &str) -> Result<&'m Message, GraphError> {
    if !ids::is_wellformed_id(id) {
        return Err(GraphError::new(
            400,
            "ErrorInvalidIdMalformed",
            "Id is malformed.",
        ));
    }
    mbx.message(id).ok_or_else(item_not_found)
}

/// Opens the caller's view of the mailbox `target` names.
pub(crate) fn with_mailbox<T>(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    f: impl FnOnce(&str, &Mailbox) -> Result<T, GraphError>,
) -> Result<T, GraphError> {
    let data = lock(&ctx.sim.data);
    let owner = mailbox::resolve(&data, &ctx.caller, target)?;
    f(&owner, &data.mailboxes[&owner]) // resolve() checked it exists
}

/// Applies `$select` (or the default property set), the caller's access
/// (Mail.ReadBasic sees no body) and the body-type preference.
pub(crate) fn project(
    mut map: Map<String, Value>,
    select: Option<&[String]>,
    full_access: bool,
    prefer: &Prefer,
) -> Map<String, Value> {
    match select {
        Some(select) => {
            map.retain(|k, _| k == "id" || k.starts_with('@') || select.contains(k));
        }
        None => {
            for k in SELECT_ONLY_PROPERTIES {
                map.remove(*k);
            }
        }
    }
    if !full_access {
        for k in ["body", "bodyPreview", "uniqueBody"] {
            map.remove(k);
        }
    }
    if prefer.body_text == Some(true) {
        for k in ["body", "uniqueBody"] {
            if let Some(body) = map.get_mut(k)
                && body["contentType"] == "html"
            {
                let text = html_to_text(body["content"].as_str().unwrap_or(""));
                *body = json!({"contentType": "text", "content": text});
            }
        }
    }
    map
}

/// `attachments` as `$expand=attachments` gives it: file contents inline,
/// items without their content.
pub(crate) fn attachment_list(m: &Message) -> Value {
    Value::Array(
        m.item
            .attachments
            .iter()
            .map(|a| a.to_json(false, false))
            .collect(),
    )
}

/// Walks the folder keys; each must be a child of the previous one.
pub(crate) fn resolve_path<'m>(
    mbx: &'m Mailbox,
    keys: &[&str],
) -> Result<Option<&'m Folder>, GraphError> {
    let mut current: Option<&Folder> = None;
    for key in keys {
        let folder = match mbx.resolve(key) {
            FolderLookup::Found(f) => f,
            FolderLookup::Malformed => {
                return Err(GraphError::new(
                    400,
                    "ErrorInvalidIdMalformed",
                    "Id is malformed.",
                ));
            }
            FolderLookup::NotFound => return Err(item_not_found()),
        };
        if current.is_some_and(|parent| folder.parent_id != parent.id) {
            return Err(item_not_found());
        }
        current = Some(folder);
    }
    Ok(current)
}

pub(crate) fn item_not_found() -> GraphError {
    GraphError::new(
        404,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    )
}

/// The request body as a JSON object (an empty body is an empty object).
pub(crate) fn json_body(ctx: &Ctx<'_>) -> Result<Map<String, Value>, GraphError> {
    if ctx.req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(ctx.req.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(GraphError::new(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )),
    }
}

/// What Graph returns without `$select`.
const USER_DEFAULT_PROPERTIES: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

pub(crate) fn user_json(user: &User, select: Option<&[String]>) -> Value {
    let names: Vec<&str> = match select {
        Some(s) => s.iter().map(String::as_str).collect(),
        None => USER_DEFAULT_PROPERTIES.to_vec(),
    };
    let mut out = Map::new();
    out.insert("id".into(), Value::String(user.id.clone()));
    for name in names {
        let value = user.props.get(name).cloned().unwrap_or(Value::Null);
        out.insert(name.to_string(), value);
    }
    Value::Object(out)
}

pub(crate) fn user_not_found(key: &str) -> GraphError {
    GraphError::new(
        404,
        "Request_ResourceNotFound",
        format!(
            "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}
