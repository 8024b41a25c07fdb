//! How each view's dimensions and measures map to Loupe's tables: SQL fragments per catalog name
//! (`loupe_domain::metrics_query`), for the raw rows and for the rollup tables. Only these
//! constant fragments are ever spliced into SQL; every value of a query is bound.
//!
//! One expression per measure serves the raw query, the raw part of a rollup query and the
//! rollup recompute ([`super::rollups`]), so the three cannot disagree on what a value is.

use loupe_domain::metrics_query::View;

/// A join a fragment needs beyond the view's own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Need {
    /// The row's trace (`t`): observations and scores.
    Trace,
    /// The trace's aggregates (`tm`): the traces view.
    TraceMetrics,
    /// The score's observation (`o`): score views.
    Observation,
    /// One row per cost type (`ct`): `costType` / `costByType`.
    CostTypes,
    /// One row per usage type (`ut`): `usageType` / `usageByType`.
    UsageTypes,
}

/// A dimension's or measure's SQL over the raw rows. `{time}` stands for the view's time column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fragment {
    pub sql: &'static str,
    pub need: Option<Need>,
}

const fn own(sql: &'static str) -> Option<Fragment> {
    Some(Fragment { sql, need: None })
}
const fn via(need: Need, sql: &'static str) -> Option<Fragment> {
    Some(Fragment { sql, need: Some(need) })
}

/// A measure's columns in a rollup table: `<prefix>_count`, `_sum`, `_min`, `_max` (and the
/// latency histogram when `histogram`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RollupMeasure {
    pub prefix: &'static str,
    pub histogram: bool,
}

/// The `grouping` bit of a day row: a set's hour rows summed over one UTC day (its `hour` holds
/// the day's start). Above every column bit (a rollup has far fewer than 20 columns). A 30-day
/// query reads 30 rows a group instead of 720 (`super::rollups::recompute_hour` writes them).
pub(crate) const DAY: i32 = 1 << 20;

/// The longest block of days kept: `2^MAX_LEVEL` days. A block of level `k` sums `2^k` UTC days
/// starting at a day whose number since 1970-01-01 is a multiple of `2^k` (its two halves of
/// level `k - 1`; level 0 is the day). Its rows carry [`grain`]`(k)` above the set's mask. A
/// range of whole days splits into at most two blocks of each level, so an answer without time
/// buckets reads a few rows per group however long its range: top users by cost over 30 days
/// reads each user about 6 times instead of 30.
pub(crate) const MAX_LEVEL: u32 = 5;

/// The grain bit of level `k` (`DAY` for a day).
pub(crate) const fn grain(level: u32) -> i32 {
    DAY << level
}

/// The day number (days since 1970-01-01) of a UTC day start.
pub(crate) fn day_number(day: chrono::DateTime<chrono::Utc>) -> i64 {
    day.timestamp().div_euclid(86_400)
}

pub(crate) struct RollupSql {
    pub table: &'static str,
    /// A dimension's expression over the rollup row `r` (`{time}` is `r.hour`).
    pub dimension: fn(&str) -> Option<&'static str>,
    pub measure: fn(&str) -> Option<RollupMeasure>,
    /// The rollup's grouping columns with the raw expression each holds, in table order.
    pub columns: &'static [(&'static str, Fragment)],
    /// Measures stored, with their raw expressions.
    pub measures: &'static [(RollupMeasure, Fragment)],
    /// The grouping sets stored besides the wide one, smallest first (by rows an hour on
    /// realistic data): a query takes the first that holds its dimensions and filters.
    pub sets: &'static [&'static [&'static str]],
    /// Columns only in `sets`, not in the wide set (every other column): a user id would make
    /// the wide set as large as the raw rows.
    pub narrow_only: &'static [&'static str],
}

impl RollupSql {
    /// The `grouping` value of a set: Postgres' `GROUPING(<columns>)`, a bit (first column
    /// highest) for every column aggregated away.
    pub fn mask(&self, set: &[&str]) -> i32 {
        let n = self.columns.len();
        self.columns.iter().enumerate().filter(|(_, (c, _))| !set.contains(c)).map(|(i, _)| 1i32 << (n - 1 - i)).sum()
    }

    /// The wide set: every column but `narrow_only`.
    pub fn wide(&self) -> Vec<&'static str> {
        self.columns.iter().map(|(c, _)| *c).filter(|c| !self.narrow_only.contains(c)).collect()
    }

    /// Every stored set, the wide one last.
    pub fn all_sets(&self) -> Vec<Vec<&'static str>> {
        self.sets.iter().map(|s| s.to_vec()).chain(std::iter::once(self.wide())).collect()
    }

    /// The smallest stored set holding every one of `columns`, as its `grouping` mask; `None`
    /// when no set holds them all.
    pub fn set_for(&self, columns: &[&str]) -> Option<i32> {
        self.all_sets().iter().find(|set| columns.iter().all(|c| set.contains(c))).map(|set| self.mask(set))
    }
}

/// The rollup column an expression over `r` reads (`r.model` → `model`); `None` for expressions
/// of the hour alone (`to_char(r.hour …)`), which every set holds.
pub(crate) fn rollup_column(expr: &str) -> Option<&str> {
    let column = expr.strip_prefix("r.")?;
    column.chars().all(|c| c.is_ascii_lowercase() || c == '_').then_some(column)
}

pub(crate) struct ViewSql {
    /// `observations o`, …
    pub from: &'static str,
    pub project: &'static str,
    pub time: &'static str,
    pub metadata: &'static str,
    /// The rows of the view (score views take some data types).
    pub segment: Option<&'static str>,
    pub dimension: fn(&str) -> Option<Fragment>,
    pub measure: fn(&str) -> Option<Fragment>,
    pub join: fn(Need) -> &'static str,
    pub rollup: Option<RollupSql>,
}

/// The SQL of a view.
pub(crate) fn view(view: View) -> &'static ViewSql {
    match view {
        View::Traces => &TRACES,
        View::Observations => &OBSERVATIONS,
        View::ScoresNumeric => &SCORES_NUMERIC,
        View::ScoresCategorical => &SCORES_CATEGORICAL,
        View::ScoresBoolean => &SCORES_BOOLEAN,
    }
}

// ---- Observations --------------------------------------------------------------------------

/// Milliseconds from start to end; NULL while the observation has no end.
pub(crate) const OBSERVATION_LATENCY: &str = "(extract(epoch FROM (o.end_time - o.start_time))::float8 * 1000)";

/// The sum of a usage or cost map's numeric values whose key contains `input` / `output`
/// (case-insensitive), as Langfuse counts `inputTokens` (`input`, `input_cached_tokens`, …); 0
/// for none.
macro_rules! keyed_sum {
    ($column:literal, $part:literal) => {
        concat!(
            "(SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.value) = 'number' THEN e.value::float8 END), 0)::float8 FROM jsonb_each(",
            $column,
            ") AS e WHERE strpos(lower(e.key), '",
            $part,
            "') > 0)"
        )
    };
}
/// A map's `total` value, 0 without one (Langfuse's `sumMap(usage_details)['total']`).
macro_rules! total_of {
    ($column:literal) => {
        concat!("(CASE WHEN jsonb_typeof(", $column, " -> 'total') = 'number' THEN (", $column, " -> 'total')::float8 ELSE 0 END)")
    };
}

const OBS_INPUT_TOKENS: &str = keyed_sum!("o.usage_details", "input");
const OBS_OUTPUT_TOKENS: &str = keyed_sum!("o.usage_details", "output");
const OBS_TOTAL_TOKENS: &str = total_of!("o.usage_details");
const OBS_INPUT_COST: &str = keyed_sum!("o.cost_details", "input");
const OBS_OUTPUT_COST: &str = keyed_sum!("o.cost_details", "output");
const OBS_TOTAL_COST: &str = "o.total_cost";

fn observation_dimension(name: &str) -> Option<Fragment> {
    match name {
        "id" => own("o.id"),
        "traceId" => own("o.trace_id"),
        "traceName" => via(Need::Trace, "t.name"),
        "environment" => own("o.environment"),
        "parentObservationId" => own("o.parent_observation_id"),
        "isRootObservation" => own("(o.parent_observation_id IS NULL)"),
        "type" => own("o.type"),
        "name" => own("o.name"),
        "level" => own("o.level"),
        "version" => own("o.version"),
        "tags" => via(Need::Trace, "t.tags"),
        // Loupe keeps the release on the trace only.
        "release" | "traceRelease" => via(Need::Trace, "t.release"),
        "providedModelName" => own("o.model"),
        "promptName" => own("o.prompt_name"),
        "promptVersion" => own("o.prompt_version"),
        "userId" => via(Need::Trace, "t.user_id"),
        "sessionId" => via(Need::Trace, "t.session_id"),
        "traceVersion" => via(Need::Trace, "t.version"),
        "startTimeMonth" => own("to_char({time} AT TIME ZONE 'UTC', 'YYYY-MM')"),
        "costType" => via(Need::CostTypes, "ct.key"),
        "usageType" => via(Need::UsageTypes, "ut.key"),
        _ => None,
    }
}

fn observation_measure(name: &str) -> Option<Fragment> {
    match name {
        "count" => own("1::float8"),
        "latency" => own(OBSERVATION_LATENCY),
        "streamingLatency" => own("(extract(epoch FROM (o.end_time - o.completion_start_time))::float8 * 1000)"),
        "timeToFirstToken" => own("(extract(epoch FROM (o.completion_start_time - o.start_time))::float8 * 1000)"),
        "inputTokens" => own(OBS_INPUT_TOKENS),
        "outputTokens" => own(OBS_OUTPUT_TOKENS),
        "totalTokens" => own(OBS_TOTAL_TOKENS),
        "outputTokensPerSecond" => own(concat!(
            keyed_sum!("o.usage_details", "output"),
            " / nullif(extract(epoch FROM (o.end_time - o.completion_start_time))::float8, 0)"
        )),
        "tokensPerSecond" => own(concat!(total_of!("o.usage_details"), " / nullif(extract(epoch FROM (o.end_time - o.start_time))::float8, 0)")),
        "inputCost" => own(OBS_INPUT_COST),
        "outputCost" => own(OBS_OUTPUT_COST),
        "totalCost" => own(OBS_TOTAL_COST),
        "countScores" => own(
            "(SELECT count(*) FROM scores sc WHERE sc.project_id = o.project_id AND sc.trace_id = o.trace_id AND sc.observation_id = o.id)::float8",
        ),
        "traceId" => own("o.trace_id"),
        "uniqueUserIds" => via(Need::Trace, "t.user_id"),
        "uniqueSessionIds" => via(Need::Trace, "t.session_id"),
        "costByType" => via(Need::CostTypes, "(CASE WHEN jsonb_typeof(ct.value) = 'number' THEN ct.value::float8 END)"),
        "usageByType" => via(Need::UsageTypes, "(CASE WHEN jsonb_typeof(ut.value) = 'number' THEN ut.value::float8 END)"),
        _ => None,
    }
}

fn observation_join(need: Need) -> &'static str {
    match need {
        Need::Trace => "LEFT JOIN traces t ON t.project_id = o.project_id AND t.id = o.trace_id",
        // Observations without a cost (usage) map give no row, as Langfuse's ARRAY JOIN.
        Need::CostTypes => "CROSS JOIN LATERAL jsonb_each(o.cost_details) AS ct(key, value)",
        Need::UsageTypes => "CROSS JOIN LATERAL jsonb_each(o.usage_details) AS ut(key, value)",
        Need::TraceMetrics | Need::Observation => "",
    }
}

fn observation_rollup_dimension(name: &str) -> Option<&'static str> {
    Some(match name {
        "environment" => "r.environment",
        "type" => "r.type",
        "name" => "r.name",
        "level" => "r.level",
        "version" => "r.version",
        "providedModelName" => "r.model",
        "promptName" => "r.prompt_name",
        "promptVersion" => "r.prompt_version",
        "isRootObservation" => "r.is_root",
        "traceName" => "r.trace_name",
        "release" | "traceRelease" => "r.trace_release",
        "traceVersion" => "r.trace_version",
        "userId" => "r.user_id",
        "startTimeMonth" => "to_char(r.hour AT TIME ZONE 'UTC', 'YYYY-MM')",
        _ => return None,
    })
}

const fn rm(prefix: &'static str, histogram: bool) -> RollupMeasure {
    RollupMeasure { prefix, histogram }
}

fn observation_rollup_measure(name: &str) -> Option<RollupMeasure> {
    Some(match name {
        "count" => rm("count", false),
        "latency" => rm("latency", true),
        "inputTokens" => rm("input_tokens", false),
        "outputTokens" => rm("output_tokens", false),
        "totalTokens" => rm("total_tokens", false),
        "inputCost" => rm("input_cost", false),
        "outputCost" => rm("output_cost", false),
        "totalCost" => rm("total_cost", false),
        _ => return None,
    })
}

const fn frag(sql: &'static str, need: Option<Need>) -> Fragment {
    Fragment { sql, need }
}

static OBSERVATION_ROLLUP_COLUMNS: &[(&str, Fragment)] = &[
    ("environment", frag("o.environment", None)),
    ("type", frag("o.type", None)),
    ("name", frag("o.name", None)),
    ("level", frag("o.level", None)),
    ("version", frag("o.version", None)),
    ("model", frag("o.model", None)),
    ("prompt_name", frag("o.prompt_name", None)),
    ("prompt_version", frag("o.prompt_version", None)),
    ("is_root", frag("(o.parent_observation_id IS NULL)", None)),
    ("trace_name", frag("t.name", Some(Need::Trace))),
    ("trace_release", frag("t.release", Some(Need::Trace))),
    ("trace_version", frag("t.version", Some(Need::Trace))),
    ("user_id", frag("t.user_id", Some(Need::Trace))),
];

static OBSERVATION_ROLLUP_MEASURES: &[(RollupMeasure, Fragment)] = &[
    (rm("latency", true), frag(OBSERVATION_LATENCY, None)),
    (rm("input_tokens", false), frag(OBS_INPUT_TOKENS, None)),
    (rm("output_tokens", false), frag(OBS_OUTPUT_TOKENS, None)),
    (rm("total_tokens", false), frag(OBS_TOTAL_TOKENS, None)),
    (rm("input_cost", false), frag(OBS_INPUT_COST, None)),
    (rm("output_cost", false), frag(OBS_OUTPUT_COST, None)),
    (rm("total_cost", false), frag(OBS_TOTAL_COST, None)),
];

static OBSERVATIONS: ViewSql = ViewSql {
    from: "observations o",
    project: "o.project_id",
    time: "o.start_time",
    metadata: "o.metadata",
    segment: None,
    dimension: observation_dimension,
    measure: observation_measure,
    join: observation_join,
    rollup: Some(RollupSql {
        table: "metric_rollup_observations",
        dimension: observation_rollup_dimension,
        measure: observation_rollup_measure,
        columns: OBSERVATION_ROLLUP_COLUMNS,
        measures: OBSERVATION_ROLLUP_MEASURES,
        // Releases follow time (one or two an hour), so every set keeps them for the board's
        // release filter.
        sets: &[
            &["environment", "trace_release", "type", "level", "model", "is_root"],
            &["environment", "trace_release", "prompt_name", "prompt_version"],
            &["environment", "trace_release", "trace_name", "type", "level", "model", "is_root"],
            // Top users: as many hour rows as (user, hour) pairs, still far fewer than
            // observations. Without the release, a block of days has about one row per user
            // however long (with it, one per user and release: releases change every few days),
            // so the board's top users, unfiltered or by environment, read a few rows per user.
            &["user_id"],
            &["environment", "user_id"],
            &["environment", "trace_release", "user_id"],
        ],
        narrow_only: &["user_id"],
    }),
};

// ---- Traces ---------------------------------------------------------------------------------

/// Milliseconds from the first observation's start to the last one's end (`trace_metrics`);
/// NULL for a trace without observations.
const TRACE_LATENCY: &str = "(CASE WHEN tm.observation_count > 0 THEN tm.latency * 1000 END)";
const TRACE_OBSERVATIONS: &str = "coalesce(tm.observation_count, 0)::float8";
const TRACE_TOKENS: &str = "coalesce(tm.total_tokens, 0)::float8";
const TRACE_COST: &str = "coalesce(tm.total_cost, 0)::float8";

fn trace_dimension(name: &str) -> Option<Fragment> {
    match name {
        "id" => own("t.id"),
        "name" => own("t.name"),
        "tags" => own("t.tags"),
        "userId" => own("t.user_id"),
        "sessionId" => own("t.session_id"),
        "release" => own("t.release"),
        "version" => own("t.version"),
        "environment" => own("t.environment"),
        "timestampMonth" => own("to_char({time} AT TIME ZONE 'UTC', 'YYYY-MM')"),
        _ => None,
    }
}

fn trace_measure(name: &str) -> Option<Fragment> {
    match name {
        "count" => own("1::float8"),
        "observationsCount" => via(Need::TraceMetrics, TRACE_OBSERVATIONS),
        "scoresCount" => own("(SELECT count(*) FROM scores sc WHERE sc.project_id = t.project_id AND sc.trace_id = t.id)::float8"),
        "uniqueUserIds" => own("t.user_id"),
        "uniqueSessionIds" => own("t.session_id"),
        "latency" => via(Need::TraceMetrics, TRACE_LATENCY),
        "totalTokens" => via(Need::TraceMetrics, TRACE_TOKENS),
        "totalCost" => via(Need::TraceMetrics, TRACE_COST),
        _ => None,
    }
}

fn trace_join(need: Need) -> &'static str {
    match need {
        Need::TraceMetrics => "LEFT JOIN trace_metrics tm ON tm.project_id = t.project_id AND tm.trace_id = t.id",
        _ => "",
    }
}

fn trace_rollup_dimension(name: &str) -> Option<&'static str> {
    Some(match name {
        "environment" => "r.environment",
        "name" => "r.name",
        "release" => "r.release",
        "version" => "r.version",
        "timestampMonth" => "to_char(r.hour AT TIME ZONE 'UTC', 'YYYY-MM')",
        _ => return None,
    })
}

fn trace_rollup_measure(name: &str) -> Option<RollupMeasure> {
    Some(match name {
        "count" => rm("count", false),
        "observationsCount" => rm("observations", false),
        "latency" => rm("latency", true),
        "totalTokens" => rm("total_tokens", false),
        "totalCost" => rm("total_cost", false),
        _ => return None,
    })
}

static TRACE_ROLLUP_COLUMNS: &[(&str, Fragment)] = &[
    ("environment", frag("t.environment", None)),
    ("name", frag("t.name", None)),
    ("release", frag("t.release", None)),
    ("version", frag("t.version", None)),
];

static TRACE_ROLLUP_MEASURES: &[(RollupMeasure, Fragment)] = &[
    (rm("observations", false), frag(TRACE_OBSERVATIONS, Some(Need::TraceMetrics))),
    (rm("latency", true), frag(TRACE_LATENCY, Some(Need::TraceMetrics))),
    (rm("total_tokens", false), frag(TRACE_TOKENS, Some(Need::TraceMetrics))),
    (rm("total_cost", false), frag(TRACE_COST, Some(Need::TraceMetrics))),
];

static TRACES: ViewSql = ViewSql {
    from: "traces t",
    project: "t.project_id",
    time: "t.timestamp",
    metadata: "t.metadata",
    segment: None,
    dimension: trace_dimension,
    measure: trace_measure,
    join: trace_join,
    rollup: Some(RollupSql {
        table: "metric_rollup_traces",
        dimension: trace_rollup_dimension,
        measure: trace_rollup_measure,
        columns: TRACE_ROLLUP_COLUMNS,
        measures: TRACE_ROLLUP_MEASURES,
        sets: &[&["environment", "release"], &["environment", "release", "name"]],
        narrow_only: &[],
    }),
};

// ---- Scores ---------------------------------------------------------------------------------

fn score_dimension(name: &str) -> Option<Fragment> {
    match name {
        "id" => own("s.id"),
        "environment" => own("s.environment"),
        "name" => own("s.name"),
        "source" => own("s.source"),
        "dataType" => own("s.data_type"),
        "traceId" => own("s.trace_id"),
        "configId" => own("s.config_id"),
        "timestampMonth" => own("to_char({time} AT TIME ZONE 'UTC', 'YYYY-MM')"),
        "timestampDay" => own("to_char({time} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
        "observationId" => own("s.observation_id"),
        "traceName" => via(Need::Trace, "t.name"),
        "tags" => via(Need::Trace, "t.tags"),
        "userId" => via(Need::Trace, "t.user_id"),
        // A session score names its session; a trace score's session is its trace's.
        "sessionId" => via(Need::Trace, "coalesce(s.session_id, t.session_id)"),
        "traceRelease" => via(Need::Trace, "t.release"),
        "traceVersion" => via(Need::Trace, "t.version"),
        "observationName" => via(Need::Observation, "o.name"),
        "observationModelName" => via(Need::Observation, "o.model"),
        "observationPromptName" => via(Need::Observation, "o.prompt_name"),
        "observationPromptVersion" => via(Need::Observation, "o.prompt_version"),
        "datasetRunId" => own("s.dataset_run_id"),
        "value" => own("s.value"),
        "booleanValue" => own("(s.value <> 0)"),
        "stringValue" => own("s.string_value"),
        _ => None,
    }
}

fn score_measure(name: &str) -> Option<Fragment> {
    match name {
        "count" => own("1::float8"),
        "value" => own("s.value"),
        _ => None,
    }
}

fn score_join(need: Need) -> &'static str {
    match need {
        Need::Trace => "LEFT JOIN traces t ON t.project_id = s.project_id AND t.id = s.trace_id",
        Need::Observation => "LEFT JOIN observations o ON o.project_id = s.project_id AND o.id = s.observation_id",
        _ => "",
    }
}

fn score_rollup_dimension(name: &str) -> Option<&'static str> {
    Some(match name {
        "environment" => "r.environment",
        "name" => "r.name",
        "source" => "r.source",
        "dataType" => "r.data_type",
        "timestampMonth" => "to_char(r.hour AT TIME ZONE 'UTC', 'YYYY-MM')",
        "timestampDay" => "to_char(r.hour AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        _ => return None,
    })
}

fn score_rollup_measure(name: &str) -> Option<RollupMeasure> {
    Some(match name {
        "count" => rm("count", false),
        "value" => rm("value", false),
        _ => return None,
    })
}

static SCORE_ROLLUP_COLUMNS: &[(&str, Fragment)] = &[
    ("environment", frag("s.environment", None)),
    ("name", frag("s.name", None)),
    ("source", frag("s.source", None)),
    ("data_type", frag("s.data_type", None)),
];

static SCORE_ROLLUP_MEASURES: &[(RollupMeasure, Fragment)] = &[(rm("value", false), frag("s.value", None))];

macro_rules! score_view {
    ($segment:literal) => {
        ViewSql {
            from: "scores s",
            project: "s.project_id",
            time: "s.timestamp",
            metadata: "s.metadata",
            segment: Some($segment),
            dimension: score_dimension,
            measure: score_measure,
            join: score_join,
            rollup: Some(RollupSql {
                table: "metric_rollup_scores",
                dimension: score_rollup_dimension,
                measure: score_rollup_measure,
                columns: SCORE_ROLLUP_COLUMNS,
                measures: SCORE_ROLLUP_MEASURES,
                sets: &[],
                narrow_only: &[],
            }),
        }
    };
}

// Langfuse's segments: numeric = NUMERIC and BOOLEAN, categorical = CATEGORICAL and TEXT.
static SCORES_NUMERIC: ViewSql = score_view!("{data_type} IN ('NUMERIC', 'BOOLEAN')");
static SCORES_CATEGORICAL: ViewSql = score_view!("{data_type} IN ('CATEGORICAL', 'TEXT')");
static SCORES_BOOLEAN: ViewSql = score_view!("{data_type} = 'BOOLEAN'");

/// The segment over the raw rows (`s.data_type`) or the rollup rows (`r.data_type`).
pub(crate) fn segment(view: &ViewSql, alias: &str) -> Option<String> {
    view.segment.map(|s| s.replace("{data_type}", &format!("{alias}.data_type")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_hold_known_columns_and_masks_differ() {
        for v in [View::Observations, View::Traces] {
            let r = view(v).rollup.as_ref().unwrap();
            let mut masks = vec![r.mask(&r.wide())];
            for set in r.sets {
                for c in *set {
                    assert!(r.columns.iter().any(|(name, _)| name == c), "{v}: {c}");
                }
                let m = r.mask(set);
                assert!(m != 0 && !masks.contains(&m));
                masks.push(m);
            }
        }
        let obs = view(View::Observations).rollup.as_ref().unwrap();
        // environment, trace_release, type, level, model, is_root kept: the other six bits set.
        assert_eq!(obs.set_for(&["model", "environment"]), Some(obs.mask(obs.sets[0])));
        assert_eq!(obs.set_for(&["prompt_name"]), Some(obs.mask(obs.sets[1])));
        assert_eq!(obs.set_for(&["trace_name"]), Some(obs.mask(obs.sets[2])));
        assert_eq!(obs.set_for(&["user_id"]), Some(obs.mask(obs.sets[3])));
        assert_eq!(obs.set_for(&["user_id", "environment"]), Some(obs.mask(obs.sets[4])));
        assert_eq!(obs.set_for(&["trace_release", "user_id"]), Some(obs.mask(obs.sets[5])));
        // The wide set: every column but the user id (its bit, the last, set).
        assert_eq!(obs.set_for(&["name"]), Some(1));
        assert_eq!(obs.set_for(&["user_id", "model"]), None);
        assert_eq!(rollup_column("r.trace_name"), Some("trace_name"));
        assert_eq!(rollup_column("to_char(r.hour AT TIME ZONE 'UTC', 'YYYY-MM')"), None);
    }

    /// Every name the catalog accepts has SQL, and every rollup name a raw one.
    #[test]
    fn every_supported_catalog_entry_has_sql() {
        for v in View::ALL {
            let sql = view(*v);
            for d in v.dimensions() {
                if d.unsupported.is_none() {
                    assert!((sql.dimension)(d.name).is_some(), "{v} dimension {}", d.name);
                }
                if let Some(rollup) = &sql.rollup {
                    if (rollup.dimension)(d.name).is_some() {
                        assert!((sql.dimension)(d.name).is_some());
                    }
                }
            }
            for m in v.measures() {
                if m.unsupported.is_none() {
                    assert!((sql.measure)(m.name).is_some(), "{v} measure {}", m.name);
                }
            }
        }
    }
}
