//! Results the host must bound, parse without crashing, and scrub of secrets however
//! they are written.

use serde_json::json;

use super::{MIB, number, text};
use crate::conn;
use crate::report;
use crate::soar::office365::log;
use crate::soar::office365::types::{CommandError, CommandResult, Connection};

/// `[bytes (100 MiB)]`: one JSON string that big as `raw-data`.
pub fn huge(args: &[String]) -> CommandResult {
    let n = number(args, 0, 100 * MIB) as usize;
    let mut raw = String::with_capacity(n + 2);
    raw.push('"');
    raw.extend(std::iter::repeat_n('a', n));
    raw.push('"');
    report::raw(raw)
}

/// `[count (1000000)]`: a list of that many errors: small in the guest, a value per
/// field in a host that lifts the whole record.
pub fn wide(args: &[String]) -> CommandResult {
    let count = number(args, 0, 1_000_000) as usize;
    let mut result = report::raw("{}".into());
    result.errors = (0..count)
        .map(|_| CommandError {
            failure_indicator: String::new(),
            status_code: 500,
            message: String::new(),
        })
        .collect();
    result
}

/// `[depth (1000), part ("raw-data", "key-fields", "context-data" or "events")]`:
/// arrays nested `depth` levels deep.
pub fn deep(args: &[String]) -> CommandResult {
    let depth = number(args, 0, 1000) as usize;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let mut result = report::raw("{}".into());
    match text(args, 1, "raw-data") {
        "key-fields" => result.key_fields = format!("{{\"deep\": {nested}}}"),
        "context-data" => result.context_data = nested,
        "events" => result.events = vec![format!("{{\"deep\": {nested}}}")],
        _ => result.raw_data = nested,
    }
    result
}

/// Every character as `\uXXXX` (UTF-16 units, as JSON writes them).
fn escaped(secret: &str) -> String {
    secret
        .encode_utf16()
        .map(|u| format!("\\u{u:04x}"))
        .collect()
}

/// The client secret written in valid JSON that a byte search does not find: fully
/// escaped, half escaped, with `\/` for `/`, in every JSON part of the result.
pub fn escaped_secret(connection: &Connection) -> CommandResult {
    let secret = conn::client_secret(connection);
    let half: String = secret
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                escaped(&c.to_string())
            } else {
                c.to_string()
            }
        })
        .collect();
    let mut result = report::raw(format!("{{\"leak\": \"{}\"}}", escaped(secret)));
    result.key_fields = format!("{{\"leak\": \"{half}\"}}");
    result.context_data = format!("{{\"leak\": \"{}\"}}", secret.replace('/', "\\/"));
    result.events = vec![format!("{{\"leak\": [\"{}\"]}}", escaped(secret))];
    result.errors.push(CommandError {
        failure_indicator: "List Mail Folders failed.".into(),
        status_code: 500,
        message: format!("plain: {secret}"),
    });
    result
}

/// The client secret in a log line and a progress message.
pub fn secret_in_log(connection: &Connection) -> CommandResult {
    let secret = conn::client_secret(connection);
    log::log(log::Level::Warn, &format!("the secret is {secret}"));
    log::progress(1, 2, &format!("still {secret}"));
    report::saw(json!({"logged": true}))
}
