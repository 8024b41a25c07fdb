//! `evaluation.schedule`: every couple of seconds, new targets become executions.
//!
//! Per active evaluator, in one transaction holding its row lock (so a pause waits for a scan
//! in progress and none starts after it): read the cursor, take the targets created after it and
//! before the window's end, create their executions and jobs, move the cursor. The window ends at
//! the earlier of
//! - the *horizon*: a row's `created_at` is its transaction's start, so rows not yet committed
//!   can only carry a time at or after the oldest open transaction's start
//!   (`store::evaluators::horizon`); scanning strictly before it never skips a row that commits
//!   later, and the scan needs no look-back or re-reading;
//! - now minus the evaluator's delay: a target is looked at once it is `delay` old, so its filter
//!   sees the trace's later spans, tags and output, and its execution runs at once.
//!
//! The periodic kind has at most one unfinished run across replicas (the jobs table's unique
//! index), so two scans never race; the unique (evaluator, target) of executions makes even that
//! harmless.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Engine, EXECUTE_ATTEMPTS, EXECUTE_JOB};
use crate::jobs::{JobError, Kind, Outcome};
use crate::scope::ProjectId;
use crate::store::evaluators as store;
use crate::store::StoreError;

pub fn kind(engine: &Arc<Engine>) -> Kind {
    let engine = Arc::clone(engine);
    let every = engine.options.scan_every;
    Kind::new(super::SCHEDULE_JOB, move |_job| {
        let engine = Arc::clone(&engine);
        async move { run(&engine).await }
    })
    .every(every)
    .max_attempts(3)
}

/// One scan of every active evaluator; `Again` when some evaluator had a full page (more wait).
pub async fn run(engine: &Engine) -> Result<Outcome, JobError> {
    let swept = store::sweep_abandoned(&engine.pool).await?;
    if swept > 0 {
        tracing::warn!(executions = swept, "evaluations ended as errors: their job failed for good");
    }
    let mut conn = engine.pool.acquire().await.map_err(JobError::from)?;
    let (horizon, now) = store::horizon(&mut conn, engine.options.max_lag.as_secs_f64()).await?;
    drop(conn);
    let mut more = false;
    for (project, evaluator_id) in store::active(&engine.pool).await? {
        // The evaluator's project comes from its own row.
        let project_id = ProjectId::vouched(project);
        match scan_one(engine, &project_id, &evaluator_id, horizon, now).await {
            Ok(full) => more |= full,
            // One evaluator's problem (say, a filter an upgrade no longer reads) must not stop
            // the others.
            Err(StoreError::BadValue(why)) => tracing::warn!(evaluator = %evaluator_id, %why, "an evaluator's targets could not be scanned"),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(if more { Outcome::Again } else { Outcome::Done })
}

/// Scans one evaluator; `true` when the page was full.
async fn scan_one(engine: &Engine, project_id: &ProjectId, evaluator_id: &str, horizon: DateTime<Utc>, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let mut tx = engine.pool.begin().await?;
    let Some((evaluator, cursor)) = store::lock_for_scan(&mut tx, project_id, evaluator_id).await? else {
        return Ok(false);
    };
    let delay = chrono::Duration::milliseconds(evaluator.delay_ms);
    let before = horizon.min(now - delay);
    if before <= cursor.0 {
        return Ok(false);
    }
    let window = store::Window { after: cursor, before };
    let limit = engine.options.scan_page;
    let found = store::scan(&mut tx, project_id, &evaluator, &window, limit).await?;
    let full = found.len() as i64 >= limit;
    let next = match found.last() {
        Some(last) if full => (last.created_at, last.key.clone()),
        // Everything before `before` is seen: continue from there (an empty id sorts first).
        _ => (before, String::new()),
    };
    store::create_executions(&mut tx, project_id, &evaluator.id, None, &found, Utc::now(), |key| super::execution_id(&evaluator.id, key), EXECUTE_JOB, EXECUTE_ATTEMPTS)
        .await?;
    store::set_cursor(&mut tx, project_id, &evaluator.id, &next).await?;
    tx.commit().await?;
    Ok(full)
}
