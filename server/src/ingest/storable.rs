//! The one place where ingested values are made storable, before anything reaches SQL. Every
//! path calls it per event (`legacy` per batch event, `otel::mapping` per span, `scores` per
//! score), so a value the database would refuse costs only its own event:
//!
//! - **NUL characters** (`\u0000`) are replaced by U+FFFD (`�`) in every string: ids, names,
//!   free text, and JSON keys and values at any depth. Postgres stores neither NUL in `text` nor
//!   `\u0000` in `jsonb`, and LLM outputs do contain them. Replacing (not removing) keeps the
//!   text's length and shows a reader that something was there; the same id always maps to the
//!   same stored id, so later updates still find their row. (A read that looks up a value with a
//!   NUL answers 400, from `store::fault`: the stored id has U+FFFD in its place.)
//! - **Keys** — ids, user and session ids, trace and score names, tags, model and prompt names:
//!   the values that are indexed — are at most [`MAX_KEY_BYTES`] bytes of UTF-8 (a btree index
//!   row holds at most 2,704 bytes, with the project id beside the key; the tables also check ids
//!   are at most 800 characters). A longer one refuses the
//!   event with its field and the limit; nothing is truncated.
//! - Free text (input, output, metadata, status messages, comments, versions) is kept whole.

use serde_json::Value;

use super::model::{ExperimentItem, ExperimentSpan, ObservationPatch, ScoreRecord, TracePatch};

/// Upper bound, in UTF-8 bytes, on every indexed value (ids, names, tags, user and session ids).
pub const MAX_KEY_BYTES: usize = 800;

/// What the replacement of a NUL character is.
pub const NUL_REPLACEMENT: char = '\u{FFFD}';

/// A value refused because it is longer than an index allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The field in the public API's vocabulary (`userId`, `tags[2]`).
    pub field: String,
    pub bytes: usize,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} bytes; ids, names, tags, user and session ids are limited to {MAX_KEY_BYTES} bytes of UTF-8",
            self.field, self.bytes
        )
    }
}

/// Replaces every NUL character of `s`.
pub fn text(s: &mut String) {
    if s.contains('\0') {
        *s = s.replace('\0', "\u{FFFD}");
    }
}

/// Replaces NUL characters in every string and object key of `value`, at any depth. Iterative:
/// the depth of untrusted JSON is no concern here.
pub fn json(value: &mut Value) {
    let mut stack: Vec<&mut Value> = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(s) => text(s),
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => {
                if map.keys().any(|k| k.contains('\0')) {
                    let entries = std::mem::take(map);
                    for (mut key, item) in entries {
                        text(&mut key);
                        // Two keys that differ only by NUL vs U+FFFD: the later one wins, as a
                        // duplicate key does in JSON.
                        map.insert(key, item);
                    }
                }
                stack.extend(map.values_mut());
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

fn opt_json(value: &mut Option<Value>) {
    if let Some(value) = value {
        json(value);
    }
}

fn opt_text(s: &mut Option<String>) {
    if let Some(s) = s {
        text(s);
    }
}

fn key(field: &str, s: &mut String) -> Result<(), Refusal> {
    text(s);
    if s.len() > MAX_KEY_BYTES {
        return Err(Refusal { field: field.to_string(), bytes: s.len() });
    }
    Ok(())
}

fn opt_key(field: &str, s: &mut Option<String>) -> Result<(), Refusal> {
    match s {
        Some(s) => key(field, s),
        None => Ok(()),
    }
}

fn tags(tags: &mut [String]) -> Result<(), Refusal> {
    for (i, tag) in tags.iter_mut().enumerate() {
        text(tag);
        if tag.len() > MAX_KEY_BYTES {
            return Err(Refusal { field: format!("tags[{i}]"), bytes: tag.len() });
        }
    }
    Ok(())
}

/// Makes a trace patch storable, or names the value that cannot be.
pub fn trace(patch: &mut TracePatch) -> Result<(), Refusal> {
    let TracePatch {
        id,
        timestamp: _,
        name,
        user_id,
        session_id,
        release,
        version,
        input,
        output,
        metadata,
        tags: t,
        public: _,
        environment,
        fallback,
    } = patch;
    key("id", id)?;
    opt_key("name", name)?;
    opt_key("name", &mut fallback.name)?;
    opt_json(&mut fallback.input);
    opt_json(&mut fallback.output);
    opt_key("userId", user_id)?;
    opt_key("sessionId", session_id)?;
    tags(t)?;
    opt_text(release);
    opt_text(version);
    opt_text(environment);
    opt_json(input);
    opt_json(output);
    opt_json(metadata);
    Ok(())
}

/// Makes an observation patch storable, or names the value that cannot be.
pub fn observation(patch: &mut ObservationPatch) -> Result<(), Refusal> {
    let ObservationPatch {
        id,
        trace_id,
        r#type: _,
        parent_observation_id,
        name,
        start_time: _,
        end_time: _,
        completion_start_time: _,
        model,
        model_parameters,
        input,
        output,
        metadata,
        level: _,
        status_message,
        version,
        environment,
        usage,
        cost,
        prompt_name,
        prompt_version: _,
        // Bytes: stored as sent, NUL included (only jsonb refuses it).
        otel_record: _,
    } = patch;
    key("id", id)?;
    key("traceId", trace_id)?;
    opt_key("parentObservationId", parent_observation_id)?;
    opt_key("model", model)?;
    opt_key("promptName", prompt_name)?;
    // Not indexed, but shown in one line everywhere: free text all the same.
    opt_text(name);
    opt_text(status_message);
    opt_text(version);
    opt_text(environment);
    opt_json(model_parameters);
    opt_json(input);
    opt_json(output);
    opt_json(metadata);
    opt_json(cost);
    opt_json(&mut usage.legacy);
    opt_json(&mut usage.details);
    if usage.gen_ai.keys().any(|k| k.contains('\0')) {
        usage.gen_ai = std::mem::take(&mut usage.gen_ai).into_iter().map(|(k, v)| (k.replace('\0', "\u{FFFD}"), v)).collect();
    }
    Ok(())
}

/// Makes an experiment span's run and item link storable, or names the value that cannot be
/// (fields by their OTLP attribute). Free text (description, metadata) is kept whole.
pub fn experiment(span: &mut ExperimentSpan) -> Result<(), Refusal> {
    let ExperimentSpan { experiment_id, name, description, metadata, dataset_id, trace_id, item } = span;
    key("langfuse.experiment.id", experiment_id)?;
    opt_key("langfuse.experiment.name", name)?;
    opt_key("langfuse.experiment.dataset.id", dataset_id)?;
    key("traceId", trace_id)?;
    opt_text(description);
    opt_json(metadata);
    if let Some(ExperimentItem { item_id, observation_id, version: _ }) = item {
        key("langfuse.experiment.item.id", item_id)?;
        key("spanId", observation_id)?;
    }
    Ok(())
}

/// Makes a score storable, or names the value that cannot be.
pub fn score(record: &mut ScoreRecord) -> Result<(), Refusal> {
    let ScoreRecord {
        id,
        timestamp: _,
        name,
        value: _,
        string_value,
        data_type: _,
        source: _,
        trace_id,
        observation_id,
        session_id,
        dataset_run_id,
        comment,
        metadata,
        config_id,
        queue_id,
        execution_trace_id,
        environment,
        author_user_id,
    } = record;
    opt_key("authorUserId", author_user_id)?;
    key("id", id)?;
    key("name", name)?;
    opt_key("traceId", trace_id)?;
    opt_key("observationId", observation_id)?;
    opt_key("sessionId", session_id)?;
    opt_key("datasetRunId", dataset_run_id)?;
    opt_key("configId", config_id)?;
    opt_key("queueId", queue_id)?;
    opt_key("executionTraceId", execution_trace_id)?;
    opt_text(string_value);
    opt_text(comment);
    text(environment);
    json(metadata);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use loupe_app::domain::ObservationType;
    use serde_json::json;

    #[test]
    fn nul_is_replaced_everywhere_in_json() {
        let mut value = json!({"a\u{0}b": ["x\u{0}", {"k": "v\u{0}\u{0}"}], "n": 1, "clean": "ok"});
        json(&mut value);
        assert_eq!(value, json!({"a\u{FFFD}b": ["x\u{FFFD}", {"k": "v\u{FFFD}\u{FFFD}"}], "n": 1, "clean": "ok"}));
        assert!(!value.to_string().contains("\\u0000"));
    }

    #[test]
    fn deep_json_is_walked_without_recursion() {
        let mut value = Value::String("leaf\u{0}".into());
        for _ in 0..200_000 {
            value = Value::Array(vec![value]);
        }
        json(&mut value);
        let mut inner = &value;
        while let Value::Array(items) = inner {
            inner = &items[0];
        }
        assert_eq!(inner, &Value::String("leaf\u{FFFD}".into()));
        // Dropping 200,000 nested arrays recursively would overflow the stack; serde_json's
        // drop is recursive, so unwind it by hand.
        let mut current = value;
        while let Value::Array(mut items) = current {
            current = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn keys_are_limited_in_bytes_and_named() {
        let mut patch = TracePatch { user_id: Some("é".repeat(401)), ..TracePatch::new("t") };
        let refusal = trace(&mut patch).unwrap_err();
        assert_eq!(refusal, Refusal { field: "userId".into(), bytes: 802 });
        assert!(refusal.to_string().contains("800 bytes"), "{refusal}");

        let mut patch = TracePatch { tags: vec!["ok".into(), "x".repeat(801)], ..TracePatch::new("t") };
        assert_eq!(trace(&mut patch).unwrap_err().field, "tags[1]");

        let mut at_limit = TracePatch { session_id: Some("s".repeat(MAX_KEY_BYTES)), ..TracePatch::new("t") };
        assert!(trace(&mut at_limit).is_ok());
    }

    #[test]
    fn free_text_is_kept_whole_and_ids_with_nul_map_to_one_stored_id() {
        let long = "长".repeat(100_000);
        let mut patch = ObservationPatch::new("o\u{0}1", "t", ObservationType::Span);
        patch.output = Some(Value::String(long.clone()));
        patch.status_message = Some("bad\u{0}".into());
        observation(&mut patch).unwrap();
        assert_eq!(patch.id, "o\u{FFFD}1");
        assert_eq!(patch.output, Some(Value::String(long)));
        assert_eq!(patch.status_message.as_deref(), Some("bad\u{FFFD}"));

        let mut patch = ObservationPatch::new("o", "t", ObservationType::Generation);
        patch.model = Some("m".repeat(2000));
        assert_eq!(observation(&mut patch).unwrap_err().field, "model");
    }
}
