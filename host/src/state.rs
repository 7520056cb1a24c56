//! What one Store holds: WASI and wasi:http contexts, limits, and the host capabilities
//! the guest imports (token cache, file store, log), scoped to one connection.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::{file_store, log, reply_tracking, token_cache};
use crate::file_store::FileStore;
use crate::http_hook::Outbound;
use crate::redact::Redactor;
use crate::token_cache::{CachedToken, TokenCache};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub level: String,
    pub message: String,
}

/// Where guest log lines go: kept for the caller, optionally echoed to stderr live.
#[derive(Clone, Default)]
pub struct LogSink {
    pub lines: Arc<Mutex<Vec<LogLine>>>,
    pub echo_stderr: bool,
}

impl LogSink {
    fn push(&self, level: &str, message: String) {
        if self.echo_stderr {
            eprintln!("[{level}] {message}");
        }
        self.lines.lock().unwrap().push(LogLine {
            level: level.to_string(),
            message,
        });
    }
}

pub struct StoreState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub outbound: Outbound,
    pub limits: Limits,
    pub tokens: Arc<TokenCache>,
    /// Prefix that keeps one connection's cache keys apart from another's, whatever
    /// key the guest asks for.
    pub token_namespace: String,
    pub files: FileStore,
    /// See `RuntimeConfig::response_link_base`.
    pub response_link_base: Option<String>,
    pub log: LogSink,
    pub redactor: Redactor,
    /// 10 ms epoch slices the guest has run through (see `runtime.rs`).
    pub cpu_slices: u64,
    /// The last refresh token the guest handed over in this invocation.
    pub rotated_refresh_token: Option<String>,
}

/// The Store's limits, and the high-water mark of guest linear memory they
/// let through (for benchmarks and operators sizing the memory limit).
pub struct Limits {
    inner: StoreLimits,
    /// The largest size any linear memory of the guest was allowed to reach.
    pub peak_memory_bytes: usize,
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        if allowed {
            self.peak_memory_bytes = self.peak_memory_bytes.max(desired);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

impl StoreState {
    pub fn limits(memory_limit_bytes: usize) -> Limits {
        Limits {
            inner: StoreLimitsBuilder::new()
                .memory_size(memory_limit_bytes)
                .instances(32)
                .tables(16)
                .memories(4)
                .trap_on_grow_failure(true)
                .build(),
            peak_memory_bytes: 0,
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}|{key}", self.token_namespace)
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StoreState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

impl token_cache::Host for StoreState {
    fn get(&mut self, key: String) -> Option<token_cache::CachedToken> {
        self.tokens.get(&self.key(&key)).map(|t| {
            self.redactor.add(&t.access_token);
            token_cache::CachedToken {
                access_token: t.access_token,
                expires_at: t.expires_at,
            }
        })
    }

    fn put(&mut self, key: String, token: token_cache::CachedToken) {
        self.redactor.add(&token.access_token);
        self.outbound.redactor.add(&token.access_token);
        self.tokens.put(
            &self.key(&key),
            CachedToken {
                access_token: token.access_token,
                expires_at: token.expires_at,
            },
        );
    }

    fn remove(&mut self, key: String) {
        self.tokens.remove(&self.key(&key));
    }

    fn get_refresh_token(&mut self, key: String) -> Option<String> {
        self.tokens.get_refresh_token(&self.key(&key))
    }

    fn put_refresh_token(&mut self, key: String, refresh_token: String) {
        self.redactor.add(&refresh_token);
        self.outbound.redactor.add(&refresh_token);
        self.tokens
            .put_refresh_token(&self.key(&key), &refresh_token);
        self.rotated_refresh_token = Some(refresh_token);
    }
}

impl file_store::Host for StoreState {
    fn put(
        &mut self,
        name: String,
        content_type: String,
        data: Vec<u8>,
    ) -> Result<file_store::FileInfo, String> {
        self.files
            .put(&name, &content_type, &data)
            .map(|f| file_store::FileInfo {
                file_id: f.file_id,
                name: f.name,
                content_type: f.content_type,
                size: f.size,
            })
    }

    fn get(
        &mut self,
        file_id: String,
        _file_source: String,
    ) -> Result<(file_store::FileInfo, Vec<u8>), String> {
        self.files.get(&file_id).map(|(f, data)| {
            (
                file_store::FileInfo {
                    file_id: f.file_id,
                    name: f.name,
                    content_type: f.content_type,
                    size: f.size,
                },
                data,
            )
        })
    }
}

impl log::Host for StoreState {
    fn log(&mut self, level: log::Level, message: String) {
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        self.log.push(level, self.redactor.text(&message));
    }

    fn progress(&mut self, done: u32, total: u32, message: String) {
        let text = if total > 0 {
            format!("{done}/{total} {}", self.redactor.text(&message))
        } else {
            format!("{done} {}", self.redactor.text(&message))
        };
        self.log.push("progress", text);
    }
}

impl reply_tracking::Host for StoreState {
    fn response_link(&mut self, tracking_id: String) -> Option<String> {
        // The id is the guest's; only URL-safe ids are turned into links.
        let safe = !tracking_id.is_empty()
            && tracking_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let base = self.response_link_base.as_ref()?;
        safe.then(|| format!("{base}{tracking_id}"))
    }
}
