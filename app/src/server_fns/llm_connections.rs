//! A project's LLM connections in the UI (Admins and Owners): list (never a secret), save (create
//! or replace by name, the key sealed by the store), delete. The same rules and storage as the
//! public API's `/llm-connections` (`domain::llm_connections`, `store::llm_connections`).

use leptos::prelude::*;

use crate::domain::llm_connections::LlmConnection;
use crate::error::AppError;

#[server(prefix = "/api/ui", endpoint = "list_llm_connections")]
pub async fn list_llm_connections(project_id: String) -> Result<Vec<LlmConnection>, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ManageLlmConnections).await?;
        Ok(crate::store::llm_connections::page(&state.pool, &scope.project_id, 0, 1000).await?.0)
    }
    .await)
}

/// Creates the connection named `provider`, or replaces it. `custom_models`: one per line;
/// `extra_headers`: `Name: value`, one per line. The key is required each time (it is never sent
/// back to be kept).
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api/ui", endpoint = "save_llm_connection")]
pub async fn save_llm_connection(
    project_id: String,
    provider: String,
    adapter: String,
    secret_key: String,
    base_url: Option<String>,
    custom_models: Option<String>,
    with_default_models: Option<String>,
    extra_headers: Option<String>,
) -> Result<LlmConnection, AppError> {
    use crate::domain::llm_connections::{Adapter, ConnectionInput, ConnectionProblem};
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageLlmConnections).await?;
        let secrets = state.settings.secrets.clone().ok_or(AppError::Unavailable)?;
        let locale = crate::language::request_locale();
        let refuse = |problem: ConnectionProblem| {
            AppError::invalid(problem_field(&problem), crate::pages::llm_connections::connection_problem(locale, &problem))
        };
        let adapter = Adapter::parse(adapter.trim()).ok_or_else(|| refuse(ConnectionProblem::UnknownAdapter(adapter.clone())))?;
        let mut headers = Vec::new();
        for line in extra_headers.unwrap_or_default().lines().filter(|l| !l.trim().is_empty()) {
            let (name, value) = line.split_once(':').ok_or_else(|| refuse(ConnectionProblem::HeaderName(line.trim().to_string())))?;
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        let input = ConnectionInput {
            provider,
            adapter,
            secret_key,
            base_url,
            custom_models: custom_models.unwrap_or_default().lines().map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).collect(),
            // A checkbox: sent when ticked.
            with_default_models: with_default_models.is_some(),
            extra_headers: headers,
            config: None,
        }
        .checked()
        .map_err(refuse)?;
        let mut tx = state.pool.begin().await?;
        let before = crate::store::llm_connections::by_provider(&mut tx, &scope.project_id, &input.provider).await?;
        let (connection, created) = crate::store::llm_connections::upsert(&mut tx, &secrets, &scope.project_id, &input).await?;
        let action = if created { "llm_connection.create" } else { "llm_connection.update" };
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), action, "llm_connection", &connection.id,
            before.map(|c| serde_json::json!(c)), Some(serde_json::json!(connection))).await?;
        tx.commit().await?;
        Ok(connection)
    }
    .await)
}

#[server(prefix = "/api/ui", endpoint = "delete_llm_connection")]
pub async fn delete_llm_connection(project_id: String, connection_id: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageLlmConnections).await?;
        let mut tx = state.pool.begin().await?;
        let deleted = crate::store::llm_connections::delete(&mut tx, &scope.project_id, &connection_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.llm_connection, id = &connection_id)))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "llm_connection.delete", "llm_connection", &deleted.id,
            Some(serde_json::json!(deleted)), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// "Test connection": one tiny call with the connection's first model (`model: None` when it
/// offers none); the provider's problem when it fails.
#[server(prefix = "/api/ui", endpoint = "test_llm_connection")]
pub async fn test_llm_connection(project_id: String, provider: String) -> Result<crate::domain::llm_connections::ConnectionTest, AppError> {
    use crate::domain::llm_connections::ConnectionTest;
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ManageLlmConnections).await?;
        let secrets = state.settings.secrets.clone().ok_or(AppError::Unavailable)?;
        let credentials = crate::store::llm_connections::credentials(&state.pool, &secrets, &scope.project_id, &provider)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "the credentials of a connection test could not be read");
                AppError::Internal
            })?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.llm_connection, id = &provider)))?;
        let Some(model) = credentials.connection.models().into_iter().next() else {
            return Ok(ConnectionTest { model: None, problem: None });
        };
        let outcome = loupe_core::playground::test_connection(&credentials, &model, std::time::Duration::from_secs(20)).await;
        Ok(ConnectionTest { model: Some(model), problem: outcome.err() })
    }
    .await)
}

/// The form field a problem is about (the form shows it there).
#[cfg(feature = "ssr")]
fn problem_field(problem: &crate::domain::llm_connections::ConnectionProblem) -> &'static str {
    use crate::domain::llm_connections::ConnectionProblem as P;
    match problem {
        P::ProviderEmpty | P::ProviderTooLong => "provider",
        P::UnknownAdapter(_) => "adapter",
        P::SecretEmpty | P::SecretTooLong => "secret_key",
        P::BaseUrlInvalid(_) | P::AzureNeedsBaseUrl => "base_url",
        P::ModelName => "custom_models",
        P::HeaderName(_) | P::HeaderReserved(_) => "extra_headers",
        P::ConfigNotObject | P::ConfigKey(_) | P::BedrockNeedsRegion => "config",
    }
}
