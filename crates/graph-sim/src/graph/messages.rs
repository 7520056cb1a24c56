//! Messages: `{mbx}/messages`, `{mbx}/mailFolders/{id}/messages`, one
//! message and its MIME (`/$value`). `mod.rs` routes the actions
//! (`message_actions.rs`), delta and attachments to their own modules.

use std::borrow::Cow;

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::lookup::{
    READ, READ_BASIC, Scope, attachment_list, find, item_not_found, project, resolve_path,
    with_mailbox,
};
use super::mailbox::Target;
use super::message_query::{self, ListOptions};
use super::prefer::Prefer;
use super::{Ctx, filter, is, method_not_allowed, odata, search};
use crate::error::GraphError;
use crate::mime;
use crate::store::{Folder, FolderKind, Mailbox, Message};
use crate::wire::{self, Resp};

/// GETs of messages: a list, one message, its MIME. (`mod.rs` routes actions, delta and
/// attachments elsewhere.)
pub(super) fn read(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    scope: &Scope<'_>,
    tail: &[String],
) -> Result<Resp, GraphError> {
    let method = ctx.req.method;
    match tail {
        [] if method == Method::GET => list(ctx, target, scope),
        [id] if method == Method::GET => get(ctx, target, id),
        [id, v] if method == Method::GET && is(v, "$value") => value(ctx, target, id),
        _ => Err(method_not_allowed(ctx)),
    }
}

/// Messages a folder path lists: a mail folder's own messages, or the
/// messages a search folder's query matches anywhere in the mailbox.
fn in_folder<'m>(mbx: &'m Mailbox, folder: &'m Folder) -> Result<Vec<&'m Message>, GraphError> {
    Ok(match &folder.kind {
        FolderKind::Mail => mbx.messages_in(&folder.id).collect(),
        FolderKind::Search { filter_query } => {
            let f = filter::parse(filter_query, &message_query::selectable())?;
            in_mailbox(mbx)
                .into_iter()
                .filter(|m| f.matches(&|p| m.prop(p).map(Cow::into_owned)))
                .collect()
        }
    })
}

/// Messages of the whole mailbox: every folder of the IPM subtree (not the
/// Recoverable Items folders, which hang outside it).
fn in_mailbox(mbx: &Mailbox) -> Vec<&Message> {
    let outside: Vec<&str> = mbx
        .all()
        .iter()
        .filter(|f| f.parent_id == mbx.root_parent_id && f.well_known != Some("msgfolderroot"))
        .map(|f| f.id.as_str())
        .collect();
    mbx.messages()
        .iter()
        .filter(|m| !outside.contains(&m.folder_id.as_str()))
        .collect()
}

fn list(ctx: &Ctx<'_>, target: Target<'_>, scope: &Scope<'_>) -> Result<Resp, GraphError> {
    ctx.caller.require(&READ_BASIC)?;
    let opts = ListOptions::parse(&ctx.query)?;
    if opts.expand_attachments {
        ctx.caller.require(&READ)?;
    }
    let full_access = ctx.caller.allows(&READ);
    let prefer = Prefer::from_headers(ctx.req.headers);
    with_mailbox(ctx, target, |owner, mbx| {
        let (candidates, fragment) = match scope {
            Scope::Mailbox => (in_mailbox(mbx), format!("users('{owner}')/messages")),
            Scope::Folder(keys) => {
                let folder = resolve_path(mbx, keys)?.ok_or_else(item_not_found)?;
                (
                    in_folder(mbx, folder)?,
                    format!("users('{owner}')/mailFolders('{}')/messages", folder.id),
                )
            }
        };
        let mut rows = candidates;
        if let Some(f) = &opts.filter {
            rows.retain(|m| f.matches(&|p| m.prop(p).map(Cow::into_owned)));
        }
        let paging_key = if let Some(q) = &opts.search {
            // Search results come by sent date, newest first, 1000 at most.
            rows.retain(|m| search::matches(q, m));
            message_query::sort(&mut rows, &[("sentDateTime".into(), true)]);
            rows.truncate(message_query::MAX_SEARCH_RESULTS);
            "$skiptoken"
        } else {
            message_query::sort(&mut rows, &opts.order);
            "$skip"
        };
        let (page, more) = odata::page(&rows, opts.skip, opts.top);
        let items = page
            .into_iter()
            .map(|m| {
                let map = m.to_json(prefer.id_form());
                let mut v = project(map, opts.select.as_deref(), full_access, &prefer);
                if opts.expand_attachments {
                    v.insert("attachments".into(), attachment_list(m));
                }
                Value::Object(v)
            })
            .collect();
        let next = more.then(|| {
            let offset = opts.skip + opts.top;
            let value = if paging_key == "$skip" {
                offset.to_string()
            } else {
                message_query::skiptoken(offset)
            };
            ctx.query
                .next_link(ctx.meta, ctx.req.path, paging_key, &value)
        });
        let body = odata::collection(ctx.context(&fragment), items, next);
        Ok(ctx.ok_with(StatusCode::OK, &body, &prefer.applied()))
    })
}

fn get(ctx: &Ctx<'_>, target: Target<'_>, id: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&READ_BASIC)?;
    let allowed = message_query::selectable();
    let select = ctx.query.select(&allowed, "microsoft.graph.message")?;
    let expand = message_query::expand_attachments(&ctx.query)?;
    if expand {
        ctx.caller.require(&READ)?;
    }
    let prefer = Prefer::from_headers(ctx.req.headers);
    with_mailbox(ctx, target, |owner, mbx| {
        let m = find(mbx, id)?;
        let mut map = project(
            m.to_json(prefer.id_form()),
            select.as_deref(),
            ctx.caller.allows(&READ),
            &prefer,
        );
        if expand {
            map.insert("attachments".into(), attachment_list(m));
        }
        map.insert(
            "@odata.context".into(),
            json!(ctx.context(&format!("users('{owner}')/messages/$entity"))),
        );
        Ok(ctx.ok_with(StatusCode::OK, &Value::Object(map), &prefer.applied()))
    })
}

/// The message's MIME (RFC 822), as `GET .../messages/{id}/$value`.
fn value(ctx: &Ctx<'_>, target: Target<'_>, id: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&READ)?;
    with_mailbox(ctx, target, |_, mbx| {
        let m = find(mbx, id)?;
        Ok(wire::bytes_with(
            StatusCode::OK,
            "message/rfc822",
            mime::build(&m.item),
            &ctx.ids(),
        ))
    })
}
