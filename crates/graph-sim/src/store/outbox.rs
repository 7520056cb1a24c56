//! Outgoing mail: drafts, replies built from an original, and sending, which moves the
//! draft to Sent Items (a new id, as in Exchange) and delivers a copy to every recipient
//! that is a mailbox of the tenant.

use serde_json::{Map, Value, json};

use super::TenantData;
use super::directory::User;
use super::mailbox::{FolderLookup, Mailbox};
use super::message::{Attachment, Item, Message};
use super::messages::MessageError;
use crate::{ids, time};

/// Why a send was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendError {
    Message(MessageError),
    NotDraft,
    NoRecipients,
    /// The mailbox has no Send As right for this address.
    SendAsDenied(String),
}

/// `{"emailAddress": {"name", "address"}}` of a user.
pub(crate) fn address_of(user: &User) -> Value {
    let address = user
        .props
        .get("mail")
        .and_then(Value::as_str)
        .unwrap_or(&user.upn)
        .to_string();
    let name = user
        .props
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or(&address)
        .to_string();
    json!({"emailAddress": {"name": name, "address": address}})
}

fn address(r: &Value) -> String {
    r["emailAddress"]["address"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn folder_id(mbx: &Mailbox, well_known: &str) -> Result<String, MessageError> {
    match mbx.resolve(well_known) {
        FolderLookup::Found(f) => Ok(f.id.clone()),
        _ => Err(MessageError::FolderNotFound),
    }
}

impl Mailbox {
    /// A message to change: it counts as updated for delta query.
    pub(crate) fn message_mut(&mut self, id: &str) -> Option<&mut Message> {
        let m = self.messages.iter_mut().find(|m| m.has_id(id))?;
        m.changed = self.changes.next();
        Some(m)
    }

    /// A new message in `folder_id` holding `item` (new ids, new attachment ids).
    pub(crate) fn insert_copy(&mut self, folder_id: &str, mut item: Item) -> &Message {
        self.inserted += 1;
        let immutable = ids::immutable_id(&self.owner_id, &format!("m/{}", self.inserted));
        for (i, a) in item.attachments.iter_mut().enumerate() {
            a.id = ids::attachment_id(&immutable, i);
        }
        self.insert_item(folder_id, immutable, item)
    }

    /// Adds an attachment to a message; returns the attachment's id.
    pub(crate) fn add_attachment(
        &mut self,
        message_id: &str,
        mut attachment: Attachment,
    ) -> Result<String, MessageError> {
        let m = self.message_mut(message_id).ok_or(MessageError::NotFound)?;
        attachment.id = ids::attachment_id(&m.immutable_id, m.item.attachments.len());
        let id = attachment.id.clone();
        m.item.attachments.push(attachment);
        m.item
            .props
            .insert("lastModifiedDateTime".into(), json!(time::iso(now())));
        Ok(id)
    }
}

fn now() -> i64 {
    time::now_unix() as i64
}

/// A draft from Graph message JSON, in `folder_id` (Drafts unless a folder was named).
pub(crate) fn new_draft(
    mbx: &mut Mailbox,
    owner: &User,
    folder: Option<&str>,
    given: &Map<String, Value>,
) -> Result<String, MessageError> {
    let folder = match folder {
        Some(f) => f.to_string(),
        None => folder_id(mbx, "drafts")?,
    };
    let mut v = given.clone();
    let stamp = json!(time::iso(now()));
    v.entry("from").or_insert_with(|| address_of(owner));
    v.insert("receivedDateTime".into(), stamp.clone());
    v.insert("sentDateTime".into(), stamp);
    v.insert("isDraft".into(), json!(true));
    v.insert("isRead".into(), json!(true));
    v.entry("body")
        .or_insert_with(|| json!({"contentType": "html", "content": ""}));
    let m = mbx.insert_message(&folder, &Value::Object(v))?;
    Ok(m.rest_id.clone())
}

/// The draft of a reply (or reply-all) to `original_id`, with `comment` above the quote.
pub(crate) fn reply_draft(
    mbx: &mut Mailbox,
    owner: &User,
    original_id: &str,
    all: bool,
    comment: &str,
) -> Result<String, MessageError> {
    let original = mbx
        .message(original_id)
        .ok_or(MessageError::NotFound)?
        .item
        .props
        .clone();
    let me = address(&address_of(owner));
    let list = |k: &str| {
        original
            .get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut to: Vec<Value> = match list("replyTo") {
        r if !r.is_empty() => r,
        _ => original.get("from").cloned().into_iter().collect(),
    };
    let mut cc = Vec::new();
    if all {
        for r in list("toRecipients") {
            if address(&r) != me && !to.iter().any(|t| address(t) == address(&r)) {
                to.push(r);
            }
        }
        cc = list("ccRecipients")
            .into_iter()
            .filter(|r| address(r) != me)
            .collect();
    }
    let subject = original
        .get("subject")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let subject = if subject.to_ascii_lowercase().starts_with("re:") {
        subject.to_string()
    } else {
        format!("RE: {subject}")
    };
    let quoted = original["body"]["content"].as_str().unwrap_or_default();
    let from = original["from"]["emailAddress"]["address"]
        .as_str()
        .unwrap_or_default();
    let body = format!(
        "<html><body><div>{comment}</div><hr><div><b>From:</b> {from}<br><b>Subject:</b> {}</div>{quoted}</body></html>",
        original
            .get("subject")
            .and_then(Value::as_str)
            .unwrap_or_default()
    );
    let mut draft = Map::new();
    draft.insert("subject".into(), json!(subject));
    draft.insert(
        "body".into(),
        json!({"contentType": "html", "content": body}),
    );
    draft.insert("toRecipients".into(), json!(to));
    draft.insert("ccRecipients".into(), json!(cc));
    if let Some(c) = original.get("conversationId").filter(|c| c.is_string()) {
        draft.insert("conversationId".into(), c.clone());
    }
    new_draft(mbx, owner, None, &draft)
}

/// Sends the draft `draft_id` of `owner_id`'s mailbox; returns its id in Sent Items.
pub(crate) fn send(
    data: &mut TenantData,
    owner_id: &str,
    draft_id: &str,
) -> Result<String, SendError> {
    let owner = data
        .directory
        .find(owner_id)
        .cloned()
        .ok_or(SendError::Message(MessageError::NotFound))?;
    let mbx = data
        .mailboxes
        .get(owner_id)
        .ok_or(SendError::Message(MessageError::NotFound))?;
    let draft = mbx
        .message(draft_id)
        .ok_or(SendError::Message(MessageError::NotFound))?;
    if draft.item.props.get("isDraft") != Some(&json!(true)) {
        return Err(SendError::NotDraft);
    }
    let props = &draft.item.props;
    let from = address(&props["from"]);
    let own = address(&address_of(&owner));
    if from != own
        && !data
            .admin
            .send_as
            .get(owner_id)
            .is_some_and(|list| list.iter().any(|a| a.eq_ignore_ascii_case(&from)))
    {
        return Err(SendError::SendAsDenied(from));
    }
    let recipients: Vec<String> = ["toRecipients", "ccRecipients", "bccRecipients"]
        .iter()
        .flat_map(|k| props[*k].as_array().cloned().unwrap_or_default())
        .map(|r| address(&r))
        .filter(|a| !a.is_empty())
        .collect();
    if recipients.is_empty() {
        return Err(SendError::NoRecipients);
    }
    let stamp = json!(time::iso(now()));

    // The draft itself becomes the Sent Items copy: it moves, so its id changes.
    let mbx = data.mailboxes.get_mut(owner_id).expect("checked");
    let sent_folder = folder_id(mbx, "sentitems").map_err(SendError::Message)?;
    let sent_id = mbx
        .move_message(draft_id, &sent_folder)
        .map_err(SendError::Message)?
        .rest_id
        .clone();
    let m = mbx.message_mut(&sent_id).expect("just moved");
    for (k, v) in [
        ("isDraft", json!(false)),
        ("sentDateTime", stamp.clone()),
        ("receivedDateTime", stamp.clone()),
        ("sender", address_of(&owner)),
    ] {
        m.item.props.insert(k.into(), v);
    }
    let mut copy = m.item.clone();
    copy.props.insert("isRead".into(), json!(false));
    copy.props.insert("bccRecipients".into(), json!([]));

    let mut seen: Vec<String> = Vec::new();
    for r in recipients {
        let Some(user) = data.directory.all().iter().find(|u| {
            u.upn.eq_ignore_ascii_case(&r)
                || u.props
                    .get("mail")
                    .and_then(Value::as_str)
                    .is_some_and(|m| m.eq_ignore_ascii_case(&r))
        }) else {
            continue; // outside the tenant: gone to the internet
        };
        if seen.contains(&user.id) {
            continue;
        }
        seen.push(user.id.clone());
        let Some(rmbx) = data.mailboxes.get_mut(&user.id) else {
            continue;
        };
        let Ok(inbox) = folder_id(rmbx, "inbox") else {
            continue;
        };
        rmbx.insert_copy(&inbox, copy.clone());
    }
    Ok(sent_id)
}
