//! The trace explorer's reads.

use leptos::prelude::*;

use crate::domain::trace_list::{TraceListPage, TraceListQuery};
use crate::error::AppError;

pub const PAGE_SIZE: i64 = 50;

/// One page of the project's traces: filtered, sorted (time, latency or cost; newest / largest
/// first by default) and continued after the query's cursor. Aggregates come from
/// `trace_metrics` (kept by ingestion), scores from one query over the page's traces.
#[server(prefix = "/api/ui", endpoint = "list_traces")]
pub async fn list_traces(project_id: String, #[server(default)] query: TraceListQuery) -> Result<TraceListPage, AppError> {
    use crate::server_fns::support::{base_url, respond, state};
    use crate::domain::trace_list::{cursor_of, SetupHint, TraceListRow};
    use crate::store::{trace_list, traces};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        crate::auth::access::project(&state.pool, &user, &project_id, crate::domain::Action::ReadProjectData).await?;
        let spec = query.parse(chrono::Utc::now()).map_err(|(field, message)| AppError::invalid(field, message))?;
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

pub const USERS_PAGE_SIZE: i64 = 50;

/// Offset pages (users, sessions) are for browsing recent activity; deep paging is the traces
/// list's cursor's job.
#[cfg(feature = "ssr")]
fn check_page(page: i64) -> Result<(), AppError> {
    if (0..=100_000).contains(&page) { Ok(()) } else { Err(AppError::invalid("page", "Pages start at 0.")) }
}

/// The application's end users (`userId` of traces), most recently active first.
#[server(prefix = "/api/ui", endpoint = "list_trace_users")]
pub async fn list_trace_users(project_id: String, #[server(default)] page: i64) -> Result<crate::domain::trace_list::TraceUserPage, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        crate::auth::access::project(&state.pool, &user, &project_id, crate::domain::Action::ReadProjectData).await?;
        check_page(page)?;
        let (rows, more) = crate::store::users::page(&state.pool, &project_id, USERS_PAGE_SIZE, page * USERS_PAGE_SIZE).await?;
        Ok(crate::domain::trace_list::TraceUserPage { rows, next_page: more.then_some(page + 1) })
    }
    .await)
}

/// The project's sessions, most recently active first.
#[server(prefix = "/api/ui", endpoint = "list_trace_sessions")]
pub async fn list_trace_sessions(project_id: String, #[server(default)] page: i64) -> Result<crate::domain::trace_list::TraceSessionPage, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        crate::auth::access::project(&state.pool, &user, &project_id, crate::domain::Action::ReadProjectData).await?;
        check_page(page)?;
        let (rows, more) =
            crate::store::sessions::activity_page(&state.pool, &project_id, USERS_PAGE_SIZE, page * USERS_PAGE_SIZE).await?;
        Ok(crate::domain::trace_list::TraceSessionPage { rows, next_page: more.then_some(page + 1) })
    }
    .await)
}

/// A session's traces, oldest first, with their input and output: the conversation.
#[server(prefix = "/api/ui", endpoint = "get_trace_session")]
pub async fn get_trace_session(project_id: String, session_id: String) -> Result<Vec<crate::domain::trace_views::Trace>, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        crate::auth::access::project(&state.pool, &user, &project_id, crate::domain::Action::ReadProjectData).await?;
        let traces = crate::store::traces::for_session(&state.pool, &project_id, &session_id).await?;
        if traces.is_empty() {
            return Err(AppError::NotFound(format!("session {session_id}")));
        }
        Ok(traces)
    }
    .await)
}

/// One end user: their totals, sessions and latest traces.
#[server(prefix = "/api/ui", endpoint = "get_trace_user")]
pub async fn get_trace_user(project_id: String, user_id: String) -> Result<crate::domain::trace_list::TraceUserDetail, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        crate::auth::access::project(&state.pool, &user, &project_id, crate::domain::Action::ReadProjectData).await?;
        let summary = crate::store::users::summary(&state.pool, &project_id, &user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        let sessions = crate::store::users::sessions_of_user(&state.pool, &project_id, &user_id, 20).await?;
        let filter = crate::store::traces::TraceFilter { user_id: Some(user_id.clone()), ..Default::default() };
        let recent_traces = crate::store::traces::list(
            &state.pool,
            &project_id,
            &filter,
            crate::store::traces::TraceOrder::default(),
            crate::store::query::Page { limit: 20, offset: 0 },
            false,
        )
        .await?;
        Ok(crate::domain::trace_list::TraceUserDetail { user: summary, sessions, recent_traces })
    }
    .await)
}
