//! Plans, quotas and usage (issue #22): what a plan allows, the rules of a plan definition (each
//! problem names its field), the billing period, an organization's usage summary with its linear
//! projection, and the banner level. One definition for the admin form (checked as typed), the
//! server functions and `loupe_core::limits`, which enforces them.
//!
//! **Units** are counted as Langfuse counts them: one per trace, observation or score *created*
//! (an update of a stored row is not a new unit; deleting rows gives none back). The period is
//! the calendar month in UTC.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// What happens to ingestion once an organization has used its plan's included units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverQuota {
    /// Accept, and show the 100 % banner.
    Warn,
    /// Refuse ingestion with 429 until the next period or a plan change.
    Refuse,
}

impl OverQuota {
    pub const ALL: [OverQuota; 2] = [OverQuota::Warn, OverQuota::Refuse];

    /// The database's and the form's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OverQuota::Warn => "warn",
            OverQuota::Refuse => "refuse",
        }
    }

    pub fn parse(value: &str) -> Option<OverQuota> {
        match value {
            "warn" => Some(OverQuota::Warn),
            "refuse" => Some(OverQuota::Refuse),
            _ => None,
        }
    }
}

/// A plan: `None` in a limit means unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// A slug (`hobby`, `self-hosted`).
    pub id: String,
    pub name: String,
    /// Units (traces + observations + scores created) per calendar month, UTC.
    pub included_units: Option<i64>,
    /// How long data is kept; `None` keeps it forever.
    pub retention_days: Option<i32>,
    /// People in the organization (members, with open invitations counted against it).
    pub member_limit: Option<i32>,
    /// Annotation queues per project (as Langfuse counts them).
    pub annotation_queue_limit: Option<i32>,
    pub over_quota: OverQuota,
    /// The plan of organizations that have none of their own.
    pub is_default: bool,
    /// Order in lists.
    pub position: i32,
}

impl Plan {
    /// The instance's default when the `plans` table has no default (cannot happen after the
    /// migration, but a read must not fail on it): unlimited, as a self-hosted Loupe always was.
    pub fn unlimited() -> Plan {
        Plan {
            id: "self-hosted".into(),
            name: "Self-hosted".into(),
            included_units: None,
            retention_days: None,
            member_limit: None,
            annotation_queue_limit: None,
            over_quota: OverQuota::Warn,
            is_default: true,
            position: 0,
        }
    }

    /// Whether ingestion of an organization that used `units` this period is refused.
    pub fn refuses(&self, units: i64) -> bool {
        self.over_quota == OverQuota::Refuse && self.included_units.is_some_and(|included| units >= included)
    }

    /// The form's values for this plan (editing it).
    pub fn to_input(&self) -> PlanInput {
        let text = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        PlanInput {
            id: self.id.clone(),
            name: self.name.clone(),
            included_units: text(self.included_units),
            retention_days: text(self.retention_days.map(i64::from)),
            member_limit: text(self.member_limit.map(i64::from)),
            annotation_queue_limit: text(self.annotation_queue_limit.map(i64::from)),
            over_quota: self.over_quota.as_str().into(),
            position: self.position.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The plan form and its rules

/// A plan as typed in the form (numbers as text; empty = unlimited).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    pub id: String,
    pub name: String,
    pub included_units: String,
    pub retention_days: String,
    pub member_limit: String,
    pub annotation_queue_limit: String,
    pub over_quota: String,
    pub position: String,
}

/// The fields of a plan, in the form's (and the server's error) vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PlanField {
    Id,
    Name,
    IncludedUnits,
    RetentionDays,
    MemberLimit,
    AnnotationQueueLimit,
    OverQuota,
    Position,
}

impl PlanField {
    /// The field's name as the server's errors give it (`AppError::Invalid.field`).
    pub fn as_str(self) -> &'static str {
        match self {
            PlanField::Id => "id",
            PlanField::Name => "name",
            PlanField::IncludedUnits => "included_units",
            PlanField::RetentionDays => "retention_days",
            PlanField::MemberLimit => "member_limit",
            PlanField::AnnotationQueueLimit => "annotation_queue_limit",
            PlanField::OverQuota => "over_quota",
            PlanField::Position => "position",
        }
    }
}

/// One rule of a plan definition a person broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanRule {
    IdEmpty,
    /// Lowercase letters, digits and dashes, starting with a letter or digit, at most 63.
    IdFormat,
    NameEmpty,
    NameTooLong,
    /// A control character, `<` or `>`.
    NameCharacter,
    /// Not a whole number.
    NotANumber,
    Negative,
    /// Above the field's maximum.
    TooLarge(i64),
    /// Retention of 0 days would delete everything at once; leave empty to keep forever.
    RetentionZero,
    /// A member limit of 0 would lock out the organization's owners; at least 1.
    MemberLimitZero,
    OverQuotaUnknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanProblem {
    pub field: PlanField,
    pub rule: PlanRule,
}

impl fmt::Display for PlanProblem {
    /// English, for logs and tests; the UI words each rule in the person's language.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field.as_str();
        match &self.rule {
            PlanRule::IdEmpty => write!(f, "{field}: required"),
            PlanRule::IdFormat => write!(f, "{field}: lowercase letters, digits and dashes only (at most 63, starting with a letter or digit)"),
            PlanRule::NameEmpty => write!(f, "{field}: required"),
            PlanRule::NameTooLong => write!(f, "{field}: at most {MAX_NAME} characters"),
            PlanRule::NameCharacter => write!(f, "{field}: no control characters, < or >"),
            PlanRule::NotANumber => write!(f, "{field}: a whole number, or empty for unlimited"),
            PlanRule::Negative => write!(f, "{field}: must not be negative"),
            PlanRule::TooLarge(max) => write!(f, "{field}: at most {max}"),
            PlanRule::RetentionZero => write!(f, "{field}: at least 1 day, or empty to keep data forever"),
            PlanRule::MemberLimitZero => write!(f, "{field}: at least 1 (the owner), or empty for unlimited"),
            PlanRule::OverQuotaUnknown => write!(f, "{field}: \"warn\" or \"refuse\""),
        }
    }
}

pub const MAX_NAME: usize = 100;
/// 10^15 units a month: far beyond any real plan, and safe in a JS number.
pub const MAX_UNITS: i64 = 1_000_000_000_000_000;
/// 100 years.
pub const MAX_RETENTION_DAYS: i64 = 36_500;
pub const MAX_PEOPLE: i64 = 1_000_000;
pub const MAX_QUEUES: i64 = 1_000_000;
pub const MAX_POSITION: i64 = 1_000_000;

/// A plan's id: a slug, as the `plans.id` CHECK wants it.
pub fn valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// An optional non-negative whole number (empty = `None`), at most `max`.
fn limit(field: PlanField, text: &str, max: i64, problems: &mut Vec<PlanProblem>) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    // Thousands separators people type ("50,000", "50 000", "50_000") are accepted.
    let digits: String = text.chars().filter(|c| !matches!(c, ',' | '_' | ' ' | '\u{a0}')).collect();
    match digits.parse::<i128>() {
        Err(_) => {
            problems.push(PlanProblem { field, rule: PlanRule::NotANumber });
            None
        }
        Ok(n) if n < 0 => {
            problems.push(PlanProblem { field, rule: PlanRule::Negative });
            None
        }
        Ok(n) if n > i128::from(max) => {
            problems.push(PlanProblem { field, rule: PlanRule::TooLarge(max) });
            None
        }
        Ok(n) => Some(n as i64),
    }
}

impl PlanInput {
    /// The plan this form describes, or every problem at once (each naming its field). The
    /// plan's `is_default` is false: the default is set on its own.
    pub fn checked(&self) -> Result<Plan, Vec<PlanProblem>> {
        let mut problems = Vec::new();
        let id = self.id.trim();
        if id.is_empty() {
            problems.push(PlanProblem { field: PlanField::Id, rule: PlanRule::IdEmpty });
        } else if !valid_id(id) {
            problems.push(PlanProblem { field: PlanField::Id, rule: PlanRule::IdFormat });
        }
        let name = self.name.trim();
        if name.is_empty() {
            problems.push(PlanProblem { field: PlanField::Name, rule: PlanRule::NameEmpty });
        } else if name.chars().count() > MAX_NAME {
            problems.push(PlanProblem { field: PlanField::Name, rule: PlanRule::NameTooLong });
        } else if name.chars().any(|c| c.is_control() || c == '<' || c == '>') {
            problems.push(PlanProblem { field: PlanField::Name, rule: PlanRule::NameCharacter });
        }
        let included_units = limit(PlanField::IncludedUnits, &self.included_units, MAX_UNITS, &mut problems);
        let retention_days = limit(PlanField::RetentionDays, &self.retention_days, MAX_RETENTION_DAYS, &mut problems);
        if retention_days == Some(0) {
            problems.push(PlanProblem { field: PlanField::RetentionDays, rule: PlanRule::RetentionZero });
        }
        let member_limit = limit(PlanField::MemberLimit, &self.member_limit, MAX_PEOPLE, &mut problems);
        if member_limit == Some(0) {
            problems.push(PlanProblem { field: PlanField::MemberLimit, rule: PlanRule::MemberLimitZero });
        }
        let annotation_queue_limit = limit(PlanField::AnnotationQueueLimit, &self.annotation_queue_limit, MAX_QUEUES, &mut problems);
        let over_quota = OverQuota::parse(self.over_quota.trim());
        if over_quota.is_none() {
            problems.push(PlanProblem { field: PlanField::OverQuota, rule: PlanRule::OverQuotaUnknown });
        }
        let position = if self.position.trim().is_empty() {
            Some(0)
        } else {
            limit(PlanField::Position, &self.position, MAX_POSITION, &mut problems)
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Plan {
            id: id.to_string(),
            name: name.to_string(),
            included_units,
            retention_days: retention_days.map(|d| d as i32),
            member_limit: member_limit.map(|m| m as i32),
            annotation_queue_limit: annotation_queue_limit.map(|q| q as i32),
            over_quota: over_quota.unwrap_or(OverQuota::Warn),
            is_default: false,
            position: position.unwrap_or(0) as i32,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The billing period

/// A billing period: the calendar month in UTC, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    /// The month (UTC) that contains `at`.
    pub fn containing(at: DateTime<Utc>) -> Period {
        let first = NaiveDate::from_ymd_opt(at.year(), at.month(), 1).expect("the first of a month exists");
        let next = if at.month() == 12 {
            NaiveDate::from_ymd_opt(at.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(at.year(), at.month() + 1, 1)
        }
        .expect("the first of the next month exists");
        let midnight = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"));
        Period { start: midnight(first), end: midnight(next) }
    }

    /// The period's days (28–31), first to last.
    pub fn days(&self) -> Vec<NaiveDate> {
        let mut days = Vec::new();
        let mut day = self.start.date_naive();
        while day < self.end.date_naive() {
            days.push(day);
            day = day.succ_opt().expect("a next day");
        }
        days
    }

    /// Seconds until the period ends (at least 1): the `Retry-After` of a refusal.
    pub fn seconds_left(&self, now: DateTime<Utc>) -> i64 {
        (self.end - now).num_seconds().max(1)
    }

    /// `units` used by `now`, extended linearly to the period's end. The elapsed time counts as
    /// at least an hour, so the first minutes of a month do not project absurd numbers.
    pub fn project(&self, units: i64, now: DateTime<Utc>) -> i64 {
        let total = (self.end - self.start).num_seconds() as f64;
        let elapsed = (now.min(self.end) - self.start).max(Duration::hours(1)).num_seconds() as f64;
        if units <= 0 {
            return 0;
        }
        ((units as f64) * total / elapsed).round().max(units as f64) as i64
    }
}

// ---------------------------------------------------------------------------------------------
// Usage

/// Units by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    pub traces: i64,
    pub observations: i64,
    pub scores: i64,
}

impl KindCounts {
    /// Units = traces + observations + scores (Langfuse's `countEvents`).
    pub fn units(&self) -> i64 {
        self.traces + self.observations + self.scores
    }

    pub fn add(&mut self, other: KindCounts) {
        self.traces += other.traces;
        self.observations += other.observations;
        self.scores += other.scores;
    }
}

/// One project's share of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectUsage {
    pub project_id: String,
    /// `None` for a project deleted since (its units still count).
    pub name: Option<String>,
    pub counts: KindCounts,
    /// Its annotation queues now (the plan's queue limit is per project).
    pub queues: i64,
}

/// One day (UTC) of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    pub day: NaiveDate,
    pub counts: KindCounts,
}

/// How loudly the UI warns about the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BannerLevel {
    None,
    /// 80 % of the included units used.
    Warning,
    /// All of them used (ingestion refused when the plan says so).
    Reached,
}

impl BannerLevel {
    pub const WARNING_PERCENT: i64 = 80;

    /// The level of `units` against `included` (`None`: unlimited, never a banner).
    pub fn of(units: i64, included: Option<i64>) -> BannerLevel {
        match included {
            None => BannerLevel::None,
            Some(included) if units >= included => BannerLevel::Reached,
            // units / included >= 80 %, in integers.
            Some(included) if units.saturating_mul(100) >= included.saturating_mul(Self::WARNING_PERCENT) => BannerLevel::Warning,
            Some(_) => BannerLevel::None,
        }
    }
}

/// Whole percent of `units` in `included` (rounded down, so 79.9 % is not "80 %").
pub fn percent(units: i64, included: i64) -> i64 {
    if included <= 0 {
        return if units > 0 { 100 } else { 0 };
    }
    ((units as i128) * 100 / (included as i128)) as i64
}

/// An organization's usage page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgUsage {
    pub org_id: String,
    pub plan: Plan,
    /// Whether the plan is the instance's default (the organization has none of its own).
    pub plan_is_default: bool,
    pub period: Period,
    pub now: DateTime<Utc>,
    pub total: KindCounts,
    /// Most units first.
    pub by_project: Vec<ProjectUsage>,
    /// Every day of the period, zeros included, up to today.
    pub by_day: Vec<DayUsage>,
    pub members: i64,
    pub open_invitations: i64,
}

impl OrgUsage {
    pub fn units(&self) -> i64 {
        self.total.units()
    }

    pub fn projected(&self) -> i64 {
        self.period.project(self.units(), self.now)
    }

    pub fn banner(&self) -> BannerLevel {
        BannerLevel::of(self.units(), self.plan.included_units)
    }

    /// The most queues any one project has (the limit is per project).
    pub fn most_queues(&self) -> i64 {
        self.by_project.iter().map(|p| p.queues).max().unwrap_or(0)
    }
}

/// What the banner inside an organization's pages says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageBanner {
    pub org_id: String,
    pub level: BannerLevel,
    pub plan_name: String,
    pub units: i64,
    pub included: i64,
    /// Whether ingestion is refused now.
    pub refusing: bool,
}

/// One organization on the admin's plans page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPlanRow {
    pub org_id: String,
    pub org_name: String,
    /// The plan assigned to it; `None`: the default.
    pub assigned: Option<String>,
    /// The plan in effect (assigned or default).
    pub plan_id: String,
    pub units: i64,
    pub members: i64,
    /// Annotation queues of its live project with the most: what the plan's per-project queue
    /// limit is compared with.
    #[serde(default)]
    pub queues: i64,
}

/// The admin's plans page: the plans and every organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlansOverview {
    pub plans: Vec<Plan>,
    pub organizations: Vec<OrgPlanRow>,
    pub period: Period,
}

impl PlansOverview {
    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }
}

// ---------------------------------------------------------------------------------------------
// What a plan change does, shown before it is applied

/// A change of the plan organizations are on, or of a plan's limits: what an administrator
/// previews (`PlanChangeImpact`) before applying it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanChange {
    /// An organization moves to a plan (`None`: back to the default).
    Assign { org_id: String, plan_id: Option<String> },
    /// A plan's definition is replaced, as typed (checked by the server).
    Edit { plan: PlanInput },
    /// Another plan becomes the default (of every organization without a plan of its own).
    Default { plan_id: String },
}

/// A project whose effective retention a plan change shortens, and what the next retention run
/// would delete in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectExpiry {
    pub org_id: String,
    pub org_name: String,
    pub project_id: String,
    pub project_name: String,
    /// Its effective retention now (`None`: forever) and after the change.
    pub from_days: Option<i32>,
    pub to_days: i32,
    pub expired: crate::retention::ExpiredCounts,
}

/// An organization whose current usage is above a limit of the plan it would be on. Allowed:
/// nothing is removed, only new units, members or queues are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgOverLimit {
    pub org_id: String,
    pub org_name: String,
    /// Units this period and the new plan's included units (set when over).
    pub units: i64,
    pub included_units: Option<i64>,
    /// Members and the new limit (set when over).
    pub members: i64,
    pub member_limit: Option<i32>,
    /// The most annotation queues of one of its projects and the new limit (set when over).
    pub queues: i64,
    pub queue_limit: Option<i32>,
}

/// What a plan change would do, computed before it is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChangeImpact {
    /// The plan the organizations end up on (its new definition when edited).
    pub plan_id: String,
    pub plan_name: String,
    /// What that plan does past its quota.
    pub over_quota: OverQuota,
    /// The organization moved (an assignment).
    pub org_name: Option<String>,
    /// The plan's retention after the change: every shortened project's new retention.
    pub days: Option<i32>,
    /// Projects whose effective retention gets shorter and that lose data at the next run, most
    /// to delete first; at most [`PlanChangeImpact::LISTED`] (`projects` counts them all).
    pub expiring: Vec<ProjectExpiry>,
    pub projects: i64,
    /// What the next run deletes over every shortened project.
    pub expired: crate::retention::ExpiredCounts,
    /// Organizations above a new limit (at most [`PlanChangeImpact::LISTED`]; `over_count`
    /// counts them all).
    pub over: Vec<OrgOverLimit>,
    pub over_count: i64,
}

impl PlanChangeImpact {
    /// How many projects and organizations are listed by name.
    pub const LISTED: usize = 20;

    /// Data would be deleted at the next run: applying needs an explicit confirmation.
    pub fn needs_confirmation(&self) -> bool {
        !self.expired.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PlanInput {
        PlanInput {
            id: "team".into(),
            name: "Team".into(),
            included_units: "50,000".into(),
            retention_days: "30".into(),
            member_limit: "2".into(),
            annotation_queue_limit: "0".into(),
            over_quota: "refuse".into(),
            position: "".into(),
        }
    }

    #[test]
    fn a_good_plan_is_read() {
        let plan = input().checked().unwrap();
        assert_eq!(plan.included_units, Some(50_000));
        assert_eq!(plan.retention_days, Some(30));
        assert_eq!(plan.member_limit, Some(2));
        assert_eq!(plan.annotation_queue_limit, Some(0));
        assert_eq!(plan.over_quota, OverQuota::Refuse);
        assert_eq!(plan.position, 0);
        let unlimited = PlanInput { included_units: " ".into(), retention_days: "".into(), member_limit: "".into(), annotation_queue_limit: "".into(), ..input() };
        let plan = unlimited.checked().unwrap();
        assert_eq!((plan.included_units, plan.retention_days, plan.member_limit, plan.annotation_queue_limit), (None, None, None, None));
        assert_eq!(plan.to_input().checked().unwrap(), plan);
    }

    #[test]
    fn every_problem_names_its_field() {
        let bad = PlanInput {
            id: "Not A Slug".into(),
            name: "".into(),
            included_units: "-5".into(),
            retention_days: "0".into(),
            member_limit: "0".into(),
            annotation_queue_limit: "many".into(),
            over_quota: "block".into(),
            position: "99999999".into(),
        };
        let problems = bad.checked().unwrap_err();
        let fields: Vec<(PlanField, PlanRule)> = problems.into_iter().map(|p| (p.field, p.rule)).collect();
        assert_eq!(
            fields,
            vec![
                (PlanField::Id, PlanRule::IdFormat),
                (PlanField::Name, PlanRule::NameEmpty),
                (PlanField::IncludedUnits, PlanRule::Negative),
                (PlanField::RetentionDays, PlanRule::RetentionZero),
                (PlanField::MemberLimit, PlanRule::MemberLimitZero),
                (PlanField::AnnotationQueueLimit, PlanRule::NotANumber),
                (PlanField::OverQuota, PlanRule::OverQuotaUnknown),
                (PlanField::Position, PlanRule::TooLarge(MAX_POSITION)),
            ]
        );
        let huge = PlanInput { included_units: "99999999999999999999999".into(), ..input() };
        assert_eq!(huge.checked().unwrap_err()[0].rule, PlanRule::TooLarge(MAX_UNITS));
        let html = PlanInput { name: "<b>".into(), ..input() };
        assert_eq!(html.checked().unwrap_err()[0], PlanProblem { field: PlanField::Name, rule: PlanRule::NameCharacter });
        assert!(PlanProblem { field: PlanField::RetentionDays, rule: PlanRule::RetentionZero }.to_string().starts_with("retention_days"));
    }

    #[test]
    fn ids_are_slugs() {
        assert!(valid_id("self-hosted") && valid_id("pro2") && valid_id("9"));
        assert!(!valid_id("") && !valid_id("-a") && !valid_id("A") && !valid_id("a b") && !valid_id(&"a".repeat(64)));
    }

    #[test]
    fn the_period_is_the_utc_calendar_month() {
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        let period = Period::containing(at);
        assert_eq!(period.start, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(period.end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(period.days().len(), 31);
        let feb = Period::containing(Utc.with_ymd_and_hms(2028, 2, 10, 0, 0, 0).unwrap());
        assert_eq!(feb.days().len(), 29);
        assert_eq!(period.seconds_left(at), 1);
    }

    #[test]
    fn projection_is_linear_to_the_end() {
        let period = Period::containing(Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap());
        // A third of April (10 of 30 days) gone, 1,000 used → 3,000.
        assert_eq!(period.project(1_000, Utc.with_ymd_and_hms(2026, 4, 11, 0, 0, 0).unwrap()), 3_000);
        // The first minute counts as an hour: 720 hours in April.
        assert_eq!(period.project(10, Utc.with_ymd_and_hms(2026, 4, 1, 0, 1, 0).unwrap()), 7_200);
        assert_eq!(period.project(0, Utc.with_ymd_and_hms(2026, 4, 20, 0, 0, 0).unwrap()), 0);
        // At (or after) the end, the projection is what was used.
        assert_eq!(period.project(500, Utc.with_ymd_and_hms(2026, 5, 3, 0, 0, 0).unwrap()), 500);
    }

    #[test]
    fn banner_levels_and_refusal() {
        assert_eq!(BannerLevel::of(79, Some(100)), BannerLevel::None);
        assert_eq!(BannerLevel::of(80, Some(100)), BannerLevel::Warning);
        assert_eq!(BannerLevel::of(100, Some(100)), BannerLevel::Reached);
        assert_eq!(BannerLevel::of(10, Some(0)), BannerLevel::Reached);
        assert_eq!(BannerLevel::of(i64::MAX, None), BannerLevel::None);
        assert_eq!(percent(799, 1000), 79);
        let mut plan = Plan::unlimited();
        assert!(!plan.refuses(i64::MAX));
        plan.included_units = Some(100);
        assert!(!plan.refuses(100), "warn plans accept");
        plan.over_quota = OverQuota::Refuse;
        assert!(!plan.refuses(99) && plan.refuses(100));
    }

    #[test]
    fn units_add_up() {
        let mut a = KindCounts { traces: 1, observations: 2, scores: 3 };
        a.add(KindCounts { traces: 10, observations: 0, scores: 1 });
        assert_eq!(a.units(), 17);
    }
}
