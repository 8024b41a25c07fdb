//! What the home and custom dashboards share: the place in the URL (range and filters), the
//! toolbar that changes it, the grid of widget cards, and a widget's rows drawn as its chart.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use super::words;
use crate::components::charts::{bucket_title, BarChart, ChartSeries, DataTable, NumberCard, SeriesChart, SeriesKind};
use crate::components::ui::*;
use crate::domain::dashboards::{
    shape_categories, shape_number, shape_time, text, BoardFilters, ChartKind, Preset, TimeRange, Unit, Widget, WidgetSize,
};
use crate::domain::metrics_query::Granularity;
use crate::domain::url::encode_query;
use crate::error::AppError;
use crate::i18n::*;
use crate::server_fns::dashboards::{BoardData, RangeInput, WidgetData};

/// A board's place in the URL: the time range (`range`, `from`, `to`) and the filters (the
/// traces list's parameter names). Everything a person set is in the address, so a board can
/// be reloaded, shared and navigated back to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct BoardPlace {
    pub range: RangeInput,
    pub filters: BoardFilters,
}

impl BoardPlace {
    pub fn from_query(q: &ParamsMap) -> BoardPlace {
        let get = |k: &str| q.get(k).unwrap_or_default();
        BoardPlace {
            range: RangeInput { range: get("range"), from: get("from"), to: get("to") },
            filters: BoardFilters::from_params(|k| q.get(k)),
        }
    }

    /// The URL's query (`?range=7d&environment=production`), or nothing.
    pub fn search(&self) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        if !self.range.range.is_empty() {
            parts.push(("range", self.range.range.clone()));
        }
        if self.range.range == "custom" {
            parts.push(("from", self.range.from.clone()));
            parts.push(("to", self.range.to.clone()));
        }
        parts.extend(self.filters.to_params());
        if parts.is_empty() {
            return String::new();
        }
        format!("?{}", parts.iter().map(|(k, v)| format!("{k}={}", encode_query(v))).collect::<Vec<_>>().join("&"))
    }

    pub fn with_range(&self, range: TimeRange) -> BoardPlace {
        let params = range.to_params();
        let get = |k: &str| params.iter().find(|(p, _)| *p == k).map(|(_, v)| v.clone()).unwrap_or_default();
        BoardPlace { range: RangeInput { range: get("range"), from: get("from"), to: get("to") }, ..self.clone() }
    }

    pub fn with_filters(&self, filters: BoardFilters) -> BoardPlace {
        BoardPlace { filters, ..self.clone() }
    }

    /// The range the URL names (the default when it names a wrong one: the server says why).
    pub fn time_range(&self) -> TimeRange {
        TimeRange::parse(&self.range.range, &self.range.from, &self.range.to).unwrap_or_default()
    }
}

/// The board's place, from the URL.
pub fn use_board_place() -> Memo<BoardPlace> {
    let query = use_query_map();
    Memo::new(move |_| query.with(BoardPlace::from_query))
}

/// The range presets, a custom range (UTC, as the traces list's), the filters and their chips.
/// Every change navigates: the URL holds the board's place.
#[component]
pub fn Toolbar(place: Memo<BoardPlace>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let location = use_location();
    let navigate = use_navigate();
    let href = move |p: BoardPlace| format!("{}{}", location.pathname.get_untracked(), p.search());
    let custom_open = RwSignal::new(false);
    let filters_open = RwSignal::new(false);
    let go = StoredValue::new(move |p: BoardPlace| navigate(&href(p), Default::default()));

    let preset_link = move |preset: Option<Preset>| {
        let label = match preset {
            Some(Preset::Hour) => td_string!(locale, dashboards.range.hour),
            Some(Preset::Day) => td_string!(locale, dashboards.range.day),
            Some(Preset::Week) => td_string!(locale, dashboards.range.week),
            Some(Preset::Month) => td_string!(locale, dashboards.range.month),
            Some(Preset::Quarter) => td_string!(locale, dashboards.range.quarter),
            None => td_string!(locale, dashboards.range.custom),
        };
        let current = move || match (place.with(|p| p.time_range()), preset) {
            (TimeRange::Preset(p), Some(q)) => p == q,
            (TimeRange::Custom { .. }, None) => true,
            _ => false,
        };
        let class = move || {
            let base = "px-2.5 py-1 text-xs font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";
            if current() { format!("{base} bg-indigo-600 text-white") } else { format!("{base} text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800") }
        };
        match preset {
            Some(preset) => view! {
                <a href=move || href(place.get().with_range(TimeRange::Preset(preset))) class=class aria-current=move || current().then_some("true") data-testid="range-preset" data-range=preset.as_str()>{label}</a>
            }
            .into_any(),
            None => view! {
                <button type="button" class=class aria-expanded=move || custom_open.get().to_string() data-testid="range-custom" on:click=move |_| custom_open.update(|o| *o = !*o)>{label}</button>
            }
            .into_any(),
        }
    };
    let active = move || place.with(|p| BoardFilters::PARAMS.iter().filter(|k| !p.filters.get(k).is_empty()).count());
    view! {
        <div class="mt-4 flex flex-wrap items-center gap-2" data-testid="board-toolbar">
            <div class="inline-flex overflow-hidden rounded-md border border-zinc-300 dark:border-zinc-700" role="group" aria-label=td_string!(locale, dashboards.range.label)>
                {[Some(Preset::Hour), Some(Preset::Day), Some(Preset::Week), Some(Preset::Month), Some(Preset::Quarter), None].into_iter().map(preset_link).collect_view()}
            </div>
            <button type="button" class=BUTTON_SECONDARY aria-expanded=move || filters_open.get().to_string() data-testid="board-filters-toggle" on:click=move |_| filters_open.update(|o| *o = !*o)>
                {td_string!(locale, dashboards.filters.label)}
                {move || (active() > 0).then(|| view! { <span class="rounded-full bg-indigo-100 px-1.5 text-xs text-indigo-800 dark:bg-indigo-900 dark:text-indigo-200">{active()}</span> })}
            </button>
        </div>
        <Show when=move || custom_open.get() || place.with(|p| p.range.range == "custom")>
            <CustomRange place go=Callback::new(move |p: BoardPlace| { custom_open.set(false); go.with_value(|go| go(p)) }) />
        </Show>
        <Show when=move || filters_open.get()>
            <FilterPanel place go=Callback::new(move |p: BoardPlace| { filters_open.set(false); go.with_value(|go| go(p)) }) />
        </Show>
        {move || {
            let p = place.get();
            let chips = p.filters.to_params();
            (!chips.is_empty()).then(|| view! {
                <div class="mt-2 flex flex-wrap items-center gap-2" data-testid="board-filter-chips">
                    {chips.into_iter().map(|(key, value)| {
                        let without = BoardFilters::from_params(|k| (k != key).then(|| p.filters.get(k).to_string()));
                        view! {
                            <a href=href(p.with_filters(without)) data-testid="board-filter-chip" title=td_string!(locale, dashboards.filters.remove)
                                class="inline-flex items-center gap-1 rounded-full bg-indigo-50 px-2.5 py-0.5 text-xs text-indigo-800 hover:bg-indigo-100 dark:bg-indigo-950 dark:text-indigo-200 dark:hover:bg-indigo-900">
                                <span class="font-medium">{words::filter_label(locale, key)}":"</span>
                                <span class="max-w-[16rem] truncate" translate="no">{value}</span>
                                <span aria-hidden="true">"×"</span>
                            </a>
                        }
                    }).collect_view()}
                    <a class="text-xs text-zinc-500 hover:underline dark:text-zinc-400" href=href(p.with_filters(BoardFilters::default())) data-testid="board-clear-filters">{td_string!(locale, dashboards.filters.clear)}</a>
                </div>
            })
        }}
    }
}

/// From/to in UTC (`datetime-local` inputs, as the traces list's), checked before navigating.
#[component]
fn CustomRange(place: Memo<BoardPlace>, go: Callback<BoardPlace>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let (from, to) = place.get_untracked().time_range().resolve(chrono::Utc::now());
    let local = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%dT%H:%M").to_string();
    let from = RwSignal::new(local(from));
    let to = RwSignal::new(local(to));
    let problem = RwSignal::new(None::<String>);
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match TimeRange::parse("custom", &from.get_untracked(), &to.get_untracked()) {
            Ok(range) => {
                problem.set(None);
                go.run(place.get_untracked().with_range(range));
            }
            Err(p) => problem.set(Some(words::range_problem(locale, &p))),
        }
    };
    view! {
        <form class="mt-2 flex flex-wrap items-end gap-3" on:submit=apply data-testid="custom-range">
            <label class="text-xs">
                <span class=LABEL>{td_string!(locale, dashboards.range.from)}" (UTC)"</span>
                <input type="datetime-local" class=INPUT prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev)) data-testid="range-from" />
            </label>
            <label class="text-xs">
                <span class=LABEL>{td_string!(locale, dashboards.range.to)}" (UTC)"</span>
                <input type="datetime-local" class=INPUT prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev)) data-testid="range-to" />
            </label>
            <button type="submit" class=BUTTON_PRIMARY data-testid="range-apply">{td_string!(locale, dashboards.range.apply)}</button>
            {move || problem.get().map(|p| view! { <p class="w-full text-sm text-red-700 dark:text-red-400" role="alert">{p}</p> })}
        </form>
    }
}

/// The filters as text fields (the traces list's names), applied together.
#[component]
fn FilterPanel(place: Memo<BoardPlace>, go: Callback<BoardPlace>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let draft = RwSignal::new(place.get_untracked().filters);
    let problem = RwSignal::new(None::<String>);
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let filters = BoardFilters::from_params(|k| Some(draft.with_untracked(|d| d.get(k).to_string())));
        match filters.check() {
            Ok(()) => go.run(place.get_untracked().with_filters(filters)),
            Err(p) => problem.set(Some(format!("{}: {}", words::filter_label(locale, &p.field), words::problem(locale, &p)))),
        }
    };
    view! {
        <form class=format!("{CARD} mt-2 grid grid-cols-1 gap-3 p-3 sm:grid-cols-3") on:submit=apply data-testid="board-filters">
            {BoardFilters::PARAMS.into_iter().map(|key| {
                let placeholder = if key == "metadata" { td_string!(locale, dashboards.filters.metadata_placeholder) } else { "" };
                view! {
                    <label class="text-xs">
                        <span class=LABEL>{words::filter_label(locale, key)}</span>
                        <input type="text" class=INPUT placeholder=placeholder name=key
                            prop:value=move || draft.with(|d| d.get(key).to_string())
                            on:input=move |ev| {
                                let value = event_target_value(&ev);
                                draft.update(|d| *d = BoardFilters::from_params(|k| Some(if k == key { value.clone() } else { d.get(k).to_string() })));
                            } />
                    </label>
                }
            }).collect_view()}
            <div class="flex flex-wrap items-center gap-2 sm:col-span-3">
                <button type="submit" class=BUTTON_PRIMARY data-testid="board-filters-apply">{td_string!(locale, dashboards.filters.apply)}</button>
                {move || problem.get().map(|p| view! { <p class="text-sm text-red-700 dark:text-red-400" role="alert">{p}</p> })}
            </div>
        </form>
    }
}

/// The grid's column span of a widget: the whole width on a phone, a third, a half or all of
/// six columns from `md` up.
pub fn span_class(size: WidgetSize) -> &'static str {
    match size {
        WidgetSize::Small => "min-w-0 md:col-span-2",
        WidgetSize::Medium => "min-w-0 md:col-span-3",
        WidgetSize::Large => "min-w-0 md:col-span-6",
    }
}

/// The grid the cards sit in.
pub const GRID: &str = "mt-4 grid grid-cols-1 gap-4 md:grid-cols-6";

/// A widget's title as shown: a home widget's words, a custom widget's own text.
pub fn widget_title(locale: Locale, widget: &Widget, home: bool) -> String {
    if home { words::home_title(locale, &widget.title).to_string() } else { widget.title.clone() }
}

/// One widget: its title, the chart/table switch, `controls` (the editor's buttons) and its
/// rows drawn as its chart, or why they are not there.
#[component]
pub fn WidgetCard(
    widget: Widget,
    result: Result<WidgetData, AppError>,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    #[prop(optional)] home: bool,
    #[prop(optional)] controls: Option<AnyView>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let title = widget_title(locale, &widget, home);
    let as_table = RwSignal::new(false);
    let switchable = !matches!(widget.chart, ChartKind::Table | ChartKind::Number) && result.is_ok();
    let ignored = result.as_ref().ok().map(|d| d.ignored.clone()).unwrap_or_default();
    let widget = StoredValue::new(widget);
    let result = StoredValue::new(result);
    let span = span_class(widget.with_value(|w| w.size));
    view! {
        <section class=format!("{CARD} {span} flex flex-col px-4 py-3") data-testid="widget" data-widget=widget.with_value(|w| w.id.clone())>
            <header class="flex items-start justify-between gap-2">
                <h2 class="min-w-0 break-words text-sm font-semibold" translate=if home { "yes" } else { "no" } data-testid="widget-title">{title}</h2>
                <div class="flex shrink-0 items-center gap-1">
                    {switchable.then(|| view! {
                        <button type="button" class="rounded px-1.5 py-0.5 text-xs text-zinc-500 hover:bg-zinc-100 hover:text-zinc-800 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
                            aria-pressed=move || as_table.try_get().unwrap_or(false).to_string() data-testid="widget-as-table"
                            on:click=move |_| as_table.update(|t| *t = !*t)>
                            {move || if as_table.try_get().unwrap_or(false) { td_string!(locale, dashboards.chart.show_chart) } else { td_string!(locale, dashboards.chart.show_table) }}
                        </button>
                    })}
                    {controls}
                </div>
            </header>
            {(!ignored.is_empty()).then(|| {
                let names = ignored.iter().map(|k| words::filter_label(locale, k)).collect::<Vec<_>>().join(", ");
                view! { <p class="mt-0.5 text-xs text-amber-700 dark:text-amber-400" data-testid="widget-ignored">{td_string!(locale, dashboards.filters.ignored, names = names).to_string()}</p> }
            })}
            <div class="mt-3 min-w-0 flex-1">
                {move || {
                    let table = as_table.try_get().unwrap_or(false);
                    widget.with_value(|w| result.with_value(|r| match r {
                        Ok(data) => widget_body(locale, w, data, from, to, table, home),
                        Err(error) => view! {
                            <div role="alert" class="text-sm text-red-700 dark:text-red-400" data-testid="widget-error">
                                <p>{td_string!(locale, dashboards.chart.error)}</p>
                                <p class="mt-1 break-words text-xs">{match error {
                                    AppError::Invalid { field, message } => format!("{field}: {message}"),
                                    other => other.message_in(locale),
                                }}</p>
                            </div>
                        }.into_any(),
                    }))
                }}
            </div>
        </section>
    }
}

fn empty(locale: Locale) -> AnyView {
    view! { <p class="flex h-full min-h-[6rem] items-center justify-center text-sm text-zinc-500 dark:text-zinc-400" data-testid="widget-empty">{td_string!(locale, dashboards.chart.empty)}</p> }.into_any()
}

fn hidden_note(locale: Locale, count: usize) -> Option<AnyView> {
    (count > 0).then(|| view! { <p class="mt-1 text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, dashboards.chart.hidden, count = count).to_string()}</p> }.into_any())
}

/// A widget's rows as its chart (or as a table when `as_table`), labelled with its title as shown
/// (`home`: the home's own words, else someone's text, kept out of page translation).
pub fn widget_body(
    locale: Locale,
    widget: &Widget,
    data: &WidgetData,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    as_table: bool,
    home: bool,
) -> AnyView {
    let q = &widget.query;
    let keys = q.metric_keys();
    let dimensions = q.dimension_names();
    let unit = widget.unit();
    let title = widget_title(locale, widget, home);
    let user_label = !home;
    if as_table || widget.chart == ChartKind::Table {
        return rows_table(locale, widget, data, title, user_label);
    }
    match widget.chart {
        ChartKind::Number => {
            let value = keys.first().and_then(|k| shape_number(&data.rows, k));
            view! { <NumberCard value unit /> }.into_any()
        }
        ChartKind::Bars => {
            let chart = shape_categories(&data.rows, &keys, &dimensions);
            if chart.labels.is_empty() {
                return empty(locale);
            }
            let none = td_string!(locale, dashboards.chart.none);
            let labels = chart.labels.into_iter().map(|l| l.unwrap_or_else(|| none.to_string())).collect();
            let series = chart.series.iter().map(|s| ChartSeries { name: words::series_name(locale, widget, &s.name), values: s.values.clone() }).collect();
            view! { <BarChart labels series unit label=title user_label />{hidden_note(locale, chart.hidden)} }.into_any()
        }
        kind => {
            let granularity = data.granularity.unwrap_or(Granularity::Hour);
            let chart = shape_time(&data.rows, &keys, &dimensions, granularity, from, to, widget.rate_of.as_deref());
            if chart.is_empty() {
                return empty(locale);
            }
            let series = chart.series.iter().map(|s| ChartSeries { name: words::series_name(locale, widget, &s.name), values: s.values.clone() }).collect();
            let kind = match kind {
                ChartKind::Line => SeriesKind::Line,
                ChartKind::GroupedBars => SeriesKind::Grouped,
                _ => SeriesKind::Stacked,
            };
            view! { <SeriesChart buckets=chart.buckets granularity series kind unit label=title user_label />{hidden_note(locale, chart.hidden)} }.into_any()
        }
    }
}

/// The most rows a widget's table shows.
const TABLE_ROWS: usize = 200;

/// The rows as they came: the time bucket, the dimensions, then each metric in its unit.
fn rows_table(locale: Locale, widget: &Widget, data: &WidgetData, title: String, user_label: bool) -> AnyView {
    if data.rows.is_empty() {
        return empty(locale);
    }
    let units = crate::language::duration_units(locale);
    let zone = crate::language::time_zone();
    let q = &widget.query;
    let timed = data.granularity.filter(|_| q.time_dimension.is_some());
    let mut columns: Vec<(String, bool)> = Vec::new();
    if timed.is_some() {
        columns.push((String::new(), false));
    }
    columns.extend(q.dimensions.iter().map(|d| (words::dimension_label(locale, &d.field), false)));
    columns.extend(q.metrics.iter().map(|m| (words::metric_label(locale, m), true)));
    let none = td_string!(locale, dashboards.chart.none);
    let rows = data
        .rows
        .iter()
        .take(TABLE_ROWS)
        .map(|row| {
            let mut cells = Vec::new();
            if let Some(granularity) = timed {
                let at = row.time();
                cells.push(at.map(|at| bucket_title(at, granularity, zone)).unwrap_or_default());
            }
            cells.extend(q.dimensions.iter().map(|d| text(row.get(&d.field)).unwrap_or_else(|| none.to_string())));
            cells.extend(q.metrics.iter().map(|m| {
                let unit = Unit::of(&m.measure, m.aggregation.as_str());
                crate::domain::dashboards::number(row.get(&m.key())).map_or_else(|| "–".to_string(), |v| unit.full(v, units))
            }));
            cells
        })
        .collect();
    let more = data.rows.len().saturating_sub(TABLE_ROWS);
    view! {
        <DataTable columns rows label=title user_label />
        {(more > 0).then(|| view! { <p class="mt-1 text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, dashboards.chart.more_rows, count = more).to_string()}</p> })}
    }
    .into_any()
}

/// The range the board's data covers, in words.
#[component]
pub fn RangeNote(data: BoardData) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let zone = crate::language::time_zone();
    let fmt = |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&zone.0).format("%Y-%m-%d %H:%M").to_string();
    view! {
        <p class="mt-2 text-xs text-zinc-500 dark:text-zinc-400" data-testid="board-range">
            {td_string!(locale, dashboards.range.showing, from = fmt(data.from), to = fmt(data.to), zone = zone.label()).to_string()}
        </p>
    }
}
