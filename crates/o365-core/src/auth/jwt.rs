//! Reads the claims of an access token. Only to report granted permissions: the token is
//! not verified here (Graph does that), so nothing is trusted because of it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The payload of a JWS compact token, or None when the token is opaque.
pub fn claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Granted permissions: `roles` for app-only tokens, `scp` (space-separated) for delegated.
pub fn granted_permissions(claims: &Value) -> Vec<String> {
    let mut out: Vec<String> = claims
        .get("roles")
        .and_then(Value::as_array)
        .map(|roles| {
            roles
                .iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(scp) = claims.get("scp").and_then(Value::as_str) {
        out.extend(scp.split_whitespace().map(str::to_string));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJub25lIn0.{}.sig",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn roles_and_scp_are_read() {
        let c = claims(&token(r#"{"roles":["Mail.Read","User.Read.All"]}"#)).unwrap();
        assert_eq!(granted_permissions(&c), vec!["Mail.Read", "User.Read.All"]);
        let c = claims(&token(r#"{"scp":"Mail.ReadWrite Mail.Send"}"#)).unwrap();
        assert_eq!(granted_permissions(&c), vec!["Mail.ReadWrite", "Mail.Send"]);
    }

    #[test]
    fn opaque_token_has_no_claims() {
        assert_eq!(claims("not-a-jwt"), None);
    }
}
