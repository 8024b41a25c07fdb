//! How numbers read in the UI: one rule per kind (cost, duration, tokens), used by every page,
//! so a cost or a latency looks the same in the list, the waterfall and the panels.

/// US dollars: two decimals from $1 up, else two significant digits (`$0.33`, `$0.021`,
/// `$0.0032`, `$0.0000041`), `$0` for nothing. Costs stay in USD whatever the language.
pub fn cost(usd: f64) -> String {
    if !usd.is_finite() {
        return "—".into();
    }
    if usd == 0.0 {
        return "$0".into();
    }
    let magnitude = usd.abs();
    let decimals = if magnitude >= 1.0 { 2 } else { (1 - magnitude.log10().floor() as i32).clamp(2, 10) as usize };
    format!("${usd:.decimals$}")
}

/// The words of the units that are words (the SI symbols µs, ms and s read the same in every
/// language): the UI passes its language's (`app`'s `language::duration_units`).
#[derive(Debug, Clone, Copy)]
pub struct DurationUnits {
    pub minutes: &'static str,
    pub hours: &'static str,
}

pub const ENGLISH_UNITS: DurationUnits = DurationUnits { minutes: "min", hours: "h" };

/// A duration given in microseconds, with three significant digits and the largest unit that
/// keeps the number at least 1: `850 µs`, `12.3 ms`, `120 ms`, `1.50 s`, `30.0 s`, `2.5 min`,
/// `1.2 h`; `0` for nothing (the start of a time axis).
pub fn duration_us(us: i64) -> String {
    duration_us_in(us, ENGLISH_UNITS)
}

/// [`duration_us`] with the minutes and hours in `units`.
pub fn duration_us_in(us: i64, units: DurationUnits) -> String {
    if us <= 0 {
        return "0".into();
    }
    let us = us as f64;
    let three = |value: f64, unit: &str| {
        let decimals = if value >= 100.0 { 0 } else if value >= 10.0 { 1 } else { 2 };
        format!("{value:.decimals$} {unit}")
    };
    if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        three(us / 1_000.0, "ms")
    } else if us < 60_000_000.0 {
        three(us / 1_000_000.0, "s")
    } else if us < 3_600_000_000.0 {
        format!("{:.1} {}", us / 60_000_000.0, units.minutes)
    } else {
        format!("{:.1} {}", us / 3_600_000_000.0, units.hours)
    }
}

/// [`duration_us`] of a duration in seconds.
pub fn duration_s(seconds: f64) -> String {
    duration_s_in(seconds, ENGLISH_UNITS)
}

/// [`duration_s`] with the minutes and hours in `units`.
pub fn duration_s_in(seconds: f64, units: DurationUnits) -> String {
    if seconds.is_finite() { duration_us_in((seconds * 1e6).round() as i64, units) } else { "—".into() }
}

/// A count with thousands separators: `1,234,567`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs() {
        assert_eq!(cost(0.0), "$0");
        assert_eq!(cost(12.3456), "$12.35");
        assert_eq!(cost(0.3312), "$0.33");
        assert_eq!(cost(0.0213), "$0.021");
        assert_eq!(cost(0.003218), "$0.0032");
        assert_eq!(cost(0.0000041), "$0.0000041");
        assert_eq!(cost(f64::NAN), "—");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_us(0), "0");
        assert_eq!(duration_us(850), "850 µs");
        assert_eq!(duration_us(12_345), "12.3 ms");
        assert_eq!(duration_us(600_000), "600 ms");
        assert_eq!(duration_us(1_500_000), "1.50 s");
        assert_eq!(duration_us(30_000_000), "30.0 s");
        assert_eq!(duration_us(120_000_000), "2.0 min");
        assert_eq!(duration_us(5_400_000_000), "1.5 h");
        assert_eq!(duration_s(0.6), "600 ms");
        assert_eq!(duration_s(600.0), "10.0 min");
    }

    #[test]
    fn counts() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(-1234), "-1,234");
    }
}
