//! Model prices as the models page shows and edits them (#22, `/project/{id}/settings/models`),
//! and the typed problems of a price definition shared by the public API and the page.
//!
//! - [`PriceProblem`] / [`FieldProblem`]: every rule a model definition can break, with the field
//!   it is about as a JSON path of Langfuse's model body (`matchPattern`,
//!   `pricingTiers[1].conditions[0].value`). `loupe_core::pricing` checks definitions and
//!   returns these; their `Display` is the public API's English message (docs/COMPATIBILITY.md
//!   §7.3), the page words them per language.
//! - [`ModelRow`]: one definition in the table (built-in or the project's).
//! - [`ModelForm`]: the form as text; [`ModelForm::to_body`] turns it into the model JSON the
//!   server checks with the same code as `POST /api/public/models`, refusing first what only text
//!   can get wrong (a price that is not a number).
//! - [`MatchProbe`] / [`MatchResult`]: the "Test match" box.
//! - [`UsageReport`]: cost and tokens per model and pricing tier over a time range, and the
//!   generations no price covered.
//! - [`Recalculation`]: a cost recalculation of a time range and its progress.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The units a model's usage can be counted in (Langfuse's `ModelUsageUnit`).
pub const UNITS: [&str; 6] = ["TOKENS", "CHARACTERS", "MILLISECONDS", "SECONDS", "REQUESTS", "IMAGES"];
/// The tokenizers that count usage when a generation reports none.
pub const TOKENIZERS: [&str; 2] = ["openai", "claude"];
/// Comparison operators of a usage condition.
pub const OPERATORS: [&str; 6] = ["gt", "gte", "lt", "lte", "eq", "neq"];
/// Where an attribute condition looks.
pub const ATTRIBUTE_SOURCES: [&str; 2] = ["model_parameters", "metadata"];
/// Longest model name, tier name and attribute key.
pub const MAX_MODEL_NAME_CHARS: usize = 255;
pub const MAX_TIER_NAME_CHARS: usize = 100;
pub const MAX_ATTRIBUTE_KEY_CHARS: usize = 200;

/// One rule of a model definition, broken. `Display` is the English of the public API (which
/// prefixes the field); the models page words each kind in the person's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum PriceProblem {
    #[error("the body must be a JSON object")]
    BodyNotObject,
    #[error("is required")]
    Required,
    #[error("must be a string")]
    NotString,
    /// A name or key: non-empty, at most this many characters.
    #[error("must be a non-empty string of at most {0} characters")]
    TextLength(usize),
    #[error("must be a string (a regular expression)")]
    PatternNotString,
    #[error("must not be empty")]
    PatternEmpty,
    #[error("must be at most {0} characters")]
    PatternTooLong(usize),
    /// The regex crate's reason, on one line. A pattern too large to compile (the regex crate
    /// matches in linear time, so "too slow" means "too large") says so here too.
    #[error("is not a valid regular expression: {0}")]
    InvalidRegex(String),
    #[error("must be an ISO 8601 date or date-time string")]
    DateNotString,
    #[error("{0:?} is not an ISO 8601 date (2025-01-31) or date-time (2025-01-31T00:00:00Z)")]
    DateInvalid(String),
    #[error("must be one of TOKENS, CHARACTERS, MILLISECONDS, SECONDS, REQUESTS, IMAGES")]
    UnitUnknown,
    #[error("must be \"openai\" or \"claude\"")]
    TokenizerUnknown,
    #[error("must be a JSON object")]
    TokenizerConfigNotObject,
    #[error("must be a non-negative number")]
    NotNonNegative,
    #[error("must be null when inputPrice or outputPrice is set")]
    TotalWithInputOutput,
    #[error("provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers, not both")]
    FlatAndTiers,
    #[error("provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers")]
    NoPrices,
    #[error("must be an array of pricing tiers")]
    TiersNotArray,
    #[error("must be an object")]
    NotObject,
    #[error("must be a non-empty string")]
    IdInvalid,
    #[error("must be true or false")]
    NotBoolean,
    #[error("must be an integer")]
    NotInteger,
    #[error("must be an array")]
    ConditionsNotArray,
    #[error("must be an object of usage type to price")]
    PricesNotObject,
    #[error("usage types must be non-empty")]
    UsageTypeEmpty,
    #[error("must be one of gt, gte, lt, lte, eq, neq for a usage condition")]
    UsageOperator,
    #[error("must be \"model_parameters\" or \"metadata\"")]
    AttributeSource,
    #[error("must be \"in\" for an attribute condition")]
    AttributeOperator,
    #[error("must be a non-empty array of non-empty strings")]
    AttributeValues,
    #[error(
        "must be a usage condition {{usageDetailPattern, operator, value, caseSensitive}} or an attribute condition \
         {{source, key, operator: \"in\", values}}"
    )]
    ConditionShape,
    #[error("at least one pricing tier is required")]
    NoTiers,
    #[error("exactly one pricing tier must have isDefault: true, found none")]
    NoDefaultTier,
    #[error("exactly one pricing tier must have isDefault: true, found {0}")]
    DefaultTiers(usize),
    #[error("the default pricing tier {0:?} must have priority 0")]
    DefaultPriority(String),
    #[error("the default pricing tier {0:?} must have an empty conditions array")]
    DefaultConditions(String),
    #[error("the non-default pricing tier {0:?} must have at least one condition")]
    TierWithoutConditions(String),
    #[error("the priority of pricing tier {0:?} must be between 0 and 999")]
    PriorityRange(String),
    #[error("pricing tier priorities must be unique, {0} is used twice")]
    PriorityTwice(i32),
    #[error("pricing tier names must be unique, {0:?} is used twice")]
    NameTwice(String),
    #[error("pricing tier {0:?} must have at least one price")]
    TierWithoutPrice(String),
    /// Overlapping tiers: `by` is tried first (a lower priority number) and its conditions hold
    /// whenever `tier`'s do, so `tier` could never price anything.
    #[error("pricing tier {tier:?} can never apply: tier {by:?} (priority {priority}) is tried first and applies whenever it does")]
    TierShadowed { tier: String, by: String, priority: i32 },
    #[error("a model named {0:?} with the same startDate and unit already exists in this project")]
    Duplicate(String),
    /// The form's text of a number (a price, a priority, a condition's value) is not one.
    #[error("{0:?} is not a number")]
    NotANumber(String),
    /// The form prices one usage type twice in a tier.
    #[error("usage type {0:?} is priced twice")]
    UsageTypeTwice(String),
}

/// A [`PriceProblem`] and the field it is about (a JSON path of the model body; empty for the
/// body itself). `Display`: `field: problem`, the public API's message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub struct FieldProblem {
    pub field: String,
    pub problem: PriceProblem,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, problem: PriceProblem) -> FieldProblem {
        FieldProblem { field: field.into(), problem }
    }
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{}: {}", self.field, self.problem)
        }
    }
}

/// So code that reports problems as text (the built-in table's log, a stored row that no longer
/// reads) keeps using `?`.
impl From<FieldProblem> for String {
    fn from(problem: FieldProblem) -> String {
        problem.to_string()
    }
}

/// A model definition as the table shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    pub id: String,
    pub model_name: String,
    pub match_pattern: String,
    pub start_date: Option<DateTime<Utc>>,
    pub unit: Option<String>,
    pub tokenizer_id: Option<String>,
    /// The tokenizer configuration as pretty JSON.
    pub tokenizer_config: Option<String>,
    /// Langfuse's built-in table (read-only; "Override" copies it into the project).
    pub builtin: bool,
    /// Default tier first, then by priority.
    pub tiers: Vec<TierRow>,
}

/// The table's rows: the project's definitions, then the built-in ones the search kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    pub rows: Vec<ModelRow>,
    /// Built-in definitions the search matched in all (more than the rows carry when the page
    /// has many).
    pub builtin_matched: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierRow {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub priority: i32,
    pub conditions: Vec<ConditionRow>,
    /// USD per unit, by usage type.
    pub prices: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConditionRow {
    /// The sum of the usage types matching `pattern`, compared with `value`.
    Usage { pattern: String, operator: String, value: f64, case_sensitive: bool },
    /// A model parameter or metadata value is one of `values`.
    Attribute { source: String, key: String, values: Vec<String> },
}

impl ModelRow {
    /// The JSON of `POST /api/public/models` that recreates this definition (the API snippet).
    pub fn to_body(&self) -> Value {
        json!({
            "modelName": self.model_name,
            "matchPattern": self.match_pattern,
            "startDate": self.start_date,
            "unit": self.unit,
            "tokenizerId": self.tokenizer_id,
            "pricingTiers": self.tiers.iter().map(TierRow::to_json).collect::<Vec<_>>(),
        })
    }
}

impl TierRow {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "isDefault": self.is_default,
            "priority": self.priority,
            "conditions": self.conditions.iter().map(ConditionRow::to_json).collect::<Vec<_>>(),
            "prices": self.prices,
        })
    }
}

impl ConditionRow {
    fn to_json(&self) -> Value {
        match self {
            ConditionRow::Usage { pattern, operator, value, case_sensitive } => {
                json!({"usageDetailPattern": pattern, "operator": operator, "value": value, "caseSensitive": case_sensitive})
            }
            ConditionRow::Attribute { source, key, values } => json!({"source": source, "key": key, "operator": "in", "values": values}),
        }
    }
}

/// A price as people read it: USD per million units, up to six significant digits (`0.15`,
/// `2.5`, `0.0075`).
pub fn per_million(price: f64) -> String {
    let value = price * 1_000_000.0;
    if !value.is_finite() {
        return "—".into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let digits = 6 - (value.abs().log10().floor() as i32 + 1);
    let decimals = digits.clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

// ---------------------------------------------------------------------------------------------
// The form

/// The model form as typed. Field names follow Langfuse's model body so the server's problems
/// (`pricingTiers[0].prices.input`) land on the input they are about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelForm {
    pub model_name: String,
    pub match_pattern: String,
    /// `YYYY-MM-DD`, or empty for "always".
    pub start_date: String,
    /// One of [`UNITS`], or empty.
    pub unit: String,
    /// One of [`TOKENIZERS`], or empty.
    pub tokenizer_id: String,
    /// JSON object text, or empty.
    pub tokenizer_config: String,
    pub tiers: Vec<TierForm>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TierForm {
    /// The stored tier's id when editing (kept, so stored generations keep naming it); empty for
    /// a new tier.
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub priority: String,
    pub conditions: Vec<ConditionForm>,
    pub prices: Vec<PriceForm>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PriceForm {
    pub usage_type: String,
    /// USD per unit.
    pub price: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConditionKind {
    #[default]
    Usage,
    Attribute,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConditionForm {
    pub kind: ConditionKind,
    /// Usage condition: the usage types summed (a regular expression), the comparison, the value.
    pub pattern: String,
    pub operator: String,
    pub value: String,
    pub case_sensitive: bool,
    /// Attribute condition: where, which key, the values (comma-separated).
    pub source: String,
    pub key: String,
    pub values: String,
}

impl ConditionForm {
    /// "Input tokens above 200k", the usual first condition.
    pub fn large_input() -> ConditionForm {
        ConditionForm { kind: ConditionKind::Usage, pattern: "input".into(), operator: "gt".into(), value: "200000".into(), ..Default::default() }
    }

    pub fn attribute() -> ConditionForm {
        ConditionForm { kind: ConditionKind::Attribute, source: "model_parameters".into(), key: "service_tier".into(), ..Default::default() }
    }
}

impl TierForm {
    /// The default tier of a new model: input and output prices.
    pub fn standard() -> TierForm {
        TierForm {
            name: "Standard".into(),
            is_default: true,
            priority: "0".into(),
            prices: vec![PriceForm { usage_type: "input".into(), price: String::new() }, PriceForm { usage_type: "output".into(), price: String::new() }],
            ..Default::default()
        }
    }

    /// A further tier: the next free priority, one condition, the default tier's usage types.
    pub fn conditional(form: &ModelForm) -> TierForm {
        let next = form.tiers.iter().filter_map(|t| t.priority.trim().parse::<i64>().ok()).max().unwrap_or(0) + 1;
        let usage_types: Vec<PriceForm> = form
            .tiers
            .iter()
            .find(|t| t.is_default)
            .map(|t| t.prices.iter().map(|p| PriceForm { usage_type: p.usage_type.clone(), price: String::new() }).collect())
            .unwrap_or_default();
        TierForm {
            name: String::new(),
            is_default: false,
            priority: next.to_string(),
            conditions: vec![ConditionForm::large_input()],
            prices: if usage_types.is_empty() { vec![PriceForm::default()] } else { usage_types },
            ..Default::default()
        }
    }
}

impl ModelForm {
    /// A new model covering exactly `model_name` (the "Add a price for this model" link).
    pub fn for_model_name(model_name: &str) -> ModelForm {
        ModelForm {
            model_name: model_name.to_string(),
            match_pattern: if model_name.is_empty() { String::new() } else { format!("(?i)^{}$", escape_regex(model_name)) },
            unit: "TOKENS".into(),
            tiers: vec![TierForm::standard()],
            ..Default::default()
        }
    }

    /// The form of a stored definition: to edit a project model, or to override a built-in one
    /// (then `keep_ids` is false: the copy's tiers get ids of their own).
    pub fn from_row(row: &ModelRow, keep_ids: bool) -> ModelForm {
        ModelForm {
            model_name: row.model_name.clone(),
            match_pattern: row.match_pattern.clone(),
            start_date: row.start_date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
            unit: row.unit.clone().unwrap_or_default(),
            tokenizer_id: row.tokenizer_id.clone().unwrap_or_default(),
            tokenizer_config: row.tokenizer_config.clone().unwrap_or_default(),
            tiers: row
                .tiers
                .iter()
                .map(|tier| TierForm {
                    id: if keep_ids { tier.id.clone() } else { String::new() },
                    name: tier.name.clone(),
                    is_default: tier.is_default,
                    priority: tier.priority.to_string(),
                    conditions: tier
                        .conditions
                        .iter()
                        .map(|condition| match condition {
                            ConditionRow::Usage { pattern, operator, value, case_sensitive } => ConditionForm {
                                kind: ConditionKind::Usage,
                                pattern: pattern.clone(),
                                operator: operator.clone(),
                                value: number_text(*value),
                                case_sensitive: *case_sensitive,
                                ..Default::default()
                            },
                            ConditionRow::Attribute { source, key, values } => ConditionForm {
                                kind: ConditionKind::Attribute,
                                source: source.clone(),
                                key: key.clone(),
                                values: values.join(", "),
                                ..Default::default()
                            },
                        })
                        .collect(),
                    prices: tier.prices.iter().map(|(usage_type, price)| PriceForm { usage_type: usage_type.clone(), price: number_text(*price) }).collect(),
                })
                .collect(),
        }
    }

    /// The model body the server checks (Langfuse's `POST /models` JSON, always with
    /// `pricingTiers`, tier ids included when editing), or every problem only the text has: a
    /// number that is not one, a usage type priced twice or left empty. Everything else —
    /// patterns, tier rules, negative prices — is the server's check (`loupe_core::pricing`),
    /// the one the public API runs.
    pub fn to_body(&self) -> Result<Value, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let text = |value: &str| -> Value { if value.trim().is_empty() { Value::Null } else { Value::String(value.trim().to_string()) } };
        let tokenizer_config = if self.tokenizer_config.trim().is_empty() {
            Value::Null
        } else {
            match serde_json::from_str::<Value>(&self.tokenizer_config) {
                Ok(value) => value,
                Err(_) => {
                    problems.push(FieldProblem::new("tokenizerConfig", PriceProblem::TokenizerConfigNotObject));
                    Value::Null
                }
            }
        };
        let mut tiers = Vec::new();
        for (t, tier) in self.tiers.iter().enumerate() {
            let path = format!("pricingTiers[{t}]");
            let priority = match tier.priority.trim().parse::<i64>() {
                Ok(priority) => json!(priority),
                Err(_) => {
                    problems.push(FieldProblem::new(format!("{path}.priority"), PriceProblem::NotInteger));
                    Value::Null
                }
            };
            let mut prices = Map::new();
            for price in &tier.prices {
                let usage_type = price.usage_type.trim();
                if usage_type.is_empty() {
                    problems.push(FieldProblem::new(format!("{path}.prices"), PriceProblem::UsageTypeEmpty));
                    continue;
                }
                let field = format!("{path}.prices.{usage_type}");
                if prices.contains_key(usage_type) {
                    problems.push(FieldProblem::new(field, PriceProblem::UsageTypeTwice(usage_type.to_string())));
                    continue;
                }
                match parse_number(&price.price) {
                    Some(value) => {
                        prices.insert(usage_type.to_string(), json!(value));
                    }
                    None => problems.push(FieldProblem::new(field, PriceProblem::NotANumber(price.price.trim().to_string()))),
                }
            }
            let mut conditions = Vec::new();
            for (c, condition) in tier.conditions.iter().enumerate() {
                let cpath = format!("{path}.conditions[{c}]");
                match condition.kind {
                    ConditionKind::Usage => {
                        let value = match parse_number(&condition.value) {
                            Some(value) => json!(value),
                            None => {
                                problems.push(FieldProblem::new(format!("{cpath}.value"), PriceProblem::NotANumber(condition.value.trim().to_string())));
                                Value::Null
                            }
                        };
                        conditions.push(json!({
                            "usageDetailPattern": condition.pattern,
                            "operator": condition.operator,
                            "value": value,
                            "caseSensitive": condition.case_sensitive,
                        }));
                    }
                    ConditionKind::Attribute => {
                        let values: Vec<String> = condition.values.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect();
                        conditions.push(json!({"source": condition.source, "key": condition.key.trim(), "operator": "in", "values": values}));
                    }
                }
            }
            let mut object = Map::new();
            if !tier.id.is_empty() {
                object.insert("id".into(), json!(tier.id));
            }
            object.insert("name".into(), json!(tier.name.trim()));
            object.insert("isDefault".into(), json!(tier.is_default));
            object.insert("priority".into(), priority);
            object.insert("conditions".into(), Value::Array(conditions));
            object.insert("prices".into(), Value::Object(prices));
            tiers.push(Value::Object(object));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(json!({
            "modelName": text(&self.model_name),
            "matchPattern": if self.match_pattern.is_empty() { Value::Null } else { json!(self.match_pattern) },
            "startDate": text(&self.start_date),
            "unit": text(&self.unit),
            "tokenizerId": text(&self.tokenizer_id),
            "tokenizerConfig": tokenizer_config,
            "pricingTiers": tiers,
        }))
    }
}

/// A number as typed: decimal or scientific (`0.00000015`, `1.5e-7`); `None` otherwise. Negative
/// numbers parse (the server refuses them, naming the field, like the public API).
pub fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim().replace('_', "");
    if text.is_empty() {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A stored number as the form shows it: as short as it reads back exactly (`1.5e-7`, `200000`).
fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:?}")
    }
}

/// `text` as a regular expression matching it literally.
pub fn escape_regex(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

// ---------------------------------------------------------------------------------------------
// "Test match"

/// What the "Test match" box sends: a model name, usage as the SDKs send `usageDetails` (a JSON
/// object, or `type: count` / `type=count` lines), and model parameters and metadata as JSON
/// objects (for attribute conditions) or `key=value` lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MatchProbe {
    pub model: String,
    pub usage: String,
    pub model_parameters: String,
    pub metadata: String,
}

/// What is wrong with a probe's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ProbeProblem {
    #[error("a model name is required")]
    ModelRequired,
    #[error("{0:?} is not `key: value`")]
    NotAPair(String),
    #[error("{0:?} is not a whole number")]
    NotACount(String),
    #[error("must be a JSON object")]
    NotAnObject,
}

/// The probe's fields as values: `(field, problem)` for the first that is not readable.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedProbe {
    pub model: String,
    /// As an SDK's `usageDetails`.
    pub usage: Value,
    pub model_parameters: Option<Value>,
    pub metadata: Option<Value>,
}

impl MatchProbe {
    pub fn parse(&self) -> Result<ParsedProbe, (&'static str, ProbeProblem)> {
        let model = self.model.trim();
        if model.is_empty() {
            return Err(("model", ProbeProblem::ModelRequired));
        }
        let usage = object_or_pairs(&self.usage, true).map_err(|p| ("usage", p))?.unwrap_or_else(|| json!({}));
        Ok(ParsedProbe {
            model: model.to_string(),
            usage,
            model_parameters: object_or_pairs(&self.model_parameters, false).map_err(|p| ("model_parameters", p))?,
            metadata: object_or_pairs(&self.metadata, false).map_err(|p| ("metadata", p))?,
        })
    }
}

/// A JSON object, or lines of `key: value` / `key=value` (counts when `counts`).
fn object_or_pairs(text: &str, counts: bool) -> Result<Option<Value>, ProbeProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.starts_with('{') {
        return match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => Ok(Some(value)),
            _ => Err(ProbeProblem::NotAnObject),
        };
    }
    let mut object = Map::new();
    for line in text.lines().flat_map(|l| l.split(',')).map(str::trim).filter(|l| !l.is_empty()) {
        let (key, value) = line.split_once('=').or_else(|| line.split_once(':')).ok_or_else(|| ProbeProblem::NotAPair(line.to_string()))?;
        let (key, value) = (key.trim().trim_matches('"'), value.trim().trim_matches('"'));
        if key.is_empty() {
            return Err(ProbeProblem::NotAPair(line.to_string()));
        }
        let value = if counts {
            let count = value.replace(['_', ' '], "").parse::<i64>().map_err(|_| ProbeProblem::NotACount(value.to_string()))?;
            json!(count)
        } else {
            json!(value)
        };
        object.insert(key.to_string(), value);
    }
    Ok(Some(Value::Object(object)))
}

/// Which definition and tier would price the probe, and the result, as ingestion stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    /// The matching definition; `None`: no definition covers the name (no cost).
    pub model: Option<MatchedModel>,
    pub tier_id: Option<String>,
    pub tier_name: Option<String>,
    /// Usage as stored (`total` completed).
    pub usage: BTreeMap<String, i64>,
    /// USD per usage type, with `total`.
    pub cost: BTreeMap<String, f64>,
    pub total_cost: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedModel {
    pub id: String,
    pub model_name: String,
    pub match_pattern: String,
    pub builtin: bool,
}

// ---------------------------------------------------------------------------------------------
// Usage by pricing tier

/// The usage page's time range from the URL: a preset of the traces list (`range`, default
/// `7d`), or a custom `from`/`to`.
pub fn usage_window(range: &str, from: &str, to: &str, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), WindowProblem> {
    use crate::trace_list::{parse_time, range_length};
    let from_at = parse_time(from.trim()).map_err(|_| WindowProblem::NotATime("from"))?;
    let to_at = parse_time(to.trim()).map_err(|_| WindowProblem::NotATime("to"))?;
    let (start, end) = match (from_at, to_at) {
        (None, None) => {
            let range = if range.trim().is_empty() { "7d" } else { range.trim() };
            let length = range_length(range).ok_or(WindowProblem::UnknownRange)?;
            (now - length, now)
        }
        (start, end) => (start.unwrap_or(DateTime::<Utc>::UNIX_EPOCH), end.unwrap_or(now)),
    };
    if end <= start {
        return Err(WindowProblem::EndBeforeStart);
    }
    if end - start > chrono::Duration::days(MAX_WINDOW_DAYS) {
        return Err(WindowProblem::TooLong);
    }
    Ok((start, end))
}

/// The longest range the usage view and a recalculation take.
pub const MAX_WINDOW_DAYS: i64 = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum WindowProblem {
    #[error("unknown time range")]
    UnknownRange,
    /// The URL key that is not a time.
    #[error("{0} is not a time")]
    NotATime(&'static str),
    #[error("the end is not after the start")]
    EndBeforeStart,
    #[error("a range is at most 400 days")]
    TooLong,
}

/// Cost and tokens of one model's generations priced by one of its tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierUsage {
    /// The definition that priced them (`internal_model_id`); `None`: a provided cost for a
    /// model no definition covers.
    pub model_id: Option<String>,
    /// Its name, when the definition still exists.
    pub model_name: Option<String>,
    pub builtin: bool,
    /// `None`: the SDK provided the cost (no tier was used).
    pub tier_id: Option<String>,
    pub tier_name: Option<String>,
    pub generations: i64,
    pub cost: f64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
}

/// Generations of one model name that got no cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnpricedModel {
    /// The generations' `model`; `None` when they named none.
    pub model: Option<String>,
    /// Whether a definition matched (then it has no price for the usage they reported, or they
    /// reported none); else no definition covers the name.
    pub matched: bool,
    pub generations: i64,
    pub total_tokens: i64,
    pub last_seen: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// By cost, largest first.
    pub tiers: Vec<TierUsage>,
    /// By generations, most first.
    pub unpriced: Vec<UnpricedModel>,
    /// Whether the unpriced list was cut at its limit.
    pub unpriced_more: bool,
}

// ---------------------------------------------------------------------------------------------
// Recalculation

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecalculationState {
    Running,
    Succeeded,
    Failed,
}

impl RecalculationState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecalculationState::Running => "running",
            RecalculationState::Succeeded => "succeeded",
            RecalculationState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> RecalculationState {
        match text {
            "succeeded" => RecalculationState::Succeeded,
            "failed" => RecalculationState::Failed,
            _ => RecalculationState::Running,
        }
    }
}

/// A cost recalculation of a time range and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recalculation {
    pub id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Only generations of this model name.
    pub model: Option<String>,
    pub state: RecalculationState,
    /// Generations in the range, once counted (the job's first step).
    pub total: Option<i64>,
    pub processed: i64,
    /// Generations whose cost or usage changed.
    pub changed: i64,
    /// The total cost of the processed generations before and after.
    pub old_cost: f64,
    pub new_cost: f64,
    /// Per model name, largest change first.
    pub by_model: Vec<ModelCostChange>,
    pub error: Option<String>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Recalculation {
    /// Progress in percent, when the total is known.
    pub fn percent(&self) -> Option<u8> {
        let total = self.total?;
        if self.state == RecalculationState::Succeeded || total <= 0 {
            return Some(100);
        }
        Some(((self.processed.min(total) * 100) / total).clamp(0, 100) as u8)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCostChange {
    /// The generations' model name (`None`: none given; `Some("…")` collects the models past the
    /// kept number).
    pub model: Option<String>,
    pub generations: i64,
    pub changed: i64,
    pub old_cost: f64,
    pub new_cost: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_read_as_the_public_api_says_them() {
        assert_eq!(FieldProblem::new("pricingTiers[0].prices.input", PriceProblem::NotNonNegative).to_string(), "pricingTiers[0].prices.input: must be a non-negative number");
        assert_eq!(FieldProblem::new("", PriceProblem::BodyNotObject).to_string(), "the body must be a JSON object");
        assert_eq!(
            FieldProblem::new("pricingTiers", PriceProblem::NameTwice("A".into())).to_string(),
            "pricingTiers: pricing tier names must be unique, \"A\" is used twice"
        );
        let text: String = FieldProblem::new("matchPattern", PriceProblem::PatternEmpty).into();
        assert_eq!(text, "matchPattern: must not be empty");
    }

    fn form() -> ModelForm {
        let mut form = ModelForm::for_model_name("acme/llm-1.5");
        form.tiers[0].prices[0].price = "0.000001".into();
        form.tiers[0].prices[1].price = "2e-6".into();
        form
    }

    #[test]
    fn a_new_model_covers_exactly_its_name() {
        let form = ModelForm::for_model_name("acme/llm-1.5");
        assert_eq!(form.match_pattern, "(?i)^acme/llm\\-1\\.5$");
        assert_eq!(form.tiers.len(), 1);
        assert!(form.tiers[0].is_default);
    }

    #[test]
    fn the_form_becomes_the_api_body() {
        let mut form = form();
        form.start_date = "2026-01-31".into();
        let mut large = TierForm::conditional(&form);
        large.name = "Large".into();
        large.prices[0].price = "0.000002".into();
        large.prices[1].price = "0.000004".into();
        form.tiers.push(large);
        let body = form.to_body().unwrap();
        assert_eq!(body["modelName"], "acme/llm-1.5");
        assert_eq!(body["startDate"], "2026-01-31");
        assert_eq!(body["unit"], "TOKENS");
        assert_eq!(body["tokenizerId"], Value::Null);
        assert_eq!(body["pricingTiers"][0], json!({"name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1e-6, "output": 2e-6}}));
        assert_eq!(
            body["pricingTiers"][1]["conditions"],
            json!([{"usageDetailPattern": "input", "operator": "gt", "value": 200000.0, "caseSensitive": false}])
        );
        assert_eq!(body["pricingTiers"][1]["priority"], 1);
    }

    #[test]
    fn text_problems_are_all_named() {
        let mut form = form();
        let mut tier = TierForm::conditional(&form);
        tier.conditions[0].value = "lots".into();
        form.tiers[0].prices[0].price = "cheap".into();
        form.tiers[0].prices.push(PriceForm { usage_type: "output".into(), price: "1".into() });
        form.tiers[0].prices.push(PriceForm { usage_type: " ".into(), price: "1".into() });
        form.tiers[0].priority = "first".into();
        form.tokenizer_config = "{".into();
        form.tiers.push(tier);
        let problems = form.to_body().unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "tokenizerConfig",
                "pricingTiers[0].priority",
                "pricingTiers[0].prices.input",
                "pricingTiers[0].prices.output",
                "pricingTiers[0].prices",
                "pricingTiers[1].prices.input",
                "pricingTiers[1].prices.output",
                "pricingTiers[1].conditions[0].value",
            ]
        );
        assert_eq!(problems[2].problem, PriceProblem::NotANumber("cheap".into()));
        assert_eq!(problems[3].problem, PriceProblem::UsageTypeTwice("output".into()));
    }

    #[test]
    fn negative_prices_are_left_to_the_servers_check() {
        let mut form = form();
        form.tiers[0].prices[0].price = "-1".into();
        assert_eq!(form.to_body().unwrap()["pricingTiers"][0]["prices"]["input"], -1.0);
    }

    #[test]
    fn a_stored_row_round_trips_through_the_form() {
        let row = ModelRow {
            id: "m".into(),
            model_name: "gemini".into(),
            match_pattern: "(?i)^gemini$".into(),
            start_date: None,
            unit: Some("TOKENS".into()),
            tokenizer_id: None,
            tokenizer_config: None,
            builtin: true,
            tiers: vec![
                TierRow { id: "d".into(), name: "Standard".into(), is_default: true, priority: 0, conditions: vec![], prices: [("input".to_string(), 1.25e-6)].into() },
                TierRow {
                    id: "l".into(),
                    name: "Large".into(),
                    is_default: false,
                    priority: 1,
                    conditions: vec![
                        ConditionRow::Usage { pattern: "(input|prompt)".into(), operator: "gt".into(), value: 200000.0, case_sensitive: false },
                        ConditionRow::Attribute { source: "metadata".into(), key: "plan".into(), values: vec!["pro".into(), "team".into()] },
                    ],
                    prices: [("input".to_string(), 2.5e-6)].into(),
                },
            ],
        };
        let copy = ModelForm::from_row(&row, false);
        assert!(copy.tiers.iter().all(|t| t.id.is_empty()), "an override's tiers are new");
        assert_eq!(copy.tiers[1].conditions[0].value, "200000");
        assert_eq!(copy.tiers[1].conditions[1].values, "pro, team");
        let body = copy.to_body().unwrap();
        let expected = row.to_body();
        assert_eq!(body["pricingTiers"], expected["pricingTiers"]);
        assert_eq!(ModelForm::from_row(&row, true).to_body().unwrap()["pricingTiers"][1]["id"], "l");
    }

    #[test]
    fn prices_read_per_million() {
        assert_eq!(per_million(1.5e-7), "0.15");
        assert_eq!(per_million(2.5e-6), "2.5");
        assert_eq!(per_million(7.5e-9), "0.0075");
        assert_eq!(per_million(6e-5), "60");
        assert_eq!(per_million(0.0), "0");
    }

    #[test]
    fn probes_read_json_or_lines() {
        let probe = MatchProbe { model: " gpt-4o ".into(), usage: "input: 250_000\noutput=10".into(), model_parameters: "service_tier=flex".into(), metadata: String::new() };
        let parsed = probe.parse().unwrap();
        assert_eq!(parsed.model, "gpt-4o");
        assert_eq!(parsed.usage, json!({"input": 250000, "output": 10}));
        assert_eq!(parsed.model_parameters, Some(json!({"service_tier": "flex"})));
        assert_eq!(parsed.metadata, None);
        let json_usage = MatchProbe { model: "m".into(), usage: "{\"prompt_tokens\": 5}".into(), ..Default::default() };
        assert_eq!(json_usage.parse().unwrap().usage, json!({"prompt_tokens": 5}));
        for (probe, field) in [
            (MatchProbe { model: " ".into(), ..Default::default() }, "model"),
            (MatchProbe { model: "m".into(), usage: "input: many".into(), ..Default::default() }, "usage"),
            (MatchProbe { model: "m".into(), usage: "[1]".into(), ..Default::default() }, "usage"),
            (MatchProbe { model: "m".into(), metadata: "{\"a\":".into(), ..Default::default() }, "metadata"),
            (MatchProbe { model: "m".into(), model_parameters: "flex".into(), ..Default::default() }, "model_parameters"),
        ] {
            assert_eq!(probe.parse().unwrap_err().0, field, "{probe:?}");
        }
    }

    #[test]
    fn usage_windows() {
        let now = DateTime::parse_from_rfc3339("2026-12-10T12:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(usage_window("", "", "", now).unwrap(), (now - chrono::Duration::days(7), now));
        assert_eq!(usage_window("24h", "", "", now).unwrap().0, now - chrono::Duration::hours(24));
        let (from, to) = usage_window("", "2026-12-01", "2026-12-02", now).unwrap();
        assert_eq!((to - from).num_hours(), 24);
        assert_eq!(usage_window("5y", "", "", now), Err(WindowProblem::UnknownRange));
        assert_eq!(usage_window("", "yesterday", "", now), Err(WindowProblem::NotATime("from")));
        assert_eq!(usage_window("", "2026-12-02", "2026-12-01", now), Err(WindowProblem::EndBeforeStart));
        assert_eq!(usage_window("", "2020-01-01", "2026-01-01", now), Err(WindowProblem::TooLong));
    }
}
