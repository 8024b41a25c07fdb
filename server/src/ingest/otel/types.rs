//! Observation type inference (§4.4, Langfuse's `ObservationTypeMapperRegistry`). Each
//! instrumentation says "this is an LLM call" differently; the rules are tried in priority order
//! and the first that yields a type wins. A rule whose attribute is present with an unknown value
//! yields nothing and the next rule is tried. Anything unrecognised is a SPAN.

use loupe_app::domain::ObservationType;
use serde_json::Value;

use super::attributes::Attributes;

/// What type inference looks at besides the span's attributes.
pub struct SpanOrigin<'a> {
    pub resource: &'a Attributes,
    pub scope_name: &'a str,
    pub scope_version: &'a str,
    pub span_name: &'a str,
}

const VERCEL_GENERATION_OPERATIONS: [&str; 4] =
    ["ai.generateText.doGenerate", "ai.streamText.doStream", "ai.generateObject.doGenerate", "ai.streamObject.doStream"];
const VERCEL_EMBEDDING_OPERATIONS: [&str; 2] = ["ai.embedMany.doEmbed", "ai.embed.doEmbed"];

pub fn infer(attrs: &Attributes, origin: &SpanOrigin) -> ObservationType {
    let rules: [&dyn Fn() -> Option<ObservationType>; 11] = [
        &|| old_python_sdk_generation(attrs, origin),
        &|| langfuse_type(attrs),
        &|| openinference_kind(attrs),
        &|| gen_ai_operation(attrs),
        &|| genkit_subtype(attrs),
        &|| vercel_generation_like(attrs),
        &|| vercel_span_like(attrs),
        &|| gen_ai_tool(attrs),
        &|| flue(attrs),
        &|| livekit(origin),
        &|| model_fallback(attrs),
    ];
    // A rule that read a value and then found no type in it used nothing.
    rules.iter().find_map(|rule| attrs.attempt(rule)).unwrap_or(ObservationType::Span)
}

/// The string value of a meaningful attribute.
fn text<'a>(attrs: &'a Attributes, key: &str) -> Option<&'a str> {
    attrs.meaningful(key).and_then(Value::as_str)
}

/// Rule 0: the Python SDK ≤ 3.3 marked generations as `span` when they were created as spans and
/// later given generation fields.
fn old_python_sdk_generation(attrs: &Attributes, origin: &SpanOrigin) -> Option<ObservationType> {
    let applies = attrs.str("langfuse.observation.type") == Some("span")
        && origin.scope_name == "langfuse-sdk"
        && origin.resource.str("telemetry.sdk.language") == Some("python");
    if !applies {
        return None;
    }
    if !origin.scope_version.is_empty() {
        let mut parts = origin.scope_version.split('.').map(|p| p.parse::<u32>().ok());
        let (major, minor) = (parts.next().flatten(), parts.next().flatten());
        if let (Some(major), Some(minor)) = (major, minor) {
            if major > 3 || (major == 3 && minor > 3) {
                return None;
            }
        }
    }
    const GENERATION_KEYS: [&str; 7] = [
        "langfuse.observation.model.name",
        "langfuse.observation.cost_details",
        "langfuse.observation.usage_details",
        "langfuse.observation.completion_start_time",
        "langfuse.observation.model.parameters",
        "langfuse.observation.prompt.name",
        "langfuse.observation.prompt.version",
    ];
    GENERATION_KEYS.iter().any(|k| attrs.contains(k)).then_some(ObservationType::Generation)
}

/// Rule 1: the Langfuse SDKs' own `langfuse.observation.type` (lowercase; matched
/// case-insensitively).
fn langfuse_type(attrs: &Attributes) -> Option<ObservationType> {
    let value = text(attrs, "langfuse.observation.type")?;
    ObservationType::ALL.iter().copied().find(|t| t.as_str().eq_ignore_ascii_case(value))
}

/// Rule 2: OpenInference `openinference.span.kind`.
fn openinference_kind(attrs: &Attributes) -> Option<ObservationType> {
    Some(match text(attrs, "openinference.span.kind")?.to_ascii_uppercase().as_str() {
        "CHAIN" => ObservationType::Chain,
        "RETRIEVER" => ObservationType::Retriever,
        "LLM" => ObservationType::Generation,
        "EMBEDDING" => ObservationType::Embedding,
        "AGENT" => ObservationType::Agent,
        "TOOL" => ObservationType::Tool,
        "GUARDRAIL" => ObservationType::Guardrail,
        "EVALUATOR" => ObservationType::Evaluator,
        _ => return None,
    })
}

/// Rule 3: OpenTelemetry GenAI semantic conventions, `gen_ai.operation.name`.
fn gen_ai_operation(attrs: &Attributes) -> Option<ObservationType> {
    Some(match text(attrs, "gen_ai.operation.name")? {
        "chat" | "completion" | "text_completion" | "generate_content" | "generate" => ObservationType::Generation,
        "embeddings" => ObservationType::Embedding,
        "invoke_agent" | "create_agent" => ObservationType::Agent,
        "execute_tool" => ObservationType::Tool,
        _ => return None,
    })
}

/// Rule 4: Firebase Genkit, `genkit:metadata:subtype`.
fn genkit_subtype(attrs: &Attributes) -> Option<ObservationType> {
    Some(match text(attrs, "genkit:metadata:subtype")? {
        "model" | "background-model" => ObservationType::Generation,
        "embedder" => ObservationType::Embedding,
        "tool" | "tool.v2" => ObservationType::Tool,
        "retriever" => ObservationType::Retriever,
        "evaluator" => ObservationType::Evaluator,
        _ => return None,
    })
}

/// Vercel AI SDK operations: `operation.name` starts with one of `operations` (the SDK appends the
/// function id), or `ai.operationId` is one of them.
fn vercel_operation_is(attrs: &Attributes, operations: &[&str]) -> bool {
    text(attrs, "operation.name").is_some_and(|name| operations.iter().any(|op| name.starts_with(op)))
        || text(attrs, "ai.operationId").is_some_and(|id| operations.contains(&id))
}

/// Rule 5: Vercel AI SDK model calls, when they carry model information.
fn vercel_generation_like(attrs: &Attributes) -> Option<ObservationType> {
    const MODEL_KEYS: [&str; 4] = ["langfuse.observation.model.name", "ai.model.id", "gen_ai.request.model", "gen_ai.response.model"];
    if !MODEL_KEYS.iter().any(|k| attrs.meaningful(k).is_some()) {
        return None;
    }
    if vercel_operation_is(attrs, &VERCEL_GENERATION_OPERATIONS) {
        Some(ObservationType::Generation)
    } else if vercel_operation_is(attrs, &VERCEL_EMBEDDING_OPERATIONS) {
        Some(ObservationType::Embedding)
    } else {
        None
    }
}

/// Rule 6: other Vercel AI SDK operations; only tool calls have a type of their own.
fn vercel_span_like(attrs: &Attributes) -> Option<ObservationType> {
    let is_ai_operation = text(attrs, "operation.name").is_some_and(|n| n.starts_with("ai."))
        || text(attrs, "ai.operationId").is_some_and(|n| n.starts_with("ai."));
    (is_ai_operation && vercel_operation_is(attrs, &["ai.toolCall"])).then_some(ObservationType::Tool)
}

/// Rule 7: GenAI tool call attributes (Pydantic AI and others that set no operation name).
fn gen_ai_tool(attrs: &Attributes) -> Option<ObservationType> {
    (attrs.meaningful("gen_ai.tool.name").is_some() || attrs.meaningful("gen_ai.tool.call.id").is_some())
        .then_some(ObservationType::Tool)
}

/// Rule 8: Flue tool and delegated-task spans.
fn flue(attrs: &Attributes) -> Option<ObservationType> {
    if attrs.meaningful("flue.tool.name").is_some() || attrs.meaningful("flue.tool.call_id").is_some() {
        Some(ObservationType::Tool)
    } else if attrs.meaningful("flue.task.id").is_some() || attrs.meaningful("flue.task.agent").is_some() {
        Some(ObservationType::Agent)
    } else {
        None
    }
}

/// Rule 9: LiveKit Agents, by span name.
fn livekit(origin: &SpanOrigin) -> Option<ObservationType> {
    if origin.scope_name != "livekit-agents" {
        return None;
    }
    match origin.span_name {
        "agent_turn" | "start_agent_activity" => Some(ObservationType::Agent),
        "function_tool" => Some(ObservationType::Tool),
        _ => None,
    }
}

/// Rule 10: anything naming a model is a generation.
fn model_fallback(attrs: &Attributes) -> Option<ObservationType> {
    const MODEL_KEYS: [&str; 5] = ["langfuse.observation.model.name", "gen_ai.request.model", "gen_ai.response.model", "llm.model_name", "model"];
    MODEL_KEYS.iter().any(|k| attrs.meaningful(k).is_some()).then_some(ObservationType::Generation)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn infer_with(attrs: Attributes, scope_name: &str, span_name: &str) -> ObservationType {
        let resource = Attributes::default();
        infer(&attrs, &SpanOrigin { resource: &resource, scope_name, scope_version: "", span_name })
    }

    fn infer_attrs(attrs: Attributes) -> ObservationType {
        infer_with(attrs, "", "span")
    }

    #[test]
    fn nothing_recognised_is_a_span() {
        assert_eq!(infer_attrs(Attributes::default()), ObservationType::Span);
        assert_eq!(infer_attrs(Attributes::from_pairs([("http.method", json!("GET"))])), ObservationType::Span);
    }

    #[test]
    fn langfuse_type_maps_every_type() {
        for (value, expected) in [
            ("span", ObservationType::Span),
            ("generation", ObservationType::Generation),
            ("event", ObservationType::Event),
            ("embedding", ObservationType::Embedding),
            ("agent", ObservationType::Agent),
            ("tool", ObservationType::Tool),
            ("chain", ObservationType::Chain),
            ("retriever", ObservationType::Retriever),
            ("guardrail", ObservationType::Guardrail),
            ("evaluator", ObservationType::Evaluator),
        ] {
            assert_eq!(infer_attrs(Attributes::from_pairs([("langfuse.observation.type", json!(value))])), expected, "{value}");
        }
    }

    #[test]
    fn langfuse_type_wins_over_everything_else() {
        let attrs = Attributes::from_pairs([
            ("langfuse.observation.type", json!("tool")),
            ("openinference.span.kind", json!("LLM")),
            ("gen_ai.operation.name", json!("chat")),
            ("gen_ai.request.model", json!("gpt-4o")),
        ]);
        assert_eq!(infer_attrs(attrs), ObservationType::Tool);
    }

    #[test]
    fn unknown_langfuse_type_falls_through() {
        let attrs = Attributes::from_pairs([("langfuse.observation.type", json!("banana")), ("openinference.span.kind", json!("AGENT"))]);
        assert_eq!(infer_attrs(attrs), ObservationType::Agent);
    }

    #[test]
    fn openinference_kind_beats_gen_ai_operation() {
        let attrs = Attributes::from_pairs([("openinference.span.kind", json!("LLM")), ("gen_ai.operation.name", json!("execute_tool"))]);
        assert_eq!(infer_attrs(attrs), ObservationType::Generation);
        let attrs = Attributes::from_pairs([("openinference.span.kind", json!("RETRIEVER"))]);
        assert_eq!(infer_attrs(attrs), ObservationType::Retriever);
    }

    #[test]
    fn gen_ai_operations() {
        for (op, expected) in [
            ("chat", ObservationType::Generation),
            ("text_completion", ObservationType::Generation),
            ("generate_content", ObservationType::Generation),
            ("embeddings", ObservationType::Embedding),
            ("invoke_agent", ObservationType::Agent),
            ("create_agent", ObservationType::Agent),
            ("execute_tool", ObservationType::Tool),
        ] {
            assert_eq!(infer_attrs(Attributes::from_pairs([("gen_ai.operation.name", json!(op))])), expected, "{op}");
        }
        // Unknown operations fall through to the model fallback.
        let attrs = Attributes::from_pairs([("gen_ai.operation.name", json!("rerank")), ("gen_ai.request.model", json!("m"))]);
        assert_eq!(infer_attrs(attrs), ObservationType::Generation);
    }

    #[test]
    fn genkit_subtypes() {
        assert_eq!(infer_attrs(Attributes::from_pairs([("genkit:metadata:subtype", json!("model"))])), ObservationType::Generation);
        assert_eq!(infer_attrs(Attributes::from_pairs([("genkit:metadata:subtype", json!("tool.v2"))])), ObservationType::Tool);
        assert_eq!(infer_attrs(Attributes::from_pairs([("genkit:metadata:subtype", json!("embedder"))])), ObservationType::Embedding);
    }

    #[test]
    fn vercel_model_calls_need_model_information() {
        let attrs = Attributes::from_pairs([("ai.operationId", json!("ai.generateText.doGenerate")), ("ai.model.id", json!("gpt-4o"))]);
        assert_eq!(infer_attrs(attrs), ObservationType::Generation);
        let attrs = Attributes::from_pairs([("operation.name", json!("ai.embed.doEmbed my-fn")), ("ai.model.id", json!("emb"))]);
        assert_eq!(infer_attrs(attrs), ObservationType::Embedding);
        // Without a model, the outer ai.generateText span is a plain span.
        let attrs = Attributes::from_pairs([("ai.operationId", json!("ai.generateText"))]);
        assert_eq!(infer_attrs(attrs), ObservationType::Span);
    }

    #[test]
    fn vercel_tool_calls() {
        let attrs = Attributes::from_pairs([("operation.name", json!("ai.toolCall weather")), ("ai.toolCall.name", json!("weather"))]);
        assert_eq!(infer_attrs(attrs), ObservationType::Tool);
    }

    #[test]
    fn gen_ai_tool_attributes() {
        assert_eq!(infer_attrs(Attributes::from_pairs([("gen_ai.tool.name", json!("search"))])), ObservationType::Tool);
        assert_eq!(infer_attrs(Attributes::from_pairs([("gen_ai.tool.call.id", json!("c1"))])), ObservationType::Tool);
        assert_eq!(infer_attrs(Attributes::from_pairs([("gen_ai.tool.name", json!(""))])), ObservationType::Span);
    }

    #[test]
    fn flue_spans() {
        assert_eq!(infer_attrs(Attributes::from_pairs([("flue.tool.name", json!("bash"))])), ObservationType::Tool);
        assert_eq!(infer_attrs(Attributes::from_pairs([("flue.task.id", json!("t"))])), ObservationType::Agent);
    }

    #[test]
    fn livekit_span_names() {
        assert_eq!(infer_with(Attributes::default(), "livekit-agents", "agent_turn"), ObservationType::Agent);
        assert_eq!(infer_with(Attributes::default(), "livekit-agents", "function_tool"), ObservationType::Tool);
        assert_eq!(infer_with(Attributes::default(), "other", "function_tool"), ObservationType::Span);
    }

    #[test]
    fn any_model_attribute_makes_a_generation() {
        for key in ["langfuse.observation.model.name", "gen_ai.request.model", "gen_ai.response.model", "llm.model_name", "model"] {
            assert_eq!(infer_attrs(Attributes::from_pairs([(key, json!("m"))])), ObservationType::Generation, "{key}");
        }
    }

    #[test]
    fn old_python_sdk_spans_with_generation_fields_are_generations() {
        let resource = Attributes::from_pairs([("telemetry.sdk.language", json!("python"))]);
        let attrs =
            Attributes::from_pairs([("langfuse.observation.type", json!("span")), ("langfuse.observation.usage_details", json!("{}"))]);
        let origin = |version| SpanOrigin { resource: &resource, scope_name: "langfuse-sdk", scope_version: version, span_name: "s" };
        assert_eq!(infer(&attrs, &origin("3.3.0")), ObservationType::Generation);
        assert_eq!(infer(&attrs, &origin("")), ObservationType::Generation);
        assert_eq!(infer(&attrs, &origin("3.4.0")), ObservationType::Span);
        assert_eq!(infer(&attrs, &origin("5.0.4")), ObservationType::Span);
    }
}
