//! The audit log: one row per change to members, roles, keys, projects, prompt labels and
//! settings, written in the same transaction as the change it records (so a rolled-back change
//! leaves no entry, and a committed one always has one). Append-only: there is no update or
//! delete here.

use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

/// Who made a change: a signed-in person or an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(String),
    ApiKey(String),
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub org_id: &'a str,
    pub project_id: Option<&'a str>,
    pub actor: Actor,
    /// `<resource>.<verb>`, e.g. `api_key.create`, `member.role_change`.
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn record(conn: &mut PgConnection, entry: Entry<'_>) -> Result<(), sqlx::Error> {
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
    org_id: &str,
    resource_type: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Recorded>, sqlx::Error> {
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
    .await
}
