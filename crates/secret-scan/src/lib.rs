//! Known secrets (client secrets, tokens) searched in large texts: a fetch's
//! result holds megabytes, most of it base64 attachment content and mail bodies.
//!
//! memmem alone is slow there: its prefilter picks a secret's "rare" bytes from a
//! table for ordinary text, and in base64 those bytes are everywhere. So each
//! secret gets an anchor, its byte least likely in mail content (`~` in an Entra
//! client secret, `_` or `.` in a JWT, never a base64 letter): `memchr` finds the
//! anchor's occurrences at memory speed (SSE2/AVX2 natively, simd128 in the
//! guest), and the secret is compared only around them.

use memchr::memmem::Finder;

/// Secrets shorter than this are not searched: they would match ordinary text.
pub const MIN_LEN: usize = 4;

/// What replaces a secret.
pub const MARK: &str = "[REDACTED]";

/// Bytes by how rare they are in mail content, rarest first; base64 letters,
/// digits, `+`, `/` and `=` are absent: they are what large values are made of.
const ANCHOR_PREFERENCE: &[u8] = b"~`^|\\{}_!$*#%-.";

struct Secret {
    text: String,
    /// The anchor byte and its first offset in the secret.
    anchor: Option<(u8, usize)>,
    finder: Finder<'static>,
}

impl Secret {
    fn new(text: String) -> Secret {
        let anchor = ANCHOR_PREFERENCE.iter().find_map(|&b| {
            let at = text.bytes().position(|c| c == b)?;
            Some((b, at))
        });
        let finder = Finder::new(text.as_bytes()).into_owned();
        Secret {
            text,
            anchor,
            finder,
        }
    }

    fn is_in(&self, haystack: &[u8]) -> bool {
        if haystack.len() < self.text.len() {
            return false;
        }
        match self.anchor {
            Some((b, at)) => memchr::memchr_iter(b, &haystack[at..])
                .any(|start| haystack[start..].starts_with(self.text.as_bytes())),
            None => self.finder.find(haystack).is_some(),
        }
    }
}

/// A set of secrets, longest first so a secret containing another is replaced whole.
#[derive(Default)]
pub struct Secrets {
    secrets: Vec<Secret>,
}

impl Clone for Secrets {
    fn clone(&self) -> Self {
        Secrets::new(self.secrets.iter().map(|s| s.text.clone()))
    }
}

impl PartialEq for Secrets {
    fn eq(&self, other: &Self) -> bool {
        self.texts().eq(other.texts())
    }
}

impl std::fmt::Debug for Secrets {
    // Never the secrets themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} held)", self.secrets.len())
    }
}

impl Secrets {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Secrets {
        let mut set = Secrets::default();
        secrets.into_iter().for_each(|s| set.add(s));
        set
    }

    /// Adds `secret` unless it is too short to search or already held.
    pub fn add(&mut self, secret: String) {
        if secret.len() < MIN_LEN || self.secrets.iter().any(|s| s.text == secret) {
            return;
        }
        self.secrets.push(Secret::new(secret));
        self.secrets
            .sort_by_key(|s| std::cmp::Reverse(s.text.len()));
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The secrets held, longest first.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.secrets.iter().map(|s| s.text.as_str())
    }

    /// Whether `text` holds any of the secrets.
    pub fn found_in(&self, text: &str) -> bool {
        self.found_in_bytes(text.as_bytes())
    }

    /// [`Secrets::found_in`] on bytes (a request body, a header value).
    pub fn found_in_bytes(&self, bytes: &[u8]) -> bool {
        self.secrets.iter().any(|s| s.is_in(bytes))
    }

    /// The length of the longest secret held (0 when none).
    pub fn longest(&self) -> usize {
        self.secrets.first().map_or(0, |s| s.text.len())
    }

    /// `text` with every secret replaced by [`MARK`]; `None` when it holds none
    /// (nothing is copied then).
    pub fn redacted(&self, text: &str) -> Option<String> {
        if !self.found_in(text) {
            return None;
        }
        let mut out = text.to_string();
        for s in &self.secrets {
            if s.is_in(out.as_bytes()) {
                out = out.replace(s.text.as_str(), MARK);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_replaces_longest_first() {
        let s = Secrets::new([
            "abc~def".to_string(),
            "abc~def~ghi".to_string(),
            "no".into(),
        ]);
        assert!(s.found_in("x abc~def y"));
        assert!(s.found_in("~~abc~de~abc~def"), "anchors before the match");
        assert!(s.found_in("abc~def"));
        assert!(!s.found_in("bc~def~~~~"));
        assert!(!s.found_in("abcdef ghi"));
        assert_eq!(
            s.redacted("1 abc~def~ghi 2 abc~def").unwrap(),
            "1 [REDACTED] 2 [REDACTED]"
        );
        assert_eq!(s.redacted("nothing here"), None);
        // Too short to search safely.
        assert!(!s.found_in("no"));
    }

    #[test]
    fn a_secret_without_an_anchor_is_still_found() {
        let s = Secrets::new(["QWxhZGRpbjpvcGVu".to_string()]);
        let haystack = "QUFB".repeat(10_000) + "QWxhZGRpbjpvcGVu";
        assert!(s.found_in(&haystack));
        assert!(!s.found_in(&"QUFB".repeat(10_000)));
        assert_eq!(format!("{s:?}"), "Secrets(1 held)");
    }
}
