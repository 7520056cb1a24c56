//! The component's JSON entry point (`json-entry.invoke`): a command by name or label,
//! the connection and the input as JSON, read here once for every host.

use crate::commands;
use crate::connection_json;
use crate::env::Env;
use crate::input::Values;
use crate::manifest::{self, CommandSpec};
use crate::model::CommandResult;

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
    let outcome = Values::from_text(input, info.parameters)
        .and_then(|values| (info.run)(env, &conn, &values));
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
pub fn find(command: &str) -> Option<&'static CommandSpec> {
    let given = command.trim();
    manifest::commands()
        .iter()
        .copied()
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
/// component does not know (the host uses it too, for its own failures).
pub fn title_case(command: &str) -> String {
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

    /// A value every parameter accepts: its example, else its first choice, else one of
    /// its type.
    fn sample(p: &crate::spec::Parameter) -> serde_json::Value {
        use crate::spec::ParamType;
        match (p.example, p.choices.first(), p.param_type) {
            (_, Some(choice), _) => json!(choice),
            (Some(example), _, _) => json!(example),
            (None, None, ParamType::Boolean) => json!("true"),
            (None, None, ParamType::Integer) => json!("10"),
            (None, None, ParamType::DateTime) => json!("2022-01-09 00:00"),
            (None, None, ParamType::Json) => json!({}),
            (None, None, _) => json!("a"),
        }
    }

    /// Runs `spec`'s reader on a sample of every declared parameter; what it asked for
    /// that the spec does not declare, and what it left unread, or its failure.
    fn reader_disagreement(spec: &CommandSpec) -> Result<(), String> {
        let input: serde_json::Map<String, serde_json::Value> = spec
            .parameters
            .iter()
            .map(|p| (p.label.to_string(), sample(p)))
            .collect();
        let values = Values::new(&serde_json::Value::Object(input), spec.parameters)
            .map_err(|e| e.user_message())?;
        // No tenant: the command stops at the connection check, after reading and
        // before any request.
        let conn = connection_json::from_json(
            &json!({"grant-type": "client-credentials", "client-id": "c", "client-secret": "s"}),
        )
        .map_err(|e| e.user_message())?;
        let r = (spec.run)(&FakeEnv::new(vec![]), &conn, &values).map_err(|e| e.user_message())?;
        if !message(&r).starts_with("Tenant ID") {
            return Err(message(&r).to_string());
        }
        let declared: std::collections::BTreeSet<String> =
            spec.parameters.iter().map(|p| p.name.to_string()).collect();
        let asked = values.asked();
        let undeclared: Vec<&String> = asked.difference(&declared).collect();
        let unread: Vec<&String> = declared.difference(&asked).collect();
        if undeclared.is_empty() && unread.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "reads undeclared {undeclared:?}, leaves unread {unread:?}"
            ))
        }
    }

    /// Each command's reader asks for exactly the parameters its spec declares, and
    /// takes every example the manifest shows.
    #[test]
    fn every_reader_reads_its_declared_parameters_and_accepts_the_examples() {
        for spec in manifest::commands() {
            assert_eq!(reader_disagreement(spec), Ok(()), "{}", spec.name);
        }
    }

    /// The check above can fail: a spec with a parameter its reader ignores, and one
    /// lacking a parameter its reader asks for.
    #[test]
    fn a_reader_that_disagrees_with_its_spec_is_found() {
        use crate::commands::list_message_rules;
        use crate::spec::{ParamType, param};
        const EXTRA: CommandSpec = CommandSpec {
            parameters: &[
                param(
                    "user-principal-name",
                    "User Principal Name",
                    ParamType::Text,
                    false,
                ),
                param("rule-name", "Rule Name", ParamType::Text, false),
                param("rule-id", "Rule ID", ParamType::Text, false),
            ],
            ..list_message_rules::SPEC
        };
        assert_eq!(
            reader_disagreement(&EXTRA),
            Err("reads undeclared [], leaves unread [\"rule-id\"]".into())
        );
        const FEWER: CommandSpec = CommandSpec {
            parameters: &[param("rule-name", "Rule Name", ParamType::Text, false)],
            ..list_message_rules::SPEC
        };
        assert_eq!(
            reader_disagreement(&FEWER),
            Err("reads undeclared [\"user-principal-name\"], leaves unread []".into())
        );
    }
}
