//! Search and Move or Copy Email Messages (reference §3.17): find messages by exact
//! subject and/or sender with `$filter`, then move or copy each hit, 20 per `$batch`.
//! The given mailbox, or the signed-in user's; with client credentials and no mailbox,
//! every mailbox of the tenant (users paged), searched in batches too, with an outcome
//! per mailbox. `dry-run` lists what would move and moves nothing.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::execute;
use super::move_copy::{Action, FOLDER};
use super::params::{destination_param, email_address};
use crate::batch::{self, Request};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::{self, segment};
use crate::input::Values;
use crate::mail::folders::FolderRef;
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection};
use crate::outcome::{ItemOutcome, ItemOutcomes};
use crate::retry::Idempotency;
use crate::spec::{CommandSpec, ParamType, Permissions, param};

pub const LABEL: &str = SPEC.label;
const MAILBOX: &str = SPEC.label_of("email-address");
const SUBJECT: &str = SPEC.label_of("email-subject");
const SENDER: &str = SPEC.label_of("sender-email-address");
/// Messages acted on per mailbox at most; a search matching more is narrowed first.
pub const MAX_PER_MAILBOX: usize = 1_000;
/// Users listed at most for a tenant-wide search.
const MAX_USERS: usize = 50_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_address: Option<String>,
    pub email_subject: Option<String>,
    pub sender_email_address: Option<String>,
    pub destination_mail_folder: String,
    pub move_or_copy: Action,
    pub dry_run: bool,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_address: values.optional_text("email-address")?,
            email_subject: values.optional_text("email-subject")?,
            sender_email_address: values.optional_text("sender-email-address")?,
            destination_mail_folder: values.text("destination-mail-folder")?,
            move_or_copy: values.choice("move-or-copy")?,
            dry_run: values.flag("dry-run")?,
        })
    }
}

enum Scope {
    One(Mailbox),
    /// Client credentials without a mailbox: every user's mailbox.
    Tenant,
}

struct Plan {
    scope: Scope,
    filter: String,
    folder: FolderRef,
    action: Action,
    dry_run: bool,
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn parse(conn: &Connection, input: &Input) -> Result<Plan, Error> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let subject = given(&input.email_subject);
    let sender = given(&input.sender_email_address);
    if subject.is_none() && sender.is_none() {
        return Err(Error::input(
            SUBJECT,
            format!(
                "is required when {SENDER} is empty: without either, every message of the mailbox would match."
            ),
        ));
    }
    let mut clauses = Vec::new();
    if let Some(s) = &subject {
        clauses.push(format!("subject eq {}", literal(s)));
    }
    if let Some(s) = &sender {
        crate::compose::recipient(SENDER, s)?;
        clauses.push(format!("from/emailAddress/address eq {}", literal(s)));
    }
    let scope = match given(&input.email_address) {
        Some(a) => Scope::One(Mailbox::resolve(conn, Some(&a), MAILBOX)?),
        None if conn.grant.is_app_only() => Scope::Tenant,
        None => Scope::One(Mailbox::Me),
    };
    Ok(Plan {
        scope,
        filter: clauses.join(" and "),
        folder: FolderRef::parse(FOLDER, &input.destination_mail_folder)?,
        action: input.move_or_copy,
        dry_run: input.dry_run,
    })
}

/// What one mailbox gave.
struct MailboxOutcome {
    mailbox: Mailbox,
    /// Hits: the message JSON ($select'ed), or the search error.
    search: Result<Vec<Value>, Error>,
    /// Per hit: the moved/copied message, or its error (empty on dry runs).
    acted: Vec<Result<Value, Error>>,
    truncated: bool,
}

fn search_path(mailbox: &Mailbox, filter: &str) -> String {
    format!(
        "{}/messages{}",
        mailbox.path(),
        http::query(&[
            ("$filter", filter.to_string()),
            (
                "$select",
                "id,subject,from,receivedDateTime,parentFolderId".into()
            ),
            ("$top", "100".into()),
        ])
    )
}

/// No mailbox behind this user (guest, unlicensed): skipped in a tenant-wide search.
fn no_mailbox(e: &Error) -> bool {
    matches!(
        e.code(),
        Some("MailboxNotEnabledForRESTAPI" | "ErrorInvalidUser" | "ResourceNotFound")
    )
}

fn tenant_mailboxes(graph: &Graph) -> Result<Vec<Mailbox>, Error> {
    let users = graph.get_all(
        "users?$select=id,userPrincipalName,mail&$top=999",
        MAX_USERS,
    )?;
    Ok(users
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str())
        .map(|upn| Mailbox::User(upn.to_string()))
        .collect())
}

/// First pages in batches (one search per mailbox), further pages one by one.
fn search(
    graph: &Graph,
    mailboxes: &[Mailbox],
    filter: &str,
) -> Vec<(Result<Vec<Value>, Error>, bool)> {
    let requests: Vec<Request> = mailboxes
        .iter()
        .map(|m| Request::get(search_path(m, filter)))
        .collect();
    let pages = batch::run(
        graph,
        &requests,
        Idempotency::Idempotent,
        "searched mailboxes",
    );
    pages
        .into_iter()
        .map(|page| {
            let page = match page {
                Ok(p) => p,
                Err(e) => return (Err(e), false),
            };
            let mut hits: Vec<Value> = page["value"].as_array().cloned().unwrap_or_default();
            if let Some(next) = page["@odata.nextLink"].as_str() {
                // Links are absolute; only ones below this connection's Graph root are followed.
                match next.strip_prefix(&graph.url("")) {
                    Some(rel) => match graph
                        .get_all(rel, MAX_PER_MAILBOX + 1 - hits.len().min(MAX_PER_MAILBOX))
                    {
                        Ok(more) => hits.extend(more),
                        Err(e) => return (Err(e), false),
                    },
                    None => {
                        return (
                            Err(Error::Protocol(format!(
                                "Refusing to follow @odata.nextLink to {}.",
                                crate::retry::host_of(next)
                            ))),
                            false,
                        );
                    }
                }
            }
            let truncated = hits.len() > MAX_PER_MAILBOX;
            hits.truncate(MAX_PER_MAILBOX);
            (Ok(hits), truncated)
        })
        .collect()
}

fn run(graph: &Graph, plan: Plan, env: &dyn Env) -> Result<CommandResult, Error> {
    let tenant_wide = matches!(plan.scope, Scope::Tenant);
    let mailboxes = match &plan.scope {
        Scope::One(m) => vec![m.clone()],
        Scope::Tenant => tenant_mailboxes(graph)?,
    };
    env.progress(0, mailboxes.len() as u32, "searching mailboxes");
    let found = search(graph, &mailboxes, &plan.filter);
    let mut outcomes: Vec<MailboxOutcome> = mailboxes
        .into_iter()
        .zip(found)
        .map(|(mailbox, (search, truncated))| MailboxOutcome {
            mailbox,
            search,
            acted: Vec::new(),
            truncated,
        })
        .collect();
    if !plan.dry_run {
        act(graph, &plan, &mut outcomes);
    }
    if !tenant_wide && let Some(Err(e)) = outcomes.first().map(|o| &o.search) {
        // One mailbox: its search error is the command's error.
        return Err(e.clone());
    }
    Ok(summary(&plan, &outcomes, tenant_wide))
}

/// Resolves the destination in each mailbox with hits, then moves or copies them all.
fn act(graph: &Graph, plan: &Plan, outcomes: &mut [MailboxOutcome]) {
    let verb = plan.action.verb();
    let mut folders: HashMap<usize, Result<String, Error>> = HashMap::new();
    let mut requests = Vec::new();
    let mut slots = Vec::new();
    for (i, o) in outcomes.iter().enumerate() {
        let Ok(hits) = &o.search else { continue };
        if hits.is_empty() {
            continue;
        }
        let folder = folders
            .entry(i)
            .or_insert_with(|| plan.folder.resolve(graph, &o.mailbox, FOLDER));
        let Ok(folder) = folder.clone() else { continue };
        for (j, hit) in hits.iter().enumerate() {
            let id = hit["id"].as_str().unwrap_or_default();
            slots.push((i, j));
            requests.push(Request::post(
                format!("{}/messages/{}/{verb}", o.mailbox.path(), segment(id)),
                json!({"destinationId": folder}),
            ));
        }
    }
    for (i, o) in outcomes.iter_mut().enumerate() {
        let n = o.search.as_ref().map(Vec::len).unwrap_or(0);
        o.acted = match folders.get(&i) {
            Some(Err(e)) => vec![Err(e.clone()); n],
            _ => Vec::with_capacity(n),
        };
    }
    let done = format!("{} messages", plan.action.done());
    let results = batch::run(graph, &requests, Idempotency::NotIdempotent, &done);
    for ((i, _), r) in slots.into_iter().zip(results) {
        outcomes[i].acted.push(r);
    }
}

/// One outcome per mailbox; a message that failed is a failed part of its mailbox
/// ("<id> in <mailbox>" in the Error tab).
fn summary(plan: &Plan, outcomes: &[MailboxOutcome], tenant_wide: bool) -> CommandResult {
    let mut items = ItemOutcomes::new(LABEL);
    let mut failed = 0;
    let mut new_ids = Vec::new();
    let mut matched_total = 0;
    for o in outcomes {
        let name = o.mailbox.display();
        let hits = match &o.search {
            Err(e) if tenant_wide && no_mailbox(e) => {
                items.push(ItemOutcome::skipped(name, e.user_message()));
                continue;
            }
            Err(e) => {
                failed += 1;
                items.push(ItemOutcome::failed(name, e.clone()));
                continue;
            }
            Ok(h) => h,
        };
        matched_total += hits.len();
        let mut messages = Vec::new();
        let mut parts = Vec::new();
        let mut acted = 0;
        for (j, hit) in hits.iter().enumerate() {
            let mut m = json!({"id": hit["id"], "subject": hit["subject"],
                "from": hit["from"]["emailAddress"]["address"], "receivedDateTime": hit["receivedDateTime"]});
            match o.acted.get(j) {
                None => {}
                Some(Ok(moved)) => {
                    acted += 1;
                    m["newId"] = moved["id"].clone();
                    new_ids.push(moved["id"].clone());
                }
                Some(Err(e)) => {
                    let id = hit["id"].as_str().unwrap_or_default();
                    parts.push((format!("{id} in {name}"), e.clone()));
                }
            }
            messages.push(m);
        }
        failed += parts.len();
        let outcome = match (hits.is_empty(), plan.dry_run, parts.len()) {
            (true, _, _) => "no-matches",
            (false, true, _) => "would-act",
            (false, false, 0) => plan.action.done(),
            (false, false, n) if n == hits.len() => "failed",
            _ => "partial",
        };
        items.push(
            ItemOutcome::succeeded(name, outcome)
                .with("matched", hits.len())
                .with("truncated", o.truncated)
                .with("messages", messages)
                .with_part_errors(parts, acted > 0),
        );
    }
    let mut result = items.result();
    result.key_fields = json!({
        "action": plan.action.verb(),
        "dry-run": plan.dry_run,
        "filter": plan.filter,
        "mailboxes-searched": outcomes.len(),
        "matched": matched_total,
        "succeeded": if plan.dry_run { 0 } else { new_ids.len() },
        "failed": failed,
        "new-message-ids": new_ids,
    });
    result.context_data = json!({"mailboxes": items.items().iter().map(|i| json!({
        "mailbox": i.item, "status": i.outcome, "matched": i.data.get("matched"),
    })).collect::<Vec<_>>()});
    result
}

pub fn search_and_move_or_copy_email_messages(
    env: &dyn Env,
    conn: &Connection,
    input: &Input,
) -> CommandResult {
    execute(env, conn, LABEL, |c| parse(c, input), |g, p| run(g, p, env))
}

/// What Search and Move or Copy Email Messages declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "search-and-move-or-copy-email-messages",
    label: "Search and Move or Copy Email Messages",
    description: "Finds messages by subject and/or sender and moves or copies them to another folder; with Client Credentials and no Email Address, in every mailbox of the tenant.",
    deprecated: false,
    run: |env, conn, v| Ok(search_and_move_or_copy_email_messages(env, conn, &Input::read(v)?)),
    parameters: &[
        email_address("The mailbox to search. Blank: the signed-in user's mailbox (Authorization Code), or every mailbox of the tenant (Client Credentials)."),
        param("email-subject", "Email Subject", ParamType::Text, false)
            .example("Microsoft Entra ID Protection Weekly Digest")
            .describe("The exact subject of the messages. Email Subject, Sender Email Address, or both are required."),
        param("sender-email-address", "Sender Email Address", ParamType::Text, false)
            .example("billing@fabrikam-payments.example")
            .describe("The sender's address of the messages."),
        destination_param(),
        param("move-or-copy", "Move or Copy", ParamType::Choice, true)
            .choices(&["Move", "Copy"])
            .example("Move")
            .describe("\"Move\" relocates the messages; \"Copy\" duplicates them into the destination."),
        param("dry-run", "Dry Run", ParamType::Boolean, false)
            .default("false")
            .describe("List what would be moved or copied, and change nothing."),
    ],
    permissions: Permissions {
        delegated: &["Mail.ReadWrite"],
        application: &["Mail.ReadWrite", "User.ReadBasic.All"],
        note: Some("User.ReadBasic.All lists the tenant's users for a search without Email Address (Client Credentials)."),
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::testing::{FakeEnv, app_connection, json_response};

    fn input() -> Input {
        Input {
            email_subject: Some("Invoice o'due".into()),
            sender_email_address: Some("billing@fabrikam.example".into()),
            destination_mail_folder: "junkemail".into(),
            ..Input::default()
        }
    }

    #[test]
    fn tenant_wide_fans_out_and_skips_users_without_mailbox() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(
                200,
                json!({"value": [
                {"userPrincipalName": "a@t.example"}, {"userPrincipalName": "guest#EXT#@t.example"}, {"userPrincipalName": "b@t.example"}]}),
            ),
            json_response(
                200,
                json!({"responses": [
                {"id": "1", "status": 200, "body": {"value": [{"id": "M1", "subject": "Invoice o'due"}]}},
                {"id": "2", "status": 404, "body": {"error": {"code": "MailboxNotEnabledForRESTAPI", "message": "no"}}},
                {"id": "3", "status": 200, "body": {"value": []}}]}),
            ),
            json_response(
                200,
                json!({"responses": [{"id": "1", "status": 201, "body": {"id": "N1"}}]}),
            ),
        ]);
        let r = search_and_move_or_copy_email_messages(&env, &app_connection(), &input());
        assert_eq!(r.status, Status::Successful, "{:?}", r.errors);
        assert_eq!(r.key_fields["new-message-ids"], json!(["N1"]));
        let items = &r.raw_data["items"];
        assert_eq!(items[0]["outcome"], "moved");
        assert_eq!(items[0]["data"]["messages"][0]["newId"], "N1");
        assert_eq!(items[1]["item"], "guest#EXT#@t.example");
        assert_eq!(items[1]["status"], "skipped");
        assert!(
            items[1]["data"]["reason"]
                .as_str()
                .unwrap()
                .starts_with("MailboxNotEnabledForRESTAPI: no"),
            "{}",
            items[1]
        );
        assert_eq!(items[2]["status"], "succeeded");
        assert_eq!(items[2]["outcome"], "no-matches");
        assert_eq!(
            r.context_data["mailboxes"][1],
            json!({"mailbox": "guest#EXT#@t.example", "status": "skipped", "matched": null})
        );
        let searches: Value = serde_json::from_slice(&env.sent()[2].body).unwrap();
        assert_eq!(
            searches["requests"][0]["url"],
            "/users/a@t.example/messages?$filter=subject%20eq%20%27Invoice%20o%27%27due%27%20and%20from%2FemailAddress%2Faddress%20eq%20%27billing@fabrikam.example%27&$select=id%2Csubject%2Cfrom%2CreceivedDateTime%2CparentFolderId&$top=100"
        );
    }

    #[test]
    fn dry_run_moves_nothing_and_criteria_are_required() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(
                200,
                json!({"responses": [
                {"id": "1", "status": 200, "body": {"value": [{"id": "M1"}, {"id": "M2"}]}}]}),
            ),
        ]);
        let mut i = input();
        i.email_address = Some("a@t.example".into());
        i.dry_run = true;
        let r = search_and_move_or_copy_email_messages(&env, &app_connection(), &i);
        assert_eq!(r.status, Status::Successful);
        assert_eq!(r.key_fields["matched"], 2);
        assert_eq!(r.raw_data["items"][0]["outcome"], "would-act");
        assert_eq!(r.raw_data["items"][0]["data"]["matched"], 2);
        assert_eq!(env.sent().len(), 2);

        let empty = FakeEnv::new(vec![]);
        let mut i = input();
        i.email_subject = None;
        i.sender_email_address = Some(" ".into());
        let r = search_and_move_or_copy_email_messages(&empty, &app_connection(), &i);
        assert!(
            r.errors[0]
                .message
                .starts_with("Email Subject: is required when Sender Email Address is empty")
        );
        assert!(empty.sent().is_empty());
    }
}
