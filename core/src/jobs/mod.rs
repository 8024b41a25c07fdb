//! Background jobs in Postgres: work that must happen once, eventually, whichever replica does
//! it — and survive a replica dying halfway.
//!
//! - A job is a row of `jobs` (kind, JSON payload, state `queued` → `running` → `succeeded` or
//!   `failed`). [`queue`] holds all the SQL.
//! - A [`Runner`] claims due jobs of the kinds it knows with `FOR UPDATE SKIP LOCKED` (two
//!   replicas never claim the same row), at most [`Kind::concurrency`] at a time per kind in
//!   this process, and holds each by a lease it extends while the handler runs. A process that
//!   dies stops extending; once the lease ends any replica claims the job again.
//! - A failed run is retried after an exponential backoff with jitter, up to
//!   [`Kind::max_attempts`] runs; then the job is `failed` with its last error (shown in the
//!   admin view). A lease that ends on the last attempt fails the job the same way.
//! - A periodic kind ([`Kind::every`]) is enqueued by whichever runner sees it due: at most one
//!   unfinished job per kind (a unique index), and none until `every` after the last finished.
//! - [`Runner::stop`]: no new claims; running handlers get a grace period, then are cut off and
//!   their jobs released for another replica at once.
//!
//! Handlers must be idempotent: a job can run twice if a process dies after its handler's work
//! committed but before the job was marked done.

pub mod queue;
mod runner;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use loupe_domain::jobs::{Job, JobState, JobSummary};
pub use runner::{Runner, RunnerOptions};

/// What a handler's run came to, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// More of the same work is waiting (e.g. a purge that stopped after a batch): queue the job
    /// again, due now, with its attempts reset.
    Again,
}

/// Why a run failed; retried until the kind's attempts are spent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    pub message: String,
    /// When to retry instead of the backoff: a provider's `retry-after` hint. Still counts as
    /// an attempt.
    pub retry_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl JobError {
    pub fn new(message: impl std::fmt::Display) -> JobError {
        JobError { message: message.to_string(), retry_at: None }
    }

    /// Retry at `at` (if attempts are left) rather than after the kind's backoff.
    pub fn retry_at(mut self, at: chrono::DateTime<chrono::Utc>) -> JobError {
        self.retry_at = Some(at);
        self
    }
}

impl From<sqlx::Error> for JobError {
    fn from(error: sqlx::Error) -> JobError {
        JobError::new(error)
    }
}

impl From<crate::store::StoreError> for JobError {
    fn from(error: crate::store::StoreError) -> JobError {
        JobError::new(error)
    }
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Outcome, JobError>> + Send>>;
type Handler = Arc<dyn Fn(Job) -> HandlerFuture + Send + Sync>;

/// A kind of job and how it is run.
#[derive(Clone)]
pub struct Kind {
    pub name: &'static str,
    /// Handlers of this kind running at once in one process.
    pub concurrency: usize,
    /// Runs before the job is `failed`.
    pub max_attempts: i32,
    /// How long a claim holds without being extended (extended every third of it).
    pub lease: Duration,
    /// Enqueue a run this long after the last one finished (`None`: only when enqueued).
    pub every: Option<Duration>,
    handler: Handler,
}

impl Kind {
    /// A kind with one handler at a time, 5 attempts, a 60 s lease, not periodic.
    pub fn new<F, Fut>(name: &'static str, handler: F) -> Kind
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Outcome, JobError>> + Send + 'static,
    {
        Kind { name, concurrency: 1, max_attempts: 5, lease: Duration::from_secs(60), every: None, handler: Arc::new(move |job| Box::pin(handler(job))) }
    }

    pub fn concurrency(mut self, concurrency: usize) -> Kind {
        self.concurrency = concurrency.max(1);
        self
    }

    pub fn max_attempts(mut self, max_attempts: i32) -> Kind {
        self.max_attempts = max_attempts.max(1);
        self
    }

    pub fn lease(mut self, lease: Duration) -> Kind {
        self.lease = lease;
        self
    }

    pub fn every(mut self, every: Duration) -> Kind {
        self.every = Some(every);
        self
    }
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kind").field("name", &self.name).field("concurrency", &self.concurrency).field("every", &self.every).finish_non_exhaustive()
    }
}

/// The wait before retry `attempt` (1-based: after the first failure, 1): `base × 2^(attempt−1)`,
/// at most an hour, with ±20 % jitter so jobs that failed together do not retry together.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let exponent = attempt.saturating_sub(1).clamp(0, 20) as u32;
    let wait = base.saturating_mul(2u32.saturating_pow(exponent)).min(Duration::from_secs(3600));
    let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0.8..1.2);
    wait.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(10);
        for (attempt, expected) in [(1, 10.0), (2, 20.0), (3, 40.0), (12, 3600.0), (i32::MAX, 3600.0)] {
            let wait = backoff(base, attempt).as_secs_f64();
            assert!((expected * 0.8..=expected * 1.2).contains(&wait), "attempt {attempt}: {wait}");
        }
        assert!(backoff(base, 0) <= Duration::from_secs(12));
    }
}
