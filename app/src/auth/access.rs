//! Who is asking, and may they? Every server function starts here: [`signed_in`] for the person,
//! then [`project`] or [`organization`] with the [`Action`] it is about to take. Roles are looked
//! up per call (one indexed query), so a role change or removal applies to the very next request.
//!
//! A project or organization the person does not belong to is reported as *not found*, exactly
//! like one that does not exist: membership is never revealed to outsiders.

use axum::http::request::Parts;
use leptos::prelude::use_context;
use sqlx::PgPool;

use super::session::{ClientIp, CurrentUser};
use crate::domain::{Action, TraceId};
use crate::error::AppError;

/// The signed-in person of the current request, if any.
pub fn current_user() -> Option<CurrentUser> {
    use_context::<Parts>().and_then(|parts| parts.extensions.get::<CurrentUser>().cloned())
}

/// The signed-in person, or `SignInRequired`.
pub fn signed_in() -> Result<CurrentUser, AppError> {
    current_user().ok_or(AppError::SignInRequired)
}

/// The client's address (for throttling); "unknown" when the server did not record one.
pub fn client_ip() -> String {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<ClientIp>().map(|ip| ip.0.clone()))
        .unwrap_or_else(|| "unknown".to_string())
}

pub use loupe_core::auth::access::{OrgScope, ProjectScope};
use loupe_core::auth::access::Denied;
use loupe_core::scope::ProjectId;

fn refused(denied: Denied, what: impl FnOnce() -> String) -> AppError {
    match denied {
        Denied::NotFound => AppError::NotFound(what()),
        Denied::Forbidden(forbidden) => forbidden.into(),
        Denied::Store(error) => error.into(),
    }
}

/// The person's effective role in the project (the project override, else the organization
/// role), checked against `action`: the only way a server function gets a [`ProjectId`].
pub async fn project(pool: &PgPool, user: &CurrentUser, project_id: &str, action: Action) -> Result<ProjectScope, AppError> {
    loupe_core::auth::access::project(pool, &user.user_id, project_id, action)
        .await
        .map_err(|denied| refused(denied, || crate::language::say!(errors.not_found.project, id = project_id)))
}

/// The person's role in the organization, checked against `action`.
pub async fn organization(pool: &PgPool, user: &CurrentUser, org_id: &str, action: Action) -> Result<OrgScope, AppError> {
    loupe_core::auth::access::organization(pool, &user.user_id, org_id, action)
        .await
        .map_err(|denied| refused(denied, || crate::language::say!(errors.not_found.organization, id = org_id)))
}

/// Read access to one trace: the project's members (any role), or anyone at all when the trace
/// is public (its share link). Everyone else gets "not found", whether or not the trace exists,
/// so a share link of a private trace reveals nothing.
pub async fn trace_reader(pool: &PgPool, project_id: &str, trace_id: &TraceId) -> Result<ProjectId, AppError> {
    let member = match current_user() {
        Some(user) => project(pool, &user, project_id, Action::ReadProjectData).await.map(|scope| scope.project_id),
        None => Err(AppError::NotFound(crate::language::say!(errors.not_found.trace, id = trace_id.as_str()))),
    };
    match member {
        Ok(project) => Ok(project),
        Err(AppError::NotFound(_)) => crate::store::traces::public_project(pool, project_id, trace_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.trace, id = trace_id.as_str()))),
        Err(other) => Err(other),
    }
}
