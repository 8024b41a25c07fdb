//! TODO: being built.

use super::error::ApiResult;
use axum::Json;
use serde_json::Value;

pub async fn list() -> ApiResult<Json<Value>> {
    Err(super::not_built("models::list"))
}

pub async fn create() -> ApiResult<Json<Value>> {
    Err(super::not_built("models::create"))
}

pub async fn get() -> ApiResult<Json<Value>> {
    Err(super::not_built("models::get"))
}

pub async fn delete() -> ApiResult<Json<Value>> {
    Err(super::not_built("models::delete"))
}

