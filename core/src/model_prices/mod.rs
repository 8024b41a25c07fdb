//! The models page (#22, `/project/{id}/settings/models`) over `pricing`: the definitions as the
//! table shows them, saving one with the public API's check, "Test match", the usage by pricing
//! tier ([`usage`]) and cost recalculations ([`recalculate`]).
//!
//! Everything prices with the code ingestion uses — `ingest::writer::price_new` for a probe, the
//! writer's `reprice` for a recalculation — over the project's definitions as stored now
//! ([`ProjectPrices::load`], never a cache), so the page never disagrees with what ingestion
//! stores.

pub mod recalculate;
pub mod usage;

use loupe_domain::models::{ConditionRow, FieldProblem, MatchResult, MatchedModel, ModelForm, ModelRow, ParsedProbe, TierRow};
use loupe_domain::ObservationType;
use sqlx::{PgConnection, PgPool};

use crate::ingest::model::ObservationPatch;
use crate::pricing::definition::{ModelDefinition, TierCondition};
use crate::pricing::{builtin, check, store, ProjectPrices};
use crate::scope::ProjectId;
use crate::store::StoreError;

/// How many built-in definitions one list answer carries (the table searches the rest).
pub const BUILTIN_PAGE: usize = 50;

/// A definition as the table shows it.
pub fn row(model: &ModelDefinition) -> ModelRow {
    let mut tiers: Vec<TierRow> = model
        .pricing_tiers
        .iter()
        .map(|tier| TierRow {
            id: tier.id.clone(),
            name: tier.name.clone(),
            is_default: tier.is_default,
            priority: tier.priority,
            conditions: tier
                .conditions
                .iter()
                .map(|condition| match condition {
                    TierCondition::Usage { pattern, case_sensitive, operator, value, .. } => ConditionRow::Usage {
                        pattern: pattern.clone(),
                        operator: operator.as_str().to_string(),
                        value: *value,
                        case_sensitive: *case_sensitive,
                    },
                    TierCondition::Attribute { source, key, values } => {
                        ConditionRow::Attribute { source: source.as_str().to_string(), key: key.clone(), values: values.clone() }
                    }
                })
                .collect(),
            prices: tier.prices.clone(),
        })
        .collect();
    tiers.sort_by_key(|tier| (!tier.is_default, tier.priority));
    ModelRow {
        id: model.id.clone(),
        model_name: model.model_name.clone(),
        match_pattern: model.match_pattern.clone(),
        start_date: model.start_date,
        unit: model.unit.clone(),
        tokenizer_id: model.tokenizer_id.clone(),
        tokenizer_config: model.tokenizer_config.as_ref().map(|config| serde_json::to_string_pretty(config).unwrap_or_default()),
        builtin: model.is_langfuse_managed(),
        tiers,
    }
}

/// The table: every project definition (by name, newest start first), then the built-in ones
/// whose name contains `search` or whose pattern covers it, at most [`BUILTIN_PAGE`]; and how
/// many built-in ones matched in all.
pub async fn list(pool: &PgPool, project_id: &ProjectId, search: &str) -> Result<(Vec<ModelRow>, usize), StoreError> {
    let (project, _) = store::page(pool, project_id, 0, 10_000).await?;
    let search = search.trim();
    let needle = search.to_lowercase();
    let wanted = |model: &ModelDefinition| search.is_empty() || model.model_name.to_lowercase().contains(&needle) || model.matches(search);
    let mut rows: Vec<ModelRow> = project.iter().filter(|m| wanted(m)).map(row).collect();
    let mut builtins: Vec<&ModelDefinition> = builtin::models().iter().filter(|m| wanted(m)).collect();
    builtins.sort_by(|a, b| a.model_name.cmp(&b.model_name));
    let matched = builtins.len();
    rows.extend(builtins.into_iter().take(BUILTIN_PAGE).map(row));
    Ok((rows, matched))
}

/// One definition by id: the project's, else a built-in one.
pub async fn get(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<ModelRow>, StoreError> {
    if let Some(model) = store::get(pool, project_id, id).await? {
        return Ok(Some(row(&model)));
    }
    Ok(builtin::by_id(id).map(row))
}

/// Why a definition was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The form's text, or the public API's check of the body it makes.
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<FieldProblem>),
    #[error("no project model {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every problem of a form: its text's, else the first of the public API's check.
pub fn check_form(form: &ModelForm, project_id: &ProjectId, keep_tier_id: impl Fn(&str) -> bool) -> Result<store::NewModel, Vec<FieldProblem>> {
    let body = form.to_body()?;
    check::check_model(&body, project_id.as_str(), "check", keep_tier_id).map_err(|problem| vec![problem])
}

/// Creates a project model from the form (`model_id: None`) or replaces one, in the caller's
/// transaction; returns the stored definition and, for an edit, the one it replaced. Callers
/// call [`crate::pricing::models_changed`] after their commit.
pub async fn save(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    model_id: Option<&str>,
    form: &ModelForm,
) -> Result<(ModelRow, Option<ModelRow>), SaveError> {
    let before = match model_id {
        Some(id) => Some(store::lock(conn, project_id, id).await.map_err(StoreError::from)?.ok_or_else(|| SaveError::NotFound(id.to_string()))?),
        None => None,
    };
    let own_tiers: Vec<String> = before.iter().flat_map(|m| m.pricing_tiers.iter().map(|t| t.id.clone())).collect();
    let id = model_id.map(str::to_string).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let body = form.to_body().map_err(SaveError::Invalid)?;
    let model = check::check_model(&body, project_id.as_str(), &id, |tier| own_tiers.iter().any(|own| own == tier))
        .map_err(|problem| SaveError::Invalid(vec![problem]))?;
    let duplicate = |error: store::InsertError| match error.problem() {
        Some(problem) => SaveError::Invalid(vec![problem]),
        None => match error {
            store::InsertError::Database(error) => SaveError::Store(error.into()),
            store::InsertError::Duplicate { .. } => unreachable!("a duplicate has a problem"),
        },
    };
    let stored = if before.is_some() {
        store::update(&mut *conn, model).await.map_err(duplicate)?.ok_or_else(|| SaveError::NotFound(id.clone()))?
    } else {
        store::insert(&mut *conn, model).await.map_err(duplicate)?
    };
    Ok((row(&stored), before.as_ref().map(row)))
}

/// Deletes a project model in the caller's transaction; the deleted definition, or `None`.
pub async fn delete(conn: &mut PgConnection, project_id: &ProjectId, id: &str) -> Result<Option<ModelRow>, StoreError> {
    let Some(model) = store::lock(conn, project_id, id).await? else { return Ok(None) };
    store::delete(&mut *conn, project_id, id).await?;
    Ok(Some(row(&model)))
}

/// "Test match": which definition and tier would price a generation with this model name,
/// usage and parameters, and what ingestion would store for it now — priced by the writer's own
/// `price_new` over the definitions as stored now.
pub async fn test_match(pool: &PgPool, project_id: &ProjectId, probe: &ParsedProbe) -> Result<MatchResult, StoreError> {
    let prices = ProjectPrices::load(pool, project_id).await?;
    Ok(test_match_with(&prices, probe))
}

fn test_match_with(prices: &ProjectPrices, probe: &ParsedProbe) -> MatchResult {
    let mut patch = ObservationPatch::new("test-match", "test-match", ObservationType::Generation);
    patch.model = Some(probe.model.clone());
    patch.usage.details = Some(probe.usage.clone());
    patch.model_parameters = probe.model_parameters.clone();
    patch.metadata = probe.metadata.clone();
    let (_, priced) = crate::ingest::writer::price_new(&patch, prices);
    let priced = priced.unwrap_or_default();
    let model = priced.internal_model_id.as_deref().and_then(|id| prices.model_by_id(id)).map(|model| MatchedModel {
        id: model.id.clone(),
        model_name: model.model_name.clone(),
        match_pattern: model.match_pattern.clone(),
        builtin: model.is_langfuse_managed(),
    });
    MatchResult {
        model,
        tier_id: priced.tier_id,
        tier_name: priced.tier_name,
        usage: priced.usage_details,
        cost: priced.cost_details,
        total_cost: priced.total_cost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loupe_domain::models::MatchProbe;

    fn probe(model: &str, usage: &str, params: &str) -> ParsedProbe {
        MatchProbe { model: model.into(), usage: usage.into(), model_parameters: params.into(), metadata: String::new() }.parse().unwrap()
    }

    #[test]
    fn a_probe_is_priced_by_the_built_in_table() {
        let prices = ProjectPrices::builtin_only();
        let result = test_match_with(&prices, &probe("gpt-4o-mini", "input: 10\noutput: 6", ""));
        assert_eq!(result.model.as_ref().map(|m| m.model_name.as_str()), Some("gpt-4o-mini"));
        assert!(result.model.as_ref().unwrap().builtin);
        assert_eq!(result.tier_name.as_deref(), Some("Standard"));
        assert_eq!(result.total_cost, Some(10.0 * 1.5e-7 + 6.0 * 6e-7));
        assert_eq!(result.usage["total"], 16);
        // Model parameters pick an attribute tier; usage above a threshold a usage tier.
        let fast = test_match_with(&prices, &probe("gpt-4o-mini", "input: 10", "service_tier=priority"));
        assert_eq!(fast.tier_name.as_deref(), Some("Fast mode"));
        let large = test_match_with(&prices, &probe("gemini-2.5-pro", "input: 250000", ""));
        assert_eq!(large.tier_name.as_deref(), Some("Large Context"));
        // OpenAI's own usage object is normalized as ingestion normalizes it.
        let openai = test_match_with(&prices, &probe("gpt-4o-mini", "{\"prompt_tokens\": 10, \"completion_tokens\": 6, \"total_tokens\": 16}", ""));
        assert_eq!(openai.total_cost, result.total_cost);
        let unknown = test_match_with(&prices, &probe("my-own-llm", "input: 3", ""));
        assert_eq!((unknown.model, unknown.total_cost), (None, None));
    }

    #[test]
    fn rows_list_the_default_tier_first() {
        let gemini = builtin::models().iter().find(|m| m.model_name == "gemini-2.5-pro").unwrap();
        let row = row(gemini);
        assert!(row.builtin);
        assert!(row.tiers[0].is_default);
        assert!(matches!(row.tiers[1].conditions[0], ConditionRow::Usage { ref operator, .. } if operator == "gt"));
    }
}
