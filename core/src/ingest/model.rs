//! The normalized form every ingestion path produces (OTLP spans, batch events, score posts) and
//! the writer consumes. A patch carries only what one source said about an entity: `None` means
//! "not said", so a later patch fills fields without erasing earlier ones (see the merge rules in
//! `migrations/20261127000001_create_tracing.sql` and `writer.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use loupe_domain::{ObservationLevel, ObservationType, ScoreDataType, ScoreSource};
use serde_json::Value;

/// What one request contributes, in arrival order. Several patches may name the same id; the
/// writer folds them in order before touching the database.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct IngestBatch {
    pub traces: Vec<TracePatch>,
    pub observations: Vec<ObservationPatch>,
    pub scores: Vec<ScoreRecord>,
    /// OTLP spans of experiments (`langfuse.experiment.*`): the runs they belong to and the
    /// dataset items they ran, linked in the same transaction as the spans.
    pub experiments: Vec<ExperimentSpan>,
}

/// Whether `observations` are all OTel spans (each carries its record): the writer then stores
/// them with one `COPY` (`writer::copy_new_observations`), and `combine` only puts such batches
/// together, so that combining never turns a `COPY` into upserts.
pub fn all_otel_spans(observations: &[ObservationPatch]) -> bool {
    !observations.is_empty() && observations.iter().all(|p| p.otel_record.is_some())
}

impl IngestBatch {
    pub fn is_empty(&self) -> bool {
        self.traces.is_empty() && self.observations.is_empty() && self.scores.is_empty() && self.experiments.is_empty()
    }

    pub fn extend(&mut self, other: IngestBatch) {
        self.traces.extend(other.traces);
        self.observations.extend(other.observations);
        self.scores.extend(other.scores);
        self.experiments.extend(other.experiments);
    }
}

/// What one OTLP span says about an experiment (COMPATIBILITY.md §7.2): the run
/// (`langfuse.experiment.id`, `.name`, `.description`, `.metadata`, `.dataset.id`) and, when the
/// span is the item's root observation (`span id == langfuse.experiment.item.root_observation_id`),
/// the dataset item it ran. Child spans repeat the run's attributes (the SDKs propagate them);
/// the writer folds them into one run row per experiment id.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentSpan {
    pub experiment_id: String,
    /// The run name; the writer falls back to the experiment id.
    pub name: Option<String>,
    pub description: Option<String>,
    /// A JSON object (the whole-object attribute merged with the prefixed keys).
    pub metadata: Option<Value>,
    /// As the span says; the writer keeps it only when the project has this dataset.
    pub dataset_id: Option<String>,
    pub trace_id: String,
    pub item: Option<ExperimentItem>,
}

/// The dataset item an item root span ran.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentItem {
    pub item_id: String,
    /// The item root span's id.
    pub observation_id: String,
    /// `langfuse.experiment.item.version` when it is an ISO timestamp: the dataset read as of it.
    pub version: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct TracePatch {
    pub id: String,
    /// The earliest timestamp any source reports wins.
    pub timestamp: Option<DateTime<Utc>>,
    pub name: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub release: Option<String>,
    pub version: Option<String>,
    pub input: Option<Value>,
    pub output: Option<Value>,
    /// A JSON object; deep-merged into the stored metadata.
    pub metadata: Option<Value>,
    /// Unioned with the stored tags.
    pub tags: Vec<String>,
    pub public: Option<bool>,
    /// Already normalized (`environment::normalize`). Immutable once stored.
    pub environment: Option<String>,
    /// What the trace is called and holds only by default (a root span's own name, input and
    /// output): applied only where nothing is stored, so a value set explicitly by any span wins
    /// whatever the order the spans arrive in (as in Langfuse).
    pub fallback: TraceFallback,
}

/// A trace's defaults, see [`TracePatch::fallback`].
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TraceFallback {
    pub name: Option<String>,
    pub input: Option<Value>,
    pub output: Option<Value>,
}

impl TraceFallback {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.input.is_none() && self.output.is_none()
    }
}

impl TracePatch {
    pub fn new(id: impl Into<String>) -> Self {
        TracePatch { id: id.into(), ..Default::default() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservationPatch {
    pub id: String,
    /// Immutable once stored.
    pub trace_id: String,
    pub r#type: ObservationType,
    pub parent_observation_id: Option<String>,
    pub name: Option<String>,
    /// Immutable once stored (the first start time wins).
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub completion_start_time: Option<DateTime<Utc>>,
    pub model: Option<String>,
    /// A JSON object of parameter name → value.
    pub model_parameters: Option<Value>,
    pub input: Option<Value>,
    pub output: Option<Value>,
    /// A JSON object; deep-merged into the stored metadata.
    pub metadata: Option<Value>,
    pub level: Option<ObservationLevel>,
    pub status_message: Option<String>,
    pub version: Option<String>,
    /// Already normalized. Immutable once stored.
    pub environment: Option<String>,
    /// Usage as received; `usage::normalize` turns it into `{usage type: count}`.
    pub usage: UsageInput,
    /// Cost as received (`costDetails`, `langfuse.observation.cost_details`, `gen_ai.usage.cost`
    /// as `{"total": x}`): a JSON object of usage type → USD.
    pub cost: Option<Value>,
    pub prompt_name: Option<String>,
    pub prompt_version: Option<i32>,
    /// OTel only: `{"span": {...}, "resource": {...}, "scope": {"name", "version", "attributes"},
    /// "kind", "status", "events", "mapped"}` with attribute values decoded to JSON; `mapped` is
    /// the mapper's own record of which attribute fed which field (`{"span": {key: [field, ...]},
    /// "resource": {...}}`, see `otel::provenance`), kept in the same value so the two are always
    /// replaced together. Encoded as the mapper makes it (`store::otel_record`, compressed JSON
    /// bytes, shared by clones), since only the mapping inspector reads it back, whole.
    pub otel_record: Option<crate::store::otel_record::OtelRecord>,
}

impl ObservationPatch {
    pub fn new(id: impl Into<String>, trace_id: impl Into<String>, r#type: ObservationType) -> Self {
        ObservationPatch {
            id: id.into(),
            trace_id: trace_id.into(),
            r#type,
            parent_observation_id: None,
            name: None,
            start_time: None,
            end_time: None,
            completion_start_time: None,
            model: None,
            model_parameters: None,
            input: None,
            output: None,
            metadata: None,
            level: None,
            status_message: None,
            version: None,
            environment: None,
            usage: UsageInput::default(),
            cost: None,
            prompt_name: None,
            prompt_version: None,
            otel_record: None,
        }
    }
}

/// Token (or other unit) counts in the shapes the SDKs send them. Normalization to one
/// `{usage type: count}` map happens in `usage::normalize`, in one place for every path.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UsageInput {
    /// The batch API's legacy `usage` object: `{input, output, total, unit, inputCost, ...}` or
    /// `{promptTokens, completionTokens, totalTokens}`.
    pub legacy: Option<Value>,
    /// `usageDetails` / `langfuse.observation.usage_details`: an OpenAI Chat Completions or
    /// Responses usage object, or a free `{usage type: count}` map.
    pub details: Option<Value>,
    /// OTel GenAI / OpenInference counts with their prefix stripped (`gen_ai.usage.input_tokens`
    /// → `input_tokens`, `llm.token_count.prompt` → `prompt`). Empty when none were sent.
    pub gen_ai: BTreeMap<String, f64>,
}

impl UsageInput {
    pub fn is_empty(&self) -> bool {
        self.legacy.is_none() && self.details.is_none() && self.gen_ai.is_empty()
    }
}

/// A validated score, ready to store. Scores are whole records (same id ⇒ replaced), not patches.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRecord {
    pub id: String,
    pub timestamp: DateTime<Utc>,
    pub name: String,
    pub value: Option<f64>,
    pub string_value: Option<String>,
    pub data_type: ScoreDataType,
    pub source: ScoreSource,
    pub trace_id: Option<String>,
    pub observation_id: Option<String>,
    pub session_id: Option<String>,
    pub dataset_run_id: Option<String>,
    pub comment: Option<String>,
    pub metadata: Value,
    pub config_id: Option<String>,
    pub queue_id: Option<String>,
    pub execution_trace_id: Option<String>,
    pub environment: String,
    /// The Loupe account that wrote an ANNOTATION score (the UI's forms); `None` for scores
    /// from the public API, whose writer is a key, not a person.
    pub author_user_id: Option<String>,
}
