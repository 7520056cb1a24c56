//! The seam between command logic and the world: HTTP, time, randomness and the host's
//! capabilities. The guest implements it over WASI; tests implement it in memory.

use std::time::Duration;

use crate::http::{HttpRequest, HttpResponse, TransportError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedToken {
    pub access_token: String,
    /// Unix seconds.
    pub expires_at: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub file_id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

pub trait Env {
    /// One HTTP exchange; no retries here (the policy lives in [`crate::graph`]).
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;

    fn now_unix_secs(&self) -> u64;
    fn sleep(&self, duration: Duration);
    fn random_bytes(&self, len: usize) -> Vec<u8>;

    fn token_get(&self, key: &str) -> Option<CachedToken>;
    fn token_put(&self, key: &str, token: &CachedToken);
    fn token_remove(&self, key: &str);
    fn refresh_token_get(&self, key: &str) -> Option<String>;
    fn refresh_token_put(&self, key: &str, refresh_token: &str);

    fn log(&self, level: LogLevel, message: &str);
    fn progress(&self, done: u32, total: u32, message: &str);

    fn file_put(&self, name: &str, content_type: &str, data: &[u8]) -> Result<FileInfo, String>;
    fn file_get(&self, file_id: &str, file_source: &str) -> Result<(FileInfo, Vec<u8>), String>;

    /// The platform's link for answering a tracked mail (`<<EmailResponseLink>>`), or
    /// None when the platform has no response page.
    fn response_link(&self, _tracking_id: &str) -> Option<String> {
        None
    }
}
