//! The traces list: newest first, filters in the URL, cursor pages, and — for a project without
//! traces — how to send the first one. Every value from the SDKs is rendered as text.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::traces::list_traces;
use crate::components::ui::*;
use crate::domain::trace_list::{SetupHint, TraceListQuery, TraceListRow, RANGES};
use crate::pages::project::InProject;

#[component]
pub fn TracesPage() -> impl IntoView {
    view! {
        <Title text="Traces" />
        <InProject children=|_, project| view! { <TraceList project_id=project.id.clone() /> } />
    }
}

#[component]
fn TraceList(project_id: String) -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| TraceListQuery::from_params(|k| p.get(k))));
    let page = Resource::new(move || query.get(), {
        let project_id = project_id.clone();
        move |query| list_traces(project_id.clone(), query)
    });
    let base = format!("/project/{project_id}/traces");
    let base_for_links = StoredValue::new(base.clone());
    view! {
        <div class="px-8 py-6">
            <PageHeader title="Traces" subtitle="Every trace your application sends, newest first." />
            <FilterBar query base=base.clone() />
            <section class=format!("{CARD} mt-4 overflow-x-auto")>
                <Transition fallback=|| view! { <Skeleton label="Loading traces" /> }>
                    {move || Suspend::new(async move {
                        let page = match page.await {
                            Ok(page) => page,
                            Err(error) => return view! { <LoadError error /> }.into_any(),
                        };
                        if let Some(setup) = page.setup {
                            return view! { <FirstTrace setup /> }.into_any();
                        }
                        let q = query.get_untracked();
                        if page.rows.is_empty() {
                            let reset = base_for_links.get_value();
                            return view! {
                                <div class="px-4 py-10 text-center text-sm text-zinc-500 dark:text-zinc-400" data-testid="no-matching-traces">
                                    <p>"No traces match these filters."</p>
                                    <a class=format!("{BUTTON_LINK} mt-2 inline-block") href=reset>"Clear filters"</a>
                                </div>
                            }.into_any();
                        }
                        let link = move |q: TraceListQuery| format!("{}{}", base_for_links.get_value(), q.to_search());
                        let newer = (!q.before.is_empty()).then(|| link(q.first_page()));
                        let older = page.next_before.map(|before| link(TraceListQuery { before, ..q.clone() }));
                        view! {
                            <table class=TABLE data-testid="traces-table">
                                <TableHead columns=&["Time", "Name", "User", "Session", "Tags", "Environment", "Latency", "Cost", "Observations", "Scores"] />
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {page.rows.into_iter().map(|row| view! { <Row row query=q.clone() link /> }).collect_view()}
                                </tbody>
                            </table>
                            <div class="flex items-center justify-between border-t border-zinc-200 px-4 py-2 text-sm dark:border-zinc-800">
                                <span>{newer.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="newest-traces">"← Newest"</a> })}</span>
                                <span>{older.map(|href| view! { <a class=BUTTON_LINK href=href data-testid="older-traces">"Older →"</a> })}</span>
                            </div>
                        }.into_any()
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// Filter inputs; applying them navigates, so the URL holds them.
#[component]
fn FilterBar(query: Memo<TraceListQuery>, base: String) -> impl IntoView {
    let navigate = use_navigate();
    let fields: [(&'static str, &'static str, &'static str); 7] = [
        ("name", "Name", "trace name"),
        ("user", "User", "user id"),
        ("session", "Session", "session id"),
        ("tag", "Tag", "tag"),
        ("environment", "Environment", "e.g. production"),
        ("release", "Release", "release"),
        ("version", "Version", "version"),
    ];
    let values: Vec<RwSignal<String>> = fields.iter().map(|_| RwSignal::new(String::new())).collect();
    let range = RwSignal::new(String::new());
    // Keep the inputs in step with the URL (back/forward, clicked filters).
    let synced = values.clone();
    Effect::new(move |_| {
        let q = query.get();
        range.set(q.range.clone());
        for (signal, value) in synced.iter().zip([q.name, q.user, q.session, q.tag, q.environment, q.release, q.version]) {
            signal.set(value);
        }
    });
    let submitted = values.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let get = |i: usize| submitted[i].get_untracked().trim().to_string();
        let q = TraceListQuery {
            name: get(0),
            user: get(1),
            session: get(2),
            tag: get(3),
            environment: get(4),
            release: get(5),
            version: get(6),
            range: range.get_untracked(),
            ..query.get_untracked()
        };
        navigate(&format!("{base}{}", q.to_search()), Default::default());
    };
    view! {
        <form class="mt-4 flex flex-wrap items-end gap-2" on:submit=on_submit data-testid="trace-filters" role="search">
            {fields.into_iter().zip(values).map(|((key, label, placeholder), value)| view! {
                <div>
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for=format!("filter-{key}")>{label}</label>
                    <input id=format!("filter-{key}") type="search" placeholder=placeholder class=format!("{INPUT} mt-1 w-40")
                        prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                </div>
            }).collect_view()}
            <div>
                <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="filter-range">"Time"</label>
                <select id="filter-range" class=format!("{SELECT} mt-1") on:change=move |ev| range.set(event_target_value(&ev))>
                    <option value="" selected=move || range.get().is_empty()>"All time"</option>
                    {RANGES.into_iter().map(|(value, label, _)| view! {
                        <option value=value selected=move || range.get() == value>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class=BUTTON_PRIMARY>"Apply"</button>
        </form>
    }
}

#[component]
fn Row<L>(row: TraceListRow, query: TraceListQuery, link: L) -> impl IntoView
where
    L: Fn(TraceListQuery) -> String + Copy + Send + Sync + 'static,
{
    let t = row.trace;
    let filter_link = move |key: &str, value: &str| link(query.with(key, value));
    view! {
        <tr data-testid="trace-row" data-trace-id=t.id.clone()>
            <td class=format!("{TD} whitespace-nowrap font-mono text-xs") title=timestamp(t.timestamp)>{t.timestamp.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
            <td class=format!("{TD} max-w-xs truncate font-medium")>
                <a class="hover:underline" href=format!("/project/{}/traces/{}", t.project_id, encode_query(&t.id)) data-testid="trace-link">{t.name.clone().unwrap_or_else(|| "Unnamed trace".into())}</a>
            </td>
            <td class=format!("{TD} text-xs")>{t.user_id.clone().map(|u| view! { <a class="hover:underline" href=filter_link("user", &u) data-testid="trace-user">{u.clone()}</a> })}</td>
            <td class=format!("{TD} max-w-[10rem] truncate font-mono text-xs")>{t.session_id.clone().map(|s| view! { <a class="hover:underline" href=filter_link("session", &s)>{s.clone()}</a> })}</td>
            <td class=TD>
                <div class="flex flex-wrap gap-1">
                    {t.tags.iter().map(|tag| view! {
                        <a class="rounded bg-zinc-100 px-1.5 py-0.5 text-xs hover:bg-zinc-200 dark:bg-zinc-800 dark:hover:bg-zinc-700" href=filter_link("tag", tag) data-testid="trace-tag">{tag.clone()}</a>
                    }).collect_view()}
                </div>
            </td>
            <td class=format!("{TD} text-xs")>{t.environment.clone()}</td>
            <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{format_latency(row.latency, row.observation_count)}</td>
            <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{format_cost(row.total_cost)}</td>
            <td class=format!("{TD} text-right font-mono text-xs")>{row.observation_count}</td>
            <td class=format!("{TD} text-right font-mono text-xs")>{row.score_count}</td>
        </tr>
    }
}

fn format_latency(seconds: f64, observations: usize) -> String {
    match (observations, seconds) {
        (0, _) => "—".to_string(),
        (_, s) if s < 1.0 => format!("{:.0} ms", s * 1000.0),
        (_, s) => format!("{s:.2} s"),
    }
}

fn format_cost(usd: f64) -> String {
    if usd == 0.0 { "—".to_string() } else if usd < 0.01 { format!("${usd:.6}") } else { format!("${usd:.2}") }
}

/// The empty state of a project without traces: how to send the first one.
#[component]
fn FirstTrace(setup: SetupHint) -> impl IntoView {
    let public_key = setup.public_key.clone().unwrap_or_else(|| "pk-lf-...".to_string());
    let snippet = format!(
        "pip install langfuse\n\nexport LANGFUSE_HOST=\"{}\"\nexport LANGFUSE_PUBLIC_KEY=\"{public_key}\"\nexport LANGFUSE_SECRET_KEY=\"sk-lf-...\"   # shown once when the key was created\n\npython -c '\nfrom langfuse import get_client\nlangfuse = get_client()\nwith langfuse.start_as_current_span(name=\"hello-loupe\") as span:\n    span.update(input=\"ping\", output=\"pong\")\nlangfuse.flush()\n'",
        setup.host
    );
    let has_key = setup.public_key.is_some();
    view! {
        <div class="px-6 py-8" data-testid="first-trace">
            <h2 class="text-base font-semibold">"No traces yet"</h2>
            <p class="mt-1 max-w-2xl text-sm text-zinc-500 dark:text-zinc-400">
                "Point any Langfuse SDK at this Loupe: only the host changes. Traces appear here as soon as they are stored."
                {(!has_key).then(|| " First create an API key in the project settings.")}
            </p>
            <pre class="mt-4 max-w-3xl overflow-x-auto rounded-md bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-900" data-testid="first-trace-snippet">{snippet.clone()}</pre>
            <div class="mt-2"><CopyButton text=snippet label="Copy" /></div>
        </div>
    }
}
