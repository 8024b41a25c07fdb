//! Which pricing tier of a model applies to one observation (Langfuse's `matchPricingTier`,
//! docs/COMPATIBILITY.md §8.3 step 2): the first non-default tier, by ascending priority, all of
//! whose conditions hold; else the default tier.
//!
//! - A usage condition sums the usage types whose name matches its pattern (search semantics,
//!   case-insensitive unless `caseSensitive`) and compares the sum with its value.
//! - An attribute condition reads a model parameter or metadata value as a string and holds
//!   when it is one of the listed values. Values arrive in several spellings: strings, numbers
//!   and booleans (model parameters), and JSON-quoted strings (Python SDK 5 sends metadata
//!   values as `"\"flex\""`); each is compared by its plain text.

use std::collections::BTreeMap;

use serde_json::Value;

use super::definition::{AttributeSource, PricingTier, TierCondition};

/// The observation fields tier conditions look at.
pub struct TierContext<'a> {
    pub usage: &'a BTreeMap<String, i64>,
    pub model_parameters: Option<&'a Value>,
    pub metadata: Option<&'a Value>,
}

/// `tiers` in evaluation order, as [`super::definition::ModelDefinition`] keeps them.
pub fn select<'a>(tiers: &'a [PricingTier], context: &TierContext<'_>) -> Option<&'a PricingTier> {
    tiers
        .iter()
        .filter(|tier| !tier.is_default)
        .find(|tier| !tier.conditions.is_empty() && tier.conditions.iter().all(|condition| holds(condition, context)))
        .or_else(|| tiers.iter().find(|tier| tier.is_default))
}

fn holds(condition: &TierCondition, context: &TierContext<'_>) -> bool {
    match condition {
        TierCondition::Usage { regex, operator, value, .. } => {
            let sum: f64 = context.usage.iter().filter(|(key, _)| regex.is_match(key)).map(|(_, count)| *count as f64).sum();
            operator.holds(sum, *value)
        }
        TierCondition::Attribute { source, key, values } => {
            let container = match source {
                AttributeSource::ModelParameters => context.model_parameters,
                AttributeSource::Metadata => context.metadata,
            };
            let Some(value) = container.and_then(|c| lookup(c, key)) else { return false };
            attribute_texts(&value).iter().any(|text| values.iter().any(|wanted| wanted == text))
        }
    }
}

/// A key of a JSON object, also when the object is stored as JSON text.
fn lookup<'a>(container: &'a Value, key: &str) -> Option<std::borrow::Cow<'a, Value>> {
    match container {
        Value::Object(map) => map.get(key).map(std::borrow::Cow::Borrowed),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(mut map)) => map.remove(key).map(std::borrow::Cow::Owned),
            _ => None,
        },
        _ => None,
    }
}

/// The plain texts a value stands for: a string itself and, if it is a JSON-quoted string,
/// its content; numbers and booleans as written; nothing for null, arrays and objects.
fn attribute_texts(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => {
            let mut texts = vec![text.clone()];
            if let Ok(Value::String(inner)) = serde_json::from_str::<Value>(text) {
                texts.push(inner);
            }
            texts
        }
        Value::Number(number) => vec![number.to_string()],
        Value::Bool(flag) => vec![flag.to_string()],
        Value::Null | Value::Array(_) | Value::Object(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::builtin;
    use serde_json::json;

    fn tiers_of(model_name: &str) -> &'static [PricingTier] {
        &builtin::models().iter().find(|m| m.model_name == model_name).unwrap().pricing_tiers
    }

    fn usage(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn tier_name(tiers: &[PricingTier], usage: &BTreeMap<String, i64>, params: Option<&Value>, metadata: Option<&Value>) -> String {
        select(tiers, &TierContext { usage, model_parameters: params, metadata }).unwrap().name.clone()
    }

    #[test]
    fn gemini_large_context_tier_applies_above_the_threshold() {
        let tiers = tiers_of("gemini-2.5-pro");
        let large = tiers.iter().find(|t| !t.is_default).unwrap();
        assert_eq!(large.name, "Large Context");
        let small = usage(&[("input", 150_000), ("input_cached_tokens", 40_000), ("output", 1_000)]);
        assert_eq!(tier_name(tiers, &small, None, None), "Standard");
        // Input-like usage types are summed: 150 000 + 60 000 > 200 000.
        let big = usage(&[("input", 150_000), ("input_cached_tokens", 60_000), ("output", 1_000)]);
        assert_eq!(tier_name(tiers, &big, None, None), "Large Context");
        // Case-insensitive by default: Gemini's own camelCase keys count too.
        let camel = usage(&[("promptTokenCount", 250_000)]);
        assert_eq!(tier_name(tiers, &camel, None, None), "Large Context");
    }

    #[test]
    fn service_tier_attribute_selects_openai_tiers() {
        let tiers = tiers_of("gpt-5");
        let u = usage(&[("input", 10)]);
        assert_eq!(tier_name(tiers, &u, None, None), "Standard");
        assert_eq!(tier_name(tiers, &u, Some(&json!({"service_tier": "flex"})), None), "Flex");
        assert_eq!(tier_name(tiers, &u, Some(&json!({"service_tier": "priority", "temperature": 0.2})), None), "Fast mode");
        assert_eq!(tier_name(tiers, &u, Some(&json!({"service_tier": "default"})), None), "Standard");
        // Stored as JSON text, or JSON-quoted as Python SDK 5 sends it.
        assert_eq!(tier_name(tiers, &u, Some(&json!("{\"service_tier\": \"flex\"}")), None), "Flex");
        assert_eq!(tier_name(tiers, &u, Some(&json!({"service_tier": "\"flex\""})), None), "Flex");
        // The condition reads model parameters, not metadata.
        assert_eq!(tier_name(tiers, &u, None, Some(&json!({"service_tier": "flex"}))), "Standard");
    }

    #[test]
    fn conditions_are_all_required_and_priorities_ordered() {
        let tiers = crate::pricing::definition::parse_tiers(
            &json!([
                {"id": "d", "name": "Default", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}},
                {"id": "b", "name": "Both", "priority": 2, "prices": {"input": 3}, "conditions": [
                    {"usageDetailPattern": "^input$", "operator": "gte", "value": 100, "caseSensitive": true},
                    {"source": "metadata", "key": "plan", "operator": "in", "values": ["pro", "7", "true"]}]},
                {"id": "n", "name": "Numbers", "priority": 1, "prices": {"input": 2}, "conditions": [
                    {"source": "metadata", "key": "plan", "operator": "in", "values": ["7"]}]}
            ]),
            "pricingTiers",
            |_| unreachable!(),
        )
        .unwrap();
        let mut tiers = tiers;
        tiers.sort_by_key(|tier| (tier.is_default, tier.priority));
        let at_100 = usage(&[("input", 100)]);
        let at_99 = usage(&[("input", 99)]);
        let input_upper = usage(&[("INPUT", 500)]);
        assert_eq!(tier_name(&tiers, &at_100, None, Some(&json!({"plan": "pro"}))), "Both");
        assert_eq!(tier_name(&tiers, &at_99, None, Some(&json!({"plan": "pro"}))), "Default");
        assert_eq!(tier_name(&tiers, &input_upper, None, Some(&json!({"plan": "pro"}))), "Default", "case-sensitive pattern");
        // Numbers compare by their text; the lower priority number is tried first.
        assert_eq!(tier_name(&tiers, &at_100, None, Some(&json!({"plan": 7}))), "Numbers");
        assert_eq!(tier_name(&tiers, &at_100, None, Some(&json!({"plan": true}))), "Both");
        assert_eq!(tier_name(&tiers, &at_100, None, Some(&json!({"plan": null}))), "Default");
        assert_eq!(tier_name(&tiers, &at_100, None, Some(&json!({"plan": ["pro"]}))), "Default");
        assert_eq!(tier_name(&tiers, &at_100, None, None), "Default");
    }

    #[test]
    fn comparison_operators() {
        use crate::pricing::definition::Comparison::*;
        for (op, below, at, above) in [
            (Gt, false, false, true),
            (Gte, false, true, true),
            (Lt, true, false, false),
            (Lte, true, true, false),
            (Eq, false, true, false),
            (Neq, true, false, true),
        ] {
            assert_eq!([op.holds(1.0, 2.0), op.holds(2.0, 2.0), op.holds(3.0, 2.0)], [below, at, above], "{op:?}");
        }
    }

    #[test]
    fn no_tiers_no_tier() {
        assert!(select(&[], &TierContext { usage: &usage(&[("input", 1)]), model_parameters: None, metadata: None }).is_none());
    }
}
