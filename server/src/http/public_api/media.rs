//! Media attachments (docs/COMPATIBILITY.md §7.5), as the SDKs upload them: `POST /media` with the
//! trace field, content type, length and SHA-256 → `{mediaId, uploadUrl}` (`uploadUrl: null` when
//! the bytes are already here); an HTTP `PUT` of the bytes to that URL; `PATCH /media/{id}` with
//! the upload's outcome; `GET /media/{id}` → a download URL. Upload and download URLs are this
//! server's, signed and expiring (`crate::media`), so no object store is needed.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Utc};
use loupe_core::scope::ProjectId;
use loupe_core::store;
use loupe_core::store::media::NewMedia;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::admission::{Route, Tenant};
use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::params::{json_body, PathId};
use super::PublicState;
use crate::media::{self, Access, MediaStore, CONTENT_TYPES, MAX_BYTES};

const JSON_LIMIT: usize = 64 * 1024;

fn store_of(state: &PublicState) -> ApiResult<&Arc<MediaStore>> {
    state.media.as_ref().ok_or_else(|| ApiError::unavailable("media storage is not configured on this server", 60))
}

/// The base of the URLs handed to SDKs: the configured public URL, else the address the SDK used.
fn base_url(state: &PublicState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.clone();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

fn signed_url(store: &MediaStore, base: &str, access: Access, project_id: &ProjectId, media_id: &str) -> (String, i64) {
    let (expires, signature) = store.sign(access, project_id, media_id);
    let verb = access.as_str();
    let project: String = url::form_urlencoded::byte_serialize(project_id.as_str().as_bytes()).collect();
    (format!("{base}/api/public/media/{verb}/{project}/{media_id}?expires={expires}&signature={signature}"), expires)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRequest {
    trace_id: Option<String>,
    observation_id: Option<String>,
    dataset_id: Option<String>,
    dataset_item_id: Option<String>,
    content_type: String,
    content_length: i64,
    sha256_hash: String,
    field: String,
}

pub async fn create(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<serde_json::Value>> {
    let store = store_of(&state)?;
    let request: UploadRequest = json_body(body, JSON_LIMIT, "{traceId, observationId?, contentType, contentLength, sha256Hash, field}").await?;
    if request.dataset_id.is_some() || request.dataset_item_id.is_some() {
        return Err(ApiError::invalid("datasetId/datasetItemId: media on dataset items is not supported yet; attach media to a trace"));
    }
    let trace_id = request.trace_id.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| ApiError::invalid("traceId: required"))?;
    if !CONTENT_TYPES.contains(&request.content_type.as_str()) {
        return Err(ApiError::invalid(format!("contentType: {:?} is not supported; expected one of {}", request.content_type, CONTENT_TYPES.join(", "))));
    }
    if !(1..=MAX_BYTES).contains(&request.content_length) {
        return Err(ApiError::invalid(format!("contentLength: {} is outside 1 to {MAX_BYTES} bytes", request.content_length)));
    }
    if !["input", "output", "metadata"].contains(&request.field.as_str()) {
        return Err(ApiError::invalid(format!("field: expected input, output or metadata, got {:?}", request.field)));
    }
    let hash = base64::engine::general_purpose::STANDARD
        .decode(&request.sha256_hash)
        .ok()
        .filter(|h| h.len() == 32)
        .ok_or_else(|| ApiError::invalid("sha256Hash: expected the base64 SHA-256 of the content (44 characters)"))?;
    let media_id = media::media_id(&hash);
    let sha256 = hex::encode(&hash);
    let new = NewMedia {
        id: &media_id,
        sha256: &sha256,
        content_type: &request.content_type,
        content_length: request.content_length,
        trace_id,
        observation_id: request.observation_id.as_deref().filter(|o| !o.is_empty()),
        field: &request.field,
    };
    let stored = store::media::register(&state.pool, &key.project_id, &new).await?;
    let upload_url = if stored.uploaded_at.is_some() && store.exists(&stored.sha256).await {
        None
    } else {
        Some(signed_url(store, &base_url(&state, &headers), Access::Upload, &key.project_id, &media_id).0)
    };
    Ok(Json(json!({ "mediaId": media_id, "uploadUrl": upload_url })))
}

#[derive(Debug, Deserialize)]
pub struct Signed {
    expires: i64,
    signature: String,
}

/// Missing or bad query parameters of a signed URL are a 403 like a wrong signature.
fn signed(query: Result<Query<Signed>, axum::extract::rejection::QueryRejection>) -> ApiResult<Signed> {
    query.map(|Query(s)| s).map_err(|_| forbidden())
}

fn forbidden() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "AccessDenied", "the media URL's signature is invalid or has expired; ask for a new one")
}

/// The bytes, to a signed upload URL: admitted like every ingestion body (per-project share and
/// the process's budget of bodies in memory, body timeout), then checked against the declared
/// length and hash.
pub async fn upload(
    State(state): State<PublicState>,
    Path((project_id, media_id)): Path<(String, String)>,
    query: Result<Query<Signed>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> ApiResult<StatusCode> {
    let store = store_of(&state)?;
    let Signed { expires, signature } = signed(query)?;
    let Some(project_id) = store.verify(Access::Upload, &project_id, &media_id, expires, &signature) else {
        return Err(forbidden());
    };
    let media = store::media::get(&state.pool, &project_id, &media_id).await?.ok_or_else(|| ApiError::not_found("media not found"))?;
    // Media bytes are not units: no quota (`metered: None`).
    let tenant = Tenant { project_id: project_id.to_string(), public_key_only: None, metered: None };
    let (_admitted, bytes) = state.admission.admit(tenant, body, Route::Media).await?;
    if bytes.len() as i64 > media.content_length {
        return Err(ApiError::payload_too_large(media.content_length as usize));
    }
    if bytes.len() as i64 != media.content_length {
        return Err(ApiError::invalid(format!("the body has {} bytes; {} were declared", bytes.len(), media.content_length)));
    }
    if hex::encode(Sha256::digest(&bytes)) != media.sha256 {
        return Err(ApiError::invalid("the body's SHA-256 differs from the declared sha256Hash"));
    }
    store.write(&media.sha256, bytes).await.map_err(|error| {
        tracing::error!(%error, "could not store a media file");
        ApiError::unavailable("the media file could not be written; retry later", 5)
    })?;
    store::media::mark_uploaded(&state.pool, &project_id, &media_id).await?;
    Ok(StatusCode::OK)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReport {
    #[allow(dead_code)] // accepted for compatibility; the server records its own upload time
    uploaded_at: Option<DateTime<Utc>>,
    upload_http_status: Option<i32>,
    upload_http_error: Option<String>,
}

pub async fn report(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, PathId(id): PathId, body: Body) -> ApiResult<StatusCode> {
    let report: UploadReport = json_body(body, JSON_LIMIT, "{uploadedAt, uploadHttpStatus, uploadHttpError?}").await?;
    let error = report.upload_http_error.filter(|e| !e.is_empty());
    if store::media::record_upload_report(&state.pool, &key.project_id, &id, report.upload_http_status, error.as_deref()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("media {id} not found")))
    }
}

pub async fn get(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let store = store_of(&state)?;
    let media = store::media::get(&state.pool, &key.project_id, &id).await?.ok_or_else(|| ApiError::not_found(format!("media {id} not found")))?;
    let Some(uploaded_at) = media.uploaded_at else {
        return Err(ApiError::not_found(format!("media {id} has not been uploaded yet")));
    };
    let (url, expires) = signed_url(store, &base_url(&state, &headers), Access::Download, &key.project_id, &id);
    let expiry = DateTime::from_timestamp(expires, 0).unwrap_or_default();
    Ok(Json(json!({
        "mediaId": media.id, "contentType": media.content_type, "contentLength": media.content_length,
        "uploadedAt": uploaded_at, "url": url, "urlExpiry": expiry,
    })))
}

/// The bytes, from a signed download URL, as a type that cannot run in the browser.
pub async fn download(
    State(state): State<PublicState>,
    Path((project_id, media_id)): Path<(String, String)>,
    query: Result<Query<Signed>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let store = store_of(&state)?;
    let Signed { expires, signature } = signed(query)?;
    let Some(project_id) = store.verify(Access::Download, &project_id, &media_id, expires, &signature) else {
        return Err(forbidden());
    };
    let media = store::media::get(&state.pool, &project_id, &media_id)
        .await?
        .filter(|m| m.uploaded_at.is_some())
        .ok_or_else(|| ApiError::not_found("media not found"))?;
    let bytes = store.read(&media.sha256).await.map_err(|_| ApiError::not_found("media not found"))?;
    Ok(served(&media, bytes))
}

/// Response headers that keep a download inert: only images (not SVG), audio, video and plain
/// text keep their type and are shown inline; everything else is an `application/octet-stream`
/// attachment. A sandboxing CSP and `nosniff` (set for every response) cover the rest.
pub fn served(media: &store::media::Media, bytes: Vec<u8>) -> Response {
    let inert = media::is_inert(&media.content_type);
    let content_type = if inert { media.content_type.as_str() } else { "application/octet-stream" };
    let extension = media.content_type.rsplit('/').next().unwrap_or("bin").split('+').next().unwrap_or("bin");
    let disposition = format!("{}; filename=\"{}.{extension}\"", if inert { "inline" } else { "attachment" }, media.id);
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    response
}
