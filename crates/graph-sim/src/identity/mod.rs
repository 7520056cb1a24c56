//! The Microsoft identity platform v2.0 endpoints:
//! `/{tenant}/oauth2/v2.0/token` and `/{tenant}/oauth2/v2.0/authorize`.

mod authorize;
mod client_auth;
pub(crate) mod jwt;
mod mint;
pub(crate) mod scopes;
pub(crate) mod store;
mod token;

pub(crate) use token::issue_refresh_token;

use http::StatusCode;

use crate::error::AadError;
use crate::sim::Sim;
use crate::wire::{self, RawRequest, ReqMeta, Resp};

/// True for paths this module serves: `/{tenant}/oauth2/...`.
pub(crate) fn owns(segments: &[String]) -> bool {
    segments.len() >= 2 && segments[1].eq_ignore_ascii_case("oauth2")
}

/// Routes an identity request; `segments` are the decoded path segments.
pub(crate) fn handle(sim: &Sim, meta: &ReqMeta, req: &RawRequest<'_>, segments: &[String]) -> Resp {
    let tenant = segments[0].as_str();
    match segments[2..]
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .as_slice()
    {
        [v, endpoint] if v == "v2.0" && endpoint == "token" => {
            token::handle(sim, meta, req, tenant)
        }
        [v, endpoint] if v == "v2.0" && endpoint == "authorize" => {
            authorize::handle(sim, meta, req, tenant)
        }
        _ => wire::empty(StatusCode::NOT_FOUND, &[]),
    }
}

/// How the `{tenant}` path segment addresses the directory.
#[derive(PartialEq, Eq)]
enum TenantRef {
    /// The demo tenant by GUID or verified domain.
    Specific,
    /// `common` / `organizations`: fine for user sign-in, not for app-only.
    MultiTenant,
}

fn check_tenant(sim: &Sim, tenant: &str) -> Result<TenantRef, AadError> {
    if sim.tenant.matches(tenant) {
        return Ok(TenantRef::Specific);
    }
    if tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("organizations") {
        return Ok(TenantRef::MultiTenant);
    }
    Err(AadError::new(
        400,
        "invalid_request",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    ))
}

fn unknown_client(sim: &Sim, client_id: &str) -> AadError {
    AadError::new(
        400,
        "unauthorized_client",
        700016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
            sim.tenant.display_name
        ),
    )
}

/// AADSTS500011: a resource (Graph host) of another cloud.
fn unknown_resource(sim: &Sim, resource: &str) -> AadError {
    AadError::new(
        400,
        "invalid_resource",
        500011,
        format!(
            "The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
            sim.tenant.display_name
        ),
    )
}

/// Picks the Graph resource (`https://host`) a delegated token is for:
/// the first URL scope, else the grant's, else the login cloud's Graph.
fn delegated_resource(
    sim: &Sim,
    meta: &ReqMeta,
    named: &[String],
    fallback: Option<&String>,
) -> Result<String, AadError> {
    let allowed = crate::clouds::graph_hosts_for_login(meta.forwarded_host.as_deref());
    let resource = match named.first().or(fallback) {
        Some(r) => r.clone(),
        None => format!("https://{}", allowed[0]),
    };
    let host_ok = resource
        .strip_prefix("https://")
        .is_some_and(|h| allowed.contains(&h));
    if host_ok {
        Ok(resource)
    } else {
        Err(unknown_resource(sim, &resource))
    }
}
