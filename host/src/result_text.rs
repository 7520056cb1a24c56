//! A command's result as one JSON document. The guest returns its large parts
//! (raw data, key fields, context data, events) as JSON text; they are validated
//! (JSON, and nested no deeper than the limit) and spliced in, never rebuilt as values
//! unless they may hold a secret, so a fetch's megabytes cross the host once. Text that
//! is not JSON (a guest bug) stays a string: a guest can never inject structure into
//! the document. Every part is scrubbed of the invocation's secrets on its decoded
//! strings (`Redactor::json_text`).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::redact::Redactor;

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

/// How deep `text` nests arrays and objects, counted outside strings (it is read as JSON
/// afterwards; this only has to be right for valid JSON and never panic on the rest).
pub fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Every JSON text of the result, with a name for messages.
fn json_texts(map: &mut serde_json::Map<String, Value>) -> Vec<(String, &mut String)> {
    let mut out = Vec::new();
    for (key, value) in map.iter_mut() {
        match value {
            Value::String(text) if JSON_TEXT_FIELDS.contains(&key.as_str()) => {
                out.push((key.clone(), text))
            }
            Value::Array(items) if JSON_TEXT_LISTS.contains(&key.as_str()) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::String(text) = item {
                        out.push((format!("{key}[{i}]"), text));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The document of `result` (the command-result record as the host lifted it), scrubbed
/// by `redactor`; Err names the part nested deeper than `max_depth`.
pub fn document(
    mut result: Value,
    redactor: &Redactor,
    max_depth: usize,
) -> Result<String, String> {
    let Value::Object(map) = &mut result else {
        return serde_json::to_string(&redactor.json_owned(result)).map_err(|e| e.to_string());
    };
    for (name, text) in json_texts(map) {
        let depth = nesting_depth(text);
        if depth > max_depth {
            return Err(format!(
                "its {name} is JSON nested {depth} levels deep, deeper than the host's limit of {max_depth}"
            ));
        }
        if let Some(scrubbed) = redactor.json_text(text) {
            *text = scrubbed;
        }
    }
    // Every other field: error messages, file names.
    for (key, value) in map.iter_mut() {
        let is_json_text =
            JSON_TEXT_FIELDS.contains(&key.as_str()) || JSON_TEXT_LISTS.contains(&key.as_str());
        if !is_json_text {
            *value = redactor.json_owned(std::mem::take(value));
        }
    }
    serde_json::to_string(&Document(map)).map_err(|e| e.to_string())
}

/// Roughly how many bytes `v` takes as JSON text (strings and keys at their length):
/// what the result limit is checked against before any document is written.
pub fn approximate_size(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 2,
        Value::Array(items) => items
            .iter()
            .map(approximate_size)
            .fold(2usize, |a, b| a.saturating_add(b).saturating_add(1)),
        Value::Object(map) => map.iter().fold(2usize, |a, (k, v)| {
            a.saturating_add(k.len() + 4)
                .saturating_add(approximate_size(v))
        }),
        _ => 8,
    }
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
        let doc: Value =
            serde_json::from_str(&document(lifted, &Redactor::default(), 64).unwrap()).unwrap();
        assert_eq!(doc["raw-data"], json!({"value": [1, 2]}));
        // Not one JSON value: kept as the string it was, no structure injected.
        assert_eq!(doc["key-fields"], json!("{}, \"status\": \"forged\""));
        assert_eq!(doc["status"], "successful");
        assert_eq!(doc["events"], json!([{"a": 1}, "not json"]));
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "status", "field order is kept");
    }

    #[test]
    fn deep_json_is_refused_by_name_and_shallow_json_kept() {
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let lifted = json!({"status": "successful", "raw-data": "{}", "key-fields": "{}",
            "context-data": deep, "errors": [], "events": [], "files": []});
        let e = document(lifted, &Redactor::default(), 64).unwrap_err();
        assert!(
            e.contains("context-data is JSON nested 1000 levels deep"),
            "{e}"
        );
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        let lifted = json!({"status": "successful", "raw-data": "{}", "key-fields": "{}",
            "context-data": "{}", "errors": [], "events": [ok], "files": []});
        assert!(document(lifted, &Redactor::default(), 64).is_ok());
        assert_eq!(
            nesting_depth(r#"{"a": "[[[[\"]]"}"#),
            1,
            "brackets in strings do not count"
        );
    }

    #[test]
    fn secrets_are_found_on_decoded_strings() {
        let r = Redactor::new(["s3cret-token".to_string(), "quo\"te-secret".to_string()]);
        let lifted = json!({
            "status": "successful",
            // "s3cret-token" spelled with \u escapes: only decoding finds it.
            "raw-data": "{\"a\": \"\\u0073\\u0033cret-token\", \"b\": \"Inbox\"}",
            "key-fields": "{\"q\": \"quo\\\"te-secret\"}",
            "context-data": "{\"slash\": \"s3cret\\/x\"}",
            "errors": [{"failure-indicator": "x", "status-code": 500, "message": "s3cret-token leaked"}],
            "events": ["{\"e\": \"s3cret-token\"}"],
            "files": [],
        });
        let text = document(lifted, &r, 64).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["raw-data"], json!({"a": "[REDACTED]", "b": "Inbox"}));
        assert_eq!(doc["key-fields"], json!({"q": "[REDACTED]"}));
        assert_eq!(doc["context-data"], json!({"slash": "s3cret/x"}));
        assert_eq!(doc["errors"][0]["message"], "[REDACTED] leaked");
        assert_eq!(doc["events"][0], json!({"e": "[REDACTED]"}));
        assert!(!text.contains("s3cret-token"));
    }

    #[test]
    fn size_is_estimated_without_writing() {
        let v = json!({"a": "x".repeat(1000), "b": [1, 2]});
        let exact = v.to_string().len();
        let estimate = approximate_size(&v);
        assert!(
            estimate >= exact && estimate < exact + 64,
            "{estimate} vs {exact}"
        );
    }
}
