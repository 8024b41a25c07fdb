//! Datasets and dataset items (docs/COMPATIBILITY.md §7.2): Langfuse's `/v2/datasets`,
//! `/datasets` (v1) and `/dataset-items` routes, which `get_dataset`, `create_dataset(_item)` and
//! the experiment runners of every SDK call. Runs and run items are in `dataset_runs`.
//!
//! As in Langfuse: a dataset is upserted by name, an item by id (absent or `null` fields keep
//! the stored value), item ids are unique per project (409 across datasets), the item list holds
//! ACTIVE items only, newest version first, and `?version=T` reads the dataset as it was at T.
//! Names may hold `/` (folders): a `%2F` in the path segment is part of the name, and a name sent
//! unencoded (`/v2/datasets/evals/qa`, as the 2.x Python SDK does) is read whole. Every refusal
//! is a 4xx naming the field. The datasets' JSON Schemas are enforced by the store
//! (`loupe_core::datasets_schema`, so the UI's writes obey them too); its `StoreError::Schema`
//! becomes a 400 in Langfuse's words (`error.rs`).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use loupe_app::domain::datasets::{check_item_id, check_name, Dataset, DatasetItem, ItemStatus};
use loupe_app::domain::json::kind;
use loupe_app::domain::trace_views::Paginated;
use loupe_core::scope::ProjectId;
use loupe_core::store::datasets::{
    self as store, DatasetUpsert, ItemFilter, ItemUpsert, ItemWrite,
};
use loupe_core::store::StoreError;
use serde::Serialize;
use serde_json::{Map, Value};

use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::params::{json_body, Params, PathId};
use super::{Message, PublicState};
use axum::http::StatusCode;

/// Dataset bodies: a name, a description, metadata and two schemas.
const DATASET_BODY_LIMIT: usize = 1024 * 1024;
/// Langfuse's limit for item bodies (4.5 MB).
pub(super) const ITEM_BODY_LIMIT: usize = 4_500_000;
const DATASET_EXPECTED: &str =
    r#"{"name", "description"?, "metadata"?, "inputSchema"?, "expectedOutputSchema"?}"#;
const ITEM_EXPECTED: &str = r#"{"datasetName", "input"?, "expectedOutput"?, "metadata"?, "id"?, "sourceTraceId"?, "sourceObservationId"?, "status"?: "ACTIVE" | "ARCHIVED"}"#;
/// The largest page of the lists (Langfuse's).
const MAX_LIMIT: i64 = 100;

// ---------------------------------------------------------------------------------------------
// Request bodies

/// A JSON object body, read field by field so each wrong value is reported by name.
pub(super) struct Fields(Map<String, Value>);

impl Fields {
    pub(super) async fn read(body: Body, limit: usize, expected: &str) -> ApiResult<Fields> {
        let value: Value = json_body(body, limit, expected).await?;
        match value {
            Value::Object(map) => Ok(Fields(map)),
            other => Err(ApiError::invalid(format!(
                "the request body must be a JSON object {expected}, got {}",
                kind(&other)
            ))),
        }
    }

    /// 400 for a field not in `known` (the bodies Langfuse reads strictly).
    pub(super) fn strict(&self, known: &[&str]) -> ApiResult<()> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(ApiError::invalid(format!(
                "unknown field {k:?}; this endpoint accepts {}",
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// Whether the field was sent at all (even as `null`).
    fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The value, `None` when absent or `null`.
    pub(super) fn value(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    /// A string, `None` when absent or `null`; any other type is a 400 naming the field.
    pub(super) fn string(&self, field: &str) -> ApiResult<Option<&str>> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ApiError::invalid(format!(
                "{field} must be a string, got {}",
                kind(other)
            ))),
        }
    }

    pub(super) fn required(&self, field: &str) -> ApiResult<&str> {
        self.string(field)?
            .ok_or_else(|| ApiError::invalid(format!("{field} is required")))
    }

    /// An ISO 8601 datetime with a timezone; `None` when absent or `null`.
    pub(super) fn datetime(&self, field: &str) -> ApiResult<Option<DateTime<Utc>>> {
        let Some(text) = self.string(field)? else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(text.trim()).map(|t| Some(t.with_timezone(&Utc))).map_err(|_| {
            ApiError::invalid(format!("{field} must be an ISO 8601 datetime with a timezone, e.g. 2026-01-31T12:00:00Z, got {text:?}"))
        })
    }
}

/// A JSON Schema field: absent → keep, `null` → clear, an object (or `true`/`false`) → set.
/// Only the JSON type is checked here; whether it is a valid JSON Schema, and whether the
/// dataset's items satisfy it, the store decides (`store::upsert_dataset`).
fn schema<'a>(fields: &'a Fields, field: &str) -> ApiResult<Option<Option<&'a Value>>> {
    if !fields.has(field) {
        return Ok(None);
    }
    match fields.value(field) {
        None => Ok(Some(None)),
        Some(value @ (Value::Object(_) | Value::Bool(_))) => Ok(Some(Some(value))),
        Some(other) => Err(ApiError::invalid(format!(
            "{field} must be a JSON Schema (an object) or null, got {}",
            kind(other)
        ))),
    }
}

fn dataset_not_found() -> ApiError {
    ApiError::not_found("Dataset not found")
}

// ---------------------------------------------------------------------------------------------
// Datasets

async fn upsert(state: &PublicState, project_id: &ProjectId, body: Body) -> ApiResult<Dataset> {
    let fields = Fields::read(body, DATASET_BODY_LIMIT, DATASET_EXPECTED).await?;
    let name = fields.required("name")?;
    check_name(name).map_err(|problem| ApiError::invalid(problem.to_string()))?;
    let description = fields.string("description")?;
    let input = DatasetUpsert {
        name,
        description,
        metadata: fields.value("metadata"),
        input_schema: schema(&fields, "inputSchema")?,
        expected_output_schema: schema(&fields, "expectedOutputSchema")?,
    };
    let mut conn = state.pool.acquire().await?;
    let (dataset, _) = store::upsert_dataset(&mut conn, project_id, &input).await?;
    Ok(dataset)
}

/// `POST /v2/datasets`: create, or update the dataset of that name.
pub async fn create_v2(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    body: Body,
) -> ApiResult<Json<Dataset>> {
    upsert(&state, &key.project_id, body).await.map(Json)
}

/// `GET /v2/datasets`: newest first.
pub async fn list_v2(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<Dataset>>> {
    let page = params.page(MAX_LIMIT)?;
    let (data, total) = store::list_datasets(&state.pool, &key.project_id, page.window()).await?;
    Ok(Json(Paginated {
        data,
        meta: page.meta(total),
    }))
}

async fn dataset_named(
    state: &PublicState,
    project_id: &ProjectId,
    name: &str,
) -> ApiResult<Dataset> {
    let mut conn = state.pool.acquire().await?;
    store::dataset_by_name(&mut conn, project_id, name)
        .await?
        .ok_or_else(dataset_not_found)
}

/// `GET /v2/datasets/{name}` (`%2F` in the segment is part of the name).
pub async fn get_v2(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(name): PathId,
) -> ApiResult<Json<Dataset>> {
    dataset_named(&state, &key.project_id, &name)
        .await
        .map(Json)
}

/// `GET /v2/datasets/{folder}/{rest…}`: a folder name sent unencoded.
pub async fn get_v2_nested(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    Path((first, rest)): Path<(String, String)>,
) -> ApiResult<Json<Dataset>> {
    dataset_named(&state, &key.project_id, &format!("{first}/{rest}"))
        .await
        .map(Json)
}

/// The v1 shape: the dataset with its items (ids in lists, objects in the single read) and the
/// names of its runs.
#[derive(Serialize)]
pub struct DatasetV1<T> {
    #[serde(flatten)]
    pub dataset: Dataset,
    pub items: Vec<T>,
    pub runs: Vec<String>,
}

/// `POST /datasets` (v1): as v2, answered with empty `items` and `runs`.
pub async fn create_v1(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    body: Body,
) -> ApiResult<Json<DatasetV1<String>>> {
    let dataset = upsert(&state, &key.project_id, body).await?;
    Ok(Json(DatasetV1 {
        dataset,
        items: Vec::new(),
        runs: Vec::new(),
    }))
}

/// `GET /datasets` (v1): each dataset with its ACTIVE item ids and run names.
pub async fn list_v1(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<DatasetV1<String>>>> {
    let page = params.page(MAX_LIMIT)?;
    let (datasets, total) =
        store::list_datasets(&state.pool, &key.project_id, page.window()).await?;
    let ids: Vec<String> = datasets.iter().map(|d| d.id.clone()).collect();
    let mut items: std::collections::HashMap<String, Vec<String>> =
        store::active_item_ids(&state.pool, &key.project_id, &ids)
            .await?
            .into_iter()
            .collect();
    let mut runs: std::collections::HashMap<String, Vec<String>> =
        store::run_names(&state.pool, &key.project_id, &ids)
            .await?
            .into_iter()
            .collect();
    let data = datasets
        .into_iter()
        .map(|dataset| DatasetV1 {
            items: items.remove(&dataset.id).unwrap_or_default(),
            runs: runs.remove(&dataset.id).unwrap_or_default(),
            dataset,
        })
        .collect();
    Ok(Json(Paginated {
        data,
        meta: page.meta(total),
    }))
}

/// The v1 single read: every ACTIVE item (paged through internally) and the run names.
pub(super) async fn dataset_v1(
    state: &PublicState,
    project_id: &ProjectId,
    dataset: Dataset,
) -> ApiResult<DatasetV1<DatasetItem>> {
    let filter = ItemFilter {
        dataset_id: Some(&dataset.id),
        status: Some(ItemStatus::Active),
        ..Default::default()
    };
    let (items, _) = store::list_items(
        &state.pool,
        project_id,
        &filter,
        loupe_core::store::query::Page {
            limit: i64::MAX,
            offset: 0,
        },
    )
    .await?;
    let runs = store::run_names(&state.pool, project_id, std::slice::from_ref(&dataset.id))
        .await?
        .into_iter()
        .next()
        .map(|(_, names)| names);
    Ok(DatasetV1 {
        dataset,
        items,
        runs: runs.unwrap_or_default(),
    })
}

/// `GET /datasets/{name}` (v1).
pub async fn get_v1(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(name): PathId,
) -> ApiResult<Json<DatasetV1<DatasetItem>>> {
    let dataset = dataset_named(&state, &key.project_id, &name).await?;
    dataset_v1(&state, &key.project_id, dataset).await.map(Json)
}

// ---------------------------------------------------------------------------------------------
// Items

/// `POST /dataset-items`: create, or (with an `id`) write the item's next version.
pub async fn create_item(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    body: Body,
) -> ApiResult<Json<DatasetItem>> {
    let fields = Fields::read(body, ITEM_BODY_LIMIT, ITEM_EXPECTED).await?;
    let dataset_name = fields.required("datasetName")?;
    let id = fields.string("id")?;
    if let Some(id) = id {
        check_item_id(id).map_err(|problem| ApiError::invalid(problem.to_string()))?;
    }
    let status = match fields.string("status")? {
        None => None,
        Some(raw) => Some(
            raw.parse::<ItemStatus>()
                .map_err(|_| super::params::invalid_choice("status", raw, &ItemStatus::ALL))?,
        ),
    };
    let source_trace_id = fields.string("sourceTraceId")?.filter(|s| !s.is_empty());
    let source_observation_id = fields
        .string("sourceObservationId")?
        .filter(|s| !s.is_empty());
    let mut conn = state.pool.acquire().await?;
    let dataset = store::dataset_by_name(&mut conn, &key.project_id, dataset_name)
        .await?
        .ok_or_else(dataset_not_found)?;
    let input = ItemUpsert {
        dataset_id: &dataset.id,
        id,
        input: fields.value("input"),
        expected_output: fields.value("expectedOutput"),
        metadata: fields.value("metadata"),
        source_trace_id,
        source_observation_id,
        status,
    };
    match store::upsert_item(&mut conn, &key.project_id, &input).await.map_err(item_write_error)? {
        ItemWrite::Saved(item) => Ok(Json(item)),
        ItemWrite::InOtherDataset(other) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "LangfuseConflictError",
            format!(
                "id: a dataset item with id {:?} already exists in dataset {other:?}; item ids are unique per project",
                id.unwrap_or_default()
            ),
        )),
    }
}

/// Two writers of one item clashing on its open version (Langfuse's wording).
fn item_write_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict { constraint } if constraint.starts_with("dataset_items") => {
            ApiError::new(
                StatusCode::CONFLICT,
                "LangfuseConflictError",
                "The dataset item was modified concurrently. Please retry the request.",
            )
        }
        other => other.into(),
    }
}

/// `GET /dataset-items`: ACTIVE items, newest version first.
pub async fn list_items(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<DatasetItem>>> {
    let page = params.page(MAX_LIMIT)?;
    let dataset_name = params.string("datasetName")?;
    let version = params.datetime("version")?;
    if version.is_some() && dataset_name.is_none() {
        return Err(ApiError::invalid(
            "version needs datasetName: a version is a point in one dataset's history",
        ));
    }
    let source_trace_id = params.string("sourceTraceId")?;
    let source_observation_id = params.string("sourceObservationId")?;
    let dataset = match &dataset_name {
        Some(name) => Some(dataset_named(&state, &key.project_id, name).await?),
        None => None,
    };
    let filter = ItemFilter {
        dataset_id: dataset.as_ref().map(|d| d.id.as_str()),
        status: Some(ItemStatus::Active),
        source_trace_id: source_trace_id.as_deref(),
        source_observation_id: source_observation_id.as_deref(),
        as_of: version,
    };
    let (data, total) =
        store::list_items(&state.pool, &key.project_id, &filter, page.window()).await?;
    Ok(Json(Paginated {
        data,
        meta: page.meta(total),
    }))
}

/// `GET /dataset-items/{id}`: the current version, any status.
pub async fn get_item(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
) -> ApiResult<Json<DatasetItem>> {
    let mut conn = state.pool.acquire().await?;
    let item = store::item(&mut conn, &key.project_id, &id).await?;
    item.map(Json)
        .ok_or_else(|| ApiError::not_found("Dataset item not found"))
}

/// `DELETE /dataset-items/{id}`: a tombstone version; the history stays for `?version=`.
pub async fn delete_item(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(id): PathId,
) -> ApiResult<Json<Message>> {
    let mut conn = state.pool.acquire().await?;
    if !store::delete_item(&mut conn, &key.project_id, &id)
        .await
        .map_err(item_write_error)?
    {
        return Err(ApiError::not_found(format!(
            "Dataset item with id {id} not found for project {}",
            key.project_id
        )));
    }
    Ok(Json(Message {
        message: "Dataset item successfully deleted",
    }))
}
