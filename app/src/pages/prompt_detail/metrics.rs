//! The metrics tab: per-version numbers of the linked generations, each with its trend
//! against the previous version that has any.

use super::*;

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

pub(super) fn trend_view(locale: Locale, current: Option<f64>, previous: Option<(i32, Option<f64>)>, lower_is_better: bool) -> impl IntoView {
    let (version, value) = previous.unzip();
    trend(current, value.flatten(), lower_is_better).map(|(arrow, better)| {
        let (word, class) = if better {
            (td_string!(locale, prompts.metrics.better), "text-emerald-700 dark:text-emerald-400")
        } else {
            (td_string!(locale, prompts.metrics.worse), "text-red-700 dark:text-red-400")
        };
        let title = match (version, better) {
            (Some(v), true) => td_string!(locale, prompts.metrics.better_than, version = v).to_string(),
            (Some(v), false) => td_string!(locale, prompts.metrics.worse_than, version = v).to_string(),
            (None, _) => word.to_string(),
        };
        view! { <span class=format!("ml-1 whitespace-nowrap text-[11px] {class}") data-testid="trend" data-better=better.to_string() title=title>{format!("{arrow} {word}")}</span> }
    })
}

pub(super) fn seconds(value: Option<f64>) -> String {
    value.map(|s| if s < 1.0 { format!("{:.0} ms", s * 1000.0) } else { format!("{s:.2} s") }).unwrap_or_else(|| "—".into())
}

pub(super) fn cost_per_generation(m: &PromptVersionMetrics) -> Option<f64> {
    (m.generations > 0).then(|| m.total_cost / m.generations as f64)
}

/// Per-version numbers of the linked generations, each compared with the previous version that
/// has any.
#[component]
pub(super) fn MetricsTab(metrics: Resource<Result<Option<Vec<PromptVersionMetrics>>, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <section class=format!("{CARD} mt-4 overflow-x-auto") data-testid="metrics">
            <Suspense fallback=move || view! { <Skeleton label=t_string!(i18n, prompts.metrics.loading) /> }>
            {move || Suspend::new(async move { match metrics.await.map(Option::unwrap_or_default) {
                Err(error) => view! { <LoadError error /> }.into_any(),
                Ok(rows) if rows.iter().all(|m| m.generations == 0) => view! {
                    <EmptyHint title=td_string!(locale, prompts.metrics.none_title) test_id="no-metrics">
                        {td_string!(locale, prompts.metrics.none_hint)}
                        <code class="font-mono text-xs">"openai.chat.completions.create(..., langfuse_prompt=prompt)"</code>
                        {td_string!(locale, prompts.metrics.none_hint_sdk)}<code class="font-mono text-xs">"langfuse.start_generation(name=\"…\", prompt=prompt)"</code>{td_string!(locale, prompts.metrics.none_hint_end)}
                    </EmptyHint>
                }.into_any(),
                Ok(rows) => metrics_table(locale, rows).into_any(),
            }})}
            </Suspense>
        </section>
    }
}
