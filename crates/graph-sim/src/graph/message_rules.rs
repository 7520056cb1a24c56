//! Inbox rules: `{mbx}/mailFolders/inbox/messageRules[/{id}]` (read only).

use http::{Method, StatusCode};
use serde_json::Value;

use super::auth::Need;
use super::lookup::{item_not_found, resolve_path, with_mailbox};
use super::mailbox::Target;
use super::{Ctx, method_not_allowed, odata};
use crate::error::GraphError;
use crate::wire::Resp;

const READ: Need = Need {
    delegated: &["MailboxSettings.Read"],
    app: &["MailboxSettings.Read"],
    directory: false,
};

pub(super) fn route(
    ctx: &Ctx<'_>,
    target: Target<'_>,
    folder: &[&str],
    rest: &[String],
) -> Result<Resp, GraphError> {
    if ctx.req.method != Method::GET || rest.len() > 1 {
        return Err(method_not_allowed(ctx));
    }
    ctx.caller.require(&READ)?;
    with_mailbox(ctx, target, |owner, mbx| {
        let f = resolve_path(mbx, folder)?.ok_or_else(item_not_found)?;
        if f.well_known != Some("inbox") {
            return Err(GraphError::new(
                400,
                "ErrorInvalidRequest",
                "Message rules can only be read on the Inbox folder.",
            ));
        }
        let fragment = format!("users('{owner}')/mailFolders('{}')/messageRules", f.id);
        match rest {
            [] => {
                let items: Vec<Value> = mbx.rules().into_iter().cloned().collect();
                Ok(ctx.ok(
                    StatusCode::OK,
                    &odata::collection(ctx.context(&fragment), items, None),
                ))
            }
            [id] => {
                let rule = mbx
                    .rules()
                    .into_iter()
                    .find(|r| r["id"].as_str() == Some(id.as_str()))
                    .ok_or_else(item_not_found)?;
                let mut body = rule.clone();
                body["@odata.context"] = ctx.context(&format!("{fragment}/$entity")).into();
                Ok(ctx.ok(StatusCode::OK, &body))
            }
            _ => Err(method_not_allowed(ctx)),
        }
    })
}
