//! Projects: creation (by headless init and in the UI), renaming, soft deletion (the data is
//! purged in the background), listing for an organization.

use crate::scope::{ProjectId, OrganizationId};
use super::StoreError;
use sqlx::{PgConnection, PgPool};

use super::Upsert;
use loupe_domain::account::ProjectListItem;

#[derive(Debug, thiserror::Error)]
pub enum CreateProjectError {
    #[error("project {project_id} already exists in organization {existing_org_id}, not in {requested_org_id}")]
    InOtherOrganization { project_id: String, existing_org_id: String, requested_org_id: String },
    #[error(transparent)]
    Database(#[from] StoreError),
}

/// Creates the project in `org_id` unless one with this id exists (headless init: the operator's
/// configuration, hence plain ids). A project id is global, so an existing project in a different
/// organization is an error rather than silently reused.
pub async fn create_if_missing(
    conn: &mut PgConnection,
    org_id: &str,
    id: &str,
    name: &str,
) -> Result<(Upsert, ProjectId), CreateProjectError> {
    let result = sqlx::query("INSERT INTO projects (id, org_id, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(org_id)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    if result.rows_affected() > 0 {
        return Ok((Upsert::Created, ProjectId::vouched(id)));
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
    Ok((Upsert::AlreadyExisted, ProjectId::vouched(id)))
}

/// Creates a project with a generated id.
pub async fn create(conn: &mut PgConnection, org_id: &OrganizationId, name: &str) -> Result<ProjectId, StoreError> {
    let id = super::new_id();
    sqlx::query("INSERT INTO projects (id, org_id, name) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(org_id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(ProjectId::vouched(id))
}

/// Whether a live project of this organization already has this name (case-insensitively).
pub async fn name_taken(conn: &mut PgConnection, org_id: &OrganizationId, name: &str, except_id: Option<&str>) -> Result<bool, StoreError> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM projects WHERE org_id = $1 AND lower(name) = lower($2)
                        AND deleted_at IS NULL AND id IS DISTINCT FROM $3)",
    )
    .bind(org_id)
    .bind(name)
    .bind(except_id)
    .fetch_one(conn)
    .await.map_err(StoreError::from)
}

/// Renames a live project; returns the previous name.
pub async fn rename(conn: &mut PgConnection, project_id: &ProjectId, name: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar(
        "UPDATE projects p SET name = $2, updated_at = now()
         FROM (SELECT id, name FROM projects WHERE id = $1 AND deleted_at IS NULL FOR UPDATE) old
         WHERE p.id = old.id RETURNING old.name",
    )
    .bind(project_id)
    .bind(name)
    .fetch_optional(conn)
    .await.map_err(StoreError::from)
}

/// Marks a project deleted: from this moment its API keys stop working and nobody sees it; the
/// maintenance task removes its data in batches and then the row. Returns whether it was live.
pub async fn soft_delete(conn: &mut PgConnection, project_id: &ProjectId) -> Result<bool, StoreError> {
    let result = sqlx::query("UPDATE projects SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL")
        .bind(project_id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// The organization's live projects, by name.
pub async fn list_for_org(pool: &PgPool, org_id: &OrganizationId) -> Result<Vec<ProjectListItem>, StoreError> {
    let rows: Vec<(String, String, chrono::DateTime<chrono::Utc>, i64)> = sqlx::query_as(
        "SELECT p.id, p.name, p.created_at, (SELECT count(*) FROM api_keys k WHERE k.project_id = p.id)
         FROM projects p WHERE p.org_id = $1 AND p.deleted_at IS NULL ORDER BY lower(p.name), p.id",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, created_at, api_keys)| ProjectListItem { id, name, created_at, api_keys }).collect())
}

/// The home page's figures for these projects (the caller passes only projects the person may
/// see): the latest trace's time (one index probe of `traces_time_idx`) and the traces since
/// `since`, counted up to `COUNT_CAP + 1` so that the cost is bounded however busy a project is.
pub async fn activity(
    pool: &PgPool,
    project_ids: &[String],
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<loupe_domain::project::ProjectActivity>, StoreError> {
    use loupe_domain::project::ProjectActivity;
    let rows: Vec<(String, Option<chrono::DateTime<chrono::Utc>>, i64)> = sqlx::query_as(
        "SELECT p.id,
                (SELECT max(t.timestamp) FROM traces t WHERE t.project_id = p.id),
                (SELECT count(*) FROM (SELECT 1 FROM traces t WHERE t.project_id = p.id AND t.timestamp >= $2 LIMIT $3) recent)
         FROM unnest($1::text[]) AS p(id)",
    )
    .bind(project_ids)
    .bind(since)
    .bind(ProjectActivity::COUNT_CAP + 1)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(project_id, last_trace_at, traces_last_day)| ProjectActivity { project_id, last_trace_at, traces_last_day })
        .collect())
}

/// The project with its organization and its effective retention, as `GET /api/public/projects`
/// shows it to the project's API key; `None` when the project does not exist or is deleted.
pub async fn summary(
    pool: &sqlx::PgPool,
    project_id: &ProjectId,
) -> Result<Option<loupe_domain::project::ProjectSummary>, StoreError> {
    use loupe_domain::project::{OrganizationRef, ProjectSummary};
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT p.id, p.name, o.id, o.name FROM projects p JOIN organizations o ON o.id = p.org_id
         WHERE p.id = $1 AND p.deleted_at IS NULL",
    )
    .bind(project_id)
    .fetch_optional(pool)
    .await?;
    let Some((id, name, org_id, org_name)) = row else { return Ok(None) };
    // The retention that applies: the project's own or its plan's, the shorter (issue #22).
    let mut conn = pool.acquire().await?;
    let retention_days = crate::limits::retention_of_project(&mut conn, project_id).await?.effective_days().map(i64::from);
    Ok(Some(ProjectSummary {
        id,
        name,
        organization: OrganizationRef { id: org_id, name: org_name },
        metadata: Default::default(),
        retention_days,
    }))
}

/// One batch of the purge of deleted projects: removes up to `batch` rows of one table family
/// for one deleted project, or the project row itself once its data is gone. Returns the rows
/// removed (0 when nothing is left to purge). Batches keep each transaction short, so purging a
/// project with millions of observations never blocks ingestion for long.
pub async fn purge_deleted_batch(pool: &PgPool, batch: i64) -> Result<u64, StoreError> {
    // Purging is the job's own business: no person's scope involved, hence a plain id.
    let Some(project_id): Option<String> =
        sqlx::query_scalar("SELECT id FROM projects WHERE deleted_at IS NOT NULL ORDER BY deleted_at LIMIT 1")
            .fetch_optional(pool)
            .await?
    else {
        return Ok(0);
    };
    for table in ["observations", "scores", "traces", "trace_metrics", "trace_sessions", "saved_views"] {
        let sql = format!(
            "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE project_id = $1 LIMIT $2))"
        );
        let removed = sqlx::query(&sql).bind(&project_id).bind(batch).execute(pool).await?.rows_affected();
        if removed > 0 {
            return Ok(removed);
        }
    }
    // The project row last. The ingestion tables have no foreign key (migration 20261212000001):
    // locking the row `FOR UPDATE` waits for any ingestion transaction that took it `FOR KEY
    // SHARE` before the project was deleted (a later one finds no live project and writes
    // nothing), so the rows such a transaction committed after the batches above are deleted
    // here, under the lock: at most the requests in flight when the project was deleted.
    let mut tx = pool.begin().await?;
    let mut removed = delete_ingested(&mut tx, "id = $1", &project_id).await?;
    // The rest (keys, models, memberships, score configs) is small and goes by cascade.
    removed += sqlx::query("DELETE FROM projects WHERE id = $1 AND deleted_at IS NOT NULL").bind(&project_id).execute(&mut *tx).await?.rows_affected();
    tx.commit().await?;
    Ok(removed)
}

/// The tables ingestion writes, which reference `projects` without a foreign key (migration
/// 20261212000001): whoever deletes a project deletes their rows.
const INGESTION_TABLES: [&str; 4] = ["observations", "traces", "trace_metrics", "trace_sessions"];

/// Deletes the ingested rows (see [`INGESTION_TABLES`]) of the organization's projects, in the
/// transaction that deletes the organization (the cascade takes the rest). Locks the project rows
/// `FOR UPDATE` first, which waits for any ingestion transaction still holding one of them (and
/// makes a later one find no project), so no row is committed after this deletes.
pub async fn delete_ingested_in_org(conn: &mut PgConnection, org_id: &OrganizationId) -> Result<(), StoreError> {
    delete_ingested(conn, "org_id = $1", org_id.as_str()).await?;
    Ok(())
}

/// Locks the project rows `WHERE {projects}` (`$1` bound to `value`) `FOR UPDATE`, in id order,
/// then deletes their rows of [`INGESTION_TABLES`]; returns how many. The lock waits for every
/// ingestion transaction holding one of them (`ingest::writer::lock_project`) and makes a later
/// one find no live project, so nothing is committed into them after this deletes.
async fn delete_ingested(conn: &mut PgConnection, projects: &str, value: &str) -> Result<u64, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(&format!("SELECT id FROM projects WHERE {projects} ORDER BY id FOR UPDATE"))
        .bind(value)
        .fetch_all(&mut *conn)
        .await?;
    let mut removed = 0;
    for table in INGESTION_TABLES {
        let sql = format!("DELETE FROM {table} WHERE project_id = ANY($1)");
        removed += sqlx::query(&sql).bind(&ids).execute(&mut *conn).await?.rows_affected();
    }
    Ok(removed)
}

impl From<sqlx::Error> for CreateProjectError {
    fn from(error: sqlx::Error) -> Self {
        CreateProjectError::Database(error.into())
    }
}

/// The organization's live project with this id, as a scope: whoever may act in the
/// organization may name its projects (an invitation to one of them, say).
pub async fn in_organization(pool: &PgPool, project_id: &str, org_id: &OrganizationId) -> Result<Option<ProjectId>, StoreError> {
    let found: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL)")
        .bind(project_id)
        .bind(org_id)
        .fetch_one(pool)
        .await?;
    Ok(found.then(|| ProjectId::vouched(project_id)))
}

/// Soft-deletes every live project of the organization (their API keys stop at once; the purge
/// job removes the data); how many.
pub async fn soft_delete_all_in_org(conn: &mut PgConnection, org_id: &OrganizationId) -> Result<u64, StoreError> {
    Ok(sqlx::query("UPDATE projects SET deleted_at = now() WHERE org_id = $1 AND deleted_at IS NULL")
        .bind(org_id)
        .execute(conn)
        .await?
        .rows_affected())
}
