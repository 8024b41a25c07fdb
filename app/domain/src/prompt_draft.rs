//! The prompt editor's draft: what the form holds (texts as typed, labels as checkboxes and a
//! free-text list, config as JSON text) and how it becomes a `NewPrompt`. Kept apart from the
//! component so the rules the editor shows live — every problem, each under the field it names —
//! are plain functions with unit tests, and are the server's rules (`domain::prompts`).

use serde_json::Value;
use super::json;

use crate::prompts::{
    check_assignable_labels, check_body, check_name, check_tags, ChatItem, FieldError, NewPrompt, PromptBody, PromptProblem, PromptType,
    PromptVersion, MAX_COMMIT_MESSAGE, PRODUCTION,
};

/// The chat roles the role select offers; anything else is typed as an "other" role.
pub const ROLES: [&str; 3] = ["system", "user", "assistant"];
pub const STAGING: &str = "staging";

/// Everything the editor's form holds.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct PromptDraft {
    pub name: String,
    pub prompt_type: PromptType,
    /// The text prompt and the chat messages are kept apart, so switching the type back and
    /// forth loses neither.
    pub text: String,
    pub messages: Vec<ChatItem>,
    /// JSON as typed; empty means `{}`.
    pub config: String,
    pub production: bool,
    pub staging: bool,
    /// Further labels, separated by commas or spaces.
    pub custom_labels: String,
    /// A new version of an existing prompt may leave the prompt's tags as they are
    /// (`NewPrompt.tags == None`); otherwise `tags` replaces them, even when empty.
    pub keep_tags: bool,
    /// Comma-separated.
    pub tags: String,
    pub commit_message: String,
}

/// Which part of the editor a field name (`name`, `prompt[2].role`, `labels[0]`, …) is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftField {
    Name,
    Type,
    /// The prompt as a whole (e.g. a variable that is also a placeholder).
    Prompt,
    /// One chat message or placeholder, by position.
    Item(usize),
    Config,
    Labels,
    Tags,
    CommitMessage,
    /// Nothing the form shows (e.g. the arguments of the request).
    Other,
}

impl DraftField {
    pub fn of(field: &str) -> DraftField {
        let head = field.split(['[', '.']).next().unwrap_or_default();
        match head {
            "name" => DraftField::Name,
            "type" => DraftField::Type,
            "config" => DraftField::Config,
            "labels" | "label" => DraftField::Labels,
            "tags" => DraftField::Tags,
            "commitMessage" => DraftField::CommitMessage,
            "prompt" => field
                .strip_prefix("prompt[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|index| index.parse().ok())
                .map_or(DraftField::Prompt, DraftField::Item),
            _ => DraftField::Other,
        }
    }

    /// How the form names the field in a summary ("Message 3", "Config").
    pub fn label(self) -> String {
        match self {
            DraftField::Name => "Name".into(),
            DraftField::Type => "Type".into(),
            DraftField::Prompt => "Prompt".into(),
            DraftField::Item(i) => format!("Message {}", i + 1),
            DraftField::Config => "Config".into(),
            DraftField::Labels => "Labels".into(),
            DraftField::Tags => "Tags".into(),
            DraftField::CommitMessage => "Commit message".into(),
            DraftField::Other => "Request".into(),
        }
    }
}

impl PromptDraft {
    /// A draft holding `version`'s content under `name` (a new version of it, or a duplicate).
    /// Labels are not carried over: moving `production` is a decision, not a default.
    /// Takes a prompt's type, body and config (the playground's "save as", #18), keeping the
    /// name, labels and tags.
    pub fn take_content(&mut self, (prompt_type, body, config): (crate::prompts::PromptType, PromptBody, Value)) {
        self.prompt_type = prompt_type;
        match body {
            PromptBody::Text(text) => self.text = text,
            PromptBody::Chat(items) => self.messages = items,
        }
        self.config = match &config {
            Value::Object(map) if map.is_empty() => String::new(),
            other => serde_json::to_string_pretty(other).unwrap_or_default(),
        };
    }

    pub fn from_version(name: String, version: &PromptVersion) -> PromptDraft {
        let (text, messages) = match &version.prompt {
            PromptBody::Text(text) => (text.clone(), Vec::new()),
            PromptBody::Chat(items) => (String::new(), items.clone()),
        };
        let config = match &version.config {
            Value::Object(map) if map.is_empty() => String::new(),
            Value::Null => String::new(),
            other => serde_json::to_string_pretty(other).unwrap_or_default(),
        };
        PromptDraft {
            name,
            prompt_type: version.prompt_type,
            text,
            messages,
            config,
            tags: version.tags.join(", "),
            ..PromptDraft::default()
        }
    }

    pub fn body(&self) -> PromptBody {
        match self.prompt_type {
            PromptType::Text => PromptBody::Text(self.text.clone()),
            PromptType::Chat => PromptBody::Chat(self.messages.clone()),
        }
    }

    /// The checked labels first, then the typed ones, in the order given.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = Vec::new();
        if self.production {
            labels.push(PRODUCTION.to_string());
        }
        if self.staging {
            labels.push(STAGING.to_string());
        }
        labels.extend(self.custom_labels.split([',', ' ', '\n', '\t']).map(str::trim).filter(|l| !l.is_empty()).map(String::from));
        labels
    }

    pub fn tags(&self) -> Option<Vec<String>> {
        (!self.keep_tags).then(|| self.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect())
    }

    /// Every rule the draft breaks, at most one per check, each naming its field — so several
    /// fields can show their problem at once (unlike `normalize`, which stops at the first).
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if let Err(e) = check_name(&self.name) {
            problems.push(e);
        }
        if let Err(e) = check_body(&self.body()) {
            problems.push(e);
        }
        if let Err(e) = parse_config(&self.config) {
            problems.push(e);
        }
        if let Err(e) = check_assignable_labels(&self.labels()) {
            problems.push(e);
        }
        if let Some(Err(e)) = self.tags().map(|tags| check_tags(&tags)) {
            problems.push(e);
        }
        if self.commit_message.chars().count() > MAX_COMMIT_MESSAGE {
            problems.push(FieldError::of("commitMessage", PromptProblem::CommitMessageTooLong));
        }
        problems
    }

    /// The version to send, normalized exactly as the server will.
    pub fn to_new_prompt(&self) -> Result<NewPrompt, FieldError> {
        NewPrompt {
            name: self.name.clone(),
            prompt: self.body(),
            config: parse_config(&self.config)?,
            labels: self.labels(),
            tags: self.tags(),
            commit_message: Some(self.commit_message.clone()),
        }
        .normalize()
    }
}

/// The config as typed: empty is `{}`; otherwise a JSON object, or an error with serde_json's
/// line and column.
pub fn parse_config(text: &str) -> Result<Value, FieldError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(FieldError::of("config", PromptProblem::ConfigNotObject(json::kind(&other)))),
        Err(e) => {
            // serde_json says "<what> at line L column C"; the position goes first here.
            let full = e.to_string();
            let what = full.rsplit_once(" at line ").map_or(full.as_str(), |(what, _)| what);
            Err(FieldError::of("config", PromptProblem::ConfigNotJson { line: e.line(), column: e.column(), detail: what.to_string() }))
        }
    }
}

/// The config pretty-printed, or `None` while it does not parse.
pub fn format_config(text: &str) -> Option<String> {
    let value = parse_config(text).ok()?;
    Some(serde_json::to_string_pretty(&crate::json::sorted(&value)).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft() -> PromptDraft {
        PromptDraft { name: "movie-critic".into(), text: "作为一个{{expertise_level}}的影评人，请评价电影《{{movie_name}}》".into(), ..Default::default() }
    }

    #[test]
    fn a_text_draft_becomes_the_new_prompt_the_sdk_would_send() {
        let mut d = draft();
        d.config = "{\"model\": \"gpt-4\", \"temperature\": 0.7}".into();
        d.production = true;
        d.custom_labels = "canary, eu-1".into();
        d.tags = "movies, , cjk".into();
        d.commit_message = "first".into();
        assert!(d.problems().is_empty());
        let p = d.to_new_prompt().unwrap();
        assert_eq!(p.config, json!({"model": "gpt-4", "temperature": 0.7}), "numbers stay numbers");
        assert_eq!(p.labels, vec!["canary", "eu-1", "production"]);
        assert_eq!(p.tags, Some(vec!["cjk".to_string(), "movies".to_string()]));
        assert_eq!(p.commit_message.as_deref(), Some("first"));
        assert_eq!(d.body().variables(), vec!["expertise_level", "movie_name"]);

        d.keep_tags = true;
        d.commit_message = "  ".into();
        let p = d.to_new_prompt().unwrap();
        assert_eq!(p.tags, None, "leave unchanged");
        assert_eq!(p.commit_message, None);
        d.keep_tags = false;
        d.tags = String::new();
        assert_eq!(d.to_new_prompt().unwrap().tags, Some(vec![]), "an empty list clears the tags");
    }

    #[test]
    fn config_errors_name_line_and_column() {
        let err = parse_config("{\n  \"model\": \"gpt-4\",\n  \"temperature\" 0.7\n}").unwrap_err();
        assert_eq!(err.field, "config");
        assert!(err.message.starts_with("config is not valid JSON: line 3, column 17: expected `:`"), "{}", err.message);
        assert!(parse_config("[1]").unwrap_err().message.contains("not an array"));
        assert_eq!(parse_config("  ").unwrap(), json!({}));
        assert_eq!(format_config("{\"b\":1,\"a\":[true]}").unwrap(), "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1\n}");
        assert_eq!(format_config("{"), None);
        let mut d = draft();
        d.config = "{".into();
        assert_eq!(d.problems().iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), vec!["config"]);
        assert_eq!(d.to_new_prompt().unwrap_err().field, "config");
    }

    #[test]
    fn every_problem_is_reported_under_its_field() {
        let d = PromptDraft {
            name: "a|b".into(),
            prompt_type: PromptType::Chat,
            messages: vec![
                ChatItem::Message { role: "system".into(), content: "{{history}}".into() },
                ChatItem::Placeholder { name: "history".into() },
            ],
            custom_labels: "latest Bad".into(),
            commit_message: "m".repeat(501),
            ..Default::default()
        };
        let fields: Vec<DraftField> = d.problems().iter().map(|p| DraftField::of(&p.field)).collect();
        assert_eq!(fields, vec![DraftField::Name, DraftField::Prompt, DraftField::Labels, DraftField::CommitMessage]);
        assert_eq!(d.to_new_prompt().unwrap_err().field, "name", "normalize agrees on the first");

        let bad_placeholder = PromptDraft {
            name: "x".into(),
            prompt_type: PromptType::Chat,
            messages: vec![ChatItem::Message { role: "user".into(), content: "hi".into() }, ChatItem::Placeholder { name: "1x".into() }],
            ..Default::default()
        };
        let problems = bad_placeholder.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(DraftField::of(&problems[0].field), DraftField::Item(1));
        // The text prompt is what is sent while the type is text: the chat list is ignored.
        assert!(PromptDraft { prompt_type: PromptType::Text, ..bad_placeholder }.problems().is_empty());
    }

    #[test]
    fn field_names_map_to_the_form() {
        for (field, expected) in [
            ("name", DraftField::Name),
            ("type", DraftField::Type),
            ("prompt", DraftField::Prompt),
            ("prompt[12].role", DraftField::Item(12)),
            ("prompt[x]", DraftField::Prompt),
            ("labels[1]", DraftField::Labels),
            ("label", DraftField::Labels),
            ("tags[0]", DraftField::Tags),
            ("config", DraftField::Config),
            ("commitMessage", DraftField::CommitMessage),
            ("arguments", DraftField::Other),
        ] {
            assert_eq!(DraftField::of(field), expected, "{field}");
        }
        assert_eq!(DraftField::Item(0).label(), "Message 1");
    }

    #[test]
    fn a_version_prefills_the_draft_without_its_labels() {
        let version: PromptVersion = serde_json::from_value(json!({
            "id": "v", "projectId": "p", "name": "chat", "version": 3, "type": "chat",
            "prompt": [{"role": "system", "content": "Be {{tone}}"}, {"type": "placeholder", "name": "history"}],
            "config": {"temperature": 0.2}, "labels": ["production"], "tags": ["a", "b"], "commitMessage": "c",
            "createdBy": "u", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        let d = PromptDraft::from_version("chat-copy".into(), &version);
        assert_eq!((d.name.as_str(), d.prompt_type, d.messages.len()), ("chat-copy", PromptType::Chat, 2));
        assert_eq!(d.config, "{\n  \"temperature\": 0.2\n}");
        assert_eq!(d.tags, "a, b");
        assert!(!d.production && d.labels().is_empty() && d.commit_message.is_empty());
        assert_eq!(d.to_new_prompt().unwrap().prompt, version.prompt);
    }

}
