//! Attachments of a message: list, get (with the nested item on
//! `$expand=microsoft.graph.itemattachment/item`) and raw content (`$value`).

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::lookup::{READ, find, item_not_found, with_mailbox};
use super::mailbox::Target;
use super::{Ctx, is, method_not_allowed, odata};
use crate::error::GraphError;
use crate::ids;
use crate::store::message::Attachment;
use crate::wire::{self, Resp};

/// `$select` names accepted on attachments (base and derived types).
const ATTACHMENT_PROPERTIES: &[&str] = &[
    "id",
    "name",
    "contentType",
    "size",
    "isInline",
    "lastModifiedDateTime",
    "contentBytes",
    "contentId",
    "contentLocation",
    "item",
    "sourceUrl",
    "providerType",
    "thumbnailUrl",
    "previewUrl",
    "permission",
    "isFolder",
];

pub(super) fn route(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    message_id: &str,
    rest: &[String],
) -> Result<Resp, GraphError> {
    let method = ctx.req.method;
    match rest {
        [] if method == Method::GET => list(ctx, target, message_id),
        [id] if method == Method::GET => get(ctx, target, message_id, id),
        [id, v] if method == Method::GET && is(v, "$value") => value(ctx, target, message_id, id),
        _ => Err(method_not_allowed(ctx)),
    }
}

/// Whether `$expand` asks for the item of item attachments.
fn expand_item(ctx: &Ctx<'_>) -> Result<bool, GraphError> {
    match ctx.query.get("$expand").map(str::trim) {
        None => Ok(false),
        Some(e)
            if e.eq_ignore_ascii_case("microsoft.graph.itemattachment/item")
                || e.eq_ignore_ascii_case("item") =>
        {
            Ok(true)
        }
        Some(other) => Err(GraphError::new(
            400,
            "BadRequest",
            format!(
                "Parsing OData Select and Expand failed: Could not find a property named '{other}' on type 'microsoft.graph.attachment'."
            ),
        )),
    }
}

fn render(a: &Attachment, select: Option<&[String]>, expand: bool) -> Value {
    let metadata_only = select.is_some_and(|s| !s.iter().any(|p| p == "contentBytes"));
    let v = a.to_json(metadata_only, expand);
    match select {
        Some(s) => {
            let mut s = s.to_vec();
            if expand {
                s.push("item".into());
            }
            odata::project(v, Some(&s))
        }
        None => v,
    }
}

fn find_attachment<'m>(list: &'m [Attachment], id: &str) -> Result<&'m Attachment, GraphError> {
    if !ids::is_wellformed_id(id) {
        return Err(GraphError::new(
            400,
            "ErrorInvalidIdMalformed",
            "Id is malformed.",
        ));
    }
    list.iter().find(|a| a.id == id).ok_or_else(item_not_found)
}

fn list(ctx: &Ctx<'_>, target: Target<'_>, message_id: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&READ)?;
    let select = ctx
        .query
        .select(ATTACHMENT_PROPERTIES, "microsoft.graph.attachment")?;
    let expand = expand_item(ctx)?;
    with_mailbox(ctx, target, |owner, mbx| {
        let m = find(mbx, message_id)?;
        let items = m
            .item
            .attachments
            .iter()
            .map(|a| render(a, select.as_deref(), expand))
            .collect();
        let context = ctx.context(&format!(
            "users('{owner}')/messages('{message_id}')/attachments"
        ));
        Ok(ctx.ok(StatusCode::OK, &odata::collection(context, items, None)))
    })
}

fn get(ctx: &Ctx<'_>, target: Target<'_>, message_id: &str, id: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&READ)?;
    let select = ctx
        .query
        .select(ATTACHMENT_PROPERTIES, "microsoft.graph.attachment")?;
    let expand = expand_item(ctx)?;
    with_mailbox(ctx, target, |owner, mbx| {
        let m = find(mbx, message_id)?;
        let a = find_attachment(&m.item.attachments, id)?;
        let mut body = render(a, select.as_deref(), expand);
        body["@odata.context"] = json!(ctx.context(&format!(
            "users('{owner}')/messages('{message_id}')/attachments/$entity"
        )));
        Ok(ctx.ok(StatusCode::OK, &body))
    })
}

fn value(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    message_id: &str,
    id: &str,
) -> Result<Resp, GraphError> {
    ctx.caller.require(&READ)?;
    with_mailbox(ctx, target, |_, mbx| {
        let m = find(mbx, message_id)?;
        let a = find_attachment(&m.item.attachments, id)?;
        let (bytes, content_type) = a.value().ok_or_else(|| {
            GraphError::new(
                405,
                "ErrorInvalidRequest",
                "The $value of a reference attachment cannot be read: it is a link to a file stored in the cloud.",
            )
        })?;
        Ok(wire::bytes_with(
            StatusCode::OK,
            &content_type,
            bytes,
            &ctx.ids(),
        ))
    })
}
