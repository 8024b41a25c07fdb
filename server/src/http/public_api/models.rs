//! `/api/public/models` (docs/COMPATIBILITY.md §7.3): a project's own model definitions (prices,
//! match pattern, tokenizer) next to Langfuse's built-in ones.
//!
//! - `GET /models?page&limit` lists the project's models, then the built-in ones
//!   (`isLangfuseManaged: true`), as one paginated sequence.
//! - `POST /models` validates like Langfuse (flat prices XOR pricing tiers, tier rules, a
//!   pattern that compiles; and no overlapping tiers, #22) with the check the models page uses
//!   (`pricing::check`), stores the model and drops the process's pricing caches so the next
//!   ingested generation is priced with it.
//! - `GET /models/{id}` finds a project model or a built-in one; `DELETE /models/{id}` deletes
//!   project models only.
//!
//! Every query is scoped to the caller's project; another project's model ids answer 404.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::auth::ProjectAccess;
use super::body::read_limited;
use super::error::{ApiError, ApiResult};
use super::PublicState;
use crate::pricing::{builtin, check, store};

const MAX_BODY_BYTES: usize = 1024 * 1024;
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 100;
const NOT_FOUND: &str = "No model with this id found.";

pub async fn list(
    State(state): State<PublicState>,
    ProjectAccess(key): ProjectAccess,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let (page, limit) = pagination(query.as_deref())?;
    let offset = (page - 1).saturating_mul(limit);
    let (project_models, n_project) = store::page(&state.pool, &key.project_id, offset, limit).await?;

    let builtins = builtin::models();
    let builtin_offset = usize::try_from((offset - n_project).max(0)).unwrap_or(usize::MAX);
    let remaining = usize::try_from(limit).unwrap_or(0).saturating_sub(project_models.len());
    let mut data: Vec<Value> = project_models.iter().map(|model| model.to_api_json()).collect();
    data.extend(builtins.iter().skip(builtin_offset).take(remaining).map(|model| model.to_api_json()));

    let total_items = n_project + i64::try_from(builtins.len()).unwrap_or(i64::MAX);
    Ok(Json(json!({
        "data": data,
        "meta": { "page": page, "limit": limit, "totalItems": total_items, "totalPages": (total_items + limit - 1) / limit },
    })))
}

pub async fn create(State(state): State<PublicState>, ProjectAccess(key): ProjectAccess, body: Body) -> ApiResult<Json<Value>> {
    let bytes = read_limited(body, MAX_BODY_BYTES).await?;
    let request: Value = serde_json::from_slice(&bytes).map_err(|error| invalid(format!("the body is not valid JSON: {error}")))?;
    let id = uuid::Uuid::new_v4().to_string();
    let model = new_model(&request, key.project_id.as_str(), &id).map_err(invalid)?;
    let stored = store::insert(&state.pool, model).await.map_err(|error| match error {
        duplicate @ store::InsertError::Duplicate { .. } => invalid(duplicate.to_string()),
        store::InsertError::Database(error) => ApiError::from(error),
    })?;
    state.pricing.invalidate(&key.project_id);
    Ok(Json(stored.to_api_json()))
}

pub async fn get(State(state): State<PublicState>, ProjectAccess(key): ProjectAccess, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    if let Some(model) = store::get(&state.pool, &key.project_id, &id).await? {
        return Ok(Json(model.to_api_json()));
    }
    match builtin::by_id(&id) {
        Some(model) => Ok(Json(model.to_api_json())),
        None => Err(ApiError::not_found(NOT_FOUND)),
    }
}

pub async fn delete(State(state): State<PublicState>, ProjectAccess(key): ProjectAccess, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    if store::delete(&state.pool, &key.project_id, &id).await? {
        state.pricing.invalidate(&key.project_id);
        return Ok(Json(json!({ "message": "Model successfully deleted" })));
    }
    if let Some(model) = builtin::by_id(&id) {
        return Err(invalid(format!(
            "model {id} ({}) is a Langfuse-managed built-in model and cannot be deleted; to change its prices, \
             create a project model whose matchPattern covers the same model names",
            model.model_name
        )));
    }
    Err(ApiError::not_found(format!("{NOT_FOUND} Note: You cannot delete built-in models, override them with a model with the same name.")))
}

fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("Invalid request data: {detail}"))
}

/// `page` (≥ 1, default 1) and `limit` (1–100, default 50) from the query string.
fn pagination(query: Option<&str>) -> ApiResult<(i64, i64)> {
    let mut page = 1;
    let mut limit = DEFAULT_LIMIT;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "page" => {
                page = value
                    .parse::<i64>()
                    .ok()
                    .filter(|p| *p >= 1 && *p <= 1_000_000)
                    .ok_or_else(|| invalid(format!("page: must be a positive integer, got {value:?}")))?;
            }
            "limit" => {
                limit = value
                    .parse::<i64>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| invalid(format!("limit: must be an integer between 1 and {MAX_LIMIT}, got {value:?}")))?;
            }
            _ => {}
        }
    }
    Ok((page, limit))
}

/// The body of `POST /models`, validated as Langfuse's `PostModelsV1Body` by the check the
/// models page uses too (`pricing::check`). Errors name the field; tier ids are the server's.
fn new_model(request: &Value, project_id: &str, id: &str) -> Result<store::NewModel, String> {
    check::check_model(request, project_id, id, |_| false).map_err(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_check_answers_with_the_field() {
        // The rules themselves are tested with the check (`pricing::check`); here, that the route
        // reads them as its message, field first, and never keeps a client's tier id.
        let error = new_model(&json!({"modelName": "m", "matchPattern": "x", "inputPrice": -1}), "p", "m1").unwrap_err();
        assert_eq!(error, "inputPrice: must be a non-negative number");
        let tiers = json!([{"id": "client-chosen", "name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}}]);
        let model = new_model(&json!({"modelName": "m", "matchPattern": "x", "pricingTiers": tiers}), "p", "m1").unwrap();
        assert_ne!(model.pricing_tiers[0].id, "client-chosen");
    }

    #[test]
    fn pagination_bounds() {
        assert_eq!(pagination(None).unwrap(), (1, 50));
        assert_eq!(pagination(Some("page=3&limit=100&other=x")).unwrap(), (3, 100));
        for query in ["limit=0", "limit=101", "limit=abc", "page=0", "page=-1", "page=1.5"] {
            let error = pagination(Some(query)).unwrap_err();
            assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST, "{query}");
            assert!(error.message.contains(query.split('=').next().unwrap()), "{query}: {}", error.message);
        }
    }
}
