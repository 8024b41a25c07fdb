//! TODO

use super::error::ApiResult;
use axum::Json;
use serde_json::Value;

pub async fn create(_auth: super::auth::ScoreAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("scores"))
}
