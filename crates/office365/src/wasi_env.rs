//! [`Env`] over the component's imports: wasi:http for HTTP, wasi clocks and random, and
//! the host's token cache, file store and log.

// Whatever a server or the host answers passes through here: no panics, no overflow.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::time::Duration;

use o365_core::env::{CachedToken, Env, FileInfo, LogLevel};
use o365_core::http::{HttpRequest, HttpResponse, MAX_HEADER_BYTES, TransportError};

use crate::soar::office365::{file_store, log, reply_tracking, token_cache};
use crate::wasi::clocks::{monotonic_clock, wall_clock};
use crate::wasi::http::outgoing_handler;
use crate::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
    http_error_code,
};
use crate::wasi::io::poll::{Pollable, poll};
use crate::wasi::io::streams::StreamError;
use crate::wasi::random::random;

/// Responses larger than this are cut off with an error rather than exhausting memory.
const MAX_RESPONSE_BYTES: u64 = 48 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(120);
const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(60);
/// While waiting on a server, say so this often (stderr, through the host's log).
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

pub struct WasiEnv;

struct Target<'a> {
    scheme: Scheme,
    authority: &'a str,
    path_and_query: &'a str,
}

fn split_url(url: &str) -> Result<Target<'_>, TransportError> {
    let bad = || TransportError::InvalidRequest("not an absolute https URL".to_string());
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let scheme = match scheme {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        _ => return Err(bad()),
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    Ok(Target {
        scheme,
        authority,
        path_and_query: if path.is_empty() { "/" } else { path },
    })
}

fn method(m: &str) -> Method {
    match m {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        "HEAD" => Method::Head,
        other => Method::Other(other.to_string()),
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The wasi:http error the host gave, as one of the core's classes.
fn transport_error(code: &ErrorCode, authority: &str, cap: u64) -> TransportError {
    use ErrorCode as E;
    match code {
        E::HttpRequestDenied => TransportError::Denied(format!(
            "The host refused the request to {authority}: outbound HTTP is limited to the connection's cloud login and Graph hosts."
        )),
        E::HttpRequestBodySize(size) => TransportError::InvalidRequest(format!(
            "the request body{} is larger than the host lets out",
            size.map(|s| format!(" ({s} bytes)")).unwrap_or_default()
        )),
        E::HttpRequestLengthRequired
        | E::HttpRequestMethodInvalid
        | E::HttpRequestUriInvalid
        | E::HttpRequestUriTooLong
        | E::HttpRequestHeaderSectionSize(_)
        | E::HttpRequestHeaderSize(_)
        | E::HttpRequestTrailerSectionSize(_)
        | E::HttpRequestTrailerSize(_)
        | E::LoopDetected
        | E::ConfigurationError => TransportError::InvalidRequest(format!("{code:?}")),
        E::HttpResponseBodySize(limit) => TransportError::TooLarge {
            limit: limit.unwrap_or(cap).min(cap),
        },
        E::HttpResponseIncomplete => {
            TransportError::CutShort("the response ended before its body did".into())
        }
        E::HttpResponseHeaderSectionSize(_)
        | E::HttpResponseHeaderSize(_)
        | E::HttpResponseTrailerSectionSize(_)
        | E::HttpResponseTrailerSize(_)
        | E::HttpResponseTransferCoding(_)
        | E::HttpResponseContentCoding(_)
        | E::HttpUpgradeFailed => TransportError::Protocol(format!("{code:?}")),
        // What a connection closed before the answer's head gives: no response.
        E::HttpProtocolError => TransportError::Network(
            "the connection ended before a complete answer (HttpProtocolError)".into(),
        ),
        other => TransportError::Network(format!("{other:?}")),
    }
}

/// A failed stream operation while the response body arrives.
fn body_error(e: &crate::wasi::io::error::Error, authority: &str, cap: u64) -> TransportError {
    match http_error_code(e) {
        Some(code @ (ErrorCode::HttpResponseBodySize(_) | ErrorCode::HttpRequestDenied)) => {
            transport_error(&code, authority, cap)
        }
        Some(code) => TransportError::CutShort(format!("{code:?}")),
        None => TransportError::CutShort(e.to_debug_string()),
    }
}

/// Blocks until `ready` fires, saying every [`PROGRESS_EVERY`] how long it has
/// waited on `authority`; false once `limit` has passed without it.
fn wait_for(ready: &Pollable, started: u64, limit: Duration, authority: &str) -> bool {
    loop {
        let tick = monotonic_clock::subscribe_duration(nanos(PROGRESS_EVERY));
        let fired = poll(&[ready, &tick]);
        if fired.contains(&0) {
            return true;
        }
        let waited = Duration::from_nanos(monotonic_clock::now().saturating_sub(started));
        if waited >= limit {
            return false;
        }
        log::progress(
            u32::try_from(waited.as_secs()).unwrap_or(u32::MAX),
            u32::try_from(limit.as_secs()).unwrap_or(u32::MAX),
            &format!("waiting for {authority}: {} s so far", waited.as_secs()),
        );
    }
}

fn send(request: &HttpRequest) -> Result<HttpResponse, TransportError> {
    let target = split_url(&request.url)?;
    let authority = target.authority;
    let cap = request
        .max_response_bytes
        .unwrap_or(MAX_RESPONSE_BYTES)
        .min(MAX_RESPONSE_BYTES);
    // The exchange as a whole: the command's deadline bounds every wait.
    let limit = request
        .timeout
        .unwrap_or(FIRST_BYTE_TIMEOUT.saturating_add(BETWEEN_BYTES_TIMEOUT))
        .max(Duration::from_secs(1));
    let started = monotonic_clock::now();
    let headers = Fields::new();
    for (name, value) in &request.headers {
        // wasi:http hosts trap on oversized fields rather than refuse them.
        if name.len().saturating_add(value.len()) > MAX_HEADER_BYTES {
            return Err(TransportError::InvalidRequest(format!(
                "the {name} header is longer than {MAX_HEADER_BYTES} bytes"
            )));
        }
        headers
            .append(name, value.as_bytes())
            .map_err(|e| TransportError::InvalidRequest(format!("header {name}: {e:?}")))?;
    }
    let outgoing = OutgoingRequest::new(headers);
    let invalid = |what: &str| TransportError::InvalidRequest(format!("invalid {what}"));
    outgoing
        .set_method(&method(&request.method))
        .map_err(|()| invalid("method"))?;
    outgoing
        .set_scheme(Some(&target.scheme))
        .map_err(|()| invalid("scheme"))?;
    outgoing
        .set_authority(Some(authority))
        .map_err(|()| invalid("host"))?;
    outgoing
        .set_path_with_query(Some(target.path_and_query))
        .map_err(|()| invalid("path"))?;

    let body = outgoing.body().map_err(|()| invalid("body"))?;
    let options = RequestOptions::new();
    // Setting a timeout the host does not support is not fatal.
    let _ = options.set_connect_timeout(Some(nanos(CONNECT_TIMEOUT.min(limit))));
    let _ = options.set_first_byte_timeout(Some(nanos(FIRST_BYTE_TIMEOUT.min(limit))));
    let _ = options.set_between_bytes_timeout(Some(nanos(BETWEEN_BYTES_TIMEOUT.min(limit))));
    let future = outgoing_handler::handle(outgoing, Some(options))
        .map_err(|e| transport_error(&e, authority, cap))?;

    {
        let stream = body.write().map_err(|()| invalid("body stream"))?;
        for chunk in request.body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| match e {
                    StreamError::LastOperationFailed(e) => match http_error_code(&e) {
                        Some(code) => transport_error(&code, authority, cap),
                        None => TransportError::Network(format!(
                            "writing the request body: {}",
                            e.to_debug_string()
                        )),
                    },
                    StreamError::Closed => TransportError::Network(
                        "the connection closed while sending the body".into(),
                    ),
                })?;
        }
    }
    OutgoingBody::finish(body, None).map_err(|e| transport_error(&e, authority, cap))?;

    let response = loop {
        match future.get() {
            Some(result) => break result,
            None => {
                if !wait_for(&future.subscribe(), started, limit, authority) {
                    return Err(TransportError::Network(format!(
                        "no response within {} s",
                        limit.as_secs()
                    )));
                }
            }
        }
    };
    let response = response
        .map_err(|()| TransportError::Network("response taken twice".into()))?
        .map_err(|e| transport_error(&e, authority, cap))?;

    let status = response.status();
    let headers: Vec<(String, String)> = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    // A declared length past the cap is not read at all.
    let declared = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|d| d > cap) {
        return Err(TransportError::TooLarge { limit: cap });
    }
    let incoming = response.consume().map_err(|()| invalid("response body"))?;
    let mut bytes = Vec::new();
    {
        let stream = incoming.stream().map_err(|()| invalid("response stream"))?;
        loop {
            match stream.read(64 * 1024) {
                Ok(chunk) if chunk.is_empty() => {
                    if !wait_for(&stream.subscribe(), started, limit, authority) {
                        return Err(TransportError::CutShort(format!(
                            "the body did not finish within {} s",
                            limit.as_secs()
                        )));
                    }
                }
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(body_error(&e, authority, cap));
                }
            }
            if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > cap {
                return Err(TransportError::TooLarge { limit: cap });
            }
        }
    }
    let _ = IncomingBody::finish(incoming);
    Ok(HttpResponse {
        status,
        headers,
        body: bytes,
    })
}

impl Env for WasiEnv {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        send(request)
    }

    fn now_unix_secs(&self) -> u64 {
        wall_clock::now().seconds
    }

    fn sleep(&self, duration: Duration) {
        monotonic_clock::subscribe_duration(nanos(duration)).block();
    }

    fn random_bytes(&self, len: usize) -> Vec<u8> {
        random::get_random_bytes(u64::try_from(len).unwrap_or(u64::MAX))
    }

    fn token_get(&self, key: &str) -> Option<CachedToken> {
        token_cache::get(key).map(|t| CachedToken {
            access_token: t.access_token,
            expires_at: t.expires_at,
        })
    }

    fn token_put(&self, key: &str, token: &CachedToken) {
        token_cache::put(
            key,
            &token_cache::CachedToken {
                access_token: token.access_token.clone(),
                expires_at: token.expires_at,
            },
        );
    }

    fn token_remove(&self, key: &str) {
        token_cache::remove(key);
    }

    fn refresh_token_get(&self, key: &str) -> Option<String> {
        token_cache::get_refresh_token(key)
    }

    fn refresh_token_put(&self, key: &str, refresh_token: &str) {
        token_cache::put_refresh_token(key, refresh_token);
    }

    fn log(&self, level: LogLevel, message: &str) {
        let level = match level {
            LogLevel::Debug => log::Level::Debug,
            LogLevel::Info => log::Level::Info,
            LogLevel::Warn => log::Level::Warn,
            LogLevel::Error => log::Level::Error,
        };
        log::log(level, message);
    }

    fn progress(&self, done: u32, total: u32, message: &str) {
        log::progress(done, total, message);
    }

    fn file_put(&self, name: &str, content_type: &str, data: &[u8]) -> Result<FileInfo, String> {
        file_store::put(name, content_type, data).map(file_info)
    }

    fn file_get(&self, file_id: &str, file_source: &str) -> Result<(FileInfo, Vec<u8>), String> {
        file_store::get(file_id, file_source).map(|(info, data)| (file_info(info), data))
    }

    fn response_link(&self, tracking_id: &str) -> Option<String> {
        reply_tracking::response_link(tracking_id)
    }
}

fn file_info(f: file_store::FileInfo) -> FileInfo {
    FileInfo {
        file_id: f.file_id,
        name: f.name,
        content_type: f.content_type,
        size: f.size,
    }
}
