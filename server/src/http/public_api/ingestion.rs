//! TODO

use super::error::ApiResult;
use axum::Json;
use serde_json::Value;

pub async fn batch(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("ingestion"))
}
