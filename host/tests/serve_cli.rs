//! `o365-host serve` as an operator starts it: exposure without a token is refused, and the
//! `--simulate` demo answers over HTTP. Needs the guest built (scripts/test does it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn o365_host() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_o365-host"));
    cmd.env(
        "O365_STATE_DIR",
        std::env::temp_dir().join(format!("o365-serve-cli-test-{}", std::process::id())),
    );
    cmd.env_remove("O365_SERVE_TOKEN");
    cmd
}

#[test]
fn a_non_loopback_address_without_a_token_is_refused() {
    let out = o365_host()
        .args(["serve", "--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bearer token"), "{stderr}");
}

#[test]
fn an_empty_token_is_refused() {
    let out = o365_host()
        .args(["serve", "--addr", "0.0.0.0:0"])
        .env("O365_SERVE_TOKEN", "  ")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("empty"), "{stderr}");
}

/// One HTTP/1.1 exchange with `Connection: close`; (status, body).
fn exchange(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_simulate_runs_the_demo_connections_behind_a_token() {
    const TOKEN: &str = "cli-serve-token-1c9e";
    let mut child = o365_host()
        .args(["serve", "--simulate", "--quiet", "--addr", "127.0.0.1:0"])
        .env("O365_SERVE_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap_or_default()
        .to_string();
    let checks = std::panic::catch_unwind(|| {
        assert!(line.contains("listening on http://127.0.0.1:"), "{line}");
        let (status, _) = exchange(&addr, "GET", "/v1/health", None, "");
        assert_eq!(status, 401);
        let (status, body) = exchange(&addr, "GET", "/v1/connections", Some(TOKEN), "");
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("demo-app") && body.contains("demo-delegated"),
            "{body}"
        );
        let (status, body) = exchange(
            &addr,
            "POST",
            "/v1/connections/demo-delegated/commands/list-mail-folders",
            Some(TOKEN),
            "{}",
        );
        assert_eq!(status, 200, "{body}");
        let result: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(result["status"], "successful", "{body}");
    });
    let _ = child.kill();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let _ = child.wait();
    assert!(!stderr.contains(TOKEN), "the token is never printed");
    if let Err(panic) = checks {
        eprintln!("serve's stderr:\n{stderr}");
        std::panic::resume_unwind(panic);
    }
}
