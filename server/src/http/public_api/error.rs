//! Errors of the public API, as Langfuse shapes them: a status and `{"message", "error"}`. The
//! message says what was wrong and where, so a person reading an SDK log can fix the call.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loupe_core::store::StoreError;
use serde_json::{json, Value};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Langfuse's error name (`UnauthorizedError`, `InvalidRequestError`, ...) or details.
    pub error: Value,
    /// Seconds for a `Retry-After` header (429/503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), error: Value::String(error.to_string()), retry_after: None }
    }

    /// 400 for a request that cannot be read; the message names the field or position.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "InvalidRequestError", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "LangfuseNotFoundError", message)
    }

    pub fn payload_too_large(limit: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeError",
            format!("request body exceeds the limit of {limit} bytes; send smaller batches"),
        )
    }

    /// 503 with `Retry-After`: the server is overloaded or the database is unreachable; the SDKs
    /// retry these.
    pub fn unavailable(message: impl Into<String>, retry_after: u64) -> Self {
        ApiError { retry_after: Some(retry_after), ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableError", message) }
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(message: impl Into<String>, retry_after: u64) -> Self {
        ApiError { retry_after: Some(retry_after), ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message) }
    }

    pub fn internal() -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "Internal Server Error")
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::from(StoreError::from(error))
    }
}

impl From<StoreError> for ApiError {
    /// An outage is retryable (503 with `Retry-After`), a missing row a 404, a duplicate a 409, a
    /// value the database refuses the client's mistake (400 saying which kind of value), anything
    /// else a 500 with the details in the log only (`store::fault` classifies).
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(error) => {
                tracing::warn!(%error, "database unavailable");
                ApiError::unavailable("Service Unavailable: the database is not reachable, retry later", 2)
            }
            StoreError::NotFound => ApiError::not_found("the requested resource was not found"),
            StoreError::Conflict { constraint } => {
                tracing::debug!(%constraint, "conflict");
                ApiError::new(StatusCode::CONFLICT, "ConflictError", "a resource with the same identity already exists")
            }
            StoreError::BadValue(message) => ApiError::invalid(message),
            // Langfuse's wording, naming the field (and where in it the value fails).
            StoreError::Schema(problem) => ApiError::invalid(problem.to_string()),
            StoreError::Other(error) => {
                tracing::error!(%error, "database error");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "message": self.message, "error": self.error }))).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
