//! The Redis token store against a real `redis-server`: several store instances stand for
//! several host processes (each has its own connection and holder ids).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::RedisServer;
use o365_host::token_cache::CachedToken;
use o365_host::{RedisOptions, RedisTokenStore, TokenStore};

const NOW: u64 = 1_900_000_000;

fn token(at: &str, expires_at: u64) -> CachedToken {
    CachedToken {
        access_token: at.into(),
        expires_at,
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn store(redis: &RedisServer, lease: Duration) -> Arc<RedisTokenStore> {
    let options = RedisOptions {
        lease_time: lease,
        poll_interval: Duration::from_millis(20),
        ..RedisOptions::default()
    };
    Arc::new(
        RedisTokenStore::connect(&redis.url(0), options)
            .await
            .unwrap(),
    )
}

fn raw(redis: &RedisServer) -> redis::Connection {
    redis::Client::open(redis.url(0))
        .unwrap()
        .get_connection()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_waits_for_the_first_ones_refresh_and_reads_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (first, second) = (
        store(&redis, Duration::from_secs(30)).await,
        store(&redis, Duration::from_secs(30)).await,
    );
    let now = unix_now();
    // Both processes number their invocations from 1: the holder ids collide on purpose.
    assert_eq!(first.get_or_lease("ns|k", 1, now).await.unwrap(), None);
    let waiter = {
        let second = second.clone();
        tokio::spawn(async move { second.get_or_lease("ns|k", 1, now).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "the second waits while the first refreshes"
    );
    let fresh = token("at-1", unix_now() + 3600);
    first.put("ns|k", 1, fresh.clone()).await.unwrap();
    assert_eq!(waiter.await.unwrap().unwrap(), Some(fresh.clone()));
    assert_eq!(
        second.get_or_lease("ns|k", 7, now).await.unwrap(),
        Some(fresh),
        "fresh: served without a lease"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_died_blocks_the_others_only_until_its_lease_runs_out() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let lease = Duration::from_millis(800);
    let dead = store(&redis, lease).await;
    assert_eq!(dead.get_or_lease("ns|k", 1, NOW).await.unwrap(), None);
    drop(dead); // never puts, never releases: a killed process
    let other = store(&redis, lease).await;
    let started = Instant::now();
    assert_eq!(other.get_or_lease("ns|k", 1, NOW).await.unwrap(), None);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(3),
        "waited {waited:?} for a lease of {lease:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_lease_lets_the_next_worker_refresh_at_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (first, second) = (
        store(&redis, Duration::from_secs(30)).await,
        store(&redis, Duration::from_secs(30)).await,
    );
    first
        .put("ns|k", 9, token("stale", NOW + 100))
        .await
        .unwrap();
    assert_eq!(
        first.get_or_lease("ns|k", 1, NOW).await.unwrap(),
        Some(token("stale", NOW + 100)),
        "within the margin: handed out to be refreshed, under the lease"
    );
    let waiter = {
        let second = second.clone();
        tokio::spawn(async move { second.get_or_lease("ns|k", 2, NOW).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiter.is_finished());
    first.release_leases(1).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(2), waiter)
        .await
        .expect("the waiter goes on once the lease is released")
        .unwrap()
        .unwrap();
    assert_eq!(
        got,
        Some(token("stale", NOW + 100)),
        "the second refreshes now"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_put_ends_only_its_own_lease() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let lease = Duration::from_millis(300);
    let (slow, next) = (store(&redis, lease).await, store(&redis, lease).await);
    slow.get_or_lease("ns|k", 1, NOW).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    next.get_or_lease("ns|k", 1, NOW).await.unwrap();
    // The slow one's token is stale for NOW's margin, so `next` still needs its lease.
    slow.put("ns|k", 1, token("late", NOW + 10)).await.unwrap();
    let leases: Vec<String> = redis::cmd("KEYS")
        .arg("o365:{ns}:lease:*")
        .query(&mut raw(&redis))
        .unwrap();
    assert_eq!(leases, ["o365:{ns}:lease:k"], "next's lease stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_expire_in_redis_and_refresh_tokens_stay() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let s = store(&redis, Duration::from_secs(30)).await;
    s.put("ns|k", 1, token("at", unix_now() + 120))
        .await
        .unwrap();
    s.put_refresh_token("ns|k", "rt-1").await.unwrap();
    let mut conn = raw(&redis);
    let ttl: i64 = redis::cmd("TTL")
        .arg("o365:{ns}:at:k")
        .query(&mut conn)
        .unwrap();
    assert!((100..=120).contains(&ttl), "expires with the token: {ttl}");
    let rt_ttl: i64 = redis::cmd("TTL")
        .arg("o365:{ns}:rt")
        .query(&mut conn)
        .unwrap();
    assert_eq!(rt_ttl, -1, "refresh tokens have no expiry");
    s.put("ns|gone", 1, token("at", unix_now() - 1))
        .await
        .unwrap();
    let exists: i64 = redis::cmd("EXISTS")
        .arg("o365:{ns}:at:gone")
        .query(&mut conn)
        .unwrap();
    assert_eq!(exists, 0, "an expired token is not kept");
    assert_eq!(
        s.get_refresh_token("ns|k").await.unwrap().as_deref(),
        Some("rt-1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_grant_forgets_only_its_connections_tokens() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let s = store(&redis, Duration::from_secs(30)).await;
    let later = unix_now() + 3600;
    s.put_refresh_token("a|k", "rt-a").await.unwrap();
    s.put_refresh_token("b|k", "rt-b").await.unwrap();
    s.put("a|k", 1, token("at-a", later)).await.unwrap();
    s.put("b|k", 1, token("at-b", later)).await.unwrap();
    s.put_refresh_token("a|new", "rt-a2").await.unwrap();
    s.forget_connection("a", &["a|new".to_string()])
        .await
        .unwrap();
    assert_eq!(s.get_refresh_token("a|k").await.unwrap(), None);
    assert_eq!(s.get_or_lease("a|k", 2, unix_now()).await.unwrap(), None);
    assert_eq!(
        s.get_refresh_token("a|new").await.unwrap().as_deref(),
        Some("rt-a2")
    );
    assert_eq!(
        s.get_refresh_token("b|k").await.unwrap().as_deref(),
        Some("rt-b")
    );
    assert_eq!(
        s.get_or_lease("b|k", 2, unix_now()).await.unwrap(),
        Some(token("at-b", later))
    );
    assert_eq!(s.refresh_tokens_in("a").await.unwrap(), ["rt-a2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_redis_is_an_error_naming_the_store_not_a_panic() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let s = store(&redis, Duration::from_secs(30)).await;
    s.put_refresh_token("ns|k", "rt-secret-1").await.unwrap();
    redis.stop();
    let e = s.get_or_lease("ns|k", 1, NOW).await.unwrap_err().0;
    assert!(
        e.starts_with(&format!(
            "the token store at {} could not look up an access token",
            redis.url(0)
        )),
        "{e}"
    );
    let e = s
        .put_refresh_token("ns|k", "rt-secret-2")
        .await
        .unwrap_err()
        .0;
    assert!(!e.contains("rt-secret"), "{e}");
}

#[tokio::test]
async fn an_unreachable_redis_is_refused_at_start_naming_it_without_the_password() {
    let e = RedisTokenStore::connect("redis://:pw-secret@127.0.0.1:1/0", RedisOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cannot reach the token store at redis://127.0.0.1:1/0"),
        "{e}"
    );
    assert!(!e.contains("pw-secret"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_a_refused_token_keeps_a_newer_one_another_worker_put() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let s = store(&redis, Duration::from_secs(30)).await;
    let later = unix_now() + 3600;
    s.put("ns|k", 1, token("at-new", later)).await.unwrap();
    s.remove("ns|k", Some("at-refused")).await.unwrap();
    assert_eq!(
        s.get_or_lease("ns|k", 2, unix_now()).await.unwrap(),
        Some(token("at-new", later))
    );
    s.remove("ns|k", Some("at-new")).await.unwrap();
    assert_eq!(s.get_or_lease("ns|k", 2, unix_now()).await.unwrap(), None);
    s.put("ns|k", 2, token("at-3", later)).await.unwrap();
    s.remove("ns|k", None).await.unwrap();
    assert_eq!(s.get_or_lease("ns|k", 3, unix_now()).await.unwrap(), None);
}
