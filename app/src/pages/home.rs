//! Home: the signed-in person's organizations and projects (or, for a newcomer, creating the
//! first one), and the instance's status read live from Postgres.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::server_fns::organizations::CreateOrganization;
use crate::server_fns::system::get_system_status;
use crate::components::session::use_session;
use crate::components::ui::{action_error, ErrorAlert, BUTTON_PRIMARY, BUTTON_SECONDARY, CARD, INPUT, LABEL};
use crate::domain::account::OrganizationRef;
use crate::domain::jobs::{Job, JobState, JobSummary};
use crate::domain::project::ProjectActivity;
use crate::domain::system::DatabaseMode;
use crate::domain::{Action, SystemStatus};
use crate::error::AppError;
use crate::i18n::*;

/// The person's organizations with their projects, or the first-organization form.
#[component]
fn Organizations() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let query = use_query_map();
    let show_form = RwSignal::new(query.with_untracked(|q| q.get("new").as_deref() == Some("organization")));
    let activity = Resource::new(|| (), |_| crate::server_fns::projects::project_activity());
    view! {
        <Transition fallback=move || view! { <div class=CARD><crate::components::ui::Skeleton label=t_string!(i18n, home.loading_projects) /></div> }>
            {move || Suspend::new(async move {
                let organizations = session.current().map(|i| i.organizations).unwrap_or_default();
                // The figures are a nicety: without them (an error), the list still shows.
                let activity = std::sync::Arc::new(activity.await.unwrap_or_default());
                if organizations.is_empty() {
                    return view! {
                        <section class=format!("{CARD} px-6 py-6") data-testid="onboarding">
                            <h2 class="text-base font-semibold">{t_string!(i18n, home.onboarding.title)}</h2>
                            <p class="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
                                {t_string!(i18n, home.onboarding.body)}
                                {t_string!(i18n, home.onboarding.invitation)}
                            </p>
                            <NewOrganizationForm />
                        </section>
                    }.into_any();
                }
                view! {
                    <div class="space-y-4" data-testid="organizations">
                        {organizations.into_iter().map(|org| view! { <OrganizationCard org activity=activity.clone() /> }).collect_view()}
                    </div>
                    <div class="mt-4">
                        <Show when=move || show_form.get() fallback=move || view! {
                            <button type="button" class=BUTTON_SECONDARY data-testid="new-organization" on:click=move |_| show_form.set(true)>{t_string!(i18n, home.new_organization_button)}</button>
                        }>
                            <section class=format!("{CARD} px-6 py-5")>
                                <h2 class="text-base font-semibold">{t_string!(i18n, home.new_organization)}</h2>
                                <NewOrganizationForm />
                            </section>
                        </Show>
                    </div>
                }.into_any()
            })}
        </Transition>
    }
}

#[component]
fn OrganizationCard(org: OrganizationRef, activity: std::sync::Arc<Vec<ProjectActivity>>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let can_create = org.can(Action::CreateProjects);
    let settings = format!("/organization/{}", org.id);
    let new_project = format!("/organization/{}?new=project", org.id);
    view! {
        <section class=CARD data-testid="organization-card">
            <div class="flex items-center justify-between border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <div>
                    <h2 class="text-sm font-semibold" translate="no">{org.name.clone()}</h2>
                    <p class="text-xs text-zinc-500 dark:text-zinc-400">{t!(i18n, home.card.your_role, role = role_label(locale, org.role))}</p>
                </div>
                <div class="flex items-center gap-3 text-sm">
                    {can_create.then(|| view! { <a class="text-indigo-600 hover:underline dark:text-indigo-400" href=new_project>{t_string!(i18n, home.card.new_project)}</a> })}
                    <a class="text-indigo-600 hover:underline dark:text-indigo-400" href=settings>{t_string!(i18n, home.card.organization_settings)}</a>
                </div>
            </div>
            {if org.projects.is_empty() {
                view! { <p class="px-4 py-4 text-sm text-zinc-500 dark:text-zinc-400">{t_string!(i18n, home.card.no_projects)}</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-zinc-100 dark:divide-zinc-800">
                        {org.projects.into_iter().map(|p| view! {
                            <li>
                                <a class="flex items-center justify-between px-4 py-2.5 text-sm hover:bg-zinc-50 dark:hover:bg-zinc-900" href=format!("/project/{}", p.id) data-testid="project-link">
                                    <span class="min-w-0 truncate font-medium" translate="no">{p.name.clone()}</span>
                                    <span class="flex shrink-0 items-center gap-3 text-xs text-zinc-500 dark:text-zinc-400">
                                        {activity.iter().find(|a| a.project_id == p.id).map(|a| {
                                            let last = a.last_trace_at.map_or_else(
                                                || td_string!(locale, home.card.no_traces).to_string(),
                                                |at| td_string!(locale, home.card.last_trace, when = crate::components::ui::relative_time(at, chrono::Utc::now())).to_string(),
                                            );
                                            let exact = a.last_trace_at.map(crate::components::ui::timestamp);
                                            view! {
                                                <span class="hidden sm:inline" data-testid="project-traces-last-day">{last_day_label(locale, a)}</span>
                                                <span title=exact data-testid="project-last-trace">{last}</span>
                                            }
                                        })}
                                        <span>{role_label(locale, p.role)}</span>
                                    </span>
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn NewOrganizationForm() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<CreateOrganization>::new();
    let navigate = use_navigate();
    let session = use_session();
    Effect::new(move |_| {
        if let Some(Ok(project_id)) = action.value().get() {
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                session.reload().await;
                navigate(&format!("/project/{project_id}/settings?created=1"), Default::default());
            });
        }
    });
    view! {
        <ActionForm action attr:class="mt-4 grid max-w-xl gap-3 sm:grid-cols-2" attr:data-testid="new-organization-form">
            <div>
                <label class=LABEL for="org-name">{t_string!(i18n, home.form.organization_name)}</label>
                <input id="org-name" name="name" required placeholder=t_string!(i18n, home.form.organization_placeholder) class=format!("{INPUT} mt-1") />
            </div>
            <div>
                <label class=LABEL for="project-name">{t_string!(i18n, home.form.first_project)}</label>
                <input id="project-name" name="project_name" required placeholder=t_string!(i18n, home.form.project_placeholder) class=format!("{INPUT} mt-1") />
            </div>
            <div class="sm:col-span-2"><ErrorAlert error=action_error(action) /></div>
            <div class="sm:col-span-2">
                <button type="submit" class=BUTTON_PRIMARY disabled=move || action.pending().get()>
                    {move || if action.pending().get() { t_string!(i18n, home.form.creating) } else { t_string!(i18n, home.form.submit) }}
                </button>
            </div>
        </ActionForm>
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();

    view! {
        <Title text=t_string!(i18n, home.title) />
        <div class="max-w-4xl px-4 py-4 sm:px-8 sm:py-6">
            <h1 class="text-xl font-semibold tracking-tight">{t_string!(i18n, home.welcome)}</h1>
            <p class="mt-1 max-w-2xl text-sm text-zinc-500 dark:text-zinc-400">
                {t_string!(i18n, home.intro)}
            </p>

            <div class="mt-8">
                <Organizations />
            </div>

            // Built once, outside any `Suspend` (its resource and `Transition` take hydration ids:
            // `components::session`); the session is there synchronously.
            {session.with(|info| info.is_some_and(|i| i.user.is_instance_admin)).then(|| view! { <InstanceStatus /> })}
            // The instance's plans and each organization's plan (#22), for instance administrators.
            {session.with(|info| info.is_some_and(|i| i.user.is_instance_admin)).then(|| view! {
                <p class="mt-3 text-sm">
                    <a class=crate::components::ui::BUTTON_LINK href="/admin/plans" data-testid="admin-plans-link">{t_string!(i18n, usage.admin.link)}</a>
                </p>
            })}

            <section class="mt-6 rounded-lg border border-zinc-200 px-4 py-4 text-sm dark:border-zinc-800">
                <h2 class="font-semibold">{t_string!(i18n, home.sending.title)}</h2>
                <p class="mt-1 text-zinc-500 dark:text-zinc-400">
                    {t!(
                        i18n,
                        home.sending.body,
                        host = || view! { <code class="font-mono text-xs">"LANGFUSE_HOST"</code> },
                        base_url = || view! { <code class="font-mono text-xs">"LANGFUSE_BASE_URL"</code> }
                    )}
                </p>
            </section>
        </div>
    }
}

#[component]
fn StatusSkeleton() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="space-y-3 px-4 py-4" aria-busy="true" aria-label=t_string!(i18n, home.status.loading)>
            <div class="h-3 w-1/3 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
            <div class="h-3 w-1/2 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
            <div class="h-3 w-1/4 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
        </div>
    }
}

/// `one` when `n` is 1, else `many` (which shows `n`): there is no plural rule in the strings.
fn plural(n: i64, one: &str, many: impl FnOnce(i64) -> String) -> String {
    if n == 1 { one.to_string() } else { many(n) }
}

/// "1 trace in 24 h" / "1,234 traces in 24 h" / "10,000+ traces in 24 h" in `locale`: the
/// domain's `ProjectActivity::last_day_label`, translated.
fn last_day_label(locale: Locale, activity: &ProjectActivity) -> String {
    if activity.traces_last_day == 1 {
        return td_string!(locale, home.card.one_trace_last_day).to_string();
    }
    let n = crate::domain::format::count(activity.traces_last_day.min(ProjectActivity::COUNT_CAP));
    let plus = if activity.traces_last_day > ProjectActivity::COUNT_CAP { "+" } else { "" };
    td_string!(locale, home.card.traces_last_day, count = format!("{n}{plus}")).to_string()
}

use crate::components::layout::role_label;

#[component]
fn StatusTable(status: SystemStatus) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let mode = match status.database_mode {
        DatabaseMode::Embedded => td_string!(locale, home.status.database_embedded),
        DatabaseMode::External => td_string!(locale, home.status.database_external),
    };
    let contents = td_string!(
        locale,
        home.status.contents_list,
        organizations = plural(status.n_organizations, td_string!(locale, home.status.one_organization), |n| td_string!(locale, home.status.organizations, count = n).to_string()),
        projects = plural(status.n_projects, td_string!(locale, home.status.one_project), |n| td_string!(locale, home.status.projects, count = n).to_string()),
        users = plural(status.n_users, td_string!(locale, home.status.one_user), |n| td_string!(locale, home.status.users, count = n).to_string())
    )
    .to_string();
    // (test id, label, value): the test ids stay the English labels' (`loupe-version`, …).
    let rows = [
        ("loupe-version", td_string!(locale, home.status.loupe_version), status.loupe_version.clone()),
        ("database", td_string!(locale, home.status.database), format!("PostgreSQL {}", status.postgres_version)),
        ("database-mode", td_string!(locale, home.status.database_mode), mode.to_string()),
        (
            "schema",
            td_string!(locale, home.status.schema),
            plural(status.n_migrations, td_string!(locale, home.status.one_migration_applied), |n| {
                td_string!(locale, home.status.migrations_applied, count = n).to_string()
            }),
        ),
        ("contents", td_string!(locale, home.status.contents), contents),
        ("checked-at", td_string!(locale, home.status.checked_at), {
            // Milliseconds: "Check again" must show that the database clock moved on.
            let zone = crate::language::time_zone();
            format!("{} {}", status.checked_at.with_timezone(&zone.0).format("%Y-%m-%d %H:%M:%S%.3f"), zone.label())
        }),
    ];
    view! {
        <dl class="divide-y divide-zinc-100 text-sm dark:divide-zinc-800" data-testid="status">
            {rows
                .into_iter()
                .map(|(test_id, label, value)| {
                    view! {
                        <div class="grid grid-cols-3 gap-4 px-4 py-2">
                            <dt class="text-zinc-500 dark:text-zinc-400">{label}</dt>
                            <dd class="col-span-2 font-mono text-xs leading-5" data-testid=test_id>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
    }
}

/// Background jobs by kind, and the ones that need a look (failed, retrying, running).
#[component]
fn JobsTable(jobs: Vec<JobSummary>, troubled: Vec<Job>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    const CELL: &str = "px-4 py-1.5";
    let kinds = jobs
        .into_iter()
        .map(|k| {
            let last = k.last_finished_at.map(crate::components::ui::timestamp).unwrap_or_else(|| "—".into());
            view! {
                <tr data-testid="job-kind" data-kind=k.kind.clone()>
                    <td class=format!("{CELL} font-mono text-xs")>{k.kind.clone()}</td>
                    <td class=CELL>{k.queued}</td>
                    <td class=CELL>{k.running}</td>
                    <td class=CELL>{k.succeeded}</td>
                    <td class=format!("{CELL} {}", if k.failed > 0 { "font-medium text-red-700 dark:text-red-400" } else { "" })>{k.failed}</td>
                    <td class=format!("{CELL} hidden text-xs text-zinc-500 sm:table-cell dark:text-zinc-400")>{last}</td>
                </tr>
            }
        })
        .collect_view();
    let troubled = (!troubled.is_empty()).then(|| {
        let rows = troubled
            .into_iter()
            .map(|job| {
                let state = match job.state {
                    JobState::Queued => td_string!(locale, home.jobs.retrying_attempt, attempt = job.attempts + 1, max = job.max_attempts).to_string(),
                    JobState::Running => td_string!(locale, home.jobs.running_attempt, attempt = job.attempts, max = job.max_attempts).to_string(),
                    JobState::Failed => td_string!(locale, home.jobs.failed_after, attempts = job.attempts).to_string(),
                    JobState::Succeeded => td_string!(locale, home.jobs.succeeded).to_string(),
                };
                view! {
                    <li class="px-4 py-2" data-testid="troubled-job">
                        <div class="flex flex-wrap items-baseline gap-2">
                            <span class="font-mono text-xs">{job.kind.clone()}</span>
                            <span class="text-xs text-zinc-500 dark:text-zinc-400">{state}</span>
                        </div>
                        {job.last_error.map(|e| view! { <p class="mt-1 break-words font-mono text-xs text-red-700 dark:text-red-400">{e}</p> })}
                    </li>
                }
            })
            .collect_view();
        view! {
            <h3 class="border-t border-zinc-100 px-4 pt-3 text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">{t_string!(i18n, home.jobs.needs_a_look)}</h3>
            <ul class="divide-y divide-zinc-100 dark:divide-zinc-800">{rows}</ul>
        }
    });
    view! {
        <div class="border-t border-zinc-200 dark:border-zinc-800" data-testid="jobs">
            <h3 class="px-4 pt-3 text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">{t_string!(i18n, home.jobs.title)}</h3>
            <div class="overflow-x-auto">
                <table class="w-full text-left text-sm">
                    <thead class="text-xs text-zinc-500 dark:text-zinc-400">
                        <tr>
                            <th class=CELL scope="col">{t_string!(i18n, home.jobs.kind)}</th>
                            <th class=CELL scope="col">{t_string!(i18n, home.jobs.queued)}</th>
                            <th class=CELL scope="col">{t_string!(i18n, home.jobs.running)}</th>
                            <th class=CELL scope="col">{t_string!(i18n, home.jobs.done)}</th>
                            <th class=CELL scope="col">{t_string!(i18n, home.jobs.failed)}</th>
                            <th class=format!("{CELL} hidden sm:table-cell") scope="col">{t_string!(i18n, home.jobs.last_finished)}</th>
                        </tr>
                    </thead>
                    <tbody>{kinds}</tbody>
                </table>
            </div>
            {troubled}
        </div>
    }
}

#[component]
fn StatusError(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div role="alert" class="px-4 py-4 text-sm text-red-700 dark:text-red-400" data-testid="status-error">
            <p class="font-medium">{t_string!(i18n, home.status.error)}</p>
            <p class="mt-1">{error.to_string()}</p>
        </div>
    }
}

/// The instance's status, for instance administrators.
#[component]
fn InstanceStatus() -> impl IntoView {
    let i18n = use_i18n();
    // Bumped by "Check again"; the resource refetches through the server function.
    let refresh = RwSignal::new(0u32);
    let status = Resource::new(move || refresh.get(), |_| get_system_status());
    // True while a re-check is in flight: the old values stay visible, the button says so.
    let (checking, set_checking) = crate::components::ui::pending_flag();
    let is_checking = move || checking.try_get().unwrap_or(false);
    view! {
        <section class="mt-8 rounded-lg border border-zinc-200 dark:border-zinc-800" aria-labelledby="status-heading">
                <div class="flex items-center justify-between border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                    <h2 id="status-heading" class="text-sm font-semibold">{t_string!(i18n, home.status.title)}</h2>
                    <button
                        type="button"
                        data-testid="recheck"
                        class="rounded-md border border-zinc-200 px-2.5 py-1 text-xs font-medium hover:bg-zinc-50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
                        disabled=is_checking
                        aria-busy=move || is_checking().to_string()
                        on:click=move |_| refresh.update(|n| *n += 1)
                    >
                        {move || if is_checking() { t_string!(i18n, home.status.checking) } else { t_string!(i18n, home.status.check_again) }}
                    </button>
                </div>
                <Transition fallback=StatusSkeleton set_pending=set_checking>
                    {move || Suspend::new(async move {
                        match status.await {
                            Ok(status) => {
                                let (jobs, troubled) = (status.jobs.clone(), status.troubled_jobs.clone());
                                view! { <StatusTable status /><JobsTable jobs troubled /> }.into_any()
                            }
                            Err(error) => view! { <StatusError error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
    }
}
