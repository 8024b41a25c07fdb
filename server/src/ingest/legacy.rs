//! The batch API's events (`POST /api/public/ingestion`, docs/COMPATIBILITY.md §3): each event is
//! validated on its own, so one bad event gets its own error in the 207 response while the good
//! events beside it are stored. Events are applied in Langfuse's order: by envelope timestamp,
//! creates before updates, and all update events after the other events of the batch.

use chrono::{DateTime, Utc};
use loupe_app::domain::{ObservationLevel, ObservationType};
use serde_json::Value;

use super::environment;
use super::fields::{parse_datetime, Fields};
use super::model::{IngestBatch, ObservationPatch, TracePatch, UsageInput};
use super::scores::{self, ScoreDraft};
use super::storable::{self, MAX_KEY_BYTES};
use super::{Unit, Unstored};

/// The outcome of one event, reported in the 207 body.
#[derive(Debug, Clone, PartialEq)]
pub struct EventError {
    /// The envelope id, or `"unknown"` when it could not be read.
    pub id: String,
    pub status: u16,
    pub message: String,
    pub error: String,
}

/// An event that passed validation, and the unit its data belongs to (none for `sdk-log`), so a
/// unit the database refuses can be reported against the events that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub id: String,
    pub unit: Option<Unit>,
}

/// Whether the caller may write everything or only scores (public-key Bearer auth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    ScoresOnly,
}

/// A parsed batch: what to store, which envelopes succeeded, which failed and why. Score drafts
/// still need their configs checked (`scores::apply_config`) before they join the batch.
#[derive(Debug, Default)]
pub struct ParsedBatch {
    pub batch: IngestBatch,
    pub score_drafts: Vec<(String, ScoreDraft)>,
    pub successes: Vec<Accepted>,
    pub errors: Vec<EventError>,
}

impl ParsedBatch {
    /// Moves the events whose unit the database refused from `successes` to `errors`.
    pub fn refuse(&mut self, unstored: &[Unstored]) {
        if unstored.is_empty() {
            return;
        }
        let (refused, kept): (Vec<Accepted>, Vec<Accepted>) = std::mem::take(&mut self.successes)
            .into_iter()
            .partition(|a| a.unit.as_ref().is_some_and(|unit| unstored.iter().any(|u| &u.unit == unit)));
        self.successes = kept;
        for accepted in refused {
            let failure = unstored.iter().find(|u| Some(&u.unit) == accepted.unit.as_ref()).expect("partitioned by it");
            self.errors.push(EventError {
                id: accepted.id,
                status: failure.status,
                message: "Could not store the event".into(),
                error: failure.message.clone(),
            });
        }
    }
}

enum Parsed {
    Trace(TracePatch),
    Observation(Box<(ObservationPatch, TracePatch)>),
    Score(ScoreDraft),
    /// Accepted and dropped (`sdk-log`).
    Ignored,
}

struct Envelope<'a> {
    index: usize,
    id: String,
    r#type: String,
    timestamp: DateTime<Utc>,
    body: &'a Value,
}

fn is_update(event_type: &str) -> bool {
    event_type.ends_with("-update")
}

fn read_envelope(index: usize, event: &Value) -> Result<Envelope<'_>, EventError> {
    let fail = |id: String, message: String| EventError { id, status: 400, message: "Invalid request data".into(), error: message };
    let path = format!("batch[{index}]");
    let Value::Object(map) = event else {
        return Err(fail("unknown".into(), format!("{path}: expected an event object")));
    };
    let id = match map.get("id") {
        // The envelope id is only echoed in the response, but a client must be able to match it.
        Some(Value::String(id)) if !id.is_empty() && id.len() <= MAX_KEY_BYTES && !id.contains('\r') => id.clone(),
        Some(Value::String(id)) if !id.is_empty() => {
            return Err(fail("unknown".into(), format!("{path}.id: at most {MAX_KEY_BYTES} bytes without carriage returns")))
        }
        _ => return Err(fail("unknown".into(), format!("{path}.id: a non-empty string event id is required"))),
    };
    let r#type = match map.get("type") {
        Some(Value::String(t)) => t.clone(),
        _ => return Err(fail(id, format!("{path}.type: the event type is required"))),
    };
    let timestamp = match map.get("timestamp") {
        Some(Value::String(ts)) => match parse_datetime(ts) {
            Some(ts) => ts,
            None => return Err(fail(id, format!("{path}.timestamp: expected an ISO-8601 datetime, got {ts:?}"))),
        },
        _ => return Err(fail(id, format!("{path}.timestamp: an ISO-8601 datetime is required"))),
    };
    let body = match map.get("body") {
        Some(body @ Value::Object(_)) => body,
        _ => return Err(fail(id, format!("{path}.body: expected an object"))),
    };
    Ok(Envelope { index, id, r#type, timestamp, body })
}

/// Parses and validates every event of a batch. Never fails as a whole: each event ends up in
/// `successes` or `errors`.
pub fn parse_batch(events: &[Value], scope: Scope) -> ParsedBatch {
    let mut out = ParsedBatch::default();
    let mut envelopes = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        match read_envelope(index, event) {
            Ok(envelope) => envelopes.push(envelope),
            Err(error) => out.errors.push(error),
        }
    }
    // Langfuse's order: updates last, then by time; the sort is stable so equal keys keep the
    // order they were sent in.
    envelopes.sort_by_key(|e| (is_update(&e.r#type), e.timestamp));
    for envelope in envelopes {
        if scope == Scope::ScoresOnly && !matches!(envelope.r#type.as_str(), "score-create" | "sdk-log") {
            out.errors.push(EventError {
                id: envelope.id,
                status: 401,
                message: "Access Scope Denied".into(),
                error: format!("batch[{}]: a public key alone may only create scores; use the secret key for {}", envelope.index, envelope.r#type),
            });
            continue;
        }
        let unit = match parse_event(&envelope) {
            Ok(Parsed::Trace(patch)) => {
                let unit = Unit::Trace(patch.id.clone());
                out.batch.traces.push(patch);
                Some(unit)
            }
            Ok(Parsed::Observation(parsed)) => {
                let (patch, trace) = *parsed;
                let unit = Unit::Trace(patch.trace_id.clone());
                out.batch.traces.push(trace);
                out.batch.observations.push(patch);
                Some(unit)
            }
            Ok(Parsed::Score(draft)) => {
                out.score_drafts.push((envelope.id.clone(), draft));
                continue; // success is decided after the config check
            }
            Ok(Parsed::Ignored) => None,
            Err(message) => {
                out.errors.push(EventError { id: envelope.id, status: 400, message: "Invalid request data".into(), error: message });
                continue;
            }
        };
        out.successes.push(Accepted { id: envelope.id, unit });
    }
    out
}

fn observation_type(event_type: &str, body: &Fields<'_>) -> Result<Option<ObservationType>, String> {
    Ok(Some(match event_type {
        "span-create" | "span-update" => ObservationType::Span,
        "generation-create" | "generation-update" => ObservationType::Generation,
        "event-create" => ObservationType::Event,
        "agent-create" => ObservationType::Agent,
        "tool-create" => ObservationType::Tool,
        "chain-create" => ObservationType::Chain,
        "retriever-create" => ObservationType::Retriever,
        "evaluator-create" => ObservationType::Evaluator,
        "embedding-create" => ObservationType::Embedding,
        "guardrail-create" => ObservationType::Guardrail,
        "observation-create" | "observation-update" => match body.string("type")?.as_deref() {
            Some("GENERATION") => ObservationType::Generation,
            Some("SPAN") => ObservationType::Span,
            Some("EVENT") => ObservationType::Event,
            other => return Err(format!("{}: expected GENERATION, SPAN or EVENT, got {other:?}", body.path("type"))),
        },
        _ => return Ok(None),
    }))
}

fn parse_event(envelope: &Envelope<'_>) -> Result<Parsed, String> {
    let path = format!("batch[{}].body", envelope.index);
    let body = Fields::of(envelope.body, path.clone())?;
    match envelope.r#type.as_str() {
        "trace-create" => parse_trace(&body, envelope.timestamp).map(Parsed::Trace),
        "score-create" => scores::parse(envelope.body, &path, envelope.timestamp).map(Parsed::Score),
        "sdk-log" => {
            tracing::debug!(log = %envelope.body, "sdk-log event");
            Ok(Parsed::Ignored)
        }
        "dataset-run-item-create" => Err(format!(
            "batch[{}].type: dataset-run-item-create is internal to Langfuse and not accepted on the public API; use POST /api/public/dataset-run-items",
            envelope.index
        )),
        other => match observation_type(other, &body)? {
            Some(r#type) => parse_observation(&body, r#type, envelope.timestamp),
            None => Err(format!(
                "batch[{}].type: unknown event type {other:?}; expected trace-create, span-create, span-update, generation-create, \
                 generation-update, event-create, agent-create, tool-create, chain-create, retriever-create, evaluator-create, \
                 embedding-create, guardrail-create, score-create, sdk-log",
                envelope.index
            )),
        },
    }
}

fn required_id(body: &Fields<'_>) -> Result<String, String> {
    match body.string("id")? {
        Some(id) if !id.is_empty() => Ok(id),
        _ => Err(format!("{}: a non-empty id is required", body.path("id"))),
    }
}

/// `storable`'s refusal, located in the body (`batch[3].body.userId: ...`).
fn located(body: &Fields<'_>, refusal: storable::Refusal) -> String {
    body.path(&refusal.to_string())
}

fn parse_trace(body: &Fields<'_>, envelope_time: DateTime<Utc>) -> Result<TracePatch, String> {
    let mut patch = TracePatch {
        id: required_id(body)?,
        timestamp: Some(body.datetime("timestamp")?.unwrap_or(envelope_time)),
        name: body.string("name")?,
        user_id: body.lenient_string("userId")?,
        session_id: body.lenient_string("sessionId")?,
        release: body.lenient_string("release")?,
        version: body.lenient_string("version")?,
        input: body.any("input").cloned(),
        output: body.any("output").cloned(),
        metadata: body.any("metadata").cloned(),
        tags: body.string_array("tags")?.unwrap_or_default(),
        public: body.boolean("public")?,
        environment: body.string("environment")?.map(|e| environment::normalize(Some(&e))),
        // The batch API says what the trace is, never what it is only by default.
        fallback: Default::default(),
    };
    storable::trace(&mut patch).map_err(|refusal| located(body, refusal))?;
    Ok(patch)
}

fn parse_level(body: &Fields<'_>) -> Result<Option<ObservationLevel>, String> {
    match body.string("level")? {
        None => Ok(None),
        Some(level) => level
            .parse()
            .map(Some)
            .map_err(|_| format!("{}: expected DEBUG, DEFAULT, WARNING or ERROR, got {level:?}", body.path("level"))),
    }
}

fn parse_observation(body: &Fields<'_>, r#type: ObservationType, envelope_time: DateTime<Utc>) -> Result<Parsed, String> {
    let id = required_id(body)?;
    // Very old SDKs sent observations without a trace: they get a trace of their own.
    let trace_id = body.string("traceId")?.filter(|t| !t.is_empty()).unwrap_or_else(|| id.clone());
    let mut patch = ObservationPatch::new(id, trace_id.clone(), r#type);
    patch.name = body.bounded_string("name", 1000)?;
    patch.start_time = body.datetime("startTime")?;
    patch.end_time = if r#type == ObservationType::Event { patch.start_time } else { body.datetime("endTime")? };
    patch.parent_observation_id = body.string("parentObservationId")?.filter(|p| !p.is_empty());
    patch.input = body.any("input").cloned();
    patch.output = body.any("output").cloned();
    patch.metadata = body.any("metadata").cloned();
    patch.level = parse_level(body)?;
    patch.status_message = body.lenient_string("statusMessage")?;
    patch.version = body.lenient_string("version")?;
    patch.environment = body.string("environment")?.map(|e| environment::normalize(Some(&e)));
    if r#type.is_generation_like() {
        patch.completion_start_time = body.datetime("completionStartTime")?;
        patch.model = body.lenient_string("model")?;
        patch.model_parameters = body.object("modelParameters")?.cloned();
        patch.usage = UsageInput {
            legacy: body.object("usage")?.cloned(),
            details: body.object("usageDetails")?.cloned().filter(|d| d.as_object().is_some_and(|o| !o.is_empty())),
            gen_ai: Default::default(),
        };
        patch.cost = body.object("costDetails")?.cloned().filter(|d| d.as_object().is_some_and(|o| !o.is_empty()));
        let prompt_name = body.string("promptName")?;
        let prompt_version = body.integer("promptVersion")?;
        match (prompt_name, prompt_version) {
            (Some(name), Some(version)) => {
                let version = i32::try_from(version).map_err(|_| format!("{}: out of range", body.path("promptVersion")))?;
                patch.prompt_name = Some(name);
                patch.prompt_version = Some(version);
            }
            (None, None) => {}
            _ => return Err(format!("{}: promptName and promptVersion must be given together", body.path("promptName"))),
        }
    }
    // The trace must exist for the observation to be found; a shallow patch creates it if no
    // trace event does (and changes nothing when it exists).
    storable::observation(&mut patch).map_err(|refusal| located(body, refusal))?;
    let trace = TracePatch {
        timestamp: Some(patch.start_time.unwrap_or(envelope_time)),
        environment: patch.environment.clone(),
        ..TracePatch::new(patch.trace_id.clone())
    };
    Ok(Parsed::Observation(Box::new((patch, trace))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: &str, r#type: &str, ts: &str, body: Value) -> Value {
        json!({"id": id, "type": r#type, "timestamp": ts, "body": body})
    }

    #[test]
    fn good_events_survive_bad_neighbours() {
        let events = vec![
            event("e1", "trace-create", "2026-01-01T00:00:00Z", json!({"id": "t1", "name": "n", "tags": ["a"]})),
            event("e2", "span-create", "2026-01-01T00:00:01Z", json!({"id": "s1", "traceId": "t1", "startTime": "not a time"})),
            event("e3", "bogus-create", "2026-01-01T00:00:01Z", json!({"id": "x"})),
            json!({"type": "trace-create"}),
            event("e5", "generation-create", "2026-01-01T00:00:02Z", json!({"id": "g1", "traceId": "t1", "promptName": "p"})),
            event("e6", "sdk-log", "2026-01-01T00:00:02Z", json!({"log": "hi"})),
            event("e7", "trace-create", "2026-01-01T00:00:00Z", json!({"id": "t2", "tags": "not-an-array"})),
        ];
        let parsed = parse_batch(&events, Scope::All);
        let accepted: Vec<&str> = parsed.successes.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(accepted, vec!["e1", "e6"]);
        let errors: Vec<(&str, &str)> = parsed.errors.iter().map(|e| (e.id.as_str(), e.error.as_str())).collect();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors.iter().any(|(id, e)| *id == "unknown" && e.contains("batch[3].id")));
        assert!(errors.iter().any(|(id, e)| *id == "e2" && e.contains("batch[1].body.startTime")));
        assert!(errors.iter().any(|(id, e)| *id == "e3" && e.contains("unknown event type \"bogus-create\"")));
        assert!(errors.iter().any(|(id, e)| *id == "e5" && e.contains("promptName and promptVersion")));
        assert!(errors.iter().any(|(id, e)| *id == "e7" && e.contains("batch[6].body.tags")));
        assert_eq!(parsed.batch.traces.len(), 1);
    }

    #[test]
    fn updates_apply_after_creates_and_in_time_order() {
        let events = vec![
            event("u", "span-update", "2026-01-01T00:00:00Z", json!({"id": "s", "traceId": "t", "output": "done"})),
            event("c2", "span-create", "2026-01-01T00:00:02Z", json!({"id": "b", "traceId": "t"})),
            event("c1", "span-create", "2026-01-01T00:00:01Z", json!({"id": "s", "traceId": "t", "name": "first"})),
        ];
        let parsed = parse_batch(&events, Scope::All);
        let order: Vec<(&str, bool)> = parsed.batch.observations.iter().map(|o| (o.id.as_str(), o.output.is_some())).collect();
        assert_eq!(order, vec![("s", false), ("b", false), ("s", true)]);
    }

    #[test]
    fn public_key_scope_only_writes_scores() {
        let events = vec![
            event("t", "trace-create", "2026-01-01T00:00:00Z", json!({"id": "t1"})),
            event("s", "score-create", "2026-01-01T00:00:00Z", json!({"traceId": "t1", "name": "x", "value": 1})),
        ];
        let parsed = parse_batch(&events, Scope::ScoresOnly);
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!((parsed.errors[0].id.as_str(), parsed.errors[0].status), ("t", 401));
        assert_eq!(parsed.score_drafts.len(), 1);
    }

    #[test]
    fn observation_types_events_and_missing_trace_ids() {
        let events = vec![
            event("a", "event-create", "2026-01-01T00:00:00Z", json!({"id": "e", "traceId": "t", "startTime": "2026-01-01T00:00:00Z"})),
            event("b", "tool-create", "2026-01-01T00:00:00Z", json!({"id": "tool", "traceId": "t", "model": "m"})),
            event("c", "observation-create", "2026-01-01T00:00:00Z", json!({"id": "o", "type": "GENERATION"})),
            event("d", "span-create", "2026-01-01T00:00:00Z", json!({"id": "s", "traceId": "t", "model": "ignored"})),
        ];
        let parsed = parse_batch(&events, Scope::All);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let by_id = |id: &str| parsed.batch.observations.iter().find(|o| o.id == id).unwrap();
        assert_eq!(by_id("e").end_time, by_id("e").start_time);
        assert_eq!(by_id("tool").r#type, ObservationType::Tool);
        assert_eq!(by_id("tool").model.as_deref(), Some("m"));
        assert_eq!(by_id("s").model, None);
        assert_eq!(by_id("o").trace_id, "o");
        assert!(parsed.batch.traces.iter().any(|t| t.id == "o"));
    }
}
