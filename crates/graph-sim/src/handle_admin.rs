//! Test and benchmark controls for the write side: extra users with mailboxes, the
//! directory state (users, licenses, roles), mailbox settings, Send As rights, and what
//! threat assessment requests and upload sessions were made.

use serde_json::{Map, Value, json};

use crate::demo;
use crate::handle::SimHandle;
use crate::ids;
use crate::sim::lock;
use crate::store::User;
use crate::store::admin::{self, Licenses};

impl SimHandle {
    /// Adds a member user with an empty mailbox (the demo folder tree); returns its id.
    pub fn add_user(&self, upn: &str, display_name: &str) -> String {
        let id = ids::stable_guid(&format!("user/{upn}"));
        let mut props = Map::new();
        for (k, v) in [
            ("id", json!(id)),
            ("userPrincipalName", json!(upn)),
            ("displayName", json!(display_name)),
            ("mail", json!(upn)),
            ("accountEnabled", json!(true)),
            ("userType", json!("Member")),
            ("businessPhones", json!([])),
            ("assignedLicenses", json!([])),
        ] {
            props.insert(k.into(), v);
        }
        let mut data = lock(&self.sim().data);
        data.mailboxes
            .insert(id.clone(), demo::mailbox(&id, upn, &[]));
        data.directory.add(User {
            id: id.clone(),
            upn: upn.to_string(),
            has_mailbox: true,
            props,
        });
        id
    }

    /// Whether the directory has this user (by UPN or id); false once deleted.
    pub fn user_exists(&self, user: &str) -> bool {
        lock(&self.sim().data).directory.find(user).is_some()
    }

    /// UPNs of deleted users, restorable for 30 days.
    pub fn deleted_users(&self) -> Vec<String> {
        lock(&self.sim().data)
            .admin
            .deleted
            .iter()
            .map(|(u, _, _)| u.upn.clone())
            .collect()
    }

    /// The user's SKU part numbers, direct and inherited.
    pub fn licenses_of(&self, user: &str) -> Vec<String> {
        let data = lock(&self.sim().data);
        let Some(u) = data.directory.find(user) else {
            return Vec::new();
        };
        data.admin
            .licenses
            .get(&u.id)
            .map(Licenses::all)
            .unwrap_or_default()
            .into_iter()
            .filter_map(admin::sku)
            .map(|s| s.part_number.to_string())
            .collect()
    }

    /// Gives the user an Entra role (e.g. "User Administrator").
    pub fn assign_role(&self, user: &str, role: &str) {
        let mut data = lock(&self.sim().data);
        if let Some(id) = data.directory.find(user).map(|u| u.id.clone()) {
            data.admin
                .roles
                .entry(id)
                .or_default()
                .push(role.to_string());
        }
    }

    /// Lets the mailbox of `user` send as `address`.
    pub fn grant_send_as(&self, user: &str, address: &str) {
        let mut data = lock(&self.sim().data);
        if let Some(id) = data.directory.find(user).map(|u| u.id.clone()) {
            data.admin
                .send_as
                .entry(id)
                .or_default()
                .push(address.to_string());
        }
    }

    /// The user's `automaticRepliesSetting` (defaults when never set).
    pub fn auto_replies_of(&self, user: &str) -> Value {
        let mut data = lock(&self.sim().data);
        let Some(id) = data.directory.find(user).map(|u| u.id.clone()) else {
            return Value::Null;
        };
        data.admin.settings(&id)["automaticRepliesSetting"].clone()
    }

    /// Every threat assessment request made, as Graph returned it.
    pub fn threat_assessments(&self) -> Vec<Value> {
        lock(&self.sim().data)
            .activity
            .assessments
            .iter()
            .map(|a| a.json.clone())
            .collect()
    }

    /// Upload sessions still open.
    pub fn open_upload_sessions(&self) -> usize {
        lock(&self.sim().data).activity.uploads.len()
    }
}
