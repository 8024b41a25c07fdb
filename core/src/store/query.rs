//! Pieces shared by the tracing read queries: the page window, SQL fragments that several
//! modules push into a `QueryBuilder`, and decoding of the columns Postgres cannot type for us
//! (text enums, JSON maps).

use super::StoreError;
use std::collections::BTreeMap;
use std::str::FromStr;

use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

/// `%phrase%` for ILIKE, with the phrase's own `%`, `_` and `\` matching literally.
pub fn contains_pattern(phrase: &str) -> String {
    let mut pattern = String::with_capacity(phrase.len() + 2);
    pattern.push('%');
    for c in phrase.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A list's optional search as an ILIKE pattern ([`contains_pattern`] of the trimmed text), or
/// `""` for no search, which the queries read as "no filter".
pub fn search_pattern(search: &str) -> String {
    let search = search.trim();
    if search.is_empty() { String::new() } else { contains_pattern(search) }
}

/// The first `limit` of `rows` fetched with `LIMIT limit + 1`, and whether more follow.
pub fn split_page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

/// Which rows of a sorted result a page-paginated list returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub(crate) fn push(self, qb: &mut QueryBuilder<'_, Postgres>) {
        qb.push(" LIMIT ").push_bind(self.limit).push(" OFFSET ").push_bind(self.offset);
    }
}

/// Comparison operators for numeric filters (`value` + `operator` on score lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Lt,
    Gt,
    Le,
    Ge,
    Ne,
    Eq,
}

impl Compare {
    pub const SPELLINGS: &'static [&'static str] = &["<", ">", "<=", ">=", "!=", "="];

    pub fn parse(s: &str) -> Option<Compare> {
        Some(match s {
            "<" => Compare::Lt,
            ">" => Compare::Gt,
            "<=" => Compare::Le,
            ">=" => Compare::Ge,
            "!=" | "<>" => Compare::Ne,
            "=" => Compare::Eq,
            _ => return None,
        })
    }

    pub(crate) fn sql(self) -> &'static str {
        match self {
            Compare::Lt => " < ",
            Compare::Gt => " > ",
            Compare::Le => " <= ",
            Compare::Ge => " >= ",
            Compare::Ne => " <> ",
            Compare::Eq => " = ",
        }
    }
}

/// ` AND <column> = $n` when the value is given.
pub(crate) fn push_eq(qb: &mut QueryBuilder<'_, Postgres>, column: &str, value: &Option<String>) {
    if let Some(value) = value {
        qb.push(" AND ").push(column).push(" = ").push_bind(value.clone());
    }
}

/// ` AND <column> = ANY($n)` when the list is not empty.
pub(crate) fn push_any(qb: &mut QueryBuilder<'_, Postgres>, column: &str, values: &[String]) {
    if !values.is_empty() {
        qb.push(" AND ").push(column).push(" = ANY(").push_bind(values.to_vec()).push(")");
    }
}

/// A text column holding one of our wire enums.
pub(crate) fn enum_column<T>(row: &PgRow, column: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e| sqlx::Error::ColumnDecode { index: column.to_string(), source: Box::new(e) }).map_err(StoreError::from)
}

/// `{usage type: count}`: integers kept, whole floats and numeric strings converted, anything
/// else dropped (the writer only stores integers; this tolerates rows written by hand).
pub(crate) fn count_map(value: Option<Value>) -> BTreeMap<String, i64> {
    let Some(Value::Object(map)) = value else { return BTreeMap::new() };
    map.into_iter()
        .filter_map(|(k, v)| {
            let n = match &v {
                Value::Number(n) => {
                    n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.round() as i64))
                }
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }?;
            Some((k, n))
        })
        .collect()
}

/// `{usage type: USD}`: numbers kept, anything else dropped.
pub(crate) fn amount_map(value: Option<Value>) -> BTreeMap<String, f64> {
    let Some(Value::Object(map)) = value else { return BTreeMap::new() };
    map.into_iter().filter_map(|(k, v)| Some((k, v.as_f64()?))).collect()
}

/// A JSON column that is never null in the schema but may be in hand-written rows.
pub(crate) fn object_or_empty(value: Option<Value>) -> Value {
    value.unwrap_or_else(|| Value::Object(Default::default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_maps_keep_numbers_only() {
        let counts = count_map(Some(json!({"input": 3, "output": 2.0, "total": "5", "bad": "x", "nested": {}})));
        assert_eq!(
            counts,
            [("input", 3), ("output", 2), ("total", 5)].into_iter().map(|(k, v)| (k.to_string(), v)).collect()
        );
        let amounts = amount_map(Some(json!({"input": 0.5, "note": "x"})));
        assert_eq!(amounts.len(), 1);
        assert!(count_map(Some(json!([1, 2]))).is_empty());
        assert!(count_map(None).is_empty());
    }

    #[test]
    fn operators_parse() {
        for spelling in Compare::SPELLINGS {
            assert!(Compare::parse(spelling).is_some());
        }
        assert_eq!(Compare::parse("=="), None);
    }
}
