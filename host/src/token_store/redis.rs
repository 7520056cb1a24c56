//! The token store on Redis, shared by every host process pointed at the same database.
//!
//! Key layout (all keys of one connection share the `{namespace}` hash tag, so they sit in
//! one Redis Cluster slot and one script can touch them together):
//!
//! - `o365:{ns}:at:{key}`: hash `access_token`, `expires_at` (unix s), expiring at
//!   `expires_at` (EXPIREAT), so stale tokens vanish by themselves;
//! - `o365:{ns}:rt`: hash, field `{key}` -> the current refresh token (no expiry);
//! - `o365:{ns}:lease:{key}`: the refresher's holder token, SET NX PX the lease time,
//!   ended by compare-and-delete, so only its holder ends it, and a killed holder's lease
//!   runs out by itself.
//!
//! Waiters poll (every `poll_interval`, at most until the holder's lease ends) rather
//! than subscribe: polling needs no second connection and cannot miss a message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{AsyncCommands, Script};

use super::{BoxFuture, CachedToken, StoreError, StoreResult, TokenStore};
use crate::token_cache::{FRESH_MARGIN_SECS, LEASE_TIME};

#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// How long one worker may hold a key's lease: the longest others wait for a
    /// refresh whose worker died. Longer than the slowest token request.
    pub lease_time: Duration,
    /// How often a waiter looks again for the holder's token.
    pub poll_interval: Duration,
    /// First part of every key (several products or environments on one Redis).
    pub key_prefix: String,
    /// How long one Redis command may take before the invocation fails.
    pub response_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            lease_time: LEASE_TIME,
            poll_interval: Duration::from_millis(50),
            key_prefix: "o365".into(),
            response_timeout: Duration::from_secs(5),
        }
    }
}

/// Fresh token, or take the lease when free (or already ours), or say how long the
/// current holder's lease still runs. One script, so no token can be put between the
/// look at the token and the taking of the lease (that would make a second refresh).
const GET_OR_LEASE: &str = r"
local t = redis.call('HMGET', KEYS[1], 'access_token', 'expires_at')
if t[1] and t[2] and tonumber(t[2]) and tonumber(t[2]) > tonumber(ARGV[1]) then
  return {'fresh', t[1], t[2]}
end
local holder = redis.call('GET', KEYS[2])
if (not holder) or holder == ARGV[2] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return {'leased', t[1] or '', t[2] or '0'}
end
return {'wait', tostring(redis.call('PTTL', KEYS[2])), '0'}
";

/// The access token until it expires, then the end of this holder's lease (only its own).
const PUT: &str = r"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'access_token', ARGV[1], 'expires_at', ARGV[2])
redis.call('EXPIREAT', KEYS[1], ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
";

/// Forgets an access token, only while it is still the given one ('' for any).
const REMOVE: &str = r"
if ARGV[1] == '' or redis.call('HGET', KEYS[1], 'access_token') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Compare-and-delete: a lease that ran out and was taken by another is left alone.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// Cheap to clone: the connection is multiplexed and reconnects by itself.
#[derive(Clone)]
pub struct RedisTokenStore {
    inner: Arc<Inner>,
}

struct Inner {
    conn: ConnectionManager,
    /// The URL without credentials, for messages.
    location: String,
    options: RedisOptions,
    /// Random per process, so holder tokens of different processes never collide.
    instance: String,
    /// The lease keys each holder of this process took and has not ended yet.
    leases: Mutex<HashMap<u64, Vec<String>>>,
    get_or_lease: Script,
    put: Script,
    remove: Script,
    release: Script,
}

impl std::fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("location", &self.inner.location)
            .finish_non_exhaustive()
    }
}

/// `url` without a user name or password.
pub fn location_of(url: &str) -> String {
    match url.split_once("://") {
        // Whatever stands before the last '@' is credentials, even with a '/' in them.
        Some((scheme, rest)) => {
            let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            format!("{scheme}://{host_and_path}")
        }
        None => "(a token store URL that is not redis://HOST:PORT/DB)".into(),
    }
}

impl RedisTokenStore {
    /// Connects to `url` (`redis://[:PASSWORD@]HOST:PORT/DB`, or `rediss://` with TLS
    /// where the build has it); fails now, with a message naming the store, when Redis
    /// cannot be reached.
    pub async fn connect(url: &str, options: RedisOptions) -> anyhow::Result<RedisTokenStore> {
        let location = location_of(url);
        let client = ::redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("the token store URL {location} is not usable: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(2)
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(options.response_timeout));
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach the token store at {location}: {e}"))?;
        Ok(RedisTokenStore {
            inner: Arc::new(Inner {
                conn,
                location,
                options,
                instance: format!("{:032x}", rand::random::<u128>()),
                leases: Mutex::default(),
                get_or_lease: Script::new(GET_OR_LEASE),
                put: Script::new(PUT),
                remove: Script::new(REMOVE),
                release: Script::new(RELEASE),
            }),
        })
    }
}

impl Inner {
    fn fail(&self, what: &str, e: ::redis::RedisError) -> StoreError {
        StoreError(format!(
            "the token store at {} could not {what}: {e}",
            self.location
        ))
    }

    /// `{namespace}|{key}` -> (namespace, key).
    fn split(key: &str) -> (&str, &str) {
        key.split_once('|').unwrap_or(("", key))
    }

    fn access_key(&self, key: &str) -> String {
        let (ns, k) = Self::split(key);
        format!("{}:{{{ns}}}:at:{k}", self.options.key_prefix)
    }

    fn lease_key(&self, key: &str) -> String {
        let (ns, k) = Self::split(key);
        format!("{}:{{{ns}}}:lease:{k}", self.options.key_prefix)
    }

    fn refresh_hash(&self, namespace: &str) -> String {
        format!("{}:{{{namespace}}}:rt", self.options.key_prefix)
    }

    fn holder_token(&self, holder: u64) -> String {
        format!("{}-{holder}", self.instance)
    }

    fn leases(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Vec<String>>> {
        self.leases.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn get_or_lease(
        &self,
        key: &str,
        holder: u64,
        now: u64,
    ) -> StoreResult<Option<CachedToken>> {
        let access = self.access_key(key);
        let lease = self.lease_key(key);
        let holder_token = self.holder_token(holder);
        let lease_ms = self.options.lease_time.as_millis().max(1) as u64;
        loop {
            let mut conn = self.conn.clone();
            let answer: Vec<String> = self
                .get_or_lease
                .key(&access)
                .key(&lease)
                .arg(now.saturating_add(FRESH_MARGIN_SECS))
                .arg(&holder_token)
                .arg(lease_ms)
                .invoke_async(&mut conn)
                .await
                .map_err(|e| self.fail("look up an access token", e))?;
            let entry = |token: &str, expires: &str| {
                (!token.is_empty()).then(|| CachedToken {
                    access_token: token.to_string(),
                    expires_at: expires.parse().unwrap_or(0),
                })
            };
            match answer.as_slice() {
                [state, token, expires] if state == "fresh" => return Ok(entry(token, expires)),
                [state, token, expires] if state == "leased" => {
                    let mut leases = self.leases();
                    let mine = leases.entry(holder).or_default();
                    if !mine.contains(&lease) {
                        mine.push(lease);
                    }
                    return Ok(entry(token, expires));
                }
                [_, pttl, _] => {
                    // Another worker refreshes: look again soon, at the latest when its
                    // lease ends (then the lease is free to take).
                    let left = pttl.parse::<u64>().unwrap_or(0).max(1);
                    let pause = self.options.poll_interval.min(Duration::from_millis(left));
                    tokio::time::sleep(pause).await;
                }
                _ => {
                    return Err(StoreError(format!(
                        "the token store at {} answered a lease request with something this host does not know",
                        self.location
                    )));
                }
            }
        }
    }

    async fn put(&self, key: &str, holder: u64, token: CachedToken) -> StoreResult<()> {
        let lease = self.lease_key(key);
        let mut conn = self.conn.clone();
        self.put
            .key(self.access_key(key))
            .key(&lease)
            .arg(&token.access_token)
            .arg(token.expires_at.max(1))
            .arg(self.holder_token(holder))
            .invoke_async::<()>(&mut conn)
            .await
            .map_err(|e| self.fail("store an access token", e))?;
        if let Some(mine) = self.leases().get_mut(&holder) {
            mine.retain(|k| *k != lease);
        }
        Ok(())
    }

    async fn release_leases(&self, holder: u64) -> StoreResult<()> {
        let Some(keys) = self.leases().remove(&holder) else {
            return Ok(());
        };
        let holder_token = self.holder_token(holder);
        for lease in keys {
            let mut conn = self.conn.clone();
            self.release
                .key(&lease)
                .arg(&holder_token)
                .invoke_async::<()>(&mut conn)
                .await
                .map_err(|e| self.fail("end a refresh lease", e))?;
        }
        Ok(())
    }

    /// The guest keys of one connection's access tokens, found by their common prefix
    /// (SCAN: only on a new grant and on a put of a key not yet held).
    async fn access_keys_of(&self, namespace: &str) -> StoreResult<Vec<String>> {
        let mut conn = self.conn.clone();
        let prefix = format!("{}:{{{namespace}}}:at:", self.options.key_prefix);
        let pattern = format!("{}*", glob_escape(&prefix));
        let mut cursor: u64 = 0;
        let mut found = Vec::new();
        loop {
            let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .map_err(|e| self.fail("list a connection's access tokens", e))?;
            found.extend(
                keys.iter()
                    .filter_map(|k| k.strip_prefix(&prefix))
                    .map(String::from),
            );
            if next == 0 {
                return Ok(found);
            }
            cursor = next;
        }
    }

    async fn entries_in(&self, namespace: &str, key: &str) -> StoreResult<Option<usize>> {
        let mut conn = self.conn.clone();
        let (_, k) = Self::split(key);
        let hash = self.refresh_hash(namespace);
        let (access, refresh): (bool, bool) = ::redis::pipe()
            .exists(self.access_key(key))
            .hexists(&hash, k)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.fail("count a connection's tokens", e))?;
        if access || refresh {
            return Ok(None);
        }
        let mut keys = self.access_keys_of(namespace).await?;
        let fields: Vec<String> = conn
            .hkeys(&hash)
            .await
            .map_err(|e| self.fail("count a connection's tokens", e))?;
        keys.extend(fields);
        keys.sort();
        keys.dedup();
        Ok(Some(keys.len()))
    }

    async fn forget_connection(&self, namespace: &str, keep: &[String]) -> StoreResult<()> {
        let kept = |k: &str| keep.iter().any(|full| Self::split(full) == (namespace, k));
        let mut conn = self.conn.clone();
        for k in self.access_keys_of(namespace).await? {
            if !kept(&k) {
                conn.del::<_, ()>(self.access_key(&format!("{namespace}|{k}")))
                    .await
                    .map_err(|e| self.fail("forget an access token", e))?;
            }
        }
        let hash = self.refresh_hash(namespace);
        let fields: Vec<String> = conn
            .hkeys(&hash)
            .await
            .map_err(|e| self.fail("list a connection's refresh tokens", e))?;
        let stale: Vec<&String> = fields.iter().filter(|f| !kept(f)).collect();
        if !stale.is_empty() {
            conn.hdel::<_, _, ()>(&hash, stale)
                .await
                .map_err(|e| self.fail("forget a refresh token", e))?;
        }
        Ok(())
    }
}

/// `text` with Redis's glob characters escaped, for SCAN MATCH.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl TokenStore for RedisTokenStore {
    fn get_or_lease<'a>(
        &'a self,
        key: &'a str,
        holder: u64,
        now: u64,
    ) -> BoxFuture<'a, StoreResult<Option<CachedToken>>> {
        Box::pin(self.inner.get_or_lease(key, holder, now))
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        holder: u64,
        token: CachedToken,
    ) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(self.inner.put(key, holder, token))
    }

    fn remove<'a>(&'a self, key: &'a str, only: Option<&'a str>) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let mut conn = self.inner.conn.clone();
            self.inner
                .remove
                .key(self.inner.access_key(key))
                .arg(only.unwrap_or(""))
                .invoke_async::<()>(&mut conn)
                .await
                .map_err(|e| self.inner.fail("forget an access token", e))
        })
    }

    fn get_refresh_token<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>> {
        Box::pin(async move {
            let (ns, k) = Inner::split(key);
            let mut conn = self.inner.conn.clone();
            conn.hget(self.inner.refresh_hash(ns), k)
                .await
                .map_err(|e| self.inner.fail("read a refresh token", e))
        })
    }

    fn put_refresh_token<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let (ns, k) = Inner::split(key);
            let mut conn = self.inner.conn.clone();
            conn.hset::<_, _, _, ()>(self.inner.refresh_hash(ns), k, token)
                .await
                .map_err(|e| self.inner.fail("store a rotated refresh token", e))
        })
    }

    fn release_leases(&self, holder: u64) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.inner.release_leases(holder))
    }

    fn forget_connection<'a>(
        &'a self,
        namespace: &'a str,
        keep: &'a [String],
    ) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(self.inner.forget_connection(namespace, keep))
    }

    fn entries_in<'a>(
        &'a self,
        namespace: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<usize>>> {
        Box::pin(self.inner.entries_in(namespace, key))
    }

    fn refresh_tokens_in<'a>(
        &'a self,
        namespace: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<String>>> {
        Box::pin(async move {
            let mut conn = self.inner.conn.clone();
            conn.hvals(self.inner.refresh_hash(namespace))
                .await
                .map_err(|e| self.inner.fail("read a connection's refresh tokens", e))
        })
    }

    fn release_leases_soon(&self, holder: u64) {
        if !self.inner.leases().contains_key(&holder) {
            return;
        }
        // Without a runtime the lease simply runs out.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let inner = self.inner.clone();
            runtime.spawn(async move {
                if let Err(e) = inner.release_leases(holder).await {
                    eprintln!("o365-host: {e}");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_show_the_password() {
        assert_eq!(
            location_of("redis://:s3cret@127.0.0.1:6379/2"),
            "redis://127.0.0.1:6379/2"
        );
        assert_eq!(
            location_of("redis://user:p@ss@cache.example:6380"),
            "redis://cache.example:6380"
        );
        assert_eq!(location_of("redis://:a/b@h:1/0"), "redis://h:1/0");
        assert_eq!(location_of("redis://127.0.0.1/0"), "redis://127.0.0.1/0");
    }

    #[test]
    fn scan_patterns_match_only_the_prefix() {
        assert_eq!(glob_escape("o365:{ab}:at:"), "o365:{ab}:at:");
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
