//! Saved playgrounds (`saved_playgrounds`, issue #18): a playground's state saved by name and
//! shared with the project; saving under a name that exists replaces its state.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::StoreError;
use crate::scope::ProjectId;
use loupe_domain::playground::{Playground, SavedPlayground};

type Row = (String, String, Option<String>, DateTime<Utc>);

fn summary((id, name, updated_by, updated_at): Row) -> SavedPlayground {
    SavedPlayground { id, name, updated_by, updated_at }
}

const COLUMNS: &str = "s.id, s.name, coalesce(a.name, a.email), s.updated_at";

/// The project's saved playgrounds, by name.
pub async fn list(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<SavedPlayground>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM saved_playgrounds s LEFT JOIN accounts a ON a.id = s.updated_by
         WHERE s.project_id = $1 ORDER BY lower(s.name), s.name"
    ))
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(summary).collect())
}

/// One saved playground and its state; a state that no longer reads (an older shape) opens as
/// an empty playground rather than failing.
pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<(SavedPlayground, Playground)>, StoreError> {
    let row: Option<(String, String, Option<String>, DateTime<Utc>, serde_json::Value)> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, s.state FROM saved_playgrounds s LEFT JOIN accounts a ON a.id = s.updated_by
         WHERE s.project_id = $1 AND s.id = $2"
    ))
    .bind(project_id)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(id, name, by, at, state)| (summary((id, name, by, at)), serde_json::from_value(state).unwrap_or_default())))
}

/// Saves `state` under `name` (replacing the state of the one so named); the saved playground
/// and whether it was created. Runs in the caller's transaction (with its audit entry).
pub async fn save(conn: &mut PgConnection, project_id: &ProjectId, name: &str, state: &Playground, by: &str) -> Result<(SavedPlayground, bool), StoreError> {
    let (id, created): (String, bool) = sqlx::query_as(
        "INSERT INTO saved_playgrounds (project_id, id, name, state, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (project_id, name) DO UPDATE SET state = EXCLUDED.state, updated_by = EXCLUDED.updated_by, updated_at = now()
         RETURNING id, (xmax = 0)",
    )
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(name)
    .bind(serde_json::to_value(state).unwrap_or_default())
    .bind(by)
    .fetch_one(&mut *conn)
    .await?;
    let row: Row = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM saved_playgrounds s LEFT JOIN accounts a ON a.id = s.updated_by WHERE s.project_id = $1 AND s.id = $2"
    ))
    .bind(project_id)
    .bind(&id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((summary(row), created))
}

/// Deletes one; the deleted one, `None` when the project has none with this id.
pub async fn delete(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<SavedPlayground>, StoreError> {
    let row: Option<(String, String, DateTime<Utc>)> =
        sqlx::query_as("DELETE FROM saved_playgrounds WHERE project_id = $1 AND id = $2 RETURNING id, name, updated_at")
            .bind(project_id)
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(id, name, updated_at)| SavedPlayground { id, name, updated_by: None, updated_at }))
}
