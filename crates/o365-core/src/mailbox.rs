//! Which mailbox a command works on: `/me` for delegated connections without an address,
//! `/users/{address}` otherwise; app-only connections must name one (the seed's rule).

use crate::error::Error;
use crate::http;
use crate::model::Connection;
use crate::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mailbox {
    Me,
    User(String),
}

impl Mailbox {
    /// `label` is the parameter's label in the seed, used in the error.
    pub fn resolve(conn: &Connection, given: Option<&str>, label: &str) -> Result<Mailbox, Error> {
        match given.map(str::trim).filter(|s| !s.is_empty()) {
            Some(address) => Ok(Mailbox::User(validate::mailbox_address(label, address)?)),
            None if conn.grant.is_app_only() => Err(Error::input(
                label,
                format!(
                    "The parameter '{label}' is required when your connection uses the 'Client Credential' Grant Type."
                ),
            )),
            None => Ok(Mailbox::Me),
        }
    }

    /// The path below the version root: `me` or `users/{encoded}`.
    pub fn path(&self) -> String {
        match self {
            Mailbox::Me => "me".to_string(),
            Mailbox::User(u) => format!("users/{}", http::segment(u)),
        }
    }

    /// How the mailbox is named in results.
    pub fn display(&self) -> &str {
        match self {
            Mailbox::Me => "me",
            Mailbox::User(u) => u,
        }
    }
}
