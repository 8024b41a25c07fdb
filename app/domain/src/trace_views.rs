//! Read models of tracing data: traces, observations and sessions as the public API returns them
//! (Langfuse's JSON field names, camelCase) and as the UI will show them. Plain serde types: the
//! store builds them from rows, the server serializes them, the browser can deserialize them.
//!
//! Derived values (latency, time to first token, the legacy `usage` object, calculated costs)
//! are computed here, once, so every reader agrees on them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::score_views::Score;
use super::tracing::{ObservationLevel, ObservationType};

/// One page of a page-paginated list (`?page=&limit=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    pub page: i64,
    pub limit: i64,
    pub total_items: i64,
    pub total_pages: i64,
}

impl PageMeta {
    pub fn new(page: i64, limit: i64, total_items: i64) -> Self {
        let total_pages = if limit > 0 { (total_items + limit - 1) / limit } else { 0 };
        PageMeta { page, limit, total_items, total_pages }
    }
}

/// `{data, meta}`: the envelope of every page-paginated list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paginated<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

/// A trace as stored (Langfuse's `Trace`, plus the extra keys its server also sends:
/// `projectId`, `bookmarked`, `externalId`, `createdAt`, `updatedAt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    pub id: String,
    pub project_id: String,
    pub timestamp: DateTime<Utc>,
    pub name: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub release: Option<String>,
    pub version: Option<String>,
    /// Input, output and metadata are null / `{}` when a reader chose not to load them (the
    /// public API's `fields` without `io`).
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub metadata: Value,
    pub tags: Vec<String>,
    pub public: bool,
    pub bookmarked: bool,
    pub environment: String,
    /// Always null: Langfuse accepts `externalId` on ingestion but never stores it.
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Trace {
    /// The trace's page in the UI, as Langfuse links it (`htmlPath`).
    pub fn html_path(&self) -> String {
        format!("/project/{}/traces/{}", self.project_id, self.id)
    }
}

/// What a trace's observations and scores add up to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceMetrics {
    /// Seconds from the earliest observation time to the latest; 0 without observations.
    pub latency: f64,
    /// USD, the sum of the observations' total costs; 0 without costs.
    pub total_cost: f64,
    /// Observation ids in start-time order.
    pub observation_ids: Vec<String>,
    /// Ids of the trace's listable scores (every data type but CORRECTION), oldest first.
    pub score_ids: Vec<String>,
}

/// A list item of `GET /traces` (Langfuse `TraceWithDetails`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceWithDetails {
    #[serde(flatten)]
    pub trace: Trace,
    pub html_path: String,
    /// Seconds; -1 when the `metrics` field group was not requested (Langfuse's convention).
    pub latency: f64,
    /// USD; -1 when the `metrics` field group was not requested.
    pub total_cost: f64,
    pub observations: Vec<String>,
    pub scores: Vec<String>,
}

/// `GET /traces/{id}` (Langfuse `TraceWithFullDetails`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceWithFullDetails {
    #[serde(flatten)]
    pub trace: Trace,
    pub html_path: String,
    pub latency: f64,
    pub total_cost: f64,
    pub observations: Vec<ObservationView>,
    pub scores: Vec<Score>,
}

/// An observation as stored, after ingestion merged and priced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    pub id: String,
    pub project_id: String,
    pub trace_id: String,
    pub parent_observation_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: ObservationType,
    pub name: Option<String>,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub completion_start_time: Option<DateTime<Utc>>,
    pub model: Option<String>,
    pub model_parameters: Option<Value>,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub metadata: Value,
    pub level: ObservationLevel,
    pub status_message: Option<String>,
    pub version: Option<String>,
    pub environment: String,
    /// `{usage type: units}` as computed at ingestion (provided, tokenized or both).
    pub usage_details: BTreeMap<String, i64>,
    /// `{usage type: USD}`.
    pub cost_details: BTreeMap<String, f64>,
    pub total_cost: Option<f64>,
    pub usage_unit: Option<String>,
    pub internal_model_id: Option<String>,
    pub usage_pricing_tier_id: Option<String>,
    pub usage_pricing_tier_name: Option<String>,
    pub prompt_name: Option<String>,
    pub prompt_version: Option<i32>,
    /// The linked prompt version's id (by name and version), when it exists.
    pub prompt_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().map_or(f64::NAN, |us| us as f64 / 1e6)
}

/// Sum of the entries whose key contains `part` (`input`, `input_cached_tokens`, ...); `None`
/// when there is none. Langfuse's `reduceUsageOrCostDetails`.
fn sum_matching<T: Copy + Into<f64>>(details: &BTreeMap<String, T>, part: &str) -> Option<f64> {
    details.iter().filter(|(k, _)| k.contains(part)).map(|(_, v)| (*v).into()).reduce(|a, b| a + b)
}

impl Observation {
    /// Seconds from start to end; `None` while the observation has not ended.
    pub fn latency(&self) -> Option<f64> {
        self.end_time.map(|end| seconds_between(self.start_time, end))
    }

    /// Seconds from start to the first streamed token; `None` without a completion start time.
    pub fn time_to_first_token(&self) -> Option<f64> {
        self.completion_start_time.map(|first| seconds_between(self.start_time, first))
    }

    /// The legacy `usage` object: input and output are the sums of every usage type containing
    /// `input` / `output` (so cached and reasoning tokens count), total is the `total` entry.
    pub fn usage(&self) -> Usage {
        let sum = |part: &str| {
            self.usage_details.iter().filter(|(k, _)| k.contains(part)).map(|(_, v)| *v).fold(0i64, i64::saturating_add)
        };
        Usage {
            input: sum("input"),
            output: sum("output"),
            total: self.usage_details.get("total").copied().unwrap_or(0),
            unit: Some(self.usage_unit.clone().unwrap_or_else(|| "TOKENS".to_string())),
        }
    }

    pub fn calculated_input_cost(&self) -> Option<f64> {
        sum_matching(&self.cost_details, "input")
    }

    pub fn calculated_output_cost(&self) -> Option<f64> {
        sum_matching(&self.cost_details, "output")
    }

    /// The `total` cost entry, else the stored total, else 0 (Langfuse never reports null here).
    pub fn calculated_total_cost(&self) -> f64 {
        self.cost_details.get("total").copied().or(self.total_cost).unwrap_or(0.0)
    }
}

/// The legacy usage summary (`usage: {input, output, total, unit}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input: i64,
    pub output: i64,
    pub total: i64,
    pub unit: Option<String>,
}

/// Langfuse's `ObservationsView`: an observation with its derived usage, cost and timing, as
/// `GET /observations`, `GET /observations/{id}` and `GET /traces/{id}` return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationView {
    pub id: String,
    pub project_id: String,
    pub trace_id: String,
    pub parent_observation_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: ObservationType,
    pub name: Option<String>,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub completion_start_time: Option<DateTime<Utc>>,
    pub model: Option<String>,
    pub model_parameters: Option<Value>,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub metadata: Value,
    pub level: ObservationLevel,
    pub status_message: Option<String>,
    pub version: Option<String>,
    pub environment: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub usage: Usage,
    pub usage_details: BTreeMap<String, i64>,
    pub cost_details: BTreeMap<String, f64>,
    /// Legacy duplicates of `usage` kept by Langfuse for old clients.
    pub unit: Option<String>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    pub usage_pricing_tier_id: Option<String>,
    pub usage_pricing_tier_name: Option<String>,
    /// The prompt version named by `promptName` + `promptVersion`, when it exists.
    pub prompt_id: Option<String>,
    pub prompt_name: Option<String>,
    pub prompt_version: Option<i32>,
    /// The matched model definition (`internal_model_id`).
    pub model_id: Option<String>,
    /// Unit prices (USD per unit) of the matched model's default tier; the store leaves them empty and
    /// the public API fills them from the price book (`pricing::ProjectPrices::unit_prices`).
    pub input_price: Option<f64>,
    pub output_price: Option<f64>,
    pub total_price: Option<f64>,
    pub calculated_input_cost: Option<f64>,
    pub calculated_output_cost: Option<f64>,
    pub calculated_total_cost: f64,
    /// Seconds.
    pub latency: Option<f64>,
    /// Seconds.
    pub time_to_first_token: Option<f64>,
}

impl From<Observation> for ObservationView {
    fn from(o: Observation) -> Self {
        let usage = o.usage();
        let latency = o.latency();
        let time_to_first_token = o.time_to_first_token();
        let calculated_input_cost = o.calculated_input_cost();
        let calculated_output_cost = o.calculated_output_cost();
        let calculated_total_cost = o.calculated_total_cost();
        ObservationView {
            unit: usage.unit.clone(),
            prompt_tokens: usage.input,
            completion_tokens: usage.output,
            total_tokens: usage.total,
            usage,
            id: o.id,
            project_id: o.project_id,
            trace_id: o.trace_id,
            parent_observation_id: o.parent_observation_id,
            kind: o.kind,
            name: o.name,
            start_time: o.start_time,
            end_time: o.end_time,
            completion_start_time: o.completion_start_time,
            model: o.model,
            model_parameters: o.model_parameters,
            input: o.input,
            output: o.output,
            metadata: o.metadata,
            level: o.level,
            status_message: o.status_message,
            version: o.version,
            environment: o.environment,
            created_at: o.created_at,
            updated_at: o.updated_at,
            usage_details: o.usage_details,
            cost_details: o.cost_details,
            usage_pricing_tier_id: o.usage_pricing_tier_id,
            usage_pricing_tier_name: o.usage_pricing_tier_name,
            prompt_id: o.prompt_id,
            prompt_name: o.prompt_name,
            prompt_version: o.prompt_version,
            model_id: o.internal_model_id,
            input_price: None,
            output_price: None,
            total_price: None,
            calculated_input_cost,
            calculated_output_cost,
            calculated_total_cost,
            latency,
            time_to_first_token,
        }
    }
}

/// The trace an observation belongs to, for readers that show observations on their own (the
/// v2 observations API denormalizes these onto each observation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceContext {
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub trace_name: Option<String>,
    pub tags: Option<Vec<String>>,
    pub release: Option<String>,
    pub public: bool,
    pub bookmarked: bool,
}

/// A session: traces sharing a `sessionId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub project_id: String,
    pub environment: String,
}

/// `GET /sessions/{id}`: the session and all its traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionWithTraces {
    #[serde(flatten)]
    pub session: Session,
    pub traces: Vec<Trace>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn observation() -> Observation {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Observation {
            id: "o".into(),
            project_id: "p".into(),
            trace_id: "t".into(),
            parent_observation_id: None,
            kind: ObservationType::Generation,
            name: None,
            start_time: start,
            end_time: Some(start + chrono::Duration::milliseconds(1500)),
            completion_start_time: Some(start + chrono::Duration::milliseconds(250)),
            model: None,
            model_parameters: None,
            input: None,
            output: None,
            metadata: Value::Object(Default::default()),
            level: ObservationLevel::Default,
            status_message: None,
            version: None,
            environment: "default".into(),
            usage_details: [
                ("input", 10),
                ("input_cached_tokens", 2),
                ("output", 6),
                ("output_reasoning", 1),
                ("total", 19),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            cost_details: [("input", 0.5), ("output", 0.25)].into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            total_cost: Some(0.75),
            usage_unit: None,
            internal_model_id: Some("m1".into()),
            usage_pricing_tier_id: None,
            usage_pricing_tier_name: None,
            prompt_name: None,
            prompt_version: None,
            prompt_id: None,
            created_at: start,
            updated_at: start,
        }
    }

    #[test]
    fn derived_usage_costs_and_timings_follow_langfuse() {
        let view = ObservationView::from(observation());
        assert_eq!(view.usage, Usage { input: 12, output: 7, total: 19, unit: Some("TOKENS".into()) });
        assert_eq!((view.prompt_tokens, view.completion_tokens, view.total_tokens), (12, 7, 19));
        assert_eq!(view.calculated_input_cost, Some(0.5));
        assert_eq!(view.calculated_output_cost, Some(0.25));
        // No `total` cost entry: the stored total is used.
        assert_eq!(view.calculated_total_cost, 0.75);
        assert_eq!(view.latency, Some(1.5));
        assert_eq!(view.time_to_first_token, Some(0.25));
        assert_eq!(view.model_id.as_deref(), Some("m1"));
    }

    #[test]
    fn missing_details_give_nulls_and_zeros() {
        let mut o = observation();
        o.usage_details.clear();
        o.cost_details.clear();
        o.total_cost = None;
        o.end_time = None;
        o.completion_start_time = None;
        let view = ObservationView::from(o);
        assert_eq!(view.usage.input, 0);
        assert_eq!(view.calculated_input_cost, None);
        assert_eq!(view.calculated_total_cost, 0.0);
        assert_eq!(view.latency, None);
        assert_eq!(view.time_to_first_token, None);
    }

    #[test]
    fn page_meta_rounds_pages_up() {
        assert_eq!(PageMeta::new(1, 50, 0).total_pages, 0);
        assert_eq!(PageMeta::new(1, 50, 50).total_pages, 1);
        assert_eq!(PageMeta::new(2, 50, 51).total_pages, 2);
    }

    #[test]
    fn observation_view_serializes_langfuse_field_names() {
        let json = serde_json::to_value(ObservationView::from(observation())).unwrap();
        for key in [
            "id",
            "traceId",
            "type",
            "startTime",
            "endTime",
            "completionStartTime",
            "modelParameters",
            "usageDetails",
            "costDetails",
            "statusMessage",
            "parentObservationId",
            "promptId",
            "promptName",
            "promptVersion",
            "modelId",
            "inputPrice",
            "outputPrice",
            "totalPrice",
            "calculatedInputCost",
            "calculatedOutputCost",
            "calculatedTotalCost",
            "latency",
            "timeToFirstToken",
            "environment",
            "usage",
        ] {
            assert!(json.get(key).is_some(), "missing {key}: {json}");
        }
        assert_eq!(json["type"], "GENERATION");
        assert_eq!(json["usage"]["unit"], "TOKENS");
    }
}
