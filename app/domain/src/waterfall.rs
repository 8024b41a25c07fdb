//! The waterfall of a trace: its observations in tree order (each parent followed by its
//! children, siblings by start time) with their depth and their place on the trace's time axis.
//!
//! Built for 100,000 observations:
//! - [`TraceTree`] is what the server sends: only what a row shows (no input, output or metadata
//!   — the panel fetches one observation's details when it is selected), as columns of numbers
//!   with names and models interned, so 100,000 rows are a few MB of JSON that the browser
//!   parses in tens of milliseconds;
//! - the tree order is computed once, on the server, in O(n log n) and without recursion, so
//!   100,000-deep chains cannot overflow a stack and parent cycles in malformed data cannot hang;
//! - the browser keeps the set of collapsed rows and derives the visible rows in time
//!   proportional to what is visible ([`TraceTree::visible`] jumps over collapsed subtrees with
//!   [`TraceTree::subtree_ends`]), and renders only the rows in the viewport.
//!
//! Observations whose parent is missing (not arrived yet, or in another trace) are shown at the
//! top level rather than dropped.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ObservationLevel, ObservationType};

/// One observation as the tree is built from it (a row of the store's light query).
#[derive(Debug, Clone, PartialEq)]
pub struct TreeInput {
    pub id: String,
    pub parent_id: Option<String>,
    pub kind: ObservationType,
    pub level: ObservationLevel,
    pub name: Option<String>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub first_token: Option<DateTime<Utc>>,
    pub model: Option<String>,
    /// USD.
    pub cost: Option<f64>,
    /// The `total` usage entry.
    pub tokens: Option<i64>,
}

/// A trace's observations in tree order, as columns: row `i` of the waterfall is the `i`th
/// entry of every vector. Times are microseconds from `origin` (the earliest start).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceTree {
    pub origin: Option<DateTime<Utc>>,
    /// Microseconds from the earliest start to the latest end (or start).
    pub duration_us: i64,
    /// Interned names and models (`name` and `model` index into it).
    pub labels: Vec<String>,
    pub id: Vec<String>,
    pub depth: Vec<u32>,
    /// Row of the parent; -1 at the top level.
    pub parent: Vec<i32>,
    /// Index into [`ObservationType::ALL`].
    pub kind: Vec<u8>,
    /// Index into [`ObservationLevel::ALL`].
    pub level: Vec<u8>,
    /// Index into `labels`; -1 when unnamed.
    pub name: Vec<i32>,
    pub model: Vec<i32>,
    pub start: Vec<i64>,
    /// -1 while the observation has not ended.
    pub end: Vec<i64>,
    /// Completion start (first streamed token); -1 when not reported.
    pub first_token: Vec<i64>,
    pub cost: Vec<Option<f64>>,
    /// -1 when unknown.
    pub tokens: Vec<i64>,
}

fn micros(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX)
}

impl TraceTree {
    /// Arranges the observations (any order) as a tree.
    pub fn build(mut input: Vec<TreeInput>) -> TraceTree {
        // Sibling order: start time, then id (stable across reloads).
        input.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        let n = input.len();
        let Some(origin) = input.first().map(|o| o.start) else { return TraceTree::default() };
        let index_of: HashMap<&str, usize> = input.iter().enumerate().map(|(i, o)| (o.id.as_str(), i)).collect();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, o) in input.iter().enumerate() {
            match o.parent_id.as_deref().and_then(|p| index_of.get(p)) {
                Some(&parent) if parent != i => children[parent].push(i),
                _ => roots.push(i),
            }
        }
        // Depth-first without recursion; `seen` guards against parent cycles. Children lists are
        // already in start order because `input` is.
        let mut order: Vec<(usize, u32, i32)> = Vec::with_capacity(n);
        let mut seen = vec![false; n];
        let mut stack: Vec<(usize, u32, i32)> = roots.iter().rev().map(|&r| (r, 0, -1)).collect();
        while let Some((i, depth, parent_row)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let row = order.len() as i32;
            order.push((i, depth, parent_row));
            for &child in children[i].iter().rev() {
                stack.push((child, depth + 1, row));
            }
        }
        // Anything only reachable through a cycle is still shown, at the top level.
        for (i, done) in seen.iter().enumerate() {
            if !done {
                order.push((i, 0, -1));
            }
        }

        let mut tree = TraceTree { origin: Some(origin), ..Default::default() };
        let mut interned: HashMap<String, i32> = HashMap::new();
        let mut intern = |labels: &mut Vec<String>, value: Option<&String>| -> i32 {
            let Some(value) = value else { return -1 };
            if let Some(&i) = interned.get(value) {
                return i;
            }
            labels.push(value.clone());
            let i = labels.len() as i32 - 1;
            interned.insert(value.clone(), i);
            i
        };
        let mut latest = 0i64;
        for (i, depth, parent) in order {
            let o = &input[i];
            let start = micros(origin, o.start);
            let end = o.end.map(|e| micros(origin, e).max(start));
            latest = latest.max(end.unwrap_or(start));
            tree.id.push(o.id.clone());
            tree.depth.push(depth);
            tree.parent.push(parent);
            tree.kind.push(ObservationType::ALL.iter().position(|k| *k == o.kind).unwrap_or(0) as u8);
            tree.level.push(ObservationLevel::ALL.iter().position(|l| *l == o.level).unwrap_or(0) as u8);
            tree.name.push(intern(&mut tree.labels, o.name.as_ref()));
            tree.model.push(intern(&mut tree.labels, o.model.as_ref()));
            tree.start.push(start);
            tree.end.push(end.unwrap_or(-1));
            tree.first_token.push(o.first_token.map(|t| micros(origin, t).clamp(start, end.unwrap_or(i64::MAX))).unwrap_or(-1));
            tree.cost.push(o.cost);
            tree.tokens.push(o.tokens.unwrap_or(-1));
        }
        tree.duration_us = latest;
        tree
    }

    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    pub fn kind(&self, row: usize) -> ObservationType {
        ObservationType::ALL.get(self.kind[row] as usize).copied().unwrap_or(ObservationType::Span)
    }

    pub fn level(&self, row: usize) -> ObservationLevel {
        ObservationLevel::ALL.get(self.level[row] as usize).copied().unwrap_or(ObservationLevel::Default)
    }

    fn label(&self, index: i32) -> Option<&str> {
        usize::try_from(index).ok().and_then(|i| self.labels.get(i)).map(String::as_str)
    }

    pub fn name(&self, row: usize) -> Option<&str> {
        self.label(self.name[row])
    }

    pub fn model(&self, row: usize) -> Option<&str> {
        self.label(self.model[row])
    }

    pub fn parent(&self, row: usize) -> Option<usize> {
        usize::try_from(self.parent[row]).ok()
    }

    /// Microseconds from start to end; `None` while running.
    pub fn latency_us(&self, row: usize) -> Option<i64> {
        (self.end[row] >= 0).then(|| self.end[row] - self.start[row])
    }

    pub fn tokens(&self, row: usize) -> Option<i64> {
        (self.tokens[row] >= 0).then_some(self.tokens[row])
    }

    pub fn row_of(&self, id: &str) -> Option<usize> {
        self.id.iter().position(|i| i == id)
    }

    /// Cost and tokens of each row with its whole subtree (what the tree view shows: a parent
    /// span costs what its generations cost). Rows come parent-first, so one pass from the
    /// bottom adds each row's total into its parent's. `None` where no row of the subtree has a
    /// value.
    pub fn subtree_totals(&self) -> (Vec<Option<f64>>, Vec<Option<i64>>) {
        let n = self.len();
        let mut cost: Vec<Option<f64>> = self.cost.clone();
        let mut tokens: Vec<Option<i64>> = (0..n).map(|row| self.tokens(row)).collect();
        for row in (0..n).rev() {
            let Some(parent) = self.parent(row).filter(|&p| p < row) else { continue };
            if let Some(c) = cost[row] {
                cost[parent] = Some(cost[parent].unwrap_or(0.0) + c);
            }
            if let Some(t) = tokens[row] {
                tokens[parent] = Some(tokens[parent].unwrap_or(0) + t);
            }
        }
        (cost, tokens)
    }

    /// For each row, the row just past its subtree (its descendants are the rows in between).
    /// O(n) with a stack; computed once per tree.
    pub fn subtree_ends(&self) -> Vec<u32> {
        let n = self.len();
        let mut ends = vec![n as u32; n];
        let mut open: Vec<usize> = Vec::new();
        for row in 0..n {
            while let Some(&top) = open.last() {
                if self.depth[top] >= self.depth[row] {
                    ends[top] = row as u32;
                    open.pop();
                } else {
                    break;
                }
            }
            open.push(row);
        }
        ends
    }

    /// The rows shown when the rows in `collapsed` hide their descendants. Jumps over collapsed
    /// subtrees, so the cost follows what is shown, not the trace's size.
    pub fn visible(&self, ends: &[u32], collapsed: &HashSet<u32>) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len().min(4096));
        let mut row = 0usize;
        while row < self.len() {
            out.push(row as u32);
            row = if collapsed.contains(&(row as u32)) { ends[row] as usize } else { row + 1 };
        }
        out
    }

    /// Rows that have children (what "collapse all" collapses).
    pub fn parents(&self, ends: &[u32]) -> HashSet<u32> {
        (0..self.len()).filter(|&r| ends[r] as usize > r + 1).map(|r| r as u32).collect()
    }

    /// The bar of `row` inside the time window `[from, to]` (fractions of the trace's
    /// duration): left edge and width as fractions of the window. Parts outside the window are
    /// cut by the caller's overflow; a running observation is a point.
    pub fn bar(&self, row: usize, from: f64, to: f64) -> (f64, f64) {
        let total = self.duration_us.max(1) as f64;
        let span = (to - from).max(1e-9);
        let start = self.start[row] as f64 / total;
        let end = if self.end[row] >= 0 { self.end[row] as f64 / total } else { start };
        ((start - from) / span, (end - start) / span)
    }

    /// Where the first token arrived, as a fraction from the bar's left edge to its right edge.
    pub fn first_token_at(&self, row: usize) -> Option<f64> {
        let duration = self.latency_us(row)?;
        (self.first_token[row] >= 0 && duration > 0)
            .then(|| ((self.first_token[row] - self.start[row]) as f64 / duration as f64).clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, parent: Option<&str>, start_ms: i64, end_ms: Option<i64>) -> TreeInput {
        let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(1_700_000_000_000 + ms).unwrap();
        TreeInput {
            id: id.into(),
            parent_id: parent.map(Into::into),
            kind: ObservationType::Span,
            level: ObservationLevel::Default,
            name: Some(format!("name-{}", id.len() % 2)),
            start: at(start_ms),
            end: end_ms.map(at),
            first_token: None,
            model: None,
            cost: None,
            tokens: None,
        }
    }

    fn ids(tree: &TraceTree, rows: &[u32]) -> Vec<String> {
        rows.iter().map(|&r| tree.id[r as usize].clone()).collect()
    }

    #[test]
    fn tree_order_depths_parents_and_bars() {
        // Given in any order; the tree interleaves them by parent, siblings by start.
        let tree = TraceTree::build(vec![
            node("b", Some("root"), 200, Some(900)),
            node("root", None, 0, Some(1000)),
            node("orphan", Some("missing"), 500, None),
            node("a1", Some("a"), 150, Some(300)),
            node("a", Some("root"), 100, Some(400)),
        ]);
        let order: Vec<(&str, u32)> = tree.id.iter().map(String::as_str).zip(tree.depth.iter().copied()).collect();
        assert_eq!(order, [("root", 0), ("a", 1), ("a1", 2), ("b", 1), ("orphan", 0)]);
        assert_eq!(tree.parent, [-1, 0, 1, 0, -1]);
        assert_eq!(tree.duration_us, 1_000_000);
        let (left, width) = tree.bar(3, 0.0, 1.0);
        assert!((left - 0.2).abs() < 1e-9 && (width - 0.7).abs() < 1e-9);
        // Zoomed on the second half: b starts 0.6 window-widths to the left of it.
        let (left, width) = tree.bar(3, 0.5, 1.0);
        assert!((left + 0.6).abs() < 1e-9 && (width - 1.4).abs() < 1e-9);
        assert_eq!(tree.latency_us(4), None, "the orphan has not ended");
        assert_eq!(tree.bar(4, 0.0, 1.0).1, 0.0, "no end: a point");
        // Names are interned: two distinct labels for five rows.
        assert_eq!(tree.labels.len(), 2);
        assert_eq!(tree.name(0), Some("name-0"));
    }

    #[test]
    fn subtree_totals_roll_cost_and_tokens_up_to_every_ancestor() {
        let priced = |id: &str, parent: Option<&str>, start: i64, cost: Option<f64>, tokens: Option<i64>| TreeInput {
            cost,
            tokens,
            ..node(id, parent, start, Some(start + 10))
        };
        let tree = TraceTree::build(vec![
            priced("root", None, 0, None, None),
            priced("agent", Some("root"), 1, None, None),
            priced("gen1", Some("agent"), 2, Some(0.25), Some(100)),
            priced("gen2", Some("agent"), 3, Some(0.5), Some(40)),
            priced("tool", Some("root"), 4, None, None),
            priced("gen3", Some("root"), 5, Some(0.125), None),
            priced("lone", None, 6, None, None),
        ]);
        let (cost, tokens) = tree.subtree_totals();
        let at = |id: &str| tree.row_of(id).unwrap();
        assert_eq!(cost[at("root")], Some(0.875));
        assert_eq!(tokens[at("root")], Some(140), "gen3 reports no tokens: it adds nothing");
        assert_eq!((cost[at("agent")], tokens[at("agent")]), (Some(0.75), Some(140)));
        assert_eq!((cost[at("gen1")], tokens[at("gen1")]), (Some(0.25), Some(100)), "a leaf keeps its own values");
        assert_eq!((cost[at("tool")], tokens[at("tool")]), (None, None), "nothing below: still unknown, not zero");
        assert_eq!((cost[at("lone")], tokens[at("lone")]), (None, None));
    }

    #[test]
    fn collapsing_hides_exactly_the_subtree() {
        let tree = TraceTree::build(vec![
            node("root", None, 0, Some(1000)),
            node("a", Some("root"), 100, Some(400)),
            node("a1", Some("a"), 150, Some(300)),
            node("a11", Some("a1"), 160, Some(200)),
            node("b", Some("root"), 200, Some(900)),
            node("z", None, 950, Some(990)),
        ]);
        let ends = tree.subtree_ends();
        assert_eq!(ends, [5, 4, 4, 4, 5, 6]);
        assert_eq!(ids(&tree, &tree.visible(&ends, &HashSet::new())).len(), 6);
        assert_eq!(ids(&tree, &tree.visible(&ends, &HashSet::from([1]))), ["root", "a", "b", "z"]);
        assert_eq!(ids(&tree, &tree.visible(&ends, &HashSet::from([0]))), ["root", "z"]);
        // A collapsed row inside a collapsed subtree changes nothing more.
        assert_eq!(ids(&tree, &tree.visible(&ends, &HashSet::from([0, 2]))), ["root", "z"]);
        assert_eq!(tree.parents(&ends), HashSet::from([0, 1, 2]));
    }

    #[test]
    fn cycles_and_deep_chains_do_not_hang_or_overflow() {
        let tree = TraceTree::build(vec![node("x", Some("y"), 0, Some(10)), node("y", Some("x"), 5, Some(10))]);
        assert_eq!(tree.len(), 2);
        assert_eq!(tree.depth, [0, 0]);
        let chain: Vec<_> =
            (0..100_000).map(|i| node(&format!("n{i}"), (i > 0).then(|| format!("n{}", i - 1)).as_deref(), i, Some(i + 1))).collect();
        let tree = TraceTree::build(chain);
        assert_eq!(tree.len(), 100_000);
        assert_eq!(*tree.depth.last().unwrap(), 99_999);
        let ends = tree.subtree_ends();
        assert_eq!(tree.visible(&ends, &HashSet::from([10])).len(), 11);
    }

    #[test]
    fn time_to_first_token_is_marked_inside_the_bar() {
        let mut g = node("g", None, 0, Some(1000));
        g.first_token = DateTime::<Utc>::from_timestamp_millis(1_700_000_000_250);
        let tree = TraceTree::build(vec![g]);
        assert_eq!(tree.first_token_at(0), Some(0.25));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(crate::format::duration_us(850), "850 µs");
        assert_eq!(crate::format::duration_us(1_300), "1.30 ms");
        assert_eq!(crate::format::duration_us(420_000), "420 ms");
        assert_eq!(crate::format::duration_us(2_500_000), "2.50 s");
        assert_eq!(crate::format::duration_us(90_000_000), "1.5 min");
    }
}
