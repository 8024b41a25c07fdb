//! The traced application's end users: who used it most recently, how much, at what cost; and
//! one user's page with their totals, sessions and latest traces.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::users::{get_user, list_users};
use crate::components::ui::*;
use crate::error::AppError;
use crate::i18n::*;
use crate::pages::project::InProject;

type UsersResource = Resource<Result<crate::domain::trace_list::TraceUserPage, AppError>>;

#[component]
pub fn UsersPage() -> impl IntoView {
    let project_id = route_param("project_id");
    let page_number = page_number();
    let search = search_query();
    let page = Resource::new(move || (project_id.get(), page_number.get(), search.get()), |(project, n, q)| list_users(project, n, q));
    // Made here, at the route's top, not in the list (built inside `InProject`'s `Suspend`).
    let (searching, set_searching) = pending_flag();
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, sessions.users.title) />
        <InProject children=move |_, project| view! { <UserList project_id=project.id.clone() page page_number searching set_searching /> } />
    }
}

#[component]
fn UserList(project_id: String, page: UsersResource, page_number: Memo<i64>, searching: Signal<bool>, set_searching: SignalSetter<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let base = StoredValue::new(format!("/project/{project_id}"));
    let search = search_query();
    let params = leptos_router::hooks::use_query_map();
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, sessions.users.title) subtitle=t_string!(i18n, sessions.users.subtitle)>
                <SearchBox label=t_string!(i18n, sessions.users.search_label) placeholder=t_string!(i18n, sessions.users.search_placeholder) test_id="users-search" busy=searching />
            </PageHeader>
            <section class=format!("{CARD} mt-4 overflow-x-auto")>
                <Transition fallback=move || view! { <Skeleton label=td_string!(locale, sessions.users.loading) /> } set_pending=set_searching>
                    {move || Suspend::new(async move {
                        let page = match page.await {
                            Ok(page) => page,
                            Err(error) => return view! { <LoadError error /> }.into_any(),
                        };
                        if page.rows.is_empty() && !search.get_untracked().trim().is_empty() {
                            return view! {
                                <EmptyHint title=td_string!(locale, sessions.users.no_match_title) test_id="no-matching-users">{td_string!(locale, sessions.users.no_match_body)}</EmptyHint>
                            }.into_any();
                        }
                        if page.rows.is_empty() {
                            return view! {
                                <EmptyHint title=td_string!(locale, sessions.users.empty_title) test_id="no-users">{td_string!(locale, sessions.users.empty_body)}
                                        <code class="font-mono text-xs">"langfuse.update_current_trace(user_id=\"user-123\")"</code></EmptyHint>
                            }.into_any();
                        }
                        let now = chrono::Utc::now();
                        let current = page_number.get_untracked();
                        view! {
                            <div class="overflow-x-auto">
                                <table class=TABLE data-testid="users-table">
                                    <TableHead columns=[
                                        td_string!(locale, sessions.users.columns.user),
                                        td_string!(locale, sessions.users.columns.traces),
                                        td_string!(locale, sessions.users.columns.total_tokens),
                                        td_string!(locale, sessions.users.columns.total_cost),
                                        td_string!(locale, sessions.users.columns.first_seen),
                                        td_string!(locale, sessions.users.columns.last_seen),
                                    ] />
                                    <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                        {page.rows.into_iter().map(|u| view! {
                                            <tr translate="no" data-testid="user-row">
                                                <td class=TD>
                                                    <a class="font-medium hover:underline" href=format!("{}/users/{}", base.get_value(), encode_query(&u.user_id))>{u.user_id.clone()}</a>
                                                </td>
                                                <td class=format!("{TD} text-right font-mono text-xs")>{u.traces}</td>
                                                <td class=format!("{TD} text-right font-mono text-xs")>{crate::domain::format::count(u.total_tokens)}</td>
                                                <td class=format!("{TD} text-right font-mono text-xs")>{crate::domain::format::cost(u.total_cost)}</td>
                                                <td class=format!("{TD} text-xs") title=timestamp(u.first_seen)>{relative_time(u.first_seen, now)}</td>
                                                <td class=format!("{TD} text-xs") title=timestamp(u.last_seen)>{relative_time(u.last_seen, now)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager href=params.with_untracked(|q| list_href(&format!("{}/users", base.get_value()), q, ("", ""))) current next=page.next_page />
                        }.into_any()
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let project_id = route_param("project_id");
    let user_id = route_param("user_id");
    let detail = Resource::new(move || (project_id.get(), user_id.get()), |(project, user)| get_user(project, user));
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, sessions.user.title) />
        <InProject children=move |_, project| view! { <UserDetail project_id=project.id.clone() user_id detail /> } />
    }
}

#[component]
fn UserDetail(
    project_id: String,
    user_id: Memo<String>,
    detail: Resource<Result<crate::domain::trace_list::TraceUserDetail, AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let base = StoredValue::new(format!("/project/{project_id}"));
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=format!("{}/users", base.get_value())>{t_string!(i18n, sessions.user.back)}</a>
            <h1 class="mt-3 text-xl font-semibold tracking-tight">{t_string!(i18n, sessions.user.heading)}<span class="font-mono" data-testid="user-id">{move || user_id.get()}</span></h1>
            <Transition fallback=move || view! { <Skeleton label=td_string!(locale, sessions.user.loading) /> }>
                {move || Suspend::new(async move {
                    let detail = match detail.await {
                        Ok(detail) => detail,
                        Err(error) => return view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                    };
                    let now = chrono::Utc::now();
                    let u = detail.user;
                    let all_traces = format!("{}/traces?user={}", base.get_value(), encode_query(&u.user_id));
                    view! {
                        <dl class="mt-4 grid max-w-3xl grid-cols-2 gap-4 sm:grid-cols-5" data-testid="user-summary">
                            <div class=format!("{CARD} px-3 py-2")><dt class="text-xs text-zinc-500">{td_string!(locale, sessions.users.columns.traces)}</dt><dd class="font-mono" data-testid="user-traces">{u.traces}</dd></div>
                            <div class=format!("{CARD} px-3 py-2")><dt class="text-xs text-zinc-500">{td_string!(locale, sessions.users.columns.total_tokens)}</dt><dd class="font-mono" data-testid="user-tokens">{u.total_tokens}</dd></div>
                            <div class=format!("{CARD} px-3 py-2")><dt class="text-xs text-zinc-500">{td_string!(locale, sessions.users.columns.total_cost)}</dt><dd class="font-mono" data-testid="user-cost">{crate::domain::format::cost(u.total_cost)}</dd></div>
                            <div class=format!("{CARD} px-3 py-2")><dt class="text-xs text-zinc-500">{td_string!(locale, sessions.users.columns.first_seen)}</dt><dd class="text-sm" title=timestamp(u.first_seen)>{relative_time(u.first_seen, now)}</dd></div>
                            <div class=format!("{CARD} px-3 py-2")><dt class="text-xs text-zinc-500">{td_string!(locale, sessions.users.columns.last_seen)}</dt><dd class="text-sm" title=timestamp(u.last_seen)>{relative_time(u.last_seen, now)}</dd></div>
                        </dl>
                        <div class="mt-6 grid grid-cols-[minmax(0,1fr)] gap-6 lg:grid-cols-2">
                            <section class=CARD>
                                <div class="flex items-center justify-between border-b border-zinc-200 px-4 py-2 dark:border-zinc-800">
                                    <h2 class="text-sm font-semibold">{td_string!(locale, sessions.user.latest_traces)}</h2>
                                    <a class=BUTTON_LINK href=all_traces data-testid="user-all-traces">{td_string!(locale, sessions.user.all_traces)}</a>
                                </div>
                                <ul class="divide-y divide-zinc-100 text-sm dark:divide-zinc-800" data-testid="user-recent-traces">
                                    {detail.recent_traces.into_iter().map(|t| view! {
                                        <li class="flex items-center justify-between gap-2 px-4 py-2">
                                            <a class="truncate font-medium hover:underline" href=format!("{}/traces/{}", base.get_value(), encode_query(&t.id))>
                                                {t.name.clone().unwrap_or_else(|| t.id.clone())}
                                            </a>
                                            <span class="shrink-0 text-xs text-zinc-500" title=timestamp(t.timestamp)>{relative_time(t.timestamp, now)}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                            <section class=CARD>
                                <h2 class="border-b border-zinc-200 px-4 py-2 text-sm font-semibold dark:border-zinc-800">{td_string!(locale, sessions.user.sessions)}</h2>
                                {if detail.sessions.is_empty() {
                                    view! { <p class="px-4 py-4 text-sm text-zinc-500" data-testid="user-no-sessions">{td_string!(locale, sessions.user.no_sessions)}</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="divide-y divide-zinc-100 text-sm dark:divide-zinc-800" data-testid="user-sessions">
                                            {detail.sessions.into_iter().map(|s| view! {
                                                <li class="flex items-center justify-between gap-2 px-4 py-2">
                                                    <a class="truncate font-mono text-xs hover:underline" href=format!("{}/sessions/{}", base.get_value(), encode_query(&s.session_id))>{s.session_id.clone()}</a>
                                                    <span class="shrink-0 text-xs text-zinc-500">{td_string!(locale, sessions.user.session_summary, traces = s.traces, cost = format!("${:.6}", s.total_cost)).to_string()}</span>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </div>
    }
}
