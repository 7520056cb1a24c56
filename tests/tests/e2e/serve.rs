//! `o365-host serve`: commands of named connections over HTTP, refusals that change
//! nothing, the bearer token, per-connection limits, and rotated refresh tokens kept.

use std::sync::Arc;
use std::time::{Duration, Instant};

use o365_host::serve::{BearerToken, Registry, TenantLimits};
use o365_tests::graph_sim::{Fault, FaultKind, SimConfig};
use o365_tests::json;
use o365_tests::serve::{ApiClient, ServeFixture, options};
use serde_json::Value;

const ALEX: &str = "alex.wilber@contoso.example";
const ADELE: &str = "adele.vance@contoso.example";

fn folder_names(result: &Value) -> Vec<String> {
    result["raw-data"]["value"]
        .as_array()
        .map(|folders| {
            folders
                .iter()
                .filter_map(|f| f["displayName"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_registered_connection_runs_commands_over_http() {
    let f = ServeFixture::new().await;
    let mut api = f.client().await;

    let health = api.get("/v1/health").await;
    assert_eq!(health.status, 200, "{}", health.text());
    assert_eq!(health.json()["status"], "ok");

    let commands = api.get("/v1/commands").await;
    assert_eq!(commands.status, 200);
    let manifest = commands.json();
    assert!(
        manifest["commands"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "list-mail-folders"),
        "{manifest:#}"
    );

    let created = api.put_connection("tenant-a", &f.demo("demo-app")).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let replaced = api.put_connection("tenant-a", &f.demo("demo-app")).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    assert_eq!(
        api.get("/v1/connections").await.json(),
        json!({"connections": ["tenant-a"]})
    );

    let reply = api
        .invoke(
            "tenant-a",
            "list-mail-folders",
            &json!({"email-addresses": [ALEX]}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.headers["content-type"], "application/json",
        "the result document is JSON"
    );
    let result = reply.json();
    assert_eq!(result["status"], "successful", "{result:#}");
    let names = folder_names(&result);
    assert!(names.iter().any(|n| n == "Inbox"), "{names:?}");

    // A command's own failure is a result (200), naming the parameter, not a refusal.
    let reply = api
        .invoke(
            "tenant-a",
            "list-mail-folders",
            &json!({"Mailbox Colour": "red"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], "failed");
    let message = reply.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.starts_with("Mailbox Colour"), "{message}");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_clear_message_and_changes_nothing() {
    let mut options = options();
    options.max_body_bytes = 4096;
    let f = ServeFixture::with(SimConfig::default(), options).await;
    let mut api = f.client().await;
    let app = f.demo("demo-app");
    assert_eq!(api.put_connection("tenant-a", &app).await.status, 201);
    f.sim.clear_requests();

    let cases: Vec<(&str, ApiCall, u16, &str, &str)> = vec![
        (
            "malformed input",
            ApiCall::Invoke(
                "tenant-a",
                "list-mail-folders",
                b"{\"email-addresses\": [".to_vec(),
            ),
            400,
            "malformed-json",
            "not valid JSON",
        ),
        (
            "input not an object",
            ApiCall::Invoke("tenant-a", "list-mail-folders", b"[1, 2]".to_vec()),
            400,
            "bad-input",
            "JSON object",
        ),
        (
            "unknown command",
            ApiCall::Invoke("tenant-a", "list-mail-foldrs", b"{}".to_vec()),
            404,
            "unknown-command",
            "list-mail-folders",
        ),
        (
            "unknown connection",
            ApiCall::Invoke("tenant-b", "list-mail-folders", b"{}".to_vec()),
            404,
            "unknown-connection",
            "tenant-b",
        ),
        (
            "oversized input",
            ApiCall::Invoke(
                "tenant-a",
                "list-mail-folders",
                format!("{{\"email-addresses\": [\"{}\"]}}", "a".repeat(5000)).into_bytes(),
            ),
            413,
            "body-too-large",
            "4096 bytes",
        ),
        (
            "malformed connection",
            ApiCall::Put("tenant-a", b"{\"grant-type\": ".to_vec()),
            400,
            "malformed-json",
            "not valid JSON",
        ),
        (
            "invalid connection",
            ApiCall::Put("tenant-a", br#"{"grant-type": "password"}"#.to_vec()),
            400,
            "bad-connection",
            "Grant Type",
        ),
        (
            "connection name that is a path",
            ApiCall::Put("..", app.to_string().into_bytes()),
            400,
            "bad-connection-name",
            "not a connection name",
        ),
        (
            "oversized connection",
            ApiCall::Put(
                "tenant-c",
                json!({"grant-type": "client-credentials", "client-secret": "s".repeat(5000)})
                    .to_string()
                    .into_bytes(),
            ),
            413,
            "body-too-large",
            "limit",
        ),
        (
            "wrong method",
            ApiCall::Raw(http::Method::DELETE, "/v1/connections/tenant-a"),
            405,
            "method-not-allowed",
            "PUT",
        ),
        (
            "unknown path",
            ApiCall::Raw(http::Method::GET, "/v2/health"),
            404,
            "not-found",
            "/v1",
        ),
    ];
    for (what, call, status, code, says) in cases {
        let reply = call.send(&mut api).await;
        assert_eq!(reply.status, status, "{what}: {}", reply.text());
        assert_eq!(reply.error_code(), code, "{what}: {}", reply.text());
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(says), "{what}: {message}");
    }
    // Nothing reached Graph or the identity platform, and the connection is unchanged.
    assert!(f.sim.requests().is_empty(), "{:?}", f.sim.requests());
    assert_eq!(f.registry.names(), ["tenant-a"]);
    assert_eq!(f.registry.get("tenant-a").unwrap().value, app);
    let ok = api
        .invoke(
            "tenant-a",
            "list-mail-folders",
            &json!({"email-addresses": [ALEX]}),
        )
        .await;
    assert_eq!(ok.json()["status"], "successful", "{}", ok.text());
}

enum ApiCall {
    Invoke(&'static str, &'static str, Vec<u8>),
    Put(&'static str, Vec<u8>),
    Raw(http::Method, &'static str),
}

impl ApiCall {
    async fn send(self, api: &mut ApiClient) -> o365_tests::serve::Reply {
        match self {
            ApiCall::Invoke(name, command, body) => api.invoke_raw(name, command, &body).await,
            ApiCall::Put(name, body) => {
                api.request(http::Method::PUT, &format!("/v1/connections/{name}"), &body)
                    .await
            }
            ApiCall::Raw(method, path) => api.request(method, path, b"").await,
        }
    }
}

#[tokio::test]
async fn a_configured_token_is_required_on_every_request() {
    const TOKEN: &str = "serve-test-token-7f3a";
    let mut options = options();
    options.token = BearerToken::new(TOKEN);
    let f = ServeFixture::with(SimConfig::default(), options).await;
    let addr = f.server.addr();
    let mut anonymous = ApiClient::connect(addr, None).await;
    let mut wrong = ApiClient::connect(addr, Some("serve-test-token-7f3b")).await;
    let mut right = ApiClient::connect(addr, Some(TOKEN)).await;
    let app = f.demo("demo-app");

    for api in [&mut anonymous, &mut wrong] {
        for reply in [
            api.get("/v1/health").await,
            api.get("/v1/commands").await,
            api.get("/v1/connections").await,
            api.put_connection("tenant-a", &app).await,
            api.invoke(
                "tenant-a",
                "list-mail-folders",
                &json!({"email-addresses": [ALEX]}),
            )
            .await,
            api.get("/nowhere").await,
        ] {
            assert_eq!(reply.status, 401, "{}", reply.text());
            assert_eq!(reply.headers["www-authenticate"], "Bearer");
            assert!(!reply.text().contains(TOKEN));
        }
    }
    assert!(f.registry.is_empty(), "a refused PUT registers nothing");
    assert!(f.sim.requests().is_empty());

    assert_eq!(right.get("/v1/health").await.status, 200);
    assert_eq!(right.put_connection("tenant-a", &app).await.status, 201);
    let reply = right
        .invoke(
            "tenant-a",
            "list-mail-folders",
            &json!({"email-addresses": [ALEX]}),
        )
        .await;
    assert_eq!(reply.json()["status"], "successful", "{}", reply.text());
}

#[tokio::test]
async fn a_slow_tenant_waits_in_its_own_line_while_others_proceed() {
    // Long enough that the fast tenant finishes well within it on a loaded machine.
    const DELAY: Duration = Duration::from_secs(3);
    let mut options = options();
    options.tenant = TenantLimits {
        concurrent: 1,
        queued: 1,
    };
    let f = ServeFixture::with(SimConfig::default(), options).await;
    let mut api = f.client().await;
    for name in ["slow", "fast"] {
        assert_eq!(
            api.put_connection(name, &f.demo("demo-app")).await.status,
            201
        );
    }
    // Tokens first, so that only the slow tenant's mailbox calls are slow.
    for (name, mailbox) in [("slow", ADELE), ("fast", ALEX)] {
        let warm = api
            .invoke(
                name,
                "list-mail-folders",
                &json!({"email-addresses": [mailbox]}),
            )
            .await;
        assert_eq!(warm.json()["status"], "successful", "{}", warm.text());
    }
    f.sim
        .inject(Fault::new("adele", FaultKind::Delay(DELAY)).times(100));

    let started = Instant::now();
    let addr = f.server.addr();
    let slow: Vec<_> = (0..3)
        .map(|i| {
            tokio::spawn(async move {
                // Staggered so the three arrive in order.
                tokio::time::sleep(Duration::from_millis(50 * i)).await;
                let mut api = ApiClient::connect(addr, None).await;
                let reply = api
                    .invoke(
                        "slow",
                        "list-mail-folders",
                        &json!({"email-addresses": [ADELE]}),
                    )
                    .await;
                (reply, started.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fast = api
        .invoke(
            "fast",
            "list-mail-folders",
            &json!({"email-addresses": [ALEX]}),
        )
        .await;
    let fast_done = started.elapsed();
    assert_eq!(fast.json()["status"], "successful", "{}", fast.text());
    assert!(
        fast_done < DELAY,
        "the fast tenant finished after {fast_done:?}, behind the slow tenant"
    );

    let mut replies = Vec::new();
    for task in slow {
        replies.push(task.await.unwrap());
    }
    // One runs, one waits its turn, the third is over the queue bound.
    let (first, first_done) = &replies[0];
    let (second, second_done) = &replies[1];
    let (third, third_done) = &replies[2];
    assert_eq!(first.json()["status"], "successful", "{}", first.text());
    assert_eq!(second.json()["status"], "successful", "{}", second.text());
    assert!(*first_done >= DELAY);
    assert!(
        *second_done >= DELAY * 2,
        "the second waited for the first: {second_done:?}"
    );
    assert_eq!(third.status, 429, "{}", third.text());
    assert_eq!(third.error_code(), "connection-busy");
    assert_eq!(third.headers["retry-after"], "1");
    assert!(*third_done < DELAY, "refused at once, not after waiting");
}

#[tokio::test]
async fn a_rotated_refresh_token_is_kept_in_the_connection_file_and_never_shown() {
    let sim = o365_tests::graph_sim::start(SimConfig {
        strict_refresh_rotation: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let connections = dir.path().join("connections");
    std::fs::create_dir(&connections).unwrap();
    let file = connections.join("analyst.json");
    let original = sim.demo_connection("demo-delegated").unwrap();
    std::fs::write(&file, original.to_string()).unwrap();

    let registry = Arc::new(Registry::load_dir(&connections, TenantLimits::default()).unwrap());
    let f = ServeFixture::on(sim, dir, registry, options()).await;
    let mut api = f.client().await;
    let reply = api.invoke("analyst", "list-mail-folders", &json!({})).await;
    assert_eq!(reply.json()["status"], "successful", "{}", reply.text());

    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let rotated = stored["refresh-token"].as_str().unwrap().to_string();
    assert_ne!(rotated, original["refresh-token"].as_str().unwrap());
    assert!(!rotated.is_empty());
    assert!(
        !reply.text().contains(&rotated),
        "the token is never in a reply"
    );
    assert_eq!(stored["client-secret"], original["client-secret"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A new process (no token cache) starts from the file: the original token was revoked
    // by its use, so only the stored rotated one can work.
    let ServeFixture {
        sim, server, dir, ..
    } = f;
    server.shutdown().await;
    let registry = Arc::new(Registry::load_dir(&connections, TenantLimits::default()).unwrap());
    let again = ServeFixture::on(sim, dir, registry, options()).await;
    let mut api = again.client().await;
    let reply = api.invoke("analyst", "list-mail-folders", &json!({})).await;
    assert_eq!(reply.json()["status"], "successful", "{}", reply.text());
}
