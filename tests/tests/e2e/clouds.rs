//! Each cloud reaches its own hosts, and only those: the allowlist refuses the rest.

use o365_tests::{Fixture, Options, error_message, json};

#[tokio::test]
async fn each_cloud_uses_its_login_and_graph_hosts() {
    let cases = [
        (
            "commercial-gcc",
            "login.microsoftonline.com",
            "graph.microsoft.com",
        ),
        ("gcc-high", "login.microsoftonline.us", "graph.microsoft.us"),
        ("dod", "login.microsoftonline.us", "dod-graph.microsoft.us"),
        (
            "china",
            "login.chinacloudapi.cn",
            "microsoftgraph.chinacloudapi.cn",
        ),
    ];
    for (environment, login, graph) in cases {
        let f = Fixture::new().await;
        let mut conn = f.demo("demo-app");
        conn["environment"] = json!(environment);
        let out = f.run(&conn, "test-connection", json!({})).await;
        assert_eq!(
            out.status(),
            "successful",
            "{environment}: {:#}",
            out.result
        );
        // The sim checks the token audience against the Graph host it was called as.
        assert_eq!(
            out.result["raw-data"]["token"]["aud"],
            json!(format!("https://{graph}"))
        );
        let urls: Vec<String> = f
            .http_log()
            .iter()
            .map(|e| e["url"].as_str().unwrap().to_string())
            .collect();
        assert!(
            urls[0].starts_with(&format!("https://{login}/")),
            "{environment}: {urls:?}"
        );
        assert!(urls[0].ends_with("/oauth2/v2.0/token"));
        assert!(
            urls[1].starts_with(&format!("https://{graph}/v1.0/")),
            "{environment}: {urls:?}"
        );
        let body = f.sim.requests()[0].body.clone();
        assert!(
            body.contains(&format!("https%3A%2F%2F{graph}%2F.default")),
            "{environment}: {body}"
        );
    }
}

#[tokio::test]
async fn delegated_scope_is_moved_to_the_clouds_graph_host() {
    let f = Fixture::new().await;
    let mut conn = f.demo("demo-delegated");
    conn["environment"] = json!("gcc-high");
    let out = f.run(&conn, "list-mail-folders", json!({})).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let body = f.sim.requests()[0].body.clone();
    assert!(
        body.contains("graph.microsoft.us%2FMail.ReadWrite")
            && !body.contains("graph.microsoft.com"),
        "{body}"
    );
}

#[tokio::test]
async fn hosts_outside_the_allowlist_are_refused_by_the_host() {
    let f = Fixture::with(Options {
        configure: Some(|c| c.deny_hosts = vec!["graph.microsoft.com".into()]),
        ..Options::default()
    })
    .await;
    let out = f
        .run(&f.demo("demo-app"), "test-connection", json!({}))
        .await;
    assert_eq!(out.status(), "failed", "{:#}", out.result);
    assert_eq!(out.result["errors"][0]["status-code"], 403);
    assert!(
        error_message(&out).contains("refused the request to graph.microsoft.com"),
        "{}",
        error_message(&out)
    );
    assert_eq!(out.denied_hosts, vec!["graph.microsoft.com".to_string()]);
    // The token request went out; no Graph request reached the simulator.
    assert!(
        f.sim.requests().iter().all(|r| r.path.contains("/oauth2/")),
        "{:?}",
        f.sim.requests()
    );
    let log = f.http_log();
    assert!(
        log.iter()
            .any(|e| e["error"].as_str().is_some_and(|m| m.starts_with("denied")))
    );
}
