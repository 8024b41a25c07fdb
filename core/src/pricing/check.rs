//! The one check of a model definition someone sends: Langfuse's `POST /api/public/models` body
//! (docs/COMPATIBILITY.md §7.3), used by that route and by the models page (#22), so the page
//! refuses exactly what the API refuses. Every refusal is a [`FieldProblem`] naming the field.
//!
//! - `modelName` (≤ 255 characters) and `matchPattern` (a regular expression the regex crate
//!   compiles within its size and nesting limits — it matches in linear time, so a pattern can be
//!   too large but never too slow) are required;
//! - `startDate`: an ISO 8601 date or date-time; `unit`: one of [`UNITS`]; `tokenizerId`: one of
//!   [`TOKENIZERS`]; `tokenizerConfig`: a JSON object;
//! - prices: flat `inputPrice`/`outputPrice`/`totalPrice` (non-negative; `totalPrice` alone)
//!   **or** `pricingTiers`, read by [`parse_tiers`] and checked together by
//!   [`validate_tier_set`] (one default tier, unique names and priorities, no overlapping tier).
//!
//! Tier ids are the server's to choose, except that an edit keeps the ids of the tiers it had
//! (`keep_tier_id`), so generations priced before the edit still name their tier.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use loupe_domain::models::{FieldProblem, PriceProblem, MAX_MODEL_NAME_CHARS, TOKENIZERS, UNITS};
use serde_json::{Map, Value};

use super::definition::{compile_match_pattern, parse_tiers, validate_tier_set, PricingTier};
use super::store::NewModel;

/// Checks a model body; `id` becomes the model's id. A tier's given `id` is kept only when
/// `keep_tier_id` says so (once), every other tier gets a new one.
pub fn check_model(body: &Value, project_id: &str, id: &str, keep_tier_id: impl Fn(&str) -> bool) -> Result<NewModel, FieldProblem> {
    let refuse = |field: &str, problem: PriceProblem| Err(FieldProblem::new(field, problem));
    let Some(body) = body.as_object() else { return refuse("", PriceProblem::BodyNotObject) };
    let model_name = match field(body, "modelName") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.chars().count() <= MAX_MODEL_NAME_CHARS => name.clone(),
        Some(Value::String(_)) => return refuse("modelName", PriceProblem::TextLength(MAX_MODEL_NAME_CHARS)),
        Some(_) => return refuse("modelName", PriceProblem::NotString),
        None => return refuse("modelName", PriceProblem::Required),
    };
    let match_pattern = match field(body, "matchPattern") {
        Some(Value::String(pattern)) => pattern.clone(),
        Some(_) => return refuse("matchPattern", PriceProblem::PatternNotString),
        None => return refuse("matchPattern", PriceProblem::Required),
    };
    compile_match_pattern(&match_pattern).map_err(|problem| FieldProblem::new("matchPattern", problem))?;
    let start_date = field(body, "startDate").map(start_date).transpose()?;
    let unit = match field(body, "unit") {
        None => None,
        Some(Value::String(unit)) if UNITS.contains(&unit.as_str()) => Some(unit.clone()),
        Some(_) => return refuse("unit", PriceProblem::UnitUnknown),
    };
    let price = |name: &str| -> Result<Option<f64>, FieldProblem> {
        match field(body, name) {
            None => Ok(None),
            Some(value) => value
                .as_f64()
                .filter(|price| price.is_finite() && *price >= 0.0)
                .map(Some)
                .ok_or_else(|| FieldProblem::new(name, PriceProblem::NotNonNegative)),
        }
    };
    let (input_price, output_price, total_price) = (price("inputPrice")?, price("outputPrice")?, price("totalPrice")?);
    let tier_values = match field(body, "pricingTiers") {
        None => None,
        Some(Value::Array(tiers)) => Some(tiers),
        Some(_) => return refuse("pricingTiers", PriceProblem::TiersNotArray),
    };
    let tokenizer_id = match field(body, "tokenizerId") {
        None => None,
        Some(Value::String(tokenizer)) if TOKENIZERS.contains(&tokenizer.as_str()) => Some(tokenizer.clone()),
        Some(_) => return refuse("tokenizerId", PriceProblem::TokenizerUnknown),
    };
    let tokenizer_config = match field(body, "tokenizerConfig") {
        None => None,
        Some(config @ Value::Object(_)) => Some(config.clone()),
        Some(_) => return refuse("tokenizerConfig", PriceProblem::TokenizerConfigNotObject),
    };

    let has_flat_prices = input_price.is_some() || output_price.is_some() || total_price.is_some();
    let has_tiers = tier_values.is_some_and(|tiers| !tiers.is_empty());
    let pricing_tiers = match (has_flat_prices, has_tiers) {
        (true, true) => return refuse("", PriceProblem::FlatAndTiers),
        (false, false) => return refuse("", PriceProblem::NoPrices),
        (true, false) => {
            if total_price.is_some() && (input_price.is_some() || output_price.is_some()) {
                return refuse("totalPrice", PriceProblem::TotalWithInputOutput);
            }
            let prices = [("input", input_price), ("output", output_price), ("total", total_price)]
                .into_iter()
                .filter_map(|(usage_type, price)| Some((usage_type.to_string(), price?)))
                .collect();
            vec![PricingTier {
                id: format!("{id}_tier_default"),
                name: "Standard".to_string(),
                is_default: true,
                priority: 0,
                conditions: Vec::new(),
                prices,
            }]
        }
        (false, true) => {
            // Ids the caller may not choose are dropped before reading, so each gets a new one.
            let mut kept = HashSet::new();
            let tiers = tier_values
                .into_iter()
                .flatten()
                .map(|tier| match tier {
                    Value::Object(object) => Value::Object(
                        object
                            .iter()
                            .filter(|(key, value)| {
                                *key != "id" || value.as_str().is_some_and(|given| keep_tier_id(given) && kept.insert(given.to_string()))
                            })
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    ),
                    other => other.clone(),
                })
                .collect();
            let tiers = parse_tiers(&Value::Array(tiers), "pricingTiers", |_| uuid::Uuid::new_v4().to_string())?;
            validate_tier_set(&tiers, "pricingTiers")?;
            tiers
        }
    };
    Ok(NewModel {
        project_id: project_id.to_string(),
        id: id.to_string(),
        model_name,
        match_pattern,
        start_date,
        unit,
        tokenizer_id,
        tokenizer_config,
        pricing_tiers,
    })
}

/// A present, non-null field (Langfuse's fields are `nullish`: null means absent).
fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.get(name).filter(|value| !value.is_null())
}

/// An ISO 8601 date-time with offset, or a plain date (midnight UTC).
fn start_date(value: &Value) -> Result<DateTime<Utc>, FieldProblem> {
    let text = value.as_str().ok_or_else(|| FieldProblem::new("startDate", PriceProblem::DateNotString))?;
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Ok(date.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
        .ok_or_else(|| FieldProblem::new("startDate", PriceProblem::DateInvalid(text.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: Value) -> Result<NewModel, String> {
        check_model(&body, "p", "m1", |_| false).map_err(String::from)
    }

    #[test]
    fn flat_prices_become_one_default_tier() {
        let model = check(json!({"modelName": "m", "matchPattern": "(?i)^m$", "inputPrice": 1e-6, "outputPrice": 2e-6, "totalPrice": null,
                                 "unit": "TOKENS", "startDate": "2025-01-31", "tokenizerId": null}))
        .unwrap();
        assert_eq!(model.pricing_tiers.len(), 1);
        let tier = &model.pricing_tiers[0];
        assert_eq!((tier.id.as_str(), tier.name.as_str(), tier.is_default, tier.priority), ("m1_tier_default", "Standard", true, 0));
        assert_eq!(serde_json::to_value(&tier.prices).unwrap(), json!({"input": 1e-6, "output": 2e-6}));
        assert_eq!(model.start_date.unwrap().to_rfc3339(), "2025-01-31T00:00:00+00:00");
        assert_eq!(model.unit.as_deref(), Some("TOKENS"));
    }

    #[test]
    fn validation_messages_name_the_field() {
        let base = || json!({"modelName": "m", "matchPattern": "^m$", "inputPrice": 1.0});
        let with = |key: &str, value: Value| {
            let mut body = base();
            body[key] = value;
            body
        };
        let tier = json!({"name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}});
        let cases = [
            (json!([]), "the body must be a JSON object"),
            (json!({"matchPattern": "x", "inputPrice": 1}), "modelName: is required"),
            (with("modelName", json!("")), "modelName: must be a non-empty string"),
            (with("modelName", json!(5)), "modelName: must be a string"),
            (json!({"modelName": "m", "inputPrice": 1}), "matchPattern: is required"),
            (with("matchPattern", json!("gpt-(")), "matchPattern: is not a valid regular expression"),
            (with("matchPattern", json!("")), "matchPattern: must not be empty"),
            (with("matchPattern", json!(["x"])), "matchPattern: must be a string (a regular expression)"),
            (with("startDate", json!("yesterday")), "startDate: \"yesterday\" is not an ISO 8601 date"),
            (with("startDate", json!(5)), "startDate: must be an ISO 8601 date or date-time string"),
            (with("unit", json!("PARSECS")), "unit: must be one of"),
            (with("inputPrice", json!(-1)), "inputPrice: must be a non-negative number"),
            (with("outputPrice", json!("1")), "outputPrice: must be a non-negative number"),
            (with("totalPrice", json!(1)), "totalPrice: must be null when inputPrice or outputPrice is set"),
            (with("tokenizerId", json!("sentencepiece")), "tokenizerId: must be \"openai\" or \"claude\""),
            (with("tokenizerConfig", json!("gpt-4o")), "tokenizerConfig: must be a JSON object"),
            (with("pricingTiers", json!([tier.clone()])), "not both"),
            (json!({"modelName": "m", "matchPattern": "x"}), "provide either flat prices"),
            (json!({"modelName": "m", "matchPattern": "x", "pricingTiers": []}), "provide either flat prices"),
            (json!({"modelName": "m", "matchPattern": "x", "pricingTiers": {}}), "pricingTiers: must be an array"),
            (
                json!({"modelName": "m", "matchPattern": "x", "pricingTiers": [{"name": "a", "isDefault": false, "priority": 1, "conditions": [], "prices": {"input": 1}}]}),
                "pricingTiers: exactly one pricing tier must have isDefault: true",
            ),
            (
                json!({"modelName": "m", "matchPattern": "x", "pricingTiers": [{"name": "a", "isDefault": true, "priority": 0, "prices": {"input": -1}}]}),
                "pricingTiers[0].prices.input: must be a non-negative number",
            ),
        ];
        for (body, expected) in cases {
            let error = check(body.clone()).unwrap_err();
            assert!(error.contains(expected), "{body}: {error}");
        }
    }

    #[test]
    fn tiers_get_fresh_ids_unless_kept() {
        let tiers = json!([
            {"id": "client-chosen", "name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}},
            {"name": "Flex", "priority": 1, "conditions": [{"source": "model_parameters", "key": "service_tier", "operator": "in", "values": ["flex"]}], "prices": {"input": 0.5}}
        ]);
        let model = check(json!({"modelName": "m", "matchPattern": "x", "pricingTiers": tiers})).unwrap();
        assert_eq!(model.pricing_tiers.len(), 2);
        assert_ne!(model.pricing_tiers[0].id, "client-chosen");
        assert_ne!(model.pricing_tiers[1].id, model.pricing_tiers[0].id);
        // An edit keeps its own tiers' ids, once each.
        let mut twice = tiers.clone();
        twice[1]["id"] = json!("client-chosen");
        let body = json!({"modelName": "m", "matchPattern": "x", "pricingTiers": twice});
        let kept = check_model(&body, "p", "m1", |id| id == "client-chosen").unwrap();
        assert_eq!(kept.pricing_tiers[0].id, "client-chosen");
        assert_ne!(kept.pricing_tiers[1].id, "client-chosen");
    }
}
