//! Token flows end to end: client credentials, authorization code with PKCE, refresh with
//! rotation, the 401 refresh-and-retry, and the identity platform's errors.

use graph_sim::{AppRegistration, Fault, FaultKind, SimConfig};
use o365_tests::{Fixture, Options, error_message, error_status, http_get_head, json};
use serde_json::Value;

fn token_requests(f: &Fixture) -> Vec<graph_sim::RecordedRequest> {
    f.sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

fn form_field(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

#[tokio::test]
async fn client_credentials_token_is_cached_across_invocations() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-app");
    let input = json!({"email-addresses": "alex.wilber@contoso.example"});
    assert_eq!(
        f.run(&conn, "list-mail-folders", input.clone())
            .await
            .status(),
        "successful"
    );
    assert_eq!(
        f.run(&conn, "list-mail-folders", input).await.status(),
        "successful"
    );
    let tokens = token_requests(&f);
    assert_eq!(
        tokens.len(),
        1,
        "the second invocation used the cached token"
    );
    assert_eq!(
        form_field(&tokens[0].body, "grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(
        form_field(&tokens[0].body, "scope").as_deref(),
        Some("https%3A%2F%2Fgraph.microsoft.com%2F.default")
    );
}

/// Get Authorization -> the browser's trip to /authorize -> Get Refresh Token.
async fn sign_in(f: &Fixture, conn: &Value) -> (Value, String) {
    let auth = f.get_authorization(conn).await;
    assert_eq!(auth.status(), "successful", "{:#}", auth.result);
    let url = auth.result["data"]["url"].as_str().unwrap();
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let path = url
        .strip_prefix("https://login.microsoftonline.com")
        .unwrap();
    let (status, headers) = http_get_head(&format!("{}{path}", f.sim.url())).await;
    assert_eq!(status, 302);
    let location = headers
        .iter()
        .find(|(k, _)| k == "location")
        .unwrap()
        .1
        .clone();
    let state = auth.result["data"]["state"].as_str().unwrap();
    assert!(location.contains(&format!("state={state}")), "{location}");
    let verifier = auth.result["data"]["code-verifier"]
        .as_str()
        .unwrap()
        .to_string();
    let mut with_code = conn.clone();
    // The platform may paste the whole redirect URL; the guest takes the code from it.
    with_code["authorization-code"] = json!(location);
    with_code["refresh-token"] = json!("");
    (with_code, verifier)
}

#[tokio::test]
async fn authorization_code_with_pkce_then_commands_use_the_stored_refresh_token() {
    let f = Fixture::new().await;
    let (conn, verifier) = sign_in(&f, &f.demo("demo-delegated")).await;
    let grant = f.get_refresh_token(&conn, Some(&verifier)).await;
    assert_eq!(grant.status(), "successful", "{:#}", grant.result);
    let refresh = grant.result["data"]["refresh-token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        f.tokens.refresh_tokens().contains(&refresh),
        "the real token is delivered, not a redaction mark"
    );
    let redeem = token_requests(&f).pop().unwrap();
    assert_eq!(
        form_field(&redeem.body, "grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(
        form_field(&redeem.body, "code_verifier").as_deref(),
        Some(verifier.as_str())
    );
    // The platform stores the refresh token in the connection.
    let mut stored = conn.clone();
    stored["refresh-token"] = json!(refresh);
    stored["authorization-code"] = json!("");
    let out = f.run(&stored, "list-mail-folders", json!({})).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
}

#[tokio::test]
async fn wrong_pkce_verifier_is_refused_with_a_clear_message() {
    let f = Fixture::new().await;
    let (conn, _) = sign_in(&f, &f.demo("demo-delegated")).await;
    let grant = f
        .get_refresh_token(&conn, Some("a-verifier-that-does-not-match-0123456789abc"))
        .await;
    assert_eq!(grant.status(), "failed");
    let msg = grant.result["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("PKCE") && msg.contains("AADSTS501481"),
        "{msg}"
    );
}

#[tokio::test]
async fn rotated_refresh_token_is_used_next_time_even_with_the_old_one_in_the_connection() {
    let f = Fixture::with(Options {
        sim: SimConfig {
            strict_refresh_rotation: true,
            ..SimConfig::default()
        },
        ..Options::default()
    })
    .await;
    // Shorter than the 5-minute margin: every invocation refreshes.
    f.sim.set_access_token_lifetime(120);
    let conn = f.demo("demo-delegated");
    let original = conn["refresh-token"].as_str().unwrap().to_string();
    let mut rotated = Vec::new();
    for _ in 0..3 {
        let out = f.run(&conn, "list-mail-folders", json!({})).await;
        assert_eq!(out.status(), "successful", "{:#}", out.result);
        // What the platform stores over the connection's Refresh Token.
        rotated.push(out.rotated_refresh_token.clone().expect("a rotated token"));
    }
    assert_eq!(f.tokens.refresh_tokens(), vec![rotated[2].clone()]);
    let used: Vec<String> = token_requests(&f)
        .iter()
        .map(|r| form_field(&r.body, "refresh_token").unwrap())
        .collect();
    assert_eq!(used.len(), 3);
    assert_eq!(used[0], form_urlencode(&original));
    assert_ne!(
        used[1], used[0],
        "the rotated token was used, not the revoked original"
    );
    assert_ne!(used[2], used[1]);
    assert_eq!(
        f.tokens.refresh_tokens().len(),
        1,
        "the newest refresh token is what the host holds"
    );
}

fn form_urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn graph_401_gets_one_fresh_token_and_one_retry() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-app");
    let input = json!({"email-addresses": "alex.wilber@contoso.example"});
    assert_eq!(
        f.run(&conn, "list-mail-folders", input.clone())
            .await
            .status(),
        "successful"
    );
    f.sim
        .inject(Fault::new("/mailFolders", FaultKind::ExpiredToken));
    f.sim.clear_requests();
    let out = f.run(&conn, "list-mail-folders", input).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let seen: Vec<(String, u16)> = f
        .sim
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].1, 401);
    assert!(
        seen[1].0.ends_with("/token") && seen[1].1 == 200,
        "{seen:?}"
    );
    assert_eq!(seen[2].1, 200);
}

#[tokio::test]
async fn tokens_expired_at_graph_are_replaced_for_delegated_too() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-delegated");
    assert_eq!(
        f.run(&conn, "list-mail-folders", json!({})).await.status(),
        "successful"
    );
    f.sim.expire_access_tokens();
    let out = f.run(&conn, "list-mail-folders", json!({})).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(token_requests(&f).len(), 2);
}

#[tokio::test]
async fn revoked_refresh_token_asks_for_a_new_sign_in() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-delegated");
    f.sim
        .revoke_refresh_tokens(conn["client-id"].as_str().unwrap());
    let out = f.run(&conn, "list-mail-folders", json!({})).await;
    assert_eq!(out.status(), "failed");
    assert_eq!(error_status(&out), 400);
    let msg = error_message(&out);
    assert!(
        msg.contains("Get Authorization") && msg.contains("AADSTS70008"),
        "{msg}"
    );
}

#[tokio::test]
async fn wrong_secret_says_value_not_secret_id() {
    let f = Fixture::new().await;
    let mut conn = f.demo("demo-app");
    conn["client-secret"] = json!("8c1f2e3d-0000-4abc-9def-123456789abc");
    let out = f.run(&conn, "test-connection", json!({})).await;
    assert_eq!(out.status(), "failed");
    assert_eq!(error_status(&out), 401);
    assert!(
        error_message(&out).contains("not its Secret ID"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn expired_secret_and_missing_consent_are_explained() {
    let f = Fixture::new().await;
    f.sim.register_app(AppRegistration {
        client_id: "11111111-2222-4333-8444-555555555555".into(),
        client_secret: "expired-secret-value".into(),
        secret_expired: true,
        roles: vec!["Mail.Read".into()],
        delegated_scopes: vec![],
        redirect_uris: vec![],
        signed_in_user: None,
    });
    let mut conn = f.demo("demo-app");
    conn["client-id"] = json!("11111111-2222-4333-8444-555555555555");
    conn["client-secret"] = json!("expired-secret-value");
    let out = f.run(&conn, "test-connection", json!({})).await;
    assert!(
        error_message(&out).contains("expired") && error_message(&out).contains("AADSTS7000222"),
        "{}",
        error_message(&out)
    );

    // Delegated scope that was never consented.
    let mut conn = f.demo("demo-delegated");
    conn["scope"] = json!("offline_access https://graph.microsoft.com/User.ReadWrite.All");
    let out = f.run(&conn, "list-mail-folders", json!({})).await;
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out).contains("consent") && error_message(&out).contains("AADSTS65001"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn callback_url_changed_between_the_buttons_is_explained() {
    let f = Fixture::new().await;
    let (mut conn, verifier) = sign_in(&f, &f.demo("demo-delegated")).await;
    conn["callback-url"] = json!("https://soar.example/other");
    let grant = f.get_refresh_token(&conn, Some(&verifier)).await;
    assert_eq!(grant.status(), "failed");
    let msg = grant.result["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("Callback URL"), "{msg}");
}

#[tokio::test]
async fn authorize_url_without_offline_access_is_refused_before_any_request() {
    let f = Fixture::new().await;
    let mut conn = f.demo("demo-delegated");
    conn["scope"] = json!("https://graph.microsoft.com/Mail.Read");
    let auth = f.get_authorization(&conn).await;
    assert_eq!(auth.status(), "failed");
    assert!(
        auth.result["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Scope:")
    );
    assert!(f.sim.requests().is_empty());
}
