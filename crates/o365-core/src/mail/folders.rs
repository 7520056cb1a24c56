//! Folders as users name them: a folder id, a well-known name (`inbox`, any
//! case), and, beyond the vendor document's peers, a display name
//! (`Phishing`, searched through the whole tree) or a path of display
//! names (`Inbox/Phishing`, `/Projects/2025`). Ids and well-known names
//! need no lookup; names and paths are resolved through the folder tree.

use std::collections::VecDeque;

use serde_json::Value;

use crate::error::Error;
use crate::graph::Graph;
use crate::http::segment;
use crate::mailbox::Mailbox;
use crate::validate::{self, WELL_KNOWN_FOLDERS};

/// Folders visited at most while looking for a display name.
const MAX_FOLDERS_VISITED: usize = 2_000;
const MAX_DEPTH: usize = 12;
/// Exchange's limit on a folder name.
const MAX_NAME_CHARS: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderRef {
    WellKnown(String),
    Id(String),
    /// Display names from the top of the tree; the first may be a
    /// well-known name.
    Path(Vec<String>),
    /// A display name anywhere in the tree.
    Name(String),
}

/// Graph folder ids are base64 of a binary entry id: a multiple of four
/// characters, and never plain words.
fn looks_like_folder_id(v: &str) -> bool {
    v.len() >= 16
        && v.len().is_multiple_of(4)
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=-_".contains(c))
        && v.chars().any(|c| c.is_ascii_digit() || "+/=-_".contains(c))
}

impl FolderRef {
    /// Classifies a folder reference; bad ones fail here, before any HTTP.
    pub fn parse(label: &str, value: &str) -> Result<FolderRef, Error> {
        let v = value.trim();
        if v.is_empty() {
            return Err(Error::input(
                label,
                "a folder is empty: give a folder id, a well-known name (inbox) or a display name.",
            ));
        }
        if let Some(name) = WELL_KNOWN_FOLDERS
            .iter()
            .find(|n| n.eq_ignore_ascii_case(v))
        {
            return Ok(FolderRef::WellKnown(name.to_string()));
        }
        if looks_like_folder_id(v) {
            return Ok(FolderRef::Id(v.to_string()));
        }
        let explicit_path = v.starts_with('/');
        let segments: Vec<String> = v
            .trim_start_matches('/')
            .split('/')
            .map(|s| s.trim().to_string())
            .collect();
        if segments.iter().any(String::is_empty) {
            return Err(Error::input(
                label,
                format!(
                    "'{v}' has an empty folder name in it: separate display names with a single '/' (Inbox/Phishing)."
                ),
            ));
        }
        if let Some(long) = segments.iter().find(|s| s.chars().count() > MAX_NAME_CHARS) {
            return Err(Error::input(
                label,
                format!(
                    "'{}…' is longer than a folder name can be ({MAX_NAME_CHARS} characters).",
                    long.chars().take(20).collect::<String>()
                ),
            ));
        }
        if segments.len() > 1 || explicit_path {
            return Ok(FolderRef::Path(segments));
        }
        // A near miss of a well-known name is almost always a typo; a real
        // folder of that name can still be named as a path ('/Inbxo').
        let lower = v.to_ascii_lowercase().replace(' ', "");
        if !v.contains(' ')
            && let Some(near) = WELL_KNOWN_FOLDERS
                .iter()
                .find(|n| validate::edit_distance(n, &lower) <= 2)
        {
            return Err(Error::input(
                label,
                format!(
                    "'{v}' is not a well-known folder name: did you mean '{near}'? For a folder whose display name is '{v}', write '/{v}'."
                ),
            ));
        }
        Ok(FolderRef::Name(v.to_string()))
    }

    /// How the folder appears in results and cursors: the well-known name,
    /// the id, or the display name / path as given.
    pub fn key(&self) -> String {
        match self {
            FolderRef::WellKnown(n) | FolderRef::Id(n) | FolderRef::Name(n) => n.clone(),
            FolderRef::Path(p) => p.join("/"),
        }
    }

    /// The id or well-known name to put in a URL.
    pub fn resolve(&self, graph: &Graph, mailbox: &Mailbox, label: &str) -> Result<String, Error> {
        match self {
            FolderRef::WellKnown(n) | FolderRef::Id(n) => Ok(n.clone()),
            FolderRef::Path(segments) => {
                let (mut current, rest) = match WELL_KNOWN_FOLDERS
                    .iter()
                    .find(|n| n.eq_ignore_ascii_case(&segments[0]))
                {
                    Some(n) => (n.to_string(), &segments[1..]),
                    None => (
                        find_child(graph, mailbox, None, &segments[0], label, &self.key())?,
                        &segments[1..],
                    ),
                };
                for name in rest {
                    current = find_child(graph, mailbox, Some(&current), name, label, &self.key())?;
                }
                Ok(current)
            }
            FolderRef::Name(name) => find_anywhere(graph, mailbox, name, label),
        }
    }
}

fn children(graph: &Graph, mailbox: &Mailbox, parent: Option<&str>) -> Result<Vec<Value>, Error> {
    let collection = match parent {
        None => format!("{}/mailFolders", mailbox.path()),
        Some(p) => format!("{}/mailFolders/{}/childFolders", mailbox.path(), segment(p)),
    };
    graph.get_all(
        &format!("{collection}?includeHiddenFolders=true&$top=100&$select=id,displayName,childFolderCount"),
        MAX_FOLDERS_VISITED,
    )
}

fn not_found(label: &str, what: &str) -> Error {
    Error::input(
        label,
        format!(
            "no folder '{what}' in this mailbox. Run List Mail Folders to see the folder names and ids."
        ),
    )
}

fn find_child(
    graph: &Graph,
    mailbox: &Mailbox,
    parent: Option<&str>,
    name: &str,
    label: &str,
    whole: &str,
) -> Result<String, Error> {
    children(graph, mailbox, parent)?
        .into_iter()
        .find(|f| {
            f["displayName"]
                .as_str()
                .is_some_and(|d| d.eq_ignore_ascii_case(name))
        })
        .and_then(|f| f["id"].as_str().map(str::to_string))
        .ok_or_else(|| not_found(label, whole))
}

/// Breadth-first: the shallowest folder with that display name; two at the
/// same depth are ambiguous.
fn find_anywhere(
    graph: &Graph,
    mailbox: &Mailbox,
    name: &str,
    label: &str,
) -> Result<String, Error> {
    let mut queue: VecDeque<(Option<String>, String, usize)> =
        VecDeque::from([(None, String::new(), 0)]);
    let mut visited = 0;
    let mut found: Option<(usize, String, String)> = None;
    while let Some((parent, path, depth)) = queue.pop_front() {
        if found.as_ref().is_some_and(|(d, _, _)| depth > *d) || depth > MAX_DEPTH {
            break;
        }
        for f in children(graph, mailbox, parent.as_deref())? {
            visited += 1;
            let display = f["displayName"].as_str().unwrap_or("").to_string();
            let id = f["id"].as_str().unwrap_or("").to_string();
            let here = if path.is_empty() {
                display.clone()
            } else {
                format!("{path}/{display}")
            };
            if display.eq_ignore_ascii_case(name) {
                if let Some((_, _, other)) = &found {
                    return Err(Error::input(
                        label,
                        format!(
                            "more than one folder is named '{name}' ('{other}' and '{here}'): give the path or the folder id."
                        ),
                    ));
                }
                found = Some((depth, id.clone(), here.clone()));
            }
            if f["childFolderCount"].as_u64().unwrap_or(0) > 0 {
                queue.push_back((Some(id), here, depth + 1));
            }
        }
        if visited > MAX_FOLDERS_VISITED {
            break;
        }
    }
    found
        .map(|(_, id, _)| id)
        .ok_or_else(|| not_found(label, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str) -> Result<FolderRef, String> {
        FolderRef::parse("Mail Folders", v).map_err(|e| e.to_string())
    }

    #[test]
    fn classification() {
        assert_eq!(
            parse("Inbox").unwrap(),
            FolderRef::WellKnown("inbox".into())
        );
        assert_eq!(
            parse("AQMkADYAAAIBDAAAAA==").unwrap(),
            FolderRef::Id("AQMkADYAAAIBDAAAAA==".into())
        );
        assert_eq!(
            parse("Inbox/Phishing").unwrap(),
            FolderRef::Path(vec!["Inbox".into(), "Phishing".into()])
        );
        assert_eq!(
            parse("/Inbxo").unwrap(),
            FolderRef::Path(vec!["Inbxo".into()])
        );
        assert_eq!(
            parse("Junk Email").unwrap(),
            FolderRef::Name("Junk Email".into())
        );
        assert_eq!(
            parse("QuarantineReview").unwrap(),
            FolderRef::Name("QuarantineReview".into())
        );
        assert_eq!(parse("Phishing").unwrap().key(), "Phishing");
    }

    #[test]
    fn bad_references_name_the_parameter() {
        let e = parse("Inbxo").unwrap_err();
        assert!(
            e.starts_with("Mail Folders:") && e.contains("'inbox'"),
            "{e}"
        );
        assert!(parse("  ").unwrap_err().starts_with("Mail Folders:"));
        assert!(
            parse("Inbox//Phishing")
                .unwrap_err()
                .contains("empty folder name")
        );
    }
}
