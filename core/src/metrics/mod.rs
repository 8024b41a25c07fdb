//! The metrics query engine (#22): answers a [`MetricsQuery`] (Langfuse's metrics query JSON,
//! `loupe_domain::metrics_query`) for one project, for the dashboards and for the public metrics
//! API alike.
//!
//! Two ways to the same answer:
//! - **raw**: one `GROUP BY` over the view's rows (observations, traces with `trace_metrics`,
//!   scores) and the joins the query's fields need. Exact percentiles (`percentile_cont`),
//!   distinct counts, histograms. Any query can take it.
//! - **rollups**: when every dimension, filter and metric of the query is one the hourly rollup
//!   tables carry ([`schema`], `migrations/…_create_metric_rollups.sql`), the clean hours come from
//!   the rollup rows and the rest — dirty hours and the partial hours at the range's ends — from
//!   the raw rows, summed together. Counts, sums, averages, minima and maxima are the raw answer
//!   (sums up to floating-point rounding); p50…p99 come from log-scale latency buckets and are
//!   within 5% of the raw value ([`rollups`] explains how hours stay exact).
//!
//! Both run in one read-only `REPEATABLE READ` transaction, so the dirty-hour list and the rows
//! are one snapshot.
//!
//! Post-processing is shared: gap filling, ordering (Langfuse's default: time ascending, else the
//! first metric descending; NULLs last), the row limit and the flat rows of [`Row`].

pub mod daily;
mod filters;
pub mod rollups;
mod schema;

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use loupe_domain::metrics_query::{
    format_time, Aggregation, Condition, FilterColumn, Granularity, MeasureDef, MeasureKind, OrderField, SortDirection,
    ValidMetric, ValidQuery, TIME_DIMENSION_KEY,
};
pub use loupe_domain::metrics_query::{ApiVersion, MetricsQuery, QueryError, Row};
use serde_json::{Map, Value};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row as _};

use crate::scope::ProjectId;
use crate::store::StoreError;
use filters::Target;
use schema::ViewSql;

/// Why a query has no answer: the query's fault (400, naming the field) or the store's.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("{0}")]
    BadQuery(QueryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for MetricsError {
    fn from(error: sqlx::Error) -> MetricsError {
        MetricsError::Store(error.into())
    }
}

/// Whether the engine may use the rollups (tests and benchmarks compare with `RawOnly`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Auto,
    RawOnly,
}

/// How a query was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Raw,
    /// `rollup_hours` clean hours from the rollups (`rollup_days` whole days of them from the
    /// rows of day blocks, `rollup_blocks` blocks longer than a day among them), the rest from
    /// `raw_ranges` ranges of rows.
    Rollup { rollup_hours: usize, rollup_days: usize, rollup_blocks: usize, raw_ranges: usize },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub rows: Vec<Row>,
    pub plan: Plan,
}

/// How long one query may run (the dashboards and the API alike).
const STATEMENT_TIMEOUT: &str = "30s";

/// Validates `query` under `version`'s rules and answers it for `project_id`.
pub async fn run(pool: &PgPool, project_id: &ProjectId, query: &MetricsQuery, version: ApiVersion) -> Result<Vec<Row>, MetricsError> {
    let valid = query.validate(version).map_err(MetricsError::BadQuery)?;
    Ok(execute(pool, project_id, &valid, Strategy::Auto).await?.rows)
}

/// Answers a validated query, telling how.
pub async fn execute(pool: &PgPool, project_id: &ProjectId, query: &ValidQuery, strategy: Strategy) -> Result<Answer, MetricsError> {
    let ctx = Ctx::new(query, project_id);
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    sqlx::query(&format!("SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")).execute(&mut *tx).await?;
    // JIT compiles for seconds the plans whose estimates are large (a 30-day range), and these
    // queries run in milliseconds to a few hundred.
    sqlx::query("SET LOCAL jit = off").execute(&mut *tx).await?;
    let rollup = match strategy {
        Strategy::Auto if ctx.rollup_eligible() => ctx.rollup_window(&mut tx).await?,
        _ => None,
    };
    let (groups, plan) = match rollup {
        Some(window) => {
            let plan = Plan::Rollup {
                rollup_hours: window.clean_hours(),
                rollup_days: window.blocks.iter().map(|(level, _)| 1usize << level).sum(),
                rollup_blocks: window.blocks.iter().filter(|(level, _)| *level > 0).count(),
                raw_ranges: window.ranges.len(),
            };
            (ctx.rollup_groups(&mut tx, &window).await?, plan)
        }
        None => (ctx.raw_groups(&mut tx).await?, Plan::Raw),
    };
    tx.commit().await?;
    Ok(Answer { rows: ctx.finish(groups), plan })
}

/// One result group before it becomes a [`Row`].
#[derive(Debug, Clone)]
struct Group {
    dims: Vec<Value>,
    bucket: Option<DateTime<Utc>>,
    values: Vec<Value>,
}

fn group_key(dims: &[Value], bucket: Option<DateTime<Utc>>) -> String {
    serde_json::to_string(&(dims, bucket)).unwrap_or_default()
}

struct Ctx<'a> {
    q: &'a ValidQuery,
    vs: &'static ViewSql,
    project: &'a ProjectId,
    /// The distinct measures of the metrics, and each metric's index into them.
    measures: Vec<&'static MeasureDef>,
    metric_measure: Vec<usize>,
    /// `date_trunc` unit of the time buckets.
    unit: Option<&'static str>,
}

/// The clean-hour window of a rollup answer.
struct Window {
    /// Clean candidates: whole hours in `[lo, hi)`, minus `dirty`.
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    dirty: Vec<DateTime<Utc>>,
    /// Half-open ranges of the view's time column read from the raw rows.
    ranges: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The rollup grouping set read (`schema::RollupSql::set_for`).
    set: i32,
    /// Blocks of whole UTC days without a dirty hour (`schema::MAX_LEVEL`: level, first day),
    /// read from the set's block rows: days when the query's time buckets are days or longer,
    /// the longest aligned blocks when it has none.
    blocks: Vec<(u32, DateTime<Utc>)>,
    /// The rest of `[lo, hi)`, read from the hour rows (dirty hours excluded).
    hour_spans: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Window {
    fn clean_hours(&self) -> usize {
        ((self.hi - self.lo).num_hours().max(0) as usize).saturating_sub(self.dirty.len())
    }
}

/// The whole UTC days of `[lo, hi)` without a dirty hour as aligned blocks (level, first day;
/// see `schema::MAX_LEVEL`), each the longest up to `max_level` that starts there, fits and is
/// clean as a whole. Days with a dirty hour are left out (their clean hours come from the hour
/// rows).
fn clean_blocks(lo: DateTime<Utc>, hi: DateTime<Utc>, dirty: &[DateTime<Utc>], max_level: u32) -> Vec<(u32, DateTime<Utc>)> {
    let clean = |from: DateTime<Utc>, to: DateTime<Utc>| !dirty.iter().any(|h| *h >= from && *h < to);
    let mut blocks = Vec::new();
    let mut day = Granularity::Day.bucket_start(lo);
    if day < lo {
        day += Duration::days(1);
    }
    while day + Duration::days(1) <= hi {
        let n = schema::day_number(day);
        let level = (0..=max_level)
            .rev()
            .find(|&k| n.rem_euclid(1 << k) == 0 && day + Duration::days(1 << k) <= hi && clean(day, day + Duration::days(1 << k)));
        match level {
            Some(k) => {
                blocks.push((k, day));
                day += Duration::days(1 << k);
            }
            None => day += Duration::days(1),
        }
    }
    blocks
}

/// A view's `LEFT JOIN <table> <alias> ON <condition>` as a per-row probe the planner cannot
/// turn into a hash join (`LEFT JOIN LATERAL (SELECT * FROM <table> <alias> WHERE <condition>
/// OFFSET 0) <alias> ON true`); other joins unchanged.
fn probe_join(join: &str) -> String {
    let Some(rest) = join.strip_prefix("LEFT JOIN ") else { return join.to_string() };
    let Some((table, condition)) = rest.split_once(" ON ") else { return join.to_string() };
    let Some((_, alias)) = table.rsplit_once(' ') else { return join.to_string() };
    format!("LEFT JOIN LATERAL (SELECT * FROM {table} WHERE {condition} OFFSET 0) {alias} ON true")
}

fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    Granularity::Hour.bucket_start(t)
}

fn unit(g: Granularity) -> &'static str {
    match g {
        Granularity::Minute => "minute",
        Granularity::Hour | Granularity::Auto => "hour",
        Granularity::Day => "day",
        Granularity::Week => "week",
        Granularity::Month => "month",
    }
}

/// A float as JSON: integral values as integers (counts and token sums read as such).
fn number(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 => Value::from(x as i64),
        Some(x) => serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

impl<'a> Ctx<'a> {
    fn new(q: &'a ValidQuery, project: &'a ProjectId) -> Self {
        let mut measures: Vec<&'static MeasureDef> = Vec::new();
        let mut metric_measure = Vec::new();
        for m in &q.metrics {
            let i = match measures.iter().position(|x| x.name == m.measure.name) {
                Some(i) => i,
                None => {
                    measures.push(m.measure);
                    measures.len() - 1
                }
            };
            metric_measure.push(i);
        }
        Ctx { q, vs: schema::view(q.view), project, measures, metric_measure, unit: q.granularity.map(unit) }
    }

    fn grouped(&self) -> bool {
        !self.q.dimensions.is_empty() || self.unit.is_some()
    }

    fn dimension_sql(&self, name: &str) -> String {
        let fragment = (self.vs.dimension)(name).expect("validated against the catalog");
        fragment.sql.replace("{time}", self.vs.time)
    }

    fn bucket_sql(&self, time: &str) -> String {
        match self.unit {
            Some(unit) => format!("date_trunc('{unit}', {time}, 'UTC')"),
            None => "NULL::timestamptz".to_string(),
        }
    }

    // ---- raw rows ---------------------------------------------------------------------------

    /// `SELECT <dims> AS d0…, <bucket> AS tb, <measures> AS v<i>… FROM … WHERE …` over the raw
    /// rows, for the measures `measures` (indexes into `self.measures`), optionally only in
    /// `ranges` of the time column.
    fn push_raw_base(&self, qb: &mut QueryBuilder<'static, Postgres>, measures: &[usize], ranges: Option<&[(DateTime<Utc>, DateTime<Utc>)]>) {
        let vs = self.vs;
        let mut needs = BTreeSet::new();
        if let Some(ranges) = ranges {
            // One index range scan per range: a subquery per range (`OFFSET 0` keeps the planner
            // from flattening it into one scan of the whole period filtered by the ranges).
            let (lo, hi): (Vec<DateTime<Utc>>, Vec<DateTime<Utc>>) = ranges.iter().copied().unzip();
            qb.push("SELECT x.* FROM unnest(")
                .push_bind(lo)
                .push("::timestamptz[], ")
                .push_bind(hi)
                .push("::timestamptz[]) AS rr(lo, hi) CROSS JOIN LATERAL (");
        }
        qb.push("SELECT ");
        for (i, d) in self.q.dimensions.iter().enumerate() {
            let fragment = (vs.dimension)(d.name).expect("validated");
            needs.extend(fragment.need);
            qb.push(format!("{} AS d{i}, ", self.dimension_sql(d.name)));
        }
        qb.push(format!("{} AS tb", self.bucket_sql(vs.time)));
        for &i in measures {
            let fragment = (vs.measure)(self.measures[i].name).expect("validated");
            needs.extend(fragment.need);
            qb.push(format!(", {} AS v{i}", fragment.sql));
        }
        for f in &self.q.filters {
            if let FilterColumn::Dimension(d) = &f.column {
                needs.extend((vs.dimension)(d.name).and_then(|f| f.need));
            }
        }
        qb.push(format!(" FROM {}", vs.from));
        for need in needs {
            let join = (vs.join)(need);
            // The raw edges of a rollup answer are a few thousand rows, but the planner cannot
            // estimate ranges given through `rr` and guessed 50,000 a range: it hashed all
            // 1,000,000 traces to join them (280 of the 400 ms of top users by cost). A
            // per-row primary-key probe is what those rows need.
            match ranges {
                Some(_) => qb.push(format!(" {}", probe_join(join))),
                None => qb.push(format!(" {join}")),
            };
        }
        qb.push(format!(" WHERE {} = ", vs.project)).push_bind(self.project.as_str().to_string());
        qb.push(format!(" AND {} >= ", vs.time)).push_bind(self.q.from);
        qb.push(format!(" AND {} <= ", vs.time)).push_bind(self.q.to);
        if let Some(segment) = schema::segment(vs, "s") {
            qb.push(format!(" AND {segment}"));
        }
        for f in &self.q.filters {
            let sql;
            let target = match &f.column {
                FilterColumn::Dimension(d) => {
                    sql = self.dimension_sql(d.name);
                    Target::Column { sql: &sql, kind: d.kind }
                }
                FilterColumn::Time => Target::Column { sql: vs.time, kind: loupe_domain::metrics_query::ValueKind::Text },
                FilterColumn::Metadata(key) => Target::Metadata { column: vs.metadata, key },
            };
            filters::push(qb, &target, &f.condition);
        }
        if ranges.is_some() {
            qb.push(format!(" AND {time} >= rr.lo AND {time} < rr.hi OFFSET 0) x", time = vs.time));
        }
    }

    fn group_by(&self, qb: &mut QueryBuilder<'static, Postgres>, alias: &str, extra: &str) {
        if !self.grouped() && extra.is_empty() {
            return;
        }
        let mut cols: Vec<String> = (0..self.q.dimensions.len()).map(|i| format!("{alias}.d{i}")).collect();
        cols.push(format!("{alias}.tb"));
        if !extra.is_empty() {
            cols.push(extra.to_string());
        }
        qb.push(format!(" GROUP BY {}", cols.join(", ")));
    }

    fn select_dims(&self, alias: &str) -> String {
        let mut s = String::new();
        for i in 0..self.q.dimensions.len() {
            s.push_str(&format!("to_jsonb({alias}.d{i}) AS d{i}, "));
        }
        if self.grouped() {
            s.push_str(&format!("{alias}.tb AS tb"));
        } else {
            s.push_str("NULL::timestamptz AS tb");
        }
        s
    }

    fn read_key(&self, row: &sqlx::postgres::PgRow) -> Result<(Vec<Value>, Option<DateTime<Utc>>), sqlx::Error> {
        let mut dims = Vec::with_capacity(self.q.dimensions.len());
        for i in 0..self.q.dimensions.len() {
            dims.push(row.try_get::<Option<Value>, _>(format!("d{i}").as_str())?.unwrap_or(Value::Null));
        }
        let bucket: Option<DateTime<Utc>> = row.try_get("tb")?;
        Ok((dims, bucket))
    }

    fn raw_aggregate(&self, m: &ValidMetric, v: &str) -> String {
        if m.measure.kind == MeasureKind::Identifier || m.aggregation == Aggregation::Uniq {
            return format!("count(DISTINCT {v})");
        }
        match m.aggregation {
            Aggregation::Count => format!("count({v})"),
            Aggregation::Sum => format!("sum({v})::float8"),
            Aggregation::Avg => format!("avg({v})::float8"),
            Aggregation::Min => format!("min({v})::float8"),
            Aggregation::Max => format!("max({v})::float8"),
            Aggregation::Histogram => "NULL::float8".to_string(),
            p => format!("percentile_cont({}) WITHIN GROUP (ORDER BY {v})", p.quantile().unwrap_or(0.5)),
        }
    }

    fn integer_result(m: &ValidMetric) -> bool {
        m.measure.kind == MeasureKind::Identifier || matches!(m.aggregation, Aggregation::Count | Aggregation::Uniq)
    }

    async fn raw_groups(&self, conn: &mut PgConnection) -> Result<Vec<Group>, MetricsError> {
        let all: Vec<usize> = (0..self.measures.len()).collect();
        let mut qb = QueryBuilder::new(format!("SELECT {}", self.select_dims("b")));
        for (i, m) in self.q.metrics.iter().enumerate() {
            let v = format!("b.v{}", self.metric_measure[i]);
            qb.push(format!(", {} AS m{i}", self.raw_aggregate(m, &v)));
        }
        qb.push(" FROM (");
        self.push_raw_base(&mut qb, &all, None);
        qb.push(") b");
        self.group_by(&mut qb, "b", "");
        let histograms = self.q.metrics.iter().any(|m| m.aggregation == Aggregation::Histogram);
        // Top-N in the database when nothing is computed afterwards. Ties with the last row kept
        // are all returned (`WITH TIES`), as the rollup path does: `finish` breaks them by the
        // groups' keys, the same way for both. A plain `LIMIT` let Postgres pick among tied rows
        // by their physical order, so the two paths could answer with different groups.
        if let (Some(limit), false, true) = (self.q.row_limit, histograms, self.grouped()) {
            let mut order = Vec::new();
            for (field, direction) in self.order() {
                let dir = if direction == SortDirection::Asc { "ASC" } else { "DESC" };
                let col = match field {
                    OrderField::Time => "b.tb".to_string(),
                    OrderField::Dimension(i) => format!("b.d{i}"),
                    OrderField::Metric(i) => format!("m{i}"),
                };
                order.push(format!("{col} {dir} NULLS LAST"));
            }
            qb.push(format!(" ORDER BY {} FETCH FIRST {limit} ROWS WITH TIES", order.join(", ")));
        }
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let mut groups = Vec::with_capacity(rows.len());
        for row in &rows {
            let (dims, bucket) = self.read_key(row)?;
            let mut values = Vec::with_capacity(self.q.metrics.len());
            for (i, m) in self.q.metrics.iter().enumerate() {
                let col = format!("m{i}");
                values.push(if Self::integer_result(m) {
                    Value::from(row.try_get::<i64, _>(col.as_str())?)
                } else {
                    number(row.try_get::<Option<f64>, _>(col.as_str())?)
                });
            }
            groups.push(Group { dims, bucket, values });
        }
        for (i, m) in self.q.metrics.iter().enumerate() {
            if m.aggregation == Aggregation::Histogram {
                let bins = self.histograms(conn, self.metric_measure[i]).await?;
                for g in &mut groups {
                    g.values[i] = bins.get(&group_key(&g.dims, g.bucket)).cloned().unwrap_or_else(|| Value::Array(Vec::new()));
                }
            }
        }
        Ok(groups)
    }

    /// Equal-width histograms of measure `j` per group: `[[lower, upper, count], …]` over the
    /// group's own range (one bin when all values are equal).
    async fn histograms(&self, conn: &mut PgConnection, j: usize) -> Result<HashMap<String, Value>, MetricsError> {
        let bins = self.q.bins as i64;
        let mut partition: Vec<String> = (0..self.q.dimensions.len()).map(|i| format!("b.d{i}")).collect();
        partition.push("b.tb".into());
        let mut qb = QueryBuilder::new(format!("SELECT {}, x.lo, x.hi, y.bin, count(*) AS n FROM (SELECT b.*, ", self.select_dims("x")));
        qb.push(format!(
            "min(b.v{j}) OVER w AS lo, max(b.v{j}) OVER w AS hi FROM ("
        ));
        self.push_raw_base(&mut qb, &[j], None);
        qb.push(format!(") b WHERE b.v{j} IS NOT NULL WINDOW w AS (PARTITION BY {})) x", partition.join(", ")));
        qb.push(format!(" CROSS JOIN LATERAL (SELECT CASE WHEN x.hi = x.lo THEN 0 ELSE least(floor((x.v{j} - x.lo) / (x.hi - x.lo) * "))
            .push_bind(bins)
            .push(")::int8, ")
            .push_bind(bins - 1)
            .push(") END AS bin) y");
        let mut cols: Vec<String> = (0..self.q.dimensions.len()).map(|i| format!("x.d{i}")).collect();
        cols.extend(["x.tb".into(), "x.lo".into(), "x.hi".into(), "y.bin".into()]);
        qb.push(format!(" GROUP BY {}", cols.join(", ")));
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let mut counts: HashMap<String, (f64, f64, Vec<i64>)> = HashMap::new();
        for row in &rows {
            let (dims, bucket) = self.read_key(row)?;
            let (lo, hi): (f64, f64) = (row.try_get("lo")?, row.try_get("hi")?);
            let bin: i64 = row.try_get("bin")?;
            let n: i64 = row.try_get("n")?;
            let entry = counts.entry(group_key(&dims, bucket)).or_insert_with(|| (lo, hi, vec![0; bins as usize]));
            if let Some(c) = entry.2.get_mut(bin as usize) {
                *c += n;
            }
        }
        Ok(counts
            .into_iter()
            .map(|(key, (lo, hi, counts))| {
                let value = if hi == lo {
                    Value::Array(vec![Value::Array(vec![number(Some(lo)), number(Some(hi)), Value::from(counts.iter().sum::<i64>())])])
                } else {
                    let width = (hi - lo) / bins as f64;
                    Value::Array(
                        counts
                            .iter()
                            .enumerate()
                            .map(|(i, c)| {
                                let lower = lo + width * i as f64;
                                let upper = if i as i64 == bins - 1 { hi } else { lo + width * (i + 1) as f64 };
                                Value::Array(vec![number(Some(lower)), number(Some(upper)), Value::from(*c)])
                            })
                            .collect(),
                    )
                };
                (key, value)
            })
            .collect())
    }

    // ---- rollups ----------------------------------------------------------------------------

    /// Whether every part of the query is one the view's rollup carries.
    fn rollup_eligible(&self) -> bool {
        let Some(rollup) = &self.vs.rollup else { return false };
        if self.q.granularity == Some(Granularity::Minute) {
            return false;
        }
        let dims = self.q.dimensions.iter().all(|d| (rollup.dimension)(d.name).is_some());
        let filters = self.q.filters.iter().all(|f| match &f.column {
            FilterColumn::Time => true,
            FilterColumn::Dimension(d) => (rollup.dimension)(d.name).is_some(),
            FilterColumn::Metadata(_) => false,
        });
        let metrics = self.q.metrics.iter().all(|m| {
            let Some(rm) = (rollup.measure)(m.measure.name) else { return false };
            m.measure.kind == MeasureKind::Numeric
                && match m.aggregation {
                    Aggregation::Sum | Aggregation::Avg | Aggregation::Count | Aggregation::Min | Aggregation::Max => true,
                    p if p.quantile().is_some() => rm.histogram,
                    _ => false,
                }
        });
        // A user's rows are few and indexed (`traces_user_idx`): reading them beats reading the
        // user set of the rollups, which holds every user.
        let selective = self.q.filters.iter().any(|f| {
            matches!(&f.column, FilterColumn::Dimension(d) if d.high_cardinality || d.name == "userId")
                && matches!(&f.condition, Condition::Text(loupe_domain::metrics_query::TextOp::Eq, _) | Condition::Options { negate: false, .. })
        });
        dims && filters && metrics && !selective && self.rollup_set().is_some()
    }

    /// The smallest grouping set of the rollup holding the query's dimensions and filters.
    fn rollup_set(&self) -> Option<i32> {
        let rollup = self.vs.rollup.as_ref().expect("eligible");
        let mut columns = Vec::new();
        let names = self.q.dimensions.iter().map(|d| d.name).chain(self.q.filters.iter().filter_map(|f| match &f.column {
            FilterColumn::Dimension(d) => Some(d.name),
            _ => None,
        }));
        for name in names {
            if let Some(column) = (rollup.dimension)(name).and_then(schema::rollup_column) {
                columns.push(column);
            }
        }
        // The scores' segment reads `data_type`.
        if self.vs.segment.is_some() {
            columns.push("data_type");
        }
        rollup.set_for(&columns)
    }

    /// The clean hours and raw ranges; `None` when no whole hour lies in the range.
    async fn rollup_window(&self, conn: &mut PgConnection) -> Result<Option<Window>, MetricsError> {
        let times = self.q.filters.iter().filter_map(|f| match (&f.column, &f.condition) {
            (FilterColumn::Time, Condition::Time(cmp, t)) => Some((*cmp, *t)),
            _ => None,
        });
        let ((lower, lower_inclusive), (upper, _)) = filters::time_bounds(self.q.from, self.q.to, times);
        let lo = if floor_hour(lower) == lower && lower_inclusive { lower } else { floor_hour(lower) + Duration::hours(1) };
        let hi = floor_hour(upper);
        if hi <= lo {
            return Ok(None);
        }
        let dirty: Vec<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT DISTINCT hour FROM metric_rollup_dirty WHERE project_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour",
        )
        .bind(self.project.as_str())
        .bind(lo)
        .bind(hi)
        .fetch_all(&mut *conn)
        .await?;
        let mut ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        let mut push = |from: DateTime<Utc>, to: DateTime<Utc>| {
            if from >= to {
                return;
            }
            match ranges.last_mut() {
                Some(last) if last.1 >= from => last.1 = last.1.max(to),
                _ => ranges.push((from, to)),
            }
        };
        push(lower, lo);
        for h in &dirty {
            push(*h, *h + Duration::hours(1));
        }
        // The upper end is inclusive to the microsecond (Postgres' resolution).
        push(hi, upper + Duration::microseconds(1));
        // Whole days of clean hours come from the block rows when the buckets allow it: days
        // for day, week and month buckets, the longest aligned clean blocks without buckets.
        let blocks = match self.unit {
            None => clean_blocks(lo, hi, &dirty, schema::MAX_LEVEL),
            Some("day" | "week" | "month") => clean_blocks(lo, hi, &dirty, 0),
            Some(_) => Vec::new(),
        };
        let mut hour_spans = Vec::new();
        let mut cursor = lo;
        for (level, start) in &blocks {
            if cursor < *start {
                hour_spans.push((cursor, *start));
            }
            cursor = *start + Duration::days(1 << level);
        }
        if cursor < hi {
            hour_spans.push((cursor, hi));
        }
        Ok(Some(Window { lo, hi, dirty, ranges, set: self.rollup_set().expect("eligible"), blocks, hour_spans }))
    }

    /// `FROM <rollup> r WHERE <project, clean hours, segment, filters>`.
    fn push_rollup_from(&self, qb: &mut QueryBuilder<'static, Postgres>, window: &Window, lateral: &str) {
        let rollup = self.vs.rollup.as_ref().expect("eligible");
        qb.push(format!(" FROM {} r{lateral} WHERE r.project_id = ", rollup.table)).push_bind(self.project.as_str().to_string());
        // One index range per span of hour rows, one lookup for the day rows (an OR of plain
        // arms, which Postgres turns into a BitmapOr over the (project, grouping, hour) index).
        qb.push(" AND (");
        let mut arms = 0;
        for (from, to) in &window.hour_spans {
            if arms > 0 {
                qb.push(" OR ");
            }
            qb.push("(r.grouping = ").push_bind(window.set);
            qb.push(" AND r.hour >= ").push_bind(*from);
            qb.push(" AND r.hour < ").push_bind(*to).push(")");
            arms += 1;
        }
        for level in 0..=schema::MAX_LEVEL {
            let starts: Vec<DateTime<Utc>> = window.blocks.iter().filter(|(k, _)| *k == level).map(|(_, start)| *start).collect();
            if starts.is_empty() {
                continue;
            }
            if arms > 0 {
                qb.push(" OR ");
            }
            qb.push("(r.grouping = ").push_bind(window.set | schema::grain(level));
            qb.push(" AND r.hour = ANY(").push_bind(starts).push("))");
            arms += 1;
        }
        if arms == 0 {
            qb.push("false");
        }
        qb.push(")");
        qb.push(" AND r.hour <> ALL(").push_bind(window.dirty.clone()).push(")");
        if let Some(segment) = schema::segment(self.vs, "r") {
            qb.push(format!(" AND {segment}"));
        }
        for f in &self.q.filters {
            if let FilterColumn::Dimension(d) = &f.column {
                let sql = (rollup.dimension)(d.name).expect("eligible");
                filters::push(qb, &Target::Column { sql, kind: d.kind }, &f.condition);
            }
        }
    }

    fn rollup_dims(&self) -> String {
        let rollup = self.vs.rollup.as_ref().expect("eligible");
        let mut s = String::new();
        for (i, d) in self.q.dimensions.iter().enumerate() {
            s.push_str(&format!("{} AS d{i}, ", (rollup.dimension)(d.name).expect("eligible")));
        }
        s.push_str(&format!("{} AS tb", self.bucket_sql("r.hour")));
        s
    }

    async fn rollup_groups(&self, conn: &mut PgConnection, window: &Window) -> Result<Vec<Group>, MetricsError> {
        let rollup = self.vs.rollup.as_ref().expect("eligible");
        let all: Vec<usize> = (0..self.measures.len()).collect();
        // Partials per measure: non-null count, sum, min, max.
        let mut qb = QueryBuilder::new(format!("SELECT {}", self.select_dims("u")));
        for j in 0..self.measures.len() {
            qb.push(format!(", sum(u.n{j})::int8 AS n{j}, sum(u.s{j}) AS s{j}, min(u.lo{j}) AS lo{j}, max(u.hi{j}) AS hi{j}"));
        }
        qb.push(format!(" FROM (SELECT {}", self.rollup_dims()));
        for (j, m) in self.measures.iter().enumerate() {
            let p = (rollup.measure)(m.name).expect("eligible").prefix;
            if p == "count" {
                qb.push(format!(", r.count AS n{j}, r.count::float8 AS s{j}, 1::float8 AS lo{j}, 1::float8 AS hi{j}"));
            } else {
                qb.push(format!(", r.{p}_count AS n{j}, r.{p}_sum AS s{j}, r.{p}_min AS lo{j}, r.{p}_max AS hi{j}"));
            }
        }
        self.push_rollup_from(&mut qb, window, "");
        qb.push(" UNION ALL SELECT ");
        for i in 0..self.q.dimensions.len() {
            qb.push(format!("b.d{i}, "));
        }
        qb.push("b.tb");
        for j in 0..self.measures.len() {
            qb.push(format!(", (b.v{j} IS NOT NULL)::int::int8, b.v{j}, b.v{j}, b.v{j}"));
        }
        qb.push(" FROM (");
        self.push_raw_base(&mut qb, &all, Some(&window.ranges));
        qb.push(") b) u");
        self.group_by(&mut qb, "u", "");
        // A top N (row limit and an order by metrics Postgres can compute from the partials):
        // only the groups that can make the cut leave Postgres — ties with the last one kept, so
        // `finish`'s tie-break picks the same rows as without the cut. Top users by cost has
        // tens of thousands of groups.
        if let (Some(limit), Some(order)) = (self.q.row_limit, self.sql_order()) {
            qb.push(format!(" ORDER BY {order} FETCH FIRST {limit} ROWS WITH TIES"));
        }
        let rows = qb.build().fetch_all(&mut *conn).await?;

        struct Partial {
            n: i64,
            s: Option<f64>,
            lo: Option<f64>,
            hi: Option<f64>,
        }
        let mut groups = Vec::with_capacity(rows.len());
        let mut partials = Vec::with_capacity(rows.len());
        for row in &rows {
            let (dims, bucket) = self.read_key(row)?;
            let mut p = Vec::with_capacity(self.measures.len());
            for j in 0..self.measures.len() {
                p.push(Partial {
                    n: row.try_get::<Option<i64>, _>(format!("n{j}").as_str())?.unwrap_or(0),
                    s: row.try_get(format!("s{j}").as_str())?,
                    lo: row.try_get(format!("lo{j}").as_str())?,
                    hi: row.try_get(format!("hi{j}").as_str())?,
                });
            }
            groups.push(Group { dims, bucket, values: Vec::new() });
            partials.push(p);
        }

        // Percentiles from the merged latency buckets. Each rollup row's sparse histogram comes
        // back as is and is merged here: summing them in SQL (`unnest` and a GROUP BY over every
        // bucket of every row) cost ten times more on the benchmark.
        let mut buckets: HashMap<String, Vec<(i16, i64)>> = HashMap::new();
        if let Some(j) = self.q.metrics.iter().position(|m| m.aggregation.quantile().is_some()).map(|i| self.metric_measure[i]) {
            let mut qb = QueryBuilder::new(format!(
                "SELECT {}, u.bks, u.cs FROM (SELECT {}, r.latency_buckets AS bks, r.latency_bucket_counts AS cs",
                self.select_dims("u"),
                self.rollup_dims()
            ));
            self.push_rollup_from(&mut qb, window, "");
            qb.push(" AND r.latency_buckets IS NOT NULL UNION ALL SELECT ");
            let mut group: Vec<String> = (0..self.q.dimensions.len()).map(|i| format!("x.d{i}")).collect();
            group.push("x.tb".into());
            qb.push(format!("{}, ARRAY[loupe_latency_bucket(x.v{j})], ARRAY[count(*)::int8] FROM (", group.join(", ")));
            self.push_raw_base(&mut qb, &[j], Some(&window.ranges));
            qb.push(format!(") x WHERE x.v{j} IS NOT NULL GROUP BY {}, loupe_latency_bucket(x.v{j})) u", group.join(", ")));
            let mut merged: HashMap<String, HashMap<i16, i64>> = HashMap::new();
            for row in &qb.build().fetch_all(&mut *conn).await? {
                let (dims, bucket) = self.read_key(row)?;
                let bks: Vec<i16> = row.try_get("bks")?;
                let cs: Vec<i64> = row.try_get("cs")?;
                let h = merged.entry(group_key(&dims, bucket)).or_default();
                for (b, c) in bks.into_iter().zip(cs) {
                    *h.entry(b).or_default() += c;
                }
            }
            for (key, h) in merged {
                let mut v: Vec<(i16, i64)> = h.into_iter().collect();
                v.sort_unstable();
                buckets.insert(key, v);
            }
        }

        for (g, p) in groups.iter_mut().zip(&partials) {
            for (i, m) in self.q.metrics.iter().enumerate() {
                let part = &p[self.metric_measure[i]];
                let value = match m.aggregation {
                    Aggregation::Count => Value::from(part.n),
                    Aggregation::Sum => number(part.s),
                    Aggregation::Avg => number(part.s.filter(|_| part.n > 0).map(|s| s / part.n as f64)),
                    Aggregation::Min => number(part.lo),
                    Aggregation::Max => number(part.hi),
                    agg => {
                        let q = agg.quantile().unwrap_or(0.5);
                        let hist = buckets.get_mut(&group_key(&g.dims, g.bucket));
                        number(hist.and_then(|h| {
                            h.sort_unstable();
                            rollups::percentile(h, q).map(|v| v.clamp(part.lo.unwrap_or(v), part.hi.unwrap_or(v).max(part.lo.unwrap_or(v))))
                        }))
                    }
                };
                g.values.push(value);
            }
        }
        Ok(groups)
    }

    /// The query's order as SQL over the grouped partials of `rollup_groups` (the same values
    /// `finish` sorts by, computed the same way), or `None` when a field is not such a metric.
    fn sql_order(&self) -> Option<String> {
        if self.q.order_by.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        for (field, direction) in &self.q.order_by {
            let OrderField::Metric(i) = field else { return None };
            let j = self.metric_measure[*i];
            let expr = match self.q.metrics[*i].aggregation {
                Aggregation::Count => format!("sum(u.n{j})"),
                Aggregation::Sum => format!("sum(u.s{j})"),
                Aggregation::Min => format!("min(u.lo{j})"),
                Aggregation::Max => format!("max(u.hi{j})"),
                Aggregation::Avg => format!("sum(u.s{j}) / nullif(sum(u.n{j}), 0)::float8"),
                _ => return None,
            };
            let dir = match direction {
                SortDirection::Asc => "ASC",
                SortDirection::Desc => "DESC",
            };
            parts.push(format!("{expr} {dir} NULLS LAST"));
        }
        Some(parts.join(", "))
    }

    // ---- shared post-processing ---------------------------------------------------------------

    /// The query's order, or Langfuse's default.
    fn order(&self) -> Vec<(OrderField, SortDirection)> {
        if !self.q.order_by.is_empty() {
            return self.q.order_by.clone();
        }
        if self.unit.is_some() {
            vec![(OrderField::Time, SortDirection::Asc)]
        } else {
            vec![(OrderField::Metric(0), SortDirection::Desc)]
        }
    }

    fn finish(&self, mut groups: Vec<Group>) -> Vec<Row> {
        // Empty time buckets of a plain time series, as Langfuse's WITH FILL: counts and sums 0.
        if let (Some(g), true, true) = (self.q.granularity, self.q.dimensions.is_empty(), self.q.order_by.is_empty()) {
            let present: BTreeSet<DateTime<Utc>> = groups.iter().filter_map(|g| g.bucket).collect();
            for b in g.buckets(self.q.from, self.q.to) {
                if !present.contains(&b) {
                    let values = self
                        .q
                        .metrics
                        .iter()
                        .map(|m| match m.aggregation {
                            Aggregation::Count | Aggregation::Uniq | Aggregation::Sum => Value::from(0),
                            Aggregation::Histogram => Value::Array(Vec::new()),
                            _ => Value::Null,
                        })
                        .collect();
                    groups.push(Group { dims: Vec::new(), bucket: Some(b), values });
                }
            }
        }
        let order = self.order();
        groups.sort_by(|a, b| {
            for (field, direction) in &order {
                let (x, y) = match field {
                    OrderField::Time => (a.bucket.map(|t| Value::from(t.timestamp_micros())), b.bucket.map(|t| Value::from(t.timestamp_micros()))),
                    OrderField::Dimension(i) => (a.dims.get(*i).cloned(), b.dims.get(*i).cloned()),
                    OrderField::Metric(i) => (a.values.get(*i).cloned(), b.values.get(*i).cloned()),
                };
                let ord = compare_nulls_last(x.as_ref(), y.as_ref(), *direction);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            a.bucket.cmp(&b.bucket).then_with(|| {
                for (x, y) in a.dims.iter().zip(&b.dims) {
                    let ord = compare_nulls_last(Some(x), Some(y), SortDirection::Asc);
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                Ordering::Equal
            })
        });
        if let Some(limit) = self.q.row_limit {
            groups.truncate(limit as usize);
        }
        groups
            .into_iter()
            .map(|g| {
                let mut row = Map::new();
                for (d, v) in self.q.dimensions.iter().zip(g.dims) {
                    row.insert(d.name.to_string(), v);
                }
                if let (Some(_), Some(b)) = (self.unit, g.bucket) {
                    row.insert(TIME_DIMENSION_KEY.to_string(), Value::String(format_time(b)));
                }
                for (m, v) in self.q.metrics.iter().zip(g.values) {
                    row.insert(m.key(), v);
                }
                Row(row)
            })
            .collect()
    }
}

/// Orders two JSON values (numbers by value, strings by bytes, booleans false first, others by
/// their text) with nulls (and missing values) last in either direction.
fn compare_nulls_last(a: Option<&Value>, b: Option<&Value>, direction: SortDirection) -> Ordering {
    let is_null = |v: Option<&Value>| matches!(v, None | Some(Value::Null));
    match (is_null(a), is_null(b)) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (a, b) = (a.unwrap(), b.unwrap());
    let ord = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().unwrap_or(0.0).partial_cmp(&y.as_f64().unwrap_or(0.0)).unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    };
    if direction == SortDirection::Desc {
        ord.reverse()
    } else {
        ord
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn clean_days_become_the_longest_aligned_blocks() {
        // 30 days and a few hours, Nov 5 06:00 to Dec 5 09:00: the 29 whole days (Nov 6 to
        // Dec 4) as blocks that grow towards the middle and shrink towards the end.
        let blocks = clean_blocks(t("2026-11-05T06:00:00Z"), t("2026-12-05T09:00:00Z"), &[], MAX);
        let covered: i64 = blocks.iter().map(|(k, _)| 1i64 << k).sum();
        assert_eq!(covered, 29, "{blocks:?}");
        // Contiguous, aligned, and far fewer than the 29 days.
        let mut next = t("2026-11-06T00:00:00Z");
        for (k, start) in &blocks {
            assert_eq!(*start, next);
            assert_eq!(schema::day_number(*start).rem_euclid(1 << k), 0, "{start} level {k}");
            next = *start + Duration::days(1 << k);
        }
        assert_eq!(next, t("2026-12-05T00:00:00Z"));
        assert!(blocks.len() <= 2 * (MAX as usize + 1), "{blocks:?}");
        assert!(blocks.iter().any(|(k, _)| *k == 4), "{blocks:?}");

        // A dirty hour splits the blocks around its day, which is left to the hour rows.
        let dirty = [t("2026-11-20T13:00:00Z")];
        let blocks = clean_blocks(t("2026-11-05T06:00:00Z"), t("2026-12-05T09:00:00Z"), &dirty, MAX);
        let covered: i64 = blocks.iter().map(|(k, _)| 1i64 << k).sum();
        assert_eq!(covered, 28, "{blocks:?}");
        for (k, start) in &blocks {
            let end = *start + Duration::days(1 << k);
            assert!(end <= t("2026-11-20T00:00:00Z") || *start >= t("2026-11-21T00:00:00Z"), "{start} level {k}");
        }

        // Level 0: every clean whole day on its own (the buckets are days or longer).
        let days = clean_blocks(t("2026-11-05T06:00:00Z"), t("2026-11-09T00:00:00Z"), &[], 0);
        assert_eq!(days.iter().map(|(_, d)| *d).collect::<Vec<_>>(), vec![t("2026-11-06T00:00:00Z"), t("2026-11-07T00:00:00Z"), t("2026-11-08T00:00:00Z")]);
        // Nothing whole: no blocks.
        assert!(clean_blocks(t("2026-11-05T06:00:00Z"), t("2026-11-05T23:00:00Z"), &[], MAX).is_empty());
    }

    const MAX: u32 = schema::MAX_LEVEL;

    #[test]
    fn probe_joins_keep_the_condition() {
        assert_eq!(
            probe_join("LEFT JOIN traces t ON t.project_id = o.project_id AND t.id = o.trace_id"),
            "LEFT JOIN LATERAL (SELECT * FROM traces t WHERE t.project_id = o.project_id AND t.id = o.trace_id OFFSET 0) t ON true"
        );
        let lateral = "CROSS JOIN LATERAL jsonb_each(o.cost_details) AS ct(key, value)";
        assert_eq!(probe_join(lateral), lateral);
        assert_eq!(probe_join(""), "");
    }
}
