//! Token counts for generations that report no usage, so they still get a cost (Langfuse's
//! `tokenCount`, docs/COMPATIBILITY.md §3.6 step 5).
//!
//! - `openai`: tiktoken (`tiktoken-rs`), the encoding chosen from
//!   `tokenizerConfig.tokenizerModel` (`gpt-4o` → o200k_base, `gpt-4` → cl100k_base, ...; an
//!   unknown model falls back to cl100k_base as Langfuse does). A list of chat messages is
//!   counted the way OpenAI bills it when the config has `tokensPerMessage` / `tokensPerName`:
//!   per message the overhead plus the tokens of its `role`, `content`, `name` and tool-call
//!   fields, plus 3 for the primed reply. Anything else is counted as text (JSON text for
//!   structured values).
//! - `claude`: Anthropic publishes no tokenizer for its current models (Langfuse itself uses
//!   the Claude 2 tokenizer, which is already off for Claude 3 and later), and none exists in
//!   Rust. We count with cl100k_base instead: an **estimate** of the same kind, good enough
//!   to put a cost on a generation that reported nothing, not a billing figure.
//!
//! Counting runs on the ingestion write path, so it is bounded. Each encoding is built once
//! per process, on first use (0.7 s for o200k_base in a debug build, a fraction of that in
//! release), and texts longer than [`MAX_TOKENIZED_BYTES`] are not counted at all: 256 KiB
//! of text takes about 0.1 s to encode in a debug build and several times less in release,
//! while a 10 MB prompt would stall the request for seconds. Generations that large nearly
//! always report their usage anyway.

use serde_json::Value;
use tiktoken_rs::tokenizer::{get_tokenizer, Tokenizer};
use tiktoken_rs::CoreBPE;

/// Texts (input or output, as counted) above this size get no count.
pub const MAX_TOKENIZED_BYTES: usize = 256 * 1024;

/// Every reply is primed with `<|start|>assistant<|message|>`.
const REPLY_PRIMING_TOKENS: i64 = 3;

/// How one model's tokens are counted, resolved once from its `tokenizerId` and
/// `tokenizerConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelTokenizer {
    encoding: Tokenizer,
    /// Per-message overheads when the model is a chat model.
    chat: Option<ChatOverhead>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ChatOverhead {
    tokens_per_message: i64,
    tokens_per_name: i64,
}

impl ModelTokenizer {
    /// `None` when the model has no tokenizer, an unknown one, or an `openai` tokenizer without
    /// a `tokenizerModel` (Langfuse logs and skips those too).
    pub fn resolve(tokenizer_id: Option<&str>, config: Option<&Value>) -> Option<ModelTokenizer> {
        match tokenizer_id? {
            "openai" => {
                let config = config?.as_object()?;
                let model = config.get("tokenizerModel")?.as_str()?;
                let encoding = get_tokenizer(model).unwrap_or(Tokenizer::Cl100kBase);
                let chat =
                    match (config.get("tokensPerMessage").and_then(Value::as_i64), config.get("tokensPerName").and_then(Value::as_i64)) {
                        (Some(tokens_per_message), Some(tokens_per_name)) => Some(ChatOverhead { tokens_per_message, tokens_per_name }),
                        _ => None,
                    };
                Some(ModelTokenizer { encoding, chat })
            }
            "claude" => Some(ModelTokenizer { encoding: Tokenizer::Cl100kBase, chat: None }),
            _ => None,
        }
    }

    /// Tokens of an observation's input or output; `None` when there is nothing to count, the
    /// text is too large, or the encoding is unavailable.
    pub fn count(&self, value: &Value) -> Option<i64> {
        let parsed;
        let value = match value {
            // Stored strings may hold JSON (OTel SDKs send input/output as JSON text).
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(json @ (Value::Array(_) | Value::Object(_))) => {
                    parsed = json;
                    &parsed
                }
                _ => value,
            },
            _ => value,
        };
        match value {
            Value::Null => None,
            Value::Array(items) if items.is_empty() => None,
            Value::Array(messages) => match self.chat {
                Some(overhead) if is_chat_messages(messages) => self.count_chat(messages, overhead),
                _ => self.count_text(&serde_json::to_string(value).ok()?),
            },
            Value::String(text) => self.count_text(text),
            other => self.count_text(&serde_json::to_string(other).ok()?),
        }
    }

    fn count_text(&self, text: &str) -> Option<i64> {
        if text.len() > MAX_TOKENIZED_BYTES {
            return None;
        }
        let bpe = encoding(self.encoding)?;
        i64::try_from(bpe.encode_ordinary(text).len()).ok()
    }

    fn count_chat(&self, messages: &[Value], overhead: ChatOverhead) -> Option<i64> {
        let size: usize = messages.iter().filter_map(Value::as_object).flat_map(|m| m.values()).map(approximate_len).sum();
        if size > MAX_TOKENIZED_BYTES {
            return None;
        }
        let mut tokens = REPLY_PRIMING_TOKENS;
        for message in messages.iter().filter_map(Value::as_object) {
            tokens += overhead.tokens_per_message;
            for (key, value) in message {
                if CHAT_COUNTED_KEYS.contains(&key.as_str()) && is_truthy(value) {
                    let counted = match value {
                        Value::String(text) => self.count_text(text),
                        other => self.count_text(&serde_json::to_string(other).ok()?),
                    };
                    tokens += counted?;
                }
                if key == "name" {
                    tokens += overhead.tokens_per_name;
                }
            }
        }
        Some(tokens)
    }
}

/// The message fields OpenAI bills (Langfuse's list).
const CHAT_COUNTED_KEYS: [&str; 7] = ["content", "role", "name", "tool_calls", "function_call", "toolCalls", "functionCall"];

/// `[{role: string, content: string, name?: string}, ...]`, as Langfuse recognises chat input.
fn is_chat_messages(items: &[Value]) -> bool {
    items.iter().all(|item| {
        item.as_object().is_some_and(|message| {
            message.get("role").is_some_and(Value::is_string)
                && message.get("content").is_some_and(Value::is_string)
                && message.get("name").is_none_or(Value::is_string)
        })
    })
}

/// JavaScript truthiness, which decides whether Langfuse counts a message field.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Cheap upper-bound-ish size of a value as text, to apply the size cap before encoding.
fn approximate_len(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len(),
        Value::Array(items) => items.iter().map(approximate_len).sum::<usize>() + items.len(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + approximate_len(v)).sum::<usize>() + map.len(),
        _ => 8,
    }
}

/// The shared, lazily built encoding (tiktoken-rs keeps one per encoding for the process).
fn encoding(tokenizer: Tokenizer) -> Option<&'static CoreBPE> {
    match tiktoken_rs::bpe_for_tokenizer(tokenizer) {
        Ok(bpe) => Some(bpe),
        Err(error) => {
            tracing::error!(?tokenizer, %error, "tokenizer encoding unavailable");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gpt4o() -> ModelTokenizer {
        ModelTokenizer::resolve(Some("openai"), Some(&json!({"tokenizerModel": "gpt-4o", "tokensPerMessage": 3, "tokensPerName": 1})))
            .unwrap()
    }

    #[test]
    fn resolves_encodings_from_the_config() {
        assert_eq!(gpt4o().encoding, Tokenizer::O200kBase);
        let gpt4 =
            ModelTokenizer::resolve(Some("openai"), Some(&json!({"tokenizerModel": "gpt-4", "tokensPerMessage": 3, "tokensPerName": 1})))
                .unwrap();
        assert_eq!(gpt4.encoding, Tokenizer::Cl100kBase);
        let davinci = ModelTokenizer::resolve(Some("openai"), Some(&json!({"tokenizerModel": "text-davinci-003"}))).unwrap();
        assert_eq!(davinci, ModelTokenizer { encoding: Tokenizer::P50kBase, chat: None });
        let unknown = ModelTokenizer::resolve(Some("openai"), Some(&json!({"tokenizerModel": "my-model"}))).unwrap();
        assert_eq!(unknown.encoding, Tokenizer::Cl100kBase);
        assert_eq!(ModelTokenizer::resolve(Some("openai"), None), None);
        assert_eq!(ModelTokenizer::resolve(Some("openai"), Some(&json!({"tokensPerMessage": 3}))), None);
        assert_eq!(ModelTokenizer::resolve(Some("sentencepiece"), None), None);
        assert_eq!(ModelTokenizer::resolve(None, None), None);
        assert_eq!(ModelTokenizer::resolve(Some("claude"), None).unwrap().encoding, Tokenizer::Cl100kBase);
    }

    #[test]
    fn counts_text() {
        let tokenizer = gpt4o();
        assert_eq!(tokenizer.count(&json!("hello world")), Some(2));
        assert_eq!(tokenizer.count(&json!("")), Some(0));
        assert_eq!(tokenizer.count(&Value::Null), None);
        assert_eq!(tokenizer.count(&json!([])), None);
        // Structured values are counted as their JSON text.
        let object = tokenizer.count(&json!({"question": "what is 2+2?"})).unwrap();
        assert_eq!(Some(object), tokenizer.count(&json!(r#"{"question":"what is 2+2?"}"#)));
    }

    #[test]
    fn counts_chat_messages_with_overheads() {
        let tokenizer = gpt4o();
        let messages = json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi", "name": "ann"}]);
        let words = |text: &str| tokenizer.count_text(text).unwrap();
        let expected = 3 + (3 + words("system") + words("be brief")) + (3 + words("user") + words("Hi") + words("ann") + 1);
        assert_eq!(tokenizer.count(&messages), Some(expected));
        assert!(expected > 10);
        // The same list stored as JSON text (OTel) counts the same.
        assert_eq!(tokenizer.count(&json!(messages.to_string())), Some(expected));
        // Without chat overheads in the config, the list is counted as JSON text.
        let plain = ModelTokenizer { chat: None, ..tokenizer };
        assert_eq!(plain.count(&messages), plain.count_text(&messages.to_string()));
        // Multimodal content is not a chat message list for this purpose: JSON text again.
        let multimodal = json!([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]);
        assert_eq!(tokenizer.count(&multimodal), tokenizer.count_text(&multimodal.to_string()));
    }

    #[test]
    fn claude_is_estimated() {
        let claude = ModelTokenizer::resolve(Some("claude"), None).unwrap();
        assert!(claude.count(&json!("The quick brown fox jumps over the lazy dog")).unwrap() > 5);
    }

    #[test]
    fn huge_texts_are_not_counted() {
        let tokenizer = gpt4o();
        let big = "a ".repeat(MAX_TOKENIZED_BYTES);
        assert_eq!(tokenizer.count(&json!(big)), None);
        let messages = json!([{"role": "user", "content": big}]);
        assert_eq!(tokenizer.count(&messages), None);
    }
}
