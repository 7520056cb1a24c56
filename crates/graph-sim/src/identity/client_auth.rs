//! Confidential-client authentication at the token endpoint: the secret
//! from the form body or HTTP Basic, checked against the registration.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header;

use super::store::AppRegistration;
use crate::error::AadError;
use crate::wire;

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))`, the
/// other way RFC 6749 lets a confidential client authenticate.
pub(super) fn basic_credentials(headers: &http::HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| wire::parse_form(&format!("v={s}")).remove(0).1;
    Some((unescape(id), unescape(secret)))
}

pub(super) fn authenticate_client(
    app: &AppRegistration,
    secret: Option<&str>,
) -> Result<(), AadError> {
    let Some(secret) = secret else {
        return Err(AadError::new(
            400,
            "invalid_request",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    };
    if secret != app.client_secret {
        return Err(AadError::new(
            401,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                app.client_id
            ),
        ));
    }
    if app.secret_expired {
        return Err(AadError::new(
            401,
            "invalid_client",
            7000222,
            format!(
                "The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds",
                app.client_id
            ),
        ));
    }
    Ok(())
}
