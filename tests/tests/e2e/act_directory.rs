//! Setup Auto Reply, Delete User Accounts, Remove Licenses and Report Emails against the
//! simulated directory, with the permissions and roles each needs.

use graph_sim::AppRegistration;
use o365_tests::{Fixture, error_message, json};
use serde_json::Value;

const ANALYST: &str = "soc.analyst@contoso.example";
const ALEX: &str = "alex.wilber@contoso.example";
const ADELE: &str = "adele.vance@contoso.example";
const MEGAN: &str = "megan.bowen@contoso.example";
const INVOICE: &str = "Invoice overdue - action required";

/// A client-credentials connection of a new app with these application permissions.
fn app_connection(f: &Fixture, client_id: &str, roles: &[&str]) -> Value {
    f.sim.register_app(AppRegistration {
        client_id: client_id.into(),
        client_secret: "Zx9~app+/secret=".into(),
        secret_expired: false,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        delegated_scopes: vec![],
        redirect_uris: vec![],
        signed_in_user: None,
    });
    let mut conn = f.demo("demo-app");
    conn["client-id"] = json!(client_id);
    conn["client-secret"] = json!("Zx9~app+/secret=");
    conn
}

/// An authorization-code connection of the analyst with these delegated permissions.
fn delegated_connection(f: &Fixture, client_id: &str, scopes: &[&str]) -> Value {
    let mut base = f.demo("demo-delegated");
    f.sim.register_app(AppRegistration {
        client_id: client_id.into(),
        client_secret: "Dl3~gated+/secret=".into(),
        secret_expired: false,
        roles: vec![],
        delegated_scopes: scopes.iter().map(|s| s.to_string()).collect(),
        redirect_uris: vec![base["callback-url"].as_str().unwrap().to_string()],
        signed_in_user: Some(ANALYST.into()),
    });
    let scope = format!("offline_access {}", scopes.join(" "));
    base["client-id"] = json!(client_id);
    base["client-secret"] = json!("Dl3~gated+/secret=");
    base["scope"] = json!(scope);
    base["refresh-token"] = json!(
        f.sim
            .issue_refresh_token(client_id, ANALYST, &scopes.join(" "))
    );
    base
}

#[tokio::test]
async fn auto_reply_changes_only_the_given_fields() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let out = f
        .run(
            &app,
            "setup-auto-reply",
            json!({"User IDs Or User Principal Names": [ALEX, ADELE], "Status": "Scheduled",
                   "Scheduled Start Time": "2030-10-10 00:00", "Scheduled End Time": "2030-10-20T00:00:00Z",
                   "Internal Reply Message": "<p>Out of office</p>"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let out = f
        .run(
            &app,
            "setup-auto-reply",
            json!({"user-ids": [ALEX], "status": "always enabled", "external-reply-message": "<p>Away</p>"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let s = f.sim.auto_replies_of(ALEX);
    assert_eq!(s["status"], "alwaysEnabled");
    assert_eq!(s["internalReplyMessage"], "<p>Out of office</p>", "kept");
    assert_eq!(s["externalReplyMessage"], "<p>Away</p>");
    assert_eq!(
        s["scheduledStartDateTime"]["dateTime"],
        "2030-10-10T00:00:00.0000000"
    );
    assert_eq!(f.sim.auto_replies_of(ADELE)["status"], "scheduled");
    // Delegated: the analyst's own settings only; another user is that item's failure.
    let out = f
        .run(
            &f.demo("demo-delegated"),
            "setup-auto-reply",
            json!({"user-ids": [ANALYST, ALEX], "status": "Disabled"}),
        )
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    assert_eq!(out.result["errors"][0]["status-code"], 403);
    assert_eq!(f.sim.auto_replies_of(ANALYST)["status"], "disabled");
    assert_eq!(f.sim.auto_replies_of(ALEX)["status"], "alwaysEnabled");
}

#[tokio::test]
async fn delete_users_dry_run_then_for_real_with_a_protected_admin() {
    let f = Fixture::new().await;
    let conn = app_connection(
        &f,
        "33333333-0000-4000-8000-000000000001",
        &["User.ReadWrite.All"],
    );
    let dry = f
        .run(
            &conn,
            "delete-user-accounts",
            json!({"user-ids": [ALEX, MEGAN, "ghost@contoso.example"], "dry-run": true}),
        )
        .await;
    assert_eq!(dry.status(), "partially-successful", "{:#}", dry.result);
    assert_eq!(
        dry.result["key-fields"]["would-delete"],
        json!([ALEX, MEGAN])
    );
    assert!(
        f.sim.user_exists(ALEX) && f.sim.deleted_users().is_empty(),
        "dry run deletes nothing"
    );
    assert_eq!(f.requests_to("/users/"), 3);

    let out = f
        .run(
            &conn,
            "delete-user-accounts",
            json!({"User IDs Or User Principal Names": [ALEX, MEGAN]}),
        )
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    assert_eq!(out.result["key-fields"]["deleted-users"], json!([ALEX]));
    let errors = out.result["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["failure-indicator"],
        format!("Delete User Accounts failed for '{MEGAN}'.")
    );
    assert_eq!(errors[0]["status-code"], 403);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Authorization_RequestDenied")
    );
    assert_eq!(f.sim.deleted_users(), vec![ALEX]);
    assert!(f.sim.user_exists(MEGAN));
}

#[tokio::test]
async fn remove_licenses_reports_group_licenses_per_item() {
    let f = Fixture::new().await;
    let conn = app_connection(
        &f,
        "33333333-0000-4000-8000-000000000002",
        &["User.ReadWrite.All"],
    );
    let dry = f
        .run(
            &conn,
            "remove-licenses",
            json!({"User ID or Email Address": [ALEX, ADELE], "Dry Run": "true"}),
        )
        .await;
    assert_eq!(dry.status(), "successful", "{:#}", dry.result);
    assert_eq!(
        dry.result["key-fields"]["would-remove"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        f.sim.licenses_of(ALEX),
        vec!["ENTERPRISEPACK", "EMS"],
        "dry run removes nothing"
    );

    let out = f
        .run(&conn, "remove-licenses", json!({"user-ids": [ALEX, ADELE]}))
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    assert!(f.sim.licenses_of(ALEX).is_empty());
    assert_eq!(
        f.sim.licenses_of(ADELE),
        vec!["ENTERPRISEPACK"],
        "the group license stays"
    );
    let errors = out.result["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["failure-indicator"],
        format!("Remove Licenses failed for 'ENTERPRISEPACK of {ADELE}'.")
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("inherited from a group membership")
    );
    let adele = &out.result["raw-data"]["items"][1];
    assert_eq!(adele["item"], ADELE);
    assert_eq!(adele["status"], "partially-succeeded");
    assert_eq!(adele["outcome"], "partially-removed");
    assert_eq!(adele["data"]["removed"][0]["skuPartNumber"], "EMS");
    assert_eq!(
        adele["partErrors"][0]["part"],
        format!("ENTERPRISEPACK of {ADELE}")
    );
    // The demo app may read licenses but not change them.
    let denied = f
        .run(
            &f.demo("demo-app"),
            "remove-licenses",
            json!({"user-ids": [MEGAN]}),
        )
        .await;
    assert_eq!(denied.status(), "failed");
    assert!(error_message(&denied).starts_with("Authorization_RequestDenied"));
    assert_eq!(f.sim.licenses_of(MEGAN), vec!["SPE_E5"]);
}

#[tokio::test]
async fn report_emails_once_per_message_delegated_only() {
    let f = Fixture::new().await;
    let conn = delegated_connection(
        &f,
        "44444444-0000-4000-8000-000000000001",
        &[
            "Mail.ReadWrite",
            "ThreatAssessment.ReadWrite.All",
            "User.Read",
        ],
    );
    let invoice = f
        .sim
        .messages_of(ANALYST)
        .into_iter()
        .find(|m| m["subject"] == INVOICE)
        .unwrap();
    let out = f
        .run(
            &conn,
            "report-emails",
            json!({"User ID or Email Address": ANALYST, "Message IDs": [invoice["internetMessageId"]], "Category": "Spam"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let made = f.sim.threat_assessments();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["category"], "spam");
    assert_eq!(made[0]["recipientEmail"], ANALYST);
    assert_eq!(out.result["key-fields"]["request-ids"][0], made[0]["id"]);

    let again = f
        .run(
            &conn,
            "report-emails",
            json!({"user-id-or-email-address": ANALYST, "message-ids": [invoice["id"]]}),
        )
        .await;
    assert_eq!(again.status(), "failed", "{:#}", again.result);
    assert_eq!(again.result["errors"][0]["status-code"], 429);
    assert!(
        error_message(&again).contains("once per 15 minutes"),
        "{}",
        error_message(&again)
    );
    assert_eq!(f.sim.threat_assessments().len(), 1);

    let other = f
        .run(
            &conn,
            "report-emails",
            json!({"user-id-or-email-address": ALEX, "message-ids": [invoice["id"]]}),
        )
        .await;
    assert_eq!(other.status(), "failed");
    assert!(
        error_message(&other).starts_with(
            "User ID or Email Address: 'alex.wilber@contoso.example' is not the account"
        )
    );
}

#[tokio::test]
async fn delegated_deletes_need_a_role_that_outranks_the_target() {
    let f = Fixture::new().await;
    let conn = delegated_connection(
        &f,
        "44444444-0000-4000-8000-000000000002",
        &["Directory.AccessAsUser.All", "User.Read"],
    );
    let out = f
        .run(&conn, "delete-user-accounts", json!({"user-ids": [ALEX]}))
        .await;
    assert_eq!(out.status(), "failed", "{:#}", out.result);
    assert!(error_message(&out).starts_with("Authorization_RequestDenied"));
    assert!(f.sim.user_exists(ALEX));

    // A User Administrator may delete users without admin roles, not a Global Administrator.
    f.sim.assign_role(ANALYST, "User Administrator");
    let out = f
        .run(
            &conn,
            "delete-user-accounts",
            json!({"user-ids": [ALEX, MEGAN]}),
        )
        .await;
    assert_eq!(out.status(), "partially-successful", "{:#}", out.result);
    assert_eq!(out.result["key-fields"]["deleted-users"], json!([ALEX]));
    assert_eq!(out.result["errors"][0]["status-code"], 403);
    assert!(f.sim.user_exists(MEGAN));
}
