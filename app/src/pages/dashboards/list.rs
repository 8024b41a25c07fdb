//! `/project/{id}/dashboards`: the home dashboard (built in) and the project's custom ones, most
//! recently changed first; creating (empty or from the home's widgets), renaming and deleting
//! them for Members and up (`WriteDashboards`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::dashboards::DashboardSummary;
use crate::domain::Action;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::dashboards::{list_dashboards, CreateDashboard, DeleteDashboard, RenameDashboard};

/// A custom dashboard's address.
pub fn dashboard_href(project_id: &str, dashboard_id: &str) -> String {
    format!("/project/{project_id}/dashboards/{}", crate::domain::url::encode_query(dashboard_id))
}

#[component]
pub fn DashboardsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, dashboards.title) />
        <InProject children=move |_, project| view! { <DashboardList project /> } />
    }
}

#[component]
fn DashboardList(project: ProjectRef) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let can_write = project.can(Action::WriteDashboards);
    let creating = RwSignal::new(false);
    let create = ServerAction::<CreateDashboard>::new();
    let rename = ServerAction::<RenameDashboard>::new();
    let delete = ServerAction::<DeleteDashboard>::new();
    let pid = project.id.clone();
    // In the browser only: the list changes with the actions, and nothing here is worth the
    // first HTML's weight.
    let list = LocalResource::new(move || {
        rename.version().track();
        delete.version().track();
        list_dashboards(pid.clone())
    });
    let project_id = StoredValue::new(project.id.clone());
    let navigate = use_navigate();
    // A new dashboard opens at once, in edit mode: its widgets are what comes next.
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            navigate(&format!("{}?edit=1", super::list::dashboard_href(&project_id.get_value(), &created.id)), Default::default());
        }
    });
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, dashboards.title) subtitle=t_string!(i18n, dashboards.list.subtitle)>
                {can_write.then(|| view! {
                    <button type="button" class=BUTTON_PRIMARY data-testid="new-dashboard" on:click=move |_| creating.set(true)>{t_string!(i18n, dashboards.list.new)}</button>
                })}
            </PageHeader>
            <Show when=move || creating.get()>
                <CreateForm project_id=project_id.get_value() create on_cancel=Callback::new(move |_| creating.set(false)) />
            </Show>
            {(!can_write).then(|| view! { <p class="mt-2 text-sm text-zinc-500 dark:text-zinc-400">{td_string!(locale, dashboards.list.read_only)}</p> })}
            <div class="mt-2 space-y-2"><ErrorAlert error=action_error(rename) /><ErrorAlert error=action_error(delete) /></div>
            <section class=format!("{CARD} mt-3 overflow-x-auto")>
                <table class=TABLE>
                    <thead class="border-b border-zinc-200 dark:border-zinc-800">
                        <tr>
                            <th class=TH>{td_string!(locale, dashboards.list.name)}</th>
                            <th class=TH>{td_string!(locale, dashboards.list.widgets)}</th>
                            <th class=TH>{td_string!(locale, dashboards.list.created_by)}</th>
                            <th class=TH>{td_string!(locale, dashboards.list.updated)}</th>
                            <th class=TH></th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-zinc-100 dark:divide-zinc-900">
                        <tr data-testid="home-dashboard-row">
                            <td class=TD>
                                <a class="font-medium hover:underline" href=format!("/project/{}", project_id.get_value())>{td_string!(locale, dashboards.list.home_row)}</a>
                                <p class="text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, dashboards.list.home_row_hint)}</p>
                            </td>
                            <td class=TD>{crate::domain::dashboards::home().len()}</td>
                            <td class=TD>"Loupe"</td>
                            <td class=TD></td>
                            <td class=TD></td>
                        </tr>
                        {move || match list.get() {
                            None => view! { <tr><td class=TD colspan="5"><Skeleton label=td_string!(locale, dashboards.list.loading) /></td></tr> }.into_any(),
                            Some(Err(error)) => view! { <tr><td colspan="5"><LoadError error /></td></tr> }.into_any(),
                            Some(Ok(found)) if found.dashboards.is_empty() => view! {
                                <tr data-testid="no-dashboards"><td class=TD colspan="5">
                                    <p class="font-medium">{td_string!(locale, dashboards.list.none_yet)}</p>
                                    <p class="mt-1 text-zinc-500 dark:text-zinc-400">{td_string!(locale, dashboards.list.none_yet_hint)}</p>
                                </td></tr>
                            }.into_any(),
                            Some(Ok(found)) => found.dashboards.into_iter().map(|d| view! {
                                <Row dashboard=d project_id=project_id.get_value() can_write=found.can_write rename delete />
                            }).collect_view().into_any(),
                        }}
                    </tbody>
                </table>
            </section>
        </div>
    }
}

#[component]
fn CreateForm(project_id: String, create: ServerAction<CreateDashboard>, on_cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let from_home = RwSignal::new(false);
    let project_id = StoredValue::new(project_id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateDashboard {
            project_id: project_id.get_value(),
            name: name.get_untracked(),
            description: description.get_untracked(),
            from_home: from_home.get_untracked(),
        });
    };
    view! {
        <form class=format!("{CARD} mt-4 grid max-w-2xl gap-3 p-4") on:submit=submit data-testid="create-dashboard">
            <label>
                <span class=LABEL>{td_string!(locale, dashboards.list.name)}</span>
                <input type="text" class=INPUT required maxlength="255" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) data-testid="dashboard-name" />
            </label>
            <label>
                <span class=LABEL>{td_string!(locale, dashboards.list.description)}</span>
                <textarea class=INPUT rows="2" maxlength="2000" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </label>
            <fieldset>
                <legend class=LABEL>{td_string!(locale, dashboards.list.start)}</legend>
                <label class="mt-1 flex items-center gap-2 text-sm">
                    <input type="radio" name="start" prop:checked=move || !from_home.get() on:change=move |_| from_home.set(false) />
                    {td_string!(locale, dashboards.list.start_empty)}
                </label>
                <label class="mt-1 flex items-center gap-2 text-sm">
                    <input type="radio" name="start" prop:checked=move || from_home.get() on:change=move |_| from_home.set(true) data-testid="start-from-home" />
                    {td_string!(locale, dashboards.list.start_home)}
                </label>
            </fieldset>
            <ErrorAlert error=action_error(create) />
            <div class="flex gap-2">
                <button type="submit" class=BUTTON_PRIMARY disabled=move || create.pending().get() data-testid="create-dashboard-submit">{td_string!(locale, dashboards.list.create)}</button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| on_cancel.run(())>{td_string!(locale, dashboards.list.cancel)}</button>
            </div>
        </form>
    }
}

#[component]
fn Row(dashboard: DashboardSummary, project_id: String, can_write: bool, rename: ServerAction<RenameDashboard>, delete: ServerAction<DeleteDashboard>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let name = RwSignal::new(dashboard.name.clone());
    let description = RwSignal::new(dashboard.description.clone().unwrap_or_default());
    let id = StoredValue::new(dashboard.id.clone());
    let project_id = StoredValue::new(project_id);
    let shown_name = StoredValue::new(dashboard.name.clone());
    let href = super::list::dashboard_href(&project_id.get_value(), &dashboard.id);
    let updated = relative_time_in(locale, dashboard.updated_at, chrono::Utc::now());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        rename.dispatch(RenameDashboard { project_id: project_id.get_value(), dashboard_id: id.get_value(), name: name.get_untracked(), description: description.get_untracked() });
        renaming.set(false);
    };
    view! {
        <tr data-testid="dashboard-row" data-name=dashboard.name.clone()>
            <td class=TD>
                <Show when=move || renaming.get() fallback=move || view! {
                    <a class="font-medium hover:underline" href=href.clone() translate="no" data-testid="dashboard-link">{shown_name.get_value()}</a>
                    {dashboard.description.clone().map(|d| view! { <p class="text-xs text-zinc-500 dark:text-zinc-400" translate="no">{d}</p> })}
                }>
                    <form class="flex flex-wrap items-center gap-2" on:submit=save data-testid="rename-dashboard">
                        <input type="text" class=INPUT required maxlength="255" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) aria-label=td_string!(locale, dashboards.list.name) />
                        <input type="text" class=INPUT maxlength="2000" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) aria-label=td_string!(locale, dashboards.list.description) />
                        <button type="submit" class=BUTTON_PRIMARY>{td_string!(locale, dashboards.list.save)}</button>
                        <button type="button" class=BUTTON_SECONDARY on:click=move |_| renaming.set(false)>{td_string!(locale, dashboards.list.cancel)}</button>
                    </form>
                </Show>
            </td>
            <td class=TD>{dashboard.widget_count}</td>
            <td class=TD translate="no">{dashboard.created_by_name.clone().unwrap_or_default()}</td>
            <td class=format!("{TD} whitespace-nowrap") title=timestamp(dashboard.updated_at)>{updated}</td>
            <td class=format!("{TD} whitespace-nowrap text-right")>
                {can_write.then(|| view! {
                    <Show when=move || confirming.get() fallback=move || view! {
                        <button type="button" class=BUTTON_LINK on:click=move |_| renaming.set(true) data-testid="rename-dashboard-open">{td_string!(locale, dashboards.list.rename)}</button>
                        <button type="button" class=format!("{BUTTON_LINK} ml-3 text-red-700 dark:text-red-400") on:click=move |_| confirming.set(true) data-testid="delete-dashboard">{td_string!(locale, dashboards.list.delete)}</button>
                    }>
                        <span class="text-xs">{td_string!(locale, dashboards.list.confirm_delete, name = shown_name.get_value()).to_string()}</span>
                        <button type="button" class=format!("{BUTTON_DANGER} ml-2") data-testid="confirm-delete-dashboard"
                            on:click=move |_| { delete.dispatch(DeleteDashboard { project_id: project_id.get_value(), dashboard_id: id.get_value() }); confirming.set(false); }>
                            {td_string!(locale, dashboards.list.confirm)}
                        </button>
                        <button type="button" class=format!("{BUTTON_SECONDARY} ml-1") on:click=move |_| confirming.set(false)>{td_string!(locale, dashboards.list.cancel)}</button>
                    </Show>
                })}
            </td>
        </tr>
    }
}
