//! Collaborative documents (#19): what the server and the browser agree on about a shared
//! document — which documents there are ([`DocumentKind`]), the messages Loupe adds to the
//! Yjs sync and awareness protocols ([`MSG_ACK`], [`MSG_NOTICE`], [`Notice`]), how a person
//! appears to the others ([`Presence`]), the bounds, and the close codes.
//!
//! The wire is the y-sync protocol as `yrs::sync` implements it (the same bytes y-websocket
//! speaks): `Message::Sync(SyncStep1 | SyncStep2 | Update)`, `Message::Awareness`, plus two
//! custom messages of ours (custom tags are allowed by the protocol; Yjs clients ignore them).
//! The schema of each kind of document lives beside it ([`prompt_draft`], [`playground`]).

pub mod ordered;
pub mod playground;
pub mod prompt_draft;
pub mod text;

/// A document layout's roots, made from a document (before any transaction is open): what a
/// change to a document of that kind is written through.
pub trait Layout {
    fn of(doc: &yrs::Doc) -> Self;
}

impl Layout for prompt_draft::DraftDoc {
    fn of(doc: &yrs::Doc) -> Self {
        prompt_draft::DraftDoc::of(doc)
    }
}

impl Layout for playground::PlaygroundDoc {
    fn of(doc: &yrs::Doc) -> Self {
        playground::PlaygroundDoc::of(doc)
    }
}

/// The roots of a document of either kind: what the browser's shared-document client needs
/// without knowing the layout (the text behind a field key, whether the server seeded it).
#[derive(Clone)]
pub enum Roots {
    PromptDraft(prompt_draft::DraftDoc),
    Playground(playground::PlaygroundDoc),
}

impl Roots {
    /// The roots of `doc` (call before any transaction is open).
    pub fn of(kind: DocumentKind, doc: &yrs::Doc) -> Roots {
        match kind {
            DocumentKind::PromptDraft => Roots::PromptDraft(prompt_draft::DraftDoc::of(doc)),
            DocumentKind::Playground => Roots::Playground(playground::PlaygroundDoc::of(doc)),
        }
    }

    pub fn is_seeded<T: yrs::ReadTxn>(&self, txn: &T) -> bool {
        match self {
            Roots::PromptDraft(roots) => roots.is_seeded(txn),
            Roots::Playground(roots) => roots.is_seeded(txn),
        }
    }

    /// The shared text behind field key `key` (`data-collab` on the page).
    pub fn text_ref<T: yrs::ReadTxn>(&self, txn: &T, key: &str) -> Option<yrs::TextRef> {
        match self {
            Roots::PromptDraft(roots) => roots.text_ref(txn, &prompt_draft::Field::parse(key)?),
            Roots::Playground(roots) => roots.text_ref(txn, key),
        }
    }
}

use serde::{Deserialize, Serialize};

/// Server → client, after an update of that client's is durable (committed to Postgres):
/// one per `Sync` message that carried changes, in order. Empty payload. A client counts them
/// to know what is saved; nothing unacknowledged is assumed stored.
pub const MSG_ACK: u8 = 100;
/// Server → client: a [`Notice`] as JSON.
pub const MSG_NOTICE: u8 = 101;

/// One update (a `Sync` message's payload) may be at most this large; a paste of a long prompt
/// fits many times over. Over it the connection is closed with [`CLOSE_TOO_LARGE`].
pub const MAX_UPDATE_BYTES: usize = 512 * 1024;
/// A document's stored size (its snapshot plus the updates since) may grow to this; updates
/// that would pass it are refused with [`Refusal::DocumentFull`].
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;
/// Connections to one document (every person, every tab) on one server.
pub const MAX_CONNECTIONS_PER_DOCUMENT: usize = 64;
/// Connections of one person to one document (tabs).
pub const MAX_CONNECTIONS_PER_PERSON: usize = 8;
/// An awareness state (a person's presence JSON) may be at most this large.
pub const MAX_PRESENCE_BYTES: usize = 4 * 1024;

/// WebSocket close codes (the 4000–4999 range is the application's). The close reason says the
/// same in English for logs; the browser words it from the code.
pub const CLOSE_MALFORMED: u16 = 4400;
/// Signed out, or no longer a member of the project.
pub const CLOSE_FORBIDDEN: u16 = 4403;
pub const CLOSE_TOO_LARGE: u16 = 4413;
pub const CLOSE_TOO_MANY: u16 = 4429;
/// The draft was published or discarded: reconnect to the next one.
pub const CLOSE_RESET: u16 = 4409;
/// The server could not store an update; the client keeps it and reconnects.
pub const CLOSE_UNAVAILABLE: u16 = 4503;

/// Which kind of thing a shared document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// The next version of a prompt, keyed by the prompt's name.
    PromptDraft,
    /// A saved playground, keyed by its id.
    Playground,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 2] = [DocumentKind::PromptDraft, DocumentKind::Playground];

    /// The name in URLs and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::PromptDraft => "prompt-draft",
            DocumentKind::Playground => "playground",
        }
    }

    pub fn parse(text: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// The WebSocket path of a document, under the server's origin.
pub fn socket_path(project_id: &str, kind: DocumentKind, key: &str) -> String {
    format!("/api/live/projects/{}/documents/{}/{}", crate::url::encode_query(project_id), kind.as_str(), crate::url::encode_query(key))
}

/// What the server tells the people in a document, beside the CRDT traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Notice {
    /// First message on every connection: which generation of the document this is (a draft
    /// starts a new generation when it is published or discarded) and whether this person may
    /// edit it.
    #[serde(rename_all = "camelCase")]
    Welcome { generation: i64, can_write: bool },
    /// An update of this connection was not applied.
    Refused { reason: Refusal },
    /// The draft was published as `version` by `by`; the next generation starts from it.
    #[serde(rename_all = "camelCase")]
    Published { version: i32, by: String, generation: i64 },
    /// The draft was discarded by `by`; the next generation starts from the latest version.
    #[serde(rename_all = "camelCase")]
    Discarded { by: String, generation: i64 },
    /// This person's role changed while the document was open.
    #[serde(rename_all = "camelCase")]
    Access { can_write: bool },
    /// `by` saved another playground over this one: the next generation starts from it.
    #[serde(rename_all = "camelCase")]
    Replaced { by: String, generation: i64 },
    /// `by` deleted the document (a saved playground): nothing to reconnect to.
    Deleted { by: String },
}

/// Why an update was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Refusal {
    /// Viewers watch; the server does not apply their changes.
    ReadOnly,
    /// The document reached [`MAX_DOCUMENT_BYTES`].
    DocumentFull,
}

/// A person in a document as the others see them: the awareness state. The server overwrites
/// `account_id`, `name` and `color` with the connection's own account, so nobody can appear
/// as someone else.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Presence {
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub name: String,
    /// A CSS colour from [`COLORS`].
    #[serde(default)]
    pub color: String,
    /// Where their caret is, if in a text field of the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
    /// Typed in the last few seconds.
    #[serde(default)]
    pub typing: bool,
}

/// A caret and selection in one text of the document, as sticky indexes (they stay on the same
/// characters while others type before them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The text's field key ([`prompt_draft::Field::key`]).
    pub field: String,
    pub anchor: yrs::StickyIndex,
    pub head: yrs::StickyIndex,
}

/// Presence colours: Okabe–Ito, distinguishable with the common colour-vision deficiencies and
/// readable on light and dark backgrounds.
pub const COLORS: [&str; 7] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8B6914"];

/// A person's colour: the same in every document and on every screen.
pub fn color_of(account_id: &str) -> &'static str {
    // FNV-1a: stable across builds and platforms (std's hasher is not).
    let hash = account_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    COLORS[(hash % COLORS.len() as u64) as usize]
}

/// A new document as both sides make it: offsets counted in UTF-16 code units, as the
/// browser's `selectionStart` counts them.
pub fn new_doc() -> yrs::Doc {
    yrs::Doc::with_options(yrs::Options { offset_kind: yrs::OffsetKind::Utf16, ..yrs::Options::default() })
}

/// A document with a given client id (tests; the server's own edits).
pub fn new_doc_with_client(client_id: u64) -> yrs::Doc {
    yrs::Doc::with_options(yrs::Options { offset_kind: yrs::OffsetKind::Utf16, client_id: yrs::block::ClientID::new(client_id), ..yrs::Options::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_as_json() {
        for notice in [
            Notice::Welcome { generation: 3, can_write: false },
            Notice::Refused { reason: Refusal::ReadOnly },
            Notice::Published { version: 4, by: "Ada".into(), generation: 5 },
            Notice::Discarded { by: "Ada".into(), generation: 6 },
            Notice::Access { can_write: true },
        ] {
            let json = serde_json::to_string(&notice).unwrap();
            assert_eq!(serde_json::from_str::<Notice>(&json).unwrap(), notice, "{json}");
        }
        assert_eq!(serde_json::to_string(&Notice::Welcome { generation: 1, can_write: true }).unwrap(), r#"{"type":"welcome","generation":1,"canWrite":true}"#);
    }

    #[test]
    fn kinds_parse_back() {
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(DocumentKind::parse("nope"), None);
    }

    #[test]
    fn colours_are_stable_and_spread() {
        assert_eq!(color_of("acc_1"), color_of("acc_1"));
        let distinct: std::collections::BTreeSet<_> = (0..50).map(|i| color_of(&format!("acc_{i}"))).collect();
        assert!(distinct.len() >= 5, "{distinct:?}");
    }
}
