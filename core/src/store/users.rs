//! Users: the people of an application, as its traces name them (`userId`), with how much each
//! did and what it cost, and the sessions each took part in. Aggregated on read from the partial
//! `traces_user_idx` index and the per-trace totals ingestion keeps (`trace_metrics`). (The
//! accounts that sign in to Loupe are `accounts`.)

use crate::scope::ProjectId;
use super::StoreError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use loupe_domain::trace_list::TraceUserRow;

/// The most recently active users whose id contains `search` (any case; all when empty),
/// `limit` of them after `offset`, and whether more follow.
pub async fn page(pool: &PgPool, project_id: &ProjectId, search: &str, limit: i64, offset: i64) -> Result<(Vec<TraceUserRow>, bool), StoreError> {
    type Row = (String, i64, DateTime<Utc>, DateTime<Utc>, i64, f64);
    let rows: Vec<Row> = sqlx::query_as(
        "WITH u AS (
             SELECT user_id, count(*) AS traces, min(timestamp) AS first_seen, max(timestamp) AS last_seen
             FROM traces WHERE project_id = $1 AND user_id IS NOT NULL
               AND ($4 = '' OR user_id ILIKE $4 ESCAPE '\\')
             GROUP BY user_id
             ORDER BY max(timestamp) DESC, user_id
             LIMIT $2 OFFSET $3
         )
         SELECT u.user_id, u.traces, u.first_seen, u.last_seen,
                coalesce(sum(m.total_tokens), 0)::bigint,
                coalesce(sum(m.total_cost), 0)::float8
         FROM u
         LEFT JOIN traces t ON t.project_id = $1 AND t.user_id = u.user_id
         LEFT JOIN trace_metrics m ON m.project_id = $1 AND m.trace_id = t.id
         GROUP BY u.user_id, u.traces, u.first_seen, u.last_seen
         ORDER BY u.last_seen DESC, u.user_id",
    )
    .bind(project_id)
    .bind(limit + 1)
    .bind(offset)
    .bind(super::query::search_pattern(search))
    .fetch_all(pool)
    .await?;
    let (rows, more) = super::query::split_page(rows, limit);
    let rows = rows
        .into_iter()
        .map(|(user_id, traces, first_seen, last_seen, total_tokens, total_cost)| TraceUserRow {
            user_id,
            traces,
            first_seen,
            last_seen,
            total_tokens,
            total_cost,
        })
        .collect();
    Ok((rows, more))
}

/// One user's totals; `None` when no trace of the project names them.
pub async fn summary(pool: &PgPool, project_id: &ProjectId, user_id: &str) -> Result<Option<TraceUserRow>, StoreError> {
    type Row = (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>, i64, f64);
    let (traces, first_seen, last_seen, total_tokens, total_cost): Row = sqlx::query_as(
        "WITH t AS (SELECT id, timestamp FROM traces WHERE project_id = $1 AND user_id = $2)
         SELECT (SELECT count(*) FROM t), (SELECT min(timestamp) FROM t), (SELECT max(timestamp) FROM t),
                coalesce(sum(m.total_tokens), 0)::bigint,
                coalesce(sum(m.total_cost), 0)::float8
         FROM t JOIN trace_metrics m ON m.project_id = $1 AND m.trace_id = t.id",
    )
    .bind(project_id)
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    Ok(match (first_seen, last_seen) {
        (Some(first_seen), Some(last_seen)) if traces > 0 => {
            Some(TraceUserRow { user_id: user_id.to_string(), traces, first_seen, last_seen, total_tokens, total_cost })
        }
        _ => None,
    })
}

/// The sessions one user took part in, most recently active first (at most `limit`).
pub async fn sessions_of_user(
    pool: &PgPool,
    project_id: &ProjectId,
    user_id: &str,
    limit: i64,
) -> Result<Vec<loupe_domain::trace_list::TraceSessionRow>, StoreError> {
    let rows: Vec<SessionRow> = sqlx::query_as(
        "WITH mine AS (
             SELECT DISTINCT session_id FROM traces
             WHERE project_id = $1 AND user_id = $2 AND session_id IS NOT NULL
         ), s AS (
             SELECT t.session_id, count(*) AS traces,
                    array_remove(array_agg(DISTINCT t.user_id), NULL) AS users,
                    min(t.timestamp) AS first_trace, max(t.timestamp) AS last_trace,
                    array_agg(t.id) AS trace_ids
             FROM traces t JOIN mine USING (session_id)
             WHERE t.project_id = $1
             GROUP BY t.session_id
             ORDER BY max(t.timestamp) DESC, t.session_id
             LIMIT $3
         )
         SELECT s.session_id, s.traces, s.users, s.first_trace, s.last_trace,
                coalesce(sum(m.total_cost), 0)::float8, coalesce(sum(m.total_tokens), 0)::bigint
         FROM s LEFT JOIN trace_metrics m ON m.project_id = $1 AND m.trace_id = ANY(s.trace_ids)
         GROUP BY s.session_id, s.traces, s.users, s.first_trace, s.last_trace
         ORDER BY s.last_trace DESC, s.session_id",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(session_row)
        .collect())
}

/// A session as the session queries select it: id, traces, users, first and last trace, cost,
/// tokens.
pub(super) type SessionRow = (String, i64, Vec<String>, DateTime<Utc>, DateTime<Utc>, f64, i64);

pub(super) fn session_row((session_id, traces, users, first_trace, last_trace, total_cost, total_tokens): SessionRow) -> loupe_domain::trace_list::TraceSessionRow {
    loupe_domain::trace_list::TraceSessionRow { session_id, traces, users, first_trace, last_trace, total_cost, total_tokens, scores: Vec::new() }
}
