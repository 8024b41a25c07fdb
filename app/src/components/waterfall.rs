//! The waterfall of a trace: one row per observation, indented by nesting, with a bar on a
//! shared (zoomable) time axis, or as a plain tree with latency, tokens and cost.
//!
//! Virtualized: the rows live in a scroll box whose inner height is `rows × ROW_HEIGHT`, and only
//! the rows inside the viewport (plus a margin) exist in the DOM, absolutely placed. Opening or
//! scrolling a trace of 100,000 observations therefore touches ~60 DOM rows, and collapsing a
//! subtree recomputes the visible list in time proportional to what stays visible
//! ([`TraceTree::visible`]).
//!
//! Keyboard (the tree has focus): ↑/↓ move the selection, → expands or steps into the children,
//! ← collapses or steps out to the parent, Enter toggles, Home/End jump to the ends. The
//! selection is the observation whose panel is open.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::html;
use leptos::prelude::*;

use crate::domain::waterfall::{format_duration_us, TraceTree};
use crate::domain::{ObservationLevel, ObservationType};

/// Pixel height of one row; every row has it, which is what makes virtualization exact.
const ROW_HEIGHT: f64 = 26.0;
/// Rows rendered above and below the viewport, so fast scrolling does not show blanks.
const OVERSCAN: usize = 12;
/// Indentation stops growing past this depth (a 100,000-deep chain would otherwise push names
/// off-screen); deeper rows show their depth instead.
const MAX_INDENT: u32 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaterfallMode {
    /// Bars on the time axis.
    Timeline,
    /// Names with latency, tokens and cost columns.
    Tree,
}

/// The part of the trace's duration that is on screen, as fractions (0..=1).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    from: f64,
    to: f64,
}

impl Window {
    const ALL: Window = Window { from: 0.0, to: 1.0 };

    /// Zoom by `factor` (< 1 zooms in) around `center`, staying inside the trace.
    fn zoom(self, factor: f64, center: f64) -> Window {
        let width = ((self.to - self.from) * factor).clamp(1e-6, 1.0);
        let from = (center - width / 2.0).clamp(0.0, 1.0 - width);
        Window { from, to: from + width }
    }

    fn is_all(self) -> bool {
        self.from <= 0.0 && self.to >= 1.0
    }
}

pub fn type_label(kind: ObservationType) -> &'static str {
    match kind {
        ObservationType::Span => "SPAN",
        ObservationType::Generation => "GEN",
        ObservationType::Event => "EVENT",
        ObservationType::Agent => "AGENT",
        ObservationType::Tool => "TOOL",
        ObservationType::Chain => "CHAIN",
        ObservationType::Retriever => "RETRIEVER",
        ObservationType::Evaluator => "EVAL",
        ObservationType::Embedding => "EMBED",
        ObservationType::Guardrail => "GUARD",
    }
}

/// Badge colors per type; the bar uses the matching solid color.
pub fn type_badge(kind: ObservationType) -> &'static str {
    match kind {
        ObservationType::Generation => "bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300",
        ObservationType::Event => "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
        ObservationType::Agent => "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
        ObservationType::Tool => "bg-orange-100 text-orange-800 dark:bg-orange-950 dark:text-orange-300",
        ObservationType::Retriever | ObservationType::Embedding => "bg-teal-100 text-teal-800 dark:bg-teal-950 dark:text-teal-300",
        ObservationType::Evaluator | ObservationType::Guardrail => "bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300",
        ObservationType::Span | ObservationType::Chain => "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
    }
}

fn bar_color(kind: ObservationType) -> &'static str {
    match kind {
        ObservationType::Generation => "bg-violet-400",
        ObservationType::Event => "bg-amber-400",
        ObservationType::Agent => "bg-emerald-400",
        ObservationType::Tool => "bg-orange-400",
        ObservationType::Retriever | ObservationType::Embedding => "bg-teal-400",
        ObservationType::Evaluator | ObservationType::Guardrail => "bg-rose-400",
        ObservationType::Span | ObservationType::Chain => "bg-sky-400",
    }
}

fn level_marker(level: ObservationLevel) -> Option<(&'static str, &'static str)> {
    match level {
        ObservationLevel::Error => Some(("bg-red-500", "Error")),
        ObservationLevel::Warning => Some(("bg-amber-500", "Warning")),
        _ => None,
    }
}

pub fn format_cost(usd: f64) -> String {
    if usd == 0.0 {
        "$0".into()
    } else if usd < 0.01 {
        format!("${usd:.6}")
    } else {
        format!("${usd:.4}")
    }
}

/// The waterfall of a loaded tree. `selected` holds the selected observation's id; the
/// component selects the first row when nothing valid is selected.
#[component]
pub fn Waterfall(
    tree: Arc<TraceTree>,
    selected: RwSignal<Option<String>>,
    /// Height of the scroll box, a utility class such as `h-[65vh]`.
    height: &'static str,
) -> impl IntoView {
    let count = tree.len();
    let ends = Arc::new(tree.subtree_ends());
    let parents = Arc::new(tree.parents(&ends));
    let tree = StoredValue::new(tree);
    let ends = StoredValue::new(ends);
    let parents = StoredValue::new(parents);

    let collapsed = RwSignal::new(HashSet::<u32>::new());
    let visible = Memo::new(move |_| collapsed.with(|c| tree.with_value(|t| ends.with_value(|e| t.visible(e, c)))));
    let mode = RwSignal::new(WaterfallMode::Timeline);
    let window = RwSignal::new(Window::ALL);

    let scroller = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(640.0f64);

    // The selected row (by id, so it survives collapsing and reloads of the tree).
    let selected_row = Memo::new(move |_| selected.with(|id| id.as_deref().and_then(|id| tree.with_value(|t| t.row_of(id)))));
    Effect::new(move || {
        if selected_row.get().is_none() && count > 0 {
            selected.set(Some(tree.with_value(|t| t.id[0].clone())));
        }
    });

    // Measure the viewport once mounted and whenever the window is resized.
    let measure = move || {
        if let Some(el) = scroller.get_untracked() {
            viewport.set(f64::from(el.client_height()).max(ROW_HEIGHT));
            scroll_top.set(f64::from(el.scroll_top()));
        }
    };
    Effect::new(move || {
        if scroller.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());

    // Scroll so that visible position `pos` is inside the viewport.
    let reveal = move |pos: usize| {
        let Some(el) = scroller.get_untracked() else { return };
        let top = pos as f64 * ROW_HEIGHT;
        let current = f64::from(el.scroll_top());
        let height = f64::from(el.client_height());
        if top < current {
            el.set_scroll_top(top as i32);
        } else if top + ROW_HEIGHT > current + height {
            el.set_scroll_top((top + ROW_HEIGHT - height) as i32);
        }
    };

    // Expand every ancestor of the selected row so it is visible (a link may select a row deep
    // inside a collapsed subtree), then bring it into view once.
    Effect::new(move || {
        let Some(row) = selected_row.get() else { return };
        let hidden: Vec<u32> = tree.with_value(|t| {
            let mut ancestors = Vec::new();
            let mut at = t.parent(row);
            while let Some(p) = at {
                ancestors.push(p as u32);
                at = t.parent(p);
            }
            ancestors
        });
        if collapsed.with_untracked(|c| hidden.iter().any(|a| c.contains(a))) {
            collapsed.update(|c| hidden.iter().for_each(|a| {
                c.remove(a);
            }));
        }
        if let Ok(pos) = visible.with_untracked(|v| v.binary_search(&(row as u32))) {
            reveal(pos);
        }
    });

    let toggle = move |row: u32| {
        collapsed.update(|c| {
            if !c.remove(&row) {
                c.insert(row);
            }
        })
    };
    let select_pos = move |pos: usize| {
        if let Some(row) = visible.with_untracked(|v| v.get(pos).copied()) {
            selected.set(Some(tree.with_value(|t| t.id[row as usize].clone())));
            reveal(pos);
        }
    };

    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(row) = selected_row.get_untracked() else { return };
        let Ok(pos) = visible.with_untracked(|v| v.binary_search(&(row as u32))) else { return };
        let last = visible.with_untracked(|v| v.len().saturating_sub(1));
        let has_children = parents.with_value(|p| p.contains(&(row as u32)));
        let is_collapsed = collapsed.with_untracked(|c| c.contains(&(row as u32)));
        match ev.key().as_str() {
            "ArrowDown" => select_pos((pos + 1).min(last)),
            "ArrowUp" => select_pos(pos.saturating_sub(1)),
            "Home" => select_pos(0),
            "End" => select_pos(last),
            "PageDown" => select_pos((pos + (viewport.get_untracked() / ROW_HEIGHT) as usize).min(last)),
            "PageUp" => select_pos(pos.saturating_sub((viewport.get_untracked() / ROW_HEIGHT) as usize)),
            "ArrowRight" if has_children && is_collapsed => toggle(row as u32),
            "ArrowRight" if has_children => select_pos(pos + 1),
            "ArrowLeft" if has_children && !is_collapsed => toggle(row as u32),
            "ArrowLeft" => {
                if let Some(parent) = tree.with_value(|t| t.parent(row)) {
                    if let Ok(p) = visible.with_untracked(|v| v.binary_search(&(parent as u32))) {
                        select_pos(p);
                    }
                }
            }
            "Enter" | " " if has_children => toggle(row as u32),
            _ => return,
        }
        ev.prevent_default();
    };

    // The rows to render: the visible positions inside the viewport, plus the margin.
    let rendered = Memo::new(move |_| {
        let first = ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
        let shown = (viewport.get() / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        visible.with(|v| v.iter().enumerate().skip(first).take(shown).map(|(pos, row)| (pos, *row)).collect::<Vec<_>>())
    });

    let zoom_center = move || {
        selected_row
            .get_untracked()
            .map(|row| {
                tree.with_value(|t| {
                    let total = t.duration_us.max(1) as f64;
                    let end = if t.end[row] >= 0 { t.end[row] } else { t.start[row] };
                    (t.start[row] + end) as f64 / 2.0 / total
                })
            })
            .unwrap_or_else(|| window.with_untracked(|w| (w.from + w.to) / 2.0))
    };
    let zoom_to_selection = move |_| {
        if let Some(row) = selected_row.get_untracked() {
            let (from, to) = tree.with_value(|t| {
                let total = t.duration_us.max(1) as f64;
                let end = if t.end[row] >= 0 { t.end[row] } else { t.start[row] };
                (t.start[row] as f64 / total, end as f64 / total)
            });
            // A little air on both sides; a point gets a small window around it.
            let pad = ((to - from) * 0.05).max(1e-4);
            window.set(Window { from: (from - pad).max(0.0), to: (to + pad).min(1.0) });
        }
    };
    let duration_us = tree.with_value(|t| t.duration_us);

    // Find by name (or id, or model): the matching rows in tree order; Enter / the arrows step
    // through them, selecting each (which expands its ancestors and scrolls to it).
    let find = RwSignal::new(String::new());
    let matches = Memo::new(move |_| {
        let needle = find.get().trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        tree.with_value(|t| {
            (0..t.len())
                .filter(|&r| {
                    t.name(r).is_some_and(|n| n.to_lowercase().contains(&needle))
                        || t.model(r).is_some_and(|m| m.to_lowercase().contains(&needle))
                        || t.id[r].to_lowercase() == needle
                })
                .map(|r| r as u32)
                .collect::<Vec<_>>()
        })
    });
    let step_match = move |forward: bool| {
        let found = matches.get_untracked();
        if found.is_empty() {
            return;
        }
        let current = selected_row.get_untracked().map(|r| r as u32);
        let next = match (current, forward) {
            (Some(c), true) => found.iter().copied().find(|&r| r > c).unwrap_or(found[0]),
            (Some(c), false) => found.iter().rev().copied().find(|&r| r < c).unwrap_or(found[found.len() - 1]),
            (None, _) => found[0],
        };
        selected.set(Some(tree.with_value(|t| t.id[next as usize].clone())));
    };
    let match_position = move || {
        let found = matches.get();
        let current = selected_row.get().map(|r| r as u32);
        match current.and_then(|c| found.binary_search(&c).ok()) {
            Some(i) => format!("{} of {}", i + 1, found.len()),
            None => format!("{} found", found.len()),
        }
    };

    view! {
        <div class="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-3 py-2 text-xs dark:border-zinc-800">
            <span class="text-zinc-500" data-testid="waterfall-count">
                {move || {
                    let shown = visible.with(Vec::len);
                    if shown == count { format!("{count} observations") } else { format!("{shown} of {count} observations shown") }
                }}
            </span>
            <div class="flex items-center gap-1">
                <input type="search" placeholder="Find by name or model" aria-label="Find observations" data-testid="waterfall-find"
                    class="w-44 rounded border border-zinc-300 bg-white px-2 py-0.5 text-xs dark:border-zinc-700 dark:bg-zinc-900"
                    prop:value=move || find.get()
                    on:input=move |ev| find.set(event_target_value(&ev))
                    on:keydown=move |ev| match ev.key().as_str() {
                        "Enter" | "ArrowDown" => { ev.prevent_default(); step_match(!ev.shift_key()); }
                        "ArrowUp" => { ev.prevent_default(); step_match(false); }
                        _ => {}
                    } />
                <Show when=move || !find.with(|f| f.trim().is_empty())>
                    <span class="whitespace-nowrap text-zinc-500" data-testid="waterfall-matches">{match_position}</span>
                    <button type="button" class=TOOL aria-label="Previous match" on:click=move |_| step_match(false)>"↑"</button>
                    <button type="button" class=TOOL aria-label="Next match" data-testid="waterfall-next-match" on:click=move |_| step_match(true)>"↓"</button>
                </Show>
            </div>
            <div class="ml-auto flex items-center gap-1">
                <div class="mr-2 inline-flex overflow-hidden rounded-md border border-zinc-300 dark:border-zinc-700" role="group" aria-label="View">
                    <button type="button" data-testid="mode-timeline"
                        class=move || mode_button(mode.get() == WaterfallMode::Timeline)
                        aria-pressed=move || (mode.get() == WaterfallMode::Timeline).to_string()
                        on:click=move |_| mode.set(WaterfallMode::Timeline)>"Timeline"</button>
                    <button type="button" data-testid="mode-tree"
                        class=move || mode_button(mode.get() == WaterfallMode::Tree)
                        aria-pressed=move || (mode.get() == WaterfallMode::Tree).to_string()
                        on:click=move |_| mode.set(WaterfallMode::Tree)>"Tree"</button>
                </div>
                <button type="button" class=TOOL data-testid="expand-all" on:click=move |_| collapsed.set(HashSet::new())>"Expand all"</button>
                <button type="button" class=TOOL data-testid="collapse-all"
                    on:click=move |_| collapsed.set(parents.with_value(|p| (**p).clone()))>"Collapse all"</button>
                <Show when=move || mode.get() == WaterfallMode::Timeline>
                    <span class="mx-1 h-4 w-px bg-zinc-200 dark:bg-zinc-800"></span>
                    <button type="button" class=TOOL title="Zoom out" aria-label="Zoom out" data-testid="zoom-out"
                        on:click=move |_| window.update(|w| *w = w.zoom(2.0, zoom_center()))>"−"</button>
                    <button type="button" class=TOOL title="Zoom in" aria-label="Zoom in" data-testid="zoom-in"
                        on:click=move |_| window.update(|w| *w = w.zoom(0.5, zoom_center()))>"+"</button>
                    <button type="button" class=TOOL data-testid="zoom-selection" on:click=zoom_to_selection>"Fit selection"</button>
                    <button type="button" class=TOOL data-testid="zoom-reset" disabled=move || window.get().is_all()
                        on:click=move |_| window.set(Window::ALL)>"Reset"</button>
                </Show>
            </div>
        </div>
        <div class="grid grid-cols-[minmax(0,1fr)_minmax(0,1fr)] border-b border-zinc-200 text-[10px] text-zinc-500 dark:border-zinc-800">
            <span class="px-3 py-1">"Name"</span>
            {move || match mode.get() {
                WaterfallMode::Timeline => {
                    let w = window.get();
                    view! {
                        <span class="relative h-5" data-testid="time-axis">
                            {(0..=4).map(|k| {
                                let at = k as f64 / 4.0;
                                let us = ((w.from + (w.to - w.from) * at) * duration_us as f64) as i64;
                                let style = if k == 4 { "right: 0.25rem".to_string() } else { format!("left: {:.1}%", at * 100.0) };
                                view! { <span class="absolute top-1 whitespace-nowrap font-mono" style=style>{format_duration_us(us)}</span> }
                            }).collect_view()}
                        </span>
                    }.into_any()
                }
                WaterfallMode::Tree => view! {
                    <span class="grid grid-cols-3 px-3 py-1 text-right"><span>"Latency"</span><span>"Tokens"</span><span>"Cost"</span></span>
                }.into_any(),
            }}
        </div>
        <div node_ref=scroller class=format!("relative {height} overflow-auto outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-500")
            tabindex="0" role="tree" aria-label="Observations" data-testid="waterfall"
            aria-activedescendant=move || selected_row.get().map(|r| format!("obs-row-{r}"))
            on:scroll=move |_| {
                if let Some(el) = scroller.get_untracked() {
                    scroll_top.set(f64::from(el.scroll_top()));
                }
            }
            on:keydown=on_key>
            <div class="relative" style=move || format!("height: {}px", visible.with(Vec::len) as f64 * ROW_HEIGHT)>
                <For each=move || rendered.get() key=|item| *item children=move |(pos, row)| {
                        let row = row as usize;
                        let (id, depth, kind, level, name, model, latency, tokens, cost, first_token) = tree.with_value(|t| (
                            t.id[row].clone(), t.depth[row], t.kind(row), t.level(row), t.name(row).map(str::to_string),
                            t.model(row).map(str::to_string), t.latency_us(row), t.tokens(row), t.cost[row], t.first_token_at(row),
                        ));
                        let has_children = parents.with_value(|p| p.contains(&(row as u32)));
                        let is_selected = move || selected_row.get() == Some(row);
                        let is_collapsed = move || collapsed.with(|c| c.contains(&(row as u32)));
                        let indent = depth.min(MAX_INDENT) as f64 * 0.75;
                        let title = format!(
                            "{} · {}{}",
                            name.clone().unwrap_or_else(|| "unnamed".into()),
                            latency.map(format_duration_us).unwrap_or_else(|| "running".into()),
                            model.clone().map(|m| format!(" · {m}")).unwrap_or_default(),
                        );
                        let select_id = id.clone();
                        view! {
                            <div id=format!("obs-row-{row}") role="treeitem" data-testid="waterfall-row" data-observation-id=id.clone()
                                data-depth=depth attr:aria-level=depth + 1
                                aria-expanded=has_children.then(|| move || (!is_collapsed()).to_string())
                                aria-selected=move || is_selected().to_string()
                                title=title
                                class=move || format!(
                                    "absolute inset-x-0 grid cursor-pointer grid-cols-[minmax(0,1fr)_minmax(0,1fr)] items-center border-l-2 text-xs {} {}",
                                    if is_selected() { "bg-indigo-50 dark:bg-indigo-950" } else { "hover:bg-zinc-50 dark:hover:bg-zinc-900" },
                                    if matches.with(|m| m.binary_search(&(row as u32)).is_ok()) { "border-amber-400" } else { "border-transparent" },
                                )
                                style=format!("top: {}px; height: {ROW_HEIGHT}px", pos as f64 * ROW_HEIGHT)
                                on:click=move |_| selected.set(Some(select_id.clone()))>
                                <span class="flex min-w-0 items-center gap-1 pr-2" style=format!("padding-left: calc(0.5rem + {indent}rem)")>
                                    {if has_children {
                                        view! {
                                            <button type="button" tabindex="-1" data-testid="toggle-row"
                                                class="w-4 shrink-0 text-zinc-400 hover:text-zinc-900 dark:hover:text-zinc-100"
                                                aria-label=move || if is_collapsed() { "Expand" } else { "Collapse" }
                                                on:click=move |ev| { ev.stop_propagation(); toggle(row as u32); }>
                                                {move || if is_collapsed() { "▸" } else { "▾" }}
                                            </button>
                                        }.into_any()
                                    } else {
                                        view! { <span class="w-4 shrink-0"></span> }.into_any()
                                    }}
                                    {(depth > MAX_INDENT).then(|| view! { <span class="shrink-0 font-mono text-[10px] text-zinc-400">{format!("L{depth}")}</span> })}
                                    <span class=format!("shrink-0 rounded px-1 font-mono text-[10px] {}", type_badge(kind))>{type_label(kind)}</span>
                                    {level_marker(level).map(|(color, label)| view! {
                                        <span class=format!("h-2 w-2 shrink-0 rounded-full {color}") title=label aria-label=label data-testid="level-marker"></span>
                                    })}
                                    <span class="truncate" data-testid="row-name">{name.clone().unwrap_or_else(|| "—".into())}</span>
                                </span>
                                {move || match mode.get() {
                                    WaterfallMode::Timeline => {
                                        let w = window.get();
                                        let (left, width) = tree.with_value(|t| t.bar(row, w.from, w.to));
                                        view! {
                                            <span class="relative mr-3 h-3 overflow-hidden rounded bg-zinc-100 dark:bg-zinc-800">
                                                <span class=format!("absolute top-0 h-3 rounded {}", bar_color(kind)) data-testid="row-bar"
                                                    style=format!("left: {:.4}%; width: max({:.4}%, 2px)", left * 100.0, width * 100.0)>
                                                    {first_token.map(|f| view! {
                                                        <span class="absolute top-0 h-3 w-px bg-zinc-900 dark:bg-white" title="First token" data-testid="first-token"
                                                            style=format!("left: {:.1}%", f * 100.0)></span>
                                                    })}
                                                </span>
                                            </span>
                                        }.into_any()
                                    }
                                    WaterfallMode::Tree => view! {
                                        <span class="grid grid-cols-3 px-3 text-right font-mono text-[11px] text-zinc-600 dark:text-zinc-400">
                                            <span>{latency.map(format_duration_us).unwrap_or_else(|| "—".into())}</span>
                                            <span>{tokens.map(|t| t.to_string()).unwrap_or_else(|| "—".into())}</span>
                                            <span>{cost.map(format_cost).unwrap_or_else(|| "—".into())}</span>
                                        </span>
                                    }.into_any(),
                                }}
                            </div>
                        }
                    } />
            </div>
        </div>
        <p class="border-t border-zinc-200 px-3 py-1.5 text-[10px] text-zinc-500 dark:border-zinc-800">
            "↑ ↓ move · ← → collapse / expand · Enter toggles · Home / End"
        </p>
    }
}

const TOOL: &str = "rounded px-1.5 py-0.5 text-zinc-600 hover:bg-zinc-100 disabled:opacity-40 dark:text-zinc-400 dark:hover:bg-zinc-800";

fn mode_button(active: bool) -> &'static str {
    if active {
        "bg-zinc-900 px-2 py-0.5 text-white dark:bg-zinc-100 dark:text-zinc-900"
    } else {
        "px-2 py-0.5 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800"
    }
}
