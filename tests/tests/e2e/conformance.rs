//! The conformance suite (conformance/cases/*.json) through the Rust host: every case in
//! file-name order on one fresh graph-sim, each result checked against the case's
//! expectations. The results go to target/conformance/rust.json, where
//! conformance/run.py compares them with the Node host's and the Python sidecar client's
//! (scripts/test runs both). The expectation language is described in
//! conformance/conformance.py; this is its Rust reading.

use std::path::{Path, PathBuf};

use o365_tests::Fixture;
use serde_json::{Map, Value};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn cases() -> Vec<(String, Value)> {
    let dir = workspace().join("conformance").join("cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(p).expect("case readable");
            let case = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, case)
        })
        .collect()
}

/// A demo connection by name, or `{"demo": NAME, "set": {...}}`: one with fields changed.
fn connection(f: &Fixture, spec: &Value) -> Value {
    match spec {
        Value::String(name) => f.demo(name),
        Value::Object(o) => {
            let mut c = f.demo(o["demo"].as_str().expect("demo name"));
            for (k, v) in o["set"].as_object().expect("set") {
                c[k] = v.clone();
            }
            c
        }
        other => panic!("connection {other} is neither a demo name nor a changed demo"),
    }
}

fn at<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(doc, |v, key| match v {
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        Value::Object(map) => map.get(key),
        _ => None,
    })
}

/// What in `result` does not meet `expect`; empty when it does.
fn failures(expect: &Value, result: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let empty = Map::new();
    let section = |name: &str| {
        expect
            .get(name)
            .and_then(Value::as_object)
            .unwrap_or(&empty)
    };
    if result["status"] != expect["status"] {
        found.push(format!(
            "status {}, expected {}; errors: {}",
            result["status"], expect["status"], result["errors"]
        ));
    }
    for (path, value) in section("equals") {
        if at(result, path) != Some(value) {
            found.push(format!(
                "{path} is {:?}, expected {value}",
                at(result, path)
            ));
        }
    }
    for (path, n) in section("counts") {
        let len = match at(result, path) {
            Some(Value::Array(a)) => Some(a.len()),
            Some(Value::Object(o)) => Some(o.len()),
            _ => None,
        };
        if len.map(|l| l as u64) != n.as_u64() {
            found.push(format!("{path} has {len:?} entries, expected {n}"));
        }
    }
    for wanted in expect["errors"].as_array().into_iter().flatten() {
        let matches = |e: &Value| {
            let message = e["message"].as_str().unwrap_or("");
            e["status-code"] == wanted["status-code"]
                && wanted["parameter"]
                    .as_str()
                    .is_none_or(|p| message.starts_with(&format!("{p}:")))
                && wanted["message-contains"]
                    .as_str()
                    .is_none_or(|t| message.contains(t))
        };
        let errors = result["errors"].as_array().cloned().unwrap_or_default();
        if !errors.iter().any(matches) {
            found.push(format!(
                "no error like {wanted}; errors: {}",
                result["errors"]
            ));
        }
    }
    found
}

#[tokio::test]
async fn every_case_meets_its_expectations_through_the_rust_host() {
    let f = Fixture::new().await;
    let mut results = Map::new();
    let mut problems = Vec::new();
    for (name, case) in cases() {
        let conn = connection(&f, &case["connection"]);
        let command = case["command"].as_str().expect("command");
        let out = f.run(&conn, command, case["input"].clone()).await;
        problems.extend(
            failures(&case["expect"], &out.result)
                .into_iter()
                .map(|p| format!("{name}: {p}")),
        );
        results.insert(name, out.result);
    }
    let dir = workspace().join("target").join("conformance");
    std::fs::create_dir_all(&dir).expect("target/conformance");
    std::fs::write(
        dir.join("rust.json"),
        serde_json::to_string_pretty(&Value::Object(results)).unwrap(),
    )
    .expect("rust.json written");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_catches_each_kind_of_mismatch() {
    let result = serde_json::json!({
        "status": "failed", "key-fields": {"n": 2}, "raw-data": {"value": [1, 2]},
        "errors": [{"status-code": 400, "message": "Bogus: is not a parameter"}]
    });
    let ok = serde_json::json!({"status": "failed", "equals": {"key-fields.n": 2},
        "counts": {"raw-data.value": 2},
        "errors": [{"status-code": 400, "parameter": "Bogus", "message-contains": "not a"}]});
    assert_eq!(failures(&ok, &result), Vec::<String>::new());
    for wrong in [
        serde_json::json!({"status": "successful"}),
        serde_json::json!({"status": "failed", "equals": {"key-fields.n": 3}}),
        serde_json::json!({"status": "failed", "equals": {"key-fields.missing": 2}}),
        serde_json::json!({"status": "failed", "counts": {"raw-data.value": 3}}),
        serde_json::json!({"status": "failed", "errors": [{"status-code": 400, "parameter": "Other"}]}),
        serde_json::json!({"status": "failed", "errors": [{"status-code": 404, "parameter": "Bogus"}]}),
    ] {
        assert_eq!(failures(&wrong, &result).len(), 1, "{wrong}");
    }
}
