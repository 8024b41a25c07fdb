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

/// `value` with every object's keys in sorted order, recursively: a canonical form for diffs and
/// formatting, whatever order the keys were written or stored in.
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&map[k]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

