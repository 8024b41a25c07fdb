//! `/project/{id}/dashboards/{dashboard_id}`: a custom dashboard over the URL's range and
//! filters. Members and up edit it (`?edit=1` opens the editor, as after creating one): add,
//! edit, remove and reorder widgets on a draft, with a live preview of the widget being edited,
//! then save the whole list at once (`save_dashboard_widgets`, checked again on the server).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::board::{use_board_place, BoardPlace, RangeNote, Toolbar, WidgetCard, GRID};
use super::editor::WidgetEditor;
use crate::components::ui::*;
use crate::domain::dashboards::{Widget, WidgetForm};
use crate::error::AppError;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::dashboards::{get_dashboard, run_widgets, BoardData, DashboardView, SaveDashboardWidgets};

/// What the editor panel is editing: a new widget, or the widget at an index of the draft.
#[derive(Debug, Clone, PartialEq)]
struct Editing {
    index: Option<usize>,
    form: WidgetForm,
}

/// An id no widget of `widgets` has (`w1`, `w2`, …).
fn next_id(widgets: &[Widget]) -> String {
    (1..).map(|n| format!("w{n}")).find(|id| widgets.iter().all(|w| &w.id != id)).expect("an unused id")
}

type BoardResource = Resource<Result<(Vec<Widget>, BoardData), AppError>>;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    let project_id = route_param("project_id");
    let dashboard_id = route_param("dashboard_id");
    let place = use_board_place();
    let saved = RwSignal::new(0u32);
    // `Some` while editing: the widgets as they will be saved.
    let draft = RwSignal::new(None::<Vec<Widget>>);
    let dashboard = Resource::new(move || (project_id.get(), dashboard_id.get(), saved.get()), |(p, d, _)| get_dashboard(p, d));
    // The board's data, with the widgets it is for (the draft while editing, else the saved).
    let data: BoardResource = Resource::new(
        move || (project_id.get(), dashboard_id.get(), saved.get(), draft.get(), place.get()),
        move |(project_id, _, _, draft, place)| async move {
            let widgets = match draft {
                Some(widgets) => widgets,
                None => dashboard.await?.dashboard.widgets,
            };
            let board = run_widgets(project_id, widgets.clone(), place.range, place.filters).await?;
            Ok((widgets, board))
        },
    );
    view! {
        <Title text=t_string!(i18n, dashboards.title) />
        <InProject children=move |_, project| view! { <Board project_id=project.id.clone() place dashboard data draft saved /> } />
    }
}

#[component]
fn Board(
    project_id: String,
    place: Memo<BoardPlace>,
    dashboard: Resource<Result<DashboardView, AppError>>,
    data: BoardResource,
    draft: RwSignal<Option<Vec<Widget>>>,
    saved: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let editing = RwSignal::new(None::<Editing>);
    let save = ServerAction::<SaveDashboardWidgets>::new();
    let query = use_query_map();
    let project_id = StoredValue::new(project_id);
    // `?edit=1` (a dashboard just made) opens the editor once the dashboard is there — once: the
    // dashboard is read again after a save, which must not reopen it.
    let opened = StoredValue::new(false);
    Effect::new(move |_| {
        if opened.get_value() || !query.with(|q| q.get("edit").as_deref() == Some("1")) {
            return;
        }
        if let Some(Ok(view)) = dashboard.get() {
            opened.set_value(true);
            if view.can_write && draft.get_untracked().is_none() {
                draft.set(Some(view.dashboard.widgets));
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            draft.set(None);
            editing.set(None);
            saved.update(|n| *n += 1);
        }
    });
    let start_editing = move |_| {
        if let Some(Ok(view)) = dashboard.get_untracked() {
            draft.set(Some(view.dashboard.widgets));
        }
    };
    let add = move |_| {
        let widgets = draft.get_untracked().unwrap_or_default();
        editing.set(Some(Editing { index: None, form: WidgetForm { id: next_id(&widgets), ..WidgetForm::default() } }));
    };
    let save_now = move |_| {
        let widgets = draft.get_untracked().unwrap_or_default();
        let widgets = serde_json::to_value(&widgets).unwrap_or_default();
        save.dispatch(SaveDashboardWidgets { project_id: project_id.get_value(), dashboard_id: dashboard.get_untracked().and_then(|d| d.ok()).map(|d| d.dashboard.id).unwrap_or_default(), widgets });
    };
    let cancel = move |_| {
        draft.set(None);
        editing.set(None);
    };
    let on_apply = Callback::new(move |widget: Widget| {
        let index = editing.get_untracked().and_then(|e| e.index);
        draft.update(|d| {
            let list = d.get_or_insert_with(Vec::new);
            match index {
                Some(i) if i < list.len() => list[i] = widget,
                _ => list.push(widget),
            }
        });
        editing.set(None);
    });
    let header = move || Suspend::new(async move {
        match dashboard.await {
            Ok(view) => {
                let can_write = view.can_write;
                view! {
                    <div class="flex flex-wrap items-start justify-between gap-4">
                        <div class="min-w-0">
                            <a class="text-xs text-zinc-500 hover:underline dark:text-zinc-400" href=format!("/project/{}/dashboards", project_id.get_value())>{td_string!(locale, dashboards.board.all_dashboards)}</a>
                            <h1 class="break-words text-xl font-semibold tracking-tight" translate="no" data-testid="dashboard-name">{view.dashboard.name.clone()}</h1>
                            {view.dashboard.description.clone().map(|d| view! { <p class="mt-1 text-sm text-zinc-500 dark:text-zinc-400" translate="no">{d}</p> })}
                        </div>
                        {can_write.then(|| view! {
                            <div class="flex flex-wrap items-center gap-2">
                                <Show when=move || draft.get().is_some() fallback=move || view! {
                                    <button type="button" class=BUTTON_SECONDARY on:click=start_editing data-testid="edit-dashboard">{td_string!(locale, dashboards.board.edit)}</button>
                                }>
                                    <span class="text-xs text-amber-700 dark:text-amber-400">{td_string!(locale, dashboards.board.unsaved)}</span>
                                    <button type="button" class=BUTTON_SECONDARY on:click=add data-testid="add-widget">{td_string!(locale, dashboards.board.add_widget)}</button>
                                    <button type="button" class=BUTTON_PRIMARY on:click=save_now disabled=move || save.pending().get() data-testid="save-dashboard">
                                        {move || if save.pending().get() { td_string!(locale, dashboards.board.saving) } else { td_string!(locale, dashboards.board.save) }}
                                    </button>
                                    <button type="button" class=BUTTON_SECONDARY on:click=cancel>{td_string!(locale, dashboards.board.cancel)}</button>
                                </Show>
                            </div>
                        })}
                    </div>
                }
                .into_any()
            }
            Err(error) => view! { <LoadError error /> }.into_any(),
        }
    });
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <Transition fallback=move || view! { <Skeleton label=td_string!(locale, dashboards.board.loading) /> }>{header}</Transition>
            <Toolbar place />
            <div class="mt-2"><ErrorAlert error=action_error(save) /></div>
            {move || editing.get().map(|e| view! {
                <WidgetEditor project_id=project_id.get_value() place initial=e.form is_new=e.index.is_none() on_apply on_cancel=Callback::new(move |_| editing.set(None)) />
            })}
            <Transition fallback=move || view! { <Skeleton label=td_string!(locale, dashboards.board.loading) /> }>
                {move || Suspend::new(async move {
                    let (widgets, board) = match data.await {
                        Ok(found) => found,
                        Err(error) => return view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                    };
                    let can_write = dashboard.get_untracked().and_then(|d| d.ok()).is_some_and(|d| d.can_write);
                    if widgets.is_empty() {
                        let hint = if can_write { td_string!(locale, dashboards.board.empty_write) } else { td_string!(locale, dashboards.board.empty_read) };
                        return view! {
                            <div class=format!("{CARD} mt-4 px-6 py-8 text-sm") data-testid="no-widgets">
                                <p class="font-medium">{td_string!(locale, dashboards.board.empty)}</p>
                                <p class="mt-1 text-zinc-500 dark:text-zinc-400">{hint}</p>
                            </div>
                        }.into_any();
                    }
                    let count = widgets.len();
                    let (from, to) = (board.from, board.to);
                    let cards = widgets
                        .into_iter()
                        .zip(board.widgets.clone())
                        .enumerate()
                        .map(|(i, (widget, result))| {
                            let form = WidgetForm::from_widget(&widget);
                            let controls = draft.get_untracked().is_some().then(|| controls(locale, i, count, form, draft, editing));
                            view! { <WidgetCard widget result from to controls=controls.unwrap_or_else(|| ().into_any()) /> }
                        })
                        .collect_view();
                    view! {
                        <RangeNote data=board />
                        <div class=GRID data-testid="widget-grid">{cards}</div>
                    }.into_any()
                })}
            </Transition>
        </div>
    }
}

/// A card's buttons while editing: move up and down, edit, remove.
fn controls(locale: Locale, index: usize, count: usize, form: WidgetForm, draft: RwSignal<Option<Vec<Widget>>>, editing: RwSignal<Option<Editing>>) -> AnyView {
    const ICON: &str = "rounded px-1.5 py-0.5 text-xs text-zinc-600 hover:bg-zinc-100 disabled:opacity-30 dark:text-zinc-300 dark:hover:bg-zinc-800";
    let swap = move |other: usize| draft.update(|d| if let Some(list) = d.as_mut() { if index < list.len() && other < list.len() { list.swap(index, other) } });
    view! {
        <button type="button" class=ICON disabled=index == 0 title=td_string!(locale, dashboards.board.move_up) aria-label=td_string!(locale, dashboards.board.move_up)
            data-testid="widget-move-up" on:click=move |_| swap(index.wrapping_sub(1))>"↑"</button>
        <button type="button" class=ICON disabled={index + 1 >= count} title=td_string!(locale, dashboards.board.move_down) aria-label=td_string!(locale, dashboards.board.move_down)
            data-testid="widget-move-down" on:click=move |_| swap(index + 1)>"↓"</button>
        <button type="button" class=ICON data-testid="widget-edit" on:click=move |_| editing.set(Some(Editing { index: Some(index), form: form.clone() }))>{td_string!(locale, dashboards.board.edit_widget)}</button>
        <button type="button" class=format!("{ICON} text-red-700 dark:text-red-400") data-testid="widget-remove"
            on:click=move |_| draft.update(|d| if let Some(list) = d.as_mut() { if index < list.len() { list.remove(index); } })>{td_string!(locale, dashboards.board.remove_widget)}</button>
    }
    .into_any()
}
