//! The shared draft of a prompt's next version as a Yjs document. One definition, used by the
//! server (to seed a draft from a version and to read it when publishing) and by the browser
//! (to bind the editor's fields to it).
//!
//! Layout (version 1):
//! - texts `text`, `config`, `labels` (the free-text labels), `tags`, `commit`;
//! - map `draft`: `type` ("text" | "chat"), `production`, `staging`, `keepTags` (booleans),
//!   `base` (the version the draft started from);
//! - array `messages` of maps `{id, kind: "message" | "placeholder", role, content: Text,
//!   name: Text}`. Messages carry ids so that an edit, a move and a removal by different
//!   people apply to the message each meant; a text is a `Text` so two people typing in the
//!   same message both keep their characters. Roles and checkboxes are plain values: the last
//!   choice wins, which is what a select or a checkbox means.

use yrs::types::ToJson;
use yrs::{Any, ArrayRef, GetString, Map, MapRef, Out, ReadTxn, TextPrelim, TextRef, Transact, TransactionMut};

use super::ordered::{self, number, string, text_of};
use super::text;
use crate::prompt_draft::PromptDraft;
use crate::prompts::{ChatItem, PromptType};

const TEXT: &str = "text";
const CONFIG: &str = "config";
const LABELS: &str = "labels";
const TAGS: &str = "tags";
const COMMIT: &str = "commit";
const DRAFT: &str = "draft";
const MESSAGES: &str = "messages";

/// A text field of the draft, by the key presence and the editor use for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Text,
    Config,
    Labels,
    Tags,
    Commit,
    /// A chat message's content, by message id.
    Content(String),
    /// A placeholder's name, by message id.
    Placeholder(String),
}

impl Field {
    pub fn key(&self) -> String {
        match self {
            Field::Text => TEXT.into(),
            Field::Config => CONFIG.into(),
            Field::Labels => LABELS.into(),
            Field::Tags => TAGS.into(),
            Field::Commit => COMMIT.into(),
            Field::Content(id) => format!("msg/{id}/content"),
            Field::Placeholder(id) => format!("msg/{id}/name"),
        }
    }

    pub fn parse(key: &str) -> Option<Field> {
        Some(match key {
            TEXT => Field::Text,
            CONFIG => Field::Config,
            LABELS => Field::Labels,
            TAGS => Field::Tags,
            COMMIT => Field::Commit,
            _ => {
                let rest = key.strip_prefix("msg/")?;
                let (id, part) = rest.rsplit_once('/')?;
                match part {
                    "content" => Field::Content(id.to_string()),
                    "name" => Field::Placeholder(id.to_string()),
                    _ => return None,
                }
            }
        })
    }
}

/// The draft as the editor shows it: the form's fields, and the id of each message.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SharedDraft {
    pub draft: PromptDraft,
    /// `draft.messages[i]` has id `message_ids[i]`.
    pub message_ids: Vec<String>,
    /// The version the draft started from.
    pub base: Option<i32>,
}

/// A draft as the page loads it: the document's generation and its content then (the editor
/// renders it at once; the WebSocket then keeps it live).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DraftView {
    pub generation: i64,
    pub shared: SharedDraft,
}

/// The roots of a draft document.
#[derive(Clone)]
pub struct DraftDoc {
    text: TextRef,
    config: TextRef,
    labels: TextRef,
    tags: TextRef,
    commit: TextRef,
    flags: MapRef,
    messages: ArrayRef,
}

impl DraftDoc {
    /// The roots of `doc` (made if missing; call before any transaction is open).
    pub fn of(doc: &yrs::Doc) -> DraftDoc {
        DraftDoc {
            text: doc.get_or_insert_text(TEXT),
            config: doc.get_or_insert_text(CONFIG),
            labels: doc.get_or_insert_text(LABELS),
            tags: doc.get_or_insert_text(TAGS),
            commit: doc.get_or_insert_text(COMMIT),
            flags: doc.get_or_insert_map(DRAFT),
            messages: doc.get_or_insert_array(MESSAGES),
        }
    }

    /// The text prompt's shared text.
    pub fn text(&self) -> &TextRef {
        &self.text
    }

    /// Whether the document was ever seeded (a new generation is empty until the server
    /// seeds it).
    pub fn is_seeded<T: ReadTxn>(&self, txn: &T) -> bool {
        self.flags.get(txn, "type").is_some()
    }

    /// Fills an empty document from `draft`, which started from version `base`.
    pub fn seed(&self, txn: &mut TransactionMut, draft: &PromptDraft, base: Option<i32>) {
        let ids: Vec<String> = (0..draft.messages.len()).map(|i| format!("s{i}")).collect();
        if let Some(base) = base {
            self.flags.insert(txn, "base", f64::from(base));
        }
        self.write(txn, &SharedDraft { draft: draft.clone(), message_ids: ids, base });
    }

    /// The draft as it stands.
    pub fn read<T: ReadTxn>(&self, txn: &T) -> SharedDraft {
        let flag = |key: &str| matches!(self.flags.get(txn, key), Some(Out::Any(Any::Bool(true))));
        let prompt_type = match self.flags.get(txn, "type") {
            Some(Out::Any(Any::String(t))) if &*t == "chat" => PromptType::Chat,
            _ => PromptType::Text,
        };
        let base = number(&self.flags, txn, "base").map(|n| n as i32);
        let mut messages = Vec::new();
        let mut message_ids = Vec::new();
        for (map, id, _) in self.entries(txn) {
            let item = if string(&map, txn, "kind").as_deref() == Some("placeholder") {
                ChatItem::Placeholder { name: text_of(&map, txn, "name") }
            } else {
                ChatItem::Message { role: string(&map, txn, "role").unwrap_or_default(), content: text_of(&map, txn, "content") }
            };
            messages.push(item);
            message_ids.push(id);
        }
        SharedDraft {
            draft: PromptDraft {
                name: String::new(),
                prompt_type,
                text: self.text.get_string(txn),
                messages,
                config: self.config.get_string(txn),
                production: flag("production"),
                staging: flag("staging"),
                custom_labels: self.labels.get_string(txn),
                keep_tags: flag("keepTags"),
                tags: self.tags.get_string(txn),
                commit_message: self.commit.get_string(txn),
            },
            message_ids,
            base,
        }
    }

    /// Makes the document say what `shared` says, with the smallest edits: texts by one edit
    /// each ([`text::set`]), flags only where they differ, messages matched by id (removed,
    /// moved, inserted, then their fields set).
    pub fn write(&self, txn: &mut TransactionMut, shared: &SharedDraft) {
        let draft = &shared.draft;
        text::set(txn, &self.text, &draft.text);
        text::set(txn, &self.config, &draft.config);
        text::set(txn, &self.labels, &draft.custom_labels);
        text::set(txn, &self.tags, &draft.tags);
        text::set(txn, &self.commit, &draft.commit_message);
        let type_name = match draft.prompt_type {
            PromptType::Text => "text",
            PromptType::Chat => "chat",
        };
        if string(&self.flags, txn, "type").as_deref() != Some(type_name) {
            self.flags.insert(txn, "type", type_name);
        }
        for (key, value) in [("production", draft.production), ("staging", draft.staging), ("keepTags", draft.keep_tags)] {
            if !matches!(self.flags.get(txn, key), Some(Out::Any(Any::Bool(b))) if b == value) {
                self.flags.insert(txn, key, value);
            }
        }
        self.write_messages(txn, &draft.messages, &shared.message_ids);
    }

    fn write_messages(&self, txn: &mut TransactionMut, items: &[ChatItem], ids: &[String]) {
        let maps = ordered::place(txn, &self.messages, ids);
        for (map, item) in maps.iter().zip(items) {
            let (kind, role) = match item {
                ChatItem::Message { role, .. } => ("message", Some(role.as_str())),
                ChatItem::Placeholder { .. } => ("placeholder", None),
            };
            if string(map, txn, "kind").as_deref() != Some(kind) {
                map.insert(txn, "kind", kind);
            }
            if let Some(role) = role {
                if string(map, txn, "role").as_deref() != Some(role) {
                    map.insert(txn, "role", role);
                }
            }
            let (key, value) = match item {
                ChatItem::Message { content, .. } => ("content", content),
                ChatItem::Placeholder { name } => ("name", name),
            };
            match map.get(txn, key) {
                Some(Out::YText(text)) => text::set(txn, &text, value),
                _ => {
                    map.insert(txn, key, TextPrelim::new(value.clone()));
                }
            }
        }
    }

    fn entries<T: ReadTxn>(&self, txn: &T) -> Vec<(MapRef, String, f64)> {
        ordered::entries(&self.messages, txn)
    }

    fn entry<T: ReadTxn>(&self, txn: &T, id: &str) -> Option<(MapRef, f64)> {
        self.entries(txn).into_iter().find(|(_, i, _)| i == id).map(|(map, _, order)| (map, order))
    }

    /// The shared text behind `field`, if the document has it.
    pub fn text_ref<T: ReadTxn>(&self, txn: &T, field: &Field) -> Option<TextRef> {
        Some(match field {
            Field::Text => self.text.clone(),
            Field::Config => self.config.clone(),
            Field::Labels => self.labels.clone(),
            Field::Tags => self.tags.clone(),
            Field::Commit => self.commit.clone(),
            Field::Content(id) | Field::Placeholder(id) => {
                let key = if matches!(field, Field::Content(_)) { "content" } else { "name" };
                match self.entry(txn, id)?.0.get(txn, key)? {
                    Out::YText(text) => text,
                    _ => return None,
                }
            }
        })
    }

    /// The document as JSON (tests and diagnostics).
    pub fn to_json<T: ReadTxn>(&self, txn: &T) -> Any {
        Any::from(std::collections::HashMap::from([
            (TEXT.to_string(), Any::from(self.text.get_string(txn))),
            (DRAFT.to_string(), self.flags.to_json(txn)),
            (MESSAGES.to_string(), self.messages.to_json(txn)),
        ]))
    }
}

/// Reads a whole document's draft (a fresh read transaction).
pub fn read(doc: &yrs::Doc) -> SharedDraft {
    let roots = DraftDoc::of(doc);
    let txn = doc.transact();
    roots.read(&txn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::new_doc_with_client;
    use yrs::updates::decoder::Decode;

    fn chat() -> PromptDraft {
        PromptDraft {
            prompt_type: PromptType::Chat,
            messages: vec![
                ChatItem::Message { role: "system".into(), content: "You are terse.".into() },
                ChatItem::Placeholder { name: "history".into() },
                ChatItem::Message { role: "user".into(), content: "{{question}}".into() },
            ],
            config: "{\"model\": \"gpt-4o\"}".into(),
            production: true,
            custom_labels: "beta".into(),
            keep_tags: true,
            tags: "a, b".into(),
            commit_message: "start".into(),
            ..PromptDraft::default()
        }
    }

    fn sync(from: &yrs::Doc, to: &yrs::Doc) {
        let update = from.transact().encode_state_as_update_v1(&to.transact().state_vector());
        to.transact_mut().apply_update(yrs::Update::decode_v1(&update).unwrap()).unwrap();
    }

    #[test]
    fn a_seeded_draft_reads_back() {
        let doc = new_doc_with_client(1);
        let roots = DraftDoc::of(&doc);
        assert!(!roots.is_seeded(&doc.transact()));
        roots.seed(&mut doc.transact_mut(), &chat(), Some(3));
        let shared = read(&doc);
        assert_eq!(shared.draft, chat());
        assert_eq!(shared.base, Some(3));
        assert_eq!(shared.message_ids.len(), 3);
        assert!(roots.is_seeded(&doc.transact()));
    }

    #[test]
    fn moves_and_edits_of_different_people_both_apply() {
        let a = new_doc_with_client(1);
        DraftDoc::of(&a).seed(&mut a.transact_mut(), &chat(), Some(1));
        let b = new_doc_with_client(2);
        sync(&a, &b);
        // A moves the last message first; B types in it at the same time.
        let mut mine = read(&a);
        let last = mine.draft.messages.pop().unwrap();
        let last_id = mine.message_ids.pop().unwrap();
        mine.draft.messages.insert(0, last);
        mine.message_ids.insert(0, last_id.clone());
        DraftDoc::of(&a).write(&mut a.transact_mut(), &mine);
        let mut theirs = read(&b);
        theirs.draft.messages[2] = ChatItem::Message { role: "user".into(), content: "{{question}}?".into() };
        DraftDoc::of(&b).write(&mut b.transact_mut(), &theirs);
        sync(&a, &b);
        sync(&b, &a);
        let (ra, rb) = (read(&a), read(&b));
        assert_eq!(ra, rb);
        assert_eq!(ra.message_ids[0], last_id);
        assert_eq!(ra.draft.messages[0], ChatItem::Message { role: "user".into(), content: "{{question}}?".into() });
        assert_eq!(ra.draft.messages.len(), 3);
    }

    #[test]
    fn added_and_removed_messages() {
        let doc = new_doc_with_client(1);
        let roots = DraftDoc::of(&doc);
        roots.seed(&mut doc.transact_mut(), &chat(), None);
        let mut shared = read(&doc);
        shared.draft.messages.remove(1);
        shared.message_ids.remove(1);
        shared.draft.messages.push(ChatItem::Message { role: "assistant".into(), content: "ok".into() });
        shared.message_ids.push("new-1".into());
        roots.write(&mut doc.transact_mut(), &shared);
        assert_eq!(read(&doc).draft.messages, shared.draft.messages);
        assert_eq!(read(&doc).message_ids, shared.message_ids);
        // Writing the same state again changes nothing.
        let before = doc.transact().state_vector();
        roots.write(&mut doc.transact_mut(), &shared);
        assert_eq!(doc.transact().state_vector(), before);
    }

    #[test]
    fn orders_change_only_what_moved() {
        use super::ordered::orders;
        assert_eq!(orders(&[Some(3.0), Some(1.0), Some(2.0)]), vec![0.0, 1.0, 2.0]);
        assert_eq!(orders(&[Some(1.0), None, Some(2.0)]), vec![1.0, 1.5, 2.0]);
        assert_eq!(orders(&[None, None]), vec![0.0, 1.0]);
        assert_eq!(orders(&[Some(2.0), Some(1.0)]), vec![2.0, 3.0]);
    }

    #[test]
    fn fields_have_keys_that_parse_back() {
        for field in [Field::Text, Field::Config, Field::Labels, Field::Tags, Field::Commit, Field::Content("1-2".into()), Field::Placeholder("x".into())] {
            assert_eq!(Field::parse(&field.key()), Some(field));
        }
        assert_eq!(Field::parse("msg/x/other"), None);
    }
}
