//! The connection as a platform keeps it: a flat JSON object with the WIT field names or
//! the vendor document's labels (any case), the environment by its WIT name or the vendor
//! document's wording, and the grant by its type. The component reads it in `invoke`, and
//! hosts read it natively with the same code for what they need themselves (the cloud for
//! the allowlist, the tenant, the secrets to redact).
//!
//! No error message carries a value of a secret field.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::model::{AuthorizationCode, ClientCredentials, Connection, Environment, Grant};

/// The seed's default delegated scope.
pub const DEFAULT_SCOPE: &str = "offline_access https://graph.microsoft.com/mail.ReadWrite https://graph.microsoft.com/mail.Send";

/// Reads the connection from JSON text.
pub fn from_text(text: &str) -> Result<Connection, Error> {
    let value: Value = serde_json::from_str(text)
        // serde_json's message gives a line and column, never the text itself.
        .map_err(|e| Error::input("Connection", format!("is not JSON: {e}.")))?;
    from_json(&value)
}

/// Reads the connection from a JSON value.
pub fn from_json(value: &Value) -> Result<Connection, Error> {
    let map = value
        .as_object()
        .ok_or_else(|| Error::input("Connection", "must be a JSON object."))?;
    let environment = environment(&text(map, &["environment", "Microsoft 365 Environment"]))?;
    let client_id = text(map, &["client-id", "Client ID"]);
    let client_secret = text(map, &["client-secret", "Client Secret"]);
    let api_version = match text(map, &["api-version", "API Version"]) {
        v if v.trim().is_empty() => "v1.0".to_string(),
        v => v,
    };
    let grant_type = text(map, &["grant-type", "Grant Type"]);
    let grant = match grant_type
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '_'], "-")
        .as_str()
    {
        "client-credentials" | "client-credential" => Grant::ClientCredentials(ClientCredentials {
            client_id,
            client_secret,
        }),
        "authorization-code" => Grant::AuthorizationCode(AuthorizationCode {
            client_id,
            client_secret,
            scope: match text(map, &["scope", "Scope"]) {
                s if s.trim().is_empty() => DEFAULT_SCOPE.to_string(),
                s => s,
            },
            callback_url: text(map, &["callback-url", "Callback URL"]),
            authorization_code: non_blank(text(map, &["authorization-code", "Authorization Code"])),
            refresh_token: non_blank(text(map, &["refresh-token", "Refresh Token"])),
            account: non_blank(text(map, &["account", "Account"])),
        }),
        "" => {
            return Err(Error::input(
                "Grant Type",
                "is required: client-credentials or authorization-code.",
            ));
        }
        other => {
            return Err(Error::input(
                "Grant Type",
                format!("'{other}' is not client-credentials or authorization-code."),
            ));
        }
    };
    Ok(Connection {
        environment,
        tenant_id: text(map, &["tenant-id", "Tenant ID"]),
        grant,
        api_version,
    })
}

fn environment(given: &str) -> Result<Environment, Error> {
    Ok(match given.trim().to_ascii_lowercase().as_str() {
        "" | "commercial-gcc" | "commercial & gcc environment" | "commercial" | "gcc" => {
            Environment::CommercialGcc
        }
        "gcc-high" | "gcc high environment (level 4)" | "gcc high" => Environment::GccHigh,
        "dod" | "dod environment (level 5)" => Environment::Dod,
        "china" | "21vianet" => Environment::China,
        other => {
            return Err(Error::input(
                "Microsoft 365 Environment",
                format!("'{other}' is not one of commercial-gcc, gcc-high, dod, china."),
            ));
        }
    })
}

/// Looks a field up by WIT name or by label, case-insensitively.
fn field<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| names.iter().any(|n| n.eq_ignore_ascii_case(k.trim())))
        .map(|(_, v)| v)
}

/// Text as given; a number or other JSON as its text; absent or null as "".
fn text(map: &Map<String, Value>, names: &[&str]) -> String {
    match field(map, names) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// WIT `option<string>`: blank is none.
fn non_blank(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn labels_and_names_both_work() {
        let c = from_json(
            &json!({"Microsoft 365 Environment": "GCC High", "Tenant ID": "t",
            "Grant Type": "Client Credentials", "Client ID": "c", "Client Secret": "s3cret"}),
        )
        .unwrap();
        assert_eq!(c.environment, Environment::GccHigh);
        assert_eq!(c.grant.client_secret(), "s3cret");
        assert_eq!(c.api_version, "v1.0");
        let c = from_json(&json!({"grant-type": "client_credentials", "tenant-id": 42})).unwrap();
        assert_eq!(c.environment, Environment::CommercialGcc);
        assert_eq!(c.tenant_id, "42");
    }

    #[test]
    fn delegated_defaults_scope_and_collects_secrets() {
        let c = from_json(
            &json!({"grant-type": "authorization-code", "client-secret": "abcd",
            "refresh-token": "rt-123", "authorization-code": " "}),
        )
        .unwrap();
        let Grant::AuthorizationCode(g) = &c.grant else {
            panic!("delegated")
        };
        assert_eq!(g.scope, DEFAULT_SCOPE);
        assert_eq!(g.authorization_code, None);
        assert_eq!(c.secrets(), vec!["abcd", "rt-123"]);
    }

    #[test]
    fn errors_name_the_field_and_never_a_secret() {
        for (conn, want) in [
            (
                json!({"environment": "mars", "grant-type": "client-credentials", "client-secret": "TOPSECRET"}),
                "Microsoft 365 Environment: 'mars' is not one of commercial-gcc, gcc-high, dod, china.",
            ),
            (
                json!({"client-secret": "TOPSECRET"}),
                "Grant Type: is required: client-credentials or authorization-code.",
            ),
            (
                json!({"grant-type": "password", "client-secret": "TOPSECRET"}),
                "Grant Type: 'password' is not client-credentials or authorization-code.",
            ),
            (json!(["TOPSECRET"]), "Connection: must be a JSON object."),
        ] {
            assert_eq!(from_json(&conn).unwrap_err().user_message(), want);
        }
        let e = from_text("{\"client-secret\": \"TOPSECRET\"").unwrap_err();
        assert!(e.user_message().starts_with("Connection: is not JSON"));
        assert!(!e.user_message().contains("TOPSECRET"));
    }
}
