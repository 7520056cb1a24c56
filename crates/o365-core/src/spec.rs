//! What a command declares about itself, once, next to its logic (`SPEC` in each
//! `commands/*.rs`): name, label, description, parameters, permissions, and how its JSON
//! input is read and run. The manifest (`describe`), `json-entry.invoke`, the validation
//! messages' labels and the WIT contract test (`tests/wit_contract.rs`) all derive from it.

use crate::env::Env;
use crate::error::Error;
use crate::input::Values;
use crate::model::{CommandResult, Connection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Text,
    Boolean,
    Integer,
    TextList,
    DateTime,
    Choice,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// The WIT field name (kebab-case).
    pub name: &'static str,
    /// The vendor document's label; validation messages start with it.
    pub label: &'static str,
    pub param_type: ParamType,
    pub required: bool,
    pub default_value: Option<&'static str>,
    pub example: Option<&'static str>,
    /// The vendor document's wording of each WIT enum case, in WIT order.
    pub choices: &'static [&'static str],
    pub description: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    pub delegated: &'static [&'static str],
    pub application: &'static [&'static str],
    pub note: Option<&'static str>,
}

/// Reads a command's input and runs it.
pub type Runner = fn(&dyn Env, &Connection, &Values) -> Result<CommandResult, Error>;

#[derive(Debug, Clone)]
pub struct CommandSpec {
    /// kebab-case, also the typed export's name.
    pub name: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub deprecated: bool,
    /// In the order of the WIT input record's fields.
    pub parameters: &'static [Parameter],
    pub permissions: Permissions,
    pub run: Runner,
}

impl CommandSpec {
    /// The label of parameter `name`. Evaluated in a `const`, an undeclared name stops
    /// the build, so a message cannot name a parameter the command does not have.
    pub const fn label_of(&self, name: &str) -> &'static str {
        let mut i = 0;
        while i < self.parameters.len() {
            if same(self.parameters[i].name, name) {
                return self.parameters[i].label;
            }
            i += 1;
        }
        panic!("no such parameter in this command's spec");
    }
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub const fn param(
    name: &'static str,
    label: &'static str,
    param_type: ParamType,
    required: bool,
) -> Parameter {
    Parameter {
        name,
        label,
        param_type,
        required,
        default_value: None,
        example: None,
        choices: &[],
        description: "",
    }
}

impl Parameter {
    pub const fn default(mut self, v: &'static str) -> Self {
        self.default_value = Some(v);
        self
    }

    pub const fn example(mut self, v: &'static str) -> Self {
        self.example = Some(v);
        self
    }

    pub const fn describe(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }

    pub const fn choices(mut self, c: &'static [&'static str]) -> Self {
        self.choices = c;
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::create_mail_folder::SPEC;

    #[test]
    fn label_of_gives_the_declared_label() {
        assert_eq!(SPEC.label_of("new-folder-name"), "New Folder Name");
    }

    /// In a `const` this stops the build; here, at run time, it panics.
    #[test]
    #[should_panic(expected = "no such parameter")]
    fn label_of_an_undeclared_parameter_fails() {
        let misspelled = String::from("new-folder-nam");
        SPEC.label_of(&misspelled);
    }
}
