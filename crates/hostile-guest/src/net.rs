//! Raw wasi:http, without the real guest's manners: any method, URL, header and body
//! size, and requests left in flight.

use serde_json::{Value, json};

use crate::wasi::http::outgoing_handler;
use crate::wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use crate::wasi::io::streams::{OutputStream, StreamError};

pub enum Body {
    Empty,
    Bytes(Vec<u8>),
    /// This many filler bytes, streamed from one small buffer (guest memory stays small).
    Filler(u64),
}

pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Request {
    pub fn get(url: &str) -> Request {
        Request {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }
}

/// How a request ended, as the guest saw it.
pub enum Ending {
    Status(u16, Vec<u8>),
    /// The host refused it (`HttpRequestDenied`).
    Denied,
    Failed(String),
}

impl Ending {
    pub fn to_json(&self) -> Value {
        match self {
            Ending::Status(status, _) => json!({"outcome": "status", "status": status}),
            Ending::Denied => json!({"outcome": "denied"}),
            Ending::Failed(why) => json!({"outcome": "failed", "error": why}),
        }
    }
}

fn classify(code: ErrorCode) -> Ending {
    match code {
        ErrorCode::HttpRequestDenied => Ending::Denied,
        other => Ending::Failed(format!("{other:?}")),
    }
}

fn method(m: &str) -> Method {
    match m {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_string()),
    }
}

/// Scheme, authority and path of `url`; a scheme other than http(s) is passed as given.
fn split(url: &str) -> (Scheme, &str, &str) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let scheme = match scheme {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        other => Scheme::Other(other.to_string()),
    };
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(cut);
    (scheme, authority, if path.is_empty() { "/" } else { path })
}

/// Hands the request to the host; the body is still to be written.
fn start(request: &Request) -> Result<(FutureIncomingResponse, OutgoingBody), Ending> {
    let headers = Fields::new();
    for (name, value) in &request.headers {
        headers
            .append(name, value.as_bytes())
            .map_err(|e| Ending::Failed(format!("header {name}: {e:?}")))?;
    }
    let outgoing = OutgoingRequest::new(headers);
    let (scheme, authority, path) = split(&request.url);
    let invalid = |what: &str| Ending::Failed(format!("the host refused the {what}"));
    outgoing
        .set_method(&method(&request.method))
        .map_err(|()| invalid("method"))?;
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| invalid("scheme"))?;
    outgoing
        .set_authority(Some(authority))
        .map_err(|()| invalid("authority"))?;
    outgoing
        .set_path_with_query(Some(path))
        .map_err(|()| invalid("path"))?;
    let body = outgoing.body().map_err(|()| invalid("body"))?;
    let future = outgoing_handler::handle(outgoing, None).map_err(classify)?;
    Ok((future, body))
}

fn stream_error(e: StreamError) -> String {
    match e {
        StreamError::Closed => "closed".into(),
        StreamError::LastOperationFailed(e) => e.to_debug_string(),
    }
}

/// Writes all of `data` as fast as the host takes it.
fn write_bytes(stream: &OutputStream, mut data: &[u8]) -> Result<(), String> {
    while !data.is_empty() {
        let budget = stream.check_write().map_err(stream_error)?;
        if budget == 0 {
            stream.subscribe().block();
            continue;
        }
        let n = data
            .len()
            .min(usize::try_from(budget).unwrap_or(usize::MAX));
        stream.write(&data[..n]).map_err(stream_error)?;
        data = &data[n..];
    }
    Ok(())
}

/// Writes the body and finishes it: the bytes the host took, and why it stopped early.
fn write_body(body: OutgoingBody, content: &Body) -> (u64, Option<String>) {
    let mut written = 0u64;
    let mut error = match body.write() {
        Err(()) => Some("no body stream".to_string()),
        Ok(stream) => {
            let result = match content {
                Body::Empty => Ok(()),
                Body::Bytes(data) => write_bytes(&stream, data).map(|()| {
                    written = data.len() as u64;
                }),
                Body::Filler(total) => {
                    let chunk = vec![b'x'; 64 * 1024];
                    let mut result = Ok(());
                    while written < *total && result.is_ok() {
                        let n = (*total - written).min(chunk.len() as u64) as usize;
                        result = write_bytes(&stream, &chunk[..n]);
                        if result.is_ok() {
                            written += n as u64;
                        }
                    }
                    result
                }
            };
            result
                .and_then(|()| stream.blocking_flush().map_err(stream_error))
                .err()
        }
    };
    if let Err(e) = OutgoingBody::finish(body, None) {
        error.get_or_insert(format!("finish: {e:?}"));
    }
    (written, error)
}

/// Waits for the response and reads up to 1 MiB of its body.
fn wait(future: FutureIncomingResponse) -> Ending {
    let response = loop {
        match future.get() {
            Some(result) => break result,
            None => future.subscribe().block(),
        }
    };
    let response = match response {
        Err(()) => return Ending::Failed("response taken twice".into()),
        Ok(Err(code)) => return classify(code),
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    let mut bytes = Vec::new();
    if let Ok(body) = response.consume()
        && let Ok(stream) = body.stream()
    {
        while bytes.len() < 1024 * 1024 {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(_) => break,
            }
        }
    }
    Ending::Status(status, bytes)
}

/// One request, start to end: how it ended, the body bytes the host took, and why the
/// body stopped early if it did.
pub fn send(request: &Request) -> (Ending, u64, Option<String>) {
    let (future, body) = match start(request) {
        Ok(started) => started,
        Err(ending) => return (ending, 0, None),
    };
    let (written, body_error) = write_body(body, &request.body);
    (wait(future), written, body_error)
}

/// `count` requests handed to the host before any answer is awaited.
pub fn all_at_once(request: &Request, count: usize) -> Vec<Ending> {
    let mut pending = Vec::with_capacity(count);
    for _ in 0..count {
        pending.push(start(request).map(|(future, body)| {
            let _ = write_body(body, &Body::Empty);
            future
        }));
    }
    pending
        .into_iter()
        .map(|p| match p {
            Ok(future) => wait(future),
            Err(ending) => ending,
        })
        .collect()
}
