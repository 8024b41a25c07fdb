//! "Data retention" in the project settings (issue #22): how long the project keeps its data and
//! why (its own setting or its plan's), what the last run deleted, and — for Admins and Owners —
//! the setting (at most the plan's) and "Run now". A shorter retention is saved only after the
//! person saw what the next run will delete (`preview_retention`) and confirmed it; the server
//! refuses it otherwise, so the confirmation cannot be skipped.

use leptos::prelude::*;

use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::format::count;
use crate::domain::retention::{is_shortening, shorter, RetentionPreview, RetentionProblem, RetentionRun, RetentionSettings, RetentionSource, RetentionTrigger, MAX_RETENTION_DAYS};
use crate::domain::Action;
use crate::error::AppError;
use crate::i18n::*;
use crate::server_fns::retention::{get_retention, PreviewRetention, RunRetentionNow, SetRetention};

/// How often the section looks again while a run is queued or running.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const POLL_MS: u64 = 1_500;

/// A problem with the typed retention, in `locale` (the server's refusal uses the same words).
pub fn problem_message(locale: Locale, problem: RetentionProblem) -> String {
    match problem {
        RetentionProblem::NotANumber => td_string!(locale, retention.errors.not_a_number).to_string(),
        RetentionProblem::BelowOne => td_string!(locale, retention.errors.below_one).to_string(),
        RetentionProblem::AbovePlan { plan_days } => td_string!(locale, retention.errors.above_plan, days = plan_days).to_string(),
        RetentionProblem::AboveMax => td_string!(locale, retention.errors.above_max, days = MAX_RETENTION_DAYS).to_string(),
    }
}

#[component]
pub fn DataRetention(project: ProjectRef) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let save = ServerAction::<SetRetention>::new();
    let preview = ServerAction::<PreviewRetention>::new();
    let run_now = ServerAction::<RunRetentionNow>::new();
    // Bumped to load the section again (after a run was queued, and while one is pending).
    let reload = RwSignal::new(0u32);
    let pid = project.id.clone();
    let settings = LocalResource::new(move || {
        save.version().get();
        run_now.version().get();
        reload.get();
        get_retention(pid.clone())
    });
    let can_change = project.can(Action::ManageProjectSettings);
    let project_id = StoredValue::new(project.id.clone());
    let days = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<AppError>);
    // The preview waiting for a confirmation (a shortening), cleared by saving or cancelling.
    let pending_confirm = RwSignal::new(None::<RetentionPreview>);
    let saved = RwSignal::new(false);

    // The field shows the stored setting whenever the settings load.
    Effect::new(move |_| {
        if let Some(Ok(s)) = settings.try_get().flatten() {
            days.set(s.policy.project_days.map(|d| d.to_string()).unwrap_or_default());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(p)) = preview.value().get() {
            pending_confirm.set(Some(p));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            pending_confirm.set(None);
            saved.set(true);
        }
    });
    let pending = Signal::derive(move || {
        matches!(settings.try_get().flatten(), Some(Ok(s)) if s.pending || s.last_run.as_ref().is_some_and(|r| r.finished_at.is_none() && r.error.is_none()))
    });
    poll_while(pending, move || reload.update(|n| *n += 1));

    let submit = move |current: RetentionSettings| {
        local_error.set(None);
        saved.set(false);
        let typed = days.get_untracked();
        let checked = match current.policy.check_days(&typed) {
            Ok(checked) => checked,
            Err(problem) => {
                local_error.set(Some(AppError::invalid(RetentionProblem::FIELD, problem_message(locale, problem))));
                return;
            }
        };
        let next = shorter(checked, current.policy.plan_days);
        let text = checked.map(|d| d.to_string());
        if is_shortening(current.policy.effective_days(), next) {
            preview.dispatch(PreviewRetention { project_id: project_id.get_value(), days: text });
        } else {
            save.dispatch(SetRetention { project_id: project_id.get_value(), days: text, confirm: Some(false) });
        }
    };

    view! {
        <section class=CARD id="data-retention" data-testid="retention">
            <div class="border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <h2 class="text-sm font-semibold">{t_string!(i18n, retention.title)}</h2>
                <p class=HINT>{t_string!(i18n, retention.subtitle)}</p>
            </div>
            {move || match settings.try_get().flatten() {
                None => view! { <Skeleton /> }.into_any(),
                Some(Err(error)) => view! { <div class="p-4"><LoadError error /></div> }.into_any(),
                Some(Ok(current)) => {
                    let policy = current.policy.clone();
                    let effective = match policy.effective_days() {
                        Some(d) => td_string!(locale, retention.effective_days, days = d).to_string(),
                        None => td_string!(locale, retention.effective_forever).to_string(),
                    };
                    let plan = policy.plan_name.clone();
                    let source = match policy.source() {
                        RetentionSource::Project => td_string!(locale, retention.source_project).to_string(),
                        RetentionSource::Plan => td_string!(locale, retention.source_plan, plan = plan.clone()).to_string(),
                        RetentionSource::Forever => td_string!(locale, retention.source_forever, plan = plan.clone()).to_string(),
                    };
                    let plan_limit = match policy.plan_days {
                        Some(d) => td_string!(locale, retention.plan_days, plan = plan.clone(), days = d).to_string(),
                        None => td_string!(locale, retention.plan_forever, plan = plan.clone()).to_string(),
                    };
                    let expires = policy.effective_days().is_some();
                    let for_submit = current.clone();
                    view! {
                        <div class="space-y-4 px-4 py-4">
                            <div>
                                <p class="text-sm font-medium" data-testid="retention-effective">{effective}</p>
                                <p class="text-sm text-zinc-600 dark:text-zinc-400" data-testid="retention-source" data-source=format!("{:?}", policy.source())>{source}</p>
                                <p class=HINT data-testid="retention-plan">{plan_limit}</p>
                            </div>
                            {if can_change {
                                view! {
                                    <form class="flex max-w-lg flex-wrap items-end gap-2" data-testid="retention-form" novalidate on:submit=move |ev| {
                                        ev.prevent_default();
                                        submit(for_submit.clone());
                                    }>
                                        <div class="w-56">
                                            <label class=LABEL for="retention-days">{t_string!(i18n, retention.days_label)}</label>
                                            <input id="retention-days" name="days" type="number" min="1" max=policy.plan_days.unwrap_or(MAX_RETENTION_DAYS).to_string() step="1" inputmode="numeric"
                                                class=format!("{INPUT} mt-1") data-testid="retention-days"
                                                placeholder=t_string!(i18n, retention.days_placeholder)
                                                prop:value=move || days.get()
                                                on:input=move |ev| { days.set(event_target_value(&ev)); pending_confirm.set(None); saved.set(false); } />
                                        </div>
                                        <button type="submit" class=BUTTON_PRIMARY data-testid="retention-save" disabled=move || save.pending().get() || preview.pending().get()>
                                            {move || if preview.pending().get() { td_string!(locale, retention.checking) } else { td_string!(locale, retention.save) }}
                                        </button>
                                        <p class="basis-full text-xs text-zinc-500 dark:text-zinc-400">{t_string!(i18n, retention.days_hint)}</p>
                                    </form>
                                }.into_any()
                            } else {
                                view! { <p class="text-xs text-zinc-500 dark:text-zinc-400" data-testid="retention-not-allowed">{t_string!(i18n, retention.not_allowed)}</p> }.into_any()
                            }}
                            <div class="max-w-lg">
                                <ErrorAlert error=Signal::derive(move || local_error.get()) />
                                <ErrorAlert error=action_error(preview) />
                                <ErrorAlert error=action_error(save) />
                                <ErrorAlert error=action_error(run_now) />
                            </div>
                            {move || saved.get().then(|| view! { <p role="status" class="text-sm text-emerald-700 dark:text-emerald-400" data-testid="retention-saved">{t_string!(i18n, retention.saved)}</p> })}
                            {move || pending_confirm.get().map(|p| view! {
                                <ConfirmShortening preview=p on_confirm=move |p: RetentionPreview| {
                                    save.dispatch(SetRetention { project_id: project_id.get_value(), days: p.project_days.map(|d| d.to_string()), confirm: Some(true) });
                                } on_cancel=move || pending_confirm.set(None) saving=save.pending() />
                            })}
                            <LastRun run=current.last_run.clone() pending=current.pending />
                            {(can_change && expires).then(|| view! {
                                <div class="flex flex-wrap items-center gap-2">
                                    <button type="button" class=BUTTON_SECONDARY data-testid="retention-run-now"
                                        disabled=move || run_now.pending().get() || pending.get()
                                        on:click=move |_| { run_now.dispatch(RunRetentionNow { project_id: project_id.get_value() }); }>
                                        {t_string!(i18n, retention.run_now)}
                                    </button>
                                    <span class="text-xs text-zinc-500 dark:text-zinc-400">{t_string!(i18n, retention.run_now_hint)}</span>
                                </div>
                            })}
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// What the next run will delete with the shorter retention, and the two ways on.
#[component]
fn ConfirmShortening(
    preview: RetentionPreview,
    on_confirm: impl Fn(RetentionPreview) + Send + Sync + 'static,
    on_cancel: impl Fn() + Send + Sync + 'static,
    saving: Memo<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let expired = preview.expired;
    let cutoff = preview.cutoff.map(timestamp).unwrap_or_default();
    let confirmed = preview.clone();
    view! {
        <div role="alertdialog" aria-labelledby="retention-confirm-title" class="max-w-lg rounded-md border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-800 dark:bg-amber-950" data-testid="retention-confirm-panel">
            <p id="retention-confirm-title" class="font-semibold">{t_string!(i18n, retention.confirm_title)}</p>
            {if expired.is_empty() {
                view! { <p class="mt-1 text-zinc-700 dark:text-zinc-300" data-testid="retention-nothing-expired">{t_string!(i18n, retention.confirm_nothing)}</p> }.into_any()
            } else {
                view! { <p class="mt-1 text-zinc-700 dark:text-zinc-300">{td_string!(locale, retention.confirm_body, cutoff = cutoff.clone()).to_string()}</p> }.into_any()
            }}
            <Counts traces=expired.traces observations=expired.observations scores=expired.scores test_id="retention-expired" />
            <div class="mt-3 flex flex-wrap gap-2">
                <button type="button" class=BUTTON_DANGER data-testid="retention-confirm" disabled=move || saving.get()
                    on:click=move |_| on_confirm(confirmed.clone())>{t_string!(i18n, retention.confirm)}</button>
                <button type="button" class=BUTTON_SECONDARY data-testid="retention-cancel" on:click=move |_| on_cancel()>{t_string!(i18n, retention.cancel)}</button>
            </div>
        </div>
    }
}

/// Deleted or expiring counts as a small definition list (wraps on a phone).
#[component]
fn Counts(traces: i64, observations: i64, scores: i64, #[prop(optional)] extra: Vec<(&'static str, i64, &'static str)>, test_id: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let mut items = vec![
        (td_string!(locale, retention.traces), traces, "traces"),
        (td_string!(locale, retention.observations), observations, "observations"),
        (td_string!(locale, retention.scores), scores, "scores"),
    ];
    items.extend(extra);
    view! {
        <dl class="mt-2 flex flex-wrap gap-x-6 gap-y-1" data-testid=test_id>
            {items.into_iter().map(|(label, n, key)| view! {
                <div class="flex items-baseline gap-1.5">
                    <dt class="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
                    <dd class="font-mono text-sm tabular-nums" data-testid=format!("{test_id}-{key}") data-count=n.to_string()>{count(n)}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
}

#[component]
fn LastRun(run: Option<RetentionRun>, pending: bool) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let now = chrono::Utc::now();
    view! {
        <div class="rounded-md border border-zinc-200 px-3 py-3 dark:border-zinc-800" data-testid="retention-last-run">
            <h3 class="text-xs font-semibold uppercase tracking-wide text-zinc-600 dark:text-zinc-300">{t_string!(i18n, retention.last_run)}</h3>
            {match run {
                None => view! { <p class="mt-1 text-sm text-zinc-500 dark:text-zinc-400" data-testid="retention-no-run">{t_string!(i18n, retention.no_run)}</p> }.into_any(),
                Some(run) => {
                    let trigger = match run.trigger {
                        RetentionTrigger::Schedule => td_string!(locale, retention.trigger_schedule),
                        RetentionTrigger::Manual => td_string!(locale, retention.trigger_manual),
                    };
                    let state = match run.finished_at {
                        Some(at) => td_string!(locale, retention.run_finished, when = relative_time_in(locale, at, now), cutoff = timestamp(run.cutoff)).to_string(),
                        None => td_string!(locale, retention.run_running, when = relative_time_in(locale, run.started_at, now)).to_string(),
                    };
                    let finished = run.finished_at.is_some();
                    view! {
                        <p class="mt-1 text-sm" data-testid="retention-run-state" data-finished=finished.to_string() title=timestamp(run.started_at)>
                            <span class="mr-2 rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">{trigger}</span>
                            {state}
                        </p>
                        <Counts traces=run.traces_deleted observations=run.observations_deleted scores=run.scores_deleted
                            extra=vec![(td_string!(locale, retention.sessions), run.sessions_deleted, "sessions"), (td_string!(locale, retention.media), run.media_deleted, "media")]
                            test_id="retention-deleted" />
                        {run.error.clone().map(|error| view! {
                            <p class="mt-2 break-words text-xs text-red-700 dark:text-red-400" data-testid="retention-run-error">
                                {t_string!(i18n, retention.run_error)}" "<span translate="no">{error}</span>
                            </p>
                        })}
                    }.into_any()
                }
            }}
            {pending.then(|| view! { <p class="mt-2 text-xs text-indigo-700 dark:text-indigo-300" data-testid="retention-pending">{t_string!(i18n, retention.pending)}</p> })}
        </div>
    }
}

/// Looks again every [`POLL_MS`] while `pending` says so (browser only).
fn poll_while(pending: Signal<bool>, refetch: impl Fn() + Clone + Send + Sync + 'static) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if pending.get() {
            let refetch = refetch.clone();
            if let Ok(handle) = set_timeout_with_handle(move || refetch(), std::time::Duration::from_millis(POLL_MS)) {
                on_cleanup(move || handle.clear());
            }
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (pending, refetch);
}
