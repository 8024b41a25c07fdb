//! A dataset's runs (#21): the runs table the dataset page shows under "Runs" ([`DatasetRuns`]:
//! per run its items, the average of each score, latency p50/p95, cost and errors; pick 2–4 to
//! compare; "New run" runs a prompt version over the dataset with an LLM connection, its progress
//! polled while it runs), and `/project/{id}/datasets/{dataset}/runs/{run}`, one run item by item
//! ([`DatasetRunPage`]). Inputs, outputs and names are data: rendered as text, `translate="no"`.

use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::experiments::{
    sdk_snippet, CellScore, PromptChoice, RunDetail, RunItemRow, RunProgress, RunState, RunSummary, RunsPage, ScoreAggregate, StartRunInput,
    MAX_COMPARED, MIN_COMPARED,
};
use crate::domain::playground::ModelParams;
use crate::domain::url::{encode_path, encode_query};
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::experiments::{experiment_run_options, get_experiment_run, list_experiment_runs, DeleteExperimentRun, StartExperimentRun};

/// How often a page with a running run asks for its progress.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const POLL_MS: u64 = 2_000;

/// A JSON value as text: a string as it is, nothing for `null`, else pretty JSON.
pub(super) fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// A score's number: up to 3 decimals, trailing zeros dropped.
pub(super) fn number(value: f64) -> String {
    let s = format!("{value:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A signed number: `+0.12`, `−0.05`, `0`.
pub(super) fn signed(value: f64) -> String {
    let shown = number(value.abs());
    if shown == "0" {
        shown
    } else if value > 0.0 {
        format!("+{shown}")
    } else {
        format!("−{shown}")
    }
}

pub(super) fn latency(locale: Locale, seconds: Option<f64>) -> String {
    seconds.map(|s| crate::domain::format::duration_s_in(s, crate::language::duration_units(locale))).unwrap_or_else(|| "—".into())
}

pub(super) fn cost(value: Option<f64>) -> String {
    value.map(crate::domain::format::cost).unwrap_or_else(|| "—".into())
}

/// One score of a cell: its value (or label) as text.
pub(super) fn cell_score_text(score: &CellScore) -> String {
    match (score.number(), &score.string_value) {
        (_, Some(label)) if score.data_type != crate::domain::ScoreDataType::Numeric => label.clone(),
        (Some(v), _) => number(v),
        (None, Some(label)) => label.clone(),
        (None, None) => score.value.map(number).unwrap_or_default(),
    }
}

/// The dataset's run page.
pub(super) fn run_href(project_id: &str, dataset_id: &str, run_id: &str) -> String {
    format!("/project/{}/datasets/{}/runs/{}", encode_path(project_id), encode_path(dataset_id), encode_path(run_id))
}

/// The comparison of `runs`, the first the baseline.
pub(super) fn compare_href(project_id: &str, dataset_id: &str, runs: &[String]) -> String {
    let list: Vec<String> = runs.iter().map(|r| encode_query(r)).collect();
    format!("/project/{}/datasets/{}/compare?runs={}", encode_path(project_id), encode_path(dataset_id), list.join(","))
}

/// A run's score averages as small chips: `name 0.82 (40)`.
#[component]
fn ScoreChips(scores: Vec<ScoreAggregate>) -> impl IntoView {
    view! {
        <div class="flex flex-wrap gap-1">
            {scores.into_iter().map(|s| {
                let value = s.average.map(number).unwrap_or_else(|| "—".into());
                view! {
                    <span class="inline-flex items-center gap-1 whitespace-nowrap rounded-full border border-zinc-300 px-2 py-0.5 text-xs dark:border-zinc-700"
                        data-testid="score-chip" data-name=s.name.clone() title=format!("n = {}", s.count)>
                        <span translate="no">{s.name.clone()}</span>
                        <span class="font-mono font-medium" data-testid="score-average">{value}</span>
                    </span>
                }
            }).collect_view()}
        </div>
    }
}

/// A running run's bar ("12 of 40 done, 1 failed"), or why it failed.
#[component]
pub(super) fn RunProgressView(progress: RunProgress) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let percent = if progress.total > 0 { (progress.done as f64 / progress.total as f64 * 100.0).clamp(0.0, 100.0) } else { 0.0 };
    let state = progress.state;
    let label = match state {
        RunState::Running => td_string!(locale, experiments.progress.running, done = progress.done, total = progress.total).to_string(),
        RunState::Done => td_string!(locale, experiments.progress.done, done = progress.done, total = progress.total).to_string(),
        RunState::Failed => td_string!(locale, experiments.progress.failed_run).to_string(),
    };
    view! {
        <div class="min-w-36" data-testid="run-progress" data-state=state.as_str()>
            {(state == RunState::Running).then(|| view! {
                <div class="h-1.5 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="progressbar"
                    aria-valuemin="0" aria-valuemax=progress.total.to_string() aria-valuenow=progress.done.to_string()>
                    <div class="h-full rounded-full bg-indigo-600 dark:bg-indigo-500" style=format!("width: {percent:.1}%")></div>
                </div>
            })}
            <p class="mt-0.5 text-xs text-zinc-600 dark:text-zinc-400" data-testid="run-progress-label">
                {label}
                {(progress.failed > 0).then(|| format!(" · {}", td_string!(locale, experiments.progress.failed_items, count = progress.failed)))}
            </p>
            {progress.error.clone().map(|e| view! { <p class="mt-0.5 break-words text-xs text-red-700 dark:text-red-400" data-testid="run-error" translate="no">{e}</p> })}
        </div>
    }
}

/// Polls `refetch` every [`POLL_MS`] while `running` says so (browser only).
fn poll_while(running: Signal<bool>, refetch: impl Fn() + Clone + Send + Sync + 'static) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if running.get() {
            let refetch = refetch.clone();
            if let Ok(handle) = set_timeout_with_handle(move || refetch(), std::time::Duration::from_millis(POLL_MS)) {
                on_cleanup(move || handle.clear());
            }
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (running, refetch);
}

/// The runs of a dataset: the table, the compare selection and "New run". Rendered by the
/// dataset page under its "Runs" tab.
#[component]
pub fn DatasetRuns(project: ProjectRef, #[prop(into)] dataset_id: String, #[prop(optional, into)] dataset_name: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let page = RwSignal::new(1u32);
    let start = ServerAction::<StartExperimentRun>::new();
    let delete = ServerAction::<DeleteExperimentRun>::new();
    let creating = RwSignal::new(false);
    let (pid, did) = (project.id.clone(), dataset_id.clone());
    let runs = LocalResource::new(move || {
        start.version().get();
        delete.version().get();
        list_experiment_runs(pid.clone(), did.clone(), page.get())
    });
    let running = Signal::derive(move || {
        runs.try_get().flatten().and_then(|r| r.ok()).is_some_and(|p: RunsPage| p.runs.iter().any(|r| r.progress.as_ref().is_some_and(RunProgress::is_running)))
    });
    poll_while(running, move || runs.refetch());
    Effect::new(move |_| {
        if let Some(Ok(_)) = start.value().get() {
            creating.set(false);
        }
    });
    let chosen = RwSignal::new(Vec::<String>::new());
    let project_id = StoredValue::new(project.id.clone());
    let dataset = StoredValue::new(dataset_id.clone());
    let snippet = sdk_snippet(dataset_name.as_deref().unwrap_or(&dataset_id));
    let compare = move || compare_href(&project_id.get_value(), &dataset.get_value(), &chosen.get());
    let can_compare = move || (MIN_COMPARED..=MAX_COMPARED).contains(&chosen.get().len());
    view! {
        <section class="space-y-3" data-testid="dataset-runs">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <p class="text-sm text-zinc-600 dark:text-zinc-400">{t!(i18n, experiments.runs.hint, min = MIN_COMPARED, max = MAX_COMPARED)}</p>
                <div class="flex flex-wrap gap-2">
                    {move || if can_compare() {
                        view! { <a class=BUTTON_SECONDARY href=compare() data-testid="compare-runs">{td_string!(locale, experiments.runs.compare, count = chosen.get().len())}</a> }.into_any()
                    } else {
                        view! { <button type="button" class=BUTTON_SECONDARY disabled=true data-testid="compare-runs">{td_string!(locale, experiments.runs.compare, count = chosen.get().len())}</button> }.into_any()
                    }}
                    {project.can(crate::domain::Action::UsePlayground).then(|| view! {
                        <button type="button" class=BUTTON_PRIMARY data-testid="new-run" on:click=move |_| creating.update(|c| *c = !*c)>{t_string!(i18n, experiments.runs.new)}</button>
                    })}
                </div>
            </div>
            <Show when=move || creating.get()>
                <NewRunForm project_id=project_id.get_value() dataset_id=dataset.get_value() start on_cancel=Callback::new(move |_| creating.set(false)) />
            </Show>
            <ErrorAlert error=action_error(delete) />
            <div class=format!("{CARD} overflow-x-auto")>
                {move || match runs.try_get().flatten() {
                    None => view! { <Skeleton label=td_string!(locale, experiments.runs.loading) /> }.into_any(),
                    Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                    Some(Ok(list)) if list.runs.is_empty() => view! {
                        <div class="px-6 py-8 text-sm text-zinc-600 dark:text-zinc-400" data-testid="no-runs">
                            <p class="font-medium text-zinc-900 dark:text-zinc-100">{td_string!(locale, experiments.runs.empty_title)}</p>
                            <p class="mt-1">{td_string!(locale, experiments.runs.empty_body)}</p>
                            <pre class="mt-3 max-w-full overflow-x-auto rounded-md bg-zinc-100 p-3 font-mono text-xs text-zinc-800 dark:bg-zinc-900 dark:text-zinc-200" translate="no" data-testid="sdk-snippet">{snippet.clone()}</pre>
                        </div>
                    }.into_any(),
                    Some(Ok(list)) => view! { <RunsTable list chosen project_id=project_id.get_value() dataset_id=dataset.get_value() delete page /> }.into_any(),
                }}
            </div>
        </section>
    }
}

#[component]
fn RunsTable(list: RunsPage, chosen: RwSignal<Vec<String>>, project_id: String, dataset_id: String, delete: ServerAction<DeleteExperimentRun>, page: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let now = chrono::Utc::now();
    let can_delete = list.can_delete;
    let more = i64::from(list.page) * i64::from(list.page_size) < list.total;
    let current = list.page;
    view! {
        <table class=TABLE data-testid="runs-table">
            <thead class="border-b border-zinc-200 dark:border-zinc-800"><tr>
                <th class=TH><span class="sr-only">{td_string!(locale, experiments.runs.select)}</span></th>
                <th class=TH>{td_string!(locale, experiments.columns.name)}</th>
                <th class=TH>{td_string!(locale, experiments.columns.items)}</th>
                <th class=format!("{TH} min-w-48")>{td_string!(locale, experiments.columns.scores)}</th>
                <th class=TH>{td_string!(locale, experiments.columns.latency)}</th>
                <th class=TH>{td_string!(locale, experiments.columns.cost)}</th>
                <th class=TH>{td_string!(locale, experiments.columns.errors)}</th>
                <th class=TH>{td_string!(locale, experiments.columns.created)}</th>
                <th class=TH></th>
            </tr></thead>
            <tbody>
                {list.runs.into_iter().map(|r: RunSummary| {
                    let id = r.run.id.clone();
                    let checked_id = id.clone();
                    let href = run_href(&project_id, &dataset_id, &id);
                    let delete_id = id.clone();
                    let (pid, did) = (project_id.clone(), dataset_id.clone());
                    let confirm_text = td_string!(locale, experiments.runs.confirm_delete, name = r.run.name.as_str()).to_string();
                    view! {
                        <tr class="border-b border-zinc-100 last:border-0 dark:border-zinc-900" data-testid="run-row" data-name=r.run.name.clone()>
                            <td class=TD>
                                <input type="checkbox" data-testid="run-select" aria-label=td_string!(locale, experiments.runs.select)
                                    prop:checked=move || chosen.with(|c| c.contains(&checked_id))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| { c.retain(|x| *x != id); if on { c.push(id.clone()); } });
                                    } />
                            </td>
                            <td class=TD>
                                <a class="font-medium hover:underline" href=href translate="no" data-testid="run-link">{r.run.name.clone()}</a>
                                {r.progress.clone().map(|p| view! {
                                    <div class="mt-1 text-xs text-zinc-500" translate="no">{format!("{} v{} · {}", p.prompt_name, p.prompt_version, p.model)}</div>
                                    <div class="mt-1"><RunProgressView progress=p /></div>
                                })}
                            </td>
                            <td class=format!("{TD} text-right font-mono") data-testid="run-items">{r.item_count}</td>
                            <td class=TD><ScoreChips scores=r.scores.clone() /></td>
                            <td class=format!("{TD} whitespace-nowrap font-mono text-xs") data-testid="run-latency">
                                {format!("{} / {}", latency(locale, r.latency_p50), latency(locale, r.latency_p95))}
                            </td>
                            <td class=format!("{TD} text-right font-mono text-xs") data-testid="run-cost">{crate::domain::format::cost(r.total_cost)}</td>
                            <td class=format!("{TD} text-right font-mono") data-testid="run-errors">
                                <span class={if r.error_count > 0 { "text-red-700 dark:text-red-400" } else { "" }}>{r.error_count}</span>
                            </td>
                            <td class=format!("{TD} whitespace-nowrap text-xs text-zinc-500") title=timestamp(r.run.created_at)>{relative_time_in(locale, r.run.created_at, now)}</td>
                            <td class=format!("{TD} text-right")>
                                {can_delete.then(|| view! {
                                    <button type="button" class=BUTTON_LINK data-testid="delete-run" disabled=move || delete.pending().get()
                                        on:click=move |_| {
                                            if confirm(&confirm_text) {
                                                delete.dispatch(DeleteExperimentRun { project_id: pid.clone(), dataset_id: did.clone(), run_id: delete_id.clone() });
                                            }
                                        }>{td_string!(locale, experiments.runs.delete)}</button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {(current > 1 || more).then(|| view! {
            <div class="flex items-center justify-between border-t border-zinc-200 px-4 py-2 text-sm dark:border-zinc-800">
                <button type="button" class=BUTTON_LINK disabled={current <= 1} on:click=move |_| page.set(current.saturating_sub(1).max(1))>{td_string!(locale, experiments.previous)}</button>
                <button type="button" class=BUTTON_LINK disabled=!more on:click=move |_| page.set(current + 1)>{td_string!(locale, experiments.next)}</button>
            </div>
        })}
    }
}

/// A browser confirmation (always yes outside the browser, where nothing is clicked).
fn confirm(_text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        return window.confirm_with_message(_text).unwrap_or(false);
    }
    true
}

/// "New run": the prompt (name and version or label), the LLM connection and model, a few
/// parameters and the run's name.
#[component]
fn NewRunForm(project_id: String, dataset_id: String, start: ServerAction<StartExperimentRun>, on_cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let pid = project_id.clone();
    let options = LocalResource::new(move || experiment_run_options(pid.clone()));
    let prompt = RwSignal::new(String::new());
    // "v:3" for a version, "l:production" for a label.
    let version = RwSignal::new(String::new());
    let connection = RwSignal::new(String::new());
    let model = RwSignal::new(String::new());
    let temperature = RwSignal::new(String::new());
    let max_tokens = RwSignal::new(String::new());
    let run_name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    // The first prompt, its newest version and the first connection with its first model, once
    // the options arrive: a form that can be sent as it opens.
    Effect::new(move |_| {
        if let Some(Ok(o)) = options.try_get().flatten() {
            if prompt.get_untracked().is_empty() {
                if let Some(p) = o.prompts.first() {
                    prompt.set(p.name.clone());
                    version.set(p.versions.first().map(|(v, _)| format!("v:{v}")).unwrap_or_default());
                }
            }
            if connection.get_untracked().is_empty() {
                if let Some(c) = o.connections.first() {
                    connection.set(c.name.clone());
                    model.set(c.models.first().cloned().unwrap_or_default());
                }
            }
        }
    });
    let project_id = StoredValue::new(project_id);
    let dataset_id = StoredValue::new(dataset_id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = version.get_untracked();
        let choice = match chosen.split_once(':') {
            Some(("l", label)) => PromptChoice::Label(label.to_string()),
            Some((_, v)) => PromptChoice::Version(v.parse().unwrap_or(0)),
            None => PromptChoice::Version(0),
        };
        let params = ModelParams {
            temperature: temperature.get_untracked().trim().parse().ok(),
            max_tokens: max_tokens.get_untracked().trim().parse().ok(),
            ..Default::default()
        };
        start.dispatch(StartExperimentRun {
            project_id: project_id.get_value(),
            input: StartRunInput {
                dataset_id: dataset_id.get_value(),
                prompt_name: prompt.get_untracked(),
                prompt: choice,
                connection: connection.get_untracked(),
                model: model.get_untracked(),
                params,
                run_name: run_name.get_untracked(),
                description: Some(description.get_untracked()),
            },
        });
    };
    let settings = format!("/project/{}/settings#llm-connections", project_id.get_value());
    view! {
        <form class=format!("{CARD} space-y-3 p-4") on:submit=submit data-testid="new-run-form">
            {move || match options.try_get().flatten() {
                None => view! { <Skeleton label=td_string!(locale, experiments.new_run.loading) /> }.into_any(),
                Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                Some(Ok(o)) => {
                    let prompts = StoredValue::new(o.prompts.clone());
                    let connections = StoredValue::new(o.connections.clone());
                    let versions = move || prompts.with_value(|ps| ps.iter().find(|p| p.name == prompt.get()).map(|p| p.versions.clone()).unwrap_or_default());
                    let models = move || connections.with_value(|cs| cs.iter().find(|c| c.name == connection.get()).map(|c| c.models.clone()).unwrap_or_default());
                    view! {
                        {o.prompts.is_empty().then(|| view! { <p class="text-sm text-amber-800 dark:text-amber-300" data-testid="new-run-no-prompts">{td_string!(locale, experiments.new_run.no_prompts)}</p> })}
                        {o.connections.is_empty().then(|| view! {
                            <p class="text-sm text-amber-800 dark:text-amber-300" data-testid="new-run-no-connections">{td_string!(locale, experiments.new_run.no_connections)}" "
                                <a class=BUTTON_LINK href=settings.clone()>{td_string!(locale, experiments.new_run.add_connection)}</a></p>
                        })}
                        <div class="grid gap-3 sm:grid-cols-2">
                            <label class="block">
                                <span class=LABEL>{td_string!(locale, experiments.new_run.prompt)}</span>
                                <select class=format!("{SELECT} mt-1 w-full") data-testid="new-run-prompt" translate="no"
                                    on:change=move |ev| {
                                        let name = event_target_value(&ev);
                                        let newest = prompts.with_value(|ps| ps.iter().find(|p| p.name == name).and_then(|p| p.versions.first().map(|(v, _)| format!("v:{v}"))));
                                        prompt.set(name);
                                        version.set(newest.unwrap_or_default());
                                    }>
                                    {o.prompts.iter().map(|p| { let name = p.name.clone(); view! { <option value=p.name.clone() selected=move || prompt.get() == name>{p.name.clone()}</option> } }).collect_view()}
                                </select>
                            </label>
                            <label class="block">
                                <span class=LABEL>{td_string!(locale, experiments.new_run.version)}</span>
                                <select class=format!("{SELECT} mt-1 w-full") data-testid="new-run-version" on:change=move |ev| version.set(event_target_value(&ev))>
                                    {move || {
                                        let list = versions();
                                        let mut labels: Vec<String> = list.iter().flat_map(|(_, l)| l.clone()).collect();
                                        labels.dedup();
                                        let by_label = labels.into_iter().map(|l| {
                                            let value = format!("l:{l}");
                                            let selected = value.clone();
                                            view! { <option value=value selected=move || version.get() == selected translate="no">{td_string!(locale, experiments.new_run.label_option, label = l.as_str()).to_string()}</option> }
                                        }).collect_view();
                                        let by_number = list.into_iter().map(|(v, _)| {
                                            let value = format!("v:{v}");
                                            let selected = value.clone();
                                            view! { <option value=value selected=move || version.get() == selected>{td_string!(locale, experiments.new_run.version_option, version = v).to_string()}</option> }
                                        }).collect_view();
                                        view! { {by_number}{by_label} }
                                    }}
                                </select>
                            </label>
                            <label class="block">
                                <span class=LABEL>{td_string!(locale, experiments.new_run.connection)}</span>
                                <select class=format!("{SELECT} mt-1 w-full") data-testid="new-run-connection" translate="no"
                                    on:change=move |ev| {
                                        let name = event_target_value(&ev);
                                        let first = connections.with_value(|cs| cs.iter().find(|c| c.name == name).and_then(|c| c.models.first().cloned()));
                                        connection.set(name);
                                        if let Some(first) = first { model.set(first); }
                                    }>
                                    {o.connections.iter().map(|c| { let name = c.name.clone(); view! { <option value=c.name.clone() selected=move || connection.get() == name>{c.name.clone()}</option> } }).collect_view()}
                                </select>
                            </label>
                            <label class="block">
                                <span class=LABEL>{td_string!(locale, experiments.new_run.model)}</span>
                                <input class=format!("{INPUT} mt-1 font-mono") list="new-run-models" data-testid="new-run-model" translate="no"
                                    prop:value=move || model.get() on:input=move |ev| model.set(event_target_value(&ev)) />
                                <datalist id="new-run-models">{move || models().into_iter().map(|m| view! { <option value=m /> }).collect_view()}</datalist>
                            </label>
                            <label class="block">
                                <span class=LABEL>{td_string!(locale, experiments.new_run.temperature)}</span>
                                <input type="number" step="0.1" min="0" max="2" class=format!("{INPUT} mt-1") data-testid="new-run-temperature"
                                    prop:value=move || temperature.get() on:input=move |ev| temperature.set(event_target_value(&ev)) />
                            </label>
                            <label class="block">
                                <span class=LABEL>{td_string!(locale, experiments.new_run.max_tokens)}</span>
                                <input type="number" step="1" min="1" class=format!("{INPUT} mt-1") data-testid="new-run-max-tokens"
                                    prop:value=move || max_tokens.get() on:input=move |ev| max_tokens.set(event_target_value(&ev)) />
                            </label>
                        </div>
                    }.into_any()
                }
            }}
            <label class="block">
                <span class=LABEL>{t_string!(i18n, experiments.new_run.name)}</span>
                <input type="text" class=format!("{INPUT} mt-1") required maxlength="255" data-testid="new-run-name"
                    placeholder=td_string!(locale, experiments.new_run.name_placeholder)
                    prop:value=move || run_name.get() on:input=move |ev| run_name.set(event_target_value(&ev)) />
            </label>
            <label class="block">
                <span class=LABEL>{t_string!(i18n, experiments.new_run.description)}</span>
                <textarea class=format!("{INPUT} mt-1 min-h-16") data-testid="new-run-description"
                    prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </label>
            <p class=HINT>{t!(i18n, experiments.new_run.hint, by_key = "{{variable}}", whole = "{{input}}")}</p>
            <ErrorAlert error=action_error(start) />
            <div class="flex gap-2">
                <button type="submit" class=BUTTON_PRIMARY data-testid="start-run" disabled=move || start.pending().get()>{t_string!(i18n, experiments.new_run.start)}</button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| on_cancel.run(())>{t_string!(i18n, experiments.new_run.cancel)}</button>
            </div>
        </form>
    }
}

// ---------------------------------------------------------------------------------------------
// The run page

#[component]
pub fn DatasetRunPage() -> impl IntoView {
    let i18n = use_i18n();
    let dataset_id = route_param("dataset_id");
    let run_id = route_param("run_id");
    view! {
        <Title text=t_string!(i18n, experiments.title) />
        <InProject children=move |_, project| view! { <RunView project dataset_id run_id /> } />
    }
}

#[component]
fn RunView(project: ProjectRef, dataset_id: Memo<String>, run_id: Memo<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let query = leptos_router::hooks::use_query_map();
    let page = Memo::new(move |_| query.with(|q| q.get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1)).max(1));
    let pid = project.id.clone();
    let detail = LocalResource::new(move || get_experiment_run(pid.clone(), dataset_id.get(), run_id.get(), page.get()));
    let running = Signal::derive(move || {
        detail.try_get().flatten().and_then(|d| d.ok()).is_some_and(|d: RunDetail| d.summary.progress.as_ref().is_some_and(RunProgress::is_running))
    });
    poll_while(running, move || detail.refetch());
    let project_id = StoredValue::new(project.id.clone());
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=move || format!("/project/{}/datasets/{}", encode_path(&project_id.get_value()), encode_path(&dataset_id.get()))>{t_string!(i18n, experiments.run.back)}</a>
            {move || match detail.try_get().flatten() {
                None => view! { <Skeleton label=td_string!(locale, experiments.run.loading) /> }.into_any(),
                Some(Err(error)) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                Some(Ok(detail)) => view! { <RunDetailView detail project_id=project_id.get_value() /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn RunDetailView(detail: RunDetail, project_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let s = detail.summary.clone();
    let dataset_id = s.run.dataset_id.clone().unwrap_or_default();
    let stats = vec![
        (td_string!(locale, experiments.columns.items), s.item_count.to_string(), "run-stat-items"),
        (td_string!(locale, experiments.columns.latency_p50), latency(locale, s.latency_p50), "run-stat-p50"),
        (td_string!(locale, experiments.columns.latency_p95), latency(locale, s.latency_p95), "run-stat-p95"),
        (td_string!(locale, experiments.columns.cost), crate::domain::format::cost(s.total_cost), "run-stat-cost"),
        (td_string!(locale, experiments.columns.errors), s.error_count.to_string(), "run-stat-errors"),
    ];
    let more = i64::from(detail.page) * i64::from(detail.page_size) < detail.total;
    let here = run_href(&project_id, &dataset_id, &s.run.id);
    let previous = (detail.page > 1).then(|| format!("{here}?page={}", detail.page - 1));
    let next = more.then(|| format!("{here}?page={}", detail.page + 1));
    view! {
        <div class="mt-3 flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                <h1 class="break-words text-xl font-semibold tracking-tight" data-testid="run-title" translate="no">{s.run.name.clone()}</h1>
                <p class="mt-1 text-sm text-zinc-500" translate="no">{detail.dataset_name.clone()}{s.run.description.clone().map(|d| format!(" · {d}"))}</p>
            </div>
            {s.progress.clone().map(|p| view! { <RunProgressView progress=p /> })}
        </div>
        <dl class="mt-4 grid grid-cols-2 gap-2 sm:grid-cols-5">
            {stats.into_iter().map(|(label, value, id)| view! {
                <div class=format!("{CARD} px-3 py-2")><dt class="text-xs text-zinc-500">{label}</dt><dd class="font-mono" data-testid=id>{value}</dd></div>
            }).collect_view()}
        </dl>
        {(!s.scores.is_empty() || !s.run_scores.is_empty()).then(|| view! {
            <div class="mt-3 space-y-1">
                <ScoreChips scores=s.scores.clone() />
                {(!s.run_scores.is_empty()).then(|| view! {
                    <p class="text-xs text-zinc-500">{td_string!(locale, experiments.run.run_scores)}" "
                        {s.run_scores.iter().map(|r| format!("{} = {}", r.name, r.value.map(number).or(r.string_value.clone()).unwrap_or_default())).collect::<Vec<_>>().join(" · ")}
                    </p>
                })}
            </div>
        })}
        <div class=format!("{CARD} mt-4 overflow-x-auto")>
            {if detail.rows.is_empty() {
                view! { <EmptyHint title=td_string!(locale, experiments.run.empty_title) test_id="no-run-items">{td_string!(locale, experiments.run.empty_body)}</EmptyHint> }.into_any()
            } else {
                view! {
                    <table class=TABLE data-testid="run-items-table">
                        <thead class="border-b border-zinc-200 dark:border-zinc-800"><tr>
                            <th class=TH>{td_string!(locale, experiments.columns.item)}</th>
                            <th class=TH>{td_string!(locale, experiments.columns.input)}</th>
                            <th class=TH>{td_string!(locale, experiments.columns.expected)}</th>
                            <th class=TH>{td_string!(locale, experiments.columns.output)}</th>
                            <th class=TH>{td_string!(locale, experiments.columns.scores)}</th>
                            <th class=TH>{td_string!(locale, experiments.columns.latency)}</th>
                            <th class=TH>{td_string!(locale, experiments.columns.cost)}</th>
                            <th class=TH>{td_string!(locale, experiments.columns.trace)}</th>
                        </tr></thead>
                        <tbody>{detail.rows.into_iter().map(|row| run_row(locale, &project_id, &dataset_id, row)).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            <PagerLinks previous next />
        </div>
    }
}

/// Text cells: data, kept short in the table (the full value in the trace).
const TEXT_CELL: &str = "max-w-[22rem] whitespace-pre-wrap break-words font-mono text-xs";

fn run_row(locale: Locale, project_id: &str, dataset_id: &str, row: RunItemRow) -> impl IntoView {
    let cell = row.cell;
    let item_href = format!("/project/{}/datasets/{}/items/{}", encode_path(project_id), encode_path(dataset_id), encode_path(&row.dataset_item_id));
    let trace_href = format!("/project/{}/traces/{}", encode_path(project_id), encode_path(&cell.trace_id));
    view! {
        <tr class="border-b border-zinc-100 last:border-0 dark:border-zinc-900" data-testid="run-item-row" data-item=row.dataset_item_id.clone()>
            <td class=format!("{TD} font-mono text-xs") translate="no"><a class="hover:underline" href=item_href>{row.dataset_item_id.clone()}</a></td>
            <td class=format!("{TD} {TEXT_CELL}") translate="no">{value_text(&row.input)}</td>
            <td class=format!("{TD} {TEXT_CELL}") translate="no">{value_text(&row.expected_output)}</td>
            <td class=format!("{TD} {TEXT_CELL}") translate="no" data-testid="run-item-output">
                {value_text(&cell.output)}
                {cell.error.then(|| view! {
                    <p class="mt-1 font-sans text-red-700 dark:text-red-400" data-testid="run-item-error">
                        {cell.error_message.clone().unwrap_or_else(|| td_string!(locale, experiments.run.errored).to_string())}
                    </p>
                })}
            </td>
            <td class=TD>
                <div class="flex flex-wrap gap-1">
                    {cell.scores.iter().map(|s| view! {
                        <span class="whitespace-nowrap rounded border border-zinc-200 px-1.5 py-0.5 text-xs dark:border-zinc-700" data-testid="run-item-score">
                            <span translate="no">{s.name.clone()}</span>" "<span class="font-mono">{cell_score_text(s)}</span>
                        </span>
                    }).collect_view()}
                </div>
            </td>
            <td class=format!("{TD} whitespace-nowrap font-mono text-xs")>{latency(locale, cell.latency)}</td>
            <td class=format!("{TD} whitespace-nowrap font-mono text-xs")>{cost(cell.cost)}</td>
            <td class=format!("{TD} text-xs")><a class=BUTTON_LINK href=trace_href data-testid="run-item-trace">{td_string!(locale, experiments.run.open_trace)}</a></td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_short_and_signed() {
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.12345), "0.123");
        assert_eq!(number(-0.0001), "0");
        assert_eq!(signed(0.12), "+0.12");
        assert_eq!(signed(-0.05), "−0.05");
        assert_eq!(signed(0.0), "0");
        assert_eq!(value_text(&serde_json::json!("hi")), "hi");
        assert_eq!(value_text(&Value::Null), "");
        assert_eq!(value_text(&serde_json::json!({"a": 1})), "{\n  \"a\": 1\n}");
    }
}
