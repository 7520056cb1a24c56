//! The attachments of one message into the file store: file attachments as
//! their bytes, item attachments as their MIME (`.eml` for messages), both
//! read with `/$value` so no base64 copy of a large file sits in memory;
//! reference attachments (cloud links) as metadata only. Past the size cap
//! an attachment is reported as skipped, with its size.

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

use super::eml;
use crate::env::Env;
use crate::error::Error;
use crate::files;
use crate::graph::Graph;
use crate::http::segment;
use crate::mailbox::Mailbox;
use crate::model::StoredFile;

/// Attachments of one message, at most.
const MAX_ATTACHMENTS: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every attachment (Get Email Attachments).
    All,
    /// Attached messages only: item attachments that are messages and
    /// `.eml` / message/rfc822 files (the deprecated Get EML Attachment).
    MessagesOnly,
}

/// Entries for the result, and the files stored.
#[derive(Default)]
pub struct Collected {
    pub entries: Vec<Value>,
    pub files: Vec<StoredFile>,
}

fn kind(a: &Value) -> &'static str {
    match a["@odata.type"].as_str().unwrap_or("") {
        t if t.ends_with("itemAttachment") => "item",
        t if t.ends_with("referenceAttachment") => "reference",
        _ => "file",
    }
}

/// The file extension of an item attachment's MIME, by its content type.
fn item_extension(content_type: &str) -> &'static str {
    let ct = content_type.to_ascii_lowercase();
    if ct.starts_with("text/calendar") {
        ".ics"
    } else if ct.contains("vcard") {
        ".vcf"
    } else {
        ".eml"
    }
}

/// Stores the attachments of message `message_id` (a Graph id).
pub fn collect(
    graph: &Graph,
    env: &dyn Env,
    mailbox: &Mailbox,
    message_id: &str,
    scope: Scope,
    max_bytes: u64,
) -> Result<Collected, Error> {
    let base = format!(
        "{}/messages/{}/attachments",
        mailbox.path(),
        segment(message_id)
    );
    // Metadata first: a listing with contentBytes would carry every file in
    // base64 at once.
    let list = graph.get_all(
        &format!("{base}?$select=id,name,contentType,size,isInline,lastModifiedDateTime"),
        MAX_ATTACHMENTS,
    )?;
    let mut out = Collected::default();
    for a in list {
        let kind = kind(&a);
        let name = a["name"].as_str().unwrap_or("attachment").to_string();
        let content_type = a["contentType"].as_str().unwrap_or("").to_string();
        let wanted = match scope {
            Scope::All => true,
            Scope::MessagesOnly => {
                kind == "item" || (kind == "file" && eml::is_eml(&name, &content_type))
            }
        };
        if !wanted {
            continue;
        }
        let id = a["id"].as_str().unwrap_or("").to_string();
        // The declared size is only a hint (it may be missing, negative or
        // wrong): the cap holds on the bytes that arrive.
        let declared = a["size"].as_u64();
        let mut entry = json!({
            "messageId": message_id,
            "attachmentId": id,
            "name": name,
            "type": kind,
            "contentType": a["contentType"],
            "size": declared,
            "isInline": a["isInline"],
            "lastModifiedDateTime": a["lastModifiedDateTime"],
        });
        let path = format!("{base}/{}", segment(&id));
        if kind == "reference" {
            let full = graph.get_json(&path)?;
            for k in ["sourceUrl", "providerType", "permission", "isFolder"] {
                entry[k] = full.get(k).cloned().unwrap_or(Value::Null);
            }
            out.entries.push(entry);
            continue;
        }
        let cap = max_bytes / (1024 * 1024);
        if let Some(size) = declared.filter(|&s| s > max_bytes) {
            entry["skipped"] = json!(true);
            entry["reason"] = json!(format!(
                "{size} bytes is more than the {cap} MB cap (Max Attachment Size (MB))."
            ));
            out.entries.push(entry);
            continue;
        }
        let (bytes, served_type) = match graph.get_bytes(&format!("{path}/$value"), max_bytes) {
            Ok(got) => got,
            Err(Error::TooLarge { .. }) => {
                entry["skipped"] = json!(true);
                entry["reason"] = json!(format!(
                    "More than the {cap} MB cap (Max Attachment Size (MB)) arrived{}; reading stopped there.",
                    declared.map_or_else(String::new, |d| format!(" (declared size {d} bytes)"))
                ));
                out.entries.push(entry);
                continue;
            }
            Err(e) => return Err(e),
        };
        let (file_name, stored_type) = if kind == "item" {
            let ext = item_extension(&served_type);
            let ct = if ext == ".eml" {
                "message/rfc822"
            } else {
                served_type.as_str()
            };
            (
                files::safe_name(&format!("{name}{ext}"), &format!("attachment{ext}")),
                ct.to_string(),
            )
        } else {
            let ct = if content_type.is_empty() {
                served_type
            } else {
                content_type
            };
            (files::safe_name(&name, "attachment"), ct)
        };
        let file = files::store(env, &file_name, &stored_type, &bytes)?;
        let stored = file.to_json();
        for (k, v) in stored.as_object().into_iter().flatten() {
            entry[k] = v.clone();
        }
        out.files.push(file);
        out.entries.push(entry);
    }
    Ok(out)
}
