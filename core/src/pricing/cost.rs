//! Cost of one observation (Langfuse's `calculateUsageCosts`, docs/COMPATIBILITY.md §8.3).
//!
//! - Provided costs are authoritative: nothing is computed. The total is the provided `total`,
//!   else `input + output` when those are the only provided entries; it is added to the details.
//! - Otherwise every usage type with a price under the **same** key costs `price × units`; usage
//!   types without a price cost nothing. A `total` entry (usage `total` × a `total` price, as
//!   for models priced per total token) is the total; otherwise the total is the sum.
//!
//! Arithmetic is decimal (`rust_decimal`), as in Langfuse: prices are short decimal fractions
//! (`1.5e-7`), and `10 × 1.5e-7` should be `1.5e-6`, not `1.5000000000000002e-6`. Values are
//! converted back to `f64` for storage.

use std::collections::BTreeMap;

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Cost {
    /// USD per usage type, including `total` when one is known.
    pub details: BTreeMap<String, f64>,
    pub total: Option<f64>,
}

/// The cost as provided by the SDK (`costDetails`, `usage.*Cost`, `gen_ai.usage.cost`).
pub fn provided(cost: &BTreeMap<String, f64>) -> Cost {
    let mut details: BTreeMap<String, f64> = cost.iter().filter(|(_, v)| v.is_finite()).map(|(k, v)| (k.clone(), *v)).collect();
    let total = details.get("total").copied().or_else(|| {
        let only_input_output = details.keys().all(|key| key == "input" || key == "output");
        only_input_output.then(|| sum(details.values().copied()))
    });
    if let Some(total) = total {
        details.entry("total".to_string()).or_insert(total);
    }
    Cost { details, total }
}

/// The cost of `usage` at `prices` (USD per unit, keyed by usage type).
pub fn computed(prices: &BTreeMap<String, f64>, usage: &BTreeMap<String, i64>) -> Cost {
    let mut entries: BTreeMap<String, Decimal> = BTreeMap::new();
    for (usage_type, units) in usage {
        let Some(price) = prices.get(usage_type) else { continue };
        match Decimal::from_f64(*price).and_then(|price| price.checked_mul(Decimal::from(*units))) {
            Some(cost) => {
                entries.insert(usage_type.clone(), cost);
            }
            None => tracing::warn!(usage_type, units, price, "cost out of range; left out"),
        }
    }
    if entries.is_empty() {
        return Cost::default();
    }
    let total = match entries.get("total") {
        Some(total) => *total,
        None => {
            let total = entries.values().try_fold(Decimal::ZERO, |acc, cost| acc.checked_add(*cost)).unwrap_or(Decimal::MAX);
            entries.insert("total".to_string(), total);
            total
        }
    };
    Cost { details: entries.iter().filter_map(|(k, v)| Some((k.clone(), v.to_f64()?))).collect(), total: total.to_f64() }
}

/// Sum of dollar amounts, decimal where they convert (always, for finite values).
fn sum(values: impl Iterator<Item = f64>) -> f64 {
    let mut decimal = Some(Decimal::ZERO);
    let mut float = 0.0;
    for value in values {
        float += value;
        decimal = decimal.and_then(|acc| Decimal::from_f64(value).and_then(|v| acc.checked_add(v)));
    }
    decimal.and_then(|d| d.to_f64()).unwrap_or(float)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn map<T: serde::de::DeserializeOwned>(value: Value) -> BTreeMap<String, T> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn gpt_4o_mini_worked_example() {
        // docs/COMPATIBILITY.md §8.3: default tier of gpt-4o-mini.
        let prices = map(
            json!({"input": 1.5e-07, "output": 6e-07, "input_cached_tokens": 7.5e-08, "input_cache_read": 7.5e-08, "cache_read_input_tokens": 7.5e-08}),
        );
        let usage = map(json!({"input": 10, "input_cached_tokens": 2, "output": 6, "output_reasoning_tokens": 1, "total": 19}));
        let cost = computed(&prices, &usage);
        assert_eq!(cost.details, map(json!({"input": 1.5e-6, "input_cached_tokens": 1.5e-7, "output": 3.6e-6, "total": 5.25e-6})));
        assert_eq!(cost.total, Some(5.25e-6));
    }

    #[test]
    fn a_total_price_prices_the_total() {
        // text-embedding-ada-002: `{"total": 1e-07}`.
        let cost = computed(&map(json!({"total": 1e-7})), &map(json!({"input": 5, "total": 5})));
        assert_eq!(cost, Cost { details: map(json!({"total": 5e-7})), total: Some(5e-7) });
        // A total entry is the total even when other entries are priced too.
        let cost = computed(&map(json!({"input": 1.0, "total": 0.5})), &map(json!({"input": 3, "total": 4})));
        assert_eq!(cost.total, Some(2.0));
        assert_eq!(cost.details["input"], 3.0);
    }

    #[test]
    fn nothing_priced_nothing_computed() {
        assert_eq!(computed(&map(json!({"input": 1.0})), &map(json!({"output": 3}))), Cost::default());
        assert_eq!(computed(&BTreeMap::new(), &map(json!({"input": 3}))), Cost::default());
        assert_eq!(computed(&map(json!({"input": 1.0})), &BTreeMap::new()), Cost::default());
        // Zero units still cost zero, which is a cost.
        assert_eq!(computed(&map(json!({"input": 1.0})), &map(json!({"input": 0}))).total, Some(0.0));
    }

    #[test]
    fn provided_costs_win_with_a_total() {
        // Python 5 decorator: `cost_details {"input": 0.0001, "output": 0.0002}`.
        let cost = provided(&map(json!({"input": 0.0001, "output": 0.0002})));
        assert_eq!(cost.total, Some(0.0003));
        assert_eq!(cost.details, map(json!({"input": 0.0001, "output": 0.0002, "total": 0.0003})));
        // An explicit total is kept as given.
        let cost = provided(&map(json!({"input": 1.0, "total": 5.0})));
        assert_eq!(cost, Cost { details: map(json!({"input": 1.0, "total": 5.0})), total: Some(5.0) });
        // Other entries without a total: no total can be told.
        let cost = provided(&map(json!({"input": 1.0, "input_cached_tokens": 0.5})));
        assert_eq!(cost, Cost { details: map(json!({"input": 1.0, "input_cached_tokens": 0.5})), total: None });
        assert_eq!(provided(&map(json!({"output": 2.0}))).total, Some(2.0));
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let cost = computed(&map(json!({"input": 1e300, "output": 1e-300})), &map(json!({"input": i64::MAX, "output": i64::MAX})));
        assert!(cost.total.is_some_and(f64::is_finite));
        assert!(provided(&map(json!({"input": 1e308, "output": 1e308}))).total.is_some());
    }
}
