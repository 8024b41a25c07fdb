//! Organization settings: projects, members and invitations, the audit log, and the
//! organization itself (rename, delete). What a person sees and may press follows their role
//! (the server checks again on every call).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::server_fns::audit::list_audit_log;
use crate::server_fns::invitations::{list_invitations, CreateInvitation, RevokeInvitation};
use crate::server_fns::members::{list_members, ChangeMemberRole, RemoveMember};
use crate::server_fns::organizations::{list_projects, CreateProject, DeleteOrganization, RenameOrganization};
use crate::components::session::use_session;
use crate::components::ui::*;
use crate::domain::account::{AuditFilter, OrganizationRef};
use crate::domain::{Action, Role};
use crate::i18n::*;

/// A role's name in the page's language; home, invitation and project settings use it too.
pub use crate::components::layout::role_label;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgTab {
    Projects,
    Members,
    /// The plan's limits and this month's units (#22, `pages::usage`).
    Usage,
    AuditLog,
    Settings,
}

impl OrgTab {
    const ALL: [OrgTab; 5] = [OrgTab::Projects, OrgTab::Members, OrgTab::Usage, OrgTab::AuditLog, OrgTab::Settings];

    fn label(self, locale: Locale) -> &'static str {
        match self {
            OrgTab::Projects => td_string!(locale, org.tabs.projects),
            OrgTab::Members => td_string!(locale, org.tabs.members),
            OrgTab::Usage => td_string!(locale, usage.tab),
            OrgTab::AuditLog => td_string!(locale, org.tabs.audit_log),
            OrgTab::Settings => td_string!(locale, org.tabs.settings),
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            OrgTab::Projects => "",
            OrgTab::Members => "/members",
            OrgTab::Usage => "/usage",
            OrgTab::AuditLog => "/audit-log",
            OrgTab::Settings => "/settings",
        }
    }
}

/// What an organization page shows under its tabs, given the organization.
pub type OrgTabBody = fn(StoredValue<OrganizationRef>) -> AnyView;

/// The projects tab, for `OrganizationPage`'s `body`.
pub fn projects_tab(org: StoredValue<OrganizationRef>) -> AnyView {
    view! { <ProjectsTab org /> }.into_any()
}

/// The members and invitations tab.
pub fn members_tab(org: StoredValue<OrganizationRef>) -> AnyView {
    view! { <MembersTab org /> }.into_any()
}

/// The audit log tab.
pub fn audit_log_tab(org: StoredValue<OrganizationRef>) -> AnyView {
    view! { <AuditLogTab org /> }.into_any()
}

/// The organization's settings tab (rename, delete).
pub fn settings_tab(org: StoredValue<OrganizationRef>) -> AnyView {
    view! { <SettingsTab org /> }.into_any()
}

/// An organization page: its header, the tabs, and `body` for the open one. The route names the
/// tab's view (`routes.rs`) rather than a `match` here: the usage tab (#22, `pages::usage`) is in
/// the dashboards area of the bundle and the other tabs in the settings area, and a `match` over
/// every tab would bring all their code into both areas' first visit (docs/BENCHMARKS.md,
/// "Browser bundle size").
#[component]
pub fn OrganizationPage(tab: OrgTab, body: OrgTabBody) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let params = use_params_map();
    let org_id = Memo::new(move |_| params.with(|p| p.get("org_id").unwrap_or_default()));
    let session = use_session();
    let found = Memo::new(move |_| session.with(|info| info.and_then(|i| i.organization(&org_id.get()).cloned())));
    view! {
        <Title text=tab.label(locale) />
        <div class="max-w-5xl px-4 py-4 sm:px-8 sm:py-6">
            // Not a `Transition`: the session is there synchronously (`components::session` says
            // why awaiting it broke hydration). A memo, so a refresh that leaves this organization
            // as it was does not rebuild the tab.
            {move || {
                    let Some(org) = found.get() else {
                        return view! { <NoAccess what="organization" /> }.into_any();
                    };
                    let org = StoredValue::new(org);
                    view! {
                        <PageHeader data_title=true title=org.with_value(|o| o.name.clone()) subtitle=org.with_value(|o| td_string!(locale, org.subtitle, role = role_label(locale, o.role)).to_string()) />
                        <nav class="mt-4 flex gap-0 border-b border-zinc-200 sm:gap-1 dark:border-zinc-800" aria-label=t_string!(i18n, org.nav_label)>
                            {OrgTab::ALL.into_iter().filter(|t| *t != OrgTab::AuditLog || org.with_value(|o| o.can(Action::ReadAuditLog))).map(|t| {
                                let active = t == tab;
                                let class = if active {
                                    "-mb-px whitespace-nowrap border-b-2 border-indigo-600 px-2 py-2 text-sm font-medium sm:px-3"
                                } else {
                                    "-mb-px whitespace-nowrap border-b-2 border-transparent px-2 py-2 text-sm text-zinc-500 hover:text-zinc-900 sm:px-3 dark:hover:text-zinc-100"
                                };
                                view! { <a class=class aria-current=active.then_some("page") href=format!("/organization/{}{}", org_id.get(), t.suffix())>{t.label(locale)}</a> }
                            }).collect_view()}
                        </nav>
                        <div class="mt-6">
                            {body(org)}
                        </div>
                    }.into_any()
            }}
        </div>
    }
}

/// Shown for an organization or project that does not exist or that the person is not in (the
/// two are deliberately indistinguishable).
#[component]
pub fn NoAccess(what: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    // `what` is the callers' English word: "organization" or "project".
    let what = if what == "project" { td_string!(locale, org.no_access.project) } else { td_string!(locale, org.no_access.organization) };
    // No 404 status here: this renders inside a suspense boundary, after the streamed response
    // has started, so the status could not be set reliably.
    view! {
        <div class="mx-auto max-w-xl py-16 text-center" data-testid="no-access">
            <h1 class="text-lg font-semibold">{t!(i18n, org.no_access.title, what)}</h1>
            <p class="mt-2 text-sm text-zinc-500 dark:text-zinc-400">
                {t!(i18n, org.no_access.body, what)}
            </p>
            <a class=format!("{BUTTON_SECONDARY} mt-6") href="/">{t_string!(i18n, org.no_access.go_home)}</a>
        </div>
    }
}

#[component]
fn ProjectsTab(org: StoredValue<OrganizationRef>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let org_id = org.with_value(|o| o.id.clone());
    let create = ServerAction::<CreateProject>::new();
    let projects = Resource::new(move || create.version().get(), {
        let org_id = org_id.clone();
        move |_| list_projects(org_id.clone())
    });
    let navigate = use_navigate();
    let session = use_session();
    Effect::new(move |_| {
        if let Some(Ok(project_id)) = create.value().get() {
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                session.reload().await;
                navigate(&format!("/project/{project_id}/settings?created=1"), Default::default());
            });
        }
    });
    let query = use_query_map();
    let focus_new = query.with_untracked(|q| q.get("new").as_deref() == Some("project"));
    let can_create = org.with_value(|o| o.can(Action::CreateProjects));
    view! {
        {can_create.then(|| view! {
            <section class=format!("{CARD} mb-6 px-4 py-4")>
                <h2 class="text-sm font-semibold">{t_string!(i18n, org.projects.new_project)}</h2>
                <ActionForm action=create attr:class="mt-3 flex max-w-lg items-end gap-2" attr:data-testid="new-project-form">
                    <input type="hidden" name="org_id" value=org_id.clone() />
                    <div class="flex-1">
                        <label class=LABEL for="new-project-name">{t_string!(i18n, org.projects.name)}</label>
                        <input id="new-project-name" name="name" required autofocus=focus_new placeholder=t_string!(i18n, org.projects.name_placeholder) class=format!("{INPUT} mt-1") />
                    </div>
                    <button type="submit" class=BUTTON_PRIMARY disabled=move || create.pending().get()>{t_string!(i18n, org.projects.create)}</button>
                </ActionForm>
                <div class="mt-2 max-w-lg"><ErrorAlert error=action_error(create) /></div>
            </section>
        })}
        <section class=CARD>
            <Transition fallback=|| view! { <Skeleton /> }>
                {move || Suspend::new(async move {
                    match projects.await {
                        Err(error) => view! { <LoadError error /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="px-4 py-6 text-sm text-zinc-500">{t_string!(i18n, org.projects.empty)}</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="overflow-x-auto">
                                <table class=TABLE data-testid="projects-table">
                                    <TableHead columns={ let l = locale; vec![
                                    td_string!(l, org.projects.project).to_string(),
                                    td_string!(l, org.projects.api_keys).to_string(),
                                    td_string!(l, org.projects.created_in_zone, zone = crate::language::time_zone().label()).to_string(),
                                    "".to_string(),
                                ] } />
                                    <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                        {list.into_iter().map(|p| view! {
                                            <tr>
                                                <td class=TD><a class="font-medium hover:underline" href=format!("/project/{}", p.id) translate="no">{p.name.clone()}</a></td>
                                                <td class=TD>{p.api_keys}</td>
                                                <td class=TD title=timestamp(p.created_at)>{crate::language::time_zone().date(p.created_at)}</td>
                                                <td class=format!("{TD} text-right")><a class=BUTTON_LINK href=format!("/project/{}/settings", p.id)>{t_string!(i18n, org.projects.settings)}</a></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn role_options(locale: Locale, selected: Role, assignable: impl Fn(Role) -> bool) -> impl IntoView {
    Role::ALL
        .into_iter()
        .filter(|r| assignable(*r) || *r == selected)
        .map(|r| view! { <option value=r.as_str() selected=r == selected>{role_label(locale, r)}</option> })
        .collect_view()
}

#[component]
fn MembersTab(org: StoredValue<OrganizationRef>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let org_id = org.with_value(|o| o.id.clone());
    let my_role = org.with_value(|o| o.role);
    let can_manage = my_role.can(Action::ManageMembers);
    let session = use_session();
    let my_id = Memo::new(move |_| session.with(|info| info.map(|i| i.user.id.clone())));
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let invite = ServerAction::<CreateInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let members = Resource::new(move || (change.version().get(), remove.version().get()), {
        let org_id = org_id.clone();
        move |_| list_members(org_id.clone())
    });
    let invitations = Resource::new(move || (invite.version().get(), revoke.version().get()), {
        let org_id = org_id.clone();
        move |_| { let org_id = org_id.clone(); async move { if can_manage { list_invitations(org_id).await.map(Some) } else { Ok(None) } } }
    });
    let projects = org.with_value(|o| o.projects.clone());
    // Invitation form state.
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let project = RwSignal::new(String::new());
    let project_role = RwSignal::new(Role::Viewer);
    let org_for_invite = org_id.clone();
    let on_invite = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let project_id = Some(project.get()).filter(|p| !p.is_empty());
        invite.dispatch(CreateInvitation {
            org_id: org_for_invite.clone(),
            email: email.get(),
            role: role.get(),
            project_role: project_id.as_ref().map(|_| project_role.get()),
            project_id,
        });
    };
    // Leaving the organization: once done, nothing here is ours to see; go home.
    let left = RwSignal::new(false);
    Effect::new(move |_| {
        if left.get() && matches!(remove.value().get(), Some(Ok(()))) {
            full_navigation("/");
        }
    });
    let first_error = Signal::derive(move || {
        action_error(change).get().or_else(|| action_error(remove).get()).or_else(|| action_error(revoke).get())
    });
    view! {
        {can_manage.then(move || view! {
            <section class=format!("{CARD} mb-6 px-4 py-4")>
                <h2 class="text-sm font-semibold">{t_string!(i18n, org.invite.title)}</h2>
                <p class=HINT>{t_string!(i18n, org.invite.hint)}</p>
                <form class="mt-3 grid gap-3 sm:grid-cols-6" on:submit=on_invite data-testid="invite-form">
                    <div class="sm:col-span-2">
                        <label class=LABEL for="invite-email">{t_string!(i18n, org.invite.email)}</label>
                        <input id="invite-email" type="email" required class=format!("{INPUT} mt-1") prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                    </div>
                    <div>
                        <label class=LABEL for="invite-role">{t_string!(i18n, org.invite.role)}</label>
                        <select id="invite-role" class=format!("{SELECT} mt-1 w-full") on:change=move |ev| { if let Ok(r) = event_target_value(&ev).parse() { role.set(r) } }>
                            {role_options(locale, Role::Member, move |r| my_role.can_assign(r))}
                        </select>
                    </div>
                    <div class="sm:col-span-2">
                        <label class=LABEL for="invite-project">{t_string!(i18n, org.invite.project_role)}</label>
                        <div class="mt-1 flex gap-1">
                            <select id="invite-project" class=format!("{SELECT} min-w-0 flex-1") on:change=move |ev| project.set(event_target_value(&ev))>
                                <option value="">{t_string!(i18n, org.invite.no_project)}</option>
                                {projects.iter().map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> }).collect_view()}
                            </select>
                            <select aria-label=t_string!(i18n, org.invite.role_in_project) class=SELECT disabled=move || project.get().is_empty() on:change=move |ev| { if let Ok(r) = event_target_value(&ev).parse() { project_role.set(r) } }>
                                {role_options(locale, Role::Viewer, move |r| my_role.can_assign(r))}
                            </select>
                        </div>
                    </div>
                    <div class="flex items-end">
                        <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=move || invite.pending().get()>{t_string!(i18n, org.invite.submit)}</button>
                    </div>
                </form>
                <div class="mt-3"><ErrorAlert error=action_error(invite) /></div>
                {move || invite.value().get().and_then(|r| r.ok()).map(|created| view! {
                    <div class="mt-3 rounded-md border border-green-200 bg-green-50 px-3 py-3 text-sm dark:border-green-900 dark:bg-green-950" data-testid="invitation-created">
                        <p class="font-medium">{td_string!(locale, org.invite.created, email = created.invitation.email.clone()).to_string()}</p>
                        <p class="mt-1 text-zinc-600 dark:text-zinc-300" data-testid="invitation-delivery">
                            {match (created.emailed, created.email_error.clone()) {
                                (true, _) => td_string!(locale, org.invite.emailed).to_string(),
                                (false, Some(error)) => td_string!(locale, org.invite.email_failed, error).to_string(),
                                (false, None) => td_string!(locale, org.invite.send_link).to_string(),
                            }}
                        </p>
                        <div class="mt-2 flex items-center gap-2">
                            <code class="min-w-0 flex-1 truncate rounded bg-white px-2 py-1 font-mono text-xs dark:bg-zinc-900" data-testid="invitation-link">{created.link.clone()}</code>
                            <CopyButton text=created.link.clone() label=t_string!(i18n, org.invite.copy_link) />
                        </div>
                    </div>
                })}
            </section>
        })}
        <ErrorAlert error=first_error />
        <section class=format!("{CARD} mt-2")>
            <h2 class="border-b border-zinc-200 px-4 py-3 text-sm font-semibold dark:border-zinc-800">{t_string!(i18n, org.members.title)}</h2>
            <Transition fallback=|| view! { <Skeleton /> }>
                {move || Suspend::new(async move {
                    let members = match members.await {
                        Ok(m) => m,
                        Err(error) => return view! { <LoadError error /> }.into_any(),
                    };
                    let org_id = org.with_value(|o| o.id.clone());
                    let owners = members.iter().filter(|m| m.role == Role::Owner).count();
                    view! {
                        <div class="overflow-x-auto">
                            <table class=TABLE data-testid="members-table">
                                <TableHead columns={ let l = locale; [
                                    td_string!(l, org.members.member),
                                    td_string!(l, org.members.role),
                                    td_string!(l, org.members.project_roles),
                                    "",
                                ] } />
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {members.into_iter().map(|m| {
                                        let is_me = my_id.get_untracked().as_deref() == Some(m.user_id.as_str());
                                        let may_change = can_manage && my_role <= m.role;
                                        let (org_a, org_b, uid_a, uid_b) = (org_id.clone(), org_id.clone(), m.user_id.clone(), m.user_id.clone());
                                        let member_role = m.role;
                                        view! {
                                            <tr data-testid="member-row" data-email=m.email.clone()>
                                                <td class=TD>
                                                    <p class="font-medium"><span translate="no">{m.name.clone().unwrap_or_else(|| m.email.clone())}</span>{is_me.then_some(t_string!(i18n, org.members.you))}</p>
                                                    <p class="text-xs text-zinc-500">{m.email.clone()}</p>
                                                </td>
                                                <td class=TD>
                                                    {if may_change {
                                                        view! {
                                                            <select class=SELECT aria-label=td_string!(locale, org.members.role_of, email = m.email.clone()).to_string() data-testid="member-role"
                                                                on:change=move |ev| {
                                                                    if let Ok(role) = event_target_value(&ev).parse::<Role>() {
                                                                        change.dispatch(ChangeMemberRole { org_id: org_a.clone(), user_id: uid_a.clone(), role });
                                                                    }
                                                                }>
                                                                {role_options(locale, member_role, move |r| my_role.can_assign(r))}
                                                            </select>
                                                        }.into_any()
                                                    } else {
                                                        view! { <span data-testid="member-role-label">{role_label(locale, member_role)}</span> }.into_any()
                                                    }}
                                                </td>
                                                <td class=format!("{TD} text-xs text-zinc-500")>
                                                    {if m.project_roles.is_empty() { "—".to_string() } else {
                                                        m.project_roles.iter().map(|o| format!("{}: {}", o.project_name, role_label(locale, o.role))).collect::<Vec<_>>().join(", ")
                                                    }}
                                                </td>
                                                <td class=format!("{TD} text-right")>
                                                    {(may_change || is_me).then(|| {
                                                        let label = if is_me { t_string!(i18n, org.members.leave) } else { t_string!(i18n, org.members.remove) };
                                                        let email = m.email.clone();
                                                        // The server refuses it too; the page says why up front.
                                                        let last_owner = member_role == Role::Owner && owners == 1;
                                                        view! {
                                                            <button type="button" class="text-sm text-red-600 hover:underline disabled:cursor-not-allowed disabled:text-zinc-400 disabled:no-underline dark:text-red-400"
                                                                disabled=last_owner
                                                                title=last_owner.then_some(t_string!(i18n, org.members.last_owner))
                                                                on:click=move |_| {
                                                                    let email = email.clone();
                                                                    let question = if is_me {
                                                                        td_string!(locale, org.members.confirm_leave, email).to_string()
                                                                    } else {
                                                                        td_string!(locale, org.members.confirm_remove, email).to_string()
                                                                    };
                                                                    if confirm(&question) {
                                                                        left.set(is_me);
                                                                        remove.dispatch(RemoveMember { org_id: org_b.clone(), user_id: uid_b.clone() });
                                                                    }
                                                                }>{label}</button>
                                                        }
                                                    })}
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
        {can_manage.then(|| view! {
            <section class=format!("{CARD} mt-6")>
                <h2 class="border-b border-zinc-200 px-4 py-3 text-sm font-semibold dark:border-zinc-800">{t_string!(i18n, org.invitations.title)}</h2>
                <Transition fallback=|| view! { <Skeleton /> }>
                    {move || Suspend::new(async move {
                        match invitations.await {
                            Ok(Some(list)) if !list.is_empty() => {
                                let now = chrono::Utc::now();
                                view! {
                                    <ul class="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="invitations">
                                        {list.into_iter().map(|i| {
                                            let expired = i.expires_at <= now;
                                            let org_id = org.with_value(|o| o.id.clone());
                                            let id = i.id.clone();
                                            view! {
                                                <li class="flex items-center justify-between px-4 py-2 text-sm">
                                                    <span>
                                                        <span class="font-medium">{i.email.clone()}</span>
                                                        <span class="ml-2 text-zinc-500">{role_label(locale, i.role)}</span>
                                                        {i.project_name.clone().zip(i.project_role).map(|(p, r)| view! { <span class="ml-2 text-xs text-zinc-500">{format!("({p}: {})", role_label(locale, r))}</span> })}
                                                        {expired.then(|| view! { <span class="ml-2 rounded bg-amber-100 px-1.5 text-xs text-amber-800">{t_string!(i18n, org.invitations.expired)}</span> })}
                                                    </span>
                                                    <button type="button" class="text-sm text-red-600 hover:underline dark:text-red-400"
                                                        on:click=move |_| { revoke.dispatch(RevokeInvitation { org_id: org_id.clone(), invitation_id: id.clone() }); }>{t_string!(i18n, org.invitations.revoke)}</button>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }
                            Ok(_) => view! { <p class="px-4 py-4 text-sm text-zinc-500">{t_string!(i18n, org.invitations.empty)}</p> }.into_any(),
                            Err(error) => view! { <LoadError error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        })}
    }
}

/// `window.confirm` in the browser; on the server (never clicked there) false.
pub fn confirm(_message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        return web_sys::window().and_then(|w| w.confirm_with_message(_message).ok()).unwrap_or(false);
    }
    #[allow(unreachable_code)]
    false
}

#[component]
fn AuditLogTab(org: StoredValue<OrganizationRef>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let org_id = org.with_value(|o| o.id.clone());
    let projects = org.with_value(|o| o.projects.clone());
    let filter = RwSignal::new(AuditFilter::default());
    let page = Resource::new(move || filter.get(), {
        let org_id = org_id.clone();
        move |filter| list_audit_log(org_id.clone(), filter)
    });
    view! {
        <div class="mb-4 flex flex-wrap items-end gap-3" data-testid="audit-filters">
            <div>
                <label class=LABEL for="audit-action">{t_string!(i18n, org.audit.action)}</label>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let actions = page.await.map(|p| p.actions).unwrap_or_default();
                        view! {
                            <select id="audit-action" class=format!("{SELECT} mt-1") on:change=move |ev| filter.update(|f| { f.action = event_target_value(&ev); f.before_id = None; })>
                                <option value="">{t_string!(i18n, org.audit.any_action)}</option>
                                {actions.into_iter().map(|a| { let selected = filter.with_untracked(|f| f.action == a); view! { <option value=a.clone() selected=selected>{a.clone()}</option> } }).collect_view()}
                            </select>
                        }
                    })}
                </Transition>
            </div>
            <div>
                <label class=LABEL for="audit-actor">{t_string!(i18n, org.audit.who)}</label>
                <input id="audit-actor" type="search" placeholder=t_string!(i18n, org.audit.who_placeholder) class=format!("{INPUT} mt-1")
                    on:change=move |ev| filter.update(|f| { f.actor = event_target_value(&ev); f.before_id = None; }) />
            </div>
            <div>
                <label class=LABEL for="audit-project">{t_string!(i18n, org.audit.project)}</label>
                <select id="audit-project" class=format!("{SELECT} mt-1") on:change=move |ev| filter.update(|f| { f.project_id = event_target_value(&ev); f.before_id = None; })>
                    <option value="">{t_string!(i18n, org.audit.any_project)}</option>
                    {projects.into_iter().map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> }).collect_view()}
                </select>
            </div>
        </div>
        <section class=CARD>
            <Transition fallback=|| view! { <Skeleton /> }>
                {move || Suspend::new(async move {
                    let page = match page.await {
                        Ok(page) => page,
                        Err(error) => return view! { <LoadError error /> }.into_any(),
                    };
                    if page.entries.is_empty() {
                        return view! { <p class="px-4 py-6 text-sm text-zinc-500" data-testid="audit-empty">{t_string!(i18n, org.audit.empty)}</p> }.into_any();
                    }
                    let next = page.next_before_id;
                    view! {
                        <div class="overflow-x-auto">
                            <table class=TABLE data-testid="audit-table">
                                <TableHead columns={ let l = locale; vec![
                                    td_string!(l, org.audit.when_in_zone, zone = crate::language::time_zone().label()).to_string(),
                                    td_string!(l, org.audit.who).to_string(),
                                    td_string!(l, org.audit.what).to_string(),
                                    td_string!(l, org.audit.before_after).to_string(),
                                ] } />
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {page.entries.into_iter().map(|e| view! {
                                        <tr data-testid="audit-row">
                                            <td class=format!("{TD} whitespace-nowrap text-xs") title=timestamp(e.created_at)>{crate::language::time_zone().format(e.created_at)}</td>
                                            <td class=format!("{TD} text-xs")>{match e.actor.clone() {
                                                crate::domain::account::AuditActor::Person(email) => view! { <span translate="no">{email}</span> }.into_any(),
                                                crate::domain::account::AuditActor::ApiKey { public_key } => view! { {t_string!(i18n, org.audit.api_key_actor)}" "<span class="font-mono">{public_key}</span> }.into_any(),
                                                crate::domain::account::AuditActor::Deleted(_) => view! { {t_string!(i18n, org.audit.deleted_actor)} }.into_any(),
                                            }}</td>
                                            <td class=TD>
                                                <p class="font-mono text-xs font-medium">{e.action.clone()}</p>
                                                <p class="max-w-xs truncate text-xs text-zinc-500" title=e.resource_id.clone() translate="no">{format!("{} {}", e.resource_type, e.resource_id)}{e.project_name.clone().map(|p| format!(" · {p}"))}</p>
                                            </td>
                                            <td class=format!("{TD} text-xs text-zinc-600 dark:text-zinc-300") data-testid="audit-changes">
                                                <ul class="space-y-0.5">
                                                    {e.changes().into_iter().map(|(field, before, after)| view! {
                                                        <li class="max-w-md break-words">
                                                            {(!field.is_empty()).then(|| view! { <span class="font-medium text-zinc-500 dark:text-zinc-400">{format!("{field}: ")}</span> })}
                                                            <span class="font-mono">{before}</span>" → "<span class="font-mono">{after}</span>
                                                        </li>
                                                    }).collect_view()}
                                                </ul>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {next.map(|id| view! {
                            <div class="border-t border-zinc-200 px-4 py-2 dark:border-zinc-800">
                                <button type="button" class=BUTTON_LINK on:click=move |_| filter.update(|f| f.before_id = Some(id))>{t_string!(i18n, org.audit.older)}</button>
                            </div>
                        })}
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SettingsTab(org: StoredValue<OrganizationRef>) -> impl IntoView {
    let i18n = use_i18n();
    let (org_id, name, role) = org.with_value(|o| (o.id.clone(), o.name.clone(), o.role));
    let rename = ServerAction::<RenameOrganization>::new();
    let delete = ServerAction::<DeleteOrganization>::new();
    let session = use_session();
    Effect::new(move |_| {
        if let Some(Ok(())) = rename.value().get() {
            session.refresh();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            full_navigation("/");
        }
    });
    let confirm_text = RwSignal::new(String::new());
    let name_for_check = name.clone();
    let (org_id_rename, name_rename) = (org_id.clone(), name.clone());
    view! {
        <section class=format!("{CARD} px-4 py-4")>
            <h2 class="text-sm font-semibold">{t_string!(i18n, org.settings.name)}</h2>
            {if role.can(Action::ManageOrganization) {
                view! {
                    <ActionForm action=rename attr:class="mt-3 flex max-w-lg items-end gap-2">
                        <input type="hidden" name="org_id" value=org_id_rename />
                        <input name="name" required value=name_rename aria-label=t_string!(i18n, org.settings.name) class=INPUT />
                        <button type="submit" class=BUTTON_PRIMARY disabled=move || rename.pending().get()>{t_string!(i18n, org.settings.save)}</button>
                    </ActionForm>
                    <div class="mt-2 max-w-lg"><ErrorAlert error=action_error(rename) /></div>
                    <Show when=move || matches!(rename.value().get(), Some(Ok(())))><p class="mt-2 text-sm text-green-700">{t_string!(i18n, org.settings.saved)}</p></Show>
                }.into_any()
            } else {
                view! { <p class="mt-2 text-sm" translate="no">{name.clone()}</p><p class=HINT>{t_string!(i18n, org.settings.only_admins)}</p> }.into_any()
            }}
        </section>
        {role.can(Action::DeleteOrganization).then(|| view! {
            <section class="mt-6 rounded-lg border border-red-200 px-4 py-4 dark:border-red-900">
                <h2 class="text-sm font-semibold text-red-700 dark:text-red-400">{t_string!(i18n, org.settings.delete_title)}</h2>
                <p class=HINT>{t_string!(i18n, org.settings.delete_hint)}</p>
                <ActionForm action=delete attr:class="mt-3 flex max-w-lg items-end gap-2">
                    <input type="hidden" name="org_id" value=org_id.clone() />
                    <div class="flex-1">
                        <label class=LABEL for="confirm-org">{t!(i18n, org.settings.type_to_confirm, name = { let name = name.clone(); move || view! { <span translate="no">{name.clone()}</span> } })}</label>
                        <input id="confirm-org" name="confirm_name" autocomplete="off" class=format!("{INPUT} mt-1") on:input=move |ev| confirm_text.set(event_target_value(&ev)) />
                    </div>
                    <button type="submit" class=BUTTON_DANGER disabled=move || confirm_text.get() != name_for_check || delete.pending().get()>{t_string!(i18n, org.settings.delete)}</button>
                </ActionForm>
                <div class="mt-2 max-w-lg"><ErrorAlert error=action_error(delete) /></div>
            </section>
        })}
    }
}
