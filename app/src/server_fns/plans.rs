//! Plans (#22), for instance administrators only (`accounts.is_instance_admin`): the plans and
//! every organization with its plan and usage, creating and editing plans (checked by
//! `PlanInput::checked`, refused naming the field), the default plan, deleting an unused plan,
//! and assigning a plan to an organization. Every change drops `limits`' cached quota state, so
//! it applies to the next request at once in this process.

use leptos::prelude::*;

use crate::domain::plans::{Plan, PlanInput, PlansOverview};
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

/// Creates a plan (`create`) or replaces an existing one's definition (its id stays).
#[server(prefix = "/api/ui", endpoint = "save_plan", input = leptos::server_fn::codec::Json)]
pub async fn save_plan(plan: PlanInput, create: bool) -> Result<Plan, AppError> {
    use crate::server_fns::support::respond;
    use crate::store::StoreError;
    respond(async {
        let (state, user) = admin().await?;
        let checked = plan.checked().map_err(|problems| {
            let first = &problems[0];
            AppError::invalid(first.field.as_str(), crate::pages::admin_plans::plan_problem(crate::language::request_locale(), first))
        })?;
        let mut tx = state.pool.begin().await?;
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
        tracing::info!(user_id = %user.user_id, plan = %saved.id, create, "plan saved");
        Ok(saved)
    }
    .await)
}

/// Makes a plan the default: the plan of every organization without one of its own.
#[server(prefix = "/api/ui", endpoint = "set_default_plan")]
pub async fn set_default_plan(plan_id: String) -> Result<(), AppError> {
    use crate::server_fns::support::respond;
    respond(async {
        let (state, user) = admin().await?;
        let mut tx = state.pool.begin().await?;
        let previous = match loupe_core::store::plans::set_default(&mut tx, &plan_id).await {
            Err(crate::store::StoreError::NotFound) => {
                return Err(AppError::NotFound(crate::language::say!(usage.errors.no_plan, id = plan_id.as_str())))
            }
            other => other?,
        };
        tx.commit().await?;
        loupe_core::limits::invalidate_all(&state.pool);
        tracing::info!(user_id = %user.user_id, plan = %plan_id, previous = ?previous, "default plan set");
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
/// Lowering it below its current usage is allowed (nothing is deleted; the usage shows as over).
#[server(prefix = "/api/ui", endpoint = "assign_plan")]
pub async fn assign_plan(org_id: String, plan_id: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, respond};
    respond(async {
        let (state, user) = admin().await?;
        let plan_id = Some(plan_id.trim()).filter(|p| !p.is_empty());
        let mut tx = state.pool.begin().await?;
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
            Some(serde_json::json!({"plan": previous})), Some(serde_json::json!({"plan": plan_id}))).await?;
        tx.commit().await?;
        loupe_core::limits::invalidate_org(&state.pool, &org_id);
        Ok(())
    }
    .await)
}
