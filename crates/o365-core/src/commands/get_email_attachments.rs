//! Get Email Attachments (reference §3.7) and the deprecated Get EML
//! Attachment (§3.20): the attachments of each message into the host's file
//! store with hashes; reference attachments as metadata; attachments over
//! the size cap reported as skipped. A message without attachments
//! succeeds with no results, as the vendor document says.

// Server answers reach this module: nothing here may panic or overflow on them.
// (Indexing is on serde_json values, whose reads never panic, and on this
// module's own vectors by their own indices.)
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use serde_json::{Value, json};

use super::execute;
use super::params::{MAIL_READ, mailbox_rule, mailboxes, message_ids};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::input::Values;
use crate::mail::attachments::{self, Scope};
use crate::mail::pairs::{self, MESSAGE_IDS, Pair};
use crate::model::{CommandResult, Connection};
use crate::outcome::ItemStatus;
use crate::spec::{CommandSpec, ParamType, param};

pub const LABEL: &str = SPEC.label;
pub const EML_LABEL: &str = EML_SPEC.label;
const MAX_SIZE: &str = SPEC.label_of("max-attachment-size-mb");
/// The default cap; the guest reads at most 48 MB per response.
const DEFAULT_MAX_MB: u32 = 25;
const LIMIT_MAX_MB: u32 = 40;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_addresses: Vec<String>,
    pub message_ids: Vec<String>,
    pub max_attachment_size_mb: Option<u32>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_addresses: values.list("email-addresses")?,
            message_ids: values.list("message-ids")?,
            max_attachment_size_mb: values.optional_u32("max-attachment-size-mb")?,
        })
    }
}

struct Plan {
    pairs: Vec<Pair>,
    max_bytes: u64,
}

fn parse(conn: &Connection, input: &Input) -> Result<Plan, Error> {
    let pairs = pairs::parse(conn, &input.email_addresses, &input.message_ids)?;
    let mb = match input.max_attachment_size_mb {
        None => DEFAULT_MAX_MB,
        Some(mb @ 1..=LIMIT_MAX_MB) => mb,
        Some(mb) => {
            return Err(Error::input(
                MAX_SIZE,
                format!("must be between 1 and {LIMIT_MAX_MB}; got {mb}."),
            ));
        }
    };
    Ok(Plan {
        pairs,
        max_bytes: u64::from(mb).saturating_mul(1024 * 1024),
    })
}

fn run(
    graph: &Graph,
    env: &dyn Env,
    plan: Plan,
    label: &str,
    scope: Scope,
) -> Result<CommandResult, Error> {
    let mut files = Vec::new();
    let out = pairs::run(env, label, plan.pairs, |p| {
        let ids = p.message.resolve(graph, &p.mailbox, MESSAGE_IDS)?;
        let mut messages = Vec::new();
        for id in ids {
            let collected =
                attachments::collect(graph, env, &p.mailbox, &id, scope, plan.max_bytes)?;
            files.extend(collected.files);
            messages.push(json!({
                "mailbox": p.mailbox.display(),
                "requestedId": p.message.as_str(),
                "messageId": id,
                "attachments": collected.entries,
            }));
        }
        Ok(messages)
    });
    let messages: Vec<Value> = out.done.into_iter().flat_map(|(_, m)| m).collect();
    let entries: Vec<&Value> = messages
        .iter()
        .flat_map(|m| m["attachments"].as_array().into_iter().flatten())
        .collect();
    let skipped: Vec<&&Value> = entries
        .iter()
        .filter(|e| e["skipped"] == json!(true))
        .collect();
    let mut result = out.items.result();
    result.key_fields = json!({
        "attachment-count": entries.len(),
        "file-ids": files.iter().map(|f| f.file_id.clone()).collect::<Vec<_>>(),
        "file-names": files.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        "skipped": skipped.iter().map(|e| json!({"name": e["name"], "size": e["size"]})).collect::<Vec<_>>(),
        "failed-count": out.items.count(ItemStatus::Failed),
    });
    result.raw_data["value"] = Value::Array(messages);
    result.files = files;
    Ok(result)
}

pub fn get_email_attachments(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(
        env,
        conn,
        LABEL,
        |c| parse(c, input),
        |g, p| run(g, env, p, LABEL, Scope::All),
    )
}

/// The deprecated Get EML Attachment: attached messages only, as `.eml`.
pub fn get_eml_attachment(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(
        env,
        conn,
        EML_LABEL,
        |c| parse(c, input),
        |g, p| run(g, env, p, EML_LABEL, Scope::MessagesOnly),
    )
}

/// What Get Email Attachments declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "get-email-attachments",
    label: "Get Email Attachments",
    description: "Retrieves the attachments of the given messages into the file store, with their hashes. Reference (cloud) attachments are returned as metadata; attachments over the size cap are reported as skipped. A message without attachments succeeds with no results.",
    deprecated: false,
    run: |env, conn, v| Ok(get_email_attachments(env, conn, &Input::read(v)?)),
    parameters: &[
        mailboxes(mailbox_rule!("The email addresses or user IDs from which to retrieve email attachments.")),
        message_ids(),
        param("max-attachment-size-mb", "Max Attachment Size (MB)", ParamType::Integer, false)
            .default("25")
            .example("25")
            .describe("Attachments larger than this (1 to 40 MB) are skipped and reported with their size instead of failing the command."),
    ],
    permissions: MAIL_READ,
};

/// What Get EML Attachment declares: the manifest entry, the input it reads, the runner.
pub const EML_SPEC: CommandSpec = CommandSpec {
    name: "get-eml-attachment",
    label: "Get EML Attachment",
    description: "Deprecated: use Get Email Attachments. Retrieves the attached messages of the given messages (item attachments and .eml files) as EML files.",
    deprecated: true,
    run: |env, conn, v| Ok(get_eml_attachment(env, conn, &Input::read(v)?)),
    parameters: &[
        mailboxes(mailbox_rule!("The email addresses or user IDs of the messages.")),
        message_ids(),
        param("max-attachment-size-mb", "Max Attachment Size (MB)", ParamType::Integer, false)
            .default("25")
            .example("25")
            .describe("Attached messages larger than this (1 to 40 MB) are skipped and reported with their size."),
    ],
    permissions: MAIL_READ,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpResponse;
    use crate::testing::{FakeEnv, delegated_connection, json_response};

    #[test]
    fn the_cap_holds_on_the_bytes_that_arrive_not_the_declared_size() {
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": "at", "expires_in": 3600})),
            json_response(
                200,
                json!({"value": [{"@odata.type": "#microsoft.graph.fileAttachment", "id": "a1", "name": "big.bin", "contentType": "application/octet-stream", "size": -1}]}),
            ),
            Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: vec![7; 5 * 1024 * 1024],
            }),
        ])
        .with_files();
        let input = Input {
            email_addresses: vec![],
            message_ids: vec!["AAMkADYAAAIBDAAAAA==".into()],
            max_attachment_size_mb: Some(1),
        };
        let r = get_email_attachments(&env, &delegated_connection(), &input);
        assert!(
            env.files.borrow().is_empty(),
            "nothing past the cap is stored"
        );
        assert_eq!(env.sent()[2].max_response_bytes, Some(1024 * 1024));
        let entry = &r.raw_data["value"][0]["attachments"][0];
        assert_eq!(entry["skipped"], json!(true), "{entry}");
        assert!(
            entry["reason"]
                .as_str()
                .unwrap()
                .contains("More than the 1 MB cap"),
            "{entry}"
        );
    }
}
