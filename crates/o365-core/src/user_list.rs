//! A required list of users (object ids or UPNs), as the directory commands take it.

use crate::error::Error;
use crate::input::Values;
use crate::validate;

/// Input of the directory commands (Delete User Accounts, Remove Licenses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsersInput {
    pub user_ids: Vec<String>,
    /// Report what would change, change nothing.
    pub dry_run: bool,
}

impl UsersInput {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<UsersInput, Error> {
        Ok(UsersInput {
            user_ids: values.list("user-ids")?,
            dry_run: values.flag("dry-run")?,
        })
    }
}

/// [`UsersInput`] checked: each user once, at least one.
pub struct Users {
    pub users: Vec<String>,
    pub dry_run: bool,
}

impl UsersInput {
    /// `label` is the users parameter's label in the vendor document.
    pub fn check(&self, label: &str) -> Result<Users, Error> {
        Ok(Users {
            users: parse(label, &self.user_ids)?,
            dry_run: self.dry_run,
        })
    }
}

/// A required list of users (object ids or UPNs), blanks dropped, each once.
pub fn parse(label: &str, given: &[String]) -> Result<Vec<String>, Error> {
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

    #[test]
    fn blanks_and_repeats_go_and_none_is_an_error() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse(
                "User IDs",
                &list(&["a@t.example", " ", "A@t.example", "b@t.example"])
            )
            .unwrap(),
            vec!["a@t.example", "b@t.example"]
        );
        assert!(
            parse("User IDs", &list(&[" "]))
                .unwrap_err()
                .to_string()
                .starts_with("User IDs: is required")
        );
        assert!(parse("User IDs", &list(&["a b@t.example"])).is_err());
    }
}
