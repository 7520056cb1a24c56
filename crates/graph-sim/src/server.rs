//! The HTTP server: accept loop, per-request logging and fault injection,
//! then dispatch to the identity or Graph front end.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::{AadError, GraphError};
use crate::faults::FaultKind;
use crate::log::RecordedRequest;
use crate::sim::{Sim, lock};
use crate::wire::{self, RawRequest, ReqMeta, Resp};
use crate::{graph, identity, time, upload};

/// Largest request body accepted (attachments come later; Graph's own
/// request limit is in this range).
const MAX_BODY: usize = 160 * 1024 * 1024;

/// Serves until `stop` flips to true, then lets open exchanges finish.
pub(crate) async fn run(listener: TcpListener, sim: Arc<Sim>, mut stop: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let sim = sim.clone();
                let service = service_fn(move |req| serve(sim.clone(), req));
                let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // Errors here are the client going away or a
                    // ConnectionReset fault; neither concerns the server.
                    let _ = conn.await;
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
}

/// A response body: whole, or (the CutBody fault) its first half and then an
/// error, which makes hyper abort the connection mid-body.
type Body = http_body_util::Either<Full<Bytes>, CutShort>;

/// One exchange, with the CutBody fault applied last.
async fn serve(sim: Arc<Sim>, req: Request<Incoming>) -> Result<Response<Body>, io::Error> {
    let (resp, cut) = serve_whole(sim, req).await?;
    if !cut {
        return Ok(resp.map(http_body_util::Either::Left));
    }
    let (parts, body) = resp.into_parts();
    let Ok(collected) = body.collect().await;
    let bytes = collected.to_bytes();
    let half = bytes.slice(..bytes.len() / 2);
    Ok(Response::from_parts(
        parts,
        http_body_util::Either::Right(CutShort {
            half: Some(half),
            pause: None,
        }),
    ))
}

/// Half a body, a pause (so the head and the half are on the wire), then a reset.
pub(crate) struct CutShort {
    half: Option<Bytes>,
    pause: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl hyper::body::Body for CutShort {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, io::Error>>> {
        use std::future::Future;
        use std::task::Poll;
        if let Some(half) = self.half.take() {
            self.pause = Some(Box::pin(tokio::time::sleep(
                std::time::Duration::from_millis(100),
            )));
            return Poll::Ready(Some(Ok(hyper::body::Frame::data(half))));
        }
        if let Some(pause) = self.pause.as_mut()
            && pause.as_mut().poll(cx).is_pending()
        {
            return Poll::Pending;
        }
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "graph-sim fault: body cut short",
        ))))
    }
}

/// One exchange. Returning `Err` makes hyper drop the connection without
/// writing a response, which is how ConnectionReset is simulated; `true`
/// beside the response asks for its body to be cut short.
async fn serve_whole(sim: Arc<Sim>, req: Request<Incoming>) -> Result<(Resp, bool), io::Error> {
    let (parts, body) = req.into_parts();
    let (body, too_large) = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => (collected.to_bytes(), false),
        Err(_) => (Bytes::new(), true),
    };
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let seq = lock(&sim.log).arrive(RecordedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        query: query.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        status: 0,
        via_batch: false,
    });
    let meta = ReqMeta::from_headers(&parts.headers, time::now_unix());
    let raw = RawRequest {
        method: &parts.method,
        path: &path,
        query: &query,
        headers: &parts.headers,
        body: &body,
    };
    let fault = lock(&sim.faults).take(parts.method.as_str(), &path, &query);
    let resp = match fault {
        None if too_large => GraphError::new(
            413,
            "RequestEntityTooLarge",
            "The request body exceeds the maximum size.",
        )
        .render(&meta),
        None => dispatch(&sim, &meta, &raw),
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => fault_status(&meta, &raw, status, retry_after),
        Some(FaultKind::ExpiredToken) => {
            GraphError::unauthenticated("Lifetime validation failed, the token is expired.")
                .render(&meta)
        }
        Some(FaultKind::Delay(d)) => {
            tokio::time::sleep(d).await;
            dispatch(&sim, &meta, &raw)
        }
        Some(FaultKind::MalformedBody) => truncate(dispatch(&sim, &meta, &raw)).await,
        Some(FaultKind::LoseResponse) => {
            let done = dispatch(&sim, &meta, &raw);
            lock(&sim.log).complete(seq, done.status().as_u16());
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "graph-sim fault: response lost after the request was carried out",
            ));
        }
        Some(FaultKind::Respond {
            status,
            headers,
            body,
        }) => raw_response(status, &headers, body),
        Some(FaultKind::Rewrite(change)) => rewrite(dispatch(&sim, &meta, &raw), change).await,
        Some(FaultKind::CutBody) => {
            let resp = dispatch(&sim, &meta, &raw);
            lock(&sim.log).complete(seq, resp.status().as_u16());
            return Ok((resp, true));
        }
        Some(FaultKind::HugeBody(size)) => huge_body(size),
        Some(FaultKind::ConnectionReset) => {
            lock(&sim.log).complete(seq, 0);
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "graph-sim fault: connection reset",
            ));
        }
    };
    lock(&sim.log).complete(seq, resp.status().as_u16());
    Ok((resp, false))
}

fn segments(path: &str) -> Vec<String> {
    path.trim_start_matches('/')
        .split('/')
        .map(wire::decode_segment)
        .collect()
}

fn dispatch(sim: &Sim, meta: &ReqMeta, raw: &RawRequest<'_>) -> Resp {
    let segs = segments(raw.path);
    if identity::owns(&segs) {
        identity::handle(sim, meta, raw, &segs)
    } else if graph::owns(&segs) {
        graph::handle(sim, meta, raw, &segs)
    } else if upload::owns(&segs) {
        upload::handle(sim, meta, raw, &segs)
    } else {
        GraphError::new(
            400,
            "BadRequest",
            format!(
                "Invalid version: {}",
                segs.first().map_or("", String::as_str)
            ),
        )
        .render(meta)
    }
}

/// A Status fault answers in the shape of the endpoint it hits: AAD's
/// error body on identity paths, Graph's elsewhere.
fn fault_status(
    meta: &ReqMeta,
    raw: &RawRequest<'_>,
    status: u16,
    retry_after: Option<String>,
) -> Resp {
    let mut resp = if identity::owns(&segments(raw.path)) {
        let error = if status == 429 || status >= 500 {
            "temporarily_unavailable"
        } else {
            "invalid_request"
        };
        AadError::new(
            status,
            error,
            90033,
            "A transient error has occurred. Please try again.",
        )
        .render(meta)
    } else {
        GraphError::for_status(status).render(meta)
    };
    if let Some(value) = retry_after
        && let Ok(v) = http::HeaderValue::from_str(&value)
    {
        resp.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    resp
}

/// Cuts the body in half so it no longer parses; a 2xx status is kept,
/// anything else becomes 200 (the client must not see an error code).
async fn truncate(resp: Resp) -> Resp {
    let (mut parts, body) = resp.into_parts();
    let Ok(collected) = body.collect().await;
    let bytes = collected.to_bytes();
    let cut = if bytes.is_empty() {
        Bytes::from_static(b"{\"value\":[{\"id\":\"")
    } else {
        bytes.slice(..bytes.len() / 2)
    };
    if !parts.status.is_success() {
        parts.status = StatusCode::OK;
    }
    parts.headers.remove(http::header::CONTENT_LENGTH);
    parts.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Resp::from_parts(parts, Full::new(cut))
}

/// Any status, headers and body: what a hostile server sends.
fn raw_response(status: u16, headers: &[(String, String)], body: Vec<u8>) -> Resp {
    let mut resp = Resp::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}

/// The real answer with its JSON changed by `change`; a body that is not JSON
/// is passed on as it is.
async fn rewrite(resp: Resp, change: fn(&mut serde_json::Value)) -> Resp {
    let (mut parts, body) = resp.into_parts();
    let Ok(collected) = body.collect().await;
    let bytes = collected.to_bytes();
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Resp::from_parts(parts, Full::new(bytes));
    };
    change(&mut value);
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Resp::from_parts(parts, Full::new(Bytes::from(value.to_string())))
}

/// 200 with `size` bytes of JSON-looking filler.
fn huge_body(size: usize) -> Resp {
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(b"{\"value\":\"");
    body.resize(size.saturating_sub(2).max(body.len()), b'x');
    body.extend_from_slice(b"\"}");
    raw_response(
        200,
        &[("content-type".into(), "application/json".into())],
        body,
    )
}
