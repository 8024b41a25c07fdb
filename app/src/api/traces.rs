//! The trace explorer's reads.

use leptos::prelude::*;

use crate::domain::trace_list::{TraceListPage, TraceListQuery};
use crate::error::AppError;

pub const PAGE_SIZE: i64 = 50;

/// One page of the project's traces, newest first, narrowed by the query's filters.
#[server(prefix = "/api/ui", endpoint = "list_traces")]
pub async fn list_traces(project_id: String, #[server(default)] query: TraceListQuery) -> Result<TraceListPage, AppError> {
    use crate::api::support::{base_url, respond, state};
    use crate::domain::trace_list::{cursor_of, parse_cursor, SetupHint, TraceListRow};
    use crate::store::traces::{self, TraceFilter};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        crate::auth::access::project(&state.pool, &user, &project_id, crate::domain::Action::ReadProjectData).await?;
        let before = match query.before.as_str() {
            "" => None,
            cursor => Some(parse_cursor(cursor).ok_or_else(|| {
                AppError::invalid("before", "This page link is damaged; start again from the newest traces.")
            })?),
        };
        let from_timestamp = match query.range.as_str() {
            "" => None,
            range => Some(
                chrono::Utc::now()
                    - crate::domain::trace_list::range_length(range).ok_or_else(|| {
                        AppError::invalid("range", format!("Unknown time range {range:?}: use 1h, 24h, 7d or 30d."))
                    })?,
            ),
        };
        let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
        let filter = TraceFilter {
            name: some(&query.name),
            user_id: some(&query.user),
            session_id: some(&query.session),
            tags: some(&query.tag).into_iter().collect(),
            environments: some(&query.environment).into_iter().collect(),
            release: some(&query.release),
            version: some(&query.version),
            from_timestamp,
            ..Default::default()
        };
        // One more than a page tells whether an older page exists.
        let mut found = traces::older_than(&state.pool, &project_id, &filter, before, PAGE_SIZE + 1).await?;
        let next_before = (found.len() as i64 > PAGE_SIZE).then(|| {
            found.truncate(PAGE_SIZE as usize);
            let last = found.last().expect("a full page");
            cursor_of(last.timestamp, &last.id)
        });
        let ids: Vec<String> = found.iter().map(|t| t.id.clone()).collect();
        let mut metrics = traces::metrics(&state.pool, &project_id, &ids).await?;
        let rows = found
            .into_iter()
            .map(|trace| {
                let m = metrics.remove(&trace.id).unwrap_or_default();
                TraceListRow {
                    latency: m.latency,
                    total_cost: m.total_cost,
                    observation_count: m.observation_ids.len(),
                    score_count: m.score_ids.len(),
                    trace,
                }
            })
            .collect::<Vec<_>>();
        let setup = if rows.is_empty() && !query.is_filtered() && query.before.is_empty() && !traces::any(&state.pool, &project_id).await? {
            let public_key: Option<String> =
                sqlx::query_scalar("SELECT public_key FROM api_keys WHERE project_id = $1 ORDER BY created_at DESC LIMIT 1")
                    .bind(&project_id)
                    .fetch_optional(&state.pool)
                    .await?;
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
    use crate::api::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        crate::auth::access::project(&state.pool, &user, &project_id, crate::domain::Action::ReadProjectData).await?;
        check_page(page)?;
        let (rows, more) = crate::store::trace_users::page(&state.pool, &project_id, USERS_PAGE_SIZE, page * USERS_PAGE_SIZE).await?;
        Ok(crate::domain::trace_list::TraceUserPage { rows, next_page: more.then_some(page + 1) })
    }
    .await)
}

/// The project's sessions, most recently active first.
#[server(prefix = "/api/ui", endpoint = "list_trace_sessions")]
pub async fn list_trace_sessions(project_id: String, #[server(default)] page: i64) -> Result<crate::domain::trace_list::TraceSessionPage, AppError> {
    use crate::api::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        crate::auth::access::project(&state.pool, &user, &project_id, crate::domain::Action::ReadProjectData).await?;
        check_page(page)?;
        let (rows, more) =
            crate::store::trace_users::sessions_page(&state.pool, &project_id, USERS_PAGE_SIZE, page * USERS_PAGE_SIZE).await?;
        Ok(crate::domain::trace_list::TraceSessionPage { rows, next_page: more.then_some(page + 1) })
    }
    .await)
}

/// A session's traces, oldest first, with their input and output: the conversation.
#[server(prefix = "/api/ui", endpoint = "get_trace_session")]
pub async fn get_trace_session(project_id: String, session_id: String) -> Result<Vec<crate::domain::trace_views::Trace>, AppError> {
    use crate::api::support::{respond, state};
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
    use crate::api::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        crate::auth::access::project(&state.pool, &user, &project_id, crate::domain::Action::ReadProjectData).await?;
        let summary = crate::store::trace_users::summary(&state.pool, &project_id, &user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        let sessions = crate::store::trace_users::sessions_of_user(&state.pool, &project_id, &user_id, 20).await?;
        let filter = crate::store::traces::TraceFilter { user_id: Some(user_id.clone()), ..Default::default() };
        let recent_traces = crate::store::traces::older_than(&state.pool, &project_id, &filter, None, 20).await?;
        Ok(crate::domain::trace_list::TraceUserDetail { user: summary, sessions, recent_traces })
    }
    .await)
}
