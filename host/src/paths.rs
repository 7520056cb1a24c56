//! Default locations: the built component, the precompiled cache, local state.

use std::path::PathBuf;

/// The workspace root (the host crate sits in `host/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` when set (cargo builds there too),
/// else `target/` in the workspace.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// `$O365_COMPONENT`, else the release build of the guest in the target directory.
pub fn default_component() -> PathBuf {
    std::env::var_os("O365_COMPONENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("wasm32-wasip2/release/office365.wasm"))
}

/// Precompiled components: `$O365_CACHE_DIR`, else `o365-cache` in the target directory.
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("O365_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("o365-cache"))
}

/// Local state (file store, simulator connection files): `$O365_STATE_DIR`, else `.o365`.
pub fn default_state_dir() -> PathBuf {
    std::env::var_os("O365_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".o365"))
}
