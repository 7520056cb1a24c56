//! Mail folder listing, paging, lookup and creation.

mod common;

use common::*;
use graph_sim::SimConfig;
use serde_json::Value;

async fn sim() -> graph_sim::SimHandle {
    graph_sim::start(SimConfig::default()).await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["displayName"].as_str().unwrap().to_string())
        .collect()
}

fn encode(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn top_level_folders_page_with_forwarded_host_next_link() {
    let sim = sim().await;
    let token = delegated_token(&sim).await;
    let first = get(&sim, &token, "/v1.0/me/mailFolders").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let page1 = first.json();
    assert_eq!(
        names(&page1),
        [
            "Archive",
            "Conversation History",
            "Deleted Items",
            "Drafts",
            "Escalations",
            "Inbox",
            "Junk Email",
            "Outbox",
            "Sent Items",
            "Sync Issues",
        ]
    );
    assert_eq!(
        page1["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#users('4a7c2e19-6b3d-4f58-9e21-7d0c5b8a3f61')/mailFolders"
    );
    let next = page1["@odata.nextLink"].as_str().unwrap();
    assert_eq!(
        next,
        "https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=10"
    );

    let page2 = get(
        &sim,
        &token,
        next.strip_prefix("https://graph.microsoft.com").unwrap(),
    )
    .await
    .json();
    assert_eq!(
        names(&page2),
        ["Threat Intel", "Vendor Notices", "Weekly digests"]
    );
    assert!(page2.get("@odata.nextLink").is_none());
    let digest = &page2["value"][2];
    assert_eq!(digest["@odata.type"], "#microsoft.graph.mailSearchFolder");
    assert_eq!(digest["isSupported"], true);
    assert_eq!(digest["filterQuery"], "contains(subject, 'weekly digest')");

    // Root's id is the parent of every top-level folder.
    let root = get(&sim, &token, "/v1.0/me/mailFolders/MsgFolderRoot")
        .await
        .json();
    assert_eq!(root["displayName"], "Top of Information Store");
    for f in page1["value"].as_array().unwrap() {
        assert_eq!(f["parentFolderId"], root["id"]);
        assert_eq!(f["isHidden"], false);
    }
    let inbox = &page1["value"][5];
    assert_eq!(inbox["childFolderCount"], 1);
    assert!(inbox["unreadItemCount"].as_u64().unwrap() >= 12);
    assert!(inbox["totalItemCount"].as_u64().unwrap() >= 48);
    assert!(inbox["sizeInBytes"].as_u64().unwrap() > 0);

    // Hidden folders only on request; $top/$select carried into nextLink,
    // and the nextLink follows whatever host the client addressed.
    let all = graph(
        &sim,
        "GET",
        "dod-graph.microsoft.us",
        &app_token_for(&sim, "login.microsoftonline.us", "https://dod-graph.microsoft.us/.default").await,
        &format!("/v1.0/users/{ANALYST}/mailFolders?includeHiddenFolders=true&$top=5&$select=displayName,isHidden"),
        None,
    )
    .await;
    assert_eq!(all.status, 200, "{}", all.body);
    let all = all.json();
    assert_eq!(
        all["@odata.nextLink"],
        format!(
            "https://dod-graph.microsoft.us/v1.0/users/{ANALYST}/mailFolders?includeHiddenFolders=true&%24top=5&%24select=displayName%2CisHidden&%24skip=5"
        )
    );
    assert_eq!(all["value"][0].as_object().unwrap().len(), 3); // id + 2 selected
    let mut seen = Vec::new();
    let mut link = Some(format!(
        "/v1.0/users/{ANALYST}/mailFolders?includeHiddenFolders=true&$top=5"
    ));
    let token_app = app_token(&sim).await;
    while let Some(path) = link {
        let page = get(&sim, &token_app, &path).await.json();
        seen.extend(page["value"].as_array().unwrap().iter().cloned());
        link = page["@odata.nextLink"].as_str().map(|l| {
            l.strip_prefix("https://graph.microsoft.com")
                .unwrap()
                .to_string()
        });
    }
    assert_eq!(seen.len(), 14);
    let quarantine = seen
        .iter()
        .find(|f| f["displayName"] == "Quarantine Review")
        .unwrap();
    assert_eq!(quarantine["isHidden"], true);
}

async fn app_token_for(sim: &graph_sim::SimHandle, login: &str, scope: &str) -> String {
    let resp = token_request(
        sim,
        login,
        TENANT,
        &[
            ("client_id", APP_ID),
            ("client_secret", APP_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn nested_folders_ids_and_lookup_errors() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let base = format!("/v1.0/users/{ANALYST}/mailFolders");
    let children = get(&sim, &token, &format!("{base}/inbox/childFolders"))
        .await
        .json();
    assert_eq!(names(&children), ["Phishing"]);
    let phishing = children["value"][0].clone();
    let phishing_id = phishing["id"].as_str().unwrap();

    // Ids are standard base64 and must be percent-encoded in the path.
    let by_id = get(&sim, &token, &format!("{base}/{}", encode(phishing_id))).await;
    assert_eq!(by_id.status, 200, "{}", by_id.body);
    assert_eq!(by_id.json()["displayName"], "Phishing");
    let nested = get(
        &sim,
        &token,
        &format!(
            "{base}/Inbox/childFolders/{}/childFolders",
            encode(phishing_id)
        ),
    )
    .await
    .json();
    assert_eq!(names(&nested), ["Reviewed"]);
    assert_eq!(nested["value"][0]["parentFolderId"], phishing["id"]);

    // Several demo ids carry '/', '+' and '='.
    let folders = sim.folders_of(ANALYST);
    let tricky = folders
        .iter()
        .filter(|f| {
            let id = f["id"].as_str().unwrap();
            id.contains('/') && id.contains('+') && id.ends_with('=')
        })
        .count();
    assert!(tricky >= 3, "only {tricky} ids contain both '/' and '+'");
    for f in &folders {
        let id = f["id"].as_str().unwrap();
        if id.contains('/') || id.contains('+') {
            let resp = get(&sim, &token, &format!("{base}/{}", encode(id))).await;
            assert_eq!(resp.status, 200, "{id}: {}", resp.body);
            assert_eq!(resp.json()["id"], id);
        }
    }

    let malformed = get(&sim, &token, &format!("{base}/not-an-id!")).await;
    assert_eq!(
        graph_error(&malformed, 400, "ErrorInvalidIdMalformed"),
        "Id is malformed."
    );
    let unknown = get(&sim, &token, &format!("{base}/AAMkAGI2TG93AAA%3D")).await;
    assert_eq!(
        graph_error(&unknown, 404, "ErrorItemNotFound"),
        "The specified object was not found in the store."
    );
    // A real folder addressed under the wrong parent.
    let wrong_parent = get(
        &sim,
        &token,
        &format!("{base}/drafts/childFolders/{}", encode(phishing_id)),
    )
    .await;
    graph_error(&wrong_parent, 404, "ErrorItemNotFound");
}

#[tokio::test]
async fn create_folder_then_duplicate_is_409() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let base = "/v1.0/users/Alex.Wilber@contoso.example/mailFolders";
    let created = graph(
        &sim,
        "POST",
        GRAPH,
        &token,
        base,
        Some(r#"{"displayName":"Case 4711"}"#),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let folder = created.json();
    assert_eq!(folder["displayName"], "Case 4711");
    assert_eq!(folder["isHidden"], false);
    assert_eq!(folder["childFolderCount"], 0);
    assert_eq!(folder["totalItemCount"], 0);
    let root = get(&sim, &token, &format!("{base}/msgfolderroot"))
        .await
        .json();
    assert_eq!(folder["parentFolderId"], root["id"]);

    let dup = graph(
        &sim,
        "POST",
        GRAPH,
        &token,
        base,
        Some(r#"{"displayName":"case 4711"}"#),
    )
    .await;
    assert_eq!(
        graph_error(&dup, 409, "ErrorFolderExists"),
        "A folder with the specified name already exists."
    );

    // The same name under another parent is fine; hidden at creation.
    let child = graph(
        &sim,
        "POST",
        GRAPH,
        &token,
        &format!("{base}/inbox/childFolders"),
        Some(r#"{"displayName":"Case 4711","isHidden":true}"#),
    )
    .await;
    assert_eq!(child.status, 201, "{}", child.body);
    assert_eq!(child.json()["isHidden"], true);
    let inbox = get(&sim, &token, &format!("{base}/inbox")).await.json();
    assert_eq!(child.json()["parentFolderId"], inbox["id"]);
    assert_eq!(inbox["childFolderCount"], 2);

    let snapshot = sim.folders_of("alex.wilber@contoso.example");
    let cases: Vec<&Value> = snapshot
        .iter()
        .filter(|f| f["displayName"] == "Case 4711")
        .collect();
    assert_eq!(cases.len(), 2);

    let empty = graph(
        &sim,
        "POST",
        GRAPH,
        &token,
        base,
        Some(r#"{"displayName":"  "}"#),
    )
    .await;
    graph_error(&empty, 400, "ErrorInvalidParameter");
    let missing = graph(&sim, "POST", GRAPH, &token, base, Some("{}")).await;
    graph_error(&missing, 400, "ErrorInvalidParameter");
    let not_json = graph(&sim, "POST", GRAPH, &token, base, Some("displayName=x")).await;
    graph_error(&not_json, 400, "BadRequest");

    // A delegated token may create only in its own mailbox.
    let delegated = delegated_token(&sim).await;
    let other = graph(
        &sim,
        "POST",
        GRAPH,
        &delegated,
        base,
        Some(r#"{"displayName":"X"}"#),
    )
    .await;
    graph_error(&other, 403, "ErrorAccessDenied");
    let own = graph(
        &sim,
        "POST",
        GRAPH,
        &delegated,
        "/v1.0/me/mailFolders",
        Some(r#"{"displayName":"Triage"}"#),
    )
    .await;
    assert_eq!(own.status, 201, "{}", own.body);
    assert!(
        sim.folders_of(ANALYST)
            .iter()
            .any(|f| f["displayName"] == "Triage")
    );
}
