//! Sessions: the `trace_sessions` rows ingestion creates for every `sessionId` it sees. Listed
//! newest first on `trace_sessions_time_idx`; a session's traces are read by `traces`.

use super::StoreError;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::query::{push_any, Page};
use loupe_domain::trace_views::Session;

#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    /// Inclusive bound on the creation time.
    pub from_timestamp: Option<DateTime<Utc>>,
    /// Exclusive bound on the creation time.
    pub to_timestamp: Option<DateTime<Utc>>,
    pub environments: Vec<String>,
}

fn session_from_row(row: &PgRow) -> Result<Session, StoreError> {
    Ok(Session {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        project_id: row.try_get("project_id")?,
        environment: row.try_get("environment")?,
    })
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, project_id: &str, filter: &SessionFilter) {
    qb.push(" WHERE s.project_id = ").push_bind(project_id.to_string());
    if let Some(from) = filter.from_timestamp {
        qb.push(" AND s.created_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to_timestamp {
        qb.push(" AND s.created_at < ").push_bind(to);
    }
    push_any(qb, "s.environment", &filter.environments);
}

pub async fn list(
    pool: &PgPool,
    project_id: &str,
    filter: &SessionFilter,
    page: Page,
) -> Result<Vec<Session>, StoreError> {
    let mut qb = QueryBuilder::new("SELECT s.id, s.created_at, s.project_id, s.environment FROM trace_sessions s");
    push_filter(&mut qb, project_id, filter);
    qb.push(" ORDER BY s.created_at DESC, s.id DESC");
    page.push(&mut qb);
    qb.build().fetch_all(pool).await?.iter().map(session_from_row).collect()
}

pub async fn count(pool: &PgPool, project_id: &str, filter: &SessionFilter) -> Result<i64, StoreError> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM trace_sessions s");
    push_filter(&mut qb, project_id, filter);
    qb.build_query_scalar().fetch_one(pool).await.map_err(StoreError::from)
}

pub async fn get(pool: &PgPool, project_id: &str, id: &str) -> Result<Option<Session>, StoreError> {
    sqlx::query("SELECT s.id, s.created_at, s.project_id, s.environment FROM trace_sessions s WHERE s.project_id = $1 AND s.id = $2")
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(session_from_row)
        .transpose()
}
