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
    pub request_body: &'a [u8],
    pub status: Option<u16>,
    pub response_headers: &'a [(String, String)],
    pub response_body: &'a [u8],
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
        let mut file = self.file.lock().unwrap();
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

/// JSON bodies as JSON, forms redacted field by field, anything else as cut text.
fn body(bytes: &[u8], content_type: &str, redactor: &Redactor) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        return redactor.json(&v);
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_LOGGED_BODY)]).into_owned();
    let text = if content_type.contains("x-www-form-urlencoded") {
        redactor.form(&text)
    } else {
        redactor.text(&text)
    };
    if bytes.len() > MAX_LOGGED_BODY {
        Value::String(format!("{text}... ({} bytes in all)", bytes.len()))
    } else {
        Value::String(text)
    }
}

pub fn entry(x: &Exchange<'_>, redactor: &Redactor) -> Value {
    let mut v = json!({
        "method": x.method,
        "url": redactor.text(x.url),
        "request-headers": headers(x.request_headers, redactor),
        "request-body": body(x.request_body, &content_type(x.request_headers), redactor),
        "status": x.status,
        "response-headers": headers(x.response_headers, redactor),
        "response-body": body(x.response_body, &content_type(x.response_headers), redactor),
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
