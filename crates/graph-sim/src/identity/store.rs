//! Identity-platform state: app registrations, pending authorization
//! codes, refresh-token grants and the access tokens issued so far.

use std::collections::{HashMap, HashSet};

use super::scopes::Scopes;
use crate::ids;

/// An app registration (client) in the demo tenant.
#[derive(Clone, Debug)]
pub struct AppRegistration {
    pub client_id: String,
    pub client_secret: String,
    pub secret_expired: bool,
    /// Application permissions (admin-consented), e.g. `Mail.ReadWrite`.
    pub roles: Vec<String>,
    /// Consented delegated permissions, short names like `Mail.ReadWrite`.
    pub delegated_scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    /// UPN the authorize endpoint signs in and consents as.
    pub signed_in_user: Option<String>,
}

impl AppRegistration {
    /// True when every Graph permission in `names` is consented.
    pub(crate) fn consented(&self, names: &[String]) -> bool {
        names.iter().all(|n| {
            self.delegated_scopes
                .iter()
                .any(|c| c.eq_ignore_ascii_case(n))
        })
    }
}

/// A code handed out by /authorize, redeemable once within 10 minutes.
#[derive(Clone, Debug)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_upn: String,
    pub scopes: Scopes,
    /// PKCE challenge and method (`S256` or `plain`).
    pub challenge: Option<(String, String)>,
    pub issued_at: u64,
    pub redeemed: bool,
}

/// What a refresh token stands for.
#[derive(Clone, Debug)]
pub(crate) struct RefreshGrant {
    pub client_id: String,
    pub user_upn: String,
    pub scopes: Scopes,
    pub revoked: bool,
}

#[derive(Default)]
pub(crate) struct IdentityStore {
    apps: Vec<AppRegistration>,
    codes: HashMap<String, AuthCode>,
    refresh: HashMap<String, RefreshGrant>,
    /// `uti` of every access token issued and not yet force-expired.
    live_tokens: HashSet<String>,
    /// `uti` of tokens expired by `expire_access_tokens`.
    expired_tokens: HashSet<String>,
}

/// Authorization codes live about 10 minutes (reference §1.4).
pub(crate) const CODE_LIFETIME_SECS: u64 = 600;

impl IdentityStore {
    /// Adds an app or replaces the one with the same client id.
    pub(crate) fn register(&mut self, app: AppRegistration) {
        self.apps
            .retain(|a| !a.client_id.eq_ignore_ascii_case(&app.client_id));
        self.apps.push(app);
    }

    pub(crate) fn app(&self, client_id: &str) -> Option<&AppRegistration> {
        self.apps
            .iter()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }

    pub(crate) fn add_code(&mut self, code: AuthCode) -> String {
        let value = ids::opaque_token("1.AQ4A", 96);
        self.codes.insert(value.clone(), code);
        value
    }

    pub(crate) fn code_mut(&mut self, code: &str) -> Option<&mut AuthCode> {
        self.codes.get_mut(code)
    }

    pub(crate) fn add_refresh(&mut self, grant: RefreshGrant) -> String {
        let value = ids::opaque_token("1.AQ4A", 160);
        self.refresh.insert(value.clone(), grant);
        value
    }

    pub(crate) fn refresh_mut(&mut self, token: &str) -> Option<&mut RefreshGrant> {
        self.refresh.get_mut(token)
    }

    pub(crate) fn revoke_refresh_for(&mut self, client_id: &str) {
        for grant in self.refresh.values_mut() {
            if grant.client_id.eq_ignore_ascii_case(client_id) {
                grant.revoked = true;
            }
        }
    }

    pub(crate) fn note_access_token(&mut self, uti: &str) {
        self.live_tokens.insert(uti.to_string());
    }

    /// Every access token issued so far counts as expired from now on.
    pub(crate) fn expire_all_access_tokens(&mut self) {
        self.expired_tokens.extend(self.live_tokens.drain());
    }

    pub(crate) fn is_force_expired(&self, uti: &str) -> bool {
        self.expired_tokens.contains(uti)
    }
}
