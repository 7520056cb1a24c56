//! Token endpoint errors (reference §1.7) turned into messages that say what to fix.

use crate::error::Error;
use crate::http::HttpResponse;

/// Builds [`Error::Token`] from an identity-platform error response.
pub fn token_error(response: &HttpResponse) -> Error {
    let body = response.json().unwrap_or_default();
    let error = body
        .get("error")
        .and_then(|e| e.as_str())
        .unwrap_or("unknown_error")
        .to_string();
    let aadsts = body
        .get("error_codes")
        .and_then(|c| c.as_array())
        .and_then(|c| c.first())
        .and_then(|c| c.as_u64());
    // The first line of error_description; the rest is trace and correlation ids.
    let description = body
        .get("error_description")
        .and_then(|d| d.as_str())
        .map(|d| d.lines().next().unwrap_or("").trim().to_string())
        .unwrap_or_else(|| format!("HTTP {} from the token endpoint", response.status));
    let message = match aadsts.and_then(hint) {
        Some(hint) => format!("Get Token Fail: {hint} ({description})"),
        None => format!("Get Token Fail: {error}: {description}"),
    };
    Error::Token {
        status: response.status,
        error,
        aadsts,
        message,
    }
}

fn hint(code: u64) -> Option<&'static str> {
    Some(match code {
        7000215 => {
            "the Client Secret is wrong. Paste the secret's Value from Certificates & secrets, not its Secret ID"
        }
        7000222 => {
            "the client secret has expired. Create a new secret in the app registration and update Client Secret"
        }
        70002 => "the Client Secret does not belong to this Client ID",
        7000218 => "the Client Secret is missing",
        70008 | 700082 | 50173 | 70043 => {
            "the refresh token has expired or was revoked. Click Get Authorization, then Get Refresh Token, to sign in again"
        }
        54005 => {
            "the authorization code was already redeemed. Click Get Authorization for a new code"
        }
        65001 => {
            "the app has no consent for the requested permissions. Grant admin consent in the app registration or sign in again with Get Authorization"
        }
        700005 => "the authorization code belongs to another tenant. Check Tenant ID",
        501481 => {
            "the PKCE code verifier does not match the challenge. Click Get Authorization again and redeem that code"
        }
        50011 => {
            "the Callback URL is not a Redirect URI of the app. Add it exactly (scheme, host, path) under Authentication > Web in the app registration"
        }
        500112 => {
            "the Callback URL differs from the one used at Get Authorization. Keep Callback URL unchanged between the two buttons"
        }
        1002012 => "client credentials need a scope ending in /.default",
        70011 | 700022 => {
            "the Scope is not valid. Use space-separated permissions of one resource, e.g. offline_access https://graph.microsoft.com/Mail.Read"
        }
        700016 => {
            "the Client ID is not an app of this tenant. Check Client ID, Tenant ID and the Microsoft 365 Environment (each cloud has its own app registrations)"
        }
        90002 => "the tenant was not found. Check Tenant ID and the Microsoft 365 Environment",
        50076 | 50079 | 53003 => {
            "sign-in needs MFA or is blocked by Conditional Access. Sign in interactively with Get Authorization"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_secret_says_value_not_id() {
        let resp = HttpResponse {
            status: 401,
            headers: vec![],
            body: br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x","error_codes":[7000215]}"#.to_vec(),
        };
        let e = token_error(&resp);
        assert_eq!(e.status_code(), 401);
        let msg = e.to_string();
        assert!(msg.contains("not its Secret ID"), "{msg}");
        assert!(msg.contains("AADSTS7000215"), "{msg}");
        assert!(!msg.contains("Trace ID"), "{msg}");
    }

    #[test]
    fn unknown_code_keeps_the_error_name() {
        let resp = HttpResponse {
            status: 400,
            headers: vec![],
            body: br#"{"error":"temporarily_unavailable","error_description":"try later","error_codes":[1]}"#.to_vec(),
        };
        assert_eq!(
            token_error(&resp).to_string(),
            "Get Token Fail: temporarily_unavailable: try later"
        );
    }
}
