//! Read models of scores and score configs, in Langfuse's JSON shape (camelCase), and the rules a
//! score config must satisfy. Plain serde types and pure functions: the public API, the store and
//! (later) the UI's annotation forms share one definition of what a valid config is.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tracing::{ScoreDataType, ScoreSource};

/// A score as the v1/v2 public API returns it. Exactly one target is set: `traceId` (optionally
/// with `observationId`), `sessionId` or `datasetRunId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// The numeric value; absent for TEXT scores (their content is `stringValue`), 1/0 for
    /// BOOLEAN, the category's number for CATEGORICAL (0 without a config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Category label, `"True"`/`"False"`, text or correction; null for NUMERIC.
    pub string_value: Option<String>,
    pub data_type: ScoreDataType,
    pub source: ScoreSource,
    pub trace_id: Option<String>,
    pub observation_id: Option<String>,
    pub session_id: Option<String>,
    pub dataset_run_id: Option<String>,
    pub timestamp: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub author_user_id: Option<String>,
    pub comment: Option<String>,
    pub metadata: Value,
    pub config_id: Option<String>,
    pub queue_id: Option<String>,
    pub execution_trace_id: Option<String>,
    pub environment: String,
}

/// The scored trace's attributes that score lists carry along (`trace` on v1/v2 list items).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreTraceContext {
    pub user_id: Option<String>,
    pub tags: Option<Vec<String>>,
    pub environment: Option<String>,
    pub session_id: Option<String>,
}

/// A score list item: the score and, for trace scores, its trace's attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreWithTrace {
    #[serde(flatten)]
    pub score: Score,
    pub trace: Option<ScoreTraceContext>,
}

/// One category of a CATEGORICAL or BOOLEAN config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigCategory {
    pub label: String,
    pub value: f64,
}

/// The categories every BOOLEAN config has; they cannot be chosen.
pub fn boolean_categories() -> Vec<ConfigCategory> {
    vec![ConfigCategory { label: "True".into(), value: 1.0 }, ConfigCategory { label: "False".into(), value: 0.0 }]
}

/// A score config: the name, type and allowed values that scores referencing it must match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreConfig {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub data_type: ScoreDataType,
    pub is_archived: bool,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub categories: Option<Vec<ConfigCategory>>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The longest TEXT score, in characters (Langfuse's limit).
pub const MAX_TEXT_SCORE_CHARS: usize = 500;

/// What a score config demands of a value: its name and type apply to the score, and the value
/// must fit its range or be one of its categories. One definition for the public API (scores
/// posted with a `configId`) and the annotation forms (docs/COMPATIBILITY.md §6.2).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRule {
    pub name: String,
    pub data_type: ScoreDataType,
    pub is_archived: bool,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    /// `(label, value)` pairs; BOOLEAN configs always have True = 1 and False = 0.
    pub categories: Vec<(String, f64)>,
}

impl From<&ScoreConfig> for ScoreRule {
    fn from(config: &ScoreConfig) -> Self {
        let categories = match (config.data_type, &config.categories) {
            (ScoreDataType::Boolean, _) => boolean_categories(),
            (_, Some(categories)) => categories.clone(),
            (_, None) => Vec::new(),
        };
        ScoreRule {
            name: config.name.clone(),
            data_type: config.data_type,
            is_archived: config.is_archived,
            min_value: config.min_value,
            max_value: config.max_value,
            categories: categories.into_iter().map(|c| (c.label, c.value)).collect(),
        }
    }
}

impl ScoreRule {
    /// The stored `(value, stringValue)` of `raw` (a number, or a category's label or value), or
    /// why it does not fit, phrased to follow "value: ". Archiving is the caller's check: it
    /// needs the config's id in its message.
    pub fn fit(&self, raw: &Value) -> Result<(Option<f64>, Option<String>), String> {
        match self.data_type {
            ScoreDataType::Numeric => {
                let value = raw.as_f64().filter(|v| v.is_finite()).ok_or_else(|| format!("config {:?} expects a number", self.name))?;
                if self.min_value.is_some_and(|min| value < min) || self.max_value.is_some_and(|max| value > max) {
                    return Err(format!(
                        "{value} is outside the config's range [{}, {}]",
                        self.min_value.map_or("-inf".into(), |v| v.to_string()),
                        self.max_value.map_or("inf".into(), |v| v.to_string())
                    ));
                }
                Ok((Some(value), None))
            }
            ScoreDataType::Categorical | ScoreDataType::Boolean => {
                let category = match raw {
                    Value::String(label) => self.categories.iter().find(|(l, _)| l == label),
                    Value::Number(n) => self.categories.iter().find(|(_, v)| Some(*v) == n.as_f64()),
                    _ => None,
                };
                let (label, value) = category.ok_or_else(|| {
                    let labels: Vec<&str> = self.categories.iter().map(|(l, _)| l.as_str()).collect();
                    format!("{raw} is not a category of config {:?} (one of {labels:?})", self.name)
                })?;
                Ok((Some(*value), Some(label.clone())))
            }
            ScoreDataType::Text => {
                let text = raw.as_str().filter(|s| !s.is_empty() && s.chars().count() <= MAX_TEXT_SCORE_CHARS);
                let text = text.ok_or_else(|| format!("TEXT scores need a string of 1 to {MAX_TEXT_SCORE_CHARS} characters"))?;
                Ok((Some(0.0), Some(text.to_string())))
            }
            // Configs are never CORRECTION (`validate_score_config`).
            ScoreDataType::Correction => Err(format!("config {:?} cannot be CORRECTION", self.name)),
        }
    }
}

/// Langfuse's limit on config names.
pub const SCORE_CONFIG_NAME_MAX_CHARS: usize = 35;

/// The parts of a config the rules constrain.
#[derive(Debug, Clone, Copy)]
pub struct ScoreConfigShape<'a> {
    pub name: &'a str,
    pub data_type: ScoreDataType,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub categories: Option<&'a [ConfigCategory]>,
}

/// Checks a config against Langfuse's rules (docs/COMPATIBILITY.md §6.4); the error names the field
/// and what is wrong with it.
pub fn validate_score_config(config: &ScoreConfigShape<'_>) -> Result<(), String> {
    validate_config_name(config.name)?;
    let has_range = config.min_value.is_some() || config.max_value.is_some();
    match config.data_type {
        ScoreDataType::Numeric => {
            if config.categories.is_some() {
                return Err("categories: only CATEGORICAL and BOOLEAN configs have categories".into());
            }
            if let (Some(min), Some(max)) = (config.min_value, config.max_value) {
                if max <= min {
                    return Err(format!("maxValue ({max}) must be greater than minValue ({min})"));
                }
            }
        }
        ScoreDataType::Categorical => {
            if has_range {
                return Err("minValue/maxValue: only NUMERIC configs have a value range".into());
            }
            let categories = config.categories.unwrap_or_default();
            if categories.is_empty() {
                return Err("categories: a CATEGORICAL config needs at least one {label, value} category".into());
            }
            validate_categories(categories)?;
        }
        ScoreDataType::Boolean => {
            if config.categories.is_some_and(|given| given != boolean_categories().as_slice()) {
                return Err("categories: BOOLEAN configs always have the categories True = 1 and False = 0".into());
            }
        }
        ScoreDataType::Text => {
            if has_range {
                return Err("minValue/maxValue: only NUMERIC configs have a value range".into());
            }
            if config.categories.is_some() {
                return Err("categories: only CATEGORICAL and BOOLEAN configs have categories".into());
            }
        }
        ScoreDataType::Correction => {
            return Err("dataType: must be one of NUMERIC, CATEGORICAL, BOOLEAN, TEXT, got CORRECTION".into());
        }
    }
    Ok(())
}

/// 1–35 characters: letters, digits, spaces and `_ . ( ) -`.
pub fn validate_config_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if chars == 0 || chars > SCORE_CONFIG_NAME_MAX_CHARS {
        return Err(format!("name: must be 1 to {SCORE_CONFIG_NAME_MAX_CHARS} characters, got {chars}"));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_alphanumeric() || "_ .()-".contains(*c))) {
        return Err(format!(
            "name: {bad:?} is not allowed; use letters, numbers, spaces, underscores, periods, parentheses and hyphens"
        ));
    }
    Ok(())
}

fn validate_categories(categories: &[ConfigCategory]) -> Result<(), String> {
    for (i, category) in categories.iter().enumerate() {
        if category.label.is_empty() {
            return Err(format!("categories[{i}].label: must not be empty"));
        }
        if !category.value.is_finite() {
            return Err(format!("categories[{i}].value: must be a finite number"));
        }
        if let Some(earlier) = categories[..i].iter().find(|c| c.label == category.label) {
            return Err(format!("categories[{i}].label: duplicate label {:?}, labels must be unique", earlier.label));
        }
        if categories[..i].iter().any(|c| c.value == category.value) {
            return Err(format!("categories[{i}].value: duplicate value {}, values must be unique", category.value));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape<'a>(data_type: ScoreDataType, categories: Option<&'a [ConfigCategory]>) -> ScoreConfigShape<'a> {
        ScoreConfigShape { name: "quality", data_type, min_value: None, max_value: None, categories }
    }

    fn cat(label: &str, value: f64) -> ConfigCategory {
        ConfigCategory { label: label.into(), value }
    }

    fn rule(data_type: ScoreDataType, categories: Vec<(&str, f64)>) -> ScoreRule {
        ScoreRule {
            name: "quality".into(),
            data_type,
            is_archived: false,
            min_value: Some(0.0),
            max_value: Some(1.0),
            categories: categories.into_iter().map(|(l, v)| (l.to_string(), v)).collect(),
        }
    }

    #[test]
    fn values_fit_a_rule_by_range_label_or_value() {
        use serde_json::json;
        let numeric = rule(ScoreDataType::Numeric, vec![]);
        assert_eq!(numeric.fit(&json!(0.5)), Ok((Some(0.5), None)));
        assert!(numeric.fit(&json!(1.5)).unwrap_err().contains("outside the config's range [0, 1]"));
        assert!(numeric.fit(&json!("x")).unwrap_err().contains("expects a number"));
        let categorical = rule(ScoreDataType::Categorical, vec![("good", 2.0), ("bad", 0.0)]);
        assert_eq!(categorical.fit(&json!("good")), Ok((Some(2.0), Some("good".into()))));
        assert_eq!(categorical.fit(&json!(0)), Ok((Some(0.0), Some("bad".into()))));
        assert!(categorical.fit(&json!("meh")).unwrap_err().contains(r#"one of ["good", "bad"]"#));
    }

    #[test]
    fn boolean_configs_always_have_true_and_false() {
        let now = Utc::now();
        let config = ScoreConfig {
            id: "c".into(),
            project_id: "p".into(),
            name: "correct".into(),
            data_type: ScoreDataType::Boolean,
            is_archived: false,
            min_value: None,
            max_value: None,
            categories: None,
            description: None,
            created_at: now,
            updated_at: now,
        };
        let rule = ScoreRule::from(&config);
        assert_eq!(rule.fit(&serde_json::json!("True")), Ok((Some(1.0), Some("True".into()))));
        assert_eq!(rule.fit(&serde_json::json!(0)), Ok((Some(0.0), Some("False".into()))));
    }

    #[test]
    fn names_follow_langfuse_rules() {
        assert!(validate_config_name("Helpfulness (v2) - final_1.0").is_ok());
        assert!(validate_config_name("qualité").is_ok());
        assert!(validate_config_name("").unwrap_err().contains("got 0"));
        assert!(validate_config_name(&"x".repeat(36)).unwrap_err().contains("got 36"));
        assert!(validate_config_name("a/b").unwrap_err().contains("'/'"));
    }

    #[test]
    fn numeric_range_must_be_increasing() {
        let mut config = shape(ScoreDataType::Numeric, None);
        config.min_value = Some(5.0);
        config.max_value = Some(1.0);
        assert!(validate_score_config(&config).unwrap_err().contains("maxValue (1) must be greater than minValue (5)"));
        config.max_value = Some(10.0);
        assert!(validate_score_config(&config).is_ok());
        config.max_value = None;
        assert!(validate_score_config(&config).is_ok());
    }

    #[test]
    fn categorical_needs_unique_categories_and_no_range() {
        assert!(validate_score_config(&shape(ScoreDataType::Categorical, None)).unwrap_err().contains("at least one"));
        let dup_label = [cat("good", 1.0), cat("good", 2.0)];
        assert!(validate_score_config(&shape(ScoreDataType::Categorical, Some(&dup_label)))
            .unwrap_err()
            .contains("duplicate label"));
        let dup_value = [cat("good", 1.0), cat("bad", 1.0)];
        assert!(validate_score_config(&shape(ScoreDataType::Categorical, Some(&dup_value)))
            .unwrap_err()
            .contains("duplicate value"));
        let ok = [cat("good", 1.0), cat("bad", 0.0)];
        assert!(validate_score_config(&shape(ScoreDataType::Categorical, Some(&ok))).is_ok());
        let mut ranged = shape(ScoreDataType::Categorical, Some(&ok));
        ranged.min_value = Some(0.0);
        assert!(validate_score_config(&ranged).unwrap_err().contains("only NUMERIC"));
    }

    #[test]
    fn boolean_and_text_rules() {
        let fixed = boolean_categories();
        assert!(validate_score_config(&shape(ScoreDataType::Boolean, Some(&fixed))).is_ok());
        let other = [cat("Yes", 1.0), cat("No", 0.0)];
        assert!(validate_score_config(&shape(ScoreDataType::Boolean, Some(&other))).is_err());
        assert!(validate_score_config(&shape(ScoreDataType::Text, Some(&fixed))).is_err());
        assert!(validate_score_config(&shape(ScoreDataType::Text, None)).is_ok());
        assert!(validate_score_config(&shape(ScoreDataType::Numeric, Some(&fixed))).is_err());
        assert!(validate_score_config(&shape(ScoreDataType::Correction, None)).is_err());
    }

    #[test]
    fn text_scores_serialize_without_value() {
        let now = Utc::now();
        let score = Score {
            id: "s".into(),
            project_id: "p".into(),
            name: "feedback".into(),
            value: None,
            string_value: Some("great".into()),
            data_type: ScoreDataType::Text,
            source: ScoreSource::Api,
            trace_id: Some("t".into()),
            observation_id: None,
            session_id: None,
            dataset_run_id: None,
            timestamp: now,
            created_at: now,
            updated_at: now,
            author_user_id: None,
            comment: None,
            metadata: Value::Object(Default::default()),
            config_id: None,
            queue_id: None,
            execution_trace_id: None,
            environment: "default".into(),
        };
        let json = serde_json::to_value(&score).unwrap();
        assert!(json.get("value").is_none());
        assert_eq!(json["stringValue"], "great");
        assert_eq!(json["dataType"], "TEXT");
        assert_eq!(json["traceId"], "t");
    }
}
