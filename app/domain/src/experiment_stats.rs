//! Statistics of experiments (#21): the summary of one run (percentiles of latency) and the
//! regression verdict between two runs of one dataset.
//!
//! The verdict is a paired comparison. For one score name, each dataset item both runs scored
//! gives one difference `candidate − baseline` (an item scored several times in a run counts
//! with its mean, so a repeated item does not weigh more). The mean of those differences is the
//! effect; its uncertainty comes from a percentile bootstrap — resample the differences with
//! replacement [`RESAMPLES`] times, take the 2.5th and 97.5th percentiles of the resampled
//! means. Pairing matters: items differ far more from each other than runs do, and comparing
//! each item with itself removes that spread from the question "did the change help?".
//!
//! Why a bootstrap and not a t-interval: scores are often bounded, skewed or two-valued (a judge's
//! 0/1), where the normal approximation is poor for the small datasets experiments use; the
//! bootstrap makes no assumption about the shape. Why a seeded generator: the page must say the
//! same thing on every reload, so the resampling is deterministic for the same data.
//!
//! A verdict is only given with at least [`MIN_SHARED_ITEMS`] shared items: below that the
//! bootstrap's interval is too narrow to trust, and the page says how many items it had.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Bootstrap resamples per comparison: the percentiles of 10,000 resampled means move by well
/// under 1 % of the interval's width between seeds.
pub const RESAMPLES: usize = 10_000;

/// Fewest shared items for a verdict.
pub const MIN_SHARED_ITEMS: usize = 5;

/// Which way a score improves. Most scores (correctness, relevance) are better higher; some
/// (toxicity, hallucination, latency-like scores) lower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    #[default]
    HigherIsBetter,
    LowerIsBetter,
}

/// What the comparison concluded for one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// The whole 95 % interval of the difference lies on the good side of zero.
    Better,
    /// The whole interval lies on the bad side.
    Worse,
    /// The interval includes zero.
    NoSignificantChange,
    /// Fewer than [`MIN_SHARED_ITEMS`] items were scored in both runs.
    TooFewItems,
}

/// A 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// The paired comparison of one score between a baseline run and a candidate run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    pub score_name: String,
    /// Items scored in both runs: the `n` of every number below.
    pub shared_items: usize,
    /// Items scored in only one of the two runs (not part of the comparison).
    pub unpaired_items: usize,
    pub baseline_mean: Option<f64>,
    pub candidate_mean: Option<f64>,
    /// Mean of `candidate − baseline` over the shared items.
    pub mean_difference: Option<f64>,
    pub interval: Option<Interval>,
    pub direction: Direction,
    pub verdict: Verdict,
}

/// Compares one score of two runs: `baseline` and `candidate` map a dataset item id to that
/// item's score values in the run (several when the item ran more than once). Non-finite values
/// are ignored.
pub fn compare(
    score_name: &str,
    baseline: &BTreeMap<String, Vec<f64>>,
    candidate: &BTreeMap<String, Vec<f64>>,
    direction: Direction,
) -> PairedComparison {
    let mean_of = |values: &Vec<f64>| mean(&values.iter().copied().filter(|v| v.is_finite()).collect::<Vec<_>>());
    let base: BTreeMap<&String, f64> = baseline.iter().filter_map(|(k, v)| Some((k, mean_of(v)?))).collect();
    let cand: BTreeMap<&String, f64> = candidate.iter().filter_map(|(k, v)| Some((k, mean_of(v)?))).collect();
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    for (item, b) in &base {
        if let Some(c) = cand.get(item) {
            pairs.push((*b, *c));
        }
    }
    let shared = pairs.len();
    let unpaired = base.len() + cand.len() - 2 * shared;
    let differences: Vec<f64> = pairs.iter().map(|(b, c)| c - b).collect();
    let baseline_mean = mean(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let candidate_mean = mean(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    let mean_difference = mean(&differences);
    let interval = (shared >= MIN_SHARED_ITEMS).then(|| bootstrap_interval(&differences, RESAMPLES, seed_for(score_name, &differences))).flatten();
    let verdict = match interval {
        None => Verdict::TooFewItems,
        Some(ci) => verdict(ci, direction),
    };
    PairedComparison {
        score_name: score_name.to_string(),
        shared_items: shared,
        unpaired_items: unpaired,
        baseline_mean,
        candidate_mean,
        mean_difference,
        interval,
        direction,
        verdict,
    }
}

/// Better or worse only when the interval excludes zero.
pub fn verdict(interval: Interval, direction: Direction) -> Verdict {
    let (good_side_low, bad_side_high) = match direction {
        Direction::HigherIsBetter => (interval.low > 0.0, interval.high < 0.0),
        Direction::LowerIsBetter => (interval.high < 0.0, interval.low > 0.0),
    };
    if good_side_low {
        Verdict::Better
    } else if bad_side_high {
        Verdict::Worse
    } else {
        Verdict::NoSignificantChange
    }
}

/// The percentile bootstrap 95 % interval of the mean of `values`: `resamples` means of samples
/// drawn with replacement, their 2.5th and 97.5th percentiles. `None` without values.
pub fn bootstrap_interval(values: &[f64], resamples: usize, seed: u64) -> Option<Interval> {
    if values.is_empty() || resamples == 0 {
        return None;
    }
    let n = values.len();
    let mut rng = SplitMix64(seed);
    let mut means: Vec<f64> = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let mut sum = 0.0;
        for _ in 0..n {
            sum += values[rng.below(n)];
        }
        means.push(sum / n as f64);
    }
    means.sort_by(f64::total_cmp);
    Some(Interval { low: quantile(&means, 0.025)?, high: quantile(&means, 0.975)? })
}

/// The `q` quantile (0–1) of sorted values, interpolating linearly between the two nearest ranks
/// (the "type 7" definition, NumPy's and R's default). `None` without values.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let weight = position - below as f64;
    Some(sorted[below] + (sorted[above] - sorted[below]) * weight)
}

/// The arithmetic mean; `None` without values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The seed of a comparison: the same data gives the same interval on every reload, different
/// scores get independent resamples.
fn seed_for(score_name: &str, differences: &[f64]) -> u64 {
    // FNV-1a over the name and the bits of the values: stable across platforms and releases
    // (std's hasher is not).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(score_name.as_bytes());
    for d in differences {
        eat(&d.to_bits().to_le_bytes());
    }
    hash
}

/// SplitMix64: a tiny, well-studied generator, enough for resampling indices (no cryptographic
/// need), deterministic on every platform including WASM, and no dependency to carry into the
/// browser bundle.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (Lemire's multiply-shift; the bias for n ≪ 2^32 is negligible).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(pairs: &[(&str, f64, f64)]) -> (BTreeMap<String, Vec<f64>>, BTreeMap<String, Vec<f64>>) {
        let base = pairs.iter().map(|(k, b, _)| (k.to_string(), vec![*b])).collect();
        let cand = pairs.iter().map(|(k, _, c)| (k.to_string(), vec![*c])).collect();
        (base, cand)
    }

    #[test]
    fn quantile_matches_numpy_linear_interpolation() {
        // numpy.quantile([1, 2, 3, 4], [0.025, 0.5, 0.975]) == [1.075, 2.5, 3.925]
        let sorted = [1.0, 2.0, 3.0, 4.0];
        for (q, expected) in [(0.025, 1.075), (0.5, 2.5), (0.975, 3.925), (0.0, 1.0), (1.0, 4.0)] {
            assert!((quantile(&sorted, q).unwrap() - expected).abs() < 1e-12, "q={q}");
        }
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7.0], 0.975), Some(7.0));
    }

    /// The exact bootstrap distribution of a 5-value sample has 5^5 equally likely ordered
    /// resamples; enumerating them is an independent way to get the interval the Monte Carlo
    /// bootstrap estimates.
    #[test]
    fn the_interval_matches_the_exact_bootstrap_distribution() {
        let values = [0.0, 1.0, 1.0, 0.5, 3.0];
        let n = values.len();
        let mut exact: Vec<f64> = Vec::new();
        for code in 0..n.pow(n as u32) {
            let (mut c, mut sum) = (code, 0.0);
            for _ in 0..n {
                sum += values[c % n];
                c /= n;
            }
            exact.push(sum / n as f64);
        }
        exact.sort_by(f64::total_cmp);
        let (low, high) = (quantile(&exact, 0.025).unwrap(), quantile(&exact, 0.975).unwrap());
        let estimated = bootstrap_interval(&values, 40_000, 42).unwrap();
        // The resampled means sit on a grid of 0.1; Monte Carlo percentiles land on or next to
        // the exact ones.
        assert!((estimated.low - low).abs() <= 0.1 + 1e-9, "low {} vs exact {low}", estimated.low);
        assert!((estimated.high - high).abs() <= 0.1 + 1e-9, "high {} vs exact {high}", estimated.high);
    }

    /// For a large sample the bootstrap interval of the mean approaches the normal one,
    /// `mean ± 1.96 · s/√n` (s with the n divisor, as the bootstrap's plug-in estimate uses).
    #[test]
    fn a_large_sample_agrees_with_the_normal_approximation() {
        let values: Vec<f64> = (0..400).map(|i| ((i * 37 % 101) as f64) / 25.0 - 1.5).collect();
        let n = values.len() as f64;
        let m = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
        let half = 1.96 * sd / n.sqrt();
        let ci = bootstrap_interval(&values, RESAMPLES, 7).unwrap();
        assert!(((ci.high - ci.low) / 2.0 - half).abs() < 0.06 * half, "half-width {} vs {half}", (ci.high - ci.low) / 2.0);
        assert!(((ci.high + ci.low) / 2.0 - m).abs() < 0.06 * half, "centre {} vs {m}", (ci.high + ci.low) / 2.0);
    }

    #[test]
    fn a_clear_improvement_is_better_and_names_its_items() {
        let (base, cand) = runs(&[
            ("a", 0.2, 0.8),
            ("b", 0.4, 0.9),
            ("c", 0.1, 0.7),
            ("d", 0.5, 0.9),
            ("e", 0.3, 0.6),
            ("f", 0.6, 1.0),
        ]);
        let c = compare("correctness", &base, &cand, Direction::HigherIsBetter);
        assert_eq!(c.shared_items, 6);
        assert_eq!(c.verdict, Verdict::Better);
        assert!((c.mean_difference.unwrap() - 0.4666666666666667).abs() < 1e-12);
        let ci = c.interval.unwrap();
        assert!(ci.low > 0.0 && ci.low <= 0.4666 && ci.high >= 0.4667 && ci.high <= 0.6, "{ci:?}");
        // The same numbers for a score where lower is better: worse.
        assert_eq!(compare("toxicity", &base, &cand, Direction::LowerIsBetter).verdict, Verdict::Worse);
        // Swapping the runs flips it.
        assert_eq!(compare("correctness", &cand, &base, Direction::HigherIsBetter).verdict, Verdict::Worse);
    }

    #[test]
    fn noise_around_zero_is_no_significant_change_and_the_same_every_time() {
        let (base, cand) = runs(&[
            ("a", 0.5, 0.6),
            ("b", 0.5, 0.4),
            ("c", 0.7, 0.7),
            ("d", 0.2, 0.3),
            ("e", 0.9, 0.8),
            ("f", 0.4, 0.4),
            ("g", 0.6, 0.5),
        ]);
        let first = compare("relevance", &base, &cand, Direction::HigherIsBetter);
        assert_eq!(first.verdict, Verdict::NoSignificantChange);
        assert!(first.interval.unwrap().low < 0.0 && first.interval.unwrap().high > 0.0);
        assert_eq!(first, compare("relevance", &base, &cand, Direction::HigherIsBetter), "deterministic");
    }

    #[test]
    fn only_shared_items_count_and_repeats_are_averaged() {
        let mut base: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut cand: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        base.insert("a".into(), vec![0.0, 1.0]); // mean 0.5
        cand.insert("a".into(), vec![1.0]);
        base.insert("only-in-baseline".into(), vec![1.0]);
        cand.insert("only-in-candidate".into(), vec![0.0]);
        cand.insert("b".into(), vec![f64::NAN]); // ignored: no finite value
        let c = compare("s", &base, &cand, Direction::HigherIsBetter);
        assert_eq!((c.shared_items, c.unpaired_items), (1, 2));
        assert_eq!(c.mean_difference, Some(0.5));
        assert_eq!((c.verdict, c.interval), (Verdict::TooFewItems, None));
    }

    #[test]
    fn identical_runs_have_a_zero_width_interval_at_zero() {
        let (base, cand) = runs(&[("a", 1.0, 1.0), ("b", 0.0, 0.0), ("c", 1.0, 1.0), ("d", 1.0, 1.0), ("e", 0.0, 0.0)]);
        let c = compare("exact", &base, &cand, Direction::HigherIsBetter);
        assert_eq!(c.interval, Some(Interval { low: 0.0, high: 0.0 }));
        assert_eq!(c.verdict, Verdict::NoSignificantChange);
    }
}
