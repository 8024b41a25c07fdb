//! Light, dark or follow-the-system theme. The choice lives in `localStorage` (`loupe-theme`);
//! the boot script in `shell()` applies it before first paint, this component changes it.

use leptos::prelude::*;

use crate::i18n::*;

const STORAGE_KEY: &str = "loupe-theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    fn label(self, locale: Locale) -> &'static str {
        match self {
            Theme::System => td_string!(locale, common.theme.system),
            Theme::Light => td_string!(locale, common.theme.light),
            Theme::Dark => td_string!(locale, common.theme.dark),
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Theme::System => "◐",
            Theme::Light => "☀",
            Theme::Dark => "☾",
        }
    }

    fn parse(value: &str) -> Theme {
        Theme::ALL.into_iter().find(|t| t.as_str() == value).unwrap_or(Theme::System)
    }
}

fn stored_theme() -> Theme {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten())
        .map(|value| Theme::parse(&value))
        .unwrap_or(Theme::System)
}

fn apply_theme(theme: Theme) {
    if let Ok(Some(storage)) = window().local_storage() {
        // Private browsing may refuse storage; the theme still applies for this page.
        let _ = storage.set_item(STORAGE_KEY, theme.as_str());
    }
    let prefers_dark = window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches());
    let dark = theme == Theme::Dark || (theme == Theme::System && prefers_dark);
    if let Some(root) = document().document_element() {
        let _ = root.class_list().toggle_with_force("dark", dark);
    }
}

/// A three-way switch: System / Light / Dark.
#[component]
pub fn ThemeSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    // The server cannot know the stored choice; render "System" and correct it once hydrated.
    let theme = RwSignal::new(Theme::System);
    Effect::new(move |_| theme.set(stored_theme()));

    view! {
        <div role="group" aria-label=t_string!(i18n, common.theme.label) class="inline-flex rounded-md border border-zinc-200 dark:border-zinc-700 p-0.5 text-xs">
            {Theme::ALL
                .into_iter()
                .map(|option| {
                    view! {
                        <button
                            type="button"
                            data-theme=option.as_str()
                            aria-pressed=move || (theme.get() == option).to_string()
                            class=move || {
                                let base = "rounded px-2 py-1 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";
                                if theme.get() == option {
                                    format!("{base} bg-zinc-200 text-zinc-900 dark:bg-zinc-700 dark:text-zinc-50")
                                } else {
                                    format!("{base} text-zinc-500 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100")
                                }
                            }
                            on:click=move |_| {
                                theme.set(option);
                                apply_theme(option);
                            }
                            aria-label=option.label(locale)
                            title=option.label(locale)
                        >
                            // A symbol on a phone, where the top bar has no room for three words.
                            <span class="sm:hidden" aria-hidden="true">{option.symbol()}</span>
                            <span class="hidden sm:inline">{option.label(locale)}</span>
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}
