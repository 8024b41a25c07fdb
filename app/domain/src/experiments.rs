//! Experiments (#21): what the runs table, the run page and the comparison of runs show, and the
//! input of a run started from the UI.
//!
//! A run's numbers come from its run items: each links a dataset item (version) to the trace that
//! ran it. Latency, cost and errors are the trace's (`trace_metrics`); an item's scores are the
//! scores of its trace (and, when the run item names an observation, that observation's or the
//! trace's own). Scores attached to the run itself (`dataset_run_id`) are listed apart.
//!
//! The comparison lines up the items of 2–4 runs of one dataset and, per numeric or boolean
//! score, gives each candidate's paired verdict against the baseline run
//! ([`crate::experiment_stats::compare`]). Everything here is pure: the store reads the rows, the
//! server function calls [`build_comparison`], the page renders it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::datasets::DatasetRun;
use crate::experiment_stats::{compare, Direction, PairedComparison};
use crate::playground::ModelParams;
use crate::ScoreDataType;

/// Runs per page of a dataset's runs table.
pub const RUNS_PAGE_SIZE: u32 = 50;
/// Items per page of a run page and of a comparison.
pub const ITEMS_PAGE_SIZE: u32 = 50;
/// Runs a comparison holds.
pub const MIN_COMPARED: usize = 2;
pub const MAX_COMPARED: usize = 4;
/// Longest run name (the table allows 800; a name people type and read is shorter).
pub const MAX_RUN_NAME: usize = 255;
/// Longest run description.
pub const MAX_DESCRIPTION: usize = 2_000;

/// One score name's aggregate over a run's items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreAggregate {
    pub name: String,
    pub data_type: ScoreDataType,
    /// The mean of the values (numeric and boolean scores; `None` for categorical and text).
    pub average: Option<f64>,
    /// Scores of this name over the run's items.
    pub count: i64,
}

/// A score attached to the run as a whole (`dataset_run_id`), e.g. an aggregate an SDK's run
/// evaluator computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunLevelScore {
    pub name: String,
    pub data_type: ScoreDataType,
    pub value: Option<f64>,
    pub string_value: Option<String>,
}

/// Where a run started from the UI is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Done,
    Failed,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<RunState> {
        [RunState::Running, RunState::Done, RunState::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// The progress of a run Loupe executes: items of the dataset snapshot, how many ran (`done`,
/// failed ones included) and how many of those failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunProgress {
    pub run_id: String,
    pub state: RunState,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    /// Why the run stopped, when it failed as a whole (a connection gone, the job out of attempts).
    pub error: Option<String>,
    pub prompt_name: String,
    pub prompt_version: i32,
    pub connection: String,
    pub model: String,
}

impl RunProgress {
    pub fn is_running(&self) -> bool {
        self.state == RunState::Running
    }
}

/// A run as the dataset's runs table shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run: DatasetRun,
    pub item_count: i64,
    /// Run items whose trace has an error.
    pub error_count: i64,
    /// Seconds, over the run items' traces.
    pub latency_p50: Option<f64>,
    pub latency_p95: Option<f64>,
    /// USD over the run items' traces.
    pub total_cost: f64,
    /// By name.
    pub scores: Vec<ScoreAggregate>,
    pub run_scores: Vec<RunLevelScore>,
    /// Present for runs started from the UI.
    pub progress: Option<RunProgress>,
}

/// A dataset's runs table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsPage {
    pub runs: Vec<RunSummary>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
    /// What the caller may do here (the server checks again).
    pub can_start: bool,
    pub can_delete: bool,
}

/// One score of one run item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellScore {
    pub name: String,
    pub data_type: ScoreDataType,
    pub value: Option<f64>,
    pub string_value: Option<String>,
}

impl CellScore {
    /// The number a verdict and a delta use: numeric and boolean scores only.
    pub fn number(&self) -> Option<f64> {
        matches!(self.data_type, ScoreDataType::Numeric | ScoreDataType::Boolean).then_some(self.value).flatten().filter(|v| v.is_finite())
    }
}

/// What one run did with one dataset item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunCell {
    pub run_item_id: String,
    pub trace_id: String,
    pub observation_id: Option<String>,
    /// The observation's output when the run item names one, else the trace's (`Null` when the
    /// comparison's light read did not load it).
    pub output: Value,
    pub latency: Option<f64>,
    pub cost: Option<f64>,
    pub error: bool,
    /// The first error's status message.
    pub error_message: Option<String>,
    pub scores: Vec<CellScore>,
    /// The item version the run used.
    pub item_version: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl RunCell {
    /// The mean of the cell's values of `name` (an item scored twice counts once).
    pub fn score(&self, name: &str) -> Option<f64> {
        let values: Vec<f64> = self.scores.iter().filter(|s| s.name == name).filter_map(CellScore::number).collect();
        crate::experiment_stats::mean(&values)
    }
}

/// A row of the run page: the item and what the run did with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunItemRow {
    pub dataset_item_id: String,
    /// The item's input and expected output in the version the run used (the current one when the
    /// version is unknown; `Null` when the item is gone).
    pub input: Value,
    pub expected_output: Value,
    pub cell: RunCell,
}

/// A run page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub summary: RunSummary,
    pub dataset_name: String,
    pub rows: Vec<RunItemRow>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
    pub can_delete: bool,
}

/// One dataset item across the compared runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonItem {
    pub dataset_item_id: String,
    pub input: Value,
    pub expected_output: Value,
    /// One per compared run, in the comparison's run order; `None` where the run did not run the
    /// item. When a run ran an item several times, its latest run item.
    pub cells: Vec<Option<RunCell>>,
}

/// A compared score: its name and which way it improves (as the URL set it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreColumn {
    pub name: String,
    pub direction: Direction,
}

/// Each candidate's verdicts against the baseline, one per score column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateVerdicts {
    pub run_id: String,
    pub comparisons: Vec<PairedComparison>,
}

/// The comparison page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub dataset_id: String,
    pub dataset_name: String,
    pub runs: Vec<RunSummary>,
    pub baseline: String,
    /// Numeric and boolean scores any compared run has, by name.
    pub scores: Vec<ScoreColumn>,
    pub verdicts: Vec<CandidateVerdicts>,
    /// The page of items, in the order asked for.
    pub items: Vec<ComparisonItem>,
    /// Items over all pages (every item any compared run ran).
    pub total_items: i64,
    pub page: u32,
    pub page_size: u32,
    /// The score the items are sorted by (worst change first), when one is.
    pub sort: Option<String>,
}

/// How the comparison's items are ordered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ItemOrder {
    /// By dataset item id.
    #[default]
    Item,
    /// By the change of this score against the baseline, worst first (the smallest signed
    /// improvement of any candidate; items no candidate can be compared on last).
    Delta(String),
}

/// The direction of `name`: lower is better when the URL's `lower` list names it.
pub fn direction_of(name: &str, lower: &[String]) -> Direction {
    if lower.iter().any(|l| l == name) {
        Direction::LowerIsBetter
    } else {
        Direction::HigherIsBetter
    }
}

/// A comma-separated URL list (`runs=a,b`, `lower=toxicity`): trimmed, empty parts dropped,
/// duplicates dropped, order kept.
pub fn split_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !out.iter().any(|o| o == part) {
            out.push(part.to_string());
        }
    }
    out
}

/// The improvement of `candidate` over `baseline` in the score's good direction (positive is
/// better).
fn signed_change(baseline: f64, candidate: f64, direction: Direction) -> f64 {
    match direction {
        Direction::HigherIsBetter => candidate - baseline,
        Direction::LowerIsBetter => baseline - candidate,
    }
}

/// The worst signed improvement of any candidate on `item` for `score`, `None` when no candidate
/// and the baseline both have it.
pub fn worst_change(item: &ComparisonItem, baseline: usize, score: &str, direction: Direction) -> Option<f64> {
    let base = item.cells.get(baseline)?.as_ref()?.score(score)?;
    item.cells
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != baseline)
        .filter_map(|(_, cell)| cell.as_ref()?.score(score))
        .map(|c| signed_change(base, c, direction))
        .min_by(f64::total_cmp)
}

/// The comparison of `runs` (in the order to show them) with `baseline` one of them: lines up
/// `items` (already with a cell per run, in `runs` order), computes every candidate's verdicts on
/// every numeric or boolean score, sorts by `order`, and keeps page `page` (from 1).
pub fn build_comparison(
    dataset_id: &str,
    dataset_name: &str,
    runs: Vec<RunSummary>,
    baseline: &str,
    mut items: Vec<ComparisonItem>,
    lower: &[String],
    order: &ItemOrder,
    page: u32,
) -> Comparison {
    let baseline_index = runs.iter().position(|r| r.run.id == baseline).unwrap_or(0);
    let mut names: Vec<String> = items
        .iter()
        .flat_map(|item| item.cells.iter().flatten())
        .flat_map(|cell| cell.scores.iter().filter(|s| s.number().is_some()).map(|s| s.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    let scores: Vec<ScoreColumn> = names.iter().map(|name| ScoreColumn { name: name.clone(), direction: direction_of(name, lower) }).collect();
    let per_run = |index: usize, name: &str| -> BTreeMap<String, Vec<f64>> {
        items
            .iter()
            .filter_map(|item| {
                let cell = item.cells.get(index)?.as_ref()?;
                let values: Vec<f64> = cell.scores.iter().filter(|s| s.name == name).filter_map(CellScore::number).collect();
                (!values.is_empty()).then(|| (item.dataset_item_id.clone(), values))
            })
            .collect()
    };
    let verdicts = runs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != baseline_index)
        .map(|(i, run)| CandidateVerdicts {
            run_id: run.run.id.clone(),
            comparisons: scores.iter().map(|s| compare(&s.name, &per_run(baseline_index, &s.name), &per_run(i, &s.name), s.direction)).collect(),
        })
        .collect();
    let sort = match order {
        ItemOrder::Item => {
            items.sort_by(|a, b| a.dataset_item_id.cmp(&b.dataset_item_id));
            None
        }
        ItemOrder::Delta(name) => {
            let direction = direction_of(name, lower);
            items.sort_by(|a, b| {
                let (x, y) = (worst_change(a, baseline_index, name, direction), worst_change(b, baseline_index, name, direction));
                match (x, y) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then_with(|| a.dataset_item_id.cmp(&b.dataset_item_id))
            });
            Some(name.clone())
        }
    };
    let total_items = items.len() as i64;
    let page = page.max(1);
    let items: Vec<ComparisonItem> =
        items.into_iter().skip(((page - 1) * ITEMS_PAGE_SIZE) as usize).take(ITEMS_PAGE_SIZE as usize).collect();
    Comparison {
        dataset_id: dataset_id.to_string(),
        dataset_name: dataset_name.to_string(),
        baseline: runs.get(baseline_index).map(|r| r.run.id.clone()).unwrap_or_default(),
        runs,
        scores,
        verdicts,
        items,
        total_items,
        page,
        page_size: ITEMS_PAGE_SIZE,
        sort,
    }
}

// ---------------------------------------------------------------------------------------------
// Runs started from the UI

/// Which version of the prompt: a number, or the version holding a label when the run starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum PromptChoice {
    Version(i32),
    Label(String),
}

/// "New run": a prompt version over the dataset's ACTIVE items with an LLM connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRunInput {
    pub dataset_id: String,
    pub prompt_name: String,
    pub prompt: PromptChoice,
    pub connection: String,
    pub model: String,
    #[serde(default)]
    pub params: ModelParams,
    pub run_name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// What is wrong with a [`StartRunInput`], naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StartRunProblem {
    NoDataset,
    NoPrompt,
    NoVersion,
    NoConnection,
    NoModel,
    NoRunName,
    RunNameTooLong,
    RunNameCharacter,
    DescriptionTooLong,
    Params { field: String, message: String },
}

impl StartRunProblem {
    /// The field at fault, in the input's (camelCase) vocabulary.
    pub fn field(&self) -> String {
        match self {
            StartRunProblem::NoDataset => "datasetId".into(),
            StartRunProblem::NoPrompt => "promptName".into(),
            StartRunProblem::NoVersion => "prompt".into(),
            StartRunProblem::NoConnection => "connection".into(),
            StartRunProblem::NoModel => "model".into(),
            StartRunProblem::NoRunName | StartRunProblem::RunNameTooLong | StartRunProblem::RunNameCharacter => "runName".into(),
            StartRunProblem::DescriptionTooLong => "description".into(),
            StartRunProblem::Params { field, .. } => format!("params.{field}"),
        }
    }
}

impl std::fmt::Display for StartRunProblem {
    /// English, for logs and tests; the UI words each problem per language.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = self.field();
        match self {
            StartRunProblem::NoDataset => write!(f, "{field}: choose a dataset"),
            StartRunProblem::NoPrompt => write!(f, "{field}: choose a prompt"),
            StartRunProblem::NoVersion => write!(f, "{field}: choose a version (a number from 1) or a label"),
            StartRunProblem::NoConnection => write!(f, "{field}: choose an LLM connection"),
            StartRunProblem::NoModel => write!(f, "{field}: choose a model"),
            StartRunProblem::NoRunName => write!(f, "{field}: name the run"),
            StartRunProblem::RunNameTooLong => write!(f, "{field}: at most {MAX_RUN_NAME} characters"),
            StartRunProblem::RunNameCharacter => write!(f, "{field}: no control characters"),
            StartRunProblem::DescriptionTooLong => write!(f, "{field}: at most {MAX_DESCRIPTION} characters"),
            StartRunProblem::Params { message, .. } => write!(f, "{field}: {message}"),
        }
    }
}

impl StartRunInput {
    /// Trimmed and checked: everything a person can get wrong before anything is stored.
    pub fn checked(&self) -> Result<StartRunInput, StartRunProblem> {
        let trimmed = |s: &str| s.trim().to_string();
        let mut input = StartRunInput {
            dataset_id: trimmed(&self.dataset_id),
            prompt_name: trimmed(&self.prompt_name),
            prompt: match &self.prompt {
                PromptChoice::Version(v) => PromptChoice::Version(*v),
                PromptChoice::Label(l) => PromptChoice::Label(trimmed(l)),
            },
            connection: trimmed(&self.connection),
            model: trimmed(&self.model),
            params: self.params.clone(),
            run_name: trimmed(&self.run_name),
            description: self.description.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_string),
        };
        if input.dataset_id.is_empty() {
            return Err(StartRunProblem::NoDataset);
        }
        if input.prompt_name.is_empty() {
            return Err(StartRunProblem::NoPrompt);
        }
        match &input.prompt {
            PromptChoice::Version(v) if *v < 1 => return Err(StartRunProblem::NoVersion),
            PromptChoice::Label(l) if l.is_empty() => return Err(StartRunProblem::NoVersion),
            _ => {}
        }
        if input.connection.is_empty() {
            return Err(StartRunProblem::NoConnection);
        }
        if input.model.is_empty() {
            return Err(StartRunProblem::NoModel);
        }
        if input.run_name.is_empty() {
            return Err(StartRunProblem::NoRunName);
        }
        if input.run_name.chars().count() > MAX_RUN_NAME {
            return Err(StartRunProblem::RunNameTooLong);
        }
        if input.run_name.chars().any(char::is_control) {
            return Err(StartRunProblem::RunNameCharacter);
        }
        if input.description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
            return Err(StartRunProblem::DescriptionTooLong);
        }
        crate::playground::check_params(&input.params).map_err(|problem| StartRunProblem::Params {
            field: problem.field(),
            message: problem.to_string().split_once(": ").map(|(_, m)| m.to_string()).unwrap_or_default(),
        })?;
        input.params.stop.retain(|s| !s.is_empty());
        Ok(input)
    }
}

/// The prompt's variables filled from a dataset item's input: an object fills `{{key}}` by key
/// (strings as they are, other values as JSON; an array of `{role, content}` fills a chat
/// prompt's placeholder of that name), any other input fills `{{input}}` (a string as it is,
/// else its JSON).
pub fn variables_from_input(input: &Value) -> BTreeMap<String, String> {
    let text = |value: &Value| match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match input {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        Value::Null => BTreeMap::new(),
        other => BTreeMap::from([("input".to_string(), text(other))]),
    }
}

/// The prompts and connections the "New run" form offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRunOptions {
    /// Every prompt name with its versions (newest first) and their labels.
    pub prompts: Vec<PromptVersions>,
    pub connections: Vec<crate::playground::PlaygroundConnection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptVersions {
    pub name: String,
    /// `(version, labels)`, newest first.
    pub versions: Vec<(i32, Vec<String>)>,
}

/// The SDK snippet the empty runs table shows (Python SDK 5's `run_experiment`).
pub fn sdk_snippet(dataset_name: &str) -> String {
    let name = serde_json::to_string(dataset_name).unwrap_or_default();
    format!(
        "from langfuse import get_client\n\nlangfuse = get_client()\ndataset = langfuse.get_dataset({name})\n\ndef task(*, item, **kwargs):\n    return my_app(item.input)\n\nresult = dataset.run_experiment(\n    name=\"my-experiment\",\n    task=task,\n)\nprint(result.format())\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment_stats::Verdict;
    use serde_json::json;

    fn t() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-09T10:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn run(id: &str) -> RunSummary {
        RunSummary {
            run: DatasetRun {
                id: id.into(),
                name: id.into(),
                description: None,
                metadata: Value::Null,
                dataset_id: Some("d".into()),
                dataset_name: Some("qa".into()),
                created_at: t(),
                updated_at: t(),
            },
            item_count: 0,
            error_count: 0,
            latency_p50: None,
            latency_p95: None,
            total_cost: 0.0,
            scores: Vec::new(),
            run_scores: Vec::new(),
            progress: None,
        }
    }

    fn cell(scores: &[(&str, f64)]) -> Option<RunCell> {
        Some(RunCell {
            run_item_id: "ri".into(),
            trace_id: "t".into(),
            observation_id: None,
            output: Value::Null,
            latency: None,
            cost: None,
            error: false,
            error_message: None,
            scores: scores
                .iter()
                .map(|(n, v)| CellScore { name: n.to_string(), data_type: ScoreDataType::Numeric, value: Some(*v), string_value: None })
                .collect(),
            item_version: None,
            created_at: t(),
        })
    }

    fn item(id: &str, cells: Vec<Option<RunCell>>) -> ComparisonItem {
        ComparisonItem { dataset_item_id: id.into(), input: Value::Null, expected_output: Value::Null, cells }
    }

    #[test]
    fn verdicts_pair_each_candidate_with_the_baseline() {
        // Candidate b improves "acc" by 0.5 on every item; c is the same as the baseline.
        let items: Vec<ComparisonItem> = (0..6)
            .map(|i| {
                let base = i as f64 / 10.0;
                item(&format!("i{i}"), vec![cell(&[("acc", base)]), cell(&[("acc", base + 0.5)]), cell(&[("acc", base)])])
            })
            .collect();
        let c = build_comparison("d", "qa", vec![run("a"), run("b"), run("c")], "a", items, &[], &ItemOrder::Item, 1);
        assert_eq!(c.baseline, "a");
        assert_eq!(c.scores, vec![ScoreColumn { name: "acc".into(), direction: Direction::HigherIsBetter }]);
        assert_eq!(c.verdicts.len(), 2);
        let b = &c.verdicts[0].comparisons[0];
        assert_eq!((c.verdicts[0].run_id.as_str(), b.shared_items, b.verdict), ("b", 6, Verdict::Better));
        assert!((b.mean_difference.unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(c.verdicts[1].comparisons[0].verdict, Verdict::NoSignificantChange);
        // Lower is better, from the URL: the same change is worse.
        let items = c.items.clone();
        let lower = vec!["acc".to_string()];
        let c = build_comparison("d", "qa", vec![run("a"), run("b"), run("c")], "a", items, &lower, &ItemOrder::Item, 1);
        assert_eq!(c.verdicts[0].comparisons[0].verdict, Verdict::Worse);
        assert_eq!(c.scores[0].direction, Direction::LowerIsBetter);
    }

    #[test]
    fn sorting_by_delta_puts_the_worst_change_first_and_pages() {
        let items = vec![
            item("a", vec![cell(&[("acc", 0.5)]), cell(&[("acc", 0.9)])]),
            item("b", vec![cell(&[("acc", 0.9)]), cell(&[("acc", 0.1)])]),
            item("c", vec![cell(&[("acc", 0.5)]), None]),
            item("d", vec![cell(&[("acc", 0.5)]), cell(&[("acc", 0.4)])]),
        ];
        let c = build_comparison("d", "qa", vec![run("base"), run("cand")], "base", items.clone(), &[], &ItemOrder::Delta("acc".into()), 1);
        let order: Vec<&str> = c.items.iter().map(|i| i.dataset_item_id.as_str()).collect();
        assert_eq!(order, vec!["b", "d", "a", "c"]);
        assert_eq!(c.sort.as_deref(), Some("acc"));
        // Lower is better: the rise on "a" is now the worst.
        let lower = vec!["acc".to_string()];
        let c = build_comparison("d", "qa", vec![run("base"), run("cand")], "base", items, &lower, &ItemOrder::Delta("acc".into()), 1);
        assert_eq!(c.items[0].dataset_item_id, "a");
        assert_eq!(c.total_items, 4);
        let many: Vec<ComparisonItem> = (0..120).map(|i| item(&format!("i{i:03}"), vec![cell(&[]), cell(&[])])).collect();
        let c = build_comparison("d", "qa", vec![run("a"), run("b")], "a", many, &[], &ItemOrder::Item, 3);
        assert_eq!((c.items.len(), c.items[0].dataset_item_id.as_str(), c.total_items), (20, "i100", 120));
    }

    #[test]
    fn only_numeric_and_boolean_scores_are_compared() {
        let mut categorical = cell(&[]).unwrap();
        categorical.scores.push(CellScore { name: "tone".into(), data_type: ScoreDataType::Categorical, value: Some(1.0), string_value: Some("ok".into()) });
        let mut boolean = cell(&[]).unwrap();
        boolean.scores.push(CellScore { name: "exact".into(), data_type: ScoreDataType::Boolean, value: Some(1.0), string_value: Some("True".into()) });
        let c = build_comparison("d", "qa", vec![run("a"), run("b")], "a", vec![item("x", vec![Some(categorical), Some(boolean)])], &[], &ItemOrder::Item, 1);
        let names: Vec<&str> = c.scores.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["exact"]);
        assert_eq!(c.verdicts[0].comparisons[0].verdict, Verdict::TooFewItems);
    }

    #[test]
    fn inputs_fill_variables_by_key_or_as_input() {
        let v = variables_from_input(&json!({"question": "Why?", "n": 3, "history": [{"role": "user", "content": "hi"}]}));
        assert_eq!(v["question"], "Why?");
        assert_eq!(v["n"], "3");
        assert_eq!(v["history"], r#"[{"role":"user","content":"hi"}]"#);
        assert_eq!(variables_from_input(&json!("What is 2+2?")), BTreeMap::from([("input".to_string(), "What is 2+2?".to_string())]));
        assert_eq!(variables_from_input(&json!([1, 2]))["input"], "[1,2]");
        assert!(variables_from_input(&Value::Null).is_empty());
    }

    #[test]
    fn the_start_input_names_the_field_at_fault() {
        let good = StartRunInput {
            dataset_id: "d".into(),
            prompt_name: " qa-prompt ".into(),
            prompt: PromptChoice::Label("production".into()),
            connection: "openai".into(),
            model: "gpt-4o-mini".into(),
            params: ModelParams::default(),
            run_name: " run 1 ".into(),
            description: Some("  ".into()),
        };
        let checked = good.checked().unwrap();
        assert_eq!((checked.prompt_name.as_str(), checked.run_name.as_str(), checked.description), ("qa-prompt", "run 1", None));
        let problem = |f: &dyn Fn(&mut StartRunInput)| {
            let mut input = good.clone();
            f(&mut input);
            input.checked().unwrap_err()
        };
        assert_eq!(problem(&|i| i.prompt_name = " ".into()).field(), "promptName");
        assert_eq!(problem(&|i| i.prompt = PromptChoice::Version(0)).field(), "prompt");
        assert_eq!(problem(&|i| i.connection.clear()).field(), "connection");
        assert_eq!(problem(&|i| i.model.clear()).field(), "model");
        assert_eq!(problem(&|i| i.run_name = "a\nb".into()), StartRunProblem::RunNameCharacter);
        assert_eq!(problem(&|i| i.run_name = "x".repeat(256)).to_string(), "runName: at most 255 characters");
        let temperature = problem(&|i| i.params.temperature = Some(3.0));
        assert_eq!(temperature.to_string(), "params.temperature: between 0 and 2");
    }

    #[test]
    fn url_lists_are_trimmed_and_deduplicated() {
        assert_eq!(split_list(" a, b,,a ,c"), vec!["a", "b", "c"]);
        assert!(split_list("").is_empty());
        assert_eq!(direction_of("toxicity", &split_list("toxicity")), Direction::LowerIsBetter);
        assert_eq!(direction_of("acc", &split_list("toxicity")), Direction::HigherIsBetter);
    }
}
