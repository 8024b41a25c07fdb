//! Ingestion's decoding half: the wire formats (OTLP spans in `otel`, batch events in `legacy`,
//! score posts in `scores`), made storable per event (`storable`) and mapped into the
//! `IngestBatch` that `loupe_core::ingest` stores. Data flows one way: decode → map → normalize
//! → store. The storing half is re-exported here, so `ingest::{model, writer, store, …}` read the
//! same from either side.

pub mod fields;
pub mod legacy;
pub mod otel;
pub mod scores;
pub mod storable;

pub use loupe_core::ingest::*;
