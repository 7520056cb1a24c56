//! The wasmtime host of the Office 365 component: runs its commands with the capabilities
//! it imports (token cache, file store, log), an outbound allowlist, optional routing to
//! graph-sim, and a redacted HTTP log. The `o365-host` CLI is a thin layer over this.

pub mod bindings;
pub mod connection;
pub mod connection_file;
pub mod cpu;
pub mod egress;
pub mod engine;
pub mod file_store;
pub mod http_hook;
pub mod http_log;
pub mod limits;
pub mod paths;
pub mod private_file;
pub mod redact;
pub mod result_text;
pub mod runtime;
pub mod serve;
pub mod state;
pub mod tiers;
pub mod token_cache;
pub mod token_store;
pub mod values;

pub use limits::Limits;
pub use runtime::{Invocation, Outcome, Runtime, RuntimeConfig, TextOutcome};
pub use token_cache::TokenCache;
pub use token_store::{RedisOptions, RedisTokenStore, TokenStore};
