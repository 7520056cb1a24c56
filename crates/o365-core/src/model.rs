//! The connection and the common result, mirroring the WIT `types` interface.

use serde_json::{Value, json};

use crate::redaction::Scrubber;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    CommercialGcc,
    GccHigh,
    Dod,
    China,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::CommercialGcc => "commercial-gcc",
            Environment::GccHigh => "gcc-high",
            Environment::Dod => "dod",
            Environment::China => "china",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
    pub callback_url: String,
    pub authorization_code: Option<String>,
    pub refresh_token: Option<String>,
    /// The signed-in account (`oid.tid`) the refresh token belongs to, when known.
    pub account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    ClientCredentials(ClientCredentials),
    AuthorizationCode(AuthorizationCode),
}

impl Grant {
    pub fn client_id(&self) -> &str {
        match self {
            Grant::ClientCredentials(g) => &g.client_id,
            Grant::AuthorizationCode(g) => &g.client_id,
        }
    }

    pub fn client_secret(&self) -> &str {
        match self {
            Grant::ClientCredentials(g) => &g.client_secret,
            Grant::AuthorizationCode(g) => &g.client_secret,
        }
    }

    pub fn is_app_only(&self) -> bool {
        matches!(self, Grant::ClientCredentials(_))
    }

    pub fn label(&self) -> &'static str {
        match self {
            Grant::ClientCredentials(_) => "client-credentials",
            Grant::AuthorizationCode(_) => "authorization-code",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub environment: Environment,
    pub tenant_id: String,
    pub grant: Grant,
    pub api_version: String,
}

impl Connection {
    /// Every secret this connection carries, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = vec![self.grant.client_secret().to_string()];
        if let Grant::AuthorizationCode(g) = &self.grant {
            out.extend(g.authorization_code.clone());
            out.extend(g.refresh_token.clone());
        }
        out.retain(|s| !s.is_empty());
        out
    }
}

/// `{"value": items}`, Graph's collection shape, taking the items over (`json!` would
/// copy them: a fetch's items are megabytes).
pub fn collection(items: Vec<Value>) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("value".into(), Value::Array(items));
    Value::Object(map)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Successful,
    PartiallySuccessful,
    Failed,
}

impl Status {
    /// Successful when nothing failed, failed when nothing succeeded.
    pub fn from_counts(succeeded: usize, failed: usize) -> Status {
        match (succeeded, failed) {
            (_, 0) => Status::Successful,
            (0, _) => Status::Failed,
            _ => Status::PartiallySuccessful,
        }
    }
}

/// One entry of the Error tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    pub failure_indicator: String,
    pub status_code: u16,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub file_id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommandResult {
    pub status: Status,
    pub raw_data: Value,
    pub key_fields: Value,
    pub context_data: Value,
    pub errors: Vec<CommandError>,
    pub events: Vec<Value>,
    pub files: Vec<StoredFile>,
    /// Secrets the JSON parts are scrubbed of when written ([`CommandResult::into_wire`]).
    /// Never shown, not even by `{:?}`.
    pub(crate) scrub_on_write: secret_scan::Secrets,
}

impl CommandResult {
    pub fn new(status: Status) -> Self {
        CommandResult {
            status,
            raw_data: json!({}),
            key_fields: json!({}),
            context_data: json!({}),
            errors: Vec::new(),
            events: Vec::new(),
            files: Vec::new(),
            scrub_on_write: secret_scan::Secrets::default(),
        }
    }

    /// A failed result with one error.
    pub fn failed(
        failure_indicator: impl Into<String>,
        status_code: u16,
        message: impl Into<String>,
    ) -> Self {
        let mut r = CommandResult::new(Status::Failed);
        r.errors.push(CommandError {
            failure_indicator: failure_indicator.into(),
            status_code,
            message: message.into(),
        });
        r
    }

    /// Replaces every occurrence of the given secrets in the result: in the
    /// errors at once, in each string and key of the JSON parts in place.
    pub fn redact(&mut self, secrets: &[String]) {
        let scrubber = Scrubber::new(secrets);
        if scrubber.is_empty() {
            return;
        }
        scrubber.json(&mut self.raw_data);
        scrubber.json(&mut self.key_fields);
        scrubber.json(&mut self.context_data);
        self.events.iter_mut().for_each(|e| scrubber.json(e));
        scrubber.errors(&mut self.errors);
    }

    /// Like [`CommandResult::redact`], but the JSON parts are scrubbed when written
    /// as text ([`CommandResult::into_wire`]): one search of the text instead of a
    /// walk over a fetch's hundreds of thousands of values.
    pub fn redact_on_write(&mut self, secrets: Vec<String>) {
        Scrubber::new(&secrets).errors(&mut self.errors);
        secrets.into_iter().for_each(|s| self.scrub_on_write.add(s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_counts() {
        assert_eq!(Status::from_counts(3, 0), Status::Successful);
        assert_eq!(Status::from_counts(0, 2), Status::Failed);
        assert_eq!(Status::from_counts(1, 1), Status::PartiallySuccessful);
    }

    #[test]
    fn redaction_reaches_json_and_errors() {
        let mut r = CommandResult::failed("X failed.", 401, "bad secret s3cr3t+/=");
        r.raw_data = json!({"echo": "s3cr3t+/="});
        r.events = vec![json!({"k s3cr3t+/= k": ["x s3cr3t+/="]})];
        r.redact(&["s3cr3t+/=".to_string()]);
        assert_eq!(r.errors[0].message, "bad secret [REDACTED]");
        assert_eq!(r.raw_data, json!({"echo": "[REDACTED]"}));
        assert_eq!(r.events[0], json!({"k [REDACTED] k": ["x [REDACTED]"]}));
    }
}
