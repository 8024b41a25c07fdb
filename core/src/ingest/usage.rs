//! Usage normalization, one place for every ingestion path (docs/COMPATIBILITY.md §3.6 and §4.6).
//!
//! SDKs report token counts in half a dozen shapes: the batch API's legacy `usage` object, raw
//! OpenAI Chat Completions or Responses usage objects (the Python OpenAI integration forwards
//! them untouched), free `{usage type: count}` maps already normalized by the SDK, and OTel
//! GenAI / OpenInference / Vercel AI counts. Prices are keyed by usage type, so all of them must
//! become one `{usage type: count}` map before pricing — with the same keys Langfuse produces,
//! because the built-in price table is written against those keys (`input`,
//! `input_cached_tokens`, `output_reasoning_tokens`, ...).
//!
//! Normalization never fails: whatever cannot be read as a count (negative numbers, fractions,
//! text) is dropped, so one odd field never costs the whole observation. Langfuse rejects such
//! events instead; dropping is the friendlier reading of the same intent.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::model::UsageInput;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct NormalizedUsage {
    /// Provided usage, e.g. `{"input": 10, "input_cached_tokens": 2, "output": 6, "total": 19}`.
    pub usage: BTreeMap<String, i64>,
    /// `TOKENS`, `CHARACTERS`, ... when the legacy `usage.unit` said so.
    pub unit: Option<String>,
    /// Provided cost in USD, e.g. `{"input": 0.001, "total": 0.003}`.
    pub cost: BTreeMap<String, f64>,
}

/// The units Langfuse's legacy `usage.unit` accepts.
const UNITS: [&str; 6] = ["CHARACTERS", "TOKENS", "MILLISECONDS", "SECONDS", "IMAGES", "REQUESTS"];

/// Turns what one source said about usage and cost into the provided usage and cost maps:
/// `{input, output, total}` of the legacy `usage` object, overlaid by the normalized usage
/// details (`usageDetails`, or else the OTel GenAI counts); `usage.*Cost` as
/// `{input, output, total}`, overlaid by `cost` (`costDetails`).
pub fn normalize(usage: &UsageInput, cost: Option<&Value>) -> NormalizedUsage {
    let legacy = usage.legacy.as_ref().and_then(as_object).map(|object| legacy_usage(&object));
    let mut details = usage.details.as_ref().map(usage_details).unwrap_or_default();
    if details.is_empty() {
        details = gen_ai_usage(&usage.gen_ai);
    }

    let mut normalized = NormalizedUsage::default();
    if let Some(legacy) = legacy {
        let total = legacy.total.filter(|total| *total > 0).or_else(|| {
            // Langfuse derives the total from input and output only when no details came along
            // (the details carry their own total, or none on purpose). A total of 0 counts as
            // absent there (`total || ...`), and so it does here.
            if !details.is_empty() {
                return legacy.total;
            }
            match (legacy.input, legacy.output) {
                (None, None) => legacy.total,
                (input, output) => Some(input.unwrap_or(0).saturating_add(output.unwrap_or(0))),
            }
        });
        for (key, value) in [("input", legacy.input), ("output", legacy.output), ("total", total)] {
            if let Some(value) = value {
                normalized.usage.insert(key.to_string(), value);
            }
        }
        for (key, value) in [("input", legacy.input_cost), ("output", legacy.output_cost), ("total", legacy.total_cost)] {
            if let Some(value) = value {
                normalized.cost.insert(key.to_string(), value);
            }
        }
        normalized.unit = legacy.unit;
    }
    normalized.usage.extend(details);
    if let Some(cost) = cost.and_then(as_object) {
        for (key, value) in cost.iter() {
            if let Some(value) = value.as_f64().filter(|v| v.is_finite() && *v >= 0.0) {
                normalized.cost.insert(key.clone(), value);
            }
        }
    }
    normalized
}

/// What the legacy `usage` object says, each field already checked.
#[derive(Debug, Default)]
struct LegacyUsage {
    input: Option<i64>,
    output: Option<i64>,
    total: Option<i64>,
    unit: Option<String>,
    input_cost: Option<f64>,
    output_cost: Option<f64>,
    total_cost: Option<f64>,
}

/// `{input, output, total, unit, inputCost, outputCost, totalCost}`, or the OpenAI-style
/// `{promptTokens, completionTokens, totalTokens}` (unit TOKENS). As in Langfuse, the presence
/// of any OpenAI-style key selects the second reading and the rest of the object is ignored.
fn legacy_usage(object: &Map<String, Value>) -> LegacyUsage {
    let count_of = |key: &str| object.get(key).and_then(count);
    if ["promptTokens", "completionTokens", "totalTokens"].iter().any(|key| object.contains_key(*key)) {
        return LegacyUsage {
            input: count_of("promptTokens"),
            output: count_of("completionTokens"),
            total: count_of("totalTokens"),
            unit: Some("TOKENS".to_string()),
            ..LegacyUsage::default()
        };
    }
    let cost_of = |key: &str| object.get(key).and_then(Value::as_f64).filter(|v| v.is_finite() && *v >= 0.0);
    LegacyUsage {
        input: count_of("input"),
        output: count_of("output"),
        total: count_of("total"),
        unit: object.get("unit").and_then(Value::as_str).map(str::to_ascii_uppercase).filter(|unit| UNITS.contains(&unit.as_str())),
        input_cost: cost_of("inputCost"),
        output_cost: cost_of("outputCost"),
        total_cost: cost_of("totalCost"),
    }
}

/// `usageDetails`, tried in Langfuse's order: an OpenAI Chat Completions usage object, an
/// OpenAI Responses usage object, else a free `{usage type: count}` map.
fn usage_details(value: &Value) -> BTreeMap<String, i64> {
    let Some(object) = as_object(value) else { return BTreeMap::new() };
    openai_usage(&object, OPENAI_CHAT)
        .or_else(|| openai_usage(&object, OPENAI_RESPONSES))
        .unwrap_or_else(|| object.iter().filter_map(|(key, value)| Some((key.clone(), count(value)?))).collect())
}

/// The field names of one OpenAI usage schema.
struct OpenAiSchema {
    input: &'static str,
    output: &'static str,
    total: &'static str,
    input_details: &'static str,
    output_details: &'static str,
}

const OPENAI_CHAT: OpenAiSchema = OpenAiSchema {
    input: "prompt_tokens",
    output: "completion_tokens",
    total: "total_tokens",
    input_details: "prompt_tokens_details",
    output_details: "completion_tokens_details",
};

const OPENAI_RESPONSES: OpenAiSchema = OpenAiSchema {
    input: "input_tokens",
    output: "output_tokens",
    total: "total_tokens",
    input_details: "input_tokens_details",
    output_details: "output_tokens_details",
};

/// An OpenAI usage object, read strictly as Langfuse does (the three counts present, no other
/// keys but the two detail maps), so that a free map which merely uses the name `input_tokens`
/// keeps its own keys. Every detail becomes `input_<key>` / `output_<key>` and is subtracted
/// from its bucket (never below zero): `input` then means "input not counted elsewhere".
fn openai_usage(object: &Map<String, Value>, schema: OpenAiSchema) -> Option<BTreeMap<String, i64>> {
    let known = [schema.input, schema.output, schema.total, schema.input_details, schema.output_details];
    if !object.keys().all(|key| known.contains(&key.as_str())) {
        return None;
    }
    let mut input = object.get(schema.input).and_then(count)?;
    let mut output = object.get(schema.output).and_then(count)?;
    let total = object.get(schema.total).and_then(count)?;
    let details = |key: &str| -> Option<Option<&Map<String, Value>>> {
        match object.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(Value::Object(map)) => Some(Some(map)),
            Some(_) => None,
        }
    };
    let input_details = details(schema.input_details)?;
    let output_details = details(schema.output_details)?;

    let mut usage = BTreeMap::new();
    for (prefix, bucket, details) in [("input", &mut input, input_details), ("output", &mut output, output_details)] {
        // Null details (Gemini's OpenAI-compatible API sends some) and non-counts are skipped.
        for (key, value) in details.into_iter().flatten() {
            if let Some(value) = count(value) {
                usage.insert(format!("{prefix}_{key}"), value);
                *bucket = (*bucket - value).max(0);
            }
        }
    }
    usage.insert("input".to_string(), input);
    usage.insert("output".to_string(), output);
    usage.insert("total".to_string(), total);
    Some(usage)
}

/// First key present among aliases of one count, from the generic GenAI / OpenInference /
/// Vercel AI attributes (prefix already stripped by the OTel mapping).
const INPUT_KEYS: &[&str] = &["prompt_tokens", "input_tokens", "prompt", "promptTokens", "inputTokens"];
const OUTPUT_KEYS: &[&str] = &["completion_tokens", "output_tokens", "completion", "completionTokens", "outputTokens"];
const TOTAL_KEYS: &[&str] = &["total_tokens", "total", "totalTokens", "tokens"];
/// Every name a cache-read count goes by (also how the OTel mapping tells that a span reported
/// one, so there is one list).
pub const CACHE_READ_KEYS: &[&str] = &[
    "cache_read.input_tokens",
    "cache_read_input_tokens",
    "cache_read_tokens",
    "details.cache_read_tokens",
    "details.cache_read_input_tokens",
    "prompt_details.cache_read",
    "input_cached_tokens",
    "cachedInputTokens",
];
const CACHE_CREATION_KEYS: &[&str] = &[
    "cache_creation.input_tokens",
    "cache_creation_input_tokens",
    "cache_write_tokens",
    "details.cache_write_tokens",
    "details.cache_creation_input_tokens",
    "prompt_details.cache_write",
    "input_cache_creation",
];
const REASONING_KEYS: &[&str] = &["reasoning.output_tokens", "completion_details.reasoning", "reasoningTokens"];
const AUDIO_OUTPUT_KEYS: &[&str] = &["completion_details.audio"];
/// Not a count: `gen_ai.usage.cost` is read as the provided total cost by the OTel mapping.
const NOT_USAGE_KEYS: &[&str] = &["cost"];

/// GenAI counts (§4.6): input without cache reads and writes, output without reasoning and
/// audio, each of those as its own usage type, every other count kept under its own name (a
/// `details.` prefix stripped).
fn gen_ai_usage(counts: &BTreeMap<String, f64>) -> BTreeMap<String, i64> {
    gen_ai_usage_sources(counts).into_iter().map(|(usage_type, (count, _))| (usage_type, count)).collect()
}

/// [`gen_ai_usage`] with, for each usage type, the GenAI count it was read from (the OTel mapping
/// inspector shows `gen_ai.usage.input_tokens → usageDetails.input`).
pub fn gen_ai_usage_sources(counts: &BTreeMap<String, f64>) -> BTreeMap<String, (i64, &str)> {
    let first = |keys: &[&str]| {
        keys.iter().find_map(|key| counts.get_key_value(*key).and_then(|(name, value)| Some((float_count(*value)?, name.as_str()))))
    };
    let count = |found: Option<(i64, &str)>| found.map_or(0, |(n, _)| n);
    let cache_read = first(CACHE_READ_KEYS);
    let cache_creation = first(CACHE_CREATION_KEYS);
    let reasoning = first(REASONING_KEYS);
    let audio_output = first(AUDIO_OUTPUT_KEYS);

    let mut usage = BTreeMap::new();
    if let Some((input, source)) = first(INPUT_KEYS) {
        usage.insert("input".to_string(), ((input - count(cache_read) - count(cache_creation)).max(0), source));
    }
    if let Some((output, source)) = first(OUTPUT_KEYS) {
        usage.insert("output".to_string(), ((output - count(reasoning) - count(audio_output)).max(0), source));
    }
    for (key, value) in [
        ("total", first(TOTAL_KEYS)),
        ("input_cached_tokens", cache_read),
        ("input_cache_creation", cache_creation),
        ("output_reasoning_tokens", reasoning),
        ("output_audio_tokens", audio_output),
    ] {
        if let Some(value) = value {
            usage.insert(key.to_string(), value);
        }
    }
    let consumed =
        [INPUT_KEYS, OUTPUT_KEYS, TOTAL_KEYS, CACHE_READ_KEYS, CACHE_CREATION_KEYS, REASONING_KEYS, AUDIO_OUTPUT_KEYS, NOT_USAGE_KEYS];
    for (key, value) in counts {
        if consumed.iter().any(|keys| keys.contains(&key.as_str())) {
            continue;
        }
        let Some(value) = float_count(*value) else { continue };
        let usage_type = key.strip_prefix("details.").unwrap_or(key);
        usage.entry(usage_type.to_string()).or_insert((value, key.as_str()));
    }
    usage
}

/// A JSON object, also when it arrives as a JSON string (OTel attributes carry
/// `langfuse.observation.usage_details` / `cost_details` as JSON text).
fn as_object(value: &Value) -> Option<std::borrow::Cow<'_, Map<String, Value>>> {
    match value {
        Value::Object(map) => Some(std::borrow::Cow::Borrowed(map)),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Some(std::borrow::Cow::Owned(map)),
            _ => None,
        },
        _ => None,
    }
}

/// A usage count: a non-negative integer, an integral float (`10.0`; JavaScript has no
/// difference) or a numeric string (`"12"`; fractions truncated, as `parseInt` does).
/// Anything else is not a count.
fn count(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => match number.as_i64() {
            Some(integer) => (integer >= 0).then_some(integer),
            None => number.as_f64().filter(|f| f.fract() == 0.0).and_then(float_count),
        },
        Value::String(text) => {
            let text = text.trim();
            text.parse::<i64>().ok().filter(|n| *n >= 0).or_else(|| text.parse::<f64>().ok().and_then(|f| float_count(f.trunc())))
        }
        _ => None,
    }
}

/// A count from an OTel number (int and double attributes both arrive as `f64`): finite,
/// non-negative, fractions truncated.
fn float_count(value: f64) -> Option<i64> {
    // i64::MAX as f64 rounds up to 2^63, which does not fit; stay strictly below it.
    (value.is_finite() && value >= 0.0 && value < i64::MAX as f64).then(|| value.trunc() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn usage(legacy: Option<Value>, details: Option<Value>) -> UsageInput {
        UsageInput { legacy, details, gen_ai: BTreeMap::new() }
    }

    fn gen_ai(counts: &[(&str, f64)]) -> UsageInput {
        UsageInput { gen_ai: counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(), ..UsageInput::default() }
    }

    fn counts(expected: Value) -> BTreeMap<String, i64> {
        serde_json::from_value(expected).unwrap()
    }

    fn costs(expected: Value) -> BTreeMap<String, f64> {
        serde_json::from_value(expected).unwrap()
    }

    #[test]
    fn openai_chat_completions_usage_is_split_into_details_worked_example() {
        // docs/COMPATIBILITY.md §3.6, verbatim.
        let details = json!({
            "prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19,
            "prompt_tokens_details": {"cached_tokens": 2, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 1, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        });
        let normalized = normalize(&usage(None, Some(details)), None);
        assert_eq!(
            normalized.usage,
            counts(json!({
                "input": 10, "input_cached_tokens": 2, "input_audio_tokens": 0,
                "output": 6, "output_reasoning_tokens": 1, "output_audio_tokens": 0,
                "output_accepted_prediction_tokens": 0, "output_rejected_prediction_tokens": 0,
                "total": 19
            }))
        );
        assert_eq!(normalized.unit, None);
        assert!(normalized.cost.is_empty());
    }

    #[test]
    fn openai_usage_sent_as_a_json_string_is_read_too() {
        // Python 5's OpenAI integration over OTel: `langfuse.observation.usage_details` as text.
        let text = r#"{"completion_tokens": 7, "prompt_tokens": 12, "total_tokens": 19,
            "completion_tokens_details": {"reasoning_tokens": 1}, "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 2}}"#;
        let normalized = normalize(&usage(None, Some(json!(text))), None);
        assert_eq!(
            normalized.usage,
            counts(
                json!({"input": 10, "input_audio_tokens": 0, "input_cached_tokens": 2, "output": 6, "output_reasoning_tokens": 1, "total": 19})
            )
        );
    }

    #[test]
    fn openai_responses_usage_is_split_into_details() {
        let details = json!({
            "input_tokens": 100, "output_tokens": 50, "total_tokens": 150,
            "input_tokens_details": {"cached_tokens": 30},
            "output_tokens_details": {"reasoning_tokens": 60}
        });
        let normalized = normalize(&usage(None, Some(details)), None);
        // Details larger than their bucket leave it at zero, never negative.
        assert_eq!(
            normalized.usage,
            counts(json!({"input": 70, "input_cached_tokens": 30, "output": 0, "output_reasoning_tokens": 60, "total": 150}))
        );
    }

    #[test]
    fn openai_shape_is_strict_so_other_maps_keep_their_keys() {
        // An extra key: not an OpenAI object, so a free map (the nested object is dropped).
        let details = json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7, "prompt_tokens_details": {"cached_tokens": 1}, "extra": 1});
        assert_eq!(
            normalize(&usage(None, Some(details)), None).usage,
            counts(json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7, "extra": 1}))
        );
        // A missing total: not an OpenAI object either.
        let details = json!({"input_tokens": 5, "output_tokens": 2});
        assert_eq!(normalize(&usage(None, Some(details)), None).usage, counts(json!({"input_tokens": 5, "output_tokens": 2})));
        // Null details and non-count detail values are skipped, the shape still applies.
        let details = json!({"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10, "prompt_tokens_details": null,
                             "completion_tokens_details": {"reasoning_tokens": null, "audio_tokens": "x"}});
        assert_eq!(normalize(&usage(None, Some(details)), None).usage, counts(json!({"input": 9, "output": 1, "total": 10})));
    }

    #[test]
    fn free_maps_keep_non_negative_integers_and_numeric_strings() {
        let details = json!({
            "input": 5, "output": "3", "cached": 2.0, "fraction": 1.5, "negative": -1, "text": "many",
            "nested": {"a": 1}, "flag": true, "nothing": null, "padded": " 7 "
        });
        assert_eq!(normalize(&usage(None, Some(details)), None).usage, counts(json!({"input": 5, "output": 3, "cached": 2, "padded": 7})));
    }

    #[test]
    fn sdk_normalized_maps_pass_through_unchanged() {
        // Python LangChain handler (§10.3 / §10.4).
        let langchain = json!({"input": 10, "output": 6, "total": 19, "input_audio": 0, "input_cache_read": 2, "output_audio": 0, "output_reasoning": 1});
        assert_eq!(normalize(&usage(None, Some(langchain.clone())), None).usage, counts(langchain));
        // JS `observeOpenAI` (§10.6).
        let js = json!({"input": 10, "output": 6, "total": 19, "input_cached_tokens": 2, "output_reasoning_tokens": 1});
        assert_eq!(normalize(&usage(None, Some(js.clone())), None).usage, counts(js));
        // Python 5 decorator (§10.2): no total, which pricing adds later.
        let python = json!({"input": 11, "output": 5, "cache_read_input_tokens": 3});
        assert_eq!(normalize(&usage(None, Some(python.clone())), None).usage, counts(python));
    }

    #[test]
    fn legacy_usage_gets_a_total_from_input_and_output() {
        // Python 2.x decorator: `usage {"input":11,"output":5,"unit":"TOKENS"}`.
        let normalized = normalize(&usage(Some(json!({"input": 11, "output": 5, "unit": "TOKENS"})), None), None);
        assert_eq!(normalized.usage, counts(json!({"input": 11, "output": 5, "total": 16})));
        assert_eq!(normalized.unit.as_deref(), Some("TOKENS"));
        // Only one side known: the total is that side.
        let normalized = normalize(&usage(Some(json!({"input": 4})), None), None);
        assert_eq!(normalized.usage, counts(json!({"input": 4, "total": 4})));
        // An explicit total is kept; a zero total counts as absent (Langfuse's `total || ...`).
        let normalized = normalize(&usage(Some(json!({"input": 4, "output": 1, "total": 9})), None), None);
        assert_eq!(normalized.usage, counts(json!({"input": 4, "output": 1, "total": 9})));
        let normalized = normalize(&usage(Some(json!({"input": 4, "output": 1, "total": 0})), None), None);
        assert_eq!(normalized.usage, counts(json!({"input": 4, "output": 1, "total": 5})));
        // Unknown units are dropped, known ones are read case-insensitively.
        assert_eq!(normalize(&usage(Some(json!({"input": 1, "unit": "PARSECS"})), None), None).unit, None);
        assert_eq!(normalize(&usage(Some(json!({"input": 1, "unit": "characters"})), None), None).unit.as_deref(), Some("CHARACTERS"));
    }

    #[test]
    fn legacy_openai_style_usage_means_tokens() {
        let normalized = normalize(&usage(Some(json!({"promptTokens": 3, "completionTokens": 4})), None), None);
        assert_eq!(normalized.usage, counts(json!({"input": 3, "output": 4, "total": 7})));
        assert_eq!(normalized.unit.as_deref(), Some("TOKENS"));
        // The OpenAI style wins over the rest of the object, costs included (as in Langfuse).
        let legacy = json!({"promptTokens": 3, "completionTokens": 4, "totalTokens": 8, "input": 100, "inputCost": 1.0});
        let normalized = normalize(&usage(Some(legacy), None), None);
        assert_eq!(normalized.usage, counts(json!({"input": 3, "output": 4, "total": 8})));
        assert!(normalized.cost.is_empty());
    }

    #[test]
    fn legacy_usage_is_overlaid_by_details_without_deriving_a_total() {
        // The OpenAI integration of Python 2.x sends both.
        let legacy = json!({"input": 12, "output": 7, "unit": "TOKENS"});
        let details = json!({"input": 10, "input_cached_tokens": 2, "output": 7});
        let normalized = normalize(&usage(Some(legacy), Some(details)), None);
        assert_eq!(normalized.usage, counts(json!({"input": 10, "input_cached_tokens": 2, "output": 7})));
        let legacy = json!({"input": 12, "output": 7, "total": 19});
        let normalized = normalize(&usage(Some(legacy), Some(json!({"input": 10, "input_cached_tokens": 2}))), None);
        assert_eq!(normalized.usage, counts(json!({"input": 10, "input_cached_tokens": 2, "output": 7, "total": 19})));
    }

    #[test]
    fn costs_come_from_legacy_usage_overlaid_by_cost_details() {
        let legacy = json!({"input": 1, "inputCost": 0.5, "outputCost": 0.25, "totalCost": -1});
        let cost = json!({"output": 0.3, "input_cached_tokens": 0.1, "bad": "1", "negative": -0.1, "missing": null});
        let normalized = normalize(&usage(Some(legacy), None), Some(&cost));
        assert_eq!(normalized.cost, costs(json!({"input": 0.5, "output": 0.3, "input_cached_tokens": 0.1})));
        // OTel `langfuse.observation.cost_details` arrives as JSON text.
        let normalized = normalize(&UsageInput::default(), Some(&json!("{\"input\": 0.0001, \"output\": 0.0002}")));
        assert_eq!(normalized.cost, costs(json!({"input": 0.0001, "output": 0.0002})));
        assert!(normalized.usage.is_empty());
    }

    #[test]
    fn gen_ai_counts_split_cache_and_reasoning() {
        let normalized = normalize(
            &gen_ai(&[
                ("input_tokens", 100.0),
                ("output_tokens", 40.0),
                ("cache_read.input_tokens", 30.0),
                ("cache_creation.input_tokens", 20.0),
                ("reasoning.output_tokens", 15.0),
                ("total_tokens", 140.0),
            ]),
            None,
        );
        assert_eq!(
            normalized.usage,
            counts(json!({"input": 50, "input_cached_tokens": 30, "input_cache_creation": 20,
                          "output": 25, "output_reasoning_tokens": 15, "total": 140}))
        );
    }

    #[test]
    fn openinference_counts_keep_other_keys_with_details_prefix_stripped() {
        let normalized = normalize(
            &gen_ai(&[
                ("prompt", 12.0),
                ("completion", 7.0),
                ("total", 19.0),
                ("prompt_details.cache_read", 2.0),
                ("completion_details.reasoning", 1.0),
                ("completion_details.audio", 1.0),
                ("details.image_tokens", 4.0),
                ("prompt_details.audio", 3.0),
                ("cost", 0.5),
                ("negative", -2.0),
            ]),
            None,
        );
        assert_eq!(
            normalized.usage,
            counts(json!({"input": 10, "input_cached_tokens": 2, "output": 5, "output_reasoning_tokens": 1,
                          "output_audio_tokens": 1, "total": 19, "image_tokens": 4, "prompt_details.audio": 3}))
        );
    }

    #[test]
    fn vercel_ai_counts_are_recognised() {
        let normalized =
            normalize(&gen_ai(&[("promptTokens", 8.0), ("completionTokens", 2.0), ("tokens", 10.0), ("cachedInputTokens", 3.0)]), None);
        assert_eq!(normalized.usage, counts(json!({"input": 5, "input_cached_tokens": 3, "output": 2, "total": 10})));
    }

    #[test]
    fn usage_details_take_precedence_over_gen_ai_counts() {
        let mut input = gen_ai(&[("input_tokens", 100.0)]);
        input.details = Some(json!({"input": 1}));
        assert_eq!(normalize(&input, None).usage, counts(json!({"input": 1})));
        // Details that hold nothing usable fall back to the counts.
        input.details = Some(json!({"input": "lots"}));
        assert_eq!(normalize(&input, None).usage, counts(json!({"input": 100})));
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert_eq!(normalize(&UsageInput::default(), None), NormalizedUsage::default());
        assert_eq!(normalize(&usage(Some(json!({})), Some(json!({}))), Some(&json!({}))), NormalizedUsage::default());
        assert_eq!(normalize(&usage(Some(json!("n/a")), Some(json!([1, 2]))), Some(&json!(3))), NormalizedUsage::default());
    }

    #[test]
    fn huge_and_odd_numbers_do_not_panic() {
        let details = json!({"big": 1e300, "max": u64::MAX, "neg_zero": -0.0, "i64max": i64::MAX});
        assert_eq!(normalize(&usage(None, Some(details)), None).usage, counts(json!({"neg_zero": 0, "i64max": i64::MAX})));
        let normalized = normalize(&gen_ai(&[("input_tokens", f64::NAN), ("output_tokens", f64::INFINITY), ("total", 1e30)]), None);
        assert!(normalized.usage.is_empty(), "{:?}", normalized.usage);
    }
}
