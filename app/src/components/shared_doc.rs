//! A shared document in the browser (#19): a `yrs` document kept in sync with the server over
//! the document's WebSocket (the Yjs sync and awareness protocols, and Loupe's
//! acknowledgements and notices of `domain::collab`), exposed to components as signals.
//!
//! - Local changes are applied to the document in a transaction ([`SharedDoc::change`]); the
//!   transaction's update is sent at once when connected and counted as pending until the
//!   server acknowledges it (after storing it).
//! - The whole document is also kept in the browser's `localStorage` (per document and
//!   generation), so edits made offline survive a reload and are merged on reconnect: the
//!   server's first sync step asks for everything it lacks.
//! - Remote changes bump [`SharedDoc::remote`]; the component reads the document again. The
//!   caret of the focused field (marked `data-collab="<field key>"`) is kept on the same
//!   characters across a remote change (sticky indexes taken before, resolved after).
//! - The browser's `offline`/`online` events close and reopen the socket (a socket can outlive
//!   a dead network for a long time); closes other than a reset reconnect with backoff.
//!
//! On the server nothing connects: the page renders what it loaded, and the document opens once
//! hydrated.

use leptos::prelude::*;

use crate::domain::collab::{DocumentKind, Notice};

/// The connection, as the status pill shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Connecting,
    Live,
    Offline,
}

/// Someone else in the document, with their caret resolved in the current text.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    pub client: u64,
    pub name: String,
    pub color: String,
    pub typing: bool,
    /// Field key and UTF-16 offsets (anchor, head) of their selection.
    pub caret: Option<(String, u32, u32)>,
}

/// Signals of one shared document. Copy into closures freely.
#[derive(Clone, Copy)]
pub struct SharedDoc {
    pub status: RwSignal<Status>,
    pub can_write: RwSignal<bool>,
    /// The document holds the server's state (synced once, or restored from this browser):
    /// local edits may be written into it.
    pub ready: RwSignal<bool>,
    /// Changes sent and not yet acknowledged (or kept while offline: `true` in `unsent`).
    pub pending: RwSignal<usize>,
    pub unsent: RwSignal<bool>,
    pub peers: RwSignal<Vec<Peer>>,
    /// The last notice worth showing (published, discarded, refused).
    pub notice: RwSignal<Option<Notice>>,
    /// Bumped after every remote change applied.
    pub remote: RwSignal<u64>,
    pub generation: RwSignal<i64>,
    /// Why the server closed the connection, when it was a refusal to show (close codes of
    /// `domain::collab`: too many connections, too large, no longer allowed).
    pub closed: RwSignal<Option<u16>>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    slot: StoredValue<u64>,
    /// Typing now, and the keystroke count that set it (see [`SharedDoc::typed`]).
    typing: StoredValue<(bool, u32)>,
}

impl SharedDoc {
    /// Opens document `kind`/`key` of the project, at `generation` (what the page loaded);
    /// closed when the calling component is dropped.
    pub fn open(project_id: String, kind: DocumentKind, key: String, generation: i64, can_write: bool) -> SharedDoc {
        let shared = SharedDoc {
            status: RwSignal::new(Status::Connecting),
            can_write: RwSignal::new(can_write),
            ready: RwSignal::new(false),
            pending: RwSignal::new(0),
            unsent: RwSignal::new(false),
            peers: RwSignal::new(Vec::new()),
            notice: RwSignal::new(None),
            remote: RwSignal::new(0),
            generation: RwSignal::new(generation),
            closed: RwSignal::new(None),
            slot: StoredValue::new(0),
            typing: StoredValue::new((false, 0)),
        };
        #[cfg(feature = "hydrate")]
        {
            let slot = browser::open(shared, project_id, kind, key);
            shared.slot.set_value(slot);
            on_cleanup(move || browser::close(slot));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (project_id, kind, key);
        shared
    }

    /// Runs `f` on the document (none on the server).
    pub fn with_doc<R>(&self, _f: impl FnOnce(&yrs::Doc) -> R) -> Option<R> {
        #[cfg(feature = "hydrate")]
        {
            browser::with(self.slot.get_value(), |open| _f(&open.doc))
        }
        #[cfg(not(feature = "hydrate"))]
        None
    }

    /// Changes the document and sends the change (kept for later when offline).
    pub fn change<L: crate::domain::collab::Layout>(&self, _f: impl FnOnce(&mut yrs::TransactionMut, &L)) {
        #[cfg(feature = "hydrate")]
        browser::change::<L>(self.slot.get_value(), _f);
    }

    /// Tells the others where this person's caret is (`None`: not in a text) and whether they
    /// are typing.
    pub fn set_cursor(&self, _cursor: Option<(String, u32, u32)>, _typing: bool) {
        #[cfg(feature = "hydrate")]
        browser::set_cursor(self.slot.get_value(), _cursor, _typing);
    }

    /// Tells the others where the caret of the focused field is (a field marked
    /// `data-collab`), or that it is in none; `typing` after an input.
    pub fn report_focus(&self, _typing: bool) {
        #[cfg(feature = "hydrate")]
        browser::report_focus(self.slot.get_value(), _typing);
    }

    /// The person typed (an `input` event in the page): they show as typing until two seconds
    /// pass without another keystroke, and their caret moves with them.
    pub fn typed(&self) {
        let this = *self;
        let seq = self.typing.get_value().1 + 1;
        self.typing.set_value((true, seq));
        self.report_focus(true);
        set_timeout(
            move || {
                if this.typing.try_get_value().is_some_and(|(_, at)| at == seq) {
                    this.typing.set_value((false, seq));
                    this.report_focus(false);
                }
            },
            std::time::Duration::from_secs(2),
        );
    }

    /// The caret may have moved (a key or a click in the page): tell the others where it is.
    pub fn moved(&self) {
        self.report_focus(self.typing.get_value().0);
    }

    /// Everything stored: connected, nothing pending or unsent.
    pub fn saved(&self) -> bool {
        self.status.get() == Status::Live && self.pending.get() == 0 && !self.unsent.get()
    }

    /// The others' carets in `field` (tracked).
    pub fn carets(&self, field: &str) -> Vec<Peer> {
        self.peers.with(|peers| peers.iter().filter(|p| p.caret.as_ref().is_some_and(|(f, _, _)| f == field)).cloned().collect())
    }
}

/// The connection (saved, saving, offline) and who else is in the document, typing or not;
/// `here` introduces the list ("In this draft:").
#[component]
pub fn PresenceLine(shared: SharedDoc, here: String) -> impl IntoView {
    use crate::i18n::*;
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let status = move || match shared.status.get() {
        Status::Offline => ("bg-amber-500", td_string!(locale, prompts.collab.status_offline).to_string(), "offline"),
        Status::Connecting => ("bg-zinc-400", td_string!(locale, prompts.collab.status_connecting).to_string(), "connecting"),
        Status::Live if shared.pending.get() > 0 || shared.unsent.get() => ("bg-sky-500", td_string!(locale, prompts.collab.status_saving).to_string(), "saving"),
        Status::Live => ("bg-emerald-500", td_string!(locale, prompts.collab.status_live).to_string(), "saved"),
    };
    view! {
        <div class="flex flex-wrap items-center justify-between gap-x-4 gap-y-2">
            <span class="inline-flex items-center gap-1.5 text-xs text-zinc-600 dark:text-zinc-300" data-testid="draft-status" data-status=move || status().2>
                <span class=move || format!("h-2 w-2 shrink-0 rounded-full {}", status().0)></span>
                {move || status().1}
            </span>
            <ul class="flex flex-wrap items-center gap-2 text-xs" data-testid="draft-people">
                {move || {
                    let peers = shared.peers.get();
                    if peers.is_empty() {
                        return view! { <li class="text-zinc-500">{td_string!(locale, prompts.collab.alone)}</li> }.into_any();
                    }
                    view! {
                        <li class="text-zinc-500">{here.clone()}</li>
                        {peers.into_iter().map(|peer| view! {
                            <li class="inline-flex items-center gap-1" data-testid="draft-person" data-name=peer.name.clone() data-typing=peer.typing.to_string()>
                                <span class="h-2.5 w-2.5 rounded-full" style=format!("background:{}", peer.color)></span>
                                <span class="max-w-40 truncate">{peer.name.clone()}</span>
                                {peer.typing.then(|| view! { <span class="text-zinc-500">{td_string!(locale, prompts.collab.typing)}</span> })}
                            </li>
                        }).collect_view()}
                    }.into_any()
                }}
            </ul>
        </div>
    }
}

/// Why the server closed the connection, when it is something to tell the person.
#[component]
pub fn ClosedReason(shared: SharedDoc) -> impl IntoView {
    use crate::i18n::*;
    let locale = use_i18n().get_locale_untracked();
    move || shared.closed.get().map(|code| view! {
        <p class="text-sm text-red-700 dark:text-red-400" data-testid="draft-closed" data-code=code.to_string()>{match code {
            crate::domain::collab::CLOSE_TOO_MANY => td_string!(locale, prompts.collab.closed_too_many).to_string(),
            crate::domain::collab::CLOSE_FORBIDDEN => td_string!(locale, prompts.collab.closed_forbidden).to_string(),
            _ => td_string!(locale, prompts.collab.closed_too_large).to_string(),
        }}</p>
    })
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;

    use leptos::prelude::*;
    use leptos::wasm_bindgen::prelude::Closure;
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};
    use yrs::encoding::read::Cursor;
    use yrs::sync::awareness::AwarenessUpdateEntry;
    use yrs::sync::protocol::MessageReader;
    use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
    use yrs::updates::decoder::{Decode, DecoderV1};
    use yrs::updates::encoder::Encode;
    use yrs::{Assoc, GetString, IndexedSequence, ReadTxn, StateVector, StickyIndex, Transact, Update as YUpdate};

    use super::{Peer, SharedDoc, Status};
    use crate::domain::collab::{self, Cursor as Caret, DocumentKind, Layout, Notice, Presence, Roots, CLOSE_FORBIDDEN, CLOSE_RESET, MSG_ACK, MSG_NOTICE};

    pub struct Open {
        pub doc: yrs::Doc,
        kind: DocumentKind,
        signals: SharedDoc,
        url: String,
        storage_key: String,
        socket: Option<WebSocket>,
        /// Callbacks of the current socket (dropped with it).
        handlers: Vec<Box<dyn std::any::Any>>,
        /// Window `online`/`offline` listeners, kept for the document's life.
        window_handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
        /// Others' presence by awareness client id.
        others: HashMap<u64, Presence>,
        presence: Presence,
        presence_clock: u32,
        backoff_ms: i32,
        closed: bool,
        save_scheduled: bool,
    }

    thread_local! {
        static OPEN: RefCell<HashMap<u64, Rc<RefCell<Open>>>> = RefCell::new(HashMap::new());
        static NEXT: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
    }

    fn get(slot: u64) -> Option<Rc<RefCell<Open>>> {
        OPEN.with(|open| open.borrow().get(&slot).cloned())
    }

    pub fn with<R>(slot: u64, f: impl FnOnce(&Open) -> R) -> Option<R> {
        let open = get(slot)?;
        let open = open.try_borrow().ok()?;
        Some(f(&open))
    }

    pub fn open(signals: SharedDoc, project_id: String, kind: DocumentKind, key: String, ) -> u64 {
        let slot = NEXT.with(|n| {
            let slot = n.get();
            n.set(slot + 1);
            slot
        });
        let location = window().location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
        let host = location.host().unwrap_or_default();
        let url = format!("{scheme}://{host}{}", collab::socket_path(&project_id, kind, &key));
        let storage_key = format!("loupe.doc.{}.{}.{}", project_id, kind.as_str(), key);
        let doc = collab::new_doc();
        let open = Rc::new(RefCell::new(Open {
            doc,
            kind,
            signals,
            url,
            storage_key,
            socket: None,
            handlers: Vec::new(),
            window_handlers: Vec::new(),
            others: HashMap::new(),
            presence: Presence::default(),
            presence_clock: 0,
            backoff_ms: 500,
            closed: false,
            save_scheduled: false,
        }));
        OPEN.with(|all| all.borrow_mut().insert(slot, open.clone()));
        restore(&open);
        {
            let on_offline = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                if let Some(open) = get(slot) {
                    let socket = open.borrow_mut().socket.take();
                    if let Some(socket) = socket {
                        let _ = socket.close();
                    }
                    open.borrow().signals.status.try_set(Status::Offline);
                }
            });
            let on_online = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| connect(slot));
            let _ = window().add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref());
            let _ = window().add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
            open.borrow_mut().window_handlers = vec![on_offline, on_online];
        }
        if window().navigator().on_line() {
            connect(slot);
        } else {
            signals.status.set(Status::Offline);
        }
        slot
    }

    pub fn close(slot: u64) {
        let Some(open) = OPEN.with(|all| all.borrow_mut().remove(&slot)) else { return };
        let mut open = open.borrow_mut();
        open.closed = true;
        if let Some(socket) = open.socket.take() {
            let _ = socket.close();
        }
        for handler in open.window_handlers.drain(..) {
            let _ = window().remove_event_listener_with_callback("offline", handler.as_ref().unchecked_ref());
            let _ = window().remove_event_listener_with_callback("online", handler.as_ref().unchecked_ref());
        }
    }

    /// The document as this browser last had it, if it is of the page's generation.
    fn restore(open: &Rc<RefCell<Open>>) {
        let open = open.borrow();
        let Some(stored) = storage().and_then(|s| s.get_item(&open.storage_key).ok().flatten()) else { return };
        let Some((generation, hex)) = stored.split_once(':') else { return };
        if generation.parse::<i64>().ok() != Some(open.signals.generation.get_untracked()) {
            return;
        }
        let Some(bytes) = unhex(hex) else { return };
        let Ok(update) = YUpdate::decode_v1(&bytes) else { return };
        if open.doc.transact_mut().apply_update(update).is_ok() && Roots::of(open.kind, &open.doc).is_seeded(&open.doc.transact()) {
            // Edits kept from an earlier visit (perhaps offline): they go to the server with the
            // first sync.
            open.signals.ready.set(true);
            open.signals.unsent.set(true);
            open.signals.remote.update(|r| *r += 1);
        }
    }

    fn save_soon(slot: u64) {
        let Some(open) = get(slot) else { return };
        if std::mem::replace(&mut open.borrow_mut().save_scheduled, true) {
            return;
        }
        set_timeout(
            move || {
                let Some(open) = get(slot) else { return };
                let mut open = open.borrow_mut();
                open.save_scheduled = false;
                let state = open.doc.transact().encode_state_as_update_v1(&StateVector::default());
                let value = format!("{}:{}", open.signals.generation.get_untracked(), hex(&state));
                if let Some(storage) = storage() {
                    let _ = storage.set_item(&open.storage_key, &value);
                }
            },
            std::time::Duration::from_millis(300),
        );
    }

    fn forget_saved(open: &Open) {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(&open.storage_key);
        }
    }

    fn connect(slot: u64) {
        let Some(open) = get(slot) else { return };
        if open.borrow().closed || open.borrow().socket.is_some() {
            return;
        }
        let url = open.borrow().url.clone();
        let Ok(socket) = WebSocket::new(&url) else { return };
        socket.set_binary_type(BinaryType::Arraybuffer);
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let Some(open) = get(slot) else { return };
            let mut open = open.borrow_mut();
            open.backoff_ms = 500;
            open.signals.closed.try_set(None);
            let sv = open.doc.transact().state_vector();
            open.send(Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1());
            open.send_presence();
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() else { return };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            receive(slot, &bytes);
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let Some(open) = get(slot) else { return };
            let (closed, backoff) = {
                let mut open = open.borrow_mut();
                open.socket = None;
                open.handlers.clear();
                open.signals.pending.try_set(0);
                open.signals.peers.try_set(Vec::new());
                open.others.clear();
                (open.closed, open.backoff_ms)
            };
            if closed {
                return;
            }
            let code = event.code();
            let shown = [CLOSE_FORBIDDEN, collab::CLOSE_TOO_MANY, collab::CLOSE_TOO_LARGE, collab::CLOSE_MALFORMED];
            open.borrow().signals.closed.try_set(shown.contains(&code).then_some(code));
            if code == CLOSE_FORBIDDEN {
                open.borrow().signals.status.try_set(Status::Offline);
                return;
            }
            open.borrow().signals.status.try_set(if window().navigator().on_line() { Status::Connecting } else { Status::Offline });
            if code == CLOSE_RESET {
                // A new generation: start from an empty document, synced from the server.
                reset(slot);
                connect(slot);
                return;
            }
            if !window().navigator().on_line() {
                return;
            }
            open.borrow_mut().backoff_ms = (backoff * 2).min(10_000);
            set_timeout(move || connect(slot), std::time::Duration::from_millis(backoff as u64));
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut open = open.borrow_mut();
        open.socket = Some(socket);
        open.handlers = vec![Box::new(on_open), Box::new(on_message), Box::new(on_close)];
        open.signals.status.try_set(Status::Connecting);
    }

    fn reset(slot: u64) {
        let Some(open) = get(slot) else { return };
        let mut open = open.borrow_mut();
        forget_saved(&open);
        open.doc = collab::new_doc();
        open.signals.ready.try_set(false);
        open.signals.unsent.try_set(false);
    }

    impl Open {
        fn send(&mut self, bytes: Vec<u8>) -> bool {
            match &self.socket {
                Some(socket) if socket.ready_state() == WebSocket::OPEN => socket.send_with_u8_array(&bytes).is_ok(),
                _ => false,
            }
        }

        fn send_presence(&mut self) {
            self.presence_clock += 1;
            let entry = AwarenessUpdateEntry { clock: self.presence_clock, json: serde_json::to_string(&self.presence).unwrap_or_default().into() };
            let update = AwarenessUpdate { clients: [(self.doc.client_id(), entry)].into_iter().collect() };
            self.send(Message::Awareness(update).encode_v1());
        }

        /// The others, carets resolved in the document as it is now.
        fn peers(&self) -> Vec<Peer> {
            let roots = Roots::of(self.kind, &self.doc);
            let txn = self.doc.transact();
            let mut peers: Vec<Peer> = self
                .others
                .iter()
                .map(|(client, presence)| {
                    let caret = presence.cursor.as_ref().and_then(|c| {
                        // A field this screen does not have (a message removed meanwhile): no caret.
                        roots.text_ref(&txn, &c.field)?;
                        let anchor = c.anchor.get_offset(&txn)?.index;
                        let head = c.head.get_offset(&txn)?.index;
                        Some((c.field.clone(), anchor, head))
                    });
                    Peer { client: *client, name: presence.name.clone(), color: presence.color.clone(), typing: presence.typing, caret }
                })
                .collect();
            peers.sort_by(|a, b| a.name.cmp(&b.name).then(a.client.cmp(&b.client)));
            peers
        }
    }

    fn receive(slot: u64, bytes: &[u8]) {
        let Some(open) = get(slot) else { return };
        let mut decoder = DecoderV1::new(Cursor::new(bytes));
        let messages: Vec<Message> = MessageReader::new(&mut decoder).filter_map(Result::ok).collect();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let mut open = open.borrow_mut();
                    let diff = open.doc.transact().encode_state_as_update_v1(&sv);
                    if open.send(Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1()) {
                        open.signals.pending.update(|p| *p += 1);
                        open.signals.unsent.set(false);
                    }
                }
                Message::Sync(SyncMessage::SyncStep2(body)) => {
                    apply_remote(slot, &open, &body);
                    let open = open.borrow();
                    open.signals.ready.set(true);
                    open.signals.status.set(Status::Live);
                }
                Message::Sync(SyncMessage::Update(body)) => apply_remote(slot, &open, &body),
                Message::Custom(MSG_ACK, _) => {
                    open.borrow().signals.pending.update(|p| *p = p.saturating_sub(1));
                }
                Message::Custom(MSG_NOTICE, json) => {
                    let Ok(notice) = serde_json::from_slice::<Notice>(&json) else { continue };
                    let open = open.borrow();
                    match &notice {
                        Notice::Welcome { generation, can_write } => {
                            open.signals.can_write.set(*can_write);
                            if *generation != open.signals.generation.get_untracked() {
                                // The draft moved on while this page was away: what this
                                // browser kept belongs to the old one.
                                open.signals.generation.set(*generation);
                                drop(open);
                                reset(slot);
                                if let Some(open) = get(slot) {
                                    let mut open = open.borrow_mut();
                                    open.send(Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1());
                                }
                                continue;
                            }
                        }
                        Notice::Access { can_write } => open.signals.can_write.set(*can_write),
                        Notice::Refused { .. } => {
                            open.signals.pending.update(|p| *p = p.saturating_sub(1));
                            open.signals.notice.set(Some(notice.clone()));
                        }
                        Notice::Published { generation, .. } | Notice::Discarded { generation, .. } | Notice::Replaced { generation, .. } => {
                            open.signals.generation.set(*generation);
                            open.signals.notice.set(Some(notice.clone()));
                        }
                        Notice::Deleted { .. } => {
                            open.signals.notice.set(Some(notice.clone()));
                            drop(open);
                            // Nothing to reconnect to: the server closes, and this stays closed.
                            if let Some(open) = get(slot) {
                                let mut open = open.borrow_mut();
                                open.closed = true;
                                forget_saved(&open);
                                open.signals.status.set(Status::Offline);
                            }
                            continue;
                        }
                    }
                }
                Message::Awareness(update) => {
                    let mut open = open.borrow_mut();
                    let me = open.doc.client_id().get();
                    for (client, entry) in update.clients {
                        let client = client.get();
                        if client == me {
                            continue;
                        }
                        match serde_json::from_str::<Presence>(&entry.json) {
                            Ok(presence) if &*entry.json != "null" => {
                                open.others.insert(client, presence);
                            }
                            _ => {
                                open.others.remove(&client);
                            }
                        }
                    }
                    let peers = open.peers();
                    open.signals.peers.set(peers);
                }
                _ => {}
            }
        }
    }

    /// Applies a remote update, keeping the focused field's caret on its characters.
    fn apply_remote(slot: u64, open: &Rc<RefCell<Open>>, body: &[u8]) {
        let Ok(update) = YUpdate::decode_v1(body) else { return };
        let focused = focused_field();
        let open_ref = open.borrow();
        let roots = Roots::of(open_ref.kind, &open_ref.doc);
        let kept = focused.as_ref().and_then(|(element, field, start, end)| {
            let txn = open_ref.doc.transact();
            let text = roots.text_ref(&txn, field)?;
            let anchor = sticky(&text, &txn, *start)?;
            let head = sticky(&text, &txn, *end)?;
            Some((element.clone(), field.clone(), anchor, head))
        });
        if open_ref.doc.transact_mut().apply_update(update).is_err() {
            return;
        }
        if let Some((element, field, anchor, head)) = kept {
            let txn = open_ref.doc.transact();
            if let Some(text) = roots.text_ref(&txn, &field) {
                let value = text.get_string(&txn);
                let (start, end) = (resolve(&anchor, &txn), resolve(&head, &txn));
                set_value_keeping_selection(&element, &value, start, end);
            }
        }
        let peers = open_ref.peers();
        open_ref.signals.peers.set(peers);
        open_ref.signals.remote.update(|r| *r += 1);
        drop(open_ref);
        save_soon(slot);
    }

    /// A sticky index at `index`: on the character after it, or at the very end (where there
    /// is none after) on the one before.
    fn sticky<T: ReadTxn>(text: &yrs::TextRef, txn: &T, index: u32) -> Option<StickyIndex> {
        text.sticky_index(txn, index, Assoc::After).or_else(|| text.sticky_index(txn, index, Assoc::Before))
    }

    fn resolve<T: ReadTxn>(index: &StickyIndex, txn: &T) -> Option<u32> {
        index.get_offset(txn).map(|o| o.index)
    }

    /// The focused element if it edits a field of the document, its field and selection.
    fn focused_field() -> Option<(web_sys::HtmlElement, String, u32, u32)> {
        let element = document().active_element()?;
        let field = element.get_attribute("data-collab")?;
        let (start, end) = selection(&element)?;
        Some((element.dyn_into::<web_sys::HtmlElement>().ok()?, field, start, end))
    }

    fn selection(element: &web_sys::Element) -> Option<(u32, u32)> {
        if let Some(area) = element.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            return Some((area.selection_start().ok()??, area.selection_end().ok()??));
        }
        let input = element.dyn_ref::<web_sys::HtmlInputElement>()?;
        Some((input.selection_start().ok()??, input.selection_end().ok()??))
    }

    fn set_value_keeping_selection(element: &web_sys::HtmlElement, value: &str, start: Option<u32>, end: Option<u32>) {
        if let Some(area) = element.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            if area.value() != value {
                area.set_value(value);
                if let (Some(start), Some(end)) = (start, end) {
                    let _ = area.set_selection_range(start.min(end), start.max(end));
                }
            }
        } else if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
            if input.value() != value {
                input.set_value(value);
                if let (Some(start), Some(end)) = (start, end) {
                    let _ = input.set_selection_range(start.min(end), start.max(end));
                }
            }
        }
    }

    pub fn change<L: Layout>(slot: u64, f: impl FnOnce(&mut yrs::TransactionMut, &L)) {
        let Some(open) = get(slot) else { return };
        let mut open = open.borrow_mut();
        // Roots first: making them inside a transaction would wait for that transaction.
        let roots = L::of(&open.doc);
        let update = {
            let mut txn = open.doc.transact_mut();
            f(&mut txn, &roots);
            txn.encode_update_v1()
        };
        let empty = YUpdate::decode_v1(&update).map(|u| u.is_empty()).unwrap_or(true);
        if empty {
            return;
        }
        if open.send(Message::Sync(SyncMessage::Update(update)).encode_v1()) {
            open.signals.pending.update(|p| *p += 1);
        } else {
            open.signals.unsent.set(true);
        }
        drop(open);
        save_soon(slot);
    }

    pub fn set_cursor(slot: u64, cursor: Option<(String, u32, u32)>, typing: bool) {
        let Some(open) = get(slot) else { return };
        let mut open = open.borrow_mut();
        let caret = cursor.and_then(|(field, anchor, head)| {
            let roots = Roots::of(open.kind, &open.doc);
            let txn = open.doc.transact();
            let text = roots.text_ref(&txn, &field)?;
            let anchor = sticky(&text, &txn, anchor)?;
            let head = sticky(&text, &txn, head)?;
            Some(Caret { field, anchor, head })
        });
        if open.presence.cursor == caret && open.presence.typing == typing {
            return;
        }
        open.presence.cursor = caret;
        open.presence.typing = typing;
        open.send_presence();
    }

    pub fn report_focus(slot: u64, typing: bool) {
        let cursor = focused_field().map(|(_, field, start, end)| (field, start, end));
        set_cursor(slot, cursor, typing);
    }

    fn storage() -> Option<web_sys::Storage> {
        window().local_storage().ok().flatten()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Option<Vec<u8>> {
        (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
    }
}
