//! Runs the component: one engine and pre-linked component shared by all invocations, one
//! Store per invocation with its own memory limit, CPU budget, wall-clock timeout,
//! allowlist and capabilities.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wasmtime::component::{HasSelf, InstancePre, Linker, Val};
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::WasiHttpCtx;

use crate::bindings::{file_store, log, reply_tracking, token_cache};
use crate::connection::{self, ConnectionInfo};
use crate::engine::{self, EngineOptions, Loaded};
use crate::file_store::FileStore;
use crate::http_hook::Outbound;
use crate::http_log::HttpLog;
use crate::redact::Redactor;
use crate::result_text;
use crate::state::{LogLine, LogSink, StoreState};
use crate::token_cache::TokenCache;
use crate::values::{self, InputError};

pub const COMMANDS_INTERFACE: &str = "soar:office365/commands@0.1.0";
pub const ACTIONS_INTERFACE: &str = "soar:office365/connection-actions@0.1.0";

/// Epochs tick this often; the CPU budget is counted in these slices.
const EPOCH_TICK: Duration = Duration::from_millis(10);

#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    pub component: PathBuf,
    /// Where precompiled components are kept; None compiles every time.
    pub cache_dir: Option<PathBuf>,
    pub engine: EngineOptions,
    /// Guest execution time, in epoch slices of 10 ms, at most per invocation.
    pub cpu_budget: Duration,
    /// Wall-clock time per invocation, at most (HTTP waits included).
    pub wall_timeout: Duration,
    /// Host -> base URL routes (simulator, proxy).
    pub routes: Vec<(String, String)>,
    pub http_log: Option<PathBuf>,
    /// Root of the per-tenant file stores.
    pub files_root: PathBuf,
    /// Echo guest log lines to stderr as they come.
    pub echo_log: bool,
    /// Hosts no connection may reach, even its own cloud's (an operator blocking a cloud).
    pub deny_hosts: Vec<String>,
    /// The platform's page that collects answers to tracked mail: Send Mail's
    /// `<<EmailResponseLink>>` becomes this URL followed by the mail's tracking id.
    /// None: the platform has no such page, and the placeholder is refused.
    pub response_link_base: Option<String>,
}

impl RuntimeConfig {
    pub fn new(component: PathBuf, files_root: PathBuf) -> Self {
        RuntimeConfig {
            component,
            cache_dir: None,
            engine: EngineOptions::default(),
            cpu_budget: Duration::from_secs(60),
            wall_timeout: Duration::from_secs(600),
            routes: Vec::new(),
            http_log: None,
            files_root,
            echo_log: false,
            deny_hosts: Vec::new(),
            response_link_base: None,
        }
    }
}

/// What one invocation produced, its result as `R`: a JSON value ([`Outcome`]) or
/// one JSON document's text ([`TextOutcome`]).
#[derive(Debug, Clone)]
pub struct Invocation<R> {
    /// The command result (or the action's result).
    pub result: R,
    pub logs: Vec<LogLine>,
    /// Hosts the allowlist refused.
    pub denied_hosts: Vec<String>,
    /// A refresh token the identity platform rotated during this invocation: the platform
    /// stores it over the connection's Refresh Token. Never printed.
    pub rotated_refresh_token: Option<String>,
    /// The guest's linear memory at its largest during the call (0 when the
    /// host failed before instantiating it).
    pub peak_memory_bytes: u64,
}

pub type Outcome = Invocation<Value>;
/// The result as text, for a platform that stores or forwards it: a large result is
/// never built as values in the host.
pub type TextOutcome = Invocation<String>;

impl<R> Invocation<R> {
    fn map<T>(self, f: impl FnOnce(R) -> T) -> Invocation<T> {
        Invocation {
            result: f(self.result),
            logs: self.logs,
            denied_hosts: self.denied_hosts,
            rotated_refresh_token: self.rotated_refresh_token,
            peak_memory_bytes: self.peak_memory_bytes,
        }
    }
}

impl Outcome {
    pub fn status(&self) -> &str {
        self.result["status"].as_str().unwrap_or("failed")
    }
}

impl TextOutcome {
    /// The result as a JSON value.
    pub fn parse(self) -> Outcome {
        self.map(|text| {
            serde_json::from_str(&text).expect("the host writes the result document as JSON")
        })
    }
}

pub struct Runtime {
    engine: Engine,
    pre: InstancePre<StoreState>,
    config: RuntimeConfig,
    tokens: Arc<TokenCache>,
    http_log: Option<Arc<HttpLog>>,
    pub loaded: Loaded,
    ticker: Arc<AtomicBool>,
    manifest: tokio::sync::OnceCell<Value>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker.store(true, Ordering::Relaxed);
    }
}

/// A failed result in the common shape, for problems found by the host itself.
pub fn failed_result(failure_indicator: &str, status_code: u16, message: &str) -> Value {
    json!({
        "status": "failed",
        "raw-data": {},
        "key-fields": {},
        "context-data": {},
        "errors": [{"failure-indicator": failure_indicator, "status-code": status_code, "message": message}],
        "events": [],
        "files": [],
    })
}

fn label_of(command: &str) -> String {
    command
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Runtime {
    pub fn new(config: RuntimeConfig, tokens: Arc<TokenCache>) -> anyhow::Result<Runtime> {
        let engine = engine::engine(&config.engine)?;
        let loaded =
            engine::load_component(&engine, &config.component, config.cache_dir.as_deref())?;
        let mut linker: Linker<StoreState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        token_cache::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)?;
        file_store::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)?;
        log::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)?;
        reply_tracking::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)?;
        let pre = linker.instantiate_pre(&loaded.component).map_err(|e| {
            anyhow!("the component's imports do not match what this host provides: {e}")
        })?;
        let http_log = match &config.http_log {
            Some(path) => {
                Some(Arc::new(HttpLog::open(path).with_context(|| {
                    format!("cannot open the HTTP log {}", path.display())
                })?))
            }
            None => None,
        };
        let ticker = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = ticker.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            });
        }
        Ok(Runtime {
            engine,
            pre,
            config,
            tokens,
            http_log,
            loaded,
            ticker,
            manifest: tokio::sync::OnceCell::new(),
        })
    }

    /// The pre-linked component, for benchmarks of instantiation.
    pub fn instance_pre(&self) -> &InstancePre<StoreState> {
        &self.pre
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn tokens(&self) -> &Arc<TokenCache> {
        &self.tokens
    }

    /// A Store for one invocation on behalf of `conn` (None: no connection, e.g. describe).
    pub fn new_store(&self, conn: Option<&ConnectionInfo>) -> Store<StoreState> {
        let mut redactor = Redactor::new(conn.map(|c| c.secrets.clone()).unwrap_or_default());
        for token in self.tokens.refresh_tokens() {
            redactor.add(&token);
        }
        let tenant = conn.map(|c| c.tenant_id.as_str()).unwrap_or("");
        let namespace_digest = Sha256::digest(
            format!(
                "{}|{}|{}",
                conn.map(|c| c.environment.as_str()).unwrap_or(""),
                tenant.to_ascii_lowercase(),
                conn.map(|c| c.client_id.as_str()).unwrap_or("")
            )
            .as_bytes(),
        );
        let state = StoreState {
            wasi: WasiCtx::builder().build(),
            http: WasiHttpCtx::new(),
            table: Default::default(),
            outbound: Outbound {
                allowed_hosts: conn
                    .map(ConnectionInfo::allowed_hosts)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|h| {
                        !self
                            .config
                            .deny_hosts
                            .iter()
                            .any(|d| d.eq_ignore_ascii_case(h))
                    })
                    .collect(),
                token_free_hosts: conn
                    .map(|c| {
                        connection::upload_hosts(&c.environment)
                            .iter()
                            .map(|h| h.to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                routes: Arc::new(self.config.routes.clone()),
                log: self.http_log.clone(),
                redactor: redactor.clone(),
                denied: Arc::new(Mutex::new(Vec::new())),
            },
            limits: StoreState::limits(self.config.engine.memory_limit_bytes),
            tokens: self.tokens.clone(),
            token_namespace: namespace_digest
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect(),
            files: FileStore::for_tenant(&self.config.files_root, tenant),
            response_link_base: self.config.response_link_base.clone(),
            log: LogSink {
                lines: Default::default(),
                echo_stderr: self.config.echo_log,
            },
            redactor,
            cpu_slices: 0,
            rotated_refresh_token: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let budget_slices =
            (self.config.cpu_budget.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(1);
        // Each expiry is one slice in which the guest ran; yielding keeps the executor fair.
        store.epoch_deadline_callback(move |mut ctx| {
            let state = ctx.data_mut();
            state.cpu_slices += 1;
            if state.cpu_slices > budget_slices {
                return Err(wasmtime::Error::msg(
                    "the command used more than its CPU budget",
                ));
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }

    /// Calls an export by interface and name with JSON arguments already converted.
    async fn call(
        &self,
        store: &mut Store<StoreState>,
        interface: Option<&str>,
        function: &str,
        build_params: impl FnOnce(
            &[(String, wasmtime::component::Type)],
        ) -> Result<Vec<Val>, InputError>,
    ) -> anyhow::Result<Result<Val, InputError>> {
        let instance = self.pre.instantiate_async(&mut *store).await?;
        let func = {
            let parent = match interface {
                Some(name) => Some(
                    instance
                        .get_export_index(&mut *store, None, name)
                        .ok_or_else(|| anyhow!("the component does not export {name}"))?,
                ),
                None => None,
            };
            let index = instance
                .get_export_index(&mut *store, parent.as_ref(), function)
                .ok_or_else(|| anyhow!("unknown command '{function}'"))?;
            instance
                .get_func(&mut *store, index)
                .ok_or_else(|| anyhow!("'{function}' is not a function"))?
        };
        let ty = func.ty(&*store);
        let param_types: Vec<(String, wasmtime::component::Type)> =
            ty.params().map(|(n, t)| (n.to_string(), t)).collect();
        let params = match build_params(&param_types) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let mut results = vec![Val::Bool(false); ty.results().len()];
        func.call_async(&mut *store, &params, &mut results).await?;
        results
            .pop()
            .map(Ok)
            .ok_or_else(|| anyhow!("'{function}' returned nothing"))
    }

    /// Runs with the wall-clock timeout; traps and timeouts become failed results.
    async fn guarded(
        &self,
        label: &str,
        conn: Option<&ConnectionInfo>,
        interface: Option<&str>,
        function: &str,
        build_params: impl FnOnce(
            &[(String, wasmtime::component::Type)],
        ) -> Result<Vec<Val>, InputError>,
    ) -> Outcome {
        let mut store = self.new_store(conn);
        let logs = store.data().log.lines.clone();
        let denied = store.data().outbound.denied.clone();
        let started = Instant::now();
        let call = self.call(&mut store, interface, function, build_params);
        let result = match tokio::time::timeout(self.config.wall_timeout, call).await {
            Ok(Ok(Ok(val))) => values::to_json(val),
            Ok(Ok(Err(input))) => failed_result(
                &format!("{label} failed."),
                400,
                &format!("{}: {}", input.parameter, input.message),
            ),
            Ok(Err(trap)) => failed_result(
                &format!("{label} failed."),
                500,
                &format!("The component stopped: {}", root_cause(&trap)),
            ),
            Err(_) => failed_result(
                &format!("{label} failed."),
                504,
                &format!(
                    "The command did not finish within {} s (wall-clock limit); it was stopped after {:.1} s.",
                    self.config.wall_timeout.as_secs(),
                    started.elapsed().as_secs_f64()
                ),
            ),
        };
        let redactor = store.data().redactor.clone();
        // Secrets never leave in a result, except the one an action exists to deliver
        // (Get Refresh Token's refresh token, in `data`).
        let result = match result.get("ok") {
            Some(ok) if interface == Some(ACTIONS_INTERFACE) => json!({"ok": ok}),
            _ => redactor.json_owned(result),
        };
        let logs = logs.lock().unwrap().clone();
        let denied_hosts = denied.lock().unwrap().clone();
        let rotated_refresh_token = store.data().rotated_refresh_token.clone();
        Outcome {
            result,
            logs,
            denied_hosts,
            rotated_refresh_token,
            peak_memory_bytes: store.data().limits.peak_memory_bytes as u64,
        }
    }

    /// The manifest (`describe`), fetched once.
    pub async fn describe(&self) -> anyhow::Result<Value> {
        self.manifest
            .get_or_try_init(|| async {
                let mut store = self.new_store(None);
                let val = self
                    .call(&mut store, None, "describe", |_| Ok(Vec::new()))
                    .await??;
                Ok::<Value, anyhow::Error>(values::to_json(val))
            })
            .await
            .cloned()
    }

    /// (field name, the seed's label, parameter type) of one command's parameters.
    async fn labels(&self, command: &str) -> Vec<(String, String, String)> {
        let manifest = self.describe().await.unwrap_or_default();
        manifest["commands"]
            .as_array()
            .and_then(|cmds| cmds.iter().find(|c| c["name"] == command))
            .and_then(|c| c["parameters"].as_array())
            .map(|params| {
                params
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p["name"].as_str()?.to_string(),
                            p["label"].as_str()?.to_string(),
                            p["param-type"].as_str().unwrap_or("text").to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs a command: `connection` is the connection file's JSON, `input` the command
    /// input with WIT field names or the seed's labels as keys.
    pub async fn run_command(&self, connection: &Value, command: &str, input: &Value) -> Outcome {
        self.run_command_text(connection, command, input)
            .await
            .parse()
    }

    /// [`Runtime::run_command`] with the result as one JSON document's text.
    pub async fn run_command_text(
        &self,
        connection: &Value,
        command: &str,
        input: &Value,
    ) -> TextOutcome {
        self.command(connection, command, input)
            .await
            .map(|result| result_text::document(&result))
    }

    /// The command's result record as lifted, its JSON parts still text.
    async fn command(&self, connection: &Value, command: &str, input: &Value) -> Outcome {
        let manifest = match self.describe().await {
            Ok(m) => m,
            Err(e) => {
                return host_failure(
                    &label_of(command),
                    &format!("the component could not describe itself: {e}"),
                );
            }
        };
        let Some(info) = manifest["commands"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == command))
        else {
            let known: Vec<&str> = manifest["commands"]
                .as_array()
                .map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect())
                .unwrap_or_default();
            return host_failure(
                &label_of(command),
                &format!(
                    "Unknown command '{command}'. This component implements: {}.",
                    known.join(", ")
                ),
            );
        };
        let label = info["label"].as_str().unwrap_or(command).to_string();
        let conn = match connection::parse(connection) {
            Ok(c) => c,
            Err(e) => return input_failure(&label, &e),
        };
        let labels = self.labels(command).await;
        let input = match normalize_input(input, &labels) {
            Ok(i) => i,
            Err(e) => return input_failure(&label, &e),
        };
        let label_for = |name: &str| {
            labels
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, l, _)| l.clone())
                .unwrap_or_else(|| name.to_string())
        };
        let conn_wit = conn.wit.clone();
        self.guarded(
            &label,
            Some(&conn),
            Some(COMMANDS_INTERFACE),
            command,
            |params| {
                let mut vals = Vec::new();
                for (name, ty) in params {
                    let v = if name == "connection" {
                        values::to_val(ty, Some(&conn_wit), "Connection", &|n: &str| n.to_string())?
                    } else {
                        values::to_val(ty, Some(&input), &label, &label_for)?
                    };
                    vals.push(v);
                }
                Ok(vals)
            },
        )
        .await
    }

    /// "Get Authorization": `{url, state, code-verifier}` or a failed result.
    pub async fn get_authorization(&self, connection: &Value) -> Outcome {
        self.action(connection, "Get Authorization", "get-authorization", None)
            .await
    }

    /// "Get Refresh Token": `{refresh-token, granted-scope}` or a failed result.
    pub async fn get_refresh_token(
        &self,
        connection: &Value,
        code_verifier: Option<&str>,
    ) -> Outcome {
        self.action(
            connection,
            "Get Refresh Token",
            "get-refresh-token",
            code_verifier,
        )
        .await
    }

    async fn action(
        &self,
        connection: &Value,
        label: &str,
        function: &str,
        verifier: Option<&str>,
    ) -> Outcome {
        let conn = match connection::parse(connection) {
            Ok(c) => c,
            Err(e) => return input_failure(label, &e),
        };
        let conn_wit = conn.wit.clone();
        let verifier = verifier.map(|v| Value::String(v.to_string()));
        let mut outcome = self
            .guarded(
                label,
                Some(&conn),
                Some(ACTIONS_INTERFACE),
                function,
                |params| {
                    let mut vals = Vec::new();
                    for (name, ty) in params {
                        let value = if name == "connection" {
                            Some(&conn_wit)
                        } else {
                            verifier.as_ref()
                        };
                        vals.push(values::to_val(ty, value, name, &|n: &str| n.to_string())?);
                    }
                    Ok(vals)
                },
            )
            .await;
        // result<ok, command-error> -> a successful value or a failed result.
        outcome.result = match outcome.result.get("ok") {
            Some(ok) => json!({"status": "successful", "data": ok}),
            None => match outcome.result.get("err") {
                Some(err) => json!({"status": "failed", "errors": [err]}),
                None => outcome.result,
            },
        };
        outcome
    }
}

fn root_cause(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    if let Some(cause) = e.chain().last()
        && cause.to_string() != text
    {
        text = format!("{text}: {cause}");
    }
    text
}

fn host_failure(label: &str, message: &str) -> Outcome {
    Outcome {
        result: failed_result(&format!("{label} failed."), 400, message),
        logs: Vec::new(),
        denied_hosts: Vec::new(),
        rotated_refresh_token: None,
        peak_memory_bytes: 0,
    }
}

fn input_failure(label: &str, e: &InputError) -> Outcome {
    host_failure(label, &format!("{}: {}", e.parameter, e.message))
}

/// Input keys by field name or label (case-insensitive); unknown keys are an error, so a
/// misspelled parameter is not silently ignored. A JSON-typed parameter (WIT `json`, which
/// is text) may be given as JSON itself: it is passed on as its text.
fn normalize_input(
    input: &Value,
    labels: &[(String, String, String)],
) -> Result<Value, InputError> {
    let map = match input {
        Value::Null => return Ok(json!({})),
        Value::Object(m) => m,
        _ => {
            return Err(InputError {
                parameter: "Input".into(),
                message: "must be a JSON object of parameters.".into(),
            });
        }
    };
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        let k = key.trim();
        let (name, param_type) = labels
            .iter()
            .find(|(n, l, _)| n.eq_ignore_ascii_case(k) || l.eq_ignore_ascii_case(k))
            .map(|(n, _, t)| (n.clone(), t.as_str()))
            .ok_or_else(|| InputError {
                parameter: key.clone(),
                message: format!(
                    "is not a parameter of this command. Parameters: {}.",
                    labels
                        .iter()
                        .map(|(n, l, _)| format!("{n} ({l})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        let value = match value {
            Value::Object(_) | Value::Array(_) if param_type == "json" => {
                Value::String(value.to_string())
            }
            other => other.clone(),
        };
        out.insert(name, value);
    }
    Ok(Value::Object(out))
}
