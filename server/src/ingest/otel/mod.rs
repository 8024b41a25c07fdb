//! `POST /api/public/otel/v1/traces`: OTLP/protobuf and OTLP/JSON (optionally gzip) decoded and
//! mapped to traces and observations following LANGFUSE_COMPAT.md §4.
//! TODO(otel helper): decode + mapping.

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::model::IngestBatch;

/// Upper bound on a decompressed export (the Python SDK caps its batches at 64 MiB).
pub const MAX_DECODED_BYTES: usize = 64 * 1024 * 1024;

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

/// Decodes one export request and maps every span. `received_at` stands in for missing times.
pub fn ingest_export(
    _body: Bytes,
    _content_type: Option<&str>,
    _content_encoding: Option<&str>,
    _received_at: DateTime<Utc>,
) -> Result<IngestBatch, OtelRequestError> {
    Err(OtelRequestError::Malformed("OTLP ingestion is not built yet".into()))
}
