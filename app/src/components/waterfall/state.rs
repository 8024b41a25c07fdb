//! The waterfall's state: the tree, what is collapsed and visible, the selection, the viewport,
//! the time window and the find box, as one `Copy` handle the parts share, with the moves a
//! person makes (select, toggle, zoom, step through matches) as methods.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::html;
use leptos::prelude::*;

use super::{Window, WaterfallMode, OVERSCAN, ROW_HEIGHT};
use crate::domain::waterfall::TraceTree;
use crate::i18n::{td_string, Locale};

#[derive(Clone, Copy)]
pub(super) struct WaterfallState {
    pub count: usize,
    pub duration_us: i64,
    pub tree: StoredValue<Arc<TraceTree>>,
    /// Rows that have children (what "collapse all" collapses).
    pub parents: StoredValue<Arc<HashSet<u32>>>,
    pub collapsed: RwSignal<HashSet<u32>>,
    /// Each row's cost and tokens with its subtree (the tree view's numbers).
    pub totals: StoredValue<Arc<(Vec<Option<f64>>, Vec<Option<i64>>)>>,
    /// The rows not inside a collapsed subtree, in tree order.
    pub visible: Memo<Vec<u32>>,
    pub mode: RwSignal<WaterfallMode>,
    pub window: RwSignal<Window>,
    /// The selected observation's id (the page's; it survives collapsing and reloads).
    pub selected: RwSignal<Option<String>>,
    pub selected_row: Memo<Option<usize>>,
    pub scroller: NodeRef<html::Div>,
    pub scroll_top: RwSignal<f64>,
    pub viewport: RwSignal<f64>,
    /// The rows to render: the visible positions inside the viewport, plus the margin.
    pub rendered: Memo<Vec<(usize, u32)>>,
    pub find: RwSignal<String>,
    /// Rows matching the find box (name, model, or exact id), in tree order.
    pub matches: Memo<Vec<u32>>,
}

impl WaterfallState {
    pub fn new(tree: Arc<TraceTree>, selected: RwSignal<Option<String>>) -> WaterfallState {
        let count = tree.len();
        let duration_us = tree.duration_us;
        let ends = Arc::new(tree.subtree_ends());
        let parents = StoredValue::new(Arc::new(tree.parents(&ends)));
        let ends = StoredValue::new(ends);
        let totals = StoredValue::new(Arc::new(tree.subtree_totals()));
        let tree = StoredValue::new(tree);
        let collapsed = RwSignal::new(HashSet::<u32>::new());
        let visible = Memo::new(move |_| collapsed.with(|c| tree.with_value(|t| ends.with_value(|e| t.visible(e, c)))));
        let selected_row = Memo::new(move |_| selected.with(|id| id.as_deref().and_then(|id| tree.with_value(|t| t.row_of(id)))));
        let scroll_top = RwSignal::new(0.0f64);
        let viewport = RwSignal::new(640.0f64);
        let rendered = Memo::new(move |_| {
            let first = ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
            let shown = (viewport.get() / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
            visible.with(|v| v.iter().enumerate().skip(first).take(shown).map(|(pos, row)| (pos, *row)).collect::<Vec<_>>())
        });
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
        WaterfallState {
            count,
            duration_us,
            tree,
            parents,
            collapsed,
            totals,
            visible,
            mode: RwSignal::new(WaterfallMode::Timeline),
            window: RwSignal::new(Window::ALL),
            selected,
            selected_row,
            scroller: NodeRef::new(),
            scroll_top,
            viewport,
            rendered,
            find,
            matches,
        }
    }

    /// Reads the viewport's size and scroll position (once mounted, and on window resizes).
    pub fn measure(self) {
        if let Some(el) = self.scroller.get_untracked() {
            self.viewport.set(f64::from(el.client_height()).max(ROW_HEIGHT));
            self.scroll_top.set(f64::from(el.scroll_top()));
        }
    }

    /// Scrolls so that visible position `pos` is inside the viewport.
    pub fn reveal(self, pos: usize) {
        let Some(el) = self.scroller.get_untracked() else { return };
        let top = pos as f64 * ROW_HEIGHT;
        let current = f64::from(el.scroll_top());
        let height = f64::from(el.client_height());
        if top < current {
            el.set_scroll_top(top as i32);
        } else if top + ROW_HEIGHT > current + height {
            el.set_scroll_top((top + ROW_HEIGHT - height) as i32);
        }
    }

    /// Expands every ancestor of the selected row so it is visible (a link may select a row deep
    /// inside a collapsed subtree), then brings it into view.
    pub fn show_selected(self) {
        let Some(row) = self.selected_row.get() else { return };
        let hidden: Vec<u32> = self.tree.with_value(|t| {
            let mut ancestors = Vec::new();
            let mut at = t.parent(row);
            while let Some(p) = at {
                ancestors.push(p as u32);
                at = t.parent(p);
            }
            ancestors
        });
        if self.collapsed.with_untracked(|c| hidden.iter().any(|a| c.contains(a))) {
            self.collapsed.update(|c| hidden.iter().for_each(|a| {
                c.remove(a);
            }));
        }
        if let Ok(pos) = self.visible.with_untracked(|v| v.binary_search(&(row as u32))) {
            self.reveal(pos);
        }
    }

    pub fn toggle(self, row: u32) {
        self.collapsed.update(|c| {
            if !c.remove(&row) {
                c.insert(row);
            }
        })
    }

    pub fn has_children(self, row: u32) -> bool {
        self.parents.with_value(|p| p.contains(&row))
    }

    pub fn select_pos(self, pos: usize) {
        if let Some(row) = self.visible.with_untracked(|v| v.get(pos).copied()) {
            self.selected.set(Some(self.tree.with_value(|t| t.id[row as usize].clone())));
            self.reveal(pos);
        }
    }

    /// The tree's keyboard: ↑/↓ (and PageUp/PageDown, Home/End) move the selection, → expands or
    /// steps into the children, ← collapses or steps out to the parent, Enter toggles.
    pub fn on_key(self, ev: leptos::ev::KeyboardEvent) {
        let Some(row) = self.selected_row.get_untracked() else { return };
        let Ok(pos) = self.visible.with_untracked(|v| v.binary_search(&(row as u32))) else { return };
        let last = self.visible.with_untracked(|v| v.len().saturating_sub(1));
        let has_children = self.has_children(row as u32);
        let is_collapsed = self.collapsed.with_untracked(|c| c.contains(&(row as u32)));
        let page = (self.viewport.get_untracked() / ROW_HEIGHT) as usize;
        match ev.key().as_str() {
            "ArrowDown" => self.select_pos((pos + 1).min(last)),
            "ArrowUp" => self.select_pos(pos.saturating_sub(1)),
            "Home" => self.select_pos(0),
            "End" => self.select_pos(last),
            "PageDown" => self.select_pos((pos + page).min(last)),
            "PageUp" => self.select_pos(pos.saturating_sub(page)),
            "ArrowRight" if has_children && is_collapsed => self.toggle(row as u32),
            "ArrowRight" if has_children => self.select_pos(pos + 1),
            "ArrowLeft" if has_children && !is_collapsed => self.toggle(row as u32),
            "ArrowLeft" => {
                if let Some(parent) = self.tree.with_value(|t| t.parent(row)) {
                    if let Ok(p) = self.visible.with_untracked(|v| v.binary_search(&(parent as u32))) {
                        self.select_pos(p);
                    }
                }
            }
            "Enter" | " " if has_children => self.toggle(row as u32),
            _ => return,
        }
        ev.prevent_default();
    }

    /// Where zooming centres: the selected observation, else the middle of the window.
    pub fn zoom_center(self) -> f64 {
        self.selected_row
            .get_untracked()
            .map(|row| {
                self.tree.with_value(|t| {
                    let total = t.duration_us.max(1) as f64;
                    let end = if t.end[row] >= 0 { t.end[row] } else { t.start[row] };
                    (t.start[row] + end) as f64 / 2.0 / total
                })
            })
            .unwrap_or_else(|| self.window.with_untracked(|w| (w.from + w.to) / 2.0))
    }

    pub fn zoom_to_selection(self) {
        if let Some(row) = self.selected_row.get_untracked() {
            let (from, to) = self.tree.with_value(|t| {
                let total = t.duration_us.max(1) as f64;
                let end = if t.end[row] >= 0 { t.end[row] } else { t.start[row] };
                (t.start[row] as f64 / total, end as f64 / total)
            });
            // A little air on both sides; a point gets a small window around it.
            let pad = ((to - from) * 0.05).max(1e-4);
            self.window.set(Window { from: (from - pad).max(0.0), to: (to + pad).min(1.0) });
        }
    }

    /// Selects the next (or previous) match after the selection, wrapping around; selecting
    /// expands its ancestors and scrolls to it.
    pub fn step_match(self, forward: bool) {
        let found = self.matches.get_untracked();
        if found.is_empty() {
            return;
        }
        let current = self.selected_row.get_untracked().map(|r| r as u32);
        let next = match (current, forward) {
            (Some(c), true) => found.iter().copied().find(|&r| r > c).unwrap_or(found[0]),
            (Some(c), false) => found.iter().rev().copied().find(|&r| r < c).unwrap_or(found[found.len() - 1]),
            (None, _) => found[0],
        };
        self.selected.set(Some(self.tree.with_value(|t| t.id[next as usize].clone())));
    }

    /// "2 of 5", or "5 found" when the selection is not a match.
    pub fn match_position(self, locale: Locale) -> String {
        let found = self.matches.get();
        let current = self.selected_row.get().map(|r| r as u32);
        match current.and_then(|c| found.binary_search(&c).ok()) {
            Some(i) => td_string!(locale, trace.waterfall_view.match_of, position = i + 1, count = found.len()).to_string(),
            None => td_string!(locale, trace.waterfall_view.matches_found, count = found.len()).to_string(),
        }
    }
}
