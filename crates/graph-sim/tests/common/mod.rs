//! A tiny HTTP/1.1 client over hyper for talking to the sim on loopback,
//! plus token helpers. No redirect following, so 302s stay visible.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use graph_sim::SimHandle;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;

pub const TENANT: &str = "8f5a1c7e-2b4d-4e6f-9a1b-3c5d7e9f0a2b";
pub const APP_ID: &str = "3f6b2d8e-91c4-4a7e-b5d0-6c2e8f4a1b93";
pub const APP_SECRET: &str = "Qm8~xR2+vL/7kP=z9Tn~Wd4+Hs/1cYb=";
pub const DELEGATED_ID: &str = "a7d4c1e8-2b5f-4e93-8c6a-0f1d3b5e7a29";
pub const DELEGATED_SECRET: &str = "Lp3~Nv7+Gk/2Zs=Yw5~Rc8+Bf/4Jt=Xq";
pub const CALLBACK: &str = "https://soar.example/o365/callback";
pub const ANALYST: &str = "soc.analyst@contoso.example";
pub const LOGIN: &str = "login.microsoftonline.com";
pub const GRAPH: &str = "graph.microsoft.com";

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request on a fresh connection. `url` is the sim's base URL
/// plus path and query.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> anyhow::Result<Resp> {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let stream = tokio::net::TcpStream::connect(authority).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut builder = Request::builder()
        .method(method)
        .uri(if path.is_empty() { "/" } else { path })
        .header("host", authority);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let req = builder.body(Full::new(Bytes::from(body.unwrap_or("").to_string())))?;
    let resp = sender.send_request(req).await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok(Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// POSTs a form to the token endpoint as if sent to `login_host`.
pub async fn token_request(
    sim: &SimHandle,
    login_host: &str,
    tenant: &str,
    pairs: &[(&str, &str)],
) -> Resp {
    send(
        "POST",
        &format!("{}/{tenant}/oauth2/v2.0/token", sim.url()),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-forwarded-host", login_host),
        ],
        Some(&form(pairs)),
    )
    .await
    .expect("token request")
}

/// A client-credentials token for the demo app (commercial cloud).
pub async fn app_token(sim: &SimHandle) -> String {
    client_credentials(sim, APP_ID, APP_SECRET).await
}

pub async fn client_credentials(sim: &SimHandle, client_id: &str, secret: &str) -> String {
    let resp = token_request(
        sim,
        LOGIN,
        TENANT,
        &[
            ("client_id", client_id),
            ("client_secret", secret),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()["access_token"].as_str().unwrap().to_string()
}

/// A delegated token for the demo analyst via the demo refresh token.
pub async fn delegated_token(sim: &SimHandle) -> String {
    let conn = sim.demo_connection("demo-delegated").unwrap();
    let resp = token_request(
        sim,
        LOGIN,
        TENANT,
        &[
            ("client_id", DELEGATED_ID),
            ("client_secret", DELEGATED_SECRET),
            ("grant_type", "refresh_token"),
            ("refresh_token", conn["refresh-token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()["access_token"].as_str().unwrap().to_string()
}

/// A Graph call as routed by the host: `x-forwarded-host: graph_host`.
pub async fn graph(
    sim: &SimHandle,
    method: &str,
    graph_host: &str,
    token: &str,
    path_and_query: &str,
    body: Option<&str>,
) -> Resp {
    let auth = format!("Bearer {token}");
    let mut headers = vec![
        ("authorization", auth.as_str()),
        ("x-forwarded-host", graph_host),
    ];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    send(
        method,
        &format!("{}{path_and_query}", sim.url()),
        &headers,
        body,
    )
    .await
    .expect("graph request")
}

pub async fn get(sim: &SimHandle, token: &str, path_and_query: &str) -> Resp {
    graph(sim, "GET", GRAPH, token, path_and_query, None).await
}

/// The claims of a JWT, unverified.
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Asserts a Graph error body and returns its message.
pub fn graph_error(resp: &Resp, status: u16, code: &str) -> String {
    assert_eq!(resp.status, status, "{}", resp.body);
    let v = resp.json();
    assert_eq!(v["error"]["code"], code, "{}", resp.body);
    let inner = &v["error"]["innerError"];
    assert!(inner["request-id"].as_str().is_some_and(|s| s.len() == 36));
    assert!(inner["date"].as_str().is_some_and(|s| s.len() == 19));
    v["error"]["message"].as_str().unwrap().to_string()
}
