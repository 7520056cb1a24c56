//! A delegated connection file through its life with the CLI, against graph-sim: the two
//! buttons (auth-url, redeem-code), the state check, the write-back of refresh tokens
//! under the key the file uses, at mode 0600, and re-authorization winning over an
//! older cached refresh token.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

struct Sim {
    handle: graph_sim::SimHandle,
    _runtime: tokio::runtime::Runtime,
}

fn sim() -> Sim {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let handle = runtime
        .block_on(graph_sim::start(graph_sim::SimConfig::default()))
        .unwrap();
    Sim {
        handle,
        _runtime: runtime,
    }
}

fn o365_host(state: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_o365-host"));
    cmd.env("O365_STATE_DIR", state);
    cmd
}

fn run(cmd: &mut Command) -> (i32, Value, String) {
    let out = cmd.output().unwrap();
    let stdout: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The browser's trip: GET the authorize URL on the simulator, return the redirect.
fn follow_authorize(sim: &Sim, url: &str) -> String {
    let path = url
        .strip_prefix("https://login.microsoftonline.com")
        .unwrap();
    let authority = sim.handle.url().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&authority).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("location")
                .then(|| v.trim().to_string())
        })
        .expect("a redirect")
}

/// A connection file written by a person with the vendor document's labels, 0644.
fn labelled_connection(sim: &Sim, dir: &Path) -> std::path::PathBuf {
    let demo = sim.handle.demo_connection("demo-delegated").unwrap();
    let conn = json!({
        "Microsoft 365 Environment": "Commercial & GCC Environment",
        "Tenant ID": demo["tenant-id"],
        "Grant Type": "Authorization Code",
        "Client ID": demo["client-id"],
        "Client Secret": demo["client-secret"],
        "Scope": demo["scope"],
        "Callback URL": demo["callback-url"],
        "Authorization Code": "",
        "Refresh Token": "",
    });
    let file = dir.join("conn.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&conn).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    file
}

fn sign_in(sim: &Sim, state_dir: &Path, file: &Path, simulate: &str) -> String {
    let (code, out, err) = run(o365_host(state_dir).args([
        "auth-url",
        simulate,
        "--connection",
        file.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{out} {err}");
    follow_authorize(sim, out["url"].as_str().unwrap())
}

#[test]
fn redeem_writes_back_under_the_files_labels_at_0600_and_the_next_run_uses_it() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let file = labelled_connection(&sim, dir.path());
    let simulate = format!("--simulate={}", sim.handle.url());
    let redirect = sign_in(&sim, dir.path(), &file, &simulate);
    let (code, out, err) = run(o365_host(dir.path()).args([
        "redeem-code",
        &simulate,
        "--connection",
        file.to_str().unwrap(),
        "--code",
        &redirect,
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let map = written.as_object().unwrap();
    assert!(
        map["Refresh Token"].as_str().is_some_and(|t| !t.is_empty()),
        "{written:#}"
    );
    assert!(
        !map.contains_key("refresh-token"),
        "no second key: {written:#}"
    );
    assert!(!map.contains_key("authorization-code"), "{written:#}");
    assert_eq!(map["Authorization Code"], "");
    assert!(map["account"].as_str().is_some_and(|a| a.contains('.')));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the refresh token is only the owner's");
    }
    // The next run reads the token it wrote, and writes a rotated one back the same way.
    let before = map["Refresh Token"].clone();
    let (code, out, err) = run(o365_host(dir.path()).args([
        "run",
        "list-mail-folders",
        &simulate,
        "--quiet",
        "--connection",
        file.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let after: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_ne!(after["Refresh Token"], before, "rotated and written back");
    assert!(!after.as_object().unwrap().contains_key("refresh-token"));
}

#[test]
fn a_tampered_state_is_refused_by_name() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let file = labelled_connection(&sim, dir.path());
    let simulate = format!("--simulate={}", sim.handle.url());
    let redirect = sign_in(&sim, dir.path(), &file, &simulate);
    let (state_start, _) = redirect.split_once("state=").unwrap();
    let tampered = format!("{state_start}state=someone-elses-state");
    let (code, out, err) = run(o365_host(dir.path()).args([
        "redeem-code",
        &simulate,
        "--connection",
        file.to_str().unwrap(),
        "--code",
        &tampered,
    ]));
    assert_eq!(code, 1, "{out} {err}");
    let message = out["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("State:"), "{message}");
    let untouched: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        untouched["Refresh Token"], "",
        "nothing was redeemed or written"
    );
    assert_eq!(
        sim.handle
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
            .count(),
        0,
        "refused before any token request"
    );
}

#[test]
fn re_authorizing_wins_over_the_token_caches_older_refresh_token() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let file = labelled_connection(&sim, dir.path());
    let cache = dir.path().join("tokens.json");
    let simulate = format!("--simulate={}", sim.handle.url());
    let redeem = |redirect: &str| {
        run(o365_host(dir.path()).args([
            "redeem-code",
            &simulate,
            "--connection",
            file.to_str().unwrap(),
            "--token-cache",
            cache.to_str().unwrap(),
            "--code",
            redirect,
        ]))
    };
    let list = || {
        run(o365_host(dir.path()).args([
            "run",
            "list-mail-folders",
            &simulate,
            "--quiet",
            "--connection",
            file.to_str().unwrap(),
            "--token-cache",
            cache.to_str().unwrap(),
        ]))
    };
    let (code, out, err) = redeem(&sign_in(&sim, dir.path(), &file, &simulate));
    assert_eq!(code, 0, "{out} {err}");
    sim.handle.expire_access_tokens();
    assert_eq!(
        list().0,
        0,
        "a refresh: the cache now holds a rotated refresh token"
    );
    // The grant is revoked (password reset); the user signs in again as the README says.
    let client = sim.handle.demo_connection("demo-delegated").unwrap()["client-id"]
        .as_str()
        .unwrap()
        .to_string();
    sim.handle.revoke_refresh_tokens(&client);
    sim.handle.expire_access_tokens();
    let (code, out, _) = list();
    assert_eq!(code, 1);
    let message = out["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Get Refresh Token"), "{message}");
    let (code, out, err) = redeem(&sign_in(&sim, dir.path(), &file, &simulate));
    assert_eq!(code, 0, "{out} {err}");
    sim.handle.expire_access_tokens();
    let (code, out, err) = list();
    assert_eq!(code, 0, "the newly redeemed grant is used: {out} {err}");
}
