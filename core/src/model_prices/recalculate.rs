//! Cost recalculation (#22): after a price change, the generations of a time range (optionally
//! only those of one model name) are priced again with the current definitions, the way
//! ingestion prices a merged row — the writer's own `reprice`, with the definitions in effect at
//! each generation's start time, so a new definition with a `startDate` changes only what came
//! after it — and their traces' `trace_metrics` are recomputed.
//!
//! [`start`] records the request (`cost_recalculations`) and enqueues the job in the caller's
//! transaction (with its audit entry); the job `cost.recalculate` works through the range in
//! batches of [`BATCH`] generations, each batch one transaction: the next ids by `(start_time,
//! id)` after the cursor (no lock: `observations_time_idx`), then those rows locked in id order —
//! the order ingestion locks them in, so the two cannot deadlock —, re-priced, their traces'
//! aggregates recomputed, the dashboards' rollups of the changed hours marked stale
//! (`metrics::rollups`), and the progress, the cost before and after and the per-model summary
//! added to the request's row. The batch that finds the range exhausted marks the request
//! succeeded and writes the audit entry with the old and new total cost and the per-model
//! summary. A step runs batches for about [`STEP`], then asks to run again, so a long range
//! yields to other jobs and a restarted process resumes at the cursor.
//!
//! Idempotent: re-pricing a generation twice stores the same values; a batch that committed is
//! never redone (its cursor committed with it).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use loupe_domain::models::{ModelCostChange, Recalculation, RecalculationState};
use serde_json::{json, Value};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use crate::ingest::trace_metrics::{self, Changes};
use crate::ingest::writer::{reprice, PriceAt};
use crate::jobs::{Job, JobError, Kind, Outcome};
use crate::pricing::ProjectPrices;
use crate::scope::{OrganizationId, ProjectId};
use crate::store::audit_log::{self, Actor, Entry};
use crate::store::StoreError;

pub const JOB: &str = "cost.recalculate";
/// Generations per batch (one transaction): small, so the rows and trace aggregates it locks are
/// held briefly while ingestion goes on.
pub const BATCH: i64 = 500;
/// How long one run of the job keeps taking batches before it yields.
const STEP: Duration = Duration::from_secs(2);
/// Model names kept apart in the summary; the rest are added up under [`OTHER_MODELS`].
pub const MAX_MODELS: usize = 200;
pub const OTHER_MODELS: &str = "…";
/// The summary's key for generations without a model name.
const NO_MODEL: &str = "";
const ATTEMPTS: i32 = 5;

const COLUMNS: &str = "r.id, r.from_time, r.to_time, r.model, r.state, r.total, r.processed, r.changed, r.old_cost, r.new_cost,
    r.by_model, r.error, r.created_by, r.created_at, r.finished_at, j.state AS job_state, j.last_error AS job_error";

/// Why a recalculation was not started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("a cost recalculation is already running in this project")]
    AlreadyRunning,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records a recalculation of `[from, to)` (of `model` only, when given) and enqueues its job,
/// in the caller's transaction.
pub async fn start(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    model: Option<&str>,
    created_by: &str,
) -> Result<Recalculation, StartError> {
    let id = uuid::Uuid::new_v4().to_string();
    let inserted = sqlx::query(
        "INSERT INTO cost_recalculations (project_id, id, from_time, to_time, model, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(project_id)
    .bind(&id)
    .bind(from)
    .bind(to)
    .bind(model)
    .bind(created_by)
    .execute(&mut *conn)
    .await;
    match inserted {
        Err(sqlx::Error::Database(db)) if db.constraint() == Some("cost_recalculations_one_running") => return Err(StartError::AlreadyRunning),
        other => {
            other.map_err(StoreError::from)?;
        }
    }
    let payload = json!({"projectId": project_id.as_str(), "recalculationId": id});
    let job_id = crate::jobs::queue::enqueue_in(conn, JOB, &payload, ATTEMPTS).await?;
    sqlx::query("UPDATE cost_recalculations SET job_id = $3 WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(&id)
        .bind(job_id)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    get_in(conn, project_id, &id).await?.ok_or(StartError::Store(StoreError::NotFound))
}

/// One recalculation of the project.
pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Recalculation>, StoreError> {
    let mut conn = pool.acquire().await?;
    get_in(&mut conn, project_id, id).await
}

async fn get_in(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<Recalculation>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cost_recalculations r LEFT JOIN jobs j ON j.id = r.job_id WHERE r.project_id = $1 AND r.id = $2"
    ))
    .bind(project_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(recalculation).transpose()
}

/// The project's latest recalculations, newest first.
pub async fn recent(pool: &PgPool, project_id: &ProjectId, limit: i64) -> Result<Vec<Recalculation>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cost_recalculations r LEFT JOIN jobs j ON j.id = r.job_id
         WHERE r.project_id = $1 ORDER BY r.created_at DESC, r.id LIMIT $2"
    ))
    .bind(project_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(recalculation).collect()
}

fn recalculation(row: &PgRow) -> Result<Recalculation, StoreError> {
    let state: String = row.try_get("state")?;
    let mut state = RecalculationState::parse(&state);
    let mut error: Option<String> = row.try_get("error")?;
    // The job gave up (its attempts spent) or is gone before finishing: the request failed.
    let job_state: Option<String> = row.try_get("job_state")?;
    if state == RecalculationState::Running && job_state.as_deref().is_none_or(|s| s == "failed" || s == "succeeded") {
        state = RecalculationState::Failed;
        error = error.or(row.try_get("job_error")?).or_else(|| Some("the background job stopped before it finished".into()));
    }
    let by_model: Value = row.try_get("by_model")?;
    Ok(Recalculation {
        id: row.try_get("id")?,
        from: row.try_get("from_time")?,
        to: row.try_get("to_time")?,
        model: row.try_get("model")?,
        state,
        total: row.try_get("total")?,
        processed: row.try_get("processed")?,
        changed: row.try_get("changed")?,
        old_cost: row.try_get("old_cost")?,
        new_cost: row.try_get("new_cost")?,
        by_model: summary_list(&summary_from_json(&by_model)),
        error,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// Per model name: (generations, changed, old cost, new cost).
type Summary = BTreeMap<String, (i64, i64, f64, f64)>;

fn summary_from_json(value: &Value) -> Summary {
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(model, v)| {
            let number = |key: &str| v.get(key).and_then(Value::as_f64).unwrap_or(0.0);
            (model.clone(), (number("generations") as i64, number("changed") as i64, number("oldCost"), number("newCost")))
        })
        .collect()
}

fn summary_json(summary: &Summary) -> Value {
    Value::Object(
        summary
            .iter()
            .map(|(model, (generations, changed, old, new))| {
                (model.clone(), json!({"generations": generations, "changed": changed, "oldCost": old, "newCost": new}))
            })
            .collect(),
    )
}

/// Largest change first.
fn summary_list(summary: &Summary) -> Vec<ModelCostChange> {
    let mut list: Vec<ModelCostChange> = summary
        .iter()
        .map(|(model, (generations, changed, old_cost, new_cost))| ModelCostChange {
            model: (model != NO_MODEL).then(|| model.clone()),
            generations: *generations,
            changed: *changed,
            old_cost: *old_cost,
            new_cost: *new_cost,
        })
        .collect();
    list.sort_by(|a, b| (b.new_cost - b.old_cost).abs().total_cmp(&(a.new_cost - a.old_cost).abs()).then_with(|| a.model.cmp(&b.model)));
    list
}

/// Adds one generation to the summary; past [`MAX_MODELS`] names, new ones go to [`OTHER_MODELS`].
fn add_to_summary(summary: &mut Summary, model: Option<&str>, changed: bool, old: f64, new: f64) {
    let mut key = model.unwrap_or(NO_MODEL).to_string();
    if !summary.contains_key(&key) && summary.len() >= MAX_MODELS {
        key = OTHER_MODELS.to_string();
    }
    let entry = summary.entry(key).or_default();
    entry.0 += 1;
    entry.1 += i64::from(changed);
    entry.2 += old;
    entry.3 += new;
}

/// The `cost.recalculate` job kind.
pub fn kind(pool: &PgPool) -> Kind {
    let pool = pool.clone();
    Kind::new(JOB, move |job: Job| {
        let pool = pool.clone();
        async move {
            let text = |key: &str| job.payload.get(key).and_then(Value::as_str).map(str::to_string);
            let (Some(project), Some(id)) = (text("projectId"), text("recalculationId")) else {
                return Err(JobError::new("payload without projectId/recalculationId"));
            };
            // Enqueued by `start`, whose caller's right to the project was checked.
            let project_id = ProjectId::vouched(project);
            let started = Instant::now();
            loop {
                match batch(&pool, &project_id, &id).await {
                    Ok(true) if started.elapsed() < STEP => continue,
                    Ok(true) => return Ok(Outcome::Again),
                    Ok(false) => return Ok(Outcome::Done),
                    Err(error) => {
                        if job.attempts >= job.max_attempts {
                            // The last attempt: the request says so (the job's own row too).
                            let _ = fail(&pool, &project_id, &id, &error.to_string()).await;
                        }
                        return Err(error.into());
                    }
                }
            }
        }
    })
    .concurrency(2)
    .max_attempts(ATTEMPTS)
}

async fn fail(pool: &PgPool, project_id: &ProjectId, id: &str, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE cost_recalculations SET state = 'failed', error = $3, finished_at = now()
         WHERE project_id = $1 AND id = $2 AND state = 'running'",
    )
    .bind(project_id)
    .bind(id)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// One batch; `true` when more remain.
pub async fn batch(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    // Locks the request: a second run of the job (a lease that ended) waits, then sees our cursor.
    let Some(work) = sqlx::query(
        "SELECT r.from_time, r.to_time, r.model, r.state, r.total, r.cursor_time, r.cursor_id, r.by_model, r.created_by,
                p.org_id
         FROM cost_recalculations r JOIN projects p ON p.id = r.project_id
         WHERE r.project_id = $1 AND r.id = $2 FOR UPDATE OF r",
    )
    .bind(project_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(false);
    };
    let state: String = work.try_get("state")?;
    if state != "running" {
        return Ok(false);
    }
    let from: DateTime<Utc> = work.try_get("from_time")?;
    let to: DateTime<Utc> = work.try_get("to_time")?;
    let model: Option<String> = work.try_get("model")?;
    let cursor_time: Option<DateTime<Utc>> = work.try_get("cursor_time")?;
    let cursor_id: Option<String> = work.try_get("cursor_id")?;
    let total: Option<i64> = work.try_get("total")?;
    const SCOPE: &str = "project_id = $1 AND start_time >= $2 AND start_time < $3 AND type NOT IN ('SPAN', 'EVENT')
                         AND ($4::text IS NULL OR model = $4)";
    if total.is_none() {
        let counted: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM observations WHERE {SCOPE}"))
            .bind(project_id)
            .bind(from)
            .bind(to)
            .bind(&model)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE cost_recalculations SET total = $3 WHERE project_id = $1 AND id = $2")
            .bind(project_id)
            .bind(id)
            .bind(counted)
            .execute(&mut *tx)
            .await?;
    }

    // The next batch by (start_time, id), after the cursor, without locking.
    let next: Vec<(String, DateTime<Utc>)> = match (cursor_time, &cursor_id) {
        (Some(at), Some(after)) => {
            sqlx::query_as(&format!(
                "SELECT id, start_time FROM observations
                 WHERE {SCOPE} AND start_time >= $5 AND (start_time, id) > ($5, $6)
                 ORDER BY start_time, id LIMIT $7"
            ))
            .bind(project_id)
            .bind(from)
            .bind(to)
            .bind(&model)
            .bind(at)
            .bind(after)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?
        }
        _ => {
            sqlx::query_as(&format!("SELECT id, start_time FROM observations WHERE {SCOPE} ORDER BY start_time, id LIMIT $5"))
                .bind(project_id)
                .bind(from)
                .bind(to)
                .bind(&model)
                .bind(BATCH)
                .fetch_all(&mut *tx)
                .await?
        }
    };
    let done = (next.len() as i64) < BATCH;
    let last = next.iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0))).cloned();

    let mut summary = summary_from_json(&work.try_get::<Value, _>("by_model")?);
    let (mut old_sum, mut new_sum, mut changed) = (0.0f64, 0.0f64, 0i64);
    if !next.is_empty() {
        let ids: Vec<String> = next.iter().map(|(id, _)| id.clone()).collect();
        // The rows as stored now, locked in id order (as ingestion locks them). The first ten
        // columns are what `reprice` reads; then the start time it prices at, and what this
        // step needs to compare: trace, cost and tokens before, model name.
        let rows = sqlx::query(
            "SELECT id, type, level, model, provided_usage_details, provided_cost_details, model_parameters, metadata,
                    CASE WHEN provided_usage_details = '{}' THEN input END,
                    CASE WHEN provided_usage_details = '{}' THEN output END,
                    start_time, trace_id, total_cost, (usage_details ->> 'total')::bigint
             FROM observations WHERE project_id = $1 AND id = ANY($2)
             ORDER BY id FOR UPDATE",
        )
        .bind(project_id)
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        let before: BTreeMap<String, (String, Option<String>, Option<f64>, Option<i64>)> = rows
            .iter()
            .map(|row| Ok((row.try_get(0)?, (row.try_get(11)?, row.try_get(3)?, row.try_get(12)?, row.try_get(13)?))))
            .collect::<Result<_, sqlx::Error>>()?;
        let prices = ProjectPrices::load(&mut *tx, project_id).await?;
        let repriced = reprice(&mut *tx, project_id, rows, &prices, PriceAt::Column(10)).await?;
        let started: BTreeMap<&str, DateTime<Utc>> = next.iter().map(|(id, at)| (id.as_str(), *at)).collect();
        let mut metrics = Changes::default();
        let mut touched = BTreeSet::new();
        // The start times of the generations whose cost or tokens changed.
        let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        for (id, new_cost, new_tokens) in &repriced {
            let Some((trace_id, model, old_cost, old_tokens)) = before.get(id) else { continue };
            let is_changed = old_cost != new_cost || old_tokens != new_tokens;
            if is_changed {
                metrics.recompute(trace_id);
                touched.insert(trace_id.clone());
                if let Some(at) = started.get(id.as_str()).copied() {
                    span = Some(span.map_or((at, at), |(low, high)| (low.min(at), high.max(at))));
                }
            }
            let (old, new) = (old_cost.unwrap_or(0.0), new_cost.unwrap_or(0.0));
            old_sum += old;
            new_sum += new;
            changed += i64::from(is_changed);
            add_to_summary(&mut summary, model.as_deref(), is_changed, old, new);
        }
        // The traces' aggregates from all their observations, as after a merged update.
        trace_metrics::refresh(&mut tx, project_id, metrics).await?;
        // The dashboards' hourly rollups of what changed are stale: the hours of the changed
        // generations, and those their traces count in (a trace's timestamp may lie outside the
        // batch), read raw until the rollup job has recomputed them.
        if let Some((low, high)) = span {
            crate::metrics::rollups::invalidate(&mut tx, project_id, low, high + chrono::Duration::microseconds(1)).await?;
            crate::metrics::rollups::mark_traces(&mut tx, project_id, &touched).await?;
        }
        // Traces whose cost changed are announced like any ingestion change.
        crate::live::notice::send(&mut *tx, project_id, &touched).await?;
    }

    sqlx::query(
        "UPDATE cost_recalculations SET processed = processed + $3, changed = changed + $4, old_cost = old_cost + $5,
                new_cost = new_cost + $6, by_model = $7, cursor_time = coalesce($8, cursor_time), cursor_id = coalesce($9, cursor_id),
                state = CASE WHEN $10 THEN 'succeeded' ELSE state END, finished_at = CASE WHEN $10 THEN now() END
         WHERE project_id = $1 AND id = $2",
    )
    .bind(project_id)
    .bind(id)
    .bind(next.len() as i64)
    .bind(changed)
    .bind(old_sum)
    .bind(new_sum)
    .bind(summary_json(&summary))
    .bind(last.as_ref().map(|(_, at)| *at))
    .bind(last.as_ref().map(|(id, _)| id.clone()))
    .bind(done)
    .execute(&mut *tx)
    .await?;
    if done {
        audit_finished(&mut tx, project_id, id, &work).await?;
    }
    tx.commit().await?;
    Ok(!done)
}

/// The audit entry of a finished recalculation: the range, the total cost of its generations
/// before and after, and the same per model name (the bounded summary; per-row costs are not
/// kept). Recorded as the person who asked for it; when their account is gone, the start's entry
/// is the record.
async fn audit_finished(conn: &mut PgConnection, project_id: &ProjectId, id: &str, work: &PgRow) -> Result<(), StoreError> {
    let Some(created_by) = work.try_get::<Option<String>, _>("created_by")? else { return Ok(()) };
    let org_id = OrganizationId::vouched(work.try_get::<String, _>("org_id")?);
    let Some(done) = get_in(conn, project_id, id).await? else { return Ok(()) };
    let per_model = |cost: fn(&ModelCostChange) -> f64| -> Value {
        Value::Object(done.by_model.iter().map(|m| (m.model.clone().unwrap_or_default(), json!(cost(m)))).collect())
    };
    audit_log::record(
        conn,
        Entry {
            org_id: &org_id,
            project_id: Some(project_id),
            actor: Actor::User(created_by),
            action: "cost_recalculation.finish",
            resource_type: "cost_recalculation",
            resource_id: id,
            before: Some(json!({"totalCost": done.old_cost, "byModel": per_model(|m| m.old_cost)})),
            after: Some(json!({
                "totalCost": done.new_cost,
                "byModel": per_model(|m| m.new_cost),
                "from": done.from,
                "to": done.to,
                "model": done.model,
                "generations": done.processed,
                "changed": done.changed,
                "models": done.by_model,
            })),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_bounded_and_sorted_by_change() {
        let mut summary = Summary::new();
        for n in 0..MAX_MODELS + 5 {
            add_to_summary(&mut summary, Some(&format!("m{n:03}")), true, 1.0, 1.0);
        }
        add_to_summary(&mut summary, None, false, 0.0, 0.0);
        add_to_summary(&mut summary, Some("m000"), true, 1.0, 3.0);
        assert_eq!(summary.len(), MAX_MODELS + 1, "the names past the limit share one entry");
        assert_eq!(summary[OTHER_MODELS].0, 6, "five late names and the nameless generation");
        let list = summary_list(&summary_from_json(&summary_json(&summary)));
        assert_eq!(list[0].model.as_deref(), Some("m000"));
        assert_eq!((list[0].generations, list[0].changed, list[0].old_cost, list[0].new_cost), (2, 2, 2.0, 4.0));
    }
}
