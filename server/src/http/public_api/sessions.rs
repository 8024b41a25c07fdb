//! Session reads (docs/COMPATIBILITY.md §7.1): `GET /sessions` (newest first, page-paginated,
//! filtered by creation time and environment) and `GET /sessions/{id}` (the session with all
//! its traces, oldest first — not paginated, as in Langfuse).

use axum::extract::State;
use axum::Json;
use loupe_app::domain::trace_views::{Paginated, Session, SessionWithTraces};
use loupe_core::store;
use loupe_core::store::sessions::SessionFilter;

use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::params::{Params, PathId};
use super::PublicState;

pub async fn list(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<Session>>> {
    let page = params.page(100)?;
    let filter = SessionFilter {
        from_timestamp: params.datetime("fromTimestamp")?,
        to_timestamp: params.datetime("toTimestamp")?,
        environments: params.all("environment"),
    };
    let (sessions, total) = tokio::try_join!(
        store::sessions::list(&state.pool, &key.project_id, &filter, page.window()),
        store::sessions::count(&state.pool, &key.project_id, &filter),
    )?;
    Ok(Json(Paginated { data: sessions, meta: page.meta(total) }))
}

pub async fn get(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
) -> ApiResult<Json<SessionWithTraces>> {
    let session = store::sessions::get(&state.pool, &key.project_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Session {id} not found within authorized project")))?;
    let traces = store::traces::for_session(&state.pool, &key.project_id, &id).await?;
    Ok(Json(SessionWithTraces { session, traces }))
}
