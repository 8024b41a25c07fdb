//! The provider call: a checked run and a connection's credentials become one `genai` streaming
//! request, and `genai`'s errors become [`ProviderProblem`]s a person can act on.
//!
//! Every call names its endpoint, key and model explicitly (`ModelSpec::Target`), so nothing is
//! resolved from the environment or inferred from the model's name: a connection's adapter
//! decides the wire format, its base URL the address.

use genai::adapter::AdapterKind;
use genai::chat::{ChatMessage, ChatOptions, ChatRequest, ContentPart, JsonSpec, MessageContent, Tool, ToolResponse};
use genai::resolver::{AuthData, Endpoint};
use genai::{ModelIden, ModelSpec, ServiceTarget};
use loupe_domain::llm_connections::Adapter;
use loupe_domain::playground::{CheckedRun, Message, ProviderProblem, Role};
use serde_json::Value;

use crate::store::llm_connections::Credentials;

/// The wire format and base URL (ending in `/`, as `genai` joins paths onto it) of a connection;
/// `Err` for the adapters the playground cannot call yet.
pub fn target(credentials: &Credentials, model: &str) -> Result<ModelSpec, ProviderProblem> {
    let connection = &credentials.connection;
    let base = connection.base_url.as_deref().map(|url| url.trim_end_matches('/').to_string());
    let (kind, endpoint) = match connection.adapter {
        Adapter::OpenAi => (AdapterKind::OpenAI, base.unwrap_or_else(|| "https://api.openai.com/v1".into())),
        Adapter::Anthropic => (AdapterKind::Anthropic, base.unwrap_or_else(|| "https://api.anthropic.com/v1".into())),
        Adapter::GoogleAiStudio => {
            (AdapterKind::Gemini, base.unwrap_or_else(|| "https://generativelanguage.googleapis.com/v1beta".into()))
        }
        // Azure OpenAI's v1 API is OpenAI's wire format under `{resource}/openai/v1`, with the
        // deployment name as the model (the key is sent as `api-key` too, see `options`).
        Adapter::Azure => {
            let base = base.unwrap_or_default();
            let endpoint = if base.contains("/openai") { base } else { format!("{base}/openai/v1") };
            (AdapterKind::OpenAI, endpoint)
        }
        Adapter::Bedrock | Adapter::GoogleVertexAi => {
            return Err(ProviderProblem::UnsupportedAdapter { adapter: connection.adapter.as_str().to_string() })
        }
    };
    Ok(ModelSpec::Target(ServiceTarget {
        endpoint: Endpoint::from_owned(format!("{endpoint}/")),
        auth: AuthData::Key(credentials.secret_key.clone()),
        model: ModelIden::new(kind, model.to_string()),
    }))
}

/// The request: messages, tools.
pub fn request(run: &CheckedRun) -> ChatRequest {
    let messages = run.messages.iter().map(message).collect();
    let mut request = ChatRequest::new(messages);
    if !run.tools.is_empty() {
        request = request.with_tools(run.tools.iter().map(|tool| {
            let mut t = Tool::new(tool.name.clone()).with_schema(tool.parameters.clone());
            if !tool.description.is_empty() {
                t = t.with_description(tool.description.clone());
            }
            t
        }));
    }
    request
}

fn message(m: &Message) -> ChatMessage {
    match m.role {
        Role::System => ChatMessage::system(m.content.clone()),
        Role::User | Role::Placeholder => ChatMessage::user(m.content.clone()),
        Role::Assistant if m.tool_calls.is_empty() => ChatMessage::assistant(m.content.clone()),
        Role::Assistant => {
            let mut parts: Vec<ContentPart> = Vec::new();
            if !m.content.is_empty() {
                parts.push(ContentPart::Text(m.content.clone()));
            }
            for call in &m.tool_calls {
                parts.push(ContentPart::ToolCall(genai::chat::ToolCall {
                    call_id: call.id.clone(),
                    fn_name: call.name.clone(),
                    // Arguments the model wrote as invalid JSON go back as the text they were.
                    fn_arguments: serde_json::from_str(&call.arguments).unwrap_or_else(|_| Value::String(call.arguments.clone())),
                    thought_signatures: None,
                }));
            }
            ChatMessage::assistant(MessageContent::from_parts(parts))
        }
        Role::Tool => ChatMessage::tool(ToolResponse::new(m.tool_call_id.clone().unwrap_or_default(), m.content.clone())),
    }
}

/// Parameters, the response schema, headers, and what the stream should capture.
pub fn options(run: &CheckedRun, credentials: &Credentials) -> ChatOptions {
    let params = &run.variant.params;
    let mut options = ChatOptions::default().with_capture_usage(true).with_capture_tool_calls(true).with_capture_content(true);
    if let Some(t) = params.temperature {
        options = options.with_temperature(t);
    }
    if let Some(m) = params.max_tokens {
        options = options.with_max_tokens(m);
    } else if credentials.connection.adapter == Adapter::Anthropic {
        // Anthropic requires max_tokens; this is its documented common ceiling for the models
        // the playground lists.
        options = options.with_max_tokens(4096);
    }
    if let Some(p) = params.top_p {
        options = options.with_top_p(p);
    }
    if !params.stop.is_empty() {
        options = options.with_stop_sequences(params.stop.clone());
    }
    // Anthropic has no seed; the others take it.
    if let Some(s) = params.seed.filter(|_| credentials.connection.adapter != Adapter::Anthropic) {
        options = options.with_seed(s);
    }
    if let Some(schema) = &run.response_schema {
        options = options.with_response_format(JsonSpec::new("response", schema.clone()));
    }
    let mut headers: Vec<(String, String)> = credentials.extra_headers.clone();
    if credentials.connection.adapter == Adapter::Azure {
        headers.push(("api-key".into(), credentials.secret_key.clone()));
    }
    if !headers.is_empty() {
        options = options.with_extra_headers(headers);
    }
    options
}

/// What a failed call means, in the provider's own words where it gave any.
pub fn problem(error: &genai::Error) -> ProviderProblem {
    use genai::webc::Error as Web;
    let (status, body, headers) = match error {
        genai::Error::HttpError { status, body, headers, .. } => (Some(status.as_u16()), body.clone(), Some(headers.as_ref())),
        genai::Error::WebModelCall { webc_error, .. } | genai::Error::WebAdapterCall { webc_error, .. } => match webc_error {
            Web::ResponseFailedStatus { status, body, headers } => (Some(status.as_u16()), body.clone(), Some(headers.as_ref())),
            Web::Reqwest(e) => return transport(e),
            other => return ProviderProblem::MalformedStream { message: other.to_string() },
        },
        genai::Error::ChatResponse { body, .. } => {
            return ProviderProblem::Refused { status: 0, message: provider_message(&body.to_string()) };
        }
        genai::Error::WebStream { error, cause, .. } => {
            // A stream's first response is read inside the stream: its HTTP failure comes
            // wrapped here.
            if let Some(inner) = error.downcast_ref::<genai::Error>() {
                return problem(inner);
            }
            if let Some(e) = error.downcast_ref::<reqwest13::Error>() {
                return transport(e);
            }
            return ProviderProblem::MalformedStream { message: cause.clone() };
        }
        genai::Error::StreamParse { serde_error, .. } => return ProviderProblem::MalformedStream { message: serde_error.to_string() },
        other => return ProviderProblem::MalformedStream { message: first_line(&other.to_string()) },
    };
    let status = status.unwrap_or(0);
    let message = provider_message(&body);
    let lowered = body.to_ascii_lowercase();
    match status {
        401 | 403 => ProviderProblem::BadKey { message },
        404 => ProviderProblem::UnknownModel { message },
        429 => {
            let retry_after_seconds = headers.and_then(|h| {
                let header = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok());
                header("retry-after").or_else(|| header("retry-after-ms").map(|ms| ms / 1000.0)).map(|s| s.ceil().max(0.0) as u64)
            });
            ProviderProblem::RateLimited { retry_after_seconds, message }
        }
        400..=499 if lowered.contains("content_filter") || lowered.contains("content_policy") || lowered.contains("content management policy") => {
            ProviderProblem::ContentFilter { message }
        }
        400..=499 if lowered.contains("model_not_found") || lowered.contains("does not exist") && lowered.contains("model") => {
            ProviderProblem::UnknownModel { message }
        }
        500..=599 => ProviderProblem::ProviderDown { status, message },
        _ => ProviderProblem::Refused { status, message },
    }
}

fn transport(e: &reqwest13::Error) -> ProviderProblem {
    if e.is_timeout() {
        return ProviderProblem::Timeout { seconds: 0 };
    }
    if e.is_connect() || e.is_request() {
        return ProviderProblem::Unreachable { message: error_chain(e) };
    }
    ProviderProblem::MalformedStream { message: error_chain(e) }
}

/// `reqwest`'s top message says little ("error sending request"); its sources say why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// The `message` of the providers' error bodies (`{"error": {"message"}}` for OpenAI, Anthropic
/// and Gemini), else the body itself, shortened.
pub fn provider_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message").or_else(|| v.get("message")).or_else(|| v.get("error")).and_then(Value::as_str).map(str::to_string)
    });
    let text = message.unwrap_or_else(|| body.trim().to_string());
    let mut short: String = text.chars().take(500).collect();
    if text.chars().count() > 500 {
        short.push('…');
    }
    if short.is_empty() {
        short = "(no message)".into();
    }
    short
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_messages_are_found_in_their_bodies() {
        assert_eq!(provider_message(r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#), "Incorrect API key provided");
        assert_eq!(provider_message(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#), "Overloaded");
        assert_eq!(provider_message("upstream connect error"), "upstream connect error");
        assert_eq!(provider_message(""), "(no message)");
        assert_eq!(provider_message(&"x".repeat(600)).chars().count(), 501);
    }
}
