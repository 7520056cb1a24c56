//! Command input as JSON, read the way every host accepts it: keys are field names or the
//! vendor document's labels (any case); booleans also take "true"/"false"; lists also take
//! a JSON array written as text or comma/semicolon-separated text; numbers also come as
//! text. A value of the wrong type, or an unknown key, is an error naming the parameter.
//!
//! Absent values read as the WIT record's zero: "" for text, false, an empty list, none.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::manifest::{ParamType, Parameter};

/// A command's input with its keys normalized to field names.
#[derive(Debug)]
pub struct Values<'a> {
    fields: Map<String, Value>,
    params: &'a [Parameter],
    /// The names a command's reader asked for, so a test can hold them to the spec.
    asked: RefCell<BTreeSet<String>>,
}

/// A WIT enum the input names by case (`first-to-approve-reject`) or by the vendor
/// document's wording (`"First to Approve / Reject"`).
pub trait Choice: Copy + 'static {
    /// The WIT case names, in WIT order, with the value each stands for.
    const CASES: &'static [(&'static str, Self)];
}

impl<'a> Values<'a> {
    /// `input`: a JSON object (null reads as `{}`); `params`: the command's parameters.
    pub fn new(input: &Value, params: &'a [Parameter]) -> Result<Values<'a>, Error> {
        let map = match input {
            Value::Null => return Ok(Values::empty(params)),
            Value::Object(m) => m,
            _ => {
                return Err(Error::input(
                    "Input",
                    "must be a JSON object of parameters.",
                ));
            }
        };
        let mut fields = Map::new();
        for (key, value) in map {
            let k = key.trim();
            let param = params
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(k) || p.label.eq_ignore_ascii_case(k))
                .ok_or_else(|| Error::input(key, unknown_key_message(params)))?;
            // WIT `json` is text: a JSON-typed parameter given as JSON itself is passed on
            // as its text.
            let value = match value {
                Value::Object(_) | Value::Array(_) if param.param_type == ParamType::Json => {
                    Value::String(value.to_string())
                }
                other => other.clone(),
            };
            fields.insert(param.name.to_string(), value);
        }
        Ok(Values {
            fields,
            params,
            asked: RefCell::default(),
        })
    }

    /// No input at all: every parameter absent.
    pub fn empty(params: &'a [Parameter]) -> Values<'a> {
        Values {
            fields: Map::new(),
            params,
            asked: RefCell::default(),
        }
    }

    /// Reads JSON text (blank reads as `{}`).
    pub fn from_text(text: &str, params: &'a [Parameter]) -> Result<Values<'a>, Error> {
        if text.trim().is_empty() {
            return Ok(Values::empty(params));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::input("Input", format!("is not JSON: {e}.")))?;
        Values::new(&value, params)
    }

    /// The label errors name: the parameter's label, or the field name.
    fn label(&self, name: &str) -> String {
        self.params
            .iter()
            .find(|p| p.name == name)
            .map_or(name, |p| p.label)
            .to_string()
    }

    /// The field names read so far.
    pub fn asked(&self) -> BTreeSet<String> {
        self.asked.borrow().clone()
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.asked.borrow_mut().insert(name.to_string());
        self.fields.get(name).filter(|v| !v.is_null())
    }

    /// WIT `string`: absent is "".
    pub fn text(&self, name: &str) -> Result<String, Error> {
        match self.get(name) {
            None => Ok(String::new()),
            Some(v) => text_of(&self.label(name), v),
        }
    }

    /// WIT `option<string>` (and `option<json>`): absent or blank is none.
    pub fn optional_text(&self, name: &str) -> Result<Option<String>, Error> {
        match self.present(name) {
            None => Ok(None),
            Some(v) => text_of(&self.label(name), v).map(Some),
        }
    }

    /// WIT `bool`: absent is false.
    pub fn flag(&self, name: &str) -> Result<bool, Error> {
        let Some(value) = self.get(name) else {
            return Ok(false);
        };
        match value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" | "" => Ok(false),
                _ => Err(type_error(&self.label(name), "true or false", value)),
            },
            _ => Err(type_error(&self.label(name), "true or false", value)),
        }
    }

    /// WIT `list<string>`: absent is empty.
    pub fn list(&self, name: &str) -> Result<Vec<String>, Error> {
        let Some(value) = self.get(name) else {
            return Ok(Vec::new());
        };
        let label = self.label(name);
        let items: Vec<Value> = match value {
            Value::Array(items) => items.clone(),
            Value::String(s) if s.trim_start().starts_with('[') => {
                serde_json::from_str::<Vec<Value>>(s)
                    .map_err(|_| type_error(&label, "a list", value))?
            }
            Value::String(s) => s
                .split([',', ';'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(p.to_string()))
                .collect(),
            other => vec![other.clone()],
        };
        items
            .iter()
            .map(|item| match item {
                Value::Null => Ok(String::new()),
                item => text_of(&label, item),
            })
            .collect()
    }

    /// WIT `option<u32>`: absent or blank is none.
    pub fn optional_u32(&self, name: &str) -> Result<Option<u32>, Error> {
        let Some(value) = self.present(name) else {
            return Ok(None);
        };
        let label = self.label(name);
        let n = match value {
            Value::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from)),
            Value::String(s) => s.trim().parse::<i128>().ok(),
            _ => None,
        };
        let n = n.ok_or_else(|| type_error(&label, "a whole number", value))?;
        u32::try_from(n)
            .map(Some)
            .map_err(|_| Error::input(&label, format!("{n} is out of range.")))
    }

    /// A WIT enum: absent is an error.
    pub fn choice<T: Choice>(&self, name: &str) -> Result<T, Error> {
        self.optional_choice(name)?
            .ok_or_else(|| Error::input(&self.label(name), "is required."))
    }

    /// WIT `option<enum>`: absent or blank is none.
    pub fn optional_choice<T: Choice>(&self, name: &str) -> Result<Option<T>, Error> {
        let Some(value) = self.present(name) else {
            return Ok(None);
        };
        let label = self.label(name);
        let given = value
            .as_str()
            .ok_or_else(|| type_error(&label, "one of the listed values", value))?;
        T::CASES
            .iter()
            .find(|(case, _)| choice_key(case) == choice_key(given))
            .map(|(_, v)| Some(*v))
            .ok_or_else(|| {
                let cases: Vec<&str> = T::CASES.iter().map(|(c, _)| *c).collect();
                Error::input(
                    &label,
                    format!("'{given}' is not one of: {}.", cases.join(", ")),
                )
            })
    }

    /// The value unless absent, null or blank text.
    fn present(&self, name: &str) -> Option<&Value> {
        self.get(name)
            .filter(|v| !matches!(v, Value::String(s) if s.trim().is_empty()))
    }
}

fn unknown_key_message(params: &[Parameter]) -> String {
    format!(
        "is not a parameter of this command. Parameters: {}.",
        params
            .iter()
            .map(|p| format!("{} ({})", p.name, p.label))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Letters and digits, lower case: "First to Approve / Reject" names
/// `first-to-approve-reject`.
fn choice_key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn text_of(label: &str, value: &Value) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(type_error(label, "text", value)),
    }
}

fn type_error(label: &str, expected: &str, got: &Value) -> Error {
    let shown = match got {
        Value::String(s) => format!("\"{}\"", s.chars().take(60).collect::<String>()),
        other => other.to_string().chars().take(60).collect(),
    };
    Error::input(label, format!("expected {expected}, got {shown}."))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::manifest;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Mode {
        NoReply,
        FirstToApproveReject,
    }

    impl Choice for Mode {
        const CASES: &'static [(&'static str, Self)] = &[
            ("no-reply", Mode::NoReply),
            ("first-to-approve-reject", Mode::FirstToApproveReject),
        ];
    }

    fn params() -> &'static [Parameter] {
        manifest::command("send-mail").unwrap().parameters
    }

    fn message(e: Error) -> String {
        e.user_message()
    }

    #[test]
    fn labels_and_names_any_case() {
        let p = params();
        let v = Values::new(
            &json!({"SUBJECT": "hi", "To Recipients": "a@x.example; b@x.example", "reply-due-time": "15"}),
            p,
        )
        .unwrap();
        assert_eq!(v.text("subject").unwrap(), "hi");
        assert_eq!(
            v.list("to-recipients").unwrap(),
            ["a@x.example", "b@x.example"]
        );
        assert_eq!(v.optional_u32("reply-due-time").unwrap(), Some(15));
        assert_eq!(v.optional_text("content").unwrap(), None);
        assert_eq!(v.list("cc-recipients").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn lists_take_arrays_array_text_and_scalars() {
        let p = params();
        for (given, want) in [
            (json!(["a", 1]), vec!["a", "1"]),
            (json!("[\"a\", \"b\"]"), vec!["a", "b"]),
            (json!("a, b,,c"), vec!["a", "b", "c"]),
            (json!(7), vec!["7"]),
        ] {
            let v = Values::new(&json!({ "file-ids": given }), p).unwrap();
            assert_eq!(v.list("file-ids").unwrap(), want);
        }
        let v = Values::new(&json!({"file-ids": "[oops"}), p).unwrap();
        assert_eq!(
            message(v.list("file-ids").unwrap_err()),
            "File IDs: expected a list, got \"[oops\"."
        );
    }

    #[test]
    fn choices_take_vendor_wording_and_name_the_cases() {
        let p = params();
        let v = Values::new(&json!({"Reply Mode": "First to Approve / Reject"}), p).unwrap();
        assert_eq!(
            v.optional_choice::<Mode>("reply-mode").unwrap(),
            Some(Mode::FirstToApproveReject)
        );
        let v = Values::new(&json!({"reply-mode": "Sometimes"}), p).unwrap();
        assert_eq!(
            message(v.optional_choice::<Mode>("reply-mode").unwrap_err()),
            "Reply Mode: 'Sometimes' is not one of: no-reply, first-to-approve-reject."
        );
        let v = Values::new(&json!({}), p).unwrap();
        assert_eq!(
            message(v.choice::<Mode>("reply-mode").unwrap_err()),
            "Reply Mode: is required."
        );
    }

    #[test]
    fn wrong_types_name_the_parameter() {
        let p = params();
        let v = Values::new(
            &json!({"subject": {"a": 1}, "reply-due-time": -1, "file-ids": [true]}),
            p,
        )
        .unwrap();
        assert_eq!(
            message(v.text("subject").unwrap_err()),
            "Subject: expected text, got {\"a\":1}."
        );
        assert_eq!(
            message(v.optional_u32("reply-due-time").unwrap_err()),
            "Reply Due Time: -1 is out of range."
        );
        assert_eq!(
            message(v.list("file-ids").unwrap_err()),
            "File IDs: expected text, got true."
        );
    }

    #[test]
    fn booleans_are_lenient_but_not_anything() {
        let p = manifest::command("create-mail-folder").unwrap().parameters;
        let v = Values::new(&json!({"Is Hidden": "TRUE"}), p).unwrap();
        assert!(v.flag("is-hidden").unwrap());
        let v = Values::new(&json!({"Is Hidden": "maybe"}), p).unwrap();
        assert_eq!(
            message(v.flag("is-hidden").unwrap_err()),
            "Is Hidden: expected true or false, got \"maybe\"."
        );
    }

    #[test]
    fn unknown_keys_and_non_objects_are_refused() {
        let p = manifest::command("list-message-rules").unwrap().parameters;
        let e = Values::new(&json!({"Rule Nmae": "x"}), p).unwrap_err();
        assert_eq!(
            message(e),
            "Rule Nmae: is not a parameter of this command. Parameters: user-principal-name (User Principal Name), rule-name (Rule Name)."
        );
        let e = Values::new(&json!([1]), p).unwrap_err();
        assert_eq!(message(e), "Input: must be a JSON object of parameters.");
        let e = Values::from_text("{", p).unwrap_err();
        assert!(message(e).starts_with("Input: is not JSON"));
    }

    #[test]
    fn json_parameters_given_as_json_become_text() {
        let p = manifest::command("fetch-event").unwrap().parameters;
        let v = Values::new(&json!({"Cursor": {"version": 1}}), p).unwrap();
        assert_eq!(
            v.optional_text("cursor").unwrap().as_deref(),
            Some("{\"version\":1}")
        );
    }
}
