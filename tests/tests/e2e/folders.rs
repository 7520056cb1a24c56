//! List Mail Folders and Create Mail Folder against the demo tenant.

use o365_tests::{Fixture, error_message, error_status, json};

#[tokio::test]
async fn delegated_lists_the_signed_in_users_top_level_folders() {
    let f = Fixture::new().await;
    let out = f
        .run(&f.demo("demo-delegated"), "list-mail-folders", json!({}))
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let names: Vec<&str> = out.result["raw-data"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["displayName"].as_str().unwrap())
        .collect();
    let expected_visible = f
        .sim
        .folders_of("soc.analyst@contoso.example")
        .iter()
        .filter(|x| x["isHidden"] == false && x["parentFolderId"] == root_id(&f))
        .count();
    assert_eq!(names.len(), expected_visible);
    assert!(
        names.contains(&"Inbox") && names.contains(&"Escalations"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"Quarantine Review"),
        "hidden folder listed without the option"
    );
    assert_eq!(out.result["key-fields"]["folder-count"], json!(names.len()));
    // Delegated without an address goes to /me.
    assert!(f.requests_to("/v1.0/me/mailFolders") >= 1);
}

fn root_id(f: &Fixture) -> serde_json::Value {
    f.sim
        .folders_of("soc.analyst@contoso.example")
        .into_iter()
        .find(|x| x["displayName"] == "Inbox")
        .map(|x| x["parentFolderId"].clone())
        .unwrap()
}

#[tokio::test]
async fn hidden_folders_only_with_the_option() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-delegated");
    let out = f
        .run(
            &conn,
            "list-mail-folders",
            json!({"Include Hidden Folders": "True"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let hidden: Vec<_> = out.result["raw-data"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["isHidden"] == true)
        .map(|x| x["displayName"].clone())
        .collect();
    assert_eq!(hidden, vec![json!("Quarantine Review")]);
    let query = f
        .sim
        .requests()
        .iter()
        .find(|r| r.path.ends_with("/mailFolders"))
        .unwrap()
        .query
        .clone();
    assert!(query.contains("includeHiddenFolders=true"), "{query}");
}

#[tokio::test]
async fn parent_folder_by_well_known_name() {
    let f = Fixture::new().await;
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "list-mail-folders",
            json!({"parent-folder-id": "Inbox"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let names: Vec<_> = out.result["raw-data"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["displayName"].clone())
        .collect();
    assert_eq!(names, vec![json!("Phishing")]);
    assert_eq!(f.requests_to("/mailFolders/inbox/childFolders"), 1);
}

#[tokio::test]
async fn app_only_lists_several_mailboxes_with_partial_success() {
    let f = Fixture::new().await;
    let out = f
        .run(
            &f.demo("demo-app"),
            "list-mail-folders",
            json!({"email-addresses": ["alex.wilber@contoso.example", "nobody@contoso.example", "ALEX.WILBER@contoso.example"]}),
        )
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    let errors = out.result["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]["failure-indicator"]
            .as_str()
            .unwrap()
            .contains("nobody@contoso.example")
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("ErrorInvalidUser"),
        "{:#}",
        errors[0]
    );
    // The duplicate (different case) was listed once.
    assert_eq!(
        f.requests_to("/users/alex.wilber@contoso.example/mailFolders"),
        1
    );
    let mailboxes: std::collections::BTreeSet<String> = out.result["raw-data"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["mailbox"].to_string())
        .collect();
    assert_eq!(mailboxes.len(), 1);
}

#[tokio::test]
async fn paging_follows_next_link_across_pages() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-app");
    // 105 folders under Inbox: more than one page of $top=100.
    for i in 0..105 {
        let out = f
            .run(
                &conn,
                "create-mail-folder",
                json!({"email-address": "megan.bowen@contoso.example", "destination-mail-folder-id": "inbox", "new-folder-name": format!("case-{i:03}")}),
            )
            .await;
        assert_eq!(out.status(), "successful", "{:#}", out.result);
    }
    f.sim.clear_requests();
    let out = f
        .run(
            &conn,
            "list-mail-folders",
            json!({"email-addresses": "megan.bowen@contoso.example", "parent-folder-id": "inbox"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(out.result["key-fields"]["folder-count"], json!(106)); // + Phishing
    assert_eq!(f.requests_to("/childFolders"), 2, "two pages");
    let second = f
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/childFolders"))
        .nth(1)
        .unwrap();
    assert!(
        second.query.contains("skip"),
        "the nextLink was followed as given: {}",
        second.query
    );
}

#[tokio::test]
async fn create_folder_hidden_under_a_parent() {
    let f = Fixture::new().await;
    let out = f
        .run(
            &f.demo("demo-app"),
            "create-mail-folder",
            json!({"Email Address": "adele.vance@contoso.example", "Destination Mail Folder ID": "archive", "New Folder Name": "  IR-2031  ", "Is Hidden": true}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let id = out.result["key-fields"]["folder-id"]
        .as_str()
        .unwrap()
        .to_string();
    let stored = f
        .sim
        .folders_of("adele.vance@contoso.example")
        .into_iter()
        .find(|x| x["id"] == id.as_str())
        .unwrap();
    assert_eq!(stored["displayName"], "IR-2031");
    assert_eq!(stored["isHidden"], true);
    let archive = f
        .sim
        .folders_of("adele.vance@contoso.example")
        .into_iter()
        .find(|x| x["displayName"] == "Archive")
        .unwrap();
    assert_eq!(stored["parentFolderId"], archive["id"]);
    let body = &f
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.contains("childFolders"))
        .unwrap()
        .body;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).unwrap(),
        json!({"displayName": "IR-2031", "isHidden": true})
    );
}

#[tokio::test]
async fn create_folder_under_a_folder_id_with_slashes_and_pluses() {
    let f = Fixture::new().await;
    let parent = f
        .sim
        .folders_of("soc.analyst@contoso.example")
        .into_iter()
        .find(|x| {
            let id = x["id"].as_str().unwrap();
            id.contains('/') && id.contains('+') && x["isHidden"] == false
        })
        .expect("a folder id with / and +");
    let parent_id = parent["id"].as_str().unwrap();
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "create-mail-folder",
            json!({"destination-mail-folder-id": parent_id, "new-folder-name": "triage"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(out.result["key-fields"]["parent-folder-id"], parent["id"]);
}

#[tokio::test]
async fn duplicate_folder_is_reported_with_graphs_code() {
    let f = Fixture::new().await;
    let conn = f.demo("demo-delegated");
    let out = f
        .run(
            &conn,
            "create-mail-folder",
            json!({"new-folder-name": "inbox"}),
        )
        .await;
    assert_eq!(out.status(), "failed");
    assert_eq!(error_status(&out), 409);
    assert!(
        error_message(&out).starts_with("ErrorFolderExists"),
        "{}",
        error_message(&out)
    );
    assert_eq!(
        out.result["errors"][0]["failure-indicator"],
        "Create Mail Folder failed."
    );
}

#[tokio::test]
async fn unknown_parent_id_names_the_parameter() {
    let f = Fixture::new().await;
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "create-mail-folder",
            json!({"destination-mail-folder-id": "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OAAuAAAAAAA=", "new-folder-name": "x"}),
        )
        .await;
    assert_eq!(out.status(), "failed");
    assert_eq!(error_status(&out), 404);
    assert!(
        error_message(&out).contains("Destination Mail Folder ID 'AAMk"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn describe_lists_the_folder_commands_with_seed_labels() {
    let f = Fixture::new().await;
    let manifest = f.runtime.describe().await.unwrap();
    let commands = manifest["commands"].as_array().unwrap();
    let names: Vec<_> = commands
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names[..3],
        ["test-connection", "list-mail-folders", "create-mail-folder"]
    );
    let create = &commands[2];
    let labels: Vec<_> = create["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        vec![
            "Email Address",
            "Destination Mail Folder ID",
            "New Folder Name",
            "Is Hidden"
        ]
    );
    let name = &create["parameters"][2];
    assert_eq!(name["required"], true);
    assert_eq!(name["example"], "newFolder");
    assert_eq!(
        create["permissions"]["application"],
        json!(["Mail.ReadWrite"])
    );
}
