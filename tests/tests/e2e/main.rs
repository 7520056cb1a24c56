//! One integration-test binary: the real office365.wasm in the real host, graph-sim over
//! loopback. Build the guest first (`scripts/test` does).

mod act_directory;
mod act_messages;
mod act_send;
mod clouds;
mod conformance;
mod fetch;
mod folders;
mod hostile;
mod hostile_server;
mod ingest;
mod inputs;
mod isolation;
mod json_entry;
mod messages;
mod openapi;
mod policy;
mod preflight;
mod secrets;
mod serve;
mod tokens;
