//! Dataset runs and run items (docs/COMPATIBILITY.md §7.2): `POST /dataset-run-items` (Python 2
//! `item.observe()/link()`, Python 4 and JS 5 experiment runners), `GET /dataset-run-items` and
//! the v1 routes under `/datasets/{name}/runs`.
//!
//! A run is created on its first item with the stable experiment id
//! (`store::datasets::experiment_id`), the one Python 5 computes for its OTLP spans, so an
//! experiment's run is the same whichever SDK made it. The same (run, item, trace) linked twice
//! is one run item.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loupe_app::domain::datasets::{
    Dataset, DatasetRun, DatasetRunItem, DatasetRunWithItems, ItemStatus,
};
use loupe_app::domain::trace_views::Paginated;
use loupe_core::scope::ProjectId;
use loupe_core::store::datasets::{self as store, NewRun, NewRunItem};
use serde_json::Value;

use super::auth::ProjectAccess;
use super::datasets::{dataset_v1, Fields};
use super::error::{ApiError, ApiResult};
use super::params::Params;
use super::{Message, PublicState};

const BODY_LIMIT: usize = 1024 * 1024;
const EXPECTED: &str = r#"{"runName", "runDescription"?, "metadata"?, "datasetItemId", "traceId"?, "observationId"?, "datasetVersion"?, "createdAt"?}"#;
const FIELDS: &[&str] = &[
    "runName",
    "runDescription",
    "metadata",
    "datasetItemId",
    "traceId",
    "observationId",
    "datasetVersion",
    "createdAt",
];
const MAX_LIMIT: i64 = 100;

/// `POST /dataset-run-items`: links a dataset item to the trace (and observation) that ran it in
/// the run `runName` of the item's dataset, creating the run on first use.
pub async fn create(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    body: Body,
) -> ApiResult<Json<DatasetRunItem>> {
    let fields = Fields::read(body, BODY_LIMIT, EXPECTED).await?;
    fields.strict(FIELDS)?;
    let run_name = fields.required("runName")?;
    if run_name.trim().is_empty() {
        return Err(ApiError::invalid("runName must not be empty"));
    }
    let run_description = fields.string("runDescription")?;
    let item_id = fields.required("datasetItemId")?;
    let trace_id = fields.string("traceId")?.filter(|s| !s.is_empty());
    let observation_id = fields.string("observationId")?.filter(|s| !s.is_empty());
    if trace_id.is_none() && observation_id.is_none() {
        return Err(ApiError::invalid(
            "traceId or observationId is required: say which trace ran the item",
        ));
    }
    let dataset_version = fields.datetime("datasetVersion")?;
    let created_at = fields.datetime("createdAt")?;

    let mut conn = state.pool.acquire().await?;
    let item = match dataset_version {
        Some(at) => store::item_as_of(&mut conn, &key.project_id, item_id, at).await?,
        None => store::item(&mut conn, &key.project_id, item_id).await?,
    };
    let item = item
        .filter(|item| item.status == ItemStatus::Active)
        .ok_or_else(|| ApiError::not_found("Dataset item not found"))?;
    let trace_id = match (trace_id, observation_id) {
        (Some(trace_id), _) => trace_id.to_string(),
        (None, Some(observation_id)) => {
            store::trace_of_observation(&mut conn, &key.project_id, observation_id)
                .await?
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "Observation {observation_id:?} not found; send traceId with observationId"
                    ))
                })?
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "traceId or observationId is required: say which trace ran the item",
            ))
        }
    };
    // The dataset version the run read, recorded in the run's metadata as Langfuse does.
    let mut metadata = fields.value("metadata").cloned();
    if let Some(version) = dataset_version {
        let stamp = Value::String(version.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        match &mut metadata {
            Some(Value::Object(map)) => {
                map.insert("dataset_version".into(), stamp);
            }
            None => metadata = Some(serde_json::json!({ "dataset_version": stamp })),
            Some(_) => {}
        }
    }
    let run = store::create_or_get_run(
        &mut conn,
        &key.project_id,
        &NewRun {
            dataset_id: &item.dataset_id,
            name: run_name,
            description: run_description,
            metadata: metadata.as_ref(),
        },
    )
    .await?;
    let link = NewRunItem {
        run_id: &run.id,
        dataset_item_id: &item.id,
        dataset_item_version: Some(item.version),
        trace_id: &trace_id,
        observation_id,
        created_at,
    };
    Ok(Json(
        store::link_run_item(&mut conn, &key.project_id, &link).await?,
    ))
}

fn run_not_found() -> ApiError {
    ApiError::not_found("Dataset run not found for the given project and dataset id")
}

/// `GET /dataset-run-items?datasetId&runName`: a run's items, oldest first.
pub async fn list(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    params: Params,
) -> ApiResult<Json<Paginated<DatasetRunItem>>> {
    let page = params.page(MAX_LIMIT)?;
    let dataset_id = params
        .string("datasetId")?
        .ok_or_else(|| ApiError::invalid("datasetId is required"))?;
    let run_name = params
        .string("runName")?
        .ok_or_else(|| ApiError::invalid("runName is required"))?;
    let mut conn = state.pool.acquire().await?;
    let run = store::run_by_name(&mut conn, &key.project_id, &dataset_id, &run_name)
        .await?
        .ok_or_else(run_not_found)?;
    drop(conn);
    let (data, total) =
        store::run_items(&state.pool, &key.project_id, &run.id, page.window()).await?;
    Ok(Json(Paginated {
        data,
        meta: page.meta(total),
    }))
}

/// What a path below `/datasets/` names.
enum Target {
    Dataset(Dataset),
    Runs(Dataset),
    Run(Dataset, String),
}

/// Reads `/datasets/{path}` where the name may hold `/` (encoded or not) and be followed by
/// `/runs` or `/runs/{run}`: the whole path as a dataset name first, then each way of splitting
/// it at `/runs`, keeping the first whose dataset exists, so a folder called `runs` still works.
async fn resolve(state: &PublicState, project_id: &ProjectId, path: &str) -> ApiResult<Target> {
    let mut conn = state.pool.acquire().await?;
    if let Some(dataset) = store::dataset_by_name(&mut conn, project_id, path).await? {
        return Ok(Target::Dataset(dataset));
    }
    if let Some(name) = path.strip_suffix("/runs") {
        if let Some(dataset) = store::dataset_by_name(&mut conn, project_id, name).await? {
            return Ok(Target::Runs(dataset));
        }
    }
    // Every occurrence, overlapping ones included (`evals/runs/runs/r`).
    for at in
        (0..path.len()).filter(|&i| path.is_char_boundary(i) && path[i..].starts_with("/runs/"))
    {
        let (name, run) = (&path[..at], &path[at + "/runs/".len()..]);
        if run.is_empty() {
            continue;
        }
        if let Some(dataset) = store::dataset_by_name(&mut conn, project_id, name).await? {
            return Ok(Target::Run(dataset, run.to_string()));
        }
    }
    Err(ApiError::not_found("Dataset not found"))
}

/// `GET /datasets/{name}/runs`, `GET|DELETE /datasets/{name}/runs/{run}`, and `GET
/// /datasets/{name}` for a folder name sent unencoded.
pub async fn nested(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    method: Method,
    Path((first, rest)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    let target = resolve(&state, &key.project_id, &format!("{first}/{rest}")).await?;
    let project_id = &key.project_id;
    match (method, target) {
        (Method::GET, Target::Dataset(dataset)) => Ok(Json(dataset_v1(&state, project_id, dataset).await?).into_response()),
        (Method::GET, Target::Runs(dataset)) => {
            let page = params.page(MAX_LIMIT)?;
            let (data, total) = store::list_runs(&state.pool, project_id, &dataset.id, page.window()).await?;
            Ok(Json(Paginated::<DatasetRun> { data, meta: page.meta(total) }).into_response())
        }
        (Method::GET, Target::Run(dataset, run_name)) => {
            let mut conn = state.pool.acquire().await?;
            let run = store::run_by_name(&mut conn, project_id, &dataset.id, &run_name).await?.ok_or_else(run_not_found)?;
            drop(conn);
            let dataset_run_items = store::all_run_items(&state.pool, project_id, &run.id).await?;
            Ok(Json(DatasetRunWithItems { run, dataset_run_items }).into_response())
        }
        (Method::DELETE, Target::Run(dataset, run_name)) => {
            let mut conn = state.pool.acquire().await?;
            let run = store::run_by_name(&mut conn, project_id, &dataset.id, &run_name).await?.ok_or_else(run_not_found)?;
            store::delete_run(&mut conn, project_id, &run.id).await?;
            Ok(Json(Message { message: "Dataset run successfully deleted" }).into_response())
        }
        (method, _) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowedError",
            format!("{method} is not allowed here; runs are deleted at /datasets/{{name}}/runs/{{runName}}"),
        )),
    }
}
