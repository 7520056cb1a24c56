//! The connections the server knows, by the name the platform gave each: their JSON, the
//! file that holds it (with `--connections DIR`), and their admission gate. A rotated
//! refresh token is written back here and to the file, never anywhere else.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::{Context, anyhow};
use serde_json::Value;

use super::admission::{TenantGate, TenantLimits};
use crate::connection;
use crate::connection_file::{self, REFRESH_TOKEN};
use crate::private_file;

/// The longest connection name.
const MAX_NAME_LEN: usize = 128;

#[derive(Debug, Clone)]
struct Entry {
    value: Value,
    /// Bumped on every replacement, so a refresh token rotated by an invocation of an
    /// older version never overwrites the connection the platform has put since.
    generation: u64,
    gate: Arc<TenantGate>,
}

/// What an invocation needs of its connection, taken at admission.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub value: Value,
    pub generation: u64,
    pub gate: Arc<TenantGate>,
}

#[derive(Debug)]
pub struct Registry {
    entries: RwLock<HashMap<String, Entry>>,
    /// Where connections are kept as `NAME.json` (0600), if anywhere.
    dir: Option<PathBuf>,
    limits: TenantLimits,
    generations: AtomicU64,
    /// Serialises file writes so two changes of one connection land in order.
    writes: std::sync::Mutex<()>,
}

/// Why a name or a connection was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutError {
    BadName(String),
    BadConnection(String),
    Storage(String),
}

/// A name is a file stem as well: letters, digits, `.`, `_`, `-`, not starting with `.`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!(
            "a connection name has 1 to {MAX_NAME_LEN} characters"
        ));
    }
    if name.starts_with('.') || !name.chars().all(ok_char) {
        return Err(format!(
            "'{name}' is not a connection name: use letters, digits, '.', '_' and '-', not starting with '.'"
        ));
    }
    Ok(())
}

/// The connection must be a JSON object the host can read; the message names the field.
fn check_connection(name: &str, value: &Value) -> Result<(), String> {
    connection::parse(name, value)
        .map(|_| ())
        .map_err(|e| format!("{}: {}", e.parameter, e.message))
}

impl Registry {
    pub fn new(dir: Option<PathBuf>, limits: TenantLimits) -> Registry {
        Registry {
            entries: RwLock::new(HashMap::new()),
            dir,
            limits,
            generations: AtomicU64::new(0),
            writes: std::sync::Mutex::new(()),
        }
    }

    /// Reads every `NAME.json` of the directory; a file that is not a valid connection
    /// stops the start, naming the file.
    pub fn load_dir(dir: &Path, limits: TenantLimits) -> anyhow::Result<Registry> {
        let registry = Registry::new(Some(dir.to_path_buf()), limits);
        let listing =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for item in listing {
            let path = item?.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            // Hidden files are our own temporary files (and editors').
            if name.starts_with('.') || !path.is_file() {
                continue;
            }
            check_name(name).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let value: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", path.display()))?;
            check_connection(name, &value).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            registry.insert(name, value);
        }
        Ok(registry)
    }

    fn lock_read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Entry>> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Entry>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }

    fn file_of(&self, name: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{name}.json")))
    }

    /// Adds or replaces in memory only (the start-up load, the demo connections).
    pub fn insert(&self, name: &str, value: Value) {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let mut entries = self.lock_write();
        let gate = entries
            .get(name)
            .map(|e| e.gate.clone())
            .unwrap_or_else(|| TenantGate::new(self.limits));
        entries.insert(
            name.to_string(),
            Entry {
                value,
                generation,
                gate,
            },
        );
    }

    /// Registers or replaces a connection (true: it is new). With a directory, the file is
    /// written first: when that fails nothing changes.
    pub fn put(&self, name: &str, value: Value) -> Result<bool, PutError> {
        check_name(name).map_err(PutError::BadName)?;
        check_connection(name, &value).map_err(PutError::BadConnection)?;
        let _write = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(file) = self.file_of(name) {
            write_private(&file, &value)
                .map_err(|e| PutError::Storage(format!("cannot store the connection: {e}")))?;
        }
        let is_new = !self.lock_read().contains_key(name);
        self.insert(name, value);
        Ok(is_new)
    }

    pub fn get(&self, name: &str) -> Option<Snapshot> {
        self.lock_read().get(name).map(|e| Snapshot {
            value: e.value.clone(),
            generation: e.generation,
            gate: e.gate.clone(),
        })
    }

    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lock_read().keys().cloned().collect();
        names.sort();
        names
    }

    pub fn len(&self) -> usize {
        self.lock_read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps the refresh token the identity platform rotated during an invocation of
    /// `generation`, in memory and in the connection's file. Skipped when the platform
    /// replaced the connection meanwhile: the new one carries its own token.
    pub fn store_rotated_refresh_token(
        &self,
        name: &str,
        generation: u64,
        token: &str,
    ) -> anyhow::Result<()> {
        let _write = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        let value = {
            let entries = self.lock_read();
            match entries.get(name) {
                Some(e) if e.generation == generation => with_refresh_token(&e.value, token),
                _ => return Ok(()),
            }
        };
        if let Some(file) = self.file_of(name) {
            write_private(&file, &value)
                .with_context(|| format!("cannot write {}", file.display()))?;
        }
        let mut entries = self.lock_write();
        if let Some(e) = entries.get_mut(name)
            && e.generation == generation
        {
            e.value = value;
        }
        Ok(())
    }
}

/// The connection with `token` as its refresh token, under the key it already uses.
fn with_refresh_token(connection: &Value, token: &str) -> Value {
    let mut value = connection.clone();
    if let Some(map) = value.as_object_mut() {
        connection_file::set_field(map, &REFRESH_TOKEN, Value::String(token.to_string()));
    }
    value
}

/// Atomically, mode 0600 (see [`private_file::write`]).
fn write_private(file: &Path, value: &Value) -> std::io::Result<()> {
    private_file::write(file, &serde_json::to_vec_pretty(value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app() -> Value {
        json!({"tenant-id": "t", "grant-type": "client-credentials", "client-id": "c", "client-secret": "s"})
    }

    #[test]
    fn names_are_file_stems() {
        assert!(check_name("tenant-a.prod_1").is_ok());
        for bad in ["", ".hidden", "a/b", "..", "a b", "ü", &"x".repeat(129)] {
            assert!(check_name(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn bad_put_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(Some(dir.path().to_path_buf()), TenantLimits::default());
        assert!(registry.put("a", app()).unwrap());
        let before = std::fs::read_to_string(dir.path().join("a.json")).unwrap();
        let refused = registry.put("a", json!({"grant-type": "password"}));
        assert!(matches!(refused, Err(PutError::BadConnection(m)) if m.starts_with("Grant Type")));
        assert!(matches!(
            registry.put("../a", app()),
            Err(PutError::BadName(_))
        ));
        assert_eq!(registry.get("a").unwrap().value, app());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.json")).unwrap(),
            before
        );
        assert_eq!(registry.names(), ["a"]);
    }

    #[test]
    fn rotated_token_is_written_back_privately_under_the_key_used() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(Some(dir.path().to_path_buf()), TenantLimits::default());
        let conn = json!({"Tenant ID": "t", "Grant Type": "Authorization Code", "Client ID": "c",
            "Client Secret": "s", "Refresh Token": "rt-old"});
        registry.put("d", conn).unwrap();
        let generation = registry.get("d").unwrap().generation;
        registry
            .store_rotated_refresh_token("d", generation, "rt-new")
            .unwrap();
        let file = dir.path().join("d.json");
        let stored: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(stored["Refresh Token"], "rt-new");
        assert!(stored.get("refresh-token").is_none());
        assert_eq!(registry.get("d").unwrap().value["Refresh Token"], "rt-new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["d.json"], "no temporary file is left behind");
    }

    #[test]
    fn a_token_rotated_before_a_replacement_is_not_kept() {
        let registry = Registry::new(None, TenantLimits::default());
        registry.insert("d", app());
        let old = registry.get("d").unwrap().generation;
        registry
            .put(
                "d",
                json!({"grant-type": "authorization-code", "refresh-token": "rt-platform"}),
            )
            .unwrap();
        registry
            .store_rotated_refresh_token("d", old, "rt-stale")
            .unwrap();
        assert_eq!(
            registry.get("d").unwrap().value["refresh-token"],
            "rt-platform"
        );
    }

    #[test]
    fn load_dir_reads_connections_and_names_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), app().to_string()).unwrap();
        std::fs::write(dir.path().join(".a.json.tmp"), "junk").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "junk").unwrap();
        let registry = Registry::load_dir(dir.path(), TenantLimits::default()).unwrap();
        assert_eq!(registry.names(), ["a"]);
        std::fs::write(dir.path().join("b.json"), "{").unwrap();
        let e = Registry::load_dir(dir.path(), TenantLimits::default()).unwrap_err();
        assert!(format!("{e:#}").contains("b.json"), "{e:#}");
    }
}
