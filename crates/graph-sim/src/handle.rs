//! `SimHandle`: the control surface tests and the host use on a running
//! simulator.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::demo;
use crate::faults::Fault;
use crate::generate::MailboxSpec;
use crate::identity::store::AppRegistration;
use crate::log::RecordedRequest;
use crate::sim::{Sim, lock};
use crate::store::{IdForm, Mailbox};

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

    pub(crate) fn sim(&self) -> &Sim {
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

    /// Every delta query state token issued so far expires: the next request
    /// with one answers 410 Gone (`SyncStateNotFound`), as Graph does when
    /// the sync state is gone.
    pub fn expire_delta_tokens(&self) {
        self.sim().expire_delta_tokens();
    }

    /// Changes a message's properties (Graph JSON, e.g. `{"isRead": true}`)
    /// as a PATCH does; delta query reports it as updated.
    pub fn update_message(&self, user: &str, id: &str, patch: Value) -> Result<(), String> {
        let Value::Object(patch) = patch else {
            return Err("the patch must be a JSON object".into());
        };
        self.with_mailbox(user, |mbx| {
            let m = mbx
                .message_mut(id)
                .ok_or_else(|| format!("no message '{id}'"))?;
            m.item.props.extend(patch);
            Ok(())
        })
        .unwrap_or_else(|| Err(format!("no mailbox for '{user}'")))
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

    /// Runs `f` on the user's mailbox (by UPN or object id); None for
    /// unknown users and users without a mailbox.
    fn with_mailbox<T>(&self, user: &str, f: impl FnOnce(&mut Mailbox) -> T) -> Option<T> {
        let mut data = lock(&self.sim().data);
        let id = data.directory.find(user)?.id.clone();
        data.mailboxes.get_mut(&id).map(f)
    }

    /// Every message of the user's mailbox as Graph JSON with every property
    /// (internetMessageHeaders included) and `attachments` expanded (item
    /// attachments with their item), plus `@sim.immutableId`. Insertion order.
    pub fn messages_of(&self, user: &str) -> Vec<Value> {
        self.with_mailbox(user, |mbx| {
            mbx.messages()
                .iter()
                .map(|m| {
                    let mut v = m.to_json(IdForm::Rest);
                    v.insert("@sim.immutableId".into(), json!(m.immutable_id));
                    v.insert(
                        "attachments".into(),
                        m.item
                            .attachments
                            .iter()
                            .map(|a| a.to_json(false, true))
                            .collect(),
                    );
                    Value::Object(v)
                })
                .collect()
        })
        .unwrap_or_default()
    }

    /// Adds a message to a folder of the user's mailbox. `folder` is a
    /// well-known name, a folder id or a display-name path (`Inbox/Phishing`);
    /// `message` is Graph message JSON (`attachments` may hold file, item
    /// and reference attachments). Returns the new message's REST id.
    pub fn insert_message(
        &self,
        user: &str,
        folder: &str,
        message: Value,
    ) -> Result<String, String> {
        self.with_mailbox(user, |mbx| {
            let folder_id = mbx
                .folder_for(folder)
                .ok_or_else(|| format!("no folder '{folder}'"))?;
            mbx.insert_message(&folder_id, &message)
                .map(|m| m.rest_id.clone())
                .map_err(|e| format!("{e:?}"))
        })
        .unwrap_or_else(|| Err(format!("no mailbox for '{user}'")))
    }

    /// Moves a message (by REST or immutable id) as Graph's move does;
    /// returns its new REST id.
    pub fn move_message(&self, user: &str, id: &str, folder: &str) -> Result<String, String> {
        self.with_mailbox(user, |mbx| {
            let folder_id = mbx
                .folder_for(folder)
                .ok_or_else(|| format!("no folder '{folder}'"))?;
            mbx.move_message(id, &folder_id)
                .map(|m| m.rest_id.clone())
                .map_err(|e| format!("{e:?}"))
        })
        .unwrap_or_else(|| Err(format!("no mailbox for '{user}'")))
    }

    /// Copies a message into a folder; returns the copy's REST id.
    pub fn copy_message(&self, user: &str, id: &str, folder: &str) -> Result<String, String> {
        self.with_mailbox(user, |mbx| {
            let folder_id = mbx
                .folder_for(folder)
                .ok_or_else(|| format!("no folder '{folder}'"))?;
            mbx.copy_message(id, &folder_id)
                .map(|m| m.rest_id.clone())
                .map_err(|e| format!("{e:?}"))
        })
        .unwrap_or_else(|| Err(format!("no mailbox for '{user}'")))
    }

    /// Deletes a message as `DELETE .../messages/{id}` does (into
    /// Recoverable Items); returns its id there.
    pub fn delete_message(&self, user: &str, id: &str) -> Result<String, String> {
        self.with_mailbox(user, |mbx| {
            mbx.delete_message(id)
                .map(|m| m.rest_id.clone())
                .map_err(|e| format!("{e:?}"))
        })
        .unwrap_or_else(|| Err(format!("no mailbox for '{user}'")))
    }

    /// Removes a message for good (a purge, no Recoverable Items copy).
    pub fn purge_message(&self, user: &str, id: &str) -> Result<(), String> {
        self.with_mailbox(user, |mbx| {
            mbx.remove_message(id)
                .map(|_| ())
                .map_err(|e| format!("{e:?}"))
        })
        .unwrap_or_else(|| Err(format!("no mailbox for '{user}'")))
    }

    /// Fills the user's mailbox with generated messages (see
    /// [`MailboxSpec`]); returns how many were added.
    pub fn generate_messages(&self, user: &str, spec: &MailboxSpec) -> Result<usize, String> {
        self.with_mailbox(user, |mbx| crate::generate::populate(mbx, user, spec))
            .unwrap_or_else(|| Err(format!("no mailbox for '{user}'")))
    }

    /// The user's inbox rules (messageRule JSON, in sequence order).
    pub fn rules_of(&self, user: &str) -> Vec<Value> {
        self.with_mailbox(user, |mbx| mbx.rules().into_iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Adds an inbox rule (messageRule JSON; id and sequence are filled in).
    pub fn add_rule(&self, user: &str, rule: Value) -> Option<Value> {
        self.with_mailbox(user, |mbx| mbx.add_rule(rule).clone())
    }

    /// Stops accepting connections; open exchanges finish first.
    pub fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
    }
}
