//! Sessions: the conversations of the traced application (traces sharing a `sessionId`). The
//! list shows each one's size, people, duration and cost; a session's page replays its traces
//! in order as one conversation, each turn opening into its waterfall.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::sessions::{get_session, list_sessions};
use crate::components::ui::*;
use crate::error::AppError;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::pages::trace_detail::TraceExplorer;

type SessionsResource = Resource<Result<crate::domain::trace_list::TraceSessionPage, AppError>>;

#[component]
pub fn SessionsPage() -> impl IntoView {
    let project_id = route_param("project_id");
    let page_number = page_number();
    let search = search_query();
    let query = leptos_router::hooks::use_query_map();
    let filters = Memo::new(move |_| query.with(|q| (q.get("env").unwrap_or_default(), q.get("range").unwrap_or_default())));
    let page = Resource::new(
        move || (project_id.get(), page_number.get(), search.get(), filters.get()),
        |(project, n, q, (environment, range))| list_sessions(project, n, q, environment, range),
    );
    // Made here, at the route's top, not in the list (built inside `InProject`'s `Suspend`).
    let (searching, set_searching) = pending_flag();
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, sessions.sessions.title) />
        <InProject children=move |_, project| view! { <SessionList project_id=project.id.clone() page page_number searching set_searching /> } />
    }
}

#[component]
fn SessionList(project_id: String, page: SessionsResource, page_number: Memo<i64>, searching: Signal<bool>, set_searching: SignalSetter<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let base = StoredValue::new(format!("/project/{project_id}"));
    let params = leptos_router::hooks::use_query_map();
    let filtered = Memo::new(move |_| params.with(|q| ["q", "env", "range"].iter().any(|k| q.get_str(k).is_some_and(|v| !v.trim().is_empty()))));
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, sessions.sessions.title) subtitle=t_string!(i18n, sessions.sessions.subtitle)>
                <SearchBox label=t_string!(i18n, sessions.sessions.search_label) placeholder=t_string!(i18n, sessions.sessions.search_placeholder) test_id="sessions-search" busy=searching />
            </PageHeader>
            <section class=format!("{CARD} mt-4 overflow-x-auto")>
                <Transition fallback=move || view! { <Skeleton label=td_string!(locale, sessions.sessions.loading) /> } set_pending=set_searching>
                    {move || Suspend::new(async move {
                        let page = match page.await {
                            Ok(page) => page,
                            Err(error) => return view! { <LoadError error /> }.into_any(),
                        };
                        if page.rows.is_empty() && !filtered.get_untracked() {
                            return view! {
                                <EmptyHint title=td_string!(locale, sessions.sessions.empty_title) test_id="no-sessions">{td_string!(locale, sessions.sessions.empty_body)}
                                        <code class="font-mono text-xs">"langfuse.update_current_trace(session_id=\"chat-42\")"</code></EmptyHint>
                            }.into_any();
                        }
                        let filters = view! { <SessionFilters environments=page.environments.clone() /> };
                        if page.rows.is_empty() {
                            return view! {
                                {filters}
                                <EmptyHint title=td_string!(locale, sessions.sessions.no_match_title) test_id="no-matching-sessions">{td_string!(locale, sessions.sessions.no_match_body)}</EmptyHint>
                            }.into_any();
                        }
                        let now = chrono::Utc::now();
                        let current = page_number.get_untracked();
                        view! {
                            {filters}
                            <table class=TABLE data-testid="sessions-table">
                                <TableHead columns=[
                                    td_string!(locale, sessions.sessions.columns.session),
                                    td_string!(locale, sessions.sessions.columns.traces),
                                    td_string!(locale, sessions.sessions.columns.users),
                                    td_string!(locale, sessions.sessions.columns.duration),
                                    td_string!(locale, sessions.sessions.columns.tokens),
                                    td_string!(locale, sessions.sessions.columns.total_cost),
                                    td_string!(locale, sessions.sessions.columns.scores),
                                    td_string!(locale, sessions.sessions.columns.last_trace),
                                ] />
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {page.rows.into_iter().map(|s| view! {
                                        <tr translate="no" data-testid="session-row">
                                            <td class=format!("{TD} font-mono text-xs")>
                                                <a class="font-medium hover:underline" href=format!("{}/sessions/{}", base.get_value(), encode_query(&s.session_id))>{s.session_id.clone()}</a>
                                            </td>
                                            <td class=format!("{TD} text-right font-mono text-xs")>{s.traces}</td>
                                            <td class=format!("{TD} text-xs")>{s.users.join(", ")}</td>
                                            <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{crate::language::duration_s(locale, s.duration())}</td>
                                            <td class=format!("{TD} text-right font-mono text-xs") data-testid="session-tokens">{crate::domain::format::count(s.total_tokens)}</td>
                                            <td class=format!("{TD} text-right font-mono text-xs")>{crate::domain::format::cost(s.total_cost)}</td>
                                            <td class=TD data-testid="session-scores"><ScoreChips scores=s.scores.clone() /></td>
                                            <td class=format!("{TD} text-xs") title=timestamp(s.last_trace)>{relative_time(s.last_trace, now)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager href=params.with_untracked(|q| list_href(&format!("{}/sessions", base.get_value()), q, ("", ""))) current next=page.next_page />
                        }.into_any()
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// The Sessions page's filters above its table: environment (those the project's sessions were
/// seen in) and activity within a time range. Each applies as chosen, as a new history entry.
#[component]
fn SessionFilters(environments: Vec<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let params = leptos_router::hooks::use_query_map();
    let location = leptos_router::hooks::use_location();
    let navigate = leptos_router::hooks::use_navigate();
    let current = move |key: &'static str| params.with_untracked(|q| q.get(key).unwrap_or_default());
    let choose = move |key: &'static str, value: String| {
        let url = params.with_untracked(|q| list_href(&location.pathname.get_untracked(), q, (key, &value)));
        navigate(&url, leptos_router::NavigateOptions { scroll: false, ..Default::default() });
    };
    let choose_range = choose.clone();
    let (environment, range) = (current("env"), current("range"));
    let mut environments = environments;
    if !environment.is_empty() && !environments.contains(&environment) {
        environments.push(environment.clone());
    }
    view! {
        <div class="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-4 py-2 dark:border-zinc-800">
            <select class=SELECT aria-label=t_string!(i18n, sessions.sessions.filters.environment) data-testid="sessions-environment" on:change=move |ev| choose("env", event_target_value(&ev))>
                <option value="" selected=environment.is_empty()>{t_string!(i18n, sessions.sessions.filters.all_environments)}</option>
                {environments.into_iter().map(|env| view! { <option value=env.clone() selected=env == environment>{env.clone()}</option> }).collect_view()}
            </select>
            <select class=SELECT aria-label=t_string!(i18n, sessions.sessions.filters.active) data-testid="sessions-range" on:change=move |ev| choose_range("range", event_target_value(&ev))>
                <option value="" selected=range.is_empty()>{t_string!(i18n, sessions.sessions.filters.any_time)}</option>
                {crate::domain::trace_list::RANGES.into_iter().map(|(value, _, _)| view! {
                    <option value=value selected=range == value>{range_label(locale, value)}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

/// The activity filter's option for a range preset of `trace_list::RANGES` ("Active: last hour").
fn range_label(locale: Locale, value: &str) -> &'static str {
    match value {
        "1h" => td_string!(locale, sessions.sessions.ranges.last_hour),
        "24h" => td_string!(locale, sessions.sessions.ranges.last_24_hours),
        "7d" => td_string!(locale, sessions.sessions.ranges.last_7_days),
        _ => td_string!(locale, sessions.sessions.ranges.last_30_days),
    }
}

/// A row's scores on one line, each "name value"; all of them in the tooltip.
#[component]
fn ScoreChips(scores: Vec<crate::domain::trace_list::ScoreChip>) -> impl IntoView {
    let title = scores.iter().map(|s| format!("{}: {}", s.name, s.value)).collect::<Vec<_>>().join("\n");
    view! {
        <div class="flex max-w-[16rem] gap-1 overflow-hidden whitespace-nowrap" title=title>
            {scores.into_iter().map(|s| view! {
                <span class="truncate rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800">
                    <span class="text-zinc-500 dark:text-zinc-400">{s.name}</span>" "<span class="font-mono">{s.value}</span>
                </span>
            }).collect_view()}
        </div>
    }
}

#[component]
pub fn SessionPage() -> impl IntoView {
    let project_id = route_param("project_id");
    let session_id = route_param("session_id");
    let detail = Resource::new(move || (project_id.get(), session_id.get()), |(project, session)| get_session(project, session));
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, sessions.session.title) />
        <InProject children=move |_, project| view! { <Conversation project_id=project.id.clone() session_id detail /> } />
    }
}

/// Text for a trace's input or output: strings as they are, anything else as pretty JSON.
pub(crate) fn as_text(value: &Option<serde_json::Value>) -> Option<String> {
    match value {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(other) => serde_json::to_string_pretty(other).ok(),
    }
}

#[component]
fn Conversation(
    project_id: String,
    session_id: Memo<String>,
    detail: Resource<Result<crate::domain::trace_list::SessionDetail, AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let base = StoredValue::new(format!("/project/{project_id}"));
    let base_project = StoredValue::new(project_id.clone());
    view! {
        <div class="max-w-5xl px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=format!("/project/{project_id}/sessions")>{t_string!(i18n, sessions.session.back)}</a>
            <h1 class="mt-3 text-xl font-semibold tracking-tight">{t_string!(i18n, sessions.session.heading)}<span class="font-mono" data-testid="session-id">{move || session_id.get()}</span></h1>
            <div class="mt-3">
                <crate::components::queue_picker::AnnotationActions project_id=project_id.clone()
                    target=Signal::derive(move || crate::domain::annotation::Target::Session { session_id: session_id.get() })
                    on_change=Callback::new(move |_| detail.refetch()) />
            </div>
            <Transition fallback=move || view! { <Skeleton label=td_string!(locale, sessions.session.loading) /> }>
                {move || Suspend::new(async move {
                    let detail = match detail.await {
                        Ok(detail) => detail,
                        Err(error) => return view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                    };
                    let users = detail.users();
                    let summary = [
                        (td_string!(locale, sessions.sessions.columns.traces), detail.traces.len().to_string(), "session-traces"),
                        (td_string!(locale, sessions.sessions.columns.users), if users.is_empty() { "—".to_string() } else { users.join(", ") }, "session-users"),
                        (td_string!(locale, sessions.sessions.columns.duration), crate::language::duration_s(locale, detail.duration()), "session-duration"),
                        (td_string!(locale, sessions.sessions.columns.tokens), crate::domain::format::count(detail.total_tokens), "session-tokens"),
                        (td_string!(locale, sessions.sessions.columns.total_cost), crate::domain::format::cost(detail.total_cost), "session-cost"),
                    ];
                    let scores = detail.scores.clone();
                    let authors = detail.score_authors.clone();
                    let traces = detail.traces;
                    view! {
                        <dl class="mt-4 grid grid-cols-2 gap-3 sm:grid-cols-5" data-testid="session-summary">
                            {summary.into_iter().map(|(label, value, test_id)| view! {
                                <div class=format!("{CARD} min-w-0 px-3 py-2")>
                                    <dt class="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
                                    <dd class="truncate font-mono text-sm" title=value.clone() data-testid=test_id>{value.clone()}</dd>
                                </div>
                            }).collect_view()}
                        </dl>
                        {(!scores.is_empty()).then(|| view! {
                            <div class="mt-3 flex flex-wrap items-center gap-1" data-testid="session-scores">
                                <span class="mr-1 text-xs text-zinc-500">{td_string!(locale, sessions.session.scores)}</span>
                                {scores.into_iter().map(|score| { let author = crate::pages::trace_detail::author_of(&score, &authors); view! { <crate::pages::trace_detail::ScoreChip score author /> } }).collect_view()}
                            </div>
                        })}
                        <ol class="mt-6 space-y-4" data-testid="conversation">
                            {traces.into_iter().enumerate().map(|(turn, t)| {
                                let expanded = RwSignal::new(false);
                                let selected = RwSignal::new(None::<String>);
                                let trace_id = t.id.clone();
                                view! {
                                <li class=CARD data-testid="session-turn">
                                    <div class="flex items-center justify-between border-b border-zinc-200 px-4 py-2 text-xs text-zinc-500 dark:border-zinc-800">
                                        <span>{td_string!(locale, sessions.session.turn, turn = turn + 1, time = timestamp(t.timestamp)).to_string()}{t.user_id.clone().map(|u| view! { " · "<span translate="no">{u}</span> })}</span>
                                        <a class=BUTTON_LINK href=format!("{}/traces/{}", base.get_value(), encode_query(&t.id))>{td_string!(locale, sessions.session.open, name = t.name.clone().unwrap_or_else(|| td_string!(locale, sessions.session.trace).to_string())).to_string()}</a>
                                    </div>
                                    <div class="space-y-2 px-4 py-3 text-sm">
                                        {as_text(&t.input).map(|text| view! {
                                            <div><p class="text-xs font-semibold text-zinc-500">{td_string!(locale, sessions.session.input)}</p><pre class="mt-1 whitespace-pre-wrap break-words font-sans" data-testid="turn-input">{text}</pre></div>
                                        })}
                                        {as_text(&t.output).map(|text| view! {
                                            <div><p class="text-xs font-semibold text-zinc-500">{td_string!(locale, sessions.session.output)}</p><pre class="mt-1 whitespace-pre-wrap break-words font-sans" data-testid="turn-output">{text}</pre></div>
                                        })}
                                        <button type="button" class=BUTTON_LINK data-testid="turn-expand" aria-expanded=move || expanded.get().to_string()
                                            on:click=move |_| expanded.update(|e| *e = !*e)>
                                            {move || if expanded.get() { td_string!(locale, sessions.session.hide_waterfall) } else { td_string!(locale, sessions.session.show_waterfall) }}
                                        </button>
                                    </div>
                                    // Mounted only when opened: a long session does not load every
                                    // turn's tree up front.
                                    {move || expanded.get().then(|| view! {
                                        <div class="border-t border-zinc-200 p-3 dark:border-zinc-800" data-testid="turn-waterfall">
                                            <TraceExplorer project_id=base_project.get_value() trace_id=Signal::stored(trace_id.clone()) selected height="h-80" />
                                        </div>
                                    })}
                                </li>
                            }}).collect_view()}
                        </ol>
                    }.into_any()
                })}
            </Transition>
            <div class="mt-8 max-w-3xl">
                <crate::components::comments::Comments project_id=project_id.clone() object_type=crate::domain::comments::ObjectType::Session object_id=session_id />
            </div>
        </div>
    }
}
