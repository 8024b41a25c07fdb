//! Attribute values and the per-span lookup map.
//!
//! Every attribute list (span, resource, scope, event) is decoded once into an [`Attributes`] map
//! of key → JSON value with Langfuse's rules (§4.3): strings, booleans, integers and finite doubles
//! become their JSON counterparts, arrays are decoded element-wise, non-finite doubles stay strings
//! (`"NaN"`, `"Infinity"`), and `kvlistValue`/`bytesValue` are not decoded: the raw `AnyValue` is
//! JSON-stringified, as Langfuse does. The mapping rules then look keys up by name (sorted map, so
//! prefix scans are range queries) and the map itself is moved, not copied, into the stored
//! `otel_attributes`.
//!
//! The helpers at the bottom encode the JavaScript semantics the reference relies on (`||`
//! truthiness, `Number(x)`, `String(x)`), so each rule reads like its source.

use std::collections::BTreeMap;
use std::ops::Bound;

use base64::Engine;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use serde_json::{json, Map, Number, Value};

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Attributes(BTreeMap<String, Value>);

impl Attributes {
    /// Decodes a key/value list, moving strings out of it. A repeated key keeps its last value.
    pub fn decode(list: Vec<KeyValue>) -> Self {
        Attributes(list.into_iter().map(|kv| (kv.key, decode_value(kv.value))).collect())
    }

    #[cfg(test)]
    pub fn from_pairs<const N: usize>(pairs: [(&str, Value); N]) -> Self {
        Attributes(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// The value, if present and not null.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// Whether the key is present at all (JavaScript's `key in attributes`).
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The value if it is truthy in JavaScript's sense (`attributes[key] || ...`).
    pub fn truthy(&self, key: &str) -> Option<&Value> {
        self.get(key).filter(|v| is_truthy(v))
    }

    /// The value if it is "meaningful": not null, not `""`, not an empty array or object.
    pub fn meaningful(&self, key: &str) -> Option<&Value> {
        self.get(key).filter(|v| is_meaningful(v))
    }

    /// The first truthy value among `keys`, as text.
    pub fn first_text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.truthy(k)).map(to_text)
    }

    /// Entries whose key starts with `prefix`, in key order.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.0
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Whether any key starts with `prefix`.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.with_prefix(prefix).next().is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The attributes as a JSON object (moved, not copied).
    pub fn into_json(self) -> Value {
        Value::Object(self.0.into_iter().collect())
    }

    pub fn to_json(&self) -> Value {
        Value::Object(self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

/// A span event with its attributes decoded (GenAI instrumentations put prompts and completions
/// in events rather than attributes).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    pub name: String,
    pub time_unix_nano: u64,
    pub attributes: Attributes,
}

impl SpanEvent {
    pub fn decode(event: opentelemetry_proto::tonic::trace::v1::span::Event) -> Self {
        SpanEvent { name: event.name, time_unix_nano: event.time_unix_nano, attributes: Attributes::decode(event.attributes) }
    }
}

/// One `AnyValue` → JSON, by Langfuse's rules (see the module docs). An unset value is null.
pub fn decode_value(value: Option<AnyValue>) -> Value {
    use any_value::Value as V;
    match value.and_then(|v| v.value) {
        // A profiling-only string-table reference: OTLP says to treat it as empty elsewhere.
        None | Some(V::StringValueStrindex(_)) => Value::Null,
        Some(V::StringValue(s)) => Value::String(s),
        Some(V::BoolValue(b)) => Value::Bool(b),
        Some(V::IntValue(i)) => Value::Number(i.into()),
        Some(V::DoubleValue(d)) => double(d),
        Some(V::ArrayValue(array)) => Value::Array(array.values.into_iter().map(|v| decode_value(Some(v))).collect()),
        Some(raw @ (V::KvlistValue(_) | V::BytesValue(_))) => Value::String(otlp_json(&raw).to_string()),
    }
}

fn double(d: f64) -> Value {
    match Number::from_f64(d) {
        Some(n) => Value::Number(n),
        None if d.is_nan() => Value::String("NaN".into()),
        None if d > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

/// The OTLP/JSON form of a value (`{"kvlistValue": {"values": [...]}}`), for the values Langfuse
/// keeps undecoded.
fn otlp_json(value: &any_value::Value) -> Value {
    use any_value::Value as V;
    let any = |v: &AnyValue| v.value.as_ref().map_or_else(|| json!({}), otlp_json);
    match value {
        V::StringValue(s) => json!({ "stringValue": s }),
        V::BoolValue(b) => json!({ "boolValue": b }),
        V::IntValue(i) => json!({ "intValue": i.to_string() }),
        V::DoubleValue(d) => json!({ "doubleValue": double(*d) }),
        V::ArrayValue(array) => json!({ "arrayValue": { "values": array.values.iter().map(any).collect::<Vec<_>>() } }),
        V::KvlistValue(list) => json!({ "kvlistValue": { "values": list.values.iter().map(|kv| json!({
            "key": kv.key,
            "value": kv.value.as_ref().map_or_else(|| json!({}), any),
        })).collect::<Vec<_>>() } }),
        V::BytesValue(bytes) => json!({ "bytesValue": base64::engine::general_purpose::STANDARD.encode(bytes) }),
        V::StringValueStrindex(_) => json!({}),
    }
}

// --- JavaScript semantics used by the reference rules ---

/// `Boolean(value)`: null, false, 0, NaN and `""` are falsy; arrays and objects (even empty) are
/// truthy.
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Not null, not `""`, not an empty array or object (Langfuse's `hasMeaningfulValue`).
pub fn is_meaningful(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// `typeof v === "string" ? v : JSON.stringify(v)`.
pub fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `Number(v)` for counts and costs: numbers, and strings holding a number. Empty strings,
/// booleans and everything else are not numbers here.
pub fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// Parses `text` as JSON if it plausibly is JSON (a cheap first-character test spares the parser
/// on plain text such as `"generated text"`).
pub fn parse_json(text: &str) -> Option<Value> {
    let first = text.trim_start().bytes().next()?;
    if !matches!(first, b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// How the Langfuse SDKs' values are read for input, output and metadata: they JSON-encode
/// structured values into strings, so a string that parses as JSON is the parsed value
/// (`"{\"args\": [21]}"` → an object, Python 5's `"\"acme\""` → `"acme"`), and anything else is
/// kept as it is.
pub fn json_or_string(value: &Value) -> Value {
    match value {
        Value::String(s) => parse_json(s).unwrap_or_else(|| value.clone()),
        other => other.clone(),
    }
}

/// The object inside a JSON-object attribute (a string holding a JSON object, or an object).
pub fn json_object(value: &Value) -> Option<Map<String, Value>> {
    match value {
        Value::String(s) => match parse_json(s) {
            Some(Value::Object(map)) => Some(map),
            _ => None,
        },
        Value::Object(map) => Some(map.clone()),
        _ => None,
    }
}

/// A string value with one layer of JSON string quoting removed if it has one (`"\"x\""` → `x`),
/// as the Python SDK 5 double-encodes strings.
pub fn unquote(text: &str) -> String {
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        if let Ok(inner) = serde_json::from_str::<String>(text) {
            return inner;
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};

    use super::*;

    fn any(value: any_value::Value) -> Option<AnyValue> {
        Some(AnyValue { value: Some(value) })
    }

    #[test]
    fn scalar_values_decode_to_json() {
        use any_value::Value as V;
        assert_eq!(decode_value(any(V::StringValue("x".into()))), json!("x"));
        assert_eq!(decode_value(any(V::BoolValue(true))), json!(true));
        assert_eq!(decode_value(any(V::IntValue(i64::MAX))), json!(i64::MAX));
        assert_eq!(decode_value(any(V::DoubleValue(0.25))), json!(0.25));
        assert_eq!(decode_value(None), Value::Null);
        assert_eq!(decode_value(Some(AnyValue { value: None })), Value::Null);
    }

    #[test]
    fn non_finite_doubles_stay_strings() {
        use any_value::Value as V;
        assert_eq!(decode_value(any(V::DoubleValue(f64::NAN))), json!("NaN"));
        assert_eq!(decode_value(any(V::DoubleValue(f64::INFINITY))), json!("Infinity"));
        assert_eq!(decode_value(any(V::DoubleValue(f64::NEG_INFINITY))), json!("-Infinity"));
    }

    #[test]
    fn arrays_decode_element_wise() {
        use any_value::Value as V;
        let array = V::ArrayValue(ArrayValue {
            values: vec![AnyValue { value: Some(V::StringValue("a".into())) }, AnyValue { value: Some(V::IntValue(2)) }],
        });
        assert_eq!(decode_value(any(array)), json!(["a", 2]));
    }

    #[test]
    fn kvlist_and_bytes_are_stringified_raw() {
        use any_value::Value as V;
        let list = V::KvlistValue(KeyValueList {
            values: vec![KeyValue { key: "a".into(), value: any(V::IntValue(1)), ..Default::default() }],
        });
        assert_eq!(decode_value(any(list)), json!(r#"{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"1"}}]}}"#));
        assert_eq!(decode_value(any(V::BytesValue(vec![1, 2]))), json!(r#"{"bytesValue":"AQI="}"#));
    }

    #[test]
    fn later_duplicate_keys_win() {
        use any_value::Value as V;
        let attrs = Attributes::decode(vec![
            KeyValue { key: "k".into(), value: any(V::StringValue("first".into())), ..Default::default() },
            KeyValue { key: "k".into(), value: any(V::StringValue("second".into())), ..Default::default() },
        ]);
        assert_eq!(attrs.str("k"), Some("second"));
    }

    #[test]
    fn prefix_scans_are_exact() {
        let attrs = Attributes::from_pairs([
            ("gen_ai.usage.input_tokens", json!(1)),
            ("gen_ai.usage.output_tokens", json!(2)),
            ("gen_ai.usagex", json!(3)),
            ("gen_ai.tool.name", json!("t")),
        ]);
        let keys: Vec<_> = attrs.with_prefix("gen_ai.usage.").map(|(k, _)| k).collect();
        assert_eq!(keys, ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"]);
        assert!(attrs.has_prefix("gen_ai.tool"));
        assert!(!attrs.has_prefix("llm."));
    }

    #[test]
    fn truthiness_follows_javascript() {
        for falsy in [json!(null), json!(false), json!(0), json!(""), json!(0.0)] {
            assert!(!is_truthy(&falsy), "{falsy}");
        }
        for truthy in [json!(true), json!(1), json!("0"), json!([]), json!({})] {
            assert!(is_truthy(&truthy), "{truthy}");
        }
        assert!(!is_meaningful(&json!([])));
        assert!(is_meaningful(&json!(0)));
    }

    #[test]
    fn json_strings_are_parsed_and_plain_text_is_kept() {
        assert_eq!(json_or_string(&json!("{\"args\": [21], \"kwargs\": {}}")), json!({"args": [21], "kwargs": {}}));
        assert_eq!(json_or_string(&json!("\"acme\"")), json!("acme"));
        assert_eq!(json_or_string(&json!("acme")), json!("acme"));
        assert_eq!(json_or_string(&json!("generated text")), json!("generated text"));
        assert_eq!(json_or_string(&json!("1")), json!(1));
        assert_eq!(json_or_string(&json!("{not json")), json!("{not json"));
        assert_eq!(json_or_string(&json!(5)), json!(5));
    }

    #[test]
    fn unquote_strips_one_layer() {
        assert_eq!(unquote("\"2026-11-26T17:57:30.282Z\""), "2026-11-26T17:57:30.282Z");
        assert_eq!(unquote("plain"), "plain");
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote("\"a\" and \"b\""), "\"a\" and \"b\"");
    }

    #[test]
    fn numbers_from_strings() {
        assert_eq!(as_f64(&json!("12")), Some(12.0));
        assert_eq!(as_f64(&json!(" 1.5 ")), Some(1.5));
        assert_eq!(as_f64(&json!("")), None);
        assert_eq!(as_f64(&json!("abc")), None);
        assert_eq!(as_f64(&json!(true)), None);
        assert_eq!(as_f64(&json!("NaN")), None);
    }
}
