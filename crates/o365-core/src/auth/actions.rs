//! The connection page's buttons: "Get Authorization" (authorize URL with state and PKCE)
//! and "Get Refresh Token" (redeem the code once).

use serde_json::Value;

use super::aad_error::{TokenFlow, token_error};
use super::pkce;
use super::provider::TokenProvider;
use crate::cloud::Cloud;
use crate::env::Env;
use crate::error::Error;
use crate::http::{self, HttpRequest};
use crate::model::{AuthorizationCode, Connection, Grant};
use crate::retry::{Idempotency, RetryPolicy};
use crate::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub url: String,
    pub state: String,
    pub code_verifier: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenGrant {
    pub refresh_token: String,
    pub granted_scope: String,
    /// The signed-in account (`oid.tid`), for the connection's Account.
    pub account: Option<String>,
}

fn delegated(conn: &Connection) -> Result<&AuthorizationCode, Error> {
    match &conn.grant {
        Grant::AuthorizationCode(g) => Ok(g),
        Grant::ClientCredentials(_) => Err(Error::input(
            "Grant Type",
            "this button is for the Authorization Code grant type; Client Credentials needs no sign-in.",
        )),
    }
}

pub fn get_authorization(env: &dyn Env, conn: &Connection) -> Result<AuthorizationRequest, Error> {
    validate::connection_for_authorize(conn)?;
    let g = delegated(conn)?;
    let cloud = Cloud::of(conn.environment);
    let state = pkce::random_token(&env.random_bytes(16));
    let code_verifier = pkce::random_token(&env.random_bytes(32));
    let url = format!(
        "{}/{}/oauth2/v2.0/authorize{}",
        cloud.login_base(),
        http::segment(conn.tenant_id.trim()),
        http::query(&[
            ("client_id", g.client_id.trim().to_string()),
            ("response_type", "code".into()),
            ("redirect_uri", g.callback_url.trim().to_string()),
            ("response_mode", "query".into()),
            ("scope", cloud.normalize_scope(&g.scope)),
            ("state", state.clone()),
            ("code_challenge", pkce::challenge(&code_verifier)),
            ("code_challenge_method", "S256".into()),
        ])
    );
    Ok(AuthorizationRequest {
        url,
        state,
        code_verifier,
    })
}

/// The code itself, or the `code` of a pasted redirect URL
/// (`https://soar.example/cb?code=...&state=...`).
/// `expected_state` is the `state` Get Authorization issued: a pasted redirect URL must
/// carry the same one (CSRF), a bare code has none to compare.
fn extract_code(given: &str, expected_state: Option<&str>) -> Result<String, Error> {
    let given = given.trim();
    let Some((_, query)) = given.split_once('?') else {
        return Ok(given.to_string());
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    };
    if let Some(error) = get("error") {
        let description = get("error_description").unwrap_or_default();
        return Err(Error::input(
            "Authorization Code",
            format!(
                "the sign-in was refused ({error}: {}).",
                description.lines().next().unwrap_or("")
            ),
        ));
    }
    if let Some(expected) = expected_state.map(str::trim).filter(|s| !s.is_empty()) {
        match get("state") {
            None => {
                return Err(Error::input(
                    "State",
                    "the redirect URL carries no state, but Get Authorization issued one. Paste the whole URL the sign-in redirected to, or click Get Authorization again.",
                ));
            }
            Some(state) if state != expected => {
                return Err(Error::input(
                    "State",
                    "the redirect URL's state is not the one Get Authorization issued: this sign-in may not have been started here (CSRF). Click Get Authorization again and use its URL.",
                ));
            }
            Some(_) => {}
        }
    }
    get("code").filter(|c| !c.is_empty()).ok_or_else(|| {
        Error::input(
            "Authorization Code",
            "the pasted URL has no code parameter.",
        )
    })
}

pub fn get_refresh_token(
    env: &dyn Env,
    conn: &Connection,
    code_verifier: Option<&str>,
    expected_state: Option<&str>,
    policy: RetryPolicy,
) -> Result<RefreshTokenGrant, Error> {
    validate::connection_for_authorize(conn)?;
    let g = delegated(conn)?;
    validate::required("Client Secret", &g.client_secret)?;
    let given = g.authorization_code.as_deref().unwrap_or("");
    if given.trim().is_empty() {
        return Err(Error::input(
            "Authorization Code",
            "is empty. Click Get Authorization, sign in, and paste the code (or the whole redirect URL).",
        ));
    }
    let code = extract_code(given, expected_state)?;
    let cloud = Cloud::of(conn.environment);
    let tokens = TokenProvider::new(env, conn, policy);
    let scope = cloud.normalize_scope(&g.scope);
    let mut form = vec![
        ("client_id", g.client_id.trim()),
        ("client_secret", g.client_secret.as_str()),
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", g.callback_url.trim()),
        ("scope", scope.as_str()),
    ];
    if let Some(v) = code_verifier.filter(|v| !v.is_empty()) {
        form.push(("code_verifier", v));
    }
    let request = HttpRequest::new("POST", tokens.token_url()).form_body(&form);
    // A code can be redeemed once: never repeat this request blindly.
    let response = policy.send(env, &request, Idempotency::NotIdempotent)?;
    if !response.is_success() {
        return Err(token_error(&response, TokenFlow::AuthorizationCode));
    }
    let body = response.json().ok_or_else(|| {
        Error::Protocol("The token endpoint answered with a body that is not JSON.".into())
    })?;
    let refresh_token = body
        .get("refresh_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::input(
                "Scope",
                "no refresh token was issued: add offline_access to Scope and click Get Authorization again.",
            )
        })?
        .to_string();
    // The new grant names the account: its tokens are cached under it, whoever the
    // connection was signed in as before.
    let account = super::provider::account_of(&body);
    let mut signed_in = conn.clone();
    if let Grant::AuthorizationCode(g) = &mut signed_in.grant {
        g.account = account.clone();
    }
    TokenProvider::new(env, &signed_in, policy).store(&body)?;
    Ok(RefreshTokenGrant {
        account,
        refresh_token,
        granted_scope: body
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Environment;
    use crate::testing::{FakeEnv, json_response};
    use serde_json::json;

    fn conn(code: Option<&str>) -> Connection {
        Connection {
            environment: Environment::Dod,
            tenant_id: "contoso.example".into(),
            grant: Grant::AuthorizationCode(AuthorizationCode {
                client_id: "app-2".into(),
                client_secret: "secret".into(),
                scope: "offline_access https://graph.microsoft.com/Mail.Read".into(),
                callback_url: "https://soar.example/cb".into(),
                authorization_code: code.map(str::to_string),
                refresh_token: None,
                account: None,
            }),
            api_version: "v1.0".into(),
        }
    }

    #[test]
    fn authorize_url_carries_pkce_state_and_cloud_scope() {
        let env = FakeEnv::new(vec![]);
        let req = get_authorization(&env, &conn(None)).unwrap();
        assert!(req.url.starts_with(
            "https://login.microsoftonline.us/contoso.example/oauth2/v2.0/authorize?"
        ));
        assert!(req.url.contains(&format!(
            "code_challenge={}",
            pkce::challenge(&req.code_verifier)
        )));
        assert!(req.url.contains("code_challenge_method=S256"));
        assert!(req.url.contains(&format!("state={}", req.state)));
        assert!(
            req.url.contains("dod-graph.microsoft.us%2FMail.Read"),
            "{}",
            req.url
        );
        assert!(env.sent().is_empty());
    }

    #[test]
    fn pasted_redirect_url_yields_its_code() {
        assert_eq!(
            extract_code("https://soar.example/cb?code=abc%2B1&state=x", None).unwrap(),
            "abc+1"
        );
        assert_eq!(
            extract_code(" plain-code ", Some("s-1")).unwrap(),
            "plain-code"
        );
        assert!(extract_code("https://soar.example/cb?error=access_denied", None).is_err());
    }

    #[test]
    fn a_state_other_than_the_issued_one_is_refused_by_name() {
        let url = "https://soar.example/cb?code=abc&state=issued-1";
        assert_eq!(extract_code(url, Some("issued-1")).unwrap(), "abc");
        let tampered = extract_code(
            "https://soar.example/cb?code=abc&state=evil",
            Some("issued-1"),
        )
        .unwrap_err();
        assert!(tampered.to_string().starts_with("State:"), "{tampered}");
        assert!(tampered.to_string().contains("CSRF"), "{tampered}");
        let missing =
            extract_code("https://soar.example/cb?code=abc", Some("issued-1")).unwrap_err();
        assert!(missing.to_string().starts_with("State:"), "{missing}");
    }

    #[test]
    fn redeem_sends_verifier_and_returns_refresh_token() {
        let env = FakeEnv::new(vec![json_response(
            200,
            json!({"access_token":"at","expires_in":3600,"refresh_token":"rt-1","scope":"Mail.Read"}),
        )]);
        let c = conn(Some("the-code"));
        let grant =
            get_refresh_token(&env, &c, Some("verifier-1"), None, RetryPolicy::default()).unwrap();
        assert_eq!(grant.refresh_token, "rt-1");
        let body = String::from_utf8(env.sent()[0].body.clone()).unwrap();
        assert!(
            body.contains("code_verifier=verifier-1") && body.contains("code=the-code"),
            "{body}"
        );
        assert!(
            body.contains("redirect_uri=https%3A%2F%2Fsoar.example%2Fcb"),
            "{body}"
        );
    }

    #[test]
    fn empty_code_fails_before_http() {
        let env = FakeEnv::new(vec![]);
        let err = get_refresh_token(&env, &conn(Some("  ")), None, None, RetryPolicy::default())
            .unwrap_err();
        assert!(err.to_string().starts_with("Authorization Code:"), "{err}");
        assert!(env.sent().is_empty());
    }
}
