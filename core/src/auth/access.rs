//! The access check: a person's standing in a project or organization, checked against the
//! action they are about to take. It is where a [`ProjectId`] or [`OrganizationId`] is minted for
//! a signed-in person, so every project-scoped query of a server function runs after it.
//!
//! Roles are looked up per call (one indexed query), so a role change or removal applies to the
//! very next request. A project or organization the person does not belong to is *not found*,
//! exactly like one that does not exist: membership is never revealed to outsiders. Reading the
//! request (who is signed in) is the app's part (`loupe_app::auth::access`).

use loupe_domain::permissions::{effective_role, require, Forbidden};
use loupe_domain::{Action, Role};
use sqlx::PgPool;

use crate::scope::{OrganizationId, ProjectId};
use crate::store::{memberships, StoreError};

/// A person's standing in one project.
#[derive(Debug, Clone)]
pub struct ProjectScope {
    pub user_id: String,
    pub org_id: OrganizationId,
    pub project_id: ProjectId,
    pub project_name: String,
    pub role: Role,
}

/// A person's standing in one organization.
#[derive(Debug, Clone)]
pub struct OrgScope {
    pub user_id: String,
    pub org_id: OrganizationId,
    pub role: Role,
}

/// Why the check refused.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    /// No such project or organization, or the person is not in it (the same answer on purpose).
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The person's effective role in the project (the project override, else the organization
/// role), checked against `action`.
pub async fn project(pool: &PgPool, user_id: &str, project_id: &str, action: Action) -> Result<ProjectScope, Denied> {
    let Some(standing) = memberships::project_standing(pool, project_id, user_id).await? else {
        return Err(Denied::NotFound);
    };
    let memberships::ProjectStanding { org_id, project_name, org_role, project_role } = standing;
    let org_role = stored_role(&org_role)?;
    let role = effective_role(org_role, project_role.and_then(|r| r.parse().ok()));
    require(role, action)?;
    Ok(ProjectScope {
        user_id: user_id.to_string(),
        org_id: OrganizationId::vouched(org_id),
        project_id: ProjectId::vouched(project_id),
        project_name,
        role,
    })
}

/// The person's role in the organization, checked against `action`.
pub async fn organization(pool: &PgPool, user_id: &str, org_id: &str, action: Action) -> Result<OrgScope, Denied> {
    let Some(role) = memberships::org_role(pool, org_id, user_id).await? else {
        return Err(Denied::NotFound);
    };
    let role = stored_role(&role)?;
    require(role, action)?;
    Ok(OrgScope { user_id: user_id.to_string(), org_id: OrganizationId::vouched(org_id), role })
}

/// A role the database holds but this build cannot read grants nothing: a server error.
fn stored_role(stored: &str) -> Result<Role, StoreError> {
    stored.parse().map_err(|_| StoreError::Other(sqlx::Error::Decode(format!("unknown role {stored:?}").into())))
}
