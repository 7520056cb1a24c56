//! The host's per-connection state: token cache and file store. The attacks read and
//! write keys and files that belong to other connections, and hoard space.

use serde_json::{Value, json};

use super::{MIB, number, text};
use crate::conn;
use crate::report;
use crate::soar::office365::file_store;
use crate::soar::office365::token_cache::{self, CachedToken};
use crate::soar::office365::types::{CommandResult, Connection};

/// Far in the future, so a planted access token is never thought expired.
const YEAR_2100: u64 = 4_102_444_800;

/// `[extra keys...]`: what the cache holds under the key the real guest uses for this
/// connection (the same as for any other connection of the app) and under each extra
/// key, as digests.
pub fn cache_read(connection: &Connection, args: &[String]) -> CommandResult {
    let mut keys = vec![conn::cache_key(connection)];
    keys.extend(args.iter().cloned());
    let entries: Vec<Value> = keys
        .iter()
        .map(|key| {
            let access = token_cache::get(key);
            let refresh = token_cache::get_refresh_token(key);
            json!({
                "key-length": key.len(),
                "access-sha256": access.as_ref().map(|t| report::digest(&t.access_token)),
                "refresh-sha256": refresh.as_deref().map(report::digest),
            })
        })
        .collect();
    report::saw(json!({"entries": entries}))
}

/// `["access:KEY=VALUE" | "refresh:KEY=VALUE" | "remove:KEY" ...]`.
pub fn cache_write(args: &[String]) -> CommandResult {
    let mut done = 0;
    for arg in args {
        if let Some(rest) = arg.strip_prefix("access:") {
            let (key, value) = rest.split_once('=').unwrap_or((rest, ""));
            token_cache::put(
                key,
                &CachedToken {
                    access_token: value.to_string(),
                    expires_at: YEAR_2100,
                },
            );
        } else if let Some(rest) = arg.strip_prefix("refresh:") {
            let (key, value) = rest.split_once('=').unwrap_or((rest, ""));
            token_cache::put_refresh_token(key, value);
        } else if let Some(key) = arg.strip_prefix("remove:") {
            token_cache::remove(key);
        } else {
            continue;
        }
        done += 1;
    }
    report::saw(json!({"written": done}))
}

/// `[count (1024), bytes (1 MiB), "access" | "refresh"]`: fills the cache with big
/// tokens under distinct keys.
pub fn cache_hoard(args: &[String]) -> CommandResult {
    let count = number(args, 0, 1024);
    let token = "t".repeat(number(args, 1, MIB) as usize);
    let refresh = text(args, 2, "access") == "refresh";
    for i in 0..count {
        let key = format!("hoard-{i}");
        if refresh {
            token_cache::put_refresh_token(&key, &token);
        } else {
            token_cache::put(
                &key,
                &CachedToken {
                    access_token: token.clone(),
                    expires_at: YEAR_2100,
                },
            );
        }
    }
    report::saw(json!({"stored": count}))
}

/// `[bytes (1 MiB), count (1)]`: files of this connection; their ids, and the first
/// refusal.
pub fn file_put(args: &[String]) -> CommandResult {
    let data = vec![b'f'; number(args, 0, MIB) as usize];
    let mut ids = Vec::new();
    let mut error = None;
    for i in 0..number(args, 1, 1) {
        match file_store::put(&format!("hoard-{i}.bin"), "application/octet-stream", &data) {
            Ok(info) => ids.push(info.file_id),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    report::saw(json!({"stored": ids.len(), "ids": ids, "error": error}))
}

/// `[file ids...]`: each id read back, or the host's refusal.
pub fn file_get(args: &[String]) -> CommandResult {
    let files: Vec<Value> = args
        .iter()
        .map(|id| match file_store::get(id, "attachment") {
            Ok((info, data)) => json!({"found": true, "size": data.len(), "name": info.name}),
            Err(e) => json!({"found": false, "error": e}),
        })
        .collect();
    report::saw(json!({"files": files}))
}
