//! The filter bar (search, user, tag, time, level, and "More filters"), its inputs, and the
//! chips of the active filters. Everything lives in the URL query.

use super::*;
use crate::domain::trace_list::QueryProblem;

/// Keys of the "More filters" panel (the compact row has search, user, tag, time and level).
pub(super) const PANEL_KEYS: [&str; 15] = [
    "name", "session", "environment", "release", "version", "model", "metadata", "errors", "score", "latency_min",
    "latency_max", "cost_min", "cost_max", "from", "to",
];

/// What is wrong with a filter ([`QueryProblem`]), in `locale`: below the filter in the panel,
/// and in the list's error when a URL carries it (the server words it the same way).
pub(crate) fn query_problem(locale: Locale, problem: &QueryProblem) -> String {
    match problem {
        QueryProblem::NotANumber(value) => td_string!(locale, traces.problems.not_a_number, value).to_string(),
        QueryProblem::UnknownRange(value) => td_string!(locale, traces.problems.unknown_range, value).to_string(),
        QueryProblem::NotATime(value) => td_string!(locale, traces.problems.not_a_time, value).to_string(),
        QueryProblem::EndBeforeStart => td_string!(locale, traces.problems.end_before_start).to_string(),
        QueryProblem::UnknownLevel(value) => td_string!(locale, traces.problems.unknown_level, value).to_string(),
        QueryProblem::NotYesOrNo(value) => td_string!(locale, traces.problems.not_yes_or_no, value).to_string(),
        QueryProblem::MetadataForm => td_string!(locale, traces.problems.metadata_form).to_string(),
        QueryProblem::ScoreUnnamed => td_string!(locale, traces.problems.score_unnamed).to_string(),
        QueryProblem::UnknownComparison(value) => td_string!(locale, traces.problems.unknown_comparison, value).to_string(),
        QueryProblem::ScoreValueMissing => td_string!(locale, traces.problems.score_value_missing).to_string(),
        QueryProblem::ComparesNumbers { op, value } => td_string!(locale, traces.problems.compares_numbers, op, value).to_string(),
        QueryProblem::MaxBelowMin => td_string!(locale, traces.problems.max_below_min).to_string(),
        QueryProblem::SearchTooLong => td_string!(locale, traces.problems.search_too_long).to_string(),
        QueryProblem::UnknownSort(value) => td_string!(locale, traces.problems.unknown_sort, value).to_string(),
        QueryProblem::UnknownDirection(value) => td_string!(locale, traces.problems.unknown_direction, value).to_string(),
        QueryProblem::DamagedCursor => td_string!(locale, traces.problems.damaged_cursor).to_string(),
    }
}

/// The label of a filter (a URL key of `FILTER_LABELS`) in `locale`: the chips' and the filter
/// errors' label. `None` for a key that is no filter of its own (`score_op`, `sort`, …).
pub(super) fn filter_label(locale: Locale, key: &str) -> Option<&'static str> {
    Some(match key {
        "search" => td_string!(locale, traces.filters.search),
        "name" => td_string!(locale, traces.filters.name),
        "user" => td_string!(locale, traces.filters.user),
        "session" => td_string!(locale, traces.filters.session),
        "tag" => td_string!(locale, traces.filters.tag),
        "environment" => td_string!(locale, traces.filters.environment),
        "release" => td_string!(locale, traces.filters.release),
        "version" => td_string!(locale, traces.filters.version),
        "range" => td_string!(locale, traces.filters.time),
        "from" => td_string!(locale, traces.chips.from),
        "to" => td_string!(locale, traces.chips.to),
        "level" => td_string!(locale, traces.filters.level),
        "errors" => td_string!(locale, traces.filters.has_error),
        "model" => td_string!(locale, traces.filters.model),
        "metadata" => td_string!(locale, traces.filters.metadata),
        "score" => td_string!(locale, traces.filters.score),
        "latency_min" => td_string!(locale, traces.filters.latency_min),
        "latency_max" => td_string!(locale, traces.filters.latency_max),
        "cost_min" => td_string!(locale, traces.filters.cost_min),
        "cost_max" => td_string!(locale, traces.filters.cost_max),
        _ => return None,
    })
}

/// The label of a time range preset (a URL value of `RANGES`) in `locale`; `None` for an
/// unknown one.
pub(super) fn range_label(locale: Locale, value: &str) -> Option<&'static str> {
    Some(match value {
        "1h" => td_string!(locale, traces.ranges.last_hour),
        "24h" => td_string!(locale, traces.ranges.last_24_hours),
        "7d" => td_string!(locale, traces.ranges.last_7_days),
        "30d" => td_string!(locale, traces.ranges.last_30_days),
        _ => return None,
    })
}

/// The filter form: a compact row (search, user, tag, time, level) and a "More filters" panel.
/// Filters apply as they are chosen: a select at once, text once typing pauses ([`Debounce`],
/// which also waits for IME compositions), Enter at once. Applying checks the values with the
/// server's own rules first (`TraceListQuery::parse`), so a bad number is named beside its field
/// instead of reaching the URL; then it navigates (replacing the history entry while typing), so
/// the URL holds the filters.
#[component]
pub(super) fn FilterBar(query: Memo<TraceListQuery>, base: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let navigate = use_navigate();
    let draft = RwSignal::new(TraceListQuery::default());
    let error = RwSignal::new(None::<(String, String)>);
    let more = RwSignal::new(false);
    let custom_range = RwSignal::new(false);
    let debounce = Debounce::new();
    // Bumped to apply the draft: at once by selects (a new history entry, so Back undoes the
    // choice), after a pause by text inputs (replacing the entry: one per pause would bury Back).
    let apply_requests = RwSignal::new((0u64, false));
    // Keep the inputs in step with the URL (back/forward, chips, clicked filters).
    Effect::new(move |_| {
        let q = query.get();
        if PANEL_KEYS.iter().any(|k| !q.get(k).is_empty()) {
            more.set(true);
        }
        custom_range.set(!q.from.is_empty() || !q.to.is_empty());
        error.set(None);
        // The URL now says what the draft says (it was just applied from it): keep the draft as
        // typed, trailing space included, so the next key does not land after a trimmed word.
        if trimmed(draft.get_untracked()).to_search() != q.first_page().to_search() {
            draft.set(q);
        }
    });
    let apply = move |replace: bool| {
        let q = trimmed(draft.get_untracked());
        if let Err((field, problem)) = q.parse(chrono::Utc::now()) {
            let message = query_problem(locale, &problem);
            if PANEL_KEYS.contains(&field) {
                more.set(true);
            }
            error.set(Some((field.to_string(), message)));
            return;
        }
        error.set(None);
        if q.to_search() == query.get_untracked().first_page().to_search() {
            return;
        }
        navigate(&format!("{base}{}", q.to_search()), leptos_router::NavigateOptions { replace, scroll: false, ..Default::default() });
    };
    Effect::new({
        let apply = apply.clone();
        move |previous: Option<u64>| {
            let (requests, replace) = apply_requests.get();
            if previous.is_some_and(|p| p != requests) {
                apply(replace);
            }
            requests
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        debounce.cancel();
        apply(false);
    };
    let apply_now = move || apply_requests.update(|(n, replace)| (*n, *replace) = (*n + 1, false));
    let apply_typed = move || apply_requests.update(|(n, replace)| (*n, *replace) = (*n + 1, true));
    let range_value = move || {
        if custom_range.get() { "custom".to_string() } else { draft.with(|d| d.range.clone()) }
    };
    let on_range = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let custom = value == "custom";
        custom_range.set(custom);
        draft.update(|d| {
            d.range = if custom { String::new() } else { value };
            if !custom {
                d.from.clear();
                d.to.clear();
            }
        });
        if !custom {
            apply_now();
        }
    };
    view! {
        <form class="mt-4 space-y-3" on:submit=on_submit data-testid="trace-filters" role="search">
            <div class="flex flex-wrap items-end gap-2">
                <div class="min-w-[16rem] flex-1">
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-search">{t_string!(i18n, traces.filters.search)}</label>
                    <input id="filter-search" type="search" placeholder=td_string!(locale, traces.filters.search_placeholder) data-testid="trace-search"
                        class=move || format!("{INPUT} mt-1 {}", invalid_class(error, "search"))
                        prop:value=move || draft.with(|d| d.search.clone())
                        on:compositionstart=move |_| debounce.composition_started()
                        on:compositionend=move |ev| {
                            debounce.composition_ended();
                            draft.update(|d| d.search = event_target_value(&ev));
                            debounce.schedule(apply_typed);
                        }
                        on:input=move |ev| {
                            draft.update(|d| d.search = event_target_value(&ev));
                            debounce.schedule(apply_typed);
                        } />
                </div>
                <FilterInput key="user" label=td_string!(locale, traces.filters.user) placeholder=td_string!(locale, traces.filters.user_placeholder) draft error debounce apply=apply_typed />
                <FilterInput key="tag" label=td_string!(locale, traces.filters.tag) placeholder=td_string!(locale, traces.filters.tag_placeholder) draft error debounce apply=apply_typed />
                <div>
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-range">{t_string!(i18n, traces.filters.time)}</label>
                    <select id="filter-range" class=format!("{SELECT} mt-1") on:change=on_range prop:value=range_value>
                        <option value="" selected=move || range_value().is_empty()>{t_string!(i18n, traces.filters.all_time)}</option>
                        {RANGES.into_iter().map(|(value, label, _)| view! {
                            <option value=value selected=move || range_value() == value>{range_label(locale, value).unwrap_or(label)}</option>
                        }).collect_view()}
                        <option value="custom" selected=move || custom_range.get()>{t_string!(i18n, traces.filters.custom_range)}</option>
                    </select>
                </div>
                <div>
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-level">{t_string!(i18n, traces.filters.level)}</label>
                    <select id="filter-level" class=format!("{SELECT} mt-1") prop:value=move || draft.with(|d| d.level.clone())
                        on:change=move |ev| { draft.update(|d| d.level = event_target_value(&ev)); apply_now(); }>
                        <option value="" selected=move || draft.with(|d| d.level.is_empty())>{t_string!(i18n, traces.filters.all_levels)}</option>
                        <option value="warning" selected=move || draft.with(|d| d.level == "warning")>{t_string!(i18n, traces.filters.warnings_and_errors)}</option>
                        <option value="error" selected=move || draft.with(|d| d.level == "error")>{t_string!(i18n, traces.filters.errors)}</option>
                    </select>
                </div>
                <button type="button" class=BUTTON_SECONDARY data-testid="more-filters" aria-expanded=move || more.get().to_string()
                    on:click=move |_| more.update(|m| *m = !*m)>
                    {move || if more.get() { td_string!(locale, traces.filters.fewer) } else { td_string!(locale, traces.filters.more) }}
                </button>
                // Enter applies at once; everything else applies as chosen.
                <button type="submit" class="sr-only" tabindex="-1">{t_string!(i18n, traces.filters.apply)}</button>
            </div>
            <Show when=move || custom_range.get()>
                <div class="flex flex-wrap items-end gap-2">
                    <FilterInput key="from" label=td_string!(locale, traces.filters.from) placeholder="2026-01-31T14:00" draft error debounce apply=apply_typed kind="datetime-local" />
                    <FilterInput key="to" label=td_string!(locale, traces.filters.to) placeholder="2026-01-31T18:00" draft error debounce apply=apply_typed kind="datetime-local" />
                </div>
            </Show>
            <Show when=move || more.get()>
                <div class="flex flex-wrap items-end gap-2 rounded-md border border-zinc-200 p-3 dark:border-zinc-800" data-testid="more-filters-panel">
                    <FilterInput key="name" label=td_string!(locale, traces.filters.name) placeholder=td_string!(locale, traces.filters.name_placeholder) draft error debounce apply=apply_typed />
                    <FilterInput key="session" label=td_string!(locale, traces.filters.session) placeholder=td_string!(locale, traces.filters.session_placeholder) draft error debounce apply=apply_typed />
                    <FilterInput key="environment" label=td_string!(locale, traces.filters.environment) placeholder=td_string!(locale, traces.filters.environment_placeholder) draft error debounce apply=apply_typed />
                    <FilterInput key="release" label=td_string!(locale, traces.filters.release) placeholder=td_string!(locale, traces.filters.release_placeholder) draft error debounce apply=apply_typed />
                    <FilterInput key="version" label=td_string!(locale, traces.filters.version) placeholder=td_string!(locale, traces.filters.version_placeholder) draft error debounce apply=apply_typed />
                    <FilterInput key="model" label=td_string!(locale, traces.filters.model) placeholder=td_string!(locale, traces.filters.model_placeholder) draft error debounce apply=apply_typed />
                    <FilterInput key="metadata" label=td_string!(locale, traces.filters.metadata) placeholder="key=value" draft error debounce apply=apply_typed />
                    <div>
                        <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-errors">{t_string!(i18n, traces.filters.has_error)}</label>
                        <select id="filter-errors" class=format!("{SELECT} mt-1") prop:value=move || draft.with(|d| d.errors.clone())
                            on:change=move |ev| { draft.update(|d| d.errors = event_target_value(&ev)); apply_now(); }>
                            <option value="" selected=move || draft.with(|d| d.errors.is_empty())>{t_string!(i18n, traces.filters.any)}</option>
                            <option value="yes" selected=move || draft.with(|d| d.errors == "yes")>{t_string!(i18n, traces.filters.with_errors)}</option>
                            <option value="no" selected=move || draft.with(|d| d.errors == "no")>{t_string!(i18n, traces.filters.without_errors)}</option>
                        </select>
                    </div>
                    <div class="flex items-end gap-1">
                        <FilterInput key="score" label=td_string!(locale, traces.filters.score) placeholder=td_string!(locale, traces.filters.score_placeholder) draft error debounce apply=apply_typed width="w-32" />
                        <select aria-label=td_string!(locale, traces.filters.score_comparison) class=format!("{SELECT} mt-1") prop:value=move || draft.with(|d| d.score_op.clone())
                            on:change=move |ev| { draft.update(|d| d.score_op = event_target_value(&ev)); apply_now(); }>
                            {SCORE_OPS.into_iter().map(|op| view! {
                                <option value=op selected=move || draft.with(|d| d.score_op == op || (d.score_op.is_empty() && op == "="))>{op}</option>
                            }).collect_view()}
                        </select>
                        <FilterInput key="score_value" label=td_string!(locale, traces.filters.value) placeholder=td_string!(locale, traces.filters.value_placeholder) draft error debounce apply=apply_typed width="w-28" />
                    </div>
                    <FilterInput key="latency_min" label=td_string!(locale, traces.filters.latency_min) placeholder="0" draft error debounce apply=apply_typed width="w-24" />
                    <FilterInput key="latency_max" label=td_string!(locale, traces.filters.latency_max) placeholder="" draft error debounce apply=apply_typed width="w-24" />
                    <FilterInput key="cost_min" label=td_string!(locale, traces.filters.cost_min) placeholder="0" draft error debounce apply=apply_typed width="w-24" />
                    <FilterInput key="cost_max" label=td_string!(locale, traces.filters.cost_max) placeholder="" draft error debounce apply=apply_typed width="w-24" />
                </div>
            </Show>
            {move || error.get().map(|(field, message)| {
                // The message comes from the domain's query parsing (`TraceListQuery::parse`), in English.
                let label = filter_label(locale, &field).map_or(field.clone(), str::to_string);
                view! { <p class="text-sm text-red-700 dark:text-red-400" role="alert" data-testid="filter-error">{format!("{label}: {message}")}</p> }
            })}
        </form>
    }
}

/// The draft as it is applied: first page, every value trimmed.
fn trimmed(draft: TraceListQuery) -> TraceListQuery {
    let mut q = draft.first_page();
    for key in crate::domain::trace_list::QUERY_KEYS {
        let value = q.get(key);
        q.set(key, value.trim());
    }
    q
}

pub(super) fn invalid_class(error: RwSignal<Option<(String, String)>>, key: &str) -> &'static str {
    if error.with(|e| e.as_ref().is_some_and(|(field, _)| field == key)) { "border-red-500 dark:border-red-500" } else { "" }
}

/// One text input of the filter form, bound to the draft query's `key`.
#[component]
pub(super) fn FilterInput(
    key: &'static str,
    label: &'static str,
    placeholder: &'static str,
    draft: RwSignal<TraceListQuery>,
    error: RwSignal<Option<(String, String)>>,
    debounce: Debounce,
    /// Applies the draft (called once typing pauses).
    apply: impl Fn() + Copy + Send + Sync + 'static,
    #[prop(optional)] width: Option<&'static str>,
    #[prop(optional)] kind: Option<&'static str>,
) -> impl IntoView {
    let width = width.unwrap_or("w-40");
    view! {
        <div>
            <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for=format!("filter-{key}")>{label}</label>
            <input id=format!("filter-{key}") type=kind.unwrap_or("search") placeholder=placeholder
                class=move || format!("{INPUT} mt-1 {width} {}", invalid_class(error, key))
                aria-invalid=move || error.with(|e| e.as_ref().is_some_and(|(f, _)| f == key)).to_string()
                prop:value=move || draft.with(|d| d.get(key))
                on:compositionstart=move |_| debounce.composition_started()
                on:compositionend=move |ev| {
                    debounce.composition_ended();
                    draft.update(|d| d.set(key, &event_target_value(&ev)));
                    debounce.schedule(apply);
                }
                on:input=move |ev| {
                    draft.update(|d| d.set(key, &event_target_value(&ev)));
                    debounce.schedule(apply);
                } />
        </div>
    }
}

/// The active filters as chips; × removes one.
#[component]
pub(super) fn FilterChips<L>(query: Memo<TraceListQuery>, link: L) -> impl IntoView
where
    L: Fn(TraceListQuery) -> String + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    move || {
        let q = query.get();
        let chips = q.active_filters();
        (!chips.is_empty()).then(|| view! {
            <div class="mt-3 flex flex-wrap items-center gap-2" data-testid="filter-chips">
                {chips.into_iter().map(|(key, label, value)| view! {
                    <a href=link(q.without(key)) data-testid="filter-chip" title=td_string!(locale, traces.remove_filter)
                        class="inline-flex items-center gap-1 rounded-full bg-indigo-50 px-2.5 py-0.5 text-xs text-indigo-800 hover:bg-indigo-100 dark:bg-indigo-950 dark:text-indigo-200 dark:hover:bg-indigo-900">
                        <span class="font-medium">{filter_label(locale, key).unwrap_or(label)}":"</span>
                        <span class="max-w-[16rem] truncate">{value}</span>
                        <span aria-hidden="true">"×"</span>
                    </a>
                }).collect_view()}
                <a class="text-xs text-zinc-500 hover:underline dark:text-zinc-400" href=link(q.cleared()) data-testid="clear-all-filters">{t_string!(i18n, traces.filters.clear_all)}</a>
            </div>
        })
    }
}

#[cfg(test)]
mod problem_tests {
    use super::query_problem;
    use crate::domain::trace_list::QueryProblem;
    use crate::i18n::Locale;

    /// The English reads as the domain's `Display` (logs, tests); every problem has its Chinese.
    #[test]
    fn every_query_problem_is_worded_in_each_language() {
        let all = [
            QueryProblem::NotANumber("fast".into()),
            QueryProblem::UnknownRange("2w".into()),
            QueryProblem::NotATime("yesterday".into()),
            QueryProblem::EndBeforeStart,
            QueryProblem::UnknownLevel("loud".into()),
            QueryProblem::NotYesOrNo("maybe".into()),
            QueryProblem::MetadataForm,
            QueryProblem::ScoreUnnamed,
            QueryProblem::UnknownComparison("~".into()),
            QueryProblem::ScoreValueMissing,
            QueryProblem::ComparesNumbers { op: ">".into(), value: "good".into() },
            QueryProblem::MaxBelowMin,
            QueryProblem::SearchTooLong,
            QueryProblem::UnknownSort("name".into()),
            QueryProblem::UnknownDirection("up".into()),
            QueryProblem::DamagedCursor,
        ];
        for problem in all {
            assert_eq!(query_problem(Locale::en, &problem), problem.to_string());
            assert_ne!(query_problem(Locale::zh, &problem), problem.to_string(), "no Chinese for {problem:?}");
        }
    }
}
