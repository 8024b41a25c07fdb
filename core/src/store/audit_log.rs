//! The audit log: one row per change to members, roles, keys, projects, prompt labels and
//! settings, written in the same transaction as the change it records (so a rolled-back change
//! leaves no entry, and a committed one always has one). Append-only: there is no update or
//! delete here.

use crate::scope::{OrganizationId, ProjectId};
use super::StoreError;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

use loupe_domain::account::{AuditEntryView, AuditFilter, AuditPage};

/// Who made a change: a signed-in person or an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(String),
    ApiKey(String),
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub org_id: &'a OrganizationId,
    pub project_id: Option<&'a ProjectId>,
    pub actor: Actor,
    /// `<resource>.<verb>`, e.g. `api_key.create`, `member.role_change`.
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn record(conn: &mut PgConnection, entry: Entry<'_>) -> Result<(), StoreError> {
    let (user, key) = match &entry.actor {
        Actor::User(id) => (Some(id.as_str()), None),
        Actor::ApiKey(id) => (None, Some(id.as_str())),
    };
    sqlx::query(
        "INSERT INTO audit_log (org_id, project_id, actor_user_id, actor_api_key_id, action, resource_type, resource_id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(entry.org_id)
    .bind(entry.project_id)
    .bind(user)
    .bind(key)
    .bind(entry.action)
    .bind(entry.resource_type)
    .bind(entry.resource_id)
    .bind(entry.before)
    .bind(entry.after)
    .execute(conn)
    .await?;
    Ok(())
}

/// A recorded change as the audit log page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Recorded {
    pub id: i64,
    pub project_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_api_key_id: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Newest first, optionally narrowed to one resource type; `before_id` continues a page.
pub async fn list(
    conn: &mut PgConnection,
    org_id: &OrganizationId,
    resource_type: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Recorded>, StoreError> {
    sqlx::query_as(
        "SELECT id, project_id, actor_user_id, actor_api_key_id, action, resource_type, resource_id, before, after, created_at
         FROM audit_log
         WHERE org_id = $1 AND ($2::text IS NULL OR resource_type = $2) AND ($3::bigint IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4",
    )
    .bind(org_id)
    .bind(resource_type)
    .bind(before_id)
    .bind(limit)
    .fetch_all(conn)
    .await.map_err(StoreError::from)
}

/// A page of the audit log for the UI, newest first, with actor and project names resolved.
pub async fn page(pool: &sqlx::PgPool, org_id: &OrganizationId, filter: &AuditFilter, limit: i64) -> Result<AuditPage, StoreError> {
    type Row = (i64, chrono::DateTime<chrono::Utc>, Option<String>, Option<String>, Option<String>, String, String, String, Option<String>, Option<String>, Option<Value>, Option<Value>);
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id, a.created_at, u.email, a.actor_user_id, k.public_key, a.action, a.resource_type, a.resource_id,
                a.project_id, p.name, a.before, a.after
         FROM audit_log a
         LEFT JOIN accounts u ON u.id = a.actor_user_id
         LEFT JOIN api_keys k ON k.id = a.actor_api_key_id
         LEFT JOIN projects p ON p.id = a.project_id
         WHERE a.org_id = $1
           AND ($2::text IS NULL OR a.action = $2)
           AND ($3::text IS NULL OR u.email ILIKE '%' || $3 || '%')
           AND ($4::text IS NULL OR a.project_id = $4)
           AND ($5::bigint IS NULL OR a.id < $5)
         ORDER BY a.id DESC LIMIT $6",
    )
    .bind(org_id)
    .bind(non_empty(&filter.action))
    .bind(non_empty(&filter.actor).map(|a| a.replace('%', "\\%").replace('_', "\\_")))
    .bind(non_empty(&filter.project_id))
    .bind(filter.before_id)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let (rows, more) = super::query::split_page(rows, limit);
    let entries: Vec<AuditEntryView> = rows
        .into_iter()
        .map(|(id, created_at, email, user_id, public_key, action, resource_type, resource_id, project_id, project_name, before, after)| {
            use loupe_domain::account::{AuditActor, DeletedActor};
            let actor = match (email, user_id, public_key) {
                (Some(email), _, _) => AuditActor::Person(email),
                (None, _, Some(public_key)) => AuditActor::ApiKey { public_key },
                (None, Some(_), None) | (None, None, None) => AuditActor::Deleted(DeletedActor::Deleted),
            };
            AuditEntryView { id, created_at, actor, action, resource_type, resource_id, project_id, project_name, before, after }
        })
        .collect();
    let next_before_id = if more { entries.last().map(|e| e.id) } else { None };
    let actions = sqlx::query_scalar("SELECT DISTINCT action FROM audit_log WHERE org_id = $1 ORDER BY action")
        .bind(org_id)
        .fetch_all(pool)
        .await?;
    Ok(AuditPage { entries, next_before_id, actions })
}
