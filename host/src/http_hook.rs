//! The transport of the guest's requests: each request is checked by the egress policy
//! (`egress.rs`), counted against the requests-in-flight limit, routed, and sent with
//! both bodies streamed through byte counters: the host never holds a whole body, and a
//! body over its limit ends the exchange. Every exchange, refusals included, goes to the
//! HTTP log with a redacted prefix of each body.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full, Limited};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::egress::{EgressPolicy, HostKind};
use crate::http_log::{Exchange, HttpLog};
use crate::limits::Limits;
use crate::redact::Redactor;

/// Body bytes kept for the log beyond the longest secret: JSON bodies up to this size are
/// logged as JSON, longer ones as redacted text cut to the log's length.
const LOG_CAPTURE: usize = 64 * 1024;
/// A request to an upload host is read whole (one chunk of an upload session: the core
/// sends 4 MiB) so it can be searched for credentials before any byte leaves.
const UPLOAD_BODY_MAX: u64 = 16 * 1024 * 1024;
/// A token response is read whole so its tokens join the invocation's redaction set.
const TOKEN_RESPONSE_MAX: u64 = 1024 * 1024;

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

pub struct Outbound {
    pub policy: Arc<EgressPolicy>,
    pub limits: Limits,
    pub log: Option<Arc<HttpLog>>,
    pub redactor: Redactor,
    /// Hosts refused during this invocation, for the caller to report.
    pub denied: Arc<Mutex<Vec<String>>>,
    /// Permits for requests in flight; a response holds its permit until its body ends.
    pub in_flight: Arc<Semaphore>,
    /// Set when a request is refused or a body passes its limit: the invocation ran into
    /// a host bound (its connection then starts on the batch executor for a while).
    pub bounds_hit: Arc<AtomicBool>,
}

impl Outbound {
    pub fn new(
        policy: EgressPolicy,
        limits: Limits,
        log: Option<Arc<HttpLog>>,
        redactor: Redactor,
    ) -> Outbound {
        Outbound {
            policy: Arc::new(policy),
            limits,
            log,
            redactor,
            denied: Arc::default(),
            in_flight: Arc::new(Semaphore::new(limits.requests_in_flight)),
            bounds_hit: Arc::default(),
        }
    }

    /// Logs a request the host would not send, and answers the guest with a refusal.
    fn refuse(&self, parts: &http::request::Parts, reason: String) -> SendFuture {
        self.bounds_hit.store(true, Ordering::Relaxed);
        record_refusal(
            &self.denied,
            self.log.as_deref(),
            &self.redactor,
            parts,
            0,
            reason,
        );
        Box::new(async { Err(HttpError::HttpRequestDenied) })
    }
}

/// Notes a request the host would not send: its host for the caller, an entry with the
/// reason in the HTTP log.
fn record_refusal(
    denied: &Mutex<Vec<String>>,
    log: Option<&HttpLog>,
    redactor: &Redactor,
    parts: &http::request::Parts,
    body_len: u64,
    reason: String,
) {
    let host = parts.uri.host().unwrap_or("").to_string();
    denied
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(host);
    if let Some(log) = log {
        log.write(
            &Exchange {
                method: parts.method.as_str(),
                url: &parts.uri.to_string(),
                routed_to: None,
                request_headers: &header_list(&parts.headers),
                request_body: &[],
                request_body_len: body_len,
                status: None,
                response_headers: &[],
                response_body: &[],
                response_body_len: 0,
                duration_ms: 0.0,
                error: Some(reason),
            },
            redactor,
        );
    }
}

fn header_list(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn full(bytes: Bytes) -> WasiBody {
    Full::new(bytes)
        .map_err(|e: std::convert::Infallible| match e {})
        .boxed_unsync()
}

/// The same path and query on another base URL.
fn rerouted(uri: &http::Uri, base: &str) -> Result<http::Uri, HttpError> {
    let base: http::Uri = base.parse().map_err(|_| HttpError::ConfigurationError)?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    http::Uri::builder()
        .scheme(base.scheme_str().unwrap_or("http"))
        .authority(base.authority().map(|a| a.as_str()).unwrap_or(""))
        .path_and_query(path)
        .build()
        .map_err(|_| HttpError::HttpRequestUriInvalid)
}

/// The first bytes of a body (for the log) and how many passed in all.
#[derive(Default)]
struct Capture {
    head: Vec<u8>,
    total: u64,
    keep: usize,
}

impl Capture {
    fn new(keep: usize) -> Capture {
        Capture {
            keep,
            ..Capture::default()
        }
    }

    fn record(&mut self, data: &[u8]) {
        self.total = self.total.saturating_add(data.len() as u64);
        let room = self.keep.saturating_sub(self.head.len());
        self.head.extend_from_slice(&data[..room.min(data.len())]);
    }
}

type SharedCapture = Arc<Mutex<Capture>>;

fn lock(c: &SharedCapture) -> std::sync::MutexGuard<'_, Capture> {
    c.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A body passed through frame by frame, counted and captured; past `limit` bytes it
/// ends with `too_large`.
struct Metered {
    inner: WasiBody,
    capture: SharedCapture,
    limit: u64,
    too_large: fn(Option<u64>) -> HttpError,
    /// Set when the limit was hit, for the sender to report the right error.
    exceeded: Arc<AtomicBool>,
    /// Written when the body ends, fails or is dropped (responses only).
    log: Option<PendingLog>,
    /// The in-flight permit, released with the body.
    _permit: Option<OwnedSemaphorePermit>,
}

impl Body for Metered {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let total = {
                        let mut capture = lock(&this.capture);
                        capture.record(data);
                        capture.total
                    };
                    if total > this.limit {
                        this.exceeded.store(true, Ordering::Relaxed);
                        this.finish(Some(format!(
                            "body over the host's limit of {} bytes",
                            this.limit
                        )));
                        return Poll::Ready(Some(Err((this.too_large)(Some(this.limit)))));
                    }
                }
            }
            Poll::Ready(Some(Err(e))) => {
                let message = format!("body failed: {e:?}");
                this.finish(Some(message));
            }
            Poll::Ready(None) => this.finish(None),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Metered {
    fn finish(&mut self, error: Option<String>) {
        if let Some(pending) = self.log.take() {
            pending.write(&lock(&self.capture), error);
        }
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        if self.log.is_some() {
            let total = lock(&self.capture).total;
            self.finish(Some(format!(
                "the guest stopped reading the body after {total} bytes"
            )));
        }
    }
}

/// What the log entry of an exchange needs once its response body has ended.
struct PendingLog {
    log: Arc<HttpLog>,
    redactor: Redactor,
    method: String,
    url: String,
    routed_to: Option<String>,
    request_headers: Vec<(String, String)>,
    request: SharedCapture,
    status: Option<u16>,
    response_headers: Vec<(String, String)>,
    started: Instant,
}

impl PendingLog {
    fn write(self, response: &Capture, error: Option<String>) {
        let request = lock(&self.request);
        self.log.write(
            &Exchange {
                method: &self.method,
                url: &self.url,
                routed_to: self.routed_to.as_deref(),
                request_headers: &self.request_headers,
                request_body: &request.head,
                request_body_len: request.total,
                status: self.status,
                response_headers: &self.response_headers,
                response_body: &response.head,
                response_body_len: response.total,
                duration_ms: self.started.elapsed().as_secs_f64() * 1000.0,
                error,
            },
            &self.redactor,
        );
    }
}

/// The tokens of a token response, so they are redacted wherever they turn up.
fn learn_tokens(body: &[u8], redactor: &Redactor) {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) {
        for key in ["access_token", "refresh_token", "id_token"] {
            if let Some(token) = map.get(key).and_then(|v| v.as_str()) {
                redactor.add(token);
            }
        }
    }
}

fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _request_error: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let (mut parts, body) = request.into_parts();
        let route = match self
            .policy
            .check(&parts.uri, &parts.headers, &self.redactor)
        {
            Ok(route) => route,
            Err(denial) => return self.refuse(&parts, format!("denied: {denial}")),
        };
        let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
            let limit = self.limits.requests_in_flight;
            return self.refuse(
                &parts,
                format!("denied: more than {limit} requests in flight at once"),
            );
        };
        let limits = self.limits;
        let log = self.log.clone();
        let redactor = self.redactor.clone();
        let original_url = parts.uri.to_string();
        let host = parts.uri.host().unwrap_or("").to_string();
        let keep = LOG_CAPTURE + redactor.longest_secret();
        let denied = self.denied.clone();
        let bounds_hit = self.bounds_hit.clone();
        Box::new(async move {
            let started = Instant::now();
            let request_capture: SharedCapture = Arc::new(Mutex::new(Capture::new(keep)));
            let request_exceeded = Arc::new(AtomicBool::new(false));
            let body = if route.kind == HostKind::Upload {
                // Read whole (bounded) and searched before any byte is sent.
                let cap = limits.request_body_bytes.min(UPLOAD_BODY_MAX);
                let bytes = match Limited::new(body, cap as usize).collect().await {
                    Ok(b) => b.to_bytes(),
                    Err(_) => {
                        bounds_hit.store(true, Ordering::Relaxed);
                        return Err(HttpError::HttpRequestBodySize(Some(cap)));
                    }
                };
                if redactor.has_secret(&bytes) {
                    bounds_hit.store(true, Ordering::Relaxed);
                    record_refusal(
                        &denied,
                        log.as_deref(),
                        &redactor,
                        &parts,
                        bytes.len() as u64,
                        "denied: a credential in the body of a request to an upload host".into(),
                    );
                    return Err(HttpError::HttpRequestDenied);
                }
                lock(&request_capture).record(&bytes);
                full(bytes)
            } else {
                Metered {
                    inner: body,
                    capture: request_capture.clone(),
                    limit: limits.request_body_bytes,
                    too_large: HttpError::HttpRequestBodySize,
                    exceeded: request_exceeded.clone(),
                    log: None,
                    _permit: None,
                }
                .boxed_unsync()
            };
            if let Some(base) = &route.routed_to {
                parts.uri = rerouted(&parts.uri, base)?;
                parts.headers.insert(
                    "x-forwarded-host",
                    http::HeaderValue::from_str(&host)
                        .map_err(|_| HttpError::HttpRequestUriInvalid)?,
                );
            }
            let pending = |status: Option<u16>, response_headers: Vec<(String, String)>| {
                log.clone().map(|log| PendingLog {
                    log,
                    redactor: redactor.clone(),
                    method: parts.method.to_string(),
                    url: original_url.clone(),
                    routed_to: route.routed_to.as_ref().map(|_| parts.uri.to_string()),
                    request_headers: header_list(&parts.headers),
                    request: request_capture.clone(),
                    status,
                    response_headers,
                    started,
                })
            };
            let request = http::Request::from_parts(parts.clone(), body);
            let (response, io) =
                match wasmtime_wasi_http::default_send_request(request, options).await {
                    Ok(ok) => ok,
                    Err(e) => {
                        let e = if request_exceeded.load(Ordering::Relaxed) {
                            bounds_hit.store(true, Ordering::Relaxed);
                            HttpError::HttpRequestBodySize(Some(limits.request_body_bytes))
                        } else {
                            e
                        };
                        if let Some(p) = pending(None, Vec::new()) {
                            p.write(&Capture::default(), Some(format!("{e:?}")));
                        }
                        return Err(e);
                    }
                };
            let (response_parts, response_body) = response.into_parts();
            let status = Some(response_parts.status.as_u16());
            let response_headers = header_list(&response_parts.headers);
            let response_body = response_body.boxed_unsync();
            let limit = limits.response_body_bytes;
            if content_length(&response_parts.headers).is_some_and(|n| n > limit) {
                bounds_hit.store(true, Ordering::Relaxed);
                if let Some(p) = pending(status, response_headers) {
                    p.write(
                        &Capture::default(),
                        Some(format!(
                            "response body declared over the host's limit of {limit} bytes"
                        )),
                    );
                }
                return Err(HttpError::HttpResponseBodySize(content_length(
                    &response_parts.headers,
                )));
            }
            let body = if route.kind == HostKind::Login {
                // Small, and read whole so its tokens are redacted from here on.
                let cap = limit.min(TOKEN_RESPONSE_MAX);
                tokio::spawn(io);
                let bytes = match Limited::new(response_body, cap as usize).collect().await {
                    Ok(b) => b.to_bytes(),
                    Err(e) => {
                        bounds_hit.store(true, Ordering::Relaxed);
                        if let Some(p) = pending(status, response_headers) {
                            p.write(&Capture::default(), Some(format!("token response: {e}")));
                        }
                        return Err(HttpError::HttpResponseBodySize(Some(cap)));
                    }
                };
                learn_tokens(&bytes, &redactor);
                let mut capture = Capture::new(keep);
                capture.record(&bytes);
                if let Some(p) = pending(status, response_headers) {
                    p.write(&capture, None);
                }
                drop(permit);
                let response = http::Response::from_parts(response_parts, full(bytes));
                return Ok((
                    response,
                    Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>,
                ));
            } else {
                Metered {
                    inner: response_body,
                    capture: Arc::new(Mutex::new(Capture::new(keep))),
                    limit,
                    too_large: HttpError::HttpResponseBodySize,
                    exceeded: bounds_hit,
                    log: pending(status, response_headers),
                    _permit: Some(permit),
                }
                .boxed_unsync()
            };
            let response = http::Response::from_parts(response_parts, body);
            Ok((
                response,
                Box::new(io) as Box<dyn Future<Output = Result<(), HttpError>> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_keep_path_and_query() {
        let uri: http::Uri = "https://graph.microsoft.com/v1.0/me/mailFolders?%24top=1"
            .parse()
            .unwrap();
        assert_eq!(
            rerouted(&uri, "http://127.0.0.1:8765").unwrap().to_string(),
            "http://127.0.0.1:8765/v1.0/me/mailFolders?%24top=1"
        );
    }

    #[test]
    fn capture_keeps_the_head_and_counts_everything() {
        let mut c = Capture::new(4);
        c.record(b"abc");
        c.record(b"defgh");
        assert_eq!(c.head, b"abcd");
        assert_eq!(c.total, 8);
    }
}
