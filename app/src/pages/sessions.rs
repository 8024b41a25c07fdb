//! Sessions: the conversations of the traced application (traces sharing a `sessionId`). The
//! list shows each one's size, people, duration and cost; a session's page replays its traces
//! in order as one conversation, each turn opening into its waterfall.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::sessions::{get_session, list_sessions};
use crate::components::ui::*;
use crate::error::AppError;
use crate::pages::project::InProject;
use crate::pages::trace_detail::TraceExplorer;

type SessionsResource = Resource<Result<crate::domain::trace_list::TraceSessionPage, AppError>>;

#[component]
pub fn SessionsPage() -> impl IntoView {
    let project_id = route_param("project_id");
    let page_number = page_number();
    let search = search_query();
    let page = Resource::new(move || (project_id.get(), page_number.get(), search.get()), |(project, n, q)| list_sessions(project, n, q));
    view! {
        <Title text="Sessions" />
        <InProject children=move |_, project| view! { <SessionList project_id=project.id.clone() page page_number /> } />
    }
}

#[component]
fn SessionList(project_id: String, page: SessionsResource, page_number: Memo<i64>) -> impl IntoView {
    let base = StoredValue::new(format!("/project/{project_id}"));
    let search = search_query();
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title="Sessions" subtitle="Conversations: the traces that share a session id, most recently active first.">
                <SearchBox label="Search sessions" placeholder="Session or user id" test_id="sessions-search" />
            </PageHeader>
            <section class=format!("{CARD} mt-4 overflow-x-auto")>
                <Transition fallback=|| view! { <Skeleton label="Loading sessions" /> }>
                    {move || Suspend::new(async move {
                        let page = match page.await {
                            Ok(page) => page,
                            Err(error) => return view! { <LoadError error /> }.into_any(),
                        };
                        if page.rows.is_empty() && !search.get_untracked().trim().is_empty() {
                            return view! {
                                <EmptyHint title="No matching sessions" test_id="no-matching-sessions">"No session id or user id contains this text. Clear the search to see every session."</EmptyHint>
                            }.into_any();
                        }
                        if page.rows.is_empty() {
                            return view! {
                                <EmptyHint title="No sessions yet" test_id="no-sessions">"Give the traces of one conversation the same session id and they appear here, e.g. in Python: "
                                        <code class="font-mono text-xs">"langfuse.update_current_trace(session_id=\"chat-42\")"</code></EmptyHint>
                            }.into_any();
                        }
                        let now = chrono::Utc::now();
                        let current = page_number.get_untracked();
                        view! {
                            <table class=TABLE data-testid="sessions-table">
                                <TableHead columns=&["Session", "Traces", "Users", "Duration", "Tokens", "Total cost", "Last trace"] />
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {page.rows.into_iter().map(|s| view! {
                                        <tr data-testid="session-row">
                                            <td class=format!("{TD} font-mono text-xs")>
                                                <a class="font-medium hover:underline" href=format!("{}/sessions/{}", base.get_value(), encode_query(&s.session_id))>{s.session_id.clone()}</a>
                                            </td>
                                            <td class=format!("{TD} text-right font-mono text-xs")>{s.traces}</td>
                                            <td class=format!("{TD} text-xs")>{s.users.join(", ")}</td>
                                            <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{crate::domain::format::duration_s(s.duration())}</td>
                                            <td class=format!("{TD} text-right font-mono text-xs") data-testid="session-tokens">{crate::domain::format::count(s.total_tokens)}</td>
                                            <td class=format!("{TD} text-right font-mono text-xs")>{crate::domain::format::cost(s.total_cost)}</td>
                                            <td class=format!("{TD} text-xs") title=timestamp(s.last_trace)>{relative_time(s.last_trace, now)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager href=list_href(&format!("{}/sessions", base.get_value()), &search.get_untracked()) current next=page.next_page />
                        }.into_any()
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
pub fn SessionPage() -> impl IntoView {
    let project_id = route_param("project_id");
    let session_id = route_param("session_id");
    let detail = Resource::new(move || (project_id.get(), session_id.get()), |(project, session)| get_session(project, session));
    view! {
        <Title text="Session" />
        <InProject children=move |_, project| view! { <Conversation project_id=project.id.clone() session_id detail /> } />
    }
}

/// Text for a trace's input or output: strings as they are, anything else as pretty JSON.
fn as_text(value: &Option<serde_json::Value>) -> Option<String> {
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
    let base = StoredValue::new(format!("/project/{project_id}"));
    let base_project = StoredValue::new(project_id.clone());
    view! {
        <div class="max-w-5xl px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=format!("/project/{project_id}/sessions")>"← Sessions"</a>
            <h1 class="mt-3 text-xl font-semibold tracking-tight">"Session "<span class="font-mono" data-testid="session-id">{move || session_id.get()}</span></h1>
            <Transition fallback=|| view! { <Skeleton label="Loading the session" /> }>
                {move || Suspend::new(async move {
                    let detail = match detail.await {
                        Ok(detail) => detail,
                        Err(error) => return view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                    };
                    let users = detail.users();
                    let summary = [
                        ("Traces", detail.traces.len().to_string(), "session-traces"),
                        ("Users", if users.is_empty() { "—".to_string() } else { users.join(", ") }, "session-users"),
                        ("Duration", crate::domain::format::duration_s(detail.duration()), "session-duration"),
                        ("Tokens", crate::domain::format::count(detail.total_tokens), "session-tokens"),
                        ("Total cost", crate::domain::format::cost(detail.total_cost), "session-cost"),
                    ];
                    let scores = detail.scores.clone();
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
                                <span class="mr-1 text-xs text-zinc-500">"Session scores"</span>
                                {scores.into_iter().map(|score| view! { <crate::pages::trace_detail::ScoreChip score /> }).collect_view()}
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
                                        <span>{format!("Turn {} · {}", turn + 1, t.timestamp.format("%Y-%m-%d %H:%M:%S UTC"))}{t.user_id.clone().map(|u| format!(" · {u}"))}</span>
                                        <a class=BUTTON_LINK href=format!("{}/traces/{}", base.get_value(), encode_query(&t.id))>{format!("Open {} →", t.name.clone().unwrap_or_else(|| "trace".into()))}</a>
                                    </div>
                                    <div class="space-y-2 px-4 py-3 text-sm">
                                        {as_text(&t.input).map(|text| view! {
                                            <div><p class="text-xs font-semibold text-zinc-500">"Input"</p><pre class="mt-1 whitespace-pre-wrap break-words font-sans" data-testid="turn-input">{text}</pre></div>
                                        })}
                                        {as_text(&t.output).map(|text| view! {
                                            <div><p class="text-xs font-semibold text-zinc-500">"Output"</p><pre class="mt-1 whitespace-pre-wrap break-words font-sans" data-testid="turn-output">{text}</pre></div>
                                        })}
                                        <button type="button" class=BUTTON_LINK data-testid="turn-expand" aria-expanded=move || expanded.get().to_string()
                                            on:click=move |_| expanded.update(|e| *e = !*e)>
                                            {move || if expanded.get() { "Hide waterfall" } else { "Show waterfall" }}
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
        </div>
    }
}
