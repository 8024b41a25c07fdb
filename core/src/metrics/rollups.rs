//! Hourly metric rollups and the dirty hours that keep answers exact
//! (`migrations/20261210000003_create_metric_rollups.sql` has the tables and the protocol).
//!
//! - A write marks the hours it changes dirty in its own transaction: ingestion through
//!   [`mark_traces`] (one statement per request), deletes and re-pricing through [`invalidate`] or
//!   [`mark_traces`], scores through their table's triggers.
//! - The `metrics.rollup` job ([`kind`]) recomputes each dirty hour's rollup rows from the raw
//!   rows, deletes its marks, and commits both at once, under the hour's exclusive stripe lock
//!   (markers hold it shared until they commit).
//! - A recompute that leaves a whole UTC day clean also rewrites the day's rows (each set's hour
//!   rows summed, `grouping | DAY`), then those of each longer aligned block of days holding it
//!   (2, 4, … 32 days, from its two halves) that is clean as a whole (`schema::MAX_LEVEL`).
//! - A query ([`super::execute`]) reads the rows of clean whole blocks (days when its time
//!   buckets are days or longer, longer blocks when it has none), the hour rows of the other
//!   clean hours and the raw rows of the rest.
//!
//! So rollups of a clean hour always equal the raw rows of that hour, and those of a clean block
//! the sum of its hours, in any snapshot.

use std::collections::BTreeSet;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::schema::{self, DAY, Need, RollupSql, ViewSql};
use crate::jobs::{Kind, Outcome};
use crate::scope::ProjectId;
use loupe_domain::metrics_query::View;

/// The job kind that recomputes dirty hours.
pub const JOB: &str = "metrics.rollup";

/// A dirty hour is recomputed once it has been over this long (an hour still being written
/// would only be marked again).
pub const SETTLE: Duration = Duration::minutes(5);

/// Marks every hour that overlaps `[from, to)` dirty for `project_id`, in the caller's
/// transaction: call it where rows of that range are deleted or changed other than by ingestion
/// (re-pricing, retention). The queries read those hours raw until the job has recomputed them.
pub async fn invalidate(conn: &mut PgConnection, project_id: &ProjectId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), sqlx::Error> {
    if from >= to {
        return Ok(());
    }
    sqlx::query(
        "SELECT loupe_metric_rollup_mark($1, ARRAY(
             SELECT generate_series(date_trunc('hour', $2::timestamptz, 'UTC'), $3::timestamptz - interval '1 microsecond', interval '1 hour')))",
    )
    .bind(project_id.as_str())
    .bind(from)
    .bind(to)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the hours that the traces `trace_ids` and their observations count in: the trace's
/// timestamp, and every hour from its observations' first start to their last end (an
/// observation's rollup row carries its trace's name, release and version). For a trace spanning
/// more than two days, the hours of its observations' starts exactly instead. Call it in the
/// transaction that wrote the traces' rows (ingestion, after `trace_metrics`) or before it
/// deletes them.
///
/// The two lookups are primary-key probes per id (`LATERAL … OFFSET 0`, which the planner
/// cannot flatten into a join): as plain joins, the plan cached for a young, never-analyzed
/// project read all of the project's `trace_metrics` rows for ten ids — a quarter of
/// ingestion's statement time at 5,000 traces and growing with the project (issue #23, docs/BENCHMARKS.md).
/// The statement is also sent unprepared: a generic plan made on a tiny `traces` scanned it per id.
pub async fn mark_traces<I, S>(conn: &mut PgConnection, project_id: &ProjectId, trace_ids: I) -> Result<(), sqlx::Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    mark_traces_with_extents(conn, project_id, &[], trace_ids).await
}

/// What `trace_metrics` holds of a trace that decides its hours: the trace's timestamp and its
/// observations' first start and last end (each `None` where the row has NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceExtent {
    pub trace_id: String,
    pub timestamp: Option<DateTime<Utc>>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// The longest trace whose hours are taken as one span; a longer one marks its observations'
/// hours (the SQL of [`mark_traces_with_extents`] says the same).
const LONGEST_SPAN: Duration = Duration::hours(48);

/// The hours [`mark_traces`] marks for a trace of this extent, in Rust: the timestamp's hour and
/// every hour from the earlier of timestamp and start to the later of timestamp and end (NULLs
/// ignored, as `least`/`greatest` do). `None` for a trace spanning more than two days, whose
/// observations must be read.
pub fn extent_hours(extent: &TraceExtent) -> Option<Vec<DateTime<Utc>>> {
    use chrono::DurationRound;
    let hour = |t: DateTime<Utc>| t.duration_trunc(Duration::hours(1)).unwrap_or(t);
    let earliest = [extent.timestamp, extent.start].into_iter().flatten().min();
    let latest = [extent.timestamp, extent.end].into_iter().flatten().max();
    let mut hours: Vec<DateTime<Utc>> = extent.timestamp.map(hour).into_iter().collect();
    if let (Some(earliest), Some(latest)) = (earliest, latest) {
        if latest - earliest > LONGEST_SPAN {
            return None;
        }
        let mut h = hour(earliest);
        while h <= latest {
            hours.push(h);
            h += Duration::hours(1);
        }
    }
    hours.sort();
    hours.dedup();
    Some(hours)
}

/// What [`mark_traces_with_extents`] marks: the traces whose hours must be looked up (`trace_ids`
/// and the extents too long to take as one span) and the hours known from the other extents,
/// sorted and distinct.
pub fn to_mark<I, S>(extents: &[TraceExtent], trace_ids: I) -> (Vec<String>, Vec<DateTime<Utc>>)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut ids: Vec<String> = trace_ids.into_iter().map(|s| s.as_ref().to_string()).collect();
    let mut hours: Vec<DateTime<Utc>> = Vec::new();
    for extent in extents {
        match extent_hours(extent) {
            Some(known) => hours.extend(known),
            None => ids.push(extent.trace_id.clone()),
        }
    }
    hours.sort();
    hours.dedup();
    (ids, hours)
}

/// Marking known hours, as an expression bound in `qb` (ingestion's closing statement holds it,
/// `ingest::writer::close`).
pub fn push_mark_hours(qb: &mut QueryBuilder<'_, Postgres>, project_id: &ProjectId, hours: Vec<DateTime<Utc>>) {
    qb.push("loupe_metric_rollup_mark(").push_bind(project_id.as_str().to_owned()).push(", ").push_bind(hours).push("::timestamptz[])");
}

/// [`mark_traces`] for a writer that already holds some traces' extents (ingestion: the
/// `trace_metrics` upsert's `RETURNING`): their hours are computed here instead of looked up
/// (issue #23: the lookups were 6 % of a request's statement time), `trace_ids` as
/// [`mark_traces`] does. One statement either way.
pub async fn mark_traces_with_extents<I, S>(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    extents: &[TraceExtent],
    trace_ids: I,
) -> Result<(), sqlx::Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let (ids, hours) = to_mark(extents, trace_ids);
    if ids.is_empty() {
        if hours.is_empty() {
            return Ok(());
        }
        let mut statement = QueryBuilder::new("SELECT ");
        push_mark_hours(&mut statement, project_id, hours);
        statement.build().execute(conn).await?;
        return Ok(());
    }
    sqlx::query(
        "WITH x AS (
             SELECT t.timestamp AS ts, tm.start_time AS s, tm.end_time AS e, x.id
             FROM unnest($2::text[]) AS x(id)
             LEFT JOIN LATERAL (SELECT timestamp FROM traces WHERE project_id = $1 AND id = x.id OFFSET 0) t ON true
             LEFT JOIN LATERAL (SELECT start_time, end_time FROM trace_metrics WHERE project_id = $1 AND trace_id = x.id OFFSET 0) tm ON true
         ), hours AS (
             SELECT ts AS h FROM x
             UNION ALL
             SELECT generate_series(date_trunc('hour', least(ts, s), 'UTC'), greatest(ts, e), interval '1 hour') FROM x
             WHERE coalesce(greatest(ts, e) - least(ts, s) <= interval '48 hours', true)
             UNION ALL
             SELECT o.start_time FROM x JOIN observations o ON o.project_id = $1 AND o.trace_id = x.id
             WHERE greatest(ts, e) - least(ts, s) > interval '48 hours'
             UNION ALL
             SELECT unnest($3::timestamptz[])
         )
         SELECT loupe_metric_rollup_mark($1, ARRAY(SELECT DISTINCT date_trunc('hour', h, 'UTC') FROM hours WHERE h IS NOT NULL))",
    )
    .bind(project_id.as_str())
    .bind(&ids)
    .bind(&hours)
    // Unprepared, for the same reason: even with each lookup a subquery of its own, a generic
    // plan made while `traces` was a page or two scanned it for every id, and kept doing so as
    // it grew (see the traces' merge in `ingest::writer::write_traces`).
    .persistent(false)
    .execute(conn)
    .await?;
    Ok(())
}

/// The value at quantile `q` of a log-bucket histogram (`(bucket, count)` sorted by bucket):
/// the geometric middle of the bucket holding the value of rank `round(q · (n − 1))`, within 5%
/// of it (buckets are 10% wide; bucket 0 holds everything under 1 ms and reads as 0.5).
pub fn percentile(histogram: &[(i16, i64)], q: f64) -> Option<f64> {
    let n: i64 = histogram.iter().map(|(_, c)| c).sum();
    if n <= 0 {
        return None;
    }
    let rank = (q * (n - 1) as f64).round() as i64;
    let mut seen = 0;
    for (bucket, count) in histogram {
        seen += count;
        if seen > rank {
            return Some(bucket_value(*bucket));
        }
    }
    histogram.last().map(|(b, _)| bucket_value(*b))
}

/// The representative value of a latency bucket (see `loupe_latency_bucket`).
pub fn bucket_value(bucket: i16) -> f64 {
    if bucket <= 0 {
        0.5
    } else {
        1.1f64.powf(bucket as f64 - 0.5)
    }
}

/// The rollup recompute of one table: replaces the `(project, hour)` rows from the raw rows, at
/// every grouping set of the table (`GROUPING SETS`; `grouping` is the set's bit mask).
fn recompute_sql(vs: &ViewSql, rollup: &RollupSql) -> String {
    let mut needs = BTreeSet::new();
    for (_, f) in rollup.columns {
        needs.extend(f.need);
    }
    for (_, f) in rollup.measures {
        needs.extend(f.need);
    }
    let joins: Vec<&str> = needs.iter().map(|n: &Need| (vs.join)(*n)).collect();
    let col_list = column_list(rollup);
    let sets = |extra: &str| {
        rollup
            .all_sets()
            .into_iter()
            .map(|s| format!("({}{extra})", s.join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut base = Vec::new();
    for (c, f) in rollup.columns {
        base.push(format!("{} AS {c}", f.sql));
    }
    for (m, f) in rollup.measures {
        base.push(format!("{} AS {}", f.sql, m.prefix));
    }
    let key = format!("GROUPING({col_list})::text || ROW({col_list})::text");
    let mut agg = vec![format!("GROUPING({col_list}) AS grouping"), format!("{key} AS k"), "count(*) AS count".to_string()];
    for (m, _) in rollup.measures {
        let p = m.prefix;
        agg.push(format!("count({p}) AS {p}_count, sum({p}) AS {p}_sum, min({p}) AS {p}_min, max({p}) AS {p}_max"));
    }
    let mut sql = format!(
        "WITH base AS (SELECT {base} FROM {from} {joins} WHERE {project} = $1 AND {time} >= $2 AND {time} < $2 + interval '1 hour'),
         agg AS (SELECT {col_list}, {agg} FROM base GROUP BY GROUPING SETS ({sets}))",
        base = base.join(", "),
        from = vs.from,
        joins = joins.join(" "),
        project = vs.project,
        time = vs.time,
        agg = agg.join(", "),
        sets = sets(""),
    );
    if let Some(p) = histogram(rollup) {
        sql.push_str(&format!(
            ", hist AS (SELECT k, array_agg(bk ORDER BY bk) AS buckets, array_agg(n ORDER BY bk) AS counts
                       FROM (SELECT {key} AS k, bk, count(*) AS n
                             FROM (SELECT *, loupe_latency_bucket({p}) AS bk FROM base WHERE {p} IS NOT NULL) b
                             GROUP BY GROUPING SETS ({sets})) x GROUP BY k)",
            sets = sets(", bk"),
        ));
    }
    sql.push_str(&insert_rows(rollup, "agg.grouping"));
    sql
}

/// The rewrite of one block's rows of a table (every set, `grouping | grain(level)`; `$1` the
/// project, `$2` the block's first day): from the hour rows of the day for a day (level 0), else
/// from the rows of its two halves (level − 1). Counts and sums add up, minima and maxima carry,
/// histograms add bucket by bucket.
fn block_sql(rollup: &RollupSql, level: u32) -> String {
    let col_list = column_list(rollup);
    let (source, days) = match level {
        0 => (format!("grouping < {DAY}"), 1),
        k => (format!("grouping >= {} AND grouping < {}", schema::grain(k - 1), schema::grain(k)), 1i64 << k),
    };
    // The set's mask without the grain bits of the rows summed.
    let set = format!("(grouping & {})", DAY - 1);
    let key = format!("{set}::text || ROW({col_list})::text");
    let mut agg = vec![format!("{set} AS grouping"), format!("{key} AS k"), "sum(count)::int8 AS count".to_string()];
    for (m, _) in rollup.measures {
        let p = m.prefix;
        agg.push(format!("sum({p}_count)::int8 AS {p}_count, sum({p}_sum) AS {p}_sum, min({p}_min) AS {p}_min, max({p}_max) AS {p}_max"));
    }
    let mut sql = format!(
        "WITH h AS (SELECT * FROM {table} WHERE project_id = $1 AND hour >= $2 AND hour < $2 + interval '{days} days' AND {source}),
         agg AS (SELECT {col_list}, {agg} FROM h GROUP BY {set}, {col_list})",
        table = rollup.table,
        agg = agg.join(", "),
    );
    if let Some(p) = histogram(rollup) {
        sql.push_str(&format!(
            ", hist AS (SELECT k, array_agg(bk ORDER BY bk) AS buckets, array_agg(n ORDER BY bk) AS counts
                       FROM (SELECT {key} AS k, b.bk, sum(b.c)::int8 AS n
                             FROM h CROSS JOIN LATERAL unnest(h.{p}_buckets, h.{p}_bucket_counts) AS b(bk, c)
                             GROUP BY 1, 2) x GROUP BY k)"
        ));
    }
    sql.push_str(&insert_rows(rollup, &format!("agg.grouping | {}", schema::grain(level))));
    sql
}

/// The first day of the block of `level` holding `day`.
fn block_start(day: DateTime<Utc>, level: u32) -> DateTime<Utc> {
    let n = schema::day_number(day);
    let start = n - n.rem_euclid(1i64 << level);
    DateTime::<Utc>::UNIX_EPOCH + Duration::days(start)
}

fn column_list(rollup: &RollupSql) -> String {
    rollup.columns.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
}

/// The measure with a latency histogram, if the table has one.
fn histogram(rollup: &RollupSql) -> Option<&'static str> {
    rollup.measures.iter().find(|(m, _)| m.histogram).map(|(m, _)| m.prefix)
}

/// ` INSERT INTO <table> … SELECT $1, $2, <grouping>, … FROM agg [LEFT JOIN hist]`: the end of
/// both statements that write rollup rows, from their `agg` (key columns, `grouping`, `k`, the
/// count and each measure's count, sum, min and max) and `hist` (`k`, `buckets`, `counts`) CTEs.
fn insert_rows(rollup: &RollupSql, grouping: &str) -> String {
    let mut insert = vec!["count".to_string()];
    let mut select = vec!["agg.count".to_string()];
    for (m, _) in rollup.measures {
        for part in ["count", "sum", "min", "max"] {
            insert.push(format!("{}_{part}", m.prefix));
            select.push(format!("agg.{}_{part}", m.prefix));
        }
    }
    let mut from = "agg".to_string();
    if let Some(p) = histogram(rollup) {
        insert.push(format!("{p}_buckets"));
        insert.push(format!("{p}_bucket_counts"));
        select.push("hist.buckets".into());
        select.push("hist.counts".into());
        from.push_str(" LEFT JOIN hist ON hist.k = agg.k");
    }
    format!(
        " INSERT INTO {table} (project_id, hour, grouping, {col_list}, {insert}) SELECT $1, $2, {grouping}, {agg_cols}, {select} FROM {from}",
        table = rollup.table,
        col_list = column_list(rollup),
        insert = insert.join(", "),
        agg_cols = rollup.columns.iter().map(|(c, _)| format!("agg.{c}")).collect::<Vec<_>>().join(", "),
        select = select.join(", "),
    )
}

/// The three rollup tables' recompute statements (one view per table).
fn tables() -> [&'static ViewSql; 3] {
    [schema::view(View::Observations), schema::view(View::Traces), schema::view(View::ScoresNumeric)]
}

/// Recomputes one hour of one project (all three tables) and clears its marks, under the hour's
/// exclusive stripe lock: every transaction that marked the hour before has committed, and one
/// that marks it after this commit inserts a new mark.
///
/// `false` (nothing done, the hour stays dirty) when the stripe stayed locked for 5 s: while the
/// recompute waits, markers of the same stripe queue behind it, so it does not wait long.
pub async fn recompute_hour(pool: &PgPool, project_id: &str, hour: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // One recompute at a time (replicas included): a single exclusive holder cannot take part in
    // a lock cycle with the markers, which only take shared locks.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('loupe.metric_rollup.job', 0))").execute(&mut *tx).await?;
    sqlx::query("SET LOCAL lock_timeout = '5s'").execute(&mut *tx).await?;
    let locked = sqlx::query("SELECT pg_advisory_xact_lock(loupe_metric_rollup_lock_key($1, $2))")
        .bind(project_id)
        .bind(hour)
        .execute(&mut *tx)
        .await;
    match locked {
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => return Ok(false),
        other => other?,
    };
    sqlx::query("SET LOCAL lock_timeout = 0").execute(&mut *tx).await?;
    sqlx::query("DELETE FROM metric_rollup_dirty WHERE project_id = $1 AND hour = $2")
        .bind(project_id)
        .bind(hour)
        .execute(&mut *tx)
        .await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)").bind(project_id).fetch_one(&mut *tx).await?;
    if exists {
        for vs in tables() {
            let rollup = vs.rollup.as_ref().expect("every table view has a rollup");
            sqlx::query(&format!("DELETE FROM {} WHERE project_id = $1 AND hour = $2 AND grouping < {DAY}", rollup.table))
                .bind(project_id)
                .bind(hour)
                .execute(&mut *tx)
                .await?;
            sqlx::query(&recompute_sql(vs, rollup)).bind(project_id).bind(hour).execute(&mut *tx).await?;
        }
        // The day's rows, once none of its hours is dirty, then each longer block holding the
        // day that is clean as a whole. Queries read a block's rows only when none of its hours
        // is dirty in their snapshot; every recompute that leaves a block clean rewrites it in
        // the same transaction (recomputes run one at a time, see above) from its halves, which
        // are clean too and were rewritten by the recompute that last left them clean — so in
        // any snapshot a clean block's rows are the sum of its hour rows. A mark committed after
        // the check makes the block dirty again until its hour is recomputed here.
        for level in 0..=schema::MAX_LEVEL {
            let start = block_start(hour, level);
            let days = 1i64 << level;
            let clean: bool = sqlx::query_scalar(
                "SELECT NOT EXISTS (SELECT 1 FROM metric_rollup_dirty WHERE project_id = $1 AND hour >= $2 AND hour < $3)",
            )
            .bind(project_id)
            .bind(start)
            .bind(start + Duration::days(days))
            .fetch_one(&mut *tx)
            .await?;
            if !clean {
                break;
            }
            for vs in tables() {
                let rollup = vs.rollup.as_ref().expect("every table view has a rollup");
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE project_id = $1 AND hour = $2 AND grouping >= {} AND grouping < {}",
                    rollup.table,
                    schema::grain(level),
                    schema::grain(level + 1)
                ))
                .bind(project_id)
                .bind(start)
                .execute(&mut *tx)
                .await?;
                sqlx::query(&block_sql(rollup, level)).bind(project_id).bind(start).execute(&mut *tx).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Recomputes up to `limit` dirty hours that have been over for `settle`, newest first (what
/// dashboards look at); the number of due hours taken (recomputed, or skipped as locked). Marks
/// of deleted projects are dropped.
pub async fn recompute_dirty(pool: &PgPool, settle: Duration, limit: i64) -> Result<usize, sqlx::Error> {
    sqlx::query("DELETE FROM metric_rollup_dirty d WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = d.project_id)")
        .execute(pool)
        .await?;
    let due: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT DISTINCT project_id, hour FROM metric_rollup_dirty
         WHERE hour + interval '1 hour' <= now() - make_interval(secs => $1)
         ORDER BY hour DESC, project_id LIMIT $2",
    )
    .bind(settle.num_milliseconds() as f64 / 1000.0)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    for (project_id, hour) in &due {
        recompute_hour(pool, project_id, *hour).await?;
    }
    Ok(due.len())
}

/// The periodic `metrics.rollup` job: every 30 s, dirty hours in batches for up to 20 s, then
/// again at once if more are due.
pub fn kind(pool: &PgPool) -> Kind {
    let pool = pool.clone();
    Kind::new(JOB, move |_job| {
        let pool = pool.clone();
        async move {
            let started = Instant::now();
            loop {
                let done = recompute_dirty(&pool, SETTLE, 100).await?;
                if done < 100 {
                    return Ok(Outcome::Done);
                }
                if started.elapsed() > StdDuration::from_secs(20) {
                    return Ok(Outcome::Again);
                }
            }
        }
    })
    .every(StdDuration::from_secs(30))
    .lease(StdDuration::from_secs(120))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_reads_the_bucket_of_the_rank() {
        // 100 values: 90 in bucket 10, 10 in bucket 40.
        let h = [(10, 90), (40, 10)];
        assert_eq!(percentile(&h, 0.5), Some(bucket_value(10)));
        assert_eq!(percentile(&h, 0.95), Some(bucket_value(40)));
        assert_eq!(percentile(&[], 0.5), None);
        // A bucket's middle is within 5% of every value in it.
        for b in 1..300i16 {
            let (lo, hi) = (1.1f64.powi(b as i32 - 1), 1.1f64.powi(b as i32));
            let v = bucket_value(b);
            assert!(v / lo <= 1.05 && hi / v <= 1.05, "bucket {b}");
        }
    }

    #[test]
    fn blocks_are_aligned_on_day_numbers() {
        let day = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 2026-11-11 is day 20768 = 2^5 · 649: it starts a block of every level up to 32 days.
        assert_eq!(block_start(day("2026-11-11T00:00:00Z"), 5), day("2026-11-11T00:00:00Z"));
        assert_eq!(block_start(day("2026-11-12T00:00:00Z"), 1), day("2026-11-11T00:00:00Z"));
        assert_eq!(block_start(day("2026-11-13T00:00:00Z"), 1), day("2026-11-13T00:00:00Z"));
        assert_eq!(block_start(day("2026-11-13T00:00:00Z"), 2), day("2026-11-11T00:00:00Z"));
        assert_eq!(block_start(day("2026-11-10T00:00:00Z"), 3), day("2026-11-03T00:00:00Z"));
        assert_eq!(block_start(day("2026-11-12T05:00:00Z"), 0), day("2026-11-12T00:00:00Z"));
    }

    #[test]
    fn recompute_sql_names_every_column() {
        for vs in tables() {
            let sql = recompute_sql(vs, vs.rollup.as_ref().unwrap());
            assert!(sql.contains("INSERT INTO metric_rollup_"), "{sql}");
        }
        for vs in tables() {
            let sql = block_sql(vs.rollup.as_ref().unwrap(), 0);
            assert!(sql.contains(&format!("grouping | {DAY}")) && sql.contains(&format!("grouping < {DAY}")), "{sql}");
            let sql = block_sql(vs.rollup.as_ref().unwrap(), 2);
            assert!(sql.contains(&format!("grouping | {}", DAY << 2)) && sql.contains(&format!("grouping >= {} AND grouping < {}", DAY << 1, DAY << 2)), "{sql}");
            assert!(sql.contains("interval '4 days'"), "{sql}");
        }
        let obs = recompute_sql(tables()[0], tables()[0].rollup.as_ref().unwrap());
        assert!(obs.contains("latency_buckets") && obs.contains("LEFT JOIN traces t") && obs.contains("GROUPING SETS"), "{obs}");
    }
}
