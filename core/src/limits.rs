//! The one module where plan limits are enforced (issue #22): included units (the quota), the
//! member limit, the annotation-queue limit — and the plan lookups retention uses. Every caller
//! that could exceed a limit asks here; nothing else reads `plans` to decide.
//!
//! - **Units** ([`check_ingestion`]): an organization on a plan with `over_quota = refuse` that
//!   has used its included units this period (calendar month, UTC) is refused ingestion — the
//!   public API's OTLP, batch and score routes (`server::http::public_api::admission`) and the
//!   UI's annotation scores. Warn-only plans accept. The check reads a per-process cache
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
//! the limit, and only new units, members or queues are refused.

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
