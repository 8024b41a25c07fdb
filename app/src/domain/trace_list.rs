//! The traces list of the UI: its query (every filter lives in the URL, so a view can be shared
//! and back/forward works) and its rows. Pagination is by cursor — "older than this trace" —
//! so page 1,000 costs what page 1 costs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::trace_views::Trace;

/// The list's filters and position, as in the URL (`?user=…&tag=…&before=…`). Empty = any.
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
    /// Cursor: only traces older than this one (`<RFC 3339 timestamp>|<trace id>`).
    pub before: String,
}

impl TraceListQuery {
    /// Reads the URL's query parameters.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> TraceListQuery {
        let read = |key: &str| get(key).map(|v| v.trim().to_string()).unwrap_or_default();
        TraceListQuery {
            name: read("name"),
            user: read("user"),
            session: read("session"),
            tag: read("tag"),
            environment: read("environment"),
            release: read("release"),
            version: read("version"),
            range: read("range"),
            before: read("before"),
        }
    }

    /// The URL query string (with its `?`, or empty), parameters in a fixed order.
    pub fn to_search(&self) -> String {
        let pairs: Vec<String> = [
            ("name", &self.name),
            ("user", &self.user),
            ("session", &self.session),
            ("tag", &self.tag),
            ("environment", &self.environment),
            ("release", &self.release),
            ("version", &self.version),
            ("range", &self.range),
            ("before", &self.before),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", super::url::encode_query(v)))
        .collect();
        if pairs.is_empty() { String::new() } else { format!("?{}", pairs.join("&")) }
    }

    /// Whether any filter (not the cursor) is set.
    pub fn is_filtered(&self) -> bool {
        [&self.name, &self.user, &self.session, &self.tag, &self.environment, &self.release, &self.version, &self.range]
            .iter()
            .any(|v| !v.is_empty())
    }

    /// The same filters from the newest trace on.
    pub fn first_page(&self) -> TraceListQuery {
        TraceListQuery { before: String::new(), ..self.clone() }
    }

    /// The same filters with one more set (e.g. clicking a user narrows to that user).
    pub fn with(&self, key: &str, value: &str) -> TraceListQuery {
        let mut next = self.first_page();
        let field = match key {
            "name" => &mut next.name,
            "user" => &mut next.user,
            "session" => &mut next.session,
            "tag" => &mut next.tag,
            "release" => &mut next.release,
            "version" => &mut next.version,
            "range" => &mut next.range,
            _ => &mut next.environment,
        };
        *field = value.to_string();
        next
    }
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

/// A cursor for "older than this trace".
pub fn cursor_of(timestamp: DateTime<Utc>, id: &str) -> String {
    format!("{}|{id}", timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// Reads a cursor; `None` when malformed.
pub fn parse_cursor(cursor: &str) -> Option<(DateTime<Utc>, String)> {
    let (timestamp, id) = cursor.split_once('|')?;
    let timestamp = DateTime::parse_from_rfc3339(timestamp).ok()?.with_timezone(&Utc);
    (!id.is_empty()).then(|| (timestamp, id.to_string()))
}

/// One row of the list: the trace and what its observations and scores add up to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceListRow {
    pub trace: Trace,
    /// Seconds; 0 without observations.
    pub latency: f64,
    /// USD.
    pub total_cost: f64,
    pub observation_count: usize,
    pub score_count: usize,
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

    #[test]
    fn the_query_round_trips_through_the_url() {
        let query = TraceListQuery { user: "ada lovelace".into(), tag: "a&b".into(), ..Default::default() };
        assert_eq!(query.to_search(), "?user=ada%20lovelace&tag=a%26b");
        let params = [("user", "ada lovelace"), ("tag", "a&b")];
        let read = TraceListQuery::from_params(|k| params.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string()));
        assert_eq!(read, query);
        assert_eq!(TraceListQuery::default().to_search(), "");
        assert!(query.is_filtered());
        assert_eq!(query.with("session", "s1").to_search(), "?user=ada%20lovelace&session=s1&tag=a%26b");
        assert_eq!(query.with("range", "24h").to_search(), "?user=ada%20lovelace&tag=a%26b&range=24h");
        assert_eq!(range_length("7d"), Some(chrono::Duration::days(7)));
        assert_eq!(range_length("2w"), None);
    }

    #[test]
    fn cursors() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456Z").unwrap().with_timezone(&Utc);
        let cursor = cursor_of(at, "trace|1");
        assert_eq!(cursor, "2026-01-02T03:04:05.123456Z|trace|1");
        assert_eq!(parse_cursor(&cursor), Some((at, "trace|1".to_string())));
        assert_eq!(parse_cursor("nonsense"), None);
        assert_eq!(parse_cursor("2026-01-02T03:04:05Z|"), None);
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
}

impl TraceSessionRow {
    /// Seconds from the first trace to the last.
    pub fn duration(&self) -> f64 {
        (self.last_trace - self.first_trace).num_milliseconds() as f64 / 1000.0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSessionPage {
    pub rows: Vec<TraceSessionRow>,
    pub next_page: Option<i64>,
}
