//! TODO: being built.

use super::error::ApiResult;
use axum::Json;
use serde_json::Value;

pub async fn list(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("traces::list"))
}

pub async fn delete_many(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("traces::delete_many"))
}

pub async fn get(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("traces::get"))
}

pub async fn delete(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("traces::delete"))
}

