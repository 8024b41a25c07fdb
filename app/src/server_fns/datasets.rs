//! Datasets in the UI (#21): the list (folders by `/`), a dataset with its items, an item with
//! its versions and the runs that used it, the item form, import and export, and "Add to
//! dataset" from a trace, an observation or the traces list's selection.
//!
//! Who may do what: everyone in the project reads; Members and up create datasets and write items
//! (`WriteDatasets`); renaming or deleting a dataset, which SDKs fetch by name and whose deletion
//! takes its items and runs along, is for Admins (`ManageProjectSettings`). Every write is
//! audited in its transaction.
//!
//! Items are versioned (`store::datasets`): saving an item, archiving it or importing a row with
//! its id writes a new version; the history stays. The JSON fields come as the editors' text, so
//! the server names the field whose text is not JSON, as the form does while one types.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::dataset_io::{ImportReport, ImportRow};
use crate::domain::datasets::{Dataset, DatasetItem, DatasetItemVersion, DatasetListPage, DatasetRunItem, DatasetSummary};
use crate::error::AppError;

/// A dataset as the create and edit forms send it; `metadata` is the JSON editor's text (blank:
/// none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInput {
    pub name: String,
    pub description: String,
    pub metadata: String,
}

/// A dataset's page header: the dataset with its counts, and what the person may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetOverview {
    pub summary: DatasetSummary,
    /// Write items (Members and up).
    pub can_write: bool,
    /// Rename or delete the dataset (Admins and up).
    pub can_manage: bool,
}

/// A page of a dataset's current items, newest version first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemPage {
    pub items: Vec<DatasetItem>,
    pub total: i64,
}

/// The item form's fields as typed: JSON text per field (blank: `null`); `id` chosen by the
/// person for a new item (blank: a UUID), the edited item's for an edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ItemInput {
    pub id: Option<String>,
    pub input: String,
    pub expected_output: String,
    pub metadata: String,
    pub source_trace_id: Option<String>,
    pub source_observation_id: Option<String>,
}

/// An item's page: its current version (`None` once deleted), every version newest first, and
/// the run items that used it, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDetail {
    pub dataset: Dataset,
    pub item: Option<DatasetItem>,
    pub history: Vec<DatasetItemVersion>,
    pub runs: Vec<DatasetRunItem>,
    pub can_write: bool,
}

/// What "Add to dataset" starts from: a trace's (or observation's) input, output and metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDraft {
    pub input: Value,
    pub expected_output: Value,
    pub metadata: Value,
}

/// Datasets offered by the "Add to dataset" menus (a project has them in the hundreds at most).
pub const MAX_NAMES: i64 = 1000;

#[cfg(feature = "ssr")]
mod support {
    pub use crate::server_fns::support::*;
    use crate::domain::dataset_io::{has_nul, parse_json_field};
    use crate::domain::datasets::{check_name, Dataset, DatasetItem, ItemStatus};
    use crate::error::AppError;
    use crate::language::say;
    use loupe_core::scope::ProjectId;
    use serde_json::Value;

    pub async fn find_dataset(pool: &sqlx::PgPool, project: &ProjectId, dataset_id: &str) -> Result<Dataset, AppError> {
        let mut conn = pool.acquire().await?;
        crate::store::datasets::dataset_by_id(&mut conn, project, dataset_id).await?.ok_or_else(|| AppError::NotFound(say!(datasets.errors.no_dataset)))
    }

    /// The current item `item_id` of the dataset (an item of another dataset is not found here).
    pub async fn find_item(pool: &sqlx::PgPool, project: &ProjectId, dataset_id: &str, item_id: &str) -> Result<DatasetItem, AppError> {
        let mut conn = pool.acquire().await?;
        crate::store::datasets::item(&mut conn, project, item_id)
            .await?
            .filter(|item| item.dataset_id == dataset_id)
            .ok_or_else(|| AppError::NotFound(say!(datasets.errors.no_item)))
    }

    /// A JSON editor's text as a value, or the refusal naming `field`.
    pub fn json_field(field: &str, text: &str) -> Result<Value, AppError> {
        let value = parse_json_field(text).map_err(|p| AppError::invalid(field, say!(datasets.errors.not_json, field = field, line = p.line, column = p.column)))?;
        if has_nul(&value) {
            return Err(AppError::invalid(field, say!(datasets.errors.nul, field = field)));
        }
        Ok(value)
    }

    /// A checked dataset name, worded in the request's language.
    pub fn dataset_name(name: &str) -> Result<String, AppError> {
        let name = name.trim();
        check_name(name).map_err(|p| AppError::invalid(p.field, crate::pages::datasets::words::dataset_problem(crate::language::request_locale(), &p.problem)))?;
        Ok(name.to_string())
    }

    /// `""` for every status, else `ACTIVE` or `ARCHIVED`.
    pub fn status_filter(status: &str) -> Result<Option<ItemStatus>, AppError> {
        match status {
            "" => Ok(None),
            other => other.parse().map(Some).map_err(|_| AppError::invalid("status", say!(datasets.errors.bad_status, status = other))),
        }
    }

    /// A person's description: trimmed, `None` when blank.
    pub fn description(text: &str) -> Option<String> {
        Some(text.trim().to_string()).filter(|d| !d.is_empty())
    }
}

/// The entries of a folder (`""`: the top), or every dataset whose name contains `search`; page
/// `page` (from 1) of `domain::datasets::PAGE_SIZE`.
#[server(prefix = "/api/ui", endpoint = "list_datasets")]
pub async fn list_datasets(project_id: String, folder: String, search: String, page: u32) -> Result<DatasetListPage, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        Ok(crate::store::datasets::list_page(&state.pool, &scope.project_id, &folder, &search, page.clamp(1, 100_000)).await?)
    }
    .await)
}

/// Creates a dataset (Members and up). A name in use is refused (the public API's upsert would
/// update that dataset instead; the form means a new one).
#[server(prefix = "/api/ui", endpoint = "create_dataset", input = leptos::server_fn::codec::Json)]
pub async fn create_dataset(project_id: String, dataset: DatasetInput) -> Result<Dataset, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDatasets).await?;
        let project = &scope.project_id;
        let name = dataset_name(&dataset.name)?;
        let metadata = json_field("metadata", &dataset.metadata)?;
        let description = description(&dataset.description);
        let mut tx = state.pool.begin().await?;
        if crate::store::datasets::dataset_by_name(&mut tx, project, &name).await?.is_some() {
            return Err(AppError::invalid("name", crate::language::say!(datasets.errors.name_taken, name = name)));
        }
        let upsert = crate::store::datasets::DatasetUpsert { name: &name, description: description.as_deref(), metadata: Some(&metadata), ..Default::default() };
        let (created, _) = match crate::store::datasets::upsert_dataset(&mut tx, project, &upsert).await {
            Err(crate::store::StoreError::Conflict { .. }) => return Err(AppError::invalid("name", crate::language::say!(datasets.errors.name_taken, name = name))),
            other => other?,
        };
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "dataset.create", "dataset", &created.id, None, serde_json::to_value(&created).ok()).await?;
        tx.commit().await?;
        Ok(created)
    }
    .await)
}

/// Renames a dataset and sets its description and metadata (Admins: SDKs fetch datasets by name).
#[server(prefix = "/api/ui", endpoint = "update_dataset", input = leptos::server_fn::codec::Json)]
pub async fn update_dataset(project_id: String, dataset_id: String, dataset: DatasetInput) -> Result<Dataset, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let project = &scope.project_id;
        let before = find_dataset(&state.pool, project, &dataset_id).await?;
        let name = dataset_name(&dataset.name)?;
        let metadata = json_field("metadata", &dataset.metadata)?;
        let description = description(&dataset.description);
        let mut tx = state.pool.begin().await?;
        let updated = match crate::store::datasets::update_dataset(&mut tx, project, &before.id, &name, description.as_deref(), Some(&metadata)).await {
            Err(crate::store::StoreError::Conflict { .. }) => return Err(AppError::invalid("name", crate::language::say!(datasets.errors.name_taken, name = name))),
            other => other?.ok_or_else(|| AppError::NotFound(crate::language::say!(datasets.errors.no_dataset)))?,
        };
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "dataset.update", "dataset", &updated.id, serde_json::to_value(&before).ok(), serde_json::to_value(&updated).ok()).await?;
        tx.commit().await?;
        Ok(updated)
    }
    .await)
}

/// Deletes a dataset with its items (every version) and its runs (Admins).
#[server(prefix = "/api/ui", endpoint = "delete_dataset")]
pub async fn delete_dataset(project_id: String, dataset_id: String) -> Result<(), AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let project = &scope.project_id;
        let dataset = find_dataset(&state.pool, project, &dataset_id).await?;
        let summary = crate::store::datasets::summaries(&state.pool, project, std::slice::from_ref(&dataset.id)).await?;
        let mut tx = state.pool.begin().await?;
        if !crate::store::datasets::delete_dataset(&mut tx, project, &dataset.id).await? {
            return Err(AppError::NotFound(crate::language::say!(datasets.errors.no_dataset)));
        }
        let counts = summary.first().map(|s| serde_json::json!({"items": s.items, "runs": s.runs}));
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "dataset.delete", "dataset", &dataset.id, serde_json::to_value(&dataset).ok(), counts).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// A dataset with its item count, run count and last run.
#[server(prefix = "/api/ui", endpoint = "get_dataset")]
pub async fn get_dataset(project_id: String, dataset_id: String) -> Result<DatasetOverview, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let summary = crate::store::datasets::summaries(&state.pool, &scope.project_id, &[dataset_id])
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound(crate::language::say!(datasets.errors.no_dataset)))?;
        Ok(DatasetOverview {
            summary,
            can_write: scope.role.can(crate::domain::Action::WriteDatasets),
            can_manage: scope.role.can(crate::domain::Action::ManageProjectSettings),
        })
    }
    .await)
}

/// A page (from 0) of a dataset's current items, `page_size` (1–1000) a page: the table's
/// pages, and the export's calls. `status` is `""` (all), `ACTIVE` or `ARCHIVED`.
#[server(prefix = "/api/ui", endpoint = "list_dataset_items")]
pub async fn list_dataset_items(project_id: String, dataset_id: String, status: String, page: i64, page_size: i64) -> Result<ItemPage, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project = &scope.project_id;
        let status = status_filter(&status)?;
        if !(1..=crate::domain::dataset_io::EXPORT_PAGE_SIZE).contains(&page_size) {
            return Err(AppError::invalid("page_size", crate::language::say!(datasets.errors.page_size, max = crate::domain::dataset_io::EXPORT_PAGE_SIZE)));
        }
        if !(0..=1_000_000).contains(&page) {
            return Err(AppError::invalid("page", crate::language::say!(errors.pages_start_at_zero)));
        }
        let dataset = find_dataset(&state.pool, project, &dataset_id).await?;
        let filter = crate::store::datasets::ItemFilter { dataset_id: Some(&dataset.id), status, ..Default::default() };
        let (items, total) = crate::store::datasets::list_items(&state.pool, project, &filter, loupe_core::store::query::Page { limit: page_size, offset: page * page_size }).await?;
        Ok(ItemPage { items, total })
    }
    .await)
}

/// Creates an item (`create`: a new id, or the one given if no current item has it) or writes
/// the next version of one (the fields replace the current ones; the status stays). Members and
/// up.
#[server(prefix = "/api/ui", endpoint = "save_dataset_item", input = leptos::server_fn::codec::Json)]
pub async fn save_dataset_item(project_id: String, dataset_id: String, item: ItemInput, create: bool) -> Result<DatasetItem, AppError> {
    use crate::language::say;
    use crate::store::datasets::{ItemReplace, ItemReplacement, ReplaceMode};
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDatasets).await?;
        let project = &scope.project_id;
        let dataset = find_dataset(&state.pool, project, &dataset_id).await?;
        let id = item.id.as_deref().map(str::trim).filter(|id| !id.is_empty());
        if let Some(id) = id {
            crate::domain::datasets::check_item_id(id).map_err(|p| AppError::invalid("id", crate::pages::datasets::words::dataset_problem(crate::language::request_locale(), &p.problem)))?;
        } else if !create {
            return Err(AppError::invalid("id", say!(datasets.errors.no_item)));
        }
        let input = json_field("input", &item.input)?;
        if input.is_null() {
            return Err(AppError::invalid("input", say!(datasets.errors.input_required)));
        }
        let expected_output = json_field("expectedOutput", &item.expected_output)?;
        let metadata = json_field("metadata", &item.metadata)?;
        let source = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let (source_trace_id, source_observation_id) = (source(&item.source_trace_id), source(&item.source_observation_id));
        let before = match (create, id) {
            (false, Some(id)) => Some(find_item(&state.pool, project, &dataset.id, id).await?),
            _ => None,
        };
        let replacement = ItemReplacement {
            dataset_id: &dataset.id,
            id,
            mode: if create { ReplaceMode::Create } else { ReplaceMode::Edit },
            input: &input,
            expected_output: &expected_output,
            metadata: &metadata,
            source_trace_id: source_trace_id.as_deref(),
            source_observation_id: source_observation_id.as_deref(),
        };
        let mut tx = state.pool.begin().await?;
        let saved = match crate::store::datasets::replace_item(&mut tx, project, &replacement).await? {
            ItemReplace::Saved(saved) => saved,
            ItemReplace::InOtherDataset(name) => return Err(AppError::invalid("id", say!(datasets.errors.id_in_other_dataset, name = name))),
            ItemReplace::Exists => return Err(AppError::invalid("id", say!(datasets.errors.id_taken, id = id.unwrap_or_default()))),
            ItemReplace::Missing => return Err(AppError::NotFound(say!(datasets.errors.no_item))),
        };
        let action = if create { "dataset_item.create" } else { "dataset_item.update" };
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), action, "dataset_item", &saved.id, before.and_then(|b| serde_json::to_value(b).ok()), serde_json::to_value(&saved).ok()).await?;
        tx.commit().await?;
        Ok(saved)
    }
    .await)
}

/// Archives an item (experiments leave it out) or makes it active again: a new version.
#[server(prefix = "/api/ui", endpoint = "set_dataset_item_archived")]
pub async fn set_dataset_item_archived(project_id: String, dataset_id: String, item_id: String, archived: bool) -> Result<DatasetItem, AppError> {
    use crate::domain::datasets::ItemStatus;
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDatasets).await?;
        let project = &scope.project_id;
        let item = find_item(&state.pool, project, &dataset_id, &item_id).await?;
        let status = if archived { ItemStatus::Archived } else { ItemStatus::Active };
        let mut tx = state.pool.begin().await?;
        let saved = crate::store::datasets::set_item_status(&mut tx, project, &item.id, status)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(datasets.errors.no_item)))?;
        let action = if archived { "dataset_item.archive" } else { "dataset_item.restore" };
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), action, "dataset_item", &saved.id, None, None).await?;
        tx.commit().await?;
        Ok(saved)
    }
    .await)
}

/// Deletes an item: it leaves the dataset; its history (and the runs' links to it) stay.
#[server(prefix = "/api/ui", endpoint = "delete_dataset_item")]
pub async fn delete_dataset_item(project_id: String, dataset_id: String, item_id: String) -> Result<(), AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDatasets).await?;
        let project = &scope.project_id;
        let item = find_item(&state.pool, project, &dataset_id, &item_id).await?;
        let mut tx = state.pool.begin().await?;
        if !crate::store::datasets::delete_item(&mut tx, project, &item.id).await? {
            return Err(AppError::NotFound(crate::language::say!(datasets.errors.no_item)));
        }
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "dataset_item.delete", "dataset_item", &item.id, serde_json::to_value(&item).ok(), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// An item's page: the current version, every version, the runs that used it. A deleted item
/// still shows its history.
#[server(prefix = "/api/ui", endpoint = "get_dataset_item")]
pub async fn get_dataset_item(project_id: String, dataset_id: String, item_id: String) -> Result<ItemDetail, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project = &scope.project_id;
        let dataset = find_dataset(&state.pool, project, &dataset_id).await?;
        let history: Vec<_> = crate::store::datasets::item_history(&state.pool, project, &item_id).await?.into_iter().filter(|v| v.item.dataset_id == dataset.id).collect();
        if history.is_empty() {
            return Err(AppError::NotFound(crate::language::say!(datasets.errors.no_item)));
        }
        let item = history.first().filter(|v| v.valid_to.is_none() && !v.is_deleted).map(|v| v.item.clone());
        let runs = crate::store::datasets::item_run_items(&state.pool, project, &item_id).await?;
        Ok(ItemDetail { dataset, item, history, runs, can_write: scope.role.can(crate::domain::Action::WriteDatasets) })
    }
    .await)
}

/// Imports rows the browser read from a CSV or JSONL file and mapped (at most
/// `MAX_IMPORT_ROWS` a call). Each row stands alone: the good ones are kept, the bad ones come
/// back with their row and reason. A row with the id of an item of this dataset makes a new
/// version of it; rows without an id become new items, inserted together.
#[server(prefix = "/api/ui", endpoint = "import_dataset_items", input = leptos::server_fn::codec::Json)]
pub async fn import_dataset_items(project_id: String, dataset_id: String, rows: Vec<ImportRow>) -> Result<ImportReport, AppError> {
    use crate::domain::dataset_io::{has_nul, ImportProblem, RowProblem, MAX_IMPORT_ROWS};
    use crate::store::datasets::{ItemUpsert, ItemWrite, NewItemValues};
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDatasets).await?;
        let project = &scope.project_id;
        let dataset = find_dataset(&state.pool, project, &dataset_id).await?;
        if rows.is_empty() {
            return Err(AppError::invalid("rows", crate::language::say!(datasets.errors.no_rows)));
        }
        if rows.len() > MAX_IMPORT_ROWS {
            return Err(AppError::invalid("rows", crate::language::say!(datasets.errors.too_many_rows, max = MAX_IMPORT_ROWS)));
        }
        let mut report = ImportReport::default();
        let problem = |row: &ImportRow, field: &str, problem| RowProblem { row: row.row, field: field.to_string(), problem };
        let mut fresh = Vec::new();
        let mut with_id = Vec::new();
        for row in &rows {
            let nul_in = [("input", Some(&row.input)), ("expectedOutput", row.expected_output.as_ref()), ("metadata", row.metadata.as_ref())]
                .into_iter()
                .find(|(_, v)| v.is_some_and(has_nul));
            if let Some((field, _)) = nul_in {
                report.failed.push(problem(row, field, ImportProblem::NulCharacter));
            } else if row.input.is_null() {
                report.failed.push(problem(row, "input", ImportProblem::EmptyInput));
            } else {
                match row.id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
                    None => fresh.push(row),
                    Some(id) if crate::domain::datasets::check_item_id(id).is_err() => report.failed.push(problem(row, "id", ImportProblem::BadId)),
                    Some(_) => with_id.push(row),
                }
            }
        }
        let mut tx = state.pool.begin().await?;
        // The dataset's JSON Schemas, checked row by row first: a failing row is reported with
        // the others and the good rows are kept (the store would refuse the whole batch).
        let schemas = crate::store::datasets::item_schemas(&mut tx, project, &dataset.id).await?;
        let schema_problem = |v: loupe_core::datasets_schema::Violation| ImportProblem::Schema {
            field: v.field.as_str().to_string(),
            pointer: v.pointer,
            message: v.message,
        };
        if !schemas.is_empty() {
            let null = serde_json::Value::Null;
            fresh.retain(|row| match schemas.check(&row.input, row.expected_output.as_ref().unwrap_or(&null)) {
                Ok(()) => true,
                Err(v) => {
                    report.failed.push(problem(row, v.field.as_str(), schema_problem(v)));
                    false
                }
            });
        }
        let values: Vec<NewItemValues> =
            fresh.iter().map(|r| NewItemValues { input: r.input.clone(), expected_output: r.expected_output.clone(), metadata: r.metadata.clone() }).collect();
        report.created += crate::store::datasets::insert_new_items(&mut tx, project, &dataset.id, &values).await?;
        for row in with_id {
            let id = row.id.as_deref().map(str::trim).unwrap_or_default();
            let upsert = ItemUpsert {
                dataset_id: &dataset.id,
                id: Some(id),
                input: Some(&row.input),
                expected_output: row.expected_output.as_ref(),
                metadata: row.metadata.as_ref(),
                ..Default::default()
            };
            // `upsert_item` runs in a savepoint: a row the database refuses is rolled back alone.
            match crate::store::datasets::upsert_item(&mut tx, project, &upsert).await {
                Ok(ItemWrite::Saved(item)) if item.created_at == item.version => report.created += 1,
                Ok(ItemWrite::Saved(_)) => report.updated += 1,
                Ok(ItemWrite::InOtherDataset(name)) => report.failed.push(problem(row, "id", ImportProblem::IdInOtherDataset(name))),
                Err(crate::store::StoreError::BadValue(what)) => report.failed.push(problem(row, "", ImportProblem::Refused(what))),
                // An upserted row is checked merged over the stored item, so only the store can
                // say; its refusal is this row's problem, not the import's.
                Err(crate::store::StoreError::Schema(loupe_core::datasets_schema::SchemaError::Item { violation, .. })) => {
                    report.failed.push(problem(row, violation.field.as_str(), schema_problem(violation)))
                }
                Err(other) => return Err(other.into()),
            }
        }
        report.failed.sort_by_key(|p| p.row);
        let summary = serde_json::json!({"rows": rows.len(), "created": report.created, "updated": report.updated, "failed": report.failed.len()});
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "dataset_item.import", "dataset", &dataset.id, None, Some(summary)).await?;
        tx.commit().await?;
        Ok(report)
    }
    .await)
}

/// The project's datasets by name (id, name), for the "Add to dataset" menus.
#[server(prefix = "/api/ui", endpoint = "list_dataset_names")]
pub async fn list_dataset_names(project_id: String) -> Result<Vec<(String, String)>, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        Ok(crate::store::datasets::dataset_names(&state.pool, &scope.project_id, MAX_NAMES).await?)
    }
    .await)
}

/// A trace's (or, with `observation_id`, one of its observations') input, output and metadata,
/// to start a new item from.
#[server(prefix = "/api/ui", endpoint = "dataset_item_draft")]
pub async fn dataset_item_draft(project_id: String, trace_id: String, observation_id: Option<String>) -> Result<ItemDraft, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let observation = observation_id.as_deref().filter(|o| !o.is_empty());
        let (input, expected_output, metadata) = crate::store::datasets::item_source(&state.pool, &scope.project_id, &trace_id, observation)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(datasets.errors.no_source)))?;
        Ok(ItemDraft { input, expected_output, metadata })
    }
    .await)
}

/// Makes an item of each selected trace (the traces list's bulk action): input → input, output
/// → expected output, metadata → metadata, the trace as source. Returns how many were made.
#[server(prefix = "/api/ui", endpoint = "add_traces_to_dataset", input = leptos::server_fn::codec::Json)]
pub async fn add_traces_to_dataset(project_id: String, dataset_id: String, trace_ids: Vec<String>) -> Result<u64, AppError> {
    use crate::server_fns::trace_list::BULK_LIMIT;
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDatasets).await?;
        let project = &scope.project_id;
        let dataset = find_dataset(&state.pool, project, &dataset_id).await?;
        if trace_ids.is_empty() {
            return Err(AppError::invalid("trace_ids", crate::language::say!(errors.traces.select_one)));
        }
        if trace_ids.len() > BULK_LIMIT {
            return Err(AppError::invalid("trace_ids", crate::language::say!(errors.traces.select_at_most, limit = BULK_LIMIT)));
        }
        let mut ids = trace_ids;
        ids.sort();
        ids.dedup();
        let mut tx = state.pool.begin().await?;
        let added = crate::store::datasets::add_traces(&mut tx, project, &dataset.id, &ids).await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "dataset_item.add_traces", "dataset", &dataset.id, None, Some(serde_json::json!({"traces": ids.len(), "added": added}))).await?;
        tx.commit().await?;
        Ok(added)
    }
    .await)
}
