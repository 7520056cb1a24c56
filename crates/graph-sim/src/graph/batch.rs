//! JSON batching: `POST /$batch` with up to 20 requests (reference §4). Each request runs
//! through the same routes, token checks and fault injection as a request of its own
//! (a Status fault matching its path answers that item, with its Retry-After in the
//! item's headers); `dependsOn` orders them and a failed dependency answers 424.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use hyper::body::Body;
use serde_json::{Map, Value, json};

use super::{Ctx, method_not_allowed};
use crate::error::GraphError;
use crate::faults::FaultKind;
use crate::log::RecordedRequest;
use crate::sim::lock;
use crate::wire::{self, RawRequest, Resp};

pub(crate) const MAX_REQUESTS: usize = 20;

/// Response headers worth passing on inside the batch answer.
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "retry-after",
    "location",
    "preference-applied",
];

struct Item {
    id: String,
    method: Method,
    /// Path (still percent-encoded, with the version) and query.
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    depends_on: Vec<String>,
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(400, "BadRequest", message)
}

fn parse_item(v: &Value, version: &str) -> Result<Item, GraphError> {
    let id = match &v["id"] {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(bad("Every batch request needs an id.")),
    };
    let method = v["method"]
        .as_str()
        .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
        .ok_or_else(|| bad(format!("Batch request {id} has no valid method.")))?;
    let url = v["url"]
        .as_str()
        .ok_or_else(|| bad(format!("Batch request {id} has no url.")))?;
    if url.contains("://") {
        return Err(bad(format!(
            "Batch request {id}: the url must be relative to the version root, without host."
        )));
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut headers = HeaderMap::new();
    if let Some(h) = v["headers"].as_object() {
        for (k, val) in h {
            if let (Ok(n), Some(Ok(v))) = (
                HeaderName::from_bytes(k.as_bytes()),
                val.as_str().map(HeaderValue::from_str),
            ) {
                headers.insert(n, v);
            }
        }
    }
    let body = match v.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(b) => {
            let is_json = headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|c| c.to_str().ok())
                .is_some_and(|c| c.contains("json"));
            if !is_json {
                return Err(bad(format!(
                    "Batch request {id} has a body but no Content-Type header."
                )));
            }
            serde_json::to_vec(b).unwrap_or_default()
        }
    };
    let depends_on = v["dependsOn"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Ok(Item {
        id,
        method,
        path: format!("/{version}/{}", path.trim_start_matches('/')),
        query: query.to_string(),
        headers,
        body,
        depends_on,
    })
}

/// Items in an order that runs every dependency first (input order otherwise).
fn order(items: &[Item]) -> Result<Vec<usize>, GraphError> {
    let mut done: Vec<usize> = Vec::new();
    while done.len() < items.len() {
        let next = (0..items.len()).find(|&i| {
            !done.contains(&i)
                && items[i]
                    .depends_on
                    .iter()
                    .all(|d| done.iter().any(|&j| items[j].id == *d))
        });
        match next {
            Some(i) => done.push(i),
            None => return Err(bad("The dependsOn of the batch requests form a cycle.")),
        }
    }
    Ok(done)
}

/// Reads a finished response's body without an executor (it is always a full buffer).
fn read(resp: Resp) -> (StatusCode, HeaderMap, Vec<u8>) {
    let (parts, mut body) = resp.into_parts();
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Vec::new();
    while let Poll::Ready(Some(Ok(frame))) = Pin::new(&mut body).poll_frame(&mut cx) {
        if let Ok(data) = frame.into_data() {
            out.extend_from_slice(&data);
        }
    }
    (parts.status, parts.headers, out)
}

fn answer(id: &str, resp: Resp) -> (Value, u16) {
    let (status, headers, body) = read(resp);
    let mut kept = Map::new();
    for name in KEPT_HEADERS {
        if let Some(v) = headers.get(*name).and_then(|v| v.to_str().ok()) {
            let pretty = match *name {
                "content-type" => "Content-Type",
                "retry-after" => "Retry-After",
                "location" => "Location",
                _ => "Preference-Applied",
            };
            kept.insert(pretty.into(), json!(v));
        }
    }
    let is_json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.contains("json"));
    let mut item = json!({"id": id, "status": status.as_u16(), "headers": kept});
    if !body.is_empty() {
        item["body"] = if is_json {
            serde_json::from_slice(&body).unwrap_or(Value::Null)
        } else {
            json!(STANDARD.encode(&body))
        };
    }
    (item, status.as_u16())
}

pub(super) fn run(ctx: &Ctx<'_>) -> Result<Resp, GraphError> {
    if ctx.req.method != Method::POST {
        return Err(method_not_allowed(ctx));
    }
    let body: Value = serde_json::from_slice(ctx.req.body)
        .map_err(|_| bad("Invalid batch payload format: the body must be JSON."))?;
    let list = body["requests"]
        .as_array()
        .ok_or_else(|| bad("Invalid batch payload format: 'requests' is missing."))?;
    if list.len() > MAX_REQUESTS {
        return Err(bad(format!(
            "The number of batch requests ({}) exceeds the limit of {MAX_REQUESTS}.",
            list.len()
        )));
    }
    let items = list
        .iter()
        .map(|v| parse_item(v, &ctx.version))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, item) in items.iter().enumerate() {
        if items[..i].iter().any(|o| o.id == item.id) {
            return Err(bad(format!(
                "Batch request id '{}' is used twice.",
                item.id
            )));
        }
        if let Some(d) = item
            .depends_on
            .iter()
            .find(|d| !items.iter().any(|o| o.id == **d))
        {
            return Err(bad(format!(
                "Batch request {} depends on '{d}', which is not in the batch.",
                item.id
            )));
        }
    }
    let mut statuses: Vec<(String, u16)> = Vec::new();
    let mut answers = Vec::new();
    for i in order(&items)? {
        let item = &items[i];
        let failed_dependency = item.depends_on.iter().any(|d| {
            statuses
                .iter()
                .any(|(id, s)| id == d && !(200..300).contains(s))
        });
        let resp = if failed_dependency {
            GraphError::new(
                424,
                "FailedDependency",
                "The request was not run because a request it depends on failed.",
            )
            .render(ctx.meta)
        } else {
            dispatch(ctx, item)
        };
        let (json, status) = answer(&item.id, resp);
        statuses.push((item.id.clone(), status));
        answers.push(json);
    }
    Ok(wire::json_with(
        StatusCode::OK,
        "application/json",
        &json!({"responses": answers}),
        &ctx.ids(),
    ))
}

/// One request of the batch, as if it had come on its own (with the batch's token).
fn dispatch(ctx: &Ctx<'_>, item: &Item) -> Resp {
    let mut headers = ctx.req.headers.clone();
    headers.remove(http::header::CONTENT_TYPE);
    headers.remove(http::header::CONTENT_LENGTH);
    for (k, v) in &item.headers {
        headers.insert(k, v.clone());
    }
    let seq = lock(&ctx.sim.log).arrive(RecordedRequest {
        method: item.method.to_string(),
        path: item.path.clone(),
        query: item.query.clone(),
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&item.body).into_owned(),
        status: 0,
        via_batch: true,
    });
    let segments: Vec<String> = item
        .path
        .trim_start_matches('/')
        .split('/')
        .map(wire::decode_segment)
        .collect();
    let resp = if segments
        .get(1)
        .is_some_and(|s| s.eq_ignore_ascii_case("$batch"))
    {
        bad("A batch cannot contain another batch.").render(ctx.meta)
    } else {
        let fault = lock(&ctx.sim.faults).take(item.method.as_str(), &item.path, &item.query);
        match fault {
            Some(FaultKind::Status {
                status,
                retry_after,
            }) => {
                let mut e = GraphError::for_status(status);
                if let Some(r) = retry_after {
                    e = e.with_header("Retry-After", r);
                }
                e.render(ctx.meta)
            }
            Some(FaultKind::ExpiredToken) => {
                GraphError::unauthenticated("Lifetime validation failed, the token is expired.")
                    .render(ctx.meta)
            }
            // Transport faults have no meaning inside a batch answer.
            _ => {
                let raw = RawRequest {
                    method: &item.method,
                    path: &item.path,
                    query: &item.query,
                    headers: &headers,
                    body: &item.body,
                };
                super::handle(ctx.sim, ctx.meta, &raw, &segments)
            }
        }
    };
    lock(&ctx.sim.log).complete(seq, resp.status().as_u16());
    resp
}
