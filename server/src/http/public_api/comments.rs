//! Comments (docs/COMPATIBILITY.md §6.6): Langfuse's `/api/public/comments` routes — create,
//! list, get — so scripts can leave notes on traces, observations, sessions and prompt versions.
//!
//! As in Langfuse the body and query schemas are strict (an unknown field or parameter is a 400
//! naming it), `projectId` is required but the key's project is used, and a comment on an object
//! the project does not have is a 404. Every refusal names the field. Loupe's one addition:
//! mentions of the project's members in the content reach their inbox, as a comment made in the
//! UI does (Langfuse's API stores the content without looking at it).

use axum::body::Body;
use axum::extract::State;
use axum::Json;
use loupe_app::domain::comments::{check_content, Comment, ObjectType, MAX_OBJECT_ID_CHARS};
use loupe_app::domain::trace_views::Paginated;
use loupe_core::store::comments::{self, Filter, NewComment};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::ProjectAccess;
use super::error::{ApiError, ApiResult};
use super::params::{invalid_choice, json_body, Params, PathId};
use super::PublicState;

/// Room for the longest comment (5,000 characters of up to 4 bytes) with JSON escapes.
const BODY_LIMIT: usize = 64 * 1024;
const EXPECTED: &str = r#"{"projectId", "objectType": "TRACE" | "OBSERVATION" | "SESSION" | "PROMPT", "objectId", "content", "authorUserId"?}"#;

/// The body, each value kept as JSON so a wrong type is reported with its field's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewCommentBody {
    project_id: Value,
    object_type: Value,
    object_id: Value,
    content: Value,
    #[serde(default)]
    author_user_id: Value,
}

/// `value` as a string, or a 400 naming `field`.
fn string<'a>(field: &str, value: &'a Value) -> ApiResult<&'a str> {
    value.as_str().ok_or_else(|| ApiError::invalid(format!("{field} must be a string, got {}", loupe_app::domain::json::kind(value))))
}

fn object_type(raw: &str) -> ApiResult<ObjectType> {
    raw.parse().map_err(|_| invalid_choice("objectType", raw, &ObjectType::ALL))
}

pub async fn create(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, body: Body) -> ApiResult<Json<Value>> {
    let body: NewCommentBody = json_body(body, BODY_LIMIT, EXPECTED).await?;
    // Required as in Langfuse, but the key decides the project.
    string("projectId", &body.project_id)?;
    let object_type = object_type(string("objectType", &body.object_type)?)?;
    let object_id = string("objectId", &body.object_id)?;
    if object_id.is_empty() || object_id.chars().count() > MAX_OBJECT_ID_CHARS {
        return Err(ApiError::invalid(format!("objectId: 1 to {MAX_OBJECT_ID_CHARS} characters")));
    }
    let content = check_content(string("content", &body.content)?).map_err(|problem| ApiError::invalid(problem.to_string()))?;
    let author = match &body.author_user_id {
        Value::Null => None,
        value => Some(string("authorUserId", value)?),
    };
    if let Some(author) = author {
        if !comments::is_member(&state.pool, &key.project_id, author).await? {
            return Err(ApiError::invalid("authorUserId: no member of this project's organization has this id"));
        }
    }
    if !comments::object_exists(&state.pool, &key.project_id, object_type, object_id).await? {
        return Err(ApiError::not_found(format!("Reference object, {object_type}: {object_id} not found. Skipping comment creation.")));
    }
    let mut conn = state.pool.acquire().await?;
    let new = NewComment { object_type, object_id, content, author_user_id: author };
    let (comment, _) = comments::create(&mut conn, &key.project_id, &new).await?;
    Ok(Json(json!({"id": comment.id})))
}

pub async fn list(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, params: Params) -> ApiResult<Json<Paginated<Comment>>> {
    params.reject_unknown(&["page", "limit", "objectType", "objectId", "authorUserId"])?;
    let page = params.page(100)?;
    let object_type = params.one_of("objectType", &ObjectType::ALL)?;
    let object_id = params.string("objectId")?.filter(|id| !id.is_empty());
    if object_id.is_some() && object_type.is_none() {
        return Err(ApiError::invalid("objectId needs objectType: say which kind of object the id is"));
    }
    let author = params.string("authorUserId")?.filter(|id| !id.is_empty());
    let filter = Filter { object_type, object_id: object_id.as_deref(), author_user_id: author.as_deref() };
    let (data, total) = comments::list(&state.pool, &key.project_id, filter, page.window()).await?;
    Ok(Json(Paginated { data, meta: page.meta(total) }))
}

pub async fn get(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, PathId(id): PathId) -> ApiResult<Json<Comment>> {
    let mut conn = state.pool.acquire().await?;
    let comment = comments::get(&mut conn, &key.project_id, &id).await?;
    Ok(Json(comment.ok_or_else(|| ApiError::not_found("Comment not found within authorized project"))?))
}
