//! The metrics query (#22): Langfuse's metrics query JSON (`GET /api/public/metrics`, `/v2/metrics`,
//! see docs/COMPATIBILITY.md "Metrics API"), the catalog of what it may ask for, its validation,
//! and the rows it answers. The dashboards build the same [`MetricsQuery`] and read the same
//! [`Row`]s, so a widget and a script asking the API see one engine (`loupe_core::metrics`).
//!
//! Three layers:
//! - [`MetricsQuery`]: the wire JSON, camelCase as Langfuse spells it. Names that depend on the
//!   view (dimensions, measures, filter columns) are strings here, so a bad one is reported by
//!   [`MetricsQuery::validate`] with the field that holds it rather than as a parse failure.
//! - The catalog ([`View::dimensions`], [`View::measures`]): every Langfuse name, with the ones
//!   Loupe has no source for marked [`DimensionDef::unsupported`] (refused, never faked).
//! - [`ValidQuery`]: what `validate` returns: typed, bounds checked, `auto` granularity resolved.
//!
//! Plain serde and chrono: this module builds for the browser (WASM).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, SecondsFormat, TimeZone, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Which public route's rules apply. v2 adds the high-cardinality rule and a default row limit
/// of 100, and has no `traces` view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApiVersion {
    V1,
    V2,
}

/// v2's row limit when the query sets none (v1 has no default limit).
pub const V2_DEFAULT_ROW_LIMIT: u32 = 100;
/// Histogram bins when `config.bins` is absent.
pub const DEFAULT_BINS: u32 = 10;
pub const MAX_BINS: u32 = 100;
pub const MAX_ROW_LIMIT: u32 = 1000;

/// The key of the time bucket in a row.
pub const TIME_DIMENSION_KEY: &str = "time_dimension";

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The wire spellings, for "is not one of" messages.
            pub fn one_of() -> String {
                [$($wire),+].join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(format!("'{}' is not one of {}", s, Self::one_of())),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_enum!(
    /// What a query counts: traces (v1 only), observations, or one family of scores.
    View {
        Traces => "traces",
        Observations => "observations",
        ScoresNumeric => "scores-numeric",
        ScoresCategorical => "scores-categorical",
        ScoresBoolean => "scores-boolean",
    }
);

wire_enum!(
    Aggregation {
        Sum => "sum",
        Avg => "avg",
        Count => "count",
        Max => "max",
        Min => "min",
        P50 => "p50",
        P75 => "p75",
        P90 => "p90",
        P95 => "p95",
        P99 => "p99",
        Histogram => "histogram",
        Uniq => "uniq",
    }
);

impl Aggregation {
    /// The quantile of a percentile aggregation (`p95` → 0.95).
    pub fn quantile(self) -> Option<f64> {
        match self {
            Aggregation::P50 => Some(0.5),
            Aggregation::P75 => Some(0.75),
            Aggregation::P90 => Some(0.9),
            Aggregation::P95 => Some(0.95),
            Aggregation::P99 => Some(0.99),
            _ => None,
        }
    }
}

wire_enum!(
    /// Time bucket size. `auto` picks one from the range (see [`Granularity::resolve`]).
    Granularity {
        Auto => "auto",
        Minute => "minute",
        Hour => "hour",
        Day => "day",
        Week => "week",
        Month => "month",
    }
);

impl Granularity {
    /// Langfuse's `determineTimeGranularity`: under 2 hours by minute, under 3 days by hour,
    /// under 60 days by day, under a year by week, else by month. Fixed sizes pass through.
    pub fn resolve(self, from: DateTime<Utc>, to: DateTime<Utc>) -> Granularity {
        if self != Granularity::Auto {
            return self;
        }
        let hours = (to - from).num_milliseconds() as f64 / 3_600_000.0;
        if hours < 2.0 {
            Granularity::Minute
        } else if hours < 72.0 {
            Granularity::Hour
        } else if hours < 1440.0 {
            Granularity::Day
        } else if hours < 8760.0 {
            Granularity::Week
        } else {
            Granularity::Month
        }
    }

    /// The start of the bucket holding `t` (UTC; weeks start on Monday). `Auto` is treated as
    /// `Hour` — resolve it first.
    pub fn bucket_start(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let day = Utc.with_ymd_and_hms(t.year(), t.month(), t.day(), 0, 0, 0).single().unwrap_or(t);
        match self {
            Granularity::Minute => day + Duration::hours(t.hour() as i64) + Duration::minutes(t.minute() as i64),
            Granularity::Hour | Granularity::Auto => day + Duration::hours(t.hour() as i64),
            Granularity::Day => day,
            Granularity::Week => day - Duration::days(t.weekday().num_days_from_monday() as i64),
            Granularity::Month => Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0).single().unwrap_or(day),
        }
    }

    /// The start of the bucket after the one starting at `start`.
    pub fn next_bucket(self, start: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Granularity::Minute => start + Duration::minutes(1),
            Granularity::Hour | Granularity::Auto => start + Duration::hours(1),
            Granularity::Day => start + Duration::days(1),
            Granularity::Week => start + Duration::days(7),
            Granularity::Month => {
                let (y, m) = if start.month() == 12 { (start.year() + 1, 1) } else { (start.year(), start.month() + 1) };
                Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(start + Duration::days(31))
            }
        }
    }

    /// Every bucket start from the one holding `from` to the one holding `to`, inclusive (the
    /// time axis of a chart; empty buckets included).
    pub fn buckets(self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut b = self.bucket_start(from);
        while b <= to && out.len() < 100_000 {
            out.push(b);
            b = self.next_bucket(b);
        }
        out
    }
}

wire_enum!(
    SortDirection {
        Asc => "asc",
        Desc => "desc",
    }
);

wire_enum!(
    /// A filter's `type`, which decides its operators and the shape of its `value`.
    FilterType {
        Datetime => "datetime",
        String => "string",
        StringOptions => "stringOptions",
        CategoryOptions => "categoryOptions",
        ArrayOptions => "arrayOptions",
        Number => "number",
        StringObject => "stringObject",
        NumberObject => "numberObject",
        BooleanObject => "booleanObject",
        Boolean => "boolean",
        Null => "null",
    }
);

// ---------------------------------------------------------------------------------------------
// Wire JSON
// ---------------------------------------------------------------------------------------------

/// Langfuse's metrics query, as sent in `?query=` (URL-encoded JSON) and as the dashboards
/// store a widget. Unknown keys are ignored, as Langfuse's schema strips them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsQuery {
    pub view: View,
    #[serde(default)]
    pub dimensions: Vec<DimensionRef>,
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub filters: Vec<Filter>,
    #[serde(default)]
    pub time_dimension: Option<TimeDimension>,
    /// ISO 8601 with offset; `from < to` and rows with `from <= time <= to` count.
    pub from_timestamp: String,
    pub to_timestamp: String,
    #[serde(default)]
    pub order_by: Option<Vec<OrderBy>>,
    #[serde(default)]
    pub config: Option<QueryConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionRef {
    pub field: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metric {
    pub measure: String,
    pub aggregation: Aggregation,
}

impl Metric {
    /// The row key of this metric: `<aggregation>_<measure>`, e.g. `p95_latency`.
    pub fn key(&self) -> String {
        metric_key(self.aggregation, &self.measure)
    }
}

/// The row key of a metric: `<aggregation>_<measure>`.
pub fn metric_key(aggregation: Aggregation, measure: &str) -> String {
    format!("{}_{}", aggregation.as_str(), measure)
}

/// One filter (Langfuse's `singleFilter`). `value`'s shape depends on `type`: a string, a number,
/// a boolean, a list of strings, an ISO date-time, or `""` for `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub column: String,
    pub operator: String,
    #[serde(default)]
    pub value: Value,
    #[serde(rename = "type")]
    pub filter_type: FilterType,
    /// The metadata key of `stringObject` / `numberObject` / `booleanObject` filters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeDimension {
    pub granularity: Granularity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderBy {
    pub field: String,
    pub direction: SortDirection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueryConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_limit: Option<i64>,
}

impl MetricsQuery {
    /// A query over `[from, to]` with no metrics yet; add them with the builder methods.
    pub fn new(view: View, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        MetricsQuery {
            view,
            dimensions: Vec::new(),
            metrics: Vec::new(),
            filters: Vec::new(),
            time_dimension: None,
            from_timestamp: from.to_rfc3339_opts(SecondsFormat::Millis, true),
            to_timestamp: to.to_rfc3339_opts(SecondsFormat::Millis, true),
            order_by: None,
            config: None,
        }
    }

    pub fn metric(mut self, measure: &str, aggregation: Aggregation) -> Self {
        self.metrics.push(Metric { measure: measure.to_string(), aggregation });
        self
    }

    pub fn dimension(mut self, field: &str) -> Self {
        self.dimensions.push(DimensionRef { field: field.to_string() });
        self
    }

    pub fn granularity(mut self, granularity: Granularity) -> Self {
        self.time_dimension = Some(TimeDimension { granularity });
        self
    }

    pub fn filter(mut self, column: &str, filter_type: FilterType, operator: &str, value: Value) -> Self {
        self.filters.push(Filter { column: column.to_string(), operator: operator.to_string(), value, filter_type, key: None });
        self
    }

    /// `column` is one of `values` (`stringOptions` / `any of`).
    pub fn any_of(self, column: &str, values: &[&str]) -> Self {
        let values = values.iter().map(|v| Value::String(v.to_string())).collect();
        self.filter(column, FilterType::StringOptions, "any of", Value::Array(values))
    }

    pub fn order_by(mut self, field: &str, direction: SortDirection) -> Self {
        self.order_by.get_or_insert_with(Vec::new).push(OrderBy { field: field.to_string(), direction });
        self
    }

    pub fn row_limit(mut self, limit: u32) -> Self {
        self.config.get_or_insert_with(QueryConfig::default).row_limit = Some(limit as i64);
        self
    }

    pub fn bins(mut self, bins: u32) -> Self {
        self.config.get_or_insert_with(QueryConfig::default).bins = Some(bins as i64);
        self
    }

    /// Parses the JSON of `?query=`. Invalid JSON and a wrong shape are told apart (Langfuse's
    /// `Invalid JSON in query parameter` is for the former); shape errors name the field.
    pub fn parse(json: &str) -> Result<MetricsQuery, ParseError> {
        let value: Value = serde_json::from_str(json).map_err(|_| ParseError::InvalidJson)?;
        Self::from_value(value).map_err(ParseError::Invalid)
    }

    /// Reads a query from JSON already parsed; the error names the field
    /// (`metrics[0].aggregation: 'p42' is not one of sum, avg, …`).
    pub fn from_value(value: Value) -> Result<MetricsQuery, QueryError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "query".to_string() } else { path };
            QueryError::new(field, e.into_inner().to_string())
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("Invalid JSON in query parameter")]
    InvalidJson,
    #[error("{0}")]
    Invalid(QueryError),
}

/// A refused query: the field (`metrics[0].aggregation`, `filters[1].value`, `dimensions`,
/// `config.row_limit`, …) and why. Shown as `field: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct QueryError {
    pub field: String,
    pub message: String,
}

impl QueryError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        QueryError { field: field.into(), message: message.into() }
    }
}

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

/// What a dimension's values are (decides which filters apply to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    Text,
    Integer,
    Number,
    Boolean,
    /// A list of strings (tags): filtered with `arrayOptions`, grouped by the whole list.
    TextArray,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimensionDef {
    pub name: &'static str,
    pub kind: ValueKind,
    /// v2 refuses grouping by it in time series, and wants `config.row_limit` and an `orderBy`
    /// desc on a measure otherwise (Langfuse's rule). Always fine as a filter.
    pub high_cardinality: bool,
    /// Why Loupe cannot answer it, if it cannot (the query is refused, never faked).
    pub unsupported: Option<&'static str>,
}

/// Whether a measure is a number (all aggregations) or an identifier (`count` and `uniq`, both
/// counting distinct values, as Langfuse does for `uniqueUserIds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureKind {
    Numeric,
    Identifier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasureDef {
    pub name: &'static str,
    pub kind: MeasureKind,
    /// `millisecond`, `USD`, `tokens`, … (display only).
    pub unit: &'static str,
    /// A measure that exists per value of a dimension (`costByType` per `costType`): the query
    /// must group by it.
    pub requires_dimension: Option<&'static str>,
    pub unsupported: Option<&'static str>,
}

const fn dim(name: &'static str, kind: ValueKind) -> DimensionDef {
    DimensionDef { name, kind, high_cardinality: false, unsupported: None }
}
const fn hc(name: &'static str) -> DimensionDef {
    DimensionDef { name, kind: ValueKind::Text, high_cardinality: true, unsupported: None }
}
const fn no_dim(name: &'static str, high_cardinality: bool, why: &'static str) -> DimensionDef {
    DimensionDef { name, kind: ValueKind::Text, high_cardinality, unsupported: Some(why) }
}
const fn num(name: &'static str, unit: &'static str) -> MeasureDef {
    MeasureDef { name, kind: MeasureKind::Numeric, unit, requires_dimension: None, unsupported: None }
}
const fn ident(name: &'static str, unit: &'static str) -> MeasureDef {
    MeasureDef { name, kind: MeasureKind::Identifier, unit, requires_dimension: None, unsupported: None }
}
const fn no_measure(name: &'static str, why: &'static str) -> MeasureDef {
    MeasureDef { name, kind: MeasureKind::Numeric, unit: "", requires_dimension: None, unsupported: Some(why) }
}

use ValueKind::{Boolean, Integer, Number, Text, TextArray};

const NO_TOOLS: &str = "Loupe does not extract tool definitions or tool calls from observations";
const NO_EXPERIMENT: &str = "Loupe does not link observations to experiments";
const NO_EVALUATOR: &str = "Loupe scores do not record the evaluator that wrote them";

static TRACE_DIMENSIONS: &[DimensionDef] = &[
    dim("id", Text),
    dim("name", Text),
    dim("tags", TextArray),
    dim("userId", Text),
    dim("sessionId", Text),
    dim("release", Text),
    dim("version", Text),
    dim("environment", Text),
    dim("timestampMonth", Text),
];

static TRACE_MEASURES: &[MeasureDef] = &[
    num("count", "traces"),
    num("observationsCount", "observations"),
    num("scoresCount", "scores"),
    ident("uniqueUserIds", "users"),
    ident("uniqueSessionIds", "sessions"),
    num("latency", "millisecond"),
    num("totalTokens", "tokens"),
    num("totalCost", "USD"),
];

static OBSERVATION_DIMENSIONS: &[DimensionDef] = &[
    hc("id"),
    hc("traceId"),
    dim("traceName", Text),
    dim("environment", Text),
    hc("parentObservationId"),
    dim("isRootObservation", Boolean),
    dim("type", Text),
    dim("name", Text),
    dim("level", Text),
    dim("version", Text),
    dim("tags", TextArray),
    dim("release", Text),
    dim("providedModelName", Text),
    dim("promptName", Text),
    dim("promptVersion", Integer),
    hc("userId"),
    hc("sessionId"),
    dim("traceRelease", Text),
    dim("traceVersion", Text),
    dim("startTimeMonth", Text),
    dim("costType", Text),
    dim("usageType", Text),
    no_dim("toolNames", false, NO_TOOLS),
    no_dim("calledToolNames", false, NO_TOOLS),
    no_dim("experimentName", true, NO_EXPERIMENT),
    no_dim("experimentDatasetId", true, NO_EXPERIMENT),
    no_dim("experimentId", true, NO_EXPERIMENT),
];

static OBSERVATION_MEASURES: &[MeasureDef] = &[
    num("count", "observations"),
    num("latency", "millisecond"),
    num("streamingLatency", "millisecond"),
    num("inputTokens", "tokens"),
    num("outputTokens", "tokens"),
    num("totalTokens", "tokens"),
    num("outputTokensPerSecond", "tokens/s"),
    num("tokensPerSecond", "tokens/s"),
    num("inputCost", "USD"),
    num("outputCost", "USD"),
    num("totalCost", "USD"),
    num("timeToFirstToken", "millisecond"),
    num("countScores", "scores"),
    ident("traceId", "traces"),
    ident("uniqueUserIds", "users"),
    ident("uniqueSessionIds", "sessions"),
    MeasureDef { name: "costByType", kind: MeasureKind::Numeric, unit: "USD", requires_dimension: Some("costType"), unsupported: None },
    MeasureDef { name: "usageByType", kind: MeasureKind::Numeric, unit: "tokens", requires_dimension: Some("usageType"), unsupported: None },
    no_measure("toolDefinitions", NO_TOOLS),
    no_measure("toolCalls", NO_TOOLS),
];

/// Dimensions of every score view; each view adds its value dimension.
static SCORE_DIMENSIONS: &[DimensionDef] = &[
    hc("id"),
    dim("environment", Text),
    dim("name", Text),
    dim("source", Text),
    dim("dataType", Text),
    hc("traceId"),
    dim("configId", Text),
    dim("timestampMonth", Text),
    dim("timestampDay", Text),
    hc("observationId"),
    dim("traceName", Text),
    dim("tags", TextArray),
    hc("userId"),
    hc("sessionId"),
    dim("traceRelease", Text),
    dim("traceVersion", Text),
    dim("observationName", Text),
    dim("observationModelName", Text),
    dim("observationPromptName", Text),
    dim("observationPromptVersion", Integer),
    hc("datasetRunId"),
    no_dim("experimentName", true, NO_EXPERIMENT),
    no_dim("experimentId", true, NO_EXPERIMENT),
    no_dim("evaluatorId", true, NO_EVALUATOR),
];

static NUMERIC_VALUE_DIMENSION: DimensionDef = dim("value", Number);
static BOOLEAN_VALUE_DIMENSION: DimensionDef = dim("booleanValue", Boolean);
static STRING_VALUE_DIMENSION: DimensionDef = dim("stringValue", Text);

static SCORE_VALUE_MEASURES: &[MeasureDef] = &[num("count", "scores"), num("value", "")];
static SCORE_COUNT_MEASURES: &[MeasureDef] = &[num("count", "scores")];

impl View {
    /// The view's own value dimension (scores only).
    fn value_dimension(self) -> Option<&'static DimensionDef> {
        match self {
            View::ScoresNumeric => Some(&NUMERIC_VALUE_DIMENSION),
            View::ScoresBoolean => Some(&BOOLEAN_VALUE_DIMENSION),
            View::ScoresCategorical => Some(&STRING_VALUE_DIMENSION),
            View::Traces | View::Observations => None,
        }
    }

    /// Every dimension Langfuse defines for the view (unsupported ones included, marked).
    pub fn dimensions(self) -> Vec<&'static DimensionDef> {
        let base: &'static [DimensionDef] = match self {
            View::Traces => TRACE_DIMENSIONS,
            View::Observations => OBSERVATION_DIMENSIONS,
            View::ScoresNumeric | View::ScoresCategorical | View::ScoresBoolean => SCORE_DIMENSIONS,
        };
        base.iter().chain(self.value_dimension()).collect()
    }

    pub fn dimension(self, name: &str) -> Option<&'static DimensionDef> {
        self.dimensions().into_iter().find(|d| d.name == name)
    }

    pub fn measures(self) -> &'static [MeasureDef] {
        match self {
            View::Traces => TRACE_MEASURES,
            View::Observations => OBSERVATION_MEASURES,
            View::ScoresNumeric | View::ScoresBoolean => SCORE_VALUE_MEASURES,
            View::ScoresCategorical => SCORE_COUNT_MEASURES,
        }
    }

    pub fn measure(self, name: &str) -> Option<&'static MeasureDef> {
        self.measures().iter().find(|m| m.name == name)
    }

    /// The names a filter may use for the view's time column (Langfuse's column name, and the
    /// camelCase spelling of the UI).
    pub fn time_columns(self) -> &'static [&'static str] {
        match self {
            View::Observations => &["start_time", "startTime"],
            _ => &["timestamp"],
        }
    }

    /// Whether the route of `version` offers the view (v2 has no `traces`).
    pub fn available_in(self, version: ApiVersion) -> bool {
        !(version == ApiVersion::V2 && self == View::Traces)
    }
}

fn names<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------------------------------------
// Validated query
// ---------------------------------------------------------------------------------------------

/// A query [`MetricsQuery::validate`] accepted: names resolved against the catalog, operators
/// and values typed, `auto` granularity resolved, defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidQuery {
    pub version: ApiVersion,
    pub view: View,
    pub dimensions: Vec<&'static DimensionDef>,
    pub metrics: Vec<ValidMetric>,
    pub filters: Vec<ValidFilter>,
    /// The bucket size, never `Auto`; `None` without a time dimension.
    pub granularity: Option<Granularity>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Empty when the query gave none (the engine then orders by time, or the first metric
    /// desc, as Langfuse does).
    pub order_by: Vec<(OrderField, SortDirection)>,
    pub bins: u32,
    pub row_limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidMetric {
    pub measure: &'static MeasureDef,
    pub aggregation: Aggregation,
}

impl ValidMetric {
    pub fn key(&self) -> String {
        metric_key(self.aggregation, self.measure.name)
    }
}

/// What an `orderBy` entry sorts by.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderField {
    Time,
    /// Index into `dimensions`.
    Dimension(usize),
    /// Index into `metrics`.
    Metric(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidFilter {
    pub column: FilterColumn,
    pub condition: Condition,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FilterColumn {
    Dimension(&'static DimensionDef),
    /// The view's time column.
    Time,
    /// A key of the row's metadata.
    Metadata(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Gt,
    Lt,
    Ge,
    Le,
}

impl Comparison {
    fn parse(op: &str) -> Option<Comparison> {
        Some(match op {
            "=" => Comparison::Eq,
            ">" => Comparison::Gt,
            "<" => Comparison::Lt,
            ">=" => Comparison::Ge,
            "<=" => Comparison::Le,
            _ => return None,
        })
    }

    pub fn sql(self) -> &'static str {
        match self {
            Comparison::Eq => "=",
            Comparison::Gt => ">",
            Comparison::Lt => "<",
            Comparison::Ge => ">=",
            Comparison::Le => "<=",
        }
    }

    pub fn holds<T: PartialOrd>(self, a: &T, b: &T) -> bool {
        match self {
            Comparison::Eq => a == b,
            Comparison::Gt => a > b,
            Comparison::Lt => a < b,
            Comparison::Ge => a >= b,
            Comparison::Le => a <= b,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Eq,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayOp {
    AnyOf,
    NoneOf,
    AllOf,
}

/// A filter's test, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Time(Comparison, DateTime<Utc>),
    Text(TextOp, String),
    /// `any of` (`negate` false) / `none of` (true) on a single value.
    Options { negate: bool, values: Vec<String> },
    /// On a list column (tags).
    Array(ArrayOp, Vec<String>),
    Number(Comparison, f64),
    /// `=` (`equal` true) or `<>`.
    Bool { equal: bool, value: bool },
    IsNull(bool),
}

/// A date-time with offset (Langfuse's `z.iso.datetime({offset: true})`).
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

impl MetricsQuery {
    /// Checks the query against the catalog and Langfuse's rules; the error names the field.
    pub fn validate(&self, version: ApiVersion) -> Result<ValidQuery, QueryError> {
        let view = self.view;
        if !view.available_in(version) {
            return Err(QueryError::new(
                "view",
                format!("'{}' is not available in this API version; use one of observations, scores-numeric, scores-categorical, scores-boolean", view),
            ));
        }
        let from = parse_timestamp(&self.from_timestamp).ok_or_else(|| {
            QueryError::new("fromTimestamp", format!("'{}' is not an ISO 8601 date-time with offset", self.from_timestamp))
        })?;
        let to = parse_timestamp(&self.to_timestamp).ok_or_else(|| {
            QueryError::new("toTimestamp", format!("'{}' is not an ISO 8601 date-time with offset", self.to_timestamp))
        })?;
        if from >= to {
            return Err(QueryError::new("fromTimestamp", "fromTimestamp must be before toTimestamp"));
        }

        let mut dimensions = Vec::new();
        for (i, d) in self.dimensions.iter().enumerate() {
            let field = format!("dimensions[{i}].field");
            let def = view.dimension(&d.field).ok_or_else(|| {
                QueryError::new(
                    &field,
                    format!("'{}' is not a dimension of {}; one of {}", d.field, view, names(view.dimensions().iter().map(|d| d.name))),
                )
            })?;
            if let Some(why) = def.unsupported {
                return Err(QueryError::new(field, format!("'{}' is not supported by Loupe: {why}", def.name)));
            }
            if dimensions.iter().any(|x: &&DimensionDef| x.name == def.name) {
                return Err(QueryError::new(field, format!("'{}' is listed twice", def.name)));
            }
            dimensions.push(def);
        }
        let expanding: Vec<_> = dimensions.iter().filter(|d| matches!(d.name, "costType" | "usageType")).collect();
        if expanding.len() > 1 {
            return Err(QueryError::new("dimensions", "costType and usageType cannot be grouped together"));
        }

        if self.metrics.is_empty() {
            return Err(QueryError::new("metrics", "at least one metric is required"));
        }
        let mut metrics = Vec::new();
        for (i, m) in self.metrics.iter().enumerate() {
            let field = format!("metrics[{i}].measure");
            let def = view.measure(&m.measure).ok_or_else(|| {
                QueryError::new(
                    &field,
                    format!("'{}' is not a measure of {}; one of {}", m.measure, view, names(view.measures().iter().map(|m| m.name))),
                )
            })?;
            if let Some(why) = def.unsupported {
                return Err(QueryError::new(field, format!("'{}' is not supported by Loupe: {why}", def.name)));
            }
            if let Some(required) = def.requires_dimension {
                if !dimensions.iter().any(|d| d.name == required) {
                    return Err(QueryError::new(field, format!("'{}' needs the dimension '{required}' in dimensions", def.name)));
                }
            }
            if def.kind == MeasureKind::Identifier && !matches!(m.aggregation, Aggregation::Count | Aggregation::Uniq) {
                return Err(QueryError::new(
                    format!("metrics[{i}].aggregation"),
                    format!("'{}' is not one of count, uniq (the aggregations of '{}', which is not a number)", m.aggregation, def.name),
                ));
            }
            if metrics.iter().any(|x: &ValidMetric| x.measure.name == def.name && x.aggregation == m.aggregation) {
                return Err(QueryError::new(format!("metrics[{i}]"), format!("'{}' is listed twice", m.key())));
            }
            metrics.push(ValidMetric { measure: def, aggregation: m.aggregation });
        }
        if let Some(expanding) = expanding.first() {
            // A pair-expanded dimension (one row per cost/usage type) multiplies the rows each
            // observation contributes: only its own measure and counts stay meaningful.
            for (i, m) in metrics.iter().enumerate() {
                let own = m.measure.requires_dimension == Some(expanding.name);
                if !own && m.measure.name != "count" {
                    return Err(QueryError::new(
                        format!("metrics[{i}].measure"),
                        format!("'{}' cannot be combined with the dimension '{}' (only count and its by-type measure can)", m.measure.name, expanding.name),
                    ));
                }
            }
        }

        let mut filters = Vec::new();
        for (i, f) in self.filters.iter().enumerate() {
            filters.push(validate_filter(view, i, f)?);
        }

        let granularity = self.time_dimension.map(|t| t.granularity.resolve(from, to));
        if granularity == Some(Granularity::Minute) && (to - from) > Duration::days(7) {
            return Err(QueryError::new("timeDimension.granularity", "minute buckets are limited to ranges of at most 7 days"));
        }

        let config = self.config.unwrap_or_default();
        let bins = match config.bins {
            None => DEFAULT_BINS,
            Some(b) if (1..=MAX_BINS as i64).contains(&b) => b as u32,
            Some(b) => return Err(QueryError::new("config.bins", format!("{b} is not between 1 and {MAX_BINS}"))),
        };
        let explicit_limit = match config.row_limit {
            None => None,
            Some(l) if (1..=MAX_ROW_LIMIT as i64).contains(&l) => Some(l as u32),
            Some(l) => return Err(QueryError::new("config.row_limit", format!("{l} is not between 1 and {MAX_ROW_LIMIT}"))),
        };

        let mut order_by = Vec::new();
        for (i, o) in self.order_by.iter().flatten().enumerate() {
            let field = if o.field == TIME_DIMENSION_KEY && granularity.is_some() {
                OrderField::Time
            } else if let Some(d) = dimensions.iter().position(|d| d.name == o.field) {
                OrderField::Dimension(d)
            } else if let Some(m) = metrics.iter().position(|m| m.key() == o.field) {
                OrderField::Metric(m)
            } else {
                let mut allowed: Vec<String> = dimensions.iter().map(|d| d.name.to_string()).collect();
                allowed.extend(metrics.iter().map(|m| m.key()));
                if granularity.is_some() {
                    allowed.push(TIME_DIMENSION_KEY.to_string());
                }
                return Err(QueryError::new(
                    format!("orderBy[{i}].field"),
                    format!("'{}' is not one of the query's fields: {}", o.field, allowed.join(", ")),
                ));
            };
            order_by.push((field, o.direction));
        }

        if version == ApiVersion::V2 {
            let high: Vec<&str> = dimensions.iter().filter(|d| d.high_cardinality).map(|d| d.name).collect();
            if !high.is_empty() {
                let list = high.join(", ");
                if granularity.is_some() {
                    return Err(QueryError::new(
                        "dimensions",
                        format!("High cardinality dimension(s) '{list}' cannot be used with timeDimension. Time series queries with high cardinality dimensions produce unbounded result sets."),
                    ));
                }
                let desc_on_metric = order_by.iter().any(|(f, d)| matches!(f, OrderField::Metric(_)) && *d == SortDirection::Desc);
                if explicit_limit.is_none() || !desc_on_metric {
                    return Err(QueryError::new(
                        "dimensions",
                        format!("High cardinality dimension(s) '{list}' require both 'config.row_limit' and 'orderBy' with direction 'desc' on a measure field."),
                    ));
                }
            }
        }
        let row_limit = match version {
            ApiVersion::V2 => Some(explicit_limit.unwrap_or(V2_DEFAULT_ROW_LIMIT)),
            ApiVersion::V1 => explicit_limit,
        };

        Ok(ValidQuery { version, view, dimensions, metrics, filters, granularity, from, to, order_by, bins, row_limit })
    }
}

fn validate_filter(view: View, i: usize, f: &Filter) -> Result<ValidFilter, QueryError> {
    let at = |part: &str| format!("filters[{i}].{part}");
    let column = if view.time_columns().contains(&f.column.as_str()) {
        FilterColumn::Time
    } else if f.column == "metadata" {
        let key = f.key.clone().filter(|k| !k.is_empty()).ok_or_else(|| {
            QueryError::new(at("key"), "metadata filters need a 'key' (the metadata key to compare)")
        })?;
        FilterColumn::Metadata(key)
    } else {
        let def = view.dimension(&f.column).ok_or_else(|| {
            let mut allowed: Vec<&str> = view.dimensions().iter().map(|d| d.name).collect();
            allowed.extend(view.time_columns());
            allowed.push("metadata");
            QueryError::new(at("column"), format!("'{}' is not a filter column of {}; one of {}", f.column, view, allowed.join(", ")))
        })?;
        if let Some(why) = def.unsupported {
            return Err(QueryError::new(at("column"), format!("'{}' is not supported by Loupe: {why}", def.name)));
        }
        if matches!(def.name, "costType" | "usageType") {
            return Err(QueryError::new(at("column"), format!("'{}' can be grouped by but not filtered on", def.name)));
        }
        FilterColumn::Dimension(def)
    };

    // Which filter types fit the column.
    let ty = f.filter_type;
    let fits = match &column {
        FilterColumn::Time => matches!(ty, FilterType::Datetime),
        FilterColumn::Metadata(_) => {
            matches!(ty, FilterType::StringObject | FilterType::NumberObject | FilterType::BooleanObject | FilterType::Null)
        }
        FilterColumn::Dimension(d) => match d.kind {
            Text => matches!(ty, FilterType::String | FilterType::StringOptions | FilterType::CategoryOptions | FilterType::Null),
            Integer => matches!(
                ty,
                FilterType::Number | FilterType::String | FilterType::StringOptions | FilterType::CategoryOptions | FilterType::Null
            ),
            Number => matches!(ty, FilterType::Number | FilterType::Null),
            Boolean => matches!(ty, FilterType::Boolean | FilterType::Null),
            TextArray => matches!(ty, FilterType::ArrayOptions | FilterType::StringOptions | FilterType::CategoryOptions),
        },
    };
    if !fits {
        return Err(QueryError::new(at("type"), format!("'{}' does not apply to the column '{}'", ty, f.column)));
    }

    let op = f.operator.as_str();
    let bad_op = |allowed: &str| QueryError::new(at("operator"), format!("'{op}' is not one of {allowed} (for type '{ty}')"));
    let string_value = || -> Result<String, QueryError> {
        f.value.as_str().map(str::to_string).ok_or_else(|| QueryError::new(at("value"), "must be a string"))
    };
    let list_value = || -> Result<Vec<String>, QueryError> {
        let list = f.value.as_array().ok_or_else(|| QueryError::new(at("value"), "must be a list of strings"))?;
        if list.is_empty() {
            return Err(QueryError::new(at("value"), "must not be empty"));
        }
        list.iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| QueryError::new(at("value"), "must be a list of strings")))
            .collect()
    };
    let number_value = || -> Result<f64, QueryError> {
        f.value.as_f64().filter(|n| n.is_finite()).ok_or_else(|| QueryError::new(at("value"), "must be a number"))
    };
    let bool_value = || -> Result<bool, QueryError> {
        f.value.as_bool().ok_or_else(|| QueryError::new(at("value"), "must be true or false"))
    };
    let is_array_column = matches!(&column, FilterColumn::Dimension(d) if d.kind == TextArray);

    let condition = match ty {
        FilterType::Datetime => {
            let cmp = Comparison::parse(op).filter(|c| *c != Comparison::Eq).ok_or_else(|| bad_op("> < >= <="))?;
            let s = string_value()?;
            let t = parse_timestamp(&s)
                .ok_or_else(|| QueryError::new(at("value"), format!("'{s}' is not an ISO 8601 date-time with offset")))?;
            Condition::Time(cmp, t)
        }
        FilterType::String | FilterType::StringObject => {
            let text_op = match op {
                "=" => TextOp::Eq,
                "contains" => TextOp::Contains,
                "does not contain" => TextOp::NotContains,
                "starts with" => TextOp::StartsWith,
                "ends with" => TextOp::EndsWith,
                _ => return Err(bad_op("=, contains, does not contain, starts with, ends with")),
            };
            Condition::Text(text_op, string_value()?)
        }
        FilterType::StringOptions | FilterType::CategoryOptions if is_array_column => match op {
            "any of" => Condition::Array(ArrayOp::AnyOf, list_value()?),
            "none of" => Condition::Array(ArrayOp::NoneOf, list_value()?),
            _ => return Err(bad_op("any of, none of")),
        },
        FilterType::StringOptions | FilterType::CategoryOptions => match op {
            "any of" => Condition::Options { negate: false, values: list_value()? },
            "none of" => Condition::Options { negate: true, values: list_value()? },
            _ => return Err(bad_op("any of, none of")),
        },
        FilterType::ArrayOptions => {
            let array_op = match op {
                "any of" => ArrayOp::AnyOf,
                "none of" => ArrayOp::NoneOf,
                "all of" => ArrayOp::AllOf,
                _ => return Err(bad_op("any of, none of, all of")),
            };
            Condition::Array(array_op, list_value()?)
        }
        FilterType::Number | FilterType::NumberObject => {
            let cmp = Comparison::parse(op).ok_or_else(|| bad_op("=, >, <, >=, <="))?;
            Condition::Number(cmp, number_value()?)
        }
        FilterType::Boolean | FilterType::BooleanObject => {
            let equal = match op {
                "=" => true,
                "<>" => false,
                _ => return Err(bad_op("=, <>")),
            };
            Condition::Bool { equal, value: bool_value()? }
        }
        FilterType::Null => match op {
            "is null" => Condition::IsNull(true),
            "is not null" => Condition::IsNull(false),
            _ => return Err(bad_op("is null, is not null")),
        },
    };
    Ok(ValidFilter { column, condition })
}

// ---------------------------------------------------------------------------------------------
// Result rows
// ---------------------------------------------------------------------------------------------

/// One result row: a flat JSON object with each dimension under its field name, each metric
/// under `<aggregation>_<measure>` and the bucket start (RFC 3339, UTC) under `time_dimension`.
/// Counts are integers, other aggregates numbers or `null` (no value in the group); histograms
/// are lists of `[lower, upper, count]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Row(pub Map<String, Value>);

impl Row {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A metric or numeric dimension as a number (`None` if absent or null).
    pub fn number(&self, key: &str) -> Option<f64> {
        match self.0.get(key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// A dimension as text (`None` if absent or null); numbers and booleans are rendered.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// The bucket start, if the query had a time dimension.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.0.get(TIME_DIMENSION_KEY)?.as_str().and_then(parse_timestamp)
    }

    /// A histogram metric's bins `(lower, upper, count)`.
    pub fn histogram(&self, key: &str) -> Vec<(f64, f64, f64)> {
        let Some(Value::Array(bins)) = self.0.get(key) else { return Vec::new() };
        bins.iter()
            .filter_map(|b| {
                let b = b.as_array()?;
                Some((b.first()?.as_f64()?, b.get(1)?.as_f64()?, b.get(2)?.as_f64()?))
            })
            .collect()
    }
}

/// How a bucket start is written in `time_dimension`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "view": "observations",
            "metrics": [{"measure": "count", "aggregation": "count"}],
            "fromTimestamp": "2026-01-01T00:00:00Z",
            "toTimestamp": "2026-01-31T00:00:00Z"
        })
    }

    fn with(patch: Value) -> Value {
        let mut v = base();
        for (k, x) in patch.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    }

    fn err(v: Value, version: ApiVersion) -> QueryError {
        match MetricsQuery::from_value(v) {
            Err(e) => e,
            Ok(q) => q.validate(version).unwrap_err(),
        }
    }

    #[test]
    fn parses_langfuse_json_and_round_trips() {
        let v = json!({
            "view": "observations",
            "dimensions": [{"field": "providedModelName"}],
            "metrics": [{"measure": "totalCost", "aggregation": "sum"}, {"measure": "latency", "aggregation": "p95"}],
            "filters": [{"column": "environment", "operator": "any of", "value": ["prod"], "type": "stringOptions"}],
            "timeDimension": {"granularity": "auto"},
            "fromTimestamp": "2026-01-01T00:00:00Z",
            "toTimestamp": "2026-01-31T00:00:00+00:00",
            "orderBy": [{"field": "sum_totalCost", "direction": "desc"}],
            "config": {"bins": 20, "row_limit": 50},
            "ignored": 1
        });
        let q = MetricsQuery::from_value(v).unwrap();
        let valid = q.validate(ApiVersion::V2).unwrap();
        assert_eq!(valid.granularity, Some(Granularity::Day));
        assert_eq!(valid.metrics[1].key(), "p95_latency");
        assert_eq!(valid.order_by, vec![(OrderField::Metric(0), SortDirection::Desc)]);
        assert_eq!((valid.bins, valid.row_limit), (20, Some(50)));
        let again: MetricsQuery = serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
        assert_eq!(again, q);
        assert!(serde_json::to_string(&q).unwrap().contains("\"timeDimension\""));
    }

    #[test]
    fn errors_name_the_field() {
        let e = err(with(json!({"metrics": [{"measure": "count", "aggregation": "p42"}]})), ApiVersion::V2);
        assert_eq!(e.field, "metrics[0].aggregation");
        assert!(e.message.contains("'p42' is not one of sum, avg"), "{e}");
        let e = err(with(json!({"view": "sessions"})), ApiVersion::V1);
        assert_eq!(e.field, "view");
        let e = err(with(json!({"dimensions": [{"field": "bogus"}]})), ApiVersion::V1);
        assert_eq!(e.field, "dimensions[0].field");
        let e = err(with(json!({"dimensions": [{"field": "toolNames"}]})), ApiVersion::V1);
        assert!(e.message.contains("not supported by Loupe"), "{e}");
        let e = err(with(json!({"metrics": [{"measure": "uniqueUserIds", "aggregation": "sum"}]})), ApiVersion::V2);
        assert_eq!(e.field, "metrics[0].aggregation");
        let e = err(with(json!({"fromTimestamp": "yesterday"})), ApiVersion::V2);
        assert_eq!(e.field, "fromTimestamp");
        let e = err(with(json!({"fromTimestamp": "2026-02-01T00:00:00Z"})), ApiVersion::V2);
        assert_eq!(e.field, "fromTimestamp");
        let e = err(with(json!({"filters": [{"column": "environment", "operator": "like", "value": "x", "type": "string"}]})), ApiVersion::V2);
        assert_eq!(e.field, "filters[0].operator");
        let e = err(with(json!({"filters": [{"column": "environment", "operator": "any of", "value": [], "type": "stringOptions"}]})), ApiVersion::V2);
        assert_eq!(e.field, "filters[0].value");
        let e = err(with(json!({"filters": [{"column": "tags", "operator": "=", "value": "a", "type": "string"}]})), ApiVersion::V2);
        assert_eq!(e.field, "filters[0].type");
        let e = err(with(json!({"filters": [{"column": "metadata", "operator": "=", "value": "a", "type": "stringObject"}]})), ApiVersion::V2);
        assert_eq!(e.field, "filters[0].key");
        let e = err(with(json!({"config": {"bins": 0}})), ApiVersion::V2);
        assert_eq!(e.field, "config.bins");
        let e = err(with(json!({"config": {"row_limit": 1001}})), ApiVersion::V2);
        assert_eq!(e.field, "config.row_limit");
        let e = err(with(json!({"orderBy": [{"field": "sum_totalCost", "direction": "desc"}]})), ApiVersion::V2);
        assert_eq!(e.field, "orderBy[0].field");
        let e = err(with(json!({"metrics": "count"})), ApiVersion::V2);
        assert_eq!(e.field, "metrics");
        let e = err(with(json!({"metrics": []})), ApiVersion::V2);
        assert_eq!(e.field, "metrics");
        let e = err(with(json!({"view": "traces"})), ApiVersion::V2);
        assert_eq!(e.field, "view");
        assert!(MetricsQuery::parse("{not json").unwrap_err() == ParseError::InvalidJson);
    }

    #[test]
    fn high_cardinality_rule_is_v2_only() {
        let q = with(json!({"dimensions": [{"field": "userId"}]}));
        let e = err(q.clone(), ApiVersion::V2);
        assert!(e.message.starts_with("High cardinality dimension(s) 'userId' require both"), "{e}");
        assert!(MetricsQuery::from_value(q.clone()).unwrap().validate(ApiVersion::V1).is_ok());
        let e = err(with(json!({"dimensions": [{"field": "userId"}], "timeDimension": {"granularity": "day"}})), ApiVersion::V2);
        assert!(e.message.contains("cannot be used with timeDimension"), "{e}");
        let ok = with(json!({
            "dimensions": [{"field": "userId"}],
            "orderBy": [{"field": "count_count", "direction": "desc"}],
            "config": {"row_limit": 10}
        }));
        assert!(MetricsQuery::from_value(ok).unwrap().validate(ApiVersion::V2).is_ok());
    }

    #[test]
    fn auto_granularity_and_buckets() {
        let t = |s: &str| parse_timestamp(s).unwrap();
        let from = t("2026-03-04T10:17:00Z");
        assert_eq!(Granularity::Auto.resolve(from, from + Duration::minutes(90)), Granularity::Minute);
        assert_eq!(Granularity::Auto.resolve(from, from + Duration::hours(48)), Granularity::Hour);
        assert_eq!(Granularity::Auto.resolve(from, from + Duration::days(30)), Granularity::Day);
        assert_eq!(Granularity::Auto.resolve(from, from + Duration::days(90)), Granularity::Week);
        assert_eq!(Granularity::Auto.resolve(from, from + Duration::days(400)), Granularity::Month);
        assert_eq!(Granularity::Week.bucket_start(from), t("2026-03-02T00:00:00Z"));
        assert_eq!(Granularity::Month.next_bucket(t("2026-12-01T00:00:00Z")), t("2027-01-01T00:00:00Z"));
        assert_eq!(Granularity::Hour.buckets(from, t("2026-03-04T12:00:00Z")).len(), 3);
    }

    #[test]
    fn builder_makes_a_valid_query_and_rows_read_back() {
        let from = parse_timestamp("2026-01-01T00:00:00Z").unwrap();
        let q = MetricsQuery::new(View::Traces, from, from + Duration::days(7))
            .metric("count", Aggregation::Count)
            .dimension("name")
            .granularity(Granularity::Day)
            .any_of("environment", &["production"]);
        let v = q.validate(ApiVersion::V1).unwrap();
        assert_eq!(v.filters[0].condition, Condition::Options { negate: false, values: vec!["production".into()] });
        let row: Row = serde_json::from_value(json!({"name": "chat", "count_count": 3, "time_dimension": "2026-01-01T00:00:00.000Z"})).unwrap();
        assert_eq!(row.number("count_count"), Some(3.0));
        assert_eq!(row.text("name").as_deref(), Some("chat"));
        assert_eq!(row.time(), Some(from));
    }
}
