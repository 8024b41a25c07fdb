//! The `jobs` table: every statement the runner and the admin view use. Each state change of a
//! running job names its worker, so a worker that lost its lease (and so the job) cannot finish
//! a job another worker now holds.

use std::time::Duration;

use chrono::{DateTime, Utc};
use loupe_domain::jobs::{Job, JobState, JobSummary};
use sqlx::PgPool;

use crate::store::StoreError;

const JOB_COLUMNS: &str = "id, kind, payload, state, attempts, max_attempts, run_at, last_error, created_at, finished_at";

fn job(row: &sqlx::postgres::PgRow) -> Result<Job, StoreError> {
    use sqlx::Row;
    Ok(Job {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        state: JobState::parse(row.try_get::<&str, _>("state")?),
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        run_at: row.try_get("run_at")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

fn interval(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// Queues a job, due now. With a `dedupe_key`, nothing is queued while an unfinished job of the
/// kind has that key: `None`.
pub async fn enqueue(pool: &PgPool, kind: &str, payload: &serde_json::Value, dedupe_key: Option<&str>, max_attempts: i32) -> Result<Option<i64>, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, dedupe_key, max_attempts) VALUES ($1, $2, $3, $4)
         ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running') DO NOTHING
         RETURNING id",
    )
    .bind(kind)
    .bind(payload)
    .bind(dedupe_key)
    .bind(max_attempts)
    .fetch_optional(pool)
    .await.map_err(StoreError::from)
}

/// Whether a job of `kind` with this dedupe key is queued or running (a request's "in progress").
pub async fn is_pending(pool: &PgPool, kind: &str, dedupe_key: &str) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND dedupe_key = $2 AND state IN ('queued', 'running'))")
        .bind(kind)
        .bind(dedupe_key)
        .fetch_one(pool)
        .await
        .map_err(StoreError::from)
}

/// Queues a job, due now, in the caller's transaction: it exists only if what it works on was
/// committed with it.
pub async fn enqueue_in(conn: &mut sqlx::PgConnection, kind: &str, payload: &serde_json::Value, max_attempts: i32) -> Result<i64, StoreError> {
    sqlx::query_scalar("INSERT INTO jobs (kind, payload, max_attempts) VALUES ($1, $2, $3) RETURNING id")
        .bind(kind)
        .bind(payload)
        .bind(max_attempts)
        .fetch_one(conn)
        .await
        .map_err(StoreError::from)
}

/// Queues one job per payload, each due at its `run_at`, in the caller's transaction; the ids in
/// the payloads' order. The payloads must be distinct (each names its own work): they pair the
/// returned ids with their payloads.
pub async fn enqueue_many_at(
    conn: &mut sqlx::PgConnection,
    kind: &str,
    payloads: &[serde_json::Value],
    run_at: &[DateTime<Utc>],
    max_attempts: i32,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "WITH given AS (SELECT * FROM unnest($2::jsonb[], $3::timestamptz[]) WITH ORDINALITY AS g(payload, run_at, n)),
              inserted AS (INSERT INTO jobs (kind, payload, run_at, max_attempts)
                           SELECT $1, payload, run_at, $4 FROM given ORDER BY n
                           RETURNING id, payload, run_at)
         SELECT i.id, g.n FROM inserted i JOIN given g ON g.payload = i.payload AND g.run_at = i.run_at ORDER BY g.n",
    )
    .bind(kind)
    .bind(payloads)
    .bind(run_at)
    .bind(max_attempts)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id, _)| id).collect())
}

/// Queues the next run of a periodic kind unless one is unfinished or the last finished less
/// than `every` ago; whether it queued one. Safe from several replicas at once (the unique index
/// keeps one unfinished run).
pub async fn enqueue_if_due(pool: &PgPool, kind: &str, every: Duration, max_attempts: i32) -> Result<bool, StoreError> {
    let queued = sqlx::query(
        "INSERT INTO jobs (kind, dedupe_key, max_attempts)
         SELECT $1, 'periodic', $3
         WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND state IN ('queued', 'running'))
           AND NOT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND finished_at > now() - make_interval(secs => $2))
         ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running') DO NOTHING",
    )
    .bind(kind)
    .bind(interval(every))
    .bind(max_attempts)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(queued > 0)
}

/// Jobs whose worker stopped extending the lease on their last attempt: failed, not run again.
pub async fn fail_abandoned(pool: &PgPool) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE jobs SET state = 'failed', finished_at = now(), updated_at = now(), lease_until = NULL,
                last_error = coalesce(last_error || E'\\n', '') || 'the worker stopped during the last attempt (its lease ended)'
         WHERE state = 'running' AND lease_until < now() AND attempts >= max_attempts",
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Claims up to `limit` due jobs of `kind` for `worker`: queued ones whose time has come, and
/// running ones whose lease ended (their worker died). Rows other workers are claiming are
/// skipped, not waited for.
pub async fn claim(pool: &PgPool, kind: &str, limit: usize, worker: &str, lease: Duration) -> Result<Vec<Job>, StoreError> {
    let rows = sqlx::query(&format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = $3, updated_at = now(),
                lease_until = now() + make_interval(secs => $4)
         WHERE id IN (
             SELECT id FROM jobs
             WHERE kind = $1
               AND ((state = 'queued' AND run_at <= now()) OR (state = 'running' AND lease_until < now() AND attempts < max_attempts))
             ORDER BY run_at, id
             LIMIT $2
             FOR UPDATE SKIP LOCKED)
         RETURNING {JOB_COLUMNS}"
    ))
    .bind(kind)
    .bind(limit as i64)
    .bind(worker)
    .bind(interval(lease))
    .fetch_all(pool)
    .await?;
    rows.iter().map(job).collect()
}

/// Extends `worker`'s lease; `false` when the job is no longer its own.
pub async fn extend(pool: &PgPool, id: i64, worker: &str, lease: Duration) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE jobs SET lease_until = now() + make_interval(secs => $3), updated_at = now()
         WHERE id = $1 AND worker = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(interval(lease))
    .execute(pool)
    .await?
    .rows_affected();
    Ok(updated > 0)
}

/// The run succeeded.
pub async fn succeed(pool: &PgPool, id: i64, worker: &str) -> Result<bool, StoreError> {
    finish(pool, id, worker, "state = 'succeeded', finished_at = now(), lease_until = NULL", None, None).await
}

/// The run succeeded and more is waiting: due again now, attempts reset.
pub async fn again(pool: &PgPool, id: i64, worker: &str) -> Result<bool, StoreError> {
    finish(pool, id, worker, "state = 'queued', attempts = 0, run_at = now(), lease_until = NULL, last_error = NULL", None, None).await
}

/// The run failed: queued again at `retry_at`, or `failed` for good when there is none.
pub async fn fail(pool: &PgPool, id: i64, worker: &str, error: &str, retry_at: Option<DateTime<Utc>>) -> Result<bool, StoreError> {
    match retry_at {
        Some(at) => finish(pool, id, worker, "state = 'queued', run_at = $4, lease_until = NULL, last_error = $3", Some(error), Some(at)).await,
        None => finish(pool, id, worker, "state = 'failed', finished_at = now(), lease_until = NULL, last_error = $3", Some(error), None).await,
    }
}

/// Hands jobs cut off by a stopping worker back at once: queued, due now, the interrupted run
/// not counted.
pub async fn release(pool: &PgPool, ids: &[i64], worker: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE jobs SET state = 'queued', run_at = now(), lease_until = NULL, attempts = greatest(attempts - 1, 0), updated_at = now()
         WHERE id = ANY($1) AND worker = $2 AND state = 'running'",
    )
    .bind(ids)
    .bind(worker)
    .execute(pool)
    .await?
    .rows_affected())
}

async fn finish(pool: &PgPool, id: i64, worker: &str, set: &str, error: Option<&str>, at: Option<DateTime<Utc>>) -> Result<bool, StoreError> {
    let updated = sqlx::query(&format!("UPDATE jobs SET {set}, updated_at = now() WHERE id = $1 AND worker = $2 AND state = 'running'"))
        .bind(id)
        .bind(worker)
        .bind(error)
        .bind(at)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(updated > 0)
}

/// Removes finished jobs older than `age` (the newest finished run of each kind stays: the
/// schedule of periodic kinds reads it).
pub async fn prune(pool: &PgPool, age: Duration) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "DELETE FROM jobs j WHERE finished_at < now() - make_interval(secs => $1)
           AND finished_at < (SELECT max(finished_at) FROM jobs k WHERE k.kind = j.kind)",
    )
    .bind(interval(age))
    .execute(pool)
    .await?
    .rows_affected())
}

pub async fn summary(pool: &PgPool) -> Result<Vec<JobSummary>, StoreError> {
    let rows: Vec<(String, i64, i64, i64, i64, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT kind,
                count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'running'),
                count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE state = 'failed'),
                max(finished_at)
         FROM jobs GROUP BY kind ORDER BY kind",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, queued, running, succeeded, failed, last_finished_at)| JobSummary { kind, queued, running, succeeded, failed, last_finished_at })
        .collect())
}

/// The most recent jobs that are not plain successes (running, waiting to retry, failed), newest
/// first: what an administrator looks at.
pub async fn troubled(pool: &PgPool, limit: i64) -> Result<Vec<Job>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs
         WHERE state = 'failed' OR state = 'running' OR (state = 'queued' AND attempts > 0)
         ORDER BY updated_at DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(job).collect()
}
