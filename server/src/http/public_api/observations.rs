//! TODO: being built.

use super::error::ApiResult;
use axum::Json;
use serde_json::Value;

pub async fn list_v1(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("observations::list_v1"))
}

pub async fn get_v1(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("observations::get_v1"))
}

pub async fn list_v2(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("observations::list_v2"))
}

