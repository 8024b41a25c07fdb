//! End-to-end tests of `ingest_export` on the payloads real SDKs and instrumentations send
//! (docs/COMPATIBILITY.md §10), plus malformed input. Per-rule tests live next to each rule.

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use loupe_app::domain::{ObservationLevel, ObservationType};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Status;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::fixtures::*;
use super::{ingest_export, OtelRequestError};
use crate::ingest::model::{IngestBatch, ObservationPatch, TracePatch};

fn received_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

fn ingest_protobuf(request: &ExportTraceServiceRequest) -> IngestBatch {
    ingest_export(protobuf(request), Some("application/x-protobuf"), None, received_at()).expect("valid export").batch
}

fn ingest_json(body: &str) -> IngestBatch {
    ingest_export(Bytes::copy_from_slice(body.as_bytes()), Some("application/json"), None, received_at()).expect("valid export").batch
}

fn observation<'a>(batch: &'a IngestBatch, id: &str) -> &'a ObservationPatch {
    batch.observations.iter().find(|o| o.id == id).unwrap_or_else(|| panic!("no observation {id}"))
}

fn malformed(result: Result<super::MappedExport, OtelRequestError>) -> String {
    match result {
        Err(OtelRequestError::Malformed(message)) => message,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

fn time(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

// --- the Langfuse SDKs ---

#[test]
fn python5_observe_gzip_protobuf() {
    let body = Bytes::from(gzip(&protobuf(&python5_observe_export())));
    let batch = ingest_export(body, Some("application/x-protobuf"), Some("gzip"), received_at()).unwrap().batch;
    assert_eq!(batch.observations.len(), 3);
    assert!(batch.scores.is_empty());

    let inner = observation(&batch, "ecf00ac8f9e8f07a");
    assert_eq!(inner.trace_id, TRACE);
    assert_eq!(inner.r#type, ObservationType::Span);
    assert_eq!(inner.parent_observation_id.as_deref(), Some("20a75874f2487804"));
    assert_eq!(inner.name.as_deref(), Some("inner_tool"));
    assert_eq!(inner.input, Some(json!({"args": [21], "kwargs": {}})));
    assert_eq!(inner.output, Some(json!({"doubled": 42})));
    assert_eq!(inner.start_time, Some(time("2026-11-26T17:39:00.742Z")));
    assert_eq!(inner.end_time, Some(time("2026-11-26T17:39:00.747Z")));
    assert_eq!(inner.level, Some(ObservationLevel::Default));
    assert_eq!(inner.version.as_deref(), Some("v-app-1"));
    assert_eq!(inner.environment.as_deref(), Some("default"));
    assert_eq!(inner.metadata, None, "no observation metadata, no attributes copy for Langfuse SDK spans");
    assert_eq!((inner.model.as_ref(), inner.usage.is_empty(), inner.cost.as_ref()), (None, true, None));

    let generation = observation(&batch, "5d7c1b2a3e4f5a6b");
    assert_eq!(generation.r#type, ObservationType::Generation);
    assert_eq!(generation.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(generation.usage.details, Some(json!({"input": 11, "output": 5, "cache_read_input_tokens": 3})));
    assert_eq!(generation.cost, Some(json!({"input": 0.0001, "output": 0.0002})));
    assert_eq!(generation.model_parameters, Some(json!({"temperature": 0.2, "max_tokens": 50})));
    assert_eq!(generation.metadata, Some(json!({"gen_meta": "x"})));
    assert_eq!(generation.output, Some(json!("generated text")));
    assert_eq!(generation.input, None);

    let outer = observation(&batch, "20a75874f2487804");
    assert_eq!(outer.parent_observation_id, None);
    assert_eq!(outer.level, Some(ObservationLevel::Warning));
    assert_eq!(outer.status_message.as_deref(), Some("just a warning"));
    assert_eq!(outer.metadata, Some(json!({"outer_meta": 1})));

    // Children carry the propagated trace attributes: two partial patches, then the root's full one.
    assert_eq!(batch.traces.len(), 3, "{:#?}", batch.traces);
    assert!(batch.traces.iter().all(|t| t.id == TRACE));
    let partial = &batch.traces[0];
    assert_eq!(partial.name.as_deref(), Some("my-trace-name"));
    assert_eq!(partial.input, None, "a partial patch takes input only from langfuse.trace.input");
    assert_eq!(partial.metadata, Some(json!({"tenant": "acme"})));
    let full = &batch.traces[2];
    assert_eq!(
        full,
        &TracePatch {
            id: TRACE.into(),
            timestamp: Some(time("2026-11-26T17:39:00.732Z")),
            name: Some("my-trace-name".into()),
            user_id: Some("user-123".into()),
            session_id: Some("session-abc".into()),
            release: None,
            version: Some("v-app-1".into()),
            input: None,
            output: None,
            metadata: Some(json!({"tenant": "acme", "outer_meta": 1})),
            tags: vec!["tag-a".into(), "tag-b".into()],
            public: None,
            environment: Some("default".into()),
            fallback: Default::default(),
        }
    );
}

#[test]
fn otel_attributes_keep_the_raw_span() {
    let batch = ingest_protobuf(&python5_observe_export());
    let outer = observation(&batch, "20a75874f2487804");
    let raw = &outer.otel_record.as_ref().unwrap().value().unwrap();
    assert_eq!(raw["span"]["langfuse.internal.is_app_root"], json!(true));
    assert_eq!(raw["span"]["langfuse.trace.tags"], json!(["tag-a", "tag-b"]));
    assert_eq!(raw["span"]["langfuse.trace.metadata.tenant"], json!("\"acme\""), "raw values are not reinterpreted");
    assert_eq!(raw["resource"]["service.name"], json!("unknown_service:python"));
    assert_eq!(raw["scope"], json!({"name": "langfuse-sdk", "version": "5.0.4", "attributes": {"public_key": "pk-lf-test-public"}}));
    assert_eq!(raw["kind"], json!(1));
    assert_eq!(raw["status"], json!({"code": 0, "message": ""}));
    assert_eq!(raw["events"], json!([]));
}

#[test]
fn js_sdk_otlp_json() {
    let batch = ingest_json(JS_EXPORT_JSON);
    assert_eq!(batch.observations.len(), 1);
    let generation = &batch.observations[0];
    assert_eq!(generation.id, "bca098040b692884");
    assert_eq!(generation.trace_id, "526c787fe04cfac04b73dff2f5d124bd");
    assert_eq!(generation.parent_observation_id.as_deref(), Some("bfb8b2d2d25906e4"));
    assert_eq!(generation.r#type, ObservationType::Generation);
    assert_eq!(generation.name.as_deref(), Some("js-gen"));
    assert_eq!(generation.environment.as_deref(), Some("js-env"));
    assert_eq!(generation.model.as_deref(), Some("gpt-4o"));
    assert_eq!(generation.input, Some(json!({"messages": [{"role": "user", "content": "Hi"}]})));
    assert_eq!(generation.usage.details, Some(json!({"input": 5, "output": 3})));
    assert_eq!(generation.completion_start_time, Some(time("2026-11-26T17:57:30.282Z")));
    assert_eq!(generation.start_time, Some(time("2026-11-26T17:57:30.282Z")));
    assert_eq!(generation.end_time, Some(time("2026-11-26T17:57:30.289984Z")));
    assert_eq!(generation.otel_record.as_ref().unwrap().value().unwrap()["resource"]["service.name"], json!("unknown_service:node"));

    // user.id makes the child update its trace; no shallow patch is added next to it.
    assert_eq!(batch.traces.len(), 1);
    let trace = &batch.traces[0];
    assert_eq!(trace.user_id.as_deref(), Some("js-user"));
    assert_eq!(trace.tags, ["js"]);
    assert_eq!(trace.name, None);
    assert_eq!(trace.environment.as_deref(), Some("js-env"));
    assert_eq!(trace.timestamp, Some(time("2026-11-26T17:57:30.282Z")));
}

#[test]
fn json_and_protobuf_map_identically() {
    let request = python5_observe_export();
    let from_protobuf = ingest_protobuf(&request);
    // The same export, written as OTLP/JSON by hand from the protobuf types.
    let json_body = otlp_json(&request);
    let from_json = ingest_json(&json_body.to_string());
    assert_eq!(from_protobuf, from_json);
}

/// A minimal OTLP/JSON writer for the test above (hex ids, int64 as strings).
fn otlp_json(request: &ExportTraceServiceRequest) -> Value {
    use opentelemetry_proto::tonic::common::v1::{any_value::Value as V, AnyValue, KeyValue};
    fn any(value: &AnyValue) -> Value {
        match &value.value {
            Some(V::StringValue(s)) => json!({"stringValue": s}),
            Some(V::BoolValue(b)) => json!({"boolValue": b}),
            Some(V::IntValue(i)) => json!({"intValue": i.to_string()}),
            Some(V::DoubleValue(d)) => json!({"doubleValue": d}),
            Some(V::ArrayValue(a)) => json!({"arrayValue": {"values": a.values.iter().map(any).collect::<Vec<_>>()}}),
            _ => json!({}),
        }
    }
    let kvs = |list: &[KeyValue]| list.iter().map(|kv| json!({"key": kv.key, "value": kv.value.as_ref().map(any)})).collect::<Vec<_>>();
    json!({"resourceSpans": request.resource_spans.iter().map(|r| json!({
        "resource": {"attributes": kvs(&r.resource.as_ref().unwrap().attributes)},
        "scopeSpans": r.scope_spans.iter().map(|s| json!({
            "scope": {"name": s.scope.as_ref().unwrap().name, "version": s.scope.as_ref().unwrap().version,
                      "attributes": kvs(&s.scope.as_ref().unwrap().attributes)},
            "spans": s.spans.iter().map(|span| json!({
                "traceId": hex::encode(&span.trace_id), "spanId": hex::encode(&span.span_id),
                "parentSpanId": hex::encode(&span.parent_span_id), "name": span.name, "kind": span.kind,
                "startTimeUnixNano": span.start_time_unix_nano.to_string(), "endTimeUnixNano": span.end_time_unix_nano.to_string(),
                "attributes": kvs(&span.attributes), "events": [], "status": {"code": 0},
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })).collect::<Vec<_>>()})
}

#[test]
fn python3_unquoted_metadata_and_int_values() {
    let root = span(
        "20a75874f2487804",
        None,
        "outer-function",
        0,
        vec![
            text("langfuse.trace.metadata.tenant", "acme"),
            int("langfuse.observation.metadata.outer_meta", 1),
            text("langfuse.observation.metadata.note", "plain text"),
            text("langfuse.observation.type", "span"),
        ],
    );
    let batch = ingest_protobuf(&export(python_resource(), vec![scope("langfuse-sdk", "3.15.0", vec![], vec![root])]));
    assert_eq!(batch.observations[0].metadata, Some(json!({"outer_meta": 1, "note": "plain text"})));
    assert_eq!(batch.traces[0].metadata, Some(json!({"tenant": "acme", "outer_meta": 1, "note": "plain text"})));
}

#[test]
fn python_sdk_errors() {
    let mut failing = span(
        "20a75874f2487804",
        None,
        "fails",
        0,
        vec![text("langfuse.observation.level", "ERROR"), text("langfuse.observation.status_message", "kaputt")],
    );
    failing.status = Some(Status { code: 2, message: "kaputt".into() });
    let batch = ingest_protobuf(&export(python_resource(), vec![scope("langfuse-sdk", "5.0.4", vec![], vec![failing])]));
    assert_eq!(batch.observations[0].level, Some(ObservationLevel::Error));
    assert_eq!(batch.observations[0].status_message.as_deref(), Some("kaputt"));
}

#[test]
fn error_status_alone_is_an_error_level() {
    let mut failing = span("20a75874f2487804", None, "GET /x", 0, vec![]);
    failing.status = Some(Status { code: 2, message: "connection reset".into() });
    let batch = ingest_protobuf(&export(vec![], vec![scope("opentelemetry.instrumentation.requests", "0.1", vec![], vec![failing])]));
    assert_eq!(batch.observations[0].level, Some(ObservationLevel::Error));
    assert_eq!(batch.observations[0].status_message.as_deref(), Some("connection reset"));
}

#[test]
fn environment_and_release_from_resource_attributes() {
    let mut resource = python_resource();
    resource.push(text("langfuse.environment", "staging"));
    resource.push(text("langfuse.release", "rel-42"));
    resource.push(text("service.version", "9.9.9"));
    let root = span("20a75874f2487804", None, "root", 0, vec![]);
    let child = span("1111111111111111", Some("20a75874f2487804"), "child", 1, vec![]);
    let batch = ingest_protobuf(&export(resource, vec![scope("langfuse-sdk", "5.0.4", vec![], vec![child, root])]));
    for observation in &batch.observations {
        assert_eq!(observation.environment.as_deref(), Some("staging"));
        assert_eq!(observation.version.as_deref(), Some("9.9.9"));
    }
    assert_eq!(batch.traces.len(), 1);
    assert_eq!(batch.traces[0].release.as_deref(), Some("rel-42"));
    assert_eq!(batch.traces[0].environment.as_deref(), Some("staging"));
    assert_eq!(batch.traces[0].version.as_deref(), Some("9.9.9"));
}

#[test]
fn span_environment_beats_resource_environment() {
    let resource = vec![text("deployment.environment.name", "production")];
    let root = span("20a75874f2487804", None, "root", 0, vec![text("deployment.environment.name", "Canary")]);
    let batch = ingest_protobuf(&export(resource, vec![scope("s", "", vec![], vec![root])]));
    assert_eq!(batch.observations[0].environment.as_deref(), Some("canary"));
}

// --- third-party instrumentations ---

#[test]
fn openinference_llm_span() {
    let llm = span(
        "1111111111111111",
        None,
        "ChatCompletion",
        0,
        vec![
            text("openinference.span.kind", "LLM"),
            text("llm.model_name", "gpt-4o-mini-2024-07-18"),
            int("llm.token_count.prompt", 12),
            int("llm.token_count.completion", 7),
            int("llm.token_count.total", 19),
            text("llm.invocation_parameters", "{\"temperature\": 0.1}"),
            text("input.value", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}"),
            text("input.mime_type", "application/json"),
            text("output.value", "Hello!"),
            text("llm.input_messages.0.message.role", "user"),
        ],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("openinference.instrumentation.openai", "0.1.30", vec![], vec![llm])]));
    let generation = &batch.observations[0];
    assert_eq!(generation.r#type, ObservationType::Generation);
    assert_eq!(generation.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(
        generation.usage.gen_ai,
        [("completion".to_string(), 7.0), ("prompt".to_string(), 12.0), ("total".to_string(), 19.0)].into_iter().collect()
    );
    assert_eq!(generation.model_parameters, Some(json!({"temperature": 0.1})));
    assert_eq!(generation.input, Some(json!({"messages": [{"role": "user", "content": "Hi"}]})));
    assert_eq!(generation.output, Some(json!("Hello!")));
    // Third-party spans keep their unconsumed attributes in metadata.attributes.
    let attributes = &generation.metadata.as_ref().unwrap()["attributes"];
    assert_eq!(attributes["llm.model_name"], json!("gpt-4o-mini-2024-07-18"));
    assert_eq!(attributes["input.mime_type"], json!("application/json"));
    assert_eq!(attributes.get("input.value"), None);
    assert_eq!(attributes.get("llm.input_messages.0.message.role"), None);
    // The root span describes the trace with the observation's name, input and output, as
    // defaults that an explicit trace attribute from any span replaces.
    assert_eq!(batch.traces[0].name, None);
    assert_eq!(batch.traces[0].fallback.name.as_deref(), Some("ChatCompletion"));
    assert_eq!(batch.traces[0].fallback.output, Some(json!("Hello!")));
    assert_eq!(batch.traces[0].metadata.as_ref().unwrap()["attributes"]["llm.model_name"], json!("gpt-4o-mini-2024-07-18"));
}

#[test]
fn gen_ai_semconv_chat_span() {
    let chat = span(
        "1111111111111111",
        Some("2222222222222222"),
        "chat gpt-4o",
        0,
        vec![
            text("gen_ai.operation.name", "chat"),
            text("gen_ai.system", "openai"),
            text("gen_ai.request.model", "gpt-4o"),
            text("gen_ai.response.model", "gpt-4o-2024-08-06"),
            double("gen_ai.request.temperature", 0.5),
            int("gen_ai.usage.input_tokens", 42),
            int("gen_ai.usage.output_tokens", 9),
            text("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi\"}]}]"),
            text("gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Hello\"}]}]"),
            text("gen_ai.conversation.id", "conv-1"),
        ],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("opentelemetry.instrumentation.openai_v2", "2.1b0", vec![], vec![chat])]));
    let generation = &batch.observations[0];
    assert_eq!(generation.r#type, ObservationType::Generation);
    assert_eq!(generation.model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(generation.model_parameters, Some(json!({"temperature": 0.5})));
    assert_eq!(
        generation.usage.gen_ai,
        [("input_tokens".to_string(), 42.0), ("output_tokens".to_string(), 9.0)].into_iter().collect()
    );
    assert_eq!(generation.input, Some(json!([{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}])));
    assert_eq!(generation.output, Some(json!([{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}]}])));
    // gen_ai.conversation.id is a session id, but not a trace-update trigger: a shallow patch.
    assert_eq!(batch.traces.len(), 1);
    assert_eq!(batch.traces[0].session_id, None);
}

#[test]
fn gen_ai_semconv_message_events() {
    let mut chat = span("1111111111111111", None, "chat", 0, vec![text("gen_ai.operation.name", "chat")]);
    chat.events = vec![
        event("gen_ai.user.message", vec![text("content", "Hi")]),
        event("gen_ai.choice", vec![int("index", 0), text("finish_reason", "stop")]),
    ];
    let batch = ingest_protobuf(&export(vec![], vec![scope("opentelemetry.instrumentation.openai", "0.1", vec![], vec![chat])]));
    let generation = &batch.observations[0];
    assert_eq!(generation.input, Some(json!([{"role": "user", "content": "Hi"}])));
    assert_eq!(generation.output, Some(json!({"index": 0, "finish_reason": "stop"})));
    let events = &generation.otel_record.as_ref().unwrap().value().unwrap()["events"];
    assert_eq!(events[0], json!({"name": "gen_ai.user.message", "time": "2026-11-26T17:39:00.732Z", "attributes": {"content": "Hi"}}));
}

#[test]
fn vercel_ai_sdk_generate_text() {
    let outer = span(
        "2222222222222222",
        None,
        "ai.generateText",
        0,
        vec![
            text("operation.name", "ai.generateText weather-bot"),
            text("ai.operationId", "ai.generateText"),
            text("ai.telemetry.functionId", "weather-bot"),
            text("ai.model.id", "gpt-4o"),
            text("ai.prompt", "{\"prompt\":\"Weather in Paris?\"}"),
            text("ai.response.text", "Sunny."),
            int("ai.usage.promptTokens", 10),
        ],
    );
    let inner = span(
        "1111111111111111",
        Some("2222222222222222"),
        "ai.generateText.doGenerate",
        1,
        vec![
            text("operation.name", "ai.generateText.doGenerate weather-bot"),
            text("ai.operationId", "ai.generateText.doGenerate"),
            text("ai.telemetry.functionId", "weather-bot"),
            text("ai.telemetry.metadata.userId", "vercel-user"),
            text("ai.telemetry.metadata.feature", "weather"),
            text("ai.model.id", "gpt-4o"),
            text("ai.model.provider", "openai.chat"),
            text("gen_ai.system", "openai.chat"),
            text("ai.prompt.messages", "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather in Paris?\"}]}]"),
            text("ai.response.text", "Sunny."),
            int("gen_ai.usage.input_tokens", 10),
            int("gen_ai.usage.output_tokens", 3),
            double("ai.response.msToFirstChunk", 250.4),
        ],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("ai", "", vec![], vec![inner, outer])]));
    let generation = observation(&batch, "1111111111111111");
    assert_eq!(generation.r#type, ObservationType::Generation);
    assert_eq!(generation.name.as_deref(), Some("weather-bot:ai.generateText.doGenerate"));
    assert_eq!(generation.model.as_deref(), Some("gpt-4o"));
    assert_eq!(generation.input, Some(json!([{"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}])));
    assert_eq!(generation.output, Some(json!("Sunny.")));
    assert_eq!(
        generation.usage.gen_ai,
        [("input_tokens".to_string(), 10.0), ("output_tokens".to_string(), 3.0)].into_iter().collect()
    );
    assert_eq!(generation.model_parameters, Some(json!({"system": "openai.chat"})));
    assert_eq!(generation.completion_start_time, Some(time("2026-11-26T17:39:00.984Z")));
    assert_eq!(generation.metadata.as_ref().unwrap()["feature"], json!("weather"));

    // The outer ai.generateText span names a model (`ai.model.id`) but makes no model call itself.
    let outer = observation(&batch, "2222222222222222");
    assert_eq!(outer.r#type, ObservationType::Span);
    assert_eq!(outer.name.as_deref(), Some("weather-bot:ai.generateText"));
    assert_eq!(outer.input, Some(json!({"prompt": "Weather in Paris?"})));

    // ai.telemetry.metadata.userId updates the trace from the child.
    let partial = batch.traces.iter().find(|t| t.user_id.is_some()).unwrap();
    assert_eq!(partial.user_id.as_deref(), Some("vercel-user"));
    assert_eq!(batch.traces.len(), 2);
}

// --- trace patches ---

fn trace_patches(spans: Vec<opentelemetry_proto::tonic::trace::v1::Span>) -> Vec<TracePatch> {
    ingest_protobuf(&export(vec![], vec![scope("langfuse-sdk", "5.0.4", vec![], spans)])).traces
}

#[test]
fn root_span_gives_a_full_trace_with_its_io() {
    let root = span(
        "20a75874f2487804",
        None,
        "handler",
        0,
        vec![text("langfuse.observation.input", "\"q\""), text("langfuse.observation.output", "\"a\""), text("langfuse.trace.output", "\"final\"")],
    );
    let traces = trace_patches(vec![root]);
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].fallback.name.as_deref(), Some("handler"));
    assert_eq!(traces[0].fallback.input, Some(json!("q")), "the span's own input, as a default");
    assert_eq!(traces[0].output, Some(json!("final")), "langfuse.trace.output, explicitly");
    assert_eq!(traces[0].fallback.output, None, "no default where an explicit value is given");
    assert_eq!(traces[0].timestamp, Some(time("2026-11-26T17:39:00.732Z")));
}

#[test]
fn as_root_child_gives_a_full_trace() {
    let child = span("1111111111111111", Some("2222222222222222"), "sub-app", 3, vec![text("langfuse.internal.as_root", "true")]);
    let traces = trace_patches(vec![child]);
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].fallback.name.as_deref(), Some("sub-app"));
}

#[test]
fn children_without_their_root_give_one_shallow_trace() {
    let a = span("1111111111111111", Some("2222222222222222"), "a", 7, vec![]);
    let b = span("3333333333333333", Some("2222222222222222"), "b", 2, vec![]);
    let traces = trace_patches(vec![a, b]);
    assert_eq!(
        traces,
        [TracePatch {
            timestamp: Some(time("2026-11-26T17:39:00.734Z")),
            environment: Some("default".into()),
            ..TracePatch::new(TRACE)
        }]
    );
}

#[test]
fn no_shallow_trace_next_to_a_fuller_one() {
    let child = span("1111111111111111", Some("20a75874f2487804"), "child", 1, vec![]);
    let root = span("20a75874f2487804", None, "root", 0, vec![]);
    let traces = trace_patches(vec![child, root]);
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].fallback.name.as_deref(), Some("root"));

    let updating = span("1111111111111111", Some("20a75874f2487804"), "child", 1, vec![text("session.id", "s1")]);
    let plain = span("3333333333333333", Some("20a75874f2487804"), "other", 2, vec![]);
    let traces = trace_patches(vec![plain, updating]);
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].session_id.as_deref(), Some("s1"));
    assert_eq!(traces[0].name, None, "a partial patch takes its name only from langfuse.trace.name");
}

#[test]
fn partial_trace_from_trace_attributes() {
    let child = span(
        "1111111111111111",
        Some("20a75874f2487804"),
        "child",
        1,
        vec![
            text("langfuse.trace.name", "checkout"),
            text("langfuse.trace.input", "{\"cart\": 3}"),
            text("langfuse.observation.input", "\"obs only\""),
            boolean("langfuse.trace.public", true),
            text("langfuse.trace.metadata", "{\"region\": \"eu\"}"),
            text("langfuse.release", "r7"),
        ],
    );
    let traces = trace_patches(vec![child]);
    assert_eq!(traces.len(), 1);
    let trace = &traces[0];
    assert_eq!(trace.name.as_deref(), Some("checkout"));
    assert_eq!(trace.input, Some(json!({"cart": 3})));
    assert_eq!(trace.output, None);
    assert_eq!(trace.public, Some(true));
    assert_eq!(trace.metadata, Some(json!({"region": "eu"})));
    assert_eq!(trace.release.as_deref(), Some("r7"));
}

#[test]
fn several_traces_in_one_export() {
    let mut other = span("1111111111111111", Some("2222222222222222"), "x", 0, vec![]);
    other.trace_id = id("0123456789abcdef0123456789abcdef");
    let root = span("20a75874f2487804", None, "root", 0, vec![]);
    let traces = trace_patches(vec![other, root]);
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[0].id, TRACE);
    assert_eq!(traces[1].id, "0123456789abcdef0123456789abcdef");
}

// --- generation-only fields ---

#[test]
fn only_generation_like_types_keep_model_usage_and_cost() {
    let attrs = || {
        vec![
            text("langfuse.observation.model.name", "gpt-4o"),
            text("langfuse.observation.usage_details", "{\"input\": 1}"),
            text("langfuse.observation.cost_details", "{\"total\": 0.1}"),
            text("langfuse.observation.prompt.name", "p"),
            int("langfuse.observation.prompt.version", 2),
        ]
    };
    let with_type = |t: &str| {
        let mut a = attrs();
        a.push(text("langfuse.observation.type", t));
        a
    };
    let spans = vec![
        span("1111111111111111", None, "span", 0, with_type("span")),
        span("2222222222222222", None, "event", 0, with_type("event")),
        span("3333333333333333", None, "agent", 0, with_type("agent")),
        span("4444444444444444", None, "generation", 0, with_type("generation")),
    ];
    let batch = ingest_protobuf(&export(vec![], vec![scope("langfuse-sdk", "5.0.4", vec![], spans)]));
    for id in ["1111111111111111", "2222222222222222"] {
        let o = observation(&batch, id);
        assert_eq!((o.model.as_ref(), o.usage.is_empty(), o.cost.as_ref(), o.prompt_name.as_ref()), (None, true, None, None), "{id}");
    }
    let agent = observation(&batch, "3333333333333333");
    assert_eq!(agent.r#type, ObservationType::Agent);
    assert_eq!(agent.model.as_deref(), Some("gpt-4o"));
    assert_eq!(agent.cost, Some(json!({"total": 0.1})));
    assert_eq!(agent.prompt_name, None, "only generations link prompts");
    let generation = observation(&batch, "4444444444444444");
    assert_eq!((generation.prompt_name.as_deref(), generation.prompt_version), (Some("p"), Some(2)));
}

#[test]
fn vercel_agent_spans_have_no_model_or_usage() {
    let agent = span(
        "1111111111111111",
        None,
        "invoke_agent",
        0,
        vec![text("gen_ai.operation.name", "invoke_agent"), text("gen_ai.request.model", "gpt-4o"), int("gen_ai.usage.input_tokens", 100)],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("ai", "", vec![], vec![agent])]));
    let o = &batch.observations[0];
    assert_eq!(o.r#type, ObservationType::Agent);
    assert_eq!((o.model.as_ref(), o.usage.is_empty()), (None, true));
}

// --- the mapping inspector's record (the OTel record's `mapped`) ---

/// The fields `key` fed according to the OTel record's `mapped.<side>` (empty when unmapped).
fn fed(o: &ObservationPatch, side: &str, key: &str) -> Vec<String> {
    let record = o.otel_record.as_ref().expect("otel record").value().unwrap();
    let mapped = &record["mapped"][side];
    assert!(mapped.is_object(), "mapped.{side} is an object: {mapped}");
    mapped.get(key).map(|f| serde_json::from_value(f.clone()).expect("a list of field names")).unwrap_or_default()
}

fn span_fed(o: &ObservationPatch, key: &str) -> Vec<String> {
    fed(o, "span", key)
}

#[test]
fn mapped_langfuse_sdk_keys_name_their_fields() {
    let batch = ingest_protobuf(&python5_observe_export());
    let generation = observation(&batch, "5d7c1b2a3e4f5a6b");
    for (key, expected) in [
        ("langfuse.observation.type", vec!["type"]),
        ("langfuse.observation.model.name", vec!["model"]),
        ("langfuse.observation.usage_details", vec!["usageDetails"]),
        ("langfuse.observation.cost_details", vec!["costDetails"]),
        ("langfuse.observation.model.parameters", vec!["modelParameters"]),
        ("langfuse.observation.metadata.gen_meta", vec!["metadata.gen_meta"]),
        ("langfuse.observation.output", vec!["output"]),
        ("langfuse.version", vec!["version"]),
        // A child with propagated trace attributes updates its trace with them.
        ("user.id", vec!["trace.userId"]),
        ("session.id", vec!["trace.sessionId"]),
        ("langfuse.trace.tags", vec!["trace.tags"]),
        ("langfuse.trace.name", vec!["trace.name"]),
        ("langfuse.trace.metadata.tenant", vec!["trace.metadata.tenant"]),
    ] {
        assert_eq!(span_fed(generation, key), expected, "{key}");
    }

    let root = observation(&batch, "20a75874f2487804");
    assert_eq!(span_fed(root, "langfuse.observation.level"), ["level"]);
    assert_eq!(span_fed(root, "langfuse.observation.status_message"), ["statusMessage"]);
    // The root's own metadata is the trace's too.
    assert_eq!(span_fed(root, "langfuse.observation.metadata.outer_meta"), ["metadata.outer_meta", "trace.metadata.outer_meta"]);
    // Read by no rule: kept only in the raw attributes (Langfuse SDK spans get no metadata copy).
    assert!(span_fed(root, "langfuse.internal.is_app_root").is_empty());
    assert!(fed(root, "resource", "service.name").is_empty());
    assert!(fed(root, "resource", "telemetry.sdk.language").is_empty(), "a condition of a type rule, not a value");

    let record = root.otel_record.as_ref().unwrap().value().unwrap();
    let mapped = &record["mapped"]["span"];
    let keys: Vec<&String> = mapped.as_object().unwrap().keys().collect();
    assert!(!keys.iter().any(|k| k.as_str() == "langfuse.internal.is_app_root"), "unmapped keys have no entry: {keys:?}");
}

#[test]
fn mapped_root_io_feeds_the_trace_too() {
    let root = span(
        "20a75874f2487804",
        None,
        "root",
        0,
        vec![text("langfuse.observation.input", "{\"q\": 1}"), text("langfuse.trace.output", "\"final\""), text("langfuse.observation.output", "x")],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("langfuse-sdk", "5.0.4", vec![], vec![root])]));
    let o = &batch.observations[0];
    // No langfuse.trace.input: the trace takes the observation's input, and its source with it.
    assert_eq!(span_fed(o, "langfuse.observation.input"), ["input", "trace.input"]);
    assert_eq!(span_fed(o, "langfuse.trace.output"), ["trace.output"]);
    assert_eq!(span_fed(o, "langfuse.observation.output"), ["output"]);
}

/// Issue #23: the attributes input and output were read from as sent are not kept twice — the
/// record writes them as null and names them under `stored`, with whether the attribute was JSON
/// text; everything else, and input assembled by a rule, stays in the record as sent.
#[test]
fn input_and_output_taken_as_sent_are_stored_once_as_their_fields() {
    let root = span(
        "20a75874f2487804",
        None,
        "root",
        0,
        vec![
            text("langfuse.observation.input", "{\"q\": [1, 2]}"),
            text("langfuse.observation.output", "plain words"),
            text("langfuse.trace.output", "\"final\""),
            text("http.route", "/chat"),
        ],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("langfuse-sdk", "5.0.4", vec![], vec![root])]));
    let o = &batch.observations[0];
    assert_eq!((o.input.clone(), o.output.clone()), (Some(json!({"q": [1, 2]})), Some(json!("plain words"))));
    let record = o.otel_record.as_ref().unwrap().value().unwrap();
    assert_eq!(record["span"]["langfuse.observation.input"], Value::Null, "{record}");
    assert_eq!(record["span"]["langfuse.observation.output"], Value::Null);
    assert_eq!(
        record["stored"],
        json!({"langfuse.observation.input": {"field": "input", "json": true}, "langfuse.observation.output": {"field": "output", "json": false}})
    );
    // Not an observation field: kept as sent, like every other attribute.
    assert_eq!(record["span"]["langfuse.trace.output"], json!("\"final\""));
    assert_eq!(record["span"]["http.route"], json!("/chat"));
    assert_eq!(span_fed(o, "langfuse.observation.input"), ["input", "trace.input"], "the provenance is unchanged");
    assert!(!String::from_utf8_lossy(&serde_json::to_vec(&record).unwrap()).contains("plain words"));

    // Input assembled by a rule (flattened GenAI prompt keys) is not an attribute as sent.
    let child = span(
        "30a75874f2487804",
        Some("20a75874f2487804"),
        "llm",
        0,
        vec![text("gen_ai.prompt.0.role", "user"), text("gen_ai.prompt.0.content", "Hi"), text("gen_ai.completion.0.content", "Hello")],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("openlit", "", vec![], vec![child])]));
    let record = batch.observations[0].otel_record.as_ref().unwrap().value().unwrap();
    assert!(batch.observations[0].input.is_some());
    assert_eq!(record.get("stored"), None, "{record}");
    assert_eq!(record["span"]["gen_ai.prompt.0.content"], json!("Hi"));
}

#[test]
fn mapped_gen_ai_keys_and_the_model_fallback_chain() {
    let chat = span(
        "1111111111111111",
        Some("2222222222222222"),
        "chat gpt-4o",
        0,
        vec![
            text("gen_ai.operation.name", "chat"),
            text("gen_ai.system", "openai"),
            text("gen_ai.request.model", "gpt-4o"),
            text("gen_ai.response.model", "gpt-4o-2024-08-06"),
            double("gen_ai.request.temperature", 0.5),
            int("gen_ai.request.max_tokens", 100),
            int("gen_ai.usage.input_tokens", 42),
            int("gen_ai.usage.output_tokens", 9),
            int("gen_ai.usage.cache_read_input_tokens", 2),
            text("gen_ai.usage.cost", "0.0012"),
            text("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi\"}]}]"),
            text("gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[]}]"),
            text("gen_ai.conversation.id", "conv-1"),
        ],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("opentelemetry.instrumentation.openai_v2", "2.1b0", vec![], vec![chat])]));
    let o = &batch.observations[0];
    assert_eq!(o.model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(span_fed(o, "gen_ai.response.model"), ["model"]);
    // Lower in the fallback chain and not a parameter: read for nothing.
    assert!(span_fed(o, "gen_ai.request.model").is_empty());
    assert_eq!(span_fed(o, "gen_ai.operation.name"), ["type"]);
    assert_eq!(span_fed(o, "gen_ai.request.temperature"), ["modelParameters.temperature"]);
    assert_eq!(span_fed(o, "gen_ai.request.max_tokens"), ["modelParameters.max_tokens"]);
    // Usage types as priced: GenAI counts normalized (§4.6).
    assert_eq!(span_fed(o, "gen_ai.usage.input_tokens"), ["usageDetails.input"]);
    assert_eq!(span_fed(o, "gen_ai.usage.output_tokens"), ["usageDetails.output"]);
    assert_eq!(span_fed(o, "gen_ai.usage.cache_read_input_tokens"), ["usageDetails.input_cached_tokens"]);
    assert_eq!(span_fed(o, "gen_ai.usage.cost"), ["costDetails.total"]);
    assert_eq!(span_fed(o, "gen_ai.input.messages"), ["input"]);
    assert_eq!(span_fed(o, "gen_ai.output.messages"), ["output"]);
    // Only the Vercel AI SDK reads gen_ai.system as a parameter; a child without trace-update
    // attributes says nothing about its trace, so its conversation id goes nowhere.
    assert!(span_fed(o, "gen_ai.system").is_empty());
    assert!(span_fed(o, "gen_ai.conversation.id").is_empty());
}

#[test]
fn mapped_openinference_and_flattened_messages() {
    let llm = span(
        "1111111111111111",
        None,
        "ChatCompletion",
        0,
        vec![
            text("openinference.span.kind", "LLM"),
            text("llm.model_name", "gpt-4o-mini"),
            int("llm.token_count.prompt", 12),
            int("llm.token_count.completion", 7),
            int("llm.token_count.total", 19),
            text("llm.invocation_parameters", "{\"temperature\": 0.1}"),
            text("input.mime_type", "application/json"),
            text("llm.input_messages.0.message.role", "user"),
            text("llm.input_messages.0.message.content", "Hi"),
            text("llm.output_messages.0.message.content", "Hello"),
        ],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("openinference.instrumentation.openai", "0.1.30", vec![], vec![llm])]));
    let o = &batch.observations[0];
    assert_eq!(o.input, Some(json!([{"message": {"role": "user", "content": "Hi"}}])));
    assert_eq!(span_fed(o, "openinference.span.kind"), ["type"]);
    assert_eq!(span_fed(o, "llm.model_name"), ["model"]);
    assert_eq!(span_fed(o, "llm.token_count.prompt"), ["usageDetails.input"]);
    assert_eq!(span_fed(o, "llm.token_count.completion"), ["usageDetails.output"]);
    assert_eq!(span_fed(o, "llm.token_count.total"), ["usageDetails.total"]);
    assert_eq!(span_fed(o, "llm.invocation_parameters"), ["modelParameters"]);
    // Flattened messages: every leaf feeds the rebuilt list (and the root's trace).
    assert_eq!(span_fed(o, "llm.input_messages.0.message.role"), ["input", "trace.input"]);
    assert_eq!(span_fed(o, "llm.input_messages.0.message.content"), ["input", "trace.input"]);
    assert_eq!(span_fed(o, "llm.output_messages.0.message.content"), ["output", "trace.output"]);
    // Kept as raw, and in metadata.attributes for a third-party span, but not mapped to a field.
    assert!(span_fed(o, "input.mime_type").is_empty());
    assert_eq!(o.metadata.as_ref().unwrap()["attributes"]["input.mime_type"], json!("application/json"));
}

#[test]
fn mapped_vercel_ai_sdk_names_parameters_usage_and_trace_fields() {
    let generate = span(
        "1111111111111111",
        Some("2222222222222222"),
        "ai.generateText.doGenerate",
        1,
        vec![
            text("operation.name", "ai.generateText.doGenerate weather-bot"),
            text("ai.operationId", "ai.generateText.doGenerate"),
            text("ai.telemetry.functionId", "weather-bot"),
            text("ai.telemetry.metadata.userId", "vercel-user"),
            text("ai.telemetry.metadata.feature", "weather"),
            text("ai.model.id", "gpt-4o"),
            text("gen_ai.system", "openai.chat"),
            int("gen_ai.request.max_tokens", 64),
            text("ai.prompt.messages", "[{\"role\":\"user\",\"content\":\"Weather?\"}]"),
            text("ai.response.text", "Sunny."),
            int("ai.usage.promptTokens", 10),
            int("gen_ai.usage.output_tokens", 3),
            double("ai.response.msToFirstChunk", 250.4),
        ],
    );
    let batch = ingest_protobuf(&export(vec![], vec![scope("ai", "", vec![], vec![generate])]));
    let o = &batch.observations[0];
    assert_eq!(span_fed(o, "ai.model.id"), ["type", "model"]);
    assert_eq!(span_fed(o, "operation.name"), ["type"]);
    assert_eq!(span_fed(o, "ai.operationId"), ["name"]);
    assert_eq!(span_fed(o, "ai.telemetry.functionId"), ["name"]);
    assert_eq!(span_fed(o, "gen_ai.system"), ["modelParameters.system"]);
    assert_eq!(span_fed(o, "gen_ai.request.max_tokens"), ["modelParameters.maxTokens"]);
    assert_eq!(span_fed(o, "ai.usage.promptTokens"), ["usageDetails.input"]);
    assert_eq!(span_fed(o, "gen_ai.usage.output_tokens"), ["usageDetails.output"]);
    assert_eq!(span_fed(o, "ai.response.msToFirstChunk"), ["completionStartTime"]);
    assert_eq!(span_fed(o, "ai.prompt.messages"), ["input"]);
    assert_eq!(span_fed(o, "ai.response.text"), ["output"]);
    assert_eq!(span_fed(o, "ai.telemetry.metadata.userId"), ["trace.userId"]);
    // Vercel telemetry metadata is read for both domains, and this span updates its trace.
    assert_eq!(span_fed(o, "ai.telemetry.metadata.feature"), ["metadata.feature", "trace.metadata.feature"]);
    assert_eq!(batch.traces[0].metadata, Some(json!({"feature": "weather"})));
}

#[test]
fn mapped_metadata_records_only_the_winning_source() {
    let root = span(
        "20a75874f2487804",
        Some("1111111111111111"),
        "child",
        0,
        vec![
            text("ai.telemetry.metadata.k", "vercel"),
            text("langfuse.metadata.k", "neutral"),
            text("langfuse.observation.metadata.k", "specific"),
            text("langfuse.observation.level", "loud"),
        ],
    );
    let mut resource = vec![text("langfuse.trace.metadata.k", "resource"), text("langfuse.trace.metadata.r", "only-resource")];
    resource.push(text("deployment.environment", "Prod"));
    resource.push(text("service.version", "1.2.3"));
    let batch = ingest_protobuf(&export(resource, vec![scope("langfuse-sdk", "5.0.4", vec![], vec![root])]));
    let o = &batch.observations[0];
    assert_eq!(o.metadata.as_ref().unwrap()["k"], json!("specific"));
    assert_eq!(span_fed(o, "langfuse.observation.metadata.k"), ["metadata.k"]);
    assert!(span_fed(o, "langfuse.metadata.k").is_empty());
    assert!(span_fed(o, "ai.telemetry.metadata.k").is_empty());
    assert!(fed(o, "resource", "langfuse.trace.metadata.k").is_empty(), "overridden by the span");
    // A child that does not describe its trace: the resource's trace metadata reaches only the
    // observation.
    assert_eq!(fed(o, "resource", "langfuse.trace.metadata.r"), ["metadata.r"]);
    assert_eq!(fed(o, "resource", "deployment.environment"), ["environment"]);
    assert_eq!(fed(o, "resource", "service.version"), ["version"]);
    // An unknown level is read and rejected: the level comes from the status instead.
    assert!(span_fed(o, "langfuse.observation.level").is_empty());
}

// --- malformed input ---

#[test]
fn empty_export_is_an_empty_batch() {
    assert!(ingest_json("{}").is_empty());
    assert!(ingest_json(r#"{"resourceSpans":[]}"#).is_empty());
    assert!(ingest_export(Bytes::new(), Some("application/x-protobuf"), None, received_at()).unwrap().batch.is_empty());
    let scope_only = export(python_resource(), vec![scope("langfuse-sdk", "5.0.4", vec![], vec![])]);
    assert!(ingest_protobuf(&scope_only).is_empty());
}

#[test]
fn bad_content_type() {
    let result = ingest_export(Bytes::from_static(b"{}"), Some("text/plain"), None, received_at());
    assert_eq!(result, Err(OtelRequestError::UnsupportedContentType(Some("text/plain".into()))));
    assert_eq!(
        result.unwrap_err().to_string(),
        "Invalid content type: expected application/x-protobuf or application/json, got Some(\"text/plain\")"
    );
    assert_eq!(ingest_export(Bytes::new(), None, None, received_at()), Err(OtelRequestError::UnsupportedContentType(None)));
}

#[test]
fn bad_gzip() {
    let result = ingest_export(protobuf(&python5_observe_export()), Some("application/x-protobuf"), Some("gzip"), received_at());
    let Err(OtelRequestError::BadGzip(message)) = result else { panic!("{result:?}") };
    assert!(message.contains("header"), "{message}");
}

#[test]
fn unsupported_encoding() {
    let result = ingest_export(Bytes::from_static(b"x"), Some("application/json"), Some("br"), received_at());
    assert_eq!(result, Err(OtelRequestError::UnsupportedEncoding("br".into())));
}

#[test]
fn truncated_protobuf() {
    let body = protobuf(&python5_observe_export());
    let message = malformed(ingest_export(body.slice(..body.len() / 2), Some("application/x-protobuf"), None, received_at()));
    assert!(message.starts_with("protobuf: failed to decode Protobuf message"), "{message}");
}

#[test]
fn missing_span_id() {
    let mut request = python5_observe_export();
    request.resource_spans[0].scope_spans[0].spans[2].span_id.clear();
    let message = malformed(ingest_export(protobuf(&request), Some("application/x-protobuf"), None, received_at()));
    assert_eq!(message, "resourceSpans[0].scopeSpans[0].spans[2]: spanId missing");
    assert_eq!(
        OtelRequestError::Malformed(message).to_string(),
        "Invalid OTLP trace export: resourceSpans[0].scopeSpans[0].spans[2]: spanId missing"
    );
}

#[test]
fn wrong_id_length() {
    let body = JS_EXPORT_JSON.replace("526c787fe04cfac04b73dff2f5d124bd", "526c787fe04cfac0");
    let message = malformed(ingest_export(Bytes::from(body), Some("application/json"), None, received_at()));
    assert_eq!(message, "resourceSpans[0].scopeSpans[0].spans[0]: traceId must be 16 bytes (32 hex characters), got 8 bytes");
}

#[test]
fn resource_spans_not_an_array() {
    let message = malformed(ingest_export(Bytes::from_static(br#"{"resourceSpans":{}}"#), Some("application/json"), None, received_at()));
    assert_eq!(message, "resourceSpans: invalid type: map, expected a sequence at line 1 column 17");
}

#[test]
fn otlp_logs_sent_to_the_traces_endpoint_are_refused() {
    // ResourceLogs share field numbers with ResourceSpans: log records decode as id-less spans.
    let mut request = python5_observe_export();
    for span in &mut request.resource_spans[0].scope_spans[0].spans {
        span.trace_id.clear();
        span.span_id.clear();
    }
    let message = malformed(ingest_export(protobuf(&request), Some("application/x-protobuf"), None, received_at()));
    assert_eq!(message, "resourceSpans[0].scopeSpans[0].spans[0]: traceId missing");
}

#[test]
fn random_and_damaged_input_never_panics() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let valid = protobuf(&python5_observe_export()).to_vec();
    let valid_json = JS_EXPORT_JSON.as_bytes().to_vec();
    let zipped = gzip(&valid);
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for len in 0..valid.len() {
        inputs.push(valid[..len].to_vec());
    }
    for len in (0..valid_json.len()).step_by(7) {
        inputs.push(valid_json[..len].to_vec());
    }
    for _ in 0..2_000 {
        let mut damaged = if rng.gen_bool(0.5) { valid.clone() } else { valid_json.clone() };
        for _ in 0..rng.gen_range(1..8) {
            let i = rng.gen_range(0..damaged.len());
            damaged[i] = rng.gen();
        }
        inputs.push(damaged);
        let len = rng.gen_range(0..512);
        inputs.push((0..len).map(|_| rng.gen()).collect());
    }
    for input in &inputs {
        for content_type in ["application/x-protobuf", "application/json"] {
            let _ = ingest_export(Bytes::copy_from_slice(input), Some(content_type), None, received_at());
        }
    }
    for len in 0..zipped.len() {
        let _ = ingest_export(Bytes::copy_from_slice(&zipped[..len]), Some("application/x-protobuf"), Some("gzip"), received_at());
    }
}

#[test]
fn deeply_nested_values_are_refused_not_overflowed() {
    let depth = 10_000;
    let value = format!("{}{{\"stringValue\":\"x\"}}{}", "{\"arrayValue\":{\"values\":[".repeat(depth), "]}}".repeat(depth));
    let body = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{TRACE}","spanId":"1111111111111111","attributes":[{{"key":"k","value":{value}}}]}}]}}]}}]}}"#
    );
    let message = malformed(ingest_export(Bytes::from(body), Some("application/json"), None, received_at()));
    assert!(message.contains("recursion limit exceeded"), "{message}");
}

// --- volume ---

/// A Python-SDK-like export of `n` spans of about 1.4 KB each: one root, the rest children,
/// every third a generation.
fn large_export(n: usize) -> ExportTraceServiceRequest {
    let long_input = format!("{{\"args\": [\"{}\"], \"kwargs\": {{}}}}", "lorem ipsum ".repeat(60));
    let spans = (0..n)
        .map(|i| {
            let span_id = format!("{:016x}", i + 1);
            let mut attrs = propagated();
            attrs.push(text("langfuse.observation.input", &long_input));
            attrs.push(text("langfuse.observation.output", "{\"result\": \"ok\", \"score\": 0.93}"));
            attrs.push(text("langfuse.observation.metadata.step", &format!("\"{i}\"")));
            if i % 3 == 0 {
                attrs.push(text("langfuse.observation.type", "generation"));
                attrs.push(text("langfuse.observation.model.name", "gpt-4o-mini"));
                attrs.push(text("langfuse.observation.usage_details", "{\"input\": 120, \"output\": 42}"));
                attrs.push(text("langfuse.observation.model.parameters", "{\"temperature\": 0.2}"));
            } else {
                attrs.push(text("langfuse.observation.type", "span"));
            }
            let parent = (i > 0).then_some("0000000000000001");
            span(&span_id, parent, &format!("step-{i}"), i as u64, attrs)
        })
        .collect();
    export(python_resource(), vec![scope("langfuse-sdk", "5.0.4", vec![text("public_key", "pk-lf-test-public")], spans)])
}

#[test]
fn maps_a_thousand_span_export() {
    let request = large_export(1_000);
    let body = protobuf(&request);
    let per_span = body.len() / 1_000;
    assert!((1_000..2_000).contains(&per_span), "fixture drifted: {per_span} bytes per span");
    let batch = ingest_export(Bytes::from(gzip(&body)), Some("application/x-protobuf"), Some("gzip"), received_at()).unwrap().batch;
    assert_eq!(batch.observations.len(), 1_000);
    // One full patch from the root, partial ones from the 999 children (propagated attributes).
    assert_eq!(batch.traces.len(), 1_000);
    assert_eq!(batch.observations.iter().filter(|o| o.r#type == ObservationType::Generation).count(), 334);
    assert_eq!(batch.observations[999].metadata, Some(json!({"step": "999"})));
}

/// `cargo test --release -p loupe-server --lib otel::tests::throughput -- --ignored --nocapture`
/// (measured on the 2-core dev machine: ~20 µs per span end to end, of which ~0.5 gunzip, ~3.4
/// protobuf decode, ~10 mapping, ~7 dropping the batch, which the writer does in production).
#[test]
#[ignore = "benchmark; run by hand in release mode"]
fn throughput() {
    let request = large_export(10_000);
    let body = Bytes::from(gzip(&protobuf(&request)));
    let runs = 5;
    let started = std::time::Instant::now();
    for _ in 0..runs {
        let batch = ingest_export(body.clone(), Some("application/x-protobuf"), Some("gzip"), received_at()).unwrap().batch;
        assert_eq!(batch.observations.len(), 10_000);
    }
    let per_span = started.elapsed() / (runs * 10_000);
    println!("ingest_export: {per_span:?} per span (gzip protobuf, ~1.4 KB per span)");
    let json_body = Bytes::from(otlp_json(&request).to_string());
    let started = std::time::Instant::now();
    for _ in 0..runs {
        ingest_export(json_body.clone(), Some("application/json"), None, received_at()).unwrap();
    }
    println!("ingest_export: {:?} per span (OTLP/JSON)", started.elapsed() / (runs * 10_000));
    // Phases, to see where the time goes.
    let raw = protobuf(&request);
    let t = std::time::Instant::now();
    for _ in 0..runs {
        super::transport::decompress(body.clone(), Some("gzip")).unwrap();
    }
    println!("  gunzip: {:?} per span", t.elapsed() / (runs * 10_000));
    let t = std::time::Instant::now();
    for _ in 0..runs {
        super::decode::decode(&raw, super::transport::Format::Protobuf).unwrap();
    }
    println!("  protobuf decode + validate: {:?} per span", t.elapsed() / (runs * 10_000));
    let mut mapped = Vec::new();
    let t = std::time::Instant::now();
    for _ in 0..runs {
        mapped.push(super::mapping::map_export(request.clone(), received_at()));
    }
    println!("  clone + map: {:?} per span", t.elapsed() / (runs * 10_000));
    let t = std::time::Instant::now();
    for _ in 0..runs {
        let _ = request.clone();
    }
    println!("  (clone alone: {:?} per span)", t.elapsed() / (runs * 10_000));
    let t = std::time::Instant::now();
    drop(mapped);
    println!("  drop batches: {:?} per span", t.elapsed() / (runs * 10_000));
}

#[test]
fn random_exports_map_without_panicking() {
    // Valid ids, arbitrary attribute values on well-known keys.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let keys = [
        "langfuse.observation.type",
        "langfuse.observation.input",
        "langfuse.observation.usage_details",
        "langfuse.observation.completion_start_time",
        "langfuse.observation.prompt.version",
        "langfuse.trace.tags",
        "gen_ai.prompt.3.content",
        "gen_ai.prompt.99999999999999999999.x",
        "llm.input_messages.0.message.content",
        "gen_ai.input.messages",
        "gen_ai.system_instructions",
        "ai.response.msToFirstChunk",
        "events",
        "gen_ai.usage.input_tokens",
        "langfuse.environment",
    ];
    let values = ["", "[", "{}", "[]", "null", "\"x\"", "1e400", "-1", "[{\"role\":1}]", "2026-13-45T99:99:99Z", "{\"a\":", "NaN"];
    let mut spans = Vec::new();
    for i in 0..300 {
        let attrs = (0..rng.gen_range(0..10))
            .map(|_| {
                let key = keys[rng.gen_range(0..keys.len())];
                match rng.gen_range(0..4) {
                    0 => text(key, values[rng.gen_range(0..values.len())]),
                    1 => int(key, rng.gen()),
                    2 => double(key, f64::from_bits(rng.gen())),
                    _ => strings(key, &["a", "b,c"]),
                }
            })
            .collect();
        let mut s = span(&format!("{:016x}", i + 1), (i % 2 == 0).then_some("00000000000000ff"), "s", i as u64, attrs);
        s.start_time_unix_nano = rng.gen();
        s.end_time_unix_nano = rng.gen();
        spans.push(s);
    }
    let batch = ingest_protobuf(&export(vec![], vec![scope("ai", "", vec![], spans)]));
    assert_eq!(batch.observations.len(), 300);
}

#[test]
fn empty_string_input_and_output_are_no_value() {
    let root = span("1111111111111111", None, "gen", 0, vec![text("langfuse.observation.input", "\"q\""), text("langfuse.observation.output", "")]);
    let batch = ingest_protobuf(&export(vec![], vec![scope("langfuse-sdk", "5.0.4", vec![], vec![root])]));
    assert_eq!(batch.observations[0].input, Some(json!("q")));
    assert_eq!(batch.observations[0].output, None, "Langfuse reads an empty output back as null");
    let only_empty = span("1111111111111111", None, "gen", 0, vec![text("langfuse.observation.output", "")]);
    let batch = ingest_protobuf(&export(vec![], vec![scope("langfuse-sdk", "5.0.4", vec![], vec![only_empty])]));
    assert_eq!((batch.observations[0].input.clone(), batch.observations[0].output.clone()), (None, None));
}
