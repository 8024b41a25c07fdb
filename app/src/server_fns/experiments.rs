//! Experiments (#21): a dataset's runs with their summaries, one run's items, the comparison of
//! 2–4 runs with the regression verdict, and runs started from the UI (a prompt version over the
//! dataset with an LLM connection, worked by the `experiment.run` job) with their progress.
//!
//! Who may do what: everyone in the project reads; Members start runs (`UsePlayground`: a run
//! spends the project's provider credits, as the playground does); Admins delete runs
//! (`ManageProjectSettings`). Every read names the dataset, and a run of another dataset (or
//! project) is not found.

use leptos::prelude::*;

use crate::domain::datasets::DatasetRun;
use crate::domain::experiments::{Comparison, NewRunOptions, RunDetail, RunProgress, RunsPage, StartRunInput};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod support {
    pub use crate::server_fns::support::*;
    use crate::domain::datasets::{Dataset, DatasetRun};
    use crate::domain::experiments::StartRunProblem;
    use crate::error::AppError;
    use loupe_core::scope::ProjectId;

    /// The dataset, or not found (another project's looks the same).
    pub async fn dataset(pool: &sqlx::PgPool, project_id: &ProjectId, dataset_id: &str) -> Result<Dataset, AppError> {
        let mut conn = pool.acquire().await?;
        crate::store::datasets::dataset_by_id(&mut conn, project_id, dataset_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(experiments.errors.no_dataset)))
    }

    /// The run, when it is one of the dataset's.
    pub async fn run_of(pool: &sqlx::PgPool, project_id: &ProjectId, dataset_id: &str, run_id: &str) -> Result<DatasetRun, AppError> {
        let mut conn = pool.acquire().await?;
        crate::store::datasets::run(&mut conn, project_id, run_id)
            .await?
            .filter(|run| run.dataset_id.as_deref() == Some(dataset_id))
            .ok_or_else(|| AppError::NotFound(crate::language::say!(experiments.errors.no_run, id = run_id)))
    }

    /// Page `page` (from 1) of `size`.
    pub fn page_of(page: u32, size: u32) -> Result<loupe_core::store::query::Page, AppError> {
        if !(1..=100_000).contains(&page) {
            return Err(AppError::invalid("page", crate::language::say!(experiments.errors.page)));
        }
        Ok(loupe_core::store::query::Page { limit: i64::from(size), offset: i64::from((page - 1) * size) })
    }

    /// A problem of the "New run" form in the request's language.
    pub fn start_problem(problem: &StartRunProblem) -> AppError {
        use crate::domain::experiments::{MAX_DESCRIPTION, MAX_RUN_NAME};
        let message = match problem {
            StartRunProblem::NoDataset => crate::language::say!(experiments.errors.choose_dataset),
            StartRunProblem::NoPrompt => crate::language::say!(experiments.errors.choose_prompt),
            StartRunProblem::NoVersion => crate::language::say!(experiments.errors.choose_version),
            StartRunProblem::NoConnection => crate::language::say!(experiments.errors.choose_connection),
            StartRunProblem::NoModel => crate::language::say!(experiments.errors.choose_model),
            StartRunProblem::NoRunName => crate::language::say!(experiments.errors.run_name_empty),
            StartRunProblem::RunNameTooLong => crate::language::say!(experiments.errors.run_name_long, max = MAX_RUN_NAME),
            StartRunProblem::RunNameCharacter => crate::language::say!(experiments.errors.run_name_control),
            StartRunProblem::DescriptionTooLong => crate::language::say!(experiments.errors.description_long, max = MAX_DESCRIPTION),
            StartRunProblem::Params { .. } => crate::language::say!(experiments.errors.params, detail = problem.to_string()),
        };
        AppError::invalid(&problem.field(), message)
    }

    /// The core's refusal of a start in the request's language, naming the field.
    pub fn start_error(error: loupe_core::experiments::StartError, input: &crate::domain::experiments::StartRunInput) -> AppError {
        use loupe_core::experiments::StartError;
        match error {
            StartError::NotFound { field: "datasetId", .. } => AppError::NotFound(crate::language::say!(experiments.errors.no_dataset)),
            StartError::NotFound { field: "prompt", .. } => {
                AppError::invalid("prompt", crate::language::say!(experiments.errors.no_prompt_version, name = input.prompt_name.as_str()))
            }
            StartError::NotFound { field: "connection", .. } => {
                AppError::invalid("connection", crate::language::say!(experiments.errors.no_connection, name = input.connection.as_str()))
            }
            StartError::Conflict { field, .. } => AppError::invalid(field, crate::language::say!(experiments.errors.run_name_taken, name = input.run_name.as_str())),
            StartError::Invalid { field: "datasetId", .. } => AppError::invalid("datasetId", crate::language::say!(experiments.errors.no_items)),
            // The prompt's references no longer resolve: the domain's words name the reference.
            StartError::Invalid { field, message } | StartError::NotFound { field, message } => AppError::invalid(field, message),
            StartError::Store(error) => error.into(),
        }
    }
}

/// A dataset's runs, newest first, with their summaries (page from 1).
#[server(prefix = "/api/ui", endpoint = "list_experiment_runs")]
pub async fn list_experiment_runs(project_id: String, dataset_id: String, #[server(default)] page: u32) -> Result<RunsPage, AppError> {
    use crate::domain::experiments::RUNS_PAGE_SIZE;
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let dataset = dataset(&state.pool, &scope.project_id, &dataset_id).await?;
        let page = page.max(1);
        let (runs, total) = crate::store::experiments::list(&state.pool, &scope.project_id, &dataset.id, support::page_of(page, RUNS_PAGE_SIZE)?).await?;
        Ok(RunsPage {
            runs,
            total,
            page,
            page_size: RUNS_PAGE_SIZE,
            can_start: scope.role.can(crate::domain::Action::UsePlayground),
            can_delete: scope.role.can(crate::domain::Action::ManageProjectSettings),
        })
    }
    .await)
}

/// One run of a dataset with a page of its items (page from 1).
#[server(prefix = "/api/ui", endpoint = "get_experiment_run")]
pub async fn get_experiment_run(project_id: String, dataset_id: String, run_id: String, #[server(default)] page: u32) -> Result<RunDetail, AppError> {
    use crate::domain::experiments::ITEMS_PAGE_SIZE;
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let dataset = dataset(&state.pool, &scope.project_id, &dataset_id).await?;
        let run = run_of(&state.pool, &scope.project_id, &dataset.id, &run_id).await?;
        let page = page.max(1);
        let summary = crate::store::experiments::summaries(&state.pool, &scope.project_id, std::slice::from_ref(&run.id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::NotFound(crate::language::say!(experiments.errors.no_run, id = run_id.as_str())))?;
        let (rows, total) = crate::store::experiments::items(&state.pool, &scope.project_id, &run.id, support::page_of(page, ITEMS_PAGE_SIZE)?).await?;
        Ok(RunDetail {
            summary,
            dataset_name: dataset.name,
            rows,
            total,
            page,
            page_size: ITEMS_PAGE_SIZE,
            can_delete: scope.role.can(crate::domain::Action::ManageProjectSettings),
        })
    }
    .await)
}

/// 2–4 runs of a dataset side by side (`runs`: comma-separated ids, in the order to show them),
/// each candidate's verdicts against `baseline` (the first run when empty or not one of them),
/// scores named in `lower` compared as lower-is-better, the items sorted by the worst change of
/// the score `sort` (by item id when empty), page `page` (from 1).
#[server(prefix = "/api/ui", endpoint = "compare_experiment_runs")]
pub async fn compare_experiment_runs(
    project_id: String,
    dataset_id: String,
    runs: String,
    #[server(default)] baseline: String,
    #[server(default)] lower: String,
    #[server(default)] sort: String,
    #[server(default)] page: u32,
) -> Result<Comparison, AppError> {
    use crate::domain::experiments::{build_comparison, split_list, ItemOrder, MAX_COMPARED, MIN_COMPARED};
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let dataset = dataset(&state.pool, &scope.project_id, &dataset_id).await?;
        let ids = split_list(&runs);
        if !(MIN_COMPARED..=MAX_COMPARED).contains(&ids.len()) {
            return Err(AppError::invalid("runs", crate::language::say!(experiments.errors.compare_count, min = MIN_COMPARED, max = MAX_COMPARED)));
        }
        for id in &ids {
            run_of(&state.pool, &scope.project_id, &dataset.id, id).await?;
        }
        let page = page.max(1);
        support::page_of(page, crate::domain::experiments::ITEMS_PAGE_SIZE)?;
        let summaries = crate::store::experiments::summaries(&state.pool, &scope.project_id, &ids).await?;
        let items = crate::store::experiments::comparison_items(&state.pool, &scope.project_id, &ids).await?.ok_or_else(|| {
            AppError::invalid("runs", crate::language::say!(experiments.errors.too_many_items, max = crate::store::experiments::MAX_COMPARED_RUN_ITEMS))
        })?;
        let order = match sort.trim() {
            "" => ItemOrder::Item,
            name => ItemOrder::Delta(name.to_string()),
        };
        let lower = split_list(&lower);
        let mut comparison = build_comparison(&dataset.id, &dataset.name, summaries, baseline.trim(), items, &lower, &order, page);
        crate::store::experiments::fill_comparison_content(&state.pool, &scope.project_id, &mut comparison.items).await?;
        Ok(comparison)
    }
    .await)
}

/// What the "New run" form offers: the project's prompts with their versions and labels, and
/// its LLM connections with their models (never a key).
#[server(prefix = "/api/ui", endpoint = "experiment_run_options")]
pub async fn experiment_run_options(project_id: String) -> Result<NewRunOptions, AppError> {
    use crate::domain::playground::PlaygroundConnection;
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::UsePlayground).await?;
        let prompts = crate::store::experiments::prompt_versions(&state.pool, &scope.project_id).await?;
        let connections = crate::store::llm_connections::page(&state.pool, &scope.project_id, 0, 1000)
            .await?
            .0
            .into_iter()
            .map(|c| PlaygroundConnection { models: c.models(), name: c.provider, adapter: c.adapter })
            .collect();
        Ok(NewRunOptions { prompts, connections })
    }
    .await)
}

/// Starts a run of a prompt version over the dataset's ACTIVE items (Members and up); the job
/// works it in the background, [`experiment_run_progress`] reads how far it is.
#[server(prefix = "/api/ui", endpoint = "start_experiment_run", input = leptos::server_fn::codec::Json)]
pub async fn start_experiment_run(project_id: String, input: StartRunInput) -> Result<DatasetRun, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::UsePlayground).await?;
        let checked = input.checked().map_err(|p| start_problem(&p))?;
        // Its items are recorded as traces, units: refused like ingestion past a refusing plan's
        // quota (#22), in the person's language, naming the plan.
        loupe_core::limits::check_ingestion(&state.pool, &scope.project_id).await.map_err(crate::server_fns::usage::limit_error)?;
        let run = loupe_core::experiments::start(&state.pool, &scope.project_id, &checked, &user.user_id).await.map_err(|e| start_error(e, &checked))?;
        let mut tx = state.pool.begin().await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "dataset_run.start", "dataset_run", &run.id, None, Some(run.metadata.clone()))
            .await?;
        tx.commit().await?;
        Ok(run)
    }
    .await)
}

/// How far a run started from the UI is (not found for runs the SDKs made).
#[server(prefix = "/api/ui", endpoint = "experiment_run_progress")]
pub async fn experiment_run_progress(project_id: String, run_id: String) -> Result<RunProgress, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        crate::store::experiments::progress_of(&state.pool, &scope.project_id, std::slice::from_ref(&run_id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::NotFound(crate::language::say!(experiments.errors.no_run, id = run_id.as_str())))
    }
    .await)
}

/// Deletes a run with its run items (Admins); the traces stay.
#[server(prefix = "/api/ui", endpoint = "delete_experiment_run")]
pub async fn delete_experiment_run(project_id: String, dataset_id: String, run_id: String) -> Result<(), AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let run = run_of(&state.pool, &scope.project_id, &dataset_id, &run_id).await?;
        let mut tx = state.pool.begin().await?;
        crate::store::datasets::delete_run(&mut tx, &scope.project_id, &run.id).await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "dataset_run.delete", "dataset_run", &run.id,
            Some(serde_json::json!({"name": run.name, "datasetId": run.dataset_id})), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}
