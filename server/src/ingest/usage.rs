//! Usage normalization, one place for every ingestion path (LANGFUSE_COMPAT.md §3.6 and §4.6):
//! legacy `usage` objects, OpenAI Chat Completions / Responses usage objects, free
//! `{usage type: count}` maps and OTel GenAI / OpenInference counts all become one
//! `{usage type: count}` map, plus provided costs as `{usage type: USD}`.
//! TODO(pricing helper).

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::UsageInput;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct NormalizedUsage {
    /// Provided usage, e.g. `{"input": 10, "input_cached_tokens": 2, "output": 6, "total": 19}`.
    pub usage: BTreeMap<String, i64>,
    /// `TOKENS`, `CHARACTERS`, ... when the legacy `usage.unit` said so.
    pub unit: Option<String>,
    /// Provided cost in USD, e.g. `{"input": 0.001, "total": 0.003}`.
    pub cost: BTreeMap<String, f64>,
}

pub fn normalize(_usage: &UsageInput, _cost: Option<&Value>) -> NormalizedUsage {
    NormalizedUsage::default()
}
