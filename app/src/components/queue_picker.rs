//! "Add to queue" (#20): a menu of the project's annotation queues that adds the given
//! traces, observations or sessions to the one chosen (an object already there stays once), and
//! the "Annotate" toggle beside it on trace, observation and session pages.
//!
//! The pages hold only the buttons: the menus (with the server functions behind them) and the
//! form are page tools (`components::on_demand`), their code fetched when needed; most page views
//! never annotate.

use leptos::prelude::*;

use crate::components::on_demand::{menu_on_demand, on_demand, page_tool, Tool};
use crate::components::ui::*;
use crate::domain::annotation::Target;
use crate::i18n::*;
use crate::server_fns::annotation::{list_annotation_queues, AddToQueue};

/// The queue menu. `targets` are read when a queue is chosen.
#[component]
pub fn AddToQueueMenu(project_id: String, #[prop(into)] targets: Signal<Vec<Target>>, #[prop(default = "add-to-queue")] test_id: &'static str) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let project_id = StoredValue::new(project_id);
    menu_on_demand(test_id, None, move || td_string!(locale, annotation.picker.add_to_queue), move |open| {
        page_tool(Tool::AddToQueue { project_id: project_id.get_value(), targets, test_id, open })
    })
}

/// The menu itself (`Tool::AddToQueue`, loaded on demand).
#[component]
pub(crate) fn QueueMenu(project_id: String, targets: Signal<Vec<Target>>, test_id: &'static str, open: RwSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let add = ServerAction::<AddToQueue>::new();
    let chosen = RwSignal::new(String::new());
    let project_id = StoredValue::new(project_id);
    let choose = Callback::new(move |(id, name): (String, String)| {
        chosen.set(name);
        add.dispatch(AddToQueue { project_id: project_id.get_value(), queue_id: id, targets: targets.get_untracked() });
        open.set(false);
    });
    view! {
        <div class="flex flex-wrap items-center gap-2">
            <Dropdown test_id button_class=BUTTON_SECONDARY role="menu" open menu_class="left-0 w-72 py-1" menu_test_id="queue-menu"
                trigger=move || td_string!(locale, annotation.picker.add_to_queue)>
                <QueueOptions project_id=project_id.get_value() open choose option_test_id="queue-option" />
            </Dropdown>
            {move || match add.value().get() {
                Some(Ok(added)) => Some(view! {
                    <span class="text-xs text-emerald-700 dark:text-emerald-400" role="status" data-testid="added-to-queue">
                        {if added == 0 {
                            td_string!(locale, annotation.picker.already, queue = chosen.get()).to_string()
                        } else {
                            td_string!(locale, annotation.picker.added, count = added, queue = chosen.get()).to_string()
                        }}
                    </span>
                }),
                _ => None,
            }}
            <ErrorAlert error=action_error(add) />
        </div>
    }
}

/// "Annotate" and "Add to queue" for one target, the form opening below when asked for.
/// Viewers see neither (the server refuses them too).
#[component]
pub fn AnnotationActions(project_id: String, #[prop(into)] target: Signal<Target>, #[prop(optional)] on_change: Option<Callback<()>>) -> impl IntoView {
    let i18n = use_i18n();
    let session = crate::components::session::use_session();
    let pid = project_id.clone();
    let can_write = Signal::derive(move || session.with(|s| s.and_then(|s| s.project(&pid)).is_some_and(|(_, p)| p.can(crate::domain::Action::WriteScores))));
    let open = RwSignal::new(false);
    let stored = StoredValue::new(project_id);
    view! {
        <Show when=move || can_write.get()>
            <div class="flex flex-wrap items-center gap-2" data-testid="annotation-actions">
                <button type="button" class=BUTTON_SECONDARY data-testid="annotate" aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)>{t_string!(i18n, annotation.picker.annotate)}</button>
                <AddToQueueMenu project_id=stored.get_value() targets=Signal::derive(move || vec![target.get()]) />
            </div>
            <Show when=move || open.get()>
                <div class=format!("{CARD} mt-2 max-w-xl p-3")>
                    {on_demand(move || page_tool(Tool::Annotate {
                        project_id: stored.get_value(),
                        target,
                        on_change,
                        queue_id: None,
                        configs: None,
                        keyboard: false,
                    }))}
                </div>
            </Show>
        </Show>
    }
}

/// "Add all matching to a queue": every trace the list's current filters match (up to
/// `MAX_IMPORT_ITEMS`) is added in the background; the progress is polled until it is done.
#[component]
pub fn AddMatchingToQueue(project_id: String, query: Memo<crate::domain::trace_list::TraceListQuery>) -> impl IntoView {
    use crate::domain::annotation::MAX_IMPORT_ITEMS;
    let locale = use_i18n().get_locale_untracked();
    let project_id = StoredValue::new(project_id);
    let title = td_string!(locale, annotation.picker.matching_hint, limit = MAX_IMPORT_ITEMS).to_string();
    menu_on_demand("add-matching", Some(title), move || td_string!(locale, annotation.picker.add_matching), move |open| {
        page_tool(Tool::AddMatching { project_id: project_id.get_value(), query, open })
    })
}

/// The menu itself (`Tool::AddMatching`, loaded on demand).
#[component]
pub(crate) fn MatchingMenu(project_id: String, query: Memo<crate::domain::trace_list::TraceListQuery>, open: RwSignal<bool>) -> impl IntoView {
    use crate::domain::annotation::{QueueImport, MAX_IMPORT_ITEMS};
    use crate::server_fns::annotation::{get_queue_import, AddMatchingToQueue as Start};
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let start = ServerAction::<Start>::new();
    let chosen = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<QueueImport>);
    let project_id = StoredValue::new(project_id);
    let choose = Callback::new(move |(id, name): (String, String)| {
        chosen.set(name);
        start.dispatch(Start { project_id: project_id.get_value(), queue_id: id, query: query.get_untracked() });
        open.set(false);
    });
    // Poll the import once a second while it runs.
    Effect::new(move |_| {
        if let Some(Ok(import)) = start.value().get() {
            progress.set(Some(import.clone()));
            let project_id = project_id.get_value();
            leptos::task::spawn_local(async move {
                loop {
                    gloo_sleep(1000).await;
                    match get_queue_import(project_id.clone(), import.id.clone()).await {
                        Ok(now) => {
                            let done = now.done;
                            progress.set(Some(now));
                            if done {
                                break;
                            }
                        }
                        Err(_) => break,
                    }
                }
            });
        }
    });
    view! {
        <Dropdown test_id="add-matching" button_class=BUTTON_SECONDARY role="menu" open menu_class="right-0 w-72 py-1" menu_test_id="add-matching-menu"
            title=td_string!(locale, annotation.picker.matching_hint, limit = MAX_IMPORT_ITEMS).to_string()
            trigger=move || td_string!(locale, annotation.picker.add_matching)>
            <p class="px-3 py-1 text-xs text-zinc-500">{td_string!(locale, annotation.picker.matching_hint, limit = MAX_IMPORT_ITEMS).to_string()}</p>
            <QueueOptions project_id=project_id.get_value() open choose option_test_id="matching-queue-option" />
        </Dropdown>
        {move || progress.get().map(|p| view! {
            <span class="text-xs text-zinc-600 dark:text-zinc-400" role="status" data-testid="matching-progress" data-done=p.done.to_string()>
                {match (&p.error, p.done) {
                    (Some(error), _) => td_string!(locale, annotation.picker.matching_failed, error = error.clone()).to_string(),
                    (None, true) => td_string!(locale, annotation.picker.matching_done, added = p.added, seen = p.seen, queue = chosen.get()).to_string(),
                    (None, false) => td_string!(locale, annotation.picker.matching_running, seen = p.seen, added = p.added).to_string(),
                }}
            </span>
        })}
        <ErrorAlert error=action_error(start) />
    }
}

/// Waits `ms` milliseconds (browser timers; the server never polls).
async fn gloo_sleep(ms: i32) {
    #[cfg(feature = "hydrate")]
    {
        let promise = leptos::web_sys::js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = leptos::web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ms;
}

/// The project's queues as menu items, loaded when the menu first opens (most page views never
/// open it); `choose` gets the chosen queue's id and name.
#[component]
fn QueueOptions(project_id: String, open: RwSignal<bool>, choose: Callback<(String, String)>, option_test_id: &'static str) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let queues_href = StoredValue::new(format!("/project/{project_id}/annotation-queues"));
    let queues = LocalResource::new(move || {
        let wanted = open.get();
        let project_id = project_id.clone();
        async move { if wanted { Some(list_annotation_queues(project_id).await) } else { None } }
    });
    move || match queues.try_get().flatten().flatten() {
        None => view! { <p class="px-3 py-2 text-sm text-zinc-500">{td_string!(locale, annotation.queues.loading)}</p> }.into_any(),
        Some(Err(error)) => view! { <div class="px-3 py-2"><LoadError error /></div> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <p class="px-3 py-2 text-sm text-zinc-500">{td_string!(locale, annotation.picker.no_queues)}" "
                <a class=BUTTON_LINK href=queues_href.get_value()>{td_string!(locale, annotation.picker.create_one)}</a></p>
        }.into_any(),
        Some(Ok(list)) => list.into_iter().map(|q| {
            let (id, name) = (q.queue.id.clone(), q.queue.name.clone());
            view! {
                <button type="button" role="menuitem" class=MENU_ITEM data-testid=option_test_id data-name=name.clone() translate="no"
                    on:click=move |_| choose.run((id.clone(), name.clone()))>{q.queue.name.clone()}</button>
            }
        }).collect_view().into_any(),
    }
}
