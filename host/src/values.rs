//! JSON <-> component values, driven by the exported function's types, so any command
//! the component exports can be called from JSON without host code for it.
//!
//! Input is read leniently where platforms are known to differ ("true" for true, a
//! comma-separated string for a list), and strictly otherwise: a value of the wrong type
//! is an error that names the parameter.

use serde_json::{Map, Value, json};
use wasmtime::component::{Type, Val};

/// A value that does not fit its parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The parameter's label (or field name when it has none).
    pub parameter: String,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.parameter, self.message)
    }
}

impl std::error::Error for InputError {}

/// Maps field names to the labels users see, for error messages.
pub type Labels<'a> = &'a dyn Fn(&str) -> String;

fn type_error(label: &str, expected: &str, got: &Value) -> InputError {
    let shown = match got {
        Value::String(s) => format!("\"{}\"", s.chars().take(60).collect::<String>()),
        other => other.to_string().chars().take(60).collect(),
    };
    InputError {
        parameter: label.to_string(),
        message: format!("expected {expected}, got {shown}."),
    }
}

fn is_integer(ty: &Type) -> bool {
    matches!(
        ty,
        Type::U8 | Type::U16 | Type::U32 | Type::U64 | Type::S8 | Type::S16 | Type::S32 | Type::S64
    )
}

/// The value for a missing field: empty string, false, empty list, none, zero.
fn absent(ty: &Type, label: &str) -> Result<Val, InputError> {
    Ok(match ty {
        Type::Bool => Val::Bool(false),
        Type::String => Val::String(String::new()),
        Type::List(_) => Val::List(Vec::new()),
        Type::Option(_) => Val::Option(None),
        ty if is_integer(ty) => {
            return integer(ty, 0, label);
        }
        _ => {
            return Err(InputError {
                parameter: label.to_string(),
                message: "is required.".into(),
            });
        }
    })
}

fn integer(ty: &Type, n: i128, label: &str) -> Result<Val, InputError> {
    let out_of_range = || InputError {
        parameter: label.to_string(),
        message: format!("{n} is out of range."),
    };
    Ok(match ty {
        Type::U8 => Val::U8(u8::try_from(n).map_err(|_| out_of_range())?),
        Type::U16 => Val::U16(u16::try_from(n).map_err(|_| out_of_range())?),
        Type::U32 => Val::U32(u32::try_from(n).map_err(|_| out_of_range())?),
        Type::U64 => Val::U64(u64::try_from(n).map_err(|_| out_of_range())?),
        Type::S8 => Val::S8(i8::try_from(n).map_err(|_| out_of_range())?),
        Type::S16 => Val::S16(i16::try_from(n).map_err(|_| out_of_range())?),
        Type::S32 => Val::S32(i32::try_from(n).map_err(|_| out_of_range())?),
        Type::S64 => Val::S64(i64::try_from(n).map_err(|_| out_of_range())?),
        _ => unreachable!("integer() is called for integer types only"),
    })
}

/// Converts `value` (None when the key was absent) to a value of type `ty`.
pub fn to_val(
    ty: &Type,
    value: Option<&Value>,
    label: &str,
    labels: Labels<'_>,
) -> Result<Val, InputError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return absent(ty, label);
    };
    match ty {
        Type::Bool => match value {
            Value::Bool(b) => Ok(Val::Bool(*b)),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(Val::Bool(true)),
                "false" | "no" | "0" | "" => Ok(Val::Bool(false)),
                _ => Err(type_error(label, "true or false", value)),
            },
            _ => Err(type_error(label, "true or false", value)),
        },
        ty if is_integer(ty) => {
            let n = match value {
                Value::Number(n) => n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from)),
                Value::String(s) => s.trim().parse::<i128>().ok(),
                _ => None,
            };
            match n {
                Some(n) => integer(ty, n, label),
                None => Err(type_error(label, "a whole number", value)),
            }
        }
        Type::String => match value {
            Value::String(s) => Ok(Val::String(s.clone())),
            Value::Number(n) => Ok(Val::String(n.to_string())),
            _ => Err(type_error(label, "text", value)),
        },
        Type::List(list) => {
            let element = list.ty();
            let items: Vec<Value> = match value {
                Value::Array(items) => items.clone(),
                // A JSON array written as text, or a comma/semicolon-separated list.
                Value::String(s) if s.trim_start().starts_with('[') => {
                    serde_json::from_str::<Vec<Value>>(s)
                        .map_err(|_| type_error(label, "a list", value))?
                }
                Value::String(s) if matches!(element, Type::String) => s
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_string()))
                    .collect(),
                other => vec![other.clone()],
            };
            items
                .iter()
                .map(|item| to_val(&element, Some(item), label, labels))
                .collect::<Result<Vec<_>, _>>()
                .map(Val::List)
        }
        Type::Option(option) => {
            if matches!(value, Value::String(s) if s.trim().is_empty()) {
                return Ok(Val::Option(None));
            }
            Ok(Val::Option(Some(Box::new(to_val(
                &option.ty(),
                Some(value),
                label,
                labels,
            )?))))
        }
        Type::Enum(e) => {
            let given = value
                .as_str()
                .ok_or_else(|| type_error(label, "one of the listed values", value))?;
            // "Incident Attachment File" and "First to Approve / Reject" (the vendor
            // document's labels) name `incident-attachment-file` and `first-to-approve-reject`.
            let key = |s: &str| -> String {
                s.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase())
                    .collect()
            };
            e.names()
                .find(|n| key(n) == key(given))
                .map(|n| Val::Enum(n.to_string()))
                .ok_or_else(|| InputError {
                    parameter: label.to_string(),
                    message: format!(
                        "'{given}' is not one of: {}.",
                        e.names().collect::<Vec<_>>().join(", ")
                    ),
                })
        }
        Type::Record(record) => {
            let map = value
                .as_object()
                .ok_or_else(|| type_error(label, "an object", value))?;
            record
                .fields()
                .map(|f| {
                    let field_label = labels(f.name);
                    to_val(&f.ty, map.get(f.name), &field_label, labels)
                        .map(|v| (f.name.to_string(), v))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Val::Record)
        }
        Type::Variant(variant) => {
            // {"case-name": payload} or "case-name" for a case without payload.
            let (case_name, payload) = match value {
                Value::String(s) => (s.as_str(), None),
                Value::Object(m) if m.len() == 1 => {
                    let (k, v) = m.iter().next().expect("one entry");
                    (k.as_str(), Some(v))
                }
                _ => return Err(type_error(label, "a single case", value)),
            };
            let case = variant
                .cases()
                .find(|c| c.name == case_name)
                .ok_or_else(|| type_error(label, "a known case", value))?;
            let payload = match case.ty {
                Some(ty) => Some(Box::new(to_val(&ty, payload, label, labels)?)),
                None => None,
            };
            Ok(Val::Variant(case.name.to_string(), payload))
        }
        _ => Err(InputError {
            parameter: label.to_string(),
            message: "has a type this host cannot build from JSON.".into(),
        }),
    }
}

/// Any component value as JSON: records as objects with their kebab-case names.
pub fn to_json(val: Val) -> Value {
    let boxed = |v: Option<Box<Val>>| v.map(|v| to_json(*v));
    match val {
        Val::Bool(b) => json!(b),
        Val::S8(n) => json!(n),
        Val::U8(n) => json!(n),
        Val::S16(n) => json!(n),
        Val::U16(n) => json!(n),
        Val::S32(n) => json!(n),
        Val::U32(n) => json!(n),
        Val::S64(n) => json!(n),
        Val::U64(n) => json!(n),
        Val::Float32(n) => json!(n),
        Val::Float64(n) => json!(n),
        Val::Char(c) => json!(c.to_string()),
        // Moved, not copied: a fetch's result strings are megabytes.
        Val::String(s) => Value::String(s),
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            Value::Array(items.into_iter().map(to_json).collect())
        }
        Val::Record(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, to_json(v)))
                .collect::<Map<_, _>>(),
        ),
        Val::Variant(name, payload) => match boxed(payload) {
            Some(p) => json!({ name: p }),
            None => json!(name),
        },
        Val::Enum(name) => json!(name),
        Val::Option(o) => boxed(o).unwrap_or(Value::Null),
        Val::Result(r) => match r {
            Ok(v) => json!({"ok": boxed(v)}),
            Err(e) => json!({"err": boxed(e)}),
        },
        Val::Flags(names) => json!(names),
        Val::Map(pairs) => Value::Array(
            pairs
                .into_iter()
                .map(|(k, v)| json!([to_json(k), to_json(v)]))
                .collect(),
        ),
        Val::Resource(_) | Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => {
            json!("<handle>")
        }
    }
}
