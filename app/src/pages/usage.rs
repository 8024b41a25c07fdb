//! `/organization/{id}/usage` (#22): the organization's plan and limits, units this month against
//! the quota with the projection to the month's end, units per day, by project and by kind,
//! members and annotation queues against their limits. Any member may look; the banner
//! (`components::usage_banner`) is for Owners and Admins.

use leptos::prelude::*;

use crate::components::charts::{Bar, BarList, Point, TimeChart, TimeMarks};
use crate::components::ui::*;
use crate::domain::account::OrganizationRef;
use crate::domain::format::count;
use crate::domain::plans::{percent, BannerLevel, OrgUsage, OverQuota};
use crate::i18n::*;
use crate::server_fns::usage::get_org_usage;

/// The organization page's usage tab, for `OrganizationPage`'s `body` (`routes.rs`).
pub fn usage_tab(org: StoredValue<OrganizationRef>) -> AnyView {
    view! { <UsageTab org /> }.into_any()
}

/// The Usage tab of an organization.
#[component]
pub fn UsageTab(org: StoredValue<OrganizationRef>) -> impl IntoView {
    let org_id = org.with_value(|o| o.id.clone());
    let usage = Resource::new(|| (), move |_| get_org_usage(org_id.clone()));
    view! {
        <Transition fallback=|| view! { <Skeleton /> }>
            {move || Suspend::new(async move {
                match usage.await {
                    Ok(usage) => view! { <UsageView usage /> }.into_any(),
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Unlimited" or the number with separators.
fn limit_text(locale: Locale, limit: Option<i64>) -> String {
    match limit {
        Some(n) => count(n),
        None => td_string!(locale, usage.unlimited).to_string(),
    }
}

#[component]
fn UsageView(usage: OrgUsage) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let units = usage.units();
    let included = usage.plan.included_units;
    let level = usage.banner();
    let projected = usage.projected();
    let plan = usage.plan.clone();
    let bar_class = match level {
        BannerLevel::None => "bg-sky-700 dark:bg-sky-400",
        BannerLevel::Warning => "bg-amber-500 dark:bg-amber-400",
        BannerLevel::Reached => "bg-red-600 dark:bg-red-500",
    };
    let width = included.map(|q| percent(units, q).clamp(0, 100)).unwrap_or(0);
    let end_day = (usage.period.end - chrono::Duration::days(1)).date_naive();
    let period = td_string!(locale, usage.page.period, start = usage.period.start.date_naive().to_string(), end = end_day.to_string()).to_string();
    let retention = match plan.retention_days {
        Some(days) => td_string!(locale, usage.page.retention_days, days = count(i64::from(days))).to_string(),
        None => td_string!(locale, usage.page.forever).to_string(),
    };
    let over_quota = match plan.over_quota {
        OverQuota::Refuse => td_string!(locale, usage.page.over_quota_refuse),
        OverQuota::Warn => td_string!(locale, usage.page.over_quota_warn),
    };
    let members_used = usage.members + usage.open_invitations;
    let members_over = plan.member_limit.is_some_and(|m| members_used > i64::from(m));
    let queues_used = usage.most_queues();
    let queues_over = plan.annotation_queue_limit.is_some_and(|q| queues_used > i64::from(q));

    // The chart: a column per day of the month so far, placed on the whole month's axis.
    let days_in_period = usage.period.days().len().max(1) as f64;
    let points: Vec<Point> = usage
        .by_day
        .iter()
        .enumerate()
        .map(|(i, day)| Point {
            x: (i as f64 + 0.5) / days_in_period,
            y: day.counts.units() as f64,
            title: td_string!(locale, usage.page.day_title, day = day.day.to_string(), units = count(day.counts.units())).to_string(),
        })
        .collect();
    let x_labels: Vec<(f64, String)> = [0usize, 7, 14, 21, 28]
        .into_iter()
        .filter(|d| (*d as f64) < days_in_period)
        .map(|d| ((d as f64 + 0.5) / days_in_period, (d + 1).to_string()))
        .collect();
    let kinds = vec![
        Bar { label: td_string!(locale, usage.page.traces).to_string(), value: usage.total.traces as f64, title: count(usage.total.traces) },
        Bar { label: td_string!(locale, usage.page.observations).to_string(), value: usage.total.observations as f64, title: count(usage.total.observations) },
        Bar { label: td_string!(locale, usage.page.scores).to_string(), value: usage.total.scores as f64, title: count(usage.total.scores) },
    ];
    let projects = usage.by_project.clone();
    let queue_limit = plan.annotation_queue_limit;

    view! {
        <div class="space-y-6" data-testid="usage-page" data-units=units.to_string()>
            <section class=format!("{CARD} px-4 py-4")>
                <div class="flex flex-wrap items-baseline justify-between gap-2">
                    <h2 class="text-sm font-semibold">
                        {t_string!(i18n, usage.page.plan)}": "
                        <span data-testid="usage-plan-name">{plan.name.clone()}</span>
                        {usage.plan_is_default.then(|| view! { <span class="ml-2 text-xs font-normal text-zinc-500 dark:text-zinc-400">{t_string!(i18n, usage.page.default_plan)}</span> })}
                    </h2>
                    <p class="text-xs text-zinc-500 dark:text-zinc-400">{period}</p>
                </div>
                <p class="mt-4 text-sm text-zinc-600 dark:text-zinc-300">{t_string!(i18n, usage.page.units)}</p>
                <p class="mt-1 flex flex-wrap items-baseline gap-x-2">
                    <span class="text-2xl font-semibold tabular-nums" data-testid="usage-units">{count(units)}</span>
                    <span class="text-sm text-zinc-500 dark:text-zinc-400">
                        {match included {
                            Some(q) => td_string!(locale, usage.page.of_included, limit = count(q), percent = percent(units, q).to_string()).to_string(),
                            None => td_string!(locale, usage.page.no_quota).to_string(),
                        }}
                    </span>
                </p>
                {included.map(|q| view! {
                    <div class="mt-2 h-2 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="progressbar"
                        aria-valuemin="0" aria-valuemax=q.to_string() aria-valuenow=units.to_string() aria-label=td_string!(locale, usage.page.units).to_string()>
                        <div class=format!("h-full {bar_class}") style=format!("width: {width}%")></div>
                    </div>
                })}
                {included.filter(|q| units > *q).map(|q| view! {
                    <p class="mt-2 text-sm font-medium text-red-700 dark:text-red-400" data-testid="usage-over">
                        {td_string!(locale, usage.page.over, units = count(units - q)).to_string()}
                    </p>
                })}
                <p class="mt-2 text-sm text-zinc-600 dark:text-zinc-300" data-testid="usage-projection">
                    {td_string!(locale, usage.page.projected, date = end_day.to_string(), units = count(projected)).to_string()}
                    {included.filter(|q| projected > *q).map(|_| view! { <span class="ml-1 text-amber-700 dark:text-amber-400">{t_string!(i18n, usage.page.projected_over)}</span> })}
                </p>
                <p class=HINT>{t_string!(i18n, usage.page.what_is_a_unit)}</p>
            </section>

            <section class=format!("{CARD} px-4 py-4")>
                <h2 class="text-sm font-semibold">{t_string!(i18n, usage.page.daily)}</h2>
                <div class="mt-3 max-w-xl">
                    <TimeChart points marks=TimeMarks::Columns x_labels label=td_string!(locale, usage.page.daily).to_string() test_id="usage-daily-chart" />
                </div>
            </section>

            <div class="grid gap-6 md:grid-cols-2">
                <section class=format!("{CARD} px-4 py-4")>
                    <h2 class="text-sm font-semibold">{t_string!(i18n, usage.page.by_kind)}</h2>
                    <div class="mt-3"><BarList bars=kinds label=td_string!(locale, usage.page.by_kind).to_string() test_id="usage-by-kind" /></div>
                </section>
                <section class=format!("{CARD} px-4 py-4")>
                    <h2 class="text-sm font-semibold">{t_string!(i18n, usage.page.limits)}</h2>
                    <dl class="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                        <dt class="text-zinc-500 dark:text-zinc-400">{t_string!(i18n, usage.page.members)}</dt>
                        <dd data-testid="usage-members" class=if members_over { "font-medium text-red-700 dark:text-red-400" } else { "" }>
                            {td_string!(locale, usage.page.used_of, used = count(members_used), limit = limit_text(locale, plan.member_limit.map(i64::from))).to_string()}
                            {(usage.open_invitations > 0).then(|| view! {
                                <span class="block text-xs text-zinc-500 dark:text-zinc-400">
                                    {td_string!(locale, usage.page.invitations, n = count(usage.open_invitations)).to_string()}
                                </span>
                            })}
                        </dd>
                        <dt class="text-zinc-500 dark:text-zinc-400">{t_string!(i18n, usage.page.queues)}</dt>
                        <dd data-testid="usage-queues" class=if queues_over { "font-medium text-red-700 dark:text-red-400" } else { "" }>
                            {td_string!(locale, usage.page.used_of, used = count(queues_used), limit = limit_text(locale, queue_limit.map(i64::from))).to_string()}
                            <span class="block text-xs text-zinc-500 dark:text-zinc-400">{t_string!(i18n, usage.page.queues_hint)}</span>
                        </dd>
                        <dt class="text-zinc-500 dark:text-zinc-400">{t_string!(i18n, usage.page.retention)}</dt>
                        <dd>{retention}</dd>
                        <dt class="text-zinc-500 dark:text-zinc-400">{t_string!(i18n, usage.page.past_quota)}</dt>
                        <dd>{over_quota}</dd>
                    </dl>
                </section>
            </div>

            <section class=CARD>
                <h2 class="border-b border-zinc-200 px-4 py-3 text-sm font-semibold dark:border-zinc-800">{t_string!(i18n, usage.page.by_project)}</h2>
                <div class="overflow-x-auto">
                    <table class=TABLE data-testid="usage-by-project">
                        <TableHead columns={ let l = locale; [
                            td_string!(l, usage.page.project),
                            td_string!(l, usage.page.traces),
                            td_string!(l, usage.page.observations),
                            td_string!(l, usage.page.scores),
                            td_string!(l, usage.page.units_column),
                            td_string!(l, usage.page.queues),
                        ] } />
                        <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                            {projects.into_iter().map(|p| {
                                let name = match &p.name {
                                    Some(name) => view! { <a class="font-medium hover:underline" translate="no" href=format!("/project/{}", p.project_id)>{name.clone()}</a> }.into_any(),
                                    None => view! { <span class="italic text-zinc-500 dark:text-zinc-400">{t_string!(i18n, usage.page.deleted_project)}</span> }.into_any(),
                                };
                                let queues_over = queue_limit.is_some_and(|q| p.queues > i64::from(q));
                                view! {
                                    <tr data-testid="usage-project-row" data-project=p.project_id.clone()>
                                        <td class=TD>{name}</td>
                                        <td class=format!("{TD} tabular-nums")>{count(p.counts.traces)}</td>
                                        <td class=format!("{TD} tabular-nums")>{count(p.counts.observations)}</td>
                                        <td class=format!("{TD} tabular-nums")>{count(p.counts.scores)}</td>
                                        <td class=format!("{TD} font-medium tabular-nums")>{count(p.counts.units())}</td>
                                        <td class=format!("{TD} tabular-nums {}", if queues_over { "text-red-700 dark:text-red-400" } else { "" })>
                                            {td_string!(locale, usage.page.used_of, used = count(p.queues), limit = limit_text(locale, queue_limit.map(i64::from))).to_string()}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        </div>
    }
}
