//! The widget editor: view × metric × aggregation × dimension × filters × chart (and title,
//! width, rows), checked as it is filled in (`domain::dashboards::WidgetForm::build`, the same
//! rules as the server's) with a live preview over the board's range and filters.

use leptos::prelude::*;

use super::board::{BoardPlace, WidgetCard};
use super::words;
use crate::components::ui::*;
use crate::domain::dashboards::{aggregations_for, operators_for, ChartKind, FormFilter, Widget, WidgetForm, WidgetSize};
use crate::domain::metrics_query::{Aggregation, View};
use crate::i18n::*;
use crate::server_fns::dashboards::run_widgets;

/// The form's field a problem names, in words (`filters[1].value` → "Filters").
fn field_label(locale: Locale, field: &str) -> String {
    let key = field.split(['.', '[']).next().unwrap_or(field);
    match key {
        "title" => td_string!(locale, dashboards.editor.title),
        "view" => td_string!(locale, dashboards.editor.view),
        "metrics" if field.ends_with("aggregation") => td_string!(locale, dashboards.editor.aggregation),
        "metrics" => td_string!(locale, dashboards.editor.measure),
        "dimensions" => td_string!(locale, dashboards.editor.dimension),
        "filters" => td_string!(locale, dashboards.editor.filters),
        "config" | "orderBy" => td_string!(locale, dashboards.editor.limit),
        _ => td_string!(locale, dashboards.editor.chart),
    }
    .to_string()
}

#[component]
pub fn WidgetEditor(project_id: String, place: Memo<BoardPlace>, initial: WidgetForm, is_new: bool, on_apply: Callback<Widget>, on_cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let id = initial.id.clone();
    let title = RwSignal::new(initial.title.clone());
    let view_ = RwSignal::new(initial.view);
    let measure = RwSignal::new(initial.measure.clone());
    let aggregation = RwSignal::new(initial.aggregation);
    let dimension = RwSignal::new(initial.dimension.clone());
    let filters = RwSignal::new(initial.filters.clone());
    let chart = RwSignal::new(initial.chart);
    let size = RwSignal::new(initial.size);
    let limit = RwSignal::new(initial.limit);
    // What the form does not show of the widget (further metrics and dimensions, its sort, a
    // rate), kept until the data it belongs to changes.
    let kept = RwSignal::new(WidgetForm { more_metrics: initial.more_metrics.clone(), more_dimensions: initial.more_dimensions.clone(), order_by: initial.order_by.clone(), rate_of: initial.rate_of.clone(), ..WidgetForm::default() });
    let form = Memo::new(move |_| WidgetForm {
        id: id.clone(),
        title: title.get(),
        view: view_.get(),
        measure: measure.get(),
        aggregation: aggregation.get(),
        dimension: dimension.get(),
        filters: filters.get(),
        chart: chart.get(),
        size: size.get(),
        limit: limit.get(),
        ..kept.get()
    });
    let built = Memo::new(move |_| form.with(WidgetForm::build));
    // The preview runs what would be saved, whatever the title says (typing one does not query).
    let previewed = Memo::new(move |_| {
        let titled = WidgetForm { title: "preview".into(), ..form.get() };
        titled.build().ok()
    });
    let project_id = StoredValue::new(project_id);
    let preview = LocalResource::new(move || {
        let widget = previewed.get();
        let place = place.get();
        async move {
            match widget {
                Some(widget) => Some((widget.clone(), run_widgets(project_id.get_value(), vec![widget], place.range, place.filters).await)),
                None => None,
            }
        }
    });

    let measures = move || view_.get().measures().iter().filter(|m| m.unsupported.is_none()).map(|m| m.name).collect::<Vec<_>>();
    let dimensions = move || view_.get().dimensions().into_iter().filter(|d| d.unsupported.is_none()).map(|d| d.name).collect::<Vec<_>>();
    let on_view = move |ev: leptos::ev::Event| {
        let Ok(picked) = event_target_value(&ev).parse::<View>() else { return };
        view_.set(picked);
        measure.set("count".into());
        aggregation.set(Aggregation::Count);
        dimension.set(String::new());
        filters.set(Vec::new());
        kept.set(WidgetForm::default());
    };
    let on_measure = move |ev: leptos::ev::Event| {
        let picked = event_target_value(&ev);
        let allowed = aggregations_for(view_.get_untracked(), &picked);
        if !allowed.contains(&aggregation.get_untracked()) {
            aggregation.set(allowed[0]);
        }
        measure.set(picked);
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(widget) = built.get_untracked() {
            on_apply.run(widget);
        }
    };
    let select = |label: &'static str, control: AnyView| view! { <label class="min-w-0 text-xs"><span class=LABEL>{label}</span><div class="mt-1">{control}</div></label> };
    view! {
        <form class=format!("{CARD} mt-4 grid gap-4 p-4 lg:grid-cols-2") on:submit=apply data-testid="widget-editor">
            <div class="min-w-0 space-y-3">
                <h2 class="text-sm font-semibold">{if is_new { td_string!(locale, dashboards.editor.new_title) } else { td_string!(locale, dashboards.editor.edit_title) }}</h2>
                {select(td_string!(locale, dashboards.editor.title), view! {
                    <input type="text" class=INPUT maxlength="200" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) data-testid="widget-title-input" />
                }.into_any())}
                <div class="grid grid-cols-1 gap-3 sm:grid-cols-2">
                    {select(td_string!(locale, dashboards.editor.view), view! {
                        <select class=format!("{SELECT} w-full") on:change=on_view data-testid="widget-view">
                            {View::ALL.iter().map(|v| {
                                let v = *v;
                                view! { <option value=v.as_str() selected=move || view_.get() == v>{words::view_label(locale, v)}</option> }
                            }).collect_view()}
                        </select>
                    }.into_any())}
                    {select(td_string!(locale, dashboards.editor.measure), view! {
                        <select class=format!("{SELECT} w-full") on:change=on_measure data-testid="widget-measure">
                            {move || measures().into_iter().map(|m| view! {
                                <option value=m selected=move || measure.get() == m>{words::measure_label(locale, m)}</option>
                            }).collect_view()}
                        </select>
                    }.into_any())}
                    {select(td_string!(locale, dashboards.editor.aggregation), view! {
                        <select class=format!("{SELECT} w-full") on:change=move |ev| if let Ok(a) = event_target_value(&ev).parse() { aggregation.set(a) } data-testid="widget-aggregation">
                            {move || aggregations_for(view_.get(), &measure.get()).into_iter().map(|a| view! {
                                <option value=a.as_str() selected=move || aggregation.get() == a>{words::aggregation_label(locale, a)}</option>
                            }).collect_view()}
                        </select>
                    }.into_any())}
                    {select(td_string!(locale, dashboards.editor.dimension), view! {
                        <select class=format!("{SELECT} w-full") on:change=move |ev| dimension.set(event_target_value(&ev)) data-testid="widget-dimension">
                            <option value="" selected=move || dimension.get().is_empty()>{td_string!(locale, dashboards.editor.no_dimension)}</option>
                            {move || dimensions().into_iter().map(|d| view! {
                                <option value=d selected=move || dimension.get() == d>{words::dimension_label(locale, d)}</option>
                            }).collect_view()}
                        </select>
                    }.into_any())}
                    {select(td_string!(locale, dashboards.editor.chart), view! {
                        <select class=format!("{SELECT} w-full") on:change=move |ev| if let Some(k) = ChartKind::parse(&event_target_value(&ev)) { chart.set(k) } data-testid="widget-chart">
                            {ChartKind::ALL.into_iter().map(|k| view! {
                                <option value=k.as_str() selected=move || chart.get() == k>{words::chart_label(locale, k)}</option>
                            }).collect_view()}
                        </select>
                    }.into_any())}
                    {select(td_string!(locale, dashboards.editor.size), view! {
                        <select class=format!("{SELECT} w-full") on:change=move |ev| if let Some(s) = WidgetSize::parse(&event_target_value(&ev)) { size.set(s) } data-testid="widget-size">
                            {WidgetSize::ALL.into_iter().map(|s| view! {
                                <option value=s.as_str() selected=move || size.get() == s>{words::size_label(locale, s)}</option>
                            }).collect_view()}
                        </select>
                    }.into_any())}
                    <Show when=move || matches!(chart.get(), ChartKind::Bars | ChartKind::Table) && !dimension.get().is_empty()>
                        {select(td_string!(locale, dashboards.editor.limit), view! {
                            <input type="number" min="1" max="1000" class=INPUT prop:value=move || limit.get().to_string()
                                on:change=move |ev| limit.set(event_target_value(&ev).parse::<u32>().unwrap_or(10).clamp(1, 1000)) data-testid="widget-limit" />
                        }.into_any())}
                    </Show>
                </div>
                {move || kept.with(|k| {
                    let mut items: Vec<String> = k.more_metrics.iter().map(|m| words::metric_label(locale, m)).collect();
                    items.extend(k.more_dimensions.iter().map(|d| words::dimension_label(locale, &d.field)));
                    (!items.is_empty()).then(|| view! {
                        <p class=HINT data-testid="widget-kept">{td_string!(locale, dashboards.editor.kept, items = items.join(", ")).to_string()}</p>
                    })
                })}
                <fieldset class="space-y-2">
                    <legend class=LABEL>{td_string!(locale, dashboards.editor.filters)}</legend>
                    {move || filters.get().into_iter().enumerate().map(|(i, f)| view! { <FilterRow index=i filter=f view=view_.get() filters /> }).collect_view()}
                    <button type="button" class=BUTTON_LINK data-testid="widget-add-filter"
                        on:click=move |_| filters.update(|f| f.push(FormFilter { column: "environment".into(), operator: "=".into(), value: String::new() }))>
                        {td_string!(locale, dashboards.editor.add_filter)}
                    </button>
                    <p class=HINT>{td_string!(locale, dashboards.editor.value_hint)}</p>
                </fieldset>
                {move || built.get().err().map(|p| view! {
                    <p class="text-sm text-red-700 dark:text-red-400" role="alert" data-testid="widget-problem">
                        {td_string!(locale, dashboards.editor.fix)}" "{field_label(locale, &p.field)}": "{words::problem(locale, &p)}
                    </p>
                })}
                <div class="flex gap-2">
                    <button type="submit" class=BUTTON_PRIMARY disabled=move || built.get().is_err() data-testid="widget-apply">
                        {if is_new { td_string!(locale, dashboards.editor.add) } else { td_string!(locale, dashboards.editor.update) }}
                    </button>
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| on_cancel.run(())>{td_string!(locale, dashboards.editor.cancel)}</button>
                </div>
            </div>
            <div class="min-w-0" data-testid="widget-preview">
                <h2 class="mb-2 text-sm font-semibold">{td_string!(locale, dashboards.editor.preview)}</h2>
                {move || match preview.get() {
                    None => view! { <Skeleton label=td_string!(locale, dashboards.chart.loading) /> }.into_any(),
                    Some(None) => view! { <p class="text-sm text-zinc-500 dark:text-zinc-400">"–"</p> }.into_any(),
                    Some(Some((_, Err(error)))) => view! { <LoadError error /> }.into_any(),
                    Some(Some((widget, Ok(mut board)))) => {
                        let widget = Widget { title: title.get_untracked(), ..widget };
                        let result = board.widgets.pop().unwrap_or(Err(crate::error::AppError::Internal));
                        view! { <WidgetCard widget result from=board.from to=board.to /> }.into_any()
                    }
                }}
            </div>
        </form>
    }
}

/// One filter of the widget: field, condition (what the field's kind allows) and value.
#[component]
fn FilterRow(index: usize, filter: FormFilter, view: View, filters: RwSignal<Vec<FormFilter>>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let kind = view.dimension(&filter.column).map(|d| d.kind);
    let set = move |change: &dyn Fn(&mut FormFilter)| filters.update(|all| if let Some(f) = all.get_mut(index) { change(f) });
    let needs_value = !matches!(filter.operator.as_str(), "is null" | "is not null");
    let columns: Vec<&'static str> = view.dimensions().into_iter().filter(|d| d.unsupported.is_none() && !matches!(d.name, "costType" | "usageType")).map(|d| d.name).collect();
    let column = filter.column.clone();
    let operator = filter.operator.clone();
    view! {
        <div class="flex flex-wrap items-center gap-2" data-testid="widget-filter">
            <select class=SELECT aria-label=td_string!(locale, dashboards.editor.column) data-testid="widget-filter-column"
                on:change=move |ev| {
                    let picked = event_target_value(&ev);
                    let allowed = operators_for(view.dimension(&picked).map(|d| d.kind));
                    set(&|f| {
                        f.column = picked.clone();
                        if !allowed.contains(&f.operator.as_str()) {
                            f.operator = allowed[0].to_string();
                        }
                    });
                }>
                {columns.into_iter().map(|c| view! { <option value=c selected=c == column>{words::dimension_label(locale, c)}</option> }).collect_view()}
            </select>
            <select class=SELECT aria-label=td_string!(locale, dashboards.editor.operator) data-testid="widget-filter-operator"
                on:change=move |ev| { let op = event_target_value(&ev); set(&|f| f.operator = op.clone()) }>
                {operators_for(kind).iter().map(|op| view! { <option value=*op selected=*op == operator>{words::operator_label(locale, op)}</option> }).collect_view()}
            </select>
            {needs_value.then(|| view! {
                <input type="text" class=format!("{INPUT} w-auto min-w-0 flex-1") aria-label=td_string!(locale, dashboards.editor.value) prop:value=filter.value.clone()
                    data-testid="widget-filter-value" on:change=move |ev| { let v = event_target_value(&ev); set(&|f| f.value = v.clone()) } />
            })}
            <button type="button" class="rounded px-1.5 text-zinc-500 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800" title=td_string!(locale, dashboards.editor.remove_filter)
                aria-label=td_string!(locale, dashboards.editor.remove_filter) on:click=move |_| filters.update(|all| { if index < all.len() { all.remove(index); } })>"×"</button>
        </div>
    }
}
