//! The tenant's data: directory objects and mailboxes. Pure data and
//! lookups; HTTP concerns live in `graph/`.

pub(crate) mod activity;
pub(crate) mod admin;
pub(crate) mod delta;
pub(crate) mod directory;
pub(crate) mod item;
pub(crate) mod mailbox;
pub(crate) mod message;
pub(crate) mod messages;
pub(crate) mod outbox;
pub(crate) mod rules;

use std::collections::HashMap;

pub(crate) use directory::{Directory, User};
pub(crate) use mailbox::{Folder, FolderKind, FolderLookup, Mailbox};
pub(crate) use message::{IdForm, Message};

/// The one simulated tenant.
#[derive(Clone, Debug)]
pub(crate) struct Tenant {
    pub id: String,
    /// Verified domain, also accepted in identity paths.
    pub domain: String,
    pub display_name: String,
}

impl Tenant {
    /// True for the tenant GUID or a verified domain (case-insensitive).
    pub(crate) fn matches(&self, key: &str) -> bool {
        key.eq_ignore_ascii_case(&self.id) || key.eq_ignore_ascii_case(&self.domain)
    }
}

/// Everything Graph routes read and write.
#[derive(Default)]
pub(crate) struct TenantData {
    pub directory: Directory,
    /// Keyed by user object id.
    pub mailboxes: HashMap<String, Mailbox>,
    /// Licenses, roles, mailbox settings, Send As rights, deleted users.
    pub admin: admin::AdminData,
    /// Upload sessions and threat assessment requests.
    pub activity: activity::Activity,
}
