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
use crate::domain::trace_list::{BulkAction, SetupHint, SortBy, TraceListQuery, TraceListRow, RANGES, SCORE_OPS};
use crate::domain::Action;
use crate::error::AppError;
use crate::i18n::*;
use crate::pages::project::InProject;

pub mod columns;
pub(crate) mod filters;
mod actions;
mod row;
use columns::*;
use filters::*;
use actions::*;
use row::*;

type PageResource = Resource<Result<crate::domain::trace_list::TraceListPage, AppError>>;

/// The route: its query, the bulk action and the page resource are made here, outside
/// `InProject`'s Transition (see `components::ui::route_param`).
#[component]
pub fn TracesPage() -> impl IntoView {
    let project_id = route_param("project_id");
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| TraceListQuery::from_params(|k| p.get(k))));
    let bulk = ServerAction::<BulkTraces>::new();
    // "N new traces" reloads on demand (live changes are gathered, not applied).
    let reload = RwSignal::new(0u64);
    let page = Resource::new(
        move || (project_id.get(), query.get(), bulk.version().get(), reload.get()),
        |(project, query, _, _)| list_traces(project, query),
    );
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, traces.title) />
        <InProject children=move |_, project| view! { <TraceList project query bulk reload page /> } />
    }
}

#[component]
fn TraceList(
    project: ProjectRef,
    query: Memo<TraceListQuery>,
    bulk: ServerAction<BulkTraces>,
    reload: RwSignal<u64>,
    page: PageResource,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let project_id = project.id.clone();
    let can_delete = project.can(Action::WriteTraces);
    let can_save = project.can(Action::SaveViews);
    let can_annotate = project.can(Action::WriteAnnotations);
    let matching_project = project_id.clone();
    // Live: changes to the project's traces are gathered, not applied, so the page a person is
    // reading does not move under them; "N new traces" reloads it on demand.
    let live = use_live(Signal::stored(project_traces_url(&project_id)));
    let fresh = move || {
        live.with_changed(|changed| {
            if changed.is_empty() {
                return None;
            }
            let shown: BTreeSet<String> = page
                .with(|p| p.as_ref().and_then(|r| r.as_ref().ok()).map(|pg| pg.rows.iter().map(|r| r.trace.id.clone()).collect()))
                .unwrap_or_default();
            Some(match changed.count_not_in(|id| shown.contains(id)) {
                Some(0) => td_string!(locale, traces.fresh.changed).to_string(),
                Some(1) => td_string!(locale, traces.fresh.single_new).to_string(),
                Some(n) => td_string!(locale, traces.fresh.several_new, count = n).to_string(),
                None => td_string!(locale, traces.fresh.unknown).to_string(),
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
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=td_string!(locale, traces.title) subtitle=td_string!(locale, traces.subtitle)>
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
                    {can_annotate.then(|| view! { <crate::components::queue_picker::AddMatchingToQueue project_id=matching_project.clone() query /> })}
                    <ColumnChooser project_id=columns_project columns />
                </div>
            </PageHeader>
            <FilterBar query base=base.get_value() />
            <FilterChips query link />
            {can_delete.then(move || view! { <BulkBar project_id=bulk_project selected bulk /> })}
            <section class=format!("{CARD} mt-3 overflow-x-auto")>
                <Transition fallback=move || view! { <Skeleton label=td_string!(locale, traces.loading) /> }>
                    {move || Suspend::new(async move {
                        let page = match page.await {
                            Ok(page) => page,
                            Err(AppError::Invalid { field, message }) => {
                                // The server worded the problem in the person's language.
                                let label = filter_label(locale, &field).map_or(field.clone(), str::to_string);
                                return view! {
                                    <div class="p-4" role="alert" data-testid="filter-error">
                                        <p class="text-sm text-red-700 dark:text-red-400">{format!("{label}: {message}")}</p>
                                        <a class=format!("{BUTTON_LINK} mt-2 inline-block") href=link(query.get_untracked().without(&field))>{t_string!(i18n, traces.remove_filter)}</a>
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
                                    <p>{t_string!(i18n, traces.no_match)}</p>
                                    <a class=format!("{BUTTON_LINK} mt-2 inline-block") href=link(q.cleared()) data-testid="clear-filters">{t_string!(i18n, traces.clear_filters)}</a>
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
                                                <input type="checkbox" aria-label=td_string!(locale, traces.select_all) data-testid="select-all"
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
                                                                <a class="hover:text-zinc-900 dark:hover:text-zinc-100" href=link(q.sorted_by(sort)) data-testid=format!("sort-{}", column.id())>{format!("{}{arrow}", column.label(locale))}</a>
                                                            </th>
                                                        }.into_any()
                                                    }
                                                    None => view! { <th class=format!("{TH} whitespace-nowrap {align}")>{column.label(locale)}</th> }.into_any(),
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
                                <span>{newer.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="newest-traces">{t_string!(i18n, traces.first_page)}</a> })}</span>
                                <span>{older.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="older-traces">{t_string!(i18n, traces.next_page)}</a> })}</span>
                            </div>
                        }.into_any()
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// The empty state of a project without traces: how to send the first one.
#[component]
pub fn FirstTrace(setup: SetupHint) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let public_key = setup.public_key.clone().unwrap_or_else(|| "pk-lf-...".to_string());
    let snippet = format!(
        "pip install langfuse\n\nexport LANGFUSE_HOST=\"{}\"\nexport LANGFUSE_PUBLIC_KEY=\"{public_key}\"\nexport LANGFUSE_SECRET_KEY=\"sk-lf-...\"   # shown once when the key was created\n\npython -c '\nfrom langfuse import get_client\nlangfuse = get_client()\nwith langfuse.start_as_current_span(name=\"hello-loupe\") as span:\n    span.update(input=\"ping\", output=\"pong\")\nlangfuse.flush()\n'",
        setup.host
    );
    let has_key = setup.public_key.is_some();
    view! {
        <div class="px-6 py-8" data-testid="first-trace">
            <h2 class="text-base font-semibold">{t_string!(i18n, traces.first_trace.title)}</h2>
            <p class="mt-1 max-w-2xl text-sm text-zinc-500 dark:text-zinc-400">
                {t_string!(i18n, traces.first_trace.intro)}
                {(!has_key).then(|| td_string!(locale, traces.first_trace.no_key))}
            </p>
            <pre class="mt-4 max-w-3xl overflow-x-auto rounded-md bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-900" data-testid="first-trace-snippet">{snippet.clone()}</pre>
            <div class="mt-2"><CopyButton text=snippet label=td_string!(locale, traces.first_trace.copy) /></div>
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
