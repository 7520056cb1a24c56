//! Mail folders: `{mbx}/mailFolders[/{id}(/childFolders/{id})*][/childFolders]`,
//! list (paged with `$skip`), get and create.

use http::{Method, StatusCode};
use serde_json::Value;

use super::auth::Need;
use super::lookup::{Scope, item_not_found, resolve_path};
use super::mailbox::{self, Target};
use super::{Ctx, is, method_not_allowed, odata, route_message_rules, route_messages};
use crate::error::GraphError;
use crate::sim::lock;
use crate::store::{Folder, Mailbox};
use crate::wire::Resp;

const READ: Need = Need {
    delegated: &["Mail.ReadBasic"],
    app: &["Mail.ReadBasic.All"],
    directory: false,
};
const WRITE: Need = Need {
    delegated: &["Mail.ReadWrite"],
    app: &["Mail.ReadWrite"],
    directory: false,
};

/// Outlook's default page size for folder lists.
const DEFAULT_TOP: usize = 10;

/// Properties `$select` may name (mailFolder plus mailSearchFolder).
const FOLDER_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "parentFolderId",
    "childFolderCount",
    "unreadItemCount",
    "totalItemCount",
    "sizeInBytes",
    "isHidden",
    "filterQuery",
    "isSupported",
    "includeNestedFolders",
    "sourceFolderIds",
];

/// What the path after `mailFolders` addresses.
struct Shape<'a> {
    /// Folder keys along `{a}/childFolders/{b}/...`; empty means the
    /// top-level collection.
    keys: Vec<&'a str>,
    /// True when the path ends in a collection (`mailFolders` or
    /// `.../childFolders`).
    collection: bool,
}

fn parse_shape(tail: &[String]) -> Result<Shape<'_>, GraphError> {
    let mut it = tail.iter();
    let Some(first) = it.next() else {
        return Ok(Shape {
            keys: Vec::new(),
            collection: true,
        });
    };
    let mut shape = Shape {
        keys: vec![first.as_str()],
        collection: false,
    };
    while let Some(seg) = it.next() {
        if !is(seg, "childFolders") {
            return Err(GraphError::unknown_segment(seg));
        }
        match it.next() {
            Some(key) => shape.keys.push(key),
            None => shape.collection = true,
        }
    }
    Ok(shape)
}

pub(super) fn route(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    tail: &[String],
) -> Result<Resp, GraphError> {
    // `{folder}/messages/...` and `{folder}/messageRules/...` belong to
    // their own modules; the folder path before them names one folder.
    if let Some(at) = tail
        .iter()
        .position(|s| is(s, "messages") || is(s, "messageRules"))
    {
        let folder = parse_shape(&tail[..at])?;
        if folder.collection || folder.keys.is_empty() {
            return Err(GraphError::unknown_segment(&tail[at]));
        }
        let rest = &tail[at + 1..];
        return if is(&tail[at], "messages") {
            route_messages(ctx, target, &Scope::Folder(folder.keys), rest)
        } else {
            route_message_rules(ctx, target, &folder.keys, rest)
        };
    }
    let shape = parse_shape(tail)?;
    let method = ctx.req.method;
    let need = match (method, shape.collection) {
        (&Method::GET, _) => &READ,
        (&Method::POST, true) => &WRITE,
        _ => return Err(method_not_allowed(ctx)),
    };
    ctx.caller.require(need)?;
    if method == Method::POST {
        create(ctx, target, &shape.keys)
    } else if shape.collection {
        list(ctx, target, &shape.keys)
    } else {
        get(ctx, target, &shape.keys)
    }
}

/// The folder whose children a collection path lists: the last key, or
/// msgfolderroot for the top-level collection.
fn collection_parent<'m>(mbx: &'m Mailbox, keys: &[&str]) -> Result<&'m Folder, GraphError> {
    match resolve_path(mbx, keys)? {
        Some(f) => Ok(f),
        None => mbx.root().ok_or_else(item_not_found),
    }
}

/// `users('<id>')/mailFolders` or `users('<id>')/mailFolders('<p>')/childFolders`.
fn collection_fragment(owner: &str, keys: &[&str], parent: &Folder) -> String {
    if keys.is_empty() {
        format!("users('{owner}')/mailFolders")
    } else {
        format!("users('{owner}')/mailFolders('{}')/childFolders", parent.id)
    }
}

fn list(ctx: &Ctx<'_>, target: Target<'_>, keys: &[&str]) -> Result<Resp, GraphError> {
    ctx.query
        .reject(&["$filter", "$search", "$orderby", "$expand", "$count"])?;
    let top = ctx.query.number("$top", DEFAULT_TOP)?;
    if top == 0 {
        // A zero page would make the nextLink loop forever.
        return Err(GraphError::new(
            400,
            "BadRequest",
            "Invalid value '0' for query option '$top'.",
        ));
    }
    let skip = ctx.query.number("$skip", 0)?;
    let select = ctx
        .query
        .select(FOLDER_PROPERTIES, "microsoft.graph.mailFolder")?;
    let include_hidden = ctx.query.flag("includeHiddenFolders");

    let data = lock(&ctx.sim.data);
    let owner = mailbox::resolve(&data, &ctx.caller, target)?;
    let mbx = &data.mailboxes[&owner]; // resolve() checked it exists
    let parent = collection_parent(mbx, keys)?;
    let children = mbx.children(&parent.id, include_hidden);
    let (page, more) = odata::page(&children, skip, top);
    let items = page
        .iter()
        .map(|f| odata::project(mbx.folder_json(f), select.as_deref()))
        .collect();
    let next = more.then(|| {
        ctx.query
            .next_link(ctx.meta, ctx.req.path, "$skip", &(skip + top).to_string())
    });
    let context = ctx.context(&collection_fragment(&owner, keys, parent));
    Ok(ctx.ok(StatusCode::OK, &odata::collection(context, items, next)))
}

fn get(ctx: &Ctx<'_>, target: Target<'_>, keys: &[&str]) -> Result<Resp, GraphError> {
    let select = ctx
        .query
        .select(FOLDER_PROPERTIES, "microsoft.graph.mailFolder")?;
    let data = lock(&ctx.sim.data);
    let owner = mailbox::resolve(&data, &ctx.caller, target)?;
    let mbx = &data.mailboxes[&owner]; // resolve() checked it exists
    let folder = resolve_path(mbx, keys)?.ok_or_else(item_not_found)?;
    let mut body = odata::project(mbx.folder_json(folder), select.as_deref());
    let fragment = match keys.len() {
        1 => format!("users('{owner}')/mailFolders/$entity"),
        _ => format!(
            "users('{owner}')/mailFolders('{}')/childFolders/$entity",
            folder.parent_id
        ),
    };
    body["@odata.context"] = Value::String(ctx.context(&fragment));
    Ok(ctx.ok(StatusCode::OK, &body))
}

/// The create body: `{"displayName": "...", "isHidden": bool?}`.
fn parse_create_body(body: &[u8]) -> Result<(String, bool), GraphError> {
    let value: Value = serde_json::from_slice(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            GraphError::new(
                400,
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
            )
        })?;
    let map = value.as_object().expect("checked is_object");
    if let Some(unknown) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "displayName" | "isHidden" | "@odata.type"))
    {
        return Err(GraphError::new(
            400,
            "BadRequest",
            format!(
                "The property '{unknown}' does not exist on type 'microsoft.graph.mailFolder'. Make sure to only use property names that are defined by the type or mark the type as open type."
            ),
        ));
    }
    let name = map
        .get("displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            GraphError::new(
                400,
                "ErrorInvalidParameter",
                "The value of the parameter 'DisplayName' is empty.",
            )
        })?;
    let hidden = match map.get("isHidden") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(GraphError::new(
                400,
                "BadRequest",
                format!("Cannot convert the literal '{other}' to the expected type 'Edm.Boolean'."),
            ));
        }
    };
    Ok((name.to_string(), hidden))
}

fn create(ctx: &Ctx<'_>, target: Target<'_>, keys: &[&str]) -> Result<Resp, GraphError> {
    let (name, hidden) = parse_create_body(ctx.req.body)?;
    let mut data = lock(&ctx.sim.data);
    let owner = mailbox::resolve(&data, &ctx.caller, target)?;
    let mbx = data
        .mailboxes
        .get_mut(&owner)
        .expect("resolved owners have a mailbox");
    let parent_id = collection_parent(mbx, keys)?.id.clone();
    let created = mbx.create(&parent_id, &name, hidden).map_err(|_| {
        GraphError::new(
            409,
            "ErrorFolderExists",
            "A folder with the specified name already exists.",
        )
    })?;
    let folder = mbx.by_id(&created).ok_or_else(item_not_found)?;
    let mut body = mbx.folder_json(folder);
    let fragment = if keys.is_empty() {
        format!("users('{owner}')/mailFolders/$entity")
    } else {
        format!("users('{owner}')/mailFolders('{parent_id}')/childFolders/$entity")
    };
    body["@odata.context"] = Value::String(ctx.context(&fragment));
    Ok(ctx.ok(StatusCode::CREATED, &body))
}
