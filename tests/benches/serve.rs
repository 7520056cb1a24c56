//! `o365-host serve` under load (method in docs/benchmarks.md):
//!   cargo bench -p o365-tests --bench serve [-- --quick]
//!
//! 1. Throughput and p50/p99 latency of a cached-token command (List Mail Folders with
//!    client credentials) over 100 connections, each its own app registration in
//!    graph-sim, at concurrency 1, 8 and 64: through `serve` over loopback HTTP (one
//!    keep-alive connection per client), and in process with `Runtime::run_command` on the
//!    same runtime, in the same run, in alternating rounds. The ratio is serve / in
//!    process.
//! 2. 200 concurrent invocations over the 100 connections with an empty token cache: how
//!    many token requests graph-sim receives (one per connection is the target).
//!
//! Nothing here asserts a timing or a count; the figures are printed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use o365_host::serve::{self, Registry, ServeOptions, Server};
use o365_host::{Runtime, TokenCache};
use o365_tests::graph_sim::{self, AppRegistration, SimConfig, SimHandle};
use o365_tests::json;
use o365_tests::serve::{ApiClient, options, runtime_config};
use serde_json::Value;

const CONNECTIONS: usize = 100;
const COMMAND: &str = "list-mail-folders";
const MAILBOX: &str = "alex.wilber@contoso.example";
/// Each side is measured in this many rounds, taking turns.
const ROUNDS: usize = 4;

fn input() -> Value {
    json!({"email-addresses": [MAILBOX]})
}

fn name_of(i: usize) -> String {
    format!("tenant-{i:03}")
}

/// One app registration per connection, so each has its own client and token.
fn register_apps(sim: &SimHandle) -> Vec<(String, Value)> {
    let tenant = sim.demo_connection("demo-app").expect("demo-app")["tenant-id"].clone();
    (0..CONNECTIONS)
        .map(|i| {
            let client_id = format!("5e7a0c1d-2b3f-4c5d-8e9f-{i:012}");
            let secret = format!("bench~secret+{i:03}/Zq=");
            sim.register_app(AppRegistration {
                client_id: client_id.clone(),
                client_secret: secret.clone(),
                secret_expired: false,
                roles: ["Mail.ReadWrite", "User.Read.All"]
                    .map(String::from)
                    .to_vec(),
                delegated_scopes: Vec::new(),
                redirect_uris: Vec::new(),
                signed_in_user: None,
            });
            let connection = json!({
                "environment": "commercial-gcc",
                "tenant-id": tenant,
                "grant-type": "client-credentials",
                "client-id": client_id,
                "client-secret": secret,
                "api-version": "v1.0",
            });
            (name_of(i), connection)
        })
        .collect()
}

struct Setup {
    runtime: Arc<Runtime>,
    server: Server,
}

/// A runtime (no HTTP log: the figures are the host's, not the log's) and a server with
/// every connection registered over the API.
async fn setup(sim: &SimHandle, dir: &std::path::Path, connections: &[(String, Value)]) -> Setup {
    let runtime = Arc::new(
        Runtime::new(runtime_config(sim, dir), Arc::new(TokenCache::in_memory())).expect("runtime"),
    );
    let options: ServeOptions = options();
    let registry = Arc::new(Registry::new(None, options.tenant));
    let server = serve::start(runtime.clone(), registry, options)
        .await
        .expect("serve starts");
    let mut api = ApiClient::connect(server.addr(), None).await;
    for (name, connection) in connections {
        let reply = api.put_connection(name, connection).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    Setup { runtime, server }
}

#[derive(Clone, Copy)]
enum Path {
    InProcess,
    Serve,
}

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Latencies and the wall time of one or more measured runs.
#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Samples {
    fn add(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.wall += other.wall;
    }

    fn figures(mut self) -> Figures {
        self.latencies.sort();
        Figures {
            per_second: self.latencies.len() as f64 / self.wall.as_secs_f64(),
            p50: percentile(&self.latencies, 0.50),
            p99: percentile(&self.latencies, 0.99),
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// `requests` invocations by `concurrency` workers; worker w takes requests w, w+c, ...,
/// request k on connection k mod 100.
async fn measure(
    path: Path,
    setup: &Setup,
    connections: &Arc<Vec<(String, Value)>>,
    concurrency: usize,
    requests: usize,
) -> Samples {
    let addr = setup.server.addr();
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let runtime = setup.runtime.clone();
            let connections = connections.clone();
            tokio::spawn(async move {
                let mut api = ApiClient::connect(addr, None).await;
                let input = input();
                let mut samples = Vec::new();
                for k in (w..requests).step_by(concurrency) {
                    let (name, connection) = &connections[k % connections.len()];
                    let began = Instant::now();
                    let status = match path {
                        Path::InProcess => runtime
                            .run_command(name, connection, COMMAND, &input)
                            .await
                            .status()
                            .to_string(),
                        Path::Serve => {
                            let reply = api.invoke(name, COMMAND, &input).await;
                            assert_eq!(reply.status, 200, "{}", reply.text());
                            reply.json()["status"].as_str().unwrap_or("").to_string()
                        }
                    };
                    samples.push(began.elapsed());
                    assert_eq!(status, "successful");
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(requests);
    for worker in workers {
        samples.extend(worker.await.expect("worker"));
    }
    Samples {
        latencies: samples,
        wall: started.elapsed(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn throughput(quick: bool) {
    let sim = graph_sim::start(SimConfig::default()).await.expect("sim");
    let dir = tempfile::tempdir().unwrap();
    let connections = Arc::new(register_apps(&sim));
    let setup = setup(&sim, dir.path(), &connections).await;
    // Warm-up: every connection's token is cached, every pooling slot touched.
    measure(Path::InProcess, &setup, &connections, 64, 2 * CONNECTIONS).await;
    measure(Path::Serve, &setup, &connections, 64, 2 * CONNECTIONS).await;
    println!(
        "{COMMAND}, cached token, {CONNECTIONS} connections ({} per run)",
        if quick { "quick" } else { "full" }
    );
    println!(
        "{:>11} | {:>28} | {:>28} | {:>5}",
        "concurrency", "in process: req/s p50 p99", "serve: req/s p50 p99", "ratio"
    );
    for concurrency in [1, 8, 64] {
        let requests = (if quick { 200 } else { 2000 }).max(concurrency * 10);
        // Alternating rounds, so that a burst of load from elsewhere on the machine falls
        // on both sides alike.
        let (mut local, mut served) = (Samples::default(), Samples::default());
        for _ in 0..ROUNDS {
            let n = requests / ROUNDS;
            local.add(measure(Path::InProcess, &setup, &connections, concurrency, n).await);
            served.add(measure(Path::Serve, &setup, &connections, concurrency, n).await);
        }
        let (local, served) = (local.figures(), served.figures());
        println!(
            "{concurrency:>11} | {:>7.0} {:>7.2} ms {:>7.2} ms | {:>7.0} {:>7.2} ms {:>7.2} ms | {:>5.2}   (n={requests})",
            local.per_second,
            ms(local.p50),
            ms(local.p99),
            served.per_second,
            ms(served.p50),
            ms(served.p99),
            served.per_second / local.per_second,
        );
    }
    setup.server.shutdown().await;
    sim.shutdown();
}

/// 200 invocations at once, two per connection, on a server whose token cache is empty.
async fn cold_token_requests() {
    let sim = graph_sim::start(SimConfig::default()).await.expect("sim");
    let dir = tempfile::tempdir().unwrap();
    let connections = Arc::new(register_apps(&sim));
    let setup = setup(&sim, dir.path(), &connections).await;
    sim.clear_requests();
    let addr = setup.server.addr();
    let started = Instant::now();
    let calls: Vec<_> = (0..2 * CONNECTIONS)
        .map(|k| {
            let name = connections[k % CONNECTIONS].0.clone();
            tokio::spawn(async move {
                let mut api = ApiClient::connect(addr, None).await;
                let reply = api.invoke(&name, COMMAND, &input()).await;
                reply.json()["status"].as_str().unwrap_or("").to_string()
            })
        })
        .collect();
    let mut successful = 0;
    for call in calls {
        if call.await.expect("call") == "successful" {
            successful += 1;
        }
    }
    let wall = started.elapsed();
    let token_requests = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .count();
    println!(
        "empty token cache: {} invocations over {CONNECTIONS} connections at once -> {token_requests} token requests (target {CONNECTIONS}); {successful} successful; {:.0} ms",
        2 * CONNECTIONS,
        ms(wall)
    );
    setup.server.shutdown().await;
    sim.shutdown();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(throughput(quick));
    rt.block_on(cold_token_requests());
}
