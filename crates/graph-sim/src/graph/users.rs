//! Directory users: `GET /users`, `GET /users/{id|upn}`, `GET /me`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode};
use serde_json::Value;

use super::auth::{Need, Principal};
use super::lookup::{user_json, user_not_found};
use super::{Ctx, method_not_allowed, odata};
use crate::error::GraphError;
use crate::sim::lock;
use crate::wire::Resp;

/// Properties `$select` may name on microsoft.graph.user (from the v1.0
/// metadata slice).
const USER_PROPERTIES: &[&str] = &[
    "id",
    "deletedDateTime",
    "aboutMe",
    "accountEnabled",
    "ageGroup",
    "assignedLicenses",
    "assignedPlans",
    "authorizationInfo",
    "birthday",
    "businessPhones",
    "city",
    "companyName",
    "consentProvidedForMinor",
    "country",
    "createdDateTime",
    "creationType",
    "customSecurityAttributes",
    "department",
    "deviceEnrollmentLimit",
    "displayName",
    "employeeHireDate",
    "employeeId",
    "employeeLeaveDateTime",
    "employeeOrgData",
    "employeeType",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "faxNumber",
    "givenName",
    "hireDate",
    "identities",
    "identityParentId",
    "imAddresses",
    "interests",
    "isManagementRestricted",
    "isResourceAccount",
    "jobTitle",
    "lastPasswordChangeDateTime",
    "legalAgeGroupClassification",
    "licenseAssignmentStates",
    "mail",
    "mailboxSettings",
    "mailNickname",
    "mobilePhone",
    "mySite",
    "officeLocation",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesExtensionAttributes",
    "onPremisesImmutableId",
    "onPremisesLastSyncDateTime",
    "onPremisesProvisioningErrors",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesUserPrincipalName",
    "otherMails",
    "passwordPolicies",
    "passwordProfile",
    "pastProjects",
    "postalCode",
    "preferredDataLocation",
    "preferredLanguage",
    "preferredName",
    "print",
    "provisionedPlans",
    "proxyAddresses",
    "responsibilities",
    "schools",
    "securityIdentifier",
    "serviceProvisioningErrors",
    "showInAddressList",
    "signInActivity",
    "signInSessionsValidFromDateTime",
    "skills",
    "state",
    "streetAddress",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

const LIST_USERS: Need = Need {
    delegated: &["User.ReadBasic.All"],
    app: &["User.ReadBasic.All"],
    directory: true,
};

const READ_SELF: Need = Need {
    delegated: &["User.Read", "User.ReadBasic.All"],
    app: &["User.ReadBasic.All"],
    directory: true,
};

/// Default page size and the directory's maximum (reference §3.1).
const DEFAULT_TOP: usize = 100;
const MAX_TOP: usize = 999;

fn select_fragment(base: &str, select: Option<&[String]>, suffix: &str) -> String {
    match select {
        Some(s) => format!("{base}({}){suffix}", s.join(",")),
        None => format!("{base}{suffix}"),
    }
}

/// The directory hides the offset in an opaque `$skiptoken`.
fn skiptoken(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("graph-sim:users:{offset}"))
}

fn parse_skiptoken(token: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("graph-sim:users:")?
        .parse()
        .ok()
}

pub(super) fn list(ctx: &Ctx<'_>) -> Result<Resp, GraphError> {
    if ctx.req.method != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    ctx.caller.require(&LIST_USERS)?;
    if ctx.query.get("$skip").is_some() {
        return Err(GraphError::new(
            400,
            "Request_BadRequest",
            "'$skip' is not supported by the service.",
        ));
    }
    ctx.query
        .reject(&["$filter", "$search", "$orderby", "$expand", "$count"])?;
    let top = ctx.query.number("$top", DEFAULT_TOP)?;
    if !(1..=MAX_TOP).contains(&top) {
        return Err(GraphError::new(
            400,
            "Request_UnsupportedQuery",
            format!(
                "Invalid page size specified: '{top}'. Must be between 1 and {MAX_TOP} inclusive."
            ),
        ));
    }
    let offset = match ctx.query.get("$skiptoken") {
        None => 0,
        Some(t) => parse_skiptoken(t).ok_or_else(|| {
            GraphError::new(400, "Request_BadRequest", "Invalid $skiptoken value.")
        })?,
    };
    let select = ctx.query.select(USER_PROPERTIES, "microsoft.graph.user")?;
    let data = lock(&ctx.sim.data);
    let (users, more) = odata::page(data.directory.all(), offset, top);
    let items = users
        .iter()
        .map(|u| user_json(u, select.as_deref()))
        .collect();
    let next = more.then(|| {
        ctx.query.next_link(
            ctx.meta,
            ctx.req.path,
            "$skiptoken",
            &skiptoken(offset + top),
        )
    });
    let context = ctx.context(&select_fragment("users", select.as_deref(), ""));
    Ok(ctx.ok(StatusCode::OK, &odata::collection(context, items, next)))
}

pub(super) fn get(ctx: &Ctx<'_>, key: &str) -> Result<Resp, GraphError> {
    if ctx.req.method != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    if ctx.caller.is_self(key) {
        ctx.caller.require(&READ_SELF)?;
    } else {
        ctx.caller.require(&LIST_USERS)?;
    }
    single(ctx, key)
}

pub(super) fn me(ctx: &Ctx<'_>) -> Result<Resp, GraphError> {
    if ctx.req.method != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    ctx.caller.require(&READ_SELF)?;
    let Principal::User { oid, .. } = &ctx.caller.principal else {
        return Err(super::mailbox::me_needs_delegated());
    };
    single(ctx, oid)
}

fn single(ctx: &Ctx<'_>, key: &str) -> Result<Resp, GraphError> {
    let select = ctx.query.select(USER_PROPERTIES, "microsoft.graph.user")?;
    let data = lock(&ctx.sim.data);
    let user = data
        .directory
        .find(key)
        .ok_or_else(|| user_not_found(key))?;
    let mut body = user_json(user, select.as_deref());
    body["@odata.context"] =
        Value::String(ctx.context(&select_fragment("users", select.as_deref(), "/$entity")));
    Ok(ctx.ok(StatusCode::OK, &body))
}
