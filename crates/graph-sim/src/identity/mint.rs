//! Minting access and ID tokens with the claims Graph clients and the
//! Graph side of the sim look at.

use serde_json::{Value, json};

use super::jwt;
use super::store::AppRegistration;
use crate::ids;
use crate::sim::{Sim, lock};
use crate::time;

/// Who the token is for.
pub(crate) enum Subject<'a> {
    /// Client credentials: the app's service principal, with `roles`.
    App,
    /// A signed-in user, with `scp`.
    User { upn: &'a str, scopes: &'a [String] },
}

/// The user's object id and display name, from the directory when known.
fn user_identity(sim: &Sim, upn: &str) -> (String, String) {
    let data = lock(&sim.data);
    match data.directory.find(upn) {
        Some(u) => (
            u.id.clone(),
            u.props
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or(upn)
                .to_string(),
        ),
        None => (ids::stable_guid(&format!("user:{upn}")), upn.to_string()),
    }
}

/// Issues an access token for `aud`; returns it with its lifetime.
pub(crate) fn access_token(
    sim: &Sim,
    app: &AppRegistration,
    aud: &str,
    subject: Subject<'_>,
) -> (String, u64) {
    let now = time::now_unix();
    let lifetime = sim.token_lifetime();
    let tid = &sim.tenant.id;
    let uti = ids::opaque_token("", 16);
    let mut claims = json!({
        "aud": aud,
        "iss": format!("https://sts.windows.net/{tid}/"),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "app_displayname": app.client_id,
        "appid": app.client_id,
        "appidacr": "1",
        "idp": format!("https://sts.windows.net/{tid}/"),
        "tid": tid,
        "uti": uti,
        "ver": "1.0",
    });
    match subject {
        Subject::App => {
            let oid = ids::stable_guid(&format!("sp:{}", app.client_id.to_lowercase()));
            let roles: Vec<String> = app
                .roles
                .iter()
                .map(|r| crate::permissions::canonical(r))
                .collect();
            claims["idtyp"] = json!("app");
            claims["oid"] = json!(oid);
            claims["sub"] = json!(oid);
            // AAD leaves the claim out when the app holds no roles.
            if !roles.is_empty() {
                claims["roles"] = json!(roles);
            }
        }
        Subject::User { upn, scopes } => {
            let (oid, name) = user_identity(sim, upn);
            claims["idtyp"] = json!("user");
            claims["oid"] = json!(oid);
            claims["sub"] = json!(ids::stable_guid(&format!("sub:{oid}:{}", app.client_id)));
            claims["upn"] = json!(upn);
            claims["unique_name"] = json!(upn);
            claims["preferred_username"] = json!(upn);
            claims["name"] = json!(name);
            if !scopes.is_empty() {
                claims["scp"] = json!(scopes.join(" "));
            }
        }
    }
    lock(&sim.identity).note_access_token(&uti);
    (jwt::encode(&sim.signing_key, &claims), lifetime)
}

/// An OIDC ID token for the signed-in user (when `openid` was requested).
pub(crate) fn id_token(sim: &Sim, app: &AppRegistration, upn: &str) -> String {
    let now = time::now_unix();
    let (oid, name) = user_identity(sim, upn);
    let tid = &sim.tenant.id;
    let claims = json!({
        "aud": app.client_id,
        "iss": format!("https://login.microsoftonline.com/{tid}/v2.0"),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": name,
        "oid": oid,
        "preferred_username": upn,
        "sub": ids::stable_guid(&format!("sub:{oid}:{}", app.client_id)),
        "tid": tid,
        "ver": "2.0",
    });
    jwt::encode(&sim.signing_key, &claims)
}
