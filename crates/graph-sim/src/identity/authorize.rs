//! `GET /{tenant}/oauth2/v2.0/authorize`: signs in the app's configured
//! user without any UI, consents, and redirects back with a code.

use http::{Method, StatusCode};

use super::scopes::Scopes;
use super::store::AuthCode;
use super::{check_tenant, delegated_resource, unknown_client};
use crate::error::AadError;
use crate::ids;
use crate::sim::{Sim, lock};
use crate::wire::{self, RawRequest, ReqMeta, Resp, form_get};

pub(super) fn handle(sim: &Sim, meta: &ReqMeta, req: &RawRequest<'_>, tenant: &str) -> Resp {
    // AAD takes the parameters from the query, or from a form POST.
    let params = if req.method == Method::POST {
        wire::parse_form(&String::from_utf8_lossy(req.body))
    } else {
        wire::parse_form(req.query)
    };
    match authorize(sim, meta, &params, tenant) {
        Ok(location) | Err(Outcome::Redirect(location)) => {
            wire::empty(StatusCode::FOUND, &[("Location", location)])
        }
        Err(Outcome::Page(e)) => e.render(meta),
    }
}

/// Errors before the redirect URI is trusted are shown to the user (here: a
/// 400 with the AAD body); later ones go back to the client in the redirect.
enum Outcome {
    Page(AadError),
    Redirect(String),
}

fn authorize(
    sim: &Sim,
    meta: &ReqMeta,
    params: &[(String, String)],
    tenant: &str,
) -> Result<String, Outcome> {
    check_tenant(sim, tenant).map_err(Outcome::Page)?;
    let client_id = form_get(params, "client_id")
        .ok_or_else(|| Outcome::Page(AadError::missing("client_id")))?;
    let app = lock(&sim.identity)
        .app(client_id)
        .cloned()
        .ok_or_else(|| Outcome::Page(unknown_client(sim, client_id)))?;
    let redirect_uri = form_get(params, "redirect_uri")
        .ok_or_else(|| Outcome::Page(AadError::missing("redirect_uri")))?;
    if !app.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(Outcome::Page(AadError::new(
            400,
            "invalid_request",
            50011,
            format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
                app.client_id
            ),
        )));
    }
    let state = form_get(params, "state");
    let fail = |e: AadError| Outcome::Redirect(error_location(meta, redirect_uri, state, &e));
    match form_get(params, "response_type") {
        None => return Err(fail(AadError::missing("response_type"))),
        Some("code") => {}
        Some(other) => {
            return Err(fail(AadError::new(
                400,
                "unsupported_response_type",
                700054,
                format!("response_type '{other}' is not enabled for the application."),
            )));
        }
    }
    let scopes = Scopes::parse(form_get(params, "scope").unwrap_or(""));
    if scopes.names.is_empty() && scopes.oidc.is_empty() && !scopes.default {
        return Err(fail(AadError::missing("scope")));
    }
    delegated_resource(sim, meta, &scopes.resources, None).map_err(fail)?;
    let challenge = match form_get(params, "code_challenge") {
        None => None,
        Some(value) => {
            let method = form_get(params, "code_challenge_method").unwrap_or("plain");
            if method != "S256" && method != "plain" {
                return Err(fail(AadError::new(
                    400,
                    "invalid_request",
                    501491,
                    format!("Invalid code_challenge_method '{method}'."),
                )));
            }
            Some((value.to_string(), method.to_string()))
        }
    };
    let Some(user) = app.signed_in_user.clone() else {
        return Err(fail(AadError::new(
            400,
            "login_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.",
        )));
    };
    let code = lock(&sim.identity).add_code(AuthCode {
        client_id: app.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        user_upn: user,
        scopes,
        challenge,
        issued_at: meta.now,
        redeemed: false,
    });
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("code", &code);
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    query.append_pair("session_state", &ids::random_guid());
    Ok(with_query(redirect_uri, &query.finish()))
}

fn with_query(uri: &str, query: &str) -> String {
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{query}")
}

fn error_location(meta: &ReqMeta, redirect_uri: &str, state: Option<&str>, e: &AadError) -> String {
    let body = e.body(meta);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", e.error);
    query.append_pair(
        "error_description",
        body["error_description"].as_str().unwrap_or_default(),
    );
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    with_query(redirect_uri, &query.finish())
}
