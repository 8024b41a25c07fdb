//! A project as its API key sees it (`GET /api/public/projects`): what the SDKs' `auth_check()`
//! and experiment runners read to confirm the key and build UI links.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSummary {
    pub id: String,
    pub name: String,
    pub organization: OrganizationRef,
    pub metadata: Map<String, Value>,
    /// Days after which tracing data is deleted; omitted when data is kept forever (as Langfuse
    /// omits it for 0 or null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationRef {
    pub id: String,
    pub name: String,
}

/// What the home page shows beside a project: when its latest trace arrived and how busy the last
/// day was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectActivity {
    pub project_id: String,
    pub last_trace_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Traces of the last 24 hours, counted up to [`ProjectActivity::COUNT_CAP`] (a busy project
    /// costs the home page no more than a quiet one).
    pub traces_last_day: i64,
}

impl ProjectActivity {
    pub const COUNT_CAP: i64 = 10_000;

    /// "1,234 traces in 24 h", "10,000+ traces in 24 h".
    pub fn last_day_label(&self) -> String {
        let n = crate::format::count(self.traces_last_day.min(Self::COUNT_CAP));
        let plus = if self.traces_last_day > Self::COUNT_CAP { "+" } else { "" };
        match self.traces_last_day {
            1 => "1 trace in 24 h".to_string(),
            _ => format!("{n}{plus} traces in 24 h"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_day_labels_show_the_cap() {
        let label = |n| ProjectActivity { project_id: "p".into(), last_trace_at: None, traces_last_day: n }.last_day_label();
        assert_eq!(label(0), "0 traces in 24 h");
        assert_eq!(label(1), "1 trace in 24 h");
        assert_eq!(label(1234), "1,234 traces in 24 h");
        assert_eq!(label(ProjectActivity::COUNT_CAP), "10,000 traces in 24 h");
        assert_eq!(label(ProjectActivity::COUNT_CAP + 1), "10,000+ traces in 24 h");
    }
}
