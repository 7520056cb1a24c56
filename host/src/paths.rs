//! Default locations: the built component, the precompiled cache, local state.

use std::path::PathBuf;

/// The workspace root (the host crate sits in `host/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `$O365_COMPONENT`, else the workspace's release build of the guest.
pub fn default_component() -> PathBuf {
    std::env::var_os("O365_COMPONENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/wasm32-wasip2/release/office365.wasm"))
}

/// Precompiled components: `$O365_CACHE_DIR`, else `target/o365-cache` in the workspace.
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("O365_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/o365-cache"))
}

/// Local state (file store, simulator connection files): `$O365_STATE_DIR`, else `.o365`.
pub fn default_state_dir() -> PathBuf {
    std::env::var_os("O365_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".o365"))
}
