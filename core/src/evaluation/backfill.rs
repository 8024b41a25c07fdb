//! "Run on existing targets": [`count`] shows how many targets the evaluator's filter and sampling
//! pick today; [`start`] records a backfill over the targets created until now and enqueues its
//! job, in one transaction; the job `evaluation.backfill` creates their executions a page at a
//! time (`Again` until done), each page with its progress in one transaction. Targets that
//! already have an execution (found by the scheduler meanwhile) are not evaluated twice.
//!
//! One backfill at a time per evaluator. A paused evaluator's backfill stops where it is; resuming
//! enqueues it again. Past a refusing plan's quota (#22) a step fails the backfill naming the plan
//! (`crate::limits`); the server function refuses to start one.

use std::sync::Arc;

use serde_json::Value;

use super::{Engine, BACKFILL_JOB, EXECUTE_ATTEMPTS, EXECUTE_JOB};
use crate::jobs::{JobError, Kind, Outcome};
use crate::scope::ProjectId;
use crate::store::evaluators as store;
use crate::store::StoreError;
use loupe_domain::evaluators::{Backfill, BackfillCount, Evaluator};

/// Why a backfill was not started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("a backfill of this evaluator is already running")]
    AlreadyRunning,
    #[error("no evaluator {0:?} in this project")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Matching targets now, and how many of them the sampling picks.
pub async fn count(pool: &sqlx::PgPool, project_id: &ProjectId, evaluator: &Evaluator) -> Result<BackfillCount, StoreError> {
    let (matching, sampled) = store::count_existing(pool, project_id, evaluator).await?;
    Ok(BackfillCount { matching, sampled })
}

/// Starts a backfill of the evaluator over the targets that exist now.
pub async fn start(pool: &sqlx::PgPool, project_id: &ProjectId, evaluator_id: &str, created_by: &str) -> Result<Backfill, StartError> {
    let evaluator = store::get(pool, project_id, evaluator_id).await?.ok_or_else(|| StartError::NotFound(evaluator_id.to_string()))?;
    let counted = count(pool, project_id, &evaluator).await?;
    let mut tx = pool.begin().await.map_err(StoreError::from)?;
    // Serializes two starts of the same evaluator: the second sees the first's row.
    sqlx::query("SELECT 1 FROM evaluators WHERE project_id = $1 AND id = $2 FOR UPDATE")
        .bind(project_id)
        .bind(evaluator_id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    if store::running_backfill(&mut tx, project_id, evaluator_id).await?.is_some() {
        return Err(StartError::AlreadyRunning);
    }
    let id = store::create_backfill(&mut tx, project_id, evaluator_id, counted.sampled, created_by).await?;
    enqueue(&mut tx, project_id, &id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    store::backfill(pool, project_id, &id).await?.ok_or_else(|| StartError::NotFound(id.clone()))
}

/// Queues a step of the backfill (in the caller's transaction).
pub async fn enqueue(conn: &mut sqlx::PgConnection, project_id: &ProjectId, backfill_id: &str) -> Result<(), StoreError> {
    let payload = serde_json::json!({"projectId": project_id.as_str(), "backfillId": backfill_id});
    crate::jobs::queue::enqueue_in(conn, BACKFILL_JOB, &payload, 5).await?;
    Ok(())
}

pub fn kind(engine: &Arc<Engine>) -> Kind {
    let engine = Arc::clone(engine);
    Kind::new(BACKFILL_JOB, move |job| {
        let engine = Arc::clone(&engine);
        async move {
            let text = |key: &str| job.payload.get(key).and_then(Value::as_str).map(str::to_string);
            let (Some(project), Some(backfill_id)) = (text("projectId"), text("backfillId")) else {
                return Err(JobError::new("payload without projectId/backfillId"));
            };
            // Enqueued by a caller whose access to the project was checked.
            let project_id = ProjectId::vouched(project);
            match step(&engine, &project_id, &backfill_id).await {
                Ok(true) => Ok(Outcome::Again),
                Ok(false) => Ok(Outcome::Done),
                Err(StoreError::BadValue(why)) => {
                    store::fail_backfill(&engine.pool, &project_id, &backfill_id, &why).await?;
                    Ok(Outcome::Done)
                }
                Err(error) => Err(error.into()),
            }
        }
    })
    .concurrency(2)
}

/// Creates the next page of executions; `true` when more may follow.
async fn step(engine: &Engine, project_id: &ProjectId, backfill_id: &str) -> Result<bool, StoreError> {
    // Every execution would be skipped past a refusing plan's quota (#22): the backfill stops
    // here instead, failed with the plan's sentence, the executions made so far kept.
    match crate::limits::check_ingestion(&engine.pool, project_id).await {
        Ok(()) => {}
        Err(crate::limits::LimitError::Reached(reached)) => {
            store::fail_backfill(&engine.pool, project_id, backfill_id, &format!("Stopped. {reached}")).await?;
            return Ok(false);
        }
        Err(crate::limits::LimitError::Store(error)) => return Err(error),
    }
    let mut tx = engine.pool.begin().await?;
    let Some(work) = store::lock_backfill(&mut tx, project_id, backfill_id).await? else { return Ok(false) };
    let Some((evaluator, _)) = store::lock_for_scan(&mut tx, project_id, &work.evaluator_id).await? else {
        // Paused (or deleted): the resume enqueues the backfill again.
        return Ok(false);
    };
    let window = store::Window { after: work.cursor.clone(), before: work.upto };
    let limit = engine.options.scan_page;
    let found = store::scan(&mut tx, project_id, &evaluator, &window, limit).await?;
    let done = (found.len() as i64) < limit;
    let cursor = match found.last() {
        Some(last) => (last.created_at, last.key.clone()),
        None => work.cursor.clone(),
    };
    store::create_executions(
        &mut tx,
        project_id,
        &evaluator.id,
        Some(backfill_id),
        &found,
        chrono::Utc::now(),
        |key| super::execution_id(&evaluator.id, key),
        EXECUTE_JOB,
        EXECUTE_ATTEMPTS,
    )
    .await?;
    store::backfill_step(&mut tx, project_id, backfill_id, found.len() as i64, &cursor, done).await?;
    tx.commit().await?;
    Ok(!done)
}
