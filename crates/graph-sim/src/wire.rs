//! Request metadata and response builders shared by the identity and Graph
//! front ends, so both answer with the same headers and body conventions.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use crate::ids;

/// The response type every handler produces.
pub(crate) type Resp = Response<Full<Bytes>>;

/// What the front ends need to know about the request besides its route.
#[derive(Clone, Debug)]
pub(crate) struct ReqMeta {
    /// Our id for this request (Graph `request-id`, AAD `trace_id`).
    pub request_id: String,
    /// The caller's `client-request-id`, echoed back for correlation.
    pub client_request_id: Option<String>,
    /// The host the client originally addressed (set by the host under
    /// test), e.g. `graph.microsoft.com`.
    pub forwarded_host: Option<String>,
    /// The sim's own `Host` header, used when nothing was forwarded.
    pub host: String,
    /// Request time, Unix seconds.
    pub now: u64,
}

impl ReqMeta {
    pub(crate) fn from_headers(headers: &HeaderMap, now: u64) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        // A proxy chain may list several hosts; the first is the client's.
        let forwarded_host = text("x-forwarded-host")
            .and_then(|v| v.split(',').next().map(|h| h.trim().to_ascii_lowercase()));
        ReqMeta {
            request_id: ids::random_guid(),
            client_request_id: text("client-request-id"),
            forwarded_host,
            host: text("host").unwrap_or_else(|| "localhost".into()),
            now,
        }
    }

    /// Scheme and authority clients should use for absolute links: the
    /// forwarded cloud host over https, else the sim itself over http.
    pub(crate) fn public_origin(&self) -> String {
        match &self.forwarded_host {
            Some(h) => format!("https://{h}"),
            None => format!("http://{}", self.host),
        }
    }
}

/// A JSON response with the given content type and extra headers.
pub(crate) fn json_with(
    status: StatusCode,
    content_type: &'static str,
    body: &serde_json::Value,
    extra: &[(&str, String)],
) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = empty(status, extra);
    *resp.body_mut() = Full::new(Bytes::from(bytes));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// A raw byte response (`$value`).
pub(crate) fn bytes_with(
    status: StatusCode,
    content_type: &str,
    body: Vec<u8>,
    extra: &[(&str, String)],
) -> Resp {
    let mut resp = empty(status, extra);
    *resp.body_mut() = Full::new(Bytes::from(body));
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

/// A bodiless response (302 redirects, 202/204 later).
pub(crate) fn empty(status: StatusCode, extra: &[(&str, String)]) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = status;
    for (name, value) in extra {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}

/// Percent-decodes one path segment (after splitting on `/`, so an encoded
/// `%2F` inside an id stays part of that id).
pub(crate) fn decode_segment(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

/// Parses an `application/x-www-form-urlencoded` string (query or body).
pub(crate) fn parse_form(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// First value of a form field; names compared case-sensitively like AAD.
pub(crate) fn form_get<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The parts of an incoming request the front ends route on.
pub(crate) struct RawRequest<'a> {
    pub method: &'a http::Method,
    /// Raw path, still percent-encoded.
    pub path: &'a str,
    /// Raw query string without `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}
