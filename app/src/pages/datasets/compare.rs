//! `/project/{id}/datasets/{dataset}/compare?runs=a,b,c&baseline=a&lower=toxicity&sort=acc`: 2–4
//! runs side by side — per item the expected output and each run's output diffed against it, its
//! scores with the change against the baseline, latency and cost — and the regression verdict:
//! per score, each candidate's paired comparison with the baseline on their shared items (a
//! bootstrap 95 % interval of the mean difference, `domain::experiment_stats`). Everything the
//! page shows is in its URL (baseline, directions, order, page), so a comparison can be shared.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::params::ParamsMap;

use super::run::{cell_score_text, cost, latency, number, run_href, signed, value_text, RunProgressView};
use crate::components::prompt_diff::segments;
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::experiment_stats::{Direction, PairedComparison, Verdict, MIN_SHARED_ITEMS};
use crate::domain::experiments::{split_list, Comparison, ComparisonItem, RunCell, ScoreColumn};
use crate::domain::url::{encode_path, encode_query};
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::experiments::compare_experiment_runs;

/// Longest text (characters) diffed word by word; longer outputs are shown as they are (a word
/// diff of two long texts costs the browser more than it tells).
const MAX_DIFFED: usize = 8_000;

/// The URL's parameters that make the comparison.
const KEYS: [&str; 5] = ["runs", "baseline", "lower", "sort", "page"];

/// This page's URL with `changes` applied (an empty value removes the key); any change but the
/// page's goes back to the first page.
fn href_with(path: &str, query: &ParamsMap, changes: &[(&str, String)]) -> String {
    href_from(path, |key| query.get(key), changes)
}

/// [`href_with`] over any source of the current values (the tests use a plain map: a router's
/// `ParamsMap` needs the browser).
fn href_from(path: &str, current: impl Fn(&str) -> Option<String>, changes: &[(&str, String)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let resets_page = changes.iter().any(|(k, _)| *k != "page");
    for key in KEYS {
        let value = match changes.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => v.clone(),
            None if key == "page" && resets_page => String::new(),
            None => current(key).unwrap_or_default(),
        };
        if !value.is_empty() {
            // Lists keep their commas readable.
            let encoded: Vec<String> = value.split(',').map(encode_query).collect();
            parts.push(format!("{key}={}", encoded.join(",")));
        }
    }
    if parts.is_empty() { path.to_string() } else { format!("{path}?{}", parts.join("&")) }
}

#[component]
pub fn CompareRunsPage() -> impl IntoView {
    let i18n = use_i18n();
    let dataset_id = route_param("dataset_id");
    view! {
        <Title text=t_string!(i18n, experiments.compare.title) />
        <InProject children=move |_, project| view! { <CompareView project dataset_id /> } />
    }
}

#[component]
fn CompareView(project: ProjectRef, dataset_id: Memo<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let query = leptos_router::hooks::use_query_map();
    let param = move |key: &'static str| Memo::new(move |_| query.with(|q| q.get(key).unwrap_or_default()));
    let (runs, baseline, lower, sort) = (param("runs"), param("baseline"), param("lower"), param("sort"));
    let page = Memo::new(move |_| query.with(|q| q.get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1)).max(1));
    let pid = project.id.clone();
    let comparison = LocalResource::new(move || {
        compare_experiment_runs(pid.clone(), dataset_id.get(), runs.get(), baseline.get(), lower.get(), sort.get(), page.get())
    });
    let project_id = StoredValue::new(project.id.clone());
    let path = Memo::new(move |_| format!("/project/{}/datasets/{}/compare", encode_path(&project_id.get_value()), encode_path(&dataset_id.get())));
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=move || format!("/project/{}/datasets/{}", encode_path(&project_id.get_value()), encode_path(&dataset_id.get()))>
                {t_string!(i18n, experiments.run.back)}
            </a>
            {move || match comparison.try_get().flatten() {
                None => view! { <Skeleton label=td_string!(locale, experiments.compare.loading) /> }.into_any(),
                Some(Err(error)) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                Some(Ok(c)) => view! { <ComparisonView c project_id=project_id.get_value() path=path.get() query=query.get() /> }.into_any(),
            }}
        </div>
    }
}

fn verdict_label(locale: Locale, verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Better => td_string!(locale, experiments.verdict.better),
        Verdict::Worse => td_string!(locale, experiments.verdict.worse),
        Verdict::NoSignificantChange => td_string!(locale, experiments.verdict.no_change),
        Verdict::TooFewItems => td_string!(locale, experiments.verdict.too_few),
    }
}

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Better => "border-emerald-300 bg-emerald-50 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950/40 dark:text-emerald-200",
        Verdict::Worse => "border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950/40 dark:text-red-200",
        Verdict::NoSignificantChange | Verdict::TooFewItems => "border-zinc-200 bg-zinc-50 text-zinc-800 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200",
    }
}

/// "Better — mean difference +0.12 (95 % CI +0.05 to +0.19) on 42 shared items".
fn verdict_sentence(locale: Locale, c: &PairedComparison) -> String {
    let label = verdict_label(locale, c.verdict);
    match (c.mean_difference, c.interval) {
        (Some(difference), Some(ci)) => td_string!(
            locale,
            experiments.verdict.sentence,
            verdict = label,
            difference = signed(difference),
            low = signed(ci.low),
            high = signed(ci.high),
            count = c.shared_items
        )
        .to_string(),
        _ => td_string!(locale, experiments.verdict.too_few_sentence, verdict = label, count = c.shared_items, min = MIN_SHARED_ITEMS).to_string(),
    }
}

#[component]
fn ComparisonView(c: Comparison, project_id: String, path: String, query: ParamsMap) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let navigate = leptos_router::hooks::use_navigate();
    let baseline_index = c.runs.iter().position(|r| r.run.id == c.baseline).unwrap_or(0);
    let names: Vec<(String, String)> = c.runs.iter().map(|r| (r.run.id.clone(), r.run.name.clone())).collect();
    let name_of = |id: &str| names.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_string());
    let lower = split_list(&query.get("lower").unwrap_or_default());
    let toggle_href = |score: &ScoreColumn| {
        let mut list = lower.clone();
        match score.direction {
            Direction::LowerIsBetter => list.retain(|l| *l != score.name),
            Direction::HigherIsBetter => list.push(score.name.clone()),
        }
        href_with(&path, &query, &[("lower", list.join(","))])
    };
    let (path_b, query_b, nav_b) = (path.clone(), query.clone(), navigate.clone());
    let on_baseline = move |ev: leptos::ev::Event| nav_b(&href_with(&path_b, &query_b, &[("baseline", event_target_value(&ev))]), Default::default());
    let (path_s, query_s) = (path.clone(), query.clone());
    let on_sort = move |ev: leptos::ev::Event| navigate(&href_with(&path_s, &query_s, &[("sort", event_target_value(&ev))]), Default::default());
    let sorted_by = c.sort.clone().unwrap_or_default();
    let more = i64::from(c.page) * i64::from(c.page_size) < c.total_items;
    let previous = (c.page > 1).then(|| href_with(&path, &query, &[("page", (c.page - 1).to_string())]));
    let next = more.then(|| href_with(&path, &query, &[("page", (c.page + 1).to_string())]));
    let scores = c.scores.clone();
    let runs = c.runs.clone();
    let dataset_id = c.dataset_id.clone();
    view! {
        <div class="mt-3">
            <h1 class="break-words text-xl font-semibold tracking-tight">{t_string!(i18n, experiments.compare.title)}</h1>
            <p class="mt-1 text-sm text-zinc-500"><span translate="no">{c.dataset_name.clone()}</span>" · "{td_string!(locale, experiments.compare.items, count = c.total_items)}</p>
        </div>
        <div class="mt-4 flex flex-wrap items-end gap-4">
            <label class="block text-sm">
                <span class=LABEL>{t_string!(i18n, experiments.compare.baseline)}</span>
                <select class=format!("{SELECT} mt-1") data-testid="baseline-picker" translate="no" on:change=on_baseline>
                    {c.runs.iter().map(|r| view! { <option value=r.run.id.clone() selected=r.run.id == c.baseline>{r.run.name.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label class="block text-sm">
                <span class=LABEL>{t_string!(i18n, experiments.compare.sort)}</span>
                <select class=format!("{SELECT} mt-1") data-testid="sort-picker" on:change=on_sort>
                    <option value="" selected=sorted_by.is_empty()>{td_string!(locale, experiments.compare.sort_item)}</option>
                    {c.scores.iter().map(|s| {
                        let selected = s.name == sorted_by;
                        view! { <option value=s.name.clone() selected=selected>{td_string!(locale, experiments.compare.sort_delta, score = s.name.as_str()).to_string()}</option> }
                    }).collect_view()}
                </select>
            </label>
        </div>

        <section class=format!("{CARD} mt-4 p-4") data-testid="verdicts">
            <h2 class="text-sm font-semibold">{t_string!(i18n, experiments.verdict.title)}</h2>
            <p class=HINT>{t_string!(i18n, experiments.verdict.hint)}</p>
            {if c.scores.is_empty() {
                view! { <p class="mt-2 text-sm text-zinc-500" data-testid="no-scores">{td_string!(locale, experiments.verdict.no_scores)}</p> }.into_any()
            } else {
                view! {
                    <div class="mt-3 space-y-3">
                        {c.scores.iter().enumerate().map(|(index, score)| {
                            let direction_label = match score.direction {
                                Direction::HigherIsBetter => td_string!(locale, experiments.verdict.higher_better),
                                Direction::LowerIsBetter => td_string!(locale, experiments.verdict.lower_better),
                            };
                            view! {
                                <div data-testid="verdict-score" data-score=score.name.clone()>
                                    <div class="flex flex-wrap items-center gap-2">
                                        <span class="font-medium" translate="no">{score.name.clone()}</span>
                                        <a class="rounded-full border border-zinc-300 px-2 py-0.5 text-xs hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
                                            href=toggle_href(score) data-testid="direction-toggle" title=td_string!(locale, experiments.verdict.toggle)>{direction_label}</a>
                                    </div>
                                    <ul class="mt-1 space-y-1">
                                        {c.verdicts.iter().filter_map(|v| v.comparisons.get(index).map(|p| (v.run_id.clone(), p.clone()))).map(|(run_id, p)| view! {
                                            <li class=format!("rounded-md border px-3 py-1.5 text-sm {}", verdict_class(p.verdict)) data-testid="verdict" data-verdict=format!("{:?}", p.verdict)>
                                                <span class="font-medium" translate="no">{name_of(&run_id)}</span>" "
                                                <span class="text-xs opacity-80">{td_string!(locale, experiments.verdict.versus, baseline = name_of(&c.baseline)).to_string()}</span>": "
                                                <span data-testid="verdict-sentence">{verdict_sentence(locale, &p)}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
        </section>

        <div class=format!("{CARD} mt-4 overflow-x-auto")>
            <table class=format!("{TABLE} table-fixed") style=format!("min-width: {}rem", 18 + 22 * runs.len()) data-testid="compare-table">
                <thead class="border-b border-zinc-200 align-top dark:border-zinc-800"><tr>
                    <th class=format!("{TH} w-72")>{td_string!(locale, experiments.compare.item_column)}</th>
                    {runs.iter().enumerate().map(|(i, r)| view! {
                        <th class=format!("{TH} normal-case tracking-normal") data-testid="compare-run">
                            <a class="hover:underline" href=run_href(&project_id, &dataset_id, &r.run.id) translate="no">{r.run.name.clone()}</a>
                            {(i == baseline_index).then(|| view! { <span class="ml-1 rounded bg-indigo-100 px-1 text-indigo-800 dark:bg-indigo-900/60 dark:text-indigo-200">{td_string!(locale, experiments.compare.baseline_badge)}</span> })}
                            <div class="mt-1 font-normal text-zinc-500">
                                {format!("{} · {} / {} · {}", td_string!(locale, experiments.compare.run_items, count = r.item_count), latency(locale, r.latency_p50), latency(locale, r.latency_p95), crate::domain::format::cost(r.total_cost))}
                            </div>
                            {r.progress.clone().filter(|p| p.is_running()).map(|p| view! { <RunProgressView progress=p /> })}
                        </th>
                    }).collect_view()}
                </tr></thead>
                <tbody>
                    {c.items.into_iter().map(|item| compare_row(locale, &project_id, &dataset_id, item, baseline_index, &scores)).collect_view()}
                </tbody>
            </table>
            {c.total_items.eq(&0).then(|| view! { <EmptyHint title=td_string!(locale, experiments.compare.empty_title) test_id="compare-empty">{td_string!(locale, experiments.compare.empty_body)}</EmptyHint> })}
            <PagerLinks previous next />
        </div>
    }
}

const TEXT_BOX: &str = "whitespace-pre-wrap break-words font-mono text-xs";

fn compare_row(locale: Locale, project_id: &str, dataset_id: &str, item: ComparisonItem, baseline: usize, scores: &[ScoreColumn]) -> impl IntoView {
    let expected = value_text(&item.expected_output);
    let item_href = format!("/project/{}/datasets/{}/items/{}", encode_path(project_id), encode_path(dataset_id), encode_path(&item.dataset_item_id));
    let base_cell = item.cells.get(baseline).cloned().flatten();
    view! {
        <tr class="border-b border-zinc-100 align-top last:border-0 dark:border-zinc-900" data-testid="compare-row" data-item=item.dataset_item_id.clone()>
            <td class=TD>
                <a class="font-mono text-xs hover:underline" href=item_href translate="no">{item.dataset_item_id.clone()}</a>
                <p class="mt-1 text-xs font-medium text-zinc-500">{td_string!(locale, experiments.columns.input)}</p>
                <div class=TEXT_BOX translate="no">{value_text(&item.input)}</div>
                <p class="mt-1 text-xs font-medium text-zinc-500">{td_string!(locale, experiments.columns.expected)}</p>
                <div class=TEXT_BOX translate="no" data-testid="compare-expected">{expected.clone()}</div>
            </td>
            {item.cells.into_iter().enumerate().map(|(i, cell)| match cell {
                None => view! { <td class=format!("{TD} text-xs text-zinc-400") data-testid="compare-cell-missing">{td_string!(locale, experiments.compare.not_run)}</td> }.into_any(),
                Some(cell) => compare_cell(locale, project_id, &expected, cell, (i != baseline).then_some(base_cell.as_ref()).flatten(), scores).into_any(),
            }).collect_view()}
        </tr>
    }
}

/// A run's output (diffed against the expected output), its scores with the change against the
/// baseline's, latency, cost and the trace link.
fn compare_cell(locale: Locale, project_id: &str, expected: &str, cell: RunCell, base: Option<&RunCell>, scores: &[ScoreColumn]) -> impl IntoView {
    let output = value_text(&cell.output);
    let diffable = !expected.is_empty() && expected.chars().count() <= MAX_DIFFED && output.chars().count() <= MAX_DIFFED;
    let shown = if diffable {
        segments(locale, &crate::domain::prompt_diff::words(expected, &output)).into_any()
    } else {
        output.clone().into_any()
    };
    let trace_href = format!("/project/{}/traces/{}", encode_path(project_id), encode_path(&cell.trace_id));
    let numeric: Vec<(String, Option<f64>, Option<f64>, Direction)> =
        scores.iter().map(|s| (s.name.clone(), cell.score(&s.name), base.and_then(|b| b.score(&s.name)), s.direction)).collect();
    let other: Vec<String> = cell
        .scores
        .iter()
        .filter(|s| s.number().is_none())
        .map(|s| format!("{} {}", s.name, cell_score_text(s)))
        .collect();
    view! {
        <td class=TD data-testid="compare-cell">
            <div class=TEXT_BOX translate="no" data-testid="compare-output">{shown}</div>
            {cell.error.then(|| view! {
                <p class="mt-1 text-xs text-red-700 dark:text-red-400" data-testid="compare-error" translate="no">
                    {cell.error_message.clone().unwrap_or_else(|| td_string!(locale, experiments.run.errored).to_string())}
                </p>
            })}
            <div class="mt-2 flex flex-wrap gap-1">
                {numeric.into_iter().filter_map(|(name, value, base, direction)| {
                    let value = value?;
                    let delta = base.map(|b| value - b);
                    let better = delta.map(|d| match direction { Direction::HigherIsBetter => d, Direction::LowerIsBetter => -d });
                    let tone = match better {
                        Some(b) if b > 1e-12 => "border-emerald-300 text-emerald-800 dark:border-emerald-800 dark:text-emerald-300",
                        Some(b) if b < -1e-12 => "border-red-300 text-red-800 dark:border-red-800 dark:text-red-300",
                        _ => "border-zinc-200 dark:border-zinc-700",
                    };
                    Some(view! {
                        <span class=format!("whitespace-nowrap rounded border px-1.5 py-0.5 text-xs {tone}") data-testid="compare-score" data-score=name.clone()>
                            <span translate="no">{name.clone()}</span>" "<span class="font-mono">{number(value)}</span>
                            {delta.map(|d| view! { " "<span class="font-mono" data-testid="compare-delta">{format!("({})", signed(d))}</span> })}
                        </span>
                    })
                }).collect_view()}
                {other.into_iter().map(|text| view! { <span class="whitespace-nowrap rounded border border-zinc-200 px-1.5 py-0.5 text-xs dark:border-zinc-700" translate="no">{text}</span> }).collect_view()}
            </div>
            <p class="mt-1 font-mono text-xs text-zinc-500">
                {format!("{} · {}", latency(locale, cell.latency), cost(cell.cost))}" · "
                <a class=BUTTON_LINK href=trace_href>{td_string!(locale, experiments.run.open_trace)}</a>
            </p>
        </td>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn href(pairs: &[(&str, &str)], changes: &[(&str, String)]) -> String {
        let map: std::collections::HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        href_from("/c", |key| map.get(key).cloned(), changes)
    }

    #[test]
    fn the_url_keeps_the_comparison_and_resets_the_page() {
        let q = [("runs", "a,b"), ("baseline", "a"), ("page", "3"), ("other", "x")];
        assert_eq!(href(&q, &[("lower", "toxicity".into())]), "/c?runs=a,b&baseline=a&lower=toxicity");
        assert_eq!(href(&q, &[("page", "4".into())]), "/c?runs=a,b&baseline=a&page=4");
        assert_eq!(href(&q, &[("baseline", "b".into()), ("lower", String::new())]), "/c?runs=a,b&baseline=b");
        assert_eq!(href(&[("runs", "r 1,b&c")], &[]), format!("/c?runs={},{}", encode_query("r 1"), encode_query("b&c")));
    }
}
