//! Human annotation (#20): annotation queues and their items, as the public API
//! (`/api/public/annotation-queues`, Langfuse's shapes) and the UI show them, and what a
//! reviewer is handed when they ask for the next item.
//!
//! A queue names the score configs its reviewers fill and how many distinct reviewers each item
//! needs (`reviewersPerItem`, 1 by default; Loupe's addition to Langfuse's shape). An item is a
//! trace, an observation or a session, once per queue. A reviewer asking for the next item gets
//! the oldest pending one they have not completed or skipped and nobody else has open; it is
//! then locked to them for [`LOCK_SECONDS`] (renewed while they work), so two reviewers never
//! score the same item at once. An item is COMPLETED once `reviewersPerItem` reviewers completed
//! it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long an item stays locked to the reviewer who has it open without a renewal.
pub const LOCK_SECONDS: i64 = 300;
/// Most distinct reviewers an item may ask for.
pub const MAX_REVIEWERS_PER_ITEM: i32 = 20;

/// What an item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectType {
    Trace,
    Observation,
    Session,
}

impl ObjectType {
    pub const ALL: [ObjectType; 3] = [ObjectType::Trace, ObjectType::Observation, ObjectType::Session];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Trace => "TRACE",
            ObjectType::Observation => "OBSERVATION",
            ObjectType::Session => "SESSION",
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ObjectType {
    type Err = UnknownValue;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ObjectType::ALL.into_iter().find(|t| t.as_str() == text).ok_or_else(|| UnknownValue(text.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemStatus {
    Pending,
    Completed,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 2] = [ItemStatus::Pending, ItemStatus::Completed];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pending => "PENDING",
            ItemStatus::Completed => "COMPLETED",
        }
    }
}

impl fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ItemStatus {
    type Err = UnknownValue;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ItemStatus::ALL.into_iter().find(|t| t.as_str() == text).ok_or_else(|| UnknownValue(text.to_string()))
    }
}

/// A stored value this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownValue(pub String);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationQueue {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub score_config_ids: Vec<String>,
    pub reviewers_per_item: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationQueueItem {
    pub id: String,
    pub queue_id: String,
    pub object_id: String,
    pub object_type: ObjectType,
    pub status: ItemStatus,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a reviewer may do with an item they asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Scored: counts towards the item's reviewers.
    Completed,
    /// Passed over: this reviewer is not handed it again; it stays pending for the others.
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "COMPLETED",
            Outcome::Skipped => "SKIPPED",
        }
    }
}

/// Longest comment on an annotation score, in characters.
pub const MAX_SCORE_COMMENT_CHARS: usize = 3000;

/// What a person annotates: a trace, one of its observations, or a session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Target {
    Trace { trace_id: String },
    Observation { trace_id: String, observation_id: String },
    Session { session_id: String },
}

impl Target {
    pub fn object_type(&self) -> ObjectType {
        match self {
            Target::Trace { .. } => ObjectType::Trace,
            Target::Observation { .. } => ObjectType::Observation,
            Target::Session { .. } => ObjectType::Session,
        }
    }

    /// The id a queue item names the target by.
    pub fn object_id(&self) -> &str {
        match self {
            Target::Trace { trace_id } => trace_id,
            Target::Observation { observation_id, .. } => observation_id,
            Target::Session { session_id } => session_id,
        }
    }

    /// Whether `score` is about exactly this target.
    pub fn matches(&self, score: &crate::score_views::Score) -> bool {
        match self {
            Target::Trace { trace_id } => score.trace_id.as_deref() == Some(trace_id) && score.observation_id.is_none(),
            Target::Observation { trace_id, observation_id } => {
                score.trace_id.as_deref() == Some(trace_id) && score.observation_id.as_deref() == Some(observation_id)
            }
            Target::Session { session_id } => score.session_id.as_deref() == Some(session_id),
        }
    }
}

pub use crate::account::Person;

/// What the "Annotate" form shows for a target: the configs to fill (archived ones left out), the
/// annotation scores already there (everyone's), who wrote them, and what the viewer may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnotationForm {
    pub configs: Vec<crate::score_views::ScoreConfig>,
    pub scores: Vec<crate::score_views::Score>,
    pub people: Vec<Person>,
    /// The signed-in person's account id.
    pub me: String,
    /// Members and up write scores; Viewers only read them.
    pub can_annotate: bool,
    /// Admins change and delete anyone's annotations.
    pub can_edit_any: bool,
}

impl AnnotationForm {
    /// The viewer's own score for a config, which their form edits.
    pub fn mine(&self, config_id: &str) -> Option<&crate::score_views::Score> {
        self.scores.iter().find(|s| s.config_id.as_deref() == Some(config_id) && s.author_user_id.as_deref() == Some(self.me.as_str()))
    }

    pub fn name_of(&self, id: &str) -> String {
        self.people.iter().find(|p| p.id == id).map_or_else(|| id.to_string(), |p| p.name.clone())
    }
}

/// One annotation as the form sends it: the value is a number (NUMERIC), a category's label
/// (CATEGORICAL) or `true`/`false` (BOOLEAN). `score_id` edits an existing annotation (an
/// Admin's correction of someone else's); without it the author's own score for the config and
/// target is written (created or replaced: one per person, config and target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnotationInput {
    pub target: Target,
    pub config_id: String,
    pub value: serde_json::Value,
    pub comment: Option<String>,
    pub queue_id: Option<String>,
    pub score_id: Option<String>,
}

/// How far a queue is: items by where they stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounts {
    pub total: i64,
    pub pending: i64,
    /// Pending and open in someone's review right now.
    pub in_progress: i64,
    pub completed: i64,
}

/// A queue as the queues list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueSummary {
    pub queue: AnnotationQueue,
    pub counts: QueueCounts,
    pub assignees: Vec<Person>,
}

/// One reviewer's work on a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerProgress {
    pub person: Person,
    pub completed: i64,
    pub skipped: i64,
}

/// A queue's page: the queue, its configs, people and progress, and what the viewer may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueOverview {
    pub queue: AnnotationQueue,
    pub configs: Vec<crate::score_views::ScoreConfig>,
    pub assignees: Vec<Person>,
    pub counts: QueueCounts,
    pub reviewers: Vec<ReviewerProgress>,
    /// Members and up review and add items; Viewers read.
    pub can_review: bool,
}

/// Where an item stands for the queue page's filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemFilter {
    All,
    Pending,
    InProgress,
    Completed,
}

/// An item as the queue page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItemRow {
    pub item: AnnotationQueueItem,
    /// The trace the item opens (the observation's trace for an observation).
    pub trace_id: Option<String>,
    /// The trace's or observation's name.
    pub label: Option<String>,
    /// Who has it open now.
    pub locked_by: Option<Person>,
    /// Who completed it.
    pub completed_by: Vec<Person>,
}

/// Items per page of the queue page's list.
pub const ITEMS_PER_PAGE: i64 = 50;

/// A page of a queue's items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItemPage {
    pub rows: Vec<QueueItemRow>,
    pub total: i64,
}

/// The review page's state: the item handed to the reviewer (none: nothing left for them) and
/// their progress through the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewState {
    pub queue: AnnotationQueue,
    pub item: Option<ReviewItem>,
    pub counts: QueueCounts,
    /// Items this reviewer completed or skipped.
    pub done_by_me: i64,
}

/// An item handed to a reviewer, locked to them until `locked_until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub item: AnnotationQueueItem,
    pub target: Target,
    pub locked_until: DateTime<Utc>,
}

/// The most traces one "add all matching" request adds.
pub const MAX_IMPORT_ITEMS: i32 = 10_000;

/// An "add all matching traces" request and its progress (done in the background).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueImport {
    pub id: String,
    pub queue_id: String,
    pub max_items: i32,
    /// Traces looked at so far.
    pub seen: i32,
    /// Of those, items new to the queue.
    pub added: i32,
    pub done: bool,
    pub error: Option<String>,
}

/// Agreement between a queue's reviewers on one of its configs: all reviewer pairs pooled, and
/// each pair on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigAgreement {
    pub config_name: String,
    pub pooled: crate::score_stats::Agreement,
    pub pairs: Vec<PairAgreement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairAgreement {
    pub a: Person,
    pub b: Person,
    pub agreement: crate::score_stats::Agreement,
}
