//! Keeps `trace_metrics` (latency, cost, tokens, observation count, highest level, error and
//! warning counts, models; the trace's timestamp) in step with the rows one ingestion request
//! wrote, inside its transaction, so the traces list filters and sorts on stored numbers instead of
//! aggregating observations per request.
//!
//! Why this mix of incremental and recomputed:
//! - Observations **created** by the request are added to the stored aggregates (counts and sums
//!   add, min/max/level/models combine). That is exact, because a new row changes the aggregates
//!   only by itself, and it costs the same whether the trace has 10 or 100,000 observations —
//!   large traces arrive in many batches and must not be re-read by each. The writer builds each
//!   trace's delta in Rust ([`Changes::add`]) from the very values it inserted (after pricing and
//!   the end-time clamp), so nothing is read back: re-reading the new rows by id cost a sixth of
//!   the ingestion throughput (docs/BENCHMARKS.md). [`Changes::add`] mirrors [`AGGREGATES`]
//!   column by column; `server/tests/trace_list.rs` compares the two after random batches.
//! - A trace with an observation the request **updated** (the legacy create-then-update events,
//!   a late end time, a re-priced generation) is recomputed from all its observations: the old
//!   values are gone, so adding is impossible. Exact, but it reads the whole trace: not rare
//!   for SDKs whose observations outlive a flush (`bench_ingest --batch-api` measures it).
//!
//! Concurrency (READ COMMITTED): the first statement creates or locks every touched
//! `trace_metrics` row (and adds the new observations), in one statement sorted by trace id (one
//! lock order, so two requests cannot deadlock, and the locks come after the writer's trace and
//! observation rows, as in every request). A recompute runs as a later statement, so its snapshot
//! includes every transaction that changed those rows before us; a transaction that adds to them
//! after us waits for our commit and adds on top (the deltas are relative, never a snapshot of
//! the row). Observations that arrive before their trace get a row with a NULL timestamp, which
//! the trace fills in when it arrives; the list joins `traces`, so such rows are never listed.
//!
//! The trace's timestamp comes from the writer too: the stored value its `INSERT`/`UPDATE …
//! RETURNING` gave for every trace row the request created or changed. A trace the request did
//! not change keeps the row's timestamp, which is already the trace's: only the writer writes
//! `traces`, and it sets the timestamp here every time (bulk delete removes both rows).

use crate::scope::ProjectId;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::metrics::rollups::TraceExtent;

/// The aggregate columns over a set of `observations` rows, in `trace_metrics` column order
/// (`observation_count` … `models`). Also in the migration's backfill; keep the two identical,
/// and [`Changes::add`] in step.
pub(crate) const AGGREGATES: &str = "count(*)::int AS observation_count,
       min(start_time) AS start_time,
       max(greatest(start_time, end_time)) AS end_time,
       coalesce(sum(total_cost), 0)::float8 AS total_cost,
       coalesce(sum((usage_details ->> 'total')::bigint), 0)::bigint AS total_tokens,
       max(CASE level WHEN 'ERROR' THEN 3 WHEN 'WARNING' THEN 2 WHEN 'DEFAULT' THEN 1 ELSE 0 END)::smallint AS level,
       count(*) FILTER (WHERE level = 'ERROR')::int AS error_count,
       count(*) FILTER (WHERE level = 'WARNING')::int AS warning_count,
       coalesce(array_agg(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL), '{}') AS models";

/// One observation row as the writer inserted it (stored values, not the patch's).
pub struct NewObservation<'a> {
    pub trace_id: &'a str,
    pub start_time: DateTime<Utc>,
    /// Already clamped to the start, as stored.
    pub end_time: Option<DateTime<Utc>>,
    pub total_cost: Option<f64>,
    /// `usage_details.total`.
    pub total_tokens: Option<i64>,
    /// The stored level (`DEFAULT` when the patch had none).
    pub level: &'a str,
    pub model: Option<&'a str>,
}

/// What the created observations add to one trace; zero for a trace the request only touched.
#[derive(Debug, Default, Clone, PartialEq)]
struct Delta {
    /// The trace's stored timestamp, when the request created or changed the trace row.
    timestamp: Option<DateTime<Utc>>,
    observation_count: i32,
    start_time: Option<DateTime<Utc>>,
    end_time: Option<DateTime<Utc>>,
    total_cost: f64,
    total_tokens: i64,
    level: i16,
    error_count: i32,
    warning_count: i32,
    models: BTreeSet<String>,
}

/// The trace-level effects of one request, collected by the writer while it writes.
#[derive(Debug, Default)]
pub struct Changes {
    /// Every touched trace (trace patches, created and updated observations), sorted by id.
    traces: BTreeMap<String, Delta>,
    /// Traces with an observation that already existed and was merged.
    recompute: BTreeSet<String>,
}

/// `level`'s rank in `trace_metrics.level`, as the `CASE` in [`AGGREGATES`].
fn level_rank(level: &str) -> i16 {
    match level {
        "ERROR" => 3,
        "WARNING" => 2,
        "DEFAULT" => 1,
        _ => 0,
    }
}

impl Changes {
    /// A trace the request wrote (its row must exist).
    pub fn touch(&mut self, trace_id: &str) {
        if !self.traces.contains_key(trace_id) {
            self.traces.insert(trace_id.to_owned(), Delta::default());
        }
    }

    /// The timestamp a trace row has after the request created or changed it (`RETURNING`).
    pub fn trace_timestamp(&mut self, trace_id: &str, timestamp: DateTime<Utc>) {
        self.touch(trace_id);
        self.traces.get_mut(trace_id).expect("touched above").timestamp = Some(timestamp);
    }

    /// An observation the request created: added to its trace's delta as [`AGGREGATES`] would
    /// count it. Nulls are skipped like SQL aggregates skip them; costs are summed in the order
    /// added (the writer's id order).
    pub fn add(&mut self, o: NewObservation<'_>) {
        self.touch(o.trace_id);
        let d = self.traces.get_mut(o.trace_id).expect("touched above");
        d.observation_count += 1;
        d.start_time = Some(d.start_time.map_or(o.start_time, |s| s.min(o.start_time)));
        let end = o.end_time.map_or(o.start_time, |e| e.max(o.start_time));
        d.end_time = Some(d.end_time.map_or(end, |e| e.max(end)));
        if let Some(cost) = o.total_cost {
            d.total_cost += cost;
        }
        if let Some(tokens) = o.total_tokens {
            // Postgres would refuse a sum past i64 (the request fails); saturating keeps the
            // request and the row at the largest value instead.
            d.total_tokens = d.total_tokens.saturating_add(tokens);
        }
        d.level = d.level.max(level_rank(o.level));
        d.error_count += i32::from(o.level == "ERROR");
        d.warning_count += i32::from(o.level == "WARNING");
        if let Some(model) = o.model {
            if !d.models.contains(model) {
                d.models.insert(model.to_owned());
            }
        }
    }

    /// A trace with an observation the request merged into an existing row.
    pub fn recompute(&mut self, trace_id: &str) {
        self.touch(trace_id);
        if !self.recompute.contains(trace_id) {
            self.recompute.insert(trace_id.to_owned());
        }
    }
}

/// Writes the request's [`Changes`] to `trace_metrics`.
/// Returns the extent (timestamp, first start, last end) each touched trace's row has after the
/// request, for marking the metric rollups' hours without looking them up again — except the
/// traces recomputed here, whose rows change after the statement that returns the extents.
pub async fn refresh(tx: &mut Transaction<'_, Postgres>, project_id: &ProjectId, changes: Changes) -> Result<Vec<TraceExtent>, sqlx::Error> {
    if changes.traces.is_empty() {
        return Ok(Vec::new());
    }
    let conn: &mut PgConnection = tx;
    let n = changes.traces.len();
    let mut trace_id = Vec::with_capacity(n);
    let mut timestamp = Vec::with_capacity(n);
    let mut observation_count = Vec::with_capacity(n);
    let mut start_time = Vec::with_capacity(n);
    let mut end_time = Vec::with_capacity(n);
    let mut total_cost = Vec::with_capacity(n);
    let mut total_tokens = Vec::with_capacity(n);
    let mut level = Vec::with_capacity(n);
    let mut error_count = Vec::with_capacity(n);
    let mut warning_count = Vec::with_capacity(n);
    // Models as (trace, model) pairs: arrays of arrays cannot be ragged. Postgres sorts them, in
    // the database's collation, as `array_agg(… ORDER BY model)` does.
    let mut model_trace = Vec::new();
    let mut model = Vec::new();
    for (id, d) in changes.traces {
        for m in d.models {
            model_trace.push(id.clone());
            model.push(m);
        }
        trace_id.push(id);
        timestamp.push(d.timestamp);
        observation_count.push(d.observation_count);
        start_time.push(d.start_time);
        end_time.push(d.end_time);
        total_cost.push(d.total_cost);
        total_tokens.push(d.total_tokens);
        level.push(d.level);
        error_count.push(d.error_count);
        warning_count.push(d.warning_count);
    }
    // One statement creates or locks the row of every touched trace, sets the trace's timestamp
    // when the request wrote the trace row, and adds the created observations (for a new row: its
    // first values). For the usual request (new spans) this is the only statement and each row
    // is written once. It reads no other table: a join to `traces` for the timestamp was planned,
    // on a young table with stale statistics, as a scan of the project's every trace per request.
    let rows = sqlx::query(
        "WITH d AS (
             SELECT * FROM UNNEST($2::text[], $3::timestamptz[], $4::int4[], $5::timestamptz[], $6::timestamptz[],
                                  $7::float8[], $8::int8[], $9::int2[], $10::int4[], $11::int4[])
                 AS d(trace_id, timestamp, observation_count, start_time, end_time, total_cost, total_tokens, level,
                      error_count, warning_count)
         ), dm AS (
             SELECT trace_id, array_agg(model ORDER BY model) AS models
             FROM UNNEST($12::text[], $13::text[]) AS x(trace_id, model)
             GROUP BY trace_id
         )
         INSERT INTO trace_metrics AS m (project_id, trace_id, timestamp, observation_count, start_time, end_time, total_cost,
                                         total_tokens, level, error_count, warning_count, models)
         SELECT $1, d.trace_id, d.timestamp, d.observation_count, d.start_time, d.end_time, d.total_cost, d.total_tokens,
                d.level, d.error_count, d.warning_count, coalesce(dm.models, '{}')
         FROM d
         LEFT JOIN dm ON dm.trace_id = d.trace_id
         ORDER BY d.trace_id
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
             models = CASE WHEN excluded.models = '{}' THEN m.models ELSE loupe_tags_union(m.models, excluded.models) END
         RETURNING trace_id, timestamp, start_time, end_time",
    )
    .bind(project_id)
    .bind(&trace_id)
    .bind(&timestamp)
    .bind(&observation_count)
    .bind(&start_time)
    .bind(&end_time)
    .bind(&total_cost)
    .bind(&total_tokens)
    .bind(&level)
    .bind(&error_count)
    .bind(&warning_count)
    .bind(&model_trace)
    .bind(&model)
    .fetch_all(&mut *conn)
    .await?;
    let extents = rows.into_iter().filter_map(|row| {
        let extent = TraceExtent {
            trace_id: sqlx::Row::get(&row, 0),
            timestamp: sqlx::Row::get(&row, 1),
            start: sqlx::Row::get(&row, 2),
            end: sqlx::Row::get(&row, 3),
        };
        (!changes.recompute.contains(&extent.trace_id)).then_some(extent)
    });
    let extents: Vec<TraceExtent> = extents.collect();

    // Traces with an updated observation: recomputed from all their observations (which
    // overwrites what the statement above added to them).
    if changes.recompute.is_empty() {
        return Ok(extents);
    }
    let recompute: Vec<String> = changes.recompute.into_iter().collect();
    let sql = format!(
        "UPDATE trace_metrics AS m SET
             observation_count = a.observation_count, start_time = a.start_time, end_time = a.end_time,
             total_cost = a.total_cost, total_tokens = a.total_tokens, level = a.level,
             error_count = a.error_count, warning_count = a.warning_count, models = a.models
         FROM (SELECT trace_id, {AGGREGATES}
               FROM observations
               WHERE project_id = $1 AND trace_id = ANY($2)
               GROUP BY trace_id) AS a
         WHERE m.project_id = $1 AND m.trace_id = a.trace_id AND m.trace_id = ANY($2)"
    );
    // Unprepared, and `m.trace_id = ANY($2)` beside the join: a generic plan made while the
    // table was young, or a plan from statistics that lag its growth, read all of the project's
    // rows (see the traces' merge in `writer::write_traces`).
    sqlx::query(&sql).bind(project_id).bind(&recompute).persistent(false).execute(&mut *conn).await?;
    Ok(extents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    fn observation(trace_id: &'static str, start: i64, end: Option<i64>, level: &'static str) -> NewObservation<'static> {
        NewObservation {
            trace_id,
            start_time: at(start),
            end_time: end.map(at),
            total_cost: None,
            total_tokens: None,
            level,
            model: None,
        }
    }

    #[test]
    fn deltas_combine_like_the_sql_aggregates() {
        let mut changes = Changes::default();
        changes.touch("only-touched");
        changes.add(NewObservation { total_cost: Some(0.25), total_tokens: Some(30), model: Some("gpt-4o"), ..observation("t", 10, Some(12), "DEFAULT") });
        // No end: its start counts as its end (`greatest(start_time, end_time)`).
        changes.add(observation("t", 5, None, "WARNING"));
        changes.add(NewObservation { total_cost: Some(0.5), model: Some("claude"), ..observation("t", 20, None, "ERROR") });
        changes.add(NewObservation { model: Some("gpt-4o"), ..observation("t", 7, Some(8), "DEBUG") });
        changes.recompute("merged");
        let t = &changes.traces["t"];
        assert_eq!((t.observation_count, t.start_time, t.end_time), (4, Some(at(5)), Some(at(20))));
        assert_eq!((t.total_cost, t.total_tokens, t.level, t.error_count, t.warning_count), (0.75, 30, 3, 1, 1));
        assert_eq!(t.models.iter().collect::<Vec<_>>(), ["claude", "gpt-4o"]);
        assert_eq!(changes.traces["only-touched"], Delta::default());
        assert_eq!(changes.traces.keys().collect::<Vec<_>>(), ["merged", "only-touched", "t"]);
        assert_eq!(changes.recompute.iter().collect::<Vec<_>>(), ["merged"]);
        assert_eq!([level_rank("DEBUG"), level_rank("DEFAULT"), level_rank("WARNING"), level_rank("ERROR")], [0, 1, 2, 3]);
    }
}
