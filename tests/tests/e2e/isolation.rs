//! Connections side by side in one host: what one connection's guest can reach (tokens,
//! refresh tokens, files, the redaction set) is scoped by the connection id the platform
//! names, delegated tokens are keyed by the signed-in account, and concurrent
//! invocations of one connection make one token request.

use o365_tests::{Fixture, error_message, json};
use serde_json::Value;

const ALEX: &str = "alex.wilber@contoso.example";

fn token_requests(f: &Fixture) -> usize {
    f.requests_to("/oauth2/v2.0/token")
}

fn named(mut conn: Value, id: &str) -> Value {
    conn["connection-id"] = json!(id);
    conn
}

/// A second analyst's connection of the same app: signed in as Alex.
fn alex_connection(f: &Fixture, id: &str) -> Value {
    let mut conn = named(f.demo("demo-delegated"), id);
    let client = conn["client-id"].as_str().unwrap().to_string();
    let scope = conn["scope"].as_str().unwrap().to_string();
    conn["refresh-token"] = json!(f.sim.issue_refresh_token(&client, ALEX, &scope));
    conn
}

fn folder_ids(out: &o365_host::Outcome) -> Vec<String> {
    let mut ids: Vec<String> = out.result["raw-data"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_second_analyst_of_the_same_app_never_gets_the_first_ones_tokens() {
    let f = Fixture::new().await;
    let analyst = named(f.demo("demo-delegated"), "analyst-a");
    let first = f.run(&analyst, "list-mail-folders", json!({})).await;
    assert_eq!(first.status(), "successful", "{:#}", first.result);

    // Same app, same tenant, same scope: a bad refresh token must not be covered by the
    // first analyst's cached access token.
    let mut stranger = named(f.demo("demo-delegated"), "analyst-b");
    stranger["refresh-token"] = json!("not-a-refresh-token-of-anyone");
    let out = f.run(&stranger, "list-mail-folders", json!({})).await;
    assert_eq!(out.status(), "failed", "{:#}", out.result);
    assert!(out.rotated_refresh_token.is_none());

    // A real second analyst sees her own mailbox, and the first still sees his.
    let alex = alex_connection(&f, "analyst-alex");
    let hers = f.run(&alex, "list-mail-folders", json!({})).await;
    assert_eq!(hers.status(), "successful", "{:#}", hers.result);
    let ids_of = |upn: &str| -> Vec<String> {
        f.sim
            .folders_of(upn)
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (alex_folders, analyst_folders) = (ids_of(ALEX), ids_of("soc.analyst@contoso.example"));
    assert!(!folder_ids(&hers).is_empty());
    assert!(
        folder_ids(&hers).iter().all(|id| alex_folders.contains(id)),
        "Alex sees only her own folders"
    );
    let again = f.run(&analyst, "list-mail-folders", json!({})).await;
    assert_eq!(folder_ids(&again), folder_ids(&first));
    assert!(
        folder_ids(&again)
            .iter()
            .all(|id| analyst_folders.contains(id))
    );
}

#[tokio::test]
async fn another_connections_tokens_never_reach_this_ones_redactor() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-app");
    // What a hostile guest of another connection stores as its "refresh token".
    f.tokens
        .put_refresh_token("another-connection|o365/any-key", "Inbox");
    let out = f
        .run(
            &conn,
            "list-mail-folders",
            json!({"email-addresses": [ALEX]}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let text = out.result.to_string();
    assert!(
        text.contains("\"Inbox\""),
        "other connections do not change this result"
    );
    assert!(!text.contains("[REDACTED]"), "{text}");
}

#[tokio::test]
async fn files_belong_to_the_connection_that_stored_them() {
    let f = Fixture::new().await;
    let owner = named(f.demo("demo-app"), "tenant-owner");
    let other = named(f.demo("demo-app"), "tenant-other");
    let file = f.put_file(&owner, "iocs.txt", "text/plain", b"203.0.113.7\n");
    let input = json!({"mailbox-address": "soc.analyst@contoso.example", "subject": "IOCs",
        "to-recipients": [ALEX], "file-ids": [file], "file-source": "Playbook File"});
    let out = f.run(&other, "send-mail", input.clone()).await;
    assert_eq!(out.status(), "failed", "{:#}", out.result);
    assert!(
        error_message(&out).contains(&file),
        "{}",
        error_message(&out)
    );
    let out = f.run(&owner, "send-mail", input).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
}

#[tokio::test]
async fn concurrent_invocations_of_one_connection_make_one_token_request() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-app");
    let input = json!({"email-addresses": [ALEX]});
    let runs = (0..12).map(|_| f.run(&conn, "list-mail-folders", input.clone()));
    let outs = futures_join_all(runs).await;
    for out in &outs {
        assert_eq!(out.status(), "successful", "{:#}", out.result);
    }
    assert_eq!(
        token_requests(&f),
        1,
        "the others waited for the first refresh of the key"
    );
}

/// Runs the futures concurrently on this task: they borrow the fixture, so they cannot
/// be spawned.
async fn futures_join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, fut) in pinned.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(out) => outputs[i] = Some(out),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn get_refresh_token_names_the_account_and_another_accounts_token_is_refused() {
    let f = Fixture::new().await;
    let analyst = f.demo("demo-delegated");
    let first = f.run(&analyst, "list-mail-folders", json!({})).await;
    assert_eq!(first.status(), "successful", "{:#}", first.result);
    // The account of the demo analyst, as the grant reports it.
    let auth = f.get_authorization(&analyst).await;
    let state = auth.result["data"]["state"].as_str().unwrap().to_string();
    let verifier = auth.result["data"]["code-verifier"]
        .as_str()
        .unwrap()
        .to_string();
    let url = auth.result["data"]["url"].as_str().unwrap();
    let path = url
        .strip_prefix("https://login.microsoftonline.com")
        .unwrap();
    let (_, headers) = o365_tests::http_get_head(&format!("{}{path}", f.sim.url())).await;
    let location = headers
        .iter()
        .find(|(k, _)| k == "location")
        .unwrap()
        .1
        .clone();
    assert!(location.contains(&state));
    let mut with_code = analyst.clone();
    with_code["authorization-code"] = json!(location);
    let grant = f.get_refresh_token(&with_code, Some(&verifier)).await;
    assert_eq!(grant.status(), "successful", "{:#}", grant.result);
    let account = grant.result["data"]["account"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(account.contains('.'), "oid.tid: {account}");

    // Alex's refresh token in a (new) connection that names the analyst's account.
    let mut swapped = alex_connection(&f, "swapped-refresh-token");
    swapped["account"] = json!(account);
    let out = f.run(&swapped, "list-mail-folders", json!({})).await;
    assert_eq!(out.status(), "failed", "{:#}", out.result);
    assert!(
        error_message(&out).contains("another account"),
        "{}",
        error_message(&out)
    );
    assert!(out.rotated_refresh_token.is_none(), "nothing of it is kept");
}
