use sqlx::PgConnection;

use super::Upsert;

#[derive(Debug, thiserror::Error)]
pub enum CreateProjectError {
    #[error("project {project_id} already exists in organization {existing_org_id}, not in {requested_org_id}")]
    InOtherOrganization { project_id: String, existing_org_id: String, requested_org_id: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Creates the project in `org_id` unless one with this id exists. A project id is global, so an
/// existing project in a different organization is an error rather than silently reused.
pub async fn create_if_missing(
    conn: &mut PgConnection,
    org_id: &str,
    id: &str,
    name: &str,
) -> Result<Upsert, CreateProjectError> {
    let result = sqlx::query("INSERT INTO projects (id, org_id, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(org_id)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    if result.rows_affected() > 0 {
        return Ok(Upsert::Created);
    }
    let existing_org_id: String = sqlx::query_scalar("SELECT org_id FROM projects WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    if existing_org_id != org_id {
        return Err(CreateProjectError::InOtherOrganization {
            project_id: id.to_string(),
            existing_org_id,
            requested_org_id: org_id.to_string(),
        });
    }
    Ok(Upsert::AlreadyExisted)
}

/// The project with its organization, as `GET /api/public/projects` shows it to the project's
/// API key; `None` when the project does not exist or is deleted.
pub async fn summary(
    pool: &sqlx::PgPool,
    project_id: &str,
) -> Result<Option<crate::domain::project::ProjectSummary>, sqlx::Error> {
    use crate::domain::project::{OrganizationRef, ProjectSummary};
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT p.id, p.name, o.id, o.name FROM projects p JOIN organizations o ON o.id = p.org_id
         WHERE p.id = $1 AND p.deleted_at IS NULL",
    )
    .bind(project_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(id, name, org_id, org_name)| ProjectSummary {
        id,
        name,
        organization: OrganizationRef { id: org_id, name: org_name },
        metadata: Default::default(),
        retention_days: None,
    }))
}
