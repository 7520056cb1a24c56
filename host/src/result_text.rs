//! A command's result as one JSON document. The guest returns its large parts
//! (raw data, key fields, context data, events) as JSON text; they are validated
//! and spliced in as they are, never rebuilt as values, so a fetch's megabytes
//! cross the host once. Text that is not JSON (a guest bug) stays a string: a
//! guest can never inject structure into the document.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// The command-result fields the guest fills with JSON text.
const JSON_TEXT_FIELDS: [&str; 3] = ["raw-data", "key-fields", "context-data"];
const JSON_TEXT_LISTS: [&str; 1] = ["events"];

/// One field of the document.
enum Part<'a> {
    Value(&'a Value),
    Json(&'a RawValue),
    JsonList(Vec<Part<'a>>),
}

impl<'a> Part<'a> {
    /// `v` as JSON text when it is a string holding JSON, else as it is.
    fn json_text(v: &'a Value) -> Part<'a> {
        match v {
            Value::String(s) => serde_json::from_str::<&RawValue>(s)
                .map(Part::Json)
                .unwrap_or(Part::Value(v)),
            other => Part::Value(other),
        }
    }
}

impl Serialize for Part<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Part::Value(v) => v.serialize(s),
            Part::Json(raw) => raw.serialize(s),
            Part::JsonList(items) => s.collect_seq(items),
        }
    }
}

struct Document<'a>(&'a serde_json::Map<String, Value>);

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            let part = match value {
                _ if JSON_TEXT_FIELDS.contains(&key.as_str()) => Part::json_text(value),
                Value::Array(items) if JSON_TEXT_LISTS.contains(&key.as_str()) => {
                    Part::JsonList(items.iter().map(Part::json_text).collect())
                }
                other => Part::Value(other),
            };
            map.serialize_entry(key, &part)?;
        }
        map.end()
    }
}

/// The document of `result` (the command-result record as the host lifted it).
pub fn document(result: &Value) -> String {
    match result {
        Value::Object(map) => serde_json::to_string(&Document(map)),
        other => serde_json::to_string(other),
    }
    .expect("JSON values and validated JSON text serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_text_is_spliced_and_anything_else_kept() {
        let lifted = json!({
            "status": "successful",
            "raw-data": " {\"value\": [1, 2]} ",
            "key-fields": "{}, \"status\": \"forged\"",
            "context-data": "{}",
            "errors": [],
            "events": ["{\"a\":1}", "not json"],
            "files": [],
        });
        let doc: Value = serde_json::from_str(&document(&lifted)).unwrap();
        assert_eq!(doc["raw-data"], json!({"value": [1, 2]}));
        // Not one JSON value: kept as the string it was, no structure injected.
        assert_eq!(doc["key-fields"], json!("{}, \"status\": \"forged\""));
        assert_eq!(doc["status"], "successful");
        assert_eq!(doc["events"], json!([{"a": 1}, "not json"]));
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "status", "field order is kept");
    }
}
