//! `POST /api/public/scores` (docs/COMPATIBILITY.md §6.1): one score object (200 `{"id"}`) or, as
//! Python SDK 5.x sends them, an array (202 when all are stored, 207 with counts and per-score
//! errors otherwise; the valid scores of the array are stored either way). Public-key Bearer auth
//! is accepted here for browser feedback widgets.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::auth::ScoreAccess;
use super::admission::Route;
use super::error::{ApiError, ApiResult};
use super::PublicState;
use crate::ingest::model::IngestBatch;
use crate::ingest::scores;

/// The default limit (`--batch-max-body`; the admission policy applies it).
pub const MAX_BODY_BYTES: usize = 4_500_000;

pub async fn create(State(state): State<PublicState>, access: ScoreAccess, body: Body) -> ApiResult<Response> {
    let (admitted, bytes) = state.admission.admit(&access, body, Route::Batch).await?;
    let request: Value = serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::invalid(format!("Invalid request data: body is not valid JSON: {error}")))?;
    let project_id = access.key.project_id.clone();
    let now = Utc::now();

    let (items, is_array) = match &request {
        Value::Array(items) => (items.iter().collect::<Vec<_>>(), true),
        object => (vec![object], false),
    };
    // Body checks first, then one config lookup for every score that passed them.
    let mut drafts = Vec::with_capacity(items.len());
    let mut errors: Vec<(StatusCode, String)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = if is_array { format!("[{index}]") } else { "body".to_string() };
        match scores::parse(item, &path, now) {
            Ok(draft) => drafts.push(((), path, draft)),
            Err(message) => errors.push((StatusCode::BAD_REQUEST, message)),
        }
    }
    let mut batch = IngestBatch::default();
    for ((), outcome) in scores::resolve_configs(&state.pool, &project_id, drafts).await? {
        match outcome {
            Ok(record) => batch.scores.push(record),
            Err(rejection) => errors.push((
                StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::BAD_REQUEST),
                rejection.message().to_string(),
            )),
        }
    }
    if !is_array && !errors.is_empty() {
        let (status, message) = errors.swap_remove(0);
        return Err(ApiError::new(status, "InvalidRequestError", message));
    }
    let ids: Vec<String> = batch.scores.iter().map(|s| s.id.clone()).collect();
    let mut accepted = ids.len();
    let stored = admitted.store(&state, &access.key, batch).await?;
    // Only a score the database refused on its own lands here (one unit per score's trace).
    for unstored in stored.unstored {
        let status = StatusCode::from_u16(unstored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if !is_array {
            return Err(ApiError::new(status, "InvalidRequestError", unstored.message));
        }
        accepted -= unstored.scores;
        errors.push((status, unstored.message));
    }

    Ok(if !is_array {
        (StatusCode::OK, Json(json!({ "id": ids[0] }))).into_response()
    } else if errors.is_empty() {
        (StatusCode::ACCEPTED, Json(json!({ "message": "Accepted" }))).into_response()
    } else {
        let errors: Vec<Value> = errors.into_iter().map(|(_, message)| json!({ "message": message })).collect();
        (StatusCode::MULTI_STATUS, Json(json!({ "accepted": accepted, "rejected": items.len() - accepted, "errors": errors }))).into_response()
    })
}
