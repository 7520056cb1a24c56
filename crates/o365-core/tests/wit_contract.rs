//! The WIT contract (`wit/office365.wit`) and the commands' specs agree: every exported
//! command has a spec and every spec an export, the input record's fields are the spec's
//! parameters in order, each WIT type fits its parameter type, and each enum's cases are
//! the parameter's choices. Each check is also shown to fail on a mismatched WIT text.

use std::collections::BTreeSet;

use o365_core::commands::move_copy::Action;
use o365_core::commands::report_emails::Category;
use o365_core::commands::send_mail::ReplyMode;
use o365_core::commands::setup_auto_reply::AutoReplyStatus;
use o365_core::compose::files::FileSource;
use o365_core::input::Choice;
use o365_core::manifest::{self, CommandSpec, ParamType, Parameter};
use wit_parser::{Field, Function, Resolve, Type, TypeDefKind};

const WIT: &str = include_str!("../../../wit/office365.wit");

/// The package's interfaces without the world, which only imports WASI (wit/deps) and
/// exports the interfaces checked here.
fn interfaces_only(wit: &str) -> &str {
    &wit[..wit.find("\nworld ").unwrap_or(wit.len())]
}

fn parse(wit: &str) -> Result<(Resolve, wit_parser::PackageId), String> {
    let mut resolve = Resolve::new();
    let package = resolve
        .push_source("office365.wit", interfaces_only(wit))
        .map_err(|e| format!("the WIT does not parse: {e:#}"))?;
    Ok((resolve, package))
}

/// Every disagreement between `wit` and `specs`, in words.
fn mismatches(wit: &str, specs: &[&CommandSpec]) -> Vec<String> {
    let (resolve, package) = match parse(wit) {
        Ok(parsed) => parsed,
        Err(e) => return vec![e],
    };
    let Some(&commands) = resolve.packages[package].interfaces.get("commands") else {
        return vec!["the WIT has no interface `commands`".into()];
    };
    let functions = &resolve.interfaces[commands].functions;
    let declared: BTreeSet<&str> = specs.iter().map(|s| s.name).collect();
    let mut problems: Vec<String> = functions
        .keys()
        .filter(|name| !declared.contains(name.as_str()))
        .map(|name| format!("export {name} has no spec"))
        .collect();
    for spec in specs {
        match functions.get(spec.name) {
            Some(f) => check_function(&resolve, spec, f, &mut problems),
            None => problems.push(format!("spec {} has no export", spec.name)),
        }
    }
    problems
}

fn check_function(resolve: &Resolve, spec: &CommandSpec, f: &Function, out: &mut Vec<String>) {
    let names: Vec<&str> = f.params.iter().map(|p| p.name.as_str()).collect();
    let fields: Vec<Field> = match names.as_slice() {
        ["connection"] => Vec::new(),
        ["connection", "input"] => match record_fields(resolve, &f.params[1].ty) {
            Some(fields) => fields,
            None => return out.push(format!("{}: input is not a record", spec.name)),
        },
        other => {
            return out.push(format!(
                "{}: takes {other:?}, not (connection) or (connection, input)",
                spec.name
            ));
        }
    };
    let field_names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let param_names: Vec<&str> = spec.parameters.iter().map(|p| p.name).collect();
    if field_names != param_names {
        return out.push(format!(
            "{}: record fields {field_names:?}, spec parameters {param_names:?}",
            spec.name
        ));
    }
    for (field, param) in fields.iter().zip(spec.parameters) {
        if let Err(e) = fits(resolve, &field.ty, param) {
            out.push(format!("{} {}: {e}", spec.name, param.name));
        }
    }
}

fn record_fields(resolve: &Resolve, ty: &Type) -> Option<Vec<Field>> {
    let Type::Id(id) = ty else { return None };
    match &resolve.types[*id].kind {
        TypeDefKind::Record(r) => Some(r.fields.clone()),
        TypeDefKind::Type(inner) => record_fields(resolve, inner),
        _ => None,
    }
}

/// What a WIT type is, as far as a parameter cares.
#[derive(Debug, PartialEq)]
enum Shape {
    Text,
    Json,
    Bool,
    Integer,
    TextList,
    Enum(Vec<String>),
    Other,
}

/// (optional, shape) of a WIT type.
fn shape(resolve: &Resolve, ty: &Type) -> (bool, Shape) {
    match ty {
        Type::Bool => (false, Shape::Bool),
        Type::String => (false, Shape::Text),
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => (false, Shape::Integer),
        Type::Id(id) => {
            let def = &resolve.types[*id];
            match &def.kind {
                TypeDefKind::Type(_) if def.name.as_deref() == Some("json") => (false, Shape::Json),
                TypeDefKind::Type(inner) => shape(resolve, inner),
                TypeDefKind::Option(inner) => match shape(resolve, inner) {
                    (false, s) => (true, s),
                    (true, _) => (true, Shape::Other),
                },
                TypeDefKind::List(Type::String) => (false, Shape::TextList),
                TypeDefKind::Enum(e) => (
                    false,
                    Shape::Enum(e.cases.iter().map(|c| c.name.clone()).collect()),
                ),
                _ => (false, Shape::Other),
            }
        }
        _ => (false, Shape::Other),
    }
}

/// "First to Approve / Reject" names `first-to-approve-reject`, as the input reader
/// matches them.
fn key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn fits(resolve: &Resolve, ty: &Type, param: &Parameter) -> Result<(), String> {
    let (optional, shape) = shape(resolve, ty);
    let ok = match (param.param_type, &shape) {
        (ParamType::Text | ParamType::DateTime, Shape::Text) => true,
        (ParamType::Json, Shape::Json) => true,
        (ParamType::Boolean, Shape::Bool) | (ParamType::TextList, Shape::TextList) => !optional,
        (ParamType::Integer, Shape::Integer) => true,
        (ParamType::Choice, Shape::Enum(cases)) => {
            let choices: Vec<String> = param.choices.iter().map(|c| key(c)).collect();
            let cases_keys: Vec<String> = cases.iter().map(|c| key(c)).collect();
            if choices != cases_keys {
                return Err(format!("enum cases {cases:?}, choices {:?}", param.choices));
            }
            // The reader refuses an absent required choice and takes none for an optional.
            if optional == param.required {
                return Err(format!(
                    "required is {} but the WIT type is {}an option",
                    param.required,
                    if optional { "" } else { "not " }
                ));
            }
            true
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "WIT type {}{shape:?} does not fit {:?}",
            if optional { "option of " } else { "" },
            param.param_type
        ))
    }
}

#[test]
fn the_wit_and_the_specs_agree() {
    assert_eq!(mismatches(WIT, manifest::commands()), Vec::<String>::new());
}

fn mismatched(from: &str, to: &str) -> Vec<String> {
    assert_eq!(WIT.matches(from).count(), 1, "{from}");
    mismatches(&WIT.replace(from, to), manifest::commands())
}

#[test]
fn a_renamed_or_reordered_field_is_found() {
    let found = mismatched("new-folder-name: string,", "new-name: string,");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("create-mail-folder: record fields [\"email-address\", \"destination-mail-folder-id\", \"new-name\""),
        "{found:?}"
    );
    let found = mismatched(
        "        /// \"Include Hidden Folders\"\n        include-hidden-folders: bool,\n        /// \"Parent Folder ID\": id or well-known name; none means the top level.\n        parent-folder-id: option<string>,",
        "        parent-folder-id: option<string>,\n        include-hidden-folders: bool,",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("list-mail-folders: record fields"),
        "{found:?}"
    );
}

#[test]
fn a_type_that_does_not_fit_is_found() {
    assert_eq!(
        mismatched("is-hidden: bool,", "is-hidden: string,"),
        vec!["create-mail-folder is-hidden: WIT type Text does not fit Boolean"]
    );
    assert_eq!(
        mismatched(
            "dry-run: bool,\n    }\n\n    record fetch-event-input",
            "dry-run: option<bool>,\n    }\n\n    record fetch-event-input"
        ),
        vec![
            "delete-user-accounts dry-run: WIT type option of Bool does not fit Boolean",
            "remove-licenses dry-run: WIT type option of Bool does not fit Boolean",
        ]
    );
}

#[test]
fn enum_cases_that_are_not_the_choices_are_found() {
    let found = mismatched("        require-all-approval,\n", "");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("send-mail reply-mode: enum cases"),
        "{found:?}"
    );
    assert_eq!(
        mismatched(
            "        move-or-copy: move-or-copy,\n    }\n\n    record search",
            "        move-or-copy: option<move-or-copy>,\n    }\n\n    record search"
        ),
        vec![
            "move-or-copy-email-messages move-or-copy: required is true but the WIT type is an option"
        ]
    );
}

#[test]
fn exports_without_specs_and_specs_without_exports_are_found() {
    let extra = "    test-connection: func(connection: connection) -> command-result;\n";
    assert_eq!(
        mismatched(
            extra,
            &format!("{extra}    purge-mailbox: func(connection: connection) -> command-result;\n")
        ),
        vec!["export purge-mailbox has no spec"]
    );
    const UNEXPORTED: CommandSpec = CommandSpec {
        name: "purge-mailbox",
        ..o365_core::commands::test_connection::SPEC
    };
    let mut specs = manifest::commands().to_vec();
    specs.push(&UNEXPORTED);
    assert_eq!(
        mismatches(WIT, &specs),
        vec!["spec purge-mailbox has no export"]
    );
}

/// The input reader's cases for each enum are the WIT enum's cases, in order.
#[test]
fn the_readers_enum_cases_are_the_wits() {
    fn cases<T: Choice>() -> Vec<&'static str> {
        T::CASES.iter().map(|(c, _)| *c).collect()
    }
    let (resolve, package) = parse(WIT).unwrap();
    let commands = resolve.packages[package].interfaces["commands"];
    let wit_enum = |name: &str| -> Vec<String> {
        let id = resolve.interfaces[commands].types[name];
        match &resolve.types[id].kind {
            TypeDefKind::Enum(e) => e.cases.iter().map(|c| c.name.clone()).collect(),
            other => panic!("{name} is {other:?}"),
        }
    };
    assert_eq!(wit_enum("move-or-copy"), cases::<Action>());
    assert_eq!(wit_enum("file-source"), cases::<FileSource>());
    assert_eq!(wit_enum("reply-mode"), cases::<ReplyMode>());
    assert_eq!(wit_enum("auto-reply-status"), cases::<AutoReplyStatus>());
    assert_eq!(wit_enum("report-category"), cases::<Category>());
}
