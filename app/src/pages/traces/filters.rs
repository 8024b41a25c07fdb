//! The filter bar (search, user, tag, time, level, and "More filters"), its inputs, and the
//! chips of the active filters. Everything lives in the URL query.

use super::*;

/// Keys of the "More filters" panel (the compact row has search, user, tag, time and level).
pub(super) const PANEL_KEYS: [&str; 15] = [
    "name", "session", "environment", "release", "version", "model", "metadata", "errors", "score", "latency_min",
    "latency_max", "cost_min", "cost_max", "from", "to",
];

/// The filter form: a compact row (search, user, tag, time, level) and a "More filters" panel.
/// Filters apply as they are chosen: a select at once, text once typing pauses ([`Debounce`],
/// which also waits for IME compositions), Enter at once. Applying checks the values with the
/// server's own rules first (`TraceListQuery::parse`), so a bad number is named beside its field
/// instead of reaching the URL; then it navigates (replacing the history entry while typing), so
/// the URL holds the filters.
#[component]
pub(super) fn FilterBar(query: Memo<TraceListQuery>, base: String) -> impl IntoView {
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
        if let Err((field, message)) = q.parse(chrono::Utc::now()) {
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
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-search">"Search"</label>
                    <input id="filter-search" type="search" placeholder="Name, input or output — any language" data-testid="trace-search"
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
                <FilterInput key="user" label="User" placeholder="user id" draft error debounce apply=apply_typed />
                <FilterInput key="tag" label="Tag" placeholder="tag" draft error debounce apply=apply_typed />
                <div>
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-range">"Time"</label>
                    <select id="filter-range" class=format!("{SELECT} mt-1") on:change=on_range prop:value=range_value>
                        <option value="" selected=move || range_value().is_empty()>"All time"</option>
                        {RANGES.into_iter().map(|(value, label, _)| view! {
                            <option value=value selected=move || range_value() == value>{label}</option>
                        }).collect_view()}
                        <option value="custom" selected=move || custom_range.get()>"Custom range (UTC)"</option>
                    </select>
                </div>
                <div>
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-level">"Level"</label>
                    <select id="filter-level" class=format!("{SELECT} mt-1") prop:value=move || draft.with(|d| d.level.clone())
                        on:change=move |ev| { draft.update(|d| d.level = event_target_value(&ev)); apply_now(); }>
                        <option value="" selected=move || draft.with(|d| d.level.is_empty())>"All levels"</option>
                        <option value="warning" selected=move || draft.with(|d| d.level == "warning")>"Warnings and errors"</option>
                        <option value="error" selected=move || draft.with(|d| d.level == "error")>"Errors"</option>
                    </select>
                </div>
                <button type="button" class=BUTTON_SECONDARY data-testid="more-filters" aria-expanded=move || more.get().to_string()
                    on:click=move |_| more.update(|m| *m = !*m)>
                    {move || if more.get() { "Fewer filters" } else { "More filters" }}
                </button>
                // Enter applies at once; everything else applies as chosen.
                <button type="submit" class="sr-only" tabindex="-1">"Apply filters"</button>
            </div>
            <Show when=move || custom_range.get()>
                <div class="flex flex-wrap items-end gap-2">
                    <FilterInput key="from" label="From (UTC)" placeholder="2026-01-31T14:00" draft error debounce apply=apply_typed kind="datetime-local" />
                    <FilterInput key="to" label="To (UTC)" placeholder="2026-01-31T18:00" draft error debounce apply=apply_typed kind="datetime-local" />
                </div>
            </Show>
            <Show when=move || more.get()>
                <div class="flex flex-wrap items-end gap-2 rounded-md border border-zinc-200 p-3 dark:border-zinc-800" data-testid="more-filters-panel">
                    <FilterInput key="name" label="Name" placeholder="trace name" draft error debounce apply=apply_typed />
                    <FilterInput key="session" label="Session" placeholder="session id" draft error debounce apply=apply_typed />
                    <FilterInput key="environment" label="Environment" placeholder="e.g. production" draft error debounce apply=apply_typed />
                    <FilterInput key="release" label="Release" placeholder="release" draft error debounce apply=apply_typed />
                    <FilterInput key="version" label="Version" placeholder="version" draft error debounce apply=apply_typed />
                    <FilterInput key="model" label="Model" placeholder="e.g. gpt-4o" draft error debounce apply=apply_typed />
                    <FilterInput key="metadata" label="Metadata" placeholder="key=value" draft error debounce apply=apply_typed />
                    <div>
                        <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-errors">"Has error"</label>
                        <select id="filter-errors" class=format!("{SELECT} mt-1") prop:value=move || draft.with(|d| d.errors.clone())
                            on:change=move |ev| { draft.update(|d| d.errors = event_target_value(&ev)); apply_now(); }>
                            <option value="" selected=move || draft.with(|d| d.errors.is_empty())>"Any"</option>
                            <option value="yes" selected=move || draft.with(|d| d.errors == "yes")>"With errors"</option>
                            <option value="no" selected=move || draft.with(|d| d.errors == "no")>"Without errors"</option>
                        </select>
                    </div>
                    <div class="flex items-end gap-1">
                        <FilterInput key="score" label="Score" placeholder="score name" draft error debounce apply=apply_typed width="w-32" />
                        <select aria-label="Score comparison" class=format!("{SELECT} mt-1") prop:value=move || draft.with(|d| d.score_op.clone())
                            on:change=move |ev| { draft.update(|d| d.score_op = event_target_value(&ev)); apply_now(); }>
                            {SCORE_OPS.into_iter().map(|op| view! {
                                <option value=op selected=move || draft.with(|d| d.score_op == op || (d.score_op.is_empty() && op == "="))>{op}</option>
                            }).collect_view()}
                        </select>
                        <FilterInput key="score_value" label="Value" placeholder="0.8 or good" draft error debounce apply=apply_typed width="w-28" />
                    </div>
                    <FilterInput key="latency_min" label="Latency ≥ (s)" placeholder="0" draft error debounce apply=apply_typed width="w-24" />
                    <FilterInput key="latency_max" label="Latency ≤ (s)" placeholder="" draft error debounce apply=apply_typed width="w-24" />
                    <FilterInput key="cost_min" label="Cost ≥ ($)" placeholder="0" draft error debounce apply=apply_typed width="w-24" />
                    <FilterInput key="cost_max" label="Cost ≤ ($)" placeholder="" draft error debounce apply=apply_typed width="w-24" />
                </div>
            </Show>
            {move || error.get().map(|(field, message)| {
                let label = FILTER_LABELS.iter().find(|(k, _)| *k == field).map_or(field.clone(), |(_, l)| l.to_string());
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
    move || {
        let q = query.get();
        let chips = q.active_filters();
        (!chips.is_empty()).then(|| view! {
            <div class="mt-3 flex flex-wrap items-center gap-2" data-testid="filter-chips">
                {chips.into_iter().map(|(key, label, value)| view! {
                    <a href=link(q.without(key)) data-testid="filter-chip" title="Remove this filter"
                        class="inline-flex items-center gap-1 rounded-full bg-indigo-50 px-2.5 py-0.5 text-xs text-indigo-800 hover:bg-indigo-100 dark:bg-indigo-950 dark:text-indigo-200 dark:hover:bg-indigo-900">
                        <span class="font-medium">{label}":"</span>
                        <span class="max-w-[16rem] truncate">{value}</span>
                        <span aria-hidden="true">"×"</span>
                    </a>
                }).collect_view()}
                <a class="text-xs text-zinc-500 hover:underline dark:text-zinc-400" href=link(q.cleared()) data-testid="clear-all-filters">"Clear all"</a>
            </div>
        })
    }
}
