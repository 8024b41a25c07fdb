//! The fuzz harness: one function per untrusted-input decoder, from raw bytes to the decoder's
//! result, with the properties every input must keep:
//!
//! - no panic (a panic in a handler is a 500 and, in the OTLP path, a lost export), no hang;
//! - either a value or an error that says where the problem is (`batch[3].body.startTime: …`,
//!   `resourceSpans[0]…: traceId …`, `limit must be …`), checked by [`located`];
//! - a few cheap invariants per decoder (one outcome per batch event, round trips).
//!
//! Used twice: by the libFuzzer targets in `fuzz/fuzz_targets/` (`cargo fuzz run <target>`), and
//! by the stable CI pass `server/tests/fuzz_corpus.rs` (through `#[path]`), which replays every
//! checked-in corpus and regression file and a seeded mutation loop through these same
//! functions. So this module may only use crates both have: `loupe_server`'s dependencies.
//!
//! JSON targets read their input as JSON when it parses (the path real requests take) and
//! otherwise build a structure-aware value from the bytes ([`gen`]), so random bytes still reach
//! the rules past the parser.

pub mod gen;
pub mod mutate;
pub mod otlp;

use std::collections::HashMap;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use loupe_app::domain::content;
use loupe_app::domain::prompt_draft;
use loupe_app::domain::prompts::{self, PromptBody};
use loupe_app::domain::trace_list::{self, TraceListQuery, QUERY_KEYS};
use loupe_app::domain::ScoreDataType;
use loupe_server::http::public_api::params::{self, Params};
use loupe_server::http::public_api::prompts::new_prompt;
use loupe_server::ingest::legacy::{self, Scope};
use loupe_server::ingest::otel::{ingest_export, OtelRequestError};
use loupe_server::ingest::scores::{self, ConfigRule};
use prost::Message;
use serde_json::Value;

use gen::Gen;

/// Every target by name (the fuzz target's name and its corpus directory).
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("otlp_protobuf", otlp_protobuf),
    ("otlp_json", otlp_json),
    ("batch", batch),
    ("score", score),
    ("prompt", prompt),
    ("trace_list", trace_list),
    ("params", params),
    ("content", content),
];

/// A fixed "now", so a failing input fails the same way on every run.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_714_740, 0).expect("a valid time")
}

/// An error message names its location: `<where>: <what>`, both non-empty.
#[track_caller]
pub fn located(message: &str, decoder: &str) {
    let ok = match message.split_once(": ") {
        Some((location, what)) => !location.trim().is_empty() && !what.trim().is_empty(),
        None => false,
    };
    assert!(ok, "{decoder}: error without a location: {message:?}");
}

/// serde_json's parse errors are what the handlers send back for a body that is not JSON; they
/// must give a line and column.
#[track_caller]
fn json_error_located(error: &serde_json::Error, decoder: &str) {
    let message = error.to_string();
    assert!(message.contains(" at line ") && error.line() >= 1, "{decoder}: JSON error without a position: {message:?}");
}

/// The body as a JSON value, or a generated one (see the module comment).
fn json_or(data: &[u8], decoder: &str, generate: fn(&mut Gen<'_>) -> Value) -> Value {
    match serde_json::from_slice::<Value>(data) {
        Ok(value) => value,
        Err(error) => {
            json_error_located(&error, decoder);
            generate(&mut Gen::new(data))
        }
    }
}

fn check_otlp(result: Result<loupe_server::ingest::otel::MappedExport, OtelRequestError>, decoder: &str) {
    match result {
        Ok(mapped) => {
            for o in &mapped.batch.observations {
                assert!(!o.id.is_empty() && !o.trace_id.is_empty(), "{decoder}: observation without ids: {o:?}");
            }
            // What reaches SQL went through `ingest::storable`: no NUL anywhere, keys within limit.
            assert_storable(&mapped.batch, decoder);
            for rejected in &mapped.rejected_spans {
                assert!(rejected.starts_with("resourceSpans["), "{decoder}: a refused span without its location: {rejected}");
            }
        }
        Err(OtelRequestError::Malformed(message)) => located(&message, decoder),
        Err(OtelRequestError::BadGzip(message)) => assert!(!message.is_empty(), "{decoder}: empty gzip error"),
        Err(OtelRequestError::TooLarge | OtelRequestError::UnsupportedEncoding(_) | OtelRequestError::UnsupportedContentType(_)) => {}
    }
}

/// Every string a batch would store is free of NUL characters (text and JSON alike) and every
/// indexed value is within `storable::MAX_KEY_BYTES`.
fn assert_storable(batch: &loupe_server::ingest::model::IngestBatch, decoder: &str) {
    use loupe_server::ingest::storable::MAX_KEY_BYTES;
    let json_ok = |v: &Option<serde_json::Value>| v.as_ref().is_none_or(|v| !has_nul(v));
    let key_ok = |s: &str| !s.contains('\0') && s.len() <= MAX_KEY_BYTES;
    for o in &batch.observations {
        let keys = [Some(&o.id), Some(&o.trace_id), o.parent_observation_id.as_ref(), o.model.as_ref(), o.prompt_name.as_ref()];
        assert!(keys.into_iter().flatten().all(|k| key_ok(k)), "{decoder}: an unstorable key in {o:?}");
        assert!(o.name.as_deref().is_none_or(|n| !n.contains('\0')), "{decoder}: NUL in a name");
        for v in [&o.input, &o.output, &o.metadata, &o.model_parameters, &o.cost] {
            assert!(json_ok(v), "{decoder}: NUL in stored JSON of {}", o.id);
        }
        // The OTel record is bytes (NUL allowed), but it must decode: the inspector reads it.
        assert!(o.otel_record.as_ref().is_none_or(|r| r.value().is_some()), "{decoder}: an undecodable OTel record in {}", o.id);
    }
    for t in &batch.traces {
        let keys = [Some(&t.id), t.name.as_ref(), t.user_id.as_ref(), t.session_id.as_ref()];
        assert!(keys.into_iter().flatten().all(|k| key_ok(k)) && t.tags.iter().all(|k| key_ok(k)), "{decoder}: an unstorable trace key {t:?}");
        for v in [&t.input, &t.output, &t.metadata] {
            assert!(json_ok(v), "{decoder}: NUL in stored trace JSON of {}", t.id);
        }
    }
}

/// Whether a NUL character is in any string or key of `value` (iteratively: any depth).
fn has_nul(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(s) if s.contains('\0') => return true,
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                if map.keys().any(|k| k.contains('\0')) {
                    return true;
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    false
}

/// The body is gzip-encoded when it starts with gzip's magic bytes, so the corpus can hold
/// compressed exports and gzip bombs.
fn encoding_of(data: &[u8]) -> Option<&'static str> {
    data.starts_with(&[0x1f, 0x8b]).then_some("gzip")
}

/// OTLP protobuf (`POST /api/public/otel/v1/traces`, `application/x-protobuf`): transport, decode,
/// validate, map. Bytes that are not a valid export are also read as choices for a generated
/// export, encoded and sent through the same path.
pub fn otlp_protobuf(data: &[u8]) {
    let result = ingest_export(Bytes::copy_from_slice(data), Some("application/x-protobuf"), encoding_of(data), now());
    let failed = result.is_err();
    check_otlp(result, "otlp_protobuf");
    if failed {
        let request = otlp::request(&mut Gen::new(data));
        let body = Bytes::from(request.encode_to_vec());
        check_otlp(ingest_export(body, Some("application/x-protobuf"), None, now()), "otlp_protobuf (generated)");
    }
}

/// OTLP/JSON (`application/json`), same path; invalid bodies drive a generated export written in
/// the JSON spellings exporters use.
pub fn otlp_json(data: &[u8]) {
    let result = ingest_export(Bytes::copy_from_slice(data), Some("application/json; charset=utf-8"), encoding_of(data), now());
    let failed = result.is_err();
    check_otlp(result, "otlp_json");
    if failed {
        let mut g = Gen::new(data);
        let request = otlp::request(&mut g);
        let body = serde_json::to_vec(&otlp::to_json(&mut g, &request)).expect("a Value serializes");
        check_otlp(ingest_export(Bytes::from(body), Some("application/json"), None, now()), "otlp_json (generated)");
    }
}

/// The batch API (`POST /api/public/ingestion`): `parse_batch` with both access scopes. Every
/// event gets exactly one outcome, and every error names its event (`batch[i]…`).
pub fn batch(data: &[u8]) {
    let request = json_or(data, "batch", gen::batch);
    let Some(Value::Array(events)) = request.get("batch") else { return };
    for scope in [Scope::All, Scope::ScoresOnly] {
        let parsed = legacy::parse_batch(events, scope);
        let outcomes = parsed.successes.len() + parsed.errors.len() + parsed.score_drafts.len();
        assert_eq!(outcomes, events.len(), "batch: {outcomes} outcomes for {} events", events.len());
        assert_storable(&parsed.batch, "batch");
        for error in &parsed.errors {
            assert!(error.error.starts_with("batch["), "batch: error not naming its event: {error:?}");
            located(&error.error, "batch");
            assert!(matches!(error.status, 400 | 401), "batch: status {} for {error:?}", error.status);
        }
        for (id, draft) in parsed.score_drafts {
            // No config in the project: a draft with a configId is refused with its path.
            if let Err(rejection) = scores::apply_config(draft, &HashMap::new(), "body") {
                located(rejection.message(), "batch score config");
            }
            assert!(!id.is_empty());
        }
    }
}

/// `POST /api/public/scores` (one score or an array) and the config check, against a config
/// built from the same bytes.
pub fn score(data: &[u8]) {
    let body = json_or(data, "score", gen::score);
    let items: Vec<(String, &Value)> = match &body {
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (format!("[{i}]"), v)).collect(),
        other => vec![("body".to_string(), other)],
    };
    let mut g = Gen::new(data);
    let config = ConfigRule {
        name: g.text(&["quality", ""]),
        data_type: g.pick(ScoreDataType::ALL),
        is_archived: g.chance(30),
        min_value: g.chance(128).then(|| g.number().as_f64().unwrap_or(0.0)),
        max_value: g.chance(128).then(|| g.number().as_f64().unwrap_or(1.0)),
        categories: (0..g.below(4)).map(|_| (g.text(&["good", "bad"]), g.number().as_f64().unwrap_or(0.0))).collect(),
    };
    for (path, item) in items {
        match scores::parse(item, &path, now()) {
            Ok(draft) => {
                let configs = draft.record.config_id.clone().map(|id| HashMap::from([(id, config.clone())])).unwrap_or_default();
                if let Err(rejection) = scores::apply_config(draft, &configs, &path) {
                    let message = rejection.message();
                    assert!(message.starts_with(&path), "score: config error not naming {path}: {message:?}");
                    located(message, "score config");
                }
            }
            Err(message) => {
                assert!(message.starts_with(&path), "score: error not naming {path}: {message:?}");
                located(&message, "score");
            }
        }
    }
}

/// The prompt create body (`POST /api/public/v2/prompts` and v1) and the text rules it feeds:
/// `{{variables}}`, `@@@langfusePrompt…@@@` references, the editor's config parser.
pub fn prompt(data: &[u8]) {
    let body = json_or(data, "prompt", gen::prompt);
    for legacy in [false, true] {
        match new_prompt(&body, legacy) {
            Ok(prompt) => {
                let _ = (prompt.prompt.variables(), prompt.prompt.placeholders(), prompt.prompt.references());
                assert!(prompts::check_name(&prompt.name).is_ok());
            }
            Err(error) if body.is_object() => located(&error.message, "prompt"),
            Err(error) => assert!(error.message.starts_with("the request body must be a JSON object"), "prompt: {:?}", error.message),
        }
    }
    // Every body the reader accepts also reads as a chat or text body on its own.
    if let Some(p) = body.get("prompt") {
        for kind in [prompts::PromptType::Text, prompts::PromptType::Chat] {
            if let Err(e) = PromptBody::from_json(kind, p) {
                assert!(!e.field.is_empty() && !e.message.is_empty(), "prompt body: {e:?}");
            }
        }
    }
    let text = String::from_utf8_lossy(data);
    text_rules(&text);
    if let Err(e) = prompt_draft::parse_config(&text) {
        assert_eq!(e.field, "config", "prompt config: {e:?}");
        assert!(!e.message.is_empty());
    }
}

/// Spans are in bounds, on character boundaries, and cover what they claim; a reference written
/// back with `reference_tag` reads as itself.
fn text_rules(text: &str) {
    for (range, name) in prompts::variable_spans(text) {
        let span = text.get(range.clone()).unwrap_or_else(|| panic!("variable span {range:?} off a char boundary"));
        assert!(span.starts_with("{{") && span.ends_with("}}") && span.contains(name), "variable span {span:?} for {name:?}");
        assert!(prompts::is_variable_name(name), "variable {name:?}");
    }
    for (range, reference) in prompts::references(text) {
        let span = text.get(range.clone()).unwrap_or_else(|| panic!("reference span {range:?} off a char boundary"));
        assert!(span.starts_with("@@@langfusePrompt:") && span.ends_with("@@@"), "reference span {span:?}");
        let tag = prompts::reference_tag(&reference);
        let again: Vec<_> = prompts::references(&tag).into_iter().map(|(_, r)| r).collect();
        assert_eq!(again, vec![reference], "reference round trip through {tag:?}");
    }
}

/// The traces list's URL query (`TraceListQuery::parse`, shared by the form and the server):
/// an error names a URL key; a query survives `to_search` and reading back.
pub fn trace_list(data: &[u8]) {
    let raw = String::from_utf8_lossy(data);
    let raw = raw.strip_prefix('?').unwrap_or(&raw);
    check_trace_list(raw);
    if !raw.contains('=') {
        let words = &["1h", "24h", "7d", "30d", "x", "latency", "cost", "time", "asc", "desc", "warning", "error", "yes", "no",
            ">=", "<", "!=", "=", "1.5", "-1", "1e309", "2026-01-31", "2026-01-31T12:00", "2026-01-31T12:00:00Z", "k=v", "=v",
            "quality", "NaN"];
        check_trace_list(&gen::query(&mut Gen::new(data), &QUERY_KEYS, words));
    }
}

fn check_trace_list(query_string: &str) {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query_string.as_bytes()).into_owned().collect();
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let query = TraceListQuery::from_params(get);
    match query.parse(now()) {
        Ok(_) => {}
        Err((key, problem)) => {
            assert!(QUERY_KEYS.contains(&key), "trace_list: error names {key:?}, not a URL key");
            assert!(!problem.to_string().trim().is_empty(), "trace_list: empty message for {key}");
        }
    }
    let _ = (query.active_filters(), query.is_filtered(), query.first_page(), query.cleared());
    let search = query.to_search();
    let back: Vec<(String, String)> =
        url::form_urlencoded::parse(search.strip_prefix('?').unwrap_or(&search).as_bytes()).into_owned().collect();
    let again = TraceListQuery::from_params(|key| back.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
    assert_eq!(again, query, "trace_list: {search:?} does not read back as the query it came from");
    for value in [&query.from, &query.to] {
        let _ = trace_list::parse_time(value);
    }
    let _ = trace_list::range_length(&query.range);
    let _ = trace_list::parse_cursor(&query.before);
    for sort in [trace_list::SortBy::parse(&query.sort).unwrap_or(trace_list::SortBy::Time)] {
        let _ = trace_list::parse_list_cursor(&query.before, sort);
    }
}

/// The public API's query parameters (`params.rs`): every accessor on every key sent and on the
/// common ones; each error names its parameter.
pub fn params(data: &[u8]) {
    const COMMON: &[&str] = &[
        "page", "limit", "name", "userId", "tags", "fromTimestamp", "toTimestamp", "cursor", "environment", "value",
        "scoreIds", "filter", "version", "label", "resolve", "orderBy", "level",
    ];
    let raw = String::from_utf8_lossy(data);
    let query = if raw.contains('=') {
        raw.into_owned()
    } else {
        gen::query(&mut Gen::new(data), COMMON, &["1", "0", "-5", "100", "101", "9223372036854775807", "true", "x", "2026-01-31T12:00:00Z", "2026-01-31T14:00:00 02:00", "a,b,,c", "eyJhIjoxfQ", "NaN", "1e400"])
    };
    let p = Params::parse(&query);
    let mut names: Vec<String> = COMMON.iter().map(|s| s.to_string()).collect();
    names.extend(url::form_urlencoded::parse(query.as_bytes()).map(|(k, _)| k.into_owned()));
    let named = |result: Result<(), params_error::E>, name: &str| {
        if let Err(e) = result {
            assert!(e.0.contains(name), "params: error for {name:?} does not name it: {:?}", e.0);
        }
    };
    for name in &names {
        let name = name.as_str();
        let _ = p.all(name);
        named(p.raw(name).map(drop).map_err(params_error::of), name);
        named(p.string(name).map(drop).map_err(params_error::of), name);
        named(p.comma_list(name).map(drop).map_err(params_error::of), name);
        named(p.int_in(name, 1, 100, 50).map(drop).map_err(params_error::of), name);
        named(p.int_in(name, 0, i64::MAX, 0).map(drop).map_err(params_error::of), name);
        named(p.number(name).map(drop).map_err(params_error::of), name);
        named(p.boolean(name).map(drop).map_err(params_error::of), name);
        named(p.datetime(name).map(drop).map_err(params_error::of), name);
        named(p.one_of(name, ScoreDataType::ALL).map(drop).map_err(params_error::of), name);
        if let Ok(Some(raw)) = p.raw(name) {
            if let Err(e) = params::decode_cursor::<Value>(raw) {
                assert!(e.message.starts_with("cursor "), "params: cursor error {:?}", e.message);
            }
        }
    }
    if let Err(e) = p.page(100) {
        assert!(e.message.contains("page") || e.message.contains("limit"), "params: page error {:?}", e.message);
    }
    if let Err(e) = p.reject_unknown(&["page", "limit"]) {
        assert!(e.message.starts_with("unknown query parameter"), "params: {:?}", e.message);
    }
    let _ = p.refuse_advanced_filter();
}

/// The message of an `ApiError`, so the checks above need not name axum types.
mod params_error {
    pub struct E(pub String);
    pub fn of(e: loupe_server::http::public_api::error::ApiError) -> E {
        E(e.message)
    }
}

/// What the trace page shows of untrusted LLM output: `classify`, the iterative pretty printer
/// (equal to serde_json's whenever it is not cut short) and the iterative clone.
pub fn content(data: &[u8]) {
    let value = json_or(data, "content", gen::content);
    let _ = content::classify(&value);
    let budget = [0, 1, 64, 4096, usize::MAX][data.first().map_or(0, |b| *b as usize % 5)];
    let (text, cut) = content::pretty_json(&value, budget);
    if !cut {
        assert_eq!(text, serde_json::to_string_pretty(&value).expect("serializes"), "content: pretty_json differs from serde_json");
    } else {
        assert!(budget < usize::MAX, "content: cut with an unlimited budget");
    }
    let copy = content::clone_value(&value);
    assert_eq!(copy, value, "content: clone_value differs");
    content::drop_value(copy);
}
