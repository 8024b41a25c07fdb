//! Saved views of the traces list (`saved_views`): a project's named list queries.

use crate::scope::ProjectId;
use super::StoreError;
use sqlx::{PgConnection, PgPool};

use loupe_domain::trace_list::SavedView;

type Row = (String, String, String, Option<String>, Option<String>, chrono::DateTime<chrono::Utc>);

fn view((id, name, query, created_by, created_by_email, created_at): Row) -> SavedView {
    SavedView { id, name, query, created_by, created_by_email, created_at, deletable: false }
}

/// The project's views, by name.
pub async fn list(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<SavedView>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT v.id, v.name, v.query, v.created_by, u.email, v.created_at
         FROM saved_views v LEFT JOIN accounts u ON u.id = v.created_by
         WHERE v.project_id = $1 ORDER BY lower(v.name), v.name",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(view).collect())
}

pub async fn get(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<SavedView>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT v.id, v.name, v.query, v.created_by, u.email, v.created_at
         FROM saved_views v LEFT JOIN accounts u ON u.id = v.created_by
         WHERE v.project_id = $1 AND v.id = $2 FOR UPDATE OF v",
    )
    .bind(project_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(view))
}

/// Creates the view; `None` when the project already has a view of that name.
pub async fn create(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    name: &str,
    query: &str,
    created_by: &str,
) -> Result<Option<SavedView>, StoreError> {
    let row: Option<(String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "INSERT INTO saved_views (project_id, id, name, query, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (project_id, name) DO NOTHING RETURNING id, created_at",
    )
    .bind(project_id)
    .bind(super::new_id())
    .bind(name)
    .bind(query)
    .bind(created_by)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, created_at)| SavedView {
        id,
        name: name.to_string(),
        query: query.to_string(),
        created_by: Some(created_by.to_string()),
        created_by_email: None,
        created_at,
        deletable: true,
    }))
}

pub async fn delete(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<bool, StoreError> {
    let result = sqlx::query("DELETE FROM saved_views WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}
