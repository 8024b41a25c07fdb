//! Observation reads (docs/COMPATIBILITY.md §7.1): the v1 list and single observation
//! (`ObservationsView`, page pagination) and the v2 list (cursor pagination, field groups),
//! which Python SDK 5 uses instead of the trace endpoints.
//!
//! v2 follows Langfuse's events-table contract: `core` fields always, other groups on request
//! (`core,basic` by default), input/output as raw strings, metadata values cut to 200
//! characters unless listed in `expandMetadata`, trace attributes denormalized onto each item,
//! and `meta.cursor` absent on the last page. The cursor is an opaque keyset position
//! `(start_time, id)`, so walking it returns every row exactly once.

use loupe_core::scope::ProjectId;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use loupe_app::domain::trace_views::{Observation, ObservationView, Paginated, TraceContext};
use loupe_app::domain::{ObservationLevel, ObservationType};
use loupe_core::store;
use loupe_core::store::conditions::OBSERVATION_COLUMNS;
use loupe_core::store::observations::{Load, ObservationFilter, ObservationKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::filter;
use super::params::{decode_cursor, encode_cursor, Params, PathId};
use super::PublicState;

/// Metadata values longer than this are cut in v2 lists unless expanded.
const METADATA_VALUE_MAX_CHARS: usize = 200;
const V2_MAX_LIMIT: i64 = 1000;

fn filter(params: &Params, v2: bool) -> ApiResult<ObservationFilter> {
    Ok(ObservationFilter {
        name: params.string("name")?,
        user_id: params.string("userId")?,
        session_id: if v2 { params.string("sessionId")? } else { None },
        kind: params.one_of("type", ObservationType::ALL)?,
        trace_id: params.string("traceId")?,
        level: params.one_of("level", ObservationLevel::ALL)?,
        // Kept even when empty: an empty value selects observations without a parent.
        parent_observation_id: params.raw("parentObservationId")?.map(str::to_string),
        is_root: if v2 { params.boolean("isRootObservation")? } else { None },
        environments: params.all("environment"),
        from_start_time: params.datetime("fromStartTime")?,
        to_start_time: params.datetime("toStartTime")?,
        version: params.string("version")?,
        conditions: filter::parse(params.raw("filter")?, OBSERVATION_COLUMNS)?,
    })
}

pub async fn list_v1(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<ObservationView>>> {
    let page = params.page(100)?;
    let filter = filter(&params, false)?;
    let (observations, total) = tokio::try_join!(
        store::observations::list(&state.pool, &key.project_id, &filter, page.window()),
        store::observations::count(&state.pool, &key.project_id, &filter),
    )?;
    let mut data: Vec<ObservationView> = observations.into_iter().map(ObservationView::from).collect();
    with_unit_prices(&state, &key.project_id, &mut data).await?;
    Ok(Json(Paginated { data, meta: page.meta(total) }))
}

/// Fills the matched model's unit prices (`inputPrice`, `outputPrice`, `totalPrice`) from the
/// project's price book; the store knows only the model id.
pub(super) async fn with_unit_prices(state: &PublicState, project_id: &ProjectId, views: &mut [ObservationView]) -> ApiResult<()> {
    if views.iter().all(|v| v.model_id.is_none()) {
        return Ok(());
    }
    let prices = state.pricing.project(project_id).await?;
    for view in views.iter_mut() {
        if let Some(model_id) = &view.model_id {
            (view.input_price, view.output_price, view.total_price) = prices.unit_prices(model_id);
        }
    }
    Ok(())
}

pub async fn get_v1(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
) -> ApiResult<Json<ObservationView>> {
    let observation = store::observations::get(&state.pool, &key.project_id, &loupe_app::domain::ObservationId::new(id.as_str()))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Observation {id} not found within authorized project")))?;
    let mut views = [ObservationView::from(observation)];
    with_unit_prices(&state, &key.project_id, &mut views).await?;
    let [view] = views;
    Ok(Json(view))
}

/// The v2 field groups a request asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Groups {
    basic: bool,
    time: bool,
    io: bool,
    metadata: bool,
    model: bool,
    usage: bool,
    prompt: bool,
    metrics: bool,
    trace_context: bool,
}

impl Groups {
    /// Comma-separated groups; unknown names are ignored (as Langfuse does), nothing known
    /// means the default `core,basic`.
    fn parse(params: &Params) -> ApiResult<Groups> {
        let mut groups = Groups::default();
        let mut any = false;
        for name in params.comma_list("fields")? {
            let flag = match name.as_str() {
                "core" => None,
                "basic" => Some(&mut groups.basic),
                "time" => Some(&mut groups.time),
                "io" => Some(&mut groups.io),
                "metadata" => Some(&mut groups.metadata),
                "model" => Some(&mut groups.model),
                "usage" => Some(&mut groups.usage),
                "prompt" => Some(&mut groups.prompt),
                "metrics" => Some(&mut groups.metrics),
                "trace_context" => Some(&mut groups.trace_context),
                _ => continue,
            };
            any = true;
            if let Some(flag) = flag {
                *flag = true;
            }
        }
        if !any {
            groups.basic = true;
        }
        Ok(groups)
    }
}

/// The v2 cursor: the last row of the page.
#[derive(Serialize, Deserialize)]
struct Cursor {
    #[serde(rename = "lastStartTime")]
    start_time: DateTime<Utc>,
    #[serde(rename = "lastId")]
    id: String,
}

#[derive(Serialize)]
pub struct V2Page {
    data: Vec<Map<String, Value>>,
    meta: V2Meta,
}

#[derive(Serialize)]
struct V2Meta {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
}

pub async fn list_v2(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<V2Page>> {
    if params.boolean("parseIoAsJson")? == Some(true) {
        return Err(ApiError::invalid(
            "parseIoAsJson=true is no longer supported on the v2 observations endpoint. Input/output fields are always \
             returned as raw strings. Remove the parseIoAsJson parameter or set it to false.",
        ));
    }
    let limit = params.int_in("limit", 1, V2_MAX_LIMIT, 50)?;
    let after = params
        .string("cursor")?
        .map(|raw| decode_cursor::<Cursor>(&raw))
        .transpose()?
        .map(|c| ObservationKey { start_time: c.start_time, id: c.id });
    let groups = Groups::parse(&params)?;
    let expand = params.comma_list("expandMetadata")?;
    let filter = filter(&params, true)?;
    let load = Load { io: groups.io, metadata: groups.metadata };
    let mut rows =
        store::observations::list_after(&state.pool, &key.project_id, &filter, after.as_ref(), limit + 1, load).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let cursor = match rows.last() {
        Some((last, _)) if more => Some(encode_cursor(&Cursor { start_time: last.start_time, id: last.id.clone() })),
        _ => None,
    };
    let data = rows.into_iter().map(|(o, trace)| v2_item(o, trace, groups, &expand)).collect();
    Ok(Json(V2Page { data, meta: V2Meta { cursor } }))
}

/// Input and output as the raw strings Langfuse stores: a JSON string as is, anything else
/// serialized.
fn raw_string(value: Option<Value>) -> Value {
    match value {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) => Value::String(s),
        Some(other) => Value::String(other.to_string()),
    }
}

/// Metadata with values over 200 characters cut (as Langfuse's v2 list does), except the keys
/// in `expand`.
fn truncated_metadata(metadata: Value, expand: &[String]) -> Value {
    let Value::Object(map) = metadata else { return metadata };
    let cut = |text: String| -> Value {
        if text.chars().count() > METADATA_VALUE_MAX_CHARS {
            Value::String(text.chars().take(METADATA_VALUE_MAX_CHARS).collect())
        } else {
            Value::String(text)
        }
    };
    Value::Object(
        map.into_iter()
            .map(|(k, v)| {
                let v = if expand.contains(&k) {
                    v
                } else {
                    match v {
                        Value::String(s) => cut(s),
                        other => {
                            let text = other.to_string();
                            if text.chars().count() > METADATA_VALUE_MAX_CHARS {
                                cut(text)
                            } else {
                                other
                            }
                        }
                    }
                };
                (k, v)
            })
            .collect(),
    )
}

fn v2_item(o: Observation, trace: TraceContext, groups: Groups, expand: &[String]) -> Map<String, Value> {
    let latency = o.latency();
    let time_to_first_token = o.time_to_first_token();
    let mut m = Map::new();
    let mut put = |key: &str, value: Value| {
        m.insert(key.to_string(), value);
    };
    put("id", json!(o.id));
    put("traceId", json!(o.trace_id));
    put("startTime", json!(o.start_time));
    put("endTime", json!(o.end_time));
    put("projectId", json!(o.project_id));
    put("parentObservationId", json!(o.parent_observation_id));
    put("type", json!(o.kind));
    if groups.basic {
        put("isRootObservation", json!(o.parent_observation_id.is_none()));
        put("name", json!(o.name));
        put("level", json!(o.level));
        put("statusMessage", json!(o.status_message));
        put("version", json!(o.version));
        put("environment", json!(o.environment));
        put("bookmarked", json!(trace.bookmarked));
        put("public", json!(trace.public));
        put("userId", json!(trace.user_id));
        put("sessionId", json!(trace.session_id));
    }
    if groups.time {
        put("completionStartTime", json!(o.completion_start_time));
        put("createdAt", json!(o.created_at));
        put("updatedAt", json!(o.updated_at));
    }
    if groups.io {
        put("input", raw_string(o.input));
        put("output", raw_string(o.output));
    }
    if groups.metadata {
        put("metadata", truncated_metadata(o.metadata, expand));
    }
    if groups.model {
        // `model` as the SDK 5.x `ObservationV2` type names it (`providedModelName` is only a filter alias).
        put("model", json!(o.model));
        put("internalModelId", json!(o.internal_model_id));
        put("modelParameters", json!(o.model_parameters));
    }
    if groups.usage {
        put("usageDetails", json!(o.usage_details));
        put("costDetails", json!(o.cost_details));
        put("totalCost", json!(o.total_cost));
        put("usagePricingTierName", json!(o.usage_pricing_tier_name));
    }
    if groups.prompt {
        put("promptId", Value::Null);
        put("promptName", json!(o.prompt_name));
        put("promptVersion", json!(o.prompt_version));
    }
    if groups.metrics {
        put("latency", json!(latency));
        put("timeToFirstToken", json!(time_to_first_token));
    }
    if groups.trace_context {
        put("traceName", json!(trace.trace_name));
        put("tags", json!(trace.tags));
        put("release", json!(trace.release));
    }
    // Always present; filled only with the `model` group. Prices are not resolved here.
    put("modelId", if groups.model { json!(o.internal_model_id) } else { Value::Null });
    put("inputPrice", Value::Null);
    put("outputPrice", Value::Null);
    put("totalPrice", Value::Null);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_default_to_basic_and_ignore_unknown_names() {
        assert_eq!(Groups::parse(&Params::parse("")).unwrap(), Groups { basic: true, ..Groups::default() });
        assert_eq!(Groups::parse(&Params::parse("fields=tools")).unwrap(), Groups { basic: true, ..Groups::default() });
        assert_eq!(Groups::parse(&Params::parse("fields=core")).unwrap(), Groups::default());
        let g = Groups::parse(&Params::parse("fields=io,usage,bogus")).unwrap();
        assert!(g.io && g.usage && !g.basic && !g.model);
    }

    #[test]
    fn io_is_raw_strings() {
        assert_eq!(raw_string(Some(json!("hello"))), json!("hello"));
        assert_eq!(raw_string(Some(json!({"a": 1}))), json!("{\"a\":1}"));
        assert_eq!(raw_string(None), Value::Null);
    }

    #[test]
    fn metadata_values_are_cut_unless_expanded() {
        let long = "x".repeat(250);
        let metadata = json!({"long": long, "kept": long, "short": "s", "obj": {"k": long}, "n": 1});
        let cut = truncated_metadata(metadata, &["kept".to_string()]);
        assert_eq!(cut["long"].as_str().unwrap().len(), 200);
        assert_eq!(cut["kept"].as_str().unwrap().len(), 250);
        assert_eq!(cut["short"], "s");
        assert_eq!(cut["obj"].as_str().unwrap().len(), 200);
        assert_eq!(cut["n"], 1);
    }
}
