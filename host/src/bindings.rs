//! Host-side bindings of the `plugin` world: the capability interfaces the guest imports,
//! and the typed exports for hosts that want types. The runtime calls commands through
//! `json-entry.invoke` and the buttons dynamically, so a new command needs no host code.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:random": wasmtime_wasi::p2::bindings::random,
    },
    // The token store may be remote (Redis): every call may wait, and a store that fails
    // stops the invocation with its message rather than letting it go on without a
    // lease. `get` also waits for another invocation's refresh of the same key.
    imports: {
        "soar:office365/token-cache.get": async | trappable,
        "soar:office365/token-cache.put": async | trappable,
        "soar:office365/token-cache.remove": async | trappable,
        "soar:office365/token-cache.get-refresh-token": async | trappable,
        "soar:office365/token-cache.put-refresh-token": async | trappable,
    },
    exports: { default: async },
    require_store_data_send: true,
});

pub use soar::office365::{file_store, log, reply_tracking, token_cache};
