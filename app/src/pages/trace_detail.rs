//! One trace: its header, the waterfall of its observations (tree order, bars on a shared time
//! axis, time to first token marked) and the selected observation's details. Everything from
//! the SDKs is rendered as text; JSON is pretty-printed, never interpreted.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::traces::get_trace;
use crate::components::ui::*;
use crate::domain::trace_list::{TraceDetail, TraceListQuery};
use crate::domain::trace_views::Observation;
use crate::domain::waterfall;
use crate::domain::ObservationType;
use crate::pages::project::InProject;

#[component]
pub fn TraceDetailPage() -> impl IntoView {
    view! {
        <Title text="Trace" />
        <InProject children=|_, project| view! { <TraceView project_id=project.id.clone() /> } />
    }
}

#[component]
fn TraceView(project_id: String) -> impl IntoView {
    let params = use_params_map();
    let trace_id = Memo::new(move |_| params.with(|p| p.get("trace_id").unwrap_or_default()));
    let pid = project_id.clone();
    let detail = Resource::new(move || trace_id.get(), move |trace_id| get_trace(pid.clone(), trace_id));
    let list = format!("/project/{project_id}/traces");
    view! {
        <div class="px-8 py-6">
            <a class=BUTTON_LINK href=list.clone()>"← Traces"</a>
            <Transition fallback=|| view! { <Skeleton label="Loading the trace" /> }>
                {move || {
                    let list = list.clone();
                    Suspend::new(async move {
                        match detail.await {
                            Ok(detail) => view! { <Loaded detail list /> }.into_any(),
                            Err(error) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </div>
    }
}

#[component]
fn Loaded(detail: TraceDetail, list: String) -> impl IntoView {
    let t = detail.trace.clone();
    let link = move |key: &str, value: &str| format!("{list}{}", TraceListQuery::default().with(key, value).to_search());
    let observations = StoredValue::new(detail.observations.clone());
    let rows = waterfall::rows(&detail.observations);
    let selected = RwSignal::new(rows.first().map(|r| r.index));
    let total = waterfall::span(&detail.observations).map(|(a, b)| (b - a).num_milliseconds()).unwrap_or(0);
    view! {
        <div class="mt-3 flex flex-wrap items-start justify-between gap-4">
            <div>
                <h1 class="text-xl font-semibold tracking-tight" data-testid="trace-name">{t.name.clone().unwrap_or_else(|| "Unnamed trace".into())}</h1>
                <p class="mt-1 flex items-center gap-2 font-mono text-xs text-zinc-500">
                    <span data-testid="trace-id">{t.id.clone()}</span>
                    <CopyButton text=t.id.clone() label="Copy id" />
                </p>
            </div>
            <dl class="grid grid-cols-2 gap-x-6 gap-y-1 text-sm sm:grid-cols-4" data-testid="trace-summary">
                <dt class="text-zinc-500">"Time"</dt><dd title=timestamp(t.timestamp)>{t.timestamp.format("%Y-%m-%d %H:%M:%S").to_string()}</dd>
                <dt class="text-zinc-500">"Latency"</dt><dd>{format!("{:.2} s", detail.latency)}</dd>
                <dt class="text-zinc-500">"Cost"</dt><dd data-testid="trace-cost">{format!("${:.6}", detail.total_cost)}</dd>
                <dt class="text-zinc-500">"Environment"</dt><dd>{t.environment.clone()}</dd>
                <dt class="text-zinc-500">"User"</dt>
                <dd>{t.user_id.clone().map(|u| view! { <a class=BUTTON_LINK href=link("user", &u)>{u.clone()}</a> })}</dd>
                <dt class="text-zinc-500">"Session"</dt>
                <dd>{t.session_id.clone().map(|s| view! { <a class=BUTTON_LINK href=link("session", &s)>{s.clone()}</a> })}</dd>
            </dl>
        </div>
        {(!t.tags.is_empty()).then(|| view! {
            <div class="mt-2 flex flex-wrap gap-1">{t.tags.iter().map(|tag| view! { <span class="rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800">{tag.clone()}</span> }).collect_view()}</div>
        })}
        <div class="mt-6 grid gap-4 lg:grid-cols-2">
            <section class=CARD aria-label="Waterfall">
                <div class="flex items-center justify-between border-b border-zinc-200 px-3 py-2 text-xs text-zinc-500 dark:border-zinc-800">
                    <span>{format!("{} observations", rows.len())}</span>
                    <span>{format!("{total} ms")}</span>
                </div>
                {if rows.is_empty() {
                    view! { <p class="px-4 py-6 text-sm text-zinc-500">"This trace has no observations yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="max-h-[70vh] overflow-auto py-1" role="tree" data-testid="waterfall">
                            {rows.into_iter().map(|row| {
                                let o = observations.with_value(|list| list[row.index].clone());
                                let index = row.index;
                                let is_selected = move || selected.get() == Some(index);
                                view! {
                                    <li role="treeitem" aria-selected=move || is_selected().to_string()>
                                        <button type="button" data-testid="waterfall-row" data-observation-id=o.id.clone()
                                            class=move || format!("grid w-full grid-cols-2 items-center gap-2 px-3 py-1 text-left text-xs {}", if is_selected() { "bg-indigo-50 dark:bg-indigo-950" } else { "hover:bg-zinc-50 dark:hover:bg-zinc-900" })
                                            on:click=move |_| selected.set(Some(index))>
                                            <span class="truncate" style=format!("padding-left: {}rem", row.depth as f64 * 0.75)>
                                                <span class=format!("mr-1 rounded px-1 font-mono text-[10px] {}", type_class(o.kind))>{type_label(o.kind)}</span>
                                                {o.name.clone().unwrap_or_else(|| "—".into())}
                                            </span>
                                            <span class="relative h-3 rounded bg-zinc-100 dark:bg-zinc-800">
                                                <span class=format!("absolute top-0 h-3 rounded {}", bar_class(o.kind))
                                                    style=format!("left: {:.3}%; width: max({:.3}%, 2px)", row.offset * 100.0, row.width * 100.0)>
                                                    {row.first_token.map(|f| view! { <span class="absolute top-0 h-3 w-px bg-zinc-900 dark:bg-white" title="First token" style=format!("left: {:.1}%", f * 100.0)></span> })}
                                                </span>
                                            </span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section class=CARD aria-label="Observation" data-testid="observation-panel">
                {move || selected.get().map(|i| view! { <ObservationPanel o=observations.with_value(|list| list[i].clone()) /> })}
            </section>
        </div>
    }
}

fn type_label(kind: ObservationType) -> &'static str {
    match kind {
        ObservationType::Generation => "GEN",
        ObservationType::Event => "EVT",
        ObservationType::Span => "SPAN",
        _ => "OBS",
    }
}

fn type_class(kind: ObservationType) -> &'static str {
    match kind {
        ObservationType::Generation => "bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300",
        ObservationType::Event => "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
        _ => "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
    }
}

fn bar_class(kind: ObservationType) -> &'static str {
    match kind {
        ObservationType::Generation => "bg-violet-400",
        ObservationType::Event => "bg-amber-400",
        _ => "bg-sky-400",
    }
}

fn pretty(value: &Option<serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "—".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

#[component]
fn ObservationPanel(o: Observation) -> impl IntoView {
    let usage: Vec<(String, i64)> = o.usage_details.iter().map(|(k, v)| (k.clone(), *v)).collect();
    view! {
        <div class="border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
            <p class="text-sm font-semibold" data-testid="observation-name">{o.name.clone().unwrap_or_else(|| "—".into())}</p>
            <p class="mt-0.5 text-xs text-zinc-500">
                {format!("{:?}", o.kind)}
                {o.model.clone().map(|m| format!(" · {m}"))}
                {o.latency().map(|l| format!(" · {l:.3} s"))}
                {o.time_to_first_token().map(|t| format!(" · first token after {t:.3} s"))}
            </p>
            {o.status_message.clone().map(|m| view! { <p class="mt-1 text-xs text-red-700 dark:text-red-400">{format!("{:?}: {m}", o.level)}</p> })}
        </div>
        <div class="space-y-3 px-4 py-3 text-sm">
            <div>
                <h3 class="text-xs font-semibold uppercase tracking-wide text-zinc-500">"Input"</h3>
                <pre class="mt-1 max-h-64 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900" data-testid="observation-input">{pretty(&o.input)}</pre>
            </div>
            <div>
                <h3 class="text-xs font-semibold uppercase tracking-wide text-zinc-500">"Output"</h3>
                <pre class="mt-1 max-h-64 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900" data-testid="observation-output">{pretty(&o.output)}</pre>
            </div>
            {(!usage.is_empty() || o.total_cost.is_some()).then(|| view! {
                <div data-testid="observation-usage">
                    <h3 class="text-xs font-semibold uppercase tracking-wide text-zinc-500">"Usage and cost"</h3>
                    <dl class="mt-1 grid grid-cols-2 gap-x-4 text-xs">
                        {usage.into_iter().map(|(k, v)| view! { <dt class="text-zinc-500">{k}</dt><dd class="font-mono">{v}</dd> }).collect_view()}
                        {o.total_cost.map(|c| view! { <dt class="text-zinc-500">"total cost"</dt><dd class="font-mono" data-testid="observation-cost">{format!("${c:.6}")}</dd> })}
                    </dl>
                </div>
            })}
            {(o.metadata.as_object().is_some_and(|m| !m.is_empty())).then(|| view! {
                <div>
                    <h3 class="text-xs font-semibold uppercase tracking-wide text-zinc-500">"Metadata"</h3>
                    <pre class="mt-1 max-h-48 overflow-auto rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900">{serde_json::to_string_pretty(&o.metadata).unwrap_or_default()}</pre>
                </div>
            })}
        </div>
    }
}
