//! The component's JSON entry point (`json-entry.invoke`): a command by name or label,
//! the connection and the input as JSON, read here once for every host.

use crate::commands::{
    self, create_mail_folder, delete_message, delete_users, fetch_event, fetch_related_events,
    get_email_attachments, get_email_emls, get_email_messages, list_mail_folders,
    list_message_rules, move_copy, remove_licenses, reply, report_emails, search_email,
    search_move, send_mail, setup_auto_reply, test_connection,
};
use crate::connection_json;
use crate::env::Env;
use crate::error::Error;
use crate::input::Values;
use crate::manifest::{self, CommandInfo};
use crate::model::{CommandResult, Connection};

/// Runs `command` (kebab-case name or label, any case) with the connection and input as
/// JSON text. Bad JSON or a bad value is a failed result naming the parameter.
pub fn invoke(env: &dyn Env, command: &str, connection: &str, input: &str) -> CommandResult {
    let Some(info) = find(command) else {
        return unknown_command(command);
    };
    let conn = match connection_json::from_text(connection) {
        Ok(c) => c,
        Err(e) => return commands::failed(info.label, &e),
    };
    let outcome = Values::from_text(input, &info.parameters)
        .and_then(|values| run(env, &conn, info.name, &values));
    match outcome {
        Ok(result) => result,
        Err(e) => {
            let mut r = commands::failed(info.label, &e);
            r.redact(&conn.secrets());
            r
        }
    }
}

/// The command named `command` by its name or its label.
pub fn find(command: &str) -> Option<CommandInfo> {
    let given = command.trim();
    manifest::commands()
        .into_iter()
        .find(|c| c.name.eq_ignore_ascii_case(given) || c.label.eq_ignore_ascii_case(given))
}

fn unknown_command(command: &str) -> CommandResult {
    let known: Vec<&str> = manifest::commands().iter().map(|c| c.name).collect();
    CommandResult::failed(
        format!("{} failed.", title_case(command)),
        400,
        format!(
            "Unknown command '{command}'. This component implements: {}.",
            known.join(", ")
        ),
    )
}

/// "list-mail-folderz" -> "List Mail Folderz", for the failure indicator of a name the
/// component does not know.
fn title_case(command: &str) -> String {
    command
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(env: &dyn Env, conn: &Connection, name: &str, v: &Values) -> Result<CommandResult, Error> {
    Ok(match name {
        "test-connection" => test_connection::test_connection(env, conn),
        "list-mail-folders" => {
            list_mail_folders::list_mail_folders(env, conn, &list_mail_folders::Input::read(v)?)
        }
        "create-mail-folder" => {
            create_mail_folder::create_mail_folder(env, conn, &create_mail_folder::Input::read(v)?)
        }
        "fetch-event" => fetch_event::fetch_event(env, conn, &fetch_event::Input::read(v)?),
        "fetch-related-events" => fetch_related_events::fetch_related_events(
            env,
            conn,
            &fetch_related_events::Input::read(v)?,
        ),
        "get-email-messages" => {
            get_email_messages::get_email_messages(env, conn, &get_email_messages::Input::read(v)?)
        }
        "get-email-emls" => {
            get_email_emls::get_email_emls(env, conn, &get_email_emls::Input::read(v)?)
        }
        "get-email-attachments" => get_email_attachments::get_email_attachments(
            env,
            conn,
            &get_email_attachments::Input::read(v)?,
        ),
        "get-eml-attachment" => get_email_attachments::get_eml_attachment(
            env,
            conn,
            &get_email_attachments::Input::read(v)?,
        ),
        "list-message-rules" => {
            list_message_rules::list_message_rules(env, conn, &list_message_rules::Input::read(v)?)
        }
        "search-office365-email" => {
            search_email::search_email(env, conn, &search_email::Input::read(v)?)
        }
        "move-or-copy-email-messages" => {
            move_copy::move_or_copy_email_messages(env, conn, &move_copy::Input::read(v)?)
        }
        "delete-email-message" => {
            delete_message::delete_email_message(env, conn, &move_copy::MessagesInput::read(v)?)
        }
        "search-and-move-or-copy-email-messages" => {
            search_move::search_and_move_or_copy_email_messages(
                env,
                conn,
                &search_move::Input::read(v)?,
            )
        }
        "send-mail" => send_mail::send_mail(env, conn, &send_mail::Input::read(v)?),
        "reply-mail" => reply::reply_mail(env, conn, &reply::Input::read(v)?),
        "reply-all" => reply::reply_all(env, conn, &reply::Input::read(v)?),
        "report-emails" => report_emails::report_emails(env, conn, &report_emails::Input::read(v)?),
        "setup-auto-reply" => {
            setup_auto_reply::setup_auto_reply(env, conn, &setup_auto_reply::Input::read(v)?)
        }
        "delete-user-accounts" => {
            delete_users::delete_user_accounts(env, conn, &delete_users::Input::read(v)?)
        }
        "remove-licenses" => {
            remove_licenses::remove_licenses(env, conn, &remove_licenses::Input::read(v)?)
        }
        "move-email-to-junk-box" => {
            move_copy::move_email_to_junk_box(env, conn, &move_copy::MessagesInput::read(v)?)
        }
        "remove-office365-email" => {
            delete_message::remove_office365_email(env, conn, &move_copy::MessagesInput::read(v)?)
        }
        other => {
            return Err(Error::input(
                "Command",
                format!("'{other}' is in the manifest but has no runner."),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Status;
    use crate::testing::{FakeEnv, json_response};

    const APP: &str = r#"{"Tenant ID": "t.example", "Grant Type": "Client Credentials", "Client ID": "c", "Client Secret": "TOPSECRET"}"#;

    fn message(r: &CommandResult) -> &str {
        &r.errors[0].message
    }

    #[test]
    fn runs_a_command_by_label_with_labelled_lenient_input() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(
                200,
                json!({"value": [{"id": "f1", "displayName": "Inbox"}]}),
            ),
        ]);
        let r = invoke(
            &env,
            "List Mail Folders",
            APP,
            r#"{"Email Addresses or User IDs": "alex@t.example", "include-hidden-folders": "true"}"#,
        );
        assert_eq!(r.status, Status::Successful, "{:?}", r.errors);
        let sent = env.sent();
        assert!(
            sent[1].url.contains("/users/alex@t.example/mailFolders")
                && sent[1].url.contains("includeHiddenFolders=true"),
            "{}",
            sent[1].url
        );
    }

    #[test]
    fn bad_input_fails_naming_the_parameter_before_any_request() {
        for (command, input, want) in [
            (
                "create-mail-folder",
                r#"{"Is Hidden": "perhaps"}"#,
                "Is Hidden: expected true or false, got \"perhaps\".",
            ),
            (
                "move-or-copy-email-messages",
                r#"{"message-ids": ["a"], "destination-mail-folder": "archive"}"#,
                "Move or Copy: is required.",
            ),
            (
                "list-mail-folders",
                "[1]",
                "Input: must be a JSON object of parameters.",
            ),
        ] {
            let env = FakeEnv::new(vec![]);
            let r = invoke(&env, command, APP, input);
            assert_eq!(r.status, Status::Failed);
            assert_eq!(r.errors[0].status_code, 400);
            assert_eq!(message(&r), want);
            assert!(env.sent().is_empty());
        }
    }

    #[test]
    fn connection_and_command_errors_say_what_is_wrong_without_secrets() {
        let env = FakeEnv::new(vec![]);
        let r = invoke(
            &env,
            "list-mail-folders",
            r#"{"grant-type": "password", "client-secret": "TOPSECRET"}"#,
            "{}",
        );
        assert_eq!(r.errors[0].failure_indicator, "List Mail Folders failed.");
        assert_eq!(
            message(&r),
            "Grant Type: 'password' is not client-credentials or authorization-code."
        );
        let r = invoke(&env, "list-mail-folderz", APP, "{}");
        assert_eq!(r.errors[0].failure_indicator, "List Mail Folderz failed.");
        assert!(message(&r).starts_with(
            "Unknown command 'list-mail-folderz'. This component implements: test-connection, "
        ));
        let r = invoke(
            &env,
            "test-connection",
            "{\"client-secret\": \"TOPSECRET\"",
            "",
        );
        assert!(message(&r).starts_with("Connection: is not JSON"));
        assert!(!format!("{:?}", r.errors).contains("TOPSECRET"));
    }

    #[test]
    fn every_manifest_command_has_a_runner() {
        let env = FakeEnv::new(vec![]);
        for c in manifest::commands() {
            // An empty connection fails validation in the command itself, never here.
            let r = invoke(
                &env,
                c.name,
                r#"{"grant-type": "client-credentials"}"#,
                "{}",
            );
            assert!(!message(&r).contains("has no runner"), "{}", c.name);
        }
    }
}
