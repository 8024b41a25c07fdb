//! Score reads and deletion: filtered pages with the scored trace's attributes (v1/v2 lists),
//! keyset pages (v3 cursor lists), single scores, a trace's scores.
//!
//! Lists are newest first on `scores_time_idx` `(project_id, timestamp DESC, id DESC)`. The trace
//! attributes come from a LEFT JOIN on the traces primary key, so a score whose trace has not
//! arrived yet is still listed (with empty trace attributes).

use crate::scope::ProjectId;
use super::StoreError;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::query::{enum_column, object_or_empty, push_any, push_eq, Compare, Page};
use loupe_domain::score_views::{Score, ScoreTraceContext, ScoreWithTrace};
use loupe_domain::{ObservationId, ScoreDataType, ScoreSource, TraceId};

/// Which scores a v1/v2 list considers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreScope {
    /// Trace and observation scores of the listable types (v1: no CORRECTION, no session or
    /// dataset-run scores).
    TraceScores,
    /// Every score (v2).
    All,
}

/// Filters of the v1/v2 score lists. Every set field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct ScoreFilter {
    /// The scored trace has this user.
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub config_id: Option<String>,
    pub queue_id: Option<String>,
    /// The scored trace carries all of these tags.
    pub trace_tags: Vec<String>,
    pub data_type: Option<ScoreDataType>,
    /// Inclusive.
    pub from_timestamp: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to_timestamp: Option<DateTime<Utc>>,
    pub environments: Vec<String>,
    pub source: Option<ScoreSource>,
    pub value: Option<(Compare, f64)>,
    /// Only these ids (when given).
    pub score_ids: Vec<String>,
    pub session_id: Option<String>,
    pub dataset_run_id: Option<String>,
    pub trace_id: Option<String>,
    /// Only scores of one of these observations (when given).
    pub observation_ids: Vec<String>,
}

/// Filters of the v3 score list: each list matches any of its values; lists combine with AND.
#[derive(Debug, Clone, Default)]
pub struct ScoreListFilter {
    pub ids: Vec<String>,
    pub names: Vec<String>,
    pub sources: Vec<ScoreSource>,
    pub data_types: Vec<ScoreDataType>,
    pub environments: Vec<String>,
    pub config_ids: Vec<String>,
    pub queue_ids: Vec<String>,
    pub author_user_ids: Vec<String>,
    /// Exact numeric values (NUMERIC, and BOOLEAN as 1/0).
    pub values: Vec<f64>,
    /// Exact category labels (CATEGORICAL).
    pub string_values: Vec<String>,
    /// Inclusive bounds on the numeric value.
    pub value_min: Option<f64>,
    pub value_max: Option<f64>,
    pub trace_ids: Vec<String>,
    pub session_ids: Vec<String>,
    pub observation_ids: Vec<String>,
    pub dataset_run_ids: Vec<String>,
    /// Inclusive.
    pub from_timestamp: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to_timestamp: Option<DateTime<Utc>>,
}

/// A position in the newest-first order: the last score of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreKey {
    pub timestamp: DateTime<Utc>,
    pub id: String,
}

pub(crate) const COLUMNS: &str = "s.id, s.project_id, s.name, s.value, s.string_value, s.data_type, s.source, s.trace_id, \
     s.observation_id, s.session_id, s.dataset_run_id, s.timestamp, s.created_at, s.updated_at, s.author_user_id, \
     s.comment, s.metadata, s.config_id, s.queue_id, s.execution_trace_id, s.environment";

pub(crate) fn score_from_row(row: &PgRow) -> Result<Score, StoreError> {
    let data_type: ScoreDataType = enum_column(row, "data_type")?;
    let value: Option<f64> = row.try_get("value")?;
    Ok(Score {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        name: row.try_get("name")?,
        // TEXT scores have no meaningful number; every other type always has one.
        value: match data_type {
            ScoreDataType::Text => None,
            _ => Some(value.unwrap_or(0.0)),
        },
        string_value: row.try_get("string_value")?,
        data_type,
        source: enum_column(row, "source")?,
        trace_id: row.try_get("trace_id")?,
        observation_id: row.try_get("observation_id")?,
        session_id: row.try_get("session_id")?,
        dataset_run_id: row.try_get("dataset_run_id")?,
        timestamp: row.try_get("timestamp")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        author_user_id: row.try_get("author_user_id")?,
        comment: row.try_get("comment")?,
        metadata: object_or_empty(row.try_get("metadata")?),
        config_id: row.try_get("config_id")?,
        queue_id: row.try_get("queue_id")?,
        execution_trace_id: row.try_get("execution_trace_id")?,
        environment: row.try_get("environment")?,
    })
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, project_id: &ProjectId, scope: ScoreScope, filter: &ScoreFilter) {
    qb.push(" WHERE s.project_id = ").push_bind(project_id.to_string());
    if scope == ScoreScope::TraceScores {
        qb.push(" AND s.trace_id IS NOT NULL AND s.data_type <> 'CORRECTION'");
    }
    push_eq(qb, "t.user_id", &filter.user_id);
    push_eq(qb, "s.name", &filter.name);
    push_eq(qb, "s.config_id", &filter.config_id);
    push_eq(qb, "s.queue_id", &filter.queue_id);
    push_eq(qb, "s.session_id", &filter.session_id);
    push_eq(qb, "s.dataset_run_id", &filter.dataset_run_id);
    push_eq(qb, "s.trace_id", &filter.trace_id);
    push_any(qb, "s.environment", &filter.environments);
    push_any(qb, "s.id", &filter.score_ids);
    push_any(qb, "s.observation_id", &filter.observation_ids);
    if !filter.trace_tags.is_empty() {
        qb.push(" AND t.tags @> ").push_bind(filter.trace_tags.clone());
    }
    if let Some(data_type) = filter.data_type {
        qb.push(" AND s.data_type = ").push_bind(data_type.as_str());
    }
    if let Some(source) = filter.source {
        qb.push(" AND s.source = ").push_bind(source.as_str());
    }
    if let Some((op, value)) = filter.value {
        qb.push(" AND s.value").push(op.sql()).push_bind(value);
    }
    if let Some(from) = filter.from_timestamp {
        qb.push(" AND s.timestamp >= ").push_bind(from);
    }
    if let Some(to) = filter.to_timestamp {
        qb.push(" AND s.timestamp < ").push_bind(to);
    }
}

const FROM_WITH_TRACE: &str = " FROM scores s LEFT JOIN traces t ON t.project_id = s.project_id AND t.id = s.trace_id";

/// One page of scores, newest first, each with its trace's attributes (`None` for session and
/// dataset-run scores).
pub async fn list(
    pool: &PgPool,
    project_id: &ProjectId,
    scope: ScoreScope,
    filter: &ScoreFilter,
    page: Page,
) -> Result<Vec<ScoreWithTrace>, StoreError> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {COLUMNS}, t.user_id AS trace_user_id, t.tags AS trace_tags, t.environment AS trace_environment, \
         t.session_id AS trace_session_id{FROM_WITH_TRACE}"
    ));
    push_filter(&mut qb, project_id, scope, filter);
    qb.push(" ORDER BY s.timestamp DESC, s.id DESC");
    page.push(&mut qb);
    qb.build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let score = score_from_row(row)?;
            let trace = match score.trace_id {
                Some(_) => Some(ScoreTraceContext {
                    user_id: row.try_get("trace_user_id")?,
                    tags: row.try_get("trace_tags")?,
                    environment: row.try_get("trace_environment")?,
                    session_id: row.try_get("trace_session_id")?,
                }),
                None => None,
            };
            Ok(ScoreWithTrace { score, trace })
        })
        .collect()
}

pub async fn count(
    pool: &PgPool,
    project_id: &ProjectId,
    scope: ScoreScope,
    filter: &ScoreFilter,
) -> Result<i64, StoreError> {
    // The join is only needed when a filter looks at the trace.
    let needs_trace = filter.user_id.is_some() || !filter.trace_tags.is_empty();
    let from = if needs_trace { FROM_WITH_TRACE } else { " FROM scores s" };
    let mut qb = QueryBuilder::new(format!("SELECT count(*){from}"));
    push_filter(&mut qb, project_id, scope, filter);
    qb.build_query_scalar().fetch_one(pool).await.map_err(StoreError::from)
}

/// Up to `limit` scores strictly after `after` in newest-first order (v3 cursor pages).
pub async fn list_after(
    pool: &PgPool,
    project_id: &ProjectId,
    filter: &ScoreListFilter,
    after: Option<&ScoreKey>,
    limit: i64,
) -> Result<Vec<Score>, StoreError> {
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM scores s WHERE s.project_id = "));
    qb.push_bind(project_id.to_string());
    push_any(&mut qb, "s.id", &filter.ids);
    push_any(&mut qb, "s.name", &filter.names);
    push_any(&mut qb, "s.environment", &filter.environments);
    push_any(&mut qb, "s.config_id", &filter.config_ids);
    push_any(&mut qb, "s.queue_id", &filter.queue_ids);
    push_any(&mut qb, "s.author_user_id", &filter.author_user_ids);
    push_any(&mut qb, "s.string_value", &filter.string_values);
    push_any(&mut qb, "s.trace_id", &filter.trace_ids);
    push_any(&mut qb, "s.session_id", &filter.session_ids);
    push_any(&mut qb, "s.observation_id", &filter.observation_ids);
    push_any(&mut qb, "s.dataset_run_id", &filter.dataset_run_ids);
    let sources: Vec<String> = filter.sources.iter().map(|s| s.as_str().to_string()).collect();
    push_any(&mut qb, "s.source", &sources);
    let data_types: Vec<String> = filter.data_types.iter().map(|d| d.as_str().to_string()).collect();
    push_any(&mut qb, "s.data_type", &data_types);
    if !filter.values.is_empty() {
        qb.push(" AND s.value = ANY(").push_bind(filter.values.clone()).push(")");
    }
    if let Some(min) = filter.value_min {
        qb.push(" AND s.value >= ").push_bind(min);
    }
    if let Some(max) = filter.value_max {
        qb.push(" AND s.value <= ").push_bind(max);
    }
    if let Some(from) = filter.from_timestamp {
        qb.push(" AND s.timestamp >= ").push_bind(from);
    }
    if let Some(to) = filter.to_timestamp {
        qb.push(" AND s.timestamp < ").push_bind(to);
    }
    if let Some(key) = after {
        qb.push(" AND (s.timestamp, s.id) < (").push_bind(key.timestamp).push(", ").push_bind(key.id.clone()).push(")");
    }
    qb.push(" ORDER BY s.timestamp DESC, s.id DESC LIMIT ").push_bind(limit);
    qb.build().fetch_all(pool).await?.iter().map(score_from_row).collect()
}

pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Score>, StoreError> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM scores s WHERE s.project_id = $1 AND s.id = $2"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(score_from_row)
        .transpose()
}

/// A trace's listable scores (every type but CORRECTION), oldest first.
pub async fn for_trace(pool: &PgPool, project_id: &ProjectId, trace_id: &TraceId) -> Result<Vec<Score>, StoreError> {
    listable(pool, project_id, "trace_id", trace_id.as_str()).await
}

/// The listable scores given to a session itself (not to one of its traces), oldest first.
pub async fn for_session(pool: &PgPool, project_id: &ProjectId, session_id: &str) -> Result<Vec<Score>, StoreError> {
    listable(pool, project_id, "session_id", session_id).await
}

/// The listable scores whose `column` (a trace or session id column, never input) is `id`.
async fn listable(pool: &PgPool, project_id: &ProjectId, column: &'static str, id: &str) -> Result<Vec<Score>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM scores s
         WHERE s.project_id = $1 AND s.{column} = $2 AND s.data_type <> 'CORRECTION'
         ORDER BY s.timestamp, s.id"
    ))
    .bind(project_id)
    .bind(id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(score_from_row)
    .collect()
}

/// Deletes one score; `false` when the project has no score with this id.
pub async fn delete(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<bool, StoreError> {
    let result = sqlx::query("DELETE FROM scores WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// The listable scores of one observation, oldest first.
pub async fn for_observation(pool: &PgPool, project_id: &ProjectId, trace_id: &TraceId, observation_id: &ObservationId) -> Result<Vec<Score>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM scores s
         WHERE s.project_id = $1 AND s.trace_id = $2 AND s.observation_id = $3 AND s.data_type <> 'CORRECTION'
         ORDER BY s.timestamp, s.id"
    ))
    .bind(project_id)
    .bind(trace_id.as_str())
    .bind(observation_id.as_str())
    .fetch_all(pool)
    .await?
    .iter()
    .map(score_from_row)
    .collect()
}
