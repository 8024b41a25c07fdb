//! TODO: being built.

use super::error::ApiResult;
use axum::Json;
use serde_json::Value;

pub async fn document() -> ApiResult<Json<Value>> {
    Err(super::not_built("openapi::document"))
}

