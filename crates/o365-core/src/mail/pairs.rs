//! Commands that take "Email Addresses or User IDs" and "Message IDs" pair
//! them by index. This parses the pairs (no HTTP) and runs a step per pair,
//! reporting each outcome so one bad item does not sink the others.

use super::message_ref::MessageRef;
use crate::env::Env;
use crate::error::Error;
use crate::mailbox::Mailbox;
use crate::model::Connection;
use crate::outcome::{ItemOutcome, ItemOutcomes};

pub const MAILBOXES: &str = "Email Addresses or User IDs";
pub const MESSAGE_IDS: &str = "Message IDs";
/// Items one invocation works on, at most.
pub const MAX_ITEMS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// 0-based position in the input.
    pub index: usize,
    pub mailbox: Mailbox,
    pub message: MessageRef,
}

/// Pairs mailboxes with message ids. No mailboxes: every id is in the
/// signed-in user's mailbox (delegated only); otherwise the lists must be
/// the same length.
pub fn parse(conn: &Connection, mailboxes: &[String], ids: &[String]) -> Result<Vec<Pair>, Error> {
    if ids.iter().all(|i| i.trim().is_empty()) {
        return Err(Error::input(
            MESSAGE_IDS,
            "is required: give the ids of the messages ($value[*].id of Fetch Event) or their internetMessageIds.",
        ));
    }
    if ids.len() > MAX_ITEMS {
        return Err(Error::input(
            MESSAGE_IDS,
            format!("has {} items; at most {MAX_ITEMS} per run.", ids.len()),
        ));
    }
    let given: Vec<&String> = mailboxes.iter().filter(|m| !m.trim().is_empty()).collect();
    if !given.is_empty() && mailboxes.len() != ids.len() {
        return Err(Error::input(
            MAILBOXES,
            format!(
                "has {} items but Message IDs has {}: each message id needs the mailbox at the same index.",
                mailboxes.len(),
                ids.len()
            ),
        ));
    }
    ids.iter()
        .enumerate()
        .map(|(index, id)| {
            let address = if given.is_empty() {
                None
            } else {
                Some(mailboxes[index].as_str())
            };
            Ok(Pair {
                index,
                mailbox: Mailbox::resolve(conn, address, MAILBOXES)?,
                message: MessageRef::parse(MESSAGE_IDS, index + 1, id)?,
            })
        })
        .collect()
}

impl Pair {
    /// The item's description in rows and the Error tab: "<message id> in <mailbox>".
    pub fn describe(&self) -> String {
        format!("{} in {}", self.message.as_str(), self.mailbox.display())
    }

    /// The pair's outcome row, with its mailbox and requested message id.
    pub fn outcome(&self, outcome: ItemOutcome) -> ItemOutcome {
        outcome
            .with("mailbox", self.mailbox.display())
            .with("messageId", self.message.as_str())
    }
}

/// What running a step over every pair produced.
pub struct Outcomes<T> {
    pub done: Vec<(Pair, T)>,
    /// One per pair, in input order.
    pub items: ItemOutcomes,
}

/// Runs `step` for each pair, with progress; failures become per-item outcomes.
pub fn run<T>(
    env: &dyn Env,
    label: &str,
    pairs: Vec<Pair>,
    mut step: impl FnMut(&Pair) -> Result<T, Error>,
) -> Outcomes<T> {
    let total = pairs.len() as u32;
    let mut out = Outcomes {
        done: Vec::new(),
        items: ItemOutcomes::new(label),
    };
    for pair in pairs {
        match step(&pair) {
            Ok(v) => {
                out.items
                    .push(pair.outcome(ItemOutcome::succeeded(pair.describe(), "retrieved")));
                out.done.push((pair, v));
            }
            Err(e) => out
                .items
                .push(pair.outcome(ItemOutcome::failed(pair.describe(), e))),
        }
        env.progress(out.items.len() as u32, total, label);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClientCredentials, Environment, Grant};

    fn app() -> Connection {
        Connection {
            environment: Environment::CommercialGcc,
            tenant_id: "contoso.example".into(),
            grant: Grant::ClientCredentials(ClientCredentials {
                client_id: "a".into(),
                client_secret: "s".into(),
            }),
            api_version: "v1.0".into(),
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn pairs_by_index_and_refuses_mismatches() {
        let pairs = parse(
            &app(),
            &s(&["a@x.example", "b@x.example"]),
            &s(&["AAMkAGVmMDEzMTM4AAA=", "<m@x>"]),
        )
        .unwrap();
        assert_eq!(pairs[1].mailbox, Mailbox::User("b@x.example".into()));
        assert_eq!(
            pairs[1].message,
            MessageRef::InternetMessageId("<m@x>".into())
        );
        let e = parse(
            &app(),
            &s(&["a@x.example"]),
            &s(&["AAMkAGVmMDEzMTM4AAA=", "<m@x>"]),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Email Addresses or User IDs: has 1 items but Message IDs has 2"),
            "{e}"
        );
        let e = parse(&app(), &[], &s(&["AAMkAGVmMDEzMTM4AAA="])).unwrap_err();
        assert!(
            e.to_string()
                .contains("'Email Addresses or User IDs' is required"),
            "{e}"
        );
        assert!(
            parse(&app(), &[], &[])
                .unwrap_err()
                .to_string()
                .starts_with("Message IDs: is required")
        );
    }
}
