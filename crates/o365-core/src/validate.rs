//! Input checks that run before any HTTP call. Every error names the parameter by the
//! vendor document's label and says how to fix it.

use crate::error::Error;
use crate::model::{Connection, Grant};

/// Folder names Graph accepts wherever a folder id goes (reference §2.3).
pub const WELL_KNOWN_FOLDERS: [&str; 17] = [
    "archive",
    "clutter",
    "conflicts",
    "conversationhistory",
    "deleteditems",
    "drafts",
    "inbox",
    "junkemail",
    "localfailures",
    "msgfolderroot",
    "outbox",
    "recoverableitemsdeletions",
    "scheduled",
    "searchfolders",
    "sentitems",
    "serverfailures",
    "syncissues",
];

pub fn required(label: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::input(label, "is required and was empty."));
    }
    Ok(())
}

fn tenant(value: &str) -> Result<(), Error> {
    let t = value.trim();
    if t.is_empty() {
        return Err(Error::input(
            "Tenant ID",
            "is required: copy the Directory (tenant) ID from the app registration's Overview page.",
        ));
    }
    if ["common", "organizations", "consumers"].contains(&t.to_ascii_lowercase().as_str()) {
        return Err(Error::input(
            "Tenant ID",
            format!(
                "'{t}' is not a tenant: use the Directory (tenant) ID or a verified domain of the tenant."
            ),
        ));
    }
    if !t
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(Error::input(
            "Tenant ID",
            "must be the tenant's GUID or a verified domain (letters, digits, '-' and '.').",
        ));
    }
    Ok(())
}

fn api_version(value: &str) -> Result<(), Error> {
    match value.trim() {
        "" | "v1.0" | "beta" => Ok(()),
        other => Err(Error::input(
            "API Version",
            format!("'{other}' is not a Graph API version: use v1.0 (or beta)."),
        )),
    }
}

/// What every command needs from the connection.
pub fn connection(conn: &Connection) -> Result<(), Error> {
    tenant(&conn.tenant_id)?;
    api_version(&conn.api_version)?;
    required("Client ID", conn.grant.client_id())?;
    required("Client Secret", conn.grant.client_secret())?;
    Ok(())
}

/// What "Get Authorization" needs: no secret yet, but a callback and offline_access.
pub fn connection_for_authorize(conn: &Connection) -> Result<(), Error> {
    tenant(&conn.tenant_id)?;
    required("Client ID", conn.grant.client_id())?;
    if let Grant::AuthorizationCode(g) = &conn.grant {
        required("Callback URL", &g.callback_url)?;
        let url = g.callback_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://localhost")) {
            return Err(Error::input(
                "Callback URL",
                "must be an https URL (http is allowed only for localhost), exactly as registered under the app's Redirect URIs.",
            ));
        }
        if !g
            .scope
            .split_whitespace()
            .any(|s| s.eq_ignore_ascii_case("offline_access"))
        {
            return Err(Error::input(
                "Scope",
                "must include offline_access, otherwise no refresh token is issued (e.g. offline_access https://graph.microsoft.com/Mail.ReadWrite).",
            ));
        }
    }
    Ok(())
}

/// A mailbox: an SMTP address, a UPN or a user object id.
pub fn mailbox_address(label: &str, value: &str) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty()
        || v.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '?')
    {
        return Err(Error::input(
            label,
            format!("'{v}' is not an email address, user principal name or user id."),
        ));
    }
    Ok(v.to_string())
}

/// Graph ids are long base64-ish strings (`A-Z a-z 0-9 + / = - _`).
fn looks_like_graph_id(v: &str) -> bool {
    v.len() >= 16
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=-_".contains(c))
}

/// A folder given by id or well-known name. Anything else fails here, without HTTP.
pub fn folder_ref(label: &str, value: &str) -> Result<String, Error> {
    let v = value.trim();
    if let Some(name) = WELL_KNOWN_FOLDERS
        .iter()
        .find(|n| n.eq_ignore_ascii_case(v))
    {
        return Ok(name.to_string());
    }
    if looks_like_graph_id(v) {
        return Ok(v.to_string());
    }
    let lower = v.to_ascii_lowercase().replace(' ', "");
    let hint = WELL_KNOWN_FOLDERS
        .iter()
        .find(|n| **n == lower || edit_distance(n, &lower) <= 2)
        .map(|n| format!(" Did you mean the well-known name '{n}'?"))
        .unwrap_or_default();
    Err(Error::input(
        label,
        format!(
            "'{v}' is neither a folder id nor a well-known folder name (inbox, archive, deleteditems, junkemail, sentitems, ...).{hint} Run List Mail Folders to get a folder's id."
        ),
    ))
}

/// Levenshtein distance, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_names_match_any_case() {
        assert_eq!(folder_ref("Parent Folder ID", "Inbox").unwrap(), "inbox");
        assert_eq!(
            folder_ref("Parent Folder ID", "AQMkADYAAAIBDAAAAA==").unwrap(),
            "AQMkADYAAAIBDAAAAA=="
        );
    }

    #[test]
    fn a_typo_gets_a_suggestion() {
        let e = folder_ref("Parent Folder ID", "Inbxo")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("Parent Folder ID:") && e.contains("'inbox'"),
            "{e}"
        );
        let e = folder_ref("Parent Folder ID", "Junk Email")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'junkemail'"), "{e}");
    }

    #[test]
    fn tenant_rules() {
        assert!(tenant("8f5a1c7e-2b4d-4e6f-9a1b-3c5d7e9f0a2b").is_ok());
        assert!(tenant("contoso.example").is_ok());
        assert!(tenant("common").is_err());
        assert!(tenant("a b").is_err());
        assert!(
            tenant(" ")
                .unwrap_err()
                .to_string()
                .starts_with("Tenant ID:")
        );
    }

    #[test]
    fn mailbox_rejects_spaces_and_slashes() {
        assert!(mailbox_address("Email Address", "a@b.example").is_ok());
        assert!(mailbox_address("Email Address", "a b@c").is_err());
        assert!(mailbox_address("Email Address", "../x").is_err());
    }
}
