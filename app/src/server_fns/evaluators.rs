//! LLM-as-judge evaluators (#21): templates (Loupe's built-ins and the project's own), evaluators
//! (create, update, pause, resume), the mapping preview on a real trace, running on existing
//! targets (count, start, progress) and the executions list. The work itself is
//! `loupe_core::evaluation`'s background jobs; these functions only record what to do.
//!
//! Who may do what: everyone in the project reads (evaluators, executions, previews, counts);
//! Members and up create and change evaluators and templates and start backfills — an
//! evaluator writes scores, so `WriteScores` (Langfuse gives members `evalJob:CUD` too).
//! Writes are audited. Errors name the field at fault (`Invalid { field }`, e.g.
//! `mapping[1].jsonPath`, `filter.latency_min`).
//!
//! Functions taking an `EvaluatorInput` or `TemplateInput` are JSON-encoded; the others take the
//! default form encoding.

use leptos::prelude::*;

use crate::domain::evaluators::{
    Backfill, BackfillCount, Evaluator, EvaluatorDetail, EvaluatorInput, EvaluatorSummary, ExecutionPage, ExecutionStatus, Preview, Template,
    TemplateInput,
};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod support {
    pub use crate::server_fns::support::*;
    use crate::domain::evaluators::{CheckedEvaluator, EvaluatorInput, FieldProblem, Template};
    use crate::error::AppError;
    use loupe_core::scope::ProjectId;

    pub fn problem(p: FieldProblem) -> AppError {
        AppError::invalid(&p.field, p.message)
    }

    pub fn not_found(what: &str, id: &str) -> AppError {
        AppError::NotFound(format!("no {what} {id:?} in this project"))
    }

    /// The template an input names (a built-in or the project's).
    pub async fn find_template(pool: &sqlx::PgPool, project_id: &ProjectId, id: &str) -> Result<Template, AppError> {
        loupe_core::store::evaluators::template(pool, project_id, id)
            .await?
            .ok_or_else(|| AppError::invalid("templateId", format!("no template {id:?}: choose a built-in or one of the project's")))
    }

    /// Everything an evaluator must be before it is stored: the domain's checks against its
    /// template, parseable JSON paths, an LLM connection of that name in the project, and for
    /// dataset-run targets the datasets schema.
    pub async fn checked(pool: &sqlx::PgPool, project_id: &ProjectId, input: &EvaluatorInput) -> Result<(CheckedEvaluator, Template), AppError> {
        let template = find_template(pool, project_id, &input.template_id).await?;
        let checked = input.checked(&template).map_err(problem)?;
        loupe_core::evaluation::mapping::check_paths(&checked.mapping).map_err(problem)?;
        let mut conn = pool.acquire().await?;
        if loupe_core::store::llm_connections::by_provider(&mut conn, project_id, &checked.connection).await?.is_none() {
            return Err(AppError::invalid("connection", format!("the project has no LLM connection named {:?}", checked.connection)));
        }
        Ok((checked, template))
    }

    /// A store conflict on the evaluator's or template's name, said as the name's problem.
    pub fn named(error: loupe_core::store::StoreError, what: &str, name: &str) -> AppError {
        match error {
            loupe_core::store::StoreError::Conflict { .. } => AppError::invalid("name", format!("the project already has a {what} named {name:?}")),
            other => other.into(),
        }
    }
}

/// Loupe's built-in templates, then the project's own.
#[server(prefix = "/api/ui", endpoint = "list_evaluation_templates")]
pub async fn list_evaluation_templates(project_id: String) -> Result<Vec<Template>, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let mut templates = crate::domain::evaluators::builtin_templates();
        templates.extend(loupe_core::store::evaluators::templates(&state.pool, &scope.project_id).await?);
        Ok(templates)
    }
    .await)
}

/// Creates a custom template (Members and up).
#[server(prefix = "/api/ui", endpoint = "create_evaluation_template", input = leptos::server_fn::codec::Json)]
pub async fn create_evaluation_template(project_id: String, template: TemplateInput) -> Result<Template, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        let checked = template.checked().map_err(problem)?;
        let mut tx = state.pool.begin().await?;
        let created = loupe_core::store::evaluators::create_template(&mut tx, &scope.project_id, &checked, &user.user_id)
            .await
            .map_err(|e| named(e, "template", &checked.name))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "evaluation_template.create", "evaluation_template", &created.id, None, serde_json::to_value(&created).ok()).await?;
        tx.commit().await?;
        Ok(created)
    }
    .await)
}

/// The project's evaluators with their executions counted by status.
#[server(prefix = "/api/ui", endpoint = "list_evaluators")]
pub async fn list_evaluators(project_id: String) -> Result<Vec<EvaluatorSummary>, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let evaluators = loupe_core::store::evaluators::list(&state.pool, &scope.project_id).await?;
        let ids: Vec<String> = evaluators.iter().map(|e| e.id.clone()).collect();
        let counts = loupe_core::store::evaluators::counts(&state.pool, &scope.project_id, &ids).await?;
        Ok(evaluators.into_iter().zip(counts).map(|(evaluator, (_, counts))| EvaluatorSummary { evaluator, counts }).collect())
    }
    .await)
}

/// One evaluator, its executions by status and its latest backfill.
#[server(prefix = "/api/ui", endpoint = "get_evaluator")]
pub async fn get_evaluator(project_id: String, evaluator_id: String) -> Result<EvaluatorDetail, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let evaluator = loupe_core::store::evaluators::get(&state.pool, &scope.project_id, &evaluator_id)
            .await?
            .ok_or_else(|| not_found("evaluator", &evaluator_id))?;
        let counts = loupe_core::store::evaluators::counts(&state.pool, &scope.project_id, &[evaluator.id.clone()]).await?;
        let latest_backfill = loupe_core::store::evaluators::latest_backfill(&state.pool, &scope.project_id, &evaluator.id).await?;
        Ok(EvaluatorDetail { evaluator, counts: counts.into_iter().next().map(|(_, c)| c).unwrap_or_default(), latest_backfill })
    }
    .await)
}

/// Creates an evaluator (Members and up). It evaluates targets created from now on; existing
/// ones are a backfill's (`count_backfill`, `start_backfill`).
#[server(prefix = "/api/ui", endpoint = "create_evaluator", input = leptos::server_fn::codec::Json)]
pub async fn create_evaluator(project_id: String, evaluator: EvaluatorInput) -> Result<Evaluator, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        let (checked, template) = checked(&state.pool, &scope.project_id, &evaluator).await?;
        let mut tx = state.pool.begin().await?;
        let created = loupe_core::store::evaluators::create(&mut tx, &scope.project_id, &checked, &template, &user.user_id)
            .await
            .map_err(|e| named(e, "evaluator", &checked.name))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "evaluator.create", "evaluator", &created.id, None, serde_json::to_value(&created).ok()).await?;
        tx.commit().await?;
        Ok(created)
    }
    .await)
}

/// Replaces an evaluator's settings (Members and up), taking the template's current prompt.
#[server(prefix = "/api/ui", endpoint = "update_evaluator", input = leptos::server_fn::codec::Json)]
pub async fn update_evaluator(project_id: String, evaluator_id: String, evaluator: EvaluatorInput) -> Result<Evaluator, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        let before = loupe_core::store::evaluators::get(&state.pool, &scope.project_id, &evaluator_id)
            .await?
            .ok_or_else(|| not_found("evaluator", &evaluator_id))?;
        let (checked, template) = checked(&state.pool, &scope.project_id, &evaluator).await?;
        let mut tx = state.pool.begin().await?;
        let updated = loupe_core::store::evaluators::update(&mut tx, &scope.project_id, &evaluator_id, &checked, &template)
            .await
            .map_err(|e| named(e, "evaluator", &checked.name))?
            .ok_or_else(|| not_found("evaluator", &evaluator_id))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "evaluator.update", "evaluator", &updated.id, serde_json::to_value(&before).ok(), serde_json::to_value(&updated).ok()).await?;
        tx.commit().await?;
        Ok(updated)
    }
    .await)
}

#[cfg(feature = "ssr")]
async fn set_status(project_id: String, evaluator_id: String, status: crate::domain::evaluators::EvaluatorStatus) -> Result<Evaluator, AppError> {
    use support::*;
    let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
    let mut tx = state.pool.begin().await?;
    let evaluator = loupe_core::evaluation::set_status(&mut tx, &scope.project_id, &evaluator_id, status)
        .await?
        .ok_or_else(|| not_found("evaluator", &evaluator_id))?;
    let action = if status == crate::domain::evaluators::EvaluatorStatus::Active { "evaluator.resume" } else { "evaluator.pause" };
    audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), action, "evaluator", &evaluator.id, None, None).await?;
    tx.commit().await?;
    Ok(evaluator)
}

/// Pauses an evaluator (Members and up): no new executions; waiting ones wait.
#[server(prefix = "/api/ui", endpoint = "pause_evaluator")]
pub async fn pause_evaluator(project_id: String, evaluator_id: String) -> Result<Evaluator, AppError> {
    use support::*;
    respond(set_status(project_id, evaluator_id, crate::domain::evaluators::EvaluatorStatus::Paused).await)
}

/// Resumes a paused evaluator (Members and up): waiting executions run, and targets that arrived
/// during the pause are evaluated.
#[server(prefix = "/api/ui", endpoint = "resume_evaluator")]
pub async fn resume_evaluator(project_id: String, evaluator_id: String) -> Result<Evaluator, AppError> {
    use support::*;
    respond(set_status(project_id, evaluator_id, crate::domain::evaluators::EvaluatorStatus::Active).await)
}

/// The mapping of `evaluator` tried on a real target: the latest matching one, or `trace_id`'s.
/// Needs the template and the mapping; the other fields may still be incomplete.
#[server(prefix = "/api/ui", endpoint = "preview_evaluator", input = leptos::server_fn::codec::Json)]
pub async fn preview_evaluator(project_id: String, evaluator: EvaluatorInput, trace_id: Option<String>) -> Result<Preview, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let template = find_template(&state.pool, &scope.project_id, &evaluator.template_id).await?;
        let filter = crate::domain::evaluators::check_filter(&evaluator.filter).map_err(problem)?;
        let trace_id = trace_id.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        let preview = loupe_core::evaluation::mapping::preview(
            &state.pool,
            &scope.project_id,
            &template,
            &evaluator.target,
            &filter,
            &evaluator.mapping,
            trace_id.as_deref(),
        )
        .await?;
        if let (Some(asked), None) = (&trace_id, &preview.trace_id) {
            return Err(AppError::NotFound(format!("no trace {asked:?} with a target of this evaluator in this project")));
        }
        Ok(preview)
    }
    .await)
}

/// How many existing targets the evaluator's filter matches, and how many its sampling picks
/// (what `start_backfill` would evaluate).
#[server(prefix = "/api/ui", endpoint = "count_backfill")]
pub async fn count_backfill(project_id: String, evaluator_id: String) -> Result<BackfillCount, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let evaluator = loupe_core::store::evaluators::get(&state.pool, &scope.project_id, &evaluator_id)
            .await?
            .ok_or_else(|| not_found("evaluator", &evaluator_id))?;
        Ok(loupe_core::evaluation::backfill::count(&state.pool, &scope.project_id, &evaluator).await?)
    }
    .await)
}

/// Runs the evaluator on the existing targets (Members and up), in the background: the backfill
/// with its count; its progress with `get_backfill`.
#[server(prefix = "/api/ui", endpoint = "start_backfill")]
pub async fn start_backfill(project_id: String, evaluator_id: String) -> Result<Backfill, AppError> {
    use loupe_core::evaluation::backfill::StartError;
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        // Its executions write units: refused like ingestion past a refusing plan's quota (#22).
        loupe_core::limits::check_ingestion(&state.pool, &scope.project_id).await.map_err(crate::server_fns::usage::limit_error)?;
        let backfill = loupe_core::evaluation::backfill::start(&state.pool, &scope.project_id, &evaluator_id, &user.user_id).await.map_err(|e| match e {
            StartError::AlreadyRunning => AppError::Conflict(e.to_string()),
            StartError::NotFound(_) => not_found("evaluator", &evaluator_id),
            StartError::Store(e) => e.into(),
        })?;
        let mut tx = state.pool.begin().await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "evaluator.backfill", "evaluator", &evaluator_id, None, serde_json::to_value(&backfill).ok()).await?;
        tx.commit().await?;
        Ok(backfill)
    }
    .await)
}

/// A backfill's progress.
#[server(prefix = "/api/ui", endpoint = "get_backfill")]
pub async fn get_backfill(project_id: String, backfill_id: String) -> Result<Backfill, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        loupe_core::store::evaluators::backfill(&state.pool, &scope.project_id, &backfill_id).await?.ok_or_else(|| not_found("backfill", &backfill_id))
    }
    .await)
}

/// A page (from 0, 50 each) of an evaluator's executions, newest first, of one status or all.
#[server(prefix = "/api/ui", endpoint = "list_evaluator_executions")]
pub async fn list_evaluator_executions(project_id: String, evaluator_id: String, status: Option<ExecutionStatus>, page: i64) -> Result<ExecutionPage, AppError> {
    use crate::domain::evaluators::EXECUTIONS_PER_PAGE;
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        activity_page(page)?;
        let evaluator = loupe_core::store::evaluators::get(&state.pool, &scope.project_id, &evaluator_id)
            .await?
            .ok_or_else(|| not_found("evaluator", &evaluator_id))?;
        let (executions, total) =
            loupe_core::store::evaluators::executions(&state.pool, &scope.project_id, &evaluator.id, status, page * EXECUTIONS_PER_PAGE, EXECUTIONS_PER_PAGE).await?;
        let counts = loupe_core::store::evaluators::counts(&state.pool, &scope.project_id, &[evaluator.id.clone()]).await?;
        Ok(ExecutionPage { executions, total, counts: counts.into_iter().next().map(|(_, c)| c).unwrap_or_default() })
    }
    .await)
}
