use crate::scope::ProjectId;
use super::StoreError;
use sqlx::PgConnection;

use crate::auth::secrets::{self, SecretHash};
use loupe_domain::account::ApiKeyView;

/// What happened to a key given by configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfiguredKey {
    Created,
    /// The key exists with the same secret.
    Unchanged,
    /// The key exists in the project but its stored secret differs from the configured one; the
    /// stored one is kept (keys are never rotated behind an operator's back).
    SecretDiffers,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfiguredKeyError {
    #[error("public key {public_key} already belongs to project {existing_project_id}, not to {requested_project_id}")]
    InOtherProject { public_key: String, existing_project_id: String, requested_project_id: String },
    #[error(transparent)]
    Database(#[from] StoreError),
}

/// Stores the key pair for the project unless the public key exists. Only a hash of the secret
/// is stored, plus its last four characters for display (`sk-lf-...abcd`).
pub async fn create_if_missing(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    public_key: &str,
    secret_key: &str,
    note: &str,
) -> Result<ConfiguredKey, ConfiguredKeyError> {
    let existing: Option<(String, String)> =
        sqlx::query_as("SELECT project_id, secret_hash FROM api_keys WHERE public_key = $1")
            .bind(public_key)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((existing_project_id, stored_hash)) = existing {
        if *project_id != existing_project_id {
            return Err(ConfiguredKeyError::InOtherProject {
                public_key: public_key.to_string(),
                existing_project_id,
                requested_project_id: project_id.to_string(),
            });
        }
        return Ok(if SecretHash(stored_hash).verify(secret_key) {
            ConfiguredKey::Unchanged
        } else {
            ConfiguredKey::SecretDiffers
        });
    }
    let secret_hash = SecretHash::of(secret_key);
    sqlx::query(
        "INSERT INTO api_keys (id, project_id, public_key, secret_hash, display_secret_key, note)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(project_id)
    .bind(public_key)
    .bind(&secret_hash.0)
    .bind(secrets::display_form(secret_key))
    .bind(note)
    .execute(&mut *conn)
    .await?;
    Ok(ConfiguredKey::Created)
}

/// Creates a key pair for the project in Langfuse's format (`pk-lf-<uuid>`, `sk-lf-<uuid>`);
/// returns the listed form and the secret, which is not stored and never shown again.
pub async fn create(conn: &mut PgConnection, project_id: &ProjectId, note: Option<&str>) -> Result<(ApiKeyView, String), StoreError> {
    let public_key = format!("pk-lf-{}", uuid::Uuid::new_v4());
    let secret_key = format!("sk-lf-{}", uuid::Uuid::new_v4());
    let secret = secret_key.clone();
    let secret_hash = tokio::task::spawn_blocking(move || SecretHash::of(&secret).0)
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("hashing failed: {e}")))?;
    let view: ApiKeyView = sqlx::query_as(
        "INSERT INTO api_keys (id, project_id, public_key, secret_hash, display_secret_key, note)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, public_key, display_secret_key, note, created_at, last_used_at, expires_at",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(project_id)
    .bind(&public_key)
    .bind(&secret_hash)
    .bind(secrets::display_form(&secret_key))
    .bind(note)
    .fetch_one(conn)
    .await
    .map(|row: ApiKeyRow| row.into())?;
    Ok((view, secret_key))
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: String,
    public_key: String,
    display_secret_key: String,
    note: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(row: ApiKeyRow) -> Self {
        ApiKeyView {
            id: row.id,
            public_key: row.public_key,
            display_secret_key: row.display_secret_key,
            note: row.note,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
        }
    }
}

/// The project's keys, newest first.
pub async fn list(pool: &sqlx::PgPool, project_id: &ProjectId) -> Result<Vec<ApiKeyView>, StoreError> {
    let rows: Vec<ApiKeyRow> = sqlx::query_as(
        "SELECT id, public_key, display_secret_key, note, created_at, last_used_at, expires_at
         FROM api_keys WHERE project_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Deletes a key of this project; the public API refuses it from the next request on (the
/// request path checks that a cached key still exists). Returns the deleted key's listed form.
pub async fn revoke(conn: &mut PgConnection, project_id: &ProjectId, key_id: &str) -> Result<Option<ApiKeyView>, StoreError> {
    let row: Option<ApiKeyRow> = sqlx::query_as(
        "DELETE FROM api_keys WHERE id = $1 AND project_id = $2
         RETURNING id, public_key, display_secret_key, note, created_at, last_used_at, expires_at",
    )
    .bind(key_id)
    .bind(project_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Into::into))
}

impl From<sqlx::Error> for ConfiguredKeyError {
    fn from(error: sqlx::Error) -> Self {
        ConfiguredKeyError::Database(error.into())
    }
}

/// The project's newest public key (for the SDK snippet of an empty project).
pub async fn newest_public_key(pool: &sqlx::PgPool, project_id: &ProjectId) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT public_key FROM api_keys WHERE project_id = $1 ORDER BY created_at DESC LIMIT 1")
        .bind(project_id)
        .fetch_optional(pool)
        .await?)
}

/// A key as the public API's authentication reads it. Its project is the scope of every request
/// the key makes, once the server has verified the secret against `secret_hash` (or, for the
/// public-key-only score route, found the key at all).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKey {
    pub id: String,
    pub project_id: ProjectId,
    pub secret_hash: String,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The key with this public key, if its project is live.
pub async fn find_by_public_key(pool: &sqlx::PgPool, public_key: &str) -> Result<Option<StoredKey>, StoreError> {
    let row: Option<(String, String, String, Option<chrono::DateTime<chrono::Utc>>)> = sqlx::query_as(
        "SELECT k.id, k.project_id, k.secret_hash, k.expires_at
         FROM api_keys k JOIN projects p ON p.id = k.project_id
         WHERE k.public_key = $1 AND p.deleted_at IS NULL",
    )
    .bind(public_key)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(id, project_id, secret_hash, expires_at)| StoredKey {
        id,
        project_id: ProjectId::vouched(project_id),
        secret_hash,
        expires_at,
    }))
}

/// Whether the key still exists and its project is not deleted (a primary-key probe).
pub async fn is_live(pool: &sqlx::PgPool, key_id: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.id = $1 AND p.deleted_at IS NULL)",
    )
    .bind(key_id)
    .fetch_one(pool)
    .await?)
}

pub async fn touch_last_used(pool: &sqlx::PgPool, key_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_keys SET last_used_at = now() WHERE id = $1").bind(key_id).execute(pool).await?;
    Ok(())
}
