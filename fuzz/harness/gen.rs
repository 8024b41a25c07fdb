//! Structure-aware inputs without the `arbitrary` crate: a [`Gen`] reads the fuzzer's bytes as a
//! sequence of choices and builds JSON trees from the decoders' own vocabulary (field names, event
//! types, enum spellings) plus hostile values. Random bytes rarely parse as JSON, let alone as a
//! batch with a `trace-create` event; built this way they reach the mapping and validation code,
//! and libFuzzer's coverage feedback still steers the choices. Plain Rust, so the stable CI pass
//! (`server/tests/fuzz_corpus.rs`) runs the same generators.

use serde_json::{Map, Number, Value};

/// Reads choices from bytes; once they run out every choice is 0 (the first option), so every
/// input, however short, builds a finite value.
pub struct Gen<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Gen<'a> {
    pub fn new(data: &'a [u8]) -> Gen<'a> {
        Gen { data, pos: 0 }
    }

    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    pub fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            self.byte() as usize % n
        } else {
            (self.byte() as usize | (self.byte() as usize) << 8) % n
        }
    }

    pub fn chance(&mut self, in_256: u8) -> bool {
        self.byte() < in_256
    }

    pub fn pick<T: Copy>(&mut self, options: &[T]) -> T {
        options[self.below(options.len())]
    }

    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |acc, _| acc << 8 | self.byte() as u64)
    }

    /// Raw bytes from the input, as (lossy) text: invalid UTF-8 becomes U+FFFD, as it would
    /// after any JSON parser.
    pub fn raw_text(&mut self, max: usize) -> String {
        let len = self.below(max + 1);
        let start = self.pos.min(self.data.len());
        let end = (start + len).min(self.data.len());
        self.pos += len;
        String::from_utf8_lossy(&self.data[start..end]).into_owned()
    }

    /// A string: mostly from `words`, else raw input bytes, a hostile value, or a mix.
    pub fn text(&mut self, words: &[&str]) -> String {
        match self.below(10) {
            0..=4 if !words.is_empty() => self.pick(words).to_string(),
            5 | 6 => self.raw_text(24),
            7 => hostile(self.below(HOSTILE_KINDS)),
            8 if !words.is_empty() => format!("{}{}", self.pick(words), hostile(self.below(HOSTILE_KINDS))),
            _ => self.pick(STRINGS).to_string(),
        }
    }

    /// A JSON number, often at the edges (serde_json numbers are always finite).
    pub fn number(&mut self) -> Value {
        match self.below(12) {
            0 => Value::from(0),
            1 => Value::from(-1),
            2 => Value::from(i64::MAX),
            3 => Value::from(i64::MIN),
            4 => Value::from(u64::MAX),
            5 => Value::from(1e308),
            6 => Value::from(-1e308),
            7 => Value::from(5e-324),
            8 => Value::from(self.u64() as i64),
            9 => Number::from_f64(f64::from_bits(self.u64())).map(Value::Number).unwrap_or(Value::from(0.5)),
            10 => Value::from(self.below(1000) as u64),
            _ => Value::from(self.below(100) as f64 / 7.0),
        }
    }

    pub fn timestamp(&mut self) -> String {
        self.text(TIMESTAMPS)
    }

    /// Any JSON value, objects keyed from `keys`, strings from `words`; nesting up to `depth`
    /// (the public API parses bodies with serde_json, whose limit is 128 levels, so deeper
    /// values never reach a decoder).
    pub fn value(&mut self, depth: usize, keys: &[&str], words: &[&str]) -> Value {
        let kind = if depth == 0 { self.below(5) } else { self.below(9) };
        match kind {
            0 => Value::Null,
            1 => Value::Bool(self.chance(128)),
            2 => self.number(),
            3 | 4 => Value::String(self.text(words)),
            5 | 6 => {
                let n = self.below(5);
                let mut map = Map::new();
                for _ in 0..n {
                    let key = self.text(keys);
                    map.insert(key, self.value(depth - 1, keys, words));
                }
                Value::Object(map)
            }
            7 => Value::Array((0..self.below(5)).map(|_| self.value(depth - 1, keys, words)).collect()),
            _ => {
                // A chain nested as deep as a parsed body can be (arrays or objects).
                let levels = self.below(127);
                let mut v = Value::String(self.text(words));
                for i in 0..levels {
                    v = if i % 2 == 0 { Value::Array(vec![v]) } else { Value::Object(Map::from_iter([(self.pick(keys).to_string(), v)])) };
                }
                v
            }
        }
    }

    /// An object with fields from `keys`, each value built by `field` (which knows each key's
    /// expected type); now and then a field gets a value of any type instead.
    pub fn object(&mut self, keys: &[&str], field: &mut dyn FnMut(&mut Gen<'a>, &str) -> Value) -> Value {
        let n = self.below(keys.len().min(14) + 1);
        let mut map = Map::new();
        for _ in 0..n {
            let key = if self.chance(240) { self.pick(keys).to_string() } else { self.text(keys) };
            let value = if self.chance(16) { self.value(3, keys, STRINGS) } else { field(self, &key) };
            map.insert(key, value);
        }
        Value::Object(map)
    }

    pub fn string_array(&mut self, words: &[&str]) -> Value {
        Value::Array((0..self.below(5)).map(|_| Value::String(self.text(words))).collect())
    }
}

pub const HOSTILE_KINDS: usize = 16;

/// Values an audit sends: NUL, control and bidi characters, CJK and emoji, markup and SQL,
/// numbers as text, ids of 10,000 bytes, a 100,000-character string.
pub fn hostile(kind: usize) -> String {
    match kind {
        0 => "\u{0}".into(),
        1 => "a\u{0}b".into(),
        2 => "x".repeat(10_000),
        3 => "🦀🔥👩‍👩‍👧".into(),
        4 => "日本語のテキスト，中文".into(),
        5 => "\u{202e}gnp.exe\u{feff}".into(),
        6 => "\r\n\t\u{7f}\u{1b}[31m".into(),
        7 => "'; DROP TABLE traces; --".into(),
        8 => "<script>alert(1)</script><img src=x onerror=alert(1)>".into(),
        9 => "9".repeat(400),
        10 => "1e999".into(),
        11 => String::new(),
        12 => " ".into(),
        13 => "é".repeat(50_000),
        14 => "{{a}}{{ b }}{{{{c}}}}@@@langfusePrompt:name=x|label=y@@@".into(),
        _ => "../../etc/passwd%00%2F|".into(),
    }
}

pub const STRINGS: &[&str] = &[
    "", "a", "0", "1", "-1", "1.5", "true", "null", "NaN", "Infinity", "-0", "1e308", "2026-01-31T12:00:00Z",
    "production", "latest", "default", "user", "assistant", "system", "tool",
];

pub const TIMESTAMPS: &[&str] = &[
    "2026-01-31T12:00:00Z",
    "2026-01-31T12:00:00.123456789Z",
    "2026-01-31T14:00:00+02:00",
    "2026-01-31T12:00:00",
    "2026-01-31",
    "1970-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
    "+275760-09-13T00:00:00Z",
    "2026-02-30T25:61:61Z",
    "yesterday",
];

/// Field names of the batch API's event bodies (traces, observations, scores).
pub const BATCH_BODY_KEYS: &[&str] = &[
    "id", "traceId", "name", "timestamp", "startTime", "endTime", "completionStartTime", "input", "output", "metadata",
    "userId", "sessionId", "release", "version", "tags", "public", "environment", "level", "statusMessage",
    "parentObservationId", "model", "modelParameters", "usage", "usageDetails", "costDetails", "promptName",
    "promptVersion", "type", "value", "dataType", "comment", "observationId", "configId", "source",
];

pub const EVENT_TYPES: &[&str] = &[
    "trace-create", "span-create", "span-update", "generation-create", "generation-update", "event-create",
    "agent-create", "tool-create", "chain-create", "retriever-create", "evaluator-create", "embedding-create",
    "guardrail-create", "score-create", "sdk-log", "observation-create", "observation-update", "dataset-run-item-create",
    "bogus-create",
];

pub const USAGE_KEYS: &[&str] = &[
    "input", "output", "total", "unit", "promptTokens", "completionTokens", "totalTokens", "prompt_tokens",
    "completion_tokens", "total_tokens", "input_tokens", "output_tokens", "inputCost", "outputCost", "totalCost",
    "cache_read_input_tokens", "prompt_tokens_details", "completion_tokens_details", "cached_tokens", "reasoning_tokens",
];

pub const LEVELS: &[&str] = &["DEBUG", "DEFAULT", "WARNING", "ERROR", "error", "FATAL"];

/// Event body field values by key: the expected type most of the time, so validation passes and
/// the mapping runs; edge values within that type.
fn batch_field(g: &mut Gen<'_>, key: &str) -> Value {
    match key {
        "timestamp" | "startTime" | "endTime" | "completionStartTime" => Value::String(g.timestamp()),
        "input" | "output" | "metadata" | "modelParameters" => g.value(4, CONTENT_KEYS, CONTENT_WORDS),
        "usage" | "usageDetails" | "costDetails" => {
            g.object(USAGE_KEYS, &mut |g, k| if k == "unit" { Value::String(g.text(&["TOKENS", "CHARACTERS", "x"])) } else { g.number() })
        }
        "tags" => g.string_array(&["a", "b", "tag"]),
        "public" => Value::Bool(g.chance(128)),
        "level" => Value::String(g.text(LEVELS)),
        "value" | "promptVersion" => {
            if g.chance(200) {
                g.number()
            } else {
                Value::String(g.text(&["good", "1"]))
            }
        }
        "dataType" => Value::String(g.text(SCORE_TYPES)),
        "source" => Value::String(g.text(&["API", "ANNOTATION", "EVAL"])),
        "type" => Value::String(g.text(&["GENERATION", "SPAN", "EVENT"])),
        "environment" => Value::String(g.text(&["production", "default", "langfuse-x", "Bad Env"])),
        _ => Value::String(g.text(&["id-1", "id-2", "trace-1", "obs-1", "gpt-4o", "claude-3-5-sonnet-20241022"])),
    }
}

/// `{"batch": [...]}` of events with envelopes and bodies.
pub fn batch(g: &mut Gen<'_>) -> Value {
    let n = g.below(6);
    let events = (0..n)
        .map(|_| {
            g.object(&["id", "type", "timestamp", "body", "metadata"], &mut |g, key| match key {
                "type" => Value::String(g.text(EVENT_TYPES)),
                "timestamp" => Value::String(g.timestamp()),
                "body" => g.object(BATCH_BODY_KEYS, &mut batch_field),
                "metadata" => g.value(2, BATCH_BODY_KEYS, STRINGS),
                _ => Value::String(g.text(&["e-1", "e-2"])),
            })
        })
        .collect();
    serde_json::json!({ "batch": Value::Array(events) })
}

pub const SCORE_TYPES: &[&str] = &["NUMERIC", "CATEGORICAL", "BOOLEAN", "TEXT", "CORRECTION", "numeric"];

pub const SCORE_KEYS: &[&str] = &[
    "id", "traceId", "observationId", "sessionId", "datasetRunId", "name", "value", "dataType", "source", "comment",
    "configId", "timestamp", "environment", "metadata", "queueId",
];

/// One score body, or (as Python SDK 5.x sends them) an array of them.
pub fn score(g: &mut Gen<'_>) -> Value {
    let one = |g: &mut Gen<'_>| g.object(SCORE_KEYS, &mut batch_field);
    if g.chance(40) {
        Value::Array((0..g.below(4)).map(|_| one(g)).collect())
    } else {
        one(g)
    }
}

pub const PROMPT_WORDS: &[&str] = &[
    "Hello {{name}}", "{{ a }} and {{b}}", "{{}}", "{{a", "@@@langfusePrompt:name=base|label=production@@@",
    "@@@langfusePrompt:name=folder/x|version=2@@@", "@@@langfusePrompt:name=a|label=b|c=d@@@", "@@@langfusePrompt:",
    "production", "latest", "staging", "folder/name", "a|b", "new", "user", "assistant", "system", "placeholder",
    "chatmessage", "text", "chat",
];

pub const PROMPT_KEYS: &[&str] =
    &["name", "type", "prompt", "labels", "tags", "config", "commitMessage", "isActive", "role", "content"];

/// A prompt create body: text or chat (messages and placeholders).
pub fn prompt(g: &mut Gen<'_>) -> Value {
    g.object(PROMPT_KEYS, &mut |g, key| match key {
        "type" => Value::String(g.text(&["text", "chat", "TEXT"])),
        "prompt" => {
            if g.chance(128) {
                Value::String(g.text(PROMPT_WORDS))
            } else {
                Value::Array(
                    (0..g.below(5))
                        .map(|_| {
                            g.object(&["role", "content", "type", "name"], &mut |g, k| match k {
                                "type" => Value::String(g.text(&["placeholder", "chatmessage", "message"])),
                                _ => Value::String(g.text(PROMPT_WORDS)),
                            })
                        })
                        .collect(),
                )
            }
        }
        "labels" | "tags" => g.string_array(PROMPT_WORDS),
        "config" => g.value(3, &["model", "temperature", "tools"], STRINGS),
        "isActive" => Value::Bool(g.chance(128)),
        _ => Value::String(g.text(PROMPT_WORDS)),
    })
}

/// Keys of the LLM message formats `content::classify` knows (OpenAI, Anthropic, LangChain,
/// Langfuse's own).
pub const CONTENT_KEYS: &[&str] = &[
    "role", "content", "messages", "type", "text", "tool_calls", "function", "name", "arguments", "id", "image_url",
    "url", "input", "output", "parts", "kwargs", "lc", "data", "args", "tool_use", "tool_result", "tool_call_id",
    "system", "prompt", "completion", "choices", "message", "generations", "candidates", "tool_use_id", "source",
    "media_type", "audio", "input_audio", "refusal", "additional_kwargs", "function_call", "json", "file",
];

pub const CONTENT_WORDS: &[&str] = &[
    "user", "assistant", "system", "tool", "function", "human", "ai", "developer", "model", "text", "image_url",
    "tool_use", "tool_result", "input_text", "output_text", "https://example.com/a.png", "javascript:alert(1)",
    "data:image/png;base64,AAAA", "# Title\n\n**bold** [x](javascript:alert(1)) <b>html</b>", "```rust\nfn main(){}\n```",
    "{\"a\": [1, 2, {\"b\": null}]}", "[[[[[[[[]]]]]]]]",
];

pub fn content(g: &mut Gen<'_>) -> Value {
    g.value(6, CONTENT_KEYS, CONTENT_WORDS)
}

/// A query string from `keys` with values from `values` (`k=v&k=v`, percent-encoded).
pub fn query(g: &mut Gen<'_>, keys: &[&str], values: &[&str]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for _ in 0..g.below(8) {
        let key = if g.chance(230) { g.pick(keys).to_string() } else { g.text(keys) };
        let value = g.text(values);
        out.append_pair(&key, &value);
    }
    out.finish()
}
