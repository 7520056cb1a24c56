//! `{mbx}/mailboxSettings` (GET, PATCH) and `{mbx}/mailboxSettings/automaticRepliesSetting`
//! (GET). PATCH changes only what it names, which is how "keep the current value" works.

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::auth::Need;
use super::lookup::json_body;
use super::mailbox::{self, Target};
use super::{Ctx, is, method_not_allowed};
use crate::error::GraphError;
use crate::sim::lock;
use crate::time;
use crate::wire::Resp;

const READ: Need = Need {
    delegated: &["MailboxSettings.Read"],
    app: &["MailboxSettings.Read"],
    directory: false,
};
const WRITE: Need = Need {
    delegated: &["MailboxSettings.ReadWrite"],
    app: &["MailboxSettings.ReadWrite"],
    directory: false,
};

const SETTINGS: &[&str] = &[
    "automaticRepliesSetting",
    "archiveFolder",
    "timeZone",
    "language",
    "workingHours",
    "dateFormat",
    "timeFormat",
    "delegateMeetingMessageDeliveryOptions",
    "userPurpose",
];
const REPLY_FIELDS: &[&str] = &[
    "status",
    "externalAudience",
    "scheduledStartDateTime",
    "scheduledEndDateTime",
    "internalReplyMessage",
    "externalReplyMessage",
];
/// Time zones the sim knows (Windows and IANA names Graph accepts).
const ZONES: &[&str] = &[
    "UTC",
    "Etc/UTC",
    "Pacific Standard Time",
    "Eastern Standard Time",
    "Central European Standard Time",
    "W. Europe Standard Time",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/Berlin",
];

pub(super) fn route(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    tail: &[String],
) -> Result<Resp, GraphError> {
    match (ctx.req.method, tail) {
        (&Method::GET, []) => get(ctx, target, None),
        (&Method::GET, [part]) if SETTINGS.iter().any(|s| is(part, s)) => {
            let name = SETTINGS.iter().find(|s| is(part, s)).expect("matched");
            get(ctx, target, Some(name))
        }
        (&Method::PATCH, []) => patch(ctx, target),
        _ => Err(method_not_allowed(ctx)),
    }
}

fn get(ctx: &Ctx<'_>, target: Target<'_>, part: Option<&str>) -> Result<Resp, GraphError> {
    ctx.caller.require(&READ)?;
    let mut data = lock(&ctx.sim.data);
    let owner = mailbox::resolve(&data, &ctx.caller, target)?;
    let settings = data.admin.settings(&owner).clone();
    let (mut body, fragment) = match part {
        None => (settings, format!("users('{owner}')/mailboxSettings")),
        Some(p) => (
            settings[p].clone(),
            format!("users('{owner}')/mailboxSettings/{p}"),
        ),
    };
    body["@odata.context"] = json!(ctx.context(&fragment));
    Ok(ctx.ok(StatusCode::OK, &body))
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(400, "ErrorInvalidParameter", message)
}

/// Graph's enum members are read case-insensitively and stored lower-camel.
fn member(value: &Value, members: &[&str], name: &str) -> Result<Value, GraphError> {
    let given = value.as_str().unwrap_or_default();
    members
        .iter()
        .find(|m| m.eq_ignore_ascii_case(given))
        .map(|m| json!(m))
        .ok_or_else(|| bad(format!("'{given}' is not a valid value for '{name}'.")))
}

fn date_time_zone(value: &Value, name: &str) -> Result<Value, GraphError> {
    let dt = value["dateTime"].as_str().unwrap_or_default();
    let zone = value["timeZone"].as_str().unwrap_or_default();
    if !ZONES.iter().any(|z| z.eq_ignore_ascii_case(zone)) {
        return Err(GraphError::new(
            400,
            "InvalidTimeZone",
            format!(
                "A valid TimeZone value must be specified. The following TimeZone value is not supported: '{zone}'."
            ),
        ));
    }
    let unix = time::parse_iso(dt)
        .ok_or_else(|| bad(format!("'{dt}' is not a valid dateTime for '{name}'.")))?;
    let local = time::iso(unix);
    Ok(json!({"dateTime": format!("{}.0000000", local.trim_end_matches('Z')), "timeZone": zone}))
}

fn replies(given: &Map<String, Value>, current: &mut Value) -> Result<(), GraphError> {
    for (k, v) in given {
        let field = REPLY_FIELDS
            .iter()
            .find(|f| f.eq_ignore_ascii_case(k))
            .ok_or_else(|| bad(format!("The property '{k}' does not exist on type 'microsoft.graph.automaticRepliesSetting'.")))?;
        let value = match *field {
            "status" => member(v, &["disabled", "alwaysEnabled", "scheduled"], field)?,
            "externalAudience" => member(v, &["none", "contactsOnly", "all"], field)?,
            "scheduledStartDateTime" | "scheduledEndDateTime" => date_time_zone(v, field)?,
            _ => json!(
                v.as_str()
                    .ok_or_else(|| bad(format!("'{field}' must be a string.")))?
            ),
        };
        current[*field] = value;
    }
    let start = time::parse_iso(
        current["scheduledStartDateTime"]["dateTime"]
            .as_str()
            .unwrap_or_default(),
    );
    let end = time::parse_iso(
        current["scheduledEndDateTime"]["dateTime"]
            .as_str()
            .unwrap_or_default(),
    );
    if current["status"] == "scheduled" && matches!((start, end), (Some(s), Some(e)) if e <= s) {
        return Err(bad(
            "The scheduled end time must be after the scheduled start time.",
        ));
    }
    Ok(())
}

fn patch(ctx: &Ctx<'_>, target: Target<'_>) -> Result<Resp, GraphError> {
    ctx.caller.require(&WRITE)?;
    let body = json_body(ctx)?;
    let mut data = lock(&ctx.sim.data);
    let owner = mailbox::resolve(&data, &ctx.caller, target)?;
    // Checked on a copy: a bad field leaves the settings as they were.
    let mut next = data.admin.settings(&owner).clone();
    let mut answer = Map::new();
    for (k, v) in &body {
        let name = SETTINGS
            .iter()
            .find(|s| s.eq_ignore_ascii_case(k))
            .ok_or_else(|| {
                bad(format!(
                    "The property '{k}' does not exist on type 'microsoft.graph.mailboxSettings'."
                ))
            })?;
        if *name == "automaticRepliesSetting" {
            let given = v
                .as_object()
                .ok_or_else(|| bad("automaticRepliesSetting must be an object."))?;
            replies(given, &mut next[*name])?;
        } else {
            next[*name] = v.clone();
        }
        answer.insert(name.to_string(), next[*name].clone());
    }
    *data.admin.settings(&owner) = next;
    answer.insert(
        "@odata.context".into(),
        json!(ctx.context(&format!("users('{owner}')/mailboxSettings"))),
    );
    Ok(ctx.ok(StatusCode::OK, &Value::Object(answer)))
}
