//! Datasets, their versioned items, experiment runs and run items (docs/COMPATIBILITY.md §7.2;
//! tables in `migrations/20261209000001_create_datasets.sql`). Every query is scoped by project.
//!
//! **Items are versioned** as Langfuse's: a write never changes an item's row, it closes the open
//! row (`valid_to`) and inserts the next version with `valid_from = max(now, previous + 1 ms)`,
//! so versions are strictly ordered even within one millisecond. Deleting inserts a tombstone
//! (`is_deleted`). Every write to an item runs in one transaction under a per-(project, item id)
//! advisory lock, which also makes the "ids are unique per project across datasets" check
//! (Langfuse's 409) race-free. "Current" means the open row, not deleted; `as_of` reads the row
//! in effect at a time (`valid_from <= T < valid_to`).
//!
//! **Runs** are keyed by the experiment id. `POST /dataset-run-items` creates a run with
//! [`experiment_id`], the stable hash the Python 5 SDK computes itself, so runs of one
//! `(dataset, name)` from any SDK meet in one row; OTLP experiment spans
//! (`crate::ingest::experiments`) create runs with the id the span carries.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgRow;
use sqlx::{Acquire, PgConnection, PgPool, Postgres, QueryBuilder, Row};

use super::query::{enum_column, Page};
use super::{StoreError, Upsert};
use crate::datasets_schema::{ItemSchemas, SchemaError, Subject, Violation, EXAMPLES};
use crate::scope::ProjectId;
use futures_util::TryStreamExt;
use loupe_domain::datasets::{
    folder_entries, Dataset, DatasetItem, DatasetItemVersion, DatasetListEntry, DatasetListPage,
    DatasetRun, DatasetRunItem, DatasetRunSummary, DatasetSummary, ItemStatus, PAGE_SIZE,
};

// ---------------------------------------------------------------------------------------------
// Experiment ids

/// The stable experiment id of a run `(dataset, name)`, as the Python 5 SDK and Langfuse v4
/// compute it: the first 16 hex digits of SHA-256 over the compact JSON array
/// `["langfuse-experiment-v1", projectId, datasetId, runName]` (non-ASCII characters unescaped,
/// as `JSON.stringify` writes them). Returning it from `POST /dataset-run-items` puts JS 5 / Python
/// 4 runs (which take the server's id) and Python 5 runs (which compute it) into one run.
pub fn experiment_id(project_id: &str, dataset_id: &str, run_name: &str) -> String {
    // Serializing four strings cannot fail; serde_json writes compact JSON with non-ASCII raw and
    // control characters escaped as `JSON.stringify` does.
    let json = serde_json::to_string(&["langfuse-experiment-v1", project_id, dataset_id, run_name])
        .unwrap_or_default();
    let digest = Sha256::digest(json.as_bytes());
    hex::encode(digest)[..16].to_string()
}

// ---------------------------------------------------------------------------------------------
// Datasets

const DATASET_COLUMNS: &str =
    "d.id, d.project_id, d.name, d.description, d.metadata, d.input_schema, d.expected_output_schema, d.created_at, d.updated_at";

fn dataset_from_row(row: &PgRow) -> Result<Dataset, StoreError> {
    Ok(Dataset {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        metadata: row
            .try_get::<Option<Value>, _>("metadata")?
            .unwrap_or(Value::Null),
        input_schema: row.try_get("input_schema")?,
        expected_output_schema: row.try_get("expected_output_schema")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// What `POST /v2/datasets` (or the UI) says about a dataset; the name is checked by the caller
/// (`loupe_domain::datasets::check_name`).
#[derive(Debug, Clone, Default)]
pub struct DatasetUpsert<'a> {
    pub name: &'a str,
    /// `None` keeps the stored value (Langfuse overwrites only with non-null values).
    pub description: Option<&'a str>,
    pub metadata: Option<&'a Value>,
    /// `None`: not sent, kept; `Some(None)`: sent as `null`, cleared; `Some(Some(schema))`: set.
    pub input_schema: Option<Option<&'a Value>>,
    pub expected_output_schema: Option<Option<&'a Value>>,
}

/// Creates the dataset `name`, or updates the one of that name (Langfuse's upsert by name):
/// description and metadata only when given, a schema when sent (cleared when sent as `null`).
///
/// A schema set must be a valid JSON Schema, and every current item of the dataset (archived
/// ones too) must satisfy it, else nothing changes: `StoreError::Schema`, naming a few items.
/// The check runs in the write's transaction after the dataset row is locked by the update, and
/// item writes read the schemas under `FOR SHARE` of that row, so no item written concurrently
/// escapes it.
pub async fn upsert_dataset(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    input: &DatasetUpsert<'_>,
) -> Result<(Dataset, Upsert), StoreError> {
    // Only the schemas being set are compiled and checked; a kept one was checked when set and
    // every item write since.
    fn set(schema: Option<Option<&Value>>) -> Option<&Value> {
        schema.flatten().filter(|s| !s.is_null())
    }
    let new_schemas = ItemSchemas::compile(set(input.input_schema), set(input.expected_output_schema))
        .map_err(StoreError::Schema)?;
    let mut tx = conn.begin().await?;
    let row = sqlx::query(&format!(
        "INSERT INTO datasets AS d (project_id, id, name, description, metadata, input_schema, expected_output_schema)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (project_id, name) DO UPDATE SET
             description = coalesce(EXCLUDED.description, d.description),
             metadata = coalesce(EXCLUDED.metadata, d.metadata),
             input_schema = CASE WHEN $8 THEN EXCLUDED.input_schema ELSE d.input_schema END,
             expected_output_schema = CASE WHEN $9 THEN EXCLUDED.expected_output_schema ELSE d.expected_output_schema END,
             updated_at = now()
         RETURNING {DATASET_COLUMNS}, (xmax = 0) AS inserted"
    ))
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(input.name)
    .bind(input.description)
    .bind(input.metadata.filter(|m| !m.is_null()))
    .bind(input.input_schema.flatten().filter(|s| !s.is_null()))
    .bind(input.expected_output_schema.flatten().filter(|s| !s.is_null()))
    .bind(input.input_schema.is_some())
    .bind(input.expected_output_schema.is_some())
    .fetch_one(&mut *tx)
    .await?;
    let inserted: bool = row.try_get("inserted")?;
    let dataset = dataset_from_row(&row)?;
    if !inserted && !new_schemas.is_empty() {
        check_existing_items(&mut tx, project_id, &dataset.id, &new_schemas).await?;
    }
    tx.commit().await?;
    Ok((
        dataset,
        if inserted {
            Upsert::Created
        } else {
            Upsert::AlreadyExisted
        },
    ))
}

/// Checks every current item of a dataset against `schemas`: `StoreError::Schema` with the
/// number of failing items and the first [`EXAMPLES`] by id. Items are streamed, one in memory
/// at a time (an item can be megabytes).
async fn check_existing_items(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    dataset_id: &str,
    schemas: &ItemSchemas,
) -> Result<(), StoreError> {
    let mut rows = sqlx::query_as::<_, (String, Option<Value>, Option<Value>)>(
        "SELECT id, input, expected_output FROM dataset_items
         WHERE project_id = $1 AND dataset_id = $2 AND valid_to IS NULL AND NOT is_deleted ORDER BY id",
    )
    .bind(project_id)
    .bind(dataset_id)
    .fetch(&mut *conn);
    let mut count = 0u64;
    let mut examples: Vec<(String, Violation)> = Vec::new();
    while let Some((id, input, expected_output)) = rows.try_next().await? {
        let (input, expected_output) = (input.unwrap_or(Value::Null), expected_output.unwrap_or(Value::Null));
        if let Err(violation) = schemas.check(&input, &expected_output) {
            count += 1;
            if examples.len() < EXAMPLES {
                examples.push((id, violation));
            }
        }
    }
    if count > 0 {
        return Err(StoreError::Schema(SchemaError::ExistingItems { count, examples }));
    }
    Ok(())
}

/// A dataset's compiled schemas (empty when it has none, or no such dataset). Read `FOR SHARE`:
/// inside a transaction, the schemas cannot change until it ends (a schema being set waits, then
/// checks the items this transaction wrote). The store's item writes call it; a caller may too,
/// to check many values before writing them (an import reporting each row).
pub async fn item_schemas(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    dataset_id: &str,
) -> Result<ItemSchemas, StoreError> {
    let row: Option<(Option<Value>, Option<Value>)> = sqlx::query_as(
        "SELECT input_schema, expected_output_schema FROM datasets WHERE project_id = $1 AND id = $2 FOR SHARE",
    )
    .bind(project_id)
    .bind(dataset_id)
    .fetch_optional(conn)
    .await?;
    let Some((input, expected_output)) = row else {
        return Ok(ItemSchemas::default());
    };
    ItemSchemas::compile(input.as_ref(), expected_output.as_ref()).map_err(StoreError::Schema)
}

/// The dataset called `name` (exact, folders included).
pub async fn dataset_by_name(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    name: &str,
) -> Result<Option<Dataset>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {DATASET_COLUMNS} FROM datasets d WHERE d.project_id = $1 AND d.name = $2"
    ))
    .bind(project_id)
    .bind(name)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(dataset_from_row).transpose()
}

/// The dataset with this id.
pub async fn dataset_by_id(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<Option<Dataset>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {DATASET_COLUMNS} FROM datasets d WHERE d.project_id = $1 AND d.id = $2"
    ))
    .bind(project_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(dataset_from_row).transpose()
}

/// The public list: newest first (`createdAt desc, id asc`), with the total.
pub async fn list_datasets(
    pool: &PgPool,
    project_id: &ProjectId,
    page: Page,
) -> Result<(Vec<Dataset>, i64), StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {DATASET_COLUMNS} FROM datasets d WHERE d.project_id = $1 ORDER BY d.created_at DESC, d.id ASC LIMIT $2 OFFSET $3"
    ))
    .bind(project_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM datasets WHERE project_id = $1")
        .bind(project_id)
        .fetch_one(pool)
        .await?;
    Ok((
        rows.iter()
            .map(dataset_from_row)
            .collect::<Result<_, _>>()?,
        total,
    ))
}

/// Deletes a dataset with its items, runs and run items (foreign keys cascade). `false` when
/// the project has no such dataset.
pub async fn delete_dataset(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<bool, StoreError> {
    let result = sqlx::query("DELETE FROM datasets WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// The ids of the ACTIVE current items of each dataset (the v1 list's `items`), newest first.
pub async fn active_item_ids(
    pool: &PgPool,
    project_id: &ProjectId,
    dataset_ids: &[String],
) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT d.id, ARRAY(SELECT i.id FROM dataset_items i
                            WHERE i.project_id = $1 AND i.dataset_id = d.id AND i.valid_to IS NULL AND NOT i.is_deleted
                              AND i.status = 'ACTIVE'
                            ORDER BY i.valid_from DESC, i.id)
         FROM unnest($2::text[]) AS d(id)",
    )
    .bind(project_id)
    .bind(dataset_ids)
    .fetch_all(pool)
    .await?)
}

/// The run names of each dataset (the v1 routes' `runs`), newest first.
pub async fn run_names(
    pool: &PgPool,
    project_id: &ProjectId,
    dataset_ids: &[String],
) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT d.id, ARRAY(SELECT r.name FROM dataset_runs r WHERE r.project_id = $1 AND r.dataset_id = d.id
                            ORDER BY r.created_at DESC, r.id)
         FROM unnest($2::text[]) AS d(id)",
    )
    .bind(project_id)
    .bind(dataset_ids)
    .fetch_all(pool)
    .await?)
}

/// Datasets with their item count, run count and last run, for the given ids (in that order).
pub async fn summaries(
    pool: &PgPool,
    project_id: &ProjectId,
    ids: &[String],
) -> Result<Vec<DatasetSummary>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {DATASET_COLUMNS},
                (SELECT count(*) FROM dataset_items i
                  WHERE i.project_id = d.project_id AND i.dataset_id = d.id AND i.valid_to IS NULL AND NOT i.is_deleted) AS item_count,
                r.run_count, r.last_run_at
         FROM unnest($2::text[]) WITH ORDINALITY AS wanted(id, n)
         JOIN datasets d ON d.project_id = $1 AND d.id = wanted.id
         CROSS JOIN LATERAL (SELECT count(*) AS run_count, max(created_at) AS last_run_at FROM dataset_runs
                             WHERE project_id = d.project_id AND dataset_id = d.id) r
         ORDER BY wanted.n"
    ))
    .bind(project_id)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DatasetSummary {
                dataset: dataset_from_row(row)?,
                items: row.try_get("item_count")?,
                runs: row.try_get("run_count")?,
                last_run_at: row.try_get("last_run_at")?,
            })
        })
        .collect()
}

/// The UI's datasets list: the entries of `folder` (`""`: the top) — sub-folders first, then
/// its datasets by name — or, with a `search`, every dataset whose name contains it (no
/// folders). A page of [`PAGE_SIZE`] entries (`page` from 1), the datasets with their counts.
/// Names are read in full (a project has datasets in the hundreds); counts only for the page.
pub async fn list_page(
    pool: &PgPool,
    project_id: &ProjectId,
    folder: &str,
    search: &str,
    page: u32,
) -> Result<DatasetListPage, StoreError> {
    let folder = folder.trim_matches('/').to_string();
    let search = search.trim().to_string();
    let names: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, name FROM datasets WHERE project_id = $1 AND ($2 = '' OR strpos(lower(name), lower($2)) > 0) ORDER BY name, id",
    )
    .bind(project_id)
    .bind(&search)
    .fetch_all(pool)
    .await?;
    enum Entry {
        Folder(String, i64),
        Dataset(String),
    }
    let entries: Vec<Entry> = if search.is_empty() {
        let (folders, direct) = folder_entries(
            &folder,
            names.iter().map(|(id, name)| (name.as_str(), id.clone())),
        );
        folders
            .into_iter()
            .map(|(path, n)| Entry::Folder(path, n))
            .chain(direct.into_iter().map(Entry::Dataset))
            .collect()
    } else {
        names
            .into_iter()
            .map(|(id, _)| Entry::Dataset(id))
            .collect()
    };
    let total = entries.len() as i64;
    let page = page.max(1);
    let shown: Vec<Entry> = entries
        .into_iter()
        .skip(((page - 1) * PAGE_SIZE) as usize)
        .take(PAGE_SIZE as usize)
        .collect();
    let ids: Vec<String> = shown
        .iter()
        .filter_map(|e| {
            if let Entry::Dataset(id) = e {
                Some(id.clone())
            } else {
                None
            }
        })
        .collect();
    let mut summaries: std::collections::HashMap<String, DatasetSummary> =
        summaries(pool, project_id, &ids)
            .await?
            .into_iter()
            .map(|s| (s.dataset.id.clone(), s))
            .collect();
    let entries = shown
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::Folder(path, datasets) => Some(DatasetListEntry::Folder { path, datasets }),
            // A dataset deleted between the two reads is left out.
            Entry::Dataset(id) => summaries.remove(&id).map(DatasetListEntry::Dataset),
        })
        .collect();
    Ok(DatasetListPage {
        folder,
        search,
        entries,
        total,
        page,
        page_size: PAGE_SIZE,
    })
}

// ---------------------------------------------------------------------------------------------
// Items

const ITEM_COLUMNS: &str = "i.id, i.status, i.input, i.expected_output, i.metadata, i.source_trace_id, i.source_observation_id,
     i.dataset_id, d.name AS dataset_name, i.created_at, i.valid_from, i.valid_to, i.is_deleted";
const ITEM_FROM: &str =
    "dataset_items i JOIN datasets d ON d.project_id = i.project_id AND d.id = i.dataset_id";

fn item_from_row(row: &PgRow) -> Result<DatasetItem, StoreError> {
    let valid_from: DateTime<Utc> = row.try_get("valid_from")?;
    let json = |column: &str| -> Result<Value, StoreError> {
        Ok(row
            .try_get::<Option<Value>, _>(column)?
            .unwrap_or(Value::Null))
    };
    Ok(DatasetItem {
        id: row.try_get("id")?,
        status: enum_column::<ItemStatus>(row, "status")?,
        input: json("input")?,
        expected_output: json("expected_output")?,
        metadata: json("metadata")?,
        source_trace_id: row.try_get("source_trace_id")?,
        source_observation_id: row.try_get("source_observation_id")?,
        dataset_id: row.try_get("dataset_id")?,
        dataset_name: row.try_get("dataset_name")?,
        created_at: row.try_get("created_at")?,
        updated_at: valid_from,
        version: valid_from,
        media_references: Vec::new(),
    })
}

/// What a write says about an item. `None` (or a JSON `null`) keeps the stored value, as
/// Langfuse's upsert does; a new item gets nulls and ACTIVE.
#[derive(Debug, Clone, Default)]
pub struct ItemUpsert<'a> {
    pub dataset_id: &'a str,
    /// The client's id (checked by `loupe_domain::datasets::check_item_id`); `None` makes a UUID.
    pub id: Option<&'a str>,
    pub input: Option<&'a Value>,
    pub expected_output: Option<&'a Value>,
    pub metadata: Option<&'a Value>,
    pub source_trace_id: Option<&'a str>,
    pub source_observation_id: Option<&'a str>,
    pub status: Option<ItemStatus>,
}

/// The outcome of an item write.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemWrite {
    /// The new current version.
    Saved(DatasetItem),
    /// The id belongs to a current item of another dataset of the project (Langfuse's 409):
    /// that dataset's name.
    InOtherDataset(String),
}

/// Serializes writers of one item (see the module comment).
async fn lock_item(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<(), StoreError> {
    // Length-prefixed, so no (project, id) pair hashes the same text as another.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('dataset_item:' || length($1) || ':' || $1 || $2, 0))")
        .bind(project_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The open row of an item (its latest version, a tombstone included), locked.
struct OpenRow {
    dataset_id: String,
    dataset_name: String,
    is_deleted: bool,
}

async fn open_row(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<Option<OpenRow>, StoreError> {
    let row: Option<(String, String, bool)> = sqlx::query_as(
        "SELECT i.dataset_id, d.name, i.is_deleted FROM dataset_items i JOIN datasets d ON d.project_id = i.project_id AND d.id = i.dataset_id
         WHERE i.project_id = $1 AND i.id = $2 AND i.valid_to IS NULL FOR UPDATE OF i",
    )
    .bind(project_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(dataset_id, dataset_name, is_deleted)| OpenRow {
        dataset_id,
        dataset_name,
        is_deleted,
    }))
}

/// Closes the item's open row and returns the new version's `valid_from`:
/// `max(now, previous + 1 ms)`, so versions are strictly ordered.
async fn close_open_row(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<DateTime<Utc>, StoreError> {
    let closed: Option<DateTime<Utc>> = sqlx::query_scalar(
        "UPDATE dataset_items SET valid_to = greatest(now(), valid_from + interval '1 millisecond')
         WHERE project_id = $1 AND id = $2 AND valid_to IS NULL RETURNING valid_to",
    )
    .bind(project_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match closed {
        Some(at) => Ok(at),
        None => Ok(sqlx::query_scalar("SELECT now()").fetch_one(conn).await?),
    }
}

/// Creates an item or writes its next version, in one transaction (a savepoint inside the
/// caller's): fields not given keep the current version's values; a deleted item is created
/// afresh. The dataset must exist in the project (the caller looked it up). The version written
/// (given fields merged over the kept ones) must satisfy the dataset's schemas, else nothing is
/// written: `StoreError::Schema`.
pub async fn upsert_item(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    input: &ItemUpsert<'_>,
) -> Result<ItemWrite, StoreError> {
    let id = input
        .id
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut tx = conn.begin().await?;
    lock_item(&mut tx, project_id, &id).await?;
    let open = open_row(&mut tx, project_id, &id).await?;
    if let Some(open) = &open {
        if !open.is_deleted && open.dataset_id != input.dataset_id {
            return Ok(ItemWrite::InOtherDataset(open.dataset_name.clone()));
        }
    }
    let schemas = item_schemas(&mut tx, project_id, input.dataset_id).await?;
    let valid_from = close_open_row(&mut tx, project_id, &id).await?;
    let not_null = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    // The previous version's values are read from the row just closed (valid_to = valid_from);
    // a tombstone's are not carried over.
    let row = sqlx::query(&format!(
        "WITH prev AS (
             SELECT * FROM dataset_items
             WHERE project_id = $1 AND id = $2 AND valid_to = $3 AND NOT is_deleted
         ), inserted AS (
             INSERT INTO dataset_items (project_id, id, valid_from, dataset_id, status, input, expected_output, metadata,
                                        source_trace_id, source_observation_id, created_at)
             SELECT $1, $2, $3, $4, coalesce($5, prev.status, 'ACTIVE'), coalesce($6, prev.input), coalesce($7, prev.expected_output),
                    coalesce($8, prev.metadata), coalesce($9, prev.source_trace_id), coalesce($10, prev.source_observation_id),
                    coalesce(prev.created_at, $3)
             FROM (SELECT 1) AS one LEFT JOIN prev ON true
             RETURNING *
         )
         SELECT {ITEM_COLUMNS} FROM inserted i JOIN datasets d ON d.project_id = i.project_id AND d.id = i.dataset_id"
    ))
    .bind(project_id)
    .bind(&id)
    .bind(valid_from)
    .bind(input.dataset_id)
    .bind(input.status.map(ItemStatus::as_str))
    .bind(not_null(input.input))
    .bind(not_null(input.expected_output))
    .bind(not_null(input.metadata))
    .bind(input.source_trace_id)
    .bind(input.source_observation_id)
    .fetch_one(&mut *tx)
    .await?;
    let item = item_from_row(&row)?;
    // Checked as stored: a field not sent keeps a value that may not fit alongside the new one.
    // Returning drops `tx`, which rolls the version back.
    schemas
        .check_item(None, &item.input, &item.expected_output)
        .map_err(StoreError::Schema)?;
    tx.commit().await?;
    Ok(ItemWrite::Saved(item))
}

/// Archives or restores an item (a new version with only the status changed). `None` when the
/// project has no current item with this id.
pub async fn set_item_status(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
    status: ItemStatus,
) -> Result<Option<DatasetItem>, StoreError> {
    let mut tx = conn.begin().await?;
    lock_item(&mut tx, project_id, id).await?;
    let Some(open) = open_row(&mut tx, project_id, id)
        .await?
        .filter(|open| !open.is_deleted)
    else {
        return Ok(None);
    };
    let write = upsert_item(
        &mut tx,
        project_id,
        &ItemUpsert {
            dataset_id: &open.dataset_id,
            id: Some(id),
            status: Some(status),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(match write {
        ItemWrite::Saved(item) => Some(item),
        ItemWrite::InOtherDataset(_) => None,
    })
}

/// Deletes an item: closes its current version and inserts a tombstone (the history stays, and
/// `?version=` before the deletion still sees it). `false` when the project has no current item
/// with this id.
pub async fn delete_item(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<bool, StoreError> {
    let mut tx = conn.begin().await?;
    lock_item(&mut tx, project_id, id).await?;
    if open_row(&mut tx, project_id, id)
        .await?
        .is_none_or(|open| open.is_deleted)
    {
        return Ok(false);
    }
    let valid_from = close_open_row(&mut tx, project_id, id).await?;
    sqlx::query(
        "INSERT INTO dataset_items (project_id, id, valid_from, is_deleted, dataset_id, status, input, expected_output, metadata,
                                    source_trace_id, source_observation_id, created_at)
         SELECT project_id, id, $3, true, dataset_id, status, input, expected_output, metadata, source_trace_id, source_observation_id, created_at
         FROM dataset_items WHERE project_id = $1 AND id = $2 AND valid_to = $3",
    )
    .bind(project_id)
    .bind(id)
    .bind(valid_from)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// An item's current version (any status); `None` when unknown or deleted.
pub async fn item(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<Option<DatasetItem>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.project_id = $1 AND i.id = $2 AND i.valid_to IS NULL AND NOT i.is_deleted"
    ))
    .bind(project_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(item_from_row).transpose()
}

/// The version of an item in effect at `at` (`valid_from <= at < valid_to`); `None` when the
/// item did not exist then or was deleted.
pub async fn item_as_of(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Option<DatasetItem>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM}
         WHERE i.project_id = $1 AND i.id = $2 AND i.valid_from <= $3 AND (i.valid_to IS NULL OR i.valid_to > $3) AND NOT i.is_deleted"
    ))
    .bind(project_id)
    .bind(id)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(item_from_row).transpose()
}

/// Every version of an item, newest first, tombstones included.
pub async fn item_history(
    pool: &PgPool,
    project_id: &ProjectId,
    id: &str,
) -> Result<Vec<DatasetItemVersion>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.project_id = $1 AND i.id = $2 ORDER BY i.valid_from DESC"))
        .bind(project_id)
        .bind(id)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(DatasetItemVersion {
                item: item_from_row(row)?,
                valid_to: row.try_get("valid_to")?,
                is_deleted: row.try_get("is_deleted")?,
            })
        })
        .collect()
}

/// The versions of a dataset: every distinct time an item of it changed, newest first (what
/// `?version=` can name to read the dataset as it was).
pub async fn dataset_versions(
    pool: &PgPool,
    project_id: &ProjectId,
    dataset_id: &str,
    limit: i64,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT valid_from FROM dataset_items WHERE project_id = $1 AND dataset_id = $2 ORDER BY valid_from DESC LIMIT $3",
    )
    .bind(project_id)
    .bind(dataset_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// What a list of items narrows by. Without `as_of`, current versions; with it, the versions in
/// effect then. Deleted items are never listed.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter<'a> {
    pub dataset_id: Option<&'a str>,
    /// The public API lists ACTIVE items only; the UI passes `None` for both.
    pub status: Option<ItemStatus>,
    pub source_trace_id: Option<&'a str>,
    pub source_observation_id: Option<&'a str>,
    pub as_of: Option<DateTime<Utc>>,
}

fn push_item_filter<'q>(
    qb: &mut QueryBuilder<'q, Postgres>,
    project_id: &'q ProjectId,
    filter: &ItemFilter<'q>,
) {
    qb.push(" WHERE i.project_id = ").push_bind(project_id);
    match filter.as_of {
        // Spelled like the partial index's predicate, so the planner uses it.
        None => qb.push(" AND i.valid_to IS NULL AND NOT i.is_deleted"),
        Some(at) => qb
            .push(" AND NOT i.is_deleted AND i.valid_from <= ")
            .push_bind(at)
            .push(" AND (i.valid_to IS NULL OR i.valid_to > ")
            .push_bind(at)
            .push(")"),
    };
    if let Some(dataset_id) = filter.dataset_id {
        qb.push(" AND i.dataset_id = ").push_bind(dataset_id);
    }
    if let Some(status) = filter.status {
        qb.push(" AND i.status = ").push_bind(status.as_str());
    }
    if let Some(trace_id) = filter.source_trace_id {
        qb.push(" AND i.source_trace_id = ").push_bind(trace_id);
    }
    if let Some(observation_id) = filter.source_observation_id {
        qb.push(" AND i.source_observation_id = ")
            .push_bind(observation_id);
    }
}

/// Items, newest version first (`validFrom desc, id asc`, Langfuse's order), with the total.
pub async fn list_items(
    pool: &PgPool,
    project_id: &ProjectId,
    filter: &ItemFilter<'_>,
    page: Page,
) -> Result<(Vec<DatasetItem>, i64), StoreError> {
    let mut qb = QueryBuilder::new(format!("SELECT {ITEM_COLUMNS} FROM {ITEM_FROM}"));
    push_item_filter(&mut qb, project_id, filter);
    qb.push(" ORDER BY i.valid_from DESC, i.id ASC");
    page.push(&mut qb);
    let rows = qb.build().fetch_all(pool).await?;
    let mut count = QueryBuilder::new("SELECT count(*) FROM dataset_items i");
    push_item_filter(&mut count, project_id, filter);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
    Ok((
        rows.iter().map(item_from_row).collect::<Result<_, _>>()?,
        total,
    ))
}

// ---------------------------------------------------------------------------------------------
// Runs

const RUN_COLUMNS: &str = "r.id, r.name, r.description, r.metadata, r.dataset_id, d.name AS dataset_name, r.created_at, r.updated_at";
const RUN_FROM: &str =
    "dataset_runs r LEFT JOIN datasets d ON d.project_id = r.project_id AND d.id = r.dataset_id";

fn run_from_row(row: &PgRow) -> Result<DatasetRun, StoreError> {
    Ok(DatasetRun {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        metadata: row
            .try_get::<Option<Value>, _>("metadata")?
            .unwrap_or(Value::Null),
        dataset_id: row.try_get("dataset_id")?,
        dataset_name: row.try_get("dataset_name")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A run of a dataset to create if missing.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub dataset_id: &'a str,
    pub name: &'a str,
    /// Used only when the run is created (Langfuse keeps the first call's).
    pub description: Option<&'a str>,
    pub metadata: Option<&'a Value>,
}

/// The run `(dataset, name)`, created with the stable [`experiment_id`] when missing. A run an
/// OTLP export created under another id is returned as it is; a run with the hashed id but no
/// dataset (its spans named a dataset unknown then) is adopted by the dataset.
pub async fn create_or_get_run(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    new: &NewRun<'_>,
) -> Result<DatasetRun, StoreError> {
    if let Some(run) = run_by_name(conn, project_id, new.dataset_id, new.name).await? {
        return Ok(run);
    }
    let id = experiment_id(project_id.as_str(), new.dataset_id, new.name);
    let mut tx = conn.begin().await?;
    sqlx::query(
        "INSERT INTO dataset_runs (project_id, id, dataset_id, name, description, metadata) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING",
    )
    .bind(project_id)
    .bind(&id)
    .bind(new.dataset_id)
    .bind(new.name)
    .bind(new.description)
    .bind(new.metadata.filter(|m| !m.is_null()))
    .execute(&mut *tx)
    .await?;
    // Created now or by a concurrent call; else the id is taken by a run without a dataset.
    if run_by_name(&mut tx, project_id, new.dataset_id, new.name)
        .await?
        .is_none()
    {
        let adopted = sqlx::query(
            "UPDATE dataset_runs SET dataset_id = $3, updated_at = now() WHERE project_id = $1 AND id = $2 AND dataset_id IS NULL AND name = $4",
        )
        .bind(project_id)
        .bind(&id)
        .bind(new.dataset_id)
        .bind(new.name)
        .execute(&mut *tx)
        .await?;
        if adopted.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                constraint: "dataset_runs_pkey".into(),
            });
        }
    }
    let run = run_by_name(&mut tx, project_id, new.dataset_id, new.name)
        .await?
        .ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(run)
}

/// A dataset's run by name.
pub async fn run_by_name(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    dataset_id: &str,
    name: &str,
) -> Result<Option<DatasetRun>, StoreError> {
    let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE r.project_id = $1 AND r.dataset_id = $2 AND r.name = $3"))
        .bind(project_id)
        .bind(dataset_id)
        .bind(name)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(run_from_row).transpose()
}

/// A run by its (experiment) id.
pub async fn run(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<Option<DatasetRun>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE r.project_id = $1 AND r.id = $2"
    ))
    .bind(project_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(run_from_row).transpose()
}

/// A dataset's runs, newest first, with the total (the public list).
pub async fn list_runs(
    pool: &PgPool,
    project_id: &ProjectId,
    dataset_id: &str,
    page: Page,
) -> Result<(Vec<DatasetRun>, i64), StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE r.project_id = $1 AND r.dataset_id = $2
         ORDER BY r.created_at DESC, r.id LIMIT $3 OFFSET $4"
    ))
    .bind(project_id)
    .bind(dataset_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dataset_runs WHERE project_id = $1 AND dataset_id = $2",
    )
    .bind(project_id)
    .bind(dataset_id)
    .fetch_one(pool)
    .await?;
    Ok((
        rows.iter().map(run_from_row).collect::<Result<_, _>>()?,
        total,
    ))
}

/// Runs with their item counts, newest first, with the total: a dataset's, or with `None` every
/// run of the project (experiments on local data included).
pub async fn run_summaries(
    pool: &PgPool,
    project_id: &ProjectId,
    dataset_id: Option<&str>,
    page: Page,
) -> Result<(Vec<DatasetRunSummary>, i64), StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS}, (SELECT count(*) FROM dataset_run_items ri WHERE ri.project_id = r.project_id AND ri.run_id = r.id) AS item_count
         FROM {RUN_FROM} WHERE r.project_id = $1 AND ($2::text IS NULL OR r.dataset_id = $2)
         ORDER BY r.created_at DESC, r.id LIMIT $3 OFFSET $4"
    ))
    .bind(project_id)
    .bind(dataset_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM dataset_runs WHERE project_id = $1 AND ($2::text IS NULL OR dataset_id = $2)")
        .bind(project_id)
        .bind(dataset_id)
        .fetch_one(pool)
        .await?;
    let runs = rows
        .iter()
        .map(|row| {
            Ok(DatasetRunSummary {
                run: run_from_row(row)?,
                items: row.try_get("item_count")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((runs, total))
}

/// Deletes a run and its items (they cascade). `false` when the project has no such run.
pub async fn delete_run(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<bool, StoreError> {
    let result = sqlx::query("DELETE FROM dataset_runs WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}

// ---------------------------------------------------------------------------------------------
// Run items

const RUN_ITEM_COLUMNS: &str = "ri.id, ri.run_id, r.name AS run_name, ri.dataset_item_id, ri.dataset_item_version, ri.trace_id,
     ri.observation_id, ri.created_at, ri.updated_at";
const RUN_ITEM_FROM: &str =
    "dataset_run_items ri JOIN dataset_runs r ON r.project_id = ri.project_id AND r.id = ri.run_id";

fn run_item_from_row(row: &PgRow) -> Result<DatasetRunItem, StoreError> {
    Ok(DatasetRunItem {
        id: row.try_get("id")?,
        dataset_run_id: row.try_get("run_id")?,
        dataset_run_name: row.try_get("run_name")?,
        dataset_item_id: row.try_get("dataset_item_id")?,
        dataset_item_version: row.try_get("dataset_item_version")?,
        trace_id: row.try_get("trace_id")?,
        observation_id: row.try_get("observation_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A link of a dataset item (version) to the trace that ran it in a run.
#[derive(Debug, Clone)]
pub struct NewRunItem<'a> {
    pub run_id: &'a str,
    pub dataset_item_id: &'a str,
    /// The `valid_from` of the item version used.
    pub dataset_item_version: Option<DateTime<Utc>>,
    pub trace_id: &'a str,
    pub observation_id: Option<&'a str>,
    /// The client's time (`createdAt`); now when `None`.
    pub created_at: Option<DateTime<Utc>>,
}

/// Links an item to a trace in a run. The same (run, item, trace) linked again is the same run
/// item: a given observation id and version fill it, the rest stays.
pub async fn link_run_item(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    new: &NewRunItem<'_>,
) -> Result<DatasetRunItem, StoreError> {
    let row = sqlx::query(&format!(
        "WITH linked AS (
             INSERT INTO dataset_run_items AS ri (project_id, id, run_id, dataset_item_id, dataset_item_version, trace_id, observation_id,
                                                  created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, now()), now())
             ON CONFLICT (project_id, run_id, dataset_item_id, trace_id) DO UPDATE SET
                 observation_id = coalesce(EXCLUDED.observation_id, ri.observation_id),
                 dataset_item_version = coalesce(EXCLUDED.dataset_item_version, ri.dataset_item_version),
                 updated_at = now()
             RETURNING *
         )
         SELECT {RUN_ITEM_COLUMNS} FROM linked ri JOIN dataset_runs r ON r.project_id = ri.project_id AND r.id = ri.run_id"
    ))
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(new.run_id)
    .bind(new.dataset_item_id)
    .bind(new.dataset_item_version)
    .bind(new.trace_id)
    .bind(new.observation_id)
    .bind(new.created_at)
    .fetch_one(conn)
    .await?;
    run_item_from_row(&row)
}

/// A run's items, oldest first, with the total.
pub async fn run_items(
    pool: &PgPool,
    project_id: &ProjectId,
    run_id: &str,
    page: Page,
) -> Result<(Vec<DatasetRunItem>, i64), StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {RUN_ITEM_COLUMNS} FROM {RUN_ITEM_FROM} WHERE ri.project_id = $1 AND ri.run_id = $2
         ORDER BY ri.created_at, ri.id LIMIT $3 OFFSET $4"
    ))
    .bind(project_id)
    .bind(run_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dataset_run_items WHERE project_id = $1 AND run_id = $2",
    )
    .bind(project_id)
    .bind(run_id)
    .fetch_one(pool)
    .await?;
    Ok((
        rows.iter()
            .map(run_item_from_row)
            .collect::<Result<_, _>>()?,
        total,
    ))
}

/// Every run item of a run, oldest first (`GET /datasets/{name}/runs/{run}` returns them all,
/// as Langfuse does).
pub async fn all_run_items(
    pool: &PgPool,
    project_id: &ProjectId,
    run_id: &str,
) -> Result<Vec<DatasetRunItem>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {RUN_ITEM_COLUMNS} FROM {RUN_ITEM_FROM} WHERE ri.project_id = $1 AND ri.run_id = $2 ORDER BY ri.created_at, ri.id"
    ))
    .bind(project_id)
    .bind(run_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(run_item_from_row).collect()
}

/// The run items of a dataset item across runs, newest first (the item page).
pub async fn item_run_items(
    pool: &PgPool,
    project_id: &ProjectId,
    dataset_item_id: &str,
) -> Result<Vec<DatasetRunItem>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {RUN_ITEM_COLUMNS} FROM {RUN_ITEM_FROM} WHERE ri.project_id = $1 AND ri.dataset_item_id = $2 ORDER BY ri.created_at DESC, ri.id"
    ))
    .bind(project_id)
    .bind(dataset_item_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(run_item_from_row).collect()
}

/// The trace of an observation (`POST /dataset-run-items` with only an `observationId`).
pub async fn trace_of_observation(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    observation_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT trace_id FROM observations WHERE project_id = $1 AND id = $2")
            .bind(project_id)
            .bind(observation_id)
            .fetch_optional(conn)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experiment_ids_match_the_sdks() {
        // The example verified against Python 5 and Langfuse v4 (LANGFUSE_COMPAT_WAVE2 §1.6).
        assert_eq!(
            experiment_id(
                "proj-local",
                "ds-qa-ds",
                "exp-1 - 2026-12-03T01:08:28.777651Z"
            ),
            "9ded5db34c57a455"
        );
        // Non-ASCII is hashed as raw UTF-8 (JSON.stringify does not escape it), quotes escaped.
        let json =
            serde_json::to_string(&["langfuse-experiment-v1", "p", "d", "运行 \"1\""]).unwrap();
        assert_eq!(json, r#"["langfuse-experiment-v1","p","d","运行 \"1\""]"#);
        assert_eq!(
            experiment_id("p", "d", "运行 \"1\""),
            hex::encode(Sha256::digest(json.as_bytes()))[..16]
        );
        assert_ne!(experiment_id("p", "d", "a"), experiment_id("p", "d2", "a"));
        assert_eq!(experiment_id("p", "d", "a").len(), 16);
    }
}

// =============================================================================================
// The datasets UI (#21): what the UI's server functions need beyond the public API's store.
// Added for `app/src/server_fns/datasets.rs`; the functions above are unchanged.

/// How [`replace_item`] treats an item that exists (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceMode {
    /// A new item: an id that names a current item is refused ([`ItemReplace::Exists`]).
    Create,
    /// A new version of a current item: a missing or deleted one is [`ItemReplace::Missing`].
    Edit,
}

/// The UI's item form: the fields as they should be in the next version, `null` clearing one
/// (unlike [`upsert_item`], where `null` keeps the stored value).
#[derive(Debug, Clone)]
pub struct ItemReplacement<'a> {
    pub dataset_id: &'a str,
    /// `None` makes a UUID (only with [`ReplaceMode::Create`]).
    pub id: Option<&'a str>,
    pub mode: ReplaceMode,
    pub input: &'a Value,
    pub expected_output: &'a Value,
    pub metadata: &'a Value,
    /// Kept from the previous version when `None`.
    pub source_trace_id: Option<&'a str>,
    pub source_observation_id: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemReplace {
    Saved(DatasetItem),
    /// The id belongs to a current item of another dataset (its name).
    InOtherDataset(String),
    /// [`ReplaceMode::Create`] with the id of a current item of this dataset.
    Exists,
    /// [`ReplaceMode::Edit`] of an item that is not (or no longer) there.
    Missing,
}

/// Writes an item's next version with exactly the given fields (the status and, when not given,
/// the source are kept), under the item's lock like every item write. Values the dataset's
/// schemas refuse are not written: `StoreError::Schema`.
pub async fn replace_item(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    input: &ItemReplacement<'_>,
) -> Result<ItemReplace, StoreError> {
    let id = input
        .id
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut tx = conn.begin().await?;
    lock_item(&mut tx, project_id, &id).await?;
    let current = open_row(&mut tx, project_id, &id)
        .await?
        .filter(|open| !open.is_deleted);
    match (&current, input.mode) {
        (Some(open), _) if open.dataset_id != input.dataset_id => {
            return Ok(ItemReplace::InOtherDataset(open.dataset_name.clone()))
        }
        (Some(_), ReplaceMode::Create) => return Ok(ItemReplace::Exists),
        (None, ReplaceMode::Edit) => return Ok(ItemReplace::Missing),
        _ => {}
    }
    // Checked before writing: the form gives every field, so these are the values stored.
    item_schemas(&mut tx, project_id, input.dataset_id)
        .await?
        .check_item(None, input.input, input.expected_output)
        .map_err(StoreError::Schema)?;
    let valid_from = close_open_row(&mut tx, project_id, &id).await?;
    let json = |v: &Value| (!v.is_null()).then(|| v.clone());
    let row = sqlx::query(&format!(
        "WITH prev AS (
             SELECT * FROM dataset_items
             WHERE project_id = $1 AND id = $2 AND valid_to = $3 AND NOT is_deleted
         ), inserted AS (
             INSERT INTO dataset_items (project_id, id, valid_from, dataset_id, status, input, expected_output, metadata,
                                        source_trace_id, source_observation_id, created_at)
             SELECT $1, $2, $3, $4, coalesce(prev.status, 'ACTIVE'), $5, $6, $7,
                    coalesce($8, prev.source_trace_id), coalesce($9, prev.source_observation_id), coalesce(prev.created_at, $3)
             FROM (SELECT 1) AS one LEFT JOIN prev ON true
             RETURNING *
         )
         SELECT {ITEM_COLUMNS} FROM inserted i JOIN datasets d ON d.project_id = i.project_id AND d.id = i.dataset_id"
    ))
    .bind(project_id)
    .bind(&id)
    .bind(valid_from)
    .bind(input.dataset_id)
    .bind(json(input.input))
    .bind(json(input.expected_output))
    .bind(json(input.metadata))
    .bind(input.source_trace_id)
    .bind(input.source_observation_id)
    .fetch_one(&mut *tx)
    .await?;
    let item = item_from_row(&row)?;
    tx.commit().await?;
    Ok(ItemReplace::Saved(item))
}

/// A new item's values, for [`insert_new_items`].
#[derive(Debug, Clone)]
pub struct NewItemValues {
    pub input: Value,
    pub expected_output: Option<Value>,
    pub metadata: Option<Value>,
}

/// Inserts items with fresh UUIDs in one statement (an import's rows without an id): no lock is
/// needed, no other writer can know these ids. Returns how many were inserted. All or none: a
/// value the dataset's schemas refuse refuses the batch (`StoreError::Schema` naming its row, from
/// 1); to report every row, check them first with [`item_schemas`].
pub async fn insert_new_items(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    dataset_id: &str,
    items: &[NewItemValues],
) -> Result<u64, StoreError> {
    if items.is_empty() {
        return Ok(0);
    }
    let mut tx = conn.begin().await?;
    let schemas = item_schemas(&mut tx, project_id, dataset_id).await?;
    for (n, item) in items.iter().enumerate() {
        let expected = item.expected_output.as_ref().unwrap_or(&Value::Null);
        schemas
            .check_item(Some(Subject::Row(n + 1)), &item.input, expected)
            .map_err(StoreError::Schema)?;
    }
    let ids: Vec<String> = items
        .iter()
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let inputs: Vec<Value> = items.iter().map(|i| i.input.clone()).collect();
    // `Option<Value>` in a `jsonb[]`: SQL NULLs for the absent ones.
    let expected: Vec<Option<Value>> = items
        .iter()
        .map(|i| i.expected_output.clone().filter(|v| !v.is_null()))
        .collect();
    let metadata: Vec<Option<Value>> = items
        .iter()
        .map(|i| i.metadata.clone().filter(|v| !v.is_null()))
        .collect();
    let result = sqlx::query(
        "INSERT INTO dataset_items (project_id, id, valid_from, dataset_id, status, input, expected_output, metadata, created_at)
         SELECT $1, r.id, now(), $2, 'ACTIVE', r.input, r.expected_output, r.metadata, now()
         FROM unnest($3::text[], $4::jsonb[], $5::jsonb[], $6::jsonb[]) AS r(id, input, expected_output, metadata)",
    )
    .bind(project_id)
    .bind(dataset_id)
    .bind(&ids)
    .bind(&inputs)
    .bind(&expected)
    .bind(&metadata)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(result.rows_affected())
}

/// Makes an item of each of the project's traces among `trace_ids` (their input as the input,
/// output as the expected output, metadata — when not empty — as metadata, the trace as the
/// source), in one statement; ids of traces not in the project are skipped. Returns how many
/// items were made. All or none: a trace whose values the dataset's schemas refuse refuses the
/// lot (`StoreError::Schema` naming the trace).
pub async fn add_traces(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    dataset_id: &str,
    trace_ids: &[String],
) -> Result<u64, StoreError> {
    const INSERT: &str =
        "INSERT INTO dataset_items (project_id, id, valid_from, dataset_id, status, input, expected_output, metadata, source_trace_id, created_at)
         SELECT $1, gen_random_uuid()::text, now(), $2, 'ACTIVE', t.input, t.output, nullif(t.metadata, '{}'::jsonb), t.id, now()
         FROM traces t WHERE t.project_id = $1 AND t.id = ANY($3)";
    let mut tx = conn.begin().await?;
    let schemas = item_schemas(&mut tx, project_id, dataset_id).await?;
    let added = if schemas.is_empty() {
        sqlx::query(INSERT)
            .bind(project_id)
            .bind(dataset_id)
            .bind(trace_ids)
            .execute(&mut *tx)
            .await?
            .rows_affected()
    } else {
        // The values are the traces' as the database holds them: insert, check what was
        // inserted, and roll back on the first refusal.
        let returning = format!("{INSERT} RETURNING source_trace_id, input, expected_output");
        let mut rows = sqlx::query_as::<_, (String, Option<Value>, Option<Value>)>(&returning)
            .bind(project_id)
            .bind(dataset_id)
            .bind(trace_ids)
            .fetch(&mut *tx);
        let mut added = 0u64;
        while let Some((trace_id, input, output)) = rows.try_next().await? {
            let (input, output) = (input.unwrap_or(Value::Null), output.unwrap_or(Value::Null));
            schemas
                .check_item(Some(Subject::Trace(trace_id)), &input, &output)
                .map_err(StoreError::Schema)?;
            added += 1;
        }
        added
    };
    tx.commit().await?;
    Ok(added)
}

/// The input, output and metadata of a trace, or of one of its observations: what "Add to
/// dataset" starts from. `None` when the project has no such trace (or observation in it).
pub async fn item_source(
    pool: &PgPool,
    project_id: &ProjectId,
    trace_id: &str,
    observation_id: Option<&str>,
) -> Result<Option<(Value, Value, Value)>, StoreError> {
    let row: Option<(Option<Value>, Option<Value>, Option<Value>)> = match observation_id {
        None => {
            sqlx::query_as("SELECT input, output, metadata FROM traces WHERE project_id = $1 AND id = $2")
                .bind(project_id)
                .bind(trace_id)
                .fetch_optional(pool)
                .await?
        }
        Some(observation_id) => {
            sqlx::query_as("SELECT input, output, metadata FROM observations WHERE project_id = $1 AND trace_id = $2 AND id = $3")
                .bind(project_id)
                .bind(trace_id)
                .bind(observation_id)
                .fetch_optional(pool)
                .await?
        }
    };
    let empty_object = |v: Option<Value>| {
        v.filter(|v| !v.is_null() && v.as_object().is_none_or(|m| !m.is_empty()))
            .unwrap_or(Value::Null)
    };
    Ok(row.map(|(input, output, metadata)| {
        (
            input.unwrap_or(Value::Null),
            output.unwrap_or(Value::Null),
            empty_object(metadata),
        )
    }))
}

/// Renames a dataset and sets its description and metadata as given (`None` clears them).
/// `None` when the project has no such dataset; a name taken by another dataset is a
/// `StoreError::Conflict` (`datasets_project_id_name_key`).
pub async fn update_dataset(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
    name: &str,
    description: Option<&str>,
    metadata: Option<&Value>,
) -> Result<Option<Dataset>, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE datasets AS d SET name = $3, description = $4, metadata = $5, updated_at = now()
         WHERE d.project_id = $1 AND d.id = $2 RETURNING {DATASET_COLUMNS}"
    ))
    .bind(project_id)
    .bind(id)
    .bind(name)
    .bind(description)
    .bind(metadata.filter(|m| !m.is_null()))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(dataset_from_row).transpose()
}

/// Every dataset's id and name, by name (the "Add to dataset" menus), at most `limit`.
pub async fn dataset_names(
    pool: &PgPool,
    project_id: &ProjectId,
    limit: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, name FROM datasets WHERE project_id = $1 ORDER BY name, id LIMIT $2",
    )
    .bind(project_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
