//! The search box and the folder breadcrumb of the lists whose names are folder paths (`a/b/c`):
//! prompts and datasets. Both keep where the person is in the URL (`ListPlace`), so a folder or
//! a search is a link that can be shared and survives a reload.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::ui::*;
use crate::pages::prompts::ListPlace;

/// What a folder list calls things, in the page's language.
#[derive(Clone, Copy)]
pub struct FolderListWords {
    /// The list's name: the breadcrumb's first part.
    pub root: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    /// "… matching “{search}” …", with the search filled in.
    pub matching: fn(crate::i18n::Locale, String) -> String,
    pub clear_search: &'static str,
    /// The breadcrumb's accessible name.
    pub folder: &'static str,
    /// Prefix of the test ids and the input's id (`prompt`, `dataset`).
    pub id: &'static str,
}

/// Search by name; submitting puts it in the URL (and leaves the folder: a search spans them all).
#[component]
pub fn FolderSearch(place: Memo<ListPlace>, base: String, words: FolderListWords) -> impl IntoView {
    let navigate = use_navigate();
    let draft = RwSignal::new(String::new());
    Effect::new(move |_| draft.set(place.with(|p| p.search.clone())));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let search = draft.get_untracked().trim().to_string();
        let folder = if search.is_empty() { place.with_untracked(|p| p.folder.clone()) } else { String::new() };
        navigate(&format!("{base}{}", ListPlace { folder, search, page: 1 }.to_search()), Default::default());
    };
    let input_id = format!("{}-search", words.id);
    view! {
        <form class="mt-4 flex max-w-xl items-end gap-2" role="search" on:submit=on_submit data-testid=format!("{}-search-form", words.id)>
            <div class="min-w-0 flex-1">
                <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for=input_id.clone()>{words.search}</label>
                <input id=input_id.clone() type="search" placeholder=words.search_placeholder class=format!("{INPUT} mt-1") data-testid=input_id
                    prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev)) />
            </div>
            <button type="submit" class=BUTTON_SECONDARY>{words.search}</button>
        </form>
    }
}

/// "Prompts / team / sub": where the list is; each part goes there. With a search, what it
/// matches and a way back.
#[component]
pub fn FolderBreadcrumb(place: Memo<ListPlace>, base: StoredValue<String>, words: FolderListWords) -> impl IntoView {
    let locale = crate::i18n::use_i18n().get_locale_untracked();
    let test_id = format!("{}-breadcrumb", words.id);
    move || {
        let p = place.get();
        if !p.search.is_empty() {
            return view! {
                <p class="mt-3 text-sm text-zinc-500" data-testid=test_id.clone()>
                    {(words.matching)(locale, p.search.clone())}" "
                    <a class=BUTTON_LINK href=base.get_value()>{words.clear_search}</a>
                </p>
            }
            .into_any();
        }
        let mut crumbs = vec![view! { <a class=BUTTON_LINK href=base.get_value()>{words.root}</a> }.into_any()];
        let mut path = String::new();
        let parts: Vec<&str> = p.folder.split('/').filter(|s| !s.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(part);
            crumbs.push(view! { <span class="text-zinc-400">" / "</span> }.into_any());
            if i + 1 == parts.len() {
                crumbs.push(view! { <span class="font-medium" aria-current="page" translate="no">{part.to_string()}</span> }.into_any());
            } else {
                let href = format!("{}{}", base.get_value(), ListPlace { folder: path.clone(), ..Default::default() }.to_search());
                crumbs.push(view! { <a class=BUTTON_LINK href=href translate="no">{part.to_string()}</a> }.into_any());
            }
        }
        view! { <nav class="mt-3 text-sm" aria-label=words.folder data-testid=test_id.clone()>{crumbs}</nav> }.into_any()
    }
}
