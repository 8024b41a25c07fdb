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
