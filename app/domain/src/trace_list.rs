//! The traces list of the UI: its query (every filter lives in the URL, so a view can be shared
//! and back/forward works) and its rows. Pagination is by cursor — "older than this trace" —
//! so page 1,000 costs what page 1 costs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::trace_views::Trace;

/// The list's filters, sort and position, as in the URL (`?user=…&tag=…&sort=latency&before=…`).
/// Every field is the raw URL text (empty = any), so a hand-edited URL round-trips unchanged and
/// [`TraceListQuery::parse`] can name the field that is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct TraceListQuery {
    pub name: String,
    pub user: String,
    pub session: String,
    pub tag: String,
    pub environment: String,
    pub release: String,
    pub version: String,
    /// A time range preset (`1h`, `24h`, `7d`, `30d`, see [`RANGES`]); empty = all time.
    pub range: String,
    /// A custom time range, UTC: RFC 3339, `YYYY-MM-DDTHH:MM[:SS]` or `YYYY-MM-DD`. `from` is
    /// inclusive, `to` exclusive.
    pub from: String,
    pub to: String,
    /// `warning` (warnings and errors) or `error`: the trace's highest observation level.
    pub level: String,
    /// `yes` / `no`: whether any observation is an error.
    pub errors: String,
    /// A model one of the trace's generations used.
    pub model: String,
    /// `key=value` in the trace metadata.
    pub metadata: String,
    /// A score: its name, a comparison (`=`, `!=`, `>`, `<`, `>=`, `<=`) and a value (a number,
    /// or a category / text for `=` and `!=`).
    pub score: String,
    pub score_op: String,
    pub score_value: String,
    /// Seconds.
    pub latency_min: String,
    pub latency_max: String,
    /// USD.
    pub cost_min: String,
    pub cost_max: String,
    /// A phrase in the name, input or output (any language; case-insensitive).
    pub search: String,
    /// `time` (default), `latency` or `cost`.
    pub sort: String,
    /// `asc` or `desc` (default).
    pub dir: String,
    /// Cursor: the list continues after this row (see [`cursor_of`]).
    pub before: String,
}

/// The URL keys of [`TraceListQuery`], in the order `to_search` writes them.
pub const QUERY_KEYS: [&str; 25] = [
    "search", "name", "user", "session", "tag", "environment", "release", "version", "range", "from", "to", "level",
    "errors", "model", "metadata", "score", "score_op", "score_value", "latency_min", "latency_max", "cost_min",
    "cost_max", "sort", "dir", "before",
];

impl TraceListQuery {
    fn field_mut(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "name" => &mut self.name,
            "user" => &mut self.user,
            "session" => &mut self.session,
            "tag" => &mut self.tag,
            "environment" => &mut self.environment,
            "release" => &mut self.release,
            "version" => &mut self.version,
            "range" => &mut self.range,
            "from" => &mut self.from,
            "to" => &mut self.to,
            "level" => &mut self.level,
            "errors" => &mut self.errors,
            "model" => &mut self.model,
            "metadata" => &mut self.metadata,
            "score" => &mut self.score,
            "score_op" => &mut self.score_op,
            "score_value" => &mut self.score_value,
            "latency_min" => &mut self.latency_min,
            "latency_max" => &mut self.latency_max,
            "cost_min" => &mut self.cost_min,
            "cost_max" => &mut self.cost_max,
            "search" => &mut self.search,
            "sort" => &mut self.sort,
            "dir" => &mut self.dir,
            "before" => &mut self.before,
            _ => return None,
        })
    }

    /// Sets the field of a URL key (an unknown key changes nothing).
    pub fn set(&mut self, key: &str, value: &str) {
        if let Some(field) = self.field_mut(key) {
            *field = value.to_string();
        }
    }

    /// The value of a URL key ("" for an unknown key).
    pub fn get(&self, key: &str) -> String {
        self.clone().field_mut(key).map(|v| v.clone()).unwrap_or_default()
    }

    /// Reads the URL's query parameters.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> TraceListQuery {
        let mut query = TraceListQuery::default();
        for key in QUERY_KEYS.iter() {
            if let (Some(field), Some(value)) = (query.field_mut(key), get(key)) {
                *field = value.trim().to_string();
            }
        }
        query
    }

    /// The URL query string (with its `?`, or empty), parameters in a fixed order.
    pub fn to_search(&self) -> String {
        let mut me = self.clone();
        let pairs: Vec<String> = QUERY_KEYS
            .iter()
            .filter_map(|k| {
                let v = me.field_mut(k)?.clone();
                (!v.is_empty()).then(|| format!("{k}={}", super::url::encode_query(&v)))
            })
            .collect();
        if pairs.is_empty() { String::new() } else { format!("?{}", pairs.join("&")) }
    }

    /// Whether any filter (not the sort or the cursor) is set.
    pub fn is_filtered(&self) -> bool {
        !self.active_filters().is_empty()
    }

    /// The set filters as (URL key, label, value), for the chips above the list. The score's
    /// comparison and value belong to its chip.
    pub fn active_filters(&self) -> Vec<(&'static str, &'static str, String)> {
        FILTER_LABELS
            .iter()
            .filter_map(|(key, label)| {
                let value = self.get(key);
                if value.is_empty() {
                    return None;
                }
                let shown = if *key == "score" {
                    format!("{value} {} {}", if self.score_op.is_empty() { "=" } else { &self.score_op }, self.score_value)
                } else {
                    value
                };
                Some((*key, *label, shown))
            })
            .collect()
    }

    /// The same filters and sort from the first row on.
    pub fn first_page(&self) -> TraceListQuery {
        TraceListQuery { before: String::new(), ..self.clone() }
    }

    /// The same filters with one more set (e.g. clicking a user narrows to that user), from the
    /// first page.
    pub fn with(&self, key: &str, value: &str) -> TraceListQuery {
        let mut next = self.first_page();
        if let Some(field) = next.field_mut(key) {
            *field = value.to_string();
        }
        next
    }

    /// The same query without one filter (a chip's ×); removing the score removes its comparison.
    pub fn without(&self, key: &str) -> TraceListQuery {
        let mut next = self.with(key, "");
        if key == "score" {
            next.score_op.clear();
            next.score_value.clear();
        }
        if key == "range" {
            next.from.clear();
            next.to.clear();
        }
        next
    }

    /// Only the sort (filters cleared), for "clear filters".
    pub fn cleared(&self) -> TraceListQuery {
        TraceListQuery { sort: self.sort.clone(), dir: self.dir.clone(), ..Default::default() }
    }

    /// Sorted by `sort`: a click on the current sort column flips the direction, a click on
    /// another sorts it descending (largest / newest first).
    pub fn sorted_by(&self, sort: SortBy) -> TraceListQuery {
        let current = SortBy::parse(&self.sort).unwrap_or(SortBy::Time);
        let descending = if current == sort { self.dir == "asc" } else { true };
        TraceListQuery {
            sort: if sort == SortBy::Time { String::new() } else { sort.as_str().to_string() },
            dir: if descending { String::new() } else { "asc".to_string() },
            before: String::new(),
            ..self.clone()
        }
    }

    /// Checks and types every field; the error names the URL key that is wrong and what is wrong
    /// with it ([`QueryProblem`], which the UI words in the person's language). `now` resolves
    /// the range presets.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<ListSpec, (&'static str, QueryProblem)> {
        let text = |v: &str| (!v.is_empty()).then(|| v.to_string());
        let number = |key: &'static str, v: &str| -> Result<Option<f64>, (&'static str, QueryProblem)> {
            if v.is_empty() {
                return Ok(None);
            }
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
                _ => Err((key, QueryProblem::NotANumber(v.to_string()))),
            }
        };
        let mut from = match self.range.as_str() {
            "" => None,
            range => Some(
                now - range_length(range)
                    .ok_or(("range", QueryProblem::UnknownRange(range.to_string())))?,
            ),
        };
        if let Some(custom) = parse_time(&self.from).map_err(|_| ("from", QueryProblem::NotATime(self.from.clone())))? {
            from = Some(from.map_or(custom, |preset: DateTime<Utc>| preset.max(custom)));
        }
        let to = parse_time(&self.to).map_err(|_| ("to", QueryProblem::NotATime(self.to.clone())))?;
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                return Err(("to", QueryProblem::EndBeforeStart));
            }
        }
        let level = match self.level.as_str() {
            "" => None,
            "warning" => Some(LevelFilter::Warning),
            "error" => Some(LevelFilter::Error),
            other => return Err(("level", QueryProblem::UnknownLevel(other.to_string()))),
        };
        let has_error = match self.errors.as_str() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            other => return Err(("errors", QueryProblem::NotYesOrNo(other.to_string()))),
        };
        let metadata = match self.metadata.split_once('=') {
            _ if self.metadata.is_empty() => None,
            Some((key, value)) if !key.trim().is_empty() => Some((key.trim().to_string(), value.trim().to_string())),
            _ => return Err(("metadata", QueryProblem::MetadataForm)),
        };
        let score = if self.score.is_empty() {
            if !self.score_value.is_empty() {
                return Err(("score", QueryProblem::ScoreUnnamed));
            }
            None
        } else {
            let op = if self.score_op.is_empty() { "=" } else { self.score_op.as_str() };
            if !SCORE_OPS.contains(&op) {
                return Err(("score_op", QueryProblem::UnknownComparison(op.to_string())));
            }
            let value = match (self.score_value.parse::<f64>(), self.score_value.is_empty()) {
                (_, true) => return Err(("score_value", QueryProblem::ScoreValueMissing)),
                (Ok(n), _) if n.is_finite() => ScoreValue::Number(n),
                _ if op == "=" || op == "!=" => ScoreValue::Text(self.score_value.clone()),
                _ => return Err(("score_value", QueryProblem::ComparesNumbers { op: op.to_string(), value: self.score_value.clone() })),
            };
            Some(ScoreFilter { name: self.score.clone(), op: op.to_string(), value })
        };
        let latency = (number("latency_min", &self.latency_min)?, number("latency_max", &self.latency_max)?);
        if let (Some(min), Some(max)) = latency {
            if min > max {
                return Err(("latency_max", QueryProblem::MaxBelowMin));
            }
        }
        let cost = (number("cost_min", &self.cost_min)?, number("cost_max", &self.cost_max)?);
        if let (Some(min), Some(max)) = cost {
            if min > max {
                return Err(("cost_max", QueryProblem::MaxBelowMin));
            }
        }
        let search = match self.search.chars().count() {
            0 => None,
            n if n > 200 => return Err(("search", QueryProblem::SearchTooLong)),
            _ => Some(self.search.clone()),
        };
        let sort = match self.sort.as_str() {
            "" => SortBy::Time,
            s => SortBy::parse(s).ok_or(("sort", QueryProblem::UnknownSort(s.to_string())))?,
        };
        let descending = match self.dir.as_str() {
            "" | "desc" => true,
            "asc" => false,
            other => return Err(("dir", QueryProblem::UnknownDirection(other.to_string()))),
        };
        let cursor = match self.before.as_str() {
            "" => None,
            c => Some(
                parse_list_cursor(c, sort)
                    .ok_or(("before", QueryProblem::DamagedCursor))?,
            ),
        };
        Ok(ListSpec {
            name: text(&self.name),
            user: text(&self.user),
            session: text(&self.session),
            tag: text(&self.tag),
            environment: text(&self.environment),
            release: text(&self.release),
            version: text(&self.version),
            from,
            to,
            level,
            has_error,
            model: text(&self.model),
            metadata,
            score,
            latency_min: latency.0,
            latency_max: latency.1,
            cost_min: cost.0,
            cost_max: cost.1,
            search,
            sort,
            descending,
            cursor,
        })
    }
}

/// Chip labels of the filters, in display order.
pub const FILTER_LABELS: [(&str, &str); 20] = [
    ("search", "Search"),
    ("name", "Name"),
    ("user", "User"),
    ("session", "Session"),
    ("tag", "Tag"),
    ("environment", "Environment"),
    ("release", "Release"),
    ("version", "Version"),
    ("range", "Time"),
    ("from", "From"),
    ("to", "To"),
    ("level", "Level"),
    ("errors", "Has error"),
    ("model", "Model"),
    ("metadata", "Metadata"),
    ("score", "Score"),
    ("latency_min", "Latency ≥ (s)"),
    ("latency_max", "Latency ≤ (s)"),
    ("cost_min", "Cost ≥ ($)"),
    ("cost_max", "Cost ≤ ($)"),
];

pub const SCORE_OPS: [&str; 6] = ["=", "!=", ">", "<", ">=", "<="];

/// Reads a time of the custom range: RFC 3339, or a UTC `YYYY-MM-DDTHH:MM[:SS]` (what a
/// `datetime-local` input gives) or `YYYY-MM-DD`.
pub fn parse_time(value: &str) -> Result<Option<DateTime<Utc>>, QueryProblem> {
    if value.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(value, format) {
            return Ok(Some(at.and_utc()));
        }
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(Some(day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()));
    }
    Err(QueryProblem::NotATime(value.to_string()))
}

/// What is wrong with one key of a traces-list query ([`TraceListQuery::parse`] names the key).
/// The UI says it in the person's language (`pages::traces::query_problem`); `Display` is the
/// English, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryProblem {
    /// A latency or cost bound that is not a number ≥ 0 (the value given).
    NotANumber(String),
    UnknownRange(String),
    NotATime(String),
    EndBeforeStart,
    UnknownLevel(String),
    NotYesOrNo(String),
    MetadataForm,
    ScoreUnnamed,
    UnknownComparison(String),
    ScoreValueMissing,
    /// An ordering comparison (`>`…) with a value that is not a number.
    ComparesNumbers { op: String, value: String },
    /// A maximum (latency or cost) below its minimum.
    MaxBelowMin,
    SearchTooLong,
    UnknownSort(String),
    UnknownDirection(String),
    DamagedCursor,
}

impl std::fmt::Display for QueryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryProblem::NotANumber(v) => write!(f, "Use a number of at least 0, like 1.5 (got {v:?})."),
            QueryProblem::UnknownRange(v) => write!(f, "Unknown time range {v:?}: use 1h, 24h, 7d or 30d."),
            QueryProblem::NotATime(v) => write!(f, "{v:?} is not a time: use e.g. 2026-01-31T14:00 (UTC) or 2026-01-31."),
            QueryProblem::EndBeforeStart => f.write_str("The end of the time range must be after its start."),
            QueryProblem::UnknownLevel(v) => write!(f, "Unknown level {v:?}: use warning (warnings and errors) or error."),
            QueryProblem::NotYesOrNo(v) => write!(f, "Use yes or no (got {v:?})."),
            QueryProblem::MetadataForm => f.write_str("Write the metadata filter as key=value, e.g. tier=pro."),
            QueryProblem::ScoreUnnamed => f.write_str("Name the score to compare."),
            QueryProblem::UnknownComparison(v) => write!(f, "Unknown comparison {v:?}: use one of = != > < >= <=."),
            QueryProblem::ScoreValueMissing => f.write_str("Enter the value to compare the score with."),
            QueryProblem::ComparesNumbers { op, value } => write!(f, "{op} compares numbers; {value:?} is not one."),
            QueryProblem::MaxBelowMin => f.write_str("The maximum must be at least the minimum."),
            QueryProblem::SearchTooLong => f.write_str("Search for at most 200 characters."),
            QueryProblem::UnknownSort(v) => write!(f, "Unknown sort {v:?}: use time, latency or cost."),
            QueryProblem::UnknownDirection(v) => write!(f, "Unknown direction {v:?}: use asc or desc."),
            QueryProblem::DamagedCursor => f.write_str("This page link is damaged; start again from the first page."),
        }
    }
}

/// What the list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortBy {
    Time,
    Latency,
    Cost,
}

impl SortBy {
    pub fn parse(value: &str) -> Option<SortBy> {
        Some(match value {
            "time" => SortBy::Time,
            "latency" => SortBy::Latency,
            "cost" => SortBy::Cost,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Time => "time",
            SortBy::Latency => "latency",
            SortBy::Cost => "cost",
        }
    }
}

/// "Warnings and errors" or "errors": the trace's highest observation level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LevelFilter {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ScoreValue {
    Number(f64),
    /// A category or text value (`=` / `!=` only).
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreFilter {
    pub name: String,
    /// One of [`SCORE_OPS`].
    pub op: String,
    pub value: ScoreValue,
}

/// Where the next page starts: after this row of the current sort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListCursor {
    /// The sort value (latency in seconds or cost in USD); `None` for the time sort.
    pub value: Option<f64>,
    pub timestamp: DateTime<Utc>,
    pub id: String,
}

/// A [`TraceListQuery`] checked and typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListSpec {
    pub name: Option<String>,
    pub user: Option<String>,
    pub session: Option<String>,
    pub tag: Option<String>,
    pub environment: Option<String>,
    pub release: Option<String>,
    pub version: Option<String>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub level: Option<LevelFilter>,
    pub has_error: Option<bool>,
    pub model: Option<String>,
    pub metadata: Option<(String, String)>,
    pub score: Option<ScoreFilter>,
    pub latency_min: Option<f64>,
    pub latency_max: Option<f64>,
    pub cost_min: Option<f64>,
    pub cost_max: Option<f64>,
    pub search: Option<String>,
    pub sort: SortBy,
    pub descending: bool,
    pub cursor: Option<ListCursor>,
}

/// The time range presets: URL value, label, length.
pub const RANGES: [(&str, &str, chrono::Duration); 4] = [
    ("1h", "Last hour", chrono::Duration::hours(1)),
    ("24h", "Last 24 hours", chrono::Duration::hours(24)),
    ("7d", "Last 7 days", chrono::Duration::days(7)),
    ("30d", "Last 30 days", chrono::Duration::days(30)),
];

/// The length of a range preset; `None` for an unknown one.
pub fn range_length(range: &str) -> Option<chrono::Duration> {
    RANGES.iter().find(|(value, _, _)| *value == range).map(|(_, _, length)| *length)
}

/// A cursor after this trace: `<RFC 3339 timestamp>|<id>` for the time sort,
/// `<value>|<timestamp>|<id>` for latency and cost (the value printed so it reads back exactly).
pub fn cursor_of(value: Option<f64>, timestamp: DateTime<Utc>, id: &str) -> String {
    let at = timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    match value {
        Some(v) => format!("{v:?}|{at}|{id}"),
        None => format!("{at}|{id}"),
    }
}

/// Reads a time-sort cursor; `None` when malformed.
pub fn parse_cursor(cursor: &str) -> Option<(DateTime<Utc>, String)> {
    let (timestamp, id) = cursor.split_once('|')?;
    let timestamp = DateTime::parse_from_rfc3339(timestamp).ok()?.with_timezone(&Utc);
    (!id.is_empty()).then(|| (timestamp, id.to_string()))
}

/// Reads a cursor of the given sort; `None` when malformed.
pub fn parse_list_cursor(cursor: &str, sort: SortBy) -> Option<ListCursor> {
    if sort == SortBy::Time {
        let (timestamp, id) = parse_cursor(cursor)?;
        return Some(ListCursor { value: None, timestamp, id });
    }
    let (value, rest) = cursor.split_once('|')?;
    let value: f64 = value.parse().ok().filter(|v: &f64| v.is_finite())?;
    let (timestamp, id) = parse_cursor(rest)?;
    Some(ListCursor { value: Some(value), timestamp, id })
}

/// One score of a row: its name and value as shown (numbers averaged over the trace's scores of
/// that name, categories listed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreChip {
    pub name: String,
    pub value: String,
}

/// One row of the list: the trace and what its observations and scores add up to (maintained at
/// ingestion in `trace_metrics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceListRow {
    pub trace: Trace,
    /// Seconds; 0 without observations.
    pub latency: f64,
    /// USD.
    pub total_cost: f64,
    pub total_tokens: i64,
    pub observation_count: usize,
    /// Highest observation level: 0 debug (or none), 1 default, 2 warning, 3 error.
    pub level: u8,
    pub error_count: i64,
    pub warning_count: i64,
    pub models: Vec<String>,
    /// The first characters of the input's and output's text (string values of the JSON).
    pub input_preview: String,
    pub output_preview: String,
    pub score_count: usize,
    pub scores: Vec<ScoreChip>,
}

impl TraceListRow {
    pub fn level_label(&self) -> &'static str {
        match self.level {
            3 => "ERROR",
            2 => "WARNING",
            1 => "DEFAULT",
            _ if self.observation_count == 0 => "",
            _ => "DEBUG",
        }
    }
}

/// What `bulk_traces` does to the selected traces. Adding them to an annotation queue has its own
/// server function (`annotation::add_to_queue`, which also takes observations and sessions),
/// offered by the same selection bar; adding them to a dataset will join it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAction {
    /// Delete the traces with their observations and scores (`Action::WriteTraces`).
    Delete,
    // Later: AddToDataset { dataset_id }.
}

/// A saved view of the list: a name for a URL query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: String,
    pub name: String,
    /// The list's query string, with its `?` (or empty).
    pub query: String,
    pub created_by: Option<String>,
    /// The creator's email, when the account still exists.
    pub created_by_email: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Whether the signed-in person may delete it (its creator, or an Admin).
    pub deletable: bool,
}

/// How to send a first trace, for the empty state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupHint {
    pub host: String,
    /// A public key of the project, when it has one (public keys are not secret).
    pub public_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceListPage {
    pub rows: Vec<TraceListRow>,
    /// The cursor of the next (older) page; `None` at the end.
    pub next_before: Option<String>,
    /// Present when the project has no traces at all.
    pub setup: Option<SetupHint>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_query_round_trips_through_the_url() {
        let query = TraceListQuery { user: "ada lovelace".into(), tag: "a&b".into(), search: "作为".into(), sort: "cost".into(), ..Default::default() };
        assert_eq!(query.to_search(), "?search=%E4%BD%9C%E4%B8%BA&user=ada%20lovelace&tag=a%26b&sort=cost");
        let params = [("user", "ada lovelace"), ("tag", "a&b"), ("search", "作为"), ("sort", "cost")];
        let read = TraceListQuery::from_params(|k| params.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string()));
        assert_eq!(read, query);
        assert_eq!(TraceListQuery::default().to_search(), "");
        assert!(query.is_filtered());
        assert!(!TraceListQuery { sort: "cost".into(), ..Default::default() }.is_filtered());
        assert_eq!(query.with("session", "s1").to_search(), "?search=%E4%BD%9C%E4%B8%BA&user=ada%20lovelace&session=s1&tag=a%26b&sort=cost");
        assert_eq!(query.without("search").to_search(), "?user=ada%20lovelace&tag=a%26b&sort=cost");
        assert_eq!(query.cleared().to_search(), "?sort=cost");
        assert_eq!(range_length("7d"), Some(chrono::Duration::days(7)));
        assert_eq!(range_length("2w"), None);
        let chips = TraceListQuery { score: "quality".into(), score_op: ">".into(), score_value: "0.5".into(), ..Default::default() }.active_filters();
        assert_eq!(chips, vec![("score", "Score", "quality > 0.5".to_string())]);
    }

    #[test]
    fn sorting_by_a_column_then_flipping_it() {
        let q = TraceListQuery { before: "x".into(), ..Default::default() };
        let by_cost = q.sorted_by(SortBy::Cost);
        assert_eq!(by_cost.to_search(), "?sort=cost");
        assert_eq!(by_cost.sorted_by(SortBy::Cost).to_search(), "?sort=cost&dir=asc");
        assert_eq!(by_cost.sorted_by(SortBy::Cost).sorted_by(SortBy::Cost).to_search(), "?sort=cost");
        assert_eq!(by_cost.sorted_by(SortBy::Time).to_search(), "");
        assert_eq!(q.sorted_by(SortBy::Time).to_search(), "?dir=asc", "newest first flips to oldest first");
    }

    #[test]
    fn parsing_names_the_wrong_field() {
        let bad = |q: TraceListQuery| q.parse(now()).unwrap_err().0;
        assert_eq!(bad(TraceListQuery { latency_min: "fast".into(), ..Default::default() }), "latency_min");
        assert_eq!(bad(TraceListQuery { cost_max: "-1".into(), ..Default::default() }), "cost_max");
        assert_eq!(bad(TraceListQuery { cost_min: "2".into(), cost_max: "1".into(), ..Default::default() }), "cost_max");
        assert_eq!(bad(TraceListQuery { level: "loud".into(), ..Default::default() }), "level");
        assert_eq!(bad(TraceListQuery { errors: "maybe".into(), ..Default::default() }), "errors");
        assert_eq!(bad(TraceListQuery { from: "2026-02-01".into(), to: "2026-01-01".into(), ..Default::default() }), "to");
        assert_eq!(bad(TraceListQuery { from: "yesterday".into(), ..Default::default() }), "from");
        assert_eq!(bad(TraceListQuery { metadata: "novalue".into(), ..Default::default() }), "metadata");
        assert_eq!(bad(TraceListQuery { score: "q".into(), score_op: ">".into(), score_value: "good".into(), ..Default::default() }), "score_value");
        assert_eq!(bad(TraceListQuery { score: "q".into(), score_op: "~".into(), score_value: "1".into(), ..Default::default() }), "score_op");
        assert_eq!(bad(TraceListQuery { sort: "name".into(), ..Default::default() }), "sort");
        assert_eq!(bad(TraceListQuery { sort: "cost".into(), before: "2026-01-01T00:00:00Z|t1".into(), ..Default::default() }), "before");
        let spec = TraceListQuery {
            from: "2026-01-01T10:30".into(),
            metadata: "tier = pro".into(),
            score: "verdict".into(),
            score_value: "good".into(),
            latency_min: "1.5".into(),
            ..Default::default()
        }
        .parse(now())
        .unwrap();
        assert_eq!(spec.from.unwrap().to_rfc3339(), "2026-01-01T10:30:00+00:00");
        assert_eq!(spec.metadata, Some(("tier".into(), "pro".into())));
        assert_eq!(spec.score.unwrap().value, ScoreValue::Text("good".into()));
        assert_eq!(spec.latency_min, Some(1.5));
        assert_eq!((spec.sort, spec.descending), (SortBy::Time, true));
    }

    #[test]
    fn cursors() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456Z").unwrap().with_timezone(&Utc);
        let cursor = cursor_of(None, at, "trace|1");
        assert_eq!(cursor, "2026-01-02T03:04:05.123456Z|trace|1");
        assert_eq!(parse_cursor(&cursor), Some((at, "trace|1".to_string())));
        assert_eq!(parse_cursor("nonsense"), None);
        assert_eq!(parse_cursor("2026-01-02T03:04:05Z|"), None);
        // A metric value reads back to the very same f64.
        let value = 0.1 + 0.2;
        let cursor = cursor_of(Some(value), at, "t|2");
        let read = parse_list_cursor(&cursor, SortBy::Cost).unwrap();
        assert_eq!((read.value, read.timestamp, read.id.as_str()), (Some(value), at, "t|2"));
        assert_eq!(parse_list_cursor("NaN|2026-01-02T03:04:05Z|t", SortBy::Latency), None);
    }
}

/// One end user of the traced application, as the users page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceUserRow {
    pub user_id: String,
    pub traces: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The `total` usage of their observations.
    pub total_tokens: i64,
    /// USD.
    pub total_cost: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceUserPage {
    pub rows: Vec<TraceUserRow>,
    /// The `page` to ask for next; `None` at the end.
    pub next_page: Option<i64>,
}

/// One end user's page: their totals, their sessions and their latest traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceUserDetail {
    pub user: TraceUserRow,
    /// Their most recently active sessions.
    pub sessions: Vec<TraceSessionRow>,
    /// Their latest traces (without input or output), newest first.
    pub recent_traces: Vec<Trace>,
}

/// One session (a conversation: the traces sharing a `sessionId`), as the sessions page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSessionRow {
    pub session_id: String,
    pub traces: i64,
    /// Distinct user ids of its traces.
    pub users: Vec<String>,
    pub first_trace: DateTime<Utc>,
    pub last_trace: DateTime<Utc>,
    /// USD.
    pub total_cost: f64,
    /// The `total` usage of its observations.
    #[serde(default)]
    pub total_tokens: i64,
    /// The session's own scores (not its traces'), one chip per name.
    #[serde(default)]
    pub scores: Vec<ScoreChip>,
}

impl TraceSessionRow {
    /// Seconds from the first trace to the last.
    pub fn duration(&self) -> f64 {
        (self.last_trace - self.first_trace).num_milliseconds() as f64 / 1000.0
    }
}

/// A session's page: its traces in order (the conversation), its totals and its own scores
/// (scores given to the session rather than to one of its traces).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionDetail {
    /// Oldest first, with input and output.
    pub traces: Vec<Trace>,
    /// USD, over every observation of its traces.
    pub total_cost: f64,
    pub total_tokens: i64,
    pub scores: Vec<crate::score_views::Score>,
    /// The people who wrote its annotation scores (chips name them on hover).
    #[serde(default)]
    pub score_authors: Vec<crate::account::Person>,
}

impl SessionDetail {
    /// Distinct user ids of its traces, in order of first appearance.
    pub fn users(&self) -> Vec<String> {
        let mut users: Vec<String> = Vec::new();
        for user in self.traces.iter().filter_map(|t| t.user_id.clone()) {
            if !users.contains(&user) {
                users.push(user);
            }
        }
        users
    }

    /// Seconds from its first trace to its last.
    pub fn duration(&self) -> f64 {
        match (self.traces.first(), self.traces.last()) {
            (Some(first), Some(last)) => (last.timestamp - first.timestamp).num_milliseconds() as f64 / 1000.0,
            _ => 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSessionPage {
    pub rows: Vec<TraceSessionRow>,
    pub next_page: Option<i64>,
    /// The environments the project's sessions were seen in: the environment filter's choices.
    #[serde(default)]
    pub environments: Vec<String>,
}
