//! LLM-as-judge evaluators (#21): what the evaluator pages show and send, and the pure rules of
//! evaluation — a template's `{{variables}}` and its compiled prompt, the output definition
//! (numeric range, categories or boolean) with the JSON schema the judge must answer in, and the
//! judge's answer checked against it. The database, the provider call, JSON paths and the jobs
//! are `loupe_core::evaluation`'s.
//!
//! The judge's answer is untrusted text: [`OutputDefinition::parse_answer`] accepts exactly
//! `{"reasoning": string, "score": …}` of the declared type and range, nothing looser, so a
//! malformed answer ends its execution as an error naming what was wrong — never a made-up
//! score.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::prompts::variable_spans;
use crate::trace_list::TraceListQuery;
use crate::ObservationType;

/// Characters of a template's prompt.
pub const MAX_PROMPT_CHARS: usize = 50_000;
/// Characters of a name (template, evaluator, score).
pub const MAX_NAME_CHARS: usize = 255;
/// The longest delay before a new target is evaluated: one day.
pub const MAX_DELAY_MS: i64 = 86_400_000;
/// Langfuse's default delay for trace targets: the trace's spans usually arrive within it.
pub const DEFAULT_DELAY_MS: i64 = 10_000;
/// Characters of the judge's reasoning kept as the score's comment.
pub const MAX_REASONING_CHARS: usize = 10_000;
/// Executions per page of an evaluator's list.
pub const EXECUTIONS_PER_PAGE: i64 = 50;
/// The id prefix of the built-in templates (custom templates have UUIDs).
pub const BUILTIN_PREFIX: &str = "builtin:";

/// The environment the judge's own traces are recorded in. Targets in it are never evaluated
/// (the loop guard, [`is_guarded_environment`]).
pub const JUDGE_ENVIRONMENT: &str = "evaluation";

/// Whether targets in `environment` are left alone: the judge's own traces (`evaluation`) and
/// Langfuse's internal environments (`langfuse-…`, e.g. `langfuse-llm-as-a-judge`), so an
/// evaluator never evaluates an evaluation — not even another evaluator's.
pub fn is_guarded_environment(environment: &str) -> bool {
    environment == JUDGE_ENVIRONMENT || environment.starts_with("langfuse")
}

/// A problem with what was sent, naming the field (`mapping[1].jsonPath`, `output.categories`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldProblem {
        FieldProblem { field: field.into(), message: message.into() }
    }
}

// ---------------------------------------------------------------------------------------------
// Output definition

/// The kind of score a judge gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScoreKind {
    #[serde(rename = "NUMERIC")]
    Numeric,
    #[serde(rename = "BOOLEAN")]
    Boolean,
    #[serde(rename = "CATEGORICAL")]
    Categorical,
}

impl ScoreKind {
    pub fn data_type(self) -> crate::ScoreDataType {
        match self {
            ScoreKind::Numeric => crate::ScoreDataType::Numeric,
            ScoreKind::Boolean => crate::ScoreDataType::Boolean,
            ScoreKind::Categorical => crate::ScoreDataType::Categorical,
        }
    }
}

/// What the judge answers besides its reasoning (Langfuse's output definition, v2): a number
/// (optionally within `min_value..=max_value`), a boolean, or one — or with `multiple`, one or
/// more — of `categories`. The descriptions go into the JSON schema the model sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputDefinition {
    pub data_type: ScoreKind,
    /// What the reasoning should say.
    pub reasoning: String,
    /// What the score means.
    pub score: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Categorical only: several categories may apply (one score per category).
    #[serde(default)]
    pub multiple: bool,
}

/// One value of the judge's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Verdict {
    Number(f64),
    Boolean(bool),
    Category(String),
}

/// The judge's answer, checked: its reasoning and one value (several for a multiple-choice
/// categorical definition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeAnswer {
    pub reasoning: String,
    pub values: Vec<Verdict>,
}

impl OutputDefinition {
    /// Checks the definition (`at` is its field name in the form, e.g. `output`).
    pub fn check(&self, at: &str) -> Result<(), FieldProblem> {
        let field = |name: &str| format!("{at}.{name}");
        if self.reasoning.trim().is_empty() {
            return Err(FieldProblem::new(field("reasoning"), "describe what the reasoning should say"));
        }
        if self.score.trim().is_empty() {
            return Err(FieldProblem::new(field("score"), "describe what the score means"));
        }
        match self.data_type {
            ScoreKind::Numeric => {
                for (name, value) in [("minValue", self.min_value), ("maxValue", self.max_value)] {
                    if value.is_some_and(|v| !v.is_finite()) {
                        return Err(FieldProblem::new(field(name), "must be a finite number"));
                    }
                }
                if let (Some(min), Some(max)) = (self.min_value, self.max_value) {
                    if min >= max {
                        return Err(FieldProblem::new(field("maxValue"), format!("must be greater than the minimum ({min})")));
                    }
                }
            }
            ScoreKind::Boolean => {}
            ScoreKind::Categorical => {
                if self.categories.len() < 2 {
                    return Err(FieldProblem::new(field("categories"), "give at least two categories"));
                }
                for (i, category) in self.categories.iter().enumerate() {
                    if category.trim().is_empty() {
                        return Err(FieldProblem::new(format!("{at}.categories[{i}]"), "a category needs a name"));
                    }
                    if self.categories[..i].contains(category) {
                        return Err(FieldProblem::new(format!("{at}.categories[{i}]"), format!("{category:?} is listed twice")));
                    }
                }
            }
        }
        Ok(())
    }

    /// The JSON schema of the answer, sent as the response format (structured output).
    pub fn schema(&self) -> Value {
        let score = match self.data_type {
            ScoreKind::Numeric => {
                let mut score = json!({"type": "number", "description": self.score});
                if let Some(min) = self.min_value {
                    score["minimum"] = json!(min);
                }
                if let Some(max) = self.max_value {
                    score["maximum"] = json!(max);
                }
                score
            }
            ScoreKind::Boolean => json!({"type": "boolean", "description": self.score}),
            ScoreKind::Categorical if self.multiple => {
                json!({"type": "array", "description": self.score, "items": {"type": "string", "enum": self.categories}, "minItems": 1})
            }
            ScoreKind::Categorical => json!({"type": "string", "description": self.score, "enum": self.categories}),
        };
        json!({
            "type": "object",
            "properties": {"reasoning": {"type": "string", "description": self.reasoning}, "score": score},
            "required": ["reasoning", "score"],
            "additionalProperties": false,
        })
    }

    /// Reads the judge's answer (the model's text) against this definition. The error says what
    /// was wrong, for the execution's error.
    pub fn parse_answer(&self, text: &str) -> Result<JudgeAnswer, String> {
        let shown = |text: &str| {
            let mut s: String = text.chars().take(200).collect();
            if text.chars().count() > 200 {
                s.push('…');
            }
            s
        };
        // Some models wrap JSON in a Markdown fence even when asked for a schema.
        let trimmed = text.trim();
        let unfenced = trimmed
            .strip_prefix("```json")
            .or_else(|| trimmed.strip_prefix("```"))
            .and_then(|rest| rest.strip_suffix("```"))
            .unwrap_or(trimmed);
        let value: Value = serde_json::from_str(unfenced)
            .map_err(|e| format!("the judge's answer is not JSON ({e}): {:?}", shown(text)))?;
        let Value::Object(object) = value else {
            return Err(format!("the judge's answer is {}, not an object with \"reasoning\" and \"score\"", crate::json::kind(&value)));
        };
        if let Some(extra) = object.keys().find(|k| *k != "reasoning" && *k != "score") {
            return Err(format!("the judge's answer has a field {extra:?} the schema does not allow"));
        }
        let reasoning = match object.get("reasoning") {
            Some(Value::String(r)) => r.trim().chars().take(MAX_REASONING_CHARS).collect::<String>(),
            Some(other) => return Err(format!("the judge's \"reasoning\" is {}, not a string", crate::json::kind(other))),
            None => return Err("the judge's answer has no \"reasoning\"".into()),
        };
        let score = object.get("score").ok_or("the judge's answer has no \"score\"")?;
        let values = match (self.data_type, score) {
            (ScoreKind::Numeric, Value::Number(n)) => {
                let n = n.as_f64().filter(|n| n.is_finite()).ok_or("the judge's \"score\" is not a finite number")?;
                if let Some(min) = self.min_value.filter(|min| n < *min) {
                    return Err(format!("the judge's score {n} is below the minimum {min}"));
                }
                if let Some(max) = self.max_value.filter(|max| n > *max) {
                    return Err(format!("the judge's score {n} is above the maximum {max}"));
                }
                vec![Verdict::Number(n)]
            }
            (ScoreKind::Boolean, Value::Bool(b)) => vec![Verdict::Boolean(*b)],
            (ScoreKind::Categorical, Value::String(c)) if !self.multiple => vec![Verdict::Category(self.category(c)?)],
            (ScoreKind::Categorical, Value::Array(items)) if self.multiple => {
                if items.is_empty() {
                    return Err("the judge chose no category".into());
                }
                let mut chosen: Vec<Verdict> = Vec::new();
                for item in items {
                    let Value::String(c) = item else {
                        return Err(format!("the judge's categories hold {}, not a category name", crate::json::kind(item)));
                    };
                    let category = Verdict::Category(self.category(c)?);
                    if !chosen.contains(&category) {
                        chosen.push(category);
                    }
                }
                chosen
            }
            (kind, other) => {
                let expected = match kind {
                    ScoreKind::Numeric => "a number",
                    ScoreKind::Boolean => "true or false",
                    ScoreKind::Categorical if self.multiple => "a list of categories",
                    ScoreKind::Categorical => "one of the categories",
                };
                return Err(format!("the judge's \"score\" is {}, not {expected}", crate::json::kind(other)));
            }
        };
        Ok(JudgeAnswer { reasoning, values })
    }

    fn category(&self, given: &str) -> Result<String, String> {
        if self.categories.iter().any(|c| c == given) {
            Ok(given.to_string())
        } else {
            Err(format!("the judge chose {given:?}, which is not one of the categories ({})", self.categories.join(", ")))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Templates

/// A judge prompt with its output definition: one of Loupe's built-ins or a project's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// `builtin:<key>` for the built-ins, a UUID for a project's.
    pub id: String,
    pub name: String,
    pub description: String,
    /// The prompt with `{{variables}}`, sent as one user message once compiled.
    pub prompt: String,
    pub output: OutputDefinition,
    /// The prompt's variables, in order of first use.
    pub variables: Vec<String>,
    pub builtin: bool,
    pub created_at: Option<DateTime<Utc>>,
}

/// A new custom template as the form sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub prompt: String,
    pub output: OutputDefinition,
}

impl TemplateInput {
    /// Trims and checks every field; the first problem names its field.
    pub fn checked(&self) -> Result<TemplateInput, FieldProblem> {
        let name = self.name.trim().to_string();
        check_name("name", &name)?;
        if name.starts_with(BUILTIN_PREFIX) {
            return Err(FieldProblem::new("name", format!("names starting with {BUILTIN_PREFIX:?} are Loupe's built-in templates")));
        }
        let prompt = self.prompt.trim().to_string();
        if prompt.is_empty() {
            return Err(FieldProblem::new("prompt", "the prompt is empty"));
        }
        if prompt.chars().count() > MAX_PROMPT_CHARS {
            return Err(FieldProblem::new("prompt", format!("at most {MAX_PROMPT_CHARS} characters")));
        }
        if variables(&prompt).is_empty() {
            return Err(FieldProblem::new("prompt", "the prompt uses no {{variable}}: the judge would see nothing of the target"));
        }
        self.output.check("output")?;
        Ok(TemplateInput { name, description: self.description.trim().to_string(), prompt, output: self.output.clone() })
    }
}

fn check_name(field: &str, name: &str) -> Result<(), FieldProblem> {
    if name.is_empty() {
        return Err(FieldProblem::new(field, "a name is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldProblem::new(field, format!("at most {MAX_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldProblem::new(field, "no control characters"));
    }
    Ok(())
}

/// The `{{variables}}` of a prompt, each once, in order of first use (the prompts' rule:
/// letters, digits, `_` and `-`, inner braces ignored as the SDKs' `compile` does).
pub fn variables(prompt: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (_, name) in variable_spans(prompt) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// The prompt with every `{{variable}}` replaced by its value. Values are inserted as they are:
/// a value that itself contains `{{x}}` is not expanded again. Every variable must have a value:
/// the error names the missing ones.
pub fn compile(prompt: &str, values: &BTreeMap<String, String>) -> Result<String, Vec<String>> {
    let spans = variable_spans(prompt);
    let missing: Vec<String> = variables(prompt).into_iter().filter(|name| !values.contains_key(name)).collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut out = String::with_capacity(prompt.len());
    let mut at = 0;
    for (range, name) in spans {
        out.push_str(&prompt[at..range.start]);
        out.push_str(&values[name]);
        at = range.end;
    }
    out.push_str(&prompt[at..]);
    Ok(out)
}

/// Loupe's built-in templates (prompts written for Loupe). Their ids are stable: evaluators
/// keep a snapshot of the prompt anyway, so improving a built-in changes no running evaluator.
pub fn builtin_templates() -> Vec<Template> {
    let numeric = |reasoning: &str, score: &str| OutputDefinition {
        data_type: ScoreKind::Numeric,
        reasoning: reasoning.into(),
        score: score.into(),
        min_value: Some(0.0),
        max_value: Some(1.0),
        categories: Vec::new(),
        multiple: false,
    };
    let boolean = |reasoning: &str, score: &str| OutputDefinition {
        data_type: ScoreKind::Boolean,
        reasoning: reasoning.into(),
        score: score.into(),
        min_value: None,
        max_value: None,
        categories: Vec::new(),
        multiple: false,
    };
    let template = |key: &str, name: &str, description: &str, prompt: &str, output: OutputDefinition| Template {
        id: format!("{BUILTIN_PREFIX}{key}"),
        name: name.into(),
        description: description.into(),
        variables: variables(prompt),
        prompt: prompt.into(),
        output,
        builtin: true,
        created_at: None,
    };
    vec![
        template(
            "correctness",
            "Correctness",
            "Does the answer agree with the expected output? Needs an expected output (a dataset item's, or one you map).",
            "You are checking an answer against a reference answer.\n\nQuestion:\n{{input}}\n\nAnswer to check:\n{{output}}\n\nReference answer:\n{{expected_output}}\n\nJudge only whether the facts and the conclusion of the answer agree with the reference. Wording, length and style do not matter; a missing key fact or a contradiction does. Give 1 when the answer is fully correct, 0 when it is wrong, and a value in between for a partly correct answer.",
            numeric("Which facts of the answer agree with or contradict the reference, briefly.", "1 = fully correct, 0 = wrong, in between = partly correct."),
        ),
        template(
            "relevance",
            "Relevance",
            "Does the answer address what was asked?",
            "Read a question and the answer it received.\n\nQuestion:\n{{input}}\n\nAnswer:\n{{output}}\n\nRate how directly the answer addresses the question. Ignore whether it is true; judge only whether it stays on the question and covers what was asked. 1 means fully on topic and complete, 0 means it does not address the question at all.",
            numeric("What the answer covers of the question and what it leaves out or drifts into, briefly.", "1 = addresses the question fully, 0 = off topic."),
        ),
        template(
            "hallucination",
            "Hallucination (groundedness)",
            "Is every claim of the answer supported by the given context?",
            "You are checking whether an answer sticks to its sources.\n\nContext given to the model:\n{{context}}\n\nAnswer:\n{{output}}\n\nList the claims the answer makes and check each against the context. A claim that the context does not support, or contradicts, is a hallucination, even if it happens to be true. Give 1 when every claim is supported by the context and 0 when the answer is mostly unsupported.",
            numeric("The unsupported or contradicted claims, or that all claims are supported.", "1 = fully grounded in the context, 0 = mostly unsupported."),
        ),
        template(
            "helpfulness",
            "Helpfulness",
            "Would the answer actually help the person who asked?",
            "Imagine you are the person who sent this request.\n\nRequest:\n{{input}}\n\nResponse:\n{{output}}\n\nHow useful is the response to you? Consider whether it solves the problem, whether its steps can be followed, and whether it anticipates the obvious next question. Give 1 for a response that fully solves the request and 0 for one that does not help.",
            numeric("What makes the response useful or not for the person asking.", "1 = very helpful, 0 = not helpful."),
        ),
        template(
            "toxicity",
            "Toxicity",
            "Is the text insulting, hateful, threatening or harassing?",
            "Read the following text written by an AI assistant.\n\nText:\n{{output}}\n\nDoes it contain insults, hate towards a group, threats, harassment, or sexual content aimed at someone? Quoting or discussing such content neutrally does not count. Answer true if the text is toxic, false otherwise.",
            boolean("The passages that are toxic, or why the text is not.", "true = toxic, false = not toxic."),
        ),
        template(
            "conciseness",
            "Conciseness",
            "Does the answer say what is needed without padding?",
            "Read a question and its answer.\n\nQuestion:\n{{input}}\n\nAnswer:\n{{output}}\n\nJudge only the length and focus of the answer: repetition, filler, needless caveats and unrequested detail make it less concise. Missing information is not your concern here. Give 1 for an answer with nothing to cut and 0 for one that is mostly padding.",
            numeric("What could be cut, or that nothing could.", "1 = nothing to cut, 0 = mostly padding."),
        ),
        template(
            "language-match",
            "Language match",
            "Is the answer in the language the question was asked in?",
            "Question:\n{{input}}\n\nAnswer:\n{{output}}\n\nIdentify the natural language of the question and of the answer (code, names and quoted terms do not count). Answer true if the answer is written in the same language as the question, false otherwise.",
            boolean("The language of the question and of the answer.", "true = same language, false = a different language."),
        ),
    ]
}

/// The built-in template with this id.
pub fn builtin_template(id: &str) -> Option<Template> {
    builtin_templates().into_iter().find(|t| t.id == id)
}

// ---------------------------------------------------------------------------------------------
// Evaluators

/// What an evaluator evaluates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum EvaluatorTarget {
    /// New traces.
    Trace,
    /// New observations of these types (any type when empty) and, when given, this name.
    Observation {
        #[serde(default)]
        types: Vec<ObservationType>,
        #[serde(default)]
        name: Option<String>,
    },
    /// New dataset run items (experiments), of one dataset when given.
    DatasetRun {
        #[serde(default)]
        dataset_id: Option<String>,
    },
}

impl EvaluatorTarget {
    /// The stored kind: `trace`, `observation`, `dataset_run`.
    pub fn kind(&self) -> &'static str {
        match self {
            EvaluatorTarget::Trace => "trace",
            EvaluatorTarget::Observation { .. } => "observation",
            EvaluatorTarget::DatasetRun { .. } => "dataset_run",
        }
    }
}

/// Where a variable's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingSource {
    Input,
    Output,
    Metadata,
    /// The dataset item's expected output (dataset run targets only).
    ExpectedOutput,
}

impl MappingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MappingSource::Input => "input",
            MappingSource::Output => "output",
            MappingSource::Metadata => "metadata",
            MappingSource::ExpectedOutput => "expected_output",
        }
    }
}

/// One template variable and where its value comes from: a field of the target (the trace, the
/// observation, or for dataset runs the run's trace and the dataset item), optionally narrowed by
/// a JSON path (RFC 9535, e.g. `$.messages[-1].content`). A string holding JSON is parsed before
/// the path applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableMapping {
    pub variable: String,
    pub source: MappingSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvaluatorStatus {
    Active,
    Paused,
}

impl EvaluatorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EvaluatorStatus::Active => "active",
            EvaluatorStatus::Paused => "paused",
        }
    }

    pub fn parse(text: &str) -> Option<EvaluatorStatus> {
        match text {
            "active" => Some(EvaluatorStatus::Active),
            "paused" => Some(EvaluatorStatus::Paused),
            _ => None,
        }
    }
}

/// An evaluator as stored and shown. `prompt` and `output` are the template's as they were when
/// the evaluator was saved: editing or improving a template changes no running evaluator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluator {
    pub id: String,
    pub name: String,
    /// The name of the scores it writes.
    pub score_name: String,
    pub status: EvaluatorStatus,
    pub template_id: String,
    pub template_name: String,
    pub prompt: String,
    pub output: OutputDefinition,
    /// The LLM connection's name (its provider name in Langfuse's terms) and the model.
    pub connection: String,
    pub model: String,
    pub target: EvaluatorTarget,
    /// The traces list's filters (its URL query; `range`, `sort`, `dir`, `before` unused).
    pub filter: TraceListQuery,
    /// The share of targets evaluated, 0 < sampling ≤ 1, chosen by a hash of the target's id.
    pub sampling: f64,
    /// How long after a target appears it is evaluated (its spans and output arrive meanwhile).
    pub delay_ms: i64,
    pub mapping: Vec<VariableMapping>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An evaluator with its executions counted by status, for the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluatorSummary {
    pub evaluator: Evaluator,
    pub counts: ExecutionCounts,
}

/// One evaluator's page: the evaluator, its executions by status, its latest backfill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluatorDetail {
    pub evaluator: Evaluator,
    pub counts: ExecutionCounts,
    pub latest_backfill: Option<Backfill>,
}

/// An evaluator as the form sends it (create and update).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluatorInput {
    pub name: String,
    /// Defaults to the evaluator's name.
    #[serde(default)]
    pub score_name: Option<String>,
    pub template_id: String,
    pub connection: String,
    pub model: String,
    pub target: EvaluatorTarget,
    #[serde(default)]
    pub filter: TraceListQuery,
    pub sampling: f64,
    pub delay_ms: i64,
    pub mapping: Vec<VariableMapping>,
}

/// [`EvaluatorInput`] after [`EvaluatorInput::checked`]: trimmed, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedEvaluator {
    pub name: String,
    pub score_name: String,
    pub connection: String,
    pub model: String,
    pub target: EvaluatorTarget,
    pub filter: TraceListQuery,
    pub sampling: f64,
    pub delay_ms: i64,
    pub mapping: Vec<VariableMapping>,
}

impl EvaluatorInput {
    /// Checks everything that needs no database against the chosen `template`: names, the
    /// connection and model given, sampling and delay in range, the filter parseable, a mapping
    /// for each of the template's variables (and none for a variable it does not have), sources
    /// that fit the target. JSON paths are checked by the server (`loupe_core::evaluation`).
    pub fn checked(&self, template: &Template) -> Result<CheckedEvaluator, FieldProblem> {
        let name = self.name.trim().to_string();
        check_name("name", &name)?;
        let score_name = self.score_name.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(&name).to_string();
        check_name("scoreName", &score_name)?;
        let connection = self.connection.trim().to_string();
        if connection.is_empty() {
            return Err(FieldProblem::new("connection", "choose an LLM connection"));
        }
        let model = self.model.trim().to_string();
        if model.is_empty() {
            return Err(FieldProblem::new("model", "choose a model"));
        }
        if !(self.sampling > 0.0 && self.sampling <= 1.0) {
            return Err(FieldProblem::new("sampling", format!("must be more than 0 and at most 1 (got {})", self.sampling)));
        }
        if !(0..=MAX_DELAY_MS).contains(&self.delay_ms) {
            return Err(FieldProblem::new("delayMs", format!("must be between 0 and {MAX_DELAY_MS} ms (one day)")));
        }
        let target = match &self.target {
            EvaluatorTarget::Observation { types, name } => {
                let mut types = types.clone();
                types.sort();
                types.dedup();
                let name = name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
                EvaluatorTarget::Observation { types, name }
            }
            EvaluatorTarget::DatasetRun { dataset_id } => {
                EvaluatorTarget::DatasetRun { dataset_id: dataset_id.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_string) }
            }
            EvaluatorTarget::Trace => EvaluatorTarget::Trace,
        };
        let filter = check_filter(&self.filter)?;
        let needed = variables(&template.prompt);
        let mut mapping = Vec::with_capacity(self.mapping.len());
        for (i, m) in self.mapping.iter().enumerate() {
            let variable = m.variable.trim().to_string();
            if !needed.contains(&variable) {
                return Err(FieldProblem::new(
                    format!("mapping[{i}].variable"),
                    format!("the template has no variable {variable:?} (it has {})", needed.join(", ")),
                ));
            }
            if mapping.iter().any(|seen: &VariableMapping| seen.variable == variable) {
                return Err(FieldProblem::new(format!("mapping[{i}].variable"), format!("{variable:?} is mapped twice")));
            }
            if m.source == MappingSource::ExpectedOutput && !matches!(target, EvaluatorTarget::DatasetRun { .. }) {
                return Err(FieldProblem::new(
                    format!("mapping[{i}].source"),
                    "an expected output exists only for dataset run targets (a dataset item's)",
                ));
            }
            let json_path = m.json_path.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
            mapping.push(VariableMapping { variable, source: m.source, json_path });
        }
        if let Some(missing) = needed.iter().find(|v| !mapping.iter().any(|m| &m.variable == *v)) {
            return Err(FieldProblem::new("mapping", format!("the template's variable {missing:?} has no mapping")));
        }
        Ok(CheckedEvaluator { name, score_name, connection, model, target, filter, sampling: self.sampling, delay_ms: self.delay_ms, mapping })
    }
}

/// The traces list's filters as an evaluator's: only the filters, checked as the list checks
/// them. A relative range ("last 24 hours") and the list's sort and position mean nothing for
/// targets that keep arriving, so they are refused rather than silently dropped.
pub fn check_filter(filter: &TraceListQuery) -> Result<TraceListQuery, FieldProblem> {
    for key in ["range", "sort", "dir", "before"] {
        if !filter.get(key).is_empty() {
            return Err(FieldProblem::new(format!("filter.{key}"), "not an evaluator filter: use from/to for a time window"));
        }
    }
    // The list's own parser names the wrong key; the time only resolves relative ranges, refused above.
    filter.parse(DateTime::<Utc>::UNIX_EPOCH).map_err(|(key, problem)| FieldProblem::new(format!("filter.{key}"), format!("{problem:?}")))?;
    Ok(filter.clone())
}

// ---------------------------------------------------------------------------------------------
// Executions

/// Where an execution is: `Pending` (waiting for its time), `Delayed` (the provider asked to
/// wait: retried at its hint), `Running`, then `Completed` (score written), `Error` (with the
/// cause) or `Cancelled` (the target turned out to be the judge's own, or was deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionStatus {
    Pending,
    Delayed,
    Running,
    Completed,
    Error,
    Cancelled,
}

impl ExecutionStatus {
    pub const ALL: [ExecutionStatus; 6] = [
        ExecutionStatus::Pending,
        ExecutionStatus::Delayed,
        ExecutionStatus::Running,
        ExecutionStatus::Completed,
        ExecutionStatus::Error,
        ExecutionStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Pending => "pending",
            ExecutionStatus::Delayed => "delayed",
            ExecutionStatus::Running => "running",
            ExecutionStatus::Completed => "completed",
            ExecutionStatus::Error => "error",
            ExecutionStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<ExecutionStatus> {
        ExecutionStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, ExecutionStatus::Completed | ExecutionStatus::Error | ExecutionStatus::Cancelled)
    }
}

/// One execution as the executions list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    pub id: String,
    pub evaluator_id: String,
    pub status: ExecutionStatus,
    pub trace_id: String,
    pub observation_id: Option<String>,
    pub dataset_item_id: Option<String>,
    pub dataset_run_item_id: Option<String>,
    /// Which backfill created it (none: a new target).
    pub backfill_id: Option<String>,
    /// Provider calls made (retries after a rate limit count).
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// When it is (or was) due.
    pub scheduled_for: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The judge call's duration.
    pub latency_ms: Option<i64>,
    /// USD of the judge's generation, from the project's price table.
    pub cost: Option<f64>,
    pub error: Option<String>,
    pub score_id: Option<String>,
    /// The judge's own trace (environment `evaluation`).
    pub judge_trace_id: Option<String>,
}

/// Executions counted by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionCounts {
    pub pending: i64,
    pub delayed: i64,
    pub running: i64,
    pub completed: i64,
    pub error: i64,
    pub cancelled: i64,
}

impl ExecutionCounts {
    pub fn add(&mut self, status: ExecutionStatus, n: i64) {
        let slot = match status {
            ExecutionStatus::Pending => &mut self.pending,
            ExecutionStatus::Delayed => &mut self.delayed,
            ExecutionStatus::Running => &mut self.running,
            ExecutionStatus::Completed => &mut self.completed,
            ExecutionStatus::Error => &mut self.error,
            ExecutionStatus::Cancelled => &mut self.cancelled,
        };
        *slot += n;
    }

    pub fn total(&self) -> i64 {
        self.pending + self.delayed + self.running + self.completed + self.error + self.cancelled
    }

    /// Finished one way or another.
    pub fn finished(&self) -> i64 {
        self.completed + self.error + self.cancelled
    }
}

/// A page of an evaluator's executions, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionPage {
    pub executions: Vec<Execution>,
    /// Executions matching the status asked for (all of them without one).
    pub total: i64,
    pub counts: ExecutionCounts,
}

// ---------------------------------------------------------------------------------------------
// Preview and backfill

/// One variable of a preview: its value on the previewed target, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewVariable {
    pub variable: String,
    pub source: Option<MappingSource>,
    pub json_path: Option<String>,
    pub value: Option<String>,
    /// Why it has no value (the error its execution would end with).
    pub problem: Option<String>,
}

/// A mapping tried on a real target of the project: each variable's value and the compiled
/// prompt (when every variable has one). `trace_id` is `None` when the project has no matching
/// target yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub trace_id: Option<String>,
    pub observation_id: Option<String>,
    pub variables: Vec<PreviewVariable>,
    pub prompt: Option<String>,
}

/// "Run on existing targets": how many match the filter now, and how many of those the sampling
/// picks (the ones a backfill would evaluate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackfillCount {
    pub matching: i64,
    pub sampled: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackfillState {
    /// Still creating executions.
    Running,
    /// Every matching target has its execution (they may still be running: see the counts).
    Done,
    Failed,
}

impl BackfillState {
    pub fn as_str(self) -> &'static str {
        match self {
            BackfillState::Running => "running",
            BackfillState::Done => "done",
            BackfillState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<BackfillState> {
        [BackfillState::Running, BackfillState::Done, BackfillState::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// A run over existing targets and how far it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backfill {
    pub id: String,
    pub evaluator_id: String,
    pub state: BackfillState,
    /// The sampled matching targets counted when it started.
    pub total: i64,
    /// Executions created so far.
    pub scheduled: i64,
    /// Its executions by status (done = `counts.finished()`).
    pub counts: ExecutionCounts,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric() -> OutputDefinition {
        OutputDefinition {
            data_type: ScoreKind::Numeric,
            reasoning: "why".into(),
            score: "how good".into(),
            min_value: Some(0.0),
            max_value: Some(1.0),
            categories: vec![],
            multiple: false,
        }
    }

    #[test]
    fn variables_are_found_once_in_order_and_compiled() {
        let prompt = "Q: {{ input }}\nA: {{output}}\nAgain: {{input}} {{not a var}}";
        assert_eq!(variables(prompt), vec!["input", "output"]);
        let values = BTreeMap::from([("input".to_string(), "2+2? {{output}}".to_string()), ("output".to_string(), "4".to_string())]);
        assert_eq!(compile(prompt, &values).unwrap(), "Q: 2+2? {{output}}\nA: 4\nAgain: 2+2? {{output}} {{not a var}}", "values are not expanded again");
        assert_eq!(compile(prompt, &BTreeMap::from([("input".to_string(), "x".to_string())])), Err(vec!["output".to_string()]));
    }

    #[test]
    fn answers_are_checked_against_the_definition() {
        let def = numeric();
        assert_eq!(def.parse_answer(r#"{"reasoning": " ok ", "score": 0.75}"#).unwrap(), JudgeAnswer { reasoning: "ok".into(), values: vec![Verdict::Number(0.75)] });
        assert_eq!(def.parse_answer("```json\n{\"reasoning\": \"r\", \"score\": 1}\n```").unwrap().values, vec![Verdict::Number(1.0)]);
        assert_eq!(def.parse_answer(r#"{"reasoning": "r", "score": 1.5}"#).unwrap_err(), "the judge's score 1.5 is above the maximum 1");
        assert_eq!(def.parse_answer(r#"{"reasoning": "r", "score": "high"}"#).unwrap_err(), "the judge's \"score\" is a string, not a number");
        assert_eq!(def.parse_answer(r#"{"score": 1}"#).unwrap_err(), "the judge's answer has no \"reasoning\"");
        assert_eq!(def.parse_answer(r#"{"reasoning": "r", "score": 1, "x": 2}"#).unwrap_err(), "the judge's answer has a field \"x\" the schema does not allow");
        assert!(def.parse_answer("Paris").unwrap_err().starts_with("the judge's answer is not JSON"));
        assert_eq!(def.parse_answer("[1]").unwrap_err(), "the judge's answer is an array, not an object with \"reasoning\" and \"score\"");

        let cats = OutputDefinition { data_type: ScoreKind::Categorical, categories: vec!["good".into(), "bad".into()], min_value: None, max_value: None, ..numeric() };
        assert_eq!(cats.parse_answer(r#"{"reasoning": "r", "score": "bad"}"#).unwrap().values, vec![Verdict::Category("bad".into())]);
        assert!(cats.parse_answer(r#"{"reasoning": "r", "score": "meh"}"#).unwrap_err().contains("not one of the categories (good, bad)"));
        let multi = OutputDefinition { multiple: true, ..cats.clone() };
        assert_eq!(
            multi.parse_answer(r#"{"reasoning": "r", "score": ["good", "bad", "good"]}"#).unwrap().values,
            vec![Verdict::Category("good".into()), Verdict::Category("bad".into())]
        );
        assert_eq!(multi.parse_answer(r#"{"reasoning": "r", "score": []}"#).unwrap_err(), "the judge chose no category");
        let boolean = OutputDefinition { data_type: ScoreKind::Boolean, min_value: None, max_value: None, ..numeric() };
        assert_eq!(boolean.parse_answer(r#"{"reasoning": "r", "score": false}"#).unwrap().values, vec![Verdict::Boolean(false)]);
        assert_eq!(boolean.parse_answer(r#"{"reasoning": "r", "score": 0}"#).unwrap_err(), "the judge's \"score\" is a number, not true or false");
    }

    #[test]
    fn schemas_carry_range_and_categories() {
        let schema = numeric().schema();
        assert_eq!(schema["properties"]["score"], json!({"type": "number", "description": "how good", "minimum": 0.0, "maximum": 1.0}));
        assert_eq!(schema["required"], json!(["reasoning", "score"]));
        let multi = OutputDefinition { data_type: ScoreKind::Categorical, categories: vec!["a".into(), "b".into()], multiple: true, ..numeric() };
        assert_eq!(multi.schema()["properties"]["score"]["items"]["enum"], json!(["a", "b"]));
    }

    #[test]
    fn definitions_name_the_wrong_field() {
        assert_eq!(OutputDefinition { min_value: Some(1.0), max_value: Some(1.0), ..numeric() }.check("output").unwrap_err().field, "output.maxValue");
        let cats = OutputDefinition { data_type: ScoreKind::Categorical, categories: vec!["a".into(), "a".into()], ..numeric() };
        assert_eq!(cats.check("output").unwrap_err().field, "output.categories[1]");
        assert_eq!(OutputDefinition { reasoning: " ".into(), ..numeric() }.check("output").unwrap_err().field, "output.reasoning");
    }

    #[test]
    fn builtins_are_valid_with_stable_ids() {
        let all = builtin_templates();
        assert_eq!(all.len(), 7);
        for t in &all {
            t.output.check("output").unwrap_or_else(|e| panic!("{}: {e}", t.id));
            assert!(t.id.starts_with(BUILTIN_PREFIX) && !t.variables.is_empty(), "{}", t.id);
        }
        assert_eq!(builtin_template("builtin:correctness").unwrap().variables, vec!["input", "output", "expected_output"]);
        assert_eq!(builtin_template("builtin:hallucination").unwrap().variables, vec!["context", "output"]);
    }

    fn input() -> EvaluatorInput {
        EvaluatorInput {
            name: " Relevance ".into(),
            score_name: None,
            template_id: "builtin:relevance".into(),
            connection: "openai".into(),
            model: "gpt-4o-mini".into(),
            target: EvaluatorTarget::Trace,
            filter: TraceListQuery::default(),
            sampling: 1.0,
            delay_ms: 0,
            mapping: vec![
                VariableMapping { variable: "input".into(), source: MappingSource::Input, json_path: None },
                VariableMapping { variable: "output".into(), source: MappingSource::Output, json_path: Some(" $.text ".into()) },
            ],
        }
    }

    #[test]
    fn evaluator_input_is_checked_field_by_field() {
        let template = builtin_template("builtin:relevance").unwrap();
        let checked = input().checked(&template).unwrap();
        assert_eq!((checked.name.as_str(), checked.score_name.as_str()), ("Relevance", "Relevance"));
        assert_eq!(checked.mapping[1].json_path.as_deref(), Some("$.text"));

        let field = |change: &dyn Fn(&mut EvaluatorInput)| {
            let mut i = input();
            change(&mut i);
            i.checked(&template).unwrap_err().field
        };
        assert_eq!(field(&|i| i.sampling = 0.0), "sampling");
        assert_eq!(field(&|i| i.sampling = f64::NAN), "sampling");
        assert_eq!(field(&|i| i.delay_ms = -1), "delayMs");
        assert_eq!(field(&|i| i.connection = " ".into()), "connection");
        assert_eq!(field(&|i| { i.mapping.pop(); }), "mapping");
        assert_eq!(field(&|i| i.mapping[1].variable = "context".into()), "mapping[1].variable");
        assert_eq!(field(&|i| i.mapping[1].variable = "input".into()), "mapping[1].variable");
        assert_eq!(field(&|i| i.mapping[0].source = MappingSource::ExpectedOutput), "mapping[0].source");
        assert_eq!(field(&|i| i.filter.range = "24h".into()), "filter.range");
        assert_eq!(field(&|i| i.filter.latency_min = "fast".into()), "filter.latency_min");
        let mut dataset = input();
        dataset.target = EvaluatorTarget::DatasetRun { dataset_id: None };
        dataset.mapping[0].source = MappingSource::ExpectedOutput;
        assert!(dataset.checked(&template).is_ok());
    }

    #[test]
    fn loop_guard_environments() {
        assert!(is_guarded_environment("evaluation"));
        assert!(is_guarded_environment("langfuse-llm-as-a-judge"));
        assert!(is_guarded_environment("langfuse"));
        assert!(!is_guarded_environment("production"));
        assert!(!is_guarded_environment("evaluations"));
    }
}
