//! Small building blocks shared by the forms and tables: class names for inputs and buttons, an
//! error alert, a copy button, a page header, and the full-page navigation used after signing in
//! or out (so the shell reloads with the new session).

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::error::AppError;
use crate::i18n::*;

pub const INPUT: &str = "block w-full rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm shadow-sm placeholder:text-zinc-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30 disabled:opacity-60 dark:border-zinc-700 dark:bg-zinc-900";
pub const SELECT: &str = "rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30 disabled:opacity-60 dark:border-zinc-700 dark:bg-zinc-900";
pub const LABEL: &str = "block text-sm font-medium text-zinc-700 dark:text-zinc-300";
pub const HINT: &str = "mt-1 text-xs text-zinc-500 dark:text-zinc-400";
pub const BUTTON_PRIMARY: &str = "inline-flex items-center justify-center gap-2 rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50 dark:focus-visible:ring-offset-zinc-950";
pub const BUTTON_SECONDARY: &str = "inline-flex items-center justify-center gap-2 rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm font-medium text-zinc-800 hover:bg-zinc-50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:cursor-not-allowed disabled:opacity-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800";
pub const BUTTON_DANGER: &str = "inline-flex items-center justify-center gap-2 rounded-md bg-red-600 px-3 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-red-500 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-red-500 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50";
pub const BUTTON_LINK: &str = "text-sm font-medium text-indigo-600 hover:underline disabled:opacity-50 dark:text-indigo-400";
pub const CARD: &str = "rounded-lg border border-zinc-200 dark:border-zinc-800";
pub const TABLE: &str = "w-full text-left text-sm";
pub const TH: &str = "whitespace-nowrap px-4 py-2 text-xs font-semibold uppercase tracking-wide text-zinc-600 dark:text-zinc-300";
pub const TD: &str = "px-4 py-2 align-top";

/// A red alert with the error's message; nothing when there is no error.
#[component]
pub fn ErrorAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    move || {
        // `try_get`: a page torn down mid-render (a client that leaves during streaming) has
        // disposed the signal already; reading it with `get` would panic the render.
        error.try_get().flatten().map(|error| {
            let (title, hint) = match &error {
                AppError::SignInRequired => (
                    td_string!(locale, common.errors.signed_out),
                    Some(view! { <a class="underline" href="/sign-in">{td_string!(locale, common.errors.sign_in_again)}</a> }),
                ),
                AppError::Forbidden(_) => (td_string!(locale, common.errors.not_allowed), None),
                AppError::TooManyAttempts(_) => (td_string!(locale, common.errors.too_many_attempts), None),
                AppError::NotFound(_) => (td_string!(locale, common.errors.not_found), None),
                _ => (td_string!(locale, common.errors.failed), None),
            };
            view! {
                <div role="alert" data-testid="form-error" class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-300">
                    <p class="font-medium">{title}</p>
                    <p class="mt-0.5">{error.message_in(locale)}</p>
                    {hint}
                </div>
            }
        })
    }
}

/// A table's header row; an empty name leaves a column (e.g. for row actions) unlabelled.
#[component]
pub fn TableHead(#[prop(into)] columns: Columns) -> impl IntoView {
    view! {
        <thead class="border-b border-zinc-200 dark:border-zinc-800">
            <tr>{columns.0.into_iter().map(|c| view! { <th class=TH>{c}</th> }).collect_view()}</tr>
        </thead>
    }
}

/// A table's column names for [`TableHead`]: fixed ones (`&["Name", "Role"]`), translated ones
/// (`[t_string!(i18n, ns.name), …]`) or made for this render (`vec![format!(…)]`, e.g. a time
/// column named after the person's time zone).
pub struct Columns(pub Vec<String>);

impl<const N: usize> From<&[&str; N]> for Columns {
    fn from(names: &[&str; N]) -> Self {
        Columns(names.iter().map(|n| n.to_string()).collect())
    }
}

impl<const N: usize> From<[&str; N]> for Columns {
    fn from(names: [&str; N]) -> Self {
        Columns(names.iter().map(|n| n.to_string()).collect())
    }
}

impl From<&[&str]> for Columns {
    fn from(names: &[&str]) -> Self {
        Columns(names.iter().map(|n| n.to_string()).collect())
    }
}

impl From<Vec<String>> for Columns {
    fn from(names: Vec<String>) -> Self {
        Columns(names)
    }
}

/// A route parameter as a memo (`""` when absent). The rule every route follows: its component
/// reads its parameters with this and creates its server resources from them at the top, outside
/// `InProject`'s Transition, handing them down (ARCHITECTURE.md, invariants) — a resource first
/// created inside a streamed chunk sometimes failed to hydrate. A resource only some roles may
/// load is made with `pages::project::permitted_resource`.
pub fn route_param(name: &'static str) -> Memo<String> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.with(|p| p.get(name).unwrap_or_default()))
}

/// The `?page=N` of the URL (0 when absent or not a number), for offset-paged lists.
pub fn page_number() -> Memo<i64> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| query.with(|q| q.get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(0)))
}

/// The `?q=` of the URL: an offset-paged list's search ("" when absent).
pub fn search_query() -> Memo<String> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| query.with(|q| q.get("q").unwrap_or_default()))
}

/// Runs the last of quickly repeated calls once they pause: for inputs that apply as people type.
/// Nothing runs while an IME composition is in progress (Chinese or Japanese input): the
/// composed text is applied once committed (`compositionend`), never half-typed.
///
/// Make it in a component's body: when that component goes away (someone typed, then navigated
/// within [`Debounce::TYPING`]) the pending timer is cleared, and a timer that fires anyway
/// finds the disposed state (`try_` reads) and runs nothing — what it would run reads the
/// component's signals, which are gone, and the `get_value` of a disposed value panics.
#[derive(Clone, Copy)]
pub struct Debounce {
    generation: StoredValue<u64>,
    composing: StoredValue<bool>,
    /// The pending timer (browser only), cleared with the owner.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    timer: StoredValue<Option<TimeoutHandle>>,
}

impl Debounce {
    /// How long typing must pause before the text applies.
    pub const TYPING: std::time::Duration = std::time::Duration::from_millis(400);

    pub fn new() -> Debounce {
        let timer = StoredValue::new(None::<TimeoutHandle>);
        // Cleanups run before the owner's values are dropped, so the handle is still readable.
        #[cfg(feature = "hydrate")]
        on_cleanup(move || {
            if let Some(Some(handle)) = timer.try_get_value() {
                handle.clear();
            }
        });
        Debounce { generation: StoredValue::new(0), composing: StoredValue::new(false), timer }
    }

    /// Runs `run` after [`Debounce::TYPING`] unless another call is scheduled (or `cancel`led)
    /// before then, a composition is in progress, or the owner was disposed.
    pub fn schedule(self, run: impl FnOnce() + 'static) {
        if self.composing.try_get_value().unwrap_or(true) {
            return;
        }
        let Some(mine) = self.generation.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        let fire = move || {
            if self.generation.try_get_value() == Some(mine) {
                run()
            }
        };
        #[cfg(feature = "hydrate")]
        if let Ok(handle) = set_timeout_with_handle(fire, Self::TYPING) {
            let _ = self.timer.try_set_value(Some(handle));
        }
        #[cfg(not(feature = "hydrate"))]
        set_timeout(fire, Self::TYPING);
    }

    /// Drops whatever is scheduled (the value was applied another way, e.g. Enter).
    pub fn cancel(self) {
        let _ = self.generation.try_update_value(|n| *n += 1);
    }

    pub fn composition_started(self) {
        let _ = self.composing.try_set_value(true);
    }

    /// The composition ended: schedule the committed text like typing.
    pub fn composition_ended(self) {
        let _ = self.composing.try_set_value(false);
    }
}

impl Default for Debounce {
    fn default() -> Self {
        Debounce::new()
    }
}

/// A `Transition`'s "pending" state as a reader and a setter (`set_pending`), safe on the server.
///
/// Reference-counted, not arena-stored, for two reasons found on the server. The Transition
/// reports "pending" from effects that can run after the page went away, when an arena signal is
/// disposed and `set` panicked the render thread. And the setter is called under the reactive
/// arena's read lock: writing an arena signal from it takes that lock again, and when another
/// request's owner was being dropped (a writer waiting) the two threads deadlocked and the whole
/// server stopped answering. An `ArcRwSignal` touches no arena. Read the reader with `try_get`:
/// a client that leaves while the page streams disposes it before the last render effects run.
///
/// Make it at a route's top, outside any `Suspend`: server rendering may run a `Suspend`'s
/// closure more than once (`Suspense`'s dry resolve), disposing what the first run made while
/// that run's HTML is still being written.
pub fn pending_flag() -> (Signal<bool>, SignalSetter<bool>) {
    let pending = ArcRwSignal::new(false);
    let reader = Signal::derive({
        let pending = pending.clone();
        // `try_get`: seen panicking in a server render's attribute closure after the page went
        // away (the reference-counted signal reported itself disposed).
        move || pending.try_get().unwrap_or(false)
    });
    (reader, SignalSetter::map(move |value| pending.set(value)))
}

/// A list's search box, kept in the URL's `?q=` (so it survives a reload and can be shared).
/// It applies as people type, once they pause ([`Debounce`]), IME compositions included.
/// `busy` is the list's loading state (its `Transition`'s `set_pending`): while the results of a
/// search are on their way the old rows stay, so the box says it is searching ([`pending_flag`]).
#[component]
pub fn SearchBox(
    label: &'static str,
    placeholder: &'static str,
    test_id: &'static str,
    #[prop(optional, into)] busy: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let searching = t_string!(i18n, common.searching);
    let query = search_query();
    let params = leptos_router::hooks::use_query_map();
    let location = leptos_router::hooks::use_location();
    let navigate = leptos_router::hooks::use_navigate();
    let debounce = Debounce::new();
    // The list's other filters stay; the page goes back to the first.
    let apply = move |value: String| {
        let url = params.with_untracked(|params| list_href(&location.pathname.get_untracked(), params, ("q", &value)));
        navigate(&url, leptos_router::NavigateOptions { replace: true, scroll: false, ..Default::default() });
    };
    let schedule = move |value: String| {
        let apply = apply.clone();
        debounce.schedule(move || apply(value));
    };
    view! {
        <input type="search" class=format!("{INPUT} max-w-xs") aria-label=label placeholder=placeholder data-testid=test_id
            prop:value=move || query.get()
            on:compositionstart=move |_| debounce.composition_started()
            on:compositionend={
                let schedule = schedule.clone();
                move |ev| { debounce.composition_ended(); schedule(event_target_value(&ev)); }
            }
            on:input=move |ev| schedule(event_target_value(&ev)) />
        <span class="min-w-[5rem] text-xs text-zinc-500 dark:text-zinc-400" role="status" aria-live="polite" data-testid="search-busy">
            {move || busy.try_get().unwrap_or(false).then_some(searching)}
        </span>
    }
}

/// A list's `path` with the URL's query (its search and filters) where `change` sets one key
/// (removes it when the value is blank), on the first page: where a changed filter leads, and
/// (changing nothing, `("", "")`) the base of the pager's links.
pub fn list_href(path: &str, query: &leptos_router::params::ParamsMap, change: (&str, &str)) -> String {
    let (key, value) = change;
    let encode = crate::domain::url::encode_query;
    let mut parts: Vec<String> = query
        .latest_values()
        .filter(|(k, _)| k.as_ref() != "page" && k.as_ref() != key)
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    if !key.is_empty() && !value.trim().is_empty() {
        parts.push(format!("{}={}", encode(key), encode(value)));
    }
    if parts.is_empty() { path.to_string() } else { format!("{path}?{}", parts.join("&")) }
}

/// "← Previous" / "Next →" links under a paged table (`href` is the list's path, with its
/// search if any).
#[component]
pub fn Pager(href: String, current: i64, next: Option<i64>) -> impl IntoView {
    let join = if href.contains('?') { '&' } else { '?' };
    let previous = (current > 0).then(|| format!("{href}{join}page={}", current - 1));
    let next = next.map(|n| format!("{href}{join}page={n}"));
    view! { <PagerLinks previous next /> }
}

/// "← Previous" / "Next →" with the pages' addresses already made (pages numbered or keyed
/// however the list likes); nothing at all when there is neither.
#[component]
pub fn PagerLinks(previous: Option<String>, next: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    (previous.is_some() || next.is_some()).then(|| view! {
        <div class="flex items-center justify-between border-t border-zinc-200 px-4 py-2 text-sm dark:border-zinc-800">
            <span>{previous.map(|href| view! { <a class=BUTTON_LINK href=href>{t_string!(i18n, common.pager.previous)}</a> })}</span>
            <span>{next.map(|href| view! { <a class=BUTTON_LINK href=href>{t_string!(i18n, common.pager.next)}</a> })}</span>
        </div>
    })
}

/// An empty list's message: what would be here and how to get it there.
#[component]
pub fn EmptyHint(title: &'static str, test_id: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="px-6 py-8 text-sm text-zinc-500 dark:text-zinc-400" data-testid=test_id>
            <p class="font-medium text-zinc-900 dark:text-zinc-100">{title}</p>
            <p class="mt-1">{children()}</p>
        </div>
    }
}

/// A failed load, in place of what could not be loaded.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    view! { <div class="p-4"><ErrorAlert error=Signal::derive(move || Some(error.clone())) /></div> }
}

/// The error of the latest dispatch of a server action, if it failed.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().try_get().flatten().and_then(|result| result.err()))
}

/// A button that copies `text` to the clipboard and says so for a moment.
#[component]
pub fn CopyButton(#[prop(into)] text: String, #[prop(optional, into)] label: Option<String>, #[prop(optional, into)] test_id: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let copied = RwSignal::new(false);
    let label = label.unwrap_or_else(|| t_string!(i18n, common.copy.copy).to_string());
    let copied_label = t_string!(i18n, common.copy.copied);
    let on_click = move |_| {
        copy_to_clipboard(&text);
        copied.set(true);
        set_timeout(move || copied.set(false), std::time::Duration::from_millis(1500));
    };
    view! {
        <button type="button" class=BUTTON_SECONDARY on:click=on_click data-testid=test_id>
            {move || if copied.get() { copied_label.to_string() } else { label.clone() }}
        </button>
    }
}

fn copy_to_clipboard(_text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(_text);
    }
}

/// Loads `path` as a new document: after signing in or out, so everything reloads with the new
/// session (the shell, the switcher, cached resources).
pub fn full_navigation(_path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(_path);
    }
}

/// The title row of a page.
#[component]
pub fn PageHeader(
    #[prop(into)] title: Signal<String>,
    #[prop(optional, into)] subtitle: Option<Signal<String>>,
    /// The title is a name people gave (an organization, a project): data, not words of the UI,
    /// so it is marked `translate="no"` (browsers' page translation and the language check
    /// leave it alone).
    #[prop(optional)]
    data_title: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                <h1 class="break-words text-xl font-semibold tracking-tight" translate=if data_title { "no" } else { "yes" }>{move || title.get()}</h1>
                {subtitle.map(|s| view! { <p class="mt-1 text-sm text-zinc-500 dark:text-zinc-400">{move || s.get()}</p> })}
            </div>
            {children.map(|c| c())}
        </div>
    }
}

/// A loading placeholder for a card or table.
#[component]
pub fn Skeleton(#[prop(optional, into)] label: Option<&'static str>) -> impl IntoView {
    let i18n = use_i18n();
    let label = label.unwrap_or_else(|| t_string!(i18n, common.loading));
    view! {
        <div class="space-y-3 px-4 py-4" aria-busy="true" aria-label=label>
            <div class="h-3 w-1/3 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
            <div class="h-3 w-1/2 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
            <div class="h-3 w-1/4 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
        </div>
    }
}

/// "3 min ago"-style time for lists, in the page's language (English outside a page, e.g. in a
/// unit test); the full timestamp goes in the title attribute.
pub fn relative_time(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let locale = use_context::<leptos_i18n::I18nContext<Locale>>().map(|i18n| i18n.get_locale_untracked()).unwrap_or(Locale::en);
    relative_time_in(locale, at, now)
}

/// [`relative_time`] in `locale`: "3 min ago", "3 分钟前".
pub fn relative_time_in(locale: Locale, at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let seconds = (now - at).num_seconds();
    match seconds {
        s if s < 60 => td_string!(locale, common.time.just_now).to_string(),
        s if s < 3600 => td_string!(locale, common.time.minutes_ago, count = s / 60).to_string(),
        s if s < 86_400 => td_string!(locale, common.time.hours_ago, count = s / 3600).to_string(),
        s if s < 30 * 86_400 => td_string!(locale, common.time.days_ago, count = s / 86_400).to_string(),
        _ => crate::language::time_zone().date(at),
    }
}

/// A full time in the person's time zone, named after it ("2026-12-04 03:52:35 UTC+08:00"):
/// for tooltips and detail panels.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    let zone = crate::language::time_zone();
    format!("{} {}", zone.format(at), zone.label())
}

pub use crate::domain::url::encode_query;

/// Closes a dropdown whenever the URL changes (a link inside it was followed).
fn close_on_navigation(open: RwSignal<bool>) {
    let location = use_location();
    // Only on a change: a menu made open (one loaded on its first click, `components::on_demand`)
    // stays open.
    Effect::watch(move || location.pathname.track(), move |_, _, _| open.set(false), false);
}

const MENU: &str = "absolute z-20 mt-1 max-w-[calc(100vw-1rem)] rounded-md border border-zinc-200 bg-white text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-900";
pub const MENU_ITEM: &str = "block px-3 py-1.5 hover:bg-zinc-100 dark:hover:bg-zinc-800";

/// A button that opens a menu or a small panel below it. It closes again when the button is
/// pressed, on Escape, on a click anywhere outside it (so two never stay open over each other),
/// and when a link inside it is followed. The one popover of the UI: menus, the traces list's
/// "Columns" and "Views".
#[component]
pub fn Dropdown(
    /// `data-testid` of the button.
    test_id: &'static str,
    button_class: &'static str,
    /// Position, width and padding of the menu, e.g. `left-0 w-72 py-1`.
    menu_class: &'static str,
    /// `menu` for a list of actions and links, `dialog` for a panel with controls.
    #[prop(default = "menu")]
    role: &'static str,
    /// The open state, when the content closes it itself (a link that only changes the query).
    #[prop(optional)]
    open: Option<RwSignal<bool>>,
    #[prop(optional)] menu_test_id: Option<&'static str>,
    #[prop(optional, into)] title: Option<String>,
    /// What the button shows.
    #[prop(into)]
    trigger: ViewFn,
    children: ChildrenFn,
) -> impl IntoView {
    let open = open.unwrap_or_else(|| RwSignal::new(false));
    close_on_navigation(open);
    let children = StoredValue::new(children);
    view! {
        <div class="relative min-w-0" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <button
                type="button"
                data-testid=test_id
                aria-haspopup=if role == "menu" { "menu" } else { "dialog" }
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
                // Above the backdrop while open, so pressing it again closes the menu.
                class=move || if open.get() { format!("{button_class} relative z-20") } else { button_class.to_string() }
                title=title
            >
                {trigger.run()}
            </button>
            <Show when=move || open.get()>
                // Transparent backdrop under the menu: a click outside closes it.
                <div class="fixed inset-0 z-10" aria-hidden="true" on:click=move |_| open.set(false)></div>
                <div class=format!("{MENU} {menu_class}") role=role data-testid=menu_test_id>
                    {children.with_value(|c| c())}
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{list_href, relative_time, relative_time_in};
    use crate::i18n::Locale;
    use leptos_router::params::ParamsMap;

    #[test]
    fn relative_times_in_both_languages() {
        let now = chrono::DateTime::parse_from_rfc3339("2025-03-10T12:00:00Z").unwrap().to_utc();
        let ago = |seconds: i64| now - chrono::Duration::seconds(seconds);
        // Without an i18n context (here), English.
        assert_eq!(relative_time(ago(5), now), "just now");
        assert_eq!(relative_time(ago(180), now), "3 min ago");
        assert_eq!(relative_time(ago(2 * 3600), now), "2 h ago");
        assert_eq!(relative_time(ago(5 * 86_400), now), "5 d ago");
        assert_eq!(relative_time(ago(40 * 86_400), now), "2025-01-29");
        assert_eq!(relative_time_in(Locale::zh, ago(5), now), "刚刚");
        assert_eq!(relative_time_in(Locale::zh, ago(180), now), "3 分钟前");
        assert_eq!(relative_time_in(Locale::zh, ago(2 * 3600), now), "2 小时前");
        assert_eq!(relative_time_in(Locale::zh, ago(5 * 86_400), now), "5 天前");
    }

    #[test]
    fn a_list_link_keeps_the_other_filters_and_drops_the_page() {
        let mut query = ParamsMap::new();
        query.insert("q", "chat".into());
        query.insert("env", "staging".into());
        query.insert("page", "3".into());
        assert_eq!(list_href("/p/sessions", &query, ("range", "24h")), "/p/sessions?q=chat&env=staging&range=24h");
        assert_eq!(list_href("/p/sessions", &query, ("env", "")), "/p/sessions?q=chat", "a blank value removes its key");
        assert_eq!(list_href("/p/sessions", &query, ("q", "a b&c")), "/p/sessions?env=staging&q=a%20b%26c");
        assert_eq!(list_href("/p/sessions", &query, ("", "")), "/p/sessions?q=chat&env=staging", "the pager's base");
        assert_eq!(list_href("/p/users", &ParamsMap::new(), ("q", "  ")), "/p/users");
    }
}
