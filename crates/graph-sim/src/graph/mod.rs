//! The Microsoft Graph front end: `/v1.0/...` (and `/beta/...` as an
//! alias). Authenticates, then walks the decoded path segments; each
//! resource lives in its own module.

mod attachments;
pub(crate) mod auth;
mod batch;
mod directory_admin;
pub(crate) mod filter;
mod lookup;
mod mail_folders;
pub(crate) mod mailbox;
mod mailbox_settings;
mod message_actions;
mod message_delta;
mod message_query;
mod message_rules;
mod messages;
pub(crate) mod odata;
pub(crate) mod prefer;
pub(crate) mod search;
mod threat_assessment;
mod users;

use http::StatusCode;
use serde_json::Value;

use crate::error::GraphError;
use crate::sim::Sim;
use crate::wire::{self, RawRequest, ReqMeta, Resp};
use auth::Caller;
use mailbox::Target;
use odata::Query;

/// Everything a resource handler needs about the current request.
pub(crate) struct Ctx<'a> {
    pub sim: &'a Sim,
    pub meta: &'a ReqMeta,
    pub req: &'a RawRequest<'a>,
    pub caller: Caller,
    pub query: Query,
    /// `v1.0` or `beta`, as the client sent it.
    pub version: String,
}

impl Ctx<'_> {
    /// A JSON success answer with Graph's content type and ids.
    pub(crate) fn ok(&self, status: StatusCode, body: &Value) -> Resp {
        self.ok_with(status, body, &[])
    }

    /// [`Ctx::ok`] with extra headers (Preference-Applied, ...).
    pub(crate) fn ok_with(
        &self,
        status: StatusCode,
        body: &Value,
        extra: &[(&str, String)],
    ) -> Resp {
        let mut headers = self.ids();
        headers.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        let v1_body;
        let body = if is(&self.version, "beta") || !has_beta_reference_properties(body) {
            body
        } else {
            let mut copy = body.clone();
            drop_beta_reference_properties(&mut copy);
            v1_body = copy;
            &v1_body
        };
        wire::json_with(
            status,
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
            body,
            &headers,
        )
    }

    /// `request-id` and `client-request-id`, on every answer.
    pub(crate) fn ids(&self) -> Vec<(&'static str, String)> {
        let client_id = self
            .meta
            .client_request_id
            .clone()
            .unwrap_or_else(|| self.meta.request_id.clone());
        vec![
            ("request-id", self.meta.request_id.clone()),
            ("client-request-id", client_id),
        ]
    }

    pub(crate) fn context(&self, fragment: &str) -> String {
        odata::context(self.meta, &self.version, fragment)
    }
}

/// Reference attachment properties that only Graph's beta endpoint has.
const BETA_REFERENCE_PROPERTIES: [&str; 6] = [
    "sourceUrl",
    "providerType",
    "thumbnailUrl",
    "previewUrl",
    "permission",
    "isFolder",
];

fn is_reference(map: &serde_json::Map<String, Value>) -> bool {
    map.get("@odata.type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.ends_with("referenceAttachment"))
}

/// Whether `v` holds a reference attachment with a beta-only property (to copy only then).
fn has_beta_reference_properties(v: &Value) -> bool {
    match v {
        Value::Object(map) => {
            (is_reference(map)
                && BETA_REFERENCE_PROPERTIES
                    .iter()
                    .any(|k| map.contains_key(*k)))
                || map.values().any(has_beta_reference_properties)
        }
        Value::Array(items) => items.iter().any(has_beta_reference_properties),
        _ => false,
    }
}

/// v1.0's `referenceAttachment` is a bare attachment: removes the beta-only properties
/// from every reference attachment in `v`, however deep.
fn drop_beta_reference_properties(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if is_reference(map) {
                for k in BETA_REFERENCE_PROPERTIES {
                    map.remove(k);
                }
            }
            map.values_mut().for_each(drop_beta_reference_properties);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_beta_reference_properties),
        _ => {}
    }
}

/// Case-insensitive match of a literal path segment (Graph ignores case).
pub(crate) fn is(segment: &str, literal: &str) -> bool {
    segment.eq_ignore_ascii_case(literal)
}

/// True for `/v1.0/...` and `/beta/...`.
pub(crate) fn owns(segments: &[String]) -> bool {
    segments
        .first()
        .is_some_and(|s| is(s, "v1.0") || is(s, "beta"))
}

pub(crate) fn handle(sim: &Sim, meta: &ReqMeta, req: &RawRequest<'_>, segments: &[String]) -> Resp {
    route(sim, meta, req, segments).unwrap_or_else(|e| e.render(meta))
}

fn route(
    sim: &Sim,
    meta: &ReqMeta,
    req: &RawRequest<'_>,
    segments: &[String],
) -> Result<Resp, GraphError> {
    let caller = auth::authenticate(sim, meta, req.headers)?;
    let ctx = Ctx {
        sim,
        meta,
        req,
        caller,
        query: Query::parse(req.query),
        version: segments[0].to_ascii_lowercase(),
    };
    let mut rest = &segments[1..];
    // Tolerate one trailing slash.
    if rest.last().is_some_and(|s| s.is_empty()) {
        rest = &rest[..rest.len() - 1];
    }
    match rest {
        [first] if is(first, "$batch") => batch::run(&ctx),
        [first, tail @ ..] if is(first, "informationProtection") => {
            threat_assessment::route(&ctx, tail)
        }
        [first, tail @ ..] if is(first, "users") => match tail {
            [] => users::list(&ctx),
            [key] if ctx.req.method == http::Method::DELETE => {
                directory_admin::delete_user(&ctx, key)
            }
            [key] => users::get(&ctx, key),
            [key, tail @ ..] => user_scoped(&ctx, Target::User(key), tail),
        },
        [first, tail @ ..] if is(first, "me") => {
            if ctx.caller.is_app() {
                return Err(mailbox::me_needs_delegated());
            }
            match tail {
                [] => users::me(&ctx),
                _ => user_scoped(&ctx, Target::Me, tail),
            }
        }
        [first, ..] => Err(GraphError::unknown_segment(first)),
        [] => Err(GraphError::unknown_segment("")),
    }
}

/// Resources under a user: `{mbx}/<resource>/...`.
fn user_scoped(ctx: &Ctx<'_>, target: Target<'_>, rest: &[String]) -> Result<Resp, GraphError> {
    match rest {
        [first, tail @ ..] if is(first, "mailFolders") => mail_folders::route(ctx, target, tail),
        [first, tail @ ..] if is(first, "messages") => {
            route_messages(ctx, target, &lookup::Scope::Mailbox, tail)
        }
        [first] if is(first, "sendMail") => message_actions::send_mail(ctx, target),
        [first, tail @ ..] if is(first, "mailboxSettings") => {
            mailbox_settings::route(ctx, target, tail)
        }
        [first] if is(first, "licenseDetails") => directory_admin::license_details(ctx, target),
        [first] if is(first, "assignLicense") => directory_admin::assign_license(ctx, target),
        [first, ..] => Err(GraphError::unknown_segment(first)),
        [] => Err(GraphError::unknown_segment("")),
    }
}

/// `{mbx}/messages/...` and `{folder}/messages/...`: actions (every method but GET), a
/// folder's delta, attachments, reads. Route modules reach each other through here only.
pub(super) fn route_messages(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    scope: &lookup::Scope<'_>,
    tail: &[String],
) -> Result<Resp, GraphError> {
    if ctx.req.method != http::Method::GET {
        return message_actions::route(ctx, target, scope, tail);
    }
    match (tail, scope) {
        ([d], lookup::Scope::Folder(keys)) if is(d, "delta") => {
            message_delta::delta(ctx, target, keys)
        }
        ([id, a, rest @ ..], _) if is(a, "attachments") => {
            attachments::route(ctx, target, id, rest)
        }
        _ => messages::read(ctx, target, scope, tail),
    }
}

/// `{folder}/messageRules/...`.
pub(super) fn route_message_rules(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    keys: &[&str],
    tail: &[String],
) -> Result<Resp, GraphError> {
    message_rules::route(ctx, target, keys, tail)
}

/// 405 for a method a known resource does not (yet) support.
pub(crate) fn method_not_allowed(ctx: &Ctx<'_>) -> GraphError {
    GraphError::new(
        405,
        "BadRequest",
        format!(
            "The HTTP method '{}' is not supported on this resource.",
            ctx.req.method
        ),
    )
}
