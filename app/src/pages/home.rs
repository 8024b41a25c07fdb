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
use crate::domain::{Action, SystemStatus};
use crate::error::AppError;

/// The person's organizations with their projects, or the first-organization form.
#[component]
fn Organizations() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let show_form = RwSignal::new(query.with_untracked(|q| q.get("new").as_deref() == Some("organization")));
    let activity = Resource::new(|| (), |_| crate::server_fns::projects::project_activity());
    view! {
        <Transition fallback=|| view! { <div class=CARD><crate::components::ui::Skeleton label="Loading your projects" /></div> }>
            {move || Suspend::new(async move {
                let organizations = session.info.await.ok().flatten().map(|i| i.organizations).unwrap_or_default();
                // The figures are a nicety: without them (an error), the list still shows.
                let activity = std::sync::Arc::new(activity.await.unwrap_or_default());
                if organizations.is_empty() {
                    return view! {
                        <section class=format!("{CARD} px-6 py-6") data-testid="onboarding">
                            <h2 class="text-base font-semibold">"Create your organization"</h2>
                            <p class="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
                                "Organizations hold projects and the people who work on them. Each project has its own traces, prompts, scores and API keys. "
                                "If a teammate already uses Loupe, ask them for an invitation instead."
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
                            <button type="button" class=BUTTON_SECONDARY data-testid="new-organization" on:click=move |_| show_form.set(true)>"+ New organization"</button>
                        }>
                            <section class=format!("{CARD} px-6 py-5")>
                                <h2 class="text-base font-semibold">"New organization"</h2>
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
    let can_create = org.can(Action::CreateProjects);
    let settings = format!("/organization/{}", org.id);
    let new_project = format!("/organization/{}?new=project", org.id);
    view! {
        <section class=CARD data-testid="organization-card">
            <div class="flex items-center justify-between border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <div>
                    <h2 class="text-sm font-semibold">{org.name.clone()}</h2>
                    <p class="text-xs text-zinc-500 dark:text-zinc-400">{format!("Your role: {}", org.role.label())}</p>
                </div>
                <div class="flex items-center gap-3 text-sm">
                    {can_create.then(|| view! { <a class="text-indigo-600 hover:underline dark:text-indigo-400" href=new_project>"+ New project"</a> })}
                    <a class="text-indigo-600 hover:underline dark:text-indigo-400" href=settings>"Organization settings"</a>
                </div>
            </div>
            {if org.projects.is_empty() {
                view! { <p class="px-4 py-4 text-sm text-zinc-500 dark:text-zinc-400">"No projects you can see in this organization yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-zinc-100 dark:divide-zinc-800">
                        {org.projects.into_iter().map(|p| view! {
                            <li>
                                <a class="flex items-center justify-between px-4 py-2.5 text-sm hover:bg-zinc-50 dark:hover:bg-zinc-900" href=format!("/project/{}/traces", p.id) data-testid="project-link">
                                    <span class="min-w-0 truncate font-medium">{p.name.clone()}</span>
                                    <span class="flex shrink-0 items-center gap-3 text-xs text-zinc-500 dark:text-zinc-400">
                                        {activity.iter().find(|a| a.project_id == p.id).map(|a| {
                                            let last = a.last_trace_at.map_or_else(|| "No traces yet".to_string(), |at| format!("Last trace {}", crate::components::ui::relative_time(at, chrono::Utc::now())));
                                            let exact = a.last_trace_at.map(crate::components::ui::timestamp);
                                            view! {
                                                <span class="hidden sm:inline" data-testid="project-traces-last-day">{a.last_day_label()}</span>
                                                <span title=exact data-testid="project-last-trace">{last}</span>
                                            }
                                        })}
                                        <span>{p.role.label()}</span>
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
    let action = ServerAction::<CreateOrganization>::new();
    let navigate = use_navigate();
    let session = use_session();
    Effect::new(move |_| {
        if let Some(Ok(project_id)) = action.value().get() {
            session.refresh();
            navigate(&format!("/project/{project_id}/settings?created=1"), Default::default());
        }
    });
    view! {
        <ActionForm action attr:class="mt-4 grid max-w-xl gap-3 sm:grid-cols-2" attr:data-testid="new-organization-form">
            <div>
                <label class=LABEL for="org-name">"Organization name"</label>
                <input id="org-name" name="name" required placeholder="Acme" class=format!("{INPUT} mt-1") />
            </div>
            <div>
                <label class=LABEL for="project-name">"First project"</label>
                <input id="project-name" name="project_name" required placeholder="Chatbot" class=format!("{INPUT} mt-1") />
            </div>
            <div class="sm:col-span-2"><ErrorAlert error=action_error(action) /></div>
            <div class="sm:col-span-2">
                <button type="submit" class=BUTTON_PRIMARY disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create organization and project" }}
                </button>
            </div>
        </ActionForm>
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();

    view! {
        <Title text="Home" />
        <div class="max-w-4xl px-4 py-4 sm:px-8 sm:py-6">
            <h1 class="text-xl font-semibold tracking-tight">"Welcome to Loupe"</h1>
            <p class="mt-1 max-w-2xl text-sm text-zinc-500 dark:text-zinc-400">
                "Open-source LLM engineering: tracing, prompt management and evaluation, compatible with the Langfuse SDKs. One binary and Postgres."
            </p>

            <div class="mt-8">
                <Organizations />
            </div>

            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let admin = session.info.await.ok().flatten().is_some_and(|i| i.user.is_instance_admin);
                    admin.then(|| view! { <InstanceStatus /> })
                })}
            </Transition>

            <section class="mt-6 rounded-lg border border-zinc-200 px-4 py-4 text-sm dark:border-zinc-800">
                <h2 class="font-semibold">"Sending data"</h2>
                <p class="mt-1 text-zinc-500 dark:text-zinc-400">
                    "Create an API key in a project's settings, then point the Langfuse SDKs at this instance with "
                    <code class="font-mono text-xs">"LANGFUSE_HOST"</code>
                    " (JS: "<code class="font-mono text-xs">"LANGFUSE_BASE_URL"</code>")"
                    ". The settings page shows a ready-to-paste snippet."
                </p>
            </section>
        </div>
    }
}

#[component]
fn StatusSkeleton() -> impl IntoView {
    view! {
        <div class="space-y-3 px-4 py-4" aria-busy="true" aria-label="Loading instance status">
            <div class="h-3 w-1/3 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
            <div class="h-3 w-1/2 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
            <div class="h-3 w-1/4 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
        </div>
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 { format!("{n} {one}") } else { format!("{n} {many}") }
}

#[component]
fn StatusTable(status: SystemStatus) -> impl IntoView {
    let rows = [
        ("Loupe version", status.loupe_version.clone()),
        ("Database", format!("PostgreSQL {}", status.postgres_version)),
        ("Database mode", status.database_mode.describe().to_string()),
        ("Schema", plural(status.n_migrations, "migration applied", "migrations applied")),
        (
            "Contents",
            format!(
                "{}, {}, {}",
                plural(status.n_organizations, "organization", "organizations"),
                plural(status.n_projects, "project", "projects"),
                plural(status.n_users, "user", "users"),
            ),
        ),
        ("Checked at", status.checked_at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()),
    ];
    view! {
        <dl class="divide-y divide-zinc-100 text-sm dark:divide-zinc-800" data-testid="status">
            {rows
                .into_iter()
                .map(|(label, value)| {
                    let test_id = label.to_lowercase().replace(' ', "-");
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
    const CELL: &str = "px-4 py-1.5";
    let kinds = jobs
        .into_iter()
        .map(|k| {
            let last = k.last_finished_at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_else(|| "—".into());
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
                    JobState::Queued => format!("retrying (attempt {} of {})", job.attempts + 1, job.max_attempts),
                    JobState::Running => format!("running (attempt {} of {})", job.attempts, job.max_attempts),
                    JobState::Failed => format!("failed after {} attempts", job.attempts),
                    JobState::Succeeded => "succeeded".to_string(),
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
            <h3 class="border-t border-zinc-100 px-4 pt-3 text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">"Needs a look"</h3>
            <ul class="divide-y divide-zinc-100 dark:divide-zinc-800">{rows}</ul>
        }
    });
    view! {
        <div class="border-t border-zinc-200 dark:border-zinc-800" data-testid="jobs">
            <h3 class="px-4 pt-3 text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">"Background jobs"</h3>
            <div class="overflow-x-auto">
                <table class="w-full text-left text-sm">
                    <thead class="text-xs text-zinc-500 dark:text-zinc-400">
                        <tr>
                            <th class=CELL scope="col">"Kind"</th>
                            <th class=CELL scope="col">"Queued"</th>
                            <th class=CELL scope="col">"Running"</th>
                            <th class=CELL scope="col">"Done"</th>
                            <th class=CELL scope="col">"Failed"</th>
                            <th class=format!("{CELL} hidden sm:table-cell") scope="col">"Last finished"</th>
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
    view! {
        <div role="alert" class="px-4 py-4 text-sm text-red-700 dark:text-red-400" data-testid="status-error">
            <p class="font-medium">"Could not read the instance status"</p>
            <p class="mt-1">{error.to_string()}</p>
        </div>
    }
}

/// The instance's status, for instance administrators.
#[component]
fn InstanceStatus() -> impl IntoView {
    // Bumped by "Check again"; the resource refetches through the server function.
    let refresh = RwSignal::new(0u32);
    let status = Resource::new(move || refresh.get(), |_| get_system_status());
    // True while a re-check is in flight: the old values stay visible, the button says so.
    //
    // Reference-counted, not arena-stored, for two reasons found on the server. The Transition
    // reports "pending" from effects that can run after the page went away, when an arena
    // signal is disposed and `set` panicked the render thread. And a mapped `SignalSetter` is
    // itself called under the reactive arena's read lock: writing an arena signal from it takes
    // that lock again, and when another request's owner was being dropped (a writer waiting) the
    // two threads deadlocked and the whole server stopped answering. An `ArcRwSignal` touches
    // no arena.
    let checking = ArcRwSignal::new(false);
    // `try_get`: a client that leaves while the page streams disposes the derived signal before
    // the last render effects run; `get` would then panic the server's render thread.
    let checking_now = Signal::derive({
        let checking = checking.clone();
        move || checking.get()
    });
    let is_checking = move || checking_now.try_get().unwrap_or(false);
    let set_checking = SignalSetter::map(move |pending| checking.set(pending));
    view! {
        <section class="mt-8 rounded-lg border border-zinc-200 dark:border-zinc-800" aria-labelledby="status-heading">
                <div class="flex items-center justify-between border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                    <h2 id="status-heading" class="text-sm font-semibold">"Instance status"</h2>
                    <button
                        type="button"
                        data-testid="recheck"
                        class="rounded-md border border-zinc-200 px-2.5 py-1 text-xs font-medium hover:bg-zinc-50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
                        disabled=is_checking
                        aria-busy=move || is_checking().to_string()
                        on:click=move |_| refresh.update(|n| *n += 1)
                    >
                        {move || if is_checking() { "Checking…" } else { "Check again" }}
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
