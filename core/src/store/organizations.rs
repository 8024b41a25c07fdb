//! Organizations and what hangs off them for the UI: the signed-in person's organizations with
//! their projects and roles, creation, renaming and deletion.

use crate::scope::OrganizationId;
use super::StoreError;
use sqlx::{PgConnection, PgPool};

use super::Upsert;
use loupe_domain::account::{OrganizationRef, ProjectRef};
use loupe_domain::permissions::effective_role;
use loupe_domain::Role;

/// Creates the organization unless one with this id exists (its name is then left as is).
pub async fn create_if_missing(conn: &mut PgConnection, id: &str, name: &str) -> Result<(Upsert, OrganizationId), StoreError> {
    let result = sqlx::query("INSERT INTO organizations (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok((Upsert::from_rows_affected(result.rows_affected()), OrganizationId::vouched(id)))
}

/// Creates an organization with a generated id and makes `owner_user_id` its Owner.
pub async fn create(conn: &mut PgConnection, name: &str, owner_user_id: &str) -> Result<OrganizationId, StoreError> {
    let id = super::new_id();
    sqlx::query("INSERT INTO organizations (id, name) VALUES ($1, $2)").bind(&id).bind(name).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) VALUES ($1, $2, 'OWNER')")
        .bind(&id)
        .bind(owner_user_id)
        .execute(&mut *conn)
        .await?;
    Ok(OrganizationId::vouched(id))
}

/// Renames; returns the previous name (`None` when the organization does not exist).
pub async fn rename(conn: &mut PgConnection, org_id: &OrganizationId, name: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar(
        "UPDATE organizations o SET name = $2, updated_at = now()
         FROM (SELECT id, name FROM organizations WHERE id = $1 FOR UPDATE) old
         WHERE o.id = old.id RETURNING old.name",
    )
    .bind(org_id)
    .bind(name)
    .fetch_optional(conn)
    .await.map_err(StoreError::from)
}

/// Deletes the organization with its projects' ingested rows (no foreign key reaches them: see
/// `projects::delete_ingested_in_org`) and, by cascade, its projects, their other data,
/// memberships, invitations and audit log.
pub async fn delete(conn: &mut PgConnection, org_id: &OrganizationId) -> Result<bool, StoreError> {
    super::projects::delete_ingested_in_org(conn, org_id).await?;
    Ok(sqlx::query("DELETE FROM organizations WHERE id = $1").bind(org_id).execute(conn).await?.rows_affected() > 0)
}

/// The person's organizations, each with its live projects and the person's effective role in
/// each; ordered by name so the switcher is stable.
pub async fn for_user(pool: &PgPool, user_id: &str) -> Result<Vec<OrganizationRef>, StoreError> {
    let rows: Vec<(String, String, String, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT o.id, o.name, m.role, p.id, p.name, pm.role
         FROM organization_memberships m
         JOIN organizations o ON o.id = m.org_id
         LEFT JOIN projects p ON p.org_id = o.id AND p.deleted_at IS NULL
         LEFT JOIN project_memberships pm ON pm.project_id = p.id AND pm.user_id = m.user_id
         WHERE m.user_id = $1
         ORDER BY lower(o.name), o.id, lower(p.name), p.id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    let mut organizations: Vec<OrganizationRef> = Vec::new();
    for (org_id, org_name, org_role, project_id, project_name, project_role) in rows {
        let org_role: Role = org_role.parse().unwrap_or(Role::Viewer);
        if organizations.last().is_none_or(|o| o.id != org_id) {
            organizations.push(OrganizationRef { id: org_id, name: org_name, role: org_role, projects: Vec::new() });
        }
        if let (Some(id), Some(name)) = (project_id, project_name) {
            let role = effective_role(org_role, project_role.and_then(|r| r.parse().ok()));
            organizations.last_mut().expect("pushed above").projects.push(ProjectRef { id, name, role });
        }
    }
    Ok(organizations)
}

/// The organization's name, its row locked until the transaction ends (deletion checks the
/// typed name against it). `NotFound` when there is no such organization.
pub async fn lock_name(conn: &mut PgConnection, org_id: &OrganizationId) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1 FOR UPDATE").bind(org_id).fetch_one(conn).await?)
}
