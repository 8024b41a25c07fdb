//! A fake LLM provider, the only thing outside Loupe's walls its tests fake. It speaks two wire
//! formats, streamed as server-sent events exactly as the providers stream them:
//!
//! - OpenAI Chat Completions: `POST {base}/chat/completions` (`Authorization: Bearer <key>`);
//! - Anthropic Messages: `POST {base}/messages` (`x-api-key: <key>`).
//!
//! What it answers is chosen by the request, so a test states its scenario in the model name:
//!
//! | model name contains | answer |
//! |---|---|
//! | `slow` | the echo, one word every 250 ms (to stop midway) |
//! | `stall` | one word, then nothing, connection open |
//! | `hang` | no answer at all (headers never sent) |
//! | `unknown` | 404 `model_not_found` |
//! | `rate-limit` | 429 with `retry-after: 7` |
//! | `server-error` | 500 |
//! | `content-filter` | 400 `content_filter` |
//! | `malformed` | a stream whose event is not JSON |
//! | *(a message, not the model)* `fake-fail:server-error` | 500 (one item of a batch failing while the others answer) |
//! | `judge-invalid` | with a JSON Schema response: `{"reasoning": …, "score": "excellent"}`, which no judge schema (number, boolean, categories) accepts |
//! | `throttle-once` | 429 with `retry-after: 1` the first time a prompt (the request's messages) is seen, then the usual answer |
//! | `delay-<N>ms` | the usual answer after N ms (at most 60,000), its pieces sent without pauses |
//! | `instant` | the usual answer, its pieces sent without pauses (for measuring the caller) |
//!
//! The key `bad-key` gets 401. Otherwise: when the request offers tools and its last message is
//! not a tool result, the first tool is called with an argument per required property; when it
//! asks for a JSON Schema response, the answer is an instance of the schema (a number within its `minimum`/`maximum` when it has them); after a tool result,
//! "The tool said: …"; else "Echo: " and the last user message, streamed word by word. Usage is
//! reported (input: characters / 4 + 1, output: the number of pieces streamed).
//!
//! `GET /requests` lists the bodies and headers received (for tests to check what Loupe sent),
//! `DELETE /requests` forgets them.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

#[derive(Clone, Default)]
pub struct Received {
    requests: Arc<Mutex<Vec<Value>>>,
    /// The prompts `throttle-once` has refused once already.
    throttled: Arc<Mutex<std::collections::HashSet<String>>>,
}

impl Received {
    pub fn all(&self) -> Vec<Value> {
        self.requests.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether this is the first time `throttle-once` sees the prompt (and remembers it).
    fn first_time(&self, body: &Value) -> bool {
        let prompt = body.get("messages").map(Value::to_string).unwrap_or_default();
        self.throttled.lock().unwrap_or_else(|p| p.into_inner()).insert(prompt)
    }
}

/// The fake's routes, at `/v1/...` (and at the root, for base URLs without `/v1`).
pub fn router(received: Received) -> Router {
    let api = Router::new().route("/chat/completions", post(openai)).route("/messages", post(anthropic));
    Router::new()
        .nest("/v1", api.clone())
        .merge(api)
        .route("/requests", get(list).delete(forget))
        .with_state(received)
}

/// Serves on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, received: Received) {
    let _ = axum::serve(listener, router(received)).await;
}

/// Starts the fake on a free local port (inside a Tokio runtime); its base URL
/// (`http://127.0.0.1:port/v1`) and what it receives.
pub async fn start() -> (String, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake provider");
    let addr = listener.local_addr().expect("its address");
    let received = Received::default();
    tokio::spawn(serve(listener, received.clone()));
    (format!("http://{addr}/v1"), received)
}

async fn list(State(received): State<Received>) -> Json<Value> {
    Json(Value::Array(received.all()))
}

async fn forget(State(received): State<Received>) -> StatusCode {
    received.requests.lock().unwrap_or_else(|p| p.into_inner()).clear();
    StatusCode::NO_CONTENT
}

#[derive(Clone, Copy, PartialEq)]
enum Wire {
    OpenAi,
    Anthropic,
}

/// What to answer, decided from the request.
enum Plan {
    Error(StatusCode, &'static str, String),
    Hang,
    Malformed,
    Text { pieces: Vec<String>, every: Duration, stall_after: Option<usize> },
    Tool { name: String, arguments: String },
}

fn plan(wire: Wire, body: &Value, key: &str, received: &Received) -> Plan {
    let model = body.get("model").and_then(Value::as_str).unwrap_or_default();
    if model.contains("throttle-once") && received.first_time(body) {
        return Plan::Error(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 1s.".into());
    }
    if key == "bad-key" {
        return Plan::Error(StatusCode::UNAUTHORIZED, "invalid_api_key", format!("Incorrect API key provided: {key}."));
    }
    if model.contains("unknown") {
        return Plan::Error(StatusCode::NOT_FOUND, "model_not_found", format!("The model `{model}` does not exist or you do not have access to it."));
    }
    if model.contains("rate-limit") {
        return Plan::Error(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 7s.".into());
    }
    let messages_text = body.get("messages").map(Value::to_string).unwrap_or_default();
    if model.contains("server-error") || messages_text.contains("fake-fail:server-error") {
        return Plan::Error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "The server had an error while processing your request.".into());
    }
    if model.contains("content-filter") {
        return Plan::Error(StatusCode::BAD_REQUEST, "content_filter", "The response was filtered due to the prompt triggering the content management policy.".into());
    }
    if model.contains("hang") {
        return Plan::Hang;
    }
    if model.contains("malformed") {
        return Plan::Malformed;
    }
    let messages = body.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
    let last = messages.last().cloned().unwrap_or(Value::Null);
    let last_is_tool_result = match wire {
        Wire::OpenAi => last.get("role").and_then(Value::as_str) == Some("tool"),
        Wire::Anthropic => last
            .get("content")
            .and_then(Value::as_array)
            .is_some_and(|parts| parts.iter().any(|p| p.get("type").and_then(Value::as_str) == Some("tool_result"))),
    };
    let tools = body.get("tools").and_then(Value::as_array).cloned().unwrap_or_default();
    if let (Some(tool), false) = (tools.first(), last_is_tool_result) {
        let (name, schema) = match wire {
            Wire::OpenAi => (tool.pointer("/function/name"), tool.pointer("/function/parameters")),
            Wire::Anthropic => (tool.get("name"), tool.get("input_schema")),
        };
        let arguments = instance(schema.unwrap_or(&Value::Null), true);
        return Plan::Tool { name: name.and_then(Value::as_str).unwrap_or("tool").to_string(), arguments: arguments.to_string() };
    }
    let schema = match wire {
        Wire::OpenAi => body.pointer("/response_format/json_schema/schema"),
        Wire::Anthropic => body.pointer("/output_config/format/schema").or_else(|| body.pointer("/output_format/schema")),
    };
    let text = if let (Some(_), true) = (schema, model.contains("judge-invalid")) {
        json!({"reasoning": "The answer reads well.", "score": "excellent"}).to_string()
    } else if let Some(schema) = schema {
        instance(schema, false).to_string()
    } else if last_is_tool_result {
        format!("The tool said: {}", text_of(wire, &last))
    } else {
        let user = messages.iter().rev().find(|m| m.get("role").and_then(Value::as_str) == Some("user"));
        format!("Echo: {}", user.map(|m| text_of(wire, m)).unwrap_or_default())
    };
    let pieces = split_words(&text);
    let slow = model.contains("slow");
    let unpaced = model.contains("instant") || delay(model).is_some();
    Plan::Text {
        stall_after: model.contains("stall").then_some(1),
        every: if slow {
            Duration::from_millis(250)
        } else if unpaced {
            Duration::ZERO
        } else {
            Duration::from_millis(5)
        },
        pieces,
    }
}

/// `delay-<N>ms` in the model name: how long to wait before answering.
fn delay(model: &str) -> Option<Duration> {
    let rest = &model[model.find("delay-")? + "delay-".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if !rest[digits.len()..].starts_with("ms") {
        return None;
    }
    digits.parse::<u64>().ok().map(|ms| Duration::from_millis(ms.min(60_000)))
}

/// Words with their following space, so the pieces join back into the text.
fn split_words(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if c == ' ' {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// A message's text: a string content, or its text / tool-result parts.
fn text_of(wire: Wire, message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match (wire, p.get("type").and_then(Value::as_str)) {
                (_, Some("text")) => p.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
                (Wire::Anthropic, Some("tool_result")) => match p.get("content") {
                    Some(Value::String(t)) => t.clone(),
                    Some(other) => text_of(wire, &json!({"content": other})),
                    None => String::new(),
                },
                _ => String::new(),
            })
            .collect(),
        _ => String::new(),
    }
}

/// A value valid against a (simple) JSON Schema: the first enum value, else one per type; for
/// tool arguments only the required properties.
fn instance(schema: &Value, required_only: bool) -> Value {
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).find(|k| *k != "null").unwrap_or("null"),
        Some(Value::String(kind)) => kind.as_str(),
        _ => "object",
    };
    match kind {
        "object" => {
            let required: Vec<&str> =
                schema.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            let mut object = serde_json::Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    if !required_only || required.contains(&name.as_str()) {
                        object.insert(name.clone(), instance(property, required_only));
                    }
                }
            }
            Value::Object(object)
        }
        "array" => json!([instance(schema.get("items").unwrap_or(&Value::Null), required_only)]),
        "string" => json!("Paris"),
        "integer" => json!(within(schema, 1.0).round() as i64),
        "number" => json!(within(schema, 1.5)),
        "boolean" => json!(true),
        _ => Value::Null,
    }
}

/// `preferred` when the schema's `minimum`/`maximum` allow it, else the middle of the range (or
/// its one bound).
fn within(schema: &Value, preferred: f64) -> f64 {
    let min = schema.get("minimum").and_then(Value::as_f64);
    let max = schema.get("maximum").and_then(Value::as_f64);
    match (min, max) {
        (Some(lo), Some(hi)) if preferred < lo || preferred > hi => (lo + hi) / 2.0,
        (Some(lo), None) if preferred < lo => lo,
        (None, Some(hi)) if preferred > hi => hi,
        _ => preferred,
    }
}

fn input_tokens(body: &Value) -> u64 {
    body.get("messages").map(|m| m.to_string().chars().count() as u64 / 4 + 1).unwrap_or(1)
}

fn remember(received: &Received, path: &str, headers: &HeaderMap, body: &Value) {
    let headers: serde_json::Map<String, Value> =
        headers.iter().map(|(k, v)| (k.as_str().to_string(), Value::String(v.to_str().unwrap_or_default().to_string()))).collect();
    received.requests.lock().unwrap_or_else(|p| p.into_inner()).push(json!({"path": path, "headers": headers, "body": body}));
}

fn error(wire: Wire, status: StatusCode, code: &str, message: String) -> Response {
    let hinted = message.contains("try again in 1s");
    let body = match wire {
        Wire::OpenAi => json!({"error": {"message": message, "type": "invalid_request_error", "code": code}}),
        Wire::Anthropic => json!({"type": "error", "error": {"type": code, "message": message}}),
    };
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        let seconds = if hinted { "1" } else { "7" };
        response.headers_mut().insert("retry-after", seconds.parse().expect("a header value"));
    }
    response
}

fn event_stream(events: impl futures_util::Stream<Item = String> + Send + 'static) -> Response {
    let body = Body::from_stream(events.map(|e| Ok::<_, Infallible>(Bytes::from(e))));
    ([("content-type", "text/event-stream"), ("cache-control", "no-cache")], body).into_response()
}

/// Sends `frames` with a pause before each, then, for a stall, stays open without a word.
fn paced(frames: Vec<String>, every: Duration, stall_after: Option<usize>) -> impl futures_util::Stream<Item = String> + Send {
    let total = frames.len();
    let cut = stall_after.unwrap_or(total);
    stream::iter(frames.into_iter().enumerate()).then(move |(i, frame)| async move {
        if i > cut {
            // Never sends the rest: a provider that went silent mid-answer.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(every).await;
        frame
    })
}

async fn openai(State(received): State<Received>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    remember(&received, "/chat/completions", &headers, &body);
    let key = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
    let plan = plan(Wire::OpenAi, &body, key, &received);
    if let (Some(wait), Plan::Text { .. }) = (delay(body.get("model").and_then(Value::as_str).unwrap_or_default()), &plan) {
        tokio::time::sleep(wait).await;
    }
    let model = body.get("model").and_then(Value::as_str).unwrap_or_default().to_string();
    let chunk = |delta: Value, finish: Value| {
        let data = json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        format!("data: {data}\n\n")
    };
    let input = input_tokens(&body);
    let usage = |output: usize| {
        let data = json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model, "choices": [],
            "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output as u64}});
        format!("data: {data}\n\n")
    };
    let streamed = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    match plan {
        Plan::Error(status, code, message) => error(Wire::OpenAi, status, code, message),
        Plan::Hang => std::future::pending().await,
        Plan::Malformed => event_stream(stream::iter(vec![chunk(json!({"role": "assistant", "content": "Hel"}), Value::Null), "data: {not json\n\n".to_string()])),
        Plan::Text { pieces, every, stall_after } if streamed => {
            let mut frames = vec![chunk(json!({"role": "assistant", "content": ""}), Value::Null)];
            let count = pieces.len();
            frames.extend(pieces.into_iter().map(|p| chunk(json!({"content": p}), Value::Null)));
            frames.push(chunk(json!({}), json!("stop")));
            frames.push(usage(count));
            frames.push("data: [DONE]\n\n".into());
            event_stream(paced(frames, every, stall_after.map(|n| n + 1)))
        }
        Plan::Text { pieces, .. } => {
            let count = pieces.len();
            Json(json!({"id": "chatcmpl-fake", "object": "chat.completion", "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": pieces.concat()}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": input, "completion_tokens": count, "total_tokens": input + count as u64}}))
            .into_response()
        }
        Plan::Tool { name, arguments } => {
            let half = arguments.len() / 2;
            let (a, b) = arguments.split_at(arguments.char_indices().map(|(i, _)| i).find(|i| *i >= half).unwrap_or(0));
            let frames = vec![
                chunk(json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0, "id": "call_fake_1", "type": "function", "function": {"name": name, "arguments": ""}}]}), Value::Null),
                chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": a}}]}), Value::Null),
                chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": b}}]}), Value::Null),
                chunk(json!({}), json!("tool_calls")),
                usage(3),
                "data: [DONE]\n\n".into(),
            ];
            event_stream(paced(frames, Duration::from_millis(5), None))
        }
    }
}

async fn anthropic(State(received): State<Received>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    remember(&received, "/messages", &headers, &body);
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let plan = plan(Wire::Anthropic, &body, key, &received);
    if let (Some(wait), Plan::Text { .. }) = (delay(body.get("model").and_then(Value::as_str).unwrap_or_default()), &plan) {
        tokio::time::sleep(wait).await;
    }
    let model = body.get("model").and_then(Value::as_str).unwrap_or_default().to_string();
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let input = input_tokens(&body);
    let start = event(
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "usage": {"input_tokens": input, "output_tokens": 1}}}),
    );
    let end = |reason: &str, output: usize| {
        vec![
            event("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": null}, "usage": {"output_tokens": output}})),
            event("message_stop", json!({"type": "message_stop"})),
        ]
    };
    match plan {
        Plan::Error(status, code, message) => {
            let code = match status.as_u16() {
                401 => "authentication_error",
                404 => "not_found_error",
                429 => "rate_limit_error",
                500 => "api_error",
                _ => code,
            };
            error(Wire::Anthropic, status, code, message)
        }
        Plan::Hang => std::future::pending().await,
        Plan::Malformed => event_stream(stream::iter(vec![start, "event: content_block_delta\ndata: {not json\n\n".to_string()])),
        Plan::Text { pieces, every, stall_after } => {
            let count = pieces.len();
            let mut frames = vec![start, event("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))];
            frames.extend(pieces.into_iter().map(|p| event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}))));
            frames.push(event("content_block_stop", json!({"type": "content_block_stop", "index": 0})));
            frames.extend(end("end_turn", count));
            event_stream(paced(frames, every, stall_after.map(|n| n + 1)))
        }
        Plan::Tool { name, arguments } => {
            let mut frames = vec![
                start,
                event("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "toolu_fake_1", "name": name, "input": {}}})),
                event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": arguments}})),
                event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
            ];
            frames.extend(end("tool_use", 3));
            event_stream(paced(frames, Duration::from_millis(5), None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_follow_the_schema() {
        let schema = json!({"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "unit": {"enum": ["c", "f"]}}, "required": ["city"]});
        assert_eq!(instance(&schema, true), json!({"city": "Paris"}));
        assert_eq!(instance(&schema, false), json!({"city": "Paris", "days": 1, "unit": "c"}));
        assert_eq!(split_words("Echo: hi there").concat(), "Echo: hi there");
        assert_eq!(instance(&json!({"type": "number", "minimum": 0, "maximum": 1}), false), json!(0.5));
        assert_eq!(instance(&json!({"type": "number", "minimum": 0, "maximum": 10}), false), json!(1.5));
    }

    #[test]
    fn judge_scenarios() {
        assert_eq!(delay("gpt-4o-delay-500ms"), Some(Duration::from_millis(500)));
        assert_eq!(delay("gpt-4o-delay-500"), None);
        assert_eq!(delay("gpt-4o"), None);
        let received = Received::default();
        let body = json!({"model": "judge-throttle-once", "messages": [{"role": "user", "content": "a"}]});
        assert!(matches!(plan(Wire::OpenAi, &body, "k", &received), Plan::Error(StatusCode::TOO_MANY_REQUESTS, ..)));
        assert!(matches!(plan(Wire::OpenAi, &body, "k", &received), Plan::Text { .. }), "the second time it answers");
        let schema = json!({"model": "judge-invalid", "messages": [], "response_format": {"json_schema": {"schema": {"type": "object"}}}});
        let Plan::Text { pieces, .. } = plan(Wire::OpenAi, &schema, "k", &received) else { panic!() };
        assert_eq!(serde_json::from_str::<Value>(&pieces.concat()).unwrap()["score"], "excellent");
    }
}
