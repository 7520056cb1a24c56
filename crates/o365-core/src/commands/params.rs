//! Parameters and permissions several commands declare alike.

use crate::spec::{ParamType, Parameter, Permissions, param};

/// A mailbox parameter's description, ending with the grant-type rule.
macro_rules! mailbox_rule {
    ($what:literal) => {
        concat!(
            $what,
            " May be left blank with the Authorization Code grant type (the signed-in user's mailbox); required with Client Credentials."
        )
    };
}
pub(crate) use mailbox_rule;

pub const fn message_ids_param(description: &'static str) -> Parameter {
    param("message-ids", "Message IDs", ParamType::TextList, true)
        .example("[\"AAMkAGVmMDEz...AAA=\"]")
        .describe(description)
}

pub const fn destination_param() -> Parameter {
    param("destination-mail-folder", "Destination Mail Folder", ParamType::Text, true)
        .example("archive")
        .describe("The folder's id, a well-known name (inbox, archive, junkemail, deleteditems, ...) or its display name (looked up in each mailbox).")
}

pub const fn file_ids_param() -> Parameter {
    param("file-ids", "File IDs", ParamType::TextList, false)
        .example("[\"0f3c9a...\"]")
        .describe("Files of the platform's file store to attach; 3 MB and larger go through upload sessions (not offered in GCC High and DoD).")
}

pub const fn file_source_param() -> Parameter {
    param("file-source", "File Source", ParamType::Choice, false)
        .choices(&["Incident Attachment File", "Playbook File", "Artifact File"])
        .default("Incident Attachment File")
        .example("Playbook File")
        .describe("Where the platform keeps the files.")
}

pub const fn dry_run_param(description: &'static str) -> Parameter {
    param("dry-run", "Dry Run", ParamType::Boolean, false)
        .default("false")
        .describe(description)
}

pub const MAIL_WRITE: Permissions = Permissions {
    delegated: &["Mail.ReadWrite"],
    application: &["Mail.ReadWrite"],
    note: None,
};

/// What every mail-reading command needs: bodies, headers and attachments
/// are beyond Mail.ReadBasic.
pub const MAIL_READ: Permissions = Permissions {
    delegated: &["Mail.Read"],
    application: &["Mail.Read"],
    note: None,
};

pub const fn email_address(what: &'static str) -> Parameter {
    param("email-address", "Email Address", ParamType::Text, false)
        .example("test@example.com")
        .describe(what)
}

pub const fn mailboxes(what: &'static str) -> Parameter {
    param(
        "email-addresses",
        "Email Addresses or User IDs",
        ParamType::TextList,
        false,
    )
    .example("[\"alex.wilber@contoso.example\"]")
    .describe(what)
}

pub const fn message_ids() -> Parameter {
    param("message-ids", "Message IDs", ParamType::TextList, true)
        .example("[\"AAMkAGVmMDEz...AAA=\", \"<PH0PR11MB4998A1B2C3@PH0PR11MB4998.namprd11.prod.outlook.com>\"]")
        .describe("The ids of the messages ($value[*].id of Fetch Event) or their internet message ids; an internet message id returns every copy in the mailbox. Each must match the mailbox at the same index of Email Addresses or User IDs.")
}

pub const fn immutable_ids() -> Parameter {
    param("use-immutable-ids", "Use Immutable IDs", ParamType::Boolean, false)
        .default("false")
        .example("True")
        .describe("Ask Graph for immutable ids (Prefer: IdType=\"ImmutableId\"): a message keeps its id when it is moved to another folder.")
}
