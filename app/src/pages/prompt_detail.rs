//! One prompt (`/project/{id}/prompts/<name…>`, names may hold `/`): its versions as a timeline,
//! the selected version rendered (`components::prompt_view`), its variables, config, labels and
//! SDK snippet; moving a label onto it (with a confirmation that shows the diff against the
//! version holding the label now), removing labels, comparing two versions, per-version metrics
//! of the linked generations, the project's protected labels, and the prompts that use this one.
//!
//! The URL holds the view: `?version=N` (default: the `production` version, else the newest),
//! `?label=L` (the version holding L, for reference links), `?compare=M` (diff M → N),
//! `?tab=metrics`. Selecting only changes the query; the history is loaded once per name and
//! reloaded after each change made here. Diffs are computed in the browser from the versions
//! already loaded (`domain::prompt_diff`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::server_fns::prompts::{get_prompt_history, get_prompt_metrics, resolve_prompt_version, DeletePrompt, SetPromptLabel, SetProtectedPromptLabels};
use crate::components::icons::LockIcon;
use crate::components::prompt_diff::PromptDiffView;
use crate::components::prompt_view::{PromptBodyView, VARIABLE};
use crate::domain::prompts::prompt_href;
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::prompt_diff::diff;
use crate::domain::prompts::{
    check_assignable_labels, PromptHistory, PromptTarget, PromptType, PromptVersion, PromptVersionMetrics, LATEST, PRODUCTION,
};
use crate::domain::Action;
use crate::error::AppError;
use crate::pages::organization::confirm;
use crate::pages::project::InProject;
use crate::pages::prompts::{label_chip, tag_chip, type_badge, ListPlace};

#[component]
pub fn PromptPage() -> impl IntoView {
    // The history resource is created here, at the top of the route, not inside the project's
    // Transition: a resource first created while the server streams an out-of-order chunk was
    // now and then rendered as its fallback for good (about one load in six), and the hydrating
    // client, which has the data, then failed to hydrate.
    let params = use_params_map();
    let project_id = Memo::new(move |_| params.with(|p| p.get("project_id").unwrap_or_default()));
    let name = Memo::new(move |_| params.with(|p| p.get("name").unwrap_or_default().trim_matches('/').to_string()));
    // Every change made on this page reloads the history (labels, versions, protected labels).
    let set_label = ServerAction::<SetPromptLabel>::new();
    let delete = ServerAction::<DeletePrompt>::new();
    let protect = ServerAction::<SetProtectedPromptLabels>::new();
    let history = Resource::new(
        move || (project_id.get(), name.get(), set_label.version().get(), delete.version().get(), protect.version().get()),
        move |(project_id, name, _, _, _)| get_prompt_history(project_id, name),
    );
    // The metrics tab's numbers, loaded only while it is open (same reason to live up here).
    let query = use_query_map();
    let metrics_open = Memo::new(move |_| query.with(|q| q.get_str("tab") == Some("metrics")));
    let metrics = Resource::new(
        move || (project_id.get(), name.get(), metrics_open.get()),
        |(project_id, name, open)| async move {
            if open { get_prompt_metrics(project_id, name).await.map(Some) } else { Ok(None) }
        },
    );
    let actions = Actions { set_label, delete, protect, metrics };
    view! {
        <Title text="Prompt" />
        <InProject children=move |_, project| view! { <PromptDetail project name history actions /> } />
    }
}

/// The version the page shows: `?version=N` when it exists, else the holder of `?label=L`, else
/// the `production` version, else the newest.
pub fn selected_version(history: &PromptHistory, version: Option<&str>, label: Option<&str>) -> Option<i32> {
    version
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|v| history.version(*v).is_some())
        .or_else(|| label.and_then(|l| history.holder(l)).map(|v| v.version))
        .or_else(|| history.holder(PRODUCTION).map(|v| v.version))
        .or_else(|| history.versions.first().map(|v| v.version))
}

/// Where the page's query goes: selected version, compared version, tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct View {
    version: Option<i32>,
    compare: Option<i32>,
    metrics: bool,
}

impl View {
    fn href(&self, base: &str) -> String {
        let mut parts = Vec::new();
        if let Some(v) = self.version {
            parts.push(format!("version={v}"));
        }
        if let Some(c) = self.compare {
            parts.push(format!("compare={c}"));
        }
        if self.metrics {
            parts.push("tab=metrics".to_string());
        }
        if parts.is_empty() { base.to_string() } else { format!("{base}?{}", parts.join("&")) }
    }
}

#[component]
fn PromptDetail(
    project: ProjectRef,
    name: Memo<String>,
    history: Resource<Result<PromptHistory, AppError>>,
    actions: Actions,
) -> impl IntoView {
    let project_id = project.id.clone();
    let list = format!("/project/{project_id}/prompts");
    let can_write = project.can(Action::WritePrompts);
    view! {
        <div class="px-8 py-6">
            <FolderCrumbs list=list.clone() name />
            <Transition fallback=|| view! { <Skeleton label="Loading the prompt" /> }>
                {move || {
                    let (project_id, list) = (project_id.clone(), list.clone());
                    Suspend::new(async move {
                        match history.await {
                            Ok(history) => view! { <Loaded history project_id actions can_write /> }.into_any(),
                            Err(AppError::NotFound(_)) => view! {
                                <div class="mt-6 max-w-lg" data-testid="prompt-not-found">
                                    <h1 class="text-lg font-semibold">"No such prompt"</h1>
                                    <p class="mt-1 text-sm text-zinc-500">{format!("This project has no prompt named “{}” (any more).", name.get_untracked())}</p>
                                    <a class=format!("{BUTTON_SECONDARY} mt-4") href=list>"All prompts"</a>
                                </div>
                            }.into_any(),
                            Err(error) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </div>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    set_label: ServerAction<SetPromptLabel>,
    delete: ServerAction<DeletePrompt>,
    protect: ServerAction<SetProtectedPromptLabels>,
    /// The metrics tab's data (`None` while the tab is closed).
    metrics: Resource<Result<Option<Vec<PromptVersionMetrics>>, AppError>>,
}

/// "Prompts / team / reviewer": the folders of the name link to the list at that folder.
#[component]
fn FolderCrumbs(list: String, name: Memo<String>) -> impl IntoView {
    move || {
        let name = name.get();
        let parts: Vec<&str> = name.split('/').collect();
        let mut path = String::new();
        let folders = parts[..parts.len().saturating_sub(1)]
            .iter()
            .map(|part| {
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(part);
                let href = format!("{list}{}", ListPlace { folder: path.clone(), ..Default::default() }.to_search());
                view! { <span class="text-zinc-400">" / "</span><a class=BUTTON_LINK href=href>{part.to_string()}</a> }
            })
            .collect_view();
        view! {
            <nav class="text-sm" aria-label="Folder" data-testid="prompt-crumbs">
                <a class=BUTTON_LINK href=list.clone()>"← Prompts"</a>{folders}
            </nav>
        }
    }
}

#[component]
fn Loaded(history: PromptHistory, project_id: String, actions: Actions, can_write: bool) -> impl IntoView {
    let query = use_query_map();
    let history = StoredValue::new(history);
    let base = StoredValue::new(history.with_value(|h| prompt_href(&project_id, &h.name, None)));
    let selected = Memo::new(move |_| {
        query.with(|q| history.with_value(|h| selected_version(h, q.get_str("version"), q.get_str("label"))))
    });
    let compare = Memo::new(move |_| {
        let current = selected.get();
        query.with(|q| q.get_str("compare").and_then(|c| c.parse::<i32>().ok()))
            .filter(|c| Some(*c) != current && history.with_value(|h| h.version(*c).is_some()))
    });
    let metrics_tab = Memo::new(move |_| query.with(|q| q.get_str("tab") == Some("metrics")));
    let view_of = move |version: Option<i32>, compare: Option<i32>, metrics: bool| View { version, compare, metrics }.href(&base.get_value());

    let (name, latest) = history.with_value(|h| (h.name.clone(), h.versions.first().cloned()));
    let chat = latest.as_ref().is_some_and(|v| v.prompt_type == PromptType::Chat);
    let tags = latest.as_ref().map(|v| v.tags.clone()).unwrap_or_default();
    let new_version = format!("/project/{project_id}/prompts/new?name={}", encode_query(&name));
    let duplicate = {
        let name = name.clone();
        let project_id = project_id.clone();
        move || {
            let version = selected.get().map(|v| format!("&version={v}")).unwrap_or_default();
            format!("/project/{project_id}/prompts/new?from={}{version}", encode_query(&name))
        }
    };
    let pid = StoredValue::new(project_id.clone());
    view! {
        <div class="mt-3 flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                <h1 class="flex flex-wrap items-center gap-2 text-xl font-semibold tracking-tight">
                    <span class="break-all" data-testid="prompt-name">{name.clone()}</span>
                    {type_badge(chat)}
                </h1>
                {(!tags.is_empty()).then(|| view! {
                    <div class="mt-2 flex flex-wrap gap-1" data-testid="prompt-tags">{tags.iter().map(|t| tag_chip(t)).collect_view()}</div>
                })}
            </div>
            {can_write.then(|| view! {
                <div class="flex flex-wrap items-center gap-2">
                    <a class=BUTTON_PRIMARY href=new_version data-testid="new-version">"New version"</a>
                    <a class=BUTTON_SECONDARY href=duplicate data-testid="duplicate-prompt">"Duplicate"</a>
                    <DeleteMenu project_id=project_id.clone() name=name.clone() selected actions />
                </div>
            })}
        </div>
        <div class="mt-2"><ErrorAlert error=action_error(actions.delete) /></div>
        <nav class="mt-4 flex gap-4 border-b border-zinc-200 text-sm dark:border-zinc-800" aria-label="Prompt views">
            <a href=move || view_of(selected.get(), None, false) data-testid="tab-versions"
                aria-current=move || (!metrics_tab.get()).then_some("page")
                class=move || tab_class(!metrics_tab.get())>"Versions"</a>
            <a href=move || view_of(selected.get(), None, true) data-testid="tab-metrics"
                aria-current=move || metrics_tab.get().then_some("page")
                class=move || tab_class(metrics_tab.get())>"Metrics"</a>
        </nav>
        {move || if metrics_tab.get() {
            view! { <MetricsTab metrics=actions.metrics /> }.into_any()
        } else {
            view! {
                <div class="mt-4 grid gap-6 lg:grid-cols-[18rem_minmax(0,1fr)]">
                    <aside class="space-y-4">
                        <Timeline history selected view_of />
                        <UsedBy history project_id=pid.get_value() />
                    </aside>
                    <div class="min-w-0">
                        {move || {
                            let version = selected.get().and_then(|v| history.with_value(|h| h.version(v).cloned()));
                            version.map(|version| view! {
                                <VersionPanel project_id=pid.get_value() history version compare=compare.get() actions can_write view_of />
                            })
                        }}
                    </div>
                </div>
            }.into_any()
        }}
    }
}

fn tab_class(active: bool) -> &'static str {
    if active {
        "-mb-px border-b-2 border-indigo-600 px-1 pb-2 font-medium text-indigo-700 dark:text-indigo-300"
    } else {
        "-mb-px border-b-2 border-transparent px-1 pb-2 text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100"
    }
}

/// Delete the selected version, or the whole prompt; both ask first. The server refuses while
/// another prompt references what would go (its message is shown).
#[component]
fn DeleteMenu(project_id: String, name: String, selected: Memo<Option<i32>>, actions: Actions) -> impl IntoView {
    let navigate = use_navigate();
    let whole = RwSignal::new(false);
    let list = format!("/project/{project_id}/prompts");
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.delete.value().get() {
            if whole.get_untracked() {
                navigate(&list, Default::default());
            }
        }
    });
    let (pid, n) = (project_id.clone(), name.clone());
    let delete_version = move |_| {
        let Some(version) = selected.get_untracked() else { return };
        if confirm(&format!("Delete version {version} of {n}? Its labels go with it; this cannot be undone.")) {
            whole.set(false);
            actions.delete.dispatch(DeletePrompt { project_id: pid.clone(), name: n.clone(), version: Some(version) });
        }
    };
    let delete_all = move |_| {
        if confirm(&format!("Delete the prompt {name} with all its versions? SDKs fetching it will fall back or fail. This cannot be undone.")) {
            whole.set(true);
            actions.delete.dispatch(DeletePrompt { project_id: project_id.clone(), name: name.clone(), version: None });
        }
    };
    view! {
        <details class="relative" data-testid="delete-menu">
            <summary class=format!("{BUTTON_SECONDARY} cursor-pointer list-none text-red-700 dark:text-red-400")>"Delete…"</summary>
            <div class="absolute right-0 z-10 mt-1 w-56 rounded-md border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-700 dark:bg-zinc-900">
                <button type="button" class="block w-full rounded px-3 py-1.5 text-left text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800" data-testid="delete-version"
                    disabled=move || actions.delete.pending().get() on:click=delete_version>
                    {move || format!("Delete version {}", selected.get().unwrap_or_default())}
                </button>
                <button type="button" class="block w-full rounded px-3 py-1.5 text-left text-sm text-red-700 hover:bg-red-50 dark:text-red-400 dark:hover:bg-red-950" data-testid="delete-prompt"
                    disabled=move || actions.delete.pending().get() on:click=delete_all>"Delete the whole prompt"</button>
            </div>
        </details>
    }
}

/// The versions, newest first: number, labels, commit message, author, date.
#[component]
fn Timeline<F>(history: StoredValue<PromptHistory>, selected: Memo<Option<i32>>, view_of: F) -> impl IntoView
where
    F: Fn(Option<i32>, Option<i32>, bool) -> String + Copy + Send + Sync + 'static,
{
    let now = chrono::Utc::now();
    let items = history.with_value(|h| h.versions.clone()).into_iter().map(|v| {
        let number = v.version;
        let author = author(&v);
        let message = v.commit_message.clone();
        let active = move || selected.get() == Some(number);
        view! {
            <li>
                <a href=view_of(Some(number), None, false) data-testid="timeline-version" data-version=number
                    aria-current=move || active().then_some("true")
                    class=move || format!("block rounded-md border px-3 py-2 text-sm {}", if active() {
                        "border-indigo-400 bg-indigo-50 dark:border-indigo-700 dark:bg-indigo-950/50"
                    } else {
                        "border-transparent hover:border-zinc-200 hover:bg-zinc-50 dark:hover:border-zinc-800 dark:hover:bg-zinc-900"
                    })>
                    <div class="flex flex-wrap items-center gap-1">
                        <span class="font-mono font-semibold">{format!("v{number}")}</span>
                        {v.labels.iter().map(|l| label_chip(l)).collect_view()}
                    </div>
                    {message.map(|m| view! { <p class="mt-1 line-clamp-2 text-xs text-zinc-700 dark:text-zinc-300" data-testid="timeline-message">{m}</p> })}
                    <p class="mt-1 text-xs text-zinc-500" title=timestamp(v.created_at)>{format!("{author} · {}", relative_time(v.created_at, now))}</p>
                </a>
            </li>
        }
    }).collect_view();
    view! {
        <section class=CARD aria-label="Versions">
            <h2 class="border-b border-zinc-200 px-3 py-2 text-sm font-semibold dark:border-zinc-800">
                {format!("Versions ({})", history.with_value(|h| h.versions.len()))}
            </h2>
            <ol class="space-y-1 p-1" data-testid="timeline">{items}</ol>
        </section>
    }
}

fn author(v: &PromptVersion) -> String {
    match (&v.author, v.created_by.as_str()) {
        (Some(a), _) => a.clone(),
        (None, "API") => "API key".to_string(),
        (None, other) => other.to_string(),
    }
}

/// Prompts whose reference tags point at this one.
#[component]
fn UsedBy(history: StoredValue<PromptHistory>, project_id: String) -> impl IntoView {
    let dependents = history.with_value(|h| h.dependents.clone());
    view! {
        <section class=CARD data-testid="used-by">
            <h2 class="border-b border-zinc-200 px-3 py-2 text-sm font-semibold dark:border-zinc-800">"Used by"</h2>
            {if dependents.is_empty() {
                view! { <p class="px-3 py-2 text-xs text-zinc-500">"No other prompt references this one."</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-zinc-100 text-sm dark:divide-zinc-800">
                        {dependents.into_iter().map(|d| {
                            let target = match &d.target {
                                PromptTarget::Label(l) => format!("label {l}"),
                                PromptTarget::Version(v) => format!("version {v}"),
                            };
                            view! {
                                <li class="px-3 py-1.5" data-testid="dependent">
                                    <a class=BUTTON_LINK href=prompt_href(&project_id, &d.name, Some(&PromptTarget::Version(d.version)))>{format!("{} v{}", d.name, d.version)}</a>
                                    <span class="ml-1 text-xs text-zinc-500">{format!("→ {target}")}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The selected version: a comparison, or its content (resolved or as written), variables,
/// config, commit, labels and the SDK snippet.
#[component]
fn VersionPanel<F>(
    project_id: String,
    history: StoredValue<PromptHistory>,
    version: PromptVersion,
    compare: Option<i32>,
    actions: Actions,
    can_write: bool,
    view_of: F,
) -> impl IntoView
where
    F: Fn(Option<i32>, Option<i32>, bool) -> String + Copy + Send + Sync + 'static,
{
    let navigate = use_navigate();
    let number = version.version;
    let has_references = !version.prompt.references().is_empty();
    let resolved = RwSignal::new(false);
    let others: Vec<i32> = history.with_value(|h| h.versions.iter().map(|v| v.version).filter(|v| *v != number).collect());
    let comparison = compare.and_then(|c| history.with_value(|h| h.version(c).cloned())).map(|old| {
        let d = diff(&old.prompt, &old.config, &version.prompt, &version.config);
        view! {
            <div class=format!("{CARD} mt-3 p-3")>
                <PromptDiffView diff=d from=format!("v{}", old.version) to=format!("v{number}") />
            </div>
        }
    });
    let body = version.prompt.clone();
    let pid = project_id.clone();
    let name = version.name.clone();
    let content = move || {
        if resolved.get() {
            view! { <Resolved project_id=pid.clone() name=name.clone() version=number /> }.into_any()
        } else {
            view! { <PromptBodyView project_id=pid.clone() body=body.clone() /> }.into_any()
        }
    };
    let variables = version.prompt.variables();
    let placeholders: Vec<String> = version.prompt.placeholders().into_iter().map(String::from).collect();
    let config = version.config.as_object().is_some_and(|m| !m.is_empty()).then(|| serde_json::to_string_pretty(&version.config).unwrap_or_default());
    let now = chrono::Utc::now();
    let byline = format!("{} · {}", author(&version), relative_time(version.created_at, now));
    let commit = version.commit_message.clone().unwrap_or_else(|| "No commit message".into());
    let created = timestamp(version.created_at);
    let chips = version.labels.iter().map(|l| label_chip(l)).collect_view();
    let labels = view! { <Labels project_id=project_id.clone() history version=version.clone() actions can_write /> };
    let snippet = view! { <Snippet name=version.name.clone() version=number labels=version.labels.clone() variables=version.prompt.variables() /> };
    view! {
        <section data-testid="version-panel" data-version=number>
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 class="flex flex-wrap items-center gap-2 text-lg font-semibold">
                    <span data-testid="selected-version">{format!("Version {number}")}</span>
                    {chips}
                </h2>
                <div class="flex flex-wrap items-center gap-3">
                    {(has_references && compare.is_none()).then(|| view! {
                        <label class="flex items-center gap-1.5 text-sm" title="Show the text with prompt references replaced, as the SDKs receive it">
                            <input type="checkbox" data-testid="resolved-toggle" prop:checked=move || resolved.get()
                                on:change=move |ev| resolved.set(event_target_checked(&ev)) />
                            "Resolved"
                        </label>
                    })}
                    <label class="flex items-center gap-1.5 text-sm">
                        <span class="text-zinc-500">"Compare with"</span>
                        <select class=SELECT data-testid="compare-select" on:change=move |ev| {
                            let value = event_target_value(&ev).parse::<i32>().ok();
                            navigate(&view_of(Some(number), value, false), Default::default());
                        }>
                            <option value="" selected=compare.is_none()>"—"</option>
                            {others.into_iter().map(|v| view! { <option value=v.to_string() selected=compare == Some(v)>{format!("v{v}")}</option> }).collect_view()}
                        </select>
                    </label>
                    {compare.map(|_| view! { <a class=BUTTON_LINK href=view_of(Some(number), None, false) data-testid="close-compare">"Close comparison"</a> })}
                </div>
            </div>
            {match comparison {
                Some(c) => c.into_any(),
                None => view! { <div class="mt-3">{content}</div> }.into_any(),
            }}
            <div class="mt-5 grid gap-4 md:grid-cols-2">
                <Facts title="Variables">
                    {if variables.is_empty() && placeholders.is_empty() {
                        view! { <p class="text-xs text-zinc-500">"None: the prompt is used as written."</p> }.into_any()
                    } else {
                        view! {
                            <div class="flex flex-wrap gap-1" data-testid="variables">
                                {variables.into_iter().map(|v| view! { <code class=format!("{VARIABLE} text-xs") data-testid="variable-name">{v}</code> }).collect_view()}
                                {placeholders.into_iter().map(|p| view! {
                                    <code class="rounded border border-dashed border-zinc-400 px-1 text-xs" data-testid="placeholder-name" title="placeholder: a list of messages">{format!("[{p}]")}</code>
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }}
                </Facts>
                <Facts title="Commit">
                    <p class="text-sm" data-testid="commit-message">{commit}</p>
                    <p class="mt-1 text-xs text-zinc-500" title=created>{byline}</p>
                </Facts>
                <Facts title="Config">
                    {match config {
                        Some(json) => view! { <pre class="overflow-x-auto rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900" data-testid="prompt-config">{json}</pre> }.into_any(),
                        None => view! { <p class="text-xs text-zinc-500">"No config."</p> }.into_any(),
                    }}
                </Facts>
                <Facts title="Use it">
                    {snippet}
                </Facts>
            </div>
            {labels}
        </section>
    }
}

#[component]
fn Facts(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class=format!("{CARD} px-3 py-2")>
            <h3 class="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">{title}</h3>
            {children()}
        </div>
    }
}

/// The selected version with its prompt references replaced, loaded when asked for.
#[component]
fn Resolved(project_id: String, name: String, version: i32) -> impl IntoView {
    let pid = project_id.clone();
    let resolved = LocalResource::new(move || resolve_prompt_version(pid.clone(), name.clone(), version));
    move || match resolved.get() {
        None => view! { <Skeleton label="Resolving references" /> }.into_any(),
        Some(Ok(v)) => view! { <div data-testid="resolved-body"><PromptBodyView project_id=project_id.clone() body=v.prompt /></div> }.into_any(),
        Some(Err(error)) => view! { <LoadError error /> }.into_any(),
    }
}

/// A Python string literal (JSON's escapes are valid Python).
fn py(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// How the SDK fetches this version (and, when it has one, by its first label).
#[component]
fn Snippet(name: String, version: i32, labels: Vec<String>, variables: Vec<String>) -> impl IntoView {
    let label = labels.iter().find(|l| *l != LATEST).or(labels.first()).cloned();
    let mut text = format!("prompt = langfuse.get_prompt({}, version={version})\n", py(&name));
    if let Some(label) = label {
        text.push_str(&format!("# or by label, as production code does:\nprompt = langfuse.get_prompt({}, label={})\n", py(&name), py(&label)));
    }
    let args = variables.iter().map(|v| format!("{v}=\"…\"")).collect::<Vec<_>>().join(", ");
    text.push_str(&format!("compiled = prompt.compile({args})"));
    view! {
        <pre class="overflow-x-auto rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900" data-testid="sdk-snippet">{text.clone()}</pre>
        <div class="mt-1"><CopyButton text=text label="Copy" /></div>
    }
}

/// Labels of the selected version: remove one, move one here (with a confirmation showing the
/// diff against its current holder), and the project's protected labels.
#[component]
fn Labels(project_id: String, history: StoredValue<PromptHistory>, version: PromptVersion, actions: Actions, can_write: bool) -> impl IntoView {
    let number = version.version;
    let (can_move_protected, protected) = history.with_value(|h| (h.can_move_protected, h.protected_labels.clone()));
    let is_protected = move |label: &str| history.with_value(|h| h.is_protected(label));
    let locked = move |label: &str| is_protected(label) && !can_move_protected;
    const ONLY_ADMINS: &str = "Only Admins and Owners may move protected labels";
    let pid = StoredValue::new(project_id.clone());
    let name = StoredValue::new(version.name.clone());
    let chips = version.labels.iter().map(|label| {
        let label = label.clone();
        let removable = can_write && label != LATEST;
        let lock = is_protected(&label).then(|| view! { <span title="Protected label" data-testid="lock"><LockIcon /><span class="sr-only">"protected"</span></span> });
        let remove = removable.then(|| {
            let l = label.clone();
            let disabled = locked(&label);
            view! {
                <button type="button" class="ml-1 text-zinc-500 hover:text-red-600 disabled:cursor-not-allowed disabled:opacity-40"
                    aria-label=format!("Remove label {label}") data-testid="remove-label" title=if disabled { ONLY_ADMINS.to_string() } else { format!("Remove {label} from this version") }
                    disabled=disabled
                    on:click=move |_| {
                        if confirm(&format!("Remove the label {l} from version {number}? SDKs asking for {l} will get nothing (or their fallback).")) {
                            actions.set_label.dispatch(SetPromptLabel { project_id: pid.get_value(), name: name.get_value(), version: number, label: l.clone(), remove: true });
                        }
                    }>"×"</button>
            }
        });
        view! {
            <li class="inline-flex items-center gap-0.5 rounded-full border border-zinc-300 px-2 py-0.5 text-xs dark:border-zinc-700" data-testid="version-label" data-label=label.clone()>
                {lock}<span class="ml-0.5">{label.clone()}</span>{remove}
            </li>
        }
    }).collect_view();
    view! {
        <section class=format!("{CARD} mt-4 px-3 py-3") data-testid="labels">
            <h3 class="text-xs font-semibold uppercase tracking-wide text-zinc-500">"Labels"</h3>
            <p class=HINT>"The SDKs fetch a prompt by label (production when none is named); each label is on one version at a time. latest always follows the newest version."</p>
            <ul class="mt-2 flex flex-wrap gap-1">{chips}</ul>
            <div class="mt-2"><ErrorAlert error=action_error(actions.set_label) /></div>
            {can_write.then(|| view! { <MoveLabel history version=version.clone() actions locked=Callback::new(move |l: String| locked(&l)) is_protected=Callback::new(move |l: String| is_protected(&l)) /> })}
            <ProtectedLabels project_id protected can_edit=can_move_protected actions />
        </section>
    }
}

/// "Move label here": production, staging, a label some version has, or a new one (checked as
/// typed with the server's rule). Protected labels are locked for Members.
#[component]
fn MoveLabel(
    history: StoredValue<PromptHistory>,
    version: PromptVersion,
    actions: Actions,
    locked: Callback<String, bool>,
    is_protected: Callback<String, bool>,
) -> impl IntoView {
    let number = version.version;
    let mut choices: Vec<String> = vec![PRODUCTION.into(), "staging".into()];
    history.with_value(|h| {
        for v in &h.versions {
            for l in &v.labels {
                if !choices.contains(l) && l != LATEST {
                    choices.push(l.clone());
                }
            }
        }
    });
    choices.retain(|l| !version.has_label(l));
    let choice = RwSignal::new(choices.iter().find(|l| !locked.run((*l).clone())).cloned().unwrap_or_else(|| "__new".to_string()));
    let typed = RwSignal::new(String::new());
    let label = Memo::new(move |_| if choice.get() == "__new" { typed.get().trim().to_string() } else { choice.get() });
    let current = version.labels.clone();
    let problem = Memo::new(move |_| {
        let l = label.get();
        if l.is_empty() {
            return Some("Type a label".to_string());
        }
        if let Err(e) = check_assignable_labels(std::slice::from_ref(&l)) {
            return Some(e.message);
        }
        if current.contains(&l) {
            return Some(format!("Version {number} already has {l}"));
        }
        locked.run(l).then(|| "Only Admins and Owners may move protected labels".to_string())
    });
    let pending = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.set_label.value().get() {
            pending.set(None);
        }
    });
    view! {
        <form class="mt-3 flex flex-wrap items-end gap-2" data-testid="move-label-form" on:submit=move |ev| {
            ev.prevent_default();
            if problem.get_untracked().is_none() {
                pending.set(Some(label.get_untracked()));
            }
        }>
            <div>
                <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="move-label">"Move label here"</label>
                <select id="move-label" class=format!("{SELECT} mt-1") data-testid="move-label-select" prop:value=move || choice.get()
                    on:change=move |ev| choice.set(event_target_value(&ev))>
                    {choices.into_iter().map(|l| {
                        let disabled = locked.run(l.clone());
                        // An <option> holds text only: the lock is spelled out.
                        let shown = if is_protected.run(l.clone()) { format!("{l} (protected)") } else { l.clone() };
                        view! {
                            <option value=l.clone() disabled=disabled title=disabled.then_some("Only Admins and Owners may move protected labels")
                                selected=move || choice.get() == l>{shown}</option>
                        }
                    }).collect_view()}
                    <option value="__new" selected=move || choice.get() == "__new">"New label…"</option>
                </select>
            </div>
            <Show when=move || choice.get() == "__new">
                <div>
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="new-label">"New label"</label>
                    <input id="new-label" class=format!("{INPUT} mt-1 w-44") placeholder="e.g. canary" data-testid="new-label" autocomplete="off"
                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))
                        aria-invalid=move || problem.get().is_some().to_string() />
                </div>
            </Show>
            <button type="submit" class=BUTTON_SECONDARY data-testid="move-label" disabled=move || problem.get().is_some()>"Move…"</button>
            {move || problem.get().filter(|_| choice.get() == "__new" && !typed.get().is_empty()).map(|p| view! {
                <p class="w-full text-xs text-red-700 dark:text-red-400" role="alert" data-testid="label-problem">{p}</p>
            })}
        </form>
        {move || pending.get().map(|label| view! { <MoveDialog history version=version.clone() label pending actions /> })}
    }
}

/// The confirmation of a label move: which version holds it now, and how that version differs
/// from this one.
#[component]
fn MoveDialog(history: StoredValue<PromptHistory>, version: PromptVersion, label: String, pending: RwSignal<Option<String>>, actions: Actions) -> impl IntoView {
    let number = version.version;
    let holder = history.with_value(|h| h.holder(&label).cloned());
    let holder_text = match &holder {
        Some(h) => format!("{label} is on version {} now. Changes from that version to version {number}:", h.version),
        None => format!("No version has {label} yet."),
    };
    let comparison = holder.filter(|h| h.version != number).map(|h| {
        let d = diff(&h.prompt, &h.config, &version.prompt, &version.config);
        view! { <PromptDiffView diff=d from=format!("v{}", h.version) to=format!("v{number}") /> }
    });
    let (project_id, name) = (version.project_id.clone(), version.name.clone());
    let l = label.clone();
    let confirm_move = move |_| {
        actions.set_label.dispatch(SetPromptLabel { project_id: project_id.clone(), name: name.clone(), version: number, label: l.clone(), remove: false });
    };
    view! {
        <div class="fixed inset-0 z-50 flex items-start justify-center overflow-y-auto bg-black/40 p-4 sm:p-10"
            on:keydown=move |ev| if ev.key() == "Escape" { pending.set(None) }>
            <div role="dialog" aria-modal="true" aria-labelledby="move-label-title" data-testid="move-label-dialog"
                class="w-full max-w-3xl rounded-lg border border-zinc-200 bg-white p-5 shadow-xl dark:border-zinc-800 dark:bg-zinc-950">
                <h2 id="move-label-title" class="text-lg font-semibold">{format!("Move {label} to version {number}?")}</h2>
                <p class="mt-1 text-sm text-zinc-600 dark:text-zinc-300" data-testid="move-label-holder">{holder_text}</p>
                <div class="mt-3 max-h-[50vh] overflow-y-auto">{comparison}</div>
                <div class="mt-2"><ErrorAlert error=action_error(actions.set_label) /></div>
                <div class="mt-4 flex justify-end gap-2">
                    <button type="button" class=BUTTON_SECONDARY data-testid="cancel-move" on:click=move |_| pending.set(None)>"Cancel"</button>
                    <button type="button" class=BUTTON_PRIMARY data-testid="confirm-move" autofocus=true
                        disabled=move || actions.set_label.pending().get() on:click=confirm_move>{format!("Move {label}")}</button>
                </div>
            </div>
        </div>
    }
}

/// The project's protected labels: shown to everyone, edited by Admins and Owners.
#[component]
fn ProtectedLabels(project_id: String, protected: Vec<String>, can_edit: bool, actions: Actions) -> impl IntoView {
    let draft = RwSignal::new(protected.join(", "));
    let shown = if protected.is_empty() { "none".to_string() } else { protected.join(", ") };
    view! {
        <details class="mt-3 text-sm" data-testid="protected-labels">
            <summary class="cursor-pointer text-xs text-zinc-500">
                <span class="inline-flex items-center gap-1"><LockIcon />{format!("Protected labels in this project: {shown}")}</span>
            </summary>
            <p class=HINT>"Protected labels can be moved or removed only by Admins and Owners, so a Member cannot change what production serves."</p>
            {if can_edit {
                view! {
                    <form class="mt-2 flex flex-wrap items-end gap-2" on:submit=move |ev| {
                        ev.prevent_default();
                        let labels = draft.get_untracked().split(',').map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
                        actions.protect.dispatch(SetProtectedPromptLabels { project_id: project_id.clone(), labels });
                    }>
                        <div>
                            <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="protected-input">"Labels, comma separated"</label>
                            <input id="protected-input" class=format!("{INPUT} mt-1 w-72") data-testid="protected-input" placeholder="production, staging"
                                prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev)) />
                        </div>
                        <button type="submit" class=BUTTON_SECONDARY data-testid="save-protected" disabled=move || actions.protect.pending().get()>"Save"</button>
                    </form>
                    <div class="mt-2"><ErrorAlert error=action_error(actions.protect) /></div>
                }.into_any()
            } else {
                view! { <p class="mt-1 text-xs text-zinc-500">"Admins and Owners choose them."</p> }.into_any()
            }}
        </details>
    }
}

/// How a number moved from the previous version: the arrow (▲ up, ▼ down) and whether that is
/// better. `None` when either side is missing or nothing changed.
pub fn trend(current: Option<f64>, previous: Option<f64>, lower_is_better: bool) -> Option<(&'static str, bool)> {
    let (c, p) = (current?, previous?);
    if (c - p).abs() <= f64::EPSILON * c.abs().max(p.abs()) {
        return None;
    }
    let up = c > p;
    Some((if up { "▲" } else { "▼" }, up != lower_is_better))
}

fn trend_view(current: Option<f64>, previous: Option<(i32, Option<f64>)>, lower_is_better: bool) -> impl IntoView {
    let (version, value) = previous.unzip();
    trend(current, value.flatten(), lower_is_better).map(|(arrow, better)| {
        let (word, class) = if better { ("better", "text-emerald-700 dark:text-emerald-400") } else { ("worse", "text-red-700 dark:text-red-400") };
        let versus = version.map(|v| format!(" than v{v}")).unwrap_or_default();
        view! { <span class=format!("ml-1 whitespace-nowrap text-[11px] {class}") data-testid="trend" data-better=better.to_string() title=format!("{word}{versus}")>{format!("{arrow} {word}")}</span> }
    })
}

fn seconds(value: Option<f64>) -> String {
    value.map(|s| if s < 1.0 { format!("{:.0} ms", s * 1000.0) } else { format!("{s:.2} s") }).unwrap_or_else(|| "—".into())
}

fn cost_per_generation(m: &PromptVersionMetrics) -> Option<f64> {
    (m.generations > 0).then(|| m.total_cost / m.generations as f64)
}

/// Per-version numbers of the linked generations, each compared with the previous version that
/// has any.
#[component]
fn MetricsTab(metrics: Resource<Result<Option<Vec<PromptVersionMetrics>>, AppError>>) -> impl IntoView {
    view! {
        <section class=format!("{CARD} mt-4 overflow-x-auto") data-testid="metrics">
            <Suspense fallback=|| view! { <Skeleton label="Loading metrics" /> }>
            {move || Suspend::new(async move { match metrics.await.map(Option::unwrap_or_default) {
                Err(error) => view! { <LoadError error /> }.into_any(),
                Ok(rows) if rows.iter().all(|m| m.generations == 0) => view! {
                    <EmptyHint title="No generations linked to this prompt yet" test_id="no-metrics">
                        "Pass the prompt you fetched to the generation that uses it, and its numbers appear here per version. With the OpenAI integration: "
                        <code class="font-mono text-xs">"openai.chat.completions.create(..., langfuse_prompt=prompt)"</code>
                        "; with the SDK: "<code class="font-mono text-xs">"langfuse.start_generation(name=\"…\", prompt=prompt)"</code>"."
                    </EmptyHint>
                }.into_any(),
                Ok(rows) => metrics_table(rows).into_any(),
            }})}
            </Suspense>
        </section>
    }
}

fn metrics_table(rows: Vec<PromptVersionMetrics>) -> impl IntoView {
    let now = chrono::Utc::now();
    let body = rows.iter().enumerate().map(|(i, m)| {
        // Rows are newest first: the previous version is the next row.
        let prev = rows.get(i + 1);
        let was = |f: &dyn Fn(&PromptVersionMetrics) -> Option<f64>| prev.map(|p| (p.version, f(p)));
        let scores = m.scores.iter().map(|s| {
            let before = prev.map(|p| (p.version, p.scores.iter().find(|q| q.name == s.name && q.level == s.level).map(|q| q.average)));
            view! {
                <div class="whitespace-nowrap" data-testid="metric-score">
                    <span class="text-zinc-500">{format!("{} ({}) ", s.name, s.level)}</span>
                    <span class="font-mono">{format!("{:.3}", s.average)}</span>
                    <span class="text-zinc-400">{format!(" n={}", s.count)}</span>
                    {trend_view(Some(s.average), before, false)}
                </div>
            }
        }).collect_view();
        view! {
            <tr data-testid="metrics-row" data-version=m.version>
                <td class=format!("{TD} font-mono font-semibold")>{format!("v{}", m.version)}</td>
                <td class=format!("{TD} text-right font-mono") data-testid="metric-generations">{m.generations}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{seconds(m.latency_p50)}{trend_view(m.latency_p50, was(&|p| p.latency_p50), true)}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{seconds(m.latency_p95)}{trend_view(m.latency_p95, was(&|p| p.latency_p95), true)}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs") data-testid="metric-tokens">{format!("{} / {} / {}", m.input_tokens, m.output_tokens, m.total_tokens)}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{format!("${:.6}", m.total_cost)}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>
                    {cost_per_generation(m).map(|c| format!("${c:.6}")).unwrap_or_else(|| "—".into())}
                    {trend_view(cost_per_generation(m), was(&cost_per_generation), true)}
                </td>
                <td class=format!("{TD} whitespace-nowrap text-xs")>
                    {m.first_used.map(|t| relative_time(t, now)).unwrap_or_default()}" – "{m.last_used.map(|t| relative_time(t, now)).unwrap_or_default()}
                </td>
                <td class=format!("{TD} text-xs")>{scores}</td>
            </tr>
        }
    }).collect_view();
    view! {
        <table class=TABLE data-testid="metrics-table">
            <TableHead columns=&["Version", "Generations", "Latency p50", "Latency p95", "Tokens in / out / total", "Total cost", "Cost per generation", "Used", "Average scores"] />
            <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">{body}</tbody>
        </table>
        <p class="border-t border-zinc-200 px-4 py-2 text-xs text-zinc-500 dark:border-zinc-800">
            "Arrows compare each version with the previous one listed: lower latency and cost are better, higher scores are better. Versions without linked generations are not listed."
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::prompts::PromptBody;

    fn version(n: i32, labels: &[&str]) -> PromptVersion {
        PromptVersion {
            id: format!("id{n}"),
            project_id: "p".into(),
            name: "x".into(),
            version: n,
            prompt_type: PromptType::Text,
            prompt: PromptBody::Text(format!("v{n}")),
            config: serde_json::json!({}),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            tags: vec![],
            commit_message: None,
            created_by: "API".into(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            author: None,
        }
    }

    fn history(versions: Vec<PromptVersion>) -> PromptHistory {
        PromptHistory { name: "x".into(), versions, protected_labels: vec![], can_write: true, can_move_protected: true, dependents: vec![] }
    }

    #[test]
    fn the_page_opens_at_production_else_the_newest() {
        let h = history(vec![version(3, &["latest"]), version(2, &["production", "staging"]), version(1, &[])]);
        assert_eq!(selected_version(&h, None, None), Some(2));
        assert_eq!(selected_version(&h, Some("1"), None), Some(1));
        assert_eq!(selected_version(&h, Some("9"), None), Some(2), "a missing version falls back");
        assert_eq!(selected_version(&h, Some("x"), Some("latest")), Some(3));
        assert_eq!(selected_version(&h, None, Some("nope")), Some(2));
        let h = history(vec![version(2, &["latest"]), version(1, &[])]);
        assert_eq!(selected_version(&h, None, None), Some(2));
    }

    #[test]
    fn trends_say_better_or_worse() {
        assert_eq!(trend(Some(1.0), Some(2.0), true), Some(("▼", true)));
        assert_eq!(trend(Some(3.0), Some(2.0), true), Some(("▲", false)));
        assert_eq!(trend(Some(0.9), Some(0.7), false), Some(("▲", true)));
        assert_eq!(trend(Some(0.5), Some(0.5), false), None);
        assert_eq!(trend(None, Some(0.5), false), None);
        assert_eq!(trend(Some(0.5), None, false), None);
    }

    #[test]
    fn view_links() {
        assert_eq!(View::default().href("/b"), "/b");
        assert_eq!(View { version: Some(2), compare: Some(1), metrics: false }.href("/b"), "/b?version=2&compare=1");
        assert_eq!(View { version: Some(2), compare: None, metrics: true }.href("/b"), "/b?version=2&tab=metrics");
    }
}
