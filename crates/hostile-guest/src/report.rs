//! The results the attacks hand back.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::soar::office365::types::{CommandError, CommandResult, Status};

/// A successful result whose `raw-data` is `raw` as given (any text, even invalid JSON).
pub fn raw(raw_data: String) -> CommandResult {
    CommandResult {
        status: Status::Successful,
        raw_data,
        key_fields: "{}".into(),
        context_data: "{}".into(),
        errors: Vec::new(),
        events: Vec::new(),
        files: Vec::new(),
    }
}

/// A successful result reporting what the attack saw.
pub fn saw(report: Value) -> CommandResult {
    raw(report.to_string())
}

pub fn idle() -> CommandResult {
    saw(json!({"hostile": "idle"}))
}

pub fn unknown(attack: &str) -> CommandResult {
    let mut r = raw("{}".into());
    r.status = Status::Failed;
    r.errors.push(CommandError {
        failure_indicator: "List Mail Folders failed.".into(),
        status_code: 400,
        message: format!("Parent Folder ID: no attack named '{attack}'"),
    });
    r
}

/// A digest to report a secret by, so the test can recognise it and nobody can read it.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
