//! `/informationProtection/threatAssessmentRequests`: mail assessment requests (Report
//! Emails). Delegated only; the message must be in the caller's own mailbox; one request
//! per message and recipient per 15 minutes and three per day (reference §3.16).

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::auth::{Need, Principal};
use super::lookup::json_body;
use super::{Ctx, is, method_not_allowed, odata};
use crate::error::GraphError;
use crate::ids;
use crate::sim::lock;
use crate::store::activity::Assessment;
use crate::time;
use crate::wire::{self, Resp};

const WRITE: Need = Need {
    delegated: &["ThreatAssessment.ReadWrite.All"],
    app: &[],
    directory: true,
};

pub(super) fn route(ctx: &Ctx<'_>, tail: &[String]) -> Result<Resp, GraphError> {
    if ctx.caller.is_app() {
        return Err(GraphError::new(
            403,
            "AccessDenied",
            "Threat assessment requests do not support application permissions; use delegated access (a signed-in user).",
        ));
    }
    ctx.caller.require(&WRITE)?;
    match (ctx.req.method, tail) {
        (&Method::POST, [t]) if is(t, "threatAssessmentRequests") => create(ctx),
        (&Method::GET, [t]) if is(t, "threatAssessmentRequests") => list(ctx),
        (&Method::GET, [t, id]) if is(t, "threatAssessmentRequests") => get(ctx, id),
        (_, [t, ..]) if is(t, "threatAssessmentRequests") => Err(method_not_allowed(ctx)),
        (_, [first, ..]) => Err(GraphError::unknown_segment(first)),
        (_, []) => Err(GraphError::unknown_segment("informationProtection")),
    }
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(400, "BadRequest", message)
}

fn member(v: &Value, name: &str, members: &[&str]) -> Result<String, GraphError> {
    let given = v.as_str().unwrap_or_default();
    members
        .iter()
        .find(|m| m.eq_ignore_ascii_case(given))
        .map(|m| m.to_string())
        .ok_or_else(|| {
            bad(format!(
                "'{given}' is not a valid value for '{name}' ({}).",
                members.join(", ")
            ))
        })
}

/// `https://graph.microsoft.com/v1.0/users/{u}/messages/{m}` -> (user key, message id).
fn message_uri(uri: &str) -> Option<(Option<String>, String)> {
    let rest = uri.split_once("://")?.1;
    let path = rest.split_once('/')?.1;
    let segs: Vec<String> = path.split('/').map(wire::decode_segment).collect();
    match segs.as_slice() {
        [_, u, key, m, id] if is(u, "users") && is(m, "messages") => {
            Some((Some(key.clone()), id.clone()))
        }
        [_, me, m, id] if is(me, "me") && is(m, "messages") => Some((None, id.clone())),
        _ => None,
    }
}

fn create(ctx: &Ctx<'_>) -> Result<Resp, GraphError> {
    let body = json_body(ctx)?;
    if body
        .get("@odata.type")
        .and_then(Value::as_str)
        .is_none_or(|t| {
            !t.trim_start_matches('#')
                .eq_ignore_ascii_case("microsoft.graph.mailAssessmentRequest")
        })
    {
        return Err(bad(
            "graph-sim supports @odata.type #microsoft.graph.mailAssessmentRequest only.",
        ));
    }
    let expected = member(
        &body["expectedAssessment"],
        "expectedAssessment",
        &["block", "unblock"],
    )?;
    let category = member(
        &body["category"],
        "category",
        &["phishing", "spam", "malware"],
    )?;
    let recipient = body["recipientEmail"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let uri = body["messageUri"].as_str().unwrap_or_default().to_string();
    let (user_key, message_id) = message_uri(&uri)
        .ok_or_else(|| bad(format!("messageUri '{uri}' is not a Graph message URL.")))?;
    let Principal::User { oid, .. } = &ctx.caller.principal else {
        unreachable!("app callers are refused in route()")
    };
    let mut data = lock(&ctx.sim.data);
    let user = data
        .directory
        .find(user_key.as_deref().unwrap_or(oid))
        .cloned()
        .ok_or_else(|| {
            GraphError::new(
                404,
                "ErrorInvalidUser",
                "The user in messageUri is invalid.",
            )
        })?;
    if !ctx.caller.is_self(&user.id) {
        return Err(GraphError::access_denied());
    }
    let own_addresses = [
        user.upn.clone(),
        user.props
            .get("mail")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    ];
    if !own_addresses
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&recipient))
    {
        return Err(bad(format!(
            "recipientEmail '{recipient}' is not the mailbox the message is in ({}).",
            user.upn
        )));
    }
    let mbx = data.mailboxes.get(&user.id).ok_or_else(|| {
        GraphError::new(
            404,
            "MailboxNotEnabledForRESTAPI",
            "REST API is not yet supported for this mailbox.",
        )
    })?;
    let m = mbx.message(&message_id).ok_or_else(|| {
        GraphError::new(
            404,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        )
    })?;
    let resource = format!(
        "{}|{}",
        m.item.text("internetMessageId").to_ascii_lowercase(),
        recipient.to_ascii_lowercase()
    );
    let now = ctx.meta.now;
    if let Some(wait) = data.activity.assessment_wait(&resource, now) {
        return Err(GraphError::new(
            429,
            "TooManyRequests",
            "This message was already submitted for this recipient: Graph takes one threat assessment request per message and recipient in 15 minutes, and three in 24 hours.",
        )
        .with_header("Retry-After", wait.to_string()));
    }
    let name = user
        .props
        .get("displayName")
        .cloned()
        .unwrap_or(Value::Null);
    let json = json!({
        "@odata.type": "#microsoft.graph.mailAssessmentRequest",
        "id": ids::random_guid(),
        "createdDateTime": time::iso(now as i64),
        "contentType": "mail",
        "expectedAssessment": expected,
        "category": category,
        "status": "pending",
        "requestSource": "user",
        "recipientEmail": recipient,
        "destinationRoutingReason": "notJunk",
        "messageUri": uri,
        "createdBy": {"user": {"id": user.id, "displayName": name}},
    });
    data.activity.assessments.push(Assessment {
        resource,
        at: now,
        json: json.clone(),
    });
    let mut out = json;
    out["@odata.context"] =
        json!(ctx.context("informationProtection/threatAssessmentRequests/$entity"));
    Ok(ctx.ok(StatusCode::CREATED, &out))
}

fn list(ctx: &Ctx<'_>) -> Result<Resp, GraphError> {
    let data = lock(&ctx.sim.data);
    let items = data
        .activity
        .assessments
        .iter()
        .map(|a| a.json.clone())
        .collect();
    let body = odata::collection(
        ctx.context("informationProtection/threatAssessmentRequests"),
        items,
        None,
    );
    Ok(ctx.ok(StatusCode::OK, &body))
}

fn get(ctx: &Ctx<'_>, id: &str) -> Result<Resp, GraphError> {
    let data = lock(&ctx.sim.data);
    let a = data
        .activity
        .assessments
        .iter()
        .find(|a| a.json["id"] == id)
        .ok_or_else(|| {
            GraphError::new(404, "ResourceNotFound", "Resource could not be discovered.")
        })?;
    let mut v = a.json.clone();
    v["@odata.context"] =
        json!(ctx.context("informationProtection/threatAssessmentRequests/$entity"));
    Ok(ctx.ok(StatusCode::OK, &v))
}
