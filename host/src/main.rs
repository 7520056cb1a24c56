//! `o365-host`: run the Office 365 component's commands from a shell.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

use o365_host::connection::ALL_CLOUD_HOSTS;
use o365_host::connection_file::{self, ACCOUNT, AUTHORIZATION_CODE, REFRESH_TOKEN};
use o365_host::{
    RedisOptions, RedisTokenStore, Runtime, RuntimeConfig, TokenCache, TokenStore, paths,
};

#[derive(Parser)]
#[command(
    name = "o365-host",
    version,
    about = "Runs the Office 365 SOAR component (office365.wasm) in wasmtime"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a command and print its result as JSON.
    Run {
        /// kebab-case command name, e.g. list-mail-folders (see `describe`).
        command: String,
        /// Command input: JSON text, or @FILE.
        #[arg(long)]
        input: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Print the manifest: commands, parameters, permissions.
    Describe {
        #[command(flatten)]
        common: Common,
    },
    /// Run graph-sim standalone and write its demo connection files.
    Sim {
        #[arg(long, default_value = "127.0.0.1:8765")]
        addr: std::net::SocketAddr,
    },
    /// Serve an HTTP API (loopback by default) that runs commands for named connections.
    Serve {
        #[command(flatten)]
        serve: ServeArgs,
        #[command(flatten)]
        common: Common,
    },
    /// "Get Authorization": print the authorize URL (the PKCE verifier is kept next to the connection file).
    AuthUrl {
        #[command(flatten)]
        common: Common,
    },
    /// "Get Refresh Token": redeem the code and store the refresh token in the connection file.
    RedeemCode {
        /// The code, or the whole redirect URL; default: the connection's authorization-code.
        #[arg(long)]
        code: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Args, Clone)]
struct Common {
    /// Connection file (JSON); under --simulate also `demo-delegated` (default) or `demo-app`.
    #[arg(long)]
    connection: Option<String>,
    /// Route the cloud hosts to graph-sim: in-process, or one already running at URL.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "", value_name = "URL")]
    simulate: Option<String>,
    /// Send one host's requests to another base URL (HOST=URL); repeatable.
    #[arg(long = "route", value_name = "HOST=URL")]
    routes: Vec<String>,
    /// Append every HTTP exchange as a JSON line, secrets redacted.
    #[arg(long)]
    http_log: Option<PathBuf>,
    /// Keep tokens in this file (0600) across runs; default: in memory.
    #[arg(long, conflicts_with = "token_store")]
    token_cache: Option<PathBuf>,
    /// Keep tokens in Redis, shared by every o365-host on it: redis://HOST:PORT/DB.
    #[arg(long, value_name = "URL")]
    token_store: Option<String>,
    /// How long one worker may hold a key's refresh lease (ms): the longest others wait
    /// for a worker that died while refreshing. Default 30000.
    #[arg(long, value_name = "MS")]
    token_lease_ms: Option<u64>,
    /// The component; default: the workspace's release build.
    #[arg(long)]
    component: Option<PathBuf>,
    /// Do not print guest log lines on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Base URL of the page that collects answers to tracked mail: Send Mail's
    /// <<EmailResponseLink>> becomes this URL followed by the mail's tracking id.
    #[arg(long, value_name = "URL")]
    response_link_base: Option<String>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on; anything but loopback needs a bearer token.
    #[arg(long, default_value = o365_host::serve::DEFAULT_ADDR)]
    addr: std::net::SocketAddr,
    /// Directory of connection files (NAME.json, 0600): loaded at start, written on PUT
    /// and when a refresh token rotates.
    #[arg(long, value_name = "DIR")]
    connections: Option<PathBuf>,
    /// File holding the bearer token every request must carry (else $O365_SERVE_TOKEN).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Invocations of one connection running at once.
    #[arg(long, default_value_t = 4)]
    per_connection: usize,
    /// Invocations of one connection waiting for a turn; more are answered 429.
    #[arg(long, default_value_t = 64)]
    per_connection_queue: usize,
}

/// The connection JSON and, when it came from a file, that file.
struct ConnectionSource {
    value: Value,
    file: Option<PathBuf>,
    /// The name the host scopes the connection's tokens and files by: the file's
    /// canonical path, or the demo connection's name.
    id: String,
}

fn file_connection_id(file: &Path) -> String {
    let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    format!("file:{}", path.display())
}

fn sim_connection_file(name: &str) -> PathBuf {
    paths::default_state_dir()
        .join("sim")
        .join(format!("{name}.json"))
}

fn read_json_arg(arg: &str) -> anyhow::Result<Value> {
    let text = match arg.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?
        }
        None => arg.to_string(),
    };
    serde_json::from_str(&text).context("--input is not valid JSON")
}

/// Writes a JSON file only the owner can read, atomically (`private_file`).
fn write_private(path: &Path, value: &Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    o365_host::private_file::write(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// `value` with `field` set under the key the connection file already uses for it.
fn with_field(value: &Value, names: &[&str], field: Value) -> Value {
    let mut map = value.as_object().cloned().unwrap_or_default();
    connection_file::set_field(&mut map, names, field);
    Value::Object(map)
}

/// Starts what `common` asks for and builds the runtime.
struct Session {
    runtime: Runtime,
    connection: Option<ConnectionSource>,
    _sim: Option<graph_sim::SimHandle>,
}

/// What a command needs beyond the runtime: `serve` names its connections per request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    Connection,
    RuntimeOnly,
}

async fn session(common: &Common, needs: Needs) -> anyhow::Result<Session> {
    let mut routes = Vec::new();
    let mut sim = None;
    match common.simulate.as_deref() {
        Some("") => {
            let handle = graph_sim::start(graph_sim::SimConfig::default()).await?;
            routes.extend(
                ALL_CLOUD_HOSTS
                    .iter()
                    .map(|h| (h.to_string(), handle.url())),
            );
            sim = Some(handle);
        }
        Some(url) => routes.extend(
            ALL_CLOUD_HOSTS
                .iter()
                .map(|h| (h.to_string(), url.trim_end_matches('/').to_string())),
        ),
        None => {}
    }
    for r in &common.routes {
        let (host, url) = r
            .split_once('=')
            .ok_or_else(|| anyhow!("--route takes HOST=URL, got '{r}'"))?;
        routes.retain(|(h, _)| !h.eq_ignore_ascii_case(host));
        routes.push((
            host.to_ascii_lowercase(),
            url.trim_end_matches('/').to_string(),
        ));
    }
    // Under --simulate, no --connection or a `demo-*` name picks a demo connection.
    let demo = match (common.simulate.is_some(), common.connection.as_deref()) {
        _ if needs == Needs::RuntimeOnly => None,
        (true, None) => Some("demo-delegated"),
        (true, Some(n)) if n.starts_with("demo-") => Some(n),
        _ => None,
    };
    let connection = match (demo, &sim, common.connection.as_deref()) {
        (Some(name), Some(handle), _) => {
            let value = handle.demo_connection(name).ok_or_else(|| {
                anyhow!("the simulator has no connection '{name}' (demo-delegated, demo-app)")
            })?;
            Some(ConnectionSource {
                value,
                file: None,
                id: format!("demo:{name}"),
            })
        }
        (Some(name), None, _) => {
            let file = sim_connection_file(name);
            let text = std::fs::read_to_string(&file).with_context(|| {
                format!(
                    "cannot read {} (start `o365-host sim` first)",
                    file.display()
                )
            })?;
            Some(ConnectionSource {
                value: serde_json::from_str(&text)?,
                id: format!("demo:{name}"),
                file: Some(file),
            })
        }
        (None, _, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the connection file {path}"))?;
            let value =
                serde_json::from_str(&text).with_context(|| format!("{path} is not valid JSON"))?;
            Some(ConnectionSource {
                value,
                id: file_connection_id(Path::new(path)),
                file: Some(PathBuf::from(path)),
            })
        }
        (None, _, None) => None,
    };
    let tokens = token_store(common).await?;
    let mut config = RuntimeConfig::new(
        common
            .component
            .clone()
            .unwrap_or_else(paths::default_component),
        paths::default_state_dir().join("files"),
    );
    config.cache_dir = Some(paths::default_cache_dir());
    config.routes = routes;
    config.http_log = common.http_log.clone();
    config.echo_log = !common.quiet;
    config.response_link_base = common.response_link_base.clone();
    let runtime = Runtime::new(config, tokens)?;
    Ok(Session {
        runtime,
        connection,
        _sim: sim,
    })
}

/// The token store `common` names: Redis, a file, or this process's memory.
async fn token_store(common: &Common) -> anyhow::Result<Arc<dyn TokenStore>> {
    let lease = common.token_lease_ms.map(std::time::Duration::from_millis);
    if let Some(url) = &common.token_store {
        let mut options = RedisOptions::default();
        if let Some(lease) = lease {
            options.lease_time = lease;
        }
        return Ok(Arc::new(RedisTokenStore::connect(url, options).await?));
    }
    let mut cache = match &common.token_cache {
        Some(file) => TokenCache::persistent(file)?,
        None => TokenCache::in_memory(),
    };
    if let Some(lease) = lease {
        cache = cache.with_lease_time(lease);
    }
    Ok(Arc::new(cache))
}

fn need_connection(s: &Session) -> anyhow::Result<&ConnectionSource> {
    s.connection
        .as_ref()
        .ok_or_else(|| anyhow!("--connection FILE is required (or --simulate for the demo tenant)"))
}

fn print(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// 0 successful, 3 partially successful, 1 failed.
fn exit_for(status: &str) -> ExitCode {
    match status {
        "successful" => ExitCode::SUCCESS,
        "partially-successful" => ExitCode::from(3),
        _ => ExitCode::from(1),
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run {
            command,
            input,
            common,
        } => {
            let input = match input {
                Some(arg) => read_json_arg(&arg)?,
                None => json!({}),
            };
            let s = session(&common, Needs::Connection).await?;
            let conn = need_connection(&s)?;
            let outcome = s
                .runtime
                .run_command(&conn.id, &conn.value, &command, &input)
                .await;
            // Like a platform would: keep the rotated refresh token in the connection file.
            if let (Some(token), Some(file)) = (&outcome.rotated_refresh_token, &conn.file) {
                write_private(file, &with_field(&conn.value, &REFRESH_TOKEN, json!(token)))?;
            }
            print(&outcome.result);
            Ok(exit_for(outcome.status()))
        }
        Command::Describe { common } => {
            let s = session(&common, Needs::Connection).await?;
            print(&s.runtime.describe().await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Sim { addr } => {
            let handle = graph_sim::start_on(addr, graph_sim::SimConfig::default()).await?;
            println!("graph-sim listening on {}", handle.url());
            for name in ["demo-delegated", "demo-app"] {
                let file = sim_connection_file(name);
                if let Some(conn) = handle.demo_connection(name) {
                    write_private(&file, &conn)?;
                    println!("connection {name}: {}", file.display());
                }
            }
            println!(
                "use: o365-host run list-mail-folders --simulate={} [--connection demo-app]",
                handle.url()
            );
            tokio::signal::ctrl_c().await?;
            handle.shutdown();
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { serve, common } => serve_api(serve, common).await,
        Command::AuthUrl { common } => {
            let s = session(&common, Needs::Connection).await?;
            let conn = need_connection(&s)?;
            let outcome = s.runtime.get_authorization(&conn.id, &conn.value).await;
            if outcome.status() != "successful" {
                print(&outcome.result);
                return Ok(ExitCode::from(1));
            }
            let data = &outcome.result["data"];
            let verifier_file = pkce_file(conn);
            write_private(
                &verifier_file,
                &json!({"state": data["state"], "code-verifier": data["code-verifier"]}),
            )?;
            print(
                &json!({"status": "successful", "url": data["url"], "state": data["state"], "pkce-verifier-file": verifier_file}),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::RedeemCode { code, common } => {
            let s = session(&common, Needs::Connection).await?;
            let conn = need_connection(&s)?;
            let mut value = conn.value.clone();
            if let Some(code) = code {
                value = with_field(&value, &AUTHORIZATION_CODE, json!(code));
            }
            // What auth-url kept: the PKCE verifier and the state to compare.
            let pending = std::fs::read_to_string(pkce_file(conn))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .unwrap_or_default();
            let outcome = s
                .runtime
                .get_refresh_token(
                    &conn.id,
                    &value,
                    pending["code-verifier"].as_str(),
                    pending["state"].as_str(),
                )
                .await;
            if outcome.status() != "successful" {
                print(&outcome.result);
                return Ok(ExitCode::from(1));
            }
            let refresh = outcome.result["data"]["refresh-token"]
                .as_str()
                .unwrap_or_default();
            value = with_field(&value, &REFRESH_TOKEN, json!(refresh));
            value = with_field(&value, &AUTHORIZATION_CODE, json!(""));
            // Tokens are cached per signed-in account; the next runs name it.
            if let Some(account) = outcome.result["data"]["account"].as_str() {
                value = with_field(&value, &ACCOUNT, json!(account));
            }
            let stored = match &conn.file {
                Some(file) => {
                    write_private(file, &value)?;
                    let _ = std::fs::remove_file(pkce_file(conn));
                    json!(file)
                }
                None => Value::Null,
            };
            // The refresh token itself is never printed.
            print(
                &json!({"status": "successful", "granted-scope": outcome.result["data"]["granted-scope"], "refresh-token-stored-in": stored}),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The bearer token of `serve`: the file's content, else `$O365_SERVE_TOKEN`. Never printed.
fn serve_token(args: &ServeArgs) -> anyhow::Result<Option<o365_host::serve::BearerToken>> {
    use o365_host::serve::BearerToken;
    let (text, source) = match &args.token_file {
        Some(file) => (
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the token file {}", file.display()))?,
            file.display().to_string(),
        ),
        None => match std::env::var("O365_SERVE_TOKEN") {
            Ok(text) => (text, "O365_SERVE_TOKEN".to_string()),
            Err(_) => return Ok(None),
        },
    };
    BearerToken::new(&text)
        .map(Some)
        .ok_or_else(|| anyhow!("the bearer token in {source} is empty"))
}

async fn serve_api(args: ServeArgs, common: Common) -> anyhow::Result<ExitCode> {
    use o365_host::serve::{self, Registry, ServeOptions, TenantLimits};
    if common.connection.is_some() {
        return Err(anyhow!(
            "serve takes --connections DIR (or PUT /v1/connections/NAME), not --connection"
        ));
    }
    let mut options = ServeOptions::new(args.addr);
    options.token = serve_token(&args)?;
    // Refuse an exposed address before the slow part (loading the component).
    serve::check_exposure(&options.addr, options.token.as_ref())?;
    options.max_body_bytes = args.max_body_bytes;
    options.tenant = TenantLimits {
        concurrent: args.per_connection,
        queued: args.per_connection_queue,
    };
    let registry = match &args.connections {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            Registry::load_dir(dir, options.tenant)?
        }
        None => Registry::new(None, options.tenant),
    };
    let s = session(&common, Needs::RuntimeOnly).await?;
    // The embedded simulator's demo connections, unless the directory has those names.
    if let Some(sim) = &s._sim {
        for name in ["demo-delegated", "demo-app"] {
            if let (None, Some(conn)) = (registry.get(name), sim.demo_connection(name)) {
                registry.insert(name, conn);
            }
        }
    }
    let server = serve::start(Arc::new(s.runtime), Arc::new(registry), options).await?;
    println!("o365-host serve listening on {}", server.url());
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

fn pkce_file(conn: &ConnectionSource) -> PathBuf {
    match &conn.file {
        Some(f) => f.with_extension("pkce.json"),
        None => paths::default_state_dir().join("demo.pkce.json"),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("o365-host: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("o365-host: {e:#}");
            ExitCode::from(2)
        }
    }
}
