//! Minimal HS256 JWTs: enough to mint access tokens and verify them on the
//! Graph side. The key is random per sim, so tokens never cross instances.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was rejected before its claims were looked at. The texts
/// mimic the IDX messages Graph returns.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JwtError {
    Malformed(String),
    BadSignature,
}

fn sign(key: &[u8], signing_input: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Encodes `claims` as a compact JWS.
pub(crate) fn encode(key: &[u8], claims: &Value) -> String {
    let header = json!({"typ": "JWT", "alg": "HS256", "kid": "graph-sim"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = URL_SAFE_NO_PAD.encode(sign(key, &input));
    format!("{input}.{sig}")
}

fn decode_part(part: &str, what: &str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| {
        JwtError::Malformed(format!(
            "IDX14102: Unable to decode the {what}: '[PII of type 'System.String' is hidden]' as Base64Url encoded string."
        ))
    })?;
    serde_json::from_slice(&bytes)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            JwtError::Malformed(format!(
                "IDX14102: Unable to decode the {what}: '[PII of type 'System.String' is hidden]' as Base64Url encoded string."
            ))
        })
}

/// Checks structure and signature and returns the claims.
pub(crate) fn verify(key: &[u8], token: &str) -> Result<Value, JwtError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(JwtError::Malformed(
            "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.".into(),
        ));
    }
    let header = decode_part(parts[0], "header")?;
    let claims = decode_part(parts[1], "payload")?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(JwtError::BadSignature);
    }
    let sig = URL_SAFE_NO_PAD
        .decode(parts[2])
        .map_err(|_| JwtError::BadSignature)?;
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&sig).map_err(|_| JwtError::BadSignature)?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = [7u8; 32];
        let t = encode(&key, &json!({"aud": "https://graph.microsoft.com", "n": 1}));
        let claims = verify(&key, &t).unwrap();
        assert_eq!(claims["aud"], "https://graph.microsoft.com");
        assert_eq!(verify(&[8u8; 32], &t), Err(JwtError::BadSignature));
        let mut parts: Vec<String> = t.split('.').map(String::from).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(r#"{"aud":"x"}"#);
        assert_eq!(verify(&key, &parts.join(".")), Err(JwtError::BadSignature));
        assert!(matches!(
            verify(&key, "not-a-jwt"),
            Err(JwtError::Malformed(m)) if m.starts_with("IDX14100")
        ));
        assert!(matches!(
            verify(&key, "a.b.c"),
            Err(JwtError::Malformed(m)) if m.starts_with("IDX14102")
        ));
    }
}
