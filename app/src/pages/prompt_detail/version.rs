//! The selected version: its body, variables, config, resolved text and SDK snippet.

use super::*;

/// The selected version: a comparison, or its content (resolved or as written), variables,
/// config, commit, labels and the SDK snippet.
#[component]
pub(super) fn VersionPanel<F>(
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
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
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
    let byline = format!("{} · {}", author(locale, &version), relative_time(version.created_at, now));
    let commit = version.commit_message.clone().unwrap_or_else(|| td_string!(locale, prompts.version.no_commit_message).into());
    let created = timestamp(version.created_at);
    let chips = version.labels.iter().map(|l| label_chip(l)).collect_view();
    let labels = view! { <Labels project_id=project_id.clone() history version=version.clone() actions can_write /> };
    let snippet = view! { <Snippet name=version.name.clone() version=number labels=version.labels.clone() variables=version.prompt.variables() /> };
    view! {
        <section data-testid="version-panel" data-version=number>
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 class="flex flex-wrap items-center gap-2 text-lg font-semibold">
                    <span data-testid="selected-version">{t_string!(i18n, prompts.version.heading, version = number).to_string()}</span>
                    {chips}
                </h2>
                <div class="flex flex-wrap items-center gap-3">
                    {(has_references && compare.is_none()).then(|| view! {
                        <label class="flex items-center gap-1.5 text-sm" title=t_string!(i18n, prompts.version.resolved_title)>
                            <input type="checkbox" data-testid="resolved-toggle" prop:checked=move || resolved.get()
                                on:change=move |ev| resolved.set(event_target_checked(&ev)) />
                            {t_string!(i18n, prompts.version.resolved)}
                        </label>
                    })}
                    <label class="flex items-center gap-1.5 text-sm">
                        <span class="text-zinc-500">{t_string!(i18n, prompts.version.compare_with)}</span>
                        <select class=SELECT data-testid="compare-select" on:change=move |ev| {
                            let value = event_target_value(&ev).parse::<i32>().ok();
                            navigate(&view_of(Some(number), value, false), Default::default());
                        }>
                            <option value="" selected=compare.is_none()>"—"</option>
                            {others.into_iter().map(|v| view! { <option value=v.to_string() selected=compare == Some(v)>{format!("v{v}")}</option> }).collect_view()}
                        </select>
                    </label>
                    {compare.map(|_| view! { <a class=BUTTON_LINK href=view_of(Some(number), None, false) data-testid="close-compare">{t_string!(i18n, prompts.version.close_comparison)}</a> })}
                </div>
            </div>
            {match comparison {
                Some(c) => c.into_any(),
                None => view! { <div class="mt-3">{content}</div> }.into_any(),
            }}
            <div class="mt-5 grid grid-cols-[minmax(0,1fr)] gap-4 md:grid-cols-2">
                <Facts title=t_string!(i18n, prompts.version.variables)>
                    {if variables.is_empty() && placeholders.is_empty() {
                        view! { <p class="text-xs text-zinc-500">{t_string!(i18n, prompts.version.no_variables)}</p> }.into_any()
                    } else {
                        view! {
                            <div class="flex flex-wrap gap-1" data-testid="variables">
                                {variables.into_iter().map(|v| view! { <code class=format!("{VARIABLE} text-xs") data-testid="variable-name">{v}</code> }).collect_view()}
                                {placeholders.into_iter().map(|p| view! {
                                    <code class="rounded border border-dashed border-zinc-400 px-1 text-xs" data-testid="placeholder-name" title=t_string!(i18n, prompts.version.placeholder_title)>{format!("[{p}]")}</code>
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }}
                </Facts>
                <Facts title=t_string!(i18n, prompts.version.commit)>
                    <p class="text-sm" data-testid="commit-message">{commit}</p>
                    <p class="mt-1 text-xs text-zinc-500" title=created>{byline}</p>
                </Facts>
                <Facts title=t_string!(i18n, prompts.version.config)>
                    {match config {
                        Some(json) => view! { <pre class="overflow-x-auto rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900" data-testid="prompt-config">{json}</pre> }.into_any(),
                        None => view! { <p class="text-xs text-zinc-500">{t_string!(i18n, prompts.version.no_config)}</p> }.into_any(),
                    }}
                </Facts>
                <Facts title=t_string!(i18n, prompts.version.use_it)>
                    {snippet}
                </Facts>
            </div>
            {labels}
            <div class="mt-6 max-w-3xl">
                <crate::components::comments::Comments project_id=project_id.clone() object_type=crate::domain::comments::ObjectType::Prompt object_id=version.id.clone() />
            </div>
        </section>
    }
}

#[component]
pub(super) fn Facts(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class=format!("{CARD} px-3 py-2")>
            <h3 class="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">{title}</h3>
            {children()}
        </div>
    }
}

/// The selected version with its prompt references replaced, loaded when asked for.
#[component]
pub(super) fn Resolved(project_id: String, name: String, version: i32) -> impl IntoView {
    let pid = project_id.clone();
    let resolved = LocalResource::new(move || resolve_prompt_version(pid.clone(), name.clone(), version));
    let i18n = use_i18n();
    move || match resolved.get() {
        None => view! { <Skeleton label=t_string!(i18n, prompts.version.resolving) /> }.into_any(),
        Some(Ok(v)) => view! { <div data-testid="resolved-body"><PromptBodyView project_id=project_id.clone() body=v.prompt /></div> }.into_any(),
        Some(Err(error)) => view! { <LoadError error /> }.into_any(),
    }
}

/// A Python string literal (JSON's escapes are valid Python).
pub(super) fn py(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// How the SDK fetches this version (and, when it has one, by its first label).
#[component]
pub(super) fn Snippet(name: String, version: i32, labels: Vec<String>, variables: Vec<String>) -> impl IntoView {
    let label = labels.iter().find(|l| *l != LATEST).or(labels.first()).cloned();
    let mut text = format!("prompt = langfuse.get_prompt({}, version={version})\n", py(&name));
    if let Some(label) = label {
        text.push_str(&format!("# or by label, as production code does:\nprompt = langfuse.get_prompt({}, label={})\n", py(&name), py(&label)));
    }
    let args = variables.iter().map(|v| format!("{v}=\"…\"")).collect::<Vec<_>>().join(", ");
    text.push_str(&format!("compiled = prompt.compile({args})"));
    let i18n = use_i18n();
    view! {
        <pre class="overflow-x-auto rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900" data-testid="sdk-snippet">{text.clone()}</pre>
        <div class="mt-1"><CopyButton text=text label=t_string!(i18n, prompts.copy) /></div>
    }
}
