//! `/api/public/llm-connections` (docs/COMPATIBILITY.md, "LLM connections"): a project's
//! provider credentials, managed from scripts exactly as in Langfuse.
//!
//! - `GET ?page&limit`: newest first, `{data, meta}`; never a secret or a header value.
//! - `PUT`: upsert by `provider` (the connection's name): **201** when created, **200** when
//!   replaced. On replace, `secretKey`, `adapter`, `baseURL` (omitted → none), `customModels`
//!   (omitted → `[]`), `withDefaultModels` (omitted → true) and `extraHeaders` (omitted → none)
//!   are replaced; an omitted `config` keeps the stored one.
//! - `DELETE /{id}`: `{"message": "LLM connection successfully deleted"}`, 404 `LLM connection
//!   not found`.
//!
//! The key and the headers' values are sealed before they are stored (`loupe_core::secrets`).
//! Every change is in the audit log (actor: the API key), without a secret.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::auth::{ProjectAccess, ProjectKey};
use super::body::read_limited;
use super::error::{ApiError, ApiResult};
use super::PublicState;
use loupe_core::store::audit_log::{self, Actor, Entry};
use loupe_core::store::llm_connections as store;
use loupe_app::domain::llm_connections::{Adapter, ConnectionInput, LlmConnection};

const MAX_BODY_BYTES: usize = 256 * 1024;
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 100;

pub async fn list(State(state): State<PublicState>, ProjectAccess(key): ProjectAccess, RawQuery(query): RawQuery) -> ApiResult<Json<Value>> {
    let (page, limit) = pagination(query.as_deref())?;
    let (data, total) = store::page(&state.pool, &key.project_id, (page - 1).saturating_mul(limit), limit).await?;
    Ok(Json(json!({
        "data": data,
        "meta": { "page": page, "limit": limit, "totalItems": total, "totalPages": (total + limit - 1) / limit },
    })))
}

pub async fn upsert(State(state): State<PublicState>, ProjectAccess(key): ProjectAccess, body: Body) -> ApiResult<(StatusCode, Json<LlmConnection>)> {
    let secrets = state.secrets.clone().ok_or_else(|| ApiError::unavailable("LLM connections are not available: this instance has no LOUPE_SECRET", 60))?;
    let bytes = read_limited(body, MAX_BODY_BYTES).await?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|error| invalid(format!("the body is not valid JSON: {error}")))?;
    let input = input_from_json(&body)?.checked().map_err(invalid)?;
    let mut tx = state.pool.begin().await.map_err(ApiError::from)?;
    let before = store::by_provider(&mut tx, &key.project_id, &input.provider).await?;
    let (connection, created) = store::upsert(&mut tx, &secrets, &key.project_id, &input).await?;
    let action = if created { "llm_connection.create" } else { "llm_connection.update" };
    audit(&mut tx, &key, action, &connection.id, before.map(|c| json!(c)), Some(json!(connection))).await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(connection)))
}

pub async fn delete(State(state): State<PublicState>, ProjectAccess(key): ProjectAccess, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let mut tx = state.pool.begin().await.map_err(ApiError::from)?;
    let Some(deleted) = store::delete(&mut tx, &key.project_id, &id).await? else {
        return Err(ApiError::not_found("LLM connection not found"));
    };
    audit(&mut tx, &key, "llm_connection.delete", &deleted.id, Some(json!(deleted)), None).await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(Json(json!({ "message": "LLM connection successfully deleted" })))
}

async fn audit(tx: &mut sqlx::PgConnection, key: &ProjectKey, action: &str, id: &str, before: Option<Value>, after: Option<Value>) -> ApiResult<()> {
    let org_id = loupe_core::store::prompts::org_of(tx, &key.project_id).await?;
    audit_log::record(
        tx,
        Entry {
            org_id: &org_id,
            project_id: Some(&key.project_id),
            actor: Actor::ApiKey(key.api_key_id.clone()),
            action,
            resource_type: "llm_connection",
            resource_id: id,
            before,
            after,
        },
    )
    .await?;
    Ok(())
}

fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("Invalid request data: {detail}"))
}

/// The `PUT` body as a connection (fields as Langfuse names them), each field's type checked.
fn input_from_json(body: &Value) -> ApiResult<ConnectionInput> {
    let Some(map) = body.as_object() else { return Err(invalid("the body must be a JSON object")) };
    let string = |field: &str| -> ApiResult<Option<String>> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(format!("{field}: expected a string"))),
        }
    };
    let adapter_name = string("adapter")?.ok_or_else(|| invalid("adapter: required"))?;
    let adapter = Adapter::parse(&adapter_name)
        .ok_or_else(|| invalid(loupe_app::domain::llm_connections::ConnectionProblem::UnknownAdapter(adapter_name.clone())))?;
    let custom_models = match map.get("customModels") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|m| m.as_str().map(str::to_string).ok_or_else(|| invalid("customModels: expected an array of strings")))
            .collect::<ApiResult<_>>()?,
        Some(_) => return Err(invalid("customModels: expected an array of strings")),
    };
    let with_default_models = match map.get("withDefaultModels") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("withDefaultModels: expected a boolean")),
    };
    let extra_headers = match map.get("extraHeaders") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(headers)) => headers
            .iter()
            .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())).ok_or_else(|| invalid(format!("extraHeaders.{k}: expected a string"))))
            .collect::<ApiResult<_>>()?,
        Some(_) => return Err(invalid("extraHeaders: expected an object of strings")),
    };
    Ok(ConnectionInput {
        provider: string("provider")?.ok_or_else(|| invalid("provider: required"))?,
        adapter,
        secret_key: string("secretKey")?.ok_or_else(|| invalid("secretKey: required"))?,
        base_url: string("baseURL")?,
        custom_models,
        with_default_models,
        extra_headers,
        config: map.get("config").cloned(),
    })
}

/// `page` (≥ 1, default 1) and `limit` (1–100, default 50).
fn pagination(query: Option<&str>) -> ApiResult<(i64, i64)> {
    let (mut page, mut limit) = (1, DEFAULT_LIMIT);
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "page" => page = value.parse().ok().filter(|p: &i64| (1..=1_000_000).contains(p)).ok_or_else(|| invalid(format!("page: must be a positive integer, got {value:?}")))?,
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|l: &i64| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| invalid(format!("limit: must be an integer between 1 and {MAX_LIMIT}, got {value:?}")))?
            }
            _ => {}
        }
    }
    Ok((page, limit))
}
