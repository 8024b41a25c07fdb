//! LLM-as-judge evaluators (#21): finding what to evaluate, asking the judge, writing its score.
//!
//! - [`schedule`] — the periodic job `evaluation.schedule` (every 2 s, one run at a time across
//!   replicas). For each active evaluator it scans the targets created since its cursor (traces,
//!   observations or dataset run items, by `created_at`), applies the filter, the loop guard and
//!   the sampling in SQL, and in one transaction creates an execution per new target with its
//!   `evaluation.execute` job and moves the cursor. Nothing runs in the ingestion path.
//! - [`execute`] — the job `evaluation.execute`, one per execution: resolve the variables
//!   ([`mapping`]), compile the prompt, call the judge with the output definition's JSON schema
//!   (at most [`EvaluationOptions::per_connection`] calls at once per LLM connection in a
//!   process), check the answer, then write the judge's trace, the score(s) and the execution's
//!   final state in one transaction. Rate limits and provider outages are retried at the
//!   provider's `retry-after` hint (else with backoff); anything else ends the execution as an
//!   error naming its cause, never with a made-up score.
//! - [`backfill`] — "run on existing targets": a count first, then the job `evaluation.backfill`
//!   creating executions page by page, with its progress in `evaluation_backfills`.
//!
//! Exactly once: an execution's id derives from (evaluator, target) and is unique, so a target is
//! evaluated once per evaluator however often it is scanned; its score ids derive from the
//! execution id (Langfuse's UUIDv5 scheme), so a re-run after a crash rewrites the same score; and
//! only the job recorded on the execution may work on it (see `store::evaluators`). Jobs are
//! claimed with `FOR UPDATE SKIP LOCKED`, so any number of replicas share the work.

pub mod backfill;
pub mod execute;
pub mod mapping;
pub mod schedule;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::sync::Semaphore;

use crate::pricing::Pricing;
use crate::secrets::SecretBox;

/// The periodic scan for new targets.
pub const SCHEDULE_JOB: &str = "evaluation.schedule";
/// One execution.
pub const EXECUTE_JOB: &str = "evaluation.execute";
/// A backfill's steps.
pub const BACKFILL_JOB: &str = "evaluation.backfill";
/// Runs of one execution's job: retries of rate limits and outages included.
pub const EXECUTE_ATTEMPTS: i32 = 8;

/// How evaluation runs in this process.
#[derive(Debug, Clone)]
pub struct EvaluationOptions {
    /// Judge calls at once per LLM connection (project and connection name) in this process.
    pub per_connection: usize,
    /// Executions handled at once in this process (all connections together).
    pub workers: usize,
    /// How often new targets are looked for.
    pub scan_every: Duration,
    /// Targets per scan step (per evaluator; a full step runs again at once).
    pub scan_page: i64,
    /// How long the judge may stay silent before the call is cut off (and retried).
    pub idle_timeout: Duration,
    /// The longest an open transaction may hold the scan back (see `store::evaluators::horizon`).
    pub max_lag: Duration,
    /// An execution job's lease: how soon another replica takes over an execution whose process
    /// died (the running process extends it every third).
    pub lease: Duration,
}

impl Default for EvaluationOptions {
    fn default() -> Self {
        EvaluationOptions {
            per_connection: 16,
            workers: 64,
            scan_every: Duration::from_secs(2),
            scan_page: 1_000,
            idle_timeout: Duration::from_secs(60),
            max_lag: Duration::from_secs(60),
            lease: Duration::from_secs(60),
        }
    }
}

/// What the evaluation jobs share in one process.
pub struct Engine {
    pub(crate) pool: PgPool,
    pub(crate) pricing: Pricing,
    pub(crate) secrets: Option<SecretBox>,
    pub(crate) client: Option<genai::Client>,
    pub(crate) options: EvaluationOptions,
    slots: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Engine {
    pub fn new(pool: PgPool, secrets: Option<SecretBox>, options: EvaluationOptions) -> Arc<Engine> {
        let client = crate::playground::client().map_err(|problem| tracing::error!(?problem, "no LLM client: evaluations will fail")).ok();
        Arc::new(Engine { pricing: Pricing::new(pool.clone()), pool, secrets, client, options, slots: Mutex::new(HashMap::new()) })
    }

    /// A slot for one judge call on this connection: waits while `per_connection` are running.
    pub(crate) async fn slot(&self, project_id: &str, connection: &str) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let semaphore = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if slots.len() > 1_000 {
                // Forget idle connections' semaphores now and then (nobody holds a permit).
                let limit = self.options.per_connection;
                slots.retain(|_, s| s.available_permits() < limit);
            }
            let key = format!("{project_id}\0{connection}");
            slots.entry(key).or_insert_with(|| Arc::new(Semaphore::new(self.options.per_connection))).clone()
        };
        semaphore.acquire_owned().await.ok()
    }
}

/// The job kinds of evaluation, to register with the process's runner.
pub fn kinds(engine: &Arc<Engine>) -> Vec<crate::jobs::Kind> {
    vec![schedule::kind(engine), execute::kind(engine), backfill::kind(engine)]
}

/// Pauses or resumes an evaluator (in the caller's transaction, with its audit entry); the
/// evaluator after the change, `None` when the project has no such evaluator. Pausing stops the
/// scan (under the evaluator's row lock, so no scan is half done) and leaves waiting executions
/// and backfills where they are; resuming gives each waiting execution and running backfill a
/// new job, and the scan continues from its cursor: targets that arrived meanwhile are evaluated.
pub async fn set_status(
    conn: &mut sqlx::PgConnection,
    project_id: &crate::scope::ProjectId,
    evaluator_id: &str,
    status: loupe_domain::evaluators::EvaluatorStatus,
) -> Result<Option<loupe_domain::evaluators::Evaluator>, crate::store::StoreError> {
    use loupe_domain::evaluators::EvaluatorStatus;
    let Some(mut evaluator) = crate::store::evaluators::set_status(conn, project_id, evaluator_id, status).await? else { return Ok(None) };
    if evaluator.status == EvaluatorStatus::Paused && status == EvaluatorStatus::Active {
        crate::store::evaluators::requeue_waiting(conn, project_id, evaluator_id, EXECUTE_JOB, EXECUTE_ATTEMPTS).await?;
        for backfill_id in crate::store::evaluators::running_backfills(conn, project_id, evaluator_id).await? {
            backfill::enqueue(conn, project_id, &backfill_id).await?;
        }
    }
    evaluator.status = status;
    Ok(Some(evaluator))
}

/// Whether the target with this id is in a `rate` sample: Langfuse's deterministic sampling,
/// `top53bits(sha256("langfuse:evaluation-sampling:v1\0" + id)) / 2^53 < rate`. The scans apply
/// the same test in SQL (`store::evaluators`); a test holds the two equal.
pub fn sampled(target_id: &str, rate: f64) -> bool {
    let mut hash = Sha256::new();
    hash.update(b"langfuse:evaluation-sampling:v1\0");
    hash.update(target_id.as_bytes());
    let digest = hash.finalize();
    let mut top = [0u8; 8];
    top.copy_from_slice(&digest[..8]);
    let u = (u64::from_be_bytes(top) >> 11) as f64 / (1u64 << 53) as f64;
    u < rate
}

/// Langfuse's namespace for evaluation score ids (`evalScoreIds.ts`).
const SCORE_NAMESPACE: uuid::Uuid = uuid::uuid!("52b93de0-1d6c-4fb3-9f65-e5173184b1cb");

/// An execution's id: the same for the same evaluator and target, every time.
pub fn execution_id(evaluator_id: &str, target_key: &str) -> String {
    let name = serde_json::json!(["eval-execution", evaluator_id, target_key]).to_string();
    uuid::Uuid::new_v5(&SCORE_NAMESPACE, name.as_bytes()).to_string()
}

/// The id of the `occurrence`-th score (from 0; several for multiple categories) an execution
/// writes: Langfuse's `UUIDv5(namespace, JSON ["eval-score", executionId, scoreName, index])`.
pub fn score_id(execution_id: &str, score_name: &str, occurrence: usize) -> String {
    let name = serde_json::json!(["eval-score", execution_id, score_name, occurrence]).to_string();
    uuid::Uuid::new_v5(&SCORE_NAMESPACE, name.as_bytes()).to_string()
}

/// The judge's trace id: Langfuse's `hex(sha256(executionId))[0:32]`.
pub fn judge_trace_id(execution_id: &str) -> String {
    hex::encode(Sha256::digest(execution_id.as_bytes()))[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_and_distinct() {
        let e = execution_id("ev1", "trace-1");
        assert_eq!(e, execution_id("ev1", "trace-1"));
        assert_ne!(e, execution_id("ev1", "trace-2"));
        assert_ne!(e, execution_id("ev2", "trace-1"));
        assert_ne!(score_id(&e, "quality", 0), score_id(&e, "quality", 1));
        assert_eq!(score_id(&e, "quality", 0), score_id(&e, "quality", 0));
        assert_eq!(judge_trace_id("x").len(), 32);
        // The JSON array keeps ("a,b","c") and ("a","b,c") apart.
        assert_ne!(execution_id("a\",\"b", "c"), execution_id("a", "b\",\"c"));
    }

    #[test]
    fn sampling_is_deterministic_and_proportional() {
        assert!(sampled("anything", 1.0));
        assert!(!sampled("anything", 0.0));
        let picked = (0..10_000).filter(|i| sampled(&format!("trace-{i}"), 0.5)).count();
        assert!((4_700..=5_300).contains(&picked), "{picked}");
        for i in 0..100 {
            let id = format!("t{i}");
            assert_eq!(sampled(&id, 0.3), sampled(&id, 0.3));
            // A larger sample contains a smaller one.
            assert!(!sampled(&id, 0.3) || sampled(&id, 0.6));
        }
    }
}
