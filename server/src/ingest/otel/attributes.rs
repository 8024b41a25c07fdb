//! Attribute values and the per-span lookup map.
//!
//! Every attribute list (span, resource, scope, event) is decoded once into an [`Attributes`] map
//! of key → JSON value with Langfuse's rules (§4.3): strings, booleans, integers and finite doubles
//! become their JSON counterparts, arrays are decoded element-wise, non-finite doubles stay strings
//! (`"NaN"`, `"Infinity"`), and `kvlistValue`/`bytesValue` are not decoded: the raw `AnyValue` is
//! JSON-stringified, as Langfuse does. The mapping rules then look keys up by name (entries sorted by
//! key: prefix scans are ranges, and an entry's position names it for the provenance record
//! without copying the key; lookups go by the key's hash, see [`Attributes::position`]) and the
//! entries are moved, not copied, into the stored OTel record (`observations.otel_record`).
//!
//! The helpers at the bottom encode the JavaScript semantics the reference relies on (`||`
//! truthiness, `Number(x)`, `String(x)`), so each rule reads like its source.

use std::hash::BuildHasher;

use base64::Engine;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use serde_json::{json, Map, Number, Value};

use super::provenance::{Entry, Produced, Recorder, Use};

/// Decoded attributes, sorted by key (unique), with the [`Recorder`] of which values the mapping
/// rules used (see [`super::provenance`]).
#[derive(Debug, Default, Clone)]
pub struct Attributes {
    entries: Vec<(String, Value)>,
    /// Each key's hash with its entry's position, sorted by hash (see [`Attributes::position`]).
    hashes: Vec<(u64, u32)>,
    /// Seeded at random (per process and per list): a sender cannot choose keys that share a hash.
    hasher: foldhash::fast::RandomState,
    recorder: Recorder,
}

impl PartialEq for Attributes {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Attributes {
    /// Decodes a key/value list, moving strings out of it. A repeated key keeps its last value.
    pub fn decode(list: Vec<KeyValue>) -> Self {
        Self::from_entries(list.into_iter().map(|kv| (kv.key, decode_value(kv.value))).collect())
    }

    fn from_entries(mut entries: Vec<(String, Value)>) -> Self {
        // Reversed, then a stable sort: of equal keys the last sent comes first, and stays.
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        let hasher = foldhash::fast::RandomState::default();
        let mut hashes: Vec<(u64, u32)> =
            entries.iter().enumerate().map(|(i, (key, _))| (hasher.hash_one(key.as_str()), i as u32)).collect();
        hashes.sort_unstable();
        Attributes { entries, hashes, hasher, recorder: Recorder::default() }
    }

    #[cfg(test)]
    pub fn from_pairs<const N: usize>(pairs: [(&str, Value); N]) -> Self {
        Self::from_entries(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// The entry of `key`, found by its hash: a span's rules look up dozens of keys, most of them
    /// absent (other conventions' names), and the SDKs' keys share long prefixes
    /// (`langfuse.observation.`), so a binary search over the keys compared those prefixes byte by
    /// byte several times per lookup (`memcmp`, 6 % of Loupe's samples on the ingestion benchmark,
    /// issue #23). Now integers are compared, and the one key whose hash matches; hashing the keys
    /// when decoding costs back part of it (docs/BENCHMARKS.md, seventeenth session).
    fn position(&self, key: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(key);
        let start = self.hashes.partition_point(|&(h, _)| h < hash);
        self.hashes[start..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, index)| index as usize)
            .find(|&index| self.entries[index].0 == key)
    }

    /// The entry, if present and not null; not recorded.
    fn lookup(&self, key: &str) -> Option<(usize, &Value)> {
        let index = self.position(key)?;
        let value = &self.entries[index].1;
        (!value.is_null()).then_some((index, value))
    }

    fn used<'a>(&self, (index, value): (usize, &'a Value)) -> &'a Value {
        self.recorder.record(index, Entry::Whole);
        value
    }

    /// The value, if present and not null.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.lookup(key).map(|found| self.used(found))
    }

    /// Like [`get`](Self::get), for a lookup that decides whether a rule applies rather than
    /// providing a value: not recorded as provenance.
    pub fn peek(&self, key: &str) -> Option<&Value> {
        self.lookup(key).map(|(_, value)| value)
    }

    /// Whether the key is present at all (JavaScript's `key in attributes`).
    pub fn contains(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.lookup(key).filter(|(_, v)| v.is_string()).map(|found| self.used(found)).and_then(Value::as_str)
    }

    /// [`str`](Self::str), not recorded (see [`peek`](Self::peek)).
    pub fn peek_str(&self, key: &str) -> Option<&str> {
        self.peek(key).and_then(Value::as_str)
    }

    /// The value if it is truthy in JavaScript's sense (`attributes[key] || ...`).
    pub fn truthy(&self, key: &str) -> Option<&Value> {
        self.lookup(key).filter(|(_, v)| is_truthy(v)).map(|found| self.used(found))
    }

    /// The value if it is "meaningful": not null, not `""`, not an empty array or object.
    pub fn meaningful(&self, key: &str) -> Option<&Value> {
        self.lookup(key).filter(|(_, v)| is_meaningful(v)).map(|found| self.used(found))
    }

    /// The first truthy value among `keys`, as text.
    pub fn first_text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.truthy(k)).map(to_text)
    }

    /// Entries whose key starts with `prefix`, in key order. Not recorded: a rule records the
    /// entries it keeps with [`use_entry`](Self::use_entry).
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        let start = self.entries.partition_point(|(k, _)| k.as_str() < prefix);
        self.entries[start..].iter().take_while(move |(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.as_str(), v))
    }

    /// Whether any key starts with `prefix`.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.with_prefix(prefix).next().is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The attributes as a JSON object (moved, not copied).
    pub fn into_json(self) -> Value {
        Value::Object(self.entries.into_iter().collect())
    }

    /// The attributes as a JSON object, serialized in place: equal to [`Self::to_json`]'s (keys
    /// sorted and distinct), without building it (the OTel record of every span, issue #23).
    pub fn as_object(&self) -> AsObject<'_> {
        AsObject { entries: &self.entries, left_out: &[] }
    }

    /// [`as_object`](Self::as_object) with the values of the entries at `left_out` written as
    /// null (their keys stay, in place): the values the record stores elsewhere (see
    /// `mapping::StoredAs`).
    pub fn as_object_without<'a>(&'a self, left_out: &'a [usize]) -> AsObject<'a> {
        AsObject { entries: &self.entries, left_out }
    }

    /// The position of the entry whose value `value` is (the very value, not an equal one: a
    /// rule's pick), if it is one of these attributes.
    pub fn position_of(&self, value: &Value) -> Option<usize> {
        self.entries.iter().position(|(_, v)| std::ptr::eq(v, value))
    }

    /// The key and value at `index` (a position from [`position_of`](Self::position_of)).
    pub fn entry_at(&self, index: usize) -> Option<(&str, &Value)> {
        self.entries.get(index).map(|(k, v)| (k.as_str(), v))
    }

    pub fn to_json(&self) -> Value {
        Value::Object(self.entries.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    // --- provenance (see `super::provenance`) ---

    /// Runs `rule` as the computation of `field`: the values it uses are recorded as feeding
    /// `field`, unless it produces nothing.
    pub fn mapping<T: Produced>(&self, field: &'static str, rule: impl FnOnce() -> T) -> T {
        let previous = self.recorder.enter(field);
        let mark = self.recorder.mark();
        let value = rule();
        self.recorder.leave(previous);
        if !value.produced() {
            self.recorder.forget_since(mark, None);
        }
        value
    }

    /// Runs a step that may read a value and then reject it: if it yields nothing, what it read
    /// is forgotten.
    pub fn attempt<T>(&self, step: impl FnOnce() -> Option<T>) -> Option<T> {
        let mark = self.recorder.mark();
        let value = step();
        if value.is_none() {
            self.recorder.forget_since(mark, None);
        }
        value
    }

    /// A prefix scan's entry that the rule keeps, recorded for the current field.
    pub fn use_entry(&self, key: &str, entry: Entry) {
        if let Some(index) = self.position(key) {
            self.recorder.record(index, entry);
        }
    }

    /// A value used for `field`, recorded outside [`mapping`](Self::mapping) (one read feeding
    /// two fields).
    pub fn use_for(&self, key: &str, field: &'static str) {
        if let Some(index) = self.position(key) {
            self.recorder.record_as(index, field, Entry::Whole);
        }
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// The uses recorded so far, leaving none.
    pub fn take_uses(&self) -> Vec<Use> {
        self.recorder.take()
    }

    pub fn key_at(&self, index: usize) -> Option<&str> {
        self.entries.get(index).map(|(k, _)| k.as_str())
    }
}

/// [`Attributes::as_object`].
pub struct AsObject<'a> {
    entries: &'a [(String, Value)],
    /// Positions whose value is written as null.
    left_out: &'a [usize],
}

impl serde::Serialize for AsObject<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const NULL: &Value = &Value::Null;
        serializer.collect_map(
            self.entries.iter().enumerate().map(|(i, (key, v))| (key, if self.left_out.contains(&i) { NULL } else { v })),
        )
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
    fn every_key_is_found_at_its_position_and_no_other_key_is() {
        // Keys sharing long prefixes, as the SDKs' do, in an order unlike the sorted one; the last
        // of a repeated key wins.
        let mut list: Vec<KeyValue> = (0..300)
            .rev()
            .map(|i| KeyValue { key: format!("langfuse.observation.metadata.k{i}"), value: any(any_value::Value::IntValue(i)), ..Default::default() })
            .collect();
        list.push(KeyValue { key: "langfuse.observation.metadata.k7".into(), value: any(any_value::Value::IntValue(-7)), ..Default::default() });
        let attrs = Attributes::decode(list);
        assert_eq!(attrs.iter().count(), 300);
        for (position, (key, value)) in attrs.iter().enumerate() {
            assert_eq!(attrs.position(key), Some(position), "{key}");
            assert_eq!(attrs.peek(key), Some(value));
        }
        assert_eq!(attrs.peek("langfuse.observation.metadata.k7"), Some(&json!(-7)));
        for absent in ["langfuse.observation.metadata.k300", "langfuse.observation.metadata.", "", "k1", "langfuse.observation.metadata.k1 "] {
            assert_eq!(attrs.position(absent), None, "{absent:?}");
        }
        assert_eq!(Attributes::default().position("x"), None);
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
