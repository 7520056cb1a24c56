//! Where a scheduled Fetch Event left off, per folder: the newest
//! receivedDateTime it delivered and the ids delivered at that instant.
//! The next run asks Graph for `receivedDateTime ge` that instant and drops
//! those ids, so nothing is delivered twice and nothing in between is
//! skipped, even when several messages share a second or a run stopped at
//! its cap in the middle of them.

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

use serde_json::{Value, json};

use crate::error::Error;
use crate::time;

pub const LABEL: &str = "Cursor";
/// Ids kept per folder at most (messages received in the same second).
const MAX_IDS: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Unix seconds.
    pub received: i64,
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor {
    pub mailbox: String,
    /// By folder key (the folder as the user named it).
    pub folders: BTreeMap<String, Mark>,
}

impl Cursor {
    pub fn new(mailbox: &str) -> Cursor {
        Cursor {
            mailbox: mailbox.to_string(),
            folders: BTreeMap::new(),
        }
    }

    /// Reads the cursor a previous run put in its context data (the cursor
    /// object itself, or the whole context data holding it).
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
        if v["version"] != json!(1) {
            return Err(bad("is not a Fetch Event cursor (version 1)"));
        }
        let owner = v["mailbox"].as_str().unwrap_or("");
        if !owner.eq_ignore_ascii_case(mailbox) {
            return Err(bad(&format!(
                "belongs to mailbox '{owner}', not '{mailbox}'"
            )));
        }
        let mut cursor = Cursor::new(mailbox);
        for (folder, mark) in v["folders"]
            .as_object()
            .ok_or_else(|| bad("has no folders"))?
        {
            let received = mark["receivedDateTime"]
                .as_str()
                .and_then(time::parse_utc)
                .ok_or_else(|| {
                    bad(&format!(
                        "has no valid receivedDateTime for folder '{folder}'"
                    ))
                })?;
            let ids = mark["ids"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            cursor
                .folders
                .insert(folder.clone(), Mark { received, ids });
        }
        Ok(cursor)
    }

    /// The lower bound and the ids to skip for a folder.
    pub fn start(&self, folder: &str) -> Option<(i64, HashSet<String>)> {
        self.folders
            .get(folder)
            .map(|m| (m.received, m.ids.iter().cloned().collect()))
    }

    /// Moves a folder's mark to the newest of `messages` (its ids at that
    /// instant are added to those already there when the instant is the same).
    pub fn advance(&mut self, folder: &str, messages: &[Value]) {
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
        let mark = self.folders.entry(folder.to_string()).or_insert(Mark {
            received: newest,
            ids: Vec::new(),
        });
        if newest < mark.received {
            return;
        }
        if newest > mark.received {
            mark.received = newest;
            mark.ids.clear();
        }
        for (_, id) in times.iter().filter(|(t, _)| *t == newest) {
            if !mark.ids.iter().any(|i| i == id) && mark.ids.len() < MAX_IDS {
                mark.ids.push((*id).to_string());
            }
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "version": 1,
            "mailbox": self.mailbox,
            "folders": self.folders.iter().map(|(k, m)| (k.clone(), json!({
                "receivedDateTime": time::iso(m.received),
                "ids": m.ids,
            }))).collect::<serde_json::Map<_, _>>(),
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
        assert_eq!(c.folders["inbox"].ids, ["b", "c", "d"]);
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
}
