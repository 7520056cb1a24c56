//! The write side over the wire: $batch, move/copy/delete, drafts and sending, upload
//! sessions, mailbox settings, licenses, deleting users, threat assessment requests.

mod common;

use common::*;
use graph_sim::{AppRegistration, Fault, FaultKind, SimConfig, SimHandle};
use serde_json::{Value, json};

const ALEX: &str = "alex.wilber@contoso.example";
const ADELE: &str = "adele.vance@contoso.example";
const MEGAN: &str = "megan.bowen@contoso.example";
const INVOICE: &str = "Invoice overdue - action required";

async fn sim() -> SimHandle {
    graph_sim::start(SimConfig::default()).await.unwrap()
}

fn enc(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn id_of(sim: &SimHandle, user: &str, subject: &str) -> String {
    sim.messages_of(user)
        .into_iter()
        .find(|m| m["subject"] == subject)
        .and_then(|m| m["id"].as_str().map(String::from))
        .unwrap_or_else(|| panic!("no '{subject}' in {user}"))
}

async fn post(sim: &SimHandle, token: &str, path: &str, body: Value) -> Resp {
    graph(sim, "POST", GRAPH, token, path, Some(&body.to_string())).await
}

async fn app_with(sim: &SimHandle, client: &str, roles: &[&str]) -> String {
    sim.register_app(AppRegistration {
        client_id: client.into(),
        client_secret: "s3cret+/=~".into(),
        secret_expired: false,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        delegated_scopes: vec![],
        redirect_uris: vec![],
        signed_in_user: None,
    });
    client_credentials(sim, client, "s3cret+/=~").await
}

#[tokio::test]
async fn batch_moves_with_new_ids_per_item_throttling_and_424() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let invoice = id_of(&sim, ALEX, INVOICE);
    sim.inject(
        Fault::new(
            "/move",
            FaultKind::Status {
                status: 429,
                retry_after: Some("3".into()),
            },
        )
        .method("POST"),
    );
    let body = json!({"requests": [
        {"id": "a", "method": "POST", "url": format!("/users/{ALEX}/messages/{}/move", enc(&invoice)),
         "headers": {"Content-Type": "application/json"}, "body": {"destinationId": "junkemail"}},
        {"id": "b", "method": "POST", "url": format!("/users/{ALEX}/messages/{}/copy", enc(&invoice)),
         "headers": {"Content-Type": "application/json"}, "body": {"destinationId": "archive"}},
        {"id": "c", "method": "DELETE", "url": "/users/alex.wilber@contoso.example/messages/AAMkAGnope00000000000A==", "dependsOn": ["b"]},
        {"id": "d", "method": "GET", "url": "/users/alex.wilber@contoso.example/messages?$filter=subject eq 'Invoice overdue - action required'&$select=id", "dependsOn": ["c"]},
    ]});
    let resp = post(&sim, &token, "/v1.0/$batch", body).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let answers = resp.json()["responses"].as_array().unwrap().clone();
    let by = |id: &str| answers.iter().find(|a| a["id"] == id).unwrap().clone();
    // The first move met the injected 429: its Retry-After travels in the item.
    assert_eq!(by("a")["status"], 429);
    assert_eq!(by("a")["headers"]["Retry-After"], "3");
    let copy = by("b");
    assert_eq!(copy["status"], 201);
    assert_ne!(copy["body"]["id"], json!(invoice), "a copy is a new item");
    assert_eq!(by("c")["status"], 404);
    assert_eq!(by("d")["status"], 424);
    assert_eq!(by("d")["body"]["error"]["code"], "FailedDependency");
    // Items are logged as requests of their own, marked as batched.
    let batched: Vec<_> = sim.requests().into_iter().filter(|r| r.via_batch).collect();
    assert_eq!(batched.len(), 3, "the 424 item never ran");

    // Again without the fault: the move answers 201 and the old id is gone.
    let again = post(&sim, &token, "/v1.0/$batch", json!({"requests": [
        {"id": "1", "method": "POST", "url": format!("/users/{ALEX}/messages/{}/move", enc(&invoice)),
         "headers": {"Content-Type": "application/json"}, "body": {"destinationId": "junkemail"}}]})).await;
    let moved = &again.json()["responses"][0];
    assert_eq!(moved["status"], 201, "{moved}");
    let new_id = moved["body"]["id"].as_str().unwrap();
    assert_ne!(new_id, invoice);
    let old = get(
        &sim,
        &token,
        &format!("/v1.0/users/{ALEX}/messages/{}", enc(&invoice)),
    )
    .await;
    graph_error(&old, 404, "ErrorItemNotFound");
    let junk = get(
        &sim,
        &token,
        &format!(
            "/v1.0/users/{ALEX}/mailFolders/junkemail/messages?$filter={}",
            enc(&format!("subject eq '{INVOICE}'"))
        ),
    )
    .await;
    assert_eq!(junk.json()["value"][0]["id"], new_id);
}

#[tokio::test]
async fn batch_limits_are_enforced() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users?$top=1"}))
        .collect();
    let resp = post(&sim, &token, "/v1.0/$batch", json!({"requests": many})).await;
    graph_error(&resp, 400, "BadRequest");
    let cycle = post(
        &sim,
        &token,
        "/v1.0/$batch",
        json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]},
        {"id": "2", "method": "GET", "url": "/users", "dependsOn": ["1"]}]}),
    )
    .await;
    graph_error(&cycle, 400, "BadRequest");
    // Per-item permission checks: the demo app cannot delete users.
    let delete = post(
        &sim,
        &token,
        "/v1.0/$batch",
        json!({"requests": [
        {"id": "1", "method": "DELETE", "url": format!("/users/{ALEX}")}]}),
    )
    .await;
    assert_eq!(delete.json()["responses"][0]["status"], 403);
    assert!(sim.user_exists(ALEX));
}

#[tokio::test]
async fn draft_attach_send_delivers_inside_the_tenant_and_keeps_a_sent_copy() {
    let sim = sim().await;
    let token = delegated_token(&sim).await;
    let draft = post(
        &sim,
        &token,
        "/v1.0/me/messages",
        json!({
            "subject": "IR-2031 containment",
            "body": {"contentType": "HTML", "content": "<p>Please reset your password.</p>"},
            "toRecipients": [{"emailAddress": {"address": ALEX}}],
            "bccRecipients": [{"emailAddress": {"address": "outside@fabrikam.example"}}],
        }),
    )
    .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let d = draft.json();
    assert_eq!(d["isDraft"], true);
    let id = d["id"].as_str().unwrap().to_string();
    let att = post(&sim, &token, &format!("/v1.0/me/messages/{}/attachments", enc(&id)), json!({
        "@odata.type": "#microsoft.graph.fileAttachment", "name": "ioc.txt", "contentType": "text/plain", "contentBytes": "MS4yLjMuNA=="})).await;
    assert_eq!(att.status, 201, "{}", att.body);
    let sent = graph(
        &sim,
        "POST",
        GRAPH,
        &token,
        &format!("/v1.0/me/messages/{}/send", enc(&id)),
        None,
    )
    .await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    assert!(sent.body.is_empty());
    // The draft is gone (it moved to Sent Items under a new id) ...
    graph_error(
        &get(&sim, &token, &format!("/v1.0/me/messages/{}", enc(&id))).await,
        404,
        "ErrorItemNotFound",
    );
    let sent_items = get(
        &sim,
        &token,
        &format!(
            "/v1.0/me/mailFolders/sentitems/messages?$filter={}",
            enc("subject eq 'IR-2031 containment'")
        ),
    )
    .await;
    let copy = &sent_items.json()["value"][0];
    assert_eq!(copy["isDraft"], false);
    assert_eq!(copy["hasAttachments"], true);
    // ... and Alex received it, without the Bcc line.
    let received: Vec<Value> = sim
        .messages_of(ALEX)
        .into_iter()
        .filter(|m| m["subject"] == "IR-2031 containment")
        .collect();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["bccRecipients"], json!([]));
    assert_eq!(received[0]["internetMessageId"], copy["internetMessageId"]);
    assert_eq!(received[0]["attachments"][0]["name"], "ioc.txt");
    // Sending the same draft again is impossible: it no longer exists.
    let twice = graph(
        &sim,
        "POST",
        GRAPH,
        &token,
        &format!("/v1.0/me/messages/{}/send", enc(&id)),
        None,
    )
    .await;
    graph_error(&twice, 404, "ErrorItemNotFound");
}

#[tokio::test]
async fn send_as_needs_the_right_and_replies_go_to_the_sender() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let denied = post(
        &sim,
        &token,
        &format!("/v1.0/users/{ALEX}/sendMail"),
        json!({"message": {
        "subject": "x", "toRecipients": [{"emailAddress": {"address": ADELE}}],
        "from": {"emailAddress": {"address": "finance.team@contoso.example"}}}}),
    )
    .await;
    graph_error(&denied, 403, "ErrorSendAsDenied");
    // The analyst holds Send As on the finance mailbox.
    let ok = post(&sim, &token, "/v1.0/users/soc.analyst@contoso.example/sendMail", json!({"message": {
        "subject": "Payment hold", "toRecipients": [{"emailAddress": {"address": ADELE}}],
        "from": {"emailAddress": {"address": "finance.team@contoso.example"}}}, "saveToSentItems": false})).await;
    assert_eq!(ok.status, 202, "{}", ok.body);
    let got = sim
        .messages_of(ADELE)
        .into_iter()
        .find(|m| m["subject"] == "Payment hold")
        .unwrap();
    assert_eq!(
        got["from"]["emailAddress"]["address"],
        "finance.team@contoso.example"
    );
    // Adele answers with createReplyAll + send.
    let draft = post(
        &sim,
        &token,
        &format!(
            "/v1.0/users/{ADELE}/messages/{}/createReplyAll",
            enc(got["id"].as_str().unwrap())
        ),
        json!({"comment": "Done."}),
    )
    .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let d = draft.json();
    assert_eq!(d["subject"], "RE: Payment hold");
    assert_eq!(
        d["toRecipients"][0]["emailAddress"]["address"],
        "finance.team@contoso.example"
    );
    assert_eq!(d["conversationId"], got["conversationId"]);
    let both = post(
        &sim,
        &token,
        &format!(
            "/v1.0/users/{ADELE}/messages/{}/reply",
            enc(got["id"].as_str().unwrap())
        ),
        json!({"comment": "x", "message": {"body": {"content": "y"}}}),
    )
    .await;
    graph_error(&both, 400, "ErrorInvalidRequest");
}

#[tokio::test]
async fn upload_sessions_check_ranges_and_refuse_tokens() {
    let sim = sim().await;
    let token = delegated_token(&sim).await;
    let draft = post(
        &sim,
        &token,
        "/v1.0/me/messages",
        json!({"subject": "big", "toRecipients": [{"emailAddress": {"address": ALEX}}]}),
    )
    .await;
    let id = draft.json()["id"].as_str().unwrap().to_string();
    let size = 5 * 1024 * 1024;
    let session = post(
        &sim,
        &token,
        &format!(
            "/v1.0/me/messages/{}/attachments/createUploadSession",
            enc(&id)
        ),
        json!({"AttachmentItem": {"attachmentType": "file", "name": "dump.bin", "size": size}}),
    )
    .await;
    assert_eq!(session.status, 201, "{}", session.body);
    let url = session.json()["uploadUrl"].as_str().unwrap().to_string();
    assert!(
        url.starts_with("https://outlook.office.com/api/v2.0/"),
        "{url}"
    );
    let local = format!(
        "{}{}",
        sim.url(),
        &url["https://outlook.office.com".len()..]
    );
    let chunk = vec![7u8; 4 * 1024 * 1024];
    let put = |range: String, body: Vec<u8>, auth: bool| {
        let local = local.clone();
        async move {
            let mut h = vec![
                ("content-range", range.as_str()),
                ("x-forwarded-host", "outlook.office.com"),
            ];
            if auth {
                h.push(("authorization", "Bearer x"));
            }
            // The bytes are ASCII, so they travel as text.
            let text = String::from_utf8(body).unwrap();
            let r = send("PUT", &local, &h, Some(&text)).await.unwrap();
            (r.status, r.body)
        }
    };
    let r = put(
        format!("bytes 0-{}/{size}", chunk.len() - 1),
        chunk.clone(),
        true,
    )
    .await;
    assert_eq!(r.0, 401, "a token on the upload URL is refused");
    let over = put(format!("bytes 0-{}/{size}", size - 1), vec![1; size], false).await;
    assert_eq!(over.0, 413, "chunks over 4 MB are refused");
    let gap = put(
        format!("bytes 100-{}/{size}", 100 + chunk.len() - 1),
        chunk.clone(),
        false,
    )
    .await;
    assert_eq!(gap.0, 416);
    let first = put(
        format!("bytes 0-{}/{size}", chunk.len() - 1),
        chunk.clone(),
        false,
    )
    .await;
    assert_eq!(first.0, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&first.1).unwrap()["nextExpectedRanges"][0],
        format!("4194304-{}", size - 1)
    );
    let rest = size - chunk.len();
    let last = put(
        format!("bytes {}-{}/{size}", chunk.len(), size - 1),
        vec![9; rest],
        false,
    )
    .await;
    assert_eq!(last.0, 201);
    assert_eq!(sim.open_upload_sessions(), 0);
    let atts = get(
        &sim,
        &token,
        &format!(
            "/v1.0/me/messages/{}/attachments?$select=name,size",
            enc(&id)
        ),
    )
    .await;
    assert_eq!(atts.json()["value"][0]["name"], "dump.bin");
}

#[tokio::test]
async fn mailbox_settings_patch_only_what_is_named() {
    let sim = sim().await;
    let token = app_token(&sim).await;
    let path = format!("/v1.0/users/{ALEX}/mailboxSettings");
    let r = graph(
        &sim,
        "PATCH",
        GRAPH,
        &token,
        &path,
        Some(
            &json!({"automaticRepliesSetting": {
        "status": "Scheduled",
        "scheduledStartDateTime": {"dateTime": "2030-10-10T00:00:00", "timeZone": "UTC"},
        "scheduledEndDateTime": {"dateTime": "2030-10-20T00:00:00", "timeZone": "UTC"},
        "internalReplyMessage": "<p>Out</p>"}})
            .to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["automaticRepliesSetting"]["status"], "scheduled");
    let r = graph(
        &sim,
        "PATCH",
        GRAPH,
        &token,
        &path,
        Some(
            &json!({"automaticRepliesSetting": {"externalReplyMessage": "<p>Away</p>"}})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = sim.auto_replies_of(ALEX);
    assert_eq!(s["internalReplyMessage"], "<p>Out</p>", "kept");
    assert_eq!(s["externalReplyMessage"], "<p>Away</p>");
    assert_eq!(
        s["scheduledEndDateTime"]["dateTime"],
        "2030-10-20T00:00:00.0000000"
    );
    let bad = graph(
        &sim,
        "PATCH",
        GRAPH,
        &token,
        &path,
        Some(
            &json!({"automaticRepliesSetting": {
        "scheduledStartDateTime": {"dateTime": "2030-10-10T00:00:00", "timeZone": "Mars/Olympus"}}})
            .to_string(),
        ),
    )
    .await;
    graph_error(&bad, 400, "InvalidTimeZone");
    // Delegated tokens reach only their own mailbox.
    let me = delegated_token(&sim).await;
    let other = graph(
        &sim,
        "PATCH",
        GRAPH,
        &me,
        &path,
        Some(r#"{"automaticRepliesSetting":{"status":"disabled"}}"#),
    )
    .await;
    graph_error(&other, 403, "ErrorAccessDenied");
}

#[tokio::test]
async fn licenses_inherited_from_a_group_cannot_be_removed() {
    let sim = sim().await;
    let token = app_with(
        &sim,
        "22222222-0000-4000-8000-000000000001",
        &["User.ReadWrite.All"],
    )
    .await;
    let details = get(&sim, &token, &format!("/v1.0/users/{ADELE}/licenseDetails")).await;
    let skus: Vec<String> = details.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["skuId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(skus.len(), 2);
    let all = post(
        &sim,
        &token,
        &format!("/v1.0/users/{ADELE}/assignLicense"),
        json!({"addLicenses": [], "removeLicenses": skus}),
    )
    .await;
    let msg = graph_error(&all, 400, "Request_BadRequest");
    assert!(msg.contains("inherited from a group"), "{msg}");
    assert_eq!(sim.licenses_of(ADELE).len(), 2, "nothing removed");
    let ems = post(
        &sim,
        &token,
        &format!("/v1.0/users/{ADELE}/assignLicense"),
        json!({"addLicenses": [], "removeLicenses": ["efccb6f7-5641-4e0e-bd10-b4976e1bf68e"]}),
    )
    .await;
    assert_eq!(ems.status, 200, "{}", ems.body);
    assert_eq!(sim.licenses_of(ADELE), vec!["ENTERPRISEPACK"]);
    let missing = post(
        &sim,
        &token,
        &format!("/v1.0/users/{ADELE}/assignLicense"),
        json!({"removeLicenses": []}),
    )
    .await;
    graph_error(&missing, 400, "Request_BadRequest");
    // The demo app reads licenses but cannot change them.
    let reader = app_token(&sim).await;
    assert_eq!(
        get(&sim, &reader, &format!("/v1.0/users/{ALEX}/licenseDetails"))
            .await
            .status,
        200
    );
    let denied = post(
        &sim,
        &reader,
        &format!("/v1.0/users/{ALEX}/assignLicense"),
        json!({"addLicenses": [], "removeLicenses": []}),
    )
    .await;
    graph_error(&denied, 403, "Authorization_RequestDenied");
}

#[tokio::test]
async fn deleting_users_follows_permissions_and_roles() {
    let sim = sim().await;
    let token = app_with(
        &sim,
        "22222222-0000-4000-8000-000000000002",
        &["User.ReadWrite.All"],
    )
    .await;
    // A Global Administrator is beyond app-only permissions.
    let ga = graph(
        &sim,
        "DELETE",
        GRAPH,
        &token,
        &format!("/v1.0/users/{MEGAN}"),
        None,
    )
    .await;
    graph_error(&ga, 403, "Authorization_RequestDenied");
    let ok = graph(
        &sim,
        "DELETE",
        GRAPH,
        &token,
        &format!("/v1.0/users/{ALEX}"),
        None,
    )
    .await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert!(!sim.user_exists(ALEX));
    assert_eq!(sim.deleted_users(), vec![ALEX]);
    let again = graph(
        &sim,
        "DELETE",
        GRAPH,
        &token,
        &format!("/v1.0/users/{ALEX}"),
        None,
    )
    .await;
    graph_error(&again, 404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn threat_assessment_is_delegated_and_once_per_message() {
    let sim = sim().await;
    sim.register_app(AppRegistration {
        client_id: DELEGATED_ID.into(),
        client_secret: DELEGATED_SECRET.into(),
        secret_expired: false,
        roles: vec![],
        delegated_scopes: [
            "Mail.ReadWrite",
            "ThreatAssessment.ReadWrite.All",
            "User.Read",
        ]
        .map(String::from)
        .to_vec(),
        redirect_uris: vec![CALLBACK.into()],
        signed_in_user: Some(ANALYST.into()),
    });
    let refresh = sim.issue_refresh_token(
        DELEGATED_ID,
        ANALYST,
        "Mail.ReadWrite ThreatAssessment.ReadWrite.All User.Read",
    );
    let resp = token_request(
        &sim,
        LOGIN,
        TENANT,
        &[
            ("client_id", DELEGATED_ID),
            ("client_secret", DELEGATED_SECRET),
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    let token = resp.json()["access_token"].as_str().unwrap().to_string();
    let id = id_of(&sim, ANALYST, INVOICE);
    let body = json!({"@odata.type": "#microsoft.graph.mailAssessmentRequest", "recipientEmail": ANALYST,
        "expectedAssessment": "block", "category": "phishing",
        "messageUri": format!("https://graph.microsoft.com/v1.0/users/{ANALYST}/messages/{}", enc(&id))});
    let first = post(
        &sim,
        &token,
        "/v1.0/informationProtection/threatAssessmentRequests",
        body.clone(),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.json()["status"], "pending");
    let second = post(
        &sim,
        &token,
        "/v1.0/informationProtection/threatAssessmentRequests",
        body.clone(),
    )
    .await;
    graph_error(&second, 429, "TooManyRequests");
    let wait: u64 = second.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 800 && wait <= 900, "{wait}");
    assert_eq!(sim.threat_assessments().len(), 1);
    let app = app_token(&sim).await;
    let refused = post(
        &sim,
        &app,
        "/v1.0/informationProtection/threatAssessmentRequests",
        body,
    )
    .await;
    assert_eq!(refused.status, 403);
}

#[tokio::test]
async fn a_lost_response_still_carries_the_send_out() {
    let sim = sim().await;
    let token = delegated_token(&sim).await;
    let draft = post(
        &sim,
        &token,
        "/v1.0/me/messages",
        json!({"subject": "once", "toRecipients": [{"emailAddress": {"address": ALEX}}]}),
    )
    .await;
    let id = draft.json()["id"].as_str().unwrap().to_string();
    sim.inject(Fault::new("/send", FaultKind::LoseResponse));
    let lost = send(
        "POST",
        &format!("{}/v1.0/me/messages/{}/send", sim.url(), enc(&id)),
        &[
            ("authorization", &format!("Bearer {token}")),
            ("x-forwarded-host", GRAPH),
        ],
        None,
    )
    .await;
    assert!(lost.is_err(), "no response");
    assert_eq!(
        sim.messages_of(ALEX)
            .iter()
            .filter(|m| m["subject"] == "once")
            .count(),
        1
    );
}
