//! Prompts (docs/COMPATIBILITY.md §5): versions of a named text or chat prompt, their labels, the
//! rules a new version must satisfy, the variables and placeholders in it, and the composability
//! tags (`@@@langfusePrompt:name=…|label=…@@@`) it references. The one definition used by the
//! public API, the server functions and the browser's editor, so the editor flags exactly what the
//! server would refuse, with the same field names.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use super::json;

/// `latest` always points at a name's newest version; nobody sets it by hand.
pub const LATEST: &str = "latest";
/// The label served when a request names neither a label nor a version.
pub const PRODUCTION: &str = "production";
/// Nested prompt references resolve at most this deep (Langfuse's limit).
pub const MAX_DEPTH: usize = 5;
pub const MAX_NAME: usize = 255;
pub const MAX_LABEL: usize = 36;
pub const MAX_COMMIT_MESSAGE: usize = 500;
/// Names the UI uses as path segments of its own.
const RESERVED_NAMES: &[&str] = &["new", "metrics", "prompt-detail"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PromptType {
    #[default]
    Text,
    Chat,
}

impl PromptType {
    pub fn as_str(self) -> &'static str {
        match self {
            PromptType::Text => "text",
            PromptType::Chat => "chat",
        }
    }

    pub fn parse(raw: &str) -> Option<PromptType> {
        match raw {
            "text" => Some(PromptType::Text),
            "chat" => Some(PromptType::Chat),
            _ => None,
        }
    }
}

/// One entry of a chat prompt: a message, or a placeholder that the SDK's `compile` replaces
/// with a list of messages (e.g. the conversation so far).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChatItem {
    Message { role: String, content: String },
    Placeholder { name: String },
}

impl Serialize for ChatItem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        match self {
            ChatItem::Message { role, content } => {
                map.serialize_entry("role", role)?;
                map.serialize_entry("content", content)?;
            }
            ChatItem::Placeholder { name } => {
                map.serialize_entry("type", "placeholder")?;
                map.serialize_entry("name", name)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ChatItem {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        chat_item(&value, "message").map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// A prompt's content: a text template, or chat messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PromptBody {
    Text(String),
    Chat(Vec<ChatItem>),
}

impl Default for PromptBody {
    fn default() -> Self {
        PromptBody::Text(String::new())
    }
}

impl PromptBody {
    pub fn prompt_type(&self) -> PromptType {
        match self {
            PromptBody::Text(_) => PromptType::Text,
            PromptBody::Chat(_) => PromptType::Chat,
        }
    }

    /// The texts that may hold variables and prompt references, in order.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            PromptBody::Text(text) => vec![text.as_str()],
            PromptBody::Chat(items) => items
                .iter()
                .filter_map(|item| match item {
                    ChatItem::Message { content, .. } => Some(content.as_str()),
                    ChatItem::Placeholder { .. } => None,
                })
                .collect(),
        }
    }

    pub fn placeholders(&self) -> Vec<&str> {
        match self {
            PromptBody::Text(_) => Vec::new(),
            PromptBody::Chat(items) => items
                .iter()
                .filter_map(|item| match item {
                    ChatItem::Placeholder { name } => Some(name.as_str()),
                    ChatItem::Message { .. } => None,
                })
                .collect(),
        }
    }

    /// Variable names in order of first appearance, without duplicates.
    pub fn variables(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for text in self.texts() {
            for name in variables(text) {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
        }
        names
    }

    /// Every composability tag of the prompt, in order.
    pub fn references(&self) -> Vec<PromptReference> {
        self.texts().into_iter().flat_map(|text| references(text).into_iter().map(|(_, r)| r)).collect()
    }

    /// Reads `prompt` as the given type: a string for text, an array of messages for chat.
    pub fn from_json(prompt_type: PromptType, value: &Value) -> Result<PromptBody, FieldError> {
        match (prompt_type, value) {
            (PromptType::Text, Value::String(text)) => Ok(PromptBody::Text(text.clone())),
            (PromptType::Text, other) => Err(FieldError::new(
                "prompt",
                format!("a text prompt is a string, got {}; send \"type\": \"chat\" for a list of messages", json::kind(other)),
            )),
            (PromptType::Chat, Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| chat_item(item, &format!("prompt[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(PromptBody::Chat),
            (PromptType::Chat, other) => Err(FieldError::new(
                "prompt",
                format!("a chat prompt is an array of {{role, content}} messages, got {}", json::kind(other)),
            )),
        }
    }
}

/// One chat entry from JSON: `{role, content}` (the JS SDK's extra `"type": "chatmessage"` is
/// accepted and dropped) or `{"type": "placeholder", "name"}`.
fn chat_item(value: &Value, path: &str) -> Result<ChatItem, FieldError> {
    let Value::Object(map) = value else {
        return Err(FieldError::new(path, format!("expected a {{role, content}} message, got {}", json::kind(value))));
    };
    let string = |key: &str| -> Result<Option<String>, FieldError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(FieldError::new(format!("{path}.{key}"), format!("expected a string, got {}", json::kind(other)))),
        }
    };
    match string("type")?.as_deref() {
        Some("placeholder") => {
            let name = string("name")?.ok_or_else(|| FieldError::new(format!("{path}.name"), "a placeholder needs a name"))?;
            Ok(ChatItem::Placeholder { name })
        }
        None | Some("chatmessage") => {
            let role = string("role")?
                .ok_or_else(|| FieldError::new(format!("{path}.role"), "every message needs a role (system, user, assistant, …)"))?;
            let content = string("content")?.ok_or_else(|| FieldError::new(format!("{path}.content"), "every message needs content"))?;
            Ok(ChatItem::Message { role, content })
        }
        Some(other) => Err(FieldError::new(
            format!("{path}.type"),
            format!("unknown message type {other:?}; use \"chatmessage\" or \"placeholder\""),
        )),
    }
}

/// A rule broken by input, with the field it is about (`prompt[2].role`, `labels[0]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    /// In English: what the public API answers (programs read it).
    pub message: String,
    /// The rule, for the UI to say in the person's language; `None` for the shapes of JSON only
    /// the public API receives (the UI builds typed prompts), which stay English.
    #[serde(skip)]
    pub problem: Option<PromptProblem>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), message: message.into(), problem: None }
    }

    /// A broken rule the UI can meet, with its English message.
    pub fn of(field: impl Into<String>, problem: PromptProblem) -> FieldError {
        FieldError { field: field.into(), message: problem.to_string(), problem: Some(problem) }
    }
}

/// The prompt rules a person can break in the UI (its editor, labels, composability); the UI
/// words them in the person's language (`app`'s `pages::prompts_text`), `Display` in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptProblem {
    NameEmpty,
    NameTooLong,
    NameSpaces,
    NameCharacter(char),
    NameDelimiter,
    NameEmptyFolder,
    NameReserved(String),
    LabelLength,
    LabelCharacter(char),
    LatestIsAutomatic,
    TagLength,
    CommitMessageTooLong,
    NulCharacter,
    MessageNeedsRole,
    PlaceholderName,
    PlaceholderTwice(String),
    VariableAndPlaceholder(String),
    /// The config is JSON but not an object (what it is: "an array", …).
    ConfigNotObject(&'static str),
    /// The config is not JSON; `detail` is the parser's own words (English).
    ConfigNotJson { line: usize, column: usize, detail: String },
    /// A new version of another type than the prompt's (`kind`, `new_kind`: text or chat).
    TypeChanged { name: String, kind: String, new_kind: String },
    LabelNotOnVersion { version: i32, name: String, label: String },
    /// Other prompts (name, version) use the label or version being removed.
    Referenced(Vec<(String, i32)>),
    ReferenceMissing { name: String, reference: PromptReference },
    ReferenceNotText { name: String, reference: PromptReference },
    /// `back_to`: the prompt the chain of references returns to.
    ReferenceCycle { name: String, reference: PromptReference, back_to: String },
    ReferenceTooDeep { name: String, reference: PromptReference, depth: usize },
}

impl std::fmt::Display for PromptProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PromptProblem::NameEmpty => f.write_str("a prompt needs a name"),
            PromptProblem::NameTooLong => f.write_str("a prompt name has at most 255 characters"),
            PromptProblem::NameSpaces => f.write_str("a prompt name cannot start or end with a space"),
            PromptProblem::NameCharacter(c) => write!(f, "a prompt name cannot contain {c:?}"),
            PromptProblem::NameDelimiter => f.write_str("a prompt name cannot contain \"@@@\" (it delimits prompt references)"),
            PromptProblem::NameEmptyFolder => f.write_str("folders in a prompt name need a name: no leading, trailing or double \"/\""),
            PromptProblem::NameReserved(name) => write!(f, "{name:?} is reserved; choose another name"),
            PromptProblem::LabelLength => f.write_str("a label has 1 to 36 characters"),
            PromptProblem::LabelCharacter(c) => write!(f, "a label may only use a-z, 0-9, _, - and . (found {c:?})"),
            PromptProblem::LatestIsAutomatic => f.write_str("Label 'latest' is always assigned to the latest prompt version"),
            PromptProblem::TagLength => f.write_str("a tag has 1 to 255 characters"),
            PromptProblem::CommitMessageTooLong => f.write_str("a commit message has at most 500 characters"),
            PromptProblem::NulCharacter => f.write_str("contains a NUL character (\\u0000), which cannot be stored; remove it"),
            PromptProblem::MessageNeedsRole => f.write_str("every message needs a role (system, user, assistant, …)"),
            PromptProblem::PlaceholderName => f.write_str("a placeholder name starts with a letter and has only letters, digits and _"),
            PromptProblem::PlaceholderTwice(name) => write!(f, "placeholder {name:?} appears twice"),
            PromptProblem::VariableAndPlaceholder(name) => write!(f, "{name:?} is both a variable and a placeholder; rename one"),
            PromptProblem::ConfigNotObject(kind) => write!(f, "config must be a JSON object such as {{\"temperature\": 0.7}}, not {kind}"),
            PromptProblem::ConfigNotJson { line, column, detail } => write!(f, "config is not valid JSON: line {line}, column {column}: {detail}"),
            PromptProblem::TypeChanged { name, kind, new_kind } => write!(
                f,
                "{name:?} is a {kind} prompt; a new version must be a {kind} prompt too (create a prompt with another name for {new_kind} content)"
            ),
            PromptProblem::LabelNotOnVersion { version, name, label } => write!(f, "version {version} of {name:?} does not have the label {label:?}"),
            PromptProblem::Referenced(users) => {
                let users: Vec<String> = users.iter().map(|(n, v)| format!("{n:?} version {v}")).collect();
                write!(f, "{} references this prompt by what you are removing; change or delete it first", users.join(", "))
            }
            PromptProblem::ReferenceMissing { name, reference } => write!(f, "{name:?} references {reference}, which does not exist"),
            PromptProblem::ReferenceNotText { name, reference } => {
                write!(f, "{name:?} references {reference}, which is a chat prompt; only text prompts can be inserted")
            }
            PromptProblem::ReferenceCycle { name, reference, back_to } => {
                write!(f, "{name:?} references {reference}, which leads back to {back_to:?}: prompt references cannot form a cycle")
            }
            PromptProblem::ReferenceTooDeep { name, reference, depth } => {
                write!(f, "{name:?} nests prompt references more than {depth} levels deep (at {reference})")
            }
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A prompt name: non-empty, at most 255 characters, `/` separates folders (no empty folder),
/// no `|` (it separates a reference's parts), no HTML or control characters, not a word the UI
/// uses in its own paths.
pub fn check_name(name: &str) -> Result<(), FieldError> {
    let err = |problem| Err(FieldError::of("name", problem));
    if name.trim().is_empty() {
        return err(PromptProblem::NameEmpty);
    }
    if name.chars().count() > MAX_NAME {
        return err(PromptProblem::NameTooLong);
    }
    if name != name.trim() {
        return err(PromptProblem::NameSpaces);
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '|' | '<' | '>') || c.is_control()) {
        return err(PromptProblem::NameCharacter(c));
    }
    if name.contains("@@@") {
        return err(PromptProblem::NameDelimiter);
    }
    if name.split('/').any(|segment| segment.trim().is_empty()) {
        return err(PromptProblem::NameEmptyFolder);
    }
    if RESERVED_NAMES.contains(&name) {
        return err(PromptProblem::NameReserved(name.to_string()));
    }
    Ok(())
}

/// A label: 1–36 characters of `a-z 0-9 _ - .`.
pub fn check_label(field: &str, label: &str) -> Result<(), FieldError> {
    if label.is_empty() || label.len() > MAX_LABEL {
        return Err(FieldError::of(field, PromptProblem::LabelLength));
    }
    if let Some(c) = label.chars().find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '-' | '.')) {
        return Err(FieldError::of(field, PromptProblem::LabelCharacter(c)));
    }
    Ok(())
}

/// Labels a person or key asks to put on a version (not `latest`, which follows the newest
/// version by itself).
pub fn check_assignable_labels(labels: &[String]) -> Result<(), FieldError> {
    for (i, label) in labels.iter().enumerate() {
        let field = format!("labels[{i}]");
        check_label(&field, label)?;
        if label == LATEST {
            return Err(FieldError::of(field, PromptProblem::LatestIsAutomatic));
        }
    }
    Ok(())
}

pub fn check_tags(tags: &[String]) -> Result<(), FieldError> {
    for (i, tag) in tags.iter().enumerate() {
        if tag.trim().is_empty() || tag.chars().count() > 255 {
            return Err(FieldError::of(format!("tags[{i}]"), PromptProblem::TagLength));
        }
    }
    Ok(())
}

/// A variable or placeholder name: a letter, then letters, digits and `_`.
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic()) && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// The `{{name}}` variables of a text, in order (repeats included). Whitespace inside the braces
/// is trimmed, as the SDKs' `compile` does; anything that is not a variable name is not a
/// variable (and `compile` leaves it verbatim).
pub fn variables(text: &str) -> Vec<&str> {
    variable_spans(text).into_iter().map(|(_, name)| name).collect()
}

/// Like [`variables`], with the byte range of each `{{…}}` (for highlighting).
pub fn variable_spans(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let inner_start = open + 2;
        let Some(close) = text[inner_start..].find("}}").map(|i| inner_start + i) else { break };
        let inner = &text[inner_start..close];
        // `{{ {{a}} }}`: the innermost pair counts, as with Langfuse's `{{([^{}]*)}}`.
        if let Some(brace) = inner.rfind('{') {
            from = inner_start + inner.rfind("{{").unwrap_or(brace + 1);
            continue;
        }
        let name = inner.trim();
        if !inner.contains('}') && is_variable_name(name) {
            found.push((open..close + 2, name));
        }
        from = close + 2;
    }
    found
}

/// What a composability tag points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PromptTarget {
    Label(String),
    Version(i32),
}

/// `@@@langfusePrompt:name=<name>|label=<label>@@@` or `…|version=<n>@@@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PromptReference {
    pub name: String,
    pub target: PromptTarget,
}

impl std::fmt::Display for PromptReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.target {
            PromptTarget::Label(label) => write!(f, "{} (label {label})", self.name),
            PromptTarget::Version(version) => write!(f, "{} (version {version})", self.name),
        }
    }
}

const TAG_OPEN: &str = "@@@langfusePrompt:";
const TAG_CLOSE: &str = "@@@";

/// The well-formed composability tags of a text, with their byte ranges. A tag needs exactly two
/// `|`-separated parts, `name=` first, then `label=` or `version=` (an integer); anything else is
/// left as text, as Langfuse does.
pub fn references(text: &str) -> Vec<(std::ops::Range<usize>, PromptReference)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find(TAG_OPEN).map(|i| from + i) {
        let body_start = open + TAG_OPEN.len();
        let Some(close) = text[body_start..].find(TAG_CLOSE).map(|i| body_start + i) else { break };
        if let Some(reference) = parse_reference(&text[body_start..close]) {
            found.push((open..close + TAG_CLOSE.len(), reference));
        }
        from = close + TAG_CLOSE.len();
    }
    found
}

fn parse_reference(body: &str) -> Option<PromptReference> {
    let mut parts = body.split('|');
    let (name_part, target_part) = (parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let name = name_part.strip_prefix("name=")?;
    if name.is_empty() {
        return None;
    }
    let target = if let Some(label) = target_part.strip_prefix("label=") {
        if label.is_empty() {
            return None;
        }
        PromptTarget::Label(label.to_string())
    } else {
        PromptTarget::Version(target_part.strip_prefix("version=")?.parse().ok()?)
    };
    Some(PromptReference { name: name.to_string(), target })
}

/// The tag text of a reference (what resolution replaces).
pub fn reference_tag(reference: &PromptReference) -> String {
    match &reference.target {
        PromptTarget::Label(label) => format!("{TAG_OPEN}name={}|label={label}{TAG_CLOSE}", reference.name),
        PromptTarget::Version(version) => format!("{TAG_OPEN}name={}|version={version}{TAG_CLOSE}", reference.name),
    }
}

/// A new version of a prompt, as the editor and the public API send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NewPrompt {
    pub name: String,
    pub prompt: PromptBody,
    #[serde(default)]
    pub config: Value,
    #[serde(default)]
    pub labels: Vec<String>,
    /// `None` keeps the tags of the name's latest version; `Some` replaces them on every version.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub commit_message: Option<String>,
}

impl NewPrompt {
    /// Every rule that needs no database: name, labels, tags, config, commit message, chat
    /// roles and placeholder names, variables not colliding with placeholders. `latest` in the
    /// labels is accepted (it goes on the new version anyway) and dropped.
    pub fn normalize(mut self) -> Result<NewPrompt, FieldError> {
        self.check_no_nul()?;
        check_name(&self.name)?;
        self.labels.retain(|l| l != LATEST);
        check_assignable_labels(&self.labels)?;
        self.labels.sort();
        self.labels.dedup();
        if let Some(tags) = &mut self.tags {
            check_tags(tags)?;
            tags.sort();
            tags.dedup();
        }
        match &self.config {
            Value::Null => self.config = Value::Object(Default::default()),
            Value::Object(_) => {}
            other => {
                return Err(FieldError::new("config", format!("config is a JSON object, got {}", json::kind(other))));
            }
        }
        if let Some(message) = &self.commit_message {
            if message.chars().count() > MAX_COMMIT_MESSAGE {
                return Err(FieldError::of("commitMessage", PromptProblem::CommitMessageTooLong));
            }
            if message.trim().is_empty() {
                self.commit_message = None;
            }
        }
        check_body(&self.prompt)?;
        Ok(self)
    }
}

impl NewPrompt {
    /// Postgres stores no NUL character (`\u0000`) in text or JSON: name the field that has one.
    fn check_no_nul(&self) -> Result<(), FieldError> {
        fn has_nul<T: Serialize>(value: &T) -> bool {
            serde_json::to_string(value).is_ok_and(|json| json.contains("\\u0000"))
        }
        let fields = [
            ("name", has_nul(&self.name)),
            ("prompt", has_nul(&self.prompt)),
            ("config", has_nul(&self.config)),
            ("labels", has_nul(&self.labels)),
            ("tags", has_nul(&self.tags)),
            ("commitMessage", has_nul(&self.commit_message)),
        ];
        match fields.into_iter().find(|(_, nul)| *nul) {
            Some((field, _)) => Err(FieldError::of(field, PromptProblem::NulCharacter)),
            None => Ok(()),
        }
    }
}

/// Chat messages need a role; placeholder names are variable-like and unique; a variable and a
/// placeholder never share a name (the SDK's `compile` could not tell them apart).
pub fn check_body(body: &PromptBody) -> Result<(), FieldError> {
    let PromptBody::Chat(items) = body else { return Ok(()) };
    let mut placeholders: Vec<&str> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            ChatItem::Message { role, .. } if role.trim().is_empty() => {
                return Err(FieldError::of(format!("prompt[{i}].role"), PromptProblem::MessageNeedsRole));
            }
            ChatItem::Message { .. } => {}
            ChatItem::Placeholder { name } => {
                if !is_variable_name(name) {
                    return Err(FieldError::of(format!("prompt[{i}].name"), PromptProblem::PlaceholderName));
                }
                if placeholders.contains(&name.as_str()) {
                    return Err(FieldError::of(format!("prompt[{i}].name"), PromptProblem::PlaceholderTwice(name.clone())));
                }
                placeholders.push(name);
            }
        }
    }
    if let Some(name) = body.variables().into_iter().find(|v| placeholders.contains(&v.as_str())) {
        return Err(FieldError::of("prompt", PromptProblem::VariableAndPlaceholder(name)));
    }
    Ok(())
}

/// One stored version of a prompt, in Langfuse's JSON shape (plus the author's display name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptVersion {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub version: i32,
    #[serde(rename = "type")]
    pub prompt_type: PromptType,
    pub prompt: PromptBody,
    pub config: Value,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub commit_message: Option<String>,
    /// "API" for versions made with an API key, else the person's id.
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// The author's name or email, for the UI (not part of Langfuse's shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

impl PromptVersion {
    pub fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l == label)
    }
}

/// Which version of a name to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptSelector {
    Label(String),
    Version(i32),
}

impl PromptSelector {
    /// Langfuse's not-found message.
    pub fn not_found(&self, name: &str) -> String {
        match self {
            PromptSelector::Label(label) => format!("Prompt not found: '{name}' with label '{label}'"),
            PromptSelector::Version(version) => format!("Prompt not found: '{name}' with version {version}"),
        }
    }
}

impl From<&PromptTarget> for PromptSelector {
    fn from(target: &PromptTarget) -> Self {
        match target {
            PromptTarget::Label(label) => PromptSelector::Label(label.clone()),
            PromptTarget::Version(version) => PromptSelector::Version(*version),
        }
    }
}

/// One node of a resolution graph (Langfuse's `resolutionGraph`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphNode {
    pub id: String,
    pub name: String,
    pub version: i32,
}

/// Which versions a resolved prompt was assembled from: `dependencies[parent id]` lists the
/// versions its tags resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ResolutionGraph {
    pub root: Option<GraphNode>,
    pub dependencies: std::collections::BTreeMap<String, Vec<GraphNode>>,
}

/// A row of the prompts list: a folder, or a prompt name with its versions' summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PromptListEntry {
    Folder { path: String, prompts: i64 },
    Prompt(PromptSummary),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptSummary {
    pub name: String,
    pub prompt_type: PromptType,
    pub versions: i64,
    pub latest_version: i32,
    /// Labels over all versions, `production` first.
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub updated_by: Option<String>,
    /// Generations linked to any version of the prompt.
    pub usage: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PromptListPage {
    /// The folder shown (`""` for the top), and the search, as the server applied them.
    pub folder: String,
    pub entries: Vec<PromptListEntry>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}

/// What the prompt page needs besides the versions' metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptHistory {
    pub name: String,
    /// Newest first.
    pub versions: Vec<PromptVersion>,
    pub protected_labels: Vec<String>,
    /// What the caller may do here (the server checks again).
    pub can_write: bool,
    pub can_move_protected: bool,
    /// Versions of other prompts whose tags reference this name.
    pub dependents: Vec<PromptDependent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptDependent {
    pub name: String,
    pub version: i32,
    pub target: PromptTarget,
}

impl PromptHistory {
    pub fn version(&self, version: i32) -> Option<&PromptVersion> {
        self.versions.iter().find(|v| v.version == version)
    }

    pub fn holder(&self, label: &str) -> Option<&PromptVersion> {
        self.versions.iter().find(|v| v.has_label(label))
    }

    pub fn is_protected(&self, label: &str) -> bool {
        self.protected_labels.iter().any(|l| l == label)
    }
}

/// The generations linked to one version, so versions can be compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PromptVersionMetrics {
    pub version: i32,
    pub generations: i64,
    /// Seconds, over generations with an end time.
    pub latency_p50: Option<f64>,
    pub latency_p95: Option<f64>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
    pub total_cost: f64,
    pub first_used: Option<chrono::DateTime<chrono::Utc>>,
    pub last_used: Option<chrono::DateTime<chrono::Utc>>,
    /// Numeric and boolean scores on the generations and on their traces, averaged per name.
    pub scores: Vec<ScoreAverage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreAverage {
    pub name: String,
    /// `observation` (scores on the generation) or `trace` (scores on its trace).
    pub level: String,
    pub average: f64,
    pub count: i64,
}

/// The prompt page of a prompt, at the version or label a reference names.
pub fn prompt_href(project_id: &str, name: &str, target: Option<&PromptTarget>) -> String {
    let query = match target {
        Some(PromptTarget::Version(v)) => format!("?version={v}"),
        Some(PromptTarget::Label(label)) => format!("?label={}", super::url::encode_query(label)),
        None => String::new(),
    };
    format!("/project/{project_id}/prompts/{}{query}", super::url::encode_path(name))
}

/// The label order of the UI: `production`, `latest`, `staging`, then the rest by name.
pub fn sort_labels(labels: &mut [String]) {
    fn rank(label: &str) -> u8 {
        match label {
            PRODUCTION => 0,
            LATEST => 1,
            "staging" => 2,
            _ => 3,
        }
    }
    labels.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_nul_character_is_refused_by_field() {
        let prompt = |text: &str, config: Value| NewPrompt {
            name: "p".into(),
            prompt: PromptBody::Text(text.into()),
            config,
            labels: vec![],
            tags: None,
            commit_message: None,
        };
        assert_eq!(prompt("a\u{0}b", Value::Null).normalize().unwrap_err().field, "prompt");
        assert_eq!(prompt("ok", serde_json::json!({"k\u{0}": 1})).normalize().unwrap_err().field, "config");
        assert!(prompt("ok", Value::Null).normalize().is_ok());
    }

    #[test]
    fn variables_follow_the_sdk_rules() {
        let text = "作为一个{{expertise_level}}的影评人，请评价电影《{{ movie_name }}》{{movie_name}} {{not a var}} {{}} {{9x}} {{a{{b}}}}";
        assert_eq!(variables(text), vec!["expertise_level", "movie_name", "movie_name", "b"]);
        let body = PromptBody::Text(text.into());
        assert_eq!(body.variables(), vec!["expertise_level", "movie_name", "b"]);
        assert_eq!(variables("{{unclosed"), Vec::<&str>::new());
        assert_eq!(variables("{{élan}} {{名前}}"), vec!["élan", "名前"]);
    }

    #[test]
    fn references_need_exactly_name_and_label_or_version() {
        let text = "A @@@langfusePrompt:name=base|label=production@@@ B @@@langfusePrompt:name=f/x|version=3@@@ \
                    @@@langfusePrompt:label=x|name=y@@@ @@@langfusePrompt:name=a|version=x@@@ @@@langfusePrompt:name=a|label=b|c@@@";
        let found: Vec<PromptReference> = references(text).into_iter().map(|(_, r)| r).collect();
        assert_eq!(
            found,
            vec![
                PromptReference { name: "base".into(), target: PromptTarget::Label("production".into()) },
                PromptReference { name: "f/x".into(), target: PromptTarget::Version(3) },
            ]
        );
        assert_eq!(reference_tag(&found[1]), "@@@langfusePrompt:name=f/x|version=3@@@");
        let (range, _) = &references(text)[0];
        assert_eq!(&text[range.clone()], "@@@langfusePrompt:name=base|label=production@@@");
    }

    #[test]
    fn chat_items_read_every_sdk_shape() {
        let body = PromptBody::from_json(
            PromptType::Chat,
            &json!([{"role": "system", "content": "Be {{tone}}"}, {"type": "placeholder", "name": "history"},
                    {"type": "chatmessage", "role": "user", "content": "Hi"}]),
        )
        .unwrap();
        assert_eq!(body.placeholders(), vec!["history"]);
        assert_eq!(body.variables(), vec!["tone"]);
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!([{"role": "system", "content": "Be {{tone}}"}, {"type": "placeholder", "name": "history"},
                   {"role": "user", "content": "Hi"}])
        );
        let err = PromptBody::from_json(PromptType::Chat, &json!([{"role": "user", "content": "x"}, {"content": "y"}])).unwrap_err();
        assert_eq!(err.field, "prompt[1].role");
        let err = PromptBody::from_json(PromptType::Text, &json!([])).unwrap_err();
        assert_eq!(err.field, "prompt");
        let err = PromptBody::from_json(PromptType::Chat, &json!([{"type": "image"}])).unwrap_err();
        assert_eq!(err.field, "prompt[0].type");
        // The same shapes through serde (server functions).
        let round: PromptBody = serde_json::from_value(serde_json::to_value(&body).unwrap()).unwrap();
        assert_eq!(round, body);
    }

    #[test]
    fn names_and_labels() {
        for good in ["movie-critic", "team/a/b", "影评", "a b"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", " ", "a|b", "<b>x</b>", "/a", "a/", "a//b", "new", "x\u{7}", &"n".repeat(256)] {
            assert_eq!(check_name(bad).unwrap_err().field, "name", "{bad:?}");
        }
        assert!(check_label("l", "prod-1.2_x").is_ok());
        for bad in ["", "Prod", "a b", &"a".repeat(37)] {
            assert!(check_label("l", bad).is_err(), "{bad}");
        }
        let err = check_assignable_labels(&["staging".into(), "latest".into()]).unwrap_err();
        assert_eq!(err.field, "labels[1]");
        assert!(err.message.contains("latest"));
    }

    #[test]
    fn new_prompt_rules() {
        let ok = NewPrompt {
            name: "x".into(),
            prompt: PromptBody::Text("hi".into()),
            labels: vec!["latest".into(), "production".into(), "production".into()],
            commit_message: Some("  ".into()),
            ..Default::default()
        }
        .normalize()
        .unwrap();
        assert_eq!(ok.labels, vec!["production"]);
        assert_eq!(ok.config, json!({}));
        assert_eq!(ok.commit_message, None);

        let bad = |p: NewPrompt| p.normalize().unwrap_err().field;
        assert_eq!(bad(NewPrompt { name: "x".into(), config: json!([1]), ..Default::default() }), "config");
        assert_eq!(bad(NewPrompt { name: "x".into(), commit_message: Some("m".repeat(501)), ..Default::default() }), "commitMessage");
        assert_eq!(bad(NewPrompt { name: "x".into(), tags: Some(vec!["".into()]), ..Default::default() }), "tags[0]");
        let clash = PromptBody::Chat(vec![
            ChatItem::Message { role: "user".into(), content: "{{history}}".into() },
            ChatItem::Placeholder { name: "history".into() },
        ]);
        assert_eq!(bad(NewPrompt { name: "x".into(), prompt: clash, ..Default::default() }), "prompt");
        let bad_placeholder = PromptBody::Chat(vec![ChatItem::Placeholder { name: "1x".into() }]);
        assert_eq!(bad(NewPrompt { name: "x".into(), prompt: bad_placeholder, ..Default::default() }), "prompt[0].name");
        let no_role = PromptBody::Chat(vec![ChatItem::Message { role: " ".into(), content: "x".into() }]);
        assert_eq!(bad(NewPrompt { name: "x".into(), prompt: no_role, ..Default::default() }), "prompt[0].role");
    }

    #[test]
    fn label_order() {
        let mut labels: Vec<String> = ["zeta", "staging", "latest", "alpha", "production"].map(String::from).to_vec();
        sort_labels(&mut labels);
        assert_eq!(labels, ["production", "latest", "staging", "alpha", "zeta"]);
    }

    #[test]
    fn links_keep_folders_readable() {
        let label = PromptTarget::Label("staging".into());
        assert_eq!(prompt_href("p1", "team/reviewer", Some(&label)), "/project/p1/prompts/team/reviewer?label=staging");
        assert_eq!(prompt_href("p1", "team/a b/影", None), "/project/p1/prompts/team/a%20b/%E5%BD%B1");
        assert_eq!(prompt_href("p1", "a b", Some(&PromptTarget::Version(3))), "/project/p1/prompts/a%20b?version=3");
    }
}
