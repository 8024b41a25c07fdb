//! What the playground page opens with (#18): the project's connections (names, adapters and
//! models; never a key) and, when the URL asks, a prompt version or a generation to replay.
//! Runs themselves are not server functions: they stream, so they are a route of their own
//! (`/api/playground`, in the server's `http::playground`).

use leptos::prelude::*;

use crate::domain::playground::PlaygroundStart;
use crate::error::AppError;

/// `prompt` + `version` (the latest when absent) opens a prompt version; `observation` replays a
/// generation; `saved` opens a saved playground.
#[server(prefix = "/api/ui", endpoint = "open_playground")]
pub async fn open_playground(
    project_id: String,
    prompt: Option<String>,
    version: Option<i32>,
    observation: Option<String>,
    saved: Option<String>,
) -> Result<PlaygroundStart, AppError> {
    use crate::domain::playground::{Playground, PlaygroundConnection};
    use crate::domain::prompts::PromptSelector;
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::UsePlayground).await?;
        let connections: Vec<PlaygroundConnection> = crate::store::llm_connections::page(&state.pool, &scope.project_id, 0, 1000)
            .await?
            .0
            .into_iter()
            .map(|c| PlaygroundConnection { models: c.models(), name: c.provider, adapter: c.adapter })
            .collect();
        let mut opened_saved = None;
        let mut shared = None;
        let opened = if let Some(id) = saved.filter(|s| !s.is_empty()) {
            let not_found = || AppError::NotFound(crate::language::say!(errors.not_found.saved_playground, id = &id));
            let (summary, _) = crate::store::saved_playgrounds::get(&state.pool, &scope.project_id, &id).await?.ok_or_else(not_found)?;
            // A saved playground is a shared document: what it says now, not what it was saved as.
            let (generation, current) = loupe_core::collab::playground::read(&state.pool, &scope.project_id, &id).await?.ok_or_else(not_found)?;
            opened_saved = Some(summary);
            let playground = current.playground.clone();
            shared = Some(crate::domain::collab::playground::PlaygroundView { generation, shared: current });
            Some(playground)
        } else if let Some(name) = prompt.filter(|n| !n.is_empty()) {
            let mut conn = state.pool.acquire().await?;
            let version = match version {
                Some(v) => crate::store::prompts::get(&mut conn, &scope.project_id, &name, &PromptSelector::Version(v)).await?,
                None => crate::store::prompts::versions(&mut conn, &scope.project_id, &name).await?.into_iter().next(),
            };
            let version = version.ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.prompt, name = &name)))?;
            Some(Playground::from_prompt(&version, &connections))
        } else if let Some(id) = observation.filter(|o| !o.is_empty()) {
            let observation = crate::store::observations::get(&state.pool, &scope.project_id, &crate::domain::ObservationId::new(id.clone()))
                .await?
                .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.observation, id = &id)))?;
            Some(Playground::from_generation(
                observation.input.as_ref(),
                observation.model.as_deref(),
                observation.model_parameters.as_ref(),
                &observation.metadata,
                &connections,
            ))
        } else {
            None
        };
        let saved = crate::store::saved_playgrounds::list(&state.pool, &scope.project_id).await?;
        Ok(PlaygroundStart { connections, saved, opened, opened_saved, shared })
    }
    .await)
}

/// Saves the playground under `name`, shared with the project (Members and up); a playground of
/// that name is replaced (and the people in it start again from this state). `opened`: the
/// saved playground the page is bound to, whose document already holds this state.
/// JSON-encoded: the state is nested.
#[server(prefix = "/api/ui", endpoint = "save_playground", input = leptos::server_fn::codec::Json)]
pub async fn save_playground(
    project_id: String,
    name: String,
    playground: crate::domain::playground::Playground,
    opened: Option<String>,
) -> Result<crate::domain::playground::SavedPlayground, AppError> {
    use crate::server_fns::support::{audit, author_name, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::UsePlayground).await?;
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::invalid("name", crate::language::say!(errors.playground_name)));
        }
        let mut tx = state.pool.begin().await?;
        let (saved, created) = crate::store::saved_playgrounds::save(&mut tx, &scope.project_id, &name, &playground, &user.user_id).await?;
        if !created && opened.as_deref() != Some(saved.id.as_str()) {
            let by = author_name(&state.pool, &user.user_id).await?;
            loupe_core::collab::playground::replace(&mut tx, &scope.project_id, &saved.id, &playground, by).await?;
        }
        let action = if created { "saved_playground.create" } else { "saved_playground.update" };
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), action, "saved_playground", &saved.id, None,
            Some(serde_json::json!({"name": saved.name}))).await?;
        tx.commit().await?;
        Ok(saved)
    }
    .await)
}

#[server(prefix = "/api/ui", endpoint = "delete_saved_playground")]
pub async fn delete_saved_playground(project_id: String, id: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, author_name, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::UsePlayground).await?;
        let by = author_name(&state.pool, &user.user_id).await?;
        let mut tx = state.pool.begin().await?;
        loupe_core::collab::playground::delete(&mut tx, &scope.project_id, &id, by).await?;
        let deleted = crate::store::saved_playgrounds::delete(&mut tx, &scope.project_id, &id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.saved_playground, id = &id)))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "saved_playground.delete", "saved_playground", &deleted.id,
            Some(serde_json::json!({"name": deleted.name})), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}
