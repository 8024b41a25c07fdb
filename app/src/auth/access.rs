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
use crate::domain::permissions::{effective_role, require};
use crate::domain::{Action, Role};
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

/// A person's standing in one project.
#[derive(Debug, Clone)]
pub struct ProjectScope {
    pub user_id: String,
    pub org_id: String,
    pub project_id: String,
    pub project_name: String,
    pub role: Role,
}

/// A person's standing in one organization.
#[derive(Debug, Clone)]
pub struct OrgScope {
    pub user_id: String,
    pub org_id: String,
    pub role: Role,
}

/// The person's effective role in the project (the project override, else the organization
/// role), checked against `action`.
pub async fn project(pool: &PgPool, user: &CurrentUser, project_id: &str, action: Action) -> Result<ProjectScope, AppError> {
    let Some(standing) = crate::store::memberships::project_standing(pool, project_id, &user.user_id).await? else {
        return Err(AppError::NotFound(format!("project {project_id}")));
    };
    let crate::store::memberships::ProjectStanding { org_id, project_name, org_role, project_role } = standing;
    let org_role: Role = org_role.parse().map_err(|_| AppError::Internal)?;
    let role = effective_role(org_role, project_role.and_then(|r| r.parse().ok()));
    require(role, action)?;
    Ok(ProjectScope { user_id: user.user_id.clone(), org_id, project_id: project_id.to_string(), project_name, role })
}

/// The person's role in the organization, checked against `action`.
pub async fn organization(pool: &PgPool, user: &CurrentUser, org_id: &str, action: Action) -> Result<OrgScope, AppError> {
    let Some(role) = crate::store::memberships::org_role(pool, org_id, &user.user_id).await? else {
        return Err(AppError::NotFound(format!("organization {org_id}")));
    };
    let role: Role = role.parse().map_err(|_| AppError::Internal)?;
    require(role, action)?;
    Ok(OrgScope { user_id: user.user_id.clone(), org_id: org_id.to_string(), role })
}

/// Read access to one trace: the project's members (any role), or anyone at all when the trace
/// is public (its share link). Everyone else gets "not found", whether or not the trace exists,
/// so a share link of a private trace reveals nothing.
pub async fn trace_reader(pool: &PgPool, project_id: &str, trace_id: &str) -> Result<(), AppError> {
    let member = match current_user() {
        Some(user) => project(pool, &user, project_id, Action::ReadProjectData).await.map(|_| ()),
        None => Err(AppError::NotFound(format!("trace {trace_id}"))),
    };
    match member {
        Ok(()) => Ok(()),
        Err(AppError::NotFound(_)) if crate::store::traces::is_public(pool, project_id, trace_id).await? => Ok(()),
        Err(AppError::NotFound(_)) => Err(AppError::NotFound(format!("trace {trace_id}"))),
        Err(other) => Err(other),
    }
}
