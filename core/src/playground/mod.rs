//! Running one playground variant (#18): the provider call streamed as [`RunEvent`]s, cut off
//! when the provider goes quiet, limited per project, and recorded as a trace of the project
//! (environment `playground`) with a generation priced from the project's price table.
//!
//! A run is a task of its own that sends its events into a channel. The reader (the HTTP
//! response) going away is the Stop button: the task sees the channel close, drops the provider
//! call (which closes its connection, so the provider stops generating) and records what arrived
//! as a stopped generation.

pub mod provider;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use genai::chat::ChatStreamEvent;
use loupe_domain::playground::{CheckedRun, ProviderProblem, RunEvent, RunUsage, ToolCall};
use loupe_domain::{ObservationLevel, ObservationType};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use crate::ingest::model::{IngestBatch, ObservationPatch, TracePatch};
use crate::pricing::Pricing;
use crate::scope::ProjectId;
use crate::store::llm_connections::Credentials;

/// The environment playground runs are recorded in.
pub const ENVIRONMENT: &str = "playground";

#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    /// Runs one project may have going at once (all its people together).
    pub per_project: usize,
    /// How long the provider may stay silent (before its first byte, or between two events)
    /// before the run is cut off.
    pub idle_timeout: Duration,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits { per_project: 8, idle_timeout: Duration::from_secs(60) }
    }
}

/// Who runs, for the recorded trace.
#[derive(Debug, Clone)]
pub struct Runner {
    pub project_id: ProjectId,
    /// The person's account id (the trace's `userId`, so "my playground spend" is a filter).
    pub user_id: String,
}

/// Runs variants; one per process, shared by every request.
pub struct Playground {
    pool: PgPool,
    pricing: Pricing,
    http: reqwest13::Client,
    limits: RunLimits,
    running: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Playground {
    pub fn new(pool: PgPool, limits: RunLimits) -> Playground {
        // reqwest is built without a default TLS provider (see Cargo.toml); install the ring
        // one the rest of the server uses. A second install is refused and harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest13::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Providers' keys must not follow a redirect to another host.
            .redirect(reqwest13::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Playground { pricing: Pricing::new(pool.clone()), pool, http, limits, running: Mutex::new(HashMap::new()) }
    }

    pub fn limits(&self) -> RunLimits {
        self.limits
    }

    /// A slot for one more run of the project, or `None` when it has `per_project` going.
    fn admit(&self, project_id: &ProjectId) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            // Forget idle projects' semaphores now and then (nobody holds a permit of theirs).
            if running.len() > 1_000 {
                let limit = self.limits.per_project;
                running.retain(|_, s| s.available_permits() < limit);
            }
            running.entry(project_id.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_project))).clone()
        };
        semaphore.try_acquire_owned().ok()
    }

    /// Starts a run; its events arrive on the returned channel, the last one `Done` or `Failed`.
    /// Dropping the receiver stops it.
    pub fn start(self: &Arc<Self>, runner: Runner, credentials: Option<Credentials>, connection: &str, run: CheckedRun) -> mpsc::Receiver<RunEvent> {
        let (events, receiver) = mpsc::channel(64);
        let failed = |problem| RunEvent::Failed { trace_id: None, problem };
        let early = match credentials {
            None => Err(failed(ProviderProblem::NoSuchConnection { name: connection.to_string() })),
            Some(credentials) => match provider::target(&credentials, &run.variant.model) {
                Err(problem) => Err(failed(problem)),
                Ok(spec) => match self.admit(&runner.project_id) {
                    None => Err(failed(ProviderProblem::Busy { limit: self.limits.per_project })),
                    Some(permit) => Ok((credentials, spec, permit)),
                },
            },
        };
        match early {
            Err(event) => {
                let _ = events.try_send(event);
            }
            Ok((credentials, spec, permit)) => {
                let this = Arc::clone(self);
                tokio::spawn(async move {
                    this.run(runner, credentials, spec, run, events).await;
                    drop(permit);
                });
            }
        }
        receiver
    }

    async fn run(&self, runner: Runner, credentials: Credentials, spec: genai::ModelSpec, run: CheckedRun, events: mpsc::Sender<RunEvent>) {
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        let started_at = Utc::now();
        let clock = Instant::now();
        if events.send(RunEvent::Started { trace_id: trace_id.clone() }).await.is_err() {
            return;
        }
        let client = genai::Client::builder().with_reqwest(self.http.clone()).build();
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                let problem = ProviderProblem::MalformedStream { message: e.to_string() };
                let _ = events.send(RunEvent::Failed { trace_id: None, problem }).await;
                return;
            }
        };
        let options = provider::options(&run, &credentials);
        let mut answer = Answer::default();
        let idle = self.limits.idle_timeout;
        let outcome = tokio::select! {
            outcome = stream(&client, spec, provider::request(&run), &options, idle, clock, &mut answer, &events) => outcome,
            _ = events.closed() => Outcome::Stopped,
        };
        let ended_at = Utc::now();
        let total_ms = clock.elapsed().as_millis() as u64;
        let recorded = Recording { runner: &runner, run: &run, trace_id: &trace_id, started_at, ended_at, answer: &answer, outcome: &outcome };
        let cost = match self.record(&recorded).await {
            Ok(cost) => cost,
            Err(e) => {
                // The answer is still shown; the person loses only its trace.
                tracing::error!(error = %e, "a playground run could not be recorded");
                None
            }
        };
        let last = match outcome {
            Outcome::Completed => RunEvent::Done {
                trace_id,
                ttft_ms: answer.first_token.map(|d| d.as_millis() as u64),
                total_ms,
                usage: answer.usage,
                cost,
            },
            Outcome::Failed(problem) => RunEvent::Failed { trace_id: Some(trace_id), problem },
            Outcome::Stopped => return,
        };
        let _ = events.send(last).await;
    }

    /// Stores the run's trace and generation; the generation's cost.
    async fn record(&self, r: &Recording<'_>) -> Result<Option<f64>, sqlx::Error> {
        let generation_id = format!("{}-generation", r.trace_id);
        let input = json!(r.run.messages);
        let output = r.answer.output();
        let mut trace = TracePatch::new(r.trace_id);
        trace.timestamp = Some(r.started_at);
        trace.name = Some(match &r.run.prompt {
            Some(p) => format!("playground · {}", p.name),
            None => "playground".to_string(),
        });
        trace.user_id = Some(r.runner.user_id.clone());
        trace.input = Some(input.clone());
        trace.output = Some(output.clone());
        trace.environment = Some(ENVIRONMENT.to_string());
        trace.tags = vec!["playground".to_string()];
        trace.metadata = Some(json!({"connection": r.run.variant.connection}));
        let mut generation = ObservationPatch::new(generation_id.clone(), r.trace_id, ObservationType::Generation);
        generation.name = Some(r.run.variant.model.clone());
        generation.start_time = Some(r.started_at);
        generation.end_time = Some(r.ended_at);
        generation.completion_start_time = r.answer.first_token.and_then(|d| chrono::Duration::from_std(d).ok()).map(|d| r.started_at + d);
        generation.model = Some(r.run.variant.model.clone());
        generation.model_parameters = Some(r.run.variant.params.to_json());
        generation.input = Some(input);
        generation.output = Some(output);
        generation.environment = Some(ENVIRONMENT.to_string());
        let mut metadata = json!({"connection": r.run.variant.connection});
        if !r.run.tools.is_empty() {
            metadata["tools"] = json!(r.run.tools);
        }
        if let Some(schema) = &r.run.response_schema {
            metadata["responseSchema"] = schema.clone();
        }
        generation.metadata = Some(metadata);
        if let Some(usage) = r.answer.usage {
            generation.usage.details = Some(json!({"input": usage.input, "output": usage.output, "total": usage.total}));
        }
        if let Some(prompt) = &r.run.prompt {
            generation.prompt_name = Some(prompt.name.clone());
            generation.prompt_version = Some(prompt.version);
        }
        match r.outcome {
            Outcome::Completed => {}
            Outcome::Stopped => {
                generation.level = Some(ObservationLevel::Warning);
                generation.status_message = Some("stopped in the playground".into());
            }
            Outcome::Failed(problem) => {
                generation.level = Some(ObservationLevel::Error);
                generation.status_message = Some(serde_json::to_string(problem).unwrap_or_default());
            }
        }
        let batch = IngestBatch { traces: vec![trace], observations: vec![generation], ..IngestBatch::default() };
        let stored = crate::ingest::store(&self.pool, &self.pricing, &r.runner.project_id, batch).await?;
        crate::limits::note_written(&self.pool, &r.runner.project_id, &stored.summary);
        if let Some(unstored) = stored.unstored.first() {
            tracing::error!(message = %unstored.message, "a playground run was refused by the database");
            return Ok(None);
        }
        sqlx::query_scalar("SELECT total_cost FROM observations WHERE project_id = $1 AND id = $2")
            .bind(&r.runner.project_id)
            .bind(&generation_id)
            .fetch_optional(&self.pool)
            .await
            .map(Option::flatten)
    }
}

/// "Test connection": one tiny call with `model`; `Ok` when the provider answered. Not recorded
/// as a trace (it tests the credentials, not a prompt).
pub async fn test_connection(credentials: &Credentials, model: &str, timeout: Duration) -> Result<(), ProviderProblem> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let spec = provider::target(credentials, model)?;
    let run = CheckedRun {
        messages: vec![loupe_domain::playground::Message::new(loupe_domain::playground::Role::User, "Reply with the word OK.")],
        tools: Vec::new(),
        response_schema: None,
        variant: loupe_domain::playground::Variant {
            connection: credentials.connection.provider.clone(),
            model: model.to_string(),
            params: loupe_domain::playground::ModelParams { max_tokens: Some(5), ..Default::default() },
        },
        prompt: None,
    };
    let http = reqwest13::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest13::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let client = genai::Client::builder()
        .with_reqwest(http)
        .build()
        .map_err(|e| ProviderProblem::MalformedStream { message: e.to_string() })?;
    // The answer's events are not needed; a channel large enough for five tokens takes them.
    let (events, _kept) = mpsc::channel(256);
    let mut answer = Answer::default();
    let options = provider::options(&run, credentials);
    match stream(&client, spec, provider::request(&run), &options, timeout, Instant::now(), &mut answer, &events).await {
        Outcome::Completed | Outcome::Stopped => Ok(()),
        Outcome::Failed(problem) => Err(problem),
    }
}

/// A provider client as the playground builds its own (connect timeout, no redirects: a key must
/// not follow a redirect to another host), for server-side callers such as the evaluators' judge.
pub fn client() -> Result<genai::Client, ProviderProblem> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest13::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest13::redirect::Policy::none())
        .build()
        .map_err(|e| ProviderProblem::MalformedStream { message: e.to_string() })?;
    genai::Client::builder().with_reqwest(http).build().map_err(|e| ProviderProblem::MalformedStream { message: e.to_string() })
}

/// What [`complete`] collected.
#[derive(Debug, Clone)]
pub struct Completion {
    pub text: String,
    pub usage: Option<RunUsage>,
    pub first_token: Option<Duration>,
}

/// One whole answer, collected from the same streamed call the playground makes (so every
/// adapter, the response schema and the error mapping are the playground's): for callers that
/// need the text, not the events. `idle` cuts off a provider that stays silent that long.
pub async fn complete(client: &genai::Client, credentials: &Credentials, run: &CheckedRun, idle: Duration) -> Result<Completion, ProviderProblem> {
    let spec = provider::target(credentials, &run.variant.model)?;
    let options = provider::options(run, credentials);
    // The stream reports deltas into a channel; nobody reads them here, so drain it.
    let (events, mut drained) = mpsc::channel(64);
    let drain = tokio::spawn(async move { while drained.recv().await.is_some() {} });
    let mut answer = Answer::default();
    let outcome = stream(client, spec, provider::request(run), &options, idle, Instant::now(), &mut answer, &events).await;
    drop(events);
    let _ = drain.await;
    match outcome {
        Outcome::Completed => Ok(Completion { text: answer.text, usage: answer.usage, first_token: answer.first_token }),
        Outcome::Failed(problem) => Err(problem),
        // The drain keeps the channel open, so only the provider ends a call.
        Outcome::Stopped => Err(ProviderProblem::MalformedStream { message: "the answer stopped before its end".into() }),
    }
}

struct Recording<'a> {
    runner: &'a Runner,
    run: &'a CheckedRun,
    trace_id: &'a str,
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
    answer: &'a Answer,
    outcome: &'a Outcome,
}

enum Outcome {
    Completed,
    Failed(ProviderProblem),
    Stopped,
}

/// What arrived.
#[derive(Default)]
struct Answer {
    text: String,
    tool_calls: Vec<ToolCall>,
    first_token: Option<Duration>,
    usage: Option<RunUsage>,
}

impl Answer {
    /// The generation's output: the text, or an assistant message with its tool calls.
    fn output(&self) -> Value {
        if self.tool_calls.is_empty() {
            return Value::String(self.text.clone());
        }
        json!({"role": "assistant", "content": self.text, "tool_calls": self.tool_calls})
    }
}

/// Streams the provider's answer into `events` until it ends, fails, or stays silent `idle`.
#[allow(clippy::too_many_arguments)]
async fn stream(
    client: &genai::Client,
    spec: genai::ModelSpec,
    request: genai::chat::ChatRequest,
    options: &genai::chat::ChatOptions,
    idle: Duration,
    clock: Instant,
    answer: &mut Answer,
    events: &mpsc::Sender<RunEvent>,
) -> Outcome {
    let timeout = || Outcome::Failed(ProviderProblem::Timeout { seconds: idle.as_secs() });
    let response = match tokio::time::timeout(idle, client.exec_chat_stream(spec, request, Some(options))).await {
        Err(_) => return timeout(),
        Ok(Err(e)) => return Outcome::Failed(timed(provider::problem(&e), idle)),
        Ok(Ok(response)) => response,
    };
    let mut stream = response.stream;
    loop {
        let event = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => return timeout(),
            // The stream ended without its end event: the connection broke off.
            Ok(None) => {
                return Outcome::Failed(ProviderProblem::MalformedStream { message: "the answer broke off before its end".into() })
            }
            Ok(Some(Err(e))) => return Outcome::Failed(timed(provider::problem(&e), idle)),
            Ok(Some(Ok(event))) => event,
        };
        match event {
            ChatStreamEvent::Chunk(chunk) if !chunk.content.is_empty() => {
                answer.first_token.get_or_insert_with(|| clock.elapsed());
                answer.text.push_str(&chunk.content);
                if events.send(RunEvent::Delta { text: chunk.content }).await.is_err() {
                    return Outcome::Stopped;
                }
            }
            ChatStreamEvent::ToolCallChunk(_) => {
                answer.first_token.get_or_insert_with(|| clock.elapsed());
            }
            ChatStreamEvent::End(end) => {
                if let Some(usage) = &end.captured_usage {
                    let input = usage.prompt_tokens.unwrap_or(0) as i64;
                    let output = usage.completion_tokens.unwrap_or(0) as i64;
                    answer.usage = Some(RunUsage { input, output, total: usage.total_tokens.map(i64::from).unwrap_or(input + output) });
                }
                let calls: Vec<ToolCall> = end
                    .captured_tool_calls()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|call| ToolCall {
                        id: call.call_id.clone(),
                        name: call.fn_name.clone(),
                        arguments: match &call.fn_arguments {
                            Value::String(text) => text.clone(),
                            other => other.to_string(),
                        },
                    })
                    .collect();
                for call in calls {
                    answer.tool_calls.push(call.clone());
                    if events.send(RunEvent::ToolCall { call }).await.is_err() {
                        return Outcome::Stopped;
                    }
                }
                if let Some(genai::chat::StopReason::ContentFilter(reason)) = &end.captured_stop_reason {
                    return Outcome::Failed(ProviderProblem::ContentFilter { message: reason.clone() });
                }
                return Outcome::Completed;
            }
            _ => {}
        }
    }
}

/// A transport timeout carries no duration; it was the idle limit.
fn timed(problem: ProviderProblem, idle: Duration) -> ProviderProblem {
    match problem {
        ProviderProblem::Timeout { .. } => ProviderProblem::Timeout { seconds: idle.as_secs() },
        other => other,
    }
}
