//! A destination folder named by id, well-known name or display name (the seed accepts
//! all three). Ids and well-known names go to Graph as they are; a display name is looked
//! up in the folder tree of each mailbox, level by level.

use serde_json::Value;

use crate::error::Error;
use crate::graph::Graph;
use crate::http::{self, segment};
use crate::mailbox::Mailbox;
use crate::validate::{self, WELL_KNOWN_FOLDERS};

/// Folder listings at most for one display-name lookup.
const MAX_LISTINGS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderRef {
    /// A folder id or a well-known name: usable in a URL as it is.
    Direct(String),
    DisplayName(String),
}

impl FolderRef {
    pub fn parse(label: &str, value: &str) -> Result<FolderRef, Error> {
        let v = value.trim();
        if v.is_empty() {
            return Err(Error::input(
                label,
                "is required: give a folder id, a well-known name (inbox, archive, junkemail, ...) or a folder's display name.",
            ));
        }
        if let Some(name) = WELL_KNOWN_FOLDERS
            .iter()
            .find(|n| n.eq_ignore_ascii_case(v))
        {
            return Ok(FolderRef::Direct(name.to_string()));
        }
        if validate::looks_like_graph_id(v) {
            return Ok(FolderRef::Direct(v.to_string()));
        }
        Ok(FolderRef::DisplayName(v.to_string()))
    }

    /// The folder id or well-known name to send for this mailbox.
    pub fn resolve(&self, graph: &Graph, mailbox: &Mailbox, label: &str) -> Result<String, Error> {
        match self {
            FolderRef::Direct(id) => Ok(id.clone()),
            FolderRef::DisplayName(name) => by_display_name(graph, mailbox, name, label),
        }
    }
}

fn listing(mailbox: &Mailbox, parent: Option<&str>) -> String {
    let collection = match parent {
        None => format!("{}/mailFolders", mailbox.path()),
        Some(p) => format!("{}/mailFolders/{}/childFolders", mailbox.path(), segment(p)),
    };
    format!(
        "{collection}{}",
        http::query(&[
            ("$top", "100".into()),
            ("includeHiddenFolders", "true".into()),
        ])
    )
}

/// Breadth first: the shallowest level with a match decides; two matches there are
/// ambiguous and fail rather than pick one.
fn by_display_name(
    graph: &Graph,
    mailbox: &Mailbox,
    name: &str,
    label: &str,
) -> Result<String, Error> {
    let mut level: Vec<Option<String>> = vec![None];
    let mut listings = 0;
    while !level.is_empty() {
        let mut next = Vec::new();
        let mut matches: Vec<Value> = Vec::new();
        for parent in &level {
            if listings == MAX_LISTINGS {
                break;
            }
            listings += 1;
            for folder in graph.get_all(&listing(mailbox, parent.as_deref()), 5_000)? {
                if folder["displayName"]
                    .as_str()
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
                {
                    matches.push(folder.clone());
                }
                if folder["childFolderCount"].as_u64().unwrap_or(0) > 0
                    && let Some(id) = folder["id"].as_str()
                {
                    next.push(Some(id.to_string()));
                }
            }
        }
        match matches.len() {
            0 => level = next,
            1 => {
                return matches[0]["id"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| {
                        Error::Protocol("A mail folder came back without an id.".into())
                    });
            }
            n => {
                return Err(Error::Graph {
                    status: 400,
                    code: "AmbiguousFolderName".into(),
                    message: format!(
                        "{label} '{name}' matches {n} folders in mailbox {}; give the folder id instead (List Mail Folders).",
                        mailbox.display()
                    ),
                });
            }
        }
    }
    Err(Error::Graph {
        status: 404,
        code: "ErrorItemNotFound".into(),
        message: format!(
            "{label} '{name}' is not a folder of mailbox {} (no folder has this display name). Run List Mail Folders for valid names and ids.",
            mailbox.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClientCredentials, Connection, Environment, Grant};
    use crate::retry::RetryPolicy;
    use crate::testing::{FakeEnv, json_response};
    use serde_json::json;

    #[test]
    fn well_known_and_ids_are_direct() {
        assert_eq!(
            FolderRef::parse("Destination Mail Folder", "Archive").unwrap(),
            FolderRef::Direct("archive".into())
        );
        assert_eq!(
            FolderRef::parse("Destination Mail Folder", "Junk Email").unwrap(),
            FolderRef::DisplayName("Junk Email".into())
        );
        assert!(
            FolderRef::parse("Destination Mail Folder", " ")
                .unwrap_err()
                .to_string()
                .starts_with("Destination Mail Folder: is required")
        );
    }

    #[test]
    fn display_name_is_found_one_level_down() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(
                200,
                json!({"value": [
                    {"id": "INBOX", "displayName": "Inbox", "childFolderCount": 1},
                    {"id": "ARCH", "displayName": "Archive", "childFolderCount": 0}]}),
            ),
            json_response(
                200,
                json!({"value": [{"id": "PHISH", "displayName": "Phishing", "childFolderCount": 0}]}),
            ),
        ]);
        let conn = Connection {
            environment: Environment::CommercialGcc,
            tenant_id: "t.example".into(),
            grant: Grant::ClientCredentials(ClientCredentials {
                client_id: "c".into(),
                client_secret: "s".into(),
            }),
            api_version: "v1.0".into(),
        };
        let g = Graph::new(&env, &conn, RetryPolicy::default());
        let mbx = Mailbox::User("a@t.example".into());
        let id = FolderRef::DisplayName("phishing".into())
            .resolve(&g, &mbx, "Destination Mail Folder")
            .unwrap();
        assert_eq!(id, "PHISH");
        assert_eq!(
            env.sent()[2].url,
            "https://graph.microsoft.com/v1.0/users/a@t.example/mailFolders/INBOX/childFolders?$top=100&includeHiddenFolders=true"
        );
    }
}
