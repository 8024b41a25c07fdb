//! Project settings: name, API keys (the secret shown once, with a ready-to-paste `.env`), member
//! roles in this project, and deletion (type the name to confirm).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::server_fns::api_keys::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::server_fns::llm_connections::{list_llm_connections, DeleteLlmConnection, SaveLlmConnection};
use crate::pages::llm_connections::{ConnectionsResource, LlmConnections};
use crate::server_fns::members::{list_members, SetProjectRole};
use crate::server_fns::projects::{DeleteProject, RenameProject};
use crate::components::session::use_session;
use crate::components::ui::*;
use crate::domain::account::{OrganizationRef, ProjectRef};
use crate::domain::{Action, Role};
use crate::i18n::*;
use crate::pages::organization::{confirm, role_label};
use crate::error::AppError;
use crate::pages::project::{permitted_resource, InProject};

type KeysResource = Resource<Result<Option<Vec<crate::domain::account::ApiKeyView>>, AppError>>;
type MembersResource = Resource<Result<Option<Vec<crate::domain::account::MemberView>>, AppError>>;

/// The route: its actions and resources are made here, at the route's top
/// (`components::ui::route_param`); the keys are loaded only for roles that manage them.
#[component]
pub fn ProjectSettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let set_role = ServerAction::<SetProjectRole>::new();
    let keys = permitted_resource(
        Action::ManageApiKeys,
        move || (create.version().get(), revoke.version().get()),
        |_, project, _| list_api_keys(project.id),
    );
    let members = permitted_resource(Action::ReadProjectData, move || set_role.version().get(), |org, _, _| list_members(org.id));
    let save_llm = ServerAction::<SaveLlmConnection>::new();
    let delete_llm = ServerAction::<DeleteLlmConnection>::new();
    let llm = permitted_resource(
        Action::ManageLlmConnections,
        move || (save_llm.version().get(), delete_llm.version().get()),
        |_, project, _| list_llm_connections(project.id),
    );
    let llm = LlmSection { save: save_llm, delete: delete_llm, connections: llm };
    view! {
        <Title text=t_string!(i18n, settings.title) />
        <InProject children=move |org, project| view! { <Settings org project create revoke keys set_role members llm /> } />
    }
}

/// The LLM connections' actions and list, made at the route's top like the others.
#[derive(Clone, Copy)]
struct LlmSection {
    save: ServerAction<SaveLlmConnection>,
    delete: ServerAction<DeleteLlmConnection>,
    connections: ConnectionsResource,
}

#[component]
fn Settings(
    org: OrganizationRef,
    project: ProjectRef,
    create: ServerAction<CreateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
    keys: KeysResource,
    set_role: ServerAction<SetProjectRole>,
    members: MembersResource,
    llm: LlmSection,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let query = use_query_map();
    let created = query.with_untracked(|q| q.get("created").is_some());
    let role = project.role;
    view! {
        <div class="max-w-4xl space-y-6 px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader
                title=td_string!(locale, settings.heading, project = project.name.clone()).to_string()
                subtitle=td_string!(locale, settings.subtitle, organization = org.name.clone(), role = role_label(locale, role)).to_string()
            />
            {created.then(|| view! {
                <p role="status" class="rounded-md border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm text-indigo-900 dark:border-indigo-900 dark:bg-indigo-950 dark:text-indigo-200">
                    {t_string!(i18n, settings.created)}
                </p>
            })}
            <General project=project.clone() />
            <ApiKeys project=project.clone() create revoke keys />
            <LlmConnections project=project.clone() save=llm.save delete=llm.delete connections=llm.connections />
            <crate::pages::score_configs::ScoreConfigs project=project.clone() />
            <crate::pages::models::ModelsLink project=project.clone() />
            <crate::pages::retention::DataRetention project=project.clone() />
            <ProjectMembers org=org.clone() project=project.clone() set_role members />
            {role.can(Action::ManageProjectSettings).then(|| view! { <DangerZone project=project.clone() /> })}
        </div>
    }
}

#[component]
fn General(project: ProjectRef) -> impl IntoView {
    let i18n = use_i18n();
    let rename = ServerAction::<RenameProject>::new();
    let session = use_session();
    Effect::new(move |_| {
        if let Some(Ok(())) = rename.value().get() {
            session.refresh();
        }
    });
    let can = project.can(Action::ManageProjectSettings);
    view! {
        <section class=format!("{CARD} px-4 py-4")>
            <h2 class="text-sm font-semibold">{t_string!(i18n, settings.general.name)}</h2>
            <p class=HINT>{t_string!(i18n, settings.general.project_id)}<code class="font-mono" data-testid="project-id">{project.id.clone()}</code></p>
            {if can {
                view! {
                    <ActionForm action=rename attr:class="mt-3 flex max-w-lg items-end gap-2" attr:data-testid="rename-project-form">
                        <input type="hidden" name="project_id" value=project.id.clone() />
                        <input name="name" required value=project.name.clone() aria-label=t_string!(i18n, settings.general.project_name) class=INPUT />
                        <button type="submit" class=BUTTON_PRIMARY disabled=move || rename.pending().get()>{t_string!(i18n, settings.general.save)}</button>
                    </ActionForm>
                    <div class="mt-2 max-w-lg"><ErrorAlert error=action_error(rename) /></div>
                }.into_any()
            } else {
                view! { <p class="mt-2 text-sm" translate="no">{project.name.clone()}</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn ApiKeys(project: ProjectRef, create: ServerAction<CreateApiKey>, revoke: ServerAction<RevokeApiKey>, keys: KeysResource) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    if !project.can(Action::ManageApiKeys) {
        return view! {
            <section class=format!("{CARD} px-4 py-4") data-testid="api-keys">
                <h2 class="text-sm font-semibold">{t_string!(i18n, settings.api_keys.title)}</h2>
                <p class="mt-2 text-sm text-zinc-500 dark:text-zinc-400" data-testid="api-keys-not-allowed">
                    {t!(i18n, settings.api_keys.not_allowed, role = role_label(locale, project.role))}
                </p>
            </section>
        }
        .into_any();
    }
    let project_id = project.id.clone();
    // The created key is shown until dismissed; its secret never comes back from the server.
    let shown = RwSignal::new(None);
    let note = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            shown.set(Some(created));
            note.set(String::new());
        }
    });
    let pid = project_id.clone();
    view! {
        <section class=CARD data-testid="api-keys">
            <div class="flex flex-wrap items-center justify-between gap-3 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <div>
                    <h2 class="text-sm font-semibold">{t_string!(i18n, settings.api_keys.title)}</h2>
                    <p class=HINT>{t_string!(i18n, settings.api_keys.hint)}</p>
                </div>
                <form class="flex items-center gap-2" on:submit=move |ev| {
                    ev.prevent_default();
                    create.dispatch(CreateApiKey { project_id: pid.clone(), note: Some(note.get()) });
                }>
                    <input type="text" placeholder=t_string!(i18n, settings.api_keys.note_placeholder) aria-label=t_string!(i18n, settings.api_keys.note) class=format!("{INPUT} w-40 sm:w-44") prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                    <button type="submit" class=format!("{BUTTON_PRIMARY} whitespace-nowrap") data-testid="create-api-key" disabled=move || create.pending().get()>{t_string!(i18n, settings.api_keys.create)}</button>
                </form>
            </div>
            <div class="px-4"><ErrorAlert error=action_error(create) /><ErrorAlert error=action_error(revoke) /></div>
            {move || shown.get().map(|created| {
                let snippet = created.env_snippet();
                view! {
                    <div class="m-4 rounded-md border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-800 dark:bg-amber-950" data-testid="new-api-key">
                        <p class="font-semibold">{t_string!(i18n, settings.api_keys.save_now)}</p>
                        <p class="mt-1 text-zinc-600 dark:text-zinc-300">{t_string!(i18n, settings.api_keys.hash_only)}</p>
                        <dl class="mt-3 space-y-2">
                            <div class="flex items-center gap-2">
                                <dt class="w-24 shrink-0 text-zinc-500">{t_string!(i18n, settings.api_keys.public_key)}</dt>
                                <dd class="min-w-0 flex-1"><code class="block overflow-x-auto whitespace-nowrap font-mono text-xs" data-testid="new-public-key">{created.key.public_key.clone()}</code></dd>
                                <CopyButton text=created.key.public_key.clone() />
                            </div>
                            <div class="flex items-center gap-2">
                                <dt class="w-24 shrink-0 text-zinc-500">{t_string!(i18n, settings.api_keys.secret_key)}</dt>
                                <dd class="min-w-0 flex-1"><code class="block overflow-x-auto whitespace-nowrap font-mono text-xs" data-testid="new-secret-key">{created.secret_key.clone()}</code></dd>
                                <CopyButton text=created.secret_key.clone() />
                            </div>
                            <div class="flex items-center gap-2">
                                <dt class="w-24 shrink-0 text-zinc-500">{t_string!(i18n, settings.api_keys.host)}</dt>
                                <dd class="min-w-0 flex-1"><code class="block truncate font-mono text-xs" data-testid="new-host">{created.host.clone()}</code></dd>
                                <CopyButton text=created.host.clone() />
                            </div>
                        </dl>
                        <p class="mt-3 text-zinc-600 dark:text-zinc-300">{t_string!(i18n, settings.api_keys.env_for_sdks)}</p>
                        <pre class="mt-1 overflow-x-auto rounded bg-white p-2 font-mono text-xs dark:bg-zinc-900" data-testid="env-snippet">{snippet.clone()}</pre>
                        <div class="mt-3 flex gap-2">
                            <CopyButton text=snippet label=t_string!(i18n, settings.api_keys.copy_env) test_id="copy-env" />
                            <button type="button" class=BUTTON_PRIMARY data-testid="dismiss-api-key" on:click=move |_| shown.set(None)>{t_string!(i18n, settings.api_keys.saved_it)}</button>
                        </div>
                    </div>
                }
            })}
            <Transition fallback=|| view! { <Skeleton /> }>
                {move || { let project_id = project_id.clone(); Suspend::new(async move {
                    let list = match keys.await {
                        Ok(list) => list.unwrap_or_default(),
                        Err(error) => return view! { <LoadError error /> }.into_any(),
                    };
                    if list.is_empty() {
                        return view! { <p class="px-4 py-6 text-sm text-zinc-500" data-testid="no-api-keys">{t_string!(i18n, settings.api_keys.empty)}</p> }.into_any();
                    }
                    let now = chrono::Utc::now();
                    view! {
                        <div class="overflow-x-auto">
                            <table class=TABLE data-testid="api-keys-table">
                                <TableHead columns={ let l = locale; [
                                    td_string!(l, settings.api_keys.public_key),
                                    td_string!(l, settings.api_keys.secret_key),
                                    td_string!(l, settings.api_keys.note),
                                    td_string!(l, settings.api_keys.created),
                                    td_string!(l, settings.api_keys.last_used),
                                    "",
                                ] } />
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {list.into_iter().map(|k| {
                                        let (project_id, key_id, public_key) = (project_id.clone(), k.id.clone(), k.public_key.clone());
                                        view! {
                                            <tr data-testid="api-key-row">
                                                <td class=format!("{TD} whitespace-nowrap font-mono text-xs")>{k.public_key.clone()}</td>
                                                <td class=format!("{TD} whitespace-nowrap font-mono text-xs") data-testid="masked-secret">{k.display_secret_key.clone()}</td>
                                                <td class=format!("{TD} text-xs") translate="no">{k.note.clone().unwrap_or_default()}</td>
                                                <td class=format!("{TD} text-xs") title=timestamp(k.created_at)>{relative_time(k.created_at, now)}</td>
                                                <td class=format!("{TD} text-xs")>{k.last_used_at.map(|t| relative_time(t, now)).unwrap_or_else(|| td_string!(locale, settings.api_keys.never).to_string())}</td>
                                                <td class=format!("{TD} text-right")>
                                                    <button type="button" class="text-sm text-red-600 hover:underline dark:text-red-400" data-testid="revoke-api-key"
                                                        on:click=move |_| {
                                                            if confirm(&td_string!(locale, settings.api_keys.confirm_revoke, key = public_key.clone()).to_string()) {
                                                                revoke.dispatch(RevokeApiKey { project_id: project_id.clone(), key_id: key_id.clone() });
                                                            }
                                                        }>{t_string!(i18n, settings.api_keys.revoke)}</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                })}}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn ProjectMembers(org: OrganizationRef, project: ProjectRef, set_role: ServerAction<SetProjectRole>, members: MembersResource) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let my_org_role = org.role;
    let can_manage = my_org_role.can(Action::ManageMembers);
    let project_id = project.id.clone();
    view! {
        <section class=CARD data-testid="project-members">
            <div class="border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <h2 class="text-sm font-semibold">{t_string!(i18n, settings.members.title)}</h2>
                <p class=HINT>
                    {t_string!(i18n, settings.members.hint)}
                    <a class="text-indigo-600 hover:underline dark:text-indigo-400" href=format!("/organization/{}/members", org.id)>{t_string!(i18n, settings.members.invite_people)}</a>
                </p>
            </div>
            <div class="px-4"><ErrorAlert error=action_error(set_role) /></div>
            <Transition fallback=|| view! { <Skeleton /> }>
                {move || { let project_id = project_id.clone(); Suspend::new(async move {
                    let members = match members.await {
                        Ok(m) => m.unwrap_or_default(),
                        Err(error) => return view! { <LoadError error /> }.into_any(),
                    };
                    view! {
                        <div class="overflow-x-auto">
                            <table class=TABLE>
                                <TableHead columns={ let l = locale; [
                                    td_string!(l, settings.members.member),
                                    td_string!(l, settings.members.organization_role),
                                    td_string!(l, settings.members.role_here),
                                ] } />
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {members.into_iter().map(|m| {
                                        let here = m.project_roles.iter().find(|o| o.project_id == project_id).map(|o| o.role);
                                        let may = can_manage && my_org_role <= m.role;
                                        let (pid, uid) = (project_id.clone(), m.user_id.clone());
                                        view! {
                                            <tr data-testid="project-member-row" data-email=m.email.clone()>
                                                <td class=TD>{m.email.clone()}</td>
                                                <td class=TD>{role_label(locale, m.role)}</td>
                                                <td class=TD>
                                                    {if may {
                                                        view! {
                                                            <select class=SELECT aria-label=td_string!(locale, settings.members.role_of, email = m.email.clone()).to_string()
                                                                on:change=move |ev| {
                                                                    let value = event_target_value(&ev);
                                                                    let role = if value.is_empty() { None } else { value.parse::<Role>().ok() };
                                                                    set_role.dispatch(SetProjectRole { project_id: pid.clone(), user_id: uid.clone(), role });
                                                                }>
                                                                <option value="" selected=here.is_none()>{td_string!(locale, settings.members.same_as_organization_role, role = role_label(locale, m.role)).to_string()}</option>
                                                                {Role::ALL.into_iter().filter(|r| my_org_role.can_assign(*r) || Some(*r) == here).map(|r| view! {
                                                                    <option value=r.as_str() selected=Some(r) == here>{role_label(locale, r)}</option>
                                                                }).collect_view()}
                                                            </select>
                                                        }.into_any()
                                                    } else {
                                                        view! { <span>{here.map(|r| role_label(locale, r)).unwrap_or(td_string!(locale, settings.members.same_as_organization))}</span> }.into_any()
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                })}}
            </Transition>
        </section>
    }
}

#[component]
fn DangerZone(project: ProjectRef) -> impl IntoView {
    let i18n = use_i18n();
    let delete = ServerAction::<DeleteProject>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            full_navigation("/");
        }
    });
    let typed = RwSignal::new(String::new());
    let name = project.name.clone();
    let name_check = name.clone();
    view! {
        <section class="rounded-lg border border-red-200 px-4 py-4 dark:border-red-900">
            <h2 class="text-sm font-semibold text-red-700 dark:text-red-400">{t_string!(i18n, settings.danger.title)}</h2>
            <p class=HINT>{t_string!(i18n, settings.danger.hint)}</p>
            <ActionForm action=delete attr:class="mt-3 flex max-w-lg items-end gap-2" attr:data-testid="delete-project-form">
                <input type="hidden" name="project_id" value=project.id.clone() />
                <div class="flex-1">
                    <label class=LABEL for="confirm-project">{t!(i18n, settings.danger.type_to_confirm, name = { let name = name.clone(); move || view! { <span translate="no">{name.clone()}</span> } })}</label>
                    <input id="confirm-project" name="confirm_name" autocomplete="off" class=format!("{INPUT} mt-1") on:input=move |ev| typed.set(event_target_value(&ev)) />
                </div>
                <button type="submit" class=BUTTON_DANGER disabled=move || typed.get() != name_check || delete.pending().get()>{t_string!(i18n, settings.danger.delete)}</button>
            </ActionForm>
            <div class="mt-2 max-w-lg"><ErrorAlert error=action_error(delete) /></div>
        </section>
    }
}
