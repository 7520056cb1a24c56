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
    ]
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
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-'),
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
