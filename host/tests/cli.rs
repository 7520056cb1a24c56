//! The `o365-host` binary as a person runs it: the two README commands' main job, and the
//! exit statuses. Needs the guest built (scripts/test does it).

use std::process::Command;

fn o365_host() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_o365-host"));
    // Keep the file store and sim files out of the source tree.
    cmd.env(
        "O365_STATE_DIR",
        std::env::temp_dir().join(format!("o365-cli-test-{}", std::process::id())),
    );
    cmd
}

#[test]
fn run_list_mail_folders_on_the_simulator() {
    let out = o365_host()
        .args(["run", "list-mail-folders", "--simulate", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["status"], "successful");
    let names: Vec<&str> = result["raw-data"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["displayName"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Inbox") && names.contains(&"Sent Items"),
        "{names:?}"
    );
}

#[test]
fn describe_prints_the_manifest() {
    let out = o365_host().arg("describe").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = manifest["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "test-connection",
            "list-mail-folders",
            "create-mail-folder",
            "fetch-event",
            "fetch-related-events",
            "get-email-attachments",
            "get-email-emls",
            "get-email-messages",
            "list-message-rules",
            "search-office365-email",
            "get-eml-attachment",
            "move-or-copy-email-messages",
            "delete-email-message",
            "search-and-move-or-copy-email-messages",
            "send-mail",
            "reply-mail",
            "reply-all",
            "report-emails",
            "setup-auto-reply",
            "delete-user-accounts",
            "remove-licenses",
            "move-email-to-junk-box",
            "remove-office365-email",
        ]
    );
    let deprecated: Vec<&str> = manifest["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["deprecated"] == true)
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        deprecated,
        [
            "Search Office 365 Email",
            "Get EML Attachment",
            "Move Email to junk box",
            "Remove Office 365 Email"
        ]
    );
}

#[test]
fn failed_result_exits_1_and_usage_error_exits_2() {
    let out = o365_host()
        .args([
            "run",
            "create-mail-folder",
            "--simulate",
            "--quiet",
            "--input",
            r#"{"new-folder-name": ""}"#,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        result["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("New Folder Name")
    );

    let out = o365_host()
        .args(["run", "list-mail-folders", "--input", "{not json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = o365_host().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn connection_file_and_demo_app_work() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("http.log");
    let out = o365_host()
        .args([
            "run",
            "test-connection",
            "--simulate",
            "--connection",
            "demo-app",
            "--quiet",
            "--http-log",
        ])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines.lines().count(), 2, "token and probe");
    assert!(lines.contains("\"routed-to\""));
}

/// `serve --simulate=URL` takes its connections per request: it must start without the
/// demo connection files `o365-host sim` writes (it exited 2 looking for them).
#[test]
fn serve_on_a_running_simulator_needs_no_demo_files() {
    use std::io::{BufRead, BufReader};
    let mut child = o365_host()
        .env(
            "O365_STATE_DIR",
            std::env::temp_dir().join(format!("o365-serve-nodemo-{}", std::process::id())),
        )
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--simulate=http://127.0.0.1:9",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("o365-host starts");
    let mut first = String::new();
    let read = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first);
    let exited = child.try_wait().expect("status");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        read.is_ok() && first.contains("listening on"),
        "{first:?} {exited:?}"
    );
}
