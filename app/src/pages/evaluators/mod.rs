//! LLM-as-judge evaluators (#21): the project's evaluators, creating one (template, connection,
//! target, filter, sampling, delay, variable mapping with a live preview), and one evaluator's
//! executions.
//!
//! `list.rs` the list with pause/resume; `new.rs` the route creating one and the offer to run it
//! on existing traces afterwards; `form.rs` the form (also editing on the evaluator page), with
//! `templates.rs` (built-in and custom templates, a new custom template), `filter.rs` (the traces
//! list's filters as a compact editor) and `mapping.rs` (variable mapping and the live preview);
//! `backfill.rs` running an evaluator on existing targets; `evaluator.rs` one evaluator, its
//! configuration, backfill and executions.
//!
//! Everything from people or models (template prompts, names, mapped values, the judge's errors)
//! is rendered as text and marked `translate="no"`.

mod backfill;
mod evaluator;
mod filter;
mod form;
mod list;
mod mapping;
mod new;
mod templates;

pub use evaluator::EvaluatorPage;
pub use list::EvaluatorsPage;
pub use new::EvaluatorNewPage;

use leptos::prelude::*;

use crate::domain::evaluators::{EvaluatorStatus, EvaluatorTarget, ExecutionCounts, ExecutionStatus, MappingSource, OutputDefinition, ScoreKind};
use crate::i18n::*;

/// What creating, editing, pausing and running evaluators takes (the server checks the same).
pub(crate) const MANAGE: crate::domain::Action = crate::domain::Action::WriteScores;

/// An evaluator's page.
pub(crate) fn evaluator_href(project_id: &str, evaluator_id: &str) -> String {
    format!("/project/{project_id}/evaluators/{}", crate::domain::url::encode_query(evaluator_id))
}

/// A trace's page, optionally with one of its observations selected.
pub(crate) fn trace_href(project_id: &str, trace_id: &str, observation_id: Option<&str>) -> String {
    let encode = crate::domain::url::encode_query;
    let mut href = format!("/project/{project_id}/traces/{}", encode(trace_id));
    if let Some(observation) = observation_id {
        href.push_str(&format!("?observation={}", encode(observation)));
    }
    href
}

/// Where the project's LLM connections are added (Admins and Owners).
pub(crate) fn connections_href(project_id: &str) -> String {
    format!("/project/{project_id}/settings")
}

pub(crate) fn status_label(locale: Locale, status: EvaluatorStatus) -> &'static str {
    match status {
        EvaluatorStatus::Active => td_string!(locale, evaluators.status.active),
        EvaluatorStatus::Paused => td_string!(locale, evaluators.status.paused),
    }
}

/// Active or paused, as a coloured pill (the word says it too: not colour alone).
#[component]
pub(crate) fn StatusBadge(status: EvaluatorStatus) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let class = match status {
        EvaluatorStatus::Active => "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
        EvaluatorStatus::Paused => "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-300",
    };
    view! {
        <span class=format!("inline-flex items-center gap-1 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium {class}")
            data-testid="evaluator-status" data-status=status.as_str()>
            <span aria-hidden="true">{if status == EvaluatorStatus::Active { "●" } else { "❚❚" }}</span>
            {status_label(locale, status)}
        </span>
    }
}

pub(crate) fn execution_status_label(locale: Locale, status: ExecutionStatus) -> &'static str {
    match status {
        ExecutionStatus::Pending => td_string!(locale, evaluators.executions.statuses.pending),
        ExecutionStatus::Delayed => td_string!(locale, evaluators.executions.statuses.delayed),
        ExecutionStatus::Running => td_string!(locale, evaluators.executions.statuses.running),
        ExecutionStatus::Completed => td_string!(locale, evaluators.executions.statuses.completed),
        ExecutionStatus::Error => td_string!(locale, evaluators.executions.statuses.error),
        ExecutionStatus::Cancelled => td_string!(locale, evaluators.executions.statuses.cancelled),
    }
}

pub(crate) fn execution_status_class(status: ExecutionStatus) -> &'static str {
    match status {
        ExecutionStatus::Pending | ExecutionStatus::Delayed => "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
        ExecutionStatus::Running => "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
        ExecutionStatus::Completed => "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
        ExecutionStatus::Error => "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
        ExecutionStatus::Cancelled => "bg-zinc-100 text-zinc-500 line-through dark:bg-zinc-800 dark:text-zinc-400",
    }
}

/// An execution's status as a pill.
#[component]
pub(crate) fn ExecutionBadge(status: ExecutionStatus) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    view! {
        <span class=format!("inline-flex whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium {}", execution_status_class(status))
            data-testid="execution-status" data-status=status.as_str()>
            {execution_status_label(locale, status)}
        </span>
    }
}

/// The count of one status.
pub(crate) fn count_of(counts: &ExecutionCounts, status: ExecutionStatus) -> i64 {
    match status {
        ExecutionStatus::Pending => counts.pending,
        ExecutionStatus::Delayed => counts.delayed,
        ExecutionStatus::Running => counts.running,
        ExecutionStatus::Completed => counts.completed,
        ExecutionStatus::Error => counts.error,
        ExecutionStatus::Cancelled => counts.cancelled,
    }
}

/// Executions still to finish (the pages poll while there are any).
pub(crate) fn open_count(counts: &ExecutionCounts) -> i64 {
    counts.pending + counts.delayed + counts.running
}

/// A list's compact counts: scores written, errors, and what is still to run (each only when
/// there is any), or a dash for an evaluator that has not run yet.
#[component]
pub(crate) fn CountsSummary(counts: ExecutionCounts) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    if counts.total() == 0 {
        return view! { <span class="text-zinc-400" data-testid="evaluator-counts">{td_string!(locale, evaluators.list.no_runs)}</span> }.into_any();
    }
    let waiting = open_count(&counts);
    view! {
        <span class="flex flex-wrap gap-1 text-xs" data-testid="evaluator-counts" data-completed=counts.completed.to_string() data-error=counts.error.to_string()>
            <span class=format!("rounded px-1.5 py-0.5 {}", execution_status_class(ExecutionStatus::Completed))>
                {td_string!(locale, evaluators.list.completed_count, count = counts.completed).to_string()}
            </span>
            {(counts.error > 0).then(|| view! {
                <span class=format!("rounded px-1.5 py-0.5 {}", execution_status_class(ExecutionStatus::Error))>
                    {td_string!(locale, evaluators.list.error_count, count = counts.error).to_string()}
                </span>
            })}
            {(waiting > 0).then(|| view! {
                <span class=format!("rounded px-1.5 py-0.5 {}", execution_status_class(ExecutionStatus::Pending))>
                    {td_string!(locale, evaluators.list.waiting_count, count = waiting).to_string()}
                </span>
            })}
        </span>
    }
    .into_any()
}

/// What an evaluator evaluates, in a few words.
pub(crate) fn target_label(locale: Locale, target: &EvaluatorTarget) -> String {
    match target {
        EvaluatorTarget::Trace => td_string!(locale, evaluators.target.traces).to_string(),
        EvaluatorTarget::Observation { types, name } => {
            let mut text = td_string!(locale, evaluators.target.observations).to_string();
            if !types.is_empty() {
                let types: Vec<&str> = types.iter().map(|t| crate::components::waterfall::type_name(locale, *t)).collect();
                text.push_str(&format!(" · {}", types.join(", ")));
            }
            if let Some(name) = name {
                text.push_str(&format!(" · “{name}”"));
            }
            text
        }
        EvaluatorTarget::DatasetRun { dataset_id: None } => td_string!(locale, evaluators.target.dataset_runs).to_string(),
        EvaluatorTarget::DatasetRun { dataset_id: Some(id) } => td_string!(locale, evaluators.target.dataset_runs_of, dataset = id.as_str()).to_string(),
    }
}

pub(crate) fn kind_label(locale: Locale, kind: ScoreKind) -> &'static str {
    match kind {
        ScoreKind::Numeric => td_string!(locale, evaluators.output.numeric),
        ScoreKind::Categorical => td_string!(locale, evaluators.output.categorical),
        ScoreKind::Boolean => td_string!(locale, evaluators.output.boolean),
    }
}

/// The score a template gives, in a few words: "Numeric 0 – 1", "Categorical: good, bad".
pub(crate) fn output_summary(locale: Locale, output: &OutputDefinition) -> String {
    let kind = kind_label(locale, output.data_type);
    match output.data_type {
        ScoreKind::Numeric => match (output.min_value, output.max_value) {
            (Some(a), Some(b)) => format!("{kind} {a} – {b}"),
            (Some(a), None) => format!("{kind} ≥ {a}"),
            (None, Some(b)) => format!("{kind} ≤ {b}"),
            (None, None) => kind.to_string(),
        },
        ScoreKind::Boolean => kind.to_string(),
        ScoreKind::Categorical => format!("{kind}: {}", output.categories.join(", ")),
    }
}

pub(crate) fn source_label(locale: Locale, source: MappingSource) -> &'static str {
    match source {
        MappingSource::Input => td_string!(locale, evaluators.mapping.sources.input),
        MappingSource::Output => td_string!(locale, evaluators.mapping.sources.output),
        MappingSource::Metadata => td_string!(locale, evaluators.mapping.sources.metadata),
        MappingSource::ExpectedOutput => td_string!(locale, evaluators.mapping.sources.expected_output),
    }
}

/// "25 %" of a sampling rate (0 < rate ≤ 1), without a trailing ".0".
pub(crate) fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if (p - p.round()).abs() < 1e-9 { format!("{p:.0} %") } else { format!("{p:.1} %") }
}

/// A delay in milliseconds as seconds, minutes or hours.
pub(crate) fn delay_label(locale: Locale, ms: i64) -> String {
    if ms <= 0 {
        return td_string!(locale, evaluators.config.no_delay).to_string();
    }
    crate::language::duration_us(locale, ms.saturating_mul(1000))
}

/// "12 of 40" with a bar (a backfill's progress).
#[component]
pub(crate) fn Progress(done: i64, total: i64, #[prop(into)] label: String) -> impl IntoView {
    let percent = if total > 0 { (done as f64 / total as f64 * 100.0).clamp(0.0, 100.0) } else { 0.0 };
    view! {
        <div class="min-w-32" data-testid="evaluator-progress" data-done=done.to_string() data-total=total.to_string()>
            <div class="h-1.5 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="progressbar"
                aria-valuemin="0" aria-valuemax=total.to_string() aria-valuenow=done.to_string() aria-label=label.clone()>
                <div class="h-full rounded-full bg-indigo-600 transition-[width] dark:bg-indigo-500" style=format!("width: {percent:.1}%")></div>
            </div>
            <p class="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">{label}</p>
        </div>
    }
}

/// A numbered section of the evaluator form: a card with a heading and a line of help.
#[component]
pub(crate) fn FormSection(
    step: u8,
    title: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    test_id: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-950" data-testid=test_id>
            <header class="flex items-start gap-3 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <span class="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-indigo-600 text-xs font-semibold text-white" aria-hidden="true">{step}</span>
                <div class="min-w-0">
                    <h2 class="text-sm font-semibold">{title}</h2>
                    {hint.map(|h| view! { <p class="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">{h}</p> })}
                </div>
            </header>
            <div class="space-y-3 px-4 py-4">{children()}</div>
        </section>
    }
}

/// Waits `ms` milliseconds in the browser (the pages poll with it); on the server it returns at
/// once, and nothing on the server polls.
pub(crate) async fn sleep(ms: i32) {
    #[cfg(feature = "hydrate")]
    {
        let promise = leptos::web_sys::js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = leptos::web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ms;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_links_read_well() {
        assert_eq!(percent(1.0), "100 %");
        assert_eq!(percent(0.25), "25 %");
        assert_eq!(percent(0.125), "12.5 %");
        assert_eq!(trace_href("p", "a b", Some("o/1")), "/project/p/traces/a%20b?observation=o%2F1");
        assert_eq!(evaluator_href("p", "e1"), "/project/p/evaluators/e1");
    }
}
