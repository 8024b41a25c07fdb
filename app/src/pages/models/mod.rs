//! `/project/{id}/settings/models` (#22): the project's model prices. Two tabs (`?tab=usage`):
//! - **Models**: "Test match" (`test_match.rs`), the table of definitions — the project's, then
//!   Langfuse's built-in ones, searchable (`?q=`) — with their match pattern, start date, unit and
//!   pricing tiers (`table.rs`), and the form to create, edit or override one (`form.rs`), checked
//!   as typed with the public API's own rules. `?new=<model name>` opens the form for that name
//!   (the usage tab's "Add a price").
//! - **Usage**: cost and tokens by model and pricing tier over a time range (`?range=` or
//!   `?from=&to=`), the generations without a price with links to their traces, and cost
//!   recalculation with its progress (`usage.rs`).
//!
//! Everyone in the project reads it; Admins and Owners change it (`ManageProjectSettings`).

mod form;
mod table;
mod test_match;
mod usage;
pub mod words;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::Action;
use crate::i18n::*;
use crate::pages::organization::role_label;
use crate::pages::project::InProject;

#[component]
pub fn ModelsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let usage_tab = Memo::new(move |_| query.with(|q| q.get("tab").as_deref() == Some("usage")));
    view! {
        <Title text=t_string!(i18n, models.title) />
        <InProject children=move |_, project| view! { <Models project usage_tab /> } />
    }
}

#[component]
fn Models(project: ProjectRef, usage_tab: Memo<bool>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let base = format!("/project/{}/settings/models", project.id);
    let can_write = project.can(Action::ManageProjectSettings);
    let tab_class = move |active: bool| {
        if active {
            "border-b-2 border-indigo-600 px-3 py-2 text-sm font-medium text-indigo-700 dark:border-indigo-400 dark:text-indigo-300"
        } else {
            "border-b-2 border-transparent px-3 py-2 text-sm text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100"
        }
    };
    let project = StoredValue::new(project);
    let (models_href, usage_href) = (base.clone(), format!("{base}?tab=usage"));
    view! {
        <div class="max-w-6xl space-y-5 px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=format!("/project/{}/settings", project.with_value(|p| p.id.clone())) data-testid="back-to-settings">
                {td_string!(locale, models.back)}
            </a>
            <PageHeader title=td_string!(locale, models.heading).to_string() subtitle=td_string!(locale, models.subtitle).to_string() />
            {(!can_write).then(|| view! {
                <p class="rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 text-sm text-zinc-600 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400" data-testid="models-read-only">
                    {td_string!(locale, models.read_only, role = role_label(locale, project.with_value(|p| p.role))).to_string()}
                </p>
            })}
            <nav class="flex gap-1 border-b border-zinc-200 dark:border-zinc-800" aria-label=td_string!(locale, models.tabs_label)>
                <a href=models_href class=move || tab_class(!usage_tab.get()) aria-current=move || (!usage_tab.get()).then_some("page") data-testid="models-tab">
                    {td_string!(locale, models.tab_models)}
                </a>
                <a href=usage_href class=move || tab_class(usage_tab.get()) aria-current=move || usage_tab.get().then_some("page") data-testid="usage-tab">
                    {td_string!(locale, models.tab_usage)}
                </a>
            </nav>
            {move || if usage_tab.get() {
                view! { <usage::UsageTab project=project.get_value() /> }.into_any()
            } else {
                view! { <table::ModelsTab project=project.get_value() /> }.into_any()
            }}
        </div>
    }
}

/// The models page of a project, optionally with the form opened for a model name.
pub fn models_href(project_id: &str, new_model: Option<&str>) -> String {
    match new_model {
        Some(name) => format!("/project/{project_id}/settings/models?new={}", crate::domain::url::encode_query(name)),
        None => format!("/project/{project_id}/settings/models"),
    }
}

/// Project settings' card leading here.
#[component]
pub fn ModelsLink(project: ProjectRef) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    view! {
        <section class=format!("{CARD} flex flex-wrap items-center justify-between gap-3 px-4 py-4") data-testid="models-link">
            <div>
                <h2 class="text-sm font-semibold">{td_string!(locale, models.heading)}</h2>
                <p class=HINT>{td_string!(locale, models.link_hint)}</p>
            </div>
            <a class=BUTTON_SECONDARY href=models_href(&project.id, None)>{td_string!(locale, models.link)}</a>
        </section>
    }
}

/// Sleeps `ms` in the browser (polling); nothing on the server.
pub(crate) async fn sleep(ms: i32) {
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
