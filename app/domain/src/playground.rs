//! The playground (#18): what a person sets up (messages or a text prompt, variables, tools, a
//! response schema, and up to [`MAX_VARIANTS`] variants of model and parameters), what one run of
//! one variant asks the server for ([`RunRequest`]), and what the server streams back
//! ([`RunEvent`]).
//!
//! Each variant runs as its own request, so columns stream independently, a Stop cancels one
//! column (the browser aborts its request; the server drops the provider call) and a failing
//! provider leaves the other columns going.
//!
//! Everything a person can get wrong is checked here, before anything is sent
//! ([`RunRequest::checked`]), and named by field ([`RunProblem`]); what the provider gets wrong
//! comes back as a [`ProviderProblem`] in the failed column.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::prompts::variables;

/// Columns side by side.
pub const MAX_VARIANTS: usize = 4;
/// Tools in one run.
pub const MAX_TOOLS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
    /// A message placeholder: `content` is its name; its messages come from the variables panel
    /// as a JSON array of `{role, content}` (Langfuse's chat prompt placeholders).
    Placeholder,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::System, Role::User, Role::Assistant, Role::Tool, Role::Placeholder];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Placeholder => "placeholder",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// A tool call the model made: `arguments` as the model wrote them (JSON text, maybe invalid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub role: Role,
    pub content: String,
    /// An assistant message's calls (kept when a run's answer is added to the conversation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// A tool message answers this call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message { role, content: content.into(), tool_calls: Vec::new(), tool_call_id: None }
    }
}

/// A function the model may call; `parameters` is its arguments' JSON Schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub parameters: Value,
}

/// The parameters a person may set; `None` (or empty) leaves the provider's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl ModelParams {
    /// As the generation's `modelParameters` (what was set, by Langfuse's names).
    pub fn to_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        if let Some(t) = self.temperature {
            map.insert("temperature".into(), t.into());
        }
        if let Some(m) = self.max_tokens {
            map.insert("max_tokens".into(), m.into());
        }
        if let Some(p) = self.top_p {
            map.insert("top_p".into(), p.into());
        }
        if !self.stop.is_empty() {
            map.insert("stop".into(), self.stop.clone().into());
        }
        if let Some(s) = self.seed {
            map.insert("seed".into(), s.into());
        }
        Value::Object(map)
    }
}

/// One column: which connection and model, with which parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    /// The connection's name (`provider` in Langfuse's terms).
    pub connection: String,
    pub model: String,
    #[serde(default)]
    pub params: ModelParams,
}

/// Chat messages or a single text prompt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptMode {
    #[default]
    Chat,
    Text,
}

/// The prompt version a playground was opened from (recorded on the run's generation, and the
/// one "save as new version" continues).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptSource {
    pub name: String,
    pub version: i32,
}

/// Everything on the page: kept per person and project across reloads, and what a run is made
/// of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Playground {
    pub mode: PromptMode,
    pub messages: Vec<Message>,
    #[serde(default)]
    pub text: String,
    /// Variable (and placeholder) name → value, as typed.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// The tools as JSON text (an array of `{name, description, parameters}`), as typed.
    #[serde(default)]
    pub tools: String,
    /// The response format's JSON Schema as typed; empty for free text.
    #[serde(default)]
    pub response_schema: String,
    pub variants: Vec<Variant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptSource>,
}

impl Default for Playground {
    fn default() -> Self {
        Playground {
            mode: PromptMode::Chat,
            messages: vec![Message::new(Role::System, ""), Message::new(Role::User, "")],
            text: String::new(),
            variables: BTreeMap::new(),
            tools: String::new(),
            response_schema: String::new(),
            variants: vec![Variant::default()],
            prompt: None,
        }
    }
}

impl Playground {
    /// The `{{variables}}` of the messages (or the text), in order of first appearance.
    pub fn variable_names(&self) -> Vec<String> {
        let texts: Vec<&str> = match self.mode {
            PromptMode::Text => vec![self.text.as_str()],
            PromptMode::Chat => self.messages.iter().filter(|m| m.role != Role::Placeholder).map(|m| m.content.as_str()).collect(),
        };
        let mut names: Vec<String> = Vec::new();
        for text in texts {
            for name in variables(text) {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
        }
        names
    }

    /// The placeholders' names, in order.
    pub fn placeholder_names(&self) -> Vec<String> {
        if self.mode == PromptMode::Text {
            return Vec::new();
        }
        self.messages.iter().filter(|m| m.role == Role::Placeholder).map(|m| m.content.trim().to_string()).collect()
    }

    /// The request that runs variant `index`.
    pub fn request(&self, index: usize) -> Option<RunRequest> {
        let variant = self.variants.get(index)?.clone();
        Some(RunRequest {
            mode: self.mode,
            messages: self.messages.clone(),
            text: self.text.clone(),
            variables: self.variables.clone(),
            tools: self.tools.clone(),
            response_schema: self.response_schema.clone(),
            variant,
            prompt: self.prompt.clone(),
        })
    }
}

/// What the browser sends to run one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRequest {
    pub mode: PromptMode,
    #[serde(default)]
    pub messages: Vec<Message>,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub tools: String,
    #[serde(default)]
    pub response_schema: String,
    pub variant: Variant,
    #[serde(default)]
    pub prompt: Option<PromptSource>,
}

/// A checked run: variables filled, placeholders expanded, tools and schema parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedRun {
    pub messages: Vec<Message>,
    pub tools: Vec<ToolDefinition>,
    pub response_schema: Option<Value>,
    pub variant: Variant,
    pub prompt: Option<PromptSource>,
}

/// What is wrong with a run, by field, found before anything is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RunProblem {
    NoConnection,
    NoModel,
    NoMessages,
    VariableEmpty { name: String },
    /// A placeholder's value is not a JSON array of `{role, content}` messages.
    PlaceholderInvalid { name: String, detail: String },
    ToolsInvalid { detail: String },
    ToolInvalid { index: usize, detail: String },
    TooManyTools,
    ResponseSchemaInvalid { detail: String },
    Temperature,
    TopP,
    MaxTokens,
    StopTooMany,
}

impl RunProblem {
    /// The field the problem is at (for the form to mark it).
    pub fn field(&self) -> String {
        match self {
            RunProblem::NoConnection => "connection".into(),
            RunProblem::NoModel => "model".into(),
            RunProblem::NoMessages => "messages".into(),
            RunProblem::VariableEmpty { name } | RunProblem::PlaceholderInvalid { name, .. } => format!("variables.{name}"),
            RunProblem::ToolsInvalid { .. } | RunProblem::ToolInvalid { .. } | RunProblem::TooManyTools => "tools".into(),
            RunProblem::ResponseSchemaInvalid { .. } => "responseSchema".into(),
            RunProblem::Temperature => "temperature".into(),
            RunProblem::TopP => "topP".into(),
            RunProblem::MaxTokens => "maxTokens".into(),
            RunProblem::StopTooMany => "stop".into(),
        }
    }
}

impl std::fmt::Display for RunProblem {
    /// English, for the API and logs; the UI words each problem per language.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunProblem::NoConnection => f.write_str("connection: choose an LLM connection"),
            RunProblem::NoModel => f.write_str("model: choose a model"),
            RunProblem::NoMessages => f.write_str("messages: write at least one message"),
            RunProblem::VariableEmpty { name } => write!(f, "variables.{name}: fill in the variable"),
            RunProblem::PlaceholderInvalid { name, detail } => write!(f, "variables.{name}: {detail}"),
            RunProblem::ToolsInvalid { detail } => write!(f, "tools: {detail}"),
            RunProblem::ToolInvalid { index, detail } => write!(f, "tools[{index}]: {detail}"),
            RunProblem::TooManyTools => write!(f, "tools: at most {MAX_TOOLS} tools"),
            RunProblem::ResponseSchemaInvalid { detail } => write!(f, "responseSchema: {detail}"),
            RunProblem::Temperature => f.write_str("temperature: between 0 and 2"),
            RunProblem::TopP => f.write_str("topP: between 0 and 1"),
            RunProblem::MaxTokens => f.write_str("maxTokens: between 1 and 1000000"),
            RunProblem::StopTooMany => f.write_str("stop: at most 4 stop sequences"),
        }
    }
}

/// Fills `{{name}}` variables (the SDKs' `compile`: a name not given stays verbatim).
pub fn fill_variables(text: &str, values: &BTreeMap<String, String>) -> String {
    let spans = crate::prompts::variable_spans(text);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, name) in spans {
        if let Some(value) = values.get(name) {
            out.push_str(&text[at..range.start]);
            out.push_str(value);
            at = range.end;
        }
    }
    out.push_str(&text[at..]);
    out
}

impl RunRequest {
    /// Checks everything a person can get wrong and builds the messages to send.
    pub fn checked(&self) -> Result<CheckedRun, RunProblem> {
        let variant = Variant { connection: self.variant.connection.trim().to_string(), model: self.variant.model.trim().to_string(), params: self.variant.params.clone() };
        if variant.connection.is_empty() {
            return Err(RunProblem::NoConnection);
        }
        if variant.model.is_empty() {
            return Err(RunProblem::NoModel);
        }
        check_params(&variant.params)?;
        let playground = Playground {
            mode: self.mode,
            messages: self.messages.clone(),
            text: self.text.clone(),
            variables: self.variables.clone(),
            tools: String::new(),
            response_schema: String::new(),
            variants: Vec::new(),
            prompt: None,
        };
        for name in playground.variable_names() {
            if self.variables.get(&name).is_none_or(|v| v.is_empty()) {
                return Err(RunProblem::VariableEmpty { name });
            }
        }
        let mut messages = Vec::new();
        match self.mode {
            PromptMode::Text => {
                if self.text.trim().is_empty() {
                    return Err(RunProblem::NoMessages);
                }
                messages.push(Message::new(Role::User, fill_variables(&self.text, &self.variables)));
            }
            PromptMode::Chat => {
                for message in &self.messages {
                    if message.role == Role::Placeholder {
                        let name = message.content.trim().to_string();
                        messages.extend(placeholder_messages(&name, self.variables.get(&name).map(String::as_str).unwrap_or(""))?);
                        continue;
                    }
                    // An empty system or user message is a slot left blank, not a message.
                    if message.content.trim().is_empty() && message.tool_calls.is_empty() {
                        continue;
                    }
                    let mut filled = message.clone();
                    filled.content = fill_variables(&message.content, &self.variables);
                    messages.push(filled);
                }
            }
        }
        if !messages.iter().any(|m| m.role != Role::System) {
            return Err(RunProblem::NoMessages);
        }
        Ok(CheckedRun {
            messages,
            tools: parse_tools(&self.tools)?,
            response_schema: parse_response_schema(&self.response_schema)?,
            variant,
            prompt: self.prompt.clone(),
        })
    }
}

/// The model parameters' ranges (also checked for runs of experiments).
pub fn check_params(params: &ModelParams) -> Result<(), RunProblem> {
    if params.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        return Err(RunProblem::Temperature);
    }
    if params.top_p.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
        return Err(RunProblem::TopP);
    }
    if params.max_tokens.is_some_and(|m| m == 0 || m > 1_000_000) {
        return Err(RunProblem::MaxTokens);
    }
    if params.stop.len() > 4 {
        return Err(RunProblem::StopTooMany);
    }
    Ok(())
}

fn placeholder_messages(name: &str, value: &str) -> Result<Vec<Message>, RunProblem> {
    let invalid = |detail: String| RunProblem::PlaceholderInvalid { name: name.to_string(), detail };
    if value.trim().is_empty() {
        // An unfilled placeholder adds no messages, as the SDKs' compile does with an empty list.
        return Ok(Vec::new());
    }
    let items: Vec<Value> = serde_json::from_str(value).map_err(|e| invalid(format!("not a JSON array of messages: {e}")))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let role = item.get("role").and_then(Value::as_str).and_then(Role::parse).filter(|r| *r != Role::Placeholder);
            let content = item.get("content").and_then(Value::as_str);
            match (role, content) {
                (Some(role), Some(content)) => Ok(Message::new(role, content)),
                _ => Err(invalid(format!("message {i} needs a role (system, user, assistant, tool) and a text content"))),
            }
        })
        .collect()
}

/// Tools as typed: empty, or a JSON array of `{name, description?, parameters}` with valid
/// names and an object schema each.
pub fn parse_tools(text: &str) -> Result<Vec<ToolDefinition>, RunProblem> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<Value> =
        serde_json::from_str(text).map_err(|e| RunProblem::ToolsInvalid { detail: format!("not a JSON array of tools: {e}") })?;
    if items.len() > MAX_TOOLS {
        return Err(RunProblem::TooManyTools);
    }
    let mut tools: Vec<ToolDefinition> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let invalid = |detail: &str| RunProblem::ToolInvalid { index, detail: detail.to_string() };
        let name = item.get("name").and_then(Value::as_str).ok_or_else(|| invalid("needs a \"name\""))?;
        let name_ok = !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
        if !name_ok {
            return Err(invalid("a name has 1 to 64 letters, digits, _ or -"));
        }
        if tools.iter().any(|t| t.name == name) {
            return Err(invalid("two tools have this name"));
        }
        let description = match item.get("description") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(d)) => d.clone(),
            Some(_) => return Err(invalid("\"description\" is a string")),
        };
        let parameters = item.get("parameters").cloned().unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}}));
        check_schema(&parameters).map_err(|detail| invalid(&format!("parameters: {detail}")))?;
        if parameters.get("type").and_then(Value::as_str) != Some("object") {
            return Err(invalid("parameters: a tool's arguments are an object schema (\"type\": \"object\")"));
        }
        tools.push(ToolDefinition { name: name.to_string(), description, parameters });
    }
    Ok(tools)
}

/// The response format as typed: empty, or a JSON Schema object.
pub fn parse_response_schema(text: &str) -> Result<Option<Value>, RunProblem> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let schema: Value =
        serde_json::from_str(text).map_err(|e| RunProblem::ResponseSchemaInvalid { detail: format!("not JSON: {e}") })?;
    check_schema(&schema).map_err(|detail| RunProblem::ResponseSchemaInvalid { detail })?;
    Ok(Some(schema))
}

/// A structural check of a JSON Schema: the keywords providers rely on have the right types.
/// (Not a full meta-schema validation: providers accept a subset anyway and say which.)
fn check_schema(schema: &Value) -> Result<(), String> {
    check_schema_at(schema, "")
}

fn check_schema_at(schema: &Value, at: &str) -> Result<(), String> {
    let here = if at.is_empty() { "the schema".to_string() } else { at.to_string() };
    let Value::Object(map) = schema else {
        return Err(format!("{here} must be an object"));
    };
    const TYPES: [&str; 7] = ["object", "array", "string", "number", "integer", "boolean", "null"];
    match map.get("type") {
        None => {}
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => {}
        Some(Value::Array(ts)) if ts.iter().all(|t| t.as_str().is_some_and(|t| TYPES.contains(&t))) => {}
        Some(other) => return Err(format!("{here}: \"type\" {other} is not a JSON Schema type")),
    }
    if let Some(properties) = map.get("properties") {
        let Value::Object(properties) = properties else {
            return Err(format!("{here}: \"properties\" must be an object"));
        };
        for (name, property) in properties {
            check_schema_at(property, &format!("{}properties.{name}", if at.is_empty() { String::new() } else { format!("{at}.") }))?;
        }
    }
    if let Some(required) = map.get("required") {
        let names = required.as_array().filter(|r| r.iter().all(Value::is_string));
        let Some(names) = names else {
            return Err(format!("{here}: \"required\" must be an array of property names"));
        };
        let properties = map.get("properties").and_then(Value::as_object);
        if let Some(missing) = names.iter().filter_map(Value::as_str).find(|n| properties.is_none_or(|p| !p.contains_key(*n))) {
            return Err(format!("{here}: \"required\" names {missing:?}, which is not in \"properties\""));
        }
    }
    if let Some(items) = map.get("items") {
        check_schema_at(items, &format!("{}items", if at.is_empty() { String::new() } else { format!("{at}.") }))?;
    }
    if let Some(values) = map.get("enum") {
        if !values.is_array() {
            return Err(format!("{here}: \"enum\" must be an array"));
        }
    }
    Ok(())
}

/// Token counts of a run as the provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunUsage {
    pub input: i64,
    pub output: i64,
    pub total: i64,
}

/// What the provider got wrong, shown in the column that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ProviderProblem {
    /// 401/403: the key is wrong or lacks access. `message` is the provider's own words.
    BadKey { message: String },
    /// 404 or the provider's "model not found".
    UnknownModel { message: String },
    /// 429, with the provider's retry hint when it gave one.
    RateLimited { retry_after_seconds: Option<u64>, message: String },
    /// The provider refused the content (a content filter).
    ContentFilter { message: String },
    /// Any other answer the provider refused with.
    Refused { status: u16, message: String },
    /// 5xx.
    ProviderDown { status: u16, message: String },
    /// No answer, or the stream stalled, for this long.
    Timeout { seconds: u64 },
    /// The stream broke off or carried something that is not the provider's format.
    MalformedStream { message: String },
    /// The provider could not be reached (DNS, connection refused, TLS).
    Unreachable { message: String },
    /// The project has this many runs going already.
    Busy { limit: usize },
    /// No connection of this name in the project.
    NoSuchConnection { name: String },
    /// The playground cannot call this adapter yet.
    UnsupportedAdapter { adapter: String },
}

/// One event of a run's stream (`text/event-stream`, event `run`, data this as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RunEvent {
    /// The provider call starts; the run will be recorded as this trace.
    #[serde(rename_all = "camelCase")]
    Started { trace_id: String },
    /// Text as it arrives.
    Delta { text: String },
    /// A complete tool call.
    ToolCall { call: ToolCall },
    /// The answer is complete and recorded.
    #[serde(rename_all = "camelCase")]
    Done {
        trace_id: String,
        /// Time to first token, ms.
        ttft_ms: Option<u64>,
        total_ms: u64,
        usage: Option<RunUsage>,
        /// USD from the project's price table, when the model has a price.
        cost: Option<f64>,
    },
    /// The provider failed; what arrived before is kept in the column.
    #[serde(rename_all = "camelCase")]
    Failed { trace_id: Option<String>, problem: ProviderProblem },
}

/// The event name of a run's stream.
pub const RUN_EVENT: &str = "run";

/// A connection as the playground offers it: its name, wire format and models (never a key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaygroundConnection {
    pub name: String,
    pub adapter: crate::llm_connections::Adapter,
    pub models: Vec<String>,
}

/// A playground saved by name and shared with the project (its state is loaded on opening).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlayground {
    pub id: String,
    pub name: String,
    /// Who saved it last (name or email).
    pub updated_by: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// What the page opens with: the project's connections and saved playgrounds, and what the URL
/// asked to open (a prompt version, a generation to replay, or a saved playground), if anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaygroundStart {
    pub connections: Vec<PlaygroundConnection>,
    pub saved: Vec<SavedPlayground>,
    pub opened: Option<Playground>,
    /// The saved playground `opened` is, when it is one.
    pub opened_saved: Option<SavedPlayground>,
    /// A saved playground is a shared document: the page binds to it (`opened` is its state).
    #[serde(default)]
    pub shared: Option<crate::collab::playground::PlaygroundView>,
}

impl Playground {
    /// A prompt version opened in the playground: its messages (or text), its variables to
    /// fill, and the model settings and tools its config names (Langfuse's conventional
    /// `model`, `temperature`, `max_tokens`, `top_p`, `tools`, `response_format` keys).
    pub fn from_prompt(version: &crate::prompts::PromptVersion, connections: &[PlaygroundConnection]) -> Playground {
        use crate::prompts::{ChatItem, PromptBody};
        let mut playground = Playground { prompt: Some(PromptSource { name: version.name.clone(), version: version.version }), ..Playground::default() };
        match &version.prompt {
            PromptBody::Text(text) => {
                playground.mode = PromptMode::Text;
                playground.text = text.clone();
                playground.messages = Vec::new();
            }
            PromptBody::Chat(items) => {
                playground.messages = items
                    .iter()
                    .map(|item| match item {
                        ChatItem::Message { role, content } => Message::new(Role::parse(role).filter(|r| *r != Role::Placeholder).unwrap_or(Role::User), content.clone()),
                        ChatItem::Placeholder { name } => Message::new(Role::Placeholder, name.clone()),
                    })
                    .collect();
            }
        }
        let config = &version.config;
        playground.variants = vec![variant_for(config.get("model").and_then(Value::as_str), config, connections)];
        if let Some(tools) = config.get("tools").filter(|t| t.is_array()) {
            playground.tools = serde_json::to_string_pretty(&openai_tools_to_ours(tools)).unwrap_or_default();
        }
        if let Some(schema) = config.pointer("/response_format/json_schema/schema").or_else(|| config.get("response_schema")) {
            playground.response_schema = serde_json::to_string_pretty(schema).unwrap_or_default();
        }
        playground.fill_variable_slots();
        playground
    }

    /// A generation replayed: its input messages (OpenAI's chat shape, as the SDKs record them,
    /// or a plain string), model, parameters and tools.
    pub fn from_generation(input: Option<&Value>, model: Option<&str>, parameters: Option<&Value>, metadata: &Value, connections: &[PlaygroundConnection]) -> Playground {
        let mut playground = Playground::default();
        let input = input.cloned().unwrap_or(Value::Null);
        let (messages, tools) = match &input {
            Value::Array(items) => (Some(items.clone()), None),
            Value::Object(map) => (map.get("messages").and_then(Value::as_array).cloned(), map.get("tools").cloned()),
            _ => (None, None),
        };
        match messages {
            Some(items) => playground.messages = items.iter().filter_map(message_from_openai).collect(),
            None => {
                let text = match &input {
                    Value::String(text) => text.clone(),
                    Value::Null => String::new(),
                    other => serde_json::to_string_pretty(other).unwrap_or_default(),
                };
                playground.messages = vec![Message::new(Role::User, text)];
            }
        }
        let params = parameters.cloned().unwrap_or(Value::Null);
        playground.variants = vec![variant_for(model, &params, connections)];
        if let Some(tools) = tools.or_else(|| metadata.get("tools").cloned()).filter(|t| t.is_array()) {
            playground.tools = serde_json::to_string_pretty(&openai_tools_to_ours(&tools)).unwrap_or_default();
        }
        if let Some(schema) = metadata.get("responseSchema") {
            playground.response_schema = serde_json::to_string_pretty(schema).unwrap_or_default();
        }
        playground.fill_variable_slots();
        playground
    }

    /// An empty value for every variable and placeholder not filled yet.
    pub fn fill_variable_slots(&mut self) {
        for name in self.variable_names().into_iter().chain(self.placeholder_names()) {
            self.variables.entry(name).or_default();
        }
    }

    /// The content of a prompt version made from this playground (variant `index`'s model
    /// settings become the config): the type, the text or chat items, and the config.
    pub fn to_prompt_content(&self, index: usize) -> (crate::prompts::PromptType, crate::prompts::PromptBody, Value) {
        use crate::prompts::{ChatItem, PromptBody, PromptType};
        let mut config = serde_json::Map::new();
        if let Some(variant) = self.variants.get(index) {
            if !variant.model.is_empty() {
                config.insert("model".into(), variant.model.clone().into());
            }
            if let Value::Object(params) = variant.params.to_json() {
                config.extend(params);
            }
        }
        if let Ok(tools) = parse_tools(&self.tools) {
            if !tools.is_empty() {
                config.insert("tools".into(), serde_json::to_value(&tools).unwrap_or_default());
            }
        }
        if let Ok(Some(schema)) = parse_response_schema(&self.response_schema) {
            config.insert("response_format".into(), serde_json::json!({"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}));
        }
        let body = match self.mode {
            PromptMode::Text => PromptBody::Text(self.text.clone()),
            PromptMode::Chat => PromptBody::Chat(
                self.messages
                    .iter()
                    .filter(|m| m.role != Role::Tool && !(m.role == Role::Assistant && !m.tool_calls.is_empty()))
                    .map(|m| match m.role {
                        Role::Placeholder => ChatItem::Placeholder { name: m.content.trim().to_string() },
                        role => ChatItem::Message { role: role.as_str().to_string(), content: m.content.clone() },
                    })
                    .collect(),
            ),
        };
        let prompt_type = if self.mode == PromptMode::Text { PromptType::Text } else { PromptType::Chat };
        (prompt_type, body, Value::Object(config))
    }
}

/// The connection offering `model` (the first one that lists it, else the first one), with the
/// parameters `params` names.
fn variant_for(model: Option<&str>, params: &Value, connections: &[PlaygroundConnection]) -> Variant {
    let model = model.unwrap_or_default().to_string();
    let connection = connections
        .iter()
        .find(|c| c.models.iter().any(|m| *m == model))
        .or_else(|| connections.first())
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let number = |key: &str| params.get(key).and_then(Value::as_f64);
    let params = ModelParams {
        temperature: number("temperature"),
        max_tokens: number("max_tokens").or_else(|| number("maxTokens")).or_else(|| number("max_completion_tokens")).map(|m| m as u32),
        top_p: number("top_p").or_else(|| number("topP")),
        stop: match params.get("stop") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        },
        seed: params.get("seed").and_then(Value::as_u64),
    };
    Variant { connection, model, params }
}

/// OpenAI's `{type: "function", function: {name, description, parameters}}` tools (as traces
/// and prompt configs hold them) in the playground's `{name, description, parameters}` shape;
/// tools already in that shape are kept.
fn openai_tools_to_ours(tools: &Value) -> Value {
    let items = tools.as_array().cloned().unwrap_or_default();
    Value::Array(items.into_iter().map(|tool| tool.get("function").cloned().unwrap_or(tool)).collect())
}

/// A message of OpenAI's chat shape; content given as parts keeps its text parts.
fn message_from_openai(item: &Value) -> Option<Message> {
    let role = Role::parse(item.get("role")?.as_str()?).filter(|r| *r != Role::Placeholder)?;
    let content = match item.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n"),
        _ => String::new(),
    };
    let mut message = Message::new(role, content);
    if let Some(calls) = item.get("tool_calls").and_then(Value::as_array) {
        message.tool_calls = calls
            .iter()
            .filter_map(|call| {
                let function = call.get("function")?;
                Some(ToolCall {
                    id: call.get("id").and_then(Value::as_str).unwrap_or_default().to_string(),
                    name: function.get("name")?.as_str()?.to_string(),
                    arguments: match function.get("arguments") {
                        Some(Value::String(text)) => text.clone(),
                        Some(other) => other.to_string(),
                        None => "{}".into(),
                    },
                })
            })
            .collect();
    }
    message.tool_call_id = item.get("tool_call_id").and_then(Value::as_str).map(str::to_string);
    Some(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request() -> RunRequest {
        RunRequest {
            mode: PromptMode::Chat,
            messages: vec![Message::new(Role::System, "You are {{persona}}."), Message::new(Role::User, "Hi {{ name }}"), Message::new(Role::Placeholder, "history")],
            text: String::new(),
            variables: BTreeMap::from([("persona".into(), "kind".into()), ("name".into(), "小明".into())]),
            tools: String::new(),
            response_schema: String::new(),
            variant: Variant { connection: "openai".into(), model: "gpt-4o".into(), params: ModelParams::default() },
            prompt: None,
        }
    }

    #[test]
    fn variables_are_found_and_filled() {
        let run = request().checked().unwrap();
        assert_eq!(run.messages[0].content, "You are kind.");
        assert_eq!(run.messages[1].content, "Hi 小明");
        assert_eq!(run.messages.len(), 2, "an empty placeholder adds nothing");
        let mut missing = request();
        missing.variables.remove("name");
        assert_eq!(missing.checked().unwrap_err(), RunProblem::VariableEmpty { name: "name".into() });
        assert_eq!(missing.checked().unwrap_err().field(), "variables.name");
    }

    #[test]
    fn placeholders_expand_into_messages() {
        let mut r = request();
        r.variables.insert("history".into(), r#"[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]"#.into());
        let run = r.checked().unwrap();
        assert_eq!(run.messages.iter().map(|m| m.role).collect::<Vec<_>>(), [Role::System, Role::User, Role::User, Role::Assistant]);
        r.variables.insert("history".into(), r#"[{"role":"robot","content":"a"}]"#.into());
        assert!(matches!(r.checked().unwrap_err(), RunProblem::PlaceholderInvalid { name, .. } if name == "history"));
        r.variables.insert("history".into(), "not json".into());
        assert!(matches!(r.checked().unwrap_err(), RunProblem::PlaceholderInvalid { .. }));
    }

    #[test]
    fn tools_and_schema_are_checked_as_typed() {
        let mut r = request();
        r.tools = json!([{"name": "get_weather", "description": "d", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]).to_string();
        r.response_schema = json!({"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}).to_string();
        let run = r.checked().unwrap();
        assert_eq!(run.tools[0].name, "get_weather");
        assert!(run.response_schema.is_some());
        r.tools = json!([{"name": "bad name", "parameters": {"type": "object"}}]).to_string();
        assert!(matches!(r.checked().unwrap_err(), RunProblem::ToolInvalid { index: 0, .. }));
        r.tools = json!([{"name": "x", "parameters": {"type": "object", "required": ["y"]}}]).to_string();
        assert!(matches!(r.checked().unwrap_err(), RunProblem::ToolInvalid { detail, .. } if detail.contains("\"y\"")));
        r.tools = json!([{"name": "x", "parameters": {"type": "strin"}}]).to_string();
        assert!(matches!(r.checked().unwrap_err(), RunProblem::ToolInvalid { .. }));
        r.tools = "[".into();
        assert!(matches!(r.checked().unwrap_err(), RunProblem::ToolsInvalid { .. }));
        r.tools = String::new();
        r.response_schema = json!({"type": "object", "properties": {"a": {"type": 3}}}).to_string();
        assert!(matches!(r.checked().unwrap_err(), RunProblem::ResponseSchemaInvalid { detail } if detail.contains("properties.a")));
    }

    #[test]
    fn parameters_out_of_range_are_named() {
        let mut r = request();
        r.variant.params.temperature = Some(2.5);
        assert_eq!(r.checked().unwrap_err(), RunProblem::Temperature);
        r.variant.params.temperature = Some(0.2);
        r.variant.params.top_p = Some(1.5);
        assert_eq!(r.checked().unwrap_err(), RunProblem::TopP);
        r.variant.params.top_p = None;
        r.variant.params.max_tokens = Some(0);
        assert_eq!(r.checked().unwrap_err(), RunProblem::MaxTokens);
        r.variant.params.max_tokens = Some(100);
        r.variant.model = " ".into();
        assert_eq!(r.checked().unwrap_err(), RunProblem::NoModel);
    }

    #[test]
    fn a_run_needs_a_message_beyond_the_system_one() {
        let mut r = request();
        r.messages = vec![Message::new(Role::System, "x"), Message::new(Role::User, "  ")];
        assert_eq!(r.checked().unwrap_err(), RunProblem::NoMessages);
        r.mode = PromptMode::Text;
        r.text = "Translate {{name}}".into();
        assert_eq!(r.checked().unwrap().messages, vec![Message::new(Role::User, "Translate 小明")]);
    }

    #[test]
    fn events_have_a_stable_wire_shape() {
        let done = RunEvent::Done { trace_id: "t".into(), ttft_ms: Some(12), total_ms: 40, usage: Some(RunUsage { input: 3, output: 4, total: 7 }), cost: None };
        let json = serde_json::to_value(&done).unwrap();
        assert_eq!(json["type"], "done");
        assert_eq!(json["ttftMs"], 12);
        let failed = RunEvent::Failed { trace_id: None, problem: ProviderProblem::RateLimited { retry_after_seconds: Some(3), message: "slow down".into() } };
        let back: RunEvent = serde_json::from_value(serde_json::to_value(&failed).unwrap()).unwrap();
        assert_eq!(back, failed);
    }

    #[test]
    fn a_generation_is_replayed_with_its_messages_model_and_tools() {
        let connections = vec![
            PlaygroundConnection { name: "a".into(), adapter: crate::llm_connections::Adapter::Anthropic, models: vec!["claude".into()] },
            PlaygroundConnection { name: "o".into(), adapter: crate::llm_connections::Adapter::OpenAi, models: vec!["gpt-4o".into()] },
        ];
        let input = json!([
            {"role": "system", "content": "Be brief"},
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{\"city\":\"Oslo\"}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "cold"},
        ]);
        let metadata = json!({"tools": [{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}]});
        let p = Playground::from_generation(Some(&input), Some("gpt-4o"), Some(&json!({"temperature": 0.5, "max_tokens": 30})), &metadata, &connections);
        assert_eq!(p.messages.len(), 4);
        assert_eq!(p.messages[1].content, "Weather?");
        assert_eq!(p.messages[2].tool_calls[0].arguments, "{\"city\":\"Oslo\"}");
        assert_eq!(p.messages[3].tool_call_id.as_deref(), Some("c1"));
        assert_eq!(p.variants[0].connection, "o", "the connection that offers the model");
        assert_eq!(p.variants[0].params.temperature, Some(0.5));
        assert_eq!(p.variants[0].params.max_tokens, Some(30));
        assert_eq!(parse_tools(&p.tools).unwrap()[0].name, "w");
        let text = Playground::from_generation(Some(&json!("Summarize this")), None, None, &Value::Null, &connections);
        assert_eq!(text.messages, vec![Message::new(Role::User, "Summarize this")]);
    }

    #[test]
    fn a_prompt_round_trips_through_the_playground() {
        use crate::prompts::{ChatItem, PromptBody, PromptType, PromptVersion};
        let version = PromptVersion {
            id: "id".into(),
            project_id: "p".into(),
            name: "support/answer".into(),
            version: 3,
            prompt_type: PromptType::Chat,
            prompt: PromptBody::Chat(vec![
                ChatItem::Message { role: "system".into(), content: "You help {{customer}}".into() },
                ChatItem::Placeholder { name: "history".into() },
                ChatItem::Message { role: "user".into(), content: "{{question}}".into() },
            ]),
            config: json!({"model": "gpt-4o", "temperature": 0.1}),
            labels: vec![],
            tags: vec![],
            commit_message: None,
            created_by: "API".into(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            author: None,
        };
        let p = Playground::from_prompt(&version, &[]);
        assert_eq!(p.prompt, Some(PromptSource { name: "support/answer".into(), version: 3 }));
        assert_eq!(p.variables.keys().collect::<Vec<_>>(), ["customer", "history", "question"]);
        assert_eq!(p.variants[0].model, "gpt-4o");
        let (prompt_type, body, config) = p.to_prompt_content(0);
        assert_eq!(prompt_type, PromptType::Chat);
        assert_eq!(body, version.prompt);
        assert_eq!(config, json!({"model": "gpt-4o", "temperature": 0.1}));
    }
}
