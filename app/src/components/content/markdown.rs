//! Markdown to views, safe by construction: `pulldown-cmark` only parses; its events become a
//! small tree of our own node kinds, and each kind is rendered by a fixed `view!`. There is no
//! `inner_html` anywhere, so all text — including raw HTML in the markdown, which the parser
//! reports as `Html`/`InlineHtml` events — reaches the page as escaped text. Links become `<a>`
//! only for `http:`, `https:` and `mailto:`; images become links, so LLM content never makes the
//! browser load anything.

use leptos::prelude::*;
use pulldown_cmark::{Alignment, CodeBlockKind, Event, Options, Parser, Tag};

use super::safe_href;
use crate::i18n::{td_string, Locale};

/// Containers nested deeper than this are flattened into their parent (their text is kept), so
/// `>>>>>>…` or a thousand nested list items cannot make rendering recurse without bound.
const MAX_DEPTH: usize = 24;

enum Kind {
    Paragraph,
    Heading(u8),
    Quote,
    CodeBlock(Option<String>),
    /// A block of raw HTML, shown as its source text.
    HtmlBlock,
    List(Option<u64>),
    Item,
    Table(Vec<Alignment>),
    TableHead,
    TableRow,
    TableCell,
    Emphasis,
    Strong,
    Strikethrough,
    Link(String),
    Image(String),
    /// A comment's mention, `@[Name](user:ID)` (only when asked: [`comment_markdown`]).
    Mention(String),
    /// Anything else (footnote definitions, metadata...): its content, unstyled.
    Plain,
}

enum Node {
    Text(String),
    Code(String),
    SoftBreak,
    HardBreak,
    Rule,
    Task(bool),
    Element(Kind, Vec<Node>),
}

fn kind(tag: Tag) -> Kind {
    match tag {
        Tag::Paragraph => Kind::Paragraph,
        Tag::Heading { level, .. } => Kind::Heading(level as u8),
        Tag::BlockQuote(_) => Kind::Quote,
        Tag::CodeBlock(CodeBlockKind::Fenced(lang)) if !lang.trim().is_empty() => Kind::CodeBlock(Some(lang.trim().to_string())),
        Tag::CodeBlock(_) => Kind::CodeBlock(None),
        Tag::HtmlBlock => Kind::HtmlBlock,
        Tag::List(start) => Kind::List(start),
        Tag::Item => Kind::Item,
        Tag::Table(alignments) => Kind::Table(alignments),
        Tag::TableHead => Kind::TableHead,
        Tag::TableRow => Kind::TableRow,
        Tag::TableCell => Kind::TableCell,
        Tag::Emphasis => Kind::Emphasis,
        Tag::Strong => Kind::Strong,
        Tag::Strikethrough => Kind::Strikethrough,
        Tag::Link { dest_url, .. } => Kind::Link(dest_url.to_string()),
        Tag::Image { dest_url, .. } => Kind::Image(dest_url.to_string()),
        _ => Kind::Plain,
    }
}

/// The document as a tree, built iteratively from the event stream. With `mentions`, a link to
/// `user:ID` right after an `@` is a mention (the `@` is dropped: the mention shows its own).
fn parse(text: &str, mentions: bool) -> Vec<Node> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut stack: Vec<(Kind, Vec<Node>)> = Vec::new();
    let mut root = Vec::new();
    // Starts past MAX_DEPTH that were not opened; their ends are skipped too (events nest).
    let mut flattened = 0usize;
    for event in Parser::new_ext(text, options) {
        let node = match event {
            Event::Start(tag) => {
                if stack.len() >= MAX_DEPTH {
                    flattened += 1;
                } else {
                    let kind = match tag {
                        Tag::Link { dest_url, .. } if mentions && dest_url.starts_with("user:") => {
                            let siblings = match stack.last_mut() {
                                Some((_, children)) => children,
                                None => &mut root,
                            };
                            match siblings.last_mut() {
                                Some(Node::Text(before)) if before.ends_with('@') => {
                                    before.pop();
                                    Kind::Mention(dest_url["user:".len()..].to_string())
                                }
                                _ => Kind::Link(dest_url.to_string()),
                            }
                        }
                        tag => kind(tag),
                    };
                    stack.push((kind, Vec::new()));
                }
                continue;
            }
            Event::End(_) => {
                if flattened > 0 {
                    flattened -= 1;
                    continue;
                }
                let Some((kind, children)) = stack.pop() else { continue };
                Node::Element(kind, children)
            }
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => Node::Text(text.into_string()),
            Event::InlineMath(text) | Event::DisplayMath(text) | Event::FootnoteReference(text) => Node::Text(text.into_string()),
            Event::Code(code) => Node::Code(code.into_string()),
            Event::SoftBreak => Node::SoftBreak,
            Event::HardBreak => Node::HardBreak,
            Event::Rule => Node::Rule,
            Event::TaskListMarker(done) => Node::Task(done),
        };
        match stack.last_mut() {
            Some((_, children)) => children.push(node),
            None => root.push(node),
        }
    }
    // The parser closes everything it opens; this only guards against a future surprise.
    while let Some((kind, children)) = stack.pop() {
        let node = Node::Element(kind, children);
        match stack.last_mut() {
            Some((_, siblings)) => siblings.push(node),
            None => root.push(node),
        }
    }
    root
}

/// All the text under `nodes` (for code blocks, whose content is text only).
fn plain_text(nodes: &[Node], out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(t) | Node::Code(t) => out.push_str(t),
            Node::SoftBreak | Node::HardBreak => out.push('\n'),
            Node::Element(_, children) => plain_text(children, out),
            Node::Rule | Node::Task(_) => {}
        }
    }
}

const LINK: &str = "text-indigo-600 underline hover:text-indigo-500 dark:text-indigo-400";
const CELL: &str = "border border-zinc-200 px-2 py-1 align-top dark:border-zinc-700";

fn align_class(alignment: Option<&Alignment>) -> &'static str {
    match alignment {
        Some(Alignment::Center) => "text-center",
        Some(Alignment::Right) => "text-right",
        _ => "text-left",
    }
}

fn render_all(nodes: Vec<Node>, locale: Locale) -> AnyView {
    nodes.into_iter().map(|node| render(node, locale)).collect_view().into_any()
}

fn render(node: Node, locale: Locale) -> AnyView {
    match node {
        Node::Text(text) => text.into_any(),
        Node::Code(code) => view! { <code class="rounded bg-zinc-100 px-1 py-0.5 font-mono text-xs dark:bg-zinc-800">{code}</code> }.into_any(),
        Node::SoftBreak | Node::HardBreak => view! { <br /> }.into_any(),
        Node::Rule => view! { <hr class="border-zinc-200 dark:border-zinc-800" /> }.into_any(),
        Node::Task(done) => view! { <input type="checkbox" class="mr-1 align-middle" disabled=true checked=done /> }.into_any(),
        Node::Element(kind, children) => element(kind, children, locale),
    }
}

fn element(kind: Kind, children: Vec<Node>, locale: Locale) -> AnyView {
    match kind {
        Kind::Paragraph => view! { <p>{render_all(children, locale)}</p> }.into_any(),
        Kind::Heading(level) => {
            let content = render_all(children, locale);
            match level {
                1 => view! { <h1 class="text-base font-semibold">{content}</h1> }.into_any(),
                2 => view! { <h2 class="text-sm font-semibold">{content}</h2> }.into_any(),
                3 => view! { <h3 class="text-sm font-semibold">{content}</h3> }.into_any(),
                _ => view! { <h4 class="text-sm font-medium">{content}</h4> }.into_any(),
            }
        }
        Kind::Quote => view! { <blockquote class="space-y-2 border-l-2 border-zinc-300 pl-3 text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">{render_all(children, locale)}</blockquote> }.into_any(),
        Kind::CodeBlock(lang) => {
            let mut code = String::new();
            plain_text(&children, &mut code);
            view! {
                <div>
                    {lang.map(|lang| view! { <p class="text-xs uppercase tracking-wide text-zinc-500">{lang}</p> })}
                    <pre class="overflow-auto whitespace-pre rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900"><code>{code}</code></pre>
                </div>
            }
            .into_any()
        }
        Kind::HtmlBlock => {
            let mut html = String::new();
            plain_text(&children, &mut html);
            view! { <pre class="overflow-auto whitespace-pre-wrap break-words font-mono text-xs text-zinc-600 dark:text-zinc-400">{html}</pre> }.into_any()
        }
        Kind::List(None) => view! { <ul class="list-disc space-y-1 pl-5">{render_all(children, locale)}</ul> }.into_any(),
        Kind::List(Some(start)) => view! { <ol class="list-decimal space-y-1 pl-5" start=start>{render_all(children, locale)}</ol> }.into_any(),
        Kind::Item => view! { <li>{render_all(children, locale)}</li> }.into_any(),
        Kind::Table(alignments) => {
            let mut head = Vec::new();
            let mut rows = Vec::new();
            for child in children {
                match child {
                    Node::Element(Kind::TableHead, cells) => head = cells,
                    Node::Element(Kind::TableRow, cells) => rows.push(cells),
                    _ => {}
                }
            }
            let cells = move |cells: Vec<Node>, header: bool| {
                cells
                    .into_iter()
                    .enumerate()
                    .map(|(i, cell)| {
                        let class = format!("{CELL} {}", align_class(alignments.get(i)));
                        let content = match cell {
                            Node::Element(_, content) => render_all(content, locale),
                            other => render(other, locale),
                        };
                        if header { view! { <th class=format!("{class} font-semibold")>{content}</th> }.into_any() } else { view! { <td class=class>{content}</td> }.into_any() }
                    })
                    .collect_view()
            };
            view! {
                <div class="overflow-x-auto">
                    <table class="border-collapse text-xs">
                        <thead class="bg-zinc-50 dark:bg-zinc-900"><tr>{cells(head, true)}</tr></thead>
                        <tbody>{rows.into_iter().map(|row| view! { <tr>{cells(row, false)}</tr> }).collect_view()}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }
        // Only reached when a table part was cut loose by the depth limit.
        Kind::TableHead | Kind::TableRow | Kind::TableCell | Kind::Plain => render_all(children, locale),
        Kind::Emphasis => view! { <em>{render_all(children, locale)}</em> }.into_any(),
        Kind::Strong => view! { <strong class="font-semibold">{render_all(children, locale)}</strong> }.into_any(),
        Kind::Strikethrough => view! { <del>{render_all(children, locale)}</del> }.into_any(),
        Kind::Link(href) => match safe_href(&href) {
            Some(href) => view! { <a class=LINK href=href rel="noopener noreferrer nofollow" target="_blank">{render_all(children, locale)}</a> }.into_any(),
            None => view! { <span>{render_all(children, locale)}</span> }.into_any(),
        },
        // The alt text, as a link to the image: nothing is loaded unless the reader asks.
        Kind::Image(src) => match safe_href(&src) {
            Some(href) => view! { <a class=LINK href=href rel="noopener noreferrer nofollow" target="_blank">{td_string!(locale, trace.content.image)}{render_all(children, locale)}</a> }.into_any(),
            None => view! { <span>{td_string!(locale, trace.content.image)}{render_all(children, locale)}</span> }.into_any(),
        },
        Kind::Mention(account) => view! {
            <span class="rounded bg-indigo-50 px-1 font-medium text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300" data-testid="mention" data-account=account>
                "@"{render_all(children, locale)}
            </span>
        }
        .into_any(),
    }
}

/// `text` rendered as markdown; a string that is not markdown becomes a paragraph.
pub fn markdown(text: &str, locale: Locale) -> AnyView {
    view! { <div data-testid="markdown" class="space-y-2 break-words leading-relaxed">{render_all(parse(text, false), locale)}</div> }.into_any()
}

/// A comment (#20): markdown as [`markdown`] renders it, with its mentions (`@[Name](user:ID)`)
/// shown as a highlighted `@Name`.
pub fn comment_markdown(text: &str, locale: Locale) -> AnyView {
    view! { <div data-testid="markdown" class="space-y-2 break-words leading-relaxed">{render_all(parse(text, true), locale)}</div> }.into_any()
}
