//! Putting bytes into the host's file store with the hashes the Error-free
//! path of every file-producing command reports (md5, sha1, sha256).

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::env::Env;
use crate::error::Error;
use crate::model::StoredFile;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// (md5, sha1, sha256) as lowercase hex.
pub fn hashes(data: &[u8]) -> (String, String, String) {
    (
        hex(&Md5::digest(data)),
        hex(&Sha1::digest(data)),
        hex(&Sha256::digest(data)),
    )
}

/// A file name safe for any platform's store: no path separators or control
/// characters, at most 200 characters, never empty.
pub fn safe_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.');
    let mut out: String = trimmed.chars().take(200).collect();
    if out.is_empty() {
        out = fallback.to_string();
    }
    out
}

/// Stores `data` and returns what the result's `files` list carries.
pub fn store(
    env: &dyn Env,
    name: &str,
    content_type: &str,
    data: &[u8],
) -> Result<StoredFile, Error> {
    let info = env
        .file_put(name, content_type, data)
        .map_err(|e| Error::Protocol(format!("The host's file store refused '{name}': {e}")))?;
    let (md5, sha1, sha256) = hashes(data);
    Ok(StoredFile {
        file_id: info.file_id,
        name: info.name,
        content_type: info.content_type,
        size: info.size,
        md5,
        sha1,
        sha256,
    })
}

impl StoredFile {
    /// The file as JSON for raw data and context data.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "fileId": self.file_id,
            "fileName": self.name,
            "contentType": self.content_type,
            "size": self.size,
            "md5": self.md5,
            "sha1": self.sha1,
            "sha256": self.sha256,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hashes_and_safe_names() {
        let (md5, sha1, sha256) = hashes(b"abc");
        assert_eq!(md5, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(safe_name("../a/b:c.eml", "x"), "_a_b_c.eml");
        assert_eq!(safe_name("  ", "message.eml"), "message.eml");
    }
}
