//! A queue's agreement between reviewers (#20), on items two or more of them completed: per
//! config, all reviewer pairs pooled and each pair, with the number of shared items.

use leptos::prelude::*;

use crate::components::ui::*;
use crate::domain::score_stats::{Agreement, AgreementKind};
use crate::i18n::*;
use crate::server_fns::annotation::queue_agreement;

fn figure(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.2}"))
}

/// The statistics of one agreement, in a line.
fn summary(locale: Locale, agreement: &Agreement) -> String {
    match agreement.kind {
        AgreementKind::Categorical => td_string!(locale, annotation.agreement.kappa_line, kappa = figure(agreement.kappa), shared = agreement.shared).to_string(),
        AgreementKind::Numeric => td_string!(
            locale,
            annotation.agreement.correlation_line,
            pearson = figure(agreement.pearson),
            spearman = figure(agreement.spearman),
            shared = agreement.shared
        )
        .to_string(),
    }
}

#[component]
pub(super) fn QueueAgreement(project_id: String, queue_id: String, reviewers_per_item: i32) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let agreement = LocalResource::new(move || queue_agreement(project_id.clone(), queue_id.clone()));
    view! {
        <section class=CARD data-testid="queue-agreement">
            <h2 class="border-b border-zinc-200 px-4 py-2 text-sm font-semibold dark:border-zinc-800">{t_string!(i18n, annotation.agreement.title)}</h2>
            <div class="px-4 py-3 text-sm">
                {move || match agreement.try_get().flatten() {
                    None => view! { <Skeleton label=td_string!(locale, annotation.agreement.loading) /> }.into_any(),
                    Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! {
                        <p class="text-zinc-500" data-testid="no-agreement">{if reviewers_per_item > 1 {
                            td_string!(locale, annotation.agreement.not_yet)
                        } else {
                            td_string!(locale, annotation.agreement.single_reviewer)
                        }}</p>
                    }.into_any(),
                    Some(Ok(list)) => view! {
                        <ul class="space-y-2">
                            {list.into_iter().map(|c| view! {
                                <li data-testid="agreement-row" data-config=c.config_name.clone()>
                                    <p><span class="font-medium" translate="no">{c.config_name.clone()}</span>": "
                                        <span class="font-mono" data-testid="agreement-value">{summary(locale, &c.pooled)}</span></p>
                                    {(c.pairs.len() > 1).then(|| view! {
                                        <ul class="ml-3 mt-0.5 space-y-0.5 text-xs text-zinc-600 dark:text-zinc-400">
                                            {c.pairs.iter().map(|p| view! {
                                                <li><span translate="no">{format!("{} × {}", p.a.name, p.b.name)}</span>": "<span class="font-mono">{summary(locale, &p.agreement)}</span></li>
                                            }).collect_view()}
                                        </ul>
                                    })}
                                </li>
                            }).collect_view()}
                        </ul>
                        <p class=format!("{HINT} mt-2")>{td_string!(locale, annotation.agreement.hint)}</p>
                    }.into_any(),
                }}
            </div>
        </section>
    }
}
