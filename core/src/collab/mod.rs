//! Collaborative documents (#19): the process's rooms, one per open document, and the people
//! connected to them.
//!
//! A [`Room`] holds the document in memory (a `yrs` doc with its awareness) for as long as
//! somebody is connected. Every change a connection sends is decoded and applied, joins the
//! room's pending changes, and is appended to Postgres with them (`store::documents::append`:
//! one transaction, with a `NOTIFY` per change, for everything gathered while the previous
//! commit ran: group commit); only then is it acknowledged to the sender and forwarded to the
//! others, so nothing anybody saw acknowledged is lost to a crash, and a change that could not be
//! stored is forwarded to nobody (the room is dropped and reloaded from the database instead).
//! One exception, harmless: somebody joining while a commit is under way syncs the state in
//! memory; if that commit fails, everyone reconnects and the joiner sends back what it got,
//! which is then stored like any change.
//!
//! Replicas share documents through the database: each listens on the documents channel
//! ([`crate::live::Live::documents`]) and applies the updates other replicas appended (carried
//! in the notification, or fetched by sequence number when too large for one). Applying a Yjs
//! update twice changes nothing, so duplicates and reordering are harmless; after the listener
//! reconnects, each room reloads what it may have missed.
//!
//! The transport (a WebSocket) is the server's; this module speaks the y-sync messages as bytes
//! ([`Connection::receive`], [`Connection::next`]).

pub mod playground;
pub mod prompt_draft;
mod room;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::live::{DocumentSignal, Live};
use crate::scope::ProjectId;
use loupe_domain::collab::{DocumentKind, Notice};

pub use room::{Closing, Connection, Person, Room};

/// Updates folded into the snapshot once this many have been appended since the last one.
pub const COMPACT_EVERY: usize = 500;
/// An update larger than this is not carried in its notification; listeners fetch it.
const INLINE_UPDATE_BYTES: usize = 5_000;

/// The NOTIFY payload on [`crate::store::documents::CHANNEL`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DocumentNotice {
    /// The document.
    pub d: Uuid,
    /// Its generation.
    pub g: i64,
    /// An appended update's sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<i64>,
    /// The replica that appended it (which applied it already).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<Uuid>,
    /// The update, base64, when small enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u: Option<String>,
    /// A new generation started: why, for the people in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<Notice>,
    /// A presence (awareness) update, base64: never stored, only passed on, so the people
    /// connected through different replicas see each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<String>,
    /// A replica opened the document: the others tell it who is present through them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub q: bool,
}

impl DocumentNotice {
    pub(crate) fn update(document: Uuid, generation: i64, seq: i64, replica: Uuid, body: &[u8]) -> String {
        let inline = (body.len() <= INLINE_UPDATE_BYTES).then(|| base64::engine::general_purpose::STANDARD.encode(body));
        serde_json::to_string(&DocumentNotice { d: document, g: generation, s: Some(seq), r: Some(replica), u: inline, n: None, a: None, q: false }).unwrap_or_default()
    }

    pub(crate) fn reset(document: Uuid, generation: i64, notice: Notice) -> String {
        serde_json::to_string(&DocumentNotice { d: document, g: generation, s: None, r: None, u: None, n: Some(notice), a: None, q: false }).unwrap_or_default()
    }

    /// Asks the other replicas who is present in the document through them.
    pub(crate) fn presence_query(document: Uuid, generation: i64, replica: Uuid) -> String {
        serde_json::to_string(&DocumentNotice { d: document, g: generation, s: None, r: Some(replica), u: None, n: None, a: None, q: true }).unwrap_or_default()
    }

    /// A presence update; `None` when it would not fit in a notification (presence is
    /// best-effort across replicas: the next one carries the newest state again).
    pub(crate) fn presence(document: Uuid, generation: i64, replica: Uuid, update: &[u8]) -> Option<String> {
        (update.len() <= INLINE_UPDATE_BYTES).then(|| {
            let a = Some(base64::engine::general_purpose::STANDARD.encode(update));
            serde_json::to_string(&DocumentNotice { d: document, g: generation, s: None, r: Some(replica), u: None, n: None, a, q: false }).unwrap_or_default()
        })
    }
}

/// Why a connection to a document was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The thing the document is about (a prompt) does not exist.
    #[error("not found")]
    NotFound,
    /// [`loupe_domain::collab::MAX_CONNECTIONS_PER_DOCUMENT`] or
    /// [`loupe_domain::collab::MAX_CONNECTIONS_PER_PERSON`].
    #[error("too many connections to this document")]
    TooMany,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The process's collaborative documents. Cheap to clone.
#[derive(Clone)]
pub struct Collab {
    inner: Arc<Hub>,
}

pub(crate) struct Hub {
    pub(crate) pool: PgPool,
    /// This process, in notifications (so it skips its own).
    pub(crate) replica: Uuid,
    rooms: Mutex<HashMap<Uuid, Weak<Room>>>,
    /// Opening a room loads it from the database; one at a time, so a document never has two
    /// rooms in one process.
    opening: tokio::sync::Mutex<()>,
    pub(crate) next_connection: AtomicU64,
    pub(crate) compact_every: usize,
    /// The process's listener; subscribed to when the first room opens (a replica nobody edits
    /// documents on keeps no listener for them).
    live: Live,
    hearing: std::sync::atomic::AtomicBool,
}

impl Collab {
    /// The hub over `pool`, hearing other replicas through `live`.
    pub fn new(pool: PgPool, live: &Live) -> Collab {
        Collab::with_compaction(pool, live, COMPACT_EVERY)
    }

    /// [`Collab::new`] compacting every `compact_every` updates (tests and benchmarks).
    pub fn with_compaction(pool: PgPool, live: &Live, compact_every: usize) -> Collab {
        let hub = Arc::new(Hub {
            pool,
            replica: Uuid::new_v4(),
            rooms: Mutex::new(HashMap::new()),
            opening: tokio::sync::Mutex::new(()),
            next_connection: AtomicU64::new(1),
            compact_every: compact_every.max(1),
            live: live.clone(),
            hearing: std::sync::atomic::AtomicBool::new(false),
        });
        Collab { inner: hub }
    }

    /// Starts hearing the other replicas (once; opening a room does it too). Rooms opened
    /// before the listener's `LISTEN` took effect catch up once it has.
    pub fn listen(&self) {
        if self.inner.hearing.swap(true, Ordering::SeqCst) {
            return;
        }
        let live = &self.inner.live;
        tokio::spawn(hear(Arc::downgrade(&self.inner), live.documents(), live.stopped()));
        let (hub, live) = (Arc::downgrade(&self.inner), live.clone());
        tokio::spawn(async move {
            while !live.is_listening() {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                if hub.strong_count() == 0 {
                    return;
                }
            }
            let Some(hub) = hub.upgrade() else { return };
            for room in hub.open() {
                room.catch_up(&hub).await;
            }
        });
    }

    /// Connects `person` to the document `kind`/`key` of the project (made and seeded if it
    /// does not exist yet). The connection and the messages to send it first.
    pub async fn connect(&self, project_id: &ProjectId, kind: DocumentKind, key: &str, person: Person) -> Result<(Connection, Vec<Vec<u8>>), OpenError> {
        let room = self.room(project_id, kind, key).await?;
        Room::join(room, person).await
    }

    /// The open room of the document, or a new one loaded from the database.
    async fn room(&self, project_id: &ProjectId, kind: DocumentKind, key: &str) -> Result<Arc<Room>, OpenError> {
        self.listen();
        let _one_at_a_time = self.inner.opening.lock().await;
        // An open room is joined as it is: no database read.
        for room in self.inner.open() {
            if room.is(project_id, kind, key) && !room.is_broken().await {
                return Ok(room);
            }
        }
        let stored = match crate::store::documents::open(&self.inner.pool, project_id, kind, key, None).await? {
            Some(stored) => stored,
            None => {
                let seed = seed(&self.inner.pool, project_id, kind, key).await?.ok_or(OpenError::NotFound)?;
                crate::store::documents::open(&self.inner.pool, project_id, kind, key, Some(seed)).await?.ok_or(OpenError::NotFound)?
            }
        };
        if let Some(room) = self.inner.room(stored.id) {
            if !room.is_broken().await {
                return Ok(room);
            }
        }
        let room = Room::load(self.inner.clone(), project_id.clone(), kind, key.to_string(), stored).await?;
        self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner()).insert(room.id, Arc::downgrade(&room));
        room.ask_presence().await;
        Ok(room)
    }

    /// How many rooms are open (tests, metrics).
    pub fn open_rooms(&self) -> usize {
        let mut rooms = self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms.retain(|_, room| room.strong_count() > 0);
        rooms.len()
    }
}

impl Hub {
    pub(crate) fn room(&self, id: Uuid) -> Option<Arc<Room>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner()).get(&id).and_then(Weak::upgrade)
    }

    pub(crate) fn forget(&self, id: Uuid) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if rooms.get(&id).is_some_and(|room| room.strong_count() == 0) {
            rooms.remove(&id);
        }
    }

    fn open(&self) -> Vec<Arc<Room>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner()).values().filter_map(Weak::upgrade).collect()
    }
}

/// The first state of a new document.
async fn seed(pool: &PgPool, project_id: &ProjectId, kind: DocumentKind, key: &str) -> Result<Option<Vec<u8>>, crate::store::StoreError> {
    match kind {
        DocumentKind::PromptDraft => {
            let mut conn = pool.acquire().await?;
            prompt_draft::seed(&mut conn, project_id, key).await
        }
        DocumentKind::Playground => playground::seed(pool, project_id, key).await,
    }
}

/// Hears the other replicas: applies their updates to the rooms open here, and resets rooms
/// whose document started a new generation.
async fn hear(hub: Weak<Hub>, mut signals: tokio::sync::broadcast::Receiver<Arc<DocumentSignal>>, mut stopped: tokio::sync::watch::Receiver<bool>) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let signal = tokio::select! {
            signal = signals.recv() => signal,
            _ = stopped.changed() => return,
        };
        let Some(hub) = hub.upgrade() else { return };
        match signal {
            Ok(signal) => match &*signal {
                DocumentSignal::Notice(payload) => {
                    let Ok(notice) = serde_json::from_str::<DocumentNotice>(payload) else {
                        tracing::warn!(payload, "documents: ignoring a malformed notification");
                        continue;
                    };
                    if let Some(room) = hub.room(notice.d) {
                        room.remote(&hub, notice).await;
                    }
                }
                DocumentSignal::Resync => {
                    for room in hub.open() {
                        room.catch_up(&hub).await;
                    }
                }
            },
            Err(RecvError::Lagged(_)) => {
                for room in hub.open() {
                    room.catch_up(&hub).await;
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// The id of the next connection in this process.
pub(crate) fn next_connection(hub: &Hub) -> u64 {
    hub.next_connection.fetch_add(1, Ordering::Relaxed)
}
