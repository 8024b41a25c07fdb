//! Dashboards (issue #22): the project home's dashboard and the project's custom dashboards.
//!
//! A dashboard is a list of [`Widget`]s. A widget is a metrics query *without* a time range
//! ([`WidgetQuery`]: Langfuse's metrics query JSON, `metrics_query.rs`, minus
//! `fromTimestamp`/`toTimestamp`), a chart kind, a title and a size. The time range and the
//! filters belong to whoever looks at the board: they are in the page's URL ([`TimeRange`],
//! [`BoardFilters`]) and are joined to each widget's query when it runs ([`WidgetQuery::at`]),
//! so one stored board answers "last hour in production" and "last quarter everywhere" alike.
//!
//! The project home's widgets are data too ([`home`]): the page draws them and the dashboard
//! benchmark runs exactly their queries.
//!
//! The rows a query answers (`{"<aggregation>_<measure>": …, "time_dimension": …, "<field>": …}`)
//! become chart data here ([`shape_time`], [`shape_categories`], [`shape_number`]): buckets with
//! the gaps filled, at most [`MAX_SERIES`] series (the rest summed into "other" where a sum means
//! something), values as numbers whichever way the engine spelled them.

use chrono::{DateTime, Duration, NaiveDate, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::format::{self, DurationUnits};
use crate::metrics_query::{
    Aggregation, ApiVersion, DimensionRef, Filter, FilterType, Granularity, Metric, MetricsQuery, OrderBy, QueryConfig, Row, SortDirection,
    TimeDimension, View, TIME_DIMENSION_KEY,
};

/// Series a chart draws at most (the palette's length); the others are summed into "other" or,
/// for averages and percentiles, which do not add up, left out (and said so).
pub const MAX_SERIES: usize = 7;
/// Bars a "by dimension" chart draws at most.
pub const MAX_BARS: usize = 25;

// ---------------------------------------------------------------------------------------------
// How values read
// ---------------------------------------------------------------------------------------------

/// What a metric's numbers are, so every chart, tooltip and table reads them the same way
/// (`format.rs`: one rule per kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// Things counted (traces, observations, users).
    Count,
    /// US dollars.
    Usd,
    /// A duration in milliseconds (Langfuse's latency measures).
    Milliseconds,
    /// Tokens.
    Tokens,
    /// A share, 0–1, shown as a percentage.
    Percent,
    /// Anything else (a score's value).
    Number,
}

impl Unit {
    /// The unit of `aggregation` over `measure` (Langfuse's measure names). Counting anything
    /// (`count`, `uniq`) counts; the other aggregations keep the measure's unit.
    pub fn of(measure: &str, aggregation: &str) -> Unit {
        if matches!(aggregation, "count" | "uniq") {
            return Unit::Count;
        }
        match measure {
            "count" | "countScores" | "uniqueUserIds" | "uniqueSessionIds" | "toolCalls" | "toolDefinitions" | "observationsCount"
            | "scoresCount" => Unit::Count,
            "latency" | "streamingLatency" | "timeToFirstToken" => Unit::Milliseconds,
            "inputCost" | "outputCost" | "totalCost" => Unit::Usd,
            "inputTokens" | "outputTokens" | "totalTokens" => Unit::Tokens,
            _ => Unit::Number,
        }
    }

    /// Whether values are whole numbers (an axis of counts never says 2.5).
    pub fn whole(self) -> bool {
        matches!(self, Unit::Count | Unit::Tokens)
    }

    /// A value in full: tooltips, tables, number cards.
    pub fn full(self, value: f64, units: DurationUnits) -> String {
        if !value.is_finite() {
            return "—".into();
        }
        match self {
            Unit::Count | Unit::Tokens if value.fract() == 0.0 && value.abs() < 9e15 => format::count(value as i64),
            Unit::Count | Unit::Tokens => decimals(value, 2),
            Unit::Usd => format::cost(value),
            Unit::Milliseconds => format::duration_s_in(value / 1000.0, units),
            Unit::Percent => percent(value),
            Unit::Number => decimals(value, 4),
        }
    }

    /// A value on an axis: short (`12.3k`, `$1.2k`, `850 ms`, `25%`).
    pub fn short(self, value: f64, units: DurationUnits) -> String {
        if !value.is_finite() {
            return "–".into();
        }
        match self {
            Unit::Count | Unit::Tokens | Unit::Number => compact(value),
            Unit::Usd if value.abs() >= 1_000.0 => format!("${}", compact(value)).replace("$-", "-$"),
            Unit::Usd => format::cost(value),
            Unit::Milliseconds => format::duration_s_in(value / 1000.0, units),
            Unit::Percent => percent(value),
        }
    }
}

/// A number as a chart's axis reads it: whole numbers as they are, others to at most three
/// decimals without trailing zeros, large ones with k/M.
pub fn compact(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    let abs = value.abs();
    let trimmed = |s: String| if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    let out = if abs >= 1_000_000_000.0 {
        format!("{}B", trimmed(format!("{:.1}", value / 1_000_000_000.0)))
    } else if abs >= 1_000_000.0 {
        format!("{}M", trimmed(format!("{:.1}", value / 1_000_000.0)))
    } else if abs >= 10_000.0 {
        format!("{}k", trimmed(format!("{:.1}", value / 1_000.0)))
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        trimmed(format!("{value:.3}"))
    };
    if out == "-0" { "0".to_string() } else { out }
}

fn decimals(value: f64, at_most: usize) -> String {
    let s = format!("{value:.at_most$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" { "0".to_string() } else { s }
}

fn percent(share: f64) -> String {
    format!("{}%", decimals(share * 100.0, 1))
}

/// Axis ticks from at or below `low` to at or above `high`, about `target` steps of a round size
/// (1, 2, 2.5 or 5 × 10ⁿ; whole for whole units). Zero is a tick whenever the range spans it.
pub fn nice_ticks(low: f64, high: f64, target: usize, whole: bool) -> Vec<f64> {
    let (mut low, mut high) = (low.min(high), low.max(high));
    if !low.is_finite() || !high.is_finite() {
        return vec![0.0, 1.0];
    }
    if high - low < f64::EPSILON * high.abs().max(1.0) {
        // A flat line: a range around it, from zero when it is positive.
        if high > 0.0 {
            low = 0.0;
        } else if low < 0.0 {
            high = 0.0;
        } else {
            high = 1.0;
        }
    }
    let raw = (high - low) / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let mut step = [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().map(|f| f * magnitude).find(|s| *s >= raw * (1.0 - 1e-9)).unwrap_or(10.0 * magnitude);
    if whole && step < 1.0 {
        step = 1.0;
    }
    let first = (low / step).floor();
    let last = (high / step).ceil();
    (first as i64..=last as i64).map(|i| clean(i as f64 * step)).collect()
}

/// `0.30000000000000004` → `0.3`: ticks are sums of a step and should read as typed.
fn clean(v: f64) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let digits = 12 - v.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits.clamp(0, 15));
    (v * factor).round() / factor
}

// ---------------------------------------------------------------------------------------------
// Time range (the URL's `range`, `from`, `to`)
// ---------------------------------------------------------------------------------------------

/// A preset range, ending now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Preset {
    #[serde(rename = "1h")]
    Hour,
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "90d")]
    Quarter,
}

impl Preset {
    pub const ALL: [Preset; 5] = [Preset::Hour, Preset::Day, Preset::Week, Preset::Month, Preset::Quarter];

    /// The URL's spelling: `1h`, `24h`, `7d`, `30d`, `90d`.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Hour => "1h",
            Preset::Day => "24h",
            Preset::Week => "7d",
            Preset::Month => "30d",
            Preset::Quarter => "90d",
        }
    }

    pub fn parse(text: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn span(self) -> Duration {
        match self {
            Preset::Hour => Duration::hours(1),
            Preset::Day => Duration::hours(24),
            Preset::Week => Duration::days(7),
            Preset::Month => Duration::days(30),
            Preset::Quarter => Duration::days(90),
        }
    }
}

/// The longest custom range (a bucket a day is then 731 buckets at most).
pub const MAX_RANGE_DAYS: i64 = 731;

/// A dashboard's time range: a preset ending now, or two instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeRange {
    Preset(Preset),
    Custom { from: DateTime<Utc>, to: DateTime<Utc> },
}

impl Default for TimeRange {
    /// The last 24 hours: what "how are we doing" means on a project's front page.
    fn default() -> Self {
        TimeRange::Preset(Preset::Day)
    }
}

/// Why the URL's range is refused, with the parameter it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeProblem {
    #[error("unknown range {0:?}: use 1h, 24h, 7d, 30d, 90d or custom")]
    UnknownPreset(String),
    #[error("{field} is not a date and time (use 2026-01-31T12:00:00Z)")]
    NotATime { field: &'static str },
    #[error("from must be before to")]
    Reversed,
    #[error("a range may span at most {MAX_RANGE_DAYS} days")]
    TooLong,
}

impl RangeProblem {
    /// The URL parameter the problem is about.
    pub fn field(&self) -> &'static str {
        match self {
            RangeProblem::UnknownPreset(_) => "range",
            RangeProblem::NotATime { field } => field,
            RangeProblem::Reversed | RangeProblem::TooLong => "from",
        }
    }
}

/// `2026-01-31T12:00:00Z`, `2026-01-31T12:00` (UTC) or `2026-01-31` (its start, UTC).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc())
}

impl TimeRange {
    /// The URL's `range` (blank: the default), and `from`/`to` when it is `custom`.
    pub fn parse(range: &str, from: &str, to: &str) -> Result<TimeRange, RangeProblem> {
        match range.trim() {
            "" => Ok(TimeRange::default()),
            "custom" => {
                let from = parse_instant(from).ok_or(RangeProblem::NotATime { field: "from" })?;
                let to = parse_instant(to).ok_or(RangeProblem::NotATime { field: "to" })?;
                TimeRange::custom(from, to)
            }
            other => Preset::parse(other).map(TimeRange::Preset).ok_or_else(|| RangeProblem::UnknownPreset(other.to_string())),
        }
    }

    /// A checked custom range.
    pub fn custom(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<TimeRange, RangeProblem> {
        if from >= to {
            return Err(RangeProblem::Reversed);
        }
        if to - from > Duration::days(MAX_RANGE_DAYS) {
            return Err(RangeProblem::TooLong);
        }
        Ok(TimeRange::Custom { from, to })
    }

    /// The instants the range covers when asked at `now`.
    pub fn resolve(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        match self {
            TimeRange::Preset(preset) => (now - preset.span(), now),
            TimeRange::Custom { from, to } => (from, to),
        }
    }

    /// The URL's parameters for this range (none for the default).
    pub fn to_params(self) -> Vec<(&'static str, String)> {
        match self {
            r if r == TimeRange::default() => vec![],
            TimeRange::Preset(p) => vec![("range", p.as_str().to_string())],
            TimeRange::Custom { from, to } => vec![
                ("range", "custom".to_string()),
                ("from", from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                ("to", to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            ],
        }
    }

    pub fn span(self) -> Duration {
        match self {
            TimeRange::Preset(p) => p.span(),
            TimeRange::Custom { from, to } => to - from,
        }
    }
}

/// The bucket size a widget over `from`–`to` is drawn in: Langfuse's `auto` (1 h → 60 minutes,
/// 24 h → 24 hours, 7 d → 7 days, 90 d → 13 weeks).
pub fn granularity_for(from: DateTime<Utc>, to: DateTime<Utc>) -> Granularity {
    Granularity::Auto.resolve(from, to)
}

/// Whether a bucket is a whole day or longer (labelled by its date, in UTC, as it was cut).
pub fn is_dated(granularity: Granularity) -> bool {
    matches!(granularity, Granularity::Day | Granularity::Week | Granularity::Month)
}

/// The most buckets a time chart draws.
pub const MAX_BUCKETS: usize = 800;

/// Bucket starts covering `from`–`to`, as the engine cuts them (at most [`MAX_BUCKETS`]).
pub fn bucket_starts(granularity: Granularity, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut starts = granularity.buckets(from, to);
    // The bucket holding `to` exactly when `to` is its start holds nothing of the range.
    if starts.len() > 1 && starts.last() == Some(&to) {
        starts.pop();
    }
    starts.truncate(MAX_BUCKETS);
    starts
}

// ---------------------------------------------------------------------------------------------
// Widgets
// ---------------------------------------------------------------------------------------------

/// A widget's query: Langfuse's metrics query JSON without `fromTimestamp`/`toTimestamp` (the
/// board's range gives them when it runs). Stored in the same camelCase shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetQuery {
    pub view: View,
    #[serde(default)]
    pub dimensions: Vec<DimensionRef>,
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub filters: Vec<Filter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_dimension: Option<TimeDimension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_by: Option<Vec<OrderBy>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<QueryConfig>,
}

/// Rows a "by dimension" widget asks for when its query sets no limit (the bars show the first
/// [`MAX_BARS`], the table a few more).
pub const DEFAULT_ROW_LIMIT: u32 = 100;

impl WidgetQuery {
    /// A widget query from a full metrics query (the editor and the home's definitions build
    /// them with `MetricsQuery`'s builder); the time range is dropped.
    pub fn from_query(query: MetricsQuery) -> WidgetQuery {
        let MetricsQuery { view, dimensions, metrics, filters, time_dimension, order_by, config, .. } = query;
        WidgetQuery { view, dimensions, metrics, filters, time_dimension, order_by, config }
    }

    /// The metrics query over `from`–`to` with the board's `extra` filters after the widget's
    /// own. Grouped without time buckets and without a limit, it asks for [`DEFAULT_ROW_LIMIT`]
    /// rows: a board never reads a whole user table.
    pub fn at(&self, from: DateTime<Utc>, to: DateTime<Utc>, extra: &[Filter]) -> MetricsQuery {
        let mut query = MetricsQuery::new(self.view, from, to);
        query.dimensions = self.dimensions.clone();
        query.metrics = self.metrics.clone();
        query.filters = self.filters.iter().chain(extra).cloned().collect();
        query.time_dimension = self.time_dimension;
        query.order_by = self.order_by.clone();
        query.config = self.config;
        if query.time_dimension.is_none() && !query.dimensions.is_empty() && query.config.and_then(|c| c.row_limit).is_none() {
            query.config.get_or_insert_with(QueryConfig::default).row_limit = Some(DEFAULT_ROW_LIMIT as i64);
        }
        query
    }

    /// The dimensions' field names.
    pub fn dimension_names(&self) -> Vec<String> {
        self.dimensions.iter().map(|d| d.field.clone()).collect()
    }

    /// What shaping needs of the metrics.
    pub fn metric_keys(&self) -> Vec<MetricKey> {
        self.metrics.iter().map(MetricKey::of).collect()
    }

    /// The unit of the first metric (a chart has one value axis).
    pub fn unit(&self) -> Unit {
        self.metrics.first().map(|m| Unit::of(&m.measure, m.aggregation.as_str())).unwrap_or(Unit::Number)
    }
}

/// How a widget draws its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChartKind {
    /// Lines over time, one per series.
    Line,
    /// Columns over time, the series stacked.
    StackedBars,
    /// Columns over time, the series side by side.
    GroupedBars,
    /// Horizontal bars, one per value of the dimension ("by model").
    Bars,
    /// The rows as a table.
    Table,
    /// One number.
    Number,
}

impl ChartKind {
    pub const ALL: [ChartKind; 6] =
        [ChartKind::Line, ChartKind::StackedBars, ChartKind::GroupedBars, ChartKind::Bars, ChartKind::Table, ChartKind::Number];

    /// The wire spelling (the editor's `<select>` values).
    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::Line => "line",
            ChartKind::StackedBars => "stackedBars",
            ChartKind::GroupedBars => "groupedBars",
            ChartKind::Bars => "bars",
            ChartKind::Table => "table",
            ChartKind::Number => "number",
        }
    }

    pub fn parse(text: &str) -> Option<ChartKind> {
        ChartKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the chart draws time buckets (the query then has a `timeDimension`).
    pub fn over_time(self) -> bool {
        matches!(self, ChartKind::Line | ChartKind::StackedBars | ChartKind::GroupedBars)
    }
}

/// A widget's width on a wide screen: a third, a half or the whole row (on a phone every
/// widget takes the whole width, one under the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum WidgetSize {
    Small,
    #[default]
    Medium,
    Large,
}

impl WidgetSize {
    pub const ALL: [WidgetSize; 3] = [WidgetSize::Small, WidgetSize::Medium, WidgetSize::Large];

    pub fn as_str(self) -> &'static str {
        match self {
            WidgetSize::Small => "small",
            WidgetSize::Medium => "medium",
            WidgetSize::Large => "large",
        }
    }

    pub fn parse(text: &str) -> Option<WidgetSize> {
        WidgetSize::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One widget of a dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Widget {
    /// Unique within its dashboard (keys the page's list while widgets move).
    pub id: String,
    /// A custom widget's title as its author wrote it; a home widget's translation key
    /// (`dashboards.home.<title>`).
    pub title: String,
    pub query: WidgetQuery,
    pub chart: ChartKind,
    #[serde(default)]
    pub size: WidgetSize,
    /// Show only these values of the dimension, each as a share of its bucket's total over all
    /// values (the error rate from counts per level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_of: Option<Vec<String>>,
}

impl Widget {
    /// The unit its chart reads in.
    pub fn unit(&self) -> Unit {
        if self.rate_of.is_some() { Unit::Percent } else { self.query.unit() }
    }
}

/// A stored dashboard, as the pages read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub widgets: Vec<Widget>,
    pub created_by: Option<String>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A dashboard in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardSummary {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub widget_count: i64,
    pub created_by_name: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The most widgets a dashboard holds.
pub const MAX_WIDGETS: usize = 40;
/// The longest widget title and id.
pub const MAX_TITLE: usize = 200;

/// Why widgets are refused: the field (`widgets[2].query.metrics[0].aggregation`) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct WidgetProblem {
    pub field: String,
    pub problem: Problem,
}

/// Each rule a widget can break. English in `Display` (for logs and scripts); the UI words them
/// per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Problem {
    #[error("at most {MAX_WIDGETS} widgets")]
    TooMany,
    #[error("must not be empty")]
    Empty,
    #[error("at most {MAX_TITLE} characters")]
    TooLong,
    #[error("holds a control character")]
    Control,
    #[error("is used by another widget")]
    DuplicateId,
    /// The metrics query's own rule (its message is the engine's, in English).
    #[error("{0}")]
    Query(String),
    #[error("a chart over time needs a timeDimension")]
    NeedsTime,
    #[error("needs a dimension to draw bars by")]
    NeedsDimension,
    #[error("bars by dimension have no timeDimension")]
    NoTime,
    #[error("a number has no dimensions and no timeDimension")]
    NotANumber,
    #[error("a rate needs exactly one dimension, a count and a timeDimension")]
    BadRate,
    #[error("is not valid JSON for a list of widgets: {0}")]
    NotWidgets(String),
    #[error("use key=value")]
    Metadata,
}

fn problem(field: impl Into<String>, problem: Problem) -> WidgetProblem {
    WidgetProblem { field: field.into(), problem }
}

/// A title or id: trimmed, not empty, at most [`MAX_TITLE`] characters, no control characters.
fn check_text(field: String, text: &str) -> Result<(), WidgetProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(problem(field, Problem::Empty));
    }
    if text.chars().count() > MAX_TITLE {
        return Err(problem(field, Problem::TooLong));
    }
    if text.chars().any(char::is_control) {
        return Err(problem(field, Problem::Control));
    }
    Ok(())
}

/// Checks one widget (`at`: its place in the dashboard): its text, its query against the
/// metrics query's rules (as the dashboards run it: a day's range and no board filters), and
/// that its chart can draw what the query answers.
pub fn check_widget(at: usize, widget: &Widget) -> Result<(), WidgetProblem> {
    let field = |part: &str| format!("widgets[{at}].{part}");
    check_text(field("id"), &widget.id)?;
    check_text(field("title"), &widget.title)?;
    let to = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).single().expect("a valid date");
    let query = widget.query.at(to - Duration::days(1), to, &[]);
    query.validate(ApiVersion::V1).map_err(|e| problem(field(&format!("query.{}", e.field)), Problem::Query(e.message)))?;
    let q = &widget.query;
    match widget.chart {
        kind if kind.over_time() && q.time_dimension.is_none() => return Err(problem(field("query.timeDimension"), Problem::NeedsTime)),
        ChartKind::Bars if q.dimensions.is_empty() => return Err(problem(field("query.dimensions"), Problem::NeedsDimension)),
        ChartKind::Bars if q.time_dimension.is_some() => return Err(problem(field("query.timeDimension"), Problem::NoTime)),
        ChartKind::Number if !q.dimensions.is_empty() => return Err(problem(field("query.dimensions"), Problem::NotANumber)),
        ChartKind::Number if q.time_dimension.is_some() => return Err(problem(field("query.timeDimension"), Problem::NotANumber)),
        _ => {}
    }
    if let Some(values) = &widget.rate_of {
        let counts = q.metrics.len() == 1 && matches!(q.metrics[0].aggregation, Aggregation::Count | Aggregation::Sum);
        if q.dimensions.len() != 1 || !counts || q.time_dimension.is_none() || values.is_empty() {
            return Err(problem(field("rateOf"), Problem::BadRate));
        }
    }
    Ok(())
}

/// Checks a dashboard's widgets: how many, each one, ids unique.
pub fn check_widgets(widgets: &[Widget]) -> Result<(), WidgetProblem> {
    if widgets.len() > MAX_WIDGETS {
        return Err(problem("widgets", Problem::TooMany));
    }
    for (i, widget) in widgets.iter().enumerate() {
        check_widget(i, widget)?;
        if widgets[..i].iter().any(|w| w.id == widget.id) {
            return Err(problem(format!("widgets[{i}].id"), Problem::DuplicateId));
        }
    }
    Ok(())
}

/// Widgets from JSON (what a script or an old row could hold), every field named on refusal.
pub fn widgets_from_json(value: Value) -> Result<Vec<Widget>, WidgetProblem> {
    let widgets: Vec<Widget> = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "widgets".to_string() } else { format!("widgets{}", if path.starts_with('[') { path } else { format!(".{path}") }) };
        problem(field, Problem::NotWidgets(e.into_inner().to_string()))
    })?;
    check_widgets(&widgets)?;
    Ok(widgets)
}

// ---------------------------------------------------------------------------------------------
// The widget editor's form
// ---------------------------------------------------------------------------------------------

/// One filter row of the widget editor: a column of the view, an operator as Langfuse names it
/// (`=`, `contains`, `any of`, `none of`, `is null`, `is not null`) and the typed value (several
/// values separated by commas).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFilter {
    pub column: String,
    pub operator: String,
    pub value: String,
}

/// The widget editor's fields as chosen: view × metric × aggregation × dimension × filters ×
/// chart (issue #22), and the title, width and, for bars and tables, how many rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetForm {
    pub id: String,
    pub title: String,
    pub view: View,
    pub measure: String,
    pub aggregation: Aggregation,
    /// `""`: not split.
    pub dimension: String,
    pub filters: Vec<FormFilter>,
    pub chart: ChartKind,
    pub size: WidgetSize,
    /// Rows of a bars or table widget split by a dimension (1–1000).
    pub limit: u32,
    /// What the form does not show of a widget it edits, kept as it was: further metrics and
    /// dimensions (the home's p50/p95/p99, a model and a version), the metric rows are sorted by,
    /// and a rate's values.
    pub more_metrics: Vec<Metric>,
    pub more_dimensions: Vec<DimensionRef>,
    pub order_by: Option<String>,
    pub rate_of: Option<Vec<String>>,
}

impl Default for WidgetForm {
    fn default() -> Self {
        WidgetForm {
            id: String::new(),
            title: String::new(),
            view: View::Traces,
            measure: "count".into(),
            aggregation: Aggregation::Count,
            dimension: String::new(),
            filters: Vec::new(),
            chart: ChartKind::StackedBars,
            size: WidgetSize::Medium,
            limit: 10,
            more_metrics: Vec::new(),
            more_dimensions: Vec::new(),
            order_by: None,
            rate_of: None,
        }
    }
}

/// The operators the editor offers for a column of `kind`.
pub fn operators_for(kind: Option<crate::metrics_query::ValueKind>) -> &'static [&'static str] {
    use crate::metrics_query::ValueKind;
    match kind {
        Some(ValueKind::Text) | None => &["=", "contains", "any of", "none of", "is null", "is not null"],
        Some(ValueKind::Integer) => &["=", "any of", "none of", "is null", "is not null"],
        Some(ValueKind::Number) => &["=", ">", "<", "is null", "is not null"],
        Some(ValueKind::Boolean) => &["="],
        Some(ValueKind::TextArray) => &["any of", "none of"],
    }
}

/// The aggregations the editor offers for a measure (a histogram has no chart here).
pub fn aggregations_for(view: View, measure: &str) -> Vec<Aggregation> {
    use crate::metrics_query::MeasureKind;
    match view.measure(measure).map(|m| m.kind) {
        Some(MeasureKind::Identifier) => vec![Aggregation::Count, Aggregation::Uniq],
        _ => Aggregation::ALL.iter().copied().filter(|a| *a != Aggregation::Histogram).collect(),
    }
}

impl WidgetForm {
    /// The form of an existing widget (its first metric, first dimension and the filters the
    /// editor can show; the rest is kept as it was by [`WidgetForm::apply`]).
    pub fn from_widget(widget: &Widget) -> WidgetForm {
        let q = &widget.query;
        let metric = q.metrics.first();
        WidgetForm {
            id: widget.id.clone(),
            title: widget.title.clone(),
            view: q.view,
            measure: metric.map(|m| m.measure.clone()).unwrap_or_else(|| "count".into()),
            aggregation: metric.map(|m| m.aggregation).unwrap_or(Aggregation::Count),
            dimension: q.dimensions.first().map(|d| d.field.clone()).unwrap_or_default(),
            filters: q
                .filters
                .iter()
                .map(|f| FormFilter {
                    column: f.column.clone(),
                    operator: f.operator.clone(),
                    value: match &f.value {
                        Value::Array(items) => items.iter().map(|v| text(Some(v)).unwrap_or_default()).collect::<Vec<_>>().join(", "),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                })
                .collect(),
            chart: widget.chart,
            size: widget.size,
            limit: q.config.and_then(|c| c.row_limit).map(|l| l.clamp(1, 1000) as u32).unwrap_or(10),
            more_metrics: q.metrics.iter().skip(1).cloned().collect(),
            more_dimensions: q.dimensions.iter().skip(1).cloned().collect(),
            order_by: q.order_by.as_ref().and_then(|o| o.first()).map(|o| o.field.clone()),
            rate_of: widget.rate_of.clone(),
        }
    }

    /// The widget the form describes, checked as a stored widget is (the problem names the
    /// form's field: `title`, `filters[0].value`, …). Over time, buckets follow the range
    /// (`auto`); split without time, the rows come largest first, `limit` of them.
    pub fn build(&self) -> Result<Widget, WidgetProblem> {
        let mut query = WidgetQuery {
            view: self.view,
            dimensions: Vec::new(),
            metrics: std::iter::once(Metric { measure: self.measure.clone(), aggregation: self.aggregation })
                .chain(self.more_metrics.iter().filter(|m| m.measure != self.measure || m.aggregation != self.aggregation).cloned())
                .collect(),
            filters: Vec::new(),
            time_dimension: self.chart.over_time().then_some(TimeDimension { granularity: Granularity::Auto }),
            order_by: None,
            config: None,
        };
        if !self.dimension.is_empty() && self.chart != ChartKind::Number {
            query.dimensions.push(DimensionRef { field: self.dimension.clone() });
            query.dimensions.extend(self.more_dimensions.iter().filter(|d| d.field != self.dimension).cloned());
            if !self.chart.over_time() {
                // Largest first by the metric the widget was sorted by, if it still has it.
                let keys: Vec<String> = query.metrics.iter().map(Metric::key).collect();
                let field = self.order_by.clone().filter(|f| keys.contains(f)).unwrap_or_else(|| keys[0].clone());
                query.order_by = Some(vec![OrderBy { field, direction: SortDirection::Desc }]);
                query.config = Some(QueryConfig { bins: None, row_limit: Some(self.limit.clamp(1, 1000) as i64) });
            }
        }
        for (i, f) in self.filters.iter().enumerate() {
            query.filters.push(self.filter(i, f)?);
        }
        let rate_of = self.rate_of.clone().filter(|_| query.dimensions.len() == 1 && self.chart.over_time());
        let widget = Widget { id: self.id.clone(), title: self.title.trim().to_string(), query, chart: self.chart, size: self.size, rate_of };
        check_widget(0, &widget).map_err(|mut p| {
            // `widgets[0].query.filters[1].value` → `filters[1].value`: the form's own names.
            p.field = p.field.replacen("widgets[0].query.", "", 1).replacen("widgets[0].", "", 1);
            p
        })?;
        Ok(widget)
    }

    fn filter(&self, i: usize, f: &FormFilter) -> Result<Filter, WidgetProblem> {
        use crate::metrics_query::ValueKind;
        let field = |part: &str| format!("filters[{i}].{part}");
        let kind = self.view.dimension(&f.column).map(|d| d.kind);
        if kind.is_none() {
            return Err(problem(field("column"), Problem::Empty));
        }
        let op = f.operator.as_str();
        let value = f.value.trim();
        let list = || -> Result<Value, WidgetProblem> {
            let items: Vec<Value> = value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(|v| Value::String(v.to_string())).collect();
            if items.is_empty() { Err(problem(field("value"), Problem::Empty)) } else { Ok(Value::Array(items)) }
        };
        let one = || -> Result<Value, WidgetProblem> {
            if value.is_empty() { Err(problem(field("value"), Problem::Empty)) } else { Ok(Value::String(value.to_string())) }
        };
        let number = || -> Result<Value, WidgetProblem> {
            value
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| problem(field("value"), Problem::Query(format!("'{value}' is not a number"))))
        };
        let (filter_type, value) = match (op, kind) {
            ("is null" | "is not null", _) => (FilterType::Null, Value::String(String::new())),
            ("any of" | "none of", Some(ValueKind::TextArray)) => (FilterType::ArrayOptions, list()?),
            ("any of" | "none of", _) => (FilterType::StringOptions, list()?),
            (_, Some(ValueKind::Boolean)) => (FilterType::Boolean, Value::Bool(matches!(value.to_lowercase().as_str(), "true" | "yes" | "1"))),
            (_, Some(ValueKind::Number | ValueKind::Integer)) => (FilterType::Number, number()?),
            _ => (FilterType::String, one()?),
        };
        Ok(Filter { column: f.column.clone(), operator: op.to_string(), value, filter_type, key: None })
    }
}

// ---------------------------------------------------------------------------------------------
// The board's filters (the URL's, named as the traces list names them)
// ---------------------------------------------------------------------------------------------

/// The filters a person sets on a board, applied to every widget it can apply to. The URL
/// parameters are the traces list's: `environment`, `release`, `version`, `tag`, `user`,
/// `session`, `name` (the trace's), `model`, `metadata` (`key=value`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct BoardFilters {
    pub environment: String,
    pub release: String,
    pub version: String,
    pub tag: String,
    pub user: String,
    pub session: String,
    pub name: String,
    pub model: String,
    pub metadata: String,
}

impl BoardFilters {
    /// The URL parameters, in the filter bar's order.
    pub const PARAMS: [&'static str; 9] = ["environment", "release", "version", "tag", "user", "session", "name", "model", "metadata"];

    /// From the URL's parameters (`get` answers one by name).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> BoardFilters {
        let mut f = BoardFilters::default();
        for name in Self::PARAMS {
            if let Some(value) = get(name) {
                *f.slot(name) = value.trim().to_string();
            }
        }
        f
    }

    fn slot(&mut self, name: &str) -> &mut String {
        match name {
            "environment" => &mut self.environment,
            "release" => &mut self.release,
            "version" => &mut self.version,
            "tag" => &mut self.tag,
            "user" => &mut self.user,
            "session" => &mut self.session,
            "name" => &mut self.name,
            "model" => &mut self.model,
            _ => &mut self.metadata,
        }
    }

    pub fn get(&self, name: &str) -> &str {
        match name {
            "environment" => &self.environment,
            "release" => &self.release,
            "version" => &self.version,
            "tag" => &self.tag,
            "user" => &self.user,
            "session" => &self.session,
            "name" => &self.name,
            "model" => &self.model,
            "metadata" => &self.metadata,
            _ => "",
        }
    }

    /// The set parameters, for the URL.
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        Self::PARAMS.into_iter().filter(|p| !self.get(p).is_empty()).map(|p| (p, self.get(p).to_string())).collect()
    }

    pub fn is_empty(&self) -> bool {
        Self::PARAMS.iter().all(|p| self.get(p).is_empty())
    }

    /// `metadata` split into key and value; `None` when unset.
    pub fn metadata_pair(&self) -> Option<Result<(String, String), WidgetProblem>> {
        if self.metadata.is_empty() {
            return None;
        }
        Some(match self.metadata.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
            _ => Err(problem("metadata", Problem::Metadata)),
        })
    }

    /// Checks the values a person typed; the problem names the URL parameter.
    pub fn check(&self) -> Result<(), WidgetProblem> {
        for name in Self::PARAMS {
            let value = self.get(name);
            if value.chars().count() > 500 {
                return Err(problem(name, Problem::TooLong));
            }
            if value.chars().any(char::is_control) {
                return Err(problem(name, Problem::Control));
            }
        }
        if let Some(Err(e)) = self.metadata_pair() {
            return Err(e);
        }
        Ok(())
    }

    /// The filters for a widget of `view`, and the parameters that do not apply to it (a model
    /// says nothing about traces): the widget says it ignored them rather than show unfiltered
    /// numbers as filtered.
    pub fn for_view(&self, view: View) -> (Vec<Filter>, Vec<&'static str>) {
        let mut filters = Vec::new();
        let mut ignored = Vec::new();
        for name in Self::PARAMS {
            let value = self.get(name);
            if value.is_empty() {
                continue;
            }
            let traces = view == View::Traces;
            let scores = !traces && view != View::Observations;
            let column = match name {
                "environment" => Some("environment"),
                "release" => Some(if traces { "release" } else { "traceRelease" }),
                "version" => Some(if traces { "version" } else { "traceVersion" }),
                "tag" => Some("tags"),
                "user" => Some("userId"),
                "session" => Some("sessionId"),
                "name" => Some(if traces { "name" } else { "traceName" }),
                "model" if traces => None,
                "model" => Some(if scores { "observationModelName" } else { "providedModelName" }),
                _ => Some("metadata"),
            };
            let Some(column) = column.filter(|c| *c == "metadata" || view.dimension(c).is_some_and(|d| d.unsupported.is_none())) else {
                ignored.push(name);
                continue;
            };
            let text = Value::String(value.to_string());
            let filter = match name {
                "tag" => Filter { column: column.into(), operator: "any of".into(), value: Value::Array(vec![text]), filter_type: FilterType::ArrayOptions, key: None },
                "metadata" => match self.metadata_pair() {
                    Some(Ok((key, v))) => {
                        Filter { column: column.into(), operator: "=".into(), value: Value::String(v), filter_type: FilterType::StringObject, key: Some(key) }
                    }
                    _ => continue,
                },
                "environment" | "name" | "model" => {
                    Filter { column: column.into(), operator: "any of".into(), value: Value::Array(vec![text]), filter_type: FilterType::StringOptions, key: None }
                }
                _ => Filter { column: column.into(), operator: "=".into(), value: text, filter_type: FilterType::String, key: None },
            };
            filters.push(filter);
        }
        (filters, ignored)
    }
}

// ---------------------------------------------------------------------------------------------
// The project home
// ---------------------------------------------------------------------------------------------

/// The project home's widgets, in order (titles are keys of `dashboards.home`): traces,
/// observations and cost; traces, observations and cost over time; cost and tokens by model;
/// latency percentiles by trace name and by model; the error and warning rate; scores over time;
/// the top users by cost; usage by prompt version. The home page draws them and the dashboard
/// benchmark (`docs/BENCHMARKS.md`) runs exactly these queries.
pub fn home() -> Vec<Widget> {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("a valid date");
    let q = |view: View| MetricsQuery::new(view, at, at + Duration::days(1));
    let widget = |title: &str, query: MetricsQuery, chart: ChartKind, size: WidgetSize| Widget {
        id: title.to_string(),
        title: title.to_string(),
        query: WidgetQuery::from_query(query),
        chart,
        size,
        rate_of: None,
    };
    use Aggregation::{Count, Avg, P50, P95, P99, Sum};
    use ChartKind::{Bars, Line, Number, StackedBars, Table};
    use WidgetSize::{Medium, Small};
    let over_time = Granularity::Auto;
    vec![
        widget("traces", q(View::Traces).metric("count", Count), Number, Small),
        widget("observations", q(View::Observations).metric("count", Count), Number, Small),
        widget("total_cost", q(View::Observations).metric("totalCost", Sum), Number, Small),
        widget("traces_over_time", q(View::Traces).metric("count", Count).dimension("environment").granularity(over_time), StackedBars, Medium),
        widget("observations_over_time", q(View::Observations).metric("count", Count).dimension("type").granularity(over_time), StackedBars, Medium),
        widget(
            "cost_over_time",
            q(View::Observations).metric("totalCost", Sum).dimension("providedModelName").granularity(over_time).filter("providedModelName", FilterType::Null, "is not null", Value::String(String::new())),
            StackedBars,
            Medium,
        ),
        widget(
            "cost_by_model",
            q(View::Observations)
                .metric("totalCost", Sum)
                .metric("inputTokens", Sum)
                .metric("outputTokens", Sum)
                .metric("totalTokens", Sum)
                .metric("count", Count)
                .dimension("providedModelName")
                .filter("providedModelName", FilterType::Null, "is not null", Value::String(String::new()))
                .order_by("sum_totalCost", SortDirection::Desc)
                .row_limit(20),
            Table,
            Medium,
        ),
        widget(
            "latency_by_trace_name",
            q(View::Traces).metric("latency", P50).metric("latency", P95).metric("latency", P99).dimension("name").order_by("p95_latency", SortDirection::Desc).row_limit(10),
            Bars,
            Medium,
        ),
        widget(
            "latency_by_model",
            q(View::Observations)
                .metric("latency", P50)
                .metric("latency", P95)
                .metric("latency", P99)
                .dimension("providedModelName")
                .filter("providedModelName", FilterType::Null, "is not null", Value::String(String::new()))
                .order_by("p95_latency", SortDirection::Desc)
                .row_limit(10),
            Bars,
            Medium,
        ),
        Widget {
            rate_of: Some(vec!["ERROR".to_string(), "WARNING".to_string()]),
            ..widget("error_rate", q(View::Observations).metric("count", Count).dimension("level").granularity(over_time), Line, Medium)
        },
        widget("scores_over_time", q(View::ScoresNumeric).metric("value", Avg).dimension("name").granularity(over_time), Line, Medium),
        widget(
            "top_users_by_cost",
            q(View::Observations)
                .metric("totalCost", Sum)
                .dimension("userId")
                .filter("userId", FilterType::Null, "is not null", Value::String(String::new()))
                .order_by("sum_totalCost", SortDirection::Desc)
                .row_limit(10),
            Bars,
            Medium,
        ),
        widget(
            "usage_by_prompt_version",
            q(View::Observations)
                .metric("count", Count)
                .metric("totalTokens", Sum)
                .metric("totalCost", Sum)
                .metric("latency", P50)
                .dimension("promptName")
                .dimension("promptVersion")
                .filter("promptName", FilterType::Null, "is not null", Value::String(String::new()))
                .order_by("count_count", SortDirection::Desc)
                .row_limit(20),
            Table,
            Medium,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Chart data
// ---------------------------------------------------------------------------------------------

/// Which values a series holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Group {
    /// Every row (the query has no dimension to split by).
    All,
    /// Rows with this value of the query's dimension(s) (several joined by " / ").
    Value(String),
    /// Rows without a value for the dimension (`null`).
    Empty,
    /// The rows of the groups beyond [`MAX_SERIES`], summed.
    Other,
}

/// A series' name: the metric (index into the query's metrics) and the group. The page words it
/// (`metric` only matters when the query has several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesName {
    pub metric: usize,
    pub group: Group,
}

/// Values in the order of the buckets (time charts) or the categories (bar charts); `None` where
/// the metric has no value (an average over no rows). Counts and sums are `Some(0.0)` there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: SeriesName,
    pub values: Vec<Option<f64>>,
}

/// A time chart's data: every bucket of the range, gaps included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSeries {
    pub granularity: Granularity,
    pub buckets: Vec<DateTime<Utc>>,
    pub series: Vec<Series>,
    /// Groups left out because they cannot be summed into "other" (averages, percentiles).
    pub hidden: usize,
}

impl TimeSeries {
    /// Nothing to draw: no value anywhere but zeros.
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.values.iter().all(|v| v.is_none_or(|v| v == 0.0)))
    }
}

/// A "by dimension" chart's data: one category per row, one series per metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Categories {
    /// `None`: the row had no value for the dimension.
    pub labels: Vec<Option<String>>,
    pub series: Vec<Series>,
    /// Rows beyond [`MAX_BARS`] not drawn.
    pub hidden: usize,
}

/// A row's value as a number: engines answer 64-bit counts as strings, other values as numbers.
pub fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// A dimension's value as text (`None` for null or missing); lists (tags) joined by ", ".
pub fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => Some(items.iter().map(|i| text(Some(i)).unwrap_or_default()).collect::<Vec<_>>().join(", ")),
        other => Some(other.to_string()),
    }
}

/// The group of a row: the dimensions' values joined by " / " (`Empty` when all are null).
fn group_of(row: &Row, dimensions: &[String]) -> Group {
    if dimensions.is_empty() {
        return Group::All;
    }
    let values: Vec<Option<String>> = dimensions.iter().map(|d| text(row.get(d))).collect();
    if values.iter().all(Option::is_none) {
        return Group::Empty;
    }
    Group::Value(values.into_iter().map(|v| v.unwrap_or_else(|| "–".to_string())).collect::<Vec<_>>().join(" / "))
}

/// What shaping needs to know of a metric: its row key (`sum_totalCost`), whether an empty
/// bucket is zero (counts, sums, distinct counts) and whether groups add up into "other"
/// (counts and sums; distinct users of two models may be the same people).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricKey {
    pub key: String,
    pub zero_when_empty: bool,
    pub summable: bool,
}

impl MetricKey {
    pub fn of(metric: &Metric) -> MetricKey {
        MetricKey {
            key: metric.key(),
            zero_when_empty: matches!(metric.aggregation, Aggregation::Count | Aggregation::Sum | Aggregation::Uniq),
            summable: matches!(metric.aggregation, Aggregation::Count | Aggregation::Sum),
        }
    }
}

/// A time chart's data from the rows of a query bucketed by `granularity` over `from`–`to` and
/// split by `dimensions`. With several metrics and no dimension, one series per metric; with a
/// dimension, one series per group of the first metric (the largest [`MAX_SERIES`] by total).
/// `rate_of`: only these groups, each as its share of the bucket's total over every group.
pub fn shape_time(
    rows: &[Row],
    metrics: &[MetricKey],
    dimensions: &[String],
    granularity: Granularity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    rate_of: Option<&[String]>,
) -> TimeSeries {
    let buckets = bucket_starts(granularity, from, to);
    let n = buckets.len();
    let metric_count = if dimensions.is_empty() { metrics.len() } else { metrics.len().min(1) };
    // (group, values per metric per bucket), in first-seen order.
    let mut groups: Vec<(Group, Vec<Vec<Option<f64>>>)> = Vec::new();
    for row in rows {
        let Some(at) = row.get(TIME_DIMENSION_KEY).and_then(Value::as_str).and_then(parse_instant) else { continue };
        let Ok(i) = buckets.binary_search(&granularity.bucket_start(at)) else { continue };
        let group = group_of(row, dimensions);
        let slot = match groups.iter().position(|(g, _)| *g == group) {
            Some(p) => p,
            None => {
                groups.push((group, vec![vec![None; n]; metric_count]));
                groups.len() - 1
            }
        };
        for (m, metric) in metrics.iter().take(metric_count).enumerate() {
            if let Some(v) = number(row.get(&metric.key)) {
                let cell = &mut groups[slot].1[m][i];
                *cell = Some(if metric.summable { cell.unwrap_or(0.0) + v } else { v });
            }
        }
    }
    let fill = |values: &mut Vec<Option<f64>>, metric: Option<&MetricKey>| {
        if metric.is_some_and(|m| m.zero_when_empty) {
            values.iter_mut().for_each(|v| *v = Some(v.unwrap_or(0.0)));
        }
    };
    if let Some(keep) = rate_of {
        let mut totals = vec![0.0; n];
        for (_, per_metric) in &groups {
            for (i, v) in per_metric.first().into_iter().flatten().enumerate() {
                totals[i] += v.unwrap_or(0.0);
            }
        }
        let series = keep
            .iter()
            .map(|value| {
                let found = groups.iter().find(|(g, _)| *g == Group::Value(value.clone()));
                let values = (0..n)
                    .map(|i| {
                        let count = found.and_then(|(_, m)| m.first().and_then(|m| m[i])).unwrap_or(0.0);
                        (totals[i] > 0.0).then(|| count / totals[i])
                    })
                    .collect();
                Series { name: SeriesName { metric: 0, group: Group::Value(value.clone()) }, values }
            })
            .collect();
        return TimeSeries { granularity, buckets, series, hidden: 0 };
    }
    if dimensions.is_empty() {
        let values = groups.pop().map(|(_, m)| m).unwrap_or_else(|| vec![vec![None; n]; metric_count]);
        let series = values
            .into_iter()
            .enumerate()
            .map(|(m, mut values)| {
                fill(&mut values, metrics.get(m));
                Series { name: SeriesName { metric: m, group: Group::All }, values }
            })
            .collect();
        return TimeSeries { granularity, buckets, series, hidden: 0 };
    }
    let first = metrics.first();
    let total = |values: &[Option<f64>]| values.iter().map(|v| v.unwrap_or(0.0).abs()).sum::<f64>();
    groups.sort_by(|a, b| total(&b.1[0]).total_cmp(&total(&a.1[0])));
    let mut hidden = 0;
    if groups.len() > MAX_SERIES {
        let rest = groups.split_off(MAX_SERIES - 1);
        if first.is_some_and(|m| m.summable) {
            let mut other = vec![None; n];
            for (_, per_metric) in &rest {
                for (i, v) in per_metric[0].iter().enumerate() {
                    if let Some(v) = v {
                        other[i] = Some(other[i].unwrap_or(0.0) + v);
                    }
                }
            }
            groups.push((Group::Other, vec![other]));
        } else {
            groups.extend(rest.iter().take(1).cloned());
            hidden = rest.len() - 1;
        }
    }
    let series = groups
        .into_iter()
        .map(|(group, mut per_metric)| {
            let mut values = per_metric.swap_remove(0);
            fill(&mut values, first);
            Series { name: SeriesName { metric: 0, group }, values }
        })
        .collect();
    TimeSeries { granularity, buckets, series, hidden }
}

/// A "by dimension" chart's data: one category per row in the engine's order (its `orderBy`, or
/// the first metric descending), one series per metric; at most [`MAX_BARS`].
pub fn shape_categories(rows: &[Row], metrics: &[MetricKey], dimensions: &[String]) -> Categories {
    let shown = &rows[..rows.len().min(MAX_BARS)];
    let labels = shown
        .iter()
        .map(|row| match group_of(row, dimensions) {
            Group::Value(v) => Some(v),
            _ => None,
        })
        .collect();
    let series = metrics
        .iter()
        .enumerate()
        .map(|(m, metric)| Series {
            name: SeriesName { metric: m, group: Group::All },
            values: shown.iter().map(|row| number(row.get(&metric.key)).or(metric.zero_when_empty.then_some(0.0))).collect(),
        })
        .collect();
    Categories { labels, series, hidden: rows.len().saturating_sub(MAX_BARS) }
}

/// A number card's value: the first metric of the only row (counts and sums are 0 without rows).
pub fn shape_number(rows: &[Row], metric: &MetricKey) -> Option<f64> {
    match rows.first() {
        Some(row) => number(row.get(&metric.key)).or(metric.zero_when_empty.then_some(0.0)),
        None => metric.zero_when_empty.then_some(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> DateTime<Utc> {
        parse_instant(text).unwrap()
    }

    fn rows(value: Value) -> Vec<Row> {
        value.as_array().unwrap().iter().map(|r| Row(r.as_object().unwrap().clone())).collect()
    }

    fn key(measure: &str, aggregation: Aggregation) -> MetricKey {
        MetricKey::of(&Metric { measure: measure.to_string(), aggregation })
    }

    #[test]
    fn units_read_with_the_shared_formatters() {
        let en = format::ENGLISH_UNITS;
        assert_eq!(Unit::of("totalCost", "sum"), Unit::Usd);
        assert_eq!(Unit::of("latency", "p95"), Unit::Milliseconds);
        assert_eq!(Unit::of("latency", "count"), Unit::Count);
        assert_eq!(Unit::of("totalTokens", "sum"), Unit::Tokens);
        assert_eq!(Unit::of("value", "avg"), Unit::Number);
        assert_eq!(Unit::Usd.full(0.0213, en), "$0.021");
        assert_eq!(Unit::Usd.short(12_345.0, en), "$12.3k");
        assert_eq!(Unit::Milliseconds.full(1500.0, en), "1.50 s");
        assert_eq!(Unit::Milliseconds.short(850.0, en), "850 ms");
        assert_eq!(Unit::Count.full(1_234_567.0, en), "1,234,567");
        assert_eq!(Unit::Count.short(1_234_567.0, en), "1.2M");
        assert_eq!(Unit::Percent.full(0.125, en), "12.5%");
        assert_eq!(Unit::Percent.full(0.5, en), "50%");
        assert_eq!(Unit::Number.full(0.123456, en), "0.1235");
        assert_eq!(compact(-0.0001), "0");
        assert_eq!(compact(3.0), "3");
        assert_eq!(compact(0.1 + 0.2), "0.3");
    }

    #[test]
    fn ticks_are_round_and_cover_the_values() {
        assert_eq!(nice_ticks(0.0, 7.0, 4, true), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(nice_ticks(0.0, 0.042, 4, false), vec![0.0, 0.02, 0.04, 0.06]);
        assert_eq!(nice_ticks(0.0, 1.0, 4, true), vec![0.0, 1.0], "counts never tick at 0.5");
        assert_eq!(nice_ticks(0.0, 0.0, 4, true), vec![0.0, 1.0], "nothing: 0 to 1");
        assert_eq!(nice_ticks(5.0, 5.0, 4, false), vec![0.0, 2.0, 4.0, 6.0], "a flat line starts at zero");
        assert_eq!(nice_ticks(-3.0, 9.0, 4, false), vec![-5.0, 0.0, 5.0, 10.0]);
        for (low, high) in [(0.0, 0.3), (0.0, 123_456.0), (-0.7, 0.2), (0.0, 0.000_01)] {
            let ticks = nice_ticks(low, high, 4, false);
            assert!(ticks[0] <= low && *ticks.last().unwrap() >= high, "{low}..{high}: {ticks:?}");
            assert!(ticks.len() <= 9, "{ticks:?}");
        }
    }

    #[test]
    fn ranges_parse_from_the_url_and_name_the_wrong_field() {
        assert_eq!(TimeRange::parse("", "", ""), Ok(TimeRange::Preset(Preset::Day)));
        assert_eq!(TimeRange::parse("7d", "", ""), Ok(TimeRange::Preset(Preset::Week)));
        let custom = TimeRange::parse("custom", "2026-01-01", "2026-01-02T12:00").unwrap();
        assert_eq!(custom.resolve(Utc::now()), (at("2026-01-01T00:00:00Z"), at("2026-01-02T12:00:00Z")));
        assert_eq!(TimeRange::parse("custom", &custom.to_params()[1].1, &custom.to_params()[2].1), Ok(custom), "round trip");
        assert_eq!(TimeRange::parse("2d", "", "").unwrap_err().field(), "range");
        assert_eq!(TimeRange::parse("custom", "yesterday", "2026-01-01").unwrap_err().field(), "from");
        assert_eq!(TimeRange::parse("custom", "2026-01-01", "").unwrap_err().field(), "to");
        assert_eq!(TimeRange::parse("custom", "2026-01-02", "2026-01-01"), Err(RangeProblem::Reversed));
        assert_eq!(TimeRange::parse("custom", "2020-01-01", "2026-01-01"), Err(RangeProblem::TooLong));
        assert!(TimeRange::default().to_params().is_empty());
        let now = at("2026-03-01T10:30:00Z");
        assert_eq!(TimeRange::Preset(Preset::Hour).resolve(now), (at("2026-03-01T09:30:00Z"), now));
    }

    #[test]
    fn every_preset_draws_a_readable_number_of_buckets() {
        let now = at("2026-03-01T10:30:00Z");
        for preset in Preset::ALL {
            let (from, to) = TimeRange::Preset(preset).resolve(now);
            let n = bucket_starts(granularity_for(from, to), from, to).len();
            assert!((7..=200).contains(&n), "{preset:?}: {n} buckets");
        }
        let starts = bucket_starts(Granularity::Hour, at("2026-03-01T09:30:00Z"), at("2026-03-01T12:00:00Z"));
        assert_eq!(starts, vec![at("2026-03-01T09:00:00Z"), at("2026-03-01T10:00:00Z"), at("2026-03-01T11:00:00Z")], "12:00 holds nothing of the range");
    }

    #[test]
    fn time_series_fill_gaps_and_keep_the_largest_groups() {
        let (from, to) = (at("2026-03-01T00:00:00Z"), at("2026-03-01T04:00:00Z"));
        let data = rows(json!([
            {"time_dimension": "2026-03-01T00:00:00.000Z", "name": "a", "count_count": "3"},
            {"time_dimension": "2026-03-01T02:00:00Z", "name": "a", "count_count": 1},
            {"time_dimension": "2026-03-01T02:00:00Z", "name": null, "count_count": "5"},
            {"time_dimension": "2026-03-01T09:00:00Z", "name": "a", "count_count": 100}
        ]));
        let count = [key("count", Aggregation::Count)];
        let chart = shape_time(&data, &count, &["name".to_string()], Granularity::Hour, from, to, None);
        assert_eq!(chart.buckets.len(), 4);
        assert_eq!(chart.series.len(), 2);
        assert_eq!(chart.series[0].name.group, Group::Empty, "5 beats 4: the largest first");
        assert_eq!(chart.series[0].values, vec![Some(0.0), Some(0.0), Some(5.0), Some(0.0)]);
        assert_eq!(chart.series[1].values, vec![Some(3.0), Some(0.0), Some(1.0), Some(0.0)], "outside the range: left out");

        // Averages are not summed into "other", and a missing bucket has no average.
        let many: Vec<Value> =
            (0..10).map(|i| json!({"time_dimension": "2026-03-01T01:00:00Z", "model": format!("m{i}"), "avg_latency": i as f64 * 10.0})).collect();
        let chart = shape_time(&rows(Value::Array(many.clone())), &[key("latency", Aggregation::Avg)], &["model".to_string()], Granularity::Hour, from, to, None);
        assert_eq!(chart.series.len(), MAX_SERIES);
        assert_eq!(chart.hidden, 3);
        assert_eq!(chart.series[0].values, vec![None, Some(90.0), None, None]);
        let counted: Vec<Value> = many.iter().map(|r| json!({"time_dimension": r["time_dimension"], "model": r["model"], "count_count": r["avg_latency"]})).collect();
        let chart = shape_time(&rows(Value::Array(counted)), &count, &["model".to_string()], Granularity::Hour, from, to, None);
        assert_eq!(chart.series.last().unwrap().name.group, Group::Other);
        assert_eq!(chart.series.last().unwrap().values[1], Some(0.0 + 10.0 + 20.0 + 30.0), "the four smallest summed");
        assert_eq!(chart.hidden, 0);
    }

    #[test]
    fn rates_are_shares_of_each_buckets_total() {
        let (from, to) = (at("2026-03-01T00:00:00Z"), at("2026-03-01T02:00:00Z"));
        let data = rows(json!([
            {"time_dimension": "2026-03-01T00:00:00Z", "level": "DEFAULT", "count_count": "6"},
            {"time_dimension": "2026-03-01T00:00:00Z", "level": "ERROR", "count_count": "2"},
            {"time_dimension": "2026-03-01T00:00:00Z", "level": "WARNING", "count_count": "2"}
        ]));
        let keep = ["ERROR".to_string(), "WARNING".to_string()];
        let chart = shape_time(&data, &[key("count", Aggregation::Count)], &["level".to_string()], Granularity::Hour, from, to, Some(&keep));
        assert_eq!(chart.series.len(), 2);
        assert_eq!(chart.series[0].values, vec![Some(0.2), None], "no observations: no rate");
    }

    #[test]
    fn several_metrics_without_a_dimension_are_one_series_each() {
        let (from, to) = (at("2026-03-01T00:00:00Z"), at("2026-03-01T01:00:00Z"));
        let data = rows(json!([{"time_dimension": "2026-03-01T00:00:00Z", "p50_latency": 100.0, "p95_latency": 900.5}]));
        let metrics = [key("latency", Aggregation::P50), key("latency", Aggregation::P95)];
        let chart = shape_time(&data, &metrics, &[], Granularity::Hour, from, to, None);
        assert_eq!(chart.series.iter().map(|s| s.values.clone()).collect::<Vec<_>>(), vec![vec![Some(100.0)], vec![Some(900.5)]]);
        assert_eq!(shape_time(&[], &metrics, &[], Granularity::Hour, from, to, None).series[0].values, vec![None]);
        assert!(shape_time(&[], &[key("count", Aggregation::Count)], &[], Granularity::Hour, from, to, None).is_empty());
    }

    #[test]
    fn categories_and_numbers() {
        let data = rows(json!([
            {"traceName": "chat", "environment": "prod", "p95_latency": 1200.0, "count_count": "7"},
            {"traceName": null, "environment": null, "p95_latency": null, "count_count": "1"},
            {"tags": ["a", "b"], "count_count": "2"}
        ]));
        let metrics = [key("latency", Aggregation::P95), key("count", Aggregation::Count)];
        let chart = shape_categories(&data, &metrics, &["traceName".to_string(), "environment".to_string()]);
        assert_eq!(chart.labels, vec![Some("chat / prod".to_string()), None, None]);
        assert_eq!(chart.series[0].values, vec![Some(1200.0), None, None]);
        assert_eq!(chart.series[1].values, vec![Some(7.0), Some(1.0), Some(2.0)]);
        assert_eq!(shape_categories(&data[2..], &metrics[1..], &["tags".to_string()]).labels, vec![Some("a, b".to_string())]);
        assert_eq!(shape_number(&data, &metrics[1]), Some(7.0));
        assert_eq!(shape_number(&[], &metrics[1]), Some(0.0), "nothing counted is zero");
        assert_eq!(shape_number(&[], &metrics[0]), None, "no latency is no number");
    }

    #[test]
    fn the_home_dashboard_is_valid_and_complete() {
        let home = home();
        check_widgets(&home).unwrap();
        let titles: Vec<&str> = home.iter().map(|w| w.title.as_str()).collect();
        for needed in ["traces_over_time", "cost_by_model", "latency_by_trace_name", "latency_by_model", "error_rate", "scores_over_time", "top_users_by_cost", "usage_by_prompt_version"] {
            assert!(titles.contains(&needed), "{needed}");
        }
        // It round-trips through JSON as a stored board would.
        let json = serde_json::to_value(&home).unwrap();
        assert_eq!(widgets_from_json(json.clone()).unwrap(), home);
        assert_eq!(json[0]["query"]["metrics"][0], json!({"measure": "count", "aggregation": "count"}));
        assert!(json[0]["query"].get("fromTimestamp").is_none(), "no time range is stored");
    }

    #[test]
    fn bad_widgets_are_refused_naming_the_field() {
        let mut widgets = home();
        widgets[2].query.metrics[0].aggregation = Aggregation::P95;
        widgets[2].query.metrics[0].measure = "nope".to_string();
        let refused = check_widgets(&widgets).unwrap_err();
        assert_eq!(refused.field, "widgets[2].query.metrics[0].measure", "{refused}");

        let mut widgets = home();
        widgets[1].title = "  ".into();
        assert_eq!(check_widgets(&widgets).unwrap_err().field, "widgets[1].title");
        let mut widgets = home();
        widgets[4].id = widgets[3].id.clone();
        assert_eq!(check_widgets(&widgets).unwrap_err(), problem("widgets[4].id", Problem::DuplicateId));
        let mut widgets = home();
        widgets[3].query.time_dimension = None;
        assert_eq!(check_widgets(&widgets).unwrap_err().field, "widgets[3].query.timeDimension", "a line without time");
        let mut widgets = home();
        widgets[0].query.dimensions.push(DimensionRef { field: "name".into() });
        assert_eq!(check_widgets(&widgets).unwrap_err().problem, Problem::NotANumber);
        let mut widgets = home();
        widgets[7].query.dimensions.clear();
        assert_eq!(check_widgets(&widgets).unwrap_err().field, "widgets[7].query.dimensions");
        let too_many: Vec<Widget> = (0..=MAX_WIDGETS).map(|i| Widget { id: format!("w{i}"), ..home()[0].clone() }).collect();
        assert_eq!(check_widgets(&too_many).unwrap_err().field, "widgets");

        let refused = widgets_from_json(json!([{"id": "a", "title": "A", "chart": "pie", "query": {"view": "traces", "metrics": []}}])).unwrap_err();
        assert_eq!(refused.field, "widgets[0].chart", "{refused}");
        let refused = widgets_from_json(json!([{"id": "a", "title": "A", "chart": "number", "query": {"view": "traces", "metrics": [{"measure": "count", "aggregation": "p42"}]}}])).unwrap_err();
        assert_eq!(refused.field, "widgets[0].query.metrics[0].aggregation", "{refused}");
        assert_eq!(widgets_from_json(json!({"not": "a list"})).unwrap_err().field, "widgets");
    }

    #[test]
    fn the_editor_form_builds_checked_widgets_and_reads_them_back() {
        let form = WidgetForm {
            id: "w1".into(),
            title: " Cost by model ".into(),
            view: View::Observations,
            measure: "totalCost".into(),
            aggregation: Aggregation::Sum,
            dimension: "providedModelName".into(),
            filters: vec![
                FormFilter { column: "environment".into(), operator: "any of".into(), value: "prod, staging".into() },
                FormFilter { column: "tags".into(), operator: "any of".into(), value: "beta".into() },
                FormFilter { column: "promptVersion".into(), operator: "=".into(), value: "3".into() },
            ],
            chart: ChartKind::Bars,
            size: WidgetSize::Large,
            limit: 5,
            ..WidgetForm::default()
        };
        let widget = form.build().unwrap();
        assert_eq!(widget.title, "Cost by model");
        assert_eq!(widget.query.order_by, Some(vec![OrderBy { field: "sum_totalCost".into(), direction: SortDirection::Desc }]));
        assert_eq!(widget.query.config.unwrap().row_limit, Some(5));
        assert_eq!(widget.query.filters[0].value, json!(["prod", "staging"]));
        assert_eq!(widget.query.filters[1].filter_type, FilterType::ArrayOptions);
        assert_eq!(widget.query.filters[2].value, json!(3.0));
        assert_eq!(WidgetForm::from_widget(&widget).build().unwrap(), widget, "edit, save: the same widget");

        let over_time = WidgetForm { chart: ChartKind::Line, ..form.clone() }.build().unwrap();
        assert_eq!(over_time.query.time_dimension, Some(TimeDimension { granularity: Granularity::Auto }));
        assert!(over_time.query.order_by.is_none());
        let number = WidgetForm { chart: ChartKind::Number, ..form.clone() }.build().unwrap();
        assert!(number.query.dimensions.is_empty(), "a number is never split");

        let bad = |f: WidgetForm| f.build().unwrap_err().field;
        assert_eq!(bad(WidgetForm { title: " ".into(), ..form.clone() }), "title");
        assert_eq!(bad(WidgetForm { measure: "nope".into(), ..form.clone() }), "metrics[0].measure");
        assert_eq!(bad(WidgetForm { dimension: String::new(), ..form.clone() }), "dimensions", "bars need a split");
        let mut wrong = form.clone();
        wrong.filters[2].value = "three".into();
        assert_eq!(bad(wrong), "filters[2].value");
        let mut wrong = form.clone();
        wrong.filters[0].value = " , ".into();
        assert_eq!(bad(wrong), "filters[0].value");
        let mut wrong = form;
        wrong.filters[0].column = "nope".into();
        assert_eq!(bad(wrong), "filters[0].column");
        assert!(aggregations_for(View::Observations, "uniqueUserIds") == vec![Aggregation::Count, Aggregation::Uniq]);
        // Whatever the form does not show survives an edit: every home widget (as a dashboard
        // started from the home holds them) reads back the same.
        for widget in home() {
            assert_eq!(WidgetForm::from_widget(&widget).build().as_ref(), Ok(&widget), "{}", widget.title);
        }
    }

    #[test]
    fn board_filters_apply_per_view_and_say_what_they_ignore() {
        let filters = BoardFilters::from_params(|name| match name {
            "environment" => Some("production".into()),
            "model" => Some("gpt-4o".into()),
            "name" => Some("chat".into()),
            "tag" => Some("beta".into()),
            "metadata" => Some("tier = gold".into()),
            _ => None,
        });
        filters.check().unwrap();
        let (traces, ignored) = filters.for_view(View::Traces);
        assert_eq!(ignored, vec!["model"], "a trace has no model");
        assert!(traces.iter().any(|f| f.column == "name" && f.value == json!(["chat"])));
        let (observations, ignored) = filters.for_view(View::Observations);
        assert!(ignored.is_empty());
        assert!(observations.iter().any(|f| f.column == "providedModelName"));
        assert!(observations.iter().any(|f| f.column == "traceName"));
        assert!(observations.iter().any(|f| f.column == "metadata" && f.key.as_deref() == Some("tier") && f.value == json!("gold")));
        let (scores, _) = filters.for_view(View::ScoresNumeric);
        assert!(scores.iter().any(|f| f.column == "observationModelName"));
        // Every widget of the home still validates with every filter applied.
        for widget in home() {
            let (extra, _) = filters.for_view(widget.query.view);
            let now = Utc::now();
            widget.query.at(now - Duration::days(1), now, &extra).validate(ApiVersion::V1).unwrap_or_else(|e| panic!("{}: {e}", widget.title));
        }
        let bad = BoardFilters { metadata: "no-equals".into(), ..Default::default() };
        assert_eq!(bad.check().unwrap_err().field, "metadata");
        assert_eq!(BoardFilters { user: "a\u{0}".into(), ..Default::default() }.check().unwrap_err().field, "user");
        assert_eq!(filters.to_params().len(), 5);
    }
}
