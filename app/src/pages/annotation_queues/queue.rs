//! `/project/{id}/annotation-queues/{queue}`: one queue — its instructions and configs, progress
//! overall and per reviewer, agreement between reviewers on items several people completed, and
//! its items with where each stands (pending, in progress by whom, completed by whom).

use leptos::prelude::*;
use leptos_meta::Title;

use super::ProgressBar;
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::annotation::{ItemFilter, ObjectType, QueueItemRow, QueueOverview};
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::annotation::{get_annotation_queue, list_queue_items};

#[component]
pub fn AnnotationQueuePage() -> impl IntoView {
    let i18n = use_i18n();
    let queue_id = route_param("queue_id");
    view! {
        <Title text=t_string!(i18n, annotation.title) />
        <InProject children=move |_, project| view! { <QueueView project queue_id /> } />
    }
}

#[component]
fn QueueView(project: ProjectRef, queue_id: Memo<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let pid = project.id.clone();
    let overview = LocalResource::new(move || get_annotation_queue(pid.clone(), queue_id.get()));
    let base = format!("/project/{}", project.id);
    let back = format!("{base}/annotation-queues");
    let project_id = project.id.clone();
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=back>{t_string!(i18n, annotation.queue.back)}</a>
            {move || match overview.try_get().flatten() {
                None => view! { <Skeleton label=td_string!(locale, annotation.queue.loading) /> }.into_any(),
                Some(Err(error)) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                Some(Ok(overview)) => view! { <Overview overview base=base.clone() project_id=project_id.clone() /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Overview(overview: QueueOverview, base: String, project_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let q = overview.queue.clone();
    let review = format!("{base}/annotation-queues/{}/review", crate::domain::url::encode_query(&q.id));
    let counts = overview.counts;
    view! {
        <div class="mt-3 flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                <h1 class="text-xl font-semibold tracking-tight" data-testid="queue-title" translate="no">{q.name.clone()}</h1>
                <div class="mt-1 flex flex-wrap gap-1 text-xs">
                    {overview.configs.iter().map(|c| view! {
                        <span class="rounded border border-zinc-200 px-1.5 py-0.5 dark:border-zinc-700" translate="no">{c.name.clone()}</span>
                    }).collect_view()}
                </div>
                <p class="mt-1 text-xs text-zinc-500">
                    {td_string!(locale, annotation.queue.reviewers_needed, count = q.reviewers_per_item).to_string()}" · "
                    {if overview.assignees.is_empty() {
                        td_string!(locale, annotation.queues.everyone).to_string()
                    } else {
                        td_string!(locale, annotation.queue.assigned_to, names = overview.assignees.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", ")).to_string()
                    }}
                </p>
            </div>
            <div class="flex items-center gap-3">
                <ProgressBar done=counts.completed total=counts.total />
                {(overview.can_review && counts.pending > 0).then(|| view! {
                    <a class=BUTTON_PRIMARY href=review data-testid="start-review">{t_string!(i18n, annotation.queue.start_review)}</a>
                })}
            </div>
        </div>
        {q.description.clone().filter(|d| !d.trim().is_empty()).map(|d| view! {
            <details open class=format!("{CARD} mt-4") data-testid="queue-instructions">
                <summary class="cursor-pointer px-4 py-2 text-sm font-medium">{t_string!(i18n, annotation.queues.instructions)}</summary>
                <div class="border-t border-zinc-200 px-4 py-3 text-sm dark:border-zinc-800" translate="no">{crate::components::content::render_markdown(&d, locale)}</div>
            </details>
        })}
        <div class="mt-4 grid grid-cols-[minmax(0,1fr)] gap-4 lg:grid-cols-2">
            <section class=format!("{CARD} overflow-x-auto") data-testid="reviewer-progress">
                <h2 class="border-b border-zinc-200 px-4 py-2 text-sm font-semibold dark:border-zinc-800">{t_string!(i18n, annotation.queue.reviewers)}</h2>
                {if overview.reviewers.is_empty() {
                    view! { <p class="px-4 py-4 text-sm text-zinc-500">{t_string!(i18n, annotation.queue.no_reviews)}</p> }.into_any()
                } else {
                    view! {
                        <table class=TABLE>
                            <thead><tr><th class=TH>{t_string!(i18n, annotation.queue.reviewer)}</th><th class=format!("{TH} text-right")>{t_string!(i18n, annotation.queue.completed)}</th><th class=format!("{TH} text-right")>{t_string!(i18n, annotation.queue.skipped)}</th></tr></thead>
                            <tbody>
                                {overview.reviewers.iter().map(|r| view! {
                                    <tr data-testid="reviewer-row" data-name=r.person.name.clone()>
                                        <td class=TD translate="no">{r.person.name.clone()}</td>
                                        <td class=format!("{TD} text-right font-mono") data-testid="reviewer-completed">{r.completed}</td>
                                        <td class=format!("{TD} text-right font-mono")>{r.skipped}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
            <super::agreement::QueueAgreement project_id=project_id.clone() queue_id=q.id.clone() reviewers_per_item=q.reviewers_per_item />
        </div>
        <Items project_id base queue_id=q.id.clone() />
    }
}

#[component]
fn Items(project_id: String, base: String, queue_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let filter = RwSignal::new(ItemFilter::All);
    let page = RwSignal::new(0i64);
    let (pid, qid) = (project_id.clone(), queue_id.clone());
    let items = LocalResource::new(move || list_queue_items(pid.clone(), qid.clone(), filter.get(), page.get()));
    let base = StoredValue::new(base);
    let tabs = [
        (ItemFilter::All, td_string!(locale, annotation.queue.filters.all)),
        (ItemFilter::Pending, td_string!(locale, annotation.queue.filters.pending)),
        (ItemFilter::InProgress, td_string!(locale, annotation.queue.filters.in_progress)),
        (ItemFilter::Completed, td_string!(locale, annotation.queue.filters.completed)),
    ];
    view! {
        <section class=format!("{CARD} mt-4") data-testid="queue-items">
            <div class="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-200 px-4 py-2 dark:border-zinc-800">
                <h2 class="text-sm font-semibold">{t_string!(i18n, annotation.queue.items)}</h2>
                <div class="flex flex-wrap gap-1" role="tablist">
                    {tabs.into_iter().map(|(f, label)| view! {
                        <button type="button" role="tab" aria-selected=move || (filter.get() == f).to_string()
                            class=move || format!("rounded px-2 py-0.5 text-xs {}", if filter.get() == f { "bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900" } else { "text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800" })
                            on:click=move |_| { filter.set(f); page.set(0); }>{label}</button>
                    }).collect_view()}
                </div>
            </div>
            <div class="overflow-x-auto">
                {move || match items.try_get().flatten() {
                    None => view! { <Skeleton label=td_string!(locale, annotation.queue.loading_items) /> }.into_any(),
                    Some(Err(error)) => view! { <div class="p-4"><LoadError error /></div> }.into_any(),
                    Some(Ok(result)) if result.rows.is_empty() => view! {
                        <p class="px-4 py-6 text-sm text-zinc-500" data-testid="no-queue-items">
                            {if filter.get_untracked() == ItemFilter::All { td_string!(locale, annotation.queue.empty) } else { td_string!(locale, annotation.queue.empty_filtered) }}
                        </p>
                    }.into_any(),
                    Some(Ok(result)) => {
                        let total = result.total;
                        view! {
                            <table class=TABLE>
                                <thead><tr>
                                    <th class=TH>{td_string!(locale, annotation.queue.object)}</th>
                                    <th class=TH>{td_string!(locale, annotation.queue.status)}</th>
                                    <th class=TH>{td_string!(locale, annotation.queue.added)}</th>
                                </tr></thead>
                                <tbody>{result.rows.into_iter().map(|row| view! { <ItemRow row base=base.get_value() /> }).collect_view()}</tbody>
                            </table>
                            <div class="flex items-center justify-between px-4 py-2 text-xs text-zinc-500">
                                <span>{td_string!(locale, annotation.queue.total, count = total).to_string()}</span>
                                <span class="flex gap-2">
                                    <button type="button" class=BUTTON_LINK disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>{td_string!(locale, annotation.queue.previous)}</button>
                                    <button type="button" class=BUTTON_LINK disabled=move || { (page.get() + 1) * crate::domain::annotation::ITEMS_PER_PAGE >= total } on:click=move |_| page.update(|p| *p += 1)>{td_string!(locale, annotation.queue.next)}</button>
                                </span>
                            </div>
                        }.into_any()
                    }
                }}
            </div>
        </section>
    }
}

#[component]
fn ItemRow(row: QueueItemRow, base: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let item = &row.item;
    let href = match item.object_type {
        ObjectType::Trace => format!("{base}/traces/{}", crate::domain::url::encode_query(&item.object_id)),
        ObjectType::Observation => format!(
            "{base}/traces/{}?observation={}",
            crate::domain::url::encode_query(row.trace_id.as_deref().unwrap_or_default()),
            crate::domain::url::encode_query(&item.object_id)
        ),
        ObjectType::Session => format!("{base}/sessions/{}", crate::domain::url::encode_query(&item.object_id)),
    };
    let kind = match item.object_type {
        ObjectType::Trace => td_string!(locale, annotation.queue.kinds.trace),
        ObjectType::Observation => td_string!(locale, annotation.queue.kinds.observation),
        ObjectType::Session => td_string!(locale, annotation.queue.kinds.session),
    };
    let status = match (&row.locked_by, item.status) {
        (_, crate::domain::annotation::ItemStatus::Completed) => td_string!(locale, annotation.queue.completed_by, names = row.completed_by.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", ")).to_string(),
        (Some(holder), _) => td_string!(locale, annotation.queue.in_progress_by, name = holder.name.clone()).to_string(),
        (None, _) if !row.completed_by.is_empty() => td_string!(locale, annotation.queue.partly, names = row.completed_by.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", ")).to_string(),
        (None, _) => td_string!(locale, annotation.queue.filters.pending).to_string(),
    };
    view! {
        <tr data-testid="queue-item" data-status=item.status.as_str()>
            <td class=TD>
                <span class="mr-2 rounded bg-zinc-100 px-1 text-[10px] uppercase text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">{kind}</span>
                <a class="hover:underline" href=href translate="no">{row.label.clone().unwrap_or_else(|| item.object_id.clone())}</a>
            </td>
            <td class=format!("{TD} text-xs") data-testid="queue-item-status">{status}</td>
            <td class=format!("{TD} text-xs text-zinc-500") title=timestamp(item.created_at)>{relative_time(item.created_at, chrono::Utc::now())}</td>
        </tr>
    }
}
