//! The shell every page lives in: left navigation, top bar, content area.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::components::icons::{LoupeMark, SectionIcon};
use crate::components::theme::ThemeSwitch;
use crate::sections::{NavGroup, Section};

#[component]
pub fn AppLayout(children: Children) -> impl IntoView {
    view! {
        <div class="flex h-screen bg-white text-zinc-900 dark:bg-zinc-950 dark:text-zinc-100">
            <Sidebar />
            <div class="flex min-w-0 flex-1 flex-col">
                <TopBar />
                <main id="main" class="flex-1 overflow-auto">
                    {children()}
                </main>
            </div>
        </div>
    }
}

#[component]
fn Sidebar() -> impl IntoView {
    let location = use_location();
    let current = Memo::new(move |_| Section::for_path(&location.pathname.get()));

    view! {
        <nav aria-label="Main" class="flex w-56 shrink-0 flex-col border-r border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-900">
            <a href="/" class="flex h-12 items-center gap-2 border-b border-zinc-200 px-4 font-semibold tracking-tight dark:border-zinc-800">
                <LoupeMark />
                <span>"Loupe"</span>
            </a>
            <div class="flex-1 overflow-y-auto px-2 py-3">
                {NavGroup::ALL
                    .into_iter()
                    .map(|group| {
                        let sections: Vec<Section> = Section::ALL.into_iter().filter(|s| s.group() == group).collect();
                        view! {
                            <div class="mb-3">
                                {group.heading().map(|heading| view! {
                                    <p class="px-2 pb-1 text-[11px] font-semibold uppercase tracking-wider text-zinc-400 dark:text-zinc-500">{heading}</p>
                                })}
                                <ul class="space-y-0.5">
                                    {sections.into_iter().map(|section| view! {
                                        <li><NavLink section current /></li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="border-t border-zinc-200 px-4 py-2 text-[11px] text-zinc-400 dark:border-zinc-800 dark:text-zinc-500">
                {concat!("Loupe v", env!("CARGO_PKG_VERSION"))}
            </p>
        </nav>
    }
}

#[component]
fn NavLink(section: Section, current: Memo<Option<Section>>) -> impl IntoView {
    let class = move || {
        let base = "flex items-center gap-2 rounded-md px-2 py-1.5 text-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";
        if current.get() == Some(section) {
            format!("{base} bg-zinc-200 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-white")
        } else {
            format!("{base} text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100")
        }
    };
    view! {
        <A href=section.path() attr:class=class>
            <SectionIcon section />
            <span>{section.label()}</span>
        </A>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    view! {
        <header class="flex h-12 shrink-0 items-center justify-between border-b border-zinc-200 px-4 dark:border-zinc-800">
            <ProjectSwitcher />
            <ThemeSwitch />
        </header>
    }
}

/// Placeholder until accounts exist: there is no signed-in person yet, so no projects to list.
#[component]
fn ProjectSwitcher() -> impl IntoView {
    view! {
        <button
            type="button"
            disabled=true
            title="Switching projects arrives with sign-in and organizations"
            class="inline-flex items-center gap-2 rounded-md border border-dashed border-zinc-300 px-3 py-1 text-sm text-zinc-500 disabled:cursor-not-allowed dark:border-zinc-700 dark:text-zinc-400"
        >
            <span>"No project selected"</span>
            <svg class="h-3 w-3" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true"><path d="M6 9l6 6 6-6" /></svg>
        </button>
    }
}
