//! Input/output extraction (§4.5): where each instrumentation puts the prompt and the completion.
//! The rules are tried in Langfuse's order and the first that yields something wins, so a span
//! carrying several conventions at once (common: an OpenInference span re-exported by a GenAI
//! bridge) maps the way it does in Langfuse.
//!
//! Values taken straight from an attribute are read with [`json_or_string`] (SDKs JSON-encode
//! structured values into strings); values this module assembles (message lists from events,
//! arrays rebuilt from flattened keys) are built as JSON directly.
//!
//! Empty values, as in Langfuse: an empty string in `langfuse.observation.input`/`output` (and
//! `langfuse.trace.input`/`output`, see `mapping.rs`) is null; the other rules already skip empty
//! strings (`truthy`). An empty array or object is a value and is kept.

use serde_json::{json, Map, Value};

use super::attributes::{is_truthy, json_or_string, parse_json, to_text, Attributes, SpanEvent};
use super::provenance::field::{INPUT, OUTPUT};
use super::provenance::{Entry, Produced};

#[derive(Debug, Default, Clone, PartialEq)]
pub struct InputOutput {
    pub input: Option<Value>,
    pub output: Option<Value>,
    /// The span attribute (its position in `attrs`) the input was read from as sent, if it was:
    /// the OTel record need not hold its value twice (`mapping::StoredAs`).
    pub input_attribute: Option<usize>,
    pub output_attribute: Option<usize>,
}

/// A value chosen by a rule: an attribute as sent, or one the rule assembled.
enum Picked<'a> {
    Raw(&'a Value),
    Built(Value),
}

impl Picked<'_> {
    fn finish(self) -> Value {
        match self {
            Picked::Raw(value) => json_or_string(value),
            Picked::Built(value) => value,
        }
    }
}

type Found<'a> = (Option<Picked<'a>>, Option<Picked<'a>>);

impl Produced for Picked<'_> {
    fn produced(&self) -> bool {
        true
    }
}

/// Array slots that rebuilding flattened `gen_ai.prompt.N.*` keys may allocate; `N` comes from the
/// sender, so without a bound `gen_ai.prompt.99999999.content` would allocate that many nulls.
const MAX_REBUILT_ARRAY_SLOTS: usize = 10_001;

pub fn extract(attrs: &Attributes, events: &[SpanEvent], scope_name: &str) -> InputOutput {
    let (input, output) = find(attrs, events, scope_name).unwrap_or((None, None));
    let attribute = |picked: &Option<Picked>| match picked {
        Some(Picked::Raw(value)) => attrs.position_of(value),
        _ => None,
    };
    let (input_attribute, output_attribute) = (attribute(&input), attribute(&output));
    InputOutput { input: input.map(Picked::finish), output: output.map(Picked::finish), input_attribute, output_attribute }
}

/// Each side's reads are recorded as `input` / `output` (provenance); a rule that yields nothing
/// used nothing, so what it read is forgotten.
fn find<'a>(attrs: &'a Attributes, events: &'a [SpanEvent], scope_name: &str) -> Option<Found<'a>> {
    let tried = |rule: &dyn Fn() -> Option<Found<'a>>| attrs.attempt(rule);
    if let Some(found) = tried(&|| langfuse(attrs)) {
        return Some(found);
    }
    match scope_name {
        "genkit-tracer" => return Some(genkit(attrs)),
        "ai" => return Some(vercel_ai(attrs)),
        "@flue/opentelemetry" => {
            if let Some(found) = tried(&|| flue(attrs)) {
                return Some(found);
            }
        }
        _ => {}
    }
    operation_details_event(events)
        .or_else(|| message_events(events))
        .or_else(|| semantic_kernel_events(events, scope_name))
        .or_else(|| tried(&|| google_adk(attrs)))
        .or_else(|| tried(&|| pair(attrs, "prompt", "all_messages_events")))
        .or_else(|| tried(&|| livekit(attrs)))
        .or_else(|| tried(&|| logfire_events(attrs)))
        .or_else(|| tried(&|| pair(attrs, "mlflow.spanInputs", "mlflow.spanOutputs")))
        .or_else(|| tried(&|| pair(attrs, "traceloop.entity.input", "traceloop.entity.output")))
        .or_else(|| tried(&|| pair(attrs, "input.value", "output.value")))
        .or_else(|| tried(&|| pair(attrs, "input", "output")))
        .or_else(|| if scope_name == "pydantic-ai" { tried(&|| pydantic_ai(attrs)) } else { None })
        .or_else(|| tried(&|| pair(attrs, "tool_arguments", "tool_response")))
        .or_else(|| tried(&|| flattened(attrs, "gen_ai.prompt", "gen_ai.completion")))
        .or_else(|| tried(&|| flattened(attrs, "llm.input_messages", "llm.output_messages")))
        .or_else(|| tried(&|| gen_ai_messages(attrs)))
}

/// Whether an attribute was (or could have been) consumed as input/output or metadata, and so
/// stays out of the `metadata.attributes` copy of a third-party span.
pub fn is_consumed_key(key: &str) -> bool {
    const PREFIXES: [&str; 7] = [
        "gen_ai.prompt",
        "gen_ai.completion",
        "llm.input_messages",
        "llm.output_messages",
        "langfuse.trace.metadata",
        "langfuse.observation.metadata",
        "ai.telemetry.metadata",
    ];
    matches!(
        key,
        "langfuse.trace.input"
            | "langfuse.trace.output"
            | "langfuse.observation.input"
            | "langfuse.observation.output"
            | "ai.prompt.messages"
            | "ai.prompt"
            | "ai.toolCall.args"
            | "ai.response.text"
            | "ai.result.text"
            | "ai.toolCall.result"
            | "ai.response.object"
            | "ai.result.object"
            | "ai.response.toolCalls"
            | "ai.result.toolCalls"
            | "gcp.vertex.agent.llm_request"
            | "gcp.vertex.agent.llm_response"
            | "gcp.vertex.agent.tool_call_args"
            | "gcp.vertex.agent.tool_response"
            | "prompt"
            | "all_messages_events"
            | "events"
            | "lk.input_text"
            | "lk.user_transcript"
            | "lk.chat_ctx"
            | "lk.user_input"
            | "lk.function_tool.output"
            | "lk.response.text"
            | "mlflow.spanInputs"
            | "mlflow.spanOutputs"
            | "traceloop.entity.input"
            | "traceloop.entity.output"
            | "input.value"
            | "output.value"
            | "final_result"
            | "pydantic_ai.all_messages"
            | "gen_ai.system_instructions"
            | "input"
            | "output"
            | "gen_ai.input.messages"
            | "gen_ai.output.messages"
            | "gen_ai.tool.call.arguments"
            | "gen_ai.tool.call.result"
            | "genkit:input"
            | "genkit:output"
            | "flue.turn.input"
            | "flue.turn.output"
            | "flue.tool.arguments"
            | "flue.tool.result"
            | "flue.task.prompt"
            | "flue.task.result"
            | "flue.operation.result"
            | "flue.workflow.payload"
            | "flue.workflow.result"
    ) || PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Both sides from two attributes, if either is truthy.
fn pair<'a>(attrs: &'a Attributes, input_key: &str, output_key: &str) -> Option<Found<'a>> {
    let input = attrs.mapping(INPUT, || attrs.truthy(input_key));
    let output = attrs.mapping(OUTPUT, || attrs.truthy(output_key));
    (input.is_some() || output.is_some()).then(|| (input.map(Picked::Raw), output.map(Picked::Raw)))
}

/// Rule 1: the Langfuse SDKs (present, even if empty). An empty string is no value, as in
/// Langfuse (an empty generator makes the SDK send `langfuse.observation.output = ""`), but its
/// presence still decides that this rule, not a later one, describes the span.
fn langfuse(attrs: &Attributes) -> Option<Found<'_>> {
    let non_empty = |value: &&Value| value.as_str() != Some("");
    let input = attrs.mapping(INPUT, || attrs.get("langfuse.observation.input").filter(non_empty));
    let output = attrs.mapping(OUTPUT, || attrs.get("langfuse.observation.output").filter(non_empty));
    if input.is_none() && output.is_none() && (attrs.contains("langfuse.observation.input") || attrs.contains("langfuse.observation.output")) {
        return Some((None, None));
    }
    (input.is_some() || output.is_some()).then(|| (input.map(Picked::Raw), output.map(Picked::Raw)))
}

/// Rule 2: Genkit; model spans wrap the messages (`{messages}` in, `{message}` out).
fn genkit(attrs: &Attributes) -> Found<'_> {
    let unwrap = |key: &str, field: &str| {
        attrs.get(key).map(|raw| match json_or_string(raw) {
            Value::Object(mut object) if object.contains_key(field) => object.remove(field).unwrap_or(Value::Null),
            other => other,
        })
    };
    (
        attrs.mapping(INPUT, || unwrap("genkit:input", "messages").map(Picked::Built)),
        attrs.mapping(OUTPUT, || unwrap("genkit:output", "message").map(Picked::Built)),
    )
}

/// Rule 3: the Vercel AI SDK (scope `ai`), then GenAI messages for what is still missing.
fn vercel_ai(attrs: &Attributes) -> Found<'_> {
    let input = attrs.mapping(INPUT, || {
        ["ai.prompt.messages", "ai.prompt", "ai.toolCall.args"].iter().find(|k| attrs.contains(k)).and_then(|k| attrs.get(k)).map(Picked::Raw)
    });
    let output = attrs.mapping(OUTPUT, || match (attrs.peek("ai.response.text"), attrs.peek("ai.response.toolCalls")) {
        (Some(_), Some(_)) => {
            let (text, tool_calls) = (attrs.get("ai.response.text")?, attrs.get("ai.response.toolCalls")?);
            Some(Picked::Built(json!({ "role": "assistant", "content": text, "tool_calls": json_or_string(tool_calls) })))
        }
        _ => attrs
            .truthy("ai.response.text")
            .or_else(|| {
                ["ai.result.text", "ai.toolCall.result", "ai.response.object", "ai.result.object", "ai.response.toolCalls", "ai.result.toolCalls"]
                    .iter()
                    .find(|k| attrs.contains(k))
                    .and_then(|k| attrs.get(k))
            })
            .map(Picked::Raw),
    });
    match (input, output) {
        (Some(input), Some(output)) => (Some(input), Some(output)),
        (input, output) => {
            let mark = attrs.recorder().mark();
            let (gen_ai_input, gen_ai_output) = gen_ai_messages(attrs).unwrap_or((None, None));
            // Only the missing side is taken from the GenAI messages.
            if input.is_some() {
                attrs.recorder().forget_since(mark, Some(INPUT));
            }
            if output.is_some() {
                attrs.recorder().forget_since(mark, Some(OUTPUT));
            }
            (input.or(gen_ai_input), output.or(gen_ai_output))
        }
    }
}

/// Rule 4: Flue, whose attribute names differ by span kind.
fn flue(attrs: &Attributes) -> Option<Found<'_>> {
    let first = |side: &'static str, keys: &[&str]| attrs.mapping(side, || keys.iter().find_map(|k| attrs.get(k)).map(Picked::Raw));
    let input = first(INPUT, &["flue.turn.input", "flue.tool.arguments", "flue.task.prompt", "flue.workflow.payload"]);
    let output = first(OUTPUT, &["flue.turn.output", "flue.tool.result", "flue.task.result", "flue.operation.result", "flue.workflow.result"]);
    (input.is_some() || output.is_some()).then_some((input, output))
}

/// Rule 5: GenAI semconv ≥ 1.37 records messages on a `gen_ai.client.inference.operation.details`
/// event instead of span attributes.
fn operation_details_event(events: &[SpanEvent]) -> Option<Found<'_>> {
    events
        .iter()
        .filter(|e| e.name == "gen_ai.client.inference.operation.details")
        .find_map(|e| gen_ai_messages(&e.attributes))
}

/// Rule 6: one event per message (`gen_ai.user.message`, ...), `gen_ai.choice` events for output.
fn message_events(events: &[SpanEvent]) -> Option<Found<'_>> {
    let role = |name: &str| match name {
        "gen_ai.system.message" => Some("system"),
        "gen_ai.user.message" => Some("user"),
        "gen_ai.assistant.message" => Some("assistant"),
        "gen_ai.tool.message" => Some("tool"),
        _ => None,
    };
    let messages: Vec<Value> = events
        .iter()
        .filter_map(|e| {
            let role = role(&e.name)?;
            let mut message = Map::new();
            message.insert("role".into(), json!(role));
            message.extend(e.attributes.iter().map(|(k, v)| (k.to_string(), v.clone())));
            Some(Value::Object(message))
        })
        .collect();
    let mut choices: Vec<Value> = events.iter().filter(|e| e.name == "gen_ai.choice").map(|e| e.attributes.to_json()).collect();
    if messages.is_empty() && choices.is_empty() {
        return None;
    }
    let input = (!messages.is_empty()).then_some(Picked::Built(Value::Array(messages)));
    let output = match choices.len() {
        0 => None,
        1 => choices.pop().map(Picked::Built),
        _ => Some(Picked::Built(Value::Array(choices))),
    };
    Some((input, output))
}

/// Rule 7: Semantic Kernel's legacy `gen_ai.content.prompt` / `gen_ai.content.completion` events,
/// whose attributes are read with these same rules (typically `gen_ai.prompt` holding JSON).
fn semantic_kernel_events<'a>(events: &'a [SpanEvent], scope_name: &str) -> Option<Found<'a>> {
    let prompt = events.iter().find(|e| e.name == "gen_ai.content.prompt");
    let completion = events.iter().find(|e| e.name == "gen_ai.content.completion");
    if prompt.is_none() && completion.is_none() {
        return None;
    }
    let input = prompt.map(|e| match find(&e.attributes, &[], scope_name) {
        Some((Some(input), _)) => input,
        _ => Picked::Built(e.attributes.to_json()),
    });
    let output = completion.map(|e| match find(&e.attributes, &[], scope_name) {
        Some((_, Some(output))) => output,
        _ => Picked::Built(e.attributes.to_json()),
    });
    Some((input, output))
}

/// Rule 8: Google ADK; tool spans set the request/response to `"{}"` and use the tool keys.
fn google_adk(attrs: &Attributes) -> Option<Found<'_>> {
    let side = |side: &'static str, main: &str, tool: &str| {
        attrs.mapping(side, || {
            attrs.attempt(|| attrs.truthy(main).filter(|v| v.as_str() != Some("{}"))).or_else(|| attrs.truthy(tool)).map(Picked::Raw)
        })
    };
    let input = side(INPUT, "gcp.vertex.agent.llm_request", "gcp.vertex.agent.tool_call_args");
    let output = side(OUTPUT, "gcp.vertex.agent.llm_response", "gcp.vertex.agent.tool_response");
    (input.is_some() || output.is_some()).then_some((input, output))
}

/// Rule 10: LiveKit Agents.
fn livekit(attrs: &Attributes) -> Option<Found<'_>> {
    let input = attrs.mapping(INPUT, || {
        ["lk.input_text", "lk.user_transcript", "lk.chat_ctx"].iter().find_map(|k| attrs.get(k)).filter(|v| is_truthy(v))
    });
    let output = attrs.mapping(OUTPUT, || attrs.truthy("lk.function_tool.output").or_else(|| attrs.truthy("lk.response.text")));
    (input.is_some() || output.is_some()).then(|| (input.map(Picked::Raw), output.map(Picked::Raw)))
}

/// Rule 11: Logfire's single `events` array (JSON): the `gen_ai.choice` entry is the output, the
/// rest the input.
fn logfire_events(attrs: &Attributes) -> Option<Found<'_>> {
    let events = match attrs.peek("events")? {
        Value::String(text) => match parse_json(text) {
            Some(Value::Array(events)) => events,
            _ => return None,
        },
        Value::Array(events) => events.clone(),
        _ => return None,
    };
    let is_choice = |e: &Value| e.get("event.name").and_then(Value::as_str) == Some("gen_ai.choice");
    let (mut choices, inputs): (Vec<Value>, Vec<Value>) = events.into_iter().partition(is_choice);
    if choices.is_empty() && inputs.is_empty() {
        return None;
    }
    let output = (!choices.is_empty()).then(|| Picked::Built(choices.swap_remove(0)));
    let input = (!inputs.is_empty()).then_some(Picked::Built(Value::Array(inputs)));
    for (side, used) in [(INPUT, input.is_some()), (OUTPUT, output.is_some())] {
        if used {
            attrs.use_for("events", side);
        }
    }
    Some((input, output))
}

/// Rule 16: Pydantic AI agent spans.
fn pydantic_ai(attrs: &Attributes) -> Option<Found<'_>> {
    let input = attrs.mapping(INPUT, || attrs.get("pydantic_ai.all_messages").map(|messages| with_system_instructions(attrs, messages)));
    let output = attrs.mapping(OUTPUT, || attrs.get("final_result"));
    let truthy_input = match &input {
        Some(Picked::Raw(v)) => is_truthy(v),
        Some(Picked::Built(_)) => true,
        None => false,
    };
    (truthy_input || output.is_some_and(is_truthy)).then(|| (input, output.map(Picked::Raw)))
}

/// Rule 20: GenAI `gen_ai.input.messages` / `gen_ai.output.messages` (system instructions
/// prepended as a system message), else the tool call arguments and result.
fn gen_ai_messages(attrs: &Attributes) -> Option<Found<'_>> {
    let input = attrs.mapping(INPUT, || attrs.truthy("gen_ai.input.messages").map(|messages| with_system_instructions(attrs, messages)));
    let output = attrs.mapping(OUTPUT, || attrs.truthy("gen_ai.output.messages"));
    if input.is_some() || output.is_some() {
        return Some((input, output.map(Picked::Raw)));
    }
    pair(attrs, "gen_ai.tool.call.arguments", "gen_ai.tool.call.result")
}

/// The messages with `gen_ai.system_instructions` prepended when that applies, else as sent.
fn with_system_instructions<'a>(attrs: &'a Attributes, messages: &'a Value) -> Picked<'a> {
    match attrs.attempt(|| attrs.truthy("gen_ai.system_instructions").and_then(|si| prepend_system_instructions(messages, si))) {
        Some(with_system) => Picked::Built(with_system),
        None => Picked::Raw(messages),
    }
}

/// `[{role: "system", content}, ...messages]`, unless the messages are not a list or already have
/// a system message. Instructions given as a list of parts are joined by newlines.
fn prepend_system_instructions(messages: &Value, instructions: &Value) -> Option<Value> {
    let messages = match messages {
        Value::String(text) => parse_json(text)?,
        other => other.clone(),
    };
    let Value::Array(messages) = messages else { return None };
    if messages.iter().any(|m| m.get("role").and_then(Value::as_str) == Some("system")) {
        return None;
    }
    let instructions = match instructions {
        Value::String(text) => parse_json(text).unwrap_or_else(|| instructions.clone()),
        other => other.clone(),
    };
    let content = match &instructions {
        Value::Array(parts) => parts
            .iter()
            .map(|part| match part.get("content").filter(|c| is_truthy(c)) {
                Some(content) => to_text(content),
                None => to_text(part),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => to_text(other),
    };
    let mut with_system = Vec::with_capacity(messages.len() + 1);
    with_system.push(json!({ "role": "system", "content": content }));
    with_system.extend(messages);
    Some(Value::Array(with_system))
}

/// Rules 18-19: Traceloop (`gen_ai.prompt.0.content`) and OpenInference
/// (`llm.input_messages.0.message.content`) flatten message lists into one attribute per leaf.
fn flattened<'a>(attrs: &'a Attributes, input_prefix: &str, output_prefix: &str) -> Option<Found<'a>> {
    if !attrs.has_prefix(input_prefix) && !attrs.has_prefix(output_prefix) {
        return None;
    }
    Some((attrs.mapping(INPUT, || rebuild(attrs, input_prefix)), attrs.mapping(OUTPUT, || rebuild(attrs, output_prefix))))
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

/// Rebuilds the value flattened under `prefix.`: numeric segments become array indices.
fn rebuild<'a>(attrs: &'a Attributes, prefix: &str) -> Option<Picked<'a>> {
    if let Some(whole) = attrs.truthy(prefix) {
        return Some(Picked::Raw(whole));
    }
    let dotted = format!("{prefix}.");
    let leaves: Vec<(&str, &str, &Value)> =
        attrs.with_prefix(&dotted).map(|(k, v)| (k, &k[dotted.len()..], v)).filter(|(_, path, _)| !path.is_empty()).collect();
    if leaves.is_empty() {
        return None;
    }
    let as_array = leaves.iter().any(|(_, path, _)| path.split_once('.').is_some_and(|(first, _)| is_index(first)));
    let mut root = if as_array { Value::Array(Vec::new()) } else { Value::Object(Map::new()) };
    let mut slots_left = MAX_REBUILT_ARRAY_SLOTS;
    for (key, path, value) in leaves {
        let segments: Vec<&str> = path.split('.').collect();
        if insert_at(&mut root, &segments, value, &mut slots_left) {
            attrs.use_entry(key, Entry::Whole);
        }
    }
    Some(Picked::Built(root))
}

/// Sets `root[segments...] = value`, creating arrays for numeric segments and objects otherwise.
/// Leaves that collide with an existing value, or would exceed the slot budget, are dropped
/// (`false`).
fn insert_at(root: &mut Value, segments: &[&str], value: &Value, slots_left: &mut usize) -> bool {
    let mut node = root;
    for (i, segment) in segments.iter().enumerate() {
        node = match node {
            Value::Array(items) => {
                let Ok(index) = segment.parse::<usize>() else { return false };
                if index >= items.len() {
                    let Some(new_len) = index.checked_add(1) else { return false };
                    let grow = new_len - items.len();
                    if grow > *slots_left {
                        return false;
                    }
                    *slots_left -= grow;
                    items.resize(new_len, Value::Null);
                }
                &mut items[index]
            }
            Value::Object(map) => map.entry(segment.to_string()).or_insert(Value::Null),
            _ => return false,
        };
        match segments.get(i + 1) {
            None => {
                if node.is_null() {
                    *node = value.clone();
                    return true;
                }
                return false;
            }
            Some(next) if node.is_null() => {
                *node = if is_index(next) { Value::Array(Vec::new()) } else { Value::Object(Map::new()) };
            }
            Some(_) => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(attrs: Attributes) -> (Option<Value>, Option<Value>) {
        io_in_scope(attrs, "")
    }

    fn io_in_scope(attrs: Attributes, scope: &str) -> (Option<Value>, Option<Value>) {
        let InputOutput { input, output, .. } = extract(&attrs, &[], scope);
        (input, output)
    }

    fn event(name: &str, attributes: Attributes) -> SpanEvent {
        SpanEvent { name: name.into(), time_unix_nano: 1, attributes }
    }

    #[test]
    fn nothing_is_nothing() {
        assert_eq!(io(Attributes::from_pairs([("http.url", json!("x"))])), (None, None));
    }

    #[test]
    fn rule_1_langfuse_json_strings_are_parsed() {
        let attrs = Attributes::from_pairs([
            ("langfuse.observation.input", json!("{\"args\": [21], \"kwargs\": {}}")),
            ("langfuse.observation.output", json!("generated text")),
            ("input.value", json!("ignored")),
        ]);
        assert_eq!(io(attrs), (Some(json!({"args": [21], "kwargs": {}})), Some(json!("generated text"))));
    }

    #[test]
    fn rule_1_one_side_is_enough() {
        let attrs = Attributes::from_pairs([("langfuse.observation.output", json!("{\"doubled\": 42}")), ("output.value", json!("x"))]);
        assert_eq!(io(attrs), (None, Some(json!({"doubled": 42}))));
    }

    #[test]
    fn rule_2_genkit_unwraps_messages() {
        let attrs = Attributes::from_pairs([
            ("genkit:input", json!("{\"messages\":[{\"role\":\"user\"}],\"config\":{}}")),
            ("genkit:output", json!("{\"message\":{\"role\":\"model\"},\"usage\":{}}")),
        ]);
        assert_eq!(io_in_scope(attrs, "genkit-tracer"), (Some(json!([{"role": "user"}])), Some(json!({"role": "model"}))));
    }

    #[test]
    fn rule_3_vercel_prompt_messages_and_text() {
        let attrs = Attributes::from_pairs([
            ("ai.prompt.messages", json!("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}]")),
            ("ai.prompt", json!("{\"prompt\":\"Hi\"}")),
            ("ai.response.text", json!("Hello!")),
        ]);
        let (input, output) = io_in_scope(attrs, "ai");
        assert_eq!(input, Some(json!([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])));
        assert_eq!(output, Some(json!("Hello!")));
    }

    #[test]
    fn rule_3_vercel_text_with_tool_calls() {
        let attrs = Attributes::from_pairs([
            ("ai.prompt", json!("{\"prompt\":\"weather?\"}")),
            ("ai.response.text", json!("")),
            ("ai.response.toolCalls", json!("[{\"toolName\":\"weather\"}]")),
        ]);
        let (input, output) = io_in_scope(attrs, "ai");
        assert_eq!(input, Some(json!({"prompt": "weather?"})));
        assert_eq!(output, Some(json!({"role": "assistant", "content": "", "tool_calls": [{"toolName": "weather"}]})));
    }

    #[test]
    fn rule_3_vercel_tool_call_and_gen_ai_fallback() {
        let attrs = Attributes::from_pairs([("ai.toolCall.args", json!("{\"city\":\"Paris\"}")), ("ai.toolCall.result", json!("sunny"))]);
        assert_eq!(io_in_scope(attrs, "ai"), (Some(json!({"city": "Paris"})), Some(json!("sunny"))));
        let attrs = Attributes::from_pairs([("gen_ai.input.messages", json!("[{\"role\":\"user\"}]"))]);
        assert_eq!(io_in_scope(attrs, "ai"), (Some(json!([{"role": "user"}])), None));
    }

    #[test]
    fn rule_3_only_applies_to_the_ai_scope() {
        let attrs = Attributes::from_pairs([("ai.prompt", json!("p")), ("input.value", json!("iv"))]);
        assert_eq!(io(attrs), (Some(json!("iv")), None));
    }

    #[test]
    fn rule_4_flue() {
        let attrs = Attributes::from_pairs([("flue.tool.arguments", json!("{\"cmd\":\"ls\"}")), ("flue.tool.result", json!("ok"))]);
        assert_eq!(io_in_scope(attrs, "@flue/opentelemetry"), (Some(json!({"cmd": "ls"})), Some(json!("ok"))));
    }

    #[test]
    fn rule_5_operation_details_event() {
        let details = event(
            "gen_ai.client.inference.operation.details",
            Attributes::from_pairs([
                ("gen_ai.input.messages", json!("[{\"role\":\"user\",\"parts\":[]}]")),
                ("gen_ai.output.messages", json!("[{\"role\":\"assistant\"}]")),
            ]),
        );
        let InputOutput { input, output, .. } = extract(&Attributes::default(), &[details], "");
        assert_eq!(input, Some(json!([{"role": "user", "parts": []}])));
        assert_eq!(output, Some(json!([{"role": "assistant"}])));
    }

    #[test]
    fn rule_6_message_events() {
        let events = [
            event("gen_ai.system.message", Attributes::from_pairs([("content", json!("be brief"))])),
            event("gen_ai.user.message", Attributes::from_pairs([("content", json!("Hi"))])),
            event("exception", Attributes::default()),
            event("gen_ai.choice", Attributes::from_pairs([("index", json!(0)), ("finish_reason", json!("stop"))])),
        ];
        let InputOutput { input, output, .. } = extract(&Attributes::default(), &events, "");
        assert_eq!(input, Some(json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi"}])));
        assert_eq!(output, Some(json!({"index": 0, "finish_reason": "stop"})));
    }

    #[test]
    fn rule_6_several_choices_are_a_list() {
        let events = [event("gen_ai.choice", Attributes::from_pairs([("index", json!(0))])), event("gen_ai.choice", Attributes::from_pairs([("index", json!(1))]))];
        let InputOutput { input, output, .. } = extract(&Attributes::default(), &events, "");
        assert_eq!((input, output), (None, Some(json!([{"index": 0}, {"index": 1}]))));
    }

    #[test]
    fn rule_7_semantic_kernel_events() {
        let events = [
            event("gen_ai.content.prompt", Attributes::from_pairs([("gen_ai.prompt", json!("[{\"role\":\"user\"}]"))])),
            event("gen_ai.content.completion", Attributes::from_pairs([("gen_ai.completion", json!("[{\"role\":\"assistant\"}]"))])),
        ];
        let InputOutput { input, output, .. } = extract(&Attributes::default(), &events, "");
        assert_eq!(input, Some(json!([{"role": "user"}])));
        assert_eq!(output, Some(json!([{"role": "assistant"}])));
    }

    #[test]
    fn rule_8_google_adk_tool_spans() {
        let attrs = Attributes::from_pairs([
            ("gcp.vertex.agent.llm_request", json!("{}")),
            ("gcp.vertex.agent.llm_response", json!("{}")),
            ("gcp.vertex.agent.tool_call_args", json!("{\"q\":1}")),
            ("gcp.vertex.agent.tool_response", json!("{\"a\":2}")),
        ]);
        assert_eq!(io(attrs), (Some(json!({"q": 1})), Some(json!({"a": 2}))));
    }

    #[test]
    fn rule_11_logfire_events() {
        let attrs = Attributes::from_pairs([(
            "events",
            json!("[{\"event.name\":\"gen_ai.user.message\",\"content\":\"Hi\"},{\"event.name\":\"gen_ai.choice\",\"message\":{}}]"),
        )]);
        let (input, output) = io(attrs);
        assert_eq!(input, Some(json!([{"event.name": "gen_ai.user.message", "content": "Hi"}])));
        assert_eq!(output, Some(json!({"event.name": "gen_ai.choice", "message": {}})));
    }

    #[test]
    fn rule_12_mlflow() {
        let attrs = Attributes::from_pairs([("mlflow.spanInputs", json!("{\"x\": 1}")), ("mlflow.spanOutputs", json!("2"))]);
        assert_eq!(io(attrs), (Some(json!({"x": 1})), Some(json!(2))));
    }

    #[test]
    fn rule_13_traceloop_entities() {
        let attrs = Attributes::from_pairs([
            ("traceloop.entity.input", json!("{\"inputs\": {\"q\": \"hi\"}}")),
            ("traceloop.entity.output", json!("{\"outputs\": \"ok\"}")),
        ]);
        assert_eq!(io(attrs), (Some(json!({"inputs": {"q": "hi"}})), Some(json!({"outputs": "ok"}))));
    }

    #[test]
    fn rule_12_beats_rule_13_and_14() {
        let attrs = Attributes::from_pairs([
            ("mlflow.spanInputs", json!("m")),
            ("traceloop.entity.input", json!("t")),
            ("input.value", json!("o")),
        ]);
        assert_eq!(io(attrs), (Some(json!("m")), None));
    }

    #[test]
    fn rule_14_openinference_values() {
        let attrs = Attributes::from_pairs([("input.value", json!("What is 2+2?")), ("output.value", json!("{\"answer\": 4}"))]);
        assert_eq!(io(attrs), (Some(json!("What is 2+2?")), Some(json!({"answer": 4}))));
    }

    #[test]
    fn rule_15_and_17_plain_keys() {
        assert_eq!(io(Attributes::from_pairs([("input", json!("a")), ("output", json!("b"))])), (Some(json!("a")), Some(json!("b"))));
        assert_eq!(io(Attributes::from_pairs([("tool_arguments", json!("{}")), ("tool_response", json!("r"))])), (Some(json!({})), Some(json!("r"))));
    }

    #[test]
    fn rule_16_pydantic_ai_prepends_instructions() {
        let attrs = Attributes::from_pairs([
            ("pydantic_ai.all_messages", json!("[{\"role\":\"user\",\"parts\":[]}]")),
            ("gen_ai.system_instructions", json!("[{\"type\":\"text\",\"content\":\"be nice\"}]")),
            ("final_result", json!("done")),
        ]);
        let (input, output) = io_in_scope(attrs, "pydantic-ai");
        assert_eq!(input, Some(json!([{"role": "system", "content": "be nice"}, {"role": "user", "parts": []}])));
        assert_eq!(output, Some(json!("done")));
    }

    #[test]
    fn rule_18_flattened_traceloop_prompts() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.prompt.0.role", json!("system")),
            ("gen_ai.prompt.0.content", json!("be brief")),
            ("gen_ai.prompt.1.role", json!("user")),
            ("gen_ai.prompt.1.content", json!("Hi")),
            ("gen_ai.completion.0.role", json!("assistant")),
            ("gen_ai.completion.0.content", json!("Hello")),
            ("gen_ai.completion.0.tool_calls.0.name", json!("f")),
        ]);
        let (input, output) = io(attrs);
        assert_eq!(input, Some(json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi"}])));
        assert_eq!(output, Some(json!([{"role": "assistant", "content": "Hello", "tool_calls": [{"name": "f"}]}])));
    }

    #[test]
    fn rule_18_sparse_indices_leave_nulls_and_huge_ones_are_dropped() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.prompt.2.content", json!("c")),
            ("gen_ai.prompt.99999999999.content", json!("bomb")),
            ("gen_ai.prompt.18446744073709551615.content", json!("overflow")),
        ]);
        let (input, _) = io(attrs);
        assert_eq!(input, Some(json!([null, null, {"content": "c"}])));
    }

    #[test]
    fn rule_18_slot_budget_is_shared() {
        // Keys are visited in order: the nested array takes 5,002 slots, leaving too few for 9,000.
        let attrs = Attributes::from_pairs([("gen_ai.prompt.0.b.5000.c", json!(2)), ("gen_ai.prompt.9000.a", json!(1))]);
        let (input, _) = io(attrs);
        let Some(Value::Array(items)) = input else { panic!() };
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["b"].as_array().map(Vec::len), Some(5001));
        assert_eq!(items[0]["b"][5000], json!({"c": 2}));
    }

    #[test]
    fn rule_19_flattened_openinference_messages() {
        let attrs = Attributes::from_pairs([
            ("llm.input_messages.0.message.role", json!("user")),
            ("llm.input_messages.0.message.content", json!("Hi")),
            ("llm.output_messages.0.message.role", json!("assistant")),
            ("llm.output_messages.0.message.content", json!("Hello")),
        ]);
        let (input, output) = io(attrs);
        assert_eq!(input, Some(json!([{"message": {"role": "user", "content": "Hi"}}])));
        assert_eq!(output, Some(json!([{"message": {"role": "assistant", "content": "Hello"}}])));
    }

    #[test]
    fn rule_20_gen_ai_messages_with_system_instructions() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.input.messages", json!("[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi\"}]}]")),
            ("gen_ai.system_instructions", json!("[{\"type\":\"text\",\"content\":\"You are terse.\"}]")),
            ("gen_ai.output.messages", json!("[{\"role\":\"assistant\",\"parts\":[]}]")),
        ]);
        let (input, output) = io(attrs);
        assert_eq!(
            input,
            Some(json!([{"role": "system", "content": "You are terse."}, {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]))
        );
        assert_eq!(output, Some(json!([{"role": "assistant", "parts": []}])));
    }

    #[test]
    fn rule_20_existing_system_message_is_kept() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.input.messages", json!("[{\"role\":\"system\",\"content\":\"s\"}]")),
            ("gen_ai.system_instructions", json!("other")),
        ]);
        assert_eq!(io(attrs).0, Some(json!([{"role": "system", "content": "s"}])));
    }

    #[test]
    fn rule_20_tool_call_arguments() {
        let attrs = Attributes::from_pairs([("gen_ai.tool.call.arguments", json!("{\"q\":\"x\"}")), ("gen_ai.tool.call.result", json!("42"))]);
        assert_eq!(io(attrs), (Some(json!({"q": "x"})), Some(json!(42))));
    }

    #[test]
    fn consumed_keys() {
        for key in ["input.value", "langfuse.observation.input", "gen_ai.prompt.0.content", "llm.input_messages.0.message.role", "langfuse.observation.metadata.x", "ai.telemetry.metadata.userId"] {
            assert!(is_consumed_key(key), "{key}");
        }
        for key in ["gen_ai.request.model", "http.url", "llm.token_count.prompt"] {
            assert!(!is_consumed_key(key), "{key}");
        }
    }
}
