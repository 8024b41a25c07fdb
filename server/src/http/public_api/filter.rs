//! Langfuse's JSON `filter` query parameter (`GET /traces`, `/observations`, `/v2/observations`):
//! an array of filter objects `{type, column, operator, value, key?}`, the same types and
//! operators as the metrics API's `filters`:
//!
//! | type | operators | value |
//! |---|---|---|
//! | `datetime` | `>` `<` `>=` `<=` | ISO-8601 |
//! | `string` | `=` `contains` `does not contain` `starts with` `ends with` | string |
//! | `stringOptions`, `categoryOptions` | `any of` `none of` | non-empty string array |
//! | `arrayOptions` | `any of` `none of` `all of` | non-empty string array (tags) |
//! | `number` | `=` `>` `<` `>=` `<=` | number |
//! | `stringObject`, `numberObject`, `booleanObject` | as string / number / boolean, plus `key` | by type |
//! | `boolean` | `=` `<>` | boolean |
//! | `null` | `is null` `is not null` | `""` |
//!
//! Columns are matched by Langfuse's column id or display name (`userId` or `User ID`). Every
//! mistake is a 400 naming the entry: `filter[1].operator: …`. The conditions are combined with
//! the route's other query parameters (all must hold).

use chrono::{DateTime, Utc};
use loupe_app::domain::json;
use loupe_core::store::conditions::{Column, ColumnKind, Condition, Op, Operand};
use serde_json::Value;

use super::error::ApiError;

/// At most this many filter objects in one request.
const MAX_FILTERS: usize = 50;

/// Parses the `filter` parameter (absent or empty: no conditions).
pub fn parse(raw: Option<&str>, columns: &[Column]) -> Result<Vec<Condition>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(Vec::new()) };
    let value: Value = serde_json::from_str(raw).map_err(|e| ApiError::invalid(format!("filter: not valid JSON: {e}")))?;
    let Value::Array(items) = value else {
        return Err(ApiError::invalid(format!("filter: expected a JSON array of filter objects, got {}", json::kind(&value))));
    };
    if items.len() > MAX_FILTERS {
        return Err(ApiError::invalid(format!("filter: at most {MAX_FILTERS} filter objects, got {}", items.len())));
    }
    items.iter().enumerate().map(|(i, item)| condition(item, columns).map_err(|m| ApiError::invalid(format!("filter[{i}].{m}")))).collect()
}

fn text<'a>(object: &'a serde_json::Map<String, Value>, field: &str) -> Result<&'a str, String> {
    match object.get(field) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!("{field}: expected a string, got {}", json::kind(other))),
        None => Err(format!("{field}: required")),
    }
}

fn condition(item: &Value, columns: &[Column]) -> Result<Condition, String> {
    let Value::Object(object) = item else { return Err(format!("type: expected a filter object, got {}", json::kind(item))) };
    let r#type = text(object, "type")?;
    let column_name = text(object, "column")?;
    let operator = text(object, "operator")?;
    let column = *columns.iter().find(|c| c.matches(column_name)).ok_or_else(|| {
        let known: Vec<&str> = columns.iter().map(|c| c.id).collect();
        format!("column: unknown column {column_name:?}; filterable columns are {}", known.join(", "))
    })?;
    let value = object.get("value").unwrap_or(&Value::Null);
    let (fits, ops): (bool, &[(&str, Op)]) = match r#type {
        "datetime" => (column.kind == ColumnKind::DateTime, COMPARE_ONLY),
        "string" => (column.kind == ColumnKind::Text, STRING_OPS),
        "stringOptions" | "categoryOptions" => (column.kind == ColumnKind::Text, OPTIONS),
        "arrayOptions" => (column.kind == ColumnKind::Tags, ARRAY_OPTIONS),
        "number" => (column.kind == ColumnKind::Number, NUMBER_OPS),
        "stringObject" => (column.kind == ColumnKind::Object, STRING_OPS),
        "numberObject" => (column.kind == ColumnKind::Object, NUMBER_OPS),
        "booleanObject" | "boolean" => (column.kind == if r#type == "boolean" { ColumnKind::Bool } else { ColumnKind::Object }, BOOL_OPS),
        "null" => (true, NULL_OPS),
        other => {
            return Err(format!(
                "type: unknown filter type {other:?}; expected datetime, string, stringOptions, categoryOptions, arrayOptions, \
                 number, stringObject, numberObject, booleanObject, boolean or null"
            ))
        }
    };
    if !fits {
        return Err(format!("type: {type:?} does not apply to column {:?} ({})", column.id, describe(column.kind), type = r#type));
    }
    let op = ops.iter().find(|(name, _)| name.eq_ignore_ascii_case(operator)).map(|(_, op)| *op).ok_or_else(|| {
        let names: Vec<&str> = ops.iter().map(|(name, _)| *name).collect();
        format!("operator: {operator:?} is not an operator of {type}; expected one of {}", names.join(", "), type = r#type)
    })?;
    let key = if r#type.ends_with("Object") {
        match object.get("key") {
            Some(Value::String(key)) if !key.is_empty() => Some(key.clone()),
            _ => return Err("key: the metadata key to filter on is required (a non-empty string)".into()),
        }
    } else {
        None
    };
    let operand = match r#type {
        "null" => Operand::None,
        "datetime" => Operand::DateTime(datetime(value)?),
        "string" | "stringObject" => Operand::Text(value.as_str().ok_or_else(|| expected("a string", value))?.to_string()),
        "number" | "numberObject" => Operand::Number(value.as_f64().filter(|n| n.is_finite()).ok_or_else(|| expected("a number", value))?),
        "boolean" | "booleanObject" => Operand::Bool(value.as_bool().ok_or_else(|| expected("true or false", value))?),
        _ => Operand::Texts(strings(value)?),
    };
    Ok(Condition { column, key, op, operand })
}

fn expected(what: &str, value: &Value) -> String {
    format!("value: expected {what}, got {}", json::kind(value))
}

fn datetime(value: &Value) -> Result<DateTime<Utc>, String> {
    let text = value.as_str().ok_or_else(|| expected("an ISO-8601 datetime string", value))?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("value: expected an ISO-8601 datetime such as 2026-01-31T12:00:00Z, got {text:?}"))
}

fn strings(value: &Value) -> Result<Vec<String>, String> {
    let items = value.as_array().filter(|items| !items.is_empty()).ok_or_else(|| expected("a non-empty array of strings", value))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| item.as_str().map(str::to_string).ok_or_else(|| format!("value[{i}]: expected a string, got {}", json::kind(item))))
        .collect()
}

fn describe(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Text => "text: string, stringOptions or null",
        ColumnKind::DateTime => "a time: datetime or null",
        ColumnKind::Number => "a number: number or null",
        ColumnKind::Bool => "a boolean: boolean",
        ColumnKind::Tags => "tags: arrayOptions",
        ColumnKind::Object => "an object: stringObject, numberObject or booleanObject with a key",
    }
}

const COMPARE_ONLY: &[(&str, Op)] = &[(">", Op::Gt), ("<", Op::Lt), (">=", Op::Ge), ("<=", Op::Le)];
const NUMBER_OPS: &[(&str, Op)] = &[("=", Op::Eq), (">", Op::Gt), ("<", Op::Lt), (">=", Op::Ge), ("<=", Op::Le)];
const STRING_OPS: &[(&str, Op)] = &[
    ("=", Op::Eq),
    ("contains", Op::Contains),
    ("does not contain", Op::NotContains),
    ("starts with", Op::StartsWith),
    ("ends with", Op::EndsWith),
];
const OPTIONS: &[(&str, Op)] = &[("any of", Op::AnyOf), ("none of", Op::NoneOf)];
const ARRAY_OPTIONS: &[(&str, Op)] = &[("any of", Op::AnyOf), ("none of", Op::NoneOf), ("all of", Op::AllOf)];
const BOOL_OPS: &[(&str, Op)] = &[("=", Op::Eq), ("<>", Op::Ne)];
const NULL_OPS: &[(&str, Op)] = &[("is null", Op::IsNull), ("is not null", Op::IsNotNull)];

#[cfg(test)]
mod tests {
    use super::*;
    use loupe_core::store::conditions::TRACE_COLUMNS;

    fn error(raw: &str) -> String {
        parse(Some(raw), TRACE_COLUMNS).unwrap_err().message
    }

    #[test]
    fn every_type_parses_against_its_columns() {
        let raw = r#"[
            {"type":"arrayOptions","column":"tags","operator":"any of","value":["x"]},
            {"type":"datetime","column":"Timestamp","operator":">=","value":"2026-01-01T00:00:00Z"},
            {"type":"string","column":"User ID","operator":"starts with","value":"u"},
            {"type":"stringOptions","column":"environment","operator":"none of","value":["dev"]},
            {"type":"number","column":"latency","operator":"<","value":2.5},
            {"type":"stringObject","column":"metadata","key":"tenant","operator":"=","value":"acme"},
            {"type":"numberObject","column":"metadata","key":"n","operator":">","value":1},
            {"type":"booleanObject","column":"metadata","key":"b","operator":"=","value":true},
            {"type":"boolean","column":"public","operator":"<>","value":false},
            {"type":"null","column":"sessionId","operator":"is null","value":""}
        ]"#;
        let conditions = parse(Some(raw), TRACE_COLUMNS).unwrap();
        assert_eq!(conditions.len(), 10);
        assert_eq!(conditions[1].column.id, "timestamp");
        assert_eq!(conditions[5].key.as_deref(), Some("tenant"));
        assert_eq!(conditions[9].op, Op::IsNull);
    }

    #[test]
    fn mistakes_name_the_entry_and_what_is_allowed() {
        assert!(error(r#"[{"type":"string","column":"nope","operator":"=","value":"x"}]"#).starts_with("filter[0].column: unknown column \"nope\""));
        assert!(error(r#"[{"type":"string","column":"name","operator":"like","value":"x"}]"#)
            .contains("filter[0].operator: \"like\" is not an operator of string; expected one of =, contains"));
        assert!(error(r#"[{"type":"number","column":"name","operator":"=","value":1}]"#).contains("does not apply to column \"name\""));
        assert!(error(r#"[{"type":"stringObject","column":"metadata","operator":"=","value":"x"}]"#).contains("filter[0].key"));
        assert!(error(r#"[{"type":"arrayOptions","column":"tags","operator":"any of","value":[]}]"#).contains("non-empty array"));
        assert!(error(r#"[{"type":"datetime","column":"timestamp","operator":">","value":"yesterday"}]"#).contains("ISO-8601"));
        assert!(error(r#"{"type":"string"}"#).contains("expected a JSON array"));
        assert!(error("[{").contains("not valid JSON"));
        assert!(parse(Some(""), TRACE_COLUMNS).unwrap().is_empty());
    }
}
