//! `POST /api/public/ingestion` (docs/COMPATIBILITY.md §3): the batch API of Python SDK 2.x (all
//! tracing) and of later SDKs (scores). Always 207 once the batch parses, with one entry per
//! event in `successes` or `errors`; invalid events never keep the valid ones from being stored.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::auth::{AccessLevel, ScoreAccess};
use super::admission::Route;
use super::error::{ApiError, ApiResult};
use super::PublicState;
use crate::ingest::{self, legacy, scores};

/// Langfuse's limit (Next.js body parser): the default of `--batch-max-body`, applied by the
/// admission policy.
pub const MAX_BODY_BYTES: usize = 4_500_000;

pub async fn batch(State(state): State<PublicState>, access: ScoreAccess, body: Body) -> ApiResult<Response> {
    let (admitted, bytes) = state.admission.admit(&access, body, Route::Batch).await?;
    let request: Value = serde_json::from_slice(&bytes).map_err(|error| {
        ApiError { error: json!(format!("body is not valid JSON: {error}")), ..ApiError::invalid("Invalid request data") }
    })?;
    let events = match request.get("batch") {
        Some(Value::Array(events)) => events,
        _ => {
            return Err(ApiError {
                error: json!("batch: expected an array of events, e.g. {\"batch\": [{\"id\", \"type\", \"timestamp\", \"body\"}]}"),
                ..ApiError::invalid("Invalid request data")
            })
        }
    };
    let scope = match access.level {
        AccessLevel::Project => legacy::Scope::All,
        AccessLevel::Scores => legacy::Scope::ScoresOnly,
    };
    let project_id = access.key.project_id.clone();
    let mut parsed = legacy::parse_batch(events, scope);

    let drafts = std::mem::take(&mut parsed.score_drafts).into_iter().map(|(id, draft)| (id, "body".to_string(), draft)).collect();
    for (envelope_id, outcome) in scores::resolve_configs(&state.pool, &project_id, drafts).await? {
        match outcome {
            Ok(record) => {
                parsed.successes.push(legacy::Accepted { id: envelope_id, unit: Some(ingest::score_unit(&record)) });
                parsed.batch.scores.push(record);
            }
            Err(rejection) => parsed.errors.push(legacy::EventError {
                id: envelope_id,
                status: rejection.status(),
                message: "Invalid request data".into(),
                error: rejection.message().to_string(),
            }),
        }
    }

    let started = std::time::Instant::now();
    let batch = std::mem::take(&mut parsed.batch);
    let stored = admitted.store(&state, &access.key, batch).await?;
    tracing::debug!(summary = ?stored.summary, elapsed_ms = started.elapsed().as_millis() as u64, "ingestion batch stored");
    parsed.refuse(&stored.unstored);

    let successes: Vec<Value> = parsed.successes.iter().map(|a| json!({ "id": a.id, "status": 201 })).collect();
    let errors: Vec<Value> = parsed
        .errors
        .iter()
        .map(|e| json!({ "id": e.id, "status": e.status, "message": e.message, "error": e.error }))
        .collect();
    Ok((StatusCode::MULTI_STATUS, Json(json!({ "successes": successes, "errors": errors }))).into_response())
}
