//! Typed reads of untrusted JSON objects with error messages that name the field's path
//! (`batch[3].body.startTime: expected an ISO-8601 datetime with offset, got 12`). Unknown fields
//! are ignored, as Langfuse's schemas strip them (old SDKs send extra keys).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use loupe_app::domain::json;

pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

pub type FieldResult<T> = Result<T, String>;

/// Parses an ISO-8601 datetime; an offset or `Z` is expected but a naive time is read as UTC
/// (some SDKs drop the suffix).
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Some(parsed.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|naive| naive.and_utc())
}

impl<'a> Fields<'a> {
    pub fn of(value: &'a Value, path: impl Into<String>) -> FieldResult<Fields<'a>> {
        let path = path.into();
        match value {
            Value::Object(map) => Ok(Fields { map, path }),
            other => Err(format!("{path}: expected an object, got {}", json::kind(other))),
        }
    }

    pub fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn type_error(&self, key: &str, expected: &str, got: &Value) -> String {
        format!("{}: expected {expected}, got {}", self.path(key), json::kind(got))
    }

    /// The raw value; JSON `null` counts as absent (a later write with null keeps what is stored).
    pub fn any(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn string(&self, key: &str) -> FieldResult<Option<String>> {
        match self.any(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.type_error(key, "a string", other)),
        }
    }

    /// A string of at most `max` characters.
    pub fn bounded_string(&self, key: &str, max: usize) -> FieldResult<Option<String>> {
        let value = self.string(key)?;
        if let Some(s) = &value {
            let length = s.chars().count();
            if length > max {
                return Err(format!("{}: at most {max} characters allowed, got {length}", self.path(key)));
            }
        }
        Ok(value)
    }

    /// Strings, numbers and booleans are all accepted as text (SDKs send versions as numbers).
    pub fn lenient_string(&self, key: &str) -> FieldResult<Option<String>> {
        match self.any(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(v.to_string())),
            Some(other) => Err(self.type_error(key, "a string", other)),
        }
    }

    pub fn boolean(&self, key: &str) -> FieldResult<Option<bool>> {
        match self.any(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => Err(self.type_error(key, "a boolean", other)),
        }
    }

    pub fn datetime(&self, key: &str) -> FieldResult<Option<DateTime<Utc>>> {
        match self.any(key) {
            None => Ok(None),
            Some(Value::String(s)) => parse_datetime(s)
                .map(Some)
                .ok_or_else(|| format!("{}: expected an ISO-8601 datetime such as 2026-01-31T12:00:00.000Z, got {s:?}", self.path(key))),
            Some(other) => Err(self.type_error(key, "an ISO-8601 datetime string", other)),
        }
    }

    pub fn integer(&self, key: &str) -> FieldResult<Option<i64>> {
        match self.any(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| format!("{}: expected an integer, got {n}", self.path(key))),
            Some(other) => Err(self.type_error(key, "an integer", other)),
        }
    }

    pub fn object(&self, key: &str) -> FieldResult<Option<&'a Value>> {
        match self.any(key) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(v)),
            Some(other) => Err(self.type_error(key, "an object", other)),
        }
    }

    pub fn string_array(&self, key: &str) -> FieldResult<Option<Vec<String>>> {
        match self.any(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(format!("{}[{i}]: expected a string, got {}", self.path(key), json::kind(other))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.type_error(key, "an array of strings", other)),
        }
    }
}
