//! The project's LLM connections in its settings (issue #18): the connections (never a key,
//! only `...abcd`), a form to add one or replace one by its name, and deletion. Admins and Owners.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::llm_connections::{Adapter, ConnectionProblem, LlmConnection};
use crate::domain::Action;
use crate::error::AppError;
use crate::i18n::*;
use crate::pages::organization::{confirm, role_label};
use crate::server_fns::llm_connections::{test_llm_connection, DeleteLlmConnection, SaveLlmConnection};

pub type ConnectionsResource = Resource<Result<Option<Vec<LlmConnection>>, AppError>>;

/// An adapter as people know it.
pub fn adapter_label(locale: Locale, adapter: Adapter) -> &'static str {
    match adapter {
        Adapter::OpenAi => td_string!(locale, settings.llm.adapters.openai),
        Adapter::Anthropic => td_string!(locale, settings.llm.adapters.anthropic),
        Adapter::Azure => td_string!(locale, settings.llm.adapters.azure),
        Adapter::Bedrock => td_string!(locale, settings.llm.adapters.bedrock),
        Adapter::GoogleVertexAi => td_string!(locale, settings.llm.adapters.vertex),
        Adapter::GoogleAiStudio => td_string!(locale, settings.llm.adapters.ai_studio),
    }
}

/// What is wrong with a connection, in `locale` (the English is the domain's, minus the field).
pub fn connection_problem(locale: Locale, problem: &ConnectionProblem) -> String {
    match problem {
        ConnectionProblem::ProviderEmpty => td_string!(locale, settings.llm.problems.provider_empty).to_string(),
        ConnectionProblem::ProviderTooLong => td_string!(locale, settings.llm.problems.provider_too_long).to_string(),
        ConnectionProblem::UnknownAdapter(value) => td_string!(locale, settings.llm.problems.unknown_adapter, value = value.as_str()).to_string(),
        ConnectionProblem::SecretEmpty => td_string!(locale, settings.llm.problems.secret_empty).to_string(),
        ConnectionProblem::SecretTooLong => td_string!(locale, settings.llm.problems.secret_too_long).to_string(),
        ConnectionProblem::BaseUrlInvalid(value) => td_string!(locale, settings.llm.problems.base_url_invalid, value = value.as_str()).to_string(),
        ConnectionProblem::AzureNeedsBaseUrl => td_string!(locale, settings.llm.problems.azure_needs_base_url).to_string(),
        ConnectionProblem::ModelName => td_string!(locale, settings.llm.problems.model_name).to_string(),
        ConnectionProblem::HeaderName(value) => td_string!(locale, settings.llm.problems.header_name, value = value.as_str()).to_string(),
        ConnectionProblem::HeaderReserved(value) => td_string!(locale, settings.llm.problems.header_reserved, value = value.as_str()).to_string(),
        ConnectionProblem::ConfigNotObject | ConnectionProblem::ConfigKey(_) => td_string!(locale, settings.llm.problems.config).to_string(),
        ConnectionProblem::BedrockNeedsRegion => td_string!(locale, settings.llm.problems.bedrock_region).to_string(),
    }
}

#[component]
pub fn LlmConnections(
    project: ProjectRef,
    save: ServerAction<SaveLlmConnection>,
    delete: ServerAction<DeleteLlmConnection>,
    connections: ConnectionsResource,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    if !project.can(Action::ManageLlmConnections) {
        return view! {
            <section class=format!("{CARD} px-4 py-4") data-testid="llm-connections">
                <h2 class="text-sm font-semibold">{t_string!(i18n, settings.llm.title)}</h2>
                <p class="mt-2 text-sm text-zinc-500 dark:text-zinc-400" data-testid="llm-connections-not-allowed">
                    {t!(i18n, settings.llm.not_allowed, role = role_label(locale, project.role))}
                </p>
            </section>
        }
        .into_any();
    }
    // The connection being replaced (its name, adapter, URL and models prefill the form); the key
    // is typed again, since it never comes back from the server.
    let editing = RwSignal::new(None::<LlmConnection>);
    let form_open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            form_open.set(false);
            editing.set(None);
        }
    });
    let project_id = StoredValue::new(project.id.clone());
    view! {
        <section class=CARD data-testid="llm-connections">
            <div class="flex flex-wrap items-center justify-between gap-3 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <div>
                    <h2 class="text-sm font-semibold">{t_string!(i18n, settings.llm.title)}</h2>
                    <p class=HINT>{t_string!(i18n, settings.llm.hint)}</p>
                </div>
                <button type="button" class=format!("{BUTTON_PRIMARY} whitespace-nowrap") data-testid="add-llm-connection"
                    on:click=move |_| { editing.set(None); form_open.set(true); }>{t_string!(i18n, settings.llm.add)}</button>
            </div>
            <div class="px-4"><ErrorAlert error=action_error(delete) /></div>
            {move || form_open.get().then(|| view! { <ConnectionForm project_id=project_id.get_value() save editing form_open /> })}
            <Transition fallback=|| view! { <Skeleton /> }>
                {move || Suspend::new(async move {
                    let list = match connections.await {
                        Ok(list) => list.unwrap_or_default(),
                        Err(error) => return view! { <LoadError error /> }.into_any(),
                    };
                    if list.is_empty() {
                        return view! { <p class="px-4 py-6 text-sm text-zinc-500" data-testid="no-llm-connections">{t_string!(i18n, settings.llm.empty)}</p> }.into_any();
                    }
                    view! {
                        <div class="overflow-x-auto">
                            <table class=TABLE data-testid="llm-connections-table">
                                <TableHead columns={ let l = locale; [
                                    td_string!(l, settings.llm.name),
                                    td_string!(l, settings.llm.adapter),
                                    td_string!(l, settings.llm.models),
                                    td_string!(l, settings.llm.key),
                                    td_string!(l, settings.llm.actions),
                                ] } />
                                <tbody>
                                    {list.into_iter().map(|c| {
                                        let models = c.models();
                                        let shown_models = models.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
                                        let more = models.len().saturating_sub(3);
                                        let (edit, id, name) = (c.clone(), c.id.clone(), c.provider.clone());
                                        let tested = name.clone();
                                        view! {
                                            <tr data-testid="llm-connection-row">
                                                <td class=TD>
                                                    <span class="font-medium" translate="no" data-testid="llm-connection-name">{c.provider.clone()}</span>
                                                    {c.base_url.clone().map(|url| view! { <span class="block truncate font-mono text-xs text-zinc-500" translate="no">{url}</span> })}
                                                    {(!c.extra_header_keys.is_empty()).then(|| view! {
                                                        <span class="block text-xs text-zinc-500">{td_string!(locale, settings.llm.headers_list, names = c.extra_header_keys.join(", ")).to_string()}</span>
                                                    })}
                                                </td>
                                                <td class=TD translate="no">{adapter_label(locale, c.adapter)}</td>
                                                <td class=format!("{TD} text-xs") translate="no">
                                                    {shown_models}
                                                    {(more > 0).then(|| view! { <span class="text-zinc-500">{td_string!(locale, settings.llm.more_models, count = more).to_string()}</span> })}
                                                </td>
                                                <td class=format!("{TD} font-mono text-xs") data-testid="llm-connection-key">{c.display_secret_key.clone()}</td>
                                                <td class=format!("{TD} whitespace-nowrap")>
                                                    <TestButton project_id=project_id.get_value() provider=tested />
                                                    " "
                                                    <button type="button" class=BUTTON_LINK data-testid="edit-llm-connection"
                                                        on:click=move |_| { editing.set(Some(edit.clone())); form_open.set(true); }>{t_string!(i18n, settings.llm.edit)}</button>
                                                    " "
                                                    <button type="button" class=format!("{BUTTON_LINK} text-red-700 dark:text-red-400") data-testid="delete-llm-connection"
                                                        on:click=move |_| {
                                                            if confirm(&td_string!(locale, settings.llm.confirm_delete, name = name.as_str()).to_string()) {
                                                                delete.dispatch(DeleteLlmConnection { project_id: project_id.get_value(), connection_id: id.clone() });
                                                            }
                                                        }>{t_string!(i18n, settings.llm.delete)}</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn ConnectionForm(project_id: String, save: ServerAction<SaveLlmConnection>, editing: RwSignal<Option<LlmConnection>>, form_open: RwSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let current = editing.get_untracked();
    let error = action_error(save);
    let field_error = move |field: &'static str| {
        move || match error.get() {
            Some(AppError::Invalid { field: f, message }) if f == field => Some(view! { <p class="mt-1 text-xs text-red-700 dark:text-red-400" role="alert" data-testid=format!("llm-error-{field}")>{message}</p> }),
            _ => None,
        }
    };
    let general = Signal::derive(move || error.get().filter(|e| !matches!(e, AppError::Invalid { .. })));
    let adapter = current.as_ref().map_or(Adapter::OpenAi, |c| c.adapter);
    let with_defaults = current.as_ref().is_none_or(|c| c.with_default_models);
    view! {
        <ActionForm action=save attr:class="grid gap-3 border-b border-zinc-200 px-4 py-4 sm:grid-cols-2 dark:border-zinc-800" attr:data-testid="llm-connection-form">
            <input type="hidden" name="project_id" value=project_id />
            <div>
                <label class=LABEL for="llm-provider">{t_string!(i18n, settings.llm.name)}</label>
                <input id="llm-provider" name="provider" required maxlength="100" class=format!("{INPUT} mt-1") placeholder="openai-prod"
                    value=current.as_ref().map(|c| c.provider.clone()) readonly=current.is_some() />
                <p class=HINT>{t_string!(i18n, settings.llm.name_hint)}</p>
                {field_error("provider")}
            </div>
            <div>
                <label class=LABEL for="llm-adapter">{t_string!(i18n, settings.llm.adapter)}</label>
                <select id="llm-adapter" name="adapter" class=format!("{INPUT} mt-1")>
                    {Adapter::ALL.into_iter().map(|a| view! { <option value=a.as_str() selected=a == adapter>{adapter_label(locale, a)}</option> }).collect_view()}
                </select>
                {field_error("adapter")}
            </div>
            <div>
                <label class=LABEL for="llm-secret">{t_string!(i18n, settings.llm.key)}</label>
                <input id="llm-secret" name="secret_key" type="password" required autocomplete="off" class=format!("{INPUT} mt-1")
                    placeholder=current.as_ref().map(|c| c.display_secret_key.clone()) />
                <p class=HINT>{t_string!(i18n, settings.llm.key_hint)}</p>
                {field_error("secret_key")}
            </div>
            <div>
                <label class=LABEL for="llm-base-url">{t_string!(i18n, settings.llm.base_url)}</label>
                <input id="llm-base-url" name="base_url" type="url" class=format!("{INPUT} mt-1") placeholder="http://localhost:11434/v1"
                    value=current.as_ref().and_then(|c| c.base_url.clone()) />
                <p class=HINT>{t_string!(i18n, settings.llm.base_url_hint)}</p>
                {field_error("base_url")}
            </div>
            <div>
                <label class=LABEL for="llm-models">{t_string!(i18n, settings.llm.custom_models)}</label>
                <textarea id="llm-models" name="custom_models" rows="3" class=format!("{INPUT} mt-1 font-mono text-xs") placeholder="deepseek-chat">
                    {current.as_ref().map(|c| c.custom_models.join("\n"))}
                </textarea>
                <label class="mt-1 flex items-center gap-2 text-sm">
                    <input type="checkbox" name="with_default_models" value="on" checked=with_defaults />
                    {t_string!(i18n, settings.llm.with_defaults)}
                </label>
                {field_error("custom_models")}
            </div>
            <div>
                <label class=LABEL for="llm-headers">{t_string!(i18n, settings.llm.extra_headers)}</label>
                <textarea id="llm-headers" name="extra_headers" rows="3" autocomplete="off" class=format!("{INPUT} mt-1 font-mono text-xs") placeholder="X-Team: search"></textarea>
                <p class=HINT>{t_string!(i18n, settings.llm.headers_hint)}</p>
                {field_error("extra_headers")}
            </div>
            <div class="flex flex-wrap items-center gap-2 sm:col-span-2">
                <button type="submit" class=BUTTON_PRIMARY data-testid="save-llm-connection" disabled=move || save.pending().get()>{t_string!(i18n, settings.llm.save)}</button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| { editing.set(None); form_open.set(false); }>{t_string!(i18n, settings.llm.cancel)}</button>
                <div class="w-full"><ErrorAlert error=general /></div>
            </div>
        </ActionForm>
    }
}

/// "Test": one tiny call through the connection, and what came of it in words, under the button.
#[component]
fn TestButton(project_id: String, provider: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let test = leptos::prelude::Action::new(move |_: &()| test_llm_connection(project_id.clone(), provider.clone()));
    let outcome = move || {
        test.value().get().map(|result| match result {
            Ok(crate::domain::llm_connections::ConnectionTest { model: Some(model), problem: None }) => {
                (true, td_string!(locale, settings.llm.test_ok, model = model.as_str()).to_string())
            }
            Ok(crate::domain::llm_connections::ConnectionTest { model: None, .. }) => (false, td_string!(locale, settings.llm.test_no_model).to_string()),
            Ok(crate::domain::llm_connections::ConnectionTest { problem: Some(problem), .. }) => {
                (false, crate::pages::playground::provider_problem(locale, &problem))
            }
            Err(error) => (false, error.to_string()),
        })
    };
    view! {
        <button type="button" class=BUTTON_LINK data-testid="test-llm-connection" disabled=move || test.pending().get()
            on:click=move |_| { test.dispatch(()); }>
            {move || if test.pending().get() { td_string!(locale, settings.llm.testing) } else { td_string!(locale, settings.llm.test) }}
        </button>
        {move || outcome().map(|(ok, message)| view! {
            <p class=format!("mt-1 max-w-xs whitespace-normal text-xs {}", if ok { "text-emerald-700 dark:text-emerald-400" } else { "text-red-700 dark:text-red-400" })
                role="status" data-testid="llm-connection-test-result">{message}</p>
        })}
    }
}
