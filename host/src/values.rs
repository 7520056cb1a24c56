//! Component values -> JSON: the results the host lifts from the component (command
//! results, the manifest, the buttons' results). Input goes the other way as JSON text,
//! read by the component itself (`json-entry.invoke`).

use serde_json::{Map, Value, json};
use wasmtime::component::Val;

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
