//! `/project/{id}/playground` (#18): messages (or a text prompt) with `{{variables}}` filled in a
//! side panel, tools and a response schema, and up to four variants of model and parameters run
//! side by side, each streaming into its own column. `?prompt=<name>&version=N` opens a prompt
//! version, `?observation=<id>` replays a generation; the state is kept per person and project
//! in the browser (`localStorage`) so a reload loses nothing.
//!
//! A run is one `fetch` per column to `/api/playground/projects/{id}/runs`, read as server-sent
//! events as they arrive; Stop aborts that fetch, which the server takes as "stop the provider
//! call". Everything a person can get wrong is checked here, in their language, before anything
//! is sent (the server checks again, `RunRequest::checked`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::playground::{
    parse_response_schema, parse_tools, Message, Playground, PlaygroundConnection, PlaygroundStart, PromptMode, ProviderProblem, Role, SavedPlayground,
    RunEvent, RunProblem, RunUsage, ToolCall, Variant, MAX_VARIANTS as MAX_COLUMNS,
};
use crate::components::shared_doc::SharedDoc;
use crate::domain::collab::playground::{message_key, schema_key, text_key, tools_key, variable_key, PlaygroundDoc, ResultStatus, SharedPlayground, SharedResult};
use crate::domain::collab::DocumentKind;
use crate::domain::Action;
use crate::error::AppError;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::pages::prompts::role_label;
use crate::server_fns::playground::{delete_saved_playground, open_playground, save_playground};

#[component]
pub fn PlaygroundPage() -> impl IntoView {
    // Loaded at the top of the route (not inside the project's Transition), as every page does.
    let params = use_params_map();
    let project_id = Memo::new(move |_| params.with(|p| p.get("project_id").unwrap_or_default()));
    let query = use_query_map();
    let source = Memo::new(move |_| {
        query.with(|q| (q.get("prompt"), q.get("version").and_then(|v| v.parse::<i32>().ok()), q.get("observation"), q.get("saved")))
    });
    let start = Resource::new(move || (project_id.get(), source.get()), |(project_id, (prompt, version, observation, saved))| {
        open_playground(project_id, prompt, version, observation, saved)
    });
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, playground.title) />
        <InProject children=move |_, project| view! { <PlaygroundView project start /> } />
    }
}

#[component]
fn PlaygroundView(project: ProjectRef, start: Resource<Result<PlaygroundStart, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    if !project.can(Action::UsePlayground) {
        return view! {
            <div class="space-y-4 px-4 py-4 sm:px-8 sm:py-6">
                <PageHeader title=t_string!(i18n, playground.title) />
                <p class="text-sm text-zinc-600 dark:text-zinc-300" data-testid="playground-not-allowed">
                    {td_string!(locale, playground.not_allowed, role = role_label(locale, project.role)).to_string()}
                </p>
            </div>
        }
        .into_any();
    }
    let user_id = crate::components::session::use_session().current_untracked().map(|s| s.user.id).unwrap_or_default();
    view! {
        <div class="space-y-4 px-4 py-4 sm:px-8 sm:py-6" data-testid="playground">
            <Transition fallback=move || view! { <Skeleton label=t_string!(i18n, playground.loading) /> }>
                {move || {
                    let (project, user_id) = (project.clone(), user_id.clone());
                    Suspend::new(async move {
                        match start.await {
                            Ok(start) => view! { <Workbench project user_id start /> }.into_any(),
                            Err(error) => view! { <LoadError error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </div>
    }
    .into_any()
}

/// Where a column is.
#[derive(Debug, Clone, PartialEq, Default)]
enum Status {
    #[default]
    Idle,
    Running,
    Done,
    Stopped,
    Failed(String),
}

/// A column's answer.
#[derive(Debug, Clone, PartialEq, Default)]
struct Output {
    status: Status,
    text: String,
    tool_calls: Vec<ToolCall>,
    ttft_ms: Option<u64>,
    total_ms: Option<u64>,
    usage: Option<RunUsage>,
    cost: Option<f64>,
    trace_id: Option<String>,
    /// In a shared playground, who ran it when it was not this person.
    by: Option<String>,
}

impl Output {
    /// As the others in a shared playground see it (`None`: nothing ran).
    fn to_shared(&self, by: &str) -> Option<SharedResult> {
        let (status, error) = match &self.status {
            Status::Idle => return None,
            Status::Running => (ResultStatus::Running, None),
            Status::Done => (ResultStatus::Done, None),
            Status::Stopped => (ResultStatus::Stopped, None),
            Status::Failed(message) => (ResultStatus::Failed, Some(message.clone())),
        };
        Some(SharedResult {
            status,
            by: by.to_string(),
            text: self.text.clone(),
            tool_calls: self.tool_calls.clone(),
            ttft_ms: self.ttft_ms,
            total_ms: self.total_ms,
            usage: self.usage,
            cost: self.cost,
            trace_id: self.trace_id.clone(),
            error,
        })
    }

    fn from_shared(result: &SharedResult) -> Output {
        Output {
            status: match result.status {
                ResultStatus::Running => Status::Running,
                ResultStatus::Done => Status::Done,
                ResultStatus::Stopped => Status::Stopped,
                ResultStatus::Failed => Status::Failed(result.error.clone().unwrap_or_default()),
            },
            text: result.text.clone(),
            tool_calls: result.tool_calls.clone(),
            ttft_ms: result.ttft_ms,
            total_ms: result.total_ms,
            usage: result.usage,
            cost: result.cost,
            trace_id: result.trace_id.clone(),
            by: Some(result.by.clone()),
        }
    }
}

/// The key the page's state is kept under: one per person and project.
fn storage_key(user_id: &str, project_id: &str) -> String {
    format!("loupe-playground:{user_id}:{project_id}")
}

/// What a person got wrong, in their language.
pub fn run_problem(locale: Locale, problem: &RunProblem) -> String {
    match problem {
        RunProblem::NoConnection => td_string!(locale, playground.problems.no_connection).to_string(),
        RunProblem::NoModel => td_string!(locale, playground.problems.no_model).to_string(),
        RunProblem::NoMessages => td_string!(locale, playground.problems.no_messages).to_string(),
        RunProblem::VariableEmpty { name } => td_string!(locale, playground.problems.variable_empty, name = name.as_str()).to_string(),
        RunProblem::PlaceholderInvalid { name, detail } => {
            td_string!(locale, playground.problems.placeholder_invalid, name = name.as_str(), detail = detail.as_str()).to_string()
        }
        RunProblem::ToolsInvalid { detail } => td_string!(locale, playground.problems.tools_invalid, detail = detail.as_str()).to_string(),
        RunProblem::ToolInvalid { index, detail } => {
            td_string!(locale, playground.problems.tool_invalid, number = index + 1, detail = detail.as_str()).to_string()
        }
        RunProblem::TooManyTools => td_string!(locale, playground.problems.too_many_tools, limit = crate::domain::playground::MAX_TOOLS).to_string(),
        RunProblem::ResponseSchemaInvalid { detail } => td_string!(locale, playground.problems.schema_invalid, detail = detail.as_str()).to_string(),
        RunProblem::Temperature => td_string!(locale, playground.problems.temperature).to_string(),
        RunProblem::TopP => td_string!(locale, playground.problems.top_p).to_string(),
        RunProblem::MaxTokens => td_string!(locale, playground.problems.max_tokens).to_string(),
        RunProblem::StopTooMany => td_string!(locale, playground.problems.stop).to_string(),
    }
}

/// What the provider got wrong, in the person's language with the provider's own words.
pub fn provider_problem(locale: Locale, problem: &ProviderProblem) -> String {
    match problem {
        ProviderProblem::BadKey { message } => td_string!(locale, playground.provider.bad_key, message = message.as_str()).to_string(),
        ProviderProblem::UnknownModel { message } => td_string!(locale, playground.provider.unknown_model, message = message.as_str()).to_string(),
        ProviderProblem::RateLimited { retry_after_seconds: Some(seconds), message } => {
            td_string!(locale, playground.provider.rate_limited_retry, seconds = *seconds, message = message.as_str()).to_string()
        }
        ProviderProblem::RateLimited { retry_after_seconds: None, message } => {
            td_string!(locale, playground.provider.rate_limited, message = message.as_str()).to_string()
        }
        ProviderProblem::ContentFilter { message } => td_string!(locale, playground.provider.content_filter, message = message.as_str()).to_string(),
        ProviderProblem::Refused { status, message } => {
            td_string!(locale, playground.provider.refused, status = *status, message = message.as_str()).to_string()
        }
        ProviderProblem::ProviderDown { status, message } => {
            td_string!(locale, playground.provider.down, status = *status, message = message.as_str()).to_string()
        }
        ProviderProblem::Timeout { seconds } => td_string!(locale, playground.provider.timeout, seconds = *seconds).to_string(),
        ProviderProblem::MalformedStream { message } => td_string!(locale, playground.provider.malformed, message = message.as_str()).to_string(),
        ProviderProblem::Unreachable { message } => td_string!(locale, playground.provider.unreachable, message = message.as_str()).to_string(),
        ProviderProblem::Busy { limit } => td_string!(locale, playground.provider.busy, limit = *limit).to_string(),
        ProviderProblem::NoSuchConnection { name } => td_string!(locale, playground.provider.no_connection, name = name.as_str()).to_string(),
        ProviderProblem::UnsupportedAdapter { adapter } => td_string!(locale, playground.provider.unsupported, adapter = adapter.as_str()).to_string(),
    }
}

fn role_name(locale: Locale, role: Role) -> &'static str {
    match role {
        Role::System => td_string!(locale, playground.roles.system),
        Role::User => td_string!(locale, playground.roles.user),
        Role::Assistant => td_string!(locale, playground.roles.assistant),
        Role::Tool => td_string!(locale, playground.roles.tool),
        Role::Placeholder => td_string!(locale, playground.roles.placeholder),
    }
}

/// The first connection for a variant that names none (a fresh page) or one that is gone (a
/// state kept from before it was deleted), with its first model when none is set.
fn with_default_connection(mut playground: Playground, connections: &[PlaygroundConnection]) -> Playground {
    for variant in &mut playground.variants {
        if !connections.iter().any(|c| c.name == variant.connection) {
            if let Some(first) = connections.first() {
                variant.connection = first.name.clone();
                if variant.model.is_empty() {
                    variant.model = first.models.first().cloned().unwrap_or_default();
                }
            }
        }
    }
    playground
}

#[component]
fn Workbench(project: ProjectRef, user_id: String, start: PlaygroundStart) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let project_id = StoredValue::new(project.id.clone());
    let connections = StoredValue::new(start.connections.clone());
    let opened = start.opened.is_some();
    // A saved playground is a shared document: the page is bound to it (and kept in this browser
    // by the document's client, not by the per-person copy below).
    let shared_view = start.shared.clone();
    let state = RwSignal::new(match &shared_view {
        Some(view) => view.shared.playground.clone(),
        None => with_default_connection(start.opened.unwrap_or_default(), &start.connections),
    });
    let outputs = RwSignal::new(match &shared_view {
        Some(view) => (0..view.shared.playground.variants.len()).map(|i| view.shared.result(i).map(Output::from_shared).unwrap_or_default()).collect(),
        None => vec![Output::default(); state.with_untracked(|s| s.variants.len())],
    });
    // Columns whose answer this person is producing (theirs to tell the others).
    let mine = StoredValue::new(Vec::<bool>::new());
    let shared = match (shared_view, start.opened_saved.as_ref()) {
        (Some(view), Some(saved)) => {
            let doc = SharedDoc::open(project.id.clone(), DocumentKind::Playground, saved.id.clone(), view.generation, true);
            let me = crate::components::session::use_session()
                .current_untracked()
                .map(|s| s.user.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or(s.user.email.clone()))
                .unwrap_or_default();
            bind_shared(doc, view.shared, state, outputs, mine, me);
            Some(doc)
        }
        _ => None,
    };
    let key = storage_key(&user_id, &project.id);
    // Kept across reloads: the first run of the effect restores (unless the URL opened something),
    // every later one saves. Effects run in the browser only, after hydration.
    Effect::new(move |restored: Option<()>| {
        if shared.is_some() {
            return;
        }
        let json = state.with(|s| serde_json::to_string(s).unwrap_or_default());
        let Some(storage) = window().local_storage().ok().flatten() else { return };
        if restored.is_none() && !opened {
            if let Some(saved) = storage.get_item(&key).ok().flatten().and_then(|s| serde_json::from_str::<Playground>(&s).ok()) {
                let saved = with_default_connection(saved, &connections.get_value());
                outputs.set(vec![Output::default(); saved.variants.len()]);
                state.set(saved);
                return;
            }
        }
        let _ = storage.set_item(&key, &json);
    });
    let run = move |index: usize| {
        mine.update_value(|m| {
            if m.len() <= index {
                m.resize(index + 1, false);
            }
            m[index] = true;
        });
        start_run(locale, project_id.get_value(), state, outputs, index)
    };
    let run_all = move |_| {
        for index in 0..state.with_untracked(|s| s.variants.len()) {
            run(index);
        }
    };
    let any_running = Memo::new(move |_| outputs.with(|o| o.iter().any(|o| o.status == Status::Running)));
    let variant_count = Memo::new(move |_| state.with(|s| s.variants.len()));
    let no_connections = start.connections.is_empty();
    let can_manage = project.can(Action::ManageLlmConnections);
    let settings_href = format!("/project/{}/settings", project.id);
    view! {
        <PageHeader title=t_string!(i18n, playground.title) subtitle=t_string!(i18n, playground.subtitle)>
            <div class="flex flex-wrap items-center gap-2">
                <SavedPlaygrounds project_id=project.id.clone() state saved=start.saved.clone() opened=start.opened_saved.clone() shared=shared.is_some() />
                <SaveLinks project=project.clone() state />
                <button type="button" class=BUTTON_SECONDARY data-testid="add-variant"
                    disabled=move || { variant_count.get() >= MAX_COLUMNS || shared.is_some_and(|s| !s.ready.get()) }
                    on:click=move |_| {
                        state.update(|s| {
                            let copy = s.variants.last().cloned().unwrap_or_default();
                            s.variants.push(copy);
                        });
                        outputs.update(|o| o.push(Output::default()));
                    }>{t_string!(i18n, playground.add_variant)}</button>
                <button type="button" class=BUTTON_PRIMARY data-testid="run-all" disabled=move || any_running.get() || no_connections
                    on:click=run_all>{t_string!(i18n, playground.run_all)}</button>
            </div>
        </PageHeader>
        {no_connections.then(|| view! {
            <div class="rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200" data-testid="playground-no-connections">
                <p class="font-medium">{t_string!(i18n, playground.no_connections.title)}</p>
                {if can_manage {
                    view! { <a class=BUTTON_LINK href=settings_href.clone()>{t_string!(i18n, playground.no_connections.add)}</a> }.into_any()
                } else {
                    view! { <p>{t_string!(i18n, playground.no_connections.ask)}</p> }.into_any()
                }}
            </div>
        })}
        {shared.map(|shared| view! { <SharedBar shared /> })}
        {move || state.with(|s| s.prompt.clone()).map(|p| view! {
            <p class="text-sm text-zinc-600 dark:text-zinc-300" data-testid="playground-source">
                {td_string!(locale, playground.opened_from, name = p.name.as_str(), version = p.version).to_string()}
            </p>
        })}
        // A shared playground is editable once its document holds the server's state: what was
        // typed before would be overwritten by the first sync.
        <fieldset class="contents" disabled=move || shared.is_some_and(|s| !s.ready.get())>
        // In a shared playground the others see who types and where their caret is.
        <div class="grid gap-4 lg:grid-cols-5"
            on:input=move |_| { if let Some(shared) = shared { shared.typed() } }
            on:keyup=move |_| { if let Some(shared) = shared { shared.moved() } }
            on:mouseup=move |_| { if let Some(shared) = shared { shared.moved() } }
            on:focusin=move |_| { if let Some(shared) = shared { shared.moved() } }
            on:focusout=move |_| { if let Some(shared) = shared { shared.report_focus(false) } }>
            <div class="min-w-0 lg:col-span-3"><MessagesEditor state /></div>
            <div class="min-w-0 lg:col-span-2"><SidePanel state /></div>
        </div>
        <div class=move || format!("grid gap-4 {}", match variant_count.get() { 1 => "", 2 => "md:grid-cols-2", 3 => "md:grid-cols-2 xl:grid-cols-3", _ => "md:grid-cols-2 xl:grid-cols-4" })
            data-testid="variants">
            {move || (0..variant_count.get()).map(|index| view! {
                <VariantColumn index state outputs connections project_id run=Callback::new(move |_| run(index))
                    stop=Callback::new(move |_| stop_run(outputs, index)) />
            }).collect_view()}
        </div>
        </fieldset>
    }
}

/// Binds the page to a shared playground: what this person changes is written into the
/// document (the smallest edit per field, messages and variants matched by id); what the others
/// change is shown (each signal set only where it differs; the focused field's caret is kept by
/// the document's client); the answers of the columns this person runs are written for the
/// others a few times a second while they stream, and the others' answers are shown in theirs.
fn bind_shared(shared: SharedDoc, first: SharedPlayground, state: RwSignal<Playground>, outputs: RwSignal<Vec<Output>>, mine: StoredValue<Vec<bool>>, me: String) {
    use crate::domain::collab::ordered::align;
    let me = StoredValue::new(me);
    // The document as this page last wrote or read it: the ids of its messages and variants.
    let last = StoredValue::new(first);
    let counter = StoredValue::new(0u32);
    let fresh = move || {
        counter.update_value(|c| *c += 1);
        new_id(counter.get_value())
    };
    Effect::new(move |first: Option<()>| {
        let next = state.get();
        // The first values are the page's (rendered by the server), not edits.
        if first.is_none() || !shared.ready.get_untracked() || !shared.can_write.get_untracked() {
            return;
        }
        let written = last.with_value(|l| SharedPlayground {
            message_ids: align(&l.playground.messages, &l.message_ids, &next.messages, fresh),
            variant_ids: align(&l.playground.variants, &l.variant_ids, &next.variants, fresh),
            playground: next,
            results: l.results.clone(),
        });
        last.set_value(written.clone());
        shared.change(move |txn, roots: &PlaygroundDoc| roots.write(txn, &written));
    });
    Effect::new(move |_| {
        shared.remote.track();
        if !shared.ready.get() {
            return;
        }
        let Some(now) = shared.with_doc(crate::domain::collab::playground::read) else { return };
        last.set_value(now.clone());
        if state.with_untracked(|s| *s != now.playground) {
            state.set(now.playground.clone());
        }
        let count = now.playground.variants.len();
        let running_here = mine.with_value(|m| (0..count).map(|i| m.get(i).copied().unwrap_or(false)).collect::<Vec<bool>>());
        let next: Vec<Output> = outputs.with_untracked(|current| {
            (0..count)
                .map(|i| {
                    let here = current.get(i).cloned().unwrap_or_default();
                    match now.result(i) {
                        // A column this person runs keeps what streams in here.
                        _ if running_here[i] && here.status == Status::Running => here,
                        Some(result) if me.with_value(|me| here.to_shared(me)).as_ref() != Some(result) => Output::from_shared(result),
                        _ => here,
                    }
                })
                .collect()
        });
        if outputs.with_untracked(|current| *current != next) {
            // What someone else ran is theirs now.
            mine.update_value(|m| {
                for (i, output) in next.iter().enumerate() {
                    if output.by.is_some() {
                        if let Some(flag) = m.get_mut(i) {
                            *flag = false;
                        }
                    }
                }
            });
            outputs.set(next);
        }
    });
    // This person's answers, for the others: while streaming at most every 400 ms, then the end.
    let sent = StoredValue::new((Vec::<Option<SharedResult>>::new(), 0f64));
    Effect::new(move |_| {
        let current = outputs.get();
        if !shared.ready.get_untracked() || !shared.can_write.get_untracked() {
            return;
        }
        let now = now_ms();
        let ids = last.with_value(|l| l.variant_ids.clone());
        let mut changes: Vec<(String, SharedResult)> = Vec::new();
        let mut streaming_only = true;
        for (i, output) in current.iter().enumerate() {
            if !mine.with_value(|m| m.get(i).copied().unwrap_or(false)) || output.by.is_some() {
                continue;
            }
            let (Some(id), Some(result)) = (ids.get(i), me.with_value(|me| output.to_shared(me))) else { continue };
            if sent.with_value(|(s, _)| s.get(i).cloned().flatten().as_ref() == Some(&result)) {
                continue;
            }
            streaming_only &= result.status == ResultStatus::Running;
            changes.push((id.clone(), result));
        }
        if changes.is_empty() || (streaming_only && now - sent.with_value(|(_, at)| *at) < 400.0) {
            return;
        }
        sent.update_value(|(s, at)| {
            s.resize(current.len(), None);
            for (i, output) in current.iter().enumerate() {
                if mine.with_value(|m| m.get(i).copied().unwrap_or(false)) {
                    s[i] = me.with_value(|me| output.to_shared(me));
                }
            }
            *at = now;
        });
        shared.change(move |txn, roots: &PlaygroundDoc| {
            for (id, result) in &changes {
                roots.write_result(txn, id, result);
            }
        });
    });
}

/// Milliseconds on the page's clock (0 on the server, where nothing streams).
fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// An id for a new message or variant no other screen will make.
fn new_id(n: u32) -> String {
    #[cfg(feature = "hydrate")]
    {
        format!("{:x}-{n}", (js_sys::Math::random() * 9.0e15) as u64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        format!("n-{n}")
    }
}

/// Above a shared playground: the connection, who else is in it and who is typing, and what
/// happened to it (saved over, deleted, a refused change).
#[component]
fn SharedBar(shared: SharedDoc) -> impl IntoView {
    use crate::components::shared_doc::{ClosedReason, PresenceLine};
    use crate::domain::collab::{Notice, Refusal};
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let notice = move || {
        shared.notice.get().and_then(|notice| match notice {
            Notice::Replaced { by, .. } => Some((td_string!(locale, playground.shared.replaced, by = by).to_string(), "replaced")),
            Notice::Deleted { by } => Some((td_string!(locale, playground.shared.deleted, by = by).to_string(), "deleted")),
            Notice::Refused { reason: Refusal::ReadOnly } => Some((td_string!(locale, playground.shared.refused_read_only).to_string(), "refused")),
            Notice::Refused { reason: Refusal::DocumentFull } => Some((td_string!(locale, playground.shared.refused_full).to_string(), "refused")),
            _ => None,
        })
    };
    view! {
        <div class=format!("{CARD} space-y-2 px-3 py-2 text-sm") data-testid="draft-bar">
            <PresenceLine shared here=td_string!(locale, playground.shared.here).to_string() />
            <p class="text-xs text-zinc-500 dark:text-zinc-400">{t_string!(i18n, playground.shared.hint)}</p>
            {move || notice().map(|(text, kind)| view! { <p class="text-sm text-zinc-800 dark:text-zinc-100" data-testid="draft-notice" data-kind=kind>{text}</p> })}
            <ClosedReason shared />
        </div>
    }
}

/// The project's saved playgrounds: open one, delete one, and save this one by name (the name
/// of the one opened is prefilled, so saving updates it). The first of the header's actions, so
/// its panel opens rightwards over the page, never over the navigation.
#[component]
fn SavedPlaygrounds(project_id: String, state: RwSignal<Playground>, saved: Vec<SavedPlayground>, opened: Option<SavedPlayground>, shared: bool) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let list = RwSignal::new(saved);
    let name = RwSignal::new(opened.as_ref().map(|o| o.name.clone()).unwrap_or_default());
    let opened_id = StoredValue::new(opened.map(|o| o.id));
    let pid = StoredValue::new(project_id);
    let save = leptos::prelude::Action::new(move |name: &String| {
        let (project_id, name, playground) = (pid.get_value(), name.clone(), state.get_untracked());
        async move { save_playground(project_id, name, playground, opened_id.get_value()).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            list.update(|l| {
                l.retain(|s| s.id != saved.id);
                l.push(saved);
                l.sort_by_key(|s| s.name.to_lowercase());
            });
        }
    });
    let delete = leptos::prelude::Action::new(move |id: &String| {
        let (project_id, id) = (pid.get_value(), id.clone());
        async move { delete_saved_playground(project_id, id.clone()).await.map(|_| id) }
    });
    Effect::new(move |_| {
        if let Some(Ok(id)) = delete.value().get() {
            list.update(|l| l.retain(|s| s.id != id));
        }
    });
    let status = move || match save.value().get() {
        Some(Ok(saved)) => Some((true, td_string!(locale, playground.saved.done, name = saved.name.as_str()).to_string())),
        Some(Err(e)) => Some((false, e.to_string())),
        None => None,
    };
    view! {
        <details class="relative" data-testid="saved-playgrounds">
            <summary class=format!("{BUTTON_SECONDARY} cursor-pointer list-none")>{move || td_string!(locale, playground.saved.open, count = list.with(Vec::len)).to_string()}</summary>
            <div class="absolute left-0 z-20 mt-1 w-72 rounded-md border border-zinc-200 bg-white p-2 shadow-lg dark:border-zinc-700 dark:bg-zinc-900">
                {move || list.with(Vec::is_empty).then(|| view! { <p class="px-1 py-1 text-xs text-zinc-500" data-testid="no-saved-playgrounds">{t_string!(i18n, playground.saved.empty)}</p> })}
                <ul class="max-h-64 space-y-0.5 overflow-y-auto">
                    {move || list.get().into_iter().map(|s| {
                        let href = format!("/project/{}/playground?saved={}", pid.get_value(), crate::domain::url::encode_query(&s.id));
                        let id = s.id.clone();
                        let by = s.updated_by.clone().map(|by| td_string!(locale, playground.saved.by, name = by.as_str()).to_string()).unwrap_or_default();
                        view! {
                            <li class="flex items-center gap-2 rounded px-1 py-0.5 hover:bg-zinc-50 dark:hover:bg-zinc-800" data-testid="saved-playground">
                                <a class="min-w-0 flex-1 truncate text-sm" href=href translate="no" title=by>{s.name.clone()}</a>
                                <button type="button" class="text-xs text-red-700 dark:text-red-400" aria-label=td_string!(locale, playground.saved.delete)
                                    title=td_string!(locale, playground.saved.delete) data-testid="delete-saved-playground"
                                    on:click=move |_| {
                                        if crate::pages::organization::confirm(td_string!(locale, playground.saved.confirm_delete)) {
                                            delete.dispatch(id.clone());
                                        }
                                    }>"✕"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {shared.then(|| view! { <p class="mt-2 border-t border-zinc-200 pt-2 text-xs text-zinc-600 dark:border-zinc-700 dark:text-zinc-300" data-testid="saved-live-hint">{t_string!(i18n, playground.shared.saves_itself)}</p> })}
                <form class="mt-2 flex gap-1 border-t border-zinc-200 pt-2 dark:border-zinc-700"
                    on:submit=move |ev| { ev.prevent_default(); save.dispatch(name.get_untracked()); }>
                    <input class=format!("{INPUT} min-w-0 flex-1") required maxlength="200" aria-label=td_string!(locale, playground.saved.name)
                        placeholder=td_string!(locale, playground.saved.name) data-testid="saved-playground-name"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <button type="submit" class=BUTTON_PRIMARY data-testid="save-playground" disabled=move || save.pending().get()>{t_string!(i18n, playground.saved.save)}</button>
                </form>
                {move || status().map(|(ok, message)| view! {
                    <p class=format!("mt-1 text-xs {}", if ok { "text-emerald-700 dark:text-emerald-400" } else { "text-red-700 dark:text-red-400" }) role="status" data-testid="save-playground-status">{message}</p>
                })}
            </div>
        </details>
    }
}

/// "Save as new version" of the prompt the playground came from, and "save as new prompt":
/// links to the prompt editor prefilled with the first variant's content (nothing is created
/// until the person saves there).
#[component]
fn SaveLinks(project: ProjectRef, state: RwSignal<Playground>) -> impl IntoView {
    let i18n = use_i18n();
    if !project.can(Action::WritePrompts) {
        return ().into_any();
    }
    let project_id = project.id.clone();
    let href = move |as_version: bool| {
        state.with(|s| {
            let mut content = s.clone();
            content.variants.truncate(1);
            let json = serde_json::to_string(&content).unwrap_or_default();
            let playground = crate::domain::url::encode_query(&json);
            match (&s.prompt, as_version) {
                (Some(p), true) => format!("/project/{project_id}/prompts/new?name={}&playground={playground}", crate::domain::url::encode_query(&p.name)),
                _ => format!("/project/{project_id}/prompts/new?playground={playground}"),
            }
        })
    };
    let has_prompt = Memo::new(move |_| state.with(|s| s.prompt.is_some()));
    let href_version = href.clone();
    view! {
        {move || has_prompt.get().then(|| {
            let href = href_version(true);
            view! { <a class=BUTTON_SECONDARY href=href data-testid="save-as-version">{t_string!(i18n, playground.save_version)}</a> }
        })}
        <a class=BUTTON_SECONDARY href=move || href(false) data-testid="save-as-prompt">{t_string!(i18n, playground.save_prompt)}</a>
    }
    .into_any()
}

#[component]
fn MessagesEditor(state: RwSignal<Playground>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let mode = Memo::new(move |_| state.with(|s| s.mode));
    // Rows are made per index and re-made only when the count changes, so typing keeps focus.
    let count = Memo::new(move |_| state.with(|s| s.messages.len()));
    let add = move |role: Role| state.update(|s| s.messages.push(Message::new(role, if role == Role::Placeholder { "history" } else { "" })));
    let tab = move |m: PromptMode| {
        let active = move || mode.get() == m;
        view! {
            <button type="button" role="tab" aria-selected=move || active().to_string()
                class=move || format!("rounded px-3 py-1 text-sm {}", if active() { "bg-white font-medium shadow dark:bg-zinc-700" } else { "text-zinc-600 dark:text-zinc-300" })
                data-testid=format!("mode-{}", if m == PromptMode::Chat { "chat" } else { "text" })
                on:click=move |_| state.update(|s| s.mode = m)>
                {if m == PromptMode::Chat { td_string!(locale, playground.mode_chat) } else { td_string!(locale, playground.mode_text) }}
            </button>
        }
    };
    view! {
        <section class=format!("{CARD} space-y-3 p-3 sm:p-4") data-testid="playground-messages">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 class="text-sm font-semibold">{t_string!(i18n, playground.prompt)}</h2>
                <div role="tablist" class="inline-flex rounded-md bg-zinc-100 p-0.5 dark:bg-zinc-800">{tab(PromptMode::Chat)}{tab(PromptMode::Text)}</div>
            </div>
            {move || match mode.get() {
                PromptMode::Text => view! {
                    <textarea class=format!("{INPUT} min-h-40 font-mono") data-testid="text-prompt" aria-label=td_string!(locale, playground.mode_text) data-collab=text_key()
                        prop:value=move || state.with(|s| s.text.clone())
                        on:input=move |ev| state.update(|s| s.text = event_target_value(&ev))></textarea>
                }.into_any(),
                PromptMode::Chat => view! {
                    <div class="space-y-2">
                        {move || (0..count.get()).map(|i| view! { <MessageRow index=i state /> }).collect_view()}
                    </div>
                    <div class="flex flex-wrap gap-2">
                        <button type="button" class=BUTTON_SECONDARY data-testid="add-message" on:click=move |_| add(Role::User)>{t_string!(i18n, playground.add_message)}</button>
                        <button type="button" class=BUTTON_SECONDARY data-testid="add-placeholder" on:click=move |_| add(Role::Placeholder)>{t_string!(i18n, playground.add_placeholder)}</button>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn MessageRow(index: usize, state: RwSignal<Playground>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let message = move || state.with(|s| s.messages.get(index).cloned());
    let role = Memo::new(move |_| message().map(|m| m.role).unwrap_or(Role::User));
    let edit = move |f: &dyn Fn(&mut Message)| state.update(|s| if let Some(m) = s.messages.get_mut(index) { f(m) });
    let swap = move |other: usize| state.update(|s| if other < s.messages.len() { s.messages.swap(index, other) });
    view! {
        <div class="rounded-md border border-zinc-200 p-2 dark:border-zinc-800" data-testid="message-row">
            <div class="mb-1 flex flex-wrap items-center gap-2">
                <select class=SELECT aria-label=td_string!(locale, playground.role) data-testid="message-role"
                    on:change=move |ev| { if let Some(r) = Role::parse(&event_target_value(&ev)) { edit(&|m: &mut Message| m.role = r) } }>
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=move || role.get() == r>{role_name(locale, r)}</option> }).collect_view()}
                </select>
                {move || (role.get() == Role::Tool).then(|| view! {
                    <input class=format!("{INPUT} w-40 font-mono text-xs") placeholder=td_string!(locale, playground.tool_call_id) aria-label=td_string!(locale, playground.tool_call_id)
                        data-testid="tool-call-id"
                        prop:value=move || message().and_then(|m| m.tool_call_id).unwrap_or_default()
                        on:input=move |ev| { let v = event_target_value(&ev); edit(&|m: &mut Message| m.tool_call_id = Some(v.clone()).filter(|v| !v.is_empty())) } />
                })}
                <span class="ml-auto flex gap-1">
                    <button type="button" class=BUTTON_LINK aria-label=td_string!(locale, playground.move_up) title=td_string!(locale, playground.move_up)
                        disabled=index == 0 on:click=move |_| { if index > 0 { swap(index - 1) } }>"↑"</button>
                    <button type="button" class=BUTTON_LINK aria-label=td_string!(locale, playground.move_down) title=td_string!(locale, playground.move_down)
                        on:click=move |_| swap(index + 1)>"↓"</button>
                    <button type="button" class=format!("{BUTTON_LINK} text-red-700 dark:text-red-400") aria-label=td_string!(locale, playground.remove)
                        title=td_string!(locale, playground.remove) data-testid="remove-message"
                        on:click=move |_| state.update(|s| { if index < s.messages.len() { s.messages.remove(index); } })>"✕"</button>
                </span>
            </div>
            {move || match role.get() {
                Role::Placeholder => view! {
                    <input class=format!("{INPUT} font-mono") aria-label=td_string!(locale, playground.placeholder_name) data-testid="message-content" data-collab=message_key(index)
                        prop:value=move || message().map(|m| m.content).unwrap_or_default()
                        on:input=move |ev| { let v = event_target_value(&ev); edit(&|m: &mut Message| m.content = v.clone()) } />
                    <p class=HINT>{t_string!(i18n, playground.placeholder_hint)}</p>
                }.into_any(),
                _ => view! {
                    <textarea class=format!("{INPUT} min-h-16 font-mono") rows="3" aria-label=role_name(locale, role.get()) data-testid="message-content" data-collab=message_key(index)
                        prop:value=move || message().map(|m| m.content).unwrap_or_default()
                        on:input=move |ev| { let v = event_target_value(&ev); edit(&|m: &mut Message| m.content = v.clone()) }></textarea>
                }.into_any(),
            }}
            {move || message().filter(|m| !m.tool_calls.is_empty()).map(|m| view! {
                <ul class="mt-1 space-y-1">
                    {m.tool_calls.into_iter().map(|call| view! {
                        <li class="rounded bg-zinc-100 px-2 py-1 font-mono text-xs dark:bg-zinc-800" translate="no">{format!("{}({}) · {}", call.name, call.arguments, call.id)}</li>
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}

/// Variables and placeholders found as one types, the tools and the response schema.
#[component]
fn SidePanel(state: RwSignal<Playground>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    // Memos: the inputs are re-made only when the set of names changes, not on each keystroke.
    let variables = Memo::new(move |_| state.with(|s| s.variable_names()));
    let placeholders = Memo::new(move |_| state.with(|s| s.placeholder_names()));
    let value = move |name: String| move || state.with(|s| s.variables.get(&name).cloned().unwrap_or_default());
    let set = move |name: String| move |ev: leptos::ev::Event| { let v = event_target_value(&ev); state.update(|s| { s.variables.insert(name.clone(), v); }) };
    let tools_problem = Memo::new(move |_| state.with(|s| parse_tools(&s.tools).err()));
    let schema_problem = Memo::new(move |_| state.with(|s| parse_response_schema(&s.response_schema).err()));
    view! {
        <section class=format!("{CARD} space-y-4 p-3 sm:p-4") data-testid="playground-side">
            <div>
                <h2 class="text-sm font-semibold">{t_string!(i18n, playground.variables)}</h2>
                {move || (variables.get().is_empty() && placeholders.get().is_empty()).then(|| view! {
                    <p class=HINT data-testid="no-variables">{t_string!(i18n, playground.no_variables)} <code class="font-mono" translate="no">"{{name}}"</code></p>
                })}
                <div class="mt-2 space-y-2">
                    {move || variables.get().into_iter().map(|name| view! {
                        <label class="block">
                            <span class="font-mono text-xs" translate="no">{format!("{{{{{name}}}}}")}</span>
                            <textarea class=format!("{INPUT} mt-1") rows="2" data-testid=format!("variable-{name}") data-collab=variable_key(&name)
                                prop:value=value(name.clone()) on:input=set(name.clone())></textarea>
                        </label>
                    }).collect_view()}
                    {move || placeholders.get().into_iter().map(|name| view! {
                        <label class="block">
                            <span class="font-mono text-xs" translate="no">{format!("[{name}]")}</span>
                            <textarea class=format!("{INPUT} mt-1 font-mono text-xs") rows="3" translate="no" data-testid=format!("variable-{name}") data-collab=variable_key(&name)
                                placeholder=r#"[{"role": "user", "content": "…"}]"# prop:value=value(name.clone()) on:input=set(name.clone())></textarea>
                        </label>
                    }).collect_view()}
                </div>
            </div>
            <div>
                <label class=LABEL for="playground-tools">{t_string!(i18n, playground.tools)}</label>
                <textarea id="playground-tools" translate="no" data-collab=tools_key() class=format!("{INPUT} mt-1 font-mono text-xs") rows="5" data-testid="tools"
                    placeholder=r#"[{"name": "get_weather", "description": "…", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]"#
                    prop:value=move || state.with(|s| s.tools.clone()) on:input=move |ev| state.update(|s| s.tools = event_target_value(&ev))></textarea>
                <p class=HINT>{t_string!(i18n, playground.tools_hint)}</p>
                {move || tools_problem.get().map(|p| view! { <p class="mt-1 text-xs text-red-700 dark:text-red-400" role="alert" data-testid="tools-problem">{run_problem(locale, &p)}</p> })}
            </div>
            <div>
                <label class=LABEL for="playground-schema">{t_string!(i18n, playground.schema)}</label>
                <textarea id="playground-schema" translate="no" data-collab=schema_key() class=format!("{INPUT} mt-1 font-mono text-xs") rows="5" data-testid="response-schema"
                    placeholder=r#"{"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}"#
                    prop:value=move || state.with(|s| s.response_schema.clone()) on:input=move |ev| state.update(|s| s.response_schema = event_target_value(&ev))></textarea>
                <p class=HINT>{t_string!(i18n, playground.schema_hint)}</p>
                {move || schema_problem.get().map(|p| view! { <p class="mt-1 text-xs text-red-700 dark:text-red-400" role="alert" data-testid="schema-problem">{run_problem(locale, &p)}</p> })}
            </div>
        </section>
    }
}

#[component]
fn VariantColumn(
    index: usize,
    state: RwSignal<Playground>,
    outputs: RwSignal<Vec<Output>>,
    connections: StoredValue<Vec<PlaygroundConnection>>,
    project_id: StoredValue<String>,
    run: Callback<()>,
    stop: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let variant = move || state.with(|s| s.variants.get(index).cloned().unwrap_or_default());
    let edit = move |f: &dyn Fn(&mut Variant)| state.update(|s| if let Some(v) = s.variants.get_mut(index) { f(v) });
    let output = move || outputs.with(|o| o.get(index).cloned().unwrap_or_default());
    let status = Memo::new(move |_| output().status);
    let connection = Memo::new(move |_| variant().connection);
    let models = Memo::new(move |_| {
        let name = connection.get();
        connections.with_value(|c| c.iter().find(|c| c.name == name).map(|c| c.models.clone()).unwrap_or_default())
    });
    let accepts_seed = Memo::new(move |_| {
        let name = connection.get();
        connections.with_value(|c| c.iter().find(|c| c.name == name).is_none_or(|c| c.adapter != crate::domain::llm_connections::Adapter::Anthropic))
    });
    let list_id = format!("variant-{index}-models");
    let param = move |label: &'static str, test: &'static str, step: &'static str, read: fn(&Variant) -> String, write: fn(&mut Variant, String)| {
        view! {
            <label class="block text-xs">
                <span class="text-zinc-600 dark:text-zinc-300">{label}</span>
                <input type="text" inputmode="decimal" class=format!("{INPUT} mt-0.5") data-testid=format!("{test}-{index}") data-step=step
                    prop:value=move || read(&variant()) on:change=move |ev| { let v = event_target_value(&ev); edit(&|x: &mut Variant| write(x, v.clone())) } />
            </label>
        }
    };
    view! {
        <section class=format!("{CARD} flex min-w-0 flex-col") data-testid="variant">
            <div class="space-y-2 border-b border-zinc-200 p-3 dark:border-zinc-800">
                <div class="flex items-center justify-between gap-2">
                    <h3 class="text-sm font-semibold">{td_string!(locale, playground.variant, number = index + 1).to_string()}</h3>
                    <span class="flex gap-2">
                        {move || if let Some(by) = output().by.filter(|_| status.get() == Status::Running) {
                            // Someone else's run: shown, and this person may still run it again (the
                            // other browser may have gone away mid-run and never say it ended).
                            view! {
                                <span class="animate-pulse text-xs text-zinc-600 dark:text-zinc-300" data-testid=format!("running-by-{index}")>
                                    {td_string!(locale, playground.shared.running_by, by = by).to_string()}</span>
                                <button type="button" class=BUTTON_SECONDARY data-testid=format!("run-{index}") disabled=move || connections.with_value(|c| c.is_empty())
                                    on:click=move |_| run.run(())>{t_string!(i18n, playground.run)}</button>
                            }.into_any()
                        } else if status.get() == Status::Running {
                            view! { <button type="button" class=BUTTON_DANGER data-testid=format!("stop-{index}") on:click=move |_| stop.run(())>{t_string!(i18n, playground.stop)}</button> }.into_any()
                        } else {
                            view! { <button type="button" class=BUTTON_PRIMARY data-testid=format!("run-{index}") disabled=move || connections.with_value(|c| c.is_empty())
                                on:click=move |_| run.run(())>{t_string!(i18n, playground.run)}</button> }.into_any()
                        }}
                        {(index > 0).then(|| view! {
                            <button type="button" class=format!("{BUTTON_LINK} text-red-700 dark:text-red-400") data-testid=format!("remove-variant-{index}")
                                aria-label=td_string!(locale, playground.remove_variant) title=td_string!(locale, playground.remove_variant)
                                disabled=move || status.get() == Status::Running
                                on:click=move |_| {
                                    state.update(|s| { if index < s.variants.len() { s.variants.remove(index); } });
                                    outputs.update(|o| { if index < o.len() { o.remove(index); } });
                                }>"✕"</button>
                        })}
                    </span>
                </div>
                <div class="grid grid-cols-2 gap-2">
                    <label class="block text-xs">
                        <span class="text-zinc-600 dark:text-zinc-300">{t_string!(i18n, playground.connection)}</span>
                        <select class=format!("{SELECT} mt-0.5 w-full") data-testid=format!("connection-{index}")
                            on:change=move |ev| { let v = event_target_value(&ev); edit(&|x: &mut Variant| x.connection = v.clone()) }>
                            {connections.get_value().into_iter().map(|c| {
                                let name = c.name.clone();
                                view! { <option value=c.name.clone() selected=move || connection.get() == name translate="no">{c.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="block text-xs">
                        <span class="text-zinc-600 dark:text-zinc-300">{t_string!(i18n, playground.model)}</span>
                        <input class=format!("{INPUT} mt-0.5 font-mono") list=list_id.clone() data-testid=format!("model-{index}") translate="no"
                            prop:value=move || variant().model on:input=move |ev| { let v = event_target_value(&ev); edit(&|x: &mut Variant| x.model = v.clone()) } />
                        <datalist id=list_id>{move || models.get().into_iter().map(|m| view! { <option value=m /> }).collect_view()}</datalist>
                    </label>
                </div>
                <details class="text-xs">
                    <summary class="cursor-pointer text-zinc-600 dark:text-zinc-300">{t_string!(i18n, playground.parameters)}</summary>
                    <div class="mt-2 grid grid-cols-2 gap-2 sm:grid-cols-3">
                        {param(td_string!(locale, playground.temperature), "temperature", "0.1",
                            |v| v.params.temperature.map(|t| t.to_string()).unwrap_or_default(),
                            |v, s| v.params.temperature = s.trim().parse().ok())}
                        {param(td_string!(locale, playground.max_tokens), "max-tokens", "1",
                            |v| v.params.max_tokens.map(|t| t.to_string()).unwrap_or_default(),
                            |v, s| v.params.max_tokens = s.trim().parse().ok())}
                        {param(td_string!(locale, playground.top_p), "top-p", "0.05",
                            |v| v.params.top_p.map(|t| t.to_string()).unwrap_or_default(),
                            |v, s| v.params.top_p = s.trim().parse().ok())}
                        // Anthropic takes no seed: the field is offered only where it means something.
                        {move || accepts_seed.get().then(|| param(td_string!(locale, playground.seed), "seed", "1",
                            |v| v.params.seed.map(|t| t.to_string()).unwrap_or_default(),
                            |v, s| v.params.seed = s.trim().parse().ok()))}
                        {param(td_string!(locale, playground.stop_sequences), "stop-sequences", "",
                            |v| v.params.stop.join(", "),
                            |v, s| v.params.stop = s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect())}
                    </div>
                </details>
            </div>
            <OutputView index output=Signal::derive(output) state outputs project_id />
        </section>
    }
}

#[component]
fn OutputView(index: usize, output: Signal<Output>, state: RwSignal<Playground>, outputs: RwSignal<Vec<Output>>, project_id: StoredValue<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    // Adds the answer to the conversation: its text, and its tool calls with a tool message to
    // fill in for each, so the person can write the result and run again.
    let continue_with = move |_| {
        let answer = output.get_untracked();
        state.update(|s| {
            let mut message = Message::new(Role::Assistant, answer.text.clone());
            message.tool_calls = answer.tool_calls.clone();
            s.messages.push(message);
            for call in &answer.tool_calls {
                let mut result = Message::new(Role::Tool, "");
                result.tool_call_id = Some(call.id.clone());
                s.messages.push(result);
            }
            if s.mode == PromptMode::Text {
                s.mode = PromptMode::Chat;
            }
        });
        outputs.update(|o| if let Some(o) = o.get_mut(index) { *o = Output::default() });
    };
    view! {
        <div class="flex min-h-40 flex-1 flex-col gap-2 p-3" data-testid=format!("output-{index}") aria-live="polite">
            {move || match output.get().status {
                Status::Idle => view! { <p class="text-sm text-zinc-500 dark:text-zinc-400">{t_string!(i18n, playground.idle)}</p> }.into_any(),
                Status::Running if output.with(|o| o.text.is_empty() && o.tool_calls.is_empty()) => view! {
                    <p class="animate-pulse text-sm text-zinc-500" data-testid=format!("waiting-{index}")>{t_string!(i18n, playground.waiting)}</p>
                }.into_any(),
                _ => ().into_any(),
            }}
            {move || output.with(|o| o.by.clone()).filter(|_| output.with(|o| o.status != Status::Running)).map(|by| view! {
                <p class="text-xs text-zinc-500 dark:text-zinc-400" data-testid=format!("run-by-{index}")>{td_string!(locale, playground.shared.run_by, by = by).to_string()}</p>
            })}
            // Provider output is untrusted text: shown as text, never as HTML.
            <pre class="whitespace-pre-wrap break-words font-sans text-sm" data-testid=format!("answer-{index}")>{move || output.with(|o| o.text.clone())}</pre>
            {move || output.with(|o| o.tool_calls.clone()).into_iter().map(|call| {
                let arguments = serde_json::from_str::<serde_json::Value>(&call.arguments)
                    .ok().and_then(|v| serde_json::to_string_pretty(&v).ok()).unwrap_or(call.arguments.clone());
                view! {
                    <div class="rounded-md border border-indigo-200 bg-indigo-50 p-2 text-xs dark:border-indigo-900 dark:bg-indigo-950/40" data-testid=format!("tool-call-{index}")>
                        <p class="font-medium">{t_string!(i18n, playground.tool_call)} " " <span class="font-mono" translate="no">{call.name.clone()}</span></p>
                        <pre class="mt-1 overflow-x-auto font-mono" translate="no">{arguments}</pre>
                    </div>
                }
            }).collect_view()}
            {move || match output.get().status {
                Status::Failed(message) => Some(view! {
                    <p class="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950/50 dark:text-red-300" role="alert" data-testid=format!("error-{index}")>{message}</p>
                }.into_any()),
                Status::Stopped => Some(view! { <p class="text-xs text-amber-700 dark:text-amber-400" data-testid=format!("stopped-{index}")>{t_string!(i18n, playground.stopped)}</p> }.into_any()),
                _ => None,
            }}
            {move || {
                let o = output.get();
                (matches!(o.status, Status::Done | Status::Stopped | Status::Failed(_)) && (o.total_ms.is_some() || o.trace_id.is_some())).then(|| {
                    let mut facts = Vec::new();
                    if let Some(ttft) = o.ttft_ms {
                        facts.push(td_string!(locale, playground.ttft, ms = ttft).to_string());
                    }
                    if let Some(total) = o.total_ms {
                        facts.push(td_string!(locale, playground.total, ms = total).to_string());
                    }
                    if let Some(u) = o.usage {
                        facts.push(td_string!(locale, playground.tokens, input = u.input, output = u.output).to_string());
                    }
                    if let Some(cost) = o.cost {
                        facts.push(format!("${cost:.6}"));
                    }
                    let trace = o.trace_id.clone().map(|id| format!("/project/{}/traces/{id}", project_id.get_value()));
                    view! {
                        <div class="mt-auto flex flex-wrap items-center gap-x-3 gap-y-1 border-t border-zinc-200 pt-2 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-300" data-testid=format!("facts-{index}")>
                            {facts.into_iter().map(|f| view! { <span>{f}</span> }).collect_view()}
                            {trace.map(|href| view! { <a class=BUTTON_LINK href=href data-testid=format!("trace-link-{index}")>{t_string!(i18n, playground.view_trace)}</a> })}
                            {(o.status == Status::Done).then(|| view! {
                                <button type="button" class=BUTTON_LINK data-testid=format!("continue-{index}") on:click=continue_with>
                                    {if o.tool_calls.is_empty() { td_string!(locale, playground.add_to_conversation) } else { td_string!(locale, playground.answer_tools) }}
                                </button>
                            })}
                        </div>
                    }
                })
            }}
        </div>
    }
}

/// Checks the run of column `index` and starts it (browser only).
fn start_run(
    locale: Locale,
    project_id: String,
    state: RwSignal<Playground>,
    outputs: RwSignal<Vec<Output>>,
    index: usize,
) {
    let Some(request) = state.with_untracked(|s| s.request(index)) else { return };
    let set = move |f: &dyn Fn(&mut Output)| outputs.update(|o| if let Some(o) = o.get_mut(index) { f(o) });
    if let Err(problem) = request.checked() {
        let message = run_problem(locale, &problem);
        set(&|o: &mut Output| *o = Output { status: Status::Failed(message.clone()), ..Output::default() });
        return;
    }
    set(&|o: &mut Output| *o = Output { status: Status::Running, ..Output::default() });
    #[cfg(feature = "hydrate")]
    {
        let Ok(controller) = web_sys::AbortController::new() else { return };
        stream::RUNNING.with(|r| {
            let mut r = r.borrow_mut();
            if r.len() <= index {
                r.resize(index + 1, None);
            }
            r[index] = Some(controller.clone());
        });
        let body = serde_json::to_string(&request).unwrap_or_default();
        leptos::task::spawn_local(async move {
            let result = stream::run(&project_id, &body, &controller, |event| {
                apply(locale, outputs, index, event);
            })
            .await;
            if let Err(message) = result {
                outputs.update(|o| {
                    if let Some(o) = o.get_mut(index) {
                        if o.status == Status::Running {
                            o.status = Status::Failed(message);
                        }
                    }
                });
            }
            // A stream that ended without its last event (the server went away).
            outputs.update(|o| {
                if let Some(o) = o.get_mut(index) {
                    if o.status == Status::Running {
                        o.status = Status::Failed(td_string!(locale, playground.broke_off).to_string());
                    }
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = project_id;
}

/// Stops column `index`: aborts its request (the server stops the provider call).
fn stop_run(outputs: RwSignal<Vec<Output>>, index: usize) {
    #[cfg(feature = "hydrate")]
    if let Some(controller) = stream::RUNNING.with(|r| r.borrow_mut().get_mut(index).and_then(Option::take)) {
        controller.abort();
    }
    outputs.update(|o| {
        if let Some(o) = o.get_mut(index) {
            if o.status == Status::Running {
                o.status = Status::Stopped;
            }
        }
    });
}

/// One event of column `index`'s stream.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn apply(locale: Locale, outputs: RwSignal<Vec<Output>>, index: usize, event: RunEvent) {
    outputs.update(|o| {
        let Some(o) = o.get_mut(index) else { return };
        if o.status != Status::Running {
            // Stopped meanwhile: late events are dropped.
            return;
        }
        match event {
            RunEvent::Started { trace_id } => o.trace_id = Some(trace_id),
            RunEvent::Delta { text } => o.text.push_str(&text),
            RunEvent::ToolCall { call } => o.tool_calls.push(call),
            RunEvent::Done { trace_id, ttft_ms, total_ms, usage, cost } => {
                o.trace_id = Some(trace_id);
                o.ttft_ms = ttft_ms;
                o.total_ms = Some(total_ms);
                o.usage = usage;
                o.cost = cost;
                o.status = Status::Done;
            }
            RunEvent::Failed { trace_id, problem } => {
                o.trace_id = trace_id.or(o.trace_id.take());
                o.status = Status::Failed(provider_problem(locale, &problem));
            }
        }
    });
}

#[cfg(feature = "hydrate")]
mod stream {
    //! Reads a run's server-sent events from a `fetch` response body.

    use js_sys::{Reflect, Uint8Array};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortController, ReadableStreamDefaultReader, RequestInit, Response};

    use crate::domain::playground::RunEvent;
    use crate::error::AppError;

    thread_local! {
        /// The running columns' requests, by column, for Stop. (The browser's one thread; an
        /// `AbortController` cannot live in a reactive value, which must be `Send` on the server.)
        pub static RUNNING: std::cell::RefCell<Vec<Option<AbortController>>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// POSTs the run and calls `on_event` for each event until the stream ends. `Err`: why it
    /// could not start (the server's message), or a network failure; an abort ends it quietly.
    pub async fn run(project_id: &str, body: &str, controller: &AbortController, mut on_event: impl FnMut(RunEvent)) -> Result<(), String> {
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
        init.set_signal(Some(&controller.signal()));
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        let headers = web_sys::Headers::new().map_err(js_text)?;
        headers.set("content-type", "application/json").map_err(js_text)?;
        init.set_headers(&headers);
        let url = format!("/api/playground/projects/{}/runs", crate::domain::url::encode_path(project_id));
        let window = web_sys::window().ok_or("no window")?;
        let response = match JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await {
            Ok(r) => r.unchecked_into::<Response>(),
            Err(_) if controller.signal().aborted() => return Ok(()),
            Err(e) => return Err(js_text(e)),
        };
        if !response.ok() {
            let text = match response.text() {
                Ok(promise) => JsFuture::from(promise).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
                Err(_) => String::new(),
            };
            return Err(serde_json::from_str::<AppError>(&text).map(|e| e.to_string()).unwrap_or(text));
        }
        let Some(body) = response.body() else { return Ok(()) };
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        let mut buffer: Vec<u8> = Vec::new();
        loop {
            let chunk = match JsFuture::from(reader.read()).await {
                Ok(chunk) => chunk,
                Err(_) if controller.signal().aborted() => return Ok(()),
                Err(e) => return Err(js_text(e)),
            };
            if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
                return Ok(());
            }
            if let Ok(value) = Reflect::get(&chunk, &"value".into()) {
                buffer.extend(value.unchecked_into::<Uint8Array>().to_vec());
            }
            // Events end at a blank line; split on bytes, so a character cut between two chunks
            // is decoded only once whole.
            while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = buffer.drain(..end + 2).collect();
                let block = String::from_utf8_lossy(&block);
                let data: Vec<&str> = block.lines().filter_map(|l| l.strip_prefix("data:")).map(|d| d.strip_prefix(' ').unwrap_or(d)).collect();
                if let Ok(event) = serde_json::from_str::<RunEvent>(&data.join("\n")) {
                    on_event(event);
                }
            }
        }
    }

    fn js_text(value: wasm_bindgen::JsValue) -> String {
        value.as_string().or_else(|| Reflect::get(&value, &"message".into()).ok().and_then(|m| m.as_string())).unwrap_or_else(|| format!("{value:?}"))
    }
}
