//! The embedded token store (the default `TokenStore`): access tokens until they expire
//! and rotated refresh tokens, for one host process. In memory, optionally persisted to a
//! file only the owner can read (0600). Processes that share tokens use
//! `token_store::RedisTokenStore` instead.
//!
//! One refresh at a time per key: a `get` that finds no fresh token takes the key's lease
//! and fetches; concurrent `get`s of that key wait until the holder puts the new token
//! (or its invocation ends, or the lease times out) and then read it. Without this, N
//! invocations starting together make N token requests, and with rotating refresh tokens
//! they redeem the same one N times.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// A token closer to expiry than this is not served as fresh: the guest refreshes it
/// (the guest's own margin, `o365_core::auth::provider::EXPIRY_MARGIN_SECS`).
pub const FRESH_MARGIN_SECS: u64 = 300;
/// How long one holder may keep a key's lease before a waiter takes over.
pub const LEASE_TIME: Duration = Duration::from_secs(30);

use serde::{Deserialize, Serialize};

use crate::token_store::{BoxFuture, StoreResult, TokenStore};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedToken {
    pub access_token: String,
    pub expires_at: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Entries {
    access: HashMap<String, CachedToken>,
    refresh: HashMap<String, String>,
}

#[derive(Debug)]
struct Lease {
    holder: u64,
    until: Instant,
}

#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<Entries>,
    file: Option<PathBuf>,
    leases: Mutex<HashMap<String, Lease>>,
    /// Woken whenever a token is put or a lease is released.
    changed: Notify,
    /// How long one holder may keep a key's lease; None: [`LEASE_TIME`].
    lease_time: Option<Duration>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TokenCache {
    pub fn in_memory() -> Self {
        TokenCache::default()
    }

    /// Loads the file if it exists; every change is written back.
    pub fn persistent(file: &Path) -> anyhow::Result<Self> {
        let entries = match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice(&bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Entries::default(),
            Err(e) => return Err(e.into()),
        };
        Ok(TokenCache {
            entries: Mutex::new(entries),
            file: Some(file.to_path_buf()),
            ..TokenCache::default()
        })
    }

    /// The same cache with another lease time (tests, operators with slow token endpoints).
    pub fn with_lease_time(mut self, lease_time: Duration) -> Self {
        self.lease_time = Some(lease_time);
        self
    }

    pub fn get(&self, key: &str) -> Option<CachedToken> {
        lock(&self.entries).access.get(key).cloned()
    }

    /// The token of `key` when it is fresh at `now` (unix seconds). Otherwise `holder`
    /// gets the key's lease and the entry as it is (stale or none) to refresh it, or,
    /// while another holder's lease runs, waits for that holder's token.
    pub async fn get_or_lease(&self, key: &str, holder: u64, now: u64) -> Option<CachedToken> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let entry = self.get(key);
            if let Some(token) = &entry
                && token.expires_at > now.saturating_add(FRESH_MARGIN_SECS)
            {
                return entry;
            }
            let wait_until = {
                let mut leases = lock(&self.leases);
                match leases.get(key) {
                    Some(lease) if lease.holder != holder && lease.until > Instant::now() => {
                        lease.until
                    }
                    _ => {
                        leases.insert(
                            key.to_string(),
                            Lease {
                                holder,
                                until: Instant::now() + self.lease_time.unwrap_or(LEASE_TIME),
                            },
                        );
                        return entry;
                    }
                }
            };
            let _ = tokio::time::timeout_at(wait_until.into(), changed).await;
        }
    }

    /// Ends every lease `holder` has (its invocation ended): waiters try again.
    pub fn release_leases(&self, holder: u64) {
        let released = {
            let mut leases = lock(&self.leases);
            let before = leases.len();
            leases.retain(|_, lease| lease.holder != holder);
            leases.len() != before
        };
        if released {
            self.changed.notify_waiters();
        }
    }

    pub fn put(&self, key: &str, token: CachedToken) {
        self.change(|e| {
            e.access.insert(key.to_string(), token);
        });
        lock(&self.leases).remove(key);
        self.changed.notify_waiters();
    }

    pub fn remove(&self, key: &str) {
        self.change(|e| {
            e.access.remove(key);
        });
    }

    /// Forgets every access token (refresh tokens stay): the next call fetches a new one.
    pub fn forget_access_tokens(&self) {
        self.change(|e| e.access.clear());
    }

    pub fn get_refresh_token(&self, key: &str) -> Option<String> {
        lock(&self.entries).refresh.get(key).cloned()
    }

    /// Forgets every token of one connection (keys `{namespace}|...`) but those under
    /// `keep`: a newly redeemed grant supersedes whatever was cached for the connection,
    /// rotated refresh tokens included, and keeps the tokens it was just issued.
    pub fn forget_connection(&self, namespace: &str, keep: &[String]) {
        let prefix = format!("{namespace}|");
        let stale = |k: &String| k.starts_with(&prefix) && !keep.contains(k);
        self.change(|e| {
            e.access.retain(|k, _| !stale(k));
            e.refresh.retain(|k, _| !stale(k));
        });
    }

    pub fn put_refresh_token(&self, key: &str, token: &str) {
        self.change(|e| {
            e.refresh.insert(key.to_string(), token.to_string());
        });
    }

    /// Every refresh token held, for tests.
    pub fn refresh_tokens(&self) -> Vec<String> {
        lock(&self.entries).refresh.values().cloned().collect()
    }

    /// How many keys (access or refresh) one connection holds, and whether `key` is one.
    pub fn entries_in(&self, namespace: &str) -> usize {
        let prefix = format!("{namespace}|");
        let entries = lock(&self.entries);
        let mut keys: Vec<&String> = entries
            .access
            .keys()
            .chain(entries.refresh.keys())
            .filter(|k| k.starts_with(&prefix))
            .collect();
        keys.sort();
        keys.dedup();
        keys.len()
    }

    pub fn has_key(&self, key: &str) -> bool {
        let entries = lock(&self.entries);
        entries.access.contains_key(key) || entries.refresh.contains_key(key)
    }

    /// The refresh tokens of one connection (keys `{namespace}|...`), for its redactor.
    pub fn refresh_tokens_in(&self, namespace: &str) -> Vec<String> {
        let prefix = format!("{namespace}|");
        lock(&self.entries)
            .refresh
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every access token held, for redaction.
    pub fn access_tokens(&self) -> Vec<String> {
        lock(&self.entries)
            .access
            .values()
            .map(|t| t.access_token.clone())
            .collect()
    }

    fn change(&self, f: impl FnOnce(&mut Entries)) {
        let mut entries = lock(&self.entries);
        f(&mut entries);
        if let Some(file) = &self.file
            && let Err(e) =
                crate::private_file::write(file, &serde_json::to_vec(&*entries).unwrap_or_default())
        {
            eprintln!(
                "o365-host: could not write the token cache {}: {e}",
                file.display()
            );
        }
    }
}

/// The embedded store: everything is at hand, so every future is ready at once but
/// `get_or_lease`'s wait.
impl TokenStore for TokenCache {
    fn get_or_lease<'a>(
        &'a self,
        key: &'a str,
        holder: u64,
        now: u64,
    ) -> BoxFuture<'a, StoreResult<Option<CachedToken>>> {
        Box::pin(async move { Ok(TokenCache::get_or_lease(self, key, holder, now).await) })
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        _holder: u64,
        token: CachedToken,
    ) -> BoxFuture<'a, StoreResult<()>> {
        TokenCache::put(self, key, token);
        Box::pin(async { Ok(()) })
    }

    fn remove<'a>(&'a self, key: &'a str, only: Option<&'a str>) -> BoxFuture<'a, StoreResult<()>> {
        self.change(|e| {
            if only.is_none_or(|t| e.access.get(key).is_some_and(|c| c.access_token == t)) {
                e.access.remove(key);
            }
        });
        Box::pin(async { Ok(()) })
    }

    fn get_refresh_token<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>> {
        let token = TokenCache::get_refresh_token(self, key);
        Box::pin(async { Ok(token) })
    }

    fn put_refresh_token<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, StoreResult<()>> {
        TokenCache::put_refresh_token(self, key, token);
        Box::pin(async { Ok(()) })
    }

    fn release_leases(&self, holder: u64) -> BoxFuture<'_, StoreResult<()>> {
        TokenCache::release_leases(self, holder);
        Box::pin(async { Ok(()) })
    }

    fn forget_connection<'a>(
        &'a self,
        namespace: &'a str,
        keep: &'a [String],
    ) -> BoxFuture<'a, StoreResult<()>> {
        TokenCache::forget_connection(self, namespace, keep);
        Box::pin(async { Ok(()) })
    }

    fn entries_in<'a>(
        &'a self,
        namespace: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<usize>>> {
        let held = (!self.has_key(key)).then(|| TokenCache::entries_in(self, namespace));
        Box::pin(async move { Ok(held) })
    }

    fn refresh_tokens_in<'a>(
        &'a self,
        namespace: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<String>>> {
        let tokens = TokenCache::refresh_tokens_in(self, namespace);
        Box::pin(async { Ok(tokens) })
    }

    fn release_leases_soon(&self, holder: u64) {
        TokenCache::release_leases(self, holder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn token(at: &str, expires_at: u64) -> CachedToken {
        CachedToken {
            access_token: at.into(),
            expires_at,
        }
    }

    #[tokio::test]
    async fn concurrent_gets_of_one_key_wait_for_the_first_holder() {
        let cache = Arc::new(TokenCache::in_memory());
        assert_eq!(
            cache.get_or_lease("k", 1, 1000).await,
            None,
            "1 holds the lease"
        );
        let waiter = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get_or_lease("k", 2, 1000).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "2 waits while 1 refreshes");
        cache.put("k", token("at-1", 10_000));
        assert_eq!(waiter.await.unwrap(), Some(token("at-1", 10_000)));
    }

    #[tokio::test]
    async fn a_holder_that_ends_without_a_token_hands_the_lease_on() {
        let cache = Arc::new(TokenCache::in_memory());
        cache.put("k", token("stale", 1100));
        assert_eq!(
            cache.get_or_lease("k", 1, 1000).await,
            Some(token("stale", 1100)),
            "within the margin: returned to refresh, under the lease"
        );
        let waiter = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get_or_lease("k", 2, 1000).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        cache.release_leases(1);
        assert_eq!(
            waiter.await.unwrap(),
            Some(token("stale", 1100)),
            "2 refreshes now"
        );
        assert_eq!(lock(&cache.leases)["k"].holder, 2);
    }

    #[test]
    fn a_new_grant_forgets_only_its_connections_tokens() {
        let cache = TokenCache::in_memory();
        cache.put_refresh_token("a|k", "rt-a");
        cache.put_refresh_token("b|k", "rt-b");
        cache.put("a|k", token("at-a", 1));
        cache.put_refresh_token("a|new", "rt-a2");
        cache.forget_connection("a", &["a|new".to_string()]);
        assert_eq!(cache.get_refresh_token("a|k"), None);
        assert_eq!(cache.get("a|k"), None);
        assert_eq!(cache.get_refresh_token("a|new").as_deref(), Some("rt-a2"));
        assert_eq!(cache.get_refresh_token("b|k").as_deref(), Some("rt-b"));
    }

    #[test]
    fn persisted_cache_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens.json");
        let cache = TokenCache::persistent(&file).unwrap();
        cache.put_refresh_token("k", "rt-1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let again = TokenCache::persistent(&file).unwrap();
        assert_eq!(again.get_refresh_token("k").as_deref(), Some("rt-1"));
    }
}
