//! TODO: being built.

use super::error::ApiResult;
use axum::Json;
use serde_json::Value;

pub async fn list(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("projects::list"))
}

