//! The models page's words for typed values: a price definition's problems (`PriceProblem`, the
//! same the public API states in English), the "Test match" box's, the time range's, operators
//! and attribute sources, in the page's language. Shared by the page and the server functions'
//! refusals.

use crate::domain::models::{PriceProblem, ProbeProblem, WindowProblem, MAX_WINDOW_DAYS};
use crate::i18n::*;

/// A rule of a model definition, as the person reads it (the field is shown beside it).
pub fn price_problem(locale: Locale, problem: &PriceProblem) -> String {
    use PriceProblem as P;
    match problem {
        P::BodyNotObject | P::NotObject => td_string!(locale, models.problems.not_object).to_string(),
        P::Required => td_string!(locale, models.problems.required).to_string(),
        P::NotString | P::PatternNotString | P::DateNotString => td_string!(locale, models.problems.not_text).to_string(),
        P::TextLength(max) => td_string!(locale, models.problems.text_length, max = *max).to_string(),
        P::PatternEmpty => td_string!(locale, models.problems.pattern_empty).to_string(),
        P::PatternTooLong(max) => td_string!(locale, models.problems.pattern_too_long, max = *max).to_string(),
        P::InvalidRegex(why) => td_string!(locale, models.problems.invalid_regex, why = why.clone()).to_string(),
        P::DateInvalid(text) => td_string!(locale, models.problems.date_invalid, value = text.clone()).to_string(),
        P::UnitUnknown => td_string!(locale, models.problems.unit_unknown).to_string(),
        P::TokenizerUnknown => td_string!(locale, models.problems.tokenizer_unknown).to_string(),
        P::TokenizerConfigNotObject => td_string!(locale, models.problems.tokenizer_config).to_string(),
        P::NotNonNegative => td_string!(locale, models.problems.not_non_negative).to_string(),
        P::TotalWithInputOutput => td_string!(locale, models.problems.total_with_input_output).to_string(),
        P::FlatAndTiers | P::NoPrices | P::NoTiers | P::TiersNotArray => td_string!(locale, models.problems.no_tiers).to_string(),
        P::IdInvalid => td_string!(locale, models.problems.id_invalid).to_string(),
        P::NotBoolean => td_string!(locale, models.problems.not_boolean).to_string(),
        P::NotInteger => td_string!(locale, models.problems.not_integer).to_string(),
        P::ConditionsNotArray | P::ConditionShape => td_string!(locale, models.problems.condition_shape).to_string(),
        P::PricesNotObject | P::UsageTypeEmpty => td_string!(locale, models.problems.usage_type_empty).to_string(),
        P::UsageOperator => td_string!(locale, models.problems.usage_operator).to_string(),
        P::AttributeSource => td_string!(locale, models.problems.attribute_source).to_string(),
        P::AttributeOperator => td_string!(locale, models.problems.attribute_operator).to_string(),
        P::AttributeValues => td_string!(locale, models.problems.attribute_values).to_string(),
        P::NoDefaultTier => td_string!(locale, models.problems.no_default_tier).to_string(),
        P::DefaultTiers(count) => td_string!(locale, models.problems.default_tiers, count = *count).to_string(),
        P::DefaultPriority(name) => td_string!(locale, models.problems.default_priority, tier = name.clone()).to_string(),
        P::DefaultConditions(name) => td_string!(locale, models.problems.default_conditions, tier = name.clone()).to_string(),
        P::TierWithoutConditions(name) => td_string!(locale, models.problems.tier_without_conditions, tier = name.clone()).to_string(),
        P::PriorityRange(name) => td_string!(locale, models.problems.priority_range, tier = name.clone()).to_string(),
        P::PriorityTwice(priority) => td_string!(locale, models.problems.priority_twice, priority = *priority).to_string(),
        P::NameTwice(name) => td_string!(locale, models.problems.name_twice, tier = name.clone()).to_string(),
        P::TierWithoutPrice(name) => td_string!(locale, models.problems.tier_without_price, tier = name.clone()).to_string(),
        P::TierShadowed { tier, by, priority } => {
            td_string!(locale, models.problems.tier_shadowed, tier = tier.clone(), by = by.clone(), priority = *priority).to_string()
        }
        P::Duplicate(name) => td_string!(locale, models.problems.duplicate, name = name.clone()).to_string(),
        P::NotANumber(text) => td_string!(locale, models.problems.not_a_number, value = text.clone()).to_string(),
        P::UsageTypeTwice(usage_type) => td_string!(locale, models.problems.usage_type_twice, usage_type = usage_type.clone()).to_string(),
    }
}

/// What is wrong with the "Test match" box's text.
pub fn probe_problem(locale: Locale, problem: &ProbeProblem) -> String {
    match problem {
        ProbeProblem::ModelRequired => td_string!(locale, models.test.problems.model_required).to_string(),
        ProbeProblem::NotAPair(line) => td_string!(locale, models.test.problems.not_a_pair, line = line.clone()).to_string(),
        ProbeProblem::NotACount(value) => td_string!(locale, models.test.problems.not_a_count, value = value.clone()).to_string(),
        ProbeProblem::NotAnObject => td_string!(locale, models.test.problems.not_an_object).to_string(),
    }
}

/// What is wrong with a time range.
pub fn window_problem(locale: Locale, problem: &WindowProblem) -> String {
    match problem {
        WindowProblem::UnknownRange => td_string!(locale, models.usage.problems.unknown_range).to_string(),
        WindowProblem::NotATime(_) => td_string!(locale, models.usage.problems.not_a_time).to_string(),
        WindowProblem::EndBeforeStart => td_string!(locale, models.usage.problems.end_before_start).to_string(),
        WindowProblem::TooLong => td_string!(locale, models.usage.problems.too_long, days = MAX_WINDOW_DAYS).to_string(),
    }
}

/// A usage condition's comparison as a symbol people read (`>`, `≥`, …).
pub fn operator_symbol(operator: &str) -> &'static str {
    match operator {
        "gt" => ">",
        "gte" => "≥",
        "lt" => "<",
        "lte" => "≤",
        "eq" => "=",
        "neq" => "≠",
        _ => "?",
    }
}

/// Where an attribute condition looks.
pub fn source_label(locale: Locale, source: &str) -> &'static str {
    match source {
        "metadata" => td_string!(locale, models.form.source_metadata),
        _ => td_string!(locale, models.form.source_model_parameters),
    }
}
