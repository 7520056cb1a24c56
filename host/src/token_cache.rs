//! The token cache the guest imports: access tokens until they expire and rotated refresh
//! tokens. In memory, optionally persisted to a file only the owner can read (0600).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedToken {
    pub access_token: String,
    pub expires_at: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Entries {
    access: HashMap<String, CachedToken>,
    refresh: HashMap<String, String>,
}

#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<Entries>,
    file: Option<PathBuf>,
}

impl TokenCache {
    pub fn in_memory() -> Self {
        TokenCache::default()
    }

    /// Loads the file if it exists; every change is written back.
    pub fn persistent(file: &Path) -> anyhow::Result<Self> {
        let entries = match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice(&bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Entries::default(),
            Err(e) => return Err(e.into()),
        };
        Ok(TokenCache {
            entries: Mutex::new(entries),
            file: Some(file.to_path_buf()),
        })
    }

    pub fn get(&self, key: &str) -> Option<CachedToken> {
        self.entries.lock().unwrap().access.get(key).cloned()
    }

    pub fn put(&self, key: &str, token: CachedToken) {
        self.change(|e| {
            e.access.insert(key.to_string(), token);
        });
    }

    pub fn remove(&self, key: &str) {
        self.change(|e| {
            e.access.remove(key);
        });
    }

    /// Forgets every access token (refresh tokens stay): the next call fetches a new one.
    pub fn forget_access_tokens(&self) {
        self.change(|e| e.access.clear());
    }

    pub fn get_refresh_token(&self, key: &str) -> Option<String> {
        self.entries.lock().unwrap().refresh.get(key).cloned()
    }

    pub fn put_refresh_token(&self, key: &str, token: &str) {
        self.change(|e| {
            e.refresh.insert(key.to_string(), token.to_string());
        });
    }

    /// Every refresh token held, for tests and redaction.
    pub fn refresh_tokens(&self) -> Vec<String> {
        self.entries
            .lock()
            .unwrap()
            .refresh
            .values()
            .cloned()
            .collect()
    }

    /// Every access token held, for redaction.
    pub fn access_tokens(&self) -> Vec<String> {
        self.entries
            .lock()
            .unwrap()
            .access
            .values()
            .map(|t| t.access_token.clone())
            .collect()
    }

    fn change(&self, f: impl FnOnce(&mut Entries)) {
        let mut entries = self.entries.lock().unwrap();
        f(&mut entries);
        if let Some(file) = &self.file
            && let Err(e) = write_private(file, &serde_json::to_vec(&*entries).unwrap_or_default())
        {
            eprintln!(
                "o365-host: could not write the token cache {}: {e}",
                file.display()
            );
        }
    }
}

/// Writes through a temporary file created 0600, then renames, so the file is never
/// readable by others and never half-written.
fn write_private(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = file.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut f = options.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persisted_cache_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens.json");
        let cache = TokenCache::persistent(&file).unwrap();
        cache.put_refresh_token("k", "rt-1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let again = TokenCache::persistent(&file).unwrap();
        assert_eq!(again.get_refresh_token("k").as_deref(), Some("rt-1"));
    }
}
