//! `POST /{tenant}/oauth2/v2.0/token`: client_credentials,
//! authorization_code (with PKCE) and refresh_token grants.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client_auth::{authenticate_client, basic_credentials};
use super::mint::{self, Subject};
use super::scopes::Scopes;
use super::store::{AppRegistration, CODE_LIFETIME_SECS, RefreshGrant};
use super::{TenantRef, check_tenant, delegated_resource, unknown_client, unknown_resource};
use crate::error::AadError;
use crate::sim::{Sim, lock};
use crate::wire::{self, RawRequest, ReqMeta, Resp, form_get};

pub(super) fn handle(sim: &Sim, meta: &ReqMeta, req: &RawRequest<'_>, tenant: &str) -> Resp {
    match token(sim, meta, req, tenant) {
        Ok(body) => wire::json_with(
            StatusCode::OK,
            "application/json; charset=utf-8",
            &body,
            &[
                ("Cache-Control", "no-store, no-cache".into()),
                ("Pragma", "no-cache".into()),
                ("x-ms-request-id", meta.request_id.clone()),
            ],
        ),
        Err(e) => e.render(meta),
    }
}

fn token(sim: &Sim, meta: &ReqMeta, req: &RawRequest<'_>, tenant: &str) -> Result<Value, AadError> {
    if req.method != Method::POST {
        return Err(AadError::new(
            400,
            "invalid_request",
            900561,
            format!(
                "The endpoint only accepts POST, OPTIONS requests. Received a {} request.",
                req.method
            ),
        ));
    }
    let tenant_ref = check_tenant(sim, tenant)?;
    let form = wire::parse_form(&String::from_utf8_lossy(req.body));
    let basic = basic_credentials(req.headers);
    let grant_type =
        form_get(&form, "grant_type").ok_or_else(|| AadError::missing("grant_type"))?;
    let client_id = form_get(&form, "client_id")
        .map(str::to_string)
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()))
        .ok_or_else(|| AadError::missing("client_id"))?;
    let app = lock(&sim.identity)
        .app(&client_id)
        .cloned()
        .ok_or_else(|| unknown_client(sim, &client_id))?;
    let secret = form_get(&form, "client_secret")
        .map(str::to_string)
        .or_else(|| basic.map(|(_, s)| s));
    match grant_type {
        "client_credentials" => {
            if tenant_ref == TenantRef::MultiTenant {
                return Err(AadError::new(
                    400,
                    "invalid_request",
                    9001023,
                    "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
                ));
            }
            authenticate_client(&app, secret.as_deref())?;
            client_credentials(sim, meta, &app, &form)
        }
        "authorization_code" => {
            authenticate_client(&app, secret.as_deref())?;
            authorization_code(sim, meta, &app, &form)
        }
        "refresh_token" => {
            authenticate_client(&app, secret.as_deref())?;
            refresh_token(sim, meta, &app, &form)
        }
        other => Err(AadError::new(
            400,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    }
}

fn client_credentials(
    sim: &Sim,
    meta: &ReqMeta,
    app: &AppRegistration,
    form: &[(String, String)],
) -> Result<Value, AadError> {
    let raw = form_get(form, "scope").ok_or_else(|| AadError::missing("scope"))?;
    let scopes = Scopes::parse(raw);
    let only_default = scopes.default
        && scopes.names.is_empty()
        && scopes.oidc.is_empty()
        && scopes.resources.len() == 1;
    if !only_default {
        return Err(AadError::new(
            400,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {raw} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    }
    let resource = &scopes.resources[0];
    let allowed = crate::clouds::graph_hosts_for_login(meta.forwarded_host.as_deref());
    if !resource
        .strip_prefix("https://")
        .is_some_and(|h| allowed.contains(&h))
    {
        return Err(unknown_resource(sim, resource));
    }
    let (access_token, lifetime) = mint::access_token(sim, app, resource, Subject::App);
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    }))
}

/// AADSTS65001: a delegated permission the app holds no consent for.
fn not_consented(app: &AppRegistration) -> AadError {
    AadError::new(
        400,
        "invalid_grant",
        65001,
        format!(
            "The user or administrator has not consented to use the application with ID '{0}' named '{0}'. Send an interactive authorization request for this user and resource.",
            app.client_id
        ),
    )
}

/// The permissions a delegated token carries: the ones asked for in this
/// request, else the grant's; `/.default` means everything consented.
fn granted_names(
    app: &AppRegistration,
    requested: Option<&Scopes>,
    grant: &Scopes,
) -> Result<Vec<String>, AadError> {
    let source = match requested {
        Some(r) if r.default || !r.names.is_empty() => r,
        _ => grant,
    };
    let mut names = source.names.clone();
    if source.default {
        for consented in &app.delegated_scopes {
            let c = crate::permissions::canonical(consented);
            if !names.contains(&c) {
                names.push(c);
            }
        }
    }
    if app.consented(&names) {
        Ok(names)
    } else {
        Err(not_consented(app))
    }
}

fn expired_grant() -> AadError {
    AadError::new(
        400,
        "invalid_grant",
        70008,
        "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
    )
}

fn pkce_ok(challenge: &(String, String), verifier: Option<&str>) -> bool {
    let Some(verifier) = verifier else {
        return false;
    };
    let (value, method) = challenge;
    if method.eq_ignore_ascii_case("S256") {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == *value
    } else {
        verifier == value
    }
}

fn authorization_code(
    sim: &Sim,
    meta: &ReqMeta,
    app: &AppRegistration,
    form: &[(String, String)],
) -> Result<Value, AadError> {
    let code_value = form_get(form, "code").ok_or_else(|| AadError::missing("code"))?;
    let redirect_uri =
        form_get(form, "redirect_uri").ok_or_else(|| AadError::missing("redirect_uri"))?;
    let requested = form_get(form, "scope").map(Scopes::parse);
    let code = {
        let mut identity = lock(&sim.identity);
        let code = identity
            .code_mut(code_value)
            .filter(|c| c.client_id.eq_ignore_ascii_case(&app.client_id))
            .ok_or_else(|| {
                AadError::new(
                    400,
                    "invalid_grant",
                    70000,
                    "The provided value for the 'code' parameter is not valid.",
                )
            })?;
        if code.redeemed {
            return Err(AadError::new(
                400,
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            ));
        }
        if meta.now.saturating_sub(code.issued_at) > CODE_LIFETIME_SECS {
            return Err(expired_grant());
        }
        if code.redirect_uri != redirect_uri {
            return Err(AadError::new(
                400,
                "invalid_grant",
                500112,
                format!(
                    "The reply address '{redirect_uri}' does not match the reply address '{}' provided when requesting Authorization code.",
                    code.redirect_uri
                ),
            ));
        }
        if let Some(challenge) = &code.challenge
            && !pkce_ok(challenge, form_get(form, "code_verifier"))
        {
            return Err(AadError::new(
                400,
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            ));
        }
        // A failed redemption leaves the code usable; a good one burns it.
        code.redeemed = true;
        code.clone()
    };
    let names = granted_names(app, requested.as_ref(), &code.scopes)?;
    let named = requested
        .as_ref()
        .map(|r| r.resources.clone())
        .filter(|r| !r.is_empty())
        .unwrap_or_default();
    let resource = delegated_resource(sim, meta, &named, code.scopes.resources.first())?;
    let grant = Scopes {
        oidc: code.scopes.oidc.clone(),
        names: granted_names(app, None, &code.scopes)?,
        resources: vec![resource.clone()],
        default: false,
    };
    Ok(delegated_response(
        sim,
        app,
        &code.user_upn,
        &resource,
        names,
        &grant,
    ))
}

fn refresh_token(
    sim: &Sim,
    meta: &ReqMeta,
    app: &AppRegistration,
    form: &[(String, String)],
) -> Result<Value, AadError> {
    let token =
        form_get(form, "refresh_token").ok_or_else(|| AadError::missing("refresh_token"))?;
    let requested = form_get(form, "scope").map(Scopes::parse);
    let grant = {
        let mut identity = lock(&sim.identity);
        let grant = identity
            .refresh_mut(token)
            .filter(|g| !g.revoked)
            .ok_or_else(expired_grant)?;
        if !grant.client_id.eq_ignore_ascii_case(&app.client_id) {
            return Err(AadError::new(
                400,
                "invalid_grant",
                70000,
                "Provided grant is invalid or malformed.",
            ));
        }
        grant.clone()
    };
    let names = granted_names(app, requested.as_ref(), &grant.scopes)?;
    let named = requested
        .as_ref()
        .map(|r| r.resources.clone())
        .filter(|r| !r.is_empty())
        .unwrap_or_default();
    let resource = delegated_resource(sim, meta, &named, grant.scopes.resources.first())?;
    if sim.strict_refresh_rotation
        && let Some(old) = lock(&sim.identity).refresh_mut(token)
    {
        old.revoked = true;
    }
    let mut body = delegated_response(sim, app, &grant.user_upn, &resource, names, &grant.scopes);
    // A refresh always rotates, whatever offline_access said originally.
    if body.get("refresh_token").is_none() {
        let rotated = lock(&sim.identity).add_refresh(RefreshGrant {
            revoked: false,
            ..grant
        });
        body["refresh_token"] = json!(rotated);
    }
    Ok(body)
}

/// The token response of a delegated grant (reference §1.6 / §6.10).
fn delegated_response(
    sim: &Sim,
    app: &AppRegistration,
    upn: &str,
    resource: &str,
    names: Vec<String>,
    grant: &Scopes,
) -> Value {
    let (access_token, lifetime) = mint::access_token(
        sim,
        app,
        resource,
        Subject::User {
            upn,
            scopes: &names,
        },
    );
    let issued = Scopes {
        oidc: grant.oidc.clone(),
        names,
        resources: vec![resource.to_string()],
        default: false,
    };
    let mut body = json!({
        "token_type": "Bearer",
        "scope": issued.response_string(resource),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    if grant.offline() {
        let refresh = lock(&sim.identity).add_refresh(RefreshGrant {
            client_id: app.client_id.clone(),
            user_upn: upn.to_string(),
            scopes: grant.clone(),
            revoked: false,
        });
        body["refresh_token"] = json!(refresh);
    }
    if grant.openid() {
        body["id_token"] = json!(mint::id_token(sim, app, upn));
    }
    body
}

/// Issues a refresh token directly (test setup and the demo connection).
pub(crate) fn issue_refresh_token(sim: &Sim, client_id: &str, upn: &str, scope: &str) -> String {
    let mut scopes = Scopes::parse(scope);
    if scopes.resources.is_empty() {
        scopes.resources.push("https://graph.microsoft.com".into());
    }
    if !scopes.offline() {
        scopes.oidc.push("offline_access".into());
    }
    lock(&sim.identity).add_refresh(RefreshGrant {
        client_id: client_id.to_string(),
        user_upn: upn.to_string(),
        scopes,
        revoked: false,
    })
}
