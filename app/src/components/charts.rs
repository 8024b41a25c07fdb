//! Small inline-SVG charts: vertical bars (a histogram), horizontal bars (counts per category)
//! and a time chart (a line of averages or columns of counts). No script and no chart library:
//! the server renders them and hydration has nothing to do. Each mark carries a `<title>`, so
//! hovering (or a screen reader) tells its exact value; the whole chart has a role and a label.
//!
//! Colours are the Okabe–Ito palette's hues (blue, orange, green, …, chosen to stay apart under
//! the common colour-vision deficiencies) in a lighter shade for the dark theme; charts with one
//! series use its blue. The words (titles, axis labels) come from the caller, in its language.

use leptos::prelude::*;

/// Fill classes of the colour-blind-safe palette, light and dark.
pub const PALETTE: [&str; 7] = [
    "fill-sky-700 dark:fill-sky-400",
    "fill-amber-500 dark:fill-amber-400",
    "fill-emerald-700 dark:fill-emerald-400",
    "fill-pink-600 dark:fill-pink-300",
    "fill-sky-400 dark:fill-sky-300",
    "fill-orange-700 dark:fill-orange-400",
    "fill-yellow-400 dark:fill-yellow-300",
];

const AXIS: &str = "stroke-zinc-300 dark:stroke-zinc-700";
const GRID: &str = "stroke-zinc-200 dark:stroke-zinc-800";
const TICK_TEXT: &str = "fill-zinc-500 dark:fill-zinc-400";
const MARK_HOVER: &str = "hover:opacity-75";

// The drawing box (viewBox units). The SVG scales to its container's width.
const WIDTH: f64 = 400.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 28.0;
const FONT: &str = "11";

/// One bar: its axis label, its length and what hovering it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub title: String,
}

/// One point of a time chart: `x` from 0 (start of the range) to 1 (its end).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub title: String,
}

/// How a time chart draws its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMarks {
    /// A line through the points (averages).
    Line,
    /// One column per point, from zero (counts).
    Columns,
}

/// A number as a chart reads it: whole numbers as they are, others to at most three decimals
/// without trailing zeros, large ones with k/M.
pub fn short_number(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    let abs = value.abs();
    let trimmed = |s: String| if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if abs >= 1_000_000.0 {
        format!("{}M", trimmed(format!("{:.1}", value / 1_000_000.0)))
    } else if abs >= 10_000.0 {
        format!("{}k", trimmed(format!("{:.1}", value / 1_000.0)))
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        let s = trimmed(format!("{value:.3}"));
        if s == "-0" { "0".to_string() } else { s }
    }
}

/// The top of the value axis: the maximum rounded up to 1, 2, 2.5 or 5 × 10ⁿ, so the axis label
/// is a round number and the tallest bar nearly reaches it.
pub fn axis_top(max: f64) -> f64 {
    if !(max > 0.0) || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    let factor = [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().find(|f| f * magnitude >= max - 1e-12).unwrap_or(10.0);
    factor * magnitude
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// The value axis: the zero line, a gridline and label at `top` and at half of it.
fn value_axis(bottom: f64, top: f64) -> impl IntoView {
    let y_of = move |v: f64| TOP + plot_height() * (1.0 - (v - bottom) / (top - bottom));
    let ticks = [bottom, (bottom + top) / 2.0, top];
    view! {
        <g aria-hidden="true">
            {ticks.into_iter().map(|v| {
                let y = y_of(v);
                view! {
                    <line x1=LEFT x2=WIDTH - RIGHT y1=y y2=y class=if v == bottom { AXIS } else { GRID } stroke-width="1" />
                    <text x=LEFT - 4.0 y=y + 4.0 text-anchor="end" font-size=FONT class=TICK_TEXT>{short_number(v)}</text>
                }
            }).collect_view()}
        </g>
    }
}

/// Vertical bars side by side (a histogram: one bar per bin, labelled with the bin's start).
#[component]
pub fn ColumnChart(bars: Vec<Bar>, #[prop(into)] label: String, #[prop(optional)] test_id: &'static str) -> impl IntoView {
    let top = axis_top(bars.iter().map(|b| b.value).fold(0.0, f64::max));
    let n = bars.len().max(1) as f64;
    let slot = plot_width() / n;
    let gap = (slot * 0.12).min(4.0);
    // Label every k-th bar so the labels never overlap (about 48 units each).
    let every = ((48.0 / slot).ceil() as usize).max(1);
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="h-auto w-full" role="img" aria-label=label data-testid=test_id>
            {value_axis(0.0, top)}
            {bars.into_iter().enumerate().map(|(i, bar)| {
                let h = plot_height() * (bar.value / top).clamp(0.0, 1.0);
                let x = LEFT + slot * i as f64;
                let label = (i % every == 0).then(|| view! {
                    <text x=x + slot / 2.0 y=HEIGHT - BOTTOM + 14.0 text-anchor="middle" font-size=FONT class=TICK_TEXT aria-hidden="true">{bar.label.clone()}</text>
                });
                view! {
                    <g data-testid="chart-bar" data-value=bar.value.to_string()>
                        // The full slot height takes the hover, so short bars are easy to point at.
                        <rect x=x y=TOP width=slot height=plot_height() fill="transparent"><title>{bar.title.clone()}</title></rect>
                        <rect x=x + gap / 2.0 y=TOP + plot_height() - h width=(slot - gap).max(1.0) height=h class=format!("{} {MARK_HOVER}", PALETTE[0])>
                            <title>{bar.title}</title>
                        </rect>
                        {label}
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// Horizontal bars, one per category, labelled on the left, counted on the right; coloured by
/// the palette in order (the label, not the colour, says which is which).
#[component]
pub fn BarList(bars: Vec<Bar>, #[prop(into)] label: String, #[prop(optional)] test_id: &'static str) -> impl IntoView {
    const ROW: f64 = 24.0;
    const LABEL_WIDTH: f64 = 110.0;
    const COUNT_WIDTH: f64 = 44.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max).max(1.0);
    let height = ROW * bars.len().max(1) as f64 + 4.0;
    let track = WIDTH - LABEL_WIDTH - COUNT_WIDTH;
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {height}") class="h-auto w-full" role="img" aria-label=label data-testid=test_id>
            {bars.into_iter().enumerate().map(|(i, bar)| {
                let y = 2.0 + ROW * i as f64;
                let w = (track * bar.value / max).max(if bar.value > 0.0 { 2.0 } else { 0.0 });
                // Long labels are cut; the full one is in the title.
                let shown: String = if bar.label.chars().count() > 16 { format!("{}…", bar.label.chars().take(15).collect::<String>()) } else { bar.label.clone() };
                view! {
                    <g data-testid="chart-category" data-label=bar.label.clone() data-value=bar.value.to_string()>
                        <title>{bar.title.clone()}</title>
                        <text x=LABEL_WIDTH - 6.0 y=y + ROW / 2.0 + 4.0 text-anchor="end" font-size="12" class="fill-zinc-700 dark:fill-zinc-300">{shown}</text>
                        <rect x=LABEL_WIDTH y=y + 3.0 width=track height=ROW - 6.0 rx="2" class="fill-zinc-100 dark:fill-zinc-900" />
                        <rect x=LABEL_WIDTH y=y + 3.0 width=w height=ROW - 6.0 rx="2" class=format!("{} {MARK_HOVER}", PALETTE[i % PALETTE.len()]) />
                        <text x=WIDTH - 4.0 y=y + ROW / 2.0 + 4.0 text-anchor="end" font-size="12" class=TICK_TEXT>{short_number(bar.value)}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// Points over a time range: `x_labels` are `(position 0–1, text)` under the axis (the range's
/// start and end, say). The value axis starts at zero unless a value is negative.
#[component]
pub fn TimeChart(
    points: Vec<Point>,
    marks: TimeMarks,
    x_labels: Vec<(f64, String)>,
    #[prop(into)] label: String,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView {
    let max = points.iter().map(|p| p.y).fold(0.0, f64::max);
    let min = points.iter().map(|p| p.y).fold(0.0, f64::min);
    let top = axis_top(max);
    let bottom = if min < 0.0 { -axis_top(-min) } else { 0.0 };
    let x_of = |x: f64| LEFT + plot_width() * x.clamp(0.0, 1.0);
    let y_of = move |v: f64| TOP + plot_height() * (1.0 - (v - bottom) / (top - bottom));
    let column = (plot_width() / points.len().max(1) as f64).clamp(2.0, 14.0);
    let path = (marks == TimeMarks::Line && points.len() > 1).then(|| {
        let d: Vec<String> =
            points.iter().enumerate().map(|(i, p)| format!("{}{:.2},{:.2}", if i == 0 { "M" } else { "L" }, x_of(p.x), y_of(p.y))).collect();
        view! { <path d=d.join(" ") fill="none" class="stroke-sky-700 dark:stroke-sky-400" stroke-width="2" stroke-linejoin="round" aria-hidden="true" /> }
    });
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="h-auto w-full" role="img" aria-label=label data-testid=test_id>
            {value_axis(bottom, top)}
            <g aria-hidden="true">
                {x_labels.into_iter().map(|(x, text)| {
                    let anchor = if x <= 0.05 { "start" } else if x >= 0.95 { "end" } else { "middle" };
                    view! { <text x=x_of(x) y=HEIGHT - BOTTOM + 14.0 text-anchor=anchor font-size=FONT class=TICK_TEXT>{text}</text> }
                }).collect_view()}
            </g>
            {path}
            {points.into_iter().map(|p| {
                let (x, y) = (x_of(p.x), y_of(p.y));
                match marks {
                    TimeMarks::Line => view! {
                        <g data-testid="chart-point" data-value=p.y.to_string()>
                            <circle cx=x cy=y r="8" fill="transparent"><title>{p.title.clone()}</title></circle>
                            <circle cx=x cy=y r="3" class=format!("{} {MARK_HOVER}", PALETTE[0])><title>{p.title}</title></circle>
                        </g>
                    }.into_any(),
                    TimeMarks::Columns => {
                        let zero = y_of(0.0);
                        view! {
                            <g data-testid="chart-point" data-value=p.y.to_string()>
                                <rect x=(x - column / 2.0).max(LEFT) y=y.min(zero) width=column height=(zero - y).abs().max(1.0) class=format!("{} {MARK_HOVER}", PALETTE[0])>
                                    <title>{p.title}</title>
                                </rect>
                            </g>
                        }.into_any()
                    }
                }
            }).collect_view()}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_short() {
        assert_eq!(short_number(3.0), "3");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(0.1 + 0.2), "0.3");
        assert_eq!(short_number(-0.0001), "0");
        assert_eq!(short_number(12_345.0), "12.3k");
        assert_eq!(short_number(2_000_000.0), "2M");
        assert_eq!(short_number(f64::NAN), "–");
    }

    #[test]
    fn the_axis_ends_on_a_round_number_at_or_above_the_maximum() {
        assert_eq!(axis_top(7.0), 10.0);
        assert_eq!(axis_top(10.0), 10.0);
        assert_eq!(axis_top(11.0), 20.0);
        assert_eq!(axis_top(0.42), 0.5);
        assert_eq!(axis_top(230.0), 250.0);
        assert_eq!(axis_top(0.0), 1.0);
    }
}
