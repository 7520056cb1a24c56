//! The v2.0 token and authorize endpoints over real loopback HTTP.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use graph_sim::{AppRegistration, SimConfig};
use sha2::{Digest, Sha256};

async fn sim() -> graph_sim::SimHandle {
    graph_sim::start(SimConfig::default()).await.unwrap()
}

#[tokio::test]
async fn client_credentials_token_then_users() {
    let sim = sim().await;
    let resp = token_request(
        &sim,
        LOGIN,
        "contoso.example", // the verified domain works as the tenant
        &[
            ("client_id", APP_ID),
            ("client_secret", APP_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.header("cache-control"), Some("no-store, no-cache"));
    let body = resp.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["ext_expires_in"], 3600);
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("scope").is_none());
    let token = body["access_token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["tid"], TENANT);
    assert_eq!(c["appid"], APP_ID);
    assert_eq!(c["iss"], format!("https://sts.windows.net/{TENANT}/"));
    assert_eq!(
        c["roles"],
        serde_json::json!([
            "Mail.ReadWrite",
            "Mail.Send",
            "MailboxSettings.ReadWrite",
            "User.Read.All"
        ])
    );
    assert!(c.get("scp").is_none());
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        3600
    );

    let users = get(&sim, token, "/v1.0/users").await;
    assert_eq!(users.status, 200, "{}", users.body);
    let v = users.json();
    assert_eq!(
        v["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#users"
    );
    let list = v["value"].as_array().unwrap();
    assert_eq!(list.len(), 6);
    assert!(v.get("@odata.nextLink").is_none());
    let upns: Vec<&str> = list
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap())
        .collect();
    assert_eq!(
        upns,
        [
            ANALYST,
            "alex.wilber@contoso.example",
            "adele.vance@contoso.example",
            "megan.bowen@contoso.example",
            "finance.team@contoso.example",
            "partner_fabrikam.example#EXT#@contoso.example",
        ]
    );
    assert_eq!(list[1]["displayName"], "Alex Wilber");
    assert_eq!(list[1]["jobTitle"], "Marketing Assistant");
    assert!(list[1]["mobilePhone"].is_null());

    // $top + $select with paging through an absolute nextLink.
    let page = get(&sim, token, "/v1.0/users?$top=4&$select=displayName")
        .await
        .json();
    assert_eq!(page["value"].as_array().unwrap().len(), 4);
    assert_eq!(
        page["value"][0],
        serde_json::json!({"id": "4a7c2e19-6b3d-4f58-9e21-7d0c5b8a3f61", "displayName": "SOC Analyst"})
    );
    let next = page["@odata.nextLink"].as_str().unwrap();
    let rest = next.strip_prefix("https://graph.microsoft.com").unwrap();
    let page2 = get(&sim, token, rest).await.json();
    assert_eq!(page2["value"].as_array().unwrap().len(), 2);
    assert_eq!(page2["value"][1]["displayName"], "Pat Partner (Fabrikam)");
    assert!(page2.get("@odata.nextLink").is_none());

    // By UPN (case-insensitive, guest `#` percent-encoded) and unknown ids.
    let guest = get(
        &sim,
        token,
        "/v1.0/users/PARTNER_fabrikam.example%23EXT%23@contoso.example",
    )
    .await;
    assert_eq!(guest.status, 200, "{}", guest.body);
    assert_eq!(guest.json()["id"], "e7a9c1b3-5d7f-4b2e-9a4c-6e8f0a2c4b6d");
    let missing = get(&sim, token, "/v1.0/users/nobody@contoso.example").await;
    let msg = graph_error(&missing, 404, "Request_ResourceNotFound");
    assert_eq!(
        msg,
        "Resource 'nobody@contoso.example' does not exist or one of its queried reference-property objects are not present."
    );
    let me = get(&sim, token, "/v1.0/me").await;
    let msg = graph_error(&me, 400, "BadRequest");
    assert_eq!(
        msg,
        "/me request is only valid with delegated authentication flow."
    );
    let top = get(&sim, token, "/v1.0/users?$top=1000").await;
    graph_error(&top, 400, "Request_UnsupportedQuery");

    // The token request is in the log with its status.
    let log = sim.requests();
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path, "/contoso.example/oauth2/v2.0/token");
    assert_eq!(log[0].status, 200);
    assert!(log[0].body.contains("grant_type=client_credentials"));
    assert_eq!(log[1].path, "/v1.0/users");
    assert_eq!(log[1].status, 200);
}

#[tokio::test]
async fn client_credentials_errors_use_the_aad_body() {
    let sim = sim().await;
    let wrong = token_request(
        &sim,
        LOGIN,
        TENANT,
        &[
            ("client_id", APP_ID),
            ("client_secret", "not-the-secret"),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 401);
    let body = wrong.json();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], serde_json::json!([7000215]));
    let desc = body["error_description"].as_str().unwrap();
    assert!(
        desc.starts_with("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID"),
        "{desc}"
    );
    let trace = body["trace_id"].as_str().unwrap();
    assert!(desc.contains(&format!("\r\nTrace ID: {trace}\r\nCorrelation ID: ")));
    let ts = body["timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), 20);
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b' ');
    assert_eq!(
        body["error_uri"],
        "https://login.microsoftonline.com/error?code=7000215"
    );

    // The correlation id echoes client-request-id.
    let resp = send(
        "POST",
        &format!("{}/{TENANT}/oauth2/v2.0/token", sim.url()),
        &[("client-request-id", "11111111-2222-3333-4444-555555555555")],
        Some(&form(&[
            ("client_id", APP_ID),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])),
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 400);
    let body = resp.json();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_codes"][0], 7000218);
    assert_eq!(
        body["correlation_id"],
        "11111111-2222-3333-4444-555555555555"
    );

    let cases: [(&str, &str, &str, u16, &str, u64); 3] = [
        (
            "00000000-0000-0000-0000-000000000000",
            APP_ID,
            "https://graph.microsoft.com/.default",
            400,
            "invalid_request",
            90002,
        ),
        (
            TENANT,
            "99999999-9999-4999-8999-999999999999",
            "https://graph.microsoft.com/.default",
            400,
            "unauthorized_client",
            700016,
        ),
        (
            TENANT,
            APP_ID,
            "https://graph.microsoft.com/Mail.Read",
            400,
            "invalid_scope",
            1002012,
        ),
    ];
    for (tenant, client, scope, status, error, code) in cases {
        let resp = token_request(
            &sim,
            LOGIN,
            tenant,
            &[
                ("client_id", client),
                ("client_secret", APP_SECRET),
                ("grant_type", "client_credentials"),
                ("scope", scope),
            ],
        )
        .await;
        assert_eq!(resp.status, status, "{}", resp.body);
        let body = resp.json();
        assert_eq!(body["error"], error);
        assert_eq!(body["error_codes"][0], code);
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("AADSTS{code}: "))
        );
    }

    // A GCC High login host cannot mint tokens for the commercial Graph.
    let resp = token_request(
        &sim,
        "login.microsoftonline.us",
        TENANT,
        &[
            ("client_id", APP_ID),
            ("client_secret", APP_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["error_codes"][0], 500011);

    // An expired secret.
    sim.register_app(AppRegistration {
        client_id: "0b0b0b0b-1111-4222-8333-444444444444".into(),
        client_secret: "old+secret/=".into(),
        secret_expired: true,
        roles: vec!["Mail.Read".into()],
        delegated_scopes: vec![],
        redirect_uris: vec![],
        signed_in_user: None,
    });
    let resp = token_request(
        &sim,
        LOGIN,
        TENANT,
        &[
            ("client_id", "0b0b0b0b-1111-4222-8333-444444444444"),
            ("client_secret", "old+secret/="),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(resp.status, 401);
    assert_eq!(resp.json()["error"], "invalid_client");
    assert_eq!(resp.json()["error_codes"][0], 7000222);
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn authorize(sim: &graph_sim::SimHandle, redirect: &str, challenge: &str) -> Resp {
    let query = form(&[
        ("client_id", DELEGATED_ID),
        ("response_type", "code"),
        ("redirect_uri", redirect),
        (
            "scope",
            "offline_access https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/User.Read",
        ),
        ("state", "st-42"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]);
    send(
        "GET",
        &format!("{}/{TENANT}/oauth2/v2.0/authorize?{query}", sim.url()),
        &[("x-forwarded-host", LOGIN)],
        None,
    )
    .await
    .unwrap()
}

async fn redeem(sim: &graph_sim::SimHandle, code: &str, verifier: &str) -> Resp {
    token_request(
        sim,
        LOGIN,
        TENANT,
        &[
            ("client_id", DELEGATED_ID),
            ("client_secret", DELEGATED_SECRET),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ],
    )
    .await
}

#[tokio::test]
async fn authorization_code_with_pkce() {
    let sim = sim().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));

    let resp = authorize(&sim, CALLBACK, &challenge).await;
    assert_eq!(resp.status, 302, "{}", resp.body);
    let location = resp.header("location").unwrap().to_string();
    assert!(
        location.starts_with("https://soar.example/o365/callback?code="),
        "{location}"
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st-42"));
    let code = query_param(&location, "code").unwrap();

    // Wrong verifier: AADSTS501481, and the code stays redeemable.
    let bad = redeem(&sim, &code, "wrong-verifier-wrong-verifier-wrong-verifier").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"], "invalid_grant");
    assert_eq!(bad.json()["error_codes"][0], 501481);

    let good = redeem(&sim, &code, verifier).await;
    assert_eq!(good.status, 200, "{}", good.body);
    let body = good.json();
    assert_eq!(
        body["scope"],
        "https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/User.Read"
    );
    assert!(
        body["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("1.AQ4A")
    );
    let token = body["access_token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["scp"], "Mail.ReadWrite User.Read");
    assert_eq!(c["upn"], ANALYST);
    assert_eq!(c["preferred_username"], ANALYST);
    assert!(c.get("roles").is_none());

    let me = get(&sim, token, "/v1.0/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["userPrincipalName"], ANALYST);
    assert_eq!(me.json()["displayName"], "SOC Analyst");

    // Single use.
    let again = redeem(&sim, &code, verifier).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["error_codes"][0], 54005);

    // Unregistered redirect URI: an error page, no redirect.
    let resp = authorize(&sim, "https://evil.example/cb", &challenge).await;
    assert_eq!(resp.status, 400);
    assert!(resp.header("location").is_none());
    assert_eq!(resp.json()["error_codes"][0], 50011);

    // No offline_access at authorize -> no refresh token.
    let query = form(&[
        ("client_id", DELEGATED_ID),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
        ("scope", "Mail.ReadWrite"),
    ]);
    let resp = send(
        "GET",
        &format!("{}/{TENANT}/oauth2/v2.0/authorize?{query}", sim.url()),
        &[],
        None,
    )
    .await
    .unwrap();
    let code = query_param(resp.header("location").unwrap(), "code").unwrap();
    let body = redeem(&sim, &code, "unused").await.json();
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none());

    // A scope the app holds no consent for: AADSTS65001 at redemption.
    let query = form(&[
        ("client_id", DELEGATED_ID),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
        (
            "scope",
            "offline_access https://graph.microsoft.com/User.ReadWrite.All",
        ),
    ]);
    let resp = send(
        "GET",
        &format!("{}/{TENANT}/oauth2/v2.0/authorize?{query}", sim.url()),
        &[],
        None,
    )
    .await
    .unwrap();
    let code = query_param(resp.header("location").unwrap(), "code").unwrap();
    let denied = redeem(&sim, &code, "unused").await;
    assert_eq!(denied.status, 400);
    assert_eq!(denied.json()["error"], "invalid_grant");
    assert_eq!(denied.json()["error_codes"][0], 65001);
}

async fn refresh(sim: &graph_sim::SimHandle, token: &str) -> Resp {
    token_request(
        sim,
        LOGIN,
        TENANT,
        &[
            ("client_id", DELEGATED_ID),
            ("client_secret", DELEGATED_SECRET),
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            (
                "scope",
                "offline_access https://graph.microsoft.com/Mail.ReadWrite",
            ),
        ],
    )
    .await
}

#[tokio::test]
async fn refresh_rotates_and_old_token_stays_valid_by_default() {
    let sim = sim().await;
    let original = sim.demo_connection("demo-delegated").unwrap()["refresh-token"]
        .as_str()
        .unwrap()
        .to_string();
    let first = refresh(&sim, &original).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let body = first.json();
    assert_eq!(body["scope"], "https://graph.microsoft.com/Mail.ReadWrite");
    let rotated = body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rotated, original);
    // Like real AAD: the old one still works.
    assert_eq!(refresh(&sim, &original).await.status, 200);
    assert_eq!(refresh(&sim, &rotated).await.status, 200);

    sim.revoke_refresh_tokens(DELEGATED_ID);
    let revoked = refresh(&sim, &rotated).await;
    assert_eq!(revoked.status, 400);
    assert_eq!(revoked.json()["error"], "invalid_grant");
    assert_eq!(revoked.json()["error_codes"][0], 70008);
}

#[tokio::test]
async fn strict_rotation_revokes_the_used_refresh_token() {
    let sim = graph_sim::start(SimConfig {
        strict_refresh_rotation: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let original = sim.issue_refresh_token(
        DELEGATED_ID,
        ANALYST,
        "offline_access https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/User.Read",
    );
    let first = refresh(&sim, &original).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let rotated = first.json()["refresh_token"].as_str().unwrap().to_string();

    let reused = refresh(&sim, &original).await;
    assert_eq!(reused.status, 400);
    assert_eq!(reused.json()["error"], "invalid_grant");
    assert_eq!(reused.json()["error_codes"][0], 70008);
    assert!(
        reused.json()["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS70008: ")
    );

    let second = refresh(&sim, &rotated).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let token = second.json()["access_token"].as_str().unwrap().to_string();
    let folders = get(&sim, &token, "/v1.0/me/mailFolders/inbox").await;
    assert_eq!(folders.status, 200, "{}", folders.body);
    assert_eq!(folders.json()["displayName"], "Inbox");
}
