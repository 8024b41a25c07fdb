//! Ingestion: every write path (OTLP spans, batch events, score posts) is normalized into an
//! [`model::IngestBatch`] and stored by [`writer`] in one transaction per request, so a success
//! response means the data is committed. Data flows one way: decode → map → normalize → store.

pub mod environment;
pub mod fields;
pub mod fold;
pub mod legacy;
pub mod model;
pub mod otel;
pub mod scores;
pub mod trace_metrics;
pub mod usage;
pub mod writer;

use chrono::Utc;
use sqlx::PgPool;

use crate::pricing::Pricing;
use model::IngestBatch;
use writer::WriteSummary;

/// Stores a batch for a project and commits. Returns only once the data is durable.
pub async fn store(pool: &PgPool, pricing: &Pricing, project_id: &str, batch: IngestBatch) -> Result<WriteSummary, sqlx::Error> {
    if batch.is_empty() {
        return Ok(WriteSummary::default());
    }
    let prices = pricing.project(project_id).await?;
    let mut tx = pool.begin().await?;
    let summary = writer::write(&mut tx, project_id, batch, &prices, Utc::now()).await?;
    tx.commit().await?;
    Ok(summary)
}
