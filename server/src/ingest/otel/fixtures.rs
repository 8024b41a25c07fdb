//! Test builders for OTLP requests, mirroring what the SDKs send (docs/COMPATIBILITY.md §10).

use std::io::Write;

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;

pub const TRACE: &str = "fe8623017c4a4d6ea1c1b1f5b2d3c90c";
/// 2026-11-26T17:39:00.732Z
pub const T0: u64 = 1_795_714_740_732_000_000;

pub fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
}

pub fn text(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}

pub fn int(key: &str, value: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(value))
}

pub fn double(key: &str, value: f64) -> KeyValue {
    kv(key, any_value::Value::DoubleValue(value))
}

pub fn boolean(key: &str, value: bool) -> KeyValue {
    kv(key, any_value::Value::BoolValue(value))
}

pub fn strings(key: &str, values: &[&str]) -> KeyValue {
    let values = values.iter().map(|v| AnyValue { value: Some(any_value::Value::StringValue((*v).into())) }).collect();
    kv(key, any_value::Value::ArrayValue(ArrayValue { values }))
}

pub fn id(hex_id: &str) -> Vec<u8> {
    hex::decode(hex_id).expect("test ids are hex")
}

/// A span of `TRACE` that starts `offset_ms` after `T0` and lasts 5 ms.
pub fn span(span_id: &str, parent: Option<&str>, name: &str, offset_ms: u64, attributes: Vec<KeyValue>) -> Span {
    Span {
        trace_id: id(TRACE),
        span_id: id(span_id),
        parent_span_id: parent.map(id).unwrap_or_default(),
        name: name.into(),
        kind: 1,
        start_time_unix_nano: T0 + offset_ms * 1_000_000,
        end_time_unix_nano: T0 + (offset_ms + 5) * 1_000_000,
        attributes,
        status: Some(Status::default()),
        ..Default::default()
    }
}

pub fn event(name: &str, attributes: Vec<KeyValue>) -> span::Event {
    span::Event { time_unix_nano: T0, name: name.into(), attributes, ..Default::default() }
}

pub fn scope(name: &str, version: &str, attributes: Vec<KeyValue>, spans: Vec<Span>) -> ScopeSpans {
    ScopeSpans {
        scope: Some(InstrumentationScope { name: name.into(), version: version.into(), attributes, ..Default::default() }),
        spans,
        ..Default::default()
    }
}

pub fn export(resource: Vec<KeyValue>, scopes: Vec<ScopeSpans>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: resource, ..Default::default() }),
            scope_spans: scopes,
            ..Default::default()
        }],
    }
}

pub fn python_resource() -> Vec<KeyValue> {
    vec![
        text("telemetry.sdk.language", "python"),
        text("telemetry.sdk.name", "opentelemetry"),
        text("telemetry.sdk.version", "1.45.2"),
        text("service.instance.id", "6f1c2a5e-2b0e-4a43-9b7e-0d6f3b9a1c2d"),
        text("service.name", "unknown_service:python"),
    ]
}

pub fn protobuf(request: &ExportTraceServiceRequest) -> Bytes {
    Bytes::from(request.encode_to_vec())
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}

/// The attributes `propagate_attributes(...)` puts on every span (Python SDK 5, §10.2).
pub fn propagated() -> Vec<KeyValue> {
    vec![
        text("user.id", "user-123"),
        text("session.id", "session-abc"),
        text("langfuse.trace.metadata.tenant", "\"acme\""),
        text("langfuse.version", "v-app-1"),
        strings("langfuse.trace.tags", &["tag-a", "tag-b"]),
        text("langfuse.trace.name", "my-trace-name"),
    ]
}

/// §10.2: `@observe` outer function, an inner tool and a generation, children exported first.
pub fn python5_observe_export() -> ExportTraceServiceRequest {
    let with_propagated = |mut attrs: Vec<KeyValue>| {
        let mut all = propagated();
        all.append(&mut attrs);
        all
    };
    let inner = span(
        "ecf00ac8f9e8f07a",
        Some("20a75874f2487804"),
        "inner_tool",
        10,
        with_propagated(vec![
            text("langfuse.observation.input", "{\"args\": [21], \"kwargs\": {}}"),
            text("langfuse.observation.type", "span"),
            text("langfuse.observation.output", "{\"doubled\": 42}"),
        ]),
    );
    let generation = span(
        "5d7c1b2a3e4f5a6b",
        Some("20a75874f2487804"),
        "manual-llm-call",
        20,
        with_propagated(vec![
            text("langfuse.observation.type", "generation"),
            text("langfuse.observation.model.name", "gpt-4o-mini"),
            text("langfuse.observation.usage_details", "{\"input\": 11, \"output\": 5, \"cache_read_input_tokens\": 3}"),
            text("langfuse.observation.cost_details", "{\"input\": 0.0001, \"output\": 0.0002}"),
            text("langfuse.observation.model.parameters", "{\"temperature\": 0.2, \"max_tokens\": 50}"),
            text("langfuse.observation.metadata.gen_meta", "\"x\""),
            text("langfuse.observation.output", "generated text"),
        ]),
    );
    let outer = span(
        "20a75874f2487804",
        None,
        "outer-function",
        0,
        with_propagated(vec![
            boolean("langfuse.internal.is_app_root", true),
            text("langfuse.observation.level", "WARNING"),
            text("langfuse.observation.status_message", "just a warning"),
            text("langfuse.observation.metadata.outer_meta", "1"),
            text("langfuse.observation.type", "span"),
        ]),
    );
    export(
        python_resource(),
        vec![scope("langfuse-sdk", "5.0.4", vec![text("public_key", "pk-lf-test-public")], vec![inner, generation, outer])],
    )
}

/// §10.6: the JS SDK's OTLP/JSON body.
pub const JS_EXPORT_JSON: &str = r#"{"resourceSpans":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"unknown_service:node"}},
  {"key":"telemetry.sdk.language","value":{"stringValue":"nodejs"}},
  {"key":"telemetry.sdk.name","value":{"stringValue":"opentelemetry"}},
  {"key":"telemetry.sdk.version","value":{"stringValue":"2.12.1"}}],"droppedAttributesCount":0},
 "scopeSpans":[{"scope":{"name":"langfuse-sdk","version":"5.11.1"},"spans":[{"traceId":"526c787fe04cfac04b73dff2f5d124bd",
  "spanId":"bca098040b692884","parentSpanId":"bfb8b2d2d25906e4","name":"js-gen","kind":1,
  "startTimeUnixNano":"1795715850282000000","endTimeUnixNano":"1795715850289984752",
  "attributes":[{"key":"langfuse.environment","value":{"stringValue":"js-env"}},{"key":"user.id","value":{"stringValue":"js-user"}},
   {"key":"langfuse.trace.tags","value":{"arrayValue":{"values":[{"stringValue":"js"}]}}},
   {"key":"langfuse.observation.type","value":{"stringValue":"generation"}},
   {"key":"langfuse.observation.model.name","value":{"stringValue":"gpt-4o"}},
   {"key":"langfuse.observation.input","value":{"stringValue":"{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"}},
   {"key":"langfuse.observation.usage_details","value":{"stringValue":"{\"input\":5,\"output\":3}"}},
   {"key":"langfuse.observation.completion_start_time","value":{"stringValue":"\"2026-11-26T17:57:30.282Z\""}}],
  "droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":0},"links":[],"droppedLinksCount":0,"flags":257}]}]}]}"#;
