//! Token endpoint errors (reference §1.7) turned into messages that say what to fix.

use crate::error::Error;
use crate::http::HttpResponse;

/// Which token request failed: the hints differ (a client-credentials connection has no
/// sign-in and ignores Scope; a refused refresh token means signing in again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFlow {
    ClientCredentials,
    /// Redeeming the code (Get Refresh Token).
    AuthorizationCode,
    RefreshToken,
}

const SIGN_IN_AGAIN: &str = "the refresh token is invalid, expired or revoked. Click Get Authorization, sign in, then click Get Refresh Token";

/// Builds [`Error::Token`] from an identity-platform error response to `flow`.
pub fn token_error(response: &HttpResponse, flow: TokenFlow) -> Error {
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
    // Any server refusing a refresh token as invalid (expired, revoked, reused) says
    // `invalid_grant`, with or without an AADSTS code: the way out is to sign in again.
    let refused_refresh = flow == TokenFlow::RefreshToken && error == "invalid_grant";
    let hint = match aadsts.and_then(|code| hint(code, flow)) {
        Some(hint) => Some(hint),
        None if refused_refresh => Some(SIGN_IN_AGAIN),
        None => None,
    };
    let message = match hint {
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

fn hint(code: u64, flow: TokenFlow) -> Option<&'static str> {
    let app_only = flow == TokenFlow::ClientCredentials;
    Some(match code {
        70011 | 700022 | 1002012 if app_only => {
            "the scope sent for client credentials ({graph}/.default of the connection's cloud) was refused. Check the Microsoft 365 Environment: each cloud has its own Graph host (Scope is not used with Client Credentials)"
        }
        50076 | 50079 | 53003 | 65001 if app_only => {
            "the app has no admin consent for its application permissions in this tenant. Grant admin consent under API permissions in the app registration"
        }
        7000215 => {
            "the Client Secret is wrong. Paste the secret's Value from Certificates & secrets, not its Secret ID"
        }
        7000222 => {
            "the client secret has expired. Create a new secret in the app registration and update Client Secret"
        }
        70002 => "the Client Secret does not belong to this Client ID",
        7000218 => "the Client Secret is missing",
        70008 | 700082 | 50173 | 70043 | 50132 | 50089 => SIGN_IN_AGAIN,
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
        let e = token_error(&resp, TokenFlow::ClientCredentials);
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
            token_error(&resp, TokenFlow::RefreshToken).to_string(),
            "Get Token Fail: temporarily_unavailable: try later"
        );
    }

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn any_refused_refresh_token_says_sign_in_again() {
        // A standards server: invalid_grant and no AADSTS code.
        let plain = response(
            400,
            r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
        );
        let msg = token_error(&plain, TokenFlow::RefreshToken).to_string();
        assert!(
            msg.contains("Click Get Authorization, sign in, then click Get Refresh Token"),
            "{msg}"
        );
        assert!(msg.contains("grant request is invalid"), "{msg}");
        let aad = response(
            400,
            r#"{"error":"invalid_grant","error_description":"AADSTS70008: expired","error_codes":[70008]}"#,
        );
        assert!(
            token_error(&aad, TokenFlow::RefreshToken)
                .to_string()
                .contains("Get Refresh Token")
        );
    }

    #[test]
    fn hints_fit_the_grant() {
        let scope = response(
            400,
            r#"{"error":"invalid_scope","error_description":"AADSTS70011: bad scope","error_codes":[70011]}"#,
        );
        let app = token_error(&scope, TokenFlow::ClientCredentials).to_string();
        assert!(
            app.contains("Scope is not used with Client Credentials"),
            "{app}"
        );
        assert!(
            !app.contains("offline_access"),
            "no delegated advice: {app}"
        );
        let delegated = token_error(&scope, TokenFlow::RefreshToken).to_string();
        assert!(delegated.contains("offline_access"), "{delegated}");
    }
}
