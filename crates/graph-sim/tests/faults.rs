//! Fault injection and the request log.

mod common;

use std::time::{Duration, Instant};

use common::*;
use graph_sim::{Fault, FaultKind, SimConfig};

#[tokio::test]
async fn throttled_then_success() {
    let sim = graph_sim::start(SimConfig::default()).await.unwrap();
    let token = app_token(&sim).await;
    sim.clear_requests();
    sim.inject(Fault {
        method: Some("GET".into()),
        path_contains: "/mailFolders".into(),
        times: 1,
        kind: FaultKind::Status {
            status: 429,
            retry_after: Some("2".into()),
        },
    });
    let path = format!("/v1.0/users/{ANALYST}/mailFolders");
    let throttled = get(&sim, &token, &path).await;
    assert_eq!(throttled.header("retry-after"), Some("2"));
    let msg = graph_error(&throttled, 429, "TooManyRequests");
    assert_eq!(msg, "Please retry again later.");
    assert_eq!(throttled.json()["error"]["innerError"]["status"], "429");

    let ok = get(&sim, &token, &path).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["value"].as_array().unwrap().len(), 10);

    let log = sim.requests();
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200]);
    assert!(log.iter().all(|r| r.path == path));
    assert_eq!(log[0].header("x-forwarded-host"), Some(GRAPH));
}

#[tokio::test]
async fn other_fault_kinds() {
    let sim = graph_sim::start(SimConfig::default()).await.unwrap();
    let token = app_token(&sim).await;
    sim.clear_requests();

    // 503 on the token endpoint answers in AAD's shape.
    sim.inject(Fault::new(
        "/oauth2/v2.0/token",
        FaultKind::Status {
            status: 503,
            retry_after: None,
        },
    ));
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
    assert_eq!(resp.status, 503);
    assert_eq!(resp.json()["error"], "temporarily_unavailable");

    // 503 and 504 on Graph.
    sim.inject(Fault::new(
        "/users",
        FaultKind::Status {
            status: 503,
            retry_after: Some("1.5".into()),
        },
    ));
    sim.inject(Fault::new(
        "/users",
        FaultKind::Status {
            status: 504,
            retry_after: None,
        },
    ));
    let r1 = get(&sim, &token, "/v1.0/users").await;
    graph_error(&r1, 503, "ServiceNotAvailable");
    assert_eq!(r1.header("retry-after"), Some("1.5"));
    graph_error(&get(&sim, &token, "/v1.0/users").await, 504, "UnknownError");

    // Expired-token fault, method filter respected.
    sim.inject(Fault::new("/users", FaultKind::ExpiredToken).method("POST"));
    sim.inject(Fault::new("/users", FaultKind::ExpiredToken));
    let expired = get(&sim, &token, "/v1.0/users").await;
    assert_eq!(
        graph_error(&expired, 401, "InvalidAuthenticationToken"),
        "Lifetime validation failed, the token is expired."
    );
    sim.clear_faults();
    assert_eq!(get(&sim, &token, "/v1.0/users").await.status, 200);

    // Malformed body: success status, JSON cut short.
    sim.inject(Fault::new("/users", FaultKind::MalformedBody));
    let broken = get(&sim, &token, "/v1.0/users").await;
    assert_eq!(broken.status, 200);
    assert!(broken.body.starts_with('{'));
    assert!(serde_json::from_str::<serde_json::Value>(&broken.body).is_err());

    // Delay, then the normal answer.
    sim.inject(Fault::new("/users", FaultKind::Delay(Duration::from_millis(400))).times(1));
    let started = Instant::now();
    let slow = get(&sim, &token, "/v1.0/users").await;
    assert_eq!(slow.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));

    // Connection reset: no response at all, logged with status 0.
    sim.inject(Fault::new("/users", FaultKind::ConnectionReset));
    let auth = format!("Bearer {token}");
    let reset = send(
        "GET",
        &format!("{}/v1.0/users", sim.url()),
        &[("authorization", &auth)],
        None,
    )
    .await;
    assert!(reset.is_err(), "expected a dropped connection");
    assert_eq!(get(&sim, &token, "/v1.0/users").await.status, 200);

    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 504, 401, 200, 200, 200, 0, 200]);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let sim = graph_sim::start(SimConfig::default()).await.unwrap();
    let url = sim.url();
    assert!(
        send("GET", &format!("{url}/v1.0/users"), &[], None)
            .await
            .is_ok()
    );
    sim.shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        send("GET", &format!("{url}/v1.0/users"), &[], None)
            .await
            .is_err()
    );
}
