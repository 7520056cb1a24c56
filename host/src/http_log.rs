//! `--http-log FILE`: one JSON object per exchange, appended, secrets redacted.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use crate::redact::Redactor;

/// Bodies longer than this are cut in the log.
const MAX_LOGGED_BODY: usize = 16 * 1024;

pub struct HttpLog {
    file: Mutex<std::fs::File>,
}

pub struct Exchange<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub routed_to: Option<&'a str>,
    pub request_headers: &'a [(String, String)],
    /// The body's first bytes (all of it when short) and its length in all.
    pub request_body: &'a [u8],
    pub request_body_len: u64,
    pub status: Option<u16>,
    pub response_headers: &'a [(String, String)],
    pub response_body: &'a [u8],
    pub response_body_len: u64,
    pub duration_ms: f64,
    pub error: Option<String>,
}

impl HttpLog {
    pub fn open(path: &Path) -> std::io::Result<HttpLog> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(HttpLog {
            file: Mutex::new(file),
        })
    }

    pub fn write(&self, exchange: &Exchange<'_>, redactor: &Redactor) {
        let line = entry(exchange, redactor).to_string();
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(file, "{line}");
    }
}

fn headers(list: &[(String, String)], redactor: &Redactor) -> Value {
    let mut map = Map::new();
    for (k, v) in list {
        map.insert(k.to_ascii_lowercase(), Value::String(redactor.header(k, v)));
    }
    Value::Object(map)
}

fn content_type(list: &[(String, String)]) -> String {
    list.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default()
}

/// JSON bodies as JSON, forms redacted field by field, anything else as text redacted
/// first and cut after, so no secret that straddles the cut leaks its first characters.
/// `head` is the body's beginning (the transport keeps more of it than is logged, longer
/// than the longest secret) and `total` its length in all.
fn body(head: &[u8], total: u64, content_type: &str, redactor: &Redactor) -> Value {
    if head.is_empty() {
        return Value::Null;
    }
    let whole = head.len() as u64 == total;
    if whole && let Ok(v) = serde_json::from_slice::<Value>(head) {
        return redactor.json(&v);
    }
    let text = String::from_utf8_lossy(head);
    let text = if content_type.contains("x-www-form-urlencoded") {
        redactor.form(&text)
    } else {
        redactor.text(&text)
    };
    if text.len() > MAX_LOGGED_BODY || !whole {
        let mut cut = MAX_LOGGED_BODY.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        Value::String(format!("{}... ({total} bytes in all)", &text[..cut]))
    } else {
        Value::String(text)
    }
}

pub fn entry(x: &Exchange<'_>, redactor: &Redactor) -> Value {
    let mut v = json!({
        "method": x.method,
        "url": redactor.text(x.url),
        "request-headers": headers(x.request_headers, redactor),
        "request-body": body(x.request_body, x.request_body_len, &content_type(x.request_headers), redactor),
        "status": x.status,
        "response-headers": headers(x.response_headers, redactor),
        "response-body": body(x.response_body, x.response_body_len, &content_type(x.response_headers), redactor),
        "duration-ms": (x.duration_ms * 1000.0).round() / 1000.0,
    });
    if let Some(r) = x.routed_to {
        v["routed-to"] = json!(redactor.text(r));
    }
    if let Some(e) = &x.error {
        v["error"] = json!(e);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_across_the_cut_is_redacted_before_cutting() {
        let secret = "s3cret-value-that-straddles";
        let redactor = Redactor::new([secret.to_string()]);
        // The secret starts 5 bytes before the logged length ends.
        let mut text = "x".repeat(MAX_LOGGED_BODY - 5);
        text.push_str(secret);
        text.push_str(&"y".repeat(100));
        let logged = body(text.as_bytes(), text.len() as u64, "text/plain", &redactor);
        let logged = logged.as_str().unwrap();
        assert!(!logged.contains("s3cre"), "no prefix of the secret leaks");
        assert!(logged.contains("bytes in all"), "{logged}");
    }

    #[test]
    fn a_partial_json_body_is_logged_as_cut_text() {
        let redactor = Redactor::new(["tok-abcdef".to_string()]);
        let head = br#"{"a": "tok-abcdef", "b": "#;
        let logged = body(head, 10_000, "application/json", &redactor);
        let logged = logged.as_str().unwrap();
        assert!(!logged.contains("tok-abcdef"), "{logged}");
        assert!(logged.ends_with("(10000 bytes in all)"), "{logged}");
    }
}
