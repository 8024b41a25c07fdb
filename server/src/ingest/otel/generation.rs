//! Fields of model calls (§4.3, §4.6): model, model parameters, usage, cost, completion start
//! time and the prompt link. Only generation-like observations keep them (the caller decides).
//!
//! Usage is collected, not normalized: `langfuse.observation.usage_details` goes to
//! `UsageInput::details` as sent, and counts from attributes go to `UsageInput::gen_ai` keyed in
//! the GenAI vocabulary of §4.6 (`input_tokens`, `cache_read_input_tokens`,
//! `reasoning.output_tokens`, ...), which `usage::normalize` turns into usage types. The Vercel AI
//! SDK's own names (`ai.usage.cachedInputTokens`, provider metadata) are translated into that
//! vocabulary here, since only this module knows where they came from.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};

use super::attributes::{as_f64, is_truthy, json_object, json_or_string, parse_json, to_text, unquote, Attributes};
use super::provenance::{field, Entry};
use crate::ingest::model::UsageInput;

// --- model ---

/// The model name, unless the span is a Vercel AI SDK agent span (their usage duplicates the model
/// calls beneath them, so they must not look like generations).
pub fn model(attrs: &Attributes) -> Option<String> {
    const KEYS: [&str; 7] = [
        "langfuse.observation.model.name",
        "gen_ai.response.model",
        "ai.model.id",
        "gen_ai.request.model",
        "llm.response.model",
        "llm.model_name",
        "model",
    ];
    if is_agent_operation(attrs) {
        return None;
    }
    attrs.first_text(&KEYS).or_else(|| {
        (attrs.peek_str("genkit:metadata:subtype") == Some("model")).then(|| attrs.first_text(&["genkit:name"])).flatten()
    })
}

/// `gen_ai.operation.name` of an agent (Vercel AI SDK `invoke_agent` / `agent_step` spans).
pub fn is_agent_operation(attrs: &Attributes) -> bool {
    matches!(attrs.peek_str("gen_ai.operation.name"), Some("invoke_agent" | "agent_step"))
}

// --- model parameters ---

/// Parameters as a JSON object of name → string or number (other values JSON-encoded, as
/// Langfuse's schema wants). `None` when the span has none.
pub fn model_parameters(attrs: &Attributes, scope_name: &str) -> Option<Value> {
    let explicit = attrs.attempt(|| attrs.truthy("langfuse.observation.model.parameters").and_then(json_object)).map(sanitize);
    let parameters = if scope_name == "ai" {
        let mut parameters = vercel_parameters(attrs);
        parameters.extend(explicit.unwrap_or_default());
        parameters
    } else if let Some(explicit) = explicit {
        explicit
    } else if let Some(genkit) = (scope_name == "genkit-tracer").then(|| genkit_config(attrs)).flatten() {
        genkit
    } else if let Some(invocation) = attrs.attempt(|| attrs.truthy("llm.invocation_parameters").and_then(json_object)) {
        sanitize(invocation)
    } else if let Some(config) = attrs.attempt(|| attrs.truthy("model_config").and_then(json_object)) {
        sanitize(config)
    } else {
        let mut parameters = Map::new();
        for prefix in ["gen_ai.request.", "llm.invocation_parameters."] {
            for (key, value) in attrs.with_prefix(prefix) {
                let name = &key[prefix.len()..];
                if name != "model" && !name.is_empty() {
                    parameters.insert(name.to_string(), value.clone());
                    attrs.use_entry(key, Entry::KeySuffix(prefix.len() as u16));
                }
            }
        }
        sanitize(parameters)
    };
    (!parameters.is_empty()).then_some(Value::Object(parameters))
}

fn sanitize(parameters: Map<String, Value>) -> Map<String, Value> {
    parameters
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(_) | Value::Number(_) => (k, v),
            other => (k, Value::String(other.to_string())),
        })
        .collect()
}

fn genkit_config(attrs: &Attributes) -> Option<Map<String, Value>> {
    let from_input = attrs.attempt(|| attrs.get("genkit:input").map(json_or_string).and_then(|v| v.get("config").cloned()));
    let from_output = || {
        attrs.attempt(|| attrs.get("genkit:output").map(json_or_string).and_then(|v| v.get("request").and_then(|r| r.get("config")).cloned()))
    };
    match from_input.or_else(from_output) {
        Some(Value::Object(config)) => Some(sanitize(config)),
        _ => None,
    }
}

/// The Vercel AI SDK spreads its settings over several attributes; all values become strings.
fn vercel_parameters(attrs: &Attributes) -> Map<String, Value> {
    // The first of `keys` present, recorded as the parameter `name`.
    let text = |name: &'static str, keys: &[&str]| {
        keys.iter().find_map(|key| {
            let value = attrs.peek(key)?;
            attrs.use_entry(key, Entry::Named(name));
            Some(Value::String(to_text(value)))
        })
    };
    let service_tier = || {
        let tier = provider_metadata(attrs)
            .and_then(|m| m.get("openai").and_then(|o| o.get("serviceTier")).and_then(Value::as_str).map(|s| Value::String(s.into())));
        match tier {
            Some(tier) => {
                attrs.use_entry(PROVIDER_METADATA, Entry::Named("service_tier"));
                Some(tier)
            }
            None => text("service_tier", &["gen_ai.request.service_tier"]),
        }
    };
    [
        ("maxSteps", text("maxSteps", &["ai.settings.maxSteps"])),
        ("toolChoice", text("toolChoice", &["ai.prompt.toolChoice"])),
        ("maxTokens", text("maxTokens", &["gen_ai.request.max_tokens"])),
        ("finishReason", text("finishReason", &["gen_ai.response.finish_reasons", "gen_ai.finishReason"])),
        ("system", text("system", &["gen_ai.system", "ai.model.provider"])),
        ("maxRetries", text("maxRetries", &["ai.settings.maxRetries"])),
        ("mode", text("mode", &["ai.settings.mode"])),
        ("temperature", text("temperature", &["gen_ai.request.temperature"])),
        ("service_tier", service_tier()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
    .collect()
}

const PROVIDER_METADATA: &str = "ai.response.providerMetadata";

/// The Vercel AI SDK's provider metadata object; not recorded (callers record what they use).
fn provider_metadata(attrs: &Attributes) -> Option<Value> {
    attrs.peek(PROVIDER_METADATA).filter(|v| is_truthy(v)).map(json_or_string).filter(Value::is_object)
}

// --- usage ---

/// What was said about usage, in the first form found: the Langfuse SDKs' usage object, Genkit's,
/// the Vercel AI SDK's counts, or GenAI / OpenInference counts.
pub fn usage(attrs: &Attributes, scope_name: &str) -> UsageInput {
    let mark = attrs.recorder().mark();
    match attrs.truthy("langfuse.observation.usage_details") {
        Some(Value::String(text)) => match parse_json(text) {
            Some(details @ Value::Object(_)) => return UsageInput { details: Some(details), ..Default::default() },
            // Valid JSON but not an object: Langfuse records no usage (and tries nothing else).
            Some(_) => return UsageInput::default(),
            // Unparsable: try the other conventions.
            None => attrs.recorder().forget_since(mark, None),
        },
        Some(details @ Value::Object(_)) => return UsageInput { details: Some(details.clone()), ..Default::default() },
        Some(_) => return UsageInput::default(),
        None => {}
    }
    if scope_name == "genkit-tracer" {
        if let Some(details) = attrs.attempt(|| genkit_usage(attrs)) {
            return UsageInput { details: Some(details), ..Default::default() };
        }
    }
    let gen_ai = if scope_name == "ai" {
        vercel_usage(attrs)
    } else {
        let mut counts = gen_ai_usage(attrs);
        if scope_name == "gcp.vertex.agent" {
            add_vertex_cached_tokens(attrs, &mut counts);
        }
        counts
    };
    UsageInput { gen_ai, ..Default::default() }
}

/// Genkit reports `{inputTokens, outputTokens, thoughtsTokens, totalTokens}` in its output; its
/// output count includes the thoughts. Returned already as usage types.
fn genkit_usage(attrs: &Attributes) -> Option<Value> {
    let output = attrs.get("genkit:output").map(json_or_string)?;
    let usage = output.get("usage")?;
    let count = |key: &str| usage.get(key).and_then(as_f64).filter(|n| *n != 0.0);
    // Integral counts as JSON integers: usage maps keep integers only.
    let number = |n: f64| if n.fract() == 0.0 && n.abs() < 9.0e15 { Value::from(n as i64) } else { Value::from(n) };
    let mut details = Map::new();
    if let Some(input) = count("inputTokens") {
        details.insert("input".into(), number(input));
    }
    let thoughts = count("thoughtsTokens");
    if let Some(output) = count("outputTokens") {
        details.insert("output".into(), number((output - thoughts.unwrap_or(0.0)).max(0.0)));
    }
    if let Some(total) = count("totalTokens") {
        details.insert("total".into(), number(total));
    }
    if let Some(thoughts) = thoughts {
        details.insert("output_reasoning".into(), number(thoughts));
    }
    Some(Value::Object(details))
}

/// `gen_ai.usage.*` (except the cost) and `llm.token_count.*` numbers, prefix stripped.
fn gen_ai_usage(attrs: &Attributes) -> BTreeMap<String, f64> {
    let mut counts = BTreeMap::new();
    for prefix in ["gen_ai.usage.", "llm.token_count."] {
        for (key, value) in attrs.with_prefix(prefix) {
            let name = &key[prefix.len()..];
            if name.is_empty() || key == "gen_ai.usage.cost" {
                continue;
            }
            if let Some(count) = as_f64(value) {
                counts.insert(name.to_string(), count);
                attrs.use_entry(key, Entry::KeySuffix(prefix.len() as u16));
            }
        }
    }
    counts
}

/// Vercel AI SDK counts, translated into the GenAI vocabulary: its input count includes cached
/// tokens and its output count reasoning tokens, exactly like `prompt_tokens` /
/// `completion_tokens` with `cache_read_input_tokens` / `reasoning.output_tokens` there.
fn vercel_usage(attrs: &Attributes) -> BTreeMap<String, f64> {
    // Each count with the attribute it came from, recorded when the count is kept.
    let first = |keys: &[&'static str]| keys.iter().find_map(|k| attrs.peek(k).and_then(as_f64).map(|n| (n, *k)));
    let metadata = provider_metadata(attrs);
    let provider = |path: &[&str]| {
        let mut node = metadata.as_ref()?;
        for segment in path {
            node = node.get(segment)?;
        }
        as_f64(node).map(|n| (n, PROVIDER_METADATA))
    };
    let mut counts = BTreeMap::new();
    let mut put = |name: &'static str, value: Option<(f64, &str)>| {
        if let Some((value, source)) = value {
            counts.insert(name.to_string(), value);
            attrs.use_entry(source, Entry::Named(name));
        }
    };
    put(
        "input_tokens",
        first(&["gen_ai.usage.prompt_tokens", "gen_ai.usage.input_tokens", "ai.usage.promptTokens", "ai.usage.inputTokens"]),
    );
    put(
        "output_tokens",
        first(&["gen_ai.usage.completion_tokens", "gen_ai.usage.output_tokens", "ai.usage.completionTokens", "ai.usage.outputTokens"]),
    );
    put("total_tokens", first(&["ai.usage.tokens", "ai.usage.totalTokens"]));
    put(
        "cache_read_input_tokens",
        first(&["ai.usage.cachedInputTokens"])
            .or_else(|| provider(&["openai", "cachedPromptTokens"]))
            .or_else(|| provider(&["anthropic", "usage", "cache_read_input_tokens"]))
            .or_else(|| provider(&["bedrock", "usage", "cacheReadInputTokens"])),
    );
    put(
        "cache_creation_input_tokens",
        provider(&["anthropic", "usage", "cache_creation_input_tokens"])
            .or_else(|| provider(&["bedrock", "usage", "cacheWriteInputTokens"]).filter(|(n, _)| *n > 0.0))
            .or_else(|| provider(&["bedrock", "usage", "cacheCreationInputTokens"])),
    );
    put("reasoning.output_tokens", first(&["ai.usage.reasoningTokens"]).or_else(|| provider(&["openai", "reasoningTokens"])));
    put("accepted_prediction_tokens", provider(&["openai", "acceptedPredictionTokens"]));
    put("rejected_prediction_tokens", provider(&["openai", "rejectedPredictionTokens"]));
    counts
}

/// Google ADK: prompt counts include cached tokens, which only the response blob reports.
fn add_vertex_cached_tokens(attrs: &Attributes, counts: &mut BTreeMap<String, f64>) {
    if crate::ingest::usage::CACHE_READ_KEYS.iter().any(|k| counts.contains_key(*k)) {
        return;
    }
    const RESPONSE: &str = "gcp.vertex.agent.llm_response";
    let cached = attrs
        .peek(RESPONSE)
        .map(json_or_string)
        .and_then(|r| r.get("usage_metadata").and_then(|u| u.get("cached_content_token_count")).and_then(Value::as_f64))
        .filter(|n| *n > 0.0);
    if let Some(cached) = cached {
        counts.insert("cache_read_input_tokens".into(), cached);
        attrs.use_entry(RESPONSE, Entry::Named("cache_read_input_tokens"));
    }
}

// --- cost ---

/// Cost in USD by usage type: `langfuse.observation.cost_details`, else a total from
/// `gen_ai.usage.cost` or OpenInference's `llm.cost.total`.
pub fn cost(attrs: &Attributes) -> Option<Value> {
    let mark = attrs.recorder().mark();
    match attrs.truthy("langfuse.observation.cost_details") {
        Some(Value::String(text)) => match parse_json(text) {
            Some(cost @ Value::Object(_)) => return non_empty(cost),
            Some(_) => return None,
            None => attrs.recorder().forget_since(mark, None),
        },
        Some(cost @ Value::Object(_)) => return non_empty(cost.clone()),
        Some(_) => return None,
        None => {}
    }
    ["gen_ai.usage.cost", "llm.cost.total"]
        .iter()
        .find_map(|k| {
            let total = attrs.peek(k).and_then(as_f64)?;
            attrs.use_entry(k, Entry::Named("total"));
            Some(total)
        })
        .map(|total| serde_json::json!({ "total": total }))
}

fn non_empty(object: Value) -> Option<Value> {
    object.as_object().is_some_and(|o| !o.is_empty()).then_some(object)
}

// --- completion start time ---

/// When the first token arrived: an ISO timestamp (the Python and JS SDKs JSON-quote it), or the
/// Vercel AI SDK's milliseconds to first chunk added to the start time.
pub fn completion_start_time(attrs: &Attributes, start_time: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let explicit = attrs.attempt(|| {
        let text = attrs.str("langfuse.observation.completion_start_time")?;
        parse_datetime(text).or_else(|| parse_datetime(&unquote(text)))
    });
    if explicit.is_some() {
        return explicit;
    }
    let ms = ["ai.response.msToFirstChunk", "ai.stream.msToFirstChunk"].iter().find_map(|k| attrs.truthy(k)).and_then(as_f64)?;
    let ms = ms.ceil();
    if !(0.0..1.0e12).contains(&ms) {
        return None;
    }
    start_time.checked_add_signed(TimeDelta::milliseconds(ms as i64))
}

use crate::ingest::fields::parse_datetime;

// --- prompt link ---

/// `(name, version)` of the Langfuse prompt used, when both are given; records `promptName` and
/// `promptVersion` (the Vercel AI SDK's `langfusePrompt` object feeds both).
pub fn prompt(attrs: &Attributes) -> Option<(String, i32)> {
    const VERCEL: &str = "ai.telemetry.metadata.langfusePrompt";
    let vercel = attrs.peek(VERCEL).filter(|v| is_truthy(v)).map(json_or_string).filter(Value::is_object);
    let from_vercel = |name: &str, field: &'static str| {
        let value = vercel.as_ref()?.get(name)?;
        attrs.use_for(VERCEL, field);
        Some(value)
    };
    attrs.attempt(|| {
        let name = attrs.mapping(field::PROMPT_NAME, || {
            ["langfuse.observation.prompt.name", "langfuse.prompt.name"]
                .iter()
                .find_map(|k| attrs.truthy(k))
                .or_else(|| from_vercel("name", field::PROMPT_NAME).filter(|v| is_truthy(v)))
                .map(|v| match v {
                    Value::String(s) => unquote(s),
                    other => to_text(other),
                })
        })?;
        let version = attrs.mapping(field::PROMPT_VERSION, || {
            ["langfuse.observation.prompt.version", "langfuse.prompt.version"]
                .iter()
                .find_map(|k| attrs.get(k))
                .or_else(|| from_vercel("version", field::PROMPT_VERSION))
                .and_then(as_f64)
                .filter(|v| v.fract() == 0.0 && *v >= 1.0 && *v <= f64::from(i32::MAX))
        })?;
        Some((name, version as i32))
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn gen_ai_map(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn model_from_the_first_key_present() {
        let attrs = Attributes::from_pairs([("gen_ai.request.model", json!("gpt-4o")), ("gen_ai.response.model", json!("gpt-4o-2024-08-06"))]);
        assert_eq!(model(&attrs).as_deref(), Some("gpt-4o-2024-08-06"));
        let attrs = Attributes::from_pairs([("langfuse.observation.model.name", json!("gpt-4o-mini")), ("ai.model.id", json!("x"))]);
        assert_eq!(model(&attrs).as_deref(), Some("gpt-4o-mini"));
        assert_eq!(model(&Attributes::from_pairs([("llm.model_name", json!("claude"))])).as_deref(), Some("claude"));
        assert_eq!(model(&Attributes::default()), None);
    }

    #[test]
    fn genkit_model_name_only_on_model_spans() {
        let attrs = Attributes::from_pairs([("genkit:name", json!("googleai/gemini")), ("genkit:metadata:subtype", json!("model"))]);
        assert_eq!(model(&attrs).as_deref(), Some("googleai/gemini"));
        assert_eq!(model(&Attributes::from_pairs([("genkit:name", json!("flow"))])), None);
    }

    #[test]
    fn agent_operations_have_no_model() {
        let attrs = Attributes::from_pairs([("gen_ai.operation.name", json!("invoke_agent")), ("gen_ai.request.model", json!("gpt-4o"))]);
        assert_eq!(model(&attrs), None);
    }

    #[test]
    fn explicit_model_parameters_are_sanitized() {
        let attrs = Attributes::from_pairs([(
            "langfuse.observation.model.parameters",
            json!("{\"temperature\": 0.2, \"max_tokens\": 50, \"stop\": [\"\\n\"], \"stream\": true, \"tier\": \"Infinity\"}"),
        )]);
        assert_eq!(
            model_parameters(&attrs, "langfuse-sdk"),
            Some(json!({"temperature": 0.2, "max_tokens": 50, "stop": "[\"\\n\"]", "stream": "true", "tier": "Infinity"}))
        );
    }

    #[test]
    fn gen_ai_request_parameters() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.request.model", json!("gpt-4o")),
            ("gen_ai.request.temperature", json!(0.7)),
            ("gen_ai.request.max_tokens", json!(100)),
            ("llm.invocation_parameters.top_p", json!(0.9)),
        ]);
        assert_eq!(model_parameters(&attrs, ""), Some(json!({"temperature": 0.7, "max_tokens": 100, "top_p": 0.9})));
        assert_eq!(model_parameters(&Attributes::default(), ""), None);
    }

    #[test]
    fn openinference_invocation_parameters() {
        let attrs = Attributes::from_pairs([("llm.invocation_parameters", json!("{\"temperature\": 0, \"model\": \"gpt-4\"}"))]);
        assert_eq!(model_parameters(&attrs, ""), Some(json!({"temperature": 0, "model": "gpt-4"})));
    }

    #[test]
    fn vercel_parameters_are_strings() {
        let attrs = Attributes::from_pairs([
            ("ai.settings.maxRetries", json!(2)),
            ("gen_ai.request.temperature", json!(0.5)),
            ("gen_ai.system", json!("openai.chat")),
            ("gen_ai.response.finish_reasons", json!(["stop"])),
        ]);
        assert_eq!(
            model_parameters(&attrs, "ai"),
            Some(json!({"maxRetries": "2", "temperature": "0.5", "system": "openai.chat", "finishReason": "[\"stop\"]"}))
        );
    }

    #[test]
    fn langfuse_usage_details_are_passed_through() {
        let attrs = Attributes::from_pairs([
            ("langfuse.observation.usage_details", json!("{\"input\": 11, \"output\": 5, \"cache_read_input_tokens\": 3}")),
            ("gen_ai.usage.input_tokens", json!(99)),
        ]);
        let usage = usage(&attrs, "langfuse-sdk");
        assert_eq!(usage.details, Some(json!({"input": 11, "output": 5, "cache_read_input_tokens": 3})));
        assert!(usage.gen_ai.is_empty());
        assert_eq!(usage.legacy, None);
    }

    #[test]
    fn unparsable_usage_details_fall_through_and_non_objects_stop() {
        let attrs = Attributes::from_pairs([("langfuse.observation.usage_details", json!("{oops")), ("gen_ai.usage.input_tokens", json!(7))]);
        assert_eq!(usage(&attrs, "").gen_ai, gen_ai_map(&[("input_tokens", 7.0)]));
        let attrs = Attributes::from_pairs([("langfuse.observation.usage_details", json!("[1]")), ("gen_ai.usage.input_tokens", json!(7))]);
        assert!(usage(&attrs, "").is_empty());
    }

    #[test]
    fn gen_ai_and_openinference_counts_are_prefix_stripped() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.usage.input_tokens", json!(10)),
            ("gen_ai.usage.output_tokens", json!("6")),
            ("gen_ai.usage.cost", json!(0.01)),
            ("gen_ai.usage.details.cache_read_tokens", json!(2)),
            ("llm.token_count.prompt", json!(12)),
            ("llm.token_count.completion", json!(7)),
            ("llm.token_count.total", json!(19)),
            ("llm.token_count.weird", json!("n/a")),
        ]);
        assert_eq!(
            usage(&attrs, "openinference.instrumentation.openai").gen_ai,
            gen_ai_map(&[
                ("input_tokens", 10.0),
                ("output_tokens", 6.0),
                ("details.cache_read_tokens", 2.0),
                ("prompt", 12.0),
                ("completion", 7.0),
                ("total", 19.0),
            ])
        );
    }

    #[test]
    fn vercel_usage_is_translated() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.usage.input_tokens", json!(100)),
            ("gen_ai.usage.output_tokens", json!(20)),
            ("ai.usage.promptTokens", json!(100)),
            ("ai.usage.tokens", json!(120)),
            ("ai.usage.cachedInputTokens", json!(30)),
            ("ai.usage.reasoningTokens", json!(5)),
            ("ai.response.providerMetadata", json!("{\"openai\":{\"acceptedPredictionTokens\":1,\"rejectedPredictionTokens\":0,\"cachedPromptTokens\":99}}")),
        ]);
        assert_eq!(
            usage(&attrs, "ai").gen_ai,
            gen_ai_map(&[
                ("input_tokens", 100.0),
                ("output_tokens", 20.0),
                ("total_tokens", 120.0),
                ("cache_read_input_tokens", 30.0),
                ("reasoning.output_tokens", 5.0),
                ("accepted_prediction_tokens", 1.0),
                ("rejected_prediction_tokens", 0.0),
            ])
        );
    }

    #[test]
    fn vercel_anthropic_cache_counts() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.usage.input_tokens", json!(7)),
            ("ai.response.providerMetadata", json!("{\"anthropic\":{\"usage\":{\"cache_creation_input_tokens\":2089,\"cache_read_input_tokens\":16399}}}")),
        ]);
        assert_eq!(
            usage(&attrs, "ai").gen_ai,
            gen_ai_map(&[("input_tokens", 7.0), ("cache_read_input_tokens", 16399.0), ("cache_creation_input_tokens", 2089.0)])
        );
    }

    #[test]
    fn genkit_usage_subtracts_thoughts() {
        let attrs = Attributes::from_pairs([("genkit:output", json!("{\"usage\":{\"inputTokens\":10,\"outputTokens\":8,\"thoughtsTokens\":3,\"totalTokens\":18}}"))]);
        assert_eq!(usage(&attrs, "genkit-tracer").details, Some(json!({"input": 10, "output": 5, "total": 18, "output_reasoning": 3})));
    }

    #[test]
    fn vertex_cached_tokens_from_the_response() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.usage.input_tokens", json!(50)),
            ("gcp.vertex.agent.llm_response", json!("{\"usage_metadata\":{\"cached_content_token_count\":20}}")),
        ]);
        assert_eq!(usage(&attrs, "gcp.vertex.agent").gen_ai, gen_ai_map(&[("input_tokens", 50.0), ("cache_read_input_tokens", 20.0)]));
    }

    #[test]
    fn a_cache_read_count_under_any_of_its_names_is_not_added_twice() {
        // One list of names for the usage normalizer and this check (they had drifted:
        // `cachedInputTokens` was counted by one and not seen by the other).
        let attrs = Attributes::from_pairs([("gcp.vertex.agent.llm_response", json!("{\"usage_metadata\":{\"cached_content_token_count\":20}}"))]);
        for key in crate::ingest::usage::CACHE_READ_KEYS {
            let mut counts = gen_ai_map(&[("input_tokens", 50.0), (key, 7.0)]);
            add_vertex_cached_tokens(&attrs, &mut counts);
            assert_eq!(counts, gen_ai_map(&[("input_tokens", 50.0), (key, 7.0)]), "{key}");
        }
    }

    #[test]
    fn cost_sources() {
        let attrs = Attributes::from_pairs([("langfuse.observation.cost_details", json!("{\"input\": 0.0001, \"output\": 0.0002}")), ("gen_ai.usage.cost", json!(5))]);
        assert_eq!(cost(&attrs), Some(json!({"input": 0.0001, "output": 0.0002})));
        assert_eq!(cost(&Attributes::from_pairs([("gen_ai.usage.cost", json!(0.5))])), Some(json!({"total": 0.5})));
        assert_eq!(cost(&Attributes::from_pairs([("llm.cost.total", json!("0.25"))])), Some(json!({"total": 0.25})));
        assert_eq!(cost(&Attributes::from_pairs([("langfuse.observation.cost_details", json!("{}"))])), None);
        assert_eq!(cost(&Attributes::default()), None);
    }

    #[test]
    fn completion_start_time_plain_or_quoted() {
        let start = Utc.with_ymd_and_hms(2026, 11, 26, 17, 57, 30).unwrap();
        let expected = Utc.with_ymd_and_hms(2026, 11, 26, 17, 57, 30).unwrap() + TimeDelta::milliseconds(282);
        for value in ["\"2026-11-26T17:57:30.282Z\"", "2026-11-26T17:57:30.282Z", "2026-11-26T17:57:30.282", "\"2026-11-26T17:57:30.282+00:00\""] {
            let attrs = Attributes::from_pairs([("langfuse.observation.completion_start_time", json!(value))]);
            assert_eq!(completion_start_time(&attrs, start), Some(expected), "{value}");
        }
        let attrs = Attributes::from_pairs([("langfuse.observation.completion_start_time", json!("soon"))]);
        assert_eq!(completion_start_time(&attrs, start), None);
    }

    #[test]
    fn completion_start_time_from_vercel_ms_to_first_chunk() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let attrs = Attributes::from_pairs([("ai.response.msToFirstChunk", json!(120.2))]);
        assert_eq!(completion_start_time(&attrs, start), Some(start + TimeDelta::milliseconds(121)));
        let attrs = Attributes::from_pairs([("ai.stream.msToFirstChunk", json!(-5))]);
        assert_eq!(completion_start_time(&attrs, start), None);
    }

    #[test]
    fn prompt_needs_name_and_version() {
        let attrs = Attributes::from_pairs([("langfuse.observation.prompt.name", json!("movie-critic")), ("langfuse.observation.prompt.version", json!(1))]);
        assert_eq!(prompt(&attrs), Some(("movie-critic".into(), 1)));
        assert_eq!(prompt(&Attributes::from_pairs([("langfuse.observation.prompt.name", json!("p"))])), None);
        let attrs = Attributes::from_pairs([("langfuse.prompt.name", json!("p")), ("langfuse.prompt.version", json!("3"))]);
        assert_eq!(prompt(&attrs), Some(("p".into(), 3)));
        let attrs = Attributes::from_pairs([("ai.telemetry.metadata.langfusePrompt", json!("{\"name\":\"vp\",\"version\":2}"))]);
        assert_eq!(prompt(&attrs), Some(("vp".into(), 2)));
        let attrs = Attributes::from_pairs([("langfuse.prompt.name", json!("p")), ("langfuse.prompt.version", json!(1.5))]);
        assert_eq!(prompt(&attrs), None);
    }
}
