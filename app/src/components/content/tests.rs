//! Server-rendered `ContentView`s, read back as HTML: untrusted content must come out as text,
//! never as markup, scripts, event handlers or script URLs.

use leptos::prelude::*;
use leptos::tachys::view::RenderHtml;
use serde_json::{json, Value};

use super::ContentView;

fn render(value: Value) -> String {
    let owner = Owner::new();
    without_markers(owner.with(|| view! { <ContentView value=Some(value) testid="view" /> }.to_html()))
}

/// The HTML without the hydration markers (`<!>`, `<!--<() />-->`) between dynamic parts.
fn without_markers(html: String) -> String {
    html.replace("<!>", "").replace("<!--<() />-->", "")
}

/// A tag as found in the HTML: its name and attributes (values still HTML-escaped).
#[derive(Debug)]
struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
}

/// The tags of `html`. Text is escaped by the renderer, so every `<` starts a real tag; quoted
/// attribute values cannot contain `"` (it is escaped too), so splitting on quotes is exact.
fn tags(html: &str) -> Vec<Tag> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let name_end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = &rest[name_end..];
        let mut attributes = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                break;
            }
            let key_end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '>').unwrap_or(rest.len());
            let key = rest[..key_end].to_ascii_lowercase();
            rest = &rest[key_end..];
            let mut value = String::new();
            if let Some(after) = rest.strip_prefix('=') {
                if let Some(quoted) = after.strip_prefix('"') {
                    let end = quoted.find('"').expect("closing quote");
                    value = quoted[..end].to_string();
                    rest = &quoted[end + 1..];
                } else {
                    let end = after.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(after.len());
                    value = after[..end].to_string();
                    rest = &after[end..];
                }
            }
            attributes.push((key, value));
        }
        found.push(Tag { name, attributes });
    }
    found
}

/// No script or foreign element, no event handler, no link or source other than web/mail links,
/// in-page anchors and inline raster images.
fn assert_inert(html: &str) {
    for tag in tags(html) {
        assert!(!matches!(tag.name.as_str(), "script" | "iframe" | "object" | "embed" | "style" | "svg" | "math" | "form"), "element <{}> in {html}", tag.name);
        for (key, value) in &tag.attributes {
            assert!(!key.starts_with("on"), "event handler {key}={value} on <{}>", tag.name);
            assert!(!matches!(key.as_str(), "style" | "srcdoc" | "formaction"), "{key} on <{}>", tag.name);
            let value = value.to_ascii_lowercase();
            if key == "href" {
                assert!(value.starts_with("http://") || value.starts_with("https://") || value.starts_with("mailto:") || value.starts_with('#'), "href {value}");
            }
            if key == "src" {
                assert!(value.starts_with("data:image/png;base64,"), "src {value}");
            }
        }
        if tag.name == "img" {
            assert!(tag.attributes.iter().any(|(k, _)| k == "src"));
        }
    }
    // Text is escaped, so any `<script` would be a real element.
    assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
}

const PAYLOADS: &str = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) \
[d](data:text/html;base64,PHNjcmlwdD4=) [v](vbscript:msgbox(1)) <a href=\"javascript:alert(2)\">z</a> \
<javascript:alert(3)> ![pic](javascript:alert(4)) ![remote](https://evil.example/track.png) \"><svg onload=alert(5)>";

#[test]
fn markdown_payloads_are_text() {
    let html = render(json!(PAYLOADS));
    assert_inert(&html);
    assert!(html.contains("data-testid=\"markdown\""));
    // Shown, escaped, rather than dropped.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
    assert!(!tags(&html).iter().any(|t| t.name == "img"), "a remote image must not load: {html}");
    // The remote image is offered as a link instead.
    assert!(html.contains("href=\"https://evil.example/track.png\""), "{html}");
}

#[test]
fn chat_payloads_are_text() {
    let html = render(json!([
        {"role": "system", "content": PAYLOADS},
        {"role": "user\"><script>alert(1)</script>", "name": "<img src=x onerror=alert(1)>", "content": [
            {"type": "text", "text": PAYLOADS},
            {"type": "image_url", "image_url": {"url": "javascript:alert(1)"}},
            {"type": "image_url", "image_url": {"url": "https://evil.example/x.png\" onerror=\"alert(1)"}},
            {"type": "image_url", "image_url": {"url": "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"}},
            {"type": "<script>", "x": "<script>alert(1)</script>"}
        ]},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": PAYLOADS},
            {"type": "tool_use", "id": "javascript:alert(1)", "name": "<script>alert(1)</script>", "input": {"<img src=x onerror=alert(1)>": "<script>alert(1)</script>"}}
        ], "tool_calls": [
            {"id": "call_2", "type": "function", "function": {"name": "f", "arguments": "<script>alert(1)</script> not json"}},
            {"id": "call_3", "type": "function", "function": {"name": "g", "arguments": "{\"<script>\": \"javascript:alert(1)\"}"}}
        ]},
        {"role": "tool", "tool_call_id": "javascript:alert(1)", "content": PAYLOADS},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "\"><script>alert(1)</script>", "content": [{"type": "text", "text": PAYLOADS}]}]}
    ]));
    assert_inert(&html);
    assert_eq!(html.matches("data-testid=\"chat-message\"").count(), 5, "{html}");
    assert_eq!(html.matches("data-testid=\"tool-call\"").count(), 3, "{html}");
    assert!(!tags(&html).iter().any(|t| t.name == "img"), "no image may load here: {html}");
    // The tool message links to its call by position, not by the untrusted id.
    assert!(html.contains("href=\"#view-call-2-0\"") && html.contains("id=\"view-call-2-0\""), "{html}");
}

#[test]
fn json_payloads_are_text() {
    let html = render(json!({
        "<script>alert(1)</script>": "<img src=x onerror=alert(1)>",
        "link": "javascript:alert(1)",
        "nested": [{"\"><svg onload=alert(1)>": ["<script>", 1, null, true]}]
    }));
    assert_inert(&html);
    assert!(html.contains("data-testid=\"json-tree\""));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
}

#[test]
fn raw_view_is_the_default_off_and_escapes() {
    let html = render(json!({"a": "<script>alert(1)</script>"}));
    assert!(html.contains("data-testid=\"view\"") && html.contains("data-testid=\"content-raw-toggle\""), "{html}");
    assert!(!html.contains("content-raw\""), "pretty is the default: {html}");
    let raw = without_markers(Owner::new().with(|| super::raw_view(&json!({"a": "<script>alert(1)</script>"}), crate::i18n::Locale::en).to_html()));
    assert_inert(&raw);
    assert!(raw.contains("data-testid=\"content-raw\"") && raw.contains("&lt;script&gt;"), "{raw}");
}

#[test]
fn markdown_document_renders_its_structure() {
    let html = render(json!(
        "# Title\n\nSome *emphasis*, **strong**, ~~gone~~ and `code`.\n\n## Steps\n\n1. first\n2. second\n\n- a\n- [x] done\n\n\
> quoted\n\n```rust\nfn main() {}\n```\n\n| h1 | h2 |\n|:--|--:|\n| c1 | c2 |\n\n---\n\n[docs](https://example.com/docs) and <mailto:a@example.com>"
    ));
    assert_inert(&html);
    for needle in [
        "<h1", ">Title</h1>", "<h2", "<em>emphasis</em>", "<strong", "<del>gone</del>", ">code</code>", "<ol", "<li>first</li>", "<ul", "type=\"checkbox\"",
        "<blockquote", "<pre", "fn main() {}", "<table", "<th", "<td", "<hr", "href=\"https://example.com/docs\"", "rel=\"noopener noreferrer nofollow\"",
        "target=\"_blank\"", "href=\"mailto:a@example.com\"",
    ] {
        assert!(html.contains(needle), "missing {needle} in {html}");
    }
}

#[test]
fn plain_text_is_a_paragraph() {
    let html = render(json!("just words"));
    assert!(html.contains("<p>just words</p>"), "{html}");
}

#[test]
fn inline_raster_images_are_shown_and_others_are_not() {
    let png = "data:image/png;base64,iVBORw0KGgo=";
    let html = render(json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": png}}]}]));
    assert_inert(&html);
    assert!(html.contains(&format!("src=\"{png}\"")), "{html}");
    let html = render(json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]));
    assert!(!tags(&html).iter().any(|t| t.name == "img") && html.contains("href=\"https://example.com/a.png\""), "{html}");
}

#[test]
fn chat_shows_roles_tool_calls_and_other_fields() {
    let html = render(json!({
        "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_abc", "content": "18"}
        ],
        "tools": [{"type": "function"}]
    }));
    for role in ["user", "assistant", "tool"] {
        assert!(html.contains(&format!("data-role=\"{role}\"")), "{role}: {html}");
    }
    assert!(html.contains("get_weather") && html.contains("Paris") && html.contains("result of "), "{html}");
    assert!(html.contains("data-testid=\"chat-other\"") && html.contains("tools"), "{html}");
}

#[test]
fn long_text_is_cut_with_a_show_all_button() {
    let text = "é".repeat(150_000); // 300,000 bytes
    let html = render(json!(text));
    assert!(html.contains("show all (293 KB)"), "button");
    let shown = html.matches('é').count();
    assert!(shown > 90_000 && shown <= 102_400, "{shown} characters shown");
}

#[test]
fn long_arrays_show_the_first_hundred() {
    let html = render(json!((0..250).collect::<Vec<_>>()));
    assert!(html.contains("show 150 more"), "button");
    assert!(html.contains(">99</span>") && !html.contains(">100</span>"), "first hundred only");
}

#[test]
fn deep_values_collapse_and_stop() {
    let mut value = json!("bottom");
    for _ in 0..120 {
        value = Value::Array(vec![value]);
    }
    let html = render(value);
    assert!(html.contains("nested too deep to show here"), "depth limit");
    assert!(!html.contains("bottom"));
    assert_eq!(html.matches("<details open").count(), 30, "levels beyond 30 start collapsed");
}

#[test]
fn deeply_nested_markdown_does_not_blow_the_stack() {
    let html = render(json!(format!("{}deep", ">".repeat(50_000))));
    assert!(html.contains("deep"));
    let html = render(json!(format!("{}x", "- ".repeat(20_000))));
    assert!(html.contains("x"));
}

#[test]
fn nothing_is_a_dash() {
    let html = Owner::new().with(|| view! { <ContentView value=None testid="none" /> }.to_html());
    assert!(html.contains("data-testid=\"none\"") && html.contains("—"), "{html}");
}

/// A comment (#20) renders its mentions as highlighted `@Name`s, and is otherwise as inert as
/// any LLM output; the same token in LLM output is plain text.
#[test]
fn comment_mentions_are_highlighted_and_the_rest_is_text() {
    let owner = Owner::new();
    let comment = "Hi @[Ann <b>Lee</b>](user:acc-1), see [docs](https://example.com) and @[Bo](user:javascript:alert(1))\n\n".to_string() + PAYLOADS;
    let html = without_markers(owner.with(|| super::comment_markdown(&comment, crate::i18n::Locale::en).to_html()));
    assert_inert(&html);
    let all = tags(&html);
    let mentions: Vec<&Tag> = all.iter().filter(|t| t.attributes.iter().any(|(k, v)| k == "data-testid" && v == "mention")).collect();
    assert_eq!(mentions.len(), 2, "{html}");
    assert!(mentions.iter().all(|t| t.name == "span"), "a mention is not a link: {html}");
    assert!(html.contains("Hi <span"), "the typed @ is replaced by the mention's own: {html}");
    assert!(html.contains("@Ann &lt;b&gt;Lee&lt;/b&gt;</span>"), "{html}");
    assert!(html.contains("href=\"https://example.com\""), "ordinary links stay links: {html}");
    let plain = without_markers(owner.with(|| view! { <ContentView value=Some(json!("@[Ann](user:acc-1)")) testid="llm" /> }.to_html()));
    assert!(!plain.contains("data-testid=\"mention\""), "LLM output has no mentions: {plain}");
}
