//! The command catalogue `describe` returns, assembled from each command's own
//! [`CommandSpec`] (`SPEC` in `commands/*.rs`). A command is listed here only once it is
//! implemented.

use crate::commands::{
    create_mail_folder, delete_message, delete_users, fetch_event, fetch_related_events,
    get_email_attachments, get_email_emls, get_email_messages, list_mail_folders,
    list_message_rules, move_copy, remove_licenses, reply, report_emails, search_email,
    search_move, send_mail, setup_auto_reply, test_connection,
};
pub use crate::spec::{CommandSpec, ParamType, Parameter, Permissions};

pub const PLUGIN_NAME: &str = "Office 365";
pub const PLUGIN_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every command, in the manifest's order.
const COMMANDS: &[&CommandSpec] = &[
    &test_connection::SPEC,
    &list_mail_folders::SPEC,
    &create_mail_folder::SPEC,
    &fetch_event::SPEC,
    &fetch_related_events::SPEC,
    &get_email_attachments::SPEC,
    &get_email_emls::SPEC,
    &get_email_messages::SPEC,
    &list_message_rules::SPEC,
    &search_email::SPEC,
    &get_email_attachments::EML_SPEC,
    &move_copy::SPEC,
    &delete_message::SPEC,
    &search_move::SPEC,
    &send_mail::SPEC,
    &reply::REPLY_SPEC,
    &reply::REPLY_ALL_SPEC,
    &report_emails::SPEC,
    &setup_auto_reply::SPEC,
    &delete_users::SPEC,
    &remove_licenses::SPEC,
    &move_copy::JUNK_SPEC,
    &delete_message::REMOVE_SPEC,
];

pub fn commands() -> &'static [&'static CommandSpec] {
    COMMANDS
}

pub fn command(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().copied().find(|c| c.name == name)
}

/// The description `describe` shows: the command's own, then its overall time
/// limit ([`crate::commands::COMMAND_DEADLINE`]), which every command has.
pub fn full_description(c: &CommandSpec) -> String {
    format!(
        "{} Ends after {} s at most: a slow or silent server stops it with a message, and what was done before stays in the result.",
        c.description,
        crate::commands::COMMAND_DEADLINE.as_secs()
    )
}

/// Names given twice: commands, and each command's parameters and labels.
pub fn duplicates(commands: &[&CommandSpec]) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for c in commands {
        if !seen.insert(c.name) {
            out.push(format!("command {}", c.name));
        }
        let mut params = std::collections::BTreeSet::new();
        let mut labels = std::collections::BTreeSet::new();
        for p in c.parameters {
            if !params.insert(p.name) {
                out.push(format!("{} parameter {}", c.name, p.name));
            }
            if !labels.insert(p.label.to_ascii_lowercase()) {
                out.push(format!("{} label {}", c.name, p.label));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_state_the_deadline() {
        let c = command("list-mail-folders").unwrap();
        assert!(full_description(c).ends_with(
            "Ends after 300 s at most: a slow or silent server stops it with a message, and what was done before stays in the result."
        ));
    }

    #[test]
    fn every_choice_parameter_lists_its_choices() {
        for c in commands() {
            for p in c.parameters {
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
    fn names_are_kebab_case() {
        for c in commands() {
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{}",
                c.name
            );
            for p in c.parameters {
                assert!(
                    p.name
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                    "{}",
                    p.name
                );
            }
        }
    }

    #[test]
    fn names_and_labels_are_unique() {
        assert_eq!(duplicates(commands()), Vec::<String>::new());
    }

    /// The check above can fail: a duplicate anywhere in the list is found, not only
    /// next to its twin.
    #[test]
    fn a_duplicate_is_found_wherever_it_is() {
        let all = commands();
        let mut with_twin: Vec<&CommandSpec> = all.to_vec();
        with_twin.push(all[0]);
        assert_eq!(duplicates(&with_twin), vec!["command test-connection"]);
        const TWICE: CommandSpec = CommandSpec {
            name: "twice",
            parameters: &[
                crate::spec::param("a", "Same", ParamType::Text, false),
                crate::spec::param("b", "Other", ParamType::Text, false),
                crate::spec::param("a", "same", ParamType::Text, false),
            ],
            ..test_connection::SPEC
        };
        assert_eq!(
            duplicates(&[&TWICE]),
            vec!["twice parameter a", "twice label same"]
        );
    }
}
