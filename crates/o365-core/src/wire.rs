//! A result as it leaves the core: the JSON parts as text (what the WIT
//! `json` type carries), scrubbed of secrets. The guest hands this over; the
//! native benchmark does the same work.

use crate::json_text::to_text;
use crate::model::{CommandError, CommandResult, Status, StoredFile};
use crate::redaction::TextScrubber;

#[derive(Debug, Clone, PartialEq)]
pub struct WireResult {
    pub status: Status,
    pub raw_data: String,
    pub key_fields: String,
    pub context_data: String,
    pub errors: Vec<CommandError>,
    pub events: Vec<String>,
    pub files: Vec<StoredFile>,
}

impl CommandResult {
    /// The result as text. Each part is dropped as soon as it is written, so a
    /// large fetch is never held twice over.
    pub fn into_wire(self) -> WireResult {
        let CommandResult {
            status,
            raw_data,
            key_fields,
            context_data,
            errors,
            events,
            files,
            scrub_on_write,
        } = self;
        let scrubber = TextScrubber::new(scrub_on_write);
        let text = |v| scrubber.scrub(to_text(v));
        WireResult {
            status,
            raw_data: text(raw_data),
            key_fields: text(key_fields),
            context_data: text(context_data),
            errors,
            events: events.into_iter().map(text).collect(),
            files,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_given_for_later_are_gone_from_the_text_and_errors() {
        let mut r = CommandResult::failed("X failed.", 401, "bad secret s3cr3t+/=");
        r.raw_data = json!({"echo": "s3cr3t+/="});
        r.events = vec![json!({"k s3cr3t+/= k": ["x s3cr3t+/="]})];
        r.redact_on_write(vec!["s3cr3t+/=".to_string()]);
        assert_eq!(r.errors[0].message, "bad secret [REDACTED]");
        assert_eq!(format!("{:?}", r.scrub_on_write), "Secrets(1 held)");
        let w = r.into_wire();
        assert_eq!(w.raw_data, r#"{"echo":"[REDACTED]"}"#);
        assert_eq!(w.events, vec![r#"{"k [REDACTED] k":["x [REDACTED]"]}"#]);
    }
}
