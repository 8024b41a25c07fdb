//! A JSON value as a collapsible tree: objects and arrays are native `<details>` (they open and
//! close before hydration, without JS), keys and values are colored by type, strings keep their
//! whitespace. Everything is text in `view!`s, never HTML.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::clipped;
use crate::domain::content::{clone_value, MediaReference};
use crate::i18n::{td_string, Locale};

/// Children shown before a "show more" button.
const FIRST_CHILDREN: usize = 100;
/// Children added by each press of "show more".
const MORE_CHILDREN: usize = 1_000;
/// Levels below this one start collapsed.
const OPEN_DEPTH: usize = 30;
/// Levels below this one are not rendered (the raw view has them): keeps rendering and
/// hydration, which recurse per level, far from the stack's end.
const MAX_DEPTH: usize = 50;

const KEY: &str = "text-sky-700 dark:text-sky-400";
const INDEX: &str = "text-zinc-400 dark:text-zinc-500";
const MUTED: &str = "text-zinc-500 dark:text-zinc-400";

#[derive(Clone)]
enum Label {
    None,
    Key(String),
    Index(usize),
}

fn label(label: Label) -> impl IntoView {
    match label {
        Label::None => None,
        Label::Key(key) => Some(view! { <span class=KEY>{key}</span><span class=MUTED>": "</span> }.into_any()),
        Label::Index(i) => Some(view! { <span class=INDEX>{i}</span><span class=MUTED>": "</span> }.into_any()),
    }
}

/// `value` as a tree.
pub fn json_tree(value: &Value, locale: Locale) -> AnyView {
    view! { <div data-testid="json-tree" class="font-mono text-xs leading-5">{node(Label::None, value, 0, locale)}</div> }.into_any()
}

/// An object's entries as a tree, without the braces (e.g. the fields beside chat messages).
pub fn json_entries(entries: &Map<String, Value>, locale: Locale) -> AnyView {
    view! { <div data-testid="json-tree" class="font-mono text-xs leading-5">{object_children(entries, 0, locale)}</div> }.into_any()
}

fn scalar(value: &Value, locale: Locale) -> AnyView {
    match value {
        Value::String(text) => {
            if let Some(reference) = MediaReference::parse(text) {
                return super::media::media(&reference, locale);
            }
            let body = clipped(text.clone(), locale, |text, _| view! { <span>{text.to_string()}</span> }.into_any());
            view! { <span class="whitespace-pre-wrap break-words text-emerald-700 dark:text-emerald-400">"\""{body}"\""</span> }.into_any()
        }
        Value::Number(n) => view! { <span class="text-amber-700 dark:text-amber-400">{n.to_string()}</span> }.into_any(),
        Value::Bool(b) => view! { <span class="text-violet-700 dark:text-violet-400">{b.to_string()}</span> }.into_any(),
        Value::Null => view! { <span class="italic text-zinc-400">"null"</span> }.into_any(),
        // Containers are handled by `node`.
        Value::Array(_) | Value::Object(_) => ().into_any(),
    }
}

fn node(key: Label, value: &Value, depth: usize, locale: Locale) -> AnyView {
    let (open, close, count) = match value {
        Value::Array(items) => ("[", "]", items.len()),
        Value::Object(entries) => ("{", "}", entries.len()),
        _ => return view! { <div class="break-words">{label(key)}{scalar(value, locale)}</div> }.into_any(),
    };
    if count == 0 {
        return view! { <div>{label(key)}<span class=MUTED>{format!("{open}{close}")}</span></div> }.into_any();
    }
    // "3 items", "1 key".
    let size = match (value.is_array(), count) {
        (true, 1) => td_string!(locale, trace.content.one_item).to_string(),
        (true, _) => td_string!(locale, trace.content.items, count = count).to_string(),
        (false, 1) => td_string!(locale, trace.content.one_key).to_string(),
        (false, _) => td_string!(locale, trace.content.keys, count = count).to_string(),
    };
    if depth >= MAX_DEPTH {
        let text = td_string!(locale, trace.content.too_deep, size = size).to_string();
        return view! { <div>{label(key)}<span class=MUTED>{format!("{open} {text} {close}")}</span></div> }.into_any();
    }
    let children = match value {
        Value::Array(items) => array_children(items, depth + 1, locale),
        Value::Object(entries) => object_children(entries, depth + 1, locale),
        _ => ().into_any(),
    };
    view! {
        <details open=depth < OPEN_DEPTH>
            <summary class="cursor-pointer select-none">{label(key)}<span class=MUTED>{format!("{open} {size} {close}")}</span></summary>
            <div class="ml-1 border-l border-zinc-200 pl-3 dark:border-zinc-800">{children}</div>
        </details>
    }
    .into_any()
}

fn array_children(items: &[Value], depth: usize, locale: Locale) -> AnyView {
    let first = items.iter().take(FIRST_CHILDREN).enumerate().map(|(i, item)| node(Label::Index(i), item, depth, locale)).collect_view();
    let rest: Vec<(Label, Value)> = items.iter().enumerate().skip(FIRST_CHILDREN).map(|(i, item)| (Label::Index(i), clone_value(item))).collect();
    view! { {first}{more(rest, depth, locale)} }.into_any()
}

fn object_children(entries: &Map<String, Value>, depth: usize, locale: Locale) -> AnyView {
    let first = entries.iter().take(FIRST_CHILDREN).map(|(k, v)| node(Label::Key(k.clone()), v, depth, locale)).collect_view();
    let rest: Vec<(Label, Value)> = entries.iter().skip(FIRST_CHILDREN).map(|(k, v)| (Label::Key(k.clone()), clone_value(v))).collect();
    view! { {first}{more(rest, depth, locale)} }.into_any()
}

/// The children past the first hundred, revealed a thousand at a time.
fn more(rest: Vec<(Label, Value)>, depth: usize, locale: Locale) -> AnyView {
    if rest.is_empty() {
        return ().into_any();
    }
    let total = rest.len();
    let rest = StoredValue::new(rest);
    let shown = RwSignal::new(0usize);
    view! {
        {move || rest.with_value(|rest| rest[..shown.get().min(total)].iter().map(|(key, value)| node(key.clone(), value, depth, locale)).collect_view())}
        {move || {
            let hidden = total - shown.get().min(total);
            (hidden > 0).then(|| {
                let next = hidden.min(MORE_CHILDREN);
                let text = if next == hidden {
                    td_string!(locale, trace.content.show_more, count = hidden).to_string()
                } else {
                    td_string!(locale, trace.content.show_more_hidden, count = next, hidden = hidden).to_string()
                };
                view! {
                    <button type="button" class="text-indigo-600 hover:underline dark:text-indigo-400" data-testid="json-show-more" on:click=move |_| shown.update(|s| *s += MORE_CHILDREN)>{text}</button>
                }
            })
        }}
    }
    .into_any()
}
