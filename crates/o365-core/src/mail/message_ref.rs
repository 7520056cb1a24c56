//! A message as users name it: a Graph message id, or an RFC 2822
//! internetMessageId (`<...@...>`), which is looked up with `$filter`.

use crate::error::Error;
use crate::graph::Graph;
use crate::http;
use crate::mailbox::Mailbox;

/// Copies of one message in a mailbox, at most (each folder may hold one).
const MAX_COPIES: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageRef {
    Id(String),
    /// With its angle brackets.
    InternetMessageId(String),
}

/// Graph item ids are long base64 strings (`A-Z a-z 0-9 + / = - _`).
fn looks_like_message_id(v: &str) -> bool {
    v.len() >= 16
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=-_".contains(c))
}

impl MessageRef {
    /// `position` is 1-based, for the error message.
    pub fn parse(label: &str, position: usize, value: &str) -> Result<MessageRef, Error> {
        let v = value.trim();
        if v.is_empty() {
            return Err(Error::input(label, format!("item {position} is empty.")));
        }
        if v.contains('@') {
            let inner = v.trim_start_matches('<').trim_end_matches('>');
            let (local, domain) = inner.split_once('@').unwrap_or(("", ""));
            if local.is_empty()
                || domain.is_empty()
                || inner
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
            {
                return Err(Error::input(
                    label,
                    format!(
                        "'{v}' (item {position}) is not an internetMessageId: it looks like <local-part@domain>."
                    ),
                ));
            }
            return Ok(MessageRef::InternetMessageId(format!("<{inner}>")));
        }
        if looks_like_message_id(v) {
            return Ok(MessageRef::Id(v.to_string()));
        }
        Err(Error::input(
            label,
            format!(
                "'{v}' (item {position}) is neither a Graph message id ($value[*].id of Fetch Event) nor an internetMessageId (<...@...>)."
            ),
        ))
    }

    pub fn as_str(&self) -> &str {
        match self {
            MessageRef::Id(s) | MessageRef::InternetMessageId(s) => s,
        }
    }

    /// The Graph ids this reference names in the mailbox: itself, or every
    /// copy carrying the internetMessageId (none found is an error).
    pub fn resolve(
        &self,
        graph: &Graph,
        mailbox: &Mailbox,
        label: &str,
    ) -> Result<Vec<String>, Error> {
        match self {
            MessageRef::Id(id) => Ok(vec![id.clone()]),
            MessageRef::InternetMessageId(imid) => {
                let filter = format!("internetMessageId eq '{}'", imid.replace('\'', "''"));
                let path = format!(
                    "{}/messages{}",
                    mailbox.path(),
                    http::query(&[
                        ("$filter", filter),
                        ("$select", "id".into()),
                        ("$top", MAX_COPIES.to_string())
                    ])
                );
                let ids: Vec<String> = graph
                    .get_all(&path, MAX_COPIES)?
                    .iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_string))
                    .collect();
                if ids.is_empty() {
                    return Err(Error::Graph {
                        status: 404,
                        code: "ErrorItemNotFound".into(),
                        message: format!(
                            "{label}: no message with internetMessageId {imid} in {}.",
                            mailbox.display()
                        ),
                        hint: None,
                    });
                }
                Ok(ids)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_internet_message_ids() {
        let p = |v: &str| MessageRef::parse("Message IDs", 2, v);
        assert_eq!(
            p("AAMkAGVmMDEzMTM4AAA=").unwrap(),
            MessageRef::Id("AAMkAGVmMDEzMTM4AAA=".into())
        );
        assert_eq!(
            p("abc@host.example").unwrap(),
            MessageRef::InternetMessageId("<abc@host.example>".into())
        );
        assert_eq!(
            p(" <abc@host.example> ").unwrap().as_str(),
            "<abc@host.example>"
        );
        for bad in ["", "hello", "not an id", "<@x>", "a b@c"] {
            let e = p(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("Message IDs:") && e.contains("item 2"),
                "{bad}: {e}"
            );
        }
    }
}
