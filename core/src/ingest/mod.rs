//! The storing half of ingestion: every write path (OTLP spans, batch events, score posts) is
//! decoded by the server (`loupe_server::ingest`) into an [`model::IngestBatch`], which
//! [`store`] writes through [`writer`] in one transaction per request (the public API's
//! requests through [`store_combined`]: several of a project's in one when they queue, see
//! [`combine`]), so a success response means the data is committed. Data flows one way: decode → map → normalize → store.

pub mod combine;
pub mod environment;
pub mod experiments;
pub mod fold;
pub mod metering;
pub mod model;
pub mod search_text;
pub mod trace_metrics;
pub mod usage;
pub mod writer;

use crate::scope::ProjectId;
use chrono::Utc;
use crate::store::fault::{fault, Fault};
use sqlx::PgPool;

use crate::pricing::{Pricing, ProjectPrices};
use model::IngestBatch;
use writer::WriteSummary;

/// What a batch's write touches together: a trace with every observation and score that names
/// it, or a score of a session or dataset run. Units are independent, so one can be stored
/// without another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unit {
    Trace(String),
    Score(String),
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unit::Trace(id) => write!(f, "trace {id:?}"),
            Unit::Score(id) => write!(f, "score {id:?}"),
        }
    }
}

/// A unit the database refused even on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unstored {
    pub unit: Unit,
    /// 400 when the database refused a value, 500 for anything else.
    pub status: u16,
    pub message: String,
    /// How many observations and scores the unit held (the spans and scores to report refused).
    pub observations: usize,
    pub scores: usize,
}

/// The outcome of [`store`]: everything but `unstored` is committed.
#[derive(Debug, Default)]
pub struct Stored {
    pub summary: WriteSummary,
    pub unstored: Vec<Unstored>,
}

/// Stores a batch for a project and commits; returns only once the data is durable.
///
/// The whole batch is one transaction. Should the database still refuse something (the values
/// are made storable per event before this, so that is a bug or a limit nobody foresaw), the
/// batch is retried in halves by [`Unit`], down to single units, so its good units are stored
/// and the bad one is named in [`Stored::unstored`]. Only an outage is an `Err` (the caller
/// answers 503 and the client retries the whole request; every write merges idempotently), or a
/// project deleted since the caller checked it (`store::fault::Fault::Gone`: nothing is stored).
pub async fn store(pool: &PgPool, pricing: &Pricing, project_id: &ProjectId, batch: IngestBatch) -> Result<Stored, sqlx::Error> {
    // The copy the fallback splits: the first attempt consumes the batch.
    let fallback = batch.clone();
    store_or_again(pool, pricing, project_id, batch, || async move { Some(fallback) }).await
}

/// [`store`] for a caller that can make the batch again: `again` runs only when the first attempt
/// fails, instead of a copy of the batch made ahead of every write (issue #23: cloning and then
/// dropping an OTLP export's batch was a tenth of Loupe's CPU per span, for a fallback that runs
/// after a refusal nobody foresaw). `None` from `again`: the first attempt's error is returned.
pub async fn store_or_again<F, Fut>(pool: &PgPool, pricing: &Pricing, project_id: &ProjectId, batch: IngestBatch, again: F) -> Result<Stored, sqlx::Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Option<IngestBatch>>,
{
    store_combined(None, pool, pricing, project_id, None, batch, again).await
}

/// [`store_or_again`] through `combiner`, when given: written together with the project's other
/// requests waiting to be written (see `combine`), or alone when none wait; committed on return
/// either way. Should the transaction it shared fail, the batch is made again and stored alone.
///
/// `api_key`: the key the request came with, checked in the write's transaction
/// (`writer::lock_project`): gone, the write fails (`Fault::Gone`) and stores nothing. An
/// empty batch has no transaction: the caller checks the key itself.
pub async fn store_combined<F, Fut>(
    combiner: Option<&std::sync::Arc<combine::Combiner>>,
    pool: &PgPool,
    pricing: &Pricing,
    project_id: &ProjectId,
    api_key: Option<&str>,
    batch: IngestBatch,
    again: F,
) -> Result<Stored, sqlx::Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Option<IngestBatch>>,
{
    if batch.is_empty() {
        return Ok(Stored::default());
    }
    let prices = pricing.project(project_id).await?;
    let api_keys: Vec<String> = api_key.map(str::to_owned).into_iter().collect();
    let outcome = match combiner {
        Some(combiner) => combiner.write(pool, std::sync::Arc::clone(&prices), project_id, api_key, batch).await,
        None => match write_once(pool, &prices, project_id, &api_keys, batch).await {
            Ok(summary) => combine::Outcome::Written(summary),
            Err(error) => combine::Outcome::Failed(error),
        },
    };
    match outcome {
        combine::Outcome::Written(summary) => Ok(Stored { summary, unstored: Vec::new() }),
        combine::Outcome::Failed(error) => recover(pool, &prices, project_id, &api_keys, error, again).await,
        // As `store` does, on its own: the whole batch, then (on a refusal) unit by unit.
        combine::Outcome::Alone => {
            let Some(batch) = again().await else {
                return Err(sqlx::Error::Protocol("a combined write failed and this request's batch could not be made again".into()));
            };
            let fallback = batch.clone();
            match write_once(pool, &prices, project_id, &api_keys, batch).await {
                Ok(summary) => Ok(Stored { summary, unstored: Vec::new() }),
                Err(error) => recover(pool, &prices, project_id, &api_keys, error, || async move { Some(fallback) }).await,
            }
        }
    }
}

/// After a batch's first attempt failed: an outage or a deleted project is the answer; anything
/// else is retried unit by unit (see [`store`]).
async fn recover<F, Fut>(
    pool: &PgPool,
    prices: &ProjectPrices,
    project_id: &ProjectId,
    api_keys: &[String],
    error: sqlx::Error,
    again: F,
) -> Result<Stored, sqlx::Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Option<IngestBatch>>,
{
    // An outage, or the project or key gone (`writer::lock_project`): no unit would fare better alone.
    if matches!(fault(&error), Fault::Outage | Fault::Gone) {
        return Err(error);
    }
    tracing::warn!(%error, "a batch failed to store; retrying it unit by unit");
    let Some(fallback) = again().await else { return Err(error) };
    let mut stored = Stored::default();
    // A stack of groups, the first half on top, so units keep their order.
    let mut pending = vec![units(fallback)];
    while let Some(mut group) = pending.pop() {
        let mut merged = IngestBatch::default();
        for (_, batch) in &group {
            merged.extend(batch.clone());
        }
        match write_once(pool, prices, project_id, api_keys, merged).await {
            Ok(summary) => stored.summary.add(summary),
            Err(error) => match fault(&error) {
                // Deleted (or its key revoked) while the fallback ran: nothing more is stored.
                Fault::Outage | Fault::Gone => return Err(error),
                kind if group.len() == 1 => {
                    let (status, message) = match kind {
                        Fault::BadValue(message) => (400, message),
                        _ => {
                            tracing::error!(%error, unit = %group[0].0, "a unit failed to store on its own");
                            (500, "could not be stored because of a server error; the details are in the server log".to_string())
                        }
                    };
                    let (unit, batch) = group.pop().expect("one unit");
                    stored.unstored.push(Unstored {
                        message: format!("{unit}: {message}"),
                        unit,
                        status,
                        observations: batch.observations.len(),
                        scores: batch.scores.len(),
                    });
                }
                _ => {
                    let second = group.split_off(group.len() / 2);
                    pending.push(second);
                    pending.push(group);
                }
            },
        }
    }
    Ok(stored)
}

/// Stores scores the UI wrote (a person's annotations) and commits. The same writer as the
/// public API's, so live updates and the merge rules are the same; no fallback split: the
/// caller validated the one or few scores and wants the database's refusal as it is.
pub async fn store_scores(pool: &PgPool, project_id: &ProjectId, scores: Vec<model::ScoreRecord>) -> Result<WriteSummary, sqlx::Error> {
    let batch = IngestBatch { scores, ..IngestBatch::default() };
    write_once(pool, &ProjectPrices::none(), project_id, &[], batch).await
}

async fn write_once(pool: &PgPool, prices: &ProjectPrices, project_id: &ProjectId, api_keys: &[String], batch: IngestBatch) -> Result<WriteSummary, sqlx::Error> {
    write_on(&mut *pool.acquire().await?, prices, project_id, api_keys, batch).await
}

/// [`write_once`] on a connection the caller holds (`combine` keeps its writers' own). On an
/// error the connection is out of any transaction, or (an outage) unusable.
async fn write_on(connection: &mut sqlx::PgConnection, prices: &ProjectPrices, project_id: &ProjectId, api_keys: &[String], batch: IngestBatch) -> Result<WriteSummary, sqlx::Error> {
    use sqlx::{Connection, Executor};
    // The transaction begins holding the project's lock (one round trip: `writer::begin_statement`).
    let refused = match connection.begin_with(writer::begin_statement(project_id, api_keys)).await {
        Ok(mut tx) => {
            let summary = writer::write_locked(&mut tx, project_id, api_keys, batch, prices, Utc::now()).await?;
            tx.commit().await?;
            return Ok(summary);
        }
        Err(error) => error,
    };
    // sqlx counts no transaction after a failed `begin_with`, yet the server is in one, aborted:
    // end it, or the connection serves its next caller an aborted transaction. Should this fail
    // too, the connection is broken, and the pool's check on its return closes it.
    let _ = connection.execute("ROLLBACK").await;
    Err(refused)
}

/// Which unit a score belongs to.
pub fn score_unit(score: &model::ScoreRecord) -> Unit {
    match &score.trace_id {
        Some(trace_id) => Unit::Trace(trace_id.clone()),
        None => Unit::Score(score.id.clone()),
    }
}

/// The batch split into units, in first-seen order, each keeping its patches' order.
fn units(batch: IngestBatch) -> Vec<(Unit, IngestBatch)> {
    let mut index: std::collections::HashMap<Unit, usize> = std::collections::HashMap::new();
    let mut out: Vec<(Unit, IngestBatch)> = Vec::new();
    let IngestBatch { traces, observations, scores, experiments } = batch;
    for trace in traces {
        unit_of(&mut index, &mut out, Unit::Trace(trace.id.clone())).traces.push(trace);
    }
    for observation in observations {
        unit_of(&mut index, &mut out, Unit::Trace(observation.trace_id.clone())).observations.push(observation);
    }
    for score in scores {
        unit_of(&mut index, &mut out, score_unit(&score)).scores.push(score);
    }
    // An experiment span belongs with its trace: refused or stored together.
    for span in experiments {
        unit_of(&mut index, &mut out, Unit::Trace(span.trace_id.clone())).experiments.push(span);
    }
    out
}

/// The batch of `unit` in `out`, appended when new.
fn unit_of<'a>(
    index: &mut std::collections::HashMap<Unit, usize>,
    out: &'a mut Vec<(Unit, IngestBatch)>,
    unit: Unit,
) -> &'a mut IngestBatch {
    let i = *index.entry(unit.clone()).or_insert_with(|| {
        out.push((unit, IngestBatch::default()));
        out.len() - 1
    });
    &mut out[i].1
}

#[cfg(test)]
mod tests {
    use super::*;
    use loupe_domain::ObservationType;
    use model::{ObservationPatch, TracePatch};

    #[test]
    fn units_group_by_trace_and_keep_order() {
        let batch = IngestBatch {
            traces: vec![TracePatch::new("b"), TracePatch::new("a"), TracePatch { name: Some("2".into()), ..TracePatch::new("b") }],
            observations: vec![
                ObservationPatch::new("o1", "a", ObservationType::Span),
                ObservationPatch::new("o2", "c", ObservationType::Span),
            ],
            scores: vec![],
            experiments: vec![],
        };
        let units = units(batch);
        let names: Vec<String> = units.iter().map(|(u, _)| u.to_string()).collect();
        assert_eq!(names, vec!["trace \"b\"", "trace \"a\"", "trace \"c\""]);
        assert_eq!(units[0].1.traces.len(), 2);
        assert_eq!(units[0].1.traces[1].name.as_deref(), Some("2"));
        assert_eq!(units[1].1.observations[0].id, "o1");
    }
}
