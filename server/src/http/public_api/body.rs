//! Reading request bodies with a limit, so an oversize body gets a JSON 413 naming the limit
//! (axum's own limit answers in plain text).

use axum::body::{to_bytes, Body};
use bytes::Bytes;

use super::error::ApiError;

pub async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    to_bytes(body, limit).await.map_err(|error| {
        let too_large = std::error::Error::source(&error)
            .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::payload_too_large(limit)
        } else {
            ApiError::invalid(format!("could not read the request body: {error}"))
        }
    })
}
