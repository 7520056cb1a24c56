//! `SimHandle`: the control surface tests and the host use on a running
//! simulator.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::demo;
use crate::faults::Fault;
use crate::identity::store::AppRegistration;
use crate::log::RecordedRequest;
use crate::sim::{Sim, lock};

/// A running simulator. Clones share the same instance.
#[derive(Clone)]
pub struct SimHandle {
    inner: Arc<Inner>,
}

struct Inner {
    sim: Arc<Sim>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    /// The demo analyst's refresh token issued at start.
    demo_refresh_token: String,
}

impl SimHandle {
    pub(crate) fn new(
        sim: Arc<Sim>,
        addr: SocketAddr,
        stop: watch::Sender<bool>,
        demo_refresh_token: String,
    ) -> Self {
        SimHandle {
            inner: Arc::new(Inner {
                sim,
                addr,
                stop,
                demo_refresh_token,
            }),
        }
    }

    fn sim(&self) -> &Sim {
        &self.inner.sim
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    /// The connection JSON of `demo-delegated` or `demo-app`.
    pub fn demo_connection(&self, name: &str) -> Option<Value> {
        match name {
            "demo-app" => Some(json!({
                "environment": "commercial-gcc",
                "tenant-id": demo::TENANT_ID,
                "grant-type": "client-credentials",
                "client-id": demo::APP_CLIENT_ID,
                "client-secret": demo::APP_SECRET,
                "api-version": "v1.0",
            })),
            "demo-delegated" => Some(json!({
                "environment": "commercial-gcc",
                "tenant-id": demo::TENANT_ID,
                "grant-type": "authorization-code",
                "client-id": demo::DELEGATED_CLIENT_ID,
                "client-secret": demo::DELEGATED_SECRET,
                "api-version": "v1.0",
                "scope": demo::DELEGATED_SCOPE,
                "callback-url": demo::CALLBACK_URL,
                "authorization-code": "",
                "refresh-token": self.inner.demo_refresh_token,
            })),
            _ => None,
        }
    }

    /// Every request so far, in arrival order, with its final status.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.sim().log).snapshot()
    }

    pub fn clear_requests(&self) {
        lock(&self.sim().log).clear();
    }

    /// Queues a fault; faults fire in insertion order, first match wins.
    pub fn inject(&self, fault: Fault) {
        lock(&self.sim().faults).push(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.sim().faults).clear();
    }

    /// Adds an app registration (or replaces one with the same client id).
    pub fn register_app(&self, app: AppRegistration) {
        lock(&self.sim().identity).register(app);
    }

    /// Issues a refresh token as if `user_upn` had consented to `scopes`
    /// for `client_id` (offline_access implied).
    pub fn issue_refresh_token(&self, client_id: &str, user_upn: &str, scopes: &str) -> String {
        crate::identity::issue_refresh_token(self.sim(), client_id, user_upn, scopes)
    }

    /// Revokes every refresh token of the client; later refreshes fail
    /// with invalid_grant AADSTS70008.
    pub fn revoke_refresh_tokens(&self, client_id: &str) {
        lock(&self.sim().identity).revoke_refresh_for(client_id);
    }

    /// Every access token issued so far is treated as expired from now on.
    pub fn expire_access_tokens(&self) {
        lock(&self.sim().identity).expire_all_access_tokens();
    }

    /// Lifetime (`expires_in`) of access tokens issued from now on.
    pub fn set_access_token_lifetime(&self, secs: u64) {
        self.sim().set_token_lifetime(secs);
    }

    /// All folders of the user's mailbox (mailFolder JSON, hidden ones
    /// included); empty for unknown users and users without a mailbox.
    pub fn folders_of(&self, upn: &str) -> Vec<Value> {
        let data = lock(&self.sim().data);
        let Some(user) = data.directory.find(upn) else {
            return Vec::new();
        };
        let Some(mbx) = data.mailboxes.get(&user.id) else {
            return Vec::new();
        };
        mbx.all().iter().map(|f| mbx.folder_json(f)).collect()
    }

    /// Stops accepting connections; open exchanges finish first.
    pub fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
    }
}
