//! The usage tab: over a time range (`?range=` preset, or `?from=&to=`), cost and tokens per
//! model split by the pricing tier that priced them; the generations that got no cost, per model
//! name, with a link to their traces and "Add a price"; and cost recalculation of the range —
//! started by Admins, its progress polled every two seconds while it runs, the latest ones kept.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::words::window_problem;
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::format;
use crate::domain::models::{usage_window, Recalculation, RecalculationState, UsageReport};
use crate::domain::trace_list::RANGES;
use crate::domain::Action;
use crate::i18n::*;
use crate::pages::organization::confirm;
use crate::server_fns::models::{get_cost_recalculation, list_cost_recalculations, model_usage, StartCostRecalculation};

/// How often a running recalculation is asked for its progress.
const POLL_MS: i32 = 2_000;

fn range_label(locale: Locale, value: &str) -> &'static str {
    match value {
        "1h" => td_string!(locale, traces.ranges.last_hour),
        "24h" => td_string!(locale, traces.ranges.last_24_hours),
        "30d" => td_string!(locale, traces.ranges.last_30_days),
        _ => td_string!(locale, traces.ranges.last_7_days),
    }
}

#[component]
pub(super) fn UsageTab(project: ProjectRef) -> impl IntoView {
    let query = use_query_map();
    let key = move |name: &'static str| Memo::new(move |_| query.with(|q| q.get(name).unwrap_or_default()));
    let (range, from, to) = (key("range"), key("from"), key("to"));
    let project_id = StoredValue::new(project.id.clone());
    let can_write = project.can(Action::ManageProjectSettings);
    let report = LocalResource::new(move || model_usage(project_id.get_value(), range.get(), from.get(), to.get()));
    // The query of the traces list showing this range.
    let range_query = Memo::new(move |_| {
        let (from, to) = (from.get(), to.get());
        if from.is_empty() && to.is_empty() {
            format!("range={}", encode_query(&if range.get().is_empty() { "7d".to_string() } else { range.get() }))
        } else {
            format!("from={}&to={}", encode_query(&from), encode_query(&to))
        }
    });
    view! {
        <RangeBar range from to />
        {move || match report.try_get().flatten() {
            None => view! { <Skeleton /> }.into_any(),
            Some(Err(error)) => view! { <LoadError error /> }.into_any(),
            Some(Ok(report)) => view! {
                <ByTier report=report.clone() />
                <Unpriced report=report.clone() project_id=project_id.get_value() range_query=range_query.get() can_write />
                <Recalculate report project_id=project_id.get_value() can_write />
            }.into_any(),
        }}
    }
}

/// The presets as links, and a custom range.
#[component]
fn RangeBar(range: Memo<String>, from: Memo<String>, to: Memo<String>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let navigate = use_navigate();
    let location = leptos_router::hooks::use_location();
    let custom_from = RwSignal::new(from.get_untracked());
    let custom_to = RwSignal::new(to.get_untracked());
    let problem = RwSignal::new(None::<String>);
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (f, t) = (custom_from.get_untracked(), custom_to.get_untracked());
        match usage_window("", &f, &t, chrono::Utc::now()) {
            Ok(_) => {
                problem.set(None);
                navigate(&format!("{}?tab=usage&from={}&to={}", location.pathname.get_untracked(), encode_query(&f), encode_query(&t)), Default::default());
            }
            Err(why) => problem.set(Some(window_problem(locale, &why))),
        }
    };
    let active = move |value: &str| {
        from.with(String::is_empty) && to.with(String::is_empty) && range.with(|r| r == value || (r.is_empty() && value == "7d"))
    };
    view! {
        <div class="flex flex-wrap items-end gap-3" data-testid="usage-range">
            <div class="flex flex-wrap gap-1" role="group" aria-label=td_string!(locale, models.usage.range)>
                {RANGES.into_iter().map(|(value, _, _)| view! {
                    <a href=format!("?tab=usage&range={value}") data-testid=format!("range-{value}")
                        aria-current=move || active(value).then_some("true")
                        class=move || if active(value) {
                            "rounded-md bg-indigo-600 px-2.5 py-1 text-xs font-medium text-white"
                        } else {
                            "rounded-md border border-zinc-300 px-2.5 py-1 text-xs hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
                        }>
                        {range_label(locale, value)}
                    </a>
                }).collect_view()}
            </div>
            <form class="flex flex-wrap items-end gap-2" on:submit=apply novalidate>
                <label class="text-xs">{td_string!(locale, models.usage.from)}
                    <input type="date" class=format!("{INPUT} mt-0.5") data-testid="usage-from"
                        prop:value=move || custom_from.get().get(..10).unwrap_or_default().to_string() on:input=move |ev| custom_from.set(event_target_value(&ev)) />
                </label>
                <label class="text-xs">{td_string!(locale, models.usage.to)}
                    <input type="date" class=format!("{INPUT} mt-0.5") data-testid="usage-to"
                        prop:value=move || custom_to.get().get(..10).unwrap_or_default().to_string() on:input=move |ev| custom_to.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class=BUTTON_SECONDARY data-testid="usage-apply">{td_string!(locale, models.usage.apply)}</button>
            </form>
            {move || problem.get().map(|message| view! { <p class="w-full text-xs text-red-700 dark:text-red-400" role="alert">{message}</p> })}
        </div>
    }
}

#[component]
fn ByTier(report: UsageReport) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let total: f64 = report.tiers.iter().map(|t| t.cost).sum();
    view! {
        <section class=CARD data-testid="usage-by-tier">
            <div class="border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <h2 class="text-sm font-semibold">{td_string!(locale, models.usage.by_tier)}</h2>
                <p class=HINT>
                    {td_string!(locale, models.usage.range_of, from = timestamp(report.from), to = timestamp(report.to)).to_string()}
                    " · "{td_string!(locale, models.usage.total_cost, cost = format::cost(total)).to_string()}
                </p>
            </div>
            {if report.tiers.is_empty() {
                view! { <p class="px-4 py-6 text-sm text-zinc-500" data-testid="usage-empty">{td_string!(locale, models.usage.empty)}</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class=TABLE data-testid="usage-tiers-table">
                            <TableHead columns={ let l = locale; [
                                td_string!(l, models.usage.model),
                                td_string!(l, models.usage.tier),
                                td_string!(l, models.usage.generations),
                                td_string!(l, models.usage.input_tokens),
                                td_string!(l, models.usage.output_tokens),
                                td_string!(l, models.usage.total_tokens),
                                td_string!(l, models.usage.cost),
                            ] } />
                            <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                {report.tiers.into_iter().map(|row| {
                                    let model = row.model_name.clone().unwrap_or_else(|| match &row.model_id {
                                        Some(_) => td_string!(locale, models.usage.deleted_model).to_string(),
                                        None => td_string!(locale, models.usage.no_definition).to_string(),
                                    });
                                    let tier = row.tier_name.clone().unwrap_or_else(|| td_string!(locale, models.usage.provided).to_string());
                                    let (model_key, tier_key) = (model.clone(), tier.clone());
                                    view! {
                                        <tr data-testid="usage-tier-row" data-model=model_key data-tier=tier_key>
                                            <td class=TD>
                                                <span translate="no">{model}</span>
                                                {row.builtin.then(|| view! { <span class="ml-1 text-xs text-zinc-500">{td_string!(locale, models.table.builtin)}</span> })}
                                            </td>
                                            <td class=TD translate="no">{tier}</td>
                                            <td class=format!("{TD} tabular-nums")>{format::count(row.generations)}</td>
                                            <td class=format!("{TD} tabular-nums")>{format::count(row.input_tokens)}</td>
                                            <td class=format!("{TD} tabular-nums")>{format::count(row.output_tokens)}</td>
                                            <td class=format!("{TD} tabular-nums")>{format::count(row.total_tokens)}</td>
                                            <td class=format!("{TD} tabular-nums") data-testid="usage-tier-cost" data-cost=row.cost.to_string()>{format::cost(row.cost)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Unpriced(report: UsageReport, project_id: String, range_query: String, can_write: bool) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    view! {
        <section class=CARD data-testid="unpriced">
            <div class="border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <h2 class="text-sm font-semibold">{td_string!(locale, models.usage.unpriced)}</h2>
                <p class=HINT>{td_string!(locale, models.usage.unpriced_hint)}</p>
            </div>
            {if report.unpriced.is_empty() {
                view! { <p class="px-4 py-6 text-sm text-zinc-500" data-testid="unpriced-empty">{td_string!(locale, models.usage.unpriced_empty)}</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class=TABLE data-testid="unpriced-table">
                            <TableHead columns={ let l = locale; [
                                td_string!(l, models.usage.model),
                                td_string!(l, models.usage.reason),
                                td_string!(l, models.usage.generations),
                                td_string!(l, models.usage.total_tokens),
                                td_string!(l, models.usage.last_seen),
                                td_string!(l, models.table.actions),
                            ] } />
                            <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                {report.unpriced.into_iter().map(|row| {
                                    let name = row.model.clone().unwrap_or_default();
                                    let traces = format!("/project/{project_id}/traces?model={}&{range_query}", encode_query(&name));
                                    let add = super::models_href(&project_id, Some(&name));
                                    view! {
                                        <tr data-testid="unpriced-row" data-model=name.clone()>
                                            <td class=format!("{TD} font-medium") translate="no">{name.clone()}</td>
                                            <td class=format!("{TD} text-xs")>{if row.matched {
                                                td_string!(locale, models.usage.reason_no_price)
                                            } else {
                                                td_string!(locale, models.usage.reason_unknown)
                                            }}</td>
                                            <td class=format!("{TD} tabular-nums") data-testid="unpriced-count">{format::count(row.generations)}</td>
                                            <td class=format!("{TD} tabular-nums")>{format::count(row.total_tokens)}</td>
                                            <td class=format!("{TD} whitespace-nowrap text-xs")>{timestamp(row.last_seen)}</td>
                                            <td class=format!("{TD} whitespace-nowrap")>
                                                <a class=BUTTON_LINK href=traces data-testid="unpriced-traces">{td_string!(locale, models.usage.view_traces)}</a>
                                                {can_write.then(|| view! {
                                                    " "<a class=BUTTON_LINK href=add data-testid="unpriced-add-price">{td_string!(locale, models.usage.add_price)}</a>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {report.unpriced_more.then(|| view! { <p class="px-4 py-2 text-xs text-zinc-500">{td_string!(locale, models.usage.unpriced_more)}</p> })}
                }.into_any()
            }}
        </section>
    }
}

/// A flag that turns false when the component that made it goes away, so no poll outlives it.
fn alive_flag() -> Arc<AtomicBool> {
    let alive = Arc::new(AtomicBool::new(true));
    let flag = alive.clone();
    on_cleanup(move || flag.store(false, Ordering::Relaxed));
    alive
}

#[component]
fn Recalculate(report: UsageReport, project_id: String, can_write: bool) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let start = ServerAction::<StartCostRecalculation>::new();
    let project_id = StoredValue::new(project_id);
    let version = RwSignal::new(0u32);
    let recent = LocalResource::new(move || {
        version.track();
        start.version().track();
        list_cost_recalculations(project_id.get_value())
    });
    // The running one, polled until it has finished; then the list is read again.
    let alive = alive_flag();
    let polling = StoredValue::new(None::<String>);
    let live = RwSignal::new(None::<Recalculation>);
    Effect::new(move |_| {
        let Some(Ok(list)) = recent.try_get().flatten() else { return };
        let Some(running) = list.into_iter().find(|r| r.state == RecalculationState::Running) else { return };
        if polling.get_value().as_deref() == Some(running.id.as_str()) {
            return;
        }
        polling.set_value(Some(running.id.clone()));
        let alive = alive.clone();
        let pid = project_id.get_value();
        leptos::task::spawn_local(async move {
            loop {
                super::sleep(POLL_MS).await;
                if !alive.load(Ordering::Relaxed) {
                    break;
                }
                match get_cost_recalculation(pid.clone(), running.id.clone()).await {
                    Ok(now) if now.state == RecalculationState::Running => {
                        live.try_set(Some(now));
                    }
                    Ok(_) | Err(_) if !alive.load(Ordering::Relaxed) => break,
                    Ok(_) => {
                        live.try_set(None);
                        polling.set_value(None);
                        version.try_update(|v| *v += 1);
                        break;
                    }
                    Err(crate::error::AppError::Transport(_)) => continue,
                    Err(_) => break,
                }
            }
        });
    });
    let mut models: Vec<String> = report.tiers.iter().filter_map(|t| t.model_name.clone()).collect();
    models.extend(report.unpriced.iter().filter_map(|u| u.model.clone()));
    models.sort();
    models.dedup();
    let chosen = RwSignal::new(String::new());
    let (from, to) = (report.from, report.to);
    view! {
        <section class=format!("{CARD} space-y-3 px-4 py-4") data-testid="recalculate">
            <div>
                <h2 class="text-sm font-semibold">{td_string!(locale, models.recalculate.title)}</h2>
                <p class=HINT>{td_string!(locale, models.recalculate.hint)}</p>
            </div>
            {if can_write {
                view! {
                    <div class="flex flex-wrap items-end gap-2">
                        <label class="text-xs">{td_string!(locale, models.recalculate.model)}
                            <select class=format!("{SELECT} mt-0.5 block max-w-xs") data-testid="recalculate-model" on:change=move |ev| chosen.set(event_target_value(&ev))>
                                <option value="">{td_string!(locale, models.recalculate.all_models)}</option>
                                {models.into_iter().map(|m| view! { <option value=m.clone() translate="no">{m.clone()}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="button" class=BUTTON_PRIMARY data-testid="recalculate-start" disabled=move || start.pending().get()
                            on:click=move |_| {
                                if confirm(&td_string!(locale, models.recalculate.confirm, from = timestamp(from), to = timestamp(to)).to_string()) {
                                    let model = Some(chosen.get_untracked()).filter(|m| !m.is_empty());
                                    start.dispatch(StartCostRecalculation { project_id: project_id.get_value(), from: from.to_rfc3339(), to: to.to_rfc3339(), model });
                                }
                            }>
                            {td_string!(locale, models.recalculate.start)}
                        </button>
                    </div>
                    <ErrorAlert error=action_error(start) />
                }.into_any()
            } else {
                view! { <p class=HINT>{td_string!(locale, models.recalculate.not_allowed)}</p> }.into_any()
            }}
            {move || match recent.try_get().flatten() {
                None => view! { <Skeleton /> }.into_any(),
                Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="text-sm text-zinc-500" data-testid="no-recalculations">{td_string!(locale, models.recalculate.none)}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="space-y-3" data-testid="recalculations">
                        {list.into_iter().map(|r| {
                            let id = r.id.clone();
                            let shown = move || live.get().filter(|l| l.id == id).unwrap_or_else(|| r.clone());
                            view! { <li>{move || view! { <RecalculationView recalculation=shown() /> }}</li> }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn RecalculationView(recalculation: Recalculation) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let r = recalculation;
    let state = match r.state {
        RecalculationState::Running => td_string!(locale, models.recalculate.running),
        RecalculationState::Succeeded => td_string!(locale, models.recalculate.succeeded),
        RecalculationState::Failed => td_string!(locale, models.recalculate.failed),
    };
    let percent = r.percent();
    let progress = match r.total {
        Some(total) => td_string!(locale, models.recalculate.progress, done = format::count(r.processed), total = format::count(total)).to_string(),
        None => td_string!(locale, models.recalculate.counting).to_string(),
    };
    let scope = match &r.model {
        Some(model) => td_string!(locale, models.recalculate.scope_model, from = timestamp(r.from), to = timestamp(r.to), model = model.as_str()).to_string(),
        None => td_string!(locale, models.recalculate.scope, from = timestamp(r.from), to = timestamp(r.to)).to_string(),
    };
    view! {
        <div class="space-y-1 rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800" data-testid="recalculation" data-state=r.state.as_str()>
            <p class="text-sm"><span class="font-medium" data-testid="recalculation-state">{state}</span>" · "{scope}</p>
            <div class="h-2 w-full overflow-hidden rounded bg-zinc-200 dark:bg-zinc-800" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=percent.map(|p| p.to_string()) aria-label=td_string!(locale, models.recalculate.progress_label)>
                <div class="h-full bg-indigo-600 dark:bg-indigo-400" style=format!("width: {}%", percent.unwrap_or(0))></div>
            </div>
            <p class="text-xs text-zinc-600 dark:text-zinc-400" data-testid="recalculation-progress">
                {progress}" · "
                {td_string!(locale, models.recalculate.changed, count = format::count(r.changed)).to_string()}" · "
                <span data-testid="recalculation-costs" data-old=r.old_cost.to_string() data-new=r.new_cost.to_string()>
                    {td_string!(locale, models.recalculate.costs, old = format::cost(r.old_cost), new = format::cost(r.new_cost)).to_string()}
                </span>
            </p>
            {r.error.clone().map(|error| view! { <p class="text-xs text-red-700 dark:text-red-400" role="alert">{error}</p> })}
            {(!r.by_model.is_empty()).then(|| view! {
                <details class="text-xs">
                    <summary class="cursor-pointer text-zinc-600 dark:text-zinc-400">{td_string!(locale, models.recalculate.by_model)}</summary>
                    <div class="overflow-x-auto">
                        <table class=TABLE>
                            <TableHead columns={ let l = locale; [
                                td_string!(l, models.usage.model),
                                td_string!(l, models.usage.generations),
                                td_string!(l, models.recalculate.changed_column),
                                td_string!(l, models.recalculate.old_cost),
                                td_string!(l, models.recalculate.new_cost),
                            ] } />
                            <tbody>
                                {r.by_model.iter().take(20).map(|m| view! {
                                    <tr>
                                        <td class=TD translate="no">{m.model.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td class=format!("{TD} tabular-nums")>{format::count(m.generations)}</td>
                                        <td class=format!("{TD} tabular-nums")>{format::count(m.changed)}</td>
                                        <td class=format!("{TD} tabular-nums")>{format::cost(m.old_cost)}</td>
                                        <td class=format!("{TD} tabular-nums")>{format::cost(m.new_cost)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </details>
            })}
        </div>
    }
}
