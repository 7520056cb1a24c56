//! What Fetch Event adds to each message Graph returned, for the vendor
//! document's "Original Email" and "Original Message File" mappings and
//! beyond them:
//! - `originalEmail[]`: each item attachment fetched with its nested item
//!   (`detail.item...`); the item's file attachments go to the file store and
//!   carry a `D3File` entry;
//! - `originalMessageFile[]`: each attached `.eml` / message/rfc822 file,
//!   parsed (see `eml.rs`);
//! - `authentication`: the verdicts and sending IP from the headers.
//!
//! Inline attachments are kept whatever `hasAttachments` says (Graph counts
//! only non-inline ones). A failed enrichment is noted in its entry; it
//! never fails the message.

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

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{eml, headers};
use crate::env::{Env, LogLevel};
use crate::error::Error;
use crate::files;
use crate::graph::{Graph, expect_object};
use crate::http::segment;
use crate::mailbox::Mailbox;
use crate::model::StoredFile;

pub struct Enricher<'a> {
    pub graph: &'a Graph<'a>,
    pub env: &'a dyn Env,
    pub mailbox: &'a Mailbox,
    pub headers: &'a [(String, String)],
}

impl Enricher<'_> {
    /// Adds the enrichments to `message`; files stored go to `files`.
    pub fn enrich(&self, message: &mut Value, files: &mut Vec<StoredFile>) {
        message["authentication"] = headers::authentication(&headers::from_graph(message));
        let id = message["id"].as_str().unwrap_or("").to_string();
        let mut original_email = Vec::new();
        let mut original_files = Vec::new();
        let empty = Vec::new();
        let attachments = message["attachments"].as_array().unwrap_or(&empty);
        for a in attachments {
            let kind = a["@odata.type"].as_str().unwrap_or("");
            let name = a["name"].as_str().unwrap_or("");
            if kind.ends_with("itemAttachment") {
                let aid = a["id"].as_str().unwrap_or("");
                original_email.push(match self.item(&id, aid, files) {
                    Ok(detail) => json!({"attachmentId": aid, "name": name, "detail": detail}),
                    Err(e) => self.failed(json!({"attachmentId": aid, "name": name}), &e),
                });
            } else if kind.ends_with("fileAttachment")
                && eml::is_eml(name, a["contentType"].as_str().unwrap_or(""))
            {
                let entry = STANDARD
                    .decode(a["contentBytes"].as_str().unwrap_or(""))
                    .map_err(|e| {
                        Error::Protocol(format!("contentBytes of '{name}' is not base64 ({e})"))
                    })
                    .and_then(|bytes| eml::parse(self.env, name, &bytes));
                original_files.push(match entry {
                    Ok(parsed) => {
                        files.extend(parsed.files);
                        parsed.json
                    }
                    Err(e) => self.failed(json!({"fileName": name}), &e),
                });
            }
        }
        message["originalEmail"] = Value::Array(original_email);
        message["originalMessageFile"] = Value::Array(original_files);
    }

    fn failed(&self, mut entry: Value, e: &Error) -> Value {
        self.env.log(
            LogLevel::Warn,
            &format!("could not enrich attachment {entry}: {}", e.user_message()),
        );
        entry["error"] = json!(e.user_message());
        entry
    }

    /// The item attachment with its nested item; the item's files stored.
    fn item(
        &self,
        message_id: &str,
        attachment_id: &str,
        files: &mut Vec<StoredFile>,
    ) -> Result<Value, Error> {
        let path = format!(
            "{}/messages/{}/attachments/{}?$expand=microsoft.graph.itemattachment/item",
            self.mailbox.path(),
            segment(message_id),
            segment(attachment_id)
        );
        let mut detail = expect_object(
            self.graph.get_json_with(&path, self.headers)?,
            "an item attachment",
        )?;
        let nested_list = detail
            .get_mut("item")
            .and_then(|item| item.get_mut("attachments"))
            .and_then(Value::as_array_mut);
        if let Some(list) = nested_list {
            for nested in list {
                // Anything but an object is no attachment to store.
                let Some(nested) = nested.as_object_mut() else {
                    continue;
                };
                let Some(b64) = nested.get("contentBytes").and_then(Value::as_str) else {
                    continue;
                };
                let bytes = STANDARD.decode(b64).map_err(|e| {
                    Error::Protocol(format!("nested contentBytes is not base64 ({e})"))
                })?;
                let text = |k: &str| nested.get(k).and_then(Value::as_str).map(str::to_string);
                let name = files::safe_name(&text("name").unwrap_or_default(), "attachment");
                let ct = text("contentType").unwrap_or_else(|| "application/octet-stream".into());
                let file = files::store(self.env, &name, &ct, &bytes)?;
                nested.insert("D3File".into(), file.to_json());
                files.push(file);
            }
        }
        Ok(detail)
    }
}
