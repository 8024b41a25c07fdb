//! A prompt version's content as the prompt page shows it: a text template with its
//! `{{variables}}` highlighted and its composability tags (`@@@langfusePrompt:…@@@`) shown as
//! links to the prompt they name; a chat prompt as one card per message with its role badge,
//! placeholders marked as such. Prompt content is written by people and SDKs, so it is rendered
//! as text nodes only (no `inner_html`): markup in a prompt is shown, never interpreted.

use std::ops::Range;

use leptos::prelude::*;

use crate::components::content::role_badge;
use crate::domain::prompts::{prompt_href, references, variable_spans, ChatItem, PromptBody, PromptReference};
use crate::i18n::*;

/// A run of a prompt text, as highlighted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    /// `{{ name }}` as written, and the variable's name.
    Variable { raw: &'a str, name: &'a str },
    /// A composability tag as written, and what it points at.
    Reference { raw: &'a str, reference: PromptReference },
}

/// Splits `text` into plain runs, variables and reference tags, in order. A tag wins over a
/// `{{…}}` inside it (the SDK resolves the tag first, so that text is not a variable).
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let tags = references(text);
    let mut marks: Vec<(Range<usize>, Option<PromptReference>, &str)> =
        tags.iter().map(|(range, reference)| (range.clone(), Some(reference.clone()), "")).collect();
    for (range, name) in variable_spans(text) {
        if !tags.iter().any(|(tag, _)| range.start < tag.end && tag.start < range.end) {
            marks.push((range, None, name));
        }
    }
    marks.sort_by_key(|(range, _, _)| range.start);
    let mut out = Vec::new();
    let mut at = 0;
    for (range, reference, name) in marks {
        if range.start > at {
            out.push(Piece::Text(&text[at..range.start]));
        }
        let raw = &text[range.clone()];
        out.push(match reference {
            Some(reference) => Piece::Reference { raw, reference },
            None => Piece::Variable { raw, name },
        });
        at = range.end;
    }
    if at < text.len() {
        out.push(Piece::Text(&text[at..]));
    }
    out
}

pub const VARIABLE: &str = "rounded bg-amber-100 px-0.5 font-semibold text-amber-900 dark:bg-amber-900/50 dark:text-amber-200";
const TEXT_BOX: &str = "whitespace-pre-wrap break-words font-mono text-sm leading-relaxed";

/// One text with its variables and references marked.
#[component]
pub fn PromptText(project_id: String, text: String) -> impl IntoView {
    let i18n = use_i18n();
    let views = pieces(&text)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(t) => t.to_string().into_any(),
            Piece::Variable { raw, name } => view! {
                <mark class=VARIABLE data-testid="prompt-variable" data-name=name.to_string() title=t_string!(i18n, prompts.view.variable_title, name = name.to_string()).to_string()>{raw.to_string()}</mark>
            }
            .into_any(),
            Piece::Reference { raw, reference } => {
                let href = prompt_href(&project_id, &reference.name, Some(&reference.target));
                view! {
                    <a class="rounded bg-indigo-50 px-0.5 text-indigo-700 underline decoration-dotted hover:bg-indigo-100 dark:bg-indigo-950 dark:text-indigo-300"
                        href=href data-testid="prompt-reference" title=t_string!(i18n, prompts.view.reference_title, reference = reference.to_string()).to_string()>{raw.to_string()}</a>
                }
                .into_any()
            }
        })
        .collect_view();
    view! { <div class=TEXT_BOX data-testid="prompt-text">{views}</div> }
}

/// A version's body: the text, or the chat messages as cards.
#[component]
pub fn PromptBodyView(project_id: String, body: PromptBody) -> impl IntoView {
    match body {
        PromptBody::Text(text) => view! {
            <div class="rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800" data-testid="prompt-body" data-type="text">
                <PromptText project_id text />
            </div>
        }
        .into_any(),
        PromptBody::Chat(items) => {
            let locale = use_i18n().get_locale_untracked();
            let cards = items.into_iter().map(|item| chat_item(locale, &project_id, item)).collect_view();
            view! { <div class="space-y-2" data-testid="prompt-body" data-type="chat">{cards}</div> }.into_any()
        }
    }
}

fn chat_item(locale: Locale, project_id: &str, item: ChatItem) -> AnyView {
    match item {
        ChatItem::Message { role, content } => view! {
            <div class="rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800" data-testid="prompt-message" data-role=role.clone()>
                <span class=format!("rounded px-1.5 py-0.5 text-xs font-medium {}", role_badge(&role))>{role.clone()}</span>
                <div class="mt-1"><PromptText project_id=project_id.to_string() text=content /></div>
            </div>
        }
        .into_any(),
        ChatItem::Placeholder { name } => placeholder_card(locale, name),
    }
}

/// A placeholder: where the SDK's `compile` inserts a list of messages.
pub fn placeholder_card(locale: Locale, name: String) -> AnyView {
    let shown = name.clone();
    view! {
        <div class="rounded-md border border-dashed border-zinc-400 px-3 py-2 dark:border-zinc-600" data-testid="prompt-placeholder" data-name=name.clone()>
            <span class=format!("rounded px-1.5 py-0.5 text-xs font-medium {}", role_badge("placeholder"))>{td_string!(locale, prompts.view.placeholder)}</span>
            <span class="ml-2 font-mono text-xs">{shown}</span>
            <span class="ml-2 text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, prompts.view.placeholder_hint)}</span>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_and_references_are_split_out_in_order() {
        let text = "Hi {{ name }}! @@@langfusePrompt:name=team/base|label=production@@@ {{not a var}} {{x}}";
        let got = pieces(text);
        assert_eq!(got.len(), 6, "{got:?}");
        assert_eq!(got[0], Piece::Text("Hi "));
        assert_eq!(got[1], Piece::Variable { raw: "{{ name }}", name: "name" });
        assert!(matches!(&got[3], Piece::Reference { reference, .. } if reference.name == "team/base"));
        assert_eq!(got[4], Piece::Text(" {{not a var}} "));
        assert_eq!(got[5], Piece::Variable { raw: "{{x}}", name: "x" });
    }

    #[test]
    fn a_variable_inside_a_tag_is_part_of_the_tag() {
        let text = "@@@langfusePrompt:name={{n}}|version=2@@@";
        assert!(matches!(pieces(text).as_slice(), [Piece::Reference { .. }]));
        let plain: String = pieces("no marks <b>").iter().map(|p| match p { Piece::Text(t) => *t, _ => "?" }).collect();
        assert_eq!(plain, "no marks <b>");
    }
}
