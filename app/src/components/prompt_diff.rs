//! A `PromptDiff` (domain::prompt_diff) rendered: text word by word, chat message by message
//! (a changed message shows its role change and a word diff of its content), config line by
//! line. Added runs are green and underlined (`<ins>`), removed runs red and struck through
//! (`<del>`), so the change reads without colour too. All content is text nodes.

use leptos::prelude::*;

use crate::components::content::role_badge;
use crate::components::prompt_view::placeholder_card;
use crate::domain::prompt_diff::{BodyDiff, Change, MessageDiff, PromptDiff, Segment};
use crate::domain::prompts::ChatItem;
use crate::i18n::*;

const ADDED: &str = "rounded-sm bg-emerald-100 text-emerald-900 underline decoration-emerald-600 dark:bg-emerald-900/50 dark:text-emerald-200";
const REMOVED: &str = "rounded-sm bg-red-100 text-red-900 line-through decoration-red-600 dark:bg-red-900/50 dark:text-red-200";
const BOX: &str = "whitespace-pre-wrap break-words font-mono text-sm leading-relaxed";

/// Word-level segments as inline runs.
pub fn segments(locale: Locale, segments: &[Segment]) -> impl IntoView {
    segments
        .iter()
        .map(|s| match s.change {
            Change::Same => s.text.clone().into_any(),
            Change::Added => view! { <ins class=ADDED data-testid="diff-added" title=td_string!(locale, prompts.diff.added)>{s.text.clone()}</ins> }.into_any(),
            Change::Removed => view! { <del class=REMOVED data-testid="diff-removed" title=td_string!(locale, prompts.diff.removed)>{s.text.clone()}</del> }.into_any(),
        })
        .collect_view()
}

/// The whole diff: body, then config (only when it changed). `from`/`to` name the two sides
/// ("v2", "v3") in the headings.
#[component]
pub fn PromptDiffView(diff: PromptDiff, #[prop(into)] from: String, #[prop(into)] to: String) -> impl IntoView {
    let config_changed = diff.config.iter().any(|s| s.change != Change::Same);
    let unchanged = diff.is_empty();
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let body = match diff.body {
        BodyDiff::Text(runs) => view! {
            <div class=format!("{BOX} rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800") data-testid="diff-text">{segments(locale, &runs)}</div>
        }
        .into_any(),
        BodyDiff::Chat(messages) => {
            view! { <div class="space-y-2" data-testid="diff-chat">{messages.into_iter().map(|m| message(locale, m)).collect_view()}</div> }.into_any()
        }
        BodyDiff::Incomparable => view! {
            <p class="text-sm text-zinc-500" data-testid="diff-incomparable">{t_string!(i18n, prompts.diff.incomparable)}</p>
        }
        .into_any(),
    };
    let config = config_changed.then(|| {
        let lines = diff.config.iter().flat_map(|s| s.text.lines().map(move |line| (s.change, line.to_string()))).collect::<Vec<_>>();
        view! {
            <div class="mt-3">
                <h4 class="text-xs font-semibold uppercase tracking-wide text-zinc-500">{t_string!(i18n, prompts.diff.config)}</h4>
                <div class="mt-1 overflow-x-auto whitespace-pre rounded-md border border-zinc-200 py-1 font-mono text-xs dark:border-zinc-800" data-testid="diff-config">
                    {lines.into_iter().map(|(change, line)| match change {
                        Change::Same => view! { <div class="px-3">{format!("  {line}")}</div> }.into_any(),
                        Change::Added => view! { <ins class=format!("{ADDED} block px-3") data-testid="diff-added">{format!("+ {line}")}</ins> }.into_any(),
                        Change::Removed => view! { <del class=format!("{REMOVED} block px-3") data-testid="diff-removed">{format!("- {line}")}</del> }.into_any(),
                    }).collect_view()}
                </div>
            </div>
        }
    });
    view! {
        <div data-testid="prompt-diff">
            <p class="mb-2 text-xs text-zinc-500">
                {t_string!(i18n, prompts.diff.changes, from = from, to = to).to_string()}
                <ins class=ADDED>{t_string!(i18n, prompts.diff.added)}</ins>" · "<del class=REMOVED>{t_string!(i18n, prompts.diff.removed)}</del>
            </p>
            {unchanged.then(|| view! { <p class="mb-2 text-sm text-zinc-500" data-testid="diff-none">{t_string!(i18n, prompts.diff.same)}</p> })}
            {body}
            {config}
        </div>
    }
}

fn message(locale: Locale, diff: MessageDiff) -> AnyView {
    match diff {
        MessageDiff::Whole { change, item } => {
            let (frame, tag) = match change {
                Change::Same => ("border-zinc-200 dark:border-zinc-800", None),
                Change::Added => ("border-emerald-400 dark:border-emerald-700", Some((td_string!(locale, prompts.diff.added), ADDED))),
                Change::Removed => ("border-red-400 opacity-80 dark:border-red-700", Some((td_string!(locale, prompts.diff.removed), REMOVED))),
            };
            let tag = tag.map(|(word, class)| view! { <span class=format!("{class} ml-2 px-1 text-xs")>{word}</span> });
            let inner = match item {
                ChatItem::Placeholder { name } => placeholder_card(locale, name),
                ChatItem::Message { role, content } => view! {
                    <div class="px-3 py-2">
                        <span class=format!("rounded px-1.5 py-0.5 text-xs font-medium {}", role_badge(&role))>{role.clone()}</span>
                        <div class=format!("{BOX} mt-1")>{content}</div>
                    </div>
                }
                .into_any(),
            };
            let status = match change {
                Change::Same => "same",
                Change::Added => "added",
                Change::Removed => "removed",
            };
            view! {
                <div class=format!("rounded-md border {frame}") data-testid="diff-message" data-change=status>
                    {tag.map(|t| view! { <div class="pt-1">{t}</div> })}
                    {inner}
                </div>
            }
            .into_any()
        }
        MessageDiff::Changed { old_role, new_role, content } => {
            let role = if old_role == new_role {
                view! { <span class=format!("rounded px-1.5 py-0.5 text-xs font-medium {}", role_badge(&new_role))>{new_role.clone()}</span> }.into_any()
            } else {
                view! {
                    <span class="text-xs" data-testid="diff-role-change">
                        <del class=format!("{REMOVED} px-1")>{old_role.clone()}</del>" → "<ins class=format!("{ADDED} px-1")>{new_role.clone()}</ins>
                    </span>
                }
                .into_any()
            };
            view! {
                <div class="rounded-md border border-amber-300 px-3 py-2 dark:border-amber-800" data-testid="diff-message" data-change="changed">
                    {role}
                    <span class="ml-2 text-xs text-zinc-500">{td_string!(locale, prompts.diff.changed)}</span>
                    <div class=format!("{BOX} mt-1")>{segments(locale, &content)}</div>
                </div>
            }
            .into_any()
        }
    }
}
