//! The Langfuse-compatible public API (`/api/public/*`, docs/COMPATIBILITY.md). Errors are JSON
//! `{ "message": ..., "error": ... }` with the statuses the SDKs understand. One module per
//! resource; authentication in `auth`, backpressure in `admission`.

pub mod admission;
pub mod auth;
pub mod body;
pub mod comments;
pub mod dataset_runs;
pub mod datasets;
pub mod error;
pub mod filter;
pub mod media;
pub mod ingestion;
pub mod llm_connections;
pub mod metrics;
pub mod models;
pub mod observations;
pub mod openapi;
pub mod otel;
pub mod params;
pub mod projects;
pub mod prompts;
pub mod annotation_queues;
pub mod score_configs;
pub mod score_reads;
pub mod scores;
pub mod sessions;
pub mod traces;

use std::sync::Arc;

use axum::extract::{FromRef, OriginalUri};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use loupe_app::state::AppState;
use serde_json::json;
use sqlx::PgPool;
use tower_http::cors::{Any, CorsLayer};

use super::health;
use crate::config::Limits;
use crate::pricing::Pricing;

/// A confirmation body, `{"message": "..."}` (Langfuse's answer to deletions).
#[derive(Debug, serde::Serialize)]
pub struct Message {
    pub message: &'static str,
}

/// State of the public API routes.
#[derive(Clone)]
pub struct PublicState {
    pub pool: PgPool,
    pub keys: Arc<auth::KeyCache>,
    pub admission: Arc<admission::Admission>,
    pub pricing: Arc<Pricing>,
    /// Media attachments' files and URL signing; `None` answers the media routes with 503.
    pub media: Option<Arc<crate::media::MediaStore>>,
    /// `LOUPE_PUBLIC_URL`, for the URLs handed to SDKs (else the request's `Host`).
    pub public_url: Option<String>,
    /// Seals LLM connections' keys; `None` answers their writes with 503.
    pub secrets: Option<Arc<loupe_core::secrets::SecretBox>>,
}

impl PublicState {
    pub fn new(pool: PgPool) -> Self {
        PublicState::with_limits(pool, &Limits::default())
    }

    pub fn with_limits(pool: PgPool, limits: &Limits) -> Self {
        PublicState {
            pricing: Arc::new(Pricing::new(pool.clone())),
            admission: Arc::new(admission::Admission::new(limits.into()).with_quota(pool.clone())),
            pool,
            keys: Arc::default(),
            media: None,
            public_url: None,
            secrets: None,
        }
    }
}

impl FromRef<PublicState> for PgPool {
    fn from_ref(state: &PublicState) -> Self {
        state.pool.clone()
    }
}

pub fn router<S>(state: PublicState) -> Router<S> {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/openapi.json", get(openapi::document))
        // Writes.
        .route("/otel/v1/traces", post(otel::export))
        .route("/ingestion", post(ingestion::batch))
        .route("/scores", post(scores::create).get(score_reads::list_v1))
        .route("/scores/{id}", get(score_reads::get_v1).delete(score_reads::delete))
        // Reads.
        .route("/projects", get(projects::list))
        .route("/traces", get(traces::list).delete(traces::delete_many))
        .route("/traces/{id}", get(traces::get).delete(traces::delete))
        .route("/observations", get(observations::list_v1))
        .route("/observations/{id}", get(observations::get_v1))
        .route("/v2/observations", get(observations::list_v2))
        .route("/metrics", get(metrics::v1))
        .route("/metrics/daily", get(metrics::daily))
        .route("/v2/metrics", get(metrics::v2))
        .route("/sessions", get(sessions::list))
        .route("/sessions/{id}", get(sessions::get))
        .route("/v2/scores", get(score_reads::list_v2))
        .route("/v2/scores/{id}", get(score_reads::get_v2))
        .route("/v3/scores", get(score_reads::list_v3))
        .route("/annotation-queues", get(annotation_queues::list).post(annotation_queues::create))
        .route("/annotation-queues/{id}", get(annotation_queues::get))
        .route("/annotation-queues/{id}/items", get(annotation_queues::items).post(annotation_queues::add_item))
        .route("/annotation-queues/{queue_id}/items/{item_id}", get(annotation_queues::item).patch(annotation_queues::update_item).delete(annotation_queues::delete_item))
        .route("/annotation-queues/{id}/assignments", post(annotation_queues::assign).delete(annotation_queues::unassign))
        .route("/comments", get(comments::list).post(comments::create))
        .route("/comments/{id}", get(comments::get))
        .route("/v2/datasets", get(datasets::list_v2).post(datasets::create_v2))
        .route("/v2/datasets/{name}", get(datasets::get_v2))
        .route("/v2/datasets/{name}/{*rest}", get(datasets::get_v2_nested))
        .route("/datasets", get(datasets::list_v1).post(datasets::create_v1))
        .route("/datasets/{name}", get(datasets::get_v1))
        .route("/datasets/{name}/{*rest}", get(dataset_runs::nested).delete(dataset_runs::nested))
        .route("/dataset-items", get(datasets::list_items).post(datasets::create_item))
        .route("/dataset-items/{id}", get(datasets::get_item).delete(datasets::delete_item))
        .route("/dataset-run-items", get(dataset_runs::list).post(dataset_runs::create))
        .route("/score-configs", get(score_configs::list).post(score_configs::create))
        .route("/score-configs/{id}", get(score_configs::get).patch(score_configs::update))
        .route("/models", get(models::list).post(models::create))
        .route("/models/{id}", get(models::get).delete(models::delete))
        .route("/v2/prompts", get(prompts::list).post(prompts::create))
        .route("/v2/prompts/{name}", get(prompts::get).delete(prompts::delete))
        .route("/v2/prompts/{name}/versions/{version}", axum::routing::patch(prompts::update_labels))
        .route("/v2/prompts/{name}/{*rest}", get(prompts::nested).delete(prompts::nested).patch(prompts::nested))
        .route("/prompts", get(prompts::get_v1).post(prompts::create_v1))
        .route("/llm-connections", get(llm_connections::list).put(llm_connections::upsert))
        .route("/llm-connections/{id}", axum::routing::delete(llm_connections::delete))
        .route("/media", post(media::create))
        .route("/media/{id}", get(media::get).patch(media::report))
        .route("/media/upload/{project}/{id}", axum::routing::put(media::upload))
        .route("/media/download/{project}/{id}", get(media::download))
        .fallback(not_found)
        // Browser feedback widgets post scores with the public key from any origin.
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods(Any)
                .allow_headers(Any)
                .max_age(std::time::Duration::from_secs(86400)),
        )
        .with_state(state)
}

pub fn router_for(app: &AppState) -> Router<AppState> {
    router_with_limits(app, &Limits::default())
}

pub fn router_with_limits(app: &AppState, limits: &Limits) -> Router<AppState> {
    let media = crate::media::MediaStore::from_settings(&app.settings);
    router(PublicState {
        media,
        public_url: app.settings.public_url.clone(),
        secrets: app.settings.secrets.clone().map(Arc::new),
        ..PublicState::with_limits(app.pool.clone(), limits)
    })
}

async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "message": format!("no public API route for {method} {}", uri.path()), "error": "NotFound" })),
    )
        .into_response()
}
