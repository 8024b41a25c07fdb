//! The version timeline beside the selected version, and the prompts that use this one.

use super::*;

/// The versions, newest first: number, labels, commit message, author, date.
#[component]
pub(super) fn Timeline<F>(history: StoredValue<PromptHistory>, selected: Memo<Option<i32>>, view_of: F) -> impl IntoView
where
    F: Fn(Option<i32>, Option<i32>, bool) -> String + Copy + Send + Sync + 'static,
{
    let now = chrono::Utc::now();
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let items = history.with_value(|h| h.versions.clone()).into_iter().map(|v| {
        let number = v.version;
        let author = author(locale, &v);
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
        <section class=CARD aria-label=t_string!(i18n, prompts.timeline.versions)>
            <h2 class="border-b border-zinc-200 px-3 py-2 text-sm font-semibold dark:border-zinc-800">
                {t_string!(i18n, prompts.timeline.versions_count, count = history.with_value(|h| h.versions.len())).to_string()}
            </h2>
            <ol class="space-y-1 p-1" data-testid="timeline">{items}</ol>
        </section>
    }
}

pub(super) fn author(locale: Locale, v: &PromptVersion) -> String {
    match (&v.author, v.created_by.as_str()) {
        (Some(a), _) => a.clone(),
        (None, "API") => td_string!(locale, prompts.timeline.api_key).to_string(),
        (None, other) => other.to_string(),
    }
}

/// Prompts whose reference tags point at this one.
#[component]
pub(super) fn UsedBy(history: StoredValue<PromptHistory>, project_id: String) -> impl IntoView {
    let dependents = history.with_value(|h| h.dependents.clone());
    let i18n = use_i18n();
    view! {
        <section class=CARD data-testid="used-by">
            <h2 class="border-b border-zinc-200 px-3 py-2 text-sm font-semibold dark:border-zinc-800">{t_string!(i18n, prompts.timeline.used_by)}</h2>
            {if dependents.is_empty() {
                view! { <p class="px-3 py-2 text-xs text-zinc-500">{t_string!(i18n, prompts.timeline.no_dependents)}</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-zinc-100 text-sm dark:divide-zinc-800">
                        {dependents.into_iter().map(|d| {
                            let target = match &d.target {
                                PromptTarget::Label(l) => t_string!(i18n, prompts.timeline.target_label, label = l.clone()).to_string(),
                                PromptTarget::Version(v) => t_string!(i18n, prompts.timeline.target_version, version = *v).to_string(),
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
