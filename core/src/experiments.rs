//! Experiment runs started from the UI (#21): a prompt version run over a dataset's ACTIVE items
//! with an LLM connection, by the job kind [`RUN_JOB`], with its progress readable by the page.
//!
//! - **Start** ([`start`]): checks the dataset, the prompt version (a label is pinned to the
//!   version holding it now), the connection and the run name, then in one transaction creates
//!   the run (`dataset_runs`, its metadata naming prompt, connection and model), records the
//!   execution with the dataset's snapshot time and item count (`experiment_executions`) and
//!   enqueues the job — so a run exists only if its work will be done.
//! - **Work** ([`Executor::step`]): each job run takes the next [`STEP_ITEMS`] items of the
//!   snapshot that have no run item yet and runs them [`CONCURRENCY`] at a time: compile the
//!   prompt with the item's input (`domain::experiments::variables_from_input`, then the
//!   playground's own compile, `RunRequest::checked`), call the model
//!   (`playground::complete`), store the call as a trace through `ingest::store` (environment
//!   [`ENVIRONMENT`], the generation priced and linked to the prompt version), then link the run
//!   item with the item's version. `Again` until no item is left; then the run is done.
//! - **Idempotent per (run, item)**: the trace id is derived from (project, run, item), and
//!   `dataset_run_items` is unique on (run, item, trace); an item is skipped once linked. A job
//!   that dies after storing a trace but before linking it runs the item again into the same
//!   trace id (the upsert replaces it) and links it once.
//! - **Failures**: a provider error (or an item whose input leaves a variable empty) is that
//!   item's result: an errored generation with the message, a linked run item, the run goes on.
//!   A rate limit stops the step and retries the job when the provider says (`retry_at`), the
//!   linked items kept. A connection, prompt or key that is gone ends the run as failed with a
//!   message naming it.
//! - **Quota** (#22): starting a run past a refusing plan's quota is refused (the server
//!   function), and a step finding it reached fails the run naming the plan (`crate::limits`).
//! - **Progress** is counted from the run items and their traces' errors
//!   (`store::experiments::progress_of`), never kept as counters a re-run job could inflate.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::ingest::model::{IngestBatch, ObservationPatch, TracePatch};
use crate::jobs::{JobError, Kind, Outcome};
use crate::pricing::Pricing;
use crate::scope::ProjectId;
use crate::secrets::SecretBox;
use crate::store::experiments::{Execution, NewExecution, PendingItem};
use crate::store::llm_connections::Credentials;
use crate::store::StoreError;
use loupe_domain::datasets::DatasetRun;
use loupe_domain::experiments::{variables_from_input, PromptChoice, RunState, StartRunInput};
use loupe_domain::playground::{CheckedRun, ModelParams, Playground, ProviderProblem, Variant};
use loupe_domain::prompts::{PromptSelector, PromptVersion};
use loupe_domain::{ObservationLevel, ObservationType};

/// The job kind that works a run.
pub const RUN_JOB: &str = "experiment.run";

/// The environment the runs' traces are recorded in: apart from production traffic (`default`)
/// like the playground's `playground`, and — unlike the judge's `evaluation` or Langfuse's
/// `langfuse-*` environments — not one the evaluators skip, since scoring an experiment's outputs
/// is what evaluators are for.
pub const ENVIRONMENT: &str = "experiment";

/// Items one job run takes: small enough that a run shows progress and a stop (deploy, crash)
/// loses little, large enough that the job overhead is noise beside the provider calls.
pub const STEP_ITEMS: i64 = 16;

/// Provider calls of one run at once: a dataset of hundreds finishes in minutes without a burst
/// that trips the provider's rate limit.
pub const CONCURRENCY: usize = 4;

/// How long the provider may stay silent before an item's call is cut off.
const IDLE: Duration = Duration::from_secs(60);

/// Why a run did not start; `field` names the input at fault (the form's field).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{field}: {message}")]
    NotFound {
        field: &'static str,
        message: String,
    },
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for StartError {
    fn from(error: sqlx::Error) -> Self {
        StartError::Store(error.into())
    }
}

/// The prompt version a choice names.
pub async fn prompt_version(
    pool: &PgPool,
    project_id: &ProjectId,
    name: &str,
    choice: &PromptChoice,
) -> Result<Option<PromptVersion>, StoreError> {
    let selector = match choice {
        PromptChoice::Version(v) => PromptSelector::Version(*v),
        PromptChoice::Label(l) => PromptSelector::Label(l.clone()),
    };
    let mut conn = pool.acquire().await?;
    crate::store::prompts::get(&mut conn, project_id, name, &selector).await
}

/// Starts a run of a checked [`StartRunInput`] (`StartRunInput::checked`); returns the run.
pub async fn start(
    pool: &PgPool,
    project_id: &ProjectId,
    input: &StartRunInput,
    created_by: &str,
) -> Result<DatasetRun, StartError> {
    let mut conn = pool.acquire().await?;
    let dataset = crate::store::datasets::dataset_by_id(&mut conn, project_id, &input.dataset_id)
        .await?
        .ok_or_else(|| StartError::NotFound {
            field: "datasetId",
            message: format!("no dataset {:?} in this project", input.dataset_id),
        })?;
    drop(conn);
    let version = prompt_version(pool, project_id, &input.prompt_name, &input.prompt)
        .await?
        .ok_or_else(|| {
            let which = match &input.prompt {
                PromptChoice::Version(v) => format!("version {v}"),
                PromptChoice::Label(l) => format!("label {l:?}"),
            };
            StartError::NotFound {
                field: "prompt",
                message: format!("the prompt {:?} has no {which}", input.prompt_name),
            }
        })?;
    // A prompt whose references no longer resolve would fail every item: refuse it now.
    let mut conn = pool.acquire().await?;
    crate::store::prompt_graph::resolve(&mut conn, project_id, &version)
        .await
        .map_err(|e| StartError::Invalid {
            field: "prompt",
            message: e.to_string(),
        })?;
    if crate::store::llm_connections::by_provider(&mut conn, project_id, &input.connection)
        .await?
        .is_none()
    {
        return Err(StartError::NotFound {
            field: "connection",
            message: format!("no LLM connection {:?} in this project", input.connection),
        });
    }
    if crate::store::datasets::run_by_name(&mut conn, project_id, &dataset.id, &input.run_name)
        .await?
        .is_some()
    {
        return Err(StartError::Conflict {
            field: "runName",
            message: format!("the dataset has a run named {:?} already", input.run_name),
        });
    }
    drop(conn);
    let params = input.params.to_json();
    let metadata = json!({
        "prompt": {"name": version.name, "version": version.version},
        "connection": input.connection,
        "model": input.model,
        "modelParameters": params,
        "startedFrom": "ui",
    });
    let mut tx = pool.begin().await?;
    let run = crate::store::datasets::create_or_get_run(
        &mut tx,
        project_id,
        &crate::store::datasets::NewRun {
            dataset_id: &dataset.id,
            name: &input.run_name,
            description: input.description.as_deref(),
            metadata: Some(&metadata),
        },
    )
    .await?;
    let new = NewExecution {
        run_id: &run.id,
        dataset_id: &dataset.id,
        prompt_name: &version.name,
        prompt_version: version.version,
        connection: &input.connection,
        model: &input.model,
        params: &params,
        created_by,
    };
    let total = crate::store::experiments::create_execution(&mut tx, project_id, &new)
        .await
        .map_err(|e| match e {
            // Two starts of one name raced past the check above: the second is refused here.
            StoreError::Conflict { .. } => StartError::Conflict {
                field: "runName",
                message: format!("the dataset has a run named {:?} already", input.run_name),
            },
            other => other.into(),
        })?;
    if total == 0 {
        return Err(StartError::Invalid {
            field: "datasetId",
            message: "the dataset has no ACTIVE items to run".into(),
        });
    }
    let payload = json!({"projectId": project_id.as_str(), "runId": run.id});
    let job = crate::jobs::queue::enqueue_in(&mut tx, RUN_JOB, &payload, 5).await?;
    crate::store::experiments::set_job(&mut tx, project_id, &run.id, job).await?;
    tx.commit().await?;
    Ok(run)
}

/// The trace an item's call is recorded as: the same for the same (project, run, item), so a
/// repeated call replaces its trace instead of adding one.
pub fn item_trace_id(project_id: &str, run_id: &str, item_id: &str) -> String {
    let mut hash = Sha256::new();
    for part in ["experiment", project_id, run_id, item_id] {
        hash.update(part.as_bytes());
        // A separator no id contains: ("ab","c") and ("a","bc") must differ.
        hash.update([0u8]);
    }
    hex::encode(hash.finalize())[..32].to_string()
}

/// Works runs; one per process, shared by the job's handlers.
pub struct Executor {
    pool: PgPool,
    pricing: Arc<Pricing>,
    secrets: Option<SecretBox>,
    idle: Duration,
}

/// What happened to one item.
enum ItemOutcome {
    Linked,
    /// The provider asked to wait this long (seconds) before more calls.
    RateLimited(Option<u64>),
}

/// What a step came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Items were run; more may be left.
    Worked(usize),
    /// The run is finished (done, failed, or gone).
    Finished,
}

impl Executor {
    pub fn new(pool: PgPool, secrets: Option<SecretBox>) -> Executor {
        Executor {
            pricing: Arc::new(Pricing::new(pool.clone())),
            pool,
            secrets,
            idle: IDLE,
        }
    }

    /// Runs up to `limit` pending items of the run.
    pub async fn step(
        &self,
        project_id: &ProjectId,
        run_id: &str,
        limit: i64,
    ) -> Result<Step, JobError> {
        let Some(execution) =
            crate::store::experiments::execution(&self.pool, project_id, run_id).await?
        else {
            return Ok(Step::Finished);
        };
        if execution.state != RunState::Running {
            return Ok(Step::Finished);
        }
        let fail = |message: String| async move {
            crate::store::experiments::finish(
                &self.pool,
                project_id,
                run_id,
                RunState::Failed,
                Some(&message),
            )
            .await?;
            Ok::<Step, JobError>(Step::Finished)
        };
        // Every item is recorded as a trace, units (#22): past a refusing plan's quota the run
        // stops, failed with the plan's sentence (the one ingestion's 429 carries), its linked
        // items kept; a new run can be started once the plan allows.
        match crate::limits::check_ingestion(&self.pool, project_id).await {
            Ok(()) => {}
            Err(crate::limits::LimitError::Reached(reached)) => return fail(format!("Stopped. {reached}")).await,
            Err(crate::limits::LimitError::Store(e)) => return Err(e.into()),
        }
        let Some(secrets) = &self.secrets else {
            return fail(
                "connection: this server has no LOUPE_SECRET to open LLM connections with".into(),
            )
            .await;
        };
        let credentials = match crate::store::llm_connections::credentials(
            &self.pool,
            secrets,
            project_id,
            &execution.connection,
        )
        .await
        {
            Ok(Some(credentials)) => credentials,
            Ok(None) => {
                return fail(format!(
                    "connection: the LLM connection {:?} no longer exists in this project",
                    execution.connection
                ))
                .await
            }
            Err(crate::store::llm_connections::CredentialsError::Store(e)) => return Err(e.into()),
            Err(e) => return fail(format!("connection: {e}")).await,
        };
        let mut conn = self.pool.acquire().await.map_err(StoreError::from)?;
        let selector = PromptSelector::Version(execution.prompt_version);
        let Some(mut version) =
            crate::store::prompts::get(&mut conn, project_id, &execution.prompt_name, &selector)
                .await?
        else {
            return fail(format!(
                "prompt: {:?} version {} no longer exists",
                execution.prompt_name, execution.prompt_version
            ))
            .await;
        };
        match crate::store::prompt_graph::resolve(&mut conn, project_id, &version).await {
            Ok(resolved) => version.prompt = resolved.prompt,
            Err(crate::store::prompts::WriteError::Database(e)) => return Err(e.into()),
            Err(e) => return fail(format!("prompt: {e}")).await,
        }
        drop(conn);
        let pending =
            crate::store::experiments::pending_items(&self.pool, project_id, &execution, limit)
                .await?;
        if pending.is_empty() {
            crate::store::experiments::finish(&self.pool, project_id, run_id, RunState::Done, None)
                .await?;
            return Ok(Step::Finished);
        }
        let client = crate::playground::client().map_err(|p| JobError::new(describe(&p)))?;
        let params: ModelParams =
            serde_json::from_value(execution.params.clone()).unwrap_or_default();
        let work = Arc::new(Work {
            execution,
            version,
            credentials,
            params,
            client,
            project_id: project_id.clone(),
            pool: self.pool.clone(),
            pricing: Arc::clone(&self.pricing),
            idle: self.idle,
        });
        // Owned items and a shared `Work`: each call is a `'static` future, so the stream is
        // `Send` for the job runner.
        let outcomes: Vec<Result<ItemOutcome, JobError>> =
            futures_util::stream::iter(pending.into_iter())
                .map(|item| run_item(Arc::clone(&work), item))
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
        let mut linked = 0;
        let mut wait: Option<u64> = None;
        for outcome in outcomes {
            match outcome? {
                ItemOutcome::Linked => linked += 1,
                ItemOutcome::RateLimited(seconds) => {
                    wait = Some(wait.unwrap_or(0).max(seconds.unwrap_or(30)))
                }
            }
        }
        if let Some(seconds) = wait {
            let at = Utc::now() + chrono::Duration::seconds(seconds as i64);
            return Err(JobError::new(format!(
                "the provider is rate limiting; {linked} items ran, the rest wait {seconds} s"
            ))
            .retry_at(at));
        }
        Ok(Step::Worked(linked))
    }
}

async fn run_item(work: Arc<Work>, item: PendingItem) -> Result<ItemOutcome, JobError> {
    let item = &item;
    let execution = &work.execution;
    let trace_id = item_trace_id(work.project_id.as_str(), &execution.run_id, &item.id);
    let started_at = Utc::now();
    let (checked, result) = match compile(&work.version, &item.input, execution, &work.params) {
        Err(problem) => (None, Err(problem)),
        Ok(run) => {
            let result =
                crate::playground::complete(&work.client, &work.credentials, &run, work.idle)
                    .await
                    .map_err(|p| match p {
                        ProviderProblem::RateLimited {
                            retry_after_seconds,
                            ..
                        } => Err(retry_after_seconds),
                        other => Ok(describe(&other)),
                    });
            match result {
                Err(Err(retry_after)) => return Ok(ItemOutcome::RateLimited(retry_after)),
                Err(Ok(message)) => (Some(run), Err(message)),
                Ok(completion) => (Some(run), Ok(completion)),
            }
        }
    };
    let ended_at = Utc::now();
    record(
        &work,
        item,
        &trace_id,
        checked.as_ref(),
        &result,
        started_at,
        ended_at,
    )
    .await?;
    let mut conn = work.pool.acquire().await.map_err(StoreError::from)?;
    crate::store::datasets::link_run_item(
        &mut conn,
        &work.project_id,
        &crate::store::datasets::NewRunItem {
            run_id: &execution.run_id,
            dataset_item_id: &item.id,
            dataset_item_version: Some(item.version),
            trace_id: &trace_id,
            observation_id: None,
            created_at: None,
        },
    )
    .await?;
    Ok(ItemOutcome::Linked)
}

/// Stores the item's trace and generation (the generation priced by the project's prices).
#[allow(clippy::too_many_arguments)]
async fn record(
    work: &Work,
    item: &PendingItem,
    trace_id: &str,
    run: Option<&CheckedRun>,
    result: &Result<crate::playground::Completion, String>,
    started_at: chrono::DateTime<Utc>,
    ended_at: chrono::DateTime<Utc>,
) -> Result<(), JobError> {
    let execution = &work.execution;
    let output = match result {
        Ok(completion) => Value::String(completion.text.clone()),
        Err(_) => Value::Null,
    };
    let metadata = json!({
        "datasetId": execution.dataset_id,
        "datasetItemId": item.id,
        "datasetRunId": execution.run_id,
        "datasetRunName": execution.run_name,
        "connection": execution.connection,
    });
    let mut trace = TracePatch::new(trace_id);
    trace.timestamp = Some(started_at);
    trace.name = Some(format!("experiment · {}", execution.prompt_name));
    trace.input = Some(item.input.clone());
    trace.output = Some(output.clone());
    trace.environment = Some(ENVIRONMENT.to_string());
    trace.tags = vec!["experiment".to_string()];
    trace.metadata = Some(metadata.clone());
    let mut generation = ObservationPatch::new(
        format!("{trace_id}-generation"),
        trace_id,
        ObservationType::Generation,
    );
    generation.name = Some(execution.model.clone());
    generation.start_time = Some(started_at);
    generation.end_time = Some(ended_at);
    generation.model = Some(execution.model.clone());
    generation.model_parameters = Some(work.params.to_json());
    generation.input = Some(run.map(|r| json!(r.messages)).unwrap_or(Value::Null));
    generation.output = Some(output);
    generation.environment = Some(ENVIRONMENT.to_string());
    generation.metadata = Some(metadata);
    generation.prompt_name = Some(execution.prompt_name.clone());
    generation.prompt_version = Some(execution.prompt_version);
    match result {
        Ok(completion) => {
            generation.completion_start_time = completion
                .first_token
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| started_at + d);
            if let Some(usage) = completion.usage {
                generation.usage.details = Some(
                    json!({"input": usage.input, "output": usage.output, "total": usage.total}),
                );
            }
        }
        Err(message) => {
            generation.level = Some(ObservationLevel::Error);
            generation.status_message = Some(message.clone());
        }
    }
    let batch = IngestBatch {
        traces: vec![trace],
        observations: vec![generation],
        ..IngestBatch::default()
    };
    let stored = crate::ingest::store(&work.pool, &work.pricing, &work.project_id, batch).await?;
    crate::limits::note_written(&work.pool, &work.project_id, &stored.summary);
    if let Some(unstored) = stored.unstored.first() {
        // The database refused this item's trace (e.g. an input too large): the item is linked
        // all the same, so the run does not try it forever.
        tracing::error!(message = %unstored.message, run = %execution.run_id, item = %item.id, "an experiment item's trace was refused");
    }
    Ok(())
}

/// What the items of one step share.
struct Work {
    execution: Execution,
    version: PromptVersion,
    credentials: Credentials,
    params: ModelParams,
    client: genai::Client,
    project_id: ProjectId,
    pool: PgPool,
    pricing: Arc<Pricing>,
    idle: Duration,
}

/// The prompt compiled with an item's input, as the playground compiles it; an error names the
/// variable (or placeholder) the input leaves empty.
fn compile(
    version: &PromptVersion,
    input: &Value,
    execution: &Execution,
    params: &ModelParams,
) -> Result<CheckedRun, String> {
    let mut playground = Playground::from_prompt(version, &[]);
    for (name, value) in variables_from_input(input) {
        if let Some(slot) = playground.variables.get_mut(&name) {
            *slot = value;
        }
    }
    playground.variants = vec![Variant {
        connection: execution.connection.clone(),
        model: execution.model.clone(),
        params: params.clone(),
    }];
    let request = playground
        .request(0)
        .ok_or_else(|| "the run has no model".to_string())?;
    request
        .checked()
        .map_err(|problem| format!("the item's input does not fill the prompt: {problem}"))
}

/// A provider problem in English (the trace's status message).
pub fn describe(problem: &ProviderProblem) -> String {
    match problem {
        ProviderProblem::BadKey { message } => format!("the provider refused the key: {message}"),
        ProviderProblem::UnknownModel { message } => format!("unknown model: {message}"),
        ProviderProblem::RateLimited { message, .. } => format!("rate limited: {message}"),
        ProviderProblem::ContentFilter { message } => {
            format!("refused by the provider's content filter: {message}")
        }
        ProviderProblem::Refused { status, message } => {
            format!("the provider refused the request ({status}): {message}")
        }
        ProviderProblem::ProviderDown { status, message } => {
            format!("the provider failed ({status}): {message}")
        }
        ProviderProblem::Timeout { seconds } => {
            format!("no answer from the provider for {seconds} s")
        }
        ProviderProblem::MalformedStream { message } => {
            format!("the provider's answer could not be read: {message}")
        }
        ProviderProblem::Unreachable { message } => {
            format!("the provider could not be reached: {message}")
        }
        ProviderProblem::Busy { limit } => format!("too many runs at once (limit {limit})"),
        ProviderProblem::NoSuchConnection { name } => format!("no LLM connection {name:?}"),
        ProviderProblem::UnsupportedAdapter { adapter } => {
            format!("the {adapter} adapter cannot be called yet")
        }
    }
}

/// The job kind working runs: one step of [`STEP_ITEMS`] items per job run, `Again` until done.
pub fn run_kind(pool: &PgPool, secrets: Option<SecretBox>) -> Kind {
    let executor = Arc::new(Executor::new(pool.clone(), secrets));
    Kind::new(RUN_JOB, move |job| {
        let executor = Arc::clone(&executor);
        async move {
            let text = |key: &str| {
                job.payload
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let (Some(project), Some(run_id)) = (text("projectId"), text("runId")) else {
                return Err(JobError::new("payload without projectId/runId"));
            };
            // Enqueued by `start`, whose caller's access to the project was checked.
            let project_id = ProjectId::vouched(project);
            match executor.step(&project_id, &run_id, STEP_ITEMS).await? {
                Step::Worked(_) => Ok(Outcome::Again),
                Step::Finished => Ok(Outcome::Done),
            }
        }
    })
    .concurrency(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_traces_are_stable_per_project_run_and_item() {
        let a = item_trace_id("p", "run", "item");
        assert_eq!(a, item_trace_id("p", "run", "item"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, item_trace_id("p", "run", "item2"));
        assert_ne!(a, item_trace_id("p", "run2", "item"));
        assert_ne!(a, item_trace_id("p2", "run", "item"));
        assert_ne!(item_trace_id("p", "ab", "c"), item_trace_id("p", "a", "bc"));
    }
}
