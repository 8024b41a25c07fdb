//! Project model definitions in Postgres (`models`, migration
//! `20261127000002_create_models.sql`). Every query names the project: a key of one project can
//! never read, match or delete another project's models. Built-in models are not stored.
//!
//! A stored row that no longer compiles (a pattern this version of the regex crate refuses) is
//! logged and skipped when loading for pricing, so it cannot stop ingestion.

use crate::scope::ProjectId;
use chrono::{DateTime, Utc};
use serde_json::Value;
use loupe_domain::models::{FieldProblem, PriceProblem};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, PgPool, Row};

use super::definition::{parse_tiers, ModelDefinition, PricingTier};

const COLUMNS: &str =
    "project_id, id, model_name, match_pattern, start_date, unit, tokenizer_id, tokenizer_config, pricing_tiers, created_at, updated_at";

/// A validated definition to store.
#[derive(Debug, Clone)]
pub struct NewModel {
    pub project_id: String,
    pub id: String,
    pub model_name: String,
    pub match_pattern: String,
    pub start_date: Option<DateTime<Utc>>,
    pub unit: Option<String>,
    pub tokenizer_id: Option<String>,
    pub tokenizer_config: Option<Value>,
    pub pricing_tiers: Vec<PricingTier>,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    #[error("a model named {model_name:?} with the same startDate and unit already exists in this project")]
    Duplicate { model_name: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl InsertError {
    /// The duplicate as the field it is about, for the forms and the public API.
    pub fn problem(&self) -> Option<FieldProblem> {
        match self {
            InsertError::Duplicate { model_name } => Some(FieldProblem::new("modelName", PriceProblem::Duplicate(model_name.clone()))),
            InsertError::Database(_) => None,
        }
    }
}

const UNIQUE_NAME: &str = "models_project_id_model_name_start_date_unit_key";

fn insert_error(model_name: &str, error: sqlx::Error) -> InsertError {
    match &error {
        sqlx::Error::Database(db) if db.constraint() == Some(UNIQUE_NAME) => InsertError::Duplicate { model_name: model_name.to_string() },
        _ => InsertError::Database(error),
    }
}

/// All models of a project, for pricing (any order; the caller sorts for matching).
pub async fn load_project(conn: impl PgExecutor<'_>, project_id: &ProjectId) -> Result<Vec<ModelDefinition>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM models WHERE project_id = $1")).bind(project_id).fetch_all(conn).await?;
    Ok(rows.iter().filter_map(definition_or_log).collect())
}

/// One page of a project's models, by name then newest start date, with the project's count.
pub async fn page(pool: &PgPool, project_id: &ProjectId, offset: i64, limit: i64) -> Result<(Vec<ModelDefinition>, i64), sqlx::Error> {
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM models WHERE project_id = $1").bind(project_id).fetch_one(pool).await?;
    if limit <= 0 || offset >= total {
        return Ok((Vec::new(), total));
    }
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM models WHERE project_id = $1
         ORDER BY model_name, start_date DESC NULLS LAST, created_at DESC, id OFFSET $2 LIMIT $3"
    ))
    .bind(project_id)
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok((rows.iter().filter_map(definition_or_log).collect(), total))
}

pub async fn get(conn: impl PgExecutor<'_>, project_id: &ProjectId, id: &str) -> Result<Option<ModelDefinition>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM models WHERE project_id = $1 AND id = $2"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().and_then(definition_or_log))
}

/// A project model locked for an edit (`FOR UPDATE`), in the caller's transaction.
pub async fn lock(conn: &mut sqlx::PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<ModelDefinition>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM models WHERE project_id = $1 AND id = $2 FOR UPDATE"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().and_then(definition_or_log))
}

/// Replaces every field of a project model (its id and creation time stay); `None` when the
/// project has no model with this id.
pub async fn update(conn: impl PgExecutor<'_>, model: NewModel) -> Result<Option<ModelDefinition>, InsertError> {
    let tiers = Value::Array(model.pricing_tiers.iter().map(PricingTier::to_json).collect());
    let row = sqlx::query(&format!(
        "UPDATE models SET model_name = $3, match_pattern = $4, start_date = $5, unit = $6, tokenizer_id = $7,
                tokenizer_config = $8, pricing_tiers = $9, updated_at = now()
         WHERE project_id = $1 AND id = $2
         RETURNING {COLUMNS}"
    ))
    .bind(&model.project_id)
    .bind(&model.id)
    .bind(&model.model_name)
    .bind(&model.match_pattern)
    .bind(model.start_date)
    .bind(&model.unit)
    .bind(&model.tokenizer_id)
    .bind(&model.tokenizer_config)
    .bind(&tiers)
    .fetch_optional(conn)
    .await
    .map_err(|error| insert_error(&model.model_name, error))?;
    row.map(|row| definition(&row).map_err(|error| InsertError::Database(sqlx::Error::Decode(error.into())))).transpose()
}

/// Stores a new model and returns it as stored.
pub async fn insert(conn: impl PgExecutor<'_>, model: NewModel) -> Result<ModelDefinition, InsertError> {
    let tiers = Value::Array(model.pricing_tiers.iter().map(PricingTier::to_json).collect());
    let row = sqlx::query(&format!(
        "INSERT INTO models (project_id, id, model_name, match_pattern, start_date, unit, tokenizer_id, tokenizer_config, pricing_tiers)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING {COLUMNS}"
    ))
    .bind(&model.project_id)
    .bind(&model.id)
    .bind(&model.model_name)
    .bind(&model.match_pattern)
    .bind(model.start_date)
    .bind(&model.unit)
    .bind(&model.tokenizer_id)
    .bind(&model.tokenizer_config)
    .bind(&tiers)
    .fetch_one(conn)
    .await
    .map_err(|error| insert_error(&model.model_name, error))?;
    definition(&row).map_err(|error| InsertError::Database(sqlx::Error::Decode(error.into())))
}

/// Deletes a project model; `false` when the project has no model with this id.
pub async fn delete(conn: impl PgExecutor<'_>, project_id: &ProjectId, id: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM models WHERE project_id = $1 AND id = $2").bind(project_id).bind(id).execute(conn).await?;
    Ok(result.rows_affected() > 0)
}

fn definition_or_log(row: &PgRow) -> Option<ModelDefinition> {
    match definition(row) {
        Ok(model) => Some(model),
        Err(error) => {
            let project_id: Option<String> = row.try_get("project_id").ok();
            let id: Option<String> = row.try_get("id").ok();
            tracing::error!(project_id, model_id = id, %error, "skipping a stored model definition that cannot be read");
            None
        }
    }
}

fn definition(row: &PgRow) -> Result<ModelDefinition, String> {
    let read = |error: sqlx::Error| error.to_string();
    let id: String = row.try_get("id").map_err(read)?;
    let tiers: Value = row.try_get("pricing_tiers").map_err(read)?;
    let tiers = parse_tiers(&tiers, "pricing_tiers", |idx| format!("{id}_tier_{idx}"))?;
    ModelDefinition::new(
        id,
        Some(row.try_get("project_id").map_err(read)?),
        row.try_get("model_name").map_err(read)?,
        row.try_get("match_pattern").map_err(read)?,
        row.try_get("start_date").map_err(read)?,
        row.try_get("unit").map_err(read)?,
        row.try_get("tokenizer_id").map_err(read)?,
        row.try_get("tokenizer_config").map_err(read)?,
        row.try_get("created_at").map_err(read)?,
        row.try_get("updated_at").map_err(read)?,
        tiers,
    )
    .map_err(String::from)
}
