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

/// Standard base64 over `prefix`, the mailbox GUID and 48 bytes derived from
/// `seed`: the shape of Exchange item ids (about 150 characters).
fn item_id(prefix: &[u8], mailbox_guid: &str, seed: &str) -> String {
    let a = Sha256::digest(format!("{mailbox_guid}/{seed}").as_bytes());
    let b = Sha256::digest(a);
    let mut raw = Vec::with_capacity(112);
    raw.extend_from_slice(prefix);
    raw.extend_from_slice(mailbox_guid.as_bytes());
    raw.extend_from_slice(&[0x00, 0x46, 0x00, 0x00, 0x00, 0x00, 0x00]);
    raw.extend_from_slice(&a);
    raw.extend_from_slice(&b[..16]);
    raw.extend_from_slice(&[0x00, 0x00]);
    STANDARD.encode(raw)
}

/// A message's REST id (`AAMkAG...`): it names the folder the message is
/// in, so it changes when the message moves, as in Exchange.
pub(crate) fn message_id(
    mailbox_guid: &str,
    immutable: &str,
    folder_id: &str,
    moves: u32,
) -> String {
    item_id(
        &[0x00, 0x03, 0x24, 0x00],
        mailbox_guid,
        &format!("msg/{immutable}/{folder_id}/{moves}"),
    )
}

/// A message's immutable id (`AAkAL...`), the one `Prefer:
/// IdType="ImmutableId"` returns; it survives moves inside the mailbox.
pub(crate) fn immutable_id(mailbox_guid: &str, seed: &str) -> String {
    item_id(
        &[0x00, 0x09, 0x00, 0x2e],
        mailbox_guid,
        &format!("imm/{seed}"),
    )
}

/// An attachment id, stable for the life of its message.
pub(crate) fn attachment_id(message_immutable_id: &str, index: usize) -> String {
    let digest = Sha256::digest(format!("{message_immutable_id}/att/{index}").as_bytes());
    let mut raw = vec![0x00, 0x03, 0x24, 0x00, 0x12, 0x00, 0x10, 0x00];
    raw.extend_from_slice(&digest);
    raw.extend_from_slice(&[0x00, 0x12, 0x00]);
    STANDARD.encode(raw)
}

/// A short opaque id (`AQAAAJ5dZqA=` like rule ids).
pub(crate) fn short_id(mailbox_guid: &str, seed: &str) -> String {
    let digest = Sha256::digest(format!("{mailbox_guid}/{seed}").as_bytes());
    let mut raw = vec![0x01, 0x00, 0x00, 0x00];
    raw.extend_from_slice(&digest[..4]);
    STANDARD.encode(raw)
}

/// A small deterministic generator (SplitMix64), so demo and benchmark
/// mailboxes are the same on every run and every platform.
pub(crate) struct SplitMix(pub u64);

impl SplitMix {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
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

    #[test]
    fn message_ids_change_with_the_folder_but_immutable_ids_do_not() {
        let mbx = "b5a1d6c2-4e3f-4a7b-8c9d-0e1f2a3b4c5d";
        let imm = immutable_id(mbx, "m1");
        assert_ne!(
            message_id(mbx, &imm, "f1", 0),
            message_id(mbx, &imm, "f2", 1)
        );
        assert!(message_id(mbx, &imm, "f1", 0).starts_with("AAMkA"));
        assert!(imm.starts_with("AAkAL"));
        assert!(is_wellformed_id(&imm) && is_wellformed_id(&attachment_id(&imm, 0)));
        let mut a = SplitMix(7);
        let mut b = SplitMix(7);
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
