//! Project settings (rename and delete) and the home page's project figures.

use leptos::prelude::*;

use crate::error::AppError;

#[server(prefix = "/api/ui", endpoint = "rename_project")]
pub async fn rename_project(project_id: String, name: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, name as valid_name, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let project_id = scope.project_id.clone();
        let name = valid_name("name", &name)?;
        let mut tx = state.pool.begin().await?;
        if crate::store::projects::name_taken(&mut tx, &scope.org_id, &name, Some(project_id.as_str())).await? {
            return Err(AppError::invalid("name", crate::language::say!(errors.organizations.project_exists, name = &name)));
        }
        let before = crate::store::projects::rename(&mut tx, &project_id, &name)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.project, id = &project_id)))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&project_id), "project.rename", "project", project_id.as_str(),
            Some(serde_json::json!({"name": before})), Some(serde_json::json!({"name": name}))).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// Deletes the project; `confirm_name` must be its name, typed by the person. Its API keys stop
/// working at once; its traces, observations and scores are purged in the background.
#[server(prefix = "/api/ui", endpoint = "delete_project")]
pub async fn delete_project(project_id: String, confirm_name: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let project_id = scope.project_id.clone();
        if confirm_name.trim() != scope.project_name {
            return Err(AppError::invalid("confirm_name", crate::language::say!(errors.projects.confirm_delete, name = &scope.project_name)));
        }
        let mut tx = state.pool.begin().await?;
        if !crate::store::projects::soft_delete(&mut tx, &project_id).await? {
            return Err(AppError::NotFound(crate::language::say!(errors.not_found.project, id = &project_id)));
        }
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&project_id), "project.delete", "project", project_id.as_str(),
            Some(serde_json::json!({"name": scope.project_name})), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// The home page's figures for every project the signed-in person can see.
#[server(prefix = "/api/ui", endpoint = "project_activity")]
pub async fn project_activity() -> Result<Vec<crate::domain::project::ProjectActivity>, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        // Only the projects the person is shown: the same list the session info carries.
        let organizations = crate::store::organizations::for_user(&state.pool, &user.user_id).await?;
        let ids: Vec<String> = organizations.iter().flat_map(|o| o.projects.iter().map(|p| p.id.clone())).collect();
        let since = chrono::Utc::now() - chrono::Duration::hours(24);
        Ok(crate::store::projects::activity(&state.pool, &ids, since).await?)
    }
    .await)
}
