//! One trace: its header (totals, user, session, tags, scores, the trace's own input and
//! output), the waterfall of its observations and the selected observation's panel. Input and
//! output are shown by shape (chat, tool calls, markdown, JSON tree: `components::content`),
//! always as untrusted text.
//!
//! Three reads, sized to what they carry (see `server_fns::trace_detail`): the header is rendered on
//! the server; the tree (every observation, light) and the selected observation (heavy, one at
//! a time) load in the browser. The selected observation is in the URL (`?observation=`), so a
//! link opens the trace at that observation.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::server_fns::trace_detail::{get_observation, get_trace, get_trace_tree, SetTracePublic};
use crate::components::content::{ContentView, MediaScope};
use crate::components::otel_inspector::OtelInspector;
use crate::components::live::{use_live, LiveIndicator};
use crate::components::ui::*;
use crate::domain::live::trace_url;
use crate::components::waterfall::{format_cost, type_badge, type_label, type_name, Waterfall};
use crate::domain::score_views::Score;
use crate::domain::trace_detail::{ObservationDetail, TraceDetail};
use crate::domain::trace_list::TraceListQuery;
use crate::domain::{Action, ObservationId, TraceId};
use crate::domain::ObservationLevel;
use crate::i18n::*;
use crate::pages::project::InProject;

#[component]
pub fn TraceDetailPage() -> impl IntoView {
    // The header's resource is made here, at the route's top (ARCHITECTURE.md, "Nothing that
    // takes a hydration id is made inside a `Suspend`").
    let params = use_params_map();
    let project_id = Memo::new(move |_| params.with(|p| p.get("project_id").unwrap_or_default()));
    let trace_id = Memo::new(move |_| params.with(|p| p.get("trace_id").unwrap_or_default()));
    let detail = Resource::new(move || (project_id.get(), trace_id.get()), |(project, trace)| get_trace(project, TraceId::new(trace)));
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, trace.title) />
        <InProject children=move |_, project| view! {
            <TraceView project_id=project.id.clone() can_share=project.can(Action::WriteTraces) trace_id detail />
        } />
    }
}

#[component]
fn TraceView(
    project_id: String,
    can_share: bool,
    trace_id: Memo<String>,
    detail: Resource<Result<TraceDetail, crate::error::AppError>>,
) -> impl IntoView {
    let query = use_query_map();
    let selected = RwSignal::new(query.with_untracked(|q| q.get("observation")).filter(|o| !o.is_empty()));
    // Keep the selection in the URL without a router navigation (which would re-run the page's
    // reads): replace the history entry's query in place.
    Effect::new(move |previous: Option<Option<String>>| {
        let current = selected.get();
        if previous.is_some() && previous.as_ref() != Some(&current) {
            replace_observation_in_url(current.as_deref());
        }
        current
    });

    let list = format!("/project/{project_id}/traces");
    let i18n = use_i18n();
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=list.clone()>{t_string!(i18n, trace.back_to_traces)}</a>
            <Transition fallback=move || view! { <Skeleton label=t_string!(i18n, trace.loading_trace) /> }>
                {move || {
                    let list = list.clone();
                    Suspend::new(async move {
                        match detail.await {
                            Ok(detail) => view! { <Header detail list=Some(list) can_share /> }.into_any(),
                            Err(error) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <div class="mt-3">
                <crate::components::queue_picker::AnnotationActions project_id=project_id.clone()
                    target=Signal::derive(move || crate::domain::annotation::Target::Trace { trace_id: trace_id.get() })
                    on_change=Callback::new(move |_| detail.refetch()) />
            </div>
            <div class="mt-2">
                <crate::components::dataset_picker::AddToDataset project_id=project_id.clone() trace_id=trace_id />
            </div>
            <div class="mt-6">
                <TraceExplorer project_id=project_id.clone() trace_id=Signal::from(trace_id) selected live=true
                    on_change=Callback::new(move |_| detail.refetch()) />
            </div>
            <div class="mt-6 max-w-3xl">
                <crate::components::comments::Comments project_id=project_id.clone() object_type=crate::domain::comments::ObjectType::Trace object_id=trace_id />
            </div>
        </div>
    }
}

/// Above this many observations, live changes offer a reload instead of reloading the tree.
const LIVE_RELOAD_LIMIT: usize = 20_000;

/// The waterfall and the selected observation's panel, side by side on wide screens. Used by the
/// trace page and, in place, by each turn of a session.
#[component]
pub fn TraceExplorer(
    project_id: String,
    trace_id: Signal<String>,
    selected: RwSignal<Option<String>>,
    /// Height of the waterfall's scroll box (a utility class).
    #[prop(optional)]
    height: Option<&'static str>,
    /// Follow the trace live (members only: the stream needs a session).
    #[prop(optional)]
    live: bool,
    /// Called when the live stream reports a change (e.g. to reload the header's totals).
    #[prop(optional)]
    on_change: Option<Callback<()>>,
    /// Show nothing at all when the trace cannot be loaded (the share page says why itself).
    #[prop(optional)]
    hide_when_missing: bool,
) -> impl IntoView {
    provide_context(MediaScope { project_id: project_id.clone() });
    let i18n = use_i18n();
    let pid = project_id.clone();
    let tree = LocalResource::new(move || get_trace_tree(pid.clone(), TraceId::new(trace_id.get())));
    let height = height.unwrap_or("h-[65vh]");
    let pid = project_id.clone();
    let updates = use_live(Signal::derive(move || if live { trace_url(&pid, &trace_id.get()) } else { String::new() }));
    // New observations reload the tree, which is cheap for ordinary traces; past
    // LIVE_RELOAD_LIMIT rows a button offers the reload instead of doing it on every change.
    let waiting = RwSignal::new(false);
    updates.on_change(move || {
        let big = tree.with_untracked(|t| t.as_ref().and_then(|r| r.as_ref().ok()).is_some_and(|t| t.len() > LIVE_RELOAD_LIMIT));
        if big {
            waiting.set(true);
        } else {
            tree.refetch();
        }
        if let Some(callback) = on_change {
            callback.run(());
        }
    });
    let missing = move || hide_when_missing && tree.with(|t| matches!(t, Some(Err(_))));
    view! {
        <div class:hidden=missing>
        {live.then(|| view! {
            <div class="mb-2 flex items-center justify-end gap-2">
                <Show when=move || waiting.get()>
                    <button type="button" class=BUTTON_LINK data-testid="reload-tree"
                        on:click=move |_| { waiting.set(false); tree.refetch(); }>{t_string!(i18n, trace.new_observations_reload)}</button>
                </Show>
                <LiveIndicator live=updates />
            </div>
        })}
        <div class="grid grid-cols-[minmax(0,1fr)] gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
            <section class=CARD aria-label=t_string!(i18n, trace.waterfall)>
                // Read directly rather than through <Suspense>: the server never loads a
                // local resource, and a boundary it renders without loading cannot hydrate.
                {move || match tree.get() {
                    None => view! { <Skeleton label=t_string!(i18n, trace.loading_observations) /> }.into_any(),
                    Some(Ok(tree)) if tree.is_empty() => view! {
                        <p class="px-4 py-6 text-sm text-zinc-500" data-testid="no-observations">{t_string!(i18n, trace.no_observations)}</p>
                    }.into_any(),
                    Some(Ok(tree)) => view! { <Waterfall tree=Arc::new(tree) selected height /> }.into_any(),
                    Some(Err(error)) => view! { <div class="p-4"><LoadError error /></div> }.into_any(),
                }}
            </section>
            <section class=format!("{CARD} self-start") aria-label=t_string!(i18n, trace.observation) data-testid="observation-panel">
                <ObservationPanel project_id trace_id selected />
            </section>
        </div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
fn replace_observation_in_url(observation: Option<&str>) {
    let Some(window) = web_sys::window() else { return };
    let Ok(path) = window.location().pathname() else { return };
    let url = match observation {
        Some(id) => format!("{path}?observation={}", encode_query(id)),
        None => path,
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

#[cfg(not(feature = "hydrate"))]
fn replace_observation_in_url(_observation: Option<&str>) {}

/// The trace's header. `list` (the project's traces list) makes user, session and tags links
/// into it; the share page, open to non-members, passes `None` and shows them as text.
#[component]
pub(crate) fn Header(detail: TraceDetail, list: Option<String>, can_share: bool) -> impl IntoView {
    let t = detail.trace.clone();
    provide_context(MediaScope { project_id: t.project_id.clone() });
    let link = move |key: &str, value: &str| {
        list.as_ref().map(|list| format!("{list}{}", TraceListQuery::default().with(key, value).to_search()))
    };
    let has_io = t.input.is_some() || t.output.is_some();
    let metadata = t.metadata.as_object().is_some_and(|m| !m.is_empty()).then(|| t.metadata.clone());
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <div class="mt-3 flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                <div class="flex min-w-0 items-center gap-2">
                    <h1 class="truncate text-xl font-semibold tracking-tight" data-testid="trace-name">{t.name.clone().unwrap_or_else(|| t_string!(i18n, trace.unnamed_trace).into())}</h1>
                    {(detail.error_count > 0).then(|| view! {
                        <span class="shrink-0 rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800 dark:bg-red-950 dark:text-red-200" data-testid="trace-errors">
                            {if detail.error_count == 1 {
                                td_string!(locale, trace.one_error).to_string()
                            } else {
                                td_string!(locale, trace.errors, count = detail.error_count).to_string()
                            }}
                        </span>
                    })}
                    {(detail.warning_count > 0).then(|| view! {
                        <span class="shrink-0 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-950 dark:text-amber-200" data-testid="trace-warnings">
                            {if detail.warning_count == 1 {
                                td_string!(locale, trace.one_warning).to_string()
                            } else {
                                td_string!(locale, trace.warnings, count = detail.warning_count).to_string()
                            }}
                        </span>
                    })}
                </div>
                <p class="mt-1 flex items-center gap-2 font-mono text-xs text-zinc-500">
                    <span data-testid="trace-id">{t.id.clone()}</span>
                    <CopyButton text=t.id.clone() label=t_string!(i18n, trace.copy_id) />
                </p>
                {can_share.then(|| view! { <ShareToggle project_id=t.project_id.clone() trace_id=t.id.clone() public=t.public share_url=detail.share_url.clone() /> })}
                {(!t.tags.is_empty()).then(|| view! {
                    <div class="mt-2 flex flex-wrap gap-1" translate="no">
                        {t.tags.iter().map(|tag| view! {
                            <a href=link("tag", tag) class="rounded bg-zinc-100 px-1.5 py-0.5 text-xs hover:bg-zinc-200 dark:bg-zinc-800 dark:hover:bg-zinc-700">{tag.clone()}</a>
                        }).collect_view()}
                    </div>
                })}
            </div>
            <dl class="grid grid-cols-2 gap-x-6 gap-y-1 text-sm sm:grid-cols-4" data-testid="trace-summary">
                <dt class="text-zinc-500">{t!(i18n, trace.summary.time_in_zone, zone = crate::language::time_zone().label())}</dt><dd title=timestamp(t.timestamp)>{crate::language::time_zone().format(t.timestamp)}</dd>
                <dt class="text-zinc-500">{t_string!(i18n, trace.latency)}</dt><dd data-testid="trace-latency">{crate::language::duration_us(locale, (detail.latency * 1e6) as i64)}</dd>
                <dt class="text-zinc-500">{t_string!(i18n, trace.cost)}</dt><dd data-testid="trace-cost">{format_cost(detail.total_cost)}</dd>
                <dt class="text-zinc-500">{t_string!(i18n, trace.tokens)}</dt><dd data-testid="trace-tokens">{detail.total_tokens}</dd>
                <dt class="text-zinc-500">{t_string!(i18n, trace.summary.user)}</dt>
                <dd translate="no">{t.user_id.clone().map(|u| match link("user", &u) {
                    Some(href) => view! { <a class=BUTTON_LINK href=href>{u.clone()}</a> }.into_any(),
                    None => view! { <span>{u.clone()}</span> }.into_any(),
                })}</dd>
                <dt class="text-zinc-500">{t_string!(i18n, trace.summary.session)}</dt>
                <dd translate="no">{t.session_id.clone().map(|s| match link("session", &s) {
                    Some(href) => view! { <a class=BUTTON_LINK href=href>{s.clone()}</a> }.into_any(),
                    None => view! { <span>{s.clone()}</span> }.into_any(),
                })}</dd>
                <dt class="text-zinc-500">{t_string!(i18n, trace.summary.environment)}</dt><dd translate="no">{t.environment.clone()}</dd>
                <dt class="text-zinc-500">{t_string!(i18n, trace.summary.release)}</dt>
                <dd translate="no">{[t.release.clone(), t.version.clone().map(|v| format!("v {v}"))].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</dd>
            </dl>
        </div>
        {(!detail.scores.is_empty()).then(|| view! {
            <div class="mt-3 flex flex-wrap items-center gap-1" data-testid="trace-scores">
                <span class="mr-1 text-xs text-zinc-500">{t_string!(i18n, trace.scores)}</span>
                {detail.scores.iter().map(|s| view! { <ScoreChip score=s.clone() author=author_of(s, &detail.score_authors) /> }).collect_view()}
            </div>
        })}
        {has_io.then(|| view! {
            <details open class=format!("{CARD} mt-4") data-testid="trace-io">
                <summary class="cursor-pointer px-4 py-2 text-sm font-medium">{t_string!(i18n, trace.trace_io)}</summary>
                <div class="grid grid-cols-[minmax(0,1fr)] gap-4 border-t border-zinc-200 p-4 md:grid-cols-2 dark:border-zinc-800">
                    <Field label=t_string!(i18n, trace.input)><ContentView value=t.input.clone() testid="trace-input" /></Field>
                    <Field label=t_string!(i18n, trace.output)><ContentView value=t.output.clone() testid="trace-output" /></Field>
                </div>
            </details>
        })}
        {metadata.map(|metadata| view! {
            <details open class=format!("{CARD} mt-4") data-testid="trace-metadata">
                <summary class="cursor-pointer px-4 py-2 text-sm font-medium">{t_string!(i18n, trace.trace_metadata)}</summary>
                <div class="border-t border-zinc-200 p-4 dark:border-zinc-800">
                    <ContentView value=Some(metadata) testid="trace-metadata-value" />
                </div>
            </details>
        })}
    }
}

/// Public/private switch; while public, the share link with a copy button.
#[component]
fn ShareToggle(project_id: String, trace_id: String, public: bool, share_url: String) -> impl IntoView {
    let set_public = ServerAction::<SetTracePublic>::new();
    let is_public = Signal::derive(move || match set_public.value().get() {
        Some(Ok(now)) => now,
        _ => public,
    });
    let error = action_error(set_public);
    let i18n = use_i18n();
    view! {
        <div class="mt-2 flex flex-wrap items-center gap-2 text-xs" data-testid="share">
            <button type="button" role="switch" data-testid="share-toggle"
                aria-checked=move || is_public.get().to_string()
                disabled=move || set_public.pending().get()
                class=move || format!("inline-flex items-center gap-1.5 rounded-full border px-2 py-0.5 {}", if is_public.get() {
                    "border-emerald-300 bg-emerald-50 text-emerald-800 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
                } else {
                    "border-zinc-300 text-zinc-600 hover:bg-zinc-50 dark:border-zinc-700 dark:text-zinc-400 dark:hover:bg-zinc-900"
                })
                on:click=move |_| {
                    set_public.dispatch(SetTracePublic { project_id: project_id.clone(), trace_id: TraceId::new(trace_id.clone()), public: !is_public.get_untracked() });
                }>
                <span class=move || format!("h-2 w-2 rounded-full {}", if is_public.get() { "bg-emerald-500" } else { "bg-zinc-400" })></span>
                {move || if is_public.get() { t_string!(i18n, trace.share.public) } else { t_string!(i18n, trace.share.private) }}
            </button>
            <Show when=move || is_public.get()>
                <a class="font-mono text-indigo-600 hover:underline dark:text-indigo-400" href=share_url.clone() data-testid="share-url">{share_url.clone()}</a>
                <CopyButton text=share_url.clone() label=t_string!(i18n, trace.share.copy_link) />
            </Show>
            <ErrorAlert error />
        </div>
    }
}

/// `/share/traces/{project}/{trace}`: a public trace, read-only, for anyone with the link (no
/// sign-in, no project shell). A private or unknown trace reads "not found".
#[component]
pub fn SharedTracePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let project_id = Memo::new(move |_| params.with(|p| p.get("project_id").unwrap_or_default()));
    let trace_id = Memo::new(move |_| params.with(|p| p.get("trace_id").unwrap_or_default()));
    let selected = RwSignal::new(query.with_untracked(|q| q.get("observation")).filter(|o| !o.is_empty()));
    let detail = Resource::new(move || (project_id.get(), trace_id.get()), |(project, trace)| get_trace(project, TraceId::new(trace)));
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, trace.shared.title) />
        <div class="min-h-screen px-4 py-4 sm:px-8 sm:py-6">
            <p class="flex items-center gap-2 text-xs text-zinc-500">
                <a href="/" class="font-semibold text-zinc-900 dark:text-zinc-100">"Loupe"</a>
                <span>{t_string!(i18n, trace.shared.read_only)}</span>
            </p>
            <Transition fallback=move || view! { <Skeleton label=t_string!(i18n, trace.loading_trace) /> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <Header detail list=None can_share=false /> }.into_any(),
                        Err(_) => view! {
                            <div class="mt-8 max-w-lg" data-testid="share-not-found">
                                <h1 class="text-lg font-semibold">{t_string!(i18n, trace.shared.not_shared)}</h1>
                                <p class="mt-1 text-sm text-zinc-500">{t_string!(i18n, trace.shared.not_shared_help)}</p>
                                <a class=format!("{BUTTON_SECONDARY} mt-4") href="/sign-in">{t_string!(i18n, trace.shared.sign_in)}</a>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
            // Outside the Transition, like the trace page's: made inside its `Suspend`, the
            // explorer was built again on every server-side resolve and its hydration ids no
            // longer matched the browser's (`components::session`). A trace that is not shared
            // fails its own load too, and then the explorer shows nothing.
            <div class="mt-6">
                <TraceExplorer project_id=project_id.get_untracked() trace_id=Signal::from(trace_id) selected hide_when_missing=true />
            </div>
        </div>
    }
}

/// A score as a chip; on hover, where it came from, who wrote it and its comment.
#[component]
pub(crate) fn ScoreChip(score: Score, #[prop(default = None)] author: Option<String>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let title = crate::components::annotate::score_tooltip(locale, &score, author.as_deref());
    view! {
        <span class="inline-flex items-center gap-1 rounded border border-zinc-200 px-1.5 py-0.5 text-xs dark:border-zinc-700"
            data-testid="score-chip" data-source=score.source.as_str() title=title>
            <span class="text-zinc-500">{score.name.clone()}</span>
            <span class="font-mono font-medium">{crate::components::annotate::score_value(&score)}</span>
        </span>
    }
}

/// The display name of a score's author among `people`.
pub(crate) fn author_of(score: &Score, people: &[crate::domain::account::Person]) -> Option<String> {
    let id = score.author_user_id.as_deref()?;
    people.iter().find(|p| p.id == id).map(|p| p.name.clone())
}

#[component]
fn Field(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <div>
            <h3 class="text-xs font-semibold uppercase tracking-wide text-zinc-500">{label}</h3>
            <div class="mt-1">{children()}</div>
        </div>
    }
}

/// The selected observation's details, loaded when it is selected. One resource follows the
/// selection, so the previous observation stays on screen while the next loads and moving
/// through the tree with the keyboard does not flash.
#[component]
fn ObservationPanel(project_id: String, trace_id: Signal<String>, selected: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let detail = LocalResource::new(move || {
        let (project_id, trace_id, selected) = (project_id.clone(), trace_id.get(), selected.get());
        async move {
            match selected {
                Some(id) => get_observation(project_id, TraceId::new(trace_id), ObservationId::new(id)).await.map(Some),
                None => Ok(None),
            }
        }
    });
    // While the next observation loads, the resource still holds the previous one. `try_get`:
    // when the page is torn down mid-render (a client that leaves during SSR streaming) the
    // resource is already disposed, and `get` would panic the render thread.
    move || match detail.try_get().flatten() {
        None => view! { <Skeleton label=t_string!(i18n, trace.loading_observation) /> }.into_any(),
        Some(Ok(Some(detail))) => view! { <ObservationBody detail /> }.into_any(),
        Some(Ok(None)) => view! { <p class="px-4 py-6 text-sm text-zinc-500">{t_string!(i18n, trace.select_observation)}</p> }.into_any(),
        Some(Err(error)) => view! { <div class="p-4"><LoadError error /></div> }.into_any(),
    }
}

#[component]
fn ObservationBody(detail: ObservationDetail) -> impl IntoView {
    let o = detail.observation;
    let project = o.project_id.clone();
    let usage: Vec<(String, i64, Option<f64>)> =
        o.usage_details.iter().map(|(k, v)| (k.clone(), *v, o.cost_details.get(k).copied())).collect();
    let costs_only: Vec<(String, f64)> =
        o.cost_details.iter().filter(|(k, _)| !o.usage_details.contains_key(*k)).map(|(k, v)| (k.clone(), *v)).collect();
    let parameters = o.model_parameters.clone().filter(|p| p.as_object().is_some_and(|m| !m.is_empty()));
    let prompt = o.prompt_name.clone().map(|name| {
        let version = o.prompt_version;
        let href = crate::domain::prompts::prompt_href(&project, &name, version.map(crate::domain::prompts::PromptTarget::Version).as_ref());
        (format!("{name}{}", version.map(|v| format!(" v{v}")).unwrap_or_default()), href)
    });
    let kind = o.kind;
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    // A generation can be replayed in the playground by those who may run it there (#18).
    let replay = (kind == crate::domain::ObservationType::Generation
        && crate::components::session::use_session()
            .with(|s| s.and_then(|s| s.project(&project)).is_some_and(|(_, p)| p.can(crate::domain::Action::UsePlayground))))
    .then(|| format!("/project/{project}/playground?observation={}", crate::domain::url::encode_query(&o.id)));
    view! {
        <div class="border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
            <p class="flex items-center gap-2 text-sm font-semibold">
                <span class=format!("rounded px-1 font-mono text-[10px] {}", type_badge(kind)) title=type_name(locale, kind) translate="no">{type_label(kind)}</span>
                <span class="truncate" data-testid="observation-name" translate="no">{o.name.clone().unwrap_or_else(|| "—".into())}</span>
            </p>
            <p class="mt-1 flex items-center gap-2 font-mono text-[11px] text-zinc-500">
                <span>{o.id.clone()}</span><CopyButton text=o.id.clone() label=t_string!(i18n, trace.copy_id) />
            </p>
            <dl class="mt-2 grid grid-cols-2 gap-x-4 gap-y-0.5 text-xs sm:grid-cols-3" data-testid="observation-facts">
                <div><dt class="text-zinc-500">{t!(i18n, trace.facts.start_in_zone, zone = crate::language::time_zone().label())}</dt><dd title=timestamp(o.start_time)>{o.start_time.with_timezone(&crate::language::time_zone().0).format("%H:%M:%S%.3f").to_string()}</dd></div>
                <div><dt class="text-zinc-500">{t_string!(i18n, trace.latency)}</dt>
                    <dd data-testid="observation-latency">{o.latency().map(|l| crate::language::duration_us(locale, (l * 1e6) as i64)).unwrap_or_else(|| td_string!(locale, trace.facts.running).into())}</dd></div>
                {o.time_to_first_token().map(|t| view! {
                    <div><dt class="text-zinc-500">{t_string!(i18n, trace.facts.first_token)}</dt><dd data-testid="observation-ttft">{crate::language::duration_us(locale, (t * 1e6) as i64)}</dd></div>
                })}
                {o.model.clone().map(|m| view! { <div><dt class="text-zinc-500">{t_string!(i18n, trace.facts.model)}</dt><dd class="font-mono" data-testid="observation-model">{m}</dd></div> })}
                {prompt.map(|(label, href)| view! {
                    <div><dt class="text-zinc-500">{t_string!(i18n, trace.facts.prompt)}</dt><dd><a class=BUTTON_LINK href=href data-testid="observation-prompt">{label}</a></dd></div>
                })}
                <div><dt class="text-zinc-500">{t_string!(i18n, trace.facts.level)}</dt><dd data-testid="observation-level">{level_label(locale, o.level)}</dd></div>
            </dl>
            {replay.map(|href| view! { <a class=format!("{BUTTON_SECONDARY} mt-2") href=href data-testid="replay-in-playground">{t_string!(i18n, trace.replay)}</a> })}
            <div class="mt-2" data-testid="observation-annotation">
                <crate::components::queue_picker::AnnotationActions project_id=project.clone()
                    target=crate::domain::annotation::Target::Observation { trace_id: o.trace_id.clone(), observation_id: o.id.clone() } />
                <div class="mt-2">
                    <crate::components::dataset_picker::AddToDataset project_id=project.clone() trace_id=o.trace_id.clone() observation_id=o.id.clone() />
                </div>
            </div>
            {o.status_message.clone().map(|m| view! {
                <p class=format!("mt-2 rounded px-2 py-1 text-xs {}", match o.level {
                    crate::domain::ObservationLevel::Error => "bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-300",
                    crate::domain::ObservationLevel::Warning => "bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
                    _ => "bg-zinc-50 text-zinc-700 dark:bg-zinc-900 dark:text-zinc-300",
                }) data-testid="observation-status">{m}</p>
            })}
        </div>
        <div class="space-y-4 px-4 py-3 text-sm">
            <Field label=t_string!(i18n, trace.input)><ContentView value=o.input.clone() testid="observation-input" /></Field>
            <Field label=t_string!(i18n, trace.output)><ContentView value=o.output.clone() testid="observation-output" /></Field>
            {(!usage.is_empty() || !costs_only.is_empty() || o.total_cost.is_some()).then(|| view! {
                <Field label=t_string!(i18n, trace.usage.title)>
                    <div class="overflow-x-auto">
                        <table class="w-full text-xs" data-testid="observation-usage">
                            <thead><tr class="text-left text-zinc-500"><th class="font-normal">{t_string!(i18n, trace.usage.kind)}</th><th class="text-right font-normal">{t_string!(i18n, trace.usage.units)}</th><th class="text-right font-normal">{t_string!(i18n, trace.cost)}</th></tr></thead>
                            <tbody class="font-mono">
                                {usage.into_iter().map(|(k, units, cost)| view! {
                                    <tr><td class="font-sans">{k}</td><td class="text-right">{units}</td><td class="text-right">{cost.map(format_cost).unwrap_or_default()}</td></tr>
                                }).collect_view()}
                                {costs_only.into_iter().map(|(k, cost)| view! {
                                    <tr><td class="font-sans">{k}</td><td></td><td class="text-right">{format_cost(cost)}</td></tr>
                                }).collect_view()}
                                {o.total_cost.map(|c| view! {
                                    <tr class="border-t border-zinc-200 dark:border-zinc-800"><td class="font-sans font-medium">{t_string!(i18n, trace.usage.total_cost)}</td><td></td>
                                        <td class="text-right font-medium" data-testid="observation-cost">{format_cost(c)}</td></tr>
                                })}
                            </tbody>
                        </table>
                    </div>
                    {o.usage_pricing_tier_name.clone().map(|tier| view! { <p class=HINT>{td_string!(locale, trace.usage.priced_with_tier, tier = tier).to_string()}</p> })}
                </Field>
            })}
            {parameters.map(|p| view! { <Field label=t_string!(i18n, trace.model_parameters)><ContentView value=Some(p) testid="observation-parameters" /></Field> })}
            {(o.metadata.as_object().is_some_and(|m| !m.is_empty())).then(|| view! {
                <Field label=t_string!(i18n, trace.metadata)><ContentView value=Some(o.metadata.clone()) testid="observation-metadata" /></Field>
            })}
            {(!detail.attributes.is_empty()).then(|| {
                let rows = detail.attributes.clone();
                view! {
                    <details class="rounded border border-zinc-200 dark:border-zinc-800" data-testid="mapping-inspector">
                        <summary class="cursor-pointer px-3 py-2 text-xs font-semibold uppercase tracking-wide text-zinc-500">
                            {td_string!(locale, trace.otel_attributes, count = rows.len()).to_string()}
                        </summary>
                        <div class="border-t border-zinc-200 p-2 dark:border-zinc-800"><OtelInspector rows /></div>
                    </details>
                }
            })}
            <Field label=t_string!(i18n, trace.scores)>
                {if detail.scores.is_empty() {
                    view! { <p class="text-xs text-zinc-500" data-testid="observation-no-scores">{t_string!(i18n, trace.no_scores)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="space-y-1" data-testid="observation-scores">
                            {detail.scores.into_iter().map(|s| {
                                let comment = s.comment.clone();
                                let author = author_of(&s, &detail.score_authors);
                                let source = match &author {
                                    Some(name) => format!("{} · {}", crate::components::annotate::source_label(locale, s.source), td_string!(locale, annotation.by_author, name = name.clone())),
                                    None => crate::components::annotate::source_label(locale, s.source).to_string(),
                                };
                                view! {
                                    <li class="text-xs">
                                        <ScoreChip score=s author=author.clone() />
                                        <span class="ml-2 text-zinc-500">{source}</span>
                                        {comment.map(|c| view! { <p class="mt-0.5 whitespace-pre-wrap text-zinc-600 dark:text-zinc-400" data-testid="score-comment">{c}</p> })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </Field>
            <crate::components::comments::Comments project_id=project.clone() object_type=crate::domain::comments::ObjectType::Observation object_id=o.id.clone() />
        </div>
    }
}

/// An observation's level in the page's language (the English is the stored spelling, `ERROR`).
fn level_label(locale: Locale, level: ObservationLevel) -> &'static str {
    match level {
        ObservationLevel::Debug => td_string!(locale, trace.levels.debug),
        ObservationLevel::Default => td_string!(locale, trace.levels.default),
        ObservationLevel::Warning => td_string!(locale, trace.levels.warning),
        ObservationLevel::Error => td_string!(locale, trace.levels.error),
    }
}
