//! The connection and the common result, mirroring the WIT `types` interface.

use serde_json::{Value, json};

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

    /// Replaces every occurrence of the given secrets in the result's text.
    pub fn redact(&mut self, secrets: &[String]) {
        let secrets: Vec<&String> = secrets.iter().filter(|s| s.len() >= 4).collect();
        if secrets.is_empty() {
            return;
        }
        let scrub = |s: &str| -> String {
            let mut out = s.to_string();
            for secret in &secrets {
                out = out.replace(secret.as_str(), "[REDACTED]");
            }
            out
        };
        let scrub_value = |v: &mut Value| {
            let text = v.to_string();
            if secrets.iter().any(|s| text.contains(s.as_str())) {
                *v = serde_json::from_str(&scrub(&text)).unwrap_or(Value::Null);
            }
        };
        scrub_value(&mut self.raw_data);
        scrub_value(&mut self.key_fields);
        scrub_value(&mut self.context_data);
        self.events.iter_mut().for_each(scrub_value);
        for e in &mut self.errors {
            e.message = scrub(&e.message);
            e.failure_indicator = scrub(&e.failure_indicator);
        }
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
        r.redact(&["s3cr3t+/=".to_string()]);
        assert_eq!(r.errors[0].message, "bad secret [REDACTED]");
        assert_eq!(r.raw_data, json!({"echo": "[REDACTED]"}));
    }
}
