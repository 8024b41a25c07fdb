//! Custom dashboards (`dashboards`, issue #22): a project's named boards of widgets. Every query
//! filters by the project. Widgets are written only as `loupe_domain::dashboards::Widget`s the
//! caller has checked (`check_widgets`) and read back through the same checks, so a row that
//! somehow stopped being valid (a measure a later version dropped) is reported, never drawn
//! wrong.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use super::StoreError;
use crate::scope::ProjectId;
use loupe_domain::dashboards::{widgets_from_json, Dashboard, DashboardSummary, Widget};

type Row = (String, String, Option<String>, Value, Option<String>, Option<String>, DateTime<Utc>, DateTime<Utc>);

const SELECT: &str = "SELECT d.id, d.name, d.description, d.widgets, d.created_by, coalesce(nullif(a.name, ''), a.email), d.created_at, d.updated_at
    FROM dashboards d LEFT JOIN accounts a ON a.id = d.created_by";

fn dashboard((id, name, description, widgets, created_by, created_by_name, created_at, updated_at): Row) -> Result<Dashboard, StoreError> {
    // A row that no longer checks is a server-side fault (logged with its field), not the
    // reader's mistake.
    let widgets = widgets_from_json(widgets).map_err(|e| StoreError::Other(sqlx::Error::Decode(Box::new(e))))?;
    Ok(Dashboard { id, name, description, widgets, created_by, created_by_name, created_at, updated_at })
}

/// The project's dashboards, most recently changed first.
pub async fn list(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<DashboardSummary>, StoreError> {
    let rows: Vec<(String, String, Option<String>, i32, Option<String>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT d.id, d.name, d.description, jsonb_array_length(d.widgets), coalesce(nullif(a.name, ''), a.email), d.updated_at
         FROM dashboards d LEFT JOIN accounts a ON a.id = d.created_by
         WHERE d.project_id = $1 ORDER BY d.updated_at DESC, d.id",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, description, widgets, created_by_name, updated_at)| DashboardSummary {
            id,
            name,
            description,
            widget_count: widgets as i64,
            created_by_name,
            updated_at,
        })
        .collect())
}

/// One dashboard of the project.
pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Dashboard>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE d.project_id = $1 AND d.id = $2")).bind(project_id).bind(id).fetch_optional(pool).await?;
    row.map(dashboard).transpose()
}

/// One dashboard, locked for the caller's transaction (a change and its audit entry see the
/// same "before").
pub async fn lock(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<Dashboard>, StoreError> {
    let row: Option<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE d.project_id = $1 AND d.id = $2 FOR UPDATE OF d")).bind(project_id).bind(id).fetch_optional(conn).await?;
    row.map(dashboard).transpose()
}

/// Creates a dashboard with `widgets` (checked by the caller).
pub async fn create(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    name: &str,
    description: Option<&str>,
    widgets: &[Widget],
    created_by: &str,
) -> Result<Dashboard, StoreError> {
    let id = super::new_id();
    sqlx::query("INSERT INTO dashboards (project_id, id, name, description, widgets, created_by) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(project_id)
        .bind(&id)
        .bind(name)
        .bind(description)
        .bind(sqlx::types::Json(widgets))
        .bind(created_by)
        .execute(&mut *conn)
        .await?;
    let row: Row = sqlx::query_as(&format!("{SELECT} WHERE d.project_id = $1 AND d.id = $2")).bind(project_id).bind(&id).fetch_one(conn).await?;
    dashboard(row)
}

/// Renames a dashboard and sets its description; `None` when the project has no such dashboard.
pub async fn rename(conn: &mut PgConnection, project_id: &ProjectId, id: &str, name: &str, description: Option<&str>) -> Result<Option<Dashboard>, StoreError> {
    let done = sqlx::query("UPDATE dashboards SET name = $3, description = $4, updated_at = now() WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .bind(name)
        .bind(description)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    lock(conn, project_id, id).await
}

/// Replaces a dashboard's widgets (checked by the caller); `None` when there is no such dashboard.
pub async fn set_widgets(conn: &mut PgConnection, project_id: &ProjectId, id: &str, widgets: &[Widget]) -> Result<Option<Dashboard>, StoreError> {
    let done = sqlx::query("UPDATE dashboards SET widgets = $3, updated_at = now() WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .bind(sqlx::types::Json(widgets))
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    lock(conn, project_id, id).await
}

/// Deletes a dashboard; false when there was none.
pub async fn delete(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM dashboards WHERE project_id = $1 AND id = $2").bind(project_id).bind(id).execute(conn).await?;
    Ok(done.rows_affected() > 0)
}
