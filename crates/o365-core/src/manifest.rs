//! The command catalogue `describe` returns: every implemented command, its parameters with
//! the vendor document's labels, and the least-privileged Graph permissions per grant type.
//! A command is listed here only once it is implemented.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Text,
    Boolean,
    Integer,
    TextList,
    DateTime,
    Choice,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: &'static str,
    pub label: &'static str,
    pub param_type: ParamType,
    pub required: bool,
    pub default_value: Option<&'static str>,
    pub example: Option<&'static str>,
    pub choices: &'static [&'static str],
    pub description: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    pub delegated: &'static [&'static str],
    pub application: &'static [&'static str],
    pub note: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInfo {
    pub name: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub deprecated: bool,
    pub parameters: Vec<Parameter>,
    pub permissions: Permissions,
}

pub const PLUGIN_NAME: &str = "Office 365";
pub const PLUGIN_VERSION: &str = env!("CARGO_PKG_VERSION");

const fn param(
    name: &'static str,
    label: &'static str,
    param_type: ParamType,
    required: bool,
) -> Parameter {
    Parameter {
        name,
        label,
        param_type,
        required,
        default_value: None,
        example: None,
        choices: &[],
        description: "",
    }
}

impl Parameter {
    const fn default(mut self, v: &'static str) -> Self {
        self.default_value = Some(v);
        self
    }
    const fn example(mut self, v: &'static str) -> Self {
        self.example = Some(v);
        self
    }
    const fn describe(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
}

/// A mailbox parameter's description, ending with the grant-type rule.
macro_rules! mailbox_rule {
    ($what:literal) => {
        concat!(
            $what,
            " May be left blank with the Authorization Code grant type (the signed-in user's mailbox); required with Client Credentials."
        )
    };
}

pub fn commands() -> Vec<CommandInfo> {
    use ParamType::*;
    vec![
        CommandInfo {
            name: "test-connection",
            label: "Test Connection",
            description: "Gets a token, makes one cheap Graph call, and reports per command whether the granted permissions suffice.",
            deprecated: false,
            parameters: vec![],
            permissions: Permissions {
                delegated: &[],
                application: &[],
                note: Some("Delegated connections need the offline_access scope. The report lists what every other command needs."),
            },
        },
        CommandInfo {
            name: "list-mail-folders",
            label: "List Mail Folders",
            description: "Retrieves a list of mail folders.",
            deprecated: false,
            parameters: vec![
                param("email-addresses", "Email Addresses or User IDs", TextList, false)
                    .example("[\"alex.wilber@contoso.example\"]")
                    .describe("The email addresses or user IDs for which to list mail folders. May be left blank with the Authorization Code grant type (the signed-in user's mailbox); required with Client Credentials."),
                param("include-hidden-folders", "Include Hidden Folders", Boolean, false)
                    .default("false")
                    .example("False")
                    .describe("Whether to include hidden folders in the returned list."),
                param("parent-folder-id", "Parent Folder ID", Text, false)
                    .example("Inbox")
                    .describe("The parent folder of the folders to retrieve: a folder id or a well-known name. By default the top-level folders (root, \"Top of Information Store\")."),
            ],
            permissions: Permissions {
                delegated: &["Mail.ReadBasic"],
                application: &["Mail.ReadBasic.All"],
                note: None,
            },
        },
        CommandInfo {
            name: "create-mail-folder",
            label: "Create Mail Folder",
            description: "Creates a new mail folder or sub folder in a user's mailbox.",
            deprecated: false,
            parameters: vec![
                param("email-address", "Email Address", Text, false)
                    .example("support@example.com")
                    .describe("The mailbox in which the new folder will be created. May be left blank with the Authorization Code grant type (the signed-in user's mailbox); required with Client Credentials."),
                param("destination-mail-folder-id", "Destination Mail Folder ID", Text, false)
                    .example("archive")
                    .describe("The name or ID of the parent mail folder. Empty: the folder is created at the top level. Use a well-known name (e.g. archive) or a folder id from List Mail Folders."),
                param("new-folder-name", "New Folder Name", Text, true)
                    .example("newFolder")
                    .describe("The display name of the new folder."),
                param("is-hidden", "Is Hidden", Boolean, false)
                    .default("false")
                    .example("True")
                    .describe("Whether the new folder is hidden. Can only be set at creation."),
            ],
            permissions: Permissions {
                delegated: &["Mail.ReadWrite"],
                application: &["Mail.ReadWrite"],
                note: None,
            },
        },
        CommandInfo {
            name: "fetch-event",
            label: "Fetch Event",
            description: "Returns emails of the given folders received between Start Time and End Time (UTC) as events, oldest first, with the vendor document's field mappings, enrichment of attached items and .eml files, authentication verdicts, and a cursor for the next run.",
            deprecated: false,
            parameters: vec![
                email_address(mailbox_rule!("The email address from which to fetch events.")),
                param("mail-folders", "Mail Folders", TextList, true)
                    .example("[\"inbox\", \"Inbox/Phishing\"]")
                    .describe("The folders to fetch from: folder ids, well-known names (inbox, junkemail, ...), display names (Phishing) or paths of display names (Inbox/Phishing; a leading '/' forces a path)."),
                param("start-time", "Start Time", DateTime, true)
                    .example("2022-01-09 00:00")
                    .describe("The start of the window, UTC: 2022-01-09 00:00 or ISO 8601 (2022-01-09T00:00:00Z)."),
                param("end-time", "End Time", DateTime, true)
                    .example("2023-01-06 00:00")
                    .describe("The end of the window, UTC, same formats."),
                param("number-of-events-fetched", "Number of Event(s) Fetched", Integer, false)
                    .default("10")
                    .example("10")
                    .describe("The maximum number of emails per folder, 1 to 1000; pages are followed until that many. With several folders the total is the sum."),
                param("filter", "Filter", Text, false)
                    .example("hasAttachments eq true and contains(subject, 'test')")
                    .describe("An OData $filter expression, combined with the time window. Leave empty when Search Condition is given."),
                param("search-condition", "Search Condition", Text, false)
                    .example("body:test or subject:test")
                    .describe("A KQL $search expression. Graph refuses $filter with $search, so the time window goes into the KQL by day and is then applied exactly. Leave empty when Filter is given."),
                param("tolerance-scope", "Tolerance Scope", Integer, false)
                    .default("0")
                    .example("10")
                    .describe("Minutes subtracted from Start Time so late-indexed emails are not lost: emails are fetched between Start Time - Tolerance Scope and End Time."),
                immutable_ids(),
                param("cursor", "Cursor", Json, false)
                    .example("{\"version\": 1, \"mailbox\": \"me\", \"folders\": {\"inbox\": {\"receivedDateTime\": \"2025-03-01T10:14:58Z\", \"ids\": [\"AAMk...\"]}}}")
                    .describe("The 'cursor' of the previous run's context data. Each folder then starts at the newest email the previous run delivered, without delivering it again: no email is skipped or duplicated between scheduled runs."),
            ],
            permissions: MAIL_READ,
        },
        CommandInfo {
            name: "fetch-related-events",
            label: "Fetch Related Events",
            description: "Returns the most recent emails of a folder from the last hours as events, newest first, with the same field mappings and enrichment as Fetch Event.",
            deprecated: false,
            parameters: vec![
                email_address(mailbox_rule!("The email address from which to fetch related events.")),
                param("mail-folder", "Mail Folder", Text, true)
                    .example("inbox")
                    .describe("The folder: a folder id, a well-known name, a display name or a path (Inbox/Phishing)."),
                param("the-hours-before", "The Hours Before", Integer, true)
                    .example("11")
                    .describe("The number of hours before the current time."),
                param("top-recent-event-number", "Top Recent Event Number", Integer, false)
                    .default("10")
                    .example("1")
                    .describe("The maximum number of the most recent emails, 1 to 1000."),
                param("filter", "Filter", Text, false)
                    .example("createdDateTime gt 2020-04-21")
                    .describe("An OData $filter expression. Leave empty when Search is given."),
                param("search", "Search", Text, false)
                    .example("body:excitement")
                    .describe("A KQL $search expression. Leave empty when Filter is given."),
                immutable_ids(),
            ],
            permissions: MAIL_READ,
        },
        CommandInfo {
            name: "get-email-attachments",
            label: "Get Email Attachments",
            description: "Retrieves the attachments of the given messages into the file store, with their hashes. Reference (cloud) attachments are returned as metadata; attachments over the size cap are reported as skipped. A message without attachments succeeds with no results.",
            deprecated: false,
            parameters: vec![
                mailboxes(mailbox_rule!("The email addresses or user IDs from which to retrieve email attachments.")),
                message_ids(),
                param("max-attachment-size-mb", "Max Attachment Size (MB)", Integer, false)
                    .default("25")
                    .example("25")
                    .describe("Attachments larger than this (1 to 40 MB) are skipped and reported with their size instead of failing the command."),
            ],
            permissions: MAIL_READ,
        },
        CommandInfo {
            name: "get-email-emls",
            label: "Get Email EMLs",
            description: "Retrieves emails in EML format into the file store and returns their file ids, names, sizes and hashes.",
            deprecated: false,
            parameters: vec![
                mailboxes(mailbox_rule!("The email addresses or user IDs from which to retrieve emails in EML format.")),
                message_ids(),
            ],
            permissions: MAIL_READ,
        },
        CommandInfo {
            name: "get-email-messages",
            label: "Get Email Messages",
            description: "Retrieves email messages by message id or internet message id, with their internet headers and authentication verdicts.",
            deprecated: false,
            parameters: vec![
                mailboxes(mailbox_rule!("The email addresses or user IDs from which to retrieve emails.")),
                message_ids(),
            ],
            permissions: MAIL_READ,
        },
        CommandInfo {
            name: "list-message-rules",
            label: "List Message Rules",
            description: "Retrieves the inbox rules of a mailbox and flags those that forward or redirect mail outside the mailbox's domain, delete mail, or hide it.",
            deprecated: false,
            parameters: vec![
                param("user-principal-name", "User Principal Name", Text, false)
                    .example("test@example.com")
                    .describe("The mailbox whose rules to list. May be left blank with the Authorization Code grant type (the signed-in user's mailbox); required with Client Credentials."),
                param("rule-name", "Rule Name", Text, false)
                    .example("forwarding")
                    .describe("Only the rule with this display name (case-insensitive). By default all rules are returned."),
            ],
            permissions: Permissions {
                delegated: &["MailboxSettings.Read"],
                application: &["MailboxSettings.Read"],
                note: None,
            },
        },
        CommandInfo {
            name: "search-office365-email",
            label: "Search Office 365 Email",
            description: "Deprecated: use Fetch Related Events or Get Email Messages. Searches a folder or the whole mailbox by Filter or Search Condition, newest first.",
            deprecated: true,
            parameters: vec![
                email_address(mailbox_rule!("The email address to search.")),
                param("mail-folder", "Mail Folder", Text, false)
                    .example("inbox")
                    .describe("The folder to search; empty searches the whole mailbox."),
                param("filter", "Filter", Text, false)
                    .example("contains(subject, 'invoice')")
                    .describe("An OData $filter expression. Leave empty when Search Condition is given."),
                param("search-condition", "Search Condition", Text, false)
                    .example("subject:invoice")
                    .describe("A KQL $search expression. Leave empty when Filter is given."),
                param("number-of-results", "Number of Results", Integer, false)
                    .default("10")
                    .example("10")
                    .describe("The maximum number of emails returned, 1 to 1000."),
            ],
            permissions: MAIL_READ,
        },
        CommandInfo {
            name: "get-eml-attachment",
            label: "Get EML Attachment",
            description: "Deprecated: use Get Email Attachments. Retrieves the attached messages of the given messages (item attachments and .eml files) as EML files.",
            deprecated: true,
            parameters: vec![
                mailboxes(mailbox_rule!("The email addresses or user IDs of the messages.")),
                message_ids(),
                param("max-attachment-size-mb", "Max Attachment Size (MB)", Integer, false)
                    .default("25")
                    .example("25")
                    .describe("Attached messages larger than this (1 to 40 MB) are skipped and reported with their size."),
            ],
            permissions: MAIL_READ,
        },
    ]
}

/// What every mail-reading command needs: bodies, headers and attachments
/// are beyond Mail.ReadBasic.
const MAIL_READ: Permissions = Permissions {
    delegated: &["Mail.Read"],
    application: &["Mail.Read"],
    note: None,
};

fn email_address(what: &'static str) -> Parameter {
    param("email-address", "Email Address", ParamType::Text, false)
        .example("test@example.com")
        .describe(what)
}

fn mailboxes(what: &'static str) -> Parameter {
    param(
        "email-addresses",
        "Email Addresses or User IDs",
        ParamType::TextList,
        false,
    )
    .example("[\"alex.wilber@contoso.example\"]")
    .describe(what)
}

fn message_ids() -> Parameter {
    param("message-ids", "Message IDs", ParamType::TextList, true)
        .example("[\"AAMkAGVmMDEz...AAA=\", \"<PH0PR11MB4998A1B2C3@PH0PR11MB4998.namprd11.prod.outlook.com>\"]")
        .describe("The ids of the messages ($value[*].id of Fetch Event) or their internet message ids; an internet message id returns every copy in the mailbox. Each must match the mailbox at the same index of Email Addresses or User IDs.")
}

fn immutable_ids() -> Parameter {
    param("use-immutable-ids", "Use Immutable IDs", ParamType::Boolean, false)
        .default("false")
        .example("True")
        .describe("Ask Graph for immutable ids (Prefer: IdType=\"ImmutableId\"): a message keeps its id when it is moved to another folder.")
}

pub fn command(name: &str) -> Option<CommandInfo> {
    commands().into_iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case() {
        let cmds = commands();
        for c in &cmds {
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{}",
                c.name
            );
            for p in &c.parameters {
                assert!(
                    p.name
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                    "{}",
                    p.name
                );
            }
        }
        let mut names: Vec<_> = cmds.iter().map(|c| c.name).collect();
        names.dedup();
        assert_eq!(names.len(), cmds.len());
    }
}
