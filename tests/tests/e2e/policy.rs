//! The HTTP policy under faults: Retry-After honoured, bounded attempts, resets, bad bodies,
//! and the host's wall-clock limit.

use std::time::Duration;

use graph_sim::{Fault, FaultKind};
use o365_tests::{Fixture, Options, error_message, error_status, json};

fn status(status: u16, retry_after: Option<&str>) -> FaultKind {
    FaultKind::Status {
        status,
        retry_after: retry_after.map(str::to_string),
    }
}

fn retry_logs(out: &o365_host::Outcome) -> Vec<String> {
    out.logs
        .iter()
        .filter(|l| l.message.contains("retrying"))
        .map(|l| l.message.clone())
        .collect()
}

#[tokio::test]
async fn throttling_is_retried_after_retry_after() {
    let f = Fixture::new().await;
    f.sim
        .inject(Fault::new("/mailFolders", status(429, Some("0.3"))));
    f.sim
        .inject(Fault::new("/mailFolders", status(503, Some("0.2"))));
    let out = f
        .run(&f.demo("demo-delegated"), "list-mail-folders", json!({}))
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(f.requests_to("/mailFolders"), 3);
    let logs = retry_logs(&out);
    assert!(
        logs[0].contains("HTTP 429") && logs[0].contains("retrying in 0.3 s"),
        "{logs:?}"
    );
    assert!(
        logs[1].contains("HTTP 503") && logs[1].contains("retrying in 0.2 s"),
        "{logs:?}"
    );
}

#[tokio::test]
async fn gives_up_at_the_attempt_bound_with_a_clear_error() {
    let f = Fixture::new().await;
    f.sim
        .inject(Fault::new("/mailFolders", status(429, Some("0"))).times(50));
    let out = f
        .run(&f.demo("demo-delegated"), "list-mail-folders", json!({}))
        .await;
    assert_eq!(out.status(), "failed");
    assert_eq!(error_status(&out), 429);
    assert!(
        error_message(&out).contains("gave up after 5 attempts"),
        "{}",
        error_message(&out)
    );
    assert_eq!(f.requests_to("/mailFolders"), 5);
}

#[tokio::test]
async fn retry_after_beyond_the_budget_fails_at_once() {
    let f = Fixture::new().await;
    f.sim
        .inject(Fault::new("/mailFolders", status(503, Some("600"))));
    let out = f
        .run(&f.demo("demo-delegated"), "list-mail-folders", json!({}))
        .await;
    assert_eq!(out.status(), "failed");
    assert_eq!(error_status(&out), 503);
    assert!(
        error_message(&out).contains("retry budget"),
        "{}",
        error_message(&out)
    );
    assert_eq!(f.requests_to("/mailFolders"), 1);
}

#[tokio::test]
async fn gateway_timeout_without_retry_after_backs_off_and_recovers() {
    let f = Fixture::new().await;
    f.sim.inject(Fault::new("/mailFolders", status(504, None)));
    let out = f
        .run(&f.demo("demo-delegated"), "list-mail-folders", json!({}))
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(f.requests_to("/mailFolders"), 2);
    // No Retry-After: the first backoff is 0.25-0.5 s (half fixed, half jitter).
    let logs = retry_logs(&out);
    let secs: f64 = logs[0]
        .split("retrying in ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.2..=0.5).contains(&secs), "{logs:?}");
}

#[tokio::test]
async fn connection_reset_on_a_read_is_retried() {
    let f = Fixture::new().await;
    f.sim
        .inject(Fault::new("/mailFolders", FaultKind::ConnectionReset));
    let out = f
        .run(&f.demo("demo-delegated"), "list-mail-folders", json!({}))
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(f.requests_to("/mailFolders"), 2);
}

#[tokio::test]
async fn connection_reset_on_a_create_is_not_repeated() {
    let f = Fixture::new().await;
    f.sim
        .inject(Fault::new("/mailFolders", FaultKind::ConnectionReset).method("POST"));
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "create-mail-folder",
            json!({"new-folder-name": "once"}),
        )
        .await;
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out).contains("not repeated"),
        "{}",
        error_message(&out)
    );
    let posts = f
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.contains("mailFolders"))
        .count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn malformed_body_is_a_clear_error() {
    let f = Fixture::new().await;
    f.sim
        .inject(Fault::new("/mailFolders", FaultKind::MalformedBody));
    let out = f
        .run(&f.demo("demo-delegated"), "list-mail-folders", json!({}))
        .await;
    assert_eq!(out.status(), "failed");
    assert_eq!(error_status(&out), 502);
    assert!(
        error_message(&out).contains("not valid JSON"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn wall_clock_limit_stops_a_slow_command() {
    let f = Fixture::with(Options {
        wall_time: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    f.sim.inject(Fault::new(
        "/mailFolders",
        FaultKind::Delay(Duration::from_secs(5)),
    ));
    let out = f
        .run(&f.demo("demo-delegated"), "list-mail-folders", json!({}))
        .await;
    assert_eq!(out.status(), "failed");
    assert_eq!(error_status(&out), 504);
    assert!(
        error_message(&out).contains("within 1 s"),
        "{}",
        error_message(&out)
    );
}
