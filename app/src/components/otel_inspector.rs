//! The OTel mapping inspector: an observation's raw OpenTelemetry attributes, each with the
//! fields ingestion mapped it to (`domain::otel_inspector`), grouped by where it was set (span,
//! resource, instrumentation scope), with a filter on keys and fields.
//!
//! Values come from SDKs and LLMs: rendered as text only. Long values are cut with a "more"
//! toggle so one prompt does not push everything else off the screen. The filter hides rows
//! rather than rebuilding them, so an expanded value stays expanded while filtering.

use leptos::prelude::*;

use crate::components::content::page_locale;
use crate::domain::otel_inspector::{AttrScope, AttributeRow};
use crate::i18n::{td_string, Locale};

/// Characters of a value shown before "more".
const SHORT_VALUE: usize = 160;

const FILTER_INPUT: &str = "block w-full max-w-xs rounded-md border border-zinc-300 bg-white px-2 py-1 text-xs placeholder:text-zinc-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30 dark:border-zinc-700 dark:bg-zinc-900";
/// One attribute, stacked: key, value, fields. The inspector sits in the observation panel, a
/// narrow column even on a wide screen, where side-by-side columns cut the fields' badges.
const ROW: &str = "px-3 py-1.5";
const UNMAPPED_ROW: &str = "px-3 py-1.5 opacity-60";
const BADGE: &str = "inline-flex max-w-full items-center break-all rounded bg-indigo-50 px-1.5 py-0.5 font-mono text-xs text-indigo-700 ring-1 ring-inset ring-indigo-200 dark:bg-indigo-950 dark:text-indigo-300 dark:ring-indigo-900";

/// `rows` as `domain::otel_inspector::rows` orders them (by scope, mapped first, then by key).
#[component]
pub fn OtelInspector(rows: Vec<AttributeRow>) -> impl IntoView {
    let locale = page_locale();
    let filter = RwSignal::new(String::new());
    let total = rows.len();
    let mapped = rows.iter().filter(|r| r.is_mapped()).count();
    // Every row's key and fields, to tell whether anything matches the filter at all.
    let searchable: Vec<AttributeRow> = rows.iter().map(|r| AttributeRow { value: serde_json::Value::Null, ..r.clone() }).collect();
    let nothing_matches = move || {
        let filter = filter.get();
        !searchable.iter().any(|r| r.matches(&filter))
    };

    if rows.is_empty() {
        return view! {
            <div data-testid="otel-inspector" class="px-1 py-2 text-xs text-zinc-500 dark:text-zinc-400">
                {td_string!(locale, trace.otel.none)}
            </div>
        }
        .into_any();
    }

    let groups = AttrScope::ALL
        .into_iter()
        .filter_map(|scope| {
            let group: Vec<AttributeRow> = rows.iter().filter(|r| r.scope == scope).cloned().collect();
            (!group.is_empty()).then(|| view! { <ScopeGroup scope=scope rows=group filter=filter locale=locale /> })
        })
        .collect_view();

    view! {
        <div data-testid="otel-inspector" class="space-y-3 text-xs">
            <div class="flex flex-wrap items-center gap-3">
                <input
                    type="search"
                    class=FILTER_INPUT
                    placeholder=td_string!(locale, trace.otel.filter_placeholder)
                    aria-label=td_string!(locale, trace.otel.filter_label)
                    data-testid="otel-inspector-filter"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
                <span class="text-zinc-500 dark:text-zinc-400">{td_string!(locale, trace.otel.mapped_count, mapped = mapped, total = total).to_string()}</span>
            </div>
            {groups}
            <p class="text-zinc-500 dark:text-zinc-400" style:display=move || if nothing_matches() { "" } else { "none" } data-testid="otel-inspector-no-match">
                {td_string!(locale, trace.otel.no_match)}
            </p>
        </div>
    }
    .into_any()
}

#[component]
fn ScopeGroup(scope: AttrScope, rows: Vec<AttributeRow>, filter: RwSignal<String>, locale: Locale) -> impl IntoView {
    let count = rows.len();
    let keys: Vec<AttributeRow> = rows.iter().map(|r| AttributeRow { value: serde_json::Value::Null, ..r.clone() }).collect();
    let hidden = move || {
        let filter = filter.get();
        !keys.iter().any(|r| r.matches(&filter))
    };
    let scope_name = match scope {
        AttrScope::Span => "span",
        AttrScope::Resource => "resource",
        AttrScope::Scope => "scope",
    };
    // `AttrScope::label`'s English, in the page's language.
    let scope_label = match scope {
        AttrScope::Span => td_string!(locale, trace.otel.span_attributes),
        AttrScope::Resource => td_string!(locale, trace.otel.resource_attributes),
        AttrScope::Scope => td_string!(locale, trace.otel.instrumentation_scope),
    };
    view! {
        <section class="rounded-lg border border-zinc-200 dark:border-zinc-800" style:display=move || if hidden() { "none" } else { "" } data-scope=scope_name>
            <h4 class="border-b border-zinc-200 px-3 py-1.5 text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
                {scope_label} <span class="font-normal normal-case">{format!(" ({count})")}</span>
            </h4>
            // A list, not a table: each attribute stacks (key, value, fields), so a field's badge
            // is never cut and a value wraps between words, at phone width too.
            <div class="divide-y divide-zinc-100 dark:divide-zinc-900" role="list">
                {rows.into_iter().map(|row| view! { <AttributeLine row=row filter=filter locale=locale /> }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn AttributeLine(row: AttributeRow, filter: RwSignal<String>, locale: Locale) -> impl IntoView {
    let text = row.value_text();
    let is_long = text.chars().count() > SHORT_VALUE;
    let short: String = if is_long { text.chars().take(SHORT_VALUE).collect::<String>() + "…" } else { String::new() };
    let expanded = RwSignal::new(false);
    let value = move || if is_long && !expanded.get() { short.clone() } else { text.clone() };
    let is_mapped = row.is_mapped();
    let mapped_to = row.mapped_to.join(" ");
    let value_type = row.value_type();
    let fields = row.mapped_to.clone();
    let stored_as = row.stored_as.clone();
    let key = row.key.clone();
    let data_key = row.key.clone();
    let hidden = move || !row.matches(&filter.get());
    view! {
        <div
            role="listitem"
            data-testid="otel-attribute"
            data-key=data_key
            data-mapped-to=mapped_to
            class=if is_mapped { ROW } else { UNMAPPED_ROW }
            style:display=move || if hidden() { "none" } else { "" }
        >
            <div class="break-all font-mono font-medium text-zinc-900 dark:text-zinc-100">{key}</div>
            <div class="mt-0.5 min-w-0">
                <span class="mr-1 text-xs uppercase text-zinc-400 dark:text-zinc-500">{value_type}</span>
                <span class="whitespace-pre-wrap break-words font-mono text-zinc-700 dark:text-zinc-300" data-testid="otel-attribute-value">{value}</span>
                {stored_as.map(|field| view! {
                    <span class="ml-1 text-xs italic text-zinc-400 dark:text-zinc-500" data-testid="otel-attribute-stored-as">
                        {td_string!(locale, trace.otel.stored_as, field = field).to_string()}
                    </span>
                })}
                {is_long.then(|| view! {
                    <button
                        type="button"
                        class="ml-1 text-xs font-medium text-indigo-600 hover:underline dark:text-indigo-400"
                        data-testid="otel-attribute-more"
                        on:click=move |_| expanded.update(|e| *e = !*e)
                    >
                        {move || if expanded.get() { td_string!(locale, trace.otel.less) } else { td_string!(locale, trace.otel.more) }}
                    </button>
                })}
            </div>
            <div class="mt-1 min-w-0">
                {if is_mapped {
                    view! {
                        <span class="flex flex-wrap items-center gap-1">
                            <span class="text-zinc-400" aria-label=td_string!(locale, trace.otel.mapped_to)>"→"</span>
                            {fields.into_iter().map(|f| view! { <span class=BADGE data-testid="otel-field">{f}</span> }).collect_view()}
                        </span>
                    }
                    .into_any()
                } else {
                    view! { <span class="italic text-zinc-400 dark:text-zinc-500">{td_string!(locale, trace.otel.not_mapped)}</span> }.into_any()
                }}
            </div>
        </div>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(scope: AttrScope, key: &str, value: serde_json::Value, mapped_to: &[&str]) -> AttributeRow {
        AttributeRow { scope, key: key.into(), value, mapped_to: mapped_to.iter().map(|f| f.to_string()).collect(), stored_as: None }
    }

    fn render(rows: Vec<AttributeRow>) -> String {
        let owner = Owner::new();
        owner.set();
        view! { <OtelInspector rows=rows /> }.to_html()
    }

    #[test]
    fn rows_carry_their_key_and_fields_and_untrusted_values_stay_text() {
        let html = render(vec![
            row(AttrScope::Span, "langfuse.observation.input", json!("<script>alert(1)</script>"), &["input", "trace.input"]),
            row(AttrScope::Span, "http.route", json!("/chat"), &[]),
            row(AttrScope::Resource, "service.name", json!("svc"), &[]),
        ]);
        assert!(html.contains(r#"data-testid="otel-inspector""#), "{html}");
        assert!(html.contains(r#"data-key="langfuse.observation.input""#));
        assert!(html.contains(r#"data-mapped-to="input trace.input""#));
        assert!(html.contains(r#"data-key="http.route" data-mapped-to="""#), "{html}");
        assert!(html.contains("not mapped"));
        assert!(!html.contains("<script>alert(1)"), "values are escaped text: {html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("Span attributes") && html.contains("Resource attributes"));
        assert!(!html.contains("Instrumentation scope"), "empty groups are left out");
        assert!(html.contains("1 of 3 attributes mapped"));
    }

    #[test]
    fn long_values_are_cut_with_a_more_toggle() {
        let long = "x".repeat(SHORT_VALUE + 40);
        let html = render(vec![row(AttrScope::Span, "k", json!(long), &["output"])]);
        assert!(html.contains(&format!("{}…", "x".repeat(SHORT_VALUE))));
        assert!(!html.contains(&long));
        assert!(html.contains(r#"data-testid="otel-attribute-more""#));
    }

    #[test]
    fn no_attributes_says_so() {
        assert!(render(Vec::new()).contains("not sent over OTLP"));
    }
}
