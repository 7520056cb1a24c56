//! The isolation arena: one process, one graph-sim, one token cache and one file store
//! shared by two runtimes, as a platform hosting many tenants would share them: the real
//! `office365.wasm` for a well-behaved tenant (the neighbour), and `hostile_guest.wasm`
//! (crates/hostile-guest) for the attacker. Used by tests/tests/e2e/hostile.rs and
//! tests/benches/hostile.rs.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use graph_sim::{SimConfig, SimHandle};
pub use o365_host::Limits;
use o365_host::connection::ALL_CLOUD_HOSTS;
use o365_host::{Outcome, Runtime, RuntimeConfig, TokenCache, paths};
use serde_json::{Value, json};

/// The hostile component, next to office365.wasm (`scripts/build-hostile` builds it).
pub fn hostile_component() -> PathBuf {
    let path = paths::default_component().with_file_name("hostile_guest.wasm");
    assert!(
        path.exists(),
        "{} is missing: build it with scripts/build-hostile (scripts/test does)",
        path.display()
    );
    path
}

/// The connection id the neighbour runs under.
pub const NEIGHBOUR: &str = "neighbour-analyst";

pub struct Arena {
    pub sim: SimHandle,
    /// office365.wasm: the well-behaved tenant.
    pub good: Runtime,
    /// hostile_guest.wasm: the attacker.
    pub bad: Runtime,
    pub tokens: Arc<TokenCache>,
    pub dir: tempfile::TempDir,
}

fn config(
    component: PathBuf,
    dir: &tempfile::TempDir,
    sim: &SimHandle,
    log: &str,
    limits: Limits,
    memory_limit_bytes: usize,
) -> RuntimeConfig {
    let mut config = RuntimeConfig::new(component, dir.path().join("files"));
    config.cache_dir = Some(paths::default_cache_dir());
    config.routes = ALL_CLOUD_HOSTS
        .iter()
        .map(|h| (h.to_string(), sim.url()))
        .collect();
    config.http_log = Some(dir.path().join(log));
    config.limits = limits;
    config.engine.memory_limit_bytes = memory_limit_bytes;
    // The isolation bench's switch (tests/benches/hostile.rs); unset: the host's default.
    config.batch_threads = std::env::var("HOSTILE_BATCH_THREADS")
        .ok()
        .and_then(|n| n.parse().ok());
    config
}

impl Arena {
    /// The attacker runs under `limits` with `guest_memory` bytes of linear memory at
    /// most; the neighbour under the default limits.
    pub async fn new(limits: Limits, guest_memory: usize) -> Arena {
        let sim = graph_sim::start(SimConfig::default())
            .await
            .expect("graph-sim starts");
        Arena::with_sim(sim, limits, guest_memory)
    }

    /// [`Arena::new`] against a simulator already running (a benchmark runs it on its own
    /// threads, as Graph would be elsewhere).
    pub fn with_sim(sim: SimHandle, limits: Limits, guest_memory: usize) -> Arena {
        let dir = tempfile::tempdir().expect("temp dir");
        let tokens = Arc::new(TokenCache::in_memory());
        let good_config = config(
            crate::component(),
            &dir,
            &sim,
            "good-http.log",
            Limits::default(),
            128 * 1024 * 1024,
        );
        let bad_config = config(
            hostile_component(),
            &dir,
            &sim,
            "bad-http.log",
            limits,
            guest_memory,
        );
        let good = Runtime::new(good_config, tokens.clone()).expect("office365 runtime");
        let bad = Runtime::new(bad_config, tokens.clone()).expect("hostile runtime");
        Arena {
            sim,
            good,
            bad,
            tokens,
            dir,
        }
    }

    pub fn demo(&self, name: &str) -> Value {
        self.sim.demo_connection(name).expect("demo connection")
    }

    /// Runs the named attack of the hostile guest as connection `id`.
    pub async fn attack(
        &self,
        id: &str,
        connection: &Value,
        attack: &str,
        args: &[&str],
    ) -> Outcome {
        let input = json!({"parent-folder-id": attack, "email-addresses": args});
        run(&self.bad, id, connection, "list-mail-folders", input).await
    }

    /// office365.wasm runs `command` as connection `id`.
    pub async fn run_good(
        &self,
        id: &str,
        connection: &Value,
        command: &str,
        input: Value,
    ) -> Outcome {
        run(&self.good, id, connection, command, input).await
    }

    /// The hostile guest's "Get Refresh Token" as connection `id`.
    pub async fn bad_get_refresh_token(&self, id: &str, connection: &Value) -> Outcome {
        self.bad.get_refresh_token(id, connection, None, None).await
    }

    /// The neighbour lists its folders (demo analyst, delegated).
    pub async fn neighbour_run(&self) -> Outcome {
        let conn = self.demo("demo-delegated");
        self.run_good(NEIGHBOUR, &conn, "list-mail-folders", json!({}))
            .await
    }

    /// The neighbour's visible top-level folders as the simulator holds them, sorted:
    /// what its List Mail Folders must show, whatever the host does.
    pub fn expected_folders(&self) -> Vec<String> {
        let folders = self.sim.folders_of("soc.analyst@contoso.example");
        let root = folders
            .iter()
            .find(|f| f["displayName"] == "Inbox")
            .map(|f| f["parentFolderId"].clone())
            .expect("the analyst has an Inbox");
        let mut names: Vec<String> = folders
            .iter()
            .filter(|f| f["isHidden"] == false && f["parentFolderId"] == root)
            .filter_map(|f| f["displayName"].as_str().map(str::to_string))
            .collect();
        names.sort();
        names
    }

    /// Requests the simulator saw whose path contains `fragment`.
    pub fn requests_to_fragment(&self, fragment: &str) -> usize {
        self.sim
            .requests()
            .iter()
            .filter(|r| r.path.contains(fragment))
            .count()
    }

    /// The attacker's HTTP log, one JSON value per exchange.
    pub fn bad_http_log(&self) -> Vec<Value> {
        read_log(&self.dir.path().join("bad-http.log"))
    }

    pub fn bad_http_log_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("bad-http.log")).unwrap_or_default()
    }
}

async fn run(
    runtime: &Runtime,
    id: &str,
    connection: &Value,
    command: &str,
    input: Value,
) -> Outcome {
    runtime.run_command(id, connection, command, &input).await
}

fn read_log(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The neighbour's folder names, or why its result is wrong.
pub fn folder_names(outcome: &Outcome) -> Result<Vec<String>, String> {
    if outcome.status() != "successful" {
        return Err(format!(
            "status {}: {}",
            outcome.status(),
            outcome.result["errors"]
        ));
    }
    outcome.result["raw-data"]["value"]
        .as_array()
        .map(|folders| {
            folders
                .iter()
                .map(|f| f["displayName"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .ok_or_else(|| "raw-data has no folder list".to_string())
}

/// One neighbour invocation: how long it took and what went wrong, if anything.
pub struct NeighbourRun {
    pub latency: Duration,
    pub problem: Option<String>,
}

/// The neighbour's results, checked against the folders it saw alone.
pub struct Neighbour {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<NeighbourRun>>,
}

impl Neighbour {
    /// Starts the neighbour listing its folders again and again until [`Neighbour::stop`];
    /// `expected` is what it must see (see [`Arena::expected_folders`]).
    pub fn start(arena: Arc<Arena>, expected: Vec<String>) -> Neighbour {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut runs = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                let started = Instant::now();
                let outcome = arena.neighbour_run().await;
                let problem = match folder_names(&outcome) {
                    Ok(names) if names == expected => None,
                    Ok(names) => Some(format!("folders {names:?}, expected {expected:?}")),
                    Err(e) => Some(e),
                };
                runs.push(NeighbourRun {
                    latency: started.elapsed(),
                    problem,
                });
            }
            runs
        });
        Neighbour { stop, task }
    }

    /// Stops after the invocation under way and returns every run.
    pub async fn stop(self) -> Vec<NeighbourRun> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the neighbour task does not panic")
    }
}
