//! The application's end users (`userId` of traces): the Users page's reads.

use leptos::prelude::*;

use crate::error::AppError;

/// The application's end users (`userId` of traces) whose id contains `search`, most recently
/// active first.
#[server(prefix = "/api/ui", endpoint = "list_users")]
pub async fn list_users(
    project_id: String,
    #[server(default)] page: i64,
    #[server(default)] search: String,
) -> Result<crate::domain::trace_list::TraceUserPage, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let (limit, offset) = crate::server_fns::support::activity_page(page)?;
        let (rows, more) = crate::store::users::page(&state.pool, &project_id, &search, limit, offset).await?;
        Ok(crate::domain::trace_list::TraceUserPage { rows, next_page: more.then_some(page + 1) })
    }
    .await)
}

/// One end user: their totals, sessions and latest traces.
#[server(prefix = "/api/ui", endpoint = "get_user")]
pub async fn get_user(project_id: String, user_id: String) -> Result<crate::domain::trace_list::TraceUserDetail, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let summary = crate::store::users::summary(&state.pool, &project_id, &user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.user, id = &user_id)))?;
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
