//! Directory writes: `DELETE /users/{id|upn}`, `{user}/licenseDetails` and
//! `{user}/assignLicense`. Delegated callers also need an Entra role, and only some
//! roles may act on users that hold admin roles themselves (the seed's matrix).

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::auth::{Need, Principal};
use super::lookup::{json_body, user_json, user_not_found};
use super::mailbox::Target;
use super::{Ctx, method_not_allowed};
use crate::error::GraphError;
use crate::sim::lock;
use crate::store::TenantData;
use crate::store::admin::{
    GLOBAL_ADMIN, LICENSE_ADMIN, LicenseError, PRIVILEGED_AUTH_ADMIN, USER_ADMIN,
    sync_assigned_licenses,
};
use crate::wire::{self, Resp};

const DELETE_USER: Need = Need {
    delegated: &["Directory.AccessAsUser.All"],
    app: &["User.ReadWrite.All", "User.DeleteRestore.All"],
    directory: true,
};
const READ_LICENSES: Need = Need {
    delegated: &["User.Read.All"],
    app: &["User.Read.All"],
    directory: true,
};
const READ_OWN_LICENSES: Need = Need {
    delegated: &["User.Read"],
    app: &["User.Read.All"],
    directory: true,
};
const ASSIGN_LICENSES: Need = Need {
    delegated: &["User.ReadWrite.All", "LicenseAssignment.ReadWrite.All"],
    app: &["User.ReadWrite.All", "LicenseAssignment.ReadWrite.All"],
    directory: true,
};

/// Roles a User Administrator may not act on.
const ABOVE_USER_ADMIN: &[&str] = &[
    GLOBAL_ADMIN,
    PRIVILEGED_AUTH_ADMIN,
    "Privileged Role Administrator",
    "Authentication Administrator",
];

/// The user's object id, for `users/{key}` or `me`.
fn user_id(ctx: &Ctx<'_>, data: &TenantData, target: Target<'_>) -> Result<String, GraphError> {
    let key = match (target, &ctx.caller.principal) {
        (Target::User(k), _) => k,
        (Target::Me, Principal::User { oid, .. }) => oid.as_str(),
        (Target::Me, Principal::App) => return Err(super::mailbox::me_needs_delegated()),
    };
    data.directory
        .find(key)
        .map(|u| u.id.clone())
        .ok_or_else(|| user_not_found(key))
}

fn caller_id<'c>(ctx: &'c Ctx<'_>) -> Option<&'c str> {
    match &ctx.caller.principal {
        Principal::User { oid, .. } => Some(oid),
        Principal::App => None,
    }
}

/// Whether the caller may act on `target_id` given both sides' roles.
fn may_act_on(ctx: &Ctx<'_>, data: &TenantData, target_id: &str, caller_roles: &[&str]) -> bool {
    let target_roles = data.admin.roles_of(target_id);
    match caller_id(ctx) {
        // App-only permissions reach users without admin roles only.
        None => target_roles.is_empty(),
        Some(me) => {
            if data
                .admin
                .has_role(me, &[GLOBAL_ADMIN, PRIVILEGED_AUTH_ADMIN])
            {
                return true;
            }
            data.admin.has_role(me, caller_roles)
                && !target_roles
                    .iter()
                    .any(|r| ABOVE_USER_ADMIN.iter().any(|a| a.eq_ignore_ascii_case(r)))
        }
    }
}

pub(super) fn delete_user(ctx: &Ctx<'_>, key: &str) -> Result<Resp, GraphError> {
    ctx.caller.require(&DELETE_USER)?;
    let mut data = lock(&ctx.sim.data);
    let id = user_id(ctx, &data, Target::User(key))?;
    if !may_act_on(ctx, &data, &id, &[USER_ADMIN]) {
        return Err(GraphError::directory_denied());
    }
    let user = data
        .directory
        .remove(&id)
        .ok_or_else(|| user_not_found(key))?;
    let mailbox = data.mailboxes.remove(&id);
    let now = ctx.meta.now;
    data.admin.deleted.push((user, mailbox, now));
    Ok(wire::empty(StatusCode::NO_CONTENT, &ctx.ids()))
}

pub(super) fn license_details(ctx: &Ctx<'_>, target: Target<'_>) -> Result<Resp, GraphError> {
    if ctx.req.method != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    let data = lock(&ctx.sim.data);
    let id = user_id(ctx, &data, target)?;
    if caller_id(ctx) == Some(id.as_str()) {
        ctx.caller.require(&READ_OWN_LICENSES)?;
    } else {
        ctx.caller.require(&READ_LICENSES)?;
    }
    let items = data.admin.license_details(&id);
    let select = ctx.query.get("$select").map(|s| {
        s.split(',')
            .map(|p| p.trim().to_string())
            .collect::<Vec<_>>()
    });
    let items: Vec<Value> = items
        .into_iter()
        .map(|i| super::odata::project(i, select.as_deref()))
        .collect();
    let body = super::odata::collection(
        ctx.context(&format!("users('{id}')/licenseDetails")),
        items,
        None,
    );
    Ok(ctx.ok(StatusCode::OK, &body))
}

fn sku_list(v: Option<&Value>, name: &str, objects: bool) -> Result<Vec<String>, GraphError> {
    let bad = || {
        GraphError::new(
            400,
            "Request_BadRequest",
            format!("Invalid value specified for property '{name}' of resource 'User'."),
        )
    };
    let list = v.and_then(Value::as_array).ok_or_else(bad)?;
    list.iter()
        .map(|e| {
            let s = if objects {
                e["skuId"].as_str()
            } else {
                e.as_str()
            };
            s.map(str::to_string).ok_or_else(bad)
        })
        .collect()
}

pub(super) fn assign_license(ctx: &Ctx<'_>, target: Target<'_>) -> Result<Resp, GraphError> {
    if ctx.req.method != Method::POST {
        return Err(method_not_allowed(ctx));
    }
    ctx.caller.require(&ASSIGN_LICENSES)?;
    let body = json_body(ctx)?;
    // Both are required, even when empty (reference §3.13).
    let add = sku_list(body.get("addLicenses"), "addLicenses", true)?;
    let remove = sku_list(body.get("removeLicenses"), "removeLicenses", false)?;
    let mut data = lock(&ctx.sim.data);
    let id = user_id(ctx, &data, target)?;
    if caller_id(ctx).is_some() && !may_act_on(ctx, &data, &id, &[USER_ADMIN, LICENSE_ADMIN]) {
        return Err(GraphError::directory_denied());
    }
    data.admin.assign(&id, &add, &remove).map_err(|e| match e {
        LicenseError::UnknownSku(s) => GraphError::new(
            400,
            "Request_BadRequest",
            format!("License {s} does not correspond to a valid company License."),
        ),
        LicenseError::NotAssigned(s) => GraphError::new(
            400,
            "Request_BadRequest",
            format!("User does not have a corresponding license {s}."),
        ),
        LicenseError::InheritedOnly(_) => GraphError::new(
            400,
            "Request_BadRequest",
            "User license is inherited from a group membership and it cannot be removed directly from the user.",
        ),
    })?;
    sync_assigned_licenses(&mut data);
    let user = data
        .directory
        .find(&id)
        .ok_or_else(|| user_not_found(&id))?;
    let mut v = user_json(user, None);
    v["@odata.context"] = json!(ctx.context("users/$entity"));
    Ok(ctx.ok(StatusCode::OK, &v))
}
