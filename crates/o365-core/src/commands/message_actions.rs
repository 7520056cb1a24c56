//! The work shared by the commands that act on listed messages (move, copy, delete, and
//! their deprecated aliases): look up internetMessageIds, send one request per message
//! through `$batch`, and report every item's outcome.

use serde_json::{Value, json};

use crate::batch::{self, Request};
use crate::error::Error;
use crate::graph::Graph;
use crate::http::segment;
use crate::mail::pairs::{self, Pair};
use crate::message_lookup;
use crate::model::{CommandResult, Connection, Status};
use crate::outcome::{error_json, item_error};
use crate::retry::Idempotency;

/// The listed messages, paired by index with their mailboxes (`mail::pairs`). The same
/// message twice would be acted on twice (the second move fails, a second copy doubles
/// it), so a repeat is a bad input.
pub(crate) fn targets(
    conn: &Connection,
    addresses: &[String],
    ids: &[String],
) -> Result<Vec<Pair>, Error> {
    let list = pairs::parse(conn, addresses, ids)?;
    for (i, p) in list.iter().enumerate() {
        if list[..i].iter().any(|o| {
            o.message == p.message
                && o.mailbox
                    .display()
                    .eq_ignore_ascii_case(p.mailbox.display())
        }) {
            return Err(Error::input(
                pairs::MESSAGE_IDS,
                format!(
                    "'{}' is listed twice for mailbox {}.",
                    p.message.as_str(),
                    p.mailbox.display()
                ),
            ));
        }
    }
    Ok(list)
}

/// "'<id> in <mailbox>'", for per-item errors.
pub(crate) fn describe(p: &Pair) -> String {
    format!("{} in {}", p.message.as_str(), p.mailbox.display())
}

/// What happened to one listed message.
pub(crate) struct ItemOutcome<'t> {
    pub target: &'t Pair,
    /// The Graph id acted on (after an internetMessageId lookup).
    pub id: Option<String>,
    /// Graph's answer for the item: the message for move/copy, null for delete.
    pub result: Result<Value, Error>,
}

/// `{mbx}/messages/{id}` for a target whose id is known.
pub(crate) fn message_path(target: &Pair, id: &str) -> String {
    format!("{}/messages/{}", target.mailbox.path(), segment(id))
}

/// Resolves ids, then sends `request(target, id)` for each message whose id is known, in
/// batches. `request` may refuse an item (e.g. its mailbox has no such folder).
pub(crate) fn act<'t>(
    graph: &Graph,
    targets: &'t [Pair],
    what: &str,
    request: impl Fn(&Pair, &str) -> Result<Request, Error>,
) -> Vec<ItemOutcome<'t>> {
    let pairs: Vec<_> = targets
        .iter()
        .map(|t| (t.mailbox.clone(), t.message.clone()))
        .collect();
    let ids = message_lookup::resolve(graph, &pairs);
    let mut outcomes: Vec<ItemOutcome> = Vec::with_capacity(targets.len());
    let mut requests = Vec::new();
    let mut slots = Vec::new();
    for (target, id) in targets.iter().zip(ids) {
        let prepared = id
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|id| request(target, id));
        match prepared {
            Ok(r) => {
                slots.push(outcomes.len());
                requests.push(r);
                outcomes.push(ItemOutcome {
                    target,
                    id: id.ok(),
                    result: Ok(Value::Null),
                });
            }
            Err(e) => outcomes.push(ItemOutcome {
                target,
                id: id.ok(),
                result: Err(e),
            }),
        }
    }
    if !requests.is_empty() {
        // A move or copy repeated after a lost answer would act twice: never resent.
        let results = batch::run(graph, &requests, Idempotency::NotIdempotent, what);
        for (slot, result) in slots.into_iter().zip(results) {
            outcomes[slot].result = result;
        }
    }
    outcomes
}

/// The common result: per item in `raw-data.value`, one error per failed item, and the
/// status from the counts. `done` names what happened to a message ("moved").
pub(crate) fn result(label: &str, done: &str, outcomes: &[ItemOutcome]) -> CommandResult {
    let mut result = CommandResult::new(Status::from_counts(
        outcomes.iter().filter(|o| o.result.is_ok()).count(),
        outcomes.iter().filter(|o| o.result.is_err()).count(),
    ));
    result.raw_data = json!({"value": outcomes.iter().map(|o| {
        let mut v = json!({
            "mailbox": o.target.mailbox.display(),
            "messageId": o.target.message.as_str(),
            "id": o.id,
        });
        match &o.result {
            Ok(body) => {
                v["status"] = json!(done);
                if !body.is_null() {
                    v["message"] = body.clone();
                }
            }
            Err(e) => {
                v["status"] = json!("failed");
                v["error"] = error_json(e);
            }
        }
        v
    }).collect::<Vec<_>>()});
    result.errors = outcomes
        .iter()
        .filter_map(|o| {
            o.result
                .as_ref()
                .err()
                .map(|e| item_error(label, &describe(o.target), e))
        })
        .collect();
    result
}
