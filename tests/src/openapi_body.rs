//! Request bodies against the schemas of the Graph v1.0 OpenAPI slice
//! (`tests/graph/graph-v1.0-mail-slice.json`): the parts of JSON Schema the slice uses
//! (`$ref`, `allOf`/`anyOf`/`oneOf`, `type`, `nullable`, `enum`, `properties`, `items`,
//! `required`, `additionalProperties: false`). Formats and patterns are not checked.

use std::path::PathBuf;

use serde_json::{Map, Value};

/// Deeper than any Graph body: a guard against a `$ref` cycle.
const MAX_DEPTH: usize = 40;

pub struct Schemas {
    doc: Value,
}

fn slice_json() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("graph/graph-v1.0-mail-slice.json")
}

impl Schemas {
    pub fn load() -> Schemas {
        let text = std::fs::read_to_string(slice_json()).expect("the OpenAPI slice in tests/graph");
        Schemas {
            doc: serde_json::from_str(&text).expect("the slice is JSON"),
        }
    }

    /// The JSON request body schema of `method path` (path below the version root, still
    /// encoded), when the slice gives one.
    fn body_schema(&self, method: &str, path: &str) -> Option<&Value> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        let (_, item) = paths.iter().find(|(template, _)| {
            let t: Vec<&str> = template.trim_start_matches('/').split('/').collect();
            t.len() == segments.len()
                && t.iter().zip(&segments).all(|(t, s)| {
                    (t.starts_with('{') && t.ends_with('}') && !s.is_empty())
                        || t.eq_ignore_ascii_case(s)
                })
        })?;
        item[method.to_ascii_lowercase()]["requestBody"]["content"]["application/json"]
            .get("schema")
    }

    /// What is wrong with the JSON `body` of `method path`, by the slice; nothing when the
    /// slice has no JSON body schema for it or the body is not JSON (a MIME upload).
    pub fn problems(&self, method: &str, path: &str, body: &str) -> Vec<String> {
        let Some(schema) = self.body_schema(method, path) else {
            return Vec::new();
        };
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        self.check(schema, &value, "body", 0, &mut out);
        out
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/components/schemas/");
                &self.doc["components"]["schemas"][name]
            }
            None => schema,
        }
    }

    /// The schema `@odata.type` names, for a derived type sent where its base is declared.
    fn derived<'a>(&'a self, value: &Value) -> Option<&'a Value> {
        let name = value.get("@odata.type")?.as_str()?.trim_start_matches('#');
        self.doc["components"]["schemas"].get(name)
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, depth: usize, out: &mut Vec<String>) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema = self.resolve(schema);
        if value.is_null() && schema["nullable"] == true {
            return;
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            self.check(part, value, at, depth + 1, out);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(options) = schema[key].as_array() {
                let fits = options.iter().any(|o| {
                    let mut errs = Vec::new();
                    self.check(o, value, at, depth + 1, &mut errs);
                    errs.is_empty()
                });
                if !fits {
                    out.push(format!("{at}: {value} fits none of {key}"));
                }
            }
        }
        // Graph reads enum members case-insensitively ("HTML" for "html", as its own
        // examples send).
        let same = |a: &Value| match (a.as_str(), value.as_str()) {
            (Some(a), Some(v)) => a.eq_ignore_ascii_case(v),
            _ => a == value,
        };
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.iter().any(same)
        {
            out.push(format!(
                "{at}: {value} is not one of {}",
                Value::Array(allowed.clone())
            ));
        }
        let fits_type = match schema["type"].as_str() {
            None => true,
            Some("object") => value.is_object(),
            Some("array") => value.is_array(),
            Some("string") => value.is_string(),
            Some("boolean") => value.is_boolean(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some(_) => true,
        };
        if !fits_type {
            out.push(format!("{at}: {value} is not of type {}", schema["type"]));
            return;
        }
        if let Some(items) = schema.get("items") {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                self.check(items, item, &format!("{at}[{i}]"), depth + 1, out);
            }
        }
        if let Some(object) = value.as_object() {
            self.check_object(schema, object, value, at, depth, out);
        }
    }

    fn check_object(
        &self,
        schema: &Value,
        object: &Map<String, Value>,
        value: &Value,
        at: &str,
        depth: usize,
        out: &mut Vec<String>,
    ) {
        // A derived type names itself: its own schema has the properties it adds.
        let schema = self.derived(value).unwrap_or(schema);
        let properties = schema["properties"].as_object();
        let any_case = schema["x-case-insensitive-names"] == true;
        let declared = |name: &str| {
            properties.and_then(|p| {
                p.iter()
                    .find(|(k, _)| *k == name || (any_case && k.eq_ignore_ascii_case(name)))
                    .map(|(_, s)| s)
            })
        };
        for (name, v) in object {
            match declared(name) {
                Some(s) => self.check(s, v, &format!("{at}.{name}"), depth + 1, out),
                None if schema["additionalProperties"] == false && !name.starts_with('@') => out
                    .push(format!(
                        "{at}: '{name}' is not a property the slice declares"
                    )),
                None => {}
            }
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or_default();
            let present = object
                .keys()
                .any(|k| k == name || (any_case && k.eq_ignore_ascii_case(name)));
            if !present {
                out.push(format!("{at}: '{name}' is required"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_against_the_slice() {
        let s = Schemas::load();
        let move_path = "/users/a%40b/messages/AAMk/move";
        assert_eq!(
            s.problems("POST", move_path, r#"{"destinationId":"inbox"}"#),
            Vec::<String>::new()
        );
        assert!(
            !s.problems("POST", move_path, r#"{"destination":"inbox"}"#)
                .is_empty()
        );
        assert!(
            !s.problems("POST", move_path, r#"{"destinationId":7}"#)
                .is_empty()
        );
        let folders = "/users/a%40b/mailFolders";
        assert!(
            s.problems("POST", folders, r#"{"displayName":"x"}"#)
                .is_empty()
        );
        assert!(
            !s.problems("POST", folders, r#"{"displayName":["x"]}"#)
                .is_empty()
        );
        let send = "/me/sendMail";
        let ok = r#"{"message":{"subject":"s","importance":"high","toRecipients":[{"emailAddress":{"address":"x@y"}}]},"saveToSentItems":true}"#;
        assert_eq!(s.problems("POST", send, ok), Vec::<String>::new());
        let bad = r#"{"message":{"importance":"urgent"}}"#;
        assert!(!s.problems("POST", send, bad).is_empty());
    }
}
