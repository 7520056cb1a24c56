//! The component's two doors: `json-entry.invoke`, which the host calls for every command
//! with the platform's JSON, and the typed exports, kept for hosts that want types.

use o365_host::bindings::Plugin;
use o365_host::bindings::exports::soar::office365::commands::ListMailFoldersInput;
use o365_host::bindings::soar::office365::types::{
    ClientCredentials, Connection, Environment, Grant, Status,
};
use o365_host::connection;
use o365_tests::{Fixture, error_message, json};
use serde_json::Value;

const ALEX: &str = "alex.wilber@contoso.example";

fn folder_names(raw_data: &Value) -> Vec<String> {
    let mut names: Vec<String> = raw_data["value"]
        .as_array()
        .expect("a folder list")
        .iter()
        .map(|f| f["displayName"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

/// The demo app connection written with the vendor document's labels.
fn labelled(demo: &Value) -> Value {
    json!({
        "Microsoft 365 Environment": "Commercial & GCC Environment",
        "Tenant ID": demo["tenant-id"],
        "Grant Type": "Client Credentials",
        "Client ID": demo["client-id"],
        "Client Secret": demo["client-secret"],
        "connection-id": "labelled-app",
    })
}

#[tokio::test]
async fn invoke_takes_labels_for_the_command_the_connection_and_the_input() {
    let f = Fixture::new().await;
    let by_label = f
        .run(
            &labelled(&f.demo("demo-app")),
            "List Mail Folders",
            json!({"Email Addresses or User IDs": ALEX, "Include Hidden Folders": "false"}),
        )
        .await;
    assert_eq!(by_label.status(), "successful", "{:#}", by_label.result);
    let by_name = f
        .run(
            &f.demo("demo-app"),
            "list-mail-folders",
            json!({"email-addresses": [ALEX]}),
        )
        .await;
    assert_eq!(by_name.status(), "successful", "{:#}", by_name.result);
    assert_eq!(
        folder_names(&by_label.result["raw-data"]),
        folder_names(&by_name.result["raw-data"])
    );
    assert!(!folder_names(&by_name.result["raw-data"]).is_empty());
}

#[tokio::test]
async fn a_bad_connection_field_fails_naming_it_without_the_secret() {
    let f = Fixture::new().await;
    let mut conn = labelled(&f.demo("demo-app"));
    conn["Microsoft 365 Environment"] = json!("Mars");
    let out = f
        .run(
            &conn,
            "list-mail-folders",
            json!({"email-addresses": [ALEX]}),
        )
        .await;
    assert_eq!(out.status(), "failed");
    assert_eq!(
        error_message(&out),
        "Microsoft 365 Environment: 'mars' is not one of commercial-gcc, gcc-high, dod, china."
    );
    let secret = f.demo("demo-app")["client-secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!out.result.to_string().contains(&secret));
}

#[tokio::test]
async fn the_typed_export_gives_what_invoke_gives() {
    let f = Fixture::new().await;
    let demo = f.demo("demo-app");
    let text = |k: &str| demo[k].as_str().unwrap_or_default().to_string();
    let info = connection::parse("typed-app", &demo).expect("demo connection");
    let mut store = f.runtime.new_store(Some(&info));
    let instance = f
        .runtime
        .instance_pre()
        .instantiate_async(&mut store)
        .await
        .expect("instantiates");
    let plugin = Plugin::new(&mut store, &instance).expect("the plugin world");
    let typed = plugin
        .soar_office365_commands()
        .call_list_mail_folders(
            &mut store,
            &Connection {
                environment: Environment::CommercialGcc,
                tenant_id: text("tenant-id"),
                grant: Grant::ClientCredentials(ClientCredentials {
                    client_id: text("client-id"),
                    client_secret: text("client-secret"),
                }),
                api_version: "v1.0".into(),
            },
            &ListMailFoldersInput {
                email_addresses: vec![ALEX.into()],
                include_hidden_folders: false,
                parent_folder_id: None,
            },
        )
        .await
        .expect("the call returns");
    assert!(
        matches!(typed.status, Status::Successful),
        "{:?}",
        typed.errors
    );
    let invoked = f
        .run(
            &demo,
            "list-mail-folders",
            json!({"email-addresses": [ALEX]}),
        )
        .await;
    assert_eq!(
        folder_names(&serde_json::from_str(&typed.raw_data).unwrap()),
        folder_names(&invoked.result["raw-data"])
    );
}
