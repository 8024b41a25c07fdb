//! `/project/{id}/evaluators`: the project's evaluators — template, target, judge model, status
//! (a paused one says so; one whose LLM connection is gone says that too), sampling, executions by
//! status and when it last ran — with pause/resume in the row. Without evaluators, what
//! LLM-as-a-judge is and how to start (an LLM connection first when the project has none).

use leptos::prelude::*;
use leptos_meta::Title;

use super::templates::template_words;
use super::{connections_href, evaluator_href, percent, target_label, CountsSummary, StatusBadge, MANAGE};
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::evaluators::EvaluatorStatus;
use crate::domain::Action;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::evaluator_views::{evaluators_overview, EvaluatorRow};
use crate::server_fns::evaluators::{PauseEvaluator, ResumeEvaluator};

#[component]
pub fn EvaluatorsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, evaluators.title) />
        <InProject children=move |_, project| view! { <EvaluatorList project /> } />
    }
}

#[component]
fn EvaluatorList(project: ProjectRef) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let pause = ServerAction::<PauseEvaluator>::new();
    let resume = ServerAction::<ResumeEvaluator>::new();
    let pid = project.id.clone();
    let overview = LocalResource::new(move || {
        pause.version().get();
        resume.version().get();
        evaluators_overview(pid.clone())
    });
    let can_manage = project.can(MANAGE);
    let can_add_connection = project.can(Action::ManageLlmConnections);
    let new_href = StoredValue::new(format!("/project/{}/evaluators/new", project.id));
    let project_id = StoredValue::new(project.id.clone());
    let settings = connections_href(&project.id);
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, evaluators.title) subtitle=t_string!(i18n, evaluators.subtitle)>
                {can_manage.then(|| view! { <a class=BUTTON_PRIMARY href=new_href.get_value() data-testid="new-evaluator">{t_string!(i18n, evaluators.list.new)}</a> })}
            </PageHeader>
            <div class="mt-3"><ErrorAlert error=action_error(pause) /><ErrorAlert error=action_error(resume) /></div>
            <section class=format!("{CARD} mt-4 overflow-x-auto")>
                {move || match overview.try_get().flatten() {
                    None => view! { <Skeleton label=td_string!(locale, evaluators.list.loading) /> }.into_any(),
                    Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                    Some(Ok(data)) if data.evaluators.is_empty() => {
                        let no_connections = data.connections.is_empty();
                        view! {
                            <div class="px-6 py-10 text-sm" data-testid="no-evaluators">
                                <div class="mx-auto max-w-xl text-center">
                                    <p class="text-base font-semibold text-zinc-900 dark:text-zinc-100">{td_string!(locale, evaluators.empty.title)}</p>
                                    <p class="mt-2 text-zinc-600 dark:text-zinc-400">{td_string!(locale, evaluators.empty.body)}</p>
                                    <ol class="mx-auto mt-4 max-w-md space-y-1 text-left text-zinc-600 dark:text-zinc-400">
                                        <li>{td_string!(locale, evaluators.empty.step_template, example = "{{input}}").to_string()}</li>
                                        <li>{td_string!(locale, evaluators.empty.step_target)}</li>
                                        <li>{td_string!(locale, evaluators.empty.step_scores)}</li>
                                    </ol>
                                    {no_connections.then(|| view! {
                                        <div class="mx-auto mt-4 max-w-md rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-left text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200" data-testid="evaluators-no-connections">
                                            <p class="font-medium">{td_string!(locale, evaluators.connections.first)}</p>
                                            {if can_add_connection {
                                                view! { <a class=BUTTON_LINK href=settings.clone() data-testid="add-connection-link">{td_string!(locale, evaluators.connections.add)}</a> }.into_any()
                                            } else {
                                                view! { <p>{td_string!(locale, evaluators.connections.ask)}</p> }.into_any()
                                            }}
                                        </div>
                                    })}
                                    {can_manage.then(|| view! {
                                        <a class=format!("{BUTTON_PRIMARY} mt-5") href=new_href.get_value() data-testid="empty-new-evaluator">{td_string!(locale, evaluators.list.new)}</a>
                                    })}
                                </div>
                            </div>
                        }.into_any()
                    }
                    Some(Ok(data)) => {
                        let connections = data.connections.clone();
                        let now = chrono::Utc::now();
                        view! {
                            <table class=TABLE data-testid="evaluators-table">
                                <TableHead columns=vec![
                                    td_string!(locale, evaluators.list.name).to_string(),
                                    td_string!(locale, evaluators.list.template).to_string(),
                                    td_string!(locale, evaluators.list.target).to_string(),
                                    td_string!(locale, evaluators.list.model).to_string(),
                                    td_string!(locale, evaluators.list.status).to_string(),
                                    td_string!(locale, evaluators.list.sampling).to_string(),
                                    td_string!(locale, evaluators.list.executions).to_string(),
                                    td_string!(locale, evaluators.list.last_run).to_string(),
                                    String::new(),
                                ] />
                                <tbody class="divide-y divide-zinc-200 dark:divide-zinc-800">
                                    {data.evaluators.into_iter().map(|row| {
                                        let connection_missing = !connections.contains(&row.summary.evaluator.connection);
                                        view! { <Row row project_id=project_id.get_value() connection_missing can_manage pause resume now /> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                }}
            </section>
        </div>
    }
}

#[component]
fn Row(
    row: EvaluatorRow,
    project_id: String,
    connection_missing: bool,
    can_manage: bool,
    pause: ServerAction<PauseEvaluator>,
    resume: ServerAction<ResumeEvaluator>,
    now: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let EvaluatorRow { summary, last_run } = row;
    let e = summary.evaluator;
    let href = evaluator_href(&project_id, &e.id);
    let builtin = e.template_id.starts_with(crate::domain::evaluators::BUILTIN_PREFIX);
    let template = if builtin {
        let stand_in = crate::domain::evaluators::builtin_template(&e.template_id);
        stand_in.map(|t| template_words(locale, &t).0).unwrap_or_else(|| e.template_name.clone())
    } else {
        e.template_name.clone()
    };
    let label = match e.status {
        EvaluatorStatus::Active => td_string!(locale, evaluators.actions.pause),
        EvaluatorStatus::Paused => td_string!(locale, evaluators.actions.resume),
    };
    let id = e.id.clone();
    let status = e.status;
    view! {
        <tr data-testid="evaluator-row" data-name=e.name.clone() data-status=e.status.as_str()>
            <td class=TD>
                <a class="font-medium hover:underline" href=href translate="no" data-testid="evaluator-link">{e.name.clone()}</a>
                {(e.score_name != e.name).then(|| view! {
                    <span class="block text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, evaluators.list.score)}" "<span translate="no">{e.score_name.clone()}</span></span>
                })}
            </td>
            <td class=format!("{TD} whitespace-nowrap") translate=if builtin { "yes" } else { "no" }>{template}</td>
            <td class=format!("{TD} text-xs")>{target_label(locale, &e.target)}</td>
            <td class=format!("{TD} text-xs")>
                <span class="font-mono" translate="no">{e.model.clone()}</span>
                <span class="block text-zinc-500 dark:text-zinc-400" translate="no">{e.connection.clone()}</span>
            </td>
            <td class=TD>
                <StatusBadge status />
                {(status == EvaluatorStatus::Paused).then(|| view! {
                    <span class="mt-0.5 block text-xs text-zinc-500 dark:text-zinc-400" data-testid="paused-reason">{td_string!(locale, evaluators.status.paused_reason)}</span>
                })}
                {connection_missing.then(|| view! {
                    <span class="mt-0.5 block max-w-[12rem] text-xs text-red-700 dark:text-red-400" data-testid="connection-missing">
                        {td_string!(locale, evaluators.status.connection_missing, name = e.connection.clone()).to_string()}
                    </span>
                })}
            </td>
            <td class=format!("{TD} font-mono tabular-nums")>{percent(e.sampling)}</td>
            <td class=TD><CountsSummary counts=summary.counts.clone() /></td>
            <td class=format!("{TD} whitespace-nowrap text-xs text-zinc-600 dark:text-zinc-400")>
                {match last_run {
                    Some(at) => view! { <span title=crate::components::ui::timestamp(at)>{relative_time(at, now)}</span> }.into_any(),
                    None => view! { <span class="text-zinc-400">{td_string!(locale, evaluators.list.never)}</span> }.into_any(),
                }}
            </td>
            <td class=format!("{TD} text-right")>
                {can_manage.then(|| view! {
                    <button type="button" class=BUTTON_SECONDARY data-testid="toggle-evaluator" disabled=move || pause.pending().get() || resume.pending().get()
                        on:click=move |_| {
                            let (project_id, evaluator_id) = (project_id.clone(), id.clone());
                            match status {
                                EvaluatorStatus::Active => { pause.dispatch(PauseEvaluator { project_id, evaluator_id }); }
                                EvaluatorStatus::Paused => { resume.dispatch(ResumeEvaluator { project_id, evaluator_id }); }
                            }
                        }>
                        {label}
                    </button>
                })}
            </td>
        </tr>
    }
}
