//! Live updates: the ingestion transaction announces the traces it changed with Postgres
//! `NOTIFY` ([`notice`]); every Loupe process holds one `LISTEN` connection ([`Live`]) and fans
//! the changes out to its open event streams ([`stream`]). Going through the database means a
//! change written by one replica reaches the browsers connected to any other, with no broker.
//!
//! The listener runs on its own small pool (not the request pool, which it would hold a
//! connection of forever). `sqlx`'s `PgListener` reconnects by itself only after some I/O
//! errors (EOF, broken pipe, abort, timeout) and keeps returning the error otherwise (a reset
//! connection, a backend terminated by an administrator), so this module does not rely on it:
//! on any error the listener is dropped and a new one is made, with backoff (0.5 s doubling to
//! 30 s). Notifications sent while no connection listens are lost, so after every reconnect
//! the streams are told "many changed" ([`Change::Resync`]) and their views reload. A listener
//! that has heard nothing for a minute runs `SELECT 1`, so a silently dead (half-open) TCP
//! connection is noticed too.

pub mod notice;
pub mod stream;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::{broadcast, watch};

pub use stream::{Filter, Output, Subscription};

/// Changes buffered per stream before it counts as lagging (it then reloads everything).
const CHANNEL_CAPACITY: usize = 1024;
const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// After this long without a notification the connection is checked with a query.
const PING_AFTER_IDLE: Duration = Duration::from_secs(60);
const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections the listener opens at most, outside the server's pool (and counted in its
/// budget, the server's `Limits::database`): two, as a dropped listener's connection may still
/// be closing when the next one is made.
pub const LISTENER_CONNECTIONS: u32 = 2;

/// What the listener hands to the streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Traces of a project changed; `None`: too many to name.
    Traces { project_id: String, trace_ids: Option<Vec<String>> },
    /// The listener (re)connected after a gap: changes of any project may have been missed.
    Resync,
}

/// The process's live-update hub: one `LISTEN` connection and a broadcast channel. Cheap to
/// clone; the listener starts with [`Live::start`] or the first [`Live::subscribe`], and stops
/// with [`Live::shutdown`] or when the last clone is dropped.
#[derive(Clone)]
pub struct Live {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    changes: broadcast::Sender<Arc<Change>>,
    /// Notifications on the documents channel ([`crate::store::documents::CHANNEL`]), for the
    /// collaborative documents' hub ([`crate::collab`]).
    documents: broadcast::Sender<Arc<DocumentSignal>>,
    /// `true` while the listener's `LISTEN` is in effect.
    listening: watch::Receiver<bool>,
    /// Taken by the listener task when it starts (so it starts once).
    listening_tx: Mutex<Option<watch::Sender<bool>>>,
    /// Set to `true` at shutdown; dropped with the hub. Streams and the listener end on either.
    stop: watch::Sender<bool>,
}

impl Live {
    /// A hub for the database of `pool` (connection settings are taken from it). Does not
    /// connect yet.
    pub fn new(pool: PgPool) -> Live {
        let (changes, _) = broadcast::channel(CHANNEL_CAPACITY);
        let (documents, _) = broadcast::channel(CHANNEL_CAPACITY);
        let (listening_tx, listening) = watch::channel(false);
        let (stop, _) = watch::channel(false);
        Live { inner: Arc::new(Inner { pool, changes, documents, listening, listening_tx: Mutex::new(Some(listening_tx)), stop }) }
    }

    /// Starts the listener task (once; later calls do nothing). Needs a Tokio runtime.
    pub fn start(&self) {
        let Some(listening) = self.inner.listening_tx.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let options = self.inner.pool.connect_options().as_ref().clone();
        let pool = PgPoolOptions::new()
            .max_connections(LISTENER_CONNECTIONS)
            .min_connections(0)
            .max_lifetime(None)
            .idle_timeout(Some(Duration::from_secs(60)))
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options);
        let senders = Senders { changes: self.inner.changes.clone(), documents: self.inner.documents.clone() };
        tokio::spawn(listen(pool, senders, listening, self.inner.stop.subscribe()));
    }

    /// A new subscription to every change from now on (starting the listener if needed), and
    /// to the hub's state: whether it listens, and shutdown.
    pub fn subscribe(&self, filter: Filter) -> Subscription {
        self.start();
        Subscription::new(filter, self.inner.changes.subscribe(), self.inner.listening.clone(), self.inner.stop.subscribe())
    }

    /// Every notification on the documents channel from now on (starting the listener if
    /// needed), and [`DocumentSignal::Resync`] after the listener reconnected.
    pub fn documents(&self) -> broadcast::Receiver<Arc<DocumentSignal>> {
        self.start();
        self.inner.documents.subscribe()
    }

    /// A receiver of shutdown (`true` once the hub stops).
    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.inner.stop.subscribe()
    }

    /// Whether the listener's `LISTEN` is in effect (changes committed from now on arrive).
    pub fn is_listening(&self) -> bool {
        *self.inner.listening.borrow()
    }

    /// Ends every stream and the listener: open event streams must not hold up the server's
    /// graceful shutdown (a browser keeps them open indefinitely).
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
    }
}

/// What the documents' hub hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentSignal {
    /// A notification's payload.
    Notice(String),
    /// The listener (re)connected after a gap: notifications may have been missed.
    Resync,
}

struct Senders {
    changes: broadcast::Sender<Arc<Change>>,
    documents: broadcast::Sender<Arc<DocumentSignal>>,
}

impl Senders {
    fn resync(&self) {
        let _ = self.changes.send(Arc::new(Change::Resync));
        let _ = self.documents.send(Arc::new(DocumentSignal::Resync));
    }
}

/// The listener task: connect, `LISTEN`, forward notifications; on any failure reconnect with
/// backoff. Ends at shutdown or when the hub is dropped.
async fn listen(pool: PgPool, senders: Senders, listening: watch::Sender<bool>, mut stop: watch::Receiver<bool>) {
    let mut backoff = BACKOFF_START;
    let mut connected_before = false;
    let stopped = |stop: &watch::Receiver<bool>| *stop.borrow();
    while !stopped(&stop) {
        let connected = tokio::select! {
            result = connect(&pool) => result,
            _ = stop.changed() => break,
        };
        match connected {
            Ok(mut listener) => {
                backoff = BACKOFF_START;
                listening.send_replace(true);
                if connected_before {
                    tracing::info!("live updates: listening again");
                    senders.resync();
                }
                connected_before = true;
                loop {
                    let received = tokio::select! {
                        received = tokio::time::timeout(PING_AFTER_IDLE, listener.try_recv()) => received,
                        _ = stop.changed() => break,
                    };
                    let Ok(received) = received else {
                        // Quiet for a while: make sure the connection is alive, or a
                        // half-open TCP connection would keep us listening to nothing.
                        let ping = tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(&mut listener)).await;
                        if !matches!(ping, Ok(Ok(_))) {
                            tracing::warn!("live updates: listener connection does not answer; reconnecting");
                            break;
                        }
                        continue;
                    };
                    match received {
                        Ok(Some(notification)) if notification.channel() == crate::store::documents::CHANNEL => {
                            let _ = senders.documents.send(Arc::new(DocumentSignal::Notice(notification.payload().to_string())));
                        }
                        Ok(Some(notification)) => match notice::parse(notification.payload()) {
                            Some(notice) => {
                                // No subscribers is not an error: nobody is watching right now.
                                let _ = senders.changes.send(Arc::new(Change::Traces { project_id: notice.p, trace_ids: notice.t }));
                            }
                            None => tracing::warn!(payload = notification.payload(), "live updates: ignoring a malformed notification"),
                        },
                        // The connection was lost and sqlx made a new one: changes in between
                        // were missed.
                        Ok(None) => {
                            tracing::info!("live updates: listener reconnected");
                            senders.resync();
                        }
                        Err(error) => {
                            tracing::warn!(%error, "live updates: listener connection failed; reconnecting");
                            break;
                        }
                    }
                }
                listening.send_replace(false);
            }
            Err(error) => tracing::warn!(%error, retry_in = ?backoff, "live updates: cannot listen for changes"),
        }
        if stopped(&stop) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => break,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
    listening.send_replace(false);
    pool.close().await;
}

async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // This pool is ours alone: its closing is handled here, not by the listener.
    listener.ignore_pool_close_event(true);
    listener.listen_all([notice::CHANNEL, crate::store::documents::CHANNEL]).await?;
    Ok(listener)
}
