//! Sessions: the conversations of an application (`sessionId` of traces). `list`/`count`/`get`
//! read the `trace_sessions` rows ingestion creates for every `sessionId` it sees (newest first
//! on `trace_sessions_time_idx`; a session's traces are read by `traces`); `activity_page`
//! aggregates the traces of each (the Sessions page, narrowed by [`ActivityFilter`]). Sign-in sessions are `sign_in_sessions`.

use crate::scope::ProjectId;
use super::StoreError;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::query::{push_any, Page};
use super::users::{session_row, SessionRow};
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

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, project_id: &ProjectId, filter: &SessionFilter) {
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
    project_id: &ProjectId,
    filter: &SessionFilter,
    page: Page,
) -> Result<Vec<Session>, StoreError> {
    let mut qb = QueryBuilder::new("SELECT s.id, s.created_at, s.project_id, s.environment FROM trace_sessions s");
    push_filter(&mut qb, project_id, filter);
    qb.push(" ORDER BY s.created_at DESC, s.id DESC");
    page.push(&mut qb);
    qb.build().fetch_all(pool).await?.iter().map(session_from_row).collect()
}

pub async fn count(pool: &PgPool, project_id: &ProjectId, filter: &SessionFilter) -> Result<i64, StoreError> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM trace_sessions s");
    push_filter(&mut qb, project_id, filter);
    qb.build_query_scalar().fetch_one(pool).await.map_err(StoreError::from)
}

pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Session>, StoreError> {
    sqlx::query("SELECT s.id, s.created_at, s.project_id, s.environment FROM trace_sessions s WHERE s.project_id = $1 AND s.id = $2")
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(session_from_row)
        .transpose()
}

/// What the Sessions page narrows its list to; the defaults list every session.
#[derive(Debug, Clone, Copy, Default)]
pub struct ActivityFilter<'a> {
    /// Part of the session id or of one of its user ids (any case); "" for all.
    pub search: &'a str,
    /// Only the traces of this environment count (and a session without any is left out); "" for all.
    pub environment: &'a str,
    /// Only sessions with a trace at or after this time.
    pub active_since: Option<DateTime<Utc>>,
}

/// The most recently active sessions (`sessionId` of traces) that `filter` keeps, `limit` after
/// `offset`, and whether more follow: traces, distinct users, first and last trace, cost and
/// tokens (`trace_metrics`), and the session's own scores as chips.
pub async fn activity_page(
    pool: &PgPool,
    project_id: &ProjectId,
    filter: ActivityFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<loupe_domain::trace_list::TraceSessionRow>, bool), StoreError> {
    let rows: Vec<SessionRow> = sqlx::query_as(
        "WITH s AS (
             SELECT session_id, count(*) AS traces,
                    array_remove(array_agg(DISTINCT user_id), NULL) AS users,
                    min(timestamp) AS first_trace, max(timestamp) AS last_trace
             FROM traces WHERE project_id = $1 AND session_id IS NOT NULL AND ($5 = '' OR environment = $5)
             GROUP BY session_id
             HAVING ($4 = '' OR session_id ILIKE $4 ESCAPE '\\' OR bool_or(user_id ILIKE $4 ESCAPE '\\'))
                AND ($6::timestamptz IS NULL OR max(timestamp) >= $6)
             ORDER BY max(timestamp) DESC, session_id
             LIMIT $2 OFFSET $3
         )
         SELECT s.session_id, s.traces, s.users, s.first_trace, s.last_trace,
                coalesce(sum(m.total_cost), 0)::float8, coalesce(sum(m.total_tokens), 0)::bigint
         FROM s
         LEFT JOIN traces t ON t.project_id = $1 AND t.session_id = s.session_id AND ($5 = '' OR t.environment = $5)
         LEFT JOIN trace_metrics m ON m.project_id = $1 AND m.trace_id = t.id
         GROUP BY s.session_id, s.traces, s.users, s.first_trace, s.last_trace
         ORDER BY s.last_trace DESC, s.session_id",
    )
    .bind(project_id)
    .bind(limit + 1)
    .bind(offset)
    .bind(super::query::search_pattern(filter.search))
    .bind(filter.environment)
    .bind(filter.active_since)
    .fetch_all(pool)
    .await?;
    let (rows, more) = super::query::split_page(rows, limit);
    let mut rows: Vec<_> = rows.into_iter().map(session_row).collect();
    let ids: Vec<String> = rows.iter().map(|r| r.session_id.clone()).collect();
    let mut scores = scores(pool, project_id, &ids).await?;
    for row in &mut rows {
        if let Some((_, chips)) = scores.remove(&row.session_id) {
            row.scores = chips;
        }
    }
    Ok((rows, more))
}

/// The sessions' own scores (given to the session, not to one of its traces), as the list's
/// chips: per session id, one chip per score name.
async fn scores(
    pool: &PgPool,
    project_id: &ProjectId,
    session_ids: &[String],
) -> Result<std::collections::BTreeMap<String, (usize, Vec<loupe_domain::trace_list::ScoreChip>)>, StoreError> {
    super::trace_list::chips_by(pool, project_id, super::trace_list::ChipKey::Session, session_ids).await
}

/// The environments of the project's traces (the Sessions page's filter choices), up to 200. A
/// skip scan over `traces_environment_idx`: one index probe per environment rather than a pass
/// over every trace.
pub async fn environments(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar(
        "WITH RECURSIVE e(environment) AS (
             (SELECT environment FROM traces WHERE project_id = $1 ORDER BY environment LIMIT 1)
             UNION ALL
             SELECT (SELECT t.environment FROM traces t WHERE t.project_id = $1 AND t.environment > e.environment ORDER BY t.environment LIMIT 1)
             FROM e WHERE e.environment IS NOT NULL
         )
         SELECT environment FROM e WHERE environment IS NOT NULL LIMIT 200",
    )
        .bind(project_id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::from)
}

/// A session's cost (USD) and tokens, over its traces' totals (`trace_metrics`).
pub async fn totals(pool: &PgPool, project_id: &ProjectId, session_id: &str) -> Result<(f64, i64), StoreError> {
    let totals: (f64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(m.total_cost), 0)::float8, coalesce(sum(m.total_tokens), 0)::bigint
         FROM traces t JOIN trace_metrics m ON m.project_id = t.project_id AND m.trace_id = t.id
         WHERE t.project_id = $1 AND t.session_id = $2",
    )
    .bind(project_id)
    .bind(session_id)
    .fetch_one(pool)
    .await?;
    Ok(totals)
}
