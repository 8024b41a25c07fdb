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
use loupe_domain::models::{FieldProblem, PriceProblem};
use regex::{Regex, RegexBuilder};
use serde_json::{json, Map, Value};

use super::tokenizer::ModelTokenizer;
use loupe_domain::models::{MAX_ATTRIBUTE_KEY_CHARS, MAX_TIER_NAME_CHARS};

/// Compiled regexes are capped so that a hostile pattern cannot claim much memory (the regex
/// crate matches in linear time, so there is no backtracking to guard against).
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Deeply nested groups are refused while parsing, before any compilation work.
const REGEX_NEST_LIMIT: u32 = 64;
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
    ) -> Result<Self, FieldProblem> {
        let matcher = compile_match_pattern(&match_pattern).map_err(|problem| FieldProblem::new("matchPattern", problem))?;
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
pub fn compile_match_pattern(pattern: &str) -> Result<Regex, PriceProblem> {
    if pattern.is_empty() {
        return Err(PriceProblem::PatternEmpty);
    }
    if pattern.chars().count() > MAX_MATCH_PATTERN_CHARS {
        return Err(PriceProblem::PatternTooLong(MAX_MATCH_PATTERN_CHARS));
    }
    compile(pattern, true)
}

/// Compiles a pattern within the size and nesting limits; `(?i)` unless `case_sensitive`.
fn compile(pattern: &str, case_sensitive: bool) -> Result<Regex, PriceProblem> {
    RegexBuilder::new(pattern)
        .case_insensitive(!case_sensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| PriceProblem::InvalidRegex(one_line(&e.to_string())))
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
pub fn parse_tiers(value: &Value, path: &str, mut new_id: impl FnMut(usize) -> String) -> Result<Vec<PricingTier>, FieldProblem> {
    let items = value.as_array().ok_or_else(|| FieldProblem::new(path, PriceProblem::TiersNotArray))?;
    items.iter().enumerate().map(|(idx, item)| parse_tier(item, &format!("{path}[{idx}]"), || new_id(idx))).collect()
}

fn parse_tier(value: &Value, path: &str, new_id: impl FnOnce() -> String) -> Result<PricingTier, FieldProblem> {
    let at = |field: &str, problem: PriceProblem| FieldProblem::new(format!("{path}.{field}"), problem);
    let object = value.as_object().ok_or_else(|| FieldProblem::new(path, PriceProblem::NotObject))?;
    let id = match object.get("id") {
        None | Some(Value::Null) => new_id(),
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(_) => return Err(at("id", PriceProblem::IdInvalid)),
    };
    let name = match object.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.trim().chars().count() <= MAX_TIER_NAME_CHARS => name.trim().to_string(),
        _ => return Err(at("name", PriceProblem::TextLength(MAX_TIER_NAME_CHARS))),
    };
    let is_default = match object.get("isDefault") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err(at("isDefault", PriceProblem::NotBoolean)),
    };
    let priority = object
        .get("priority")
        .and_then(Value::as_i64)
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| at("priority", PriceProblem::NotInteger))?;
    let conditions = match object.get("conditions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(idx, item)| parse_condition(item, &format!("{path}.conditions[{idx}]")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(at("conditions", PriceProblem::ConditionsNotArray)),
    };
    let prices_path = format!("{path}.prices");
    let prices = object
        .get("prices")
        .and_then(Value::as_object)
        .ok_or_else(|| FieldProblem::new(&prices_path, PriceProblem::PricesNotObject))?
        .iter()
        .map(|(usage_type, price)| {
            if usage_type.is_empty() {
                return Err(FieldProblem::new(&prices_path, PriceProblem::UsageTypeEmpty));
            }
            match price.as_f64() {
                Some(price) if price.is_finite() && price >= 0.0 => Ok((usage_type.clone(), price)),
                _ => Err(FieldProblem::new(format!("{prices_path}.{usage_type}"), PriceProblem::NotNonNegative)),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(PricingTier { id, name, is_default, priority, conditions, prices })
}

fn parse_condition(value: &Value, path: &str) -> Result<TierCondition, FieldProblem> {
    let at = |field: &str, problem: PriceProblem| FieldProblem::new(format!("{path}.{field}"), problem);
    let object = value.as_object().ok_or_else(|| FieldProblem::new(path, PriceProblem::NotObject))?;
    let operator = object.get("operator").and_then(Value::as_str);
    if let Some(pattern) = object.get("usageDetailPattern") {
        let pattern = pattern
            .as_str()
            .filter(|p| !p.is_empty() && p.chars().count() <= MAX_USAGE_PATTERN_CHARS)
            .ok_or_else(|| at("usageDetailPattern", PriceProblem::TextLength(MAX_USAGE_PATTERN_CHARS)))?;
        let operator = Comparison::ALL
            .into_iter()
            .find(|op| Some(op.as_str()) == operator)
            .ok_or_else(|| at("operator", PriceProblem::UsageOperator))?;
        let value = object
            .get("value")
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| at("value", PriceProblem::NotNonNegative))?;
        let case_sensitive = match object.get("caseSensitive") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => return Err(at("caseSensitive", PriceProblem::NotBoolean)),
        };
        let regex = compile(pattern, case_sensitive).map_err(|problem| at("usageDetailPattern", problem))?;
        return Ok(TierCondition::Usage { pattern: pattern.to_string(), case_sensitive, regex, operator, value });
    }
    if object.contains_key("source") || object.contains_key("key") || object.contains_key("values") {
        let source = match object.get("source").and_then(Value::as_str) {
            Some("model_parameters") => AttributeSource::ModelParameters,
            Some("metadata") => AttributeSource::Metadata,
            _ => return Err(at("source", PriceProblem::AttributeSource)),
        };
        let key = object
            .get("key")
            .and_then(Value::as_str)
            .filter(|key| !key.is_empty() && key.chars().count() <= MAX_ATTRIBUTE_KEY_CHARS)
            .ok_or_else(|| at("key", PriceProblem::TextLength(MAX_ATTRIBUTE_KEY_CHARS)))?;
        if operator != Some("in") {
            return Err(at("operator", PriceProblem::AttributeOperator));
        }
        let values: Vec<String> = object
            .get("values")
            .and_then(Value::as_array)
            .filter(|values| !values.is_empty())
            .and_then(|values| values.iter().map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_string)).collect())
            .ok_or_else(|| at("values", PriceProblem::AttributeValues))?;
        return Ok(TierCondition::Attribute { source, key: key.to_string(), values });
    }
    Err(FieldProblem::new(path, PriceProblem::ConditionShape))
}

/// The rules a model's tiers must satisfy together (Langfuse's `validatePricingTiers`):
/// exactly one default tier, with priority 0 and no conditions; every other tier has at least
/// one condition (otherwise it could never apply); names and priorities are unique; every tier
/// prices at least one usage type. And one Langfuse does not have (issue #22): no tier may be
/// shadowed by one tried before it ([`shadowing`]), since it would never price anything.
pub fn validate_tier_set(tiers: &[PricingTier], path: &str) -> Result<(), FieldProblem> {
    let refuse = |problem: PriceProblem| Err(FieldProblem::new(path, problem));
    if tiers.is_empty() {
        return refuse(PriceProblem::NoTiers);
    }
    let defaults: Vec<&PricingTier> = tiers.iter().filter(|tier| tier.is_default).collect();
    let default = match defaults.as_slice() {
        [default] => *default,
        [] => return refuse(PriceProblem::NoDefaultTier),
        more => return refuse(PriceProblem::DefaultTiers(more.len())),
    };
    if default.priority != 0 {
        return refuse(PriceProblem::DefaultPriority(default.name.clone()));
    }
    if !default.conditions.is_empty() {
        return refuse(PriceProblem::DefaultConditions(default.name.clone()));
    }
    if let Some(tier) = tiers.iter().find(|tier| !tier.is_default && tier.conditions.is_empty()) {
        return refuse(PriceProblem::TierWithoutConditions(tier.name.clone()));
    }
    if let Some(tier) = tiers.iter().find(|tier| !(0..=999).contains(&tier.priority)) {
        return refuse(PriceProblem::PriorityRange(tier.name.clone()));
    }
    let mut priorities = HashSet::new();
    if let Some(tier) = tiers.iter().find(|tier| !priorities.insert(tier.priority)) {
        return refuse(PriceProblem::PriorityTwice(tier.priority));
    }
    let mut names = HashSet::new();
    if let Some(tier) = tiers.iter().find(|tier| !names.insert(tier.name.as_str())) {
        return refuse(PriceProblem::NameTwice(tier.name.clone()));
    }
    if let Some(tier) = tiers.iter().find(|tier| tier.prices.is_empty()) {
        return refuse(PriceProblem::TierWithoutPrice(tier.name.clone()));
    }
    if let Some((tier, by)) = shadowing(tiers) {
        return refuse(PriceProblem::TierShadowed { tier: tier.name.clone(), by: by.name.clone(), priority: by.priority });
    }
    Ok(())
}

/// Overlapping tiers: the first non-default tier (by priority) that can never apply, and the
/// tier tried before it that applies whenever it would. Tiers are tried by ascending priority
/// and the first whose conditions all hold wins, so a later tier `t` is dead when an earlier
/// `s` holds whenever `t` does: every condition of `s` is implied by one of `t`'s. Two tiers
/// with the same conditions are the plainest case. The check is conservative — it only names
/// implications it can be sure of (same usage pattern, nested ranges; same attribute, fewer
/// values), never a tier that could still apply.
pub fn shadowing(tiers: &[PricingTier]) -> Option<(&PricingTier, &PricingTier)> {
    let mut ordered: Vec<&PricingTier> = tiers.iter().filter(|tier| !tier.is_default).collect();
    ordered.sort_by_key(|tier| tier.priority);
    for (at, later) in ordered.iter().enumerate() {
        if later.conditions.is_empty() {
            continue;
        }
        if let Some(earlier) = ordered[..at].iter().find(|earlier| {
            earlier.conditions.iter().all(|needed| later.conditions.iter().any(|given| implies(given, needed)))
        }) {
            return Some((later, earlier));
        }
    }
    None
}

/// Whether `given` holding means `needed` holds.
fn implies(given: &TierCondition, needed: &TierCondition) -> bool {
    match (given, needed) {
        (
            TierCondition::Usage { pattern: p1, case_sensitive: c1, operator: o1, value: v1, .. },
            TierCondition::Usage { pattern: p2, case_sensitive: c2, operator: o2, value: v2, .. },
        ) => p1 == p2 && c1 == c2 && Range::of(*o1, *v1).within(&Range::of(*o2, *v2)),
        (
            TierCondition::Attribute { source: s1, key: k1, values: v1 },
            TierCondition::Attribute { source: s2, key: k2, values: v2 },
        ) => s1 == s2 && k1 == k2 && v1.iter().all(|value| v2.contains(value)),
        _ => false,
    }
}

/// The sums a usage condition accepts: an interval, or every number but one (`neq`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Range {
    /// Bounds as (value, inclusive); `None` = unbounded.
    Interval { low: Option<(f64, bool)>, high: Option<(f64, bool)> },
    AllBut(f64),
}

impl Range {
    fn of(operator: Comparison, value: f64) -> Range {
        let interval = |low, high| Range::Interval { low, high };
        match operator {
            Comparison::Gt => interval(Some((value, false)), None),
            Comparison::Gte => interval(Some((value, true)), None),
            Comparison::Lt => interval(None, Some((value, false))),
            Comparison::Lte => interval(None, Some((value, true))),
            Comparison::Eq => interval(Some((value, true)), Some((value, true))),
            Comparison::Neq => Range::AllBut(value),
        }
    }

    fn contains(&self, x: f64) -> bool {
        match *self {
            Range::AllBut(value) => x != value,
            Range::Interval { low, high } => {
                low.is_none_or(|(v, inclusive)| if inclusive { x >= v } else { x > v })
                    && high.is_none_or(|(v, inclusive)| if inclusive { x <= v } else { x < v })
            }
        }
    }

    /// Whether every number of `self` is in `other`.
    fn within(&self, other: &Range) -> bool {
        match (*self, *other) {
            (_, Range::AllBut(excluded)) => !self.contains(excluded),
            (Range::AllBut(_), Range::Interval { .. }) => false,
            (Range::Interval { low: l1, high: h1 }, Range::Interval { low: l2, high: h2 }) => {
                // Each of `other`'s bounds is met by `self`'s: no lower than it below, no higher above.
                let low_ok = match (l1, l2) {
                    (_, None) => true,
                    (None, Some(_)) => false,
                    (Some((a, ai)), Some((b, bi))) => a > b || (a == b && (bi || !ai)),
                };
                let high_ok = match (h1, h2) {
                    (_, None) => true,
                    (None, Some(_)) => false,
                    (Some((a, ai)), Some((b, bi))) => a < b || (a == b && (bi || !ai)),
                };
                low_ok && high_ok
            }
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers(value: Value) -> Result<Vec<PricingTier>, String> {
        parse_tiers(&value, "pricingTiers", |idx| format!("new-{idx}")).map_err(String::from)
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
            let error = validate_tier_set(&parsed, "pricingTiers").unwrap_err().to_string();
            assert!(error.contains(expected), "{input}: {error}");
        }
    }

    #[test]
    fn match_patterns_are_checked() {
        assert!(compile_match_pattern("(?i)^(openai/)?(gpt-4o)$").unwrap().is_match("OpenAI/GPT-4o"));
        assert_eq!(compile_match_pattern("").unwrap_err(), PriceProblem::PatternEmpty);
        assert!(compile_match_pattern("gpt-(").unwrap_err().to_string().starts_with("is not a valid regular expression"));
        // Look-around is Postgres syntax the regex crate does not have: refused, not mis-read.
        assert!(compile_match_pattern("^gpt(?!-4)").is_err());
        assert_eq!(compile_match_pattern(&"a".repeat(MAX_MATCH_PATTERN_CHARS + 1)).unwrap_err(), PriceProblem::PatternTooLong(MAX_MATCH_PATTERN_CHARS));
        // A pattern that compiles to something huge is refused rather than built.
        assert!(compile_match_pattern("\\w{1000}\\w{1000}").is_err());
    }

    #[test]
    fn deeply_nested_patterns_are_refused_before_compiling() {
        let nested = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert!(matches!(compile_match_pattern(&nested), Err(PriceProblem::InvalidRegex(_))));
        let case_insensitive_huge = "(?i)\\pL{500}";
        assert!(matches!(compile_match_pattern(case_insensitive_huge), Err(PriceProblem::InvalidRegex(_))));
    }

    fn tier_with(name: &str, priority: i64, conditions: Value) -> Value {
        json!({"name": name, "isDefault": false, "priority": priority, "conditions": conditions, "prices": {"input": 1}})
    }

    fn shadowed(extra: Vec<Value>) -> Option<(String, String)> {
        let mut all = vec![json!({"name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}})];
        all.extend(extra);
        let parsed = tiers(Value::Array(all)).unwrap();
        shadowing(&parsed).map(|(tier, by)| (tier.name.clone(), by.name.clone()))
    }

    #[test]
    fn overlapping_tiers_that_can_never_apply_are_named() {
        let usage = |op: &str, value: f64| json!({"usageDetailPattern": "input", "operator": op, "value": value});
        let attr = |values: Value| json!({"source": "model_parameters", "key": "service_tier", "operator": "in", "values": values});
        let named = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        // The same conditions twice: the later one is dead.
        assert_eq!(shadowed(vec![tier_with("A", 1, json!([usage("gt", 200000.0)])), tier_with("B", 2, json!([usage("gt", 200000.0)]))]), named("B", "A"));
        // "Above 100k" tried before "above 200k": the 200k tier never applies.
        assert_eq!(shadowed(vec![tier_with("100k", 1, json!([usage("gt", 100000.0)])), tier_with("200k", 2, json!([usage("gt", 200000.0)]))]), named("200k", "100k"));
        // The other way round both can apply.
        assert_eq!(shadowed(vec![tier_with("200k", 1, json!([usage("gt", 200000.0)])), tier_with("100k", 2, json!([usage("gt", 100000.0)]))]), None);
        // Bounds: > 10 does not cover >= 10; >= 10 covers > 10 and = 10.
        assert_eq!(shadowed(vec![tier_with("gt", 1, json!([usage("gt", 10.0)])), tier_with("gte", 2, json!([usage("gte", 10.0)]))]), None);
        assert_eq!(shadowed(vec![tier_with("gte", 1, json!([usage("gte", 10.0)])), tier_with("gt", 2, json!([usage("gt", 10.0)]))]), named("gt", "gte"));
        assert_eq!(shadowed(vec![tier_with("gte", 1, json!([usage("gte", 10.0)])), tier_with("eq", 2, json!([usage("eq", 10.0)]))]), named("eq", "gte"));
        assert_eq!(shadowed(vec![tier_with("lt", 1, json!([usage("lt", 10.0)])), tier_with("lte", 2, json!([usage("lte", 5.0)]))]), named("lte", "lt"));
        assert_eq!(shadowed(vec![tier_with("neq", 1, json!([usage("neq", 3.0)])), tier_with("gt", 2, json!([usage("gt", 3.0)]))]), named("gt", "neq"));
        assert_eq!(shadowed(vec![tier_with("neq", 1, json!([usage("neq", 3.0)])), tier_with("gte", 2, json!([usage("gte", 3.0)]))]), None);
        assert_eq!(shadowed(vec![tier_with("lt", 1, json!([usage("lt", 10.0)])), tier_with("neq", 2, json!([usage("neq", 1.0)]))]), None);
        // A different pattern is a different sum: never assumed to overlap.
        let other = json!([{"usageDetailPattern": "(input|prompt)", "operator": "gt", "value": 1}]);
        assert_eq!(shadowed(vec![tier_with("A", 1, json!([usage("gt", 0.0)])), tier_with("B", 2, other)]), None);
        // Attribute values: a subset is covered, a superset is not.
        assert_eq!(shadowed(vec![tier_with("fast", 1, json!([attr(json!(["fast", "priority"]))])), tier_with("priority", 2, json!([attr(json!(["priority"]))]))]), named("priority", "fast"));
        assert_eq!(shadowed(vec![tier_with("priority", 1, json!([attr(json!(["priority"]))])), tier_with("fast", 2, json!([attr(json!(["fast", "priority"]))]))]), None);
        // More conditions on the later tier narrow it further: still dead. Fewer: alive.
        assert_eq!(
            shadowed(vec![tier_with("big", 1, json!([usage("gt", 100.0)])), tier_with("big flex", 2, json!([usage("gt", 100.0), attr(json!(["flex"]))]))]),
            named("big flex", "big")
        );
        assert_eq!(
            shadowed(vec![tier_with("big flex", 1, json!([usage("gt", 100.0), attr(json!(["flex"]))])), tier_with("big", 2, json!([usage("gt", 100.0)]))]),
            None
        );
        // The public check names the tier and the one that covers it.
        let parsed = tiers(json!([
            {"name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}},
            tier_with("A", 1, json!([usage("gt", 200000.0)])),
            tier_with("B", 2, json!([usage("gt", 200000.0)])),
        ]))
        .unwrap();
        let problem = validate_tier_set(&parsed, "pricingTiers").unwrap_err();
        assert_eq!(problem.problem, PriceProblem::TierShadowed { tier: "B".into(), by: "A".into(), priority: 1 });
        assert_eq!(problem.to_string(), "pricingTiers: pricing tier \"B\" can never apply: tier \"A\" (priority 1) is tried first and applies whenever it does");
    }
}
