//! The waterfall of a trace: one row per observation, indented by nesting, with a bar on a
//! shared (zoomable) time axis, or as a plain tree with latency, tokens and cost.
//!
//! Virtualized: the rows live in a scroll box whose inner height is `rows × ROW_HEIGHT`, and only
//! the rows inside the viewport (plus a margin) exist in the DOM, absolutely placed. Opening or
//! scrolling a trace of 100,000 observations therefore touches ~60 DOM rows, and collapsing a
//! subtree recomputes the visible list in time proportional to what stays visible
//! ([`TraceTree::visible`]).
//!
//! `state.rs` holds the shared state and the moves; `toolbar.rs` the controls and the axis;
//! `rows.rs` the virtualized rows.
//!
//! Keyboard (the tree has focus): ↑/↓ move the selection, → expands or steps into the children,
//! ← collapses or steps out to the parent, Enter toggles, Home/End jump to the ends. The
//! selection is the observation whose panel is open.

use std::sync::Arc;

use leptos::prelude::*;

use crate::domain::waterfall::TraceTree;
use crate::domain::{ObservationLevel, ObservationType};
use crate::i18n::*;

mod rows;
mod state;
mod toolbar;

use rows::Rows;
use state::WaterfallState;
use toolbar::{AxisHeader, Toolbar};

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
pub(super) struct Window {
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

/// The type's name in words, in `locale` (the badge shows the type as the SDKs and the public API
/// write it; this is its tooltip and accessible name).
pub fn type_name(locale: crate::i18n::Locale, kind: ObservationType) -> &'static str {
    use crate::i18n::td_string;
    match kind {
        ObservationType::Span => td_string!(locale, trace.types.span),
        ObservationType::Generation => td_string!(locale, trace.types.generation),
        ObservationType::Event => td_string!(locale, trace.types.event),
        ObservationType::Agent => td_string!(locale, trace.types.agent),
        ObservationType::Tool => td_string!(locale, trace.types.tool),
        ObservationType::Chain => td_string!(locale, trace.types.chain),
        ObservationType::Retriever => td_string!(locale, trace.types.retriever),
        ObservationType::Evaluator => td_string!(locale, trace.types.evaluator),
        ObservationType::Embedding => td_string!(locale, trace.types.embedding),
        ObservationType::Guardrail => td_string!(locale, trace.types.guardrail),
    }
}

/// The badge: the type as the SDKs write it, shortened (`GEN`), not translated (it is what people
/// filter and instrument by); [`type_name`] says it in words.
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

pub(super) fn bar_color(kind: ObservationType) -> &'static str {
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

pub(super) fn level_marker(level: ObservationLevel, locale: Locale) -> Option<(&'static str, &'static str)> {
    match level {
        ObservationLevel::Error => Some(("bg-red-500", td_string!(locale, trace.waterfall_view.error))),
        ObservationLevel::Warning => Some(("bg-amber-500", td_string!(locale, trace.waterfall_view.warning))),
        _ => None,
    }
}

pub use crate::domain::format::cost as format_cost;

/// The waterfall of a loaded tree. `selected` holds the selected observation's id; the
/// component selects the first row when nothing valid is selected.
#[component]
pub fn Waterfall(
    tree: Arc<TraceTree>,
    selected: RwSignal<Option<String>>,
    /// Height of the scroll box, a utility class such as `h-[65vh]`.
    height: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = WaterfallState::new(tree, selected);
    Effect::new(move || {
        if state.selected_row.get().is_none() && state.count > 0 {
            selected.set(Some(state.tree.with_value(|t| t.id[0].clone())));
        }
    });
    // Measure the viewport once mounted and whenever the window is resized.
    Effect::new(move || {
        if state.scroller.get().is_some() {
            state.measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| state.measure());
    on_cleanup(move || resize.remove());
    Effect::new(move || state.show_selected());
    view! {
        <Toolbar state />
        <AxisHeader state />
        <Rows state height />
        <p class="border-t border-zinc-200 px-3 py-1.5 text-[10px] text-zinc-500 dark:border-zinc-800">
            {t_string!(i18n, trace.waterfall_view.keyboard_help)}
        </p>
    }
}

pub(super) const TOOL: &str = "rounded px-1.5 py-0.5 text-zinc-600 hover:bg-zinc-100 disabled:opacity-40 dark:text-zinc-400 dark:hover:bg-zinc-800";

pub(super) fn mode_button(active: bool) -> &'static str {
    if active {
        "bg-zinc-900 px-2 py-0.5 text-white dark:bg-zinc-100 dark:text-zinc-900"
    } else {
        "px-2 py-0.5 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800"
    }
}
