//! What Fetch Event, Fetch Related Events and the deprecated Search Office
//! 365 Email share: checking the Filter / Search / count parameters, and
//! running a listing per folder with enrichment, events and the cursor.

// Server answers reach this module: nothing here may panic or overflow on them.
// (Indexing is on serde_json values, whose reads never panic, and on this
// module's own vectors by their own indices.)
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::mail::cursor::{Cursor, DeltaState, Mark};
use crate::mail::delta::{self, Walk};
use crate::mail::enrich::Enricher;
use crate::mail::events;
use crate::mail::folders::FolderRef;
use crate::mail::listing::{Criteria, Listing, Order};
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Status, collection};
use crate::outcome::item_error;
use crate::time;

/// One error for a folder's messages that were not ingested, naming the first.
fn rejected_error(rejected: &[Value]) -> Error {
    let first = rejected.first().cloned().unwrap_or(Value::Null);
    Error::Protocol(format!(
        "{} message(s) were not ingested because Graph's answer did not fit the request; the first: id {}, {}. They are listed in context-data.folders[].rejected.",
        rejected.len(),
        first.get("id").and_then(Value::as_str).unwrap_or("(none)"),
        first.get("reason").and_then(Value::as_str).unwrap_or("")
    ))
}

/// The vendor document's error when both are given.
pub const BOTH_GIVEN: &str = "Filter and Search cannot be used at the same time.";

/// Parentheses and quotes must pair up, or Graph answers with a syntax error
/// after a round trip; this says which parameter is wrong before any.
fn balanced(label: &str, text: &str, quote: char) -> Result<(), Error> {
    let mut depth = 0i32;
    let mut in_quote = false;
    for c in text.chars() {
        match c {
            c if c == quote => in_quote = !in_quote,
            '(' if !in_quote => depth = depth.saturating_add(1),
            ')' if !in_quote => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth < 0 {
            break;
        }
    }
    if in_quote {
        return Err(Error::input(
            label,
            format!("has an unclosed {quote} quote: '{text}'."),
        ));
    }
    if depth != 0 {
        return Err(Error::input(
            label,
            format!("has unbalanced parentheses: '{text}'."),
        ));
    }
    Ok(())
}

/// The user's Filter or Search (never both).
pub fn criteria(
    filter: Option<&str>,
    search: Option<&str>,
    filter_label: &str,
    search_label: &str,
) -> Result<Criteria, Error> {
    let f = filter.map(str::trim).filter(|s| !s.is_empty());
    let s = search.map(str::trim).filter(|s| !s.is_empty());
    match (f, s) {
        (Some(_), Some(_)) => Err(Error::input(filter_label, BOTH_GIVEN)),
        (Some(f), None) => {
            balanced(filter_label, f, '\'')?;
            Ok(Criteria::Filter(f.to_string()))
        }
        (None, Some(s)) => {
            balanced(search_label, s, '"')?;
            Ok(Criteria::Search(s.to_string()))
        }
        (None, None) => Ok(Criteria::None),
    }
}

/// A count between 1 and 1000, 10 when not given (the document's rule).
pub fn count(label: &str, value: Option<u32>) -> Result<usize, Error> {
    match value.unwrap_or(10) {
        n @ 1..=1000 => Ok(n as usize),
        n => Err(Error::input(
            label,
            format!("must be between 1 and 1000; got {n}."),
        )),
    }
}

/// A UTC time parameter.
pub fn utc(label: &str, value: &str) -> Result<i64, Error> {
    if value.trim().is_empty() {
        return Err(Error::input(
            label,
            "is required: a UTC time such as 2022-01-09 00:00 or 2022-01-09T00:00:00Z.",
        ));
    }
    time::parse_utc(value).ok_or_else(|| {
        Error::input(
            label,
            format!("'{}' is not a UTC time: write 2022-01-09 00:00 or ISO 8601 (2022-01-09T00:00:00Z).", value.trim()),
        )
    })
}

/// The Prefer header for immutable ids.
pub fn prefer(immutable: bool) -> Vec<(String, String)> {
    if immutable {
        vec![("Prefer".into(), "IdType=\"ImmutableId\"".into())]
    } else {
        Vec::new()
    }
}

/// One fetch: folders of a mailbox, a window, criteria, a cap per folder.
pub struct FetchPlan {
    pub label: &'static str,
    pub folder_label: &'static str,
    pub mailbox: Mailbox,
    /// None lists the whole mailbox.
    pub folders: Vec<Option<FolderRef>>,
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub criteria: Criteria,
    pub order: Order,
    pub limit: usize,
    pub immutable: bool,
    /// Fetch Event's cursor: read before, advanced after.
    pub cursor: Option<Cursor>,
    /// Enrich messages and build events (the fetch commands do).
    pub events: bool,
}

struct FolderRun {
    key: String,
    messages: Vec<Value>,
    more: bool,
    rejected: Vec<Value>,
    stopped: Option<Error>,
    /// The folder's delta state for the next run (runs without Filter and Search).
    delta: Option<DeltaState>,
    /// Graph had lost the sync state and the round started again.
    restarted: bool,
    /// How the folder was read: `window`, `backlog` or `delta`.
    mode: &'static str,
}

/// A folder Graph does not know is the parameter's fault.
fn folder_error(e: Error, plan: &FetchPlan, folder: Option<&FolderRef>, key: &str) -> Error {
    match (&e, folder) {
        (Error::Graph { code, .. }, Some(_))
            if code == "ErrorItemNotFound" || code == "ErrorInvalidIdMalformed" =>
        {
            e.for_parameter(plan.folder_label, key)
        }
        _ => e,
    }
}

/// A scheduled run without Filter and Search follows the folder with delta
/// query once a previous run set it up (see `mail/delta.rs`).
fn delta_mode(plan: &FetchPlan, folder: Option<&FolderRef>) -> bool {
    plan.cursor.is_some() && plan.criteria == Criteria::None && folder.is_some()
}

fn delivered_ids_and_times(messages: &[Value], fallback: i64) -> Vec<(String, i64)> {
    messages
        .iter()
        .filter_map(|m| {
            let id = m["id"].as_str()?.to_string();
            let at = m["receivedDateTime"].as_str().and_then(time::parse_utc);
            Some((id, at.unwrap_or(fallback)))
        })
        .collect()
}

/// A run of a folder in delta state: its backlog first (oldest first), then
/// the delta rounds with what the cap leaves.
fn run_delta(
    graph: &Graph,
    env: &dyn Env,
    plan: &FetchPlan,
    folder: Option<&FolderRef>,
    key: String,
    state: &DeltaState,
) -> Result<FolderRun, Error> {
    let mut state = state.clone();
    let mut run = FolderRun {
        key,
        messages: Vec::new(),
        more: false,
        rejected: Vec::new(),
        stopped: None,
        delta: None,
        restarted: false,
        mode: "delta",
    };
    if let Some(mut mark) = state.backlog.clone() {
        run.mode = "backlog";
        let folder_id = delta::folder_of(&state.link).ok_or_else(|| {
            Error::input(crate::mail::cursor::LABEL, "has a delta link that names no folder. Pass the 'cursor' object of the previous Fetch Event's context data unchanged.")
        })?;
        let seen: HashSet<String> = mark.ids.iter().cloned().collect();
        let headers = prefer(plan.immutable);
        let remembered = state.clone();
        let was_delivered = |id: &str| remembered.was_delivered(id);
        let fetched = Listing {
            mailbox: &plan.mailbox,
            folder: Some(&folder_id),
            after: Some(mark.received),
            before: None,
            criteria: &Criteria::None,
            order: Order::OldestFirst,
            limit: plan.limit,
            seen: &seen,
            delivered: Some(&was_delivered),
            expand_attachments: plan.events,
            headers: &headers,
        }
        .fetch(graph, env, &format!("messages of {}", run.key))
        .map_err(|e| folder_error(e, plan, folder, &run.key))?;
        mark.advance(&fetched.messages);
        let fresh = fetched.messages;
        for (id, at) in delivered_ids_and_times(&fresh, mark.received) {
            state.remember(&id, at);
        }
        let done = !fetched.more && fetched.stopped.is_none();
        state.backlog = (!done).then_some(mark);
        run.messages = fresh;
        run.more = fetched.more;
        run.rejected = fetched.rejected;
        run.stopped = fetched.stopped;
    }
    let room = plan.limit.saturating_sub(run.messages.len());
    if state.backlog.is_none() && room > 0 {
        let what = format!("new messages of {}", run.key);
        let walked = Walk {
            graph,
            env,
            mailbox: &plan.mailbox,
            limit: room,
            immutable: plan.immutable,
            expand_attachments: plan.events,
            what: &what,
        }
        .run(&mut state)
        .map_err(|e| folder_error(e, plan, folder, &run.key))?;
        run.messages.extend(walked.messages);
        run.more = walked.more;
        run.rejected.extend(walked.rejected);
        run.stopped = walked.stopped;
        run.restarted = walked.restarted;
    }
    run.delta = Some(state);
    Ok(run)
}

/// The first run of a folder without Filter and Search: a first round of
/// delta from the window's End Time to its deltaLink, then the window's
/// listing (see `mail/delta.rs`). None when Graph has no delta for the
/// folder (21Vianet): the folder then keeps a received-time mark.
fn baseline(
    graph: &Graph,
    env: &dyn Env,
    plan: &FetchPlan,
    folder_id: &str,
    key: &str,
) -> Option<(String, usize)> {
    let until = plan
        .before
        .unwrap_or_else(|| i64::try_from(env.now_unix_secs()).unwrap_or(i64::MAX));
    let link = delta::initial_link(graph, &plan.mailbox, folder_id, until, false, plan.events);
    let what = format!("first delta round of {key}");
    let walk = Walk {
        graph,
        env,
        mailbox: &plan.mailbox,
        limit: 0,
        immutable: plan.immutable,
        expand_attachments: plan.events,
        what: &what,
    };
    match walk.baseline(&link) {
        Ok(found) => Some(found),
        Err(e) => {
            env.log(
                crate::env::LogLevel::Warn,
                &format!(
                    "{key}: no delta query ({}); the cursor keeps a received-time mark for this folder.",
                    e.user_message()
                ),
            );
            None
        }
    }
}

fn run_folder(
    graph: &Graph,
    env: &dyn Env,
    plan: &FetchPlan,
    folder: Option<&FolderRef>,
    headers: &[(String, String)],
) -> Result<FolderRun, Error> {
    let key = folder.map_or_else(|| "(all folders)".to_string(), FolderRef::key);
    let delta_mode = delta_mode(plan, folder);
    if let Some(state) = plan
        .cursor
        .as_ref()
        .and_then(|c| c.delta(&key))
        .filter(|_| delta_mode)
    {
        return run_delta(graph, env, plan, folder, key, state);
    }
    let resolved = folder
        .map(|f| f.resolve(graph, &plan.mailbox, plan.folder_label))
        .transpose()?;
    let (mut after, mut seen) = (plan.after, HashSet::new());
    if let Some((mark, ids)) = plan.cursor.as_ref().and_then(|c| c.start(&key))
        && after.is_none_or(|a| mark >= a)
    {
        after = Some(mark);
        seen = ids;
    }
    // Before the listing, so mail arriving during it is in the rounds.
    let baseline = match (delta_mode, resolved.as_deref()) {
        (true, Some(id)) => baseline(graph, env, plan, id, &key),
        _ => None,
    };
    let listing = Listing {
        mailbox: &plan.mailbox,
        folder: resolved.as_deref(),
        after,
        before: plan.before,
        criteria: &plan.criteria,
        order: plan.order,
        limit: plan.limit,
        seen: &seen,
        delivered: None,
        expand_attachments: plan.events,
        headers,
    };
    let fetched = listing
        .fetch(graph, env, &format!("messages of {key}"))
        .map_err(|e| folder_error(e, plan, folder, &key))?;
    let delta = match (baseline, after) {
        (Some((link, after_window)), Some(floor)) => {
            let mut state = DeltaState::new(link, floor);
            for (id, at) in delivered_ids_and_times(&fetched.messages, floor) {
                state.remember(&id, at);
            }
            if fetched.more || fetched.stopped.is_some() || after_window > 0 {
                let mut mark = Mark {
                    received: floor,
                    ids: seen.iter().cloned().collect(),
                };
                mark.advance(&fetched.messages);
                state.backlog = Some(mark);
            }
            Some(state)
        }
        _ => None,
    };
    Ok(FolderRun {
        key,
        messages: fetched.messages,
        more: fetched.more,
        rejected: fetched.rejected,
        stopped: fetched.stopped,
        delta,
        restarted: false,
        mode: "window",
    })
}

pub fn run(graph: &Graph, env: &dyn Env, mut plan: FetchPlan) -> Result<CommandResult, Error> {
    let headers = prefer(plan.immutable);
    let enricher = Enricher {
        graph,
        env,
        mailbox: &plan.mailbox,
        headers: &headers,
    };
    let mut cursor_out = plan.cursor.clone();
    let mut all = Vec::new();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut summaries = Vec::new();
    let folders = std::mem::take(&mut plan.folders);
    let mut ok_folders = 0usize;
    let mut partial = 0usize;
    for folder in &folders {
        match run_folder(graph, env, &plan, folder.as_ref(), &headers) {
            Ok(mut run) => {
                ok_folders = ok_folders.saturating_add(1);
                if !run.rejected.is_empty() || run.stopped.is_some() {
                    partial = partial.saturating_add(1);
                }
                if !run.rejected.is_empty() {
                    errors.push(item_error(
                        plan.label,
                        &run.key,
                        &rejected_error(&run.rejected),
                    ));
                }
                if let Some(e) = &run.stopped {
                    errors.push(item_error(plan.label, &run.key, e));
                }
                let total = u32::try_from(run.messages.len()).unwrap_or(u32::MAX);
                for (i, m) in run.messages.iter_mut().enumerate() {
                    m["mailbox"] = json!(plan.mailbox.display());
                    m["mailFolder"] = json!(run.key);
                    if plan.events {
                        enricher.enrich(m, &mut files);
                        let done = i.saturating_add(1);
                        if done.is_multiple_of(50) {
                            env.progress(
                                u32::try_from(done).unwrap_or(u32::MAX),
                                total,
                                &format!("enriched messages of {}", run.key),
                            );
                        }
                    }
                }
                // A search collects in sent order: if it stopped early, a newer
                // message delivered now could put the mark past older unread ones.
                let search_cut =
                    run.stopped.is_some() && matches!(plan.criteria, Criteria::Search(_));
                match (cursor_out.as_mut(), run.delta.take()) {
                    (Some(c), Some(state)) => c.set_delta(&run.key, state),
                    (Some(c), None) if !search_cut => c.advance(&run.key, &run.messages),
                    _ => {}
                }
                let mut summary =
                    json!({"folder": run.key, "count": run.messages.len(), "more": run.more});
                if plan.cursor.is_some() {
                    summary["cursor-mode"] = json!(run.mode);
                }
                if run.restarted {
                    summary["restarted"] = json!(true);
                }
                if !run.rejected.is_empty() {
                    summary["rejected"] = Value::Array(std::mem::take(&mut run.rejected));
                }
                if let Some(e) = &run.stopped {
                    summary["stopped"] = json!(e.user_message());
                }
                summaries.push(summary);
                all.extend(run.messages);
            }
            // One folder alone: its error is the command's.
            Err(e) if folders.len() == 1 => return Err(e),
            Err(e) => {
                let key = folder.as_ref().map_or_else(String::new, FolderRef::key);
                summaries.push(json!({"folder": key, "error": e.user_message()}));
                errors.push(item_error(plan.label, &key, &e));
            }
        }
    }
    // A folder that delivered while reporting what it would not ingest counts
    // as done: the result is then partial, not failed.
    let failed_folders = folders.len().saturating_sub(ok_folders);
    let succeeded = ok_folders;
    let mut result = CommandResult::new(Status::from_counts(
        succeeded,
        failed_folders.saturating_add(partial),
    ));
    // As instants: a string comparison would put "garbage" after any date.
    let newest = all
        .iter()
        .filter_map(|m| {
            m.get("receivedDateTime")?
                .as_str()
                .and_then(time::parse_utc)
        })
        .max()
        .map(time::iso);
    result.key_fields = json!({
        "event-count": all.len(),
        "message-ids": all.iter().map(|m| m["id"].clone()).collect::<Vec<_>>(),
        "newest-received": newest,
        "more-available": summaries.iter().any(|s| s["more"] == json!(true)),
        "file-ids": files.iter().map(|f| f.file_id.clone()).collect::<Vec<_>>(),
    });
    let mut context = json!({
        "mailbox": plan.mailbox.display(),
        "window": {"start": plan.after.map(time::iso), "end": plan.before.map(time::iso)},
        "folders": summaries,
    });
    if let Some(c) = &cursor_out {
        context["cursor"] = c.to_json();
    }
    result.context_data = context;
    if plan.events {
        result.events = all.iter().map(events::event).collect();
    }
    result.raw_data = collection(all);
    result.files = files;
    result.errors = errors;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_rules() {
        let e = criteria(Some("a eq 1"), Some("x"), "Filter", "Search Condition").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Filter and Search cannot be used at the same time."
        );
        assert!(
            criteria(Some("contains(subject, 'x'"), None, "Filter", "S")
                .unwrap_err()
                .to_string()
                .starts_with("Filter: has unbalanced")
        );
        assert!(
            criteria(Some("subject eq 'x"), None, "Filter", "S")
                .unwrap_err()
                .to_string()
                .starts_with("Filter: has an unclosed")
        );
        assert!(
            criteria(None, Some("subject:\"x"), "F", "Search")
                .unwrap_err()
                .to_string()
                .starts_with("Search: has an unclosed")
        );
        assert_eq!(criteria(Some(" "), None, "F", "S").unwrap(), Criteria::None);
        assert_eq!(count("N", None).unwrap(), 10);
        assert!(count("N", Some(0)).is_err() && count("N", Some(1001)).is_err());
        assert!(
            utc("Start Time", "soon")
                .unwrap_err()
                .to_string()
                .starts_with("Start Time: 'soon'")
        );
    }

    fn hostile_listing(values: Value) -> CommandResult {
        use crate::commands::fetch_event::{Input, fetch_event};
        use crate::testing::{FakeEnv, delegated_connection, json_response};
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(200, json!({"value": values})),
        ]);
        let input = Input {
            mail_folders: vec!["inbox".into()],
            start_time: "2025-03-01 00:00".into(),
            end_time: "2025-03-02 00:00".into(),
            number_of_events_fetched: Some(50),
            filter: Some("hasAttachments eq false".into()),
            ..Input::default()
        };
        fetch_event(&env, &delegated_connection(), &input)
    }

    #[test]
    fn graph_cannot_move_the_window_or_poison_the_cursor() {
        let msg = |id: &str, at: Value| json!({"id": id, "receivedDateTime": at, "subject": "s"});
        let r = hostile_listing(json!([
            msg("in", json!("2025-03-01T10:00:00Z")),
            msg("future", json!("9999-12-31T23:59:59Z")),
            msg("early", json!("2025-02-01T00:00:00Z")),
            msg("garbage", json!("garbage-date")),
            msg("number", json!(42)),
            {"receivedDateTime": "2025-03-01T11:00:00Z"},
        ]));
        assert_eq!(r.status, Status::PartiallySuccessful, "{:?}", r.errors);
        assert_eq!(r.events.len(), 1);
        assert_eq!(r.key_fields["message-ids"], json!(["in"]));
        assert_eq!(r.key_fields["newest-received"], "2025-03-01T10:00:00Z");
        assert_eq!(
            r.context_data["cursor"]["folders"]["inbox"]["receivedDateTime"],
            "2025-03-01T10:00:00Z"
        );
        let rejected = r.context_data["folders"][0]["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 5);
        assert!(
            rejected[0]["reason"]
                .as_str()
                .unwrap()
                .contains("9999-12-31T23:59:59Z is outside the requested window")
        );
        assert!(
            r.errors[0]
                .message
                .contains("5 message(s) were not ingested"),
            "{}",
            r.errors[0].message
        );
    }

    #[test]
    fn newest_received_compares_instants() {
        // Two valid forms of one window: the later instant wins, not the larger string.
        let r = hostile_listing(json!([
            {"id": "a", "receivedDateTime": "2025-03-01T10:00:00+02:00"},
            {"id": "b", "receivedDateTime": "2025-03-01T09:00:00Z"},
        ]));
        assert_eq!(r.key_fields["newest-received"], "2025-03-01T09:00:00Z");
    }
}
