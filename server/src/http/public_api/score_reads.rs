//! TODO: being built.

use super::error::ApiResult;
use axum::Json;
use serde_json::Value;

pub async fn list_v1(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("score_reads::list_v1"))
}

pub async fn get_v1(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("score_reads::get_v1"))
}

pub async fn delete(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("score_reads::delete"))
}

pub async fn list_v2(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("score_reads::list_v2"))
}

pub async fn list_v3(_auth: super::auth::ProjectAccess) -> ApiResult<Json<Value>> {
    Err(super::not_built("score_reads::list_v3"))
}

