//! Crashes, CPU, memory and volume: what the host must stop or cap whatever the guest
//! does.

use std::hint::black_box;

use serde_json::json;

use super::{MIB, number, text};
use crate::report;
use crate::soar::office365::types::CommandResult;
use crate::soar::office365::{file_store, log, token_cache};
use crate::wasi::clocks::monotonic_clock;
use crate::wasi::http::types::Fields;
use crate::wasi::random::random;

pub fn trap() -> CommandResult {
    std::process::abort()
}

fn dive(depth: u64) -> u64 {
    if depth == u64::MAX {
        return 0;
    }
    let frame = black_box([depth; 32]);
    dive(depth + 1).wrapping_add(frame[7])
}

pub fn stack_overflow() -> CommandResult {
    report::saw(json!({"depth": dive(0)}))
}

/// Grows linear memory 16 MiB at a time, touching every page, until something stops it.
pub fn memory_growth() -> CommandResult {
    let mut kept: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = Vec::new();
        if block.try_reserve_exact(16 * MIB as usize).is_err() {
            break;
        }
        block.resize(16 * MIB as usize, 1);
        kept.push(black_box(block));
    }
    report::saw(json!({"grown-mib": kept.len() * 16}))
}

pub fn busy_loop() -> CommandResult {
    let mut x = 1u64;
    loop {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
}

/// `[kind, size or id, iterations (forever)]`: host calls that cost the host much more
/// than the guest, in a loop. Kinds: `token-get` (a huge key, default 16 MiB), `log`
/// (a line of `size`), `file-get` (the file id given), `random` (`size` bytes).
pub fn busy_host_calls(args: &[String]) -> CommandResult {
    let kind = text(args, 0, "token-get");
    let size = number(args, 1, 16 * MIB) as usize;
    let iterations = number(args, 2, u64::MAX);
    let payload = "k".repeat(if kind == "file-get" { 0 } else { size });
    let id = text(args, 1, "");
    for _ in 0..iterations {
        match kind {
            "log" => log::log(log::Level::Debug, &payload),
            "file-get" => {
                let _ = black_box(file_store::get(id, "attachment"));
            }
            "random" => {
                black_box(random::get_random_bytes(size as u64));
            }
            _ => {
                black_box(token_cache::get(&payload));
            }
        }
    }
    report::saw(json!({"iterations": iterations}))
}

/// `[nanoseconds (forever)]`: waits without spending CPU.
pub fn sleep(args: &[String]) -> CommandResult {
    monotonic_clock::subscribe_duration(number(args, 0, u64::MAX)).block();
    report::saw(json!({"slept": true}))
}

/// `[total bytes (768 MiB), line bytes (1 MiB)]`.
pub fn logs(args: &[String]) -> CommandResult {
    let total = number(args, 0, 768 * MIB);
    let line = "l".repeat(number(args, 1, MIB).max(1) as usize);
    let lines = total / line.len() as u64;
    for _ in 0..lines {
        log::log(log::Level::Info, &line);
    }
    report::saw(json!({"lines": lines}))
}

/// `[count (100000), 8 KiB values per set (12)]`: header sets kept alive, each filled
/// to just under wasmtime's per-set limit (128 KiB; past it the host traps): host memory
/// the guest's memory limit does not see.
pub fn fields_hoard(args: &[String]) -> CommandResult {
    let value = vec![b'v'; 8 * 1024];
    let per_set = number(args, 1, 12);
    let mut kept = Vec::new();
    let mut bytes = 0usize;
    for _ in 0..number(args, 0, 100_000) {
        let fields = Fields::new();
        for j in 0..per_set {
            if fields.append(&format!("x-hoard-{j}"), &value).is_err() {
                break;
            }
            bytes += value.len();
        }
        kept.push(fields);
    }
    report::saw(json!({"fields": kept.len(), "header-bytes": bytes}))
}

/// `[bytes (1 GiB)]`: the host builds the random bytes before handing them over.
pub fn random_huge(args: &[String]) -> CommandResult {
    let got = random::get_random_bytes(number(args, 0, 1024 * MIB));
    report::saw(json!({"random-bytes": got.len()}))
}
