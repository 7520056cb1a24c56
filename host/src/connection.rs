//! The connection file (flat JSON with the WIT field names, or the vendor document's
//! labels) turned into the WIT `connection` shape, plus what the host itself needs from
//! it: the cloud's hosts for the allowlist, the tenant for the file store, the secrets
//! for redaction.

use serde_json::{Map, Value, json};

use crate::egress::EgressPolicy;
use crate::values::InputError;

/// The seed's default delegated scope.
pub const DEFAULT_SCOPE: &str = "offline_access https://graph.microsoft.com/mail.ReadWrite https://graph.microsoft.com/mail.Send";

/// Login and Graph host of each cloud (reference §1.1), by WIT enum name.
pub fn cloud_hosts(environment: &str) -> (&'static str, &'static str) {
    match environment {
        "gcc-high" => ("login.microsoftonline.us", "graph.microsoft.us"),
        "dod" => ("login.microsoftonline.us", "dod-graph.microsoft.us"),
        "china" => ("login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn"),
        _ => ("login.microsoftonline.com", "graph.microsoft.com"),
    }
}

/// Hosts of the pre-authenticated upload URLs Graph's `createUploadSession` returns for
/// mail attachments, per cloud. They carry no token (the URL is its own credential);
/// GCC High and DoD have no upload sessions for mail, so none.
pub fn upload_hosts(environment: &str) -> &'static [&'static str] {
    match environment {
        "gcc-high" | "dod" => &[],
        "china" => &["partner.outlook.cn"],
        _ => &["outlook.office.com", "outlook.office365.com"],
    }
}

/// Every cloud host, for routing them all to a simulator.
pub const ALL_CLOUD_HOSTS: [&str; 10] = [
    "login.microsoftonline.com",
    "graph.microsoft.com",
    "outlook.office.com",
    "outlook.office365.com",
    "login.microsoftonline.us",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "login.chinacloudapi.cn",
    "microsoftgraph.chinacloudapi.cn",
    "partner.outlook.cn",
];

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionInfo {
    /// The platform's name for the connection; the host scopes the guest's state by it.
    pub id: String,
    /// The WIT `connection` record as JSON (`grant` as a variant).
    pub wit: Value,
    pub environment: String,
    pub tenant_id: String,
    pub client_id: String,
    pub secrets: Vec<String>,
}

impl ConnectionInfo {
    /// The cloud's login and Graph hosts, and its attachment upload hosts.
    pub fn allowed_hosts(&self) -> Vec<String> {
        let (login, graph) = cloud_hosts(&self.environment);
        let mut hosts = vec![login.to_string(), graph.to_string()];
        hosts.extend(
            upload_hosts(&self.environment)
                .iter()
                .map(|h| h.to_string()),
        );
        hosts
    }
}

impl ConnectionInfo {
    /// What this connection's guest may reach: its cloud's login host under its own
    /// tenant, its cloud's Graph host, and its cloud's upload hosts without a token.
    pub fn egress_policy(
        &self,
        routes: &[(String, String)],
        denied_hosts: &[String],
    ) -> EgressPolicy {
        let (login, graph) = cloud_hosts(&self.environment);
        EgressPolicy {
            login_host: login.to_string(),
            tenant: self.tenant_id.trim().to_string(),
            graph_host: graph.to_string(),
            upload_hosts: upload_hosts(&self.environment)
                .iter()
                .map(|h| h.to_string())
                .collect(),
            denied_hosts: denied_hosts.to_vec(),
            routes: routes.to_vec(),
        }
    }
}

/// Looks a field up by WIT name or by label, case-insensitively.
fn field<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| names.iter().any(|n| n.eq_ignore_ascii_case(k.trim())))
        .map(|(_, v)| v)
}

fn text(map: &Map<String, Value>, names: &[&str]) -> String {
    match field(map, names) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn bad(parameter: &str, message: String) -> InputError {
    InputError {
        parameter: parameter.to_string(),
        message,
    }
}

/// The longest connection id a platform may pass.
const MAX_CONNECTION_ID: usize = 256;

/// `id` is the platform's name for the connection (see `Runtime::run_command`).
pub fn parse(id: &str, value: &Value) -> Result<ConnectionInfo, InputError> {
    if id.trim().is_empty() || id.len() > MAX_CONNECTION_ID || id.chars().any(char::is_control) {
        return Err(bad(
            "Connection ID",
            format!(
                "must be 1 to {MAX_CONNECTION_ID} characters without control characters: the platform's name for this connection."
            ),
        ));
    }
    let map = value
        .as_object()
        .ok_or_else(|| bad("Connection", "must be a JSON object.".into()))?;
    let environment_given = text(map, &["environment", "Microsoft 365 Environment"]);
    let environment = match environment_given.trim().to_ascii_lowercase().as_str() {
        "" | "commercial-gcc" | "commercial & gcc environment" | "commercial" | "gcc" => {
            "commercial-gcc"
        }
        "gcc-high" | "gcc high environment (level 4)" | "gcc high" => "gcc-high",
        "dod" | "dod environment (level 5)" => "dod",
        "china" | "21vianet" => "china",
        other => {
            return Err(bad(
                "Microsoft 365 Environment",
                format!("'{other}' is not one of commercial-gcc, gcc-high, dod, china."),
            ));
        }
    };
    let tenant_id = text(map, &["tenant-id", "Tenant ID"]);
    let client_id = text(map, &["client-id", "Client ID"]);
    let client_secret = text(map, &["client-secret", "Client Secret"]);
    let api_version = match text(map, &["api-version", "API Version"]) {
        v if v.trim().is_empty() => "v1.0".to_string(),
        v => v,
    };
    let grant_type = text(map, &["grant-type", "Grant Type"]);
    let mut secrets = vec![client_secret.clone()];
    let grant = match grant_type
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '_'], "-")
        .as_str()
    {
        "client-credentials" | "client-credential" => json!({"client-credentials": {
            "client-id": client_id, "client-secret": client_secret,
        }}),
        "authorization-code" => {
            let scope = match text(map, &["scope", "Scope"]) {
                s if s.trim().is_empty() => DEFAULT_SCOPE.to_string(),
                s => s,
            };
            let code = text(map, &["authorization-code", "Authorization Code"]);
            let refresh = text(map, &["refresh-token", "Refresh Token"]);
            let account = text(map, &["account", "Account"]);
            secrets.push(code.clone());
            secrets.push(refresh.clone());
            json!({"authorization-code": {
                "client-id": client_id,
                "client-secret": client_secret,
                "scope": scope,
                "callback-url": text(map, &["callback-url", "Callback URL"]),
                "authorization-code": code,
                "refresh-token": refresh,
                "account": (!account.trim().is_empty()).then_some(account),
            }})
        }
        "" => {
            return Err(bad(
                "Grant Type",
                "is required: client-credentials or authorization-code.".into(),
            ));
        }
        other => {
            return Err(bad(
                "Grant Type",
                format!("'{other}' is not client-credentials or authorization-code."),
            ));
        }
    };
    secrets.retain(|s| !s.is_empty());
    Ok(ConnectionInfo {
        id: id.to_string(),
        wit: json!({
            "environment": environment,
            "tenant-id": tenant_id,
            "grant": grant,
            "api-version": api_version,
        }),
        environment: environment.to_string(),
        tenant_id,
        client_id,
        secrets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_names_both_work() {
        let c = parse("c1", &json!({"Microsoft 365 Environment": "GCC High", "Tenant ID": "t", "Grant Type": "Client Credentials",
            "Client ID": "c", "Client Secret": "s3cret"}))
        .unwrap();
        assert_eq!(c.environment, "gcc-high");
        assert_eq!(
            c.wit["grant"]["client-credentials"]["client-secret"],
            "s3cret"
        );
        assert_eq!(
            c.allowed_hosts(),
            vec!["login.microsoftonline.us", "graph.microsoft.us"],
            "GCC High has no upload host"
        );
        let commercial = parse("c1", &json!({"grant-type": "client-credentials"})).unwrap();
        assert_eq!(
            commercial.allowed_hosts(),
            vec![
                "login.microsoftonline.com",
                "graph.microsoft.com",
                "outlook.office.com",
                "outlook.office365.com"
            ]
        );
        assert_eq!(c.wit["api-version"], "v1.0");
    }

    #[test]
    fn unknown_environment_names_the_parameter() {
        let e = parse(
            "c1",
            &json!({"environment": "mars", "grant-type": "client-credentials"}),
        )
        .unwrap_err();
        assert_eq!(e.parameter, "Microsoft 365 Environment");
    }

    #[test]
    fn delegated_defaults_scope_and_collects_secrets() {
        let c = parse("c1", &json!({"grant-type": "authorization-code", "client-secret": "abcd", "refresh-token": "rt-123"})).unwrap();
        assert_eq!(c.wit["grant"]["authorization-code"]["scope"], DEFAULT_SCOPE);
        assert_eq!(c.secrets, vec!["abcd", "rt-123"]);
    }
}
