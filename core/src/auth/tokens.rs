//! Bearer tokens for people: session cookies and invitation links. A token is 32 random bytes
//! (base64url, 43 characters) given to the person once; the database keeps only its SHA-256, so a
//! leaked table cannot be replayed. SHA-256 (not argon2) is right here: the token has 256 bits of
//! entropy, so there is nothing to brute-force, and lookups stay an index probe.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh token and the digest to store.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = digest(&token);
    (token, hash)
}

/// The stored form of a token (lowercase hex SHA-256).
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_digest_is_kept() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_a.len(), 64);
        assert_eq!(digest(&a), hash_a);
        assert!(!hash_a.contains(&a));
    }
}
