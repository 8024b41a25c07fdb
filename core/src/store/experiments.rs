//! Experiments' read models (#21): runs with their summary numbers, one run's items, the items of
//! 2–4 runs lined up for the comparison — and the bookkeeping of runs Loupe executes itself
//! (`experiment_executions`, see `crate::experiments`). Every query is scoped by project.
//!
//! A run item's numbers are its trace's (`trace_metrics`: latency in seconds, total cost, error
//! count); its scores are its trace's scores, narrowed to the run item's observation (or the
//! trace's own scores) when the run item names one; its output is that observation's, else the
//! trace's. Summaries are computed for a page of runs at once — one aggregate query over their
//! run items, one over their scores — so a table of 50 runs is a handful of queries, not 50.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use super::query::Page;
use super::StoreError;
use crate::scope::ProjectId;
use loupe_domain::datasets::DatasetRun;
use loupe_domain::experiments::{
    CellScore, ComparisonItem, PromptVersions, RunCell, RunItemRow, RunLevelScore, RunProgress, RunState, RunSummary, ScoreAggregate,
};
use loupe_domain::ScoreDataType;

/// Run items a comparison reads at most (items × runs); past it the comparison says so.
pub const MAX_COMPARED_RUN_ITEMS: i64 = 40_000;

/// The scores of run item `ri` as a JSON array of `CellScore`s (by name, then time).
const CELL_SCORES: &str = "coalesce((SELECT jsonb_agg(jsonb_build_object('name', s.name, 'data_type', s.data_type, 'value', s.value,
                                              'string_value', s.string_value) ORDER BY s.name, s.timestamp, s.id)
                   FROM scores s
                   WHERE s.project_id = ri.project_id AND s.trace_id = ri.trace_id
                     AND (ri.observation_id IS NULL OR s.observation_id IS NULL OR s.observation_id = ri.observation_id)), '[]'::jsonb)";

/// The first error message of the run item's trace.
const CELL_ERROR: &str = "(SELECT o.status_message FROM observations o
                            WHERE o.project_id = ri.project_id AND o.trace_id = ri.trace_id AND o.level = 'ERROR'
                            ORDER BY o.start_time, o.id LIMIT 1)";

/// The run item's output: its observation's (a `json` column), else its trace's (`jsonb`).
const CELL_OUTPUT: &str = "CASE WHEN ri.observation_id IS NOT NULL
                                THEN (SELECT o.output::jsonb FROM observations o WHERE o.project_id = ri.project_id AND o.id = ri.observation_id)
                                ELSE (SELECT t.output FROM traces t WHERE t.project_id = ri.project_id AND t.id = ri.trace_id) END";

const RUN_COLUMNS: &str = "r.id, r.name, r.description, r.metadata, r.dataset_id, d.name AS dataset_name, r.created_at, r.updated_at";

fn run_from_row(row: &PgRow) -> Result<DatasetRun, StoreError> {
    Ok(DatasetRun {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        metadata: row.try_get::<Option<Value>, _>("metadata")?.unwrap_or(Value::Null),
        dataset_id: row.try_get("dataset_id")?,
        dataset_name: row.try_get("dataset_name")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn data_type(text: &str) -> ScoreDataType {
    text.parse().unwrap_or(ScoreDataType::Numeric)
}

fn cell_from_row(row: &PgRow, with_output: bool) -> Result<RunCell, StoreError> {
    let scores: Value = row.try_get("scores")?;
    Ok(RunCell {
        run_item_id: row.try_get("run_item_id")?,
        trace_id: row.try_get("trace_id")?,
        observation_id: row.try_get("observation_id")?,
        output: if with_output { row.try_get::<Option<Value>, _>("output")?.unwrap_or(Value::Null) } else { Value::Null },
        latency: row.try_get("latency")?,
        cost: row.try_get("total_cost")?,
        error: row.try_get("errored")?,
        error_message: row.try_get("error_message")?,
        // Built by CELL_SCORES from checked columns; a shape it cannot have is a bug, not input.
        scores: serde_json::from_value::<Vec<CellScore>>(scores).map_err(|e| StoreError::from(sqlx::Error::Decode(Box::new(e))))?,
        item_version: row.try_get("dataset_item_version")?,
        created_at: row.try_get("created_at")?,
    })
}

/// The summaries of the runs `ids` (in that order; ids of no run of the project are left out).
pub async fn summaries(pool: &PgPool, project_id: &ProjectId, ids: &[String]) -> Result<Vec<RunSummary>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let runs = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS}, stats.item_count, stats.error_count, stats.p50, stats.p95, stats.total_cost
         FROM unnest($2::text[]) WITH ORDINALITY AS wanted(id, n)
         JOIN dataset_runs r ON r.project_id = $1 AND r.id = wanted.id
         LEFT JOIN datasets d ON d.project_id = r.project_id AND d.id = r.dataset_id
         LEFT JOIN (
             SELECT ri.run_id, count(*) AS item_count,
                    count(*) FILTER (WHERE coalesce(m.error_count, 0) > 0) AS error_count,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY m.latency) AS p50,
                    percentile_cont(0.95) WITHIN GROUP (ORDER BY m.latency) AS p95,
                    coalesce(sum(m.total_cost), 0)::float8 AS total_cost
             FROM dataset_run_items ri
             LEFT JOIN trace_metrics m ON m.project_id = ri.project_id AND m.trace_id = ri.trace_id
             WHERE ri.project_id = $1 AND ri.run_id = ANY($2)
             GROUP BY ri.run_id
         ) stats ON stats.run_id = r.id
         ORDER BY wanted.n"
    ))
    .bind(project_id)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    let score_rows: Vec<(String, String, String, Option<f64>, i64)> = sqlx::query_as(
        "SELECT ri.run_id, s.name, s.data_type,
                avg(s.value) FILTER (WHERE s.data_type IN ('NUMERIC', 'BOOLEAN')), count(*)
         FROM dataset_run_items ri
         JOIN scores s ON s.project_id = ri.project_id AND s.trace_id = ri.trace_id
                      AND (ri.observation_id IS NULL OR s.observation_id IS NULL OR s.observation_id = ri.observation_id)
         WHERE ri.project_id = $1 AND ri.run_id = ANY($2)
         GROUP BY ri.run_id, s.name, s.data_type
         ORDER BY s.name, s.data_type",
    )
    .bind(project_id)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    let run_score_rows: Vec<(String, String, String, Option<f64>, Option<String>)> = sqlx::query_as(
        "SELECT dataset_run_id, name, data_type, value, string_value FROM scores
         WHERE project_id = $1 AND dataset_run_id = ANY($2) ORDER BY name, timestamp, id",
    )
    .bind(project_id)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    let mut progress: HashMap<String, RunProgress> = progress_of(pool, project_id, ids).await?.into_iter().map(|p| (p.run_id.clone(), p)).collect();
    let mut scores: HashMap<String, Vec<ScoreAggregate>> = HashMap::new();
    for (run_id, name, kind, average, count) in score_rows {
        scores.entry(run_id).or_default().push(ScoreAggregate { name, data_type: data_type(&kind), average, count });
    }
    let mut run_scores: HashMap<String, Vec<RunLevelScore>> = HashMap::new();
    for (run_id, name, kind, value, string_value) in run_score_rows {
        run_scores.entry(run_id).or_default().push(RunLevelScore { name, data_type: data_type(&kind), value, string_value });
    }
    runs.iter()
        .map(|row| {
            let run = run_from_row(row)?;
            Ok(RunSummary {
                item_count: row.try_get::<Option<i64>, _>("item_count")?.unwrap_or(0),
                error_count: row.try_get::<Option<i64>, _>("error_count")?.unwrap_or(0),
                latency_p50: row.try_get("p50")?,
                latency_p95: row.try_get("p95")?,
                total_cost: row.try_get::<Option<f64>, _>("total_cost")?.unwrap_or(0.0),
                scores: scores.remove(&run.id).unwrap_or_default(),
                run_scores: run_scores.remove(&run.id).unwrap_or_default(),
                progress: progress.remove(&run.id),
                run,
            })
        })
        .collect()
}

/// A page of a dataset's runs, newest first, with their summaries and the total.
pub async fn list(pool: &PgPool, project_id: &ProjectId, dataset_id: &str, page: Page) -> Result<(Vec<RunSummary>, i64), StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM dataset_runs WHERE project_id = $1 AND dataset_id = $2 ORDER BY created_at DESC, id LIMIT $3 OFFSET $4",
    )
    .bind(project_id)
    .bind(dataset_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM dataset_runs WHERE project_id = $1 AND dataset_id = $2")
        .bind(project_id)
        .bind(dataset_id)
        .fetch_one(pool)
        .await?;
    Ok((summaries(pool, project_id, &ids).await?, total))
}

/// A page of a run's items, oldest first, each with the item's input and expected output in the
/// version the run used, and the total.
pub async fn items(pool: &PgPool, project_id: &ProjectId, run_id: &str, page: Page) -> Result<(Vec<RunItemRow>, i64), StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT ri.id AS run_item_id, ri.dataset_item_id, ri.dataset_item_version, ri.trace_id, ri.observation_id, ri.created_at,
                m.latency, m.total_cost, coalesce(m.error_count, 0) > 0 AS errored, {CELL_ERROR} AS error_message,
                {CELL_OUTPUT} AS output, {CELL_SCORES} AS scores, it.input, it.expected_output
         FROM dataset_run_items ri
         LEFT JOIN trace_metrics m ON m.project_id = ri.project_id AND m.trace_id = ri.trace_id
         LEFT JOIN LATERAL (
             SELECT i.input, i.expected_output FROM dataset_items i
             WHERE i.project_id = ri.project_id AND i.id = ri.dataset_item_id AND NOT i.is_deleted
               AND (i.valid_from = ri.dataset_item_version OR ri.dataset_item_version IS NULL)
             ORDER BY i.valid_from DESC LIMIT 1
         ) it ON true
         WHERE ri.project_id = $1 AND ri.run_id = $2
         ORDER BY ri.created_at, ri.id LIMIT $3 OFFSET $4"
    ))
    .bind(project_id)
    .bind(run_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM dataset_run_items WHERE project_id = $1 AND run_id = $2")
        .bind(project_id)
        .bind(run_id)
        .fetch_one(pool)
        .await?;
    let rows = rows
        .iter()
        .map(|row| {
            Ok(RunItemRow {
                dataset_item_id: row.try_get("dataset_item_id")?,
                input: row.try_get::<Option<Value>, _>("input")?.unwrap_or(Value::Null),
                expected_output: row.try_get::<Option<Value>, _>("expected_output")?.unwrap_or(Value::Null),
                cell: cell_from_row(row, true)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((rows, total))
}

/// Every item any of `run_ids` ran, with a cell per run (in `run_ids` order; a run's latest run
/// item of the item), without the outputs and the items' content: what the verdicts and the
/// sorting need. `None` when the runs hold more than [`MAX_COMPARED_RUN_ITEMS`] run items.
pub async fn comparison_items(pool: &PgPool, project_id: &ProjectId, run_ids: &[String]) -> Result<Option<Vec<ComparisonItem>>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT ri.run_id, ri.id AS run_item_id, ri.dataset_item_id, ri.dataset_item_version, ri.trace_id, ri.observation_id, ri.created_at,
                m.latency, m.total_cost, coalesce(m.error_count, 0) > 0 AS errored, {CELL_ERROR} AS error_message, {CELL_SCORES} AS scores
         FROM dataset_run_items ri
         LEFT JOIN trace_metrics m ON m.project_id = ri.project_id AND m.trace_id = ri.trace_id
         WHERE ri.project_id = $1 AND ri.run_id = ANY($2)
         ORDER BY ri.created_at, ri.id
         LIMIT $3"
    ))
    .bind(project_id)
    .bind(run_ids)
    .bind(MAX_COMPARED_RUN_ITEMS + 1)
    .fetch_all(pool)
    .await?;
    if rows.len() as i64 > MAX_COMPARED_RUN_ITEMS {
        return Ok(None);
    }
    let mut items: Vec<ComparisonItem> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in &rows {
        let run_id: String = row.try_get("run_id")?;
        let Some(column) = run_ids.iter().position(|r| *r == run_id) else { continue };
        let item_id: String = row.try_get("dataset_item_id")?;
        let at = *index.entry(item_id.clone()).or_insert_with(|| {
            items.push(ComparisonItem { dataset_item_id: item_id, input: Value::Null, expected_output: Value::Null, cells: vec![None; run_ids.len()] });
            items.len() - 1
        });
        // Oldest first: a later run item of the same item replaces an earlier one.
        items[at].cells[column] = Some(cell_from_row(row, false)?);
    }
    Ok(Some(items))
}

/// Loads the content of a comparison page's items: each item's input and expected output (its
/// current version, else its latest) and each cell's output.
pub async fn fill_comparison_content(pool: &PgPool, project_id: &ProjectId, items: &mut [ComparisonItem]) -> Result<(), StoreError> {
    let item_ids: Vec<String> = items.iter().map(|i| i.dataset_item_id.clone()).collect();
    let contents: Vec<(String, Option<Value>, Option<Value>)> = sqlx::query_as(
        "SELECT DISTINCT ON (i.id) i.id, i.input, i.expected_output FROM dataset_items i
         WHERE i.project_id = $1 AND i.id = ANY($2) AND NOT i.is_deleted
         ORDER BY i.id, (i.valid_to IS NULL) DESC, i.valid_from DESC",
    )
    .bind(project_id)
    .bind(&item_ids)
    .fetch_all(pool)
    .await?;
    let contents: HashMap<String, (Option<Value>, Option<Value>)> = contents.into_iter().map(|(id, i, e)| (id, (i, e))).collect();
    let run_item_ids: Vec<String> = items.iter().flat_map(|i| i.cells.iter().flatten().map(|c| c.run_item_id.clone())).collect();
    let outputs: Vec<(String, Option<Value>)> = sqlx::query_as(&format!(
        "SELECT ri.id, {CELL_OUTPUT} FROM dataset_run_items ri WHERE ri.project_id = $1 AND ri.id = ANY($2)"
    ))
    .bind(project_id)
    .bind(&run_item_ids)
    .fetch_all(pool)
    .await?;
    let outputs: HashMap<String, Option<Value>> = outputs.into_iter().collect();
    for item in items.iter_mut() {
        if let Some((input, expected)) = contents.get(&item.dataset_item_id) {
            item.input = input.clone().unwrap_or(Value::Null);
            item.expected_output = expected.clone().unwrap_or(Value::Null);
        }
        for cell in item.cells.iter_mut().flatten() {
            cell.output = outputs.get(&cell.run_item_id).cloned().flatten().unwrap_or(Value::Null);
        }
    }
    Ok(())
}

/// Every prompt name with its versions (newest first) and their labels, by name: the "New run"
/// form's choices.
pub async fn prompt_versions(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<PromptVersions>, StoreError> {
    let rows: Vec<(String, i32, Vec<String>)> =
        sqlx::query_as("SELECT name, version, labels FROM prompts WHERE project_id = $1 ORDER BY name, version DESC")
            .bind(project_id)
            .fetch_all(pool)
            .await?;
    let mut out: Vec<PromptVersions> = Vec::new();
    for (name, version, mut labels) in rows {
        loupe_domain::prompts::sort_labels(&mut labels);
        match out.last_mut() {
            Some(last) if last.name == name => last.versions.push((version, labels)),
            _ => out.push(PromptVersions { name, versions: vec![(version, labels)] }),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Runs Loupe executes

/// A run Loupe executes, as the job reads it.
#[derive(Debug, Clone)]
pub struct Execution {
    pub run_id: String,
    pub run_name: String,
    pub dataset_id: String,
    pub prompt_name: String,
    pub prompt_version: i32,
    pub connection: String,
    pub model: String,
    pub params: Value,
    pub items_as_of: DateTime<Utc>,
    pub state: RunState,
}

/// What a new execution records.
#[derive(Debug, Clone)]
pub struct NewExecution<'a> {
    pub run_id: &'a str,
    pub dataset_id: &'a str,
    pub prompt_name: &'a str,
    pub prompt_version: i32,
    pub connection: &'a str,
    pub model: &'a str,
    pub params: &'a Value,
    pub created_by: &'a str,
}

/// The condition of the items an execution works on: the dataset's ACTIVE items as of `$3`.
const SNAPSHOT: &str = "i.project_id = $1 AND i.dataset_id = $2 AND NOT i.is_deleted AND i.status = 'ACTIVE'
                        AND i.valid_from <= $3 AND (i.valid_to IS NULL OR i.valid_to > $3)";

/// Records an execution of `run_id` over the dataset as of now (the transaction's time), in the
/// caller's transaction; the number of items it will run. A second execution of the same run
/// clashes on the key (`StoreError::Conflict`).
pub async fn create_execution(conn: &mut PgConnection, project_id: &ProjectId, new: &NewExecution<'_>) -> Result<i64, StoreError> {
    let as_of: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&mut *conn).await?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM dataset_items i WHERE {SNAPSHOT}"))
        .bind(project_id)
        .bind(new.dataset_id)
        .bind(as_of)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO experiment_executions (project_id, run_id, dataset_id, prompt_name, prompt_version, connection, model, params,
                                            items_as_of, total, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(project_id)
    .bind(new.run_id)
    .bind(new.dataset_id)
    .bind(new.prompt_name)
    .bind(new.prompt_version)
    .bind(new.connection)
    .bind(new.model)
    .bind(new.params)
    .bind(as_of)
    .bind(total as i32)
    .bind(new.created_by)
    .execute(&mut *conn)
    .await?;
    Ok(total)
}

/// Notes the job working an execution (its state tells a job that failed for good).
pub async fn set_job(conn: &mut PgConnection, project_id: &ProjectId, run_id: &str, job_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE experiment_executions SET job_id = $3 WHERE project_id = $1 AND run_id = $2")
        .bind(project_id)
        .bind(run_id)
        .bind(job_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The execution of a run, with the run's name; `None` when the run (or its execution) is gone.
pub async fn execution(pool: &PgPool, project_id: &ProjectId, run_id: &str) -> Result<Option<Execution>, StoreError> {
    let row = sqlx::query(
        "SELECT e.run_id, r.name, e.dataset_id, e.prompt_name, e.prompt_version, e.connection, e.model, e.params, e.items_as_of, e.state
         FROM experiment_executions e JOIN dataset_runs r ON r.project_id = e.project_id AND r.id = e.run_id
         WHERE e.project_id = $1 AND e.run_id = $2",
    )
    .bind(project_id)
    .bind(run_id)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        let state: String = row.try_get("state")?;
        Ok(Execution {
            run_id: row.try_get("run_id")?,
            run_name: row.try_get("name")?,
            dataset_id: row.try_get("dataset_id")?,
            prompt_name: row.try_get("prompt_name")?,
            prompt_version: row.try_get("prompt_version")?,
            connection: row.try_get("connection")?,
            model: row.try_get("model")?,
            params: row.try_get("params")?,
            items_as_of: row.try_get("items_as_of")?,
            state: RunState::parse(&state).unwrap_or(RunState::Failed),
        })
    })
    .transpose()
}

/// An item the execution has still to run: its id, version and input.
#[derive(Debug, Clone)]
pub struct PendingItem {
    pub id: String,
    pub version: DateTime<Utc>,
    pub input: Value,
}

/// Up to `limit` items of the execution's snapshot the run has no run item for yet, oldest first.
pub async fn pending_items(pool: &PgPool, project_id: &ProjectId, execution: &Execution, limit: i64) -> Result<Vec<PendingItem>, StoreError> {
    let rows: Vec<(String, DateTime<Utc>, Option<Value>)> = sqlx::query_as(&format!(
        "SELECT i.id, i.valid_from, i.input FROM dataset_items i
         WHERE {SNAPSHOT}
           AND NOT EXISTS (SELECT 1 FROM dataset_run_items ri WHERE ri.project_id = $1 AND ri.run_id = $4 AND ri.dataset_item_id = i.id)
         ORDER BY i.created_at, i.id LIMIT $5"
    ))
    .bind(project_id)
    .bind(&execution.dataset_id)
    .bind(execution.items_as_of)
    .bind(&execution.run_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, version, input)| PendingItem { id, version, input: input.unwrap_or(Value::Null) }).collect())
}

/// Ends an execution (only a running one: a finished run stays as it ended).
pub async fn finish(pool: &PgPool, project_id: &ProjectId, run_id: &str, state: RunState, error: Option<&str>) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE experiment_executions SET state = $3, error = $4, finished_at = now()
         WHERE project_id = $1 AND run_id = $2 AND state = 'running'",
    )
    .bind(project_id)
    .bind(run_id)
    .bind(state.as_str())
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// The progress of the executions of `run_ids` (runs not executed by Loupe have none). A run
/// whose job failed for good reads as failed, with the job's last error.
pub async fn progress_of(pool: &PgPool, project_id: &ProjectId, run_ids: &[String]) -> Result<Vec<RunProgress>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.run_id, e.state, e.total, e.error, e.prompt_name, e.prompt_version, e.connection, e.model,
                j.state AS job_state, j.last_error,
                (SELECT count(DISTINCT ri.dataset_item_id) FROM dataset_run_items ri
                  WHERE ri.project_id = e.project_id AND ri.run_id = e.run_id) AS done,
                (SELECT count(DISTINCT ri.dataset_item_id) FROM dataset_run_items ri
                  JOIN trace_metrics m ON m.project_id = ri.project_id AND m.trace_id = ri.trace_id
                  WHERE ri.project_id = e.project_id AND ri.run_id = e.run_id AND m.error_count > 0) AS failed
         FROM experiment_executions e LEFT JOIN jobs j ON j.id = e.job_id
         WHERE e.project_id = $1 AND e.run_id = ANY($2)",
    )
    .bind(project_id)
    .bind(run_ids)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let state: String = row.try_get("state")?;
            let mut state = RunState::parse(&state).unwrap_or(RunState::Failed);
            let mut error: Option<String> = row.try_get("error")?;
            let job_state: Option<String> = row.try_get("job_state")?;
            if state == RunState::Running && job_state.as_deref() == Some("failed") {
                state = RunState::Failed;
                error = row.try_get("last_error")?;
            }
            Ok(RunProgress {
                run_id: row.try_get("run_id")?,
                state,
                total: i64::from(row.try_get::<i32, _>("total")?),
                done: row.try_get("done")?,
                failed: row.try_get("failed")?,
                error,
                prompt_name: row.try_get("prompt_name")?,
                prompt_version: row.try_get("prompt_version")?,
                connection: row.try_get("connection")?,
                model: row.try_get("model")?,
            })
        })
        .collect()
}
