//! What the host itself needs from a connection: the platform's id for it, its cloud's
//! hosts for the allowlist, the tenant, the secrets for redaction. The connection is read
//! by the core's own reader ([`o365_core::connection_json`]), the same code the component
//! runs in `json-entry.invoke`, so host and component never disagree on a connection.

use o365_core::cloud::Cloud;
use o365_core::model::{Connection, Grant};
use serde_json::Value;
use wasmtime::component::Val;

use crate::egress::EgressPolicy;

/// A connection that does not fit: the field's label and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub parameter: String,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.parameter, self.message)
    }
}

impl std::error::Error for InputError {}

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
    /// The connection as the component reads it.
    pub connection: Connection,
    /// The connection's secrets: client secret, authorization code, refresh token.
    pub secrets: Vec<String>,
}

impl ConnectionInfo {
    fn cloud(&self) -> Cloud {
        Cloud::of(self.connection.environment)
    }

    /// The cloud's login and Graph hosts, and its attachment upload hosts.
    pub fn allowed_hosts(&self) -> Vec<String> {
        let cloud = self.cloud();
        let mut hosts = vec![cloud.login_host.to_string(), cloud.graph_host.to_string()];
        hosts.extend(cloud.upload_hosts.iter().map(|h| h.to_string()));
        hosts
    }

    /// What this connection's guest may reach: its cloud's login host under its own
    /// tenant, its cloud's Graph host, and its cloud's upload hosts without a token.
    pub fn egress_policy(
        &self,
        routes: &[(String, String)],
        denied_hosts: &[String],
    ) -> EgressPolicy {
        let cloud = self.cloud();
        EgressPolicy {
            login_host: cloud.login_host.to_string(),
            tenant: self.connection.tenant_id.trim().to_string(),
            graph_host: cloud.graph_host.to_string(),
            upload_hosts: cloud.upload_hosts.iter().map(|h| h.to_string()).collect(),
            denied_hosts: denied_hosts.to_vec(),
            routes: routes.to_vec(),
        }
    }

    /// The WIT `connection` record, for the typed exports (the connection's buttons).
    pub fn to_val(&self) -> Val {
        let text = |s: &str| Val::String(s.to_string());
        let optional = |s: &Option<String>| Val::Option(s.as_deref().map(|s| Box::new(text(s))));
        let c = &self.connection;
        let grant = match &c.grant {
            Grant::ClientCredentials(g) => Val::Variant(
                "client-credentials".into(),
                Some(Box::new(Val::Record(vec![
                    ("client-id".into(), text(&g.client_id)),
                    ("client-secret".into(), text(&g.client_secret)),
                ]))),
            ),
            Grant::AuthorizationCode(g) => Val::Variant(
                "authorization-code".into(),
                Some(Box::new(Val::Record(vec![
                    ("client-id".into(), text(&g.client_id)),
                    ("client-secret".into(), text(&g.client_secret)),
                    ("scope".into(), text(&g.scope)),
                    ("callback-url".into(), text(&g.callback_url)),
                    ("authorization-code".into(), optional(&g.authorization_code)),
                    ("refresh-token".into(), optional(&g.refresh_token)),
                    ("account".into(), optional(&g.account)),
                ]))),
            ),
        };
        Val::Record(vec![
            (
                "environment".into(),
                Val::Enum(c.environment.as_str().into()),
            ),
            ("tenant-id".into(), text(&c.tenant_id)),
            ("grant".into(), grant),
            ("api-version".into(), text(&c.api_version)),
        ])
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
    let connection = o365_core::connection_json::from_json(value).map_err(|e| match e {
        o365_core::Error::Input { parameter, message } => InputError { parameter, message },
        other => bad("Connection", other.user_message()),
    })?;
    Ok(ConnectionInfo {
        id: id.to_string(),
        secrets: connection.secrets(),
        connection,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_cloud_decides_the_allowed_hosts() {
        let c = parse("c1", &json!({"Microsoft 365 Environment": "GCC High", "Tenant ID": "t", "Grant Type": "Client Credentials",
            "Client ID": "c", "Client Secret": "s3cret"}))
        .unwrap();
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
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse(
            "c1",
            &json!({"environment": "mars", "grant-type": "client-credentials"}),
        )
        .unwrap_err();
        assert_eq!(e.parameter, "Microsoft 365 Environment");
        let e = parse("", &json!({"grant-type": "client-credentials"})).unwrap_err();
        assert_eq!(e.parameter, "Connection ID");
    }

    #[test]
    fn secrets_are_collected_for_redaction() {
        let c = parse("c1", &json!({"grant-type": "authorization-code", "client-secret": "abcd", "refresh-token": "rt-123"})).unwrap();
        assert_eq!(c.secrets, vec!["abcd", "rt-123"]);
    }
}
