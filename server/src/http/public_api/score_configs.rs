//! Score configs (docs/COMPATIBILITY.md §6.4): `POST/GET /score-configs`,
//! `GET/PATCH /score-configs/{id}`. A config fixes a score name's data type and allowed values;
//! ingestion checks scores that reference one.
//!
//! Bodies are read field by field from JSON rather than through serde derive, so that a wrong
//! field is reported by name and position (`categories[1].value: expected a number`). The rules
//! themselves live in `loupe_app::domain::score_views` and are checked again on the merged config
//! of a PATCH, under a row lock, so two concurrent edits cannot combine into an invalid config.

use axum::body::Body;
use axum::extract::State;
use axum::Json;
use loupe_app::domain::score_views::{
    boolean_categories, validate_score_config, ConfigCategory, ScoreConfig, ScoreConfigShape,
};
use loupe_app::domain::trace_views::Paginated;
use loupe_app::domain::ScoreDataType;
use loupe_core::store;
use loupe_core::store::score_configs::NewScoreConfig;
use serde_json::{Map, Value};
use loupe_app::domain::json;

use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::params::{json_body, Params, PathId};
use super::PublicState;

const BODY_LIMIT: usize = 256 * 1024;
const CONFIG_TYPES: &[ScoreDataType] =
    &[ScoreDataType::Numeric, ScoreDataType::Categorical, ScoreDataType::Boolean, ScoreDataType::Text];

fn expected(field: &str, what: &str, got: &Value) -> ApiError {
    ApiError::invalid(format!("{field}: expected {what}, got {}", json::kind(got)))
}

/// A field of the body: absent → `None`, present (maybe null) → `Some(value)`.
struct JsonFields<'a>(&'a Map<String, Value>);

impl JsonFields<'_> {
    fn present(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// Absent → None; null → Some(None) when `nullable`, else an error.
    fn string(&self, field: &str, nullable: bool) -> ApiResult<Option<Option<String>>> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Null) if nullable => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(other) => Err(expected(field, "a string", other)),
        }
    }

    fn number(&self, field: &str) -> ApiResult<Option<Option<f64>>> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::Number(n)) => Ok(Some(n.as_f64())),
            Some(other) => Err(expected(field, "a number", other)),
        }
    }

    fn boolean(&self, field: &str) -> ApiResult<Option<bool>> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(expected(field, "true or false", other)),
        }
    }

    /// Absent or null → None.
    fn categories(&self) -> ApiResult<Option<Vec<ConfigCategory>>> {
        let items = match self.0.get("categories") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(other) => return Err(expected("categories", "an array of {label, value} objects", other)),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let Value::Object(item) = item else {
                    return Err(expected(&format!("categories[{i}]"), "a {label, value} object", item));
                };
                let label = match item.get("label") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => return Err(expected(&format!("categories[{i}].label"), "a string", other)),
                    None => return Err(ApiError::invalid(format!("categories[{i}].label: missing"))),
                };
                let value = match item.get("value") {
                    Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
                    Some(other) => return Err(expected(&format!("categories[{i}].value"), "a number", other)),
                    None => return Err(ApiError::invalid(format!("categories[{i}].value: missing"))),
                };
                Ok(ConfigCategory { label, value })
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(Some)
    }
}

fn object(value: &Value) -> ApiResult<&Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| ApiError::invalid(format!("the request body must be a JSON object, got {}", json::kind(value))))
}

fn check(config: &ScoreConfigShape<'_>) -> ApiResult<()> {
    validate_score_config(config).map_err(ApiError::invalid)
}

pub async fn create(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    body: Body,
) -> ApiResult<Json<ScoreConfig>> {
    let value: Value =
        json_body(body, BODY_LIMIT, r#"{"name": ..., "dataType": "NUMERIC|CATEGORICAL|BOOLEAN|TEXT", ...}"#).await?;
    let body = JsonFields(object(&value)?);
    let name = body.string("name", false)?.flatten().ok_or_else(|| ApiError::invalid("name: missing"))?;
    let data_type = match body.string("dataType", false)?.flatten() {
        None => return Err(ApiError::invalid("dataType: missing; one of NUMERIC, CATEGORICAL, BOOLEAN, TEXT")),
        Some(raw) => raw
            .parse::<ScoreDataType>()
            .ok()
            .filter(|t| CONFIG_TYPES.contains(t))
            .ok_or_else(|| super::params::invalid_choice("dataType", &raw, CONFIG_TYPES))?,
    };
    let mut categories = body.categories()?;
    if data_type == ScoreDataType::Boolean {
        if categories.is_some() {
            return Err(ApiError::invalid(
                "categories: BOOLEAN configs get the categories True = 1 and False = 0 automatically; do not send categories",
            ));
        }
        categories = Some(boolean_categories());
    }
    let config = NewScoreConfig {
        id: uuid::Uuid::new_v4().to_string(),
        min_value: body.number("minValue")?.flatten(),
        max_value: body.number("maxValue")?.flatten(),
        description: body.string("description", true)?.flatten(),
        name,
        data_type,
        categories,
    };
    check(&ScoreConfigShape {
        name: &config.name,
        data_type: config.data_type,
        min_value: config.min_value,
        max_value: config.max_value,
        categories: config.categories.as_deref(),
    })?;
    Ok(Json(store::score_configs::create(&state.pool, &key.project_id, &config).await?))
}

pub async fn list(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<ScoreConfig>>> {
    let page = params.page(100)?;
    let (configs, total) = tokio::try_join!(
        store::score_configs::list(&state.pool, &key.project_id, page.window()),
        store::score_configs::count(&state.pool, &key.project_id),
    )?;
    Ok(Json(Paginated { data: configs, meta: page.meta(total) }))
}

fn config_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Score config {id} not found within authorized project"))
}

pub async fn get(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
) -> ApiResult<Json<ScoreConfig>> {
    let config =
        store::score_configs::get(&state.pool, &key.project_id, &id).await?.ok_or_else(|| config_not_found(&id))?;
    Ok(Json(config))
}

const PATCH_FIELDS: &[&str] = &["isArchived", "name", "categories", "minValue", "maxValue", "description"];

/// Changes the given fields. `minValue`, `maxValue` and `description` may be null to clear them.
pub async fn update(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
    body: Body,
) -> ApiResult<Json<ScoreConfig>> {
    let value: Value = json_body(
        body,
        BODY_LIMIT,
        r#"{"name"?, "isArchived"?, "categories"?, "minValue"?, "maxValue"?, "description"?}"#,
    )
    .await?;
    let body = JsonFields(object(&value)?);
    if !PATCH_FIELDS.iter().any(|f| body.present(f)) {
        return Err(ApiError::invalid(format!(
            "Request body cannot be empty. At least one field must be provided for update: {}",
            PATCH_FIELDS.join(", ")
        )));
    }
    // Parse everything before touching the database.
    let is_archived = body.boolean("isArchived")?;
    let name = body.string("name", false)?.flatten();
    let categories = if body.present("categories") && body.0["categories"].is_null() {
        return Err(expected("categories", "an array of {label, value} objects", &Value::Null));
    } else {
        body.categories()?
    };
    let min_value = body.number("minValue")?;
    let max_value = body.number("maxValue")?;
    let description = body.string("description", true)?;

    let mut tx = state.pool.begin().await?;
    let mut config = store::score_configs::get_for_update(&mut tx, &key.project_id, &id)
        .await?
        .ok_or_else(|| config_not_found(&id))?;
    if let Some(v) = is_archived {
        config.is_archived = v;
    }
    if let Some(v) = name {
        config.name = v;
    }
    if let Some(v) = categories {
        config.categories = Some(v);
    }
    if let Some(v) = min_value {
        config.min_value = v;
    }
    if let Some(v) = max_value {
        config.max_value = v;
    }
    if let Some(v) = description {
        config.description = v;
    }
    check(&ScoreConfigShape {
        name: &config.name,
        data_type: config.data_type,
        min_value: config.min_value,
        max_value: config.max_value,
        categories: config.categories.as_deref(),
    })?;
    let updated = store::score_configs::update(&mut tx, &key.project_id, &config).await?;
    tx.commit().await?;
    Ok(Json(updated))
}
