//! The Langfuse-compatible public API (`/api/public/*`). Errors are JSON `{ "message": ... }`
//! with a status the SDKs understand.

use axum::extract::OriginalUri;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use loupe_app::state::AppState;
use serde_json::json;

use super::health;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .fallback(not_found)
}

async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "message": format!("no public API route for {method} {}", uri.path()), "error": "NotFound" })),
    )
        .into_response()
}
