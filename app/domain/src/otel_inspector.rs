//! The OTel mapping inspector's rows: an observation's raw OpenTelemetry attributes (span,
//! resource, instrumentation scope) next to the fields they were mapped to.
//!
//! The mapping is not worked out here: the ingestion mapper records which attribute fed which
//! field while it maps a span (`server/src/ingest/otel/provenance.rs`) and stores that record
//! beside the raw attributes, so what the inspector shows is what ingestion did. An attribute
//! without an entry was read by no rule: it is kept in the raw attributes only (for third-party
//! instrumentations also in the observation's `metadata.attributes`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where an attribute was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AttrScope {
    Span,
    Resource,
    /// The instrumentation scope (its name and version are shown as `otel.scope.name` and
    /// `otel.scope.version`, as OpenTelemetry names them outside OTLP).
    Scope,
}

impl AttrScope {
    pub const ALL: [AttrScope; 3] = [AttrScope::Span, AttrScope::Resource, AttrScope::Scope];

    pub fn label(self) -> &'static str {
        match self {
            AttrScope::Span => "Span attributes",
            AttrScope::Resource => "Resource attributes",
            AttrScope::Scope => "Instrumentation scope",
        }
    }

    /// The key of this scope in the stored mapping (`otel_attributes.mapped`).
    fn mapping_key(self) -> &'static str {
        match self {
            AttrScope::Span => "span",
            AttrScope::Resource => "resource",
            AttrScope::Scope => "scope",
        }
    }
}

/// One attribute and the fields it fed (empty: not mapped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeRow {
    pub scope: AttrScope,
    pub key: String,
    /// The decoded value as stored (untrusted: render as text).
    pub value: Value,
    /// Fields in the UI's vocabulary: `model`, `usageDetails.input`, `metadata.tenant`,
    /// `trace.userId`, ... A key may feed several (a root span's input is the trace's too).
    pub mapped_to: Vec<String>,
    /// The field the value is shown from (`input`, `output`): the record stores that attribute's
    /// value once, as the field, and the value is read back from it (re-serialized when it was
    /// JSON text), so it is the value as stored rather than byte for byte as sent.
    pub stored_as: Option<String>,
}

impl AttributeRow {
    pub fn is_mapped(&self) -> bool {
        !self.mapped_to.is_empty()
    }

    /// The value as text: strings as they are, anything else as compact JSON.
    pub fn value_text(&self) -> String {
        match &self.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// The JSON type of the value (`string`, `number`, `boolean`, `array`, `object`, `null`).
    pub fn value_type(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Whether the filter text (case-insensitive) occurs in the key or a mapped field.
    pub fn matches(&self, filter: &str) -> bool {
        let filter = filter.trim().to_lowercase();
        filter.is_empty()
            || self.key.to_lowercase().contains(&filter)
            || self.mapped_to.iter().any(|f| f.to_lowercase().contains(&filter))
    }
}

/// The rows of an observation's stored `otel_attributes` (without `mapped`) and its `mapping`
/// (`{"span": {key: [field, ...]}, "resource": {...}}`; null when none was recorded): by scope
/// (span, resource, scope), mapped rows first, then by key. Anything not in the stored shape is
/// skipped rather than failing: the value comes from the database, written by older versions too.
pub fn rows(otel_attributes: &Value, mapping: &Value) -> Vec<AttributeRow> {
    let mut rows = Vec::new();
    for scope in AttrScope::ALL {
        let attributes = match scope {
            AttrScope::Span => otel_attributes.get("span"),
            AttrScope::Resource => otel_attributes.get("resource"),
            AttrScope::Scope => otel_attributes.get("scope").and_then(|s| s.get("attributes")),
        };
        let mapped = mapping.get(scope.mapping_key());
        // Only span attributes are stored as fields (the record's `stored`).
        let stored = (scope == AttrScope::Span).then(|| otel_attributes.get("stored")).flatten();
        if let Some(Value::Object(attributes)) = attributes {
            rows.extend(attributes.iter().map(|(key, value)| AttributeRow {
                scope,
                key: key.clone(),
                value: value.clone(),
                mapped_to: mapped.and_then(|m| m.get(key)).map(field_names).unwrap_or_default(),
                stored_as: stored.and_then(|s| s.get(key)).and_then(|s| s.get("field")).and_then(Value::as_str).map(str::to_string),
            }));
        }
        if scope == AttrScope::Scope {
            let identity = otel_attributes.get("scope");
            for (key, field) in [("otel.scope.name", "name"), ("otel.scope.version", "version")] {
                if let Some(value) = identity.and_then(|s| s.get(field)).filter(|v| v.as_str().is_some_and(|s| !s.is_empty())) {
                    rows.push(AttributeRow { scope, key: key.into(), value: value.clone(), mapped_to: Vec::new(), stored_as: None });
                }
            }
        }
    }
    rows.sort_by(|a, b| (a.scope, !a.is_mapped(), &a.key).cmp(&(b.scope, !b.is_mapped(), &b.key)));
    rows
}

/// A list of field names (a single name is accepted too).
fn field_names(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Value::String(name) => vec![name.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stored() -> Value {
        json!({
            "span": {
                "langfuse.observation.model.name": "gpt-4o",
                "gen_ai.usage.input_tokens": 42,
                "http.method": "GET",
                "langfuse.observation.input": "{\"q\": 1}",
            },
            "resource": {"service.name": "svc", "deployment.environment": "prod"},
            "scope": {"name": "langfuse-sdk", "version": "5.0.4", "attributes": {"public_key": "pk-lf-1"}},
            "kind": 1,
            "status": {"code": 0, "message": ""},
            "events": [],
        })
    }

    fn mapping() -> Value {
        json!({
            "span": {
                "langfuse.observation.model.name": ["model"],
                "gen_ai.usage.input_tokens": ["usageDetails.input"],
                "langfuse.observation.input": ["input", "trace.input"],
            },
            "resource": {"deployment.environment": ["environment"]},
        })
    }

    fn keys(rows: &[AttributeRow]) -> Vec<(AttrScope, &str)> {
        rows.iter().map(|r| (r.scope, r.key.as_str())).collect()
    }

    #[test]
    fn rows_by_scope_mapped_first_then_by_key() {
        let rows = rows(&stored(), &mapping());
        assert_eq!(
            keys(&rows),
            [
                (AttrScope::Span, "gen_ai.usage.input_tokens"),
                (AttrScope::Span, "langfuse.observation.input"),
                (AttrScope::Span, "langfuse.observation.model.name"),
                (AttrScope::Span, "http.method"),
                (AttrScope::Resource, "deployment.environment"),
                (AttrScope::Resource, "service.name"),
                (AttrScope::Scope, "otel.scope.name"),
                (AttrScope::Scope, "otel.scope.version"),
                (AttrScope::Scope, "public_key"),
            ]
        );
        assert_eq!(rows[1].mapped_to, ["input", "trace.input"]);
        assert_eq!(rows[0].value, json!(42));
        assert!(!rows[3].is_mapped());
        assert_eq!(rows[4].mapped_to, ["environment"]);
        assert_eq!(rows[6].value, json!("langfuse-sdk"));
    }

    #[test]
    fn a_value_stored_as_a_field_says_which() {
        let mut attributes = stored();
        attributes["stored"] = json!({"langfuse.observation.input": {"field": "input", "json": true}, "service.name": {"field": "output"}});
        let rows = rows(&attributes, &mapping());
        let stored_as = |scope: AttrScope, key: &str| rows.iter().find(|r| r.scope == scope && r.key == key).unwrap().stored_as.clone();
        assert_eq!(stored_as(AttrScope::Span, "langfuse.observation.input").as_deref(), Some("input"));
        assert_eq!(stored_as(AttrScope::Span, "http.method"), None);
        assert_eq!(stored_as(AttrScope::Resource, "service.name"), None, "only span attributes are stored as fields");
    }

    #[test]
    fn the_same_key_is_mapped_per_scope() {
        let attributes = json!({"span": {"service.version": "1"}, "resource": {"service.version": "2"}});
        let rows = rows(&attributes, &json!({"resource": {"service.version": ["version"]}}));
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().find(|r| r.scope == AttrScope::Span).unwrap().mapped_to.is_empty());
        assert_eq!(rows.iter().find(|r| r.scope == AttrScope::Resource).unwrap().mapped_to, ["version"]);
    }

    #[test]
    fn without_a_mapping_every_row_is_unmapped() {
        let rows = rows(&stored(), &Value::Null);
        assert_eq!(rows.len(), 9);
        assert!(rows.iter().all(|r| !r.is_mapped()));
        assert_eq!(rows[0].key, "gen_ai.usage.input_tokens", "then by key");
    }

    #[test]
    fn odd_shapes_give_no_rows_instead_of_failing() {
        assert!(rows(&Value::Null, &Value::Null).is_empty());
        assert!(rows(&json!({"span": [1, 2], "resource": "x", "scope": {"attributes": null}}), &json!([])).is_empty());
        let rows = rows(&json!({"span": {"k": 1}}), &json!({"span": {"k": "model", "other": 3}}));
        assert_eq!(rows[0].mapped_to, ["model"], "a single name is read too");
        let odd = super::rows(&json!({"span": {"k": 1}}), &json!({"span": {"k": [1, "model", null]}}));
        assert_eq!(odd[0].mapped_to, ["model"]);
    }

    #[test]
    fn values_as_text_with_their_type() {
        let row = |value: Value| AttributeRow { scope: AttrScope::Span, key: "k".into(), value, mapped_to: vec![], stored_as: None };
        assert_eq!(row(json!("plain")).value_text(), "plain");
        assert_eq!(row(json!("\"quoted\"")).value_text(), "\"quoted\"");
        assert_eq!(row(json!({"a": [1]})).value_text(), "{\"a\":[1]}");
        assert_eq!(row(json!(1.5)).value_type(), "number");
        assert_eq!(row(json!(["x"])).value_type(), "array");
        assert_eq!(row(json!("1")).value_type(), "string");
    }

    #[test]
    fn filter_matches_keys_and_fields_case_insensitively() {
        let row = AttributeRow { scope: AttrScope::Span, key: "gen_ai.usage.input_tokens".into(), value: json!(1), mapped_to: vec!["usageDetails.input".into()], stored_as: None };
        assert!(row.matches(""));
        assert!(row.matches("  USAGE "));
        assert!(row.matches("usagedetails.in"));
        assert!(!row.matches("model"));
    }
}
