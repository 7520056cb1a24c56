//! Fetch Event of 1,000 messages with attachments, through the wasm guest in the host and
//! through the same core natively, against the same simulator in the same run
//! (method and figures in docs/benchmarks.md):
//!   cargo bench -p o365-tests --bench fetch
//! Reports the median and p90 of each, their ratio, the guest's peak linear memory and
//! the HTTP requests one run makes. Nothing here asserts a target.

use std::sync::Arc;
use std::time::{Duration, Instant};

use o365_core::commands::fetch_event::{self, Input};
use o365_core::model::Status;
use o365_tests::graph_sim::MailboxSpec;
use o365_tests::native::NativeEnv;
use o365_tests::{Fixture, Options, json};

const USER: &str = "alex.wilber@contoso.example";

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (
        samples[samples.len() / 2],
        samples[(samples.len() * 9).div_ceil(10) - 1],
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Scenario {
    name: &'static str,
    folders: &'static [&'static str],
    per_folder: u32,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 3 } else { 15 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let f = rt.block_on(Fixture::with(Options {
        // No HTTP log: the native side has none either.
        configure: Some(|c| c.http_log = None),
        ..Options::default()
    }));
    let spec = MailboxSpec {
        messages: 10_000,
        folders: vec!["Bench A".into(), "Bench B".into(), "Bench C".into()],
        attachment_bytes: 4_096,
        ..MailboxSpec::default()
    };
    let started = Instant::now();
    f.sim.generate_messages(USER, &spec).unwrap();
    println!(
        "mailbox: {} messages over 3 folders, every one with a ~4 KiB file attachment; 1 in 10 an inline image, 1 in 20 an attached .eml, 1 in 25 an item attachment (generated in {:.1} s)",
        spec.messages,
        started.elapsed().as_secs_f64()
    );
    let demo = f.demo("demo-app");
    let conn = o365_tests::native::app_connection(&demo);
    let native_files = tempfile::tempdir().unwrap();
    let env = Arc::new(NativeEnv::new(
        rt.handle().clone(),
        &f.sim.url(),
        native_files.path(),
        &conn.tenant_id,
    ));

    for scenario in [
        Scenario {
            name: "1 folder x 1000",
            folders: &["Bench A"],
            per_folder: 1000,
        },
        Scenario {
            name: "3 folders x 334",
            folders: &["Bench A", "Bench B", "Bench C"],
            per_folder: 334,
        },
    ] {
        let input_json = json!({"Email Address": USER, "Mail Folders": scenario.folders, "Start Time": "2025-01-01 00:00",
                                "End Time": "2025-12-31 00:00", "Number of Event(s) Fetched": scenario.per_folder});
        let input = Input {
            email_address: Some(USER.into()),
            mail_folders: scenario.folders.iter().map(|s| s.to_string()).collect(),
            start_time: "2025-01-01 00:00".into(),
            end_time: "2025-12-31 00:00".into(),
            number_of_events_fetched: Some(scenario.per_folder),
            ..Input::default()
        };
        let mut wasm = Vec::new();
        let mut native = Vec::new();
        let mut peak = 0;
        let mut requests = (0, 0);
        let mut events = (0, 0);
        let mut raw_bytes = 0;
        // The first pair warms caches (token, compiled component, sim) and is dropped.
        for i in 0..=runs {
            f.sim.clear_requests();
            let t = Instant::now();
            // The result as the host hands it to a platform: one JSON text.
            let out = rt.block_on(f.run_text(&demo, "fetch-event", input_json.clone()));
            let elapsed = t.elapsed();
            let out = out.parse();
            assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
            requests.0 = f.sim.requests().len();
            events.0 = out.result["events"].as_array().unwrap().len();
            raw_bytes = out.result["raw-data"].to_string().len();
            peak = peak.max(out.peak_memory_bytes);
            if i > 0 {
                wasm.push(elapsed);
            }

            f.sim.clear_requests();
            let (env2, conn2, input2) = (env.clone(), conn.clone(), input.clone());
            let t = Instant::now();
            // The same core call, then the scrubbed JSON text the guest hands back
            // through WIT, written by the same core function.
            let result = rt
                .block_on(rt.spawn_blocking(move || {
                    fetch_event::fetch_event(env2.as_ref(), &conn2, &input2).into_wire()
                }))
                .unwrap();
            let elapsed = t.elapsed();
            assert_eq!(result.status, Status::Successful, "{:?}", result.errors);
            requests.1 = f.sim.requests().len();
            events.1 = result.events.len();
            if i > 0 {
                native.push(elapsed);
            }
        }
        assert_eq!(events.0, events.1, "both sides fetched the same messages");
        // Each wasm run is paired with the native run right after it; the median of
        // the pairs' ratios is robust to the machine's speed drifting during the bench.
        let mut pair_ratios: Vec<f64> = wasm
            .iter()
            .zip(&native)
            .map(|(w, n)| w.as_secs_f64() / n.as_secs_f64())
            .collect();
        pair_ratios.sort_by(f64::total_cmp);
        let pair_ratio = pair_ratios[pair_ratios.len() / 2];
        let (wm, wp) = stats(wasm);
        let (nm, np) = stats(native);
        println!(
            "\nFetch Event, {} ({} events, raw data {:.1} MB), {runs} runs each after a warm-up:",
            scenario.name,
            events.0,
            raw_bytes as f64 / 1e6
        );
        println!(
            "  wasm guest in the host   median {:>8.1} ms   p90 {:>8.1} ms",
            ms(wm),
            ms(wp)
        );
        println!(
            "  same core, native        median {:>8.1} ms   p90 {:>8.1} ms   (core call + result as JSON text)",
            ms(nm),
            ms(np)
        );
        println!(
            "  ratio wasm / native      {:.2} (of the medians)   {pair_ratio:.2} (median of the {runs} pairs)",
            wm.as_secs_f64() / nm.as_secs_f64()
        );
        println!(
            "  peak guest memory        {:.1} MiB",
            peak as f64 / (1024.0 * 1024.0)
        );
        println!(
            "  HTTP requests per run    wasm {}   native {} (token cached after the warm-up)",
            requests.0, requests.1
        );
    }
}
