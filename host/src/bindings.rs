//! Host-side bindings of the `plugin` world: the capability interfaces the guest imports.
//! Exports are called dynamically (see `values.rs`), so a new command needs no host code.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:random": wasmtime_wasi::p2::bindings::random,
    },
    // A cache miss may wait for another invocation's refresh of the same key.
    imports: { "soar:office365/token-cache.get": async },
    require_store_data_send: true,
});

pub use soar::office365::{file_store, log, reply_tracking, token_cache};
