//! Remove Licenses (reference §3.13): read each user's `licenseDetails`, then one
//! `assignLicense` removing every SKU. Licenses inherited from a group cannot be removed
//! from the user; Graph then refuses the whole call, so that user's SKUs are removed one
//! by one: the direct ones go, the inherited ones are reported with Graph's reason.
//! `dry-run` stops after reading and reports what would be removed.

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

#[derive(Debug, Clone)]
struct Sku {
    id: String,
    part_number: String,
}

impl Sku {
    fn json(&self) -> Value {
        json!({"skuId": self.id, "skuPartNumber": self.part_number})
    }
}

/// One user's way through the command.
struct UserState {
    user: String,
    skus: Result<Vec<Sku>, Error>,
    removed: Vec<Sku>,
    failed: Vec<(Sku, Error)>,
}

fn skus_of(body: &Value) -> Vec<Sku> {
    body["value"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|d| {
                    Some(Sku {
                        id: d["skuId"].as_str()?.to_string(),
                        part_number: d["skuPartNumber"].as_str().unwrap_or_default().to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assign(user: &str, skus: &[Sku]) -> Request {
    Request::post(
        format!("users/{}/assignLicense", segment(user)),
        // addLicenses is required even when empty (reference §3.13).
        json!({"addLicenses": [], "removeLicenses": skus.iter().map(|s| &s.id).collect::<Vec<_>>()}),
    )
}

/// A refusal that removing the SKUs one by one can get around (not auth or throttling).
fn isolatable(e: &Error) -> bool {
    matches!(
        e,
        Error::Graph {
            status: 400 | 409,
            ..
        }
    )
}

fn run(graph: &Graph, plan: user_list::Users) -> Result<CommandResult, Error> {
    let reads: Vec<Request> = plan
        .users
        .iter()
        .map(|u| {
            Request::get(format!(
                "users/{}/licenseDetails{}",
                segment(u),
                http::query(&[("$select", "skuId,skuPartNumber".into())])
            ))
        })
        .collect();
    let details = batch::run(graph, &reads, Idempotency::Idempotent, "read licenses");
    let mut states: Vec<UserState> = plan
        .users
        .iter()
        .zip(details)
        .map(|(u, d)| UserState {
            user: u.clone(),
            skus: d.map(|b| skus_of(&b)),
            removed: Vec::new(),
            failed: Vec::new(),
        })
        .collect();
    if !plan.dry_run {
        remove(graph, &mut states);
    }
    Ok(summary(&states, plan.dry_run))
}

fn remove(graph: &Graph, states: &mut [UserState]) {
    // First: every SKU of a user in one call. A user with no license needs no call.
    let todo: Vec<usize> = (0..states.len())
        .filter(|&i| states[i].skus.as_ref().is_ok_and(|s| !s.is_empty()))
        .collect();
    let requests: Vec<Request> = todo
        .iter()
        .map(|&i| assign(&states[i].user, states[i].skus.as_ref().expect("ok")))
        .collect();
    // Removing licenses twice is harmless, but a lost answer must not be guessed: no resend.
    let outcomes = batch::run(
        graph,
        &requests,
        Idempotency::NotIdempotent,
        "removed licenses",
    );
    let mut one_by_one: Vec<(usize, Sku)> = Vec::new();
    for (&i, outcome) in todo.iter().zip(outcomes) {
        let skus = states[i].skus.as_ref().expect("ok").clone();
        match outcome {
            Ok(_) => states[i].removed = skus,
            Err(e) if skus.len() > 1 && isolatable(&e) => {
                one_by_one.extend(skus.into_iter().map(|s| (i, s)));
            }
            Err(e) => states[i].failed = skus.into_iter().map(|s| (s, e.clone())).collect(),
        }
    }
    if one_by_one.is_empty() {
        return;
    }
    let requests: Vec<Request> = one_by_one
        .iter()
        .map(|(i, sku)| assign(&states[*i].user, std::slice::from_ref(sku)))
        .collect();
    let outcomes = batch::run(
        graph,
        &requests,
        Idempotency::NotIdempotent,
        "removed licenses one by one",
    );
    for ((i, sku), outcome) in one_by_one.into_iter().zip(outcomes) {
        match outcome {
            Ok(_) => states[i].removed.push(sku),
            Err(e) => states[i].failed.push((sku, e)),
        }
    }
}

fn summary(states: &[UserState], dry_run: bool) -> CommandResult {
    let mut items = ItemOutcomes::new(LABEL);
    for s in states {
        items.push(match &s.skus {
            Err(e) => ItemOutcome::failed(&s.user, e.clone()),
            Ok(skus) if dry_run => {
                let outcome = if skus.is_empty() {
                    "no-licenses"
                } else {
                    "would-remove"
                };
                ItemOutcome::succeeded(&s.user, outcome).with("wouldRemove", skus_json(skus))
            }
            Ok(skus) => {
                let outcome = match (skus.is_empty(), s.failed.is_empty(), s.removed.is_empty()) {
                    (true, _, _) => "no-licenses",
                    (_, true, _) => "removed",
                    (_, false, false) => "partially-removed",
                    (_, false, true) => "failed",
                };
                let not_removed: Vec<Sku> = s.failed.iter().map(|(sku, _)| sku.clone()).collect();
                let parts = s
                    .failed
                    .iter()
                    .map(|(sku, e)| {
                        (
                            format!("{} of {}", sku.part_number_or_id(), s.user),
                            e.clone(),
                        )
                    })
                    .collect();
                ItemOutcome::succeeded(&s.user, outcome)
                    .with("removed", skus_json(&s.removed))
                    .with("notRemoved", skus_json(&not_removed))
                    .with_part_errors(parts, !s.removed.is_empty())
            }
        });
    }
    let users_failed = items.len() - items.count(ItemStatus::Succeeded);
    let mut result = items.result();
    let skus = |key: &str| -> Vec<Value> {
        items
            .items()
            .iter()
            .flat_map(|i| {
                i.data
                    .get(key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    };
    result.key_fields = if dry_run {
        json!({"dry-run": true, "would-remove": skus("wouldRemove"), "users-failed": users_failed})
    } else {
        json!({"dry-run": false, "removed": skus("removed"), "not-removed": skus("notRemoved"), "users-failed": users_failed})
    };
    result.context_data = json!({"users": items.items().iter().map(|i| json!({"user": i.item, "status": i.outcome})).collect::<Vec<_>>()});
    result
}

fn skus_json(skus: &[Sku]) -> Vec<Value> {
    skus.iter().map(Sku::json).collect()
}

impl Sku {
    fn part_number_or_id(&self) -> &str {
        if self.part_number.is_empty() {
            &self.id
        } else {
            &self.part_number
        }
    }
}

pub fn remove_licenses(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(env, conn, LABEL, |_| input.check(USERS), run)
}

/// What Remove Licenses declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "remove-licenses",
    label: "Remove Licenses",
    description: "Removes all licenses from the specified users; licenses inherited from a group are reported as failures with Graph's reason.",
    deprecated: false,
    run: |env, conn, v| Ok(remove_licenses(env, conn, &Input::read(v)?)),
    parameters: &[
        param(
            "user-ids",
            "User ID or Email Address",
            ParamType::TextList,
            true,
        )
        .example("[\"alex.wilber@contoso.example\"]"),
        dry_run_param("Report which licenses would be removed, and remove nothing."),
    ],
    permissions: Permissions {
        delegated: &["User.ReadWrite.All"],
        application: &["User.ReadWrite.All"],
        note: Some(
            "Delegated callers also need the License Administrator or User Administrator role.",
        ),
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::testing::{FakeEnv, app_connection, json_response};

    #[test]
    fn inherited_license_is_isolated_and_reported_per_sku() {
        let inherited = json!({"error": {"code": "Request_BadRequest", "message": "User license is inherited from a group membership and it cannot be removed directly from the user."}});
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(
                200,
                json!({"responses": [
                {"id": "1", "status": 200, "body": {"value": [
                    {"skuId": "s-e3", "skuPartNumber": "ENTERPRISEPACK"},
                    {"skuId": "s-ems", "skuPartNumber": "EMS"}]}},
                {"id": "2", "status": 200, "body": {"value": []}}]}),
            ),
            json_response(
                200,
                json!({"responses": [{"id": "1", "status": 400, "body": inherited.clone()}]}),
            ),
            json_response(
                200,
                json!({"responses": [
                {"id": "1", "status": 400, "body": inherited},
                {"id": "2", "status": 200, "body": {"id": "u"}}]}),
            ),
        ]);
        let r = remove_licenses(
            &env,
            &app_connection(),
            &Input {
                user_ids: vec!["adele@t.example".into(), "none@t.example".into()],
                dry_run: false,
            },
        );
        assert_eq!(r.status, Status::PartiallySuccessful);
        assert_eq!(
            r.key_fields["removed"],
            json!([{"skuId": "s-ems", "skuPartNumber": "EMS"}])
        );
        assert_eq!(r.errors.len(), 1);
        assert_eq!(
            r.errors[0].failure_indicator,
            "Remove Licenses failed for 'ENTERPRISEPACK of adele@t.example'."
        );
        assert!(r.errors[0].message.contains("inherited from a group"));
        assert_eq!(r.raw_data["items"][1]["outcome"], "no-licenses");
        let adele = &r.raw_data["items"][0];
        assert_eq!(adele["status"], "partially-succeeded");
        assert_eq!(adele["outcome"], "partially-removed");
        assert_eq!(
            adele["partErrors"][0]["part"],
            "ENTERPRISEPACK of adele@t.example"
        );
        assert_eq!(
            adele["partErrors"][0]["error"]["code"],
            "Request_BadRequest"
        );
        assert_eq!(
            r.key_fields["not-removed"],
            json!([{"skuId": "s-e3", "skuPartNumber": "ENTERPRISEPACK"}])
        );
        assert_eq!(r.key_fields["users-failed"], 1);
        assert_eq!(
            r.context_data["users"],
            json!([{"user": "adele@t.example", "status": "partially-removed"}, {"user": "none@t.example", "status": "no-licenses"}])
        );
        let first: Value = serde_json::from_slice(&env.sent()[2].body).unwrap();
        assert_eq!(
            first["requests"][0]["body"],
            json!({"addLicenses": [], "removeLicenses": ["s-e3", "s-ems"]})
        );
        assert_eq!(env.sent().len(), 4);
    }

    #[test]
    fn dry_run_reads_only() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(
                200,
                json!({"responses": [
                {"id": "1", "status": 200, "body": {"value": [{"skuId": "s-e5", "skuPartNumber": "SPE_E5"}]}}]}),
            ),
        ]);
        let r = remove_licenses(
            &env,
            &app_connection(),
            &Input {
                user_ids: vec!["alex@t.example".into()],
                dry_run: true,
            },
        );
        assert_eq!(r.status, Status::Successful);
        assert_eq!(
            r.key_fields["would-remove"],
            json!([{"skuId": "s-e5", "skuPartNumber": "SPE_E5"}])
        );
        assert_eq!(env.sent().len(), 2);
    }
}
