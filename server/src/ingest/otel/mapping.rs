//! Spans → patches (§4.2). Every span becomes one observation; what it says about its trace
//! depends on where it sits:
//! - a root span (no parent, or `langfuse.internal.as_root`) describes the trace in full: name,
//!   input/output fall back to the span's own;
//! - a child carrying trace attributes (Langfuse SDKs ≥ 4 propagate `user.id`, `session.id`,
//!   `langfuse.trace.*` onto every span) updates the trace with those attributes only;
//! - any other child only says the trace exists (`{id, timestamp, environment}`), so children
//!   exported before their root (the usual order: spans are exported when they end) still have a
//!   trace to belong to. One such "shallow" patch per trace and export, and none if the export
//!   describes the trace anyway. Langfuse additionally skips shallow patches for traces seen in
//!   the last ten minutes (Redis); the writer's merge makes that unnecessary here.
//!
//! Each span's attributes are decoded once and moved, at the end, into its OTel record; the
//! rules in the sibling modules only borrow them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use loupe_app::domain::{ObservationLevel, ObservationType};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::{json, Map, Value};

use super::attributes::{json_or_string, to_text, unquote, AsObject, Attributes, SpanEvent};
use super::io_extraction::{self, InputOutput};
use super::metadata::{self, Domain};
use super::provenance::{self, field, Produced, Use};
use super::types::{self, SpanOrigin};
use super::{experiments, generation, trace_fields};
use super::MappedExport;
use crate::ingest::model::{ExperimentSpan, IngestBatch, ObservationPatch, TraceFallback, TracePatch};
use crate::ingest::storable;
use loupe_core::store::otel_record::OtelRecord;

pub fn map_export(request: ExportTraceServiceRequest, received_at: DateTime<Utc>) -> MappedExport {
    let span_count = request.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum();
    let mut batch = BatchBuilder::with_capacity(span_count);
    let mut rejected_spans = Vec::new();
    for (r, resource_spans) in request.resource_spans.into_iter().enumerate() {
        let resource = ResourceContext::new(resource_spans.resource);
        for (s, scope_spans) in resource_spans.scope_spans.into_iter().enumerate() {
            let scope = ScopeContext::new(scope_spans.scope);
            for (i, span) in scope_spans.spans.into_iter().enumerate() {
                let (mut observation, mut trace, mut experiment) = map_span(span, &resource, &scope, received_at);
                // A value the database cannot index refuses this span alone (OTLP partial success).
                match storable(&mut observation, &mut trace).and_then(|()| experiment.as_mut().map_or(Ok(()), storable::experiment)) {
                    Ok(()) => {
                        batch.push(observation, trace);
                        batch.batch.experiments.extend(experiment);
                    }
                    Err(refusal) => rejected_spans.push(format!("resourceSpans[{r}].scopeSpans[{s}].spans[{i}]: {refusal}")),
                }
            }
        }
    }
    MappedExport { batch: batch.finish(), rejected_spans }
}

/// `storable`'s rules for a span's observation and its trace contribution (named `trace.*`).
fn storable(observation: &mut ObservationPatch, trace: &mut TraceContribution) -> Result<(), storable::Refusal> {
    storable::observation(observation)?;
    let (TraceContribution::Describes(patch) | TraceContribution::Mentions(patch)) = trace;
    storable::trace(patch).map_err(|refusal| storable::Refusal { field: format!("trace.{}", refusal.field), ..refusal })
}

/// What every span of one resource shares.
struct ResourceContext {
    attrs: Attributes,
    /// Stored with each observation in its OTel record's `resource`.
    json: Value,
    /// `langfuse.trace.metadata*` set on the resource applies to every trace and observation.
    trace_metadata: Map<String, Value>,
    /// Which resource attributes fed `trace_metadata` (as `trace.metadata` uses).
    trace_metadata_uses: Vec<Use>,
}

impl ResourceContext {
    fn new(resource: Option<Resource>) -> Self {
        let attrs = Attributes::decode(resource.map(|r| r.attributes).unwrap_or_default());
        let trace_metadata = attrs.mapping(field::TRACE_METADATA, || metadata::extract(&attrs, Domain::Trace));
        let trace_metadata_uses = attrs.take_uses();
        ResourceContext { json: attrs.to_json(), attrs, trace_metadata, trace_metadata_uses }
    }

    /// The span's and resource's rules for `field` both read: recorded on both.
    fn mapping<T: Produced>(&self, attrs: &Attributes, field: &'static str, rule: impl FnOnce() -> T) -> T {
        attrs.mapping(field, || self.attrs.mapping(field, rule))
    }
}

/// What every span of one instrumentation scope shares.
struct ScopeContext {
    name: String,
    version: String,
    /// Spans from the Langfuse SDKs carry only Langfuse attributes: no `metadata.attributes` copy.
    is_langfuse_sdk: bool,
    /// Stored with each observation in its OTel record's `scope`.
    json: Value,
}

impl ScopeContext {
    fn new(scope: Option<InstrumentationScope>) -> Self {
        let scope = scope.unwrap_or_default();
        let attrs = Attributes::decode(scope.attributes);
        ScopeContext {
            is_langfuse_sdk: scope.name.starts_with("langfuse-sdk"),
            json: json!({ "name": scope.name, "version": scope.version, "attributes": attrs.into_json() }),
            name: scope.name,
            version: scope.version,
        }
    }
}

/// What one span says about its trace.
enum TraceContribution {
    /// A full (root) or partial (trace attributes) description.
    Describes(TracePatch),
    /// Only that the trace exists: `{id, timestamp, environment}`.
    Mentions(TracePatch),
}

struct BatchBuilder {
    batch: IngestBatch,
    described: HashSet<String>,
    /// Shallow patches, one per trace, in first-seen order.
    mentioned: Vec<TracePatch>,
    mentioned_index: HashMap<String, usize>,
}

impl BatchBuilder {
    fn with_capacity(spans: usize) -> Self {
        BatchBuilder {
            batch: IngestBatch { observations: Vec::with_capacity(spans), ..Default::default() },
            described: HashSet::new(),
            mentioned: Vec::new(),
            mentioned_index: HashMap::new(),
        }
    }

    fn push(&mut self, observation: ObservationPatch, trace: TraceContribution) {
        self.batch.observations.push(observation);
        match trace {
            TraceContribution::Describes(patch) => {
                if !self.described.contains(&patch.id) {
                    self.described.insert(patch.id.clone());
                }
                self.batch.traces.push(patch);
            }
            TraceContribution::Mentions(patch) => match self.mentioned_index.get(&patch.id) {
                Some(&i) => {
                    let earliest = &mut self.mentioned[i].timestamp;
                    *earliest = (*earliest).min(patch.timestamp);
                }
                None => {
                    self.mentioned_index.insert(patch.id.clone(), self.mentioned.len());
                    self.mentioned.push(patch);
                }
            },
        }
    }

    fn finish(mut self) -> IngestBatch {
        let described = self.described;
        self.batch.traces.extend(self.mentioned.into_iter().filter(|patch| !described.contains(&patch.id)));
        self.batch
    }
}

fn map_span(
    span: Span,
    resource: &ResourceContext,
    scope: &ScopeContext,
    received_at: DateTime<Utc>,
) -> (ObservationPatch, TraceContribution, Option<ExperimentSpan>) {
    let Span { trace_id, span_id, parent_span_id, name: span_name, kind, start_time_unix_nano, end_time_unix_nano, attributes, events, status, .. } =
        span;
    let parent = parent_span_id.iter().any(|b| *b != 0).then(|| hex::encode(&parent_span_id));
    let attrs = Attributes::decode(attributes);
    let events: Vec<SpanEvent> = events.into_iter().map(SpanEvent::decode).collect();
    let (status_code, status_message) = status.map(|s| (s.code, s.message)).unwrap_or_default();
    let (start_time, end_time) = span_times(start_time_unix_nano, end_time_unix_nano, received_at);

    let origin = SpanOrigin { resource: &resource.attrs, scope_name: &scope.name, scope_version: &scope.version, span_name: &span_name };
    let InputOutput { input, output, input_attribute, output_attribute } = io_extraction::extract(&attrs, &events, &scope.name);
    let facts = SpanFacts {
        trace_id: hex::encode(trace_id),
        start_time,
        name: attrs.mapping(field::NAME, || observation_name(&span_name, &attrs)),
        input,
        output,
        environment: resource.mapping(&attrs, field::ENVIRONMENT, || trace_fields::environment(&attrs, &resource.attrs)),
        version: resource.mapping(&attrs, field::VERSION, || trace_fields::version(&attrs, &resource.attrs)),
        metadata: attrs.mapping(field::METADATA, || metadata::extract(&attrs, Domain::Observation)),
        unmapped: if scope.is_langfuse_sdk { Map::new() } else { unmapped_attributes(&attrs) },
    };
    let trace = if trace_fields::is_root(parent.is_some(), &attrs) {
        TraceContribution::Describes(full_trace(&facts, &attrs, resource))
    } else if trace_fields::has_trace_updates(&attrs) {
        TraceContribution::Describes(partial_trace(&facts, &attrs, resource))
    } else {
        TraceContribution::Mentions(TracePatch {
            timestamp: Some(start_time),
            environment: Some(facts.environment.clone()),
            ..TracePatch::new(facts.trace_id.clone())
        })
    };

    let describes_trace = matches!(trace, TraceContribution::Describes(_));
    let r#type = attrs.mapping(field::TYPE, || types::infer(&attrs, &origin));
    let mut metadata = resource.trace_metadata.clone();
    metadata.extend(facts.metadata);
    if !facts.unmapped.is_empty() {
        metadata.insert("attributes".into(), Value::Object(facts.unmapped));
    }
    let span_id = hex::encode(span_id);
    let experiment = experiments::extract(&attrs, &facts.trace_id, &span_id);
    let mut observation = ObservationPatch::new(span_id, facts.trace_id, r#type);
    observation.parent_observation_id = parent;
    observation.name = facts.name;
    observation.start_time = Some(start_time);
    observation.end_time = Some(end_time);
    observation.input = facts.input;
    observation.output = facts.output;
    observation.metadata = non_empty(metadata);
    observation.level = Some(attrs.mapping(field::LEVEL, || level(&attrs, status_code, &scope.name, &span_name)));
    observation.status_message = attrs
        .mapping(field::STATUS_MESSAGE, || attrs.get("langfuse.observation.status_message").map(to_text))
        .or_else(|| (!status_message.is_empty()).then(|| status_message.clone()));
    observation.version = facts.version;
    observation.environment = Some(facts.environment);
    if r#type.is_generation_like() {
        add_generation_fields(&mut observation, &attrs, &scope.name);
    }
    let mapped = record_mapping(&attrs, resource, describes_trace, &observation);
    let stored = StoredAs::new(
        &attrs,
        [(field::INPUT, input_attribute, observation.input.as_ref()), (field::OUTPUT, output_attribute, observation.output.as_ref())],
    );
    observation.otel_record = Some(OtelRecord::new(&Record {
        span: attrs.as_object_without(&stored.positions),
        resource: &resource.json,
        scope: &scope.json,
        kind,
        status: RecordStatus { code: status_code, message: &status_message },
        events: events
            .iter()
            .map(|e| RecordEvent {
                name: &e.name,
                time: time_from_nanos(e.time_unix_nano).map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
                attributes: e.attributes.as_object(),
            })
            .collect(),
        stored: &stored,
        mapped,
    }));
    (observation, trace, experiment)
}

/// The span attributes the observation's input and output were read from as sent: their values
/// are written as null in the OTel record, which names them here (`"stored": {key: {"field":
/// "input", "json": true}}`), and the inspector reads them back from the row's fields
/// (`store::observations::otel_attributes`). Input and output are most of a span's bytes; kept
/// in both places they were stored twice and escaped twice more for the record (issue #23).
/// `json`: the attribute was JSON text, parsed into the field (the value reads back as that JSON,
/// re-serialized); otherwise the field holds the attribute's value itself.
struct StoredAs<'a> {
    positions: Vec<usize>,
    entries: Vec<(&'a str, &'static str, bool)>,
}

impl<'a> StoredAs<'a> {
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn new(attrs: &'a Attributes, fields: [(&'static str, Option<usize>, Option<&Value>); 2]) -> Self {
        let mut stored = StoredAs { positions: Vec::new(), entries: Vec::new() };
        for (field, position, value) in fields {
            let (Some(position), Some(value)) = (position, value) else { continue };
            let Some((key, raw)) = attrs.entry_at(position) else { continue };
            // One attribute feeding both fields (never, by the rules) would be restored twice.
            if stored.positions.contains(&position) {
                continue;
            }
            let json = matches!(raw, Value::String(text) if value.as_str() != Some(text.as_str()));
            stored.positions.push(position);
            stored.entries.push((key, field, json));
        }
        stored
    }
}

impl serde::Serialize for StoredAs<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct As {
            field: &'static str,
            json: bool,
        }
        serializer.collect_map(self.entries.iter().map(|&(key, field, json)| (key, As { field, json })))
    }
}

/// A span's OTel record as stored (`store::otel_record`), serialized in place: the resource and
/// scope every span of the export shares are borrowed, not copied into each span's record. The
/// fields' order is the JSON's key order.
#[derive(serde::Serialize)]
struct Record<'a> {
    span: AsObject<'a>,
    resource: &'a Value,
    scope: &'a Value,
    kind: i32,
    status: RecordStatus<'a>,
    events: Vec<RecordEvent<'a>>,
    #[serde(skip_serializing_if = "StoredAs::is_empty")]
    stored: &'a StoredAs<'a>,
    mapped: provenance::Mapped<'a>,
}

#[derive(serde::Serialize)]
struct RecordStatus<'a> {
    code: i32,
    message: &'a str,
}

#[derive(serde::Serialize)]
struct RecordEvent<'a> {
    name: &'a str,
    time: Option<String>,
    attributes: AsObject<'a>,
}

/// The OTel record's `mapped`: which span and resource attributes fed which fields.
fn record_mapping<'a>(attrs: &'a Attributes, resource: &'a ResourceContext, describes_trace: bool, observation: &ObservationPatch) -> provenance::Mapped<'a> {
    // The resource's trace metadata is the base of the observation's metadata, and of the
    // trace's when this span describes it; the span's own entries override it.
    let mut resource_uses: Vec<Use> =
        resource.trace_metadata_uses.iter().map(|u| Use { field: field::METADATA, ..*u }).collect();
    if describes_trace {
        resource_uses.extend(resource.trace_metadata_uses.iter().copied());
    }
    resource_uses.extend(resource.attrs.take_uses());
    let usage_types = crate::ingest::usage::gen_ai_usage_sources(&observation.usage.gen_ai);
    provenance::mapped((attrs, attrs.take_uses()), (&resource.attrs, resource_uses), &usage_types)
}

/// What the rules derived from one span that both its observation and its trace use.
struct SpanFacts {
    trace_id: String,
    start_time: DateTime<Utc>,
    name: Option<String>,
    input: Option<Value>,
    output: Option<Value>,
    environment: String,
    version: Option<String>,
    /// The span's own observation metadata.
    metadata: Map<String, Value>,
    /// `metadata.attributes` of third-party spans (empty for the Langfuse SDKs).
    unmapped: Map<String, Value>,
}

/// A root span's description of its trace: trace attributes, else the span's own name and I/O;
/// metadata from the resource, the trace attributes and the span.
fn full_trace(facts: &SpanFacts, attrs: &Attributes, resource: &ResourceContext) -> TracePatch {
    let mut metadata = resource.trace_metadata.clone();
    metadata.extend(attrs.mapping(field::TRACE_METADATA, || metadata::extract(attrs, Domain::Trace)));
    metadata.extend(facts.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
    attrs.recorder().alias(field::METADATA, field::TRACE_METADATA);
    if !facts.unmapped.is_empty() {
        metadata.insert("attributes".into(), Value::Object(facts.unmapped.clone()));
    }
    // Name, input and output default to the observation's (and so do their sources), but only
    // as a fallback: a trace attribute set by any span, before or after this one, wins.
    let fallback = |explicit: &Option<Value>, own: &Option<Value>, from: &'static str, to: &'static str| {
        if explicit.is_some() {
            return None;
        }
        attrs.recorder().alias(from, to);
        own.clone()
    };
    let name = attrs.mapping(field::TRACE_NAME, || attrs.get("langfuse.trace.name").map(to_text));
    let fallback_name = if name.is_some() {
        None
    } else {
        attrs.recorder().alias(field::NAME, field::TRACE_NAME);
        facts.name.clone()
    };
    let input = trace_io(attrs, field::TRACE_INPUT, "langfuse.trace.input");
    let output = trace_io(attrs, field::TRACE_OUTPUT, "langfuse.trace.output");
    TracePatch {
        fallback: TraceFallback {
            name: fallback_name,
            input: fallback(&input, &facts.input, field::INPUT, field::TRACE_INPUT),
            output: fallback(&output, &facts.output, field::OUTPUT, field::TRACE_OUTPUT),
        },
        name,
        input,
        output,
        metadata: non_empty(metadata),
        ..trace_attributes(facts, attrs, resource)
    }
}

/// `langfuse.trace.input` / `.output`; an empty string is no value, as in Langfuse.
fn trace_io(attrs: &Attributes, field: &'static str, key: &str) -> Option<Value> {
    attrs.mapping(field, || attrs.get(key).map(json_or_string)).filter(|value| value.as_str() != Some(""))
}

/// A child span's update of its trace: only what the trace attributes say.
fn partial_trace(facts: &SpanFacts, attrs: &Attributes, resource: &ResourceContext) -> TracePatch {
    let mut metadata = resource.trace_metadata.clone();
    metadata.extend(attrs.mapping(field::TRACE_METADATA, || metadata::extract(attrs, Domain::Trace)));
    TracePatch {
        name: attrs.mapping(field::TRACE_NAME, || attrs.get("langfuse.trace.name").map(to_text)),
        input: trace_io(attrs, field::TRACE_INPUT, "langfuse.trace.input"),
        output: trace_io(attrs, field::TRACE_OUTPUT, "langfuse.trace.output"),
        metadata: non_empty(metadata),
        ..trace_attributes(facts, attrs, resource)
    }
}

/// Model, parameters, usage, cost, first-token time and (generations only) the prompt link.
fn add_generation_fields(observation: &mut ObservationPatch, attrs: &Attributes, scope_name: &str) {
    observation.model_parameters = attrs.mapping(field::MODEL_PARAMETERS, || generation::model_parameters(attrs, scope_name));
    if let Some(start_time) = observation.start_time {
        observation.completion_start_time =
            attrs.mapping(field::COMPLETION_START_TIME, || generation::completion_start_time(attrs, start_time));
    }
    // Vercel AI SDK agent spans repeat the usage of the model calls beneath them.
    if !generation::is_agent_operation(attrs) {
        observation.model = attrs.mapping(field::MODEL, || generation::model(attrs));
        observation.usage = attrs.mapping(field::USAGE_DETAILS, || generation::usage(attrs, scope_name));
        observation.cost = attrs.mapping(field::COST_DETAILS, || generation::cost(attrs));
    }
    if observation.r#type == ObservationType::Generation {
        // The rule records its two fields itself (one attribute may carry both).
        if let Some((name, version)) = generation::prompt(attrs) {
            observation.prompt_name = Some(name);
            observation.prompt_version = Some(version);
        }
    }
}

/// The trace fields full and partial descriptions share.
fn trace_attributes(facts: &SpanFacts, attrs: &Attributes, resource: &ResourceContext) -> TracePatch {
    TracePatch {
        timestamp: Some(facts.start_time),
        user_id: attrs.mapping(field::TRACE_USER_ID, || trace_fields::user_id(attrs)),
        session_id: attrs.mapping(field::TRACE_SESSION_ID, || trace_fields::session_id(attrs)),
        release: resource.mapping(attrs, field::RELEASE, || trace_fields::release(attrs, &resource.attrs)),
        version: facts.version.clone(),
        tags: attrs.mapping(field::TRACE_TAGS, || trace_fields::tags(attrs)),
        public: attrs.mapping(field::TRACE_PUBLIC, || trace_fields::public(attrs)),
        environment: Some(facts.environment.clone()),
        ..TracePatch::new(facts.trace_id.clone())
    }
}

fn non_empty(map: Map<String, Value>) -> Option<Value> {
    (!map.is_empty()).then_some(Value::Object(map))
}

/// A third-party span's attributes that no rule consumed as input, output or metadata, kept in
/// `metadata.attributes` so they can be searched and shown like Langfuse shows them.
fn unmapped_attributes(attrs: &Attributes) -> Map<String, Value> {
    attrs.iter().filter(|(k, _)| !io_extraction::is_consumed_key(k)).map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// §4.3 "observation name": tool names and framework-specific names win over the span name.
fn observation_name(span_name: &str, attrs: &Attributes) -> Option<String> {
    if let Some(tool) = attrs.truthy("gen_ai.tool.name") {
        return Some(to_text(tool));
    }
    if attrs.contains("genkit:name") {
        return attrs.get("genkit:name").map(to_text);
    }
    if let Some(message) = attrs.truthy("logfire.msg") {
        return Some(to_text(message));
    }
    if attrs.contains("ai.toolCall.name") {
        return attrs.get("ai.toolCall.name").map(to_text);
    }
    if let Some(operation) = attrs.get("ai.operationId") {
        let function = attrs.truthy("ai.telemetry.functionId").map(|f| format!("{}:", to_text(f))).unwrap_or_default();
        return Some(format!("{function}{}", to_text(operation)));
    }
    (!span_name.is_empty()).then(|| span_name.to_string())
}

/// LiveKit's internal steps, shown at DEBUG level.
const LIVEKIT_DEBUG_SPANS: [&str; 14] = [
    "user_speaking",
    "eou_detection",
    "llm_request_run",
    "tts_node",
    "tts_request",
    "tts_request_run",
    "tts_stream_adapter",
    "agent_speaking",
    "drain_agent_activity",
    "on_exit",
    "on_enter",
    "llm_fallback_adapter",
    "tts_fallback_adapter",
    "start_agent_activity",
];

/// `langfuse.observation.level` (foreign vocabularies accepted), else ERROR for an error status.
fn level(attrs: &Attributes, status_code: i32, scope_name: &str, span_name: &str) -> ObservationLevel {
    if let Some(level) = attrs.attempt(|| attrs.str("langfuse.observation.level").and_then(parse_level)) {
        return level;
    }
    if status_code == 2 {
        ObservationLevel::Error
    } else if scope_name == "livekit-agents" && LIVEKIT_DEBUG_SPANS.contains(&span_name) {
        ObservationLevel::Debug
    } else {
        ObservationLevel::Default
    }
}

fn parse_level(text: &str) -> Option<ObservationLevel> {
    Some(match unquote(text.trim()).to_ascii_uppercase().as_str() {
        "DEBUG" | "TRACE" | "VERBOSE" => ObservationLevel::Debug,
        "DEFAULT" | "INFO" | "LOG" | "NOTICE" | "OK" | "SUCCESS" => ObservationLevel::Default,
        "WARNING" | "WARN" => ObservationLevel::Warning,
        "ERROR" | "FATAL" | "CRITICAL" => ObservationLevel::Error,
        _ => return None,
    })
}

/// Unix nanoseconds (0 = not set) at the database's microsecond precision.
fn time_from_nanos(nanos: u64) -> Option<DateTime<Utc>> {
    if nanos == 0 {
        return None;
    }
    let time = DateTime::from_timestamp_nanos(i64::try_from(nanos).ok()?);
    time.with_nanosecond(time.nanosecond() / 1_000 * 1_000)
}

/// Start and end; a missing one is the other, both missing is `received_at`, and an end before
/// the start is the start.
fn span_times(start: u64, end: u64, received_at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let (start, end) = (time_from_nanos(start), time_from_nanos(end));
    let start = start.or(end).unwrap_or(received_at);
    (start, end.unwrap_or(start).max(start))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_from_nanos() {
        let received = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let (start, end) = span_times(1_795_715_850_282_000_000, 1_795_715_850_289_984_752, received);
        assert_eq!(start.to_rfc3339_opts(SecondsFormat::AutoSi, true), "2026-11-26T17:57:30.282Z");
        assert_eq!(end.to_rfc3339_opts(SecondsFormat::AutoSi, true), "2026-11-26T17:57:30.289984Z");
    }

    #[test]
    fn a_missing_time_is_the_other_and_both_missing_is_now() {
        let received = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let t = 1_795_715_850_282_000_000;
        assert_eq!(span_times(t, 0, received).0, span_times(t, 0, received).1);
        assert_eq!(span_times(0, t, received).0, time_from_nanos(t).unwrap());
        assert_eq!(span_times(0, 0, received), (received, received));
        // Beyond i64 nanoseconds (year 2262): not a time.
        assert_eq!(span_times(u64::MAX, 0, received), (received, received));
    }

    #[test]
    fn end_before_start_is_clamped() {
        let received = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let (start, end) = span_times(2_000_000_000, 1_000_000_000, received);
        assert_eq!(start, end);
    }

    #[test]
    fn level_aliases() {
        for (raw, expected) in [
            ("WARNING", ObservationLevel::Warning),
            ("warn", ObservationLevel::Warning),
            ("Info", ObservationLevel::Default),
            ("success", ObservationLevel::Default),
            ("TRACE", ObservationLevel::Debug),
            ("verbose", ObservationLevel::Debug),
            ("fatal", ObservationLevel::Error),
            (" CRITICAL ", ObservationLevel::Error),
            ("\"ERROR\"", ObservationLevel::Error),
        ] {
            assert_eq!(parse_level(raw), Some(expected), "{raw}");
        }
        assert_eq!(parse_level("loud"), None);
    }

    #[test]
    fn level_falls_back_to_status_then_default() {
        let none = Attributes::default();
        assert_eq!(level(&none, 2, "", "s"), ObservationLevel::Error);
        assert_eq!(level(&none, 1, "", "s"), ObservationLevel::Default);
        assert_eq!(level(&none, 0, "livekit-agents", "tts_node"), ObservationLevel::Debug);
        let unknown = Attributes::from_pairs([("langfuse.observation.level", json!("loud"))]);
        assert_eq!(level(&unknown, 2, "", "s"), ObservationLevel::Error);
        let explicit = Attributes::from_pairs([("langfuse.observation.level", json!("DEBUG"))]);
        assert_eq!(level(&explicit, 2, "", "s"), ObservationLevel::Debug);
    }

    #[test]
    fn observation_names() {
        assert_eq!(observation_name("chat gpt-4o", &Attributes::default()).as_deref(), Some("chat gpt-4o"));
        assert_eq!(observation_name("", &Attributes::default()), None);
        let attrs = Attributes::from_pairs([("gen_ai.tool.name", json!("search")), ("logfire.msg", json!("m"))]);
        assert_eq!(observation_name("execute_tool", &attrs).as_deref(), Some("search"));
        let attrs = Attributes::from_pairs([("logfire.msg", json!("running agent"))]);
        assert_eq!(observation_name("agent run", &attrs).as_deref(), Some("running agent"));
        let attrs = Attributes::from_pairs([("ai.operationId", json!("ai.generateText")), ("ai.telemetry.functionId", json!("my-fn"))]);
        assert_eq!(observation_name("ai.generateText my-fn", &attrs).as_deref(), Some("my-fn:ai.generateText"));
        let attrs = Attributes::from_pairs([("ai.operationId", json!("ai.toolCall")), ("ai.toolCall.name", json!("weather"))]);
        assert_eq!(observation_name("ai.toolCall", &attrs).as_deref(), Some("weather"));
    }
}
