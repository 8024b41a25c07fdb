//! The shell every page lives in: left navigation (the current project's sections), top bar
//! (project switcher, theme, account menu), content area. The sign-in, sign-up, invitation
//! and share-link pages render bare, without the shell.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::server_fns::account::{SetLanguage, SignOut};
use crate::components::icons::{LoupeMark, SectionIcon};
use crate::components::session::{provide_session, use_session};
use crate::components::theme::ThemeSwitch;
use crate::components::ui::{full_navigation, Dropdown, MENU_ITEM};
use crate::domain::account::SessionInfo;
use crate::domain::{Action, Role};
use crate::i18n::*;
use crate::sections::{project_from_path, NavGroup, Section};

/// Pages shown without the shell (signed-out pages).
pub fn is_bare_path(path: &str) -> bool {
    matches!(path, "/sign-in" | "/sign-up") || path.starts_with("/invite/") || path.starts_with("/share/")
}

/// The project in the current URL, if any.
pub fn current_project_id() -> Memo<Option<String>> {
    let location = use_location();
    Memo::new(move |_| location.pathname.with(|path| project_from_path(path).map(|(id, _)| id.to_string())))
}

/// Whether the navigation drawer is open: on a phone the sidebar is a drawer behind the top
/// bar's menu button; from `md` (768 px) up it is always shown and this is ignored.
#[derive(Clone, Copy)]
struct NavDrawer(RwSignal<bool>);

/// The shell around every page: sidebar, top bar and, while the router moves to another page
/// (`routing`), a progress bar along the top edge.
#[component]
pub fn AppLayout(#[prop(into)] routing: Signal<bool>, children: Children) -> impl IntoView {
    provide_session();
    let i18n = use_i18n();
    let location = use_location();
    let bare = Memo::new(move |_| location.pathname.with(|p| is_bare_path(p)));
    let drawer = RwSignal::new(false);
    provide_context(NavDrawer(drawer));
    // Following a link in the drawer closes it.
    Effect::new(move |_| {
        location.pathname.track();
        drawer.set(false);
    });
    view! {
        <div class="flex h-screen bg-white text-zinc-900 dark:bg-zinc-950 dark:text-zinc-100"
            on:keydown=move |ev| if ev.key() == "Escape" { drawer.set(false) }>
            <Show when=move || routing.get()>
                <div class="fixed inset-x-0 top-0 z-50 h-1 bg-indigo-100 dark:bg-indigo-950" role="progressbar" aria-label=t_string!(i18n, common.nav.loading_page) data-testid="route-progress">
                    <div class="h-full w-1/2 animate-pulse bg-indigo-500"></div>
                </div>
            </Show>
            <Show when=move || !bare.get()>
                <Show when=move || drawer.get()>
                    <div class="fixed inset-0 z-30 bg-black/40 md:hidden" aria-hidden="true" data-testid="nav-backdrop"
                        on:click=move |_| drawer.set(false)></div>
                </Show>
                <Sidebar />
            </Show>
            <div class="flex min-w-0 flex-1 flex-col">
                <Show when=move || !bare.get()>
                    <TopBar />
                </Show>
                <main id="main" class="flex-1 overflow-auto">
                    // The quota banner of the page's organization, for its Owners and Admins (#22).
                    <crate::components::usage_banner::UsageBannerSlot />
                    {children()}
                </main>
            </div>
        </div>
    }
}

#[component]
fn Sidebar() -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let location = use_location();
    let current = Memo::new(move |_| Section::for_path(&location.pathname.get()));
    let project = current_project_id();
    let drawer = expect_context::<NavDrawer>().0;
    // A drawer over the page on a phone (hidden until opened), a column beside it from `md` up.
    let class = move || {
        let shown = if drawer.get() { "flex shadow-xl" } else { "hidden" };
        format!("{shown} fixed inset-y-0 left-0 z-40 w-64 shrink-0 flex-col border-r border-zinc-200 bg-zinc-50 md:static md:z-auto md:flex md:w-56 md:shadow-none dark:border-zinc-800 dark:bg-zinc-900")
    };

    view! {
        <nav aria-label=t_string!(i18n, common.nav.main) id="main-navigation" class=class>
            <a href="/" class="flex h-12 items-center gap-2 border-b border-zinc-200 px-4 font-semibold tracking-tight dark:border-zinc-800">
                <LoupeMark />
                <span>"Loupe"</span>
            </a>
            <div class="flex-1 overflow-y-auto px-2 py-3">
                {move || {
                    let project = project.get();
                    NavGroup::ALL
                        .into_iter()
                        .map(|group| {
                            let sections: Vec<Section> = Section::ALL
                                .into_iter()
                                .filter(|s| s.group() == group)
                                // Outside a project only Home has somewhere to go.
                                .filter(|s| project.is_some() || *s == Section::Home)
                                .collect();
                            let project = project.clone();
                            (!sections.is_empty()).then(|| view! {
                                <div class="mb-3">
                                    {group.heading(locale).map(|heading| view! {
                                        <p class="px-2 pb-1 text-[11px] font-semibold uppercase tracking-wider text-zinc-400 dark:text-zinc-500">{heading}</p>
                                    })}
                                    <ul class="space-y-0.5">
                                        {sections.into_iter().map(|section| {
                                            let href = section.href(project.as_deref());
                                            view! { <li><NavLink section href current /></li> }
                                        }).collect_view()}
                                    </ul>
                                </div>
                            })
                        })
                        .collect_view()
                }}
                <Show when=move || project.get().is_none()>
                    <p class="px-2 pt-2 text-xs text-zinc-500 dark:text-zinc-400" data-testid="choose-project">
                        {t_string!(i18n, common.nav.choose_project_hint)}
                    </p>
                </Show>
            </div>
            <p class="border-t border-zinc-200 px-4 py-2 text-[11px] text-zinc-400 dark:border-zinc-800 dark:text-zinc-500">
                {concat!("Loupe v", env!("CARGO_PKG_VERSION"))}
            </p>
        </nav>
    }
}

#[component]
fn NavLink(section: Section, href: String, current: Memo<Option<Section>>) -> impl IntoView {
    let i18n = use_i18n();
    let class = move || {
        let base = "flex items-center gap-2 rounded-md px-2 py-1.5 text-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";
        if current.get() == Some(section) {
            format!("{base} bg-zinc-200 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-white")
        } else {
            format!("{base} text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100")
        }
    };
    view! {
        <A href=href attr:class=class>
            <SectionIcon section />
            <span>{move || section.label(i18n.get_locale())}</span>
        </A>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let i18n = use_i18n();
    let not_signed_in = t_string!(i18n, common.top_bar.not_signed_in);
    let session = use_session();
    view! {
        <header class="flex h-12 shrink-0 items-center justify-between gap-2 border-b border-zinc-200 px-2 sm:px-4 dark:border-zinc-800">
            <div class="flex min-w-0 items-center gap-2">
                <MenuButton />
                {move || match session.current() {
                    Some(info) => view! { <ProjectSwitcher info /> }.into_any(),
                    None => view! { <span class="text-sm text-zinc-500">{not_signed_in}</span> }.into_any(),
                }}
            </div>
            <div class="flex shrink-0 items-center gap-2 sm:gap-3">
                <crate::components::comments::MentionsBell />
                <ThemeSwitch />
                {move || session.current().map(|info| view! { <UserMenu info /> })}
            </div>
        </header>
    }
}

/// The phone's way to the navigation (hidden from `md` up, where the sidebar is always shown).
#[component]
fn MenuButton() -> impl IntoView {
    let i18n = use_i18n();
    let drawer = expect_context::<NavDrawer>().0;
    view! {
        <button type="button" class="rounded-md p-1.5 text-zinc-600 hover:bg-zinc-100 md:hidden dark:text-zinc-300 dark:hover:bg-zinc-800"
            data-testid="nav-toggle" aria-controls="main-navigation" aria-expanded=move || drawer.get().to_string()
            aria-label=t_string!(i18n, common.nav.toggle) on:click=move |_| drawer.update(|open| *open = !*open)>
            <svg class="h-5 w-5" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true">
                <path d="M4 6h16M4 12h16M4 18h16" />
            </svg>
        </button>
    }
}

/// Organization and project switcher: keeps the current section when switching projects.
#[component]
fn ProjectSwitcher(info: SessionInfo) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let location = use_location();
    let project = current_project_id();
    let info = StoredValue::new(info);
    let label = move || {
        let project = project.get();
        info.with_value(|info| match project.as_deref().and_then(|p| info.project(p)) {
            Some((org, project)) => format!("{} / {}", org.name, project.name),
            None => td_string!(locale, common.switcher.choose_project).to_string(),
        })
    };
    // The same section in another project ("/project/a/traces" → "/project/b/traces").
    let link_to = move |project_id: &str| {
        let rest = location.pathname.with_untracked(|p| project_from_path(p).map(|(_, rest)| rest.to_string()));
        match rest.filter(|r| !r.is_empty()) {
            Some(rest) if !rest.starts_with("/settings/") => format!("/project/{project_id}{rest}"),
            _ => format!("/project/{project_id}/traces"),
        }
    };
    view! {
        <Dropdown
            test_id="project-switcher"
            button_class="inline-flex min-w-0 max-w-[55vw] items-center gap-2 rounded-md border border-zinc-200 px-3 py-1 text-sm hover:bg-zinc-50 sm:max-w-md dark:border-zinc-700 dark:hover:bg-zinc-800"
            menu_class="left-0 w-72 py-1"
            menu_test_id="project-menu"
            trigger=move || view! {
                <span class="truncate" data-testid="current-project" translate="no">{label}</span>
                <svg class="h-3 w-3" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true"><path d="M6 9l6 6 6-6" /></svg>
            }
        >
            {info.with_value(|info| {
                if info.organizations.is_empty() {
                    return view! { <p class="px-3 py-2 text-zinc-500">{td_string!(locale, common.switcher.no_organizations)}</p> }.into_any();
                }
                info.organizations.iter().map(|org| {
                    let org_id = org.id.clone();
                    let can_create = org.can(Action::CreateProjects);
                    view! {
                        <div class="border-b border-zinc-100 pb-1 last:border-b-0 dark:border-zinc-800">
                            <div class="flex items-center justify-between px-3 pt-2 pb-1">
                                <span class="text-xs font-semibold uppercase tracking-wide text-zinc-500" translate="no">{org.name.clone()}</span>
                                <a class="text-xs text-indigo-600 hover:underline dark:text-indigo-400" href=format!("/organization/{org_id}")>{td_string!(locale, common.switcher.settings)}</a>
                            </div>
                            {org.projects.iter().map(|p| {
                                let href = link_to(&p.id);
                                view! { <a role="menuitem" class=MENU_ITEM href=href><span translate="no">{p.name.clone()}</span><span class="ml-2 text-xs text-zinc-400">{role_label(locale, p.role)}</span></a> }
                            }).collect_view()}
                            {can_create.then(|| view! {
                                <a role="menuitem" class=format!("{MENU_ITEM} text-indigo-600 dark:text-indigo-400") href=format!("/organization/{org_id}?new=project")>{td_string!(locale, common.switcher.new_project)}</a>
                            })}
                        </div>
                    }
                }).collect_view().into_any()
            })}
            <a role="menuitem" class=format!("{MENU_ITEM} border-t border-zinc-100 dark:border-zinc-800") href="/?new=organization">{t_string!(i18n, common.switcher.new_organization)}</a>
        </Dropdown>
    }
}

#[component]
fn UserMenu(info: SessionInfo) -> impl IntoView {
    let i18n = use_i18n();
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            full_navigation("/sign-in");
        }
    });
    let name = info.user.display_name().to_string();
    let email = info.user.email.clone();
    let initial = name.chars().next().unwrap_or('?').to_string();
    view! {
        <Dropdown
            test_id="user-menu"
            button_class="inline-flex h-7 w-7 items-center justify-center rounded-full bg-indigo-600 text-xs font-semibold uppercase text-white"
            menu_class="right-0 w-60 py-1"
            title=email.clone()
            trigger=move || initial.clone()
        >
            <div class="border-b border-zinc-100 px-3 py-2 dark:border-zinc-800">
                <p class="font-medium">{name.clone()}</p>
                <p class="truncate text-xs text-zinc-500" data-testid="signed-in-as">{email.clone()}</p>
            </div>
            <LanguageChoice current=info.user.language.clone() />
            <a role="menuitem" class=MENU_ITEM href="/account">{t_string!(i18n, common.top_bar.account)}</a>
            <button role="menuitem" type="button" class=format!("{MENU_ITEM} w-full text-left") data-testid="sign-out"
                on:click=move |_| { sign_out.dispatch(SignOut {}); }>
                {t_string!(i18n, common.top_bar.sign_out)}
            </button>
        </Dropdown>
    }
}

/// A role's name in `locale` (the domain's `Role::label` is English).
pub fn role_label(locale: Locale, role: Role) -> &'static str {
    match role {
        Role::Owner => td_string!(locale, common.roles.owner),
        Role::Admin => td_string!(locale, common.roles.admin),
        Role::Member => td_string!(locale, common.roles.member),
        Role::Viewer => td_string!(locale, common.roles.viewer),
    }
}

/// The account menu's language choice: English, 简体中文, or the browser's language. Saved with the
/// account, then the page reloads so the server renders it in the new language (see `language`).
#[component]
fn LanguageChoice(current: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SetLanguage>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            reload();
        }
    });
    let options: [(&'static str, &'static str); 3] = [
        ("en", t_string!(i18n, common.languages.en)),
        ("zh", t_string!(i18n, common.languages.zh)),
        ("", t_string!(i18n, common.languages.browser)),
    ];
    let chosen = current.unwrap_or_default();
    view! {
        <div class="border-b border-zinc-100 px-3 py-2 dark:border-zinc-800" role="group" aria-labelledby="language-label">
            <p id="language-label" class="text-xs font-medium text-zinc-500 dark:text-zinc-400">{t_string!(i18n, common.languages.label)}</p>
            <div class="mt-1 flex flex-wrap gap-1">
                {options.into_iter().map(|(code, name)| {
                    let pressed = code == chosen;
                    let class = if pressed {
                        "rounded border border-indigo-500 bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300"
                    } else {
                        "rounded border border-zinc-200 px-2 py-0.5 text-xs hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
                    };
                    view! {
                        <button type="button" class=class aria-pressed=pressed.to_string() data-testid=format!("language-{}", if code.is_empty() { "browser" } else { code })
                            disabled=move || save.pending().get()
                            on:click=move |_| { save.dispatch(SetLanguage { language: code.to_string() }); }>
                            {name}
                        </button>
                    }
                }).collect_view()}
            </div>
        </div>
    }
}

/// Loads the current page again from the server.
fn reload() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}
