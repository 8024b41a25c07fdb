//! The dashboards' words for typed values: the home widgets' titles, views, measures,
//! dimensions, aggregations, chart kinds, sizes, operators, series names and the domain's
//! problems, in the page's language. Shared by the pages and the server functions' refusals.

use crate::domain::dashboards::{
    ChartKind, Group, Problem, RangeProblem, SeriesName, Widget, WidgetProblem, WidgetSize, MAX_RANGE_DAYS, MAX_TITLE, MAX_WIDGETS,
};
use crate::domain::metrics_query::{Aggregation, Metric, View};
use crate::i18n::*;

/// A home widget's title (its `title` is a key of `dashboards.home`); a custom widget's title
/// is its author's and passes through.
pub fn home_title(locale: Locale, key: &str) -> &'static str {
    match key {
        "traces" => td_string!(locale, dashboards.home.traces),
        "observations" => td_string!(locale, dashboards.home.observations),
        "total_cost" => td_string!(locale, dashboards.home.total_cost),
        "traces_over_time" => td_string!(locale, dashboards.home.traces_over_time),
        "observations_over_time" => td_string!(locale, dashboards.home.observations_over_time),
        "cost_over_time" => td_string!(locale, dashboards.home.cost_over_time),
        "cost_by_model" => td_string!(locale, dashboards.home.cost_by_model),
        "latency_by_trace_name" => td_string!(locale, dashboards.home.latency_by_trace_name),
        "latency_by_model" => td_string!(locale, dashboards.home.latency_by_model),
        "error_rate" => td_string!(locale, dashboards.home.error_rate),
        "scores_over_time" => td_string!(locale, dashboards.home.scores_over_time),
        "top_users_by_cost" => td_string!(locale, dashboards.home.top_users_by_cost),
        "usage_by_prompt_version" => td_string!(locale, dashboards.home.usage_by_prompt_version),
        _ => td_string!(locale, dashboards.home.title),
    }
}

pub fn view_label(locale: Locale, view: View) -> &'static str {
    match view {
        View::Traces => td_string!(locale, dashboards.views.traces),
        View::Observations => td_string!(locale, dashboards.views.observations),
        View::ScoresNumeric => td_string!(locale, dashboards.views.scores_numeric),
        View::ScoresCategorical => td_string!(locale, dashboards.views.scores_categorical),
        View::ScoresBoolean => td_string!(locale, dashboards.views.scores_boolean),
    }
}

pub fn aggregation_label(locale: Locale, aggregation: Aggregation) -> &'static str {
    match aggregation {
        Aggregation::Sum => td_string!(locale, dashboards.aggregations.sum),
        Aggregation::Avg => td_string!(locale, dashboards.aggregations.avg),
        Aggregation::Count => td_string!(locale, dashboards.aggregations.count),
        Aggregation::Max => td_string!(locale, dashboards.aggregations.max),
        Aggregation::Min => td_string!(locale, dashboards.aggregations.min),
        Aggregation::P50 => td_string!(locale, dashboards.aggregations.p50),
        Aggregation::P75 => td_string!(locale, dashboards.aggregations.p75),
        Aggregation::P90 => td_string!(locale, dashboards.aggregations.p90),
        Aggregation::P95 => td_string!(locale, dashboards.aggregations.p95),
        Aggregation::P99 => td_string!(locale, dashboards.aggregations.p99),
        Aggregation::Histogram => td_string!(locale, dashboards.aggregations.histogram),
        Aggregation::Uniq => td_string!(locale, dashboards.aggregations.uniq),
    }
}

/// A measure's name (Langfuse's identifier when Loupe has no words for it).
pub fn measure_label(locale: Locale, measure: &str) -> String {
    let known = match measure {
        "count" => td_string!(locale, dashboards.measures.count),
        "latency" => td_string!(locale, dashboards.measures.latency),
        "streamingLatency" => td_string!(locale, dashboards.measures.streaming_latency),
        "inputTokens" => td_string!(locale, dashboards.measures.input_tokens),
        "outputTokens" => td_string!(locale, dashboards.measures.output_tokens),
        "totalTokens" => td_string!(locale, dashboards.measures.total_tokens),
        "outputTokensPerSecond" => td_string!(locale, dashboards.measures.output_tokens_per_second),
        "tokensPerSecond" => td_string!(locale, dashboards.measures.tokens_per_second),
        "inputCost" => td_string!(locale, dashboards.measures.input_cost),
        "outputCost" => td_string!(locale, dashboards.measures.output_cost),
        "totalCost" => td_string!(locale, dashboards.measures.total_cost),
        "timeToFirstToken" => td_string!(locale, dashboards.measures.time_to_first_token),
        "countScores" => td_string!(locale, dashboards.measures.count_scores),
        "traceId" => td_string!(locale, dashboards.measures.trace_id),
        "uniqueUserIds" => td_string!(locale, dashboards.measures.unique_user_ids),
        "uniqueSessionIds" => td_string!(locale, dashboards.measures.unique_session_ids),
        "costByType" => td_string!(locale, dashboards.measures.cost_by_type),
        "usageByType" => td_string!(locale, dashboards.measures.usage_by_type),
        "observationsCount" => td_string!(locale, dashboards.measures.observations_count),
        "scoresCount" => td_string!(locale, dashboards.measures.scores_count),
        "value" => td_string!(locale, dashboards.measures.value),
        other => return other.to_string(),
    };
    known.to_string()
}

/// A dimension's (or filter column's) name (Langfuse's identifier when Loupe has no words).
pub fn dimension_label(locale: Locale, dimension: &str) -> String {
    let known = match dimension {
        "id" => td_string!(locale, dashboards.dimensions.id),
        "traceId" => td_string!(locale, dashboards.dimensions.trace_id),
        "traceName" => td_string!(locale, dashboards.dimensions.trace_name),
        "environment" => td_string!(locale, dashboards.dimensions.environment),
        "parentObservationId" => td_string!(locale, dashboards.dimensions.parent_observation_id),
        "isRootObservation" => td_string!(locale, dashboards.dimensions.is_root_observation),
        "type" => td_string!(locale, dashboards.dimensions.observation_type),
        "name" => td_string!(locale, dashboards.dimensions.name),
        "level" => td_string!(locale, dashboards.dimensions.level),
        "version" => td_string!(locale, dashboards.dimensions.version),
        "tags" => td_string!(locale, dashboards.dimensions.tags),
        "release" => td_string!(locale, dashboards.dimensions.release),
        "providedModelName" => td_string!(locale, dashboards.dimensions.provided_model_name),
        "promptName" => td_string!(locale, dashboards.dimensions.prompt_name),
        "promptVersion" => td_string!(locale, dashboards.dimensions.prompt_version),
        "userId" => td_string!(locale, dashboards.dimensions.user_id),
        "sessionId" => td_string!(locale, dashboards.dimensions.session_id),
        "traceRelease" => td_string!(locale, dashboards.dimensions.trace_release),
        "traceVersion" => td_string!(locale, dashboards.dimensions.trace_version),
        "startTimeMonth" => td_string!(locale, dashboards.dimensions.start_time_month),
        "costType" => td_string!(locale, dashboards.dimensions.cost_type),
        "usageType" => td_string!(locale, dashboards.dimensions.usage_type),
        "source" => td_string!(locale, dashboards.dimensions.source),
        "dataType" => td_string!(locale, dashboards.dimensions.data_type),
        "configId" => td_string!(locale, dashboards.dimensions.config_id),
        "timestampMonth" => td_string!(locale, dashboards.dimensions.timestamp_month),
        "timestampDay" => td_string!(locale, dashboards.dimensions.timestamp_day),
        "observationId" => td_string!(locale, dashboards.dimensions.observation_id),
        "observationName" => td_string!(locale, dashboards.dimensions.observation_name),
        "observationModelName" => td_string!(locale, dashboards.dimensions.observation_model_name),
        "observationPromptName" => td_string!(locale, dashboards.dimensions.observation_prompt_name),
        "observationPromptVersion" => td_string!(locale, dashboards.dimensions.observation_prompt_version),
        "datasetRunId" => td_string!(locale, dashboards.dimensions.dataset_run_id),
        "value" => td_string!(locale, dashboards.dimensions.value),
        "booleanValue" => td_string!(locale, dashboards.dimensions.boolean_value),
        "stringValue" => td_string!(locale, dashboards.dimensions.string_value),
        other => return other.to_string(),
    };
    known.to_string()
}

/// "Latency (p95)", "Total cost (Sum)".
pub fn metric_label(locale: Locale, metric: &Metric) -> String {
    td_string!(locale, dashboards.metric_label, aggregation = aggregation_label(locale, metric.aggregation), measure = measure_label(locale, &metric.measure)).to_string()
}

pub fn chart_label(locale: Locale, kind: ChartKind) -> &'static str {
    match kind {
        ChartKind::Line => td_string!(locale, dashboards.charts.line),
        ChartKind::StackedBars => td_string!(locale, dashboards.charts.stacked_bars),
        ChartKind::GroupedBars => td_string!(locale, dashboards.charts.grouped_bars),
        ChartKind::Bars => td_string!(locale, dashboards.charts.bars),
        ChartKind::Table => td_string!(locale, dashboards.charts.table),
        ChartKind::Number => td_string!(locale, dashboards.charts.number),
    }
}

pub fn size_label(locale: Locale, size: WidgetSize) -> &'static str {
    match size {
        WidgetSize::Small => td_string!(locale, dashboards.sizes.small),
        WidgetSize::Medium => td_string!(locale, dashboards.sizes.medium),
        WidgetSize::Large => td_string!(locale, dashboards.sizes.large),
    }
}

/// A filter operator as the editor offers it (`=`, `contains`, `any of`, …).
pub fn operator_label(locale: Locale, operator: &str) -> &'static str {
    match operator {
        "contains" => td_string!(locale, dashboards.operators.contains),
        "any of" => td_string!(locale, dashboards.operators.any_of),
        "none of" => td_string!(locale, dashboards.operators.none_of),
        "is null" => td_string!(locale, dashboards.operators.is_null),
        "is not null" => td_string!(locale, dashboards.operators.is_not_null),
        _ => td_string!(locale, dashboards.operators.eq),
    }
}

/// A URL filter parameter's name (the filter bar's labels).
pub fn filter_label(locale: Locale, param: &str) -> &'static str {
    match param {
        "environment" => td_string!(locale, dashboards.filters.environment),
        "release" => td_string!(locale, dashboards.filters.release),
        "version" => td_string!(locale, dashboards.filters.version),
        "tag" => td_string!(locale, dashboards.filters.tag),
        "user" => td_string!(locale, dashboards.filters.user),
        "session" => td_string!(locale, dashboards.filters.session),
        "name" => td_string!(locale, dashboards.filters.name),
        "model" => td_string!(locale, dashboards.filters.model),
        _ => td_string!(locale, dashboards.filters.metadata),
    }
}

/// A series' name in a widget's legend and tooltip: the dimension's value; with several metrics
/// and no dimension, the metric ("p95" when all share a measure, else "Sum of Total cost").
pub fn series_name(locale: Locale, widget: &Widget, name: &SeriesName) -> String {
    match &name.group {
        Group::Value(value) => value.clone(),
        Group::Empty => td_string!(locale, dashboards.chart.none).to_string(),
        Group::Other => td_string!(locale, dashboards.chart.other).to_string(),
        Group::All => {
            let metrics = &widget.query.metrics;
            let Some(metric) = metrics.get(name.metric) else { return String::new() };
            if metrics.iter().all(|m| m.measure == metric.measure) && metrics.len() > 1 {
                aggregation_label(locale, metric.aggregation).to_string()
            } else if metrics.len() == 1 {
                measure_label(locale, &metric.measure)
            } else {
                metric_label(locale, metric)
            }
        }
    }
}

/// A widget problem in words (the field stays in the refusal's `field`).
pub fn problem(locale: Locale, problem: &WidgetProblem) -> String {
    match &problem.problem {
        Problem::TooMany => td_string!(locale, dashboards.problems.too_many, max = MAX_WIDGETS).to_string(),
        Problem::Empty => td_string!(locale, dashboards.problems.empty).to_string(),
        Problem::TooLong => td_string!(locale, dashboards.problems.too_long, max = MAX_TITLE).to_string(),
        Problem::Control => td_string!(locale, dashboards.problems.control).to_string(),
        Problem::DuplicateId => td_string!(locale, dashboards.problems.duplicate_id).to_string(),
        Problem::Query(detail) => td_string!(locale, dashboards.problems.query, detail = detail.clone()).to_string(),
        Problem::NeedsTime => td_string!(locale, dashboards.problems.needs_time).to_string(),
        Problem::NeedsDimension => td_string!(locale, dashboards.problems.needs_dimension).to_string(),
        Problem::NoTime => td_string!(locale, dashboards.problems.no_time).to_string(),
        Problem::NotANumber => td_string!(locale, dashboards.problems.not_a_number).to_string(),
        Problem::BadRate => td_string!(locale, dashboards.problems.bad_rate).to_string(),
        Problem::NotWidgets(detail) => td_string!(locale, dashboards.problems.not_widgets, detail = detail.clone()).to_string(),
        Problem::Metadata => td_string!(locale, dashboards.problems.metadata).to_string(),
    }
}

/// A refused time range in words.
pub fn range_problem(locale: Locale, problem: &RangeProblem) -> String {
    match problem {
        RangeProblem::UnknownPreset(range) => td_string!(locale, dashboards.range_problems.unknown_preset, range = range.clone()).to_string(),
        RangeProblem::NotATime { .. } => td_string!(locale, dashboards.range_problems.not_a_time).to_string(),
        RangeProblem::Reversed => td_string!(locale, dashboards.range_problems.reversed).to_string(),
        RangeProblem::TooLong => td_string!(locale, dashboards.range_problems.too_long, days = MAX_RANGE_DAYS).to_string(),
    }
}
