//! Datasets and experiment runs (docs/COMPATIBILITY.md §7.2): the objects
//! in Langfuse's public shapes (`Dataset`, `DatasetItem`, `DatasetRun`, `DatasetRunItem`), which
//! the UI shows as they are, the rules a dataset name and an item id follow, and the UI's list
//! rows (folders, counts).
//!
//! Items are versioned as in Langfuse: every change is a new version of the item with its own
//! `valid_from` ([`DatasetItem::version`]); the store keeps the history
//! ([`DatasetItemVersion`]) and a run item records which version it ran
//! ([`DatasetRunItem::dataset_item_version`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest dataset name, in characters (as prompt names).
pub const MAX_NAME: usize = 255;
/// Longest dataset item id, in characters (Langfuse's `id` 1–255).
pub const MAX_ITEM_ID: usize = 255;
/// Datasets per page of the UI's list.
pub const PAGE_SIZE: u32 = 50;

/// A dataset in Langfuse's shape (`GET /api/public/v2/datasets/{name}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dataset {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: Option<String>,
    /// Any JSON (`null` when never set).
    pub metadata: Value,
    /// JSON Schemas for items' input and expected output, as sent.
    pub input_schema: Option<Value>,
    pub expected_output_schema: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Whether an item takes part in experiments: only ACTIVE items are listed to the SDKs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemStatus {
    #[default]
    Active,
    Archived,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 2] = [ItemStatus::Active, ItemStatus::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Active => "ACTIVE",
            ItemStatus::Archived => "ARCHIVED",
        }
    }
}

impl fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that is not one of [`ItemStatus::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown item status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for ItemStatus {
    type Err = UnknownStatus;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ItemStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| UnknownStatus(text.to_string()))
    }
}

/// A dataset item's current (or, read `as of` a time, then-current) version in Langfuse's shape
/// (`GET /api/public/dataset-items/{id}`). Every key is always present: the Python SDK's parser
/// needs them, `null` included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetItem {
    pub id: String,
    pub status: ItemStatus,
    pub input: Value,
    pub expected_output: Value,
    pub metadata: Value,
    pub source_trace_id: Option<String>,
    pub source_observation_id: Option<String>,
    pub dataset_id: String,
    pub dataset_name: String,
    /// When the item was first created (the same for all its versions).
    pub created_at: DateTime<Utc>,
    /// When this version was made (= `version`).
    pub updated_at: DateTime<Utc>,
    /// When this version became current (its `valid_from`): what `?version=` and run items refer
    /// to. Newer Langfuse clients read it; older ones ignore it.
    pub version: DateTime<Utc>,
    /// Media attached to the item's fields. Always empty: Loupe stores dataset items' JSON as
    /// sent, without media references (the Python SDK fails to parse an item without the key).
    #[serde(default)]
    pub media_references: Vec<Value>,
}

/// One version of an item, for its history: the item as it was, and until when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetItemVersion {
    pub item: DatasetItem,
    /// When the next version replaced it; `None` for the latest.
    pub valid_to: Option<DateTime<Utc>>,
    /// A deletion: the item had no content from `item.version` on.
    pub is_deleted: bool,
}

/// An experiment run in Langfuse's shape (`GET /api/public/datasets/{name}/runs/{run}`). The id
/// is the experiment id (COMPATIBILITY.md §7.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetRun {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub metadata: Value,
    /// `None` for an experiment on local data (no dataset), which only the UI shows.
    pub dataset_id: Option<String>,
    pub dataset_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A dataset item run in a trace, in Langfuse's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetRunItem {
    pub id: String,
    pub dataset_run_id: String,
    pub dataset_run_name: String,
    pub dataset_item_id: String,
    /// The `version` (valid-from time) of the item the run used; `None` when the item was not
    /// known when the link was made. Loupe's addition to Langfuse's shape.
    pub dataset_item_version: Option<DateTime<Utc>>,
    pub trace_id: String,
    pub observation_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A run with its items (`GET /api/public/datasets/{name}/runs/{run}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetRunWithItems {
    #[serde(flatten)]
    pub run: DatasetRun,
    pub dataset_run_items: Vec<DatasetRunItem>,
}

/// A dataset as the UI's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub dataset: Dataset,
    /// Current, not deleted items (any status).
    pub items: i64,
    pub runs: i64,
    pub last_run_at: Option<DateTime<Utc>>,
}

/// A row of the UI's datasets list: a folder (with how many datasets it holds at any depth), or
/// a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DatasetListEntry {
    Folder { path: String, datasets: i64 },
    Dataset(DatasetSummary),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DatasetListPage {
    /// The folder shown (`""` for the top) and the search, as applied.
    pub folder: String,
    pub search: String,
    pub entries: Vec<DatasetListEntry>,
    /// Entries (folders and datasets) over all pages.
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}

/// A run as a dataset's runs table shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRunSummary {
    pub run: DatasetRun,
    /// Linked run items.
    pub items: i64,
}

/// The entries of `folder` (`""`: the top) among `names`: sub-folders first (by path, each with
/// the number of names below it), then the names directly in it, in the given order. A name's
/// folders are its `/`-separated segments but the last.
pub fn folder_entries<'a, T>(
    folder: &str,
    items: impl IntoIterator<Item = (&'a str, T)>,
) -> (Vec<(String, i64)>, Vec<T>) {
    let folder = folder.trim_matches('/');
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let mut folders: std::collections::BTreeMap<String, i64> = Default::default();
    let mut direct = Vec::new();
    for (name, item) in items {
        let Some(rest) = name.strip_prefix(prefix.as_str()) else {
            continue;
        };
        match rest.split_once('/') {
            Some((sub, _)) => *folders.entry(format!("{prefix}{sub}")).or_default() += 1,
            None => direct.push(item),
        }
    }
    (folders.into_iter().collect(), direct)
}

/// A rule of dataset input broken, with the field it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field in the public API's vocabulary (`name`, `id`).
    pub field: &'static str,
    pub problem: DatasetProblem,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// The rules of names and ids a person can break; `Display` in English (the public API's
/// messages), the UI words them per language by variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetProblem {
    NameEmpty,
    NameTooLong,
    NameSpaces,
    /// HTML (`<`, `>`) or a control character.
    NameCharacter(char),
    NameEmptyFolder,
    ItemIdLength,
    NulCharacter,
}

impl fmt::Display for DatasetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetProblem::NameEmpty => f.write_str("a dataset needs a name"),
            DatasetProblem::NameTooLong => {
                write!(f, "a dataset name has at most {MAX_NAME} characters")
            }
            DatasetProblem::NameSpaces => {
                f.write_str("a dataset name cannot start or end with a space")
            }
            DatasetProblem::NameCharacter(c) => write!(
                f,
                "a dataset name cannot contain {c:?} (no HTML or control characters)"
            ),
            DatasetProblem::NameEmptyFolder => f.write_str(
                "folders in a dataset name need a name: no leading, trailing or double \"/\"",
            ),
            DatasetProblem::ItemIdLength => {
                write!(f, "an item id has 1 to {MAX_ITEM_ID} characters")
            }
            DatasetProblem::NulCharacter => {
                f.write_str("contains a NUL character (\\u0000), which cannot be stored; remove it")
            }
        }
    }
}

/// A dataset name: non-empty, at most [`MAX_NAME`] characters, no surrounding spaces, no HTML
/// (`<`, `>`) or control characters, `/` separating folders (none empty), as prompt names.
pub fn check_name(name: &str) -> Result<(), FieldProblem> {
    let err = |problem| {
        Err(FieldProblem {
            field: "name",
            problem,
        })
    };
    if name.trim().is_empty() {
        return err(DatasetProblem::NameEmpty);
    }
    if name.chars().count() > MAX_NAME {
        return err(DatasetProblem::NameTooLong);
    }
    if name != name.trim() {
        return err(DatasetProblem::NameSpaces);
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '<' | '>') || c.is_control())
    {
        return err(if c == '\0' {
            DatasetProblem::NulCharacter
        } else {
            DatasetProblem::NameCharacter(c)
        });
    }
    if name.split('/').any(|segment| segment.trim().is_empty()) {
        return err(DatasetProblem::NameEmptyFolder);
    }
    Ok(())
}

/// A client-chosen item id: 1 to [`MAX_ITEM_ID`] characters, no NUL.
pub fn check_item_id(id: &str) -> Result<(), FieldProblem> {
    let count = id.chars().count();
    if count == 0 || count > MAX_ITEM_ID {
        return Err(FieldProblem {
            field: "id",
            problem: DatasetProblem::ItemIdLength,
        });
    }
    if id.contains('\0') {
        return Err(FieldProblem {
            field: "id",
            problem: DatasetProblem::NulCharacter,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_follow_the_folder_rules() {
        for good in ["qa", "evals/qa ds/v1", "中文 数据集", "a-b_c.d"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        let problem = |name: &str| check_name(name).unwrap_err();
        assert_eq!(problem("").problem, DatasetProblem::NameEmpty);
        assert_eq!(problem("   ").problem, DatasetProblem::NameEmpty);
        assert_eq!(problem(" qa").problem, DatasetProblem::NameSpaces);
        assert_eq!(
            problem("<b>qa</b>").problem,
            DatasetProblem::NameCharacter('<')
        );
        assert_eq!(problem("a\nb").problem, DatasetProblem::NameCharacter('\n'));
        assert_eq!(problem("a\0b").problem, DatasetProblem::NulCharacter);
        assert_eq!(problem("/qa").problem, DatasetProblem::NameEmptyFolder);
        assert_eq!(problem("qa/").problem, DatasetProblem::NameEmptyFolder);
        assert_eq!(problem("a//b").problem, DatasetProblem::NameEmptyFolder);
        assert_eq!(
            problem(&"x".repeat(256)).problem,
            DatasetProblem::NameTooLong
        );
        assert_eq!(check_name(&"字".repeat(255)), Ok(()));
        let shown = problem("a<b").to_string();
        assert!(
            shown.starts_with("name: ") && shown.contains("'<'"),
            "{shown}"
        );
    }

    #[test]
    fn item_ids_are_bounded() {
        assert_eq!(check_item_id("item-1"), Ok(()));
        assert_eq!(check_item_id(&"é".repeat(255)), Ok(()));
        assert_eq!(
            check_item_id("").unwrap_err().to_string(),
            "id: an item id has 1 to 255 characters"
        );
        assert_eq!(
            check_item_id(&"x".repeat(256)).unwrap_err().problem,
            DatasetProblem::ItemIdLength
        );
        assert_eq!(
            check_item_id("a\0").unwrap_err().problem,
            DatasetProblem::NulCharacter
        );
    }

    #[test]
    fn statuses_use_langfuse_spelling() {
        assert_eq!("ARCHIVED".parse::<ItemStatus>(), Ok(ItemStatus::Archived));
        assert!("archived".parse::<ItemStatus>().is_err());
        assert_eq!(
            serde_json::to_value(ItemStatus::Active).unwrap(),
            json!("ACTIVE")
        );
    }

    #[test]
    fn an_item_serializes_every_key_the_sdks_need() {
        let t = DateTime::parse_from_rfc3339("2026-12-09T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let item = DatasetItem {
            id: "i".into(),
            status: ItemStatus::Active,
            input: json!({"q": 1}),
            expected_output: Value::Null,
            metadata: Value::Null,
            source_trace_id: None,
            source_observation_id: None,
            dataset_id: "d".into(),
            dataset_name: "qa/x".into(),
            created_at: t,
            updated_at: t,
            version: t,
            media_references: Vec::new(),
        };
        let value = serde_json::to_value(&item).unwrap();
        for key in [
            "id",
            "status",
            "input",
            "expectedOutput",
            "metadata",
            "sourceTraceId",
            "sourceObservationId",
            "datasetId",
            "datasetName",
            "createdAt",
            "updatedAt",
            "version",
        ] {
            assert!(value.get(key).is_some(), "missing {key}");
        }
        assert_eq!(value["mediaReferences"], json!([]));
        assert_eq!(value["status"], json!("ACTIVE"));
        assert_eq!(value["expectedOutput"], Value::Null);
    }

    #[test]
    fn a_run_with_items_is_flat() {
        let t = DateTime::parse_from_rfc3339("2026-12-09T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let run = DatasetRun {
            id: "r".into(),
            name: "exp".into(),
            description: None,
            metadata: Value::Null,
            dataset_id: Some("d".into()),
            dataset_name: Some("qa".into()),
            created_at: t,
            updated_at: t,
        };
        let value = serde_json::to_value(DatasetRunWithItems {
            run,
            dataset_run_items: Vec::new(),
        })
        .unwrap();
        assert_eq!(value["name"], json!("exp"));
        assert_eq!(value["datasetName"], json!("qa"));
        assert_eq!(value["datasetRunItems"], json!([]));
    }

    #[test]
    fn folders_group_names_below_the_folder() {
        let names = ["a", "evals/x", "evals/y/z", "evals/y/w", "other/q"];
        let (folders, direct) = folder_entries("", names.iter().map(|n| (*n, *n)));
        assert_eq!(
            folders,
            vec![("evals".to_string(), 3), ("other".to_string(), 1)]
        );
        assert_eq!(direct, vec!["a"]);
        let (folders, direct) = folder_entries("evals/", names.iter().map(|n| (*n, *n)));
        assert_eq!(folders, vec![("evals/y".to_string(), 2)]);
        assert_eq!(direct, vec!["evals/x"]);
        let (folders, direct) = folder_entries("nothing", names.iter().map(|n| (*n, *n)));
        assert!(folders.is_empty() && direct.is_empty());
    }
}
