//! LLM-as-judge evaluators (#21): custom templates, evaluators, their executions and backfills
//! (`evaluation_*` tables, `migrations/…_create_evaluators.sql`), and the scans that find the
//! targets to evaluate. The jobs that drive them are `crate::evaluation`'s.
//!
//! Every function over one project takes its `ProjectId`. The few that span projects are the
//! scheduler's (the active evaluators of every project, the sweep of executions whose job died):
//! they are work of the instance, not of a caller.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};

use super::StoreError;
use crate::scope::ProjectId;
use loupe_domain::evaluators::{
    Backfill, BackfillState, CheckedEvaluator, Evaluator, EvaluatorStatus, EvaluatorTarget, Execution, ExecutionCounts, ExecutionStatus,
    OutputDefinition, Template, TemplateInput, VariableMapping, JUDGE_ENVIRONMENT,
};
use loupe_domain::trace_list::{ListSpec, TraceListQuery};

fn decode<T: serde::de::DeserializeOwned>(row: &PgRow, column: &str) -> Result<T, StoreError> {
    let value: Value = row.try_get(column)?;
    serde_json::from_value(value).map_err(|e| StoreError::from(sqlx::Error::Decode(format!("evaluators.{column}: {e}").into())))
}

fn encode<T: serde::Serialize>(value: &T) -> Value {
    // Plain serde types of the domain: serializing them cannot fail.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------------------
// Templates

fn template_from_row(row: &PgRow) -> Result<Template, StoreError> {
    let prompt: String = row.try_get("prompt")?;
    Ok(Template {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        variables: loupe_domain::evaluators::variables(&prompt),
        prompt,
        output: decode(row, "output")?,
        builtin: false,
        created_at: Some(row.try_get("created_at")?),
    })
}

/// The project's own templates, by name.
pub async fn templates(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<Template>, StoreError> {
    let rows = sqlx::query("SELECT id, name, description, prompt, output, created_at FROM evaluation_templates WHERE project_id = $1 ORDER BY name, id")
        .bind(project_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(template_from_row).collect()
}

/// A template by id: a built-in, or one of the project's.
pub async fn template(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Template>, StoreError> {
    if let Some(builtin) = loupe_domain::evaluators::builtin_template(id) {
        return Ok(Some(builtin));
    }
    let row = sqlx::query("SELECT id, name, description, prompt, output, created_at FROM evaluation_templates WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(template_from_row).transpose()
}

/// Stores a checked template; a name already used is a `Conflict`.
pub async fn create_template(conn: &mut PgConnection, project_id: &ProjectId, input: &TemplateInput, created_by: &str) -> Result<Template, StoreError> {
    let row = sqlx::query(
        "INSERT INTO evaluation_templates (project_id, id, name, description, prompt, output, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, name, description, prompt, output, created_at",
    )
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&input.name)
    .bind(&input.description)
    .bind(&input.prompt)
    .bind(encode(&input.output))
    .bind(created_by)
    .fetch_one(conn)
    .await?;
    template_from_row(&row)
}

// ---------------------------------------------------------------------------------------------
// Evaluators

const EVALUATOR_COLUMNS: &str = "id, name, score_name, status, template_id, template_name, prompt, output, connection, model, target, \
                                 filter, sampling, delay_ms, mapping, created_by, created_at, updated_at";

fn evaluator_from_row(row: &PgRow) -> Result<Evaluator, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Evaluator {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        score_name: row.try_get("score_name")?,
        status: EvaluatorStatus::parse(&status).ok_or_else(|| sqlx::Error::Decode(format!("evaluators.status {status:?}").into()))?,
        template_id: row.try_get("template_id")?,
        template_name: row.try_get("template_name")?,
        prompt: row.try_get("prompt")?,
        output: decode(row, "output")?,
        connection: row.try_get("connection")?,
        model: row.try_get("model")?,
        target: decode(row, "target")?,
        filter: decode(row, "filter")?,
        sampling: row.try_get("sampling")?,
        delay_ms: row.try_get("delay_ms")?,
        mapping: decode(row, "mapping")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The project's evaluators, by name.
pub async fn list(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<Evaluator>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {EVALUATOR_COLUMNS} FROM evaluators WHERE project_id = $1 ORDER BY name, id"))
        .bind(project_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(evaluator_from_row).collect()
}

pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Evaluator>, StoreError> {
    let row = sqlx::query(&format!("SELECT {EVALUATOR_COLUMNS} FROM evaluators WHERE project_id = $1 AND id = $2"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(evaluator_from_row).transpose()
}

/// Creates an evaluator from a checked input and a snapshot of `template`. Its scan for new
/// targets starts now: existing targets are a backfill's.
pub async fn create(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    input: &CheckedEvaluator,
    template: &Template,
    created_by: &str,
) -> Result<Evaluator, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO evaluators (project_id, id, name, score_name, template_id, template_name, prompt, output, connection, model,
                                 target_kind, target, filter, sampling, delay_ms, mapping, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         RETURNING {EVALUATOR_COLUMNS}"
    ))
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&input.name)
    .bind(&input.score_name)
    .bind(&template.id)
    .bind(&template.name)
    .bind(&template.prompt)
    .bind(encode(&template.output))
    .bind(&input.connection)
    .bind(&input.model)
    .bind(input.target.kind())
    .bind(encode(&input.target))
    .bind(encode(&input.filter))
    .bind(input.sampling)
    .bind(input.delay_ms)
    .bind(encode(&input.mapping))
    .bind(created_by)
    .fetch_one(conn)
    .await?;
    evaluator_from_row(&row)
}

/// Replaces an evaluator's settings and its template snapshot (saving is the explicit act that
/// takes the template's current prompt). Its scan continues where it was. `None`: no such
/// evaluator in the project.
pub async fn update(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
    input: &CheckedEvaluator,
    template: &Template,
) -> Result<Option<Evaluator>, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE evaluators SET name = $3, score_name = $4, template_id = $5, template_name = $6, prompt = $7, output = $8,
                connection = $9, model = $10, target_kind = $11, target = $12, filter = $13, sampling = $14, delay_ms = $15,
                mapping = $16, updated_at = now()
         WHERE project_id = $1 AND id = $2
         RETURNING {EVALUATOR_COLUMNS}"
    ))
    .bind(project_id)
    .bind(id)
    .bind(&input.name)
    .bind(&input.score_name)
    .bind(&template.id)
    .bind(&template.name)
    .bind(&template.prompt)
    .bind(encode(&template.output))
    .bind(&input.connection)
    .bind(&input.model)
    .bind(input.target.kind())
    .bind(encode(&input.target))
    .bind(encode(&input.filter))
    .bind(input.sampling)
    .bind(input.delay_ms)
    .bind(encode(&input.mapping))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(evaluator_from_row).transpose()
}

/// Sets the status; the evaluator as it was before (`None`: not in the project). Takes the row
/// lock the scheduler's scan holds, so a pause waits for a scan in progress and no scan starts
/// after it.
pub async fn set_status(conn: &mut PgConnection, project_id: &ProjectId, id: &str, status: EvaluatorStatus) -> Result<Option<Evaluator>, StoreError> {
    let before = sqlx::query(&format!("SELECT {EVALUATOR_COLUMNS} FROM evaluators WHERE project_id = $1 AND id = $2 FOR UPDATE"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(before) = before.as_ref().map(evaluator_from_row).transpose()? else { return Ok(None) };
    sqlx::query("UPDATE evaluators SET status = $3, updated_at = now() WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .bind(status.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(Some(before))
}

/// Executions counted by status for each of these evaluators.
pub async fn counts(pool: &PgPool, project_id: &ProjectId, evaluator_ids: &[String]) -> Result<Vec<(String, ExecutionCounts)>, StoreError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT evaluator_id, status, count(*) FROM evaluation_executions
         WHERE project_id = $1 AND evaluator_id = ANY($2) GROUP BY evaluator_id, status",
    )
    .bind(project_id)
    .bind(evaluator_ids)
    .fetch_all(pool)
    .await?;
    let mut out: Vec<(String, ExecutionCounts)> = evaluator_ids.iter().map(|id| (id.clone(), ExecutionCounts::default())).collect();
    for (evaluator_id, status, n) in rows {
        if let (Some(slot), Some(status)) = (out.iter_mut().find(|(id, _)| *id == evaluator_id), ExecutionStatus::parse(&status)) {
            slot.1.add(status, n);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Executions

const EXECUTION_COLUMNS: &str = "id, evaluator_id, status, trace_id, observation_id, dataset_item_id, dataset_run_item_id, backfill_id, \
                                 attempts, created_at, scheduled_for, started_at, finished_at, latency_ms, cost, error, score_id, judge_trace_id";

fn execution_from_row(row: &PgRow) -> Result<Execution, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Execution {
        id: row.try_get("id")?,
        evaluator_id: row.try_get("evaluator_id")?,
        status: ExecutionStatus::parse(&status).ok_or_else(|| sqlx::Error::Decode(format!("evaluation_executions.status {status:?}").into()))?,
        trace_id: row.try_get("trace_id")?,
        observation_id: row.try_get("observation_id")?,
        dataset_item_id: row.try_get("dataset_item_id")?,
        dataset_run_item_id: row.try_get("dataset_run_item_id")?,
        backfill_id: row.try_get("backfill_id")?,
        attempts: row.try_get("attempts")?,
        created_at: row.try_get("created_at")?,
        scheduled_for: row.try_get("scheduled_for")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        latency_ms: row.try_get("latency_ms")?,
        cost: row.try_get("cost")?,
        error: row.try_get("error")?,
        score_id: row.try_get("score_id")?,
        judge_trace_id: row.try_get("judge_trace_id")?,
    })
}

/// A page of an evaluator's executions, newest first, of one status or all; the matching total.
pub async fn executions(
    pool: &PgPool,
    project_id: &ProjectId,
    evaluator_id: &str,
    status: Option<ExecutionStatus>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Execution>, i64), StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {EXECUTION_COLUMNS} FROM evaluation_executions
         WHERE project_id = $1 AND evaluator_id = $2 AND ($3::text IS NULL OR status = $3)
         ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(project_id)
    .bind(evaluator_id)
    .bind(status.map(ExecutionStatus::as_str))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM evaluation_executions WHERE project_id = $1 AND evaluator_id = $2 AND ($3::text IS NULL OR status = $3)",
    )
    .bind(project_id)
    .bind(evaluator_id)
    .bind(status.map(ExecutionStatus::as_str))
    .fetch_one(pool)
    .await?;
    Ok((rows.iter().map(execution_from_row).collect::<Result<_, _>>()?, total))
}

pub async fn execution(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Execution>, StoreError> {
    let row = sqlx::query(&format!("SELECT {EXECUTION_COLUMNS} FROM evaluation_executions WHERE project_id = $1 AND id = $2"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(execution_from_row).transpose()
}

/// What the execute job needs: the execution and its evaluator.
#[derive(Debug, Clone)]
pub struct ExecutionWork {
    pub execution: Execution,
    pub job_id: Option<i64>,
    pub environment: String,
    pub evaluator: Evaluator,
}

pub async fn execution_work(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<ExecutionWork>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT e.id, e.evaluator_id, e.status, e.trace_id, e.observation_id, e.dataset_item_id, e.dataset_run_item_id, e.backfill_id,
                e.attempts, e.created_at, e.scheduled_for, e.started_at, e.finished_at, e.latency_ms, e.cost, e.error, e.score_id,
                e.judge_trace_id, e.job_id, e.environment AS target_environment,
                {}
         FROM evaluation_executions e JOIN evaluators v ON v.project_id = e.project_id AND v.id = e.evaluator_id
         WHERE e.project_id = $1 AND e.id = $2",
        EVALUATOR_COLUMNS.split(", ").map(|c| format!("v.{c} AS v_{c}")).collect::<Vec<_>>().join(", ")
    ))
    .bind(project_id)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let execution = execution_from_row(&row)?;
    // The evaluator's columns come prefixed (`v_…`): both tables have `id` and `created_at`.
    let evaluator = evaluator_from_prefixed(&row)?;
    Ok(Some(ExecutionWork { execution, job_id: row.try_get("job_id")?, environment: row.try_get("target_environment")?, evaluator }))
}

fn evaluator_from_prefixed(row: &PgRow) -> Result<Evaluator, StoreError> {
    fn json<T: serde::de::DeserializeOwned>(row: &PgRow, column: &str) -> Result<T, StoreError> {
        decode(row, &format!("v_{column}"))
    }
    let status: String = row.try_get("v_status")?;
    Ok(Evaluator {
        id: row.try_get("v_id")?,
        name: row.try_get("v_name")?,
        score_name: row.try_get("v_score_name")?,
        status: EvaluatorStatus::parse(&status).ok_or_else(|| sqlx::Error::Decode(format!("evaluators.status {status:?}").into()))?,
        template_id: row.try_get("v_template_id")?,
        template_name: row.try_get("v_template_name")?,
        prompt: row.try_get("v_prompt")?,
        output: json::<OutputDefinition>(row, "output")?,
        connection: row.try_get("v_connection")?,
        model: row.try_get("v_model")?,
        target: json::<EvaluatorTarget>(row, "target")?,
        filter: json::<TraceListQuery>(row, "filter")?,
        sampling: row.try_get("v_sampling")?,
        delay_ms: row.try_get("v_delay_ms")?,
        mapping: json::<Vec<VariableMapping>>(row, "mapping")?,
        created_by: row.try_get("v_created_by")?,
        created_at: row.try_get("v_created_at")?,
        updated_at: row.try_get("v_updated_at")?,
    })
}

/// Marks the execution running for `job_id`, counting an attempt; `false` when it is not that
/// job's (any more) or already final.
pub async fn start_execution(pool: &PgPool, project_id: &ProjectId, id: &str, job_id: i64) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE evaluation_executions SET status = 'running', started_at = coalesce(started_at, now()), attempts = attempts + 1,
                updated_at = now()
         WHERE project_id = $1 AND id = $2 AND job_id = $3 AND status IN ('pending', 'delayed', 'running')",
    )
    .bind(project_id)
    .bind(id)
    .bind(job_id)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(updated > 0)
}

/// Back to waiting (its evaluator was paused): resuming enqueues it again.
pub async fn park_execution(pool: &PgPool, project_id: &ProjectId, id: &str, job_id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE evaluation_executions SET status = 'pending', updated_at = now()
         WHERE project_id = $1 AND id = $2 AND job_id = $3 AND status = 'running'",
    )
    .bind(project_id)
    .bind(id)
    .bind(job_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// The provider asked to wait: `delayed` until `until`, with the reason.
pub async fn delay_execution(pool: &PgPool, project_id: &ProjectId, id: &str, job_id: i64, until: DateTime<Utc>, why: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE evaluation_executions SET status = 'delayed', scheduled_for = $4, error = $5, updated_at = now()
         WHERE project_id = $1 AND id = $2 AND job_id = $3 AND status = 'running'",
    )
    .bind(project_id)
    .bind(id)
    .bind(job_id)
    .bind(until)
    .bind(why)
    .execute(pool)
    .await?;
    Ok(())
}

/// How an execution ended.
#[derive(Debug, Clone, Default)]
pub struct Ending {
    pub error: Option<String>,
    pub score_id: Option<String>,
    pub judge_trace_id: Option<String>,
    pub latency_ms: Option<i64>,
    pub cost: Option<f64>,
}

/// Ends the execution (in the caller's transaction, beside its score): `false` when it is not
/// `job_id`'s running execution any more, and the caller must roll back.
pub async fn finish_execution(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
    job_id: i64,
    status: ExecutionStatus,
    ending: &Ending,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE evaluation_executions SET status = $4, error = $5, score_id = $6, judge_trace_id = $7, latency_ms = $8, cost = $9,
                finished_at = now(), updated_at = now()
         WHERE project_id = $1 AND id = $2 AND job_id = $3 AND status = 'running'",
    )
    .bind(project_id)
    .bind(id)
    .bind(job_id)
    .bind(status.as_str())
    .bind(&ending.error)
    .bind(&ending.score_id)
    .bind(&ending.judge_trace_id)
    .bind(ending.latency_ms)
    .bind(ending.cost)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated > 0)
}

/// Executions left open whose job failed for good (its worker died during the last attempt):
/// ended as errors with the job's last error. Spans projects (the scheduler's upkeep).
pub async fn sweep_abandoned(pool: &PgPool) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE evaluation_executions e SET status = 'error', finished_at = now(), updated_at = now(),
                error = 'the evaluation job failed for good: ' || coalesce(j.last_error, 'no error recorded')
         FROM jobs j
         WHERE j.id = e.job_id AND j.state = 'failed' AND e.status IN ('pending', 'delayed', 'running')",
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// A target the scan found.
#[derive(Debug, Clone)]
pub struct FoundTarget {
    pub key: String,
    pub trace_id: String,
    pub observation_id: Option<String>,
    pub dataset_run_item_id: Option<String>,
    pub dataset_item_id: Option<String>,
    pub dataset_item_version: Option<DateTime<Utc>>,
    pub environment: String,
    pub created_at: DateTime<Utc>,
}

/// Creates executions for `targets` (those the evaluator has none for yet) with their jobs due
/// at `due`, in the caller's transaction; how many were created. `execution_id` derives each
/// execution's id from its target key.
pub async fn create_executions(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    evaluator_id: &str,
    backfill_id: Option<&str>,
    targets: &[FoundTarget],
    due: DateTime<Utc>,
    execution_id: impl Fn(&str) -> String,
    job_kind: &str,
    max_attempts: i32,
) -> Result<u64, StoreError> {
    if targets.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = targets.iter().map(|t| execution_id(&t.key)).collect();
    let column = |f: &dyn Fn(&FoundTarget) -> Option<String>| targets.iter().map(f).collect::<Vec<Option<String>>>();
    let created: Vec<String> = sqlx::query_scalar(
        "INSERT INTO evaluation_executions (project_id, id, evaluator_id, target_key, trace_id, observation_id, dataset_run_item_id,
                                            dataset_item_id, dataset_item_version, environment, backfill_id, scheduled_for)
         SELECT $1, x.id, $2, x.key, x.trace_id, x.observation_id, x.run_item_id, x.item_id, x.item_version, x.environment, $3, $4
         FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::text[])
              AS x(id, key, trace_id, observation_id, run_item_id, item_id, item_version, environment)
         ON CONFLICT DO NOTHING
         RETURNING id",
    )
    .bind(project_id)
    .bind(evaluator_id)
    .bind(backfill_id)
    .bind(due)
    .bind(&ids)
    .bind(targets.iter().map(|t| t.key.clone()).collect::<Vec<_>>())
    .bind(targets.iter().map(|t| t.trace_id.clone()).collect::<Vec<_>>())
    .bind(column(&|t| t.observation_id.clone()))
    .bind(column(&|t| t.dataset_run_item_id.clone()))
    .bind(column(&|t| t.dataset_item_id.clone()))
    .bind(targets.iter().map(|t| t.dataset_item_version).collect::<Vec<_>>())
    .bind(targets.iter().map(|t| t.environment.clone()).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    enqueue(conn, project_id, &created, &vec![due; created.len()], job_kind, max_attempts).await?;
    Ok(created.len() as u64)
}

/// One job per execution, due at its time, recorded as the execution's job.
async fn enqueue(conn: &mut PgConnection, project_id: &ProjectId, ids: &[String], due: &[DateTime<Utc>], job_kind: &str, max_attempts: i32) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let payloads: Vec<Value> = ids.iter().map(|id| serde_json::json!({"projectId": project_id.as_str(), "executionId": id})).collect();
    let jobs = crate::jobs::queue::enqueue_many_at(&mut *conn, job_kind, &payloads, due, max_attempts).await?;
    sqlx::query(
        "UPDATE evaluation_executions e SET job_id = x.job_id FROM unnest($2::text[], $3::bigint[]) AS x(id, job_id)
         WHERE e.project_id = $1 AND e.id = x.id",
    )
    .bind(project_id)
    .bind(ids)
    .bind(&jobs)
    .execute(conn)
    .await?;
    Ok(())
}

/// Resuming: every waiting execution of the evaluator gets a new job (due when it was due, or
/// now), which replaces any job it had. Jobs left from before the pause find another job id on
/// their execution and do nothing. How many.
pub async fn requeue_waiting(conn: &mut PgConnection, project_id: &ProjectId, evaluator_id: &str, job_kind: &str, max_attempts: i32) -> Result<u64, StoreError> {
    let waiting: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT e.id, greatest(e.scheduled_for, now()) FROM evaluation_executions e
         WHERE e.project_id = $1 AND e.evaluator_id = $2
           AND (e.status IN ('pending', 'delayed')
                OR (e.status = 'running' AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = e.job_id AND j.state = 'running')))
         FOR UPDATE",
    )
    .bind(project_id)
    .bind(evaluator_id)
    .fetch_all(&mut *conn)
    .await?;
    let (ids, due): (Vec<String>, Vec<DateTime<Utc>>) = waiting.into_iter().unzip();
    enqueue(conn, project_id, &ids, &due, job_kind, max_attempts).await?;
    Ok(ids.len() as u64)
}

// ---------------------------------------------------------------------------------------------
// Scans

/// The deterministic sampling of a target id in SQL: Langfuse's
/// `top53bits(sha256("langfuse:evaluation-sampling:v1\0" + id)) / 2^53 < rate`, the same test as
/// `crate::evaluation::sampled` (a test holds them equal).
fn push_sampled(qb: &mut QueryBuilder<'static, Postgres>, id_column: &str, rate: f64) {
    if rate >= 1.0 {
        return;
    }
    qb.push(format!(
        " AND ((('x' || left(encode(sha256(convert_to('langfuse:evaluation-sampling:v1', 'UTF8') || '\\x00'::bytea \
         || convert_to({id_column}, 'UTF8')), 'hex'), 16))::bit(64) >> 11)::bigint)::float8 < "
    ))
    .push_bind(rate * 9_007_199_254_740_992.0);
}

/// Targets in the judge's own environment or Langfuse's internal ones are never evaluated
/// (`loupe_domain::evaluators::is_guarded_environment`).
fn push_guard(qb: &mut QueryBuilder<'static, Postgres>, environment_column: &str) {
    qb.push(format!(" AND {environment_column} <> ")).push_bind(JUDGE_ENVIRONMENT).push(format!(" AND {environment_column} NOT LIKE 'langfuse%'"));
}

/// A scan's window: targets created after `after` (a `(created_at, id)` keyset) and before
/// `before`.
#[derive(Debug, Clone)]
pub struct Window {
    pub after: (DateTime<Utc>, String),
    pub before: DateTime<Utc>,
}

/// The trace/observation query of an evaluator's targets, selecting what [`FoundTarget`] needs
/// (`limit`: `Some` for a page in keyset order, `None` for a count's subquery).
#[allow(clippy::too_many_arguments)]
fn target_query(
    prefix: &str,
    project_id: &ProjectId,
    target: &EvaluatorTarget,
    spec: &ListSpec,
    filtered: bool,
    sampling: f64,
    window: Option<&Window>,
    limit: Option<i64>,
) -> QueryBuilder<'static, Postgres> {
    let mut qb = QueryBuilder::new(prefix.to_string());
    let (key, created, environment) = match target {
        EvaluatorTarget::Observation { types, name } => {
            qb.push(
                "SELECT o.id AS key, o.trace_id, o.id AS observation_id, NULL::text AS run_item_id, NULL::text AS item_id, \
                 NULL::timestamptz AS item_version, o.environment, o.created_at FROM observations o ",
            );
            if filtered {
                // The trace's filters need its row: an observation whose trace has not arrived is
                // not matched (the delay gives it time to).
                qb.push("JOIN traces t ON t.project_id = o.project_id AND t.id = o.trace_id LEFT JOIN trace_metrics m ON m.project_id = t.project_id AND m.trace_id = t.id ");
            }
            qb.push("WHERE o.project_id = ").push_bind(project_id.to_string());
            if !types.is_empty() {
                qb.push(" AND o.type = ANY(").push_bind(types.iter().map(|t| t.as_str().to_string()).collect::<Vec<_>>()).push(")");
            }
            if let Some(name) = name {
                qb.push(" AND o.name = ").push_bind(name.clone());
            }
            ("o.id", "o.created_at", "o.environment")
        }
        // Dataset run targets are scanned by `dataset_target_query`.
        EvaluatorTarget::Trace | EvaluatorTarget::DatasetRun { .. } => {
            qb.push(
                "SELECT t.id AS key, t.id AS trace_id, NULL::text AS observation_id, NULL::text AS run_item_id, NULL::text AS item_id, \
                 NULL::timestamptz AS item_version, t.environment, t.created_at \
                 FROM traces t LEFT JOIN trace_metrics m ON m.project_id = t.project_id AND m.trace_id = t.id WHERE t.project_id = ",
            )
            .push_bind(project_id.to_string());
            ("t.id", "t.created_at", "t.environment")
        }
    };
    if filtered {
        super::trace_list::push_filters(&mut qb, spec, false);
    }
    push_guard(&mut qb, environment);
    push_sampled(&mut qb, key, sampling);
    if let Some(window) = window {
        qb.push(format!(" AND ({created}, {key}) > ("))
            .push_bind(window.after.0)
            .push(", ")
            .push_bind(window.after.1.clone())
            .push(format!(") AND {created} < "))
            .push_bind(window.before);
    }
    if let Some(limit) = limit {
        qb.push(format!(" ORDER BY {created}, {key} LIMIT ")).push_bind(limit);
    }
    qb
}

/// Dataset run items (experiments) with their dataset item's expected output version.
fn dataset_target_query(
    prefix: &str,
    project_id: &ProjectId,
    dataset_id: Option<&str>,
    sampling: f64,
    window: Option<&Window>,
    limit: Option<i64>,
) -> QueryBuilder<'static, Postgres> {
    let mut qb = QueryBuilder::new(prefix.to_string());
    qb.push(
        "SELECT r.id AS key, r.trace_id, r.observation_id, r.id AS run_item_id, r.dataset_item_id AS item_id, \
         r.dataset_item_version AS item_version, coalesce(t.environment, 'default') AS environment, r.created_at \
         FROM dataset_run_items r LEFT JOIN traces t ON t.project_id = r.project_id AND t.id = r.trace_id WHERE r.project_id = ",
    );
    qb.push_bind(project_id.to_string());
    if let Some(dataset_id) = dataset_id {
        qb.push(" AND r.run_id IN (SELECT d.id FROM dataset_runs d WHERE d.project_id = r.project_id AND d.dataset_id = ")
            .push_bind(dataset_id.to_string())
            .push(")");
    }
    qb.push(" AND coalesce(t.environment, 'default') <> ").push_bind(JUDGE_ENVIRONMENT).push(" AND coalesce(t.environment, 'default') NOT LIKE 'langfuse%'");
    push_sampled(&mut qb, "r.id", sampling);
    if let Some(window) = window {
        qb.push(" AND (r.created_at, r.id) > (")
            .push_bind(window.after.0)
            .push(", ")
            .push_bind(window.after.1.clone())
            .push(") AND r.created_at < ")
            .push_bind(window.before);
    }
    if let Some(limit) = limit {
        qb.push(" ORDER BY r.created_at, r.id LIMIT ").push_bind(limit);
    }
    qb
}

/// The evaluator's filter as the list's spec, and whether it filters anything.
pub fn filter_spec(filter: &TraceListQuery) -> Result<(ListSpec, bool), String> {
    let spec = filter.parse(DateTime::<Utc>::UNIX_EPOCH).map_err(|(key, problem)| format!("filter.{key}: {problem:?}"))?;
    Ok((spec, filter.is_filtered()))
}

fn found_from_row(row: &PgRow) -> Result<FoundTarget, StoreError> {
    Ok(FoundTarget {
        key: row.try_get("key")?,
        trace_id: row.try_get("trace_id")?,
        observation_id: row.try_get("observation_id")?,
        dataset_run_item_id: row.try_get("run_item_id")?,
        dataset_item_id: row.try_get("item_id")?,
        dataset_item_version: row.try_get("item_version")?,
        environment: row.try_get("environment")?,
        created_at: row.try_get("created_at")?,
    })
}

/// One page (in `(created_at, id)` order) of the evaluator's targets inside `window`: filter,
/// loop guard and sampling applied.
pub async fn scan(conn: &mut PgConnection, project_id: &ProjectId, evaluator: &Evaluator, window: &Window, limit: i64) -> Result<Vec<FoundTarget>, StoreError> {
    let mut qb = match &evaluator.target {
        EvaluatorTarget::DatasetRun { dataset_id } => dataset_target_query("", project_id, dataset_id.as_deref(), evaluator.sampling, Some(window), Some(limit)),
        target => {
            let (spec, filtered) = filter_spec(&evaluator.filter).map_err(StoreError::BadValue)?;
            target_query("", project_id, target, &spec, filtered, evaluator.sampling, Some(window), Some(limit))
        }
    };
    qb.build().persistent(false).fetch_all(conn).await?.iter().map(found_from_row).collect()
}

/// How many existing targets match the evaluator's filter, and how many of them its sampling
/// picks.
pub async fn count_existing(pool: &PgPool, project_id: &ProjectId, evaluator: &Evaluator) -> Result<(i64, i64), StoreError> {
    let count = |sampling: f64| async move {
        let mut qb = match &evaluator.target {
            EvaluatorTarget::DatasetRun { dataset_id } => {
                dataset_target_query("SELECT count(*) FROM (", project_id, dataset_id.as_deref(), sampling, None, None)
            }
            target => {
                let (spec, filtered) = filter_spec(&evaluator.filter).map_err(StoreError::BadValue)?;
                target_query("SELECT count(*) FROM (", project_id, target, &spec, filtered, sampling, None, None)
            }
        };
        qb.push(") AS found");
        let n: i64 = qb.build_query_scalar().persistent(false).fetch_one(pool).await?;
        Ok::<i64, StoreError>(n)
    };
    let matching = count(1.0).await?;
    let sampled = if evaluator.sampling >= 1.0 { matching } else { count(evaluator.sampling).await? };
    Ok((matching, sampled))
}

/// The latest target matching the evaluator's filter (for the preview), or the given trace's
/// own (a trace target: the trace; an observation target: its first matching observation).
pub async fn preview_target(
    pool: &PgPool,
    project_id: &ProjectId,
    target: &EvaluatorTarget,
    filter: &TraceListQuery,
    trace_id: Option<&str>,
) -> Result<Option<FoundTarget>, StoreError> {
    let mut qb = match target {
        EvaluatorTarget::DatasetRun { dataset_id } => dataset_target_query("", project_id, dataset_id.as_deref(), 1.0, None, None),
        target => {
            let (spec, filtered) = filter_spec(filter).map_err(StoreError::BadValue)?;
            // A trace named by id is previewed whatever the filter says: the person chose it.
            let filtered = filtered && trace_id.is_none();
            target_query("", project_id, target, &spec, filtered, 1.0, None, None)
        }
    };
    let (trace_column, order) = match target {
        EvaluatorTarget::Trace => ("t.id", " ORDER BY t.timestamp DESC, t.id DESC LIMIT 1"),
        EvaluatorTarget::Observation { .. } if trace_id.is_some() => ("o.trace_id", " ORDER BY o.start_time, o.id LIMIT 1"),
        EvaluatorTarget::Observation { .. } => ("o.trace_id", " ORDER BY o.start_time DESC, o.id DESC LIMIT 1"),
        EvaluatorTarget::DatasetRun { .. } => ("r.trace_id", " ORDER BY r.created_at DESC, r.id DESC LIMIT 1"),
    };
    if let Some(trace_id) = trace_id {
        qb.push(format!(" AND {trace_column} = ")).push_bind(trace_id.to_string());
    }
    qb.push(order);
    let row = qb.build().persistent(false).fetch_optional(pool).await?;
    row.as_ref().map(found_from_row).transpose()
}

/// A target's fields a mapping reads.
#[derive(Debug, Clone, Default)]
pub struct TargetFields {
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub metadata: Option<Value>,
    pub expected_output: Option<Value>,
}

/// The input, output and metadata of the trace (or observation), and the dataset item's
/// expected output (the version the run used); `None` when the target is gone.
pub async fn target_fields(pool: &PgPool, project_id: &ProjectId, target: &FoundTarget) -> Result<Option<TargetFields>, StoreError> {
    let row: Option<(Option<Value>, Option<Value>, Option<Value>)> = match &target.observation_id {
        Some(observation_id) if target.dataset_run_item_id.is_none() => {
            sqlx::query_as("SELECT input, output, metadata FROM observations WHERE project_id = $1 AND id = $2")
                .bind(project_id)
                .bind(observation_id)
                .fetch_optional(pool)
                .await?
        }
        _ => sqlx::query_as("SELECT input, output, metadata FROM traces WHERE project_id = $1 AND id = $2")
            .bind(project_id)
            .bind(&target.trace_id)
            .fetch_optional(pool)
            .await?,
    };
    let Some((input, output, metadata)) = row else { return Ok(None) };
    let expected_output = match &target.dataset_item_id {
        Some(item_id) => {
            let expected: Option<Option<Value>> = sqlx::query_scalar(
                "SELECT expected_output FROM dataset_items WHERE project_id = $1 AND id = $2
                   AND ($3::timestamptz IS NULL OR valid_from <= $3)
                 ORDER BY valid_from DESC LIMIT 1",
            )
            .bind(project_id)
            .bind(item_id)
            .bind(target.dataset_item_version)
            .fetch_optional(pool)
            .await?;
            expected.flatten()
        }
        None => None,
    };
    Ok(Some(TargetFields { input, output, metadata, expected_output }))
}

// ---------------------------------------------------------------------------------------------
// The scheduler's cursor

/// Active evaluators of every project (the scheduler's list): project and id.
pub async fn active(pool: &PgPool) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as("SELECT project_id, id FROM evaluators WHERE status = 'active' ORDER BY project_id, id").fetch_all(pool).await?)
}

/// The evaluator locked for its scan (in the caller's transaction) with its cursor; `None` when
/// it is gone or paused.
pub async fn lock_for_scan(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<(Evaluator, (DateTime<Utc>, String))>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {EVALUATOR_COLUMNS}, cursor_time, cursor_id FROM evaluators WHERE project_id = $1 AND id = $2 AND status = 'active' FOR UPDATE"
    ))
    .bind(project_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((evaluator_from_row(&row)?, (row.try_get("cursor_time")?, row.try_get("cursor_id")?))))
}

pub async fn set_cursor(conn: &mut PgConnection, project_id: &ProjectId, id: &str, cursor: &(DateTime<Utc>, String)) -> Result<(), StoreError> {
    sqlx::query("UPDATE evaluators SET cursor_time = $3, cursor_id = $4 WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .bind(cursor.0)
        .bind(&cursor.1)
        .execute(conn)
        .await?;
    Ok(())
}

/// The time before which every row's `created_at` is final: rows are stamped with their
/// transaction's start (`now()`), so a row not yet visible belongs to a transaction still open,
/// which started at or after the oldest open transaction's start. Bounded to `max_lag` in the
/// past, so a session left idle in a transaction cannot stall evaluation (a write transaction
/// open longer than that could be missed; ingestion's last milliseconds).
/// Returns the horizon and the database's clock (delays are measured on it, not the replica's).
pub async fn horizon(conn: &mut PgConnection, max_lag_seconds: f64) -> Result<(DateTime<Utc>, DateTime<Utc>), StoreError> {
    Ok(sqlx::query_as(
        "SELECT greatest(clock_timestamp() - make_interval(secs => $1),
                         least(clock_timestamp(), coalesce((SELECT min(xact_start) FROM pg_stat_activity
                                                           WHERE datname = current_database() AND pid <> pg_backend_pid()
                                                             AND backend_type = 'client backend' AND xact_start IS NOT NULL),
                                                          clock_timestamp()))),
                clock_timestamp()",
    )
    .bind(max_lag_seconds)
    .fetch_one(conn)
    .await?)
}

// ---------------------------------------------------------------------------------------------
// Backfills

/// A running backfill of the evaluator, if any.
pub async fn running_backfill(conn: &mut PgConnection, project_id: &ProjectId, evaluator_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT id FROM evaluation_backfills WHERE project_id = $1 AND evaluator_id = $2 AND state = 'running' FOR UPDATE")
        .bind(project_id)
        .bind(evaluator_id)
        .fetch_optional(conn)
        .await?)
}

pub async fn create_backfill(conn: &mut PgConnection, project_id: &ProjectId, evaluator_id: &str, total: i64, created_by: &str) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO evaluation_backfills (project_id, id, evaluator_id, total, upto, created_by) VALUES ($1, $2, $3, $4, now(), $5) RETURNING id",
    )
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(evaluator_id)
    .bind(total)
    .bind(created_by)
    .fetch_one(conn)
    .await?)
}

/// A running backfill locked for a step: its evaluator id, window end and cursor.
pub struct BackfillWork {
    pub evaluator_id: String,
    pub upto: DateTime<Utc>,
    pub cursor: (DateTime<Utc>, String),
}

pub async fn lock_backfill(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<BackfillWork>, StoreError> {
    let row: Option<(String, DateTime<Utc>, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT evaluator_id, upto, cursor_time, cursor_id FROM evaluation_backfills WHERE project_id = $1 AND id = $2 AND state = 'running' FOR UPDATE",
    )
    .bind(project_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(evaluator_id, upto, t, c)| BackfillWork { evaluator_id, upto, cursor: (t, c) }))
}

/// Records a step: targets seen, the cursor, and whether it is done.
pub async fn backfill_step(conn: &mut PgConnection, project_id: &ProjectId, id: &str, seen: i64, cursor: &(DateTime<Utc>, String), done: bool) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE evaluation_backfills SET scheduled = scheduled + $3, cursor_time = $4, cursor_id = $5,
                state = CASE WHEN $6 THEN 'done' ELSE state END, finished_at = CASE WHEN $6 THEN now() ELSE finished_at END
         WHERE project_id = $1 AND id = $2",
    )
    .bind(project_id)
    .bind(id)
    .bind(seen)
    .bind(cursor.0)
    .bind(&cursor.1)
    .bind(done)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn fail_backfill(pool: &PgPool, project_id: &ProjectId, id: &str, error: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE evaluation_backfills SET state = 'failed', error = $3, finished_at = now() WHERE project_id = $1 AND id = $2 AND state = 'running'")
        .bind(project_id)
        .bind(id)
        .bind(error)
        .execute(pool)
        .await?;
    Ok(())
}

/// The evaluator's running backfills (resuming enqueues their jobs again).
pub async fn running_backfills(conn: &mut PgConnection, project_id: &ProjectId, evaluator_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT id FROM evaluation_backfills WHERE project_id = $1 AND evaluator_id = $2 AND state = 'running'")
        .bind(project_id)
        .bind(evaluator_id)
        .fetch_all(conn)
        .await?)
}

/// A backfill with its executions counted by status.
pub async fn backfill(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Backfill>, StoreError> {
    let row: Option<(String, String, String, i64, i64, Option<String>, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT id, evaluator_id, state, total, scheduled, error, created_at, finished_at FROM evaluation_backfills WHERE project_id = $1 AND id = $2",
    )
    .bind(project_id)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some((id, evaluator_id, state, total, scheduled, error, created_at, finished_at)) = row else { return Ok(None) };
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count(*) FROM evaluation_executions WHERE project_id = $1 AND backfill_id = $2 GROUP BY status",
    )
    .bind(project_id)
    .bind(&id)
    .fetch_all(pool)
    .await?;
    let mut counts = ExecutionCounts::default();
    for (status, n) in rows {
        if let Some(status) = ExecutionStatus::parse(&status) {
            counts.add(status, n);
        }
    }
    let state = BackfillState::parse(&state).ok_or_else(|| sqlx::Error::Decode(format!("evaluation_backfills.state {state:?}").into()))?;
    Ok(Some(Backfill { id, evaluator_id, state, total, scheduled, counts, error, created_at, finished_at }))
}

/// The evaluator's latest backfill, if it has one.
pub async fn latest_backfill(pool: &PgPool, project_id: &ProjectId, evaluator_id: &str) -> Result<Option<Backfill>, StoreError> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM evaluation_backfills WHERE project_id = $1 AND evaluator_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(project_id)
    .bind(evaluator_id)
    .fetch_optional(pool)
    .await?;
    match id {
        Some(id) => backfill(pool, project_id, &id).await,
        None => Ok(None),
    }
}
