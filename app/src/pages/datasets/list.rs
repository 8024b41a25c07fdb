//! `/project/{id}/datasets`: the project's datasets, in folders by `/` as the prompts list
//! (`?folder=a/b&search=x&page=2`, the same `ListPlace`), each with its item and run counts and
//! last run; creating one (Members), editing and deleting one (Admins: the confirmation says how
//! many items and runs go with it). A project without datasets shows how to make one, in the UI
//! or with the SDK.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::editor::DatasetForm;
use crate::components::folder_list::{FolderBreadcrumb, FolderListWords, FolderSearch};
use crate::components::icons::FolderIcon;
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::datasets::{Dataset, DatasetListEntry, DatasetListPage, DatasetSummary};
use crate::domain::Action;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::pages::prompts::ListPlace;
use crate::server_fns::datasets::{list_datasets, DeleteDataset};

/// The Python snippet that makes a first dataset with one item.
pub const CREATE_SNIPPET: &str = r#"from langfuse import Langfuse

langfuse = Langfuse()
langfuse.create_dataset(name="support/faq", description="Questions support gets")
langfuse.create_dataset_item(
    dataset_name="support/faq",
    input={"question": "What is the refund policy?"},
    expected_output={"answer": "Refunds within 30 days."},
)"#;

/// A dataset page's address.
pub fn dataset_href(project_id: &str, dataset_id: &str) -> String {
    format!("/project/{project_id}/datasets/{}", encode_query(dataset_id))
}

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let place = Memo::new(move |_| {
        query.with(|q| ListPlace {
            folder: q.get("folder").unwrap_or_default().trim_matches('/').to_string(),
            search: q.get("search").unwrap_or_default().trim().to_string(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1),
        })
    });
    view! {
        <Title text=t_string!(i18n, datasets.title) />
        <InProject children=move |_, project| view! { <DatasetList project place /> } />
    }
}

/// What the list's header form is doing: nothing, creating, or editing a dataset.
#[derive(Clone, PartialEq)]
enum Editing {
    None,
    New,
    Existing(Dataset),
}

#[component]
fn DatasetList(project: ProjectRef, place: Memo<ListPlace>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let can_write = project.can(Action::WriteDatasets);
    let can_manage = project.can(Action::ManageProjectSettings);
    let editing = RwSignal::new(Editing::None);
    let changed = RwSignal::new(0u32);
    let delete = ServerAction::<DeleteDataset>::new();
    let pid = project.id.clone();
    let page = LocalResource::new(move || {
        changed.track();
        delete.version().track();
        let p = place.get();
        list_datasets(pid.clone(), p.folder, p.search, p.page)
    });
    let base = StoredValue::new(format!("/project/{}/datasets", project.id));
    let project_id = StoredValue::new(project.id.clone());
    let navigate = use_navigate();
    let on_saved = Callback::new(move |saved: Dataset| {
        let was_new = editing.get_untracked() == Editing::New;
        editing.set(Editing::None);
        changed.update(|n| *n += 1);
        // A new dataset opens at once: its items are what comes next.
        if was_new {
            navigate(&dataset_href(&project_id.get_value(), &saved.id), Default::default());
        }
    });
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, datasets.title) subtitle=t_string!(i18n, datasets.list.subtitle)>
                {can_write.then(|| view! {
                    <button type="button" class=BUTTON_PRIMARY data-testid="new-dataset" on:click=move |_| editing.set(Editing::New)>{t_string!(i18n, datasets.list.new)}</button>
                })}
            </PageHeader>
            {move || match editing.get() {
                Editing::None => None,
                Editing::New => Some(view! {
                    <DatasetForm project_id=project_id.get_value() existing=None on_saved on_cancel=Callback::new(move |_| editing.set(Editing::None)) />
                }.into_any()),
                Editing::Existing(dataset) => Some(view! {
                    <DatasetForm project_id=project_id.get_value() existing=Some(dataset) on_saved on_cancel=Callback::new(move |_| editing.set(Editing::None)) />
                }.into_any()),
            }}
            <FolderSearch place base=base.get_value() words=folder_words(locale) />
            <FolderBreadcrumb place base words=folder_words(locale) />
            <div class="mt-2"><ErrorAlert error=action_error(delete) /></div>
            <section class=format!("{CARD} mt-3")>
                {move || match page.try_get().flatten() {
                    None => view! { <Skeleton label=td_string!(locale, datasets.list.loading) /> }.into_any(),
                    Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                    Some(Ok(page)) if page.entries.is_empty() => empty(locale, &place.get_untracked(), &base.get_value(), can_write, editing).into_any(),
                    Some(Ok(page)) => view! {
                        <Table page place=place.get_untracked() base=base.get_value() project_id=project_id.get_value() can_manage editing delete />
                    }.into_any(),
                }}
            </section>
        </div>
    }
}

fn empty(locale: Locale, place: &ListPlace, base: &str, can_write: bool, editing: RwSignal<Editing>) -> impl IntoView {
    if !place.search.is_empty() {
        return view! {
            <div class="px-4 py-10 text-center text-sm text-zinc-500" data-testid="no-matching-datasets">
                <p>{td_string!(locale, datasets.list.no_match, search = place.search.clone()).to_string()}</p>
                <a class=format!("{BUTTON_LINK} mt-2 inline-block") href=base.to_string()>{td_string!(locale, datasets.list.clear_search)}</a>
            </div>
        }
        .into_any();
    }
    if !place.folder.is_empty() {
        return view! {
            <div class="px-4 py-10 text-center text-sm text-zinc-500" data-testid="empty-dataset-folder">
                <p>{td_string!(locale, datasets.list.empty_folder)}</p>
                <a class=format!("{BUTTON_LINK} mt-2 inline-block") href=base.to_string()>{td_string!(locale, datasets.list.all_datasets)}</a>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="px-6 py-8 text-sm" data-testid="no-datasets">
            <p class="font-medium text-zinc-900 dark:text-zinc-100">{td_string!(locale, datasets.list.none_yet)}</p>
            <p class="mt-1 text-zinc-500 dark:text-zinc-400">{td_string!(locale, datasets.list.none_yet_hint)}</p>
            <pre class="mt-3 overflow-x-auto rounded-md bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-900" translate="no" data-testid="create-dataset-snippet">{CREATE_SNIPPET}</pre>
            <div class="mt-3 flex flex-wrap gap-2">
                <CopyButton text=CREATE_SNIPPET label=td_string!(locale, datasets.list.copy_snippet) />
                {can_write.then(|| view! {
                    <button type="button" class=BUTTON_PRIMARY data-testid="new-dataset-empty" on:click=move |_| editing.set(Editing::New)>{td_string!(locale, datasets.list.new)}</button>
                })}
            </div>
        </div>
    }
    .into_any()
}

/// The folder list's words for datasets.
fn folder_words(locale: Locale) -> FolderListWords {
    FolderListWords {
        root: td_string!(locale, datasets.title),
        search: td_string!(locale, datasets.list.search),
        search_placeholder: td_string!(locale, datasets.list.search_placeholder),
        matching: |locale, search| td_string!(locale, datasets.list.matching, search = search).to_string(),
        clear_search: td_string!(locale, datasets.list.clear_search),
        folder: td_string!(locale, datasets.list.folder),
        id: "dataset",
    }
}

#[component]
fn Table(
    page: DatasetListPage,
    place: ListPlace,
    base: String,
    project_id: String,
    can_manage: bool,
    editing: RwSignal<Editing>,
    delete: ServerAction<DeleteDataset>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let now = chrono::Utc::now();
    let prefix = if place.search.is_empty() && !place.folder.is_empty() { format!("{}/", place.folder) } else { String::new() };
    let confirming = RwSignal::new(None::<String>);
    let rows = page
        .entries
        .into_iter()
        .map(|entry| match entry {
            DatasetListEntry::Folder { path, datasets } => {
                let href = format!("{base}{}", ListPlace { folder: path.clone(), ..Default::default() }.to_search());
                let shown = path.strip_prefix(&prefix).unwrap_or(&path).to_string();
                view! {
                    <tr data-testid="dataset-folder-row" data-folder=path.clone() class="hover:bg-zinc-50 dark:hover:bg-zinc-900">
                        <td class=TD colspan="7">
                            <a class="flex items-center gap-2 font-medium hover:underline" href=href>
                                <FolderIcon />
                                <span translate="no">{shown}</span>
                                <span class="text-xs font-normal text-zinc-500">{td_string!(locale, datasets.list.folder_size, count = datasets).to_string()}</span>
                            </a>
                        </td>
                    </tr>
                }
                .into_any()
            }
            DatasetListEntry::Dataset(summary) => row(locale, summary, &prefix, &project_id, now, can_manage, editing, confirming, delete).into_any(),
        })
        .collect_view();
    let previous = (page.page > 1).then(|| format!("{base}{}", ListPlace { page: page.page - 1, ..place.clone() }.to_search()));
    let more = (page.page as i64) * (page.page_size as i64) < page.total;
    let next = more.then(|| format!("{base}{}", ListPlace { page: page.page + 1, ..place.clone() }.to_search()));
    let columns = vec![
        td_string!(locale, datasets.list.columns.name).to_string(),
        td_string!(locale, datasets.list.columns.description).to_string(),
        td_string!(locale, datasets.list.columns.items).to_string(),
        td_string!(locale, datasets.list.columns.runs).to_string(),
        td_string!(locale, datasets.list.columns.last_run).to_string(),
        td_string!(locale, datasets.list.columns.created).to_string(),
        String::new(),
    ];
    view! {
        <div class="overflow-x-auto">
            <table class=TABLE data-testid="datasets-table">
                <TableHead columns />
                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">{rows}</tbody>
            </table>
        </div>
        <Pages previous next />
    }
}

/// "← Previous" / "Next →" under a paged list.
#[component]
pub(super) fn Pages(previous: Option<String>, next: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    (previous.is_some() || next.is_some()).then(|| view! {
        <div class="flex items-center justify-between border-t border-zinc-200 px-4 py-2 text-sm dark:border-zinc-800">
            <span>{previous.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="datasets-previous">{t_string!(i18n, common.pager.previous)}</a> })}</span>
            <span>{next.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="datasets-next">{t_string!(i18n, common.pager.next)}</a> })}</span>
        </div>
    })
}

#[allow(clippy::too_many_arguments)]
fn row(
    locale: Locale,
    s: DatasetSummary,
    prefix: &str,
    project_id: &str,
    now: chrono::DateTime<chrono::Utc>,
    can_manage: bool,
    editing: RwSignal<Editing>,
    confirming: RwSignal<Option<String>>,
    delete: ServerAction<DeleteDataset>,
) -> impl IntoView {
    let d = s.dataset.clone();
    let href = dataset_href(project_id, &d.id);
    let shown = d.name.strip_prefix(prefix).unwrap_or(&d.name).to_string();
    let description = d.description.clone().unwrap_or_default();
    let last_run = s.last_run_at.map(|at| (relative_time(at, now), timestamp(at)));
    let id = d.id.clone();
    let (items, runs) = (s.items, s.runs);
    let project_id = project_id.to_string();
    let name = d.name.clone();
    let runs_href = format!("{href}?tab=runs");
    view! {
        <tr data-testid="dataset-row" data-name=d.name.clone()>
            <td class=TD><a class="font-medium hover:underline" href=href.clone() title=d.name.clone() translate="no">{shown}</a></td>
            <td class=format!("{TD} max-w-xs text-xs text-zinc-600 dark:text-zinc-400")>
                <span class="line-clamp-2 break-words" title=description.clone() translate="no">{description.clone()}</span>
            </td>
            <td class=format!("{TD} text-right font-mono text-xs") data-testid="dataset-items">{items}</td>
            <td class=format!("{TD} text-right font-mono text-xs") data-testid="dataset-runs"><a class="hover:underline" href=runs_href>{runs}</a></td>
            <td class=format!("{TD} whitespace-nowrap text-xs")>{match last_run {
                Some((ago, full)) => view! { <span title=full>{ago}</span> }.into_any(),
                None => view! { <span class="text-zinc-400">{td_string!(locale, datasets.list.never)}</span> }.into_any(),
            }}</td>
            <td class=format!("{TD} whitespace-nowrap text-xs") title=timestamp(d.created_at)>{relative_time(d.created_at, now)}</td>
            <td class=format!("{TD} whitespace-nowrap text-right")>
                {can_manage.then(|| {
                    let (id, id2, name) = (id.clone(), id.clone(), name.clone());
                    let d = d.clone();
                    view! {
                        <Show when=move || confirming.get().as_deref() != Some(id.as_str()) fallback=move || {
                            let (id, project_id) = (id2.clone(), project_id.clone());
                            view! {
                                <span class="mr-2 text-xs text-red-700 dark:text-red-400" data-testid="delete-dataset-confirmation">
                                    {td_string!(locale, datasets.list.confirm_delete, name = name.clone(), items = items, runs = runs).to_string()}
                                </span>
                                <button type="button" class=BUTTON_DANGER data-testid="confirm-delete-dataset"
                                    on:click=move |_| { delete.dispatch(DeleteDataset { project_id: project_id.clone(), dataset_id: id.clone() }); confirming.set(None); }>
                                    {td_string!(locale, datasets.list.delete)}
                                </button>
                                <button type="button" class=format!("{BUTTON_LINK} ml-2") on:click=move |_| confirming.set(None)>{td_string!(locale, datasets.list.cancel)}</button>
                            }
                        }>
                            {
                                let (d, id) = (d.clone(), d.id.clone());
                                view! {
                                    <button type="button" class=BUTTON_LINK data-testid="edit-dataset" on:click=move |_| editing.set(Editing::Existing(d.clone()))>{td_string!(locale, datasets.list.edit)}</button>
                                    <button type="button" class="ml-3 text-sm font-medium text-red-600 hover:underline dark:text-red-400" data-testid="delete-dataset"
                                        on:click=move |_| confirming.set(Some(id.clone()))>{td_string!(locale, datasets.list.delete)}</button>
                                }
                            }
                        </Show>
                    }
                })}
            </td>
        </tr>
    }
}
