//! Data retention in the project settings (issue #22): the effective retention and where it comes
//! from, the newest run (everyone who reads the project); what a new setting would delete, saving
//! it — at most the plan's, and a shortening only once confirmed — and "Run now" (Admins and
//! Owners). The deleting is `loupe_core::retention`'s.

use leptos::prelude::*;

use crate::domain::retention::{RetentionPreview, RetentionSettings};
use crate::error::AppError;

#[server(prefix = "/api/ui", endpoint = "get_retention")]
pub async fn get_retention(project_id: String) -> Result<RetentionSettings, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        Ok(loupe_core::retention::settings(&state.pool, &scope.project_id).await?)
    }
    .await)
}

/// What saving `days` (empty: the plan's) would do, with the counts the next run would delete.
#[server(prefix = "/api/ui", endpoint = "preview_retention")]
pub async fn preview_retention(project_id: String, days: Option<String>) -> Result<RetentionPreview, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let days = checked_days(&state.pool, &scope.project_id, days.as_deref()).await?.0;
        Ok(loupe_core::retention::preview(&state.pool, &scope.project_id, days).await?)
    }
    .await)
}

/// Saves the project's retention (`days` empty: the plan's). A shorter retention than the
/// current one is refused (field `confirm`, with what the next run would delete) unless
/// `confirm` is true: the person saw those counts.
#[server(prefix = "/api/ui", endpoint = "set_retention")]
pub async fn set_retention(project_id: String, days: Option<String>, confirm: Option<bool>) -> Result<RetentionSettings, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let project_id = scope.project_id.clone();
        let (days, policy) = checked_days(&state.pool, &project_id, days.as_deref()).await?;
        if days == policy.project_days {
            return Ok(loupe_core::retention::settings(&state.pool, &project_id).await?);
        }
        let preview = loupe_core::retention::preview(&state.pool, &project_id, days).await?;
        if preview.shortening && confirm != Some(true) {
            let e = preview.expired;
            return Err(AppError::invalid(
                "confirm",
                crate::language::say!(retention.errors.confirm, traces = e.traces, observations = e.observations, scores = e.scores),
            ));
        }
        let mut tx = state.pool.begin().await?;
        let before = loupe_core::retention::set_project_days(&mut tx, &project_id, days).await?;
        audit(
            &mut tx,
            &user.user_id,
            &scope.org_id,
            Some(&project_id),
            "project.retention",
            "project",
            project_id.as_str(),
            Some(serde_json::json!({"retentionDays": before, "effectiveDays": policy.effective_days()})),
            Some(serde_json::json!({"retentionDays": days, "effectiveDays": preview.effective_days,
                "expiredAtChange": {"traces": preview.expired.traces, "observations": preview.expired.observations, "scores": preview.expired.scores}})),
        )
        .await?;
        tx.commit().await?;
        Ok(loupe_core::retention::settings(&state.pool, &project_id).await?)
    }
    .await)
}

/// Queues a retention run of the project now (unless one is queued or running); whether it was
/// queued. Refused (field `days`) when the project's data does not expire.
#[server(prefix = "/api/ui", endpoint = "run_retention_now")]
pub async fn run_retention_now(project_id: String) -> Result<bool, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let project_id = scope.project_id.clone();
        let mut conn = state.pool.acquire().await?;
        let policy = loupe_core::limits::retention_of_project(&mut conn, &project_id).await?;
        drop(conn);
        let Some(days) = policy.effective_days() else {
            return Err(AppError::invalid("days", crate::language::say!(retention.errors.nothing_expires)));
        };
        let queued = loupe_core::retention::request_run(&state.pool, &project_id).await?;
        if queued {
            let mut tx = state.pool.begin().await?;
            audit(&mut tx, &user.user_id, &scope.org_id, Some(&project_id), "project.retention_run", "project", project_id.as_str(),
                None, Some(serde_json::json!({"effectiveDays": days}))).await?;
            tx.commit().await?;
        }
        Ok(queued)
    }
    .await)
}

/// The typed setting checked against the project's plan (refused naming `days`), with the
/// policy it was checked against.
#[cfg(feature = "ssr")]
async fn checked_days(
    pool: &sqlx::PgPool,
    project_id: &loupe_core::scope::ProjectId,
    days: Option<&str>,
) -> Result<(Option<i32>, crate::domain::retention::RetentionPolicy), AppError> {
    use crate::domain::retention::RetentionProblem;
    let mut conn = pool.acquire().await?;
    let policy = loupe_core::limits::retention_of_project(&mut conn, project_id).await?;
    let days = policy.check_days(days.unwrap_or_default()).map_err(|problem| {
        AppError::invalid(RetentionProblem::FIELD, crate::pages::retention::problem_message(crate::language::request_locale(), problem))
    })?;
    Ok((days, policy))
}
