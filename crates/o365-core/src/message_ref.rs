//! A message named by the user: a Graph id, or an RFC 2822 internetMessageId that must be
//! looked up first (reference §3 preamble). Lookups for many messages go out in batches.

use serde_json::Value;

use crate::batch::{self, Request};
use crate::error::Error;
use crate::graph::Graph;
use crate::http;
use crate::mailbox::Mailbox;
use crate::retry::Idempotency;
use crate::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageRef {
    Id(String),
    /// Always with its angle brackets, as Graph stores it.
    InternetMessageId(String),
}

impl MessageRef {
    pub fn parse(label: &str, value: &str) -> Result<MessageRef, Error> {
        let v = value.trim();
        if v.is_empty() {
            return Err(Error::input(label, "has an empty entry."));
        }
        if v.contains('@') {
            if v.chars().any(char::is_whitespace) {
                return Err(Error::input(
                    label,
                    format!("'{v}' is not an internetMessageId (it contains spaces)."),
                ));
            }
            let bare = v.trim_start_matches('<').trim_end_matches('>');
            return Ok(MessageRef::InternetMessageId(format!("<{bare}>")));
        }
        if validate::looks_like_graph_id(v) {
            return Ok(MessageRef::Id(v.to_string()));
        }
        Err(Error::input(
            label,
            format!(
                "'{v}' is neither a Graph message id ($.value[*].id of Fetch Event) nor an internetMessageId (<...@...>)."
            ),
        ))
    }

    /// As the user gave it (normalised), for results and errors.
    pub fn given(&self) -> &str {
        match self {
            MessageRef::Id(s) | MessageRef::InternetMessageId(s) => s,
        }
    }
}

/// Graph's "no such item" for a message the user named: the message names the parameter.
pub fn named(e: Error, label: &str, given: &str) -> Error {
    match e {
        Error::Graph {
            status,
            code,
            message,
        } if code == "ErrorItemNotFound" || code == "ErrorInvalidIdMalformed" => Error::Graph {
            status,
            message: format!("{label} '{given}' was not found in this mailbox ({message})."),
            code,
        },
        other => other,
    }
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
                    })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_internet_message_ids_are_told_apart() {
        assert_eq!(
            MessageRef::parse("Message IDs", " AAMkAGVmMDEzMTM4=").unwrap(),
            MessageRef::Id("AAMkAGVmMDEzMTM4=".into())
        );
        assert_eq!(
            MessageRef::parse("Message IDs", "abc@host.example").unwrap(),
            MessageRef::InternetMessageId("<abc@host.example>".into())
        );
        assert_eq!(
            MessageRef::parse("Message IDs", "<abc@host.example>")
                .unwrap()
                .given(),
            "<abc@host.example>"
        );
        let e = MessageRef::parse("Message IDs", "12")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("Message IDs: '12' is neither"), "{e}");
    }

    #[test]
    fn lookup_quotes_and_encodes_the_literal() {
        let r = lookup(&Mailbox::Me, "<o'brien@x.example>");
        assert_eq!(
            r.url,
            "me/messages?$filter=internetMessageId%20eq%20%27%3Co%27%27brien@x.example%3E%27&$select=id%2CparentFolderId&$top=1"
        );
    }
}
