//! A saved playground as a Yjs document (`DocumentKind::Playground`, keyed by the saved
//! playground's id): what everyone in it edits (messages or the text prompt, variables, tools,
//! response schema, variants) and the answers of the last run of each variant, so a run one
//! person starts is seen by all. One definition, used by the server (to seed the document from
//! the saved state and read it) and by the browser (to bind the page to it).
//!
//! Layout (version 1):
//! - map `playground`: `mode` ("chat" | "text"), `prompt` (the [`PromptSource`] as JSON, or "");
//! - texts `text`, `tools`, `schema`;
//! - array `messages` of maps `{id, order, role, content: Text, extra}` (`extra`: the tool calls
//!   and tool call id as JSON), ordered as [`super::ordered`] says;
//! - map `variables`: name → Text (two people filling the same variable both keep their text);
//! - array `variants` of maps `{id, order, connection, model, params}` (`params` as JSON: the
//!   last choice wins, which is what a select or a number field means);
//! - map `results`: variant id → [`SharedResult`] as JSON, written by whoever ran it (while it
//!   streams, a few times a second; then once more when it ends).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use yrs::{Any, ArrayRef, GetString, Map, MapRef, Out, ReadTxn, TextPrelim, TextRef, Transact, TransactionMut};

use super::ordered::{self, set_string, string, text_of};
use super::text;
use crate::playground::{Message, ModelParams, Playground, PromptMode, PromptSource, Role, RunUsage, ToolCall, Variant};

const ROOT: &str = "playground";
const TEXT: &str = "text";
const TOOLS: &str = "tools";
const SCHEMA: &str = "schema";
const MESSAGES: &str = "messages";
const VARIABLES: &str = "variables";
const VARIANTS: &str = "variants";
const RESULTS: &str = "results";

/// Field keys the page marks its inputs with (`data-collab`), to keep carets on the same
/// characters across remote changes and to tell the others where one's caret is.
pub fn text_key() -> String {
    TEXT.into()
}
pub fn tools_key() -> String {
    TOOLS.into()
}
pub fn schema_key() -> String {
    SCHEMA.into()
}
/// The content of the message shown at `index`.
pub fn message_key(index: usize) -> String {
    format!("msg/{index}")
}
pub fn variable_key(name: &str) -> String {
    format!("var/{name}")
}

/// How a variant's last run ended (or that it is still going).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultStatus {
    Running,
    Done,
    Stopped,
    Failed,
}

/// A variant's last run, as everyone in the playground sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedResult {
    pub status: ResultStatus,
    /// Who ran it (their name, as the others know them).
    pub by: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<RunUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// Why it failed, in the words of the person who ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The playground as the page shows it, with the ids of its messages and variants (so the
/// next write changes only what the person changed) and the variants' last results.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SharedPlayground {
    pub playground: Playground,
    /// `playground.messages[i]` has id `message_ids[i]`.
    pub message_ids: Vec<String>,
    /// `playground.variants[i]` has id `variant_ids[i]`.
    pub variant_ids: Vec<String>,
    /// By variant id.
    pub results: BTreeMap<String, SharedResult>,
}

impl SharedPlayground {
    /// The result of the variant shown at `index`.
    pub fn result(&self, index: usize) -> Option<&SharedResult> {
        self.results.get(self.variant_ids.get(index)?)
    }
}

/// A saved playground as the page loads it: the document's generation and its content then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaygroundView {
    pub generation: i64,
    pub shared: SharedPlayground,
}

/// Tool calls and the tool call id of a message, kept together as one value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extra {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<String>,
}

/// The roots of a playground document.
#[derive(Clone)]
pub struct PlaygroundDoc {
    root: MapRef,
    text: TextRef,
    tools: TextRef,
    schema: TextRef,
    messages: ArrayRef,
    variables: MapRef,
    variants: ArrayRef,
    results: MapRef,
}

impl PlaygroundDoc {
    /// The roots of `doc` (made if missing; call before any transaction is open).
    pub fn of(doc: &yrs::Doc) -> PlaygroundDoc {
        PlaygroundDoc {
            root: doc.get_or_insert_map(ROOT),
            text: doc.get_or_insert_text(TEXT),
            tools: doc.get_or_insert_text(TOOLS),
            schema: doc.get_or_insert_text(SCHEMA),
            messages: doc.get_or_insert_array(MESSAGES),
            variables: doc.get_or_insert_map(VARIABLES),
            variants: doc.get_or_insert_array(VARIANTS),
            results: doc.get_or_insert_map(RESULTS),
        }
    }

    /// Whether the document was ever seeded (a new one is empty until the server seeds it).
    pub fn is_seeded<T: ReadTxn>(&self, txn: &T) -> bool {
        self.root.get(txn, "mode").is_some()
    }

    /// Fills an empty document from a saved state.
    pub fn seed(&self, txn: &mut TransactionMut, playground: &Playground) {
        let shared = SharedPlayground {
            playground: playground.clone(),
            message_ids: (0..playground.messages.len()).map(|i| format!("s{i}")).collect(),
            variant_ids: (0..playground.variants.len()).map(|i| format!("v{i}")).collect(),
            results: BTreeMap::new(),
        };
        self.write(txn, &shared);
    }

    /// The playground as it stands.
    pub fn read<T: ReadTxn>(&self, txn: &T) -> SharedPlayground {
        let mode = match string(&self.root, txn, "mode").as_deref() {
            Some("text") => PromptMode::Text,
            _ => PromptMode::Chat,
        };
        let prompt = string(&self.root, txn, "prompt").and_then(|p| serde_json::from_str::<PromptSource>(&p).ok());
        let mut messages = Vec::new();
        let mut message_ids = Vec::new();
        for (map, id, _) in ordered::entries(&self.messages, txn) {
            let role = string(&map, txn, "role").and_then(|r| Role::parse(&r)).unwrap_or(Role::User);
            let extra: Extra = string(&map, txn, "extra").and_then(|e| serde_json::from_str(&e).ok()).unwrap_or_default();
            messages.push(Message { role, content: text_of(&map, txn, "content"), tool_calls: extra.tool_calls, tool_call_id: extra.tool_call_id });
            message_ids.push(id);
        }
        let mut variants = Vec::new();
        let mut variant_ids = Vec::new();
        for (map, id, _) in ordered::entries(&self.variants, txn) {
            let params: ModelParams = string(&map, txn, "params").and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default();
            variants.push(Variant {
                connection: string(&map, txn, "connection").unwrap_or_default(),
                model: string(&map, txn, "model").unwrap_or_default(),
                params,
            });
            variant_ids.push(id);
        }
        let variables = self
            .variables
            .iter(txn)
            .map(|(name, value)| {
                let value = match value {
                    Out::YText(text) => text.get_string(txn),
                    _ => String::new(),
                };
                (name.to_string(), value)
            })
            .collect();
        let results = self
            .results
            .iter(txn)
            .filter_map(|(id, value)| match value {
                Out::Any(Any::String(json)) => serde_json::from_str::<SharedResult>(&json).ok().map(|r| (id.to_string(), r)),
                _ => None,
            })
            .collect();
        SharedPlayground {
            playground: Playground {
                mode,
                messages,
                text: self.text.get_string(txn),
                variables,
                tools: self.tools.get_string(txn),
                response_schema: self.schema.get_string(txn),
                variants,
                prompt,
            },
            message_ids,
            variant_ids,
            results,
        }
    }

    /// Makes the document say what `shared` says (results aside: see [`Self::write_result`]),
    /// with the smallest edits: texts by one edit each, values only where they differ,
    /// messages and variants matched by id.
    pub fn write(&self, txn: &mut TransactionMut, shared: &SharedPlayground) {
        let playground = &shared.playground;
        set_string(txn, &self.root, "mode", if playground.mode == PromptMode::Text { "text" } else { "chat" });
        let prompt = playground.prompt.as_ref().and_then(|p| serde_json::to_string(p).ok()).unwrap_or_default();
        set_string(txn, &self.root, "prompt", &prompt);
        text::set(txn, &self.text, &playground.text);
        text::set(txn, &self.tools, &playground.tools);
        text::set(txn, &self.schema, &playground.response_schema);

        let maps = ordered::place(txn, &self.messages, &shared.message_ids);
        for (map, message) in maps.iter().zip(&playground.messages) {
            set_string(txn, map, "role", message.role.as_str());
            let extra = Extra { tool_calls: message.tool_calls.clone(), tool_call_id: message.tool_call_id.clone() };
            set_string(txn, map, "extra", &serde_json::to_string(&extra).unwrap_or_default());
            set_text(txn, map, "content", &message.content);
        }

        let names: Vec<String> = self.variables.keys(txn).map(str::to_string).collect();
        for name in names {
            if !playground.variables.contains_key(&name) {
                self.variables.remove(txn, &name);
            }
        }
        for (name, value) in &playground.variables {
            set_text(txn, &self.variables, name, value);
        }

        let maps = ordered::place(txn, &self.variants, &shared.variant_ids);
        for (map, variant) in maps.iter().zip(&playground.variants) {
            set_string(txn, map, "connection", &variant.connection);
            set_string(txn, map, "model", &variant.model);
            set_string(txn, map, "params", &serde_json::to_string(&variant.params).unwrap_or_default());
        }
        // Results of variants that are gone go with them.
        let stale: Vec<String> = self.results.keys(txn).filter(|id| !shared.variant_ids.iter().any(|v| v == id)).map(str::to_string).collect();
        for id in stale {
            self.results.remove(txn, &id);
        }
    }

    /// Records the last run of variant `variant_id` (nothing when it already says so).
    pub fn write_result(&self, txn: &mut TransactionMut, variant_id: &str, result: &SharedResult) {
        set_string(txn, &self.results, variant_id, &serde_json::to_string(result).unwrap_or_default());
    }

    /// The shared text behind field `key` (see the `*_key` functions), if the document has it.
    pub fn text_ref<T: ReadTxn>(&self, txn: &T, key: &str) -> Option<TextRef> {
        match key {
            TEXT => Some(self.text.clone()),
            TOOLS => Some(self.tools.clone()),
            SCHEMA => Some(self.schema.clone()),
            _ => {
                let found = if let Some(index) = key.strip_prefix("msg/") {
                    let index: usize = index.parse().ok()?;
                    ordered::entries(&self.messages, txn).into_iter().nth(index)?.0.get(txn, "content")?
                } else {
                    self.variables.get(txn, key.strip_prefix("var/")?)?
                };
                match found {
                    Out::YText(text) => Some(text),
                    _ => None,
                }
            }
        }
    }
}

/// Reads a whole document's playground (a fresh read transaction).
pub fn read(doc: &yrs::Doc) -> SharedPlayground {
    let roots = PlaygroundDoc::of(doc);
    let txn = doc.transact();
    roots.read(&txn)
}

/// Makes text `key` of `map` read `value` (made when missing).
fn set_text(txn: &mut TransactionMut, map: &MapRef, key: &str, value: &str) {
    match map.get(txn, key) {
        Some(Out::YText(text)) => text::set(txn, &text, value),
        _ => {
            map.insert(txn, key, TextPrelim::new(value.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::new_doc_with_client;
    use yrs::updates::decoder::Decode;

    fn saved() -> Playground {
        Playground {
            mode: PromptMode::Chat,
            messages: vec![
                Message::new(Role::System, "You are terse."),
                Message { role: Role::Assistant, content: String::new(), tool_calls: vec![ToolCall { id: "c1".into(), name: "f".into(), arguments: "{}".into() }], tool_call_id: None },
                Message::new(Role::User, "{{question}}"),
            ],
            variables: [("question".to_string(), "Why?".to_string())].into_iter().collect(),
            tools: "[]".into(),
            variants: vec![
                Variant { connection: "openai".into(), model: "gpt-4o".into(), params: ModelParams { temperature: Some(0.2), ..ModelParams::default() } },
                Variant { connection: "openai".into(), model: "gpt-4o-mini".into(), params: ModelParams::default() },
            ],
            prompt: Some(PromptSource { name: "support".into(), version: 3 }),
            ..Playground::default()
        }
    }

    fn sync(from: &yrs::Doc, to: &yrs::Doc) {
        let update = from.transact().encode_state_as_update_v1(&to.transact().state_vector());
        to.transact_mut().apply_update(yrs::Update::decode_v1(&update).unwrap()).unwrap();
    }

    #[test]
    fn a_seeded_playground_reads_back() {
        let doc = new_doc_with_client(1);
        let roots = PlaygroundDoc::of(&doc);
        assert!(!roots.is_seeded(&doc.transact()));
        roots.seed(&mut doc.transact_mut(), &saved());
        let shared = read(&doc);
        assert_eq!(shared.playground, saved());
        assert_eq!((shared.message_ids.len(), shared.variant_ids.len()), (3, 2));
        assert!(roots.is_seeded(&doc.transact()));
        // Writing the same state again changes nothing.
        let before = doc.transact().state_vector();
        roots.write(&mut doc.transact_mut(), &shared);
        assert_eq!(doc.transact().state_vector(), before);
    }

    #[test]
    fn two_people_editing_at_once_both_keep_their_changes() {
        let a = new_doc_with_client(1);
        PlaygroundDoc::of(&a).seed(&mut a.transact_mut(), &saved());
        let b = new_doc_with_client(2);
        sync(&a, &b);
        // A types in the question variable and adds a variant; B types in the same variable,
        // changes the first variant's model and removes the assistant message.
        let mut mine = read(&a);
        mine.playground.variables.insert("question".into(), "Why not?".into());
        mine.playground.variants.push(Variant { connection: "openai".into(), model: "o3".into(), params: ModelParams::default() });
        mine.variant_ids.push("a-new".into());
        PlaygroundDoc::of(&a).write(&mut a.transact_mut(), &mine);
        let mut theirs = read(&b);
        theirs.playground.variables.insert("question".into(), "Why? Really".into());
        theirs.playground.variants[0].model = "gpt-4.1".into();
        theirs.playground.messages.remove(1);
        theirs.message_ids.remove(1);
        PlaygroundDoc::of(&b).write(&mut b.transact_mut(), &theirs);
        PlaygroundDoc::of(&b).write_result(
            &mut b.transact_mut(),
            &theirs.variant_ids[0],
            &SharedResult { status: ResultStatus::Done, by: "Bea".into(), text: "Because.".into(), tool_calls: vec![], ttft_ms: Some(5), total_ms: Some(9), usage: None, cost: None, trace_id: None, error: None },
        );
        sync(&a, &b);
        sync(&b, &a);
        let (ra, rb) = (read(&a), read(&b));
        assert_eq!(ra, rb);
        assert_eq!(ra.playground.variables["question"], "Why not? Really");
        assert_eq!(ra.playground.variants.iter().map(|v| v.model.as_str()).collect::<Vec<_>>(), vec!["gpt-4.1", "gpt-4o-mini", "o3"]);
        assert_eq!(ra.playground.messages.len(), 2);
        assert_eq!(ra.result(0).map(|r| r.text.as_str()), Some("Because."));
        assert_eq!(ra.result(1), None);
    }

    #[test]
    fn field_keys_find_their_texts() {
        let doc = new_doc_with_client(1);
        let roots = PlaygroundDoc::of(&doc);
        roots.seed(&mut doc.transact_mut(), &saved());
        let txn = doc.transact();
        assert_eq!(roots.text_ref(&txn, &message_key(2)).map(|t| t.get_string(&txn)).as_deref(), Some("{{question}}"));
        assert_eq!(roots.text_ref(&txn, &variable_key("question")).map(|t| t.get_string(&txn)).as_deref(), Some("Why?"));
        assert_eq!(roots.text_ref(&txn, &tools_key()).map(|t| t.get_string(&txn)).as_deref(), Some("[]"));
        assert!(roots.text_ref(&txn, "msg/9").is_none() && roots.text_ref(&txn, "nope").is_none());
    }
}
