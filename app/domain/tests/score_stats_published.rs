//! The agreement statistics against worked examples published by others, so the formulas are
//! checked against someone else's arithmetic and not only our own.

use loupe_domain::score_stats::{cohen_kappa, pearson, spearman, Agreement};

/// A 2×2 table of two raters' yes/no answers as label pairs.
fn table(yes_yes: usize, yes_no: usize, no_yes: usize, no_no: usize) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (count, a, b) in [(yes_yes, "Yes", "Yes"), (yes_no, "Yes", "No"), (no_yes, "No", "Yes"), (no_no, "No", "No")] {
        pairs.extend(std::iter::repeat_n((a.to_string(), b.to_string()), count));
    }
    pairs
}

#[test]
fn cohens_kappa_matches_wikipedias_worked_examples() {
    // en.wikipedia.org/wiki/Cohen%27s_kappa, "Simple example": 50 grant proposals, both readers
    // Yes 20, A Yes/B No 5, A No/B Yes 10, both No 15 → p_o = 0.7, p_e = 0.5, κ = 0.4.
    let pairs = table(20, 5, 10, 15);
    assert!((cohen_kappa(&pairs).unwrap() - 0.4).abs() < 1e-12);
    let agreement = Agreement::categorical(&pairs);
    assert_eq!(agreement.shared, 50);
    assert!((agreement.percent_agreement.unwrap() - 0.7).abs() < 1e-12);
    // "Same percentages but different numbers": both at 60 % agreement, κ 0.1304 and 0.2593.
    assert!((cohen_kappa(&table(45, 15, 25, 15)).unwrap() - 0.1304).abs() < 5e-5);
    assert!((cohen_kappa(&table(25, 35, 5, 35)).unwrap() - 0.2593).abs() < 5e-5);
}

#[test]
fn pearson_matches_anscombes_quartet() {
    // Anscombe (1973), "Graphs in Statistical Analysis": four data sets, each with r = 0.816.
    let x = [10.0, 8.0, 13.0, 9.0, 11.0, 14.0, 6.0, 4.0, 12.0, 7.0, 5.0];
    let x4 = [8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 19.0, 8.0, 8.0, 8.0];
    let sets: [(&[f64; 11], [f64; 11]); 4] = [
        (&x, [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]),
        (&x, [9.14, 8.14, 8.74, 8.77, 9.26, 8.10, 6.13, 3.10, 9.13, 7.26, 4.74]),
        (&x, [7.46, 6.77, 12.74, 7.11, 7.81, 8.84, 6.08, 5.39, 8.15, 6.42, 5.73]),
        (&x4, [6.58, 5.76, 7.71, 8.84, 8.47, 7.04, 5.25, 12.50, 5.56, 7.91, 6.89]),
    ];
    for (i, (xs, ys)) in sets.iter().enumerate() {
        let pairs: Vec<(f64, f64)> = xs.iter().copied().zip(ys.iter().copied()).collect();
        let r = pearson(&pairs).unwrap();
        assert!((r - 0.816).abs() < 0.0006, "set {}: r = {r}", i + 1);
    }
}

#[test]
fn spearman_matches_wikipedias_iq_and_television_example() {
    // en.wikipedia.org/wiki/Spearman%27s_rank_correlation_coefficient, "Example": IQ against
    // hours of television per week for ten people, ρ = −29/165 ≈ −0.175757.
    let iq = [106.0, 100.0, 86.0, 101.0, 99.0, 103.0, 97.0, 113.0, 112.0, 110.0];
    let tv = [7.0, 27.0, 2.0, 50.0, 28.0, 29.0, 20.0, 12.0, 6.0, 17.0];
    let pairs: Vec<(f64, f64)> = iq.into_iter().zip(tv).collect();
    assert!((spearman(&pairs).unwrap() - (-29.0 / 165.0)).abs() < 1e-12);
}
