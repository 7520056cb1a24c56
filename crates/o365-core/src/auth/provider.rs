//! Access tokens for one connection: from the host's cache while they are fresh, else from
//! the token endpoint (client credentials, or the refresh-token grant with rotation).

// Server answers reach this module: nothing here may panic or overflow on them.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use std::cell::RefCell;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::aad_error::{TokenFlow, token_error};
use super::jwt;
use crate::cloud::Cloud;
use crate::env::{CachedToken, Env, LogLevel};
use crate::error::Error;
use crate::http::{self, HttpRequest};
use crate::model::{Connection, Grant};
use crate::retry::{Idempotency, RetryPolicy};

/// A cached token is used only while it has at least this long left (reference §1.6).
pub const EXPIRY_MARGIN_SECS: u64 = 300;
/// Longest access token taken from the token endpoint: real ones are a few KiB,
/// and the bearer header must stay well inside the transport's field limit.
pub const MAX_ACCESS_TOKEN_BYTES: usize = 32 * 1024;
/// Longest lifetime believed: the identity platform issues at most a day.
pub const MAX_EXPIRES_IN_SECS: u64 = 24 * 3600;

/// The cache key of a connection's tokens, by the principal they belong to (as MSAL keys
/// its cache): the app in its tenant for client credentials; the signed-in account for
/// the authorization code grant (`account`, or "account-unnamed" for a connection made
/// before accounts were recorded). Then a hash of the scope and the secret: the secret
/// itself never goes into the key, but a connection with a wrong secret must not be
/// served the token of one with the right secret.
pub fn cache_key(conn: &Connection) -> String {
    let (scope, principal) = match &conn.grant {
        Grant::ClientCredentials(_) => (".default".to_string(), "app".to_string()),
        Grant::AuthorizationCode(g) => (
            g.scope.to_ascii_lowercase(),
            match g.account.as_deref().map(str::trim) {
                Some(account) if !account.is_empty() => {
                    format!("account-{}", account.to_ascii_lowercase())
                }
                _ => "account-unnamed".to_string(),
            },
        ),
    };
    let digest = Sha256::digest(format!("{scope}\n{}", conn.grant.client_secret()).as_bytes());
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!(
        "o365/{}/{}/{}/{}/{}/{}",
        conn.environment.as_str(),
        conn.tenant_id.to_ascii_lowercase(),
        conn.grant.client_id(),
        conn.grant.label(),
        principal,
        short
    )
}

/// The account (`oid.tid`) a delegated token response is for: from the access token's
/// claims, else the id token's; None when both are opaque.
pub fn account_of(body: &Value) -> Option<String> {
    ["access_token", "id_token"].iter().find_map(|field| {
        let claims = jwt::claims(body.get(field)?.as_str()?)?;
        let oid = claims.get("oid")?.as_str()?;
        let tid = claims.get("tid")?.as_str()?;
        Some(format!("{oid}.{tid}").to_ascii_lowercase())
    })
}

pub struct TokenProvider<'a> {
    env: &'a dyn Env,
    conn: &'a Connection,
    cloud: Cloud,
    key: String,
    policy: RetryPolicy,
    /// Tokens handled in this invocation, so results can be scrubbed of them.
    seen: RefCell<Vec<String>>,
}

/// A token must fit in a header: bounded, and visible ASCII only (a line break
/// would split the header). The message never holds the token.
fn check_token(field: &str, token: &str) -> Result<(), Error> {
    if token.len() > MAX_ACCESS_TOKEN_BYTES {
        return Err(Error::Protocol(format!(
            "The token endpoint answered with a {field} of {} bytes, more than the {MAX_ACCESS_TOKEN_BYTES} a token may have; not used.",
            token.len()
        )));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Protocol(format!(
            "The token endpoint answered with a {field} holding characters a token cannot have; not used."
        )));
    }
    Ok(())
}

impl<'a> TokenProvider<'a> {
    pub fn new(env: &'a dyn Env, conn: &'a Connection, policy: RetryPolicy) -> Self {
        TokenProvider {
            env,
            conn,
            cloud: Cloud::of(conn.environment),
            key: cache_key(conn),
            policy,
            seen: RefCell::new(Vec::new()),
        }
    }

    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.cloud.login_base(),
            http::segment(self.conn.tenant_id.trim())
        )
    }

    /// A token from the cache when it has more than the margin left, else a new one.
    pub fn access_token(&self) -> Result<String, Error> {
        if let Some(cached) = self.env.token_get(&self.key)
            && cached.expires_at > self.env.now_unix_secs().saturating_add(EXPIRY_MARGIN_SECS)
        {
            self.remember(&cached.access_token);
            return Ok(cached.access_token);
        }
        self.fetch()
    }

    /// Gets a new token whatever the cache holds (after Graph refused the old one); the
    /// cache is overwritten only when that succeeds.
    pub fn refresh(&self) -> Result<String, Error> {
        self.fetch()
    }

    /// A new token after Graph refused the one this invocation had: forgets it, then asks
    /// the cache again. When several invocations were refused the same token, one of them
    /// refreshes under the cache's lease and the others read its token (the host forgets
    /// only the refused token, never one another invocation put meanwhile).
    pub fn renew_refused(&self) -> Result<String, Error> {
        self.forget();
        self.access_token()
    }

    /// Drops the cached access token.
    pub fn forget(&self) {
        self.env.token_remove(&self.key);
    }

    /// Every token seen so far, for redaction.
    pub fn seen_tokens(&self) -> Vec<String> {
        self.seen.borrow().clone()
    }

    fn remember(&self, token: &str) {
        self.seen.borrow_mut().push(token.to_string());
    }

    fn fetch(&self) -> Result<String, Error> {
        let response = match &self.conn.grant {
            Grant::ClientCredentials(g) => {
                let scope = self.cloud.app_only_scope();
                let request = HttpRequest::new("POST", self.token_url()).form_body(&[
                    ("client_id", g.client_id.trim()),
                    ("client_secret", &g.client_secret),
                    ("grant_type", "client_credentials"),
                    ("scope", &scope),
                ]);
                self.policy
                    .send(self.env, &request, Idempotency::Idempotent)?
            }
            Grant::AuthorizationCode(g) => {
                let refresh_token = self
                    .env
                    .refresh_token_get(&self.key)
                    .or_else(|| g.refresh_token.clone())
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| {
                        Error::input(
                            "Refresh Token",
                            "the connection has no refresh token yet. Click Get Authorization, sign in, then click Get Refresh Token.",
                        )
                    })?;
                self.remember(&refresh_token);
                let scope = self.cloud.normalize_scope(&g.scope);
                let request = HttpRequest::new("POST", self.token_url()).form_body(&[
                    ("client_id", g.client_id.trim()),
                    ("client_secret", &g.client_secret),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh_token),
                    ("scope", &scope),
                ]);
                // Safe to repeat: the identity platform keeps the old refresh token valid.
                self.policy
                    .send(self.env, &request, Idempotency::Idempotent)?
            }
        };
        if !response.is_success() {
            let flow = match self.conn.grant {
                Grant::ClientCredentials(_) => TokenFlow::ClientCredentials,
                Grant::AuthorizationCode(_) => TokenFlow::RefreshToken,
            };
            return Err(token_error(&response, flow));
        }
        let body = response.json().ok_or_else(|| {
            Error::Protocol("The token endpoint answered with a body that is not JSON.".into())
        })?;
        self.store(&body)
    }

    /// Caches the access token and hands a rotated refresh token to the host, once the
    /// tokens are known to be the connection's own account's.
    pub(crate) fn store(&self, body: &Value) -> Result<String, Error> {
        if let Grant::AuthorizationCode(g) = &self.conn.grant
            && let Some(expected) = g
                .account
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty())
            && let Some(actual) = account_of(body)
            && !actual.eq_ignore_ascii_case(expected)
        {
            // Another user's refresh token in this connection: nothing of it is kept.
            return Err(Error::input(
                "Refresh Token",
                "belongs to another account than the connection's Account. Click Get Authorization, sign in as the connection's user, then click Get Refresh Token.",
            ));
        }
        let access_token = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::Protocol("The token endpoint answered without an access_token.".into())
            })?
            .to_string();
        self.remember(&access_token);
        check_token("access_token", &access_token)?;
        let new_refresh = body.get("refresh_token").and_then(Value::as_str);
        if let Some(rt) = new_refresh {
            self.remember(rt);
            check_token("refresh_token", rt)?;
        }
        // expires_in is a number, but some proxies send it as a string; no
        // lifetime past a day is believed (nor one that would overflow).
        let expires_in = body
            .get("expires_in")
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            })
            .unwrap_or(3600)
            .min(MAX_EXPIRES_IN_SECS);
        // The rotated refresh token first: putting the access token ends this invocation's
        // refresh lease, and a worker that then found no refresh token stored would
        // redeem the old one again (a strictly rotating server revokes the grant for it).
        if let Some(new_refresh) = new_refresh {
            self.env.refresh_token_put(&self.key, new_refresh);
            self.env.log(
                LogLevel::Info,
                "refresh token rotated; the new one was handed to the platform",
            );
        }
        self.env.token_put(
            &self.key,
            &CachedToken {
                access_token: access_token.clone(),
                expires_at: self.env.now_unix_secs().saturating_add(expires_in),
            },
        );
        Ok(access_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthorizationCode, ClientCredentials, Environment};
    use crate::testing::{FakeEnv, json_response};
    use serde_json::json;

    fn app_conn() -> Connection {
        Connection {
            environment: Environment::GccHigh,
            tenant_id: "contoso.example".into(),
            grant: Grant::ClientCredentials(ClientCredentials {
                client_id: "app-1".into(),
                client_secret: "s+cr/t=".into(),
            }),
            api_version: "v1.0".into(),
        }
    }

    fn delegated_conn() -> Connection {
        Connection {
            environment: Environment::CommercialGcc,
            tenant_id: "contoso.example".into(),
            grant: Grant::AuthorizationCode(AuthorizationCode {
                client_id: "app-2".into(),
                client_secret: "secret".into(),
                scope: "offline_access https://graph.microsoft.com/mail.ReadWrite".into(),
                callback_url: "https://soar.example/cb".into(),
                authorization_code: None,
                refresh_token: Some("rt-old".into()),
                account: None,
            }),
            api_version: "v1.0".into(),
        }
    }

    #[test]
    fn client_credentials_use_the_cloud_default_scope_and_encode_the_secret() {
        let env = FakeEnv::new(vec![json_response(
            200,
            json!({"access_token":"at-1","expires_in":3599}),
        )]);
        let conn = app_conn();
        let tp = TokenProvider::new(&env, &conn, RetryPolicy::default());
        assert_eq!(tp.access_token().unwrap(), "at-1");
        let sent = env.sent();
        assert_eq!(
            sent[0].url,
            "https://login.microsoftonline.us/contoso.example/oauth2/v2.0/token"
        );
        let body = String::from_utf8(sent[0].body.clone()).unwrap();
        assert!(body.contains("client_secret=s%2Bcr%2Ft%3D"), "{body}");
        assert!(
            body.contains("scope=https%3A%2F%2Fgraph.microsoft.us%2F.default"),
            "{body}"
        );
        // Second call is served from the cache.
        assert_eq!(tp.access_token().unwrap(), "at-1");
        assert_eq!(env.sent().len(), 1);
    }

    #[test]
    fn token_near_expiry_is_replaced() {
        let env = FakeEnv::new(vec![json_response(
            200,
            json!({"access_token":"at-new","expires_in":3600}),
        )]);
        let conn = app_conn();
        env.token_put(
            &cache_key(&conn),
            &CachedToken {
                access_token: "at-old".into(),
                expires_at: env.now.get() + EXPIRY_MARGIN_SECS - 1,
            },
        );
        let tp = TokenProvider::new(&env, &conn, RetryPolicy::default());
        assert_eq!(tp.access_token().unwrap(), "at-new");
    }

    #[test]
    fn rotated_refresh_token_reaches_the_host_and_is_used_next() {
        let env = FakeEnv::new(vec![
            json_response(
                200,
                json!({"access_token":"at-1","expires_in":3600,"refresh_token":"rt-new"}),
            ),
            json_response(
                200,
                json!({"access_token":"at-2","expires_in":3600,"refresh_token":"rt-newer"}),
            ),
        ]);
        let conn = delegated_conn();
        let tp = TokenProvider::new(&env, &conn, RetryPolicy::default());
        tp.access_token().unwrap();
        assert_eq!(
            env.refresh_token_get(&cache_key(&conn)).as_deref(),
            Some("rt-new")
        );
        tp.refresh().unwrap();
        let second = String::from_utf8(env.sent()[1].body.clone()).unwrap();
        assert!(second.contains("refresh_token=rt-new"), "{second}");
        assert_eq!(
            env.refresh_token_get(&cache_key(&conn)).as_deref(),
            Some("rt-newer")
        );
    }

    #[test]
    fn the_rotated_refresh_token_is_stored_before_the_access_token_ends_the_lease() {
        let env = FakeEnv::new(vec![json_response(
            200,
            json!({"access_token":"at-1","expires_in":3600,"refresh_token":"rt-new"}),
        )]);
        let conn = delegated_conn();
        TokenProvider::new(&env, &conn, RetryPolicy::default())
            .access_token()
            .unwrap();
        assert_eq!(*env.token_writes.borrow(), ["put-refresh-token", "put"]);
    }

    #[test]
    fn missing_refresh_token_is_an_input_error_without_http() {
        let env = FakeEnv::new(vec![]);
        let mut conn = delegated_conn();
        if let Grant::AuthorizationCode(g) = &mut conn.grant {
            g.refresh_token = None;
        }
        let err = TokenProvider::new(&env, &conn, RetryPolicy::default())
            .access_token()
            .unwrap_err();
        assert!(matches!(err, Error::Input { ref parameter, .. } if parameter == "Refresh Token"));
        assert!(env.sent().is_empty());
    }

    #[test]
    fn delegated_tokens_are_keyed_by_account() {
        let mut alice = delegated_conn();
        let mut bob = delegated_conn();
        if let (Grant::AuthorizationCode(a), Grant::AuthorizationCode(b)) =
            (&mut alice.grant, &mut bob.grant)
        {
            a.account = Some("oid-a.tid".into());
            b.account = Some("oid-b.tid".into());
        }
        assert_ne!(cache_key(&alice), cache_key(&bob));
        assert!(cache_key(&alice).contains("/account-oid-a.tid/"));
        assert!(cache_key(&app_conn()).contains("/client-credentials/app/"));
    }

    #[test]
    fn another_accounts_tokens_are_refused_and_not_kept() {
        use base64::Engine;
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"oid":"oid-b","tid":"tid"}"#);
        let env = FakeEnv::new(vec![json_response(
            200,
            json!({"access_token": format!("eyJhbGciOiJub25lIn0.{claims}.sig"),
                   "expires_in": 3600, "refresh_token": "rt-of-bob"}),
        )]);
        let mut conn = delegated_conn();
        if let Grant::AuthorizationCode(g) = &mut conn.grant {
            g.account = Some("oid-a.tid".into());
        }
        let err = TokenProvider::new(&env, &conn, RetryPolicy::default())
            .access_token()
            .unwrap_err();
        assert!(matches!(err, Error::Input { ref parameter, .. } if parameter == "Refresh Token"));
        assert_eq!(env.token_get(&cache_key(&conn)), None);
        assert_eq!(env.refresh_token_get(&cache_key(&conn)), None);
    }

    #[test]
    fn cache_key_has_no_secret_but_depends_on_it() {
        let conn = app_conn();
        assert!(!cache_key(&conn).contains("s+cr/t="));
        let mut other = app_conn();
        if let Grant::ClientCredentials(g) = &mut other.grant {
            g.client_secret = "another".into();
        }
        assert_ne!(cache_key(&conn), cache_key(&other));
    }

    #[test]
    fn an_endless_lifetime_is_capped_not_wrapped() {
        let env = FakeEnv::new(vec![json_response(
            200,
            json!({"access_token": "at-1", "expires_in": u64::MAX}),
        )]);
        let conn = app_conn();
        let tp = TokenProvider::new(&env, &conn, RetryPolicy::default());
        assert_eq!(tp.access_token().unwrap(), "at-1");
        assert_eq!(tp.access_token().unwrap(), "at-1");
        assert_eq!(
            env.sent().len(),
            1,
            "the second call is served from the cache"
        );
        let cached = env.token_get(&cache_key(&conn)).unwrap();
        assert_eq!(cached.expires_at, env.now.get() + MAX_EXPIRES_IN_SECS);
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused_and_not_cached() {
        for bad in ["x".repeat(200 * 1024), "at\r\nX-Evil: 1".to_string()] {
            let env = FakeEnv::new(vec![json_response(
                200,
                json!({"access_token": bad, "expires_in": 3600}),
            )]);
            let conn = app_conn();
            let err = TokenProvider::new(&env, &conn, RetryPolicy::default())
                .access_token()
                .unwrap_err();
            assert!(matches!(err, Error::Protocol(_)), "{err:?}");
            assert!(!err.to_string().contains("xxxx") && !err.to_string().contains("Evil"));
            assert!(env.token_get(&cache_key(&conn)).is_none());
        }
    }
}
