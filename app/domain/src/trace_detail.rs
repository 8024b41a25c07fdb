//! What the trace page shows: the trace's header (with its totals and scores) and, once an
//! observation is selected, that observation's details. The waterfall itself is
//! [`super::waterfall::TraceTree`], fetched separately because it is the one part that grows
//! with the trace.

use serde::{Deserialize, Serialize};

use super::score_views::Score;
use super::trace_views::{Observation, Trace};

/// The trace page's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceDetail {
    /// With input, output and metadata.
    pub trace: Trace,
    /// Seconds from the first observation's start to the last one's end.
    pub latency: f64,
    /// USD, summed over the observations.
    pub total_cost: f64,
    /// The `total` usage, summed over the observations.
    pub total_tokens: i64,
    pub observation_count: i64,
    /// Observations at level ERROR and WARNING: the header's badges.
    #[serde(default)]
    pub error_count: i64,
    #[serde(default)]
    pub warning_count: i64,
    /// Scores of the trace itself and of its observations, oldest first.
    pub scores: Vec<Score>,
    /// The people who wrote the annotation scores among them (chips name them on hover); empty
    /// for a visitor of a public trace, who is not told the team's names.
    #[serde(default)]
    pub score_authors: Vec<crate::account::Person>,
    /// The absolute link that shows the trace to anyone while it is public.
    pub share_url: String,
}

/// The path of a trace's share link (read-only, no sign-in needed while the trace is public).
pub fn share_path(project_id: &str, trace_id: &str) -> String {
    format!("/share/traces/{}/{}", super::url::encode_query(project_id), super::url::encode_query(trace_id))
}

/// One observation as its panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationDetail {
    /// With input, output, metadata, usage and cost.
    pub observation: Observation,
    /// Scores given to this observation (with their comments), oldest first.
    pub scores: Vec<Score>,
    /// As [`TraceDetail::score_authors`].
    #[serde(default)]
    pub score_authors: Vec<crate::account::Person>,
    /// The raw OTel attributes with the fields each one fed (the mapping inspector); empty for
    /// observations that did not arrive over OTLP.
    pub attributes: Vec<super::otel_inspector::AttributeRow>,
}
