//! Score validation (docs/COMPATIBILITY.md §3.4 ScoreBody, §6.1, §6.2), shared by `POST
//! /api/public/scores` and the batch API's `score-create` events. Checking is in two steps: the
//! body alone ([`parse`]), then against the project's score configs ([`apply_configs`], one query
//! for the whole request).

use loupe_core::scope::ProjectId;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use loupe_app::domain::{ScoreDataType, ScoreSource};
use serde_json::Value;
use loupe_core::store::StoreError;
use sqlx::PgPool;

use super::environment;
use super::fields::Fields;
use super::model::ScoreRecord;
use super::storable;

use loupe_app::domain::score_views::MAX_TEXT_SCORE_CHARS as MAX_TEXT_LEN;

/// A score whose body is valid; `config_id`, when set, still has to be checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDraft {
    pub record: ScoreRecord,
    /// The value as sent, for config checks (`Value::Number` or `Value::String`).
    pub raw_value: Value,
    /// Whether `dataType` was given (otherwise it was inferred and a config may override it).
    pub explicit_type: bool,
}

/// Validates a score body. `default_timestamp` applies when the body has none.
pub fn parse(body: &Value, path: &str, default_timestamp: DateTime<Utc>) -> Result<ScoreDraft, String> {
    let f = Fields::of(body, path)?;
    let id = match f.string("id")? {
        Some(id) if !id.is_empty() => id,
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let name = f.string("name")?.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(format!("{}: a non-empty name is required", f.path("name")));
    }
    let raw_value = match f.any("value") {
        Some(v @ (Value::Number(_) | Value::String(_))) => v.clone(),
        Some(Value::Bool(b)) => Value::from(if *b { 1 } else { 0 }),
        Some(_) => return Err(format!("{}: expected a number or a string", f.path("value"))),
        None => return Err(format!("{}: a value is required", f.path("value"))),
    };
    let explicit_type = f.any("dataType").is_some();
    let data_type = match f.string("dataType")? {
        Some(t) => t.parse::<ScoreDataType>().map_err(|_| {
            format!("{}: expected one of NUMERIC, CATEGORICAL, BOOLEAN, TEXT, CORRECTION, got {t:?}", f.path("dataType"))
        })?,
        None if raw_value.is_string() => ScoreDataType::Categorical,
        None => ScoreDataType::Numeric,
    };
    let source = match f.string("source")? {
        None => ScoreSource::Api,
        Some(s) => match s.parse::<ScoreSource>() {
            Ok(ScoreSource::Eval) => return Err(format!("{}: EVAL scores cannot be created through the public API", f.path("source"))),
            Ok(source) => source,
            Err(_) => return Err(format!("{}: expected API or ANNOTATION, got {s:?}", f.path("source"))),
        },
    };
    let trace_id = f.string("traceId")?.filter(|s| !s.is_empty());
    let observation_id = f.string("observationId")?.filter(|s| !s.is_empty());
    let session_id = f.string("sessionId")?.filter(|s| !s.is_empty());
    let dataset_run_id = f.string("datasetRunId")?.filter(|s| !s.is_empty());
    let targets = [&trace_id, &session_id, &dataset_run_id].iter().filter(|t| t.is_some()).count();
    if targets != 1 {
        return Err(format!(
            "{path}: a score needs exactly one target: traceId (optionally with observationId), sessionId or datasetRunId; got {targets}"
        ));
    }
    if observation_id.is_some() && trace_id.is_none() {
        return Err(format!("{}: observationId is only allowed together with traceId", f.path("observationId")));
    }
    let config_id = f.string("configId")?;
    if source == ScoreSource::Annotation && config_id.is_none() && data_type != ScoreDataType::Correction {
        return Err(format!("{}: ANNOTATION scores need a configId", f.path("source")));
    }
    let (value, string_value) = typed_value(data_type, &raw_value, &f)?;
    if data_type == ScoreDataType::Correction {
        if trace_id.is_none() {
            return Err(format!("{path}: CORRECTION scores apply to traces or observations only"));
        }
        if config_id.is_some() {
            return Err(format!("{}: CORRECTION scores cannot use a score config", f.path("configId")));
        }
    }
    let mut record = ScoreRecord {
        id,
        timestamp: f.datetime("timestamp")?.unwrap_or(default_timestamp),
        name,
        value,
        string_value,
        data_type,
        source,
        trace_id,
        observation_id,
        session_id,
        dataset_run_id,
        comment: f.lenient_string("comment")?,
        metadata: f.any("metadata").cloned().unwrap_or_else(|| Value::Object(Default::default())),
        config_id,
        queue_id: f.string("queueId")?,
        execution_trace_id: f.string("executionTraceId")?,
        environment: environment::normalize(f.string("environment")?.as_deref()),
        author_user_id: None,
    };
    storable::score(&mut record).map_err(|refusal| f.path(&refusal.to_string()))?;
    Ok(ScoreDraft { record, raw_value, explicit_type })
}

fn typed_value(data_type: ScoreDataType, raw: &Value, f: &Fields<'_>) -> Result<(Option<f64>, Option<String>), String> {
    let path = f.path("value");
    match data_type {
        ScoreDataType::Numeric => match raw.as_f64() {
            Some(v) if v.is_finite() => Ok((Some(v), None)),
            _ => Err(format!("{path}: NUMERIC scores need a finite number, got {raw}")),
        },
        ScoreDataType::Boolean => match raw.as_f64() {
            Some(v) if v == 0.0 || v == 1.0 => Ok((Some(v), Some(if v == 1.0 { "True" } else { "False" }.to_string()))),
            _ => Err(format!("{path}: BOOLEAN scores need 0 or 1, got {raw}")),
        },
        ScoreDataType::Categorical => match raw {
            Value::String(s) if !s.is_empty() => Ok((Some(0.0), Some(s.clone()))),
            // A number with a categorical type is kept as its text (its config may map it).
            Value::Number(n) => Ok((n.as_f64(), Some(n.to_string()))),
            _ => Err(format!("{path}: CATEGORICAL scores need a non-empty string")),
        },
        ScoreDataType::Text | ScoreDataType::Correction => match raw {
            Value::String(s) if !s.is_empty() && (data_type == ScoreDataType::Correction || s.chars().count() <= MAX_TEXT_LEN) => {
                Ok((Some(0.0), Some(s.clone())))
            }
            _ => Err(format!("{path}: {data_type} scores need a string of 1 to {MAX_TEXT_LEN} characters")),
        },
    }
}

/// A score config as needed for validation (one definition, shared with the annotation forms).
pub use loupe_app::domain::score_views::ScoreRule as ConfigRule;

pub async fn load_configs(pool: &PgPool, project_id: &ProjectId, ids: &[String]) -> Result<HashMap<String, ConfigRule>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let configs = loupe_core::store::score_configs::get_many(pool, project_id, ids).await?;
    Ok(configs
        .into_iter()
        .map(|c| (c.id.clone(), ConfigRule::from(&c)))
        .collect())
}

/// Why a score that parsed was still refused by its config.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigRejection {
    /// The `configId` names no config of the project (404, as Langfuse).
    UnknownConfig(String),
    /// The value or type does not fit the config (400).
    Invalid(String),
}

impl ConfigRejection {
    pub fn status(&self) -> u16 {
        match self {
            ConfigRejection::UnknownConfig(_) => 404,
            ConfigRejection::Invalid(_) => 400,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ConfigRejection::UnknownConfig(m) | ConfigRejection::Invalid(m) => m,
        }
    }
}

/// Checks every draft against its project's configs (one query for all of them), in order. The
/// shared last step of `POST /scores` and the batch API's `score-create` events.
pub async fn resolve_configs<K>(
    pool: &PgPool,
    project_id: &ProjectId,
    drafts: Vec<(K, String, ScoreDraft)>,
) -> Result<Vec<(K, Result<ScoreRecord, ConfigRejection>)>, StoreError> {
    let ids: Vec<String> = drafts.iter().filter_map(|(_, _, d)| d.record.config_id.clone()).collect();
    let configs = load_configs(pool, project_id, &ids).await?;
    Ok(drafts.into_iter().map(|(key, path, draft)| (key, apply_config(draft, &configs, &path))).collect())
}

/// Checks a draft against its config (if any) and returns the record to store: the config's name
/// and data type apply, the value must fit its range or categories.
pub fn apply_config(draft: ScoreDraft, configs: &HashMap<String, ConfigRule>, path: &str) -> Result<ScoreRecord, ConfigRejection> {
    let ScoreDraft { record, raw_value, explicit_type } = draft;
    let Some(config_id) = record.config_id.as_deref() else { return Ok(record) };
    let config = configs.get(config_id).ok_or_else(|| {
        ConfigRejection::UnknownConfig(format!(
            "{path}.configId: The configId you provided does not match a valid config in this project"
        ))
    })?;
    check_against(record, config, &raw_value, explicit_type, path).map_err(ConfigRejection::Invalid)
}

fn check_against(mut record: ScoreRecord, config: &ConfigRule, raw_value: &Value, explicit_type: bool, path: &str) -> Result<ScoreRecord, String> {
    let config_id = record.config_id.clone().unwrap_or_default();
    if config.is_archived {
        return Err(format!("{path}.configId: config {config_id:?} is archived"));
    }
    if explicit_type && record.data_type != config.data_type {
        return Err(format!(
            "{path}.dataType: {} does not match the config's data type {}",
            record.data_type, config.data_type
        ));
    }
    record.name = config.name.clone();
    record.data_type = config.data_type;
    let (value, string_value) = config.fit(raw_value).map_err(|why| format!("{path}.value: {why}"))?;
    record.value = value;
    record.string_value = string_value;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    #[test]
    fn infers_types_and_fills_defaults() {
        let d = parse(&json!({"traceId": "t", "name": "accuracy", "value": 0.9}), "score", now()).unwrap();
        assert_eq!(d.record.data_type, ScoreDataType::Numeric);
        assert_eq!(d.record.value, Some(0.9));
        assert_eq!(d.record.source, ScoreSource::Api);
        assert_eq!(d.record.environment, "default");
        assert!(!d.record.id.is_empty());
        let d = parse(&json!({"traceId": "t", "name": "c", "value": "great"}), "score", now()).unwrap();
        assert_eq!(d.record.data_type, ScoreDataType::Categorical);
        assert_eq!(d.record.string_value.as_deref(), Some("great"));
        let d = parse(&json!({"sessionId": "s", "name": "b", "value": 1, "dataType": "BOOLEAN"}), "score", now()).unwrap();
        assert_eq!(d.record.string_value.as_deref(), Some("True"));
    }

    #[test]
    fn rejects_bad_targets_values_and_types_naming_the_field() {
        let cases = [
            (json!({"name": "x", "value": 1}), "exactly one target"),
            (json!({"traceId": "t", "sessionId": "s", "name": "x", "value": 1}), "exactly one target"),
            (json!({"sessionId": "s", "observationId": "o", "name": "x", "value": 1}), "score.observationId"),
            (json!({"traceId": "t", "name": "", "value": 1}), "score.name"),
            (json!({"traceId": "t", "name": "x"}), "score.value: a value is required"),
            (json!({"traceId": "t", "name": "x", "value": 2, "dataType": "BOOLEAN"}), "BOOLEAN scores need 0 or 1"),
            (json!({"traceId": "t", "name": "x", "value": "a", "dataType": "NUMERIC"}), "NUMERIC"),
            (json!({"traceId": "t", "name": "x", "value": 1, "dataType": "PERCENT"}), "score.dataType"),
            (json!({"traceId": "t", "name": "x", "value": 1, "source": "EVAL"}), "EVAL"),
            (json!({"traceId": "t", "name": "x", "value": 1, "source": "ANNOTATION"}), "configId"),
            (json!({"traceId": "t", "name": "x", "value": "y".repeat(501), "dataType": "TEXT"}), "1 to 500"),
            (json!({"traceId": "t", "name": "x", "value": 1, "timestamp": "yesterday"}), "score.timestamp"),
            (json!([1]), "expected an object"),
        ];
        for (body, expected) in cases {
            let error = parse(&body, "score", now()).unwrap_err();
            assert!(error.contains(expected), "{body}: {error}");
        }
    }

    #[test]
    fn configs_rename_range_check_and_map_categories() {
        let mut configs = HashMap::new();
        configs.insert(
            "c1".to_string(),
            ConfigRule { name: "quality".into(), data_type: ScoreDataType::Numeric, is_archived: false, min_value: Some(0.0), max_value: Some(1.0), categories: vec![] },
        );
        configs.insert(
            "c2".to_string(),
            ConfigRule {
                name: "tone".into(),
                data_type: ScoreDataType::Categorical,
                is_archived: false,
                min_value: None,
                max_value: None,
                categories: vec![("good".into(), 1.0), ("bad".into(), 0.0)],
            },
        );
        let draft = parse(&json!({"traceId": "t", "name": "x", "value": 0.5, "configId": "c1"}), "s", now()).unwrap();
        assert_eq!(apply_config(draft, &configs, "s").unwrap().name, "quality");
        let draft = parse(&json!({"traceId": "t", "name": "x", "value": 1.5, "configId": "c1"}), "s", now()).unwrap();
        assert!(apply_config(draft, &configs, "s").unwrap_err().message().contains("outside"));
        let draft = parse(&json!({"traceId": "t", "name": "x", "value": "good", "configId": "c2"}), "s", now()).unwrap();
        let record = apply_config(draft, &configs, "s").unwrap();
        assert_eq!((record.value, record.string_value.as_deref()), (Some(1.0), Some("good")));
        let draft = parse(&json!({"traceId": "t", "name": "x", "value": "meh", "configId": "c2"}), "s", now()).unwrap();
        assert!(apply_config(draft, &configs, "s").unwrap_err().message().contains("not a category"));
        let draft = parse(&json!({"traceId": "t", "name": "x", "value": 1, "configId": "nope"}), "s", now()).unwrap();
        let rejection = apply_config(draft, &configs, "s").unwrap_err();
        assert!(rejection.message().contains("does not match a valid config"));
        assert_eq!(rejection.status(), 404);
    }
}
