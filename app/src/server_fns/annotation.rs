//! Human annotation (#20): score configs (project settings), the "Annotate" forms on traces,
//! observations and sessions, and annotation queues — their pages, adding items, and the review
//! flow (the next item under a lock, renewals, release, complete/skip).
//!
//! Who may do what: everyone in the project reads; Members and up annotate, create configs and
//! queues and review (`WriteScores`, `WriteAnnotations`); Admins archive configs and change or
//! delete other people's annotations (`ManageProjectSettings`). The rules of values and configs
//! are `loupe_domain::score_views::ScoreRule`'s, the same as the public API's.
//!
//! The functions taking nested input (targets, values, lists) are JSON-encoded; the others take
//! the default form encoding — `release_review` must, since `sendBeacon` posts a form.

use leptos::prelude::*;

use crate::domain::annotation::{
    AnnotationForm, AnnotationInput, AnnotationQueue, ItemFilter, Outcome, QueueImport, QueueItemPage, QueueOverview, QueueSummary,
    ReviewState, Target,
};
use crate::domain::score_views::{ConfigCategory, Score, ScoreConfig};
use crate::domain::trace_list::TraceListQuery;
use crate::domain::ScoreDataType;
use crate::error::AppError;

/// A new score config as the settings form sends it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewScoreConfigInput {
    pub name: String,
    pub data_type: ScoreDataType,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub categories: Vec<ConfigCategory>,
    pub description: Option<String>,
}

/// A new queue as the create form sends it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewQueueInput {
    pub name: String,
    pub description: Option<String>,
    pub score_config_ids: Vec<String>,
    pub assignee_ids: Vec<String>,
    pub reviewers_per_item: i32,
}

#[cfg(feature = "ssr")]
mod support {
    pub use crate::server_fns::support::*;
    use crate::error::AppError;
    use loupe_core::annotation::AnnotationError;

    /// The core's refusal as the UI's error, in the request's language where it is the UI's to say.
    pub fn annotation_error(error: AnnotationError) -> AppError {
        match error {
            AnnotationError::NotFound(what) => AppError::NotFound(what),
            AnnotationError::Invalid { field, message } => AppError::invalid(field, message),
            AnnotationError::Forbidden(_) => AppError::Forbidden(crate::language::say!(annotation.errors.not_yours)),
            AnnotationError::Store(error) => error.into(),
        }
    }

    pub async fn people_named(pool: &sqlx::PgPool, ids: Vec<String>) -> Result<Vec<crate::domain::annotation::Person>, AppError> {
        let mut ids = ids;
        ids.sort();
        ids.dedup();
        Ok(loupe_core::store::memberships::people(pool, &ids).await?)
    }

    /// Page `page` (from 0) of a queue's items; the range check is the activity lists'.
    pub fn page(page: i64) -> Result<loupe_core::store::query::Page, AppError> {
        use crate::domain::annotation::ITEMS_PER_PAGE;
        activity_page(page)?;
        Ok(loupe_core::store::query::Page { limit: ITEMS_PER_PAGE, offset: page * ITEMS_PER_PAGE })
    }
}

// ---------------------------------------------------------------------------------------------
// Score configs

/// The project's score configs, newest first; archived ones only when asked for.
#[server(prefix = "/api/ui", endpoint = "list_score_configs")]
pub async fn list_score_configs(project_id: String, include_archived: bool) -> Result<Vec<ScoreConfig>, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let page = loupe_core::store::query::Page { limit: 1000, offset: 0 };
        let configs = crate::store::score_configs::list(&state.pool, &scope.project_id, page).await?;
        Ok(configs.into_iter().filter(|c| include_archived || !c.is_archived).collect())
    }
    .await)
}

/// Creates a score config (Members and up); the rules are Langfuse's, as for the public API.
#[server(prefix = "/api/ui", endpoint = "create_score_config", input = leptos::server_fn::codec::Json)]
pub async fn create_score_config(project_id: String, config: NewScoreConfigInput) -> Result<ScoreConfig, AppError> {
    use crate::domain::score_views::{boolean_categories, validate_score_config, ScoreConfigShape};
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        let name = config.name.trim().to_string();
        let categories = match config.data_type {
            ScoreDataType::Categorical => Some(config.categories.clone()),
            ScoreDataType::Boolean => Some(boolean_categories()),
            _ => None,
        };
        let (min_value, max_value) = if config.data_type == ScoreDataType::Numeric { (config.min_value, config.max_value) } else { (None, None) };
        let shape = ScoreConfigShape { name: &name, data_type: config.data_type, min_value, max_value, categories: categories.as_deref() };
        validate_score_config(&shape).map_err(|message| {
            let field = message.split(':').next().unwrap_or("config").split('[').next().unwrap_or("config").to_string();
            AppError::invalid(&field, message)
        })?;
        let new = crate::store::score_configs::NewScoreConfig {
            id: crate::store::score_configs::new_id(),
            name,
            data_type: config.data_type,
            min_value,
            max_value,
            categories,
            description: config.description.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()),
        };
        let created = crate::store::score_configs::create(&state.pool, &scope.project_id, &new).await?;
        let mut tx = state.pool.begin().await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "score_config.create", "score_config", &created.id, None, serde_json::to_value(&created).ok()).await?;
        tx.commit().await?;
        Ok(created)
    }
    .await)
}

/// Archives a config (Admins): it keeps its scores' meaning but takes no new ones; or restores it.
#[server(prefix = "/api/ui", endpoint = "set_score_config_archived")]
pub async fn set_score_config_archived(project_id: String, config_id: String, archived: bool) -> Result<ScoreConfig, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let mut tx = state.pool.begin().await?;
        let mut config = crate::store::score_configs::get_for_update(&mut tx, &scope.project_id, &config_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(annotation.errors.no_config)))?;
        config.is_archived = archived;
        let updated = crate::store::score_configs::update(&mut tx, &scope.project_id, &config).await?;
        let action = if archived { "score_config.archive" } else { "score_config.restore" };
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), action, "score_config", &updated.id, None, None).await?;
        tx.commit().await?;
        Ok(updated)
    }
    .await)
}

// ---------------------------------------------------------------------------------------------
// Annotations

/// What the "Annotate" form of a target shows: configs, everyone's annotations, permissions.
#[server(prefix = "/api/ui", endpoint = "get_annotation_form", input = leptos::server_fn::codec::Json)]
pub async fn get_annotation_form(project_id: String, target: Target) -> Result<AnnotationForm, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project = &scope.project_id;
        loupe_core::annotation::check_target(&state.pool, project, &target).await.map_err(annotation_error)?;
        let page = loupe_core::store::query::Page { limit: 1000, offset: 0 };
        let configs: Vec<ScoreConfig> =
            crate::store::score_configs::list(&state.pool, project, page).await?.into_iter().filter(|c| !c.is_archived).collect();
        let scores = annotation_scores(&state.pool, project, &target).await?;
        let people = people_named(&state.pool, scores.iter().filter_map(|s| s.author_user_id.clone()).collect()).await?;
        Ok(AnnotationForm {
            configs,
            scores,
            people,
            me: scope.user_id.clone(),
            can_annotate: scope.role.can(crate::domain::Action::WriteScores),
            can_edit_any: scope.role.can(crate::domain::Action::ManageProjectSettings),
        })
    }
    .await)
}

#[cfg(feature = "ssr")]
async fn annotation_scores(pool: &sqlx::PgPool, project: &loupe_core::scope::ProjectId, target: &Target) -> Result<Vec<Score>, AppError> {
    use crate::domain::{ObservationId, ScoreSource, TraceId};
    let all = match target {
        Target::Trace { trace_id } => crate::store::scores::for_trace(pool, project, &TraceId::new(trace_id.as_str())).await?,
        Target::Observation { trace_id, observation_id } => {
            crate::store::scores::for_observation(pool, project, &TraceId::new(trace_id.as_str()), &ObservationId::new(observation_id.as_str())).await?
        }
        Target::Session { session_id } => crate::store::scores::for_session(pool, project, session_id).await?,
    };
    Ok(all.into_iter().filter(|s| s.source == ScoreSource::Annotation && target.matches(s)).collect())
}

/// Writes one annotation (the author's score for a config on a target, or — an Admin — the one
/// being corrected).
#[server(prefix = "/api/ui", endpoint = "save_annotation", input = leptos::server_fn::codec::Json)]
pub async fn save_annotation(project_id: String, input: AnnotationInput) -> Result<Score, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        let who = loupe_core::annotation::Annotator {
            user_id: &scope.user_id,
            may_edit_any: scope.role.can(crate::domain::Action::ManageProjectSettings),
        };
        // A score is a unit: refused like ingestion once a refusing plan's quota is used (#22).
        loupe_core::limits::check_ingestion(&state.pool, &scope.project_id).await.map_err(crate::server_fns::usage::limit_error)?;
        loupe_core::annotation::save(&state.pool, &scope.project_id, who, &input).await.map_err(annotation_error)
    }
    .await)
}

/// Deletes an annotation: one's own, or anyone's for an Admin.
#[server(prefix = "/api/ui", endpoint = "delete_annotation")]
pub async fn delete_annotation(project_id: String, score_id: String) -> Result<(), AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        let who = loupe_core::annotation::Annotator {
            user_id: &scope.user_id,
            may_edit_any: scope.role.can(crate::domain::Action::ManageProjectSettings),
        };
        loupe_core::annotation::delete(&state.pool, &scope.project_id, who, &score_id).await.map_err(annotation_error)
    }
    .await)
}

// ---------------------------------------------------------------------------------------------
// Queues

/// The project's queues with their progress and assignees.
#[server(prefix = "/api/ui", endpoint = "list_annotation_queues")]
pub async fn list_annotation_queues(project_id: String) -> Result<Vec<QueueSummary>, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project = &scope.project_id;
        let (queues, _) = crate::store::annotation_queues::list(&state.pool, project, loupe_core::store::query::Page { limit: 1000, offset: 0 }).await?;
        let ids: Vec<String> = queues.iter().map(|q| q.id.clone()).collect();
        let mut counts = crate::store::annotation_queues::counts(&state.pool, project, &ids).await?;
        let assigned = crate::store::annotation_queues::assignees(&state.pool, project, &ids).await?;
        let people = people_named(&state.pool, assigned.iter().map(|(_, u)| u.clone()).collect()).await?;
        Ok(queues
            .into_iter()
            .map(|queue| {
                let assignees = assigned
                    .iter()
                    .filter(|(q, _)| *q == queue.id)
                    .filter_map(|(_, u)| people.iter().find(|p| p.id == *u).cloned())
                    .collect();
                QueueSummary { counts: counts.remove(&queue.id).unwrap_or_default(), assignees, queue }
            })
            .collect())
    }
    .await)
}

/// The people of the project (to assign a queue to).
#[server(prefix = "/api/ui", endpoint = "list_project_people")]
pub async fn list_project_people(project_id: String) -> Result<Vec<crate::domain::annotation::Person>, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        Ok(loupe_core::store::memberships::project_people(&state.pool, &scope.project_id).await?)
    }
    .await)
}

/// Creates a queue: a name, instructions, the configs to fill (at least one, none archived),
/// assignees among the project's people, and reviewers per item.
#[server(prefix = "/api/ui", endpoint = "create_annotation_queue", input = leptos::server_fn::codec::Json)]
pub async fn create_annotation_queue(project_id: String, queue: NewQueueInput) -> Result<AnnotationQueue, AppError> {
    use crate::domain::annotation::MAX_REVIEWERS_PER_ITEM;
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteAnnotations).await?;
        let project = &scope.project_id;
        let name = name("name", &queue.name)?;
        if queue.score_config_ids.is_empty() {
            return Err(AppError::invalid("scoreConfigIds", crate::language::say!(annotation.errors.no_configs)));
        }
        if !(1..=MAX_REVIEWERS_PER_ITEM).contains(&queue.reviewers_per_item) {
            return Err(AppError::invalid("reviewersPerItem", crate::language::say!(annotation.errors.reviewers_range, max = MAX_REVIEWERS_PER_ITEM)));
        }
        let configs = crate::store::score_configs::get_many(&state.pool, project, &queue.score_config_ids).await?;
        if let Some(missing) = queue.score_config_ids.iter().find(|id| !configs.iter().any(|c| &c.id == *id)) {
            return Err(AppError::invalid("scoreConfigIds", crate::language::say!(annotation.errors.unknown_config, id = missing)));
        }
        if let Some(archived) = configs.iter().find(|c| c.is_archived) {
            return Err(AppError::invalid("scoreConfigIds", crate::language::say!(annotation.errors.archived_config, name = archived.name.clone())));
        }
        let people = loupe_core::store::memberships::project_people(&state.pool, project).await?;
        if let Some(stranger) = queue.assignee_ids.iter().find(|id| !people.iter().any(|p| &p.id == *id)) {
            return Err(AppError::invalid("assigneeIds", crate::language::say!(annotation.errors.not_a_member, id = stranger)));
        }
        let description = queue.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
        let new = crate::store::annotation_queues::NewQueue {
            name: &name,
            description,
            score_config_ids: &queue.score_config_ids,
            reviewers_per_item: queue.reviewers_per_item,
            created_by: Some(&user.user_id),
        };
        let mut tx = state.pool.begin().await?;
        // The plan's queue limit, checked under the project's row lock in this transaction.
        loupe_core::limits::check_queue_create(&mut tx, project).await.map_err(crate::server_fns::usage::limit_error)?;
        let created = match crate::store::annotation_queues::create(&mut *tx, project, &new).await {
            Err(crate::store::StoreError::Conflict { .. }) => {
                return Err(AppError::invalid("name", crate::language::say!(annotation.errors.name_taken, name = name)))
            }
            other => other?,
        };
        crate::store::annotation_queues::set_assignees(&mut tx, project, &created.id, &queue.assignee_ids).await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "annotation_queue.create", "annotation_queue", &created.id, None, serde_json::to_value(&created).ok()).await?;
        tx.commit().await?;
        Ok(created)
    }
    .await)
}

/// A queue's page: configs, assignees, counts and each reviewer's progress.
#[server(prefix = "/api/ui", endpoint = "get_annotation_queue")]
pub async fn get_annotation_queue(project_id: String, queue_id: String) -> Result<QueueOverview, AppError> {
    use crate::domain::annotation::ReviewerProgress;
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project = &scope.project_id;
        let queue = find_queue(&state.pool, project, &queue_id).await?;
        let mut configs = crate::store::score_configs::get_many(&state.pool, project, &queue.score_config_ids).await?;
        configs.sort_by_key(|c| queue.score_config_ids.iter().position(|id| *id == c.id));
        let ids = [queue.id.clone()];
        let counts = crate::store::annotation_queues::counts(&state.pool, project, &ids).await?.remove(&queue.id).unwrap_or_default();
        let assigned: Vec<String> = crate::store::annotation_queues::assignees(&state.pool, project, &ids).await?.into_iter().map(|(_, u)| u).collect();
        let reviewed = crate::store::annotation_queues::reviewer_counts(&state.pool, project, &queue.id).await?;
        let people = people_named(&state.pool, assigned.iter().cloned().chain(reviewed.iter().map(|(r, ..)| r.clone())).collect()).await?;
        let person = |id: &str| people.iter().find(|p| p.id == id).cloned().unwrap_or_else(|| crate::domain::annotation::Person { id: id.to_string(), name: id.to_string() });
        Ok(QueueOverview {
            configs,
            assignees: assigned.iter().map(|id| person(id)).collect(),
            counts,
            reviewers: reviewed.iter().map(|(id, completed, skipped)| ReviewerProgress { person: person(id), completed: *completed, skipped: *skipped }).collect(),
            can_review: scope.role.can(crate::domain::Action::WriteAnnotations),
            queue,
        })
    }
    .await)
}

#[cfg(feature = "ssr")]
async fn find_queue(pool: &sqlx::PgPool, project: &loupe_core::scope::ProjectId, queue_id: &str) -> Result<AnnotationQueue, AppError> {
    crate::store::annotation_queues::get(pool, project, queue_id)
        .await?
        .ok_or_else(|| AppError::NotFound(crate::language::say!(annotation.errors.no_queue)))
}

/// A page of a queue's items (newest first) with who holds or completed each.
#[server(prefix = "/api/ui", endpoint = "list_queue_items")]
pub async fn list_queue_items(project_id: String, queue_id: String, filter: ItemFilter, page_number: i64) -> Result<QueueItemPage, AppError> {
    use crate::domain::annotation::QueueItemRow;
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project = &scope.project_id;
        let queue = find_queue(&state.pool, project, &queue_id).await?;
        let (rows, total) = crate::store::annotation_queues::item_rows(&state.pool, project, &queue.id, filter, support::page(page_number)?).await?;
        let people = people_named(&state.pool, rows.iter().flat_map(|r| r.locked_by.iter().chain(r.completed_by.iter()).cloned()).collect()).await?;
        let person = |id: &String| people.iter().find(|p| p.id == *id).cloned().unwrap_or_else(|| crate::domain::annotation::Person { id: id.clone(), name: id.clone() });
        Ok(QueueItemPage {
            rows: rows
                .into_iter()
                .map(|r| QueueItemRow {
                    locked_by: r.locked_by.as_ref().map(person),
                    completed_by: r.completed_by.iter().map(person).collect(),
                    item: r.item,
                    trace_id: r.trace_id,
                    label: r.label,
                })
                .collect(),
            total,
        })
    }
    .await)
}

/// Adds traces, observations or sessions to a queue; adding one twice keeps one item. Returns
/// how many are new.
#[server(prefix = "/api/ui", endpoint = "add_to_queue", input = leptos::server_fn::codec::Json)]
pub async fn add_to_queue(project_id: String, queue_id: String, targets: Vec<Target>) -> Result<u64, AppError> {
    use crate::domain::annotation::ItemStatus;
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::WriteAnnotations).await?;
        let project = &scope.project_id;
        let queue = find_queue(&state.pool, project, &queue_id).await?;
        if targets.is_empty() {
            return Err(AppError::invalid("targets", crate::language::say!(errors.traces.select_one)));
        }
        if targets.len() > crate::server_fns::trace_list::BULK_LIMIT {
            return Err(AppError::invalid("targets", crate::language::say!(errors.traces.select_at_most, limit = crate::server_fns::trace_list::BULK_LIMIT)));
        }
        // Traces in one statement (the bulk action's case); the others one by one, checked first.
        let traces: Vec<String> = targets.iter().filter_map(|t| match t { Target::Trace { trace_id } => Some(trace_id.clone()), _ => None }).collect();
        let mut added = if traces.is_empty() { 0 } else { crate::store::annotation_queues::add_traces(&state.pool, project, &queue.id, &traces).await? };
        for target in targets.iter().filter(|t| !matches!(t, Target::Trace { .. })) {
            loupe_core::annotation::check_target(&state.pool, project, target).await.map_err(annotation_error)?;
            let (_, new) = crate::store::annotation_queues::add_item(&state.pool, project, &queue.id, target.object_type(), target.object_id(), ItemStatus::Pending).await?;
            added += u64::from(new);
        }
        Ok(added)
    }
    .await)
}

/// Adds every trace the traces list's `query` matches (up to `MAX_IMPORT_ITEMS`), in the
/// background; the import's progress is read with [`get_queue_import`].
#[server(prefix = "/api/ui", endpoint = "add_matching_to_queue", input = leptos::server_fn::codec::Json)]
pub async fn add_matching_to_queue(project_id: String, queue_id: String, query: TraceListQuery) -> Result<QueueImport, AppError> {
    use crate::domain::annotation::MAX_IMPORT_ITEMS;
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteAnnotations).await?;
        let project = &scope.project_id;
        let queue = find_queue(&state.pool, project, &queue_id).await?;
        // Refuse a query the list itself would refuse, now rather than in the background.
        let mut query = query;
        query.before = String::new();
        query.parse(chrono::Utc::now()).map_err(|(field, problem)| AppError::invalid(field, crate::pages::traces::filters::query_problem(crate::language::request_locale(), &problem)))?;
        Ok(loupe_core::annotation::start_import(&state.pool, project, &queue.id, &query, MAX_IMPORT_ITEMS, &user.user_id).await?)
    }
    .await)
}

#[server(prefix = "/api/ui", endpoint = "get_queue_import")]
pub async fn get_queue_import(project_id: String, import_id: String) -> Result<QueueImport, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        crate::store::annotation_queues::import(&state.pool, &scope.project_id, &import_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(annotation.errors.no_import)))
    }
    .await)
}

// ---------------------------------------------------------------------------------------------
// Review

/// The item the reviewer should work on next (the one they hold, else the oldest free one they
/// have not reviewed), locked to them; with the queue's progress.
#[server(prefix = "/api/ui", endpoint = "next_review_item")]
pub async fn next_review_item(project_id: String, queue_id: String) -> Result<ReviewState, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::WriteAnnotations).await?;
        review_state(&state.pool, &scope.project_id, &queue_id, &scope.user_id).await
    }
    .await)
}

#[cfg(feature = "ssr")]
async fn review_state(pool: &sqlx::PgPool, project: &loupe_core::scope::ProjectId, queue_id: &str, reviewer: &str) -> Result<ReviewState, AppError> {
    use crate::domain::annotation::{ObjectType, ReviewItem};
    let queue = find_queue(pool, project, queue_id).await?;
    let mut conn = pool.acquire().await?;
    let claimed = crate::store::annotation_queues::claim_next(&mut conn, project, &queue.id, reviewer).await?;
    drop(conn);
    let item = match claimed {
        None => None,
        Some(claimed) => {
            let object_id = claimed.item.object_id.clone();
            let target = match claimed.item.object_type {
                ObjectType::Trace => Target::Trace { trace_id: object_id },
                ObjectType::Session => Target::Session { session_id: object_id },
                ObjectType::Observation => {
                    // An observation whose trace is gone (deleted since) has nothing to show: the
                    // reviewer sees it as missing and skips it.
                    let trace_id = crate::store::annotation_queues::observation_trace(pool, project, &object_id).await?.unwrap_or_default();
                    Target::Observation { trace_id, observation_id: object_id }
                }
            };
            Some(ReviewItem { item: claimed.item, target, locked_until: claimed.locked_until })
        }
    };
    let ids = [queue.id.clone()];
    let counts = crate::store::annotation_queues::counts(pool, project, &ids).await?.remove(&queue.id).unwrap_or_default();
    let done_by_me = crate::store::annotation_queues::done_by(pool, project, &queue.id, reviewer).await?;
    Ok(ReviewState { queue, item, counts, done_by_me })
}

/// Keeps the reviewer's item locked to them while they work; `false` when it is no longer theirs.
#[server(prefix = "/api/ui", endpoint = "renew_review")]
pub async fn renew_review(project_id: String, item_id: String) -> Result<bool, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::WriteAnnotations).await?;
        Ok(crate::store::annotation_queues::renew(&state.pool, &scope.project_id, &item_id, &scope.user_id).await?.is_some())
    }
    .await)
}

/// Lets go of the reviewer's item (the tab closed; sent with `sendBeacon`).
#[server(prefix = "/api/ui", endpoint = "release_review")]
pub async fn release_review(project_id: String, item_id: String) -> Result<(), AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::WriteAnnotations).await?;
        Ok(crate::store::annotation_queues::release(&state.pool, &scope.project_id, &item_id, &scope.user_id).await?)
    }
    .await)
}

/// Records the reviewer's outcome on an item and hands them the next one. Completing needs a
/// score from them for each of the queue's configs on the item.
#[server(prefix = "/api/ui", endpoint = "finish_review")]
pub async fn finish_review(project_id: String, queue_id: String, item_id: String, outcome: Outcome) -> Result<ReviewState, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::WriteAnnotations).await?;
        let project = &scope.project_id;
        let queue = find_queue(&state.pool, project, &queue_id).await?;
        let item = crate::store::annotation_queues::item(&state.pool, project, &queue.id, &item_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(annotation.errors.no_item)))?;
        if outcome == Outcome::Completed {
            let scored = crate::store::annotation_queues::scored_configs(&state.pool, project, &scope.user_id, &queue.score_config_ids, item.object_type, &item.object_id).await?;
            if scored.is_empty() {
                return Err(AppError::invalid("scores", crate::language::say!(annotation.errors.score_first)));
            }
        }
        let mut tx = state.pool.begin().await?;
        crate::store::annotation_queues::review(&mut tx, project, &queue.id, &item.id, &scope.user_id, outcome).await?;
        tx.commit().await?;
        review_state(&state.pool, project, &queue.id, &scope.user_id).await
    }
    .await)
}

/// Agreement between the queue's reviewers on each of its configs, over the items two of them
/// both scored in this queue: Cohen's kappa for categorical and boolean configs, Pearson and
/// Spearman for numeric ones, each pair of reviewers and all pairs pooled.
#[server(prefix = "/api/ui", endpoint = "queue_agreement")]
pub async fn queue_agreement(project_id: String, queue_id: String) -> Result<Vec<crate::domain::annotation::ConfigAgreement>, AppError> {
    use crate::domain::annotation::{ConfigAgreement, PairAgreement};
    use crate::domain::score_stats::Agreement;
    use loupe_core::store::score_analytics::{paired_values, ScoreSide};
    use support::*;
    /// Reviewers compared pairwise (45 pairs); a queue with more shows its most active ones.
    const MAX_REVIEWERS: usize = 10;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project = &scope.project_id;
        let queue = find_queue(&state.pool, project, &queue_id).await?;
        let reviewers: Vec<String> = crate::store::annotation_queues::reviewer_counts(&state.pool, project, &queue.id)
            .await?
            .into_iter()
            .filter(|(_, completed, _)| *completed > 0)
            .map(|(id, ..)| id)
            .take(MAX_REVIEWERS)
            .collect();
        if reviewers.len() < 2 {
            return Ok(Vec::new());
        }
        let people = people_named(&state.pool, reviewers.clone()).await?;
        let person = |id: &str| people.iter().find(|p| p.id == id).cloned().unwrap_or_else(|| crate::domain::annotation::Person { id: id.to_string(), name: id.to_string() });
        let configs = crate::store::score_configs::get_many(&state.pool, project, &queue.score_config_ids).await?;
        let mut out = Vec::new();
        for config in configs {
            let numeric = config.data_type == crate::domain::ScoreDataType::Numeric;
            let side = |author: &str| ScoreSide { name: config.name.clone(), author_user_id: Some(author.to_string()), queue_id: Some(queue.id.clone()), source: Some(crate::domain::ScoreSource::Annotation) };
            let (mut all_numbers, mut all_labels, mut pairs) = (Vec::new(), Vec::new(), Vec::new());
            for (i, a) in reviewers.iter().enumerate() {
                for b in &reviewers[i + 1..] {
                    let paired = paired_values(&state.pool, project, &side(a), &side(b), 100_000).await?;
                    let agreement = if numeric {
                        let numbers = paired.numeric();
                        all_numbers.extend(numbers.iter().copied());
                        Agreement::numeric(&numbers)
                    } else {
                        let labels = paired.labels();
                        all_labels.extend(labels.iter().cloned());
                        Agreement::categorical(&labels)
                    };
                    if agreement.shared > 0 {
                        pairs.push(PairAgreement { a: person(a), b: person(b), agreement });
                    }
                }
            }
            let pooled = if numeric { Agreement::numeric(&all_numbers) } else { Agreement::categorical(&all_labels) };
            if pooled.shared > 0 {
                out.push(ConfigAgreement { config_name: config.name.clone(), pooled, pairs });
            }
        }
        Ok(out)
    }
    .await)
}
