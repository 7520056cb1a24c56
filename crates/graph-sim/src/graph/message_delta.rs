//! `GET {mbx}/mailFolders/{id}/messages/delta`: delta query on a folder's
//! messages, as Graph documents it. A round is one or more pages:
//! `@odata.nextLink` (with `$skiptoken`) until the last, which carries
//! `@odata.deltaLink` (with `$deltatoken`) for the next round. The options
//! of the first request (`$select`, `$expand`, `changeType`, the initial
//! round's `$filter`) travel inside the tokens. Page size comes from
//! `Prefer: odata.maxpagesize`; `$top`, `$search`, `$skip` and `$orderby`
//! are refused. A token from before [`crate::SimHandle::expire_delta_tokens`]
//! answers 410 Gone, `SyncStateNotFound`: the client must start over.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::lookup::{
    READ, READ_BASIC, attachment_list, item_not_found, project, resolve_path, with_mailbox,
};
use super::mailbox::Target;
use super::message_query::{expand_attachments, selectable};
use super::odata::Query;
use super::prefer::Prefer;
use super::{Ctx, odata};
use crate::error::GraphError;
use crate::store::FolderKind;
use crate::store::delta::{ChangeType, Entry, Round, entry_seq};
use crate::time;
use crate::wire::Resp;

/// Outlook's default page size for messages.
const DEFAULT_PAGE: usize = 10;
/// The largest page a client can ask for.
const MAX_PAGE: usize = 1000;

/// Everything a state token carries.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct State {
    /// Sim delta generation the token was issued in.
    g: u64,
    /// The folder's id: a token is good for its own folder only.
    f: String,
    initial: bool,
    since: u64,
    after: u64,
    select: Option<String>,
    expand: bool,
    change_type: Option<String>,
    /// The initial round's `receivedDateTime ge|gt` bound: (seconds, strict).
    received_from: Option<(i64, bool)>,
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(400, "BadRequest", message)
}

fn encode(state: &State) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(state).unwrap_or_default())
}

fn decode(token: &str) -> Result<State, GraphError> {
    URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| bad("The state token is not valid."))
}

fn gone() -> GraphError {
    GraphError::new(
        410,
        "SyncStateNotFound",
        "The sync state was not found or has expired. Start a new round of delta query without a state token.",
    )
}

/// `receivedDateTime ge|gt {value}`: the only `$filter` delta takes.
fn received_filter(raw: &str) -> Result<(i64, bool), GraphError> {
    let words: Vec<&str> = raw.split_whitespace().collect();
    let refused = || {
        bad(format!(
            "The $filter '{raw}' is not supported on delta: only receivedDateTime ge|gt {{value}}."
        ))
    };
    let [prop, op, value] = words.as_slice() else {
        return Err(refused());
    };
    if !prop.eq_ignore_ascii_case("receivedDateTime") {
        return Err(refused());
    }
    let strict = match op.to_ascii_lowercase().as_str() {
        "ge" => false,
        "gt" => true,
        _ => return Err(refused()),
    };
    let at = time::parse_iso(value).ok_or_else(refused)?;
    Ok((at, strict))
}

fn change_type(raw: Option<&str>) -> Result<Option<ChangeType>, GraphError> {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("created") => Ok(Some(ChangeType::Created)),
        Some("updated") => Ok(Some(ChangeType::Updated)),
        Some("deleted") => Ok(Some(ChangeType::Deleted)),
        Some(other) => Err(bad(format!(
            "Invalid changeType '{other}': use created, updated or deleted."
        ))),
    }
}

/// The state of this request: from its token, or a new initial round.
fn state_of(q: &Query, sim_generation: u64, folder_id: &str) -> Result<State, GraphError> {
    q.reject(&["$top", "$skip", "$search", "$orderby", "$count"])?;
    let token = match (q.get("$skiptoken"), q.get("$deltatoken")) {
        (Some(_), Some(_)) => return Err(bad("Give $skiptoken or $deltatoken, not both.")),
        (Some(t), None) | (None, Some(t)) => Some(t),
        (None, None) => None,
    };
    if let Some(token) = token {
        let state = decode(token)?;
        if state.f != folder_id {
            return Err(bad("The state token belongs to another folder."));
        }
        if state.g != sim_generation {
            return Err(gone());
        }
        return Ok(state);
    }
    let select = q.select(&selectable(), "microsoft.graph.message")?;
    let ct = q.get("changeType");
    change_type(ct)?;
    Ok(State {
        g: sim_generation,
        f: folder_id.to_string(),
        initial: true,
        since: 0,
        after: 0,
        select: select.map(|s| s.join(",")),
        expand: expand_attachments(q)?,
        change_type: ct.map(str::to_ascii_lowercase),
        received_from: q.get("$filter").map(received_filter).transpose()?,
    })
}

pub(super) fn delta(ctx: &Ctx<'_>, target: Target<'_>, keys: &[&str]) -> Result<Resp, GraphError> {
    ctx.caller.require(&READ_BASIC)?;
    let prefer = Prefer::from_headers(ctx.req.headers);
    let page_size = prefer.max_page_size.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE);
    let full_access = ctx.caller.allows(&READ);
    with_mailbox(ctx, target, |owner, mbx| {
        let folder = resolve_path(mbx, keys)?.ok_or_else(item_not_found)?;
        if !matches!(folder.kind, FolderKind::Mail) {
            return Err(bad("Delta query is not supported on search folders."));
        }
        let state = state_of(&ctx.query, ctx.sim.delta_generation(), &folder.id)?;
        if state.expand {
            ctx.caller.require(&READ)?;
        }
        let round = Round {
            initial: state.initial,
            since: state.since,
            after: state.after,
            change_type: change_type(state.change_type.as_deref())?,
            received_from: state.received_from,
            page_size,
        };
        let (page, more) = mbx.delta_page(&folder.id, &round);
        let select: Option<Vec<String>> = state
            .select
            .as_ref()
            .map(|s| s.split(',').map(str::to_string).collect());
        let form = prefer.id_form();
        let items: Vec<Value> = page
            .iter()
            .map(|e| match e {
                Entry::Message(m) => {
                    let mut v = project(m.to_json(form), select.as_deref(), full_access, &prefer);
                    if state.expand {
                        v.insert("attachments".into(), attachment_list(m));
                    }
                    v.insert("@odata.type".into(), json!("#microsoft.graph.message"));
                    Value::Object(v)
                }
                Entry::Removed(r) => {
                    let id = match form {
                        crate::store::IdForm::Rest => &r.rest_id,
                        crate::store::IdForm::Immutable => &r.immutable_id,
                    };
                    json!({
                        "@odata.type": "#microsoft.graph.message",
                        "id": id,
                        "@removed": {"reason": r.reason.as_str()},
                    })
                }
            })
            .collect();
        let base = format!("{}{}", ctx.meta.public_origin(), ctx.req.path);
        let link = |key: &str, s: &State| {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair(key, &encode(s));
            format!("{base}?{}", q.finish())
        };
        let fragment = format!("users('{owner}')/mailFolders('{}')/messages", folder.id);
        let mut body = odata::collection(ctx.context(&fragment), items, None);
        if more {
            let mut next = state.clone();
            next.after = page.last().map_or(state.after, entry_seq);
            body["@odata.nextLink"] = json!(link("$skiptoken", &next));
        } else {
            let next = State {
                initial: false,
                since: mbx.delta_now(),
                after: 0,
                received_from: None,
                ..state.clone()
            };
            body["@odata.deltaLink"] = json!(link("$deltatoken", &next));
        }
        Ok(ctx.ok_with(StatusCode::OK, &body, &prefer.applied()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_filters_are_limited() {
        let s = State {
            g: 1,
            f: "folder".into(),
            initial: true,
            since: 0,
            after: 7,
            select: Some("id,subject".into()),
            expand: true,
            change_type: Some("created".into()),
            received_from: Some((1_700_000_000, false)),
        };
        assert_eq!(decode(&encode(&s)).unwrap(), s);
        assert_eq!(decode("garbage!").unwrap_err().status, 400);
        assert_eq!(
            received_filter("receivedDateTime gt 2025-03-01T00:00:00Z").unwrap(),
            (time::parse_iso("2025-03-01T00:00:00Z").unwrap(), true)
        );
        for refused in [
            "subject eq 'x'",
            "receivedDateTime le 2025-03-01T00:00:00Z",
            "receivedDateTime ge 2025-03-01T00:00:00Z and isRead eq false",
        ] {
            assert_eq!(
                received_filter(refused).unwrap_err().status,
                400,
                "{refused}"
            );
        }
        let q = Query::parse("%24top=5");
        assert_eq!(state_of(&q, 1, "folder").unwrap_err().status, 400);
        let q = Query::parse(&format!("%24deltatoken={}", encode(&s)));
        assert_eq!(state_of(&q, 2, "folder").unwrap_err().status, 410);
        assert_eq!(state_of(&q, 1, "other").unwrap_err().status, 400);
        assert_eq!(state_of(&q, 1, "folder").unwrap(), s);
    }
}
