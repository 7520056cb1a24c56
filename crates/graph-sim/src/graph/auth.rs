//! Bearer-token validation for every Graph call, and per-route permission
//! checks against the token's `roles` / `scp`.

use std::collections::BTreeSet;

use http::{HeaderMap, header};
use serde_json::Value;

use crate::error::GraphError;
use crate::identity::jwt::{self, JwtError};
use crate::sim::{Sim, lock};
use crate::wire::ReqMeta;
use crate::{clouds, permissions};

/// Who is calling.
#[derive(Clone, Debug)]
pub(crate) enum Principal {
    /// Client credentials (app-only).
    App,
    /// Delegated: a signed-in user.
    User { oid: String, upn: String },
}

#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub principal: Principal,
    /// Granted permissions plus everything they imply, lowercase.
    perms: BTreeSet<String>,
}

/// The permissions a route accepts (any one suffices), per token kind.
pub(crate) struct Need {
    pub delegated: &'static [&'static str],
    pub app: &'static [&'static str],
    /// Directory routes deny with Authorization_RequestDenied, mailbox
    /// routes with ErrorAccessDenied.
    pub directory: bool,
}

impl Caller {
    pub(crate) fn is_app(&self) -> bool {
        matches!(self.principal, Principal::App)
    }

    /// True when `key` (object id or UPN) names the signed-in user.
    pub(crate) fn is_self(&self, key: &str) -> bool {
        match &self.principal {
            Principal::User { oid, upn } => {
                key.eq_ignore_ascii_case(oid) || key.eq_ignore_ascii_case(upn)
            }
            Principal::App => false,
        }
    }

    /// True when the token carries a permission the route accepts.
    pub(crate) fn allows(&self, need: &Need) -> bool {
        let accepted = if self.is_app() {
            need.app
        } else {
            need.delegated
        };
        accepted
            .iter()
            .any(|p| self.perms.contains(&p.to_ascii_lowercase()))
    }

    pub(crate) fn require(&self, need: &Need) -> Result<(), GraphError> {
        if self.allows(need) {
            Ok(())
        } else if need.directory {
            Err(GraphError::directory_denied())
        } else {
            Err(GraphError::access_denied())
        }
    }
}

/// Validates the bearer token the way Graph does and returns the caller.
pub(crate) fn authenticate(
    sim: &Sim,
    meta: &ReqMeta,
    headers: &HeaderMap,
) -> Result<Caller, GraphError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or_else(|| GraphError::unauthenticated("Access token is empty."))?;
    let claims = jwt::verify(&sim.signing_key, token).map_err(|e| match e {
        JwtError::Malformed(msg) => GraphError::unauthenticated(msg),
        JwtError::BadSignature => GraphError::unauthenticated("Access token validation failure."),
    })?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
    let number = |name: &str| claims.get(name).and_then(Value::as_u64).unwrap_or(0);

    if !text("tid").eq_ignore_ascii_case(&sim.tenant.id) {
        return Err(GraphError::unauthenticated(
            "Access token validation failure. Invalid issuer.",
        ));
    }
    let audiences = clouds::accepted_audiences(meta.forwarded_host.as_deref());
    if !audiences
        .iter()
        .any(|a| a.eq_ignore_ascii_case(text("aud")))
    {
        return Err(GraphError::unauthenticated(
            "Access token validation failure. Invalid audience.",
        ));
    }
    if number("exp") <= meta.now || lock(&sim.identity).is_force_expired(text("uti")) {
        return Err(GraphError::unauthenticated(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    // Five minutes of clock skew, as the Microsoft validators allow.
    if number("nbf") > meta.now + 300 {
        return Err(GraphError::unauthenticated(
            "Lifetime validation failed, the token is not yet valid.",
        ));
    }

    let roles: Vec<String> = claims
        .get("roles")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let scp: Vec<String> = text("scp").split_whitespace().map(String::from).collect();
    if !roles.is_empty() {
        return Ok(Caller {
            principal: Principal::App,
            perms: permissions::closure(&roles),
        });
    }
    if !scp.is_empty() {
        return Ok(Caller {
            principal: Principal::User {
                oid: text("oid").to_string(),
                upn: text("upn").to_string(),
            },
            perms: permissions::closure(&scp),
        });
    }
    Err(GraphError::new(
        401,
        "NoPermissionsInAccessToken",
        "The token contains no permissions, or permissions can not be understood.",
    ))
}
