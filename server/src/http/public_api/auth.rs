//! API-key authentication for `/api/public/*` (docs/COMPATIBILITY.md §1).
//!
//! `Authorization: Basic base64(publicKey:secretKey)` gives full project access;
//! `Authorization: Bearer <publicKey>` gives the `scores` level, accepted only where a route asks
//! for [`ScoreAccess`] (browser feedback widgets). Secrets are stored as argon2id hashes, which
//! take tens of milliseconds to verify; a verified pair is remembered for [`CACHE_TTL`] under the
//! SHA-256 of the pair (never the secret itself), so the ingestion path pays that cost once a
//! minute per key rather than per request. Each request still checks that the key exists, so
//! revoking a key or deleting its project takes effect at once: a primary-key probe before the
//! route runs ([`ProjectAccess`], [`ScoreAccess`]), or — for the OTLP route, whose one use of the
//! database is its write — inside the write's transaction ([`IngestAccess`]), which saves the
//! busiest route a round trip and a connection taken from the pool per request (issue #23).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use base64::Engine;
use chrono::{DateTime, Utc};
use loupe_core::auth::secrets::SecretHash;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::PublicState;

pub const CACHE_TTL: Duration = Duration::from_secs(60);
/// Failed pairs are remembered briefly too, so a client with a wrong key cannot make the server
/// hash on every request.
const NEGATIVE_TTL: Duration = Duration::from_secs(5);
const MAX_CACHED: usize = 10_000;

/// Which key authenticated the request and for which project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectKey {
    pub project_id: loupe_core::scope::ProjectId,
    pub api_key_id: String,
    pub public_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLevel {
    /// Basic auth with the secret key.
    Project,
    /// Bearer public key only: may create scores, nothing else.
    Scores,
}

/// Extractor for routes that need the secret key (all but score creation).
#[derive(Debug, Clone)]
pub struct ProjectAccess(pub ProjectKey);

/// Extractor for a route whose one use of the database is an ingestion write (the OTLP export):
/// as [`ProjectAccess`], but a key whose secret was verified a moment ago (the cache) is not
/// probed here: the write checks that it still exists under its project's lock
/// (`writer::lock_project`, through `Admitted::store_or_again`, which answers 401 when it does
/// not), so a revoked key still stores nothing from its next request on.
#[derive(Debug, Clone)]
pub struct IngestAccess(pub ProjectKey);

/// Extractor for routes that also accept a public key alone (score creation).
#[derive(Debug, Clone)]
pub struct ScoreAccess {
    pub key: ProjectKey,
    pub level: AccessLevel,
}

#[derive(Clone)]
enum Cached {
    Valid(ProjectKey, Option<DateTime<Utc>>),
    Invalid,
}

/// Verified credentials, keyed by the SHA-256 of `public:secret`.
pub struct KeyCache {
    entries: Mutex<HashMap<[u8; 32], (Instant, Cached)>>,
    /// argon2 is CPU-bound: at most two verifications at a time, off the async workers.
    hashing: Semaphore,
    /// argon2 verifications run (known and unknown keys alike), for tests.
    verifications: AtomicU64,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache { entries: Mutex::new(HashMap::new()), hashing: Semaphore::new(2), verifications: AtomicU64::new(0) }
    }
}

/// A hash of a random secret with the same parameters as stored keys: an unknown public key is
/// verified against it, so it costs as much as a wrong secret for a known one and the answer's
/// timing does not tell which public keys exist (as sign-in does with `accounts::decoy_hash`).
fn decoy_hash() -> &'static SecretHash {
    static DECOY: std::sync::OnceLock<SecretHash> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| SecretHash::of(&uuid::Uuid::new_v4().to_string()))
}

impl KeyCache {
    fn get(&self, digest: &[u8; 32]) -> Option<Cached> {
        let entries = self.entries.lock().expect("key cache lock");
        let (at, cached) = entries.get(digest)?;
        let ttl = match cached {
            Cached::Valid(..) => CACHE_TTL,
            Cached::Invalid => NEGATIVE_TTL,
        };
        (at.elapsed() < ttl).then(|| cached.clone())
    }

    fn put(&self, digest: [u8; 32], cached: Cached) {
        let mut entries = self.entries.lock().expect("key cache lock");
        if entries.len() >= MAX_CACHED {
            entries.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
            if entries.len() >= MAX_CACHED {
                entries.clear();
            }
        }
        entries.insert(digest, (Instant::now(), cached));
    }

    /// Forget every cached verification (after a key is revoked in this process).
    pub fn clear(&self) {
        self.entries.lock().expect("key cache lock").clear();
    }

    /// Forget the verifications of one key, found gone: its next request is verified afresh (and
    /// refused, then remembered as refused).
    fn forget(&self, api_key_id: &str) {
        self.entries
            .lock()
            .expect("key cache lock")
            .retain(|_, (_, cached)| !matches!(cached, Cached::Valid(key, _) if key.api_key_id == api_key_id));
    }

    /// How many argon2 verifications this cache has run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// The one verification path: `secret` against the stored hash, or against the decoy when
    /// the public key is unknown (which then never verifies). Same work either way.
    async fn verify_secret(&self, stored: Option<String>, secret: String) -> Result<bool, ApiError> {
        let permit = self.hashing.acquire().await.map_err(|_| ApiError::internal())?;
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let known = stored.is_some();
        let hash = stored.map(SecretHash).unwrap_or_else(|| decoy_hash().clone());
        let verified = tokio::task::spawn_blocking(move || hash.verify(&secret)).await.map_err(|_| ApiError::internal())?;
        drop(permit);
        Ok(known && verified)
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "UnauthorizedError", message)
}

const INVALID_CREDENTIALS: &str = "Invalid credentials. Confirm that you've configured the correct host.";

enum Credentials {
    Basic { public_key: String, secret_key: String },
    Bearer { public_key: String },
}

fn parse_header(parts: &Parts) -> Result<Credentials, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("No authorization header"))?;
    let header = header.to_str().map_err(|_| unauthorized("Invalid authorization header"))?.trim();
    if let Some(encoded) = header.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| unauthorized("Invalid authorization header: Basic credentials are not valid base64"))?;
        let decoded = String::from_utf8(decoded).map_err(|_| unauthorized(INVALID_CREDENTIALS))?;
        let mut split = decoded.splitn(3, ':');
        let public_key = split.next().unwrap_or_default().to_string();
        let secret_key = split.next().unwrap_or_default().to_string();
        if !plausible_key(&public_key) || !plausible_key(&secret_key) {
            return Err(unauthorized(INVALID_CREDENTIALS));
        }
        Ok(Credentials::Basic { public_key, secret_key })
    } else if let Some(token) = header.strip_prefix("Bearer ") {
        let public_key = token.trim().to_string();
        if !plausible_key(&public_key) {
            return Err(unauthorized(INVALID_CREDENTIALS));
        }
        Ok(Credentials::Bearer { public_key })
    } else {
        Err(unauthorized("Invalid authorization header"))
    }
}

/// Keys are checked before any query: Postgres refuses a NUL in a text parameter (which made a
/// typo'd key a retryable 503 on every route), and no key holds control characters or runs to
/// kilobytes. Such credentials are simply wrong: 401.
fn plausible_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_BYTES && !key.chars().any(char::is_control)
}

/// Longer than any key Loupe issues (or an operator would choose) by far.
const MAX_KEY_BYTES: usize = 1024;

type KeyRow = (String, loupe_core::scope::ProjectId, String, Option<DateTime<Utc>>);

/// A failed key lookup is never the caller's fault: 503, so the SDK retries.
fn lookup_failed(error: loupe_core::store::StoreError) -> ApiError {
    tracing::warn!(%error, "API key lookup failed");
    ApiError::unavailable("Service Unavailable", 2)
}

async fn find_key(pool: &PgPool, public_key: &str) -> Result<Option<KeyRow>, ApiError> {
    let key = loupe_core::store::api_keys::find_by_public_key(pool, public_key).await.map_err(lookup_failed)?;
    Ok(key.map(|k| (k.id, k.project_id, k.secret_hash, k.expires_at)))
}

/// Whether the key still exists and its project is not deleted (a primary-key probe).
async fn key_is_live(pool: &PgPool, api_key_id: &str) -> Result<bool, ApiError> {
    loupe_core::store::api_keys::is_live(pool, api_key_id).await.map_err(lookup_failed)
}

fn not_expired(expires_at: Option<DateTime<Utc>>) -> bool {
    expires_at.is_none_or(|at| at > Utc::now())
}

async fn touch_last_used(pool: &PgPool, api_key_id: &str) {
    // Best effort: a failure here must not fail the request.
    if let Err(error) = loupe_core::store::api_keys::touch_last_used(pool, api_key_id).await {
        tracing::debug!(%error, "could not record API key use");
    }
}

/// Whether a key verified from the cache is probed now or by the request's write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Liveness {
    Probe,
    InTheWrite,
}

/// For a route that left the key's check to its write ([`IngestAccess`]) but has nothing to
/// write: the probe, as [`ProjectAccess`] makes it.
pub async fn require_live(state: &PublicState, key: &ProjectKey) -> Result<(), ApiError> {
    if key_is_live(&state.pool, &key.api_key_id).await? {
        Ok(())
    } else {
        Err(revoked(state, key))
    }
}

/// The answer when a write found its request's key (or the key's project) gone: 401, as the
/// probe answers, and the key's cached verifications forgotten.
pub fn revoked(state: &PublicState, key: &ProjectKey) -> ApiError {
    state.keys.forget(&key.api_key_id);
    unauthorized(INVALID_CREDENTIALS)
}

async fn verify_basic(state: &PublicState, public_key: String, secret_key: String, liveness: Liveness) -> Result<ProjectKey, ApiError> {
    let digest: [u8; 32] = {
        let mut hasher = Sha256::new();
        hasher.update(public_key.as_bytes());
        hasher.update([0u8]);
        hasher.update(secret_key.as_bytes());
        hasher.finalize().into()
    };
    match state.keys.get(&digest) {
        Some(Cached::Valid(key, expires_at)) if not_expired(expires_at) => {
            // The cache saves the argon2 work, not the existence check: a revoked key or a
            // deleted project is refused from the next request on, on every replica.
            if liveness == Liveness::InTheWrite || key_is_live(&state.pool, &key.api_key_id).await? {
                return Ok(key);
            }
            state.keys.put(digest, Cached::Invalid);
            return Err(unauthorized(INVALID_CREDENTIALS));
        }
        Some(Cached::Valid(..)) | Some(Cached::Invalid) => return Err(unauthorized(INVALID_CREDENTIALS)),
        None => {}
    }
    let row = find_key(&state.pool, &public_key).await?;
    let verified = state.keys.verify_secret(row.as_ref().map(|(_, _, hash, _)| hash.clone()), secret_key).await?;
    let Some((api_key_id, project_id, _, expires_at)) = row.filter(|(.., expires_at)| verified && not_expired(*expires_at)) else {
        state.keys.put(digest, Cached::Invalid);
        return Err(unauthorized(INVALID_CREDENTIALS));
    };
    let key = ProjectKey { project_id, api_key_id, public_key };
    state.keys.put(digest, Cached::Valid(key.clone(), expires_at));
    touch_last_used(&state.pool, &key.api_key_id).await;
    Ok(key)
}

async fn verify_bearer(state: &PublicState, public_key: String) -> Result<ProjectKey, ApiError> {
    match find_key(&state.pool, &public_key).await? {
        Some((api_key_id, project_id, _, expires_at)) if not_expired(expires_at) => {
            Ok(ProjectKey { project_id, api_key_id, public_key })
        }
        _ => Err(unauthorized(INVALID_CREDENTIALS)),
    }
}

/// Basic credentials, verified: a public key alone is not enough here.
async fn basic_only(parts: &Parts, state: &PublicState, liveness: Liveness) -> Result<ProjectKey, ApiError> {
    match parse_header(parts)? {
        Credentials::Basic { public_key, secret_key } => verify_basic(state, public_key, secret_key, liveness).await,
        Credentials::Bearer { .. } => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "ForbiddenError",
            "Access denied - insufficient permissions for this endpoint: use Basic auth with the public and secret key",
        )),
    }
}

impl FromRequestParts<PublicState> for ProjectAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &PublicState) -> Result<Self, Self::Rejection> {
        Ok(ProjectAccess(basic_only(parts, state, Liveness::Probe).await?))
    }
}

impl FromRequestParts<PublicState> for IngestAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &PublicState) -> Result<Self, Self::Rejection> {
        Ok(IngestAccess(basic_only(parts, state, Liveness::InTheWrite).await?))
    }
}

impl FromRequestParts<PublicState> for ScoreAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &PublicState) -> Result<Self, Self::Rejection> {
        match parse_header(parts)? {
            Credentials::Basic { public_key, secret_key } => {
                Ok(ScoreAccess { key: verify_basic(state, public_key, secret_key, Liveness::Probe).await?, level: AccessLevel::Project })
            }
            Credentials::Bearer { public_key } => {
                Ok(ScoreAccess { key: verify_bearer(state, public_key).await?, level: AccessLevel::Scores })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_keys_and_wrong_secrets_take_the_same_verification() {
        let cache = KeyCache::default();
        let stored = SecretHash::of("sk-lf-right").0;
        assert!(!cache.verify_secret(None, "sk-lf-right".into()).await.unwrap(), "an unknown key never verifies");
        assert_eq!(cache.verifications(), 1, "an unknown key is hashed like a known one");
        assert!(!cache.verify_secret(Some(stored.clone()), "sk-lf-wrong".into()).await.unwrap());
        assert_eq!(cache.verifications(), 2);
        assert!(cache.verify_secret(Some(stored), "sk-lf-right".into()).await.unwrap());
        // The decoy has the stored keys' parameters, so it costs the same to check.
        let decoy = decoy_hash().0.split('$').nth(3).map(str::to_owned);
        assert_eq!(decoy, SecretHash::of("x").0.split('$').nth(3).map(str::to_owned));
    }

    #[test]
    fn implausible_keys_are_refused_before_any_query() {
        assert!(plausible_key("pk-lf-1234"));
        assert!(!plausible_key(""));
        assert!(!plausible_key("pk-lf\0"));
        assert!(!plausible_key("pk\u{7f}"));
        assert!(!plausible_key(&"k".repeat(MAX_KEY_BYTES + 1)));
    }
}
