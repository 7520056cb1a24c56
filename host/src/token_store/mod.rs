//! Where the guest's tokens live: the seam between the `token-cache` import and a store.
//!
//! [`TokenCache`](crate::TokenCache) (memory, or a 0600 file) is the embedded default, for one
//! host process. [`RedisTokenStore`] is shared by every host process that points at the
//! same Redis: N workers of one connection then make one token request per token
//! lifetime, and a rotated refresh token is redeemed once. A platform with a store of
//! its own implements [`TokenStore`] over it (README: "Tokens shared by many workers").
//!
//! Keys arrive already scoped by the connection: `{namespace}|{guest key}`, the namespace a
//! digest of the platform's connection id (`runtime::connection_namespace`).

pub mod redis;

use std::future::Future;
use std::pin::Pin;

pub use self::redis::{RedisOptions, RedisTokenStore};
pub use crate::token_cache::CachedToken;

/// What a store's async methods return (a trait object needs boxed futures).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A store the host could not use. The message names the store and the operation and
/// never carries a token.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

pub type StoreResult<T> = Result<T, StoreError>;

/// The token cache as the host needs it. `holder` is one invocation's id: the holder of a
/// key's lease is the one invocation that refreshes that key.
pub trait TokenStore: Send + Sync {
    /// The token of `key` when it is fresh at `now` (unix seconds, with
    /// `token_cache::FRESH_MARGIN_SECS` to spare). Otherwise `holder` takes the key's lease
    /// and gets the entry as it is (stale or none) to refresh it; while another holder's
    /// lease runs, this waits for that holder's token, at most until the lease ends.
    fn get_or_lease<'a>(
        &'a self,
        key: &'a str,
        holder: u64,
        now: u64,
    ) -> BoxFuture<'a, StoreResult<Option<CachedToken>>>;

    /// Stores `key`'s access token until it expires and ends `holder`'s lease of the key.
    fn put<'a>(
        &'a self,
        key: &'a str,
        holder: u64,
        token: CachedToken,
    ) -> BoxFuture<'a, StoreResult<()>>;

    /// Forgets `key`'s access token; with `only`, only while it is still that token (Graph
    /// refused it, but another invocation may have put a newer one since).
    fn remove<'a>(&'a self, key: &'a str, only: Option<&'a str>) -> BoxFuture<'a, StoreResult<()>>;

    fn get_refresh_token<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>>;

    /// Stores a rotated refresh token over the key's previous one.
    fn put_refresh_token<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, StoreResult<()>>;

    /// Ends every lease `holder` still has (its invocation ended, refreshed or not), so
    /// waiters go on now instead of when the lease runs out.
    fn release_leases(&self, holder: u64) -> BoxFuture<'_, StoreResult<()>>;

    /// Forgets every token of one connection but those under `keep` (a newly redeemed
    /// grant supersedes what was cached, and keeps what it was just issued).
    fn forget_connection<'a>(
        &'a self,
        namespace: &'a str,
        keep: &'a [String],
    ) -> BoxFuture<'a, StoreResult<()>>;

    /// How many keys (access or refresh) one connection holds, or None when `key` is one
    /// of them already: the host bounds each connection's share of the store.
    fn entries_in<'a>(
        &'a self,
        namespace: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<usize>>>;

    /// The refresh tokens of one connection, for its redactor.
    fn refresh_tokens_in<'a>(
        &'a self,
        namespace: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<String>>>;

    /// Ends `holder`'s leases from a destructor, where nothing can be awaited; the
    /// embedded store does it at once, a remote one in the background when it can (its
    /// leases expire by themselves otherwise).
    fn release_leases_soon(&self, holder: u64);
}
