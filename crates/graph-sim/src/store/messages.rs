//! The messages of a mailbox: insert, look up, move, copy, delete, and the
//! live counts folders report. Other resources (issue 4's move/copy/delete
//! routes, sendMail, drafts) build on these operations.

use serde_json::{Value, json};

use super::mailbox::{FolderLookup, Mailbox};
use super::message::{Item, Message};
use crate::{ids, time};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MessageError {
    /// No message with that id (REST or immutable) in this mailbox.
    NotFound,
    /// The destination folder does not exist.
    FolderNotFound,
    /// The message JSON could not be used.
    Bad(String),
}

impl Mailbox {
    pub(crate) fn messages(&self) -> &[Message] {
        &self.messages
    }

    pub(crate) fn messages_in<'a>(
        &'a self,
        folder_id: &'a str,
    ) -> impl Iterator<Item = &'a Message> {
        self.messages
            .iter()
            .filter(move |m| m.folder_id == folder_id)
    }

    /// A message by REST id or immutable id.
    pub(crate) fn message(&self, id: &str) -> Option<&Message> {
        self.messages.iter().find(|m| m.has_id(id))
    }

    fn index_of(&self, id: &str) -> Result<usize, MessageError> {
        self.messages
            .iter()
            .position(|m| m.has_id(id))
            .ok_or(MessageError::NotFound)
    }

    /// A folder for inserting: well-known name, id, or a display-name path
    /// below the root (`Inbox/Phishing`), case-insensitive.
    pub(crate) fn folder_for(&self, key: &str) -> Option<String> {
        if let FolderLookup::Found(f) = self.resolve(key) {
            return Some(f.id.clone());
        }
        let mut parent = self.root()?.id.clone();
        for name in key.split('/').filter(|s| !s.is_empty()) {
            let child = self
                .all()
                .iter()
                .find(|f| f.parent_id == parent && f.display_name.eq_ignore_ascii_case(name))?;
            parent = child.id.clone();
        }
        Some(parent)
    }

    /// Adds a message built from Graph JSON to a folder (given by id).
    pub(crate) fn insert_message(
        &mut self,
        folder_id: &str,
        message: &Value,
    ) -> Result<&Message, MessageError> {
        if self.by_id(folder_id).is_none() {
            return Err(MessageError::FolderNotFound);
        }
        self.inserted += 1;
        let immutable = ids::immutable_id(&self.owner_id, &format!("m/{}", self.inserted));
        let now = time::iso(time::now_unix() as i64);
        let item =
            Item::from_json(message, &immutable, &now).map_err(|e| MessageError::Bad(e.0))?;
        Ok(self.insert_item(folder_id, immutable, item))
    }

    /// Adds an already built item under the given immutable id.
    pub(crate) fn insert_item(
        &mut self,
        folder_id: &str,
        immutable_id: String,
        item: Item,
    ) -> &Message {
        let received = item
            .props
            .get("receivedDateTime")
            .and_then(Value::as_str)
            .and_then(time::parse_iso)
            .unwrap_or(0);
        let seq = self.changes.next();
        self.messages.push(Message {
            rest_id: ids::message_id(&self.owner_id, &immutable_id, folder_id, 0),
            immutable_id,
            folder_id: folder_id.to_string(),
            moves: 0,
            received,
            item,
            arrived: seq,
            changed: seq,
        });
        self.messages.last().expect("just pushed")
    }

    /// Moves a message: it gets a new REST id (its immutable id stays).
    pub(crate) fn move_message(
        &mut self,
        id: &str,
        dest_folder_id: &str,
    ) -> Result<&Message, MessageError> {
        if self.by_id(dest_folder_id).is_none() {
            return Err(MessageError::FolderNotFound);
        }
        let i = self.index_of(id)?;
        let owner = self.owner_id.clone();
        let left = &self.messages[i];
        let seq = self.changes.remove(left, super::delta::Reason::Changed);
        let m = &mut self.messages[i];
        m.arrived = seq;
        m.changed = seq;
        m.moves += 1;
        m.folder_id = dest_folder_id.to_string();
        m.rest_id = ids::message_id(&owner, &m.immutable_id, dest_folder_id, m.moves);
        m.item.props.insert(
            "lastModifiedDateTime".into(),
            json!(time::iso(time::now_unix() as i64)),
        );
        Ok(&self.messages[i])
    }

    /// Copies a message into a folder: a new message with new ids (the
    /// internetMessageId stays, as with Exchange copies).
    pub(crate) fn copy_message(
        &mut self,
        id: &str,
        dest_folder_id: &str,
    ) -> Result<&Message, MessageError> {
        if self.by_id(dest_folder_id).is_none() {
            return Err(MessageError::FolderNotFound);
        }
        let mut item = self.messages[self.index_of(id)?].item.clone();
        self.inserted += 1;
        let immutable = ids::immutable_id(&self.owner_id, &format!("m/{}", self.inserted));
        for (i, a) in item.attachments.iter_mut().enumerate() {
            a.id = ids::attachment_id(&immutable, i);
        }
        let now = json!(time::iso(time::now_unix() as i64));
        item.props.insert("createdDateTime".into(), now.clone());
        item.props.insert("lastModifiedDateTime".into(), now);
        Ok(self.insert_item(dest_folder_id, immutable, item))
    }

    /// What `DELETE .../messages/{id}` does in Exchange Online: a soft delete
    /// into Recoverable Items (`recoverableitemsdeletions`), with a new id.
    pub(crate) fn delete_message(&mut self, id: &str) -> Result<&Message, MessageError> {
        let FolderLookup::Found(dumpster) = self.resolve("recoverableitemsdeletions") else {
            return Err(MessageError::FolderNotFound);
        };
        let dumpster = dumpster.id.clone();
        self.move_message(id, &dumpster)
    }

    /// Removes a message for good (a purge).
    pub(crate) fn remove_message(&mut self, id: &str) -> Result<Message, MessageError> {
        let i = self.index_of(id)?;
        self.changes
            .remove(&self.messages[i], super::delta::Reason::Deleted);
        Ok(self.messages.remove(i))
    }

    /// (unread, total, size in bytes) of the messages in a folder.
    pub(crate) fn counts(&self, folder_id: &str) -> (u32, u32, u64) {
        self.messages_in(folder_id).fold((0, 0, 0), |(u, t, s), m| {
            let unread = m.item.props.get("isRead") != Some(&json!(true));
            (u + u32::from(unread), t + 1, s + m.size())
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::{Folder, FolderKind, IdForm};

    /// A mailbox with Inbox and Junk Email (their ids returned) under the root, and the
    /// recoverable-items folder a hard delete goes to; the delta tests use it too.
    pub(crate) fn mailbox() -> (Mailbox, String, String) {
        let mut m = Mailbox::new("b5a1d6c2-4e3f-4a7b-8c9d-0e1f2a3b4c5d");
        let root_parent = m.root_parent_id.clone();
        let folder = |name: &str, wk: Option<&'static str>, parent: &str| Folder {
            id: ids::folder_id("b5a1d6c2-4e3f-4a7b-8c9d-0e1f2a3b4c5d", name, wk.is_some()),
            display_name: name.into(),
            parent_id: parent.into(),
            well_known: wk,
            hidden: false,
            unread: 0,
            total: 0,
            size: 0,
            kind: FolderKind::Mail,
        };
        let root = m.seed(folder("Top", Some("msgfolderroot"), &root_parent));
        let inbox = m.seed(folder("Inbox", Some("inbox"), &root));
        let junk = m.seed(folder("Junk Email", Some("junkemail"), &root));
        m.seed(folder(
            "Deletions",
            Some("recoverableitemsdeletions"),
            &root_parent,
        ));
        (m, inbox, junk)
    }

    #[test]
    fn move_changes_the_rest_id_but_not_the_immutable_id() {
        let (mut m, inbox, junk) = mailbox();
        let first = m
            .insert_message(
                &inbox,
                &json!({"subject": "a", "receivedDateTime": "2025-03-01T10:00:00Z"}),
            )
            .unwrap()
            .clone();
        assert_eq!(m.counts(&inbox), (1, 1, m.messages()[0].size()));
        let moved = m.move_message(&first.rest_id, &junk).unwrap().clone();
        assert_ne!(moved.rest_id, first.rest_id);
        assert_eq!(moved.immutable_id, first.immutable_id);
        assert!(
            m.message(&first.rest_id).is_none(),
            "the old REST id is gone"
        );
        assert!(m.message(&first.immutable_id).is_some());
        assert_eq!(
            moved.to_json(IdForm::Immutable)["id"],
            json!(first.immutable_id)
        );
        assert_eq!(m.counts(&inbox).1, 0);

        let copy = m.copy_message(&moved.rest_id, &inbox).unwrap().clone();
        assert_ne!(copy.immutable_id, moved.immutable_id);
        assert_eq!(
            copy.item.props["internetMessageId"],
            moved.item.props["internetMessageId"]
        );

        let deleted = m.delete_message(&copy.rest_id).unwrap().clone();
        assert_ne!(deleted.folder_id, inbox);
        assert_eq!(
            m.remove_message(&deleted.immutable_id)
                .unwrap()
                .immutable_id,
            copy.immutable_id
        );
        assert_eq!(m.messages().len(), 1);
        assert_eq!(
            m.move_message("nope", &junk).unwrap_err(),
            MessageError::NotFound
        );
        assert_eq!(m.folder_for("inbox"), Some(inbox.clone()));
        assert_eq!(m.folder_for("Junk Email"), Some(junk));
    }
}
