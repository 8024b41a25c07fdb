//! The raw OTel record of an observation (span, resource and scope attributes, kind, status,
//! events, and the mapper's `mapped` provenance) as stored in `observations.otel_record`:
//! a format byte, then the JSON compressed with LZ4 (size-prepended block) against a frozen
//! dictionary of the SDKs' keys ([`DICTIONARY_V1`]; records of format 1, before it, still read).
//!
//! Why bytes and not `jsonb` (issue #23): the record is only ever read whole, by the mapping
//! inspector, and it is the larger half of a span's JSON (≈2 KB of ≈3 KB for a Python SDK span).
//! As `jsonb`, Postgres parsed it on every insert (about a tenth of its CPU per span) and then,
//! the row being over the TOAST threshold, compressed it with pglz (another tenth). LZ4 here costs
//! a few microseconds in Loupe and leaves Postgres a copy. Rows written before migration
//! 20261211000001 keep their `otel_attributes` jsonb; readers take whichever is set.

use std::sync::Arc;

use serde_json::Value;

/// An encoded record, made once where the span is mapped. Shared, not copied: a batch is cloned
/// for the writer's unit-by-unit fallback, and the record is the largest part of a span.
#[derive(Clone, PartialEq, Eq)]
pub struct OtelRecord(Arc<[u8]>);

impl OtelRecord {
    /// Any serializable shape of the record: the mapper serializes its parts in place (borrowing
    /// the resource and scope every span of an export shares) rather than building a `Value`.
    pub fn new(record: &impl serde::Serialize) -> Self {
        OtelRecord(encode(record).into())
    }

    /// The bytes stored in `observations.otel_record`.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The record as JSON again (tests, and the inspector through [`decode`]).
    pub fn value(&self) -> Option<Value> {
        decode(&self.0)
    }
}

impl std::fmt::Debug for OtelRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.value() {
            Some(value) => write!(f, "OtelRecord({value})"),
            None => write!(f, "OtelRecord({} undecodable bytes)", self.0.len()),
        }
    }
}

/// The first byte of every record: the encoding, so a later one can be told apart.
/// Records written before the dictionary (2026-12-06): LZ4 alone.
const LZ4_JSON: u8 = 1;
/// LZ4 against [`DICTIONARY_V1`]: what is written now.
const LZ4_JSON_DICT_V1: u8 = 2;

/// What a record's LZ4 block may refer back to before its own first byte: the keys, field names
/// and skeleton of the records the Langfuse SDKs' spans make (Python, JS, `gen_ai.*`,
/// OpenInference). A span's record is ~2 KB of JSON, too little for LZ4 to find its keys twice
/// — with them in the dictionary a Python SDK span's record is stored in about half the bytes.
/// Frozen: every record written with it needs these exact bytes to be read; a better dictionary
/// is a new format byte beside this one (the pinned length and checksum in the tests guard it).
const DICTIONARY_V1: &[u8] = include_bytes!("otel_record_dict_v1.txt");
/// Postgres holds no value over 1 GB, so no record decodes to more: a header claiming more is not
/// ours and is not allocated.
const MAX_DECODED: usize = 1 << 30;

/// The stored bytes of `record` (made once per span, by [`OtelRecord::new`]).
fn encode(record: &impl serde::Serialize) -> Vec<u8> {
    // The JSON is made in a buffer each thread keeps (issue #23: grown from empty for every span,
    // it was reallocated several times per record); only the compressed bytes are new.
    thread_local! {
        static JSON: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(JSON_BUFFER_KEPT));
    }
    JSON.with_borrow_mut(|json| {
        json.clear();
        // Serializing JSON values and plain fields cannot fail: every map key is a string.
        if serde_json::to_writer(&mut *json, record).is_err() {
            json.clear();
        }
        let out = compress(json);
        if json.capacity() > JSON_BUFFER_KEPT {
            // A rare large record does not keep its buffer for the thread's lifetime.
            *json = Vec::with_capacity(JSON_BUFFER_KEPT);
        }
        out
    })
}

/// What a thread's record buffer keeps between records: several times a typical span's JSON.
const JSON_BUFFER_KEPT: usize = 16 * 1024;

/// The stored bytes of a record's JSON.
fn compress(json: &[u8]) -> Vec<u8> {
    // Format byte, size, block: compressed straight into the output, no intermediate copy.
    let mut out = vec![0; 1 + 4 + lz4_flex::block::get_maximum_output_size(json.len())];
    out[0] = LZ4_JSON_DICT_V1;
    out[1..5].copy_from_slice(&(json.len() as u32).to_le_bytes());
    match lz4_flex::block::compress_into_with_dict(json, &mut out[5..], DICTIONARY_V1) {
        Ok(written) => out.truncate(5 + written),
        // Cannot happen (the buffer holds the worst case); the allocating form, never a panic.
        Err(_) => {
            out.truncate(1);
            out.extend_from_slice(&lz4_flex::block::compress_prepend_size_with_dict(json, DICTIONARY_V1));
        }
    }
    out
}

/// The record back, or `None` when the bytes are not a record this version wrote.
pub fn decode(bytes: &[u8]) -> Option<Value> {
    let (&format, body) = bytes.split_first()?;
    let dictionary: &[u8] = match format {
        LZ4_JSON => b"",
        LZ4_JSON_DICT_V1 => DICTIONARY_V1,
        _ => return None,
    };
    if body.len() < 4 {
        return None;
    }
    let size = u32::from_le_bytes(body[..4].try_into().ok()?) as usize;
    if size > MAX_DECODED {
        return None;
    }
    let json = lz4_flex::block::decompress_with_dict(&body[4..], size, dictionary).ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_comes_back_as_it_went_in() {
        let record = json!({"span": {"langfuse.observation.input": "{\"q\": \"作为一个影评人\"}", "n": 3},
                            "resource": {"service.name": "svc"}, "events": [], "mapped": {"span": {"n": ["metadata.n"]}}});
        let bytes = encode(&record);
        assert_eq!(bytes[0], LZ4_JSON_DICT_V1);
        assert_eq!(decode(&bytes), Some(record.clone()));
        assert_eq!(OtelRecord::new(&record).value(), Some(record));
    }

    /// The bench's Python SDK span (scripts/bench-ingest), as the mapper records it.
    fn python_sdk_record() -> Value {
        let output = "The customer reports that order 1234 arrived damaged and asks for a replacement. ".repeat(10);
        json!({"span": {"langfuse.environment": "production",
                        "langfuse.observation.input": "{\"args\": [\"Summarise ticket 35 for the support team, keeping the customer's tone and all order numbers\"], \"kwargs\": {\"temperature\": 0.2}}",
                        "langfuse.observation.metadata.step": "\"step-8\"", "langfuse.observation.metadata.tenant": "\"acme\"",
                        "langfuse.observation.output": json!(output).to_string(), "langfuse.observation.type": "span",
                        "langfuse.release": "2026.11.26", "langfuse.trace.name": "support-summary", "session.id": "session-35", "user.id": "user-35"},
               "resource": {"service.name": "unknown_service:python", "telemetry.sdk.language": "python"},
               "scope": {"name": "langfuse-sdk", "version": "5.0.4", "attributes": {}},
               "kind": 1, "status": {"code": 0, "message": ""}, "events": [],
               "mapped": {"resource": {}, "span": {"langfuse.observation.input": ["input"], "langfuse.observation.output": ["output"],
                          "langfuse.environment": ["environment"], "langfuse.observation.metadata.step": ["metadata.step"],
                          "langfuse.observation.metadata.tenant": ["metadata.tenant"], "langfuse.trace.name": ["trace.name"],
                          "user.id": ["trace.userId"], "session.id": ["trace.sessionId"], "langfuse.release": ["release"],
                          "langfuse.observation.type": ["type"]}}})
    }

    #[test]
    fn the_dictionary_stores_an_sdk_span_in_far_fewer_bytes() {
        let record = python_sdk_record();
        let json = serde_json::to_vec(&record).unwrap();
        let without = lz4_flex::block::compress(&json).len();
        let with = encode(&record).len();
        assert_eq!(decode(&encode(&record)), Some(record));
        assert!(with * 3 < without * 2, "{} B of JSON: {without} B without the dictionary, {with} B with it", json.len());
    }

    #[test]
    fn records_written_before_the_dictionary_still_read() {
        let record = python_sdk_record();
        let json = serde_json::to_vec(&record).unwrap();
        let mut old = vec![LZ4_JSON];
        old.extend_from_slice(&lz4_flex::compress_prepend_size(&json));
        assert_eq!(decode(&old), Some(record));
    }

    #[test]
    fn the_dictionary_is_frozen() {
        // Every stored record of format 2 needs these exact bytes; change them under a new
        // format byte, never in place.
        let fnv = DICTIONARY_V1.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        assert_eq!((DICTIONARY_V1.len(), fnv), (3731, 3884366810011207680));
    }

    #[test]
    fn repetitive_attributes_are_stored_smaller() {
        let text = "The customer reports that order 1234 arrived damaged. ".repeat(20);
        let record = json!({"span": {"langfuse.observation.output": text}});
        assert!(encode(&record).len() * 3 < serde_json::to_vec(&record).unwrap().len());
    }

    #[test]
    fn bytes_that_are_not_a_record_are_refused_not_panicked_on() {
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[LZ4_JSON]), None);
        assert_eq!(decode(&[3, 0, 0, 0, 0]), None, "unknown format");
        assert_eq!(decode(&[LZ4_JSON_DICT_V1, 10, 0, 0, 0, 0x50, 1, 2]), None, "a truncated block");
        assert_eq!(decode(&[LZ4_JSON, 0xff, 0xff, 0xff, 0xff, 1, 2]), None, "a size past the bound");
        assert_eq!(decode(&[LZ4_JSON, 10, 0, 0, 0, 0x50, 1, 2]), None, "a truncated block");
        let mut bytes = encode(&json!({"a": 1}));
        let last = bytes.len() - 1;
        bytes[last] ^= 0x5a;
        assert!(decode(&bytes).is_none_or(|v| v != json!({"a": 1})), "corruption is not the same record");
    }
}
