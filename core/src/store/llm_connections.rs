//! LLM connections (`llm_connections`): list, upsert by name, delete, and the opened secret for
//! the code that calls the provider. Secrets are sealed here, with the project and the
//! connection's id as associated data, so no caller handles ciphertext and none stores a key in
//! clear.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use super::StoreError;
use crate::scope::ProjectId;
use crate::secrets::{Sealed, SecretBox, SecretError};
use loupe_domain::llm_connections::{display_secret_key, Adapter, ConnectionInput, LlmConnection};

const COLUMNS: &str = "id, provider, adapter, display_secret_key, base_url, custom_models, with_default_models, extra_header_keys, \
                       config, created_at, updated_at";

/// What the sealed values are bound to: their row.
fn context(project_id: &ProjectId, id: &str) -> String {
    format!("{}/{id}", project_id.as_str())
}

fn connection_from_row(row: &PgRow) -> Result<LlmConnection, StoreError> {
    let adapter: String = row.try_get("adapter")?;
    let adapter = Adapter::parse(&adapter)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown adapter {adapter:?} in llm_connections").into()))?;
    Ok(LlmConnection {
        id: row.try_get("id")?,
        provider: row.try_get("provider")?,
        adapter,
        display_secret_key: row.try_get("display_secret_key")?,
        base_url: row.try_get("base_url")?,
        custom_models: row.try_get("custom_models")?,
        with_default_models: row.try_get("with_default_models")?,
        extra_header_keys: row.try_get("extra_header_keys")?,
        config: row.try_get("config")?,
        created_at: row.try_get::<DateTime<Utc>, _>("created_at")?,
        updated_at: row.try_get::<DateTime<Utc>, _>("updated_at")?,
    })
}

/// One page of the project's connections, newest first, and how many there are.
pub async fn page(pool: &PgPool, project_id: &ProjectId, offset: i64, limit: i64) -> Result<(Vec<LlmConnection>, i64), StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM llm_connections WHERE project_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
    ))
    .bind(project_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM llm_connections WHERE project_id = $1").bind(project_id).fetch_one(pool).await?;
    Ok((rows.iter().map(connection_from_row).collect::<Result<_, _>>()?, total))
}

/// The connection named `provider`, if the project has one.
pub async fn by_provider(conn: &mut PgConnection, project_id: &ProjectId, provider: &str) -> Result<Option<LlmConnection>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM llm_connections WHERE project_id = $1 AND provider = $2"))
        .bind(project_id)
        .bind(provider)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(connection_from_row).transpose()
}

/// Creates the connection named `input.provider`, or replaces it (Langfuse's upsert: the secret,
/// adapter, base URL, models and headers are replaced; a `config` of `None` keeps the stored
/// one). Returns it and whether it was created. Runs in the caller's transaction (with its audit
/// entry).
pub async fn upsert(
    conn: &mut PgConnection,
    secrets: &SecretBox,
    project_id: &ProjectId,
    input: &ConnectionInput,
) -> Result<(LlmConnection, bool), StoreError> {
    // Lock the name: two concurrent upserts of one name serialize, the second one updates.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 17))")
        .bind(project_id)
        .bind(&input.provider)
        .execute(&mut *conn)
        .await?;
    let existing: Option<String> = sqlx::query_scalar("SELECT id FROM llm_connections WHERE project_id = $1 AND provider = $2")
        .bind(project_id)
        .bind(&input.provider)
        .fetch_optional(&mut *conn)
        .await?;
    let created = existing.is_none();
    let id = existing.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let row_context = context(project_id, &id);
    let secret = secrets.seal(input.secret_key.as_bytes(), &row_context);
    let headers: serde_json::Map<String, Value> =
        input.extra_headers.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect();
    let sealed_headers =
        (!headers.is_empty()).then(|| secrets.seal(Value::Object(headers).to_string().as_bytes(), &format!("{row_context}/headers")));
    let header_keys: Vec<String> = input.extra_headers.iter().map(|(name, _)| name.clone()).collect();
    let row = sqlx::query(&format!(
        "INSERT INTO llm_connections (project_id, id, provider, adapter, secret_key, display_secret_key, extra_headers,
                                      extra_header_keys, secret_version, base_url, custom_models, with_default_models, config)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (project_id, id) DO UPDATE SET
             adapter = EXCLUDED.adapter, secret_key = EXCLUDED.secret_key, display_secret_key = EXCLUDED.display_secret_key,
             extra_headers = EXCLUDED.extra_headers, extra_header_keys = EXCLUDED.extra_header_keys,
             secret_version = EXCLUDED.secret_version, base_url = EXCLUDED.base_url, custom_models = EXCLUDED.custom_models,
             with_default_models = EXCLUDED.with_default_models,
             config = CASE WHEN $14 THEN EXCLUDED.config ELSE llm_connections.config END,
             updated_at = now()
         RETURNING {COLUMNS}"
    ))
    .bind(project_id)
    .bind(&id)
    .bind(&input.provider)
    .bind(input.adapter.as_str())
    .bind(&secret.bytes)
    .bind(display_secret_key(&input.secret_key))
    .bind(sealed_headers.as_ref().map(|s| &s.bytes))
    .bind(&header_keys)
    .bind(secret.version)
    .bind(&input.base_url)
    .bind(&input.custom_models)
    .bind(input.with_default_models)
    .bind(input.config.as_ref().filter(|c| !c.is_null()))
    .bind(input.config.is_some())
    .fetch_one(&mut *conn)
    .await?;
    Ok((connection_from_row(&row)?, created))
}

/// Deletes a connection; the deleted one (for the audit log), `None` when the project has no
/// connection with this id.
pub async fn delete(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<LlmConnection>, StoreError> {
    let row = sqlx::query(&format!("DELETE FROM llm_connections WHERE project_id = $1 AND id = $2 RETURNING {COLUMNS}"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(connection_from_row).transpose()
}

/// A connection with its secrets opened, for the code that calls the provider (never shown).
pub struct Credentials {
    pub connection: LlmConnection,
    pub secret_key: String,
    pub extra_headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("connection", &self.connection).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored key of connection {provider:?} cannot be read: {source}")]
    Sealed { provider: String, source: SecretError },
}

/// The connection named `provider` with its key and headers opened.
pub async fn credentials(
    pool: &PgPool,
    secrets: &SecretBox,
    project_id: &ProjectId,
    provider: &str,
) -> Result<Option<Credentials>, CredentialsError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, secret_key, extra_headers, secret_version FROM llm_connections WHERE project_id = $1 AND provider = $2"
    ))
    .bind(project_id)
    .bind(provider)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::from)?;
    let Some(row) = row else { return Ok(None) };
    let connection = connection_from_row(&row)?;
    let version: i32 = row.try_get("secret_version").map_err(StoreError::from)?;
    let sealed = |column: &str| -> Result<Option<Sealed>, CredentialsError> {
        let bytes: Option<Vec<u8>> = row.try_get(column).map_err(StoreError::from)?;
        Ok(bytes.map(|bytes| Sealed { version, bytes }))
    };
    let row_context = context(project_id, &connection.id);
    let unreadable = |source| CredentialsError::Sealed { provider: provider.to_string(), source };
    let secret_key = match sealed("secret_key")? {
        Some(s) => String::from_utf8_lossy(&secrets.open(&s, &row_context).map_err(unreadable)?).into_owned(),
        None => String::new(),
    };
    let extra_headers = match sealed("extra_headers")? {
        Some(s) => {
            let json = secrets.open(&s, &format!("{row_context}/headers")).map_err(unreadable)?;
            serde_json::from_slice::<serde_json::Map<String, Value>>(&json)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
                .collect()
        }
        None => Vec::new(),
    };
    Ok(Some(Credentials { connection, secret_key, extra_headers }))
}

/// Reseals every connection sealed by `from` under `to` (a `LOUPE_SECRET` rotation, in the
/// caller's transaction); how many rows.
pub async fn reseal(conn: &mut PgConnection, from: &SecretBox, to: &SecretBox) -> Result<u64, CredentialsError> {
    let rows: Vec<(String, String, String, Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT project_id, id, provider, secret_key, extra_headers FROM llm_connections WHERE secret_version = $1 FOR UPDATE",
    )
    .bind(from.version())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let mut resealed = 0;
    for (project_id, id, provider, secret, headers) in rows {
        let row_context = format!("{project_id}/{id}");
        let unreadable = |source| CredentialsError::Sealed { provider: provider.clone(), source };
        let key = from.open(&Sealed { version: from.version(), bytes: secret }, &row_context).map_err(unreadable)?;
        let headers = match headers {
            Some(bytes) => {
                let context = format!("{row_context}/headers");
                let plain = from.open(&Sealed { version: from.version(), bytes }, &context).map_err(unreadable)?;
                Some(to.seal(&plain, &context).bytes)
            }
            None => None,
        };
        sqlx::query("UPDATE llm_connections SET secret_key = $3, extra_headers = $4, secret_version = $5 WHERE project_id = $1 AND id = $2")
            .bind(&project_id)
            .bind(&id)
            .bind(to.seal(&key, &row_context).bytes)
            .bind(headers)
            .bind(to.version())
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from)?;
        resealed += 1;
    }
    Ok(resealed)
}
