//! [`Env`] over the component's imports: wasi:http for HTTP, wasi clocks and random, and
//! the host's token cache, file store and log.

use std::time::Duration;

use o365_core::env::{CachedToken, Env, FileInfo, LogLevel};
use o365_core::http::{HttpRequest, HttpResponse, TransportError};

use crate::soar::office365::{file_store, log, reply_tracking, token_cache};
use crate::wasi::clocks::{monotonic_clock, wall_clock};
use crate::wasi::http::outgoing_handler;
use crate::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use crate::wasi::io::streams::StreamError;
use crate::wasi::random::random;

/// Responses larger than this are cut off with an error rather than exhausting memory.
const MAX_RESPONSE_BYTES: usize = 48 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(120);
const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(60);

pub struct WasiEnv;

struct Target<'a> {
    scheme: Scheme,
    authority: &'a str,
    path_and_query: &'a str,
}

fn split_url(url: &str) -> Result<Target<'_>, TransportError> {
    let bad = || TransportError::Network(format!("not an absolute http(s) URL: {url}"));
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
    d.as_nanos().min(u128::from(u64::MAX)) as u64
}

fn transport_error(code: ErrorCode, authority: &str) -> TransportError {
    match code {
        ErrorCode::HttpRequestDenied => TransportError::Denied(format!(
            "The host refused the request to {authority}: outbound HTTP is limited to the connection's cloud login and Graph hosts."
        )),
        other => TransportError::Network(format!("{other:?}")),
    }
}

fn send(request: &HttpRequest) -> Result<HttpResponse, TransportError> {
    let target = split_url(&request.url)?;
    let headers = Fields::new();
    for (name, value) in &request.headers {
        headers
            .append(name, value.as_bytes())
            .map_err(|e| TransportError::Network(format!("header {name}: {e:?}")))?;
    }
    let outgoing = OutgoingRequest::new(headers);
    let invalid =
        |what: &str| TransportError::Network(format!("invalid {what} in {}", request.url));
    outgoing
        .set_method(&method(&request.method))
        .map_err(|()| invalid("method"))?;
    outgoing
        .set_scheme(Some(&target.scheme))
        .map_err(|()| invalid("scheme"))?;
    outgoing
        .set_authority(Some(target.authority))
        .map_err(|()| invalid("host"))?;
    outgoing
        .set_path_with_query(Some(target.path_and_query))
        .map_err(|()| invalid("path"))?;

    let body = outgoing.body().map_err(|()| invalid("body"))?;
    let options = RequestOptions::new();
    // Setting a timeout the host does not support is not fatal.
    let _ = options.set_connect_timeout(Some(nanos(CONNECT_TIMEOUT)));
    let _ = options.set_first_byte_timeout(Some(nanos(FIRST_BYTE_TIMEOUT)));
    let _ = options.set_between_bytes_timeout(Some(nanos(BETWEEN_BYTES_TIMEOUT)));
    let future = outgoing_handler::handle(outgoing, Some(options))
        .map_err(|e| transport_error(e, target.authority))?;

    {
        let stream = body.write().map_err(|()| invalid("body stream"))?;
        for chunk in request.body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| TransportError::Network(format!("writing the request body: {e:?}")))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(|e| transport_error(e, target.authority))?;

    let response = loop {
        match future.get() {
            Some(result) => break result,
            None => future.subscribe().block(),
        }
    };
    let response = response
        .map_err(|()| TransportError::Network("response taken twice".into()))?
        .map_err(|e| transport_error(e, target.authority))?;

    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let incoming = response.consume().map_err(|()| invalid("response body"))?;
    let mut bytes = Vec::new();
    {
        let stream = incoming.stream().map_err(|()| invalid("response stream"))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(TransportError::Network(format!(
                        "reading the response: {}",
                        e.to_debug_string()
                    )));
                }
            }
            if bytes.len() > MAX_RESPONSE_BYTES {
                return Err(TransportError::Network(format!(
                    "response from {} is larger than {MAX_RESPONSE_BYTES} bytes",
                    target.authority
                )));
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
        random::get_random_bytes(len as u64)
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
