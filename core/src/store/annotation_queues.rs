//! Annotation queues (#20): queues, their items and assignments, and the review flow — handing
//! a reviewer the next item under a lock, renewing and releasing it, and recording their
//! outcome. The rules are `loupe_domain::annotation`'s.
//!
//! Handing out the next item is one statement: the oldest pending item of the queue that this
//! reviewer has not reviewed and nobody else holds is taken `FOR UPDATE SKIP LOCKED` and locked
//! to them, so reviewers asking at the same instant each get a different item without waiting on
//! each other. An item the reviewer already holds comes first (a reload resumes it).

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use super::query::{enum_column, Page};
use super::StoreError;
use crate::scope::ProjectId;
use loupe_domain::annotation::{AnnotationQueue, AnnotationQueueItem, ItemStatus, ObjectType, Outcome, LOCK_SECONDS};

const QUEUE_COLUMNS: &str = "id, name, description, score_config_ids, reviewers_per_item, created_at, updated_at";
const ITEM_COLUMNS: &str = "id, queue_id, object_id, object_type, status, completed_at, created_at, updated_at";

fn queue_from_row(row: &PgRow) -> Result<AnnotationQueue, StoreError> {
    Ok(AnnotationQueue {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        score_config_ids: row.try_get("score_config_ids")?,
        reviewers_per_item: row.try_get("reviewers_per_item")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn item_from_row(row: &PgRow) -> Result<AnnotationQueueItem, StoreError> {
    Ok(AnnotationQueueItem {
        id: row.try_get("id")?,
        queue_id: row.try_get("queue_id")?,
        object_id: row.try_get("object_id")?,
        object_type: enum_column::<ObjectType>(row, "object_type")?,
        status: enum_column::<ItemStatus>(row, "status")?,
        completed_at: row.try_get("completed_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A queue to create (its configs checked by the caller: [`missing_configs`]).
pub struct NewQueue<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub score_config_ids: &'a [String],
    pub reviewers_per_item: i32,
    pub created_by: Option<&'a str>,
}

/// Creates a queue; a name the project already uses is a `Conflict`.
pub async fn create(pool: &PgPool, project_id: &ProjectId, queue: &NewQueue<'_>) -> Result<AnnotationQueue, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO annotation_queues (project_id, id, name, description, score_config_ids, reviewers_per_item, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {QUEUE_COLUMNS}"
    ))
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(queue.name)
    .bind(queue.description)
    .bind(queue.score_config_ids)
    .bind(queue.reviewers_per_item)
    .bind(queue.created_by)
    .fetch_one(pool)
    .await?;
    queue_from_row(&row)
}

/// The ids among `ids` that are not score configs of the project.
pub async fn missing_configs(pool: &PgPool, project_id: &ProjectId, ids: &[String]) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT i FROM unnest($2::text[]) AS i WHERE NOT EXISTS (SELECT 1 FROM score_configs c WHERE c.project_id = $1 AND c.id = i)",
    )
    .bind(project_id)
    .bind(ids)
    .fetch_all(pool)
    .await?)
}

/// Newest first (Langfuse's order).
pub async fn list(pool: &PgPool, project_id: &ProjectId, page: Page) -> Result<(Vec<AnnotationQueue>, i64), StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {QUEUE_COLUMNS} FROM annotation_queues WHERE project_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(project_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM annotation_queues WHERE project_id = $1").bind(project_id).fetch_one(pool).await?;
    Ok((rows.iter().map(queue_from_row).collect::<Result<_, _>>()?, total))
}

pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<AnnotationQueue>, StoreError> {
    let row = sqlx::query(&format!("SELECT {QUEUE_COLUMNS} FROM annotation_queues WHERE project_id = $1 AND id = $2"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(queue_from_row).transpose()
}

/// Adds an object to a queue; adding it again returns the item it already has (`false`: not new).
pub async fn add_item(
    pool: &PgPool,
    project_id: &ProjectId,
    queue_id: &str,
    object_type: ObjectType,
    object_id: &str,
    status: ItemStatus,
) -> Result<(AnnotationQueueItem, bool), StoreError> {
    let inserted = sqlx::query(&format!(
        "INSERT INTO annotation_queue_items (project_id, id, queue_id, object_id, object_type, status, completed_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6 = 'COMPLETED' THEN now() END)
         ON CONFLICT (project_id, queue_id, object_type, object_id) DO NOTHING
         RETURNING {ITEM_COLUMNS}"
    ))
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(queue_id)
    .bind(object_id)
    .bind(object_type.as_str())
    .bind(status.as_str())
    .fetch_optional(pool)
    .await?;
    if let Some(row) = inserted {
        return Ok((item_from_row(&row)?, true));
    }
    let row = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM annotation_queue_items WHERE project_id = $1 AND queue_id = $2 AND object_type = $3 AND object_id = $4"
    ))
    .bind(project_id)
    .bind(queue_id)
    .bind(object_type.as_str())
    .bind(object_id)
    .fetch_one(pool)
    .await?;
    Ok((item_from_row(&row)?, false))
}

/// Newest first; `status` narrows.
pub async fn items(
    pool: &PgPool,
    project_id: &ProjectId,
    queue_id: &str,
    status: Option<ItemStatus>,
    page: Page,
) -> Result<(Vec<AnnotationQueueItem>, i64), StoreError> {
    let status = status.map(ItemStatus::as_str);
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM annotation_queue_items WHERE project_id = $1 AND queue_id = $2 AND ($3::text IS NULL OR status = $3)
         ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(project_id)
    .bind(queue_id)
    .bind(status)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM annotation_queue_items WHERE project_id = $1 AND queue_id = $2 AND ($3::text IS NULL OR status = $3)",
    )
    .bind(project_id)
    .bind(queue_id)
    .bind(status)
    .fetch_one(pool)
    .await?;
    Ok((rows.iter().map(item_from_row).collect::<Result<_, _>>()?, total))
}

pub async fn item(pool: &PgPool, project_id: &ProjectId, queue_id: &str, item_id: &str) -> Result<Option<AnnotationQueueItem>, StoreError> {
    let row = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM annotation_queue_items WHERE project_id = $1 AND queue_id = $2 AND id = $3"))
        .bind(project_id)
        .bind(queue_id)
        .bind(item_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(item_from_row).transpose()
}

/// Sets an item's status (Langfuse's PATCH): COMPLETED stamps `completed_at`; back to PENDING
/// leaves it as it was.
pub async fn set_status(pool: &PgPool, project_id: &ProjectId, queue_id: &str, item_id: &str, status: ItemStatus) -> Result<Option<AnnotationQueueItem>, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE annotation_queue_items SET status = $4, updated_at = now(),
                completed_at = CASE WHEN $4 = 'COMPLETED' THEN now() ELSE completed_at END
         WHERE project_id = $1 AND queue_id = $2 AND id = $3 RETURNING {ITEM_COLUMNS}"
    ))
    .bind(project_id)
    .bind(queue_id)
    .bind(item_id)
    .bind(status.as_str())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(item_from_row).transpose()
}

/// Deletes an item; false when there was none.
pub async fn delete_item(pool: &PgPool, project_id: &ProjectId, queue_id: &str, item_id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM annotation_queue_items WHERE project_id = $1 AND queue_id = $2 AND id = $3")
        .bind(project_id)
        .bind(queue_id)
        .bind(item_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether `user_id` belongs to the project (its organization's member).
pub async fn is_member(pool: &PgPool, project_id: &ProjectId, user_id: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM projects p JOIN organization_memberships m ON m.org_id = p.org_id WHERE p.id = $1 AND m.user_id = $2)",
    )
    .bind(project_id)
    .bind(user_id)
    .fetch_one(pool)
    .await?)
}

/// Assigns the queue to a person (idempotent).
pub async fn assign(pool: &PgPool, project_id: &ProjectId, queue_id: &str, user_id: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO annotation_queue_assignments (project_id, queue_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(project_id)
        .bind(queue_id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn unassign(pool: &PgPool, project_id: &ProjectId, queue_id: &str, user_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM annotation_queue_assignments WHERE project_id = $1 AND queue_id = $2 AND user_id = $3")
        .bind(project_id)
        .bind(queue_id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// An item handed to a reviewer, locked to them until `locked_until`.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub item: AnnotationQueueItem,
    pub locked_until: DateTime<Utc>,
}

/// The next item for `reviewer` in the queue, locked to them (see the module's comment); `None`
/// when nothing is left for them.
pub async fn claim_next(conn: &mut PgConnection, project_id: &ProjectId, queue_id: &str, reviewer: &str) -> Result<Option<Claimed>, StoreError> {
    let returning = ITEM_COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ");
    // The one they hold already, if any (a reload, a second tab): renewed.
    let held = sqlx::query(&format!(
        "UPDATE annotation_queue_items i SET locked_until = now() + make_interval(secs => $4)
         WHERE i.id = (SELECT id FROM annotation_queue_items
                       WHERE project_id = $1 AND queue_id = $2 AND status = 'PENDING' AND locked_by = $3 AND locked_until >= now()
                       ORDER BY created_at, id LIMIT 1)
           AND i.project_id = $1
         RETURNING {returning}, i.locked_until"
    ))
    .bind(project_id)
    .bind(queue_id)
    .bind(reviewer)
    .bind(LOCK_SECONDS as f64)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = held {
        return Ok(Some(Claimed { item: item_from_row(&row)?, locked_until: row.try_get("locked_until")? }));
    }
    // Otherwise the oldest one free for them, walked in index order.
    let row = sqlx::query(&format!(
        "WITH next AS (
             SELECT i.project_id, i.id FROM annotation_queue_items i
             WHERE i.project_id = $1 AND i.queue_id = $2 AND i.status = 'PENDING'
               AND (i.locked_by IS NULL OR i.locked_until < now())
               AND NOT EXISTS (SELECT 1 FROM annotation_reviews r WHERE r.project_id = i.project_id AND r.item_id = i.id AND r.reviewer_id = $3)
             ORDER BY i.created_at, i.id
             LIMIT 1
             FOR UPDATE SKIP LOCKED
         )
         UPDATE annotation_queue_items i SET locked_by = $3, locked_until = now() + make_interval(secs => $4)
         FROM next WHERE i.project_id = next.project_id AND i.id = next.id
         RETURNING {returning}, i.locked_until"
    ))
    .bind(project_id)
    .bind(queue_id)
    .bind(reviewer)
    .bind(LOCK_SECONDS as f64)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| Ok(Claimed { item: item_from_row(&row)?, locked_until: row.try_get("locked_until")? })).transpose()
}

/// Keeps the item locked to `reviewer` (they are still on it); false when it is not theirs any
/// more (their lock lapsed and someone else took it).
pub async fn renew(pool: &PgPool, project_id: &ProjectId, item_id: &str, reviewer: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(sqlx::query_scalar(
        "UPDATE annotation_queue_items SET locked_until = now() + make_interval(secs => $4)
         WHERE project_id = $1 AND id = $2 AND (locked_by = $3 OR locked_by IS NULL OR locked_until < now()) AND status = 'PENDING'
         RETURNING locked_until",
    )
    .bind(project_id)
    .bind(item_id)
    .bind(reviewer)
    .bind(LOCK_SECONDS as f64)
    .fetch_optional(pool)
    .await?)
}

/// Lets go of an item `reviewer` holds (they closed it without an outcome).
pub async fn release(pool: &PgPool, project_id: &ProjectId, item_id: &str, reviewer: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE annotation_queue_items SET locked_by = NULL, locked_until = NULL WHERE project_id = $1 AND id = $2 AND locked_by = $3")
        .bind(project_id)
        .bind(item_id)
        .bind(reviewer)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records `reviewer`'s outcome on an item in the caller's transaction (with their scores) and
/// lets go of it; the item is COMPLETED once the queue's `reviewers_per_item` reviewers completed
/// it. The item as it is now; `None`: no such item in the queue.
pub async fn review(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    queue_id: &str,
    item_id: &str,
    reviewer: &str,
    outcome: Outcome,
) -> Result<Option<AnnotationQueueItem>, StoreError> {
    // The item row first: two reviewers finishing at once count each other.
    let needed: Option<i32> = sqlx::query_scalar(
        "SELECT q.reviewers_per_item FROM annotation_queue_items i JOIN annotation_queues q ON q.project_id = i.project_id AND q.id = i.queue_id
         WHERE i.project_id = $1 AND i.queue_id = $2 AND i.id = $3 FOR UPDATE OF i",
    )
    .bind(project_id)
    .bind(queue_id)
    .bind(item_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(needed) = needed else { return Ok(None) };
    sqlx::query(
        "INSERT INTO annotation_reviews (project_id, item_id, reviewer_id, outcome) VALUES ($1, $2, $3, $4)
         ON CONFLICT (project_id, item_id, reviewer_id) DO UPDATE SET outcome = EXCLUDED.outcome, created_at = now()",
    )
    .bind(project_id)
    .bind(item_id)
    .bind(reviewer)
    .bind(outcome.as_str())
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(&format!(
        "UPDATE annotation_queue_items i SET
             locked_by = CASE WHEN locked_by = $3 THEN NULL ELSE locked_by END,
             locked_until = CASE WHEN locked_by = $3 THEN NULL ELSE locked_until END,
             status = CASE WHEN (SELECT count(*) FROM annotation_reviews r
                                 WHERE r.project_id = i.project_id AND r.item_id = i.id AND r.outcome = 'COMPLETED') >= $4
                           THEN 'COMPLETED' ELSE status END,
             completed_at = CASE WHEN status = 'PENDING' AND (SELECT count(*) FROM annotation_reviews r
                                 WHERE r.project_id = i.project_id AND r.item_id = i.id AND r.outcome = 'COMPLETED') >= $4
                           THEN now() ELSE completed_at END,
             updated_at = now()
         WHERE i.project_id = $1 AND i.id = $2 RETURNING {ITEM_COLUMNS}"
    ))
    .bind(project_id)
    .bind(item_id)
    .bind(reviewer)
    .bind(i64::from(needed))
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(item_from_row(&row)?))
}
