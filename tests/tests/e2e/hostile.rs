//! Multi-tenant isolation (issue 8): the hostile component (crates/hostile-guest) runs
//! every escape it knows through the real host, beside a well-behaved tenant running the
//! real office365.wasm in the same process on the same token cache and file store. Every
//! attempt must be refused or bounded, the host must survive, and the neighbour's results
//! must stay correct throughout.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_sim::{Fault, FaultKind};
use o365_host::Outcome;
use o365_tests::hostile::{Arena, Limits, Neighbour, folder_names};
use o365_tests::json;
use serde_json::Value;
use sha2::{Digest, Sha256};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
/// The attacker's linear memory, at most.
const GUEST_MEMORY: usize = 96 * MIB;

/// Small bounds, so every attack ends in moments.
fn small_limits() -> Limits {
    // The defaults hold for requests in flight (8) and result JSON depth (64).
    Limits {
        cpu_time: Duration::from_secs(2),
        wall_time: Duration::from_secs(30),
        request_body_bytes: MIB as u64,
        response_body_bytes: MIB as u64,
        log_bytes: 64 * KIB,
        log_line_bytes: 4 * KIB,
        result_bytes: MIB,
        file_store_bytes: 4 * MIB as u64,
        ..Limits::default()
    }
}

async fn arena() -> Arc<Arena> {
    Arc::new(Arena::new(small_limits(), GUEST_MEMORY).await)
}

async fn arena_with(limits: Limits) -> Arc<Arena> {
    Arc::new(Arena::new(limits, GUEST_MEMORY).await)
}

/// Runs `attack` while the neighbour lists its folders again and again; returns the
/// attack's result and what went wrong for the neighbour, during the attack or in one
/// more run after it (the host still serves).
async fn beside_neighbour<T>(
    arena: &Arc<Arena>,
    attack: impl Future<Output = T>,
) -> (T, Vec<String>) {
    let expected = arena.expected_folders();
    let neighbour = Neighbour::start(arena.clone(), expected.clone());
    let out = attack.await;
    let mut problems: Vec<String> = neighbour
        .stop()
        .await
        .into_iter()
        .filter_map(|run| run.problem)
        .collect();
    match folder_names(&arena.neighbour_run().await) {
        Ok(names) if names == expected => {}
        Ok(names) => problems.push(format!("after the attack: folders {names:?}")),
        Err(e) => problems.push(format!("after the attack: {e}")),
    }
    (out, problems)
}

fn assert_neighbour_fine(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "the well-behaved tenant's results went wrong: {problems:#?}"
    );
}

fn raw(out: &Outcome) -> &Value {
    &out.result["raw-data"]
}

fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Digests of every token the shared cache holds now.
fn cached_token_digests(arena: &Arena) -> HashSet<String> {
    arena
        .tokens
        .access_tokens()
        .into_iter()
        .chain(arena.tokens.refresh_tokens())
        .map(|t| digest(&t))
        .collect()
}

fn first_error(out: &Outcome) -> String {
    out.result["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The start of a result, for messages: some results are megabytes.
fn brief(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(600) {
        Some((cut, _)) => format!("{}... ({} bytes)", &text[..cut], text.len()),
        None => text,
    }
}

/// A failed result, not a crash and not a success.
fn assert_failed(out: &Outcome, what: &str) {
    assert_eq!(out.status(), "failed", "{what}: {}", brief(&out.result));
    assert!(!first_error(out).is_empty(), "{what}: no message");
}

// ---------------------------------------------------------------------------------------
// Egress

struct Case {
    name: &'static str,
    args: Vec<String>,
    /// A path fragment that must never reach the simulator.
    marker: &'static str,
    /// The host's own refusal: denied to the guest, in `denied_hosts` and in the HTTP
    /// log. Otherwise wasi-http may refuse earlier (a malformed request), as long as
    /// nothing is sent.
    host_refusal: bool,
}

fn case(name: &'static str, args: &[&str], marker: &'static str) -> Case {
    Case {
        name,
        args: args.iter().map(|a| a.to_string()).collect(),
        marker,
        host_refusal: true,
    }
}

fn egress_cases(sim_url: &str) -> Vec<Case> {
    let sim_authority = sim_url.trim_start_matches("http://").to_string();
    let form = "b:grant_type=client_credentials&client_id=x&client_secret={secret}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";
    let mut cases = vec![
        case(
            "metadata IP, http",
            &[
                "GET",
                "http://169.254.169.254/latest/meta-data/hostile-case",
            ],
            "hostile-case",
        ),
        case(
            "metadata IP, https",
            &["GET", "https://169.254.169.254/metadata/hostile-case"],
            "hostile-case",
        ),
        case(
            "loopback IP",
            &["GET", "https://127.0.0.1/hostile-case"],
            "hostile-case",
        ),
        case(
            "localhost",
            &["GET", "https://localhost/hostile-case"],
            "hostile-case",
        ),
        case(
            "IPv6 loopback",
            &["GET", "https://[::1]/hostile-case"],
            "hostile-case",
        ),
        case(
            "another port of the Graph host",
            &["GET", "https://{graph}:8443/v1.0/hostile-case"],
            "hostile-case",
        ),
        case(
            "plain http to the Graph host",
            &["GET", "http://{graph}/v1.0/hostile-case"],
            "hostile-case",
        ),
        case(
            "another host",
            &["GET", "https://example.com/hostile-case"],
            "hostile-case",
        ),
        case(
            "a look-alike of the Graph host",
            &["GET", "https://{graph}.evil.example/hostile-case"],
            "hostile-case",
        ),
        case(
            "another cloud's Graph host",
            &["GET", "https://graph.microsoft.us/v1.0/hostile-case"],
            "hostile-case",
        ),
        case(
            "another tenant's token endpoint, with this connection's secret",
            &[
                "POST",
                "https://{login}/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
                "h:content-type: application/x-www-form-urlencoded",
                form,
            ],
            "72f988bf",
        ),
        case(
            "the multi-tenant token endpoint",
            &[
                "POST",
                "https://{login}/common/oauth2/v2.0/token",
                "h:content-type: application/x-www-form-urlencoded",
                form,
            ],
            "/common/",
        ),
        case(
            "another tenant behind a dot segment",
            &[
                "POST",
                "https://{login}/{tenant}/../72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
                "h:content-type: application/x-www-form-urlencoded",
                form,
            ],
            "72f988bf",
        ),
        case(
            "another cloud's login host",
            &[
                "POST",
                "https://login.microsoftonline.us/{tenant}/oauth2/v2.0/token/hostile-case",
                form,
            ],
            "hostile-case",
        ),
        case(
            "upload host, token in Authorization",
            &[
                "PUT",
                "https://{upload}/hostile-upload",
                "h:Authorization: Bearer {token}",
            ],
            "hostile-upload",
        ),
        case(
            "upload host, token in another header",
            &[
                "PUT",
                "https://{upload}/hostile-upload",
                "h:X-Anchor: {token}",
            ],
            "hostile-upload",
        ),
        case(
            "upload host, token in the query",
            &[
                "PUT",
                "https://{upload}/hostile-upload?access_token={token}",
            ],
            "hostile-upload",
        ),
        case(
            "upload host, token in the body",
            &[
                "PUT",
                "https://{upload}/hostile-upload",
                "b:{\"stolen\": \"{token}\"}",
            ],
            "hostile-upload",
        ),
        case(
            "the simulator itself, on loopback",
            &["GET", &format!("http://{sim_authority}/v1.0/hostile-case")],
            "hostile-case",
        ),
    ];
    for (name, url) in [
        (
            "user-info in front of loopback",
            format!("https://{{graph}}@{sim_authority}/v1.0/hostile-case"),
        ),
        (
            "another scheme",
            "ftp://{graph}/v1.0/hostile-case".to_string(),
        ),
    ] {
        cases.push(Case {
            name,
            args: vec!["GET".into(), url],
            marker: "hostile-case",
            host_refusal: false,
        });
    }
    cases.push(Case {
        name: "a Host header naming the Graph host",
        args: vec![
            "GET".into(),
            "https://example.com/hostile-case".into(),
            "h:host: {graph}".into(),
        ],
        marker: "hostile-case",
        host_refusal: false,
    });
    cases
}

fn denied_entries(arena: &Arena) -> usize {
    arena
        .bad_http_log()
        .iter()
        .filter(|e| {
            e["error"]
                .as_str()
                .is_some_and(|s| s.starts_with("denied:"))
        })
        .count()
}

/// What is wrong with one egress attempt, if anything.
async fn egress_problems(arena: &Arena, case: &Case) -> Vec<String> {
    let logged_before = denied_entries(arena);
    let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    let out = arena
        .attack("egress-attacker", &arena.demo("demo-app"), "egress", &args)
        .await;
    let seen = raw(&out);
    let mut problems = Vec::new();
    let mut problem = |p: String| problems.push(format!("{}: {p}", case.name));
    if seen["outcome"] == "status" || seen.get("outcome").is_none() {
        problem(format!("was not refused: {seen}"));
    }
    if case.host_refusal {
        if seen["outcome"] != "denied" {
            problem(format!("the guest did not see HttpRequestDenied: {seen}"));
        }
        if out.denied_hosts.is_empty() {
            problem("not listed in denied_hosts".into());
        }
        if denied_entries(arena) <= logged_before {
            problem("no \"denied:\" entry in the HTTP log".into());
        }
    }
    if arena
        .sim
        .requests()
        .iter()
        .any(|r| r.path.contains(case.marker) || r.query.contains(case.marker))
    {
        problem("reached the simulator".into());
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn egress_outside_the_connections_cloud_and_tenant_is_refused_and_logged() {
    let arena = arena().await;
    // The harness can fail: the connection's own Graph host, with its token, answers.
    let control = arena
        .attack(
            "egress-attacker",
            &arena.demo("demo-app"),
            "egress",
            &[
                "GET",
                "https://{graph}/v1.0/users/alex.wilber@contoso.example/mailFolders",
                "h:Authorization: Bearer {token}",
            ],
        )
        .await;
    assert_eq!(
        raw(&control)["outcome"],
        "status",
        "{}",
        brief(&control.result)
    );
    assert_eq!(raw(&control)["status"], 200, "{}", brief(&control.result));

    let cases = egress_cases(&arena.sim.url());
    let (problems, neighbour) = beside_neighbour(&arena, async {
        let mut problems = Vec::new();
        for case in &cases {
            problems.extend(egress_problems(&arena, case).await);
        }
        problems
    })
    .await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_request_body_past_the_bound_is_cut_off() {
    let arena = arena().await;
    let (out, neighbour) = beside_neighbour(
        &arena,
        arena.attack(
            "body-attacker",
            &arena.demo("demo-app"),
            "request-body",
            &["67108864"],
        ),
    )
    .await;
    let seen = raw(&out);
    let written = seen["body-written"].as_u64().unwrap_or(u64::MAX);
    // What the host takes past the bound is at most what is in its pipes at once.
    assert!(
        written <= 2 * MIB as u64,
        "the host took {written} bytes of a body bounded at 1 MiB: {seen}"
    );
    assert_ne!(seen["outcome"], "status", "{seen}");
    let largest = arena
        .sim
        .requests()
        .iter()
        .map(|r| r.body.len())
        .max()
        .unwrap_or(0);
    assert!(
        largest <= MIB,
        "the simulator received a {largest}-byte body"
    );
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_past_the_bound_are_refused() {
    let arena = arena().await;
    // Slow answers, so every request is still in flight when the next is handed over.
    arena.sim.inject(
        Fault::new(
            "hostile-in-flight",
            FaultKind::Delay(Duration::from_secs(2)),
        )
        .times(1000),
    );
    let (out, neighbour) = beside_neighbour(
        &arena,
        arena.attack(
            "flight-attacker",
            &arena.demo("demo-app"),
            "in-flight",
            &["64", "https://{graph}/v1.0/hostile-in-flight"],
        ),
    )
    .await;
    let seen = raw(&out);
    assert_eq!(seen["requests"], 64, "{}", brief(&out.result));
    let answered = seen["answered"].as_u64().unwrap_or(u64::MAX);
    let denied = seen["denied"].as_u64().unwrap_or(0);
    let bound = small_limits().requests_in_flight as u64;
    assert!(
        answered <= bound,
        "{answered} requests at once went out: {seen}"
    );
    assert!(denied >= 64 - bound, "only {denied} were refused: {seen}");
    assert!(!out.denied_hosts.is_empty());
    let seen_by_sim = arena.requests_to_fragment("hostile-in-flight");
    assert!(
        seen_by_sim <= bound as usize,
        "the simulator saw {seen_by_sim}"
    );
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_log_redacts_before_it_cuts() {
    let arena = arena().await;
    let conn = arena.demo("demo-app");
    let secret = conn["client-secret"].as_str().unwrap().to_string();
    for before_cut in ["4", "8", "16"] {
        arena
            .attack(
                "log-attacker",
                &conn,
                "straddle-http-log",
                &["16384", before_cut],
            )
            .await;
    }
    let log = arena.bad_http_log_text();
    assert!(!log.is_empty(), "the exchange was logged");
    assert!(
        !log.contains(&secret[..4]),
        "the HTTP log holds the first characters of the client secret"
    );
}

// ---------------------------------------------------------------------------------------
// Another connection's tokens and files

/// Another analyst's connection of the neighbour's app registration, whose refresh
/// token is no good.
fn intruder(arena: &Arena) -> Value {
    let mut conn = arena.demo("demo-delegated");
    conn["refresh-token"] = json!("not-a-valid-refresh-token");
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_reads_no_other_connections_tokens() {
    let arena = arena().await;
    let first = arena.neighbour_run().await;
    assert_eq!(first.status(), "successful", "{}", brief(&first.result));
    let mut victims = cached_token_digests(&arena);
    victims.insert(digest(
        arena.demo("demo-delegated")["refresh-token"]
            .as_str()
            .unwrap(),
    ));
    let intruder = intruder(&arena);
    let (out, neighbour) = beside_neighbour(
        &arena,
        arena.attack(
            "intruder",
            &intruder,
            "cache-read",
            &["{own-key}", "", "*", "../", "o365/", "neighbour-analyst"],
        ),
    )
    .await;
    let entries = raw(&out)["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 7, "{}", brief(&out.result));
    for entry in &entries {
        for field in ["access-sha256", "refresh-sha256"] {
            if let Some(d) = entry[field].as_str() {
                assert!(
                    !victims.contains(d),
                    "the intruder read the neighbour's {field}: {entry}"
                );
            }
        }
    }
    // Get Refresh Token's result is the one the host does not redact.
    let action = arena.bad_get_refresh_token("intruder", &intruder).await;
    if let Some(token) = action.result["data"]["refresh-token"].as_str() {
        assert!(
            !victims.contains(&digest(token)),
            "Get Refresh Token handed out the neighbour's refresh token"
        );
    }
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_cannot_change_or_remove_another_connections_tokens() {
    let arena = arena().await;
    let first = arena.neighbour_run().await;
    assert_eq!(first.status(), "successful", "{}", brief(&first.result));
    let out = arena
        .attack(
            "intruder",
            &intruder(&arena),
            "cache-write",
            &[
                "remove:{own-key}",
                "access:{own-key}=planted-access-token",
                "refresh:{own-key}=planted-refresh-token",
            ],
        )
        .await;
    assert_eq!(raw(&out)["written"], 3, "{}", brief(&out.result));
    // The neighbour's access token expires: it must refresh with its own refresh token.
    arena.sim.expire_access_tokens();
    let (_, neighbour) = beside_neighbour(&arena, async {}).await;
    assert_neighbour_fine(&neighbour);
    let planted = arena
        .sim
        .requests()
        .iter()
        .filter(|r| {
            r.body.contains("planted-") || r.headers.iter().any(|(_, v)| v.contains("planted-"))
        })
        .count();
    assert_eq!(
        planted, 0,
        "the neighbour sent the intruder's planted tokens"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_tokens_do_not_redact_my_results() {
    let arena = arena().await;
    // Another tenant's app stores words of everyone's results as its tokens.
    let out = arena
        .attack(
            "polluter",
            &arena.demo("demo-app"),
            "cache-write",
            &[
                "refresh:{own-key}=Inbox",
                "refresh:pollute-1=successful",
                "refresh:pollute-2=Escalations",
                "access:pollute-3=Drafts",
            ],
        )
        .await;
    assert_eq!(raw(&out)["written"], 4, "{}", brief(&out.result));
    let (_, neighbour) = beside_neighbour(&arena, async {}).await;
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_analysts_of_one_app_never_see_each_others_tokens_or_mail() {
    let arena = arena().await;
    let soc = arena.demo("demo-delegated");
    let mut alex = soc.clone();
    alex["refresh-token"] = json!(arena.sim.issue_refresh_token(
        soc["client-id"].as_str().unwrap(),
        "alex.wilber@contoso.example",
        soc["scope"].as_str().unwrap(),
    ));
    let mut soc_refresh = HashSet::from([digest(soc["refresh-token"].as_str().unwrap())]);
    let mut alex_refresh = HashSet::from([digest(alex["refresh-token"].as_str().unwrap())]);
    let list = |id: &'static str, conn: Value| {
        let arena = arena.clone();
        async move {
            arena
                .run_good(id, &conn, "list-mail-folders", json!({}))
                .await
        }
    };
    for round in ["empty cache", "cached tokens", "expired tokens"] {
        if round == "expired tokens" {
            arena.sim.expire_access_tokens();
        }
        // Both at once, as two analysts would.
        let (soc_out, alex_out) = tokio::join!(
            list("analyst-soc", soc.clone()),
            list("analyst-alex", alex.clone())
        );
        let soc_names = folder_names(&soc_out).unwrap_or_else(|e| panic!("{round}: soc: {e}"));
        let alex_names = folder_names(&alex_out).unwrap_or_else(|e| panic!("{round}: alex: {e}"));
        assert!(
            soc_names.iter().any(|n| n == "Escalations")
                && !soc_names.iter().any(|n| n == "Projects"),
            "{round}: the SOC analyst's connection listed {soc_names:?}"
        );
        assert!(
            alex_names.iter().any(|n| n == "Projects")
                && !alex_names.iter().any(|n| n == "Escalations"),
            "{round}: Alex's connection listed {alex_names:?}"
        );
        soc_refresh.extend(soc_out.rotated_refresh_token.as_deref().map(digest));
        alex_refresh.extend(alex_out.rotated_refresh_token.as_deref().map(digest));
        assert!(
            soc_refresh.is_disjoint(&alex_refresh),
            "{round}: a refresh token went to the other analyst's connection"
        );
    }
    // A third connection of the app whose refresh token is no good gets nobody's mailbox
    // and nobody's refresh token.
    let stranger = list("analyst-stranger", intruder(&arena)).await;
    assert_eq!(
        stranger.status(),
        "failed",
        "a connection with a bad refresh token listed: {}",
        brief(&stranger.result)
    );
    if let Some(token) = stranger.rotated_refresh_token.as_deref() {
        let d = digest(token);
        assert!(
            !soc_refresh.contains(&d) && !alex_refresh.contains(&d),
            "the stranger's connection was handed another analyst's refresh token"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_of_another_connection_are_out_of_reach() {
    let arena = arena().await;
    let owner = arena.demo("demo-app");
    let put = arena
        .attack("files-owner", &owner, "file-put", &["1024", "1"])
        .await;
    let id = raw(&put)["ids"][0]
        .as_str()
        .unwrap_or_else(|| panic!("the owner stores a file: {}", brief(&put.result)))
        .to_string();
    let own = arena
        .attack("files-owner", &owner, "file-get", &[&id])
        .await;
    assert_eq!(
        raw(&own)["files"][0]["found"],
        true,
        "{}",
        brief(&own.result)
    );
    let mut other_tenant = owner.clone();
    other_tenant["tenant-id"] = json!("fabrikam.example");
    let (outs, neighbour) = beside_neighbour(&arena, async {
        let same_app = arena
            .attack("files-thief", &owner, "file-get", &[&id])
            .await;
        let other = arena
            .attack("files-foreigner", &other_tenant, "file-get", &[&id])
            .await;
        [
            ("same app, other connection", same_app),
            ("other tenant", other),
        ]
    })
    .await;
    for (who, out) in &outs {
        assert_eq!(
            raw(out)["files"][0]["found"],
            false,
            "{who} read the file: {}",
            brief(&out.result)
        );
    }
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_like_file_ids_are_refused() {
    let arena = arena().await;
    let long = "a".repeat(100 * KIB);
    let ids = [
        "../../../../etc/passwd",
        "/etc/passwd",
        "..",
        ".",
        "",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..\\..\\..\\etc\\passwd",
        "0123456789abcdef0123456789abcdef/../../../etc/passwd",
        "../0123456789abcdef0123456789abcdef",
        "0123456789ABCDEF0123456789ABCDEF",
        "0123456789abcdef0123456789abcde\0",
        "~/.ssh/id_rsa",
        &long,
    ];
    let (out, neighbour) = beside_neighbour(
        &arena,
        arena.attack("path-attacker", &arena.demo("demo-app"), "file-get", &ids),
    )
    .await;
    let files = raw(&out)["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), ids.len(), "{}", brief(&out.result));
    for (id, file) in ids.iter().zip(&files) {
        assert_eq!(
            file["found"],
            false,
            "{:?}: {file}",
            &id[..id.len().min(64)]
        );
    }
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_past_the_file_store_quota_is_refused() {
    let arena = arena().await;
    let out = arena
        .attack(
            "quota-attacker",
            &arena.demo("demo-app"),
            "file-put",
            &["1048576", "8"],
        )
        .await;
    let seen = raw(&out);
    let stored = seen["stored"].as_u64().unwrap_or(u64::MAX);
    assert!(
        stored <= 4,
        "{stored} MiB stored past a 4 MiB quota: {seen}"
    );
    assert!(seen["error"].is_string(), "no refusal: {seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_cannot_hoard_the_token_cache() {
    let arena = arena().await;
    let before: usize = arena.tokens.access_tokens().iter().map(String::len).sum();
    arena
        .attack(
            "hoarder",
            &arena.demo("demo-app"),
            "cache-hoard",
            &["64", "1048576"],
        )
        .await;
    let after: usize = arena.tokens.access_tokens().iter().map(String::len).sum();
    assert!(
        after - before <= 16 * MIB,
        "one invocation left {} MiB of access tokens in the host's cache",
        (after - before) / MIB
    );
}

// ---------------------------------------------------------------------------------------
// Crashes, CPU, memory, volume

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traps_panics_and_stack_overflow_are_failed_results() {
    let arena = arena().await;
    let conn = arena.demo("demo-app");
    let (outs, neighbour) = beside_neighbour(&arena, async {
        let mut outs = Vec::new();
        for attack in ["trap", "panic", "stack-overflow", "random-huge"] {
            outs.push((attack, arena.attack("crasher", &conn, attack, &[]).await));
        }
        outs
    })
    .await;
    for (attack, out) in &outs {
        assert_failed(out, attack);
    }
    let echo = arena.attack("crasher", &conn, "echo", &[]).await;
    assert_eq!(echo.status(), "successful", "{}", brief(&echo.result));
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_growth_stops_at_the_guest_limit() {
    let arena = arena().await;
    let (out, neighbour) = beside_neighbour(
        &arena,
        arena.attack("grower", &arena.demo("demo-app"), "memory-growth", &[]),
    )
    .await;
    assert!(
        out.peak_memory_bytes <= GUEST_MEMORY as u64,
        "{}",
        out.peak_memory_bytes
    );
    // Either the guest saw its allocation fail and said so, or it was stopped.
    if out.status() == "successful" {
        let grown = raw(&out)["grown-mib"].as_u64().unwrap_or(u64::MAX);
        assert!(grown * MIB as u64 <= GUEST_MEMORY as u64, "{grown} MiB");
    }
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_loop_is_stopped_by_the_cpu_budget() {
    // On the caller's executor throughout: on the batch executor (tiers.rs) the loop runs
    // at the lowest priority, and on a busy machine the wall clock would stop it first.
    let arena = arena_with(Limits {
        light_cpu_time: Duration::MAX,
        ..small_limits()
    })
    .await;
    let started = Instant::now();
    let (out, neighbour) = beside_neighbour(
        &arena,
        arena.attack("spinner", &arena.demo("demo-app"), "busy-loop", &[]),
    )
    .await;
    assert_failed(&out, "busy loop");
    assert!(
        first_error(&out).to_ascii_lowercase().contains("cpu"),
        "{}",
        first_error(&out)
    );
    assert!(started.elapsed() < small_limits().wall_time);
    assert_neighbour_fine(&neighbour);
}

/// CPU time this thread has run, from the scheduler's own account.
fn thread_cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(nanos)
}

/// Host calls that cost the host far more than the guest (a 64 MiB cache key hashed and
/// copied on every call) are charged to the budget too. One thread, so the thread's CPU
/// time is the invocation's (guest and host calls alike); no neighbour here, for the same
/// reason; and no batch executor (`light_cpu_time` off), so it stays on this thread.
#[tokio::test]
async fn busy_host_calls_are_charged_to_the_cpu_budget() {
    let arena = arena_with(Limits {
        light_cpu_time: Duration::MAX,
        ..small_limits()
    })
    .await;
    let before = thread_cpu_time();
    let out = arena
        .attack(
            "host-spinner",
            &arena.demo("demo-app"),
            "busy-host-calls",
            &["token-get", "67108864"],
        )
        .await;
    let spent = thread_cpu_time() - before;
    assert_failed(&out, "busy host calls");
    let budget = small_limits().cpu_time;
    assert!(
        spent <= budget * 3 / 2 + Duration::from_secs(1),
        "a {budget:?} CPU budget let the invocation spend {spent:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sleeping_guest_is_stopped_by_the_wall_clock() {
    let arena = arena_with(Limits {
        wall_time: Duration::from_secs(2),
        ..small_limits()
    })
    .await;
    let started = Instant::now();
    let out = arena
        .attack("sleeper", &arena.demo("demo-app"), "sleep", &[])
        .await;
    assert_failed(&out, "sleep");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_volume_and_line_length_are_bounded() {
    let arena = arena().await;
    let (out, neighbour) = beside_neighbour(
        &arena,
        arena.attack(
            "logger",
            &arena.demo("demo-app"),
            "logs",
            &["16777216", "65536"],
        ),
    )
    .await;
    let limits = small_limits();
    let total: usize = out.logs.iter().map(|l| l.message.len()).sum();
    let longest = out.logs.iter().map(|l| l.message.len()).max().unwrap_or(0);
    assert!(
        total <= limits.log_bytes + limits.log_line_bytes + 256,
        "{total} bytes of logs kept past a {}-byte bound",
        limits.log_bytes
    );
    assert!(
        longest <= limits.log_line_bytes + 64,
        "a {longest}-byte line"
    );
    let last = out.logs.last().map(|l| l.message.to_ascii_lowercase());
    assert!(
        last.as_deref().is_some_and(|l| l.contains("drop")),
        "no final line says lines were dropped: {last:?}"
    );
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_sets_kept_alive_do_not_grow_host_memory_past_the_bound() {
    let arena = arena().await;
    let (out, neighbour) = beside_neighbour(
        &arena,
        arena.attack(
            "hoarder",
            &arena.demo("demo-app"),
            "fields-hoard",
            &["2000"],
        ),
    )
    .await;
    if out.status() == "successful" {
        let bytes = raw(&out)["header-bytes"].as_u64().unwrap_or(u64::MAX);
        assert!(
            bytes <= (GUEST_MEMORY + 16 * MIB) as u64,
            "the host holds {} MiB of the guest's headers, beyond its {} MiB memory limit",
            bytes / MIB as u64,
            GUEST_MEMORY / MIB
        );
    }
    assert_neighbour_fine(&neighbour);
}

// ---------------------------------------------------------------------------------------
// Results

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_and_wide_results_are_failed_results() {
    let arena = arena().await;
    let conn = arena.demo("demo-app");
    let (outs, neighbour) = beside_neighbour(&arena, async {
        [
            (
                "a 4 MiB string",
                arena
                    .attack("big", &conn, "huge-result", &["4194304"])
                    .await,
            ),
            (
                "200,000 errors",
                arena.attack("big", &conn, "wide-result", &["200000"]).await,
            ),
        ]
    })
    .await;
    for (what, out) in &outs {
        assert_failed(out, what);
        let size = out.result.to_string().len();
        assert!(size < 64 * KIB, "{what}: a {size}-byte result");
    }
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_result_json_is_a_failed_result_not_a_crash() {
    let arena = arena().await;
    let conn = arena.demo("demo-app");
    let (outs, neighbour) = beside_neighbour(&arena, async {
        let mut outs = Vec::new();
        for part in ["raw-data", "key-fields", "context-data", "events"] {
            for depth in ["100", "1000", "100000"] {
                let out = arena
                    .attack("deep", &conn, "deep-result", &[depth, part])
                    .await;
                outs.push((format!("{part} {depth} deep"), out));
            }
        }
        outs
    })
    .await;
    for (what, out) in &outs {
        assert_failed(out, what);
    }
    // Within the bound it is a result like any other.
    let shallow = arena
        .attack("deep", &conn, "deep-result", &["50", "raw-data"])
        .await;
    assert_eq!(shallow.status(), "successful", "{}", brief(&shallow.result));
    assert_neighbour_fine(&neighbour);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_written_with_json_escapes_or_logged_are_redacted() {
    let arena = arena().await;
    let conn = arena.demo("demo-app");
    let secret = conn["client-secret"].as_str().unwrap().to_string();
    let escaped = arena.attack("leaker", &conn, "escaped-secret", &[]).await;
    for part in ["raw-data", "key-fields", "context-data", "events", "errors"] {
        let text = escaped.result[part].to_string();
        let decoded = serde_json::from_str::<Value>(&text).map(|v| v.to_string());
        assert!(
            !text.contains(&secret) && !decoded.is_ok_and(|d| d.contains(&secret)),
            "{part} carries the client secret"
        );
    }
    // Every string of the result, decoded.
    fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(m) => m.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    strings(&escaped.result, &mut all);
    assert!(
        !all.iter().any(|s| s.contains(&secret)),
        "a decoded string of the result is the client secret"
    );
    let logged = arena.attack("leaker", &conn, "secret-in-log", &[]).await;
    assert!(!logged.logs.is_empty());
    assert!(
        !logged.logs.iter().any(|l| l.message.contains(&secret)),
        "a log line carries the client secret"
    );
}

/// A connection whose guest ran into a host bound starts its next invocations on the
/// low-priority batch executor, however short each one is; a well-behaved connection
/// beside it does not (host/src/tiers.rs; the latency it buys is in docs/benchmarks.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_hits_a_bound_is_moved_to_the_batch_executor() {
    let arena = arena().await;
    let conn = arena.demo("demo-app");
    let out = arena.attack("flooder", &conn, "in-flight", &["3000"]).await;
    assert!(
        !out.denied_hosts.is_empty(),
        "requests past the limit refused"
    );
    assert!(arena.bad.starts_on_batch("flooder"));
    assert!(!arena.bad.starts_on_batch("someone-else"));
    let echo = arena.attack("polite", &conn, "echo", &[]).await;
    assert_eq!(echo.status(), "successful", "{:?}", echo.result);
    assert!(!arena.bad.starts_on_batch("polite"));
    let neighbour = arena.neighbour_run().await;
    assert_eq!(neighbour.status(), "successful");
    assert!(!arena.good.starts_on_batch(o365_tests::hostile::NEIGHBOUR));
}
