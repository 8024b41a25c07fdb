//! TODO: being built.

use super::error::ApiResult;
use axum::Json;
use serde_json::Value;

pub async fn list(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("models::list"))
}

pub async fn create(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("models::create"))
}

pub async fn get(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("models::get"))
}

pub async fn delete(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("models::delete"))
}

