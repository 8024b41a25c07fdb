//! The traces list: its pages (filtered, sorted, cursor-paged), bulk actions on selected traces
//! and the project's saved views.

use leptos::prelude::*;

use crate::domain::trace_list::{BulkAction, SavedView, TraceListPage, TraceListQuery};
use crate::error::AppError;

pub const PAGE_SIZE: i64 = 50;

/// One page of the project's traces: filtered, sorted (time, latency or cost; newest / largest
/// first by default) and continued after the query's cursor. Aggregates come from
/// `trace_metrics` (kept by ingestion), scores from one query over the page's traces.
#[server(prefix = "/api/ui", endpoint = "list_traces")]
pub async fn list_traces(project_id: String, #[server(default)] query: TraceListQuery) -> Result<TraceListPage, AppError> {
    use crate::server_fns::support::{base_url, project_call, respond, ProjectCall};
    use crate::domain::trace_list::{cursor_of, SetupHint, TraceListRow};
    use crate::store::{trace_list, traces};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let spec = query.parse(chrono::Utc::now()).map_err(|(field, problem)| AppError::invalid(field, crate::pages::traces::filters::query_problem(crate::language::request_locale(), &problem)))?;
        // One more than a page tells whether another page follows.
        let mut found = trace_list::page(&state.pool, &project_id, &spec, PAGE_SIZE + 1).await?;
        let next_before = (found.len() as i64 > PAGE_SIZE).then(|| {
            found.truncate(PAGE_SIZE as usize);
            let last = found.last().expect("a full page");
            cursor_of(last.sort_value(spec.sort), last.trace.timestamp, &last.trace.id)
        });
        let ids: Vec<String> = found.iter().map(|t| t.trace.id.clone()).collect();
        let mut scores = trace_list::scores(&state.pool, &project_id, &ids).await?;
        let rows = found
            .into_iter()
            .map(|t| {
                let (score_count, scores) = scores.remove(&t.trace.id).unwrap_or_default();
                TraceListRow {
                    latency: t.latency,
                    total_cost: t.total_cost,
                    total_tokens: t.total_tokens,
                    observation_count: t.observation_count.max(0) as usize,
                    level: t.level.clamp(0, 3) as u8,
                    error_count: t.error_count,
                    warning_count: t.warning_count,
                    models: t.models,
                    input_preview: t.input_preview,
                    output_preview: t.output_preview,
                    score_count,
                    scores,
                    trace: t.trace,
                }
            })
            .collect::<Vec<_>>();
        let setup = if rows.is_empty() && !query.is_filtered() && query.before.is_empty() && !traces::any(&state.pool, &project_id).await? {
            let public_key = crate::store::api_keys::newest_public_key(&state.pool, &project_id).await?;
            Some(SetupHint { host: base_url(&state), public_key })
        } else {
            None
        };
        Ok(TraceListPage { rows, next_before, setup })
    }
    .await)
}

/// At most this many traces per bulk action (a page holds 50).
pub const BULK_LIMIT: usize = 1000;

/// Applies a bulk action to the selected traces of the project; returns how many traces it
/// changed. Ids of other projects' traces change nothing: every statement is scoped by project.
#[server(prefix = "/api/ui", endpoint = "bulk_traces")]
pub async fn bulk_traces(project_id: String, action: BulkAction, #[server(default)] trace_ids: Vec<String>) -> Result<u64, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let permission = match action {
            BulkAction::Delete => crate::domain::Action::WriteTraces,
        };
        let ProjectCall { state, user, scope } = project_call(&project_id, permission).await?;
        let project_id = scope.project_id.clone();
        if trace_ids.is_empty() {
            return Err(AppError::invalid("trace_ids", crate::language::say!(errors.traces.select_one)));
        }
        if trace_ids.len() > BULK_LIMIT {
            return Err(AppError::invalid("trace_ids", crate::language::say!(errors.traces.select_at_most, limit = BULK_LIMIT)));
        }
        match action {
            BulkAction::Delete => {
                let mut tx = state.pool.begin().await?;
                let deleted = crate::store::traces::delete_in(&mut tx, &project_id, &trace_ids).await?;
                audit(
                    &mut tx,
                    &user.user_id,
                    &scope.org_id,
                    Some(&project_id),
                    "trace.bulk_delete",
                    "trace",
                    &format!("{} traces", deleted.traces),
                    Some(serde_json::json!({"traces": deleted.traces, "observations": deleted.observations, "scores": deleted.scores,
                                            "traceIds": trace_ids})),
                    None,
                )
                .await?;
                tx.commit().await?;
                Ok(deleted.traces)
            }
        }
    }
    .await)
}

/// The project's saved views, by name; `deletable` says which the caller may delete.
#[server(prefix = "/api/ui", endpoint = "list_saved_views")]
pub async fn list_saved_views(project_id: String) -> Result<Vec<SavedView>, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id.clone();
        let mut views = crate::store::saved_views::list(&state.pool, &project_id).await?;
        for view in &mut views {
            view.deletable = may_delete(&scope, view);
        }
        Ok(views)
    }
    .await)
}

#[cfg(feature = "ssr")]
fn may_delete(scope: &crate::auth::access::ProjectScope, view: &SavedView) -> bool {
    use crate::domain::Action;
    (scope.role.can(Action::SaveViews) && view.created_by.as_deref() == Some(scope.user_id.as_str()))
        || scope.role.can(Action::ManageProjectSettings)
}

/// Saves the list query under a name (unique in the project).
#[server(prefix = "/api/ui", endpoint = "create_saved_view")]
pub async fn create_saved_view(project_id: String, name: String, #[server(default)] query: TraceListQuery) -> Result<SavedView, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::SaveViews).await?;
        let project_id = scope.project_id.clone();
        let name = crate::server_fns::support::name("name", &name)?;
        // A view is filters and sort (not a position): saved without the cursor, and only when
        // it reads back.
        let query = query.first_page();
        query.parse(chrono::Utc::now()).map_err(|(field, problem)| AppError::invalid(field, crate::pages::traces::filters::query_problem(crate::language::request_locale(), &problem)))?;
        let query = query.to_search();
        if query.len() > 4000 {
            return Err(AppError::invalid("query", crate::language::say!(errors.traces.view_too_long)));
        }
        let mut tx = state.pool.begin().await?;
        let view = crate::store::saved_views::create(&mut tx, &project_id, &name, &query, &user.user_id)
            .await?
            .ok_or_else(|| AppError::invalid("name", crate::language::say!(errors.traces.view_exists, name = &name)))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&project_id), "saved_view.create", "saved_view", &view.id, None,
            Some(serde_json::json!({"name": view.name, "query": view.query}))).await?;
        tx.commit().await?;
        Ok(view)
    }
    .await)
}

/// Deletes a saved view: its creator (a Member or above) or an Admin.
#[server(prefix = "/api/ui", endpoint = "delete_saved_view")]
pub async fn delete_saved_view(project_id: String, view_id: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::SaveViews).await?;
        let project_id = scope.project_id.clone();
        let mut tx = state.pool.begin().await?;
        let view = crate::store::saved_views::get(&mut tx, &project_id, &view_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.saved_view, id = &view_id)))?;
        if !may_delete(&scope, &view) {
            return Err(crate::domain::permissions::Forbidden { role: scope.role, action: crate::domain::Action::ManageProjectSettings }.into());
        }
        crate::store::saved_views::delete(&mut tx, &project_id, &view_id).await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&project_id), "saved_view.delete", "saved_view", &view.id,
            Some(serde_json::json!({"name": view.name, "query": view.query})), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}
