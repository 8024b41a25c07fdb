//! Live updates for the browser as server-sent events (`/api/live/*`):
//! - `GET /api/live/projects/{project_id}/traces`: event `traces` when traces of the project
//!   change;
//! - `GET /api/live/projects/{project_id}/traces/{trace_id}`: event `trace` when that trace does.
//!
//! - `GET /api/live/projects/{project_id}/documents/{kind}/{key}`: a WebSocket to a
//!   collaborative document ([`super::documents`]).
//!
//! Both streams start with event `ready` once the server listens (see `loupe_app::domain::live` for the
//! event data). Signed in by the session cookie (the session middleware puts `CurrentUser` in
//! the request; these are not pages, so it does not redirect them), authorised like any read of
//! project data: signed out is 401, a project the person is not in is 404, both JSON
//! `AppError`s as server functions answer. Access is checked again every
//! [`ACCESS_RECHECK`] while the stream is open, so signing out or losing the membership ends it
//! (the browser then reconnects and gets the 401 or 404).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use loupe_app::auth::session::CurrentUser;
use loupe_app::domain::live::{READY_EVENT, TRACES_EVENT, TRACE_EVENT};
use loupe_app::domain::Action;
use loupe_app::error::AppError;
use sqlx::PgPool;
use tokio::time::Instant;

use crate::live::{Filter, Live, Output, Subscription};

/// A comment line this often keeps proxies and browsers from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often an open stream re-checks the session and the membership.
pub const ACCESS_RECHECK: Duration = Duration::from_secs(60);

/// State of the live routes.
#[derive(Clone)]
pub struct LiveState {
    pub pool: PgPool,
    pub live: Live,
    /// Collaborative documents (the WebSocket route, [`super::documents`]).
    pub collab: loupe_core::collab::Collab,
    /// [`ACCESS_RECHECK`]; shorter in tests.
    pub access_recheck: Duration,
}

impl LiveState {
    pub fn new(pool: PgPool, live: Live) -> LiveState {
        let collab = super::documents::hub(&pool, &live);
        LiveState { pool, live, collab, access_recheck: ACCESS_RECHECK }
    }
}

pub fn router<S>(state: LiveState) -> Router<S> {
    Router::new()
        .route("/projects/{project_id}/traces", get(project_traces))
        .route("/projects/{project_id}/traces/{trace_id}", get(one_trace))
        .route("/projects/{project_id}/documents/{kind}/{key}", get(super::documents::open))
        .fallback(|| async { error(AppError::NotFound("no such live stream".to_string())) })
        .with_state(state)
}

async fn project_traces(
    State(state): State<LiveState>,
    user: Option<Extension<CurrentUser>>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let project_id = match path {
        Ok(Path(project_id)) => project_id,
        Err(rejection) => return error(AppError::invalid("path", rejection.body_text())),
    };
    match authorize(&state.pool, user, &project_id).await {
        Ok(user) => stream(state, user, Filter::Project { project_id }, TRACES_EVENT),
        Err(e) => error(e),
    }
}

async fn one_trace(
    State(state): State<LiveState>,
    user: Option<Extension<CurrentUser>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let (project_id, trace_id) = match path {
        Ok(Path(ids)) => ids,
        Err(rejection) => return error(AppError::invalid("path", rejection.body_text())),
    };
    match authorize(&state.pool, user, &project_id).await {
        Ok(user) => stream(state, user, Filter::Trace { project_id, trace_id }, TRACE_EVENT),
        Err(e) => error(e),
    }
}

/// Signed in, and allowed to read the project's data.
async fn authorize(pool: &PgPool, user: Option<Extension<CurrentUser>>, project_id: &str) -> Result<CurrentUser, AppError> {
    let Some(Extension(user)) = user else { return Err(AppError::SignInRequired) };
    loupe_app::auth::access::project(pool, &user, project_id, Action::ReadProjectData).await?;
    Ok(user)
}

/// Whether the session is still live and the person still a reader of the project.
async fn still_allowed(pool: &PgPool, user: &CurrentUser, project_id: &str) -> bool {
    match loupe_core::store::sign_in_sessions::user_for(pool, &user.token).await {
        Ok(Some(user_id)) if user_id == user.user_id => {}
        Ok(_) => return false,
        // The database is away: keep the stream (it carries no data, only ids) and ask later.
        Err(_) => return true,
    }
    match loupe_app::auth::access::project(pool, user, project_id, Action::ReadProjectData).await {
        Ok(_) => true,
        Err(AppError::Unavailable | AppError::Internal) => true,
        Err(_) => false,
    }
}

use super::app_error as error;

struct Open {
    pool: PgPool,
    user: CurrentUser,
    project_id: String,
    subscription: Subscription,
    next_check: Instant,
    recheck: Duration,
    event_name: &'static str,
}

fn stream(state: LiveState, user: CurrentUser, filter: Filter, event_name: &'static str) -> Response {
    let project_id = match &filter {
        Filter::Project { project_id } | Filter::Trace { project_id, .. } => project_id.clone(),
    };
    let open = Open {
        subscription: state.live.subscribe(filter),
        pool: state.pool,
        user,
        project_id,
        next_check: Instant::now() + state.access_recheck,
        recheck: state.access_recheck,
        event_name,
    };
    let events = futures_util::stream::unfold(open, |mut open| async move {
        loop {
            tokio::select! {
                output = open.subscription.next() => {
                    let event = match output? {
                        Output::Ready => Event::default().event(READY_EVENT).data("{}"),
                        Output::Changed(data) => {
                            Event::default().event(open.event_name).data(serde_json::to_string(&data).unwrap_or_default())
                        }
                    };
                    return Some((Ok::<_, Infallible>(event), open));
                }
                _ = tokio::time::sleep_until(open.next_check) => {
                    if !still_allowed(&open.pool, &open.user, &open.project_id).await {
                        return None;
                    }
                    open.next_check = Instant::now() + open.recheck;
                }
            }
        }
    });
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response();
    // Reverse proxies (nginx) would otherwise buffer the stream and deliver events late.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
