//! `/project/{id}/datasets/{dataset}`: a dataset — its description and metadata, counts, and
//! two tabs (`?tab=runs`): its items (paged, filtered by status; new, edit — a new version —,
//! archive/unarchive, delete; import and export) and its runs (`run::DatasetRuns`, the
//! experiments' part).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::editor::{DatasetForm, ItemForm};
use super::import::{ExportButtons, ImportPanel};
use super::list::dataset_href;
use crate::components::dataset_picker::item_href;
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::dataset_io::{pretty, preview, ITEMS_PAGE_SIZE};
use crate::domain::datasets::{DatasetItem, ItemStatus};
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::pages::prompts::ListPlace;
use crate::server_fns::datasets::{get_dataset, list_dataset_items, DatasetOverview, DeleteDatasetItem, SetDatasetItemArchived};

/// Characters of a value shown in a table cell (the whole value, up to a few KB, in its tooltip).
const CELL_CHARS: usize = 80;
const TOOLTIP_CHARS: usize = 2000;

#[component]
pub fn DatasetPage() -> impl IntoView {
    let i18n = use_i18n();
    let dataset_id = route_param("dataset_id");
    let query = use_query_map();
    let runs_tab = Memo::new(move |_| query.with(|q| q.get("tab").as_deref() == Some("runs")));
    view! {
        <Title text=t_string!(i18n, datasets.title) />
        <InProject children=move |_, project| view! { <DatasetView project dataset_id runs_tab /> } />
    }
}

#[component]
fn DatasetView(project: ProjectRef, dataset_id: Memo<String>, runs_tab: Memo<bool>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let changed = RwSignal::new(0u32);
    let pid = project.id.clone();
    let overview = LocalResource::new(move || {
        changed.track();
        get_dataset(pid.clone(), dataset_id.get())
    });
    // What the tabs need, apart from the header's counts: reloading the header (after an item
    // change) leaves the items table, its page and any open form or import where they are.
    let base = Memo::new(move |_| overview.try_get().flatten().map(|r| r.map(|o| (o.summary.dataset.id.clone(), o.can_write)).map_err(|_| ())));
    let name = Signal::derive(move || overview.try_get().flatten().and_then(Result::ok).map(|o| o.summary.dataset.name).unwrap_or_default());
    let back = format!("/project/{}/datasets", project.id);
    let project_id = StoredValue::new(project.id.clone());
    let project = StoredValue::new(project);
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=back data-testid="back-to-datasets">{td_string!(locale, datasets.dataset.back)}</a>
            {move || match overview.try_get().flatten() {
                None => view! { <Skeleton label=td_string!(locale, datasets.dataset.loading) /> }.into_any(),
                Some(Err(error)) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                Some(Ok(overview)) => view! { <Header overview project_id=project_id.get_value() changed /> }.into_any(),
            }}
            {move || base.get().and_then(Result::ok).map(|(dataset_id, can_write)| view! {
                <Tabs project_id=project_id.get_value() dataset_id=dataset_id.clone() runs_tab />
                {move || if runs_tab.get() {
                    view! { <super::run::DatasetRuns project=project.get_value() dataset_id=dataset_id.clone() dataset_name=name.get_untracked() /> }.into_any()
                } else {
                    view! { <Items dataset_id=dataset_id.clone() dataset_name=name can_write project_id=project_id.get_value() changed /> }.into_any()
                }}
            })}
        </div>
    }
}

#[component]
fn Header(overview: DatasetOverview, project_id: String, changed: RwSignal<u32>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let s = overview.summary.clone();
    let d = s.dataset.clone();
    let editing = RwSignal::new(false);
    let now = chrono::Utc::now();
    // The dataset's folders link back to the list at that folder.
    let folder = d.name.rsplit_once('/').map(|(folder, _)| folder.to_string());
    let folder_href = folder.as_ref().map(|f| format!("/project/{project_id}/datasets{}", ListPlace { folder: f.clone(), ..Default::default() }.to_search()));
    let metadata = (!d.metadata.is_null()).then(|| pretty(&d.metadata));
    let dataset = d.clone();
    let pid = project_id.clone();
    view! {
        <div class="mt-3 flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                {folder.zip(folder_href).map(|(folder, href)| view! { <a class="text-xs text-zinc-500 hover:underline" href=href translate="no">{folder}" /"</a> })}
                <h1 class="break-words text-xl font-semibold tracking-tight" data-testid="dataset-title" translate="no">{d.name.rsplit('/').next().unwrap_or_default().to_string()}</h1>
                {d.description.clone().map(|text| view! { <p class="mt-1 max-w-3xl whitespace-pre-wrap break-words text-sm text-zinc-600 dark:text-zinc-400" data-testid="dataset-description" translate="no">{text}</p> })}
                <p class="mt-1 text-xs text-zinc-500">
                    {td_string!(locale, datasets.dataset.counts, items = s.items, runs = s.runs).to_string()}
                    " · "
                    <span title=timestamp(d.created_at)>{td_string!(locale, datasets.dataset.created, when = relative_time(d.created_at, now)).to_string()}</span>
                    {s.last_run_at.map(|at| view! { " · "<span title=timestamp(at)>{td_string!(locale, datasets.dataset.last_run, when = relative_time(at, now)).to_string()}</span> })}
                </p>
                <p class="mt-1 flex items-center gap-2 font-mono text-[11px] text-zinc-500" translate="no">
                    <span>{d.id.clone()}</span><CopyButton text=d.id.clone() label=td_string!(locale, datasets.dataset.copy_id) />
                </p>
            </div>
            {overview.can_manage.then(|| view! {
                <button type="button" class=BUTTON_SECONDARY data-testid="edit-dataset" on:click=move |_| editing.update(|e| *e = !*e)>{td_string!(locale, datasets.dataset.edit)}</button>
            })}
        </div>
        {metadata.map(|text| view! {
            <details class=format!("{CARD} mt-3 max-w-3xl") data-testid="dataset-metadata-view">
                <summary class="cursor-pointer px-3 py-1.5 text-xs font-medium text-zinc-600 dark:text-zinc-400">{td_string!(locale, datasets.fields.metadata)}</summary>
                <pre class="overflow-x-auto border-t border-zinc-200 px-3 py-2 font-mono text-xs dark:border-zinc-800" translate="no">{text}</pre>
            </details>
        })}
        <Show when=move || editing.get()>
            <DatasetForm project_id=pid.clone() existing=Some(dataset.clone())
                on_saved=Callback::new(move |_| { editing.set(false); changed.update(|n| *n += 1); })
                on_cancel=Callback::new(move |_| editing.set(false)) />
        </Show>
    }
}

#[component]
fn Tabs(project_id: String, dataset_id: String, runs_tab: Memo<bool>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let href = dataset_href(&project_id, &dataset_id);
    let tab = move |selected: bool| {
        format!(
            "-mb-px border-b-2 px-3 py-2 text-sm font-medium {}",
            if selected { "border-indigo-600 text-zinc-900 dark:border-indigo-400 dark:text-zinc-100" } else { "border-transparent text-zinc-500 hover:text-zinc-800 dark:hover:text-zinc-200" }
        )
    };
    view! {
        <nav class="mt-4 flex gap-2 border-b border-zinc-200 dark:border-zinc-800" aria-label=td_string!(locale, datasets.dataset.tabs) data-testid="dataset-tabs">
            <a href=href.clone() class=move || tab(!runs_tab.get()) aria-current=move || (!runs_tab.get()).then_some("page") data-testid="tab-items">{td_string!(locale, datasets.dataset.items_tab)}</a>
            <a href=format!("{href}?tab=runs") class=move || tab(runs_tab.get()) aria-current=move || runs_tab.get().then_some("page") data-testid="tab-runs">{td_string!(locale, datasets.dataset.runs_tab)}</a>
        </nav>
    }
}

/// What the items table's toolbar has open.
#[derive(Clone, PartialEq)]
enum Panel {
    None,
    NewItem,
    Edit(DatasetItem),
    Import,
}

#[component]
fn Items(dataset_id: String, dataset_name: Signal<String>, can_write: bool, project_id: String, changed: RwSignal<u32>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let status = RwSignal::new(String::new());
    let page = RwSignal::new(0i64);
    let panel = RwSignal::new(Panel::None);
    let archive = ServerAction::<SetDatasetItemArchived>::new();
    let delete = ServerAction::<DeleteDatasetItem>::new();
    let items_changed = RwSignal::new(0u32);
    let (pid, did) = (project_id.clone(), dataset_id.clone());
    let items = LocalResource::new(move || {
        items_changed.track();
        archive.version().track();
        delete.version().track();
        list_dataset_items(pid.clone(), did.clone(), status.get(), page.get(), ITEMS_PAGE_SIZE)
    });
    // Counts in the header follow what happened to the items.
    Effect::new(move |first: Option<()>| {
        delete.version().track();
        items_changed.track();
        if first.is_some() {
            changed.update(|n| *n += 1);
        }
    });
    let refresh = Callback::new(move |_| {
        items_changed.update(|n| *n += 1);
    });
    let filters = [
        ("", td_string!(locale, datasets.items.all)),
        ("ACTIVE", td_string!(locale, datasets.status.active)),
        ("ARCHIVED", td_string!(locale, datasets.status.archived)),
    ];
    let stored = StoredValue::new((project_id.clone(), dataset_id.clone()));
    let confirming = RwSignal::new(None::<String>);
    view! {
        <section class=format!("{CARD} mt-4") data-testid="dataset-items">
            <div class="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-200 px-4 py-2 dark:border-zinc-800">
                <div class="flex flex-wrap gap-1" role="group" aria-label=td_string!(locale, datasets.items.filter)>
                    {filters.into_iter().map(|(value, label)| view! {
                        <button type="button" aria-pressed=move || (status.get() == value).to_string() data-testid="status-filter" data-status=value
                            class=move || format!("rounded px-2 py-0.5 text-xs {}", if status.get() == value { "bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900" } else { "text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800" })
                            on:click=move |_| { status.set(value.to_string()); page.set(0); }>{label}</button>
                    }).collect_view()}
                </div>
                <div class="flex flex-wrap items-center gap-2">
                    {can_write.then(|| view! {
                        <button type="button" class=BUTTON_PRIMARY data-testid="new-item" on:click=move |_| panel.set(Panel::NewItem)>{td_string!(locale, datasets.items.new)}</button>
                        <button type="button" class=BUTTON_SECONDARY data-testid="import-items" on:click=move |_| panel.set(Panel::Import)>{td_string!(locale, datasets.items.import)}</button>
                    })}
                    <ExportButtons project_id=project_id.clone() dataset_id=dataset_id.clone() dataset_name status />
                </div>
            </div>
            <div class="px-4">
                {move || {
                    let (project_id, dataset_id) = stored.get_value();
                    let close = Callback::new(move |_| panel.set(Panel::None));
                    let saved = Callback::new(move |_: DatasetItem| { panel.set(Panel::None); refresh.run(()); });
                    match panel.get() {
                        Panel::None => None,
                        Panel::NewItem => Some(view! { <ItemForm project_id dataset_id on_saved=saved on_cancel=close /> }.into_any()),
                        Panel::Edit(item) => Some(view! { <ItemForm project_id dataset_id existing=Some(item) on_saved=saved on_cancel=close /> }.into_any()),
                        Panel::Import => Some(view! { <ImportPanel project_id dataset_id on_imported=refresh on_close=close /> }.into_any()),
                    }
                }}
                <div class="mt-2"><ErrorAlert error=action_error(archive) /><ErrorAlert error=action_error(delete) /></div>
            </div>
            {move || match items.try_get().flatten() {
                None => view! { <Skeleton label=td_string!(locale, datasets.items.loading) /> }.into_any(),
                Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                Some(Ok(result)) if result.items.is_empty() && page.get_untracked() == 0 => {
                    if status.get_untracked().is_empty() {
                        view! {
                            <EmptyHint title=td_string!(locale, datasets.items.empty_title) test_id="no-items">
                                {if can_write { td_string!(locale, datasets.items.empty_body) } else { td_string!(locale, datasets.items.empty_body_viewer) }}
                            </EmptyHint>
                        }.into_any()
                    } else {
                        view! { <p class="px-4 py-6 text-sm text-zinc-500" data-testid="no-items">{td_string!(locale, datasets.items.empty_filtered)}</p> }.into_any()
                    }
                }
                Some(Ok(result)) => {
                    let total = result.total;
                    let (project_id, _) = stored.get_value();
                    view! {
                        <div class="overflow-x-auto">
                            <table class=TABLE data-testid="items-table">
                                <thead class="border-b border-zinc-200 dark:border-zinc-800"><tr>
                                    <th class=TH>{td_string!(locale, datasets.fields.id)}</th>
                                    <th class=TH>{td_string!(locale, datasets.fields.input)}</th>
                                    <th class=TH>{td_string!(locale, datasets.fields.expected_output)}</th>
                                    <th class=TH>{td_string!(locale, datasets.fields.metadata)}</th>
                                    <th class=TH>{td_string!(locale, datasets.items.status)}</th>
                                    <th class=TH>{td_string!(locale, datasets.items.source)}</th>
                                    <th class=TH>{td_string!(locale, datasets.items.updated)}</th>
                                    <th class=TH></th>
                                </tr></thead>
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {result.items.into_iter().map(|item| view! {
                                        <ItemRow item project_id=project_id.clone() can_write panel confirming archive delete />
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <div class="flex items-center justify-between border-t border-zinc-200 px-4 py-2 text-xs text-zinc-500 dark:border-zinc-800">
                            <span data-testid="items-total">{td_string!(locale, datasets.items.total, count = total).to_string()}</span>
                            <span class="flex gap-3">
                                <button type="button" class=BUTTON_LINK data-testid="items-previous" disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>{td_string!(locale, datasets.items.previous)}</button>
                                <button type="button" class=BUTTON_LINK data-testid="items-next" disabled=move || { (page.get() + 1) * ITEMS_PAGE_SIZE >= total } on:click=move |_| page.update(|p| *p += 1)>{td_string!(locale, datasets.items.next)}</button>
                            </span>
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// A value's cell: one line cut at [`CELL_CHARS`], the longer text in the tooltip.
fn value_cell(value: &serde_json::Value, test_id: &'static str) -> impl IntoView {
    let short = preview(value, CELL_CHARS);
    let full = preview(value, TOOLTIP_CHARS);
    view! { <td class=format!("{TD} max-w-[16rem]") data-testid=test_id><span class="block truncate font-mono text-xs" title=full translate="no">{short}</span></td> }
}

#[allow(clippy::too_many_arguments)]
#[component]
fn ItemRow(
    item: DatasetItem,
    project_id: String,
    can_write: bool,
    panel: RwSignal<Panel>,
    confirming: RwSignal<Option<String>>,
    archive: ServerAction<SetDatasetItemArchived>,
    delete: ServerAction<DeleteDatasetItem>,
) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let href = item_href(&project_id, &item.dataset_id, &item.id);
    let source = item.source_trace_id.clone().map(|trace| {
        let mut href = format!("/project/{project_id}/traces/{}", encode_query(&trace));
        if let Some(observation) = &item.source_observation_id {
            href.push_str(&format!("?observation={}", encode_query(observation)));
        }
        (href, trace)
    });
    let archived = item.status == ItemStatus::Archived;
    let stored = StoredValue::new(item.clone());
    let ids = StoredValue::new((project_id, item.dataset_id.clone(), item.id.clone()));
    let id = item.id.clone();
    view! {
        <tr data-testid="item-row" data-id=item.id.clone() data-status=item.status.as_str() class=if archived { "text-zinc-500" } else { "" }>
            <td class=format!("{TD} max-w-[10rem]")><a class="block truncate font-mono text-xs hover:underline" href=href title=item.id.clone() translate="no">{item.id.clone()}</a></td>
            {value_cell(&item.input, "cell-input")}
            {value_cell(&item.expected_output, "cell-expected")}
            {value_cell(&item.metadata, "cell-metadata")}
            <td class=TD>
                <span data-testid="item-status" class=format!("rounded-full px-1.5 py-0.5 text-[11px] {}", if archived { "bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400" } else { "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300" })>
                    {super::words::status_label(locale, item.status)}
                </span>
            </td>
            <td class=format!("{TD} max-w-[8rem]")>{source.map(|(href, trace)| view! {
                <a class="block truncate font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400" href=href title=trace.clone() data-testid="item-source" translate="no">{trace.clone()}</a>
            })}</td>
            <td class=format!("{TD} whitespace-nowrap text-xs") title=timestamp(item.updated_at)>{relative_time(item.updated_at, chrono::Utc::now())}</td>
            <td class=format!("{TD} whitespace-nowrap text-right text-xs")>
                {can_write.then(|| {
                    let id2 = id.clone();
                    view! {
                        <Show when=move || confirming.get().as_deref() != Some(id.as_str()) fallback=move || view! {
                            <span class="mr-2 text-red-700 dark:text-red-400">{td_string!(locale, datasets.items.confirm_delete)}</span>
                            <button type="button" class=BUTTON_DANGER data-testid="confirm-delete-item" on:click=move |_| {
                                let (project_id, dataset_id, item_id) = ids.get_value();
                                delete.dispatch(DeleteDatasetItem { project_id, dataset_id, item_id });
                                confirming.set(None);
                            }>{td_string!(locale, datasets.items.delete)}</button>
                            <button type="button" class=format!("{BUTTON_LINK} ml-2") on:click=move |_| confirming.set(None)>{td_string!(locale, datasets.items.cancel)}</button>
                        }>
                            <span class="flex justify-end gap-3">
                                <button type="button" class=BUTTON_LINK data-testid="edit-item" on:click=move |_| panel.set(Panel::Edit(stored.get_value()))>{td_string!(locale, datasets.items.edit)}</button>
                                <button type="button" class=BUTTON_LINK data-testid="archive-item" on:click=move |_| {
                                    let (project_id, dataset_id, item_id) = ids.get_value();
                                    archive.dispatch(SetDatasetItemArchived { project_id, dataset_id, item_id, archived: !archived });
                                }>{if archived { td_string!(locale, datasets.items.unarchive) } else { td_string!(locale, datasets.items.archive) }}</button>
                                <button type="button" class="text-sm font-medium text-red-600 hover:underline dark:text-red-400" data-testid="delete-item"
                                    on:click={ let id = id2.clone(); move |_| confirming.set(Some(id.clone())) }>{td_string!(locale, datasets.items.delete)}</button>
                            </span>
                        </Show>
                    }
                })}
            </td>
        </tr>
    }
}
