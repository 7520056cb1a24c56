//! What a message holds: its properties and attachments. Pure data, shared by the store
//! (`message.rs`, which gives it Graph's views) and the MIME writer (`mime.rs`), so
//! neither of those two imports the other's module.

use serde_json::{Map, Value};

/// What an attachment carries.
#[derive(Clone, Debug)]
pub(crate) enum Content {
    /// A file; `contentBytes` in JSON, the raw bytes from `$value`.
    File {
        bytes: Vec<u8>,
        content_id: Option<String>,
        content_location: Option<String>,
    },
    /// An attached Outlook item (a message); `$value` is its MIME.
    Item(Box<Item>),
    /// A link to a file in the cloud; `$value` is refused (405).
    Reference {
        source_url: String,
        provider_type: String,
        permission: String,
        is_folder: bool,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Attachment {
    pub id: String,
    pub name: String,
    pub content_type: Option<String>,
    pub is_inline: bool,
    pub last_modified: String,
    pub content: Content,
}

/// A message's content: its Graph properties (no `id`, `parentFolderId`,
/// `hasAttachments` or `attachments`) and its attachments. Also what an item
/// attachment holds.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub props: Map<String, Value>,
    pub attachments: Vec<Attachment>,
}
