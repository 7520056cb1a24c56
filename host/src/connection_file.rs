//! Writing back into a connection file the platform (or a person) wrote: a field goes
//! under the key the file already uses for it, the WIT name (`refresh-token`) or the
//! vendor document's label (`Refresh Token`), and no second key is ever left beside it,
//! or the next read would find the old value first.

use serde_json::{Map, Value};

/// The names a connection field may have in a file: WIT name first, then the label.
pub const REFRESH_TOKEN: [&str; 2] = ["refresh-token", "Refresh Token"];
pub const AUTHORIZATION_CODE: [&str; 2] = ["authorization-code", "Authorization Code"];
pub const ACCOUNT: [&str; 2] = ["account", "Account"];

fn matches(key: &str, names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(key.trim()))
}

/// Sets the field `names` in `connection` to `value`: under the first key the file already
/// has for it (any of `names`, any case), every other such key removed; else under
/// `names[0]`.
pub fn set_field(connection: &mut Map<String, Value>, names: &[&str], value: Value) {
    let existing = connection.keys().find(|k| matches(k, names)).cloned();
    connection.retain(|k, _| !matches(k, names) || Some(k) == existing.as_ref());
    let key = existing.unwrap_or_else(|| names[0].to_string());
    connection.insert(key, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_label_the_file_uses_is_kept_and_no_second_key_appears() {
        let mut conn = map(json!({"Grant Type": "Authorization Code", "Refresh Token": "old"}));
        set_field(&mut conn, &REFRESH_TOKEN, json!("new"));
        assert_eq!(
            Value::Object(conn),
            json!({"Grant Type": "Authorization Code", "Refresh Token": "new"})
        );
    }

    #[test]
    fn duplicates_are_removed_and_a_missing_field_gets_the_wit_name() {
        let mut conn = map(json!({"refresh token": "a", "refresh-token": "b"}));
        set_field(&mut conn, &REFRESH_TOKEN, json!("c"));
        assert_eq!(Value::Object(conn), json!({"refresh token": "c"}));
        let mut conn = map(json!({"tenant-id": "t"}));
        set_field(&mut conn, &ACCOUNT, json!("oid.tid"));
        assert_eq!(
            Value::Object(conn),
            json!({"tenant-id": "t", "account": "oid.tid"})
        );
    }
}
