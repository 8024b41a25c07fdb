//! A conversation: one card per message with its role, its parts (markdown, images, audio,
//! reasoning, tool results) and its tool calls; tool results link to the call they answer.

use std::collections::HashMap;

use leptos::prelude::*;

use super::json_tree::{json_entries, json_tree};
use super::markdown::markdown;
use super::media::media;
use super::{clipped, safe_data_image, safe_href};
use crate::domain::content::{Chat, ChatMessage, MediaReference, Part, ToolCall};

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

pub fn chat(chat: &Chat, prefix: &str) -> AnyView {
    let mut anchors = Anchors::new();
    for (m, message) in chat.messages.iter().enumerate() {
        for (c, call) in message.tool_calls.iter().enumerate() {
            if let Some(id) = &call.id {
                anchors.entry(id.clone()).or_insert_with(|| format!("{prefix}-call-{m}-{c}"));
            }
        }
    }
    let messages = chat.messages.iter().enumerate().map(|(m, message)| message_card(message, m, prefix, &anchors)).collect_view();
    let other = (!chat.other.is_empty()).then(|| {
        let count = chat.other.len();
        view! {
            <details class="rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800" data-testid="chat-other">
                <summary class=format!("{MUTED} cursor-pointer select-none")>{format!("Other fields ({count})")}</summary>
                <div class="mt-1">{json_entries(&chat.other)}</div>
            </details>
        }
    });
    view! { <div class="space-y-2 pt-7">{messages}{other}</div> }.into_any()
}

fn message_card(message: &ChatMessage, m: usize, prefix: &str, anchors: &Anchors) -> AnyView {
    let role = message.role.clone();
    if role == "placeholder" {
        return view! {
            <div data-testid="chat-message" data-role="placeholder" class="rounded-md border border-dashed border-zinc-300 px-3 py-2 dark:border-zinc-700">
                <span class=format!("rounded px-1.5 py-0.5 text-xs font-medium {}", role_badge(&role))>"placeholder"</span>
                <span class="ml-2 font-mono text-xs">{message.name.clone()}</span>
                <span class=format!("{MUTED} ml-2")>"messages inserted here when the prompt is compiled"</span>
            </div>
        }
        .into_any();
    }
    let answers = message.tool_call_id.as_ref().map(|id| result_of(id, anchors));
    let parts = message.parts.iter().map(|part| render_part(part, anchors)).collect_view();
    let calls = message.tool_calls.iter().enumerate().map(|(c, call)| tool_call(call, &format!("{prefix}-call-{m}-{c}"))).collect_view();
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
                {empty.then(|| view! { <p class=MUTED>"(no content)"</p> })}
            </div>
        </div>
    }
    .into_any()
}

/// "result of call_abc", linked to the call when it is in this conversation.
fn result_of(id: &str, anchors: &Anchors) -> AnyView {
    let id = id.to_string();
    match anchors.get(&id) {
        Some(anchor) => view! { <span class=MUTED>"result of "<a class=format!("{LINK} font-mono") href=format!("#{anchor}")>{id}</a></span> }.into_any(),
        None => view! { <span class=MUTED>"result of "<span class="font-mono">{id}</span></span> }.into_any(),
    }
}

fn render_part(part: &Part, anchors: &Anchors) -> AnyView {
    match part {
        Part::Text(text) => match MediaReference::parse(text) {
            Some(reference) => media(&reference),
            None => clipped(text.clone(), markdown),
        },
        Part::Image { url } => match MediaReference::parse(url) {
            Some(reference) => media(&reference),
            None => image(url),
        },
        Part::Audio { media: Some(reference), .. } => media(reference),
        Part::Audio { format, media: None } => view! { <p class=MUTED>{format!("audio{}", format.as_ref().map(|f| format!(" ({f})")).unwrap_or_default())}</p> }.into_any(),
        Part::Thinking(text) => view! {
            <details class="rounded bg-zinc-50 px-2 py-1 dark:bg-zinc-900">
                <summary class=format!("{MUTED} cursor-pointer select-none")>"Thinking"</summary>
                <div class="mt-1 text-zinc-600 dark:text-zinc-400">{clipped(text.clone(), markdown)}</div>
            </details>
        }
        .into_any(),
        Part::ToolResult { call_id, parts, is_error } => {
            let class = if *is_error { "rounded border border-red-200 px-2 py-1 dark:border-red-900" } else { "rounded border border-zinc-200 px-2 py-1 dark:border-zinc-800" };
            view! {
                <div class=class data-testid="tool-result">
                    <div class="mb-1">{result_of(call_id, anchors)}{is_error.then(|| view! { <span class="ml-2 text-xs text-red-700 dark:text-red-400">"error"</span> })}</div>
                    <div class="space-y-2">{parts.iter().map(|part| render_part(part, anchors)).collect_view()}</div>
                </div>
            }
            .into_any()
        }
        Part::Other(value) => json_tree(value),
    }
}

/// Inline base64 images are shown; any other image is a link (or text) so that viewing a trace
/// never makes the browser fetch a URL chosen by a model or an SDK caller.
fn image(url: &str) -> AnyView {
    if let Some(src) = safe_data_image(url) {
        return view! { <img src=src alt="image from the message" class="max-h-64 max-w-full rounded border border-zinc-200 dark:border-zinc-800" /> }.into_any();
    }
    if let Some(href) = safe_href(url) {
        let text = href.clone();
        return view! { <p class="text-xs">"image: "<a class=format!("{LINK} break-all") href=href rel="noopener noreferrer nofollow" target="_blank">{text}</a></p> }.into_any();
    }
    // Other data: URLs are shown by size only (their text is unreadable); anything else verbatim.
    let label = if url.starts_with("data:") { format!("image: inline data ({} KB)", url.len().div_ceil(1024)) } else { format!("image: {url}") };
    view! { <p class=format!("{MUTED} break-all")>{label}</p> }.into_any()
}

fn tool_call(call: &ToolCall, anchor: &str) -> AnyView {
    let arguments = match &call.arguments {
        // Not valid JSON: shown as the model wrote it.
        serde_json::Value::String(raw) => view! { <pre class="whitespace-pre-wrap break-words font-mono text-xs">{clipped(raw.clone(), |t| t.to_string().into_any())}</pre> }.into_any(),
        serde_json::Value::Null => view! { <p class=MUTED>"no arguments"</p> }.into_any(),
        value => json_tree(value),
    };
    view! {
        <div data-testid="tool-call" id=anchor.to_string() class="rounded border border-violet-200 bg-violet-50/50 px-2 py-1 dark:border-violet-900 dark:bg-violet-950/30">
            <div class="mb-1 flex flex-wrap items-baseline gap-2">
                <span class="text-xs font-medium text-violet-800 dark:text-violet-300">"call"</span>
                <span class="font-mono text-xs font-semibold">{call.name.clone()}</span>
                {call.id.clone().map(|id| view! { <span class="font-mono text-xs text-zinc-400">{id}</span> })}
            </div>
            {arguments}
        </div>
    }
    .into_any()
}
