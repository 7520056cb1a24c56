//! The routes of `serve` (JSON over HTTP, versioned under `/v1`):
//!
//! - `GET  /v1/health`
//! - `GET  /v1/commands`: the manifest
//! - `GET  /v1/connections`: the names
//! - `PUT  /v1/connections/{name}`: register or replace a connection (its JSON)
//! - `POST /v1/connections/{name}/commands/{command}`: run; the body is the input
//!
//! A request the server refuses gets a 4xx and `{"error": {"code", "message"}}`, and
//! changes nothing. A command that ran answers 200 with its result document, whatever the
//! result's own status.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::ServeOptions;
use super::admission::Turn;
use super::registry::{PutError, Registry, Snapshot};
use crate::Runtime;

pub(super) struct State {
    pub runtime: Arc<Runtime>,
    pub registry: Arc<Registry>,
    /// Engine slots: one per running invocation, shared by every connection.
    pub global: Arc<Semaphore>,
    pub options: ServeOptions,
    /// The manifest, read once at start: its text for `/v1/commands`, its command names
    /// for checking each invocation's (the component never changes while serving).
    pub manifest: String,
    pub commands: Vec<String>,
}

impl State {
    pub fn new(
        runtime: Arc<Runtime>,
        registry: Arc<Registry>,
        options: ServeOptions,
        manifest: &Value,
    ) -> State {
        State {
            runtime,
            registry,
            global: Arc::new(Semaphore::new(options.concurrent.max(1))),
            options,
            manifest: manifest.to_string(),
            commands: command_names(manifest),
        }
    }
}

type Reply = Response<Full<Bytes>>;

/// Seconds a client turned away for a full queue should wait before trying again.
const RETRY_AFTER_SECS: &str = "1";

fn json_reply(status: StatusCode, body: &Value) -> Reply {
    text_reply(status, body.to_string())
}

fn text_reply(status: StatusCode, body: String) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from(body)));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    reply
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
    json_reply(
        status,
        &json!({"error": {"code": code, "message": message.into()}}),
    )
}

fn method_not_allowed(allowed: &'static str) -> Reply {
    let mut reply = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!("this path takes {allowed}"),
    );
    reply
        .headers_mut()
        .insert(ALLOW, http::HeaderValue::from_static(allowed));
    reply
}

pub(super) async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Reply, std::convert::Infallible> {
    if let Some(token) = &state.options.token
        && !token.accepts(req.headers().get(AUTHORIZATION).map(|v| v.as_bytes()))
    {
        let mut reply = error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this server requires 'Authorization: Bearer <token>'",
        );
        reply
            .headers_mut()
            .insert(WWW_AUTHENTICATE, http::HeaderValue::from_static("Bearer"));
        return Ok(reply);
    }
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let method = req.method().clone();
    let reply = match segments.as_slice() {
        ["v1", "health"] => match method {
            Method::GET => health(&state),
            _ => method_not_allowed("GET"),
        },
        ["v1", "commands"] => match method {
            Method::GET => commands(&state),
            _ => method_not_allowed("GET"),
        },
        ["v1", "connections"] => match method {
            Method::GET => json_reply(
                StatusCode::OK,
                &json!({"connections": state.registry.names()}),
            ),
            _ => method_not_allowed("GET"),
        },
        ["v1", "connections", name] => match method {
            Method::PUT => put_connection(&state, name, req).await,
            _ => method_not_allowed("PUT"),
        },
        ["v1", "connections", name, "commands", command] => match method {
            Method::POST => invoke(&state, name, command, req).await,
            _ => method_not_allowed("POST"),
        },
        _ => error(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no such path: {path} (the API is under /v1: health, commands, connections)"),
        ),
    };
    Ok(reply)
}

fn health(state: &State) -> Reply {
    let capacity = state.options.concurrent.max(1);
    json_reply(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "connections": state.registry.len(),
            "running": capacity - state.global.available_permits(),
            "capacity": capacity,
        }),
    )
}

fn commands(state: &State) -> Reply {
    text_reply(StatusCode::OK, state.manifest.clone())
}

/// The request body, at most `max_body_bytes`; an error reply otherwise.
async fn read_body(state: &State, req: Request<Incoming>) -> Result<Bytes, Box<Reply>> {
    let cap = state.options.max_body_bytes;
    let too_large = || {
        Box::new(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            format!("the request body is larger than this server's limit of {cap} bytes"),
        ))
    };
    // Refuse a declared size at once, without reading any of it.
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    match Limited::new(req.into_body(), cap).collect().await {
        Ok(body) => Ok(body.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "body-unreadable",
            format!("the request body could not be read: {e}"),
        ))),
    }
}

/// The body as JSON; an empty body is `empty`.
fn parse_json(body: &[u8], what: &str, empty: Value) -> Result<Value, Box<Reply>> {
    if body.trim_ascii().is_empty() {
        return Ok(empty);
    }
    // serde_json's message gives line and column, never the text itself (it may hold secrets).
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            format!("the {what} is not valid JSON: {e}"),
        ))
    })
}

async fn put_connection(state: &State, name: &str, req: Request<Incoming>) -> Reply {
    let body = match read_body(state, req).await {
        Ok(b) => b,
        Err(reply) => return *reply,
    };
    let value = match parse_json(&body, "connection", Value::Null) {
        Ok(v) => v,
        Err(reply) => return *reply,
    };
    let registry = state.registry.clone();
    let name_owned = name.to_string();
    // The file write syncs to disk: off the async workers.
    let put = tokio::task::spawn_blocking(move || registry.put(&name_owned, value)).await;
    match put {
        Ok(Ok(created)) => json_reply(
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            &json!({"connection": name, "created": created}),
        ),
        Ok(Err(PutError::BadName(m))) => error(StatusCode::BAD_REQUEST, "bad-connection-name", m),
        Ok(Err(PutError::BadConnection(m))) => error(
            StatusCode::BAD_REQUEST,
            "bad-connection",
            format!("the connection is not valid: {m}"),
        ),
        Ok(Err(PutError::Storage(m))) => error(StatusCode::INTERNAL_SERVER_ERROR, "storage", m),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storage",
            "storing the connection failed inside the server",
        ),
    }
}

/// The manifest's command names.
fn command_names(manifest: &Value) -> Vec<String> {
    manifest["commands"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn invoke(state: &State, name: &str, command: &str, req: Request<Incoming>) -> Reply {
    let Some(connection) = state.registry.get(name) else {
        return error(
            StatusCode::NOT_FOUND,
            "unknown-connection",
            format!("no connection named '{name}': register it with PUT /v1/connections/{name}"),
        );
    };
    if !state.commands.iter().any(|c| c == command) {
        return error(
            StatusCode::NOT_FOUND,
            "unknown-command",
            format!(
                "unknown command '{command}'; this component implements: {}",
                state.commands.join(", ")
            ),
        );
    }
    let body = match read_body(state, req).await {
        Ok(b) => b,
        Err(reply) => return *reply,
    };
    let input = match parse_json(&body, "command input", json!({})) {
        Ok(v) if v.is_object() => v,
        Ok(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad-input",
                "the command input must be a JSON object of parameters",
            );
        }
        Err(reply) => return *reply,
    };
    let ticket = match connection.gate.admit() {
        Ok(t) => t,
        Err(full) => {
            let mut reply = error(
                StatusCode::TOO_MANY_REQUESTS,
                "connection-busy",
                format!(
                    "connection '{name}' already has {} invocations running and {} waiting; try again later",
                    full.limits.concurrent, full.limits.queued
                ),
            );
            reply.headers_mut().insert(
                RETRY_AFTER,
                http::HeaderValue::from_static(RETRY_AFTER_SECS),
            );
            return reply;
        }
    };
    // Waiting is cancellable: a client that leaves its place in the line frees it.
    let turn = ticket.wait(&state.global).await;
    // Running is not: once the guest may have rotated the refresh token, the invocation
    // finishes and the token is stored even if the client has gone.
    let run = tokio::spawn(run(
        state.runtime.clone(),
        state.registry.clone(),
        name.to_string(),
        connection,
        command.to_string(),
        input,
        turn,
    ));
    match run.await {
        Ok(result) => text_reply(StatusCode::OK, result),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "invocation",
            "the invocation failed inside the host",
        ),
    }
}

/// Runs one command and keeps a rotated refresh token; the result document's text.
async fn run(
    runtime: Arc<Runtime>,
    registry: Arc<Registry>,
    name: String,
    connection: Snapshot,
    command: String,
    input: Value,
    turn: Turn,
) -> String {
    // The turn is held until the token is stored, so the connection's next invocation
    // starts from the rotated token.
    let _turn = turn;
    let outcome = runtime
        .run_command_text(&name, &connection.value, &command, &input)
        .await;
    if let Some(token) = outcome.rotated_refresh_token {
        let generation = connection.generation;
        let stored = tokio::task::spawn_blocking(move || {
            registry.store_rotated_refresh_token(&name, generation, &token)
        })
        .await;
        match stored {
            Ok(Ok(())) => {}
            // The message names the file, never the token.
            Ok(Err(e)) => {
                eprintln!("o365-host serve: the rotated refresh token was not stored: {e:#}")
            }
            Err(_) => eprintln!("o365-host serve: the rotated refresh token was not stored"),
        }
    }
    outcome.result
}
