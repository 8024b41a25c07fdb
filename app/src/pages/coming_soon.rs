//! The page of a section that is coming soon: it says so plainly and what the section will do.
//! No sample or fake data.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::icons::SectionIcon;
use crate::i18n::*;
use crate::sections::Section;

#[component]
pub fn ComingSoon(section: Section) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <Title text=section.label(locale) />
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <h1 class="text-xl font-semibold tracking-tight">{section.label(locale)}</h1>
            <div class="mt-8 flex max-w-2xl flex-col items-center rounded-lg border border-dashed border-zinc-300 px-8 py-14 text-center dark:border-zinc-700" data-testid="not-built">
                <span class="rounded-full bg-zinc-100 p-3 text-zinc-500 dark:bg-zinc-800 dark:text-zinc-400">
                    <SectionIcon section class="h-6 w-6" />
                </span>
                <p class="mt-4 font-medium">{t!(i18n, common.coming_soon, section = section.label(locale))}</p>
                <p class="mt-2 max-w-md text-sm text-zinc-500 dark:text-zinc-400">{section.purpose(locale)}</p>
            </div>
        </div>
    }
}
