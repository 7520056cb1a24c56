//! Directory users (Entra ID objects), addressed by id or UPN.

use serde_json::{Map, Value};

/// A user object; `props` holds the Graph JSON properties.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: String,
    pub upn: String,
    /// False for accounts without an Exchange Online mailbox (guests).
    pub has_mailbox: bool,
    pub props: Map<String, Value>,
}

#[derive(Default)]
pub(crate) struct Directory {
    users: Vec<User>,
}

impl Directory {
    pub(crate) fn add(&mut self, user: User) {
        self.users.push(user);
    }

    /// All users in creation order (the order `GET /users` pages through).
    pub(crate) fn all(&self) -> &[User] {
        &self.users
    }

    pub(crate) fn find_mut(&mut self, key: &str) -> Option<&mut User> {
        self.users
            .iter_mut()
            .find(|u| u.id.eq_ignore_ascii_case(key) || u.upn.eq_ignore_ascii_case(key))
    }

    /// Takes a user out of the directory (a delete).
    pub(crate) fn remove(&mut self, id: &str) -> Option<User> {
        let i = self.users.iter().position(|u| u.id == id)?;
        Some(self.users.remove(i))
    }

    /// Looks a user up by object id or UPN, both case-insensitive as in
    /// Entra ID.
    pub(crate) fn find(&self, key: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.id.eq_ignore_ascii_case(key) || u.upn.eq_ignore_ascii_case(key))
    }
}
