//! The job runner (`loupe_core::jobs`) against a real Postgres: two runners (each with its own
//! connection pool, as two processes have) never run the same job; a job whose worker died is
//! run again after its lease; retries stop at the limit; periodic kinds run once per period;
//! stopping hands running jobs back.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use loupe_core::jobs::{queue, JobError, JobState, Kind, Outcome, Runner, RunnerOptions};
use sqlx::PgPool;

fn options(worker: &str) -> RunnerOptions {
    RunnerOptions { worker: worker.into(), poll: Duration::from_millis(20), retry_base: Duration::from_millis(10), stop_grace: Duration::from_millis(200) }
}

/// A second pool on the same database, as another process would have.
async fn another_pool(pool: &PgPool) -> PgPool {
    let database: String = sqlx::query_scalar("SELECT current_database()").fetch_one(pool).await.unwrap();
    sqlx::postgres::PgPoolOptions::new().max_connections(5).connect_with(common::cluster_options(&database)).await.unwrap()
}

async fn wait_for(pool: &PgPool, what: &str, sql: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if sqlx::query_scalar::<_, bool>(sql).fetch_one(pool).await.unwrap() {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn job(pool: &PgPool, id: i64) -> (String, i32, Option<String>, Option<String>) {
    sqlx::query_as("SELECT state, attempts, worker, last_error FROM jobs WHERE id = $1").bind(id).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn two_runners_never_run_the_same_job() {
    let pool = common::fresh_database().await;
    sqlx::query("CREATE TABLE job_runs (n INTEGER NOT NULL, worker TEXT NOT NULL)").execute(&pool).await.unwrap();
    for n in 0..300 {
        queue::enqueue(&pool, "test.record", &serde_json::json!({ "n": n }), None, 5).await.unwrap();
    }
    let recorder = |pool: PgPool, worker: &'static str| {
        Kind::new("test.record", move |job| {
            let pool = pool.clone();
            async move {
                sqlx::query("INSERT INTO job_runs (n, worker) VALUES ($1, $2)").bind(job.payload["n"].as_i64().unwrap() as i32).bind(worker).execute(&pool).await?;
                tokio::time::sleep(Duration::from_millis(rand_ms())).await;
                Ok(Outcome::Done)
            }
        })
        .concurrency(4)
    };
    let other = another_pool(&pool).await;
    let a = Runner::start(pool.clone(), vec![recorder(pool.clone(), "a")], options("a"));
    let b = Runner::start(other.clone(), vec![recorder(other.clone(), "b")], options("b"));
    wait_for(&pool, "all 300 jobs to succeed", "SELECT count(*) = 300 FROM jobs WHERE state = 'succeeded'").await;
    a.stop().await;
    b.stop().await;
    let (runs, distinct): (i64, i64) = sqlx::query_as("SELECT count(*), count(DISTINCT n) FROM job_runs").fetch_one(&pool).await.unwrap();
    assert_eq!((runs, distinct), (300, 300), "every job ran exactly once");
    let per_worker: Vec<(String, i64)> = sqlx::query_as("SELECT worker, count(*) FROM job_runs GROUP BY worker ORDER BY worker").fetch_all(&pool).await.unwrap();
    assert_eq!(per_worker.len(), 2, "both runners took jobs: {per_worker:?}");
}

fn rand_ms() -> u64 {
    (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() % 5) as u64
}

#[tokio::test]
async fn a_dead_workers_job_runs_again_after_its_lease() {
    let pool = common::fresh_database().await;
    let id = queue::enqueue(&pool, "test.slow", &serde_json::json!({}), None, 5).await.unwrap().unwrap();
    // Worker a hangs in the handler, then "dies" (its task is aborted: no hand-back, no more
    // lease extensions).
    let hang = Kind::new("test.slow", |_| std::future::pending::<Result<Outcome, JobError>>()).lease(Duration::from_secs(1));
    let a = Runner::start(pool.clone(), vec![hang], options("a"));
    wait_for(&pool, "worker a to claim the job", "SELECT state = 'running' FROM jobs").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(job(&pool, id).await.0, "running", "a live worker keeps extending its lease past the first second");
    a.abort();
    let done = Kind::new("test.slow", |_| async { Ok(Outcome::Done) }).lease(Duration::from_secs(1));
    let b = Runner::start(pool.clone(), vec![done], options("b"));
    wait_for(&pool, "worker b to finish the job", "SELECT state = 'succeeded' FROM jobs").await;
    b.stop().await;
    let (_, attempts, worker, _) = job(&pool, id).await;
    assert_eq!((attempts, worker.as_deref()), (2, Some("b")));
}

#[tokio::test]
async fn retries_stop_at_the_limit_with_the_error_kept() {
    let pool = common::fresh_database().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let failing = {
        let calls = calls.clone();
        Kind::new("test.failing", move |_| {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Err::<Outcome, _>(JobError::new(format!("the provider said no ({n})"))) }
        })
        .max_attempts(3)
    };
    let id = queue::enqueue(&pool, "test.failing", &serde_json::json!({}), None, 3).await.unwrap().unwrap();
    let runner = Runner::start(pool.clone(), vec![failing], options("a"));
    wait_for(&pool, "the job to fail", "SELECT state = 'failed' FROM jobs").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    runner.stop().await;
    let (state, attempts, _, error) = job(&pool, id).await;
    assert_eq!((state.as_str(), attempts), ("failed", 3));
    assert_eq!(calls.load(Ordering::SeqCst), 3, "no run after the last attempt");
    assert_eq!(error.as_deref(), Some("the provider said no (3)"));
    let troubled = queue::troubled(&pool, 10).await.unwrap();
    assert_eq!(troubled.len(), 1);
    assert_eq!(troubled[0].state, JobState::Failed);
}

#[tokio::test]
async fn a_panicking_handler_is_a_failure_not_a_dead_runner() {
    let pool = common::fresh_database().await;
    let panics = Kind::new("test.panics", |_| async { panic!("bug") }).max_attempts(1);
    let fine = Kind::new("test.fine", |_| async { Ok(Outcome::Done) });
    queue::enqueue(&pool, "test.panics", &serde_json::json!({}), None, 1).await.unwrap();
    let runner = Runner::start(pool.clone(), vec![panics, fine], options("a"));
    wait_for(&pool, "the panicking job to fail", "SELECT state = 'failed' FROM jobs WHERE kind = 'test.panics'").await;
    queue::enqueue(&pool, "test.fine", &serde_json::json!({}), None, 1).await.unwrap();
    wait_for(&pool, "the runner to go on", "SELECT state = 'succeeded' FROM jobs WHERE kind = 'test.fine'").await;
    runner.stop().await;
    let error: String = sqlx::query_scalar("SELECT last_error FROM jobs WHERE kind = 'test.panics'").fetch_one(&pool).await.unwrap();
    assert!(error.contains("panicked"), "{error}");
}

#[tokio::test]
async fn a_periodic_kind_runs_once_per_period_and_again_runs_at_once() {
    let pool = common::fresh_database().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let periodic = {
        let calls = calls.clone();
        Kind::new("test.periodic", move |_| {
            // The first run says more work waits; the second is done.
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok(if n == 0 { Outcome::Again } else { Outcome::Done }) }
        })
        .every(Duration::from_secs(3600))
    };
    let a = Runner::start(pool.clone(), vec![periodic.clone()], options("a"));
    let b = Runner::start(another_pool(&pool).await, vec![periodic], options("b"));
    wait_for(&pool, "the second run", "SELECT count(*) = 1 FROM jobs WHERE state = 'succeeded'").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.stop().await;
    b.stop().await;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "Again ran it once more; then nothing until the period ends");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs").fetch_one(&pool).await.unwrap();
    assert_eq!(rows, 1, "two runners queued one run between them");
}

#[tokio::test]
async fn stopping_hands_running_jobs_back() {
    let pool = common::fresh_database().await;
    let id = queue::enqueue(&pool, "test.long", &serde_json::json!({}), None, 5).await.unwrap().unwrap();
    let long = Kind::new("test.long", |_| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(Outcome::Done)
    });
    let runner = Runner::start(pool.clone(), vec![long], options("a"));
    wait_for(&pool, "the claim", "SELECT state = 'running' FROM jobs").await;
    runner.stop().await;
    let (state, attempts, _, _) = job(&pool, id).await;
    assert_eq!((state.as_str(), attempts), ("queued", 0), "back in the queue, the cut-off run not counted");
}

/// The server's upkeep kinds, as `loupe` runs them: scheduled without anyone enqueuing them, and
/// a deleted project's data purged through `Again` runs.
#[tokio::test]
async fn the_upkeep_kinds_run_by_schedule() {
    let api = common::TestApi::new().await;
    let batch = serde_json::json!({"batch": [{"id": "e", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "doomed"}}]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);
    sqlx::query("UPDATE projects SET deleted_at = now() WHERE id = 'proj-a'").execute(&api.pool).await.unwrap();
    let media = loupe_server::media::MediaStore::new(tempfile::tempdir().unwrap().keep(), "a secret that is long enough for it");
    let kinds = loupe_server::maintenance::kinds(&api.pool, Some(Arc::new(media)));
    let names: Vec<&str> = kinds.iter().map(|k| k.name).collect();
    let runner = Runner::start(api.pool.clone(), kinds, options("a"));
    wait_for(&api.pool, "the project to be purged", "SELECT NOT EXISTS (SELECT 1 FROM projects WHERE id = 'proj-a')").await;
    for name in &names {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = '{name}' AND state = 'succeeded')");
        wait_for(&api.pool, name, &sql).await;
    }
    runner.stop().await;
    let traces: i64 = sqlx::query_scalar("SELECT count(*) FROM traces").fetch_one(&api.pool).await.unwrap();
    assert_eq!(traces, 0);
    let summary = queue::summary(&api.pool).await.unwrap();
    assert_eq!(summary.len(), names.len(), "{summary:?}");
    assert!(summary.iter().all(|s| s.failed == 0), "{summary:?}");
}
