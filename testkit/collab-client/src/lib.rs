//! A client of Loupe's collaborative documents for tests and benchmarks: a `yrs` document kept
//! in sync with the server over the document's WebSocket, speaking what the browser speaks
//! (y-sync, awareness, and Loupe's acknowledgements and notices of `loupe_domain::collab`).
//!
//! Nothing here is clever on purpose: it sends what it is told and records what it gets, so
//! tests can also send what a well-behaved client never would.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use loupe_domain::collab::prompt_draft::{DraftDoc, SharedDraft};
use loupe_domain::collab::{new_doc, DocumentKind, Notice, Presence, MSG_ACK, MSG_NOTICE};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::encoding::read::Cursor;
use yrs::sync::protocol::MessageReader;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, Transact, TransactionMut, Update};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One connected client.
pub struct Client {
    pub doc: yrs::Doc,
    socket: Option<Socket>,
    /// `Sync` messages with an update sent, acknowledged (stored, or nothing new) and refused
    /// by the server: it answers each with one of the two.
    pub sent: usize,
    pub acked: usize,
    pub refused: usize,
    /// Every notice received, in order.
    pub notices: Vec<Notice>,
    /// The close frame, once the server closed.
    pub closed: Option<(u16, String)>,
    /// Whether the server's first sync step was answered (the client has the server's state).
    pub synced: bool,
    /// Presence of the others, by awareness client id (the JSON as received).
    pub others: std::collections::HashMap<u64, String>,
    presence_clock: u32,
}

/// How a connection attempt failed before the upgrade.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: String,
}

impl Client {
    /// A client with an empty document, not connected.
    pub fn new() -> Client {
        Client { doc: new_doc(), socket: None, sent: 0, acked: 0, refused: 0, notices: Vec::new(), closed: None, synced: false, others: Default::default(), presence_clock: 0 }
    }

    /// Connects to document `kind`/`key` of `project_id` on `addr` with the session `cookie`
    /// and exchanges the first sync steps (sends its state vector; the server's first messages
    /// are handled by [`Client::pump`]).
    pub async fn connect(addr: SocketAddr, project_id: &str, kind: DocumentKind, key: &str, cookie: &str) -> Result<Client, Refused> {
        let mut client = Client::new();
        client.reconnect(addr, project_id, kind, key, cookie).await?;
        Ok(client)
    }

    /// Connects (again) with this client's document: what it has that the server lacks is sent
    /// in answer to the server's sync step.
    pub async fn reconnect(&mut self, addr: SocketAddr, project_id: &str, kind: DocumentKind, key: &str, cookie: &str) -> Result<(), Refused> {
        let url = format!("ws://{addr}{}", loupe_domain::collab::socket_path(project_id, kind, key));
        let mut request = url.into_client_request().expect("a valid URL");
        request.headers_mut().insert("cookie", cookie.parse().expect("a valid cookie"));
        let (mut socket, _) = match tokio_tungstenite::connect_async(request).await {
            Ok(connected) => connected,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let status = response.status().as_u16();
                let body = response.body().as_ref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
                return Err(Refused { status, body });
            }
            Err(other) => return Err(Refused { status: 0, body: other.to_string() }),
        };
        let sv = self.doc.transact().state_vector();
        let _ = socket.send(WsMessage::Binary(Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1().into())).await;
        self.socket = Some(socket);
        self.closed = None;
        self.synced = false;
        Ok(())
    }

    /// Drops the connection without a word (a lost network). Unanswered changes stay in the
    /// document and go with the next sync.
    pub fn disconnect(&mut self) {
        self.socket = None;
        self.sent = 0;
        self.acked = 0;
        self.refused = 0;
    }

    pub fn is_connected(&self) -> bool {
        self.socket.is_some()
    }

    /// Edits the document as a person would and sends the change (when connected; otherwise it
    /// is kept and goes with the next sync).
    pub async fn edit(&mut self, change: impl FnOnce(&mut TransactionMut, &DraftDoc)) {
        self.edit_as::<DraftDoc>(change).await
    }

    /// [`Client::edit`] for a document of any layout (a playground: `PlaygroundDoc`).
    pub async fn edit_as<L: loupe_domain::collab::Layout>(&mut self, change: impl FnOnce(&mut TransactionMut, &L)) {
        let roots = L::of(&self.doc);
        let update = {
            let mut txn = self.doc.transact_mut();
            change(&mut txn, &roots);
            txn.encode_update_v1()
        };
        if self.socket.is_some() {
            self.sent += 1;
            self.send_raw(Message::Sync(SyncMessage::Update(update)).encode_v1()).await;
        }
    }

    /// Sets this client's presence.
    pub async fn set_presence(&mut self, presence: &Presence) {
        self.presence_clock += 1;
        let entry = AwarenessUpdateEntry { clock: self.presence_clock, json: serde_json::to_string(presence).unwrap().into() };
        let update = AwarenessUpdate { clients: [(self.doc.client_id(), entry)].into_iter().collect() };
        self.send_raw(Message::Awareness(update).encode_v1()).await;
    }

    /// Sends bytes as one binary frame.
    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        if let Some(socket) = &mut self.socket {
            if socket.send(WsMessage::Binary(bytes.into())).await.is_err() {
                self.socket = None;
            }
        }
    }

    /// Handles what arrives until nothing has for `quiet`.
    pub async fn pump(&mut self, quiet: Duration) {
        while self.receive_one(quiet).await {}
    }

    /// Handles what arrives until `done` holds (true) or `limit` passes (false).
    pub async fn wait_until(&mut self, limit: Duration, done: impl Fn(&Client) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() || self.socket.is_none() {
                return done(self);
            }
            self.receive_one(left).await;
        }
        true
    }

    /// Handles one frame; false when none came within `limit` or the socket ended.
    async fn receive_one(&mut self, limit: Duration) -> bool {
        let Some(socket) = &mut self.socket else { return false };
        let frame = match tokio::time::timeout(limit, socket.next()).await {
            Err(_) => return false,
            Ok(None) | Ok(Some(Err(_))) => {
                self.socket = None;
                return false;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        match frame {
            WsMessage::Binary(bytes) => self.handle(&bytes).await,
            WsMessage::Close(frame) => {
                self.closed = Some(frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((u16::from(CloseCode::Normal), String::new())));
                self.socket = None;
                return false;
            }
            _ => {}
        }
        true
    }

    async fn handle(&mut self, bytes: &[u8]) {
        let mut decoder = DecoderV1::new(Cursor::new(bytes));
        let messages: Vec<Message> = MessageReader::new(&mut decoder).filter_map(Result::ok).collect();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let diff = self.doc.transact().encode_state_as_update_v1(&sv);
                    self.sent += 1;
                    self.send_raw(Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1()).await;
                }
                Message::Sync(SyncMessage::SyncStep2(body)) => {
                    self.apply(&body);
                    self.synced = true;
                }
                Message::Sync(SyncMessage::Update(body)) => self.apply(&body),
                Message::Custom(MSG_ACK, _) => self.acked += 1,
                Message::Custom(MSG_NOTICE, json) => {
                    if let Ok(notice) = serde_json::from_slice::<Notice>(&json) {
                        if matches!(notice, Notice::Refused { .. }) {
                            self.refused += 1;
                        }
                        self.notices.push(notice);
                    }
                }
                Message::Awareness(update) => {
                    for (client, entry) in update.clients {
                        if &*entry.json == "null" {
                            self.others.remove(&client.get());
                        } else if client != self.doc.client_id() {
                            self.others.insert(client.get(), entry.json.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn apply(&mut self, body: &[u8]) {
        if let Ok(update) = Update::decode_v1(body) {
            let _ = self.doc.transact_mut().apply_update(update);
        }
    }

    /// The draft as this client sees it.
    pub fn draft(&self) -> SharedDraft {
        loupe_domain::collab::prompt_draft::read(&self.doc)
    }

    /// The playground as this client sees it (a playground document).
    pub fn playground(&self) -> loupe_domain::collab::playground::SharedPlayground {
        loupe_domain::collab::playground::read(&self.doc)
    }

    /// The text prompt as this client sees it.
    pub fn text(&self) -> String {
        self.draft().draft.text
    }

    /// Whether every change sent was answered (acknowledged or refused).
    pub fn all_acked(&self) -> bool {
        self.acked + self.refused >= self.sent
    }
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}
