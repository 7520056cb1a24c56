//! What the attacks need from the connection they were handed: its cloud's hosts, its
//! secret, and the token-cache key the real guest would use for it.

use o365_core::cloud::Cloud;
use o365_core::model as core;

use crate::soar::office365::types::{
    AuthorizationCode, ClientCredentials, Connection, Environment, Grant,
};

fn core_connection(c: &Connection) -> core::Connection {
    core::Connection {
        environment: environment(c),
        tenant_id: c.tenant_id.clone(),
        grant: match &c.grant {
            Grant::ClientCredentials(g) => {
                core::Grant::ClientCredentials(core::ClientCredentials {
                    client_id: g.client_id.clone(),
                    client_secret: g.client_secret.clone(),
                })
            }
            Grant::AuthorizationCode(g) => {
                core::Grant::AuthorizationCode(core::AuthorizationCode {
                    client_id: g.client_id.clone(),
                    client_secret: g.client_secret.clone(),
                    scope: g.scope.clone(),
                    callback_url: g.callback_url.clone(),
                    authorization_code: g.authorization_code.clone(),
                    refresh_token: g.refresh_token.clone(),
                    account: g.account.clone(),
                })
            }
        },
        api_version: c.api_version.clone(),
    }
}

/// The connection `json-entry.invoke` was handed, read as the real guest reads it.
pub fn from_core(c: core::Connection) -> Connection {
    Connection {
        environment: match c.environment {
            core::Environment::CommercialGcc => Environment::CommercialGcc,
            core::Environment::GccHigh => Environment::GccHigh,
            core::Environment::Dod => Environment::Dod,
            core::Environment::China => Environment::China,
        },
        tenant_id: c.tenant_id,
        grant: match c.grant {
            core::Grant::ClientCredentials(g) => Grant::ClientCredentials(ClientCredentials {
                client_id: g.client_id,
                client_secret: g.client_secret,
            }),
            core::Grant::AuthorizationCode(g) => Grant::AuthorizationCode(AuthorizationCode {
                client_id: g.client_id,
                client_secret: g.client_secret,
                scope: g.scope,
                callback_url: g.callback_url,
                authorization_code: g.authorization_code,
                refresh_token: g.refresh_token,
                account: g.account,
            }),
        },
        api_version: c.api_version,
    }
}

fn environment(c: &Connection) -> core::Environment {
    match c.environment {
        Environment::CommercialGcc => core::Environment::CommercialGcc,
        Environment::GccHigh => core::Environment::GccHigh,
        Environment::Dod => core::Environment::Dod,
        Environment::China => core::Environment::China,
    }
}

/// The key office365.wasm stores this connection's tokens under. Another connection of
/// the same app registration derives the same key, which is what the attacks exploit.
pub fn cache_key(c: &Connection) -> String {
    o365_core::auth::cache_key(&core_connection(c))
}

pub fn cloud(c: &Connection) -> Cloud {
    Cloud::of(environment(c))
}

pub fn client_secret(c: &Connection) -> &str {
    match &c.grant {
        Grant::ClientCredentials(g) => &g.client_secret,
        Grant::AuthorizationCode(g) => &g.client_secret,
    }
}

/// The form of a token request: this connection's own grant.
pub fn token_form(c: &Connection) -> String {
    let cloud = cloud(c);
    let mut form = form_urlencoded::Serializer::new(String::new());
    match &c.grant {
        Grant::ClientCredentials(g) => {
            form.append_pair("grant_type", "client_credentials")
                .append_pair("client_id", &g.client_id)
                .append_pair("client_secret", &g.client_secret)
                .append_pair("scope", &cloud.app_only_scope());
        }
        Grant::AuthorizationCode(g) => {
            form.append_pair("grant_type", "refresh_token")
                .append_pair("client_id", &g.client_id)
                .append_pair("client_secret", &g.client_secret)
                .append_pair("refresh_token", g.refresh_token.as_deref().unwrap_or(""))
                .append_pair("scope", &cloud.normalize_scope(&g.scope));
        }
    }
    form.finish()
}

/// `{tenant}`, `{login}`, `{graph}`, `{upload}`, `{secret}` and `{own-key}` in an
/// attack argument become this connection's values.
pub fn expand(c: &Connection, text: &str) -> String {
    let cloud = cloud(c);
    text.replace("{tenant}", &c.tenant_id)
        .replace("{login}", cloud.login_host)
        .replace("{graph}", cloud.graph_host)
        .replace(
            "{upload}",
            cloud
                .upload_hosts
                .first()
                .copied()
                .unwrap_or("outlook.office.com"),
        )
        .replace("{secret}", client_secret(c))
        .replace("{own-key}", &cache_key(c))
}
