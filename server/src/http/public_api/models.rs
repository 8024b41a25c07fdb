//! `/api/public/models` (docs/COMPATIBILITY.md §7.3): a project's own model definitions (prices,
//! match pattern, tokenizer) next to Langfuse's built-in ones.
//!
//! - `GET /models?page&limit` lists the project's models, then the built-in ones
//!   (`isLangfuseManaged: true`), as one paginated sequence.
//! - `POST /models` validates like Langfuse (flat prices XOR pricing tiers, tier rules, a
//!   pattern that compiles), stores the model and drops the project's pricing cache so the
//!   next ingested generation is priced with it.
//! - `GET /models/{id}` finds a project model or a built-in one; `DELETE /models/{id}` deletes
//!   project models only.
//!
//! Every query is scoped to the caller's project; another project's model ids answer 404.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::auth::ProjectAccess;
use super::body::read_limited;
use super::error::{ApiError, ApiResult};
use super::PublicState;
use crate::pricing::definition::{compile_match_pattern, parse_tiers, validate_tier_set, PricingTier};
use crate::pricing::{builtin, store};

const MAX_BODY_BYTES: usize = 1024 * 1024;
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 100;
const UNITS: [&str; 6] = ["TOKENS", "CHARACTERS", "MILLISECONDS", "SECONDS", "REQUESTS", "IMAGES"];
const TOKENIZERS: [&str; 2] = ["openai", "claude"];
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

/// The body of `POST /models`, validated as Langfuse's `PostModelsV1Body`. Errors name the
/// field.
fn new_model(request: &Value, project_id: &str, id: &str) -> Result<store::NewModel, String> {
    let body = request.as_object().ok_or("the body must be a JSON object")?;
    let model_name = match field(body, "modelName") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.chars().count() <= 255 => name.clone(),
        Some(Value::String(_)) => return Err("modelName: must be a non-empty string of at most 255 characters".into()),
        Some(_) => return Err("modelName: must be a string".into()),
        None => return Err("modelName: is required".into()),
    };
    let match_pattern = match field(body, "matchPattern") {
        Some(Value::String(pattern)) => pattern.clone(),
        Some(_) => return Err("matchPattern: must be a string (a regular expression)".into()),
        None => return Err("matchPattern: is required".into()),
    };
    compile_match_pattern(&match_pattern).map_err(|error| format!("matchPattern: {error}"))?;
    let start_date = field(body, "startDate").map(start_date).transpose()?;
    let unit = match field(body, "unit") {
        None => None,
        Some(Value::String(unit)) if UNITS.contains(&unit.as_str()) => Some(unit.clone()),
        Some(_) => return Err(format!("unit: must be one of {}", UNITS.join(", "))),
    };
    let price = |name: &str| -> Result<Option<f64>, String> {
        match field(body, name) {
            None => Ok(None),
            Some(value) => value
                .as_f64()
                .filter(|price| price.is_finite() && *price >= 0.0)
                .map(Some)
                .ok_or_else(|| format!("{name}: must be a non-negative number")),
        }
    };
    let (input_price, output_price, total_price) = (price("inputPrice")?, price("outputPrice")?, price("totalPrice")?);
    let tier_values = match field(body, "pricingTiers") {
        None => None,
        Some(Value::Array(tiers)) => Some(tiers),
        Some(_) => return Err("pricingTiers: must be an array of pricing tiers".into()),
    };
    let tokenizer_id = match field(body, "tokenizerId") {
        None => None,
        Some(Value::String(tokenizer)) if TOKENIZERS.contains(&tokenizer.as_str()) => Some(tokenizer.clone()),
        Some(_) => return Err("tokenizerId: must be \"openai\" or \"claude\"".into()),
    };
    let tokenizer_config = field(body, "tokenizerConfig").cloned();

    let has_flat_prices = input_price.is_some() || output_price.is_some() || total_price.is_some();
    let has_tiers = tier_values.is_some_and(|tiers| !tiers.is_empty());
    let pricing_tiers = match (has_flat_prices, has_tiers) {
        (true, true) => return Err("provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers, not both".into()),
        (false, false) => return Err("provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers".into()),
        (true, false) => {
            if total_price.is_some() && (input_price.is_some() || output_price.is_some()) {
                return Err("totalPrice: must be null when inputPrice or outputPrice is set".into());
            }
            let prices = [("input", input_price), ("output", output_price), ("total", total_price)]
                .into_iter()
                .filter_map(|(usage_type, price)| Some((usage_type.to_string(), price?)))
                .collect();
            vec![PricingTier {
                id: format!("{id}_tier_default"),
                name: "Standard".to_string(),
                is_default: true,
                priority: 0,
                conditions: Vec::new(),
                prices,
            }]
        }
        (false, true) => {
            // Tier ids are the server's to choose (Langfuse's input schema has none).
            let tiers_without_ids = tier_values
                .into_iter()
                .flatten()
                .map(|tier| match tier {
                    Value::Object(object) => {
                        Value::Object(object.iter().filter(|(k, _)| *k != "id").map(|(k, v)| (k.clone(), v.clone())).collect())
                    }
                    other => other.clone(),
                })
                .collect();
            let tiers = parse_tiers(&Value::Array(tiers_without_ids), "pricingTiers", |_| uuid::Uuid::new_v4().to_string())?;
            validate_tier_set(&tiers, "pricingTiers")?;
            tiers
        }
    };
    Ok(store::NewModel {
        project_id: project_id.to_string(),
        id: id.to_string(),
        model_name,
        match_pattern,
        start_date,
        unit,
        tokenizer_id,
        tokenizer_config,
        pricing_tiers,
    })
}

/// A present, non-null field (Langfuse's fields are `nullish`: null means absent).
fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.get(name).filter(|value| !value.is_null())
}

/// An ISO 8601 date-time with offset, or a plain date (midnight UTC).
fn start_date(value: &Value) -> Result<DateTime<Utc>, String> {
    let text = value.as_str().ok_or("startDate: must be an ISO 8601 date or date-time string")?;
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Ok(date.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
        .ok_or_else(|| format!("startDate: {text:?} is not an ISO 8601 date (2025-01-31) or date-time (2025-01-31T00:00:00Z)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: Value) -> Result<store::NewModel, String> {
        new_model(&body, "p", "m1")
    }

    #[test]
    fn flat_prices_become_one_default_tier() {
        let model = check(json!({"modelName": "m", "matchPattern": "(?i)^m$", "inputPrice": 1e-6, "outputPrice": 2e-6, "totalPrice": null,
                                 "unit": "TOKENS", "startDate": "2025-01-31", "tokenizerId": null}))
        .unwrap();
        assert_eq!(model.pricing_tiers.len(), 1);
        let tier = &model.pricing_tiers[0];
        assert_eq!((tier.id.as_str(), tier.name.as_str(), tier.is_default, tier.priority), ("m1_tier_default", "Standard", true, 0));
        assert_eq!(serde_json::to_value(&tier.prices).unwrap(), json!({"input": 1e-6, "output": 2e-6}));
        assert_eq!(model.start_date.unwrap().to_rfc3339(), "2025-01-31T00:00:00+00:00");
        assert_eq!(model.unit.as_deref(), Some("TOKENS"));
    }

    #[test]
    fn validation_messages_name_the_field() {
        let base = || json!({"modelName": "m", "matchPattern": "^m$", "inputPrice": 1.0});
        let with = |key: &str, value: Value| {
            let mut body = base();
            body[key] = value;
            body
        };
        let tier = json!({"name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}});
        let cases = [
            (json!([]), "the body must be a JSON object"),
            (json!({"matchPattern": "x", "inputPrice": 1}), "modelName: is required"),
            (with("modelName", json!("")), "modelName: must be a non-empty string"),
            (with("modelName", json!(5)), "modelName: must be a string"),
            (json!({"modelName": "m", "inputPrice": 1}), "matchPattern: is required"),
            (with("matchPattern", json!("gpt-(")), "matchPattern: is not a valid regular expression"),
            (with("matchPattern", json!("")), "matchPattern: must not be empty"),
            (with("startDate", json!("yesterday")), "startDate: \"yesterday\" is not an ISO 8601 date"),
            (with("unit", json!("PARSECS")), "unit: must be one of"),
            (with("inputPrice", json!(-1)), "inputPrice: must be a non-negative number"),
            (with("outputPrice", json!("1")), "outputPrice: must be a non-negative number"),
            (with("totalPrice", json!(1)), "totalPrice: must be null when inputPrice or outputPrice is set"),
            (with("tokenizerId", json!("sentencepiece")), "tokenizerId: must be \"openai\" or \"claude\""),
            (with("pricingTiers", json!([tier.clone()])), "not both"),
            (json!({"modelName": "m", "matchPattern": "x"}), "provide either flat prices"),
            (json!({"modelName": "m", "matchPattern": "x", "pricingTiers": []}), "provide either flat prices"),
            (json!({"modelName": "m", "matchPattern": "x", "pricingTiers": {}}), "pricingTiers: must be an array"),
            (
                json!({"modelName": "m", "matchPattern": "x", "pricingTiers": [{"name": "a", "isDefault": false, "priority": 1, "conditions": [], "prices": {"input": 1}}]}),
                "pricingTiers: exactly one pricing tier must have isDefault: true",
            ),
            (
                json!({"modelName": "m", "matchPattern": "x", "pricingTiers": [{"name": "a", "isDefault": true, "priority": 0, "prices": {"input": -1}}]}),
                "pricingTiers[0].prices.input: must be a non-negative number",
            ),
        ];
        for (body, expected) in cases {
            let error = check(body.clone()).unwrap_err();
            assert!(error.contains(expected), "{body}: {error}");
        }
    }

    #[test]
    fn tiers_get_fresh_ids() {
        let tiers = json!([
            {"id": "client-chosen", "name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}},
            {"name": "Flex", "priority": 1, "conditions": [{"source": "model_parameters", "key": "service_tier", "operator": "in", "values": ["flex"]}], "prices": {"input": 0.5}}
        ]);
        let model = check(json!({"modelName": "m", "matchPattern": "x", "pricingTiers": tiers})).unwrap();
        assert_eq!(model.pricing_tiers.len(), 2);
        assert_ne!(model.pricing_tiers[0].id, "client-chosen");
        assert_ne!(model.pricing_tiers[1].id, model.pricing_tiers[0].id);
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
