//! `evaluation.execute`: one execution, from its variables to its score.
//!
//! Only the job recorded on the execution works on it (`job_id`), and only while it is open: a
//! job from before a pause, or a second delivery, does nothing. The judge's trace (environment
//! `evaluation`, its generation priced from the project's price table), the score(s) and the
//! execution's final state are written in one transaction, and every id in it derives from the
//! execution's id: a process killed anywhere in between leaves either nothing (the job runs again
//! when its lease ends and rewrites the same rows) or everything.
//!
//! The judge's answer is untrusted text: it is checked against the output definition
//! (`OutputDefinition::parse_answer`) and stored only as the score's value and comment; an answer
//! that does not fit ends the execution as an error saying why (its trace is kept, so the answer
//! can be read).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::mapping;
use super::{Engine, EXECUTE_JOB};
use crate::ingest::model::{IngestBatch, ObservationPatch, ScoreRecord, TracePatch};
use crate::jobs::{Job, JobError, Kind, Outcome};
use crate::scope::ProjectId;
use crate::store::evaluators::{self as store, Ending, ExecutionWork, FoundTarget};
use crate::store::StoreError;
use loupe_domain::evaluators::{compile, is_guarded_environment, ExecutionStatus, Verdict, JUDGE_ENVIRONMENT};
use loupe_domain::playground::{CheckedRun, Message, ModelParams, ProviderProblem, Role, Variant};
use loupe_domain::{ObservationType, ScoreDataType, ScoreSource};

pub fn kind(engine: &Arc<Engine>) -> Kind {
    let engine = Arc::clone(engine);
    let (workers, lease) = (engine.options.workers, engine.options.lease);
    Kind::new(EXECUTE_JOB, move |job| {
        let engine = Arc::clone(&engine);
        async move { run(&engine, job).await }
    })
    .concurrency(workers)
    .lease(lease)
    .max_attempts(super::EXECUTE_ATTEMPTS)
}

fn payload(job: &Job) -> Result<(ProjectId, String), JobError> {
    let text = |key: &str| job.payload.get(key).and_then(Value::as_str).map(str::to_string);
    match (text("projectId"), text("executionId")) {
        // Enqueued with the execution, whose project is its own row's.
        (Some(project), Some(id)) => Ok((ProjectId::vouched(project), id)),
        _ => Err(JobError::new("payload without projectId/executionId")),
    }
}

/// Runs the job's execution.
pub async fn run(engine: &Engine, job: Job) -> Result<Outcome, JobError> {
    let (project_id, execution_id) = payload(&job)?;
    let Some(work) = store::execution_work(&engine.pool, &project_id, &execution_id).await? else {
        return Ok(Outcome::Done); // deleted with its evaluator
    };
    if work.job_id != Some(job.id) || work.execution.status.is_final() {
        return Ok(Outcome::Done);
    }
    if work.evaluator.status == loupe_domain::evaluators::EvaluatorStatus::Paused {
        // Waits for the resume, which gives it a new job.
        store::park_execution(&engine.pool, &project_id, &execution_id, job.id).await?;
        return Ok(Outcome::Done);
    }
    if !store::start_execution(&engine.pool, &project_id, &execution_id, job.id).await? {
        return Ok(Outcome::Done);
    }
    let exec = Execution { engine, project_id: &project_id, id: &execution_id, job: &job, work: &work };
    match exec.evaluate().await {
        Ok(()) => Ok(Outcome::Done),
        Err(Stop::Retry(error)) => Err(error),
        Err(Stop::End(status, ending)) => {
            exec.end(status, &ending).await?;
            Ok(Outcome::Done)
        }
        Err(Stop::Store(error)) => Err(error.into()),
    }
}

/// Why an execution stopped before its score.
enum Stop {
    /// Ends the execution (error or cancelled) with this record.
    End(ExecutionStatus, Ending),
    /// Try again later (the execution is `delayed`).
    Retry(JobError),
    /// The database failed: the job is retried as it is.
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(error: StoreError) -> Self {
        Stop::Store(error)
    }
}

impl From<sqlx::Error> for Stop {
    fn from(error: sqlx::Error) -> Self {
        Stop::Store(error.into())
    }
}

fn error(message: impl Into<String>) -> Stop {
    Stop::End(ExecutionStatus::Error, Ending { error: Some(message.into()), ..Ending::default() })
}

struct Execution<'a> {
    engine: &'a Engine,
    project_id: &'a ProjectId,
    id: &'a str,
    job: &'a Job,
    work: &'a ExecutionWork,
}

/// What the judge call returned, for its trace.
struct Call<'a> {
    prompt: &'a str,
    schema: &'a Value,
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
    completion: &'a crate::playground::Completion,
}

impl Execution<'_> {
    async fn evaluate(&self) -> Result<(), Stop> {
        let execution = &self.work.execution;
        let evaluator = &self.work.evaluator;
        // The loop guard again, for targets whose environment the scan could not see.
        if is_guarded_environment(&self.work.environment) {
            return Err(Stop::End(
                ExecutionStatus::Cancelled,
                Ending { error: Some(format!("the target is in the {:?} environment, which is never evaluated", self.work.environment)), ..Ending::default() },
            ));
        }
        let target = FoundTarget {
            key: String::new(),
            trace_id: execution.trace_id.clone(),
            observation_id: execution.observation_id.clone(),
            dataset_run_item_id: execution.dataset_run_item_id.clone(),
            dataset_item_id: execution.dataset_item_id.clone(),
            dataset_item_version: None,
            environment: self.work.environment.clone(),
            created_at: execution.created_at,
        };
        // The judge's trace and score are units (#22): past a refusing plan's quota the
        // execution is skipped before the judge is paid for, its error naming the plan (the
        // sentence ingestion's 429 carries).
        match crate::limits::check_ingestion(&self.engine.pool, self.project_id).await {
            Ok(()) => {}
            Err(crate::limits::LimitError::Reached(reached)) => {
                return Err(Stop::End(ExecutionStatus::Cancelled, Ending { error: Some(format!("Not evaluated. {reached}")), ..Ending::default() }));
            }
            Err(crate::limits::LimitError::Store(e)) => return Err(Stop::Store(e)),
        }
        let observation = execution.observation_id.as_deref().filter(|_| execution.dataset_run_item_id.is_none());
        let what = mapping::describe(&execution.trace_id, observation);
        let Some(fields) = store::target_fields(&self.engine.pool, self.project_id, &self.with_version(target).await?).await? else {
            return Err(error(format!(
                "the {what} was not found (deleted, or not arrived yet: consider a longer delay)"
            )));
        };
        let mut values = BTreeMap::new();
        for m in &evaluator.mapping {
            values.insert(m.variable.clone(), mapping::resolve(m, &fields, &what).map_err(error)?);
        }
        let prompt = compile(&evaluator.prompt, &values)
            .map_err(|missing| error(format!("the template's variables {} have no mapping", missing.join(", "))))?;
        let Some(secrets) = &self.engine.secrets else {
            return Err(error("the server has no key to open LLM connections with (LOUPE_SECRET)"));
        };
        let credentials = crate::store::llm_connections::credentials(&self.engine.pool, secrets, self.project_id, &evaluator.connection)
            .await
            .map_err(|e| match e {
                crate::store::llm_connections::CredentialsError::Store(e) => Stop::Store(e),
                other => error(other.to_string()),
            })?
            .ok_or_else(|| error(format!("the project has no LLM connection named {:?}", evaluator.connection)))?;
        let Some(client) = &self.engine.client else { return Err(error("the server could not build its LLM client")) };
        let schema = evaluator.output.schema();
        let run = CheckedRun {
            messages: vec![Message::new(Role::User, prompt.clone())],
            tools: Vec::new(),
            response_schema: Some(schema.clone()),
            variant: Variant { connection: evaluator.connection.clone(), model: evaluator.model.clone(), params: ModelParams::default() },
            prompt: None,
        };
        let slot = self.engine.slot(self.project_id.as_str(), &evaluator.connection).await;
        let started_at = Utc::now();
        let clock = Instant::now();
        let result = crate::playground::complete(client, &credentials, &run, self.engine.options.idle_timeout).await;
        let latency_ms = clock.elapsed().as_millis() as i64;
        drop(slot);
        let completion = match result {
            Ok(completion) => completion,
            Err(problem) => return Err(self.provider_failed(problem).await?),
        };
        let call = Call { prompt: &prompt, schema: &schema, started_at, ended_at: Utc::now(), completion: &completion };
        self.record(&call, latency_ms).await
    }

    /// The dataset item's version the run used, read from the run item (executions keep only ids).
    async fn with_version(&self, mut target: FoundTarget) -> Result<FoundTarget, Stop> {
        if let Some(run_item) = &target.dataset_run_item_id {
            let version: Option<Option<DateTime<Utc>>> =
                sqlx::query_scalar("SELECT dataset_item_version FROM evaluation_executions WHERE project_id = $1 AND id = $2 AND dataset_run_item_id = $3")
                    .bind(self.project_id)
                    .bind(self.id)
                    .bind(run_item)
                    .fetch_optional(&self.engine.pool)
                    .await?;
            target.dataset_item_version = version.flatten();
        }
        Ok(target)
    }

    /// A failed call: rate limits and outages wait (at the provider's hint) while attempts are
    /// left; everything else ends the execution.
    async fn provider_failed(&self, problem: ProviderProblem) -> Result<Stop, StoreError> {
        let message = describe(&problem);
        let hint = match &problem {
            ProviderProblem::RateLimited { retry_after_seconds, .. } => Some(retry_after_seconds.unwrap_or(0)),
            ProviderProblem::ProviderDown { .. } | ProviderProblem::Timeout { .. } | ProviderProblem::Unreachable { .. } => None,
            _ => return Ok(error(message)),
        };
        if self.job.attempts >= self.job.max_attempts {
            return Ok(error(format!("{message} (gave up after {} attempts)", self.job.attempts)));
        }
        let mut retry = JobError::new(&message);
        let until = match hint {
            // The provider said when: then, and no sooner (a hint of 0 means "now-ish": 1 s).
            Some(seconds) => {
                let at = Utc::now() + chrono::Duration::seconds(seconds.max(1) as i64);
                retry = retry.retry_at(at);
                at
            }
            // The runner's backoff decides; shown as "about now".
            None => Utc::now(),
        };
        store::delay_execution(&self.engine.pool, self.project_id, self.id, self.job.id, until, &message).await?;
        Ok(Stop::Retry(retry))
    }

    /// The judge answered: its trace, the score(s) and the final state, in one transaction.
    async fn record(&self, call: &Call<'_>, latency_ms: i64) -> Result<(), Stop> {
        let evaluator = &self.work.evaluator;
        let execution = &self.work.execution;
        let judge_trace = super::judge_trace_id(self.id);
        let generation_id = format!("{judge_trace}-judge");
        let parsed = evaluator.output.parse_answer(&call.completion.text);
        let metadata = json!({
            "job_execution_id": self.id,
            "job_configuration_id": evaluator.id,
            "evaluator_id": evaluator.id,
            "target_trace_id": execution.trace_id,
            "target_observation_id": execution.observation_id,
            "target_dataset_item_id": execution.dataset_item_id,
        });
        let mut scores = Vec::new();
        if let Ok(answer) = &parsed {
            for (occurrence, verdict) in answer.values.iter().enumerate() {
                let (value, string_value, data_type) = match verdict {
                    Verdict::Number(n) => (Some(*n), None, ScoreDataType::Numeric),
                    Verdict::Boolean(b) => (Some(if *b { 1.0 } else { 0.0 }), Some(if *b { "True" } else { "False" }.to_string()), ScoreDataType::Boolean),
                    Verdict::Category(c) => (None, Some(c.clone()), ScoreDataType::Categorical),
                };
                scores.push(ScoreRecord {
                    id: super::score_id(self.id, &evaluator.score_name, occurrence),
                    timestamp: call.ended_at,
                    name: evaluator.score_name.clone(),
                    value,
                    string_value,
                    data_type,
                    source: ScoreSource::Eval,
                    trace_id: Some(execution.trace_id.clone()),
                    observation_id: execution.observation_id.clone(),
                    session_id: None,
                    dataset_run_id: None,
                    comment: Some(answer.reasoning.clone()).filter(|r| !r.is_empty()),
                    metadata: metadata.clone(),
                    config_id: None,
                    queue_id: None,
                    execution_trace_id: Some(judge_trace.clone()),
                    environment: self.work.environment.clone(),
                    author_user_id: None,
                });
            }
        }
        let batch = IngestBatch { traces: vec![self.judge_trace(&judge_trace, call, &metadata)], observations: vec![self.judge_generation(&generation_id, &judge_trace, call, &parsed)], scores, ..IngestBatch::default() };
        let prices = self.engine.pricing.project(self.project_id).await?;
        let mut tx = self.engine.pool.begin().await?;
        let written = match crate::ingest::writer::write(&mut tx, self.project_id, &[], batch, &prices, Utc::now()).await {
            Ok(summary) => summary,
            Err(e) => {
                drop(tx);
                return match crate::store::fault::fault(&e) {
                    crate::store::fault::Fault::Outage => Err(Stop::Store(e.into())),
                    // The judge's text is the only new input here: the database refused it.
                    _ => Err(error(format!("the judge's answer could not be stored: {e}"))),
                };
            }
        };
        let cost: Option<f64> = sqlx::query_scalar("SELECT total_cost FROM observations WHERE project_id = $1 AND id = $2")
            .bind(self.project_id)
            .bind(&generation_id)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
        let (status, ending) = match &parsed {
            Ok(_) => (
                ExecutionStatus::Completed,
                Ending {
                    error: None,
                    score_id: Some(super::score_id(self.id, &evaluator.score_name, 0)),
                    judge_trace_id: Some(judge_trace.clone()),
                    latency_ms: Some(latency_ms),
                    cost,
                },
            ),
            Err(why) => (
                ExecutionStatus::Error,
                Ending { error: Some(why.clone()), score_id: None, judge_trace_id: Some(judge_trace.clone()), latency_ms: Some(latency_ms), cost },
            ),
        };
        if !store::finish_execution(&mut tx, self.project_id, self.id, self.job.id, status, &ending).await? {
            // Another job holds it now (a resume re-enqueued it): leave it that one's.
            tx.rollback().await?;
            return Ok(());
        }
        tx.commit().await?;
        // The next check of this process sees the units without a database read.
        crate::limits::note_written(&self.engine.pool, self.project_id, &written);
        Ok(())
    }

    fn judge_trace(&self, id: &str, call: &Call<'_>, metadata: &Value) -> TracePatch {
        let mut trace = TracePatch::new(id);
        trace.timestamp = Some(call.started_at);
        trace.name = Some(format!("Execute evaluator: {}", self.work.evaluator.template_name));
        trace.input = Some(Value::String(strip_nul(call.prompt)));
        trace.output = Some(Value::String(strip_nul(&call.completion.text)));
        trace.environment = Some(JUDGE_ENVIRONMENT.to_string());
        trace.metadata = Some(metadata.clone());
        trace.tags = vec!["evaluation".to_string()];
        trace
    }

    fn judge_generation(&self, id: &str, trace_id: &str, call: &Call<'_>, parsed: &Result<loupe_domain::evaluators::JudgeAnswer, String>) -> ObservationPatch {
        let evaluator = &self.work.evaluator;
        let mut generation = ObservationPatch::new(id, trace_id, ObservationType::Generation);
        generation.name = Some(format!("judge · {}", evaluator.name));
        generation.start_time = Some(call.started_at);
        generation.end_time = Some(call.ended_at);
        generation.completion_start_time = call.completion.first_token.and_then(|d| chrono::Duration::from_std(d).ok()).map(|d| call.started_at + d);
        generation.model = Some(evaluator.model.clone());
        generation.input = Some(json!([{"role": "user", "content": strip_nul(call.prompt)}]));
        generation.output = Some(Value::String(strip_nul(&call.completion.text)));
        generation.environment = Some(JUDGE_ENVIRONMENT.to_string());
        generation.metadata = Some(json!({"connection": evaluator.connection, "responseSchema": call.schema}));
        if let Some(usage) = call.completion.usage {
            generation.usage.details = Some(json!({"input": usage.input, "output": usage.output, "total": usage.total}));
        }
        if let Err(why) = parsed {
            generation.level = Some(loupe_domain::ObservationLevel::Error);
            generation.status_message = Some(why.clone());
        }
        generation
    }

    /// Ends the execution without a score (in a transaction of its own).
    async fn end(&self, status: ExecutionStatus, ending: &Ending) -> Result<(), JobError> {
        let mut tx = self.engine.pool.begin().await.map_err(JobError::from)?;
        store::finish_execution(&mut tx, self.project_id, self.id, self.job.id, status, ending).await?;
        tx.commit().await.map_err(JobError::from)?;
        Ok(())
    }
}

/// NUL cannot be stored in Postgres text or JSON; the model's text may hold one.
fn strip_nul(text: &str) -> String {
    text.replace('\0', "")
}

/// A provider problem in words, for the execution's error.
fn describe(problem: &ProviderProblem) -> String {
    match problem {
        ProviderProblem::BadKey { message } => format!("the LLM connection's key was refused: {message}"),
        ProviderProblem::UnknownModel { message } => format!("the model is unknown to the provider: {message}"),
        ProviderProblem::RateLimited { retry_after_seconds: Some(s), message } => format!("rate limited by the provider (retry after {s} s): {message}"),
        ProviderProblem::RateLimited { retry_after_seconds: None, message } => format!("rate limited by the provider: {message}"),
        ProviderProblem::ContentFilter { message } => format!("the provider's content filter refused the prompt: {message}"),
        ProviderProblem::Refused { status, message } => format!("the provider refused the request ({status}): {message}"),
        ProviderProblem::ProviderDown { status, message } => format!("the provider failed ({status}): {message}"),
        ProviderProblem::Timeout { seconds } => format!("the provider did not answer within {seconds} s"),
        ProviderProblem::MalformedStream { message } => format!("the provider's answer was malformed: {message}"),
        ProviderProblem::Unreachable { message } => format!("the provider could not be reached: {message}"),
        ProviderProblem::Busy { limit } => format!("too many calls at once ({limit})"),
        ProviderProblem::NoSuchConnection { name } => format!("the project has no LLM connection named {name:?}"),
        ProviderProblem::UnsupportedAdapter { adapter } => format!("evaluators cannot call {adapter} connections yet"),
    }
}
