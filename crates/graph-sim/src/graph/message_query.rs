//! Query options of message lists: `$top`, `$skip`, `$select`, `$expand`,
//! `$orderby`, and the rules Graph enforces between them.

use std::cmp::Ordering;

use serde_json::Value;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::filter::{self, Filter};
use super::odata::Query;
use super::search::{self, Kql};
use crate::error::GraphError;
use crate::store::Message;
use crate::store::message::{DEFAULT_PROPERTIES, SELECT_ONLY_PROPERTIES};

/// Outlook's default page size for messages.
pub(super) const DEFAULT_TOP: usize = 10;
/// The largest `$top` Outlook accepts on messages.
pub(super) const MAX_TOP: usize = 1000;
/// `$search` finds at most this many messages.
pub(super) const MAX_SEARCH_RESULTS: usize = 1000;

pub(super) struct ListOptions {
    pub top: usize,
    pub skip: usize,
    pub select: Option<Vec<String>>,
    pub expand_attachments: bool,
    /// (property, descending)
    pub order: Vec<(String, bool)>,
    pub filter: Option<Filter>,
    pub search: Option<Kql>,
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(400, "BadRequest", message)
}

/// `$select` names accepted on microsoft.graph.message.
pub(super) fn selectable() -> Vec<&'static str> {
    let mut all = vec!["id"];
    all.extend_from_slice(DEFAULT_PROPERTIES);
    all.extend_from_slice(SELECT_ONLY_PROPERTIES);
    all
}

/// `$expand=attachments` (also `Attachments`); anything else is refused the
/// way Graph refuses an unknown navigation property.
pub(super) fn expand_attachments(q: &Query) -> Result<bool, GraphError> {
    let Some(raw) = q.get("$expand") else {
        return Ok(false);
    };
    let mut attachments = false;
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let name = item.split('(').next().unwrap_or(item).trim();
        if name.eq_ignore_ascii_case("attachments") {
            attachments = true;
        } else {
            return Err(bad(format!(
                "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.message'."
            )));
        }
    }
    Ok(attachments)
}

fn parse_order(raw: &str) -> Result<Vec<(String, bool)>, GraphError> {
    let allowed = selectable();
    let mut out = Vec::new();
    for clause in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let mut words = clause.split_whitespace();
        let name = words.next().unwrap_or("");
        let canonical = allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                bad(format!(
                    "Could not find a property named '{name}' on type 'microsoft.graph.message'."
                ))
            })?;
        let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(bad(format!("Syntax error: '{other}' in $orderby."))),
        };
        out.push(((*canonical).to_string(), desc));
    }
    Ok(out)
}

impl ListOptions {
    pub(super) fn parse(q: &Query) -> Result<ListOptions, GraphError> {
        let top = q.number("$top", DEFAULT_TOP)?;
        if !(1..=MAX_TOP).contains(&top) {
            return Err(bad(format!(
                "Invalid value '{top}' for query option '$top': it must be between 1 and {MAX_TOP}."
            )));
        }
        let allowed = selectable();
        let select = q.select(&allowed, "microsoft.graph.message")?;
        let explicit_order = q.get("$orderby").map(parse_order).transpose()?;
        let filter = q
            .get("$filter")
            .map(|f| filter::parse(f, &allowed))
            .transpose()?;
        let search = q.get("$search").map(search::parse).transpose()?;
        if search.is_some() {
            // Outlook refuses these next to $search (reference §2.4).
            for (option, shown) in [
                ("$filter", "$filter"),
                ("$orderby", "$orderBy"),
                ("$skip", "$skip"),
            ] {
                if q.get(option).is_some() {
                    return Err(GraphError::new(
                        400,
                        "BadRequest",
                        format!("The query parameter '{shown}' is not supported with '$search'."),
                    ));
                }
            }
        }
        if let (Some(f), Some(order)) = (&filter, &explicit_order) {
            f.check_order(order)?;
        }
        let skip = match (q.get("$skiptoken"), &search) {
            (Some(token), _) => parse_skiptoken(token)?,
            (None, _) => q.number("$skip", 0)?,
        };
        Ok(ListOptions {
            top,
            skip,
            select,
            expand_attachments: expand_attachments(q)?,
            // Outlook lists newest first.
            order: explicit_order.unwrap_or_else(|| vec![("receivedDateTime".into(), true)]),
            filter,
            search,
        })
    }
}

/// The opaque `$skiptoken` of `$search` pages.
pub(super) fn skiptoken(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("search-offset:{offset}"))
}

fn parse_skiptoken(token: &str) -> Result<usize, GraphError> {
    URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("search-offset:")?.parse().ok())
        .ok_or_else(|| bad("The $skiptoken is invalid."))
}

/// Orders JSON values the way OData does for the types messages have.
pub(super) fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// Sorts messages by the `$orderby` keys; ties keep the store's order, so
/// pages never overlap.
pub(super) fn sort(items: &mut [&Message], order: &[(String, bool)]) {
    items.sort_by(|a, b| {
        for (key, desc) in order {
            let ord = if key == "receivedDateTime" {
                a.received.cmp(&b.received)
            } else {
                compare(
                    a.prop(key).as_deref().unwrap_or(&Value::Null),
                    b.prop(key).as_deref().unwrap_or(&Value::Null),
                )
            };
            let ord = if *desc { ord.reverse() } else { ord };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    });
}
