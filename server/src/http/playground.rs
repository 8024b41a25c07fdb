//! The playground's runs for the browser (`/api/playground/*`, #18):
//!
//! - `POST /api/playground/projects/{project_id}/runs` with a `RunRequest` (JSON): one variant,
//!   answered as server-sent events, event `run`, data a `RunEvent` (started, deltas, tool calls,
//!   then done or failed). Closing the request is the Stop button: the provider call is dropped.
//!
//! Signed in by the session cookie, Members and up (`Action::UsePlayground`); signed out is 401,
//! a project the person is not in 404, a run that fails its checks 400 naming the field, all as
//! the JSON `AppError` server functions answer; past a refusing plan's quota 429 naming the plan
//! (#22, `loupe_core::limits`). Everything after the checks (no such connection,
//! the project's run limit, any provider error) arrives as a `failed` event in the stream, so the
//! column shows it like any other failure. The provider key is opened here and handed to the
//! provider call only: it is never part of an event, a log line or the recorded trace.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use loupe_app::auth::session::CurrentUser;
use loupe_app::domain::playground::{RunRequest, RUN_EVENT};
use loupe_app::domain::Action;
use loupe_app::error::AppError;
use loupe_core::playground::{Playground, Runner};
use loupe_core::secrets::SecretBox;
use sqlx::PgPool;

use super::app_error as error;

#[derive(Clone)]
pub struct PlaygroundState {
    pub pool: PgPool,
    pub secrets: Option<SecretBox>,
    pub playground: Arc<Playground>,
}

pub fn router<S>(state: PlaygroundState) -> Router<S> {
    Router::new()
        .route("/projects/{project_id}/runs", post(run))
        .fallback(|| async { error(AppError::NotFound("no such playground route".to_string())) })
        .with_state(state)
}

async fn run(
    State(state): State<PlaygroundState>,
    extensions: axum::http::Extensions,
    headers: axum::http::HeaderMap,
    user: Option<Extension<CurrentUser>>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<RunRequest>, JsonRejection>,
) -> Response {
    let project_id = match path {
        Ok(Path(project_id)) => project_id,
        Err(rejection) => return error(AppError::invalid("path", rejection.body_text())),
    };
    let Some(Extension(user)) = user else { return error(AppError::SignInRequired) };
    let scope = match loupe_app::auth::access::project(&state.pool, &user, &project_id, Action::UsePlayground).await {
        Ok(scope) => scope,
        Err(e) => return error(e),
    };
    let request = match body {
        Ok(Json(request)) => request,
        Err(rejection) => return error(AppError::invalid("body", rejection.body_text())),
    };
    let run = match request.checked() {
        Ok(run) => run,
        Err(problem) => return error(AppError::invalid(&problem.field(), problem.to_string())),
    };
    // The run is recorded as a trace, units (#22): past a refusing plan's quota it is refused
    // before the provider is called, in the person's language, naming the plan.
    if let Err(refused) = loupe_core::limits::check_ingestion(&state.pool, &scope.project_id).await {
        let locale = loupe_app::language::locale_of(&extensions, &headers);
        return error(loupe_app::server_fns::usage::limit_error_in(locale, refused));
    }
    let Some(secrets) = &state.secrets else { return error(AppError::Unavailable) };
    let connection = run.variant.connection.clone();
    let credentials =
        match loupe_core::store::llm_connections::credentials(&state.pool, secrets, &scope.project_id, &connection).await {
            Ok(credentials) => credentials,
            Err(e) => {
                tracing::error!(error = %e, "the credentials of a playground run could not be read");
                return error(AppError::Internal);
            }
        };
    let runner = Runner { project_id: scope.project_id.clone(), user_id: user.user_id.clone() };
    let events = state.playground.start(runner, credentials, &connection, run);
    let stream = futures_util::stream::unfold(events, |mut events| async move {
        let event = events.recv().await?;
        let data = serde_json::to_string(&event).unwrap_or_default();
        Some((Ok::<_, Infallible>(Event::default().event(RUN_EVENT).data(data)), events))
    });
    let mut response = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    // Reverse proxies (nginx) would otherwise buffer the stream and deliver tokens late.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
