//! `/project/{id}/datasets/{dataset}/items/{item}`: one item — its current version (edit makes a
//! new one; archive, delete), every version with its time and what changed from the one before
//! (a line diff of each field's pretty JSON), and the runs that used it with the version each ran.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use super::editor::ItemForm;
use super::list::dataset_href;
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::dataset_io::pretty;
use crate::domain::datasets::{DatasetItem, DatasetItemVersion, DatasetRunItem, ItemStatus};
use crate::domain::prompt_diff::{lines, Change};
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::datasets::{get_dataset_item, DeleteDatasetItem, ItemDetail, SetDatasetItemArchived};

#[component]
pub fn DatasetItemPage() -> impl IntoView {
    let i18n = use_i18n();
    let dataset_id = route_param("dataset_id");
    let item_id = route_param("item_id");
    view! {
        <Title text=t_string!(i18n, datasets.item.title) />
        <InProject children=move |_, project| view! { <ItemView project dataset_id item_id /> } />
    }
}

#[component]
fn ItemView(project: ProjectRef, dataset_id: Memo<String>, item_id: Memo<String>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let changed = RwSignal::new(0u32);
    let pid = project.id.clone();
    let detail = LocalResource::new(move || {
        changed.track();
        get_dataset_item(pid.clone(), dataset_id.get(), item_id.get())
    });
    let project_id = StoredValue::new(project.id.clone());
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=move || dataset_href(&project_id.get_value(), &dataset_id.get()) data-testid="back-to-dataset">{td_string!(locale, datasets.item.back)}</a>
            {move || match detail.try_get().flatten() {
                None => view! { <Skeleton label=td_string!(locale, datasets.item.loading) /> }.into_any(),
                Some(Err(error)) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                Some(Ok(detail)) => view! { <Detail detail project_id=project_id.get_value() changed /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Detail(detail: ItemDetail, project_id: String, changed: RwSignal<u32>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let ItemDetail { dataset, item, history, runs, can_write } = detail;
    let latest = history.first().map(|v| v.item.clone());
    let id = latest.as_ref().map(|i| i.id.clone()).unwrap_or_default();
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let archive = ServerAction::<SetDatasetItemArchived>::new();
    let delete = ServerAction::<DeleteDatasetItem>::new();
    Effect::new(move |_| {
        if matches!(archive.value().get(), Some(Ok(_))) {
            changed.update(|n| *n += 1);
        }
    });
    let navigate = use_navigate();
    let back = dataset_href(&project_id, &dataset.id);
    let after_delete = back.clone();
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(()))) {
            navigate(&after_delete, Default::default());
        }
    });
    let versions = history.len();
    let now = chrono::Utc::now();
    let ids = StoredValue::new((project_id.clone(), dataset.id.clone(), id.clone()));
    let source = latest.as_ref().and_then(|i| i.source_trace_id.clone().map(|trace| {
        let mut href = format!("/project/{project_id}/traces/{}", encode_query(&trace));
        if let Some(observation) = &i.source_observation_id {
            href.push_str(&format!("?observation={}", encode_query(observation)));
        }
        (href, trace)
    }));
    let current = item.clone();
    view! {
        <div class="mt-3 flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                <p class="text-xs text-zinc-500"><a class="hover:underline" href=back translate="no">{dataset.name.clone()}</a></p>
                <h1 class="flex flex-wrap items-center gap-2 break-all font-mono text-lg font-semibold" data-testid="item-title" translate="no">
                    {id.clone()}
                    <CopyButton text=id.clone() label=td_string!(locale, datasets.item.copy_id) />
                </h1>
                <p class="mt-1 flex flex-wrap items-center gap-x-2 text-xs text-zinc-500">
                    {match &item {
                        Some(i) => view! { <StatusBadge status=i.status /> }.into_any(),
                        None => view! { <span class="rounded-full bg-red-50 px-1.5 py-0.5 text-[11px] text-red-800 dark:bg-red-950 dark:text-red-300" data-testid="item-deleted">{td_string!(locale, datasets.item.deleted)}</span> }.into_any(),
                    }}
                    <span data-testid="item-version-count">{td_string!(locale, datasets.item.versions, count = versions).to_string()}</span>
                    {latest.as_ref().map(|i| view! {
                        <span title=timestamp(i.created_at)>{td_string!(locale, datasets.item.created, when = relative_time(i.created_at, now)).to_string()}</span>
                        <span title=timestamp(i.updated_at)>{td_string!(locale, datasets.item.updated, when = relative_time(i.updated_at, now)).to_string()}</span>
                    })}
                    {source.map(|(href, trace)| view! {
                        <span>{td_string!(locale, datasets.item.source)}" "<a class=BUTTON_LINK href=href data-testid="item-source" translate="no">{trace}</a></span>
                    })}
                </p>
            </div>
            {(can_write && item.is_some()).then(|| {
                let archived = item.as_ref().is_some_and(|i| i.status == ItemStatus::Archived);
                view! {
                    <div class="flex flex-wrap items-center gap-2">
                        <button type="button" class=BUTTON_SECONDARY data-testid="edit-item" on:click=move |_| editing.update(|e| *e = !*e)>{td_string!(locale, datasets.items.edit)}</button>
                        <button type="button" class=BUTTON_SECONDARY data-testid="archive-item" disabled=move || archive.pending().get() on:click=move |_| {
                            let (project_id, dataset_id, item_id) = ids.get_value();
                            archive.dispatch(SetDatasetItemArchived { project_id, dataset_id, item_id, archived: !archived });
                        }>{if archived { td_string!(locale, datasets.items.unarchive) } else { td_string!(locale, datasets.items.archive) }}</button>
                        <Show when=move || confirming.get() fallback=move || view! {
                            <button type="button" class=BUTTON_DANGER data-testid="delete-item" on:click=move |_| confirming.set(true)>{td_string!(locale, datasets.items.delete)}</button>
                        }>
                            <span class="text-xs text-red-700 dark:text-red-400">{td_string!(locale, datasets.item.confirm_delete)}</span>
                            <button type="button" class=BUTTON_DANGER data-testid="confirm-delete-item" on:click=move |_| {
                                let (project_id, dataset_id, item_id) = ids.get_value();
                                delete.dispatch(DeleteDatasetItem { project_id, dataset_id, item_id });
                            }>{td_string!(locale, datasets.items.delete)}</button>
                            <button type="button" class=BUTTON_LINK on:click=move |_| confirming.set(false)>{td_string!(locale, datasets.items.cancel)}</button>
                        </Show>
                    </div>
                }
            })}
        </div>
        <div class="mt-2"><ErrorAlert error=action_error(archive) /><ErrorAlert error=action_error(delete) /></div>
        {current.clone().map(|existing| {
            let (project_id, dataset_id, _) = ids.get_value();
            view! {
                <Show when=move || editing.get()>
                    <ItemForm project_id=project_id.clone() dataset_id=dataset_id.clone() existing=Some(existing.clone())
                        on_saved=Callback::new(move |_| { editing.set(false); changed.update(|n| *n += 1); })
                        on_cancel=Callback::new(move |_| editing.set(false)) />
                </Show>
            }
        })}
        {current.map(|item| view! {
            <section class="mt-4" data-testid="current-version">
                <h2 class="text-sm font-semibold">{td_string!(locale, datasets.item.current)}</h2>
                <Fields item />
            </section>
        })}
        <History history=history.clone() />
        <Runs runs history project_id dataset_id=dataset.id.clone() />
    }
}

#[component]
fn StatusBadge(status: ItemStatus) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let class = match status {
        ItemStatus::Active => "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
        ItemStatus::Archived => "bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400",
    };
    view! { <span class=format!("rounded-full px-1.5 py-0.5 text-[11px] {class}") data-testid="item-status">{super::words::status_label(locale, status)}</span> }
}

/// Input, expected output and metadata of a version, as pretty JSON.
#[component]
fn Fields(item: DatasetItem) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let field = |label: &'static str, value: &serde_json::Value, test_id: &'static str| {
        let text = pretty(value);
        view! {
            <div class="min-w-0">
                <p class="text-xs font-medium uppercase tracking-wide text-zinc-500">{label}</p>
                {if text.is_empty() {
                    view! { <p class="mt-1 text-sm text-zinc-400" data-testid=test_id>{td_string!(locale, datasets.item.empty_field)}</p> }.into_any()
                } else {
                    view! { <pre class="mt-1 max-h-96 overflow-auto whitespace-pre-wrap break-words rounded-md bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900" data-testid=test_id translate="no">{text}</pre> }.into_any()
                }}
            </div>
        }
    };
    view! {
        <div class="mt-2 grid grid-cols-[minmax(0,1fr)] gap-4 lg:grid-cols-3">
            {field(td_string!(locale, datasets.fields.input), &item.input, "field-input")}
            {field(td_string!(locale, datasets.fields.expected_output), &item.expected_output, "field-expected")}
            {field(td_string!(locale, datasets.fields.metadata), &item.metadata, "field-metadata")}
        </div>
    }
}

/// Every version, newest first, each with what changed from the one before it.
#[component]
fn History(history: Vec<DatasetItemVersion>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let count = history.len();
    let rows = history
        .iter()
        .enumerate()
        .map(|(index, version)| {
            let number = count - index;
            let previous = history.get(index + 1).map(|v| &v.item);
            let item = version.item.clone();
            let changes = changes(locale, previous, &version.item, version.is_deleted);
            let status = (!version.is_deleted).then_some(item.status);
            view! {
                <li class="border-b border-zinc-100 px-4 py-3 last:border-b-0 dark:border-zinc-800" data-testid="item-version" data-version=number.to_string()>
                    <details open=index == 0>
                        <summary class="flex cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 text-sm">
                            <span class="font-medium">{td_string!(locale, datasets.item.version, number = number).to_string()}</span>
                            <span class="text-xs text-zinc-500" title=timestamp(item.version)>{timestamp(item.version)}</span>
                            {status.map(|s| view! { <StatusBadge status=s /> })}
                            {version.is_deleted.then(|| view! { <span class="text-xs text-red-700 dark:text-red-400">{td_string!(locale, datasets.item.deleted_version)}</span> })}
                            {(index == 0 && version.valid_to.is_none() && !version.is_deleted).then(|| view! { <span class="text-xs text-indigo-600 dark:text-indigo-400">{td_string!(locale, datasets.item.latest)}</span> })}
                        </summary>
                        <div class="mt-2 space-y-2">{changes}</div>
                        {(!version.is_deleted).then(|| view! {
                            <details class="mt-2">
                                <summary class="cursor-pointer text-xs text-zinc-500">{td_string!(locale, datasets.item.show_version)}</summary>
                                <Fields item=item.clone() />
                            </details>
                        })}
                    </details>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class=format!("{CARD} mt-6") data-testid="item-history">
            <h2 class="border-b border-zinc-200 px-4 py-2 text-sm font-semibold dark:border-zinc-800">{td_string!(locale, datasets.item.history)}</h2>
            <ol>{rows}</ol>
        </section>
    }
}

/// What a version changed: a line diff per changed field, or "created" for the first.
fn changes(locale: Locale, previous: Option<&DatasetItem>, item: &DatasetItem, deleted: bool) -> AnyView {
    if deleted {
        return view! { <p class="text-xs text-zinc-500">{td_string!(locale, datasets.item.deleted_change)}</p> }.into_any();
    }
    let Some(previous) = previous else {
        return view! { <p class="text-xs text-zinc-500" data-testid="version-created">{td_string!(locale, datasets.item.created_change)}</p> }.into_any();
    };
    let fields = [
        (td_string!(locale, datasets.fields.input), &previous.input, &item.input),
        (td_string!(locale, datasets.fields.expected_output), &previous.expected_output, &item.expected_output),
        (td_string!(locale, datasets.fields.metadata), &previous.metadata, &item.metadata),
    ];
    let mut parts: Vec<AnyView> = fields
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(label, old, new)| {
            let segments = lines(&with_newline(pretty(old)), &with_newline(pretty(new)));
            view! {
                <div data-testid="version-diff">
                    <p class="text-xs font-medium text-zinc-600 dark:text-zinc-400">{td_string!(locale, datasets.item.changed_field, field = label).to_string()}</p>
                    <pre class="mt-1 max-h-80 overflow-auto whitespace-pre-wrap break-words rounded-md bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900" translate="no">
                        {segments.iter().map(|s| match s.change {
                            Change::Same => view! { <span class="text-zinc-500">{format!("  {}", s.text)}</span> }.into_any(),
                            Change::Added => view! { <ins class="block bg-emerald-100 text-emerald-900 no-underline dark:bg-emerald-900/50 dark:text-emerald-200" data-testid="diff-added" title=td_string!(locale, datasets.item.added)>{format!("+ {}", s.text.trim_end_matches('\n'))}</ins> }.into_any(),
                            Change::Removed => view! { <del class="block bg-red-100 text-red-900 no-underline dark:bg-red-900/50 dark:text-red-200" data-testid="diff-removed" title=td_string!(locale, datasets.item.removed)>{format!("- {}", s.text.trim_end_matches('\n'))}</del> }.into_any(),
                        }).collect_view()}
                    </pre>
                </div>
            }
            .into_any()
        })
        .collect();
    if previous.status != item.status {
        parts.push(view! {
            <p class="text-xs text-zinc-600 dark:text-zinc-400" data-testid="version-status-change">
                {td_string!(locale, datasets.item.status_change, from = super::words::status_label(locale, previous.status), to = super::words::status_label(locale, item.status)).to_string()}
            </p>
        }.into_any());
    }
    if parts.is_empty() {
        return view! { <p class="text-xs text-zinc-500">{td_string!(locale, datasets.item.no_change)}</p> }.into_any();
    }
    parts.into_any()
}

/// Every line ends with a newline, so the diff's last lines compare alike.
fn with_newline(mut text: String) -> String {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The run items that used this item: the run, the version it ran, the trace.
#[component]
fn Runs(runs: Vec<DatasetRunItem>, history: Vec<DatasetItemVersion>, project_id: String, dataset_id: String) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let count = history.len();
    // A run names the version it used by its time; the versions are numbered from the oldest.
    let number_of = move |at: chrono::DateTime<chrono::Utc>| history.iter().position(|v| v.item.version == at).map(|i| count - i);
    let now = chrono::Utc::now();
    view! {
        <section class=format!("{CARD} mt-6") data-testid="item-runs">
            <h2 class="border-b border-zinc-200 px-4 py-2 text-sm font-semibold dark:border-zinc-800">{td_string!(locale, datasets.item.runs)}</h2>
            {if runs.is_empty() {
                view! { <p class="px-4 py-4 text-sm text-zinc-500" data-testid="no-item-runs">{td_string!(locale, datasets.item.no_runs)}</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class=TABLE>
                            <thead class="border-b border-zinc-200 dark:border-zinc-800"><tr>
                                <th class=TH>{td_string!(locale, datasets.item.run)}</th>
                                <th class=TH>{td_string!(locale, datasets.item.version_used)}</th>
                                <th class=TH>{td_string!(locale, datasets.item.trace)}</th>
                                <th class=TH>{td_string!(locale, datasets.item.ran)}</th>
                            </tr></thead>
                            <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                {runs.into_iter().map(|r| {
                                    let run_href = format!("{}/runs/{}", dataset_href(&project_id, &dataset_id), encode_query(&r.dataset_run_id));
                                    let mut trace_href = format!("/project/{project_id}/traces/{}", encode_query(&r.trace_id));
                                    if let Some(observation) = &r.observation_id {
                                        trace_href.push_str(&format!("?observation={}", encode_query(observation)));
                                    }
                                    let version = match r.dataset_item_version {
                                        Some(at) => match number_of(at) {
                                            Some(n) => td_string!(locale, datasets.item.version, number = n).to_string(),
                                            None => timestamp(at),
                                        },
                                        None => td_string!(locale, datasets.item.version_unknown).to_string(),
                                    };
                                    view! {
                                        <tr data-testid="item-run" data-run=r.dataset_run_name.clone()>
                                            <td class=TD><a class="font-medium hover:underline" href=run_href translate="no">{r.dataset_run_name.clone()}</a></td>
                                            <td class=format!("{TD} text-xs") data-testid="item-run-version">{version}</td>
                                            <td class=format!("{TD} max-w-[12rem]")><a class="block truncate font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400" href=trace_href translate="no" title=r.trace_id.clone()>{r.trace_id.clone()}</a></td>
                                            <td class=format!("{TD} whitespace-nowrap text-xs") title=timestamp(r.created_at)>{relative_time(r.created_at, now)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
