//! Traces: filtered, sorted pages; single traces; the per-trace aggregates of their observations
//! and scores; deletion of a trace with everything attached to it.
//!
//! Lists are built for volume: the default order (timestamp, id, newest first) walks the
//! `traces_time_idx` index. The explorer's list (filters on aggregates, sorts by latency and
//! cost) is `trace_list.rs`, over the aggregates ingestion keeps in `trace_metrics`; `metrics`
//! here computes a few traces' aggregates from their observations (the trace page).

use crate::scope::ProjectId;
use super::StoreError;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::query::{object_or_empty, push_any, push_eq, Page};
use loupe_domain::trace_views::{Trace, TraceMetrics};
use loupe_domain::TraceId;

/// Which traces a list returns. Every set field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct TraceFilter {
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub session_id: Option<String>,
    /// Inclusive.
    pub from_timestamp: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to_timestamp: Option<DateTime<Utc>>,
    /// The trace must carry all of these tags.
    pub tags: Vec<String>,
    pub version: Option<String>,
    pub release: Option<String>,
    /// The trace's environment must be one of these.
    pub environments: Vec<String>,
    /// The public API's JSON `filter` conditions, all of which must hold.
    pub conditions: Vec<super::conditions::Condition>,
}

/// Columns a trace list can be sorted by (Langfuse's `orderBy` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceOrderColumn {
    Id,
    Timestamp,
    Name,
    UserId,
    Release,
    Version,
    Public,
    Bookmarked,
    SessionId,
}

impl TraceOrderColumn {
    pub const NAMES: &'static [&'static str] =
        &["id", "timestamp", "name", "userId", "release", "version", "public", "bookmarked", "sessionId"];

    pub fn parse(name: &str) -> Option<Self> {
        use TraceOrderColumn::*;
        Some(match name {
            "id" => Id,
            "timestamp" => Timestamp,
            "name" => Name,
            "userId" => UserId,
            "release" => Release,
            "version" => Version,
            "public" => Public,
            "bookmarked" => Bookmarked,
            "sessionId" => SessionId,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        use TraceOrderColumn::*;
        match self {
            Id => "t.id",
            Timestamp => "t.timestamp",
            Name => "t.name",
            UserId => "t.user_id",
            Release => "t.release",
            Version => "t.version",
            Public => "t.public",
            Bookmarked => "t.bookmarked",
            SessionId => "t.session_id",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceOrder {
    pub column: TraceOrderColumn,
    pub descending: bool,
}

impl Default for TraceOrder {
    /// Newest first, the order of the `(project_id, timestamp DESC, id DESC)` index.
    fn default() -> Self {
        TraceOrder { column: TraceOrderColumn::Timestamp, descending: true }
    }
}

impl TraceOrder {
    /// The ORDER BY clause; ties are broken by timestamp and id so pages never overlap.
    fn sql(self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        match self.column {
            TraceOrderColumn::Timestamp => format!(" ORDER BY t.timestamp {dir}, t.id {dir}"),
            TraceOrderColumn::Id => format!(" ORDER BY t.id {dir}"),
            other => format!(" ORDER BY {} {dir} NULLS LAST, t.timestamp DESC, t.id DESC", other.column()),
        }
    }
}

const CORE_COLUMNS: &str = "t.id, t.project_id, t.timestamp, t.name, t.user_id, t.session_id, t.release, t.version, \
     t.tags, t.public, t.bookmarked, t.environment, t.created_at, t.updated_at";

fn select(with_io: bool) -> String {
    let io = if with_io {
        "t.input, t.output, t.metadata"
    } else {
        "NULL::jsonb AS input, NULL::jsonb AS output, NULL::jsonb AS metadata"
    };
    format!("SELECT {CORE_COLUMNS}, {io} FROM traces t")
}

pub(crate) fn trace_from_row(row: &PgRow) -> Result<Trace, StoreError> {
    Ok(Trace {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        timestamp: row.try_get("timestamp")?,
        name: row.try_get("name")?,
        user_id: row.try_get("user_id")?,
        session_id: row.try_get("session_id")?,
        release: row.try_get("release")?,
        version: row.try_get("version")?,
        input: row.try_get("input")?,
        output: row.try_get("output")?,
        metadata: object_or_empty(row.try_get("metadata")?),
        tags: row.try_get("tags")?,
        public: row.try_get("public")?,
        bookmarked: row.try_get("bookmarked")?,
        environment: row.try_get("environment")?,
        external_id: None,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, project_id: &ProjectId, filter: &TraceFilter) {
    qb.push(" WHERE t.project_id = ").push_bind(project_id.to_string());
    push_eq(qb, "t.user_id", &filter.user_id);
    push_eq(qb, "t.name", &filter.name);
    push_eq(qb, "t.session_id", &filter.session_id);
    push_eq(qb, "t.version", &filter.version);
    push_eq(qb, "t.release", &filter.release);
    push_any(qb, "t.environment", &filter.environments);
    if let Some(from) = filter.from_timestamp {
        qb.push(" AND t.timestamp >= ").push_bind(from);
    }
    if let Some(to) = filter.to_timestamp {
        qb.push(" AND t.timestamp < ").push_bind(to);
    }
    if !filter.tags.is_empty() {
        qb.push(" AND t.tags @> ").push_bind(filter.tags.clone());
    }
    super::conditions::push(qb, &filter.conditions);
}

/// One page of the project's traces. `with_io: false` leaves input, output and metadata
/// unloaded (null / `{}`), which keeps large pages cheap.
pub async fn list(
    pool: &PgPool,
    project_id: &ProjectId,
    filter: &TraceFilter,
    order: TraceOrder,
    page: Page,
    with_io: bool,
) -> Result<Vec<Trace>, StoreError> {
    let mut qb = list_query(project_id, filter, order, page, with_io);
    qb.build().fetch_all(pool).await?.iter().map(trace_from_row).collect()
}

/// The query [`list`] runs, exposed so tests can `EXPLAIN` it and prove it walks the index.
pub fn list_query(
    project_id: &ProjectId,
    filter: &TraceFilter,
    order: TraceOrder,
    page: Page,
    with_io: bool,
) -> QueryBuilder<'static, Postgres> {
    let mut qb = QueryBuilder::new(select(with_io));
    push_filter(&mut qb, project_id, filter);
    qb.push(order.sql());
    page.push(&mut qb);
    qb
}

/// Whether the project has any trace at all (the list's empty state).
pub async fn any(pool: &PgPool, project_id: &ProjectId) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM traces WHERE project_id = $1)").bind(project_id).fetch_one(pool).await.map_err(StoreError::from)
}

/// How many traces match the filter.
pub async fn count(pool: &PgPool, project_id: &ProjectId, filter: &TraceFilter) -> Result<i64, StoreError> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM traces t");
    push_filter(&mut qb, project_id, filter);
    qb.build_query_scalar().fetch_one(pool).await.map_err(StoreError::from)
}

pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &TraceId) -> Result<Option<Trace>, StoreError> {
    let mut qb = QueryBuilder::new(select(true));
    qb.push(" WHERE t.project_id = ").push_bind(project_id.to_string()).push(" AND t.id = ").push_bind(id.to_string());
    qb.build().fetch_optional(pool).await?.as_ref().map(trace_from_row).transpose()
}

/// The traces of a session, oldest first.
pub async fn for_session(pool: &PgPool, project_id: &ProjectId, session_id: &str) -> Result<Vec<Trace>, StoreError> {
    let mut qb = QueryBuilder::new(select(true));
    qb.push(" WHERE t.project_id = ")
        .push_bind(project_id.to_string())
        .push(" AND t.session_id = ")
        .push_bind(session_id.to_string())
        .push(" ORDER BY t.timestamp, t.id");
    qb.build().fetch_all(pool).await?.iter().map(trace_from_row).collect()
}

/// Latency, cost, observation ids and score ids of the given traces, in one query grouped by
/// trace (index lookups by `(project_id, trace_id)`). Traces without observations or scores
/// get zeros and empty lists.
pub async fn metrics(
    pool: &PgPool,
    project_id: &ProjectId,
    trace_ids: &[String],
) -> Result<HashMap<String, TraceMetrics>, StoreError> {
    let mut metrics: HashMap<String, TraceMetrics> =
        trace_ids.iter().map(|id| (id.clone(), TraceMetrics::default())).collect();
    if trace_ids.is_empty() {
        return Ok(metrics);
    }
    let rows = sqlx::query(
        "WITH o AS (
             SELECT trace_id,
                    extract(epoch FROM greatest(max(start_time), max(end_time))
                                     - least(min(start_time), min(end_time)))::float8 AS latency,
                    sum(total_cost) AS total_cost,
                    array_agg(id ORDER BY start_time, id) AS observation_ids
             FROM observations
             WHERE project_id = $1 AND trace_id = ANY($2)
             GROUP BY trace_id
         ), s AS (
             SELECT trace_id, array_agg(id ORDER BY timestamp, id) AS score_ids
             FROM scores
             WHERE project_id = $1 AND trace_id = ANY($2) AND data_type <> 'CORRECTION'
             GROUP BY trace_id
         )
         SELECT coalesce(o.trace_id, s.trace_id) AS trace_id, o.latency, o.total_cost, o.observation_ids, s.score_ids
         FROM o FULL JOIN s ON s.trace_id = o.trace_id",
    )
    .bind(project_id)
    .bind(trace_ids)
    .fetch_all(pool)
    .await?;
    for row in rows {
        let trace_id: String = row.try_get("trace_id")?;
        let entry = metrics.entry(trace_id).or_default();
        entry.latency = row.try_get::<Option<f64>, _>("latency")?.unwrap_or(0.0);
        entry.total_cost = row.try_get::<Option<f64>, _>("total_cost")?.unwrap_or(0.0);
        entry.observation_ids = row.try_get::<Option<Vec<String>>, _>("observation_ids")?.unwrap_or_default();
        entry.score_ids = row.try_get::<Option<Vec<String>>, _>("score_ids")?.unwrap_or_default();
    }
    Ok(metrics)
}

/// What a trace deletion removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deleted {
    pub traces: u64,
    pub observations: u64,
    pub scores: u64,
}

impl Deleted {
    pub fn nothing(&self) -> bool {
        self.traces == 0 && self.observations == 0 && self.scores == 0
    }
}

/// Deletes the traces with these ids and every observation and score attached to them (with the
/// comments on the traces and observations), in one transaction: a reader sees either all of it
/// or none of it gone.
pub async fn delete(pool: &PgPool, project_id: &ProjectId, trace_ids: &[String]) -> Result<Deleted, StoreError> {
    let mut tx = pool.begin().await?;
    let deleted = delete_in(&mut tx, project_id, trace_ids).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// Deletes the rows of `table` (`observations` or `traces`) whose `key` is one of `trace_ids`,
/// and the comments on them (`object_type`) in the same statement; how many rows went. Only
/// constant table and column names are spliced in.
async fn delete_with_comments(
    conn: &mut sqlx::PgConnection,
    project_id: &ProjectId,
    trace_ids: &[String],
    table: &'static str,
    key: &'static str,
    object_type: &'static str,
) -> Result<u64, StoreError> {
    let deleted: i64 = sqlx::query_scalar(&format!(
        "WITH deleted AS (DELETE FROM {table} WHERE project_id = $1 AND {key} = ANY($2) RETURNING id),
              comments AS (DELETE FROM comments c USING deleted d
                           WHERE c.project_id = $1 AND c.object_type = '{object_type}' AND c.object_id = d.id)
         SELECT count(*) FROM deleted"
    ))
    .bind(project_id)
    .bind(trace_ids)
    .fetch_one(&mut *conn)
    .await?;
    Ok(deleted as u64)
}

/// [`delete`] inside the caller's transaction (which also records the audit entry).
pub async fn delete_in(conn: &mut sqlx::PgConnection, project_id: &ProjectId, trace_ids: &[String]) -> Result<Deleted, StoreError> {
    // Before the rows go: their hours are read from them (metric rollups, #22; scores mark
    // their own through a trigger).
    crate::metrics::rollups::mark_traces(&mut *conn, project_id, trace_ids).await?;
    let scores = sqlx::query("DELETE FROM scores WHERE project_id = $1 AND trace_id = ANY($2)")
        .bind(project_id)
        .bind(trace_ids)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    // People's comments on the deleted observations and traces go with them, in the same
    // statement (their mentions by cascade), as retention deletes them; comments have no
    // foreign key to what they are on. Annotation queue items, dataset items and run items that
    // point to a deleted trace are kept, as retention keeps them (docs/COMPATIBILITY.md §9.2).
    let observations = delete_with_comments(&mut *conn, project_id, trace_ids, "observations", "trace_id", "OBSERVATION").await?;
    let traces = delete_with_comments(&mut *conn, project_id, trace_ids, "traces", "id", "TRACE").await?;
    super::media::delete_for_traces(&mut *conn, project_id, trace_ids).await?;
    // Last, as in ingestion (which locks these rows after the traces and observations they sum).
    sqlx::query("DELETE FROM trace_metrics WHERE project_id = $1 AND trace_id = ANY($2)")
        .bind(project_id)
        .bind(trace_ids)
        .execute(&mut *conn)
        .await?;
    Ok(Deleted { traces, observations, scores })
}

/// One trace's totals for its page: latency, cost, tokens and observation count, aggregated
/// over `observations_trace_idx` without materialising anything per observation.
pub async fn totals(pool: &PgPool, project_id: &ProjectId, trace_id: &TraceId) -> Result<TraceTotals, StoreError> {
    let row = sqlx::query(
        "SELECT coalesce(extract(epoch FROM greatest(max(start_time), max(end_time))
                                         - least(min(start_time), min(end_time)))::float8, 0) AS latency,
                coalesce(sum(total_cost), 0)::float8 AS total_cost,
                coalesce(sum((usage_details ->> 'total')::bigint), 0)::bigint AS total_tokens,
                count(*) AS observation_count,
                count(*) FILTER (WHERE level = 'ERROR') AS error_count,
                count(*) FILTER (WHERE level = 'WARNING') AS warning_count
         FROM observations WHERE project_id = $1 AND trace_id = $2",
    )
    .bind(project_id)
    .bind(trace_id.as_str())
    .fetch_one(pool)
    .await?;
    Ok(TraceTotals {
        latency: row.try_get("latency")?,
        total_cost: row.try_get("total_cost")?,
        total_tokens: row.try_get("total_tokens")?,
        observation_count: row.try_get("observation_count")?,
        error_count: row.try_get("error_count")?,
        warning_count: row.try_get("warning_count")?,
    })
}

/// See [`totals`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TraceTotals {
    pub latency: f64,
    pub total_cost: f64,
    pub total_tokens: i64,
    pub observation_count: i64,
    pub error_count: i64,
    pub warning_count: i64,
}

/// Whether the project has this trace (a primary-key probe).
pub async fn exists(pool: &PgPool, project_id: &ProjectId, id: &TraceId) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM traces WHERE project_id = $1 AND id = $2)")
        .bind(project_id)
        .bind(id.as_str())
        .fetch_one(pool)
        .await.map_err(StoreError::from)
}

/// The trace's project when the trace exists and is public (shared by link), so anyone may read
/// it: a share link's scope. Only live projects share.
pub async fn public_project(pool: &PgPool, project_id: &str, id: &TraceId) -> Result<Option<ProjectId>, StoreError> {
    let public: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM traces t JOIN projects p ON p.id = t.project_id
                        WHERE t.project_id = $1 AND t.id = $2 AND t.public AND p.deleted_at IS NULL)",
    )
    .bind(project_id)
    .bind(id.as_str())
    .fetch_one(pool)
    .await?;
    Ok(public.then(|| ProjectId::vouched(project_id)))
}

/// Makes a trace public or private; its previous setting, `None` when there is no such trace.
/// Run it in the transaction that records the change (the row stays locked until then).
pub async fn set_public(conn: &mut sqlx::PgConnection, project_id: &ProjectId, id: &TraceId, public: bool) -> Result<Option<bool>, StoreError> {
    let before: Option<bool> = sqlx::query_scalar("SELECT public FROM traces WHERE project_id = $1 AND id = $2 FOR UPDATE")
        .bind(project_id)
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    if before.is_some() {
        sqlx::query("UPDATE traces SET public = $3, updated_at = now() WHERE project_id = $1 AND id = $2")
            .bind(project_id)
            .bind(id.as_str())
            .bind(public)
            .execute(&mut *conn)
            .await?;
    }
    Ok(before)
}
