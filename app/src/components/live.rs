//! Live updates in the browser: [`use_live`] opens the server's event stream for a URL from
//! `domain::live` (`project_traces_url`, `trace_url`) with the browser's `EventSource`, which
//! reconnects by itself, and turns its events into signals. On the server it does nothing: the
//! page renders what it loaded, and the stream opens once hydrated.
//!
//! A page that shows one trace reloads it on each change:
//!
//! ```ignore
//! let live = use_live(trace_url(&project_id, &trace_id));
//! live.on_change(move || trace.refetch());
//! view! { <LiveIndicator live /> }
//! ```
//!
//! A list counts what it does not show yet and clears after reloading:
//!
//! ```ignore
//! let live = use_live(project_traces_url(&project_id));
//! let new_count = move || live.with_changed(|c| c.count_not_in(|id| shown_ids.contains(id)));
//! // on "Show new traces": rows.refetch(); live.clear();
//! ```
//!
//! Changes between the page's load and the stream's first `ready` (about the time hydration
//! takes) are not reported; a page that must not miss them (a trace still running) can reload
//! once when `connected()` first turns true. After a reconnect they are reported, as "many".

use leptos::prelude::*;

use crate::domain::live::ChangedTraces;
use crate::i18n::*;

/// The state of one live stream, as signals (cheap to copy into closures).
#[derive(Clone, Copy)]
pub struct LiveUpdates {
    connected: ReadSignal<bool>,
    version: ReadSignal<u64>,
    changed: RwSignal<ChangedTraces>,
}

impl LiveUpdates {
    /// Makes the calling effect, memo or view re-run on every change event.
    pub fn track(&self) {
        self.version.track();
    }

    /// Counts change events (0 before the first); tracked.
    pub fn version(&self) -> u64 {
        self.version.get()
    }

    /// The stream is open and the server listens for changes (the "Live" dot); tracked.
    pub fn connected(&self) -> bool {
        self.connected.get()
    }

    /// The traces changed since the last [`clear`](Self::clear) (all events merged, so none is
    /// lost between two renders); tracked.
    pub fn with_changed<R>(&self, f: impl FnOnce(&ChangedTraces) -> R) -> R {
        self.changed.with(f)
    }

    /// Forgets the gathered changes, e.g. after the view reloaded.
    pub fn clear(&self) {
        self.changed.set(ChangedTraces::default());
    }

    /// Runs `f` after every change event (not on creation): `live.on_change(move ||
    /// resource.refetch())`.
    pub fn on_change(&self, f: impl Fn() + 'static) {
        let version = self.version;
        Effect::new(move |seen: Option<u64>| {
            let current = version.get();
            if seen.is_some_and(|seen| seen != current) {
                f();
            }
            current
        });
    }
}

/// Opens the live stream at `url` (re-opened when the URL signal changes, none for an empty
/// URL) and closes it when the calling component is dropped.
pub fn use_live(url: impl Into<Signal<String>>) -> LiveUpdates {
    let url: Signal<String> = url.into();
    let (connected, set_connected) = signal(false);
    let (version, set_version) = signal(0u64);
    let changed = RwSignal::new(ChangedTraces::default());

    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let url = url.get();
        set_connected.set(false);
        if url.is_empty() {
            return;
        }
        if let Some(open) = browser::open(&url, set_connected, set_version, changed) {
            // The EventSource and its callbacks live in the browser thread; the wrapper lets
            // the cleanup (which must be Send) hold them. Dropping it closes the stream.
            let open = send_wrapper::SendWrapper::new(open);
            on_cleanup(move || drop(open));
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, set_connected, set_version);

    LiveUpdates { connected, version, changed }
}

/// A small "Live" label with a dot: green while updates arrive, grey otherwise.
#[component]
pub fn LiveIndicator(live: LiveUpdates) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <span
            data-testid="live-indicator"
            data-connected=move || live.connected().to_string()
            title=move || if live.connected() { td_string!(locale, traces.live.connected) } else { td_string!(locale, traces.live.disconnected) }
            class="inline-flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400"
        >
            <span class=move || {
                if live.connected() { "h-2 w-2 rounded-full bg-emerald-500" } else { "h-2 w-2 rounded-full bg-zinc-300 dark:bg-zinc-600" }
            }></span>
            {t_string!(i18n, traces.live.label)}
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use leptos::wasm_bindgen::prelude::Closure;
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{Event, EventSource, MessageEvent};

    use crate::domain::live::{ChangedTraces, TracesChanged, READY_EVENT, TRACES_EVENT, TRACE_EVENT};

    /// An open stream with its callbacks; closed on drop.
    pub struct Open {
        source: EventSource,
        _on_ready: Closure<dyn FnMut(MessageEvent)>,
        _on_change: Closure<dyn FnMut(MessageEvent)>,
        _on_error: Closure<dyn FnMut(Event)>,
    }

    impl Drop for Open {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    pub fn open(
        url: &str,
        set_connected: WriteSignal<bool>,
        set_version: WriteSignal<u64>,
        changed: RwSignal<ChangedTraces>,
    ) -> Option<Open> {
        let source = EventSource::new(url).ok()?;
        let readied = Rc::new(Cell::new(false));
        let on_ready = Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            // A `ready` after the first follows a reconnect: changes in the gap were missed.
            if readied.replace(true) {
                changed.try_update(|c| c.add(None));
                set_version.try_update(|v| *v += 1);
            }
            set_connected.try_set(true);
        });
        let on_change = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            // The data is ours, but read it as untrusted anyway: ignore what does not parse.
            let Some(text) = event.data().as_string() else { return };
            let Ok(data) = serde_json::from_str::<TracesChanged>(&text) else { return };
            changed.try_update(|c| c.add_event(&data));
            set_version.try_update(|v| *v += 1);
        });
        // The browser retries by itself (or gives up on a 401/404); either way, not live now.
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            set_connected.try_set(false);
        });
        source.add_event_listener_with_callback(READY_EVENT, on_ready.as_ref().unchecked_ref()).ok()?;
        for name in [TRACES_EVENT, TRACE_EVENT] {
            source.add_event_listener_with_callback(name, on_change.as_ref().unchecked_ref()).ok()?;
        }
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Open { source, _on_ready: on_ready, _on_change: on_change, _on_error: on_error })
    }
}
