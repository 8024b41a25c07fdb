//! The evaluator's filter: the traces list's filters (`TraceListQuery`, the same type, checked by
//! the same `TraceListQuery::parse`) as a compact editor. Not the list's `FilterBar`: that one
//! lives in the URL and navigates as it applies, and reusing it would pull the explorer's code
//! into this area. The words are the traces list's (`traces.filters.*`), so a filter reads the
//! same in both places. No time preset: "the last 24 hours" means nothing for targets that keep
//! arriving (the domain refuses it, `check_filter`), so a window is from/to.

use leptos::prelude::*;

use crate::components::ui::*;
use crate::domain::trace_list::{TraceListQuery, SCORE_OPS};
use crate::i18n::*;

/// The label of a filter key (the traces list's words); `None` for a key that is not a filter.
pub(crate) fn filter_label(locale: Locale, key: &str) -> Option<&'static str> {
    Some(match key {
        "search" => td_string!(locale, traces.filters.search),
        "name" => td_string!(locale, traces.filters.name),
        "user" => td_string!(locale, traces.filters.user),
        "session" => td_string!(locale, traces.filters.session),
        "tag" => td_string!(locale, traces.filters.tag),
        "environment" => td_string!(locale, traces.filters.environment),
        "release" => td_string!(locale, traces.filters.release),
        "version" => td_string!(locale, traces.filters.version),
        "from" => td_string!(locale, traces.filters.from),
        "to" => td_string!(locale, traces.filters.to),
        "level" => td_string!(locale, traces.filters.level),
        "errors" => td_string!(locale, traces.filters.has_error),
        "model" => td_string!(locale, traces.filters.model),
        "metadata" => td_string!(locale, traces.filters.metadata),
        "score" | "score_op" | "score_value" => td_string!(locale, traces.filters.score),
        "latency_min" => td_string!(locale, traces.filters.latency_min),
        "latency_max" => td_string!(locale, traces.filters.latency_max),
        "cost_min" => td_string!(locale, traces.filters.cost_min),
        "cost_max" => td_string!(locale, traces.filters.cost_max),
        _ => return None,
    })
}

/// The filter with every value trimmed, as it is saved.
pub(crate) fn trimmed(filter: &TraceListQuery) -> TraceListQuery {
    let mut q = TraceListQuery::default();
    for key in crate::domain::trace_list::QUERY_KEYS {
        q.set(key, filter.get(key).trim());
    }
    q
}

/// What is wrong with the filter, as (key, message in `locale`): the traces list's own check and
/// wording, plus the keys an evaluator's filter does not take.
pub(crate) fn filter_problem(locale: Locale, filter: &TraceListQuery) -> Option<(String, String)> {
    let filter = trimmed(filter);
    for key in ["range", "sort", "dir", "before"] {
        if !filter.get(key).is_empty() {
            return Some((key.to_string(), td_string!(locale, evaluators.filter.no_range).to_string()));
        }
    }
    // `now` only resolves the relative ranges, which are refused above.
    filter
        .parse(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH)
        .err()
        .map(|(key, problem)| (key.to_string(), crate::pages::traces::filters::query_problem(locale, &problem)))
}

/// The set filters as "Label: value" chips (read-only, for the evaluator's configuration).
#[component]
pub(crate) fn FilterSummary(filter: TraceListQuery) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let chips = filter.active_filters();
    if chips.is_empty() {
        return view! { <span class="text-zinc-500 dark:text-zinc-400" data-testid="filter-summary">{td_string!(locale, evaluators.filter.everything)}</span> }.into_any();
    }
    view! {
        <span class="flex flex-wrap gap-1" data-testid="filter-summary">
            {chips.into_iter().map(|(key, label, value)| view! {
                <span class="inline-flex max-w-full items-center gap-1 rounded-full bg-indigo-50 px-2 py-0.5 text-xs text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200">
                    <span class="font-medium">{filter_label(locale, key).unwrap_or(label)}":"</span>
                    <span class="truncate" translate="no">{value}</span>
                </span>
            }).collect_view()}
        </span>
    }
    .into_any()
}

/// The editor: the usual filters in a row, the rest behind "More filters". Edits go straight into
/// `filter`; `problem` holds what is wrong (key, message), shown under the fields and keeping the
/// form from saving.
#[component]
pub(crate) fn FilterEditor(filter: RwSignal<TraceListQuery>, problem: Memo<Option<(String, String)>>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    const MORE: [&str; 13] =
        ["session", "release", "version", "model", "score", "latency_min", "latency_max", "cost_min", "cost_max", "from", "to", "search", "errors"];
    let more = RwSignal::new(filter.with_untracked(|f| MORE.iter().any(|k| !f.get(k).is_empty())));
    let input = move |key: &'static str, placeholder: &'static str, width: &'static str, kind: &'static str| {
        let label = filter_label(locale, key).unwrap_or(key);
        let id = format!("evaluator-filter-{key}");
        view! {
            <div class=width>
                <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for=id.clone()>{label}</label>
                <input id=id type=kind placeholder=placeholder data-testid=format!("filter-{key}")
                    class=move || format!("{INPUT} mt-1 {}", if problem.with(|p| p.as_ref().is_some_and(|(k, _)| k == key)) { "border-red-500 dark:border-red-500" } else { "" })
                    aria-invalid=move || problem.with(|p| p.as_ref().is_some_and(|(k, _)| k == key)).to_string()
                    prop:value=move || filter.with(|f| f.get(key))
                    on:input=move |ev| filter.update(|f| f.set(key, &event_target_value(&ev))) />
            </div>
        }
    };
    let select_class = format!("{SELECT} mt-1 w-full");
    view! {
        <div class="space-y-3" data-testid="evaluator-filter">
            <div class="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
                {input("name", td_string!(locale, traces.filters.name_placeholder), "", "search")}
                {input("tag", td_string!(locale, traces.filters.tag_placeholder), "", "search")}
                {input("environment", td_string!(locale, traces.filters.environment_placeholder), "", "search")}
                {input("user", td_string!(locale, traces.filters.user_placeholder), "", "search")}
                {input("metadata", td_string!(locale, evaluators.filter.metadata_placeholder), "", "search")}
                <div>
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="evaluator-filter-level">{t_string!(i18n, traces.filters.level)}</label>
                    <select id="evaluator-filter-level" class=select_class.clone() data-testid="filter-level"
                        on:change=move |ev| filter.update(|f| f.level = event_target_value(&ev))>
                        <option value="" selected=move || filter.with(|f| f.level.is_empty())>{t_string!(i18n, traces.filters.all_levels)}</option>
                        <option value="warning" selected=move || filter.with(|f| f.level == "warning")>{t_string!(i18n, traces.filters.warnings_and_errors)}</option>
                        <option value="error" selected=move || filter.with(|f| f.level == "error")>{t_string!(i18n, traces.filters.errors)}</option>
                    </select>
                </div>
            </div>
            <button type="button" class=BUTTON_LINK data-testid="filter-more" aria-expanded=move || more.get().to_string()
                on:click=move |_| more.update(|m| *m = !*m)>
                {move || if more.get() { td_string!(locale, traces.filters.fewer) } else { td_string!(locale, traces.filters.more) }}
            </button>
            <Show when=move || more.get()>
                <div class="grid grid-cols-1 gap-3 rounded-md border border-zinc-200 p-3 sm:grid-cols-2 lg:grid-cols-3 dark:border-zinc-800">
                    {input("search", td_string!(locale, traces.filters.search_placeholder), "sm:col-span-2 lg:col-span-3", "search")}
                    {input("session", td_string!(locale, traces.filters.session_placeholder), "", "search")}
                    {input("release", td_string!(locale, traces.filters.release_placeholder), "", "search")}
                    {input("version", td_string!(locale, traces.filters.version_placeholder), "", "search")}
                    {input("model", td_string!(locale, traces.filters.model_placeholder), "", "search")}
                    <div>
                        <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="evaluator-filter-errors">{t_string!(i18n, traces.filters.has_error)}</label>
                        <select id="evaluator-filter-errors" class=select_class.clone() data-testid="filter-errors"
                            on:change=move |ev| filter.update(|f| f.errors = event_target_value(&ev))>
                            <option value="" selected=move || filter.with(|f| f.errors.is_empty())>{t_string!(i18n, traces.filters.any)}</option>
                            <option value="yes" selected=move || filter.with(|f| f.errors == "yes")>{t_string!(i18n, traces.filters.with_errors)}</option>
                            <option value="no" selected=move || filter.with(|f| f.errors == "no")>{t_string!(i18n, traces.filters.without_errors)}</option>
                        </select>
                    </div>
                    <div class="flex min-w-0 items-end gap-1">
                        {input("score", td_string!(locale, traces.filters.score_placeholder), "min-w-0 flex-1", "search")}
                        <select aria-label=td_string!(locale, traces.filters.score_comparison) class=format!("{SELECT} mt-1") data-testid="filter-score-op"
                            on:change=move |ev| filter.update(|f| f.score_op = event_target_value(&ev))>
                            {SCORE_OPS.into_iter().map(|op| view! {
                                <option value=op selected=move || filter.with(|f| f.score_op == op || (f.score_op.is_empty() && op == "="))>{op}</option>
                            }).collect_view()}
                        </select>
                        <div class="w-24 shrink-0">
                            <label class="sr-only" for="evaluator-filter-score_value">{t_string!(i18n, traces.filters.value)}</label>
                            <input id="evaluator-filter-score_value" type="search" placeholder=td_string!(locale, traces.filters.value_placeholder) data-testid="filter-score_value"
                                class=format!("{INPUT} mt-1") prop:value=move || filter.with(|f| f.score_value.clone())
                                on:input=move |ev| filter.update(|f| f.score_value = event_target_value(&ev)) />
                        </div>
                    </div>
                    {input("latency_min", "0", "", "text")}
                    {input("latency_max", "", "", "text")}
                    {input("cost_min", "0", "", "text")}
                    {input("cost_max", "", "", "text")}
                    {input("from", "2026-01-31T14:00", "", "datetime-local")}
                    {input("to", "2026-01-31T18:00", "", "datetime-local")}
                </div>
            </Show>
            {move || problem.get().map(|(key, message)| {
                let label = filter_label(locale, &key).map_or(key.clone(), str::to_string);
                view! { <p class="text-sm text-red-700 dark:text-red-400" role="alert" data-testid="evaluator-filter-error">{format!("{label}: {message}")}</p> }
            })}
        </div>
    }
}
