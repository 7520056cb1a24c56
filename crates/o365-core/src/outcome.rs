//! Per-item outcomes of the commands that work on several items (messages, users,
//! mailboxes). It sits below both `commands/` and `mail/`, which share it.

use serde_json::{Value, json};

use crate::error::Error;
use crate::model::CommandError;

/// The Error tab entry for one item of a command that works on several.
pub fn item_error(label: &str, item: &str, error: &Error) -> CommandError {
    CommandError {
        failure_indicator: format!("{label} failed for '{item}'."),
        status_code: error.status_code(),
        message: error.user_message(),
    }
}

/// An item's error inside `raw-data`, next to the items that succeeded.
pub fn error_json(error: &Error) -> Value {
    json!({
        "statusCode": error.status_code(),
        "code": error.code(),
        "message": error.user_message(),
    })
}
