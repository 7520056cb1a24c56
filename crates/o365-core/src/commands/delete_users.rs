//! Delete User Accounts (reference §3.4): `DELETE /users/{id|upn}` per user, 20 per
//! `$batch`. Deleted users can be restored for 30 days. `dry-run` reads each user instead
//! and reports who would be deleted.

use serde_json::{Value, json};

use super::execute;
use super::params::dry_run_param;
use crate::batch::{self, Request};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::{self, segment};
use crate::model::{CommandResult, Connection};
use crate::outcome::{ItemOutcome, ItemOutcomes, ItemStatus};
use crate::retry::Idempotency;
use crate::spec::{CommandSpec, ParamType, Permissions, param};
use crate::user_list;

pub const LABEL: &str = SPEC.label;
const USERS: &str = SPEC.label_of("user-ids");

pub type Input = user_list::UsersInput;

fn run(graph: &Graph, plan: user_list::Users) -> Result<CommandResult, Error> {
    let requests: Vec<Request> = plan
        .users
        .iter()
        .map(|u| {
            let path = format!("users/{}", segment(u));
            if plan.dry_run {
                Request::get(format!(
                    "{path}{}",
                    http::query(&[(
                        "$select",
                        "id,userPrincipalName,displayName,accountEnabled".into()
                    )])
                ))
            } else {
                Request::delete(path)
            }
        })
        .collect();
    let (idempotency, what, done) = if plan.dry_run {
        (Idempotency::Idempotent, "checked users", "would-delete")
    } else {
        // A second DELETE after a lost answer would report "not found" for a deleted user.
        (Idempotency::NotIdempotent, "deleted users", "deleted")
    };
    let outcomes = batch::run(graph, &requests, idempotency, what);

    let mut items = ItemOutcomes::new(LABEL);
    for (user, outcome) in plan.users.iter().zip(outcomes) {
        items.push(match outcome {
            Ok(body) if body.is_null() => ItemOutcome::succeeded(user, done),
            Ok(body) => ItemOutcome::succeeded(user, done).with("directoryObject", body),
            Err(e) => ItemOutcome::failed(user, e),
        });
    }
    let key = if plan.dry_run {
        "would-delete"
    } else {
        "deleted-users"
    };
    let mut result = items.result();
    result.key_fields = json!({
        "dry-run": plan.dry_run,
        key: items.items().iter().filter(|i| i.status == ItemStatus::Succeeded).map(|i| i.item.clone()).collect::<Vec<_>>(),
        "failed": items.count(ItemStatus::Failed),
    });
    result.context_data = json!({"users": items.items().iter().map(|i| json!({"user": i.item, "status": i.outcome})).collect::<Vec<Value>>()});
    Ok(result)
}

pub fn delete_user_accounts(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(env, conn, LABEL, |_| input.check(USERS), run)
}

/// What Delete User Accounts declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "delete-user-accounts",
    label: "Delete User Accounts",
    description: "Deletes the specified user accounts (restorable for 30 days).",
    deprecated: false,
    run: |env, conn, v| Ok(delete_user_accounts(env, conn, &Input::read(v)?)),
    parameters: &[
        param(
            "user-ids",
            "User IDs Or User Principal Names",
            ParamType::TextList,
            true,
        )
        .example("[\"alex.wilber@contoso.example\"]"),
        dry_run_param("Report which users would be deleted, and delete nothing."),
    ],
    permissions: Permissions {
        delegated: &["Directory.AccessAsUser.All"],
        application: &["User.ReadWrite.All"],
        note: Some(
            "The signed-in user needs User Administrator, Privileged Authentication Administrator or Global Administrator; users holding admin roles need a higher role (app-only cannot delete them).",
        ),
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::testing::{FakeEnv, app_connection, json_response};

    #[test]
    fn dry_run_only_reads() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(
                200,
                json!({"responses": [
                {"id": "1", "status": 200, "body": {"id": "u1", "displayName": "A"}},
                {"id": "2", "status": 404, "body": {"error": {"code": "Request_ResourceNotFound", "message": "no"}}}]}),
            ),
        ]);
        let r = delete_user_accounts(
            &env,
            &app_connection(),
            &Input {
                user_ids: vec!["a@t.example".into(), "b@t.example".into(), " ".into()],
                dry_run: true,
            },
        );
        assert_eq!(r.status, Status::PartiallySuccessful);
        assert_eq!(r.key_fields["would-delete"], json!(["a@t.example"]));
        assert_eq!(r.key_fields["failed"], 1);
        assert_eq!(
            r.context_data["users"],
            json!([{"user": "a@t.example", "status": "would-delete"}, {"user": "b@t.example", "status": "failed"}])
        );
        assert_eq!(
            r.raw_data["items"][0]["data"]["directoryObject"]["id"],
            "u1"
        );
        assert_eq!(
            r.raw_data["items"][1]["error"]["code"],
            "Request_ResourceNotFound"
        );
        let b: Value = serde_json::from_slice(&env.sent()[1].body).unwrap();
        assert!(
            b["requests"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["method"] == "GET")
        );
        assert_eq!(
            r.errors[0].failure_indicator,
            "Delete User Accounts failed for 'b@t.example'."
        );
    }

    #[test]
    fn no_users_is_a_parameter_error() {
        let env = FakeEnv::new(vec![]);
        let r = delete_user_accounts(&env, &app_connection(), &Input::default());
        assert_eq!(r.status, Status::Failed);
        assert!(
            r.errors[0]
                .message
                .starts_with("User IDs Or User Principal Names: is required")
        );
        assert!(env.sent().is_empty());
    }
}
