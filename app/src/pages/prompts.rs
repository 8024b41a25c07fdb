//! The prompts list (`/project/{id}/prompts`): the prompts of a folder (names split at `/`) with
//! sub-folders first, or every prompt whose name or tag matches a search; folder, search and
//! page live in the URL (`?folder=a/b&search=x&page=2`). A project without prompts shows how to
//! create one with the SDK. Names, labels and tags come from people and SDKs: text only.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::server_fns::prompts::list_prompts;
use crate::components::folder_list::{FolderBreadcrumb, FolderListWords, FolderSearch};
use crate::components::icons::FolderIcon;
use crate::domain::prompts::prompt_href;
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::prompts::{PromptListEntry, PromptListPage, PromptSummary, PRODUCTION};
use crate::error::AppError;
use crate::domain::Action;
use crate::pages::project::InProject;
use crate::i18n::*;

#[component]
pub fn PromptsPage() -> impl IntoView {
    // The list's resource lives at the top of the route, not inside the project's Transition
    // (see `prompt_detail::PromptPage`: a resource first created while an out-of-order chunk
    // streams was sometimes left as its fallback, and hydration then failed).
    let params = use_params_map();
    let project_id = Memo::new(move |_| params.with(|p| p.get("project_id").unwrap_or_default()));
    let query = use_query_map();
    let place = Memo::new(move |_| {
        query.with(|q| ListPlace {
            folder: q.get("folder").unwrap_or_default().trim_matches('/').to_string(),
            search: q.get("search").unwrap_or_default().trim().to_string(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1),
        })
    });
    let page = Resource::new(move || (project_id.get(), place.get()), |(project_id, p): (String, ListPlace)| {
        list_prompts(project_id, p.folder, p.search, p.page)
    });
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, prompts.title) />
        <InProject children=move |_, project| view! { <PromptList project place page /> } />
    }
}

/// The list's place: folder (`""` = top), search, 1-based page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPlace {
    pub folder: String,
    pub search: String,
    pub page: u32,
}

impl ListPlace {
    /// The query string (with `?`, or empty) of this place; a search leaves the folder out,
    /// as the server lists matches from every folder.
    pub fn to_search(&self) -> String {
        let mut parts = Vec::new();
        if !self.search.is_empty() {
            parts.push(format!("search={}", encode_query(&self.search)));
        } else if !self.folder.is_empty() {
            // `/` stays readable: folders nest.
            parts.push(format!("folder={}", crate::domain::url::encode_path(&self.folder)));
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }
}

/// A label chip; `production` stands out (it is what the SDKs fetch by default).
pub fn label_chip(label: &str) -> impl IntoView {
    let class = match label {
        PRODUCTION => "border-emerald-300 bg-emerald-50 font-semibold text-emerald-800 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
        "latest" => "border-sky-300 bg-sky-50 text-sky-800 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-300",
        _ => "border-zinc-300 bg-white text-zinc-700 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-300",
    };
    view! { <span class=format!("inline-flex items-center rounded-full border px-1.5 text-xs {class}") data-testid="label-chip" data-label=label.to_string()>{label.to_string()}</span> }
}

pub fn type_badge(chat: bool) -> impl IntoView {
    let (label, class) = if chat {
        ("chat", "bg-violet-100 text-violet-800 dark:bg-violet-900/40 dark:text-violet-300")
    } else {
        ("text", "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300")
    };
    view! { <span class=format!("rounded px-1.5 py-0.5 font-mono text-[11px] {class}") data-testid="prompt-type">{label}</span> }
}

pub fn tag_chip(tag: &str) -> impl IntoView {
    view! { <span class="rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800" data-testid="prompt-tag">{tag.to_string()}</span> }
}

/// A role's name in the page's language.
pub use crate::components::layout::role_label;

/// The Python snippet that creates a first prompt.
pub const CREATE_SNIPPET: &str = r#"from langfuse import Langfuse

langfuse = Langfuse()
langfuse.create_prompt(
    name="movie-critic",
    type="text",
    prompt="As a {{criticlevel}} movie critic, do you like {{movie}}?",
    labels=["production"],  # served by get_prompt("movie-critic")
    config={"model": "gpt-4o", "temperature": 0.7},
)"#;

#[component]
fn PromptList(project: ProjectRef, place: Memo<ListPlace>, page: Resource<Result<PromptListPage, AppError>>) -> impl IntoView {
    let project_id = project.id.clone();
    let can_write = project.can(Action::WritePrompts);
    let base = StoredValue::new(format!("/project/{project_id}/prompts"));
    let project_id = project.id.clone();
    let new_href = format!("{}/new", base.get_value());
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, prompts.title) subtitle=t_string!(i18n, prompts.list.subtitle)>
                {can_write.then(|| view! { <a class=BUTTON_PRIMARY href=new_href.clone() data-testid="new-prompt">{t_string!(i18n, prompts.new_prompt)}</a> })}
            </PageHeader>
            <FolderSearch place base=base.get_value() words=folder_words(locale) />
            <FolderBreadcrumb place base words=folder_words(locale) />
            <section class=format!("{CARD} mt-3 overflow-x-auto")>
                <Transition fallback=move || view! { <Skeleton label=t_string!(i18n, prompts.list.loading) /> }>
                    {move || {
                        let new_href = format!("{}/new", base.get_value());
                        let project_id = project_id.clone();
                        Suspend::new(async move {
                            let page = match page.await {
                                Ok(page) => page,
                                Err(error) => return view! { <LoadError error /> }.into_any(),
                            };
                            let p = place.get_untracked();
                            if page.entries.is_empty() {
                                return empty(locale, &p, &base.get_value(), can_write.then_some(new_href)).into_any();
                            }
                            view! { <Table page place=p base=base.get_value() project_id /> }.into_any()
                        })
                    }}
                </Transition>
            </section>
        </div>
    }
}

fn empty(locale: Locale, place: &ListPlace, base: &str, new_href: Option<String>) -> impl IntoView {
    if !place.search.is_empty() {
        return view! {
            <div class="px-4 py-10 text-center text-sm text-zinc-500" data-testid="no-matching-prompts">
                <p>{td_string!(locale, prompts.list.no_match, search = place.search.clone()).to_string()}</p>
                <a class=format!("{BUTTON_LINK} mt-2 inline-block") href=base.to_string()>{td_string!(locale, prompts.list.clear_search)}</a>
            </div>
        }
        .into_any();
    }
    if !place.folder.is_empty() {
        return view! {
            <div class="px-4 py-10 text-center text-sm text-zinc-500" data-testid="empty-folder">
                <p>{td_string!(locale, prompts.list.empty_folder)}</p>
                <a class=format!("{BUTTON_LINK} mt-2 inline-block") href=base.to_string()>{td_string!(locale, prompts.all_prompts)}</a>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="px-6 py-8 text-sm" data-testid="no-prompts">
            <p class="font-medium">{td_string!(locale, prompts.list.none_yet)}</p>
            <p class="mt-1 text-zinc-500 dark:text-zinc-400">
                {td_string!(locale, prompts.list.none_yet_hint)}
            </p>
            <pre class="mt-3 overflow-x-auto rounded-md bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-900" data-testid="create-prompt-snippet">{CREATE_SNIPPET}</pre>
            <div class="mt-3 flex gap-2">
                <CopyButton text=CREATE_SNIPPET label=td_string!(locale, prompts.list.copy_snippet) />
                {new_href.map(|href| view! { <a class=BUTTON_PRIMARY href=href data-testid="new-prompt-empty">{td_string!(locale, prompts.new_prompt)}</a> })}
            </div>
        </div>
    }
    .into_any()
}

/// The folder list's words for prompts.
fn folder_words(locale: Locale) -> FolderListWords {
    FolderListWords {
        root: td_string!(locale, prompts.title),
        search: td_string!(locale, prompts.list.search),
        search_placeholder: td_string!(locale, prompts.list.search_placeholder),
        matching: |locale, search| td_string!(locale, prompts.list.matching, search = search).to_string(),
        clear_search: td_string!(locale, prompts.list.clear),
        folder: td_string!(locale, prompts.folder),
        id: "prompt",
    }
}

#[component]
fn Table(page: PromptListPage, place: ListPlace, base: String, project_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let now = chrono::Utc::now();
    let prefix = if place.search.is_empty() && !place.folder.is_empty() { format!("{}/", place.folder) } else { String::new() };
    let rows = page
        .entries
        .into_iter()
        .map(|entry| match entry {
            PromptListEntry::Folder { path, prompts } => {
                let href = format!("{base}{}", ListPlace { folder: path.clone(), ..Default::default() }.to_search());
                let shown = path.strip_prefix(&prefix).unwrap_or(&path).to_string();
                view! {
                    <tr translate="no" data-testid="folder-row" data-folder=path.clone() class="hover:bg-zinc-50 dark:hover:bg-zinc-900">
                        <td class=TD colspan="7">
                            <a class="flex items-center gap-2 font-medium hover:underline" href=href>
                                <FolderIcon />
                                <span>{shown}</span>
                                <span class="text-xs font-normal text-zinc-500">{if prompts == 1 {
                                    t_string!(i18n, prompts.list.folder_size_single).to_string()
                                } else {
                                    t_string!(i18n, prompts.list.folder_size, count = prompts).to_string()
                                }}</span>
                            </a>
                        </td>
                    </tr>
                }
                .into_any()
            }
            PromptListEntry::Prompt(summary) => row(locale, summary, &prefix, &project_id, now).into_any(),
        })
        .collect_view();
    let previous = (page.page > 1).then(|| format!("{base}{}", ListPlace { page: page.page - 1, ..place.clone() }.to_search()));
    let more = (page.page as i64) * (page.page_size as i64) < page.total;
    let next = more.then(|| format!("{base}{}", ListPlace { page: page.page + 1, ..place.clone() }.to_search()));
    let columns = {
        let l = locale;
        [
            td_string!(l, prompts.list.columns.name),
            td_string!(l, prompts.list.columns.kind),
            td_string!(l, prompts.list.columns.versions),
            td_string!(l, prompts.list.columns.labels),
            td_string!(l, prompts.list.columns.tags),
            td_string!(l, prompts.list.columns.last_edited),
            td_string!(l, prompts.list.columns.used_by_generations),
        ]
    };
    view! {
        <div class="overflow-x-auto">
            <table class=TABLE data-testid="prompts-table">
                <TableHead columns />
                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">{rows}</tbody>
            </table>
        </div>
        {(previous.is_some() || next.is_some()).then(|| view! {
            <div class="flex items-center justify-between border-t border-zinc-200 px-4 py-2 text-sm dark:border-zinc-800">
                <span>{previous.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="prompts-previous">{t_string!(i18n, prompts.list.previous)}</a> })}</span>
                <span class="text-xs text-zinc-500">{t_string!(i18n, prompts.list.page, page = page.page, total = page.total).to_string()}</span>
                <span>{next.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="prompts-next">{t_string!(i18n, prompts.list.next)}</a> })}</span>
            </div>
        })}
    }
}

fn row(locale: Locale, p: PromptSummary, prefix: &str, project_id: &str, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let href = prompt_href(project_id, &p.name, None);
    let metrics = format!("{href}?tab=metrics");
    let shown = p.name.strip_prefix(prefix).unwrap_or(&p.name).to_string();
    let edited = match &p.updated_by {
        Some(by) => td_string!(locale, prompts.list.edited_by, when = relative_time(p.updated_at, now), who = by.clone()).to_string(),
        None => relative_time(p.updated_at, now),
    };
    view! {
        <tr translate="no" data-testid="prompt-row" data-name=p.name.clone()>
            <td class=TD><a class="font-medium hover:underline" href=href title=p.name.clone()>{shown}</a></td>
            <td class=TD>{type_badge(p.prompt_type == crate::domain::prompts::PromptType::Chat)}</td>
            <td class=format!("{TD} text-right font-mono text-xs") data-testid="prompt-versions">{p.versions}</td>
            <td class=TD><div class="flex flex-wrap gap-1">{p.labels.iter().map(|l| label_chip(l)).collect_view()}</div></td>
            <td class=TD><div class="flex flex-wrap gap-1">{p.tags.iter().map(|t| tag_chip(t)).collect_view()}</div></td>
            <td class=format!("{TD} text-xs") title=timestamp(p.updated_at)>{edited}</td>
            <td class=format!("{TD} text-right font-mono text-xs")><a class="hover:underline" href=metrics data-testid="prompt-usage">{p.usage}</a></td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_round_trip_through_the_url() {
        let at = |folder: &str, search: &str, page| ListPlace { folder: folder.into(), search: search.into(), page }.to_search();
        assert_eq!(at("", "", 1), "");
        assert_eq!(at("team/sub", "", 1), "?folder=team/sub");
        assert_eq!(at("team", "a b", 2), "?search=a%20b&page=2");
        assert_eq!(at("", "", 3), "?page=3");
    }
}
