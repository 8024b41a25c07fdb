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
use crate::i18n::*;

mod timeline;
mod version;
mod labels;
mod metrics;
use timeline::*;
use version::*;
use labels::*;
use metrics::*;

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
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, prompts.detail.title) />
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
    let i18n = use_i18n();
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6">
            <FolderCrumbs list=list.clone() name />
            <Transition fallback=move || view! { <Skeleton label=t_string!(i18n, prompts.loading_prompt) /> }>
                {move || {
                    let (project_id, list) = (project_id.clone(), list.clone());
                    Suspend::new(async move {
                        match history.await {
                            Ok(history) => view! { <Loaded history project_id actions can_write /> }.into_any(),
                            Err(AppError::NotFound(_)) => view! {
                                <div class="mt-6 max-w-lg" data-testid="prompt-not-found">
                                    <h1 class="text-lg font-semibold">{t_string!(i18n, prompts.detail.not_found)}</h1>
                                    <p class="mt-1 text-sm text-zinc-500">{t_string!(i18n, prompts.detail.not_found_hint, name = name.get_untracked()).to_string()}</p>
                                    <a class=format!("{BUTTON_SECONDARY} mt-4") href=list>{t_string!(i18n, prompts.all_prompts)}</a>
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
    let i18n = use_i18n();
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
            <nav class="text-sm" aria-label=t_string!(i18n, prompts.folder) data-testid="prompt-crumbs">
                <a class=BUTTON_LINK href=list.clone()>{t_string!(i18n, prompts.back_to_prompts)}</a>{folders}
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
    let playground = {
        let name = name.clone();
        let project_id = project_id.clone();
        move || {
            let version = selected.get().map(|v| format!("&version={v}")).unwrap_or_default();
            format!("/project/{project_id}/playground?prompt={}{version}", encode_query(&name))
        }
    };
    let pid = StoredValue::new(project_id.clone());
    let i18n = use_i18n();
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
                    <a class=BUTTON_PRIMARY href=new_version data-testid="new-version">{t_string!(i18n, prompts.detail.new_version)}</a>
                    <a class=BUTTON_SECONDARY href=duplicate data-testid="duplicate-prompt">{t_string!(i18n, prompts.detail.duplicate)}</a>
                    <a class=BUTTON_SECONDARY href=playground data-testid="open-in-playground">{t_string!(i18n, prompts.detail.open_in_playground)}</a>
                    <DeleteMenu project_id=project_id.clone() name=name.clone() selected actions />
                </div>
            })}
        </div>
        <div class="mt-2"><ErrorAlert error=action_error(actions.delete) /></div>
        <nav class="mt-4 flex gap-4 border-b border-zinc-200 text-sm dark:border-zinc-800" aria-label=t_string!(i18n, prompts.detail.views)>
            <a href=move || view_of(selected.get(), None, false) data-testid="tab-versions"
                aria-current=move || (!metrics_tab.get()).then_some("page")
                class=move || tab_class(!metrics_tab.get())>{t_string!(i18n, prompts.detail.versions_tab)}</a>
            <a href=move || view_of(selected.get(), None, true) data-testid="tab-metrics"
                aria-current=move || metrics_tab.get().then_some("page")
                class=move || tab_class(metrics_tab.get())>{t_string!(i18n, prompts.detail.metrics_tab)}</a>
        </nav>
        {move || if metrics_tab.get() {
            view! { <MetricsTab metrics=actions.metrics /> }.into_any()
        } else {
            view! {
                <div class="mt-4 grid grid-cols-[minmax(0,1fr)] gap-6 lg:grid-cols-[18rem_minmax(0,1fr)]">
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
    let i18n = use_i18n();
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
        if confirm(&t_string!(i18n, prompts.detail.confirm_delete_version, version = version, name = n.clone()).to_string()) {
            whole.set(false);
            actions.delete.dispatch(DeletePrompt { project_id: pid.clone(), name: n.clone(), version: Some(version) });
        }
    };
    let delete_all = move |_| {
        if confirm(&t_string!(i18n, prompts.detail.confirm_delete_prompt, name = name.clone()).to_string()) {
            whole.set(true);
            actions.delete.dispatch(DeletePrompt { project_id: project_id.clone(), name: name.clone(), version: None });
        }
    };
    view! {
        <details class="relative" data-testid="delete-menu">
            <summary class=format!("{BUTTON_SECONDARY} cursor-pointer list-none text-red-700 dark:text-red-400")>{t_string!(i18n, prompts.detail.delete_menu)}</summary>
            <div class="absolute right-0 z-10 mt-1 w-56 rounded-md border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-700 dark:bg-zinc-900">
                <button type="button" class="block w-full rounded px-3 py-1.5 text-left text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800" data-testid="delete-version"
                    disabled=move || actions.delete.pending().get() on:click=delete_version>
                    {move || t_string!(i18n, prompts.detail.delete_version, version = selected.get().unwrap_or_default()).to_string()}
                </button>
                <button type="button" class="block w-full rounded px-3 py-1.5 text-left text-sm text-red-700 hover:bg-red-50 dark:text-red-400 dark:hover:bg-red-950" data-testid="delete-prompt"
                    disabled=move || actions.delete.pending().get() on:click=delete_all>{t_string!(i18n, prompts.detail.delete_prompt)}</button>
            </div>
        </details>
    }
}

fn metrics_table(locale: Locale, rows: Vec<PromptVersionMetrics>) -> impl IntoView {
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
                    {trend_view(locale, Some(s.average), before, false)}
                </div>
            }
        }).collect_view();
        view! {
            <tr data-testid="metrics-row" data-version=m.version>
                <td class=format!("{TD} font-mono font-semibold")>{format!("v{}", m.version)}</td>
                <td class=format!("{TD} text-right font-mono") data-testid="metric-generations">{m.generations}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{seconds(m.latency_p50)}{trend_view(locale, m.latency_p50, was(&|p| p.latency_p50), true)}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{seconds(m.latency_p95)}{trend_view(locale, m.latency_p95, was(&|p| p.latency_p95), true)}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs") data-testid="metric-tokens">{format!("{} / {} / {}", m.input_tokens, m.output_tokens, m.total_tokens)}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{crate::domain::format::cost(m.total_cost)}</td>
                <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>
                    {cost_per_generation(m).map(crate::domain::format::cost).unwrap_or_else(|| "—".into())}
                    {trend_view(locale, cost_per_generation(m), was(&cost_per_generation), true)}
                </td>
                <td class=format!("{TD} whitespace-nowrap text-xs")>
                    {m.first_used.map(|t| relative_time(t, now)).unwrap_or_default()}" – "{m.last_used.map(|t| relative_time(t, now)).unwrap_or_default()}
                </td>
                <td class=format!("{TD} text-xs")>{scores}</td>
            </tr>
        }
    }).collect_view();
    let columns = {
        let l = locale;
        [
            td_string!(l, prompts.metrics.columns.version),
            td_string!(l, prompts.metrics.columns.generations),
            td_string!(l, prompts.metrics.columns.latency_p50),
            td_string!(l, prompts.metrics.columns.latency_p95),
            td_string!(l, prompts.metrics.columns.tokens),
            td_string!(l, prompts.metrics.columns.total_cost),
            td_string!(l, prompts.metrics.columns.cost_per_generation),
            td_string!(l, prompts.metrics.columns.used),
            td_string!(l, prompts.metrics.columns.average_scores),
        ]
    };
    view! {
        <div class="overflow-x-auto">
            <table class=TABLE data-testid="metrics-table">
                <TableHead columns />
                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">{body}</tbody>
            </table>
        </div>
        <p class="border-t border-zinc-200 px-4 py-2 text-xs text-zinc-500 dark:border-zinc-800">
            {td_string!(locale, prompts.metrics.note)}
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
