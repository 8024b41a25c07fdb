//! Ingestion: every write path (OTLP spans, batch events, score posts) is normalized into an
//! [`model::IngestBatch`] and stored by [`writer`] in one transaction per request, so a success
//! response means the data is committed. Data flows one way: decode → map → normalize → store.

pub mod environment;
pub mod model;
pub mod otel;
pub mod usage;
