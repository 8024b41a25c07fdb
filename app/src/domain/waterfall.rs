//! The waterfall of a trace: observations in tree order (each parent followed by its children,
//! siblings by start time), with their depth and their bar on the trace's time axis. Computed
//! once from the flat list, in O(n log n), so it serves a trace of 100,000 observations as well
//! as one of ten. Observations whose parent is missing (not arrived yet, or in another trace)
//! are shown at the top level rather than dropped.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::trace_views::Observation;

/// One row of the waterfall.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallRow {
    /// Index into the trace's observation list.
    pub index: usize,
    pub depth: usize,
    /// Where the bar starts and how wide it is, as fractions of the trace's time span (0..=1).
    pub offset: f64,
    pub width: f64,
    /// Time to first token, as a fraction from the bar's start (generations that report it).
    pub first_token: Option<f64>,
}

/// The trace's time span: earliest start to latest end (or start).
pub fn span(observations: &[Observation]) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = observations.iter().map(|o| o.start_time).min()?;
    let end = observations.iter().map(|o| o.end_time.unwrap_or(o.start_time).max(o.start_time)).max()?;
    Some((start, end))
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(0) as f64 / 1e6
}

/// Rows in tree order.
pub fn rows(observations: &[Observation]) -> Vec<WaterfallRow> {
    let Some((start, end)) = span(observations) else { return Vec::new() };
    let total = seconds(start, end).max(1e-6);
    let index_of: HashMap<&str, usize> = observations.iter().enumerate().map(|(i, o)| (o.id.as_str(), i)).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); observations.len()];
    let mut roots = Vec::new();
    for (i, o) in observations.iter().enumerate() {
        match o.parent_observation_id.as_deref().and_then(|p| index_of.get(p)) {
            Some(&parent) if parent != i => children[parent].push(i),
            _ => roots.push(i),
        }
    }
    let by_start = |a: &usize, b: &usize| {
        (observations[*a].start_time, &observations[*a].id).cmp(&(observations[*b].start_time, &observations[*b].id))
    };
    roots.sort_by(by_start);
    for list in &mut children {
        list.sort_by(by_start);
    }
    // Depth-first without recursion (deep chains must not overflow the stack); `seen` guards
    // against parent cycles in malformed data.
    let mut out = Vec::with_capacity(observations.len());
    let mut seen = vec![false; observations.len()];
    let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        let o = &observations[i];
        let bar_end = o.end_time.unwrap_or(o.start_time).max(o.start_time);
        let duration = seconds(o.start_time, bar_end);
        out.push(WaterfallRow {
            index: i,
            depth,
            offset: seconds(start, o.start_time) / total,
            width: duration / total,
            first_token: o
                .completion_start_time
                .filter(|_| duration > 0.0)
                .map(|t| (seconds(o.start_time, t) / duration).clamp(0.0, 1.0)),
        });
        for &child in children[i].iter().rev() {
            stack.push((child, depth + 1));
        }
    }
    // Anything only reachable through a cycle is still shown.
    for (i, done) in seen.iter().enumerate() {
        if !done {
            let o = &observations[i];
            out.push(WaterfallRow { index: i, depth: 0, offset: seconds(start, o.start_time) / total, width: 0.0, first_token: None });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ObservationLevel, ObservationType};

    fn obs(id: &str, parent: Option<&str>, start_ms: i64, end_ms: Option<i64>) -> Observation {
        let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(1_700_000_000_000 + ms).unwrap();
        Observation {
            id: id.into(),
            project_id: "p".into(),
            trace_id: "t".into(),
            parent_observation_id: parent.map(Into::into),
            kind: ObservationType::Span,
            name: Some(id.into()),
            start_time: at(start_ms),
            end_time: end_ms.map(at),
            completion_start_time: None,
            model: None,
            model_parameters: None,
            input: None,
            output: None,
            metadata: serde_json::json!({}),
            level: ObservationLevel::Default,
            status_message: None,
            version: None,
            environment: "default".into(),
            usage_details: Default::default(),
            cost_details: Default::default(),
            total_cost: None,
            usage_unit: None,
            internal_model_id: None,
            usage_pricing_tier_id: None,
            usage_pricing_tier_name: None,
            prompt_name: None,
            prompt_version: None,
            created_at: at(0),
            updated_at: at(0),
        }
    }

    #[test]
    fn tree_order_depths_and_bars() {
        // Stored in start order; the tree interleaves them.
        let list = vec![
            obs("root", None, 0, Some(1000)),
            obs("a", Some("root"), 100, Some(400)),
            obs("b", Some("root"), 200, Some(900)),
            obs("a1", Some("a"), 150, Some(300)),
            obs("orphan", Some("missing"), 500, None),
        ];
        let rows = rows(&list);
        let order: Vec<(&str, usize)> = rows.iter().map(|r| (list[r.index].id.as_str(), r.depth)).collect();
        assert_eq!(order, [("root", 0), ("a", 1), ("a1", 2), ("b", 1), ("orphan", 0)]);
        let b = rows.iter().find(|r| list[r.index].id == "b").unwrap();
        assert!((b.offset - 0.2).abs() < 1e-9 && (b.width - 0.7).abs() < 1e-9);
        let orphan = rows.iter().find(|r| list[r.index].id == "orphan").unwrap();
        assert_eq!(orphan.width, 0.0, "no end: a point");
    }

    #[test]
    fn cycles_and_deep_chains_do_not_hang_or_overflow() {
        let mut list = vec![obs("x", Some("y"), 0, Some(10)), obs("y", Some("x"), 5, Some(10))];
        assert_eq!(rows(&list).len(), 2);
        list = (0..100_000).map(|i| obs(&format!("n{i}"), (i > 0).then(|| format!("n{}", i - 1)).as_deref(), i, Some(i + 1))).collect();
        let rows = rows(&list);
        assert_eq!(rows.len(), 100_000);
        assert_eq!(rows.last().unwrap().depth, 99_999);
    }

    #[test]
    fn time_to_first_token_is_marked_inside_the_bar() {
        let mut g = obs("g", None, 0, Some(1000));
        g.completion_start_time = DateTime::<Utc>::from_timestamp_millis(1_700_000_000_250);
        assert_eq!(rows(&[g])[0].first_token, Some(0.25));
    }
}
