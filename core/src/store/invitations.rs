//! Invitations to an organization: a random link token (only its digest stored), a role, an
//! optional project role, an expiry. One open invitation per person and organization (a unique
//! index); accepting or revoking closes it for good.

use crate::scope::{OrganizationId, ProjectId};
use super::StoreError;
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use crate::auth::tokens;
use loupe_domain::account::{InvitationPreview, InvitationState, InvitationView};
use loupe_domain::Role;

/// How long a link stays valid.
pub const LIFETIME: Duration = Duration::days(7);

pub struct NewInvitation<'a> {
    pub org_id: &'a OrganizationId,
    pub email: &'a str,
    pub role: Role,
    pub project: Option<(&'a ProjectId, Role)>,
    pub invited_by: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("{0} already has an open invitation; revoke it first to send a new one")]
    AlreadyInvited(String),
    #[error("{0} is already a member of this organization")]
    AlreadyMember(String),
    #[error(transparent)]
    Database(#[from] StoreError),
}

/// Creates an invitation; returns it with the link token (shown once).
pub async fn create(conn: &mut PgConnection, new: NewInvitation<'_>) -> Result<(InvitationView, String), InviteError> {
    let is_member: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM organization_memberships m JOIN accounts u ON u.id = m.user_id
                        WHERE m.org_id = $1 AND lower(u.email) = lower($2))",
    )
    .bind(new.org_id)
    .bind(new.email)
    .fetch_one(&mut *conn)
    .await?;
    if is_member {
        return Err(InviteError::AlreadyMember(new.email.to_string()));
    }
    let (token, hash) = tokens::new_token();
    let id = super::new_id();
    let result = sqlx::query(
        "INSERT INTO invitations (id, org_id, email, role, project_id, project_role, token_hash, invited_by_user_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9)
         ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(new.org_id)
    .bind(new.email)
    .bind(new.role.as_str())
    .bind(new.project.map(|(p, _)| p))
    .bind(new.project.map(|(_, r)| r.as_str()))
    .bind(&hash)
    .bind(new.invited_by)
    .bind(LIFETIME)
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() == 0 {
        return Err(InviteError::AlreadyInvited(new.email.to_string()));
    }
    let view = open_for_org_where(conn, new.org_id, Some(&id)).await?.pop().ok_or(sqlx::Error::RowNotFound)?;
    Ok((view, token))
}

async fn open_for_org_where(conn: &mut PgConnection, org_id: &OrganizationId, id: Option<&str>) -> Result<Vec<InvitationView>, StoreError> {
    type Row = (String, String, String, Option<String>, Option<String>, Option<String>, Option<String>, DateTime<Utc>, DateTime<Utc>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT i.id, i.email, i.role, i.project_id, p.name, i.project_role, u.email, i.created_at, i.expires_at
         FROM invitations i
         LEFT JOIN projects p ON p.id = i.project_id
         LEFT JOIN accounts u ON u.id = i.invited_by_user_id
         WHERE i.org_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND ($2::text IS NULL OR i.id = $2)
         ORDER BY i.created_at DESC",
    )
    .bind(org_id)
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, email, role, project_id, project_name, project_role, invited_by, created_at, expires_at)| InvitationView {
            id,
            email,
            role: role.parse().unwrap_or(Role::Viewer),
            project_id,
            project_name,
            project_role: project_role.and_then(|r| r.parse().ok()),
            invited_by,
            created_at,
            expires_at,
        })
        .collect())
}

/// Open invitations (expired ones included, so they can be revoked and re-sent).
pub async fn open_for_org(pool: &PgPool, org_id: &OrganizationId) -> Result<Vec<InvitationView>, StoreError> {
    let mut conn = pool.acquire().await?;
    open_for_org_where(&mut conn, org_id, None).await
}

/// Revokes an open invitation of this organization; returns its email.
pub async fn revoke(conn: &mut PgConnection, org_id: &OrganizationId, invitation_id: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar(
        "UPDATE invitations SET revoked_at = now()
         WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING email",
    )
    .bind(invitation_id)
    .bind(org_id)
    .fetch_optional(conn)
    .await.map_err(StoreError::from)
}

/// An invitation found by its link token. Its organization and project are scopes: holding the
/// link (as the invited email, which the caller checks) is the right to join them.
#[derive(Debug, Clone)]
pub struct Found {
    pub id: String,
    pub org_id: OrganizationId,
    pub email: String,
    pub role: Role,
    pub project: Option<(ProjectId, Role)>,
    pub state: InvitationState,
    pub preview: InvitationPreview,
}

/// Looks an invitation up by its token; with `lock`, the row stays locked until the transaction
/// ends (acceptance), so a link cannot be used twice concurrently.
pub async fn find_by_token(conn: &mut PgConnection, token: &str, lock: bool) -> Result<Option<Found>, StoreError> {
    type Row = (String, String, String, String, Option<String>, Option<String>, DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let sql = if lock {
        "SELECT id, org_id, email, role, project_id, project_role, expires_at, accepted_at, revoked_at
         FROM invitations WHERE token_hash = $1 FOR UPDATE"
    } else {
        "SELECT id, org_id, email, role, project_id, project_role, expires_at, accepted_at, revoked_at
         FROM invitations WHERE token_hash = $1"
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(tokens::digest(token)).fetch_optional(&mut *conn).await?;
    let Some((id, org_id, email, role, project_id, project_role, expires_at, accepted_at, revoked_at)) = row else {
        return Ok(None);
    };
    let state = if accepted_at.is_some() {
        InvitationState::Accepted
    } else if revoked_at.is_some() {
        InvitationState::Revoked
    } else if expires_at <= Utc::now() {
        InvitationState::Expired
    } else {
        InvitationState::Open
    };
    let (organization_name, invited_by, has_account): (String, Option<String>, bool) = sqlx::query_as(
        "SELECT o.name, (SELECT coalesce(u.name, u.email) FROM accounts u JOIN invitations i ON i.invited_by_user_id = u.id WHERE i.id = $2),
                EXISTS (SELECT 1 FROM accounts WHERE lower(email) = lower($3) AND password_hash IS NOT NULL)
         FROM organizations o WHERE o.id = $1",
    )
    .bind(&org_id)
    .bind(&id)
    .bind(&email)
    .fetch_one(&mut *conn)
    .await?;
    let role: Role = role.parse().unwrap_or(Role::Viewer);
    let project = project_id.map(ProjectId::vouched).zip(project_role.and_then(|r| r.parse().ok()));
    Ok(Some(Found {
        preview: InvitationPreview { organization_name, email: email.clone(), role, invited_by, state, has_account },
        id,
        org_id: OrganizationId::vouched(org_id),
        email,
        role,
        project,
        state,
    }))
}

/// Marks the invitation used by `user_id`.
pub async fn mark_accepted(conn: &mut PgConnection, invitation_id: &str, user_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE invitations SET accepted_at = now(), accepted_by_user_id = $2 WHERE id = $1")
        .bind(invitation_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

impl From<sqlx::Error> for InviteError {
    fn from(error: sqlx::Error) -> Self {
        InviteError::Database(error.into())
    }
}

/// What an invitation email says of its sender: the organization's name and the inviter's name
/// (their email when they have none).
pub async fn sender(pool: &sqlx::PgPool, org_id: &OrganizationId, inviter_user_id: &str) -> Result<(String, String), StoreError> {
    let (org_name, name, email): (String, Option<String>, String) =
        sqlx::query_as("SELECT o.name, u.name, u.email FROM organizations o, accounts u WHERE o.id = $1 AND u.id = $2")
            .bind(org_id)
            .bind(inviter_user_id)
            .fetch_one(pool)
            .await?;
    Ok((org_name, name.filter(|n| !n.is_empty()).unwrap_or(email)))
}
