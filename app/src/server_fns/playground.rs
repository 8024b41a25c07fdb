//! What the playground page opens with (#18): the project's connections (names, adapters and
//! models; never a key) and, when the URL asks, a prompt version or a generation to replay.
//! Runs themselves are not server functions: they stream, so they are a route of their own
//! (`/api/playground`, in the server's `http::playground`).

use leptos::prelude::*;

use crate::domain::playground::PlaygroundStart;
use crate::error::AppError;

/// `prompt` + `version` (the latest when absent) opens a prompt version; `trace` +
/// `observation` replays a generation.
#[server(prefix = "/api/ui", endpoint = "open_playground")]
pub async fn open_playground(
    project_id: String,
    prompt: Option<String>,
    version: Option<i32>,
    observation: Option<String>,
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
        let opened = if let Some(name) = prompt.filter(|n| !n.is_empty()) {
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
        Ok(PlaygroundStart { connections, opened })
    }
    .await)
}
