//! The metrics API (docs/COMPATIBILITY.md "Metrics API"): `GET /metrics` (v1) and
//! `GET /v2/metrics` answer Langfuse's metrics query JSON (`?query=`, URL-encoded) with
//! `{"data": [row, …]}` from the engine the dashboards use (`loupe_core::metrics`);
//! `GET /metrics/daily` is the legacy per-day summary.
//!
//! v2 differs from v1 as in Langfuse: no `traces` view, the high-cardinality rule
//! (`userId`, `traceId`, … need `config.row_limit` and an `orderBy` desc on a metric, and no
//! time dimension), and a default row limit of 100. A bad query is a 400 naming the field.

use axum::extract::State;
use axum::Json;
use loupe_app::domain::metrics_query::{ApiVersion, MetricsQuery, ParseError};
use loupe_app::domain::trace_views::PageMeta;
use loupe_core::metrics::daily::{daily as daily_metrics, DailyFilter};
use loupe_core::metrics::MetricsError;
use serde_json::{json, Value};

use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::params::Params;
use super::PublicState;

fn query_of(params: &Params) -> ApiResult<MetricsQuery> {
    let raw = params
        .raw("query")?
        .filter(|q| !q.is_empty())
        .ok_or_else(|| ApiError::invalid("query: required (the metrics query as URL-encoded JSON)"))?;
    MetricsQuery::parse(raw).map_err(|e| match e {
        ParseError::InvalidJson => ApiError::invalid("Invalid JSON in query parameter"),
        ParseError::Invalid(e) => ApiError::invalid(format!("Invalid query: {e}")),
    })
}

async fn answer(state: &PublicState, access: &ProjectAccess, params: &Params, version: ApiVersion) -> ApiResult<Json<Value>> {
    let query = query_of(params)?;
    let rows = loupe_core::metrics::run(&state.pool, &access.0.project_id, &query, version).await.map_err(|e| match e {
        MetricsError::BadQuery(e) => ApiError::invalid(format!("Invalid query: {e}")),
        MetricsError::Store(e) => ApiError::from(e),
    })?;
    Ok(Json(json!({ "data": rows })))
}

/// `GET /api/public/metrics?query=…` (Langfuse's v1, traces view included).
pub async fn v1(access: ProjectAccess, State(state): State<PublicState>, params: Params) -> ApiResult<Json<Value>> {
    answer(&state, &access, &params, ApiVersion::V1).await
}

/// `GET /api/public/v2/metrics?query=…`.
pub async fn v2(access: ProjectAccess, State(state): State<PublicState>, params: Params) -> ApiResult<Json<Value>> {
    answer(&state, &access, &params, ApiVersion::V2).await
}

/// `GET /api/public/metrics/daily`: `page`, `limit`, `traceName`, `userId`, `tags` and
/// `environment` (repeatable), `fromTimestamp`, `toTimestamp`.
pub async fn daily(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, params: Params) -> ApiResult<Json<Value>> {
    let page = params.page(100)?;
    let filter = DailyFilter {
        trace_name: params.string("traceName")?,
        user_id: params.string("userId")?,
        tags: params.all("tags"),
        environments: params.all("environment"),
        from: params.datetime("fromTimestamp")?,
        to: params.datetime("toTimestamp")?,
    };
    let (data, total) = daily_metrics(&state.pool, &key.project_id, &filter, page.limit, page.offset).await?;
    Ok(Json(json!({ "data": data, "meta": PageMeta::new(page.page, page.limit, total) })))
}
