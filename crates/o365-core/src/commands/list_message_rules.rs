//! List Message Rules (reference §3.11): the inbox rules of a mailbox,
//! optionally one by name. Beyond the vendor document, key fields flag the
//! rules that usually mean a compromised mailbox: forwarding, redirecting or
//! forwarding as attachment outside the mailbox's domain, deleting mail,
//! and moving mail while marking it read (hiding it from the owner).

use serde_json::{Value, json};

use super::execute;
use crate::auth::jwt;
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::input::Values;
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection, Status, collection};
use crate::spec::{CommandSpec, ParamType, Permissions, param};

pub const LABEL: &str = SPEC.label;
const UPN: &str = SPEC.label_of("user-principal-name");
/// The vendor document's error for app-only connections without a UPN.
const UPN_REQUIRED: &str =
    "User Principal Name is required if the Grant Type of the Connector is \"Client Credentials\".";
const MAX_RULES: usize = 1_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub user_principal_name: Option<String>,
    pub rule_name: Option<String>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            user_principal_name: values.optional_text("user-principal-name")?,
            rule_name: values.optional_text("rule-name")?,
        })
    }
}

struct Plan {
    mailbox: Mailbox,
    rule_name: Option<String>,
    /// The tenant id when it is a domain: a fallback for the mailbox's domain.
    tenant_domain: Option<String>,
}

fn parse(conn: &Connection, input: &Input) -> Result<Plan, Error> {
    let given = input
        .user_principal_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if given.is_none() && conn.grant.is_app_only() {
        return Err(Error::input(UPN, UPN_REQUIRED));
    }
    let tenant = conn.tenant_id.trim().to_ascii_lowercase();
    Ok(Plan {
        mailbox: Mailbox::resolve(conn, given, UPN)?,
        rule_name: input
            .rule_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        tenant_domain: tenant.contains('.').then_some(tenant),
    })
}

fn domain_of(address: &str) -> Option<String> {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
}

/// The mailbox's own domain: from its address, else from the signed-in
/// user's token (delegated `/me`), else the tenant's domain.
fn mailbox_domain(graph: &Graph, plan: &Plan) -> Option<String> {
    if let Mailbox::User(u) = &plan.mailbox
        && let Some(d) = domain_of(u)
    {
        return Some(d);
    }
    let from_token = graph.tokens().access_token().ok().and_then(|t| {
        let claims = jwt::claims(&t)?;
        ["upn", "preferred_username", "unique_name"]
            .iter()
            .find_map(|k| claims[*k].as_str().and_then(domain_of))
    });
    from_token.or_else(|| plan.tenant_domain.clone())
}

fn addresses(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["emailAddress"]["address"].as_str().map(str::to_string))
        .collect()
}

/// Why a rule looks like an attacker's, and who gets mail outside.
fn assess(rule: &Value, domain: Option<&str>) -> (Vec<String>, Vec<String>) {
    let actions = &rule["actions"];
    let mut reasons = Vec::new();
    let mut external = Vec::new();
    for (key, verb) in [
        ("forwardTo", "forwards"),
        ("redirectTo", "redirects"),
        ("forwardAsAttachmentTo", "forwards as attachment"),
    ] {
        for address in addresses(&actions[key]) {
            let outside = match (domain, domain_of(&address)) {
                (Some(own), Some(theirs)) => theirs != own && !theirs.ends_with(&format!(".{own}")),
                // Without the mailbox's domain every recipient is suspect.
                _ => true,
            };
            if outside {
                reasons.push(format!(
                    "{verb} mail to {address} outside {}",
                    domain.unwrap_or("the organisation")
                ));
                external.push(address);
            }
        }
    }
    if actions["delete"] == json!(true) {
        reasons.push("deletes mail".into());
    }
    if actions["permanentDelete"] == json!(true) {
        reasons.push("permanently deletes mail".into());
    }
    if actions["moveToFolder"]
        .as_str()
        .is_some_and(|f| !f.is_empty())
        && actions["markAsRead"] == json!(true)
    {
        reasons.push("moves mail and marks it read (hides it from the owner)".into());
    }
    (reasons, external)
}

fn run(graph: &Graph, plan: Plan) -> Result<CommandResult, Error> {
    let path = format!("{}/mailFolders/inbox/messageRules", plan.mailbox.path());
    let mut rules = graph.get_all(&path, MAX_RULES)?;
    if let Some(name) = &plan.rule_name {
        rules.retain(|r| {
            r["displayName"]
                .as_str()
                .is_some_and(|d| d.trim().eq_ignore_ascii_case(name))
        });
    }
    let domain = mailbox_domain(graph, &plan);
    let mut suspicious = Vec::new();
    for rule in &mut rules {
        let (reasons, external) = assess(rule, domain.as_deref());
        rule["mailbox"] = json!(plan.mailbox.display());
        if !reasons.is_empty() {
            suspicious.push(json!({
                "id": rule["id"],
                "displayName": rule["displayName"],
                "isEnabled": rule["isEnabled"],
                "reasons": reasons,
                "externalRecipients": external,
            }));
        }
    }
    let mut result = CommandResult::new(Status::Successful);
    result.key_fields = json!({
        "rule-count": rules.len(),
        "rule-names": rules.iter().map(|r| r["displayName"].clone()).collect::<Vec<_>>(),
        "mailbox-domain": domain,
        "suspicious-rule-count": suspicious.len(),
        "forwards-externally": suspicious.iter().any(|s| s["externalRecipients"].as_array().is_some_and(|a| !a.is_empty())),
        "suspicious-rules": suspicious,
    });
    result.context_data = json!({
        "rules": rules.iter().map(|r| json!({
            "id": r["id"], "displayName": r["displayName"], "sequence": r["sequence"], "isEnabled": r["isEnabled"],
        })).collect::<Vec<_>>(),
    });
    result.raw_data = collection(rules);
    Ok(result)
}

pub fn list_message_rules(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(env, conn, LABEL, |c| parse(c, input), run)
}

/// What List Message Rules declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "list-message-rules",
    label: "List Message Rules",
    description: "Retrieves the inbox rules of a mailbox and flags those that forward or redirect mail outside the mailbox's domain, delete mail, or hide it.",
    deprecated: false,
    run: |env, conn, v| Ok(list_message_rules(env, conn, &Input::read(v)?)),
    parameters: &[
        param("user-principal-name", "User Principal Name", ParamType::Text, false)
            .example("test@example.com")
            .describe("The mailbox whose rules to list. May be left blank with the Authorization Code grant type (the signed-in user's mailbox); required with Client Credentials."),
        param("rule-name", "Rule Name", ParamType::Text, false)
            .example("forwarding")
            .describe("Only the rule with this display name (case-insensitive). By default all rules are returned."),
    ],
    permissions: Permissions {
        delegated: &["MailboxSettings.Read"],
        application: &["MailboxSettings.Read"],
        note: None,
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_outside_and_hiding_are_flagged() {
        let rule = json!({"actions": {
            "forwardTo": [{"emailAddress": {"address": "x@external.example"}}, {"emailAddress": {"address": "boss@contoso.example"}}],
            "redirectTo": [{"emailAddress": {"address": "a@eu.contoso.example"}}],
            "moveToFolder": "AAMkAD=", "markAsRead": true, "delete": true}});
        let (reasons, external) = assess(&rule, Some("contoso.example"));
        assert_eq!(external, ["x@external.example"]);
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(
            reasons[0].starts_with("forwards mail to x@external.example outside contoso.example")
        );
        let (reasons, _) = assess(
            &json!({"actions": {"markAsRead": true}}),
            Some("contoso.example"),
        );
        assert!(reasons.is_empty());
    }
}
