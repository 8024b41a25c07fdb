//! Server functions (`server_fns`, the name used in every layer; the public API is the
//! server's `public_api`): the UI's only way to the server, all under `/api/ui`. Each is thin: check who
//! is asking and what they may do (`auth::access`, the permission matrix), call `store` in one
//! transaction, record the change in the audit log in that same transaction, map the error.
//! Errors answer with their 4xx/5xx status (`AppError::status`) as well as the JSON body.

pub mod account;
pub mod annotation;
pub mod api_keys;
pub mod audit;
pub mod comments;
pub mod dashboards;
pub mod evaluator_views;
pub mod evaluators;
pub mod experiments;
pub mod datasets;
pub mod invitations;
pub mod llm_connections;
pub mod members;
pub mod models;
pub mod organizations;
pub mod playground;
pub mod plans;
pub mod projects;
pub mod prompts;
pub mod retention;
pub mod scores;
pub mod system;
pub mod sessions;
pub mod trace_detail;
pub mod trace_list;
pub mod usage;
pub mod users;

#[cfg(feature = "ssr")]
pub(crate) mod support {
    use axum::http::request::Parts;
    use axum::http::StatusCode;
    use leptos::prelude::use_context;
    use serde_json::Value;
    use sqlx::PgConnection;

    use crate::auth::access::{self, OrgScope, ProjectScope};
    use crate::auth::session::CurrentUser;
    use crate::domain::Action;
    use crate::error::AppError;
    use crate::state::AppState;
    use crate::store::audit_log::{self, Actor, Entry};
    use loupe_core::scope::{OrganizationId, ProjectId};

    /// The server state. Absent only when the app is rendered outside a request — as
    /// `generate_route_list` does once to discover the routes, which also creates the shell's
    /// resources — so that case is an error, not a panic.
    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or(AppError::Internal)
    }

    /// A signed-in person's call on one project, checked for the action it is about to take:
    /// what every project-scoped server function starts with, so none can forget the check.
    pub struct ProjectCall {
        pub state: AppState,
        pub user: CurrentUser,
        pub scope: ProjectScope,
    }

    /// How a person is named to the others in a shared document (and in its notices).
    pub async fn author_name(pool: &sqlx::PgPool, user_id: &str) -> Result<String, AppError> {
        let summary = loupe_core::store::accounts::summary(pool, user_id).await?.ok_or(AppError::SignInRequired)?;
        Ok(summary.name.filter(|n| !n.trim().is_empty()).unwrap_or(summary.email))
    }

    /// The server state, the signed-in person and their right to `action` in `project_id`.
    pub async fn project_call(project_id: &str, action: Action) -> Result<ProjectCall, AppError> {
        let state = state()?;
        let user = access::signed_in()?;
        let scope = access::project(&state.pool, &user, project_id, action).await?;
        Ok(ProjectCall { state, user, scope })
    }

    /// [`ProjectCall`] for an organization.
    pub struct OrgCall {
        pub state: AppState,
        pub user: CurrentUser,
        pub scope: OrgScope,
    }

    /// The server state, the signed-in person and their right to `action` in `org_id`.
    pub async fn org_call(org_id: &str, action: Action) -> Result<OrgCall, AppError> {
        let state = state()?;
        let user = access::signed_in()?;
        let scope = access::organization(&state.pool, &user, org_id, action).await?;
        Ok(OrgCall { state, user, scope })
    }

    /// Sets the response status from the error, then passes the result on.
    pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(error) = &result {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
            }
        }
        result
    }

    /// The URL people and SDKs reach this instance at: the configured public URL, else the
    /// request's host (behind a proxy, `X-Forwarded-Proto` gives the scheme).
    pub fn base_url(state: &AppState) -> String {
        if let Some(url) = &state.settings.public_url {
            return url.clone();
        }
        let parts = use_context::<Parts>();
        let header = |name: &str| {
            parts.as_ref().and_then(|p| p.headers.get(name)).and_then(|v| v.to_str().ok()).map(str::to_string)
        };
        let host = header("host").unwrap_or_else(|| "localhost".to_string());
        let scheme = header("x-forwarded-proto").filter(|p| p == "https").unwrap_or_else(|| "http".to_string());
        format!("{scheme}://{host}")
    }

    /// A trimmed, non-empty name of at most 255 characters.
    pub fn name(field: &str, value: &str) -> Result<String, AppError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(AppError::invalid(field, crate::language::say!(errors.names.empty)));
        }
        if value.chars().count() > 255 {
            return Err(AppError::invalid(field, crate::language::say!(errors.names.too_long)));
        }
        if value.chars().any(char::is_control) {
            return Err(AppError::invalid(field, crate::language::say!(errors.names.control)));
        }
        Ok(value.to_string())
    }

    /// `(limit, offset)` of page `page` (from 0) of an offset-paged list (users, sessions): those
    /// are for browsing recent activity, deep paging is the traces list's cursor's job.
    pub fn activity_page(page: i64) -> Result<(i64, i64), AppError> {
        const PAGE_SIZE: i64 = 50;
        if (0..=100_000).contains(&page) {
            Ok((PAGE_SIZE, page * PAGE_SIZE))
        } else {
            Err(AppError::invalid("page", crate::language::say!(errors.pages_start_at_zero)))
        }
    }

    /// Records one change by the signed-in person, in the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn audit(
        conn: &mut PgConnection,
        user_id: &str,
        org_id: &OrganizationId,
        project_id: Option<&ProjectId>,
        action: &str,
        resource_type: &str,
        resource_id: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), AppError> {
        audit_log::record(
            conn,
            Entry { org_id, project_id, actor: Actor::User(user_id.to_string()), action, resource_type, resource_id, before, after },
        )
        .await?;
        Ok(())
    }
}
