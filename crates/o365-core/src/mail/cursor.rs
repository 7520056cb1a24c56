//! Where a scheduled Fetch Event left off, per folder. The cursor travels in
//! the result's context data and comes back as the next run's "Cursor", so
//! it is committed together with the events it accounts for: a run that dies
//! before its result is kept leaves the previous cursor, and the next run
//! delivers the same messages again instead of losing them.
//!
//! A folder is in one of two states:
//! - **delta** (runs without Filter and Search): a Graph delta link for the
//!   folder's messages (see `mail/delta.rs`), the ids delivered from the page
//!   that link returns (a run stopped at its cap in the middle of it), and a
//!   bounded set of the ids delivered before, so that a message Graph reports
//!   again (moved out and back, a page read twice, a restarted sync) is not
//!   delivered twice;
//! - **mark** (runs with Filter or Search, and version 1 cursors): the newest
//!   receivedDateTime delivered and the ids delivered at that instant; the
//!   next run asks for `receivedDateTime ge` that instant and drops those ids.

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

use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::time;

pub const LABEL: &str = "Cursor";
/// Ids kept per folder at most (messages received in the same second).
const MAX_IDS: usize = 1_000;
/// Delivered ids remembered per folder in delta state: two full runs (1,000
/// each), so a page read again or a message moved out and back within that
/// span is recognised. Kept as 16-character digests (about 40 KB a folder).
pub const MAX_DELIVERED: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Unix seconds.
    pub received: i64,
    pub ids: Vec<String>,
}

/// A folder followed with delta query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaState {
    /// Where the next run starts: the round's first request, the nextLink of
    /// a page not finished, or the deltaLink of the last round.
    pub link: String,
    /// Ids already delivered from the page `link` returns.
    pub page: Vec<String>,
    /// The start of the first run's window: a restarted sync (410) reads
    /// from here when every delivery since is still remembered.
    pub floor: i64,
    /// (receivedDateTime, digest of the id) of delivered messages, the
    /// [`MAX_DELIVERED`] newest by receivedDateTime.
    pub delivered: Vec<(i64, String)>,
    /// The newest receivedDateTime among deliveries no longer remembered.
    pub forgotten: Option<i64>,
    /// What the first run's window left (its cap, or mail received after its
    /// End Time): listed from this mark on, oldest first, before the delta
    /// rounds are read.
    pub backlog: Option<Mark>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderState {
    Mark(Mark),
    Delta(DeltaState),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor {
    pub mailbox: String,
    /// By folder key (the folder as the user named it).
    pub folders: BTreeMap<String, FolderState>,
}

/// A short, stable digest of a message id: the delivered set stays small
/// even with immutable ids of 150 characters.
pub fn digest(id: &str) -> String {
    let d = Sha256::digest(id.as_bytes());
    URL_SAFE_NO_PAD.encode(d.get(..12).unwrap_or_default())
}

fn mark_json(m: &Mark) -> Value {
    json!({"receivedDateTime": time::iso(m.received), "ids": m.ids})
}

fn parse_mark(v: &Value) -> Option<Mark> {
    let received = v["receivedDateTime"].as_str().and_then(time::parse_utc)?;
    let ids = v["ids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .take(MAX_IDS)
                .collect()
        })
        .unwrap_or_default();
    Some(Mark { received, ids })
}

impl Mark {
    /// Moves the mark to the newest of `messages` (its ids at that instant
    /// are added to those already there when the instant is the same).
    pub fn advance(&mut self, messages: &[Value]) {
        let times: Vec<(i64, &str)> = messages
            .iter()
            .filter_map(|m| {
                Some((
                    time::parse_utc(m["receivedDateTime"].as_str()?)?,
                    m["id"].as_str()?,
                ))
            })
            .collect();
        let Some(newest) = times.iter().map(|(t, _)| *t).max() else {
            return;
        };
        if newest < self.received {
            return;
        }
        if newest > self.received {
            self.received = newest;
            self.ids.clear();
        }
        for (_, id) in times.iter().filter(|(t, _)| *t == newest) {
            if !self.ids.iter().any(|i| i == id) && self.ids.len() < MAX_IDS {
                self.ids.push((*id).to_string());
            }
        }
    }
}

impl DeltaState {
    pub fn new(link: String, floor: i64) -> DeltaState {
        DeltaState {
            link,
            page: Vec::new(),
            floor,
            delivered: Vec::new(),
            forgotten: None,
            backlog: None,
        }
    }

    pub fn was_delivered(&self, id: &str) -> bool {
        if self.page.iter().any(|p| p == id) {
            return true;
        }
        let d = digest(id);
        self.delivered.iter().any(|(_, x)| *x == d)
    }

    /// Remembers a delivery; past [`MAX_DELIVERED`] the oldest by
    /// receivedDateTime is forgotten (and `forgotten` moves up to it).
    pub fn remember(&mut self, id: &str, received: i64) {
        let d = digest(id);
        if self.delivered.iter().any(|(_, x)| *x == d) {
            return;
        }
        self.delivered.push((received, d));
        if self.delivered.len() > MAX_DELIVERED {
            let oldest = self
                .delivered
                .iter()
                .enumerate()
                .min_by_key(|(_, (t, _))| *t)
                .map(|(i, (t, _))| (i, *t));
            if let Some((i, t)) = oldest {
                self.delivered.swap_remove(i);
                self.forgotten = Some(self.forgotten.map_or(t, |f| f.max(t)));
            }
        }
    }

    /// From when a restarted sync must read so nothing still unknown is
    /// missed and nothing forgotten comes twice: (instant, strictly after).
    pub fn restart_from(&self) -> (i64, bool) {
        match self.forgotten {
            Some(f) if f >= self.floor => (f, true),
            _ => (self.floor, false),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "link": self.link,
            "page": self.page,
            "floor": time::iso(self.floor),
            "delivered": self.delivered.iter().map(|(t, d)| json!([t, d])).collect::<Vec<_>>(),
            "forgotten": self.forgotten.map(time::iso),
            "backlog": self.backlog.as_ref().map(mark_json),
        })
    }

    fn parse(v: &Value) -> Option<DeltaState> {
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .take(MAX_IDS)
                        .collect()
                })
                .unwrap_or_default()
        };
        let delivered = v["delivered"]
            .as_array()?
            .iter()
            .filter_map(|e| Some((e.get(0)?.as_i64()?, e.get(1)?.as_str()?.to_string())))
            .take(MAX_DELIVERED)
            .collect();
        Some(DeltaState {
            link: v["link"].as_str()?.to_string(),
            page: strings(&v["page"]),
            floor: v["floor"].as_str().and_then(time::parse_utc)?,
            delivered,
            forgotten: v["forgotten"].as_str().and_then(time::parse_utc),
            backlog: if v["backlog"].is_null() {
                None
            } else {
                Some(parse_mark(&v["backlog"])?)
            },
        })
    }
}

impl Cursor {
    pub fn new(mailbox: &str) -> Cursor {
        Cursor {
            mailbox: mailbox.to_string(),
            folders: BTreeMap::new(),
        }
    }

    /// Reads the cursor a previous run put in its context data (the cursor
    /// object itself, or the whole context data holding it). Version 1
    /// cursors (marks only) are read too.
    pub fn parse(text: &str, mailbox: &str) -> Result<Cursor, Error> {
        let bad = |why: &str| {
            Error::input(
                LABEL,
                format!(
                    "{why}. Pass the 'cursor' object of the previous Fetch Event's context data unchanged."
                ),
            )
        };
        let v: Value = serde_json::from_str(text).map_err(|_| bad("is not JSON"))?;
        let v = v.get("cursor").unwrap_or(&v);
        if v["version"] != json!(1) && v["version"] != json!(2) {
            return Err(bad("is not a Fetch Event cursor (version 1 or 2)"));
        }
        let owner = v["mailbox"].as_str().unwrap_or("");
        if !owner.eq_ignore_ascii_case(mailbox) {
            return Err(bad(&format!(
                "belongs to mailbox '{owner}', not '{mailbox}'"
            )));
        }
        let mut cursor = Cursor::new(mailbox);
        for (folder, state) in v["folders"]
            .as_object()
            .ok_or_else(|| bad("has no folders"))?
        {
            if let Some(delta) = state.get("delta") {
                let delta = DeltaState::parse(delta).ok_or_else(|| {
                    bad(&format!(
                        "has an unreadable delta state for folder '{folder}'"
                    ))
                })?;
                cursor
                    .folders
                    .insert(folder.clone(), FolderState::Delta(delta));
                continue;
            }
            let mark = parse_mark(state).ok_or_else(|| {
                bad(&format!(
                    "has no valid receivedDateTime for folder '{folder}'"
                ))
            })?;
            cursor
                .folders
                .insert(folder.clone(), FolderState::Mark(mark));
        }
        Ok(cursor)
    }

    /// The mark of a folder in mark state: the lower bound and the ids to skip.
    pub fn start(&self, folder: &str) -> Option<(i64, HashSet<String>)> {
        match self.folders.get(folder) {
            Some(FolderState::Mark(m)) => Some((m.received, m.ids.iter().cloned().collect())),
            _ => None,
        }
    }

    pub fn delta(&self, folder: &str) -> Option<&DeltaState> {
        match self.folders.get(folder) {
            Some(FolderState::Delta(d)) => Some(d),
            _ => None,
        }
    }

    pub fn set_delta(&mut self, folder: &str, state: DeltaState) {
        self.folders
            .insert(folder.to_string(), FolderState::Delta(state));
    }

    /// Moves a folder's mark to the newest of `messages` (its ids at that
    /// instant are added to those already there when the instant is the same).
    /// A folder in delta state keeps it.
    pub fn advance(&mut self, folder: &str, messages: &[Value]) {
        let Some(first) = messages
            .iter()
            .find_map(|m| m["receivedDateTime"].as_str().and_then(time::parse_utc))
        else {
            return;
        };
        let state = self
            .folders
            .entry(folder.to_string())
            .or_insert(FolderState::Mark(Mark {
                received: first,
                ids: Vec::new(),
            }));
        if let FolderState::Mark(mark) = state {
            mark.advance(messages);
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "version": 2,
            "mailbox": self.mailbox,
            "folders": self.folders.iter().map(|(k, s)| (k.clone(), match s {
                FolderState::Mark(m) => mark_json(m),
                FolderState::Delta(d) => json!({"delta": d.to_json()}),
            })).collect::<serde_json::Map<_, _>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, at: &str) -> Value {
        json!({"id": id, "receivedDateTime": at})
    }

    #[test]
    fn advance_and_round_trip() {
        let mut c = Cursor::new("me");
        c.advance(
            "inbox",
            &[
                msg("a", "2025-03-01T10:00:00Z"),
                msg("b", "2025-03-01T10:00:05Z"),
                msg("c", "2025-03-01T10:00:05Z"),
            ],
        );
        let (t, ids) = c.start("inbox").unwrap();
        assert_eq!(time::iso(t), "2025-03-01T10:00:05Z");
        assert_eq!(ids, HashSet::from(["b".to_string(), "c".to_string()]));
        // Same instant again: ids accumulate; nothing new: unchanged.
        c.advance("inbox", &[msg("d", "2025-03-01T10:00:05Z")]);
        c.advance("inbox", &[]);
        assert_eq!(
            c.folders["inbox"],
            FolderState::Mark(Mark {
                received: t,
                ids: vec!["b".into(), "c".into(), "d".into()]
            })
        );
        let text = json!({"cursor": c.to_json()}).to_string();
        assert_eq!(Cursor::parse(&text, "me").unwrap(), c);
        let e = Cursor::parse(&text, "alex@contoso.example")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("Cursor: belongs to mailbox 'me'"), "{e}");
        assert!(
            Cursor::parse("{", "me")
                .unwrap_err()
                .to_string()
                .starts_with("Cursor: is not JSON")
        );
    }

    #[test]
    fn version_1_cursors_still_read_as_marks() {
        let v1 = r#"{"version": 1, "mailbox": "me", "folders": {"inbox": {"receivedDateTime": "2025-03-01T10:00:05Z", "ids": ["b"]}}}"#;
        let c = Cursor::parse(v1, "me").unwrap();
        let (t, ids) = c.start("inbox").unwrap();
        assert_eq!(time::iso(t), "2025-03-01T10:00:05Z");
        assert!(ids.contains("b"));
    }

    #[test]
    fn delta_state_round_trips_and_forgets_the_oldest_first() {
        let floor = time::parse_utc("2025-03-01T00:00:00Z").unwrap();
        let mut d = DeltaState::new(
            "https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=x"
                .into(),
            floor,
        );
        assert_eq!(d.restart_from(), (floor, false));
        for i in 0..MAX_DELIVERED {
            d.remember(&format!("id-{i}"), floor + 10 + i as i64);
        }
        d.remember("id-0", floor + 10); // already there: nothing changes
        assert_eq!(d.forgotten, None);
        // One more, older than all: it is the one forgotten at once.
        d.remember("moved-in-old", floor - 100);
        assert_eq!(d.forgotten, Some(floor - 100));
        assert!(!d.was_delivered("moved-in-old"));
        assert_eq!(d.restart_from(), (floor, false));
        d.remember("new", floor + 100_000);
        assert_eq!(d.forgotten, Some(floor + 10));
        assert!(!d.was_delivered("id-0") && d.was_delivered("id-1") && d.was_delivered("new"));
        assert_eq!(d.restart_from(), (floor + 10, true));
        d.page = vec!["on-the-page".into()];
        assert!(d.was_delivered("on-the-page"));
        d.backlog = Some(Mark {
            received: floor,
            ids: vec!["first".into()],
        });

        let mut c = Cursor::new("me");
        c.set_delta("Inbox/Phishing", d.clone());
        let back = Cursor::parse(&c.to_json().to_string(), "me").unwrap();
        assert_eq!(back.delta("Inbox/Phishing"), Some(&d));
        // A mark does not overwrite a delta state.
        c.advance("Inbox/Phishing", &[msg("z", "2025-03-02T00:00:00Z")]);
        assert_eq!(c.delta("Inbox/Phishing"), Some(&d));
    }
}
