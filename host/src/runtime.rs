//! Runs the component: one engine and pre-linked component shared by all invocations, one
//! Store per invocation with its own memory limit, CPU budget, wall-clock timeout,
//! allowlist and capabilities.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wasmtime::component::{HasSelf, InstancePre, Linker, ResourceTable, Val};
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::WasiHttpCtx;

use crate::bindings::{file_store, log, reply_tracking, token_cache};
use crate::connection::{self, ConnectionInfo, InputError};
use crate::cpu::{CpuBudgetExceeded, CpuMeter, Metered};
use crate::egress::EgressPolicy;
use crate::engine::{self, EngineOptions, Loaded};
use crate::file_store::FileStore;
use crate::http_hook::Outbound;
use crate::http_log::HttpLog;
use crate::limits::Limits;
use crate::redact::Redactor;
use crate::result_text;
use crate::state::{LogLine, LogSink, StoreState, next_holder_id};
use crate::tiers::Tiers;
use crate::token_store::{StoreError, TokenStore};
use crate::values;
use o365_core::invoke::title_case;

pub const COMMANDS_INTERFACE: &str = "soar:office365/commands@0.1.0";
pub const ACTIONS_INTERFACE: &str = "soar:office365/connection-actions@0.1.0";
/// The component's own input handling: commands are called through it with JSON.
pub const JSON_ENTRY_INTERFACE: &str = "soar:office365/json-entry@0.1.0";

/// A result document larger than this is written on the batch executor (`tiers.rs`).
const LARGE_RESULT_BYTES: usize = 1024 * 1024;

/// Epochs tick this often: how often guest code checks its CPU budget.
const EPOCH_TICK: Duration = Duration::from_millis(10);

#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    pub component: PathBuf,
    /// Where precompiled components are kept; None compiles every time.
    pub cache_dir: Option<PathBuf>,
    pub engine: EngineOptions,
    /// Every resource one invocation may make the host spend.
    pub limits: Limits,
    /// Host -> base URL routes (simulator, proxy).
    pub routes: Vec<(String, String)>,
    pub http_log: Option<PathBuf>,
    /// Root of the per-tenant file stores.
    pub files_root: PathBuf,
    /// Echo guest log lines to stderr as they come.
    pub echo_log: bool,
    /// Hosts no connection may reach, even its own cloud's (an operator blocking a cloud).
    pub deny_hosts: Vec<String>,
    /// Threads of the batch executor that runs invocations past `Limits::light_cpu_time`
    /// at low OS priority (`tiers.rs`); None: one less than the cores, at least one.
    pub batch_threads: Option<usize>,
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
            limits: Limits::default(),
            routes: Vec::new(),
            http_log: None,
            files_root,
            echo_log: false,
            deny_hosts: Vec::new(),
            batch_threads: None,
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
            serde_json::from_str(&text).unwrap_or_else(|e| {
                failed_result(
                    "The result could not be read.",
                    500,
                    &format!("The host's result document is not JSON it can read: {e}"),
                )
            })
        })
    }
}

pub struct Runtime {
    engine: Engine,
    pre: InstancePre<StoreState>,
    config: RuntimeConfig,
    tokens: Arc<dyn TokenStore>,
    http_log: Option<Arc<HttpLog>>,
    pub loaded: Loaded,
    ticker: Arc<AtomicBool>,
    /// The manifest, read once and shared: invocations look their command up in it
    /// without copying it.
    manifest: tokio::sync::OnceCell<Arc<Value>>,
    tiers: Tiers,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker.store(true, Ordering::Relaxed);
    }
}

/// What [`Runtime::guarded`] hands back: the outcome (not yet scrubbed), the invocation's
/// redactor, and the token-cache keys the invocation wrote.
struct Guarded {
    outcome: Outcome,
    redactor: Redactor,
    written_token_keys: Vec<String>,
}

/// What an invocation leaves when its store ends.
struct Finished {
    result: Value,
    redactor: Redactor,
    written_token_keys: Arc<Mutex<Vec<String>>>,
    rotated_refresh_token: Option<String>,
    peak_memory_bytes: u64,
    holder: u64,
    /// It ran into a host bound: a refusal, a body or log limit, CPU, wall clock, a trap.
    hit_bound: bool,
}

/// The result of a call, or a failed result saying why it stopped: a trap, the CPU
/// budget, the wall clock or bad input.
fn call_result(
    label: &str,
    limits: Limits,
    started: Instant,
    ended: Result<
        Result<anyhow::Result<Result<Val, InputError>>, CpuBudgetExceeded>,
        tokio::time::error::Elapsed,
    >,
) -> Value {
    let failed =
        |status: u16, message: &str| failed_result(&format!("{label} failed."), status, message);
    match ended {
        Ok(Ok(Ok(Ok(val)))) => values::to_json(val),
        Ok(Ok(Ok(Err(input)))) => failed(400, &format!("{}: {}", input.parameter, input.message)),
        // The token store failed under the guest: its own message, without the
        // guest's backtrace (the command did not fail, its host's store did).
        Ok(Ok(Err(trap))) if trap.downcast_ref::<StoreError>().is_some() => failed(
            503,
            &format!(
                "The command stopped: {}",
                trap.downcast_ref::<StoreError>()
                    .map_or("", |e| e.0.as_str())
            ),
        ),
        Ok(Ok(Err(trap))) => failed(
            500,
            &format!("The component stopped: {}", root_cause(&trap)),
        ),
        Ok(Err(CpuBudgetExceeded)) => failed(
            500,
            &format!(
                "The component stopped: {}",
                cpu_budget_message(limits.cpu_time)
            ),
        ),
        Err(_) => failed(
            504,
            &format!(
                "The command did not finish within {} s (wall-clock limit); it was stopped after {:.1} s.",
                limits.wall_time.as_secs(),
                started.elapsed().as_secs_f64()
            ),
        ),
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

impl Runtime {
    /// `tokens`: where the guest's tokens live, [`crate::TokenCache`] (this process only)
    /// or [`crate::RedisTokenStore`] (shared by every process on the same Redis).
    pub fn new(config: RuntimeConfig, tokens: Arc<dyn TokenStore>) -> anyhow::Result<Runtime> {
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
            tiers: Tiers::new(config.batch_threads, config.limits.light_cpu_time)
                .context("cannot start the batch executor")?,
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

    pub fn tokens(&self) -> &Arc<dyn TokenStore> {
        &self.tokens
    }

    /// Whether `connection_id`'s next invocation starts on the batch executor, because a
    /// recent one ran into a host bound (`tiers.rs`).
    pub fn starts_on_batch(&self, connection_id: &str) -> bool {
        self.tiers
            .is_penalized(&connection_namespace(connection_id))
    }

    /// The file store the guest sees when it runs for `connection_id`, for a platform
    /// that puts files in (Send Mail's File IDs) or reads stored ones.
    pub fn file_store(&self, connection_id: &str) -> FileStore {
        FileStore::for_connection(
            &self.config.files_root,
            &connection_namespace(connection_id),
        )
    }

    /// A Store for one invocation on behalf of `conn` (None: no connection, e.g. describe).
    pub fn new_store(&self, conn: Option<&ConnectionInfo>) -> Store<StoreState> {
        let limits = self.config.limits;
        // Everything the guest can reach is scoped by the connection the platform named.
        let namespace = connection_namespace(conn.map(|c| c.id.as_str()).unwrap_or(""));
        // The store's refresh tokens of the connection join it before the call
        // (`guarded`), since the store may be remote.
        let redactor = Redactor::new(conn.map(|c| c.secrets.clone()).unwrap_or_default());
        let policy = match conn {
            Some(c) => c.egress_policy(&self.config.routes, &self.config.deny_hosts),
            // No connection (describe): no host at all.
            None => EgressPolicy::default(),
        };
        let cpu = Arc::new(CpuMeter::new(limits.cpu_time));
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(limits.header_set_bytes);
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.host_resources);
        let state = StoreState {
            wasi: WasiCtx::builder().build(),
            http,
            table,
            outbound: Outbound::new(policy, limits, self.http_log.clone(), redactor.clone()),
            memory: StoreState::memory_limiter(self.config.engine.memory_limit_bytes),
            cpu: cpu.clone(),
            tokens: self.tokens.clone(),
            holder: next_holder_id(),
            token_entries: limits.token_cache_entries,
            token_bytes: limits.token_bytes,
            files: FileStore::for_connection(&self.config.files_root, &namespace)
                .with_quota(limits.file_store_bytes),
            token_namespace: namespace,
            response_link_base: self.config.response_link_base.clone(),
            log: LogSink::new(
                self.config.echo_log,
                limits.log_bytes,
                limits.log_line_bytes,
            ),
            redactor,
            written_token_keys: Arc::default(),
            rotated_refresh_token: None,
            served_tokens: HashMap::new(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        store.set_epoch_deadline(1);
        // Every tick inside guest code checks the CPU spent so far, host calls included;
        // yielding keeps the executor fair to other invocations, and is where an invocation
        // past its light CPU time moves to the batch executor (`tiers.rs`).
        store.epoch_deadline_callback(move |_| {
            if cpu.exceeded() {
                return Err(wasmtime::Error::msg(cpu_budget_message(cpu.budget())));
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }

    /// Calls an export by interface and name with JSON arguments already converted.
    async fn call(
        pre: &InstancePre<StoreState>,
        store: &mut Store<StoreState>,
        interface: Option<&str>,
        function: &str,
        build_params: impl FnOnce(
            &[(String, wasmtime::component::Type)],
        ) -> Result<Vec<Val>, InputError>,
    ) -> anyhow::Result<Result<Val, InputError>> {
        let instance = pre.instantiate_async(&mut *store).await?;
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

    /// Runs within the invocation's CPU and wall-clock limits; traps, timeouts and results
    /// over the size limit become failed results. The result is as lifted, not yet
    /// scrubbed: the caller scrubs it with the invocation's redactor, returned beside it.
    async fn guarded(
        &self,
        label: &str,
        conn: Option<&ConnectionInfo>,
        interface: Option<&str>,
        function: &str,
        build_params: impl FnOnce(
            &[(String, wasmtime::component::Type)],
        ) -> Result<Vec<Val>, InputError>
        + Send
        + 'static,
    ) -> Guarded {
        let limits = self.config.limits;
        let mut store = self.new_store(conn);
        let failed = |status: u16, message: &str| {
            failed_result(&format!("{label} failed."), status, message)
        };
        if conn.is_some() {
            // Only this connection's own tokens: another connection's must never reach the
            // redactor, or a guest could make other tenants' results read "[REDACTED]".
            let namespace = store.data().token_namespace.clone();
            match self.tokens.refresh_tokens_in(&namespace).await {
                Ok(tokens) => tokens.iter().for_each(|t| store.data().redactor.add(t)),
                Err(e) => {
                    let redactor = store.data().redactor.clone();
                    return Guarded {
                        outcome: host_outcome(failed(503, &e.0)),
                        redactor,
                        written_token_keys: Vec::new(),
                    };
                }
            }
        }
        let namespace = store.data().token_namespace.clone();
        let logs = store.data().log.lines.clone();
        let denied = store.data().outbound.denied.clone();
        let cpu = store.data().cpu.clone();
        // The invocation owns everything it touches, so that past its light CPU time it
        // can move to the batch executor (`tiers.rs`).
        let work = {
            let (pre, cpu, label) = (self.pre.clone(), cpu.clone(), label.to_string());
            let (interface, function) = (interface.map(str::to_string), function.to_string());
            async move {
                let started = Instant::now();
                let call = Metered::new(
                    Self::call(
                        &pre,
                        &mut store,
                        interface.as_deref(),
                        &function,
                        build_params,
                    ),
                    cpu,
                );
                let ended = tokio::time::timeout(limits.wall_time, call).await;
                let returned = matches!(ended, Ok(Ok(Ok(_))));
                let result = call_result(&label, limits, started, ended);
                let data = store.data();
                let hit_bound = !returned
                    || data.log.dropped() > 0
                    || data.outbound.bounds_hit.load(Ordering::Relaxed);
                store.data_mut().log.finish();
                let data = store.data();
                // The store (and the guest's memory, back to the pool) ends here, on the
                // executor the invocation ran on.
                Finished {
                    result,
                    redactor: data.redactor.clone(),
                    written_token_keys: data.written_token_keys.clone(),
                    rotated_refresh_token: data.rotated_refresh_token.clone(),
                    peak_memory_bytes: data.memory.peak_memory_bytes as u64,
                    holder: data.holder,
                    hit_bound,
                }
            }
        };
        let Finished {
            result,
            redactor,
            written_token_keys,
            rotated_refresh_token,
            peak_memory_bytes,
            holder,
            hit_bound,
        } = self.tiers.run(&namespace, &cpu, work).await;
        // A lease still held (the refresh failed, or the call was stopped) passes to the
        // next waiter now rather than when it runs out.
        if let Err(e) = self.tokens.release_leases(holder).await {
            eprintln!("o365-host: {e}");
        }
        let size = result_text::approximate_size(&result);
        if hit_bound || size > limits.result_bytes {
            self.tiers.penalize(&namespace);
        }
        let result = if size > limits.result_bytes {
            failed(
                500,
                &format!(
                    "The component's result is about {size} bytes, over the host's limit of {} bytes per result.",
                    limits.result_bytes
                ),
            )
        } else {
            result
        };
        let logs = logs.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let denied_hosts = denied
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let outcome = Outcome {
            result,
            logs,
            denied_hosts,
            rotated_refresh_token,
            peak_memory_bytes,
        };
        let written_token_keys = written_token_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Guarded {
            outcome,
            redactor,
            written_token_keys,
        }
    }

    /// The manifest (`describe`), fetched once.
    pub async fn describe(&self) -> anyhow::Result<Value> {
        self.manifest().await.map(|m| (*m).clone())
    }

    async fn manifest(&self) -> anyhow::Result<Arc<Value>> {
        self.manifest
            .get_or_try_init(|| async {
                let mut store = self.new_store(None);
                let cpu = store.data().cpu.clone();
                let call = Metered::new(
                    Self::call(&self.pre, &mut store, None, "describe", |_| Ok(Vec::new())),
                    cpu.clone(),
                );
                let val = tokio::time::timeout(self.config.limits.wall_time, call)
                    .await
                    .map_err(|_| anyhow!("describe did not finish within the wall-clock limit"))?
                    .map_err(|_| anyhow!("{}", cpu_budget_message(cpu.budget())))???;
                Ok::<Arc<Value>, anyhow::Error>(Arc::new(values::to_json(val)))
            })
            .await
            .cloned()
    }

    /// Runs a command: `connection` is the connection file's JSON, `input` the command
    /// input with WIT field names or the seed's labels as keys.
    ///
    /// `connection_id` is the platform's name for the connection: everything the guest can
    /// reach (token cache, refresh tokens, file store, redaction set) is scoped by it, so
    /// two connections never see each other's state, even of the same app and tenant.
    pub async fn run_command(
        &self,
        connection_id: &str,
        connection: &Value,
        command: &str,
        input: &Value,
    ) -> Outcome {
        self.run_command_text(connection_id, connection, command, input)
            .await
            .parse()
    }

    /// [`Runtime::run_command`] with the result as one JSON document's text.
    pub async fn run_command_text(
        &self,
        connection_id: &str,
        connection: &Value,
        command: &str,
        input: &Value,
    ) -> TextOutcome {
        let (outcome, redactor) = self
            .command(connection_id, connection, command, input)
            .await;
        let depth = self.config.limits.result_json_depth;
        let label = title_case(command);
        let large = result_text::approximate_size(&outcome.result) > LARGE_RESULT_BYTES;
        // Writing a large document is heavy work: the batch executor does it. A refused
        // result is a bound the guest ran into, like the ones `guarded` notes.
        let write = move || {
            let mut refused = false;
            let written = outcome.map(|result| {
                result_text::document(result, &redactor, depth).unwrap_or_else(|problem| {
                    refused = true;
                    failed_result(
                        &format!("{label} failed."),
                        500,
                        &format!("The component's result was refused: {problem}"),
                    )
                    .to_string()
                })
            });
            (written, refused)
        };
        let (written, refused) = if large {
            self.tiers.on_batch(async move { write() }).await
        } else {
            write()
        };
        if refused {
            self.tiers.penalize(&connection_namespace(connection_id));
        }
        written
    }

    /// The command's result record as lifted, its JSON parts still text and not yet
    /// scrubbed, and the invocation's redactor to scrub them with.
    async fn command(
        &self,
        connection_id: &str,
        connection: &Value,
        command: &str,
        input: &Value,
    ) -> (Outcome, Redactor) {
        let (outcome, redactor) = self
            .prepared_command(connection_id, connection, command, input)
            .await;
        (outcome, redactor.unwrap_or_default())
    }

    /// The component reads the command, the connection and the input itself
    /// (`json-entry.invoke`); the host reads the connection only for what it enforces
    /// (allowlist, scoping, redaction), with the same reader.
    async fn prepared_command(
        &self,
        connection_id: &str,
        connection: &Value,
        command: &str,
        input: &Value,
    ) -> (Outcome, Option<Redactor>) {
        let label = self.label(command).await;
        let conn = match connection::parse(connection_id, connection) {
            Ok(c) => c,
            Err(e) => return (input_failure(&label, &e), None),
        };
        let arguments = vec![
            Val::String(command.to_string()),
            Val::String(connection.to_string()),
            Val::String(input.to_string()),
        ];
        let Guarded {
            outcome, redactor, ..
        } = self
            .guarded(
                &label,
                Some(&conn),
                Some(JSON_ENTRY_INTERFACE),
                "invoke",
                move |_| Ok(arguments),
            )
            .await;
        (outcome, Some(redactor))
    }

    /// The command's label for the host's own failures (a trap, a timeout): from the
    /// manifest when the component knows the command, else made from the name.
    async fn label(&self, command: &str) -> String {
        let given = command.trim();
        self.manifest()
            .await
            .ok()
            .and_then(|m| {
                m["commands"].as_array().and_then(|commands| {
                    commands
                        .iter()
                        .find(|c| {
                            [&c["name"], &c["label"]]
                                .iter()
                                .any(|v| v.as_str().is_some_and(|n| n.eq_ignore_ascii_case(given)))
                        })
                        .and_then(|c| c["label"].as_str().map(str::to_string))
                })
            })
            .unwrap_or_else(|| title_case(command))
    }

    /// "Get Authorization": `{url, state, code-verifier}` or a failed result.
    pub async fn get_authorization(&self, connection_id: &str, connection: &Value) -> Outcome {
        self.action(
            connection_id,
            connection,
            "Get Authorization",
            "get-authorization",
            &[],
        )
        .await
    }

    /// "Get Refresh Token": `{refresh-token, granted-scope}` or a failed result.
    /// `state` is the one Get Authorization issued, compared with the pasted redirect URL's.
    pub async fn get_refresh_token(
        &self,
        connection_id: &str,
        connection: &Value,
        code_verifier: Option<&str>,
        state: Option<&str>,
    ) -> Outcome {
        self.action(
            connection_id,
            connection,
            "Get Refresh Token",
            "get-refresh-token",
            &[("code-verifier", code_verifier), ("state", state)],
        )
        .await
    }

    async fn action(
        &self,
        connection_id: &str,
        connection: &Value,
        label: &str,
        function: &str,
        arguments: &[(&str, Option<&str>)],
    ) -> Outcome {
        let conn = match connection::parse(connection_id, connection) {
            Ok(c) => c,
            Err(e) => return input_failure(label, &e),
        };
        let conn_val = conn.to_val();
        let arguments: Vec<(String, Option<String>)> = arguments
            .iter()
            .map(|(name, v)| (name.to_string(), v.map(str::to_string)))
            .collect();
        let Guarded {
            mut outcome,
            redactor,
            written_token_keys,
        } = self
            .guarded(
                label,
                Some(&conn),
                Some(ACTIONS_INTERFACE),
                function,
                move |params| {
                    Ok(params
                        .iter()
                        .map(|(name, _)| {
                            if name == "connection" {
                                conn_val.clone()
                            } else {
                                let given = arguments
                                    .iter()
                                    .find(|(n, _)| n == name)
                                    .and_then(|(_, v)| v.as_deref());
                                Val::Option(given.map(|v| Box::new(Val::String(v.to_string()))))
                            }
                        })
                        .collect())
                },
            )
            .await;
        // result<ok, command-error> -> a successful value or a failed result. Secrets never
        // leave in it, except the one an action exists to deliver (Get Refresh Token's
        // refresh token, in `data`).
        outcome.result = match outcome.result.get("ok") {
            Some(ok) => json!({"status": "successful", "data": ok}),
            None => match outcome.result.get("err") {
                Some(err) => json!({"status": "failed", "errors": [redactor.json(err)]}),
                None => redactor.json_owned(outcome.result),
            },
        };
        if function == "get-refresh-token" && outcome.status() == "successful" {
            // The new grant supersedes whatever this connection had cached: the newest
            // grant wins over an older rotated refresh token.
            if let Err(e) = self
                .tokens
                .forget_connection(&connection_namespace(&conn.id), &written_token_keys)
                .await
            {
                return host_outcome(failed_result(
                    &format!("{label} failed."),
                    503,
                    &format!("the new grant could not replace the cached tokens: {e}"),
                ));
            }
        }
        outcome
    }
}

/// The prefix of a connection's token-cache keys and the name of its file store: a digest
/// of the platform's connection id, so no id can collide with or name another's.
pub fn connection_namespace(connection_id: &str) -> String {
    let digest = Sha256::digest(connection_id.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn cpu_budget_message(budget: Duration) -> String {
    format!(
        "the command used more than its CPU budget of {} s (guest code and host calls)",
        budget.as_secs_f64()
    )
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
    host_outcome(failed_result(&format!("{label} failed."), 400, message))
}

/// An outcome of the host's own making: no logs, nothing denied, no token rotated.
fn host_outcome(result: Value) -> Outcome {
    Outcome {
        result,
        logs: Vec::new(),
        denied_hosts: Vec::new(),
        rotated_refresh_token: None,
        peak_memory_bytes: 0,
    }
}

fn input_failure(label: &str, e: &InputError) -> Outcome {
    host_failure(label, &format!("{}: {}", e.parameter, e.message))
}
