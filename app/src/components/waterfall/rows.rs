//! The virtualized rows: a scroll box `visible rows × ROW_HEIGHT` tall holding only the rows in
//! the viewport (± `OVERSCAN`), absolutely placed; and one row (its name cell, and a bar on the
//! time axis or the tree view's numbers).

use leptos::prelude::*;

use super::state::WaterfallState;
use super::{bar_color, format_cost, level_marker, type_badge, type_label, type_name, WaterfallMode, MAX_INDENT, ROW_HEIGHT};
use crate::domain::ObservationLevel;
use crate::i18n::*;

#[component]
pub(super) fn Rows(state: WaterfallState, height: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div node_ref=state.scroller class=format!("relative {height} overflow-auto outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-500")
            tabindex="0" role="tree" aria-label=t_string!(i18n, trace.waterfall_view.observations) data-testid="waterfall"
            aria-activedescendant=move || state.selected_row.get().map(|r| format!("obs-row-{r}"))
            on:scroll=move |_| {
                if let Some(el) = state.scroller.get_untracked() {
                    state.scroll_top.set(f64::from(el.scroll_top()));
                }
            }
            on:keydown=move |ev| state.on_key(ev)>
            <div class="relative" style=move || format!("height: {}px", state.visible.with(Vec::len) as f64 * ROW_HEIGHT)>
                <For each=move || state.rendered.get() key=|item| *item children=move |(pos, row)| view! { <Row state pos row=row as usize /> } />
            </div>
        </div>
    }
}

/// One observation's row, at visible position `pos`.
#[component]
fn Row(state: WaterfallState, pos: usize, row: usize) -> impl IntoView {
        let (id, depth, kind, level, name, model, latency, tokens, cost, first_token) = state.tree.with_value(|t| (
        t.id[row].clone(), t.depth[row], t.kind(row), t.level(row), t.name(row).map(str::to_string),
        t.model(row).map(str::to_string), t.latency_us(row), t.tokens(row), t.cost[row], t.first_token_at(row),
    ));
    let locale = use_i18n().get_locale_untracked();
    let has_children = state.has_children(row as u32);
    let is_selected = move || state.selected_row.get() == Some(row);
    let is_collapsed = move || state.collapsed.with(|c| c.contains(&(row as u32)));
    let indent = depth.min(MAX_INDENT) as f64 * 0.75;
    let title = format!(
        "{} · {}{}",
        name.clone().unwrap_or_else(|| td_string!(locale, trace.waterfall_view.unnamed).into()),
        latency.map(|us| crate::language::duration_us(locale, us)).unwrap_or_else(|| td_string!(locale, trace.facts.running).into()),
        model.clone().map(|m| format!(" · {m}")).unwrap_or_default(),
    );
    let select_id = id.clone();
    view! {
        <div id=format!("obs-row-{row}") role="treeitem" translate="no" data-testid="waterfall-row" data-observation-id=id.clone()
            data-depth=depth attr:aria-level=depth + 1
            aria-expanded=has_children.then(|| move || (!is_collapsed()).to_string())
            aria-selected=move || is_selected().to_string()
            title=title
            class=move || format!(
                "absolute inset-x-0 grid cursor-pointer grid-cols-[minmax(0,1fr)_minmax(0,1fr)] items-center border-l-2 text-xs {} {}",
                match (is_selected(), level) {
                    (true, _) => "bg-indigo-50 dark:bg-indigo-950",
                    // Errors show at a glance: a tinted row and a red bar, not only the dot.
                    (false, ObservationLevel::Error) => "bg-red-50 text-red-900 hover:bg-red-100 dark:bg-red-950/40 dark:text-red-200 dark:hover:bg-red-950/60",
                    (false, _) => "hover:bg-zinc-50 dark:hover:bg-zinc-900",
                },
                if state.matches.with(|m| m.binary_search(&(row as u32)).is_ok()) { "border-amber-400" } else { "border-transparent" },
            )
            style=format!("top: {}px; height: {ROW_HEIGHT}px", pos as f64 * ROW_HEIGHT)
            on:click=move |_| state.selected.set(Some(select_id.clone()))>
            <span class="flex min-w-0 items-center gap-1 pr-2" style=format!("padding-left: calc(0.5rem + {indent}rem)")>
                {if has_children {
                    view! {
                        <button type="button" tabindex="-1" data-testid="toggle-row"
                            class="w-4 shrink-0 text-zinc-400 hover:text-zinc-900 dark:hover:text-zinc-100"
                            aria-label=move || if is_collapsed() { td_string!(locale, trace.waterfall_view.expand) } else { td_string!(locale, trace.waterfall_view.collapse) }
                            on:click=move |ev| { ev.stop_propagation(); state.toggle(row as u32); }>
                            {move || if is_collapsed() { "▸" } else { "▾" }}
                        </button>
                    }.into_any()
                } else {
                    view! { <span class="w-4 shrink-0"></span> }.into_any()
                }}
                {(depth > MAX_INDENT).then(|| view! { <span class="shrink-0 font-mono text-[10px] text-zinc-400">{format!("L{depth}")}</span> })}
                <span class=format!("shrink-0 rounded px-1 font-mono text-[10px] {}", type_badge(kind)) title=type_name(locale, kind) translate="no">{type_label(kind)}</span>
                {level_marker(level, locale).map(|(color, label)| view! {
                    <span class=format!("h-2 w-2 shrink-0 rounded-full {color}") title=label aria-label=label data-testid="level-marker"></span>
                })}
                <span class="truncate" data-testid="row-name">{name.clone().unwrap_or_else(|| "—".into())}</span>
            </span>
            {move || match state.mode.get() {
                WaterfallMode::Timeline => {
                    let w = state.window.get();
                    let (left, width) = state.tree.with_value(|t| t.bar(row, w.from, w.to));
                    view! {
                        <span class="relative mr-3 h-3 overflow-hidden rounded bg-zinc-100 dark:bg-zinc-800">
                            <span class=format!("absolute top-0 h-3 rounded {}", if level == ObservationLevel::Error { "bg-red-500" } else { bar_color(kind) }) data-testid="row-bar"
                                style=format!("left: {:.4}%; width: max({:.4}%, 2px)", left * 100.0, width * 100.0)>
                                {first_token.map(|f| view! {
                                    <span class="absolute top-0 h-3 w-px bg-zinc-900 dark:bg-white" title=td_string!(locale, trace.facts.first_token) data-testid="first-token"
                                        style=format!("left: {:.1}%", f * 100.0)></span>
                                })}
                            </span>
                        </span>
                    }.into_any()
                }
                WaterfallMode::Tree => {
                    // A parent shows what its subtree used; its own figures are in the tooltip.
                    let (total_cost, total_tokens) = state.totals.with_value(|t| (t.0[row], t.1[row]));
                    let own = |value: Option<String>, total: Option<String>| match (has_children, value) {
                        (true, Some(value)) if Some(&value) != total.as_ref() => td_string!(locale, trace.waterfall_view.on_its_own, value = value).to_string(),
                        _ => String::new(),
                    };
                    let tokens_text = total_tokens.map(crate::domain::format::count);
                    let cost_text = total_cost.map(format_cost);
                    view! {
                        <span class="grid grid-cols-3 px-3 text-right font-mono text-[11px] text-zinc-600 dark:text-zinc-400">
                            <span>{latency.map(|us| crate::language::duration_us(locale, us)).unwrap_or_else(|| "—".into())}</span>
                            <span data-testid="tree-tokens" title=own(tokens.map(crate::domain::format::count), tokens_text.clone())>{tokens_text.clone().unwrap_or_else(|| "—".into())}</span>
                            <span data-testid="tree-cost" title=own(cost.map(format_cost), cost_text.clone())>{cost_text.clone().unwrap_or_else(|| "—".into())}</span>
                        </span>
                    }.into_any()
                }
            }}
        </div>
    }
}
