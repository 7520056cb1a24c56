//! Scrubs secrets from anything the host writes: known secret strings, secret-named
//! fields in JSON and forms, bearer tokens and JWT-shaped strings.

use std::sync::{Arc, PoisonError, RwLock};

use serde_json::Value;

pub use secret_scan::MARK;
use secret_scan::Secrets;

/// Field names whose values are secrets wherever they appear.
const SECRET_KEYS: [&str; 10] = [
    "client_secret",
    "client-secret",
    "refresh_token",
    "refresh-token",
    "access_token",
    "id_token",
    "code",
    "code_verifier",
    "client_assertion",
    "authorization-code",
];

fn is_secret_key(key: &str) -> bool {
    SECRET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// In JSON, `code` is Graph's error code (`{"error":{"code":"ErrorItemNotFound"}}`), which
/// the HTTP log must keep; only the token request's form field `code` is a secret.
fn is_secret_json_key(key: &str) -> bool {
    !key.eq_ignore_ascii_case("code") && is_secret_key(key)
}

/// `xxx.yyy.zzz` with base64url parts and a JSON header: a JWT.
fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && s.starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Query parameters that carry a credential inside a URL (upload session URLs).
const URL_CREDENTIALS: [&str; 1] = ["authtoken="];

/// Whether `s` has one of [`URL_CREDENTIALS`]. Looks only before each `=`, which is rare
/// in the large base64 values of a result, so big results are scanned quickly.
fn has_url_credential(s: &str) -> bool {
    let bytes = s.as_bytes();
    URL_CREDENTIALS.iter().any(|key| {
        let name = key.trim_end_matches('=').as_bytes();
        memchr::memchr_iter(b'=', bytes)
            .any(|i| i >= name.len() && bytes[i - name.len()..i].eq_ignore_ascii_case(name))
    })
}

/// `...?authtoken=abc&x=1` -> `...?authtoken=[REDACTED]&x=1`, wherever such a URL appears.
fn redact_url_credentials(s: &str) -> String {
    let mut out = s.to_string();
    for key in URL_CREDENTIALS {
        let mut from = 0;
        while let Some(i) = out[from..].to_ascii_lowercase().find(key) {
            let start = from + i + key.len();
            let end = out[start..]
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace())
                .map_or(out.len(), |e| start + e);
            out.replace_range(start..end, MARK);
            from = start + MARK.len();
        }
    }
    out
}

/// The secrets of one invocation. Clones share one set, so a token the transport learns
/// from a token response is redacted from the guest's logs and result as well.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Secrets>>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let redactor = Redactor::default();
        secrets.into_iter().for_each(|s| redactor.add(&s));
        redactor
    }

    /// Adds a secret, and its JSON-escaped form when that differs, so JSON text can be
    /// searched for it before anything is parsed (see [`Redactor::json_text`]).
    pub fn add(&self, secret: &str) {
        let mut set = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        set.add(secret.to_string());
        let escaped = serde_json::to_string(secret).unwrap_or_default();
        let escaped = escaped.trim_matches('"');
        if escaped != secret {
            set.add(escaped.to_string());
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Secrets) -> T) -> T {
        f(&self.secrets.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether `bytes` hold one of the secrets (a request to an upload host).
    pub fn has_secret(&self, bytes: &[u8]) -> bool {
        self.with(|s| s.found_in_bytes(bytes))
    }

    /// The length of the longest secret: a body cut for the log keeps this much more, so
    /// no secret straddles the cut unredacted.
    pub fn longest_secret(&self) -> usize {
        self.with(Secrets::longest)
    }

    pub fn text(&self, s: &str) -> String {
        let out = redact_url_credentials(s);
        self.with(|secrets| secrets.redacted(&out)).unwrap_or(out)
    }

    /// `text` (valid JSON) with every secret gone from its decoded strings, or None when it
    /// holds none. The text is searched first and parsed only when it may hold one: a
    /// decoded string holds a secret exactly when the text holds the secret as JSON escapes
    /// it, unless the text uses the optional escapes `\u` or `\/`, which could spell
    /// any secret; then it is parsed, scrubbed value by value, and written again.
    pub fn json_text(&self, text: &str) -> Option<String> {
        let optional_escapes = memchr::memmem::find(text.as_bytes(), b"\\u").is_some()
            || memchr::memmem::find(text.as_bytes(), b"\\/").is_some();
        if !optional_escapes && !self.has_secret(text.as_bytes()) && !has_url_credential(text) {
            return None;
        }
        let value: Value = serde_json::from_str(text).ok()?;
        let scrubbed = self.json_owned(value);
        serde_json::to_string(&scrubbed).ok()
    }

    pub fn json(&self, v: &Value) -> Value {
        self.json_owned(v.clone())
    }

    /// [`Redactor::json`] in place: a large result is searched, not copied.
    pub fn json_owned(&self, mut v: Value) -> Value {
        self.scrub(&mut v);
        v
    }

    fn scrub(&self, v: &mut Value) {
        match v {
            Value::String(s) if looks_like_jwt(s) => *s = MARK.into(),
            Value::String(s) if self.has_secret(s.as_bytes()) || has_url_credential(s) => {
                *s = self.text(s)
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.scrub(i)),
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if is_secret_json_key(k) && !v.is_null() {
                        *v = Value::String(MARK.into());
                    } else {
                        self.scrub(v);
                    }
                }
            }
            _ => {}
        }
    }

    /// A form body (`a=1&client_secret=...`) with secret fields replaced.
    pub fn form(&self, body: &str) -> String {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            let v = if is_secret_key(&k) {
                MARK.to_string()
            } else {
                self.text(&v)
            };
            out.append_pair(&k, &v);
        }
        out.finish()
    }

    /// A header value: bearer credentials never appear.
    pub fn header(&self, name: &str, value: &str) -> String {
        if name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("cookie") {
            let scheme = value.split_whitespace().next().unwrap_or("");
            return format!("{scheme} {MARK}");
        }
        self.text(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn graph_error_codes_stay_in_json_but_form_codes_go() {
        let r = Redactor::default();
        let v = json!({"error": {"code": "ErrorItemNotFound"}});
        assert_eq!(r.json(&v), v);
        assert_eq!(
            r.form("grant_type=authorization_code&code=abc"),
            "grant_type=authorization_code&code=%5BREDACTED%5D"
        );
    }

    #[test]
    fn secret_fields_and_jwts_go() {
        let r = Redactor::new(["p@ss+word".to_string()]);
        let v = json!({"access_token":"abc","note":"p@ss+word here","nested":[{"x":"eyJhbGciOi.eyJzdWIi.c2ln"}]});
        assert_eq!(
            r.json(&v),
            json!({"access_token":MARK,"note":"[REDACTED] here","nested":[{"x":MARK}]})
        );
        assert_eq!(
            r.form("grant_type=refresh_token&refresh_token=abc&scope=x"),
            "grant_type=refresh_token&refresh_token=%5BREDACTED%5D&scope=x"
        );
        assert_eq!(
            r.header("Authorization", "Bearer abc.def"),
            "Bearer [REDACTED]"
        );
        assert_eq!(
            r.text("https://outlook.office.com/api/v2.0/x?authtoken=eyJ0eXAi.a-b&n=1"),
            "https://outlook.office.com/api/v2.0/x?authtoken=[REDACTED]&n=1"
        );
        assert_eq!(
            r.json(&json!({"uploadUrl": "https://h/x?AuthToken=s3"})),
            json!({"uploadUrl": "https://h/x?AuthToken=[REDACTED]"})
        );
    }
}
