//! No secret, token or code in results, guest logs or the HTTP log.

use o365_tests::{Fixture, http_get_head, json};

#[tokio::test]
async fn secrets_tokens_and_codes_appear_nowhere() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let delegated = f.demo("demo-delegated");
    let mut outputs = Vec::new();

    outputs.push(f.run(&app, "test-connection", json!({})).await);
    outputs.push(f.run(&delegated, "test-connection", json!({})).await);
    outputs.push(
        f.run(
            &delegated,
            "create-mail-folder",
            json!({"new-folder-name": "secret-scan"}),
        )
        .await,
    );
    // A failing token request: the wrong secret is a secret too.
    let mut wrong = app.clone();
    wrong["client-secret"] = json!("Wr0ng~Secret+Value/==");
    outputs.push(f.run(&wrong, "test-connection", json!({})).await);

    // Sign in: code and verifier.
    let auth = f.get_authorization(&delegated).await;
    let url = auth.result["data"]["url"].as_str().unwrap().to_string();
    let verifier = auth.result["data"]["code-verifier"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, headers) = http_get_head(&format!(
        "{}{}",
        f.sim.url(),
        url.strip_prefix("https://login.microsoftonline.com")
            .unwrap()
    ))
    .await;
    let location = headers
        .iter()
        .find(|(k, _)| k == "location")
        .unwrap()
        .1
        .clone();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let mut with_code = delegated.clone();
    with_code["authorization-code"] = json!(code);
    let grant = f.get_refresh_token(&with_code, Some(&verifier)).await;
    assert_eq!(grant.status(), "successful");
    let issued_refresh = grant.result["data"]["refresh-token"]
        .as_str()
        .unwrap()
        .to_string();

    let mut secrets = vec![
        app["client-secret"].as_str().unwrap().to_string(),
        delegated["client-secret"].as_str().unwrap().to_string(),
        delegated["refresh-token"].as_str().unwrap().to_string(),
        "Wr0ng~Secret+Value/==".to_string(),
        code.clone(),
        verifier,
        issued_refresh,
    ];
    secrets.extend(f.tokens.refresh_tokens());
    secrets.extend(f.tokens.access_tokens());
    assert!(f.tokens.access_tokens().len() >= 2);

    let mut haystacks = vec![f.http_log_text()];
    for out in &outputs {
        haystacks.push(out.result.to_string());
        haystacks.push(serde_json::to_string(&out.logs).unwrap());
    }
    for secret in &secrets {
        for (i, text) in haystacks.iter().enumerate() {
            assert!(
                !text.contains(secret.as_str()),
                "secret {}... found in output {i}",
                &secret[..6.min(secret.len())]
            );
            // Form encoding must not smuggle it through either.
            let encoded: String = secret
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
                .replace('~', "%7E");
            assert!(
                !text.contains(&encoded),
                "encoded secret found in output {i}"
            );
        }
    }
    // 2 + 2 (token and probe each), 1 create (cached token), 1 refused token, 1 redemption.
    assert_eq!(f.http_log().len(), 7, "the log has every exchange");
}

/// A phished secret pasted into a mail: the fetched result carries the mail with the
/// secret replaced, and stays valid JSON (the result is scrubbed as text).
#[tokio::test]
async fn a_secret_quoted_in_fetched_mail_is_redacted() {
    let f = Fixture::new().await;
    let app = f.demo("demo-app");
    let secret = app["client-secret"].as_str().unwrap().to_string();
    let user = "alex.wilber@contoso.example";
    f.sim
        .insert_message(
            user,
            "inbox",
            json!({"subject": format!("our key is {secret}"), "receivedDateTime": "2025-06-01T10:00:00Z",
                   "body": {"contentType": "text", "content": format!("\"{secret}\"\r\nregards")}}),
        )
        .unwrap();
    let out = f
        .run_text(
            &app,
            "fetch-event",
            json!({"Email Address": user, "Mail Folders": ["inbox"], "Start Time": "2025-06-01 00:00", "End Time": "2025-06-02 00:00"}),
        )
        .await;
    assert!(
        !out.result.contains(&secret),
        "the secret left in the result"
    );
    let out = out.parse();
    assert_eq!(out.status(), "successful", "{:#}", out.result["errors"]);
    let events = out.result["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["Email subject"], "our key is [REDACTED]");
    assert_eq!(
        out.result["raw-data"]["value"][0]["body"]["content"],
        "\"[REDACTED]\"\r\nregards"
    );
}
