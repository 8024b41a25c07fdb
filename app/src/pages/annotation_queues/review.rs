//! `/project/{id}/annotation-queues/{queue}/review`: the review flow. The reviewer is handed the
//! next item (the one they hold, else the oldest free one they have not reviewed), locked to them
//! for a few minutes and renewed every minute while the page is open; closing the tab releases
//! it (`sendBeacon` on `pagehide`, which outlives the page), leaving the page releases it
//! too. Beside the item's content (the trace page's header and waterfall, or a session's turns):
//! the queue's configs as the annotation form, its instructions, and the keyboard —
//! digits pick categories, ↑/↓ move between configs, `c` (or Ctrl+Enter) completes and moves on,
//! `s` skips.

use leptos::prelude::*;
use leptos_meta::Title;

use super::ProgressBar;
use crate::components::on_demand::{on_demand, page_tool, Tool};
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::annotation::{Outcome, ReviewState, Target};
use crate::error::AppError;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::annotation::{finish_review, next_review_item};
#[cfg(feature = "hydrate")]
use crate::server_fns::annotation::{release_review, renew_review};

#[component]
pub fn ReviewPage() -> impl IntoView {
    let i18n = use_i18n();
    let queue_id = route_param("queue_id");
    view! {
        <Title text=t_string!(i18n, annotation.review.title) />
        <InProject children=move |_, project| view! { <Review project queue_id=queue_id.get_untracked() /> } />
    }
}

/// How often the held item's lock is renewed (it lapses after `LOCK_SECONDS`, 300 s).
#[cfg(feature = "hydrate")]
const RENEW_EVERY_MS: u64 = 60_000;

#[component]
fn Review(project: ProjectRef, queue_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let state = RwSignal::new(None::<Result<ReviewState, AppError>>);
    let busy = RwSignal::new(false);
    // The lock was lost (someone else has the item now): say so and offer the next one.
    let lost = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let ids = StoredValue::new((project.id.clone(), queue_id.clone()));
    let held = move || state.with(|s| s.as_ref().and_then(|s| s.as_ref().ok()).and_then(|s| s.item.as_ref().map(|i| i.item.id.clone())));

    let load = move || {
        let (project_id, queue_id) = ids.get_value();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let next = next_review_item(project_id, queue_id).await;
            lost.set(false);
            state.set(Some(next));
            busy.set(false);
        });
    };
    let finish = move |outcome: Outcome| {
        if busy.get_untracked() {
            return;
        }
        let Some(item_id) = held() else { return };
        let (project_id, queue_id) = ids.get_value();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match finish_review(project_id, queue_id, item_id, outcome).await {
                Ok(next) => {
                    lost.set(false);
                    state.set(Some(Ok(next)));
                }
                // The item stays; the error shows beside the buttons.
                Err(failure) => error.set(Some(failure)),
            }
            busy.set(false);
        });
    };
    Effect::new(move |_| {
        // A new item clears the last item's error.
        held();
        error.set(None);
    });

    // Browser only: load the first item, renew the lock, release it when the tab goes.
    Effect::new(move |first: Option<()>| {
        if first.is_none() {
            load();
        }
    });
    // Timers and window listeners exist in the browser only (the server renders the page once).
    #[cfg(feature = "hydrate")]
    {
        let renewal = set_interval_with_handle(
            move || {
                if let Some(item_id) = held() {
                    let (project_id, _) = ids.get_value();
                    leptos::task::spawn_local(async move {
                        if let Ok(false) = renew_review(project_id, item_id).await {
                            lost.set(true);
                        }
                    });
                }
            },
            std::time::Duration::from_millis(RENEW_EVERY_MS),
        );
        let on_hide = window_event_listener(leptos::ev::pagehide, move |_| {
            if let Some(item_id) = held() {
                release_in_background(&ids.get_value().0, &item_id);
            }
        });
        let keys = window_event_listener(leptos::ev::keydown, move |ev| {
            let typing = ev
                .target()
                .and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<leptos::web_sys::Element>(t).ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
            let key = ev.key();
            if (ev.ctrl_key() || ev.meta_key()) && key == "Enter" {
                ev.prevent_default();
                finish(Outcome::Completed);
            } else if !typing && !ev.ctrl_key() && !ev.meta_key() && !ev.alt_key() {
                match key.as_str() {
                    "c" => {
                        ev.prevent_default();
                        finish(Outcome::Completed);
                    }
                    "s" => {
                        ev.prevent_default();
                        finish(Outcome::Skipped);
                    }
                    _ => {}
                }
            }
        });

        on_cleanup(move || {
            if let Ok(handle) = renewal {
                handle.clear();
            }
            on_hide.remove();
            keys.remove();
            // Leaving the page within the app: let go of the item for the others.
            if let Some(item_id) = held() {
                let project_id = ids.get_value().0;
                leptos::task::spawn_local(async move {
                    let _ = release_review(project_id, item_id).await;
                });
            }
        });
    }

    let back = format!("/project/{}/annotation-queues/{}", project.id, crate::domain::url::encode_query(&queue_id));
    let project_id = project.id.clone();
    view! {
        <div class="px-4 py-4 sm:px-8 sm:py-6" data-testid="review">
            <a class=BUTTON_LINK href=back.clone()>{t_string!(i18n, annotation.review.back)}</a>
            {move || match state.get() {
                None => view! { <Skeleton label=td_string!(locale, annotation.review.loading) /> }.into_any(),
                Some(Err(error)) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                Some(Ok(review)) => {
                    let counts = review.counts;
                    let header = view! {
                        <div class="mt-3 flex flex-wrap items-center justify-between gap-3">
                            <h1 class="text-xl font-semibold tracking-tight" data-testid="review-queue" translate="no">{review.queue.name.clone()}</h1>
                            <div class="flex items-center gap-3 text-xs text-zinc-500">
                                <span data-testid="review-done-by-me">{td_string!(locale, annotation.review.done_by_me, count = review.done_by_me).to_string()}</span>
                                <ProgressBar done=counts.completed total=counts.total />
                            </div>
                        </div>
                    };
                    match review.item.clone() {
                        None => view! {
                            {header}
                            <div class=format!("{CARD} mt-6 max-w-xl p-6") data-testid="review-done">
                                <h2 class="text-base font-semibold">{td_string!(locale, annotation.review.done_title)}</h2>
                                <p class="mt-1 text-sm text-zinc-500">{td_string!(locale, annotation.review.done_body)}</p>
                                <a class=format!("{BUTTON_SECONDARY} mt-4") href=back.clone()>{td_string!(locale, annotation.review.to_queue)}</a>
                            </div>
                        }.into_any(),
                        Some(item) => {
                            let instructions = review.queue.description.clone().filter(|d| !d.trim().is_empty());
                            let configs = review.queue.score_config_ids.clone();
                            let target = item.target.clone();
                            view! {
                                {header}
                                <Show when=move || lost.get()>
                                    <p role="alert" class="mt-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200" data-testid="review-lost">
                                        {td_string!(locale, annotation.review.lost)}" "
                                        <button type="button" class=BUTTON_LINK on:click=move |_| load()>{td_string!(locale, annotation.review.next_item)}</button>
                                    </p>
                                </Show>
                                <div class="mt-4 grid grid-cols-[minmax(0,1fr)] gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
                                    <div class="min-w-0" data-testid="review-item" data-item=item.item.id.clone() data-object=item.item.object_id.clone()>
                                        <ItemContent project_id=project_id.clone() target=target.clone() />
                                    </div>
                                    <aside class="space-y-3 xl:sticky xl:top-4 xl:self-start">
                                        {instructions.map(|d| view! {
                                            <details open class=CARD data-testid="review-instructions">
                                                <summary class="cursor-pointer px-3 py-2 text-sm font-medium">{td_string!(locale, annotation.queues.instructions)}</summary>
                                                <div class="border-t border-zinc-200 px-3 py-2 text-sm dark:border-zinc-800" translate="no">{crate::components::content::render_markdown(&d, locale)}</div>
                                            </details>
                                        })}
                                        <div class=format!("{CARD} p-3")>
                                            {
                                                // The form's code loads on demand, as on the trace page (the item loads in
                                                // the browser only, so this never renders on the server).
                                                let tool = Tool::Annotate {
                                                    project_id: project_id.clone(),
                                                    target: Signal::stored(target.clone()),
                                                    on_change: None,
                                                    queue_id: Some(review.queue.id.clone()),
                                                    configs: Some(configs),
                                                    keyboard: true,
                                                };
                                                on_demand(move || page_tool(tool))
                                            }
                                            <div class="mt-3 flex flex-wrap items-center gap-2 border-t border-zinc-200 pt-3 dark:border-zinc-800">
                                                <button type="button" class=BUTTON_PRIMARY data-testid="complete-next" disabled=move || busy.get()
                                                    on:click=move |_| finish(Outcome::Completed)>{td_string!(locale, annotation.review.complete)}<kbd class="ml-2 font-mono text-[10px] opacity-70">"c"</kbd></button>
                                                <button type="button" class=BUTTON_SECONDARY data-testid="skip" disabled=move || busy.get()
                                                    on:click=move |_| finish(Outcome::Skipped)>{td_string!(locale, annotation.review.skip)}<kbd class="ml-2 font-mono text-[10px] opacity-70">"s"</kbd></button>
                                            </div>
                                            <div class="mt-2"><ErrorAlert error=Signal::derive(move || error.get()) /></div>
                                            <p class=format!("{HINT} mt-2")>{td_string!(locale, annotation.review.keys)}</p>
                                        </div>
                                    </aside>
                                </div>
                            }.into_any()
                        }
                    }
                }
            }}
        </div>
    }
}

/// The item itself: a trace or an observation as on the trace page (header, input/output,
/// waterfall; the observation selected), or a session's turns.
#[component]
fn ItemContent(project_id: String, target: Target) -> impl IntoView {
    match target {
        Target::Trace { trace_id } => view! { <ReviewTrace project_id trace_id observation=None /> }.into_any(),
        Target::Observation { trace_id, observation_id } => view! { <ReviewTrace project_id trace_id observation=Some(observation_id) /> }.into_any(),
        Target::Session { session_id } => view! { <ReviewSession project_id session_id /> }.into_any(),
    }
}

#[component]
fn ReviewTrace(project_id: String, trace_id: String, observation: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let (pid, tid) = (project_id.clone(), trace_id.clone());
    let detail = LocalResource::new(move || crate::server_fns::trace_detail::get_trace(pid.clone(), crate::domain::TraceId::new(tid.clone())));
    let selected = RwSignal::new(observation);
    let list = format!("/project/{project_id}/traces");
    view! {
        {move || match detail.try_get().flatten() {
            None => view! { <Skeleton label=t_string!(i18n, trace.loading_trace) /> }.into_any(),
            Some(Err(error)) => view! { <LoadError error /> }.into_any(),
            Some(Ok(detail)) => view! { <crate::pages::trace_detail::Header detail list=Some(list.clone()) can_share=false /> }.into_any(),
        }}
        <div class="mt-4">
            <crate::pages::trace_detail::TraceExplorer project_id trace_id=Signal::stored(trace_id) selected height="h-[50vh]" />
        </div>
    }
}

#[component]
fn ReviewSession(project_id: String, session_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let (pid, sid) = (project_id.clone(), session_id.clone());
    let detail = LocalResource::new(move || crate::server_fns::sessions::get_session(pid.clone(), sid.clone()));
    let base = format!("/project/{project_id}");
    view! {
        <h2 class="text-base font-semibold">{td_string!(locale, annotation.review.session, id = session_id.clone()).to_string()}</h2>
        {move || match detail.try_get().flatten() {
            None => view! { <Skeleton label=td_string!(locale, sessions.session.loading) /> }.into_any(),
            Some(Err(error)) => view! { <LoadError error /> }.into_any(),
            Some(Ok(detail)) => view! {
                <ol class="mt-3 space-y-3" data-testid="review-session">
                    {detail.traces.into_iter().enumerate().map(|(turn, t)| view! {
                        <li class=format!("{CARD} px-4 py-3 text-sm")>
                            <p class="flex justify-between text-xs text-zinc-500">
                                <span>{td_string!(locale, sessions.session.turn, turn = turn + 1, time = timestamp(t.timestamp)).to_string()}</span>
                                <a class=BUTTON_LINK href=format!("{base}/traces/{}", crate::domain::url::encode_query(&t.id))>{td_string!(locale, annotation.review.open_trace)}</a>
                            </p>
                            {crate::pages::sessions::as_text(&t.input).map(|text| view! {
                                <div class="mt-2"><p class="text-xs font-semibold text-zinc-500">{td_string!(locale, sessions.session.input)}</p><pre class="mt-1 whitespace-pre-wrap break-words font-sans">{text}</pre></div>
                            })}
                            {crate::pages::sessions::as_text(&t.output).map(|text| view! {
                                <div class="mt-2"><p class="text-xs font-semibold text-zinc-500">{td_string!(locale, sessions.session.output)}</p><pre class="mt-1 whitespace-pre-wrap break-words font-sans">{text}</pre></div>
                            })}
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any(),
        }}
    }
}

/// Releases the item with a request that outlives the page: `sendBeacon` with URL search
/// params, which it sends form-encoded, the encoding server functions read.
#[cfg(feature = "hydrate")]
fn release_in_background(project_id: &str, item_id: &str) {
    use crate::domain::url::encode_query;
    let Some(window) = leptos::web_sys::window() else { return };
    let body = format!("project_id={}&item_id={}", encode_query(project_id), encode_query(item_id));
    if let Ok(params) = leptos::web_sys::UrlSearchParams::new_with_str(&body) {
        let _ = window.navigator().send_beacon_with_opt_url_search_params("/api/ui/release_review", Some(&params));
    }
}

