//! Inbox rules (`mailFolders/inbox/messageRules`), kept as Graph
//! messageRule JSON.

use serde_json::{Value, json};

use super::mailbox::Mailbox;
use crate::ids;

impl Mailbox {
    /// The rules in `sequence` order.
    pub(crate) fn rules(&self) -> Vec<&Value> {
        let mut out: Vec<&Value> = self.rules.iter().collect();
        out.sort_by_key(|r| r["sequence"].as_u64().unwrap_or(u64::MAX));
        out
    }

    /// Adds a rule; fills `id`, `sequence` and the flags Graph always sends.
    pub(crate) fn add_rule(&mut self, mut rule: Value) -> &Value {
        let n = self.rules.len() + 1;
        let defaults = [
            (
                "id",
                json!(ids::short_id(&self.owner_id, &format!("rule/{n}"))),
            ),
            ("sequence", json!(n)),
            ("isEnabled", json!(true)),
            ("hasError", json!(false)),
            ("isReadOnly", json!(false)),
            ("conditions", json!({})),
            ("actions", json!({})),
            ("exceptions", json!({})),
        ];
        for (k, v) in defaults {
            if rule.get(k).is_none_or(Value::is_null) {
                rule[k] = v;
            }
        }
        self.rules.push(rule);
        self.rules.last().expect("just pushed")
    }
}
