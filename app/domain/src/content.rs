//! What an observation's input or output *is*, so the UI can show it by its shape: a chat
//! (OpenAI, Anthropic, LangChain and Langfuse message formats, normalized into one
//! [`ChatMessage`]), a text (markdown), or any other JSON.
//!
//! Everything here is untrusted SDK/LLM data: classification never panics, looks only a few
//! levels deep (a message's parts, a tool result's parts) and never recurses over the whole
//! value, so arbitrarily deep or huge values are safe. [`pretty_json`] prints any value
//! iteratively, with a byte budget.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The shape of one input or output value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Content {
    /// Absent or `null`.
    Empty,
    /// A list of chat messages (possibly one), with the wrapper's other fields.
    Chat(Chat),
    /// A plain string (shown as markdown).
    Text(String),
    /// Anything else, shown as a JSON tree.
    Json(Value),
}

/// Chat messages and whatever else came with them, e.g. the `tools`, `model` or `temperature`
/// next to `messages`, or the `usage` of a completion: shown under the messages, not dropped.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    pub messages: Vec<ChatMessage>,
    pub other: Map<String, Value>,
}

/// One message in a normalized form. `role` is lowercase, with LangChain's `human`/`ai` mapped
/// to `user`/`assistant`; Langfuse prompt placeholders have role `placeholder` and their
/// `name`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub name: Option<String>,
    pub parts: Vec<Part>,
    pub tool_calls: Vec<ToolCall>,
    /// For a tool message (OpenAI `role: "tool"`): the call it answers.
    pub tool_call_id: Option<String>,
}

/// A piece of a message's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Part {
    Text(String),
    /// An image by URL (possibly a `data:` URL); the UI decides what it may load.
    Image { url: String },
    /// Audio input. The data itself is not kept for display, except when the SDK uploaded it
    /// as a media attachment: then `media` is the reference to it.
    Audio { format: Option<String>, media: Option<MediaReference> },
    /// A model's reasoning (Anthropic `thinking` blocks).
    Thinking(String),
    /// Anthropic `tool_result`: the answer to the tool call `call_id`.
    ToolResult { call_id: String, parts: Vec<Part>, is_error: bool },
    /// A part of a kind not known here, shown as JSON.
    Other(Value),
}

/// A function/tool call requested by the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: Option<String>,
    pub name: String,
    /// The arguments: parsed when the SDK sent them as a JSON string (OpenAI), else the string
    /// as it was (a model may produce invalid JSON), or the object (Anthropic, LangChain).
    pub arguments: Value,
}

/// A media attachment in place of the content it replaced. The SDKs upload base64 data URIs and
/// `LangfuseMedia` objects found in input, output and metadata (`POST /api/public/media`) and put
/// this token where they were: `@@@langfuseMedia:type=image/png|id=<22 chars>|source=base64_data_uri@@@`.
/// Only a string that is exactly one token is a reference (that is what the SDKs write).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaReference {
    /// The declared MIME type, e.g. `image/png`.
    pub content_type: String,
    /// The media id: base64url characters only, so it is safe in a URL path.
    pub id: String,
    /// Where the SDK found it: `base64_data_uri`, `bytes`, `file`.
    pub source: String,
}

/// How a media attachment is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    /// Shown inline (raster images only: SVG is a document that can carry scripts).
    Image,
    /// With a player.
    Audio,
    Video,
    /// Anything else: a download link.
    File,
}

impl MediaReference {
    const PREFIX: &'static str = "@@@langfuseMedia:";
    const SUFFIX: &'static str = "@@@";

    /// The reference `text` is, if it is exactly one well-formed token.
    pub fn parse(text: &str) -> Option<MediaReference> {
        let body = text.strip_prefix(Self::PREFIX)?.strip_suffix(Self::SUFFIX)?;
        let (mut content_type, mut id, mut source) = (None, None, None);
        for field in body.split('|') {
            let (key, value) = field.split_once('=')?;
            let slot = match key {
                "type" => &mut content_type,
                "id" => &mut id,
                "source" => &mut source,
                _ => return None,
            };
            *slot = Some(value.to_string());
        }
        let content_type = content_type.filter(|t| is_mime_type(t))?;
        let id = id.filter(|i| (1..=64).contains(&i.len()) && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))?;
        Some(MediaReference { content_type, id, source: source.unwrap_or_default() })
    }

    pub fn kind(&self) -> MediaKind {
        match self.content_type.split('/').next() {
            Some("image") if self.content_type != "image/svg+xml" => MediaKind::Image,
            Some("audio") => MediaKind::Audio,
            Some("video") => MediaKind::Video,
            _ => MediaKind::File,
        }
    }

    /// Where a signed-in member (or anyone, for media of a public trace) reads the bytes: the
    /// server's `/api/media` route, on this origin, so the page loads nothing from elsewhere.
    pub fn url(&self, project_id: &str) -> String {
        format!("/api/media/{}/{}", crate::url::encode_query(project_id), self.id)
    }
}

/// `type/subtype` made of token characters only (no quotes, spaces or separators).
fn is_mime_type(text: &str) -> bool {
    let token = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
    text.len() <= 100 && text.split_once('/').is_some_and(|(kind, sub)| token(kind) && token(sub))
}

/// The shape of `value`. Shallow: inspects the top level, the messages and their parts.
pub fn classify(value: &Value) -> Content {
    match value {
        Value::Null => Content::Empty,
        Value::String(text) => Content::Text(text.clone()),
        Value::Array(items) => match messages(items) {
            Some(messages) => Content::Chat(Chat { messages, other: Map::new() }),
            None => Content::Json(clone_value(value)),
        },
        Value::Object(object) => chat_object(object).map(Content::Chat).unwrap_or_else(|| Content::Json(clone_value(value))),
        Value::Bool(_) | Value::Number(_) => Content::Json(value.clone()),
    }
}

/// An object that is a conversation: `{messages: [...]}`, a completion `{choices: [{message}]}`
/// or a single message.
fn chat_object(object: &Map<String, Value>) -> Option<Chat> {
    if let Some(Value::Array(items)) = object.get("messages") {
        let mut messages = messages(items)?;
        // Anthropic keeps the system prompt beside the messages; show it where it acts.
        let mut consumed = vec!["messages"];
        if let Some(Value::String(system)) = object.get("system") {
            messages.insert(0, ChatMessage { role: "system".into(), parts: vec![Part::Text(system.clone())], ..Default::default() });
            consumed.push("system");
        }
        return Some(Chat { messages, other: rest(object, &consumed) });
    }
    if let Some(Value::Array(choices)) = object.get("choices") {
        if choices.is_empty() {
            return None;
        }
        let messages = choices
            .iter()
            .map(|choice| choice.as_object()?.get("message")?.as_object().and_then(message))
            .collect::<Option<Vec<_>>>()?;
        return Some(Chat { messages, other: rest(object, &["choices"]) });
    }
    let single = message(object)?;
    // A single message's own fields are consumed; anything else (an Anthropic response's
    // `model`, `usage`, `stop_reason`...) stays visible.
    let consumed = ["role", "type", "content", "name", "tool_calls", "function_call", "tool_call_id"];
    let other = rest(object, &consumed).into_iter().filter(|(_, v)| !v.is_null()).collect();
    Some(Chat { messages: vec![single], other })
}

fn rest(object: &Map<String, Value>, consumed: &[&str]) -> Map<String, Value> {
    object.iter().filter(|(k, _)| !consumed.contains(&k.as_str())).map(|(k, v)| (k.clone(), clone_value(v))).collect()
}

/// Every item is a message, or this is not a conversation.
fn messages(items: &[Value]) -> Option<Vec<ChatMessage>> {
    if items.is_empty() {
        return None;
    }
    items.iter().map(|item| item.as_object().and_then(message)).collect()
}

/// LangChain's message `type`s and the roles they mean.
fn langchain_role(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "human" => "user",
        "ai" => "assistant",
        "system" => "system",
        "tool" => "tool",
        "function" => "function",
        "developer" => "developer",
        _ => return None,
    })
}

fn message(object: &Map<String, Value>) -> Option<ChatMessage> {
    let string = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
    let kind = object.get("type").and_then(Value::as_str);
    if kind == Some("placeholder") {
        return Some(ChatMessage { role: "placeholder".into(), name: Some(string("name")?), ..Default::default() });
    }
    let role = match (object.get("role").and_then(Value::as_str), kind) {
        (Some(role), _) => role.trim().to_lowercase(),
        (None, Some(kind)) => langchain_role(kind)?.to_string(),
        (None, None) => return None,
    };
    if role.is_empty() {
        return None;
    }
    let content = object.get("content");
    let has_calls = object.get("tool_calls").is_some_and(|c| c.as_array().is_some_and(|a| !a.is_empty())) || object.get("function_call").is_some_and(Value::is_object);
    if content.is_none() && !has_calls {
        return None;
    }
    let mut tool_calls = Vec::new();
    let parts = match content {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) if text.is_empty() => Vec::new(),
        Some(Value::String(text)) => vec![Part::Text(text.clone())],
        Some(Value::Array(blocks)) => {
            let mut parts = Vec::with_capacity(blocks.len());
            for item in blocks {
                match item {
                    Value::String(text) => parts.push(Part::Text(text.clone())),
                    Value::Object(block) => match block.get("type").and_then(Value::as_str) {
                        // Anthropic puts the calls among the content blocks.
                        Some("tool_use") => tool_calls.push(tool_call(block)?),
                        _ => parts.push(part(item, block, true)),
                    },
                    _ => return None,
                }
            }
            parts
        }
        Some(_) => return None,
    };
    if let Some(calls) = object.get("tool_calls") {
        match calls {
            Value::Array(calls) => {
                for call in calls {
                    tool_calls.push(call.as_object().and_then(tool_call)?);
                }
            }
            Value::Null => {}
            _ => return None,
        }
    }
    if let Some(Value::Object(call)) = object.get("function_call") {
        tool_calls.push(tool_call(call)?);
    }
    Some(ChatMessage { role, name: string("name"), parts, tool_calls, tool_call_id: string("tool_call_id") })
}

/// One content block. `nested` allows one level of tool-result content, no deeper.
fn part(value: &Value, block: &Map<String, Value>, nested: bool) -> Part {
    let text = |key: &str| block.get(key).and_then(Value::as_str).map(str::to_string);
    let other = || Part::Other(clone_value(value));
    match block.get("type").and_then(Value::as_str) {
        Some("text" | "input_text" | "output_text") => text("text").map(Part::Text).unwrap_or_else(other),
        Some("refusal") => text("refusal").map(Part::Text).unwrap_or_else(other),
        Some("thinking") => text("thinking").map(Part::Thinking).unwrap_or_else(other),
        // OpenAI chat: {image_url: {url}}; OpenAI responses: {image_url: "..."}.
        Some("image_url" | "input_image") => match block.get("image_url") {
            Some(Value::String(url)) => Part::Image { url: url.clone() },
            Some(Value::Object(image)) => image.get("url").and_then(Value::as_str).map(|url| Part::Image { url: url.to_string() }).unwrap_or_else(other),
            _ => other(),
        },
        // Anthropic: {source: {type: "base64", media_type, data}} or {source: {type: "url", url}}.
        Some("image") => {
            let Some(source) = block.get("source").and_then(Value::as_object) else { return other() };
            match source.get("type").and_then(Value::as_str) {
                Some("url") => source.get("url").and_then(Value::as_str).map(|url| Part::Image { url: url.to_string() }).unwrap_or_else(other),
                Some("base64") => match (source.get("media_type").and_then(Value::as_str), source.get("data").and_then(Value::as_str)) {
                    (Some(media), Some(data)) => Part::Image { url: format!("data:{media};base64,{data}") },
                    _ => other(),
                },
                _ => other(),
            }
        }
        Some("input_audio") => {
            let audio = block.get("input_audio");
            Part::Audio {
                format: audio.and_then(|a| a.get("format")).and_then(Value::as_str).map(str::to_string),
                media: audio.and_then(|a| a.get("data")).and_then(Value::as_str).and_then(MediaReference::parse),
            }
        }
        Some("tool_result") if nested => {
            let Some(call_id) = text("tool_use_id") else { return other() };
            let parts = match block.get("content") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(text)) => vec![Part::Text(text.clone())],
                Some(Value::Array(blocks)) => blocks
                    .iter()
                    .map(|b| match b {
                        Value::String(text) => Part::Text(text.clone()),
                        Value::Object(block) => part(b, block, false),
                        other => Part::Other(clone_value(other)),
                    })
                    .collect(),
                Some(other) => vec![Part::Other(clone_value(other))],
            };
            Part::ToolResult { call_id, parts, is_error: block.get("is_error").and_then(Value::as_bool).unwrap_or(false) }
        }
        _ => other(),
    }
}

/// OpenAI `{id, type: "function", function: {name, arguments}}`, legacy `function_call`
/// `{name, arguments}`, Anthropic `tool_use` `{id, name, input}`, LangChain `{id, name, args}`.
fn tool_call(call: &Map<String, Value>) -> Option<ToolCall> {
    let id = call.get("id").and_then(Value::as_str).map(str::to_string);
    let function = call.get("function").and_then(Value::as_object).unwrap_or(call);
    let name = function.get("name").and_then(Value::as_str)?.to_string();
    let arguments = match function.get("arguments").or_else(|| call.get("input")).or_else(|| call.get("args")) {
        None => Value::Null,
        // serde_json's parser limits nesting (128), so parsing model output is safe.
        Some(Value::String(raw)) => serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.clone())),
        Some(other) => clone_value(other),
    };
    Some(ToolCall { id, name, arguments })
}

/// `value` as indented JSON (two spaces, like `serde_json::to_string_pretty`), built with an
/// explicit stack so any depth is safe, and stopping once the text passes `budget` bytes.
/// Returns the text and whether it was cut short.
pub fn pretty_json(value: &Value, budget: usize) -> (String, bool) {
    enum Step<'a> {
        /// A value where the cursor is.
        Value(&'a Value, usize),
        /// An array item on its own line.
        Item(&'a Value, usize),
        /// An object entry on its own line.
        Entry(&'a str, &'a Value, usize),
        /// The closing bracket on its own line.
        Close(char, usize),
        Comma,
    }
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    }
    let mut out = String::new();
    let mut stack = vec![Step::Value(value, 0)];
    while let Some(step) = stack.pop() {
        if out.len() > budget {
            return (out, true);
        }
        match step {
            Step::Comma => out.push(','),
            Step::Close(bracket, depth) => {
                newline(&mut out, depth);
                out.push(bracket);
            }
            Step::Item(value, depth) => {
                newline(&mut out, depth);
                stack.push(Step::Value(value, depth));
            }
            Step::Entry(key, value, depth) => {
                newline(&mut out, depth);
                out.push_str(&Value::from(key).to_string());
                out.push_str(": ");
                stack.push(Step::Value(value, depth));
            }
            Step::Value(Value::Array(items), depth) if !items.is_empty() => {
                out.push('[');
                stack.push(Step::Close(']', depth));
                for (i, item) in items.iter().enumerate().rev() {
                    if i + 1 < items.len() {
                        stack.push(Step::Comma);
                    }
                    stack.push(Step::Item(item, depth + 1));
                }
            }
            Step::Value(Value::Object(entries), depth) if !entries.is_empty() => {
                out.push('{');
                stack.push(Step::Close('}', depth));
                let entries: Vec<_> = entries.iter().collect();
                let count = entries.len();
                for (i, (key, value)) in entries.into_iter().enumerate().rev() {
                    if i + 1 < count {
                        stack.push(Step::Comma);
                    }
                    stack.push(Step::Entry(key, value, depth + 1));
                }
            }
            Step::Value(Value::Array(_), _) => out.push_str("[]"),
            Step::Value(Value::Object(_), _) => out.push_str("{}"),
            // Scalars do not nest: serde_json prints them without recursion.
            Step::Value(scalar, _) => out.push_str(&scalar.to_string()),
        }
    }
    (out, false)
}

/// A copy of `value` made with an explicit stack: `Value::clone` recurses and would overflow
/// the stack on a very deep value.
pub fn clone_value(value: &Value) -> Value {
    enum Frame<'a> {
        Array(std::slice::Iter<'a, Value>, Vec<Value>),
        /// The entries left, the copy so far, and the key of the entry being copied.
        Object(serde_json::map::Iter<'a>, Map<String, Value>, String),
    }
    fn open(value: &Value) -> Result<Frame<'_>, Value> {
        match value {
            Value::Array(items) => Ok(Frame::Array(items.iter(), Vec::with_capacity(items.len()))),
            Value::Object(entries) => Ok(Frame::Object(entries.iter(), Map::new(), String::new())),
            scalar => Err(scalar.clone()),
        }
    }
    let mut stack = match open(value) {
        Ok(frame) => vec![frame],
        Err(scalar) => return scalar,
    };
    loop {
        let Some(top) = stack.last_mut() else { return Value::Null };
        let next = match top {
            Frame::Array(items, _) => items.next(),
            Frame::Object(entries, _, key) => entries.next().map(|(k, v)| {
                key.clone_from(k);
                v
            }),
        };
        let finished = match next {
            Some(child) => match open(child) {
                Ok(frame) => {
                    stack.push(frame);
                    continue;
                }
                Err(scalar) => scalar,
            },
            None => match stack.pop() {
                Some(Frame::Array(_, items)) => Value::Array(items),
                Some(Frame::Object(_, entries, _)) => Value::Object(entries),
                None => return Value::Null,
            },
        };
        match stack.last_mut() {
            None => return finished,
            Some(Frame::Array(_, items)) => items.push(finished),
            Some(Frame::Object(_, entries, key)) => {
                entries.insert(std::mem::take(key), finished);
            }
        }
    }
}

/// Drops `value` with an explicit stack (`Value`'s own drop recurses, like its clone).
pub fn drop_value(value: Value) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::Array(items) => pending.extend(items),
            Value::Object(entries) => pending.extend(entries.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chat(value: Value) -> Chat {
        match classify(&value) {
            Content::Chat(chat) => chat,
            other => panic!("expected a chat, got {other:?}"),
        }
    }

    fn text(s: &str) -> Part {
        Part::Text(s.to_string())
    }

    #[test]
    fn strings_are_text_and_scalars_json() {
        assert_eq!(classify(&json!("hello *world*")), Content::Text("hello *world*".into()));
        assert_eq!(classify(&json!(42)), Content::Json(json!(42)));
        assert_eq!(classify(&json!(true)), Content::Json(json!(true)));
        assert_eq!(classify(&Value::Null), Content::Empty);
    }

    #[test]
    fn openai_messages_with_string_and_parts_content() {
        let c = chat(json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "name": "ana", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
            ]}
        ]));
        assert_eq!(c.messages.len(), 2);
        assert_eq!(c.messages[0].role, "system");
        assert_eq!(c.messages[0].parts, vec![text("Be brief.")]);
        assert_eq!(c.messages[1].name.as_deref(), Some("ana"));
        assert_eq!(
            c.messages[1].parts,
            vec![text("What is this?"), Part::Image { url: "https://example.com/cat.png".into() }, Part::Audio { format: Some("wav".into()), media: None }]
        );
        assert!(c.other.is_empty());
    }

    #[test]
    fn openai_tool_calls_and_tool_results() {
        let c = chat(json!([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_bad", "type": "function", "function": {"name": "broken", "arguments": "{not json"}}
            ]},
            {"role": "tool", "tool_call_id": "call_abc", "content": "18°C"}
        ]));
        let assistant = &c.messages[1];
        assert!(assistant.parts.is_empty());
        assert_eq!(assistant.tool_calls[0], ToolCall { id: Some("call_abc".into()), name: "get_weather".into(), arguments: json!({"city": "Paris"}) });
        assert_eq!(assistant.tool_calls[1].arguments, json!("{not json"));
        assert_eq!(c.messages[2].role, "tool");
        assert_eq!(c.messages[2].tool_call_id.as_deref(), Some("call_abc"));
        assert_eq!(c.messages[2].parts, vec![text("18°C")]);
    }

    #[test]
    fn legacy_function_call() {
        let c = chat(json!({"role": "assistant", "content": null, "function_call": {"name": "lookup", "arguments": "{\"q\": 1}"}}));
        assert_eq!(c.messages[0].tool_calls, vec![ToolCall { id: None, name: "lookup".into(), arguments: json!({"q": 1}) }]);
    }

    #[test]
    fn anthropic_content_blocks() {
        let c = chat(json!({
            "system": "You are terse.",
            "model": "claude-x",
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "Look"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}
                ]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hmm"},
                    {"type": "text", "text": "Calling"},
                    {"type": "tool_use", "id": "toolu_1", "name": "search", "input": {"q": "cats"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "3 cats"}], "is_error": false}
                ]}
            ]
        }));
        assert_eq!(c.messages[0].role, "system");
        assert_eq!(c.messages[0].parts, vec![text("You are terse.")]);
        assert_eq!(c.messages[1].parts[1], Part::Image { url: "data:image/png;base64,iVBOR".into() });
        assert_eq!(c.messages[2].parts, vec![Part::Thinking("hmm".into()), text("Calling")]);
        assert_eq!(c.messages[2].tool_calls, vec![ToolCall { id: Some("toolu_1".into()), name: "search".into(), arguments: json!({"q": "cats"}) }]);
        assert_eq!(c.messages[3].parts, vec![Part::ToolResult { call_id: "toolu_1".into(), parts: vec![text("3 cats")], is_error: false }]);
        assert_eq!(c.other, json!({"model": "claude-x"}).as_object().unwrap().clone());
    }

    #[test]
    fn wrapper_keeps_other_keys_visible() {
        let c = chat(json!({"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}], "temperature": 0.2}));
        assert_eq!(c.messages.len(), 1);
        // In the order they came (the provider's own), not sorted.
        assert_eq!(c.other.keys().collect::<Vec<_>>(), vec!["tools", "temperature"]);
    }

    #[test]
    fn langchain_messages() {
        let c = chat(json!([
            {"type": "system", "content": "rules"},
            {"type": "human", "content": "hello"},
            {"type": "ai", "content": "", "tool_calls": [{"name": "calc", "args": {"x": 1}, "id": "lc_1"}]}
        ]));
        let roles: Vec<_> = c.messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, vec!["system", "user", "assistant"]);
        assert_eq!(c.messages[2].tool_calls[0], ToolCall { id: Some("lc_1".into()), name: "calc".into(), arguments: json!({"x": 1}) });
    }

    #[test]
    fn single_message_and_completion_outputs() {
        let single = chat(json!({"role": "assistant", "content": "Hi!", "refusal": null}));
        assert_eq!(single.messages[0].parts, vec![text("Hi!")]);
        assert!(single.other.is_empty(), "null noise is not shown: {:?}", single.other);

        let completion = chat(json!({
            "id": "chatcmpl-1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Sure."}, "finish_reason": "stop"}],
            "usage": {"total_tokens": 3}
        }));
        assert_eq!(completion.messages[0].role, "assistant");
        assert_eq!(completion.messages[0].parts, vec![text("Sure.")]);
        assert!(completion.other.contains_key("usage") && completion.other.contains_key("id"));
    }

    #[test]
    fn langfuse_placeholders() {
        let c = chat(json!([{"role": "system", "content": "s"}, {"type": "placeholder", "name": "history"}]));
        assert_eq!(c.messages[1], ChatMessage { role: "placeholder".into(), name: Some("history".into()), ..Default::default() });
    }

    #[test]
    fn unknown_parts_are_kept_as_json() {
        let c = chat(json!([{"role": "user", "content": [{"type": "file", "file": {"file_id": "f1"}}]}]));
        assert_eq!(c.messages[0].parts, vec![Part::Other(json!({"type": "file", "file": {"file_id": "f1"}}))]);
    }

    #[test]
    fn malformed_shapes_fall_back_to_json() {
        for value in [
            json!([]),
            json!([{"role": "user", "content": "ok"}, 3]),
            json!([{"role": "user", "content": "ok"}, {"text": "no role"}]),
            json!([{"role": 5, "content": "x"}]),
            json!([{"role": "user"}]),
            json!([{"role": "", "content": "x"}]),
            json!([{"role": "user", "content": 12}]),
            json!([{"role": "user", "content": [1, 2]}]),
            json!([{"role": "assistant", "content": null, "tool_calls": [{"id": "x", "function": {"arguments": "{}"}}]}]),
            json!([{"role": "assistant", "content": "x", "tool_calls": "nope"}]),
            json!([{"type": "placeholder"}]),
            json!([{"type": "unknown", "content": "x"}]),
            json!({"messages": [{"nope": 1}]}),
            json!({"messages": "not a list"}),
            json!({"choices": []}),
            json!({"choices": [{"text": "legacy completion"}]}),
            json!({"a": 1}),
            json!([1, 2, 3]),
        ] {
            assert_eq!(classify(&value), Content::Json(value.clone()), "{value}");
        }
    }

    fn dismantle(content: Content) {
        if let Content::Json(value) = content {
            drop_value(value);
        }
    }

    fn deep(levels: usize, leaf: Value) -> Value {
        let mut value = leaf;
        for _ in 0..levels {
            value = Value::Array(vec![value]);
        }
        value
    }

    #[test]
    fn deep_values_do_not_blow_the_stack() {
        let value = deep(100_000, json!({"role": "user", "content": "x"}));
        let content = classify(&value);
        assert!(matches!(&content, Content::Json(copy) if copy.is_array()));
        dismantle(content);
        let (text, cut) = pretty_json(&value, 10_000);
        assert!(cut && text.len() < 10_100 && text.starts_with("[\n  [\n    ["), "{}", &text[..40]);
        drop_value(value);
        // Unbudgeted, every level is printed.
        let value = deep(3_000, json!(1));
        let (full, cut) = pretty_json(&value, usize::MAX);
        assert!(!cut && full.matches('[').count() == 3_000 && full.matches(']').count() == 3_000);
        drop_value(value);

        // Deep inside a message's part and inside a wrapper.
        // (`json!` serializes embedded expressions recursively, so the deep value goes in by hand.)
        let mut part = json!([{"role": "user", "content": [{"type": "custom"}]}]);
        part[0]["content"][0].as_object_mut().unwrap().insert("data".into(), deep(100_000, json!(0)));
        let content = classify(&part);
        let Content::Chat(chat) = content else { panic!("a chat") };
        for p in chat.messages.into_iter().flat_map(|m| m.parts) {
            if let Part::Other(v) = p {
                drop_value(v);
            }
        }
        drop_value(part);
        let mut wrapped = json!("leaf");
        for _ in 0..100_000 {
            let mut object = Map::new();
            object.insert("messages".into(), wrapped);
            wrapped = Value::Object(object);
        }
        let content = classify(&wrapped);
        assert!(matches!(&content, Content::Json(copy) if copy.is_object()));
        dismantle(content);
        drop_value(wrapped);
    }

    #[test]
    fn clone_value_copies_exactly() {
        let value = json!({"a": [1, {"b": [null, "x", {"c": {}}]}], "d": [[], [[2.5]]], "e": false});
        assert_eq!(clone_value(&value), value);
        assert_eq!(clone_value(&json!("s")), json!("s"));
    }

    #[test]
    fn pretty_json_matches_serde_json() {
        for value in [
            json!({"a": [1, 2, {"b": null, "c": "q\"uote\n"}], "d": {}, "e": [], "f": {"g": [true, false]}}),
            json!([]),
            json!("just a string"),
            json!([[[]], {"x": [{}]}]),
            json!(1.5),
        ] {
            assert_eq!(pretty_json(&value, usize::MAX), (serde_json::to_string_pretty(&value).unwrap(), false), "{value}");
        }
    }

    #[test]
    fn media_references_are_parsed_only_when_exact() {
        let image = MediaReference::parse("@@@langfuseMedia:type=image/png|id=UVjM3rk6U5f-FNcL7eVtgE|source=base64_data_uri@@@").unwrap();
        assert_eq!(image, MediaReference { content_type: "image/png".into(), id: "UVjM3rk6U5f-FNcL7eVtgE".into(), source: "base64_data_uri".into() });
        assert_eq!(image.kind(), MediaKind::Image);
        assert_eq!(image.url("p 1"), "/api/media/p%201/UVjM3rk6U5f-FNcL7eVtgE");
        let kind = |t: &str| MediaReference::parse(&format!("@@@langfuseMedia:type={t}|id=abc|source=bytes@@@")).map(|r| r.kind());
        assert_eq!(kind("audio/wav"), Some(MediaKind::Audio));
        assert_eq!(kind("video/mp4"), Some(MediaKind::Video));
        assert_eq!(kind("image/svg+xml"), Some(MediaKind::File), "SVG can carry script: a download, never inline");
        assert_eq!(kind("application/pdf"), Some(MediaKind::File));
        for bad in [
            "see @@@langfuseMedia:type=image/png|id=abc|source=bytes@@@",
            "@@@langfuseMedia:type=image/png|id=abc|source=bytes@@@ and more",
            "@@@langfuseMedia:type=image/png|id=../../x|source=bytes@@@",
            "@@@langfuseMedia:type=image/png|id=|source=bytes@@@",
            "@@@langfuseMedia:type=text/html\"><script>|id=abc@@@",
            "@@@langfuseMedia:type=image/png|id=abc|evil=1@@@",
            "@@@langfuseMedia:id=abc@@@",
        ] {
            assert_eq!(MediaReference::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn uploaded_audio_keeps_its_reference() {
        let c = chat(json!([{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "@@@langfuseMedia:type=audio/wav|id=abc|source=base64_data_uri@@@", "format": "wav"}}
        ]}]));
        let media = MediaReference { content_type: "audio/wav".into(), id: "abc".into(), source: "base64_data_uri".into() };
        assert_eq!(c.messages[0].parts, vec![Part::Audio { format: Some("wav".into()), media: Some(media) }]);
    }
}
