//! The trace page's reads, split by size: the header (`get_trace`), the waterfall's tree
//! (`get_trace_tree`: every observation, but only what a row shows) and one observation's
//! details (`get_observation`, when it is selected). A trace of 100,000 observations thus
//! never ships 100,000 inputs and outputs to the browser.
//!
//! The reads serve the project's members and, for a public trace, anyone with its share link
//! (`auth::access::trace_reader`).

use leptos::prelude::*;

use crate::domain::trace_detail::{ObservationDetail, TraceDetail};
use crate::domain::waterfall::TraceTree;
use crate::domain::{ObservationId, TraceId};
use crate::error::AppError;

/// The trace with its input, output and metadata, its totals and its scores.
#[server(prefix = "/api/ui", endpoint = "get_trace")]
pub async fn get_trace(project_id: String, trace_id: TraceId) -> Result<TraceDetail, AppError> {
    use crate::server_fns::support::{base_url, respond, state};
    respond(async {
        let state = state()?;
        let project_id = crate::auth::access::trace_reader(&state.pool, &project_id, &trace_id).await?;
        let trace = crate::store::traces::get(&state.pool, &project_id, &trace_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.trace, id = trace_id.as_str())))?;
        let totals = crate::store::traces::totals(&state.pool, &project_id, &trace_id).await?;
        let scores = crate::store::scores::for_trace(&state.pool, &project_id, &trace_id).await?;
        let score_authors = score_authors(&state.pool, &project_id, &scores).await?;
        Ok(TraceDetail {
            score_authors,
            trace,
            latency: totals.latency,
            total_cost: totals.total_cost,
            total_tokens: totals.total_tokens,
            observation_count: totals.observation_count,
            error_count: totals.error_count,
            warning_count: totals.warning_count,
            scores,
            share_url: format!("{}{}", base_url(&state), crate::domain::trace_detail::share_path(project_id.as_str(), trace_id.as_str())),
        })
    }
    .await)
}

/// The waterfall: every observation of the trace in tree order, without input or output.
#[server(prefix = "/api/ui", endpoint = "get_trace_tree")]
pub async fn get_trace_tree(project_id: String, trace_id: TraceId) -> Result<TraceTree, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let project_id = crate::auth::access::trace_reader(&state.pool, &project_id, &trace_id).await?;
        let inputs = crate::store::observations::tree_inputs(&state.pool, &project_id, &trace_id).await?;
        if inputs.is_empty() && !crate::store::traces::exists(&state.pool, &project_id, &trace_id).await? {
            return Err(AppError::NotFound(crate::language::say!(errors.not_found.trace, id = trace_id.as_str())));
        }
        // Ordering 100,000 rows is CPU work: keep it off the async workers.
        tokio::task::spawn_blocking(move || TraceTree::build(inputs))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "building a trace tree failed");
                AppError::Internal
            })
    }
    .await)
}

/// One observation of the trace, with everything it carries and its scores.
#[server(prefix = "/api/ui", endpoint = "get_observation")]
pub async fn get_observation(project_id: String, trace_id: TraceId, observation_id: ObservationId) -> Result<ObservationDetail, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let project_id = crate::auth::access::trace_reader(&state.pool, &project_id, &trace_id).await?;
        let observation = crate::store::observations::get_in_trace(&state.pool, &project_id, &trace_id, &observation_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.observation, id = observation_id.as_str())))?;
        let scores = crate::store::scores::for_observation(&state.pool, &project_id, &trace_id, &observation_id).await?;
        let attributes = crate::store::observations::otel_attributes(&state.pool, &project_id, &observation_id)
            .await?
            .map(|(attributes, mapping)| crate::domain::otel_inspector::rows(&attributes, &mapping))
            .unwrap_or_default();
        let score_authors = score_authors(&state.pool, &project_id, &scores).await?;
        Ok(ObservationDetail { observation, scores, score_authors, attributes })
    }
    .await)
}

/// Shares a trace by link (public) or stops sharing it. Members and up; audited.
#[server(prefix = "/api/ui", endpoint = "set_trace_public")]
pub async fn set_trace_public(project_id: String, trace_id: TraceId, public: bool) -> Result<bool, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteTraces).await?;
        let project_id = scope.project_id.clone();
        let mut tx = state.pool.begin().await?;
        let before = crate::store::traces::set_public(&mut tx, &project_id, &trace_id, public)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.trace, id = trace_id.as_str())))?;
        if before != public {
            let action = if public { "trace.publish" } else { "trace.unpublish" };
            audit(&mut tx, &user.user_id, &scope.org_id, Some(&project_id), action, "trace", trace_id.as_str(),
                Some(serde_json::json!({ "public": before })), Some(serde_json::json!({ "public": public }))).await?;
        }
        tx.commit().await?;
        Ok(public)
    }
    .await)
}

/// The names of the people who wrote `scores`, for members only: a public trace's visitors are
/// not told who in the team annotated it.
#[cfg(feature = "ssr")]
pub(crate) async fn score_authors(
    pool: &sqlx::PgPool,
    project_id: &loupe_core::scope::ProjectId,
    scores: &[crate::domain::score_views::Score],
) -> Result<Vec<crate::domain::account::Person>, AppError> {
    let mut ids: Vec<String> = scores.iter().filter_map(|s| s.author_user_id.clone()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let Some(user) = crate::auth::access::current_user() else { return Ok(Vec::new()) };
    if loupe_core::store::memberships::project_standing(pool, project_id.as_str(), &user.user_id).await?.is_none() {
        return Ok(Vec::new());
    }
    ids.sort();
    ids.dedup();
    Ok(loupe_core::store::memberships::people(pool, &ids).await?)
}
