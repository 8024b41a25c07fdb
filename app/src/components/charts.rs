//! Small inline charts, drawn by the server so a dashboard is readable before (and without) its
//! script: vertical bars (a histogram), horizontal bars (counts per category) and a time chart
//! for the Scores page; and for dashboards (#22) [`SeriesChart`] (lines, stacked or grouped
//! columns over time, several series with a legend), [`BarChart`] (one or more values per
//! category, "by model"), [`NumberCard`] and [`DataTable`]. No chart library (why: see the
//! dashboards section of ARCHITECTURE.md): nothing measures the page, so the first HTML already
//! holds the chart, hydration has nothing to redo, and the code stays a few kilobytes.
//!
//! Hover: each mark of the older charts carries a `<title>` (hovering, or a screen reader, tells
//! its exact value). A [`SeriesChart`] lays one transparent column per time bucket over the plot;
//! hovering it shows a crosshair (lines) or a band (columns) and a tooltip with every series'
//! value at that time — plain CSS (`group-hover`), so it works as soon as the HTML is there.
//! Axes read in the metric's unit (`domain::dashboards::Unit`, through `format.rs`), ticks fall
//! on round numbers (`nice_ticks`), and time labels are spaced so they never collide on the
//! narrowest card (a phone).
//!
//! Colours are the Okabe–Ito palette's hues (blue, orange, green, …, chosen to stay apart under
//! the common colour-vision deficiencies) in a lighter shade for the dark theme; lines also
//! differ by dash pattern, so colour is never the only cue. Charts with one series use its blue.
//! The words (titles, axis labels) come from the caller, in its language.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::domain::dashboards::{is_dated, nice_ticks, Unit};
use crate::domain::metrics_query::Granularity;
use crate::i18n::*;

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

// ---------------------------------------------------------------------------------------------
// Dashboard charts (#22)
// ---------------------------------------------------------------------------------------------

/// Background classes of the palette (legend swatches, HTML bars), in [`PALETTE`]'s order.
pub const SWATCHES: [&str; 7] = [
    "bg-sky-700 dark:bg-sky-400",
    "bg-amber-500 dark:bg-amber-400",
    "bg-emerald-700 dark:bg-emerald-400",
    "bg-pink-600 dark:bg-pink-300",
    "bg-sky-400 dark:bg-sky-300",
    "bg-orange-700 dark:bg-orange-400",
    "bg-yellow-400 dark:bg-yellow-300",
];

/// Stroke classes of the palette (lines), in [`PALETTE`]'s order.
const STROKES: [&str; 7] = [
    "stroke-sky-700 dark:stroke-sky-400",
    "stroke-amber-500 dark:stroke-amber-400",
    "stroke-emerald-700 dark:stroke-emerald-400",
    "stroke-pink-600 dark:stroke-pink-300",
    "stroke-sky-400 dark:stroke-sky-300",
    "stroke-orange-700 dark:stroke-orange-400",
    "stroke-yellow-400 dark:stroke-yellow-300",
];

/// Dash patterns of lines, so series differ by more than colour.
const DASHES: [&str; 4] = ["", "6 3", "2 3", "8 3 2 3"];

/// The plot's height in pixels (the width follows the card's).
const PLOT_HEIGHT: f64 = 180.0;
/// The narrowest plot a card gets (a phone, 390 px, less padding and the value axis): time
/// labels are spaced for it, so wider cards only add room.
const NARROWEST_PLOT: f64 = 270.0;
/// The width of one character of the 11 px axis text (tabular digits), for spacing labels.
const CHAR_WIDTH: f64 = 6.4;

/// One series of a dashboard chart: its name (already worded) and its values, in the order of
/// the buckets or categories (`None`: no value there).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// How a [`SeriesChart`] draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    Line,
    Stacked,
    Grouped,
}

/// A bucket's label under the axis: the time of day for minutes and hours (with the date when
/// the range spans days), the date for days and weeks, the month for months. Buckets of a day
/// or more were cut in UTC, so their date is the UTC one; shorter ones read in `zone`.
pub fn bucket_label(at: DateTime<Utc>, granularity: Granularity, with_date: bool, zone: crate::language::TimeZone) -> String {
    match granularity {
        Granularity::Month => at.format("%Y-%m").to_string(),
        g if is_dated(g) => at.format("%m-%d").to_string(),
        _ if with_date => at.with_timezone(&zone.0).format("%m-%d %H:%M").to_string(),
        _ => at.with_timezone(&zone.0).format("%H:%M").to_string(),
    }
}

/// A bucket in full, for its tooltip.
pub fn bucket_title(at: DateTime<Utc>, granularity: Granularity, zone: crate::language::TimeZone) -> String {
    match granularity {
        Granularity::Month => at.format("%Y-%m").to_string(),
        Granularity::Week => format!("{} –", at.format("%Y-%m-%d")),
        g if is_dated(g) => at.format("%Y-%m-%d").to_string(),
        _ => format!("{} ({})", at.with_timezone(&zone.0).format("%Y-%m-%d %H:%M"), zone.label()),
    }
}

/// Which buckets get a label: every `step`-th, so labels of `chars` characters never overlap on
/// the narrowest plot, and none that would run past its right edge there.
pub fn labelled_buckets(n: usize, chars: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let label = chars as f64 * CHAR_WIDTH + 14.0;
    let fits = ((NARROWEST_PLOT / label).floor() as usize).max(1);
    let step = n.div_ceil(fits).max(1);
    let slot = NARROWEST_PLOT / n as f64;
    (0..n)
        .step_by(step)
        .filter(|&i| i == 0 || slot * (i as f64 + 0.5) + label / 2.0 <= NARROWEST_PLOT + 8.0)
        .collect()
}

fn pct(v: f64) -> String {
    format!("{:.3}%", v * 100.0)
}

/// The lowest and highest value a chart must show (stacked: the sums per bucket), 0 included.
fn value_range(series: &[ChartSeries], stacked: bool) -> (f64, f64) {
    let (mut low, mut high) = (0.0f64, 0.0f64);
    if stacked {
        let n = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
        for i in 0..n {
            let (mut up, mut down) = (0.0, 0.0);
            for s in series {
                match s.values.get(i).copied().flatten() {
                    Some(v) if v >= 0.0 => up += v,
                    Some(v) => down += v,
                    None => {}
                }
            }
            high = high.max(up);
            low = low.min(down);
        }
    } else {
        for v in series.iter().flat_map(|s| s.values.iter().flatten()) {
            high = high.max(*v);
            low = low.min(*v);
        }
    }
    (low, high)
}

/// The legend: a swatch per series (a line with its dash for lines, a square for columns) and
/// the series' name (people's values: not translated).
#[component]
pub fn Legend(names: Vec<String>, #[prop(optional)] lines: bool) -> impl IntoView {
    view! {
        <ul class="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-zinc-600 dark:text-zinc-300" data-testid="chart-legend">
            {names.into_iter().enumerate().map(|(i, name)| {
                let swatch = if lines {
                    view! {
                        <svg width="18" height="8" aria-hidden="true" class="shrink-0">
                            <line x1="1" x2="17" y1="4" y2="4" stroke-width="2.5" class=STROKES[i % STROKES.len()] stroke-dasharray=DASHES[i % DASHES.len()] />
                        </svg>
                    }.into_any()
                } else {
                    view! { <span class=format!("inline-block h-2.5 w-2.5 shrink-0 rounded-sm {}", SWATCHES[i % SWATCHES.len()]) aria-hidden="true"></span> }.into_any()
                };
                view! { <li class="flex min-w-0 items-center gap-1.5">{swatch}<span class="truncate" translate="no" title=name.clone()>{name.clone()}</span></li> }
            }).collect_view()}
        </ul>
    }
}

/// Series over time: lines, stacked columns or grouped columns, with a value axis in `unit`,
/// time labels, a legend (more than one series) and a hover tooltip per bucket.
#[component]
pub fn SeriesChart(
    buckets: Vec<DateTime<Utc>>,
    granularity: Granularity,
    series: Vec<ChartSeries>,
    kind: SeriesKind,
    unit: Unit,
    #[prop(into)] label: String,
    /// `label` is someone's own text (a custom widget's title): kept out of page translation.
    #[prop(optional)]
    user_label: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let units = crate::language::duration_units(i18n.get_locale_untracked());
    let zone = crate::language::time_zone();
    let n = buckets.len().max(1);
    let (low, high) = value_range(&series, kind == SeriesKind::Stacked);
    let ticks = nice_ticks(low, high, 4, unit.whole());
    let (bottom, top) = (ticks[0], *ticks.last().expect("at least two ticks"));
    const PAD: f64 = 6.0;
    let y_of = move |v: f64| PAD + (PLOT_HEIGHT - 2.0 * PAD) * (1.0 - (v - bottom) / (top - bottom));
    let tick_labels: Vec<String> = ticks.iter().map(|t| unit.short(*t, units)).collect();
    let axis_width = tick_labels.iter().map(|t| t.chars().count()).max().unwrap_or(1) as f64 * CHAR_WIDTH + 10.0;
    let with_date = buckets.first().zip(buckets.last()).is_some_and(|(a, b)| {
        a.with_timezone(&zone.0).date_naive() != b.with_timezone(&zone.0).date_naive()
    });
    let x_labels: Vec<(usize, String)> = {
        let text = |i: usize| bucket_label(buckets[i], granularity, with_date, zone);
        let chars = buckets.first().map(|b| bucket_label(*b, granularity, with_date, zone).chars().count()).unwrap_or(5);
        labelled_buckets(buckets.len(), chars).into_iter().map(|i| (i, text(i))).collect()
    };
    let center = move |i: usize| (i as f64 + 0.5) / n as f64;

    let grid = ticks
        .iter()
        .zip(tick_labels.iter())
        .map(|(t, _)| {
            let y = y_of(*t);
            view! { <line x1="0" x2="100%" y1=y y2=y class=if *t == 0.0 { AXIS } else { GRID } stroke-width="1" /> }
        })
        .collect_view();
    let y_axis = ticks
        .iter()
        .zip(tick_labels)
        .map(|(t, text)| {
            let style = format!("top:{:.1}px;transform:translateY(-50%)", y_of(*t));
            view! { <span class="absolute right-2 whitespace-nowrap" style=style>{text}</span> }
        })
        .collect_view();

    let marks = match kind {
        SeriesKind::Line => series
            .iter()
            .enumerate()
            .map(|(s, line)| {
                let stroke = STROKES[s % STROKES.len()];
                let dash = DASHES[s % DASHES.len()];
                let values = &line.values;
                let segments = (1..values.len())
                    .filter_map(|i| {
                        let (a, b) = (values[i - 1]?, values[i]?);
                        Some(view! {
                            <line x1=pct(center(i - 1)) y1=y_of(a) x2=pct(center(i)) y2=y_of(b) class=stroke stroke-width="2" stroke-dasharray=dash stroke-linecap="round" />
                        })
                    })
                    .collect_view();
                // Points where a line cannot show a value alone (no neighbour), or few enough to mark.
                let points = values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        let v = (*v)?;
                        let alone = values.get(i.wrapping_sub(1)).copied().flatten().is_none() && values.get(i + 1).copied().flatten().is_none();
                        (alone || n <= 48).then(|| view! {
                            <circle cx=pct(center(i)) cy=y_of(v) r=if alone { "3" } else { "2.5" } class=PALETTE[s % PALETTE.len()] data-testid="chart-mark" data-value=v.to_string() />
                        })
                    })
                    .collect_view();
                view! { <g data-series=s>{segments}{points}</g> }
            })
            .collect_view()
            .into_any(),
        SeriesKind::Stacked => {
            let width = 0.72 / n as f64;
            (0..buckets.len())
                .map(|i| {
                    let (mut up, mut down) = (0.0, 0.0);
                    let x = pct(center(i) - width / 2.0);
                    series
                        .iter()
                        .enumerate()
                        .filter_map(|(s, one)| {
                            let v = one.values.get(i).copied().flatten().filter(|v| *v != 0.0)?;
                            let (from, to) = if v >= 0.0 { up += v; (up - v, up) } else { down += v; (down - v, down) };
                            let (y1, y2) = (y_of(to.max(from)), y_of(to.min(from)));
                            Some(view! {
                                <rect x=x.clone() y=y1 width=pct(width) height=(y2 - y1).max(1.0) class=PALETTE[s % PALETTE.len()] data-testid="chart-mark" data-value=v.to_string() />
                            })
                        })
                        .collect_view()
                })
                .collect_view()
                .into_any()
        }
        SeriesKind::Grouped => {
            let m = series.len().max(1) as f64;
            let width = 0.8 / n as f64 / m;
            let zero = y_of(0.0f64.clamp(bottom, top));
            (0..buckets.len())
                .map(|i| {
                    series
                        .iter()
                        .enumerate()
                        .filter_map(|(s, one)| {
                            let v = one.values.get(i).copied().flatten()?;
                            let y = y_of(v);
                            let x = center(i) - 0.4 / n as f64 + width * s as f64;
                            Some(view! {
                                <rect x=pct(x) y=y.min(zero) width=pct(width * 0.9) height=(zero - y).abs().max(1.0) class=PALETTE[s % PALETTE.len()] data-testid="chart-mark" data-value=v.to_string() />
                            })
                        })
                        .collect_view()
                })
                .collect_view()
                .into_any()
        }
    };

    // One hover column per bucket: the crosshair or band, and the tooltip with every series.
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let show_total = kind == SeriesKind::Stacked && series.len() > 1 && unit != Unit::Percent;
    let total_word = td_string!(i18n.get_locale_untracked(), dashboards.chart.total);
    let zones = (0..buckets.len())
        .map(|i| {
            let right_half = i * 2 >= buckets.len();
            let side = if right_half { "right-1/2 mr-2" } else { "left-1/2 ml-2" };
            let highlight = if kind == SeriesKind::Line {
                "pointer-events-none absolute inset-y-0 left-1/2 w-px bg-zinc-500/70 opacity-0 group-hover:opacity-100 dark:bg-zinc-400/70"
            } else {
                "pointer-events-none absolute inset-0 bg-zinc-500/10 opacity-0 group-hover:opacity-100 dark:bg-zinc-300/10"
            };
            let rows = series
                .iter()
                .enumerate()
                .map(|(s, one)| {
                    let value = one.values.get(i).copied().flatten().map_or_else(|| "–".to_string(), |v| unit.full(v, units));
                    view! {
                        <li class="flex items-center gap-1.5">
                            <span class=format!("inline-block h-2 w-2 shrink-0 rounded-sm {}", SWATCHES[s % SWATCHES.len()]) aria-hidden="true"></span>
                            <span class="min-w-0 flex-1 truncate" translate="no">{names[s].clone()}</span>
                            <span class="pl-2 font-medium tabular-nums">{value}</span>
                        </li>
                    }
                })
                .collect_view();
            let total = show_total.then(|| {
                let sum: f64 = series.iter().filter_map(|s| s.values.get(i).copied().flatten()).sum();
                view! { <li class="mt-0.5 flex justify-between border-t border-zinc-200 pt-0.5 dark:border-zinc-700"><span>{total_word}</span><span class="pl-2 font-medium tabular-nums">{unit.full(sum, units)}</span></li> }
            });
            view! {
                <div class="group relative h-full min-w-0 flex-1" data-testid="chart-bucket">
                    <div class=highlight></div>
                    <div class=format!("pointer-events-none absolute top-0 z-20 hidden w-max min-w-[9rem] max-w-[16rem] rounded-md border border-zinc-200 bg-white px-2 py-1.5 text-xs text-zinc-700 shadow-md group-hover:block dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 {side}") data-testid="chart-tooltip">
                        <p class="mb-1 whitespace-nowrap text-zinc-500 dark:text-zinc-400">{bucket_title(buckets[i], granularity, zone)}</p>
                        <ul class="space-y-0.5">{rows}{total}</ul>
                    </div>
                </div>
            }
        })
        .collect_view();

    let x_axis = x_labels
        .into_iter()
        .map(|(i, text)| {
            let style = if i == 0 { format!("left:{}", pct(i as f64 / n as f64)) } else { format!("left:{};transform:translateX(-50%)", pct(center(i))) };
            view! { <span class="absolute top-1 whitespace-nowrap" style=style>{text}</span> }
        })
        .collect_view();
    let legend = (series.len() > 1).then(|| view! { <Legend names lines=kind == SeriesKind::Line /> });
    view! {
        <figure class="w-full" data-testid="series-chart" data-kind=format!("{kind:?}").to_lowercase()>
            <div class="flex">
                <div class="relative shrink-0 text-[11px] tabular-nums text-zinc-500 dark:text-zinc-400" style=format!("width:{axis_width:.0}px;height:{PLOT_HEIGHT}px") aria-hidden="true">
                    {y_axis}
                </div>
                <div class="relative min-w-0 flex-1" style=format!("height:{PLOT_HEIGHT}px")>
                    <svg class="absolute inset-0 h-full w-full overflow-visible" role="img" aria-label=label translate=user_label.then_some("no")>
                        {grid}
                        {marks}
                    </svg>
                    <div class="absolute inset-0 flex">{zones}</div>
                </div>
            </div>
            <div class="relative h-5 text-[11px] tabular-nums text-zinc-500 dark:text-zinc-400" style=format!("margin-left:{axis_width:.0}px") aria-hidden="true">
                {x_axis}
            </div>
            {legend}
        </figure>
    }
}

/// Values per category as horizontal bars, largest first as the rows came: one bar per series
/// (p50, p95, p99 of a trace name side by side), the value written beside it, the category's
/// full name and values in its title.
#[component]
pub fn BarChart(
    labels: Vec<String>,
    series: Vec<ChartSeries>,
    unit: Unit,
    #[prop(into)] label: String,
    /// `label` is someone's own text (a custom widget's title): kept out of page translation.
    #[prop(optional)]
    user_label: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let units = crate::language::duration_units(i18n.get_locale_untracked());
    let max = series.iter().flat_map(|s| s.values.iter().flatten()).fold(0.0f64, |m, v| m.max(v.abs()));
    let max = if max > 0.0 { max } else { 1.0 };
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let several = series.len() > 1;
    let rows = labels
        .into_iter()
        .enumerate()
        .map(|(c, category)| {
            let values: Vec<Option<f64>> = series.iter().map(|s| s.values.get(c).copied().flatten()).collect();
            let title = std::iter::once(category.clone())
                .chain(values.iter().zip(&names).map(|(v, name)| {
                    let v = v.map_or_else(|| "–".to_string(), |v| unit.full(v, units));
                    if several { format!("{name}: {v}") } else { v }
                }))
                .collect::<Vec<_>>()
                .join(" · ");
            let bars = values
                .iter()
                .enumerate()
                .map(|(s, v)| {
                    let width = v.map_or(0.0, |v| (v.abs() / max * 100.0).max(if v != 0.0 { 0.8 } else { 0.0 }));
                    let text = v.map_or_else(|| "–".to_string(), |v| unit.full(v, units));
                    view! {
                        <div class="flex items-center gap-2">
                            <div class="h-2.5 min-w-0 flex-1">
                                <div class=format!("h-2.5 rounded-sm {}", SWATCHES[s % SWATCHES.len()]) style=format!("width:{width:.2}%") data-testid="chart-mark" data-value=v.map(|v| v.to_string()).unwrap_or_default()></div>
                            </div>
                            <span class="w-16 shrink-0 text-right text-[11px] tabular-nums text-zinc-600 dark:text-zinc-300">{text}</span>
                        </div>
                    }
                })
                .collect_view();
            view! {
                <li class="grid grid-cols-[minmax(0,7rem)_minmax(0,1fr)] items-center gap-2 rounded px-1 py-0.5 hover:bg-zinc-50 sm:grid-cols-[minmax(0,10rem)_minmax(0,1fr)] dark:hover:bg-zinc-900" title=title translate="no" data-testid="chart-category">
                    <span class="truncate text-xs text-zinc-700 dark:text-zinc-300">{category}</span>
                    <div class="space-y-0.5">{bars}</div>
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="w-full" data-testid="bar-chart">
            <ul class="space-y-1" aria-label=label translate=user_label.then_some("no")>{rows}</ul>
            {several.then(|| view! { <Legend names /> })}
        </figure>
    }
}

/// One number, large, in its unit.
#[component]
pub fn NumberCard(value: Option<f64>, unit: Unit) -> impl IntoView {
    let i18n = use_i18n();
    let units = crate::language::duration_units(i18n.get_locale_untracked());
    let text = value.map_or_else(|| "–".to_string(), |v| unit.full(v, units));
    view! {
        <p class="text-3xl font-semibold tabular-nums tracking-tight" data-testid="number-card" data-value=value.map(|v| v.to_string()).unwrap_or_default()>{text}</p>
    }
}

/// Rows as a table: `columns` are (heading, right-aligned); cells already formatted. Scrolls
/// inside its box when wider than the card.
#[component]
pub fn DataTable(
    columns: Vec<(String, bool)>,
    rows: Vec<Vec<String>>,
    #[prop(into)] label: String,
    /// `label` is someone's own text (a custom widget's title): kept out of page translation
    /// (the headings inside stay translatable: they carry their own `translate`).
    #[prop(optional)]
    user_label: bool,
) -> impl IntoView {
    let aligned: Vec<bool> = columns.iter().map(|(_, right)| *right).collect();
    view! {
        <div class="max-h-80 overflow-auto" data-testid="data-table">
            <table class="w-full text-left text-xs" aria-label=label translate=user_label.then_some("no")>
                <thead class="sticky top-0 bg-white dark:bg-zinc-950" translate=user_label.then_some("yes")>
                    <tr class="border-b border-zinc-200 dark:border-zinc-800">
                        {columns.into_iter().map(|(heading, right)| view! {
                            <th class=if right { "whitespace-nowrap px-2 py-1.5 text-right font-semibold" } else { "whitespace-nowrap px-2 py-1.5 font-semibold" }>{heading}</th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr class="border-b border-zinc-100 hover:bg-zinc-50 dark:border-zinc-900 dark:hover:bg-zinc-900">
                            {row.into_iter().zip(aligned.clone()).map(|(cell, right)| {
                                if right {
                                    view! { <td class="whitespace-nowrap px-2 py-1 text-right tabular-nums">{cell}</td> }.into_any()
                                } else {
                                    view! { <td class="max-w-[14rem] truncate px-2 py-1" translate="no" title=cell.clone()>{cell.clone()}</td> }.into_any()
                                }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A custom widget's title (someone's text) labels the table, kept out of page translation;
    /// the app's own headings stay translatable; an app label is left alone.
    #[cfg(feature = "ssr")]
    #[test]
    fn a_users_title_as_a_label_is_not_translated() {
        use leptos::tachys::view::RenderHtml;
        let render = |user_label: bool| {
            let owner = Owner::new();
            owner.set();
            let columns = vec![("Model".to_string(), false), ("Cost".to_string(), true)];
            let rows = vec![vec!["gpt-4o".to_string(), "$1.00".to_string()]];
            view! { <DataTable columns rows label="Kosten pro Modell" user_label /> }.to_html()
        };
        let html = render(true);
        assert!(html.contains(r#"aria-label="Kosten pro Modell" translate="no""#), "{html}");
        assert!(html.contains(r#"<thead translate="yes""#), "{html}");
        let html = render(false);
        assert!(html.contains(r#"<table aria-label="Kosten pro Modell" class="#) && !html.contains(r#"translate="yes""#), "{html}");
    }

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
    fn time_labels_never_collide_on_a_phone() {
        // An hour by minute: 60 buckets of "HH:MM" (5 characters).
        let shown = labelled_buckets(60, 5);
        assert!(shown.len() >= 4 && shown.len() <= 7, "{shown:?}");
        let label = 5.0 * CHAR_WIDTH + 14.0;
        for pair in shown.windows(2) {
            assert!((pair[1] - pair[0]) as f64 * NARROWEST_PLOT / 60.0 >= label, "{shown:?}");
        }
        assert_eq!(labelled_buckets(7, 5), vec![0, 2, 4, 6], "a week by day");
        assert_eq!(labelled_buckets(5, 11), vec![0, 2], "the last would run past the edge");
        assert_eq!(labelled_buckets(0, 5), Vec::<usize>::new());
        assert_eq!(labelled_buckets(1, 11), vec![0]);
        // Long labels ("12-03 14:00") over 72 hours: few, never overlapping.
        let shown = labelled_buckets(72, 11);
        assert!(shown.len() >= 2 && shown.len() <= 4, "{shown:?}");
    }

    #[test]
    fn bucket_labels_read_by_their_size() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-01T23:00:00Z").unwrap().with_timezone(&Utc);
        let east = crate::language::TimeZone::from_minutes(120).unwrap();
        assert_eq!(bucket_label(at, Granularity::Hour, false, east), "01:00", "hours in the person's zone");
        assert_eq!(bucket_label(at, Granularity::Hour, true, east), "03-02 01:00");
        assert_eq!(bucket_label(at, Granularity::Day, false, east), "03-01", "days as cut, in UTC");
        assert_eq!(bucket_label(at, Granularity::Month, false, east), "2026-03");
        assert_eq!(bucket_title(at, Granularity::Minute, east), "2026-03-02 01:00 (UTC+02:00)");
    }

    #[test]
    fn stacked_ranges_add_up_per_bucket() {
        let series = vec![
            ChartSeries { name: "a".into(), values: vec![Some(2.0), Some(5.0)] },
            ChartSeries { name: "b".into(), values: vec![Some(4.0), None] },
        ];
        assert_eq!(value_range(&series, true), (0.0, 6.0));
        assert_eq!(value_range(&series, false), (0.0, 5.0));
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
