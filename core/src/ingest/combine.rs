//! Requests of one project written together (issue #23): a request's batch joins the project's
//! queue, and at most [`Combiner::writers`] transactions write that queue at once, each taking
//! every batch waiting when it starts — one transaction, one `COPY`, one commit for all of them
//! — and answering each request only after that commit.
//!
//! Why: a transaction costs Postgres ~1.4 ms of CPU whatever its size (statements begun and
//! ended, plans, index and constraint set-up, round trips, the commit) and Loupe ~0.5 ms, a
//! quarter of the CPU of a 100-span request (docs/BENCHMARKS.md, "A transaction's fixed cost").
//! Requests never wait for company: a lone request starts its transaction at once, and batches
//! combine only while the project's writers are all busy. Fewer writers combine more but keep
//! fewer backends working: on 2 cores, 2 writers cut CPU per span 7–14 % yet lost throughput to
//! the idle time of a longer chain per transaction; 4 (the default) are neutral with 4 clients
//! and faster with 8 (CPU per span −9 %).
//!
//! What stays as it was: each request is acknowledged only after the commit that holds its data;
//! batches are merged in arrival order, and the writer folds patches of one id in that order, as
//! consecutive transactions would have merged them (`fold`); only batches of the same shape are
//! combined — OTel spans (new rows, one `COPY`) apart from everything else (merged upserts) — so
//! a batch-API request never turns a `COPY` into upserts. Should a combined transaction fail, each
//! of its requests is written again on its own, by the caller's usual path, so a bad request
//! costs only itself. A writer is a task of its own: a request whose client goes away cannot
//! leave the others waiting.
//!
//! The writers keep their connections (at most `max_kept` idle, [`Combiner::new`]) instead of
//! giving them back to sqlx's pool, which pings every connection given back — a round trip and a
//! task per request that a connection whose transaction just committed does not need (#23). A connection
//! is kept only after a commit; after any error it is closed. One idle for a while is pinged
//! before use, as the pool does with its own (`store::check_if_idle`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::{PgConnection, PgPool};
use tokio::sync::oneshot;

use super::model::IngestBatch;
use super::writer::WriteSummary;
use crate::pricing::ProjectPrices;
use crate::scope::ProjectId;

/// Rows (traces, observations, scores) a combined transaction takes at most, unless a single
/// batch is larger: it bounds how long the requests of one transaction wait for its commit.
const MAX_ROWS: usize = 2_000;

/// A kept connection idle this long is closed (sqlx's pool closes its own after 10 minutes).
const KEPT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// How a request's batch fared.
#[derive(Debug)]
pub enum Outcome {
    /// Committed. A combined transaction's summary is the first request's, the others get an
    /// empty one: the counts serve logs and metering, whose sums stay right.
    Written(WriteSummary),
    /// This batch alone failed, with the database's error.
    Failed(sqlx::Error),
    /// The transaction this batch shared failed: write it again on its own.
    Alone,
}

/// The write queues of every project (one per server, shared by its ingestion routes).
pub struct Combiner {
    writers: usize,
    queues: Mutex<HashMap<Key, Queue>>,
    /// Transactions written and the batches they held, since the start (logs, tests).
    transactions: AtomicU64,
    batches: AtomicU64,
    /// The writers' idle connections, each with the moment it was kept; the last kept on top.
    kept: Mutex<Vec<(PgConnection, Instant)>>,
    max_kept: usize,
}

/// A project's queue for one shape of batch: OTel spans to `COPY` (`true`) or anything else.
type Key = (ProjectId, bool);

#[derive(Default)]
struct Queue {
    /// Writer tasks working on this queue.
    writing: usize,
    waiting: VecDeque<Member>,
}

struct Member {
    batch: IngestBatch,
    /// The key the request came with, checked by the write (`writer::lock_project`).
    api_key: Option<String>,
    prices: Arc<ProjectPrices>,
    reply: oneshot::Sender<Outcome>,
}

impl Combiner {
    /// `writers`: transactions one project's queue may have going at once (at least one).
    /// `max_kept`: idle connections the writers keep at most — as many as the caller lets write
    /// at once (`max_writers` of the server's admission policy), so no writer has to open one in
    /// steady use and no more are open than the server's connection budget gave them.
    pub fn new(writers: usize, max_kept: usize) -> Arc<Combiner> {
        Arc::new(Combiner {
            writers: writers.max(1),
            max_kept,
            queues: Mutex::new(HashMap::new()),
            transactions: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            kept: Mutex::new(Vec::new()),
        })
    }

    pub fn writers(&self) -> usize {
        self.writers
    }

    /// Transactions written so far and the batches they held (more batches than transactions:
    /// some were combined).
    pub fn written(&self) -> (u64, u64) {
        (self.transactions.load(Ordering::Relaxed), self.batches.load(Ordering::Relaxed))
    }

    /// Connections the writers keep idle now.
    pub fn kept_connections(&self) -> usize {
        self.kept().len()
    }

    /// Batches waiting for a writer now, all projects together.
    pub fn waiting(&self) -> usize {
        self.queues().values().map(|queue| queue.waiting.len()).sum()
    }

    fn queues(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Queue>> {
        self.queues.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Vec<(PgConnection, Instant)>> {
        self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A connection for a writer: the one kept last, or one taken out of the pool for good
    /// (`detach`: the pool may open another in its place). One kept idle for a while is pinged
    /// first, and closed should the ping fail.
    async fn connection(&self, pool: &PgPool) -> Result<PgConnection, sqlx::Error> {
        loop {
            let kept = self.kept().pop();
            let Some((mut connection, since)) = kept else {
                return Ok(pool.acquire().await?.detach());
            };
            if crate::store::check_if_idle(&mut connection, since.elapsed()).await.is_ok() {
                return Ok(connection);
            }
        }
    }

    /// Keeps a connection whose transaction committed, unless enough are idle; closes those idle
    /// too long.
    fn keep(&self, connection: PgConnection) {
        let mut kept = self.kept();
        kept.retain(|(_, since)| since.elapsed() < KEPT_IDLE_TIMEOUT);
        if kept.len() < self.max_kept {
            kept.push((connection, Instant::now()));
        }
    }

    /// Writes `batch` for `project_id`, alone or with others waiting, and returns once it is
    /// committed or has failed.
    pub async fn write(
        self: &Arc<Self>,
        pool: &PgPool,
        prices: Arc<ProjectPrices>,
        project_id: &ProjectId,
        api_key: Option<&str>,
        batch: IngestBatch,
    ) -> Outcome {
        let key = (project_id.clone(), super::model::all_otel_spans(&batch.observations));
        let (reply, answer) = oneshot::channel();
        let start_writer = {
            let mut queues = self.queues();
            let queue = queues.entry(key.clone()).or_default();
            queue.waiting.push_back(Member { batch, api_key: api_key.map(str::to_owned), prices, reply });
            let start = queue.writing < self.writers;
            if start {
                queue.writing += 1;
            }
            start
        };
        if start_writer {
            tokio::spawn(Arc::clone(self).drain(key, pool.clone()));
        }
        // A writer that ended without answering (it panicked): the batch is written alone.
        answer.await.unwrap_or(Outcome::Alone)
    }

    /// A writer: takes what waits, writes it in one transaction, answers, until nothing waits.
    async fn drain(self: Arc<Self>, key: Key, pool: PgPool) {
        let mut slot = Slot { combiner: &self, key: &key, held: true };
        while let Some(members) = slot.take() {
            let prices = Arc::clone(&members[0].prices);
            let mut batch = IngestBatch::default();
            let mut replies = Vec::with_capacity(members.len());
            // Every member's key must be live for the transaction to write; one revoked fails it,
            // and each member is then written alone (below), so only its own request is refused.
            let mut api_keys = Vec::new();
            for member in members {
                batch.extend(member.batch);
                api_keys.extend(member.api_key);
                replies.push(member.reply);
            }
            let result = match self.connection(&pool).await {
                Ok(mut connection) => {
                    let result = super::write_on(&mut connection, &prices, &key.0, &api_keys, batch).await;
                    if result.is_ok() {
                        self.keep(connection);
                    }
                    result
                }
                Err(error) => Err(error),
            };
            self.transactions.fetch_add(1, Ordering::Relaxed);
            self.batches.fetch_add(replies.len() as u64, Ordering::Relaxed);
            // A reply nobody receives (the request is gone) is dropped: its data is committed or
            // not, as for any request whose client left.
            match result {
                Ok(summary) => {
                    let mut first = Some(summary);
                    for reply in replies {
                        let _ = reply.send(Outcome::Written(first.take().unwrap_or_default()));
                    }
                }
                Err(error) if replies.len() == 1 => {
                    let _ = replies.pop().expect("one reply").send(Outcome::Failed(error));
                }
                Err(error) => {
                    tracing::warn!(%error, requests = replies.len(), "a combined write failed; writing each request on its own");
                    for reply in replies {
                        let _ = reply.send(Outcome::Alone);
                    }
                }
            }
        }
    }
}

/// A writer's place in its queue; given back when nothing waits, or — should the writer
/// panic — on drop, which also drops what waits (those requests then write alone).
struct Slot<'a> {
    combiner: &'a Combiner,
    key: &'a Key,
    held: bool,
}

impl Slot<'_> {
    /// The batches to write next, in arrival order: every waiting one up to [`MAX_ROWS`] (at
    /// least one); `None`, and the slot given back, when nothing waits.
    fn take(&mut self) -> Option<Vec<Member>> {
        let mut queues = self.combiner.queues();
        let queue = queues.get_mut(self.key).expect("a writer's queue exists while it writes");
        if queue.waiting.is_empty() {
            queue.writing -= 1;
            if queue.writing == 0 {
                queues.remove(self.key);
            }
            self.held = false;
            return None;
        }
        let mut taken = Vec::new();
        let mut rows = 0;
        while let Some(next) = queue.waiting.front() {
            let size = next.batch.traces.len() + next.batch.observations.len() + next.batch.scores.len();
            if !taken.is_empty() && rows + size > MAX_ROWS {
                break;
            }
            rows += size;
            taken.push(queue.waiting.pop_front().expect("a front"));
        }
        Some(taken)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        let mut queues = self.combiner.queues();
        if let Some(queue) = queues.get_mut(self.key) {
            queue.writing -= 1;
            if queue.writing == 0 {
                // No writer left to take them: their senders drop, and each writes alone.
                queues.remove(self.key);
            }
        }
    }
}
