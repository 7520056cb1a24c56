//! Loss-free ingest of a folder with Graph's delta query on its messages
//! (`{mbx}/mailFolders/{id}/messages/delta`).
//!
//! A "new message" of a folder is one Graph reports as *created* in it
//! since the last round: a message that arrived, or one moved in, whatever
//! its receivedDateTime. The rounds ask for `changeType=created`, so a read
//! flag or a category set on a message already delivered never comes back;
//! a message moved out and back, a page read again after a run stopped at
//! its cap, and a restarted sync do come back, and the cursor's set of
//! delivered ids (`cursor::DeltaState`) drops them. `@removed` entries are
//! skipped: a message that left the folder is no new event.
//!
//! The first run lists its window as the vendor document says and, before
//! that, reads a first round of delta with `$filter=receivedDateTime ge` its
//! End Time (Graph's only filter on delta, applied to the first round only),
//! which reports no more than the mail received after the window: from its
//! deltaLink on, later rounds report every message created in the folder,
//! moved-in ones of any age included. What the window's cap left, and mail
//! received after End Time before the first round, is the cursor's backlog,
//! listed oldest first before the rounds. When Graph has lost the sync state
//! (410 Gone) a round starts again from the oldest delivery the cursor still
//! remembers (`restart_from`), and the remembered deliveries are dropped.

// Server answers reach this module: nothing here may panic or overflow on them.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use serde_json::Value;

use crate::env::Env;
use crate::error::Error;
use crate::graph::{Graph, MAX_PAGES, json_kind};
use crate::http::{self, segment};
use crate::mail::cursor::DeltaState;
use crate::mail::listing::{PAGE_SIZE, SELECT};
use crate::mailbox::Mailbox;
use crate::time;

/// The first request of a round of delta on `folder` (an id or well-known
/// name), from `from` (`gt` when `strictly_after`).
pub fn initial_link(
    graph: &Graph,
    mailbox: &Mailbox,
    folder: &str,
    from: i64,
    strictly_after: bool,
    expand_attachments: bool,
) -> String {
    let op = if strictly_after { "gt" } else { "ge" };
    let mut q = vec![
        ("changeType", "created".to_string()),
        ("$select", SELECT.to_string()),
    ];
    if expand_attachments {
        q.push(("$expand", "attachments".to_string()));
    }
    q.push((
        "$filter",
        format!("receivedDateTime {op} {}", time::iso(from)),
    ));
    graph.url(&format!(
        "{}/mailFolders/{}/messages/delta{}",
        mailbox.path(),
        segment(folder),
        http::query(&q)
    ))
}

/// The folder id in a delta link (`.../mailFolders/{id}/messages/delta`).
pub fn folder_of(link: &str) -> Option<String> {
    let path = link.split('?').next()?;
    let mut parts = path.rsplit('/');
    let (delta, messages) = (parts.next()?, parts.next()?);
    if delta != "delta" || messages != "messages" {
        return None;
    }
    let folder = parts.next()?;
    let folder = folder
        .strip_prefix("mailFolders('")
        .or_else(|| folder.strip_prefix("mailfolders('"))
        .and_then(|f| f.strip_suffix("')"))
        .unwrap_or(folder);
    Some(
        percent_encoding::percent_decode_str(folder)
            .decode_utf8_lossy()
            .to_string(),
    )
}

pub struct Walk<'a> {
    pub graph: &'a Graph<'a>,
    pub env: &'a dyn Env,
    pub mailbox: &'a Mailbox,
    pub limit: usize,
    /// `IdType="ImmutableId"` when asked for; the page size is added here.
    pub immutable: bool,
    pub expand_attachments: bool,
    pub what: &'a str,
}

/// What a walk delivered.
pub struct Walked {
    pub messages: Vec<Value>,
    /// Stopped at the cap with more to read.
    pub more: bool,
    /// Items without an id: id (none), reason.
    pub rejected: Vec<Value>,
    /// Why reading stopped early after the first page.
    pub stopped: Option<Error>,
    /// The sync state was gone (410) and the round started again.
    pub restarted: bool,
}

/// One page of a delta round: its items, and the link that follows.
enum Next {
    Page(String),
    Round(String),
}

fn read_page(page: Value) -> Result<(Vec<Value>, Next), Error> {
    let Value::Object(mut page) = page else {
        return Err(Error::Protocol(format!(
            "A delta page is {}, not a JSON object.",
            json_kind(&page)
        )));
    };
    let link = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
    let next = match (
        link(page.remove("@odata.nextLink")),
        link(page.remove("@odata.deltaLink")),
    ) {
        (Some(n), None) => Next::Page(n),
        (None, Some(d)) => Next::Round(d),
        (Some(_), Some(_)) => {
            return Err(Error::Protocol(
                "A delta page has both @odata.nextLink and @odata.deltaLink.".into(),
            ));
        }
        (None, None) => {
            return Err(Error::Protocol(
                "A delta page has neither @odata.nextLink nor @odata.deltaLink.".into(),
            ));
        }
    };
    let Some(Value::Array(values)) = page.remove("value") else {
        return Err(Error::Protocol(
            "A delta page came back without a value array.".into(),
        ));
    };
    Ok((values, next))
}

fn is_gone(e: &Error) -> bool {
    matches!(e, Error::Graph { status: 410, .. })
}

impl Walk<'_> {
    fn headers(&self) -> Vec<(String, String)> {
        let mut prefer = format!("odata.maxpagesize={PAGE_SIZE}");
        if self.immutable {
            prefer.push_str(", IdType=\"ImmutableId\"");
        }
        vec![("Prefer".into(), prefer)]
    }

    /// The round again from the start, after Graph lost the sync state.
    fn restart_link(&self, state: &DeltaState) -> Result<String, Error> {
        let folder = folder_of(&state.link).ok_or_else(|| {
            Error::Protocol("The cursor's delta link names no folder to restart.".into())
        })?;
        let (from, strict) = state.restart_from();
        Ok(initial_link(
            self.graph,
            self.mailbox,
            &folder,
            from,
            strict,
            self.expand_attachments,
        ))
    }

    /// Reads a new round from `link` to its end without delivering anything:
    /// the deltaLink from which later rounds report what comes into the
    /// folder, and how many messages the round reported.
    pub fn baseline(&self, link: &str) -> Result<(String, usize), Error> {
        let headers = self.headers();
        let mut link = link.to_string();
        let mut reported = 0usize;
        for _ in 0..MAX_PAGES {
            let (values, next) = read_page(self.graph.get_json_url(&link, &headers)?)?;
            reported = reported.saturating_add(values.len());
            let (next, done) = match next {
                Next::Page(l) => (l, false),
                Next::Round(l) => (l, true),
            };
            self.graph
                .check_delta_link(&self.mailbox.path(), &next, true)?;
            if done {
                return Ok((next, reported));
            }
            link = next;
        }
        Err(Error::Protocol(format!(
            "The first round of delta took more than {MAX_PAGES} pages."
        )))
    }

    /// Reads from `state.link` on, delivering what was not delivered, up to
    /// the cap; `state` then says where the next run starts.
    pub fn run(&self, state: &mut DeltaState) -> Result<Walked, Error> {
        let mut out = Walked {
            messages: Vec::new(),
            more: false,
            rejected: Vec::new(),
            stopped: None,
            restarted: false,
        };
        self.graph
            .check_delta_link(&self.mailbox.path(), &state.link, false)
            .map_err(|e| Error::input(super::cursor::LABEL, e.user_message()))?;
        let headers = self.headers();
        let mut pages = 0usize;
        while pages < MAX_PAGES {
            let answer = self.graph.get_json_url(&state.link, &headers);
            let page = match answer {
                Err(e) if is_gone(&e) && !out.restarted => {
                    self.env.log(
                        crate::env::LogLevel::Warn,
                        &format!(
                            "{}: Graph lost the sync state (410); starting the round again.",
                            self.what
                        ),
                    );
                    state.link = self.restart_link(state)?;
                    state.page.clear();
                    out.restarted = true;
                    continue;
                }
                Err(e) if pages > 0 => {
                    out.stopped = Some(e);
                    return Ok(out);
                }
                Err(e) => return Err(e),
                Ok(page) => page,
            };
            pages = pages.saturating_add(1);
            let (values, next) = match read_page(page) {
                Ok(read) => read,
                Err(e) if pages > 1 => {
                    out.stopped = Some(e);
                    return Ok(out);
                }
                Err(e) => return Err(e),
            };
            let mut capped = false;
            for m in values {
                if m.get("@removed").is_some() {
                    continue;
                }
                let Some(id) = m.get("id").and_then(Value::as_str).map(str::to_string) else {
                    super::listing::reject(&mut out.rejected, &m, "has no id".into());
                    continue;
                };
                if !m.is_object() || state.was_delivered(&id) {
                    continue;
                }
                if out.messages.len() >= self.limit {
                    capped = true;
                    break;
                }
                let received = m
                    .get("receivedDateTime")
                    .and_then(Value::as_str)
                    .and_then(time::parse_utc)
                    .unwrap_or(state.floor);
                state.remember(&id, received);
                state.page.push(id);
                out.messages.push(m);
            }
            self.env.progress(
                u32::try_from(out.messages.len()).unwrap_or(u32::MAX),
                u32::try_from(self.limit).unwrap_or(u32::MAX),
                self.what,
            );
            if capped {
                // The rest of this page is read again next run; `page` skips
                // what this run delivered from it.
                out.more = true;
                return Ok(out);
            }
            let (link, round_done) = match next {
                Next::Page(l) => (l, false),
                Next::Round(l) => (l, true),
            };
            if let Err(e) = self
                .graph
                .check_delta_link(&self.mailbox.path(), &link, true)
            {
                out.stopped = Some(e);
                return Ok(out);
            }
            state.link = link;
            state.page.clear();
            if round_done {
                return Ok(out);
            }
            if out.messages.len() >= self.limit {
                out.more = true;
                return Ok(out);
            }
        }
        out.stopped = Some(Error::Protocol(format!(
            "Stopped after {MAX_PAGES} pages of delta; the next run goes on from there."
        )));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::graph::Graph;
    use crate::retry::RetryPolicy;
    use crate::testing::{FakeEnv, delegated_connection, json_response};
    use serde_json::json;

    const ROUND: &str = "https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages/delta";

    fn msg(id: &str) -> Value {
        json!({"id": id, "receivedDateTime": "2025-03-02T10:00:00Z", "subject": id})
    }

    fn ids(w: &Walked) -> Vec<&str> {
        w.messages
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn a_capped_page_is_read_again_and_a_lost_sync_state_restarts_the_round() {
        let first_page = || {
            json_response(
                200,
                json!({"value": [msg("a"), {"id": "r", "@removed": {"reason": "deleted"}}, msg("b"), msg("c")],
                       "@odata.nextLink": format!("{ROUND}?$skiptoken=2")}),
            )
        };
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            first_page(),
            first_page(),
            json_response(
                410,
                json!({"error": {"code": "SyncStateNotFound", "message": "gone"}}),
            ),
            json_response(
                200,
                json!({"value": [msg("a"), msg("d")], "@odata.deltaLink": format!("{ROUND}?$deltatoken=new")}),
            ),
        ]);
        let conn = delegated_connection();
        let graph = Graph::new(&env, &conn, RetryPolicy::default());
        let floor = time::parse_utc("2025-03-01T00:00:00Z").unwrap();
        let mut state = DeltaState::new(format!("{ROUND}?$deltatoken=old"), floor);
        let walk = |limit| Walk {
            graph: &graph,
            env: &env,
            mailbox: &Mailbox::Me,
            limit,
            immutable: true,
            expand_attachments: true,
            what: "inbox",
        };
        // Stopped at the cap inside the page: the page is where the next run starts.
        let w = walk(2).run(&mut state).unwrap();
        assert_eq!(ids(&w), ["a", "b"]);
        assert!(w.more && !w.restarted);
        assert_eq!(state.link, format!("{ROUND}?$deltatoken=old"));
        assert_eq!(state.page, ["a", "b"]);
        // The same page again: only what was left; then Graph has lost the state.
        let w = walk(10).run(&mut state).unwrap();
        assert_eq!(
            ids(&w),
            ["c", "d"],
            "a came again after the restart and was dropped"
        );
        assert!(w.restarted && !w.more);
        assert_eq!(state.link, format!("{ROUND}?$deltatoken=new"));
        assert!(state.page.is_empty());
        let sent = env.sent();
        let restart = percent_encoding::percent_decode_str(&sent[4].url)
            .decode_utf8_lossy()
            .to_string();
        assert!(
            restart.starts_with(&format!("{ROUND}?changeType=created&$select=id,")),
            "{restart}"
        );
        assert!(
            restart
                .ends_with("&$expand=attachments&$filter=receivedDateTime ge 2025-03-01T00:00:00Z"),
            "{restart}"
        );
        assert!(sent[1..].iter().all(|r| r.headers.contains(&(
            "Prefer".into(),
            "odata.maxpagesize=100, IdType=\"ImmutableId\"".into()
        ))));
    }

    #[test]
    fn a_link_of_another_mailbox_in_the_cursor_is_the_cursors_fault() {
        let env = FakeEnv::new(vec![]);
        let conn = delegated_connection();
        let graph = Graph::new(&env, &conn, RetryPolicy::default());
        let mut state = DeltaState::new(
            "https://evil.example/v1.0/me/mailFolders/inbox/messages/delta".into(),
            0,
        );
        let e = Walk {
            graph: &graph,
            env: &env,
            mailbox: &Mailbox::Me,
            limit: 10,
            immutable: false,
            expand_attachments: false,
            what: "inbox",
        }
        .run(&mut state)
        .err()
        .unwrap()
        .to_string();
        assert!(e.starts_with("Cursor: "), "{e}");
        assert!(env.sent().is_empty());
    }

    #[test]
    fn the_folder_of_a_link() {
        assert_eq!(
            folder_of("https://graph.microsoft.com/v1.0/me/mailFolders/AAMk%2Fx%3D/messages/delta?$deltatoken=1").as_deref(),
            Some("AAMk/x=")
        );
        assert_eq!(
            folder_of("https://graph.microsoft.com/v1.0/users('a')/mailFolders('AAMkx')/messages/delta?$skiptoken=1").as_deref(),
            Some("AAMkx")
        );
        assert_eq!(
            folder_of("https://graph.microsoft.com/v1.0/me/messages"),
            None
        );
    }
}
