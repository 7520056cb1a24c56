//! The attacks, by name (list-mail-folders' `parent-folder-id`). Arguments come in
//! `email-addresses`, with `{tenant}`, `{login}`, `{graph}`, `{upload}`, `{secret}` and
//! `{own-key}` replaced by the connection's values (see `conn::expand`).

mod bounds;
mod egress;
mod results;
mod state;

use serde_json::json;

use crate::conn;
use crate::report;
use crate::soar::office365::types::{CommandResult, Connection};

pub fn run(connection: &Connection, attack: &str, args: &[String]) -> CommandResult {
    let args: Vec<String> = args.iter().map(|a| conn::expand(connection, a)).collect();
    match attack {
        // Egress: hosts, schemes, ports, tenants and tokens the host must refuse.
        "egress" => egress::request(connection, &args),
        "request-body" => egress::request_body(connection, &args),
        "in-flight" => egress::in_flight(connection, &args),
        "straddle-http-log" => egress::straddle_http_log(connection, &args),
        // Another connection's state, and state that pollutes others.
        "cache-read" => state::cache_read(connection, &args),
        "cache-write" => state::cache_write(&args),
        "cache-hoard" => state::cache_hoard(&args),
        "file-put" => state::file_put(&args),
        "file-get" => state::file_get(&args),
        // Crashes, CPU, memory and volume.
        "trap" => bounds::trap(),
        "panic" => panic!("the hostile guest panics on purpose"),
        "stack-overflow" => bounds::stack_overflow(),
        "memory-growth" => bounds::memory_growth(),
        "busy-loop" => bounds::busy_loop(),
        "busy-host-calls" => bounds::busy_host_calls(&args),
        "sleep" => bounds::sleep(&args),
        "logs" => bounds::logs(&args),
        "fields-hoard" => bounds::fields_hoard(&args),
        "random-huge" => bounds::random_huge(&args),
        // Results the host must bound, parse safely and scrub.
        "huge-result" => results::huge(&args),
        "wide-result" => results::wide(&args),
        "deep-result" => results::deep(&args),
        "escaped-secret" => results::escaped_secret(connection),
        "secret-in-log" => results::secret_in_log(connection),
        // Harmless, for baselines.
        "echo" => report::saw(json!({"hostile": "echo", "arguments": args.len()})),
        other => report::unknown(other),
    }
}

/// Argument `i` as a number, or `default`.
fn number(args: &[String], i: usize, default: u64) -> u64 {
    args.get(i)
        .and_then(|a| a.trim().parse().ok())
        .unwrap_or(default)
}

fn text<'a>(args: &'a [String], i: usize, default: &'a str) -> &'a str {
    args.get(i).map(String::as_str).unwrap_or(default)
}

const MIB: u64 = 1024 * 1024;
