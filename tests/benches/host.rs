//! Benchmarks of the host and component (method in docs/benchmarks.md):
//!   cargo bench -p o365-tests --bench host
//! Each figure is the median (and p90) over many runs after a warm-up, measured with
//! `Instant` around exactly the step named; nothing here asserts a target.

use std::sync::Arc;
use std::time::{Duration, Instant};

use o365_host::engine::{self, EngineOptions};
use o365_host::{Runtime, RuntimeConfig, TokenCache, paths};
use o365_tests::{Fixture, component, json};

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let median = samples[samples.len() / 2];
    let p90 = samples[samples.len() * 9 / 10];
    (median, p90)
}

fn show(name: &str, samples: Vec<Duration>) {
    let n = samples.len();
    let (median, p90) = stats(samples);
    println!(
        "{name:<48} median {:>10.1} µs   p90 {:>10.1} µs   (n={n})",
        median.as_secs_f64() * 1e6,
        p90.as_secs_f64() * 1e6
    );
}

async fn instantiate(pooling: bool, iterations: usize) -> Vec<Duration> {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RuntimeConfig::new(component(), dir.path().join("files"));
    config.cache_dir = Some(paths::default_cache_dir());
    config.engine = EngineOptions {
        pooling,
        ..EngineOptions::default()
    };
    let runtime = Runtime::new(config, Arc::new(TokenCache::in_memory())).unwrap();
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations + 200 {
        let mut store = runtime.new_store(None);
        let started = Instant::now();
        let instance = runtime
            .instance_pre()
            .instantiate_async(&mut store)
            .await
            .unwrap();
        let elapsed = started.elapsed();
        std::hint::black_box(instance);
        drop(store);
        if i >= 200 {
            samples.push(elapsed);
        }
    }
    samples
}

async fn test_connection_end_to_end(iterations: usize) -> Vec<Duration> {
    let f = Fixture::new().await;
    let conn = f.demo("demo-app");
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations + 20 {
        let started = Instant::now();
        let out = f.run(&conn, "test-connection", json!({})).await;
        let elapsed = started.elapsed();
        assert_eq!(out.status(), "successful");
        if i >= 20 {
            samples.push(elapsed);
        }
    }
    samples
}

fn load(cache: bool, iterations: usize) -> Vec<Duration> {
    let engine = engine::engine(&EngineOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wasm = component();
    let cache_dir = cache.then(|| dir.path().to_path_buf());
    if cache {
        // Fill the cache once; the runs below all read it.
        engine::load_component(&engine, &wasm, cache_dir.as_deref()).unwrap();
    }
    (0..iterations)
        .map(|_| {
            let loaded = engine::load_component(&engine, &wasm, cache_dir.as_deref()).unwrap();
            assert_eq!(
                loaded.kind,
                if cache {
                    engine::LoadKind::Cached
                } else {
                    engine::LoadKind::Compiled
                }
            );
            loaded.elapsed
        })
        .collect()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick { 10 } else { 1 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let size = std::fs::metadata(component()).unwrap().len();
    println!(
        "component size                                   {size} bytes ({:.2} MB)",
        size as f64 / 1e6
    );
    show(
        "instantiate, pooling allocator",
        rt.block_on(instantiate(true, 5000 / scale)),
    );
    show(
        "instantiate, on-demand allocator",
        rt.block_on(instantiate(false, 5000 / scale)),
    );
    show("load: compile (no cache)", load(false, 5));
    show(
        "load: precompiled from the disk cache",
        load(true, 200 / scale),
    );
    show(
        "test-connection end to end (token + probe)",
        rt.block_on(test_connection_end_to_end(300 / scale)),
    );
}
