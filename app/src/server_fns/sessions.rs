//! Trace sessions (`sessionId` of traces): the Sessions page's reads.

use leptos::prelude::*;

use crate::error::AppError;

/// The project's sessions, most recently active first: those whose id or a user contains
/// `search`, with traces in `environment` (all when empty) and active within `range` (a preset of
/// [`crate::domain::trace_list::RANGES`]; all time when empty).
#[server(prefix = "/api/ui", endpoint = "list_sessions")]
pub async fn list_sessions(
    project_id: String,
    #[server(default)] page: i64,
    #[server(default)] search: String,
    #[server(default)] environment: String,
    #[server(default)] range: String,
) -> Result<crate::domain::trace_list::TraceSessionPage, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let (limit, offset) = crate::server_fns::support::activity_page(page)?;
        let active_since = match range.as_str() {
            "" => None,
            preset => match crate::domain::trace_list::range_length(preset) {
                Some(length) => Some(chrono::Utc::now() - length),
                None => return Err(AppError::invalid("range", crate::language::say!(errors.sessions.unknown_range, preset))),
            },
        };
        let filter = crate::store::sessions::ActivityFilter { search: &search, environment: environment.trim(), active_since };
        let (rows, more) = crate::store::sessions::activity_page(&state.pool, &project_id, filter, limit, offset).await?;
        let environments = crate::store::sessions::environments(&state.pool, &project_id).await?;
        Ok(crate::domain::trace_list::TraceSessionPage { rows, next_page: more.then_some(page + 1), environments })
    }
    .await)
}

/// A session's traces, oldest first, with their input and output (the conversation), its totals
/// and its own scores.
#[server(prefix = "/api/ui", endpoint = "get_session")]
pub async fn get_session(project_id: String, session_id: String) -> Result<crate::domain::trace_list::SessionDetail, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let traces = crate::store::traces::for_session(&state.pool, &project_id, &session_id).await?;
        if traces.is_empty() {
            return Err(AppError::NotFound(crate::language::say!(errors.not_found.session, id = session_id.as_str())));
        }
        let (total_cost, total_tokens) = crate::store::sessions::totals(&state.pool, &project_id, &session_id).await?;
        let scores = crate::store::scores::for_session(&state.pool, &project_id, &session_id).await?;
        let score_authors = crate::server_fns::trace_detail::score_authors(&state.pool, &project_id, &scores).await?;
        Ok(crate::domain::trace_list::SessionDetail { traces, total_cost, total_tokens, scores, score_authors })
    }
    .await)
}
