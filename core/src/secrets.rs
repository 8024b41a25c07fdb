//! Secrets at rest: the provider keys and extra headers of LLM connections.
//!
//! Sealed with AES-256-GCM under a key derived from `LOUPE_SECRET` with HKDF-SHA256 (the secret is
//! 64 hex characters when Loupe generated it, anything when an operator set it; HKDF turns either
//! into a uniform 256-bit key). Each sealed value is `nonce (12 random bytes) ‖ ciphertext ‖ tag`
//! and carries the version of the key that sealed it, so `LOUPE_SECRET` can be rotated: each
//! secret Loupe runs with gets a version (`secret_keys`, found by the secret's fingerprint), and
//! starting with a new `LOUPE_SECRET` and the old one as `LOUPE_PREVIOUS_SECRET` reseals every
//! value of the old version under the new key ([`ring`]; docs/OPERATIONS.md). The associated
//! data binds a value to its row (project and connection), so a ciphertext copied into another
//! row does not open.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use rand::RngCore;

/// What sealing is for; part of the key derivation, so a key is never used for two purposes.
const PURPOSE: &[u8] = b"loupe llm-connection secrets";
const NONCE_BYTES: usize = 12;
/// What a secret's fingerprint is for (a different derivation than the sealing key).
const FINGERPRINT: &[u8] = b"loupe secret fingerprint";

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

    /// Names `secret` without revealing it or its sealing key: stored in `secret_keys` to find
    /// the version a secret has.
    pub fn fingerprint(secret: &str) -> String {
        let mut out = [0u8; 16];
        Hkdf::<sha2::Sha256>::new(Some(b"loupe"), secret.as_bytes())
            .expand(FINGERPRINT, &mut out)
            .expect("16 bytes is a valid HKDF-SHA256 output length");
        hex::encode(out)
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

#[derive(Debug, thiserror::Error)]
pub enum RingError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("LOUPE_PREVIOUS_SECRET is not a secret this instance has run with (no key version has its fingerprint)")]
    UnknownPrevious,
    #[error("resealing the secrets of key version {version} failed: {source}")]
    Reseal { version: i32, source: SecretError },
}

/// The key ring for `secret`: its version (a new one the first time Loupe runs with it) and, when
/// `previous` (`LOUPE_PREVIOUS_SECRET`) is given, every value sealed under the previous secret's
/// version resealed under the current one, in one transaction (a failure changes nothing).
pub async fn ring(pool: &sqlx::PgPool, secret: &str, previous: Option<&str>) -> Result<SecretBox, RingError> {
    use crate::store::StoreError;
    let mut tx = pool.begin().await.map_err(StoreError::from)?;
    // One start at a time decides the versions.
    sqlx::query("LOCK TABLE secret_keys IN EXCLUSIVE MODE").execute(&mut *tx).await.map_err(StoreError::from)?;
    let version = version_of(&mut tx, &SecretBox::fingerprint(secret)).await?;
    let version = match version {
        Some(version) => version,
        None => sqlx::query_scalar(
            "INSERT INTO secret_keys (version, fingerprint) SELECT coalesce(max(version), 0) + 1, $1 FROM secret_keys RETURNING version",
        )
        .bind(SecretBox::fingerprint(secret))
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?,
    };
    let current = SecretBox::new(secret, version);
    if let Some(previous) = previous.filter(|p| *p != secret) {
        let old_version = version_of(&mut tx, &SecretBox::fingerprint(previous)).await?.ok_or(RingError::UnknownPrevious)?;
        let old = SecretBox::new(previous, old_version);
        let resealed = crate::store::llm_connections::reseal(&mut tx, &old, &current).await.map_err(|error| match error {
            crate::store::llm_connections::CredentialsError::Store(e) => RingError::Store(e),
            crate::store::llm_connections::CredentialsError::Sealed { source, .. } => RingError::Reseal { version: old_version, source },
        })?;
        tracing::info!(resealed, from = old_version, to = version, "resealed secrets under the new LOUPE_SECRET");
    }
    let stale: i64 = sqlx::query_scalar("SELECT count(*) FROM llm_connections WHERE secret_version <> $1")
        .bind(version)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    if stale > 0 {
        tracing::warn!(
            stale,
            "some LLM connections were sealed under another LOUPE_SECRET and cannot be read; start once with \
             LOUPE_PREVIOUS_SECRET set to that secret to reseal them (docs/OPERATIONS.md)"
        );
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(current)
}

async fn version_of(conn: &mut sqlx::PgConnection, fingerprint: &str) -> Result<Option<i32>, crate::store::StoreError> {
    Ok(sqlx::query_scalar("SELECT version FROM secret_keys WHERE fingerprint = $1").bind(fingerprint).fetch_optional(&mut *conn).await?)
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
