//! Media attachments for the browser: `GET /api/media/{project_id}/{media_id}`, what the trace
//! page's `<img>`, `<audio>` and download links point at (the SDKs use the signed URLs of
//! `public_api::media` instead). Allowed to a signed-in reader of the project, and to anyone for
//! media that a public trace of the project uses (its share link shows them). Otherwise 401
//! signed out, 404 signed in (as for any project the person is not in). Served with the same
//! inert headers as the signed downloads.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use loupe_app::auth::session::CurrentUser;
use loupe_app::domain::Action;
use loupe_app::error::AppError;
use loupe_core::scope::ProjectId;
use loupe_core::store;
use sqlx::PgPool;

use super::public_api::media::served;
use crate::media::MediaStore;

#[derive(Clone)]
pub struct MediaViewState {
    pub pool: PgPool,
    /// `None` when media storage is not configured: every read is 404.
    pub media: Option<Arc<MediaStore>>,
}

pub fn router<S>(state: MediaViewState) -> Router<S> {
    Router::new()
        .route("/{project_id}/{media_id}", get(read))
        .fallback(|| async { error(AppError::NotFound("no such media".to_string())) })
        .with_state(state)
}

async fn read(State(state): State<MediaViewState>, user: Option<Extension<CurrentUser>>, Path((project_id, media_id)): Path<(String, String)>) -> Response {
    let project_id = match allowed(&state.pool, user, &project_id, &media_id).await {
        Ok(project) => project,
        Err(e) => return error(e),
    };
    let not_found = || error(AppError::NotFound(format!("media {media_id}")));
    let Some(files) = &state.media else { return not_found() };
    let media = match store::media::get(&state.pool, &project_id, &media_id).await {
        Ok(Some(media)) if media.uploaded_at.is_some() => media,
        Ok(_) => return not_found(),
        Err(e) => return error(AppError::from(e)),
    };
    match files.read(&media.sha256).await {
        Ok(bytes) => served(&media, bytes),
        Err(_) => not_found(),
    }
}

/// A reader of the project, or media of one of its public traces.
async fn allowed(pool: &PgPool, user: Option<Extension<CurrentUser>>, project_id: &str, media_id: &str) -> Result<ProjectId, AppError> {
    if let Some(Extension(user)) = &user {
        match loupe_app::auth::access::project(pool, user, project_id, Action::ReadProjectData).await {
            Ok(scope) => return Ok(scope.project_id),
            Err(AppError::NotFound(_) | AppError::Forbidden(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if let Some(project) = store::media::public_project(pool, project_id, media_id).await? {
        return Ok(project);
    }
    Err(if user.is_some() { AppError::NotFound(format!("media {media_id}")) } else { AppError::SignInRequired })
}

use super::app_error as error;
