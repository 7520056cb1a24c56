//! The file store the guest imports: one directory per tenant, files under random opaque
//! ids. An id is 32 hex digits and nothing else, so no id can name a path outside.

use std::path::{Path, PathBuf};

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub file_id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    /// Bytes the store may hold in all (`Limits::file_store_bytes`).
    quota: u64,
}

fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl FileStore {
    /// The store of one connection below `root`; `namespace` is the connection's digest
    /// (hex), so it names one directory and nothing else.
    pub fn for_connection(root: &Path, namespace: &str) -> FileStore {
        let digest = Sha256::digest(namespace.as_bytes());
        let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        FileStore {
            dir: root.join(format!("connection-{name}")),
            quota: u64::MAX,
        }
    }

    /// The same store, holding at most `bytes` of file content.
    pub fn with_quota(mut self, bytes: u64) -> FileStore {
        self.quota = bytes;
        self
    }

    /// Bytes of file content held now.
    fn used_bytes(&self) -> u64 {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "bin"))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .fold(0u64, u64::saturating_add)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn put(&self, name: &str, content_type: &str, data: &[u8]) -> Result<FileInfo, String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("file store unavailable: {e}"))?;
        let used = self.used_bytes();
        if used.saturating_add(data.len() as u64) > self.quota {
            return Err(format!(
                "the file store is full: {} bytes would exceed this connection's quota of {} bytes ({used} in use).",
                data.len(),
                self.quota
            ));
        }
        let mut raw = [0u8; 16];
        rand::rng().fill_bytes(&mut raw);
        let file_id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let info = FileInfo {
            file_id: file_id.clone(),
            name: name.to_string(),
            content_type: content_type.to_string(),
            size: data.len() as u64,
        };
        std::fs::write(self.dir.join(format!("{file_id}.bin")), data)
            .map_err(|e| format!("could not store the file: {e}"))?;
        std::fs::write(
            self.dir.join(format!("{file_id}.json")),
            serde_json::to_vec(&info).unwrap_or_default(),
        )
        .map_err(|e| format!("could not store the file: {e}"))?;
        Ok(info)
    }

    pub fn get(&self, file_id: &str) -> Result<(FileInfo, Vec<u8>), String> {
        let id = file_id.trim();
        if !valid_id(id) {
            return Err(format!(
                "'{file_id}' is not a file id of this store (32 lowercase hex digits)."
            ));
        }
        let meta = std::fs::read(self.dir.join(format!("{id}.json")))
            .map_err(|_| format!("no file with id '{id}' in this tenant's store."))?;
        let info: FileInfo =
            serde_json::from_slice(&meta).map_err(|e| format!("file metadata unreadable: {e}"))?;
        let data = std::fs::read(self.dir.join(format!("{id}.bin")))
            .map_err(|e| format!("file unreadable: {e}"))?;
        Ok((info, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tenant_isolation() {
        let root = tempfile::tempdir().unwrap();
        let a = FileStore::for_connection(root.path(), "tenant-a");
        let b = FileStore::for_connection(root.path(), "tenant-b");
        let info = a.put("x.eml", "message/rfc822", b"hello").unwrap();
        assert_eq!(a.get(&info.file_id).unwrap().1, b"hello");
        assert!(b.get(&info.file_id).is_err());
    }

    #[test]
    fn a_put_past_the_quota_fails_and_stores_nothing() {
        let root = tempfile::tempdir().unwrap();
        let a = FileStore::for_connection(root.path(), "a").with_quota(10);
        a.put("one", "text/plain", b"123456").unwrap();
        let e = a.put("two", "text/plain", b"123456").unwrap_err();
        assert!(e.contains("quota of 10 bytes"), "{e}");
        assert_eq!(a.used_bytes(), 6);
    }

    #[test]
    fn ids_cannot_escape() {
        let root = tempfile::tempdir().unwrap();
        let a = FileStore::for_connection(root.path(), "t");
        assert!(a.get("../../etc/passwd").is_err());
        assert!(a.get("0123456789abcdef0123456789ABCDEF").is_err());
    }
}
