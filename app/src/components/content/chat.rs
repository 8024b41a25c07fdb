//! A conversation: one card per message with its role, its parts (markdown, images, audio,
//! reasoning, tool results) and its tool calls; tool results link to the call they answer.

use std::collections::HashMap;

use leptos::prelude::*;

use super::json_tree::{json_entries, json_tree};
use super::markdown::markdown;
use super::media::media;
use super::{clipped, safe_data_image, safe_href};
use crate::domain::content::{Chat, ChatMessage, MediaReference, Part, ToolCall};
use crate::i18n::{td_string, Locale};

const MUTED: &str = "text-xs text-zinc-500 dark:text-zinc-400";
const LINK: &str = "text-indigo-600 underline hover:text-indigo-500 dark:text-indigo-400";

pub(crate) fn role_badge(role: &str) -> &'static str {
    match role {
        "system" | "developer" => "bg-amber-100 text-amber-800 dark:bg-amber-900/40 dark:text-amber-300",
        "user" => "bg-sky-100 text-sky-800 dark:bg-sky-900/40 dark:text-sky-300",
        "assistant" => "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-300",
        "tool" | "function" => "bg-violet-100 text-violet-800 dark:bg-violet-900/40 dark:text-violet-300",
        _ => "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
    }
}

/// Where each tool call is on the page, by its id. Anchors are made from positions, never from
/// the (untrusted) call ids, and prefixed with the view's test id.
type Anchors = HashMap<String, String>;

pub fn chat(chat: &Chat, prefix: &str, locale: Locale) -> AnyView {
    let mut anchors = Anchors::new();
    for (m, message) in chat.messages.iter().enumerate() {
        for (c, call) in message.tool_calls.iter().enumerate() {
            if let Some(id) = &call.id {
                anchors.entry(id.clone()).or_insert_with(|| format!("{prefix}-call-{m}-{c}"));
            }
        }
    }
    let messages = chat.messages.iter().enumerate().map(|(m, message)| message_card(message, m, prefix, &anchors, locale)).collect_view();
    let other = (!chat.other.is_empty()).then(|| {
        let count = chat.other.len();
        view! {
            <details class="rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800" data-testid="chat-other">
                <summary class=format!("{MUTED} cursor-pointer select-none")>{td_string!(locale, trace.content.other_fields, count = count).to_string()}</summary>
                <div class="mt-1">{json_entries(&chat.other, locale)}</div>
            </details>
        }
    });
    view! { <div class="space-y-2 pt-7">{messages}{other}</div> }.into_any()
}

fn message_card(message: &ChatMessage, m: usize, prefix: &str, anchors: &Anchors, locale: Locale) -> AnyView {
    let role = message.role.clone();
    if role == "placeholder" {
        return view! {
            <div data-testid="chat-message" data-role="placeholder" class="rounded-md border border-dashed border-zinc-300 px-3 py-2 dark:border-zinc-700">
                <span class=format!("rounded px-1.5 py-0.5 text-xs font-medium {}", role_badge(&role))>"placeholder"</span>
                <span class="ml-2 font-mono text-xs">{message.name.clone()}</span>
                <span class=format!("{MUTED} ml-2")>{td_string!(locale, trace.content.placeholder_hint)}</span>
            </div>
        }
        .into_any();
    }
    let answers = message.tool_call_id.as_ref().map(|id| result_of(id, anchors, locale));
    let parts = message.parts.iter().map(|part| render_part(part, anchors, locale)).collect_view();
    let calls = message.tool_calls.iter().enumerate().map(|(c, call)| tool_call(call, &format!("{prefix}-call-{m}-{c}"), locale)).collect_view();
    let empty = message.parts.is_empty() && message.tool_calls.is_empty();
    view! {
        <div data-testid="chat-message" data-role=role.clone() class="rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800">
            <div class="mb-1 flex flex-wrap items-center gap-2">
                <span class=format!("rounded px-1.5 py-0.5 text-xs font-medium {}", role_badge(&role))>{role.clone()}</span>
                {message.name.clone().map(|name| view! { <span class="font-mono text-xs">{name}</span> })}
                {answers}
            </div>
            <div class="space-y-2">
                {parts}
                {calls}
                {empty.then(|| view! { <p class=MUTED>{td_string!(locale, trace.content.no_content)}</p> })}
            </div>
        </div>
    }
    .into_any()
}

/// "result of call_abc", linked to the call when it is in this conversation.
fn result_of(id: &str, anchors: &Anchors, locale: Locale) -> AnyView {
    let id = id.to_string();
    match anchors.get(&id) {
        Some(anchor) => view! { <span class=MUTED>{td_string!(locale, trace.content.result_of)}<a class=format!("{LINK} font-mono") href=format!("#{anchor}")>{id}</a></span> }.into_any(),
        None => view! { <span class=MUTED>{td_string!(locale, trace.content.result_of)}<span class="font-mono">{id}</span></span> }.into_any(),
    }
}

fn render_part(part: &Part, anchors: &Anchors, locale: Locale) -> AnyView {
    match part {
        Part::Text(text) => match MediaReference::parse(text) {
            Some(reference) => media(&reference, locale),
            None => clipped(text.clone(), locale, markdown),
        },
        Part::Image { url } => match MediaReference::parse(url) {
            Some(reference) => media(&reference, locale),
            None => image(url, locale),
        },
        Part::Audio { media: Some(reference), .. } => media(reference, locale),
        Part::Audio { format, media: None } => view! { <p class=MUTED>{match format {
            Some(format) => td_string!(locale, trace.content.audio_format, format = format.clone()).to_string(),
            None => td_string!(locale, trace.content.audio).to_string(),
        }}</p> }.into_any(),
        Part::Thinking(text) => view! {
            <details class="rounded bg-zinc-50 px-2 py-1 dark:bg-zinc-900">
                <summary class=format!("{MUTED} cursor-pointer select-none")>{td_string!(locale, trace.content.thinking)}</summary>
                <div class="mt-1 text-zinc-600 dark:text-zinc-400">{clipped(text.clone(), locale, markdown)}</div>
            </details>
        }
        .into_any(),
        Part::ToolResult { call_id, parts, is_error } => {
            let class = if *is_error { "rounded border border-red-200 px-2 py-1 dark:border-red-900" } else { "rounded border border-zinc-200 px-2 py-1 dark:border-zinc-800" };
            view! {
                <div class=class data-testid="tool-result">
                    <div class="mb-1">{result_of(call_id, anchors, locale)}{is_error.then(|| view! { <span class="ml-2 text-xs text-red-700 dark:text-red-400">{td_string!(locale, trace.content.error)}</span> })}</div>
                    <div class="space-y-2">{parts.iter().map(|part| render_part(part, anchors, locale)).collect_view()}</div>
                </div>
            }
            .into_any()
        }
        Part::Other(value) => json_tree(value, locale),
    }
}

/// Inline base64 images are shown; any other image is a link (or text) so that viewing a trace
/// never makes the browser fetch a URL chosen by a model or an SDK caller.
fn image(url: &str, locale: Locale) -> AnyView {
    if let Some(src) = safe_data_image(url) {
        return view! { <img src=src alt=td_string!(locale, trace.content.image_alt) class="max-h-64 max-w-full rounded border border-zinc-200 dark:border-zinc-800" /> }.into_any();
    }
    if let Some(href) = safe_href(url) {
        let text = href.clone();
        return view! { <p class="text-xs">{td_string!(locale, trace.content.image)}<a class=format!("{LINK} break-all") href=href rel="noopener noreferrer nofollow" target="_blank">{text}</a></p> }.into_any();
    }
    // Other data: URLs are shown by size only (their text is unreadable); anything else verbatim.
    let label = if url.starts_with("data:") {
        td_string!(locale, trace.content.image_inline, kb = url.len().div_ceil(1024)).to_string()
    } else {
        td_string!(locale, trace.content.image_url, url = url.to_string()).to_string()
    };
    view! { <p class=format!("{MUTED} break-all")>{label}</p> }.into_any()
}

fn tool_call(call: &ToolCall, anchor: &str, locale: Locale) -> AnyView {
    let arguments = match &call.arguments {
        // Not valid JSON: shown as the model wrote it.
        serde_json::Value::String(raw) => view! { <pre class="whitespace-pre-wrap break-words font-mono text-xs">{clipped(raw.clone(), locale, |t, _| t.to_string().into_any())}</pre> }.into_any(),
        serde_json::Value::Null => view! { <p class=MUTED>{td_string!(locale, trace.content.no_arguments)}</p> }.into_any(),
        value => json_tree(value, locale),
    };
    view! {
        <div data-testid="tool-call" id=anchor.to_string() class="rounded border border-violet-200 bg-violet-50/50 px-2 py-1 dark:border-violet-900 dark:bg-violet-950/30">
            <div class="mb-1 flex flex-wrap items-baseline gap-2">
                <span class="text-xs font-medium text-violet-800 dark:text-violet-300">{td_string!(locale, trace.content.call)}</span>
                <span class="font-mono text-xs font-semibold">{call.name.clone()}</span>
                {call.id.clone().map(|id| view! { <span class="font-mono text-xs text-zinc-400">{id}</span> })}
            </div>
            {arguments}
        </div>
    }
    .into_any()
}
