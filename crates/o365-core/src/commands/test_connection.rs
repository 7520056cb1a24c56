//! Test Connection (reference §3.1): a fresh token, one cheap probe the token's permissions
//! allow, and a per-command report of what the granted permissions cover.

use serde_json::{Value, json};

use super::execute;
use crate::auth::jwt;
use crate::env::{Env, LogLevel};
use crate::error::Error;
use crate::graph::Graph;
use crate::manifest;
use crate::model::{CommandResult, Connection, Status};
use crate::permissions::{missing, satisfies};
use crate::spec::{CommandSpec, Permissions};

pub const LABEL: &str = SPEC.label;

/// The probe: delegated reads /me, app-only lists one user; when the token lacks the
/// permission for that, a mailbox-free call it does allow, or none.
fn probe_path(app_only: bool, granted: &[String]) -> Option<&'static str> {
    if app_only {
        satisfies(granted, "User.ReadBasic.All")
            .then_some("users?$top=1&$select=id,userPrincipalName")
    } else if satisfies(granted, "User.Read") {
        Some("me?$select=id,userPrincipalName,mail,displayName")
    } else if satisfies(granted, "Mail.ReadBasic") {
        Some("me/mailFolders?$top=1&$select=id")
    } else {
        None
    }
}

/// Per command: ready, or which permissions to add.
fn permission_report(app_only: bool, granted: &[String]) -> Vec<Value> {
    manifest::commands()
        .iter()
        .filter(|c| c.name != "test-connection")
        .map(|c| {
            let needed = if app_only {
                c.permissions.application
            } else {
                c.permissions.delegated
            };
            let lacking = missing(granted, needed);
            // No application permission exists for it: client credentials cannot run it.
            let unavailable = app_only && needed.is_empty() && !c.permissions.delegated.is_empty();
            let mut entry = json!({
                "command": c.name,
                "label": c.label,
                "ready": lacking.is_empty() && !unavailable,
                "needs": needed,
                "missing": lacking,
            });
            if unavailable {
                entry["note"] = json!(
                    "not available with Client Credentials; use an Authorization Code connection"
                );
            }
            entry
        })
        .collect()
}

fn run(graph: &Graph, conn: &Connection, env: &dyn Env) -> Result<CommandResult, Error> {
    let app_only = conn.grant.is_app_only();
    // Always a new token: the point is to prove the credentials work now.
    let token = graph.tokens().refresh()?;
    let claims = jwt::claims(&token);
    let granted = claims
        .as_ref()
        .map(jwt::granted_permissions)
        .unwrap_or_default();

    let probe = match probe_path(app_only, &granted) {
        Some(path) => {
            let body = graph.get_json(path).map_err(|e| match e {
                Error::Graph {
                    status,
                    code,
                    message,
                    hint,
                } => Error::Graph {
                    status,
                    code,
                    message: format!("Failed to check the connector. {message}"),
                    hint,
                },
                other => other,
            })?;
            json!({"request": format!("GET {path}"), "response": body})
        }
        None => {
            json!({"request": null, "note": "the token grants no permission a probe could use; the token itself was the check"})
        }
    };

    let report = if claims.is_some() {
        permission_report(app_only, &granted)
    } else {
        Vec::new()
    };
    let not_ready: serde_json::Map<String, Value> = report
        .iter()
        .filter(|r| r["ready"] == json!(false))
        .map(|r| {
            (
                r["command"].as_str().unwrap_or("").to_string(),
                r["missing"].clone(),
            )
        })
        .collect();
    for (command, lacking) in &not_ready {
        env.log(
            LogLevel::Warn,
            &format!("{command} will fail: add {lacking} to the app registration"),
        );
    }
    let ready: Vec<&Value> = report
        .iter()
        .filter(|r| r["ready"] == json!(true))
        .map(|r| &r["command"])
        .collect();

    let token_summary = claims.as_ref().map(|c| {
        json!({
            "aud": c.get("aud"),
            "tid": c.get("tid"),
            "appid": c.get("appid"),
            "upn": c.get("upn").or_else(|| c.get("preferred_username")),
            "exp": c.get("exp"),
        })
    });

    let mut result = CommandResult::new(Status::Successful);
    result.key_fields = json!({
        "connection": "passed",
        "grant-type": conn.grant.label(),
        "environment": conn.environment.as_str(),
        "granted-permissions": granted,
        "permissions-readable": claims.is_some(),
        "commands-ready": ready,
        "commands-missing-permissions": not_ready,
    });
    result.raw_data = json!({
        "token": token_summary,
        "probe": probe,
        "commands": report,
    });
    result.context_data =
        json!({"commands-missing-permissions": result.key_fields["commands-missing-permissions"]});
    Ok(result)
}

pub fn test_connection(env: &dyn Env, conn: &Connection) -> CommandResult {
    execute(env, conn, LABEL, |_| Ok(()), |g, ()| run(g, conn, env))
}

/// What Test Connection declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "test-connection",
    label: "Test Connection",
    description: "Gets a token, makes one cheap Graph call, and reports per command whether the granted permissions suffice.",
    deprecated: false,
    run: |env, conn, _| Ok(test_connection(env, conn)),
    parameters: &[],
    permissions: Permissions {
        delegated: &[],
        application: &[],
        note: Some(
            "Delegated connections need the offline_access scope. The report lists what every other command needs.",
        ),
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn g(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn probe_follows_granted_permissions() {
        assert_eq!(probe_path(true, &g(&["Mail.Read"])), None);
        assert!(
            probe_path(true, &g(&["User.Read.All"]))
                .unwrap()
                .starts_with("users?")
        );
        assert!(
            probe_path(false, &g(&["User.Read"]))
                .unwrap()
                .starts_with("me?")
        );
        assert!(
            probe_path(false, &g(&["Mail.Read"]))
                .unwrap()
                .starts_with("me/mailFolders")
        );
    }

    #[test]
    fn report_names_the_missing_permission() {
        let report = permission_report(true, &g(&["Mail.Read"]));
        let create = report
            .iter()
            .find(|r| r["command"] == "create-mail-folder")
            .unwrap();
        assert_eq!(create["ready"], json!(false));
        assert_eq!(create["missing"], json!(["Mail.ReadWrite"]));
        let list = report
            .iter()
            .find(|r| r["command"] == "list-mail-folders")
            .unwrap();
        assert_eq!(list["ready"], json!(true));
        let report_emails = report
            .iter()
            .find(|r| r["command"] == "report-emails")
            .unwrap();
        assert_eq!(report_emails["ready"], json!(false));
        assert!(
            report_emails["note"]
                .as_str()
                .unwrap()
                .contains("Authorization Code")
        );
    }
}
