//! Observations: filtered pages (newest first), keyset pages for cursor pagination, a trace's
//! observations in start order, single observations.
//!
//! Every list walks `observations_time_idx` `(project_id, start_time DESC, id DESC)`; keyset
//! pages continue strictly after the last `(start_time, id)` seen, so a cursor walk returns each
//! row exactly once even while new observations arrive. Filters on trace attributes (user,
//! session) look the trace ids up through the traces indexes.

use crate::scope::ProjectId;
use super::StoreError;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::query::{amount_map, count_map, enum_column, object_or_empty, push_any, push_eq, Page};
use loupe_domain::trace_views::{Observation, TraceContext};
use loupe_domain::{ObservationId, ObservationLevel, ObservationType, TraceId};

/// Which observations a list returns. Every set field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct ObservationFilter {
    pub name: Option<String>,
    /// The observation's trace has this user.
    pub user_id: Option<String>,
    /// The observation's trace belongs to this session.
    pub session_id: Option<String>,
    pub kind: Option<ObservationType>,
    pub trace_id: Option<String>,
    pub level: Option<ObservationLevel>,
    /// `Some("")` matches observations without a parent.
    pub parent_observation_id: Option<String>,
    /// `true`: only observations without a parent; `false`: only those with one.
    pub is_root: Option<bool>,
    pub environments: Vec<String>,
    /// Inclusive.
    pub from_start_time: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to_start_time: Option<DateTime<Utc>>,
    pub version: Option<String>,
    /// The public API's JSON `filter` conditions, all of which must hold.
    pub conditions: Vec<super::conditions::Condition>,
}

/// A position in the newest-first order: the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservationKey {
    pub start_time: DateTime<Utc>,
    pub id: String,
}

/// Which large columns to load; readers that do not show them skip the I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    pub io: bool,
    pub metadata: bool,
}

impl Load {
    pub const ALL: Load = Load { io: true, metadata: true };
}

const COLUMNS: &str = "o.id, o.project_id, o.trace_id, o.parent_observation_id, o.type, o.name, o.start_time, \
     o.end_time, o.completion_start_time, o.model, o.model_parameters, o.level, o.status_message, o.version, \
     o.environment, o.usage_details, o.cost_details, o.total_cost, o.usage_unit, o.internal_model_id, \
     o.usage_pricing_tier_id, o.usage_pricing_tier_name, o.prompt_name, o.prompt_version, o.created_at, o.updated_at, \
     CASE WHEN o.prompt_name IS NOT NULL THEN (SELECT p.id FROM prompts p WHERE p.project_id = o.project_id \
         AND p.name = o.prompt_name AND p.version = o.prompt_version) END AS prompt_id";

fn select(load: Load) -> String {
    let io = if load.io { "o.input, o.output" } else { "NULL::jsonb AS input, NULL::jsonb AS output" };
    let metadata = if load.metadata { "o.metadata" } else { "NULL::jsonb AS metadata" };
    format!("SELECT {COLUMNS}, {io}, {metadata}")
}

fn observation_from_row(row: &PgRow) -> Result<Observation, StoreError> {
    Ok(Observation {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        trace_id: row.try_get("trace_id")?,
        parent_observation_id: row.try_get("parent_observation_id")?,
        kind: enum_column(row, "type")?,
        name: row.try_get("name")?,
        start_time: row.try_get("start_time")?,
        end_time: row.try_get("end_time")?,
        completion_start_time: row.try_get("completion_start_time")?,
        model: row.try_get("model")?,
        model_parameters: row.try_get("model_parameters")?,
        input: row.try_get("input")?,
        output: row.try_get("output")?,
        metadata: object_or_empty(row.try_get("metadata")?),
        level: enum_column(row, "level")?,
        status_message: row.try_get("status_message")?,
        version: row.try_get("version")?,
        environment: row.try_get("environment")?,
        usage_details: count_map(row.try_get("usage_details")?),
        cost_details: amount_map(row.try_get("cost_details")?),
        total_cost: row.try_get("total_cost")?,
        usage_unit: row.try_get("usage_unit")?,
        internal_model_id: row.try_get("internal_model_id")?,
        usage_pricing_tier_id: row.try_get("usage_pricing_tier_id")?,
        usage_pricing_tier_name: row.try_get("usage_pricing_tier_name")?,
        prompt_name: row.try_get("prompt_name")?,
        prompt_version: row.try_get("prompt_version")?,
        prompt_id: row.try_get("prompt_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, project_id: &ProjectId, filter: &ObservationFilter) {
    qb.push(" WHERE o.project_id = ").push_bind(project_id.to_string());
    push_eq(qb, "o.name", &filter.name);
    push_eq(qb, "o.trace_id", &filter.trace_id);
    push_eq(qb, "o.version", &filter.version);
    push_any(qb, "o.environment", &filter.environments);
    if let Some(kind) = filter.kind {
        qb.push(" AND o.type = ").push_bind(kind.as_str());
    }
    if let Some(level) = filter.level {
        qb.push(" AND o.level = ").push_bind(level.as_str());
    }
    match filter.parent_observation_id.as_deref() {
        Some("") => {
            qb.push(" AND o.parent_observation_id IS NULL");
        }
        Some(parent) => {
            qb.push(" AND o.parent_observation_id = ").push_bind(parent.to_string());
        }
        None => {}
    }
    match filter.is_root {
        Some(true) => {
            qb.push(" AND o.parent_observation_id IS NULL");
        }
        Some(false) => {
            qb.push(" AND o.parent_observation_id IS NOT NULL");
        }
        None => {}
    }
    if let Some(from) = filter.from_start_time {
        qb.push(" AND o.start_time >= ").push_bind(from);
    }
    if let Some(to) = filter.to_start_time {
        qb.push(" AND o.start_time < ").push_bind(to);
    }
    for (column, value) in [("user_id", &filter.user_id), ("session_id", &filter.session_id)] {
        if let Some(value) = value {
            qb.push(" AND o.trace_id IN (SELECT t.id FROM traces t WHERE t.project_id = ")
                .push_bind(project_id.to_string())
                .push(format_args!(" AND t.{column} = "))
                .push_bind(value.clone())
                .push(")");
        }
    }
    super::conditions::push(qb, &filter.conditions);
}

/// One page of the project's observations, newest first.
pub async fn list(
    pool: &PgPool,
    project_id: &ProjectId,
    filter: &ObservationFilter,
    page: Page,
) -> Result<Vec<Observation>, StoreError> {
    let mut qb = QueryBuilder::new(select(Load::ALL));
    qb.push(" FROM observations o");
    push_filter(&mut qb, project_id, filter);
    qb.push(" ORDER BY o.start_time DESC, o.id DESC");
    page.push(&mut qb);
    qb.build().fetch_all(pool).await?.iter().map(observation_from_row).collect()
}

pub async fn count(pool: &PgPool, project_id: &ProjectId, filter: &ObservationFilter) -> Result<i64, StoreError> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM observations o");
    push_filter(&mut qb, project_id, filter);
    qb.build_query_scalar().fetch_one(pool).await.map_err(StoreError::from)
}

/// Up to `limit` observations strictly after `after` in newest-first order, each with its
/// trace's attributes (default values when the trace has not arrived yet).
pub async fn list_after(
    pool: &PgPool,
    project_id: &ProjectId,
    filter: &ObservationFilter,
    after: Option<&ObservationKey>,
    limit: i64,
    load: Load,
) -> Result<Vec<(Observation, TraceContext)>, StoreError> {
    let mut qb = QueryBuilder::new(select(load));
    qb.push(
        ", t.user_id AS trace_user_id, t.session_id AS trace_session_id, t.name AS trace_name, t.tags AS trace_tags, \
         t.release AS trace_release, t.public AS trace_public, t.bookmarked AS trace_bookmarked \
         FROM observations o LEFT JOIN traces t ON t.project_id = o.project_id AND t.id = o.trace_id",
    );
    push_filter(&mut qb, project_id, filter);
    if let Some(key) = after {
        qb.push(" AND (o.start_time, o.id) < (")
            .push_bind(key.start_time)
            .push(", ")
            .push_bind(key.id.clone())
            .push(")");
    }
    qb.push(" ORDER BY o.start_time DESC, o.id DESC LIMIT ").push_bind(limit);
    qb.build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let context = TraceContext {
                user_id: row.try_get("trace_user_id")?,
                session_id: row.try_get("trace_session_id")?,
                trace_name: row.try_get("trace_name")?,
                tags: row.try_get("trace_tags")?,
                release: row.try_get("trace_release")?,
                public: row.try_get::<Option<bool>, _>("trace_public")?.unwrap_or(false),
                bookmarked: row.try_get::<Option<bool>, _>("trace_bookmarked")?.unwrap_or(false),
            };
            Ok((observation_from_row(row)?, context))
        })
        .collect()
}

pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &ObservationId) -> Result<Option<Observation>, StoreError> {
    let mut qb = QueryBuilder::new(select(Load::ALL));
    qb.push(" FROM observations o WHERE o.project_id = ")
        .push_bind(project_id.to_string())
        .push(" AND o.id = ")
        .push_bind(id.to_string());
    qb.build().fetch_optional(pool).await?.as_ref().map(observation_from_row).transpose()
}

/// A trace's observations in start order (the order of `observations_trace_idx`).
pub async fn for_trace(pool: &PgPool, project_id: &ProjectId, trace_id: &TraceId) -> Result<Vec<Observation>, StoreError> {
    let mut qb = QueryBuilder::new(select(Load::ALL));
    qb.push(" FROM observations o WHERE o.project_id = ")
        .push_bind(project_id.to_string())
        .push(" AND o.trace_id = ")
        .push_bind(trace_id.to_string())
        .push(" ORDER BY o.start_time, o.id");
    qb.build().fetch_all(pool).await?.iter().map(observation_from_row).collect()
}

/// A trace's observations as its waterfall needs them: no input, output or metadata, so a trace
/// of 100,000 observations is one light index-driven scan (`observations_trace_idx`).
pub async fn tree_inputs(
    pool: &PgPool,
    project_id: &ProjectId,
    trace_id: &TraceId,
) -> Result<Vec<loupe_domain::waterfall::TreeInput>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, parent_observation_id, type, level, name, start_time, end_time, completion_start_time,
                model, total_cost, (usage_details ->> 'total')::bigint AS tokens
         FROM observations WHERE project_id = $1 AND trace_id = $2",
    )
    .bind(project_id)
    .bind(trace_id.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(loupe_domain::waterfall::TreeInput {
                id: row.try_get("id")?,
                parent_id: row.try_get("parent_observation_id")?,
                // The table's CHECK constraints admit only known spellings.
                kind: row.try_get::<&str, _>("type")?.parse().unwrap_or(ObservationType::Span),
                level: row.try_get::<&str, _>("level")?.parse().unwrap_or(ObservationLevel::Default),
                name: row.try_get("name")?,
                start: row.try_get("start_time")?,
                end: row.try_get("end_time")?,
                first_token: row.try_get("completion_start_time")?,
                model: row.try_get("model")?,
                cost: row.try_get("total_cost")?,
                tokens: row.try_get("tokens")?,
            })
        })
        .collect()
}

/// One observation of one trace (the panel's read: the trace in the URL must be its trace).
pub async fn get_in_trace(pool: &PgPool, project_id: &ProjectId, trace_id: &TraceId, id: &ObservationId) -> Result<Option<Observation>, StoreError> {
    let mut qb = QueryBuilder::new(select(Load::ALL));
    qb.push(" FROM observations o WHERE o.project_id = ")
        .push_bind(project_id.to_string())
        .push(" AND o.trace_id = ")
        .push_bind(trace_id.to_string())
        .push(" AND o.id = ")
        .push_bind(id.to_string());
    qb.build().fetch_optional(pool).await?.as_ref().map(observation_from_row).transpose()
}

/// The raw OTel attributes of an observation (its OTel record without `mapped`) and the
/// mapper's record of which attribute fed which field (the record's `mapped`, null when none was
/// recorded), for the mapping inspector (`domain::otel_inspector::rows`). `None` when the
/// observation does not exist in this project or did not arrive over OTLP. The record is
/// `otel_record` (compressed bytes, `store::otel_record`) since issue #23, `otel_attributes`
/// (jsonb) in rows stored before.
///
/// The attributes the input and output were read from as sent are not in records written since
/// 2026-12-06: the record names them under `stored` (`{key: {"field": "input", "json": true}}`)
/// and their values are read back here from the row's `input` and `output` — as JSON text when
/// the attribute was JSON text (`json`), else the value itself. `stored` stays in the result so
/// the inspector can say the value is shown as stored.
pub async fn otel_attributes(
    pool: &PgPool,
    project_id: &ProjectId,
    observation_id: &ObservationId,
) -> Result<Option<(serde_json::Value, serde_json::Value)>, StoreError> {
    type Row = (Option<Vec<u8>>, Option<serde_json::Value>, Option<serde_json::Value>, Option<serde_json::Value>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT otel_record, otel_attributes, input, output FROM observations \
         WHERE project_id = $1 AND id = $2 AND (otel_record IS NOT NULL OR otel_attributes IS NOT NULL)",
    )
    .bind(project_id)
    .bind(observation_id.as_str())
    .fetch_optional(pool)
    .await?;
    let Some((bytes, json, input, output)) = row else { return Ok(None) };
    let record = match bytes {
        Some(bytes) => super::otel_record::decode(&bytes),
        None => json,
    };
    Ok(match record {
        Some(serde_json::Value::Object(mut record)) => {
            let mapping = record.remove("mapped").unwrap_or(serde_json::Value::Null);
            restore_stored(&mut record, input, output);
            Some((serde_json::Value::Object(record), mapping))
        }
        _ => None,
    })
}

/// Puts the values of the record's `stored` attributes back from the row's fields (see
/// [`otel_attributes`]). A name that is not `input` or `output`, or a field the row no longer
/// holds, leaves the attribute null: the record comes from the database, never a panic.
fn restore_stored(record: &mut serde_json::Map<String, serde_json::Value>, input: Option<serde_json::Value>, output: Option<serde_json::Value>) {
    use serde_json::Value;
    let Some(Value::Object(stored)) = record.get("stored") else { return };
    let restored: Vec<(String, Value)> = stored
        .iter()
        .filter_map(|(key, how)| {
            let field = match how.get("field").and_then(Value::as_str) {
                Some("input") => input.as_ref(),
                Some("output") => output.as_ref(),
                _ => None,
            }?;
            let value = if how.get("json").and_then(Value::as_bool).unwrap_or(false) { Value::String(field.to_string()) } else { field.clone() };
            Some((key.clone(), value))
        })
        .collect();
    if let Some(Value::Object(span)) = record.get_mut("span") {
        for (key, value) in restored {
            if let Some(slot) = span.get_mut(&key) {
                *slot = value;
            }
        }
    }
}
