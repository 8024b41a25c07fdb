//! A project's API keys (Admins and Owners): list (secrets masked), create (the secret shown
//! once), revoke.

use leptos::prelude::*;

use crate::domain::account::{ApiKeyView, CreatedApiKey};
use crate::error::AppError;

#[server(prefix = "/api/ui", endpoint = "list_api_keys")]
pub async fn list_api_keys(project_id: String) -> Result<Vec<ApiKeyView>, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ManageApiKeys).await?;
        let project_id = scope.project_id;
        Ok(crate::store::api_keys::list(&state.pool, &project_id).await?)
    }
    .await)
}

#[server(prefix = "/api/ui", endpoint = "create_api_key")]
pub async fn create_api_key(project_id: String, note: Option<String>) -> Result<CreatedApiKey, AppError> {
    use crate::server_fns::support::{audit, base_url, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageApiKeys).await?;
        let project_id = scope.project_id.clone();
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > 255) {
            return Err(AppError::invalid("note", crate::language::say!(errors.names.too_long)));
        }
        let mut tx = state.pool.begin().await?;
        let (key, secret_key) = crate::store::api_keys::create(&mut tx, &project_id, note.as_deref()).await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&project_id), "api_key.create", "api_key", &key.id, None,
            Some(serde_json::json!({"publicKey": key.public_key, "secretKey": key.display_secret_key, "note": key.note}))).await?;
        tx.commit().await?;
        Ok(CreatedApiKey { key, secret_key, host: base_url(&state) })
    }
    .await)
}

/// Deletes the key; the public API refuses it from the next request on.
#[server(prefix = "/api/ui", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(project_id: String, key_id: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageApiKeys).await?;
        let project_id = scope.project_id.clone();
        let mut tx = state.pool.begin().await?;
        let key = crate::store::api_keys::revoke(&mut tx, &project_id, &key_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.api_key, id = &key_id)))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&project_id), "api_key.revoke", "api_key", &key.id,
            Some(serde_json::json!({"publicKey": key.public_key, "secretKey": key.display_secret_key, "note": key.note})), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}
