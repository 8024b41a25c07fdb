//! The loop that claims and runs jobs in one process (see the module docs of `jobs`).

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::{backoff, queue, Job, JobError, Kind, Outcome};

#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// This process's name in `jobs.worker`: unique per process.
    pub worker: String,
    /// How often to look for due jobs when nothing finished meanwhile.
    pub poll: Duration,
    /// The first retry's wait (doubling after each failure).
    pub retry_base: Duration,
    /// How long [`Runner::stop`] lets running handlers finish.
    pub stop_grace: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        let suffix: u32 = rand::random();
        RunnerOptions {
            worker: format!("pid{}-{suffix:08x}", std::process::id()),
            poll: Duration::from_secs(1),
            retry_base: Duration::from_secs(10),
            stop_grace: Duration::from_secs(10),
        }
    }
}

/// Runs the jobs of its kinds until stopped.
pub struct Runner {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Runner {
    pub fn start(pool: PgPool, kinds: Vec<Kind>, options: RunnerOptions) -> Runner {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(pool, kinds, options, stopped));
        Runner { stop, task }
    }

    /// Stops claiming, lets running handlers finish within the grace period, cuts off the rest
    /// and hands their jobs back.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Stops at once, as if the process died: nothing is handed back, leases just end. (Tests.)
    pub fn abort(self) {
        self.task.abort();
    }
}

struct Running {
    id: i64,
    kind: &'static str,
}

async fn run(pool: PgPool, kinds: Vec<Kind>, options: RunnerOptions, mut stopped: watch::Receiver<bool>) {
    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, Running> = HashMap::new();
    let mut busy: HashMap<&'static str, usize> = HashMap::new();
    tracing::debug!(worker = %options.worker, kinds = ?kinds.iter().map(|k| k.name).collect::<Vec<_>>(), "job runner started");
    loop {
        if let Err(error) = tick(&pool, &kinds, &options, &mut tasks, &mut running, &mut busy).await {
            tracing::warn!(%error, "the job runner could not reach the database; retrying");
        }
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tokio::time::sleep(options.poll) => {}
            Some(done) = tasks.join_next_with_id() => {
                let id = match &done { Ok((id, ())) => *id, Err(e) => e.id() };
                finished(&mut running, &mut busy, id);
            }
        }
        // Collect whatever else finished meanwhile.
        while let Some(done) = tasks.try_join_next_with_id() {
            let id = match &done { Ok((id, ())) => *id, Err(e) => e.id() };
            finished(&mut running, &mut busy, id);
        }
    }
    // Stopping: let handlers finish, then cut off the rest and hand their jobs back.
    let deadline = tokio::time::Instant::now() + options.stop_grace;
    while !tasks.is_empty() {
        match tokio::time::timeout_at(deadline, tasks.join_next_with_id()).await {
            Ok(Some(done)) => {
                let id = match &done { Ok((id, ())) => *id, Err(e) => e.id() };
                finished(&mut running, &mut busy, id);
            }
            Ok(None) => break,
            Err(_) => {
                tasks.abort_all();
                let ids: Vec<i64> = running.values().map(|r| r.id).collect();
                match queue::release(&pool, &ids, &options.worker).await {
                    Ok(released) => tracing::info!(jobs = released, "stopped running jobs and handed them back"),
                    Err(error) => tracing::warn!(%error, "could not hand back running jobs; they are claimed again when their lease ends"),
                }
                break;
            }
        }
    }
    tracing::debug!(worker = %options.worker, "job runner stopped");
}

fn finished(running: &mut HashMap<tokio::task::Id, Running>, busy: &mut HashMap<&'static str, usize>, id: tokio::task::Id) {
    if let Some(done) = running.remove(&id) {
        if let Some(count) = busy.get_mut(done.kind) {
            *count = count.saturating_sub(1);
        }
    }
}

/// One look at the queue: fail abandoned last attempts, queue due periodic runs, claim what the
/// free slots allow and start it.
async fn tick(
    pool: &PgPool,
    kinds: &[Kind],
    options: &RunnerOptions,
    tasks: &mut JoinSet<()>,
    running: &mut HashMap<tokio::task::Id, Running>,
    busy: &mut HashMap<&'static str, usize>,
) -> Result<(), crate::store::StoreError> {
    let failed = queue::fail_abandoned(pool).await?;
    if failed > 0 {
        tracing::warn!(jobs = failed, "jobs failed: their worker stopped during the last attempt");
    }
    for kind in kinds {
        if let Some(every) = kind.every {
            queue::enqueue_if_due(pool, kind.name, every, kind.max_attempts).await?;
        }
        let free = kind.concurrency.saturating_sub(busy.get(kind.name).copied().unwrap_or(0));
        if free == 0 {
            continue;
        }
        for job in queue::claim(pool, kind.name, free, &options.worker, kind.lease).await? {
            let id = job.id;
            let handle = tasks.spawn(execute(pool.clone(), kind.clone(), job, options.clone()));
            running.insert(handle.id(), Running { id, kind: kind.name });
            *busy.entry(kind.name).or_default() += 1;
        }
    }
    Ok(())
}

/// Runs one claimed job, extending its lease every third of it, and records the outcome.
async fn execute(pool: PgPool, kind: Kind, job: Job, options: RunnerOptions) {
    let (id, attempt) = (job.id, job.attempts);
    let work = AssertUnwindSafe((kind.handler)(job)).catch_unwind();
    tokio::pin!(work);
    let mut beat = tokio::time::interval(kind.lease / 3);
    beat.tick().await; // the first tick is immediate; the claim just set the lease
    let result = loop {
        tokio::select! {
            result = &mut work => break result.unwrap_or_else(|_| Err(JobError::new("the handler panicked"))),
            _ = beat.tick() => match queue::extend(&pool, id, &options.worker, kind.lease).await {
                Ok(true) => {}
                Ok(false) => {
                    // Another worker holds it now (this one was too slow to extend): its result
                    // would not count, so stop here.
                    tracing::warn!(job = id, kind = kind.name, "lost the lease of a running job; leaving it to its new worker");
                    return;
                }
                Err(error) => tracing::warn!(%error, job = id, "could not extend a job's lease"),
            },
        }
    };
    let recorded = match &result {
        Ok(Outcome::Done) => queue::succeed(&pool, id, &options.worker).await,
        Ok(Outcome::Again) => queue::again(&pool, id, &options.worker).await,
        Err(error) => {
            let retry_at = (attempt < kind.max_attempts).then(|| {
                error.retry_at.unwrap_or_else(|| chrono::Utc::now() + chrono::Duration::from_std(backoff(options.retry_base, attempt)).unwrap_or_default())
            });
            match retry_at {
                Some(at) => tracing::info!(job = id, kind = kind.name, attempt, %error, retry_at = %at, "job failed; will retry"),
                None => tracing::error!(job = id, kind = kind.name, attempt, %error, "job failed for good"),
            }
            queue::fail(&pool, id, &options.worker, &error.message, retry_at).await
        }
    };
    if let Err(error) = recorded {
        tracing::warn!(%error, job = id, "could not record a job's outcome; it runs again when its lease ends");
    }
}
