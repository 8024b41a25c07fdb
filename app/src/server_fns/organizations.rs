//! Organizations: create (with a first project), rename, delete; their project list.

use leptos::prelude::*;

use crate::domain::account::ProjectListItem;
use crate::error::AppError;

/// Creates an organization owned by the signed-in person, with its first project; returns the
/// project's id (the page to open next).
#[server(prefix = "/api/ui", endpoint = "create_organization")]
pub async fn create_organization(name: String, project_name: String) -> Result<String, AppError> {
    use crate::server_fns::support::{audit, name as valid_name, respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        let name = valid_name("name", &name)?;
        let project_name = valid_name("project_name", &project_name)?;
        let mut tx = state.pool.begin().await?;
        let org_id = crate::store::organizations::create(&mut tx, &name, &user.user_id).await?;
        let project_id = crate::store::projects::create(&mut tx, &org_id, &project_name).await?;
        audit(&mut tx, &user.user_id, &org_id, None, "organization.create", "organization", org_id.as_str(), None,
            Some(serde_json::json!({"name": name}))).await?;
        audit(&mut tx, &user.user_id, &org_id, Some(&project_id), "project.create", "project", project_id.as_str(), None,
            Some(serde_json::json!({"name": project_name}))).await?;
        tx.commit().await?;
        Ok(project_id.into_string())
    }
    .await)
}

#[server(prefix = "/api/ui", endpoint = "rename_organization")]
pub async fn rename_organization(org_id: String, name: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, name as valid_name, org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, user, scope } = org_call(&org_id, crate::domain::Action::ManageOrganization).await?;
        let org_id = scope.org_id;
        let name = valid_name("name", &name)?;
        let mut tx = state.pool.begin().await?;
        let before = crate::store::organizations::rename(&mut tx, &org_id, &name)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.organization, id = &org_id)))?;
        audit(&mut tx, &user.user_id, &org_id, None, "organization.rename", "organization", org_id.as_str(),
            Some(serde_json::json!({"name": before})), Some(serde_json::json!({"name": name}))).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// Deletes the organization with all its projects and data (Owners only); `confirm_name` must be
/// the organization's name, typed by the person.
#[server(prefix = "/api/ui", endpoint = "delete_organization")]
pub async fn delete_organization(org_id: String, confirm_name: String) -> Result<(), AppError> {
    use crate::server_fns::support::{org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, user, scope } = org_call(&org_id, crate::domain::Action::DeleteOrganization).await?;
        let org_id = scope.org_id;
        let mut tx = state.pool.begin().await?;
        let name = crate::store::organizations::lock_name(&mut tx, &org_id).await?;
        if confirm_name.trim() != name {
            return Err(AppError::invalid("confirm_name", crate::language::say!(errors.organizations.confirm_delete, name = &name)));
        }
        // Projects first (soft), so their API keys stop at once; the cascade takes the rest.
        crate::store::projects::soft_delete_all_in_org(&mut tx, &org_id).await?;
        crate::store::organizations::delete(&mut tx, &org_id).await?;
        tx.commit().await?;
        // The organization's audit log goes with it; the server log keeps the fact.
        tracing::info!(org_id = %org_id, org_name = %name, user_id = %user.user_id, "organization deleted");
        Ok(())
    }
    .await)
}

/// The organization's projects (any member).
#[server(prefix = "/api/ui", endpoint = "list_projects")]
pub async fn list_projects(org_id: String) -> Result<Vec<ProjectListItem>, AppError> {
    use crate::server_fns::support::{org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, scope, .. } = org_call(&org_id, crate::domain::Action::ReadProjectData).await?;
        let org_id = scope.org_id;
        Ok(crate::store::projects::list_for_org(&state.pool, &org_id).await?)
    }
    .await)
}

/// Creates a project in the organization (Admins and Owners); returns its id.
#[server(prefix = "/api/ui", endpoint = "create_project")]
pub async fn create_project(org_id: String, name: String) -> Result<String, AppError> {
    use crate::server_fns::support::{audit, name as valid_name, org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, user, scope } = org_call(&org_id, crate::domain::Action::CreateProjects).await?;
        let org_id = scope.org_id;
        let name = valid_name("name", &name)?;
        let mut tx = state.pool.begin().await?;
        if crate::store::projects::name_taken(&mut tx, &org_id, &name, None).await? {
            return Err(AppError::invalid("name", crate::language::say!(errors.organizations.project_exists, name = &name)));
        }
        let project_id = crate::store::projects::create(&mut tx, &org_id, &name).await?;
        audit(&mut tx, &user.user_id, &org_id, Some(&project_id), "project.create", "project", project_id.as_str(), None,
            Some(serde_json::json!({"name": name}))).await?;
        tx.commit().await?;
        Ok(project_id.into_string())
    }
    .await)
}
