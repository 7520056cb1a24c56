//! Identifier shapes: GUIDs, opaque tokens and Exchange-style folder ids.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Formats 16 bytes as a lowercase GUID with version-4 bits set.
fn guid_from_bytes(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A fresh random GUID (request ids, trace ids).
pub(crate) fn random_guid() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    guid_from_bytes(b)
}

/// A GUID derived from a seed, so demo objects keep their ids across runs.
pub(crate) fn stable_guid(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    guid_from_bytes(b)
}

/// An opaque bearer secret (codes, refresh tokens) in the `1.A...` shape
/// that AAD hands out.
pub(crate) fn opaque_token(prefix: &str, bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(b))
}

/// Random key material.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

/// An Exchange-style folder id: standard base64 over a binary entry id that
/// embeds the mailbox GUID, like the real `AAMkAG...AAA=` ids. Standard
/// base64 means ids regularly carry `/`, `+` and `=`, which clients must
/// percent-encode in paths. Well-known folders start with `AQMk`, others
/// with `AAMk`, as in Exchange.
pub(crate) fn folder_id(mailbox_guid: &str, seed: &str, well_known: bool) -> String {
    let digest = Sha256::digest(format!("{mailbox_guid}/{seed}").as_bytes());
    let mut raw = Vec::with_capacity(80);
    raw.extend_from_slice(if well_known {
        &[0x01, 0x03, 0x24, 0x00]
    } else {
        &[0x00, 0x03, 0x24, 0x00]
    });
    raw.extend_from_slice(mailbox_guid.as_bytes());
    raw.extend_from_slice(&[0x00, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x00]);
    raw.extend_from_slice(&digest[..22]);
    raw.extend_from_slice(&[0x00, 0x00]);
    // 4 + 36 + 7 + 22 + 2 = 71 bytes: one `=` of padding, like real ids.
    STANDARD.encode(raw)
}

/// True when `id` decodes as padded base64 (standard or URL-safe alphabet),
/// the test Exchange applies before looking an id up.
pub(crate) fn is_wellformed_id(id: &str) -> bool {
    use base64::engine::general_purpose::URL_SAFE;
    !id.is_empty() && (STANDARD.decode(id).is_ok() || URL_SAFE.decode(id).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_shape() {
        let g = stable_guid("x");
        assert_eq!(g.len(), 36);
        assert_eq!(g, stable_guid("x"));
        assert_eq!(&g[14..15], "4");
        assert_ne!(random_guid(), random_guid());
    }

    #[test]
    fn folder_ids_are_base64_with_padding() {
        let id = folder_id("b5a1d6c2-4e3f-4a7b-8c9d-0e1f2a3b4c5d", "inbox", true);
        assert!(id.starts_with("AQMkA"));
        assert!(id.ends_with('='));
        assert!(is_wellformed_id(&id));
        assert!(!is_wellformed_id("Junk Email"));
        assert!(!is_wellformed_id("nonexistent"));
    }
}
