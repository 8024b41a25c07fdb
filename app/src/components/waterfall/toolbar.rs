//! Above the rows: the count, the find box, the view switch, expand/collapse all and the zoom
//! controls; then the time axis (or the tree view's column heads).

use std::collections::HashSet;

use leptos::prelude::*;

use super::state::WaterfallState;
use super::{mode_button, Window, WaterfallMode, TOOL};
use crate::i18n::*;

#[component]
pub(super) fn Toolbar(state: WaterfallState) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <div class="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-3 py-2 text-xs dark:border-zinc-800">
            <span class="text-zinc-500" data-testid="waterfall-count">
                {move || {
                    let shown = state.visible.with(Vec::len);
                    let count = state.count;
                    if shown == count {
                        td_string!(locale, trace.waterfall_view.count, count = count).to_string()
                    } else {
                        td_string!(locale, trace.waterfall_view.shown_of, shown = shown, count = count).to_string()
                    }
                }}
            </span>
            <div class="flex items-center gap-1">
                <input type="search" placeholder=t_string!(i18n, trace.waterfall_view.find_placeholder) aria-label=t_string!(i18n, trace.waterfall_view.find_label) data-testid="waterfall-find"
                    class="w-44 rounded border border-zinc-300 bg-white px-2 py-0.5 text-xs dark:border-zinc-700 dark:bg-zinc-900"
                    prop:value=move || state.find.get()
                    on:input=move |ev| state.find.set(event_target_value(&ev))
                    on:keydown=move |ev| match ev.key().as_str() {
                        "Enter" | "ArrowDown" => { ev.prevent_default(); state.step_match(!ev.shift_key()); }
                        "ArrowUp" => { ev.prevent_default(); state.step_match(false); }
                        _ => {}
                    } />
                <Show when=move || !state.find.with(|f| f.trim().is_empty())>
                    <span class="whitespace-nowrap text-zinc-500" data-testid="waterfall-matches">{move || state.match_position(locale)}</span>
                    <button type="button" class=TOOL aria-label=t_string!(i18n, trace.waterfall_view.previous_match) on:click=move |_| state.step_match(false)>"↑"</button>
                    <button type="button" class=TOOL aria-label=t_string!(i18n, trace.waterfall_view.next_match) data-testid="waterfall-next-match" on:click=move |_| state.step_match(true)>"↓"</button>
                </Show>
            </div>
            <div class="ml-auto flex flex-wrap items-center gap-1">
                <div class="mr-2 inline-flex overflow-hidden rounded-md border border-zinc-300 dark:border-zinc-700" role="group" aria-label=t_string!(i18n, trace.waterfall_view.view)>
                    <button type="button" data-testid="mode-timeline"
                        class=move || mode_button(state.mode.get() == WaterfallMode::Timeline)
                        aria-pressed=move || (state.mode.get() == WaterfallMode::Timeline).to_string()
                        on:click=move |_| state.mode.set(WaterfallMode::Timeline)>{t_string!(i18n, trace.waterfall_view.timeline)}</button>
                    <button type="button" data-testid="mode-tree"
                        class=move || mode_button(state.mode.get() == WaterfallMode::Tree)
                        aria-pressed=move || (state.mode.get() == WaterfallMode::Tree).to_string()
                        on:click=move |_| state.mode.set(WaterfallMode::Tree)>{t_string!(i18n, trace.waterfall_view.tree)}</button>
                </div>
                <button type="button" class=TOOL data-testid="expand-all" on:click=move |_| state.collapsed.set(HashSet::new())>{t_string!(i18n, trace.waterfall_view.expand_all)}</button>
                <button type="button" class=TOOL data-testid="collapse-all"
                    on:click=move |_| state.collapsed.set(state.parents.with_value(|p| (**p).clone()))>{t_string!(i18n, trace.waterfall_view.collapse_all)}</button>
                <Show when=move || state.mode.get() == WaterfallMode::Timeline>
                    <span class="mx-1 h-4 w-px bg-zinc-200 dark:bg-zinc-800"></span>
                    <button type="button" class=TOOL title=t_string!(i18n, trace.waterfall_view.zoom_out) aria-label=t_string!(i18n, trace.waterfall_view.zoom_out) data-testid="zoom-out"
                        on:click=move |_| state.window.update(|w| *w = w.zoom(2.0, state.zoom_center()))>"−"</button>
                    <button type="button" class=TOOL title=t_string!(i18n, trace.waterfall_view.zoom_in) aria-label=t_string!(i18n, trace.waterfall_view.zoom_in) data-testid="zoom-in"
                        on:click=move |_| state.window.update(|w| *w = w.zoom(0.5, state.zoom_center()))>"+"</button>
                    <button type="button" class=TOOL data-testid="zoom-selection" on:click=move |_| state.zoom_to_selection()>{t_string!(i18n, trace.waterfall_view.fit_selection)}</button>
                    <button type="button" class=TOOL data-testid="zoom-reset" disabled=move || state.window.get().is_all()
                        on:click=move |_| state.window.set(Window::ALL)>{t_string!(i18n, trace.waterfall_view.reset)}</button>
                </Show>
            </div>
        </div>
    }
}

#[component]
pub(super) fn AxisHeader(state: WaterfallState) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let i18n = use_i18n();
    view! {
        <div class="grid grid-cols-[minmax(0,1fr)_minmax(0,1fr)] border-b border-zinc-200 text-[10px] text-zinc-500 dark:border-zinc-800">
            <span class="px-3 py-1">{t_string!(i18n, trace.waterfall_view.name)}</span>
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
                                view! { <span class=class style=style>{crate::language::duration_us(locale, us)}</span> }
                            }).collect_view()}
                        </span>
                    }.into_any()
                }
                WaterfallMode::Tree => view! {
                    <span class="grid grid-cols-3 px-3 py-1 text-right" title=t_string!(i18n, trace.waterfall_view.totals_hint)>
                        <span>{t_string!(i18n, trace.latency)}</span><span>{t_string!(i18n, trace.waterfall_view.tokens_total)}</span><span>{t_string!(i18n, trace.waterfall_view.cost_total)}</span>
                    </span>
                }.into_any(),
            }}
        </div>
    }
}
