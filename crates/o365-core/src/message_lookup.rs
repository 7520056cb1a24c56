//! Graph ids for many messages named by the user (`mail::message_ref`): internetMessageIds
//! are looked up in batches of 20 (reference §3 preamble), so acting on 100 messages does not
//! take 100 lookups.

use serde_json::Value;

use crate::batch::{self, Request};
use crate::error::Error;
use crate::graph::Graph;
use crate::http;
use crate::mail::message_ref::MessageRef;
use crate::mailbox::Mailbox;
use crate::retry::Idempotency;

/// Graph's "no such item" for a message the user named: the message names the parameter.
pub fn named(e: Error, label: &str, given: &str) -> Error {
    e.for_parameter_with(
        label,
        given,
        "A moved message gets a new id; an internetMessageId (<...@...>) survives moves.",
    )
}

/// The lookup of one internetMessageId: `{mbx}/messages?$filter=internetMessageId eq '<x>'`.
fn lookup(mailbox: &Mailbox, internet_id: &str) -> Request {
    let filter = format!("internetMessageId eq '{}'", internet_id.replace('\'', "''"));
    Request::get(format!(
        "{}/messages{}",
        mailbox.path(),
        http::query(&[
            ("$filter", filter),
            ("$select", "id,parentFolderId".into()),
            ("$top", "1".into()),
        ])
    ))
}

/// Graph ids for each `(mailbox, message)`: ids as given, internetMessageIds looked up in
/// batches. When copies sit in several folders, the first match is taken (reference §3).
pub fn resolve(graph: &Graph, items: &[(Mailbox, MessageRef)]) -> Vec<Result<String, Error>> {
    let lookups: Vec<(usize, Request)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, (mbx, m))| match m {
            MessageRef::InternetMessageId(iid) => Some((i, lookup(mbx, iid))),
            MessageRef::Id(_) => None,
        })
        .collect();
    let requests: Vec<Request> = lookups.iter().map(|(_, r)| r.clone()).collect();
    let mut found = if requests.is_empty() {
        Vec::new()
    } else {
        batch::run(
            graph,
            &requests,
            Idempotency::Idempotent,
            "looked up internetMessageIds",
        )
    }
    .into_iter();
    let mut lookup_results = std::collections::HashMap::new();
    for (i, _) in &lookups {
        lookup_results.insert(*i, found.next().expect("one outcome per lookup"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, (mbx, m))| match m {
            MessageRef::Id(id) => Ok(id.clone()),
            MessageRef::InternetMessageId(iid) => {
                let page = lookup_results.remove(&i).expect("looked up")?;
                page.get("value")
                    .and_then(Value::as_array)
                    .and_then(|v| v.first())
                    .and_then(|m| m.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| Error::Graph {
                        status: 404,
                        code: "ErrorItemNotFound".into(),
                        message: format!(
                            "No message with internetMessageId {iid} in mailbox {}.",
                            mbx.display()
                        ),
                        hint: None,
                    })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_quotes_and_encodes_the_literal() {
        let r = lookup(&Mailbox::Me, "<o'brien@x.example>");
        assert_eq!(
            r.url,
            "me/messages?$filter=internetMessageId%20eq%20%27%3Co%27%27brien@x.example%3E%27&$select=id%2CparentFolderId&$top=1"
        );
    }
}
