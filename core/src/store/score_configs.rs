//! Score configs: create, list, read, and read-for-update + write (the caller merges and
//! validates a change between the two, inside one transaction, so concurrent edits serialize).

use crate::scope::ProjectId;
use super::StoreError;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use super::query::{enum_column, Page};
use loupe_domain::score_views::{ConfigCategory, ScoreConfig};
use loupe_domain::ScoreDataType;

const COLUMNS: &str =
    "id, project_id, name, data_type, is_archived, min_value, max_value, categories, description, created_at, updated_at";

fn config_from_row(row: &PgRow) -> Result<ScoreConfig, StoreError> {
    let categories: Option<serde_json::Value> = row.try_get("categories")?;
    let categories = categories
        .filter(|value| !value.is_null())
        .map(serde_json::from_value::<Vec<ConfigCategory>>)
        .transpose()
        .map_err(|e| sqlx::Error::ColumnDecode { index: "categories".into(), source: Box::new(e) })?;
    Ok(ScoreConfig {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        name: row.try_get("name")?,
        data_type: enum_column(row, "data_type")?,
        is_archived: row.try_get("is_archived")?,
        min_value: row.try_get("min_value")?,
        max_value: row.try_get("max_value")?,
        categories,
        description: row.try_get("description")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn categories_json(categories: &Option<Vec<ConfigCategory>>) -> Option<serde_json::Value> {
    categories.as_ref().map(|c| serde_json::to_value(c).unwrap_or_default())
}

/// A fresh config id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A config to create; the caller has validated it.
#[derive(Debug, Clone)]
pub struct NewScoreConfig {
    pub id: String,
    pub name: String,
    pub data_type: ScoreDataType,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub categories: Option<Vec<ConfigCategory>>,
    pub description: Option<String>,
}

pub async fn create(pool: &PgPool, project_id: &ProjectId, config: &NewScoreConfig) -> Result<ScoreConfig, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO score_configs (project_id, id, name, data_type, min_value, max_value, categories, description)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    ))
    .bind(project_id)
    .bind(&config.id)
    .bind(&config.name)
    .bind(config.data_type.as_str())
    .bind(config.min_value)
    .bind(config.max_value)
    .bind(categories_json(&config.categories))
    .bind(&config.description)
    .fetch_one(pool)
    .await?;
    config_from_row(&row)
}

/// Newest first (ties by id), as Langfuse lists them.
pub async fn list(pool: &PgPool, project_id: &ProjectId, page: Page) -> Result<Vec<ScoreConfig>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM score_configs WHERE project_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
    ))
    .bind(project_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?
    .iter()
    .map(config_from_row)
    .collect()
}

pub async fn count(pool: &PgPool, project_id: &ProjectId) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT count(*) FROM score_configs WHERE project_id = $1")
        .bind(project_id)
        .fetch_one(pool)
        .await.map_err(StoreError::from)
}

pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<ScoreConfig>, StoreError> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM score_configs WHERE project_id = $1 AND id = $2"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(config_from_row)
        .transpose()
}

/// Reads a config and locks its row until the transaction ends.
pub async fn get_for_update(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    id: &str,
) -> Result<Option<ScoreConfig>, StoreError> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM score_configs WHERE project_id = $1 AND id = $2 FOR UPDATE"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(config_from_row)
        .transpose()
}

/// Writes the editable fields of the project's config `config.id` (name, archived flag, range, categories,
/// description) and returns the stored row.
pub async fn update(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    config: &ScoreConfig,
) -> Result<ScoreConfig, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE score_configs
         SET name = $3, is_archived = $4, min_value = $5, max_value = $6, categories = $7, description = $8,
             updated_at = now()
         WHERE project_id = $1 AND id = $2
         RETURNING {COLUMNS}"
    ))
    .bind(project_id)
    .bind(&config.id)
    .bind(&config.name)
    .bind(config.is_archived)
    .bind(config.min_value)
    .bind(config.max_value)
    .bind(categories_json(&config.categories))
    .bind(&config.description)
    .fetch_one(&mut *conn)
    .await?;
    config_from_row(&row)
}

/// The project's configs among `ids` (one query; unknown ids are simply absent).
pub async fn get_many(pool: &PgPool, project_id: &ProjectId, ids: &[String]) -> Result<Vec<ScoreConfig>, StoreError> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM score_configs WHERE project_id = $1 AND id = ANY($2)"))
        .bind(project_id)
        .bind(ids)
        .fetch_all(pool)
        .await?
        .iter()
        .map(config_from_row)
        .collect()
}
