use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::components::http_status::set_http_status;
use crate::i18n::*;

#[component]
pub fn NotFound() -> impl IntoView {
    set_http_status(404);
    let i18n = use_i18n();
    let location = use_location();
    view! {
        <Title text=t_string!(i18n, common.not_found.title) />
        <div class="mx-auto max-w-xl px-6 py-24 text-center" data-testid="not-found">
            <p class="text-sm font-semibold text-indigo-600 dark:text-indigo-400">"404"</p>
            <h1 class="mt-2 text-2xl font-semibold tracking-tight">{t_string!(i18n, common.not_found.title)}</h1>
            <p class="mt-3 text-sm text-zinc-500 dark:text-zinc-400">
                {t_string!(i18n, common.not_found.before_path)}
                <code class="rounded bg-zinc-100 px-1 py-0.5 font-mono text-xs dark:bg-zinc-800">{move || location.pathname.get()}</code>
                {t_string!(i18n, common.not_found.after_path)}
            </p>
            <a href="/" class="mt-6 inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2">
                {t_string!(i18n, common.not_found.back_home)}
            </a>
        </div>
    }
}
