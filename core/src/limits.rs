//! The one module where plan limits are enforced (issue #22): included units (the quota), the
//! member limit, the annotation-queue limit — and the plan lookups retention uses. Every caller
//! that could exceed a limit asks here; nothing else reads `plans` to decide.
//!
//! - **Units** ([`check_ingestion`]): an organization on a plan with `over_quota = refuse` that
//!   has used its included units this period (calendar month, UTC) is refused ingestion — the
//!   public API's OTLP, batch and score routes (`server::http::public_api::admission`) and
//!   every other writer of units, each as its user expects:
//!   - a person's action is refused with the plan's sentence in their language
//!     (`app::server_fns::usage::limit_error`, 429): annotation scores, starting an experiment
//!     run, starting an evaluator backfill, a playground run (`server::http::playground`);
//!   - background work never drops silently: an evaluator execution is skipped (`cancelled`,
//!     its error "Not evaluated." and [`Reached`]'s sentence, the one ingestion's 429 carries)
//!     before the judge is called; a backfill step or an experiment run step finding the quota
//!     used stops its backfill or run as failed with that sentence.
//!
//!   Those writers add what they created with [`note_written`]. Warn-only plans accept. The check reads a per-process cache
//!   ([`TTL`]): the plan and the period's units from `usage_counters`, plus what this process
//!   stored since ([`note_units`]), so a replica refuses within a request of crossing the quota
//!   and the others within [`TTL`]. A request admitted before the quota was reached is stored
//!   whole, so usage can end slightly above the quota. Plan changes made in this process
//!   ([`invalidate_org`], [`invalidate_all`]) take effect at once; other replicas follow within
//!   [`TTL`].
//! - **Members** ([`check_member_add`]): members plus open invitations may not exceed the plan's
//!   member limit when inviting; members alone when an invitation is accepted. The
//!   organization's row is locked (`FOR NO KEY UPDATE`), so two concurrent adds cannot both take
//!   the last seat.
//! - **Annotation queues** ([`check_queue_create`]): per project, as Langfuse counts them; the
//!   project's row is locked for the same reason.
//!
//! Lowering a plan below current usage is allowed: nothing is deleted, the usage shows as over
//! the limit, and only new units, members or queues are refused. A plan change that shortens
//! some project's effective retention is another matter: the next retention run deletes data.
//! [`plan_change_impact`] says what (and who ends up over a limit) before it is applied; the
//! server functions refuse such a change unconfirmed.

use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::scope::{OrganizationId, ProjectId};
use crate::store::StoreError;
pub use loupe_domain::plans::{OverQuota, Period, Plan};

/// How long a process trusts its cached plan and usage of an organization.
pub const TTL: Duration = Duration::from_secs(5);

/// Which limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Units,
    Members,
    AnnotationQueues,
}

/// A limit of the plan that an action would exceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub limit: Limit,
    pub plan_id: String,
    pub plan_name: String,
    /// What the plan allows.
    pub allowed: i64,
    /// What is used now.
    pub used: i64,
    /// For units: when the period ends (ingestion resumes).
    pub period_end: Option<DateTime<Utc>>,
}

impl Reached {
    /// Seconds until the period ends, for `Retry-After` (units only).
    pub fn retry_after(&self, now: DateTime<Utc>) -> Option<i64> {
        self.period_end.map(|end| (end - now).num_seconds().max(1))
    }
}

impl fmt::Display for Reached {
    /// English: the public API's message (the UI words it per language).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Reached { plan_name, plan_id, allowed, used, .. } = self;
        match self.limit {
            Limit::Units => write!(
                f,
                "Usage limit reached: the organization's plan \"{plan_name}\" ({plan_id}) includes {allowed} units (traces + observations + scores) per month and {used} were used this month; ingestion is refused until {} or until an instance administrator changes the plan",
                self.period_end.map(|end| end.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
            ),
            Limit::Members => write!(
                f,
                "Member limit reached: the organization's plan \"{plan_name}\" ({plan_id}) allows {allowed} members (open invitations included) and it has {used}"
            ),
            Limit::AnnotationQueues => write!(
                f,
                "Annotation queue limit reached: the organization's plan \"{plan_name}\" ({plan_id}) allows {allowed} annotation queues per project and this project has {used}"
            ),
        }
    }
}

/// A refusal, or the database failing.
#[derive(Debug)]
pub enum LimitError {
    Reached(Reached),
    Store(StoreError),
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::Reached(reached) => reached.fmt(f),
            LimitError::Store(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for LimitError {}

impl From<StoreError> for LimitError {
    fn from(error: StoreError) -> Self {
        LimitError::Store(error)
    }
}

impl From<sqlx::Error> for LimitError {
    fn from(error: sqlx::Error) -> Self {
        LimitError::Store(error.into())
    }
}

// ---------------------------------------------------------------------------------------------
// Plans

/// The plan in effect for an organization (its own, else the instance's default).
pub async fn plan_of_org<'c>(conn: impl PgExecutor<'c>, org_id: &OrganizationId) -> Result<Plan, StoreError> {
    Ok(crate::store::plans::of_org(conn, org_id.as_str()).await?.ok_or(StoreError::NotFound)?.0)
}

/// The plan in effect for a project's organization (deleted projects too, for retention).
pub async fn plan_of_project(conn: &mut PgConnection, project_id: &ProjectId) -> Result<Plan, StoreError> {
    let org_id = crate::store::plans::org_of_project(&mut *conn, project_id.as_str()).await?.ok_or(StoreError::NotFound)?;
    Ok(crate::store::plans::of_org(&mut *conn, &org_id).await?.ok_or(StoreError::NotFound)?.0)
}

// ---------------------------------------------------------------------------------------------
// Units

/// An organization's quota state.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    pub org_id: String,
    pub plan: Plan,
    pub plan_is_default: bool,
    pub period: Period,
    /// Units counted this period.
    pub units: i64,
}

impl Quota {
    /// Whether ingestion is refused now.
    pub fn refusing(&self) -> bool {
        self.plan.refuses(self.units)
    }

    fn reached(&self) -> Reached {
        Reached {
            limit: Limit::Units,
            plan_id: self.plan.id.clone(),
            plan_name: self.plan.name.clone(),
            allowed: self.plan.included_units.unwrap_or(i64::MAX),
            used: self.units,
            period_end: Some(self.period.end),
        }
    }
}

struct Entry {
    quota: Quota,
    loaded: Instant,
}

/// Keyed by database (a process may serve several in tests), then organization or project.
#[derive(Default)]
struct Cache {
    orgs: HashMap<(String, String), Entry>,
    /// A project's organization never changes.
    projects: HashMap<(String, String), String>,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn database(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!("{}:{}:{:?}/{}", options.get_host(), options.get_port(), options.get_socket(), options.get_database().unwrap_or(""))
}

/// The organization's quota state, from the cache when fresh; `None` for an unknown one.
pub async fn quota_of_org(pool: &PgPool, org_id: &str) -> Result<Option<Quota>, StoreError> {
    let key = (database(pool), org_id.to_string());
    let now = Utc::now();
    if let Some(entry) = cache().orgs.get(&key) {
        if entry.loaded.elapsed() < TTL && now < entry.quota.period.end {
            return Ok(Some(entry.quota.clone()));
        }
    }
    let Some((plan, plan_is_default)) = crate::store::plans::of_org(pool, org_id).await? else { return Ok(None) };
    let period = Period::containing(now);
    let units = crate::store::plans::units(pool, org_id, period.start, period.end).await?;
    let quota = Quota { org_id: org_id.to_string(), plan, plan_is_default, period, units };
    let mut cache = cache();
    if cache.orgs.len() > 10_000 {
        cache.orgs.retain(|_, entry| entry.loaded.elapsed() < TTL);
    }
    cache.orgs.insert(key, Entry { quota: quota.clone(), loaded: Instant::now() });
    Ok(Some(quota))
}

async fn org_of(pool: &PgPool, project_id: &str) -> Result<Option<String>, StoreError> {
    let key = (database(pool), project_id.to_string());
    if let Some(org) = cache().projects.get(&key) {
        return Ok(Some(org.clone()));
    }
    let Some(org) = crate::store::plans::org_of_project(pool, project_id).await? else { return Ok(None) };
    let mut cache = cache();
    if cache.projects.len() > 100_000 {
        cache.projects.clear();
    }
    cache.projects.insert(key, org.clone());
    Ok(Some(org))
}

/// The quota state of a project's organization.
pub async fn quota_of_project(pool: &PgPool, project_id: &ProjectId) -> Result<Option<Quota>, StoreError> {
    match org_of(pool, project_id.as_str()).await? {
        Some(org_id) => quota_of_org(pool, &org_id).await,
        None => Ok(None),
    }
}

/// Refuses a write that would create units when the project's organization is past its
/// included units on a plan that refuses (see the module docs).
pub async fn check_ingestion(pool: &PgPool, project_id: &ProjectId) -> Result<(), LimitError> {
    match quota_of_project(pool, project_id).await? {
        Some(quota) if quota.refusing() => Err(LimitError::Reached(quota.reached())),
        _ => Ok(()),
    }
}

/// Adds units this process just committed for `project_id` to its cached usage, so the next
/// check sees them without a database read.
pub fn note_units(pool: &PgPool, project_id: &ProjectId, units: i64) {
    if units <= 0 || !crate::ingest::metering::enabled() {
        return;
    }
    let db = database(pool);
    let mut cache = cache();
    let Some(org_id) = cache.projects.get(&(db.clone(), project_id.to_string())).cloned() else { return };
    if let Some(entry) = cache.orgs.get_mut(&(db, org_id)) {
        entry.quota.units = entry.quota.units.saturating_add(units);
    }
}

/// [`note_units`] with what a write created (`ingest::writer::WriteSummary`): the writers outside
/// the public API (evaluators, experiments, the playground) call it after their commit.
pub fn note_written(pool: &PgPool, project_id: &ProjectId, summary: &crate::ingest::writer::WriteSummary) {
    let units = summary.traces_created + summary.observations_created + summary.scores_created;
    note_units(pool, project_id, units as i64);
}

/// Forgets one organization's cached state (its plan was changed here).
pub fn invalidate_org(pool: &PgPool, org_id: &str) {
    cache().orgs.remove(&(database(pool), org_id.to_string()));
}

/// Forgets every organization's cached state (a plan's definition or the default changed).
pub fn invalidate_all(pool: &PgPool) {
    let db = database(pool);
    cache().orgs.retain(|(entry_db, _), _| *entry_db != db);
}

// ---------------------------------------------------------------------------------------------
// Members and queues

/// How a person is about to take a seat in an organization.
#[derive(Debug, Clone, Copy)]
pub enum MemberAdd<'a> {
    /// An invitation is being created: members and open invitations count.
    Invitation,
    /// This account joins (accepting an invitation): members count; nothing to check when it
    /// is a member already.
    Join { user_id: &'a str },
}

/// Refuses a member add past the plan's member limit; locks the organization's row until the
/// caller's transaction ends, so concurrent adds are counted one after the other.
pub async fn check_member_add(conn: &mut PgConnection, org_id: &OrganizationId, add: MemberAdd<'_>) -> Result<(), LimitError> {
    if !crate::store::plans::lock_org(conn, org_id.as_str()).await? {
        return Err(LimitError::Store(StoreError::NotFound));
    }
    let plan = plan_of_org(&mut *conn, org_id).await?;
    let Some(allowed) = plan.member_limit else { return Ok(()) };
    if let MemberAdd::Join { user_id } = add {
        if crate::store::plans::is_member(conn, org_id.as_str(), user_id).await? {
            return Ok(());
        }
    }
    let (members, invitations) = crate::store::plans::people(&mut *conn, org_id.as_str()).await?;
    let used = match add {
        MemberAdd::Invitation => members + invitations,
        MemberAdd::Join { .. } => members,
    };
    if used >= i64::from(allowed) {
        return Err(LimitError::Reached(Reached {
            limit: Limit::Members,
            plan_id: plan.id,
            plan_name: plan.name,
            allowed: i64::from(allowed),
            used,
            period_end: None,
        }));
    }
    Ok(())
}

/// Refuses a new annotation queue past the plan's per-project limit; locks the project's row
/// until the caller's transaction ends (create the queue in it).
pub async fn check_queue_create(conn: &mut PgConnection, project_id: &ProjectId) -> Result<(), LimitError> {
    let plan = plan_of_project(conn, project_id).await?;
    let Some(allowed) = plan.annotation_queue_limit else { return Ok(()) };
    let used = crate::store::plans::lock_and_count_queues(conn, project_id).await?;
    if used >= i64::from(allowed) {
        return Err(LimitError::Reached(Reached {
            limit: Limit::AnnotationQueues,
            plan_id: plan.id,
            plan_name: plan.name,
            allowed: i64::from(allowed),
            used,
            period_end: None,
        }));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Retention

/// A project's retention: its own setting and its plan's. The effective retention
/// ([`loupe_domain::retention::RetentionPolicy::effective_days`]) is the shorter of the two;
/// `crate::retention` deletes by it and the settings refuse a project setting above the plan's.
pub async fn retention_of_project(
    conn: &mut PgConnection,
    project_id: &ProjectId,
) -> Result<loupe_domain::retention::RetentionPolicy, StoreError> {
    let project_days: Option<i32> = sqlx::query_scalar("SELECT retention_days FROM projects WHERE id = $1")
        .bind(project_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let plan = plan_of_project(conn, project_id).await?;
    Ok(loupe_domain::retention::RetentionPolicy { project_days, plan_id: plan.id, plan_name: plan.name, plan_days: plan.retention_days })
}

/// The live projects whose data expires (their own retention or their plan's is set): what the
/// daily retention run visits. Plans resolved as [`plan_of_org`] does.
pub async fn projects_with_retention(pool: &PgPool) -> Result<Vec<ProjectId>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT p.id FROM projects p
         JOIN organizations o ON o.id = p.org_id
         LEFT JOIN plans pl ON pl.id = coalesce(o.plan_id, (SELECT id FROM plans WHERE is_default))
         WHERE p.deleted_at IS NULL AND (p.retention_days IS NOT NULL OR pl.retention_days IS NOT NULL)
         ORDER BY p.id",
    )
    .fetch_all(pool)
    .await?;
    // Background work over every project: each id is the project's own row (see `crate::scope`).
    Ok(ids.into_iter().map(ProjectId::vouched).collect())
}

// ---------------------------------------------------------------------------------------------
// Plan changes: what they would do, shown before they are applied

/// Which organizations a plan change moves onto a (new or redefined) plan.
#[derive(Debug, Clone, Copy)]
pub enum ChangeTarget<'a> {
    /// One organization (an assignment).
    Org(&'a str),
    /// Every organization on this plan, assigned or by default (the plan is edited).
    OnPlan(&'a str),
    /// Every organization without a plan of its own (the default changes).
    OnDefault,
}

impl ChangeTarget<'_> {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            ChangeTarget::Org(id) => ("org", id),
            ChangeTarget::OnPlan(id) => ("plan", id),
            ChangeTarget::OnDefault => ("default", ""),
        }
    }
}

/// The organizations a change targets, with the retention of the plan they are on now.
const TARGET_ORGS: &str = "WITH d AS (SELECT id FROM plans WHERE is_default),
     orgs AS (
         SELECT o.id, o.name, old.retention_days AS old_days
         FROM organizations o
         LEFT JOIN plans old ON old.id = coalesce(o.plan_id, (SELECT id FROM d))
         WHERE CASE $1 WHEN 'org' THEN o.id = $2
                       WHEN 'plan' THEN coalesce(o.plan_id, (SELECT id FROM d)) = $2
                       ELSE o.plan_id IS NULL END)";

/// What moving `target`'s organizations onto `plan` (its definition after the change) would do:
/// the live projects whose effective retention ([`retention_of_project`]'s rule: the shorter of
/// the project's and the plan's) gets shorter, with what the next retention run would delete in
/// each — counted in one statement over all of them ([`crate::retention::count_expired_many`]) —
/// and the organizations whose usage this period is above one of the plan's limits. Nothing is
/// changed. `Err(NotFound)` when an assignment names an unknown organization.
pub async fn plan_change_impact(
    pool: &PgPool,
    target: ChangeTarget<'_>,
    plan: &Plan,
) -> Result<loupe_domain::plans::PlanChangeImpact, StoreError> {
    let mut conn = pool.acquire().await?;
    plan_change_impact_in(&mut conn, target, plan).await
}

/// Locks what a plan change is about to change — the organization's row (an assignment), the
/// plan's row (an edit), every plan's row (a new default) — until the caller's transaction
/// ends, so two changes of the same thing are counted and applied one after the other.
pub async fn lock_change(conn: &mut PgConnection, target: ChangeTarget<'_>) -> Result<(), StoreError> {
    match target {
        ChangeTarget::Org(org_id) => {
            crate::store::plans::lock_org(conn, org_id).await?;
        }
        ChangeTarget::OnPlan(plan_id) => {
            sqlx::query("SELECT id FROM plans WHERE id = $1 FOR UPDATE").bind(plan_id).fetch_all(&mut *conn).await?;
        }
        ChangeTarget::OnDefault => {
            sqlx::query("SELECT id FROM plans ORDER BY id FOR UPDATE").fetch_all(&mut *conn).await?;
        }
    }
    Ok(())
}

/// [`plan_change_impact`] on the caller's connection: in a plan change's own transaction, after
/// [`lock_change`], it is the count the change is applied under — compared there with what the
/// administrator confirmed ([`confirmation_holds`]).
pub async fn plan_change_impact_in(
    conn: &mut PgConnection,
    target: ChangeTarget<'_>,
    plan: &Plan,
) -> Result<loupe_domain::plans::PlanChangeImpact, StoreError> {
    use loupe_domain::plans::{OrgOverLimit, PlanChangeImpact, ProjectExpiry};
    let (kind, id) = target.parts();
    let org_name = match target {
        ChangeTarget::Org(org_id) => Some(
            sqlx::query_scalar::<_, String>("SELECT name FROM organizations WHERE id = $1")
                .bind(org_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound)?,
        ),
        _ => None,
    };
    // `least` ignores NULLs: it is `RetentionPolicy::effective_days` (NULL: forever).
    let shortened: Vec<(String, String, String, String, Option<i32>, i32, DateTime<Utc>)> = sqlx::query_as(&format!(
        "{TARGET_ORGS}
         SELECT orgs.id, orgs.name, p.id, p.name, least(p.retention_days, orgs.old_days),
                least(p.retention_days, $3), now() - make_interval(days => least(p.retention_days, $3))
         FROM orgs JOIN projects p ON p.org_id = orgs.id AND p.deleted_at IS NULL
         WHERE $3::int IS NOT NULL
           AND least(p.retention_days, $3) < coalesce(least(p.retention_days, orgs.old_days), 2147483647)
         ORDER BY orgs.name, orgs.id, p.name, p.id"
    ))
    .bind(kind)
    .bind(id)
    .bind(plan.retention_days)
    .fetch_all(&mut *conn)
    .await?;
    // Projects are rows of these organizations, read just above.
    let cutoffs: Vec<(ProjectId, DateTime<Utc>)> =
        shortened.iter().map(|(_, _, project, _, _, _, cutoff)| (ProjectId::vouched(project.clone()), *cutoff)).collect();
    let counts = crate::retention::count_expired_in(&mut *conn, &cutoffs).await?;
    let mut expired = loupe_domain::retention::ExpiredCounts::default();
    let mut expiring: Vec<ProjectExpiry> = shortened
        .into_iter()
        .zip(counts)
        .map(|((org_id, org_name, project_id, project_name, from_days, to_days, _), counts)| {
            expired.traces += counts.traces;
            expired.observations += counts.observations;
            expired.scores += counts.scores;
            ProjectExpiry { org_id, org_name, project_id, project_name, from_days, to_days, expired: counts }
        })
        .collect();
    // Those losing nothing are not worth naming; those losing the most first.
    expiring.retain(|p| !p.expired.is_empty());
    let projects = expiring.len() as i64;
    expiring.sort_by_key(|p| std::cmp::Reverse(p.expired.traces + p.expired.observations + p.expired.scores));
    expiring.truncate(PlanChangeImpact::LISTED);

    let period = Period::containing(Utc::now());
    let over_rows = sqlx::query(&format!(
        "{TARGET_ORGS},
         used AS (
             SELECT orgs.id, orgs.name,
                    coalesce((SELECT sum(c.traces + c.observations + c.scores) FROM usage_counters c
                              WHERE c.org_id = orgs.id AND c.hour >= $3 AND c.hour < $4), 0)::bigint AS units,
                    (SELECT count(*) FROM organization_memberships m WHERE m.org_id = orgs.id) AS members,
                    coalesce((SELECT max(n) FROM (SELECT count(*) AS n FROM annotation_queues q
                                                  JOIN projects p ON p.id = q.project_id AND p.deleted_at IS NULL
                                                  WHERE p.org_id = orgs.id GROUP BY q.project_id) per_project), 0)::bigint AS queues
             FROM orgs)
         SELECT id, name, units, members, queues, count(*) OVER () AS total FROM used
         WHERE units > $5 OR ($6 AND units >= $5) OR members > $7 OR queues > $8
         ORDER BY name, id LIMIT $9"
    ))
    .bind(kind)
    .bind(id)
    .bind(period.start)
    .bind(period.end)
    .bind(plan.included_units)
    .bind(plan.over_quota == OverQuota::Refuse)
    .bind(plan.member_limit.map(i64::from))
    .bind(plan.annotation_queue_limit.map(i64::from))
    .bind(PlanChangeImpact::LISTED as i64)
    .fetch_all(&mut *conn)
    .await?;
    let mut over_count = 0;
    let mut over = Vec::with_capacity(over_rows.len());
    for row in &over_rows {
        use sqlx::Row;
        over_count = row.try_get("total")?;
        let (units, members, queues): (i64, i64, i64) = (row.try_get("units")?, row.try_get("members")?, row.try_get("queues")?);
        over.push(OrgOverLimit {
            org_id: row.try_get("id")?,
            org_name: row.try_get("name")?,
            units,
            included_units: plan.included_units.filter(|_| plan.refuses(units) || plan.included_units.is_some_and(|q| units > q)),
            members,
            member_limit: plan.member_limit.filter(|limit| members > i64::from(*limit)),
            queues,
            queue_limit: plan.annotation_queue_limit.filter(|limit| queues > i64::from(*limit)),
        });
    }
    Ok(PlanChangeImpact {
        plan_id: plan.id.clone(),
        plan_name: plan.name.clone(),
        over_quota: plan.over_quota,
        org_name,
        days: plan.retention_days,
        expiring,
        projects,
        expired,
        over,
        over_count,
    })
}

/// Whether the administrator's confirmation still covers what a change deletes now: nothing to
/// confirm, or none of the counts grew past the confirmed ones (`confirmed`: the counts the
/// preview showed and the administrator confirmed; `None`: not confirmed).
pub fn confirmation_holds(
    impact: &loupe_domain::plans::PlanChangeImpact,
    confirmed: Option<&loupe_domain::retention::ExpiredCounts>,
) -> bool {
    if !impact.needs_confirmation() {
        return true;
    }
    let Some(confirmed) = confirmed else { return false };
    let now = impact.expired;
    now.traces <= confirmed.traces && now.observations <= confirmed.observations && now.scores <= confirmed.scores
}
