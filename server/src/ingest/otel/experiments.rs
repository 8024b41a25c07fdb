//! Experiment spans (COMPATIBILITY.md §7.2): a span carrying `langfuse.experiment.id` belongs to
//! an experiment run; the span whose id equals `langfuse.experiment.item.root_observation_id` is
//! the root of one dataset item's run and links that item to its trace. The SDKs propagate the
//! run's attributes onto every span of the item, so most spans only repeat the run; the writer
//! folds them (`loupe_core::ingest::experiments`).
//!
//! The attributes stay in the OTel record as sent; these lookups `peek` (they describe the run,
//! not a field of the observation, so the mapping inspector does not list them as mapped).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::attributes::{json_object, json_or_string, to_text, Attributes};
use crate::ingest::model::{ExperimentItem, ExperimentSpan};

const ID: &str = "langfuse.experiment.id";
const NAME: &str = "langfuse.experiment.name";
const DESCRIPTION: &str = "langfuse.experiment.description";
const METADATA: &str = "langfuse.experiment.metadata";
const DATASET_ID: &str = "langfuse.experiment.dataset.id";
const ITEM_ID: &str = "langfuse.experiment.item.id";
const ITEM_VERSION: &str = "langfuse.experiment.item.version";
const ITEM_ROOT: &str = "langfuse.experiment.item.root_observation_id";

/// A non-empty text attribute (numbers and booleans as text; SDKs send strings).
fn text(attrs: &Attributes, key: &str) -> Option<String> {
    let value = attrs.peek(key)?;
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(_) | Value::Bool(_) => to_text(value),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// The experiment metadata: the JSON object attribute, with `langfuse.experiment.metadata.<k>`
/// keys merged over it (the server accepts both forms, as Langfuse's does).
fn metadata(attrs: &Attributes) -> Option<Value> {
    let mut map: Map<String, Value> = attrs
        .peek(METADATA)
        .and_then(json_object)
        .unwrap_or_default();
    let prefix = "langfuse.experiment.metadata.";
    for (key, value) in attrs.with_prefix(prefix) {
        let name = &key[prefix.len()..];
        if !name.is_empty() {
            map.insert(name.to_string(), json_or_string(value));
        }
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

/// An ISO 8601 timestamp; anything else is dropped (as Langfuse's server does).
fn version(attrs: &Attributes) -> Option<DateTime<Utc>> {
    let raw = text(attrs, ITEM_VERSION)?;
    DateTime::parse_from_rfc3339(&raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| raw.parse::<chrono::NaiveDateTime>().map(|t| t.and_utc()))
        .ok()
}

/// What the span says about its experiment; `None` for a span outside any experiment.
pub fn extract(attrs: &Attributes, trace_id: &str, span_id: &str) -> Option<ExperimentSpan> {
    let experiment_id = text(attrs, ID)?;
    let item = match (text(attrs, ITEM_ROOT), text(attrs, ITEM_ID)) {
        (Some(root), Some(item_id)) if root == span_id => Some(ExperimentItem {
            item_id,
            observation_id: span_id.to_string(),
            version: version(attrs),
        }),
        _ => None,
    };
    Some(ExperimentSpan {
        experiment_id,
        name: text(attrs, NAME),
        description: text(attrs, DESCRIPTION),
        metadata: metadata(attrs),
        dataset_id: text(attrs, DATASET_ID),
        trace_id: trace_id.to_string(),
        item,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_item_root_span_links_its_item() {
        let a = Attributes::from_pairs([
            (ID, json!("9ded5db34c57a455")),
            (NAME, json!("exp-1 - 2026-12-03T01:08:28.777651Z")),
            (DESCRIPTION, json!("nightly")),
            (METADATA, json!("{\"model\":\"gpt-4o\",\"k\":1}")),
            ("langfuse.experiment.metadata.k", json!("2")),
            (DATASET_ID, json!("ds-1")),
            (ITEM_ID, json!("item-1")),
            (ITEM_ROOT, json!("00000000000000aa")),
            (ITEM_VERSION, json!("2026-01-02T03:04:05Z")),
        ]);
        let span = extract(&a, "trace-1", "00000000000000aa").unwrap();
        assert_eq!(span.experiment_id, "9ded5db34c57a455");
        assert_eq!(
            span.name.as_deref(),
            Some("exp-1 - 2026-12-03T01:08:28.777651Z")
        );
        assert_eq!(span.description.as_deref(), Some("nightly"));
        // The prefixed key is merged over the object (and its JSON text decoded).
        assert_eq!(span.metadata, Some(json!({"model": "gpt-4o", "k": 2})));
        assert_eq!(span.dataset_id.as_deref(), Some("ds-1"));
        let item = span.item.unwrap();
        assert_eq!(item.item_id, "item-1");
        assert_eq!(item.observation_id, "00000000000000aa");
        assert_eq!(
            item.version.unwrap().to_rfc3339(),
            "2026-01-02T03:04:05+00:00"
        );
    }

    #[test]
    fn other_spans_only_name_the_run() {
        let a = Attributes::from_pairs([
            (ID, json!("e1")),
            (ITEM_ID, json!("item-1")),
            (ITEM_ROOT, json!("00000000000000aa")),
            (ITEM_VERSION, json!("v2")),
        ]);
        let span = extract(&a, "t", "00000000000000bb").unwrap();
        assert_eq!(span.item, None);
        assert_eq!(span.name, None);
        assert_eq!(span.metadata, None);
        // A version that is not a timestamp is dropped, the link kept.
        let root = extract(&a, "t", "00000000000000aa").unwrap();
        assert_eq!(root.item.unwrap().version, None);
        assert_eq!(
            extract(&Attributes::from_pairs([(NAME, json!("x"))]), "t", "s"),
            None
        );
        assert_eq!(
            extract(&Attributes::from_pairs([(ID, json!("  "))]), "t", "s"),
            None
        );
    }
}
