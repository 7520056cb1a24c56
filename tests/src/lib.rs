//! The test fixture: graph-sim on loopback, the real `office365.wasm` in the real host with
//! every cloud host routed to the simulator, a temporary file store and HTTP log.

pub mod openapi;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use graph_sim::{SimConfig, SimHandle};
use o365_host::connection::ALL_CLOUD_HOSTS;
use o365_host::{Outcome, Runtime, RuntimeConfig, TextOutcome, TokenCache, paths};
use serde_json::Value;

pub mod native;
pub mod serve;

pub use graph_sim;
pub use serde_json::json;

pub struct Fixture {
    pub sim: SimHandle,
    pub runtime: Runtime,
    pub tokens: Arc<TokenCache>,
    pub dir: tempfile::TempDir,
}

/// The guest must be built first (`scripts/test` does it).
pub fn component() -> PathBuf {
    let path = paths::default_component();
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build --release --target wasm32-wasip2 -p office365` (scripts/test does)",
        path.display()
    );
    path
}

pub struct Options {
    pub sim: SimConfig,
    pub wall_time: Duration,
    /// Hosts the runtime may not route (to see the allowlist refuse them).
    pub configure: Option<fn(&mut RuntimeConfig)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sim: SimConfig::default(),
            wall_time: Duration::from_secs(120),
            configure: None,
        }
    }
}

impl Fixture {
    pub async fn new() -> Fixture {
        Fixture::with(Options::default()).await
    }

    pub async fn with(options: Options) -> Fixture {
        let sim = graph_sim::start(options.sim)
            .await
            .expect("graph-sim starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = RuntimeConfig::new(component(), dir.path().join("files"));
        config.cache_dir = Some(paths::default_cache_dir());
        config.routes = ALL_CLOUD_HOSTS
            .iter()
            .map(|h| (h.to_string(), sim.url()))
            .collect();
        config.http_log = Some(dir.path().join("http.log"));
        config.limits.wall_time = options.wall_time;
        if let Some(configure) = options.configure {
            configure(&mut config);
        }
        let tokens = Arc::new(TokenCache::in_memory());
        let runtime = Runtime::new(config, tokens.clone()).expect("runtime");
        Fixture {
            sim,
            runtime,
            tokens,
            dir,
        }
    }

    pub fn demo(&self, name: &str) -> Value {
        self.sim.demo_connection(name).expect("demo connection")
    }

    /// Runs as the connection [`connection_id`] names.
    pub async fn run(&self, connection: &Value, command: &str, input: Value) -> Outcome {
        self.run_as(&connection_id(connection), connection, command, input)
            .await
    }

    /// [`Fixture::run`] for the connection the platform names `id`.
    pub async fn run_as(
        &self,
        id: &str,
        connection: &Value,
        command: &str,
        input: Value,
    ) -> Outcome {
        self.runtime
            .run_command(id, connection, command, &input)
            .await
    }

    /// [`Fixture::run`] with the result as the host's JSON text, unparsed.
    pub async fn run_text(&self, connection: &Value, command: &str, input: Value) -> TextOutcome {
        self.runtime
            .run_command_text(&connection_id(connection), connection, command, &input)
            .await
    }

    /// "Get Authorization" for `connection`.
    pub async fn get_authorization(&self, connection: &Value) -> Outcome {
        self.runtime
            .get_authorization(&connection_id(connection), connection)
            .await
    }

    /// "Get Refresh Token" for `connection`, without a state to compare.
    pub async fn get_refresh_token(&self, connection: &Value, verifier: Option<&str>) -> Outcome {
        self.runtime
            .get_refresh_token(&connection_id(connection), connection, verifier, None)
            .await
    }

    /// The HTTP log, one JSON value per exchange.
    pub fn http_log(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("http.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("log lines are JSON"))
            .collect()
    }

    pub fn http_log_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("http.log")).unwrap_or_default()
    }

    /// Puts a file into the file store of `connection`'s tenant; returns its id.
    pub fn put_file(
        &self,
        connection: &Value,
        name: &str,
        content_type: &str,
        data: &[u8],
    ) -> String {
        self.runtime
            .file_store(&connection_id(connection))
            .put(name, content_type, data)
            .expect("file stored")
            .file_id
    }

    /// A file the guest stored, read back from the tenant's file store.
    pub fn stored_file(&self, connection: &Value, file_id: &str) -> (String, Vec<u8>) {
        let store = self.runtime.file_store(&connection_id(connection));
        let (info, data) = store.get(file_id).expect("the file is in the store");
        (info.name, data)
    }

    /// The decoded query strings of the Graph requests whose path contains
    /// `fragment`, in order.
    pub fn queries_to(&self, fragment: &str) -> Vec<String> {
        self.sim
            .requests()
            .iter()
            .filter(|r| r.path.contains(fragment))
            .map(|r| {
                form_urlencoded::parse(r.query.as_bytes())
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&")
            })
            .collect()
    }

    /// Requests the simulator saw whose path contains `fragment`.
    pub fn requests_to(&self, fragment: &str) -> usize {
        self.sim
            .requests()
            .iter()
            .filter(|r| r.path.contains(fragment))
            .count()
    }
}

/// The id a test's platform names `connection` by: its `connection-id` field when the test
/// sets one, else one per tenant and app (the demo connections).
pub fn connection_id(connection: &Value) -> String {
    match connection["connection-id"].as_str() {
        Some(id) => id.to_string(),
        None => format!(
            "{}/{}",
            connection["tenant-id"].as_str().unwrap_or_default(),
            connection["client-id"].as_str().unwrap_or_default()
        ),
    }
}

/// The first error's message, for assertions.
pub fn error_message(outcome: &Outcome) -> String {
    outcome.result["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub fn error_status(outcome: &Outcome) -> u64 {
    outcome.result["errors"][0]["status-code"]
        .as_u64()
        .unwrap_or_default()
}

/// A GET over plain HTTP/1.1 on loopback, returning status and headers (for the authorize
/// redirect, which a browser would follow).
pub async fn http_get_head(url: &str) -> (u16, Vec<(String, String)>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers)
}
