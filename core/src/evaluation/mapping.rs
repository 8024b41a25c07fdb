//! A variable's value from its mapping: the target's input, output, metadata or expected output,
//! narrowed by a JSON path (RFC 9535, `serde_json_path`). The rules follow Langfuse's: a string
//! that holds JSON (even JSON encoded twice) is parsed before the path applies; one match is the
//! value, several are a list, none is an error; strings go into the prompt as they are, anything
//! else as compact JSON.
//!
//! A mapping that finds nothing is an error naming the variable, the field and the path: the
//! judge is never asked about an empty value it would score anyway.

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::store::evaluators::TargetFields;
use loupe_domain::evaluators::{FieldProblem, MappingSource, VariableMapping};

/// How deep a string holding JSON is unwrapped (a JSON string of a JSON string of …).
const MAX_DECODING: usize = 3;
/// Characters of one variable's value in the prompt; the rest is cut with a note, so one huge
/// input cannot make every judge call fail on the model's context length.
pub const MAX_VALUE_CHARS: usize = 100_000;

/// Checks the JSON paths of a mapping; the problem names the field (`mapping[1].jsonPath`).
pub fn check_paths(mapping: &[VariableMapping]) -> Result<(), FieldProblem> {
    for (i, m) in mapping.iter().enumerate() {
        if let Some(path) = &m.json_path {
            JsonPath::parse(path).map_err(|e| FieldProblem::new(format!("mapping[{i}].jsonPath"), format!("not a JSON path: {e}")))?;
        }
    }
    Ok(())
}

/// What the target is, for messages: "trace abc", "observation def".
pub fn describe(trace_id: &str, observation_id: Option<&str>) -> String {
    match observation_id {
        Some(id) => format!("observation {id:?}"),
        None => format!("trace {trace_id:?}"),
    }
}

/// The value of one variable on the target, or why there is none.
pub fn resolve(mapping: &VariableMapping, fields: &TargetFields, target: &str) -> Result<String, String> {
    let variable = &mapping.variable;
    let source = mapping.source.as_str();
    let field = match mapping.source {
        MappingSource::Input => &fields.input,
        MappingSource::Output => &fields.output,
        MappingSource::Metadata => &fields.metadata,
        MappingSource::ExpectedOutput => &fields.expected_output,
    };
    let value = match field {
        None | Some(Value::Null) => {
            let hint = if mapping.source == MappingSource::ExpectedOutput {
                "the dataset item has no expected output"
            } else {
                "it may not have arrived yet: consider a longer delay"
            };
            return Err(format!("variable {variable:?}: the {target}'s {source} is empty ({hint})"));
        }
        Some(value) => value,
    };
    let chosen = match &mapping.json_path {
        None => value.clone(),
        Some(path) => {
            let parsed = JsonPath::parse(path).map_err(|e| format!("variable {variable:?}: {path:?} is not a JSON path: {e}"))?;
            let decoded = decode(value);
            let found: Vec<&Value> = parsed.query(&decoded).all();
            match found.as_slice() {
                [] => return Err(format!("variable {variable:?}: the JSON path {path} matched nothing in the {target}'s {source}")),
                [one] => (*one).clone(),
                many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
            }
        }
    };
    let text = match chosen {
        Value::Null => return Err(format!("variable {variable:?}: the JSON path matched only null in the {target}'s {source}")),
        Value::String(s) => s,
        other => other.to_string(),
    };
    if text.trim().is_empty() {
        return Err(format!("variable {variable:?}: the {target}'s {source} is an empty text"));
    }
    Ok(cut(text))
}

/// The preview of a mapping on a real target of the project: the latest matching target of the
/// evaluator's kind, or the given trace's. Every variable of `template` gets its value or the
/// problem its execution would end with; the compiled prompt when all have a value.
pub async fn preview(
    pool: &sqlx::PgPool,
    project_id: &crate::scope::ProjectId,
    template: &loupe_domain::evaluators::Template,
    target: &loupe_domain::evaluators::EvaluatorTarget,
    filter: &loupe_domain::trace_list::TraceListQuery,
    mapping: &[VariableMapping],
    trace_id: Option<&str>,
) -> Result<loupe_domain::evaluators::Preview, crate::store::StoreError> {
    use loupe_domain::evaluators::{Preview, PreviewVariable};
    let found = crate::store::evaluators::preview_target(pool, project_id, target, filter, trace_id).await?;
    let fields = match &found {
        Some(found) => crate::store::evaluators::target_fields(pool, project_id, found).await?,
        None => None,
    };
    let what = found
        .as_ref()
        .map(|f| describe(&f.trace_id, f.observation_id.as_deref().filter(|_| f.dataset_run_item_id.is_none())))
        .unwrap_or_default();
    let mut values = std::collections::BTreeMap::new();
    let mut variables = Vec::new();
    for variable in &template.variables {
        let chosen = mapping.iter().find(|m| m.variable.trim() == variable);
        let (value, problem) = match (chosen, &fields) {
            (None, _) => (None, Some(format!("variable {variable:?} has no mapping"))),
            (Some(_), None) => (None, Some("no target to preview on".to_string())),
            (Some(m), Some(fields)) => {
                let m = VariableMapping { variable: variable.clone(), source: m.source, json_path: m.json_path.clone().filter(|p| !p.trim().is_empty()) };
                match resolve(&m, fields, &what) {
                    Ok(value) => (Some(value), None),
                    Err(problem) => (None, Some(problem)),
                }
            }
        };
        if let Some(value) = &value {
            values.insert(variable.clone(), value.clone());
        }
        variables.push(PreviewVariable {
            variable: variable.clone(),
            source: chosen.map(|m| m.source),
            json_path: chosen.and_then(|m| m.json_path.clone()),
            value,
            problem,
        });
    }
    let prompt = loupe_domain::evaluators::compile(&template.prompt, &values).ok();
    Ok(Preview {
        trace_id: found.as_ref().map(|f| f.trace_id.clone()),
        observation_id: found.as_ref().and_then(|f| f.observation_id.clone()),
        variables,
        prompt,
    })
}

/// A string that holds a JSON object or array, parsed (up to [`MAX_DECODING`] times); anything
/// else as it is.
fn decode(value: &Value) -> Value {
    let mut current = value.clone();
    for _ in 0..MAX_DECODING {
        let Value::String(text) = &current else { break };
        let trimmed = text.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.starts_with('"')) {
            break;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(inner) => current = inner,
            Err(_) => break,
        }
    }
    current
}

fn cut(text: String) -> String {
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let mut short: String = text.chars().take(MAX_VALUE_CHARS).collect();
    short.push_str("\n[… cut: the value is longer than 100,000 characters]");
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> TargetFields {
        TargetFields {
            input: Some(json!({"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "user", "content": "And 3+3?"}]})),
            // A string holding JSON holding JSON, as some SDKs send it.
            output: Some(Value::String(json!(json!({"answer": "4", "n": 4}).to_string()).to_string())),
            metadata: Some(json!({})),
            expected_output: None,
        }
    }

    fn mapping(source: MappingSource, path: Option<&str>) -> VariableMapping {
        VariableMapping { variable: "v".into(), source, json_path: path.map(str::to_string) }
    }

    #[test]
    fn paths_select_values_from_parsed_json() {
        let f = fields();
        assert_eq!(resolve(&mapping(MappingSource::Input, Some("$.messages[-1].content")), &f, "trace \"t\"").unwrap(), "And 3+3?");
        assert_eq!(
            resolve(&mapping(MappingSource::Input, Some("$.messages[*].content")), &f, "trace \"t\"").unwrap(),
            r#"["What is 2+2?","And 3+3?"]"#
        );
        assert_eq!(resolve(&mapping(MappingSource::Output, Some("$.answer")), &f, "trace \"t\"").unwrap(), "4");
        assert_eq!(resolve(&mapping(MappingSource::Output, Some("$.n")), &f, "trace \"t\"").unwrap(), "4");
        // Without a path the value goes in as it is: a string stays the string it was.
        assert!(resolve(&mapping(MappingSource::Output, None), &f, "trace \"t\"").unwrap().starts_with('"'));
        assert_eq!(resolve(&mapping(MappingSource::Metadata, None), &f, "trace \"t\"").unwrap(), "{}");
    }

    #[test]
    fn nothing_found_is_an_error_naming_the_cause() {
        let f = fields();
        assert_eq!(
            resolve(&mapping(MappingSource::Input, Some("$.nope")), &f, "trace \"t\"").unwrap_err(),
            "variable \"v\": the JSON path $.nope matched nothing in the trace \"t\"'s input"
        );
        assert!(resolve(&mapping(MappingSource::ExpectedOutput, None), &f, "trace \"t\"").unwrap_err().contains("no expected output"));
        let empty = TargetFields::default();
        assert!(resolve(&mapping(MappingSource::Output, None), &empty, "trace \"t\"").unwrap_err().contains("output is empty"));
        assert_eq!(check_paths(&[mapping(MappingSource::Input, Some("$.a")), mapping(MappingSource::Input, Some("$[?"))]).unwrap_err().field, "mapping[1].jsonPath");
    }

    #[test]
    fn huge_values_are_cut() {
        let f = TargetFields { input: Some(Value::String("x".repeat(MAX_VALUE_CHARS + 10))), ..Default::default() };
        let v = resolve(&mapping(MappingSource::Input, None), &f, "trace \"t\"").unwrap();
        assert!(v.ends_with("characters]") && v.chars().count() < MAX_VALUE_CHARS + 100);
    }
}
