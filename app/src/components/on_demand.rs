//! Tools whose code the browser fetches on first use: the trace page's secondary tools (the
//! "Annotate" form, "Add to queue", "Add to dataset", the comment threads) are `#[lazy]`
//! functions returning their view, so wasm-split moves their components, server-function clients
//! and serde code out of the areas into modules of their own (docs/BENCHMARKS.md, "Browser
//! bundle"). What stays in the page is a light button.
//!
//! The lazy part is only ever made in the browser after hydration — on a click, or from an
//! effect (effects never run on the server and run after hydration) — so the server never renders
//! it and hydration never meets it: server and browser render the same light button.

use std::future::Future;

use leptos::prelude::*;

use crate::components::ui::*;
use crate::domain::annotation::Target;
use crate::domain::comments::ObjectType;
use crate::domain::trace_list::TraceListQuery;
use crate::server_fns::comments::MarkMentionsRead;

/// A tool loaded on demand, with what it is given.
pub enum Tool {
    /// "Add to dataset"'s form (`dataset_picker`).
    AddToDataset { project_id: String, trace_id: String, observation_id: Option<String>, on_close: Callback<()> },
    /// The traces list's bulk "Add to dataset" menu (`dataset_picker`).
    TracesToDataset { project_id: String, trace_ids: Signal<Vec<String>>, open: RwSignal<bool> },
    /// "Add to queue" (`queue_picker`).
    AddToQueue { project_id: String, targets: Signal<Vec<Target>>, test_id: &'static str, open: RwSignal<bool> },
    /// The traces list's "Add all matching to a queue" (`queue_picker`).
    AddMatching { project_id: String, query: Memo<TraceListQuery>, open: RwSignal<bool> },
    /// The "Annotate" form (`annotate::AnnotatePanel`): on the trace, observation and session
    /// pages on a click, on the review page with a queue's configs and the keyboard once an item
    /// has loaded (in the browser, after hydration).
    Annotate {
        project_id: String,
        target: Signal<Target>,
        on_change: Option<Callback<()>>,
        queue_id: Option<String>,
        configs: Option<Vec<String>>,
        keyboard: bool,
    },
    /// An object's comment thread (`comments`).
    Comments { project_id: String, object_type: ObjectType, object_id: Signal<String> },
    /// The top bar's inbox panel (`comments::InboxPanel`), when the bell opens: only the bell and
    /// its count are in the main bundle.
    Inbox { mark: ServerAction<MarkMentionsRead>, unread: Signal<i64> },
}

/// Every tool in one lazily loaded function, hence one more split (its own module plus its share
/// of the code the areas use too). A function per tool made six more splits, and wasm-split makes
/// a module per combination of splits sharing code: 460 modules, 261 of them in the explorer's
/// first visit; with one function, 274 and 139. The tools are small together (the first one used
/// — usually a comment thread, right after hydration — brings the others along).
#[lazy]
pub fn page_tool(tool: Tool) -> AnyView {
    use crate::components::{annotate::AnnotatePanel, comments::CommentThread, dataset_picker::*, queue_picker::*};
    match tool {
        Tool::AddToDataset { project_id, trace_id, observation_id, on_close } => {
            view! { <AddToDatasetForm project_id trace_id observation_id on_close /> }.into_any()
        }
        Tool::TracesToDataset { project_id, trace_ids, open } => view! { <TracesToDatasetMenu project_id trace_ids open /> }.into_any(),
        Tool::AddToQueue { project_id, targets, test_id, open } => view! { <QueueMenu project_id targets test_id open /> }.into_any(),
        Tool::AddMatching { project_id, query, open } => view! { <MatchingMenu project_id query open /> }.into_any(),
        Tool::Annotate { project_id, target, on_change, queue_id, configs, keyboard } => {
            // The props spelled out: `queue_id` and `configs` are optional props, given here as `Option`s.
            let props = crate::components::annotate::AnnotatePanelProps { project_id, target, queue_id, configs, keyboard, on_change };
            AnnotatePanel(props).into_any()
        }
        Tool::Comments { project_id, object_type, object_id } => view! { <CommentThread project_id object_type object_id /> }.into_any(),
        Tool::Inbox { mark, unread } => view! { <crate::components::comments::InboxPanel mark unread /> }.into_any(),
    }
}

/// The view `load` makes once its code has arrived (a skeleton meanwhile): `load` calls a
/// `#[lazy]` function, which fetches its module the first time and resolves at once afterwards.
/// Call it where the tool is wanted (inside the `Show` of its button); closing the tool disposes
/// of it, and of a load still under way.
pub fn on_demand<Fut>(load: impl FnOnce() -> Fut + 'static) -> impl IntoView
where
    Fut: Future<Output = AnyView> + 'static,
{
    on_demand_or(load, || view! { <Skeleton /> }.into_any())
}

/// [`on_demand`] showing `waiting` until the code has arrived.
pub fn on_demand_or<Fut>(load: impl FnOnce() -> Fut + 'static, waiting: impl Fn() -> AnyView + Send + Sync + 'static) -> impl IntoView
where
    Fut: Future<Output = AnyView> + 'static,
{
    let ready = RwSignal::new(false);
    // An `AnyView` is neither `Clone` nor `Sync`: it waits here, in the browser thread, until the
    // closure below takes it (once: `ready` only ever turns true once).
    let slot = StoredValue::new_local(None::<AnyView>);
    // The tool is built while the task is polled: under this owner (its contexts, and disposed of
    // with it), and untracked, so its reads subscribe nothing out here.
    untrack(|| {
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let view = load().await;
            slot.set_value(Some(view));
            ready.set(true);
        })
    });
    move || {
        if ready.get() {
            slot.try_update_value(Option::take).flatten().into_any()
        } else {
            waiting()
        }
    }
}

/// A menu button whose menu (and the action behind it) loads on the first click: until then a
/// plain button looking like the `Dropdown`'s (busy while the code arrives), then `load(open)` —
/// the real `Dropdown`, with `open` already true — in its place.
pub fn menu_on_demand<Fut>(
    test_id: &'static str,
    title: Option<String>,
    label: impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    load: impl Fn(RwSignal<bool>) -> Fut + Send + Sync + 'static,
) -> impl IntoView
where
    Fut: Future<Output = AnyView> + 'static,
{
    let wanted = RwSignal::new(false);
    let open = RwSignal::new(false);
    let title = StoredValue::new(title);
    move || {
        if wanted.get() {
            let menu = load(open);
            on_demand_or(move || menu, move || {
                view! {
                    <div class="relative min-w-0">
                        <button type="button" class=BUTTON_SECONDARY data-testid=test_id aria-haspopup="menu" aria-expanded="true" aria-busy="true"
                            title=title.get_value()>{label()}</button>
                    </div>
                }
                .into_any()
            })
            .into_any()
        } else {
            // The `Dropdown`'s wrapper too, so nothing moves when the real menu takes its place.
            view! {
                <div class="relative min-w-0">
                    <button type="button" class=BUTTON_SECONDARY data-testid=test_id aria-haspopup="menu" aria-expanded="false" title=title.get_value()
                        on:click=move |_| {
                            open.set(true);
                            wanted.set(true);
                        }>{label()}</button>
                </div>
            }
            .into_any()
        }
    }
}
