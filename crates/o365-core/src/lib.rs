//! Command logic of the Office 365 SOAR integration, kept apart from transport.
//!
//! Inputs become Graph requests and responses become results; every side effect
//! (HTTP, clock, token cache, file store, log) goes through the [`env::Env`] trait, so the
//! same code runs inside the wasm guest (wasi:http) and natively (tests, benchmarks).

pub mod auth;
pub mod batch;
pub mod cloud;
pub mod commands;
pub mod compose;
pub mod connection_json;
pub mod env;
pub mod error;
pub mod files;
pub mod graph;
pub mod http;
pub mod input;
pub mod invoke;
pub mod json_text;
pub mod mail;
pub mod mailbox;
pub mod manifest;
pub mod message_lookup;
pub mod model;
pub mod outcome;
pub mod permissions;
mod redaction;
pub mod retry;
pub mod spec;
pub mod time;
pub mod user_list;
pub mod validate;
pub mod wire;

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod layering_tests;
#[cfg(test)]
pub(crate) mod testing;

pub use env::Env;
pub use error::Error;
pub use model::{CommandError, CommandResult, Connection, Environment, Grant, Status};
