//! Above the rows: the count, the find box, the view switch, expand/collapse all and the zoom
//! controls; then the time axis (or the tree view's column heads).

use std::collections::HashSet;

use leptos::prelude::*;

use super::state::WaterfallState;
use super::{mode_button, Window, WaterfallMode, TOOL};
use crate::domain::waterfall::format_duration_us;

#[component]
pub(super) fn Toolbar(state: WaterfallState) -> impl IntoView {
    view! {
        <div class="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-3 py-2 text-xs dark:border-zinc-800">
            <span class="text-zinc-500" data-testid="waterfall-count">
                {move || {
                    let shown = state.visible.with(Vec::len);
                    let count = state.count;
                    if shown == count { format!("{count} observations") } else { format!("{shown} of {count} observations shown") }
                }}
            </span>
            <div class="flex items-center gap-1">
                <input type="search" placeholder="Find by name or model" aria-label="Find observations" data-testid="waterfall-find"
                    class="w-44 rounded border border-zinc-300 bg-white px-2 py-0.5 text-xs dark:border-zinc-700 dark:bg-zinc-900"
                    prop:value=move || state.find.get()
                    on:input=move |ev| state.find.set(event_target_value(&ev))
                    on:keydown=move |ev| match ev.key().as_str() {
                        "Enter" | "ArrowDown" => { ev.prevent_default(); state.step_match(!ev.shift_key()); }
                        "ArrowUp" => { ev.prevent_default(); state.step_match(false); }
                        _ => {}
                    } />
                <Show when=move || !state.find.with(|f| f.trim().is_empty())>
                    <span class="whitespace-nowrap text-zinc-500" data-testid="waterfall-matches">{move || state.match_position()}</span>
                    <button type="button" class=TOOL aria-label="Previous match" on:click=move |_| state.step_match(false)>"↑"</button>
                    <button type="button" class=TOOL aria-label="Next match" data-testid="waterfall-next-match" on:click=move |_| state.step_match(true)>"↓"</button>
                </Show>
            </div>
            <div class="ml-auto flex flex-wrap items-center gap-1">
                <div class="mr-2 inline-flex overflow-hidden rounded-md border border-zinc-300 dark:border-zinc-700" role="group" aria-label="View">
                    <button type="button" data-testid="mode-timeline"
                        class=move || mode_button(state.mode.get() == WaterfallMode::Timeline)
                        aria-pressed=move || (state.mode.get() == WaterfallMode::Timeline).to_string()
                        on:click=move |_| state.mode.set(WaterfallMode::Timeline)>"Timeline"</button>
                    <button type="button" data-testid="mode-tree"
                        class=move || mode_button(state.mode.get() == WaterfallMode::Tree)
                        aria-pressed=move || (state.mode.get() == WaterfallMode::Tree).to_string()
                        on:click=move |_| state.mode.set(WaterfallMode::Tree)>"Tree"</button>
                </div>
                <button type="button" class=TOOL data-testid="expand-all" on:click=move |_| state.collapsed.set(HashSet::new())>"Expand all"</button>
                <button type="button" class=TOOL data-testid="collapse-all"
                    on:click=move |_| state.collapsed.set(state.parents.with_value(|p| (**p).clone()))>"Collapse all"</button>
                <Show when=move || state.mode.get() == WaterfallMode::Timeline>
                    <span class="mx-1 h-4 w-px bg-zinc-200 dark:bg-zinc-800"></span>
                    <button type="button" class=TOOL title="Zoom out" aria-label="Zoom out" data-testid="zoom-out"
                        on:click=move |_| state.window.update(|w| *w = w.zoom(2.0, state.zoom_center()))>"−"</button>
                    <button type="button" class=TOOL title="Zoom in" aria-label="Zoom in" data-testid="zoom-in"
                        on:click=move |_| state.window.update(|w| *w = w.zoom(0.5, state.zoom_center()))>"+"</button>
                    <button type="button" class=TOOL data-testid="zoom-selection" on:click=move |_| state.zoom_to_selection()>"Fit selection"</button>
                    <button type="button" class=TOOL data-testid="zoom-reset" disabled=move || state.window.get().is_all()
                        on:click=move |_| state.window.set(Window::ALL)>"Reset"</button>
                </Show>
            </div>
        </div>
    }
}

#[component]
pub(super) fn AxisHeader(state: WaterfallState) -> impl IntoView {
    view! {
        <div class="grid grid-cols-[minmax(0,1fr)_minmax(0,1fr)] border-b border-zinc-200 text-[10px] text-zinc-500 dark:border-zinc-800">
            <span class="px-3 py-1">"Name"</span>
            {move || match state.mode.get() {
                WaterfallMode::Timeline => {
                    let w = state.window.get();
                    view! {
                        <span class="relative h-5" data-testid="time-axis">
                            {(0..=4).map(|k| {
                                let at = k as f64 / 4.0;
                                let us = ((w.from + (w.to - w.from) * at) * state.duration_us as f64) as i64;
                                // The ends align inward and the middle ones centre on their tick, so
                                // labels never run into each other; the quarter ticks only where
                                // the axis is wide enough for five labels.
                                let (style, class) = match k {
                                    0 => ("left: 0.25rem".to_string(), "absolute top-1 whitespace-nowrap font-mono"),
                                    4 => ("right: 0.25rem".to_string(), "absolute top-1 whitespace-nowrap font-mono"),
                                    2 => (format!("left: {:.1}%; transform: translateX(-50%)", at * 100.0), "absolute top-1 whitespace-nowrap font-mono"),
                                    _ => (format!("left: {:.1}%; transform: translateX(-50%)", at * 100.0), "absolute top-1 hidden whitespace-nowrap font-mono 2xl:inline"),
                                };
                                view! { <span class=class style=style>{format_duration_us(us)}</span> }
                            }).collect_view()}
                        </span>
                    }.into_any()
                }
                WaterfallMode::Tree => view! {
                    <span class="grid grid-cols-3 px-3 py-1 text-right" title="Tokens and cost include everything below a row"><span>"Latency"</span><span>"Tokens Σ"</span><span>"Cost Σ"</span></span>
                }.into_any(),
            }}
        </div>
    }
}
