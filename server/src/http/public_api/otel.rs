//! `POST /api/public/otel/v1/traces` (docs/COMPATIBILITY.md §4.1): OTLP over HTTP, protobuf or
//! JSON, optionally gzip. Decoding and mapping run on the blocking pool (CPU work); the batch is
//! committed before the 200, so the exporter's retry covers anything not acknowledged.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::admission::Route;
use super::auth::IngestAccess;
use super::error::{ApiError, ApiResult};
use super::PublicState;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use prost::Message;
use serde_json::json;

use crate::ingest::otel::{self, MappedExport, OtelRequestError};

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub async fn export(
    State(state): State<PublicState>,
    IngestAccess(key): IngestAccess,
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
    // The body is kept (`Bytes`: shared, not copied) so that the rare unit-by-unit fallback maps it
    // again rather than every write copying the batch ahead (`ingest::store_or_again`).
    let map = move |bytes: bytes::Bytes| {
        let (content_type, content_encoding) = (content_type.clone(), content_encoding.clone());
        tokio::task::spawn_blocking(move || otel::ingest_export(bytes, content_type.as_deref(), content_encoding.as_deref(), received_at))
    };
    let mapped = map(bytes.clone()).await.map_err(|_| ApiError::internal())?;
    let MappedExport { batch, mut rejected_spans } = mapped.map_err(|error| match error {
        OtelRequestError::TooLarge => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLargeError", error.to_string()),
        OtelRequestError::UnsupportedContentType(_) => ApiError::new(StatusCode::BAD_REQUEST, "Invalid content type", error.to_string()),
        other => ApiError::invalid(other.to_string()),
    })?;
    let spans = batch.observations.len();
    let again = || async move { map(bytes).await.ok().and_then(Result::ok).map(|mapped| mapped.batch) };
    let stored = admitted.store_or_again(&state, &key, batch, again).await?;
    let refused_when_mapped = rejected_spans.len();
    let mut unstored_spans = 0;
    for unstored in stored.unstored {
        unstored_spans += unstored.observations;
        rejected_spans.push(unstored.message);
    }
    if rejected_spans.is_empty() {
        return Ok(response(is_protobuf, None));
    }
    let message = rejected_spans.join("; ");
    if unstored_spans == spans {
        // Nothing of the export was stored: a 400 the exporter reports and does not retry.
        return Err(ApiError::invalid(format!("Invalid OTLP trace export: {message}")));
    }
    let rejected = (refused_when_mapped + unstored_spans) as i64;
    Ok(response(is_protobuf, Some(ExportTracePartialSuccess { rejected_spans: rejected, error_message: message })))
}

/// An `ExportTraceServiceResponse`: empty (zero bytes in protobuf, `{}` in JSON) when every span
/// was stored, else with `partialSuccess` counting the refused spans and saying why, which OTLP
/// exporters log and do not retry.
fn response(is_protobuf: bool, partial_success: Option<ExportTracePartialSuccess>) -> Response {
    if is_protobuf {
        let body = ExportTraceServiceResponse { partial_success }.encode_to_vec();
        (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-protobuf")], body).into_response()
    } else {
        // proto3 JSON: int64 as a decimal string.
        let body = match partial_success {
            None => json!({}),
            Some(p) => json!({ "partialSuccess": { "rejectedSpans": p.rejected_spans.to_string(), "errorMessage": p.error_message } }),
        };
        (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    }
}
