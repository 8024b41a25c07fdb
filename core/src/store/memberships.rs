//! Organization memberships and per-project role overrides.

use crate::scope::{ProjectId, OrganizationId};
use super::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::Upsert;
use loupe_domain::account::{MemberView, ProjectRoleOverride};
use loupe_domain::Role;

/// Adds the user to the organization with `role` unless they are already a member (an existing
/// membership keeps its role: roles changed in the UI survive restarts).
pub async fn add_if_missing(conn: &mut PgConnection, org_id: &OrganizationId, user_id: &str, role: Role) -> Result<Upsert, StoreError> {
    let result = sqlx::query(
        "INSERT INTO organization_memberships (org_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, user_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(role.as_str())
    .execute(conn)
    .await?;
    Ok(Upsert::from_rows_affected(result.rows_affected()))
}

/// The user's role in the organization, `None` when not a member.
pub async fn role_in_org(conn: &mut PgConnection, org_id: &OrganizationId, user_id: &str) -> Result<Option<Role>, StoreError> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM organization_memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    Ok(role.and_then(|r| r.parse().ok()))
}

/// The organization's Owners, locked until the transaction ends, so two concurrent demotions
/// cannot both pass the last-owner check.
pub async fn lock_owners(conn: &mut PgConnection, org_id: &OrganizationId) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar(
        "SELECT user_id FROM organization_memberships WHERE org_id = $1 AND role = 'OWNER' ORDER BY user_id FOR UPDATE",
    )
    .bind(org_id)
    .fetch_all(conn)
    .await.map_err(StoreError::from)
}

pub async fn set_role(conn: &mut PgConnection, org_id: &OrganizationId, user_id: &str, role: Role) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE organization_memberships SET role = $3, updated_at = now() WHERE org_id = $1 AND user_id = $2",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(role.as_str())
    .execute(conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Removes the member from the organization and from its projects' overrides.
pub async fn remove(conn: &mut PgConnection, org_id: &OrganizationId, user_id: &str) -> Result<bool, StoreError> {
    sqlx::query(
        "DELETE FROM project_memberships WHERE user_id = $2 AND project_id IN (SELECT id FROM projects WHERE org_id = $1)",
    )
    .bind(org_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    let result = sqlx::query("DELETE FROM organization_memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// Sets (`Some`) or clears (`None`) a member's role override in one project; returns the
/// previous override.
pub async fn set_project_role(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    user_id: &str,
    role: Option<Role>,
) -> Result<Option<Role>, StoreError> {
    let previous: Option<String> =
        sqlx::query_scalar("SELECT role FROM project_memberships WHERE project_id = $1 AND user_id = $2 FOR UPDATE")
            .bind(project_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    match role {
        Some(role) => {
            sqlx::query(
                "INSERT INTO project_memberships (project_id, user_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()",
            )
            .bind(project_id)
            .bind(user_id)
            .bind(role.as_str())
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM project_memberships WHERE project_id = $1 AND user_id = $2")
                .bind(project_id)
                .bind(user_id)
                .execute(conn)
                .await?;
        }
    }
    Ok(previous.and_then(|r| r.parse().ok()))
}

/// The organization's members with their overrides, Owners first, then by email.
pub async fn list(pool: &PgPool, org_id: &OrganizationId) -> Result<Vec<MemberView>, StoreError> {
    let members: Vec<(String, String, Option<String>, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, m.role, m.created_at
         FROM organization_memberships m JOIN accounts u ON u.id = m.user_id
         WHERE m.org_id = $1
         ORDER BY CASE m.role WHEN 'OWNER' THEN 0 WHEN 'ADMIN' THEN 1 WHEN 'MEMBER' THEN 2 ELSE 3 END, lower(u.email)",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    let overrides: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT pm.user_id, p.id, p.name, pm.role
         FROM project_memberships pm JOIN projects p ON p.id = pm.project_id
         WHERE p.org_id = $1 AND p.deleted_at IS NULL ORDER BY lower(p.name)",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    Ok(members
        .into_iter()
        .map(|(user_id, email, name, role, joined_at)| {
            let project_roles = overrides
                .iter()
                .filter(|(uid, ..)| *uid == user_id)
                .filter_map(|(_, project_id, project_name, role)| {
                    Some(ProjectRoleOverride { project_id: project_id.clone(), project_name: project_name.clone(), role: role.parse().ok()? })
                })
                .collect();
            MemberView { user_id, email, name, role: role.parse().unwrap_or(Role::Viewer), joined_at, project_roles }
        })
        .collect())
}

/// A person's standing in a live project: its organization and name, their organization role
/// and their project override (roles as stored; the access check parses them).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProjectStanding {
    pub org_id: String,
    pub project_name: String,
    pub org_role: String,
    pub project_role: Option<String>,
}

/// `None` when the project does not exist, is deleted, or the person is not in its organization.
pub async fn project_standing(pool: &PgPool, project_id: &str, user_id: &str) -> Result<Option<ProjectStanding>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT p.org_id, p.name AS project_name, m.role AS org_role, pm.role AS project_role
         FROM projects p
         JOIN organization_memberships m ON m.org_id = p.org_id AND m.user_id = $2
         LEFT JOIN project_memberships pm ON pm.project_id = p.id AND pm.user_id = $2
         WHERE p.id = $1 AND p.deleted_at IS NULL",
    )
    .bind(project_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await?)
}

/// The person's organization role as stored, `None` when they are not a member.
pub async fn org_role(pool: &PgPool, org_id: &str, user_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT role FROM organization_memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?)
}

/// The people of a live project (its organization's members), by name: who can be assigned to a
/// queue, mentioned in a comment, or named as an author.
pub async fn project_people(pool: &PgPool, project_id: &crate::scope::ProjectId) -> Result<Vec<loupe_domain::account::Person>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.id, COALESCE(NULLIF(btrim(u.name), ''), u.email) AS name
         FROM projects p JOIN organization_memberships m ON m.org_id = p.org_id JOIN accounts u ON u.id = m.user_id
         WHERE p.id = $1 AND p.deleted_at IS NULL
         ORDER BY lower(COALESCE(NULLIF(btrim(u.name), ''), u.email))",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name)| loupe_domain::account::Person { id, name }).collect())
}

/// Display names of accounts (name, else email), for authors who may have left the project.
pub async fn people(pool: &PgPool, ids: &[String]) -> Result<Vec<loupe_domain::account::Person>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, COALESCE(NULLIF(btrim(name), ''), email) FROM accounts WHERE id = ANY($1)").bind(ids).fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(id, name)| loupe_domain::account::Person { id, name }).collect())
}
