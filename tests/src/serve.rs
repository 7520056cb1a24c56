//! `o365-host serve` in the test process: graph-sim, a runtime routed to it, the server on
//! an ephemeral loopback port, and a small HTTP/1.1 client that keeps its connection open
//! (as a platform's client would).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use graph_sim::{SimConfig, SimHandle};
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use o365_host::connection::ALL_CLOUD_HOSTS;
use o365_host::serve::{self, Registry, ServeOptions, Server};
use o365_host::{Runtime, RuntimeConfig, TokenCache, paths};
use serde_json::Value;

use crate::component;

/// A runtime configuration whose every cloud host goes to `sim`, its file store in `dir`.
pub fn runtime_config(sim: &SimHandle, dir: &Path) -> RuntimeConfig {
    let mut config = RuntimeConfig::new(component(), dir.join("files"));
    config.cache_dir = Some(paths::default_cache_dir());
    config.routes = ALL_CLOUD_HOSTS
        .iter()
        .map(|h| (h.to_string(), sim.url()))
        .collect();
    config
}

/// [`runtime_config`] with an HTTP log in `dir`.
pub fn runtime(sim: &SimHandle, dir: &Path, tokens: Arc<TokenCache>) -> Arc<Runtime> {
    let mut config = runtime_config(sim, dir);
    config.http_log = Some(dir.join("http.log"));
    Arc::new(Runtime::new(config, tokens).expect("runtime"))
}

/// Options for a server on an ephemeral loopback port.
pub fn options() -> ServeOptions {
    ServeOptions::new(SocketAddr::from(([127, 0, 0, 1], 0)))
}

pub struct ServeFixture {
    pub sim: SimHandle,
    pub runtime: Arc<Runtime>,
    pub registry: Arc<Registry>,
    pub server: Server,
    pub dir: tempfile::TempDir,
}

impl ServeFixture {
    pub async fn new() -> ServeFixture {
        ServeFixture::with(SimConfig::default(), options()).await
    }

    /// A new simulator and a server with `options` and no connections.
    pub async fn with(sim: SimConfig, options: ServeOptions) -> ServeFixture {
        let sim = graph_sim::start(sim).await.expect("graph-sim starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let registry = Arc::new(Registry::new(None, options.tenant));
        ServeFixture::on(sim, dir, registry, options).await
    }

    /// A server over an existing simulator and registry (a restart, a second server).
    pub async fn on(
        sim: SimHandle,
        dir: tempfile::TempDir,
        registry: Arc<Registry>,
        options: ServeOptions,
    ) -> ServeFixture {
        let runtime = runtime(&sim, dir.path(), Arc::new(TokenCache::in_memory()));
        let server = serve::start(runtime.clone(), registry.clone(), options)
            .await
            .expect("serve starts");
        ServeFixture {
            sim,
            runtime,
            registry,
            server,
            dir,
        }
    }

    pub fn demo(&self, name: &str) -> Value {
        self.sim.demo_connection(name).expect("demo connection")
    }

    pub async fn client(&self) -> ApiClient {
        ApiClient::connect(self.server.addr(), None).await
    }
}

/// A reply: status, headers, body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the reply is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `error.code` of a refusal.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// One keep-alive HTTP/1.1 connection to the server; reconnects when the server closed it.
pub struct ApiClient {
    addr: SocketAddr,
    token: Option<String>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl ApiClient {
    pub async fn connect(addr: SocketAddr, token: Option<&str>) -> ApiClient {
        ApiClient {
            addr,
            token: token.map(str::to_string),
            sender: None,
        }
    }

    async fn sender(&mut self) -> &mut SendRequest<Full<Bytes>> {
        let usable = self.sender.as_ref().is_some_and(|s| !s.is_closed());
        if !usable {
            let stream = tokio::net::TcpStream::connect(self.addr)
                .await
                .expect("connect to serve");
            let _ = stream.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .expect("handshake");
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        self.sender.as_mut().expect("just set")
    }

    pub async fn request(&mut self, method: Method, path: &str, body: &[u8]) -> Reply {
        let host = self.addr.to_string();
        let token = self.token.clone();
        let build = || {
            let mut builder = Request::builder()
                .method(method.clone())
                .uri(path)
                .header("host", host.as_str())
                .header("content-type", "application/json");
            if let Some(token) = &token {
                builder = builder.header("authorization", format!("Bearer {token}"));
            }
            builder
                .body(Full::new(Bytes::copy_from_slice(body)))
                .expect("request")
        };
        let request = build();
        // The server may have closed a kept-alive connection (after a refusal): once more
        // on a new one.
        let sent = match self.sender().await.ready().await {
            Ok(()) => self.sender().await.send_request(request).await,
            Err(_) => {
                self.sender = None;
                let again = build();
                self.sender().await.send_request(again).await
            }
        };
        let response = sent.expect("response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.request(Method::GET, path, b"").await
    }

    pub async fn put_connection(&mut self, name: &str, connection: &Value) -> Reply {
        self.request(
            Method::PUT,
            &format!("/v1/connections/{name}"),
            connection.to_string().as_bytes(),
        )
        .await
    }

    pub async fn invoke(&mut self, name: &str, command: &str, input: &Value) -> Reply {
        self.invoke_raw(name, command, input.to_string().as_bytes())
            .await
    }

    pub async fn invoke_raw(&mut self, name: &str, command: &str, body: &[u8]) -> Reply {
        self.request(
            Method::POST,
            &format!("/v1/connections/{name}/commands/{command}"),
            body,
        )
        .await
    }
}
