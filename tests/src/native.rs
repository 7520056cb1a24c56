//! The core natively, for comparing it with the same core inside the wasm guest: an
//! [`Env`] doing real HTTP over loopback to the same graph-sim (one connection per
//! request, cloud hosts routed with `x-forwarded-host` exactly as the host's hook does),
//! an in-memory token cache, and the host's own on-disk file store.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use o365_core::env::{CachedToken, Env, FileInfo, LogLevel};
use o365_core::http::{HttpRequest, HttpResponse, TransportError};
use o365_core::model::{ClientCredentials, Connection, Environment, Grant};
use o365_host::file_store::FileStore;
use serde_json::Value;

/// The core's connection for a client-credentials connection file (`demo-app`).
pub fn app_connection(file: &Value) -> Connection {
    let text = |k: &str| file[k].as_str().unwrap_or_default().to_string();
    Connection {
        environment: Environment::CommercialGcc,
        tenant_id: text("tenant-id"),
        grant: Grant::ClientCredentials(ClientCredentials {
            client_id: text("client-id"),
            client_secret: text("client-secret"),
        }),
        api_version: "v1.0".into(),
    }
}

pub struct NativeEnv {
    runtime: tokio::runtime::Handle,
    /// Base URL every cloud host goes to (the simulator).
    route: String,
    tokens: Mutex<HashMap<String, CachedToken>>,
    refresh_tokens: Mutex<HashMap<String, String>>,
    files: FileStore,
}

impl NativeEnv {
    /// Call from outside the runtime's worker threads (e.g. `spawn_blocking`).
    pub fn new(
        runtime: tokio::runtime::Handle,
        route: &str,
        files_root: &Path,
        tenant: &str,
    ) -> NativeEnv {
        NativeEnv {
            runtime,
            route: route.trim_end_matches('/').to_string(),
            tokens: Mutex::default(),
            refresh_tokens: Mutex::default(),
            files: FileStore::for_connection(files_root, tenant),
        }
    }

    async fn exchange(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let net = |e: &dyn std::fmt::Display| TransportError::Network(e.to_string());
        let rest = request
            .url
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or(&request.url);
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (host, path) = rest.split_at(split);
        let authority = self.route.trim_start_matches("http://");
        let stream = tokio::net::TcpStream::connect(authority)
            .await
            .map_err(|e| net(&e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| net(&e))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(if path.is_empty() { "/" } else { path })
            .header("host", authority)
            .header("x-forwarded-host", host);
        for (k, v) in &request.headers {
            builder = builder.header(k, v);
        }
        let req = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| net(&e))?;
        let resp = sender.send_request(req).await.map_err(|e| net(&e))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| net(&e))?
            .to_bytes()
            .to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

impl Env for NativeEnv {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.runtime.block_on(self.exchange(request))
    }
    fn now_unix_secs(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
    fn random_bytes(&self, len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 131 % 251) as u8).collect()
    }
    fn token_get(&self, key: &str) -> Option<CachedToken> {
        self.tokens.lock().unwrap().get(key).cloned()
    }
    fn token_put(&self, key: &str, token: &CachedToken) {
        self.tokens
            .lock()
            .unwrap()
            .insert(key.into(), token.clone());
    }
    fn token_remove(&self, key: &str) {
        self.tokens.lock().unwrap().remove(key);
    }
    fn refresh_token_get(&self, key: &str) -> Option<String> {
        self.refresh_tokens.lock().unwrap().get(key).cloned()
    }
    fn refresh_token_put(&self, key: &str, refresh_token: &str) {
        self.refresh_tokens
            .lock()
            .unwrap()
            .insert(key.into(), refresh_token.into());
    }
    fn log(&self, _level: LogLevel, _message: &str) {}
    fn progress(&self, _done: u32, _total: u32, _message: &str) {}
    fn file_put(&self, name: &str, content_type: &str, data: &[u8]) -> Result<FileInfo, String> {
        self.files.put(name, content_type, data).map(|f| FileInfo {
            file_id: f.file_id,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
        })
    }
    fn file_get(&self, file_id: &str, _file_source: &str) -> Result<(FileInfo, Vec<u8>), String> {
        self.files.get(file_id).map(|(f, data)| {
            (
                FileInfo {
                    file_id: f.file_id,
                    name: f.name,
                    content_type: f.content_type,
                    size: f.size,
                },
                data,
            )
        })
    }
}
