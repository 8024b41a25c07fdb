//! `POST /api/public/otel/v1/traces` (LANGFUSE_COMPAT.md §4.1): OTLP over HTTP, protobuf or
//! JSON, optionally gzip. Decoding and mapping run on the blocking pool (CPU work); the batch is
//! committed before the 200, so the exporter's retry covers anything not acknowledged.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::admission::Route;
use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::PublicState;
use crate::ingest::otel::{self, OtelRequestError};

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub async fn export(
    State(state): State<PublicState>,
    ProjectAccess(key): ProjectAccess,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    if let Some(version) = header_str(&headers, "x-langfuse-ingestion-version") {
        match version.trim().parse::<u32>() {
            Ok(v) if v <= 4 => {}
            _ => return Err(ApiError::invalid(format!("x-langfuse-ingestion-version: unsupported value {version:?}; at most 4"))),
        }
    }
    // Compressed bodies are bounded by the admission policy, decompressed ones by `otel::MAX_DECODED_BYTES`.
    let content_type = header_str(&headers, header::CONTENT_TYPE.as_str()).map(str::to_owned);
    let content_encoding = header_str(&headers, header::CONTENT_ENCODING.as_str()).map(str::to_owned);
    let route = if content_encoding.is_some() { Route::OtelCompressed } else { Route::Otel };
    let (admitted, bytes) = state.admission.admit(&key, body, route).await?;
    let is_protobuf = content_type.as_deref().is_some_and(|c| c.contains("application/x-protobuf"));
    let received_at = Utc::now();
    let mapped = tokio::task::spawn_blocking(move || {
        otel::ingest_export(bytes, content_type.as_deref(), content_encoding.as_deref(), received_at)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let batch = mapped.map_err(|error| match error {
        OtelRequestError::TooLarge => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLargeError", error.to_string()),
        OtelRequestError::UnsupportedContentType(_) => ApiError::new(StatusCode::BAD_REQUEST, "Invalid content type", error.to_string()),
        other => ApiError::invalid(other.to_string()),
    })?;
    admitted.store(&state, &key.project_id, batch).await?;
    // An empty ExportTraceServiceResponse: zero bytes in protobuf, `{}` in JSON.
    Ok(if is_protobuf {
        (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-protobuf")], Vec::<u8>::new()).into_response()
    } else {
        (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{}").into_response()
    })
}
