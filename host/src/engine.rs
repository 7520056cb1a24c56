//! The wasmtime engine (pooling allocator, epoch interruption) and loading the component,
//! precompiled once and cached on disk so later starts skip compilation.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    pub pooling: bool,
    /// Component instances alive at once (pooling slots).
    pub max_instances: u32,
    /// Linear memory per instance, at most.
    pub memory_limit_bytes: usize,
    /// Linear memory a pooling slot keeps resident between invocations (0: none).
    pub keep_resident_bytes: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            pooling: true,
            max_instances: 64,
            memory_limit_bytes: 128 * 1024 * 1024,
            keep_resident_bytes: 64 * 1024 * 1024,
        }
    }
}

pub fn engine(options: &EngineOptions) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    if options.pooling {
        let n = options.max_instances;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            .total_core_instances(n * 8)
            .total_memories(n * 2)
            .total_tables(n * 4)
            .max_core_instances_per_component(16)
            .max_memories_per_component(2)
            .max_tables_per_component(4)
            .max_memory_size(options.memory_limit_bytes);
        // A freed slot keeps its touched pages (reset with memset, only the pages
        // PAGEMAP_SCAN finds touched where the kernel has it) instead of handing them
        // back: the next invocation in that slot takes no page faults. Slots are reused
        // most-recently-used first, so the memory kept is bounded by the peak number
        // of invocations at once, each of which needed it anyway.
        pool.linear_memory_keep_resident(options.keep_resident_bytes)
            .pagemap_scan(wasmtime::Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Ok(Engine::new(&config)?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadKind {
    /// Compiled now (and written to the cache when there is one).
    Compiled,
    /// Read from the cache of precompiled components.
    Cached,
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub component: Component,
    pub kind: LoadKind,
    pub elapsed: Duration,
    pub cache_file: Option<PathBuf>,
}

/// Loads `wasm`, from `cache_dir` when a precompiled copy for this exact component and
/// engine configuration is there.
pub fn load_component(
    engine: &Engine,
    wasm: &Path,
    cache_dir: Option<&Path>,
) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let bytes = std::fs::read(wasm).with_context(|| {
        format!(
            "cannot read the component {} (build it with: cargo build --release --target wasm32-wasip2 -p office365)",
            wasm.display()
        )
    })?;
    let Some(dir) = cache_dir else {
        let component = Component::new(engine, &bytes)?;
        return Ok(Loaded {
            component,
            kind: LoadKind::Compiled,
            elapsed: started.elapsed(),
            cache_file: None,
        });
    };
    let mut hasher = Sha256::new();
    hasher.update(&bytes);
    std::hash::Hash::hash(
        &engine.precompile_compatibility_hash(),
        &mut HashWriter(&mut hasher),
    );
    let key: String = hasher
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    let file = dir.join(format!("office365-{key}.cwasm"));
    if file.exists() {
        // SAFETY: the file was written by `precompile_component` of an engine with the
        // same compatibility hash (it is in the file name) into our own cache directory.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &file) } {
            return Ok(Loaded {
                component,
                kind: LoadKind::Cached,
                elapsed: started.elapsed(),
                cache_file: Some(file),
            });
        }
    }
    let precompiled = engine.precompile_component(&bytes)?;
    std::fs::create_dir_all(dir)?;
    // Unique per writer: tests and parallel hosts may compile the same component at once.
    let tmp = file.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::write(&tmp, &precompiled)?;
    std::fs::rename(&tmp, &file)?;
    // SAFETY: just produced by this engine.
    let component = unsafe { Component::deserialize(engine, &precompiled)? };
    Ok(Loaded {
        component,
        kind: LoadKind::Compiled,
        elapsed: started.elapsed(),
        cache_file: Some(file),
    })
}

/// Feeds `Hash` output into SHA-256.
struct HashWriter<'a>(&'a mut Sha256);

impl std::hash::Hasher for HashWriter<'_> {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
