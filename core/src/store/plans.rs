//! Plans and usage counters (issue #22): the `plans` table an instance administrator edits, the
//! plan assigned to each organization (`organizations.plan_id`, NULL = the default plan), and the
//! reads of `usage_counters` — the hourly, sharded unit counts ingestion keeps
//! (`crate::ingest::metering`). Enforcement is `crate::limits`'s.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgExecutor, PgPool, Row};

use super::StoreError;
use crate::scope::{OrganizationId, ProjectId};
use loupe_domain::plans::{DayUsage, KindCounts, OrgPlanRow, OverQuota, Period, Plan, ProjectUsage};

const PLAN_COLUMNS: &str = "p.id, p.name, p.included_units, p.retention_days, p.member_limit, p.annotation_queue_limit, \
                            p.over_quota, p.is_default, p.position";

fn plan_from_row(row: &PgRow) -> Result<Plan, StoreError> {
    let over_quota: String = row.try_get("over_quota")?;
    Ok(Plan {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        included_units: row.try_get("included_units")?,
        retention_days: row.try_get("retention_days")?,
        member_limit: row.try_get("member_limit")?,
        annotation_queue_limit: row.try_get("annotation_queue_limit")?,
        // The CHECK allows these two only.
        over_quota: OverQuota::parse(&over_quota).unwrap_or(OverQuota::Warn),
        is_default: row.try_get("is_default")?,
        position: row.try_get("position")?,
    })
}

/// Every plan, in the admin's order.
pub async fn list<'c>(conn: impl PgExecutor<'c>) -> Result<Vec<Plan>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM plans p ORDER BY p.position, p.name")).fetch_all(conn).await?;
    rows.iter().map(plan_from_row).collect()
}

pub async fn get<'c>(conn: impl PgExecutor<'c>, id: &str) -> Result<Option<Plan>, StoreError> {
    let row = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM plans p WHERE p.id = $1")).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(plan_from_row).transpose()
}

/// The plan in effect for an organization — its own, else the default — and whether it is the
/// default; `None` when the organization does not exist.
pub async fn of_org<'c>(conn: impl PgExecutor<'c>, org_id: &str) -> Result<Option<(Plan, bool)>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {PLAN_COLUMNS}, o.plan_id IS NULL AS by_default
         FROM organizations o
         LEFT JOIN plans p ON p.id = coalesce(o.plan_id, (SELECT id FROM plans WHERE is_default))
         WHERE o.id = $1"
    ))
    .bind(org_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let by_default: bool = row.try_get("by_default")?;
    // No default plan (every row deleted by hand): unlimited, as before plans existed.
    let plan = match row.try_get::<Option<String>, _>("id")? {
        Some(_) => plan_from_row(&row)?,
        None => Plan::unlimited(),
    };
    Ok(Some((plan, by_default)))
}

/// The organization a project (deleted or not) belongs to.
pub async fn org_of_project<'c>(conn: impl PgExecutor<'c>, project_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT org_id FROM projects WHERE id = $1").bind(project_id).fetch_optional(conn).await?)
}

/// Creates a plan (`Conflict` when its id or name is taken).
pub async fn create(conn: &mut PgConnection, plan: &Plan) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO plans (id, name, included_units, retention_days, member_limit, annotation_queue_limit, over_quota, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&plan.id)
    .bind(&plan.name)
    .bind(plan.included_units)
    .bind(plan.retention_days)
    .bind(plan.member_limit)
    .bind(plan.annotation_queue_limit)
    .bind(plan.over_quota.as_str())
    .bind(plan.position)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a plan's definition (its id and default flag stay); returns the plan as it was.
pub async fn update(conn: &mut PgConnection, plan: &Plan) -> Result<Option<Plan>, StoreError> {
    let before = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM plans p WHERE p.id = $1 FOR UPDATE"))
        .bind(&plan.id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(before) = before.as_ref().map(plan_from_row).transpose()? else { return Ok(None) };
    sqlx::query(
        "UPDATE plans SET name = $2, included_units = $3, retention_days = $4, member_limit = $5,
                annotation_queue_limit = $6, over_quota = $7, position = $8, updated_at = now()
         WHERE id = $1",
    )
    .bind(&plan.id)
    .bind(&plan.name)
    .bind(plan.included_units)
    .bind(plan.retention_days)
    .bind(plan.member_limit)
    .bind(plan.annotation_queue_limit)
    .bind(plan.over_quota.as_str())
    .bind(plan.position)
    .execute(conn)
    .await?;
    Ok(Some(before))
}

/// Makes `id` the default plan; returns the previous default's id (`Err(NotFound)` when there
/// is no such plan). Two statements: the unique index on `is_default` is checked row by row.
pub async fn set_default(conn: &mut PgConnection, id: &str) -> Result<Option<String>, StoreError> {
    // Lock every default change in one order: the plans' rows by id.
    let rows: Vec<(String, bool)> = sqlx::query_as("SELECT id, is_default FROM plans WHERE is_default OR id = $1 ORDER BY id FOR UPDATE")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    if !rows.iter().any(|(row_id, _)| row_id == id) {
        return Err(StoreError::NotFound);
    }
    let previous = rows.iter().find(|(_, is_default)| *is_default).map(|(id, _)| id.clone());
    sqlx::query("UPDATE plans SET is_default = false, updated_at = now() WHERE is_default AND id <> $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("UPDATE plans SET is_default = true, updated_at = now() WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(previous)
}

/// Why a plan cannot be deleted.
#[derive(Debug)]
pub enum DeleteRefused {
    IsDefault,
    /// Organizations assigned to it (how many).
    InUse(i64),
    Store(StoreError),
}

impl From<StoreError> for DeleteRefused {
    fn from(error: StoreError) -> Self {
        DeleteRefused::Store(error)
    }
}

impl From<sqlx::Error> for DeleteRefused {
    fn from(error: sqlx::Error) -> Self {
        DeleteRefused::Store(error.into())
    }
}

/// Deletes a plan nobody is on and that is not the default; returns it.
pub async fn delete(conn: &mut PgConnection, id: &str) -> Result<Plan, DeleteRefused> {
    let row = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM plans p WHERE p.id = $1 FOR UPDATE")).bind(id).fetch_optional(&mut *conn).await?;
    let plan = row.as_ref().map(plan_from_row).transpose()?.ok_or(DeleteRefused::Store(StoreError::NotFound))?;
    if plan.is_default {
        return Err(DeleteRefused::IsDefault);
    }
    let in_use: i64 = sqlx::query_scalar("SELECT count(*) FROM organizations WHERE plan_id = $1").bind(id).fetch_one(&mut *conn).await?;
    if in_use > 0 {
        return Err(DeleteRefused::InUse(in_use));
    }
    sqlx::query("DELETE FROM plans WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(plan)
}

/// Assigns a plan to an organization (`None`: back to the default); returns the organization
/// (its own row vouches for it: the caller is an instance administrator, not a member) and the
/// previous assignment. `NotFound` for an unknown organization; an unknown plan is refused by
/// the caller's check first (the foreign key would be a 409 otherwise).
pub async fn assign(conn: &mut PgConnection, org_id: &str, plan_id: Option<&str>) -> Result<(OrganizationId, Option<String>), StoreError> {
    let previous: Option<(String, Option<String>)> = sqlx::query_as(
        "UPDATE organizations o SET plan_id = $2, updated_at = now()
         FROM (SELECT id, plan_id FROM organizations WHERE id = $1 FOR NO KEY UPDATE) old
         WHERE o.id = old.id RETURNING o.id, old.plan_id",
    )
    .bind(org_id)
    .bind(plan_id)
    .fetch_optional(conn)
    .await?;
    let (id, previous) = previous.ok_or(StoreError::NotFound)?;
    Ok((OrganizationId::vouched(id), previous))
}

/// Every organization with its plan, units this period and member count (the admin's page).
pub async fn organizations(pool: &PgPool, period: &Period) -> Result<Vec<OrgPlanRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT o.id, o.name, o.plan_id,
                coalesce(o.plan_id, (SELECT id FROM plans WHERE is_default), 'self-hosted') AS effective,
                coalesce((SELECT sum(c.traces + c.observations + c.scores) FROM usage_counters c
                          WHERE c.org_id = o.id AND c.hour >= $1 AND c.hour < $2), 0)::bigint AS units,
                (SELECT count(*) FROM organization_memberships m WHERE m.org_id = o.id) AS members,
                -- The limit is per project: the project with the most queues is what it meets.
                coalesce((SELECT max(n) FROM (SELECT count(*) AS n FROM annotation_queues q
                                              JOIN projects p ON p.id = q.project_id AND p.deleted_at IS NULL
                                              WHERE p.org_id = o.id GROUP BY q.project_id) per_project), 0)::bigint AS queues
         FROM organizations o
         ORDER BY lower(o.name), o.id",
    )
    .bind(period.start)
    .bind(period.end)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OrgPlanRow {
                org_id: row.try_get("id")?,
                org_name: row.try_get("name")?,
                assigned: row.try_get("plan_id")?,
                plan_id: row.try_get("effective")?,
                units: row.try_get("units")?,
                members: row.try_get("members")?,
                queues: row.try_get("queues")?,
            })
        })
        .collect()
}

/// The organization's units in `[from, to)`.
pub async fn units<'c>(conn: impl PgExecutor<'c>, org_id: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT coalesce(sum(traces + observations + scores), 0)::bigint FROM usage_counters
         WHERE org_id = $1 AND hour >= $2 AND hour < $3",
    )
    .bind(org_id)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?)
}

fn counts(row: &PgRow) -> Result<KindCounts, StoreError> {
    Ok(KindCounts { traces: row.try_get("traces")?, observations: row.try_get("observations")?, scores: row.try_get("scores")? })
}

/// The period's units per project: every project of the organization that is not deleted
/// (with none counted too), and deleted ones that counted some; with each one's queues.
pub async fn usage_by_project(pool: &PgPool, org_id: &OrganizationId, period: &Period) -> Result<Vec<ProjectUsage>, StoreError> {
    let rows = sqlx::query(
        "WITH used AS (
             SELECT project_id, sum(traces)::bigint AS traces, sum(observations)::bigint AS observations,
                    sum(scores)::bigint AS scores
             FROM usage_counters WHERE org_id = $1 AND hour >= $2 AND hour < $3
             GROUP BY project_id
         ), listed AS (
             SELECT id AS project_id FROM projects WHERE org_id = $1 AND deleted_at IS NULL
             UNION
             SELECT project_id FROM used
         )
         SELECT l.project_id, CASE WHEN p.deleted_at IS NULL THEN p.name END AS name,
                coalesce(u.traces, 0) AS traces, coalesce(u.observations, 0) AS observations, coalesce(u.scores, 0) AS scores,
                (SELECT count(*) FROM annotation_queues q WHERE q.project_id = l.project_id) AS queues
         FROM listed l
         LEFT JOIN used u ON u.project_id = l.project_id
         LEFT JOIN projects p ON p.id = l.project_id
         ORDER BY coalesce(u.traces + u.observations + u.scores, 0) DESC, p.name NULLS LAST, l.project_id",
    )
    .bind(org_id)
    .bind(period.start)
    .bind(period.end)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ProjectUsage { project_id: row.try_get("project_id")?, name: row.try_get("name")?, counts: counts(row)?, queues: row.try_get("queues")? })
        })
        .collect()
}

/// The period's units per UTC day, for the days that counted any.
pub async fn usage_by_day(pool: &PgPool, org_id: &OrganizationId, period: &Period) -> Result<Vec<DayUsage>, StoreError> {
    let rows = sqlx::query(
        "SELECT (hour AT TIME ZONE 'UTC')::date AS day, sum(traces)::bigint AS traces,
                sum(observations)::bigint AS observations, sum(scores)::bigint AS scores
         FROM usage_counters WHERE org_id = $1 AND hour >= $2 AND hour < $3
         GROUP BY 1 ORDER BY 1",
    )
    .bind(org_id)
    .bind(period.start)
    .bind(period.end)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|row| Ok(DayUsage { day: row.try_get::<NaiveDate, _>("day")?, counts: counts(row)? })).collect()
}

/// Members of the organization, and the open (unexpired) invitations that would add to them.
pub async fn people<'c>(conn: impl PgExecutor<'c>, org_id: &str) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT (SELECT count(*) FROM organization_memberships WHERE org_id = $1),
                (SELECT count(*) FROM invitations
                 WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now())",
    )
    .bind(org_id)
    .fetch_one(conn)
    .await?)
}

/// Locks the organization's row against concurrent member adds (`FOR NO KEY UPDATE`: ingestion's
/// foreign-key checks on it, `FOR KEY SHARE`, are not blocked); `false` when it does not exist.
pub async fn lock_org(conn: &mut PgConnection, org_id: &str) -> Result<bool, StoreError> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1 FOR NO KEY UPDATE")
        .bind(org_id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

pub async fn is_member(conn: &mut PgConnection, org_id: &str, user_id: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM organization_memberships WHERE org_id = $1 AND user_id = $2)")
        .bind(org_id)
        .bind(user_id)
        .fetch_one(conn)
        .await?)
}

/// The project's annotation queues, its row locked against concurrent queue creation.
pub async fn lock_and_count_queues(conn: &mut PgConnection, project_id: &ProjectId) -> Result<i64, StoreError> {
    sqlx::query("SELECT 1 FROM projects WHERE id = $1 FOR NO KEY UPDATE").bind(project_id).execute(&mut *conn).await?;
    Ok(sqlx::query_scalar("SELECT count(*) FROM annotation_queues WHERE project_id = $1").bind(project_id).fetch_one(conn).await?)
}
