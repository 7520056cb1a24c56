//! HTTP values exchanged with the transport, and URL building with strict encoding.

// Server answers reach this module: nothing here may panic or overflow on them.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    /// Absolute URL.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The transport stops reading past this many body bytes and answers
    /// [`TransportError::TooLarge`]; None: the transport's own cap.
    pub max_response_bytes: Option<u64>,
    /// The whole exchange may take at most this long (the command's deadline
    /// minus what it has used); None: the transport's own timeouts.
    pub timeout: Option<Duration>,
}

impl HttpRequest {
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        HttpRequest {
            method: method.to_string(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            max_response_bytes: None,
            timeout: None,
        }
    }

    /// Caps the response body at `bytes`, counted while it arrives.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn json_body(mut self, body: &serde_json::Value) -> Self {
        self.body = body.to_string().into_bytes();
        self.header("Content-Type", "application/json")
    }

    pub fn form_body(mut self, fields: &[(&str, &str)]) -> Self {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            form.append_pair(k, v);
        }
        self.body = form.finish().into_bytes();
        self.header("Content-Type", "application/x-www-form-urlencoded")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why no (whole) response came back. Each class is handled and worded on its
/// own: only [`TransportError::Network`] and [`TransportError::CutShort`] may
/// be helped by sending again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The host refused to let the request out (allowlist, a host limit).
    Denied(String),
    /// The request we built cannot be sent (URL, header, method); it did not
    /// leave, and sending it again cannot help.
    InvalidRequest(String),
    /// Timeout, reset or refused connection before a response: the request
    /// may or may not have arrived.
    Network(String),
    /// The response began but its body stopped before the end.
    CutShort(String),
    /// The response body passed `limit` bytes; reading stopped there.
    TooLarge { limit: u64 },
    /// The server's answer breaks HTTP (bad head, bad framing).
    Protocol(String),
}

/// Bytes of one header (name and value) the transport sends at most; wasi:http
/// hosts refuse (or trap on) larger fields.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Path segments: everything but unreserved characters and `@` is encoded, so ids with
/// `/ + =` and guest UPNs with `#` stay one segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Query values: like segments, but space becomes %20 (Graph reads `+` literally in $filter).
const QUERY_VALUE: &AsciiSet = SEGMENT;

pub fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// `?k=v&k2=v2` with encoded values; empty when there are no pairs.
pub fn query(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
        .collect();
    format!("?{}", parts.join("&"))
}

/// The `scheme://host[:port]` part of a URL, lower-cased.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() {
        return None;
    }
    Some(format!("{}://{}", scheme, authority).to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_guest_upns_stay_one_segment() {
        assert_eq!(segment("AAMk/ab+c=="), "AAMk%2Fab%2Bc%3D%3D");
        assert_eq!(
            segment("partner_fabrikam.example#EXT#@contoso.example"),
            "partner_fabrikam.example%23EXT%23@contoso.example"
        );
    }

    #[test]
    fn query_encodes_spaces_and_quotes() {
        assert_eq!(
            query(&[("$filter", "subject eq 'a+b'".into()), ("$top", "5".into())]),
            "?$filter=subject%20eq%20%27a%2Bb%27&$top=5"
        );
        assert_eq!(query(&[]), "");
    }

    #[test]
    fn origin_ignores_path_and_case() {
        assert_eq!(
            origin("https://Graph.Microsoft.com/v1.0/me?x=1").as_deref(),
            Some("https://graph.microsoft.com")
        );
        assert_eq!(origin("no-scheme"), None);
    }
}
