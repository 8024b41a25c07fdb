//! `GET /api/public/projects`: the project the API key belongs to, in a one-element list. The
//! SDKs' `auth_check()` calls it to validate credentials (an empty list means "no project") and
//! experiment runners read it to build UI links. Never rate-limited in Langfuse, cheap here.

use axum::extract::State;
use axum::Json;
use loupe_app::domain::project::ProjectSummary;
use serde::Serialize;

use super::auth::ProjectAccess;
use super::error::ApiResult;
use super::PublicState;

#[derive(Serialize)]
pub struct Projects {
    data: Vec<ProjectSummary>,
}

pub async fn list(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>) -> ApiResult<Json<Projects>> {
    let project = loupe_core::store::projects::summary(&state.pool, &key.project_id).await?;
    Ok(Json(Projects { data: project.into_iter().collect() }))
}
