//! One open document ([`Room`]) and one person's connection to it ([`Connection`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use base64::Engine;
use tokio::sync::{broadcast, oneshot};
use uuid::Uuid;
use yrs::encoding::read::Cursor;
use yrs::sync::protocol::MessageReader;
use yrs::sync::{Awareness, AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, StateVector, Transact, Update};

use super::{next_connection, DocumentNotice, Hub, OpenError};
use crate::scope::ProjectId;
use crate::store::documents::{self, AppendError, Stored};
use loupe_domain::collab::{
    color_of, DocumentKind, Notice, Presence, Refusal, CLOSE_MALFORMED, CLOSE_RESET, CLOSE_TOO_LARGE, CLOSE_UNAVAILABLE, MAX_CONNECTIONS_PER_DOCUMENT,
    MAX_CONNECTIONS_PER_PERSON, MAX_DOCUMENT_BYTES, MAX_PRESENCE_BYTES, MAX_UPDATE_BYTES, MSG_ACK, MSG_NOTICE,
};

/// Messages buffered per connection before it counts as fallen behind (it is then closed and
/// reconnects, syncing from scratch).
const EVENTS: usize = 4096;

/// Who is connected.
#[derive(Debug, Clone)]
pub struct Person {
    pub account_id: String,
    pub name: String,
    /// May change the document (the server refuses the changes of those who may not).
    pub can_write: bool,
}

/// Why a connection ends: a WebSocket close code of [`loupe_domain::collab`] and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    pub code: u16,
    pub reason: &'static str,
}

impl Closing {
    fn malformed() -> Closing {
        Closing { code: CLOSE_MALFORMED, reason: "malformed message" }
    }
}

/// What a room tells its connections.
#[derive(Debug)]
enum Event {
    /// An encoded message for everyone but connection `from` (0: for everyone).
    Message { from: u64, message: Vec<u8> },
    /// The document started a new generation: tell everyone why, then close.
    Reset(Notice),
    /// The room cannot go on (a change could not be stored): everyone reconnects.
    Broken,
}

pub struct Room {
    hub: Arc<Hub>,
    pub id: Uuid,
    pub project_id: ProjectId,
    pub kind: DocumentKind,
    pub key: String,
    state: tokio::sync::Mutex<State>,
    events: broadcast::Sender<Arc<Event>>,
}

struct State {
    awareness: Awareness,
    generation: i64,
    /// Bytes stored for the document: its snapshot and the updates since.
    size: usize,
    /// Updates appended since the room last compacted (or was loaded).
    appended: usize,
    /// Sequence numbers applied (the highest; catching up fetches after the snapshot anyway).
    last_seq: i64,
    /// Connections per account.
    people: HashMap<u64, String>,
    /// A change could not be stored or applied: the room is being dropped.
    broken: bool,
    /// Changes applied in memory and waiting for the next commit (see [`Room::flush`]).
    pending: Vec<Pending>,
    /// A task is committing `pending`; changes arriving meanwhile wait for its next round.
    flushing: bool,
}

/// A change applied in memory, not yet stored: nobody sees it and its sender has no
/// acknowledgement until it is committed.
struct Pending {
    from: u64,
    account_id: String,
    body: Vec<u8>,
    stored: oneshot::Sender<Result<Vec<u8>, Closing>>,
}

impl Room {
    pub(crate) async fn load(hub: Arc<Hub>, project_id: ProjectId, kind: DocumentKind, key: String, stored: Stored) -> Result<Arc<Room>, OpenError> {
        let doc = stored.to_doc().map_err(|e| crate::store::StoreError::BadValue(format!("document {} does not decode: {e}", stored.id)))?;
        let size = stored.snapshot.len() + stored.updates.iter().map(|(_, u)| u.len()).sum::<usize>();
        let state = State {
            awareness: awareness(doc),
            generation: stored.generation,
            size,
            appended: stored.updates.len(),
            last_seq: stored.last_seq().unwrap_or(0),
            people: HashMap::new(),
            broken: false,
            pending: Vec::new(),
            flushing: false,
        };
        let (events, _) = broadcast::channel(EVENTS);
        Ok(Arc::new(Room { hub, id: stored.id, project_id, kind, key, state: tokio::sync::Mutex::new(state), events }))
    }

    /// Whether this room is the document `kind`/`key` of the project.
    pub(crate) fn is(&self, project_id: &ProjectId, kind: DocumentKind, key: &str) -> bool {
        self.project_id == *project_id && self.kind == kind && self.key == key
    }

    pub(crate) async fn is_broken(&self) -> bool {
        self.state.lock().await.broken
    }

    /// Adds a connection: it, and what to send it first (welcome, the server's state vector,
    /// the people present).
    pub(crate) async fn join(room: Arc<Room>, person: Person) -> Result<(Connection, Vec<Vec<u8>>), OpenError> {
        let mut state = room.state.lock().await;
        if state.people.len() >= MAX_CONNECTIONS_PER_DOCUMENT || state.people.values().filter(|a| **a == person.account_id).count() >= MAX_CONNECTIONS_PER_PERSON {
            return Err(OpenError::TooMany);
        }
        let id = next_connection(&room.hub);
        state.people.insert(id, person.account_id.clone());
        let mut first = vec![notice(&Notice::Welcome { generation: state.generation, can_write: person.can_write })];
        let sv = state.awareness.doc().transact().state_vector();
        first.push(Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1());
        if let Ok(update) = state.awareness.update() {
            if !update.clients.is_empty() {
                first.push(Message::Awareness(update).encode_v1());
            }
        }
        let events = room.events.subscribe();
        drop(state);
        Ok((Connection { room, id, person, clients: HashSet::new(), events, answers: VecDeque::new(), pending_close: None }, first))
    }

    /// An update appended by another replica, or a new generation.
    pub(crate) async fn remote(&self, hub: &Hub, notice: DocumentNotice) {
        // Our own appends are applied already: skip them before queueing on the room's lock.
        if notice.n.is_none() && notice.r == Some(hub.replica) {
            return;
        }
        let mut state = self.state.lock().await;
        if let Some(reason) = notice.n {
            // A new generation (this replica's own publish included): everyone reconnects to it.
            state.broken = true;
            drop(state);
            let _ = self.events.send(Arc::new(Event::Reset(reason)));
            hub.forget(self.id);
            return;
        }
        if notice.g != state.generation {
            return;
        }
        if notice.q {
            // Another replica opened the document: who is here (their clocks make a repeat harmless).
            if let Ok(update) = state.awareness.update() {
                if !update.clients.is_empty() {
                    self.announce_presence(state.generation, &update);
                }
            }
            return;
        }
        if let Some(presence) = notice.a.as_deref() {
            let update = base64::engine::general_purpose::STANDARD.decode(presence).ok().and_then(|bytes| AwarenessUpdate::decode_v1(&bytes).ok());
            if let Some(update) = update {
                if state.awareness.apply_update(update.clone()).is_ok() {
                    let _ = self.events.send(Arc::new(Event::Message { from: 0, message: Message::Awareness(update).encode_v1() }));
                }
            }
            return;
        }
        let Some(seq) = notice.s else { return };
        let body = match notice.u.as_deref().map(|u| base64::engine::general_purpose::STANDARD.decode(u)) {
            Some(Ok(body)) => Some(body),
            _ => documents::update(&hub.pool, self.id, seq).await.ok().flatten(),
        };
        let Some(body) = body else {
            // Compacted into the snapshot before we read it: reload what we may lack.
            drop(state);
            self.catch_up(hub).await;
            return;
        };
        if let Ok(update) = Update::decode_v1(&body) {
            if state.awareness.doc().transact_mut().apply_update(update).is_ok() {
                state.size += body.len();
                state.last_seq = state.last_seq.max(seq);
                let _ = self.events.send(Arc::new(Event::Message { from: 0, message: Message::Sync(SyncMessage::Update(body)).encode_v1() }));
            }
        }
    }

    /// Applies everything stored that this room may have missed (after the listener was away).
    pub(crate) async fn catch_up(&self, hub: &Hub) {
        let Ok(mut conn) = hub.pool.acquire().await else { return };
        let Ok(Some(stored)) = documents::load(&mut conn, &self.project_id, self.kind, &self.key, false).await else { return };
        let mut state = self.state.lock().await;
        if stored.generation != state.generation {
            state.broken = true;
            drop(state);
            let _ = self.events.send(Arc::new(self.outdated().await));
            hub.forget(self.id);
            return;
        }
        let Ok(doc) = stored.to_doc() else { return };
        let before = state.awareness.doc().transact().state_vector();
        let missing = doc.transact().encode_state_as_update_v1(&before);
        if let Ok(update) = Update::decode_v1(&missing) {
            if !update.is_empty() && state.awareness.doc().transact_mut().apply_update(update).is_ok() {
                let _ = self.events.send(Arc::new(Event::Message { from: 0, message: Message::Sync(SyncMessage::Update(missing)).encode_v1() }));
            }
        }
    }

    /// What to tell the people in a room whose generation has ended without the room hearing
    /// why (its listener was away, or the new generation was read before its notification
    /// arrived): the reason the reset announced, kept with the document, so they see "published
    /// by Ada" as the others do; only that it reloads when none is kept.
    async fn outdated(&self) -> Event {
        let announced = documents::reset_notice(&self.hub.pool, self.id).await.ok().flatten();
        let notice = announced.and_then(|payload| serde_json::from_str::<DocumentNotice>(&payload).ok()).and_then(|announced| announced.n);
        notice.map_or(Event::Broken, Event::Reset)
    }

    /// The room's document as it is in memory (tests, benchmarks).
    pub async fn snapshot(&self) -> Vec<u8> {
        let state = self.state.lock().await;
        let txn = state.awareness.doc().transact();
        txn.encode_state_as_update_v1(&StateVector::default())
    }

    /// Applies a change of connection `from` and queues it to be stored. `Ok(receiver)`: what
    /// to answer once it is stored (an acknowledgement, or the refusal notice when it was not
    /// applied); `Err`: close the connection.
    ///
    /// Group commit: the change is applied in memory at once and joins the room's pending
    /// changes; one task commits everything pending in one transaction and only then forwards
    /// the changes and acknowledges them, so however busy the document, a change waits for at
    /// most the commit under way and its own (not for one commit per change ahead of it).
    async fn change(self: &Arc<Self>, from: &Connection, body: Vec<u8>) -> Result<oneshot::Receiver<Result<Vec<u8>, Closing>>, Closing> {
        let (done, answer) = oneshot::channel();
        if body.len() > MAX_UPDATE_BYTES {
            return Err(Closing { code: CLOSE_TOO_LARGE, reason: "update too large" });
        }
        let update = Update::decode_v1(&body).map_err(|_| Closing::malformed())?;
        if update.is_empty() {
            let _ = done.send(Ok(ack()));
            return Ok(answer);
        }
        if !from.person.can_write {
            let _ = done.send(Ok(notice(&Notice::Refused { reason: Refusal::ReadOnly })));
            return Ok(answer);
        }
        let mut state = self.state.lock().await;
        if state.broken {
            return Err(Closing { code: CLOSE_UNAVAILABLE, reason: "document reloading" });
        }
        if state.size + body.len() > MAX_DOCUMENT_BYTES {
            let _ = done.send(Ok(notice(&Notice::Refused { reason: Refusal::DocumentFull })));
            return Ok(answer);
        }
        let changed = {
            let doc = state.awareness.doc();
            let mut txn = doc.transact_mut();
            let pending_before = txn.store().pending_update().is_some() || txn.store().pending_ds().is_some();
            if txn.apply_update(update).is_err() {
                // What was applied before the error stays in memory: drop the room rather than
                // serve a state that was never stored.
                drop(txn);
                state.broken = true;
                drop(state);
                self.break_up();
                return Err(Closing::malformed());
            }
            let pending_after = txn.store().pending_update().is_some() || txn.store().pending_ds().is_some();
            txn.before_state() != txn.after_state() || !txn.delete_set().is_empty() || pending_after != pending_before || pending_after
        };
        if !changed {
            // Nothing new, but it may repeat a change still being committed: acknowledged after
            // whatever is pending, so an acknowledgement never runs ahead of the commit.
            if !state.flushing {
                let _ = done.send(Ok(ack()));
            } else {
                state.pending.push(Pending { from: from.id, account_id: from.person.account_id.clone(), body: Vec::new(), stored: done });
            }
            return Ok(answer);
        }
        state.size += body.len();
        state.pending.push(Pending { from: from.id, account_id: from.person.account_id.clone(), body, stored: done });
        if !state.flushing {
            state.flushing = true;
            tokio::spawn(self.clone().flush());
        }
        Ok(answer)
    }

    /// Commits the pending changes, round after round, until none are left.
    async fn flush(self: Arc<Self>) {
        loop {
            let (batch, generation) = {
                let mut state = self.state.lock().await;
                if state.pending.is_empty() || state.broken {
                    state.flushing = false;
                    return;
                }
                (std::mem::take(&mut state.pending), state.generation)
            };
            let (id, replica) = (self.id, self.hub.replica);
            let changes: Vec<documents::Append<'_>> =
                batch.iter().filter(|p| !p.body.is_empty()).map(|p| documents::Append { body: &p.body, account_id: Some(&p.account_id) }).collect();
            let appended = documents::append(&self.hub.pool, id, generation, &changes, |seq, body| DocumentNotice::update(id, generation, seq, replica, body)).await;
            drop(changes);
            let mut state = self.state.lock().await;
            match appended {
                Ok(seqs) => {
                    state.last_seq = seqs.iter().copied().fold(state.last_seq, i64::max);
                    state.appended += seqs.len();
                    for pending in batch {
                        if !pending.body.is_empty() {
                            let message = Message::Sync(SyncMessage::Update(pending.body)).encode_v1();
                            let _ = self.events.send(Arc::new(Event::Message { from: pending.from, message }));
                        }
                        let _ = pending.stored.send(Ok(ack()));
                    }
                    if state.appended >= self.hub.compact_every {
                        state.appended = 0;
                        tokio::spawn(compact(self.hub.clone(), self.id));
                    }
                }
                Err(error) => {
                    // Not stored: nobody may see it. The room is dropped and reloads from the
                    // database; the senders keep their changes and send them again on reconnect.
                    if !matches!(error, AppendError::Stale) {
                        tracing::warn!(%error, document = %self.id, "documents: could not store an update");
                    }
                    state.flushing = false;
                    state.broken = true;
                    let waiting: Vec<Pending> = batch.into_iter().chain(std::mem::take(&mut state.pending)).collect();
                    drop(state);
                    if matches!(error, AppendError::Stale) {
                        // A new generation began (a publish) and its notification has not
                        // reached this room yet: the others are told why, as they would be.
                        let _ = self.events.send(Arc::new(self.outdated().await));
                        self.hub.forget(self.id);
                    } else {
                        self.break_up();
                    }
                    for pending in waiting {
                        let _ = pending.stored.send(Err(Closing { code: CLOSE_UNAVAILABLE, reason: "could not store the change" }));
                    }
                    return;
                }
            }
        }
    }

    /// The room cannot go on: everyone reconnects and the next one to open the document loads
    /// it from the database. (The caller has marked the state broken and released it.)
    fn break_up(&self) {
        let _ = self.events.send(Arc::new(Event::Broken));
        self.hub.forget(self.id);
    }

    /// Applies a presence update of connection `from` (identity rewritten to its account) and
    /// forwards it.
    async fn presence(&self, from: &mut Connection, update: AwarenessUpdate) -> Result<(), Closing> {
        let mut clients = HashMap::new();
        for (client, mut entry) in update.clients {
            if entry.json.len() > MAX_PRESENCE_BYTES {
                return Err(Closing { code: CLOSE_TOO_LARGE, reason: "presence too large" });
            }
            if &*entry.json != "null" {
                let mut presence: Presence = serde_json::from_str(&entry.json).map_err(|_| Closing::malformed())?;
                presence.account_id = from.person.account_id.clone();
                presence.name = from.person.name.clone();
                presence.color = color_of(&from.person.account_id).to_string();
                entry.json = serde_json::to_string(&presence).map_err(|_| Closing::malformed())?.into();
                from.clients.insert(client.get());
            } else if !from.clients.contains(&client.get()) {
                // Only one's own presence can be removed.
                continue;
            }
            clients.insert(client, entry);
        }
        if clients.is_empty() {
            return Ok(());
        }
        let update = AwarenessUpdate { clients };
        let mut state = self.state.lock().await;
        state.awareness.apply_update(update.clone()).map_err(|_| Closing::malformed())?;
        self.announce_presence(state.generation, &update);
        let _ = self.events.send(Arc::new(Event::Message { from: from.id, message: Message::Awareness(update).encode_v1() }));
        Ok(())
    }

    /// Asks the other replicas who is present through them (a room just opened here).
    pub(crate) async fn ask_presence(&self) {
        let generation = self.state.lock().await.generation;
        let payload = DocumentNotice::presence_query(self.id, generation, self.hub.replica);
        let pool = self.hub.pool.clone();
        tokio::spawn(async move {
            let _ = sqlx::query("SELECT pg_notify($1, $2)").bind(documents::CHANNEL).bind(payload).execute(&pool).await;
        });
    }

    /// Passes a presence update on to the other replicas (in the background: presence is not
    /// stored and waits for nothing).
    fn announce_presence(&self, generation: i64, update: &AwarenessUpdate) {
        let Some(payload) = DocumentNotice::presence(self.id, generation, self.hub.replica, &update.encode_v1()) else { return };
        let pool = self.hub.pool.clone();
        tokio::spawn(async move {
            let _ = sqlx::query("SELECT pg_notify($1, $2)").bind(documents::CHANNEL).bind(payload).execute(&pool).await;
        });
    }

    /// A connection left: its presence goes (the others see it disappear at once).
    async fn leave(&self, connection: u64, clients: HashSet<u64>) {
        let mut state = self.state.lock().await;
        state.people.remove(&connection);
        let ids: Vec<yrs::block::ClientID> = clients.into_iter().map(yrs::block::ClientID::new).collect();
        for id in &ids {
            state.awareness.remove_state(*id);
        }
        if let Ok(update) = state.awareness.update_with_clients(ids.iter().copied()) {
            if !update.clients.is_empty() {
                self.announce_presence(state.generation, &update);
                let _ = self.events.send(Arc::new(Event::Message { from: connection, message: Message::Awareness(update).encode_v1() }));
            }
        }
        let empty = state.people.is_empty();
        drop(state);
        if empty {
            self.hub.forget(self.id);
        }
    }
}

/// Folds document `id`'s updates into its snapshot, then brings the room's size bound down to
/// what is stored now.
async fn compact(hub: Arc<Hub>, id: Uuid) {
    if let Err(error) = documents::compact(&hub.pool, id).await {
        tracing::warn!(%error, document = %id, "documents: compaction failed");
        return;
    }
    if let (Some(room), Ok(Some(size))) = (hub.room(id), documents::stored_size(&hub.pool, id).await) {
        let mut state = room.state.lock().await;
        // Changes still waiting for their commit are not in the stored size yet.
        state.size = size + state.pending.iter().map(|p| p.body.len()).sum::<usize>();
    }
}

fn awareness(doc: yrs::Doc) -> Awareness {
    Awareness::with_clock(doc, || chrono::Utc::now().timestamp_millis() as u64)
}

fn notice(notice: &Notice) -> Vec<u8> {
    Message::Custom(MSG_NOTICE, serde_json::to_vec(notice).unwrap_or_default()).encode_v1()
}

fn ack() -> Vec<u8> {
    Message::Custom(MSG_ACK, Vec::new()).encode_v1()
}

/// One person's connection to a room. Dropping it leaves the room.
pub struct Connection {
    room: Arc<Room>,
    id: u64,
    person: Person,
    /// The awareness client ids this connection spoke for.
    clients: HashSet<u64>,
    events: broadcast::Receiver<Arc<Event>>,
    /// Answers to the changes sent, in the order they were sent (an acknowledgement once
    /// stored, or a refusal): [`Connection::next`] hands them out as they come due.
    answers: VecDeque<oneshot::Receiver<Result<Vec<u8>, Closing>>>,
    /// A reset notice was sent: the next call closes.
    pending_close: Option<Closing>,
}

impl Connection {
    pub fn room(&self) -> &Arc<Room> {
        &self.room
    }

    pub fn person(&self) -> &Person {
        &self.person
    }

    /// The person's role changed while connected: what to tell them.
    pub fn set_can_write(&mut self, can_write: bool) -> Option<Vec<u8>> {
        if self.person.can_write == can_write {
            return None;
        }
        self.person.can_write = can_write;
        Some(notice(&Notice::Access { can_write }))
    }

    /// Handles one frame from the client: the messages to answer with, or why to close.
    pub async fn receive(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Closing> {
        if frame.len() > MAX_UPDATE_BYTES + 64 {
            return Err(Closing { code: CLOSE_TOO_LARGE, reason: "message too large" });
        }
        let mut decoder = DecoderV1::new(Cursor::new(frame));
        let messages: Vec<Message> = MessageReader::new(&mut decoder).collect::<Result<_, _>>().map_err(|_| Closing::malformed())?;
        if messages.is_empty() {
            return Err(Closing::malformed());
        }
        let mut replies = Vec::new();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let state = self.room.state.lock().await;
                    let diff = state.awareness.doc().transact().encode_state_as_update_v1(&sv);
                    replies.push(Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1());
                }
                Message::Sync(SyncMessage::SyncStep2(body) | SyncMessage::Update(body)) => {
                    // Answered later, by `next`: the connection keeps forwarding the others'
                    // changes while its own are being stored.
                    let room = self.room.clone();
                    let answer = room.change(self, body).await?;
                    self.answers.push_back(answer);
                }
                Message::Awareness(update) => {
                    let room = self.room.clone();
                    room.presence(self, update).await?;
                }
                Message::AwarenessQuery => {
                    let state = self.room.state.lock().await;
                    if let Ok(update) = state.awareness.update() {
                        replies.push(Message::Awareness(update).encode_v1());
                    }
                }
                Message::Auth(_) | Message::Custom(..) => {}
            }
        }
        Ok(replies)
    }

    /// The next message for this connection (an answer to one of its changes, or a message
    /// from the others), or why it closes. Waits; cancel-safe.
    pub async fn next(&mut self) -> Result<Vec<u8>, Closing> {
        if let Some(closing) = self.pending_close.take() {
            return Err(closing);
        }
        loop {
            let (answers, events) = (&mut self.answers, &mut self.events);
            let received = tokio::select! {
                biased;
                answer = async {
                    match answers.front_mut() {
                        Some(answer) => answer.await,
                        None => std::future::pending().await,
                    }
                } => {
                    answers.pop_front();
                    return match answer {
                        Ok(answer) => answer,
                        Err(_) => Err(Closing { code: CLOSE_UNAVAILABLE, reason: "document closed" }),
                    };
                }
                event = events.recv() => event,
            };
            match received {
                Ok(event) => match &*event {
                    Event::Message { from, message } => {
                        if *from != self.id {
                            return Ok(message.clone());
                        }
                    }
                    Event::Reset(reason) => {
                        self.pending_close = Some(Closing { code: CLOSE_RESET, reason: "the draft was reset" });
                        return Ok(notice(reason));
                    }
                    Event::Broken => return Err(Closing { code: CLOSE_UNAVAILABLE, reason: "document reloading" }),
                },
                Err(broadcast::error::RecvError::Lagged(_)) => return Err(Closing { code: CLOSE_UNAVAILABLE, reason: "fell behind" }),
                Err(broadcast::error::RecvError::Closed) => return Err(Closing { code: CLOSE_UNAVAILABLE, reason: "document closed" }),
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let (room, id, clients) = (self.room.clone(), self.id, std::mem::take(&mut self.clients));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { room.leave(id, clients).await });
        }
    }
}
