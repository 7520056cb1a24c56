//! Every resource a guest can make the host spend, bounded per invocation, in one place.
//! The defaults suit one command of a SOAR playbook; a platform changes them through
//! `RuntimeConfig::limits`. Guest linear memory is bounded by `EngineOptions`.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU time of the invocation: guest code and the host calls it makes (thread CPU time,
    /// measured around every poll of the invocation).
    pub cpu_time: Duration,
    /// Wall-clock time of the invocation, HTTP waits included.
    pub wall_time: Duration,
    /// One outgoing request body, streamed through (never held whole by the host).
    pub request_body_bytes: u64,
    /// One response body, streamed through to the guest.
    pub response_body_bytes: u64,
    /// Log and progress text kept per invocation; later lines are dropped and one final
    /// line says how many.
    pub log_bytes: usize,
    /// One log line; longer ones are cut.
    pub log_line_bytes: usize,
    /// Outgoing requests open at once (sent and not yet fully answered); more are refused.
    pub requests_in_flight: usize,
    /// The result document's size; a larger one becomes a failed result.
    pub result_bytes: usize,
    /// Nesting depth of the result's JSON parts; deeper becomes a failed result.
    pub result_json_depth: usize,
    /// Bytes in the file store of one connection; a put past it fails.
    pub file_store_bytes: u64,
    /// One wasi-http header set (names and values), which lives in host memory.
    pub header_set_bytes: usize,
    /// Host resources a guest holds at once (header sets, requests, bodies, streams):
    /// with `header_set_bytes`, what bounds the host memory they take.
    pub host_resources: usize,
    /// Token-cache entries (access and refresh tokens) one connection may hold, and the
    /// longest token kept; a put past either is dropped.
    pub token_cache_entries: usize,
    pub token_bytes: usize,
    /// CPU time after which an invocation moves to the host's batch executor, whose
    /// threads run at the lowest OS priority (`tiers.rs`), so that other tenants' short
    /// commands keep their latency. `Duration::MAX` keeps every invocation on the
    /// caller's executor.
    pub light_cpu_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        const MIB: usize = 1024 * 1024;
        Limits {
            cpu_time: Duration::from_secs(60),
            wall_time: Duration::from_secs(600),
            request_body_bytes: 64 * MIB as u64,
            response_body_bytes: 64 * MIB as u64,
            log_bytes: MIB,
            log_line_bytes: 16 * 1024,
            requests_in_flight: 8,
            result_bytes: 64 * MIB,
            result_json_depth: 64,
            file_store_bytes: 1024 * MIB as u64,
            header_set_bytes: 48 * 1024,
            host_resources: 512,
            token_cache_entries: 32,
            token_bytes: 64 * 1024,
            light_cpu_time: Duration::from_millis(10),
        }
    }
}
