//! Every Graph request the component sends is one the Graph v1.0 OpenAPI slice declares,
//! and the simulator answers it (so its routes follow the slice too).

use o365_tests::openapi::Slice;
use o365_tests::{Fixture, json};

#[tokio::test]
async fn requests_follow_the_graph_openapi_slice() {
    let slice = Slice::load();
    assert!(slice.declares(
        "GET",
        "/users/alex%40contoso.example/mailFolders/AAMk%2Fx%3D/childFolders"
    ));
    assert!(!slice.declares("DELETE", "/users/x/mailFolders/y/childFolders"));

    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let delegated = f.demo("demo-delegated");
    let parent = f
        .sim
        .folders_of("soc.analyst@contoso.example")
        .into_iter()
        .find(|x| x["id"].as_str().is_some_and(|id| id.contains('/')) && x["isHidden"] == false)
        .unwrap();
    let runs = [
        (&app, "test-connection", json!({})),
        (&delegated, "test-connection", json!({})),
        (
            &delegated,
            "list-mail-folders",
            json!({"include-hidden-folders": true}),
        ),
        (
            &delegated,
            "list-mail-folders",
            json!({"parent-folder-id": "inbox"}),
        ),
        (
            &app,
            "list-mail-folders",
            json!({"email-addresses": ["soc.analyst@contoso.example"], "parent-folder-id": parent["id"]}),
        ),
        (
            &delegated,
            "create-mail-folder",
            json!({"new-folder-name": "top"}),
        ),
        (
            &delegated,
            "create-mail-folder",
            json!({"new-folder-name": "under", "destination-mail-folder-id": parent["id"]}),
        ),
        (
            &app,
            "create-mail-folder",
            json!({"email-address": "partner_fabrikam.example#EXT#@contoso.example", "new-folder-name": "x"}),
        ),
    ];
    for (conn, command, input) in runs {
        let out = f.run(conn, command, input.clone()).await;
        let expect_ok = !command.starts_with("create") || input["email-address"].is_null();
        assert_eq!(
            out.status() == "successful",
            expect_ok,
            "{command} {input}: {:#}",
            out.result
        );
    }
    let requests = f.sim.requests();
    let graph_requests = requests
        .iter()
        .filter(|r| r.path.starts_with("/v1.0/"))
        .count();
    assert!(graph_requests >= 8, "{graph_requests}");
    assert_eq!(slice.undeclared(&requests), Vec::<String>::new());
}
