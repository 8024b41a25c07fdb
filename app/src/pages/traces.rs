//! The traces list: filters, search and sort in the URL (shareable; back/forward works), chips
//! for the active filters, cursor pages, a column chooser remembered per project, saved views,
//! bulk delete, and — for a project without traces — how to send the first one. Every value
//! from the SDKs is rendered as text.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::server_fns::trace_list::{BulkTraces, CreateSavedView, DeleteSavedView};
use crate::server_fns::trace_list::list_traces;
use crate::components::live::{use_live, LiveIndicator};
use crate::components::ui::*;
use crate::domain::live::project_traces_url;
use crate::domain::account::ProjectRef;
use crate::domain::trace_list::{BulkAction, SetupHint, SortBy, TraceListQuery, TraceListRow, FILTER_LABELS, RANGES, SCORE_OPS};
use crate::domain::Action;
use crate::error::AppError;
use crate::pages::project::InProject;

#[component]
pub fn TracesPage() -> impl IntoView {
    view! {
        <Title text="Traces" />
        <InProject children=|_, project| view! { <TraceList project /> } />
    }
}

/// The list's columns (besides the selection checkbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Time,
    Name,
    Input,
    Output,
    User,
    Session,
    Tags,
    Environment,
    Release,
    Latency,
    Tokens,
    Cost,
    Level,
    Scores,
}

impl Column {
    pub const ALL: [Column; 14] = [
        Column::Time,
        Column::Name,
        Column::Input,
        Column::Output,
        Column::User,
        Column::Session,
        Column::Tags,
        Column::Environment,
        Column::Release,
        Column::Latency,
        Column::Tokens,
        Column::Cost,
        Column::Level,
        Column::Scores,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Column::Time => "time",
            Column::Name => "name",
            Column::Input => "input",
            Column::Output => "output",
            Column::User => "user",
            Column::Session => "session",
            Column::Tags => "tags",
            Column::Environment => "environment",
            Column::Release => "release",
            Column::Latency => "latency",
            Column::Tokens => "tokens",
            Column::Cost => "cost",
            Column::Level => "level",
            Column::Scores => "scores",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Column::Time => "Time",
            Column::Name => "Name",
            Column::Input => "Input",
            Column::Output => "Output",
            Column::User => "User",
            Column::Session => "Session",
            Column::Tags => "Tags",
            Column::Environment => "Environment",
            Column::Release => "Release / version",
            Column::Latency => "Latency",
            Column::Tokens => "Tokens",
            Column::Cost => "Cost",
            Column::Level => "Level",
            Column::Scores => "Scores",
        }
    }

    fn sort(self) -> Option<SortBy> {
        match self {
            Column::Time => Some(SortBy::Time),
            Column::Latency => Some(SortBy::Latency),
            Column::Cost => Some(SortBy::Cost),
            _ => None,
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Column::Latency | Column::Tokens | Column::Cost)
    }
}

/// Every column, all shown, in the default order.
pub fn default_columns() -> Vec<(Column, bool)> {
    Column::ALL.iter().map(|c| (*c, true)).collect()
}

/// The chooser's state as stored: `time,name,!input,…` (`!` = hidden), in display order.
pub fn encode_columns(columns: &[(Column, bool)]) -> String {
    columns.iter().map(|(c, shown)| format!("{}{}", if *shown { "" } else { "!" }, c.id())).collect::<Vec<_>>().join(",")
}

/// Reads a stored chooser state; unknown ids are dropped and columns it does not name (added in a
/// later version) are appended, shown.
pub fn decode_columns(stored: &str) -> Vec<(Column, bool)> {
    let mut columns: Vec<(Column, bool)> = Vec::new();
    for part in stored.split(',') {
        let (id, shown) = match part.strip_prefix('!') {
            Some(id) => (id, false),
            None => (part, true),
        };
        if let Some(column) = Column::ALL.iter().find(|c| c.id() == id) {
            if !columns.iter().any(|(c, _)| c == column) {
                columns.push((*column, shown));
            }
        }
    }
    for column in Column::ALL {
        if !columns.iter().any(|(c, _)| *c == column) {
            columns.push((column, true));
        }
    }
    columns
}

fn columns_storage_key(project_id: &str) -> String {
    format!("loupe-trace-columns:{project_id}")
}

/// The stored chooser state of this project (browser only; the server renders the default).
fn load_columns(_project_id: &str) -> Option<Vec<(Column, bool)>> {
    #[cfg(feature = "hydrate")]
    {
        let stored = window().local_storage().ok().flatten()?.get_item(&columns_storage_key(_project_id)).ok().flatten()?;
        return Some(decode_columns(&stored));
    }
    #[allow(unreachable_code)]
    None
}

fn save_columns(_project_id: &str, _columns: &[(Column, bool)]) {
    #[cfg(feature = "hydrate")]
    if let Ok(Some(storage)) = window().local_storage() {
        // Private browsing may refuse storage; the choice then lasts for this page.
        let _ = storage.set_item(&columns_storage_key(_project_id), &encode_columns(_columns));
    }
    let _ = columns_storage_key;
}

#[component]
fn TraceList(project: ProjectRef) -> impl IntoView {
    let project_id = project.id.clone();
    let can_delete = project.can(Action::WriteTraces);
    let can_save = project.can(Action::SaveViews);
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| TraceListQuery::from_params(|k| p.get(k))));
    let bulk = ServerAction::<BulkTraces>::new();
    // Live: changes to the project's traces are gathered, not applied, so the page a person is
    // reading does not move under them; "N new traces" reloads it on demand.
    let live = use_live(Signal::stored(project_traces_url(&project_id)));
    let reload = RwSignal::new(0u64);
    let page = Resource::new(move || (query.get(), bulk.version().get(), reload.get()), {
        let project_id = project_id.clone();
        move |(query, _, _)| list_traces(project_id.clone(), query)
    });
    let fresh = move || {
        live.with_changed(|changed| {
            if changed.is_empty() {
                return None;
            }
            let shown: BTreeSet<String> = page
                .with(|p| p.as_ref().and_then(|r| r.as_ref().ok()).map(|pg| pg.rows.iter().map(|r| r.trace.id.clone()).collect()))
                .unwrap_or_default();
            Some(match changed.count_not_in(|id| shown.contains(id)) {
                Some(0) => "Traces on this page changed: refresh".to_string(),
                Some(1) => "1 new trace: show".to_string(),
                Some(n) => format!("{n} new traces: show"),
                None => "New traces: show".to_string(),
            })
        })
    };
    let selected = RwSignal::new(BTreeSet::<String>::new());
    // A new query (or a finished bulk action) starts with nothing selected.
    Effect::new(move |_| {
        query.track();
        bulk.version().track();
        selected.set(BTreeSet::new());
    });
    let columns = RwSignal::new(default_columns());
    Effect::new({
        let project_id = project_id.clone();
        move |_| {
            if let Some(stored) = load_columns(&project_id) {
                columns.set(stored);
            }
        }
    });
    let base = StoredValue::new(format!("/project/{project_id}/traces"));
    let (views_project, columns_project, bulk_project) = (project_id.clone(), project_id.clone(), project_id.clone());
    let link = move |q: TraceListQuery| format!("{}{}", base.get_value(), q.to_search());
    view! {
        <div class="px-8 py-6">
            <PageHeader title="Traces" subtitle="Every trace your application sends.">
                <div class="flex items-center gap-2">
                    {move || fresh().map(|label| view! {
                        <button type="button" data-testid="new-traces"
                            class="rounded-full bg-indigo-600 px-3 py-1 text-xs font-medium text-white shadow-sm hover:bg-indigo-500"
                            on:click=move |_| { live.clear(); reload.update(|n| *n += 1); }>
                            {label}
                        </button>
                    })}
                    <LiveIndicator live />
                    <SavedViews project_id=views_project can_save query />
                    <ColumnChooser project_id=columns_project columns />
                </div>
            </PageHeader>
            <FilterBar query base=base.get_value() />
            <FilterChips query link />
            {can_delete.then(move || view! { <BulkBar project_id=bulk_project selected bulk /> })}
            <section class=format!("{CARD} mt-3 overflow-x-auto")>
                <Transition fallback=|| view! { <Skeleton label="Loading traces" /> }>
                    {move || Suspend::new(async move {
                        let page = match page.await {
                            Ok(page) => page,
                            Err(AppError::Invalid { field, message }) => {
                                let label = FILTER_LABELS.iter().find(|(k, _)| *k == field).map_or(field.clone(), |(_, l)| l.to_string());
                                return view! {
                                    <div class="p-4" role="alert" data-testid="filter-error">
                                        <p class="text-sm text-red-700 dark:text-red-400">{format!("{label}: {message}")}</p>
                                        <a class=format!("{BUTTON_LINK} mt-2 inline-block") href=link(query.get_untracked().without(&field))>"Remove this filter"</a>
                                    </div>
                                }.into_any();
                            }
                            Err(error) => return view! { <LoadError error /> }.into_any(),
                        };
                        if let Some(setup) = page.setup {
                            return view! { <FirstTrace setup /> }.into_any();
                        }
                        let q = query.get_untracked();
                        if page.rows.is_empty() {
                            return view! {
                                <div class="px-4 py-10 text-center text-sm text-zinc-500 dark:text-zinc-400" data-testid="no-matching-traces">
                                    <p>"No traces match these filters."</p>
                                    <a class=format!("{BUTTON_LINK} mt-2 inline-block") href=link(q.cleared()) data-testid="clear-filters">"Clear filters"</a>
                                </div>
                            }.into_any();
                        }
                        let newer = (!q.before.is_empty()).then(|| link(q.first_page()));
                        let older = page.next_before.map(|before| link(TraceListQuery { before, ..q.clone() }));
                        let ids: Vec<String> = page.rows.iter().map(|r| r.trace.id.clone()).collect();
                        let all_selected = {
                            let ids = ids.clone();
                            move || selected.with(|s| ids.iter().all(|id| s.contains(id)))
                        };
                        let all_selected_view = all_selected.clone();
                        let toggle_all = move |_| {
                            let select = !all_selected();
                            selected.update(|s| for id in &ids {
                                if select { s.insert(id.clone()); } else { s.remove(id); }
                            });
                        };
                        let rows = page.rows;
                        let head_query = q.clone();
                        view! {
                            <table class=TABLE data-testid="traces-table">
                                <thead class="border-b border-zinc-200 dark:border-zinc-800">
                                    <tr>
                                        {can_delete.then(|| view! {
                                            <th class="w-8 px-3 py-2">
                                                <input type="checkbox" aria-label="Select all traces on this page" data-testid="select-all"
                                                    prop:checked=move || all_selected_view() on:change=toggle_all.clone() />
                                            </th>
                                        })}
                                        {move || {
                                            let q = head_query.clone();
                                            columns.get().into_iter().filter(|(_, shown)| *shown).map(|(column, _)| {
                                                let align = if column.numeric() { "text-right" } else { "" };
                                                match column.sort() {
                                                    Some(sort) => {
                                                        let current = SortBy::parse(&q.sort).unwrap_or(SortBy::Time) == sort;
                                                        let arrow = match (current, q.dir == "asc") {
                                                            (false, _) => "",
                                                            (true, true) => " ↑",
                                                            (true, false) => " ↓",
                                                        };
                                                        view! {
                                                            <th class=format!("{TH} whitespace-nowrap {align}") aria-sort=if current { if q.dir == "asc" { "ascending" } else { "descending" } } else { "none" }>
                                                                <a class="hover:text-zinc-900 dark:hover:text-zinc-100" href=link(q.sorted_by(sort)) data-testid=format!("sort-{}", column.id())>{format!("{}{arrow}", column.label())}</a>
                                                            </th>
                                                        }.into_any()
                                                    }
                                                    None => view! { <th class=format!("{TH} whitespace-nowrap {align}")>{column.label()}</th> }.into_any(),
                                                }
                                            }).collect_view()
                                        }}
                                    </tr>
                                </thead>
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {rows.into_iter().map(|row| view! { <Row row query=q.clone() link columns selected can_delete /> }).collect_view()}
                                </tbody>
                            </table>
                            <div class="flex items-center justify-between border-t border-zinc-200 px-4 py-2 text-sm dark:border-zinc-800">
                                <span>{newer.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="newest-traces">"← First page"</a> })}</span>
                                <span>{older.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="older-traces">"Next page →"</a> })}</span>
                            </div>
                        }.into_any()
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// Keys of the "More filters" panel (the compact row has search, user, tag, time and level).
const PANEL_KEYS: [&str; 15] = [
    "name", "session", "environment", "release", "version", "model", "metadata", "errors", "score", "latency_min",
    "latency_max", "cost_min", "cost_max", "from", "to",
];

/// The filter form: a compact row (search, user, tag, time, level) and a "More filters" panel.
/// Applying checks the values with the server's own rules first (`TraceListQuery::parse`), so a
/// bad number is named beside its field instead of reaching the URL; then it navigates, so the
/// URL holds the filters.
#[component]
fn FilterBar(query: Memo<TraceListQuery>, base: String) -> impl IntoView {
    let navigate = use_navigate();
    let draft = RwSignal::new(TraceListQuery::default());
    let error = RwSignal::new(None::<(String, String)>);
    let more = RwSignal::new(false);
    let custom_range = RwSignal::new(false);
    // Keep the inputs in step with the URL (back/forward, chips, clicked filters).
    Effect::new(move |_| {
        let q = query.get();
        if PANEL_KEYS.iter().any(|k| !q.get(k).is_empty()) {
            more.set(true);
        }
        custom_range.set(!q.from.is_empty() || !q.to.is_empty());
        error.set(None);
        draft.set(q);
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut q = draft.get_untracked().first_page();
        for key in crate::domain::trace_list::QUERY_KEYS {
            let value = q.get(key);
            q.set(key, value.trim());
        }
        if let Err((field, message)) = q.parse(chrono::Utc::now()) {
            if PANEL_KEYS.contains(&field) {
                more.set(true);
            }
            error.set(Some((field.to_string(), message)));
            return;
        }
        error.set(None);
        navigate(&format!("{base}{}", q.to_search()), Default::default());
    };
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
    };
    view! {
        <form class="mt-4 space-y-3" on:submit=on_submit data-testid="trace-filters" role="search">
            <div class="flex flex-wrap items-end gap-2">
                <div class="min-w-[16rem] flex-1">
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-search">"Search"</label>
                    <input id="filter-search" type="search" placeholder="Name, input or output — any language" data-testid="trace-search"
                        class=move || format!("{INPUT} mt-1 {}", invalid_class(error, "search"))
                        prop:value=move || draft.with(|d| d.search.clone())
                        on:input=move |ev| draft.update(|d| d.search = event_target_value(&ev)) />
                </div>
                <FilterInput key="user" label="User" placeholder="user id" draft error />
                <FilterInput key="tag" label="Tag" placeholder="tag" draft error />
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
                        on:change=move |ev| draft.update(|d| d.level = event_target_value(&ev))>
                        <option value="" selected=move || draft.with(|d| d.level.is_empty())>"All levels"</option>
                        <option value="warning" selected=move || draft.with(|d| d.level == "warning")>"Warnings and errors"</option>
                        <option value="error" selected=move || draft.with(|d| d.level == "error")>"Errors"</option>
                    </select>
                </div>
                <button type="button" class=BUTTON_SECONDARY data-testid="more-filters" aria-expanded=move || more.get().to_string()
                    on:click=move |_| more.update(|m| *m = !*m)>
                    {move || if more.get() { "Fewer filters" } else { "More filters" }}
                </button>
                <button type="submit" class=BUTTON_PRIMARY>"Apply"</button>
            </div>
            <Show when=move || custom_range.get()>
                <div class="flex flex-wrap items-end gap-2">
                    <FilterInput key="from" label="From (UTC)" placeholder="2026-01-31T14:00" draft error kind="datetime-local" />
                    <FilterInput key="to" label="To (UTC)" placeholder="2026-01-31T18:00" draft error kind="datetime-local" />
                </div>
            </Show>
            <Show when=move || more.get()>
                <div class="flex flex-wrap items-end gap-2 rounded-md border border-zinc-200 p-3 dark:border-zinc-800" data-testid="more-filters-panel">
                    <FilterInput key="name" label="Name" placeholder="trace name" draft error />
                    <FilterInput key="session" label="Session" placeholder="session id" draft error />
                    <FilterInput key="environment" label="Environment" placeholder="e.g. production" draft error />
                    <FilterInput key="release" label="Release" placeholder="release" draft error />
                    <FilterInput key="version" label="Version" placeholder="version" draft error />
                    <FilterInput key="model" label="Model" placeholder="e.g. gpt-4o" draft error />
                    <FilterInput key="metadata" label="Metadata" placeholder="key=value" draft error />
                    <div>
                        <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-errors">"Has error"</label>
                        <select id="filter-errors" class=format!("{SELECT} mt-1") prop:value=move || draft.with(|d| d.errors.clone())
                            on:change=move |ev| draft.update(|d| d.errors = event_target_value(&ev))>
                            <option value="" selected=move || draft.with(|d| d.errors.is_empty())>"Any"</option>
                            <option value="yes" selected=move || draft.with(|d| d.errors == "yes")>"With errors"</option>
                            <option value="no" selected=move || draft.with(|d| d.errors == "no")>"Without errors"</option>
                        </select>
                    </div>
                    <div class="flex items-end gap-1">
                        <FilterInput key="score" label="Score" placeholder="score name" draft error width="w-32" />
                        <select aria-label="Score comparison" class=format!("{SELECT} mt-1") prop:value=move || draft.with(|d| d.score_op.clone())
                            on:change=move |ev| draft.update(|d| d.score_op = event_target_value(&ev))>
                            {SCORE_OPS.into_iter().map(|op| view! {
                                <option value=op selected=move || draft.with(|d| d.score_op == op || (d.score_op.is_empty() && op == "="))>{op}</option>
                            }).collect_view()}
                        </select>
                        <FilterInput key="score_value" label="Value" placeholder="0.8 or good" draft error width="w-28" />
                    </div>
                    <FilterInput key="latency_min" label="Latency ≥ (s)" placeholder="0" draft error width="w-24" />
                    <FilterInput key="latency_max" label="Latency ≤ (s)" placeholder="" draft error width="w-24" />
                    <FilterInput key="cost_min" label="Cost ≥ ($)" placeholder="0" draft error width="w-24" />
                    <FilterInput key="cost_max" label="Cost ≤ ($)" placeholder="" draft error width="w-24" />
                </div>
            </Show>
            {move || error.get().map(|(field, message)| {
                let label = FILTER_LABELS.iter().find(|(k, _)| *k == field).map_or(field.clone(), |(_, l)| l.to_string());
                view! { <p class="text-sm text-red-700 dark:text-red-400" role="alert" data-testid="filter-error">{format!("{label}: {message}")}</p> }
            })}
        </form>
    }
}

fn invalid_class(error: RwSignal<Option<(String, String)>>, key: &str) -> &'static str {
    if error.with(|e| e.as_ref().is_some_and(|(field, _)| field == key)) { "border-red-500 dark:border-red-500" } else { "" }
}

/// One text input of the filter form, bound to the draft query's `key`.
#[component]
fn FilterInput(
    key: &'static str,
    label: &'static str,
    placeholder: &'static str,
    draft: RwSignal<TraceListQuery>,
    error: RwSignal<Option<(String, String)>>,
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
                on:input=move |ev| draft.update(|d| d.set(key, &event_target_value(&ev))) />
        </div>
    }
}

/// The active filters as chips; × removes one.
#[component]
fn FilterChips<L>(query: Memo<TraceListQuery>, link: L) -> impl IntoView
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

/// What to do with the selected traces: delete them (after a confirmation). Adding them to a
/// dataset or an annotation queue will join here as further `BulkAction`s.
#[component]
fn BulkBar(project_id: String, selected: RwSignal<BTreeSet<String>>, bulk: ServerAction<BulkTraces>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if selected.with(|s| s.is_empty()) {
            confirming.set(false);
        }
    });
    let count = move || selected.with(|s| s.len());
    let plural = move || if count() == 1 { "trace".to_string() } else { "traces".to_string() };
    let project_id = StoredValue::new(project_id);
    let delete = move |_| {
        bulk.dispatch(BulkTraces {
            project_id: project_id.get_value(),
            action: BulkAction::Delete,
            trace_ids: selected.get_untracked().into_iter().collect(),
        });
        confirming.set(false);
    };
    view! {
        <Show when=move || { count() > 0 }>
            <div class="mt-3 flex flex-wrap items-center gap-3 rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 text-sm dark:border-zinc-800 dark:bg-zinc-900" data-testid="bulk-bar">
                <span>{move || format!("{} selected", count())}</span>
                <Show when=move || !confirming.get() fallback=move || view! {
                    <span class="text-red-700 dark:text-red-400">{move || format!("Delete {} {} with their observations and scores? This cannot be undone.", count(), plural())}</span>
                    <button type="button" class=BUTTON_DANGER data-testid="confirm-delete" on:click=delete>"Delete"</button>
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| confirming.set(false)>"Cancel"</button>
                }>
                    <button type="button" class=BUTTON_DANGER data-testid="bulk-delete" on:click=move |_| confirming.set(true)>
                        {move || format!("Delete {} {}", count(), plural())}
                    </button>
                    <button type="button" class=BUTTON_LINK on:click=move |_| selected.set(BTreeSet::new())>"Clear selection"</button>
                </Show>
            </div>
        </Show>
        <ErrorAlert error=action_error(bulk) />
    }
}

/// "Views": the project's saved views (a click applies one: it is a link to its URL), saving the
/// current filters and sort under a name, deleting one's own.
#[component]
fn SavedViews(project_id: String, can_save: bool, query: Memo<TraceListQuery>) -> impl IntoView {
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let create = ServerAction::<CreateSavedView>::new();
    let delete = ServerAction::<DeleteSavedView>::new();
    let views = Resource::new(move || (create.version().get(), delete.version().get()), {
        let project_id = project_id.clone();
        move |_| crate::server_fns::trace_list::list_saved_views(project_id.clone())
    });
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            name.set(String::new());
        }
    });
    let base = StoredValue::new(format!("/project/{project_id}/traces"));
    let project_id = StoredValue::new(project_id);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateSavedView { project_id: project_id.get_value(), name: name.get_untracked(), query: query.get_untracked() });
    };
    view! {
        <div class="relative">
            <button type="button" class=BUTTON_SECONDARY data-testid="views-button" aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>"Views ▾"</button>
            <Show when=move || open.get()>
                <div class="absolute right-0 z-20 mt-1 w-80 rounded-md border border-zinc-200 bg-white p-3 shadow-lg dark:border-zinc-700 dark:bg-zinc-900" data-testid="views-panel">
                    <Transition fallback=|| view! { <Skeleton label="Loading views" /> }>
                        {
                            move || {
                                let base = base.get_value();
                                Suspend::new(async move {
                                    match views.await {
                                        Err(error) => view! { <LoadError error /> }.into_any(),
                                        Ok(list) if list.is_empty() => view! { <p class="text-sm text-zinc-500 dark:text-zinc-400">"No saved views yet."</p> }.into_any(),
                                        Ok(list) => view! {
                                            <ul class="max-h-64 space-y-1 overflow-y-auto">
                                                {list.into_iter().map(|v| {
                                                    let href = format!("{base}{}", v.query);
                                                    let id = v.id.clone();
                                                    view! {
                                                        <li class="flex items-center justify-between gap-2">
                                                            <a class="truncate text-sm hover:underline" href=href title=v.query.clone() data-testid="saved-view"
                                                                on:click=move |_| open.set(false)>{v.name.clone()}</a>
                                                            {v.deletable.then(|| view! {
                                                                <button type="button" class="text-xs text-zinc-500 hover:text-red-600" data-testid="delete-view" aria-label=format!("Delete view {}", v.name)
                                                                    on:click=move |_| { delete.dispatch(DeleteSavedView { project_id: project_id.get_value(), view_id: id.clone() }); }>"Delete"</button>
                                                            })}
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        }.into_any(),
                                    }
                                })
                            }
                        }
                    </Transition>
                    {can_save.then(|| view! {
                        <form class="mt-3 flex gap-2 border-t border-zinc-200 pt-3 dark:border-zinc-800" on:submit=save>
                            <input type="text" class=INPUT placeholder="Name this view" aria-label="View name" data-testid="view-name"
                                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                            <button type="submit" class=BUTTON_PRIMARY data-testid="save-view">"Save"</button>
                        </form>
                        <div class="mt-2"><ErrorAlert error=action_error(create) /></div>
                    })}
                    <ErrorAlert error=action_error(delete) />
                </div>
            </Show>
        </div>
    }
}

/// Show, hide and reorder the columns; remembered in this browser per project.
#[component]
fn ColumnChooser(project_id: String, columns: RwSignal<Vec<(Column, bool)>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let project_id = StoredValue::new(project_id);
    let change = move |f: &dyn Fn(&mut Vec<(Column, bool)>)| {
        columns.update(|c| f(c));
        save_columns(&project_id.get_value(), &columns.get_untracked());
    };
    view! {
        <div class="relative">
            <button type="button" class=BUTTON_SECONDARY data-testid="columns-button" aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>"Columns ▾"</button>
            <Show when=move || open.get()>
                <div class="absolute right-0 z-20 mt-1 w-64 rounded-md border border-zinc-200 bg-white p-2 shadow-lg dark:border-zinc-700 dark:bg-zinc-900" data-testid="columns-panel">
                    <ul class="space-y-0.5">
                        {move || columns.get().into_iter().enumerate().map(|(i, (column, shown))| {
                            let last = i + 1 == Column::ALL.len();
                            view! {
                                <li class="flex items-center justify-between gap-2 rounded px-1 py-0.5 hover:bg-zinc-50 dark:hover:bg-zinc-800">
                                    <label class="flex items-center gap-2 text-sm">
                                        <input type="checkbox" prop:checked=shown data-testid=format!("column-toggle-{}", column.id())
                                            on:change=move |_| change(&|c: &mut Vec<(Column, bool)>| c[i].1 = !c[i].1) />
                                        {column.label()}
                                    </label>
                                    <span class="flex gap-1">
                                        <button type="button" class="px-1 text-xs disabled:opacity-30" disabled=i == 0 aria-label=format!("Move {} up", column.label())
                                            data-testid=format!("column-up-{}", column.id()) on:click=move |_| change(&|c: &mut Vec<(Column, bool)>| c.swap(i, i - 1))>"↑"</button>
                                        <button type="button" class="px-1 text-xs disabled:opacity-30" disabled=last aria-label=format!("Move {} down", column.label())
                                            data-testid=format!("column-down-{}", column.id()) on:click=move |_| change(&|c: &mut Vec<(Column, bool)>| c.swap(i, i + 1))>"↓"</button>
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <button type="button" class=format!("{BUTTON_LINK} mt-2") on:click=move |_| change(&|c: &mut Vec<(Column, bool)>| *c = default_columns())>"Reset"</button>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn Row<L>(
    row: TraceListRow,
    query: TraceListQuery,
    link: L,
    columns: RwSignal<Vec<(Column, bool)>>,
    selected: RwSignal<BTreeSet<String>>,
    can_delete: bool,
) -> impl IntoView
where
    L: Fn(TraceListQuery) -> String + Copy + Send + Sync + 'static,
{
    let id = row.trace.id.clone();
    let row = StoredValue::new(row);
    let query = StoredValue::new(query);
    let filter_link = move |key: &str, value: &str| link(query.with_value(|q| q.with(key, value)));
    let level_class = match row.with_value(|r| r.level) {
        3 => "bg-red-50/60 dark:bg-red-950/30",
        2 => "bg-amber-50/60 dark:bg-amber-950/20",
        _ => "",
    };
    let check_id = id.clone();
    let is_selected = move || selected.with(|s| s.contains(&check_id));
    let toggle_id = id.clone();
    let cell = move |column: Column| -> AnyView {
        row.with_value(|row| {
            let t = &row.trace;
            match column {
                Column::Time => view! {
                    <td class=format!("{TD} whitespace-nowrap font-mono text-xs") title=timestamp(t.timestamp)>{t.timestamp.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                }.into_any(),
                Column::Name => view! {
                    <td class=format!("{TD} max-w-xs truncate font-medium")>
                        <a class="hover:underline" href=format!("/project/{}/traces/{}", t.project_id, encode_query(&t.id)) data-testid="trace-link">{t.name.clone().unwrap_or_else(|| "Unnamed trace".into())}</a>
                    </td>
                }.into_any(),
                Column::Input => preview_cell(&row.input_preview, "trace-input").into_any(),
                Column::Output => preview_cell(&row.output_preview, "trace-output").into_any(),
                Column::User => view! {
                    <td class=format!("{TD} text-xs")>{t.user_id.clone().map(|u| view! { <a class="hover:underline" href=filter_link("user", &u) data-testid="trace-user">{u.clone()}</a> })}</td>
                }.into_any(),
                Column::Session => view! {
                    <td class=format!("{TD} max-w-[10rem] truncate font-mono text-xs")>{t.session_id.clone().map(|s| view! { <a class="hover:underline" href=filter_link("session", &s)>{s.clone()}</a> })}</td>
                }.into_any(),
                Column::Tags => view! {
                    <td class=TD>
                        <div class="flex flex-wrap gap-1">
                            {t.tags.iter().map(|tag| view! {
                                <a class="rounded bg-zinc-100 px-1.5 py-0.5 text-xs hover:bg-zinc-200 dark:bg-zinc-800 dark:hover:bg-zinc-700" href=filter_link("tag", tag) data-testid="trace-tag">{tag.clone()}</a>
                            }).collect_view()}
                        </div>
                    </td>
                }.into_any(),
                Column::Environment => view! { <td class=format!("{TD} text-xs")>{t.environment.clone()}</td> }.into_any(),
                Column::Release => {
                    let text = match (&t.release, &t.version) {
                        (Some(r), Some(v)) => format!("{r} / {v}"),
                        (Some(r), None) => r.clone(),
                        (None, Some(v)) => format!("— / {v}"),
                        (None, None) => String::new(),
                    };
                    view! { <td class=format!("{TD} whitespace-nowrap text-xs")>{text}</td> }.into_any()
                }
                Column::Latency => view! {
                    <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs") data-testid="trace-latency">{format_latency(row.latency, row.observation_count)}</td>
                }.into_any(),
                Column::Tokens => view! {
                    <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{if row.total_tokens == 0 { "—".to_string() } else { row.total_tokens.to_string() }}</td>
                }.into_any(),
                Column::Cost => view! {
                    <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs") data-testid="trace-cost">{format_cost(row.total_cost)}</td>
                }.into_any(),
                Column::Level => {
                    let (badge, text) = match row.level {
                        3 => ("rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-800 dark:bg-red-900 dark:text-red-200",
                              format!("ERROR{}", if row.error_count > 1 { format!(" ×{}", row.error_count) } else { String::new() })),
                        2 => ("rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-900 dark:text-amber-200",
                              format!("WARNING{}", if row.warning_count > 1 { format!(" ×{}", row.warning_count) } else { String::new() })),
                        _ => ("text-xs text-zinc-500 dark:text-zinc-400", row.level_label().to_string()),
                    };
                    view! { <td class=format!("{TD} whitespace-nowrap") data-testid="trace-level"><span class=badge>{text}</span></td> }.into_any()
                }
                Column::Scores => view! {
                    <td class=TD>
                        <div class="flex flex-wrap gap-1">
                            {row.scores.iter().map(|s| view! {
                                <span class="rounded bg-emerald-50 px-1.5 py-0.5 text-xs text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200" data-testid="trace-score">
                                    {format!("{}: {}", s.name, s.value)}
                                </span>
                            }).collect_view()}
                        </div>
                    </td>
                }.into_any(),
            }
        })
    };
    view! {
        <tr data-testid="trace-row" data-trace-id=id.clone() class=level_class>
            {can_delete.then(|| view! {
                <td class="w-8 px-3 py-2 align-top">
                    <input type="checkbox" aria-label="Select this trace" data-testid="select-trace" prop:checked=is_selected.clone()
                        on:change=move |_| selected.update(|s| if !s.remove(&toggle_id) { s.insert(toggle_id.clone()); }) />
                </td>
            })}
            {move || columns.get().into_iter().filter(|(_, shown)| *shown).map(|(column, _)| cell(column)).collect_view()}
        </tr>
    }
}

/// A truncated preview of input or output, as text.
fn preview_cell(text: &str, test_id: &'static str) -> impl IntoView {
    let shown: String = text.chars().take(120).collect();
    let title = text.to_string();
    view! {
        <td class=format!("{TD} max-w-xs") title=title>
            <span class="line-clamp-2 break-words text-xs text-zinc-700 dark:text-zinc-300" data-testid=test_id>{shown}</span>
        </td>
    }
}

fn format_latency(seconds: f64, observations: usize) -> String {
    match (observations, seconds) {
        (0, _) => "—".to_string(),
        (_, s) if s < 1.0 => format!("{:.0} ms", s * 1000.0),
        (_, s) => format!("{s:.2} s"),
    }
}

fn format_cost(usd: f64) -> String {
    if usd == 0.0 { "—".to_string() } else if usd < 0.01 { format!("${usd:.6}") } else { format!("${usd:.2}") }
}

/// The empty state of a project without traces: how to send the first one.
#[component]
fn FirstTrace(setup: SetupHint) -> impl IntoView {
    let public_key = setup.public_key.clone().unwrap_or_else(|| "pk-lf-...".to_string());
    let snippet = format!(
        "pip install langfuse\n\nexport LANGFUSE_HOST=\"{}\"\nexport LANGFUSE_PUBLIC_KEY=\"{public_key}\"\nexport LANGFUSE_SECRET_KEY=\"sk-lf-...\"   # shown once when the key was created\n\npython -c '\nfrom langfuse import get_client\nlangfuse = get_client()\nwith langfuse.start_as_current_span(name=\"hello-loupe\") as span:\n    span.update(input=\"ping\", output=\"pong\")\nlangfuse.flush()\n'",
        setup.host
    );
    let has_key = setup.public_key.is_some();
    view! {
        <div class="px-6 py-8" data-testid="first-trace">
            <h2 class="text-base font-semibold">"No traces yet"</h2>
            <p class="mt-1 max-w-2xl text-sm text-zinc-500 dark:text-zinc-400">
                "Point any Langfuse SDK at this Loupe: only the host changes. Traces appear here as soon as they are stored."
                {(!has_key).then(|| " First create an API key in the project settings.")}
            </p>
            <pre class="mt-4 max-w-3xl overflow-x-auto rounded-md bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-900" data-testid="first-trace-snippet">{snippet.clone()}</pre>
            <div class="mt-2"><CopyButton text=snippet label="Copy" /></div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_choice_round_trips_and_survives_new_columns() {
        let mut columns = default_columns();
        columns.swap(0, 1);
        columns[2].1 = false;
        let stored = encode_columns(&columns);
        assert!(stored.starts_with("name,time,!input,"), "{stored}");
        assert_eq!(decode_columns(&stored), columns);
        // Unknown and repeated ids are dropped; columns it does not name are appended, shown.
        let read = decode_columns("!cost,bogus,cost,time");
        assert_eq!(read[0], (Column::Cost, false));
        assert_eq!(read[1], (Column::Time, true));
        assert_eq!(read.len(), Column::ALL.len());
        assert!(read[2..].iter().all(|(_, shown)| *shown));
    }
}
