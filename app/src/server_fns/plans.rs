//! Plans (#22), for instance administrators only (`accounts.is_instance_admin`): the plans and
//! every organization with its plan and usage, creating and editing plans (checked by
//! `PlanInput::checked`, refused naming the field), the default plan, deleting an unused plan,
//! and assigning a plan to an organization. Every change drops `limits`' cached quota state, so
//! it applies to the next request at once in this process.
//!
//! A change that would shorten some project's effective retention (an assignment, a plan's
//! retention edited down, another default) states what the next retention run would delete
//! (`preview_plan_change`) and is refused without `confirm` (field `confirm`, naming the counts,
//! as `set_retention` refuses), so data is never deleted by a plan change nobody saw. `confirm`
//! carries the counts the administrator confirmed; the change's own transaction locks what it
//! changes and counts again, and refuses once more, with the new numbers, when any count grew. Lowering
//! units, members or queues below current usage needs no confirmation: nothing is removed.

use leptos::prelude::*;

use crate::domain::plans::{Plan, PlanChange, PlanChangeImpact, PlanInput, PlansOverview};
use crate::domain::retention::ExpiredCounts;
use crate::error::AppError;

/// The signed-in instance administrator, or 403.
#[cfg(feature = "ssr")]
async fn admin() -> Result<(crate::state::AppState, crate::auth::session::CurrentUser), AppError> {
    let state = crate::server_fns::support::state()?;
    let user = crate::auth::access::signed_in()?;
    let summary = crate::store::accounts::summary(&state.pool, &user.user_id).await?.ok_or(AppError::SignInRequired)?;
    if !summary.is_instance_admin {
        return Err(AppError::Forbidden(crate::language::say!(errors.system.admins_only)));
    }
    Ok((state, user))
}

/// A plan as typed, checked (refused naming the first field with a problem).
#[cfg(feature = "ssr")]
fn checked_plan(plan: &PlanInput) -> Result<Plan, AppError> {
    plan.checked().map_err(|problems| {
        let first = &problems[0];
        AppError::invalid(first.field.as_str(), crate::pages::admin_plans::plan_problem(crate::language::request_locale(), first))
    })
}

/// What `change` would do (nothing is changed), counted on `conn`. With `lock`, in a change's
/// own transaction: what the change is about to alter is locked first
/// (`limits::lock_change`), so the count is the one the change is applied under. Unknown plans
/// and organizations are refused as the change itself refuses them; a plan being created
/// affects nobody.
#[cfg(feature = "ssr")]
async fn impact_of(conn: &mut sqlx::PgConnection, change: &PlanChange, lock: bool) -> Result<PlanChangeImpact, AppError> {
    use loupe_core::limits::{lock_change, plan_change_impact_in, ChangeTarget};
    let no_plan = |id: &str| AppError::NotFound(crate::language::say!(usage.errors.no_plan, id));
    let (target, plan) = match change {
        PlanChange::Assign { org_id, plan_id } => {
            let target = ChangeTarget::Org(org_id.as_str());
            if lock {
                lock_change(&mut *conn, target).await?;
            }
            let plan = match plan_id.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                Some(id) => loupe_core::store::plans::get(&mut *conn, id)
                    .await?
                    .ok_or_else(|| AppError::invalid("plan_id", crate::language::say!(usage.errors.no_plan, id)))?,
                None => default_plan(&mut *conn).await?,
            };
            (target, plan)
        }
        PlanChange::Edit { plan } => {
            let plan = checked_plan(plan)?;
            if lock {
                lock_change(&mut *conn, ChangeTarget::OnPlan(&plan.id)).await?;
            }
            if loupe_core::store::plans::get(&mut *conn, &plan.id).await?.is_none() {
                return Ok(nothing_changes(&plan));
            }
            return Ok(plan_change_impact_in(conn, ChangeTarget::OnPlan(&plan.id), &plan).await?);
        }
        PlanChange::Default { plan_id } => {
            if lock {
                lock_change(&mut *conn, ChangeTarget::OnDefault).await?;
            }
            let plan = loupe_core::store::plans::get(&mut *conn, plan_id).await?.ok_or_else(|| no_plan(plan_id))?;
            if plan.is_default {
                return Ok(nothing_changes(&plan));
            }
            (ChangeTarget::OnDefault, plan)
        }
    };
    match plan_change_impact_in(conn, target, &plan).await {
        Err(crate::store::StoreError::NotFound) => {
            let org_id = match change {
                PlanChange::Assign { org_id, .. } => org_id.as_str(),
                _ => "",
            };
            Err(AppError::NotFound(crate::language::say!(errors.not_found.organization, id = org_id)))
        }
        other => Ok(other?),
    }
}

/// The instance's default plan (unlimited when none is marked, as `limits` reads it).
#[cfg(feature = "ssr")]
async fn default_plan(conn: &mut sqlx::PgConnection) -> Result<Plan, AppError> {
    Ok(loupe_core::store::plans::list(conn).await?.into_iter().find(|p| p.is_default).unwrap_or_else(Plan::unlimited))
}

#[cfg(feature = "ssr")]
fn nothing_changes(plan: &Plan) -> PlanChangeImpact {
    PlanChangeImpact {
        plan_id: plan.id.clone(),
        plan_name: plan.name.clone(),
        over_quota: plan.over_quota,
        org_name: None,
        days: plan.retention_days,
        expiring: Vec::new(),
        projects: 0,
        expired: Default::default(),
        over: Vec::new(),
        over_count: 0,
    }
}

/// In the change's transaction (`tx`), just before it is applied: locks what it changes,
/// counts again what the next retention run would delete, and refuses (400, field `confirm`,
/// with the numbers of now) a change that deletes data unless `confirm` holds the counts the
/// administrator saw and none grew since (`limits::confirmation_holds`) — data that became
/// deletable after the preview is not deleted on a confirmation of less. Returns the impact to
/// record.
#[cfg(feature = "ssr")]
async fn confirmed(tx: &mut sqlx::PgConnection, change: &PlanChange, confirm: Option<&ExpiredCounts>) -> Result<PlanChangeImpact, AppError> {
    let impact = impact_of(tx, change, true).await?;
    if !loupe_core::limits::confirmation_holds(&impact, confirm) {
        let locale = crate::language::request_locale();
        return Err(AppError::invalid("confirm", crate::pages::admin_plans::confirm_refusal(locale, change, &impact)));
    }
    Ok(impact)
}

/// What an applied change deleted at the time, for the audit entry.
#[cfg(feature = "ssr")]
fn expired_json(impact: &PlanChangeImpact) -> serde_json::Value {
    let e = impact.expired;
    serde_json::json!({"retentionDays": impact.days, "projects": impact.projects,
        "expiredAtChange": {"traces": e.traces, "observations": e.observations, "scores": e.scores}})
}

/// What a plan change would do: the projects whose retention it shortens with what the next
/// retention run would delete in each, and the organizations it puts above a limit.
#[server(prefix = "/api/ui", endpoint = "preview_plan_change", input = leptos::server_fn::codec::Json)]
pub async fn preview_plan_change(change: PlanChange) -> Result<PlanChangeImpact, AppError> {
    use crate::server_fns::support::respond;
    respond(async {
        let (state, _) = admin().await?;
        let mut conn = state.pool.acquire().await?;
        impact_of(&mut conn, &change, false).await
    }
    .await)
}

/// The plans and every organization with its plan, this period's units and members.
#[server(prefix = "/api/ui", endpoint = "list_plans")]
pub async fn list_plans() -> Result<PlansOverview, AppError> {
    use crate::server_fns::support::respond;
    respond(async {
        let (state, _) = admin().await?;
        let period = crate::domain::plans::Period::containing(chrono::Utc::now());
        let plans = loupe_core::store::plans::list(&state.pool).await?;
        let organizations = loupe_core::store::plans::organizations(&state.pool, &period).await?;
        Ok(PlansOverview { plans, organizations, period })
    }
    .await)
}

/// Creates a plan (`create`) or replaces an existing one's definition (its id stays). An edit
/// that shortens some project's retention is refused without `confirm` (see the module docs).
#[server(prefix = "/api/ui", endpoint = "save_plan", input = leptos::server_fn::codec::Json)]
pub async fn save_plan(plan: PlanInput, create: bool, #[server(default)] confirm: Option<ExpiredCounts>) -> Result<Plan, AppError> {
    use crate::server_fns::support::respond;
    use crate::store::StoreError;
    respond(async {
        let (state, user) = admin().await?;
        let checked = checked_plan(&plan)?;
        let mut tx = state.pool.begin().await?;
        // A new plan is nobody's yet; an edited one may shorten its organizations' retention.
        let impact = if create { None } else { Some(confirmed(&mut tx, &PlanChange::Edit { plan: plan.clone() }, confirm.as_ref()).await?) };
        if create {
            match loupe_core::store::plans::create(&mut tx, &checked).await {
                Err(StoreError::Conflict { constraint }) => {
                    let field = if constraint.contains("name") { "name" } else { "id" };
                    return Err(AppError::invalid(field, crate::language::say!(usage.errors.plan_taken, field)));
                }
                other => other?,
            }
        } else {
            match loupe_core::store::plans::update(&mut tx, &checked).await {
                Err(StoreError::Conflict { .. }) => {
                    return Err(AppError::invalid("name", crate::language::say!(usage.errors.plan_taken, field = "name")));
                }
                Ok(None) => return Err(AppError::NotFound(crate::language::say!(usage.errors.no_plan, id = checked.id.as_str()))),
                other => {
                    other?;
                }
            }
        }
        let saved = loupe_core::store::plans::get(&mut *tx, &checked.id).await?.ok_or(AppError::Internal)?;
        tx.commit().await?;
        loupe_core::limits::invalidate_all(&state.pool);
        tracing::info!(user_id = %user.user_id, plan = %saved.id, create, impact = ?impact.as_ref().map(expired_json), "plan saved");
        Ok(saved)
    }
    .await)
}

/// Makes a plan the default: the plan of every organization without one of its own. Refused
/// without `confirm` when it shortens some project's retention.
#[server(prefix = "/api/ui", endpoint = "set_default_plan")]
pub async fn set_default_plan(plan_id: String, #[server(default)] confirm: Option<ExpiredCounts>) -> Result<(), AppError> {
    use crate::server_fns::support::respond;
    respond(async {
        let (state, user) = admin().await?;
        let mut tx = state.pool.begin().await?;
        let impact = confirmed(&mut tx, &PlanChange::Default { plan_id: plan_id.clone() }, confirm.as_ref()).await?;
        let previous = match loupe_core::store::plans::set_default(&mut tx, &plan_id).await {
            Err(crate::store::StoreError::NotFound) => {
                return Err(AppError::NotFound(crate::language::say!(usage.errors.no_plan, id = plan_id.as_str())))
            }
            other => other?,
        };
        tx.commit().await?;
        loupe_core::limits::invalidate_all(&state.pool);
        tracing::info!(user_id = %user.user_id, plan = %plan_id, previous = ?previous, impact = %expired_json(&impact), "default plan set");
        Ok(())
    }
    .await)
}

/// Deletes a plan that is neither the default nor assigned to an organization.
#[server(prefix = "/api/ui", endpoint = "delete_plan")]
pub async fn delete_plan(plan_id: String) -> Result<(), AppError> {
    use crate::server_fns::support::respond;
    use loupe_core::store::plans::DeleteRefused;
    respond(async {
        let (state, user) = admin().await?;
        let mut tx = state.pool.begin().await?;
        match loupe_core::store::plans::delete(&mut tx, &plan_id).await {
            Ok(_) => {}
            Err(DeleteRefused::IsDefault) => return Err(AppError::Conflict(crate::language::say!(usage.errors.delete_default))),
            Err(DeleteRefused::InUse(n)) => return Err(AppError::Conflict(crate::language::say!(usage.errors.delete_in_use, n = n))),
            Err(DeleteRefused::Store(crate::store::StoreError::NotFound)) => {
                return Err(AppError::NotFound(crate::language::say!(usage.errors.no_plan, id = plan_id.as_str())))
            }
            Err(DeleteRefused::Store(error)) => return Err(error.into()),
        }
        tx.commit().await?;
        tracing::info!(user_id = %user.user_id, plan = %plan_id, "plan deleted");
        Ok(())
    }
    .await)
}

/// Assigns a plan to an organization; an empty `plan_id` puts it back on the default plan.
/// Lowering it below its current usage is allowed (nothing is deleted; the usage shows as over);
/// shortening its projects' retention is refused without `confirm` (see the module docs).
#[server(prefix = "/api/ui", endpoint = "assign_plan")]
pub async fn assign_plan(org_id: String, plan_id: String, #[server(default)] confirm: Option<ExpiredCounts>) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, respond};
    respond(async {
        let (state, user) = admin().await?;
        let plan_id = Some(plan_id.trim()).filter(|p| !p.is_empty());
        let mut tx = state.pool.begin().await?;
        // Checks the plan and the organization too (refused as below).
        let impact = confirmed(&mut tx, &PlanChange::Assign { org_id: org_id.clone(), plan_id: plan_id.map(str::to_string) }, confirm.as_ref()).await?;
        if let Some(id) = plan_id {
            if loupe_core::store::plans::get(&mut *tx, id).await?.is_none() {
                return Err(AppError::invalid("plan_id", crate::language::say!(usage.errors.no_plan, id)));
            }
        }
        let (org, previous) = match loupe_core::store::plans::assign(&mut tx, &org_id, plan_id).await {
            Err(crate::store::StoreError::NotFound) => {
                return Err(AppError::NotFound(crate::language::say!(errors.not_found.organization, id = org_id.as_str())))
            }
            other => other?,
        };
        // Recorded in the organization's own audit log, where its people look.
        audit(&mut tx, &user.user_id, &org, None, "organization.plan", "organization", &org_id,
            Some(serde_json::json!({"plan": previous})), Some(serde_json::json!({"plan": plan_id, "retention": expired_json(&impact)}))).await?;
        tx.commit().await?;
        loupe_core::limits::invalidate_org(&state.pool, &org_id);
        Ok(())
    }
    .await)
}
