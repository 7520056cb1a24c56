//! Get Email EMLs (reference §3.8): each message's MIME (`/$value`) into the
//! host's file store as an `.eml`, with its size and hashes; ids or
//! internetMessageIds, per-item outcomes.

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

use mail_parser::MessageParser;
use serde_json::{Value, json};

use super::execute;
use super::params::{MAIL_READ, mailbox_rule, mailboxes, message_ids};
use crate::env::Env;
use crate::error::Error;
use crate::files;
use crate::graph::Graph;
use crate::http::segment;
use crate::input::Values;
use crate::mail::pairs::{self, MESSAGE_IDS, Pair};
use crate::model::{CommandResult, Connection, StoredFile};
use crate::outcome::ItemStatus;
use crate::spec::CommandSpec;

pub const LABEL: &str = SPEC.label;
/// A message's MIME read at most; counted as it arrives. Past it the item
/// fails naming the cap (the guest holds the whole MIME in memory to hash it).
pub const MAX_EML_BYTES: u64 = 40 * 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_addresses: Vec<String>,
    pub message_ids: Vec<String>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_addresses: values.list("email-addresses")?,
            message_ids: values.list("message-ids")?,
        })
    }
}

/// `<subject>.eml`, read from the MIME's own headers.
fn file_name(mime: &[u8]) -> String {
    let subject = MessageParser::new()
        .parse_headers(mime)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default();
    files::safe_name(&format!("{}.eml", subject.trim()), "message.eml")
}

fn get(graph: &Graph, env: &dyn Env, pair: &Pair) -> Result<Vec<(Value, StoredFile)>, Error> {
    let ids = pair.message.resolve(graph, &pair.mailbox, MESSAGE_IDS)?;
    ids.iter()
        .map(|id| {
            let (mime, _) = graph.get_bytes(
                &format!("{}/messages/{}/$value", pair.mailbox.path(), segment(id)),
                MAX_EML_BYTES,
            )?;
            let file = files::store(env, &file_name(&mime), "message/rfc822", &mime)?;
            let mut entry = json!({
                "mailbox": pair.mailbox.display(),
                "requestedId": pair.message.as_str(),
                "messageId": id,
            });
            for (k, v) in file.to_json().as_object().into_iter().flatten() {
                entry[k] = v.clone();
            }
            Ok((entry, file))
        })
        .collect()
}

fn run(graph: &Graph, env: &dyn Env, pairs: Vec<Pair>) -> Result<CommandResult, Error> {
    let out = pairs::run(env, LABEL, pairs, |p| get(graph, env, p));
    let (entries, stored): (Vec<Value>, Vec<StoredFile>) =
        out.done.into_iter().flat_map(|(_, v)| v).unzip();
    let mut result = out.items.result();
    result.key_fields = json!({
        "file-ids": stored.iter().map(|f| f.file_id.clone()).collect::<Vec<_>>(),
        "file-names": stored.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        "eml-count": stored.len(),
        "failed-count": out.items.count(ItemStatus::Failed),
    });
    result.raw_data["value"] = Value::Array(entries);
    result.files = stored;
    Ok(result)
}

pub fn get_email_emls(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(
        env,
        conn,
        LABEL,
        |c| pairs::parse(c, &input.email_addresses, &input.message_ids),
        |g, p| run(g, env, p),
    )
}

/// What Get Email EMLs declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "get-email-emls",
    label: "Get Email EMLs",
    description: "Retrieves emails in EML format into the file store and returns their file ids, names, sizes and hashes.",
    deprecated: false,
    run: |env, conn, v| Ok(get_email_emls(env, conn, &Input::read(v)?)),
    parameters: &[
        mailboxes(mailbox_rule!(
            "The email addresses or user IDs from which to retrieve emails in EML format."
        )),
        message_ids(),
    ],
    permissions: MAIL_READ,
};
