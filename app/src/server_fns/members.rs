//! Organization members: list, change a role, remove (or leave), per-project role overrides.
//! The rules: Admins and Owners manage members; nobody changes someone who outranks them or
//! grants a role above their own; only Owners make Owners (ownership transfer); the last Owner
//! can neither leave nor be demoted.

use leptos::prelude::*;

use crate::domain::account::MemberView;
use crate::domain::Role;
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use crate::auth::access::OrgScope;
    use loupe_core::scope::OrganizationId;
    use crate::domain::permissions::keeps_an_owner;
    use crate::components::layout::role_label;
    use crate::domain::Role;
    use crate::error::AppError;

    /// The target member's current role; they must be a member of the organization.
    pub async fn target_role(conn: &mut sqlx::PgConnection, org_id: &OrganizationId, user_id: &str) -> Result<Role, AppError> {
        crate::store::memberships::role_in_org(conn, org_id, user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.member, id = user_id)))
    }

    /// Refuses changes to someone who outranks the actor, and grants above the actor's role.
    pub fn may_change(scope: &OrgScope, target: Role, grant: Option<Role>) -> Result<(), AppError> {
        if scope.role > target {
            let locale = crate::language::request_locale();
            return Err(AppError::Forbidden(crate::language::say!(
                errors.members.may_not_change,
                role = role_label(locale, scope.role),
                target = role_label(locale, target)
            )));
        }
        if let Some(grant) = grant {
            if !scope.role.can_assign(grant) {
                let locale = crate::language::request_locale();
                let role = role_label(locale, grant);
                return Err(AppError::Forbidden(if grant == Role::Owner {
                    crate::language::say!(errors.members.may_not_grant_owner, role)
                } else {
                    crate::language::say!(errors.members.may_not_grant_above, role, own = role_label(locale, scope.role))
                }));
            }
        }
        Ok(())
    }

    /// The last-owner rule, with the Owners locked for the rest of the transaction.
    pub async fn check_owners(
        conn: &mut sqlx::PgConnection,
        org_id: &OrganizationId,
        target: Role,
        new_role: Option<Role>,
    ) -> Result<(), AppError> {
        let owners = crate::store::memberships::lock_owners(conn, org_id).await?;
        keeps_an_owner(owners.len(), target == Role::Owner, new_role).map_err(|_| AppError::invalid("role", crate::language::say!(errors.members.last_owner)))
    }
}

/// The organization's members (any member may see who is in it).
#[server(prefix = "/api/ui", endpoint = "list_members")]
pub async fn list_members(org_id: String) -> Result<Vec<MemberView>, AppError> {
    use crate::server_fns::support::{org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, scope, .. } = org_call(&org_id, crate::domain::Action::ReadProjectData).await?;
        let org_id = scope.org_id;
        Ok(crate::store::memberships::list(&state.pool, &org_id).await?)
    }
    .await)
}

#[server(prefix = "/api/ui", endpoint = "change_member_role")]
pub async fn change_member_role(org_id: String, user_id: String, role: Role) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, user, scope } = org_call(&org_id, crate::domain::Action::ManageMembers).await?;
        let org_id = scope.org_id.clone();
        let mut tx = state.pool.begin().await?;
        let current = server::target_role(&mut tx, &org_id, &user_id).await?;
        server::may_change(&scope, current, Some(role))?;
        if current == role {
            return Ok(());
        }
        server::check_owners(&mut tx, &org_id, current, Some(role)).await?;
        crate::store::memberships::set_role(&mut tx, &org_id, &user_id, role).await?;
        audit(&mut tx, &user.user_id, &org_id, None, "member.role_change", "member", &user_id,
            Some(serde_json::json!({"role": current})), Some(serde_json::json!({"role": role}))).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// Removes a member; anyone may remove themselves (leave), except the last Owner.
#[server(prefix = "/api/ui", endpoint = "remove_member")]
pub async fn remove_member(org_id: String, user_id: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, respond, state};
    use crate::domain::Action;
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        let leaving = user.user_id == user_id;
        let needed = if leaving { Action::ReadProjectData } else { Action::ManageMembers };
        let scope = crate::auth::access::organization(&state.pool, &user, &org_id, needed).await?;
        let org_id = scope.org_id.clone();
        let mut tx = state.pool.begin().await?;
        let current = server::target_role(&mut tx, &org_id, &user_id).await?;
        if !leaving {
            server::may_change(&scope, current, None)?;
        }
        server::check_owners(&mut tx, &org_id, current, None).await?;
        let email = crate::store::accounts::email(&mut tx, &user_id).await?;
        crate::store::memberships::remove(&mut tx, &org_id, &user_id).await?;
        let action = if leaving { "member.leave" } else { "member.remove" };
        audit(&mut tx, &user.user_id, &org_id, None, action, "member", &user_id,
            Some(serde_json::json!({"email": email, "role": current})), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// Sets (or with `None` clears) a member's role in one project, overriding their organization
/// role there.
#[server(prefix = "/api/ui", endpoint = "set_project_role")]
pub async fn set_project_role(project_id: String, user_id: String, role: Option<Role>) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    use crate::domain::Action;
    respond(async {
        let ProjectCall { state, user, scope: project } = project_call(&project_id, Action::ReadProjectData).await?;
        let scope = crate::auth::access::organization(&state.pool, &user, project.org_id.as_str(), Action::ManageMembers).await?;
        let project_id = project.project_id;
        let mut tx = state.pool.begin().await?;
        let current = server::target_role(&mut tx, &project.org_id, &user_id).await?;
        server::may_change(&scope, current, role)?;
        let before = crate::store::memberships::set_project_role(&mut tx, &project_id, &user_id, role).await?;
        audit(&mut tx, &user.user_id, &project.org_id, Some(&project_id), "member.project_role_change", "member", &user_id,
            Some(serde_json::json!({"projectRole": before})), Some(serde_json::json!({"projectRole": role}))).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}
