//! What one Store holds: WASI and wasi:http contexts, limits, and the host capabilities
//! the guest imports (token cache, file store, log), scoped to one connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::{file_store, log, reply_tracking, token_cache};
use crate::cpu::CpuMeter;
use crate::file_store::FileStore;
use crate::http_hook::Outbound;
use crate::redact::Redactor;
use crate::token_cache::CachedToken;
use crate::token_store::{StoreError, TokenStore};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub level: String,
    pub message: String,
}

/// Where guest log lines go: kept for the caller, optionally echoed to stderr live, within
/// the invocation's log limits (`Limits::log_bytes`, `Limits::log_line_bytes`).
#[derive(Clone, Default)]
pub struct LogSink {
    pub lines: Arc<Mutex<Vec<LogLine>>>,
    pub echo_stderr: bool,
    pub max_bytes: usize,
    pub max_line_bytes: usize,
    /// Bytes kept so far, and lines dropped past the limit.
    used: usize,
    dropped: u64,
}

impl LogSink {
    pub fn new(echo_stderr: bool, max_bytes: usize, max_line_bytes: usize) -> LogSink {
        LogSink {
            echo_stderr,
            max_bytes,
            max_line_bytes,
            ..LogSink::default()
        }
    }

    /// Whether another line would still be kept (the caller skips redacting it if not).
    fn has_room(&mut self) -> bool {
        if self.used < self.max_bytes {
            return true;
        }
        self.dropped += 1;
        false
    }

    fn push(&mut self, level: &str, message: String) {
        let message = cut(message, self.max_line_bytes);
        if self.used.saturating_add(message.len()) > self.max_bytes {
            self.dropped += 1;
            self.used = self.max_bytes;
            return;
        }
        self.used += message.len();
        if self.echo_stderr {
            eprintln!("[{level}] {message}");
        }
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(LogLine {
                level: level.to_string(),
                message,
            });
    }

    /// Lines the log limit has dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Says how many lines the limit dropped, once, at the end of the invocation.
    pub fn finish(&mut self) {
        if self.dropped > 0 {
            let line = LogLine {
                level: "warn".into(),
                message: format!(
                    "{} log lines dropped: over the host's log limit of {} bytes per invocation",
                    self.dropped, self.max_bytes
                ),
            };
            if self.echo_stderr {
                eprintln!("[warn] {}", line.message);
            }
            self.lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
            self.dropped = 0;
        }
    }
}

/// `text` cut to at most `max` bytes on a character boundary, saying so.
fn cut(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let total = text.len();
    text.truncate(end);
    text.push_str(&format!("... ({total} bytes in all)"));
    text
}

/// A unique id per Store: who holds a token-cache lease.
pub fn next_holder_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

pub struct StoreState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub outbound: Outbound,
    pub memory: MemoryLimiter,
    /// CPU time of the invocation, host calls included.
    pub cpu: Arc<CpuMeter>,
    pub tokens: Arc<dyn TokenStore>,
    /// This Store's id as a token-cache lease holder.
    pub holder: u64,
    /// What one connection may keep in the token cache (`Limits::token_cache_entries`,
    /// `Limits::token_bytes`).
    pub token_entries: usize,
    pub token_bytes: usize,
    /// Prefix that keeps one connection's cache keys apart from another's, whatever
    /// key the guest asks for.
    pub token_namespace: String,
    pub files: FileStore,
    /// See `RuntimeConfig::response_link_base`.
    pub response_link_base: Option<String>,
    pub log: LogSink,
    pub redactor: Redactor,
    /// Token-cache keys this invocation wrote (full keys, namespace included).
    pub written_token_keys: Arc<Mutex<Vec<String>>>,
    /// The last refresh token the guest handed over in this invocation.
    pub rotated_refresh_token: Option<String>,
    /// The access token this invocation last got or put, per full key: a `remove` after
    /// Graph refused it forgets that token only, not a newer one another worker put.
    pub served_tokens: HashMap<String, String>,
}

/// The Store's memory limits, and the high-water mark of guest linear memory they
/// let through (for benchmarks and operators sizing the memory limit).
pub struct MemoryLimiter {
    inner: StoreLimits,
    /// The largest size any linear memory of the guest was allowed to reach.
    pub peak_memory_bytes: usize,
}

impl ResourceLimiter for MemoryLimiter {
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
    pub fn memory_limiter(memory_limit_bytes: usize) -> MemoryLimiter {
        MemoryLimiter {
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

impl Drop for StoreState {
    fn drop(&mut self) {
        // A lease this invocation still holds (its refresh failed, or it was stopped)
        // passes to the next waiter now, not when the lease times out. The runtime ends
        // them itself after a call; this covers a Store dropped some other way.
        self.tokens.release_leases_soon(self.holder);
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

/// A token store that failed stops the invocation with its message (a trap), so no
/// command goes on without its lease or loses a rotated refresh token.
fn trap(e: StoreError) -> wasmtime::Error {
    wasmtime::Error::new(e)
}

/// The longest token-cache key a guest may use (its own keys are about 120 bytes).
const MAX_TOKEN_KEY: usize = 512;

impl token_cache::Host for StoreState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<token_cache::CachedToken>> {
        if key.len() > MAX_TOKEN_KEY {
            return Ok(None);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let key = self.key(&key);
        let token = self
            .tokens
            .get_or_lease(&key, self.holder, now)
            .await
            .map_err(trap)?;
        Ok(token.map(|t| {
            self.redactor.add(&t.access_token);
            self.served_tokens.insert(key, t.access_token.clone());
            token_cache::CachedToken {
                access_token: t.access_token,
                expires_at: t.expires_at,
            }
        }))
    }

    async fn put(&mut self, key: String, token: token_cache::CachedToken) -> wasmtime::Result<()> {
        if !self.may_keep(&key, &token.access_token).await? {
            return Ok(());
        }
        self.redactor.add(&token.access_token);
        let key = self.key(&key);
        self.wrote(key.clone());
        let token = CachedToken {
            access_token: token.access_token,
            expires_at: token.expires_at,
        };
        self.served_tokens
            .insert(key.clone(), token.access_token.clone());
        self.tokens
            .put(&key, self.holder, token)
            .await
            .map_err(trap)
    }

    async fn remove(&mut self, key: String) -> wasmtime::Result<()> {
        let key = self.key(&key);
        let only = self.served_tokens.remove(&key);
        self.tokens
            .remove(&key, only.as_deref())
            .await
            .map_err(trap)
    }

    async fn get_refresh_token(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        if key.len() > MAX_TOKEN_KEY {
            return Ok(None);
        }
        let token = self
            .tokens
            .get_refresh_token(&self.key(&key))
            .await
            .map_err(trap)?;
        if let Some(token) = &token {
            self.redactor.add(token);
        }
        Ok(token)
    }

    async fn put_refresh_token(
        &mut self,
        key: String,
        refresh_token: String,
    ) -> wasmtime::Result<()> {
        if !self.may_keep(&key, &refresh_token).await? {
            return Ok(());
        }
        self.redactor.add(&refresh_token);
        let key = self.key(&key);
        self.wrote(key.clone());
        // Handed to the platform even if the store fails: the connection keeps it.
        self.rotated_refresh_token = Some(refresh_token.clone());
        self.tokens
            .put_refresh_token(&key, &refresh_token)
            .await
            .map_err(trap)
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
        if self.log.has_room() {
            let text = self.redactable(message);
            self.log.push(level, text);
        }
    }

    fn progress(&mut self, done: u32, total: u32, message: String) {
        if !self.log.has_room() {
            return;
        }
        let message = self.redactable(message);
        let text = if total > 0 {
            format!("{done}/{total} {message}")
        } else {
            format!("{done} {message}")
        };
        self.log.push("progress", text);
    }
}

impl StoreState {
    /// Whether the token cache keeps this put: a bounded key and token, and room in the
    /// connection's share of the cache. A put refused is logged, never kept.
    async fn may_keep(&mut self, key: &str, token: &str) -> wasmtime::Result<bool> {
        let refusal = if key.len() > MAX_TOKEN_KEY {
            Some(format!(
                "a key of {} bytes (at most {MAX_TOKEN_KEY})",
                key.len()
            ))
        } else if token.len() > self.token_bytes {
            Some(format!(
                "a token of {} bytes (at most {})",
                token.len(),
                self.token_bytes
            ))
        } else if self
            .tokens
            .entries_in(&self.token_namespace, &self.key(key))
            .await
            .map_err(trap)?
            .is_some_and(|held| held >= self.token_entries)
        {
            Some(format!(
                "a new key past the connection's {} entries",
                self.token_entries
            ))
        } else {
            None
        };
        match refusal {
            Some(why) => {
                if self.log.has_room() {
                    self.log
                        .push("warn", format!("token cache: not kept: {why}"));
                }
                Ok(false)
            }
            None => Ok(true),
        }
    }

    fn wrote(&self, key: String) {
        let mut keys = self
            .written_token_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !keys.contains(&key) && keys.len() < 64 {
            keys.push(key);
        }
    }

    /// A guest's log text redacted, cut first only where no secret can straddle the cut:
    /// the line limit plus the longest secret is kept for redaction.
    fn redactable(&self, message: String) -> String {
        let keep = self
            .log
            .max_line_bytes
            .saturating_add(self.redactor.longest_secret());
        self.redactor.text(&cut(message, keep))
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
