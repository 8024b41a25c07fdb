//! Statistics over scores (#20): how a score name is distributed (histogram with nice bin edges,
//! counts per category), how it moves over time (bucket size from the range), and how much two
//! sets of scores on the same objects agree — Cohen's kappa for labels (categorical, boolean),
//! Pearson's and Spearman's correlation for numbers, and the share of identical answers.
//!
//! Pure functions and plain serde types: the server computes them for the Scores page and the
//! annotation queue page, and the browser renders the same [`Agreement`], [`Distribution`] and
//! [`TimeSeries`]. Every statistic answers `None` where it is undefined (too few pairs, no
//! variance) rather than a number that would read as a result.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tracing::ScoreDataType;

/// Cohen's kappa of two raters' labels on the same objects: `(p_o − p_e) / (1 − p_e)`, with `p_o`
/// the share of objects both gave the same label and `p_e` the agreement expected by chance from
/// each rater's own label frequencies. `None` with fewer than 2 pairs, or when `p_e` is 1 (both
/// raters always gave one and the same label: agreement is certain, so kappa says nothing).
pub fn cohen_kappa(pairs: &[(String, String)]) -> Option<f64> {
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let mut a_counts: BTreeMap<&str, f64> = BTreeMap::new();
    let mut b_counts: BTreeMap<&str, f64> = BTreeMap::new();
    let mut agree = 0.0;
    for (a, b) in pairs {
        *a_counts.entry(a).or_default() += 1.0;
        *b_counts.entry(b).or_default() += 1.0;
        if a == b {
            agree += 1.0;
        }
    }
    let observed = agree / n;
    let expected: f64 = a_counts.iter().map(|(label, a)| (a / n) * (b_counts.get(label).copied().unwrap_or(0.0) / n)).sum();
    if (1.0 - expected).abs() < 1e-12 {
        return None;
    }
    Some((observed - expected) / (1.0 - expected))
}

/// The share (0–1) of pairs whose two sides are equal; `None` without pairs.
pub fn percent_agreement<T: PartialEq>(pairs: &[(T, T)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    Some(pairs.iter().filter(|(a, b)| a == b).count() as f64 / pairs.len() as f64)
}

/// Pearson's correlation coefficient. `None` with fewer than 2 pairs, a non-finite value, or when
/// either side does not vary (the coefficient divides by its spread).
pub fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 2 || pairs.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
        return None;
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    // Two passes (centre, then multiply): the one-pass formula loses precision on large values.
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        let (dx, dy) = (x - mean_x, y - mean_y);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    // Rounding can push a perfect correlation a hair past ±1.
    Some((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

/// Spearman's rank correlation: Pearson's coefficient of the ranks, tied values sharing the
/// average of the ranks they span (so it stays correct with ties, unlike the `1 − 6Σd²/…`
/// shortcut). `None` where [`pearson`] of the ranks is.
pub fn spearman(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
        return None;
    }
    let xs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let ranked: Vec<(f64, f64)> = ranks(&xs).into_iter().zip(ranks(&ys)).collect();
    pearson(&ranked)
}

/// The 1-based rank of each value in ascending order, ties given the average of their ranks:
/// `[10, 20, 20, 30]` → `[1, 2.5, 2.5, 4]`. Values must be finite.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end; their average:
        let average = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = average;
        }
        start = end;
    }
    ranks
}

/// Whether agreement was measured on labels or on numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AgreementKind {
    /// Categorical or boolean scores: Cohen's kappa.
    Categorical,
    /// Numeric scores: Pearson and Spearman.
    Numeric,
}

/// How much two sets of scores on the same objects agree: two score names, two annotators, or
/// two reviewers of an annotation queue. The statistics that do not apply to `kind`, and those
/// undefined for these pairs, are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agreement {
    pub kind: AgreementKind,
    /// Objects both sides scored.
    pub shared: usize,
    pub kappa: Option<f64>,
    pub pearson: Option<f64>,
    pub spearman: Option<f64>,
    /// Share (0–1) of shared objects given the identical label or value.
    pub percent_agreement: Option<f64>,
}

impl Agreement {
    /// Agreement of two sides' labels (categorical or boolean scores).
    pub fn categorical(pairs: &[(String, String)]) -> Agreement {
        Agreement {
            kind: AgreementKind::Categorical,
            shared: pairs.len(),
            kappa: cohen_kappa(pairs),
            pearson: None,
            spearman: None,
            percent_agreement: percent_agreement(pairs),
        }
    }

    /// Agreement of two sides' numbers (numeric scores).
    pub fn numeric(pairs: &[(f64, f64)]) -> Agreement {
        Agreement {
            kind: AgreementKind::Numeric,
            shared: pairs.len(),
            kappa: None,
            pearson: pearson(pairs),
            spearman: spearman(pairs),
            percent_agreement: percent_agreement(pairs),
        }
    }
}

/// Landis & Koch's (1977) reading of a kappa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KappaBand {
    /// Below 0: less agreement than chance.
    Poor,
    /// 0.00–0.20
    Slight,
    /// 0.21–0.40
    Fair,
    /// 0.41–0.60
    Moderate,
    /// 0.61–0.80
    Substantial,
    /// 0.81–1.00
    AlmostPerfect,
}

impl KappaBand {
    pub fn of(kappa: f64) -> KappaBand {
        match kappa {
            k if k < 0.0 => KappaBand::Poor,
            k if k <= 0.20 => KappaBand::Slight,
            k if k <= 0.40 => KappaBand::Fair,
            k if k <= 0.60 => KappaBand::Moderate,
            k if k <= 0.80 => KappaBand::Substantial,
            _ => KappaBand::AlmostPerfect,
        }
    }
}

/// The strength of a correlation by its absolute value, after Schober, Boer & Schwarte (2018,
/// "Correlation Coefficients: Appropriate Use and Interpretation"); the sign says the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CorrelationBand {
    /// |r| < 0.10
    Negligible,
    /// 0.10–0.39
    Weak,
    /// 0.40–0.69
    Moderate,
    /// 0.70–0.89
    Strong,
    /// 0.90–1.00
    VeryStrong,
}

impl CorrelationBand {
    pub fn of(r: f64) -> CorrelationBand {
        match r.abs() {
            a if a < 0.10 => CorrelationBand::Negligible,
            a if a < 0.40 => CorrelationBand::Weak,
            a if a < 0.70 => CorrelationBand::Moderate,
            a if a < 0.90 => CorrelationBand::Strong,
            _ => CorrelationBand::VeryStrong,
        }
    }
}

/// One bar of a histogram: values in `[start, end)` (the last bar also holds anything at or above
/// its start, so the maximum is always counted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramBin {
    pub start: f64,
    pub end: f64,
    pub count: u64,
}

/// The number of scores with one label (a category, `True`/`False`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub label: String,
    pub count: u64,
}

/// How one score name's values are spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Distribution {
    Numeric { bins: Vec<HistogramBin>, count: u64, mean: Option<f64>, min: Option<f64>, max: Option<f64> },
    Categories { counts: Vec<CategoryCount> },
}

/// Bin edges at round numbers covering `min..=max`: a step of 1, 2, 2.5 or 5 × 10ⁿ giving at most
/// about `bins` bins, starting at a multiple of the step at or below `min`, ending past `max`.
/// For whole numbers (`integers`) the step is at least 1, so ratings 1–5 get one bar each. All
/// values equal: the single bin `[v, v]`. Empty for `bins == 0` or non-finite bounds.
pub fn nice_edges(min: f64, max: f64, bins: usize, integers: bool) -> Vec<f64> {
    if bins == 0 || !min.is_finite() || !max.is_finite() || max < min {
        return Vec::new();
    }
    if max == min {
        return vec![min, max];
    }
    let raw = (max - min) / bins as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let residual = raw / magnitude;
    let factor = [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().find(|f| *f >= residual - 1e-9).unwrap_or(10.0);
    let mut step = factor * magnitude;
    if integers && step < 1.0 {
        step = 1.0;
    }
    // A little slack: 0.3 / 0.1 is 2.9999999999999996, which must still start at 0.3.
    let first = (min / step + 1e-9).floor();
    let count = ((max - first * step) / step + 1e-9).floor() as usize + 1;
    // Round away representation noise (0.30000000000000004) at the step's own precision.
    let decimals = (-(step.log10().floor()) + 2.0).clamp(0.0, 15.0) as i32;
    let scale = 10f64.powi(decimals);
    (0..=count).map(|i| ((first + i as f64) * step * scale).round() / scale).collect()
}

/// The bin of `value` among `edges` (as [`nice_edges`] makes them): the last edge at or below it,
/// values at or above the last bin's start in the last bin — the same rule as Postgres's
/// `width_bucket(value, lower_edges)`, so a histogram counted in SQL matches [`histogram`].
/// `None` below the first edge or without bins.
pub fn bin_index(edges: &[f64], value: f64) -> Option<usize> {
    let bins = edges.len().checked_sub(1).filter(|b| *b > 0)?;
    if !value.is_finite() || value < edges[0] {
        return None;
    }
    Some((edges.partition_point(|e| *e <= value) - 1).min(bins - 1))
}

/// The bins of `edges`, with counts from `count_of(bin index)`.
pub fn bins_from_edges(edges: &[f64], mut count_of: impl FnMut(usize) -> u64) -> Vec<HistogramBin> {
    edges.windows(2).enumerate().map(|(i, w)| HistogramBin { start: w[0], end: w[1], count: count_of(i) }).collect()
}

/// A histogram of the finite `values` in about `bins` bins with [`nice_edges`].
pub fn histogram(values: &[f64], bins: usize) -> Vec<HistogramBin> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let Some(min) = finite.iter().copied().reduce(f64::min) else { return Vec::new() };
    let max = finite.iter().copied().fold(min, f64::max);
    let integers = finite.iter().all(|v| v.fract() == 0.0);
    let edges = nice_edges(min, max, bins, integers);
    let mut counts = vec![0u64; edges.len().saturating_sub(1)];
    for v in &finite {
        if let Some(i) = bin_index(&edges, *v) {
            counts[i] += 1;
        }
    }
    bins_from_edges(&edges, |i| counts[i])
}

/// How many times each label occurs, most frequent first (ties by label).
pub fn category_counts<'a>(labels: impl IntoIterator<Item = &'a str>) -> Vec<CategoryCount> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for label in labels {
        *counts.entry(label).or_default() += 1;
    }
    let mut counts: Vec<CategoryCount> = counts.into_iter().map(|(label, count)| CategoryCount { label: label.to_string(), count }).collect();
    sort_categories(&mut counts);
    counts
}

/// Most frequent first, ties by label: the order [`category_counts`] gives and the store keeps.
pub fn sort_categories(counts: &mut [CategoryCount]) {
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
}

/// Most buckets an over-time chart gets: enough to see a trend, few enough to read each bar.
pub const MAX_TIME_BUCKETS: i64 = 60;

/// The bucket length (seconds) for a range of `span_seconds`: the shortest of 1 min, 5 min,
/// 15 min, 1 h, 3 h, 6 h, 12 h, 1 day, 1 week and 30 days giving at most [`MAX_TIME_BUCKETS`]
/// buckets (30 days for anything longer).
pub fn bucket_seconds(span_seconds: i64) -> i64 {
    const LADDER: [i64; 10] = [60, 300, 900, 3_600, 3 * 3_600, 6 * 3_600, 12 * 3_600, 86_400, 7 * 86_400, 30 * 86_400];
    let span = span_seconds.max(1);
    LADDER.into_iter().find(|stride| (span + stride - 1) / stride <= MAX_TIME_BUCKETS).unwrap_or(LADDER[LADDER.len() - 1])
}

/// One bucket of a score name over time: how many scores and their average value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeBucket {
    pub start: DateTime<Utc>,
    pub count: u64,
    /// The mean of the numeric values (share of `True` for boolean scores); `None` when no score
    /// of the bucket has a number.
    pub average: Option<f64>,
}

/// A score name over `[from, to)` in buckets of `bucket_seconds`; buckets without scores are
/// left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeSeries {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub bucket_seconds: i64,
    pub buckets: Vec<TimeBucket>,
}

/// A score name of a project with one of its data types and how many scores it has: the Scores
/// page's choice of what to chart (a name written with two types is listed once per type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreName {
    pub name: String,
    pub data_type: ScoreDataType,
    pub count: u64,
}

/// Someone who wrote scores (`authorUserId`): the account's name (else email) when the account
/// is a member of the project's organization, else only the id as the score carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreAuthor {
    pub id: String,
    pub name: Option<String>,
}

impl AgreementKind {
    /// Labels when both sides are categorical or boolean (kappa), numbers otherwise.
    pub fn for_types(a: ScoreDataType, b: ScoreDataType) -> AgreementKind {
        let labelled = |t: ScoreDataType| matches!(t, ScoreDataType::Categorical | ScoreDataType::Boolean);
        if labelled(a) && labelled(b) { AgreementKind::Categorical } else { AgreementKind::Numeric }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a value");
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    #[test]
    fn kappa_by_hand() {
        // A: y y n n y y, B: y n n n y n → agree on 1,3,4,5 = 4/6.
        // A: y 4/6, n 2/6; B: y 2/6, n 4/6 → p_e = 4/6·2/6 + 2/6·4/6 = 16/36 = 4/9.
        // κ = (2/3 − 4/9) / (1 − 4/9) = (2/9) / (5/9) = 0.4.
        let pairs = labels(&[("y", "y"), ("y", "n"), ("n", "n"), ("n", "n"), ("y", "y"), ("y", "n")]);
        close(cohen_kappa(&pairs), 0.4);
        close(percent_agreement(&pairs), 4.0 / 6.0);
        // Three labels, a label only B uses: A: a a b c, B: a b b a → agree 2/4 = 0.5.
        // A: a .5 b .25 c .25; B: a .5 b .5 → p_e = .25 + .125 + 0 = .375; κ = .125/.625 = 0.2.
        close(cohen_kappa(&labels(&[("a", "a"), ("a", "b"), ("b", "b"), ("c", "a")])), 0.2);
        // Perfect disagreement on two balanced labels: p_o = 0, p_e = .5 → κ = −1.
        close(cohen_kappa(&labels(&[("y", "n"), ("n", "y")])), -1.0);
        close(cohen_kappa(&labels(&[("x", "x"), ("y", "y"), ("z", "z")])), 1.0);
    }

    #[test]
    fn kappa_is_undefined_without_two_pairs_or_with_certain_agreement() {
        assert_eq!(cohen_kappa(&[]), None);
        assert_eq!(cohen_kappa(&labels(&[("y", "y")])), None);
        // Both always say "y": p_e = 1.
        assert_eq!(cohen_kappa(&labels(&[("y", "y"), ("y", "y"), ("y", "y")])), None);
        // One always says "y", the other varies: p_e = 1·(1/2) = 0.5, p_o = 0.5 → κ = 0.
        close(cohen_kappa(&labels(&[("y", "y"), ("y", "n")])), 0.0);
        assert_eq!(percent_agreement::<String>(&[]), None);
    }

    #[test]
    fn pearson_by_hand() {
        // x 1 2 3, y 2 4 7: means 2 and 13/3; dx −1 0 1, dy −7/3 −1/3 8/3.
        // Σdxdy = 7/3 + 8/3 = 5; Σdx² = 2; Σdy² = (49 + 1 + 64)/9 = 114/9.
        // r = 5 / √(2 · 114/9) = 5 / √(25.333…) = 15 / √228.
        close(pearson(&[(1.0, 2.0), (2.0, 4.0), (3.0, 7.0)]), 15.0 / 228f64.sqrt());
        close(pearson(&[(1.0, 10.0), (2.0, 8.0), (3.0, 6.0)]), -1.0);
        assert_eq!(pearson(&[(1.0, 1.0)]), None, "one pair");
        assert_eq!(pearson(&[(1.0, 1.0), (1.0, 2.0)]), None, "x does not vary");
        assert_eq!(pearson(&[(f64::NAN, 1.0), (1.0, 2.0)]), None);
    }

    #[test]
    fn spearman_uses_average_ranks_for_ties() {
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 30.0]), vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(ranks(&[3.0, 1.0, 2.0]), vec![3.0, 1.0, 2.0]);
        // Monotone but not linear: ρ = 1 while r < 1.
        let curved = [(1.0, 1.0), (2.0, 4.0), (3.0, 9.0), (4.0, 100.0)];
        close(spearman(&curved), 1.0);
        assert!(pearson(&curved).unwrap() < 0.95);
        // x 1 2 2 3 → ranks 1 2.5 2.5 4; y 1 3 2 4 → ranks 1 3 2 4.
        // Rank means 2.5 and 2.5: dx −1.5 0 0 1.5, dy −1.5 .5 −.5 1.5.
        // Σdxdy = 2.25 + 2.25 = 4.5; Σdx² = 4.5; Σdy² = 2.25+.25+.25+2.25 = 5 → ρ = 4.5/√22.5.
        close(spearman(&[(1.0, 1.0), (2.0, 3.0), (2.0, 2.0), (3.0, 4.0)]), 4.5 / 22.5f64.sqrt());
    }

    #[test]
    fn agreement_keeps_the_statistics_of_its_kind() {
        let a = Agreement::numeric(&[(1.0, 1.0), (2.0, 2.0), (3.0, 5.0)]);
        assert_eq!((a.kind, a.shared, a.kappa), (AgreementKind::Numeric, 3, None));
        close(a.percent_agreement, 2.0 / 3.0);
        close(a.spearman, 1.0);
        let c = Agreement::categorical(&labels(&[("a", "a"), ("b", "a")]));
        assert_eq!((c.kind, c.shared, c.pearson, c.spearman), (AgreementKind::Categorical, 2, None, None));
        // The browser reads what the server wrote.
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"percentAgreement\":0.5"), "{json}");
        assert_eq!(serde_json::from_str::<Agreement>(&json).unwrap(), c);
    }

    #[test]
    fn bands() {
        assert_eq!(KappaBand::of(-0.1), KappaBand::Poor);
        assert_eq!(KappaBand::of(0.2), KappaBand::Slight);
        assert_eq!(KappaBand::of(0.4), KappaBand::Fair);
        assert_eq!(KappaBand::of(0.55), KappaBand::Moderate);
        assert_eq!(KappaBand::of(0.61), KappaBand::Substantial);
        assert_eq!(KappaBand::of(0.81), KappaBand::AlmostPerfect);
        assert_eq!(CorrelationBand::of(-0.05), CorrelationBand::Negligible);
        assert_eq!(CorrelationBand::of(-0.5), CorrelationBand::Moderate);
        assert_eq!(CorrelationBand::of(0.95), CorrelationBand::VeryStrong);
    }

    #[test]
    fn nice_edges_fall_on_round_numbers() {
        // 0.13..0.87 in 10: raw step .074 → .1; start .1, last start .8 → edges .1 ….9.
        assert_eq!(nice_edges(0.13, 0.87, 10, false), vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
        // Ratings 1..5: step 1 although .4 would do, one bar per rating.
        assert_eq!(nice_edges(1.0, 5.0, 10, true), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        // 0..1000 in 4: raw 250 → 2.5·10²; 1000 itself opens the last bin.
        assert_eq!(nice_edges(0.0, 1000.0, 4, false), vec![0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0]);
        // Negative: −3.2..4.1 in 5 → raw 1.46 → 2; start −4, last start 4.
        assert_eq!(nice_edges(-3.2, 4.1, 5, false), vec![-4.0, -2.0, 0.0, 2.0, 4.0, 6.0]);
        assert_eq!(nice_edges(0.3, 0.3, 10, false), vec![0.3, 0.3]);
        assert!(nice_edges(0.0, 1.0, 0, false).is_empty());
    }

    #[test]
    fn histogram_counts_every_value_once() {
        // 0.1 .15 → [.1,.2); .25 → [.2,.3); .3 .39 → [.3,.4); .9 → [.9,1.0).
        let values = [0.1, 0.15, 0.25, 0.3, 0.39, 0.9, f64::NAN];
        let bins = histogram(&values, 10);
        let counts: Vec<u64> = bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![2, 1, 2, 0, 0, 0, 0, 0, 1]);
        assert_eq!((bins[0].start, bins[8].end), (0.1, 1.0));
        assert_eq!(histogram(&[2.0, 2.0], 10), vec![HistogramBin { start: 2.0, end: 2.0, count: 2 }]);
        assert!(histogram(&[], 10).is_empty());
        assert_eq!(bin_index(&[0.0, 1.0, 2.0], -0.5), None);
        assert_eq!(bin_index(&[0.0, 1.0, 2.0], 2.0), Some(1), "the top edge is in the last bin");
    }

    #[test]
    fn categories_most_frequent_first() {
        let counts = category_counts(["b", "a", "b", "c", "a", "b"]);
        let flat: Vec<(&str, u64)> = counts.iter().map(|c| (c.label.as_str(), c.count)).collect();
        assert_eq!(flat, vec![("b", 3), ("a", 2), ("c", 1)]);
    }

    #[test]
    fn buckets_fit_the_range() {
        assert_eq!(bucket_seconds(30 * 60), 60, "half an hour by the minute");
        assert_eq!(bucket_seconds(60 * 60), 60, "60 buckets fit");
        assert_eq!(bucket_seconds(61 * 60), 300);
        assert_eq!(bucket_seconds(86_400), 3_600, "a day by the hour");
        assert_eq!(bucket_seconds(30 * 86_400), 12 * 3_600, "a month by the half day");
        assert_eq!(bucket_seconds(365 * 86_400), 7 * 86_400);
        assert_eq!(bucket_seconds(10 * 365 * 86_400), 30 * 86_400);
        assert_eq!(bucket_seconds(0), 60);
    }
}
