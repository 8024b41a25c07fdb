//! The HTTP surface: the public API under `/api/public`, the UI's server functions under
//! `/api/ui`, live-update event streams under `/api/live`, server-rendered pages, and static
//! assets under `/pkg`.

pub mod health;
pub mod live;
pub mod public_api;
pub mod request_log;
pub mod session;

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use loupe_app::state::AppState;
use loupe_app::{shell, App};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// The whole application as one router: built apart from `main` so tests can drive it with
/// `tower::ServiceExt::oneshot` and no socket. Its live-update hub connects on the first
/// stream; the server uses [`router_with_live`] to share and shut down the process's one hub.
pub fn router(state: AppState) -> Router {
    let live = crate::live::Live::new(state.pool.clone());
    router_with_live(state, live)
}

/// [`router`] with the process's live-update hub.
pub fn router_with_live(state: AppState, live: crate::live::Live) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .nest("/api/public", public_api::router_for(&state))
        .nest("/api/live", live::router(live::LiveState::new(state.pool.clone(), live)))
        .leptos_routes_with_context(&state, routes, || {}, move || shell(leptos_options.clone()))
        // Static files from the site root, and the app's 404 page for anything else.
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), session::layer))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        .layer(axum::middleware::from_fn(request_log::log_request))
        .with_state(state)
}
