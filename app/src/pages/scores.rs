//! The project's scores (#20): every score with filters kept in the URL (so a link shares them),
//! and for the chosen score name its distribution, its course over time and the agreement of two
//! score names or two annotators on the objects both scored.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use crate::components::charts::{short_number, Bar, BarList, ColumnChart, Point, TimeChart, TimeMarks};
use crate::components::ui::*;
use crate::domain::score_stats::{AgreementKind, CorrelationBand, Distribution, KappaBand, ScoreAuthor, ScoreName};
use crate::domain::{ScoreDataType, ScoreSource};
use crate::error::AppError;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::scores::{
    list_score_names, list_scores, score_agreement, score_analytics, AgreementResult, NameAnalytics, ScoreChoices, ScoreRow, ScoreListPage as Page,
    ScoresQuery, SideChoice,
};

type PageResource = Resource<Result<Page, AppError>>;
type ChoicesResource = Resource<Result<ScoreChoices, AppError>>;
type AnalyticsResource = Resource<Result<Option<NameAnalytics>, AppError>>;
type AgreementResource = Resource<Result<Option<AgreementResult>, AppError>>;

/// The two sides the URL asks to compare (`cmp`: another score name; `ra`, `rb`: two annotators
/// of the chosen name), if any: two annotators of the chosen name when both are
/// given, else the chosen name against `cmp`.
fn agreement_sides(params: &ParamsMap) -> Option<(SideChoice, SideChoice)> {
    let get = |key: &str| params.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let name = get("name")?;
    match (get("ra"), get("rb"), get("cmp")) {
        (Some(ra), Some(rb), _) => Some((SideChoice { name: name.clone(), author: ra }, SideChoice { name, author: rb })),
        (_, _, Some(other)) => Some((SideChoice { name, author: String::new() }, SideChoice { name: other, author: String::new() })),
        _ => None,
    }
}

/// `path` with the URL's query where each of `changes` sets a key (a blank value removes it),
/// back on the first page.
fn href_with(path: &str, params: &ParamsMap, changes: &[(&str, &str)]) -> String {
    let encode = crate::domain::url::encode_query;
    let mut parts: Vec<String> = params
        .latest_values()
        .filter(|(k, _)| k.as_ref() != "page" && !changes.iter().any(|(key, _)| *key == k.as_ref()))
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    parts.extend(changes.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| format!("{}={}", encode(k), encode(v))));
    if parts.is_empty() { path.to_string() } else { format!("{path}?{}", parts.join("&")) }
}

#[component]
pub fn ScoresPage() -> impl IntoView {
    let project_id = route_param("project_id");
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(ScoresQuery::from_params));
    // The charts do not change with the table's page.
    let chart_query = Memo::new(move |_| ScoresQuery { page: String::new(), ..query.get() });
    let sides = Memo::new(move |_| params.with(agreement_sides));
    let page = Resource::new(move || (project_id.get(), query.get()), |(project, q)| list_scores(project, q));
    let choices = Resource::new(move || project_id.get(), list_score_names);
    let analytics = Resource::new(move || (project_id.get(), chart_query.get()), |(project, q)| async move {
        if q.name.trim().is_empty() { Ok(None) } else { score_analytics(project, q).await.map(Some) }
    });
    let agreement = Resource::new(move || (project_id.get(), sides.get()), |(project, sides)| async move {
        match sides {
            Some((a, b)) => score_agreement(project, a, b).await.map(Some),
            None => Ok(None),
        }
    });
    // Made here, at the route's top, not inside `InProject`'s `Suspend` (see `pending_flag`).
    let (loading, set_loading) = pending_flag();
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, scores.title) />
        <InProject children=move |_, project| view! {
            <ScoresView project_id=project.id.clone() query page choices analytics agreement loading set_loading />
        } />
    }
}

#[component]
fn ScoresView(
    project_id: String,
    query: Memo<ScoresQuery>,
    page: PageResource,
    choices: ChoicesResource,
    analytics: AnalyticsResource,
    agreement: AgreementResource,
    loading: Signal<bool>,
    set_loading: SignalSetter<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let base = StoredValue::new(format!("/project/{project_id}"));
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, scores.title) subtitle=t_string!(i18n, scores.subtitle) />
            <Filters query choices />
            <Analytics choices analytics agreement />
            <section class=format!("{CARD} mt-6 min-w-0") aria-labelledby="scores-table-heading">
                <div class="flex items-center justify-between gap-2 border-b border-zinc-200 px-4 py-2 dark:border-zinc-800">
                    <h2 id="scores-table-heading" class="text-sm font-semibold">{t_string!(i18n, scores.table.heading)}</h2>
                    <span class="text-xs text-zinc-500 dark:text-zinc-400" role="status" aria-live="polite" data-testid="scores-busy">
                        {move || loading.try_get().unwrap_or(false).then(|| t_string!(i18n, scores.loading))}
                    </span>
                </div>
                <Transition fallback=move || view! { <Skeleton label=t_string!(i18n, scores.loading) /> } set_pending=set_loading>
                    {move || Suspend::new(async move {
                        match page.await {
                            Ok(page) => view! { <ScoreTable base=base.get_value() page filtered=query.get_untracked().is_filtered() /> }.into_any(),
                            Err(error) => view! { <LoadError error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// The filter bar: each change navigates, so the URL always holds the filters.
#[component]
fn Filters(query: Memo<ScoresQuery>, choices: ChoicesResource) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let params = use_query_map();
    let location = leptos_router::hooks::use_location();
    let navigate = use_navigate();
    let apply = move |changes: Vec<(&'static str, String)>| {
        let changes: Vec<(&str, &str)> = changes.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let url = params.with_untracked(|p| href_with(&location.pathname.get_untracked(), p, &changes));
        navigate(&url, leptos_router::NavigateOptions { scroll: false, ..Default::default() });
    };
    let field = |label: &'static str, control: AnyView| view! {
        <label class="flex min-w-0 flex-col gap-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">{label}{control}</label>
    };
    let q = move || query.get();
    let source_select = {
        let apply = apply.clone();
        view! {
            <select class=SELECT data-testid="filter-source" prop:value=move || q().source on:change=move |ev| apply(vec![("source", event_target_value(&ev))])>
                <option value="" selected=move || q().source.is_empty()>{td_string!(locale, scores.filters.any_source)}</option>
                {ScoreSource::ALL.iter().map(|s| {
                    let value = s.as_str();
                    view! { <option value=value selected=move || q().source == value>{source_label(locale, *s)}</option> }
                }).collect_view()}
            </select>
        }
        .into_any()
    };
    let range_select = {
        let apply = apply.clone();
        view! {
            <select class=SELECT data-testid="filter-range" prop:value=move || q().range on:change=move |ev| apply(vec![("range", event_target_value(&ev))])>
                <option value="" selected=move || q().range.is_empty()>{td_string!(locale, scores.filters.all_time)}</option>
                {["1h", "24h", "7d", "30d"].into_iter().map(|value| view! {
                    <option value=value selected=move || q().range == value>{range_label(locale, value)}</option>
                }).collect_view()}
            </select>
        }
        .into_any()
    };
    let number = {
        let apply = apply.clone();
        move |key: &'static str, test_id: &'static str, current: fn(&ScoresQuery) -> String| {
        let apply = apply.clone();
        view! {
            <input type="number" step="any" inputmode="decimal" class=INPUT.replace("w-full", "w-24") data-testid=test_id
                prop:value=move || current(&query.get())
                on:change=move |ev| apply(vec![(key, event_target_value(&ev))]) />
        }
        .into_any()
    }};
    let trace_input = {
        let apply = apply.clone();
        view! {
            <input type="search" class=INPUT.replace("w-full", "w-40") data-testid="filter-trace" placeholder=td_string!(locale, scores.filters.trace_placeholder)
                prop:value=move || query.get().trace
                on:change=move |ev| apply(vec![("trace", event_target_value(&ev))]) />
        }
        .into_any()
    };
    // Clearing drops every key: the agreement's choices mean nothing without a name.
    let clear_href = move || location.pathname.get();
    let apply_choice = apply.clone();
    view! {
        <form class="mt-4 flex flex-wrap items-end gap-3" role="search" aria-label=td_string!(locale, scores.filters.label) on:submit=|ev| ev.prevent_default()>
            <Transition fallback=move || view! {
                {field(td_string!(locale, scores.filters.name), view! { <select class=SELECT disabled=true><option>{td_string!(locale, scores.loading)}</option></select> }.into_any())}
            }>
                {move || {
                    let apply = apply_choice.clone();
                    Suspend::new(async move {
                        let ScoreChoices { names, authors } = choices.await.unwrap_or_default();
                        let names = StoredValue::new(names);
                        let pick_name = {
                            let apply = apply.clone();
                            move |ev: leptos::ev::Event| {
                                let picked = event_target_value(&ev);
                                let chosen = picked.parse::<usize>().ok().and_then(|i| names.with_value(|n| n.get(i).cloned()));
                                match chosen {
                                    Some(n) => {
                                        // The type only when the name was written with several.
                                        let several = names.with_value(|all| all.iter().filter(|o| o.name == n.name).count() > 1);
                                        let data_type = if several { n.data_type.as_str().to_string() } else { String::new() };
                                        apply(vec![("name", n.name), ("type", data_type)]);
                                    }
                                    None => apply(vec![("name", String::new()), ("type", String::new())]),
                                }
                            }
                        };
                        // `selected` only sets the first render's choice; the property follows
                        // the URL after that (back, a name chip, "clear").
                        let chosen_index = move || {
                            query.with(|q| names.with_value(|all| {
                                all.iter()
                                    .position(|n| n.name == q.name && (q.data_type.is_empty() || q.data_type == n.data_type.as_str()))
                                    .map(|i| i.to_string())
                                    .unwrap_or_default()
                            }))
                        };
                        let name_select = view! {
                            <select class=format!("{SELECT} max-w-[14rem]") data-testid="filter-name" prop:value=chosen_index on:change=pick_name>
                                <option value="" selected=move || query.get().name.is_empty()>{td_string!(locale, scores.filters.any_name)}</option>
                                {names.with_value(|all| all.iter().enumerate().map(|(i, n)| {
                                    let several = all.iter().filter(|o| o.name == n.name).count() > 1;
                                    let text = if several { format!("{} ({})", n.name, type_label(locale, n.data_type)) } else { n.name.clone() };
                                    let (name, data_type) = (n.name.clone(), n.data_type.as_str());
                                    let selected = move || query.with(|q| q.name == name && (q.data_type.is_empty() || q.data_type == data_type));
                                    view! { <option value=i.to_string() selected=selected translate="no">{text}</option> }
                                }).collect_view())}
                            </select>
                        }.into_any();
                        let author_select = {
                            let apply = apply.clone();
                            view! {
                                <select class=format!("{SELECT} max-w-[14rem]") data-testid="filter-author" prop:value=move || query.get().author on:change=move |ev| apply(vec![("author", event_target_value(&ev))])>
                                    <option value="" selected=move || query.get().author.is_empty()>{td_string!(locale, scores.filters.anyone)}</option>
                                    {authors.into_iter().map(|a| {
                                        let id = a.id.clone();
                                        view! { <option value=a.id.clone() selected=move || query.get().author == id translate="no">{author_label(&a)}</option> }
                                    }).collect_view()}
                                </select>
                            }.into_any()
                        };
                        view! {
                            {field(td_string!(locale, scores.filters.name), name_select)}
                            {field(td_string!(locale, scores.filters.author), author_select)}
                        }
                    })
                }}
            </Transition>
            {field(td_string!(locale, scores.filters.source), source_select)}
            {field(td_string!(locale, scores.filters.min), number("min", "filter-min", |q| q.min.clone()))}
            {field(td_string!(locale, scores.filters.max), number("max", "filter-max", |q| q.max.clone()))}
            {field(td_string!(locale, scores.filters.range), range_select)}
            {field(td_string!(locale, scores.filters.trace), trace_input)}
            <Show when=move || query.get().is_filtered()>
                <a class=format!("{BUTTON_LINK} pb-2") href=clear_href data-testid="filters-clear">{td_string!(locale, scores.filters.clear)}</a>
            </Show>
        </form>
    }
}

fn author_label(author: &ScoreAuthor) -> String {
    author.name.clone().unwrap_or_else(|| author.id.clone())
}

fn source_label(locale: Locale, source: ScoreSource) -> &'static str {
    match source {
        ScoreSource::Api => td_string!(locale, scores.sources.api),
        ScoreSource::Annotation => td_string!(locale, scores.sources.annotation),
        ScoreSource::Eval => td_string!(locale, scores.sources.eval),
    }
}

fn type_label(locale: Locale, data_type: ScoreDataType) -> &'static str {
    match data_type {
        ScoreDataType::Numeric => td_string!(locale, scores.types.numeric),
        ScoreDataType::Categorical => td_string!(locale, scores.types.categorical),
        ScoreDataType::Boolean => td_string!(locale, scores.types.boolean),
        ScoreDataType::Text => td_string!(locale, scores.types.text),
        ScoreDataType::Correction => td_string!(locale, scores.types.correction),
    }
}

fn range_label(locale: Locale, range: &str) -> &'static str {
    match range {
        "1h" => td_string!(locale, scores.ranges.last_hour),
        "24h" => td_string!(locale, scores.ranges.last_24_hours),
        "7d" => td_string!(locale, scores.ranges.last_7_days),
        _ => td_string!(locale, scores.ranges.last_30_days),
    }
}

fn kappa_band(locale: Locale, band: KappaBand) -> &'static str {
    match band {
        KappaBand::Poor => td_string!(locale, scores.bands.poor),
        KappaBand::Slight => td_string!(locale, scores.bands.slight),
        KappaBand::Fair => td_string!(locale, scores.bands.fair),
        KappaBand::Moderate => td_string!(locale, scores.bands.moderate),
        KappaBand::Substantial => td_string!(locale, scores.bands.substantial),
        KappaBand::AlmostPerfect => td_string!(locale, scores.bands.almost_perfect),
    }
}

fn correlation_band(locale: Locale, band: CorrelationBand) -> &'static str {
    match band {
        CorrelationBand::Negligible => td_string!(locale, scores.bands.negligible),
        CorrelationBand::Weak => td_string!(locale, scores.bands.weak),
        CorrelationBand::Moderate => td_string!(locale, scores.bands.moderate_correlation),
        CorrelationBand::Strong => td_string!(locale, scores.bands.strong),
        CorrelationBand::VeryStrong => td_string!(locale, scores.bands.very_strong),
    }
}

/// The analytics of the chosen score name, or how to choose one.
#[component]
fn Analytics(choices: ChoicesResource, analytics: AnalyticsResource, agreement: AgreementResource) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let params = use_query_map();
    let location = leptos_router::hooks::use_location();
    view! {
        <section class="mt-6" aria-label=td_string!(locale, scores.analytics.label) data-testid="score-analytics">
            <Transition fallback=move || view! { <div class=CARD><Skeleton label=td_string!(locale, scores.analytics.loading) /></div> }>
                {move || Suspend::new(async move {
                    let analytics = match analytics.await {
                        Ok(analytics) => analytics,
                        Err(error) => return view! { <div class=CARD><LoadError error /></div> }.into_any(),
                    };
                    let Some(analytics) = analytics else {
                        // No name chosen: offer the names as links.
                        let names = choices.await.map(|c| c.names).unwrap_or_default();
                        if names.is_empty() {
                            return ().into_any();
                        }
                        let path = location.pathname.get_untracked();
                        return view! {
                            <div class=format!("{CARD} px-4 py-3") data-testid="pick-score-name">
                                <p class="text-sm font-medium">{td_string!(locale, scores.analytics.pick_title)}</p>
                                <p class="mt-0.5 text-sm text-zinc-500 dark:text-zinc-400">{td_string!(locale, scores.analytics.pick_body)}</p>
                                <ul class="mt-2 flex flex-wrap gap-2">
                                    {names.into_iter().map(|n: ScoreName| {
                                        let href = params.with_untracked(|p| href_with(&path, p, &[("name", &n.name), ("type", n.data_type.as_str())]));
                                        view! {
                                            <li><a href=href class="inline-flex items-center gap-1 rounded-full border border-zinc-300 px-2.5 py-0.5 text-xs hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800" data-testid="score-name-chip">
                                                <span translate="no">{n.name.clone()}</span>
                                                <span class="text-zinc-500 dark:text-zinc-400">{format!("{} · {}", type_label(locale, n.data_type), n.count)}</span>
                                            </a></li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </div>
                        }.into_any();
                    };
                    let choices = choices.await.unwrap_or_default();
                    view! { <AnalyticsCards analytics choices agreement /> }.into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AnalyticsCards(analytics: NameAnalytics, choices: ScoreChoices, agreement: AgreementResource) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let data_type = analytics.data_type.unwrap_or(ScoreDataType::Numeric);
    let distribution = match analytics.distribution {
        Distribution::Numeric { bins, count, mean, .. } if count > 0 => {
            let summary = td_string!(locale, scores.analytics.numeric_summary, count = count, mean = mean.map(short_number).unwrap_or_default()).to_string();
            let bars = bins
                .into_iter()
                .map(|b| {
                    let range = if b.start == b.end { short_number(b.start) } else { format!("{} – {}", short_number(b.start), short_number(b.end)) };
                    Bar { label: short_number(b.start), value: b.count as f64, title: td_string!(locale, scores.analytics.bin_title, range = range, count = b.count).to_string() }
                })
                .collect();
            view! {
                <p class="text-xs text-zinc-500 dark:text-zinc-400" data-testid="distribution-summary">{summary}</p>
                <ColumnChart bars label=td_string!(locale, scores.analytics.histogram_label) test_id="distribution-histogram" />
            }
            .into_any()
        }
        Distribution::Categories { counts } if !counts.is_empty() => {
            let total: u64 = counts.iter().map(|c| c.count).sum();
            let bars = counts
                .into_iter()
                .map(|c| Bar { title: td_string!(locale, scores.analytics.category_title, label = c.label.clone(), count = c.count).to_string(), label: c.label, value: c.count as f64 })
                .collect();
            view! {
                <p class="text-xs text-zinc-500 dark:text-zinc-400" data-testid="distribution-summary">{td_string!(locale, scores.analytics.count_summary, count = total).to_string()}</p>
                <BarList bars label=td_string!(locale, scores.analytics.categories_label) test_id="distribution-categories" />
            }
            .into_any()
        }
        _ => view! { <p class="py-6 text-sm text-zinc-500 dark:text-zinc-400" data-testid="distribution-empty">{td_string!(locale, scores.analytics.no_values)}</p> }.into_any(),
    };
    let averaged = matches!(data_type, ScoreDataType::Numeric | ScoreDataType::Boolean);
    let series = analytics.over_time;
    let over_time = if series.buckets.is_empty() {
        view! { <p class="py-6 text-sm text-zinc-500 dark:text-zinc-400">{td_string!(locale, scores.analytics.no_values)}</p> }.into_any()
    } else {
        let span = (series.to - series.from).num_seconds().max(1) as f64;
        let zone = crate::language::time_zone();
        let short = |at| if span > 2.0 * 86_400.0 { zone.date(at) } else { zone.format(at) };
        let x_labels = vec![(0.0, short(series.from)), (1.0, short(series.to))];
        let half = series.bucket_seconds as f64 / 2.0;
        let points = series
            .buckets
            .iter()
            .filter(|b| !averaged || b.average.is_some())
            .map(|b| {
                let x = ((b.start - series.from).num_seconds() as f64 + half) / span;
                let at = zone.format(b.start);
                if averaged {
                    let average = b.average.unwrap_or_default();
                    Point { x, y: average, title: td_string!(locale, scores.analytics.average_title, time = at, average = short_number(average), count = b.count).to_string() }
                } else {
                    Point { x, y: b.count as f64, title: td_string!(locale, scores.analytics.count_title, time = at, count = b.count).to_string() }
                }
            })
            .collect();
        let label = if averaged { td_string!(locale, scores.analytics.average_over_time) } else { td_string!(locale, scores.analytics.count_over_time) };
        view! { <TimeChart points marks=if averaged { TimeMarks::Line } else { TimeMarks::Columns } x_labels label test_id="over-time-chart" /> }.into_any()
    };
    let over_time_heading = if averaged { td_string!(locale, scores.analytics.average_over_time) } else { td_string!(locale, scores.analytics.count_over_time) };
    view! {
        <h2 class="break-words text-base font-semibold" data-testid="analytics-heading">
            {td_string!(locale, scores.analytics.heading)}<span translate="no">{analytics.name.clone()}</span>
        </h2>
        <div class="mt-3 grid grid-cols-[minmax(0,1fr)] gap-4 lg:grid-cols-3">
            <div class=format!("{CARD} min-w-0 px-4 py-3")>
                <h3 class="text-sm font-semibold">{td_string!(locale, scores.analytics.distribution)}</h3>
                {distribution}
            </div>
            <div class=format!("{CARD} min-w-0 px-4 py-3")>
                <h3 class="text-sm font-semibold">{over_time_heading}</h3>
                {over_time}
            </div>
            <AgreementBox name=analytics.name choices agreement />
        </div>
    }
}

/// Two score names, or two annotators of the chosen name: pick, compute, read.
#[component]
fn AgreementBox(name: String, choices: ScoreChoices, agreement: AgreementResource) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let params = use_query_map();
    let location = leptos_router::hooks::use_location();
    let navigate = use_navigate();
    let get = move |key: &str| params.with_untracked(|p| p.get(key).unwrap_or_default());
    let by_annotators = RwSignal::new(!get("ra").is_empty() || !get("rb").is_empty());
    let other = RwSignal::new(get("cmp"));
    let first = RwSignal::new(get("ra"));
    let second = RwSignal::new(get("rb"));
    let compute = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changes: Vec<(&str, String)> = if by_annotators.get_untracked() {
            vec![("cmp", String::new()), ("ra", first.get_untracked()), ("rb", second.get_untracked())]
        } else {
            vec![("cmp", other.get_untracked()), ("ra", String::new()), ("rb", String::new())]
        };
        let changes: Vec<(&str, &str)> = changes.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let url = params.with_untracked(|p| href_with(&location.pathname.get_untracked(), p, &changes));
        navigate(&url, leptos_router::NavigateOptions { scroll: false, ..Default::default() });
    };
    let other_names: Vec<String> = {
        let mut names: Vec<String> = choices.names.iter().map(|n| n.name.clone()).filter(|n| *n != name).collect();
        names.dedup();
        names
    };
    let authors = StoredValue::new(choices.authors);
    let author_select = move |signal: RwSignal<String>, test_id: &'static str, label: &'static str| view! {
        <label class="flex min-w-0 flex-col gap-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">{label}
            <select class=format!("{SELECT} w-full min-w-0") data-testid=test_id prop:value=move || signal.get() on:change=move |ev| signal.set(event_target_value(&ev))>
                <option value="" selected=move || signal.get().is_empty()>{td_string!(locale, scores.agreement.choose)}</option>
                {authors.with_value(|all| all.iter().map(|a| {
                    let id = a.id.clone();
                    view! { <option value=a.id.clone() selected=move || signal.get() == id translate="no">{author_label(a)}</option> }
                }).collect_view())}
            </select>
        </label>
    };
    let tab = move |annotators: bool, text: &'static str, test_id: &'static str| view! {
        <button type="button" data-testid=test_id aria-pressed=move || (by_annotators.get() == annotators).to_string()
            class=move || format!("rounded px-2 py-1 text-xs font-medium {}", if by_annotators.get() == annotators {
                "bg-white text-zinc-900 shadow-sm dark:bg-zinc-700 dark:text-zinc-100"
            } else {
                "text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100"
            })
            on:click=move |_| by_annotators.set(annotators)>{text}</button>
    };
    view! {
        <div class=format!("{CARD} min-w-0 px-4 py-3") data-testid="agreement-box">
            <h3 class="text-sm font-semibold">{td_string!(locale, scores.agreement.heading)}</h3>
            <p class="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, scores.agreement.intro)}</p>
            <form class="mt-2 space-y-2" on:submit=compute>
                <div class="inline-flex rounded-md bg-zinc-100 p-0.5 dark:bg-zinc-900" role="group">
                    {tab(false, td_string!(locale, scores.agreement.mode_names), "agreement-mode-names")}
                    {tab(true, td_string!(locale, scores.agreement.mode_annotators), "agreement-mode-annotators")}
                </div>
                <Show when=move || !by_annotators.get() fallback=move || view! {
                    <div class="grid grid-cols-2 gap-2">
                        {author_select(first, "agreement-annotator-a", td_string!(locale, scores.agreement.annotator_a))}
                        {author_select(second, "agreement-annotator-b", td_string!(locale, scores.agreement.annotator_b))}
                    </div>
                }>
                    <label class="flex min-w-0 flex-col gap-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">{td_string!(locale, scores.agreement.compare_with)}
                        <select class=format!("{SELECT} w-full min-w-0") data-testid="agreement-other-name" prop:value=move || other.get() on:change=move |ev| other.set(event_target_value(&ev))>
                            <option value="" selected=move || other.get().is_empty()>{td_string!(locale, scores.agreement.choose)}</option>
                            {other_names.iter().map(|n| {
                                let value = n.clone();
                                view! { <option value=n.clone() selected=move || other.get() == value translate="no">{n.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
                <button type="submit" class=BUTTON_SECONDARY data-testid="agreement-compute">{td_string!(locale, scores.agreement.compute)}</button>
            </form>
            <div class="mt-3" aria-live="polite">
                <Transition fallback=move || view! { <Skeleton label=td_string!(locale, scores.agreement.loading) /> }>
                    {move || Suspend::new(async move {
                        match agreement.await {
                            Ok(Some(result)) => agreement_view(locale, result).into_any(),
                            Ok(None) => view! { <p class="text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, scores.agreement.hint)}</p> }.into_any(),
                            Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </div>
    }
}

fn agreement_view(locale: Locale, result: AgreementResult) -> impl IntoView {
    let a = result.agreement;
    let stat = |label: &'static str, value: Option<f64>, band: Option<&'static str>, test_id: &'static str| view! {
        <div class="flex items-baseline justify-between gap-2 py-1">
            <dt class="text-sm text-zinc-600 dark:text-zinc-400">{label}</dt>
            <dd class="text-right">
                <span class="font-mono text-base font-semibold" data-testid=test_id>{value.map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".to_string())}</span>
                {band.map(|b| view! { <span class="ml-2 text-xs text-zinc-500 dark:text-zinc-400" data-testid=format!("{test_id}-band")>{b}</span> })}
            </dd>
        </div>
    };
    let stats = match a.kind {
        AgreementKind::Categorical => view! {
            {stat(td_string!(locale, scores.agreement.kappa), a.kappa, a.kappa.map(|k| kappa_band(locale, KappaBand::of(k))), "agreement-kappa")}
        }
        .into_any(),
        AgreementKind::Numeric => view! {
            {stat(td_string!(locale, scores.agreement.pearson), a.pearson, a.pearson.map(|r| correlation_band(locale, CorrelationBand::of(r))), "agreement-pearson")}
            {stat(td_string!(locale, scores.agreement.spearman), a.spearman, a.spearman.map(|r| correlation_band(locale, CorrelationBand::of(r))), "agreement-spearman")}
        }
        .into_any(),
    };
    let percent = a.percent_agreement.map(|p| format!("{:.0} %", p * 100.0)).unwrap_or_else(|| "—".to_string());
    let undefined = a.kappa.is_none() && a.pearson.is_none() && a.spearman.is_none();
    view! {
        <div data-testid="agreement-result">
            <p class="text-sm" data-testid="agreement-shared">{td_string!(locale, scores.agreement.shared, count = a.shared).to_string()}</p>
            <dl class="mt-1 divide-y divide-zinc-100 dark:divide-zinc-800">
                {stats}
                <div class="flex items-baseline justify-between gap-2 py-1">
                    <dt class="text-sm text-zinc-600 dark:text-zinc-400">{td_string!(locale, scores.agreement.identical)}</dt>
                    <dd class="font-mono text-sm" data-testid="agreement-percent">{percent}</dd>
                </div>
            </dl>
            {undefined.then(|| view! {
                <p class="mt-2 text-xs text-amber-700 dark:text-amber-400" data-testid="agreement-undefined">
                    {if a.shared < 2 { td_string!(locale, scores.agreement.too_few) } else { td_string!(locale, scores.agreement.no_variation) }}
                </p>
            })}
            {result.limited.then(|| view! { <p class="mt-2 text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, scores.agreement.limited)}</p> })}
        </div>
    }
}

/// The scores table, or what to do when it is empty.
#[component]
fn ScoreTable(base: String, page: Page, filtered: bool) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let params = use_query_map();
    if page.rows.is_empty() && filtered {
        return view! {
            <EmptyHint title=td_string!(locale, scores.no_match_title) test_id="no-matching-scores">{td_string!(locale, scores.no_match_body)}</EmptyHint>
        }
        .into_any();
    }
    if page.rows.is_empty() {
        return view! {
            <EmptyHint title=td_string!(locale, scores.empty_title) test_id="no-scores">
                {td_string!(locale, scores.empty_body)}
                <code class="mt-1 block overflow-x-auto whitespace-pre rounded bg-zinc-100 px-2 py-1 font-mono text-xs dark:bg-zinc-900">
                    "langfuse.create_score(trace_id=\"…\", name=\"correctness\", value=0.9)"
                </code>
            </EmptyHint>
        }
        .into_any();
    }
    let now = chrono::Utc::now();
    let current = params.with_untracked(|p| p.get("page").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let pager_href = params.with_untracked(|p| list_href(&format!("{base}/scores"), p, ("", "")));
    let base = StoredValue::new(base);
    view! {
        <div class="overflow-x-auto">
            <table class=TABLE data-testid="scores-table">
                <TableHead columns=vec![
                    format!("{} ({})", td_string!(locale, scores.columns.time), crate::language::time_zone().label()),
                    td_string!(locale, scores.columns.name).to_string(),
                    td_string!(locale, scores.columns.value).to_string(),
                    td_string!(locale, scores.columns.source).to_string(),
                    td_string!(locale, scores.columns.author).to_string(),
                    td_string!(locale, scores.columns.target).to_string(),
                    td_string!(locale, scores.columns.comment).to_string(),
                ] />
                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                    {page.rows.into_iter().map(|row| score_row(locale, &base.get_value(), row, now)).collect_view()}
                </tbody>
            </table>
        </div>
        <Pager href=pager_href current next=page.next_page />
    }
    .into_any()
}

fn score_row(locale: Locale, base: &str, row: ScoreRow, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let ScoreRow { score, trace_name, author_name } = row;
    let value = match score.data_type {
        ScoreDataType::Numeric => score.value.map(|v| format_value(v)).unwrap_or_default(),
        ScoreDataType::Text | ScoreDataType::Correction => {
            let text = score.string_value.clone().unwrap_or_default();
            if text.chars().count() > 60 { format!("{}…", text.chars().take(60).collect::<String>()) } else { text }
        }
        _ => score.string_value.clone().unwrap_or_else(|| score.value.map(format_value).unwrap_or_default()),
    };
    let author = match (&author_name, &score.author_user_id) {
        (Some(name), _) => view! { <span translate="no">{name.clone()}</span> }.into_any(),
        (None, Some(id)) => view! { <span class="font-mono text-xs" translate="no">{id.clone()}</span> }.into_any(),
        (None, None) => view! { <span class="text-zinc-400">"—"</span> }.into_any(),
    };
    let encode = crate::domain::url::encode_query;
    let target = match (&score.trace_id, &score.observation_id, &score.session_id, &score.dataset_run_id) {
        (Some(trace), observation, _, _) => {
            let mut href = format!("{base}/traces/{}", encode(trace));
            let kind = match observation {
                Some(o) => {
                    href.push_str(&format!("?observation={}", encode(o)));
                    td_string!(locale, scores.target.observation)
                }
                None => td_string!(locale, scores.target.trace),
            };
            let text = trace_name.clone().unwrap_or_else(|| trace.clone());
            view! {
                <span class="text-xs text-zinc-500 dark:text-zinc-400">{kind}</span>" "
                <a class="font-medium hover:underline" href=href translate="no" data-testid="score-target">{text}</a>
                {observation.clone().map(|o| view! { <span class="block font-mono text-xs text-zinc-500" translate="no">{o}</span> })}
            }
            .into_any()
        }
        (None, _, Some(session), _) => view! {
            <span class="text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, scores.target.session)}</span>" "
            <a class="font-mono text-xs hover:underline" href=format!("{base}/sessions/{}", encode(session)) translate="no" data-testid="score-target">{session.clone()}</a>
        }
        .into_any(),
        (None, _, None, Some(run)) => view! {
            <span class="text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, scores.target.dataset_run)}</span>" "
            <span class="font-mono text-xs" translate="no">{run.clone()}</span>
        }
        .into_any(),
        _ => view! { <span class="text-zinc-400">"—"</span> }.into_any(),
    };
    let comment = score.comment.clone().unwrap_or_default();
    let short_comment = if comment.chars().count() > 80 { format!("{}…", comment.chars().take(80).collect::<String>()) } else { comment.clone() };
    view! {
        <tr data-testid="score-row">
            <td class=format!("{TD} whitespace-nowrap text-xs") title=timestamp(score.timestamp)>{relative_time(score.timestamp, now)}</td>
            <td class=format!("{TD} font-medium") translate="no" data-testid="score-name">{score.name.clone()}</td>
            <td class=format!("{TD} font-mono text-xs") translate="no" data-testid="score-value">{value}</td>
            <td class=TD>
                <span class="whitespace-nowrap rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800" data-testid="score-source">{source_label(locale, score.source)}</span>
            </td>
            <td class=format!("{TD} text-sm") data-testid="score-author">{author}</td>
            <td class=format!("{TD} max-w-[16rem] break-words")>{target}</td>
            <td class=format!("{TD} max-w-[20rem] break-words text-xs text-zinc-600 dark:text-zinc-400") title=comment translate="no">{short_comment}</td>
        </tr>
    }
}

/// A score's number with up to 4 decimals, trailing zeros dropped.
fn format_value(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    let s = format!("{value:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ParamsMap {
        let mut map = ParamsMap::new();
        for (k, v) in pairs {
            map.insert(k.to_string(), v.to_string());
        }
        map
    }

    #[test]
    fn the_url_names_the_sides_to_compare() {
        assert_eq!(agreement_sides(&params(&[("cmp", "b")])), None, "no name chosen");
        let (a, b) = agreement_sides(&params(&[("name", "tone"), ("cmp", "style")])).unwrap();
        assert_eq!((a.name.as_str(), b.name.as_str(), a.author.as_str()), ("tone", "style", ""));
        // Two annotators win over a name to compare with.
        let (a, b) = agreement_sides(&params(&[("name", "tone"), ("cmp", "style"), ("ra", "u1"), ("rb", "u2")])).unwrap();
        assert_eq!((a.name.as_str(), b.name.as_str(), a.author.as_str(), b.author.as_str()), ("tone", "tone", "u1", "u2"));
        assert_eq!(agreement_sides(&params(&[("name", "tone"), ("ra", "u1")])), None, "one annotator is not a pair");
    }

    #[test]
    fn a_changed_filter_keeps_the_others_and_goes_back_to_the_first_page() {
        let p = params(&[("name", "tone"), ("page", "3"), ("source", "API")]);
        assert_eq!(href_with("/s", &p, &[("source", "")]), "/s?name=tone");
        assert_eq!(href_with("/s", &p, &[("trace", "chat bot")]), "/s?name=tone&source=API&trace=chat%20bot");
        assert_eq!(href_with("/s", &params(&[]), &[("name", "")]), "/s");
    }

    #[test]
    fn values_read_without_noise() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(0.1 + 0.2), "0.3");
        assert_eq!(format_value(2.71828), "2.7183");
    }
}
