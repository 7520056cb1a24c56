//! The simulator's layering rules, checked on the sources:
//! - `graph/`'s route modules (one per resource) never import one another: what
//!   several need is in `graph/lookup.rs`, and `graph/mod.rs` routes between them;
//! - `mime.rs` and `store/message.rs` do not import each other: the content types
//!   both need are in `store/item.rs`.

use std::path::Path;

const ROUTE_MODULES: &[&str] = &[
    "attachments",
    "batch",
    "directory_admin",
    "mail_folders",
    "mailbox_settings",
    "message_actions",
    "message_delta",
    "message_rules",
    "messages",
    "threat_assessment",
    "users",
];

fn source(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(relative);
    let text = std::fs::read_to_string(&path).expect("a readable source file");
    // Test modules may use anything.
    text.split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The sibling modules a file names through `super::`, alone or in a `{...}` group.
fn siblings_named(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in text.match_indices("super::") {
        let rest = &text[i + "super::".len()..];
        let group = match rest.strip_prefix('{') {
            Some(inner) => inner.split('}').next().unwrap_or_default(),
            None => rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default(),
        };
        for part in group.split(',') {
            let name = part.trim().split("::").next().unwrap_or_default().trim();
            if !name.is_empty() {
                names.push(name.to_string());
            }
        }
    }
    names
}

#[test]
fn route_modules_import_no_other_route_module() {
    let offenders: Vec<String> = ROUTE_MODULES
        .iter()
        .flat_map(|m| {
            siblings_named(&source(&format!("graph/{m}.rs")))
                .into_iter()
                .filter(move |n| ROUTE_MODULES.contains(&n.as_str()) && n != m)
                .map(move |n| format!("graph/{m}.rs imports {n}"))
        })
        .collect();
    assert!(offenders.is_empty(), "{offenders:#?}");
}

/// The `use` lines of a file.
fn imports(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with("use "))
        .collect()
}

#[test]
fn mime_and_the_message_store_do_not_import_each_other() {
    let mime = source("mime.rs");
    assert!(
        imports(&mime).iter().all(|l| !l.contains("message")),
        "{:?}",
        imports(&mime)
    );
    let item = source("store/item.rs");
    assert!(
        imports(&item)
            .iter()
            .all(|l| !l.contains("mime") && !l.contains("message")),
        "{:?}",
        imports(&item)
    );
}

#[test]
fn the_scan_sees_grouped_and_plain_imports() {
    assert_eq!(
        siblings_named("use super::messages::{READ, find};\nuse super::{Ctx, is, message_rules};"),
        ["messages", "Ctx", "is", "message_rules"]
    );
    assert!(
        siblings_named("use super::{Ctx, method_not_allowed};")
            .iter()
            .all(|n| !ROUTE_MODULES.contains(&n.as_str()))
    );
}
