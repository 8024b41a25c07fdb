//! Data retention (issue #22): how long a project keeps its traces, observations and scores.
//!
//! A project's **effective retention** is the shorter of its own setting and its plan's; `None`
//! on both keeps data forever ([`RetentionPolicy::effective_days`]). The daily job
//! (`loupe_core::retention`) deletes what is older than `now − effective days` by this rule:
//!
//! - **A trace's data lives and dies with the trace's timestamp.** A trace older than the cutoff
//!   goes with every observation and score of it, whatever their own times (a late score on an
//!   old trace goes with it); a trace newer than the cutoff keeps all of them (an old span of a
//!   trace that is still kept stays), so a trace page never shows a trace with holes.
//! - **Rows whose trace is gone go by their own time**: observations (`start_time`) and scores
//!   (`timestamp`) that name a trace that does not exist, and scores of sessions and dataset
//!   runs, are deleted once they are older than the cutoff.
//!
//! The settings page shows the counts ([`ExpiredCounts`]) a run with a given retention would
//! delete before a shorter retention is saved.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest retention one can set (the plans' limit too).
pub const MAX_RETENTION_DAYS: i32 = crate::plans::MAX_RETENTION_DAYS as i32;

/// A project's retention: its own setting and its plan's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// The project's own setting; `None`: whatever the plan keeps.
    pub project_days: Option<i32>,
    /// The project's plan (its organization's, or the instance's default).
    pub plan_id: String,
    pub plan_name: String,
    /// The plan's retention; `None`: the plan keeps data forever.
    pub plan_days: Option<i32>,
}

/// Where a project's effective retention comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetentionSource {
    /// Neither the project nor its plan limits it: data is kept forever.
    Forever,
    /// The project's own setting (at most the plan's).
    Project,
    /// The plan's (the project has none, or a longer one than a plan lowered since).
    Plan,
}

/// Why a retention typed into the settings cannot be saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetentionProblem {
    NotANumber,
    BelowOne,
    /// Longer than the plan allows.
    AbovePlan { plan_days: i32 },
    AboveMax,
}

impl RetentionProblem {
    /// The field every problem is about.
    pub const FIELD: &'static str = "days";
}

/// English, for logs and tests; the UI words each problem per language.
impl fmt::Display for RetentionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetentionProblem::NotANumber => write!(f, "days: must be a whole number of days, or empty to use the plan's"),
            RetentionProblem::BelowOne => write!(f, "days: must be at least 1"),
            RetentionProblem::AbovePlan { plan_days } => write!(f, "days: the plan keeps data at most {plan_days} days"),
            RetentionProblem::AboveMax => write!(f, "days: must be at most {MAX_RETENTION_DAYS}"),
        }
    }
}

impl RetentionPolicy {
    /// The shorter of the project's and the plan's retention; `None` keeps data forever.
    pub fn effective_days(&self) -> Option<i32> {
        shorter(self.project_days, self.plan_days)
    }

    pub fn source(&self) -> RetentionSource {
        match (self.project_days, self.plan_days) {
            (None, None) => RetentionSource::Forever,
            (Some(project), Some(plan)) if plan < project => RetentionSource::Plan,
            (Some(_), _) => RetentionSource::Project,
            (None, Some(_)) => RetentionSource::Plan,
        }
    }

    /// The policy with the project's setting replaced.
    pub fn with_project_days(&self, project_days: Option<i32>) -> RetentionPolicy {
        RetentionPolicy { project_days, ..self.clone() }
    }

    /// The project setting typed as `text` (trimmed; empty = the plan's), checked against the
    /// plan: at least one day, at most the plan's retention.
    pub fn check_days(&self, text: &str) -> Result<Option<i32>, RetentionProblem> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let days: i64 = text.parse().map_err(|_| RetentionProblem::NotANumber)?;
        if days < 1 {
            return Err(RetentionProblem::BelowOne);
        }
        if let Some(plan_days) = self.plan_days.filter(|plan_days| days > i64::from(*plan_days)) {
            return Err(RetentionProblem::AbovePlan { plan_days });
        }
        if days > i64::from(MAX_RETENTION_DAYS) {
            return Err(RetentionProblem::AboveMax);
        }
        Ok(Some(days as i32))
    }
}

/// The shorter of two retentions, `None` being forever.
pub fn shorter(a: Option<i32>, b: Option<i32>) -> Option<i32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether going from retention `from` to `to` keeps data for less time (so a run may delete
/// what was kept so far): what needs a confirmation.
pub fn is_shortening(from: Option<i32>, to: Option<i32>) -> bool {
    match (from, to) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(from), Some(to)) => to < from,
    }
}

/// The cutoff of a retention of `days` at `now`: rows older than it are expired.
pub fn cutoff(now: DateTime<Utc>, days: i32) -> DateTime<Utc> {
    now - Duration::days(i64::from(days))
}

/// What a run with a cutoff would delete (the rule in the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiredCounts {
    pub traces: i64,
    pub observations: i64,
    pub scores: i64,
}

impl ExpiredCounts {
    pub fn is_empty(&self) -> bool {
        self.traces == 0 && self.observations == 0 && self.scores == 0
    }
}

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetentionTrigger {
    /// The daily schedule.
    Schedule,
    /// An administrator's "Run now".
    Manual,
}

impl RetentionTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionTrigger::Schedule => "schedule",
            RetentionTrigger::Manual => "manual",
        }
    }

    pub fn parse(value: &str) -> RetentionTrigger {
        if value == "manual" { RetentionTrigger::Manual } else { RetentionTrigger::Schedule }
    }
}

/// One run of the retention job over a project: what it deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRun {
    pub id: i64,
    pub trigger: RetentionTrigger,
    pub retention_days: i32,
    pub cutoff: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    /// `None` while it runs (or after its last attempt failed: see `error`).
    pub finished_at: Option<DateTime<Utc>>,
    pub traces_deleted: i64,
    pub observations_deleted: i64,
    pub scores_deleted: i64,
    pub sessions_deleted: i64,
    pub media_deleted: i64,
    /// The last failure, when the run is stuck on one.
    pub error: Option<String>,
}

/// The "Data retention" section of the project settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionSettings {
    pub policy: RetentionPolicy,
    /// The newest run.
    pub last_run: Option<RetentionRun>,
    /// A run is queued or running for the project.
    pub pending: bool,
}

/// What saving `days` would do: the retention it gives and what the next run would delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPreview {
    /// The project setting checked (`None`: the plan's).
    pub project_days: Option<i32>,
    /// The effective retention it gives.
    pub effective_days: Option<i32>,
    /// The cutoff now, when data expires at all.
    pub cutoff: Option<DateTime<Utc>>,
    /// Shorter than now: saving needs a confirmation.
    pub shortening: bool,
    /// What the next run would delete (zero when nothing expires).
    pub expired: ExpiredCounts,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(project_days: Option<i32>, plan_days: Option<i32>) -> RetentionPolicy {
        RetentionPolicy { project_days, plan_id: "hobby".into(), plan_name: "Hobby".into(), plan_days }
    }

    #[test]
    fn the_effective_retention_is_the_shorter_and_says_where_it_comes_from() {
        assert_eq!((policy(None, None).effective_days(), policy(None, None).source()), (None, RetentionSource::Forever));
        assert_eq!((policy(Some(7), None).effective_days(), policy(Some(7), None).source()), (Some(7), RetentionSource::Project));
        assert_eq!((policy(None, Some(30)).effective_days(), policy(None, Some(30)).source()), (Some(30), RetentionSource::Plan));
        assert_eq!((policy(Some(7), Some(30)).effective_days(), policy(Some(7), Some(30)).source()), (Some(7), RetentionSource::Project));
        assert_eq!((policy(Some(30), Some(30)).effective_days(), policy(Some(30), Some(30)).source()), (Some(30), RetentionSource::Project));
        // A plan lowered below the project's setting wins.
        assert_eq!((policy(Some(90), Some(30)).effective_days(), policy(Some(90), Some(30)).source()), (Some(30), RetentionSource::Plan));
    }

    #[test]
    fn days_are_checked_against_the_plan_naming_the_field() {
        let hobby = policy(None, Some(30));
        assert_eq!(hobby.check_days(" 14 "), Ok(Some(14)));
        assert_eq!(hobby.check_days(""), Ok(None));
        assert_eq!(hobby.check_days("30"), Ok(Some(30)));
        assert_eq!(hobby.check_days("31"), Err(RetentionProblem::AbovePlan { plan_days: 30 }));
        assert_eq!(hobby.check_days("0"), Err(RetentionProblem::BelowOne));
        assert_eq!(hobby.check_days("-3"), Err(RetentionProblem::BelowOne));
        assert_eq!(hobby.check_days("1.5"), Err(RetentionProblem::NotANumber));
        assert_eq!(hobby.check_days("99999999999999999999999"), Err(RetentionProblem::NotANumber));
        let unlimited = policy(None, None);
        assert_eq!(unlimited.check_days("36500"), Ok(Some(36_500)));
        assert_eq!(unlimited.check_days("36501"), Err(RetentionProblem::AboveMax));
        assert!(RetentionProblem::AbovePlan { plan_days: 30 }.to_string().starts_with(RetentionProblem::FIELD));
    }

    #[test]
    fn shortening_is_keeping_data_for_less_time() {
        assert!(is_shortening(None, Some(30)));
        assert!(is_shortening(Some(30), Some(7)));
        assert!(!is_shortening(Some(7), Some(30)));
        assert!(!is_shortening(Some(7), Some(7)));
        assert!(!is_shortening(Some(7), None));
        assert!(!is_shortening(None, None));
    }
}
