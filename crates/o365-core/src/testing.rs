//! An in-memory [`Env`] for unit tests: scripted responses, recorded requests and sleeps.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use crate::env::{CachedToken, Env, FileInfo, LogLevel};
use crate::http::{HttpRequest, HttpResponse, TransportError};
use crate::model::{AuthorizationCode, ClientCredentials, Connection, Environment, Grant};

pub struct FakeEnv {
    responses: RefCell<Vec<Result<HttpResponse, TransportError>>>,
    sent: RefCell<Vec<HttpRequest>>,
    slept: RefCell<Vec<Duration>>,
    pub tokens: RefCell<HashMap<String, CachedToken>>,
    pub refresh_tokens: RefCell<HashMap<String, String>>,
    /// The token-cache writes in order: "put" or "put-refresh-token".
    pub token_writes: RefCell<Vec<&'static str>>,
    /// Unix seconds; every sleep moves it on.
    pub now: Cell<u64>,
    pub progress: RefCell<Vec<String>>,
    /// Stored files, when the file store is on ([`FakeEnv::with_files`]).
    pub files: RefCell<Vec<(FileInfo, Vec<u8>)>>,
    files_on: bool,
    /// Base of the platform's response links; None: the platform has none.
    pub link_base: Option<String>,
}

impl FakeEnv {
    /// Responses are handed out in order, one per `send`.
    pub fn new(responses: Vec<Result<HttpResponse, TransportError>>) -> Self {
        FakeEnv {
            responses: RefCell::new(responses.into_iter().rev().collect()),
            sent: RefCell::new(Vec::new()),
            slept: RefCell::new(Vec::new()),
            tokens: RefCell::default(),
            refresh_tokens: RefCell::default(),
            token_writes: RefCell::default(),
            now: Cell::new(1_750_000_000),
            progress: RefCell::default(),
            files: RefCell::default(),
            files_on: false,
            link_base: None,
        }
    }

    /// Turns on an in-memory file store.
    pub fn with_files(mut self) -> Self {
        self.files_on = true;
        self
    }

    /// Puts a file under a chosen id into the file store (as the platform would).
    pub fn add_file(&self, id: &str, name: &str, content_type: &str, data: Vec<u8>) {
        let info = FileInfo {
            file_id: id.into(),
            name: name.into(),
            content_type: content_type.into(),
            size: data.len() as u64,
        };
        self.files.borrow_mut().push((info, data));
    }

    pub fn sent(&self) -> Vec<HttpRequest> {
        self.sent.borrow().clone()
    }

    pub fn slept(&self) -> Vec<Duration> {
        self.slept.borrow().clone()
    }
}

/// A client-credentials connection to the commercial cloud.
pub fn app_connection() -> Connection {
    Connection {
        environment: Environment::CommercialGcc,
        tenant_id: "t.example".into(),
        grant: Grant::ClientCredentials(ClientCredentials {
            client_id: "c".into(),
            client_secret: "s".into(),
        }),
        api_version: "v1.0".into(),
    }
}

/// An authorization-code connection that already holds a refresh token.
pub fn delegated_connection() -> Connection {
    Connection {
        grant: Grant::AuthorizationCode(AuthorizationCode {
            client_id: "c".into(),
            client_secret: "s".into(),
            scope: "offline_access".into(),
            callback_url: "https://soar.example/callback".into(),
            authorization_code: None,
            refresh_token: Some("rt".into()),
            account: None,
        }),
        ..app_connection()
    }
}

pub fn json_response(status: u16, body: serde_json::Value) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    })
}

impl Env for FakeEnv {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        self.responses
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| panic!("unexpected request {} {}", request.method, request.url))
    }
    fn now_unix_secs(&self) -> u64 {
        self.now.get()
    }
    fn sleep(&self, duration: Duration) {
        self.slept.borrow_mut().push(duration);
        self.now
            .set(self.now.get().saturating_add(duration.as_secs()));
    }
    fn random_bytes(&self, len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 37 % 251) as u8).collect()
    }
    fn token_get(&self, key: &str) -> Option<CachedToken> {
        self.tokens.borrow().get(key).cloned()
    }
    fn token_put(&self, key: &str, token: &CachedToken) {
        self.token_writes.borrow_mut().push("put");
        self.tokens.borrow_mut().insert(key.into(), token.clone());
    }
    fn token_remove(&self, key: &str) {
        self.tokens.borrow_mut().remove(key);
    }
    fn refresh_token_get(&self, key: &str) -> Option<String> {
        self.refresh_tokens.borrow().get(key).cloned()
    }
    fn refresh_token_put(&self, key: &str, refresh_token: &str) {
        self.token_writes.borrow_mut().push("put-refresh-token");
        self.refresh_tokens
            .borrow_mut()
            .insert(key.into(), refresh_token.into());
    }
    fn log(&self, _level: LogLevel, _message: &str) {}
    fn progress(&self, _done: u32, _total: u32, message: &str) {
        self.progress.borrow_mut().push(message.to_string());
    }
    fn file_put(&self, name: &str, content_type: &str, data: &[u8]) -> Result<FileInfo, String> {
        if !self.files_on {
            return Err("no file store in this test".into());
        }
        let info = FileInfo {
            file_id: format!("{:032x}", self.files.borrow().len() + 1),
            name: name.into(),
            content_type: content_type.into(),
            size: data.len() as u64,
        };
        self.files.borrow_mut().push((info.clone(), data.to_vec()));
        Ok(info)
    }
    fn file_get(&self, file_id: &str, _file_source: &str) -> Result<(FileInfo, Vec<u8>), String> {
        self.files
            .borrow()
            .iter()
            .find(|(info, _)| info.file_id == file_id)
            .cloned()
            .ok_or_else(|| format!("no file with id '{file_id}' in this tenant's store."))
    }
    fn response_link(&self, tracking_id: &str) -> Option<String> {
        self.link_base.as_ref().map(|b| format!("{b}{tracking_id}"))
    }
}
