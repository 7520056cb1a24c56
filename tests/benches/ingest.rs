//! A scheduled Fetch Event with the delta cursor on a folder of 10,000 messages: the
//! requests and wall time of one cursor run when 0, 10 or 1,000 messages came in since
//! the last run (method and figures in docs/benchmarks.md):
//!   cargo bench -p o365-tests --bench ingest [-- --quick]
//! The wasm guest runs in the host against graph-sim over loopback. Nothing here asserts
//! a target; each run is checked to deliver exactly the new messages.

use std::time::{Duration, Instant};

use o365_tests::graph_sim::MailboxSpec;
use o365_tests::{Fixture, Options, json};
use serde_json::Value;

const USER: &str = "alex.wilber@contoso.example";
const FOLDER: &str = "Ingest";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median and p90.
fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (
        samples[samples.len() / 2],
        samples[(samples.len() * 9).div_ceil(10) - 1],
    )
}

/// Messages shaped like the folder's (a ~4 KiB file each, some inline images,
/// attached .eml files and item attachments), received after everything there.
fn new_messages(n: usize, start: i64, seed: u64) -> MailboxSpec {
    MailboxSpec {
        messages: n,
        folders: vec![FOLDER.into()],
        start,
        spacing_secs: 1,
        attachment_bytes: 4_096,
        seed,
        ..MailboxSpec::default()
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let f = rt.block_on(Fixture::with(Options {
        configure: Some(|c| c.http_log = None),
        ..Options::default()
    }));
    let started = Instant::now();
    f.sim
        .generate_messages(USER, &new_messages(10_000, 1_735_689_600, 42))
        .unwrap();
    println!(
        "folder '{FOLDER}': 10,000 messages, each with a ~4 KiB file attachment (generated in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    let app = f.demo("demo-app");
    // The first run: a window after every message, so the cursor starts at the
    // folder's present state (its first round of delta, no backlog).
    let input = |cursor: Option<&Value>| {
        let mut v = json!({"Email Address": USER, "Mail Folders": [FOLDER], "Start Time": "2026-06-01 00:00",
                           "End Time": "2026-06-01 00:00", "Number of Event(s) Fetched": 1000, "Use Immutable IDs": true});
        if let Some(c) = cursor {
            v["Cursor"] = c.clone();
        }
        v
    };
    let first = rt.block_on(f.run(&app, "fetch-event", input(None)));
    assert_eq!(first.status(), "successful", "{:#}", first.result["errors"]);
    let mut cursor = first.result["context-data"]["cursor"].clone();
    // Warm-up: token cached, component compiled.
    let warm = rt.block_on(f.run(&app, "fetch-event", input(Some(&cursor))));
    cursor = warm.result["context-data"]["cursor"].clone();

    let mut next_received = 1_760_000_000i64;
    let mut seed = 1_000u64;
    for (new, runs) in [(0usize, 15usize), (10, 15), (1_000, 5)] {
        let runs = if quick { 3 } else { runs };
        let mut times = Vec::new();
        let mut requests = Vec::new();
        let mut delta_pages = Vec::new();
        for _ in 0..runs {
            if new > 0 {
                seed += 1;
                f.sim
                    .generate_messages(USER, &new_messages(new, next_received, seed))
                    .unwrap();
                next_received += new as i64 + 60;
            }
            f.sim.clear_requests();
            let t = Instant::now();
            let out = rt.block_on(f.run_text(&app, "fetch-event", input(Some(&cursor))));
            let elapsed = t.elapsed();
            let out = out.parse();
            assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
            assert_eq!(
                out.result["events"].as_array().unwrap().len(),
                new,
                "exactly the new messages"
            );
            cursor = out.result["context-data"]["cursor"].clone();
            requests.push(f.sim.requests().len());
            delta_pages.push(
                f.sim
                    .requests()
                    .iter()
                    .filter(|r| r.path.ends_with("/messages/delta"))
                    .count(),
            );
            times.push(elapsed);
        }
        let (median, p90) = stats(times);
        requests.sort();
        delta_pages.sort();
        println!(
            "\ncursor run with {new:>5} new messages ({runs} runs): median {:>8.1} ms   p90 {:>8.1} ms\n  HTTP requests {}..{} (token cached), of which delta pages {}..{}; the rest read item attachments",
            ms(median),
            ms(p90),
            requests[0],
            requests[requests.len() - 1],
            delta_pages[0],
            delta_pages[delta_pages.len() - 1]
        );
    }
    let size = cursor.to_string().len();
    println!("\ncursor size after the runs: {size} bytes");
}
