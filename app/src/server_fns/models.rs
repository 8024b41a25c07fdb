//! The models page (#22, `/project/{id}/settings/models`): model price definitions — the
//! project's and the built-in ones — read by everyone in the project; created, edited and
//! deleted by Admins and Owners (`ManageProjectSettings`) with the public API's own check
//! (`loupe_core::pricing::check`), audited; "Test match"; usage by pricing tier and the
//! generations without a price; cost recalculations (started by Admins, audited, progress read
//! by everyone).

use leptos::prelude::*;

use crate::domain::models::{FieldProblem, MatchProbe, MatchResult, ModelForm, ModelList, ModelRow, Recalculation, UsageReport};
use crate::error::AppError;

/// The table: the project's definitions, then the built-in ones matching `search`.
#[server(prefix = "/api/ui", endpoint = "list_models")]
pub async fn list_models(project_id: String, search: String) -> Result<ModelList, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let (rows, builtin_matched) = loupe_core::model_prices::list(&state.pool, &scope.project_id, &search).await?;
        Ok(ModelList { rows, builtin_matched })
    }
    .await)
}

/// Every problem of the form as typed (its text's, else the public API's check), without saving:
/// the form asks as one types. `model_id`: the project model being edited.
#[server(prefix = "/api/ui", endpoint = "check_model_form", input = leptos::server_fn::codec::Json)]
pub async fn check_model_form(project_id: String, model_id: Option<String>, form: ModelForm) -> Result<Vec<FieldProblem>, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let own_tiers: Vec<String> = match model_id.as_deref() {
            Some(id) => loupe_core::pricing::store::get(&state.pool, &scope.project_id, id)
                .await
                .map_err(loupe_core::store::StoreError::from)?
                .map(|model| model.pricing_tiers.into_iter().map(|tier| tier.id).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(loupe_core::model_prices::check_form(&form, &scope.project_id, |tier| own_tiers.iter().any(|own| own == tier)).err().unwrap_or_default())
    }
    .await)
}

/// Creates a project model (`model_id: None`; also "Override" of a built-in one) or replaces one.
#[server(prefix = "/api/ui", endpoint = "save_model", input = leptos::server_fn::codec::Json)]
pub async fn save_model(project_id: String, model_id: Option<String>, form: ModelForm) -> Result<ModelRow, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    use loupe_core::model_prices::SaveError;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let locale = crate::language::request_locale();
        let mut tx = state.pool.begin().await?;
        let (saved, before) = loupe_core::model_prices::save(&mut tx, &scope.project_id, model_id.as_deref(), &form).await.map_err(|error| match error {
            SaveError::Invalid(problems) => match problems.into_iter().next() {
                Some(first) => AppError::invalid(&first.field, crate::pages::models::words::price_problem(locale, &first.problem)),
                None => AppError::Internal,
            },
            SaveError::NotFound(id) => AppError::NotFound(crate::language::say!(models.errors.no_model, id = id)),
            SaveError::Store(error) => error.into(),
        })?;
        let action = if before.is_some() { "model.update" } else { "model.create" };
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), action, "model", &saved.id,
            before.map(|b| serde_json::json!(b)), Some(serde_json::json!(saved))).await?;
        tx.commit().await?;
        // Ingestion in this process prices with it from the next request on.
        loupe_core::pricing::models_changed(&state.pool, &scope.project_id);
        Ok(saved)
    }
    .await)
}

#[server(prefix = "/api/ui", endpoint = "delete_model")]
pub async fn delete_model(project_id: String, model_id: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let mut tx = state.pool.begin().await?;
        let deleted = loupe_core::model_prices::delete(&mut tx, &scope.project_id, &model_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(models.errors.no_model, id = &model_id)))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "model.delete", "model", &deleted.id,
            Some(serde_json::json!(deleted)), None).await?;
        tx.commit().await?;
        loupe_core::pricing::models_changed(&state.pool, &scope.project_id);
        Ok(())
    }
    .await)
}

/// "Test match": which definition and tier would price such a generation, and its cost.
#[server(prefix = "/api/ui", endpoint = "test_model_match", input = leptos::server_fn::codec::Json)]
pub async fn test_model_match(project_id: String, probe: MatchProbe) -> Result<MatchResult, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let locale = crate::language::request_locale();
        let parsed = probe.parse().map_err(|(field, problem)| AppError::invalid(field, crate::pages::models::words::probe_problem(locale, &problem)))?;
        Ok(loupe_core::model_prices::test_match(&state.pool, &scope.project_id, &parsed).await?)
    }
    .await)
}

/// Cost and tokens by model and pricing tier, and the generations without a price, over the
/// URL's time range (`range` preset, or `from`/`to`).
#[server(prefix = "/api/ui", endpoint = "model_usage")]
pub async fn model_usage(project_id: String, range: String, from: String, to: String) -> Result<UsageReport, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let (from, to) = window(&range, &from, &to)?;
        Ok(loupe_core::model_prices::usage::report(&state.pool, &scope.project_id, from, to).await?)
    }
    .await)
}

/// Starts re-pricing the generations of `[from, to)` (of `model` only, when given).
#[server(prefix = "/api/ui", endpoint = "start_cost_recalculation")]
pub async fn start_cost_recalculation(project_id: String, from: String, to: String, model: Option<String>) -> Result<Recalculation, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    use loupe_core::model_prices::recalculate::{self, StartError};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::ManageProjectSettings).await?;
        let (from, to) = window("", &from, &to)?;
        let model = model.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
        if model.as_ref().is_some_and(|m| m.chars().count() > 800) {
            return Err(AppError::invalid("model", crate::language::say!(models.errors.model_too_long)));
        }
        let mut tx = state.pool.begin().await?;
        let started = recalculate::start(&mut tx, &scope.project_id, from, to, model.as_deref(), &user.user_id).await.map_err(|error| match error {
            StartError::AlreadyRunning => AppError::Conflict(crate::language::say!(models.errors.already_running)),
            StartError::Store(error) => error.into(),
        })?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "cost_recalculation.start", "cost_recalculation", &started.id,
            None, Some(serde_json::json!({"from": started.from, "to": started.to, "model": started.model}))).await?;
        tx.commit().await?;
        Ok(started)
    }
    .await)
}

/// The project's latest recalculations, newest first.
#[server(prefix = "/api/ui", endpoint = "list_cost_recalculations")]
pub async fn list_cost_recalculations(project_id: String) -> Result<Vec<Recalculation>, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        Ok(loupe_core::model_prices::recalculate::recent(&state.pool, &scope.project_id, 5).await?)
    }
    .await)
}

/// One recalculation's progress (polled while it runs).
#[server(prefix = "/api/ui", endpoint = "get_cost_recalculation")]
pub async fn get_cost_recalculation(project_id: String, recalculation_id: String) -> Result<Recalculation, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        loupe_core::model_prices::recalculate::get(&state.pool, &scope.project_id, &recalculation_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(models.errors.no_recalculation)))
    }
    .await)
}

/// The time range of the URL, or the refusal naming its key.
#[cfg(feature = "ssr")]
fn window(range: &str, from: &str, to: &str) -> Result<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>), AppError> {
    use crate::domain::models::WindowProblem;
    crate::domain::models::usage_window(range, from, to, chrono::Utc::now()).map_err(|problem| {
        let field = match problem {
            WindowProblem::NotATime(key) => key,
            WindowProblem::UnknownRange => "range",
            WindowProblem::EndBeforeStart | WindowProblem::TooLong => "to",
        };
        AppError::invalid(field, crate::pages::models::words::window_problem(crate::language::request_locale(), &problem))
    })
}
