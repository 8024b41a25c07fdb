//! `ContentView`: an observation's input or output shown by its shape (see
//! `domain::content::classify`): chat messages as cards, strings as markdown, anything else as a
//! collapsible JSON tree, and a Raw toggle for the pretty-printed JSON.
//!
//! All of it is SDK/LLM data, so all of it is untrusted. The renderers build views from text
//! only — no `inner_html` anywhere — so markup in the data is shown, escaped, never interpreted.
//! Links are `<a>` only for `http:`/`https:`/`mailto:` and open in a new tab without a referrer;
//! nothing from the data makes the browser load anything (remote images are links; only inline
//! base64 `data:` images of common raster types and media attachments uploaded to this server
//! are shown).

mod chat;
mod json_tree;
mod markdown;
mod media;

pub use media::MediaScope;

/// A comment's markdown with its mentions highlighted (`components::comments`).
pub(crate) use markdown::comment_markdown;

/// Markdown written by people (a queue's instructions, #20), rendered as safely as LLM output.
pub(crate) use markdown::markdown as render_markdown;

/// The role badge's colours, shared with the prompt views so a role looks the same everywhere.
pub(crate) use chat::role_badge;

use leptos::prelude::*;
use serde_json::Value;

use crate::domain::content::{classify, pretty_json, Content, MediaReference};
use crate::i18n::{td_string, Locale};

/// The page's language, for the views here that are plain functions. English where no i18n
/// provider is set (the unit tests render these views bare). The language is fixed for a page
/// load, so reading it once, untracked, is enough.
pub(crate) fn page_locale() -> Locale {
    use_context::<leptos_i18n::I18nContext<Locale>>().map(|i18n| i18n.get_locale_untracked()).unwrap_or_default()
}

/// Text longer than this (bytes) shows its beginning and a "show all" button.
const TEXT_LIMIT: usize = 200 * 1024;

/// Shows `value` by its shape, with a Pretty/Raw toggle. `testid` becomes the root's
/// `data-testid` (and prefixes in-page anchors, so two views on a page do not collide).
///
/// Test hooks inside: `content-raw-toggle`, `chat-message` (with `data-role`), `tool-call`,
/// `json-tree`, `markdown`, `content-raw`, `content-show-all`.
#[component]
pub fn ContentView(value: Option<Value>, #[prop(into)] testid: String) -> impl IntoView {
    let value = value.unwrap_or(Value::Null);
    if value.is_null() {
        return view! { <p data-testid=testid class="text-sm text-zinc-400 dark:text-zinc-500">"—"</p> }.into_any();
    }
    let locale = page_locale();
    let raw = RwSignal::new(false);
    let content = StoredValue::new(classify(&value));
    let value = StoredValue::new(value);
    let anchors = testid.clone();
    view! {
        // What a trace carries is data (often an LLM's words): never machine-translated.
        <div data-testid=testid class="relative text-sm" translate="no">
            <button
                type="button"
                data-testid="content-raw-toggle"
                aria-pressed=move || if raw.get() { "true" } else { "false" }
                title=td_string!(locale, trace.content.raw_toggle_hint)
                class="absolute right-0 top-0 z-10 rounded border border-zinc-200 bg-white px-1.5 py-0.5 text-xs text-zinc-600 hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800"
                on:click=move |_| raw.update(|r| *r = !*r)
            >
                {move || if raw.get() { td_string!(locale, trace.content.pretty) } else { td_string!(locale, trace.content.raw) }}
            </button>
            {move || {
                if raw.get() {
                    value.with_value(|value| raw_view(value, locale))
                } else {
                    let anchors = anchors.clone();
                    content.with_value(move |content| pretty_view(content, &anchors, locale))
                }
            }}
        </div>
    }
    .into_any()
}

fn pretty_view(content: &Content, anchors: &str, locale: Locale) -> AnyView {
    match content {
        Content::Empty => view! { <p class="text-zinc-400">"—"</p> }.into_any(),
        Content::Text(text) => match MediaReference::parse(text) {
            Some(reference) => view! { <div class="pr-12">{media::media(&reference, locale)}</div> }.into_any(),
            None => view! { <div class="pr-12">{clipped(text.clone(), locale, markdown::markdown)}</div> }.into_any(),
        },
        Content::Json(value) => view! { <div class="pr-12">{json_tree::json_tree(value, locale)}</div> }.into_any(),
        Content::Chat(chat) => chat::chat(chat, anchors, locale),
    }
}

/// The value as sent: strings as they are, anything else as indented JSON.
fn raw_view(value: &Value, locale: Locale) -> AnyView {
    const PRE: &str = "max-h-96 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-50 p-2 pr-14 font-mono text-xs dark:bg-zinc-900";
    if let Value::String(text) = value {
        return view! { <pre data-testid="content-raw" class=PRE>{clipped(text.clone(), locale, |t, _| t.to_string().into_any())}</pre> }.into_any();
    }
    let (text, cut) = pretty_json(value, TEXT_LIMIT);
    if !cut {
        return view! { <pre data-testid="content-raw" class=PRE>{text}</pre> }.into_any();
    }
    let all = RwSignal::new(false);
    let value = StoredValue::new(crate::domain::content::clone_value(value));
    view! {
        <pre data-testid="content-raw" class=PRE>
            {move || if all.get() { value.with_value(|v| pretty_json(v, usize::MAX).0) } else { text.clone() }}
        </pre>
        {move || (!all.get()).then(|| view! { <button type="button" class=SHOW_ALL data-testid="content-show-all" on:click=move |_| all.set(true)>{td_string!(locale, trace.content.show_all)}</button> })}
    }
    .into_any()
}

const SHOW_ALL: &str = "mt-1 text-xs font-medium text-indigo-600 hover:underline dark:text-indigo-400";

/// `text` through `render`, cut to its first 200 KB with a "show all (N KB)" button when longer:
/// a megabyte of base64 or log output should not freeze the page before anyone asks for it.
pub(crate) fn clipped(text: String, locale: Locale, render: fn(&str, Locale) -> AnyView) -> AnyView {
    if text.len() <= TEXT_LIMIT {
        return render(&text, locale);
    }
    let kb = text.len().div_ceil(1024);
    let cut = floor_char_boundary(&text, TEXT_LIMIT);
    let all = RwSignal::new(false);
    let text = StoredValue::new(text);
    view! {
        {move || text.with_value(|t| if all.get() { render(t, locale) } else { render(&t[..cut], locale) })}
        {move || (!all.get()).then(|| view! {
            <span class="block"><button type="button" class=SHOW_ALL data-testid="content-show-all" on:click=move |_| all.set(true)>{td_string!(locale, trace.content.show_all_kb, kb = kb).to_string()}</button></span>
        })}
    }
    .into_any()
}

/// The largest index ≤ `at` that starts a character of `text`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

/// `url` if it may be a link: only web and mail links. Everything else (`javascript:`, `data:`,
/// `vbscript:`, relative paths into Loupe itself...) is shown as text by the callers.
pub(crate) fn safe_href(url: &str) -> Option<String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:")).then(|| url.to_string())
}

/// `url` if it is an inline image the page may show: base64 PNG, JPEG, GIF or WebP (SVG is
/// excluded: it is a document that can carry scripts and links).
pub(crate) fn safe_data_image(url: &str) -> Option<String> {
    let (header, data) = url.split_once(',')?;
    let kind = header.strip_prefix("data:")?.strip_suffix(";base64")?.to_ascii_lowercase();
    let allowed = matches!(kind.as_str(), "image/png" | "image/jpeg" | "image/jpg" | "image/gif" | "image/webp");
    let base64 = data.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r'));
    (allowed && base64 && !data.is_empty()).then(|| url.to_string())
}


#[cfg(all(test, feature = "ssr"))]
mod tests;
