//! OTLP/JSON (the JS SDK's transport, §10.6) read tolerantly into the protobuf types.
//!
//! `opentelemetry-proto`'s own serde support is not used: it only accepts hex ids, fails on JSON
//! `null`, does not accept enum names, and its errors do not say where in the document they are.
//! The OTLP/JSON spec and real exporters need more leeway:
//! - ids are hex strings (the spec), but base64 (the generic proto3 JSON mapping) and byte arrays
//!   (a serialized Node `Buffer`) are seen too;
//! - 64-bit integers (`intValue`, `*UnixNano`) arrive as decimal strings or as numbers;
//! - enums (`kind`, `status.code`) as numbers or as their names;
//! - field names in lowerCamelCase or, as proto3 JSON parsers must accept, in snake_case;
//! - unknown fields are ignored, `null` means "not set".
//!
//! Errors carry their JSON path (`resourceSpans[0].scopeSpans: invalid type: map, expected a
//! sequence at line 1 column 37`) via `serde_path_to_error`.

use std::fmt;

use base64::Engine;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::OtelRequestError;

pub fn decode(body: &[u8]) -> Result<ExportTraceServiceRequest, OtelRequestError> {
    // serde reads structs from arrays too (positionally); an export is an object.
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(_) => return Err(OtelRequestError::Malformed("JSON: expected an object with resourceSpans".into())),
        None => return Err(OtelRequestError::Malformed("JSON: the body is empty".into())),
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let export: ExportJson = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if matches!(path.as_str(), "" | "." | "?") {
            OtelRequestError::Malformed(format!("JSON: {inner}"))
        } else {
            OtelRequestError::Malformed(format!("{path}: {inner}"))
        }
    })?;
    deserializer.end().map_err(|e| OtelRequestError::Malformed(format!("JSON: {e}")))?;
    Ok(export.into())
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ExportJson {
    #[serde(alias = "resource_spans")]
    resource_spans: Option<Vec<ResourceSpansJson>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ResourceSpansJson {
    resource: Option<ResourceJson>,
    #[serde(alias = "scope_spans")]
    scope_spans: Option<Vec<ScopeSpansJson>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResourceJson {
    attributes: Option<Vec<KeyValueJson>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScopeSpansJson {
    scope: Option<ScopeJson>,
    spans: Option<Vec<SpanJson>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScopeJson {
    name: Option<String>,
    version: Option<String>,
    attributes: Option<Vec<KeyValueJson>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SpanJson {
    #[serde(alias = "trace_id")]
    trace_id: Option<Id>,
    #[serde(alias = "span_id")]
    span_id: Option<Id>,
    #[serde(alias = "parent_span_id")]
    parent_span_id: Option<Id>,
    name: Option<String>,
    kind: Option<EnumNumber>,
    #[serde(alias = "start_time_unix_nano")]
    start_time_unix_nano: Option<Uint64>,
    #[serde(alias = "end_time_unix_nano")]
    end_time_unix_nano: Option<Uint64>,
    attributes: Option<Vec<KeyValueJson>>,
    events: Option<Vec<EventJson>>,
    status: Option<StatusJson>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct EventJson {
    #[serde(alias = "time_unix_nano")]
    time_unix_nano: Option<Uint64>,
    name: Option<String>,
    attributes: Option<Vec<KeyValueJson>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusJson {
    message: Option<String>,
    code: Option<EnumNumber>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KeyValueJson {
    key: Option<String>,
    value: Option<AnyValueJson>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArrayValueJson {
    values: Option<Vec<AnyValueJson>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KeyValueListJson {
    values: Option<Vec<KeyValueJson>>,
}

// --- conversion into the protobuf types (moves only, no copies of strings) ---

impl From<ExportJson> for ExportTraceServiceRequest {
    fn from(export: ExportJson) -> Self {
        ExportTraceServiceRequest { resource_spans: export.resource_spans.unwrap_or_default().into_iter().map(Into::into).collect() }
    }
}

impl From<ResourceSpansJson> for ResourceSpans {
    fn from(json: ResourceSpansJson) -> Self {
        ResourceSpans {
            resource: json.resource.map(|r| Resource { attributes: key_values(r.attributes), ..Default::default() }),
            scope_spans: json.scope_spans.unwrap_or_default().into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

impl From<ScopeSpansJson> for ScopeSpans {
    fn from(json: ScopeSpansJson) -> Self {
        ScopeSpans {
            scope: json.scope.map(|s| InstrumentationScope {
                name: s.name.unwrap_or_default(),
                version: s.version.unwrap_or_default(),
                attributes: key_values(s.attributes),
                ..Default::default()
            }),
            spans: json.spans.unwrap_or_default().into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

impl From<SpanJson> for Span {
    fn from(json: SpanJson) -> Self {
        Span {
            trace_id: json.trace_id.map(|id| id.0).unwrap_or_default(),
            span_id: json.span_id.map(|id| id.0).unwrap_or_default(),
            parent_span_id: json.parent_span_id.map(|id| id.0).unwrap_or_default(),
            name: json.name.unwrap_or_default(),
            kind: json.kind.map(|k| k.0).unwrap_or_default(),
            start_time_unix_nano: json.start_time_unix_nano.map(|t| t.0).unwrap_or_default(),
            end_time_unix_nano: json.end_time_unix_nano.map(|t| t.0).unwrap_or_default(),
            attributes: key_values(json.attributes),
            events: json
                .events
                .unwrap_or_default()
                .into_iter()
                .map(|e| span::Event {
                    time_unix_nano: e.time_unix_nano.map(|t| t.0).unwrap_or_default(),
                    name: e.name.unwrap_or_default(),
                    attributes: key_values(e.attributes),
                    ..Default::default()
                })
                .collect(),
            status: json.status.map(|s| Status { message: s.message.unwrap_or_default(), code: s.code.map(|c| c.0).unwrap_or_default() }),
            ..Default::default()
        }
    }
}

fn key_values(json: Option<Vec<KeyValueJson>>) -> Vec<KeyValue> {
    json.unwrap_or_default().into_iter().map(Into::into).collect()
}

impl From<KeyValueJson> for KeyValue {
    fn from(json: KeyValueJson) -> Self {
        KeyValue { key: json.key.unwrap_or_default(), value: json.value.map(|v| v.0), ..Default::default() }
    }
}

// --- scalar wire forms ---

/// A trace or span id: hex (OTLP/JSON), base64 (proto3 JSON) if that yields an id-sized value, or
/// an array of bytes. Length is checked later by `validate`, so the error can say which span.
struct Id(Vec<u8>);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl<'de> Visitor<'de> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a hex-encoded id")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Id, E> {
                parse_id(text).map(Id).ok_or_else(|| E::custom(format!("expected a hex-encoded id, got {:?}", abbreviate(text))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Id, A::Error> {
                let mut bytes = Vec::with_capacity(16);
                while let Some(byte) = seq.next_element::<u8>()? {
                    if bytes.len() > 64 {
                        return Err(de::Error::custom("expected an id of 8 or 16 bytes"));
                    }
                    bytes.push(byte);
                }
                Ok(Id(bytes))
            }
            /// `{"type": "Buffer", "data": [...]}`, a Node Buffer serialized with JSON.stringify.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Id, A::Error> {
                let mut id = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "data" {
                        id = Some(map.next_value::<Id>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                id.ok_or_else(|| de::Error::custom("expected a hex-encoded id"))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

fn parse_id(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    let hex = hex::decode(text).ok();
    if hex.as_ref().is_some_and(|b| b.len() == 16 || b.len() == 8) {
        return hex;
    }
    let engines = [&base64::engine::general_purpose::STANDARD, &base64::engine::general_purpose::URL_SAFE];
    let base64 = engines.iter().find_map(|engine| engine.decode(text).ok()).filter(|b| b.len() == 16 || b.len() == 8);
    // Neither form gives an id-sized value: report the hex reading so validation names the length.
    base64.or(hex)
}

fn abbreviate(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// An unsigned 64-bit integer as a JSON number or a decimal string (`"1795715850282000000"`).
struct Uint64(u64);

impl<'de> Deserialize<'de> for Uint64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct U64Visitor;
        impl Visitor<'_> for U64Visitor {
            type Value = Uint64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an unsigned integer or a decimal string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Uint64, E> {
                Ok(Uint64(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Uint64, E> {
                u64::try_from(v).map(Uint64).map_err(|_| E::custom(format!("expected an unsigned integer, got {v}")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Uint64, E> {
                if v.is_finite() && v >= 0.0 && v < u64::MAX as f64 {
                    Ok(Uint64(v as u64))
                } else {
                    Err(E::custom(format!("expected an unsigned integer, got {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Uint64, E> {
                let v = v.trim();
                if v.is_empty() {
                    return Ok(Uint64(0));
                }
                v.parse().map(Uint64).map_err(|_| E::custom(format!("expected a decimal unsigned integer, got {:?}", abbreviate(v))))
            }
        }
        deserializer.deserialize_any(U64Visitor)
    }
}

/// A protobuf enum (`kind`, `status.code`) as its number or its name (`SPAN_KIND_SERVER`,
/// `STATUS_CODE_ERROR`). Unknown names read as 0 (unspecified), like unknown numbers do.
struct EnumNumber(i32);

impl<'de> Deserialize<'de> for EnumNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnumVisitor;
        impl Visitor<'_> for EnumVisitor {
            type Value = EnumNumber;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an enum number or name")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnumNumber, E> {
                Ok(EnumNumber(i32::try_from(v).unwrap_or(0)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnumNumber, E> {
                Ok(EnumNumber(i32::try_from(v).unwrap_or(0)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnumNumber, E> {
                if let Ok(n) = v.trim().parse::<i32>() {
                    return Ok(EnumNumber(n));
                }
                let name = v.trim().to_ascii_uppercase();
                let name = name.strip_prefix("SPAN_KIND_").or_else(|| name.strip_prefix("STATUS_CODE_")).unwrap_or(&name);
                Ok(EnumNumber(match name {
                    "INTERNAL" | "OK" => 1,
                    "SERVER" | "ERROR" => 2,
                    "CLIENT" => 3,
                    "PRODUCER" => 4,
                    "CONSUMER" => 5,
                    _ => 0,
                }))
            }
        }
        deserializer.deserialize_any(EnumVisitor)
    }
}

/// `AnyValue`: an object with one of `stringValue`, `boolValue`, `intValue` (number or decimal
/// string), `doubleValue` (number, or `"NaN"`/`"Infinity"`/`"-Infinity"`), `arrayValue`,
/// `kvlistValue`, `bytesValue` (base64). No known key (or `{}`) is an empty value. A bare JSON
/// scalar (`"value": "x"`, as hand-rolled exporters write) is read as the matching value.
struct AnyValueJson(AnyValue);

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum AnyValueField {
    #[serde(alias = "string_value")]
    StringValue,
    #[serde(alias = "bool_value")]
    BoolValue,
    #[serde(alias = "int_value")]
    IntValue,
    #[serde(alias = "double_value")]
    DoubleValue,
    #[serde(alias = "array_value")]
    ArrayValue,
    #[serde(alias = "kvlist_value")]
    KvlistValue,
    #[serde(alias = "bytes_value")]
    BytesValue,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for AnyValueJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnyValueVisitor;
        impl<'de> Visitor<'de> for AnyValueVisitor {
            type Value = AnyValueJson;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an OTLP AnyValue object such as {\"stringValue\": \"...\"}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AnyValueJson, E> {
                self.visit_string(v.to_owned())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<AnyValueJson, E> {
                Ok(AnyValueJson(AnyValue { value: Some(any_value::Value::StringValue(v)) }))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<AnyValueJson, E> {
                Ok(AnyValueJson(AnyValue { value: Some(any_value::Value::BoolValue(v)) }))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AnyValueJson, E> {
                Ok(AnyValueJson(AnyValue { value: Some(any_value::Value::IntValue(v)) }))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AnyValueJson, E> {
                Ok(AnyValueJson(AnyValue {
                    value: Some(match i64::try_from(v) {
                        Ok(i) => any_value::Value::IntValue(i),
                        Err(_) => any_value::Value::DoubleValue(v as f64),
                    }),
                }))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<AnyValueJson, E> {
                Ok(AnyValueJson(AnyValue { value: Some(any_value::Value::DoubleValue(v)) }))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValueJson, A::Error> {
                use any_value::Value as V;
                let mut value = None;
                while let Some(field) = map.next_key::<AnyValueField>()? {
                    let next = match field {
                        AnyValueField::StringValue => map.next_value::<Option<String>>()?.map(V::StringValue),
                        AnyValueField::BoolValue => map.next_value::<Option<bool>>()?.map(V::BoolValue),
                        AnyValueField::IntValue => map.next_value::<Option<Int64>>()?.map(|i| V::IntValue(i.0)),
                        AnyValueField::DoubleValue => map.next_value::<Option<Double>>()?.map(|d| V::DoubleValue(d.0)),
                        AnyValueField::ArrayValue => map.next_value::<Option<ArrayValueJson>>()?.map(|a| {
                            V::ArrayValue(ArrayValue { values: a.values.unwrap_or_default().into_iter().map(|v| v.0).collect() })
                        }),
                        AnyValueField::KvlistValue => map
                            .next_value::<Option<KeyValueListJson>>()?
                            .map(|kv| V::KvlistValue(KeyValueList { values: key_values(kv.values) })),
                        AnyValueField::BytesValue => match map.next_value::<Option<String>>()? {
                            Some(text) => Some(V::BytesValue(
                                base64::engine::general_purpose::STANDARD
                                    .decode(text.trim())
                                    .map_err(|e| de::Error::custom(format!("bytesValue is not base64: {e}")))?,
                            )),
                            None => None,
                        },
                        AnyValueField::Other => {
                            map.next_value::<IgnoredAny>()?;
                            None
                        }
                    };
                    if next.is_some() {
                        value = next;
                    }
                }
                Ok(AnyValueJson(AnyValue { value }))
            }
        }
        deserializer.deserialize_any(AnyValueVisitor)
    }
}

/// A signed 64-bit integer as a number or a decimal string.
struct Int64(i64);

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct I64Visitor;
        impl Visitor<'_> for I64Visitor {
            type Value = Int64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a decimal string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int64, E> {
                Ok(Int64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int64, E> {
                i64::try_from(v).map(Int64).map_err(|_| E::custom(format!("intValue {v} does not fit in 64 bits")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int64, E> {
                if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.2e18 {
                    Ok(Int64(v as i64))
                } else {
                    Err(E::custom(format!("expected an integer, got {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int64, E> {
                v.trim().parse().map(Int64).map_err(|_| E::custom(format!("expected a decimal integer, got {:?}", abbreviate(v))))
            }
        }
        deserializer.deserialize_any(I64Visitor)
    }
}

/// A double as a number or a string (the spec spells non-finite values `"NaN"`, `"Infinity"`).
struct Double(f64);

impl<'de> Deserialize<'de> for Double {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct F64Visitor;
        impl Visitor<'_> for F64Visitor {
            type Value = Double;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Double, E> {
                Ok(Double(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Double, E> {
                match v.trim() {
                    "NaN" => Ok(Double(f64::NAN)),
                    "Infinity" => Ok(Double(f64::INFINITY)),
                    "-Infinity" => Ok(Double(f64::NEG_INFINITY)),
                    other => other.parse().map(Double).map_err(|_| E::custom(format!("expected a number, got {:?}", abbreviate(v)))),
                }
            }
        }
        deserializer.deserialize_any(F64Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_str(body: &str) -> Result<ExportTraceServiceRequest, OtelRequestError> {
        decode(body.as_bytes())
    }

    fn malformed(body: &str) -> String {
        match decode_str(body) {
            Err(OtelRequestError::Malformed(message)) => message,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    fn one_span(span_json: &str) -> Span {
        let body = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span_json}]}}]}}]}}"#);
        let mut request = decode_str(&body).unwrap();
        request.resource_spans.remove(0).scope_spans.remove(0).spans.remove(0)
    }

    fn attribute(value_json: &str) -> Option<any_value::Value> {
        let span = one_span(&format!(r#"{{"attributes":[{{"key":"k","value":{value_json}}}]}}"#));
        span.attributes.into_iter().next().and_then(|kv| kv.value).and_then(|v| v.value)
    }

    #[test]
    fn hex_ids_and_string_integers() {
        let span = one_span(
            r#"{"traceId":"526c787fe04cfac04b73dff2f5d124bd","spanId":"BCA098040B692884","parentSpanId":"",
                "name":"js-gen","kind":1,"startTimeUnixNano":"1795715850282000000","endTimeUnixNano":1795715850289984752,
                "status":{"code":0},"links":[],"flags":257,"droppedAttributesCount":0}"#,
        );
        assert_eq!(hex::encode(&span.trace_id), "526c787fe04cfac04b73dff2f5d124bd");
        assert_eq!(hex::encode(&span.span_id), "bca098040b692884");
        assert!(span.parent_span_id.is_empty());
        assert_eq!(span.kind, 1);
        assert_eq!(span.start_time_unix_nano, 1_795_715_850_282_000_000);
        assert_eq!(span.end_time_unix_nano, 1_795_715_850_289_984_752);
        assert_eq!(span.name, "js-gen");
    }

    #[test]
    fn base64_and_byte_array_ids() {
        let span = one_span(r#"{"traceId":"Umx4f+BM+sBLc9/y9dEkvQ==","spanId":[188,160,152,4,11,105,40,132],"parentSpanId":{"type":"Buffer","data":[1,2,3,4,5,6,7,8]}}"#);
        assert_eq!(hex::encode(&span.trace_id), "526c787fe04cfac04b73dff2f5d124bd");
        assert_eq!(hex::encode(&span.span_id), "bca098040b692884");
        assert_eq!(hex::encode(&span.parent_span_id), "0102030405060708");
    }

    #[test]
    fn snake_case_field_names_enum_names_and_nulls() {
        let span = one_span(
            r#"{"trace_id":"526c787fe04cfac04b73dff2f5d124bd","span_id":"bca098040b692884","parent_span_id":null,
                "kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_ERROR","message":"boom"},
                "start_time_unix_nano":null,"attributes":null,"events":null}"#,
        );
        assert_eq!(span.kind, 3);
        assert_eq!(span.status.as_ref().map(|s| s.code), Some(2));
        assert_eq!(span.status.map(|s| s.message), Some("boom".to_string()));
        assert_eq!(span.start_time_unix_nano, 0);
        assert!(span.parent_span_id.is_empty());
    }

    #[test]
    fn any_value_forms() {
        use any_value::Value as V;
        assert_eq!(attribute(r#"{"stringValue":"x"}"#), Some(V::StringValue("x".into())));
        assert_eq!(attribute(r#"{"intValue":"42"}"#), Some(V::IntValue(42)));
        assert_eq!(attribute(r#"{"intValue":42}"#), Some(V::IntValue(42)));
        assert_eq!(attribute(r#"{"int_value":-7}"#), Some(V::IntValue(-7)));
        assert_eq!(attribute(r#"{"doubleValue":0.5}"#), Some(V::DoubleValue(0.5)));
        assert_eq!(attribute(r#"{"doubleValue":3}"#), Some(V::DoubleValue(3.0)));
        assert!(matches!(attribute(r#"{"doubleValue":"NaN"}"#), Some(V::DoubleValue(d)) if d.is_nan()));
        assert_eq!(attribute(r#"{"boolValue":true}"#), Some(V::BoolValue(true)));
        assert_eq!(attribute(r#"{"bytesValue":"AQI="}"#), Some(V::BytesValue(vec![1, 2])));
        assert_eq!(
            attribute(r#"{"arrayValue":{"values":[{"stringValue":"js"},{"intValue":"1"}]}}"#),
            Some(V::ArrayValue(ArrayValue {
                values: vec![
                    AnyValue { value: Some(V::StringValue("js".into())) },
                    AnyValue { value: Some(V::IntValue(1)) }
                ]
            }))
        );
        let Some(V::KvlistValue(list)) = attribute(r#"{"kvlistValue":{"values":[{"key":"a","value":{"boolValue":false}}]}}"#) else {
            panic!()
        };
        assert_eq!(list.values[0].key, "a");
        assert_eq!(attribute(r#"{}"#), None);
        assert_eq!(attribute(r#"{"somethingNew":1}"#), None);
        assert_eq!(attribute(r#"{"stringValue":null}"#), None);
        // Bare scalars from hand-rolled exporters.
        assert_eq!(attribute(r#""plain""#), Some(V::StringValue("plain".into())));
        assert_eq!(attribute("7"), Some(V::IntValue(7)));
        assert_eq!(attribute("0.5"), Some(V::DoubleValue(0.5)));
        assert_eq!(attribute("false"), Some(V::BoolValue(false)));
        assert_eq!(attribute("null"), None);
    }

    #[test]
    fn events_and_scope() {
        let body = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
            "scopeSpans":[{"scope":{"name":"langfuse-sdk","version":"5.11.1","attributes":[]},
            "spans":[{"traceId":"526c787fe04cfac04b73dff2f5d124bd","spanId":"bca098040b692884",
              "events":[{"timeUnixNano":"5","name":"gen_ai.user.message","attributes":[{"key":"content","value":{"stringValue":"hi"}}]}]}]}]}]}"#;
        let request = decode_str(body).unwrap();
        let resource_spans = &request.resource_spans[0];
        assert_eq!(resource_spans.resource.as_ref().unwrap().attributes[0].key, "service.name");
        let scope_spans = &resource_spans.scope_spans[0];
        assert_eq!(scope_spans.scope.as_ref().unwrap().version, "5.11.1");
        let event = &scope_spans.spans[0].events[0];
        assert_eq!((event.time_unix_nano, event.name.as_str()), (5, "gen_ai.user.message"));
    }

    #[test]
    fn resource_spans_not_an_array_is_located() {
        let message = malformed(r#"{"resourceSpans":{"scopeSpans":[]}}"#);
        assert!(message.starts_with("resourceSpans: invalid type: map, expected a sequence"), "{message}");
    }

    #[test]
    fn attributes_as_object_are_located() {
        // A hand-rolled exporter writing attributes as {key: value}.
        let message = malformed(r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{},{"attributes":{"a":"b"}}]}]}]}"#);
        assert!(message.starts_with("resourceSpans[0].scopeSpans[0].spans[1].attributes: invalid type: map, expected a sequence"), "{message}");
    }

    #[test]
    fn bad_scalars_are_located() {
        let message = malformed(r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not hex"}]}]}]}"#);
        assert!(message.starts_with(r#"resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a hex-encoded id, got "not hex""#), "{message}");
        let message = malformed(r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}"#);
        assert!(message.starts_with("resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected a decimal unsigned integer"), "{message}");
        let message = malformed(r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":{"intValue":"1.5x"}}]}]}]}]}"#);
        assert!(message.starts_with("resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: expected a decimal integer"), "{message}");
    }

    #[test]
    fn not_json_at_all() {
        assert_eq!(malformed("resourceSpans"), "JSON: expected an object with resourceSpans");
        assert!(malformed("{oops}").starts_with("JSON: key must be a string"), "{}", malformed("{oops}"));
        assert_eq!(malformed("[]"), "JSON: expected an object with resourceSpans");
        assert_eq!(malformed(" \n"), "JSON: the body is empty");
        assert!(malformed(r#"{"resourceSpans":[]} trailing"#).starts_with("JSON: trailing characters"));
        assert!(malformed(r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x"#).contains("EOF"));
    }

    #[test]
    fn long_bad_values_are_abbreviated() {
        let long = "z".repeat(10_000);
        let message = malformed(&format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"spanId":"{long}"}}]}}]}}]}}"#));
        assert!(message.len() < 300, "{message}");
    }
}
