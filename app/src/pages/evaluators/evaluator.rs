//! `/project/{id}/evaluators/{evaluator}`: one evaluator — its configuration (editable), pause
//! and resume, running it on existing traces with the progress, and its executions: status with
//! the error, the target trace, latency, cost, the score and the judge's own trace; filtered by
//! status (`?status=`), paged (`?page=`), refreshed every few seconds while any is still to run.

use std::sync::atomic::Ordering;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::backfill::{alive_flag, RunOnExisting};
use super::filter::FilterSummary;
use super::form::{EvaluatorForm, FormStart};
use super::new::FormSkeleton;
use super::templates::template_words;
use super::{
    connections_href, count_of, delay_label, open_count, output_summary, percent, sleep, source_label, target_label,
    trace_href, ExecutionBadge, StatusBadge, MANAGE,
};
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::evaluators::{Evaluator, EvaluatorStatus, Execution, ExecutionCounts, ExecutionStatus, EXECUTIONS_PER_PAGE};
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::evaluator_views::{evaluator_form_start, evaluator_overview, EvaluatorPageData};
use crate::server_fns::evaluators::{list_evaluator_executions, PauseEvaluator, ResumeEvaluator, UpdateEvaluator};

/// How often the page refreshes while executions are pending or running.
const POLL_MS: i32 = 3_000;
/// Polls between refreshes of an active evaluator with nothing running: new targets may arrive
/// at any time, but a page left open should not ask every few seconds for nothing.
const IDLE_POLLS: u32 = 5;

#[component]
pub fn EvaluatorPage() -> impl IntoView {
    let i18n = use_i18n();
    let evaluator_id = route_param("evaluator_id");
    view! {
        <Title text=t_string!(i18n, evaluators.title) />
        <InProject children=move |_, project| view! { <EvaluatorView project evaluator_id /> } />
    }
}

#[component]
fn EvaluatorView(project: ProjectRef, evaluator_id: Memo<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let pause = ServerAction::<PauseEvaluator>::new();
    let resume = ServerAction::<ResumeEvaluator>::new();
    let update = ServerAction::<UpdateEvaluator>::new();
    // Reloaded after the person's own changes only: the executions poll on their own, so an
    // edit in progress is never rebuilt under the person typing.
    let pid = project.id.clone();
    let overview = LocalResource::new(move || {
        pause.version().get();
        resume.version().get();
        update.version().get();
        evaluator_overview(pid.clone(), evaluator_id.get())
    });
    let back = format!("/project/{}/evaluators", project.id);
    let project = StoredValue::new(project);
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=back>{t_string!(i18n, evaluators.evaluator.back)}</a>
            {move || match overview.try_get().flatten() {
                None => view! { <div class="mt-4"><Skeleton label=td_string!(locale, evaluators.evaluator.loading) /></div> }.into_any(),
                Some(Err(error)) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                Some(Ok(data)) => view! { <Loaded project=project.get_value() data pause resume update /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Loaded(
    project: ProjectRef,
    data: EvaluatorPageData,
    pause: ServerAction<PauseEvaluator>,
    resume: ServerAction<ResumeEvaluator>,
    update: ServerAction<UpdateEvaluator>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let EvaluatorPageData { evaluator: e, counts, backfill, connection_exists } = data;
    let can_manage = project.can(MANAGE);
    let editing = RwSignal::new(false);
    // A saved edit closes the form.
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            editing.set(false);
        }
    });
    let status = e.status;
    let toggle_label = match status {
        EvaluatorStatus::Active => td_string!(locale, evaluators.actions.pause),
        EvaluatorStatus::Paused => td_string!(locale, evaluators.actions.resume),
    };
    let ids = StoredValue::new((project.id.clone(), e.id.clone()));
    let evaluator = StoredValue::new(e.clone());
    let settings = connections_href(&project.id);
    view! {
        <div class="mt-3 flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                <div class="flex flex-wrap items-center gap-2">
                    <h1 class="break-words text-xl font-semibold tracking-tight" translate="no" data-testid="evaluator-title">{e.name.clone()}</h1>
                    <StatusBadge status=e.status />
                </div>
                <p class="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
                    {td_string!(locale, evaluators.evaluator.writes_scores)}" "<span class="font-medium text-zinc-700 dark:text-zinc-200" translate="no" data-testid="evaluator-score-name">{e.score_name.clone()}</span>
                    " · "{target_label(locale, &e.target)}
                </p>
                {(e.status == EvaluatorStatus::Paused).then(|| view! { <p class="mt-1 text-xs text-amber-800 dark:text-amber-300">{td_string!(locale, evaluators.status.paused_reason)}</p> })}
            </div>
            {can_manage.then(|| view! {
                <div class="flex flex-wrap gap-2">
                    <button type="button" class=BUTTON_SECONDARY data-testid="toggle-evaluator" disabled=move || pause.pending().get() || resume.pending().get()
                        on:click=move |_| {
                            let (project_id, evaluator_id) = ids.get_value();
                            match status {
                                EvaluatorStatus::Active => { pause.dispatch(PauseEvaluator { project_id, evaluator_id }); }
                                EvaluatorStatus::Paused => { resume.dispatch(ResumeEvaluator { project_id, evaluator_id }); }
                            }
                        }>{toggle_label}</button>
                    <button type="button" class=BUTTON_SECONDARY data-testid="edit-evaluator" aria-expanded=move || editing.get().to_string()
                        on:click=move |_| editing.update(|v| *v = !*v)>
                        {move || if editing.get() { td_string!(locale, evaluators.form.cancel) } else { td_string!(locale, evaluators.actions.edit) }}
                    </button>
                </div>
            })}
        </div>
        <div class="mt-3"><ErrorAlert error=action_error(pause) /><ErrorAlert error=action_error(resume) /></div>
        {(!connection_exists).then(|| view! {
            <div class="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-300" role="alert" data-testid="connection-missing">
                <p class="font-medium">{td_string!(locale, evaluators.status.connection_missing, name = e.connection.clone()).to_string()}</p>
                <p class="mt-0.5">{td_string!(locale, evaluators.evaluator.connection_missing_hint)}" "
                    {project.can(crate::domain::Action::ManageLlmConnections).then(|| view! { <a class=BUTTON_LINK href=settings.clone()>{td_string!(locale, evaluators.connections.add)}</a> })}
                </p>
            </div>
        })}
        {move || if editing.get() {
            view! { <EditForm project=project.clone() evaluator=evaluator.get_value() update /> }.into_any()
        } else {
            view! { <Configuration evaluator=evaluator.get_value() /> }.into_any()
        }}
        <section class=format!("{CARD} mt-4 space-y-3 px-4 py-4") data-testid="evaluator-backfill">
            <div>
                <h2 class="text-sm font-semibold">{t_string!(i18n, evaluators.backfill.title)}</h2>
                <p class=HINT>{t_string!(i18n, evaluators.backfill.hint)}</p>
            </div>
            <RunOnExisting project_id=ids.get_value().0 evaluator_id=ids.get_value().1 sampling=e.sampling can_start=can_manage initial=backfill />
        </section>
        <Executions project_id=ids.get_value().0 evaluator=e.clone() counts />
    }
}

/// The configuration as read-only facts.
#[component]
fn Configuration(evaluator: Evaluator) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let e = evaluator;
    let template = crate::domain::evaluators::builtin_template(&e.template_id).map(|t| template_words(locale, &t).0).unwrap_or_else(|| e.template_name.clone());
    let row = |label: &'static str, value: AnyView| view! {
        <div class="grid grid-cols-1 gap-1 px-4 py-2 sm:grid-cols-[12rem_minmax(0,1fr)] sm:gap-4">
            <dt class="text-xs font-medium uppercase tracking-wide text-zinc-500 dark:text-zinc-400">{label}</dt>
            <dd class="min-w-0 text-sm">{value}</dd>
        </div>
    };
    view! {
        <section class=format!("{CARD} mt-4") data-testid="evaluator-configuration">
            <h2 class="border-b border-zinc-200 px-4 py-2 text-sm font-semibold dark:border-zinc-800">{t_string!(i18n, evaluators.config.title)}</h2>
            <dl class="divide-y divide-zinc-200 dark:divide-zinc-800">
                {row(td_string!(locale, evaluators.form.template), view! { <span>{template}</span>" "<span class="text-xs text-zinc-500 dark:text-zinc-400">{output_summary(locale, &e.output)}</span> }.into_any())}
                {row(td_string!(locale, evaluators.form.model), view! { <span class="font-mono" translate="no">{e.model.clone()}</span>" "<span class="text-xs text-zinc-500 dark:text-zinc-400" translate="no">{e.connection.clone()}</span> }.into_any())}
                {row(td_string!(locale, evaluators.form.target), view! { <span>{target_label(locale, &e.target)}</span> }.into_any())}
                {row(td_string!(locale, evaluators.form.filter), view! { <FilterSummary filter=e.filter.clone() /> }.into_any())}
                {row(td_string!(locale, evaluators.form.sampling), view! { <span class="font-mono" data-testid="config-sampling">{percent(e.sampling)}</span> }.into_any())}
                {row(td_string!(locale, evaluators.form.delay), view! { <span>{delay_label(locale, e.delay_ms)}</span> }.into_any())}
                {row(td_string!(locale, evaluators.form.mapping), view! {
                    <ul class="space-y-0.5" data-testid="config-mapping">
                        {e.mapping.iter().map(|m| view! {
                            <li class="flex flex-wrap items-baseline gap-x-2">
                                <code class="text-xs" translate="no">{format!("{{{{{}}}}}", m.variable)}</code>
                                <span aria-hidden="true">"←"</span>
                                <span>{source_label(locale, m.source)}</span>
                                {m.json_path.clone().map(|p| view! { <code class="text-xs text-zinc-500 dark:text-zinc-400" translate="no">{p}</code> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any())}
            </dl>
            <details class="border-t border-zinc-200 dark:border-zinc-800">
                <summary class="cursor-pointer px-4 py-2 text-sm font-medium">{t_string!(i18n, evaluators.config.prompt)}</summary>
                <div class="px-4 pb-3">
                    <p class="mb-2 text-xs text-zinc-500 dark:text-zinc-400">{t_string!(i18n, evaluators.config.snapshot)}</p>
                    <crate::components::prompt_view::PromptText project_id=String::new() text=e.prompt.clone() />
                </div>
            </details>
        </section>
    }
}

/// The form, prefilled, saving with `update`.
#[component]
fn EditForm(project: ProjectRef, evaluator: Evaluator, update: ServerAction<UpdateEvaluator>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let pid = project.id.clone();
    let start = LocalResource::new(move || evaluator_form_start(pid.clone()));
    let ids = StoredValue::new((project.id.clone(), evaluator.id.clone()));
    let href = super::evaluator_href(&project.id, &evaluator.id);
    let evaluator = StoredValue::new(evaluator);
    let project = StoredValue::new(project);
    view! {
        <div class="mt-4" data-testid="edit-form">
            <p class="mb-3 text-sm text-zinc-600 dark:text-zinc-400">{t_string!(i18n, evaluators.evaluator.edit_hint)}</p>
            {move || match start.try_get().flatten() {
                None => view! { <FormSkeleton /> }.into_any(),
                Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                Some(Ok(data)) => {
                    let start = FormStart { templates: data.templates, connections: data.connections, datasets: data.datasets, editing: Some(evaluator.get_value()) };
                    view! {
                        <EvaluatorForm project=project.get_value() start
                            submit=Callback::new(move |(input, _)| {
                                let (project_id, evaluator_id) = ids.get_value();
                                update.dispatch(UpdateEvaluator { project_id, evaluator_id, evaluator: input });
                            })
                            pending=update.pending()
                            server_error=action_error(update)
                            submit_label=td_string!(locale, evaluators.evaluator.save)
                            cancel_href=href.clone() />
                    }.into_any()
                }
            }}
        </div>
    }
}

/// The executions: status tabs with counts, the table, the pager.
#[component]
fn Executions(project_id: String, evaluator: Evaluator, counts: ExecutionCounts) -> impl IntoView {
    // Bumped by the poll below: the page of executions reloads (keeping the rows shown meanwhile).
    let tick = RwSignal::new(0u64);
    let active = evaluator.status == EvaluatorStatus::Active;
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let query = use_query_map();
    let status = Memo::new(move |_| query.with(|q| q.get("status").and_then(|s| ExecutionStatus::parse(&s))));
    let page = page_number();
    let ids = StoredValue::new((project_id.clone(), evaluator.id.clone()));
    let executions = LocalResource::new(move || {
        tick.get();
        let (project_id, evaluator_id) = ids.get_value();
        list_evaluator_executions(project_id, evaluator_id, status.get(), page.get())
    });
    // Refresh often while anything is still to run, now and then while the evaluator is active
    // (new targets keep arriving); the loop ends with the page.
    let open = RwSignal::new(open_count(&counts) > 0);
    Effect::new(move |_| {
        if let Some(Ok(p)) = executions.try_get().flatten() {
            open.set(open_count(&p.counts) > 0);
        }
    });
    let alive = alive_flag();
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            let alive = alive.clone();
            leptos::task::spawn_local(async move {
                let mut idle = 0u32;
                loop {
                    sleep(POLL_MS).await;
                    if !alive.load(Ordering::Relaxed) {
                        break;
                    }
                    idle += 1;
                    if open.try_get_untracked() == Some(true) || (active && idle >= IDLE_POLLS) {
                        idle = 0;
                        tick.try_update(|t| *t += 1);
                    }
                }
            });
        }
    });
    let base = StoredValue::new(super::evaluator_href(&project_id, &evaluator.id));
    let tab_href = move |s: Option<ExecutionStatus>| match s {
        Some(s) => format!("{}?status={}", base.get_value(), s.as_str()),
        None => base.get_value(),
    };
    let score_name = evaluator.score_name.clone();
    view! {
        <section class=format!("{CARD} mt-4") data-testid="executions">
            <div class="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-200 px-4 py-2 dark:border-zinc-800">
                <h2 class="text-sm font-semibold">{t_string!(i18n, evaluators.executions.title)}</h2>
                {move || open.get().then(|| view! {
                    <span class="flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400" data-testid="executions-live">
                        <span class="h-2 w-2 animate-pulse rounded-full bg-sky-500" aria-hidden="true"></span>
                        {td_string!(locale, evaluators.executions.refreshing)}
                    </span>
                })}
            </div>
            <nav class="flex gap-1 overflow-x-auto border-b border-zinc-200 px-2 py-1.5 text-sm dark:border-zinc-800" aria-label=td_string!(locale, evaluators.executions.by_status) data-testid="execution-tabs">
                {move || {
                    let counts = executions.try_get().flatten().and_then(|r| r.ok()).map(|p| p.counts).unwrap_or_else(|| counts.clone());
                    let current = status.get();
                    let tab = |s: Option<ExecutionStatus>, label: &'static str, n: i64| {
                        let active = current == s;
                        view! {
                            <a href=tab_href(s) data-testid="execution-tab" data-status=s.map_or("all", |s| s.as_str()) aria-current=active.then_some("page")
                                class=format!("whitespace-nowrap rounded-md px-2.5 py-1 {}", if active { "bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900" } else { "text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800" })>
                                {label}" "<span class="font-mono text-xs opacity-75">{n}</span>
                            </a>
                        }
                    };
                    let mut tabs = vec![tab(None, td_string!(locale, evaluators.executions.all), counts.total())];
                    for s in ExecutionStatus::ALL {
                        let n = count_of(&counts, s);
                        // Empty statuses are left out, except the one being shown.
                        if n > 0 || current == Some(s) {
                            tabs.push(tab(Some(s), super::execution_status_label(locale, s), n));
                        }
                    }
                    tabs.collect_view()
                }}
            </nav>
            <div class="overflow-x-auto">
                {move || match executions.try_get().flatten() {
                    None => view! { <Skeleton label=td_string!(locale, evaluators.executions.loading) /> }.into_any(),
                    Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                    Some(Ok(p)) if p.executions.is_empty() => view! {
                        <EmptyHint title=td_string!(locale, evaluators.executions.empty_title) test_id="no-executions">
                            {if status.get().is_some() { td_string!(locale, evaluators.executions.empty_status) } else { td_string!(locale, evaluators.executions.empty_body) }}
                        </EmptyHint>
                    }.into_any(),
                    Some(Ok(p)) => {
                        let now = chrono::Utc::now();
                        let current = page.get();
                        let next = ((current + 1) * EXECUTIONS_PER_PAGE < p.total).then_some(current + 1);
                        let pager_base = tab_href(status.get());
                        let project_id = ids.get_value().0;
                        let score_name = score_name.clone();
                        view! {
                            <table class=TABLE data-testid="executions-table">
                                <TableHead columns=vec![
                                    td_string!(locale, evaluators.executions.status).to_string(),
                                    td_string!(locale, evaluators.executions.target).to_string(),
                                    td_string!(locale, evaluators.executions.when).to_string(),
                                    td_string!(locale, evaluators.executions.latency).to_string(),
                                    td_string!(locale, evaluators.executions.cost).to_string(),
                                    td_string!(locale, evaluators.executions.score).to_string(),
                                    td_string!(locale, evaluators.executions.judge).to_string(),
                                ] />
                                <tbody class="divide-y divide-zinc-200 dark:divide-zinc-800">
                                    {p.executions.into_iter().map(|x| execution_row(locale, &project_id, &score_name, x, now)).collect_view()}
                                </tbody>
                            </table>
                            {(current > 0 || next.is_some()).then(|| view! { <Pager href=pager_base current next /> })}
                        }.into_any()
                    }
                }}
            </div>
        </section>
    }
}

fn execution_row(locale: Locale, project_id: &str, score_name: &str, x: Execution, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let target = trace_href(project_id, &x.trace_id, x.observation_id.as_deref());
    let judge = x.judge_trace_id.as_ref().map(|j| trace_href(project_id, j, None));
    let when = x.finished_at.or(x.started_at).unwrap_or(x.created_at);
    let waiting = matches!(x.status, ExecutionStatus::Pending | ExecutionStatus::Delayed) && x.scheduled_for > now;
    view! {
        <tr data-testid="execution-row" data-status=x.status.as_str() data-id=x.id.clone()>
            <td class=format!("{TD} max-w-sm")>
                <ExecutionBadge status=x.status />
                {(x.attempts > 1).then(|| view! { <span class="ml-1 text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, evaluators.executions.attempts, count = x.attempts).to_string()}</span> })}
                {x.error.clone().map(|e| view! {
                    <details class="mt-1 text-xs text-red-700 dark:text-red-400" data-testid="execution-error">
                        <summary class="cursor-pointer line-clamp-2 break-words" translate="no">{e.clone()}</summary>
                        <p class="mt-1 whitespace-pre-wrap break-words" translate="no">{e}</p>
                    </details>
                })}
            </td>
            <td class=TD>
                <a class="font-mono text-xs text-indigo-700 hover:underline dark:text-indigo-300" href=target translate="no" data-testid="execution-target">{x.trace_id.clone()}</a>
                {x.observation_id.clone().map(|o| view! { <span class="block font-mono text-xs text-zinc-500 dark:text-zinc-400" translate="no">{o}</span> })}
            </td>
            <td class=format!("{TD} whitespace-nowrap text-xs text-zinc-600 dark:text-zinc-400")>
                {if waiting {
                    td_string!(locale, evaluators.executions.due, time = crate::components::ui::timestamp(x.scheduled_for)).to_string()
                } else {
                    relative_time(when, now)
                }}
            </td>
            <td class=format!("{TD} whitespace-nowrap font-mono text-xs tabular-nums")>
                {x.latency_ms.map(|ms| crate::language::duration_us(locale, ms.saturating_mul(1000))).unwrap_or_else(|| "—".into())}
            </td>
            <td class=format!("{TD} whitespace-nowrap font-mono text-xs tabular-nums")>
                {x.cost.map(crate::domain::format::cost).unwrap_or_else(|| "—".into())}
            </td>
            <td class=format!("{TD} whitespace-nowrap text-xs")>
                {match (&x.score_id, x.status) {
                    (Some(_), _) | (None, ExecutionStatus::Completed) => view! {
                        <a class=BUTTON_LINK href=trace_href(project_id, &x.trace_id, x.observation_id.as_deref()) translate="no" data-testid="execution-score"
                            title=td_string!(locale, evaluators.executions.score_title)>{score_name.to_string()}</a>
                    }.into_any(),
                    _ => view! { <span class="text-zinc-400">"—"</span> }.into_any(),
                }}
            </td>
            <td class=format!("{TD} whitespace-nowrap text-xs")>
                {match judge {
                    Some(href) => view! { <a class=BUTTON_LINK href=href data-testid="execution-judge">{td_string!(locale, evaluators.executions.open_judge)}</a> }.into_any(),
                    None => view! { <span class="text-zinc-400">"—"</span> }.into_any(),
                }}
            </td>
        </tr>
    }
}
