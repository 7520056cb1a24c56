//! The work shared by the commands that act on listed messages (move, copy, delete, and
//! their deprecated aliases): look up internetMessageIds, send one request per message
//! through `$batch`, and report every item's outcome.

use serde_json::Value;

use crate::batch::{self, Request};
use crate::error::Error;
use crate::graph::Graph;
use crate::http::segment;
use crate::mail::pairs::{self, Pair};
use crate::message_lookup;
use crate::model::{CommandResult, Connection};
use crate::outcome::{ItemOutcome, ItemOutcomes};
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

/// What happened to one listed message.
pub(crate) struct Acted<'t> {
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
) -> Vec<Acted<'t>> {
    let pairs: Vec<_> = targets
        .iter()
        .map(|t| (t.mailbox.clone(), t.message.clone()))
        .collect();
    let ids = message_lookup::resolve(graph, &pairs);
    let mut outcomes: Vec<Acted> = Vec::with_capacity(targets.len());
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
                outcomes.push(Acted {
                    target,
                    id: id.ok(),
                    result: Ok(Value::Null),
                });
            }
            Err(e) => outcomes.push(Acted {
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

/// The common result: one outcome row per message (`raw-data.items`), the Error tab
/// from them, the status from the counts. `done` names what happened ("moved").
pub(crate) fn result(label: &str, done: &str, acted: &[Acted]) -> CommandResult {
    let mut items = ItemOutcomes::new(label);
    for a in acted {
        let item = a.target.describe();
        let outcome = match &a.result {
            Ok(body) if body.is_null() => ItemOutcome::succeeded(item, done),
            Ok(body) => ItemOutcome::succeeded(item, done).with("message", body.clone()),
            Err(e) => ItemOutcome::failed(item, e.clone()),
        };
        items.push(a.target.outcome(outcome).with("id", a.id.clone()));
    }
    items.result()
}
