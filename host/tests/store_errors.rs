//! A token store that fails mid-invocation (Redis lost, say) stops that invocation with a
//! failed result carrying the store's message: no panic, no command going on without its
//! lease, no token in the message. Needs the guest built (scripts/test does it).

use std::sync::Arc;

use o365_host::connection::ALL_CLOUD_HOSTS;
use o365_host::token_cache::CachedToken;
use o365_host::token_store::{BoxFuture, StoreError, StoreResult};
use o365_host::{Runtime, RuntimeConfig, TokenCache, TokenStore, paths};

/// The embedded cache, but every access-token look-up fails as a lost Redis would.
struct LostOnLookUp(TokenCache);

const LOST: &str = "the token store at redis://127.0.0.1:6390/0 could not look up an access token: Connection refused";

impl TokenStore for LostOnLookUp {
    fn get_or_lease<'a>(
        &'a self,
        _key: &'a str,
        _holder: u64,
        _now: u64,
    ) -> BoxFuture<'a, StoreResult<Option<CachedToken>>> {
        Box::pin(async { Err(StoreError(LOST.into())) })
    }
    fn put<'a>(&'a self, k: &'a str, h: u64, t: CachedToken) -> BoxFuture<'a, StoreResult<()>> {
        TokenStore::put(&self.0, k, h, t)
    }
    fn remove<'a>(&'a self, k: &'a str, only: Option<&'a str>) -> BoxFuture<'a, StoreResult<()>> {
        TokenStore::remove(&self.0, k, only)
    }
    fn get_refresh_token<'a>(&'a self, k: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>> {
        TokenStore::get_refresh_token(&self.0, k)
    }
    fn put_refresh_token<'a>(&'a self, k: &'a str, t: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        TokenStore::put_refresh_token(&self.0, k, t)
    }
    fn release_leases(&self, h: u64) -> BoxFuture<'_, StoreResult<()>> {
        TokenStore::release_leases(&self.0, h)
    }
    fn forget_connection<'a>(
        &'a self,
        ns: &'a str,
        keep: &'a [String],
    ) -> BoxFuture<'a, StoreResult<()>> {
        TokenStore::forget_connection(&self.0, ns, keep)
    }
    fn entries_in<'a>(
        &'a self,
        ns: &'a str,
        k: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<usize>>> {
        TokenStore::entries_in(&self.0, ns, k)
    }
    fn refresh_tokens_in<'a>(&'a self, ns: &'a str) -> BoxFuture<'a, StoreResult<Vec<String>>> {
        TokenStore::refresh_tokens_in(&self.0, ns)
    }
    fn release_leases_soon(&self, h: u64) {
        self.0.release_leases_soon(h)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_lost_mid_invocation_fails_it_with_the_stores_message() {
    let sim = graph_sim::start(graph_sim::SimConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = RuntimeConfig::new(paths::default_component(), dir.path().join("files"));
    config.cache_dir = Some(paths::default_cache_dir());
    config.routes = ALL_CLOUD_HOSTS
        .iter()
        .map(|h| (h.to_string(), sim.url()))
        .collect();
    let runtime = Runtime::new(config, Arc::new(LostOnLookUp(TokenCache::in_memory()))).unwrap();
    let conn = sim.demo_connection("demo-delegated").unwrap();
    let outcome = runtime
        .run_command(
            "demo:delegated",
            &conn,
            "list-mail-folders",
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(outcome.status(), "failed", "{}", outcome.result);
    let message = outcome.result["errors"][0]["message"].as_str().unwrap();
    assert_eq!(message, format!("The command stopped: {LOST}"));
    assert_eq!(outcome.result["errors"][0]["status-code"], 503);
    assert!(
        sim.requests().is_empty(),
        "no token request without the store's lease: {:?}",
        sim.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    sim.shutdown();
}
