//! Token validation and permission checks on Graph routes.

mod common;

use common::*;
use graph_sim::{AppRegistration, SimConfig};

async fn sim() -> graph_sim::SimHandle {
    graph_sim::start(SimConfig::default()).await.unwrap()
}

fn app(client_id: &str, roles: &[&str]) -> AppRegistration {
    AppRegistration {
        client_id: client_id.into(),
        client_secret: "s3cret+/=~".into(),
        secret_expired: false,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        delegated_scopes: vec![],
        redirect_uris: vec![],
        signed_in_user: None,
    }
}

#[tokio::test]
async fn missing_role_is_403() {
    let sim = sim().await;
    sim.register_app(app(
        "11111111-0000-4000-8000-000000000001",
        &["User.Read.All"],
    ));
    let token =
        client_credentials(&sim, "11111111-0000-4000-8000-000000000001", "s3cret+/=~").await;
    // Directory works with User.Read.All ...
    assert_eq!(get(&sim, &token, "/v1.0/users").await.status, 200);
    // ... mailboxes do not.
    let resp = get(&sim, &token, &format!("/v1.0/users/{ANALYST}/mailFolders")).await;
    let msg = graph_error(&resp, 403, "ErrorAccessDenied");
    assert_eq!(msg, "Access is denied. Check credentials and try again.");

    // Mail.Read reads folders but cannot create them.
    sim.register_app(app("11111111-0000-4000-8000-000000000002", &["Mail.Read"]));
    let reader =
        client_credentials(&sim, "11111111-0000-4000-8000-000000000002", "s3cret+/=~").await;
    assert_eq!(
        get(&sim, &reader, &format!("/v1.0/users/{ANALYST}/mailFolders"))
            .await
            .status,
        200
    );
    let create = graph(
        &sim,
        "POST",
        GRAPH,
        &reader,
        &format!("/v1.0/users/{ANALYST}/mailFolders"),
        Some(r#"{"displayName":"Nope"}"#),
    )
    .await;
    graph_error(&create, 403, "ErrorAccessDenied");
    let users = get(&sim, &reader, "/v1.0/users").await;
    let msg = graph_error(&users, 403, "Authorization_RequestDenied");
    assert_eq!(msg, "Insufficient privileges to complete the operation.");

    // No roles at all: the token carries no permissions.
    sim.register_app(app("11111111-0000-4000-8000-000000000003", &[]));
    let empty =
        client_credentials(&sim, "11111111-0000-4000-8000-000000000003", "s3cret+/=~").await;
    let resp = get(&sim, &empty, "/v1.0/users").await;
    graph_error(&resp, 401, "NoPermissionsInAccessToken");

    // Delegated with User.Read only: own profile yes, the directory no,
    // another user's mailbox no.
    let delegated = delegated_token(&sim).await;
    assert_eq!(get(&sim, &delegated, "/v1.0/me").await.status, 200);
    assert_eq!(
        get(&sim, &delegated, &format!("/v1.0/users/{ANALYST}"))
            .await
            .status,
        200
    );
    graph_error(
        &get(&sim, &delegated, "/v1.0/users").await,
        403,
        "Authorization_RequestDenied",
    );
    graph_error(
        &get(
            &sim,
            &delegated,
            "/v1.0/users/alex.wilber@contoso.example/mailFolders",
        )
        .await,
        403,
        "ErrorAccessDenied",
    );
    assert_eq!(
        get(
            &sim,
            &delegated,
            &format!("/v1.0/users/{ANALYST}/mailFolders")
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn audience_lifetime_and_malformed_tokens_are_401() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    // A commercial token sent to the GCC High Graph host.
    let resp = graph(
        &sim,
        "GET",
        "graph.microsoft.us",
        &token,
        "/v1.0/users",
        None,
    )
    .await;
    let msg = graph_error(&resp, 401, "InvalidAuthenticationToken");
    assert_eq!(msg, "Access token validation failure. Invalid audience.");
    assert!(
        resp.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer ")
    );

    // The GCC High flow end to end: the audience follows the scope.
    let us = token_request(
        &sim,
        "login.microsoftonline.us",
        TENANT,
        &[
            ("client_id", APP_ID),
            ("client_secret", APP_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.us/.default"),
        ],
    )
    .await;
    let us_token = us.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(claims(&us_token)["aud"], "https://graph.microsoft.us");
    let ok = graph(
        &sim,
        "GET",
        "graph.microsoft.us",
        &us_token,
        "/v1.0/users?$top=1",
        None,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(
        ok.json()["@odata.nextLink"]
            .as_str()
            .unwrap()
            .starts_with("https://graph.microsoft.us/v1.0/users?")
    );
    let wrong = graph(&sim, "GET", GRAPH, &us_token, "/v1.0/users", None).await;
    graph_error(&wrong, 401, "InvalidAuthenticationToken");

    // Missing, malformed and tampered tokens.
    let none = send("GET", &format!("{}/v1.0/users", sim.url()), &[], None)
        .await
        .unwrap();
    assert_eq!(
        graph_error(&none, 401, "InvalidAuthenticationToken"),
        "Access token is empty."
    );
    let bad = get(&sim, "garbage", "/v1.0/users").await;
    assert!(
        graph_error(&bad, 401, "InvalidAuthenticationToken")
            .starts_with("IDX14100: JWT is not well formed")
    );
    let mut parts: Vec<&str> = token.split('.').collect();
    let other = app_token(&sim).await;
    parts[2] = other.split('.').nth(2).unwrap();
    let tampered = get(&sim, &parts.join("."), "/v1.0/users").await;
    graph_error(&tampered, 401, "InvalidAuthenticationToken");

    // Expire everything issued so far; new tokens work.
    assert_eq!(get(&sim, &token, "/v1.0/users").await.status, 200);
    sim.expire_access_tokens();
    let expired = get(&sim, &token, "/v1.0/users").await;
    assert_eq!(
        graph_error(&expired, 401, "InvalidAuthenticationToken"),
        "Lifetime validation failed, the token is expired."
    );
    let fresh = app_token(&sim).await;
    assert_eq!(get(&sim, &fresh, "/v1.0/users").await.status, 200);

    // A short lifetime shows up in expires_in and really expires.
    sim.set_access_token_lifetime(1);
    let resp = token_request(
        &sim,
        LOGIN,
        TENANT,
        &[
            ("client_id", APP_ID),
            ("client_secret", APP_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(resp.json()["expires_in"], 1);
    let short = resp.json()["access_token"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let late = get(&sim, &short, "/v1.0/users").await;
    graph_error(&late, 401, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn unknown_routes_and_mailbox_errors() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let resp = get(&sim, &token, "/v1.0/foo").await;
    assert_eq!(
        graph_error(&resp, 400, "BadRequest"),
        "Resource not found for the segment 'foo'."
    );
    let resp = get(&sim, &token, &format!("/v1.0/users/{ANALYST}/bogus")).await;
    assert_eq!(
        graph_error(&resp, 400, "BadRequest"),
        "Resource not found for the segment 'bogus'."
    );
    let resp = get(
        &sim,
        &token,
        "/v1.0/users/ghost@contoso.example/mailFolders",
    )
    .await;
    assert_eq!(
        graph_error(&resp, 404, "ErrorInvalidUser"),
        "The requested user 'ghost@contoso.example' is invalid."
    );
    let resp = get(
        &sim,
        &token,
        "/v1.0/users/partner_fabrikam.example%23EXT%23@contoso.example/mailFolders",
    )
    .await;
    assert_eq!(
        graph_error(&resp, 404, "MailboxNotEnabledForRESTAPI"),
        "REST API is not yet supported for this mailbox."
    );
    let resp = get(&sim, &token, "/v1.0/me/mailFolders").await;
    graph_error(&resp, 400, "BadRequest");

    // client-request-id is echoed in innerError and the response headers.
    let auth = format!("Bearer {token}");
    let resp = send(
        "GET",
        &format!("{}/v1.0/users/ghost@contoso.example", sim.url()),
        &[("authorization", &auth), ("client-request-id", "abc-123")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        resp.json()["error"]["innerError"]["client-request-id"],
        "abc-123"
    );
    assert_eq!(resp.header("client-request-id"), Some("abc-123"));

    // /beta is an alias of v1.0.
    let beta = get(&sim, &token, &format!("/beta/users/{ANALYST}")).await;
    assert_eq!(beta.status, 200);
    assert_eq!(beta.json()["displayName"], "SOC Analyst");
}
