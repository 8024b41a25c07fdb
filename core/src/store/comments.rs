//! Comments and their mentions (#20): the threads on traces, observations, sessions and prompt
//! versions, the public API's list, and each person's inbox of mentions. The rules (content,
//! mention tokens) are `loupe_domain::comments`'s; callers check the content first.
//!
//! A comment and its mention rows are written in one transaction (a savepoint when the caller
//! already holds one), so an inbox entry never points at a comment that was not stored. Only the
//! project's members are recorded as mentioned — the organization's members, who all may read
//! the project — and never the author themself. Every query is scoped by project; the inbox's
//! reads across projects are scoped by the reader and keep only live projects they still belong
//! to, so removing someone from an organization takes its mentions out of their inbox at once.

use sqlx::postgres::PgRow;
use sqlx::{Acquire, PgConnection, PgPool, Row};

use super::query::{enum_column, Page};
use super::StoreError;
use crate::scope::ProjectId;
use loupe_domain::comments::{excerpt, mentions, object_href, Comment, Inbox, InboxEntry, MentionCandidate, ObjectType};

const COLUMNS: &str = "c.id, c.project_id, c.object_type, c.object_id, c.content, c.author_user_id, c.created_at, c.updated_at";
/// The newest comments a thread shows; older ones stay in the public API's list.
pub const THREAD_LIMIT: i64 = 500;
/// Characters of a comment in an inbox entry.
const EXCERPT_CHARS: usize = 140;
/// A person as others see them: their name, else their email.
const DISPLAY_NAME: &str = "coalesce(nullif(btrim(a.name), ''), a.email)";

fn from_row(row: &PgRow) -> Result<Comment, StoreError> {
    Ok(Comment {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        object_type: enum_column::<ObjectType>(row, "object_type")?,
        object_id: row.try_get("object_id")?,
        content: row.try_get("content")?,
        author_user_id: row.try_get("author_user_id")?,
    })
}

/// Whether the object a comment would be about exists in the project (Langfuse's rule): a trace
/// or observation by id, a session with at least one trace, a prompt version by its row id.
pub async fn object_exists(pool: &PgPool, project_id: &ProjectId, object_type: ObjectType, object_id: &str) -> Result<bool, StoreError> {
    let sql = match object_type {
        ObjectType::Trace => "SELECT EXISTS (SELECT 1 FROM traces WHERE project_id = $1 AND id = $2)",
        ObjectType::Observation => "SELECT EXISTS (SELECT 1 FROM observations WHERE project_id = $1 AND id = $2)",
        ObjectType::Session => {
            "SELECT EXISTS (SELECT 1 FROM trace_sessions WHERE project_id = $1 AND id = $2)
                 OR EXISTS (SELECT 1 FROM traces WHERE project_id = $1 AND session_id = $2)"
        }
        ObjectType::Prompt => "SELECT EXISTS (SELECT 1 FROM prompts WHERE project_id = $1 AND id = $2)",
    };
    Ok(sqlx::query_scalar(sql).bind(project_id).bind(object_id).fetch_one(pool).await?)
}

/// Whether the account is a member of the project (of its organization).
pub async fn is_member(pool: &PgPool, project_id: &ProjectId, account_id: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM projects p JOIN organization_memberships m ON m.org_id = p.org_id WHERE p.id = $1 AND m.user_id = $2)",
    )
    .bind(project_id)
    .bind(account_id)
    .fetch_one(pool)
    .await?)
}

/// A comment to store; `content` already checked (`comments::check_content`).
pub struct NewComment<'a> {
    pub object_type: ObjectType,
    pub object_id: &'a str,
    pub content: &'a str,
    pub author_user_id: Option<&'a str>,
}

/// Stores a comment and records its mentions of the project's members; returns the comment and
/// the account ids recorded as mentioned.
pub async fn create(conn: &mut PgConnection, project_id: &ProjectId, new: &NewComment<'_>) -> Result<(Comment, Vec<String>), StoreError> {
    let mut tx = conn.begin().await?;
    let row = sqlx::query(&format!(
        "INSERT INTO comments AS c (project_id, id, object_type, object_id, content, author_user_id)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(project_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(new.object_type.as_str())
    .bind(new.object_id)
    .bind(new.content)
    .bind(new.author_user_id)
    .fetch_one(&mut *tx)
    .await?;
    let comment = from_row(&row)?;
    let mentioned = sync_mentions(&mut tx, project_id, &comment).await?;
    tx.commit().await?;
    Ok((comment, mentioned))
}

/// Makes the comment's mention rows match its content: mentions gone from it are removed, new
/// ones added unread, the others keep whether they were read. Returns the accounts now mentioned.
async fn sync_mentions(conn: &mut PgConnection, project_id: &ProjectId, comment: &Comment) -> Result<Vec<String>, StoreError> {
    let wanted = mentions(&comment.content);
    sqlx::query("DELETE FROM comment_mentions WHERE project_id = $1 AND comment_id = $2 AND NOT (account_id = ANY($3))")
        .bind(project_id)
        .bind(&comment.id)
        .bind(&wanted)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO comment_mentions (project_id, comment_id, account_id)
         SELECT $1, $2, wanted.id FROM unnest($3::text[]) AS wanted(id)
         WHERE wanted.id IS DISTINCT FROM $4
           AND EXISTS (SELECT 1 FROM projects p JOIN organization_memberships m ON m.org_id = p.org_id
                       WHERE p.id = $1 AND m.user_id = wanted.id)
         ON CONFLICT DO NOTHING",
    )
    .bind(project_id)
    .bind(&comment.id)
    .bind(&wanted)
    .bind(&comment.author_user_id)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar("SELECT account_id FROM comment_mentions WHERE project_id = $1 AND comment_id = $2 ORDER BY account_id")
        .bind(project_id)
        .bind(&comment.id)
        .fetch_all(&mut *conn)
        .await?)
}

/// One comment of the project.
pub async fn get(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<Comment>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM comments c WHERE c.project_id = $1 AND c.id = $2"))
        .bind(project_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// An object's thread, oldest first (its newest [`THREAD_LIMIT`]), each with its author's name.
pub async fn thread(pool: &PgPool, project_id: &ProjectId, object_type: ObjectType, object_id: &str) -> Result<Vec<(Comment, Option<String>)>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS}, {DISPLAY_NAME} AS author_name FROM comments c LEFT JOIN accounts a ON a.id = c.author_user_id
         WHERE c.project_id = $1 AND c.object_type = $2 AND c.object_id = $3
         ORDER BY c.created_at DESC, c.id DESC LIMIT $4"
    ))
    .bind(project_id)
    .bind(object_type.as_str())
    .bind(object_id)
    .bind(THREAD_LIMIT)
    .fetch_all(pool)
    .await?;
    let mut comments = rows.iter().map(|row| Ok((from_row(row)?, row.try_get("author_name")?))).collect::<Result<Vec<_>, StoreError>>()?;
    comments.reverse();
    Ok(comments)
}

/// What the public list narrows by.
#[derive(Debug, Default, Clone, Copy)]
pub struct Filter<'a> {
    pub object_type: Option<ObjectType>,
    pub object_id: Option<&'a str>,
    pub author_user_id: Option<&'a str>,
}

/// The public API's list, newest first, with the total.
pub async fn list(pool: &PgPool, project_id: &ProjectId, filter: Filter<'_>, page: Page) -> Result<(Vec<Comment>, i64), StoreError> {
    const WHERE: &str = "c.project_id = $1 AND ($2::text IS NULL OR c.object_type = $2) AND ($3::text IS NULL OR c.object_id = $3)
                         AND ($4::text IS NULL OR c.author_user_id = $4)";
    let object_type = filter.object_type.map(ObjectType::as_str);
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM comments c WHERE {WHERE} ORDER BY c.created_at DESC, c.id DESC LIMIT $5 OFFSET $6"))
        .bind(project_id)
        .bind(object_type)
        .bind(filter.object_id)
        .bind(filter.author_user_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(pool)
        .await?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM comments c WHERE {WHERE}"))
        .bind(project_id)
        .bind(object_type)
        .bind(filter.object_id)
        .bind(filter.author_user_id)
        .fetch_one(pool)
        .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

/// Replaces the content of `author_id`'s own comment and brings its mentions up to date; `None`
/// when the project has no such comment by them.
pub async fn update_own(conn: &mut PgConnection, project_id: &ProjectId, id: &str, author_id: &str, content: &str) -> Result<Option<Comment>, StoreError> {
    let mut tx = conn.begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE comments AS c SET content = $4, updated_at = now() WHERE c.project_id = $1 AND c.id = $2 AND c.author_user_id = $3 RETURNING {COLUMNS}"
    ))
    .bind(project_id)
    .bind(id)
    .bind(author_id)
    .bind(content)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let comment = from_row(&row)?;
    sync_mentions(&mut tx, project_id, &comment).await?;
    tx.commit().await?;
    Ok(Some(comment))
}

/// Deletes a comment (its mentions go with it): `author_id`'s own only, or any with `None` (the
/// caller has checked that the person may). Whether one was deleted.
pub async fn delete(conn: &mut PgConnection, project_id: &ProjectId, id: &str, author_id: Option<&str>) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM comments WHERE project_id = $1 AND id = $2 AND ($3::text IS NULL OR author_user_id = $3)")
        .bind(project_id)
        .bind(id)
        .bind(author_id)
        .execute(conn)
        .await?;
    Ok(deleted.rows_affected() > 0)
}

/// The people who may be mentioned in the project: its organization's members, by name.
pub async fn members(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<MentionCandidate>, StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(&format!(
        "SELECT a.id, {DISPLAY_NAME}, a.email FROM projects p
         JOIN organization_memberships m ON m.org_id = p.org_id JOIN accounts a ON a.id = m.user_id
         WHERE p.id = $1 ORDER BY lower({DISPLAY_NAME}), a.id"
    ))
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, email)| MentionCandidate { id, name, email }).collect())
}

/// The mentions of `account_id` (`$1`) that they may still read: live projects of organizations
/// they belong to, one project when `$2` says so (the joins, then the condition).
const VISIBLE_MENTIONS: &str = "comment_mentions m
    JOIN projects p ON p.id = m.project_id AND p.deleted_at IS NULL
    JOIN organization_memberships om ON om.org_id = p.org_id AND om.user_id = m.account_id";
const VISIBLE_WHERE: &str = "m.account_id = $1 AND ($2::text IS NULL OR m.project_id = $2)";

/// A page (from 0) of the person's inbox, newest mention first, with the unread count.
pub async fn inbox(pool: &PgPool, account_id: &str, project_id: Option<&ProjectId>, page: i64, page_size: i64) -> Result<Inbox, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT m.project_id, p.name AS project_name, m.comment_id, m.read_at IS NOT NULL AS read, m.created_at,
                c.object_type, c.object_id, c.content, {DISPLAY_NAME} AS author_name,
                o.trace_id, pr.name AS prompt_name, pr.version AS prompt_version
         FROM {VISIBLE_MENTIONS}
         JOIN comments c ON c.project_id = m.project_id AND c.id = m.comment_id
         LEFT JOIN accounts a ON a.id = c.author_user_id
         LEFT JOIN observations o ON c.object_type = 'OBSERVATION' AND o.project_id = c.project_id AND o.id = c.object_id
         LEFT JOIN prompts pr ON c.object_type = 'PROMPT' AND pr.project_id = c.project_id AND pr.id = c.object_id
         WHERE {VISIBLE_WHERE}
         ORDER BY m.created_at DESC, m.project_id, m.comment_id
         LIMIT $3 OFFSET $4"
    ))
    .bind(account_id)
    .bind(project_id)
    // One more than a page: whether an older page exists.
    .bind(page_size + 1)
    .bind(page * page_size)
    .fetch_all(pool)
    .await?;
    let more = rows.len() as i64 > page_size;
    let entries = rows
        .iter()
        .take(page_size as usize)
        .map(|row| {
            let project_id: String = row.try_get("project_id")?;
            let object_type = enum_column::<ObjectType>(row, "object_type")?;
            let object_id: String = row.try_get("object_id")?;
            let trace_id: Option<String> = row.try_get("trace_id")?;
            let prompt_name: Option<String> = row.try_get("prompt_name")?;
            let prompt_version: Option<i32> = row.try_get("prompt_version")?;
            let content: String = row.try_get("content")?;
            Ok(InboxEntry {
                href: object_href(&project_id, object_type, &object_id, trace_id.as_deref(), prompt_name.as_deref().zip(prompt_version)),
                project_id,
                project_name: row.try_get("project_name")?,
                comment_id: row.try_get("comment_id")?,
                object_type,
                object_id,
                author_name: row.try_get("author_name")?,
                excerpt: excerpt(&content, EXCERPT_CHARS),
                created_at: row.try_get("created_at")?,
                read: row.try_get("read")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Inbox { entries, unread: unread_count(pool, account_id, project_id).await?, more })
}

/// How many of the person's visible mentions are unread.
pub async fn unread_count(pool: &PgPool, account_id: &str, project_id: Option<&ProjectId>) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(&format!("SELECT count(*) FROM {VISIBLE_MENTIONS} WHERE {VISIBLE_WHERE} AND m.read_at IS NULL"))
        .bind(account_id)
        .bind(project_id)
        .fetch_one(pool)
        .await?)
}

/// Marks the person's mention in one comment read; whether it was unread.
pub async fn mark_read(pool: &PgPool, account_id: &str, project_id: &ProjectId, comment_id: &str) -> Result<bool, StoreError> {
    let marked = sqlx::query(
        "UPDATE comment_mentions SET read_at = now() WHERE account_id = $1 AND project_id = $2 AND comment_id = $3 AND read_at IS NULL",
    )
    .bind(account_id)
    .bind(project_id)
    .bind(comment_id)
    .execute(pool)
    .await?;
    Ok(marked.rows_affected() > 0)
}

/// Marks all the person's mentions read — in one project, or everywhere; how many were unread.
pub async fn mark_all_read(pool: &PgPool, account_id: &str, project_id: Option<&ProjectId>) -> Result<u64, StoreError> {
    let marked = sqlx::query("UPDATE comment_mentions SET read_at = now() WHERE account_id = $1 AND ($2::text IS NULL OR project_id = $2) AND read_at IS NULL")
        .bind(account_id)
        .bind(project_id)
        .execute(pool)
        .await?;
    Ok(marked.rows_affected())
}
