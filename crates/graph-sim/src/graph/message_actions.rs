//! Writes on messages: create a draft, update, delete, move, copy, send, createReply(All),
//! reply(All), add an attachment, create an upload session; and `{mbx}/sendMail`. Reads
//! stay in `messages.rs`, which hands every other method to [`route`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::auth::Need;
use super::lookup::{Scope, find, item_not_found, json_body, resolve_path};
use super::mailbox::{self, Target};
use super::prefer::Prefer;
use super::{Ctx, is, method_not_allowed};
use crate::error::GraphError;
use crate::sim::lock;
use crate::store::activity::UploadSession;
use crate::store::message::attachment_from_json;
use crate::store::messages::MessageError;
use crate::store::outbox::{self, SendError};
use crate::store::{FolderLookup, Mailbox, TenantData};
use crate::wire::{self, Resp};
use crate::{ids, time};

/// Drafts, moves, copies, deletes and attachments.
pub(super) const WRITE: Need = Need {
    delegated: &["Mail.ReadWrite"],
    app: &["Mail.ReadWrite"],
    directory: false,
};
/// Anything that sends mail.
pub(super) const SEND: Need = Need {
    delegated: &["Mail.Send"],
    app: &["Mail.Send"],
    directory: false,
};

/// Graph refuses requests larger than this (attachments beyond go through upload sessions).
const MAX_REQUEST: usize = 4 * 1024 * 1024;
/// The largest file an upload session takes.
const MAX_UPLOAD: usize = 150 * 1024 * 1024;
/// Upload sessions expire after this long.
const SESSION_SECS: u64 = 2 * 3600;

/// Properties a draft may be created or updated with.
const DRAFT_PROPERTIES: &[&str] = &[
    "subject",
    "body",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "from",
    "sender",
    "importance",
    "isRead",
    "categories",
    "flag",
    "isDeliveryReceiptRequested",
    "isReadReceiptRequested",
    "internetMessageHeaders",
    "attachments",
    "conversationId",
];
/// What a sent or received message still lets PATCH change.
const SENT_PROPERTIES: &[&str] = &[
    "isRead",
    "categories",
    "flag",
    "importance",
    "inferenceClassification",
];

pub(super) fn route(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    scope: &Scope<'_>,
    tail: &[String],
) -> Result<Resp, GraphError> {
    let method = ctx.req.method;
    match tail {
        [] if method == Method::POST => create(ctx, target, scope),
        [id] if method == Method::PATCH => update(ctx, target, id),
        [id] if method == Method::DELETE => delete(ctx, target, id),
        [id, action] if method == Method::POST => match action.to_ascii_lowercase().as_str() {
            "move" => relocate(ctx, target, id, false),
            "copy" => relocate(ctx, target, id, true),
            "send" => send(ctx, target, id),
            "createreply" => create_reply(ctx, target, id, false),
            "createreplyall" => create_reply(ctx, target, id, true),
            "reply" => reply(ctx, target, id, false),
            "replyall" => reply(ctx, target, id, true),
            "attachments" => add_attachment(ctx, target, id),
            _ => Err(GraphError::unknown_segment(action)),
        },
        [id, a, c]
            if method == Method::POST && is(a, "attachments") && is(c, "createUploadSession") =>
        {
            create_upload_session(ctx, target, id)
        }
        _ => Err(method_not_allowed(ctx)),
    }
}

fn unknown_property(name: &str) -> GraphError {
    GraphError::new(
        400,
        "BadRequest",
        format!(
            "The property '{name}' does not exist on type 'microsoft.graph.message'. Make sure to only use property names that are defined by the type or mark the type as open type."
        ),
    )
}

fn too_large() -> GraphError {
    GraphError::new(
        413,
        "RequestEntityTooLarge",
        "The request is larger than 4 MB; attach large files with an upload session.",
    )
}

fn message_error(e: MessageError) -> GraphError {
    match e {
        MessageError::NotFound | MessageError::FolderNotFound => item_not_found(),
        MessageError::Bad(m) => GraphError::new(400, "ErrorInvalidRequest", m),
    }
}

/// Runs `f` with write access to the tenant, on the mailbox `target` names.
fn with_tenant<T>(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    f: impl FnOnce(&mut TenantData, &str) -> Result<T, GraphError>,
) -> Result<T, GraphError> {
    let mut data = lock(&ctx.sim.data);
    let owner = mailbox::resolve(&data, &ctx.caller, target)?;
    f(&mut data, &owner)
}

fn mailbox_mut<'d>(data: &'d mut TenantData, owner: &str) -> &'d mut Mailbox {
    data.mailboxes
        .get_mut(owner)
        .expect("resolve() checked the mailbox exists")
}

/// The message as Graph returns it after a write, in the id form the client prefers.
fn message_json(ctx: &Ctx<'_>, owner: &str, mbx: &Mailbox, id: &str) -> Value {
    let prefer = Prefer::from_headers(ctx.req.headers);
    let mut map = mbx
        .message(id)
        .map(|m| m.to_json(prefer.id_form()))
        .unwrap_or_default();
    for k in ["internetMessageHeaders", "uniqueBody"] {
        map.remove(k);
    }
    map.insert(
        "@odata.context".into(),
        json!(ctx.context(&format!("users('{owner}')/messages/$entity"))),
    );
    Value::Object(map)
}

fn respond(ctx: &Ctx<'_>, status: StatusCode, body: &Value) -> Resp {
    let prefer = Prefer::from_headers(ctx.req.headers);
    ctx.ok_with(status, body, &prefer.applied())
}

fn accepted(ctx: &Ctx<'_>) -> Resp {
    wire::empty(StatusCode::ACCEPTED, &ctx.ids())
}

/// `POST {mbx}/messages` (a draft in Drafts) or `.../mailFolders/{id}/messages`.
fn create(ctx: &Ctx<'_>, target: Target<'_>, scope: &Scope<'_>) -> Result<Resp, GraphError> {
    ctx.caller.require(&WRITE)?;
    if ctx.req.body.len() > MAX_REQUEST {
        return Err(too_large());
    }
    let body = json_body(ctx)?;
    if let Some(k) = body
        .keys()
        .find(|k| !k.starts_with('@') && !DRAFT_PROPERTIES.contains(&k.as_str()))
    {
        return Err(unknown_property(k));
    }
    with_tenant(ctx, target, |data, owner| {
        let user = data
            .directory
            .find(owner)
            .cloned()
            .ok_or_else(item_not_found)?;
        let mbx = mailbox_mut(data, owner);
        let folder = match scope {
            Scope::Mailbox => None,
            Scope::Folder(keys) => Some(
                resolve_path(mbx, keys)?
                    .ok_or_else(item_not_found)?
                    .id
                    .clone(),
            ),
        };
        let id = outbox::new_draft(mbx, &user, folder.as_deref(), &body).map_err(message_error)?;
        Ok(respond(
            ctx,
            StatusCode::CREATED,
            &message_json(ctx, owner, mbx, &id),
        ))
    })
}

fn update(ctx: &Ctx<'_>, target: Target<'_>, id: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&WRITE)?;
    let body = json_body(ctx)?;
    with_tenant(ctx, target, |data, owner| {
        let mbx = mailbox_mut(data, owner);
        let draft = find(mbx, id)?.item.props.get("isDraft") == Some(&json!(true));
        let allowed = if draft {
            DRAFT_PROPERTIES
        } else {
            SENT_PROPERTIES
        };
        if let Some(k) = body.keys().find(|k| {
            !k.starts_with('@') && (!allowed.contains(&k.as_str()) || *k == "attachments")
        }) {
            return Err(unknown_property(k));
        }
        let m = mbx.message_mut(id).ok_or_else(item_not_found)?;
        for (k, v) in body {
            m.item.props.insert(k, v);
        }
        m.item.props.insert(
            "lastModifiedDateTime".into(),
            json!(time::iso(time::now_unix() as i64)),
        );
        Ok(respond(
            ctx,
            StatusCode::OK,
            &message_json(ctx, owner, mbx, id),
        ))
    })
}

/// `DELETE {mbx}/messages/{id}`: into Recoverable Items, as Exchange Online does.
fn delete(ctx: &Ctx<'_>, target: Target<'_>, id: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&WRITE)?;
    with_tenant(ctx, target, |data, owner| {
        let mbx = mailbox_mut(data, owner);
        find(mbx, id)?;
        mbx.delete_message(id).map_err(message_error)?;
        Ok(wire::empty(StatusCode::NO_CONTENT, &ctx.ids()))
    })
}

/// `POST .../move|copy` with `{"destinationId"}`: 201 with the message where it now is.
fn relocate(ctx: &Ctx<'_>, target: Target<'_>, id: &str, copy: bool) -> Result<Resp, GraphError> {
    ctx.caller.require(&WRITE)?;
    let body = json_body(ctx)?;
    let destination = body
        .get("destinationId")
        .and_then(Value::as_str)
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| {
            GraphError::new(
                400,
                "ErrorInvalidParameter",
                "The value of the parameter 'DestinationId' is empty.",
            )
        })?
        .to_string();
    with_tenant(ctx, target, |data, owner| {
        let mbx = mailbox_mut(data, owner);
        find(mbx, id)?;
        let folder = match mbx.resolve(&destination) {
            FolderLookup::Found(f) => f.id.clone(),
            FolderLookup::Malformed => {
                return Err(GraphError::new(
                    400,
                    "ErrorInvalidIdMalformed",
                    "Id is malformed.",
                ));
            }
            FolderLookup::NotFound => return Err(item_not_found()),
        };
        let new_id = if copy {
            mbx.copy_message(id, &folder)
        } else {
            mbx.move_message(id, &folder)
        }
        .map_err(message_error)?
        .rest_id
        .clone();
        Ok(respond(
            ctx,
            StatusCode::CREATED,
            &message_json(ctx, owner, mbx, &new_id),
        ))
    })
}

fn send_error(e: SendError) -> GraphError {
    match e {
        SendError::Message(m) => message_error(m),
        SendError::NotDraft => GraphError::new(
            400,
            "ErrorInvalidOperation",
            "Only a draft can be sent; this message was already sent or received.",
        ),
        SendError::NoRecipients => GraphError::new(
            400,
            "ErrorInvalidRecipients",
            "At least one recipient is not valid., A message can't be sent because it contains no recipients.",
        ),
        SendError::SendAsDenied(from) => GraphError::new(
            403,
            "ErrorSendAsDenied",
            format!(
                "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account ({from})."
            ),
        ),
    }
}

fn send(ctx: &Ctx<'_>, target: Target<'_>, id: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&SEND)?;
    with_tenant(ctx, target, |data, owner| {
        find(mailbox_mut(data, owner), id)?;
        outbox::send(data, owner, id).map_err(send_error)?;
        Ok(accepted(ctx))
    })
}

/// `comment`, and whether a `message` came too (both with a body is refused).
fn comment(body: &Map<String, Value>) -> Result<String, GraphError> {
    if body.get("message").is_some_and(|m| m.get("body").is_some()) && body.contains_key("comment")
    {
        return Err(GraphError::new(
            400,
            "ErrorInvalidRequest",
            "Specify either 'comment' or the 'body' property of the 'message' parameter, not both.",
        ));
    }
    Ok(body
        .get("comment")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string())
}

/// The draft of a reply (or reply-all) to message `id`, with the body's comment; `then`
/// answers with it (createReply) or sends it (reply).
fn with_reply_draft(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    id: &str,
    all: bool,
    then: impl FnOnce(&mut TenantData, &str, &str) -> Result<Resp, GraphError>,
) -> Result<Resp, GraphError> {
    let body = json_body(ctx)?;
    let comment = comment(&body)?;
    with_tenant(ctx, target, |data, owner| {
        let user = data
            .directory
            .find(owner)
            .cloned()
            .ok_or_else(item_not_found)?;
        let mbx = mailbox_mut(data, owner);
        find(mbx, id)?;
        let draft = outbox::reply_draft(mbx, &user, id, all, &comment).map_err(message_error)?;
        then(data, owner, &draft)
    })
}

fn create_reply(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    id: &str,
    all: bool,
) -> Result<Resp, GraphError> {
    ctx.caller.require(&WRITE)?;
    with_reply_draft(ctx, target, id, all, |data, owner, draft| {
        let body = message_json(ctx, owner, mailbox_mut(data, owner), draft);
        Ok(respond(ctx, StatusCode::CREATED, &body))
    })
}

fn reply(ctx: &Ctx<'_>, target: Target<'_>, id: &str, all: bool) -> Result<Resp, GraphError> {
    ctx.caller.require(&SEND)?;
    with_reply_draft(ctx, target, id, all, |data, owner, draft| {
        outbox::send(data, owner, draft).map_err(send_error)?;
        Ok(accepted(ctx))
    })
}

fn add_attachment(ctx: &Ctx<'_>, target: Target<'_>, id: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&WRITE)?;
    if ctx.req.body.len() > MAX_REQUEST {
        return Err(too_large());
    }
    let body = Value::Object(json_body(ctx)?);
    let stamp = time::iso(time::now_unix() as i64);
    let attachment = attachment_from_json(&body, String::new(), &stamp)
        .map_err(|e| GraphError::new(400, "ErrorInvalidRequest", e.0))?;
    with_tenant(ctx, target, |data, owner| {
        let mbx = mailbox_mut(data, owner);
        find(mbx, id)?;
        let att_id = mbx.add_attachment(id, attachment).map_err(message_error)?;
        let m = mbx.message(id).ok_or_else(item_not_found)?;
        let a = m
            .item
            .attachments
            .iter()
            .find(|a| a.id == att_id)
            .ok_or_else(item_not_found)?;
        let mut v = a.to_json(false, false);
        v["@odata.context"] = json!(ctx.context(&format!(
            "users('{owner}')/messages('{id}')/attachments/$entity"
        )));
        Ok(ctx.ok(StatusCode::CREATED, &v))
    })
}

/// The host of upload URLs for the Graph host the client called.
fn upload_origin(ctx: &Ctx<'_>) -> Result<String, GraphError> {
    match ctx.meta.forwarded_host.as_deref() {
        None => Ok(ctx.meta.public_origin()),
        Some("graph.microsoft.com") => Ok("https://outlook.office.com".into()),
        Some("microsoftgraph.chinacloudapi.cn") => Ok("https://partner.outlook.cn".into()),
        Some(_) => Err(GraphError::new(
            400,
            "BadRequest",
            "createUploadSession for message attachments is not available in this cloud.",
        )),
    }
}

fn create_upload_session(ctx: &Ctx<'_>, target: Target<'_>, id: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&WRITE)?;
    let origin = upload_origin(ctx)?;
    let body = json_body(ctx)?;
    let item = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("AttachmentItem"))
        .map(|(_, v)| v)
        .ok_or_else(|| {
            GraphError::new(
                400,
                "ErrorInvalidParameter",
                "The AttachmentItem parameter is missing.",
            )
        })?;
    if !item["attachmentType"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case("file"))
    {
        return Err(GraphError::new(
            400,
            "ErrorInvalidParameter",
            "Only attachments of type 'file' can be uploaded.",
        ));
    }
    let size = item["size"].as_u64().unwrap_or(0) as usize;
    if size == 0 || size > MAX_UPLOAD {
        return Err(GraphError::new(
            400,
            "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
            format!("The attachment size {size} is not between 1 byte and 150 MB."),
        ));
    }
    let name = item["name"].as_str().unwrap_or("attachment").to_string();
    let content_type = item["contentType"]
        .as_str()
        .unwrap_or("application/octet-stream")
        .to_string();
    with_tenant(ctx, target, |data, owner| {
        let m = find(mailbox_mut(data, owner), id)?;
        let message_id = m.immutable_id.clone();
        let session_id = ids::immutable_id(owner, &ids::random_guid());
        let token = URL_SAFE_NO_PAD.encode(ids::random_bytes::<32>());
        let expires = time::now_unix() + SESSION_SECS;
        let tenant = &ctx.sim.tenant.id;
        let enc = |s: &str| -> String { form_urlencoded::byte_serialize(s.as_bytes()).collect() };
        let url = format!(
            "{origin}/api/v2.0/Users('{owner}@{tenant}')/Messages('{}')/AttachmentSessions('{}')?authtoken={token}",
            enc(&message_id),
            enc(&session_id)
        );
        data.activity.uploads.insert(
            session_id,
            UploadSession {
                owner_id: owner.to_string(),
                message_id,
                name,
                content_type,
                size,
                token,
                expires,
                data: Vec::new(),
            },
        );
        let body = json!({
            "@odata.context": ctx.context("microsoft.graph.uploadSession"),
            "uploadUrl": url,
            "expirationDateTime": time::iso(expires as i64),
            "nextExpectedRanges": ["0-"],
        });
        Ok(ctx.ok(StatusCode::CREATED, &body))
    })
}

/// `POST {mbx}/sendMail`: a draft sent at once; `saveToSentItems: false` drops the
/// Sent Items copy.
pub(super) fn send_mail(ctx: &Ctx<'_>, target: Target<'_>) -> Result<Resp, GraphError> {
    if ctx.req.method != Method::POST {
        return Err(method_not_allowed(ctx));
    }
    ctx.caller.require(&SEND)?;
    if ctx.req.body.len() > MAX_REQUEST {
        return Err(too_large());
    }
    let body = json_body(ctx)?;
    let Some(Value::Object(message)) = body.get("message") else {
        return Err(GraphError::new(
            400,
            "ErrorInvalidParameter",
            "The value of the parameter 'Message' is empty.",
        ));
    };
    if let Some(k) = message
        .keys()
        .find(|k| !k.starts_with('@') && !DRAFT_PROPERTIES.contains(&k.as_str()))
    {
        return Err(unknown_property(k));
    }
    let save = body
        .get("saveToSentItems")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    with_tenant(ctx, target, |data, owner| {
        let user = data
            .directory
            .find(owner)
            .cloned()
            .ok_or_else(item_not_found)?;
        let draft = outbox::new_draft(mailbox_mut(data, owner), &user, None, message)
            .map_err(message_error)?;
        match outbox::send(data, owner, &draft) {
            Ok(sent_id) => {
                if !save {
                    let _ = mailbox_mut(data, owner).remove_message(&sent_id);
                }
                Ok(accepted(ctx))
            }
            Err(e) => {
                let _ = mailbox_mut(data, owner).remove_message(&draft);
                Err(send_error(e))
            }
        }
    })
}
