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
use loupe_domain::annotation::{AnnotationQueue, AnnotationQueueItem, ItemFilter, ItemStatus, ObjectType, Outcome, QueueCounts, QueueImport, LOCK_SECONDS};

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

/// Creates a queue; a name the project already uses is a `Conflict`. In the transaction of
/// `limits::check_queue_create` (the plan's queue limit), or on the pool.
pub async fn create<'c>(conn: impl sqlx::PgExecutor<'c>, project_id: &ProjectId, queue: &NewQueue<'_>) -> Result<AnnotationQueue, StoreError> {
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
    .fetch_one(conn)
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

// ---------------------------------------------------------------------------------------------
// The UI's reads and bulk writes.

/// Adds the project's traces among `trace_ids` to a queue in one statement; ids of traces the
/// project does not have add nothing. Returns how many items are new.
pub async fn add_traces(pool: &PgPool, project_id: &ProjectId, queue_id: &str, trace_ids: &[String]) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "INSERT INTO annotation_queue_items (project_id, id, queue_id, object_id, object_type)
         SELECT $1, gen_random_uuid()::text, $2, t.id, 'TRACE' FROM traces t WHERE t.project_id = $1 AND t.id = ANY($3)
         ON CONFLICT (project_id, queue_id, object_type, object_id) DO NOTHING",
    )
    .bind(project_id)
    .bind(queue_id)
    .bind(trace_ids)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Items by where they stand, per queue.
pub async fn counts(pool: &PgPool, project_id: &ProjectId, queue_ids: &[String]) -> Result<std::collections::HashMap<String, QueueCounts>, StoreError> {
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT queue_id, count(*), count(*) FILTER (WHERE status = 'PENDING'),
                count(*) FILTER (WHERE status = 'PENDING' AND locked_by IS NOT NULL AND locked_until >= now()),
                count(*) FILTER (WHERE status = 'COMPLETED')
         FROM annotation_queue_items WHERE project_id = $1 AND queue_id = ANY($2) GROUP BY queue_id",
    )
    .bind(project_id)
    .bind(queue_ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(queue, total, pending, in_progress, completed)| (queue, QueueCounts { total, pending, in_progress, completed }))
        .collect())
}

/// The people a queue is assigned to (ids), per queue.
pub async fn assignees(pool: &PgPool, project_id: &ProjectId, queue_ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT queue_id, user_id FROM annotation_queue_assignments WHERE project_id = $1 AND queue_id = ANY($2) ORDER BY created_at, user_id",
    )
    .bind(project_id)
    .bind(queue_ids)
    .fetch_all(pool)
    .await?)
}

/// Replaces a queue's assignees (in the caller's transaction).
pub async fn set_assignees(conn: &mut PgConnection, project_id: &ProjectId, queue_id: &str, user_ids: &[String]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM annotation_queue_assignments WHERE project_id = $1 AND queue_id = $2 AND NOT (user_id = ANY($3))")
        .bind(project_id)
        .bind(queue_id)
        .bind(user_ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO annotation_queue_assignments (project_id, queue_id, user_id) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING",
    )
    .bind(project_id)
    .bind(queue_id)
    .bind(user_ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Per reviewer: items completed and skipped in the queue (reviewer ids).
pub async fn reviewer_counts(pool: &PgPool, project_id: &ProjectId, queue_id: &str) -> Result<Vec<(String, i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.reviewer_id, count(*) FILTER (WHERE r.outcome = 'COMPLETED'), count(*) FILTER (WHERE r.outcome = 'SKIPPED')
         FROM annotation_reviews r JOIN annotation_queue_items i ON i.project_id = r.project_id AND i.id = r.item_id
         WHERE r.project_id = $1 AND i.queue_id = $2 GROUP BY r.reviewer_id ORDER BY 2 DESC, 1",
    )
    .bind(project_id)
    .bind(queue_id)
    .fetch_all(pool)
    .await?)
}

/// How many of the queue's items `reviewer` completed or skipped.
pub async fn done_by(pool: &PgPool, project_id: &ProjectId, queue_id: &str, reviewer: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM annotation_reviews r JOIN annotation_queue_items i ON i.project_id = r.project_id AND i.id = r.item_id
         WHERE r.project_id = $1 AND i.queue_id = $2 AND r.reviewer_id = $3",
    )
    .bind(project_id)
    .bind(queue_id)
    .bind(reviewer)
    .fetch_one(pool)
    .await?)
}

/// An item as the queue page lists it, with ids of people (the caller names them).
pub struct ItemRow {
    pub item: AnnotationQueueItem,
    pub trace_id: Option<String>,
    pub label: Option<String>,
    pub locked_by: Option<String>,
    pub completed_by: Vec<String>,
}

/// A page of a queue's items, newest first, with what the queue page shows beside each.
pub async fn item_rows(
    pool: &PgPool,
    project_id: &ProjectId,
    queue_id: &str,
    filter: ItemFilter,
    page: Page,
) -> Result<(Vec<ItemRow>, i64), StoreError> {
    let condition = match filter {
        ItemFilter::All => "TRUE",
        ItemFilter::Pending => "i.status = 'PENDING' AND NOT (i.locked_by IS NOT NULL AND i.locked_until >= now())",
        ItemFilter::InProgress => "i.status = 'PENDING' AND i.locked_by IS NOT NULL AND i.locked_until >= now()",
        ItemFilter::Completed => "i.status = 'COMPLETED'",
    };
    let columns = ITEM_COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {columns},
                CASE i.object_type WHEN 'TRACE' THEN i.object_id WHEN 'OBSERVATION' THEN o.trace_id END AS trace_id,
                CASE i.object_type WHEN 'TRACE' THEN t.name WHEN 'OBSERVATION' THEN o.name END AS label,
                CASE WHEN i.locked_until >= now() THEN i.locked_by END AS holder,
                ARRAY(SELECT r.reviewer_id FROM annotation_reviews r
                      WHERE r.project_id = i.project_id AND r.item_id = i.id AND r.outcome = 'COMPLETED' ORDER BY r.created_at) AS completed_by
         FROM annotation_queue_items i
         LEFT JOIN traces t ON i.object_type = 'TRACE' AND t.project_id = i.project_id AND t.id = i.object_id
         LEFT JOIN observations o ON i.object_type = 'OBSERVATION' AND o.project_id = i.project_id AND o.id = i.object_id
         WHERE i.project_id = $1 AND i.queue_id = $2 AND {condition}
         ORDER BY i.created_at DESC, i.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(project_id)
    .bind(queue_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM annotation_queue_items i WHERE i.project_id = $1 AND i.queue_id = $2 AND {condition}"))
        .bind(project_id)
        .bind(queue_id)
        .fetch_one(pool)
        .await?;
    let rows = rows
        .iter()
        .map(|row| {
            Ok(ItemRow {
                item: item_from_row(row)?,
                trace_id: row.try_get("trace_id")?,
                label: row.try_get("label")?,
                locked_by: row.try_get("holder")?,
                completed_by: row.try_get("completed_by")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((rows, total))
}

/// The trace an observation belongs to (for observation items).
pub async fn observation_trace(pool: &PgPool, project_id: &ProjectId, observation_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT trace_id FROM observations WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(observation_id)
        .fetch_optional(pool)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// "Add all matching traces", in the background (`annotation_queue_imports`).

const IMPORT_COLUMNS: &str = "id, queue_id, max_items, seen, added, state, error";

fn import_from_row(row: &PgRow) -> Result<QueueImport, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(QueueImport {
        id: row.try_get("id")?,
        queue_id: row.try_get("queue_id")?,
        max_items: row.try_get("max_items")?,
        seen: row.try_get("seen")?,
        added: row.try_get("added")?,
        done: state != "RUNNING",
        error: row.try_get("error")?,
    })
}

/// Records an import request (the caller enqueues its job in the same transaction).
pub async fn create_import(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    queue_id: &str,
    query: &serde_json::Value,
    max_items: i32,
    created_by: &str,
) -> Result<QueueImport, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO annotation_queue_imports (project_id, id, queue_id, query, max_items, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {IMPORT_COLUMNS}"
    ))
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(queue_id)
    .bind(query)
    .bind(max_items)
    .bind(created_by)
    .fetch_one(&mut *conn)
    .await?;
    import_from_row(&row)
}

pub async fn import(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<QueueImport>, StoreError> {
    sqlx::query(&format!("SELECT {IMPORT_COLUMNS} FROM annotation_queue_imports WHERE project_id = $1 AND id = $2"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(import_from_row)
        .transpose()
}

/// What the import job needs to take its next step.
pub struct ImportWork {
    pub queue_id: String,
    pub query: serde_json::Value,
    pub max_items: i32,
    pub seen: i32,
    pub cursor: Option<String>,
    pub created_at: DateTime<Utc>,
    pub running: bool,
}

pub async fn import_work(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<ImportWork>, StoreError> {
    let row = sqlx::query(
        "SELECT queue_id, query, max_items, seen, cursor, created_at, state FROM annotation_queue_imports WHERE project_id = $1 AND id = $2",
    )
    .bind(project_id)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(ImportWork {
            queue_id: row.try_get("queue_id")?,
            query: row.try_get("query")?,
            max_items: row.try_get("max_items")?,
            seen: row.try_get("seen")?,
            cursor: row.try_get("cursor")?,
            created_at: row.try_get("created_at")?,
            running: row.try_get::<String, _>("state")? == "RUNNING",
        })
    })
    .transpose()
}

/// Records a step: `seen` more traces looked at, `added` of them new, where to continue (`None`
/// with `finished`: done).
pub async fn import_step(pool: &PgPool, project_id: &ProjectId, id: &str, seen: i32, added: i32, cursor: Option<&str>, finished: bool) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE annotation_queue_imports SET seen = seen + $3, added = added + $4, cursor = $5,
             state = CASE WHEN $6 THEN 'DONE' ELSE state END, finished_at = CASE WHEN $6 THEN now() END
         WHERE project_id = $1 AND id = $2",
    )
    .bind(project_id)
    .bind(id)
    .bind(seen)
    .bind(added)
    .bind(cursor)
    .bind(finished)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn import_failed(pool: &PgPool, project_id: &ProjectId, id: &str, error: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE annotation_queue_imports SET state = 'FAILED', error = $3, finished_at = now() WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(id)
        .bind(error)
        .execute(pool)
        .await?;
    Ok(())
}

/// Which of `config_ids` `reviewer` has an annotation score for on the object (the review flow
/// completes an item only once they scored it).
pub async fn scored_configs(
    pool: &PgPool,
    project_id: &ProjectId,
    reviewer: &str,
    config_ids: &[String],
    object_type: ObjectType,
    object_id: &str,
) -> Result<Vec<String>, StoreError> {
    let target = match object_type {
        ObjectType::Trace => "trace_id = $4 AND observation_id IS NULL",
        ObjectType::Observation => "observation_id = $4",
        ObjectType::Session => "session_id = $4",
    };
    Ok(sqlx::query_scalar(&format!(
        "SELECT DISTINCT config_id FROM scores WHERE project_id = $1 AND author_user_id = $2 AND source = 'ANNOTATION'
           AND config_id = ANY($3) AND {target}"
    ))
    .bind(project_id)
    .bind(reviewer)
    .bind(config_ids)
    .bind(object_id)
    .fetch_all(pool)
    .await?)
}
