//! Media attachments: one row per project and content, and where each is used. The bytes are
//! kept by the server (`server/src/media.rs`), named by their SHA-256.

use crate::scope::ProjectId;
use super::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// A media item as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Media {
    pub id: String,
    pub sha256: String,
    pub content_type: String,
    pub content_length: i64,
    pub uploaded_at: Option<DateTime<Utc>>,
}

/// What a `POST /media` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMedia<'a> {
    pub id: &'a str,
    pub sha256: &'a str,
    pub content_type: &'a str,
    pub content_length: i64,
    pub trace_id: &'a str,
    pub observation_id: Option<&'a str>,
    pub field: &'a str,
}

/// Records the media item (once per project and content) and its use by a trace field; returns
/// the stored item, whose `uploaded_at` says whether the bytes are already there.
pub async fn register(pool: &PgPool, project_id: &ProjectId, new: &NewMedia<'_>) -> Result<Media, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO media (project_id, id, sha256, content_type, content_length) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (project_id, id) DO NOTHING",
    )
    .bind(project_id)
    .bind(new.id)
    .bind(new.sha256)
    .bind(new.content_type)
    .bind(new.content_length)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO media_references (project_id, media_id, trace_id, observation_id, field) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(project_id)
    .bind(new.id)
    .bind(new.trace_id)
    .bind(new.observation_id.unwrap_or(""))
    .bind(new.field)
    .execute(&mut *tx)
    .await?;
    let media = get_in(&mut tx, project_id, new.id).await?.ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    Ok(media)
}

async fn get_in(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<Media>, StoreError> {
    sqlx::query_as(
        "SELECT id, sha256, content_type, content_length, uploaded_at FROM media WHERE project_id = $1 AND id = $2",
    )
    .bind(project_id)
    .bind(id)
    .fetch_optional(conn)
    .await.map_err(StoreError::from)
}

pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Media>, StoreError> {
    let mut conn = pool.acquire().await?;
    get_in(&mut conn, project_id, id).await
}

/// The bytes arrived and matched: the item is usable.
pub async fn mark_uploaded(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE media SET uploaded_at = coalesce(uploaded_at, now()) WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The SDK's report of its upload; `false` when the item does not exist.
pub async fn record_upload_report(
    pool: &PgPool,
    project_id: &ProjectId,
    id: &str,
    status: Option<i32>,
    error: Option<&str>,
) -> Result<bool, StoreError> {
    let updated = sqlx::query("UPDATE media SET upload_http_status = $3, upload_http_error = $4 WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .bind(status)
        .bind(error)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(updated > 0)
}

/// Removes the uses of media by these traces, and the media no longer used by anything (inside
/// the caller's transaction: trace deletion).
pub async fn delete_for_traces(conn: &mut PgConnection, project_id: &ProjectId, trace_ids: &[String]) -> Result<u64, StoreError> {
    sqlx::query("DELETE FROM media_references WHERE project_id = $1 AND trace_id = ANY($2)")
        .bind(project_id)
        .bind(trace_ids)
        .execute(&mut *conn)
        .await?;
    let removed = sqlx::query(
        "DELETE FROM media m WHERE m.project_id = $1
           AND NOT EXISTS (SELECT 1 FROM media_references r WHERE r.project_id = m.project_id AND r.media_id = m.id)",
    )
    .bind(project_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(removed)
}

/// Which of these content hashes some project still names (the rest may be removed from disk).
pub async fn hashes_in_use(pool: &PgPool, hashes: &[String]) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar("SELECT DISTINCT sha256 FROM media WHERE sha256 = ANY($1)").bind(hashes).fetch_all(pool).await.map_err(StoreError::from)
}

/// The project, as a scope, when a public trace of this live project uses this media item
/// (anyone with the trace's share link may then see it).
pub async fn public_project(pool: &PgPool, project_id: &str, id: &str) -> Result<Option<ProjectId>, StoreError> {
    let public: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM media_references r
                          JOIN traces t ON t.project_id = r.project_id AND t.id = r.trace_id
                          JOIN projects p ON p.id = r.project_id
                        WHERE r.project_id = $1 AND r.media_id = $2 AND t.public AND p.deleted_at IS NULL)",
    )
    .bind(project_id)
    .bind(id)
    .fetch_one(pool)
    .await?;
    Ok(public.then(|| ProjectId::vouched(project_id)))
}
