//! Score reads and deletion (docs/COMPATIBILITY.md §6.2–6.3).
//!
//! * v1 `GET /scores`, `GET /scores/{id}`: trace and observation scores of the listable types
//!   (no CORRECTION), page-paginated; list items carry the trace's `userId, tags, environment`.
//! * v2 `GET /v2/scores`, `GET /v2/scores/{id}`: every score (sessions, dataset runs,
//!   corrections); `fields=score,trace` decides whether list items carry `trace`.
//! * v3 `GET /v3/scores`: keyset cursor, comma-separated multi-value filters, a `value` typed by
//!   `dataType` (number, boolean or string) and optional field groups (`details`, `subject`,
//!   `annotation`). Like Langfuse's, its query schema is strict: unknown parameters are a 400.
//! * `DELETE /scores/{id}`: synchronous, 404 when the project has no such score.

use loupe_core::scope::ProjectId;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use loupe_app::domain::score_views::{Score, ScoreWithTrace};
use loupe_app::domain::trace_views::Paginated;
use loupe_app::domain::{ScoreDataType, ScoreSource};
use loupe_core::store;
use loupe_core::store::query::Compare;
use loupe_core::store::scores::{ScoreFilter, ScoreKey, ScoreListFilter, ScoreScope};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::params::{decode_cursor, encode_cursor, invalid_choice, Params, PathId};
use super::{Message, PublicState};

fn filter(params: &Params, v2: bool) -> ApiResult<ScoreFilter> {
    let value = params.number("value")?;
    let operator = params.string("operator")?;
    let value = match (value, operator) {
        (None, None) => None,
        (Some(value), None) => Some((Compare::Eq, value)),
        (Some(value), Some(op)) => {
            Some((Compare::parse(&op).ok_or_else(|| invalid_choice("operator", &op, Compare::SPELLINGS))?, value))
        }
        (None, Some(_)) => return Err(ApiError::invalid("operator needs a value to compare with: add value=<number>")),
    };
    let mut filter = ScoreFilter {
        user_id: params.string("userId")?,
        name: params.string("name")?,
        config_id: params.string("configId")?,
        queue_id: params.string("queueId")?,
        trace_tags: params.all("traceTags"),
        data_type: params.one_of("dataType", ScoreDataType::ALL)?,
        from_timestamp: params.datetime("fromTimestamp")?,
        to_timestamp: params.datetime("toTimestamp")?,
        environments: params.all("environment"),
        source: params.one_of("source", ScoreSource::ALL)?,
        value,
        score_ids: params.comma_list("scoreIds")?,
        ..ScoreFilter::default()
    };
    if v2 {
        filter.session_id = params.string("sessionId")?;
        filter.dataset_run_id = params.string("datasetRunId")?;
        filter.trace_id = params.string("traceId")?;
        filter.observation_ids = params.comma_list("observationId")?;
    }
    Ok(filter)
}

async fn list(
    state: &PublicState,
    project_id: &ProjectId,
    scope: ScoreScope,
    filter: &ScoreFilter,
    params: &Params,
) -> ApiResult<Paginated<ScoreWithTrace>> {
    let page = params.page(100)?;
    let (scores, total) = tokio::try_join!(
        store::scores::list(&state.pool, project_id, scope, filter, page.window()),
        store::scores::count(&state.pool, project_id, scope, filter),
    )?;
    Ok(Paginated { data: scores, meta: page.meta(total) })
}

pub async fn list_v1(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<ScoreWithTrace>>> {
    params.refuse_advanced_filter()?;
    let filter = filter(&params, false)?;
    Ok(Json(list(&state, &key.project_id, ScoreScope::TraceScores, &filter, &params).await?))
}

pub async fn list_v2(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<ScoreWithTrace>>> {
    params.refuse_advanced_filter()?;
    let fields: Vec<String> =
        params.comma_list("fields")?.into_iter().filter(|f| f == "score" || f == "trace").collect();
    let include_trace = fields.is_empty() || fields.iter().any(|f| f == "trace");
    if !fields.is_empty() && !fields.iter().any(|f| f == "score") {
        return Err(ApiError::invalid("fields must include score (the score fields are always returned)"));
    }
    let filter = filter(&params, true)?;
    if !include_trace && (filter.user_id.is_some() || !filter.trace_tags.is_empty()) {
        return Err(ApiError::invalid(
            "Cannot filter by trace properties (userId, traceTags) when 'trace' field is not included. Please add \
             'trace' to the fields parameter or remove trace filters.",
        ));
    }
    let mut page = list(&state, &key.project_id, ScoreScope::All, &filter, &params).await?;
    if !include_trace {
        page.data.iter_mut().for_each(|item| item.trace = None);
    }
    Ok(Json(page))
}

fn score_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Score {id} not found within authorized project"))
}

pub async fn get_v1(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
) -> ApiResult<Json<Score>> {
    let score = store::scores::get(&state.pool, &key.project_id, &id)
        .await?
        // v1 knows trace scores of the listable types only.
        .filter(|s| s.trace_id.is_some() && s.data_type != ScoreDataType::Correction)
        .ok_or_else(|| score_not_found(&id))?;
    Ok(Json(score))
}

pub async fn get_v2(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
) -> ApiResult<Json<Score>> {
    let score = store::scores::get(&state.pool, &key.project_id, &id).await?.ok_or_else(|| score_not_found(&id))?;
    Ok(Json(score))
}

pub async fn delete(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
) -> ApiResult<Json<Message>> {
    if !store::scores::delete(&state.pool, &key.project_id, &id).await? {
        return Err(score_not_found(&id));
    }
    Ok(Json(Message { message: "Score deleted successfully" }))
}

// ---------------------------------------------------------------------------------------------
// v3

const V3_PARAMS: &[&str] = &[
    "limit",
    "cursor",
    "fields",
    "id",
    "name",
    "source",
    "dataType",
    "environment",
    "configId",
    "queueId",
    "authorUserId",
    "value",
    "valueMin",
    "valueMax",
    "traceId",
    "sessionId",
    "observationId",
    "experimentId",
    "fromTimestamp",
    "toTimestamp",
    "userId",
    "traceTags",
];
const V3_GROUPS: &[&str] = &["core", "details", "subject", "annotation"];

#[derive(Serialize, Deserialize)]
struct V3Cursor {
    v: u8,
    #[serde(rename = "lastTimestamp")]
    timestamp: DateTime<Utc>,
    #[serde(rename = "lastId")]
    id: String,
}

/// A comma-separated list of a wire enum, case-insensitive (`api,EVAL`).
fn enum_list<T: std::str::FromStr + std::fmt::Display + Copy>(
    params: &Params,
    name: &str,
    allowed: &[T],
) -> ApiResult<Vec<T>> {
    params
        .comma_list(name)?
        .into_iter()
        .map(|v| v.to_ascii_uppercase().parse::<T>().map_err(|_| invalid_choice(name, &v, allowed)))
        .collect()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct V3Groups {
    details: bool,
    subject: bool,
    annotation: bool,
}

fn v3_request(params: &Params) -> ApiResult<(ScoreListFilter, V3Groups)> {
    params.reject_unknown(V3_PARAMS)?;
    for deferred in ["userId", "traceTags"] {
        if params.string(deferred)?.is_some() {
            return Err(ApiError::invalid(format!(
                "{deferred} filter requires a trace JOIN and is not supported in v3 — use v2 or omit this filter"
            )));
        }
    }
    let mut groups = V3Groups::default();
    for group in params.comma_list("fields")? {
        match group.as_str() {
            "core" => {}
            "details" => groups.details = true,
            "subject" => groups.subject = true,
            "annotation" => groups.annotation = true,
            other => return Err(invalid_choice("fields", other, V3_GROUPS)),
        }
    }
    let data_types = enum_list(params, "dataType", ScoreDataType::ALL)?;
    let single_type = match data_types.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let mut filter = ScoreListFilter {
        ids: params.comma_list("id")?,
        names: params.comma_list("name")?,
        sources: enum_list(params, "source", ScoreSource::ALL)?,
        environments: params.comma_list("environment")?,
        config_ids: params.comma_list("configId")?,
        queue_ids: params.comma_list("queueId")?,
        author_user_ids: params.comma_list("authorUserId")?,
        value_min: params.number("valueMin")?,
        value_max: params.number("valueMax")?,
        trace_ids: params.comma_list("traceId")?,
        session_ids: params.comma_list("sessionId")?,
        observation_ids: params.comma_list("observationId")?,
        dataset_run_ids: params.comma_list("experimentId")?,
        from_timestamp: params.datetime("fromTimestamp")?,
        to_timestamp: params.datetime("toTimestamp")?,
        data_types,
        ..ScoreListFilter::default()
    };
    let values = params.comma_list("value")?;
    if !values.is_empty() {
        match single_type {
            Some(ScoreDataType::Numeric) => {
                for v in &values {
                    match v.parse::<f64>() {
                        Ok(n) if n.is_finite() => filter.values.push(n),
                        _ => return Err(ApiError::invalid(format!(
                            "value filter with dataType=NUMERIC requires each value to be a finite number (got {v:?})"
                        ))),
                    }
                }
            }
            Some(ScoreDataType::Boolean) => {
                for v in &values {
                    filter.values.push(match v.as_str() {
                        "true" => 1.0,
                        "false" => 0.0,
                        _ => {
                            return Err(ApiError::invalid(format!(
                                "value filter with dataType=BOOLEAN requires each value to be \"true\" or \"false\" (got {v:?})"
                            )))
                        }
                    });
                }
            }
            Some(ScoreDataType::Categorical) => filter.string_values = values,
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "value filter requires dataType to be NUMERIC, BOOLEAN, or CATEGORICAL (got \"{other}\")"
                )))
            }
            None => {
                return Err(ApiError::invalid(
                    "value filter requires a single dataType from: NUMERIC, BOOLEAN, CATEGORICAL",
                ))
            }
        }
    }
    if (filter.value_min.is_some() || filter.value_max.is_some()) && single_type != Some(ScoreDataType::Numeric) {
        return Err(ApiError::invalid("valueMin and valueMax require dataType=NUMERIC as a single value"));
    }
    if !filter.observation_ids.is_empty() && filter.trace_ids.is_empty() {
        return Err(ApiError::invalid("observationId filter requires traceId — observation IDs are scoped to a trace"));
    }
    let targets = [&filter.trace_ids, &filter.session_ids, &filter.dataset_run_ids];
    if targets.iter().filter(|ids| !ids.is_empty()).count() > 1 {
        return Err(ApiError::invalid("At most one of traceId, sessionId, experimentId may be specified"));
    }
    Ok((filter, groups))
}

/// A v3 list item: core fields always, the other groups only when requested.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScoreV3 {
    id: String,
    project_id: String,
    name: String,
    data_type: ScoreDataType,
    value: Value,
    source: ScoreSource,
    timestamp: DateTime<Utc>,
    environment: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config_id: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author_user_id: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_id: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<Value>,
}

/// What a score is attached to: an experiment (dataset run), an observation (with its trace),
/// a session or a trace.
fn subject(score: &Score) -> Value {
    if let Some(run) = &score.dataset_run_id {
        json!({"kind": "experiment", "id": run})
    } else if let Some(observation) = &score.observation_id {
        match &score.trace_id {
            Some(trace) => json!({"kind": "observation", "id": observation, "traceId": trace}),
            None => json!({"kind": "observation", "id": observation}),
        }
    } else if let Some(session) = &score.session_id {
        json!({"kind": "session", "id": session})
    } else {
        json!({"kind": "trace", "id": score.trace_id})
    }
}

fn to_v3(score: Score, groups: V3Groups) -> ScoreV3 {
    let value = match score.data_type {
        ScoreDataType::Numeric => json!(score.value.unwrap_or(0.0)),
        ScoreDataType::Boolean => json!(score.value == Some(1.0)),
        ScoreDataType::Categorical | ScoreDataType::Text | ScoreDataType::Correction => {
            json!(score.string_value.clone().unwrap_or_default())
        }
    };
    let subject = groups.subject.then(|| subject(&score));
    ScoreV3 {
        value,
        subject,
        comment: groups.details.then(|| score.comment.clone()),
        config_id: groups.details.then(|| score.config_id.clone()),
        metadata: groups.details.then(|| score.metadata.clone()),
        author_user_id: groups.annotation.then(|| score.author_user_id.clone()),
        queue_id: groups.annotation.then(|| score.queue_id.clone()),
        id: score.id,
        project_id: score.project_id,
        name: score.name,
        data_type: score.data_type,
        source: score.source,
        timestamp: score.timestamp,
        environment: score.environment,
        created_at: score.created_at,
        updated_at: score.updated_at,
    }
}

#[derive(Serialize)]
pub struct V3Page {
    data: Vec<ScoreV3>,
    meta: V3Meta,
}

#[derive(Serialize)]
struct V3Meta {
    limit: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
}

pub async fn list_v3(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<V3Page>> {
    let (filter, groups) = v3_request(&params)?;
    let limit = params.int_in("limit", 1, 100, 50)?;
    let after = params
        .string("cursor")?
        .map(|raw| decode_cursor::<V3Cursor>(&raw))
        .transpose()?
        .map(|c| ScoreKey { timestamp: c.timestamp, id: c.id });
    let mut scores =
        store::scores::list_after(&state.pool, &key.project_id, &filter, after.as_ref(), limit + 1).await?;
    let more = scores.len() as i64 > limit;
    scores.truncate(limit as usize);
    let cursor = match scores.last() {
        Some(last) if more => Some(encode_cursor(&V3Cursor { v: 1, timestamp: last.timestamp, id: last.id.clone() })),
        _ => None,
    };
    let data = scores.into_iter().map(|s| to_v3(s, groups)).collect();
    Ok(Json(V3Page { data, meta: V3Meta { limit, cursor } }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(query: &str) -> String {
        v3_request(&Params::parse(query)).expect_err(query).message
    }

    #[test]
    fn v3_cross_field_rules() {
        assert!(err("bogus=1").contains("unknown query parameter \"bogus\""));
        assert!(err("userId=u").contains("not supported in v3"));
        assert!(err("fields=core,everything").contains("fields must be one of core, details, subject, annotation"));
        assert!(err("value=1").contains("requires a single dataType"));
        assert!(err("value=1&dataType=TEXT").contains("NUMERIC, BOOLEAN, or CATEGORICAL"));
        assert!(err("value=abc&dataType=NUMERIC").contains("finite number"));
        assert!(err("value=yes&dataType=boolean").contains("\"true\" or \"false\""));
        assert!(err("valueMin=1").contains("valueMin and valueMax require dataType=NUMERIC"));
        assert!(err("observationId=o").contains("requires traceId"));
        assert!(err("traceId=t&sessionId=s").contains("At most one of"));
        assert!(err("source=robot").contains("source must be one of API, EVAL, ANNOTATION"));

        let (filter, groups) =
            v3_request(&Params::parse("dataType=boolean&value=true,false&fields=subject&source=api")).unwrap();
        assert_eq!(filter.values, [1.0, 0.0]);
        assert_eq!(filter.data_types, [ScoreDataType::Boolean]);
        assert_eq!(filter.sources, [ScoreSource::Api]);
        assert!(groups.subject && !groups.details);
        let (filter, _) = v3_request(&Params::parse("dataType=CATEGORICAL&value=good,bad")).unwrap();
        assert_eq!(filter.string_values, ["good", "bad"]);
    }
}
