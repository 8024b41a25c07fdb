//! OTLP trace ingestion (`POST /api/public/otel/v1/traces`, docs/COMPATIBILITY.md §4): the Langfuse
//! SDKs from Python 3.x and JS 4.x on, and any OpenTelemetry instrumentation (OpenInference,
//! GenAI semantic conventions, Vercel AI SDK, Traceloop, MLflow, ...), export spans here instead of
//! calling the batch API.
//!
//! The work is a pure function from request bytes to an [`IngestBatch`], in four steps, each in its
//! own module:
//!
//! 1. [`transport`]: pick the wire format from `Content-Type`, undo `Content-Encoding: gzip` under a
//!    hard size cap (gzip bombs are refused, not inflated).
//! 2. [`decode`] (+ [`json`]): protobuf or OTLP/JSON into one representation, the `prost` types of
//!    `opentelemetry-proto`, then [`validate`] every span's ids. One bad span rejects the whole
//!    export, as Langfuse does: a malformed export is almost always malformed throughout (typically
//!    OTLP logs sent to the traces endpoint), and a 400 tells the exporter not to retry.
//! 3. [`mapping`]: every span becomes an [`ObservationPatch`](super::model::ObservationPatch) and
//!    contributes to its trace's [`TracePatch`](super::model::TracePatch). The per-field rules live
//!    in [`attributes`] (value decoding, lookups), [`types`] (observation type inference),
//!    [`io_extraction`] (input/output), [`metadata`], [`trace_fields`] (user, session, tags,
//!    environment, ...) and [`generation`] (model, parameters, usage, cost, prompt).
//!    While mapping, the rules record which attribute fed which field ([`provenance`]); the record
//!    is stored with the raw attributes (the OTel record's `mapped`) for the mapping inspector.
//! 4. The caller stores the batch; nothing here touches the database, so all of it is unit-tested
//!    without one.
//!
//! Decoding never panics on untrusted input: every failure is an [`OtelRequestError`] that names
//! what is wrong and where (`resourceSpans[0].scopeSpans[1].spans[3]: traceId missing`).

mod attributes;
mod decode;
mod experiments;
mod generation;
mod io_extraction;
mod json;
mod mapping;
mod metadata;
mod provenance;
mod trace_fields;
mod transport;
mod types;
mod validate;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::model::IngestBatch;

/// Upper bound on a decompressed export. The Python SDK caps its batches at 64 MiB, but a 43 MB
/// export could not be stored within the 60 s request timeout (a retrying exporter then never
/// got it in); 32 MiB (≈ 29,000 spans of 1.1 KB) took 34 s in a debug build on 2 busy cores
/// (docs/BENCHMARKS.md, "Overload"), so larger exports get a 413 the exporter does not retry.
pub const MAX_DECODED_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OtelRequestError {
    /// 400 `{"error":"Invalid content type"}` (Langfuse's wording).
    #[error("Invalid content type: expected application/x-protobuf or application/json, got {0:?}")]
    UnsupportedContentType(Option<String>),
    #[error("Invalid gzip body: {0}")]
    BadGzip(String),
    #[error("Unsupported Content-Encoding {0:?}: only gzip and identity are accepted")]
    UnsupportedEncoding(String),
    /// 413: the decompressed body exceeds MAX_DECODED_BYTES.
    #[error("Decompressed body exceeds {} bytes", MAX_DECODED_BYTES)]
    TooLarge,
    /// 400: the body is not a valid ExportTraceServiceRequest; the message says where.
    #[error("Invalid OTLP trace export: {0}")]
    Malformed(String),
}

/// One export, mapped: what to store, and the spans refused one by one (with their location and
/// the reason), which the response reports as OTLP partial success.
#[derive(Debug, Default, PartialEq)]
pub struct MappedExport {
    pub batch: IngestBatch,
    pub rejected_spans: Vec<String>,
}

/// Decodes one export request and maps every span. `received_at` stands in for missing times.
pub fn ingest_export(
    body: Bytes,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    received_at: DateTime<Utc>,
) -> Result<MappedExport, OtelRequestError> {
    let format = transport::format(content_type)?;
    let body = transport::decompress(body, content_encoding)?;
    let request = decode::decode(&body, format)?;
    drop(body);
    Ok(mapping::map_export(request, received_at))
}
