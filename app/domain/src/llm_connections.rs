//! LLM connections: a project's credentials for an LLM provider, used by the playground and by
//! LLM-as-judge evaluators. The shapes and rules are Langfuse's (`llm_api_keys`; its public API
//! `/api/public/llm-connections`, docs/COMPATIBILITY.md "LLM connections"):
//!
//! - `provider` is the connection's name (free text, unique in a project, the lookup key); the
//!   `adapter` is the wire format: `openai` (also any OpenAI-compatible endpoint by `baseURL`:
//!   vLLM, Ollama, DeepSeek, Qwen/DashScope, OpenRouter…), `anthropic`, `azure`, `bedrock`,
//!   `google-vertex-ai`, `google-ai-studio`.
//! - The secret key and the extra headers' values are write-only: a connection is shown with
//!   `displaySecretKey` (`...abcd`) and the header names only.
//! - `config` is per adapter: `openai` accepts `{useResponsesApi: bool}`, `bedrock` needs
//!   `{region}`, `google-vertex-ai` accepts `{location}`; the others take none.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A provider's wire format, by Langfuse's exact names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Adapter {
    #[serde(rename = "openai")]
    OpenAi,
    #[serde(rename = "anthropic")]
    Anthropic,
    #[serde(rename = "azure")]
    Azure,
    #[serde(rename = "bedrock")]
    Bedrock,
    #[serde(rename = "google-vertex-ai")]
    GoogleVertexAi,
    #[serde(rename = "google-ai-studio")]
    GoogleAiStudio,
}

impl Adapter {
    pub const ALL: [Adapter; 6] =
        [Adapter::OpenAi, Adapter::Anthropic, Adapter::Azure, Adapter::Bedrock, Adapter::GoogleVertexAi, Adapter::GoogleAiStudio];

    pub fn as_str(self) -> &'static str {
        match self {
            Adapter::OpenAi => "openai",
            Adapter::Anthropic => "anthropic",
            Adapter::Azure => "azure",
            Adapter::Bedrock => "bedrock",
            Adapter::GoogleVertexAi => "google-vertex-ai",
            Adapter::GoogleAiStudio => "google-ai-studio",
        }
    }

    pub fn parse(text: &str) -> Option<Adapter> {
        Adapter::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// The models offered for the adapter when the connection keeps the defaults
    /// (`withDefaultModels`); a connection adds its own (`customModels`).
    pub fn default_models(self) -> &'static [&'static str] {
        match self {
            Adapter::OpenAi => &["gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini"],
            Adapter::Anthropic => &["claude-sonnet-4-5", "claude-opus-4-1", "claude-3-7-sonnet-latest", "claude-3-5-haiku-latest"],
            Adapter::Azure => &[],
            Adapter::Bedrock => &["anthropic.claude-3-5-sonnet-20241022-v2:0", "amazon.nova-pro-v1:0"],
            Adapter::GoogleVertexAi | Adapter::GoogleAiStudio => &["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash"],
        }
    }
}

/// A stored connection as it is shown: never its secret or its headers' values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmConnection {
    pub id: String,
    pub provider: String,
    pub adapter: Adapter,
    pub display_secret_key: String,
    #[serde(rename = "baseURL")]
    pub base_url: Option<String>,
    pub custom_models: Vec<String>,
    pub with_default_models: bool,
    pub extra_header_keys: Vec<String>,
    pub config: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl LlmConnection {
    /// The models to pick from: the custom ones, then the adapter's defaults when kept.
    pub fn models(&self) -> Vec<String> {
        let mut models = self.custom_models.clone();
        if self.with_default_models {
            models.extend(self.adapter.default_models().iter().map(|m| m.to_string()).filter(|m| !self.custom_models.contains(m)));
        }
        models
    }
}

/// What "Test connection" found: the model it called, and the provider's problem if it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionTest {
    pub model: Option<String>,
    pub problem: Option<crate::playground::ProviderProblem>,
}

/// A connection to create or replace (the public API's `PUT` body, the settings form), checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionInput {
    pub provider: String,
    pub adapter: Adapter,
    pub secret_key: String,
    pub base_url: Option<String>,
    pub custom_models: Vec<String>,
    pub with_default_models: bool,
    /// Header name → value; the values are secret like the key.
    pub extra_headers: Vec<(String, String)>,
    /// `None`: keep what is stored (an update that does not send it).
    pub config: Option<Value>,
}

/// What is wrong with a connection, by field (English; the UI words it per language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionProblem {
    ProviderEmpty,
    ProviderTooLong,
    UnknownAdapter(String),
    SecretEmpty,
    SecretTooLong,
    BaseUrlInvalid(String),
    AzureNeedsBaseUrl,
    ModelName,
    HeaderName(String),
    /// A header Loupe sets itself (authorization, content type…).
    HeaderReserved(String),
    ConfigNotObject,
    /// A key this adapter does not accept in `config`.
    ConfigKey(String),
    BedrockNeedsRegion,
}

impl std::fmt::Display for ConnectionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectionProblem::ProviderEmpty => f.write_str("provider: give the connection a name"),
            ConnectionProblem::ProviderTooLong => f.write_str("provider: at most 100 characters"),
            ConnectionProblem::UnknownAdapter(a) => write!(
                f,
                "adapter: unknown adapter {a:?}; use one of openai, anthropic, azure, bedrock, google-vertex-ai, google-ai-studio"
            ),
            ConnectionProblem::SecretEmpty => f.write_str("secretKey: the API key is required"),
            ConnectionProblem::SecretTooLong => f.write_str("secretKey: at most 10000 characters"),
            ConnectionProblem::BaseUrlInvalid(url) => write!(f, "baseURL: Invalid baseURL: {url:?} is not an http or https URL"),
            ConnectionProblem::AzureNeedsBaseUrl => f.write_str("baseURL: an azure connection needs its resource's base URL"),
            ConnectionProblem::ModelName => f.write_str("customModels: a model name has 1 to 200 characters"),
            ConnectionProblem::HeaderName(h) => write!(f, "extraHeaders: {h:?} is not a valid header name"),
            ConnectionProblem::HeaderReserved(h) => write!(f, "extraHeaders: {h:?} is set by Loupe itself"),
            ConnectionProblem::ConfigNotObject => f.write_str("config: must be an object"),
            ConnectionProblem::ConfigKey(k) => write!(f, "config: this adapter does not take {k:?}"),
            ConnectionProblem::BedrockNeedsRegion => f.write_str("config: a bedrock connection needs {\"region\": \"…\"}"),
        }
    }
}

const RESERVED_HEADERS: [&str; 7] = ["authorization", "api-key", "x-api-key", "content-type", "content-length", "host", "x-goog-api-key"];

impl ConnectionInput {
    /// Checks every rule; trims the provider, the URL and the model names.
    pub fn checked(mut self) -> Result<ConnectionInput, ConnectionProblem> {
        self.provider = self.provider.trim().to_string();
        if self.provider.is_empty() {
            return Err(ConnectionProblem::ProviderEmpty);
        }
        if self.provider.chars().count() > 100 {
            return Err(ConnectionProblem::ProviderTooLong);
        }
        if self.secret_key.trim().is_empty() {
            return Err(ConnectionProblem::SecretEmpty);
        }
        if self.secret_key.len() > 10_000 {
            return Err(ConnectionProblem::SecretTooLong);
        }
        self.base_url = self.base_url.map(|u| u.trim().trim_end_matches('/').to_string()).filter(|u| !u.is_empty());
        if let Some(url) = &self.base_url {
            if !is_http_url(url) {
                return Err(ConnectionProblem::BaseUrlInvalid(url.clone()));
            }
        } else if self.adapter == Adapter::Azure {
            return Err(ConnectionProblem::AzureNeedsBaseUrl);
        }
        let mut models = Vec::new();
        for model in &self.custom_models {
            let model = model.trim();
            if model.is_empty() || model.chars().count() > 200 {
                return Err(ConnectionProblem::ModelName);
            }
            if !models.iter().any(|m: &String| m == model) {
                models.push(model.to_string());
            }
        }
        self.custom_models = models;
        for (name, _) in &self.extra_headers {
            let valid = !name.is_empty() && name.len() <= 100 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
            if !valid {
                return Err(ConnectionProblem::HeaderName(name.clone()));
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(ConnectionProblem::HeaderReserved(name.clone()));
            }
        }
        if let Some(config) = &self.config {
            check_config(self.adapter, config)?;
        } else if self.adapter == Adapter::Bedrock {
            return Err(ConnectionProblem::BedrockNeedsRegion);
        }
        Ok(self)
    }
}

fn check_config(adapter: Adapter, config: &Value) -> Result<(), ConnectionProblem> {
    let empty = Map::new();
    let map = match config {
        Value::Null => &empty,
        Value::Object(map) => map,
        _ => return Err(ConnectionProblem::ConfigNotObject),
    };
    let allowed: &[&str] = match adapter {
        Adapter::OpenAi => &["useResponsesApi"],
        Adapter::Bedrock => &["region"],
        Adapter::GoogleVertexAi => &["location"],
        _ => &[],
    };
    if let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ConnectionProblem::ConfigKey(key.clone()));
    }
    if adapter == Adapter::Bedrock && !map.get("region").is_some_and(|r| r.as_str().is_some_and(|r| !r.trim().is_empty())) {
        return Err(ConnectionProblem::BedrockNeedsRegion);
    }
    Ok(())
}

fn is_http_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else { return false };
    matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// How a secret is shown: `...` and its last 4 characters; for a JSON secret (`{...}`) the 4
/// before its closing `"}`, as Langfuse does.
pub fn display_secret_key(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = if secret.trim_end().ends_with("\"}") && chars.len() >= 6 {
        chars[chars.len() - 6..chars.len() - 2].iter().collect()
    } else {
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    format!("...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(adapter: Adapter) -> ConnectionInput {
        ConnectionInput {
            provider: " openai-prod ".into(),
            adapter,
            secret_key: "sk-test-abcd1234".into(),
            base_url: None,
            custom_models: vec![" my-model ".into(), "my-model".into()],
            with_default_models: true,
            extra_headers: vec![("X-Team".into(), "search".into())],
            config: None,
        }
    }

    #[test]
    fn checks_like_langfuse() {
        let ok = input(Adapter::OpenAi).checked().unwrap();
        assert_eq!(ok.provider, "openai-prod");
        assert_eq!(ok.custom_models, vec!["my-model"]);
        let problem = |f: fn(&mut ConnectionInput)| {
            let mut i = input(Adapter::OpenAi);
            f(&mut i);
            i.checked().unwrap_err()
        };
        assert_eq!(problem(|i| i.provider = "  ".into()), ConnectionProblem::ProviderEmpty);
        assert_eq!(problem(|i| i.secret_key = "".into()), ConnectionProblem::SecretEmpty);
        assert_eq!(problem(|i| i.base_url = Some("ftp://x".into())), ConnectionProblem::BaseUrlInvalid("ftp://x".into()));
        assert_eq!(problem(|i| i.base_url = Some("http:///x".into())), ConnectionProblem::BaseUrlInvalid("http:///x".into()));
        assert_eq!(problem(|i| i.extra_headers = vec![("Authorization".into(), "x".into())]), ConnectionProblem::HeaderReserved("Authorization".into()));
        assert_eq!(problem(|i| i.extra_headers = vec![("bad header".into(), "x".into())]), ConnectionProblem::HeaderName("bad header".into()));
        assert_eq!(problem(|i| i.config = Some(serde_json::json!({"region": "x"}))), ConnectionProblem::ConfigKey("region".into()));
        assert!(input(Adapter::OpenAi).checked_with_config(serde_json::json!({"useResponsesApi": true})).is_ok());
        assert_eq!(input(Adapter::Azure).checked().unwrap_err(), ConnectionProblem::AzureNeedsBaseUrl);
        assert_eq!(input(Adapter::Bedrock).checked().unwrap_err(), ConnectionProblem::BedrockNeedsRegion);
        assert!(input(Adapter::Bedrock).checked_with_config(serde_json::json!({"region": "us-east-1"})).is_ok());
        assert_eq!(input(Adapter::Anthropic).checked_with_config(serde_json::json!({"x": 1})).unwrap_err(), ConnectionProblem::ConfigKey("x".into()));
        let trimmed = ConnectionInput { base_url: Some(" http://localhost:11434/v1/ ".into()), ..input(Adapter::OpenAi) }.checked().unwrap();
        assert_eq!(trimmed.base_url.as_deref(), Some("http://localhost:11434/v1"));
    }

    impl ConnectionInput {
        fn checked_with_config(self, config: Value) -> Result<ConnectionInput, ConnectionProblem> {
            ConnectionInput { config: Some(config), ..self }.checked()
        }
    }

    #[test]
    fn secrets_are_shown_by_their_end() {
        assert_eq!(display_secret_key("sk-proj-0123456789abcd"), "...abcd");
        assert_eq!(display_secret_key("ab"), "...ab");
        assert_eq!(display_secret_key(r#"{"accessKeyId":"AKIA","secretAccessKey":"wxyz1234"}"#), "...1234");
    }

    #[test]
    fn adapters_by_their_langfuse_names() {
        for adapter in Adapter::ALL {
            assert_eq!(Adapter::parse(adapter.as_str()), Some(adapter));
            assert_eq!(serde_json::to_value(adapter).unwrap(), adapter.as_str());
        }
        assert_eq!(Adapter::parse("OpenAI"), None);
        let connection = LlmConnection {
            id: "c1".into(),
            provider: "p".into(),
            adapter: Adapter::Anthropic,
            display_secret_key: "...abcd".into(),
            base_url: None,
            custom_models: vec!["claude-sonnet-4-5".into(), "mine".into()],
            with_default_models: true,
            extra_header_keys: vec![],
            config: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let models = connection.models();
        assert_eq!(&models[..2], ["claude-sonnet-4-5", "mine"]);
        assert_eq!(models.iter().filter(|m| *m == "claude-sonnet-4-5").count(), 1);
        let json = serde_json::to_value(&connection).unwrap();
        assert!(json.get("baseURL").is_some() && json.get("displaySecretKey").is_some() && json.get("secretKey").is_none());
    }
}
