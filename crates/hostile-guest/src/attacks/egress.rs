//! Requests the host must refuse or bound: other hosts, schemes, ports and tenants,
//! tokens sent to upload hosts, huge bodies, and thousands of requests at once.

use serde_json::{Value, json};

use super::{MIB, number, text};
use crate::conn;
use crate::net::{self, Body, Ending, Request};
use crate::report;
use crate::soar::office365::types::{CommandResult, Connection};

/// An access token of this connection, from its own login endpoint.
fn access_token(connection: &Connection) -> Result<String, String> {
    let cloud = conn::cloud(connection);
    let request = Request {
        method: "POST".into(),
        url: format!(
            "https://{}/{}/oauth2/v2.0/token",
            cloud.login_host, connection.tenant_id
        ),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: Body::Bytes(conn::token_form(connection).into_bytes()),
    };
    match net::send(&request).0 {
        Ending::Status(200, body) => serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["access_token"].as_str().map(str::to_string))
            .ok_or_else(|| "the token response had no access_token".to_string()),
        other => Err(format!("no token: {}", other.to_json())),
    }
}

/// `[method, url, "h:Name: value"..., "b:body"]`; `{token}` anywhere becomes an access
/// token of this connection (fetched first).
pub fn request(connection: &Connection, args: &[String]) -> CommandResult {
    let needs_token = args.iter().any(|a| a.contains("{token}"));
    let token = if needs_token {
        match access_token(connection) {
            Ok(t) => t,
            Err(e) => return report::saw(json!({"token": e})),
        }
    } else {
        String::new()
    };
    let args: Vec<String> = args.iter().map(|a| a.replace("{token}", &token)).collect();
    let mut request = Request::get(text(&args, 1, "https://example.com/"));
    request.method = text(&args, 0, "GET").to_string();
    for arg in args.iter().skip(2) {
        if let Some(header) = arg.strip_prefix("h:") {
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            request
                .headers
                .push((name.trim().to_string(), value.trim().to_string()));
        } else if let Some(body) = arg.strip_prefix("b:") {
            request.body = Body::Bytes(body.as_bytes().to_vec());
        }
    }
    let (ending, written, body_error) = net::send(&request);
    let mut seen = ending.to_json();
    seen["token-sent"] = json!(needs_token);
    seen["body-written"] = json!(written);
    seen["body-error"] = json!(body_error);
    report::saw(seen)
}

/// `[bytes (1 GiB), url]`: a request body streamed from a 64 KiB buffer.
pub fn request_body(connection: &Connection, args: &[String]) -> CommandResult {
    let default_url = conn::expand(connection, "https://{graph}/v1.0/me/sendMail");
    let request = Request {
        method: "POST".into(),
        url: text(args, 1, &default_url).to_string(),
        headers: vec![("content-type".into(), "application/octet-stream".into())],
        body: Body::Filler(number(args, 0, 1024 * MIB)),
    };
    let (ending, written, body_error) = net::send(&request);
    let mut seen = ending.to_json();
    seen["body-written"] = json!(written);
    seen["body-error"] = json!(body_error);
    report::saw(seen)
}

/// `[count (3000), url]`: every request handed over before any answer is awaited.
pub fn in_flight(connection: &Connection, args: &[String]) -> CommandResult {
    let default_url = conn::expand(connection, "https://{graph}/v1.0/me");
    let count = number(args, 0, 3000) as usize;
    let endings = net::all_at_once(&Request::get(text(args, 1, &default_url)), count);
    let answered = endings
        .iter()
        .filter(|e| matches!(e, Ending::Status(..)))
        .count();
    let denied = endings
        .iter()
        .filter(|e| matches!(e, Ending::Denied))
        .count();
    let first_failure = endings.iter().find_map(|e| match e {
        Ending::Failed(why) => Some(why.clone()),
        _ => None,
    });
    report::saw(json!({
        "requests": count,
        "answered": answered,
        "denied": denied,
        "failed": count - answered - denied,
        "first-failure": first_failure,
    }))
}

/// `[cut (16384), characters of the secret before the cut (8)]`: a text body whose
/// secret straddles the HTTP log's cut, so a log that cuts before it redacts keeps the
/// secret's first characters.
pub fn straddle_http_log(connection: &Connection, args: &[String]) -> CommandResult {
    let cut = number(args, 0, 16 * 1024) as usize;
    let before = number(args, 1, 8) as usize;
    let secret = conn::client_secret(connection);
    let mut body = "x".repeat(cut.saturating_sub(before));
    body.push_str(secret);
    body.push_str(" and some more text after it");
    let request = Request {
        method: "POST".into(),
        url: conn::expand(connection, "https://{graph}/v1.0/hostile/straddle"),
        headers: vec![("content-type".into(), "text/plain".into())],
        body: Body::Bytes(body.into_bytes()),
    };
    report::saw(net::send(&request).0.to_json())
}
