//! Trace reads and deletes (docs/COMPATIBILITY.md §7.1): `GET /traces` (page-paginated, filtered,
//! sortable), `GET /traces/{id}` (with observations and scores), `DELETE /traces/{id}` and
//! `DELETE /traces` (`{traceIds}`).
//!
//! `fields` selects Langfuse's field groups (`core`, `io`, `scores`, `observations`, `metrics`;
//! all by default, unknown names ignored as Langfuse does): without `io` the large columns are
//! not even read, without `metrics` latency and cost are -1, without `observations`/`scores`
//! those lists are empty. Deletion is synchronous and transactional, so a 200 means it is gone.

use loupe_core::scope::ProjectId;
use std::collections::HashMap;

use axum::body::Body;
use axum::extract::State;
use axum::Json;
use loupe_app::domain::trace_views::{ObservationView, Paginated, TraceWithDetails, TraceWithFullDetails};
use loupe_core::store::traces::{TraceFilter, TraceOrder, TraceOrderColumn};
use serde::Deserialize;

use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::filter;
use super::params::{json_body, Params, PathId};
use loupe_core::store::conditions::TRACE_COLUMNS;
use super::{Message, PublicState};
use loupe_core::store;

/// At most this many ids per bulk delete (Langfuse's limit).
const MAX_DELETE_IDS: usize = 1000;
/// 1000 ids of at most 800 characters each, with JSON overhead.
const DELETE_BODY_LIMIT: usize = 1024 * 1024;

/// Langfuse's trace field groups; `core` is always included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fields {
    io: bool,
    scores: bool,
    observations: bool,
    metrics: bool,
}

impl Fields {
    fn parse(params: &Params) -> ApiResult<Fields> {
        let requested = params.comma_list("fields")?;
        let known: Vec<&str> = requested
            .iter()
            .map(String::as_str)
            .filter(|f| ["core", "io", "scores", "observations", "metrics"].contains(f))
            .collect();
        if known.is_empty() {
            return Ok(Fields { io: true, scores: true, observations: true, metrics: true });
        }
        Ok(Fields {
            io: known.contains(&"io"),
            scores: known.contains(&"scores"),
            observations: known.contains(&"observations"),
            metrics: known.contains(&"metrics"),
        })
    }

    fn needs_aggregates(self) -> bool {
        self.scores || self.observations || self.metrics
    }
}

fn parse_order(raw: Option<&str>) -> ApiResult<TraceOrder> {
    let Some(raw) = raw.filter(|v| !v.is_empty()) else { return Ok(TraceOrder::default()) };
    let invalid = || {
        ApiError::invalid(format!(
            "orderBy must be <column>.<asc|desc> with column one of {}, got {raw:?}",
            TraceOrderColumn::NAMES.join(", ")
        ))
    };
    let (column, direction) = raw.split_once('.').ok_or_else(invalid)?;
    let column = TraceOrderColumn::parse(column).ok_or_else(invalid)?;
    let descending = match direction.to_ascii_lowercase().as_str() {
        "asc" => false,
        "desc" => true,
        _ => return Err(invalid()),
    };
    Ok(TraceOrder { column, descending })
}

fn filter(params: &Params) -> ApiResult<TraceFilter> {
    Ok(TraceFilter {
        user_id: params.string("userId")?,
        name: params.string("name")?,
        session_id: params.string("sessionId")?,
        from_timestamp: params.datetime("fromTimestamp")?,
        to_timestamp: params.datetime("toTimestamp")?,
        tags: params.all("tags"),
        version: params.string("version")?,
        release: params.string("release")?,
        environments: params.all("environment"),
        conditions: filter::parse(params.raw("filter")?, TRACE_COLUMNS)?,
    })
}

pub async fn list(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<TraceWithDetails>>> {
    let page = params.page(100)?;
    let filter = filter(&params)?;
    let order = parse_order(params.raw("orderBy")?)?;
    let fields = Fields::parse(&params)?;
    let pool = &state.pool;
    let project_id = &key.project_id;
    let (traces, total) = tokio::try_join!(
        store::traces::list(pool, project_id, &filter, order, page.window(), fields.io),
        store::traces::count(pool, project_id, &filter),
    )?;
    let mut metrics = if fields.needs_aggregates() {
        let ids: Vec<String> = traces.iter().map(|t| t.id.clone()).collect();
        store::traces::metrics(pool, project_id, &ids).await?
    } else {
        HashMap::new()
    };
    let data = traces
        .into_iter()
        .map(|trace| {
            let m = metrics.remove(&trace.id).unwrap_or_default();
            TraceWithDetails {
                html_path: trace.html_path(),
                latency: if fields.metrics { m.latency } else { -1.0 },
                total_cost: if fields.metrics { m.total_cost } else { -1.0 },
                observations: if fields.observations { m.observation_ids } else { Vec::new() },
                scores: if fields.scores { m.score_ids } else { Vec::new() },
                trace,
            }
        })
        .collect();
    Ok(Json(Paginated { data, meta: page.meta(total) }))
}

fn trace_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Trace {id} not found within authorized project"))
}

pub async fn get(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Json<TraceWithFullDetails>> {
    let fields = Fields::parse(&params)?;
    let pool = &state.pool;
    let project_id = &key.project_id;
    let trace_id = loupe_app::domain::TraceId::new(id.as_str());
    let mut trace = store::traces::get(pool, project_id, &trace_id).await?.ok_or_else(|| trace_not_found(&id))?;
    if !fields.io {
        trace.input = None;
        trace.output = None;
        trace.metadata = serde_json::Value::Object(Default::default());
    }
    let (observations, scores, mut metrics) = tokio::try_join!(
        async {
            if fields.observations {
                store::observations::for_trace(pool, project_id, &trace_id).await
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if fields.scores {
                store::scores::for_trace(pool, project_id, &trace_id).await
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if fields.metrics {
                store::traces::metrics(pool, project_id, std::slice::from_ref(&id)).await
            } else {
                Ok(HashMap::new())
            }
        },
    )?;
    let m = metrics.remove(&id).unwrap_or_default();
    let mut observations: Vec<ObservationView> = observations.into_iter().map(ObservationView::from).collect();
    super::observations::with_unit_prices(&state, project_id, &mut observations).await?;
    Ok(Json(TraceWithFullDetails {
        html_path: trace.html_path(),
        latency: if fields.metrics { m.latency } else { -1.0 },
        total_cost: if fields.metrics { m.total_cost } else { -1.0 },
        observations,
        scores,
        trace,
    }))
}

pub async fn delete(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
) -> ApiResult<Json<Message>> {
    let deleted = store::traces::delete(&state.pool, &key.project_id, std::slice::from_ref(&id)).await?;
    if deleted.nothing() {
        return Err(trace_not_found(&id));
    }
    announce_deleted(&state, &key.project_id, std::iter::once(id.clone())).await;
    tracing::info!(
        project_id = %key.project_id, trace_id = %id, observations = deleted.observations, scores = deleted.scores,
        "trace deleted"
    );
    Ok(Json(Message { message: "Trace deleted successfully" }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteTraces {
    trace_ids: Vec<String>,
}

/// Deletes the listed traces of the project; ids that are not traces of this project are
/// skipped (another project's traces are never touched).
pub async fn delete_many(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    body: Body,
) -> ApiResult<Json<Message>> {
    let request: DeleteTraces = json_body(body, DELETE_BODY_LIMIT, r#"{"traceIds": ["<trace id>", ...]}"#).await?;
    let n = request.trace_ids.len();
    if n == 0 || n > MAX_DELETE_IDS {
        return Err(ApiError::invalid(format!(
            "traceIds must contain between 1 and {MAX_DELETE_IDS} trace ids, got {n}"
        )));
    }
    let deleted = store::traces::delete(&state.pool, &key.project_id, &request.trace_ids).await?;
    if !deleted.nothing() {
        announce_deleted(&state, &key.project_id, request.trace_ids.iter().cloned()).await;
    }
    tracing::info!(
        project_id = %key.project_id, requested = n, traces = deleted.traces, observations = deleted.observations,
        scores = deleted.scores, "traces deleted"
    );
    Ok(Json(Message { message: "Traces deleted successfully" }))
}

/// Tells open views (live updates) that these traces changed. After the deletion's commit, so
/// never before it is durable; a failure only costs the live update, not the deletion.
async fn announce_deleted(state: &PublicState, project_id: &ProjectId, trace_ids: impl Iterator<Item = String>) {
    let trace_ids = trace_ids.collect();
    if let Err(error) = crate::live::notice::send(&state.pool, project_id, &trace_ids).await {
        tracing::warn!(%error, %project_id, "could not announce deleted traces to live views");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_parses_langfuse_spelling() {
        assert_eq!(parse_order(None).unwrap(), TraceOrder::default());
        assert_eq!(
            parse_order(Some("name.ASC")).unwrap(),
            TraceOrder { column: TraceOrderColumn::Name, descending: false }
        );
        assert_eq!(
            parse_order(Some("userId.desc")).unwrap(),
            TraceOrder { column: TraceOrderColumn::UserId, descending: true }
        );
        for bad in ["name", "name.up", "cost.asc", ".asc"] {
            let message = parse_order(Some(bad)).unwrap_err().message;
            assert!(message.starts_with("orderBy must be <column>.<asc|desc>"), "{bad}: {message}");
        }
    }

    #[test]
    fn fields_default_to_everything_and_ignore_unknown_groups() {
        let all = Fields { io: true, scores: true, observations: true, metrics: true };
        assert_eq!(Fields::parse(&Params::parse("")).unwrap(), all);
        assert_eq!(Fields::parse(&Params::parse("fields=bogus")).unwrap(), all);
        let core = Fields::parse(&Params::parse("fields=core")).unwrap();
        assert!(!core.io && !core.needs_aggregates());
        let some = Fields::parse(&Params::parse("fields=core,metrics,bogus")).unwrap();
        assert!(some.metrics && !some.io && !some.scores);
    }
}
