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

impl Parameter {
    const fn choices(mut self, c: &'static [&'static str]) -> Self {
        self.choices = c;
        self
    }
}

fn message_ids_param(description: &'static str) -> Parameter {
    param("message-ids", "Message IDs", ParamType::TextList, true)
        .example("[\"AAMkAGVmMDEz...AAA=\"]")
        .describe(description)
}

fn destination_param() -> Parameter {
    param("destination-mail-folder", "Destination Mail Folder", ParamType::Text, true)
        .example("archive")
        .describe("The folder's id, a well-known name (inbox, archive, junkemail, deleteditems, ...) or its display name (looked up in each mailbox).")
}

fn file_ids_param() -> Parameter {
    param("file-ids", "File IDs", ParamType::TextList, false)
        .example("[\"0f3c9a...\"]")
        .describe("Files of the platform's file store to attach; 3 MB and larger go through upload sessions (not offered in GCC High and DoD).")
}

fn file_source_param() -> Parameter {
    param("file-source", "File Source", ParamType::Choice, false)
        .choices(&["Incident Attachment File", "Playbook File", "Artifact File"])
        .default("Incident Attachment File")
        .example("Playbook File")
        .describe("Where the platform keeps the files.")
}

fn dry_run_param(description: &'static str) -> Parameter {
    param("dry-run", "Dry Run", ParamType::Boolean, false)
        .default("false")
        .describe(description)
}

/// Reply Mail and Reply All take the same parameters.
fn reply_params() -> Vec<Parameter> {
    use ParamType::*;
    vec![
        param("sender-email", "Sender Email", Text, false)
            .example("soc.analyst@contoso.example")
            .describe("The mailbox that answers. May be left blank with the Authorization Code grant type; required with Client Credentials."),
        param("message-id", "Message ID", Text, true)
            .example("AAMkAGVmMDEz...AAA=")
            .describe("The message to answer ($.value[*].id of Fetch Event, or its internetMessageId)."),
        param("subject", "Subject", Text, false)
            .example("Reply Email Test")
            .describe("Replaces the reply's subject (then the reply goes through a draft)."),
        param("content", "Content", Text, false).example("Test Email Message"),
        file_ids_param(),
        file_source_param(),
    ]
}

fn reply_permissions() -> Permissions {
    Permissions {
        delegated: &["Mail.Send"],
        application: &["Mail.Send"],
        note: Some(
            "With File IDs or a Subject the reply goes through a draft, which also needs Mail.ReadWrite.",
        ),
    }
}

fn mail_write() -> Permissions {
    Permissions {
        delegated: &["Mail.ReadWrite"],
        application: &["Mail.ReadWrite"],
        note: None,
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
                    .example("{\"version\": 2, \"mailbox\": \"me\", \"folders\": {\"inbox\": {\"delta\": {\"link\": \"https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=...\", \"page\": [], \"floor\": \"2025-03-01T00:00:00Z\", \"delivered\": [], \"forgotten\": null, \"backlog\": null}}}}")
                    .describe("The 'cursor' of the previous run's context data, unchanged. Without Filter and Search each folder then follows Graph's delta query: every email that came into the folder since the previous run (moved-in older ones too) is delivered once, and Start Time and End Time apply to the first run only. With Filter or Search each folder starts at the newest email the previous run delivered. No email is skipped or duplicated between scheduled runs."),
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
        CommandInfo {
            name: "move-or-copy-email-messages",
            label: "Move or Copy Email Messages",
            description: "Moves or copies the specified messages to the destination mail folder, 20 per JSON batch; returns each message's new id.",
            deprecated: false,
            parameters: vec![
                mailboxes(mailbox_rule!("The mailbox of each message, paired by index with Message IDs.")),
                message_ids_param("The messages to move or copy: Graph ids ($.value[*].id of Fetch Event) or internetMessageIds, each paired with the address at the same index."),
                destination_param(),
                param("move-or-copy", "Move or Copy", Choice, true)
                    .choices(&["Move", "Copy"])
                    .example("Move")
                    .describe("\"Move\" relocates the messages (they get new ids); \"Copy\" duplicates them into the destination."),
            ],
            permissions: mail_write(),
        },
        CommandInfo {
            name: "delete-email-message",
            label: "Delete Email Message",
            description: "Deletes the specified email messages (into Recoverable Items), 20 per JSON batch.",
            deprecated: false,
            parameters: vec![
                mailboxes(mailbox_rule!("The mailbox of each message, paired by index with Message IDs.")),
                message_ids_param("The messages to delete: Graph ids or internetMessageIds, each paired with the address at the same index."),
            ],
            permissions: mail_write(),
        },
        CommandInfo {
            name: "search-and-move-or-copy-email-messages",
            label: "Search and Move or Copy Email Messages",
            description: "Finds messages by subject and/or sender and moves or copies them to another folder; with Client Credentials and no Email Address, in every mailbox of the tenant.",
            deprecated: false,
            parameters: vec![
                email_address("The mailbox to search. Blank: the signed-in user's mailbox (Authorization Code), or every mailbox of the tenant (Client Credentials)."),
                param("email-subject", "Email Subject", Text, false)
                    .example("Microsoft Entra ID Protection Weekly Digest")
                    .describe("The exact subject of the messages. Email Subject, Sender Email Address, or both are required."),
                param("sender-email-address", "Sender Email Address", Text, false)
                    .example("billing@fabrikam-payments.example")
                    .describe("The sender's address of the messages."),
                destination_param(),
                param("move-or-copy", "Move or Copy", Choice, true)
                    .choices(&["Move", "Copy"])
                    .example("Move")
                    .describe("\"Move\" relocates the messages; \"Copy\" duplicates them into the destination."),
                param("dry-run", "Dry Run", Boolean, false)
                    .default("false")
                    .describe("List what would be moved or copied, and change nothing."),
            ],
            permissions: Permissions {
                delegated: &["Mail.ReadWrite"],
                application: &["Mail.ReadWrite", "User.ReadBasic.All"],
                note: Some("User.ReadBasic.All lists the tenant's users for a search without Email Address (Client Credentials)."),
            },
        },
        CommandInfo {
            name: "send-mail",
            label: "Send Mail",
            description: "Sends an email with optional attachments: a draft, its attachments (upload sessions from 3 MB), then one send, so a retry never sends it twice.",
            deprecated: false,
            parameters: vec![
                param("mailbox-address", "Mailbox Address", Text, false)
                    .example("soc@contoso.example")
                    .describe("The mailbox that sends. Required with Client Credentials; ignored with Authorization Code (the signed-in user sends)."),
                param("subject", "Subject", Text, true).example("Test Email"),
                param("content", "Content", Text, false)
                    .example("<p>Please confirm: <a href=\"<<EmailResponseLink>>\">respond</a></p>")
                    .describe("The HTML body. <<EmailResponseLink>> is replaced by the platform's response link for this mail."),
                param("to-recipients", "To Recipients", TextList, true)
                    .example("[\"alex.wilber@contoso.example\"]")
                    .describe("Addresses, or Name <address>."),
                param("cc-recipients", "CC Recipients", TextList, false)
                    .describe("Only with Reply Mode No Reply."),
                param("bcc-recipients", "BCC Recipients", TextList, false)
                    .describe("Only with Reply Mode No Reply."),
                file_ids_param(),
                file_source_param(),
                param("reply-mode", "Reply Mode", Choice, false)
                    .choices(&["No Reply", "Require Reply", "Require All Reply", "Require Approval", "Require All Approval", "First to Approve / Reject"])
                    .default("No Reply")
                    .example("Require Reply")
                    .describe("Every mode but No Reply waits for answers: the result carries a reply-tracking record (conversation id, internetMessageId, due time)."),
                param("reply-due-time", "Reply Due Time", Integer, false)
                    .default("60")
                    .example("10")
                    .describe("Minutes to wait for a reply."),
                param("send-as", "Send As", Text, false)
                    .example("johndoe@example.com")
                    .describe("The From address; the mailbox needs Send As rights for it."),
                param("reply-to", "Reply To", TextList, false)
                    .describe("Addresses replies go to."),
            ],
            permissions: Permissions {
                delegated: &["Mail.Send", "Mail.ReadWrite"],
                application: &["Mail.Send", "Mail.ReadWrite"],
                note: Some("Mail.ReadWrite creates the draft the mail is sent from."),
            },
        },
        CommandInfo {
            name: "reply-mail",
            label: "Reply Mail",
            description: "Replies to the sender of a message.",
            deprecated: false,
            parameters: reply_params(),
            permissions: reply_permissions(),
        },
        CommandInfo {
            name: "reply-all",
            label: "Reply All",
            description: "Replies to all recipients of a message.",
            deprecated: false,
            parameters: reply_params(),
            permissions: reply_permissions(),
        },
        CommandInfo {
            name: "report-emails",
            label: "Report Emails",
            description: "Reports emails as phishing or spam through Graph threat assessment requests. Authorization Code connections only.",
            deprecated: false,
            parameters: vec![
                param("user-id-or-email-address", "User ID or Email Address", Text, true)
                    .example("soc.analyst@contoso.example")
                    .describe("The signed-in account of the connection: only its messages can be reported."),
                message_ids_param("The messages to report: Graph ids or internetMessageIds. Each message can be reported once (per 15 minutes, three times a day)."),
                param("category", "Category", Choice, false)
                    .choices(&["Phishing", "Spam"])
                    .default("Phishing")
                    .example("Phishing"),
            ],
            permissions: Permissions {
                delegated: &["ThreatAssessment.ReadWrite.All", "Mail.Read", "User.Read"],
                application: &[],
                note: Some("Delegated only: Graph has no application permission for threat assessment requests, so Client Credentials connections cannot run this command."),
            },
        },
        CommandInfo {
            name: "setup-auto-reply",
            label: "Setup Auto Reply",
            description: "Configures the automatic replies of the specified accounts; settings not given keep their current value.",
            deprecated: false,
            parameters: vec![
                param("user-ids", "User IDs Or User Principal Names", TextList, true)
                    .example("[\"alex.wilber@contoso.example\"]"),
                param("status", "Status", Choice, false)
                    .choices(&["Always Enabled", "Scheduled", "Disabled"])
                    .default("Always Enabled")
                    .example("Scheduled"),
                param("scheduled-start-time", "Scheduled Start Time", DateTime, false)
                    .example("2023-10-10 00:00")
                    .describe("UTC. Default: the current scheduled start time."),
                param("scheduled-end-time", "Scheduled End Time", DateTime, false)
                    .example("2023-10-20 00:00")
                    .describe("UTC. Default: the current scheduled end time."),
                param("internal-reply-message", "Internal Reply Message", Text, false)
                    .describe("HTML for senders inside the organization. Default: the current message."),
                param("external-reply-message", "External Reply Message", Text, false)
                    .describe("HTML for senders outside the organization. Default: the current message."),
            ],
            permissions: Permissions {
                delegated: &["MailboxSettings.ReadWrite"],
                application: &["MailboxSettings.ReadWrite"],
                note: Some("With Authorization Code only the signed-in user's own settings can be changed."),
            },
        },
        CommandInfo {
            name: "delete-user-accounts",
            label: "Delete User Accounts",
            description: "Deletes the specified user accounts (restorable for 30 days).",
            deprecated: false,
            parameters: vec![
                param("user-ids", "User IDs Or User Principal Names", TextList, true)
                    .example("[\"alex.wilber@contoso.example\"]"),
                dry_run_param("Report which users would be deleted, and delete nothing."),
            ],
            permissions: Permissions {
                delegated: &["Directory.AccessAsUser.All"],
                application: &["User.ReadWrite.All"],
                note: Some("The signed-in user needs User Administrator, Privileged Authentication Administrator or Global Administrator; users holding admin roles need a higher role (app-only cannot delete them)."),
            },
        },
        CommandInfo {
            name: "remove-licenses",
            label: "Remove Licenses",
            description: "Removes all licenses from the specified users; licenses inherited from a group are reported as failures with Graph's reason.",
            deprecated: false,
            parameters: vec![
                param("user-ids", "User ID or Email Address", TextList, true)
                    .example("[\"alex.wilber@contoso.example\"]"),
                dry_run_param("Report which licenses would be removed, and remove nothing."),
            ],
            permissions: Permissions {
                delegated: &["User.ReadWrite.All"],
                application: &["User.ReadWrite.All"],
                note: Some("Delegated callers also need the License Administrator or User Administrator role."),
            },
        },
        CommandInfo {
            name: "move-email-to-junk-box",
            label: "Move Email to junk box",
            description: "Deprecated: use Move or Copy Email Messages with the folder junkemail.",
            deprecated: true,
            parameters: vec![
                mailboxes(mailbox_rule!("The mailbox of each message, paired by index with Message IDs.")),
                message_ids_param("The messages to move to Junk Email."),
            ],
            permissions: mail_write(),
        },
        CommandInfo {
            name: "remove-office365-email",
            label: "Remove Office 365 Email",
            description: "Deprecated: use Delete Email Message.",
            deprecated: true,
            parameters: vec![
                mailboxes(mailbox_rule!("The mailbox of each message, paired by index with Message IDs.")),
                message_ids_param("The messages to delete."),
            ],
            permissions: mail_write(),
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

/// The description `describe` shows: the command's own, then its overall time
/// limit ([`crate::commands::COMMAND_DEADLINE`]), which every command has.
pub fn full_description(c: &CommandInfo) -> String {
    format!(
        "{} Ends after {} s at most: a slow or silent server stops it with a message, and what was done before stays in the result.",
        c.description,
        crate::commands::COMMAND_DEADLINE.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_state_the_deadline() {
        let c = command("list-mail-folders").unwrap();
        assert!(full_description(&c).ends_with(
            "Ends after 300 s at most: a slow or silent server stops it with a message, and what was done before stays in the result."
        ));
    }

    #[test]
    fn every_choice_parameter_lists_its_choices() {
        for c in commands() {
            for p in &c.parameters {
                assert_eq!(
                    p.param_type == ParamType::Choice,
                    !p.choices.is_empty(),
                    "{} {}",
                    c.name,
                    p.name
                );
            }
        }
    }

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
