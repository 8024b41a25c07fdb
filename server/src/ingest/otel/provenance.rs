//! Which attribute fed which field: the mapping inspector's record, made by the mapper itself so it
//! cannot drift from what ingestion does.
//!
//! Every [`Attributes`] carries a [`Recorder`]. The mapping code names the field it is computing
//! (`attrs.mapping(field::MODEL, || generation::model(attrs))`); while the rule runs, each lookup
//! that hands it a value (`get`, `str`, `truthy`, `meaningful`, `first_text`) records the key, and
//! prefix scans record the entries they keep (`use_entry`). A field that comes out empty forgets
//! the reads made for it (the rule looked but used nothing), and so does a failed
//! [`Attributes::attempt`] inside a rule (a value read, then rejected). Lookups that only decide
//! *whether* a rule applies use [`Attributes::peek`], which records nothing; lookups outside any
//! field (trace-update triggers, the root check) record nothing either.
//!
//! The cost is one small vector of `(entry index, field)` per span, and the stored OTel record's
//! `mapped` object (`{"resource": {key: [field, ...]}, "span": {...}}`), written straight into the
//! record by [`mapped`]: keys and names are borrowed from the attributes and the rules (a usage
//! type's name is the one copy), and no JSON tree is built per span.

use std::cell::{Cell, RefCell};
use std::borrow::Cow;
use std::collections::BTreeMap;

use foldhash::{HashMap as FoldHashMap, HashSet as FoldHashSet};

use serde_json::{Map, Value};

use super::attributes::Attributes;

/// Field names in the UI's (Langfuse's) vocabulary.
pub mod field {
    pub const TYPE: &str = "type";
    pub const NAME: &str = "name";
    pub const INPUT: &str = "input";
    pub const OUTPUT: &str = "output";
    pub const METADATA: &str = "metadata";
    pub const LEVEL: &str = "level";
    pub const STATUS_MESSAGE: &str = "statusMessage";
    pub const VERSION: &str = "version";
    pub const ENVIRONMENT: &str = "environment";
    pub const MODEL: &str = "model";
    pub const MODEL_PARAMETERS: &str = "modelParameters";
    pub const USAGE_DETAILS: &str = "usageDetails";
    pub const COST_DETAILS: &str = "costDetails";
    pub const COMPLETION_START_TIME: &str = "completionStartTime";
    pub const PROMPT_NAME: &str = "promptName";
    pub const PROMPT_VERSION: &str = "promptVersion";
    pub const TRACE_NAME: &str = "trace.name";
    pub const TRACE_INPUT: &str = "trace.input";
    pub const TRACE_OUTPUT: &str = "trace.output";
    pub const TRACE_USER_ID: &str = "trace.userId";
    pub const TRACE_SESSION_ID: &str = "trace.sessionId";
    pub const TRACE_TAGS: &str = "trace.tags";
    pub const TRACE_PUBLIC: &str = "trace.public";
    pub const TRACE_METADATA: &str = "trace.metadata";
    pub const RELEASE: &str = "release";
}

/// Which part of a field a value went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// The field itself (`model`), or all of an object field (`metadata` from a JSON object).
    Whole,
    /// One entry of an object field, named by the attribute key from this byte on
    /// (`langfuse.observation.metadata.tenant` → `metadata.tenant`).
    KeySuffix(u16),
    /// One entry of an object field, under a name of the rule's (`modelParameters.maxTokens`).
    Named(&'static str),
}

/// One value a rule used: the attribute (by its position in the sorted attributes) and where it
/// went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Use {
    pub index: u32,
    pub field: &'static str,
    pub entry: Entry,
}

/// The field being computed and the values used so far (see the module docs).
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    field: Cell<Option<&'static str>>,
    uses: RefCell<Vec<Use>>,
}

impl Recorder {
    pub fn record(&self, index: usize, entry: Entry) {
        if let Some(field) = self.field.get() {
            self.record_as(index, field, entry);
        }
    }

    pub fn record_as(&self, index: usize, field: &'static str, entry: Entry) {
        // Attribute lists beyond u32::MAX entries cannot be decoded (the body is capped at 64 MiB).
        if let Ok(index) = u32::try_from(index) {
            self.uses.borrow_mut().push(Use { index, field, entry });
        }
    }

    pub fn enter(&self, field: &'static str) -> Option<&'static str> {
        self.field.replace(Some(field))
    }

    pub fn leave(&self, previous: Option<&'static str>) {
        self.field.set(previous);
    }

    pub fn mark(&self) -> usize {
        self.uses.borrow().len()
    }

    /// Forgets the uses recorded since `mark`, all of them or only those of one field.
    pub fn forget_since(&self, mark: usize, field: Option<&'static str>) {
        let mut uses = self.uses.borrow_mut();
        match field {
            None => uses.truncate(mark),
            Some(field) => {
                let at = mark.min(uses.len());
                let tail = uses.split_off(at);
                uses.extend(tail.into_iter().filter(|u| u.field != field));
            }
        }
    }

    /// Records every use of `from` once more as a use of `to` (a trace field that takes the
    /// observation's value).
    pub fn alias(&self, from: &'static str, to: &'static str) {
        let mut uses = self.uses.borrow_mut();
        let copies: Vec<Use> = uses.iter().filter(|u| u.field == from).map(|u| Use { field: to, ..*u }).collect();
        uses.extend(copies);
    }

    pub fn take(&self) -> Vec<Use> {
        std::mem::take(&mut *self.uses.borrow_mut())
    }
}

/// Whether a rule's result is a value for its field (if not, the reads made for it are forgotten).
pub trait Produced {
    fn produced(&self) -> bool;
}

impl<T> Produced for Option<T> {
    fn produced(&self) -> bool {
        self.is_some()
    }
}

impl<T> Produced for Vec<T> {
    fn produced(&self) -> bool {
        !self.is_empty()
    }
}

impl Produced for Map<String, Value> {
    fn produced(&self) -> bool {
        !self.is_empty()
    }
}

impl Produced for String {
    fn produced(&self) -> bool {
        true
    }
}

impl Produced for loupe_app::domain::ObservationType {
    fn produced(&self) -> bool {
        true
    }
}

impl Produced for loupe_app::domain::ObservationLevel {
    fn produced(&self) -> bool {
        true
    }
}

impl Produced for crate::ingest::model::UsageInput {
    fn produced(&self) -> bool {
        !self.is_empty()
    }
}

/// The stored form: `{"resource": {key: [field, ...]}, "span": {key: [field, ...]}}`, serialized
/// in place into the OTel record (no JSON tree is built: this runs for every span).
///
/// `resource` uses come first: where both fill the same object entry (`metadata.tenant` from the
/// resource and from the span), the later one wins, as it does in the mapped value. The same
/// holds within each list (a rule's later source overrides an earlier one). `usage_types` turns
/// GenAI count names (`input_tokens`) into the usage types they end up as (`input`); counts that
/// end up nowhere are dropped. Linear in the number of uses (a span may carry thousands of
/// metadata keys).
pub fn mapped<'a>(span: (&'a Attributes, Vec<Use>), resource: (&'a Attributes, Vec<Use>), usage_types: &BTreeMap<String, (i64, &str)>) -> Mapped<'a> {
    // The maps below hold a span's uses and are rebuilt for every span: foldhash, not SipHash
    // (faster on short keys by its authors' benchmarks), and not FxHash either: their keys
    // include the span's attribute keys, a client's to choose, and foldhash is seeded per
    // process, so a span cannot be built to make them collide.
    let usage_type_of: FoldHashMap<&str, &str> = usage_types.iter().map(|(usage_type, (_, count))| (*count, usage_type.as_str())).collect();
    // (side, entry index, field, object entry); `None` once a later source replaced it.
    type Resolved<'a, 'u> = (usize, u32, &'static str, Option<Part<'a, 'u>>);
    // Sized for every use up front: grown one insert at a time, their inserts and rehashes were
    // 4 % of Loupe's profile on the ingestion benchmark (issue #23).
    let capacity = span.1.len() + resource.1.len();
    let mut resolved: Vec<Option<Resolved>> = Vec::with_capacity(capacity);
    let mut seen: FoldHashSet<(usize, u32, &'static str, Option<&str>)> = FoldHashSet::with_capacity_and_hasher(capacity, Default::default());
    let mut entry_source: FoldHashMap<(&'static str, &str), usize> = FoldHashMap::with_capacity_and_hasher(capacity, Default::default());
    let sides = [resource.0, span.0];
    for (side, uses) in [&resource.1, &span.1].into_iter().enumerate() {
        let attrs = sides[side];
        for u in uses {
            let Some(key) = attrs.key_at(u.index as usize) else { continue };
            let entry = match u.entry {
                Entry::Whole => None,
                Entry::KeySuffix(start) => key.get(usize::from(start)..).filter(|s| !s.is_empty()).map(Part::Key),
                Entry::Named(name) => Some(Part::Named(name)),
            };
            let entry = match (u.field, entry) {
                (field::USAGE_DETAILS, Some(count)) => match usage_type_of.get(count.text()) {
                    Some(usage_type) => Some(Part::Usage(usage_type)),
                    None => continue,
                },
                (_, entry) => entry,
            };
            if !seen.insert((side, u.index, u.field, entry.map(|e| e.text()))) {
                continue;
            }
            if let Some(entry) = entry {
                // A later source of the same object entry replaces the earlier one.
                if let Some(earlier) = entry_source.insert((u.field, entry.text()), resolved.len()) {
                    resolved[earlier] = None;
                }
            }
            resolved.push(Some((side, u.index, u.field, entry)));
        }
    }
    // Per side, the attribute keys in the order of their first use, each with its fields.
    let mut out: [Vec<(&'a str, Vec<FieldName<'a>>)>; 2] = [Vec::new(), Vec::new()];
    let mut position: [FoldHashMap<u32, usize>; 2] = [
        FoldHashMap::with_capacity_and_hasher(resource.1.len(), Default::default()),
        FoldHashMap::with_capacity_and_hasher(span.1.len(), Default::default()),
    ];
    for (side, index, field, entry) in resolved.into_iter().flatten() {
        let Some(key) = sides[side].key_at(index as usize) else { continue };
        // Entries of one attribute list have distinct keys: the index names the key.
        let at = *position[side].entry(index).or_insert_with(|| {
            out[side].push((key, Vec::new()));
            out[side].len() - 1
        });
        let entry = entry.map(|e| match e {
            Part::Key(text) => Cow::Borrowed(text),
            Part::Named(text) => Cow::Borrowed(text),
            // The usage types do not outlive this call.
            Part::Usage(text) => Cow::Owned(text.to_string()),
        });
        out[side][at].1.push(FieldName { field, entry });
    }
    let [resource, span] = out;
    Mapped { resource: Side(resource), span: Side(span) }
}

/// An object entry's name: the end of an attribute key, a rule's name, or a usage type.
#[derive(Debug, Clone, Copy)]
enum Part<'a, 'u> {
    Key(&'a str),
    Named(&'static str),
    Usage(&'u str),
}

impl<'a, 'u> Part<'a, 'u> {
    fn text<'s>(self) -> &'s str
    where
        'a: 's,
        'u: 's,
    {
        match self {
            Part::Key(text) | Part::Usage(text) => text,
            Part::Named(text) => text,
        }
    }
}

/// [`mapped`]'s result, for `serde`.
#[derive(Debug, serde::Serialize)]
pub struct Mapped<'a> {
    resource: Side<'a>,
    span: Side<'a>,
}

#[derive(Debug)]
struct Side<'a>(Vec<(&'a str, Vec<FieldName<'a>>)>);

impl serde::Serialize for Side<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, fields)| (key, fields)))
    }
}

/// `field` or `field.entry`.
#[derive(Debug)]
struct FieldName<'a> {
    field: &'static str,
    entry: Option<Cow<'a, str>>,
}

impl serde::Serialize for FieldName<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.entry {
            None => serializer.serialize_str(self.field),
            Some(entry) => serializer.collect_str(&format_args!("{}.{}", self.field, entry)),
        }
    }
}
