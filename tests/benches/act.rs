//! Benchmarks of the act commands (method in docs/benchmarks.md):
//!   cargo bench -p o365-tests --bench act
//! Each line: HTTP exchanges the host made for one run (token included), and the median
//! and p90 wall time of `Runtime::run_command` over the runs after a warm-up, against
//! graph-sim on loopback. Nothing here asserts a target.

use std::time::{Duration, Instant};

use o365_tests::{Fixture, json};
use serde_json::Value;

const USER: &str = "bench.mover@contoso.example";

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

fn show(name: &str, requests: usize, samples: Vec<Duration>) {
    let n = samples.len();
    let (median, p90) = stats(samples);
    println!(
        "{name:<52} {requests:>3} HTTP requests   median {:>8.1} ms   p90 {:>8.1} ms   (n={n})",
        median.as_secs_f64() * 1e3,
        p90.as_secs_f64() * 1e3
    );
}

/// Runs `input` `runs + 1` times (the first is the warm-up); returns the HTTP exchanges
/// of the last run and the wall times of all but the first.
async fn measure(
    f: &Fixture,
    conn: &Value,
    command: &str,
    runs: usize,
    input: impl Fn() -> Value,
) -> (usize, Vec<Duration>) {
    let mut samples = Vec::new();
    let mut requests = 0;
    for i in 0..=runs {
        let input = input();
        // A fresh token each run, so every figure includes the token request.
        f.tokens.forget_access_tokens();
        let before = f.http_log().len();
        let started = Instant::now();
        let out = f.run(conn, command, input).await;
        let elapsed = started.elapsed();
        assert_eq!(out.status(), "successful", "{:#}", out.result);
        requests = f.http_log().len() - before;
        if i > 0 {
            samples.push(elapsed);
        }
    }
    (requests, samples)
}

/// 100 messages moved back and forth between Inbox and Archive.
async fn move_100(runs: usize) -> (usize, Vec<Duration>) {
    let f = Fixture::new().await;
    f.sim.add_user(USER, "Bench Mover");
    for n in 0..100 {
        f.sim
            .insert_message(USER, "inbox", json!({"subject": format!("Bench #{n}"), "from": {"emailAddress": {"address": "x@fabrikam.example"}}}))
            .unwrap();
    }
    let conn = f.demo("demo-app");
    let turn = std::cell::Cell::new(0usize);
    measure(&f, &conn, "move-or-copy-email-messages", runs, || {
        let to = if turn.get().is_multiple_of(2) { "archive" } else { "inbox" };
        turn.set(turn.get() + 1);
        let ids: Vec<Value> = f
            .sim
            .messages_of(USER)
            .into_iter()
            .filter(|m| m["subject"].as_str().unwrap_or("").starts_with("Bench #"))
            .map(|m| m["id"].clone())
            .collect();
        assert_eq!(ids.len(), 100);
        json!({"email-addresses": vec![USER; 100], "message-ids": ids, "destination-mail-folder": to, "move-or-copy": "Move"})
    })
    .await
}

/// A mail with a 10 MB attachment: draft, upload session (3 chunks), send.
async fn send_10_mb(runs: usize) -> (usize, Vec<Duration>) {
    let f = Fixture::new().await;
    let conn = f.demo("demo-app");
    let data: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let id = f.put_file(&conn, "capture.pcap", "application/vnd.tcpdump.pcap", &data);
    measure(&f, &conn, "send-mail", runs, || {
        json!({"mailbox-address": "soc.analyst@contoso.example", "subject": "Capture", "to-recipients": ["alex.wilber@contoso.example"], "file-ids": [id]})
    })
    .await
}

/// Tenant-wide search and move over 50 mailboxes (the demo's 5, 45 added), one hit each.
async fn search_50(runs: usize) -> (usize, Vec<Duration>) {
    let f = Fixture::new().await;
    for n in 0..45 {
        f.sim.add_user(
            &format!("user{n:02}@contoso.example"),
            &format!("User {n:02}"),
        );
    }
    let all: Vec<String> = (0..45)
        .map(|n| format!("user{n:02}@contoso.example"))
        .chain(
            [
                "soc.analyst",
                "alex.wilber",
                "adele.vance",
                "megan.bowen",
                "finance.team",
            ]
            .map(|u| format!("{u}@contoso.example")),
        )
        .collect();
    for user in &all {
        f.sim
            .insert_message(user, "inbox", json!({"subject": "Password expiry notice", "from": {"emailAddress": {"address": "it-support@secure-login-365.example"}}}))
            .unwrap();
    }
    let conn = f.demo("demo-app");
    measure(&f, &conn, "search-and-move-or-copy-email-messages", runs, || {
        json!({"email-subject": "Password expiry notice", "sender-email-address": "it-support@secure-login-365.example",
               "destination-mail-folder": "junkemail", "move-or-copy": "Move"})
    })
    .await
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 3 } else { 20 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (r, s) = rt.block_on(move_100(runs));
    show("move 100 messages (one mailbox)", r, s);
    let (r, s) = rt.block_on(send_10_mb(runs));
    show("send mail with a 10 MB attachment", r, s);
    let (r, s) = rt.block_on(search_50(runs));
    show("tenant-wide search and move, 50 mailboxes", r, s);
}
