//! What delta query on a folder's messages needs from the store: a change
//! number per mailbox that every insert, move, update and removal takes,
//! and a record of every message that left a folder.
//!
//! A message carries the number it came into its folder with (`arrived`)
//! and the number of its last change (`changed`). A round of delta since
//! number S returns the folder's messages changed after S (created when they
//! arrived after S, updated otherwise) and `@removed` entries for messages
//! that left it after S and are not back, in change order. Changes are
//! ordered by unique numbers, so a page boundary is a number and a page
//! never shifts when the folder changes between two pages.

use super::mailbox::Mailbox;
use super::message::Message;

/// Why a message left a folder, as Graph's `@removed.reason` says it:
/// `changed` when it still exists elsewhere (moved, soft-deleted into
/// Recoverable Items), `deleted` when it is gone for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    Changed,
    Deleted,
}

impl Reason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::Changed => "changed",
            Reason::Deleted => "deleted",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Removal {
    pub seq: u64,
    pub folder_id: String,
    pub rest_id: String,
    pub immutable_id: String,
    pub reason: Reason,
}

#[derive(Default)]
pub(crate) struct Changes {
    seq: u64,
    removed: Vec<Removal>,
}

impl Changes {
    /// The next change number.
    pub(crate) fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The last change number given out.
    pub(crate) fn current(&self) -> u64 {
        self.seq
    }

    /// Records `m` leaving its folder; returns the change number.
    pub(crate) fn remove(&mut self, m: &Message, reason: Reason) -> u64 {
        let seq = self.next();
        self.removed.push(Removal {
            seq,
            folder_id: m.folder_id.clone(),
            rest_id: m.rest_id.clone(),
            immutable_id: m.immutable_id.clone(),
            reason,
        });
        seq
    }
}

/// Which changes a round reports (Graph's `changeType` option; all when None).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChangeType {
    Created,
    Updated,
    Deleted,
}

/// One entry of a delta page.
pub(crate) enum Entry<'a> {
    Message(&'a Message),
    Removed(&'a Removal),
}

impl Entry<'_> {
    fn seq(&self) -> u64 {
        match self {
            Entry::Message(m) => m.changed,
            Entry::Removed(r) => r.seq,
        }
    }
}

/// What one request of a round asks for.
pub(crate) struct Round {
    /// The initial round: every message of the folder, no removals.
    pub initial: bool,
    /// The change number the round started from (0 in the initial round).
    pub since: u64,
    /// The last change number already paged through in this round.
    pub after: u64,
    pub change_type: Option<ChangeType>,
    /// The initial round's `receivedDateTime ge|gt` bound: (seconds, strict).
    pub received_from: Option<(i64, bool)>,
    pub page_size: usize,
}

impl Mailbox {
    /// One page of a round of delta on a folder's messages; the page and
    /// whether more entries follow. The initial round lists every
    /// message of the folder (`received_from` applies to it only) and no
    /// removals, whatever the change type.
    pub(crate) fn delta_page<'m>(
        &'m self,
        folder_id: &str,
        round: &Round,
    ) -> (Vec<Entry<'m>>, bool) {
        let initial = round.initial;
        let floor = round.since.max(round.after);
        let wanted = |created: bool| match (initial, round.change_type) {
            (true, _) | (false, None) => true,
            (false, Some(ChangeType::Created)) => created,
            (false, Some(ChangeType::Updated)) => !created,
            (false, Some(ChangeType::Deleted)) => false,
        };
        let mut entries: Vec<Entry<'m>> = self
            .messages
            .iter()
            .filter(|m| m.folder_id == folder_id)
            .filter(|m| m.changed > floor && wanted(m.arrived > round.since))
            .filter(|m| {
                !initial
                    || round.received_from.is_none_or(|(from, strict)| {
                        if strict {
                            m.received > from
                        } else {
                            m.received >= from
                        }
                    })
            })
            .map(Entry::Message)
            .collect();
        let removals_wanted =
            !initial && matches!(round.change_type, None | Some(ChangeType::Deleted));
        if removals_wanted {
            for r in &self.changes.removed {
                let back = self
                    .message(&r.immutable_id)
                    .is_some_and(|m| m.folder_id == folder_id);
                // Only the last removal of a message from this folder counts.
                let later = self.changes.removed.iter().any(|o| {
                    o.seq > r.seq && o.immutable_id == r.immutable_id && o.folder_id == folder_id
                });
                if r.folder_id == folder_id && r.seq > floor && !back && !later {
                    entries.push(Entry::Removed(r));
                }
            }
        }
        entries.sort_by_key(|e| e.seq());
        let more = entries.len() > round.page_size;
        entries.truncate(round.page_size);
        (entries, more)
    }

    /// The change number a delta link taken now starts from.
    pub(crate) fn delta_now(&self) -> u64 {
        self.changes.current()
    }
}

/// The change number an entry was paged at (the next page starts after it).
pub(crate) fn entry_seq(e: &Entry<'_>) -> u64 {
    e.seq()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::messages::tests::mailbox;
    use serde_json::json;

    fn add(m: &mut Mailbox, folder: &str, at: &str) -> String {
        m.insert_message(folder, &json!({"subject": "s", "receivedDateTime": at}))
            .unwrap()
            .immutable_id
            .clone()
    }

    fn round(since: u64) -> Round {
        Round {
            initial: since == 0,
            since,
            after: 0,
            change_type: None,
            received_from: None,
            page_size: 100,
        }
    }

    /// (immutable id, "created"|"updated"|reason) of a whole round.
    fn changes(m: &Mailbox, folder: &str, r: &Round) -> Vec<(String, String)> {
        let (page, more) = m.delta_page(folder, r);
        assert!(!more);
        page.iter()
            .map(|e| match e {
                Entry::Message(msg) => (
                    msg.immutable_id.clone(),
                    if msg.arrived > r.since {
                        "created"
                    } else {
                        "updated"
                    }
                    .to_string(),
                ),
                Entry::Removed(rm) => (rm.immutable_id.clone(), rm.reason.as_str().to_string()),
            })
            .collect()
    }

    #[test]
    fn added_moved_in_moved_out_updated_deleted() {
        let (mut m, inbox, junk) = mailbox();
        let a = add(&mut m, &inbox, "2025-03-01T10:00:00Z");
        let b = add(&mut m, &inbox, "2025-03-01T11:00:00Z");
        let old = add(&mut m, &junk, "2024-01-01T00:00:00Z");
        let initial = changes(&m, &inbox, &round(0));
        assert_eq!(initial.len(), 2, "the initial round lists the folder");
        let since = m.delta_now();

        let c = add(&mut m, &inbox, "2025-03-02T09:00:00Z"); // added
        m.move_message(&old, &inbox).unwrap(); // moved in, older
        m.move_message(&a, &junk).unwrap(); // moved out
        m.message_mut(&b)
            .unwrap()
            .item
            .props
            .insert("isRead".into(), json!(true)); // updated
        let got = changes(&m, &inbox, &round(since));
        assert_eq!(
            got,
            vec![
                (c.clone(), "created".into()),
                (old.clone(), "created".into()),
                (a.clone(), "changed".into()),
                (b.clone(), "updated".into()),
            ]
        );
        // By change type.
        let mut created = round(since);
        created.change_type = Some(ChangeType::Created);
        assert_eq!(changes(&m, &inbox, &created).len(), 2);
        created.change_type = Some(ChangeType::Deleted);
        assert_eq!(
            changes(&m, &inbox, &created),
            vec![(a.clone(), "changed".into())]
        );

        // Moved out and back within a round: it is there (created), not removed.
        let since = m.delta_now();
        m.move_message(&c, &junk).unwrap();
        m.move_message(&c, &inbox).unwrap();
        assert_eq!(
            changes(&m, &inbox, &round(since)),
            vec![(c.clone(), "created".into())]
        );

        // Purged: deleted; soft-deleted: changed.
        let since = m.delta_now();
        m.remove_message(&c).unwrap();
        m.delete_message(&b).unwrap();
        assert_eq!(
            changes(&m, &inbox, &round(since)),
            vec![(c, "deleted".into()), (b, "changed".into())]
        );
    }

    #[test]
    fn pages_do_not_shift_and_the_filter_holds_on_the_initial_round_only() {
        let (mut m, inbox, junk) = mailbox();
        let ids: Vec<String> = (0..5)
            .map(|i| add(&mut m, &inbox, &format!("2025-03-01T10:00:0{i}Z")))
            .collect();
        let mut r = round(0);
        r.page_size = 2;
        r.received_from = Some((
            crate::time::parse_iso("2025-03-01T10:00:01Z").unwrap(),
            false,
        ));
        let (page, more) = m.delta_page(&inbox, &r);
        assert!(more);
        assert_eq!(page.len(), 2);
        let after = entry_seq(&page[1]);
        // A message of the first page changes between pages: it comes again
        // later in the round, and no other message is skipped.
        m.message_mut(&ids[1]).unwrap();
        r.after = after;
        r.page_size = 100;
        let rest = changes(&m, &inbox, &r);
        assert_eq!(
            rest.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(),
            vec![ids[3].clone(), ids[4].clone(), ids[1].clone()]
        );
        // Later rounds ignore the filter: an old message moved in comes.
        let since = m.delta_now();
        let old = add(&mut m, &junk, "2020-01-01T00:00:00Z");
        m.move_message(&old, &inbox).unwrap();
        assert_eq!(
            changes(&m, &inbox, &round(since)),
            vec![(old, "created".into())]
        );
    }
}
