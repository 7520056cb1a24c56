//! The bearer token of `serve`: required on every request once configured, compared in
//! constant time, never logged or echoed.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The configured token, kept only as its digest: comparing digests of equal length
/// leaks neither the token's bytes nor its length through timing.
#[derive(Clone)]
pub struct BearerToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken([hidden])")
    }
}

impl BearerToken {
    /// None for an empty (or blank) token: an empty secret protects nothing.
    pub fn new(token: &str) -> Option<BearerToken> {
        let token = token.trim();
        (!token.is_empty()).then(|| BearerToken {
            digest: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// True when the `Authorization` header value is `Bearer <this token>`.
    pub fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(header) = authorization else {
            return false;
        };
        let presented = match header.get(..7) {
            Some(scheme) if scheme.eq_ignore_ascii_case(b"bearer ") => &header[7..],
            _ => return false,
        };
        let presented = presented.trim_ascii();
        let digest: [u8; 32] = Sha256::digest(presented).into();
        digest.ct_eq(&self.digest).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let token = BearerToken::new("s3cret-token").unwrap();
        assert!(token.accepts(Some(b"Bearer s3cret-token")));
        assert!(token.accepts(Some(b"bearer s3cret-token")));
        for wrong in [
            &b"Bearer s3cret-toke"[..],
            b"Bearer s3cret-token2",
            b"Basic s3cret-token",
            b"s3cret-token",
            b"Bearer ",
            b"",
        ] {
            assert!(
                !token.accepts(Some(wrong)),
                "{:?}",
                String::from_utf8_lossy(wrong)
            );
        }
        assert!(!token.accepts(None));
    }

    #[test]
    fn blank_tokens_are_refused_and_debug_hides_it() {
        assert!(BearerToken::new(" \n").is_none());
        let token = BearerToken::new("s3cret-token").unwrap();
        assert!(!format!("{token:?}").contains("s3cret"));
    }
}
