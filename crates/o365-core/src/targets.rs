//! "Email Addresses or User IDs" paired by index with "Message IDs": which message of
//! which mailbox each item acts on. Pairing mistakes fail here, before any HTTP call,
//! because acting on the wrong item is worse than not acting.

use crate::error::Error;
use crate::mailbox::Mailbox;
use crate::message_ref::MessageRef;
use crate::model::Connection;
use crate::validate;

pub const MAILBOXES: &str = "Email Addresses or User IDs";
pub const MESSAGE_IDS: &str = "Message IDs";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub mailbox: Mailbox,
    pub message: MessageRef,
}

impl Target {
    /// "'<id>' in <mailbox>", for per-item errors.
    pub fn describe(&self) -> String {
        format!("{} in {}", self.message.given(), self.mailbox.display())
    }
}

/// No addresses: every message is in the signed-in user's mailbox (authorization code)
/// or the seed's error (client credentials). Otherwise one address per message id.
pub fn pair(conn: &Connection, addresses: &[String], ids: &[String]) -> Result<Vec<Target>, Error> {
    if ids.is_empty() {
        return Err(Error::input(
            MESSAGE_IDS,
            "is required: give the ids of the messages ($.value[*].id or internetMessageId of Fetch Event).",
        ));
    }
    let addresses: Vec<&String> = addresses.iter().collect();
    let all_blank = addresses.iter().all(|a| a.trim().is_empty());
    if !all_blank && addresses.len() != ids.len() {
        return Err(Error::input(
            MAILBOXES,
            format!(
                "has {} entries but {MESSAGE_IDS} has {}: each message id pairs with the address at the same index. Give one address per message id, or none to use the signed-in user's mailbox (Authorization Code).",
                addresses.len(),
                ids.len()
            ),
        ));
    }
    let mut out: Vec<Target> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let given = if all_blank {
            None
        } else {
            Some(addresses[i].as_str())
        };
        let target = Target {
            mailbox: Mailbox::resolve(conn, given, MAILBOXES)?,
            message: MessageRef::parse(MESSAGE_IDS, id)?,
        };
        if out.iter().any(|t| {
            t.message == target.message
                && t.mailbox
                    .display()
                    .eq_ignore_ascii_case(target.mailbox.display())
        }) {
            return Err(Error::input(
                MESSAGE_IDS,
                format!(
                    "'{}' is listed twice for mailbox {}.",
                    target.message.given(),
                    target.mailbox.display()
                ),
            ));
        }
        out.push(target);
    }
    Ok(out)
}

/// A required list of users (object ids or UPNs), blanks dropped, each once.
pub fn users(label: &str, given: &[String]) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for u in given.iter().filter(|u| !u.trim().is_empty()) {
        let u = validate::mailbox_address(label, u)?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&u)) {
            out.push(u);
        }
    }
    if out.is_empty() {
        return Err(Error::input(
            label,
            "is required: give at least one user id or user principal name.",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthorizationCode, ClientCredentials, Environment, Grant};

    fn conn(app: bool) -> Connection {
        Connection {
            environment: Environment::CommercialGcc,
            tenant_id: "t.example".into(),
            grant: if app {
                Grant::ClientCredentials(ClientCredentials {
                    client_id: "c".into(),
                    client_secret: "s".into(),
                })
            } else {
                Grant::AuthorizationCode(AuthorizationCode {
                    client_id: "c".into(),
                    client_secret: "s".into(),
                    scope: "offline_access".into(),
                    callback_url: "https://x".into(),
                    authorization_code: None,
                    refresh_token: Some("r".into()),
                })
            },
            api_version: "v1.0".into(),
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    const A: &str = "AAMkAGVmMDEzMTM4AAA=";
    const B: &str = "AAMkAGVmMDEzMTM5AAA=";

    #[test]
    fn delegated_without_addresses_uses_me() {
        let t = pair(&conn(false), &[], &s(&[A, B])).unwrap();
        assert!(t.iter().all(|t| t.mailbox == Mailbox::Me));
    }

    #[test]
    fn mismatched_lengths_name_both_parameters() {
        let e = pair(&conn(true), &s(&["a@t.example"]), &s(&[A, B]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("Email Addresses or User IDs: has 1 entries but Message IDs has 2"),
            "{e}"
        );
    }

    #[test]
    fn app_only_needs_addresses_and_duplicates_are_refused() {
        let e = pair(&conn(true), &[], &s(&[A])).unwrap_err().to_string();
        assert!(
            e.contains("'Email Addresses or User IDs' is required"),
            "{e}"
        );
        let e = pair(
            &conn(true),
            &s(&["a@t.example", "A@t.example"]),
            &s(&[A, A]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("listed twice"), "{e}");
        let ok = pair(
            &conn(true),
            &s(&["a@t.example", "b@t.example"]),
            &s(&[A, A]),
        )
        .unwrap();
        assert_eq!(ok[1].mailbox, Mailbox::User("b@t.example".into()));
    }
}
