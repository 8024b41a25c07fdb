//! What the evaluator pages read besides the evaluators' own server functions
//! (`server_fns::evaluators`), each in one call: the form's choices (templates, the LLM
//! connections' names and models — never a key —, the datasets), the list with each evaluator's
//! last run and the project's connection names (an evaluator whose connection is gone says so),
//! and one evaluator with its counts, latest backfill and whether its connection still exists.
//! Reads only, for any member of the project (`ReadProjectData`): none of it is secret.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::evaluators::{Backfill, Evaluator, EvaluatorSummary, ExecutionCounts, Template};
use crate::domain::playground::PlaygroundConnection;
use crate::error::AppError;

/// The datasets offered as dataset run targets (a project with more is searched by id).
pub const MAX_DATASETS: i64 = 500;

/// What the evaluator form chooses from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormChoices {
    /// Loupe's built-ins first, then the project's own by name.
    pub templates: Vec<Template>,
    pub connections: Vec<PlaygroundConnection>,
    /// (id, name), by name.
    pub datasets: Vec<(String, String)>,
}

/// One evaluator of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluatorRow {
    pub summary: EvaluatorSummary,
    /// When its newest execution was created (a target was picked), if ever.
    pub last_run: Option<DateTime<Utc>>,
}

/// The list page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluatorListData {
    pub evaluators: Vec<EvaluatorRow>,
    /// The project's LLM connection names (none: the page says to add one first).
    pub connections: Vec<String>,
}

/// One evaluator's page data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluatorPageData {
    pub evaluator: Evaluator,
    pub counts: ExecutionCounts,
    /// Its latest run over existing targets.
    pub backfill: Option<Backfill>,
    /// Whether its LLM connection still exists (a deleted one fails every execution).
    pub connection_exists: bool,
}

#[server(prefix = "/api/ui", endpoint = "evaluator_form_start")]
pub async fn evaluator_form_start(project_id: String) -> Result<FormChoices, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let mut templates = crate::domain::evaluators::builtin_templates();
        templates.extend(crate::store::evaluators::templates(&state.pool, &scope.project_id).await?);
        let connections = crate::store::llm_connections::page(&state.pool, &scope.project_id, 0, 1000)
            .await?
            .0
            .into_iter()
            .map(|c| PlaygroundConnection { models: c.models(), name: c.provider, adapter: c.adapter })
            .collect();
        let datasets = crate::store::datasets::dataset_names(&state.pool, &scope.project_id, MAX_DATASETS).await?;
        Ok(FormChoices { templates, connections, datasets })
    }
    .await)
}

#[server(prefix = "/api/ui", endpoint = "evaluators_overview")]
pub async fn evaluators_overview(project_id: String) -> Result<EvaluatorListData, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let pool = &state.pool;
        let list = crate::store::evaluators::list(pool, &scope.project_id).await?;
        let ids: Vec<String> = list.iter().map(|e| e.id.clone()).collect();
        let mut counts = crate::store::evaluators::counts(pool, &scope.project_id, &ids).await?;
        let mut evaluators = Vec::with_capacity(list.len());
        for evaluator in list {
            let counts = counts.iter_mut().find(|(id, _)| *id == evaluator.id).map(|(_, c)| std::mem::take(c)).unwrap_or_default();
            // The newest execution, through the list's index (project, evaluator, created_at):
            // one indexed row per evaluator, and a project has tens of evaluators, not thousands.
            let last_run = if counts.total() > 0 {
                crate::store::evaluators::executions(pool, &scope.project_id, &evaluator.id, None, 0, 1).await?.0.first().map(|x| x.created_at)
            } else {
                None
            };
            evaluators.push(EvaluatorRow { summary: EvaluatorSummary { evaluator, counts }, last_run });
        }
        let connections = crate::store::llm_connections::page(pool, &scope.project_id, 0, 1000).await?.0.into_iter().map(|c| c.provider).collect();
        Ok(EvaluatorListData { evaluators, connections })
    }
    .await)
}

#[server(prefix = "/api/ui", endpoint = "evaluator_overview")]
pub async fn evaluator_overview(project_id: String, evaluator_id: String) -> Result<EvaluatorPageData, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let pool = &state.pool;
        let evaluator = crate::store::evaluators::get(pool, &scope.project_id, &evaluator_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.record)))?;
        let counts = crate::store::evaluators::counts(pool, &scope.project_id, std::slice::from_ref(&evaluator.id))
            .await?
            .into_iter()
            .next()
            .map(|(_, c)| c)
            .unwrap_or_default();
        let backfill = crate::store::evaluators::latest_backfill(pool, &scope.project_id, &evaluator.id).await?;
        let mut conn = pool.acquire().await?;
        let connection_exists = crate::store::llm_connections::by_provider(&mut conn, &scope.project_id, &evaluator.connection).await?.is_some();
        Ok(EvaluatorPageData { evaluator, counts, backfill, connection_exists })
    }
    .await)
}
