//! `GET /api/public/health` (no auth, as in Langfuse): 200 when the database answers, 503 when
//! it does not. `GET /api/public/ready`: 200 while the server accepts traffic.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use sqlx::PgPool;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
const DATABASE_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn health(State(pool): State<PgPool>) -> (StatusCode, Json<Value>) {
    let probe = tokio::time::timeout(DATABASE_PROBE_TIMEOUT, sqlx::query("SELECT 1").execute(&pool)).await;
    match probe {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({ "status": "OK", "version": VERSION }))),
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: database not available");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "Database not available", "version": VERSION })))
        }
        Err(_) => {
            tracing::warn!("health check: database did not answer within 3s");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "Database not available", "version": VERSION })))
        }
    }
}

pub async fn ready() -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({ "status": "OK", "version": VERSION })))
}
