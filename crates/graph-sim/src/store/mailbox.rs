//! One user's mailbox: the folder tree. Messages live in `messages.rs`,
//! inbox rules in `rules.rs`.

use serde_json::{Value, json};

use super::message::Message;
use crate::ids;

/// Names Graph accepts in place of a folder id (reference §2.3).
pub(crate) const WELL_KNOWN_NAMES: &[&str] = &[
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

/// Search folders carry their query; plain mail folders carry nothing more.
#[derive(Clone, Debug)]
pub(crate) enum FolderKind {
    Mail,
    Search { filter_query: String },
}

#[derive(Clone, Debug)]
pub(crate) struct Folder {
    pub id: String,
    pub display_name: String,
    pub parent_id: String,
    pub well_known: Option<&'static str>,
    pub hidden: bool,
    /// Seeded counts; only search folders report them (mail folders count
    /// their messages).
    pub unread: u32,
    pub total: u32,
    pub size: u64,
    pub kind: FolderKind,
}

/// A sibling with the same display name exists (Graph: ErrorFolderExists).
#[derive(Debug)]
pub(crate) struct FolderExists;

/// Outcome of resolving a folder reference from a URL.
pub(crate) enum FolderLookup<'a> {
    Found(&'a Folder),
    /// Not a well-known name and not decodable as an id.
    Malformed,
    NotFound,
}

pub(crate) struct Mailbox {
    /// The owner's object id; folder ids embed it.
    pub owner_id: String,
    /// Id of the invisible non-IPM root that msgfolderroot hangs under.
    pub root_parent_id: String,
    folders: Vec<Folder>,
    created: u64,
    /// Every message, in insertion order (see `messages.rs`).
    pub(super) messages: Vec<Message>,
    /// Messages ever inserted, for stable per-mailbox seeds.
    pub(super) inserted: u64,
    /// Inbox rules as Graph messageRule JSON (see `rules.rs`).
    pub(super) rules: Vec<Value>,
    /// Change numbers and removals for delta query (see `delta.rs`).
    pub(super) changes: super::delta::Changes,
}

impl Mailbox {
    pub(crate) fn new(owner_id: &str) -> Self {
        Mailbox {
            owner_id: owner_id.to_string(),
            root_parent_id: ids::folder_id(owner_id, "root", true),
            folders: Vec::new(),
            created: 0,
            messages: Vec::new(),
            inserted: 0,
            rules: Vec::new(),
            changes: super::delta::Changes::default(),
        }
    }

    /// Adds a folder as seeded data (no duplicate check).
    pub(crate) fn seed(&mut self, folder: Folder) -> String {
        let id = folder.id.clone();
        self.folders.push(folder);
        id
    }

    pub(crate) fn all(&self) -> &[Folder] {
        &self.folders
    }

    /// Resolves a well-known name (case-insensitive) or a folder id.
    pub(crate) fn resolve(&self, key: &str) -> FolderLookup<'_> {
        let lower = key.to_ascii_lowercase();
        if WELL_KNOWN_NAMES.contains(&lower.as_str()) {
            return match self
                .folders
                .iter()
                .find(|f| f.well_known == Some(lower.as_str()))
            {
                Some(f) => FolderLookup::Found(f),
                None => FolderLookup::NotFound,
            };
        }
        if !ids::is_wellformed_id(key) {
            return FolderLookup::Malformed;
        }
        match self.folders.iter().find(|f| f.id == key) {
            Some(f) => FolderLookup::Found(f),
            None => FolderLookup::NotFound,
        }
    }

    pub(crate) fn root(&self) -> Option<&Folder> {
        self.folders
            .iter()
            .find(|f| f.well_known == Some("msgfolderroot"))
    }

    /// Children of a folder in display-name order, as Outlook lists them.
    pub(crate) fn children(&self, parent_id: &str, include_hidden: bool) -> Vec<&Folder> {
        let mut out: Vec<&Folder> = self
            .folders
            .iter()
            .filter(|f| f.parent_id == parent_id && (include_hidden || !f.hidden))
            .collect();
        out.sort_by(|a, b| {
            a.display_name
                .to_lowercase()
                .cmp(&b.display_name.to_lowercase())
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<&Folder> {
        self.folders.iter().find(|f| f.id == id)
    }

    /// Creates a child folder and returns its id; fails when the parent
    /// already has a child of that name (case-insensitive).
    pub(crate) fn create(
        &mut self,
        parent_id: &str,
        display_name: &str,
        hidden: bool,
    ) -> Result<String, FolderExists> {
        let clash = self.folders.iter().any(|f| {
            f.parent_id == parent_id && f.display_name.to_lowercase() == display_name.to_lowercase()
        });
        if clash {
            return Err(FolderExists);
        }
        self.created += 1;
        let seed = format!("created/{}/{parent_id}/{display_name}", self.created);
        let id = ids::folder_id(&self.owner_id, &seed, false);
        self.folders.push(Folder {
            id: id.clone(),
            display_name: display_name.to_string(),
            parent_id: parent_id.to_string(),
            well_known: None,
            hidden,
            unread: 0,
            total: 0,
            size: 0,
            kind: FolderKind::Mail,
        });
        Ok(id)
    }

    /// The folder as Graph's mailFolder (or mailSearchFolder) JSON.
    pub(crate) fn folder_json(&self, f: &Folder) -> Value {
        let child_count = self.folders.iter().filter(|c| c.parent_id == f.id).count();
        let (unread, total, size) = match f.kind {
            FolderKind::Search { .. } => (f.unread, f.total, f.size),
            FolderKind::Mail => self.counts(&f.id),
        };
        let mut v = json!({
            "id": f.id,
            "displayName": f.display_name,
            "parentFolderId": f.parent_id,
            "childFolderCount": child_count,
            "unreadItemCount": unread,
            "totalItemCount": total,
            "sizeInBytes": size,
            "isHidden": f.hidden,
        });
        if let FolderKind::Search { filter_query } = &f.kind {
            v["@odata.type"] = json!("#microsoft.graph.mailSearchFolder");
            v["isSupported"] = json!(true);
            v["filterQuery"] = json!(filter_query);
        }
        v
    }
}
