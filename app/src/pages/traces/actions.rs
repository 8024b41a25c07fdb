//! What a person does with the list besides reading it: bulk actions on selected traces and
//! saved views.

use super::*;

/// What to do with the selected traces: delete them (after a confirmation) or add them to an
/// annotation queue (#20; its own server function, `add_to_queue`), or make each an item of a
/// dataset (#21, `add_traces_to_dataset`).
#[component]
pub(super) fn BulkBar(project_id: String, selected: RwSignal<BTreeSet<String>>, bulk: ServerAction<BulkTraces>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if selected.with(|s| s.is_empty()) {
            confirming.set(false);
        }
    });
    let count = move || selected.with(|s| s.len());
    // Members and up (the server checks it too); the menu is not offered to the others.
    let session = crate::components::session::use_session();
    let can_add_to_dataset = session.current_untracked().and_then(|s| s.project(&project_id).map(|(_, p)| p.can(crate::domain::Action::WriteDatasets))).unwrap_or(false);
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
                <span>{t!(i18n, traces.bulk.selected, count = count)}</span>
                <Show when=move || !confirming.get() fallback=move || view! {
                    <span class="text-red-700 dark:text-red-400">{move || match count() {
                        1 => td_string!(locale, traces.bulk.confirm_single).to_string(),
                        n => td_string!(locale, traces.bulk.confirm_several, count = n).to_string(),
                    }}</span>
                    <button type="button" class=BUTTON_DANGER data-testid="confirm-delete" on:click=delete>{t_string!(i18n, traces.bulk.delete)}</button>
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| confirming.set(false)>{t_string!(i18n, traces.bulk.cancel)}</button>
                }>
                    <button type="button" class=BUTTON_DANGER data-testid="bulk-delete" on:click=move |_| confirming.set(true)>
                        {move || match count() {
                            1 => td_string!(locale, traces.bulk.delete_single).to_string(),
                            n => td_string!(locale, traces.bulk.delete_several, count = n).to_string(),
                        }}
                    </button>
                    <crate::components::queue_picker::AddToQueueMenu project_id=project_id.get_value() test_id="bulk-add-to-queue"
                        targets=Signal::derive(move || selected.get().into_iter().map(|trace_id| crate::domain::annotation::Target::Trace { trace_id }).collect()) />
                    {can_add_to_dataset.then(|| view! {
                        <crate::components::dataset_picker::AddTracesToDatasetMenu project_id=project_id.get_value()
                            trace_ids=Signal::derive(move || selected.get().into_iter().collect()) />
                    })}
                    <button type="button" class=BUTTON_LINK on:click=move |_| selected.set(BTreeSet::new())>{t_string!(i18n, traces.bulk.clear_selection)}</button>
                </Show>
            </div>
        </Show>
        <ErrorAlert error=action_error(bulk) />
    }
}

/// "Views": the project's saved views (a click applies one: it is a link to its URL), saving the
/// current filters and sort under a name, deleting one's own.
#[component]
pub(super) fn SavedViews(project_id: String, can_save: bool, query: Memo<TraceListQuery>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
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
        <Dropdown test_id="views-button" button_class=BUTTON_SECONDARY role="dialog" open
            menu_class="right-0 w-80 p-3" menu_test_id="views-panel" trigger=move || td_string!(locale, traces.views.button)>
            <Transition fallback=move || view! { <Skeleton label=td_string!(locale, traces.views.loading) /> }>
                {
                    move || {
                        let base = base.get_value();
                        Suspend::new(async move {
                            match views.await {
                                Err(error) => view! { <LoadError error /> }.into_any(),
                                Ok(list) if list.is_empty() => view! { <p class="text-sm text-zinc-500 dark:text-zinc-400">{t_string!(i18n, traces.views.empty)}</p> }.into_any(),
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
                                                        <button type="button" class="text-xs text-zinc-500 hover:text-red-600" data-testid="delete-view" aria-label=td_string!(locale, traces.views.delete_view, name = v.name.clone()).to_string()
                                                            on:click=move |_| { delete.dispatch(DeleteSavedView { project_id: project_id.get_value(), view_id: id.clone() }); }>{t_string!(i18n, traces.views.delete)}</button>
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
                    <input type="text" class=INPUT placeholder=td_string!(locale, traces.views.name_placeholder) aria-label=td_string!(locale, traces.views.name_label) data-testid="view-name"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <button type="submit" class=BUTTON_PRIMARY data-testid="save-view">{t_string!(i18n, traces.views.save)}</button>
                </form>
                <div class="mt-2"><ErrorAlert error=action_error(create) /></div>
            })}
            <ErrorAlert error=action_error(delete) />
        </Dropdown>
    }
}
