//! Several `o365-host` processes, one connection, one Redis (`--token-store`): one token
//! request per token lifetime, no refresh token redeemed twice or lost, and a worker
//! killed while it refreshes holds the others up only until its lease runs out.
//! Needs the guest built (scripts/test does it) and `redis-server`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::RedisServer;
use graph_sim::{Fault, FaultKind, SimConfig, SimHandle};

const TOKEN_PATH: &str = "/oauth2/v2.0/token";

/// Worker processes, killed and reaped if a test stops early.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Workers {
    /// Waits for every worker; each one's exit status and result JSON.
    fn finish(mut self) -> Vec<(Option<i32>, serde_json::Value)> {
        self.0
            .drain(..)
            .map(|child| {
                let out = child.wait_with_output().unwrap();
                let result = serde_json::from_slice(&out.stdout).unwrap_or_else(
                    |_| serde_json::json!({"stderr": String::from_utf8_lossy(&out.stderr)}),
                );
                (out.status.code(), result)
            })
            .collect()
    }
}

/// One worker's own state dir holding the demo connection, as `--simulate=URL` reads it:
/// every worker names the same connection (`demo:demo-delegated`).
fn worker_dir(root: &Path, sim: &SimHandle, i: usize) -> PathBuf {
    let dir = root.join(format!("worker-{i}"));
    std::fs::create_dir_all(dir.join("sim")).unwrap();
    let conn = sim.demo_connection("demo-delegated").unwrap();
    std::fs::write(dir.join("sim/demo-delegated.json"), conn.to_string()).unwrap();
    dir
}

fn spawn_worker(dir: &Path, sim: &SimHandle, store: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_o365-host"))
        .args(["run", "list-mail-folders", "--quiet"])
        .arg(format!("--simulate={}", sim.url()))
        .args(store)
        .env("O365_STATE_DIR", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `n` workers started at once, then waited for.
fn run_workers(
    root: &Path,
    sim: &SimHandle,
    n: usize,
    store: &[String],
) -> Vec<(Option<i32>, serde_json::Value)> {
    let dirs: Vec<PathBuf> = (0..n).map(|i| worker_dir(root, sim, i)).collect();
    let workers = Workers(dirs.iter().map(|d| spawn_worker(d, sim, store)).collect());
    workers.finish()
}

fn token_requests(sim: &SimHandle) -> Vec<graph_sim::RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.ends_with(TOKEN_PATH))
        .collect()
}

fn refresh_token_of(request: &graph_sim::RecordedRequest) -> String {
    form_urlencoded::parse(request.body.as_bytes())
        .find(|(k, _)| k == "refresh_token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The compiled component is cached once, so the workers start alike.
fn warm_up() {
    let status = Command::new(env!("CARGO_BIN_EXE_o365-host"))
        .arg("describe")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

fn redis_store(redis: &RedisServer, lease_ms: u64) -> Vec<String> {
    vec![
        format!("--token-store={}", redis.url(0)),
        format!("--token-lease-ms={lease_ms}"),
    ]
}

fn assert_all_successful(results: &[(Option<i32>, serde_json::Value)]) {
    for (code, result) in results {
        assert_eq!(*code, Some(0), "{result}");
        assert_eq!(result["status"], "successful", "{result}");
    }
}

/// Makes the connection's cached access token due for a refresh, as its lifetime ending
/// would (graph-sim keeps accepting it; only the cache's expiry moves).
fn age_cached_access_tokens(redis: &RedisServer) {
    let mut conn = redis::Client::open(redis.url(0))
        .unwrap()
        .get_connection()
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("o365:*:at:*")
        .query(&mut conn)
        .unwrap();
    assert_eq!(
        keys.len(),
        1,
        "one access token for the one connection: {keys:?}"
    );
    let soon = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 60;
    let _: () = redis::cmd("HSET")
        .arg(&keys[0])
        .arg("expires_at")
        .arg(soon)
        .query(&mut conn)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_on_one_redis_make_one_token_request_per_lifetime_with_strict_rotation() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    warm_up();
    let sim = graph_sim::start(SimConfig {
        strict_refresh_rotation: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let store = redis_store(&redis, 30_000);
    const N: usize = 4;
    for lifetime in 1..=2 {
        // A slow token endpoint: every other worker arrives while the first refreshes.
        sim.inject(Fault::new(
            TOKEN_PATH,
            FaultKind::Delay(Duration::from_millis(1500)),
        ));
        let results = tokio::task::block_in_place(|| run_workers(root.path(), &sim, N, &store));
        assert_all_successful(&results);
        let requests = token_requests(&sim);
        assert_eq!(
            requests.len(),
            lifetime,
            "{N} workers, token lifetime {lifetime}: one token request per lifetime"
        );
        assert!(requests.iter().all(|r| r.status == 200));
        age_cached_access_tokens(&redis);
    }
    // Strict rotation revokes a refresh token once used: the second lifetime redeemed
    // the one the first rotated in, which reached Redis.
    let used: Vec<String> = token_requests(&sim).iter().map(refresh_token_of).collect();
    assert!(
        !used[0].is_empty() && used[0] != used[1],
        "each refresh token redeemed once"
    );
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_refused_their_token_by_graph_renew_it_once_between_them() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    warm_up();
    let sim = graph_sim::start(SimConfig {
        strict_refresh_rotation: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let store = redis_store(&redis, 30_000);
    const N: usize = 4;
    let results = tokio::task::block_in_place(|| run_workers(root.path(), &sim, N, &store));
    assert_all_successful(&results);
    // The server ends the token's life early: every worker's cached token is refused (401).
    sim.expire_access_tokens();
    sim.inject(Fault::new(
        TOKEN_PATH,
        FaultKind::Delay(Duration::from_millis(1500)),
    ));
    let results = tokio::task::block_in_place(|| run_workers(root.path(), &sim, N, &store));
    assert_all_successful(&results);
    let requests = token_requests(&sim);
    assert_eq!(
        requests.len(),
        2,
        "{N} workers refused the same token: one renews it for all"
    );
    let used: Vec<String> = requests.iter().map(refresh_token_of).collect();
    assert_ne!(used[0], used[1], "each refresh token redeemed once");
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_refresh_holds_the_others_only_until_its_lease_ends() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    warm_up();
    // Microsoft's rotation: the killed worker's refresh token stays valid for the next.
    let sim = graph_sim::start(SimConfig::default()).await.unwrap();
    let root = tempfile::tempdir().unwrap();
    let lease_ms = 2_000;
    let store = redis_store(&redis, lease_ms);
    // The first worker's token request hangs far longer than the lease.
    sim.inject(Fault::new(
        TOKEN_PATH,
        FaultKind::Delay(Duration::from_secs(20)),
    ));
    let mut first = Workers(vec![spawn_worker(
        &worker_dir(root.path(), &sim, 0),
        &sim,
        &store,
    )]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while token_requests(&sim).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first worker never asked for a token"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // It holds the lease and waits for its token: kill it there.
    let killed_at = Instant::now();
    let mut holder = first.0.pop().unwrap();
    holder.kill().unwrap();
    holder.wait().unwrap();
    let results = tokio::task::block_in_place(|| run_workers(root.path(), &sim, 3, &store));
    let took = killed_at.elapsed();
    assert_all_successful(&results);
    let requests = token_requests(&sim);
    assert_eq!(
        requests.iter().filter(|r| r.status == 200).count(),
        1,
        "one of the others refreshed, once"
    );
    assert!(
        took < Duration::from_secs(15),
        "the others finished {took:?} after the kill: the lease of {lease_ms} ms, not the hung request, held them"
    );
    sim.shutdown();
}

/// Figures for docs/benchmarks.md: token requests of N workers, with one shared Redis
/// and with each process's own in-memory cache. Run with `--ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn figures_token_requests_per_worker_count() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    warm_up();
    println!(
        "| workers | store | refresh-token rotation | token requests | successful workers | wall time |"
    );
    println!("|---|---|---|---|---|---|");
    for n in [1, 2, 4, 8] {
        for (name, store) in [
            ("redis (shared)", redis_store(&redis, 30_000)),
            ("memory (per process)", Vec::new()),
        ] {
            for strict in [false, true] {
                let sim = graph_sim::start(SimConfig {
                    strict_refresh_rotation: strict,
                    ..SimConfig::default()
                })
                .await
                .unwrap();
                let _: () = redis::cmd("FLUSHALL")
                    .query(
                        &mut redis::Client::open(redis.url(0))
                            .unwrap()
                            .get_connection()
                            .unwrap(),
                    )
                    .unwrap();
                let root = tempfile::tempdir().unwrap();
                let started = Instant::now();
                let results =
                    tokio::task::block_in_place(|| run_workers(root.path(), &sim, n, &store));
                let ok = results.iter().filter(|(c, _)| *c == Some(0)).count();
                println!(
                    "| {n} | {name} | {} | {} | {ok}/{n} | {:.2} s |",
                    if strict { "strict" } else { "Microsoft's" },
                    token_requests(&sim).len(),
                    started.elapsed().as_secs_f64()
                );
                sim.shutdown();
            }
        }
    }
}
