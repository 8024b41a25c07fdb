//! Structure-aware OTLP: an `ExportTraceServiceRequest` built from the fuzzer's bytes with the
//! `opentelemetry-proto` types (ids of every length, attribute keys the mapping reads, nested
//! values, extreme times), then encoded as protobuf or as OTLP/JSON in the spellings real
//! exporters use. Encoded requests always parse, so the fuzzer spends its time in validation
//! and mapping.

use base64::Engine;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use serde_json::{json, Map, Value};

use super::gen::{Gen, CONTENT_WORDS, PROMPT_WORDS, STRINGS};

/// Attribute values the rules parse: JSON documents, message lists, model names, numbers as text.
const ATTRIBUTE_WORDS: &[&str] = &[
    "GENERATION", "SPAN", "EVENT", "AGENT", "TOOL", "CHAIN", "RETRIEVER", "EMBEDDING", "LLM", "generation", "gpt-4o",
    "claude-3-5-sonnet-20241022", "chat", "text_completion", "ERROR", "WARNING", "DEBUG", "production", "true",
    "[\"a\",\"b\"]", "{\"k\":\"v\"}", "[{\"role\":\"user\",\"content\":\"hi\"}]", "{\"input\":3,\"output\":4}",
    "{\"temperature\":0.7,\"max_tokens\":\"100\"}", "12", "-3", "1.5e3", "2026-01-31T12:00:00Z",
    "[{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]",
    "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"}]}", "{\"name\":\"p\",\"version\":2}", "{{{", "]",
];

fn any(g: &mut Gen<'_>, depth: usize) -> AnyValue {
    use any_value::Value as V;
    let value = match g.below(if depth == 0 { 6 } else { 8 }) {
        0 => None,
        1 | 2 => Some(V::StringValue(g.text(ATTRIBUTE_WORDS))),
        3 => Some(V::IntValue(match g.below(4) {
            0 => i64::MAX,
            1 => i64::MIN,
            2 => g.u64() as i64,
            _ => g.below(1000) as i64,
        })),
        4 => Some(V::DoubleValue(match g.below(6) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => -0.0,
            3 => 1e308,
            4 => f64::from_bits(g.u64()),
            _ => g.below(1000) as f64 / 3.0,
        })),
        5 => Some(if g.chance(128) { V::BoolValue(g.chance(128)) } else { V::BytesValue(g.raw_text(16).into_bytes()) }),
        6 => Some(V::ArrayValue(ArrayValue { values: (0..g.below(4)).map(|_| any(g, depth - 1)).collect() })),
        _ => Some(V::KvlistValue(KeyValueList { values: attributes(g, depth - 1, 4) })),
    };
    AnyValue { value }
}

fn attributes(g: &mut Gen<'_>, depth: usize, max: usize) -> Vec<KeyValue> {
    (0..g.below(max + 1))
        .map(|_| KeyValue {
            key: if g.chance(230) { g.pick(ATTRIBUTE_KEYS).to_string() } else { g.text(CONTENT_WORDS) },
            value: if g.chance(250) { Some(any(g, depth)) } else { None },
            ..Default::default()
        })
        .collect()
}

/// An id: usually the right length (so validation passes), from a few shared values (so spans
/// link as parent and child), sometimes any length.
fn id(g: &mut Gen<'_>, len: usize) -> Vec<u8> {
    match g.below(8) {
        0..=4 => vec![g.below(3) as u8 + 1; len],
        5 => vec![0; len],
        6 => Vec::new(),
        _ => (0..g.below(20)).map(|_| g.byte()).collect(),
    }
}

fn time(g: &mut Gen<'_>) -> u64 {
    match g.below(6) {
        0 => 0,
        1 => u64::MAX,
        2 => i64::MAX as u64 + 1,
        3 => g.u64(),
        _ => 1_795_714_740_732_000_000 + g.below(10_000) as u64 * 1_000_000,
    }
}

pub fn request(g: &mut Gen<'_>) -> ExportTraceServiceRequest {
    let resource_spans = (0..g.below(3) + 1)
        .map(|_| ResourceSpans {
            resource: g.chance(200).then(|| Resource { attributes: attributes(g, 2, 4), ..Default::default() }),
            scope_spans: (0..g.below(3) + 1)
                .map(|_| ScopeSpans {
                    scope: g.chance(128).then(|| InstrumentationScope {
                        name: g.text(&["langfuse-sdk", "openinference.instrumentation.openai", "ai", "opentelemetry.instrumentation.openai"]),
                        version: g.text(STRINGS),
                        attributes: attributes(g, 1, 2),
                        ..Default::default()
                    }),
                    spans: (0..g.below(4)).map(|_| span(g)).collect(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

fn span(g: &mut Gen<'_>) -> Span {
    Span {
        trace_id: id(g, 16),
        span_id: id(g, 8),
        parent_span_id: if g.chance(128) { Vec::new() } else { id(g, 8) },
        name: g.text(&["openai.chat", "ai.generateText", "ai.generateText.doGenerate", "ChatOpenAI", "tool", "root"]),
        kind: g.below(7) as i32 - 1,
        start_time_unix_nano: time(g),
        end_time_unix_nano: time(g),
        attributes: attributes(g, 3, 8),
        events: (0..g.below(3))
            .map(|_| span::Event {
                time_unix_nano: time(g),
                name: g.text(&["exception", "gen_ai.content.prompt", "gen_ai.user.message", "gen_ai.choice"]),
                attributes: attributes(g, 2, 3),
                ..Default::default()
            })
            .collect(),
        status: g.chance(128).then(|| Status { message: g.text(PROMPT_WORDS), code: g.below(4) as i32 }),
        ..Default::default()
    }
}

/// The request as OTLP/JSON, each field in one of the spellings the decoder accepts (hex, base64
/// or byte-array ids; 64-bit integers as strings or numbers; enums as numbers or names;
/// camelCase or snake_case keys). Non-finite doubles have no JSON form and become strings.
pub fn to_json(g: &mut Gen<'_>, request: &ExportTraceServiceRequest) -> Value {
    let snake = g.chance(40);
    let k = |camel: &'static str, snake_case: &'static str| if snake { snake_case } else { camel };
    let resource_spans: Vec<Value> = request
        .resource_spans
        .iter()
        .map(|rs| {
            let scope_spans: Vec<Value> = rs
                .scope_spans
                .iter()
                .map(|ss| {
                    let spans: Vec<Value> = ss.spans.iter().map(|s| span_json(g, s, snake)).collect();
                    let mut o = Map::new();
                    if let Some(scope) = &ss.scope {
                        o.insert("scope".into(), json!({"name": scope.name, "version": scope.version, "attributes": kvs_json(g, &scope.attributes)}));
                    }
                    o.insert("spans".into(), Value::Array(spans));
                    Value::Object(o)
                })
                .collect();
            let mut o = Map::new();
            if let Some(resource) = &rs.resource {
                o.insert("resource".into(), json!({"attributes": kvs_json(g, &resource.attributes)}));
            }
            o.insert(k("scopeSpans", "scope_spans").into(), Value::Array(scope_spans));
            Value::Object(o)
        })
        .collect();
    json!({ k("resourceSpans", "resource_spans"): resource_spans })
}

fn id_json(g: &mut Gen<'_>, id: &[u8]) -> Value {
    match g.below(4) {
        0 => Value::String(base64::engine::general_purpose::STANDARD.encode(id)),
        1 => Value::Array(id.iter().map(|b| Value::from(*b)).collect()),
        _ => Value::String(id.iter().map(|b| format!("{b:02x}")).collect()),
    }
}

fn u64_json(g: &mut Gen<'_>, n: u64) -> Value {
    if g.chance(128) {
        Value::String(n.to_string())
    } else {
        Value::from(n)
    }
}

fn span_json(g: &mut Gen<'_>, s: &Span, snake: bool) -> Value {
    let k = |camel: &'static str, snake_case: &'static str| if snake { snake_case } else { camel };
    let mut o = Map::new();
    o.insert(k("traceId", "trace_id").into(), id_json(g, &s.trace_id));
    o.insert(k("spanId", "span_id").into(), id_json(g, &s.span_id));
    if !s.parent_span_id.is_empty() {
        o.insert(k("parentSpanId", "parent_span_id").into(), id_json(g, &s.parent_span_id));
    }
    o.insert("name".into(), Value::String(s.name.clone()));
    let kind_names = ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"];
    let kind = match usize::try_from(s.kind).ok().and_then(|i| kind_names.get(i)) {
        Some(name) if g.chance(128) => Value::String(name.to_string()),
        _ => Value::from(s.kind),
    };
    o.insert("kind".into(), kind);
    o.insert(k("startTimeUnixNano", "start_time_unix_nano").into(), u64_json(g, s.start_time_unix_nano));
    o.insert(k("endTimeUnixNano", "end_time_unix_nano").into(), u64_json(g, s.end_time_unix_nano));
    o.insert("attributes".into(), kvs_json(g, &s.attributes));
    let events: Vec<Value> = s
        .events
        .iter()
        .map(|e| json!({ k("timeUnixNano", "time_unix_nano"): u64_json(g, e.time_unix_nano), "name": e.name, "attributes": kvs_json(g, &e.attributes) }))
        .collect();
    o.insert("events".into(), Value::Array(events));
    if let Some(status) = &s.status {
        let codes = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];
        let code = match usize::try_from(status.code).ok().and_then(|i| codes.get(i)) {
            Some(name) if g.chance(128) => Value::String(name.to_string()),
            _ => Value::from(status.code),
        };
        o.insert("status".into(), json!({"message": status.message, "code": code}));
    }
    Value::Object(o)
}

fn kvs_json(g: &mut Gen<'_>, kvs: &[KeyValue]) -> Value {
    Value::Array(
        kvs.iter()
            .map(|kv| match &kv.value {
                Some(v) => json!({"key": kv.key, "value": any_json(g, v)}),
                None => json!({"key": kv.key}),
            })
            .collect(),
    )
}

fn any_json(g: &mut Gen<'_>, v: &AnyValue) -> Value {
    use any_value::Value as V;
    match &v.value {
        None => json!({}),
        Some(V::StringValue(s)) => json!({"stringValue": s}),
        // Not produced by `request` (a profiles-signal index, unused by traces).
        Some(V::StringValueStrindex(i)) => json!({"stringValueStrindex": i}),
        Some(V::BoolValue(b)) => json!({"boolValue": b}),
        Some(V::IntValue(i)) => {
            if g.chance(128) {
                json!({"intValue": i.to_string()})
            } else {
                json!({"intValue": i})
            }
        }
        Some(V::DoubleValue(d)) => match serde_json::Number::from_f64(*d) {
            Some(n) => json!({"doubleValue": n}),
            None => json!({"doubleValue": d.to_string()}),
        },
        Some(V::BytesValue(b)) => json!({"bytesValue": base64::engine::general_purpose::STANDARD.encode(b)}),
        Some(V::ArrayValue(a)) => json!({"arrayValue": {"values": a.values.iter().map(|v| any_json(g, v)).collect::<Vec<_>>()}}),
        Some(V::KvlistValue(l)) => json!({"kvlistValue": {"values": kvs_json(g, &l.values)}}),
    }
}

/// Attribute keys the mapping reads (from `server/src/ingest/otel/`), so generated spans hit its rules.
pub const ATTRIBUTE_KEYS: &[&str] = &[
    "ai.embed.doEmbed", "ai.embedMany.doEmbed", "ai.generateObject.doGenerate", "ai.generateText",
    "ai.generateText.doGenerate", "ai.model.id", "ai.model.provider", "ai.operationId", "ai.prompt",
    "ai.prompt.messages", "ai.prompt.toolChoice", "ai.response.msToFirstChunk", "ai.response.object",
    "ai.response.providerMetadata", "ai.response.text", "ai.response.toolCalls", "ai.result.object",
    "ai.result.text", "ai.result.toolCalls", "ai.settings.maxRetries", "ai.settings.maxSteps",
    "ai.settings.mode", "ai.stream.msToFirstChunk", "ai.streamObject.doStream", "ai.streamText.doStream",
    "ai.telemetry.functionId", "ai.telemetry.metadata", "ai.telemetry.metadata.feature", "ai.telemetry.metadata.k",
    "ai.telemetry.metadata.langfusePrompt", "ai.telemetry.metadata.sessionId", "ai.telemetry.metadata.tags",
    "ai.telemetry.metadata.userId", "ai.toolCall", "ai.toolCall.args", "ai.toolCall.name",
    "ai.toolCall.result", "ai.usage.cachedInputTokens", "ai.usage.completionTokens", "ai.usage.inputTokens",
    "ai.usage.outputTokens", "ai.usage.promptTokens", "ai.usage.reasoningTokens", "ai.usage.tokens",
    "ai.usage.totalTokens", "cache_read.input_tokens", "deployment.environment", "deployment.environment.name",
    "details.cache_read_input_tokens", "details.cache_read_tokens", "event.name", "flue.operation.result",
    "flue.task.agent", "flue.task.id", "flue.task.prompt", "flue.task.result", "flue.tool.arguments",
    "flue.tool.call_id", "flue.tool.name", "flue.tool.result", "flue.turn.input", "flue.turn.output",
    "flue.workflow.payload", "flue.workflow.result", "gcp.vertex.agent", "gcp.vertex.agent.llm_request",
    "gcp.vertex.agent.llm_response", "gcp.vertex.agent.tool_call_args", "gcp.vertex.agent.tool_response",
    "gen_ai.assistant.message", "gen_ai.choice", "gen_ai.client.inference.operation.details", "gen_ai.completion",
    "gen_ai.completion.0.content", "gen_ai.completion.0.role", "gen_ai.completion.0.tool_calls.0.name",
    "gen_ai.content.completion", "gen_ai.content.prompt", "gen_ai.conversation.id",
    "gen_ai.finishReason", "gen_ai.input.messages", "gen_ai.operation.name", "gen_ai.output.messages",
    "gen_ai.prompt", "gen_ai.prompt.0.content", "gen_ai.prompt.0.role", "gen_ai.prompt.1.content",
    "gen_ai.prompt.1.role", "gen_ai.prompt.2.content", "gen_ai.request.max_tokens", "gen_ai.request.model",
    "gen_ai.request.service_tier", "gen_ai.request.temperature", "gen_ai.response.finish_reasons",
    "gen_ai.response.model", "gen_ai.system", "gen_ai.system.message", "gen_ai.system_instructions",
    "gen_ai.tool", "gen_ai.tool.call.arguments", "gen_ai.tool.call.id", "gen_ai.tool.call.result",
    "gen_ai.tool.message", "gen_ai.tool.name", "gen_ai.usage.completion_tokens", "gen_ai.usage.cost",
    "gen_ai.usage.details.cache_read_tokens", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
    "gen_ai.usage.prompt_tokens", "gen_ai.usagex", "gen_ai.user.message", "http.method", "http.url", "input.value",
    "langfuse.environment", "langfuse.internal.as_root", "langfuse.internal.is_app_root", "langfuse.metadata",
    "langfuse.metadata.k", "langfuse.observation.completion_start_time", "langfuse.observation.cost_details",
    "langfuse.observation.input", "langfuse.observation.level", "langfuse.observation.metadata",
    "langfuse.observation.metadata.a", "langfuse.observation.metadata.gen_meta", "langfuse.observation.metadata.k",
    "langfuse.observation.metadata.langfuse_session_id", "langfuse.observation.metadata.langfuse_tags",
    "langfuse.observation.metadata.langfuse_user_id", "langfuse.observation.metadata.nested",
    "langfuse.observation.metadata.only_obs", "langfuse.observation.metadata.outer_meta",
    "langfuse.observation.metadata.x", "langfuse.observation.model.name", "langfuse.observation.model.parameters",
    "langfuse.observation.output", "langfuse.observation.prompt.name", "langfuse.observation.prompt.version",
    "langfuse.observation.status_message", "langfuse.observation.type", "langfuse.observation.usage_details",
    "langfuse.prompt.name", "langfuse.prompt.version", "langfuse.public", "langfuse.release", "langfuse.session.id",
    "langfuse.tags", "langfuse.trace.input", "langfuse.trace.metadata", "langfuse.trace.metadata.k",
    "langfuse.trace.metadata.langfuse_session_id", "langfuse.trace.metadata.langfuse_tags",
    "langfuse.trace.metadata.langfuse_user_id", "langfuse.trace.metadata.tenant", "langfuse.trace.name",
    "langfuse.trace.output", "langfuse.trace.public", "langfuse.trace.tags", "langfuse.user.id", "langfuse.version",
    "lk.chat_ctx", "lk.function_tool.output", "lk.input_text", "lk.response.text", "lk.user_input",
    "lk.user_transcript", "llm.cost.total", "llm.input_messages", "llm.input_messages.0.message.content",
    "llm.input_messages.0.message.role", "llm.invocation_parameters", "llm.invocation_parameters.top_p",
    "llm.model_name", "llm.output_messages", "llm.output_messages.0.message.content",
    "llm.output_messages.0.message.role", "llm.response.model", "llm.token_count.completion",
    "llm.token_count.prompt", "llm.token_count.total", "llm.token_count.weird", "logfire.msg", "mlflow.spanInputs",
    "mlflow.spanOutputs", "openai.chat", "openinference.instrumentation.openai", "openinference.span.kind",
    "operation.name", "output.value", "prompt_details.cache_read", "pydantic_ai.all_messages",
    "reasoning.output_tokens", "service.version", "session.id", "tag.tags", "telemetry.sdk.language", "tool.v2",
    "traceloop.entity.input", "traceloop.entity.output", "user.id",
    "service.name", "langfuse.observation.metadata", "llm.input_messages.1.message.content", "gen_ai.prompt.18446744073709551615.content",
];
