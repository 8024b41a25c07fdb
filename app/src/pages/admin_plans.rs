//! `/admin/plans` (#22), for instance administrators: the plans (create, edit — checked as typed,
//! each problem under its field —, make default, delete an unused one) and every organization
//! with its plan and this month's usage beside it, its plan changed in place. Lowering a plan
//! below an organization's usage is allowed and shown as "over".
//!
//! Every plan change (an assignment, an edit, another default) is previewed first
//! (`preview_plan_change`): one that shortens some project's retention says what the next
//! retention run deletes and waits for Confirm/Cancel (the server refuses it unconfirmed); one
//! that only puts organizations above a limit is applied and says so ("nobody is removed").

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::session::use_session;
use crate::components::ui::*;
use crate::domain::format::count;
use crate::error::AppError;
use crate::domain::plans::{OrgOverLimit, OverQuota, Plan, PlanChange, PlanChangeImpact, PlanField, PlanInput, PlanProblem, PlanRule, PlansOverview};
use crate::i18n::*;
use crate::server_fns::plans::{list_plans, AssignPlan, DeletePlan, PreviewPlanChange, SavePlan, SetDefaultPlan};

/// A plan problem in `locale` (the form's and the server's wording).
pub fn plan_problem(locale: Locale, problem: &PlanProblem) -> String {
    match &problem.rule {
        PlanRule::IdEmpty | PlanRule::NameEmpty => td_string!(locale, usage.problem.required).to_string(),
        PlanRule::IdFormat => td_string!(locale, usage.problem.id_format).to_string(),
        PlanRule::NameTooLong => td_string!(locale, usage.problem.name_too_long, max = crate::domain::plans::MAX_NAME).to_string(),
        PlanRule::NameCharacter => td_string!(locale, usage.problem.name_character).to_string(),
        PlanRule::NotANumber => td_string!(locale, usage.problem.not_a_number).to_string(),
        PlanRule::Negative => td_string!(locale, usage.problem.negative).to_string(),
        PlanRule::TooLarge(max) => td_string!(locale, usage.problem.too_large, max = count(*max)).to_string(),
        PlanRule::RetentionZero => td_string!(locale, usage.problem.retention_zero).to_string(),
        PlanRule::MemberLimitZero => td_string!(locale, usage.problem.member_limit_zero).to_string(),
        PlanRule::OverQuotaUnknown => td_string!(locale, usage.problem.over_quota).to_string(),
    }
}

/// What a change deletes at the next retention run, as one sentence (the confirmation's and the
/// server's refusal's words); `None` when it deletes nothing.
pub fn deletion_sentence(locale: Locale, change: &PlanChange, impact: &PlanChangeImpact) -> Option<String> {
    if !impact.needs_confirmation() {
        return None;
    }
    let assigning = matches!(change, PlanChange::Assign { .. });
    let names: Vec<String> = impact
        .expiring
        .iter()
        .map(|p| if assigning { p.project_name.clone() } else { format!("{} / {}", p.org_name, p.project_name) })
        .collect();
    let hidden = impact.projects - names.len() as i64;
    let list = names.join(", ");
    let projects = if hidden > 0 { td_string!(locale, usage.admin.change_more_projects, list = list, n = count(hidden)).to_string() } else { list };
    let e = impact.expired;
    let (plan, days) = (impact.plan_name.clone(), impact.days.unwrap_or_default());
    let (traces, observations, scores) = (count(e.traces), count(e.observations), count(e.scores));
    Some(match change {
        PlanChange::Assign { .. } => {
            let org = impact.org_name.clone().unwrap_or_default();
            td_string!(locale, usage.admin.change_assign_deletes, plan, org, traces, observations, scores, days, projects).to_string()
        }
        PlanChange::Edit { .. } => td_string!(locale, usage.admin.change_edit_deletes, plan, traces, observations, scores, days, projects).to_string(),
        PlanChange::Default { .. } => td_string!(locale, usage.admin.change_default_deletes, plan, traces, observations, scores, days, projects).to_string(),
    })
}

/// The server's refusal of an unconfirmed change that deletes data.
pub fn confirm_refusal(locale: Locale, change: &PlanChange, impact: &PlanChangeImpact) -> String {
    let sentence = deletion_sentence(locale, change, impact).unwrap_or_default();
    format!("{sentence} {}", td_string!(locale, usage.admin.change_confirm_to_apply))
}

/// One line per limit an organization's current usage is above (allowed: nothing is removed).
pub fn over_lines(locale: Locale, over: &OrgOverLimit, refuses: bool) -> Vec<String> {
    let org = over.org_name.clone();
    let mut lines = Vec::new();
    if let Some(limit) = over.included_units {
        let (used, limit) = (count(over.units), count(limit));
        lines.push(if refuses {
            td_string!(locale, usage.admin.change_over_units_refuse, org = org.clone(), used, limit).to_string()
        } else {
            td_string!(locale, usage.admin.change_over_units_warn, org = org.clone(), used, limit).to_string()
        });
    }
    if let Some(limit) = over.member_limit {
        lines.push(td_string!(locale, usage.admin.change_over_members, org = org.clone(), used = count(over.members), limit = count(i64::from(limit))).to_string());
    }
    if let Some(limit) = over.queue_limit {
        lines.push(td_string!(locale, usage.admin.change_over_queues, org = org.clone(), used = count(over.queues), limit = count(i64::from(limit))).to_string());
    }
    lines
}

fn limit_text(locale: Locale, limit: Option<i64>) -> String {
    limit.map(count).unwrap_or_else(|| td_string!(locale, usage.unlimited).to_string())
}

fn over_quota_text(locale: Locale, over: OverQuota) -> &'static str {
    match over {
        OverQuota::Refuse => td_string!(locale, usage.admin.refuse),
        OverQuota::Warn => td_string!(locale, usage.admin.warn),
    }
}

#[component]
pub fn AdminPlansPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let is_admin = session.with(|info| info.is_some_and(|i| i.user.is_instance_admin));
    view! {
        <Title text=t_string!(i18n, usage.admin.title) />
        <div class="max-w-5xl px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, usage.admin.title).to_string() subtitle=t_string!(i18n, usage.admin.intro).to_string() />
            {if is_admin {
                view! { <Plans /> }.into_any()
            } else {
                view! { <p class="mt-6 text-sm text-zinc-600 dark:text-zinc-300" data-testid="plans-admins-only">{t_string!(i18n, usage.admin.only_admins)}</p> }.into_any()
            }}
        </div>
    }
}

#[component]
fn Plans() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SavePlan>::new();
    let make_default = ServerAction::<SetDefaultPlan>::new();
    let delete = ServerAction::<DeletePlan>::new();
    let assign = ServerAction::<AssignPlan>::new();
    let preview = ServerAction::<PreviewPlanChange>::new();
    let overview = Resource::new(
        move || (save.version().get(), make_default.version().get(), delete.version().get(), assign.version().get()),
        |_| list_plans(),
    );
    // The change being previewed, then waiting for a confirmation (it deletes data), and the
    // impact of the last change applied without one (shown when it put someone over a limit).
    let requested: RwSignal<Option<PlanChange>> = RwSignal::new(None);
    let awaiting: RwSignal<Option<(PlanChange, PlanChangeImpact)>> = RwSignal::new(None);
    let applied: RwSignal<Option<PlanChangeImpact>> = RwSignal::new(None);
    // The change last sent with a confirmation: refused again (the counts grew since the
    // preview), it is previewed again, so the panel shows the new numbers.
    let confirming: RwSignal<Option<PlanChange>> = RwSignal::new(None);
    // `confirm`: the counts the administrator confirmed (the server re-counts and compares).
    let apply = move |change: PlanChange, confirm: Option<crate::domain::retention::ExpiredCounts>| {
        confirming.set(confirm.map(|_| change.clone()));
        match change {
            PlanChange::Assign { org_id, plan_id } => {
                assign.dispatch(AssignPlan { org_id, plan_id: plan_id.unwrap_or_default(), confirm });
            }
            PlanChange::Edit { plan } => {
                save.dispatch(SavePlan { plan, create: false, confirm });
            }
            PlanChange::Default { plan_id } => {
                make_default.dispatch(SetDefaultPlan { plan_id, confirm });
            }
        }
    };
    let request = Callback::new(move |change: PlanChange| {
        awaiting.set(None);
        applied.set(None);
        requested.set(Some(change.clone()));
        preview.dispatch(PreviewPlanChange { change });
    });
    Effect::new(move |_| {
        let Some(Ok(impact)) = preview.value().get() else { return };
        let Some(change) = requested.get_untracked() else { return };
        requested.set(None);
        if impact.needs_confirmation() {
            awaiting.set(Some((change, impact)));
        } else {
            if !impact.over.is_empty() {
                applied.set(Some(impact));
            }
            apply(change, None);
        }
    });
    Effect::new(move |_| {
        let refused = |result: Option<Result<(), AppError>>| matches!(result, Some(Err(AppError::Invalid { ref field, .. })) if field == "confirm");
        let again = refused(assign.value().get().map(|r| r.map(|_| ())))
            || refused(save.value().get().map(|r| r.map(|_| ())))
            || refused(make_default.value().get().map(|r| r.map(|_| ())));
        if again {
            if let Some(change) = confirming.get_untracked() {
                confirming.set(None);
                request.run(change);
            }
        }
    });
    // A cancelled assignment: the organization's select shows its plan again.
    let cancel = move || {
        let reset = matches!(awaiting.get_untracked(), Some((PlanChange::Assign { .. }, _)));
        awaiting.set(None);
        if reset {
            overview.refetch();
        }
    };
    // The form: `None` closed, `Some(None)` a new plan, `Some(Some(id))` editing that plan.
    let editing: RwSignal<Option<Option<String>>> = RwSignal::new(None);
    let form = RwSignal::new(PlanInput::default());
    // Close the form once the server saved it.
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            editing.set(None);
        }
    });
    let first_error = Signal::derive(move || {
        action_error(make_default)
            .get()
            .or_else(|| action_error(delete).get())
            .or_else(|| action_error(assign).get())
            .or_else(|| action_error(preview).get())
    });
    view! {
        <ErrorAlert error=first_error />
        {move || preview.pending().get().then(|| view! {
            <p role="status" class="mt-4 text-sm text-zinc-600 dark:text-zinc-300" data-testid="plan-change-checking">{t_string!(i18n, usage.admin.change_checking)}</p>
        })}
        {move || awaiting.get().map(|(change, impact)| {
            let confirmed = change.clone();
            let counts = impact.expired;
            view! {
                <ConfirmPlanChange change impact
                    on_confirm=Callback::new(move |_| {
                        awaiting.set(None);
                        apply(confirmed.clone(), Some(counts));
                    })
                    on_cancel=Callback::new(move |_| cancel()) />
            }
        })}
        {move || applied.get().filter(|_| first_error.get().is_none()).map(|impact| view! { <OverLimits impact applied=true /> })}
        <section class=format!("{CARD} mt-6")>
            <div class="flex items-center justify-between gap-2 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <h2 class="text-sm font-semibold">{t_string!(i18n, usage.admin.plans_heading)}</h2>
                <button type="button" class=BUTTON_SECONDARY data-testid="new-plan" on:click=move |_| {
                    form.set(PlanInput { over_quota: "warn".into(), ..PlanInput::default() });
                    save.value().set(None);
                    editing.set(Some(None));
                }>{t_string!(i18n, usage.admin.new_plan)}</button>
            </div>
            <Show when=move || editing.get().is_some()>
                <PlanForm form editing save request />
            </Show>
            <Transition fallback=|| view! { <Skeleton /> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <PlansTable overview form editing save delete request /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="border-b border-zinc-200 px-4 py-3 text-sm font-semibold dark:border-zinc-800">{t_string!(i18n, usage.admin.orgs_heading)}</h2>
            <Transition fallback=|| view! { <Skeleton /> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <OrganizationsTable overview request /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PlansTable(
    overview: PlansOverview,
    form: RwSignal<PlanInput>,
    editing: RwSignal<Option<Option<String>>>,
    save: ServerAction<SavePlan>,
    delete: ServerAction<DeletePlan>,
    request: Callback<PlanChange>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <div class="overflow-x-auto">
            <table class=TABLE data-testid="plans-table">
                <TableHead columns={ let l = locale; [
                    td_string!(l, usage.admin.plan),
                    td_string!(l, usage.admin.col_units),
                    td_string!(l, usage.admin.col_retention),
                    td_string!(l, usage.admin.col_members),
                    td_string!(l, usage.admin.col_queues),
                    td_string!(l, usage.admin.col_over_quota),
                    "",
                ] } />
                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                    {overview.plans.into_iter().map(|plan| {
                        let Plan { id, name, included_units, retention_days, member_limit, annotation_queue_limit, over_quota, is_default, .. } = plan.clone();
                        let (edit_id, default_id, delete_id) = (id.clone(), id.clone(), id.clone());
                        let edited = plan.clone();
                        view! {
                            <tr data-testid="plan-row" data-plan=id.clone()>
                                <td class=TD>
                                    <p class="whitespace-nowrap font-medium" translate="no">{name}</p>
                                    <p class="whitespace-nowrap font-mono text-xs text-zinc-500 dark:text-zinc-400">{id.clone()}</p>
                                    {is_default.then(|| view! {
                                        <span class="mt-1 inline-block rounded bg-indigo-100 px-1.5 py-0.5 text-xs font-medium text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200" data-testid="plan-default">
                                            {t_string!(i18n, usage.admin.default_badge)}
                                        </span>
                                    })}
                                </td>
                                <td class=format!("{TD} tabular-nums")>{limit_text(locale, included_units)}</td>
                                <td class=format!("{TD} whitespace-nowrap tabular-nums")>{match retention_days {
                                    Some(days) => td_string!(locale, usage.page.retention_days, days = count(i64::from(days))).to_string(),
                                    None => td_string!(locale, usage.page.forever).to_string(),
                                }}</td>
                                <td class=format!("{TD} tabular-nums")>{limit_text(locale, member_limit.map(i64::from))}</td>
                                <td class=format!("{TD} tabular-nums")>{limit_text(locale, annotation_queue_limit.map(i64::from))}</td>
                                <td class=format!("{TD} whitespace-nowrap")>{over_quota_text(locale, over_quota)}</td>
                                <td class=format!("{TD} whitespace-nowrap text-right")>
                                    <div class="flex flex-col items-end gap-1">
                                        <button type="button" class=BUTTON_LINK data-testid="edit-plan" on:click=move |_| {
                                            form.set(edited.to_input());
                                            save.value().set(None);
                                            editing.set(Some(Some(edit_id.clone())));
                                        }>{t_string!(i18n, usage.admin.edit)}</button>
                                        {(!is_default).then(|| view! {
                                            <button type="button" class=BUTTON_LINK data-testid="make-default"
                                                on:click=move |_| request.run(PlanChange::Default { plan_id: default_id.clone() })>
                                                {t_string!(i18n, usage.admin.make_default)}
                                            </button>
                                            <button type="button" class="text-sm font-medium text-red-700 hover:underline dark:text-red-400" data-testid="delete-plan"
                                                on:click=move |_| { delete.dispatch(DeletePlan { plan_id: delete_id.clone() }); }>
                                                {t_string!(i18n, usage.admin.delete)}
                                            </button>
                                        })}
                                    </div>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One field of the plan form with its problems (shown once touched, or after a submit).
#[component]
fn Field(
    field: PlanField,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    value: Signal<String>,
    set: Callback<String>,
    problems: Signal<Vec<PlanProblem>>,
    shown: Signal<bool>,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let id = format!("plan-{}", field.as_str());
    let error_id = format!("{id}-error");
    let message = Memo::new(move |_| {
        if !shown.get() {
            return None;
        }
        problems.with(|all| all.iter().find(|p| p.field == field).map(|p| plan_problem(locale, p)))
    });
    view! {
        <div>
            <label class=LABEL for=id.clone()>{label}</label>
            <input id=id type="text" class=format!("{INPUT} mt-1") disabled=disabled data-testid=format!("plan-field-{}", field.as_str())
                aria-invalid=move || message.get().is_some().to_string() aria-describedby=error_id.clone()
                prop:value=move || value.get() on:input=move |ev| set.run(event_target_value(&ev)) />
            {hint.map(|h| view! { <p class=HINT>{h}</p> })}
            <p id=error_id class="mt-1 text-xs text-red-700 dark:text-red-400" data-testid=format!("plan-problem-{}", field.as_str())>
                {move || message.get()}
            </p>
        </div>
    }
}

#[component]
fn PlanForm(form: RwSignal<PlanInput>, editing: RwSignal<Option<Option<String>>>, save: ServerAction<SavePlan>, request: Callback<PlanChange>) -> impl IntoView {
    let i18n = use_i18n();
    let creating = move || matches!(editing.get(), Some(None));
    let problems = Signal::derive(move || form.with(|f| f.checked().err().unwrap_or_default()));
    let touched: RwSignal<HashSet<PlanField>> = RwSignal::new(HashSet::new());
    let tried = RwSignal::new(false);
    let shown = move |field: PlanField| Signal::derive(move || tried.get() || touched.with(|t| t.contains(&field)));
    let text = move |field: PlanField| {
        Signal::derive(move || {
            form.with(|f| match field {
                PlanField::Id => f.id.clone(),
                PlanField::Name => f.name.clone(),
                PlanField::IncludedUnits => f.included_units.clone(),
                PlanField::RetentionDays => f.retention_days.clone(),
                PlanField::MemberLimit => f.member_limit.clone(),
                PlanField::AnnotationQueueLimit => f.annotation_queue_limit.clone(),
                PlanField::OverQuota => f.over_quota.clone(),
                PlanField::Position => f.position.clone(),
            })
        })
    };
    let setter = move |field: PlanField| {
        Callback::new(move |value: String| {
            touched.update(|t| {
                t.insert(field);
            });
            form.update(|f| match field {
                PlanField::Id => f.id = value,
                PlanField::Name => f.name = value,
                PlanField::IncludedUnits => f.included_units = value,
                PlanField::RetentionDays => f.retention_days = value,
                PlanField::MemberLimit => f.member_limit = value,
                PlanField::AnnotationQueueLimit => f.annotation_queue_limit = value,
                PlanField::OverQuota => f.over_quota = value,
                PlanField::Position => f.position = value,
            })
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if problems.with(|p| p.is_empty()) {
            if creating() {
                save.dispatch(SavePlan { plan: form.get(), create: true, confirm: None });
            } else {
                // An edit may shorten its organizations' retention: previewed first.
                request.run(PlanChange::Edit { plan: form.get() });
            }
        }
    };
    let server_error = action_error(save);
    let empty = t_string!(i18n, usage.admin.empty_unlimited);
    view! {
        <form class="grid gap-3 border-b border-zinc-200 px-4 py-4 sm:grid-cols-2 lg:grid-cols-4 dark:border-zinc-800" on:submit=on_submit data-testid="plan-form" novalidate>
            <h3 class="text-sm font-semibold sm:col-span-2 lg:col-span-4">
                {move || if creating() { t_string!(i18n, usage.admin.new_plan) } else { t_string!(i18n, usage.admin.edit_plan) }}
            </h3>
            <Field field=PlanField::Id label=t_string!(i18n, usage.admin.id) hint=t_string!(i18n, usage.admin.id_hint) value=text(PlanField::Id) set=setter(PlanField::Id)
                problems shown=shown(PlanField::Id) disabled=!creating() />
            <Field field=PlanField::Name label=t_string!(i18n, usage.admin.name) value=text(PlanField::Name) set=setter(PlanField::Name) problems shown=shown(PlanField::Name) />
            <Field field=PlanField::IncludedUnits label=t_string!(i18n, usage.admin.included_units) hint=t_string!(i18n, usage.admin.units_hint)
                value=text(PlanField::IncludedUnits) set=setter(PlanField::IncludedUnits) problems shown=shown(PlanField::IncludedUnits) />
            <Field field=PlanField::RetentionDays label=t_string!(i18n, usage.admin.retention_days) hint=empty
                value=text(PlanField::RetentionDays) set=setter(PlanField::RetentionDays) problems shown=shown(PlanField::RetentionDays) />
            <Field field=PlanField::MemberLimit label=t_string!(i18n, usage.admin.member_limit) hint=empty
                value=text(PlanField::MemberLimit) set=setter(PlanField::MemberLimit) problems shown=shown(PlanField::MemberLimit) />
            <Field field=PlanField::AnnotationQueueLimit label=t_string!(i18n, usage.admin.queue_limit) hint=t_string!(i18n, usage.admin.queue_hint)
                value=text(PlanField::AnnotationQueueLimit) set=setter(PlanField::AnnotationQueueLimit) problems shown=shown(PlanField::AnnotationQueueLimit) />
            <div>
                <label class=LABEL for="plan-over_quota">{t_string!(i18n, usage.admin.over_quota)}</label>
                <select id="plan-over_quota" class=format!("{SELECT} mt-1 w-full") data-testid="plan-field-over_quota"
                    on:change=move |ev| setter(PlanField::OverQuota).run(event_target_value(&ev))>
                    {OverQuota::ALL.into_iter().map(|o| {
                        let value = o.as_str();
                        view! { <option value=value selected=move || form.with(|f| f.over_quota == value)>{over_quota_text(i18n.get_locale_untracked(), o)}</option> }
                    }).collect_view()}
                </select>
            </div>
            <Field field=PlanField::Position label=t_string!(i18n, usage.admin.position) value=text(PlanField::Position) set=setter(PlanField::Position)
                problems shown=shown(PlanField::Position) />
            <div class="flex flex-wrap items-center gap-3 sm:col-span-2 lg:col-span-4">
                <button type="submit" class=BUTTON_PRIMARY data-testid="save-plan" disabled=move || save.pending().get()>
                    {move || if creating() { t_string!(i18n, usage.admin.create) } else { t_string!(i18n, usage.admin.save) }}
                </button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| editing.set(None)>{t_string!(i18n, usage.admin.cancel)}</button>
            </div>
            <div class="sm:col-span-2 lg:col-span-4"><ErrorAlert error=server_error /></div>
        </form>
    }
}

#[component]
fn OrganizationsTable(overview: PlansOverview, request: Callback<PlanChange>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let default_plan = overview.plans.iter().find(|p| p.is_default).map(|p| p.name.clone()).unwrap_or_default();
    let plans = StoredValue::new(overview.plans.clone());
    if overview.organizations.is_empty() {
        return view! { <p class="px-4 py-4 text-sm text-zinc-500 dark:text-zinc-400">{t_string!(i18n, usage.admin.no_orgs)}</p> }.into_any();
    }
    view! {
        <div class="overflow-x-auto">
            <table class=TABLE data-testid="plan-orgs-table">
                <TableHead columns={ let l = locale; [
                    td_string!(l, usage.admin.organization),
                    td_string!(l, usage.admin.plan),
                    td_string!(l, usage.admin.units_month),
                    td_string!(l, usage.admin.members),
                    td_string!(l, usage.admin.queues_col),
                ] } />
                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                    {overview.organizations.iter().map(|row| {
                        let plan = overview.plan(&row.plan_id).cloned();
                        let included = plan.as_ref().and_then(|p| p.included_units);
                        let member_limit = plan.as_ref().and_then(|p| p.member_limit).map(i64::from);
                        let units_over = included.is_some_and(|q| row.units > q);
                        let members_over = member_limit.is_some_and(|m| row.members > m);
                        let queue_limit = plan.as_ref().and_then(|p| p.annotation_queue_limit).map(i64::from);
                        let queues_over = queue_limit.is_some_and(|q| row.queues > q);
                        let org_id = row.org_id.clone();
                        let assigned = row.assigned.clone().unwrap_or_default();
                        let default_label = td_string!(locale, usage.admin.default_option, plan = default_plan.clone()).to_string();
                        let select_label = td_string!(locale, usage.admin.plan_of, org = row.org_name.clone()).to_string();
                        view! {
                            <tr data-testid="plan-org-row" data-org=row.org_id.clone()>
                                <td class=TD><a class="font-medium hover:underline" translate="no" href=format!("/organization/{}/usage", row.org_id)>{row.org_name.clone()}</a></td>
                                <td class=TD>
                                    <select class=SELECT aria-label=select_label data-testid="assign-plan"
                                        on:change=move |ev| {
                                            let plan_id = Some(event_target_value(&ev)).filter(|p| !p.is_empty());
                                            request.run(PlanChange::Assign { org_id: org_id.clone(), plan_id });
                                        }>
                                        <option value="" selected=assigned.is_empty()>{default_label}</option>
                                        {plans.with_value(|plans| plans.iter().map(|p| {
                                            let selected = p.id == assigned;
                                            view! { <option value=p.id.clone() selected=selected translate="no">{p.name.clone()}</option> }
                                        }).collect_view())}
                                    </select>
                                </td>
                                <td class=format!("{TD} whitespace-nowrap tabular-nums") data-testid="plan-org-units">
                                    {td_string!(locale, usage.page.used_of, used = count(row.units), limit = limit_text(locale, included)).to_string()}
                                    {units_over.then(|| view! { <span class="ml-2 rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-800 dark:bg-red-950 dark:text-red-200" data-testid="plan-org-over">{t_string!(i18n, usage.admin.over)}</span> })}
                                </td>
                                <td class=format!("{TD} whitespace-nowrap tabular-nums")>
                                    {td_string!(locale, usage.page.used_of, used = count(row.members), limit = limit_text(locale, member_limit)).to_string()}
                                    {members_over.then(|| view! { <span class="ml-2 rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-800 dark:bg-red-950 dark:text-red-200">{t_string!(i18n, usage.admin.over)}</span> })}
                                </td>
                                <td class=format!("{TD} whitespace-nowrap tabular-nums") data-testid="plan-org-queues">
                                    {td_string!(locale, usage.page.used_of, used = count(row.queues), limit = limit_text(locale, queue_limit)).to_string()}
                                    {queues_over.then(|| view! { <span class="ml-2 rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-800 dark:bg-red-950 dark:text-red-200">{t_string!(i18n, usage.admin.over)}</span> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

/// A plan change that deletes data at the next retention run: what, where, and the two ways on.
#[component]
fn ConfirmPlanChange(change: PlanChange, impact: PlanChangeImpact, on_confirm: Callback<()>, on_cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let sentence = deletion_sentence(locale, &change, &impact).unwrap_or_default();
    let days = |d: Option<i32>| d.map(|d| count(i64::from(d))).unwrap_or_else(|| td_string!(locale, usage.admin.change_forever).to_string());
    // The change was made further down (an organization's select): the question comes into view
    // and takes the focus.
    let panel = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(element) = panel.get() {
            element.scroll_into_view_with_bool(true);
            let _ = element.focus();
        }
    });
    view! {
        <div node_ref=panel tabindex="-1" role="alertdialog" aria-labelledby="plan-change-title" aria-describedby="plan-change-summary"
            class="mt-6 rounded-md border border-amber-300 bg-amber-50 p-4 text-sm focus:outline-none dark:border-amber-800 dark:bg-amber-950" data-testid="plan-change-confirm-panel">
            <p id="plan-change-title" class="font-semibold">{t_string!(i18n, usage.admin.change_confirm_title)}</p>
            <p id="plan-change-summary" class="mt-1 text-zinc-700 dark:text-zinc-300" data-testid="plan-change-summary"
                data-traces=impact.expired.traces.to_string() data-observations=impact.expired.observations.to_string() data-scores=impact.expired.scores.to_string()>
                {sentence}
            </p>
            <div class="mt-3 overflow-x-auto rounded border border-amber-200 bg-white dark:border-amber-900 dark:bg-zinc-900">
                <table class=TABLE data-testid="plan-change-projects">
                    <TableHead columns={ let l = locale; [
                        td_string!(l, usage.admin.change_col_project),
                        td_string!(l, usage.admin.change_col_retention),
                        td_string!(l, usage.admin.change_col_traces),
                        td_string!(l, usage.admin.change_col_observations),
                        td_string!(l, usage.admin.change_col_scores),
                    ] } />
                    <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                        {impact.expiring.iter().map(|p| view! {
                            <tr data-testid="plan-change-project" data-project=p.project_id.clone()>
                                <td class=TD><span translate="no">{format!("{} / {}", p.org_name, p.project_name)}</span></td>
                                <td class=format!("{TD} whitespace-nowrap tabular-nums")>
                                    {td_string!(locale, usage.admin.change_retention_from_to, from = days(p.from_days), to = count(i64::from(p.to_days))).to_string()}
                                </td>
                                <td class=format!("{TD} tabular-nums")>{count(p.expired.traces)}</td>
                                <td class=format!("{TD} tabular-nums")>{count(p.expired.observations)}</td>
                                <td class=format!("{TD} tabular-nums")>{count(p.expired.scores)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <OverLimits impact=impact.clone() applied=false />
            <div class="mt-3 flex flex-wrap gap-2">
                <button type="button" class=BUTTON_DANGER data-testid="plan-change-confirm" on:click=move |_| on_confirm.run(())>
                    {t_string!(i18n, usage.admin.change_confirm)}
                </button>
                <button type="button" class=BUTTON_SECONDARY data-testid="plan-change-cancel" on:click=move |_| on_cancel.run(())>
                    {t_string!(i18n, usage.admin.change_cancel)}
                </button>
            </div>
        </div>
    }
}

/// The organizations a change puts above a limit of their plan: allowed, nothing is removed.
/// `applied`: the change was made (a status line), else it is part of a confirmation.
#[component]
fn OverLimits(impact: PlanChangeImpact, applied: bool) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    if impact.over.is_empty() {
        return ().into_any();
    }
    let refuses = impact.over_quota == OverQuota::Refuse;
    let lines: Vec<String> = impact.over.iter().flat_map(|o| over_lines(locale, o, refuses)).collect();
    let hidden = impact.over_count - impact.over.len() as i64;
    let class = if applied {
        "mt-6 rounded-md border border-zinc-200 bg-white p-4 text-sm dark:border-zinc-800 dark:bg-zinc-900"
    } else {
        "mt-3"
    };
    view! {
        <div role=applied.then_some("status") class=class data-testid="plan-change-over">
            {applied.then(|| view! { <p class="font-semibold">{t_string!(i18n, usage.admin.change_applied)}</p> })}
            <p class="text-zinc-700 dark:text-zinc-300">{t_string!(i18n, usage.admin.change_over_heading)}</p>
            <ul class="mt-1 list-disc space-y-0.5 pl-5 text-zinc-700 dark:text-zinc-300">
                {lines.into_iter().map(|line| view! { <li data-testid="plan-change-over-line">{line}</li> }).collect_view()}
            </ul>
            {(hidden > 0).then(|| view! { <p class="mt-1 text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, usage.admin.change_over_more, n = count(hidden)).to_string()}</p> })}
        </div>
    }
    .into_any()
}
