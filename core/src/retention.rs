//! Data retention (issue #22): the daily job that deletes a project's expired traces,
//! observations and scores, in small batches that never hold ingestion up for long.
//!
//! **What expires** (the rule of `loupe_domain::retention`): with the project's effective
//! retention ([`crate::limits::retention_of_project`]) and `cutoff = now − days`, fixed when a
//! run starts,
//! 1. *traces* whose `timestamp` is older than the cutoff go with every observation and score of
//!    theirs (whatever their own times), their `trace_metrics` row, their media references and the
//!    comments on them and on their observations;
//! 2. *observations* whose trace does not exist go when their `start_time` is older, and
//! 3. *scores* whose trace does not exist (or that are of a session or a dataset run) when their
//!    `timestamp` is;
//! 4. *sessions* (`trace_sessions`) created before the cutoff that no trace or score names any
//!    more go, with the comments on them;
//! 5. *media* created before the cutoff that nothing references any more go (the files follow
//!    with `media.remove_orphans`), as do references whose trace and observation are gone.
//!
//! Dataset items and run items, annotation queue items and evaluator executions that point to
//! deleted traces are kept (as in Langfuse: retention applies to the data, not to what refers
//! to it); so are prompts, datasets and score configs.
//!
//! **How**: [`schedule_kind`] (`retention.run`, daily) queues one [`PROJECT_KIND`] job per
//! project whose data expires; an administrator's "Run now" queues the same job
//! ([`request_run`]). A job continues the project's open run (`retention_runs`, at most one per
//! project) or starts one, then works through the phases above in batches of
//! [`RetentionOptions::batch`] rows, one short transaction each, for a few seconds, and queues
//! itself again while work remains. Each batch adds what it deleted to the run's counts, marks
//! the deleted rows' hours dirty for the dashboards' rollups, and moves the run's phase and
//! cursor, in its own transaction, so the counts are exact and a run that dies resumes where it
//! was.
//!
//! **Locks** are taken in ingestion's order (traces, then observations, then scores, each by id,
//! then `trace_metrics` by trace id; `ingest::writer`), so a batch and an ingestion request never
//! deadlock. A batch claims its traces (and its orphan candidates) with `FOR UPDATE SKIP
//! LOCKED`: a row an ingestion request is writing is left for later rather than waited for, and
//! ingestion waits at most for one batch's transaction. A trace's dependent rows are locked
//! (waiting) in id order; `lock_timeout` bounds that wait. `trace_metrics` rows are locked before
//! they are recomputed or deleted, in a statement of their own, so a concurrent request's delta
//! is either seen or added on top afterwards (`ingest::trace_metrics`'s rule).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{Acquire, PgConnection, PgPool, Row};

use crate::jobs::{JobError, Kind, Outcome};
use crate::scope::ProjectId;
use crate::store::StoreError;
use loupe_domain::retention::{ExpiredCounts, RetentionPreview, RetentionRun, RetentionSettings, RetentionTrigger};

/// The daily kind: queues a [`PROJECT_KIND`] job per project whose data expires.
pub const SCHEDULE_KIND: &str = "retention.run";
/// One project's run (continued across jobs until done).
pub const PROJECT_KIND: &str = "retention.project";
/// How often the schedule runs.
pub const EVERY: Duration = Duration::from_secs(24 * 3600);

/// How a run works.
#[derive(Debug, Clone, Copy)]
pub struct RetentionOptions {
    /// Rows per table per batch (one transaction).
    pub batch: i64,
    /// How long one job works before it queues itself again (`None`: until the run is done).
    pub budget: Option<Duration>,
    /// How long a batch waits for a row lock held by someone else before it gives up (the job
    /// is retried).
    pub lock_timeout: Duration,
}

impl Default for RetentionOptions {
    fn default() -> Self {
        RetentionOptions { batch: 1_000, budget: Some(Duration::from_secs(2)), lock_timeout: Duration::from_secs(5) }
    }
}

/// The job kinds: the daily schedule and the per-project run.
pub fn kinds(pool: &PgPool, options: RetentionOptions) -> Vec<Kind> {
    vec![schedule_kind(pool), project_kind(pool, options)]
}

fn schedule_kind(pool: &PgPool) -> Kind {
    let pool = pool.clone();
    Kind::new(SCHEDULE_KIND, move |_| {
        let pool = pool.clone();
        async move {
            let queued = schedule(&pool).await?;
            if queued > 0 {
                tracing::info!(projects = queued, "queued the daily retention runs");
            }
            Ok(Outcome::Done)
        }
    })
    .every(EVERY)
}

fn project_kind(pool: &PgPool, options: RetentionOptions) -> Kind {
    let pool = pool.clone();
    Kind::new(PROJECT_KIND, move |job| {
        let pool = pool.clone();
        async move {
            let Some(project) = job.payload.get("projectId").and_then(Value::as_str) else {
                return Err(JobError::new("payload without projectId"));
            };
            let trigger = RetentionTrigger::parse(job.payload.get("trigger").and_then(Value::as_str).unwrap_or_default());
            // Queued by the schedule over the projects' own rows, or by an administrator whose
            // access was checked.
            let project_id = ProjectId::vouched(project);
            match run(&pool, &project_id, trigger, options).await {
                Ok(Progress::More) => Ok(Outcome::Again),
                Ok(Progress::Finished(_)) => Ok(Outcome::Done),
                Err(error) => {
                    // Shown in the settings as the run's error until a later batch succeeds.
                    let _ = record_error(&pool, &project_id, &error.to_string()).await;
                    Err(error.into())
                }
            }
        }
    })
    .lease(Duration::from_secs(120))
}

/// Queues a run for every project whose data expires (skipping those with one queued); how many
/// were queued.
pub async fn schedule(pool: &PgPool) -> Result<usize, StoreError> {
    let mut queued = 0;
    for project_id in crate::limits::projects_with_retention(pool).await? {
        queued += usize::from(enqueue(pool, &project_id, RetentionTrigger::Schedule).await?);
    }
    Ok(queued)
}

/// An administrator's "Run now": queues the project's run unless one is queued or running;
/// whether it was queued.
pub async fn request_run(pool: &PgPool, project_id: &ProjectId) -> Result<bool, StoreError> {
    enqueue(pool, project_id, RetentionTrigger::Manual).await
}

async fn enqueue(pool: &PgPool, project_id: &ProjectId, trigger: RetentionTrigger) -> Result<bool, StoreError> {
    let payload = json!({"projectId": project_id.as_str(), "trigger": trigger.as_str()});
    Ok(crate::jobs::queue::enqueue(pool, PROJECT_KIND, &payload, Some(project_id.as_str()), 5).await?.is_some())
}

/// What a call of [`run`] came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The budget ran out with work left.
    More,
    /// The run is done (`None`: nothing expires, no run was made).
    Finished(Option<RetentionRun>),
}

/// Where an open run is.
#[derive(Debug, Clone)]
struct OpenRun {
    id: i64,
    cutoff: DateTime<Utc>,
    phase: Phase,
    cursor: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Traces,
    Observations,
    Scores,
    Sessions,
    Media,
    Done,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Traces => "traces",
            Phase::Observations => "observations",
            Phase::Scores => "scores",
            Phase::Sessions => "sessions",
            Phase::Media => "media",
            Phase::Done => "done",
        }
    }

    fn parse(value: &str) -> Phase {
        match value {
            "traces" => Phase::Traces,
            "observations" => Phase::Observations,
            "scores" => Phase::Scores,
            "sessions" => Phase::Sessions,
            "media" => Phase::Media,
            _ => Phase::Done,
        }
    }

    fn next(self) -> Phase {
        match self {
            Phase::Traces => Phase::Observations,
            Phase::Observations => Phase::Scores,
            Phase::Scores => Phase::Sessions,
            Phase::Sessions => Phase::Media,
            Phase::Media | Phase::Done => Phase::Done,
        }
    }
}

/// What one batch deleted, and where the run goes on from.
#[derive(Debug, Default)]
struct Batch {
    traces: i64,
    observations: i64,
    scores: i64,
    sessions: i64,
    media: i64,
    /// The deleted rows' own times (trace timestamps, observation starts, score timestamps), for
    /// the rollups.
    times: Vec<DateTime<Utc>>,
    /// Sessions deleted: checked again once the transactions that overlapped the batch ended.
    sessions_deleted: Vec<String>,
    phase: Option<Phase>,
    cursor: Option<(DateTime<Utc>, String)>,
}

/// Works on the project's run — the open one, or a new one when its data expires — for
/// `options.budget`.
pub async fn run(pool: &PgPool, project_id: &ProjectId, trigger: RetentionTrigger, options: RetentionOptions) -> Result<Progress, StoreError> {
    let Some(mut open) = open_run(pool, project_id, trigger).await? else {
        return Ok(Progress::Finished(None));
    };
    let started = Instant::now();
    loop {
        if open.phase == Phase::Done {
            return Ok(Progress::Finished(last_run(pool, project_id).await?));
        }
        if options.budget.is_some_and(|budget| started.elapsed() >= budget) {
            return Ok(Progress::More);
        }
        let batch = step(pool, project_id, &open, options).await?;
        if !batch.sessions_deleted.is_empty() {
            restore_named_sessions(pool, project_id, &batch.sessions_deleted).await?;
        }
        if let Some(phase) = batch.phase {
            open.phase = phase;
        }
        open.cursor = batch.cursor;
    }
}

/// Runs the project's retention to the end (tests, and whoever wants the result at once).
pub async fn run_to_end(pool: &PgPool, project_id: &ProjectId, trigger: RetentionTrigger, batch: i64) -> Result<Option<RetentionRun>, StoreError> {
    let options = RetentionOptions { batch, budget: None, ..RetentionOptions::default() };
    match run(pool, project_id, trigger, options).await? {
        Progress::Finished(run) => Ok(run),
        Progress::More => unreachable!("no budget: runs to the end"),
    }
}

/// The project's open run, or a new one with the cutoff of its effective retention now; `None`
/// when its data does not expire (an open run is then closed as it is: the retention was lifted).
async fn open_run(pool: &PgPool, project_id: &ProjectId, trigger: RetentionTrigger) -> Result<Option<OpenRun>, StoreError> {
    let mut conn = pool.acquire().await?;
    let policy = crate::limits::retention_of_project(&mut conn, project_id).await?;
    if let Some(open) = find_open(&mut conn, project_id).await? {
        let Some(days) = policy.effective_days() else {
            finish(&mut conn, open.id).await?;
            return Ok(None);
        };
        // A retention made longer since the run started protects what it now keeps: the cutoff
        // moves back (a shorter one waits for the next run).
        sqlx::query(
            "UPDATE retention_runs SET cutoff = now() - make_interval(days => $2), retention_days = $2
             WHERE id = $1 AND cutoff > now() - make_interval(days => $2)",
        )
        .bind(open.id)
        .bind(days)
        .execute(&mut *conn)
        .await?;
        return find_open(&mut conn, project_id).await;
    }
    let Some(days) = policy.effective_days() else { return Ok(None) };
    // The database's clock, as for every stored time. Two replicas starting at once: the unique
    // index keeps one run.
    sqlx::query(
        "INSERT INTO retention_runs (project_id, trigger, retention_days, cutoff)
         VALUES ($1, $2, $3, now() - make_interval(days => $3))
         ON CONFLICT (project_id) WHERE finished_at IS NULL DO NOTHING",
    )
    .bind(project_id)
    .bind(trigger.as_str())
    .bind(days)
    .execute(&mut *conn)
    .await?;
    find_open(&mut conn, project_id).await
}

async fn find_open(conn: &mut PgConnection, project_id: &ProjectId) -> Result<Option<OpenRun>, StoreError> {
    let row = sqlx::query("SELECT id, cutoff, phase, cursor_time, cursor_id FROM retention_runs WHERE project_id = $1 AND finished_at IS NULL")
        .bind(project_id)
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let cursor_time: Option<DateTime<Utc>> = row.try_get("cursor_time")?;
    let cursor_id: Option<String> = row.try_get("cursor_id")?;
    Ok(Some(OpenRun {
        id: row.try_get("id")?,
        cutoff: row.try_get("cutoff")?,
        phase: Phase::parse(row.try_get("phase")?),
        cursor: cursor_time.zip(cursor_id),
    }))
}

async fn finish(conn: &mut PgConnection, run_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE retention_runs SET phase = 'done', finished_at = now(), cursor_time = NULL, cursor_id = NULL WHERE id = $1 AND finished_at IS NULL")
        .bind(run_id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn record_error(pool: &PgPool, project_id: &ProjectId, error: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE retention_runs SET error = left($2, 2000) WHERE project_id = $1 AND finished_at IS NULL")
        .bind(project_id)
        .bind(error)
        .execute(pool)
        .await?;
    Ok(())
}

/// One batch of the run's current phase, in one transaction with the run's counts.
async fn step(pool: &PgPool, project_id: &ProjectId, open: &OpenRun, options: RetentionOptions) -> Result<Batch, StoreError> {
    let mut tx = pool.begin().await?;
    // Whole milliseconds: `SET` takes no bind parameters.
    sqlx::query(&format!("SET LOCAL lock_timeout = '{}ms'", options.lock_timeout.as_millis().max(1)))
        .execute(&mut *tx)
        .await?;
    let limit = options.batch.max(1);
    let batch = match open.phase {
        Phase::Traces => traces_batch(&mut tx, project_id, open.cutoff, limit).await?,
        Phase::Observations => orphan_observations_batch(&mut tx, project_id, open.cutoff, open.cursor.as_ref(), limit).await?,
        Phase::Scores => orphan_scores_batch(&mut tx, project_id, open.cutoff, open.cursor.as_ref(), limit).await?,
        Phase::Sessions => sessions_batch(&mut tx, project_id, open.cutoff, open.cursor.as_ref(), limit).await?,
        Phase::Media => media_batch(&mut tx, project_id, open.cutoff, limit).await?,
        Phase::Done => Batch::default(),
    };
    report_to_rollups(&mut tx, project_id, &batch.times).await?;
    let phase = batch.phase.unwrap_or(open.phase);
    let (cursor_time, cursor_id) = match &batch.cursor {
        Some((time, id)) => (Some(*time), Some(id.clone())),
        None => (None, None),
    };
    sqlx::query(
        "UPDATE retention_runs SET
             traces_deleted = traces_deleted + $2, observations_deleted = observations_deleted + $3,
             scores_deleted = scores_deleted + $4, sessions_deleted = sessions_deleted + $5,
             media_deleted = media_deleted + $6, phase = $7, cursor_time = $8, cursor_id = $9, error = NULL,
             finished_at = CASE WHEN $7 = 'done' THEN now() END
         WHERE id = $1",
    )
    .bind(open.id)
    .bind(batch.traces)
    .bind(batch.observations)
    .bind(batch.scores)
    .bind(batch.sessions)
    .bind(batch.media)
    .bind(phase.as_str())
    .bind(cursor_time)
    .bind(cursor_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(batch)
}

/// Phase 1: up to `limit` expired traces; their observations and scores (up to `limit` each),
/// and, once none is left, the traces themselves with what hangs on them.
async fn traces_batch(tx: &mut PgConnection, project_id: &ProjectId, cutoff: DateTime<Utc>, limit: i64) -> Result<Batch, StoreError> {
    let mut batch = Batch::default();
    // Oldest first on traces_time_idx; a trace an ingestion request holds is left for later.
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM traces WHERE project_id = $1 AND timestamp < $2
         ORDER BY timestamp, id LIMIT $3 FOR UPDATE SKIP LOCKED",
    )
    .bind(project_id)
    .bind(cutoff)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    if ids.is_empty() {
        batch.phase = Some(Phase::Traces.next());
        return Ok(batch);
    }
    // Before anything of them goes: every hour the traces and their observations count in (the
    // trace's and its observations' span, which `trace_metrics` still holds).
    crate::metrics::rollups::mark_traces(&mut *tx, project_id, &ids).await?;
    let observations = delete_observations_of(tx, project_id, &ids, limit).await?;
    let scores = delete_scores_of(tx, project_id, &ids, limit).await?;
    let more_left = observations.len() as i64 == limit || scores.len() as i64 == limit;
    batch.observations = observations.len() as i64;
    batch.scores = scores.len() as i64;
    batch.times.extend(observations.iter().map(|(_, _, time)| *time));
    batch.times.extend(scores.iter().copied());
    let observation_ids: Vec<String> = observations.into_iter().map(|(id, _, _)| id).collect();
    delete_comments(tx, project_id, "OBSERVATION", &observation_ids).await?;
    if more_left {
        // The same traces come first again in the next batch.
        return Ok(batch);
    }
    let traces: Vec<(String, DateTime<Utc>)> =
        sqlx::query_as("DELETE FROM traces WHERE project_id = $1 AND id = ANY($2) RETURNING id, timestamp")
            .bind(project_id)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
    batch.traces = traces.len() as i64;
    batch.times.extend(traces.iter().map(|(_, time)| *time));
    sqlx::query("DELETE FROM media_references WHERE project_id = $1 AND trace_id = ANY($2)")
        .bind(project_id)
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    delete_comments(tx, project_id, "TRACE", &ids).await?;
    sync_trace_metrics(tx, project_id, ids).await?;
    Ok(batch)
}

/// Deletes up to `limit` observations of these traces, locked in id order (ingestion's).
async fn delete_observations_of(
    tx: &mut PgConnection,
    project_id: &ProjectId,
    trace_ids: &[String],
    limit: i64,
) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError> {
    let locked: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM observations WHERE project_id = $1 AND trace_id = ANY($2) ORDER BY id LIMIT $3 FOR UPDATE",
    )
    .bind(project_id)
    .bind(trace_ids)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    if locked.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as("DELETE FROM observations WHERE project_id = $1 AND id = ANY($2) RETURNING id, trace_id, start_time")
        .bind(project_id)
        .bind(&locked)
        .fetch_all(&mut *tx)
        .await?)
}

/// Deletes up to `limit` scores of these traces, locked in id order; their timestamps.
async fn delete_scores_of(tx: &mut PgConnection, project_id: &ProjectId, trace_ids: &[String], limit: i64) -> Result<Vec<DateTime<Utc>>, StoreError> {
    let locked: Vec<String> =
        sqlx::query_scalar("SELECT id FROM scores WHERE project_id = $1 AND trace_id = ANY($2) ORDER BY id LIMIT $3 FOR UPDATE")
            .bind(project_id)
            .bind(trace_ids)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
    if locked.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar("DELETE FROM scores WHERE project_id = $1 AND id = ANY($2) RETURNING timestamp")
        .bind(project_id)
        .bind(&locked)
        .fetch_all(&mut *tx)
        .await?)
}

/// People's comments on deleted objects go with them (their mentions by cascade).
async fn delete_comments(tx: &mut PgConnection, project_id: &ProjectId, object_type: &str, ids: &[String]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM comments WHERE project_id = $1 AND object_type = $2 AND object_id = ANY($3)")
        .bind(project_id)
        .bind(object_type)
        .bind(ids)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Brings the `trace_metrics` rows of these traces in line with what is left: deleted when
/// neither the trace nor an observation of it remains, else recomputed from the remaining
/// observations (with the trace's timestamp, NULL when the trace is gone). The rows are locked
/// first, in trace id order (ingestion's), so the recompute's snapshot includes every request
/// that changed them before; later requests add their deltas on top.
async fn sync_trace_metrics(tx: &mut PgConnection, project_id: &ProjectId, mut trace_ids: Vec<String>) -> Result<(), StoreError> {
    trace_ids.sort();
    trace_ids.dedup();
    if trace_ids.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT trace_id FROM trace_metrics WHERE project_id = $1 AND trace_id = ANY($2) ORDER BY trace_id FOR UPDATE")
        .bind(project_id)
        .bind(&trace_ids)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM trace_metrics m WHERE m.project_id = $1 AND m.trace_id = ANY($2)
           AND NOT EXISTS (SELECT 1 FROM observations o WHERE o.project_id = $1 AND o.trace_id = m.trace_id)
           AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = $1 AND t.id = m.trace_id)",
    )
    .bind(project_id)
    .bind(&trace_ids)
    .execute(&mut *tx)
    .await?;
    let aggregates = crate::ingest::trace_metrics::AGGREGATES;
    let sql = format!(
        "UPDATE trace_metrics AS m SET
             timestamp = t.timestamp,
             observation_count = a.observation_count, start_time = a.start_time, end_time = a.end_time,
             total_cost = a.total_cost, total_tokens = a.total_tokens, level = coalesce(a.level, 0),
             error_count = a.error_count, warning_count = a.warning_count, models = a.models
         FROM unnest($2::text[]) AS k(trace_id)
         CROSS JOIN LATERAL (SELECT {aggregates} FROM observations o WHERE o.project_id = $1 AND o.trace_id = k.trace_id) AS a
         LEFT JOIN traces t ON t.project_id = $1 AND t.id = k.trace_id
         WHERE m.project_id = $1 AND m.trace_id = k.trace_id"
    );
    sqlx::query(&sql).bind(project_id).bind(&trace_ids).execute(&mut *tx).await?;
    Ok(())
}

/// The next `limit` rows of `table` older than the cutoff, after the cursor, by `(time_column,
/// id)`: their ids and times, locked (rows an ingestion request holds are skipped, not waited for).
async fn expired_rows(
    tx: &mut PgConnection,
    table: &str,
    time_column: &str,
    project_id: &ProjectId,
    cutoff: DateTime<Utc>,
    cursor: Option<&(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
    let after = if cursor.is_some() { format!(" AND ({time_column}, id) > ($4, $5)") } else { String::new() };
    let sql = format!(
        "SELECT id, {time_column} FROM {table} WHERE project_id = $1 AND {time_column} < $2{after}
         ORDER BY {time_column}, id LIMIT $3 FOR UPDATE SKIP LOCKED"
    );
    let mut query = sqlx::query_as::<_, (String, DateTime<Utc>)>(&sql).bind(project_id).bind(cutoff).bind(limit);
    if let Some((time, id)) = cursor {
        query = query.bind(time).bind(id);
    }
    Ok(query.fetch_all(&mut *tx).await?)
}

/// Phase 2: observations older than the cutoff whose trace is gone, walked by (start_time, id).
async fn orphan_observations_batch(
    tx: &mut PgConnection,
    project_id: &ProjectId,
    cutoff: DateTime<Utc>,
    cursor: Option<&(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Batch, StoreError> {
    let mut batch = Batch::default();
    let candidates = expired_rows(tx, "observations", "start_time", project_id, cutoff, cursor, limit).await?;
    advance(&mut batch, Phase::Observations, &candidates, limit);
    if candidates.is_empty() {
        return Ok(batch);
    }
    let ids: Vec<String> = candidates.into_iter().map(|(id, _)| id).collect();
    let deleted: Vec<(String, String, DateTime<Utc>)> = sqlx::query_as(
        "DELETE FROM observations o WHERE o.project_id = $1 AND o.id = ANY($2)
           AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = $1 AND t.id = o.trace_id)
         RETURNING o.id, o.trace_id, o.start_time",
    )
    .bind(project_id)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    if deleted.is_empty() {
        return Ok(batch);
    }
    batch.observations = deleted.len() as i64;
    batch.times.extend(deleted.iter().map(|(_, _, time)| *time));
    let (observation_ids, trace_ids): (Vec<String>, Vec<String>) = deleted.into_iter().map(|(id, trace_id, _)| (id, trace_id)).unzip();
    sqlx::query(
        "DELETE FROM media_references r USING unnest($2::text[], $3::text[]) AS d(trace_id, observation_id)
         WHERE r.project_id = $1 AND r.trace_id = d.trace_id AND r.observation_id = d.observation_id",
    )
    .bind(project_id)
    .bind(&trace_ids)
    .bind(&observation_ids)
    .execute(&mut *tx)
    .await?;
    delete_comments(tx, project_id, "OBSERVATION", &observation_ids).await?;
    sync_trace_metrics(tx, project_id, trace_ids).await?;
    Ok(batch)
}

/// Phase 3: scores older than the cutoff whose trace is gone, or of a session or dataset run,
/// walked by (timestamp, id).
async fn orphan_scores_batch(
    tx: &mut PgConnection,
    project_id: &ProjectId,
    cutoff: DateTime<Utc>,
    cursor: Option<&(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Batch, StoreError> {
    let mut batch = Batch::default();
    let candidates = expired_rows(tx, "scores", "timestamp", project_id, cutoff, cursor, limit).await?;
    advance(&mut batch, Phase::Scores, &candidates, limit);
    if candidates.is_empty() {
        return Ok(batch);
    }
    let ids: Vec<String> = candidates.into_iter().map(|(id, _)| id).collect();
    let deleted: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "DELETE FROM scores s WHERE s.project_id = $1 AND s.id = ANY($2)
           AND (s.trace_id IS NULL OR NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = $1 AND t.id = s.trace_id))
         RETURNING s.timestamp",
    )
    .bind(project_id)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    batch.scores = deleted.len() as i64;
    batch.times.extend(deleted);
    Ok(batch)
}

/// Phase 4: sessions created before the cutoff that no trace or score names any more.
async fn sessions_batch(
    tx: &mut PgConnection,
    project_id: &ProjectId,
    cutoff: DateTime<Utc>,
    cursor: Option<&(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Batch, StoreError> {
    let mut batch = Batch::default();
    let candidates = expired_rows(tx, "trace_sessions", "created_at", project_id, cutoff, cursor, limit).await?;
    advance(&mut batch, Phase::Sessions, &candidates, limit);
    if candidates.is_empty() {
        return Ok(batch);
    }
    let ids: Vec<String> = candidates.into_iter().map(|(id, _)| id).collect();
    let deleted: Vec<String> = sqlx::query_scalar(
        "DELETE FROM trace_sessions s WHERE s.project_id = $1 AND s.id = ANY($2)
           AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = $1 AND t.session_id = s.id)
           AND NOT EXISTS (SELECT 1 FROM scores c WHERE c.project_id = $1 AND c.session_id = s.id)
         RETURNING s.id",
    )
    .bind(project_id)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    delete_comments(tx, project_id, "SESSION", &deleted).await?;
    batch.sessions = deleted.len() as i64;
    batch.sessions_deleted = deleted;
    Ok(batch)
}

/// Phase 5: media references whose trace and observation are gone, then media nothing
/// references, both created before the cutoff.
async fn media_batch(tx: &mut PgConnection, project_id: &ProjectId, cutoff: DateTime<Utc>, limit: i64) -> Result<Batch, StoreError> {
    let mut batch = Batch::default();
    let references = sqlx::query(
        "DELETE FROM media_references WHERE ctid = ANY(ARRAY(
             SELECT r.ctid FROM media_references r
             WHERE r.project_id = $1 AND r.created_at < $2
               AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = $1 AND t.id = r.trace_id)
               AND (r.observation_id = '' OR NOT EXISTS (SELECT 1 FROM observations o WHERE o.project_id = $1 AND o.id = r.observation_id))
             LIMIT $3 FOR UPDATE SKIP LOCKED))",
    )
    .bind(project_id)
    .bind(cutoff)
    .bind(limit)
    .execute(&mut *tx)
    .await?
    .rows_affected() as i64;
    // A media row being referenced right now (its new reference's key check holds a lock on it)
    // is skipped.
    batch.media = sqlx::query(
        "DELETE FROM media WHERE ctid = ANY(ARRAY(
             SELECT m.ctid FROM media m
             WHERE m.project_id = $1 AND m.created_at < $2
               AND NOT EXISTS (SELECT 1 FROM media_references r WHERE r.project_id = $1 AND r.media_id = m.id)
             LIMIT $3 FOR UPDATE SKIP LOCKED))",
    )
    .bind(project_id)
    .bind(cutoff)
    .bind(limit)
    .execute(&mut *tx)
    .await?
    .rows_affected() as i64;
    if references < limit && batch.media < limit {
        batch.phase = Some(Phase::Media.next());
    }
    Ok(batch)
}

/// Moves a walking phase's cursor to its last candidate, or on to the next phase when the walk
/// reached the cutoff.
fn advance(batch: &mut Batch, phase: Phase, candidates: &[(String, DateTime<Utc>)], limit: i64) {
    if (candidates.len() as i64) < limit {
        batch.phase = Some(phase.next());
        batch.cursor = None;
    } else {
        batch.cursor = candidates.last().map(|(id, time)| (*time, id.clone()));
    }
}

/// A session deleted while an ingestion request was adding a trace to it (the request found the
/// row, so it did not write one, and its trace was not visible to the delete yet) is written
/// again once every transaction that overlapped the delete has ended. Bounded wait: after 30 s
/// the check runs anyway.
async fn restore_named_sessions(pool: &PgPool, project_id: &ProjectId, ids: &[String]) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    let horizon: String = sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text").fetch_one(&mut *conn).await?;
    let waited = Instant::now();
    while waited.elapsed() < Duration::from_secs(30) {
        let passed: bool = sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8")
            .bind(&horizon)
            .fetch_one(&mut *conn)
            .await?;
        if passed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Like every writer of the ingestion tables, under the live project's lock: a project deleted
    // meanwhile gets no row its purge could miss (`ingest::writer::lock_project`).
    let mut tx = conn.begin().await?;
    match crate::ingest::writer::lock_project(&mut tx, project_id, &[]).await {
        Ok(()) => {}
        Err(error) if crate::store::fault::fault(&error) == crate::store::fault::Fault::Gone => return Ok(()),
        Err(error) => return Err(error.into()),
    }
    sqlx::query(
        "INSERT INTO trace_sessions (project_id, id, environment)
         SELECT DISTINCT ON (t.session_id) $1, t.session_id, t.environment
         FROM traces t WHERE t.project_id = $1 AND t.session_id = ANY($2)
         ORDER BY t.session_id, t.timestamp
         ON CONFLICT (project_id, id) DO NOTHING",
    )
    .bind(project_id)
    .bind(ids)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the hours of the deleted rows' own times dirty for the dashboards' rollups
/// (`metrics::rollups`: observations count in their start's hour, traces and scores in their
/// timestamp's), in the batch's transaction: one call per run of consecutive hours.
async fn report_to_rollups(tx: &mut PgConnection, project_id: &ProjectId, times: &[DateTime<Utc>]) -> Result<(), StoreError> {
    for (from, to) in hour_ranges(times) {
        crate::metrics::rollups::invalidate(&mut *tx, project_id, from, to).await?;
    }
    Ok(())
}

/// The hours the times fall in, merged into ranges `[from, to)` of consecutive hours.
fn hour_ranges(times: &[DateTime<Utc>]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    use chrono::{DurationRound, TimeDelta};
    let hour = TimeDelta::hours(1);
    let mut hours: Vec<DateTime<Utc>> = times.iter().map(|t| t.duration_trunc(hour).unwrap_or(*t)).collect();
    hours.sort();
    hours.dedup();
    let mut ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for start in hours {
        match ranges.last_mut() {
            Some((_, end)) if *end == start => *end = start + hour,
            _ => ranges.push((start, start + hour)),
        }
    }
    ranges
}

// ---------------------------------------------------------------------------------------------
// What the settings show

/// What a run with this cutoff would delete now (the rule in the module docs), counted in one
/// snapshot over the time and trace indexes. Its cost is proportional to what expires (a day's
/// worth is quick; the first shortening over a large history reads every expired row once).
pub async fn count_expired(pool: &PgPool, project_id: &ProjectId, cutoff: DateTime<Utc>) -> Result<ExpiredCounts, StoreError> {
    Ok(count_expired_many(pool, &[(project_id.clone(), cutoff)]).await?.pop().unwrap_or_default())
}

/// [`count_expired`] for several projects, each with its own cutoff, in one statement and one
/// snapshot (a plan change that shortens many projects' retention): the counts in the order given.
pub async fn count_expired_many(pool: &PgPool, cutoffs: &[(ProjectId, DateTime<Utc>)]) -> Result<Vec<ExpiredCounts>, StoreError> {
    if cutoffs.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    let counts = count_expired_in(&mut tx, cutoffs).await?;
    tx.commit().await?;
    Ok(counts)
}

/// [`count_expired_many`] on the caller's connection, in its transaction (one statement, one
/// snapshot): a plan change re-counts under its own locks just before it is applied (#22).
pub async fn count_expired_in(conn: &mut sqlx::PgConnection, cutoffs: &[(ProjectId, DateTime<Utc>)]) -> Result<Vec<ExpiredCounts>, StoreError> {
    if cutoffs.is_empty() {
        return Ok(Vec::new());
    }
    let projects: Vec<&str> = cutoffs.iter().map(|(project, _)| project.as_str()).collect();
    let times: Vec<DateTime<Utc>> = cutoffs.iter().map(|(_, cutoff)| *cutoff).collect();
    // Each project's counts are index scans parameterized by its id and cutoff (LATERAL).
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT x.traces, x.observations, x.scores
         FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS a(project_id, cutoff, n)
         CROSS JOIN LATERAL (SELECT
           (SELECT count(*) FROM traces WHERE project_id = a.project_id AND timestamp < a.cutoff) AS traces,
           -- An expired trace's observations and scores, whatever their own times ...
           (SELECT count(*) FROM traces t JOIN observations o ON o.project_id = a.project_id AND o.trace_id = t.id
            WHERE t.project_id = a.project_id AND t.timestamp < a.cutoff)
           -- ... and those whose trace is gone, by their own time.
           + (SELECT count(*) FROM observations o WHERE o.project_id = a.project_id AND o.start_time < a.cutoff
                AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = a.project_id AND t.id = o.trace_id)) AS observations,
           (SELECT count(*) FROM traces t JOIN scores s ON s.project_id = a.project_id AND s.trace_id = t.id
            WHERE t.project_id = a.project_id AND t.timestamp < a.cutoff)
           + (SELECT count(*) FROM scores s WHERE s.project_id = a.project_id AND s.timestamp < a.cutoff
                AND (s.trace_id IS NULL OR NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = a.project_id AND t.id = s.trace_id))) AS scores
         ) x
         ORDER BY a.n",
    )
    .bind(&projects)
    .bind(&times)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(traces, observations, scores)| ExpiredCounts { traces, observations, scores }).collect())
}

/// What saving `project_days` as the project's setting would do (checked by the caller).
pub async fn preview(pool: &PgPool, project_id: &ProjectId, project_days: Option<i32>) -> Result<RetentionPreview, StoreError> {
    let mut conn = pool.acquire().await?;
    let current = crate::limits::retention_of_project(&mut conn, project_id).await?;
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&mut *conn).await?;
    drop(conn);
    let next = current.with_project_days(project_days);
    let effective_days = next.effective_days();
    let cutoff = effective_days.map(|days| loupe_domain::retention::cutoff(now, days));
    let expired = match cutoff {
        Some(cutoff) => count_expired(pool, project_id, cutoff).await?,
        None => ExpiredCounts::default(),
    };
    Ok(RetentionPreview {
        project_days,
        effective_days,
        cutoff,
        shortening: loupe_domain::retention::is_shortening(current.effective_days(), effective_days),
        expired,
    })
}

/// Sets the project's own retention (`None`: the plan's); the previous setting.
pub async fn set_project_days(conn: &mut PgConnection, project_id: &ProjectId, days: Option<i32>) -> Result<Option<i32>, StoreError> {
    sqlx::query_scalar(
        "UPDATE projects p SET retention_days = $2, updated_at = now()
         FROM (SELECT id, retention_days FROM projects WHERE id = $1 AND deleted_at IS NULL FOR UPDATE) old
         WHERE p.id = old.id RETURNING old.retention_days",
    )
    .bind(project_id)
    .bind(days)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

const RUN_COLUMNS: &str = "id, trigger, retention_days, cutoff, started_at, finished_at, traces_deleted, observations_deleted, \
                           scores_deleted, sessions_deleted, media_deleted, error";

fn run_from_row(row: &sqlx::postgres::PgRow) -> Result<RetentionRun, StoreError> {
    Ok(RetentionRun {
        id: row.try_get("id")?,
        trigger: RetentionTrigger::parse(row.try_get("trigger")?),
        retention_days: row.try_get("retention_days")?,
        cutoff: row.try_get("cutoff")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        traces_deleted: row.try_get("traces_deleted")?,
        observations_deleted: row.try_get("observations_deleted")?,
        scores_deleted: row.try_get("scores_deleted")?,
        sessions_deleted: row.try_get("sessions_deleted")?,
        media_deleted: row.try_get("media_deleted")?,
        error: row.try_get("error")?,
    })
}

/// The project's newest run.
pub async fn last_run(pool: &PgPool, project_id: &ProjectId) -> Result<Option<RetentionRun>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM retention_runs WHERE project_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1"
    ))
    .bind(project_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(run_from_row).transpose()
}

/// The settings section: the policy, the newest run, and whether a run is queued or running.
pub async fn settings(pool: &PgPool, project_id: &ProjectId) -> Result<RetentionSettings, StoreError> {
    let mut conn = pool.acquire().await?;
    let policy = crate::limits::retention_of_project(&mut conn, project_id).await?;
    drop(conn);
    let last_run = last_run(pool, project_id).await?;
    let pending = crate::jobs::queue::is_pending(pool, PROJECT_KIND, project_id.as_str()).await?;
    Ok(RetentionSettings { policy, last_run, pending })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn deleted_times_become_ranges_of_consecutive_hours() {
        let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 1, 1, h, m, 0).unwrap();
        let times = vec![at(5, 10), at(3, 59), at(3, 0), at(4, 30), at(9, 1), at(5, 59)];
        assert_eq!(hour_ranges(&times), vec![(at(3, 0), at(6, 0)), (at(9, 0), at(10, 0))]);
        assert!(hour_ranges(&[]).is_empty());
    }
}
