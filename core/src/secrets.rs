//! Secrets at rest: the provider keys and extra headers of LLM connections.
//!
//! Sealed with AES-256-GCM under a key derived from `LOUPE_SECRET` with HKDF-SHA256 (the secret is
//! 64 hex characters when Loupe generated it, anything when an operator set it; HKDF turns either
//! into a uniform 256-bit key). Each sealed value is `nonce (12 random bytes) ‖ ciphertext ‖ tag`
//! and carries the version of the key that sealed it, so `LOUPE_SECRET` can be rotated: the
//! rotation reseals every value under the new secret's key with the next version
//! (docs/OPERATIONS.md). The associated data binds a value to its row (project and connection),
//! so a ciphertext copied into another row does not open.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use rand::RngCore;

/// The version of the key derived from the current `LOUPE_SECRET`. Until the rotation command
/// exists every value is sealed with version 1; the column is there so that a rotation can tell
/// resealed values from the others.
pub const CURRENT_VERSION: i32 = 1;

/// What sealing is for; part of the key derivation, so a key is never used for two purposes.
const PURPOSE: &[u8] = b"loupe llm-connection secrets";
const NONCE_BYTES: usize = 12;

/// The key ring: the key of the current `LOUPE_SECRET` and its version.
#[derive(Clone)]
pub struct SecretBox {
    version: i32,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox").field("version", &self.version).finish_non_exhaustive()
    }
}

/// A sealed value and the version of the key that sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub version: i32,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("this secret was sealed with key version {found}, but the current key is version {current}; LOUPE_SECRET changed without a rotation")]
    WrongVersion { found: i32, current: i32 },
    #[error("this secret does not open with the current LOUPE_SECRET (changed without a rotation, or the stored value was altered)")]
    Unreadable,
}

impl SecretBox {
    /// The key ring of `secret` (`LOUPE_SECRET`) at `version` (1 until a rotation).
    pub fn new(secret: &str, version: i32) -> SecretBox {
        let mut key = [0u8; 32];
        Hkdf::<sha2::Sha256>::new(Some(b"loupe"), secret.as_bytes())
            .expand(PURPOSE, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        SecretBox { version, cipher: Aes256Gcm::new(&key.into()) }
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    /// Seals `plaintext` for the row named by `context` (e.g. `project/connection`).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Sealed {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context.as_bytes() })
            .expect("AES-GCM encryption of an in-memory buffer does not fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ciphertext);
        Sealed { version: self.version, bytes }
    }

    /// Opens a value sealed for `context`.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<Vec<u8>, SecretError> {
        if sealed.version != self.version {
            return Err(SecretError::WrongVersion { found: sealed.version, current: self.version });
        }
        if sealed.bytes.len() < NONCE_BYTES {
            return Err(SecretError::Unreadable);
        }
        let (nonce, ciphertext) = sealed.bytes.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| SecretError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let ring = SecretBox::new("a LOUPE_SECRET", 1);
        let sealed = ring.seal(b"sk-live-123", "p1/c1");
        assert_eq!(sealed.version, 1);
        assert!(!sealed.bytes.windows(11).any(|w| w == b"sk-live-123"), "the plaintext is not in the sealed bytes");
        assert_eq!(ring.open(&sealed, "p1/c1").unwrap(), b"sk-live-123");
        assert_ne!(ring.seal(b"sk-live-123", "p1/c1").bytes, sealed.bytes, "a fresh nonce each time");

        assert_eq!(ring.open(&sealed, "p2/c1"), Err(SecretError::Unreadable), "bound to its row");
        assert_eq!(SecretBox::new("another secret", 1).open(&sealed, "p1/c1"), Err(SecretError::Unreadable));
        assert_eq!(SecretBox::new("a LOUPE_SECRET", 2).open(&sealed, "p1/c1"), Err(SecretError::WrongVersion { found: 1, current: 2 }));
        let mut altered = sealed.clone();
        *altered.bytes.last_mut().unwrap() ^= 1;
        assert_eq!(ring.open(&altered, "p1/c1"), Err(SecretError::Unreadable));
        assert_eq!(ring.open(&Sealed { version: 1, bytes: vec![1, 2] }, "p1/c1"), Err(SecretError::Unreadable));
        assert!(!format!("{ring:?}").contains("cipher"), "no key material in logs");
    }
}
