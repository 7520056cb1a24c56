//! The work shared by the commands that act on listed messages (move, copy, delete, and
//! their deprecated aliases): look up internetMessageIds, send one request per message
//! through `$batch`, and report every item's outcome.

use serde_json::{Value, json};

use super::item_error;
use crate::batch::{self, Request};
use crate::error::Error;
use crate::graph::Graph;
use crate::http::segment;
use crate::message_ref;
use crate::model::{CommandResult, Status};
use crate::retry::Idempotency;
use crate::targets::Target;

/// What happened to one listed message.
pub(crate) struct ItemOutcome<'t> {
    pub target: &'t Target,
    /// The Graph id acted on (after an internetMessageId lookup).
    pub id: Option<String>,
    /// Graph's answer for the item: the message for move/copy, null for delete.
    pub result: Result<Value, Error>,
}

/// `{mbx}/messages/{id}` for a target whose id is known.
pub(crate) fn message_path(target: &Target, id: &str) -> String {
    format!("{}/messages/{}", target.mailbox.path(), segment(id))
}

/// Resolves ids, then sends `request(target, id)` for each message whose id is known, in
/// batches. `request` may refuse an item (e.g. its mailbox has no such folder).
pub(crate) fn act<'t>(
    graph: &Graph,
    targets: &'t [Target],
    what: &str,
    request: impl Fn(&Target, &str) -> Result<Request, Error>,
) -> Vec<ItemOutcome<'t>> {
    let pairs: Vec<_> = targets
        .iter()
        .map(|t| (t.mailbox.clone(), t.message.clone()))
        .collect();
    let ids = message_ref::resolve(graph, &pairs);
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
            "messageId": o.target.message.given(),
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
                v["error"] = json!({"statusCode": e.status_code(), "code": e.code(), "message": e.user_message()});
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
                .map(|e| item_error(label, &o.target.describe(), e))
        })
        .collect();
    result
}
