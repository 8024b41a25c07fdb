//! Prompts (docs/COMPATIBILITY.md §5): `GET/POST /v2/prompts`, `GET/DELETE /v2/prompts/{name}`,
//! `PATCH /v2/prompts/{name}/versions/{version}`, and the v1 routes older SDKs use
//! (`GET/POST /prompts`).
//!
//! The rules live in `loupe_app::domain::prompts` (what needs no database) and
//! `loupe_core::store::prompts` (versions, labels, references, under a per-name lock), shared with
//! the UI. Names arrive URL-encoded (`team%2Freviewer`); axum decodes the path segment, so folder
//! names work. Every change is written to the audit log (actor: the API key) in its transaction.
//! The 404 body for a missing prompt is what drives the SDKs' `fallback`.

use loupe_core::scope::ProjectId;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use loupe_app::domain::prompts::{
    check_assignable_labels, FieldError, NewPrompt, PromptBody, PromptSelector, PromptType, PromptVersion, ResolutionGraph,
    PRODUCTION,
};
use loupe_app::domain::trace_views::PageMeta;
use loupe_core::store::audit_log::{self, Actor, Entry};
use loupe_core::store::prompts::{self as store, MetaFilter, PromptMeta, WriteError};
use loupe_core::store::prompt_graph;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::PgConnection;

use crate::ingest::fields::Fields;

use super::auth::{ProjectAccess, ProjectKey};
use super::error::{ApiError, ApiResult};
use super::params::{json_body, Params};
use super::PublicState;

/// Chat prompts with long histories are still far below this.
const BODY_LIMIT: usize = 1024 * 1024;

/// A version as GET returns it: the row plus `isActive` (holds `production`) and the
/// `resolutionGraph` of its references.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptResponse {
    #[serde(flatten)]
    version: PromptVersion,
    is_active: bool,
    resolution_graph: Option<ResolutionGraph>,
}

fn response(mut version: PromptVersion, graph: Option<ResolutionGraph>) -> PromptResponse {
    // The author's display name is the UI's; Langfuse's shape has `createdBy` only.
    version.author = None;
    PromptResponse { is_active: version.has_label(PRODUCTION), resolution_graph: graph, version }
}

fn field_error(e: FieldError) -> ApiError {
    ApiError::invalid(e.to_string())
}

fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::Invalid(f) => field_error(f),
        WriteError::NotFound(message) => ApiError::not_found(message),
        WriteError::Database(e) => e.into(),
    }
}

/// The selector of a GET or DELETE: `version` or `label`, never both.
fn selector(params: &Params) -> ApiResult<Option<PromptSelector>> {
    let version = params.raw("version")?;
    let label = params.string("label")?;
    match (version, label) {
        (Some(_), Some(_)) => Err(ApiError::invalid("send either version or label, not both")),
        (Some(raw), None) => raw
            .parse::<i32>()
            .ok()
            .filter(|v| *v >= 1)
            .map(|v| Some(PromptSelector::Version(v)))
            .ok_or_else(|| ApiError::invalid(format!("version: expected a positive integer, got {raw:?}"))),
        (None, Some(label)) => Ok(Some(PromptSelector::Label(label))),
        (None, None) => Ok(None),
    }
}

async fn audit(conn: &mut PgConnection, key: &ProjectKey, action: &str, id: &str, before: Option<Value>, after: Option<Value>) -> ApiResult<()> {
    let org_id = store::org_of(conn, &key.project_id).await?;
    audit_log::record(
        conn,
        Entry {
            org_id: &org_id,
            project_id: Some(&key.project_id),
            actor: Actor::ApiKey(key.api_key_id.clone()),
            action,
            resource_type: "prompt",
            resource_id: id,
            before,
            after,
        },
    )
    .await?;
    Ok(())
}

/// `GET /v2/prompts/{name}?version=|label=&resolve=`: `production` when neither is given.
pub async fn get(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    Path(name): Path<String>,
    params: Params,
) -> ApiResult<Json<PromptResponse>> {
    get_named(&state, &key, &name, &params).await
}

/// A folder name sent without encoding (`/v2/prompts/team/reviewer`, as the 2.x Python SDK
/// does): the segments after `/v2/prompts/` are the name. PATCH's `/versions/{n}` suffix is
/// split off.
pub async fn nested(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    method: axum::http::Method,
    Path((first, rest)): Path<(String, String)>,
    params: Params,
    body: Body,
) -> ApiResult<Response> {
    let name = format!("{first}/{rest}");
    match method {
        axum::http::Method::GET => Ok(get_named(&state, &key, &name, &params).await?.into_response()),
        axum::http::Method::DELETE => Ok(delete_named(&state, &key, &name, &params).await?.into_response()),
        axum::http::Method::PATCH => {
            let (name, version) = name
                .rsplit_once("/versions/")
                .ok_or_else(|| ApiError::not_found(format!("no public API route for PATCH /api/public/v2/prompts/{name}")))?;
            Ok(update_named(&state, &key, name, version, body).await?.into_response())
        }
        other => Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", format!("{other} is not allowed here"))),
    }
}

async fn get_named(state: &PublicState, key: &ProjectKey, name: &str, params: &Params) -> ApiResult<Json<PromptResponse>> {
    let name = name.to_string();
    let selector = selector(params)?.unwrap_or_else(|| PromptSelector::Label(PRODUCTION.to_string()));
    let resolve = params.boolean("resolve")?.unwrap_or(true);
    let mut conn = state.pool.acquire().await?;
    let version = store::get(&mut conn, &key.project_id, &name, &selector)
        .await?
        .ok_or_else(|| ApiError::not_found(selector.not_found(&name)))?;
    read_response(&mut conn, &key.project_id, version, resolve).await.map(Json)
}

async fn read_response(conn: &mut PgConnection, project_id: &ProjectId, mut version: PromptVersion, resolve: bool) -> ApiResult<PromptResponse> {
    if !resolve {
        return Ok(response(version, None));
    }
    let resolved = prompt_graph::resolve(conn, project_id, &version).await.map_err(write_error)?;
    version.prompt = resolved.prompt;
    Ok(response(version, resolved.graph))
}

/// Reads a create body with ingestion's field reader, so a wrong field is named with its type.
/// `pub` for the fuzz harness (`fuzz/harness`), which checks this reader without a database.
pub fn new_prompt(body: &Value, legacy: bool) -> ApiResult<NewPrompt> {
    let fields = Fields::of(body, "").map_err(|_| {
        ApiError::invalid("the request body must be a JSON object {name, prompt, type?, labels?, config?, ...}")
    })?;
    let name = fields.string("name").map_err(ApiError::invalid)?.ok_or_else(|| ApiError::invalid("name: missing"))?;
    // Text is Langfuse's default. A list of messages without `type` is refused with a message
    // that says to send "type": "chat", as Langfuse refuses it.
    let prompt_type = match fields.string("type").map_err(|_| ApiError::invalid("type: expected \"text\" or \"chat\""))? {
        None => PromptType::Text,
        Some(raw) => PromptType::parse(&raw)
            .ok_or_else(|| ApiError::invalid(format!("type: expected \"text\" or \"chat\", got {raw:?}")))?,
    };
    let prompt = fields.any("prompt").ok_or_else(|| ApiError::invalid("prompt: missing"))?;
    let prompt = PromptBody::from_json(prompt_type, prompt).map_err(field_error)?;
    let mut labels = fields.string_array("labels").map_err(ApiError::invalid)?.unwrap_or_default();
    if legacy && fields.boolean("isActive").map_err(ApiError::invalid)? == Some(true) {
        labels.push(PRODUCTION.to_string());
    }
    NewPrompt {
        name,
        prompt,
        config: fields.any("config").cloned().unwrap_or(Value::Null),
        labels,
        tags: fields.string_array("tags").map_err(ApiError::invalid)?,
        commit_message: fields.string("commitMessage").map_err(ApiError::invalid)?,
    }
    .normalize()
    .map_err(field_error)
}

/// `POST /v2/prompts`: a new version (the first creates the prompt); 201 with the row.
pub async fn create(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, body: Body) -> ApiResult<Response> {
    let body: Value = json_body(body, BODY_LIMIT, r#"{"name": ..., "prompt": ..., "type": "text|chat", "labels": [...]}"#).await?;
    let created = create_version(&state, &key, new_prompt(&body, false)?).await?;
    Ok((StatusCode::CREATED, Json(response(created, None))).into_response())
}

async fn create_version(state: &PublicState, key: &ProjectKey, new: NewPrompt) -> ApiResult<PromptVersion> {
    let mut tx = state.pool.begin().await?;
    let created = store::create_version(&mut tx, &key.project_id, &new, "API", None).await.map_err(write_error)?;
    audit(
        &mut tx,
        key,
        "prompt.create",
        &created.id,
        None,
        Some(json!({"name": created.name, "version": created.version, "labels": created.labels, "commitMessage": created.commit_message})),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

#[derive(Serialize)]
pub struct MetaList {
    data: Vec<PromptMeta>,
    meta: PageMeta,
    /// Older SDK models read `pagination`; the same numbers.
    pagination: PageMeta,
}

/// `GET /v2/prompts`: names with the versions matching the filters, by name; `limit` defaults to 10.
pub async fn list(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, params: Params) -> ApiResult<Json<MetaList>> {
    let page = params.int_in("page", 1, i64::MAX / 100, 1)?;
    let limit = params.int_in("limit", 1, 100, 10)?;
    let version = match params.raw("version")? {
        None => None,
        Some(raw) => Some(raw.parse::<i32>().map_err(|_| ApiError::invalid(format!("version: expected an integer, got {raw:?}")))?),
    };
    let filter = MetaFilter {
        name: params.string("name")?,
        label: params.string("label")?,
        tag: params.string("tag")?,
        version,
        from_updated_at: params.datetime("fromUpdatedAt")?,
        to_updated_at: params.datetime("toUpdatedAt")?,
    };
    let (data, total) = store::list_meta(&state.pool, &key.project_id, &filter, limit, (page - 1) * limit).await?;
    let meta = PageMeta::new(page, limit, total);
    Ok(Json(MetaList { data, pagination: meta.clone(), meta }))
}

/// `PATCH /v2/prompts/{name}/versions/{version}` with `{"newLabels": [...]}`: the labels are added
/// to that version and taken from the others. `latest` cannot be set by hand.
pub async fn update_labels(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    Path((name, version)): Path<(String, String)>,
    body: Body,
) -> ApiResult<Json<PromptResponse>> {
    update_named(&state, &key, &name, &version, body).await
}

async fn update_named(state: &PublicState, key: &ProjectKey, name: &str, version: &str, body: Body) -> ApiResult<Json<PromptResponse>> {
    let name = name.to_string();
    let version: i32 = version
        .parse()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| ApiError::invalid(format!("version: expected a positive integer, got {version:?}")))?;
    let body: Value = json_body(body, 64 * 1024, r#"{"newLabels": ["production", ...]}"#).await?;
    let labels: Vec<String> = match body.get("newLabels") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| item.as_str().map(str::to_string).ok_or_else(|| ApiError::invalid(format!("newLabels[{i}]: expected a string"))))
            .collect::<ApiResult<_>>()?,
        Some(_) => return Err(ApiError::invalid("newLabels: expected an array of strings")),
        None => return Err(ApiError::invalid("newLabels: missing")),
    };
    check_assignable_labels(&labels).map_err(|mut e| {
        e.field = e.field.replacen("labels", "newLabels", 1);
        field_error(e)
    })?;
    let mut tx = state.pool.begin().await?;
    // Which version held each label before (the audit entry's "before").
    let mut before = Map::new();
    for label in &labels {
        let holder = store::get(&mut tx, &key.project_id, &name, &PromptSelector::Label(label.clone())).await?;
        before.insert(label.clone(), json!(holder.map(|h| h.version)));
    }
    let updated = store::add_labels(&mut tx, &key.project_id, &name, version, &labels).await.map_err(write_error)?;
    audit(
        &mut tx,
        key,
        "prompt.label_move",
        &updated.id,
        Some(json!({"name": name, "heldBy": before})),
        Some(json!({"name": name, "version": version, "labels": labels})),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(response(updated, None)))
}

/// `DELETE /v2/prompts/{name}` (optionally `?label=` or `?version=`): 204; 404 when nothing matched.
pub async fn delete(
    ProjectAccess(key): ProjectAccess,
    State(state): State<PublicState>,
    Path(name): Path<String>,
    params: Params,
) -> ApiResult<StatusCode> {
    delete_named(&state, &key, &name, &params).await
}

async fn delete_named(state: &PublicState, key: &ProjectKey, name: &str, params: &Params) -> ApiResult<StatusCode> {
    let name = name.to_string();
    let selector = selector(params)?;
    let mut tx = state.pool.begin().await?;
    let deleted = store::delete(&mut tx, &key.project_id, &name, selector.as_ref()).await.map_err(write_error)?;
    if deleted.is_empty() {
        return Err(ApiError::not_found(match &selector {
            Some(s) => s.not_found(&name),
            None => format!("Prompt not found: '{name}'"),
        }));
    }
    audit(&mut tx, key, "prompt.delete", &name, Some(json!({"name": name, "versions": deleted})), None).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// v1 `GET /prompts?name=&version=`: the version, or `production`.
pub async fn get_v1(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, params: Params) -> ApiResult<Json<PromptResponse>> {
    let name = params.string("name")?.ok_or_else(|| ApiError::invalid("name: missing"))?;
    let selector = selector(&params)?.unwrap_or_else(|| PromptSelector::Label(PRODUCTION.to_string()));
    let mut conn = state.pool.acquire().await?;
    let version = store::get(&mut conn, &key.project_id, &name, &selector)
        .await?
        .ok_or_else(|| ApiError::not_found(selector.not_found(&name)))?;
    read_response(&mut conn, &key.project_id, version, true).await.map(Json)
}

/// v1 `POST /prompts`: as v2, with `isActive: true` meaning the `production` label.
pub async fn create_v1(ProjectAccess(key): ProjectAccess, State(state): State<PublicState>, body: Body) -> ApiResult<Response> {
    let body: Value = json_body(body, BODY_LIMIT, r#"{"name": ..., "prompt": ..., "isActive": true}"#).await?;
    let created = create_version(&state, &key, new_prompt(&body, true)?).await?;
    Ok((StatusCode::CREATED, Json(response(created, None))).into_response())
}
