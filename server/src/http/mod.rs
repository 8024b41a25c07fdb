//! The HTTP surface: the public API under `/api/public`, the UI's server functions under
//! `/api/ui`, live-update event streams under `/api/live`, media attachments for the browser under
//! `/api/media`, server-rendered pages, and static
//! assets under `/pkg` (content-hashed, with their cache headers: [`assets`]).

pub mod assets;
pub mod health;
pub mod documents;
pub mod live;
pub mod playground;
pub mod media;
pub mod public_api;
pub mod request_log;
pub mod serve;
pub mod session;

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use loupe_app::state::AppState;
use loupe_app::{shell, App};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::Limits;

/// The whole application as one router: built apart from `main` so tests can drive it with
/// `tower::ServiceExt::oneshot` and no socket. Its live-update hub connects on the first
/// stream; the server uses [`router_with_live`] to share and shut down the process's one hub.
pub fn router(state: AppState) -> Router {
    let live = crate::live::Live::new(state.pool.clone());
    router_with_live(state, live)
}

/// [`router`] with the process's live-update hub.
pub fn router_with_live(state: AppState, live: crate::live::Live) -> Router {
    router_with_limits(state, live, &Limits::default())
}

/// [`router_with_live`] with configured limits (request timeout, body limits, admission).
pub fn router_with_limits(state: AppState, live: crate::live::Live, limits: &Limits) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .nest("/api/public", public_api::router_with_limits(&state, limits))
        .nest("/api/live", live::router(live::LiveState::new(state.pool.clone(), live)))
        .nest("/api/playground", playground::router(playground::PlaygroundState {
            pool: state.pool.clone(),
            secrets: state.settings.secrets.clone(),
            playground: std::sync::Arc::new(loupe_core::playground::Playground::new(state.pool.clone(), limits.into())),
        }))
        .nest("/api/media", media::router(media::MediaViewState { pool: state.pool.clone(), media: crate::media::MediaStore::from_settings(&state.settings) }))
        .leptos_routes_with_context(&state, routes, || {}, move || shell(leptos_options.clone()))
        // Static files from the site root, and the app's 404 page for anything else.
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(assets::cache_control))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), session::layer))
        .layer(axum::middleware::from_fn_with_state(limits.ui_max_body, session::limit_ui_body))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(limits.request_timeout, request_timeout))
        .layer(axum::middleware::from_fn(request_log::log_request))
        .with_state(state)
}

/// An `AppError` as the browser-facing routes outside server functions (live streams, media)
/// answer it: its status and the JSON body server functions send.
pub(crate) fn app_error(error: loupe_app::error::AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(error)).into_response()
}

/// Bounds the time until a response starts (streamed bodies, such as live updates, are not
/// bounded once started). The answer is the public API's JSON error shape on every route, pages
/// included: one shape is simpler for clients and a browser shows the message as text.
/// (tower-http's `TimeoutLayer` answers with an empty body, which SDK logs show as nothing.)
async fn request_timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let body = serde_json::json!({
                "message": format!("the request took longer than {} s and was stopped; retry, or send smaller batches", limit.as_secs()),
                "error": "RequestTimeoutError",
            });
            let mut response = (StatusCode::REQUEST_TIMEOUT, axum::Json(body)).into_response();
            // The request's body may be half read: the connection cannot carry another request.
            response.headers_mut().insert(axum::http::header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}
