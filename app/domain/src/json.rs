//! Small helpers for messages about untrusted JSON, shared by every reader of it (ingestion,
//! the public API, the prompt editor) so they all describe a wrong value the same way.

use serde_json::Value;

/// What a JSON value is, as an error message says it: "expected a string, got **a number**".
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
