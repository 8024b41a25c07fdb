//! "Run on existing traces matching the filter": the count first (matching, and how many the
//! sampling picks), then, once asked, the backfill's progress — executions created, then
//! evaluated — polled every two seconds until everything has finished.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use leptos::prelude::*;

use super::{open_count, percent, sleep, Progress};
use crate::components::ui::*;
use crate::domain::evaluators::{Backfill, BackfillState};
use crate::i18n::*;
use crate::server_fns::evaluators::{count_backfill, get_backfill, StartBackfill};

/// How often a running backfill is asked for its progress.
const POLL_MS: i32 = 2_000;

/// Whether nothing more will happen to the backfill (its executions included).
pub(crate) fn backfill_finished(backfill: &Backfill) -> bool {
    match backfill.state {
        BackfillState::Failed => true,
        BackfillState::Done => open_count(&backfill.counts) == 0,
        BackfillState::Running => false,
    }
}

/// A flag that turns false when the component that made it goes away: polling loops check it, so
/// none outlives its page.
pub(crate) fn alive_flag() -> Arc<AtomicBool> {
    let alive = Arc::new(AtomicBool::new(true));
    let flag = alive.clone();
    on_cleanup(move || flag.store(false, Ordering::Relaxed));
    alive
}

/// Polls `backfill` into `progress` until it has finished or the page is left.
pub(crate) fn poll_backfill(project_id: String, backfill: Backfill, progress: RwSignal<Option<Backfill>>, alive: Arc<AtomicBool>) {
    progress.set(Some(backfill.clone()));
    if backfill_finished(&backfill) {
        return;
    }
    leptos::task::spawn_local(async move {
        let id = backfill.id.clone();
        loop {
            sleep(POLL_MS).await;
            if !alive.load(Ordering::Relaxed) {
                break;
            }
            match get_backfill(project_id.clone(), id.clone()).await {
                Ok(now) => {
                    let finished = backfill_finished(&now);
                    progress.try_set(Some(now));
                    if finished {
                        break;
                    }
                }
                // A network hiccup: try again at the next tick rather than freezing the bar.
                Err(crate::error::AppError::Transport(_)) => continue,
                Err(_) => break,
            }
        }
    });
}

/// The offer to run on existing targets (count, then confirm), and the progress once started.
/// `initial`: a backfill already known (the evaluator page's latest), shown and polled at once.
#[component]
pub(crate) fn RunOnExisting(
    project_id: String,
    evaluator_id: String,
    sampling: f64,
    /// Whether the person may start one.
    can_start: bool,
    #[prop(default = None)] initial: Option<Backfill>,
    /// Ask for the count at once (right after creating an evaluator) rather than on a click.
    #[prop(optional)]
    count_now: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let alive = alive_flag();
    let progress = RwSignal::new(None::<Backfill>);
    let counting = RwSignal::new(count_now);
    let start = ServerAction::<StartBackfill>::new();
    let ids = StoredValue::new((project_id.clone(), evaluator_id.clone()));
    let count = LocalResource::new(move || {
        let wanted = counting.get();
        let (project_id, evaluator_id) = ids.get_value();
        async move { if wanted { Some(count_backfill(project_id, evaluator_id).await) } else { None } }
    });
    {
        let alive = alive.clone();
        if let Some(backfill) = initial {
            let project_id = ids.get_value().0;
            // Polling starts in the browser only (effects do not run on the server).
            Effect::new(move |started: Option<()>| {
                if started.is_none() {
                    poll_backfill(project_id.clone(), backfill.clone(), progress, alive.clone());
                }
            });
        }
    }
    Effect::new(move |_| {
        if let Some(Ok(backfill)) = start.value().get() {
            poll_backfill(ids.get_value().0, backfill, progress, alive.clone());
        }
    });
    let running = move || progress.with(|p| p.as_ref().is_some_and(|b| !backfill_finished(b)));
    view! {
        <div class="space-y-3" data-testid="run-on-existing">
            {move || progress.get().map(|b| view! { <BackfillProgress backfill=b /> })}
            {move || (!running()).then(|| match count.try_get().flatten().flatten() {
                _ if !can_start => view! { <p class=HINT>{td_string!(locale, evaluators.backfill.not_allowed)}</p> }.into_any(),
                None if !counting.get() => view! {
                    <button type="button" class=BUTTON_SECONDARY data-testid="backfill-count" on:click=move |_| counting.set(true)>
                        {td_string!(locale, evaluators.backfill.count)}
                    </button>
                }.into_any(),
                None => view! { <p class="text-sm text-zinc-500 dark:text-zinc-400" aria-busy="true" data-testid="backfill-counting">{td_string!(locale, evaluators.backfill.counting)}</p> }.into_any(),
                Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                Some(Ok(found)) if found.sampled == 0 => view! {
                    <p class="text-sm text-zinc-600 dark:text-zinc-400" data-testid="backfill-none">
                        {if found.matching == 0 {
                            td_string!(locale, evaluators.backfill.none_matching).to_string()
                        } else {
                            td_string!(locale, evaluators.backfill.none_sampled, matching = found.matching).to_string()
                        }}
                    </p>
                }.into_any(),
                Some(Ok(found)) => view! {
                    <div class="flex flex-wrap items-center gap-3">
                        <p class="text-sm" data-testid="backfill-matching" data-matching=found.matching.to_string() data-sampled=found.sampled.to_string()>
                            {if found.sampled == found.matching {
                                td_string!(locale, evaluators.backfill.matching, count = found.matching).to_string()
                            } else {
                                td_string!(locale, evaluators.backfill.matching_sampled, matching = found.matching, sampled = found.sampled, rate = percent(sampling)).to_string()
                            }}
                        </p>
                        <button type="button" class=BUTTON_PRIMARY data-testid="backfill-start" disabled=move || start.pending().get()
                            on:click=move |_| {
                                let (project_id, evaluator_id) = ids.get_value();
                                start.dispatch(StartBackfill { project_id, evaluator_id });
                            }>
                            {td_string!(locale, evaluators.backfill.start, count = found.sampled).to_string()}
                        </button>
                        <button type="button" class=BUTTON_LINK data-testid="backfill-recount" on:click=move |_| count.refetch()>
                            {td_string!(locale, evaluators.backfill.recount)}
                        </button>
                    </div>
                }.into_any(),
            })}
            <ErrorAlert error=action_error(start) />
        </div>
    }
}

/// A backfill's progress: executions created, then evaluated (with errors counted).
#[component]
pub(crate) fn BackfillProgress(backfill: Backfill) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let finished = backfill.counts.finished();
    let state = match backfill.state {
        BackfillState::Running => td_string!(locale, evaluators.backfill.state_running),
        BackfillState::Done if open_count(&backfill.counts) > 0 => td_string!(locale, evaluators.backfill.state_evaluating),
        BackfillState::Done => td_string!(locale, evaluators.backfill.state_done),
        BackfillState::Failed => td_string!(locale, evaluators.backfill.state_failed),
    };
    view! {
        <div class="space-y-2 rounded-md border border-zinc-200 px-3 py-3 dark:border-zinc-800" role="status" aria-live="polite"
            data-testid="backfill-progress" data-state=backfill.state.as_str() data-finished=backfill_finished(&backfill).to_string()>
            <p class="text-sm font-medium">{state}</p>
            <div class="grid grid-cols-1 gap-3 sm:grid-cols-2">
                <Progress done=backfill.scheduled total=backfill.total
                    label=td_string!(locale, evaluators.backfill.scheduled, done = backfill.scheduled, total = backfill.total).to_string() />
                <Progress done=finished total=backfill.total
                    label=td_string!(locale, evaluators.backfill.evaluated, done = finished, total = backfill.total, errors = backfill.counts.error).to_string() />
            </div>
            {backfill.error.clone().map(|e| view! { <p class="text-sm text-red-700 dark:text-red-400" translate="no" data-testid="backfill-error">{e}</p> })}
        </div>
    }
}
