//! An organization's usage (#22): its plan, units this period, members and queues
//! (`get_org_usage`, any member) and the 80 %/100 % banner (`get_usage_banner`, Owners and
//! Admins); and [`limit_error`], how a plan limit reads in the person's language.

use leptos::prelude::*;

use crate::domain::plans::{OrgUsage, UsageBanner};
use crate::error::AppError;

/// A plan limit refused the action: worded in the person's language, naming the plan and the
/// limit. Units are a 429 (as ingestion answers), members and queues a 403.
#[cfg(feature = "ssr")]
pub(crate) fn limit_error(error: loupe_core::limits::LimitError) -> AppError {
    limit_error_in(crate::language::request_locale(), error)
}

/// [`limit_error`] in a given language: for handlers outside the server functions (the
/// playground's runs, `crate::language::locale_of`). The one wording of a plan limit in the UI.
#[cfg(feature = "ssr")]
pub fn limit_error_in(locale: crate::i18n::Locale, error: loupe_core::limits::LimitError) -> AppError {
    use crate::domain::format::count;
    use crate::i18n::td_string;
    use loupe_core::limits::{Limit, LimitError};
    let reached = match error {
        LimitError::Store(error) => return error.into(),
        LimitError::Reached(reached) => reached,
    };
    let plan = reached.plan_name.as_str();
    let (limit, used) = (count(reached.allowed), count(reached.used));
    match reached.limit {
        Limit::Units => AppError::TooManyAttempts(td_string!(locale, usage.errors.units, plan, limit, used).to_string()),
        Limit::Members => AppError::Forbidden(td_string!(locale, usage.errors.members, plan, limit, used).to_string()),
        Limit::AnnotationQueues => AppError::Forbidden(td_string!(locale, usage.errors.queues, plan, limit, used).to_string()),
    }
}

/// The organization's usage page (any member): plan, units this period by project, kind and day,
/// members and open invitations, queues per project.
#[server(prefix = "/api/ui", endpoint = "get_org_usage")]
pub async fn get_org_usage(org_id: String) -> Result<OrgUsage, AppError> {
    use crate::server_fns::support::{org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, scope, .. } = org_call(&org_id, crate::domain::Action::ReadProjectData).await?;
        let org_id = scope.org_id;
        let now = chrono::Utc::now();
        let period = crate::domain::plans::Period::containing(now);
        let (plan, plan_is_default) = loupe_core::store::plans::of_org(&state.pool, org_id.as_str())
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.organization, id = org_id.as_str())))?;
        let by_project = loupe_core::store::plans::usage_by_project(&state.pool, &org_id, &period).await?;
        let counted = loupe_core::store::plans::usage_by_day(&state.pool, &org_id, &period).await?;
        let mut total = crate::domain::plans::KindCounts::default();
        for project in &by_project {
            total.add(project.counts);
        }
        // Every day of the period up to today, so the chart's axis is the month so far.
        let today = now.date_naive();
        let by_day = period
            .days()
            .into_iter()
            .filter(|day| *day <= today)
            .map(|day| crate::domain::plans::DayUsage {
                day,
                counts: counted.iter().find(|d| d.day == day).map(|d| d.counts).unwrap_or_default(),
            })
            .collect();
        let (members, open_invitations) = loupe_core::store::plans::people(&state.pool, org_id.as_str()).await?;
        Ok(OrgUsage { org_id: org_id.into_string(), plan, plan_is_default, period, now, total, by_project, by_day, members, open_invitations })
    }
    .await)
}

/// The quota banner of an organization for its Owners and Admins: `None` below 80 % (and for an
/// unlimited plan). Read from `limits`' per-process cache, so every page may ask.
#[server(prefix = "/api/ui", endpoint = "get_usage_banner")]
pub async fn get_usage_banner(org_id: String) -> Result<Option<UsageBanner>, AppError> {
    use crate::domain::plans::BannerLevel;
    use crate::server_fns::support::{org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, scope, .. } = org_call(&org_id, crate::domain::Action::ManageOrganization).await?;
        let Some(quota) = loupe_core::limits::quota_of_org(&state.pool, scope.org_id.as_str()).await? else { return Ok(None) };
        let level = BannerLevel::of(quota.units, quota.plan.included_units);
        if level == BannerLevel::None {
            return Ok(None);
        }
        Ok(Some(UsageBanner {
            org_id: scope.org_id.into_string(),
            level,
            refusing: quota.refusing(),
            plan_name: quota.plan.name,
            units: quota.units,
            included: quota.plan.included_units.unwrap_or_default(),
        }))
    }
    .await)
}
