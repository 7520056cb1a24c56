//! Per-item outcomes of the commands that work on several items (messages, users,
//! mailboxes). It sits below both `commands/` and `mail/`, which share it.

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::model::{CommandError, CommandResult, Status};

/// The Error tab entry for one item of a command that works on several.
pub fn item_error(label: &str, item: &str, error: &Error) -> CommandError {
    CommandError {
        failure_indicator: format!("{label} failed for '{item}'."),
        status_code: error.status_code(),
        message: error.user_message(),
    }
}

/// An item's error inside `raw-data`, next to the items that succeeded.
pub fn error_json(error: &Error) -> Value {
    json!({
        "statusCode": error.status_code(),
        "code": error.code(),
        "message": error.user_message(),
    })
}

/// How one item ended. The command's status follows from the counts
/// ([`ItemOutcomes::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Succeeded,
    /// Some parts of the item (a user's licenses, a mailbox's messages) failed.
    PartiallySucceeded,
    Failed,
    /// Nothing to do for this item (a user without a mailbox); neither success nor failure.
    Skipped,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Succeeded => "succeeded",
            ItemStatus::PartiallySucceeded => "partially-succeeded",
            ItemStatus::Failed => "failed",
            ItemStatus::Skipped => "skipped",
        }
    }
}

/// What happened to one item of a command that works on several. Every such command
/// reports its items as these rows, in `raw-data.items`, and its Error tab from them.
#[derive(Debug, Clone)]
pub struct ItemOutcome {
    /// The item as the row and the Error tab name it: "<message id> in <mailbox>", a
    /// user, a mailbox.
    pub item: String,
    pub status: ItemStatus,
    /// The command's word for what happened ("moved", "would-delete", "no-matches").
    pub outcome: String,
    /// Why the item failed as a whole.
    pub error: Option<Error>,
    /// Parts of the item that failed, each described like an item ("ENTERPRISEPACK of
    /// adele@...", "<id> in <mailbox>"): each is an Error tab entry of its own.
    pub part_errors: Vec<(String, Error)>,
    /// The command's own fields for this item (the moved message, the settings).
    pub data: Map<String, Value>,
}

impl ItemOutcome {
    pub fn succeeded(item: impl Into<String>, outcome: &str) -> ItemOutcome {
        ItemOutcome::new(item, ItemStatus::Succeeded, outcome)
    }

    pub fn failed(item: impl Into<String>, error: Error) -> ItemOutcome {
        let mut o = ItemOutcome::new(item, ItemStatus::Failed, "failed");
        o.error = Some(error);
        o
    }

    /// Skipped for `reason`, which the row keeps.
    pub fn skipped(item: impl Into<String>, reason: String) -> ItemOutcome {
        ItemOutcome::new(item, ItemStatus::Skipped, "skipped").with("reason", reason)
    }

    fn new(item: impl Into<String>, status: ItemStatus, outcome: &str) -> ItemOutcome {
        ItemOutcome {
            item: item.into(),
            status,
            outcome: outcome.to_string(),
            error: None,
            part_errors: Vec::new(),
            data: Map::new(),
        }
    }

    /// Adds one of the command's fields.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ItemOutcome {
        self.data.insert(key.to_string(), value.into());
        self
    }

    /// Records failed parts. A succeeded item becomes partially succeeded; when no part
    /// succeeded (`any_part_done` false) the item failed. The outcome word stays the
    /// caller's ("partially-removed").
    pub fn with_part_errors(
        mut self,
        parts: Vec<(String, Error)>,
        any_part_done: bool,
    ) -> ItemOutcome {
        if !parts.is_empty() && self.status == ItemStatus::Succeeded {
            self.status = if any_part_done {
                ItemStatus::PartiallySucceeded
            } else {
                ItemStatus::Failed
            };
        }
        self.part_errors.extend(parts);
        self
    }

    /// The row: `index`, `item`, `status`, `outcome`, and `error`, `partErrors`, `data`
    /// when there are any.
    fn row(&self, index: usize) -> Value {
        let mut row = json!({
            "index": index,
            "item": self.item,
            "status": self.status.as_str(),
            "outcome": self.outcome,
        });
        if let Some(e) = &self.error {
            row["error"] = error_json(e);
        }
        if !self.part_errors.is_empty() {
            row["partErrors"] = self
                .part_errors
                .iter()
                .map(|(part, e)| json!({"part": part, "error": error_json(e)}))
                .collect();
        }
        if !self.data.is_empty() {
            row["data"] = Value::Object(self.data.clone());
        }
        row
    }
}

/// The items of one command, in input order.
#[derive(Debug, Clone)]
pub struct ItemOutcomes {
    label: String,
    items: Vec<ItemOutcome>,
}

impl ItemOutcomes {
    /// `label` names the command in the Error tab.
    pub fn new(label: &str) -> ItemOutcomes {
        ItemOutcomes {
            label: label.to_string(),
            items: Vec::new(),
        }
    }

    pub fn push(&mut self, outcome: ItemOutcome) {
        self.items.push(outcome);
    }

    pub fn items(&self) -> &[ItemOutcome] {
        &self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn count(&self, status: ItemStatus) -> usize {
        self.items.iter().filter(|o| o.status == status).count()
    }

    /// Every item done (or skipped): successful; none done: failed; else partially.
    pub fn status(&self) -> Status {
        let done = self.count(ItemStatus::Succeeded);
        let partly = self.count(ItemStatus::PartiallySucceeded);
        let failed = self.count(ItemStatus::Failed);
        match (done, partly, failed) {
            (_, 0, 0) => Status::Successful,
            (0, 0, _) => Status::Failed,
            _ => Status::PartiallySuccessful,
        }
    }

    /// The Error tab: each failed item, then each failed part, in item order.
    pub fn errors(&self) -> Vec<CommandError> {
        self.items
            .iter()
            .flat_map(|o| {
                let own = o.error.iter().map(|e| item_error(&self.label, &o.item, e));
                let parts = o
                    .part_errors
                    .iter()
                    .map(|(part, e)| item_error(&self.label, part, e));
                own.chain(parts).collect::<Vec<_>>()
            })
            .collect()
    }

    pub fn rows(&self) -> Vec<Value> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, o)| o.row(i))
            .collect()
    }

    /// The result every multi-item command starts from: the status from the counts, the
    /// Error tab, and the rows in `raw-data.items`.
    pub fn result(&self) -> CommandResult {
        let mut result = CommandResult::new(self.status());
        result.errors = self.errors();
        result.raw_data = json!({"items": self.rows()});
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_found() -> Error {
        Error::Graph {
            status: 404,
            code: "ErrorItemNotFound".into(),
            message: "The specified object was not found in the store.".into(),
            hint: None,
        }
    }

    #[test]
    fn the_status_follows_from_the_counts() {
        let mut all = ItemOutcomes::new("X");
        all.push(ItemOutcome::succeeded("a", "moved"));
        all.push(ItemOutcome::skipped("b", "no mailbox".into()));
        assert_eq!(all.status(), Status::Successful);
        all.push(ItemOutcome::failed("c", not_found()));
        assert_eq!(all.status(), Status::PartiallySuccessful);

        let mut none = ItemOutcomes::new("X");
        none.push(ItemOutcome::failed("c", not_found()));
        none.push(ItemOutcome::skipped("b", "no mailbox".into()));
        assert_eq!(none.status(), Status::Failed);

        let mut partly = ItemOutcomes::new("X");
        partly.push(
            ItemOutcome::succeeded("u", "removed")
                .with_part_errors(vec![("E3 of u".into(), not_found())], true),
        );
        assert_eq!(partly.items()[0].status, ItemStatus::PartiallySucceeded);
        assert_eq!(partly.status(), Status::PartiallySuccessful);
        let only_parts = ItemOutcome::succeeded("u", "removed")
            .with_part_errors(vec![("E3 of u".into(), not_found())], false);
        assert_eq!(only_parts.status, ItemStatus::Failed);
    }

    #[test]
    fn rows_and_error_tab_name_the_item_the_same_way() {
        let mut out = ItemOutcomes::new("Delete Email Message");
        out.push(ItemOutcome::succeeded("M1 in a@t.example", "deleted").with("id", "M1"));
        out.push(ItemOutcome::failed("M2 in b@t.example", not_found()));
        out.push(
            ItemOutcome::succeeded("u@t.example", "removed")
                .with_part_errors(vec![("EMS of u@t.example".into(), not_found())], true),
        );
        let r = out.result();
        assert_eq!(r.status, Status::PartiallySuccessful);
        assert_eq!(
            r.raw_data["items"][0],
            json!({"index": 0, "item": "M1 in a@t.example", "status": "succeeded",
                   "outcome": "deleted", "data": {"id": "M1"}})
        );
        assert_eq!(
            r.raw_data["items"][1],
            json!({"index": 1, "item": "M2 in b@t.example", "status": "failed", "outcome": "failed",
                   "error": {"statusCode": 404, "code": "ErrorItemNotFound",
                             "message": "ErrorItemNotFound: The specified object was not found in the store."}})
        );
        assert_eq!(
            r.raw_data["items"][2]["partErrors"][0]["part"],
            "EMS of u@t.example"
        );
        let indicators: Vec<&str> = r
            .errors
            .iter()
            .map(|e| e.failure_indicator.as_str())
            .collect();
        assert_eq!(
            indicators,
            [
                "Delete Email Message failed for 'M2 in b@t.example'.",
                "Delete Email Message failed for 'EMS of u@t.example'."
            ]
        );
    }
}
