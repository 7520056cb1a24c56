//! Isolation benchmarks (issue 8), method in docs/benchmarks.md:
//!   scripts/build-guest && scripts/build-hostile && cargo bench -p o365-tests --bench hostile
//!
//! 1. The well-behaved tenant's latency (office365.wasm, List Mail Folders with a cached
//!    token against graph-sim) alone, then while 8 hostile guests attack without pause in
//!    the same process; p99 beside them over p99 alone (target <= 2).
//! 2. The process's peak resident memory while 64 hostile invocations run at once, each
//!    one of 8 memory attacks (target <= 64 x (guest memory limit + 16 MiB)); then the
//!    same with the two attacks on host memory no `Limits` field covers.
//!
//! graph-sim runs on a thread of its own; the host's runtime has one worker per core.
//!
//! `HOSTILE_SPINNERS=busy-loop,logs` runs part 1 with those attackers only (to find which
//! one slows the neighbour); `HOSTILE_PART=latency` or `=memory` runs one part;
//! `HOSTILE_EVENT_INTERVAL=2` sets the host runtime's tokio event and global-queue
//! intervals (default 61 polls); `HOSTILE_NEIGHBOUR_RUNTIME=own` runs the neighbour on a
//! tokio runtime of its own; `HOSTILE_BATCH_THREADS=n` gives the runtimes n batch threads
//! (default: one less than the cores).
//!
//! A watchdog thread samples the resident set every 10 ms and stops the process when it
//! passes the second target by a quarter, so a host without bounds cannot take the
//! machine down; the figure is then "more than" the size it stopped at.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use o365_tests::graph_sim::{self, SimConfig};
use o365_tests::hostile::{Arena, Limits, folder_names};

const MIB: u64 = 1024 * 1024;
/// The hostile guests' linear memory limit in this benchmark.
const GUEST_MEMORY: u64 = 64 * MIB;
const INVOCATIONS: u64 = 64;
const RSS_TARGET: u64 = INVOCATIONS * (GUEST_MEMORY + 16 * MIB);
const NEIGHBOUR_RUNS: usize = 200;
/// A host without bounds can slow the neighbour to a crawl: measuring stops here.
const NEIGHBOUR_TIME: Duration = Duration::from_secs(90);

/// Each attack and its arguments: the 8 hostile guests of part 1, and the 8 kinds the
/// 64 invocations of part 2 cycle through.
const SPINNERS: [(&str, &[&str]); 8] = [
    ("busy-loop", &[]),
    ("busy-host-calls", &["token-get", "16777216"]),
    ("logs", &[]),
    ("request-body", &[]),
    ("in-flight", &["3000"]),
    ("memory-growth", &[]),
    ("huge-result", &["50331648"]),
    ("deep-result", &["100000"]),
];
const HOARDERS: [(&str, &[&str]); 8] = [
    ("request-body", &[]),
    ("logs", &[]),
    ("memory-growth", &[]),
    ("huge-result", &["50331648"]),
    ("wide-result", &["500000"]),
    ("deep-result", &["100000"]),
    ("in-flight", &["3000"]),
    ("busy-host-calls", &["log", "1048576"]),
];
/// Host memory no `Limits` field covers (yet): run last, as the watchdog may end the
/// process.
const UNCOVERED: [(&str, &[&str]); 2] = [("fields-hoard", &[]), ("cache-hoard", &[])];

/// The platform's defaults, but a CPU budget and wall clock that end a round in seconds.
fn limits() -> Limits {
    Limits {
        cpu_time: Duration::from_secs(10),
        wall_time: Duration::from_secs(60),
        ..Limits::default()
    }
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// Samples VmRSS; stops the process when it passes the stop line.
fn watchdog(peak: Arc<AtomicU64>, stop_at: u64) {
    std::thread::spawn(move || {
        loop {
            let rss = status_kib("VmRSS:");
            peak.fetch_max(rss, Ordering::Relaxed);
            if rss > stop_at {
                println!(
                    "resident memory {} MiB passed the stop line {} MiB: stopping (the target is not met)",
                    rss / MIB,
                    stop_at / MIB
                );
                std::process::exit(2);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// The neighbour's latencies over `NEIGHBOUR_RUNS` runs (or `NEIGHBOUR_TIME`), after
/// checking each result.
async fn neighbour_latencies(arena: &Arena, expected: &[String]) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(NEIGHBOUR_RUNS);
    let began = Instant::now();
    while samples.len() < NEIGHBOUR_RUNS && began.elapsed() < NEIGHBOUR_TIME {
        let started = Instant::now();
        let out = arena.neighbour_run().await;
        samples.push(started.elapsed());
        let names = folder_names(&out).unwrap_or_else(|e| panic!("the neighbour failed: {e}"));
        assert_eq!(names, expected, "the neighbour's folders changed");
    }
    samples.sort();
    samples
}

fn show(name: &str, sorted: &[Duration]) {
    println!(
        "{name:<40} p50 {:>8.1} ms   p99 {:>8.1} ms   (n={})",
        percentile(sorted, 0.5).as_secs_f64() * 1e3,
        percentile(sorted, 0.99).as_secs_f64() * 1e3,
        sorted.len()
    );
}

/// The neighbour's latencies, measured on `own` (a runtime of its own) when given.
async fn neighbour_on(
    own: &Option<tokio::runtime::Handle>,
    arena: &Arc<Arena>,
    expected: &[String],
) -> Vec<Duration> {
    match own {
        None => neighbour_latencies(arena, expected).await,
        Some(handle) => {
            let (arena, expected) = (arena.clone(), expected.to_vec());
            handle
                .spawn(async move { neighbour_latencies(&arena, &expected).await })
                .await
                .expect("the neighbour's task")
        }
    }
}

async fn latency_beside_hostile_guests(arena: Arc<Arena>, own: Option<tokio::runtime::Handle>) {
    let expected = arena.expected_folders();
    neighbour_on(&own, &arena, &expected).await; // warm-up
    let alone = neighbour_on(&own, &arena, &expected).await;
    let stop = Arc::new(AtomicBool::new(false));
    let chosen = std::env::var("HOSTILE_SPINNERS").unwrap_or_default();
    let spinners: Vec<_> = SPINNERS
        .iter()
        .filter(|(attack, _)| chosen.is_empty() || chosen.split(',').any(|c| c == *attack))
        .collect();
    let mut guests = Vec::new();
    for (i, (attack, args)) in spinners.iter().enumerate() {
        let (arena, stop) = (arena.clone(), stop.clone());
        guests.push(tokio::spawn(async move {
            let conn = arena.demo("demo-app");
            let (attack, args) = (*attack, *args);
            let mut rounds = 0u32;
            while !stop.load(Ordering::Relaxed) {
                arena
                    .attack(&format!("spinner-{i}"), &conn, attack, args)
                    .await;
                rounds += 1;
            }
            rounds
        }));
    }
    // Let every attack get going before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let beside = neighbour_on(&own, &arena, &expected).await;
    stop.store(true, Ordering::Relaxed);
    let mut rounds = 0;
    for g in guests {
        rounds += g.await.unwrap_or(0);
    }
    show("neighbour alone", &alone);
    let names: Vec<&str> = spinners.iter().map(|(a, _)| *a).collect();
    show(
        &format!("neighbour beside {} hostile guests", names.len()),
        &beside,
    );
    println!("  attackers: {}", names.join(", "));
    println!(
        "p99 ratio beside/alone: {:.2} (target <= 2.00); {rounds} hostile invocations ran",
        percentile(&beside, 0.99).as_secs_f64() / percentile(&alone, 0.99).as_secs_f64()
    );
}

async fn peak_rss_of_64_hostile_invocations(
    arena: Arc<Arena>,
    sampled_peak: Arc<AtomicU64>,
    attacks: &'static [(&'static str, &'static [&'static str])],
) {
    let conn = arena.demo("demo-app");
    arena.attack("warm-up", &conn, "echo", &[]).await;
    // Resets VmHWM to the current resident set (Linux 4.0+).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:");
    sampled_peak.store(before, Ordering::Relaxed);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..INVOCATIONS as usize {
        let (arena, conn) = (arena.clone(), conn.clone());
        let (attack, args) = attacks[i % attacks.len()];
        tasks.push(tokio::spawn(async move {
            let out = arena
                .attack(&format!("hoarder-{i}"), &conn, attack, args)
                .await;
            (attack, out.status().to_string())
        }));
    }
    let mut endings = std::collections::BTreeMap::<String, u32>::new();
    for t in tasks {
        let (attack, status) = t.await.expect("no panic");
        *endings.entry(format!("{attack}: {status}")).or_default() += 1;
    }
    let hwm = status_kib("VmHWM:");
    let peak = hwm.max(sampled_peak.load(Ordering::Relaxed));
    println!(
        "64 hostile invocations at once of {} ({:.1} s): resident before {} MiB, peak {} MiB (+{} MiB); target <= {} MiB = 64 x ({} MiB guest limit + 16 MiB)",
        attacks
            .iter()
            .map(|(a, _)| *a)
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64(),
        before / MIB,
        peak / MIB,
        peak.saturating_sub(before) / MIB,
        RSS_TARGET / MIB,
        GUEST_MEMORY / MIB
    );
    for (ending, n) in endings {
        println!("  {n:>3} x {ending}");
    }
}

fn main() {
    let sampled_peak = Arc::new(AtomicU64::new(0));
    watchdog(sampled_peak.clone(), RSS_TARGET + RSS_TARGET / 4);
    // graph-sim on a thread of its own, as Graph would be elsewhere: the figures are the
    // host's, not the simulator's waiting in the same task queue.
    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio");
    let sim = sim_runtime
        .block_on(graph_sim::start(SimConfig::default()))
        .expect("graph-sim starts");
    // HOSTILE_EVENT_INTERVAL=n: how many task polls a worker makes between looks at I/O
    // events and the shared queue (tokio's default 61), to see the scheduler's share.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = std::env::var("HOSTILE_EVENT_INTERVAL")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        builder.event_interval(n).global_queue_interval(n);
    }
    let runtime = builder.build().expect("tokio");
    // HOSTILE_NEIGHBOUR_RUNTIME=own: the neighbour runs on a tokio runtime of its own (to
    // tell the executor's share from what the process shares: locks, memory, the engine).
    let own_runtime = (std::env::var("HOSTILE_NEIGHBOUR_RUNTIME").as_deref() == Ok("own"))
        .then(|| tokio::runtime::Runtime::new().expect("tokio"));
    let own = own_runtime.as_ref().map(|r| r.handle().clone());
    runtime.block_on(async {
        let arena = Arc::new(Arena::with_sim(sim, limits(), GUEST_MEMORY as usize));
        let part = std::env::var("HOSTILE_PART").unwrap_or_default();
        if part != "memory" {
            latency_beside_hostile_guests(arena.clone(), own).await;
        }
        if part != "latency" {
            peak_rss_of_64_hostile_invocations(arena.clone(), sampled_peak.clone(), &HOARDERS)
                .await;
            peak_rss_of_64_hostile_invocations(arena, sampled_peak, &UNCOVERED).await;
        }
    });
}
