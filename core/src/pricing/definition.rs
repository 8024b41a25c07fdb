//! A model definition: which model names it covers (a regex), what each usage type costs
//! (pricing tiers, each possibly with conditions) and how to count tokens when an observation
//! reports none.
//!
//! Definitions come from three places — the built-in table, project rows in Postgres, and
//! `POST /api/public/models` — and all of them use Langfuse's JSON shape for tiers. So there is
//! one reader ([`parse_tiers`]) that checks every field and compiles every regex, with errors
//! that name the field (`pricingTiers[1].conditions[0].operator`), and one writer
//! ([`PricingTier::to_json`]). Compiled definitions are immutable and shared behind `Arc`s.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use regex::{Regex, RegexBuilder};
use serde_json::{json, Map, Value};

use super::tokenizer::ModelTokenizer;

/// Compiled regexes are capped so that a hostile pattern cannot claim much memory (the regex
/// crate matches in linear time, so there is no backtracking to guard against).
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Longest accepted `matchPattern` / `usageDetailPattern` (Langfuse caps the latter at 200).
pub const MAX_MATCH_PATTERN_CHARS: usize = 1_000;
pub const MAX_USAGE_PATTERN_CHARS: usize = 200;

/// A model definition ready for matching and pricing.
#[derive(Debug, Clone)]
pub struct ModelDefinition {
    pub id: String,
    /// `None` for Langfuse-managed (built-in) models.
    pub project_id: Option<String>,
    pub model_name: String,
    pub match_pattern: String,
    /// The definition applies from this instant on; `None` = always.
    pub start_date: Option<DateTime<Utc>>,
    pub unit: Option<String>,
    pub tokenizer_id: Option<String>,
    pub tokenizer_config: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Non-default tiers by ascending priority, then the default tier.
    pub pricing_tiers: Vec<PricingTier>,
    pub(super) matcher: Regex,
    pub(super) tokenizer: Option<ModelTokenizer>,
}

impl ModelDefinition {
    /// Compiles the pattern and resolves the tokenizer. `tiers` come from [`parse_tiers`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        project_id: Option<String>,
        model_name: String,
        match_pattern: String,
        start_date: Option<DateTime<Utc>>,
        unit: Option<String>,
        tokenizer_id: Option<String>,
        tokenizer_config: Option<Value>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        mut pricing_tiers: Vec<PricingTier>,
    ) -> Result<Self, String> {
        let matcher = compile_match_pattern(&match_pattern).map_err(|e| format!("matchPattern: {e}"))?;
        let tokenizer = ModelTokenizer::resolve(tokenizer_id.as_deref(), tokenizer_config.as_ref());
        // Evaluation order: conditional tiers by priority, the default last.
        pricing_tiers.sort_by_key(|tier| (tier.is_default, tier.priority));
        Ok(ModelDefinition {
            id,
            project_id,
            model_name,
            match_pattern,
            start_date,
            unit,
            tokenizer_id,
            tokenizer_config,
            created_at,
            updated_at,
            pricing_tiers,
            matcher,
            tokenizer,
        })
    }

    /// Whether the model name matches, with the pattern's own anchoring (like Postgres `~`).
    pub fn matches(&self, model: &str) -> bool {
        self.matcher.is_match(model)
    }

    pub fn is_langfuse_managed(&self) -> bool {
        self.project_id.is_none()
    }

    pub fn default_tier(&self) -> Option<&PricingTier> {
        self.pricing_tiers.iter().find(|tier| tier.is_default)
    }

    /// The Model JSON of the public API (docs/COMPATIBILITY.md §7.3). The flat `inputPrice`,
    /// `outputPrice`, `totalPrice` and `prices` are read from the default tier, as Langfuse does
    /// for backward compatibility.
    pub fn to_api_json(&self) -> Value {
        let default_prices = self.default_tier().map(|tier| &tier.prices);
        let flat = |usage_type: &str| default_prices.and_then(|prices| prices.get(usage_type)).copied();
        let prices: Map<String, Value> =
            default_prices.into_iter().flatten().map(|(usage_type, price)| (usage_type.clone(), json!({ "price": price }))).collect();
        // Listed in the API the way they were defined: by priority, default (priority 0) first.
        let mut tiers: Vec<&PricingTier> = self.pricing_tiers.iter().collect();
        tiers.sort_by_key(|tier| (tier.priority, !tier.is_default));
        json!({
            "id": self.id,
            "modelName": self.model_name,
            "matchPattern": self.match_pattern,
            "startDate": self.start_date,
            "unit": self.unit,
            "inputPrice": flat("input"),
            "outputPrice": flat("output"),
            "totalPrice": flat("total"),
            "tokenizerId": self.tokenizer_id,
            "tokenizerConfig": self.tokenizer_config,
            "isLangfuseManaged": self.is_langfuse_managed(),
            "createdAt": self.created_at,
            "prices": prices,
            "pricingTiers": tiers.iter().map(|tier| tier.to_json()).collect::<Vec<_>>(),
        })
    }
}

/// Compiles a `matchPattern` with the regex crate. Langfuse's patterns use only syntax both
/// Postgres and the regex crate understand (`(?i)`, groups, classes, alternation).
pub fn compile_match_pattern(pattern: &str) -> Result<Regex, String> {
    if pattern.is_empty() {
        return Err("must not be empty".to_string());
    }
    if pattern.chars().count() > MAX_MATCH_PATTERN_CHARS {
        return Err(format!("must be at most {MAX_MATCH_PATTERN_CHARS} characters"));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("is not a valid regular expression: {}", one_line(&e.to_string())))
}

/// One way of pricing a model: the prices of each usage type, and when they apply.
#[derive(Debug, Clone)]
pub struct PricingTier {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub priority: i32,
    /// All must hold for the tier to apply. Empty for the default tier.
    pub conditions: Vec<TierCondition>,
    /// USD per unit, keyed by usage type (`input`, `output`, `input_cached_tokens`, ...).
    pub prices: BTreeMap<String, f64>,
}

impl PricingTier {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "isDefault": self.is_default,
            "priority": self.priority,
            "conditions": self.conditions.iter().map(TierCondition::to_json).collect::<Vec<_>>(),
            "prices": self.prices,
        })
    }
}

#[derive(Debug, Clone)]
pub enum TierCondition {
    /// The sum of the usage types whose name matches `pattern`, compared with `value`
    /// (e.g. Gemini's "Large Context": input-like usage above 200 000 tokens).
    Usage { pattern: String, case_sensitive: bool, regex: Regex, operator: Comparison, value: f64 },
    /// A model parameter or metadata value, read as a string, is one of `values`
    /// (e.g. OpenAI's `service_tier` in `["flex"]`).
    Attribute { source: AttributeSource, key: String, values: Vec<String> },
}

impl TierCondition {
    pub fn to_json(&self) -> Value {
        match self {
            TierCondition::Usage { pattern, case_sensitive, operator, value, .. } => json!({
                "usageDetailPattern": pattern,
                "operator": operator.as_str(),
                "value": value,
                "caseSensitive": case_sensitive,
            }),
            TierCondition::Attribute { source, key, values } => json!({
                "source": source.as_str(),
                "key": key,
                "operator": "in",
                "values": values,
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl Comparison {
    const ALL: [Comparison; 6] = [Comparison::Gt, Comparison::Gte, Comparison::Lt, Comparison::Lte, Comparison::Eq, Comparison::Neq];

    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Gt => "gt",
            Comparison::Gte => "gte",
            Comparison::Lt => "lt",
            Comparison::Lte => "lte",
            Comparison::Eq => "eq",
            Comparison::Neq => "neq",
        }
    }

    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Comparison::Gt => left > right,
            Comparison::Gte => left >= right,
            Comparison::Lt => left < right,
            Comparison::Lte => left <= right,
            Comparison::Eq => left == right,
            Comparison::Neq => left != right,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeSource {
    ModelParameters,
    Metadata,
}

impl AttributeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeSource::ModelParameters => "model_parameters",
            AttributeSource::Metadata => "metadata",
        }
    }
}

/// Reads a `pricingTiers` array. `path` names it in errors (`pricingTiers`). Tiers without an
/// `id` get one from `new_id` (API input); stored and built-in tiers always carry theirs.
pub fn parse_tiers(value: &Value, path: &str, mut new_id: impl FnMut(usize) -> String) -> Result<Vec<PricingTier>, String> {
    let items = value.as_array().ok_or_else(|| format!("{path}: must be an array of pricing tiers"))?;
    items.iter().enumerate().map(|(idx, item)| parse_tier(item, &format!("{path}[{idx}]"), || new_id(idx))).collect()
}

fn parse_tier(value: &Value, path: &str, new_id: impl FnOnce() -> String) -> Result<PricingTier, String> {
    let object = value.as_object().ok_or_else(|| format!("{path}: must be an object"))?;
    let id = match object.get("id") {
        None | Some(Value::Null) => new_id(),
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(_) => return Err(format!("{path}.id: must be a non-empty string")),
    };
    let name = match object.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.trim().chars().count() <= 100 => name.trim().to_string(),
        _ => return Err(format!("{path}.name: must be a non-empty string of at most 100 characters")),
    };
    let is_default = match object.get("isDefault") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err(format!("{path}.isDefault: must be true or false")),
    };
    let priority = object
        .get("priority")
        .and_then(Value::as_i64)
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| format!("{path}.priority: must be an integer"))?;
    let conditions = match object.get("conditions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(idx, item)| parse_condition(item, &format!("{path}.conditions[{idx}]")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(format!("{path}.conditions: must be an array")),
    };
    let prices_path = format!("{path}.prices");
    let prices = object
        .get("prices")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{prices_path}: must be an object of usage type to price"))?
        .iter()
        .map(|(usage_type, price)| {
            if usage_type.is_empty() {
                return Err(format!("{prices_path}: usage types must be non-empty"));
            }
            match price.as_f64() {
                Some(price) if price.is_finite() && price >= 0.0 => Ok((usage_type.clone(), price)),
                _ => Err(format!("{prices_path}.{usage_type}: must be a non-negative number")),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(PricingTier { id, name, is_default, priority, conditions, prices })
}

fn parse_condition(value: &Value, path: &str) -> Result<TierCondition, String> {
    let object = value.as_object().ok_or_else(|| format!("{path}: must be an object"))?;
    let operator = object.get("operator").and_then(Value::as_str);
    if let Some(pattern) = object.get("usageDetailPattern") {
        let pattern = pattern.as_str().filter(|p| !p.is_empty() && p.chars().count() <= MAX_USAGE_PATTERN_CHARS).ok_or_else(|| {
            format!("{path}.usageDetailPattern: must be a non-empty string of at most {MAX_USAGE_PATTERN_CHARS} characters")
        })?;
        let operator = Comparison::ALL
            .into_iter()
            .find(|op| Some(op.as_str()) == operator)
            .ok_or_else(|| format!("{path}.operator: must be one of gt, gte, lt, lte, eq, neq for a usage condition"))?;
        let value = object
            .get("value")
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("{path}.value: must be a non-negative number"))?;
        let case_sensitive = match object.get("caseSensitive") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => return Err(format!("{path}.caseSensitive: must be true or false")),
        };
        let regex = RegexBuilder::new(pattern)
            .case_insensitive(!case_sensitive)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| format!("{path}.usageDetailPattern: is not a valid regular expression: {}", one_line(&e.to_string())))?;
        return Ok(TierCondition::Usage { pattern: pattern.to_string(), case_sensitive, regex, operator, value });
    }
    if object.contains_key("source") || object.contains_key("key") || object.contains_key("values") {
        let source = match object.get("source").and_then(Value::as_str) {
            Some("model_parameters") => AttributeSource::ModelParameters,
            Some("metadata") => AttributeSource::Metadata,
            _ => return Err(format!("{path}.source: must be \"model_parameters\" or \"metadata\"")),
        };
        let key = object
            .get("key")
            .and_then(Value::as_str)
            .filter(|key| !key.is_empty() && key.chars().count() <= 200)
            .ok_or_else(|| format!("{path}.key: must be a non-empty string of at most 200 characters"))?;
        if operator != Some("in") {
            return Err(format!("{path}.operator: must be \"in\" for an attribute condition"));
        }
        let values: Vec<String> = object
            .get("values")
            .and_then(Value::as_array)
            .filter(|values| !values.is_empty())
            .and_then(|values| values.iter().map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_string)).collect())
            .ok_or_else(|| format!("{path}.values: must be a non-empty array of non-empty strings"))?;
        return Ok(TierCondition::Attribute { source, key: key.to_string(), values });
    }
    Err(format!(
        "{path}: must be a usage condition {{usageDetailPattern, operator, value, caseSensitive}} \
         or an attribute condition {{source, key, operator: \"in\", values}}"
    ))
}

/// The rules a model's tiers must satisfy together (Langfuse's `validatePricingTiers`):
/// exactly one default tier, with priority 0 and no conditions; every other tier has at least
/// one condition (otherwise it could never apply); names and priorities are unique; every tier
/// prices at least one usage type.
pub fn validate_tier_set(tiers: &[PricingTier], path: &str) -> Result<(), String> {
    if tiers.is_empty() {
        return Err(format!("{path}: at least one pricing tier is required"));
    }
    let defaults: Vec<&PricingTier> = tiers.iter().filter(|tier| tier.is_default).collect();
    let default = match defaults.as_slice() {
        [default] => *default,
        [] => return Err(format!("{path}: exactly one pricing tier must have isDefault: true, found none")),
        more => return Err(format!("{path}: exactly one pricing tier must have isDefault: true, found {}", more.len())),
    };
    if default.priority != 0 {
        return Err(format!("{path}: the default pricing tier \"{}\" must have priority 0", default.name));
    }
    if !default.conditions.is_empty() {
        return Err(format!("{path}: the default pricing tier \"{}\" must have an empty conditions array", default.name));
    }
    if let Some(tier) = tiers.iter().find(|tier| !tier.is_default && tier.conditions.is_empty()) {
        return Err(format!("{path}: the non-default pricing tier \"{}\" must have at least one condition", tier.name));
    }
    if let Some(tier) = tiers.iter().find(|tier| !(0..=999).contains(&tier.priority)) {
        return Err(format!("{path}: the priority of pricing tier \"{}\" must be between 0 and 999", tier.name));
    }
    let mut priorities = HashSet::new();
    if let Some(tier) = tiers.iter().find(|tier| !priorities.insert(tier.priority)) {
        return Err(format!("{path}: pricing tier priorities must be unique, {} is used twice", tier.priority));
    }
    let mut names = HashSet::new();
    if let Some(tier) = tiers.iter().find(|tier| !names.insert(tier.name.as_str())) {
        return Err(format!("{path}: pricing tier names must be unique, \"{}\" is used twice", tier.name));
    }
    if let Some(tier) = tiers.iter().find(|tier| tier.prices.is_empty()) {
        return Err(format!("{path}: pricing tier \"{}\" must have at least one price", tier.name));
    }
    Ok(())
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers(value: Value) -> Result<Vec<PricingTier>, String> {
        parse_tiers(&value, "pricingTiers", |idx| format!("new-{idx}"))
    }

    #[test]
    fn tiers_round_trip_through_json() {
        let input = json!([
            {"id": "t0", "name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1e-6, "output": 2e-6}},
            {"name": "Large", "isDefault": false, "priority": 1,
             "conditions": [{"usageDetailPattern": "(input|prompt)", "operator": "gt", "value": 200000, "caseSensitive": false}],
             "prices": {"input": 2e-6, "output": 4e-6}},
            {"name": "Flex", "priority": 2,
             "conditions": [{"source": "model_parameters", "key": "service_tier", "operator": "in", "values": ["flex"]}],
             "prices": {"input": 5e-7, "output": 1e-6}}
        ]);
        let parsed = tiers(input).unwrap();
        validate_tier_set(&parsed, "pricingTiers").unwrap();
        assert_eq!(parsed[1].id, "new-1");
        let written: Vec<Value> = parsed.iter().map(PricingTier::to_json).collect();
        assert_eq!(
            written[1]["conditions"][0],
            json!({"usageDetailPattern": "(input|prompt)", "operator": "gt", "value": 200000.0, "caseSensitive": false})
        );
        assert_eq!(
            written[2]["conditions"][0],
            json!({"source": "model_parameters", "key": "service_tier", "operator": "in", "values": ["flex"]})
        );
        assert_eq!(written[2]["isDefault"], json!(false));
        let again = tiers(Value::Array(written.clone())).unwrap();
        assert_eq!(again.iter().map(PricingTier::to_json).collect::<Vec<_>>(), written);
    }

    #[test]
    fn tier_errors_name_the_field() {
        let cases = [
            (json!({}), "pricingTiers: must be an array"),
            (json!([1]), "pricingTiers[0]: must be an object"),
            (json!([{"name": "", "priority": 0, "prices": {}}]), "pricingTiers[0].name"),
            (json!([{"name": "a", "priority": 0.5, "prices": {}}]), "pricingTiers[0].priority: must be an integer"),
            (json!([{"name": "a", "priority": 0, "prices": {"input": -1}}]), "pricingTiers[0].prices.input: must be a non-negative number"),
            (json!([{"name": "a", "priority": 0, "prices": {"input": "1"}}]), "pricingTiers[0].prices.input"),
            (json!([{"name": "a", "priority": 0, "prices": []}]), "pricingTiers[0].prices: must be an object"),
            (
                json!([{"name": "a", "priority": 1, "prices": {"x": 1}, "conditions": [{"usageDetailPattern": "(", "operator": "gt", "value": 1}]}]),
                "pricingTiers[0].conditions[0].usageDetailPattern: is not a valid regular expression",
            ),
            (
                json!([{"name": "a", "priority": 1, "prices": {"x": 1}, "conditions": [{"usageDetailPattern": "x", "operator": "in", "value": 1}]}]),
                "pricingTiers[0].conditions[0].operator: must be one of gt, gte, lt, lte, eq, neq",
            ),
            (
                json!([{"name": "a", "priority": 1, "prices": {"x": 1}, "conditions": [{"source": "headers", "key": "k", "operator": "in", "values": ["v"]}]}]),
                "pricingTiers[0].conditions[0].source",
            ),
            (
                json!([{"name": "a", "priority": 1, "prices": {"x": 1}, "conditions": [{"source": "metadata", "key": "k", "operator": "in", "values": []}]}]),
                "pricingTiers[0].conditions[0].values",
            ),
            (
                json!([{"name": "a", "priority": 1, "prices": {"x": 1}, "conditions": [{"source": "metadata", "key": "k", "operator": "eq", "values": ["v"]}]}]),
                "pricingTiers[0].conditions[0].operator: must be \"in\"",
            ),
            (
                json!([{"name": "a", "priority": 1, "prices": {"x": 1}, "conditions": [{"foo": 1}]}]),
                "pricingTiers[0].conditions[0]: must be a usage condition",
            ),
        ];
        for (input, expected) in cases {
            let error = tiers(input.clone()).unwrap_err();
            assert!(error.starts_with(expected), "{input}: {error}");
        }
    }

    #[test]
    fn tier_set_rules() {
        let tier = |name: &str, is_default: bool, priority: i64, conditions: Value, prices: Value| json!({"name": name, "isDefault": is_default, "priority": priority, "conditions": conditions, "prices": prices});
        let cond = json!([{"source": "metadata", "key": "k", "operator": "in", "values": ["v"]}]);
        let price = json!({"input": 1});
        let cases = [
            (json!([]), "at least one pricing tier is required"),
            (json!([tier("a", false, 1, cond.clone(), price.clone())]), "exactly one pricing tier must have isDefault: true, found none"),
            (json!([tier("a", true, 0, json!([]), price.clone()), tier("b", true, 1, json!([]), price.clone())]), "found 2"),
            (json!([tier("a", true, 1, json!([]), price.clone())]), "must have priority 0"),
            (json!([tier("a", true, 0, cond.clone(), price.clone())]), "must have an empty conditions array"),
            (
                json!([tier("a", true, 0, json!([]), price.clone()), tier("b", false, 1, json!([]), price.clone())]),
                "\"b\" must have at least one condition",
            ),
            (
                json!([tier("a", true, 0, json!([]), price.clone()), tier("b", false, 0, cond.clone(), price.clone())]),
                "priorities must be unique",
            ),
            (
                json!([tier("a", true, 0, json!([]), price.clone()), tier("a", false, 1, cond.clone(), price.clone())]),
                "names must be unique",
            ),
            (json!([tier("a", true, 0, json!([]), json!({}))]), "\"a\" must have at least one price"),
            (
                json!([tier("a", true, 0, json!([]), price.clone()), tier("b", false, 1000, cond.clone(), price.clone())]),
                "between 0 and 999",
            ),
        ];
        for (input, expected) in cases {
            let parsed = tiers(input.clone()).unwrap();
            let error = validate_tier_set(&parsed, "pricingTiers").unwrap_err();
            assert!(error.contains(expected), "{input}: {error}");
        }
    }

    #[test]
    fn match_patterns_are_checked() {
        assert!(compile_match_pattern("(?i)^(openai/)?(gpt-4o)$").unwrap().is_match("OpenAI/GPT-4o"));
        assert!(compile_match_pattern("").unwrap_err().contains("must not be empty"));
        assert!(compile_match_pattern("gpt-(").unwrap_err().starts_with("is not a valid regular expression"));
        // Look-around is Postgres syntax the regex crate does not have: refused, not mis-read.
        assert!(compile_match_pattern("^gpt(?!-4)").is_err());
        assert!(compile_match_pattern(&"a".repeat(MAX_MATCH_PATTERN_CHARS + 1)).unwrap_err().contains("at most"));
        // A pattern that compiles to something huge is refused rather than built.
        assert!(compile_match_pattern("\\w{1000}\\w{1000}").is_err());
    }
}
