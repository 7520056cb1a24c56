//! Test Connection's permission preflight: which commands the granted permissions cover,
//! read from the token's `roles` (app-only) or `scp` (delegated).

use graph_sim::AppRegistration;
use o365_tests::{Fixture, error_message, json};

fn app(client_id: &str, roles: &[&str], delegated: &[&str]) -> AppRegistration {
    AppRegistration {
        client_id: client_id.into(),
        client_secret: "preflight-secret-value".into(),
        secret_expired: false,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        delegated_scopes: delegated.iter().map(|r| r.to_string()).collect(),
        redirect_uris: vec!["https://soar.example/o365/callback".into()],
        signed_in_user: Some("soc.analyst@contoso.example".into()),
    }
}

#[tokio::test]
async fn app_with_read_only_roles_is_told_what_to_add() {
    let f = Fixture::new().await;
    let id = "0a0a0a0a-1111-4222-8333-444444444444";
    f.sim.register_app(app(id, &["Mail.Read"], &[]));
    let mut conn = f.demo("demo-app");
    conn["client-id"] = json!(id);
    conn["client-secret"] = json!("preflight-secret-value");
    let out = f.run(&conn, "test-connection", json!({})).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let keys = &out.result["key-fields"];
    assert_eq!(keys["granted-permissions"], json!(["Mail.Read"]));
    let ready = keys["commands-ready"].as_array().unwrap();
    for command in ["list-mail-folders", "fetch-event", "get-email-messages"] {
        assert!(
            ready.contains(&json!(command)),
            "{command} ready: {ready:?}"
        );
    }
    let missing = &keys["commands-missing-permissions"];
    assert_eq!(missing["create-mail-folder"], json!(["Mail.ReadWrite"]));
    assert_eq!(missing["send-mail"], json!(["Mail.Send", "Mail.ReadWrite"]));
    assert_eq!(
        missing["list-message-rules"],
        json!(["MailboxSettings.Read"])
    );
    assert!(missing.get("fetch-event").is_none());
    // No User.Read.All: no probe was possible, and none was sent.
    assert_eq!(out.result["raw-data"]["probe"]["request"], json!(null));
    assert_eq!(f.requests_to("/v1.0/"), 0);
    assert!(
        out.logs
            .iter()
            .any(|l| l.level == "warn" && l.message.contains("create-mail-folder"))
    );

    // And the command it warned about fails as predicted.
    let out = f
        .run(
            &conn,
            "create-mail-folder",
            json!({"email-address": "alex.wilber@contoso.example", "new-folder-name": "x"}),
        )
        .await;
    assert_eq!(out.status(), "failed");
    assert!(
        error_message(&out).starts_with("ErrorAccessDenied"),
        "{}",
        error_message(&out)
    );
}

#[tokio::test]
async fn delegated_scopes_are_read_from_scp() {
    let f = Fixture::new().await;
    let id = "0b0b0b0b-1111-4222-8333-444444444444";
    f.sim.register_app(app(id, &[], &["Mail.ReadBasic"]));
    let refresh = f.sim.issue_refresh_token(
        id,
        "soc.analyst@contoso.example",
        "offline_access Mail.ReadBasic",
    );
    let mut conn = f.demo("demo-delegated");
    conn["client-id"] = json!(id);
    conn["client-secret"] = json!("preflight-secret-value");
    conn["scope"] = json!("offline_access https://graph.microsoft.com/Mail.ReadBasic");
    conn["refresh-token"] = json!(refresh);
    let out = f.run(&conn, "test-connection", json!({})).await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let keys = &out.result["key-fields"];
    assert_eq!(keys["granted-permissions"], json!(["Mail.ReadBasic"]));
    let missing = &keys["commands-missing-permissions"];
    assert_eq!(missing["create-mail-folder"], json!(["Mail.ReadWrite"]));
    // ReadBasic lists folders but does not read bodies and headers.
    assert_eq!(missing["fetch-event"], json!(["Mail.Read"]));
    assert!(missing.get("list-mail-folders").is_none());
    // Without User.Read the probe is a mailbox call the scope allows.
    assert_eq!(
        out.result["raw-data"]["probe"]["request"],
        json!("GET me/mailFolders?$top=1&$select=id")
    );
}

#[tokio::test]
async fn demo_app_is_ready_for_the_mail_folder_commands() {
    let f = Fixture::new().await;
    let out = f
        .run(&f.demo("demo-app"), "test-connection", json!({}))
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let ready = out.result["key-fields"]["commands-ready"]
        .as_array()
        .unwrap();
    for command in [
        "list-mail-folders",
        "create-mail-folder",
        "fetch-event",
        "send-mail",
    ] {
        assert!(
            ready.contains(&json!(command)),
            "{command} ready: {ready:?}"
        );
    }
    // The demo app has no User.ReadWrite.All, and Report Emails is delegated-only.
    let missing = &out.result["key-fields"]["commands-missing-permissions"];
    assert_eq!(
        missing["delete-user-accounts"],
        json!(["User.ReadWrite.All"])
    );
    assert_eq!(
        missing["report-emails"],
        json!([]),
        "delegated-only: nothing to add for app-only"
    );
    assert_eq!(
        out.result["raw-data"]["probe"]["request"],
        json!("GET users?$top=1&$select=id,userPrincipalName")
    );
    assert_eq!(
        out.result["raw-data"]["probe"]["response"]["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
