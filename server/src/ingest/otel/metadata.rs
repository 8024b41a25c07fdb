//! Metadata from attributes (§4.3 "observation metadata" / "trace metadata"). SDKs send metadata
//! two ways: a whole JSON object in `langfuse.observation.metadata` (or `langfuse.trace.metadata`,
//! or the domain-neutral `langfuse.metadata`), and one attribute per key under those names plus
//! the Vercel AI SDK's `ai.telemetry.metadata.<key>`. Per-key values go through
//! [`json_or_string`], so Python 5's double-encoded `"\"acme\""` and Python 3's plain `"acme"`
//! both become `"acme"`. When the same key arrives several ways, the most specific source wins:
//! domain-specific keys over `langfuse.metadata.*` over `ai.telemetry.metadata.*` over the whole
//! object.

use serde_json::{Map, Value};

use super::attributes::{json_object, json_or_string, Attributes};
use super::provenance::Entry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Observation,
    Trace,
}

impl Domain {
    fn key(self) -> &'static str {
        match self {
            Domain::Observation => "langfuse.observation.metadata",
            Domain::Trace => "langfuse.trace.metadata",
        }
    }

    fn key_prefix(self) -> &'static str {
        match self {
            Domain::Observation => "langfuse.observation.metadata.",
            Domain::Trace => "langfuse.trace.metadata.",
        }
    }
}

/// Vercel AI SDK keys that carry trace fields or the prompt link, not metadata.
const NOT_METADATA: [&str; 4] =
    ["ai.telemetry.metadata.userId", "ai.telemetry.metadata.sessionId", "ai.telemetry.metadata.tags", "ai.telemetry.metadata.langfusePrompt"];

pub fn extract(attrs: &Attributes, domain: Domain) -> Map<String, Value> {
    let whole = attrs.attempt(|| attrs.truthy(domain.key()).or_else(|| attrs.truthy("langfuse.metadata")).and_then(json_object));
    let mut metadata = whole.unwrap_or_default();
    for prefix in ["ai.telemetry.metadata.", "langfuse.metadata.", domain.key_prefix()] {
        for (key, value) in attrs.with_prefix(prefix) {
            let name = &key[prefix.len()..];
            if name.is_empty() || NOT_METADATA.contains(&key) {
                continue;
            }
            metadata.insert(name.to_string(), json_or_string(value));
            attrs.use_entry(key, Entry::KeySuffix(prefix.len() as u16));
        }
    }
    metadata
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn python_5_double_encoded_values() {
        let attrs = Attributes::from_pairs([
            ("langfuse.observation.metadata.gen_meta", json!("\"x\"")),
            ("langfuse.observation.metadata.outer_meta", json!("1")),
            ("langfuse.observation.metadata.nested", json!("{\"a\": [1, 2]}")),
        ]);
        assert_eq!(extract(&attrs, Domain::Observation), object(json!({"gen_meta": "x", "outer_meta": 1, "nested": {"a": [1, 2]}})));
    }

    #[test]
    fn python_3_unquoted_values() {
        let attrs = Attributes::from_pairs([
            ("langfuse.trace.metadata.tenant", json!("acme")),
            ("langfuse.observation.metadata.outer_meta", json!(1)),
        ]);
        assert_eq!(extract(&attrs, Domain::Trace), object(json!({"tenant": "acme"})));
        assert_eq!(extract(&attrs, Domain::Observation), object(json!({"outer_meta": 1})));
    }

    #[test]
    fn whole_object_merged_with_keys() {
        let attrs = Attributes::from_pairs([
            ("langfuse.observation.metadata", json!("{\"a\": 1, \"b\": {\"c\": \"\\\"kept as is\\\"\"}}")),
            ("langfuse.observation.metadata.a", json!("2")),
        ]);
        assert_eq!(extract(&attrs, Domain::Observation), object(json!({"a": 2, "b": {"c": "\"kept as is\""}})));
    }

    #[test]
    fn langfuse_metadata_is_the_fallback_object_and_applies_to_both_domains() {
        let attrs = Attributes::from_pairs([("langfuse.metadata", json!("{\"env\": \"x\"}")), ("langfuse.metadata.k", json!("v"))]);
        assert_eq!(extract(&attrs, Domain::Observation), object(json!({"env": "x", "k": "v"})));
        assert_eq!(extract(&attrs, Domain::Trace), object(json!({"env": "x", "k": "v"})));
    }

    #[test]
    fn vercel_telemetry_metadata_without_trace_fields() {
        let attrs = Attributes::from_pairs([
            ("ai.telemetry.metadata.userId", json!("u")),
            ("ai.telemetry.metadata.sessionId", json!("s")),
            ("ai.telemetry.metadata.tags", json!(["t"])),
            ("ai.telemetry.metadata.langfusePrompt", json!("{\"name\":\"p\",\"version\":1}")),
            ("ai.telemetry.metadata.feature", json!("chat")),
        ]);
        assert_eq!(extract(&attrs, Domain::Observation), object(json!({"feature": "chat"})));
    }

    #[test]
    fn specific_sources_win() {
        let attrs = Attributes::from_pairs([
            ("ai.telemetry.metadata.k", json!("vercel")),
            ("langfuse.metadata.k", json!("neutral")),
            ("langfuse.observation.metadata.k", json!("specific")),
        ]);
        assert_eq!(extract(&attrs, Domain::Observation), object(json!({"k": "specific"})));
        assert_eq!(extract(&attrs, Domain::Trace), object(json!({"k": "neutral"})));
    }

    #[test]
    fn domains_are_separate_and_junk_is_ignored() {
        let attrs = Attributes::from_pairs([
            ("langfuse.trace.metadata", json!("not json")),
            ("langfuse.trace.metadata.", json!("empty key")),
            ("langfuse.observation.metadata.only_obs", json!("x")),
        ]);
        assert_eq!(extract(&attrs, Domain::Trace), Map::new());
    }
}
