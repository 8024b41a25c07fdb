//! Langfuse's default price table (`default-model-prices.json`, MIT, see
//! `default-model-prices.NOTICE`), built into the binary: the project-less, Langfuse-managed
//! models every project falls back to.
//!
//! Langfuse seeds these into Postgres at start; Loupe keeps them in memory instead, because
//! they are the same for every project and change only with a new release. The table is parsed
//! once, on first use. An entry that cannot be read (a bad field, a pattern the regex crate
//! cannot compile) is logged and left out rather than stopping the server: one unpriced model
//! is better than none priced.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::definition::{parse_tiers, ModelDefinition};

const TABLE: &str = include_str!("default-model-prices.json");

/// The built-in models in matching order (newest `startDate` first, none set today), then by
/// name, which is also the order the models API lists them in.
pub fn models() -> &'static [ModelDefinition] {
    static MODELS: OnceLock<Vec<ModelDefinition>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let mut models = load(TABLE);
        models.sort_by(|a, b| b.start_date.cmp(&a.start_date).then_with(|| a.model_name.cmp(&b.model_name)));
        models
    })
}

/// The built-in model with this id.
pub fn by_id(id: &str) -> Option<&'static ModelDefinition> {
    models().iter().find(|model| model.id == id)
}

fn load(table: &str) -> Vec<ModelDefinition> {
    let entries: Vec<Value> = match serde_json::from_str(table) {
        Ok(entries) => entries,
        Err(error) => {
            tracing::error!(%error, "the built-in model price table is not a JSON array; built-in prices are disabled");
            return Vec::new();
        }
    };
    entries
        .iter()
        .enumerate()
        .filter_map(|(idx, entry)| match parse_entry(entry) {
            Ok(model) => Some(model),
            Err(error) => {
                let name = entry.get("modelName").and_then(Value::as_str).unwrap_or("?");
                tracing::error!(entry = idx, model = name, %error, "skipping a built-in model definition");
                None
            }
        })
        .collect()
}

fn parse_entry(entry: &Value) -> Result<ModelDefinition, String> {
    let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
    let required = |key: &str| text(key).filter(|value| !value.is_empty()).ok_or_else(|| format!("{key}: missing"));
    let date = |key: &str| -> Result<Option<DateTime<Utc>>, String> {
        match entry.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(value)) => {
                DateTime::parse_from_rfc3339(value).map(|date| Some(date.with_timezone(&Utc))).map_err(|e| format!("{key}: {e}"))
            }
            Some(_) => Err(format!("{key}: not a date")),
        }
    };
    let id = required("id")?;
    let created_at = date("createdAt")?.unwrap_or(DateTime::UNIX_EPOCH);
    let tiers = parse_tiers(entry.get("pricingTiers").unwrap_or(&Value::Null), "pricingTiers", |idx| format!("{id}_tier_{idx}"))?;
    ModelDefinition::new(
        id.clone(),
        None,
        required("modelName")?,
        required("matchPattern")?,
        date("startDate")?,
        text("unit"),
        text("tokenizerId"),
        entry.get("tokenizerConfig").filter(|config| !config.is_null()).cloned(),
        created_at,
        date("updatedAt")?.unwrap_or(created_at),
        tiers,
    )
    .map_err(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::definition::validate_tier_set;

    #[test]
    fn every_built_in_model_loads_and_is_valid() {
        let entries: Vec<Value> = serde_json::from_str(TABLE).unwrap();
        assert_eq!(models().len(), entries.len(), "some built-in models were skipped (see the log)");
        assert_eq!(models().len(), 167);
        for model in models() {
            validate_tier_set(&model.pricing_tiers, &model.model_name).unwrap();
            assert!(model.is_langfuse_managed());
            // Each model name is covered by its own pattern or by no pattern at all.
            let covering: Vec<&str> = models().iter().filter(|m| m.matches(&model.model_name)).map(|m| m.model_name.as_str()).collect();
            assert!(covering.is_empty() || covering == [model.model_name.as_str()], "{}: {covering:?}", model.model_name);
        }
        let tokenized = models().iter().filter(|m| m.tokenizer.is_some()).count();
        assert_eq!(tokenized, 79 + 32, "every openai and claude model has a usable tokenizer");
    }

    #[test]
    fn bad_entries_are_skipped_not_fatal() {
        let table = r#"[
            {"id": "ok", "modelName": "ok", "matchPattern": "(?i)^ok$", "pricingTiers": [
                {"id": "t", "name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}}]},
            {"id": "bad-regex", "modelName": "bad", "matchPattern": "(?<=x)y", "pricingTiers": []},
            {"id": "bad-tier", "modelName": "bad", "matchPattern": "x", "pricingTiers": [{"name": "t"}]},
            {"modelName": "no id", "matchPattern": "x", "pricingTiers": []}
        ]"#;
        let loaded = load(table);
        assert_eq!(loaded.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["ok"]);
        assert!(load("{").is_empty());
    }

    #[test]
    fn lookup_by_id() {
        assert_eq!(by_id("clyrjp56f0000t0mzapoocd7u").unwrap().model_name, "gpt-4o-mini");
        assert!(by_id("nope").is_none());
    }
}
