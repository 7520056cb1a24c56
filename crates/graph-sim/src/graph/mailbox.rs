//! Resolving the `{mbx}` part of a path (`me` or `users/{id|upn}`) to a
//! mailbox the caller may open.

use super::auth::{Caller, Principal};
use crate::error::GraphError;
use crate::store::TenantData;

/// The mailbox a path names, before resolution.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target<'a> {
    Me,
    User(&'a str),
}

/// Returns the owner's object id, or the error Exchange gives.
pub(crate) fn resolve(
    data: &TenantData,
    caller: &Caller,
    target: Target<'_>,
) -> Result<String, GraphError> {
    let key = match (target, &caller.principal) {
        (Target::User(key), _) => key,
        (Target::Me, Principal::User { oid, .. }) => oid.as_str(),
        (Target::Me, Principal::App) => return Err(me_needs_delegated()),
    };
    let shown = match (target, &caller.principal) {
        (Target::Me, Principal::User { upn, .. }) => upn.as_str(),
        _ => key,
    };
    let user = data.directory.find(key).ok_or_else(|| {
        GraphError::new(
            404,
            "ErrorInvalidUser",
            format!("The requested user '{shown}' is invalid."),
        )
    })?;
    // Delegated tokens reach only the signed-in user's own mailbox.
    if !caller.is_app() && !caller.is_self(&user.id) {
        return Err(GraphError::access_denied());
    }
    if !user.has_mailbox || !data.mailboxes.contains_key(&user.id) {
        return Err(GraphError::new(
            404,
            "MailboxNotEnabledForRESTAPI",
            "REST API is not yet supported for this mailbox.",
        ));
    }
    Ok(user.id.clone())
}

/// 400 for `/me` with an app-only token (reference §1.3).
pub(crate) fn me_needs_delegated() -> GraphError {
    GraphError::new(
        400,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
    )
}
