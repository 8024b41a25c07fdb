//! Model prices and cost calculation (docs/COMPATIBILITY.md §8): Langfuse's default price table
//! built in, project models overriding it, pricing tiers with conditions, provided costs
//! winning, and tokenizer counts for generations that report no usage.
//!
//! The writer calls [`Pricing::project`] once per request and [`ProjectPrices::price`] for
//! every generation-like observation it stores, with the observation's merged values. Pricing
//! is pure computation over an immutable snapshot of the project's models, so it needs no
//! database round trip per observation.
//!
//! Module map: [`definition`] (the model / tier / condition types and their JSON reader),
//! [`builtin`] (the embedded table), [`store`] (project models in Postgres), [`matching`]
//! (which definition covers a model name), [`tiers`] (which tier applies), [`cost`] (money),
//! [`tokenizer`] (token counts when usage is missing).
//!
//! Consistency: a project's models are cached for [`CACHE_TTL`]. The replica that creates,
//! changes or deletes a model drops that project's entry in every [`Pricing`] of the process
//! ([`Pricing::invalidate`], [`models_changed`]: the public API's, the playground's, the
//! evaluators' — the models page has none of its own); other replicas converge within the TTL,
//! which is Langfuse's own guarantee (its model-match cache lives 10 s). Reads that must see the
//! latest definitions (the models page's "Test match", a cost recalculation) load them
//! uncached ([`ProjectPrices::load`]).

pub mod builtin;
pub mod check;
pub mod cost;
pub mod definition;
pub mod matching;
pub mod store;
pub mod tiers;
pub mod tokenizer;

use crate::scope::ProjectId;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use loupe_domain::{ObservationLevel, ObservationType};
use serde_json::Value;
use sqlx::PgPool;

pub use definition::{ModelDefinition, PricingTier};

/// How long a project's models are reused before they are read again.
pub const CACHE_TTL: Duration = Duration::from_secs(10);
/// Beyond this many cached projects, expired entries are swept on insert.
const SWEEP_ABOVE: usize = 1_000;

/// Per database and project, how often its models changed in this process: every cache entry
/// records the count it was loaded under and is stale once it differs. Keyed by database too, so
/// two databases served by one process (the tests' fresh database per test) never share one.
/// Only projects whose models were edited have an entry, and edits are rare.
fn changes() -> &'static Mutex<HashMap<String, u64>> {
    static CHANGES: std::sync::OnceLock<Mutex<HashMap<String, u64>>> = std::sync::OnceLock::new();
    CHANGES.get_or_init(|| Mutex::new(HashMap::new()))
}

fn change_key(pool: &PgPool, project_id: &ProjectId) -> String {
    format!("{}\u{0}{}", pool.connect_options().get_database().unwrap_or_default(), project_id.as_str())
}

fn changes_of(key: &str) -> u64 {
    changes().lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(key).copied().unwrap_or(0)
}

/// A project's models changed (created, edited, deleted): every [`Pricing`] of this process
/// reloads them before it prices again. Call it after the change committed.
pub fn models_changed(pool: &PgPool, project_id: &ProjectId) {
    *changes().lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entry(change_key(pool, project_id)).or_insert(0) += 1;
}

/// Prices for every project: the built-in table plus a short-lived cache of project models.
pub struct Pricing {
    pool: PgPool,
    ttl: Duration,
    /// Per project: when it was loaded, under which count of [`models_changed`], the snapshot.
    cache: Mutex<HashMap<String, (Instant, u64, Arc<ProjectPrices>)>>,
    /// Bumped (under the cache lock) by every [`Pricing::invalidate`]: a load that started
    /// before an invalidation does not cache what it read, whichever project it was for.
    /// Invalidations are rare (a model created or deleted), so the lost caching costs nothing.
    invalidations: AtomicU64,
}

impl Pricing {
    pub fn new(pool: PgPool) -> Self {
        Pricing::with_ttl(pool, CACHE_TTL)
    }

    pub fn with_ttl(pool: PgPool, ttl: Duration) -> Self {
        Pricing { pool, ttl, cache: Mutex::new(HashMap::new()), invalidations: AtomicU64::new(0) }
    }

    /// The models a project's generations are priced with (project models first).
    pub async fn project(&self, project_id: &ProjectId) -> Result<Arc<ProjectPrices>, sqlx::Error> {
        let key = change_key(&self.pool, project_id);
        let (invalidations, changed) = {
            let cache = self.lock();
            let changed = changes_of(&key);
            if let Some((loaded_at, loaded_under, prices)) = cache.get(project_id.as_str()) {
                if loaded_at.elapsed() < self.ttl && *loaded_under == changed {
                    return Ok(Arc::clone(prices));
                }
            }
            (self.invalidations.load(Ordering::SeqCst), changed)
        };
        let prices = Arc::new(ProjectPrices::load(&self.pool, project_id).await?);
        let mut cache = self.lock();
        if self.invalidations.load(Ordering::SeqCst) == invalidations && changes_of(&key) == changed {
            if cache.len() >= SWEEP_ABOVE {
                let ttl = self.ttl;
                cache.retain(|_, (loaded_at, _, _)| loaded_at.elapsed() < ttl);
            }
            cache.insert(project_id.to_string(), (Instant::now(), changed, Arc::clone(&prices)));
        }
        Ok(prices)
    }

    /// Forget a project's cached models (after a model is created or deleted), here and in
    /// every other [`Pricing`] of the process ([`models_changed`]).
    pub fn invalidate(&self, project_id: &ProjectId) {
        let mut cache = self.lock();
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        models_changed(&self.pool, project_id);
        cache.remove(project_id.as_str());
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (Instant, u64, Arc<ProjectPrices>)>> {
        // The map stays consistent even if a holder panicked: every write is a single insert
        // or removal.
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A snapshot of the definitions one project's observations are priced with.
pub struct ProjectPrices {
    /// The project's own models, in matching order.
    project: Vec<ModelDefinition>,
    builtin: &'static [ModelDefinition],
}

impl ProjectPrices {
    /// Prices nothing: for writes that carry no observations (the annotation forms' scores).
    pub fn none() -> ProjectPrices {
        ProjectPrices { project: Vec::new(), builtin: &[] }
    }

    /// The project's definitions as stored now, uncached (and in the caller's transaction when
    /// given one), with the built-in ones behind them.
    pub async fn load(conn: impl sqlx::PgExecutor<'_>, project_id: &ProjectId) -> Result<ProjectPrices, sqlx::Error> {
        let mut models = store::load_project(conn, project_id).await?;
        matching::sort_for_matching(&mut models);
        Ok(ProjectPrices { project: models, builtin: builtin::models() })
    }

    /// The project's own definitions, in matching order.
    pub fn project_models(&self) -> &[ModelDefinition] {
        &self.project
    }
}

/// One observation as stored after merging, with what is needed to price it.
#[derive(Debug, Clone, Copy)]
pub struct PricingInput<'a> {
    /// Informational: any type is priced the same way (the writer prices generation-like ones).
    pub r#type: ObservationType,
    pub level: ObservationLevel,
    pub model: Option<&'a str>,
    pub provided_usage: &'a BTreeMap<String, i64>,
    pub provided_cost: &'a BTreeMap<String, f64>,
    pub model_parameters: Option<&'a Value>,
    pub metadata: Option<&'a Value>,
    /// Needed only to count tokens when no usage was provided.
    pub input: Option<&'a Value>,
    pub output: Option<&'a Value>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Priced {
    /// Provided usage with a `total` added when missing, or tokenizer counts when none was
    /// provided.
    pub usage_details: BTreeMap<String, i64>,
    /// USD per usage type, with `total` when known.
    pub cost_details: BTreeMap<String, f64>,
    pub total_cost: Option<f64>,
    /// The model definition that matched, if any (even when provided costs were used).
    pub internal_model_id: Option<String>,
    /// The pricing tier the cost was computed with (none when costs were provided).
    pub tier_id: Option<String>,
    pub tier_name: Option<String>,
}

impl ProjectPrices {
    /// Built-in models only (tests, and projects before their models load).
    pub fn builtin_only() -> ProjectPrices {
        ProjectPrices { project: Vec::new(), builtin: builtin::models() }
    }

    /// Usage and cost of one observation, priced now.
    pub fn price(&self, input: &PricingInput<'_>) -> Priced {
        self.price_at(input, Utc::now())
    }

    /// Usage and cost of one observation with the definitions in effect at `now`.
    pub fn price_at(&self, input: &PricingInput<'_>, now: DateTime<Utc>) -> Priced {
        let model = input.model.map(str::trim).and_then(|name| self.find_model(name, now));
        let usage_details = usage_details(input, model);

        let mut priced = Priced { internal_model_id: model.map(|m| m.id.clone()), ..Priced::default() };
        let cost = if !input.provided_cost.is_empty() {
            cost::provided(input.provided_cost)
        } else if let (Some(model), false) = (model, usage_details.is_empty()) {
            let context = tiers::TierContext { usage: &usage_details, model_parameters: input.model_parameters, metadata: input.metadata };
            match tiers::select(&model.pricing_tiers, &context) {
                Some(tier) => {
                    priced.tier_id = Some(tier.id.clone());
                    priced.tier_name = Some(tier.name.clone());
                    cost::computed(&tier.prices, &usage_details)
                }
                None => cost::Cost::default(),
            }
        } else {
            cost::Cost::default()
        };
        priced.usage_details = usage_details;
        priced.cost_details = cost.details;
        priced.total_cost = cost.total;
        priced
    }

    /// A definition by id (the `internal_model_id` stored on observations).
    pub fn model_by_id(&self, id: &str) -> Option<&ModelDefinition> {
        self.project.iter().chain(self.builtin.iter()).find(|model| model.id == id)
    }

    /// `(input, output, total)` unit prices of a model's default tier, as the observation views
    /// report them.
    pub fn unit_prices(&self, id: &str) -> (Option<f64>, Option<f64>, Option<f64>) {
        let Some(tier) = self.model_by_id(id).and_then(|m| m.pricing_tiers.iter().find(|t| t.is_default)) else {
            return (None, None, None);
        };
        (tier.prices.get("input").copied(), tier.prices.get("output").copied(), tier.prices.get("total").copied())
    }

    /// The definition covering a model name at `now`: the project's first, then built-ins.
    pub fn find_model(&self, model: &str, now: DateTime<Utc>) -> Option<&ModelDefinition> {
        if std::ptr::eq(self.builtin, builtin::models()) {
            // The built-ins' matches are remembered per name (`matching::find_builtin`).
            matching::find(&[&self.project], model, now).or_else(|| matching::find_builtin(model, now))
        } else {
            matching::find(&[&self.project, self.builtin], model, now)
        }
    }
}

/// Provided usage (negative counts dropped) with its `total` completed; or, when nothing was
/// provided — no usage, no cost, not an error, and the model has a tokenizer — the tokenizer's
/// counts of input and output.
fn usage_details(input: &PricingInput<'_>, model: Option<&ModelDefinition>) -> BTreeMap<String, i64> {
    let mut usage: BTreeMap<String, i64> =
        input.provided_usage.iter().filter(|(_, count)| **count >= 0).map(|(k, v)| (k.clone(), *v)).collect();
    if !usage.is_empty() {
        if !usage.contains_key("total") {
            let total = usage.values().fold(0i64, |acc, count| acc.saturating_add(*count));
            usage.insert("total".to_string(), total);
        }
        return usage;
    }
    if !input.provided_cost.is_empty() || input.level == ObservationLevel::Error {
        return usage;
    }
    let Some(tokenizer) = model.and_then(|m| m.tokenizer.as_ref()) else { return usage };
    let input_tokens = input.input.and_then(|value| tokenizer.count(value));
    let output_tokens = input.output.and_then(|value| tokenizer.count(value));
    if let Some(count) = input_tokens {
        usage.insert("input".to_string(), count);
    }
    if let Some(count) = output_tokens {
        usage.insert("output".to_string(), count);
    }
    // As in Langfuse: a total only when something was counted.
    if input_tokens.unwrap_or(0) > 0 || output_tokens.unwrap_or(0) > 0 {
        usage.insert("total".to_string(), input_tokens.unwrap_or(0) + output_tokens.unwrap_or(0));
    }
    usage
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An observation's pricing input over owned maps.
    struct Observation {
        model: Option<&'static str>,
        level: ObservationLevel,
        usage: BTreeMap<String, i64>,
        cost: BTreeMap<String, f64>,
        model_parameters: Option<Value>,
        metadata: Option<Value>,
        input: Option<Value>,
        output: Option<Value>,
    }

    impl Observation {
        fn new(model: &'static str) -> Self {
            Observation {
                model: Some(model),
                level: ObservationLevel::Default,
                usage: BTreeMap::new(),
                cost: BTreeMap::new(),
                model_parameters: None,
                metadata: None,
                input: None,
                output: None,
            }
        }

        fn usage(mut self, usage: Value) -> Self {
            self.usage = serde_json::from_value(usage).unwrap();
            self
        }

        fn cost(mut self, cost: Value) -> Self {
            self.cost = serde_json::from_value(cost).unwrap();
            self
        }

        fn price(&self, prices: &ProjectPrices) -> Priced {
            prices.price(&PricingInput {
                r#type: ObservationType::Generation,
                level: self.level,
                model: self.model,
                provided_usage: &self.usage,
                provided_cost: &self.cost,
                model_parameters: self.model_parameters.as_ref(),
                metadata: self.metadata.as_ref(),
                input: self.input.as_ref(),
                output: self.output.as_ref(),
            })
        }
    }

    fn map<T: serde::de::DeserializeOwned>(value: Value) -> BTreeMap<String, T> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn gpt_4o_mini_worked_example_end_to_end() {
        // §3.6 usage (as normalized) priced per §8.3.
        let usage = json!({"input": 10, "input_cached_tokens": 2, "input_audio_tokens": 0, "output": 6, "output_reasoning_tokens": 1,
                           "output_audio_tokens": 0, "output_accepted_prediction_tokens": 0, "output_rejected_prediction_tokens": 0, "total": 19});
        let priced = Observation::new("gpt-4o-mini").usage(usage.clone()).price(&ProjectPrices::builtin_only());
        assert_eq!(priced.usage_details, map(usage));
        assert_eq!(priced.total_cost, Some(5.25e-6));
        assert_eq!(priced.cost_details, map(json!({"input": 1.5e-6, "input_cached_tokens": 1.5e-7, "output": 3.6e-6, "total": 5.25e-6})));
        assert_eq!(priced.internal_model_id.as_deref(), Some("clyrjp56f0000t0mzapoocd7u"));
        assert_eq!(priced.tier_id.as_deref(), Some("clyrjp56f0000t0mzapoocd7u_tier_default"));
        assert_eq!(priced.tier_name.as_deref(), Some("Standard"));
    }

    #[test]
    fn service_tier_prices_with_the_fast_tier() {
        let mut observation = Observation::new("gpt-4o-mini-2024-07-18").usage(json!({"input": 1000, "output": 100}));
        observation.model = Some("gpt-4o-mini");
        observation.model_parameters = Some(json!({"temperature": "0.2", "service_tier": "priority"}));
        let priced = observation.price(&ProjectPrices::builtin_only());
        assert_eq!(priced.tier_name.as_deref(), Some("Fast mode"));
        assert_eq!(priced.total_cost, Some(0.00035), "1000 × 2.5e-7 + 100 × 1e-6");
        assert_eq!(priced.usage_details["total"], 1100, "a missing total is the sum of the provided usage");
    }

    #[test]
    fn provided_cost_wins_over_prices() {
        let priced = Observation::new("gpt-4o-mini")
            .usage(json!({"input": 11, "output": 5, "cache_read_input_tokens": 3}))
            .cost(json!({"input": 0.0001, "output": 0.0002}))
            .price(&ProjectPrices::builtin_only());
        assert_eq!(priced.total_cost, Some(0.0003));
        assert_eq!(priced.cost_details, map(json!({"input": 0.0001, "output": 0.0002, "total": 0.0003})));
        assert_eq!(priced.usage_details, map(json!({"input": 11, "output": 5, "cache_read_input_tokens": 3, "total": 19})));
        assert!(priced.internal_model_id.is_some(), "the model is still recorded");
        assert_eq!(priced.tier_id, None, "no tier was used");
    }

    #[test]
    fn unknown_models_get_usage_but_no_cost() {
        let priced = Observation::new("my-own-llm").usage(json!({"input": 3, "output": 4})).price(&ProjectPrices::builtin_only());
        assert_eq!(priced, Priced { usage_details: map(json!({"input": 3, "output": 4, "total": 7})), ..Priced::default() });
        let mut no_model = Observation::new("x").usage(json!({"input": 3}));
        no_model.model = None;
        assert_eq!(no_model.price(&ProjectPrices::builtin_only()).total_cost, None);
    }

    #[test]
    fn tokenizer_fills_in_missing_usage_for_chat_input() {
        let mut observation = Observation::new("gpt-4o");
        observation.input = Some(json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi"}]));
        observation.output = Some(json!("Hello from the fake OpenAI server."));
        let priced = observation.price(&ProjectPrices::builtin_only());
        let input = priced.usage_details["input"];
        let output = priced.usage_details["output"];
        assert!(input > 6 && output > 4, "{:?}", priced.usage_details);
        assert_eq!(priced.usage_details["total"], input + output);
        assert!(priced.total_cost.is_some_and(|cost| cost > 0.0));
        assert_eq!(priced.tier_name.as_deref(), Some("Standard"));

        // Not for errors, not when a cost was provided, not without a tokenizer.
        observation.level = ObservationLevel::Error;
        assert!(observation.price(&ProjectPrices::builtin_only()).usage_details.is_empty());
        observation.level = ObservationLevel::Default;
        let with_cost = Observation { cost: map(json!({"total": 0.5})), ..observation };
        let priced = with_cost.price(&ProjectPrices::builtin_only());
        assert!(priced.usage_details.is_empty());
        assert_eq!(priced.total_cost, Some(0.5));
        let mut gemini = Observation::new("gemini-2.5-pro");
        gemini.input = Some(json!("hello"));
        assert!(gemini.price(&ProjectPrices::builtin_only()).usage_details.is_empty());
    }

    #[test]
    fn claude_models_are_estimated_with_the_approximate_tokenizer() {
        let mut observation = Observation::new("claude-sonnet-4-5-20250929");
        observation.input = Some(json!("Write a haiku about observability."));
        let priced = observation.price(&ProjectPrices::builtin_only());
        assert!(priced.usage_details["input"] > 3);
        assert!(!priced.usage_details.contains_key("output"));
        assert!(priced.total_cost.is_some());
    }

    #[test]
    fn project_models_override_built_ins() {
        let tiers = definition::parse_tiers(
            &json!([{"id": "t", "name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1.0}}]),
            "pricingTiers",
            |_| unreachable!(),
        )
        .unwrap();
        let mine = ModelDefinition::new(
            "mine".into(),
            Some("p".into()),
            "gpt-4o-mini".into(),
            "(?i)^gpt-4o-mini$".into(),
            None,
            None,
            None,
            None,
            Utc::now(),
            Utc::now(),
            tiers,
        )
        .unwrap();
        let prices = ProjectPrices { project: vec![mine], builtin: builtin::models() };
        let priced = Observation::new("gpt-4o-mini").usage(json!({"input": 2})).price(&prices);
        assert_eq!(priced.internal_model_id.as_deref(), Some("mine"));
        assert_eq!(priced.total_cost, Some(2.0));
        // The built-in still prices names the project model does not cover.
        assert_eq!(Observation::new("openai/gpt-4o-mini").usage(json!({"input": 2})).price(&prices).total_cost, Some(3e-7));
    }

    #[test]
    fn negative_stored_usage_is_ignored() {
        let priced = Observation::new("gpt-4o-mini").usage(json!({"input": -5, "output": 10})).price(&ProjectPrices::builtin_only());
        assert_eq!(priced.usage_details, map(json!({"output": 10, "total": 10})));
    }
}
