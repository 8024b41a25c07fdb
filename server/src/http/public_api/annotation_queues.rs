//! Annotation queues (docs/COMPATIBILITY.md, "Annotation queues"): Langfuse's
//! `/api/public/annotation-queues` routes, so queues can be made and filled from scripts.
//!
//! As in Langfuse every body and query schema is strict: an unknown field or parameter is a 400
//! naming it. Two differences, both Loupe's rules for everyone: adding an object a queue already
//! has returns the item it has (Langfuse makes a duplicate), and a queue may say how many
//! reviewers each item needs (`reviewersPerItem`, default 1).

use axum::body::Body;
use axum::extract::State;
use axum::Json;
use loupe_app::domain::annotation::{AnnotationQueue, AnnotationQueueItem, ItemStatus, ObjectType, MAX_REVIEWERS_PER_ITEM};
use loupe_app::domain::trace_views::Paginated;
use loupe_core::store::{annotation_queues, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::params::{json_body, Params, PathId, PathIds};
use super::PublicState;

const BODY_LIMIT: usize = 64 * 1024;

fn queue_not_found() -> ApiError {
    ApiError::not_found("Annotation queue not found")
}

fn item_not_found() -> ApiError {
    ApiError::not_found("Annotation queue item not found")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewQueueBody {
    name: String,
    #[serde(default)]
    description: Option<String>,
    score_config_ids: Vec<String>,
    #[serde(default)]
    reviewers_per_item: Option<i32>,
}

pub async fn create(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, body: Body) -> ApiResult<Json<AnnotationQueue>> {
    let body: NewQueueBody =
        json_body(body, BODY_LIMIT, r#"{"name", "description"?, "scoreConfigIds": [..], "reviewersPerItem"?}"#).await?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("name: 1 to 200 characters"));
    }
    if body.score_config_ids.is_empty() {
        return Err(ApiError::invalid("scoreConfigIds: at least one score config is required"));
    }
    let reviewers = body.reviewers_per_item.unwrap_or(1);
    if !(1..=MAX_REVIEWERS_PER_ITEM).contains(&reviewers) {
        return Err(ApiError::invalid(format!("reviewersPerItem: 1 to {MAX_REVIEWERS_PER_ITEM}, got {reviewers}")));
    }
    if !annotation_queues::missing_configs(&state.pool, &key.project_id, &body.score_config_ids).await?.is_empty() {
        return Err(ApiError::invalid("At least one of the score config IDs cannot be found for the given project."));
    }
    let queue = annotation_queues::NewQueue {
        name,
        description: body.description.as_deref().filter(|d| !d.trim().is_empty()),
        score_config_ids: &body.score_config_ids,
        reviewers_per_item: reviewers,
        created_by: None,
    };
    // The plan's queue limit (per project) and the insert in one transaction: the check locks
    // the project's row, so two concurrent creates cannot both take the last queue.
    let mut tx = state.pool.begin().await?;
    loupe_core::limits::check_queue_create(&mut tx, &key.project_id).await.map_err(super::admission::limit_error)?;
    let created = match annotation_queues::create(&mut *tx, &key.project_id, &queue).await {
        Ok(queue) => queue,
        Err(StoreError::Conflict { .. }) => return Err(ApiError::invalid("A queue with this name already exists.")),
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(Json(created))
}

pub async fn list(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, params: Params) -> ApiResult<Json<Paginated<AnnotationQueue>>> {
    params.reject_unknown(&["page", "limit"])?;
    let page = params.page(100)?;
    let (queues, total) = annotation_queues::list(&state.pool, &key.project_id, page.window()).await?;
    Ok(Json(Paginated { data: queues, meta: page.meta(total) }))
}

pub async fn get(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, PathId(id): PathId) -> ApiResult<Json<AnnotationQueue>> {
    Ok(Json(annotation_queues::get(&state.pool, &key.project_id, &id).await?.ok_or_else(queue_not_found)?))
}

/// The queue, or the API's 404.
async fn queue(state: &PublicState, project_id: &loupe_core::scope::ProjectId, id: &str) -> ApiResult<AnnotationQueue> {
    annotation_queues::get(&state.pool, project_id, id).await?.ok_or_else(queue_not_found)
}

pub async fn items(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(queue_id): PathId,
    params: Params,
) -> ApiResult<Json<Paginated<AnnotationQueueItem>>> {
    params.reject_unknown(&["page", "limit", "status"])?;
    let page = params.page(100)?;
    let status = params.one_of("status", &ItemStatus::ALL)?;
    queue(&state, &key.project_id, &queue_id).await?;
    let (items, total) = annotation_queues::items(&state.pool, &key.project_id, &queue_id, status, page.window()).await?;
    Ok(Json(Paginated { data: items, meta: page.meta(total) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewItemBody {
    object_id: String,
    object_type: ObjectType,
    #[serde(default)]
    status: Option<ItemStatus>,
}

pub async fn add_item(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(queue_id): PathId,
    body: Body,
) -> ApiResult<Json<AnnotationQueueItem>> {
    // Another project's queue is not found, whatever the body says.
    queue(&state, &key.project_id, &queue_id).await?;
    let body: NewItemBody =
        json_body(body, BODY_LIMIT, r#"{"objectId", "objectType": "TRACE" | "OBSERVATION" | "SESSION", "status"?: "PENDING" | "COMPLETED"}"#).await?;
    if body.object_id.is_empty() || body.object_id.len() > 1000 {
        return Err(ApiError::invalid("objectId: 1 to 1000 characters"));
    }
    let status = body.status.unwrap_or(ItemStatus::Pending);
    let (item, _) = annotation_queues::add_item(&state.pool, &key.project_id, &queue_id, body.object_type, &body.object_id, status).await?;
    Ok(Json(item))
}

pub async fn item(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathIds(queue_id, item_id): PathIds,
) -> ApiResult<Json<AnnotationQueueItem>> {
    Ok(Json(annotation_queues::item(&state.pool, &key.project_id, &queue_id, &item_id).await?.ok_or_else(item_not_found)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ItemPatch {
    #[serde(default)]
    status: Option<ItemStatus>,
}

pub async fn update_item(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathIds(queue_id, item_id): PathIds,
    body: Body,
) -> ApiResult<Json<AnnotationQueueItem>> {
    let item = annotation_queues::item(&state.pool, &key.project_id, &queue_id, &item_id).await?.ok_or_else(item_not_found)?;
    let patch: ItemPatch = json_body(body, BODY_LIMIT, r#"{"status"?: "PENDING" | "COMPLETED"}"#).await?;
    let item = match patch.status {
        Some(status) => annotation_queues::set_status(&state.pool, &key.project_id, &queue_id, &item_id, status).await?,
        None => Some(item),
    };
    Ok(Json(item.ok_or_else(item_not_found)?))
}

pub async fn delete_item(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathIds(queue_id, item_id): PathIds,
) -> ApiResult<Json<Value>> {
    if !annotation_queues::delete_item(&state.pool, &key.project_id, &queue_id, &item_id).await? {
        return Err(item_not_found());
    }
    Ok(Json(json!({"success": true, "message": "Annotation queue item deleted successfully"})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AssignmentBody {
    user_id: String,
}

pub async fn assign(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(queue_id): PathId,
    body: Body,
) -> ApiResult<Json<Value>> {
    queue(&state, &key.project_id, &queue_id).await?;
    let body: AssignmentBody = json_body(body, BODY_LIMIT, r#"{"userId"}"#).await?;
    if !annotation_queues::is_member(&state.pool, &key.project_id, &body.user_id).await? {
        return Err(ApiError::not_found("User not found or not authorized for this project"));
    }
    annotation_queues::assign(&state.pool, &key.project_id, &queue_id, &body.user_id).await?;
    Ok(Json(json!({"userId": body.user_id, "projectId": key.project_id.as_str(), "queueId": queue_id})))
}

pub async fn unassign(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    PathId(queue_id): PathId,
    body: Body,
) -> ApiResult<Json<Value>> {
    queue(&state, &key.project_id, &queue_id).await?;
    let body: AssignmentBody = json_body(body, BODY_LIMIT, r#"{"userId"}"#).await?;
    annotation_queues::unassign(&state.pool, &key.project_id, &queue_id, &body.user_id).await?;
    Ok(Json(json!({"success": true})))
}
