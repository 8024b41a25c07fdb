//! Annotation queues (#20): the project's queues, one queue's items and reviewers, and the
//! review flow that hands each reviewer the next item.

mod agreement;
mod list;
mod queue;
mod review;

pub use list::AnnotationQueuesPage;
pub use queue::AnnotationQueuePage;
pub use review::ReviewPage;

use leptos::prelude::*;

use crate::i18n::*;

/// "12 of 40 completed" with a bar.
#[component]
pub(crate) fn ProgressBar(done: i64, total: i64) -> impl IntoView {
    let i18n = use_i18n();
    let percent = if total > 0 { (done as f64 / total as f64 * 100.0).clamp(0.0, 100.0) } else { 0.0 };
    view! {
        <div class="min-w-32" data-testid="progress">
            <div class="h-1.5 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="progressbar"
                aria-valuemin="0" aria-valuemax=total.to_string() aria-valuenow=done.to_string()>
                <div class="h-full rounded-full bg-indigo-600 dark:bg-indigo-500" style=format!("width: {percent:.1}%")></div>
            </div>
            <p class="mt-0.5 text-xs text-zinc-500" data-testid="progress-label">{t!(i18n, annotation.progress_label, done = done, total = total)}</p>
        </div>
    }
}
