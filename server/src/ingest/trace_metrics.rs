//! Keeps `trace_metrics` (latency, cost, tokens, observation count, highest level, error and
//! warning counts, models; the trace's timestamp) in step with the rows one ingestion request
//! wrote, inside its transaction, so the traces list filters and sorts on stored numbers instead of
//! aggregating observations per request.
//!
//! Why this mix of incremental and recomputed:
//! - Observations **created** by the request are added to the stored aggregates (counts and sums
//!   add, min/max/level/models combine). That is exact, because a new row changes the aggregates
//!   only by itself, and it costs the same whether the trace has 10 or 100,000 observations —
//!   large traces arrive in many batches and must not be re-read by each.
//! - A trace with an observation the request **updated** (the legacy create-then-update events,
//!   a late end time, a re-priced generation) is recomputed from all its observations: the old
//!   values are gone, so adding is impossible.
//!
//! Concurrency (READ COMMITTED): the first statement creates or locks every touched
//! `trace_metrics` row (and adds the new observations), in one statement sorted by trace id (one lock order, so two requests
//! cannot deadlock, and the locks come after the writer's trace and observation rows, as in every
//! request). A recompute runs as a later statement, so its snapshot includes every transaction
//! that changed those rows before us; a transaction that adds to them after us waits for our
//! commit and adds on top. Observations that arrive before their trace get a row with a NULL
//! timestamp, which the trace fills in when it arrives; the list joins `traces`, so such rows are
//! never listed.

use sqlx::{PgConnection, Postgres, Transaction};

/// The aggregate columns over a set of `observations` rows, in `trace_metrics` column order
/// (`observation_count` … `models`). Also in the migration's backfill; keep the two identical.
const AGGREGATES: &str = "count(*)::int AS observation_count,
       min(start_time) AS start_time,
       max(greatest(start_time, end_time)) AS end_time,
       coalesce(sum(total_cost), 0)::float8 AS total_cost,
       coalesce(sum((usage_details ->> 'total')::bigint), 0)::bigint AS total_tokens,
       max(CASE level WHEN 'ERROR' THEN 3 WHEN 'WARNING' THEN 2 WHEN 'DEFAULT' THEN 1 ELSE 0 END)::smallint AS level,
       count(*) FILTER (WHERE level = 'ERROR')::int AS error_count,
       count(*) FILTER (WHERE level = 'WARNING')::int AS warning_count,
       coalesce(array_agg(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL), '{}') AS models";

/// Updates the aggregates after the writer stored `trace_ids` (trace patches) and
/// `observation_ids` (observation patches), of which `created_observations` were new rows.
pub async fn refresh(
    tx: &mut Transaction<'_, Postgres>,
    project_id: &str,
    trace_ids: &[String],
    observation_ids: &[String],
    created_observations: &[String],
) -> Result<(), sqlx::Error> {
    if trace_ids.is_empty() && observation_ids.is_empty() {
        return Ok(());
    }
    let conn: &mut PgConnection = tx;
    // One statement creates or locks the row of every touched trace, fills in the trace's
    // timestamp and adds the created observations (for a new row: its first values). For the
    // usual request (new spans) this is the only statement and each row is written once.
    let sql = format!(
        "WITH touched AS (
             SELECT unnest($2::text[]) AS trace_id
             UNION
             SELECT trace_id FROM observations WHERE project_id = $1 AND id = ANY($3)
         ), delta AS (
             SELECT trace_id, {AGGREGATES}
             FROM observations WHERE project_id = $1 AND id = ANY($4)
             GROUP BY trace_id
         )
         INSERT INTO trace_metrics AS m (project_id, trace_id, timestamp, observation_count, start_time, end_time, total_cost,
                                         total_tokens, level, error_count, warning_count, models)
         SELECT $1, touched.trace_id, t.timestamp, coalesce(d.observation_count, 0), d.start_time, d.end_time,
                coalesce(d.total_cost, 0), coalesce(d.total_tokens, 0), coalesce(d.level, 0), coalesce(d.error_count, 0),
                coalesce(d.warning_count, 0), coalesce(d.models, '{{}}')
         FROM touched
         LEFT JOIN traces t ON t.project_id = $1 AND t.id = touched.trace_id
         LEFT JOIN delta d ON d.trace_id = touched.trace_id
         ORDER BY touched.trace_id
         ON CONFLICT (project_id, trace_id) DO UPDATE SET
             timestamp = coalesce(excluded.timestamp, m.timestamp),
             observation_count = m.observation_count + excluded.observation_count,
             start_time = least(m.start_time, excluded.start_time),
             end_time = greatest(m.end_time, excluded.end_time),
             total_cost = m.total_cost + excluded.total_cost,
             total_tokens = m.total_tokens + excluded.total_tokens,
             level = greatest(m.level, excluded.level),
             error_count = m.error_count + excluded.error_count,
             warning_count = m.warning_count + excluded.warning_count,
             models = CASE WHEN excluded.models = '{{}}' THEN m.models ELSE loupe_tags_union(m.models, excluded.models) END"
    );
    sqlx::query(&sql)
        .bind(project_id)
        .bind(trace_ids)
        .bind(observation_ids)
        .bind(created_observations)
        .execute(&mut *conn)
        .await?;

    // Traces with an updated observation: recomputed from all their observations (which
    // overwrites what the statement above added to them).
    let created: std::collections::HashSet<&str> = created_observations.iter().map(String::as_str).collect();
    let updated: Vec<&str> = observation_ids.iter().map(String::as_str).filter(|id| !created.contains(id)).collect();
    if updated.is_empty() {
        return Ok(());
    }
    let recompute: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT trace_id FROM observations WHERE project_id = $1 AND id = ANY($2)")
            .bind(project_id)
            .bind(&updated)
            .fetch_all(&mut *conn)
            .await?;
    if !recompute.is_empty() {
        let sql = format!(
            "UPDATE trace_metrics AS m SET
                 observation_count = a.observation_count, start_time = a.start_time, end_time = a.end_time,
                 total_cost = a.total_cost, total_tokens = a.total_tokens, level = a.level,
                 error_count = a.error_count, warning_count = a.warning_count, models = a.models
             FROM (SELECT trace_id, {AGGREGATES}
                   FROM observations
                   WHERE project_id = $1 AND trace_id = ANY($2)
                   GROUP BY trace_id) AS a
             WHERE m.project_id = $1 AND m.trace_id = a.trace_id"
        );
        sqlx::query(&sql).bind(project_id).bind(&recompute).execute(&mut *conn).await?;
    }
    Ok(())
}
