//! The core's layering rule: the commands are built from the modules below them, never
//! the other way round. Outside `commands/`, only the modules that assemble the command
//! set (lib.rs, manifest.rs, invoke.rs) may name `commands`; test modules (after
//! `#[cfg(test)]`, and hostile_tests.rs) may use anything. A shared piece goes below
//! both sides (as `outcome.rs` did), not into `commands/`.

use std::path::{Path, PathBuf};

const ASSEMBLERS: &[&str] = &["lib.rs", "manifest.rs", "invoke.rs", "hostile_tests.rs"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of production code (before the first `#[cfg(test)]`) that name `commands`.
fn upward_imports(text: &str) -> Vec<String> {
    text.split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .filter(|l| l.contains("crate::commands") || l.contains("super::commands"))
        .map(str::to_string)
        .collect()
}

#[test]
fn no_module_below_the_commands_imports_from_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(src.join("commands")))
        .filter(|f| !ASSEMBLERS.iter().any(|a| *f == &src.join(a)))
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).expect("a readable source file");
            upward_imports(&text)
                .into_iter()
                .map(move |l| format!("{}: {}", f.display(), l.trim()))
        })
        .collect();
    assert!(
        files.len() > 40,
        "the scan found {} files: wrong directory?",
        files.len()
    );
    assert!(offenders.is_empty(), "upward imports: {offenders:#?}");
}

#[test]
fn the_scan_sees_an_upward_import_and_ignores_tests_and_comments() {
    assert_eq!(
        upward_imports("use crate::commands::item_error;\nfn f() {}"),
        vec!["use crate::commands::item_error;"]
    );
    assert!(upward_imports("// crate::commands::x is not used here\n").is_empty());
    assert!(upward_imports("#[cfg(test)]\nmod t { use crate::commands::x; }").is_empty());
}
