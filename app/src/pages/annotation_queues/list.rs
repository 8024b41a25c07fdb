//! `/project/{id}/annotation-queues`: the project's queues with their progress, and creating one
//! (name, instructions, the score configs to fill, assignees, reviewers per item). Loupe has no
//! limit on the number of queues.

use leptos::prelude::*;
use leptos_meta::Title;

use super::ProgressBar;
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::Action;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::annotation::{list_annotation_queues, list_project_people, list_score_configs, CreateAnnotationQueue, NewQueueInput};

#[component]
pub fn AnnotationQueuesPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, annotation.title) />
        <InProject children=move |_, project| view! { <QueueList project /> } />
    }
}

#[component]
fn QueueList(project: ProjectRef) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let creating = RwSignal::new(false);
    let create = ServerAction::<CreateAnnotationQueue>::new();
    let pid = project.id.clone();
    let queues = LocalResource::new(move || {
        create.version().get();
        list_annotation_queues(pid.clone())
    });
    // A new queue opens at once: there is nothing to do with it but fill and review it.
    let base = format!("/project/{}/annotation-queues", project.id);
    let go = base.clone();
    Effect::new(move |_| {
        if let Some(Ok(queue)) = create.value().get() {
            let navigate = leptos_router::hooks::use_navigate();
            navigate(&format!("{go}/{}", crate::domain::url::encode_query(&queue.id)), Default::default());
        }
    });
    let can_create = project.can(Action::WriteAnnotations);
    let base = StoredValue::new(base);
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, annotation.title) subtitle=t_string!(i18n, annotation.subtitle)>
                {can_create.then(|| view! {
                    <button type="button" class=BUTTON_PRIMARY data-testid="new-queue" on:click=move |_| creating.update(|c| *c = !*c)>
                        {t_string!(i18n, annotation.queues.new)}
                    </button>
                })}
            </PageHeader>
            <Show when=move || creating.get()>
                <NewQueueForm project_id=project.id.clone() create on_cancel=Callback::new(move |_| creating.set(false)) />
            </Show>
            <section class=format!("{CARD} mt-4 overflow-x-auto")>
                {move || match queues.try_get().flatten() {
                    None => view! { <Skeleton label=td_string!(locale, annotation.queues.loading) /> }.into_any(),
                    Some(Err(error)) => view! { <div class="p-4"><LoadError error /></div> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! {
                        <EmptyHint title=td_string!(locale, annotation.queues.empty_title) test_id="no-queues">
                            {td_string!(locale, annotation.queues.empty_body)}
                        </EmptyHint>
                    }.into_any(),
                    Some(Ok(list)) => view! {
                        <table class=TABLE data-testid="queues-table">
                            <thead><tr>
                                <th class=TH>{td_string!(locale, annotation.queues.name)}</th>
                                <th class=format!("{TH} min-w-40")>{td_string!(locale, annotation.queues.progress)}</th>
                                <th class=TH>{td_string!(locale, annotation.queues.assignees)}</th>
                                <th class=TH>{td_string!(locale, annotation.queues.reviewers_per_item)}</th>
                                <th class=TH></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|q| {
                                    let href = format!("{}/{}", base.get_value(), crate::domain::url::encode_query(&q.queue.id));
                                    let review = format!("{href}/review");
                                    let assignees = if q.assignees.is_empty() {
                                        td_string!(locale, annotation.queues.everyone).to_string()
                                    } else {
                                        q.assignees.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", ")
                                    };
                                    view! {
                                        <tr data-testid="queue-row" data-name=q.queue.name.clone()>
                                            <td class=TD translate="no"><a class="font-medium hover:underline" href=href>{q.queue.name.clone()}</a></td>
                                            <td class=TD><ProgressBar done=q.counts.completed total=q.counts.total /></td>
                                            <td class=format!("{TD} text-xs") translate={if q.assignees.is_empty() { "yes" } else { "no" }}>{assignees}</td>
                                            <td class=format!("{TD} text-center")>{q.queue.reviewers_per_item}</td>
                                            <td class=format!("{TD} text-right")>
                                                {(can_create && q.counts.pending > 0).then(|| view! { <a class=BUTTON_SECONDARY href=review data-testid="queue-review">{td_string!(locale, annotation.queues.review)}</a> })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }}
            </section>
        </div>
    }
}

#[component]
fn NewQueueForm(project_id: String, create: ServerAction<CreateAnnotationQueue>, on_cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let pid = project_id.clone();
    let configs = LocalResource::new(move || list_score_configs(pid.clone(), false));
    let pid = project_id.clone();
    let people = LocalResource::new(move || list_project_people(pid.clone()));
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let assignees = RwSignal::new(Vec::<String>::new());
    let reviewers = RwSignal::new("1".to_string());
    let project_id = StoredValue::new(project_id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateAnnotationQueue {
            project_id: project_id.get_value(),
            queue: NewQueueInput {
                name: name.get_untracked(),
                description: Some(description.get_untracked()),
                score_config_ids: chosen.get_untracked(),
                assignee_ids: assignees.get_untracked(),
                reviewers_per_item: reviewers.get_untracked().trim().parse().unwrap_or(0),
            },
        });
    };
    let settings = format!("/project/{}/settings#score-configs", project_id.get_value());
    view! {
        <form class=format!("{CARD} mt-4 space-y-4 p-4") on:submit=submit data-testid="new-queue-form">
            <label class="block">
                <span class=LABEL>{t_string!(i18n, annotation.queues.name)}</span>
                <input type="text" class=format!("{INPUT} mt-1") required maxlength="200" data-testid="queue-name"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <label class="block">
                <span class=LABEL>{t_string!(i18n, annotation.queues.instructions)}</span>
                <textarea class=format!("{INPUT} mt-1 min-h-24 font-mono text-xs") data-testid="queue-instructions"
                    placeholder=td_string!(locale, annotation.queues.instructions_placeholder)
                    prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                <span class=HINT>{t_string!(i18n, annotation.queues.markdown_hint)}</span>
            </label>
            <fieldset>
                <legend class=LABEL>{t_string!(i18n, annotation.queues.configs)}</legend>
                {move || match configs.try_get().flatten() {
                    None => view! { <Skeleton label=td_string!(locale, annotation.configs.loading) /> }.into_any(),
                    Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! {
                        <p class="mt-1 text-sm text-zinc-500" data-testid="queue-no-configs">{td_string!(locale, annotation.queues.no_configs)}" "
                            <a class=BUTTON_LINK href=settings.clone()>{td_string!(locale, annotation.form.open_settings)}</a></p>
                    }.into_any(),
                    Some(Ok(list)) => {
                        let items = list.into_iter().map(|c| (c.id, c.name, Some(crate::pages::score_configs::data_type_label(locale, c.data_type)))).collect();
                        view! { <Choices items chosen test_id="queue-config" /> }.into_any()
                    }
                }}
            </fieldset>
            <fieldset>
                <legend class=LABEL>{t_string!(i18n, annotation.queues.assignees)}</legend>
                <p class=HINT>{t_string!(i18n, annotation.queues.assignees_hint)}</p>
                {move || match people.try_get().flatten() {
                    None => view! { <Skeleton label=td_string!(locale, annotation.queues.loading_people) /> }.into_any(),
                    Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                    Some(Ok(list)) => {
                        let items = list.into_iter().map(|p| (p.id, p.name, None)).collect();
                        view! { <Choices items chosen=assignees test_id="queue-assignee" /> }.into_any()
                    }
                }}
            </fieldset>
            <label class="block">
                <span class=LABEL>{t_string!(i18n, annotation.queues.reviewers_per_item)}</span>
                <input type="number" min="1" max="20" class=format!("{INPUT} mt-1 w-24") data-testid="queue-reviewers"
                    prop:value=move || reviewers.get() on:input=move |ev| reviewers.set(event_target_value(&ev)) />
                <span class=format!("{HINT} block")>{t_string!(i18n, annotation.queues.reviewers_hint)}</span>
            </label>
            <ErrorAlert error=action_error(create) />
            <div class="flex gap-2">
                <button type="submit" class=BUTTON_PRIMARY data-testid="create-queue" disabled=move || create.pending().get()>{t_string!(i18n, annotation.queues.create)}</button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| on_cancel.run(())>{t_string!(i18n, annotation.queues.cancel)}</button>
            </div>
        </form>
    }
}

/// Checkboxes choosing ids among `items` — `(id, name, what it is)` — into `chosen`.
#[component]
fn Choices(items: Vec<(String, String, Option<&'static str>)>, chosen: RwSignal<Vec<String>>, test_id: &'static str) -> impl IntoView {
    view! {
        <div class="mt-1 flex flex-wrap gap-x-4 gap-y-1">
            {items.into_iter().map(|(id, name, kind)| view! {
                <label class="flex items-center gap-1.5 text-sm">
                    <input type="checkbox" data-testid=test_id data-name=name.clone()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen.update(|list| {
                                list.retain(|x| *x != id);
                                if on {
                                    list.push(id.clone());
                                }
                            });
                        } />
                    <span translate="no">{name.clone()}</span>
                    {kind.map(|k| view! { <span class="text-xs text-zinc-500">{k}</span> })}
                </label>
            }).collect_view()}
        </div>
    }
}
