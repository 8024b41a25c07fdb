use sqlx::PgConnection;

use crate::auth::secrets::{self, SecretHash};

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
    Database(#[from] sqlx::Error),
}

/// Stores the key pair for the project unless the public key exists. Only a hash of the secret
/// is stored, plus its last four characters for display (`sk-lf-...abcd`).
pub async fn create_if_missing(
    conn: &mut PgConnection,
    project_id: &str,
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
        if existing_project_id != project_id {
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
