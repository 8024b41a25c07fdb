//! Langfuse's legacy daily metrics (`GET /api/public/metrics/daily`, docs/COMPATIBILITY.md
//! "Metrics API"): per UTC day, the traces of the day (by trace timestamp) and the observations of
//! the filtered traces (by observation start), the latter split by model. Newest day first.
//!
//! As Langfuse's `dailyMetrics.ts`: the filters select traces (name, user, every tag,
//! environment, timestamp in `[from, to)`); the usage columns are the `input`, `output` and
//! `total` entries of the observations' usage maps; a day with observations but no trace of its
//! own (a trace that ran past midnight) still has a row.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder, Row as _};

use crate::scope::ProjectId;
use crate::store::StoreError;

#[derive(Debug, Clone, Default)]
pub struct DailyFilter {
    pub trace_name: Option<String>,
    pub user_id: Option<String>,
    /// Traces carrying every one of these tags.
    pub tags: Vec<String>,
    /// Traces (and observations) in any of these environments.
    pub environments: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    pub model: Option<String>,
    pub input_usage: f64,
    pub output_usage: f64,
    pub total_usage: f64,
    pub count_observations: i64,
    pub count_traces: i64,
    pub total_cost: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyMetrics {
    /// `YYYY-MM-DD` (UTC).
    pub date: NaiveDate,
    pub count_traces: i64,
    pub count_observations: i64,
    pub total_cost: f64,
    pub usage: Vec<ModelUsage>,
}

fn usage_of(key: &str) -> String {
    format!("sum(CASE WHEN jsonb_typeof(o.usage_details -> '{key}') = 'number' THEN (o.usage_details -> '{key}')::float8 ELSE 0 END)")
}

/// The days `[offset, offset + limit)` (newest first) and the number of days in all.
pub async fn daily(pool: &PgPool, project_id: &ProjectId, filter: &DailyFilter, limit: i64, offset: i64) -> Result<(Vec<DailyMetrics>, i64), StoreError> {
    let mut qb = QueryBuilder::<Postgres>::new("WITH ft AS (SELECT t.id, t.timestamp FROM traces t WHERE t.project_id = ");
    qb.push_bind(project_id.as_str().to_string());
    if let Some(name) = &filter.trace_name {
        qb.push(" AND t.name = ").push_bind(name.clone());
    }
    if let Some(user) = &filter.user_id {
        qb.push(" AND t.user_id = ").push_bind(user.clone());
    }
    if !filter.tags.is_empty() {
        qb.push(" AND t.tags @> ").push_bind(filter.tags.clone());
    }
    if !filter.environments.is_empty() {
        qb.push(" AND t.environment = ANY(").push_bind(filter.environments.clone()).push(")");
    }
    if let Some(from) = filter.from {
        qb.push(" AND t.timestamp >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        qb.push(" AND t.timestamp < ").push_bind(to);
    }
    qb.push(format!(
        "), mu AS (SELECT (o.start_time AT TIME ZONE 'UTC')::date AS date, o.model, count(*) AS n, count(DISTINCT o.trace_id) AS traces,
                          {input} AS input, {output} AS output, {total} AS total, sum(coalesce(o.total_cost, 0))::float8 AS cost
                   FROM ft JOIN observations o ON o.project_id = ",
        input = usage_of("input"),
        output = usage_of("output"),
        total = usage_of("total"),
    ));
    qb.push_bind(project_id.as_str().to_string()).push(" AND o.trace_id = ft.id");
    if !filter.environments.is_empty() {
        qb.push(" AND o.environment = ANY(").push_bind(filter.environments.clone()).push(")");
    }
    qb.push(
        " GROUP BY 1, 2),
         dmu AS (SELECT date, sum(n)::int8 AS n, sum(cost)::float8 AS cost,
                        jsonb_agg(jsonb_build_object('model', model, 'inputUsage', input, 'outputUsage', output, 'totalUsage', total,
                                                     'countObservations', n, 'countTraces', traces, 'totalCost', cost)
                                  ORDER BY model NULLS LAST) AS usage
                 FROM mu GROUP BY date),
         tu AS (SELECT (timestamp AT TIME ZONE 'UTC')::date AS date, count(*) AS n FROM ft GROUP BY 1),
         days AS (SELECT coalesce(dmu.date, tu.date) AS date, coalesce(tu.n, 0)::int8 AS count_traces,
                         coalesce(dmu.n, 0)::int8 AS count_observations, coalesce(dmu.cost, 0)::float8 AS total_cost,
                         coalesce(dmu.usage, '[]') AS usage
                  FROM dmu FULL JOIN tu ON dmu.date = tu.date)
         SELECT *, count(*) OVER () AS total FROM days ORDER BY date DESC LIMIT ",
    );
    qb.push_bind(limit).push(" OFFSET ").push_bind(offset);
    let rows = qb.build().fetch_all(pool).await?;
    let mut total = 0;
    let mut days = Vec::with_capacity(rows.len());
    for row in &rows {
        total = row.try_get::<i64, _>("total")?;
        let usage: serde_json::Value = row.try_get("usage")?;
        let usage = usage
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|u| ModelUsage {
                        model: u["model"].as_str().map(str::to_string),
                        input_usage: u["inputUsage"].as_f64().unwrap_or(0.0),
                        output_usage: u["outputUsage"].as_f64().unwrap_or(0.0),
                        total_usage: u["totalUsage"].as_f64().unwrap_or(0.0),
                        count_observations: u["countObservations"].as_i64().unwrap_or(0),
                        count_traces: u["countTraces"].as_i64().unwrap_or(0),
                        total_cost: u["totalCost"].as_f64().unwrap_or(0.0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        days.push(DailyMetrics {
            date: row.try_get("date")?,
            count_traces: row.try_get("count_traces")?,
            count_observations: row.try_get("count_observations")?,
            total_cost: row.try_get("total_cost")?,
            usage,
        });
    }
    if rows.is_empty() && offset > 0 {
        // A page past the end still reports how many days there are.
        let (all, count) = Box::pin(daily(pool, project_id, filter, 1, 0)).await?;
        drop(all);
        total = count;
    }
    Ok((days, total))
}
